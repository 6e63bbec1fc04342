//! The GitHub provider's resources as the listings a crawl of the organisation reads (a
//! [`GithubExport`]): Actions secrets (names only), deploy keys, default workflow token
//! permissions, and the workflow files `github_repository_file` writes under
//! `.github/workflows/`. The GitHub source's normaliser judges them as it judges a crawl,
//! the workflows through the same analysis as a checkout's; each location then moves to
//! the resource's `file:line:col`.
//!
//! A secret's value written in the code (`plaintext_value`, `encrypted_value`) is a
//! secret in code: a hard-coded credential, fingerprinted and never shown. A value from a
//! variable or another resource is unknown: the secret exists, its value is not read.
//! A workflow's content is analysed only when it is written in the module (a string, a
//! heredoc, or `file()` of a file in the module's folder), never guessed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde_json::{Map, Value, json};

use super::{Mode, Resource, is_placeholder};
use crate::model::{Confidence, Inventory, Location, SourceError, SourceKind};
use crate::sources::github::{GithubExport, OrgExport, RepoExport, WorkflowExport};

/// The largest workflow file `file()` reads: GitHub's contents API serves none larger.
const MAX_WORKFLOW_BYTES: u64 = 1 << 20;

/// Every managed `github_*` resource is in the organisation the provider is configured
/// for (`owner`); when the code does not say which, it is left empty (`github:/repo/…`),
/// as an AWS account is.
pub fn derive(kind: &str, attrs: &mut Map<String, Value>, owner: Option<&str>) {
    if kind.starts_with("github_") && !attrs.contains_key("owner") {
        attrs.insert("owner".into(), Value::String(owner.unwrap_or("").into()));
    }
}

/// The secret resources whose values are written in the code (Actions, Dependabot and
/// Codespaces secrets): a literal value is reported whichever kind holds it.
const SECRET_KINDS: &[&str] = &[
    "github_actions_secret",
    "github_actions_environment_secret",
    "github_actions_organization_secret",
    "github_dependabot_secret",
    "github_dependabot_organization_secret",
    "github_codespaces_secret",
    "github_codespaces_organization_secret",
    "github_codespaces_user_secret",
];

/// What the module's GitHub resources make, located at them.
#[derive(Default)]
struct Built {
    orgs: BTreeMap<String, OrgExport>,
    repos: BTreeMap<(String, String), RepoExport>,
    /// By inventory id (a secret, a deploy key): the resource that makes it.
    by_id: HashMap<String, Location>,
    /// By the name a workflow is analysed under (`github:ORG/REPO/PATH`): its resource.
    files: HashMap<String, Location>,
    /// Ids of the secrets set on an environment rather than the whole repository.
    environment_secrets: Vec<String>,
    /// Hard-coded secret values, from the secret scanner's builder.
    literals: Inventory,
    warnings: Vec<SourceError>,
}

impl Built {
    fn org(&mut self, org: &str) -> &mut OrgExport {
        self.orgs
            .entry(org.to_string())
            .or_insert_with(|| OrgExport {
                org: org.to_string(),
                ..Default::default()
            })
    }

    fn repo(&mut self, org: &str, repo: &str) -> &mut RepoExport {
        self.repos
            .entry((org.to_string(), repo.to_string()))
            .or_insert_with(|| RepoExport {
                repository: json!({
                    "name": repo,
                    "full_name": format!("{org}/{repo}"),
                    "owner": {"login": org},
                }),
                ..Default::default()
            })
    }
}

