//! From a [`GithubExport`] to inventory. Ids:
//!
//! - app installation `github:installation:ID`, held by the agent `github:app:ORG/SLUG`
//!   when the app is an AI product (`data/github-apps.yaml`);
//! - fine-grained PAT `github:pat:TOKEN_ID` (a person's token: `human`);
//! - deploy key `github:deploy-key:ORG/REPO/ID`;
//! - Actions secret `github-secret:github:ORG/REPO/NAME` — the id the workflow analysis
//!   gives `${{ secrets.NAME }}` in `github:ORG/REPO/.github/workflows/…`, so a
//!   workflow's reference and the secret's dates meet — and org secrets
//!   `github-secret:github:ORG/NAME`, also recorded under each repository whose workflows
//!   reference them;
//! - workflows: what `repo::analyse_text` finds, with the repository's default workflow
//!   token permissions filled in where a job has no `permissions:` block.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::api::{DeployKey, Installation, PatGrant, Repository, Secret, WorkflowPermissions};
use super::apps::{self, Recognised};
use super::export::{GithubExport, OrgExport, RepoExport};
use crate::model::{
    AccessLevel, Agent, AgentKind, Confidence, Credential, CredentialKind, Edge, EdgeKind, Effect,
    Evidence, Grant, Identity, IdentityKind, Inventory, Lifetime, Location, Provider, SourceError,
    SourceKind, Storage,
};
use crate::policy::github::{ALL_SCOPES, level_of_value};
use crate::timefmt;

/// Turns an export into inventory, with the crawl's errors.
pub fn normalize(export: &GithubExport) -> Inventory {
    let mut inv = Inventory::default();
    let ctx = Ctx {
        web: web_base(&export.api_url),
        now: timefmt::now(),
        workflows: analyse_workflows(export),
    };
    for org in &export.orgs {
        inv.errors.extend(org.errors.iter().cloned());
        inv.warnings.extend(org.warnings.iter().cloned());
        normalize_org(&ctx, org, &mut inv);
    }
    audit_logs(&ctx, export, &mut inv);
    inv
}

/// The audit logs the crawl read (`--github-audit-log`), summed per principal as the
/// activity reader sums an exported one: all organisations together, over the longest
/// window asked for.
fn audit_logs(ctx: &Ctx, export: &GithubExport, inv: &mut Inventory) {
    use crate::sources::activity::{Aggregator, FileRead, Tally, github};
    let mut agg = Aggregator::new(ctx.now.unix_timestamp());
    let mut days = None;
    let mut out = FileRead::default();
    for org in &export.orgs {
        let Some(entries) = &org.audit_log else {
            continue;
        };
        days = days.max(org.audit_log_days);
        let shown = format!("GET /orgs/{}/audit-log", org.org);
        let mut tally = Tally::default();
        for v in entries {
            tally.seen += 1;
            if !github::read_value(v, &mut agg, &shown, &mut tally) {
                tally.unknown += 1;
            }
        }
        agg.files += 1;
        tally.report(&shown, &mut out);
    }
    if agg.files == 0 {
        return;
    }
    out.warnings.extend(agg.skew_warning());
    let (activity, window) =
        agg.finish(days.unwrap_or(crate::sources::activity::DEFAULT_WINDOW_DAYS));
    inv.errors.extend(out.errors);
    inv.warnings.extend(out.warnings);
    inv.activity.extend(activity);
    if inv.activity_window.is_none() {
        inv.activity_window = window;
    }
}

struct Ctx {
    /// The web host the API belongs to, for links a person can open.
    web: String,
    now: OffsetDateTime,
    /// Every fetched workflow, analysed with the others in reach (calls between
    /// repositories of the export are followed), by its shown name.
    workflows: std::collections::HashMap<String, Inventory>,
}

