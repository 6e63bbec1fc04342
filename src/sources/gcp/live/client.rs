//! Google's side of the REST client ([`crate::sources::rest`]): Google's error object,
//! `RESOURCE_EXHAUSTED` as a quota answer, `pageToken` / `nextPageToken` paging, and the
//! crawl's credentials ([`Auth`]) as the client's tokens.

use serde_json::Value;

use super::{Auth, Endpoints, LiveOptions};
#[cfg(test)]
pub use crate::sources::rest::Failure;
use crate::sources::rest::{self, Dialect, Next, Tokens};
pub use crate::sources::rest::{Call, Listing, clean_message};

/// The OAuth scope every call here is documented with (Cloud Asset has no read-only one).
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// How Google's REST APIs answer.
pub struct Google;

impl Dialect for Google {
    fn error_body(&self, body: &[u8], secret: Option<&str>) -> (String, String) {
        error_body(body, secret)
    }

    fn is_quota(&self, word: &str) -> bool {
        word == "RESOURCE_EXHAUSTED"
    }

    fn next_page(&self, page: &Value) -> Option<Next> {
        page.get("nextPageToken")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(|t| Next::Query("pageToken", t.to_string()))
    }
}

impl Tokens for Auth {
    fn token(&self) -> impl std::future::Future<Output = Result<String, String>> + Send {
        self.access_token()
    }

    fn secret(&self) -> Option<String> {
        self.last_token()
    }
}

/// The client of one Google Cloud crawl, with the endpoints its calls go to.
pub struct Client {
    rest: rest::Client<Auth, Google>,
    pub endpoints: Endpoints,
}

impl Client {
    pub fn new(opts: &LiveOptions, auth: Auth) -> Result<Client, String> {
        Ok(Client {
            rest: rest::Client::new(opts.limits.clone(), auth, Google)?,
            endpoints: opts.endpoints.clone(),
        })
    }

    /// Requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.rest.requests()
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
        self.rest.list(call, resource, url, query, items).await
    }

    /// One answer's list `items`, for a method that does not page.
    pub async fn items(
        &self,
        call: Call,
        resource: &str,
        url: &str,
        items: &'static str,
    ) -> Listing {
        self.rest.items(call, resource, url, items).await
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
                limits: rest::Limits {
                    max_listing_bytes: 10_000,
                    ..Default::default()
                },
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
