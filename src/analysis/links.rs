//! Joins that no single file shows: env files named by agent configs, holders of
//! identities, and credentials shared between agents.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{AgentKind, CredentialKind, Edge, EdgeKind, IdentityKind, Inventory, Provider};

/// A LangGraph config's `env` file: the credentials in it are held by its graphs.
pub fn link_env_files(inv: &mut Inventory) {
    let mut by_file: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for agent in &inv.agents {
        if let Some(file) = agent.facts.get("env_file").and_then(|v| v.as_str()) {
            by_file
                .entry(file.to_string())
                .or_default()
                .push((agent.id.clone(), file.to_string()));
        }
    }
    if by_file.is_empty() {
        return;
    }
    let mut edges = Vec::new();
    for cred in &inv.credentials {
        for loc in &cred.locations {
            let Some(path) = loc.path() else { continue };
            for (agent, file) in by_file.get(path).into_iter().flatten() {
                edges.push(Edge {
                    kind: EdgeKind::Holds,
                    from: agent.clone(),
                    to: cred.identity.clone().unwrap_or_else(|| cred.id.clone()),
                    evidence: format!(
                        "loads {file}, which holds {}",
                        cred.name.as_deref().unwrap_or(cred.kind.as_str())
                    ),
                    location: Some(loc.clone()),
                });
            }
        }
    }
    inv.edges.extend(edges);
}

/// A config that names a key file (`GOOGLE_APPLICATION_CREDENTIALS`) holds the key
/// found in that file: its edge is pointed at the key's identity, or dropped when the
/// scan found no key there.
pub fn link_key_files(inv: &mut Inventory) {
    use crate::sources::repo::KEY_FILE;
    if !inv.edges.iter().any(|e| e.to.starts_with(KEY_FILE)) {
        return;
    }
    let mut by_file: BTreeMap<&str, &str> = BTreeMap::new();
    for c in inv
        .credentials
        .iter()
        .filter(|c| c.kind == CredentialKind::GcpServiceAccountKey)
    {
        let Some(identity) = c.identity.as_deref() else {
            continue;
        };
        for path in c.locations.iter().filter_map(|l| l.path()) {
            by_file.entry(path).or_insert(identity);
        }
    }
    let by_file: BTreeMap<String, String> = by_file
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    inv.edges.retain_mut(|e| {
        let Some(file) = e.to.strip_prefix(KEY_FILE) else {
            return true;
        };
        match by_file.get(file) {
            Some(identity) => {
                e.to = identity.clone();
                true
            }
            None => false,
        }
    });
}

/// A service-account key file found in a scan is the key Google lists with the same
/// key id: whoever holds the file holds the account that owns the key. With no listed
/// key of that id, the file's `client_email` names the account, when the scan has it.
pub fn join_gcp_keys(inv: &mut Inventory) {
    let listed: BTreeMap<&str, (&str, &str)> = inv
        .credentials
        .iter()
        .filter(|c| c.kind == CredentialKind::GcpServiceAccountKey && c.fingerprint.is_none())
        .filter_map(|c| {
            Some((
                c.key_id.as_deref()?,
                (c.identity.as_deref()?, c.id.as_str()),
            ))
        })
        .collect();
    let mut edges = Vec::new();
    for c in inv
        .credentials
        .iter()
        .filter(|c| c.kind == CredentialKind::GcpServiceAccountKey && c.fingerprint.is_some())
    {
        let (Some(local), Some(key_id)) = (c.identity.as_deref(), c.key_id.as_deref()) else {
            continue;
        };
        let (owner, evidence) = match listed.get(key_id) {
            Some((owner, _)) => (
                owner.to_string(),
                format!(
                    "its config holds the key file of key {key_id}, which belongs to {}",
                    owner.trim_start_matches("gcp:serviceAccount:")
                ),
            ),
            None => {
                let Some(email) = c.name.as_deref() else {
                    continue;
                };
                let id = format!("gcp:serviceAccount:{}", email.to_ascii_lowercase());
                if inv.identity(&id).is_none() {
                    continue;
                }
                let evidence = format!(
                    "its config holds a key file of {} (key {key_id}, not in the key listings)",
                    email.to_ascii_lowercase()
                );
                (id, evidence)
            }
        };
        for agent in inv
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Holds && e.to == local)
            .map(|e| e.from.as_str())
        {
            edges.push(Edge {
                kind: EdgeKind::Holds,
                from: agent.to_string(),
                to: owner.clone(),
                evidence: evidence.clone(),
                location: c.locations.first().cloned(),
            });
        }
    }
    inv.edges.extend(edges);
}

