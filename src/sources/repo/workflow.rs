//! GitHub Actions workflows that run AI agents: per agent job, the effective
//! `GITHUB_TOKEN` permissions, the secrets it receives, what starts it, and whether its
//! cloud access is federated (OIDC) or a static key.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value as Json, json};

use super::builder::{Fragment, Site};
use super::catalog::catalog;
use crate::doc::{Format, Node, Value};
use crate::model::{
    AccessLevel, Confidence, Credential, Effect, Evidence, Grant, Identity, Lifetime, Storage,
};
use crate::policy::github::TokenPermissions;
use crate::secrets::{self, RefSyntax};

pub fn analyse(text: &str, fragment: &mut Fragment<'_>) {
    let Some(doc) = super::parse_doc(text, Format::Yaml, fragment, "the workflow") else {
        return;
    };
    let Some(jobs) = doc.get("jobs").filter(|j| j.is_map()) else {
        return;
    };
    let workflow = WorkflowCtx {
        name: doc.get("name").and_then(Node::scalar_text),
        triggers: triggers(doc.get("on")),
        after_workflows: doc
            .get("on")
            .and_then(|on| on.get("workflow_run"))
            .and_then(|w| w.get("workflows"))
            .map(|w| w.strings().into_iter().map(str::to_string).collect())
            .unwrap_or_default(),
        permissions: doc.entry("permissions").map(|(k, v)| (k.line, v)),
        env: doc.get("env"),
    };
    for (key, job) in jobs.entries() {
        if job.is_map() {
            analyse_job(&workflow, &key.name, key.line, key.column, job, fragment);
        }
    }
}

struct WorkflowCtx<'d> {
    name: Option<String>,
    triggers: Vec<String>,
    /// `on: workflow_run: workflows:` — the workflows whose runs start this one.
    after_workflows: Vec<String>,
    permissions: Option<(u32, &'d Node)>,
    env: Option<&'d Node>,
}

/// What marks a job as an agent, with the place that shows it.
struct AgentUse {
    agent: String,
    /// The model provider the product talks to, when the catalogue knows it.
    provider: Option<String>,
    how: String,
    uses: Option<String>,
    pinned: bool,
    line: u32,
    column: u32,
}

/// Words in a local reusable workflow's file name that say it runs an agent.
const AGENT_WORDS: &[&str] = &[
    "claude", "gemini", "codex", "copilot", "aider", "agent", "llm",
];

fn triggers(on: Option<&Node>) -> Vec<String> {
    let Some(on) = on else { return Vec::new() };
    match &on.value {
        Value::Map(entries) => entries.iter().map(|(k, _)| k.name.clone()).collect(),
        _ => on.strings().into_iter().map(str::to_string).collect(),
    }
}

