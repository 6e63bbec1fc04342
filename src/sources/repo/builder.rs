//! Building one file's inventory fragment. Every analyser records what it sees through
//! here, so credentials are named, fingerprinted and linked the same way everywhere.

use std::collections::{BTreeMap, HashMap};
use std::sync::{LazyLock, Mutex};

use sha2::{Digest, Sha256};

use crate::doc::{LineIndex, Node};
use crate::model::{
    Agent, AgentKind, Confidence, Credential, Edge, EdgeKind, Evidence, Identity, Inventory,
    Lifetime, Location, SourceKind, Storage,
};
use crate::secrets::{self, RefSyntax, ValueClass};

/// One file's contribution to the inventory.
pub struct Fragment<'a> {
    /// The path as shown to the user.
    pub path: &'a str,
    inv: Inventory,
    /// Off for the old versions read from git history, which only yield changes of
    /// agents: their literals are neither fingerprinted (deliberately slow) nor kept.
    fingerprints: bool,
    /// By agent id: where its token's `permissions:` block is written.
    permission_sites: BTreeMap<String, PermissionSites>,
}

/// Where a job's token permissions are written: its own (or its workflow's)
/// `permissions:` block and each scope key in it. Kept beside a version's inventory
/// from git history, to point at the scope a commit raised; never in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct PermissionSites {
    /// The block's value: `write-all`, or the map of scopes.
    pub block: Location,
    /// Each scope the block names, at its key (the first, if a key is given twice).
    pub scopes: BTreeMap<String, Location>,
}

/// What a credential reference or literal was found under.
#[derive(Debug, Clone, Copy)]
pub struct Site<'s> {
    /// The variable, header, input or key name that carries the value.
    pub name: Option<&'s str>,
    pub line: u32,
    pub column: u32,
}

impl<'s> Site<'s> {
    pub fn at(node: &Node, name: Option<&'s str>) -> Self {
        Site {
            name,
            line: node.line,
            column: node.column,
        }
    }
}

impl<'a> Fragment<'a> {
    pub fn new(path: &'a str) -> Self {
        Fragment {
            path,
            inv: Inventory::default(),
            fingerprints: true,
            permission_sites: BTreeMap::new(),
        }
    }

    /// A fragment whose literals get a placeholder id instead of a fingerprint: for text
    /// whose credentials are never reported (old versions in git history).
    pub fn without_fingerprints(path: &'a str) -> Self {
        Fragment {
            fingerprints: false,
            ..Fragment::new(path)
        }
    }

    /// The fragment, with every string taken from the file escaped for display (see
    /// [`crate::text`]): names, evidence, facts, errors.
    pub fn finish(self) -> Inventory {
        self.finish_with_permission_sites().0
    }

    /// [`Self::finish`], with where each agent's token permissions are written, keyed
    /// by agent id as the inventory has it.
    pub fn finish_with_permission_sites(
        mut self,
    ) -> (Inventory, BTreeMap<String, PermissionSites>) {
        escape_inventory(&mut self.inv);
        let sites = self
            .permission_sites
            .into_iter()
            .map(|(mut id, s)| {
                crate::text::make_safe_id(&mut id);
                (id, s)
            })
            .collect();
        (self.inv, sites)
    }

    /// Records where `agent`'s token permissions are written; the first record of an
    /// agent stays, as the first of two agents with one id does.
    pub fn permission_sites(&mut self, agent: &str, sites: PermissionSites) {
        self.permission_sites
            .entry(agent.to_string())
            .or_insert(sites);
    }

    pub fn loc(&self, line: u32, column: u32) -> Location {
        Location::file(self.path, line, column)
    }

    pub fn loc_of(&self, node: &Node) -> Location {
        self.loc(node.line, node.column)
    }

    /// Something about this file the user should know that does not stop its analysis
    /// (a key given twice).
    pub fn warn(&mut self, line: u32, column: u32, message: impl Into<String>) {
        self.inv.warnings.push(
            SourceKind::Repo.error(format!("{}:{}:{}", self.path, line, column), message.into()),
        );
    }

    /// A problem reading this file; the scan goes on.
    pub fn error(&mut self, line: u32, column: u32, message: impl Into<String>) {
        self.inv.errors.push(
            SourceKind::Repo.error(format!("{}:{}:{}", self.path, line, column), message.into()),
        );
    }

    pub fn add_agent(&mut self, agent: Agent) {
        self.inv.agents.push(agent);
    }

