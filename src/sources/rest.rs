//! The HTTP client of one live crawl of a cloud's REST APIs, whatever the provider: a
//! bearer token from the provider's credentials ([`Tokens`]), `reqwest` for the calls,
//! and the rules the providers document alike — paging by page token or by next link
//! ([`Dialect::next_page`]), `429` (and a provider's quota word) and `5xx` retried with
//! exponential backoff (a `Retry-After` is honoured), `403` a permission error naming
//! the call and the permission it needs, `401` the end of the crawl. Every answer is
//! read as a stream up to a cap, every wait is charged to one budget, a next link must
//! stay on the host the listing started on, and the token is scrubbed from whatever the
//! server sends back.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Semaphore;

/// Where a crawl's bearer tokens come from. A token is fetched for every request (a
/// provider's library caches and refreshes it); the last one handed out is what is
/// scrubbed from answers.
pub trait Tokens: Send + Sync {
    fn token(&self) -> impl std::future::Future<Output = Result<String, String>> + Send;
    fn secret(&self) -> Option<String>;
}

/// What differs between providers' REST APIs: how an error answer reads, which status
/// word means a quota, and where the next page is.
pub trait Dialect: Send + Sync {
    /// The error object's status word (`PERMISSION_DENIED`, `Authorization_RequestDenied`)
    /// and its message (through [`clean_message`]).
    fn error_body(&self, body: &[u8], secret: Option<&str>) -> (String, String);
    /// Whether a `403` with this status word is a quota or throttling answer.
    fn is_quota(&self, word: &str) -> bool;
    /// Where the page after `page` is, if there is one.
    fn next_page(&self, page: &Value) -> Option<Next>;
}

/// The next page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// The same URL with this query parameter set (`pageToken=…`).
    Query(&'static str, String),
    /// A whole URL (`@odata.nextLink`), which must be on the listing's own host.
    Url(String),
}

/// What an error answer is read of: enough for Google's error object.
const ERROR_BODY_CAP: usize = 64 << 10;
/// The longest wait one `Retry-After` may ask for before the request fails instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// One REST method, as the provider's API description names it, and the permission a
/// caller needs for it (what a `403` tells the user to grant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    pub id: &'static str,
    pub permission: &'static str,
}

/// Why a call gave no answer. Shown with the call and its resource; never with a value
/// the server sent beyond the provider's status word and a short, cleaned message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("permission denied ({status}): the caller needs {permission} on {resource}")]
    Denied {
        status: String,
        permission: &'static str,
        resource: String,
    },
    #[error("the credentials were refused (401{}); the crawl stopped", detail(.0))]
    Unauthenticated(String),
    #[error("not found (404{})", detail(.0))]
    NotFound(String),
    #[error("HTTP {status}{}", detail(.message))]
    Status { status: u16, message: String },
    #[error("quota or rate limit still exceeded after {attempts} attempts ({word})")]
    Exhausted { attempts: u32, word: &'static str },
    #[error("no answer: {0}")]
    Transport(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the answer is larger than {limit} bytes; not read")]
    TooLarge { limit: usize },
    #[error("the answer is not JSON ({0})")]
    NotJson(String),
    #[error("the answer has no list `{0}` of the documented shape")]
    Shape(&'static str),
    #[error("the server sent the same page token twice; the listing stops there")]
    PageLoop,
    #[error("the next page is on another host; the listing stops there")]
    ForeignNextLink,
    #[error("more than {0} pages; the listing stops there")]
    TooManyPages(usize),
    #[error("the listing is larger than {0} bytes in all; it stops there")]
    ListingTooLarge(usize),
    #[error("the crawl's wait budget is spent; not retried")]
    BudgetSpent,
    #[error("not sent: the crawl stopped ({0})")]
    Halted(String),
    #[error("cannot get an access token: {0}")]
    Token(String),
}

fn detail(message: &str) -> String {
    if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    }
}

/// What a listing read: its items, and why it stopped early if it did (the items read
/// before are kept).
#[derive(Debug, Default)]
pub struct Listing {
    pub items: Vec<Value>,
    pub failure: Option<Failure>,
}

/// The client of one crawl.
pub struct Client<A: Tokens, D: Dialect> {
    http: reqwest::Client,
    auth: A,
    dialect: D,
    opts: Limits,
    permits: Semaphore,
    requests: AtomicU64,
    state: Mutex<State>,
}

/// What one crawl may spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The longest one request may take.
    pub http_timeout: Duration,
    /// Attempts per request for quota and server errors (the first plus retries).
    pub max_attempts: u32,
    /// The first backoff; it doubles with each retry.
    pub base_delay: Duration,
    /// All backoffs of the crawl together.
    pub max_wait: Duration,
    pub max_response_bytes: usize,
    /// Pages read of one listing.
    pub max_pages: usize,
    /// Bytes read of one listing, all its pages together.
    pub max_listing_bytes: usize,
}