/// `github:ORG/REPO/PATH` for every fetched workflow, analysed together.
fn analyse_workflows(export: &GithubExport) -> std::collections::HashMap<String, Inventory> {
    let mut files = Vec::new();
    for org in &export.orgs {
        for repo in &org.repositories {
            let Some(name) = repo.repository.get("name").and_then(Value::as_str) else {
                continue;
            };
            for wf in repo.workflows.iter().flatten() {
                if let (Some(text), Some(path)) = (
                    wf.content.as_deref(),
                    wf.workflow.get("path").and_then(Value::as_str),
                ) {
                    files.push(crate::sources::repo::WorkflowFile {
                        shown: format!("github:{}/{name}/{path}", org.org),
                        text: text.to_string(),
                    });
                }
            }
        }
    }
    let inventories = crate::sources::repo::analyse_texts(&files);
    files
        .into_iter()
        .map(|f| f.shown)
        .zip(inventories)
        .collect()
}

impl Ctx {
    fn days_since(&self, date: Option<&str>) -> Option<i64> {
        date.and_then(timefmt::parse)
            .map(|d| timefmt::days_since(d, self.now))
    }

    /// Whole days from now to `date` (negative when it is past).
    fn days_until(&self, date: Option<&str>) -> Option<i64> {
        date.and_then(timefmt::parse)
            .map(|d| (d - self.now).whole_days())
    }
}

/// `https://api.github.com` → `https://github.com`; `https://HOST/api/v3` → `https://HOST`.
fn web_base(api_url: &str) -> String {
    let url = api_url.trim_end_matches('/');
    if let Some(rest) = url.strip_prefix("https://api.") {
        return format!("https://{rest}");
    }
    url.strip_suffix("/api/v3").unwrap_or(url).to_string()
}

fn uri(u: String) -> Location {
    Location::Uri { uri: u }
}

fn date(d: &Option<String>) -> Option<String> {
    d.as_deref().and_then(timefmt::normalize)
}

/// Reads the items of a listing; an item of an unexpected shape is reported and skipped.
fn items<T: DeserializeOwned>(list: &[Value], call: &str, errors: &mut Vec<SourceError>) -> Vec<T> {
    list.iter()
        .enumerate()
        .filter_map(|(i, v)| match crate::doc::from_json_value::<T>(v.clone()) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(
                    SourceKind::Github
                        .error(call, format!("item {i} has an unexpected shape: {e}")),
                );
                None
            }
        })
        .collect()
}

fn normalize_org(ctx: &Ctx, org: &OrgExport, inv: &mut Inventory) {
    let name = org.org.as_str();
    if let Some(list) = &org.installations {
        let call = format!("GET /orgs/{name}/installations");
        for inst in items::<Installation>(list, &call, &mut inv.errors) {
            installation(ctx, name, &inst, inv);
        }
    }
    if let Some(list) = &org.personal_access_tokens {
        let call = format!("GET /orgs/{name}/personal-access-tokens");
        for grant in items::<PatGrant>(list, &call, &mut inv.errors) {
            pat_grant(ctx, name, &grant, inv);
        }
    }
    let org_secrets: Vec<Secret> = match &org.actions_secrets {
        Some(list) => items(
            list,
            &format!("GET /orgs/{name}/actions/secrets"),
            &mut inv.errors,
        ),
        None => Vec::new(),
    };
    let org_settings = format!("{}/organizations/{name}/settings/secrets/actions", ctx.web);
    for s in &org_secrets {
        let id = format!("github-secret:github:{name}/{}", s.name);
        let facts = secret_facts(ctx, s, "organization", name, None);
        secret(&id, s, facts, uri(org_settings.clone()), inv);
    }
    let org_default = org
        .workflow_permissions
        .as_ref()
        .and_then(|v| serde_json::from_value::<WorkflowPermissions>(v.clone()).ok());
    for repo in &org.repositories {
        normalize_repo(ctx, name, repo, &org_secrets, org_default.as_ref(), inv);
    }
}

