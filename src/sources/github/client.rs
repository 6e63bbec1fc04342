//! GETs against the GitHub REST API through `octocrab`, with what a long crawl needs
//! around them and what a hostile or broken server must not be able to do to it:
//!
//! - `Link` pagination to the last page, with a set of the pages seen (a link back to
//!   one ends the listing) and caps on pages and bytes per listing;
//! - a deadline per request covering the connection and the whole body, read as a
//!   stream and abandoned at a size cap;
//! - waits for the primary (`x-ratelimit-remaining`/`x-ratelimit-reset`) and secondary
//!   (`retry-after`) rate limits and exponential backoff for 5xx answers, network
//!   errors and timeouts, all charged to one budget per crawl (`max_wait`);
//! - failures from a fixed vocabulary: nothing the server sent (links, messages, bodies)
//!   is quoted in them.
//!
//! The token goes to octocrab, which sends it only to the API's own host (next-page
//! links elsewhere are not followed). It is never formatted here, and it is scrubbed
//! from every answer before the answer is kept, in case a proxy or server echoes it.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, StatusCode, Uri};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use octocrab::secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::sync::Semaphore;

use super::progress::{Status, human};
use super::{Limits, LiveOptions, RetryPolicy};

/// A secondary rate limit without `retry-after`: GitHub asks to wait at least a minute.
const SECONDARY_DEFAULT_WAIT: Duration = Duration::from_secs(60);
/// Rate-limit waits one request may sit through before it gives up.
const MAX_RATE_LIMIT_WAITS: u32 = 10;
/// Items a page may hold: every listing asks for `per_page=100`, GitHub's maximum.
pub const PER_PAGE: usize = 100;
/// What is read of an error answer: enough for GitHub's `{"message": …}`.
const ERROR_BODY_CAP: usize = 64 << 10;
/// Longest transport error text kept (it comes from our HTTP stack, never the server).
const TRANSPORT_TEXT_CAP: usize = 300;

/// Why the crawl stopped sending requests.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Halt {
    #[error("GitHub's rate limit asks to wait {}, more than is left of --max-wait", human(*.wait))]
    RateLimited { wait: Duration },
    #[error("the API stopped answering within --http-timeout and --max-wait is spent")]
    Unresponsive,
}

/// Why a request failed. The texts are ours: nothing the server sent is quoted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Failure {
    /// GitHub answered with an error status (after retries, for 5xx).
    #[error("GitHub answered {status}")]
    Status { status: u16 },
    /// A rate limit asked for a longer wait than the crawl has left.
    #[error("rate limited: GitHub asks to wait {}, more than the {} left of --max-wait", human(*.wait), human(*.left))]
    RateLimited { wait: Duration, left: Duration },
    /// Rate limited again and again.
    #[error("rate limited {MAX_RATE_LIMIT_WAITS} times in a row")]
    TooManyWaits,
    /// The whole answer did not come within the deadline (after retries).
    #[error("no complete answer within --http-timeout ({})", human(*.0))]
    Timeout(Duration),
    /// No answer: connection or TLS (after retries). The text is our HTTP stack's.
    #[error("no answer: {0}")]
    Transport(String),
    /// The answer is over the size cap; it was not read further.
    #[error("the answer is larger than {} MiB; not read further", .limit >> 20)]
    TooLarge { limit: usize },
    /// The answer is not JSON.
    #[error("the answer is not JSON ({0} at line {1}, column {2})")]
    NotJson(&'static str, usize, usize),
    /// A listing's answer without its list.
    #[error("the answer has no `{0}` list")]
    NoList(&'static str),
    #[error("the answer is not a list")]
    NotAList,
    #[error("the page lists {0} items, more than the {PER_PAGE} asked for")]
    TooManyItems(usize),
    #[error("its Link header cannot be read; the listing stops there")]
    BadLink,
    #[error("its next-page link is not a URL; the listing stops there")]
    NextNotUrl,
    #[error("its next-page link points to another host; not followed")]
    OtherHost,
    #[error("its next-page link leads back to an earlier page; the listing stops there")]
    LinkLoop,
    #[error("the listing has more than {0} pages; not read further")]
    TooManyPages(usize),
    #[error("the listing's pages add up to more than {} MiB; not read further", .0 >> 20)]
    ListingTooLarge(usize),
    /// The crawl stopped sending requests before this one.
    #[error("not sent: {0}")]
    Halted(Halt),
}

impl Failure {
    /// Whether the message speaks of a page ("its Link header …"), so it must say which.
    pub fn about_page(&self) -> bool {
        matches!(
            self,
            Failure::TooManyItems(_)
                | Failure::BadLink
                | Failure::NextNotUrl
                | Failure::OtherHost
                | Failure::LinkLoop
                | Failure::TooManyPages(_)
                | Failure::ListingTooLarge(_)
        )
    }

    fn not_json(e: &serde_json::Error) -> Failure {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "it ends too early",
            _ => "syntax error",
        };
        Failure::NotJson(what, e.line(), e.column())
    }
}