    pub fn add_identity(&mut self, identity: Identity) {
        self.inv.identities.push(identity);
    }

    pub fn push_credential(&mut self, credential: Credential) {
        self.inv.credentials.push(credential);
    }

    pub fn add_grant(&mut self, grant: crate::model::Grant) {
        self.inv.grants.push(grant);
    }

    pub fn add_edge(
        &mut self,
        kind: EdgeKind,
        from: &str,
        to: &str,
        evidence: String,
        at: Location,
    ) {
        self.inv.edges.push(Edge {
            kind,
            from: from.to_string(),
            to: to.to_string(),
            evidence,
            location: Some(at),
        });
    }

    /// Records that `agent` holds the identity `identity`.
    pub fn hold(&mut self, agent: &str, identity: &str, evidence: String, at: Location) {
        self.add_edge(EdgeKind::Holds, agent, identity, evidence, at);
    }

    /// Looks at a config value that may carry a credential: a reference is recorded as
    /// a reference, a literal secret as a hard-coded credential, a placeholder not at all.
    /// Returns the id of the credential recorded, if any.
    pub fn observe_value(
        &mut self,
        holder: Option<&str>,
        site: Site<'_>,
        value: &str,
    ) -> Option<String> {
        match secrets::classify_value(value) {
            ValueClass::Empty | ValueClass::Placeholder => None,
            ValueClass::Reference { syntax, name } => {
                // A reference only matters when it carries a credential: by its own name
                // (`${GITHUB_TOKEN}`) or by the name it is assigned to (`API_KEY: ${X}`).
                let hint = secrets::hint_for_name(name)
                    .or_else(|| site.name.and_then(secrets::hint_for_name))?;
                Some(self.add_reference(holder, site, syntax, name, hint.kind, hint.provider))
            }
            ValueClass::Literal => {
                let detection = secrets::detect_literal(site.name, value)?;
                let secret = value.get(detection.secret_range.clone())?;
                Some(self.add_literal(
                    holder,
                    site,
                    secret,
                    &detection.kind,
                    &detection.provider,
                    detection.lifetime,
                    detection.confidence,
                ))
            }
        }
    }

    /// Records a credential by reference (`${{ secrets.X }}`, `${X}`, `${input:x}`).
    pub fn add_reference(
        &mut self,
        holder: Option<&str>,
        site: Site<'_>,
        syntax: RefSyntax,
        name: &str,
        kind: &str,
        provider: &str,
    ) -> String {
        let path = self.path.to_string();
        self.add_reference_at(holder, &path, site, syntax, name, kind, provider)
    }

    /// [`Fragment::add_reference`] for a reference seen in another file than this
    /// fragment's (a called workflow): the id is this file's repository's, the location
    /// `file`'s (this file's when `file` is empty).
    #[allow(clippy::too_many_arguments)]
    pub fn add_reference_at(
        &mut self,
        holder: Option<&str>,
        file: &str,
        site: Site<'_>,
        syntax: RefSyntax,
        name: &str,
        kind: &str,
        provider: &str,
    ) -> String {
        let (id, storage, lifetime) = match syntax {
            RefSyntax::GithubSecret => (
                format!("github-secret:{}/{}", repo_scope(self.path), name),
                Storage::SecretStore,
                Lifetime::Reference,
            ),
            RefSyntax::Input => (
                format!("input:{}#{}", self.path, name),
                Storage::Prompt,
                Lifetime::Reference,
            ),
            RefSyntax::GithubVar if name == "GITHUB_TOKEN" => (
                format!("github-token:{}", self.path),
                Storage::Platform,
                Lifetime::ShortLived,
            ),
            RefSyntax::Env | RefSyntax::GithubVar | RefSyntax::Other => (
                format!("env:{name}"),
                Storage::EnvReference,
                Lifetime::Reference,
            ),
        };
        let loc = if file.is_empty() {
            self.loc(site.line, site.column)
        } else {
            Location::file(file, site.line, site.column)
        };
        self.inv.credentials.push(Credential {
            name: Some(name.to_string()),
            identity: Some(id.clone()),
            locations: vec![loc.clone()],
            ..Credential::new(
                id.clone(),
                kind.to_string(),
                provider.to_string(),
                lifetime,
                storage,
                Confidence::Medium,
            )
        });
        self.add_key_identity(&id, kind, provider, name, holder, &loc);
        if let Some(agent) = holder {
            let via = site.name.map(|n| format!(" as {n}")).unwrap_or_default();
            self.hold(agent, &id, format!("receives {name}{via}"), loc);
        }
        id
    }