/// Every `holds` edge makes the agent one of the identity's holders.
pub fn holders_from_edges(inv: &mut Inventory) {
    let mut holders: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in inv.edges.iter().filter(|e| e.kind == EdgeKind::Holds) {
        holders
            .entry(e.to.as_str())
            .or_default()
            .insert(e.from.as_str());
    }
    let holders: BTreeMap<String, Vec<String>> = holders
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
        .collect();
    for identity in &mut inv.identities {
        if let Some(agents) = holders.get(&identity.id) {
            identity.agents.extend(agents.iter().cloned());
            identity.agents.sort();
            identity.agents.dedup();
        }
    }
}

/// One credential held by several agents: a `shares` edge from the first holder to each
/// other one, so the graph shows who else has the same key.
pub fn shares(inv: &mut Inventory) {
    let mut edges = Vec::new();
    for identity in &inv.identities {
        if identity.agents.len() < 2 || identity.kind == IdentityKind::GithubToken {
            continue;
        }
        let first = &identity.agents[0];
        for other in &identity.agents[1..] {
            edges.push(Edge {
                kind: EdgeKind::Shares,
                from: first.clone(),
                to: other.clone(),
                evidence: format!("both hold {} ({})", identity.name, identity.id),
                location: identity.locations.first().cloned(),
            });
        }
    }
    inv.edges.extend(edges);
}

/// Access key ids are identifiers: a key id found in an agent's config joins the agent to
/// the IAM user that owns the key, so the agent holds that user and everything it reaches.
pub fn join_key_ids(inv: &mut Inventory) {
    let owners: BTreeMap<&str, &str> = inv
        .credentials
        .iter()
        .filter(|c| c.kind == CredentialKind::AwsAccessKey)
        .filter_map(|c| Some((c.key_id.as_deref()?, c.identity.as_deref()?)))
        .collect();
    if owners.is_empty() {
        return;
    }
    let mut edges = Vec::new();
    for c in inv
        .credentials
        .iter()
        .filter(|c| c.kind == CredentialKind::AwsAccessKeyId)
    {
        let Some(owner) = c.key_id.as_deref().and_then(|k| owners.get(k)) else {
            continue;
        };
        let Some(local) = c.identity.as_deref() else {
            continue;
        };
        let holders: Vec<&str> = inv
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Holds && e.to == local)
            .map(|e| e.from.as_str())
            .collect();
        for agent in holders {
            edges.push(Edge {
                kind: EdgeKind::Holds,
                from: agent.to_string(),
                to: owner.to_string(),
                evidence: format!(
                    "its config holds access key {}, which belongs to {}",
                    c.key_id.as_deref().unwrap_or("?"),
                    owner.trim_start_matches("aws:")
                ),
                location: c.locations.first().cloned(),
            });
        }
    }
    inv.edges.extend(edges);
}

/// A workflow's `role-to-assume` names the IAM role its OIDC token becomes: the agent job
/// holds that role (when the account is in the scan), and with it the role's access.
pub fn join_roles_to_assume(inv: &mut Inventory) {
    let mut edges = Vec::new();
    for agent in &inv.agents {
        let Some(roles) = agent.facts.get("role_to_assume").and_then(|v| v.as_array()) else {
            continue;
        };
        for arn in roles.iter().filter_map(|r| r.as_str()) {
            let id = format!("aws:{arn}");
            if inv.identity(&id).is_some() {
                edges.push(Edge {
                    kind: EdgeKind::Holds,
                    from: agent.id.clone(),
                    to: id,
                    evidence: format!("its job assumes {arn} with its OIDC token (role-to-assume)"),
                    location: agent.locations.first().cloned(),
                });
            }
        }
    }
    inv.edges.extend(edges);
}

