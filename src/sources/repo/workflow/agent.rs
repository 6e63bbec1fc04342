//! The agent a job becomes: its id and name, evidence, token, credentials and the facts
//! rules read.

use super::*;

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
    let cat = catalog();
    let agent_product = uses_found
        .first()
        .map(|u| u.agent.clone())
        .unwrap_or_else(|| "LLM API caller".into());
    // The agent is the job that runs: for a called workflow, the caller's job.
    let (agent_id, token_id, job_loc, label, job_label) = match ctx.caller {
        Some(c) => {
            let suffix = if c.several {
                format!("/{}", crate::doc::pointer_segment(ctx.name))
            } else {
                String::new()
            };
            let seg = crate::doc::pointer_segment(c.job_name);
            (
                format!("repo:{}#/jobs/{seg}{suffix}", c.file),
                format!("github-token:{}#/jobs/{seg}{suffix}", c.file),
                Location::file(c.file, c.line, c.column),
                c.wf.label(),
                if c.several {
                    format!("{} → {}", c.job_name, ctx.name)
                } else {
                    c.job_name.to_string()
                },
            )
        }
        None => {
            let seg = crate::doc::pointer_segment(ctx.name);
            (
                format!("repo:{}#/jobs/{seg}", ctx.file),
                format!("github-token:{}#/jobs/{seg}", ctx.file),
                Location::file(&ctx.file, ctx.line, ctx.column),
                ctx.wf.label(),
                ctx.name.to_string(),
            )
        }
    };
    let job_name = ctx.caller.map_or(ctx.name, |c| c.job_name);
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
    let calls_llm_api = steps.iter().any(|s| {
        s.node
            .get("run")
            .and_then(Node::as_str)
            .is_some_and(|r| cat.endpoint_in(r).is_some())
    });
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

    let JobToken {
        source: perm_source,
        perms,
        line: perm_line,
        block,
    } = token;
    let perm_loc = match ctx.caller {
        Some(_) if perm_source == "caller" => Location::file(
            ctx.caller.map_or(ctx.file.as_str(), |c| c.file),
            perm_line,
            1,
        ),
        _ => Location::file(&ctx.file, perm_line, 1),
    };
    add_token_identity(
        fragment,
        &token_id,
        &agent_id,
        &perms,
        &perm_source,
        &perm_loc,
    );
    if let Some(block) = block {
        fragment.permission_sites(&agent_id, permission_sites(&ctx.file, block));
    }

    // Credentials: secrets by name, OIDC, static cloud keys.
    let uses_app_token = steps.iter().any(|s| {
        s.node.get("uses").and_then(Node::as_str).is_some_and(|u| {
            u.contains("create-github-app-token") || u.contains("github-app-token")
        })
    });
    let mut secret_names = BTreeSet::new();
    let mut non_model = BTreeSet::new();
    let mut static_cloud_keys = BTreeSet::new();
    let mut pat_for_github = Vec::new();
    for r in refs {
        if r.name == "GITHUB_TOKEN" {
            continue;
        }
        secret_names.insert(r.name.clone());
        let hint = secrets::hint_for_name(&r.name);
        let (kind, provider) = hint.map_or(("secret", "unknown"), |h| (h.kind, h.provider));
        if !cat.is_llm_provider(provider) && cat.agent_of_secret(&r.name).is_none() {
            non_model.insert(r.name.clone());
        }
        let site = Site {
            name: r.assigned_to.as_deref(),
            line: r.line,
            column: r.column,
        };
        fragment.add_reference_at(
            Some(&agent_id),
            &r.file,
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
    let mut inputs: BTreeMap<String, String> = BTreeMap::new();
    let mut app_token_permissions = Vec::new();
    let mut app_token_apps = Vec::new();
    for s in steps {
        for (k, v) in s.node.get("with").map(Node::entries).unwrap_or_default() {
            if let Some(t) = v.scalar_text() {
                inputs.insert(k.name.to_ascii_lowercase(), substitute(&t, &s.inputs));
            }
        }
        let app = s.node.get("uses").and_then(Node::as_str).is_some_and(|u| {
            u.contains("create-github-app-token") || u.contains("github-app-token")
        });
        if app {
            for (k, v) in s.node.get("with").map(Node::entries).unwrap_or_default() {
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
    let input = |k: &str| inputs.get(k).map(String::as_str);
    let role_to_assume: Vec<String> = input("role-to-assume")
        .map(str::to_string)
        .into_iter()
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
    let scripts: Vec<String> = steps.iter().filter_map(|s| step_text(s, "run")).collect();
    let mut dangerous = Vec::new();
    for flag in [
        "--dangerously-skip-permissions",
        "--dangerously-bypass-approvals-and-sandbox",
        "--yolo",
        "--full-auto",
        "--allow-all-tools",
    ] {
        if claude_args.contains(flag) || scripts.iter().any(|s| s.contains(flag)) {
            dangerous.push(flag.to_string());
        }
    }
    if let Some(s) = input("safety-strategy").filter(|s| *s == "unsafe") {
        dangerous.push(format!("safety-strategy: {s}"));
    }
    if let Some(s) = input("sandbox").filter(|s| s.contains("danger")) {
        dangerous.push(format!("sandbox: {s}"));
    }

    let triggers = effective_triggers(ctx);
    let untrusted: Vec<&String> = triggers
        .iter()
        .filter(|t| cat.untrusted_triggers.contains(t))
        .collect();
    let level = perms.max_level();
    let write_scopes = perms.scopes_at_least(AccessLevel::Write);
    let tools: Vec<Json> = uses_found
        .iter()
        .map(|u| json!({"agent": u.agent, "provider": u.provider, "uses": u.uses, "pinned": u.pinned, "line": u.at.line(), "file": u.at.path()}))
        .collect();

    let mut facts = serde_json::Map::new();
    facts.insert("workflow".into(), json!(label));
    facts.insert(
        "workflow_file".into(),
        json!(ctx.caller.map_or(ctx.file.as_str(), |c| c.file)),
    );
    facts.insert("job".into(), json!(job_name));
    facts.insert("product".into(), json!(agent_product));
    facts.insert("agent_steps".into(), Json::Array(tools));
    facts.insert("triggers".into(), json!(triggers));
    facts.insert("untrusted_triggers".into(), json!(untrusted));
    facts.insert(
        "after_workflows".into(),
        json!(
            ctx.caller
                .map_or(&ctx.wf.after_workflows, |c| &c.wf.after_workflows)
        ),
    );
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
    facts.insert(
        "holds".into(),
        json!(holdings(
            &write_scopes,
            &secret_names,
            &role_to_assume,
            &static_cloud_keys
        )),
    );
    facts.insert("secrets".into(), json!(secret_names));
    facts.insert("non_model_secrets".into(), json!(non_model));
    let inherit = ctx.caller.map_or_else(
        || ctx.job.get("secrets").and_then(Node::as_str) == Some("inherit"),
        |c| c.inherit,
    );
    facts.insert("secrets_inherit".into(), json!(inherit));
    facts.insert("github_token_override".into(), json!(pat_for_github));
    facts.insert("app_token".into(), json!(uses_app_token));
    facts.insert("app_token_permissions".into(), json!(app_token_permissions));
    facts.insert("app_token_apps".into(), json!(app_token_apps));
    facts.insert("environment".into(), json!(environment(ctx.job)));
    facts.insert(
        "allowed_non_write_users".into(),
        json!(input("allowed_non_write_users")),
    );
    facts.insert("allowed_bots".into(), json!(input("allowed_bots")));
    facts.insert("dangerous_flags".into(), json!(dangerous));
    facts.insert("calls_llm_api".into(), json!(calls_llm_api));
    facts.insert(
        "calls".into(),
        json!(match ctx.caller {
            Some(_) => Some(ctx.file.as_str()),
            None => ctx.job.get("uses").and_then(Node::as_str),
        }),
    );
    insert_start(&mut facts, &start);
    for (k, v) in extra {
        facts.insert(k, v);
    }
    insert_defaults(&mut facts);
    fragment.agent(
        agent_id,
        format!("{agent_product} in {label} / {job_label}"),
        "github-workflow",
        confidence,
        evidence,
        job_loc,
        facts,
    );
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