fn installation(ctx: &Ctx, org: &str, inst: &Installation, inv: &mut Inventory) {
    let id = format!("github:installation:{}", inst.id);
    let loc = uri(inst.html_url.clone().unwrap_or_else(|| {
        format!(
            "{}/organizations/{org}/settings/installations/{}",
            ctx.web, inst.id
        )
    }));
    let levels: BTreeMap<&str, AccessLevel> = inst
        .permissions
        .iter()
        .map(|(k, v)| (k.as_str(), level_of_value(v)))
        .collect();
    let write: Vec<&str> = levels
        .iter()
        .filter(|(_, l)| **l >= AccessLevel::Write)
        .map(|(k, _)| *k)
        .collect();
    let all_repos = inst.repository_selection == "all";
    let resource = if all_repos {
        format!("{org}/* (all repositories)")
    } else {
        format!("{org} (selected repositories)")
    };
    for (perm, level) in &levels {
        inv.grants.push(Grant {
            identity: id.clone(),
            action: (*perm).to_string(),
            resource: resource.clone(),
            effect: Effect::Allow,
            access_level: *level,
            source: format!("permissions of the {} app installation", inst.app_slug),
            location: Some(loc.clone()),
        });
    }
    let product = apps::recognise_app(&inst.app_slug);
    let suspended = inst.suspended_at.is_some();
    inv.identities.push(Identity {
        id: id.clone(),
        kind: IdentityKind::GithubAppInstallation,
        provider: Provider::Github,
        name: format!("{} app in {org}", inst.app_slug),
        agents: Vec::new(),
        access_level: Some(levels.values().copied().max().unwrap_or(AccessLevel::None)),
        owner: None,
        human: false,
        created_at: date(&inst.created_at),
        last_used_at: None,
        expires_at: None,
        credentials: Vec::new(),
        locations: vec![loc.clone()],
        tags: [("app_slug".to_string(), inst.app_slug.clone())].into(),
        facts: [(
            "github".to_string(),
            json!({
                "org": org,
                "app_slug": inst.app_slug,
                "app_id": inst.app_id,
                "installation_id": inst.id,
                "repository_selection": inst.repository_selection,
                "all_repositories": all_repos,
                "permissions": inst.permissions,
                "write_permissions": write,
                "events": inst.events,
                "suspended": suspended,
                "updated_at": date(&inst.updated_at),
                "product": product.as_ref().map(|p| p.product.clone()),
            }),
        )]
        .into(),
    });
    if let Some(p) = product {
        let agent = format!("github:app:{org}/{}", inst.app_slug);
        hold(
            inv,
            &agent,
            &id,
            format!(
                "is installed in {org} as app installation {} ({} repositories)",
                inst.id, inst.repository_selection
            ),
            &loc,
        );
        add_agent(
            inv,
            agent,
            format!("{} (GitHub App {} in {org})", p.product, inst.app_slug),
            "github-app",
            &p,
            &loc,
            json!({
                "org": org, "app_slug": inst.app_slug, "installation": id,
                "product": p.product, "vendor": p.vendor, "suspended": suspended,
            }),
        );
    }
}