/// A workflow's `google-github-actions/auth` step names the Google Cloud service account
/// its job signs in as and the workload identity provider its OIDC token is exchanged
/// at: the agent job holds both (when the scan has them), and with them their access.
pub fn join_gcp_auth(inv: &mut Inventory) {
    use crate::sources::gcp::{account_id, provider_id};
    let mut edges = Vec::new();
    for agent in &inv.agents {
        let joins = strs(agent.facts.get("gcp_service_accounts"))
            .into_iter()
            .map(|sa| (account_id(sa), format!("its job signs in to Google Cloud as {sa} (google-github-actions/auth service_account)")))
            .chain(
                strs(agent.facts.get("gcp_workload_identity_providers"))
                    .into_iter()
                    .map(|p| (provider_id(p), format!("its job's OIDC token is exchanged at the workload identity provider {p} (google-github-actions/auth)"))),
            );
        for (id, evidence) in joins {
            if inv.identity(&id).is_some() {
                edges.push(agent_holds(agent, id, evidence));
            }
        }
    }
    inv.edges.extend(edges);
}

/// A workflow's `azure/login` step names the Entra application (`client-id`) its job
/// signs in as: the agent job holds that application's identity (when the scan has it),
/// and with it its access.
pub fn join_azure_login(inv: &mut Inventory) {
    let by_app: BTreeMap<String, &str> = inv
        .identities
        .iter()
        .filter(|i| i.provider == Provider::Azure)
        .filter_map(|i| {
            let app = i.facts.get("azure")?["app_id"].as_str()?;
            Some((app.to_ascii_lowercase(), i.id.as_str()))
        })
        .collect();
    let mut edges = Vec::new();
    for agent in &inv.agents {
        for client in strs(agent.facts.get("azure_client_ids")) {
            if let Some(id) = by_app.get(&client.to_ascii_lowercase()) {
                edges.push(agent_holds(
                    agent,
                    id.to_string(),
                    format!(
                        "its job signs in to Azure as the application {client} (azure/login client-id)"
                    ),
                ));
            }
        }
    }
    inv.edges.extend(edges);
}

/// A workflow that mints a GitHub App token (`actions/create-github-app-token` with a
/// literal `app-id` or `client-id`) holds that app's installation in the crawled
/// organisation: the token can have at most the installation's permissions.
pub fn join_app_tokens(inv: &mut Inventory) {
    let mut installations: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for i in inv
        .identities
        .iter()
        .filter(|i| i.kind == IdentityKind::GithubAppInstallation)
    {
        let app = i.facts.get("github").and_then(|g| g.get("app_id"));
        if let Some(app) = app.map(|a| match a {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        }) {
            installations.entry(app).or_default().push(i.id.as_str());
        }
    }
    if installations.is_empty() {
        return;
    }
    let mut edges = Vec::new();
    for agent in &inv.agents {
        for app in strs(agent.facts.get("app_token_apps")) {
            for &installation in installations.get(app).into_iter().flatten() {
                let narrowed = strs(agent.facts.get("app_token_permissions"));
                let scope = if narrowed.is_empty() {
                    "with all of the installation's permissions".to_string()
                } else {
                    format!("asking for {}", narrowed.join(", "))
                };
                edges.push(Edge {
                    kind: EdgeKind::Holds,
                    from: agent.id.clone(),
                    to: installation.to_string(),
                    evidence: format!(
                        "its job mints a token of GitHub App {app} ({installation}), {scope}"
                    ),
                    location: agent.locations.first().cloned(),
                });
            }
        }
    }
    inv.edges.extend(edges);
}

/// What an actor must be able to do for an event to happen, in words and as the token
/// permission it takes. Events a workflow's own `GITHUB_TOKEN` causes start no new run,
/// except `workflow_dispatch` and `repository_dispatch`.
const EVENTS: &[(&str, &str, &str, bool)] = &[
    // (event, permission scope, what the actor does, starts a run with GITHUB_TOKEN)
    (
        "issue_comment",
        "issues",
        "comment on an issue or pull request",
        false,
    ),
    ("issues", "issues", "open or edit an issue", false),
    (
        "pull_request_review_comment",
        "pull-requests",
        "comment on a pull request review",
        false,
    ),
    (
        "pull_request_review",
        "pull-requests",
        "review a pull request",
        false,
    ),
    (
        "pull_request",
        "pull-requests",
        "open or update a pull request",
        false,
    ),
    (
        "pull_request_target",
        "pull-requests",
        "open or update a pull request",
        false,
    ),
    ("push", "contents", "push a commit", false),
    ("create", "contents", "create a branch or tag", false),
    ("release", "contents", "publish a release", false),
    ("discussion", "discussions", "open a discussion", false),
    (
        "discussion_comment",
        "discussions",
        "comment on a discussion",
        false,
    ),
    (
        "workflow_dispatch",
        "actions",
        "dispatch the workflow",
        true,
    ),
    (
        "repository_dispatch",
        "contents",
        "send a repository_dispatch event",
        true,
    ),
];

