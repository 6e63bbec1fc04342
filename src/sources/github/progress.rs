//! What the crawl shows while it runs: on a terminal, a progress bar whose message
//! turns into the rate-limit wait while there is one; elsewhere (CI logs, pipes), one
//! line per wait on stderr and at most [`MAX_LINES`] of them, so that a server that asks
//! for a pause on every request cannot fill a log.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Progress;

/// Wait lines printed when there is no terminal; one more says the rest are not shown.
const MAX_LINES: u32 = 5;

/// The crawl's progress: repositories done per organisation, and rate-limit waits.
pub struct Status {
    mode: Progress,
    bar: ProgressBar,
    org: Mutex<String>,
    /// While a wait is shown on the bar: when it ends.
    waiting_until: Mutex<Option<Instant>>,
    lines: AtomicU32,
}

impl Status {
    pub fn new(mode: Progress) -> Status {
        let bar = match mode {
            Progress::Bar => {
                let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
                if let Ok(style) =
                    ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} repositories")
                {
                    pb.set_style(style);
                }
                pb
            }
            Progress::Hidden | Progress::Lines => ProgressBar::hidden(),
        };
        Status {
            mode,
            bar,
            org: Mutex::new(String::new()),
            waiting_until: Mutex::new(None),
            lines: AtomicU32::new(0),
        }
    }

    /// An organisation's repositories are about to be crawled (`repos` of them, once
    /// they are listed).
    pub fn org(&self, org: &str, repos: u64) {
        *self.org.lock().unwrap_or_else(|p| p.into_inner()) = org.to_string();
        self.bar.set_length(repos);
        self.bar.set_position(0);
        if !self.is_waiting() {
            self.bar.set_message(format!("github {org}"));
        }
    }

    pub fn inc(&self) {
        self.bar.inc(1);
        self.resumed();
    }

    /// The crawl pauses for `wait` because of `why`, as `call` was told.
    pub fn waiting(&self, wait: Duration, why: &str, call: &str) {
        match self.mode {
            Progress::Hidden => {}
            Progress::Bar => {
                *self.waiting_until.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(Instant::now() + wait);
                let org = self.org.lock().unwrap_or_else(|p| p.into_inner()).clone();
                self.bar.set_message(format!(
                    "github {org}: waiting {} ({why}, {call})",
                    human(wait)
                ));
            }
            #[allow(
                clippy::print_stderr,
                reason = "progress without a terminal: a few stderr lines, by design"
            )]
            Progress::Lines => {
                let n = self.lines.fetch_add(1, Ordering::Relaxed);
                if n < MAX_LINES {
                    eprintln!("github: waiting {} ({why}) after {call}", human(wait));
                } else if n == MAX_LINES {
                    eprintln!("github: more waits follow, not shown");
                }
            }
        }
    }

    /// A wait is over: the bar shows the organisation again.
    pub fn resumed(&self) {
        if self.mode != Progress::Bar {
            return;
        }
        let mut until = self.waiting_until.lock().unwrap_or_else(|p| p.into_inner());
        if until.is_some_and(|t| t <= Instant::now()) {
            *until = None;
            let org = self.org.lock().unwrap_or_else(|p| p.into_inner()).clone();
            self.bar.set_message(format!("github {org}"));
        }
    }

    fn is_waiting(&self) -> bool {
        self.waiting_until
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `750 ms`, `42 s`, `15 min`, `2 h`: how long a wait or a limit is, for people.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if secs < 120 || !secs.is_multiple_of(60) {
        format!("{secs} s")
    } else if secs < 7200 || !secs.is_multiple_of(3600) {
        format!("{} min", secs / 60)
    } else {
        format!("{} h", secs / 3600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_for_people() {
        assert_eq!(human(Duration::from_millis(250)), "250 ms");
        assert_eq!(human(Duration::from_secs(60)), "60 s");
        assert_eq!(human(Duration::from_secs(61)), "61 s");
        assert_eq!(human(Duration::from_secs(600)), "10 min");
        assert_eq!(human(Duration::from_secs(3601)), "3601 s");
        assert_eq!(human(Duration::from_secs(7200)), "2 h");
    }
}