pub fn judge(resources: &[Resource], module_dir: Option<&Path>) -> Inventory {
    let mut b = Built::default();
    let managed: Vec<&Resource> = resources
        .iter()
        .filter(|r| r.mode == Mode::Managed && r.kind.starts_with("github_"))
        .collect();
    // Repository ids (`github_repository.x.repo_id`) are made at apply; the resource's
    // name is what an organisation secret's `selected_repository_ids` means.
    let repo_names: HashMap<String, &str> = managed
        .iter()
        .filter(|r| r.kind == "github_repository")
        .filter_map(|r| Some((format!("${{{}.repo_id}}", r.address), r.str("name")?)))
        .collect();
    for r in &managed {
        let org = r.str("owner").unwrap_or_default();
        if SECRET_KINDS.contains(&r.kind.as_str()) {
            literal_values(r, &mut b.literals);
        }
        match r.kind.as_str() {
            "github_repository" => repository(r, org, &mut b),
            "github_actions_secret" | "github_actions_environment_secret" => {
                let (Some(repo), Some(name)) = (r.str("repository"), r.str("secret_name")) else {
                    continue;
                };
                let id = format!("github-secret:github:{org}/{repo}/{name}");
                if r.kind == "github_actions_environment_secret" {
                    b.environment_secrets.push(id.clone());
                }
                b.by_id.insert(id, r.location.clone());
                b.repo(org, repo)
                    .actions_secrets
                    .get_or_insert_default()
                    .push(json!({ "name": name }));
            }
            "github_actions_organization_secret" => {
                let Some(name) = r.str("secret_name") else {
                    continue;
                };
                let selected: Vec<&str> = r
                    .strs("selected_repository_ids")
                    .iter()
                    .filter_map(|id| repo_names.get(id).copied())
                    .collect();
                b.by_id.insert(
                    format!("github-secret:github:{org}/{name}"),
                    r.location.clone(),
                );
                let secret = json!({
                    "name": name,
                    "visibility": r.str("visibility"),
                    "selected_repositories": selected,
                });
                b.org(org)
                    .actions_secrets
                    .get_or_insert_default()
                    .push(secret);
            }
            "github_repository_deploy_key" => deploy_key(r, org, &mut b),
            "github_workflow_repository_permissions"
            | "github_actions_default_workflow_repository_permissions" => {
                let Some(repo) = r.str("repository") else {
                    continue;
                };
                // Without `default_workflow_permissions` the resource leaves the
                // repository's default as it is: nothing is known of it.
                if let Some(permissions) = workflow_permissions(r, None) {
                    b.repo(org, repo).workflow_permissions = Some(permissions);
                }
            }
            "github_actions_organization_workflow_permissions" => {
                let org = r.str("organization_slug").unwrap_or(org);
                // The provider's documented default.
                if let Some(permissions) = workflow_permissions(r, Some("read")) {
                    b.org(org).workflow_permissions = Some(permissions);
                }
            }
            "github_repository_file" => workflow_file(r, org, module_dir, &mut b),
            _ => {}
        }
    }
    if b.orgs.is_empty() && b.repos.is_empty() {
        b.literals.warnings.append(&mut b.warnings);
        return b.literals;
    }
    // An organisation secret reaches every repository whose workflows name it, under the
    // repository's id for it; a repository secret of the same name wins.
    let org_secrets: Vec<(String, String, Location)> = managed
        .iter()
        .filter(|r| r.kind == "github_actions_organization_secret")
        .filter_map(|r| {
            let org = r.str("organization_slug").or(r.str("owner"))?;
            Some((
                org.to_string(),
                r.str("secret_name")?.to_string(),
                r.location.clone(),
            ))
        })
        .collect();
    for (org, repo) in b.repos.keys() {
        for (secret_org, name, at) in &org_secrets {
            if secret_org == org {
                b.by_id
                    .entry(format!("github-secret:github:{org}/{repo}/{name}"))
                    .or_insert_with(|| at.clone());
            }
        }
    }
    let mut export = GithubExport::new(crate::sources::github::DEFAULT_API_URL);
    for ((org, _), repo) in std::mem::take(&mut b.repos) {
        b.org(&org).repositories.push(repo);
    }
    export.orgs = std::mem::take(&mut b.orgs).into_values().collect();
    let mut inventory = crate::sources::github::normalize(&export);
    for i in &mut inventory.identities {
        if b.environment_secrets.contains(&i.id)
            && let Some(Value::Object(facts)) = i.facts.get_mut("github")
        {
            facts.insert("scope".into(), json!("environment"));
        }
    }
    relocate(&mut inventory, &b.by_id, &b.files);
    inventory.warnings.append(&mut b.warnings);
    inventory.extend(b.literals);
    inventory
}

/// A repository's visibility, which decides whether `private` organisation secrets
/// reach it.
fn repository(r: &Resource, org: &str, b: &mut Built) {
    let Some(name) = r.str("name") else {
        return;
    };
    let visibility = r.str("visibility").map(str::to_string).or_else(|| {
        // `private` is the provider's deprecated spelling.
        r.values
            .get("private")
            .and_then(Value::as_bool)
            .map(|p| if p { "private" } else { "public" }.to_string())
    });
    let Some(visibility) = visibility else {
        return;
    };
    let repo = b.repo(org, name);
    if let Value::Object(m) = &mut repo.repository {
        m.insert("private".into(), json!(visibility == "private"));
        m.insert("visibility".into(), json!(visibility));
    }
}