/// The strings of a JSON array fact.
/// A `holds` edge from an agent, located where the agent is.
pub(crate) fn agent_holds(agent: &crate::model::Agent, to: String, evidence: String) -> Edge {
    Edge {
        kind: EdgeKind::Holds,
        from: agent.id.clone(),
        to,
        evidence,
        location: agent.locations.first().cloned(),
    }
}

fn strs(v: Option<&serde_json::Value>) -> Vec<&str> {
    v.and_then(|v| v.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
        .unwrap_or_default()
}

/// How an agent acts on GitHub when it does.
enum Actor<'a> {
    /// A personal access token: it acts as its owner, and its events start workflows.
    Pat(String),
    /// A GitHub App installation token, with the permissions it was minted with (empty:
    /// the installation's, which a file does not show).
    App(Vec<&'a str>),
    /// Only the workflow's own token.
    WorkflowToken,
}

/// The folder that holds `.github/workflows/` for a workflow file path.
fn repo_of_workflow(path: &str) -> Option<&str> {
    path.split_once(".github/workflows/").map(|(root, _)| root)
}

/// Agent A triggers agent B when A can cause an event B's workflow listens to, in the
/// same repository: with a PAT or an App token any event it has the permission for, with
/// the workflow's own `GITHUB_TOKEN` only a dispatch, and any workflow whose completion B
/// waits for (`workflow_run`). Agents outside workflows (an MCP client) trigger the
/// workflows of the repository they are configured in when they hold a GitHub token.
/// Who can start an agent that another agent can trigger: whoever can start that one
/// (an outsider who reaches a dispatcher reaches the agent it starts). The triggered
/// agent's own actor checks do not help: the event's actor is the dispatcher's identity.
pub fn propagate_starts(inv: &mut Inventory) {
    const RANK: [&str; 4] = ["anyone", "contributors", "writers", "maintainers"];
    let rank = |s: &str| RANK.iter().position(|r| *r == s);
    let edges: Vec<(String, String)> = inv
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Triggers)
        .map(|e| (e.from.clone(), e.to.clone()))
        .collect();
    if edges.is_empty() {
        return;
    }
    // Each round can only lower a level, and there are four: it settles quickly.
    for _ in 0..RANK.len() + 1 {
        let mut changed = false;
        for (from, to) in &edges {
            let Some(a) = inv.agent(from) else { continue };
            let Some(a_level) = a
                .facts
                .get("who_can_start")
                .and_then(|v| v.as_str())
                .and_then(rank)
            else {
                continue;
            };
            let a_name = a.name.clone();
            let Ok(i) = inv.agents.binary_search_by(|x| x.id.as_str().cmp(to)) else {
                continue;
            };
            let b = &mut inv.agents[i];
            let b_level = b
                .facts
                .get("who_can_start")
                .and_then(|v| v.as_str())
                .and_then(rank);
            if b_level.is_some_and(|l| l <= a_level) {
                continue;
            }
            b.facts
                .insert("who_can_start".into(), serde_json::json!(RANK[a_level]));
            b.facts.insert(
                "who_can_start_reason".into(),
                serde_json::json!(format!(
                    "{a_name} can start it, and {} can start {a_name}",
                    RANK[a_level]
                )),
            );
            changed = true;
        }
        if !changed {
            break;
        }
    }
}

