use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Location;
use super::kinds::{AgentKind, ChangeKind, CredentialKind, IdentityKind, Provider};

/// How sure we are that something is what we say it is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// The access level of a grant, from least to most powerful.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum AccessLevel {
    None,
    List,
    Read,
    Write,
    PermissionsManagement,
    Admin,
}

impl AccessLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::None => "none",
            AccessLevel::List => "list",
            AccessLevel::Read => "read",
            AccessLevel::Write => "write",
            AccessLevel::PermissionsManagement => "permissions-management",
            AccessLevel::Admin => "admin",
        }
    }
}

/// How long a credential lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Lifetime {
    /// A key or token that lives until someone revokes it.
    Static,
    /// Minted per run or per session (OIDC, instance roles, the workflow token).
    ShortLived,
    /// A name that points at a secret held elsewhere; the lifetime is that secret's.
    Reference,
}

/// Where the credential material is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Storage {
    /// The value is written in the file.
    Hardcoded,
    /// `${VAR}`, `$VAR`, `${env:VAR}`: read from the environment of the process.
    EnvReference,
    /// `${{ secrets.NAME }}`: a GitHub Actions secret.
    SecretStore,
    /// `${input:id}`: asked from the user at start.
    Prompt,
    /// Minted by the platform (OIDC federation, the workflow `GITHUB_TOKEN`).
    Platform,
    /// Issued by the provider to its holder (an IAM access key, a PAT); where the holder
    /// keeps it is not known from the provider's side.
    Issued,
}

/// Which source produced an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Repo,
    Aws,
    Github,
    Gcp,
    Azure,
    /// Infrastructure code: Terraform and Kubernetes manifests in the scanned files.
    Iac,
    /// Activity logs (`--activity`): CloudTrail, the GitHub audit log, Cloud Audit Logs,
    /// the Azure activity log, Entra sign-ins.
    Activity,
}

/// Why we believe something: a sentence and where it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Evidence {
    pub fn new(description: impl Into<String>, location: Option<Location>) -> Self {
        Evidence {
            description: description.into(),
            location,
        }
    }
}

/// An AI assistant or agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Agent {
    /// Stable id, e.g. `repo:.github/workflows/claude.yml#/jobs/claude`.
    pub id: String,
    pub name: String,
    pub kind: AgentKind,
    pub confidence: Confidence,
    pub evidence: Vec<Evidence>,
    pub source: SourceKind,
    pub locations: Vec<Location>,
    /// Kind-specific facts the rules judge (triggers, permissions, tools, servers, …).
    #[serde(default)]
    pub facts: BTreeMap<String, serde_json::Value>,
}

/// A principal or token that can act.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Identity {
    /// Stable id: `aws:arn:…`, `github:installation:123`, `repo:<path>#<pointer>`, …
    pub id: String,
    pub kind: IdentityKind,
    pub provider: Provider,
    pub name: String,
    /// Ids of the agents that hold it.
    pub agents: Vec<String>,
    /// The highest access level of its grants; absent when unknown.
    pub access_level: Option<AccessLevel>,
    pub owner: Option<String>,
    /// True when the identity belongs to a person rather than a workload (a classic PAT).
    #[serde(default)]
    pub human: bool,
    pub created_at: Option<String>,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub credentials: Vec<String>,
    pub locations: Vec<Location>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Provider-specific facts the rules judge (keys, trust, escalations, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub facts: BTreeMap<String, serde_json::Value>,
}

impl Identity {
    /// An identity with nothing known yet but what it is: no holders, level, dates,
    /// credentials, locations, tags or facts.
    pub fn new(
        id: impl Into<String>,
        kind: impl Into<IdentityKind>,
        provider: impl Into<Provider>,
        name: impl Into<String>,
    ) -> Self {
        Identity {
            id: id.into(),
            kind: kind.into(),
            provider: provider.into(),
            name: name.into(),
            agents: Vec::new(),
            access_level: None,
            owner: None,
            human: false,
            created_at: None,
            last_used_at: None,
            expires_at: None,
            credentials: Vec::new(),
            locations: Vec::new(),
            tags: Default::default(),
            facts: Default::default(),
        }
    }
}

/// The secret material of an identity, or a reference to it. Never the value itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Credential {
    /// Stable id: `secret:<fingerprint>` for literals, `github-secret:<scope>/<NAME>`, `env:<NAME>`.
    pub id: String,
    /// The detector's kind for literals (`openai-api-key`, …), else what the source says.
    pub kind: CredentialKind,
    pub provider: Provider,
    pub lifetime: Lifetime,
    pub storage: Storage,
    /// Stable, non-reversible fingerprint of the value (literals only).
    pub fingerprint: Option<String>,
    /// A redacted preview: a few leading characters and the length.
    pub preview: Option<String>,
    /// The variable or secret name that carries it, when there is one.
    pub name: Option<String>,
    pub identity: Option<String>,
    pub confidence: Confidence,
    pub locations: Vec<Location>,
    pub created_at: Option<String>,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    /// A non-secret identifier of the key, where the provider shows one (an AWS access
    /// key id; a GitHub token's `hashed_token`, the base64 of its SHA-256, as the audit
    /// log names it): what joins a key found in a config to the principal that owns it,
    /// or to what the activity logs saw it do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