    /// Records a literal secret written in the file. `secret` is the value itself; only
    /// its fingerprint and a redacted preview are kept.
    #[allow(clippy::too_many_arguments)]
    pub fn add_literal(
        &mut self,
        holder: Option<&str>,
        site: Site<'_>,
        secret: &str,
        kind: &str,
        provider: &str,
        lifetime: Lifetime,
        confidence: Confidence,
    ) -> String {
        let fingerprint = if self.fingerprints {
            cached_fingerprint(secret)
        } else {
            "not-fingerprinted".to_string()
        };
        let id = format!("secret:{fingerprint}");
        let loc = self.loc(site.line, site.column);
        self.inv.credentials.push(Credential {
            fingerprint: Some(fingerprint),
            preview: Some(secrets::redact(secret)),
            name: site.name.map(str::to_string),
            identity: Some(id.clone()),
            locations: vec![loc.clone()],
            // AWS access key ids name a key, they do not unlock it (IAM shows them in the
            // console); kept so the key can be joined to the IAM user that owns it.
            key_id: key_id_of(kind, provider, secret),
            ..Credential::new(
                id.clone(),
                kind.to_string(),
                provider.to_string(),
                lifetime,
                Storage::Hardcoded,
                confidence,
            )
        });
        let label = site.name.unwrap_or(kind);
        self.add_key_identity(&id, kind, provider, label, holder, &loc);
        if let Some(agent) = holder {
            self.hold(agent, &id, format!("{label} is written in the config"), loc);
        }
        id
    }

    /// Records a Google service-account key file's private key: a static key of
    /// `email`, known to Google by `key_id`. Only the key's fingerprint and a redacted
    /// preview are kept; the key id and the email are identifiers, kept to join the file
    /// to the account and the key in a `gcloud` export.
    pub fn add_gcp_key(
        &mut self,
        site: Site<'_>,
        secret: &str,
        key_id: &str,
        email: Option<&str>,
    ) -> String {
        let id = self.add_literal(
            None,
            site,
            secret,
            "gcp-service-account-key",
            "gcp",
            Lifetime::Static,
            Confidence::High,
        );
        if let Some(c) = self.inv.credentials.last_mut() {
            c.key_id = Some(key_id.to_string());
            c.name = email.map(str::to_string);
        }
        if let (Some(i), Some(email)) = (self.inv.identities.last_mut(), email) {
            i.name = email.to_string();
        }
        id
    }

    fn add_key_identity(
        &mut self,
        id: &str,
        kind: &str,
        provider: &str,
        name: &str,
        holder: Option<&str>,
        loc: &Location,
    ) {
        self.inv.identities.push(Identity {
            id: id.to_string(),
            kind: kind.into(),
            provider: provider.into(),
            name: name.to_string(),
            agents: holder.map(str::to_string).into_iter().collect(),
            access_level: None,
            owner: None,
            human: is_human_token(kind, name),
            created_at: None,
            last_used_at: None,
            expires_at: None,
            credentials: vec![id.to_string()],
            locations: vec![loc.clone()],
            tags: Default::default(),
            facts: Default::default(),
        });
    }

    /// Runs the secret scanner over the whole text: every provider-pattern match becomes
    /// a hard-coded credential at its exact line and column.
    pub fn scan_text(&mut self, text: &str) {
        self.scan_text_except(text, None);
    }

    /// [`Self::scan_text`], except for a private key on `key_line`: a service-account
    /// key file's key, already recorded as the file's credential.
    pub fn scan_text_except(&mut self, text: &str, key_line: Option<u32>) {
        let matches = secrets::SecretScanner::builtin().scan(text);
        if matches.is_empty() {
            return;
        }
        let lines = LineIndex::new(text);
        for m in matches {
            let (line, column) = lines.position(m.start);
            if key_line == Some(line) && m.pattern.kind == "private-key" {
                continue;
            }
            let site = Site {
                name: None,
                line,
                column,
            };
            let p = m.pattern;
            self.add_literal(
                None,
                site,
                m.value,
                &p.kind,
                &p.provider,
                p.lifetime,
                p.confidence,
            );
        }
    }