pub fn triggers(inv: &mut Inventory) {
    struct Listener<'a> {
        id: &'a str,
        name: &'a str,
        repo: &'a str,
        events: Vec<&'a str>,
        after: Vec<&'a str>,
    }
    let listeners: Vec<Listener<'_>> = inv
        .agents
        .iter()
        .filter(|a| a.kind == AgentKind::GithubWorkflow)
        .filter_map(|a| {
            let file = a.facts.get("workflow_file")?.as_str()?;
            Some(Listener {
                id: &a.id,
                name: &a.name,
                repo: repo_of_workflow(file)?,
                events: strs(a.facts.get("triggers")),
                after: strs(a.facts.get("after_workflows")),
            })
        })
        .collect();
    if listeners.is_empty() {
        return;
    }
    // By repository, then by what starts them: the jobs of one workflow share their
    // triggers, so whether an agent can start them is decided once per group, not once
    // per job (a workflow of thousands of jobs is not a million checks).
    type Groups<'l, 'a> = BTreeMap<(&'a [&'a str], &'a [&'a str]), Vec<&'l Listener<'a>>>;
    let mut by_repo: BTreeMap<&str, Groups<'_, '_>> = BTreeMap::new();
    for l in &listeners {
        by_repo
            .entry(l.repo)
            .or_default()
            .entry((l.events.as_slice(), l.after.as_slice()))
            .or_default()
            .push(l);
    }

    // GitHub tokens other than a workflow's own, by holder.
    let mut github_tokens: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in inv.edges.iter().filter(|e| e.kind == EdgeKind::Holds) {
        if let Some(i) = inv.identity(&e.to)
            && i.provider == Provider::Github
            && !i.id.starts_with("github-token:")
            && (i.kind.as_str().contains("token") || i.kind.as_str().contains("pat"))
        {
            github_tokens
                .entry(e.from.as_str())
                .or_default()
                .push(i.name.as_str());
        }
    }
    let token_scopes: BTreeMap<&str, BTreeMap<&str, crate::model::AccessLevel>> = {
        let mut m: BTreeMap<&str, BTreeMap<&str, crate::model::AccessLevel>> = BTreeMap::new();
        for g in &inv.grants {
            if g.identity.starts_with("github-token:") {
                m.entry(g.identity.as_str())
                    .or_default()
                    .insert(g.action.as_str(), g.access_level);
            }
        }
        m
    };

    let mut edges = Vec::new();
    for a in &inv.agents {
        let workflow_file = a.facts.get("workflow_file").and_then(|v| v.as_str());
        let repo = match workflow_file {
            Some(f) => repo_of_workflow(f),
            None => a.locations.first().and_then(|l| l.path()).and_then(|p| {
                // The longest repository folder that holds the config.
                by_repo
                    .keys()
                    .copied()
                    .filter(|r| p.starts_with(r))
                    .max_by_key(|r| r.len())
            }),
        };
        let Some(repo) = repo else { continue };
        let pats = strs(a.facts.get("github_token_override"));
        let actor = if let Some(p) = pats.first() {
            Actor::Pat(format!("its PAT (secrets.{p})"))
        } else if a.facts.get("app_token").and_then(|v| v.as_bool()) == Some(true) {
            Actor::App(strs(a.facts.get("app_token_permissions")))
        } else if let Some(t) = github_tokens.get(a.id.as_str()).and_then(|t| t.first()) {
            Actor::Pat(format!("its GitHub token ({t})"))
        } else if workflow_file.is_some() {
            Actor::WorkflowToken
        } else {
            continue;
        };
        let own_token = a.facts.get("token").and_then(|v| v.as_str());
        let workflow_name = a.facts.get("workflow").and_then(|v| v.as_str());
        let Some(same_repo) = by_repo.get(repo) else {
            continue;
        };
        for ((events, after), group) in same_repo {
            let mut can = Vec::new();
            if let Some(w) = workflow_name
                && after.contains(&w)
            {
                can.push(format!(
                    "when its workflow \"{w}\" completes, workflow_run starts"
                ));
            }
            for &(event, scope, verb, by_workflow_token) in EVENTS {
                if !events.contains(&event) {
                    continue;
                }
                let allowed = match &actor {
                    Actor::Pat(_) => true,
                    Actor::App(perms) => {
                        perms.is_empty()
                            || perms
                                .iter()
                                .any(|p| p.starts_with(scope) && p.ends_with("write"))
                    }
                    Actor::WorkflowToken => {
                        by_workflow_token
                            && own_token
                                .and_then(|t| token_scopes.get(t))
                                .and_then(|s| s.get(scope))
                                .is_some_and(|l| *l >= crate::model::AccessLevel::Write)
                    }
                };
                if allowed {
                    can.push(format!("can {verb} ({event})"));
                }
            }
            if can.is_empty() {
                continue;
            }
            let how = match &actor {
                Actor::Pat(what) => {
                    format!("{what} acts as a person, so its events start workflows: it ")
                }
                Actor::App(_) => "its GitHub App token's events start workflows: it ".to_string(),
                Actor::WorkflowToken => "with its GITHUB_TOKEN it ".to_string(),
            };
            let can = can.join(", ");
            for b in group.iter().filter(|b| b.id != a.id) {
                edges.push(Edge {
                    kind: EdgeKind::Triggers,
                    from: a.id.clone(),
                    to: b.id.to_string(),
                    evidence: format!("{how}{can}, which starts {}", b.name),
                    location: a.locations.first().cloned(),
                });
            }
        }
    }
    inv.edges.extend(edges);
}