/// A deploy key as `GET /repos/{owner}/{repo}/keys` lists it. Its number is GitHub's,
/// made when it is added: the key is named by its reference until then.
fn deploy_key(r: &Resource, org: &str, b: &mut Built) {
    let Some(repo) = r.str("repository") else {
        return;
    };
    // The provider's default is a read-only key.
    let read_only = match r.values.get("read_only") {
        _ if r.unknown.contains("read_only") => {
            b.warnings.push(SourceKind::Iac.error(
                r.location.to_string(),
                format!(
                    "{}: `read_only` is known only at apply; judged as read-only, the provider's default",
                    r.address
                ),
            ));
            true
        }
        Some(Value::Bool(v)) => *v,
        Some(Value::String(s)) => s != "false",
        _ => true,
    };
    let id = format!("${{{}.id}}", r.address);
    b.by_id.insert(
        format!("github:deploy-key:{org}/{repo}/{id}"),
        r.location.clone(),
    );
    let key = json!({
        "id": id,
        "title": r.str("title").unwrap_or(&r.name),
        "read_only": read_only,
    });
    b.repo(org, repo)
        .deploy_keys
        .get_or_insert_default()
        .push(key);
}

/// `GET …/actions/permissions/workflow` as the resource sets it; `None` when the code
/// does not say (and gives no default) or says it only at apply.
fn workflow_permissions(r: &Resource, default: Option<&str>) -> Option<Value> {
    let given = r
        .str("default_workflow_permissions")
        .filter(|_| !r.unknown.contains("default_workflow_permissions"));
    let permissions = given.or(default)?;
    let approve = match r.values.get("can_approve_pull_request_reviews") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    Some(json!({
        "default_workflow_permissions": permissions,
        "can_approve_pull_request_reviews": approve,
    }))
}

/// A file under `.github/workflows/` whose content the code gives: the workflow the
/// repository will run, analysed as if it were fetched from the repository.
fn workflow_file(r: &Resource, org: &str, module_dir: Option<&Path>, b: &mut Built) {
    let (Some(repo), Some(path)) = (r.str("repository"), r.str("file")) else {
        return;
    };
    let path = path.trim_start_matches('/');
    // What GitHub runs: a YAML file directly in `.github/workflows/`.
    let workflow = path.strip_prefix(".github/workflows/").is_some_and(|name| {
        !name.contains('/') && (name.ends_with(".yml") || name.ends_with(".yaml"))
    });
    if !workflow {
        return;
    }
    let content = if r.unknown.contains("content") {
        r.str("content")
            .and_then(|written| read_file_call(written, module_dir))
    } else {
        r.str("content").map(str::to_string)
    };
    let Some(content) = content else {
        b.warnings.push(SourceKind::Iac.error(
            r.location.to_string(),
            format!(
                "{}: the workflow's content is known only at apply; not analysed",
                r.address
            ),
        ));
        return;
    };
    b.files
        .insert(format!("github:{org}/{repo}/{path}"), r.location.clone());
    b.repo(org, repo)
        .workflows
        .get_or_insert_default()
        .push(WorkflowExport {
            workflow: json!({ "path": path }),
            content: Some(content),
        });
}

/// The text of `file("PATH")` (or `file("${path.module}/PATH")`), as written in place
/// of a content: a file inside the module's folder, of at most [`MAX_WORKFLOW_BYTES`].
/// Anything else (another function, a path from a variable, a path out of the folder, a
/// link out of it) is not read.
fn read_file_call(written: &str, module_dir: Option<&Path>) -> Option<String> {
    let dir = module_dir?;
    let arg = written.strip_prefix("${file(\"")?.strip_suffix("\")}")?;
    let relative = arg
        .strip_prefix("${path.module}/")
        .or_else(|| arg.strip_prefix("./"))
        .unwrap_or(arg);
    if relative.contains(['"', '\\']) || is_placeholder(relative) || relative.contains("%{") {
        return None;
    }
    let relative = Path::new(relative);
    if relative.is_absolute()
        || relative
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return None;
    }
    let root = dir.canonicalize().ok()?;
    let file = root.join(relative).canonicalize().ok()?;
    let meta = std::fs::metadata(&file).ok()?;
    if !file.starts_with(&root) || !meta.is_file() || meta.len() > MAX_WORKFLOW_BYTES {
        return None;
    }
    let bytes = std::fs::read(&file).ok()?;
    crate::sources::repo::decode(&bytes).map(|t| t.to_string())
}