/// One page of a listing.
struct Page {
    body: Value,
    next: Next,
    bytes: usize,
}

/// What a page's `Link` header says comes next.
#[derive(Debug, PartialEq)]
enum Next {
    Last,
    Url(String),
    Malformed,
}

/// What a listing read: its items, and where and why it stopped early.
pub struct Listing {
    pub items: Vec<Value>,
    /// Pages read in full.
    pub pages: usize,
    /// The page (from 1) that failed, and why.
    pub failure: Option<(usize, Failure)>,
}

/// A request's answer, read within the caps.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// What the crawl shares between requests: the rate-limit pause, the wait budget spent
/// and, once it could not go on, why it stopped.
#[derive(Default)]
struct State {
    paused_until: Option<Instant>,
    spent: Duration,
    halt: Option<Halt>,
}

/// The API client of one crawl.
pub struct Api {
    octo: Octocrab,
    base: Uri,
    /// `base` as text, without a trailing slash: what request paths are appended to.
    base_text: String,
    retry: RetryPolicy,
    limits: Limits,
    /// Only to scrub it from what the server sends.
    token: Option<SecretString>,
    state: Mutex<State>,
    permits: Semaphore,
    requests: AtomicU64,
    status: Arc<Status>,
}

/// The client could not be built from the options.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("--github-api-url is not a URL ({0})")]
    NotAUrl(String),
    #[error("--github-api-url needs a scheme and host, like https://github.example.com/api/v3")]
    NoHost,
    #[error("--github-api-url: {0}")]
    BaseUri(String),
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

impl Api {
    /// Builds the client; must run inside a tokio runtime.
    pub fn new(opts: &LiveOptions, status: Arc<Status>) -> Result<Api, SetupError> {
        let base_text = opts.api_url.trim_end_matches('/').to_string();
        let base: Uri = base_text
            .parse()
            .map_err(|e: http::uri::InvalidUri| SetupError::NotAUrl(e.to_string()))?;
        if base.scheme().is_none() || base.authority().is_none() {
            return Err(SetupError::NoHost);
        }
        let timeout = opts.limits.http_timeout;
        let mut builder = Octocrab::builder()
            .base_uri(base.clone())
            .map_err(|e| SetupError::BaseUri(e.to_string()))?
            .add_header(http::header::ACCEPT, "application/vnd.github+json".into())
            .add_header(
                http::HeaderName::from_static("x-github-api-version"),
                "2022-11-28".into(),
            )
            // Each request is bounded as a whole in `get`, so no read timeout here (it
            // would race that deadline); this only ends a dead connection attempt sooner.
            .set_connect_timeout(Some(timeout.min(Duration::from_secs(15))));
        if let Some(token) = &opts.token {
            builder = builder.personal_token(token.clone());
        }
        let octo = builder
            .build()
            .map_err(|e| SetupError::Client(e.to_string()))?;
        Ok(Api {
            octo,
            base,
            base_text,
            retry: opts.retry.clone(),
            limits: opts.limits.clone(),
            token: opts.token.clone(),
            state: Mutex::new(State::default()),
            permits: Semaphore::new(opts.concurrency.max(1)),
            requests: AtomicU64::new(0),
            status,
        })
    }

    /// Requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Why the crawl stopped sending requests, once it has.
    pub fn halted(&self) -> Option<Halt> {
        self.state().halt.clone()
    }