fn pat_grant(ctx: &Ctx, org: &str, grant: &PatGrant, inv: &mut Inventory) {
    let id = format!("github:pat:{}", grant.token_id);
    let loc = uri(format!(
        "{}/organizations/{org}/settings/personal-access-tokens/active",
        ctx.web
    ));
    let all_repos = grant.repository_selection == "all";
    let mut max = AccessLevel::None;
    for (scope, map) in [
        ("organization", &grant.permissions.organization),
        ("repository", &grant.permissions.repository),
        ("other", &grant.permissions.other),
    ] {
        let resource = match scope {
            "organization" => format!("{org} (organization)"),
            "repository" if all_repos => format!("{org}/* (all repositories)"),
            "repository" => format!("{org} (selected repositories)"),
            _ => format!("{org} (other)"),
        };
        for (perm, value) in map {
            let level = level_of_value(value);
            max = max.max(level);
            inv.grants.push(Grant {
                identity: id.clone(),
                action: perm.clone(),
                resource: resource.clone(),
                effect: Effect::Allow,
                access_level: level,
                source: format!("fine-grained PAT grant {}", grant.id),
                location: Some(loc.clone()),
            });
        }
    }
    let granted = date(&grant.access_granted_at);
    let expires = date(&grant.token_expires_at);
    let last_used = date(&grant.token_last_used_at);
    let lifetime_days = match (
        granted.as_deref().and_then(timefmt::parse),
        expires.as_deref().and_then(timefmt::parse),
    ) {
        (Some(g), Some(e)) => Some((e - g).whole_days()),
        _ => None,
    };
    let idle_days = ctx.days_since(last_used.as_deref().or(granted.as_deref()));
    inv.identities.push(Identity {
        id: id.clone(),
        kind: IdentityKind::GithubFineGrainedPat,
        provider: Provider::Github,
        name: grant.token_name.clone(),
        agents: Vec::new(),
        access_level: Some(max),
        owner: Some(grant.owner.login.clone()).filter(|o| !o.is_empty()),
        human: true,
        created_at: granted.clone(),
        last_used_at: last_used.clone(),
        expires_at: expires.clone(),
        credentials: Vec::new(),
        locations: vec![loc.clone()],
        tags: Default::default(),
        facts: [(
            "github".to_string(),
            json!({
                "org": org,
                "grant_id": grant.id,
                "token_id": grant.token_id,
                "token_name": grant.token_name,
                "owner": grant.owner.login,
                "repository_selection": grant.repository_selection,
                "permissions": {
                    "organization": grant.permissions.organization,
                    "repository": grant.permissions.repository,
                    "other": grant.permissions.other,
                },
                "expired": grant.token_expired,
                "expires": expires.is_some(),
                "lifetime_days": lifetime_days,
                "expires_in_days": ctx.days_until(expires.as_deref()),
                "never_used": last_used.is_none(),
                "idle_days": idle_days,
            }),
        )]
        .into(),
    });
    if let Some(p) = apps::recognise_name("fine-grained PAT", &grant.token_name) {
        let agent = format!("github:named-agent:pat/{}", grant.token_id);
        hold(
            inv,
            &agent,
            &id,
            format!(
                "its name says it is the token of {} ({} acts as {})",
                p.product, p.product, grant.owner.login
            ),
            &loc,
        );
        add_agent(
            inv,
            agent,
            format!(
                "{} (PAT `{}` of {})",
                p.product, grant.token_name, grant.owner.login
            ),
            "named-credential",
            &p,
            &loc,
            json!({ "org": org, "product": p.product, "credential": id }),
        );
    }
}