/// A secret's value written in the code: a hard-coded credential at its argument. What
/// a provider pattern recognises the walk's secret scanner has reported already, at the
/// value itself; the rest is recorded here, under the secret's name.
fn literal_values(r: &Resource, out: &mut Inventory) {
    let name = r.str("secret_name").unwrap_or(&r.name);
    for (arg, confidence) in [
        ("plaintext_value", Confidence::High),
        // Sealed to the repository's public key: only GitHub can open it.
        ("encrypted_value", Confidence::Low),
    ] {
        let Some(value) = r.str(arg) else {
            continue;
        };
        if r.unknown.contains(arg) || value.trim().is_empty() {
            continue;
        }
        if !crate::secrets::SecretScanner::builtin()
            .scan(value)
            .is_empty()
        {
            continue;
        }
        let (kind, provider) = crate::secrets::hint_for_name(name)
            .map_or(("secret", "generic"), |h| (h.kind, h.provider));
        let at = r.arguments.get(arg).unwrap_or(&r.location);
        out.extend(crate::sources::repo::hardcoded_secret(
            at, name, value, kind, provider, confidence,
        ));
    }
}

/// Moves what the normaliser located at GitHub's settings pages to the resource that
/// makes it (by id), and what the workflow analysis located in a workflow file to the
/// resource that writes the file; all of it is the infrastructure code's.
fn relocate(
    inv: &mut Inventory,
    by_id: &HashMap<String, Location>,
    files: &HashMap<String, Location>,
) {
    let moved = |loc: &mut Location, place: Option<&Location>| match loc {
        Location::File { path, .. } => {
            if let Some(p) = files.get(path.as_str()) {
                *loc = p.clone();
            }
        }
        Location::Uri { .. } => {
            if let Some(p) = place {
                *loc = p.clone();
            }
        }
    };
    let tidy = |locs: &mut Vec<Location>| {
        let mut seen = Vec::new();
        locs.retain(|l| {
            let new = !seen.contains(l);
            if new {
                seen.push(l.clone());
            }
            new
        });
    };
    // An agent the normaliser recognises by a credential's name is where the credential is.
    let held: HashMap<String, String> = inv
        .edges
        .iter()
        .filter(|e| e.kind == crate::model::EdgeKind::Holds)
        .map(|e| (e.from.clone(), e.to.clone()))
        .collect();
    for a in &mut inv.agents {
        let place = held.get(&a.id).and_then(|to| by_id.get(to));
        a.locations.iter_mut().for_each(|l| moved(l, place));
        tidy(&mut a.locations);
        for e in &mut a.evidence {
            if let Some(l) = &mut e.location {
                moved(l, place);
            }
        }
        a.source = SourceKind::Iac;
    }
    for i in &mut inv.identities {
        let place = by_id.get(&i.id);
        i.locations.iter_mut().for_each(|l| moved(l, place));
        tidy(&mut i.locations);
    }
    for c in &mut inv.credentials {
        let place = by_id.get(c.identity.as_deref().unwrap_or(&c.id));
        c.locations.iter_mut().for_each(|l| moved(l, place));
        tidy(&mut c.locations);
    }
    for g in &mut inv.grants {
        let place = by_id.get(&g.identity);
        g.location.iter_mut().for_each(|l| moved(l, place));
    }
    for e in &mut inv.edges {
        let place = by_id.get(&e.to).or_else(|| by_id.get(&e.from));
        e.location.iter_mut().for_each(|l| moved(l, place));
    }
    for e in inv.errors.iter_mut().chain(inv.warnings.iter_mut()) {
        e.source = SourceKind::Iac;
        let file = e
            .location
            .rsplitn(3, ':')
            .last()
            .and_then(|path| files.get(path));
        if let Some(place) = file.or_else(|| files.get(e.location.as_str())) {
            e.location = place.to_string();
        }
    }
}