fn analyse_job(
    wf: &WorkflowCtx<'_>,
    job_name: &str,
    line: u32,
    column: u32,
    job: &Node,
    fragment: &mut Fragment<'_>,
) {
    let cat = catalog();
    let steps = job.get("steps").map(Node::items).unwrap_or_default();
    let file_name = fragment.path.rsplit('/').next().unwrap_or(fragment.path);

    // What makes this job an agent.
    let mut uses_found = Vec::new();
    let mut inputs: BTreeMap<String, (String, &Node)> = BTreeMap::new();
    let mut app_token_permissions = Vec::new();
    let mut uses_app_token = false;
    let mut app_token_apps: Vec<String> = Vec::new();
    for step in steps {
        let uses = step.get("uses");
        if let Some(with) = step.get("with") {
            for (k, v) in with.entries() {
                if let Some(t) = v.scalar_text() {
                    inputs.insert(k.name.to_ascii_lowercase(), (t, v));
                }
            }
        }
        if let Some(u) = uses.and_then(Node::as_str) {
            if let Some(entry) = cat.action(u) {
                let node = uses.unwrap_or(step);
                uses_found.push(AgentUse {
                    agent: entry.agent.clone(),
                    provider: Some(entry.provider.clone()),
                    how: format!("runs {u}"),
                    uses: Some(u.to_string()),
                    pinned: is_sha_pinned(u),
                    line: node.line,
                    column: node.column,
                });
            }
            if u.contains("create-github-app-token") || u.contains("github-app-token") {
                uses_app_token = true;
                if let Some(with) = step.get("with") {
                    for (k, v) in with.entries() {
                        if let Some(scope) = k.name.strip_prefix("permission-") {
                            app_token_permissions
                                .push(format!("{scope}: {}", v.scalar_text().unwrap_or_default()));
                        }
                        // A literal app id joins the token to the app's installation.
                        if matches!(k.name.as_str(), "app-id" | "app_id" | "client-id")
                            && let Some(id) = v.scalar_text().filter(|t| !t.contains("${{"))
                        {
                            app_token_apps.push(id);
                        }
                    }
                }
            }
        }
        if let Some(run) = step.get("run")
            && let Some(script) = run.as_str()
            && let Some(entry) = cat.command(script)
        {
            uses_found.push(AgentUse {
                agent: entry.agent.clone(),
                provider: None,
                how: format!("starts the {} CLI in a `run:` step", entry.agent),
                uses: None,
                pinned: false,
                line: run.line,
                column: run.column,
            });
        }
    }
    // A job that calls a reusable workflow runs whatever agent that workflow runs.
    if let Some(node) = job.get("uses")
        && let Some(target) = node.as_str()
    {
        let local_agent = target.starts_with("./") && {
            let lower = target.to_ascii_lowercase();
            AGENT_WORDS
                .iter()
                .any(|w| lower.rsplit('/').next().is_some_and(|f| f.contains(w)))
        };
        if let Some(entry) = cat.action(target) {
            uses_found.push(AgentUse {
                agent: entry.agent.clone(),
                provider: Some(entry.provider.clone()),
                how: format!("calls the reusable agent workflow {target}"),
                uses: Some(target.to_string()),
                pinned: is_sha_pinned(target),
                line: node.line,
                column: node.column,
            });
        } else if local_agent {
            uses_found.push(AgentUse {
                agent: "AI agent".into(),
                provider: None,
                how: format!("calls the local agent workflow {target}"),
                uses: Some(target.to_string()),
                pinned: true,
                line: node.line,
                column: node.column,
            });
        }
    }
    // GitHub runs the job named `copilot-setup-steps` before its coding agent starts.
    if job_name == "copilot-setup-steps" {
        uses_found.push(AgentUse {
            agent: "GitHub Copilot coding agent".into(),
            provider: Some("github".into()),
            how: "is the Copilot coding agent's setup job (copilot-setup-steps)".into(),
            uses: None,
            pinned: false,
            line,
            column,
        });
    }

    // Secrets and tokens the job receives: every `secrets.X` anywhere in the job, and in
    // the workflow-level `env`, which every job inherits.
    let mut refs = Vec::new();
    collect_refs(job, &mut refs);
    if let Some(env) = wf.env {
        collect_refs(env, &mut refs);
    }
    let secrets_inherit = job.get("secrets").and_then(Node::as_str) == Some("inherit");
    let llm_secrets: Vec<&SecretRef> = refs
        .iter()
        .filter(|r| {
            secrets::hint_for_name(&r.name).is_some_and(|h| cat.is_llm_provider(h.provider))
        })
        .collect();
    let calls_llm_api =
        scripts_of(steps).any(|s| cat.llm_endpoints.iter().any(|e| s.contains(e.as_str())));

    let confidence = if !uses_found.is_empty() {
        Confidence::High
    } else if !llm_secrets.is_empty() {
        Confidence::Medium
    } else {
        return;
    };
    let agent_product = uses_found
        .first()
        .map(|u| u.agent.clone())
        .unwrap_or_else(|| "LLM API caller".into());

    let agent_id = format!(
        "repo:{}#/jobs/{}",
        fragment.path,
        crate::doc::pointer_segment(job_name)
    );
    let job_loc = fragment.loc(line, column);
    let mut evidence: Vec<Evidence> = uses_found
        .iter()
        .map(|u| {
            Evidence::new(
                format!("job {job_name} {}", u.how),
                Some(fragment.loc(u.line, u.column)),
            )
        })
        .collect();
    if uses_found.is_empty() {
        let names: Vec<&str> = llm_secrets.iter().map(|r| r.name.as_str()).collect();
        let how = if calls_llm_api {
            " and calls an LLM API"
        } else {
            ""
        };
        evidence.push(Evidence::new(
            format!(
                "job {job_name} receives the LLM provider key(s) {}{how}",
                names.join(", ")
            ),
            Some(job_loc.clone()),
        ));
    }

    // The workflow token: the job block replaces the workflow block; no block at all
    // means the repository or organisation default, which a file cannot tell.
    let (perm_source, perms, perm_line) = match (job.entry("permissions"), wf.permissions) {
        (Some((k, v)), _) => ("job", TokenPermissions::parse(v), k.line),
        (None, Some((l, v))) if !v.is_null() => ("workflow", TokenPermissions::parse(v), l),
        _ => ("default", TokenPermissions::Default, line),
    };
    let token_id = format!(
        "github-token:{}#/jobs/{}",
        fragment.path,
        crate::doc::pointer_segment(job_name)
    );
    let perm_loc = fragment.loc(perm_line, 1);
    add_token_identity(
        fragment,
        &token_id,
        &agent_id,
        &perms,
        perm_source,
        &perm_loc,
    );

    // Credentials: secrets by name, OIDC, static cloud keys.
    let mut secret_names = BTreeSet::new();
    let mut static_cloud_keys = BTreeSet::new();
    let mut pat_for_github = Vec::new();
    for r in &refs {
        if r.name == "GITHUB_TOKEN" {
            continue;
        }
        secret_names.insert(r.name.clone());
        let hint = secrets::hint_for_name(&r.name);
        let (kind, provider) = hint.map_or(("secret", "unknown"), |h| (h.kind, h.provider));
        let site = Site {
            name: r.assigned_to.as_deref(),
            line: r.line,
            column: r.column,
        };
        fragment.add_reference(
            Some(&agent_id),
            site,
            RefSyntax::GithubSecret,
            &r.name,
            kind,
            provider,
        );
        if is_static_cloud_key(&r.name) {
            static_cloud_keys.insert(r.name.clone());
        }
        if let Some(to) = &r.assigned_to
            && matches!(
                to.to_ascii_lowercase().as_str(),
                "github_token" | "gh_token" | "github-token" | "token"
            )
            && !uses_app_token
        {
            pat_for_github.push(r.name.clone());
        }
    }
    let input = |k: &str| inputs.get(k).map(|(v, _)| v.as_str());
    let role_to_assume: Vec<String> = ["role-to-assume"]
        .iter()
        .filter_map(|k| input(k).map(str::to_string))
        .collect();
    for k in ["aws-access-key-id", "credentials_json", "creds"] {
        if let Some(v) = input(k)
            && !v.is_empty()
        {
            static_cloud_keys.insert(k.to_string());
        }
    }
    let federation: Vec<&str> = [
        "role-to-assume",
        "workload_identity_provider",
        "gcp_workload_identity_provider",
        "anthropic_federation_rule_id",
        "use_bedrock",
        "use_vertex",
    ]
    .into_iter()
    .filter(|k| input(k).is_some_and(|v| !v.is_empty() && v != "false"))
    .collect();
    let oidc = perms.level_of("id-token") == Some(AccessLevel::Write);

    let claude_args = input("claude_args").unwrap_or_default();
    let mut dangerous = Vec::new();
    for flag in ["--dangerously-skip-permissions", "--yolo", "--full-auto"] {
        if claude_args.contains(flag) || scripts_of(steps).any(|s| s.contains(flag)) {
            dangerous.push(flag.to_string());
        }
    }
    if let Some(s) = input("safety-strategy").filter(|s| *s == "unsafe") {
        dangerous.push(format!("safety-strategy: {s}"));
    }
    if let Some(s) = input("sandbox").filter(|s| s.contains("danger")) {
        dangerous.push(format!("sandbox: {s}"));
    }

    let untrusted: Vec<&String> = wf
        .triggers
        .iter()
        .filter(|t| cat.untrusted_triggers.contains(t))
        .collect();
    let level = perms.max_level();
    let write_scopes = perms.scopes_at_least(AccessLevel::Write);
    let tools: Vec<Json> = uses_found
        .iter()
        .map(|u| json!({"agent": u.agent, "provider": u.provider, "uses": u.uses, "pinned": u.pinned, "line": u.line}))
        .collect();

    let mut facts = serde_json::Map::new();
    facts.insert(
        "workflow".into(),
        json!(wf.name.clone().unwrap_or_else(|| file_name.to_string())),
    );
    facts.insert("workflow_file".into(), json!(fragment.path));
    facts.insert("job".into(), json!(job_name));
    facts.insert("product".into(), json!(agent_product));
    facts.insert("agent_steps".into(), Json::Array(tools));
    facts.insert("triggers".into(), json!(wf.triggers));
    facts.insert("untrusted_triggers".into(), json!(untrusted));
    facts.insert("after_workflows".into(), json!(wf.after_workflows));
    facts.insert("permissions_source".into(), json!(perm_source));
    facts.insert("permissions".into(), perms.to_json());
    facts.insert(
        "token_access_level".into(),
        json!(level.map_or("unknown", AccessLevel::as_str)),
    );
    facts.insert("write_scopes".into(), json!(write_scopes));
    facts.insert("token".into(), json!(token_id));
    facts.insert("oidc".into(), json!(oidc));
    facts.insert("federation".into(), json!(federation));
    facts.insert("role_to_assume".into(), json!(role_to_assume));
    facts.insert("static_cloud_keys".into(), json!(static_cloud_keys));
    facts.insert("secrets".into(), json!(secret_names));
    facts.insert("secrets_inherit".into(), json!(secrets_inherit));
    facts.insert("github_token_override".into(), json!(pat_for_github));
    facts.insert("app_token".into(), json!(uses_app_token));
    facts.insert("app_token_permissions".into(), json!(app_token_permissions));
    facts.insert("app_token_apps".into(), json!(app_token_apps));
    facts.insert("environment".into(), json!(environment(job)));
    facts.insert(
        "allowed_non_write_users".into(),
        json!(input("allowed_non_write_users")),
    );
    facts.insert("allowed_bots".into(), json!(input("allowed_bots")));
    facts.insert("dangerous_flags".into(), json!(dangerous));
    facts.insert("calls_llm_api".into(), json!(calls_llm_api));
    facts.insert(
        "calls".into(),
        json!(job.get("uses").and_then(Node::as_str)),
    );
    let wf_label = wf.name.clone().unwrap_or_else(|| file_name.to_string());
    fragment.agent(
        agent_id,
        format!("{agent_product} in {wf_label} / {job_name}"),
        "github-workflow",
        confidence,
        evidence,
        job_loc,
        facts,
    );
}

