//! What identities were seen doing in activity logs (CloudTrail, the GitHub audit log,
//! Cloud Audit Logs, the Azure activity log and Entra sign-ins): one record per acting
//! principal, summed while the logs stream past, never the events themselves.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::AccessLevel;
use super::kinds::Provider;

/// How many distinct values of an open-ended field (resources of one action, source
/// addresses, user agents, session names) one record keeps; the count goes on.
pub const KEPT: usize = 20;

/// The window that decides "used" and "unused": the `days` before `end`, the newest
/// event the logs hold (not the clock, so that the same logs give the same answer on any
/// day; an event dated in the future is not taken as the end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ActivityWindow {
    pub days: u32,
    /// RFC 3339.
    pub start: String,
    /// RFC 3339.
    pub end: String,
    /// Log files read (and the records in them).
    pub files: u64,
    pub events: u64,
}

/// One action as a principal used it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionUse {
    /// `s3:GetObject`, `git.push`, `storage.objects.get`,
    /// `Microsoft.Storage/storageAccounts/listKeys/action`.
    pub action: String,
    /// The access level, where the provider's action catalogue knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<AccessLevel>,
    /// Calls that succeeded.
    pub count: u64,
    /// Calls the provider refused (`AccessDenied`, `PERMISSION_DENIED`, `Failed`): tried,
    /// not used, and never put in a suggested policy.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub denied: u64,
    /// RFC 3339.
    pub first: String,
    pub last: String,
    /// The resources it acted on (at most [`KEPT`]); `resources_more` says how many
    /// others there were. Empty when the logs name none (a `List*` call).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resources_more: u64,
    /// Calls that succeeded naming no resource: a policy of what was used must allow the
    /// action on `*` (or on resources a person names).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unscoped: u64,
}

/// One principal's activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Activity {
    /// The principal as the logs name it, and the key it joins the inventory on: an IAM
    /// role or user ARN (a role session is its role's), `github:token:<id>` (or
    /// `github:hashed-token:<hash>` when the log gives no id), `github:app:<org>/<app>`
    /// (a GitHub App's tokens), `github:user:<login>`, a service account's email, a
    /// service principal's id.
    pub principal: String,
    pub provider: Provider,
    /// The inventory identity it was joined to (`aws:arn:…`); absent when no source
    /// listed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Access key ids, token ids and hashed tokens it acted with.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    pub events: u64,
    pub first: String,
    pub last: String,
    /// By action name.
    pub actions: Vec<ActionUse>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_ips: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_agents: Vec<String>,
    /// Agent clients its user agents announce (`claude-code`, `aws-mcp-server`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agent_clients: Vec<String>,
    /// Role sessions (or tokens minted for it) seen, and how many carried an identity
    /// that ties them to whoever started them (an STS `SourceIdentity`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sessions: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sessions_attributed: u64,
    /// Session names (at most [`KEPT`]), and whether one name served several sessions
    /// (`GitHubActions` on every run): then a name does not tell runs apart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub session_names: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub session_names_reused: bool,
    /// How it authenticated, as the log says (the GitHub audit log's
    /// `programmatic_access_type`: `Personal access token (classic)`, `GitHub App
    /// server-to-server token`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_types: Vec<String>,
}

impl Activity {
    pub fn new(principal: impl Into<String>, provider: Provider) -> Self {
        Activity {
            principal: principal.into(),
            provider,
            identity: None,
            keys: Vec::new(),
            events: 0,
            first: String::new(),
            last: String::new(),
            actions: Vec::new(),
            source_ips: Vec::new(),
            user_agents: Vec::new(),
            agent_clients: Vec::new(),
            sessions: 0,
            sessions_attributed: 0,
            session_names: Vec::new(),
            session_names_reused: false,
            access_types: Vec::new(),
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
