//! GETs against the GitHub REST API through `octocrab`, with what a long crawl needs
//! around them: `Link` pagination to the last page, a bound on requests in flight, waits
//! for the primary (`x-ratelimit-remaining`/`x-ratelimit-reset`) and secondary
//! (`retry-after`) rate limits, and retries with exponential backoff for 5xx answers and
//! network errors.
//!
//! The token goes to octocrab, which sends it only to the API's own host. It is never
//! formatted here; text that comes back from the server is scrubbed of it before it is
//! kept, in case a proxy or server echoes the request.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, StatusCode, Uri};
use octocrab::Octocrab;
use octocrab::secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::{LiveOptions, RetryPolicy};

/// A secondary rate limit without `retry-after`: GitHub asks to wait at least a minute.
const SECONDARY_DEFAULT_WAIT: Duration = Duration::from_secs(60);
/// Rate-limit waits one request may sit through before it gives up.
const MAX_RATE_LIMIT_WAITS: u32 = 10;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// GitHub answered with an error status (after retries, for 5xx).
    Status { status: u16, message: String },
    /// A rate limit asked for a longer wait than allowed.
    RateLimited { wait: Duration },
    /// No answer: connection, TLS or timeout (after retries).
    Transport(String),
    /// An answer that is not what the endpoint returns.
    Body(String),
}

/// One page of a listing.
struct Page {
    body: Value,
    next: Option<String>,
}

/// The API client of one crawl.
pub struct Api {
    octo: Octocrab,
    base: Uri,
    retry: RetryPolicy,
    /// Only to scrub it from server-sent text.
    token: Option<SecretString>,
    paused_until: Mutex<Option<Instant>>,
    permits: Semaphore,
    requests: AtomicU64,
}

