//! The agent a job becomes: its id and name, evidence, token, credentials and the facts
//! rules read.

use super::*;
use crate::model::AgentKind;

pub(super) fn emit_agent(
    ctx: &JobCtx<'_>,
    fragment: &mut Fragment<'_>,
    uses: Vec<AgentUse>,
    confidence: Confidence,
    llm_secrets: &[&SecretRef],
    extra: Option<serde_json::Map<String, Json>>,
    start: Start,
) {
    let perms = job_permissions(ctx.job, ctx.wf, ctx.line);
    let mut refs = Vec::new();
    collect_refs_in(&ctx.file, ctx.job, &mut refs);
    if let Some(env) = ctx.wf.env {
        collect_refs_in(&ctx.file, env, &mut refs);
    }
    emit_agent_with(
        ctx,
        fragment,
        uses,
        confidence,
        llm_secrets,
        extra.unwrap_or_default(),
        start,
        perms,
        &[],
        &refs,
    );
}

#[allow(clippy::too_many_arguments)]
pub(super) fn emit_agent_with(
    ctx: &JobCtx<'_>,
    fragment: &mut Fragment<'_>,
    uses_found: Vec<AgentUse>,
    confidence: Confidence,
    llm_secrets: &[&SecretRef],
    extra: serde_json::Map<String, Json>,
    start: Start,
    token: JobToken<'_>,
    steps: &[Step<'_>],
    refs: &[SecretRef],
) {
    let agent_product = uses_found
        .first()
        .map(|u| u.agent.clone())
        .unwrap_or_else(|| "LLM API caller".into());
    let ids = AgentIds::of(ctx);
    let calls_llm_api = calls_llm_api(steps);
    let evidence = evidence(ctx, &uses_found, llm_secrets, calls_llm_api, &ids.job_loc);
    let (perm_source, perms) = add_job_token(ctx, fragment, &ids, token);
    let uses_app_token = steps.iter().any(|s| {
        s.node
            .get("uses")
            .and_then(Node::as_str)
            .is_some_and(is_app_token)
    });
    let mut held = add_secrets(fragment, &ids.agent, refs, uses_app_token);
    let inputs = StepInputs::of(steps);
    let role_to_assume: Vec<String> = inputs
        .get("role-to-assume")
        .map(str::to_string)
        .into_iter()
        .collect();
    held.static_cloud_keys.extend(static_key_inputs(&inputs));
    let scripts: Vec<String> = steps.iter().filter_map(|s| step_text(s, "run")).collect();

    let mut facts = serde_json::Map::new();
    job_facts(&mut facts, ctx, &ids, &agent_product, &uses_found);
    token_facts(&mut facts, &perm_source, &perms, &ids.token);
    facts.insert("federation".into(), json!(federation(&inputs)));
    facts.insert("role_to_assume".into(), json!(role_to_assume));
    let (accounts, providers) = gcp_sign_in(&inputs);
    facts.insert("gcp_service_accounts".into(), json!(accounts));
    facts.insert("gcp_workload_identity_providers".into(), json!(providers));
    facts.insert("azure_client_ids".into(), json!(inputs.azure_client_ids));
    let write_scopes = perms.scopes_at_least(AccessLevel::Write);
    facts.insert(
        "holds".into(),
        json!(holdings(
            &write_scopes,
            &held.names,
            &role_to_assume,
            &held.static_cloud_keys
        )),
    );
    secret_facts(&mut facts, ctx, held);
    facts.insert("app_token".into(), json!(uses_app_token));
    facts.insert(
        "app_token_permissions".into(),
        json!(inputs.app_token_permissions),
    );
    facts.insert("app_token_apps".into(), json!(inputs.app_token_apps));
    facts.insert(
        "allowed_non_write_users".into(),
        json!(inputs.get("allowed_non_write_users")),
    );
    facts.insert("allowed_bots".into(), json!(inputs.get("allowed_bots")));
    facts.insert(
        "dangerous_flags".into(),
        json!(dangerous_flags(&inputs.values, &scripts)),
    );
    facts.insert("calls_llm_api".into(), json!(calls_llm_api));
    insert_start(&mut facts, &start);
    for (k, v) in extra {
        facts.insert(k, v);
    }
    insert_defaults(&mut facts);
    fragment.agent(
        ids.agent,
        format!("{agent_product} in {} / {}", ids.label, ids.job_label),
        AgentKind::GithubWorkflow,
        confidence,
        evidence,
        ids.job_loc,
        facts,
    );
}

/// The ids and names of a job's agent: for a called workflow, the caller's job is the
/// agent (with the called job's name when the callee has several).
struct AgentIds {
    agent: String,
    token: String,
    job_loc: Location,
    /// The workflow's name.
    label: String,
    job_label: String,
    /// The job as the agent's facts name it (the caller's).
    job_name: String,
}

impl AgentIds {
    fn of(ctx: &JobCtx<'_>) -> Self {
        match ctx.caller {
            Some(c) => {
                let suffix = if c.several {
                    format!("/{}", crate::doc::pointer_segment(ctx.name))
                } else {
                    String::new()
                };
                let seg = crate::doc::pointer_segment(c.job_name);
                AgentIds {
                    agent: format!("repo:{}#/jobs/{seg}{suffix}", c.file),
                    token: format!("github-token:{}#/jobs/{seg}{suffix}", c.file),
                    job_loc: Location::file(c.file, c.line, c.column),
                    label: c.wf.label(),
                    job_label: if c.several {
                        format!("{} → {}", c.job_name, ctx.name)
                    } else {
                        c.job_name.to_string()
                    },
                    job_name: c.job_name.to_string(),
                }
            }
            None => {
                let seg = crate::doc::pointer_segment(ctx.name);
                AgentIds {
                    agent: format!("repo:{}#/jobs/{seg}", ctx.file),
                    token: format!("github-token:{}#/jobs/{seg}", ctx.file),
                    job_loc: Location::file(&ctx.file, ctx.line, ctx.column),
                    label: ctx.wf.label(),
                    job_label: ctx.name.to_string(),
                    job_name: ctx.name.to_string(),
                }
            }
        }
    }
}

/// Whether a `run:` step calls an LLM API the catalogue knows.
fn calls_llm_api(steps: &[Step<'_>]) -> bool {
    steps.iter().any(|s| {
        s.node
            .get("run")
            .and_then(Node::as_str)
            .is_some_and(|r| catalog().endpoint_in(r).is_some())
    })
}

/// Why the job is an agent: each use found, the call that runs it, or (with no use) the
/// LLM keys it receives.
fn evidence(
    ctx: &JobCtx<'_>,
    uses_found: &[AgentUse],
    llm_secrets: &[&SecretRef],
    calls_llm_api: bool,
    job_loc: &Location,
) -> Vec<Evidence> {
    let mut evidence: Vec<Evidence> = uses_found
        .iter()
        .map(|u| Evidence::new(format!("job {} {}", ctx.name, u.how), Some(u.at.clone())))
        .collect();
    if let Some(c) = ctx.caller {
        evidence.push(Evidence::new(
            format!(
                "job {} calls {} ({} there), which runs with this job's triggers, permissions and secrets",
                c.job_name, ctx.file, ctx.name
            ),
            Some(Location::file(c.file, c.line, c.column)),
        ));
    }
    if uses_found.is_empty() {
        let names: Vec<&str> = llm_secrets.iter().map(|r| r.name.as_str()).collect();
        let how = if calls_llm_api {
            " and calls an LLM API"
        } else {
            ""
        };
        evidence.push(Evidence::new(
            format!(
                "job {} receives the LLM provider key(s) {}{how}",
                ctx.name,
                names.join(", ")
            ),
            Some(job_loc.clone()),
        ));
    }
    evidence
}

/// Adds the job's workflow token (at the caller's block when the caller's permissions
/// pass through unchanged) and where its own block is written; returns the token's
/// source and permissions.
fn add_job_token(
    ctx: &JobCtx<'_>,
    fragment: &mut Fragment<'_>,
    ids: &AgentIds,
    token: JobToken<'_>,
) -> (String, TokenPermissions) {
    let perm_loc = match ctx.caller {
        Some(c) if token.source == "caller" => Location::file(c.file, token.line, 1),
        _ => Location::file(&ctx.file, token.line, 1),
    };
    add_token_identity(
        fragment,
        &ids.token,
        &ids.agent,
        &token.perms,
        &token.source,
        &perm_loc,
    );
    if let Some(block) = token.block {
        fragment.permission_sites(&ids.agent, permission_sites(&ctx.file, block));
    }
    (token.source, token.perms)
}

/// A step that mints a GitHub App token.
fn is_app_token(uses: &str) -> bool {
    uses.contains("create-github-app-token") || uses.contains("github-app-token")
}

/// The secrets a job's agent holds, by what they are.
#[derive(Debug, Default, PartialEq)]
struct Held {
    names: BTreeSet<String>,
    /// Neither a model provider's key nor an agent's own.
    non_model: BTreeSet<String>,
    static_cloud_keys: BTreeSet<String>,
    /// Secrets handed over as the GitHub token, in place of `GITHUB_TOKEN`.
    pat_for_github: Vec<String>,
}

/// Adds each secret the job receives as a reference the agent holds, and sorts them.
fn add_secrets(
    fragment: &mut Fragment<'_>,
    agent_id: &str,
    refs: &[SecretRef],
    uses_app_token: bool,
) -> Held {
    let cat = catalog();
    let mut held = Held::default();
    for r in refs {
        if r.name == "GITHUB_TOKEN" {
            continue;
        }
        held.names.insert(r.name.clone());
        let hint = secrets::hint_for_name(&r.name);
        let (kind, provider) = hint.map_or(("secret", "unknown"), |h| (h.kind, h.provider));
        if !cat.is_llm_provider(provider) && cat.agent_of_secret(&r.name).is_none() {
            held.non_model.insert(r.name.clone());
        }
        let site = Site {
            name: r.assigned_to.as_deref(),
            line: r.line,
            column: r.column,
        };
        fragment.add_reference_at(
            Some(agent_id),
            &r.file,
            site,
            RefSyntax::GithubSecret,
            &r.name,
            kind,
            provider,
        );
        if is_static_cloud_key(&r.name) {
            held.static_cloud_keys.insert(r.name.clone());
        }
        if let Some(to) = &r.assigned_to
            && matches!(
                to.to_ascii_lowercase().as_str(),
                "github_token" | "gh_token" | "github-token" | "token"
            )
            && !uses_app_token
        {
            held.pat_for_github.push(r.name.clone());
        }
    }
    held
}

/// The `with:` inputs of a job's steps (a later step's value wins), and what its GitHub
/// App token steps ask for.
#[derive(Debug, Default)]
struct StepInputs {
    values: BTreeMap<String, String>,
    app_token_permissions: Vec<String>,
    app_token_apps: Vec<String>,
    /// Literal `client-id`s of `azure/login` steps.
    azure_client_ids: Vec<String>,
}

impl StepInputs {
    fn of(steps: &[Step<'_>]) -> Self {
        let mut out = StepInputs::default();
        for s in steps {
            let with = s.node.get("with").map(Node::entries).unwrap_or_default();
            for (k, v) in with {
                if let Some(t) = v.scalar_text() {
                    out.values
                        .insert(k.name.to_ascii_lowercase(), substitute(&t, &s.inputs));
                }
            }
            let uses = s.node.get("uses").and_then(Node::as_str).unwrap_or("");
            if uses.to_ascii_lowercase().starts_with("azure/login@") {
                out.azure_client_ids.extend(
                    with.iter()
                        .filter(|(k, _)| k.name == "client-id")
                        .filter_map(|(_, v)| v.scalar_text())
                        .map(|t| t.trim().to_string())
                        .filter(|t| !t.is_empty() && !t.contains("${{")),
                );
            }
            if !is_app_token(uses) {
                continue;
            }
            for (k, v) in with {
                if let Some(scope) = k.name.strip_prefix("permission-") {
                    out.app_token_permissions
                        .push(format!("{scope}: {}", v.scalar_text().unwrap_or_default()));
                }
                // A literal app id joins the token to the app's installation.
                if matches!(k.name.as_str(), "app-id" | "app_id" | "client-id")
                    && let Some(id) = v.scalar_text().filter(|t| !t.contains("${{"))
                {
                    out.app_token_apps.push(id);
                }
            }
        }
        out
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }
}

/// Inputs that hand a cloud login a static key.
fn static_key_inputs(inputs: &StepInputs) -> Vec<String> {
    ["aws-access-key-id", "credentials_json", "creds"]
        .into_iter()
        .filter(|k| inputs.get(k).is_some_and(|v| !v.is_empty()))
        .map(str::to_string)
        .collect()
}

/// The Google Cloud service accounts and workload identity providers a job signs in
/// with (`google-github-actions/auth`, and `run-gemini-cli`'s `gcp_…` inputs), when the
/// workflow names them literally rather than through `${{ … }}`.
fn gcp_sign_in(inputs: &StepInputs) -> (Vec<String>, Vec<String>) {
    let literal = |keys: [&str; 2]| -> Vec<String> {
        let mut v: Vec<String> = keys
            .iter()
            .filter_map(|k| inputs.get(k))
            .map(str::trim)
            .filter(|v| !v.is_empty() && !v.contains("${{"))
            .map(str::to_string)
            .collect();
        v.dedup();
        v
    };
    (
        literal(["service_account", "gcp_service_account"]),
        literal([
            "workload_identity_provider",
            "gcp_workload_identity_provider",
        ]),
    )
}

/// Inputs that log in to a cloud or a model provider by federation (OIDC).
fn federation(inputs: &StepInputs) -> Vec<&'static str> {
    [
        "role-to-assume",
        "workload_identity_provider",
        "gcp_workload_identity_provider",
        "anthropic_federation_rule_id",
        "use_bedrock",
        "use_vertex",
    ]
    .into_iter()
    .filter(|k| inputs.get(k).is_some_and(|v| !v.is_empty() && v != "false"))
    .collect()
}

/// What the job is and what starts it.
fn job_facts(
    facts: &mut serde_json::Map<String, Json>,
    ctx: &JobCtx<'_>,
    ids: &AgentIds,
    product: &str,
    uses_found: &[AgentUse],
) {
    let cat = catalog();
    let tools: Vec<Json> = uses_found
        .iter()
        .map(|u| json!({"agent": u.agent, "provider": u.provider, "uses": u.uses, "pinned": u.pinned, "line": u.at.line(), "file": u.at.path()}))
        .collect();
    let triggers = effective_triggers(ctx);
    let untrusted: Vec<&String> = triggers
        .iter()
        .filter(|t| cat.untrusted_triggers.contains(t))
        .collect();
    facts.insert("workflow".into(), json!(ids.label));
    facts.insert(
        "workflow_file".into(),
        json!(ctx.caller.map_or(ctx.file.as_str(), |c| c.file)),
    );
    facts.insert("job".into(), json!(ids.job_name));
    facts.insert("product".into(), json!(product));
    facts.insert("agent_steps".into(), Json::Array(tools));
    facts.insert("untrusted_triggers".into(), json!(untrusted));
    facts.insert("triggers".into(), json!(triggers));
    facts.insert(
        "after_workflows".into(),
        json!(
            ctx.caller
                .map_or(&ctx.wf.after_workflows, |c| &c.wf.after_workflows)
        ),
    );
    facts.insert("environment".into(), json!(environment(ctx.job)));
    facts.insert(
        "calls".into(),
        json!(match ctx.caller {
            Some(_) => Some(ctx.file.as_str()),
            None => ctx.job.get("uses").and_then(Node::as_str),
        }),
    );
}

/// The workflow token: where its permissions come from, what they are, and its id.
fn token_facts(
    facts: &mut serde_json::Map<String, Json>,
    source: &str,
    perms: &TokenPermissions,
    token_id: &str,
) {
    let level = perms.max_level();
    facts.insert("permissions_source".into(), json!(source));
    facts.insert("permissions".into(), perms.to_json());
    facts.insert(
        "token_access_level".into(),
        json!(level.map_or("unknown", AccessLevel::as_str)),
    );
    facts.insert(
        "write_scopes".into(),
        json!(perms.scopes_at_least(AccessLevel::Write)),
    );
    facts.insert("token".into(), json!(token_id));
    facts.insert(
        "oidc".into(),
        json!(perms.level_of("id-token") == Some(AccessLevel::Write)),
    );
}

/// The secrets held, and whether a caller hands over all of its own.
fn secret_facts(facts: &mut serde_json::Map<String, Json>, ctx: &JobCtx<'_>, held: Held) {
    let inherit = ctx.caller.map_or_else(
        || ctx.job.get("secrets").and_then(Node::as_str) == Some("inherit"),
        |c| c.inherit,
    );
    facts.insert("static_cloud_keys".into(), json!(held.static_cloud_keys));
    facts.insert("secrets".into(), json!(held.names));
    facts.insert("non_model_secrets".into(), json!(held.non_model));
    facts.insert("secrets_inherit".into(), json!(inherit));
    facts.insert("github_token_override".into(), json!(held.pat_for_github));
}

/// `who_can_start` and the sentence and line that decide it.
pub(super) fn insert_start(facts: &mut serde_json::Map<String, Json>, s: &Start) {
    facts.insert("who_can_start".into(), json!(s.level_str()));
    facts.insert("who_can_start_reason".into(), json!(s.reason));
    facts.insert("who_can_start_line".into(), json!(s.line));
    if let Some(w) = &s.without_environment {
        facts.insert(
            "who_can_start_without_environment".into(),
            json!({"level": w.level_str(), "reason": w.reason}),
        );
    }
}

/// Facts every workflow agent has, so rule conditions can read them on any of them.
pub(super) fn insert_defaults(facts: &mut serde_json::Map<String, Json>) {
    for (k, v) in [
        ("agent_steps", json!([])),
        ("after_workflows", json!([])),
        ("untrusted_inputs", json!([])),
        ("oidc", json!(false)),
        ("federation", json!([])),
        ("role_to_assume", json!([])),
        ("gcp_service_accounts", json!([])),
        ("gcp_workload_identity_providers", json!([])),
        ("azure_client_ids", json!([])),
        ("static_cloud_keys", json!([])),
        ("secrets", json!([])),
        ("non_model_secrets", json!([])),
        ("secrets_inherit", json!(false)),
        ("github_token_override", json!([])),
        ("app_token", json!(false)),
        ("app_token_permissions", json!([])),
        ("app_token_apps", json!([])),
        ("environment", Json::Null),
        ("allowed_non_write_users", Json::Null),
        ("allowed_bots", Json::Null),
        ("dangerous_flags", json!([])),
        ("calls_llm_api", json!(false)),
        ("calls", Json::Null),
        ("safe_outputs", json!([])),
        ("holds", json!("")),
        ("writes_through_safe_outputs", json!([])),
    ] {
        facts.entry(k).or_insert(v);
    }
}

/// The model provider an engine's key belongs to.
pub(super) fn provider_of_engine(engine: &str) -> &'static str {
    match engine {
        "claude" => "anthropic",
        "codex" => "openai",
        "gemini" => "google",
        "copilot" => "github",
        _ => "unknown",
    }
}

/// What the agent holds, in words, for messages.
pub(super) fn holdings(
    write_scopes: &[String],
    secrets: &BTreeSet<String>,
    roles: &[String],
    static_keys: &BTreeSet<String>,
) -> String {
    let mut parts = Vec::new();
    if !write_scopes.is_empty() {
        parts.push(format!("write on {}", write_scopes.join(", ")));
    }
    if !secrets.is_empty() {
        parts.push(format!(
            "the secrets {}",
            secrets.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if !roles.is_empty() {
        parts.push(format!("the cloud role {}", roles.join(", ")));
    }
    if !static_keys.is_empty() {
        parts.push("static cloud keys".to_string());
    }
    if parts.is_empty() {
        "a read-only token".into()
    } else {
        parts.join("; ")
    }
}

pub(super) fn environment(job: &Node) -> Option<String> {
    let env = job.get("environment")?;
    env.scalar_text()
        .or_else(|| env.get("name").and_then(Node::scalar_text))
}

pub(super) fn is_static_cloud_key(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    n.contains("AWS_ACCESS_KEY_ID")
        || n.contains("AWS_SECRET_ACCESS_KEY")
        || n == "AZURE_CREDENTIALS"
        || n.contains("GCP_SA_KEY")
        || n.contains("GCP_CREDENTIALS")
        || n.contains("GOOGLE_CREDENTIALS")
        || n.contains("SERVICE_ACCOUNT_KEY")
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = "on: issue_comment\njobs:\n  fix:\n    runs-on: x\n    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          role-to-assume: arn:aws:iam::123456789012:role/ci\n          aws-access-key-id: ''\n      - uses: actions/create-github-app-token@v1\n        with:\n          app-id: 42\n          client-id: ${{ vars.CLIENT }}\n          permission-contents: write\n      - uses: google-github-actions/auth@v2\n        with:\n          credentials_json: ${{ secrets.GCP_SA_KEY }}\n          use_vertex: 'false'\n";

    #[test]
    fn step_inputs_and_cloud_logins() {
        with_job(JOB, "fix", |ctx| {
            let steps = expand_steps(ctx, ctx.index);
            let inputs = StepInputs::of(&steps);
            assert_eq!(
                inputs.get("role-to-assume"),
                Some("arn:aws:iam::123456789012:role/ci")
            );
            assert_eq!(inputs.app_token_permissions, ["contents: write"]);
            assert_eq!(inputs.app_token_apps, ["42"]);
            assert_eq!(static_key_inputs(&inputs), ["credentials_json"]);
            assert_eq!(federation(&inputs), ["role-to-assume"]);
            assert!(!calls_llm_api(&steps));
            assert_eq!(gcp_sign_in(&inputs), (vec![], vec![]));
        });
        let gemini = "on: issues\njobs:\n  t:\n    runs-on: x\n    steps:\n      - uses: google-github-actions/run-gemini-cli@v0\n        with:\n          gcp_service_account: triage@p.iam.gserviceaccount.com\n          gcp_workload_identity_provider: ${{ vars.GCP_WIF_PROVIDER }}\n";
        with_job(gemini, "t", |ctx| {
            let steps = expand_steps(ctx, ctx.index);
            let (accounts, providers) = gcp_sign_in(&StepInputs::of(&steps));
            assert_eq!(accounts, ["triage@p.iam.gserviceaccount.com"]);
            assert!(providers.is_empty(), "a variable is not a provider's name");
        });
    }

    #[test]
    fn ids_and_evidence_of_a_job() {
        with_job(JOB, "fix", |ctx| {
            let ids = AgentIds::of(ctx);
            assert_eq!(ids.agent, "repo:w.yml#/jobs/fix");
            assert_eq!(ids.token, "github-token:w.yml#/jobs/fix");
            assert_eq!(ids.job_loc, Location::file("w.yml", 3, 3));
            assert_eq!(
                (ids.label.as_str(), ids.job_label.as_str()),
                ("w.yml", "fix")
            );
            let key = SecretRef {
                file: "w.yml".into(),
                name: "OPENAI_API_KEY".into(),
                assigned_to: None,
                line: 9,
                column: 5,
            };
            let ev = evidence(ctx, &[], &[&key], true, &ids.job_loc);
            assert_eq!(ev.len(), 1);
            assert_eq!(
                ev[0].description,
                "job fix receives the LLM provider key(s) OPENAI_API_KEY and calls an LLM API"
            );
        });
    }

    #[test]
    fn secrets_held_by_what_they_are() {
        let r = |name: &str, to: Option<&str>| SecretRef {
            file: "w.yml".into(),
            name: name.into(),
            assigned_to: to.map(str::to_string),
            line: 1,
            column: 1,
        };
        let refs = [
            r("GITHUB_TOKEN", None),
            r("ANTHROPIC_API_KEY", None),
            r("AWS_SECRET_ACCESS_KEY", None),
            r("BOT_PAT", Some("github_token")),
        ];
        let mut fragment = Fragment::new("w.yml");
        let held = add_secrets(&mut fragment, "repo:w.yml#/jobs/fix", &refs, false);
        let names = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>();
        assert_eq!(
            names(&held.names),
            ["ANTHROPIC_API_KEY", "AWS_SECRET_ACCESS_KEY", "BOT_PAT"]
        );
        assert_eq!(names(&held.non_model), ["AWS_SECRET_ACCESS_KEY", "BOT_PAT"]);
        assert_eq!(names(&held.static_cloud_keys), ["AWS_SECRET_ACCESS_KEY"]);
        assert_eq!(held.pat_for_github, ["BOT_PAT"]);
        let mut fragment = Fragment::new("w.yml");
        let with_app = add_secrets(&mut fragment, "a", &refs, true);
        assert!(with_app.pat_for_github.is_empty());
    }
}
