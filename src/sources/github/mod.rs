//! The `github` source: an organisation's app installations, fine-grained PAT grants,
//! deploy keys, Actions secrets (names and dates only), default workflow token
//! permissions and workflow files, live through `octocrab` or offline from an export.
//!
//! The live crawl ([`crawl`]) and the offline reader ([`read_export`]) both give a
//! [`GithubExport`], the API responses as GitHub returned them; one normaliser
//! ([`normalize`]) turns that into inventory, so a live scan and a scan of its export
//! give the same inventory.

mod api;
mod apps;
mod client;
mod crawl;
mod export;
mod normalize;

use std::time::Duration;

pub use crawl::crawl;
pub use export::{EXPORT_FILE, EXPORT_SCHEMA, GithubExport, OrgExport, RepoExport, WorkflowExport};
pub use normalize::normalize;

use crate::model::{SourceError, SourceKind};

/// The public GitHub API; GitHub Enterprise Server serves it under `https://HOST/api/v3`.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// Requests in flight at once when the options leave it at 0.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// How to reach GitHub live.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub api_url: String,
    /// The token; redacted in `Debug`, never written anywhere.
    pub token: Option<octocrab::secrecy::SecretString>,
    pub orgs: Vec<String>,
    /// Requests in flight at once (1: one after the other).
    pub concurrency: usize,
    /// A progress bar on stderr (terminals only).
    pub progress: bool,
    pub retry: RetryPolicy,
}

/// Retries of one request: transient failures back off exponentially; rate limits wait
/// for as long as GitHub asks, up to `max_wait`.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request for 5xx and network errors (the first plus retries).
    pub max_attempts: u32,
    /// The first backoff; it doubles with each retry.
    pub base_delay: Duration,
    /// The longest a rate limit may pause the crawl; past it the request fails.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_wait: Duration::from_secs(15 * 60),
        }
    }
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            api_url: DEFAULT_API_URL.into(),
            token: None,
            orgs: Vec::new(),
            concurrency: DEFAULT_CONCURRENCY,
            progress: false,
            retry: RetryPolicy::default(),
        }
    }
}

/// Recognises a GitHub export by content: its schema key near the start.
pub fn recognise(text: &str) -> bool {
    let head = &text[..text.floor_char_boundary(text.len().min(4096))];
    // The schema key at the top level of a JSON object, with this schema's value.
    crate::doc::json_top_level_keys(head).is_some_and(|keys| {
        keys.iter()
            .any(|(k, v)| k == "schema" && v.as_deref() == Some(EXPORT_SCHEMA))
    })
}

/// Reads an export written by `nhi-audit export github`. An invalid file is an error
/// naming the line; the crawl errors it recorded come back as source errors.
pub fn read_export(text: &str, shown: &str, errors: &mut Vec<SourceError>) -> Option<GithubExport> {
    match crate::doc::from_json::<GithubExport>(text) {
        Ok(export) if export.schema == EXPORT_SCHEMA => Some(export),
        Ok(export) => {
            errors.push(error(
                shown,
                format!(
                    "unknown export schema `{}` (expected {EXPORT_SCHEMA})",
                    export.schema
                ),
            ));
            None
        }
        Err(e) => {
            errors.push(error(
                &format!("{shown}:{}:{}", e.line, e.column),
                format!("not a valid GitHub export: {e}"),
            ));
            None
        }
    }
}

fn error(location: &str, message: impl Into<String>) -> SourceError {
    SourceError {
        source: SourceKind::Github,
        location: location.to_string(),
        message: message.into(),
    }
}