impl Api {
    /// Builds the client; must run inside a tokio runtime.
    pub fn new(opts: &LiveOptions) -> Result<Api, String> {
        let base: Uri = opts
            .api_url
            .trim_end_matches('/')
            .parse()
            .map_err(|e| format!("--github-api-url `{}` is not a URL: {e}", opts.api_url))?;
        if base.scheme().is_none() || base.authority().is_none() {
            return Err(format!(
                "--github-api-url `{}` needs a scheme and host, like https://github.example.com/api/v3",
                opts.api_url
            ));
        }
        let mut builder = Octocrab::builder()
            .base_uri(base.clone())
            .map_err(|e| format!("--github-api-url `{}`: {e}", opts.api_url))?
            .add_header(http::header::ACCEPT, "application/vnd.github+json".into())
            .add_header(
                http::HeaderName::from_static("x-github-api-version"),
                "2022-11-28".into(),
            )
            .set_connect_timeout(Some(Duration::from_secs(15)))
            .set_read_timeout(Some(Duration::from_secs(60)));
        if let Some(token) = &opts.token {
            builder = builder.personal_token(token.clone());
        }
        let octo = builder
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Api {
            octo,
            base,
            retry: opts.retry.clone(),
            token: opts.token.clone(),
            paused_until: Mutex::new(None),
            permits: Semaphore::new(opts.concurrency.max(1)),
            requests: AtomicU64::new(0),
        })
    }

    /// Requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// GETs one object.
    pub async fn get_one(&self, path: &str) -> Result<Value, Failure> {
        self.get(path).await.map(|p| p.body)
    }

    /// GETs every page of a listing: the array itself, or the array under `key` for
    /// endpoints that wrap it (`{"total_count": …, "secrets": […]}`).
    pub async fn get_all(&self, path: &str, key: Option<&str>) -> Result<Vec<Value>, Failure> {
        let mut items = Vec::new();
        let mut target = path.to_string();
        loop {
            let page = self.get(&target).await?;
            let list = match key {
                Some(k) => page.body.get(k).cloned(),
                None => Some(page.body),
            };
            match list {
                Some(Value::Array(a)) => items.extend(a),
                _ => {
                    return Err(Failure::Body(match key {
                        Some(k) => format!("the answer has no `{k}` list"),
                        None => "the answer is not a list".into(),
                    }));
                }
            }
            match page.next {
                Some(next) => target = self.same_origin(&next)?,
                None => return Ok(items),
            }
        }
    }

    /// A `Link: rel="next"` URL, if it stays on the API's host (the token goes nowhere
    /// else).
    fn same_origin(&self, next: &str) -> Result<String, Failure> {
        let uri: Uri = next
            .parse()
            .map_err(|_| Failure::Body(format!("the next-page link `{next}` is not a URL")))?;
        if uri.scheme() == self.base.scheme() && uri.authority() == self.base.authority() {
            Ok(next.to_string())
        } else {
            Err(Failure::Body(format!(
                "the next-page link points to another host ({}); not followed",
                uri.authority().map_or("none", |a| a.as_str())
            )))
        }
    }

    async fn get(&self, target: &str) -> Result<Page, Failure> {
        let mut failures = 0u32;
        let mut waits = 0u32;
        loop {
            self.wait_for_rate_limit().await;
            let answer = {
                let _permit = self.permits.acquire().await;
                self.requests.fetch_add(1, Ordering::Relaxed);
                match self.octo._get(target).await {
                    Ok(resp) => {
                        let status = resp.status();
                        let headers = resp.headers().clone();
                        self.octo
                            .body_to_string(resp)
                            .await
                            .map(|body| (status, headers, body))
                    }
                    Err(e) => Err(e),
                }
            };
            let (status, headers, body) = match answer {
                Ok(a) => a,
                Err(e) => {
                    failures += 1;
                    if failures >= self.retry.max_attempts {
                        return Err(Failure::Transport(self.scrub(&error_chain(&e))));
                    }
                    tokio::time::sleep(self.backoff(failures)).await;
                    continue;
                }
            };
            self.note_primary_limit(status, &headers);
            if status.is_success() {
                let body = serde_json::from_str(&body)
                    .map_err(|e| Failure::Body(format!("the answer is not JSON ({e})")))?;
                return Ok(Page {
                    body,
                    next: next_link(&headers),
                });
            }
            if let Some(wait) = rate_limit_wait(status, &headers, &body) {
                waits += 1;
                if wait > self.retry.max_wait || waits > MAX_RATE_LIMIT_WAITS {
                    return Err(Failure::RateLimited { wait });
                }
                self.pause_for(wait);
                continue;
            }
            if status.is_server_error() {
                failures += 1;
                if failures < self.retry.max_attempts {
                    tokio::time::sleep(self.backoff(failures)).await;
                    continue;
                }
            }
            return Err(Failure::Status {
                status: status.as_u16(),
                message: self.scrub(&message_of(&body)),
            });
        }
    }

    /// Waits while a rate limit pauses every request of the crawl.
    async fn wait_for_rate_limit(&self) {
        loop {
            let until = *self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t.into()).await,
                _ => return,
            }
        }
    }

    fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut slot = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none_or(|t| t < until) {
            *slot = Some(until);
        }
    }

    /// The last request of the window went through: the next ones wait for the reset.
    fn note_primary_limit(&self, status: StatusCode, headers: &HeaderMap) {
        if !status.is_success() || header_u64(headers, "x-ratelimit-remaining") != Some(0) {
            return;
        }
        if let Some(wait) = until_reset(headers).filter(|w| *w <= self.retry.max_wait) {
            self.pause_for(wait);
        }
    }

    fn backoff(&self, failures: u32) -> Duration {
        let base = self
            .retry
            .base_delay
            .saturating_mul(1 << failures.min(6).saturating_sub(1));
        // Jitter, so that requests that failed together do not retry together.
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let spread = self.retry.base_delay.as_millis().max(1) as u32 / 2 + 1;
        base + Duration::from_millis(u64::from(nanos % spread))
    }

    fn scrub(&self, text: &str) -> String {
        match &self.token {
            Some(t) if !t.expose_secret().is_empty() => {
                text.replace(t.expose_secret(), "[redacted]")
            }
            _ => text.to_string(),
        }
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn until_reset(headers: &HeaderMap) -> Option<Duration> {
    let reset = header_u64(headers, "x-ratelimit-reset")?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    // One second more: the reset time is rounded down to the second.
    Some(Duration::from_secs(reset.saturating_sub(now) + 1))
}

/// How long to wait when the answer is a rate limit: `retry-after` (secondary limits),
/// else the primary window's reset, else a minute.
fn rate_limit_wait(status: StatusCode, headers: &HeaderMap, body: &str) -> Option<Duration> {
    let retry_after = header_u64(headers, "retry-after").map(Duration::from_secs);
    let exhausted = header_u64(headers, "x-ratelimit-remaining") == Some(0);
    let says_so = body.to_ascii_lowercase().contains("rate limit");
    let limited = status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN && (retry_after.is_some() || exhausted || says_so));
    if !limited {
        return None;
    }
    Some(
        retry_after
            .or_else(|| exhausted.then(|| until_reset(headers)).flatten())
            .unwrap_or(SECONDARY_DEFAULT_WAIT),
    )
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next"))
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

/// GitHub's `{"message": …}`, or the start of whatever came back.
fn message_of(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(v) => match v.get("message").and_then(Value::as_str) {
            Some(m) => m.to_string(),
            None => String::new(),
        },
        Err(_) => body.chars().take(200).collect(),
    }
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn link_header() {
        let h = headers(&[(
            "link",
            "<https://api.github.com/organizations/1/repos?page=2>; rel=\"next\", <https://api.github.com/organizations/1/repos?page=9>; rel=\"last\"",
        )]);
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://api.github.com/organizations/1/repos?page=2")
        );
        let last = headers(&[("link", "<https://x/y?page=1>; rel=\"prev\"")]);
        assert_eq!(next_link(&last), None);
    }

    #[test]
    fn rate_limits() {
        let secondary = headers(&[("retry-after", "3")]);
        assert_eq!(
            rate_limit_wait(StatusCode::FORBIDDEN, &secondary, "{}"),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            rate_limit_wait(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), ""),
            Some(SECONDARY_DEFAULT_WAIT)
        );
        // A permission problem is not a rate limit.
        let denied = r#"{"message": "Resource not accessible by integration"}"#;
        assert_eq!(
            rate_limit_wait(StatusCode::FORBIDDEN, &HeaderMap::new(), denied),
            None
        );
        let primary = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1")]);
        assert_eq!(
            rate_limit_wait(StatusCode::FORBIDDEN, &primary, ""),
            Some(Duration::from_secs(1))
        );
    }
}