    /// GETs one object; `call` names it in what the crawl shows.
    pub async fn get_one(&self, call: &str, path: &str) -> Result<Value, Failure> {
        let url = format!("{}{path}", self.base_text);
        self.get(call, &url).await.map(|p| p.body)
    }

    /// GETs every page of a listing: the array itself, or the array under `key` for
    /// endpoints that wrap it (`{"total_count": …, "secrets": […]}`). A page that fails
    /// ends the listing; what was read before it is kept.
    pub async fn get_all(&self, call: &str, path: &str, key: Option<&'static str>) -> Listing {
        self.get_pages(call, path, key, self.limits.max_pages).await
    }

    /// [`Self::get_all`], reading at most `max_pages` pages (and fewer when the crawl's
    /// own page limit is lower).
    pub async fn get_pages(
        &self,
        call: &str,
        path: &str,
        key: Option<&'static str>,
        max_pages: usize,
    ) -> Listing {
        let max_pages = max_pages.clamp(1, self.limits.max_pages.max(1));
        let mut url = format!("{}{path}", self.base_text);
        let mut seen = HashSet::from([page_key(&url)]);
        let mut listing = Listing {
            items: Vec::new(),
            pages: 0,
            failure: None,
        };
        let mut bytes = 0usize;
        loop {
            let page_no = listing.pages + 1;
            let fail = |mut listing: Listing, f: Failure| {
                listing.failure = Some((page_no, f));
                listing
            };
            let page = match self.get(call, &url).await {
                Ok(p) => p,
                Err(f) => return fail(listing, f),
            };
            bytes = bytes.saturating_add(page.bytes);
            let list = match (key, page.body) {
                (Some(k), Value::Object(mut m)) => match m.remove(k) {
                    Some(Value::Array(a)) => a,
                    _ => return fail(listing, Failure::NoList(k)),
                },
                (Some(k), _) => return fail(listing, Failure::NoList(k)),
                (None, Value::Array(a)) => a,
                (None, _) => return fail(listing, Failure::NotAList),
            };
            if list.len() > PER_PAGE {
                return fail(listing, Failure::TooManyItems(list.len()));
            }
            listing.items.extend(list);
            listing.pages = page_no;
            let next = match page.next {
                Next::Last => return listing,
                Next::Malformed => return fail(listing, Failure::BadLink),
                Next::Url(u) => u,
            };
            // The page was read in full; what stops the listing now is about the next.
            let failure = match self.same_origin(&next) {
                Err(f) => Some(f),
                Ok(()) if !seen.insert(page_key(&next)) => Some(Failure::LinkLoop),
                Ok(()) if page_no >= max_pages => Some(Failure::TooManyPages(max_pages)),
                Ok(()) if bytes > self.limits.max_listing_bytes => {
                    Some(Failure::ListingTooLarge(self.limits.max_listing_bytes))
                }
                Ok(()) => None,
            };
            if let Some(f) = failure {
                return fail(listing, f);
            }
            url = next;
        }
    }

