//! The workflow token of a job: which `permissions:` block it gets, where that block
//! is written, and the identity, credential and grants it becomes.

use super::*;
use crate::model::{CredentialKind, IdentityKind, Provider};

/// The token a job runs with.
#[derive(Clone)]
pub(super) struct JobToken<'d> {
    /// Where its permissions come from: `job`, `workflow`, `default`, `caller`, …
    pub(super) source: String,
    pub(super) perms: TokenPermissions,
    /// The line that shows them (the block's key, else the job's).
    pub(super) line: u32,
    /// The block, when it is the job's own or its workflow's, in the file being read.
    pub(super) block: Option<&'d Node>,
}

/// The permissions a job's token gets: its block, else the workflow's, else the
/// default.
pub(super) fn job_permissions<'d>(job: &'d Node, wf: &WorkflowCtx<'d>, line: u32) -> JobToken<'d> {
    let token = |source: &str, perms, line, block| JobToken {
        source: source.into(),
        perms,
        line,
        block,
    };
    match (job.entry("permissions"), wf.permissions) {
        (Some((k, v)), _) => token("job", TokenPermissions::parse(v), k.line, Some(v)),
        (None, Some((l, v))) if !v.is_null() => {
            token("workflow", TokenPermissions::parse(v), l, Some(v))
        }
        _ => token("default", TokenPermissions::Default, line, None),
    }
}

/// A called workflow's token: the caller's permissions, lowered by the callee's block
/// (a reusable workflow can only narrow what its caller grants).
pub(super) fn called_permissions<'d>(
    caller: &Caller<'_>,
    job: &'d Node,
    wf: &WorkflowCtx<'d>,
    line: u32,
) -> JobToken<'d> {
    let own = job_permissions(job, wf, line);
    let granted = &caller.permissions;
    let (source, perms, line) = match (&granted.perms, &own.perms) {
        (g, TokenPermissions::Default) => ("caller".into(), g.clone(), granted.line),
        (TokenPermissions::Default, _) => (format!("{} (called)", own.source), own.perms, own.line),
        (g, o) => ("caller, narrowed".into(), g.intersect(o), own.line),
    };
    // The agent is the caller's job: a block in the called file is not where it is.
    JobToken {
        source,
        perms,
        line,
        block: None,
    }
}

/// Where `block` and each scope key in it are written.
pub(super) fn permission_sites(file: &str, block: &Node) -> PermissionSites {
    let mut scopes = BTreeMap::new();
    for (k, _) in block.entries() {
        scopes
            .entry(k.name.clone())
            .or_insert_with(|| Location::file(file, k.line, k.column));
    }
    PermissionSites {
        block: Location::file(file, block.line, block.column),
        scopes,
    }
}

/// The workflow token of an agent: its identity, credential and grants, held by the
/// agent.
pub(super) fn add_token_identity(
    fragment: &mut Fragment<'_>,
    token_id: &str,
    agent_id: &str,
    perms: &TokenPermissions,
    source: &str,
    at: &Location,
) {
    fragment.add_identity(Identity {
        id: token_id.to_string(),
        kind: IdentityKind::GithubToken,
        provider: Provider::Github,
        name: "GITHUB_TOKEN".into(),
        agents: vec![agent_id.to_string()],
        access_level: perms.max_level(),
        owner: None,
        human: false,
        created_at: None,
        last_used_at: None,
        expires_at: None,
        credentials: vec![token_id.to_string()],
        locations: vec![at.clone()],
        tags: Default::default(),
        facts: Default::default(),
    });
    fragment.push_credential(Credential {
        name: Some("GITHUB_TOKEN".into()),
        identity: Some(token_id.to_string()),
        locations: vec![at.clone()],
        ..Credential::new(
            token_id.to_string(),
            CredentialKind::GithubToken,
            Provider::Github,
            Lifetime::ShortLived,
            Storage::Platform,
            Confidence::High,
        )
    });
    for (scope, level) in perms.scopes() {
        fragment.add_grant(Grant {
            identity: token_id.to_string(),
            action: scope.to_string(),
            resource: "repository".into(),
            effect: Effect::Allow,
            access_level: level,
            source: format!("permissions ({source} block)"),
            location: Some(at.clone()),
        });
    }
    let evidence = match source {
        "default" => "runs with the repository's default GITHUB_TOKEN permissions".to_string(),
        s => format!("runs with the GITHUB_TOKEN permissions of its {s} block"),
    };
    fragment.hold(agent_id, token_id, evidence, at.clone());
}
