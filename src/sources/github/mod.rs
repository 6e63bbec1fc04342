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
mod progress;
mod source;

use std::time::Duration;

pub use crawl::crawl;
pub use export::{EXPORT_FILE, EXPORT_SCHEMA, GithubExport, OrgExport, RepoExport, WorkflowExport};
pub use normalize::normalize;
pub use source::{GithubSource, Request};

use crate::model::{SourceError, SourceKind};

/// The public GitHub API; GitHub Enterprise Server serves it under `https://HOST/api/v3`.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// Requests in flight at once when the options leave it at 0.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The longest one request may take, from connecting to the last byte of the answer.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest a crawl may spend without answers: rate-limit pauses, retry backoffs and
/// requests that timed out, added up.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(10 * 60);

/// How to reach GitHub live.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub api_url: String,
    /// The token; redacted in `Debug`, never written anywhere.
    pub token: Option<octocrab::secrecy::SecretString>,
    pub orgs: Vec<String>,
    /// Requests in flight at once (1: one after the other).
    pub concurrency: usize,
    /// What the crawl shows on stderr while it runs.
    pub progress: Progress,
    pub retry: RetryPolicy,
    pub limits: Limits,
    /// Also read each organisation's audit log (`GET /orgs/{org}/audit-log`).
    pub audit_log: Option<AuditLogOptions>,
}

/// What of the audit log to read: the `days` before now (the `phrase`
/// `created:>=YYYY-MM-DD`), Git events included (`include=all`), newest first, at most
/// `max_pages` pages of 100 entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditLogOptions {
    pub days: u32,
    pub max_pages: usize,
}

/// Pages of the audit log read per organisation unless told otherwise.
pub const DEFAULT_AUDIT_LOG_PAGES: usize = 100;

/// What the crawl shows on stderr while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Nothing (library callers, benchmarks).
    Hidden,
    /// A progress bar that also shows rate-limit waits (a terminal).
    Bar,
    /// One line per rate-limit wait, a few at most (CI logs, pipes).
    Lines,
}

/// Retries and waits: transient failures back off exponentially, rate limits wait for
/// as long as GitHub asks, and all of it together within `max_wait` per crawl.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request for 5xx answers, network errors and timeouts (the first plus
    /// retries).
    pub max_attempts: u32,
    /// The first backoff; it doubles with each retry.
    pub base_delay: Duration,
    /// The crawl's budget of time without answers: rate-limit pauses, backoffs and
    /// timed-out requests. A wait that does not fit fails its request; once it is spent
    /// nothing is retried, and a request that times out stops the requests not yet sent.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_wait: DEFAULT_MAX_WAIT,
        }
    }
}

/// Bounds on what one crawl reads, so that no answer can hold it or fill memory.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The longest one request may take, connection and whole body included.
    pub http_timeout: Duration,
    /// The largest answer read; reading stops there (a workflow file, the largest the
    /// contents API returns inline, is under 1.4 MB encoded).
    pub max_response_bytes: usize,
    /// Pages read of one listing (100 items each).
    pub max_pages: usize,
    /// Bytes read of one listing, all its pages together.
    pub max_listing_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            http_timeout: DEFAULT_HTTP_TIMEOUT,
            max_response_bytes: 8 << 20,
            max_pages: 1000,
            max_listing_bytes: 256 << 20,
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
            progress: Progress::Hidden,
            retry: RetryPolicy::default(),
            limits: Limits::default(),
            audit_log: None,
        }
    }
}

/// Recognises a GitHub export by content: its schema key near the start.
pub fn recognise(text: &str) -> bool {
    let head = crate::sources::head(text);
    // The schema key at the top level of a JSON object, with this schema's value.
    crate::doc::json_top_level_keys(head).is_some_and(|keys| {
        keys.iter()
            .any(|(k, v)| k == "schema" && v.as_deref() == Some(EXPORT_SCHEMA))
    })
}

/// [`recognise`] for the source registry.
pub fn recognise_export(text: &str) -> Option<&'static str> {
    recognise(text).then_some("github-export")
}

/// Reads an export written by `nhi-audit export github`. An invalid file is an error
/// naming the line; the crawl errors it recorded come back as source errors.
pub fn read_export(text: &str, shown: &str, errors: &mut Vec<SourceError>) -> Option<GithubExport> {
    match crate::doc::from_json::<GithubExport>(text) {
        Ok(export) if export.schema == EXPORT_SCHEMA => Some(export),
        // The file's values stay out of the messages: its line and column say where.
        Ok(_) => {
            errors.push(SourceKind::Github.error(
                shown,
                format!("unknown export schema (expected {EXPORT_SCHEMA})"),
            ));
            None
        }
        Err(e) => {
            errors.push(SourceKind::Github.json_error(shown, &e, "not a valid GitHub export"));
            None
        }
    }
}