fn normalize_repo(
    ctx: &Ctx,
    org: &str,
    export: &RepoExport,
    org_secrets: &[Secret],
    org_default: Option<&WorkflowPermissions>,
    inv: &mut Inventory,
) {
    let repo: Repository = match crate::doc::from_json_value(export.repository.clone()) {
        Ok(r) => r,
        Err(e) => {
            inv.errors.push(SourceKind::Github.error(
                format!("GET /orgs/{org}/repos"),
                format!("a repository has an unexpected shape: {e}"),
            ));
            return;
        }
    };
    let name = repo.name.as_str();
    let full = repo
        .full_name
        .clone()
        .unwrap_or_else(|| format!("{org}/{name}"));
    let html = repo
        .html_url
        .clone()
        .unwrap_or_else(|| format!("{}/{full}", ctx.web));
    let owner = repo.owner.as_ref().map_or(org, |o| o.login.as_str());
    let api_base = format!("GET /repos/{owner}/{name}");

    if let Some(list) = &export.deploy_keys {
        for key in items::<DeployKey>(list, &format!("{api_base}/keys"), &mut inv.errors) {
            deploy_key(ctx, org, name, &html, &key, inv);
        }
    }

    let repo_secrets: Vec<Secret> = match &export.actions_secrets {
        Some(list) => items(
            list,
            &format!("{api_base}/actions/secrets"),
            &mut inv.errors,
        ),
        None => Vec::new(),
    };
    let settings = uri(format!("{html}/settings/secrets/actions"));
    for s in &repo_secrets {
        let id = format!("github-secret:github:{org}/{name}/{}", s.name);
        let facts = secret_facts(ctx, s, "repository", org, Some(name));
        secret(&id, s, facts, settings.clone(), inv);
    }

    let repo_default = export
        .workflow_permissions
        .as_ref()
        .and_then(|v| serde_json::from_value::<WorkflowPermissions>(v.clone()).ok());
    let default = match (repo_default, org_default) {
        (Some(r), _) => Some((r, format!("repository {full}"))),
        (None, Some(o)) => Some((o.clone(), format!("organization {org}"))),
        (None, None) => None,
    };

    let mut referenced = BTreeSet::new();
    for wf in export.workflows.iter().flatten() {
        let (Some(text), Some(path)) = (
            wf.content.as_deref(),
            wf.workflow.get("path").and_then(Value::as_str),
        ) else {
            continue;
        };
        let shown = format!("github:{org}/{name}/{path}");
        let _ = text;
        let Some(mut fragment) = ctx.workflows.get(&shown).cloned() else {
            continue;
        };
        with_org_context(&mut fragment, &full, default.as_ref());
        with_environments(&mut fragment, export.environments.as_deref());
        let prefix = format!("github-secret:github:{org}/{name}/");
        for c in &fragment.credentials {
            if let Some(secret_name) = c.id.strip_prefix(&prefix) {
                referenced.insert(secret_name.to_string());
            }
        }
        inv.extend(fragment);
    }

    // A workflow's `secrets.NAME` is the repository secret of that name, else the org
    // secret visible to the repository.
    let private = repo.private || repo.visibility.as_deref() == Some("internal");
    for secret_name in referenced {
        if repo_secrets.iter().any(|s| s.name == secret_name) {
            continue;
        }
        let Some(s) = org_secrets.iter().find(|s| {
            s.name == secret_name
                && match s.visibility.as_deref() {
                    Some("all") | None => true,
                    Some("private") => private,
                    Some("selected") => s
                        .selected_repositories
                        .as_ref()
                        .is_some_and(|r| r.iter().any(|r| r == name)),
                    Some(_) => false,
                }
        }) else {
            continue;
        };
        let id = format!("github-secret:github:{org}/{name}/{secret_name}");
        let facts = secret_facts(ctx, s, "organization", org, Some(name));
        let loc = uri(format!(
            "{}/organizations/{org}/settings/secrets/actions",
            ctx.web
        ));
        secret(&id, s, facts, loc, inv);
    }
}

/// A job in an environment: who approves it is in the environment's protection rules,
/// which the crawl read. With required reviewers only they let a run go on; without
/// (or when the environment does not exist, and GitHub creates it bare on first use)
/// the environment holds no one back.
fn with_environments(fragment: &mut Inventory, environments: Option<&[Value]>) {
    let Some(environments) = environments else {
        return;
    };
    for agent in fragment
        .agents
        .iter_mut()
        .filter(|a| a.kind == AgentKind::GithubWorkflow)
    {
        let Some(name) = agent.facts.get("environment").and_then(Value::as_str) else {
            continue;
        };
        let Some(before) = agent
            .facts
            .get("who_can_start_without_environment")
            .cloned()
        else {
            continue;
        };
        let env = environments
            .iter()
            .find(|e| e.get("name").and_then(Value::as_str) == Some(name));
        let reviewers = env
            .and_then(|e| e.get("protection_rules"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|r| r.get("type").and_then(Value::as_str) == Some("required_reviewers"))
            .map(|r| {
                r.get("reviewers")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len)
            })
            .sum::<usize>();
        let (level, reason) = if reviewers > 0 {
            (
                json!("writers"),
                format!(
                    "the environment {name} needs one of its {reviewers} required reviewer(s) to approve each run"
                ),
            )
        } else {
            let why = if env.is_some() {
                "has no required reviewers"
            } else {
                "does not exist, so GitHub creates it unprotected"
            };
            (
                before["level"].clone(),
                format!(
                    "{}; the environment {name} {why}",
                    before["reason"].as_str().unwrap_or("")
                ),
            )
        };
        agent.facts.insert("who_can_start".into(), level);
        agent
            .facts
            .insert("who_can_start_reason".into(), json!(reason));
    }
}