impl Credential {
    /// A credential with what every one has; the rest (where it is, its name, its
    /// identity, dates) is filled in with struct update syntax.
    pub fn new(
        id: impl Into<String>,
        kind: impl Into<CredentialKind>,
        provider: impl Into<Provider>,
        lifetime: Lifetime,
        storage: Storage,
        confidence: Confidence,
    ) -> Self {
        Credential {
            id: id.into(),
            kind: kind.into(),
            provider: provider.into(),
            lifetime,
            storage,
            fingerprint: None,
            preview: None,
            name: None,
            identity: None,
            confidence,
            locations: Vec::new(),
            created_at: None,
            expires_at: None,
            last_used_at: None,
            key_id: None,
        }
    }
}

/// A permission an identity has: actions on resources, with an access level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Grant {
    pub identity: String,
    /// A permission or action pattern, e.g. `contents` or `s3:Get*`.
    pub action: String,
    pub resource: String,
    pub effect: Effect,
    pub access_level: AccessLevel,
    /// The policy or permissions block it came from.
    pub source: String,
    pub location: Option<Location>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Allow,
    Deny,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    Holds,
    Assumes,
    Escalates,
    Triggers,
    Delegates,
    Shares,
    /// Whoever is at `from` writes what the agent at `to` reads: the outside
    /// ([`crate::analysis::exposure::OUTSIDE`]) steers agents that read untrusted input.
    Steers,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Holds => "holds",
            EdgeKind::Assumes => "assumes",
            EdgeKind::Escalates => "escalates",
            EdgeKind::Triggers => "triggers",
            EdgeKind::Delegates => "delegates",
            EdgeKind::Shares => "shares",
            EdgeKind::Steers => "steers",
        }
    }
}

/// A directed relation between agents, identities and credentials.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Edge {
    pub kind: EdgeKind,
    pub from: String,
    pub to: String,
    pub evidence: String,
    pub location: Option<Location>,
}

/// Something a source could not read, and why. Never fatal to the run.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct SourceError {
    pub source: SourceKind,
    /// `path:line:column`, a path, or an API call.
    pub location: String,
    pub message: String,
}

impl SourceKind {
    /// What this source could not read at `location` (`path:line:col`, a path, an API
    /// call), and why.
    pub fn error(self, location: impl Into<String>, message: impl Into<String>) -> SourceError {
        SourceError {
            source: self,
            location: location.into(),
            message: message.into(),
        }
    }

    /// A file that is not the JSON `what` says: at its `file:line:col`, naming the field
    /// and what is wrong, never a value.
    pub fn json_error(self, shown: &str, e: &crate::doc::JsonError, what: &str) -> SourceError {
        self.error(
            format!("{shown}:{}:{}", e.line, e.column),
            format!("{what}: {e}"),
        )
    }
}

impl PartialOrd for SourceKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for SourceKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (*self as u8).cmp(&(*other as u8))
    }
}

/// A rise in what an agent may do, seen between two versions of a file in git history:
/// the write-creep of DESIGN §3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// Stable id: `change:<commit>:<agent>:<subject>`.
    pub id: String,
    pub kind: ChangeKind,
    /// The agent whose access rose (its id in the newer version of the file).
    pub agent: Option<String>,
    /// What rose: a token scope, an MCP server, `server/tool`, or the agent itself.
    pub subject: String,
    /// Before, as the file said it (`contents: read`); absent when it did not exist.
    pub from: Option<String>,
    /// After, as the file says it (`contents: write`).
    pub to: String,
    pub from_level: Option<AccessLevel>,
    pub to_level: Option<AccessLevel>,
    /// The full id of the commit that made the change.
    pub commit: String,
    /// The commit's author date (RFC 3339).
    pub author_date: String,
    /// True when what the change added is still there in the scanned files, and no later
    /// commit made the same rise again.
    pub current: bool,
    /// One sentence: from → to, which commit, when.
    pub summary: String,
    /// Where the change is in the newer version of the file (`path:line:column`).
    pub location: Option<Location>,
}

/// Counters of what a scan looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ScanStats {
    pub files_seen: u64,
    pub files_parsed: u64,
    pub bytes_read: u64,
    /// Files with binary content that no analyser reads (images, archives), not read.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub files_binary: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Everything the sources found, merged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Inventory {
    pub agents: Vec<Agent>,
    pub identities: Vec<Identity>,
    pub credentials: Vec<Credential>,
    pub grants: Vec<Grant>,
    pub edges: Vec<Edge>,
    pub errors: Vec<SourceError>,
    /// What was read with a caveat (a duplicated key) or left unread on purpose (a FIFO,
    /// a link out of the scanned folders), and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<SourceError>,
    #[serde(default)]
    pub stats: ScanStats,
    /// Rises in what agents may do, read from git history (`--history`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// What principals were seen doing in the activity logs read (`--activity`), one
    /// record per principal, by principal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub activity: Vec<super::Activity>,
    /// The window those logs were judged over, when any were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_window: Option<super::ActivityWindow>,
    /// What roles allow, where an export listed it (a Google Cloud role's permissions, an
    /// Azure role definition's actions), by `provider:role` as grants name the role. Read
    /// by the activity analysis to compare use with grants; not reported.
    #[serde(skip)]
    #[schemars(skip)]
    pub role_contents: BTreeMap<String, RoleContents>,
}

/// What one role allows and takes away, as its definition lists it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleContents {
    /// Permissions (Google Cloud) or action patterns (Azure `Actions`).
    pub allow: Vec<String>,
    /// Azure `NotActions`.
    pub deny: Vec<String>,
}
