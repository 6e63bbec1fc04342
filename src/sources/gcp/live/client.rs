//! The HTTP client of one Google Cloud crawl: a bearer token from Application Default
//! Credentials (or a token the caller minted), `reqwest` for the REST calls, and the
//! rules Google documents for them — `pageToken` / `nextPageToken` paging, `429` and
//! `RESOURCE_EXHAUSTED` (quota) and `5xx` retried with exponential backoff (a
//! `Retry-After` is honoured), `403` a permission error naming the call and the
//! permission it needs, `401` the end of the crawl. Every answer is read as a stream up
//! to a cap, every wait is charged to one budget, and the token is scrubbed from
//! whatever the server sends back.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::Semaphore;

use super::{Auth, Endpoints, LiveOptions};

/// The OAuth scope every call here is documented with (Cloud Asset has no read-only one).
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// What an error answer is read of: enough for Google's error object.
const ERROR_BODY_CAP: usize = 64 << 10;
/// The longest wait one `Retry-After` may ask for before the request fails instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// One REST method, as Google's discovery document names it, and the permission a
/// caller needs for it (what a `403` tells the user to grant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    pub id: &'static str,
    pub permission: &'static str,
}

/// Why a call gave no answer. Shown with the call and its resource; never with a value
/// the server sent beyond Google's status word and a short, cleaned message.
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
    #[error("quota or rate limit still exceeded after {0} attempts (429 RESOURCE_EXHAUSTED)")]
    Exhausted(u32),
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
pub struct Client {
    http: reqwest::Client,
    auth: Auth,
    pub endpoints: Endpoints,
    opts: Limits,
    permits: Semaphore,
    requests: AtomicU64,
    state: Mutex<State>,
}

#[derive(Debug, Clone)]
struct Limits {
    http_timeout: Duration,
    max_attempts: u32,
    base_delay: Duration,
    max_wait: Duration,
    max_response_bytes: usize,
    max_pages: usize,
    max_listing_bytes: usize,
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

impl Client {
    pub fn new(opts: &LiveOptions, auth: Auth) -> Result<Client, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(opts.http_timeout.min(Duration::from_secs(15)))
            .user_agent(concat!("nhi-audit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Client {
            http,
            auth,
            endpoints: opts.endpoints.clone(),
            opts: Limits {
                http_timeout: opts.http_timeout,
                max_attempts: opts.max_attempts.max(1),
                base_delay: opts.base_delay,
                max_wait: opts.max_wait,
                max_response_bytes: opts.max_response_bytes,
                max_pages: opts.max_pages,
                max_listing_bytes: opts.max_listing_bytes,
            },
            permits: Semaphore::new(opts.concurrency.max(1)),
            requests: AtomicU64::new(0),
            state: Mutex::new(State::default()),
        })
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
        let mut token: Option<String> = None;
        let mut seen = std::collections::BTreeSet::new();
        let mut bytes = 0usize;
        for _ in 0..self.opts.max_pages {
            let mut q: Vec<(&str, String)> = query.to_vec();
            if let Some(t) = &token {
                q.push(("pageToken", t.clone()));
            }
            let (mut page, size) = match self.fetch(call, resource, url, &q).await {
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
            match page.get("nextPageToken").and_then(Value::as_str) {
                Some(next) if !next.is_empty() => {
                    if !seen.insert(next.to_string()) {
                        listing.failure = Some(Failure::PageLoop);
                        return listing;
                    }
                    token = Some(next.to_string());
                }
                _ => return listing,
            }
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
                    Failure::Exhausted(_) => Failure::Exhausted(attempts),
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
        let (status_word, message) = error_body(&answer.body, secret.as_deref());
        let failure = match answer.status {
            401 => {
                let f = Failure::Unauthenticated(message);
                self.state().halt = Some("the credentials were refused".into());
                return Err((f, false, None));
            }
            403 if status_word == "RESOURCE_EXHAUSTED" => Failure::Exhausted(1),
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
            429 => Failure::Exhausted(1),
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

/// Google's error object (`{"error": {"code", "message", "status"}}`): its status word
/// and its message, cut short, on one line, without the token.
fn error_body(body: &[u8], secret: Option<&str>) -> (String, String) {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return (String::new(), String::new());
    };
    let error = &value["error"];
    let word = error["status"]
        .as_str()
        .filter(|w| w.len() <= 40 && w.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
        .unwrap_or_default()
        .to_string();
    let message = clean_message(error["message"].as_str().unwrap_or_default(), secret);
    (word, message)
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

/// Moves the list `key` of a page into `into`; Google leaves an empty list out.
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

    #[test]
    fn google_error_bodies_give_their_status_and_a_clean_message() {
        let body = br#"{"error": {"code": 403, "message": "The caller does not have permission\non x", "status": "PERMISSION_DENIED"}}"#;
        let (word, message) = error_body(body, None);
        assert_eq!(word, "PERMISSION_DENIED");
        assert_eq!(message, "The caller does not have permission on x");
        let (word, message) = error_body(b"<html>502</html>", None);
        assert_eq!((word.as_str(), message.as_str()), ("", ""));
        let echoed = br#"{"error": {"message": "bad token ya29.SECRET", "status": "lower case"}}"#;
        let (word, message) = error_body(echoed, Some("ya29.SECRET"));
        assert_eq!(word, "");
        assert_eq!(message, "bad token [redacted]");
        let quoted = format!("bad key {}", ["AKIA", "Z3NTRQ5VX7JMW2PL"].concat());
        assert!(clean_message(&quoted, None).starts_with("(message withheld"));
    }

    /// A listing whose pages add up past the cap stops there, keeping what was read.
    #[test]
    fn a_listing_stops_at_its_byte_cap() {
        use wiremock::{Mock, MockServer, Request, ResponseTemplate};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let server = MockServer::start().await;
            // Endless pages of 100 items, each page's token new.
            Mock::given(wiremock::matchers::any())
                .respond_with(|req: &Request| {
                    let n: usize = req
                        .url
                        .query_pairs()
                        .find(|(k, _)| k == "pageToken")
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(0);
                    ResponseTemplate::new(200).set_body_json(serde_json::json!({
                        "accounts": vec![serde_json::json!({"email": "a@b"}); 100],
                        "nextPageToken": (n + 1).to_string(),
                    }))
                })
                .mount(&server)
                .await;
            let opts = LiveOptions {
                token: Some("ya29.unit-test-token".to_string().into()),
                max_listing_bytes: 10_000,
                ..Default::default()
            };
            let auth = Auth::new(opts.token.as_ref()).await.unwrap();
            let client = Client::new(&opts, auth).unwrap();
            let call = Call {
                id: "iam.projects.serviceAccounts.list",
                permission: "iam.serviceAccounts.list",
            };
            let url = format!("{}/v1/projects/p/serviceAccounts", server.uri());
            let listing = client.list(call, "projects/p", &url, &[], "accounts").await;
            assert_eq!(
                listing.failure,
                Some(Failure::ListingTooLarge(10_000)),
                "{} items, {} requests",
                listing.items.len(),
                client.requests()
            );
            assert!(!listing.items.is_empty() && listing.items.len() < 1000);
            assert!(client.requests() < 10, "{}", client.requests());
        });
    }
}