/// Workflow agents learn their repository, and, where a job has no `permissions:`
/// block, the default its `GITHUB_TOKEN` really gets.
fn with_org_context(
    fragment: &mut Inventory,
    repo: &str,
    default: Option<&(WorkflowPermissions, String)>,
) {
    let mut tokens = Vec::new();
    for agent in fragment
        .agents
        .iter_mut()
        .filter(|a| a.kind == AgentKind::GithubWorkflow)
    {
        agent.facts.insert("repository".into(), json!(repo));
        let Some((perms, from)) = default else {
            continue;
        };
        if agent
            .facts
            .get("permissions_source")
            .and_then(Value::as_str)
            != Some("default")
        {
            continue;
        }
        let write = perms.default_workflow_permissions == "write";
        let scopes: Vec<(&str, AccessLevel)> = if write {
            ALL_SCOPES
                .iter()
                .filter(|s| **s != "id-token")
                .map(|s| (*s, AccessLevel::Write))
                .collect()
        } else {
            vec![
                ("contents", AccessLevel::Read),
                ("packages", AccessLevel::Read),
            ]
        };
        let level = if write {
            AccessLevel::Write
        } else {
            AccessLevel::Read
        };
        agent.facts.insert(
            "default_workflow_permissions".into(),
            json!(perms.default_workflow_permissions),
        );
        agent
            .facts
            .insert("default_permissions_from".into(), json!(from));
        agent.facts.insert(
            "can_approve_pull_request_reviews".into(),
            json!(perms.can_approve_pull_request_reviews),
        );
        agent
            .facts
            .insert("token_access_level".into(), json!(level.as_str()));
        let write_scopes: Vec<&str> = scopes
            .iter()
            .filter(|(_, l)| *l >= AccessLevel::Write)
            .map(|(s, _)| *s)
            .collect();
        agent
            .facts
            .insert("write_scopes".into(), json!(write_scopes));
        if let Some(token) = agent.facts.get("token").and_then(Value::as_str) {
            tokens.push((token.to_string(), level, scopes, from.clone()));
        }
    }
    for (token, level, scopes, from) in tokens {
        let mut at = None;
        if let Some(identity) = fragment.identities.iter_mut().find(|i| i.id == token) {
            identity.access_level = Some(level);
            at = identity.locations.first().cloned();
        }
        for (scope, l) in scopes {
            fragment.grants.push(Grant {
                identity: token.clone(),
                action: scope.to_string(),
                resource: "repository".into(),
                effect: Effect::Allow,
                access_level: l,
                source: format!("default workflow permissions of the {from}"),
                location: at.clone(),
            });
        }
    }
}

fn deploy_key(ctx: &Ctx, org: &str, repo: &str, html: &str, key: &DeployKey, inv: &mut Inventory) {
    let id = format!("github:deploy-key:{org}/{repo}/{}", key.id);
    let loc = uri(format!("{html}/settings/keys"));
    let level = if key.read_only {
        AccessLevel::Read
    } else {
        AccessLevel::Write
    };
    let created = date(&key.created_at);
    let last_used = date(&key.last_used);
    inv.grants.push(Grant {
        identity: id.clone(),
        action: "contents".into(),
        resource: format!("{org}/{repo}"),
        effect: Effect::Allow,
        access_level: level,
        source: format!(
            "deploy key ({})",
            if key.read_only {
                "read-only"
            } else {
                "read-write"
            }
        ),
        location: Some(loc.clone()),
    });
    inv.credentials.push(Credential {
        name: Some(key.title.clone()),
        identity: Some(id.clone()),
        locations: vec![loc.clone()],
        created_at: created.clone(),
        last_used_at: last_used.clone(),
        ..Credential::new(
            id.clone(),
            CredentialKind::SshDeployKey,
            Provider::Github,
            Lifetime::Static,
            Storage::Issued,
            Confidence::High,
        )
    });
    inv.identities.push(Identity {
        id: id.clone(),
        kind: IdentityKind::GithubDeployKey,
        provider: Provider::Github,
        name: key.title.clone(),
        agents: Vec::new(),
        access_level: Some(level),
        owner: key.added_by.clone(),
        human: false,
        created_at: created.clone(),
        last_used_at: last_used.clone(),
        expires_at: None,
        credentials: vec![id.clone()],
        locations: vec![loc.clone()],
        tags: Default::default(),
        facts: [(
            "github".to_string(),
            json!({
                "org": org, "repo": repo, "key_id": key.id.parse::<u64>().ok(),
                "read_only": key.read_only, "verified": key.verified, "enabled": key.enabled,
                "age_days": ctx.days_since(created.as_deref()),
                "idle_days": ctx.days_since(last_used.as_deref().or(created.as_deref())),
            }),
        )]
        .into(),
    });
    if let Some(p) = apps::recognise_name("deploy key", &key.title) {
        let agent = format!("github:named-agent:deploy-key/{org}/{repo}/{}", key.id);
        hold(
            inv,
            &agent,
            &id,
            format!("its title says it is the deploy key of {}", p.product),
            &loc,
        );
        add_agent(
            inv,
            agent,
            format!("{} (deploy key `{}` on {org}/{repo})", p.product, key.title),
            "named-credential",
            &p,
            &loc,
            json!({ "org": org, "repo": repo, "product": p.product, "credential": id }),
        );
    }
}