impl Default for Limits {
    /// 8 requests in flight, 30 s each, 5 attempts from 500 ms of backoff, 10 minutes of
    /// waits per crawl, 32 MiB per answer, 10,000 pages and 512 MiB per listing.
    fn default() -> Self {
        Limits {
            concurrency: 8,
            http_timeout: Duration::from_secs(30),
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_wait: Duration::from_secs(600),
            max_response_bytes: 32 << 20,
            max_pages: 10_000,
            max_listing_bytes: 512 << 20,
        }
    }
}

#[derive(Default)]
struct State {
    spent: Duration,
    halt: Option<String>,
}

/// An answer: status, `Retry-After`, body (capped).
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

impl<A: Tokens, D: Dialect> Client<A, D> {
    pub fn new(limits: Limits, auth: A, dialect: D) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(limits.http_timeout.min(Duration::from_secs(15)))
            .user_agent(concat!("nhi-audit/", env!("CARGO_PKG_VERSION")))
            // A redirect would carry the token elsewhere: none is followed.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Client {
            http,
            auth,
            dialect,
            permits: Semaphore::new(limits.concurrency.max(1)),
            opts: Limits {
                max_attempts: limits.max_attempts.max(1),
                ..limits
            },
            requests: AtomicU64::new(0),
            state: Mutex::new(State::default()),
        })
    }

    /// The credentials the client signs in with.
    pub fn auth(&self) -> &A {
        &self.auth
    }

    /// Requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every page of a listing: `items` is the documented list field of each page.
    pub async fn list(
        &self,
        call: Call,
        resource: &str,
        url: &str,
        query: &[(&str, String)],
        items: &'static str,
    ) -> Listing {
        let mut listing = Listing::default();
        let mut next: Option<Next> = None;
        let mut seen = std::collections::BTreeSet::new();
        let mut bytes = 0usize;
        for _ in 0..self.opts.max_pages {
            let mut page_url = url.to_string();
            let mut q: Vec<(&str, String)> = query.to_vec();
            match &next {
                Some(Next::Query(param, value)) => q.push((param, value.clone())),
                // The link carries the query; nothing is added to it.
                Some(Next::Url(link)) => {
                    page_url = link.clone();
                    q.clear();
                }
                None => {}
            }
            let (mut page, size) = match self.fetch(call, resource, &page_url, &q).await {
                Ok(answer) => answer,
                Err(f) => {
                    listing.failure = Some(f);
                    return listing;
                }
            };
            bytes += size;
            if bytes > self.opts.max_listing_bytes {
                listing.failure = Some(Failure::ListingTooLarge(self.opts.max_listing_bytes));
                return listing;
            }
            if let Err(f) = take_items(&mut page, items, &mut listing.items) {
                listing.failure = Some(f);
                return listing;
            }
            next = match self.dialect.next_page(&page) {
                None => return listing,
                Some(Next::Url(link)) if !same_origin(url, &link) => {
                    listing.failure = Some(Failure::ForeignNextLink);
                    return listing;
                }
                Some(n) => {
                    let key = match &n {
                        Next::Query(_, v) | Next::Url(v) => v.clone(),
                    };
                    if !seen.insert(key) {
                        listing.failure = Some(Failure::PageLoop);
                        return listing;
                    }
                    Some(n)
                }
            };
        }
        listing.failure = Some(Failure::TooManyPages(self.opts.max_pages));
        listing
    }

    /// One answer's list `items`, for a method that does not page.
    pub async fn items(
        &self,
        call: Call,
        resource: &str,
        url: &str,
        items: &'static str,
    ) -> Listing {
        let mut listing = Listing::default();
        match self.fetch(call, resource, url, &[]).await {
            Ok((mut page, _)) => {
                if let Err(f) = take_items(&mut page, items, &mut listing.items) {
                    listing.failure = Some(f);
                }
            }
            Err(f) => listing.failure = Some(f),
        }
        listing
    }

    /// One GET and its answer's size, retried as Google documents for quota and server
    /// errors.
    async fn fetch(
        &self,
        call: Call,
        resource: &str,
        url: &str,
        query: &[(&str, String)],
    ) -> Result<(Value, usize), Failure> {
        let mut attempts = 0u32;
        loop {
            if let Some(why) = self.state().halt.clone() {
                return Err(Failure::Halted(why));
            }
            attempts += 1;
            let outcome = {
                let _permit = self.permits.acquire().await;
                self.requests.fetch_add(1, Ordering::Relaxed);
                tokio::time::timeout(self.opts.http_timeout, self.attempt(url, query)).await
            };
            let (failure, asked) = match outcome {
                // A server silent for a whole timeout gets one more chance, not five.
                Err(_elapsed) if attempts >= 2 => {
                    return Err(Failure::Timeout(self.opts.http_timeout));
                }
                Err(_elapsed) => (Failure::Timeout(self.opts.http_timeout), None),
                Ok(Err(f @ (Failure::TooLarge { .. } | Failure::Token(_)))) => return Err(f),
                Ok(Err(f)) => (f, None),
                Ok(Ok(answer)) => match self.judge(call, resource, answer) {
                    Ok(value) => return Ok(value),
                    Err((f, retry, asked)) if retry => (f, asked),
                    Err((f, _, _)) => return Err(f),
                },
            };
            if attempts >= self.opts.max_attempts {
                return Err(match failure {
                    Failure::Exhausted { word, .. } => Failure::Exhausted { attempts, word },
                    f => f,
                });
            }
            let backoff = self
                .opts
                .base_delay
                .saturating_mul(2u32.saturating_pow(attempts - 1));
            let delay = asked.map_or(backoff, |a: Duration| a.max(backoff));
            if delay > MAX_RETRY_AFTER || !self.charge(delay) {
                return Err(Failure::BudgetSpent);
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// The answer's meaning: its JSON, or a failure, whether to retry it, and the wait
    /// the server asked for.
    fn judge(
        &self,
        call: Call,
        resource: &str,
        answer: Answer,
    ) -> Result<(Value, usize), (Failure, bool, Option<Duration>)> {
        let secret = self.auth.secret();
        if (200..300).contains(&answer.status) {
            let mut value: Value = serde_json::from_slice(&answer.body).map_err(|e| {
                (
                    Failure::NotJson(crate::doc::json_error_kind(&e).into()),
                    false,
                    None,
                )
            })?;
            if let Some(token) = &secret {
                crate::sources::scrub(&mut value, token);
            }
            if !value.is_object() {
                return Err((Failure::NotJson("not an object".into()), false, None));
            }
            return Ok((value, answer.body.len()));
        }
        let (status_word, message) = self.dialect.error_body(&answer.body, secret.as_deref());
        let failure = match answer.status {
            401 => {
                let f = Failure::Unauthenticated(message);
                self.state().halt = Some("the credentials were refused".into());
                return Err((f, false, None));
            }
            403 if self.dialect.is_quota(&status_word) => Failure::Exhausted {
                attempts: 1,
                word: "403",
            },
            403 => {
                return Err((
                    Failure::Denied {
                        status: if status_word.is_empty() {
                            "403".into()
                        } else {
                            format!("403 {status_word}")
                        },
                        permission: call.permission,
                        resource: resource.to_string(),
                    },
                    false,
                    None,
                ));
            }
            404 => return Err((Failure::NotFound(message), false, None)),
            429 => Failure::Exhausted {
                attempts: 1,
                word: "429",
            },
            s if s >= 500 => Failure::Status { status: s, message },
            s => return Err((Failure::Status { status: s, message }, false, None)),
        };
        Err((failure, true, answer.retry_after))
    }

    /// One request and its whole answer, the body read as a stream up to the cap.
    async fn attempt(&self, url: &str, query: &[(&str, String)]) -> Result<Answer, Failure> {
        let token = self.auth.token().await.map_err(Failure::Token)?;
        let mut resp = self
            .http
            .get(url)
            .query(query)
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| Failure::Transport(transport_text(&e)))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let ok = (200..300).contains(&status);
        let cap = if ok {
            self.opts.max_response_bytes
        } else {
            ERROR_BODY_CAP
        };
        let too_large = Failure::TooLarge {
            limit: self.opts.max_response_bytes,
        };
        if ok && resp.content_length().is_some_and(|n| n > cap as u64) {
            return Err(too_large);
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| Failure::Transport(transport_text(&e)))?
        {
            if body.len() + chunk.len() > cap {
                if ok {
                    return Err(too_large);
                }
                body.extend_from_slice(&chunk[..cap - body.len()]);
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    /// Charges a wait to the crawl's budget; false when it does not fit.
    fn charge(&self, delay: Duration) -> bool {
        let mut state = self.state();
        if state.spent + delay > self.opts.max_wait {
            return false;
        }
        state.spent += delay;
        true
    }
}

/// A message from a server or a library, fit to show: on one line, cut to 200
/// characters, without the token, and withheld whole when it quotes anything the secret
/// scanner recognises.
pub fn clean_message(text: &str, secret: Option<&str>) -> String {
    let mut message: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    if let Some(token) = secret.filter(|t| !t.is_empty()) {
        message = message.replace(token, "[redacted]");
    }
    if !crate::secrets::SecretScanner::builtin()
        .scan(&message)
        .is_empty()
    {
        message = "(message withheld: it quotes a credential-like value)".into();
    }
    message
}

/// Whether `link` is on the host (scheme, host and port) of `base`.
fn same_origin(base: &str, link: &str) -> bool {
    match (reqwest::Url::parse(base), reqwest::Url::parse(link)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// Moves the list `key` of a page into `into`; an API may leave an empty list out.
fn take_items(page: &mut Value, key: &'static str, into: &mut Vec<Value>) -> Result<(), Failure> {
    match page.get_mut(key).map(Value::take) {
        Some(Value::Array(list)) => {
            into.extend(list);
            Ok(())
        }
        None | Some(Value::Null) => Ok(()),
        Some(_) => Err(Failure::Shape(key)),
    }
}

/// A transport error with its causes, on one line.
fn transport_text(err: &reqwest::Error) -> String {
    let mut text = if err.is_connect() {
        "cannot connect".to_string()
    } else if err.is_timeout() {
        "timed out".to_string()
    } else {
        "the connection failed".to_string()
    };
    let causes = std::error::Error::source(err).map(crate::text::error_chain);
    if let Some(causes) = causes.filter(|c| !c.is_empty()) {
        text.push_str(": ");
        text.push_str(&causes);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::{Mock, MockServer, Request, ResponseTemplate};

    /// A next-link dialect, as Microsoft Graph pages (`@odata.nextLink`).
    struct Links;

    impl Dialect for Links {
        fn error_body(&self, _body: &[u8], _secret: Option<&str>) -> (String, String) {
            (String::new(), String::new())
        }
        fn is_quota(&self, _word: &str) -> bool {
            false
        }
        fn next_page(&self, page: &Value) -> Option<Next> {
            page.get("@odata.nextLink")
                .and_then(Value::as_str)
                .map(|l| Next::Url(l.to_string()))
        }
    }

    struct Fixed;

    impl Tokens for Fixed {
        async fn token(&self) -> Result<String, String> {
            Ok("unit-test-token".into())
        }
        fn secret(&self) -> Option<String> {
            Some("unit-test-token".into())
        }
    }

    fn limits() -> Limits {
        Limits {
            http_timeout: Duration::from_secs(5),
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_pages: 10,
            ..Limits::default()
        }
    }

    const CALL: Call = Call {
        id: "test.list",
        permission: "Test.Read.All",
    };

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn next_links_are_followed_on_their_host_only_and_redirects_never() {
        run(async {
            let server = MockServer::start().await;
            let base = server.uri();
            let elsewhere = "http://192.0.2.1:9/v1.0/items?$skiptoken=x".to_string();
            let own = base.clone();
            Mock::given(wiremock::matchers::any())
                .respond_with(move |req: &Request| {
                    let page = req
                        .url
                        .query_pairs()
                        .find(|(k, _)| k == "$skiptoken")
                        .map(|(_, v)| v.to_string());
                    let path = req.url.path().to_string();
                    match (path.as_str(), page.as_deref()) {
                        ("/redirect", _) => {
                            ResponseTemplate::new(302).insert_header("location", elsewhere.as_str())
                        }
                        ("/foreign", _) => ResponseTemplate::new(200).set_body_json(
                            serde_json::json!({"value": [1], "@odata.nextLink": elsewhere}),
                        ),
                        (_, None) => ResponseTemplate::new(200).set_body_json(serde_json::json!({
                            "value": [1, 2],
                            "@odata.nextLink": format!("{own}/v1.0/items?$skiptoken=2"),
                        })),
                        (_, Some(_)) => ResponseTemplate::new(200)
                            .set_body_json(serde_json::json!({"value": [3]})),
                    }
                })
                .mount(&server)
                .await;
            let client = Client::new(limits(), Fixed, Links).unwrap();
            let all = client
                .list(CALL, "items", &format!("{base}/v1.0/items"), &[], "value")
                .await;
            assert_eq!(all.failure, None);
            assert_eq!(all.items, [1, 2, 3].map(Value::from));

            let foreign = client
                .list(CALL, "items", &format!("{base}/foreign"), &[], "value")
                .await;
            assert_eq!(foreign.failure, Some(Failure::ForeignNextLink));
            assert_eq!(foreign.items, [Value::from(1)]);

            let redirected = client
                .list(CALL, "items", &format!("{base}/redirect"), &[], "value")
                .await;
            assert!(
                matches!(
                    redirected.failure,
                    Some(Failure::Status { status: 302, .. })
                ),
                "{:?}",
                redirected.failure
            );
            // Three listings, four pages: nothing went to the other host.
            assert_eq!(client.requests(), 4);
        });
    }
}