    /// Adds an agent with the usual fields.
    #[allow(clippy::too_many_arguments)]
    pub fn agent(
        &mut self,
        id: String,
        name: String,
        kind: impl Into<AgentKind>,
        confidence: Confidence,
        evidence: Vec<Evidence>,
        at: Location,
        facts: serde_json::Map<String, serde_json::Value>,
    ) {
        self.add_agent(Agent {
            id,
            name,
            kind: kind.into(),
            confidence,
            evidence,
            source: SourceKind::Repo,
            locations: vec![at],
            facts: facts.into_iter().collect(),
        });
    }
}

/// Makes every string of an inventory fragment that can carry text from a file safe to
/// show ([`crate::text::make_safe`]: credentials redacted, controls escaped). Ids and paths
/// are made safe where they are made (mapping keys as they are parsed).
pub(crate) fn escape_inventory(inv: &mut Inventory) {
    fn esc(s: &mut String) {
        crate::text::make_safe(s);
    }
    fn esc_json(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) => esc(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(esc_json),
            serde_json::Value::Object(m) => m.values_mut().for_each(esc_json),
            _ => {}
        }
    }
    fn id(s: &mut String) {
        crate::text::make_safe_id(s);
    }
    for a in &mut inv.agents {
        id(&mut a.id);
        esc(&mut a.name);
        a.evidence.iter_mut().for_each(|e| esc(&mut e.description));
        a.facts.values_mut().for_each(esc_json);
    }
    for i in &mut inv.identities {
        id(&mut i.id);
        i.agents.iter_mut().for_each(id);
        i.credentials.iter_mut().for_each(id);
        esc(&mut i.name);
        if let Some(o) = &mut i.owner {
            esc(o);
        }
        i.tags.values_mut().for_each(esc);
        i.facts.values_mut().for_each(esc_json);
    }
    for c in &mut inv.credentials {
        id(&mut c.id);
        if let Some(n) = &mut c.name {
            esc(n);
        }
        if let Some(i) = &mut c.identity {
            id(i);
        }
    }
    for g in &mut inv.grants {
        id(&mut g.identity);
        esc(&mut g.resource);
    }
    for e in &mut inv.edges {
        id(&mut e.from);
        id(&mut e.to);
        esc(&mut e.evidence);
    }
    inv.errors.iter_mut().for_each(|e| esc(&mut e.message));
    inv.warnings.iter_mut().for_each(|e| esc(&mut e.message));
}

/// A person's token rather than a workload's: acting with it makes the agent's actions
/// look like that person's.
/// The non-secret identifier a literal is known by, where its provider shows one: an AWS
/// access key id is its own; a GitHub token is known to the audit log by its
/// `hashed_token` (base64 of its SHA-256), which joins it to the entries it made. Only
/// the hash is kept, never the value.
fn key_id_of(kind: &str, provider: &str, secret: &str) -> Option<String> {
    match (kind, provider) {
        ("aws-access-key-id", _) => Some(secret.to_string()),
        // A refresh token never calls the API: no audit-log entry carries its hash.
        ("github-refresh-token", _) => None,
        (_, "github") => Some(crate::sources::activity::github::hashed_token(secret)),
        _ => None,
    }
}

fn is_human_token(kind: &str, name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    matches!(
        kind,
        "github-classic-pat"
            | "github-fine-grained-pat"
            | "github-oauth-token"
            | "github-user-token"
    ) || upper.contains("PERSONAL_ACCESS_TOKEN")
        || upper.ends_with("_PAT")
        || upper.starts_with("PAT_")
        || upper == "PAT"
}

/// Secret names are per repository: the folder that holds `.github` (as shown to the
/// user), else the file's folder.
fn repo_scope(shown: &str) -> String {
    let root = match shown.find(".github/") {
        Some(i) => &shown[..i],
        None => shown.rsplit_once('/').map_or("", |(d, _)| d),
    };
    let root = root.trim_end_matches('/');
    if root.is_empty() {
        ".".to_string()
    } else {
        root.to_string()
    }
}

/// Fingerprints are deliberately slow to compute (they must resist guessing); the same
/// secret pasted in many files is computed once per run. The cache key is a hash that
/// never leaves the process.
fn cached_fingerprint(secret: &str) -> String {
    static CACHE: LazyLock<Mutex<HashMap<[u8; 32], String>>> = LazyLock::new(Default::default);
    let key: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
    if let Some(fp) = CACHE.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return fp;
    }
    let fp = secrets::fingerprint(secret);
    if let Ok(mut c) = CACHE.lock() {
        c.insert(key, fp.clone());
    }
    fp
}