fn secret_facts(ctx: &Ctx, s: &Secret, scope: &str, org: &str, repo: Option<&str>) -> Value {
    json!({
        "actions_secret": true,
        "scope": scope,
        "org": org,
        "repo": repo,
        "visibility": s.visibility,
        "created_at": date(&s.created_at),
        "updated_at": date(&s.updated_at),
        // GitHub stamps `updated_at` when the value is replaced: the last rotation.
        "rotated_days": ctx.days_since(date(&s.updated_at).or_else(|| date(&s.created_at)).as_deref()),
    })
}

/// An Actions secret as a credential and identity with the same id and the same kind as
/// the workflow analysis gives its references, so the two merge.
fn secret(id: &str, s: &Secret, facts: Value, loc: Location, inv: &mut Inventory) {
    let hint = crate::secrets::hint_for_name(&s.name);
    let (kind, provider) = hint.map_or(("secret", "unknown"), |h| (h.kind, h.provider));
    let created = date(&s.created_at);
    inv.credentials.push(Credential {
        name: Some(s.name.clone()),
        identity: Some(id.to_string()),
        locations: vec![loc.clone()],
        created_at: created.clone(),
        ..Credential::new(
            id.to_string(),
            kind.to_string(),
            provider.to_string(),
            Lifetime::Reference,
            Storage::SecretStore,
            Confidence::High,
        )
    });
    inv.identities.push(Identity {
        id: id.to_string(),
        kind: kind.into(),
        provider: provider.into(),
        name: s.name.clone(),
        agents: Vec::new(),
        access_level: None,
        owner: None,
        human: false,
        created_at: created,
        last_used_at: None,
        expires_at: None,
        credentials: vec![id.to_string()],
        locations: vec![loc],
        tags: Default::default(),
        facts: [("github".to_string(), facts)].into(),
    });
}

fn hold(inv: &mut Inventory, agent: &str, identity: &str, evidence: String, at: &Location) {
    inv.edges.push(Edge {
        kind: EdgeKind::Holds,
        from: agent.to_string(),
        to: identity.to_string(),
        evidence,
        location: Some(at.clone()),
    });
}

fn add_agent(
    inv: &mut Inventory,
    id: String,
    name: String,
    kind: &str,
    why: &Recognised,
    at: &Location,
    facts: Value,
) {
    let facts = match facts {
        Value::Object(m) => m.into_iter().collect(),
        _ => BTreeMap::new(),
    };
    inv.agents.push(Agent {
        id,
        name,
        kind: kind.into(),
        confidence: why.confidence,
        evidence: vec![Evidence::new(why.why.clone(), Some(at.clone()))],
        source: SourceKind::Github,
        locations: vec![at.clone()],
        facts,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_hosts() {
        assert_eq!(web_base("https://api.github.com"), "https://github.com");
        assert_eq!(
            web_base("https://ghe.example.com/api/v3/"),
            "https://ghe.example.com"
        );
        assert_eq!(web_base("http://127.0.0.1:4000"), "http://127.0.0.1:4000");
    }
}