fn add_token_identity(
    fragment: &mut Fragment<'_>,
    token_id: &str,
    agent_id: &str,
    perms: &TokenPermissions,
    source: &str,
    at: &crate::model::Location,
) {
    fragment.add_identity(Identity {
        id: token_id.to_string(),
        kind: "github-token".into(),
        provider: "github".into(),
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
        id: token_id.to_string(),
        kind: "github-token".into(),
        provider: "github".into(),
        lifetime: Lifetime::ShortLived,
        storage: Storage::Platform,
        fingerprint: None,
        preview: None,
        name: Some("GITHUB_TOKEN".into()),
        identity: Some(token_id.to_string()),
        confidence: Confidence::High,
        locations: vec![at.clone()],
        created_at: None,
        expires_at: None,
        last_used_at: None,
        key_id: None,
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

fn environment(job: &Node) -> Option<String> {
    let env = job.get("environment")?;
    env.scalar_text()
        .or_else(|| env.get("name").and_then(Node::scalar_text))
}

fn scripts_of<'n>(steps: &'n [Node]) -> impl Iterator<Item = &'n str> + 'n {
    steps
        .iter()
        .filter_map(|s| s.get("run").and_then(Node::as_str))
}

fn is_sha_pinned(uses: &str) -> bool {
    uses.split_once('@')
        .is_some_and(|(_, r)| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_static_cloud_key(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    n.contains("AWS_ACCESS_KEY_ID")
        || n.contains("AWS_SECRET_ACCESS_KEY")
        || n == "AZURE_CREDENTIALS"
        || n.contains("GCP_SA_KEY")
        || n.contains("GCP_CREDENTIALS")
        || n.contains("GOOGLE_CREDENTIALS")
        || n.contains("SERVICE_ACCOUNT_KEY")
}

/// A `secrets.NAME` (or `github.token`) found in a job, with where and under which key.
struct SecretRef {
    name: String,
    assigned_to: Option<String>,
    line: u32,
    column: u32,
}

static SECRET_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_-]*)|\[\s*['"]([A-Za-z_][A-Za-z0-9_-]*)['"]\s*\])|\bgithub\.token\b"#)
        .expect("static regex")
});

fn collect_refs(node: &Node, out: &mut Vec<SecretRef>) {
    walk_strings(node, None, &mut |key, n, text| {
        if !text.contains("secrets") && !text.contains("github.token") {
            return;
        }
        for c in SECRET_RE.captures_iter(text) {
            let name = c
                .get(1)
                .or_else(|| c.get(2))
                .map_or("GITHUB_TOKEN", |m| m.as_str());
            out.push(SecretRef {
                name: name.to_string(),
                assigned_to: key.map(str::to_string),
                line: n.line,
                column: n.column,
            });
        }
    });
}

fn walk_strings<'n>(
    node: &'n Node,
    key: Option<&'n str>,
    f: &mut dyn FnMut(Option<&'n str>, &'n Node, &'n str),
) {
    match &node.value {
        Value::String(s) => f(key, node, s),
        Value::Seq(items) => items.iter().for_each(|i| walk_strings(i, key, f)),
        Value::Map(entries) => entries
            .iter()
            .for_each(|(k, v)| walk_strings(v, Some(k.name.as_str()), f)),
        _ => {}
    }
}