#[cfg(test)]
mod tests {
    use crate::model::{EdgeKind, Inventory};
    use crate::sources::repo::analyse_text;

    const LISTENER: &str = "name: Coder\non:\n  issue_comment:\n  workflow_dispatch:\n  workflow_run:\n    workflows: [Nightly]\njobs:\n  code:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: write\n    steps:\n      - uses: anthropics/claude-code-action@v1\n";

    /// The triggers edges from the second workflow to the first, in one repository.
    fn triggers(actor: &str) -> Vec<String> {
        let mut inv = Inventory::default();
        inv.extend(analyse_text("r/.github/workflows/coder.yml", LISTENER));
        inv.extend(analyse_text("r/.github/workflows/actor.yml", actor));
        crate::analysis::analyse(&mut inv);
        inv.edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Triggers)
            .map(|e| e.evidence.clone())
            .collect()
    }

    fn actor(name: &str, permissions: &str, with: &str) -> String {
        format!(
            "name: {name}\non: [issues]\npermissions:\n{permissions}\njobs:\n  act:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: anthropics/claude-code-action@v1\n        with:\n          prompt: hi\n{with}"
        )
    }

    const SA: &str = "support-agent@example-project.iam.gserviceaccount.com";
    const KEY_ID: &str = "0123456789abcdef0123456789abcdef01234567";

    /// An MCP config whose server loads `sa-key.json`, the key file of `key_id`, and a
    /// `gcloud` listing of the account with `listed` keys.
    fn gcp_scan(key_id: &str, listed: &[&str]) -> Inventory {
        use crate::sources::gcp::{GcpInput, ServiceAccount, ServiceAccountKey};
        let mcp = r#"{"mcpServers": {"bq": {"command": "bq-mcp", "env": {"GOOGLE_APPLICATION_CREDENTIALS": "./sa-key.json"}}}}"#;
        let key = format!(
            "{{\"type\": \"service_account\", \"project_id\": \"example-project\", \"private_key_id\": \"{key_id}\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nEXAMPLE\\n-----END PRIVATE KEY-----\\n\", \"client_email\": \"{SA}\"}}"
        );
        let input = GcpInput {
            accounts: vec![(
                ServiceAccount {
                    email: SA.into(),
                    project_id: Some("example-project".into()),
                    ..Default::default()
                },
                "gcp/service-accounts.json".into(),
            )],
            keys: listed
                .iter()
                .map(|id| {
                    (
                        ServiceAccountKey {
                            name: format!(
                                "projects/example-project/serviceAccounts/{SA}/keys/{id}"
                            ),
                            key_type: Some("USER_MANAGED".into()),
                            ..Default::default()
                        },
                        "gcp/keys.json".into(),
                    )
                })
                .collect(),
            ..Default::default()
        };
        let mut inv = Inventory::default();
        inv.extend(analyse_text("repo/.mcp.json", mcp));
        inv.extend(analyse_text("repo/sa-key.json", &key));
        inv.extend(crate::sources::gcp::normalize(&input));
        crate::analysis::analyse(&mut inv);
        inv
    }

    fn holds(inv: &Inventory, to: &str) -> Vec<String> {
        inv.edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Holds && e.to == to)
            .map(|e| format!("{} {}", e.from, e.evidence))
            .collect()
    }

    #[test]
    fn a_key_file_in_a_config_is_the_listed_key_and_its_account() {
        let inv = gcp_scan(KEY_ID, &[KEY_ID]);
        let file = inv
            .credentials
            .iter()
            .find(|c| c.fingerprint.is_some())
            .and_then(|c| c.identity.clone())
            .unwrap_or_default();
        assert!(file.starts_with("secret:"), "{file}");
        // The config holds the file's key, and through the key id, the account.
        let agent = "repo:repo/.mcp.json";
        let key_holders = holds(&inv, &file);
        assert_eq!(key_holders.len(), 1, "{key_holders:?}");
        assert!(key_holders[0].starts_with(agent), "{key_holders:?}");
        assert!(!inv.edges.iter().any(|e| e.to.starts_with("key-file:")));
        let account = format!("gcp:serviceAccount:{SA}");
        let found = holds(&inv, &account);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with(agent), "{found:?}");
        assert!(
            found[0].contains(&format!("key {KEY_ID}, which belongs to {SA}")),
            "{found:?}"
        );
        let identity = inv.identity(&account).map(|i| i.agents.clone());
        assert_eq!(identity, Some(vec![agent.to_string()]));
    }

    #[test]
    fn an_unlisted_key_joins_by_its_client_email() {
        let other = "fedcba9876543210fedcba9876543210fedcba98";
        let inv = gcp_scan(KEY_ID, &[other]);
        let found = holds(&inv, &format!("gcp:serviceAccount:{SA}"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("not in the key listings"), "{found:?}");
    }

    #[test]
    fn a_key_file_of_an_account_not_in_the_scan_joins_nothing() {
        use crate::sources::gcp::GcpInput;
        let mut inv = Inventory::default();
        let key = format!(
            "{{\"type\": \"service_account\", \"private_key_id\": \"{KEY_ID}\", \"private_key\": \"k\", \"client_email\": \"x@p.iam.gserviceaccount.com\"}}"
        );
        inv.extend(analyse_text("k.json", &key));
        inv.extend(crate::sources::gcp::normalize(&GcpInput::default()));
        crate::analysis::analyse(&mut inv);
        assert!(
            inv.edges.iter().all(|e| !e.to.starts_with("gcp:")),
            "{:?}",
            inv.edges
        );
    }

    #[test]
    fn a_pat_starts_the_workflow_its_comments_reach() {
        let found = triggers(&actor(
            "Triage",
            "  issues: read",
            "          github_token: ${{ secrets.BOT_PAT }}\n",
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("secrets.BOT_PAT"), "{found:?}");
        assert!(found[0].contains("(issue_comment)"), "{found:?}");
    }

    #[test]
    fn the_workflow_token_starts_runs_only_by_dispatch() {
        // Comments made with GITHUB_TOKEN start nothing.
        assert!(triggers(&actor("Triage", "  issues: write", "")).is_empty());
        // `actions: write` can dispatch the workflow, and that does start a run.
        let found = triggers(&actor("Triage", "  actions: write", ""));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("(workflow_dispatch)"), "{found:?}");
        assert!(!found[0].contains("issue_comment"), "{found:?}");
    }

    #[test]
    fn a_literal_app_id_joins_the_installation() {
        let step = "      - uses: actions/create-github-app-token@v2\n        with:\n          app-id: 2218\n";
        let text = actor("Triage", "  issues: read", "")
            .replace("    steps:\n", &format!("    steps:\n{step}"));
        let mut inv = Inventory::default();
        inv.extend(analyse_text("r/.github/workflows/actor.yml", &text));
        let mut installation = crate::model::Identity::new(
            "github:installation:25381",
            "github-app-installation",
            "github",
            "octo app in octo-org",
        );
        installation
            .facts
            .insert("github".into(), serde_json::json!({"app_id": 2218}));
        inv.identities.push(installation);
        let mut other = inv.clone();
        crate::analysis::analyse(&mut inv);
        assert!(
            inv.edges.iter().any(|e| e.kind == EdgeKind::Holds
                && e.to == "github:installation:25381"
                && e.evidence.contains("all of the installation's permissions")),
            "{:#?}",
            inv.edges
        );
        // Another app's id joins nothing.
        let last = other.identities.last_mut().expect("the installation");
        last.facts
            .insert("github".into(), serde_json::json!({"app_id": 1}));
        crate::analysis::analyse(&mut other);
        assert!(
            !other
                .edges
                .iter()
                .any(|e| e.to == "github:installation:25381")
        );
    }

    #[test]
    fn an_app_token_needs_the_permission_and_workflow_run_needs_none() {
        let app = "      - uses: actions/create-github-app-token@v2\n        with:\n          app-id: 1\n          permission-contents: write\n";
        let text = actor("Triage", "  issues: read", "")
            .replace("    steps:\n", &format!("    steps:\n{app}"));
        assert!(triggers(&text).is_empty(), "contents: write cannot comment");
        let found = triggers(&text.replace("permission-contents", "permission-issues"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("App token") && found[0].contains("(issue_comment)"),
            "{found:?}"
        );
        let found = triggers(&actor("Nightly", "  contents: read", ""));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("workflow_run"), "{found:?}");
    }
}