    /// A `Link: rel="next"` URL must stay on the API's host: the token goes nowhere else.
    fn same_origin(&self, next: &str) -> Result<(), Failure> {
        let uri: Uri = next.parse().map_err(|_| Failure::NextNotUrl)?;
        if uri.scheme().is_none() || uri.authority().is_none() {
            return Err(Failure::NextNotUrl);
        }
        if uri.scheme() == self.base.scheme() && uri.authority() == self.base.authority() {
            Ok(())
        } else {
            Err(Failure::OtherHost)
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn check_halt(&self) -> Result<(), Failure> {
        match self.halted() {
            Some(h) => Err(Failure::Halted(h)),
            None => Ok(()),
        }
    }

    async fn get(&self, call: &str, url: &str) -> Result<Page, Failure> {
        let mut failures = 0u32;
        let mut waits = 0u32;
        loop {
            self.check_halt()?;
            self.wait_for_pause().await;
            self.check_halt()?;
            let outcome = {
                let _permit = self.permits.acquire().await;
                self.requests.fetch_add(1, Ordering::Relaxed);
                tokio::time::timeout(self.limits.http_timeout, self.attempt(url)).await
            };
            let retryable = match outcome {
                Err(_elapsed) => {
                    self.timed_out();
                    Failure::Timeout(self.limits.http_timeout)
                }
                Ok(Err(f @ Failure::TooLarge { .. })) => return Err(f),
                Ok(Err(f)) => f,
                Ok(Ok(answer)) => {
                    self.note_primary_limit(&answer, call);
                    if answer.status.is_success() {
                        return self.page(answer);
                    }
                    let body = String::from_utf8_lossy(&answer.body);
                    if let Some((wait, why)) =
                        rate_limit_wait(answer.status, &answer.headers, &body)
                    {
                        waits += 1;
                        if waits > MAX_RATE_LIMIT_WAITS {
                            return Err(Failure::TooManyWaits);
                        }
                        self.pause(wait, why, call)?;
                        continue;
                    }
                    let failure = Failure::Status {
                        status: answer.status.as_u16(),
                    };
                    if !answer.status.is_server_error() {
                        return Err(failure);
                    }
                    failure
                }
            };
            failures += 1;
            if failures >= self.retry.max_attempts {
                return Err(retryable);
            }
            let delay = self.backoff(failures);
            if !self.charge(delay) {
                return Err(retryable);
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// One request and its whole answer, the body read as a stream up to the cap.
    async fn attempt(&self, url: &str) -> Result<Answer, Failure> {
        let resp = self
            .octo
            ._get(url)
            .await
            .map_err(|e| Failure::Transport(self.transport_text(&e)))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let cap = if status.is_success() {
            self.limits.max_response_bytes
        } else {
            ERROR_BODY_CAP
        };
        let too_large = Failure::TooLarge {
            limit: self.limits.max_response_bytes,
        };
        let declared = header_u64(&headers, http::header::CONTENT_LENGTH.as_str());
        if status.is_success() && declared.is_some_and(|n| n > cap as u64) {
            return Err(too_large);
        }
        let mut body = Vec::new();
        let mut stream = resp.into_body();
        while let Some(frame) = stream.frame().await {
            let frame = frame.map_err(|e| Failure::Transport(self.transport_text(&e)))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            if body.len() + data.len() > cap {
                if status.is_success() {
                    return Err(too_large);
                }
                // An error answer is only read for its message: its start is enough.
                body.extend_from_slice(&data[..cap - body.len()]);
                break;
            }
            body.extend_from_slice(&data);
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    fn page(&self, answer: Answer) -> Result<Page, Failure> {
        let mut body: Value =
            serde_json::from_slice(&answer.body).map_err(|e| Failure::not_json(&e))?;
        if let Some(token) = self.token.as_ref().map(|t| t.expose_secret())
            && !token.is_empty()
        {
            crate::sources::scrub(&mut body, token);
        }
        Ok(Page {
            body,
            next: next_link(&answer.headers),
            bytes: answer.body.len(),
        })
    }

    /// Waits while a rate limit pauses every request of the crawl.
    async fn wait_for_pause(&self) {
        loop {
            let until = self.state().paused_until;
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t.into()).await,
                _ => break,
            }
        }
        self.status.resumed();
    }

    /// Pauses every request for `wait`, charged to the budget once however many
    /// requests sit it out. A wait that does not fit stops the crawl's requests: each
    /// later one would meet the same limit.
    fn pause(&self, wait: Duration, why: &str, call: &str) -> Result<(), Failure> {
        let mut st = self.state();
        let now = Instant::now();
        let from = st.paused_until.filter(|t| *t > now).unwrap_or(now);
        let left = self.retry.max_wait.saturating_sub(st.spent);
        let until = now
            .checked_add(wait)
            .filter(|u| u.saturating_duration_since(from) <= left);
        let Some(until) = until else {
            st.halt.get_or_insert(Halt::RateLimited { wait });
            return Err(Failure::RateLimited { wait, left });
        };
        let extra = until.saturating_duration_since(from);
        if !extra.is_zero() {
            st.spent += extra;
            st.paused_until = Some(until);
            drop(st);
            self.status.waiting(wait, why, call);
        }
        Ok(())
    }

    /// Charges a backoff to the budget; false when it does not fit.
    fn charge(&self, delay: Duration) -> bool {
        let mut st = self.state();
        if st.spent.saturating_add(delay) > self.retry.max_wait {
            return false;
        }
        st.spent += delay;
        true
    }

    /// A request used its whole deadline: that time is charged too, and once the budget
    /// is spent the server is taken to have stopped answering.
    fn timed_out(&self) {
        let mut st = self.state();
        st.spent = st.spent.saturating_add(self.limits.http_timeout);
        if st.spent >= self.retry.max_wait {
            st.halt.get_or_insert(Halt::Unresponsive);
        }
    }

    /// The last request of the window went through: the next ones wait for the reset.
    fn note_primary_limit(&self, answer: &Answer, call: &str) {
        if !answer.status.is_success()
            || header_u64(&answer.headers, "x-ratelimit-remaining") != Some(0)
        {
            return;
        }
        if let Some(wait) = until_reset(&answer.headers) {
            // The answer itself is good; a pause that does not fit halts what follows.
            let _ = self.pause(wait, "the rate limit is used up", call);
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

    /// Our HTTP stack's account of a failed exchange: printable, short, token-free.
    fn transport_text(&self, err: &(dyn std::error::Error + 'static)) -> String {
        let text = crate::text::error_chain(err);
        let text = match &self.token {
            Some(t) if !t.expose_secret().is_empty() => {
                text.replace(t.expose_secret(), "[redacted]")
            }
            _ => text,
        };
        text.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(TRANSPORT_TEXT_CAP)
            .collect()
    }
}

/// A page's identity for the seen set: the URL with its query parameters sorted, so a
/// link that only reorders them is the same page.
fn page_key(url: &str) -> String {
    match url.split_once('?') {
        Some((path, query)) => {
            let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
            params.sort_unstable();
            format!("{path}?{}", params.join("&"))
        }
        None => url.to_string(),
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn until_reset(headers: &HeaderMap) -> Option<Duration> {
    let reset = header_u64(headers, "x-ratelimit-reset")?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    // One second more: the reset time is rounded down to the second.
    Some(Duration::from_secs(
        reset.saturating_sub(now).saturating_add(1),
    ))
}

/// How long to wait when the answer is a rate limit, and why: `retry-after`
/// (secondary limits), else the primary window's reset, else a minute.
fn rate_limit_wait(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
) -> Option<(Duration, &'static str)> {
    let retry_after = header_u64(headers, "retry-after").map(Duration::from_secs);
    let exhausted = header_u64(headers, "x-ratelimit-remaining") == Some(0);
    let says_so = body.to_ascii_lowercase().contains("rate limit");
    let limited = status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN && (retry_after.is_some() || exhausted || says_so));
    if !limited {
        return None;
    }
    Some(match (retry_after, exhausted) {
        (Some(wait), _) => (wait, "secondary rate limit"),
        (None, true) => (
            until_reset(headers).unwrap_or(SECONDARY_DEFAULT_WAIT),
            "the rate limit is used up",
        ),
        (None, false) => (SECONDARY_DEFAULT_WAIT, "secondary rate limit"),
    })
}

/// What the `Link` headers (RFC 8288) say comes after this page. A header that is
/// there but cannot be read, or a `rel="next"` entry without a `<URL>`, is malformed:
/// the listing must not pass for complete.
fn next_link(headers: &HeaderMap) -> Next {
    let mut next = None;
    for value in headers.get_all(http::header::LINK) {
        let Ok(text) = value.to_str() else {
            return Next::Malformed;
        };
        match parse_link(text) {
            Some(links) => {
                if let Some(url) = links.into_iter().find_map(|(url, rels)| {
                    rels.iter()
                        .any(|r| r.eq_ignore_ascii_case("next"))
                        .then_some(url)
                }) {
                    next.get_or_insert(url);
                }
            }
            None => return Next::Malformed,
        }
    }
    next.map_or(Next::Last, Next::Url)
}

/// The entries of one `Link` header: each target and its `rel` values; `None` when the
/// header does not have that shape.
fn parse_link(text: &str) -> Option<Vec<(String, Vec<String>)>> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        rest = rest.strip_prefix('<')?;
        let end = rest.find('>')?;
        let target = rest[..end].trim().to_string();
        rest = &rest[end + 1..];
        let mut rels = Vec::new();
        // Parameters, up to the comma that starts the next entry; a quoted value may
        // hold commas and semicolons.
        loop {
            rest = rest.trim_start();
            if let Some(after) = rest.strip_prefix(',') {
                rest = after.trim_start();
                break;
            }
            if rest.is_empty() {
                break;
            }
            rest = rest.strip_prefix(';')?.trim_start();
            let name_end = rest.find(['=', ';', ','])?;
            let name = rest[..name_end].trim();
            rest = &rest[name_end..];
            let value = match rest.strip_prefix('=') {
                Some(after) => {
                    let after = after.trim_start();
                    if let Some(quoted) = after.strip_prefix('"') {
                        let close = quoted.find('"')?;
                        rest = &quoted[close + 1..];
                        quoted[..close].to_string()
                    } else {
                        let end = after.find([';', ',']).unwrap_or(after.len());
                        rest = &after[end..];
                        after[..end].trim().to_string()
                    }
                }
                None => String::new(),
            };
            if name.eq_ignore_ascii_case("rel") {
                rels.extend(value.split_ascii_whitespace().map(str::to_string));
            }
        }
        if target.is_empty() {
            return None;
        }
        out.push((target, rels));
    }
    if out.is_empty() { None } else { Some(out) }
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
            next_link(&h),
            Next::Url("https://api.github.com/organizations/1/repos?page=2".into())
        );
        let last = headers(&[("link", "<https://x/y?page=1>; rel=\"prev\"")]);
        assert_eq!(next_link(&last), Next::Last);
        assert_eq!(next_link(&HeaderMap::new()), Next::Last);
        // A quoted list of relations, unquoted values, extra parameters, commas inside
        // quotes: still read.
        let varied = headers(&[(
            "link",
            "<https://x/a?page=9>; title=\"a, b; c\"; rel=\"last\" , <https://x/a?page=2>;rel=\"prev next\"",
        )]);
        assert_eq!(next_link(&varied), Next::Url("https://x/a?page=2".into()));
        let bare = headers(&[("link", "<https://x/a?page=2>; rel=next")]);
        assert_eq!(next_link(&bare), Next::Url("https://x/a?page=2".into()));
    }

    #[test]
    fn malformed_link_headers_are_not_taken_for_the_last_page() {
        for text in [
            "https://x/a?page=2; rel=\"next\"",
            "<https://x/a?page=2; rel=\"next\"",
            "<https://x/a?page=2>; rel=\"next",
            "<https://x/a?page=2> rel=\"next\"",
            "<>; rel=\"next\"",
            "garbage",
            ",",
        ] {
            assert_eq!(
                next_link(&headers(&[("link", text)])),
                Next::Malformed,
                "{text}"
            );
        }
        let mut h = HeaderMap::new();
        h.insert(
            http::header::LINK,
            http::HeaderValue::from_bytes(b"<https://x/\xff>; rel=\"next\"").unwrap(),
        );
        assert_eq!(next_link(&h), Next::Malformed);
    }

    #[test]
    fn page_keys_ignore_the_order_of_parameters() {
        assert_eq!(
            page_key("https://x/a?page=2&per_page=100"),
            page_key("https://x/a?per_page=100&page=2")
        );
        assert_ne!(
            page_key("https://x/a?page=2"),
            page_key("https://x/a?page=3")
        );
    }

    #[test]
    fn the_token_is_scrubbed_from_answers() {
        let token = "ghp_TESTtokenNEVERprinted0123456789abcd";
        let mut v = serde_json::json!({
            "description": format!("echo {token}!"),
            "nested": [{ token: format!("{token}{token}") }],
        });
        crate::sources::scrub(&mut v, token);
        assert!(!v.to_string().contains(token), "{v}");
        assert_eq!(v["description"], "echo [redacted]!");
    }

    #[test]
    fn rate_limits() {
        let secondary = headers(&[("retry-after", "3")]);
        assert_eq!(
            rate_limit_wait(StatusCode::FORBIDDEN, &secondary, "{}"),
            Some((Duration::from_secs(3), "secondary rate limit"))
        );
        assert_eq!(
            rate_limit_wait(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), ""),
            Some((SECONDARY_DEFAULT_WAIT, "secondary rate limit"))
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
            Some((Duration::from_secs(1), "the rate limit is used up"))
        );
        // A reset that overflows is a long wait, not a panic.
        let far = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "18446744073709551615"),
        ]);
        assert!(rate_limit_wait(StatusCode::FORBIDDEN, &far, "").is_some());
    }
}
