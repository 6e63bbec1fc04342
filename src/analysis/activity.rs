//! Use against grants: joins what the activity logs saw each principal do
//! ([`crate::model::Activity`]) to the inventory's identities, and writes what rules judge
//! as `identity.facts.activity`:
//!
//! - what was used in the window and what was granted but not used (AWS: actions, by
//!   expanding the grants against the action table);
//! - write-creep in use: reads only for weeks, then writes;
//! - attributability: role sessions no `SourceIdentity` or distinct name ties to a run,
//!   several agent clients under one identity, an agent client on a person's identity;
//! - agents the inventory does not know: a principal whose calls an agent client made,
//!   that no source listed, becomes an identity of its own (`seen_only_in_logs`).

use std::collections::{BTreeSet, HashMap};

use serde_json::json;

use crate::model::{
    AccessLevel, ActionUse, Activity, ActivityWindow, Effect, Identity, IdentityKind, Inventory,
    Provider,
};
use crate::policy::aws::actions::table;
use crate::sources::activity::parse_time;

/// How long an identity must have used reads only, before its first write, for the
/// write to count as write-creep in use.
pub const READ_ONLY_DAYS: i64 = 30;

/// How many names a list in the facts holds; the count says how many there were.
const LISTED: usize = 20;

/// Joins activity to identities and writes the facts. Run after the links, so that who
/// holds what is known.
pub fn derive(inventory: &mut Inventory) {
    if inventory.activity.is_empty() {
        return;
    }
    let window = inventory.activity_window.clone();
    join(inventory);
    let mut grants: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, g) in inventory.grants.iter().enumerate() {
        grants.entry(g.identity.as_str()).or_default().push(i);
    }
    let mut facts: Vec<(String, serde_json::Value)> = Vec::new();
    for a in &inventory.activity {
        let Some(id) = &a.identity else { continue };
        let Some(identity) = inventory.identity(id) else {
            continue;
        };
        let of = grants.get(id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let held = of.iter().map(|&i| &inventory.grants[i]);
        let granted = match a.provider {
            Provider::Aws => aws_granted(held).map(|g| Granted {
                names: g.into_iter().map(str::to_string).collect(),
                level: |n| table().level(n),
                separator: ':',
                unread: Vec::new(),
            }),
            Provider::Gcp => gcp_granted(held, &inventory.role_contents),
            _ => None,
        };
        let mut f = facts_of(a, identity, granted.as_ref(), window.as_ref());
        if a.provider == Provider::Azure {
            azure_roles(
                a,
                held_rbac(of, inventory),
                inventory,
                window.as_ref(),
                &mut f,
            );
        }
        facts.push((id.clone(), f));
    }
    for (id, f) in facts {
        let Ok(at) = inventory
            .identities
            .binary_search_by(|i| i.id.as_str().cmp(&id))
        else {
            continue;
        };
        let i = &mut inventory.identities[at];
        let last = f["last"].as_str().map(str::to_string);
        if i.last_used_at.is_none() || i.last_used_at < last {
            i.last_used_at = last;
        }
        i.facts.insert("activity".into(), f);
    }
}

/// Principals (AWS ARNs) agent clients acted as, and which clients: read before the
/// sources, so that the AWS classifier counts them as agents' principals.
pub fn agent_clients_by_principal(inventory: &Inventory) -> HashMap<String, Vec<String>> {
    inventory
        .activity
        .iter()
        .filter(|a| a.provider == Provider::Aws && !a.agent_clients.is_empty())
        .map(|a| (a.principal.clone(), a.agent_clients.clone()))
        .collect()
}

/// Sets each record's `identity`: the identity of the same principal, or the holder of
/// a key it used (an AWS access key id; a GitHub token's `hashed_token`, which the
/// secret detector computes for the GitHub tokens it finds), or for a GitHub App the
/// installation of that app in that organisation; a principal an agent client acted as
/// that no source listed becomes an identity.
fn join(inventory: &mut Inventory) {
    let by_key: HashMap<&str, &str> = inventory
        .credentials
        .iter()
        .filter_map(|c| Some((c.key_id.as_deref()?, c.identity.as_deref()?)))
        .collect();
    let known: BTreeSet<&str> = inventory.identities.iter().map(|i| i.id.as_str()).collect();
    // `github:app:ORG/SLUG` → the installation, by the app's slug in the organisation.
    let installations: HashMap<String, &str> = inventory
        .identities
        .iter()
        .filter(|i| i.kind == IdentityKind::GithubAppInstallation)
        .filter_map(|i| {
            let g = i.facts.get("github")?;
            let org = g.get("org")?.as_str()?;
            let slug = g.get("app_slug")?.as_str()?;
            Some((
                format!("github:app:{}/{}", org.to_ascii_lowercase(), slugify(slug)),
                i.id.as_str(),
            ))
        })
        .collect();
    // Azure: a service principal's object id, or an application (client) id, → its
    // identity (an application and its service principal are one identity).
    let mut azure: HashMap<String, &str> = HashMap::new();
    for i in inventory
        .identities
        .iter()
        .filter(|i| i.provider == Provider::Azure)
    {
        let Some(f) = i.facts.get("azure") else {
            continue;
        };
        for field in ["service_principal_id", "app_id"] {
            if let Some(v) = f.get(field).and_then(|v| v.as_str()) {
                azure.entry(v.to_ascii_lowercase()).or_insert(i.id.as_str());
            }
        }
    }
    let mut joined = Vec::with_capacity(inventory.activity.len());
    let mut new = Vec::new();
    for a in &inventory.activity {
        let own = candidate_id(a, &azure);
        let id = own
            .as_deref()
            .filter(|id| known.contains(id))
            .map(str::to_string)
            .or_else(|| {
                a.keys
                    .iter()
                    .find_map(|k| by_key.get(k.as_str()).map(|s| s.to_string()))
            })
            .or_else(|| {
                let (org, app) = a.principal.strip_prefix("github:app:")?.split_once('/')?;
                let key = format!("github:app:{}/{}", org.to_ascii_lowercase(), slugify(app));
                installations.get(&key).map(|s| s.to_string())
            });
        match (id, own) {
            (Some(id), _) => joined.push(Some(id)),
            (None, Some(own)) if !a.agent_clients.is_empty() => {
                if let Some(identity) = seen_only_in_logs(a, &own) {
                    new.push(identity);
                    joined.push(Some(own));
                } else {
                    joined.push(None);
                }
            }
            _ => joined.push(None),
        }
    }
    for (a, id) in inventory.activity.iter_mut().zip(joined) {
        a.identity = id;
    }
    inventory.identities.extend(new);
    inventory.normalize();
}

/// An app's name as its slug: `Claude` and `claude` are the app `claude`; `My App` is
/// `my-app` (the audit log's `integration` may carry either).
fn slugify(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| {
            if c.is_whitespace() {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// The inventory id a record's principal would have: an AWS ARN's own; a GitHub token
/// id's fine-grained PAT (`github:pat:ID`, the id `/orgs/{org}/personal-access-tokens`
/// gives its grants); any other GitHub principal as the logs name it; a Google service
/// account's (by email); an Azure service principal's (by object or application id, as
/// the Azure source names it; `azure:sp:<object id>` when no source listed it). People
/// (a Google user's email, an Entra user principal name) have none.
fn candidate_id(a: &Activity, azure: &HashMap<String, &str>) -> Option<String> {
    match a.provider {
        Provider::Aws if a.principal.starts_with("arn:") => Some(format!("aws:{}", a.principal)),
        Provider::Github => match a.principal.strip_prefix("github:token:") {
            Some(id) => Some(format!("github:pat:{id}")),
            None => Some(a.principal.clone()),
        },
        Provider::Gcp if is_service_account(&a.principal) => {
            Some(crate::sources::gcp::account_id(&a.principal))
        }
        Provider::Azure if is_guid(&a.principal) => Some(
            azure
                .get(a.principal.as_str())
                .map(|id| id.to_string())
                .unwrap_or_else(|| format!("azure:sp:{}", a.principal)),
        ),
        _ => None,
    }
}

/// What the GitHub audit log says a token is, from how it authenticated: its kind, and
/// whether it acts as a person.
fn github_token_kind(a: &Activity) -> (IdentityKind, bool) {
    let has = |s: &str| a.access_types.iter().any(|t| t.contains(s));
    if has("(classic)") {
        (IdentityKind::GithubClassicPat, true)
    } else if has("Fine-grained") {
        (IdentityKind::GithubFineGrainedPat, true)
    } else if has("OAuth") {
        ("github-oauth-token".into(), true)
    } else {
        ("github-access-token".into(), false)
    }
}

/// A Google service account's email (`…@….gserviceaccount.com`).
fn is_service_account(principal: &str) -> bool {
    principal.rsplit_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.ends_with(".gserviceaccount.com")
    })
}

/// An Entra object or application id: 8-4-4-4-12 hex digits.
fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// An identity for a principal only the logs know, when its kind can be told.
fn seen_only_in_logs(a: &Activity, id: &str) -> Option<Identity> {
    let mut identity = match a.provider {
        Provider::Gcp if is_service_account(&a.principal) => {
            Some(crate::sources::gcp::unlisted_account(&a.principal))
        }
        // A service principal's object id: its kind is certain, its name is not known.
        Provider::Azure if id.starts_with("azure:sp:") => Some(
            crate::sources::azure::unlisted_service_principal(&a.principal),
        ),
        _ => None,
    };
    if let Some(i) = identity.as_mut() {
        i.last_used_at = Some(a.last.clone());
        i.tags.insert("seen_only_in_logs".into(), "true".into());
    }
    if identity.is_some() {
        return identity.filter(|i| i.id == id);
    }
    let mut human = false;
    let (kind, name) = match a.provider {
        Provider::Aws => {
            let resource = a.principal.rsplit(':').next()?;
            let (kind, name) = resource.split_once('/')?;
            let kind = match kind {
                "role" => IdentityKind::AwsRole,
                "user" => IdentityKind::AwsUser,
                _ => return None,
            };
            (kind, name.rsplit('/').next().unwrap_or(name).to_string())
        }
        Provider::Github => {
            let (what, rest) = a.principal.strip_prefix("github:")?.split_once(':')?;
            match what {
                "token" | "hashed-token" => {
                    let (kind, person) = github_token_kind(a);
                    human = person;
                    (kind, format!("GitHub token {rest}"))
                }
                "user" => {
                    human = true;
                    ("github-user".into(), rest.to_string())
                }
                "app" => {
                    let (org, app) = rest.split_once('/')?;
                    (
                        IdentityKind::GithubAppInstallation,
                        format!("{app} app in {org}"),
                    )
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    let mut identity = Identity::new(id, kind, a.provider.clone(), name);
    identity.human = human;
    identity.last_used_at = Some(a.last.clone());
    identity
        .tags
        .insert("seen_only_in_logs".into(), "true".into());
    Some(identity)
}

/// What an AWS principal's grants allow, as canonical action names; `None` when it has
/// no grants the inventory knows (not read, or not judged).
fn aws_granted<'g>(
    grants: impl Iterator<Item = &'g crate::model::Grant>,
) -> Option<BTreeSet<&'static str>> {
    let t = table();
    let mut allowed: BTreeSet<&'static str> = BTreeSet::new();
    let mut denied: BTreeSet<&'static str> = BTreeSet::new();
    let mut any = false;
    for g in grants {
        any = true;
        let names: Vec<&'static str> = if let Some(but) = g.action.strip_prefix("all but ") {
            let except: Vec<&str> = but.split(", ").collect();
            t.expand("*")
                .into_iter()
                .filter(|a| {
                    !except
                        .iter()
                        .any(|e| crate::policy::aws::actions::action_matches(e, a))
                })
                .collect()
        } else {
            t.expand(&g.action)
        };
        match g.effect {
            Effect::Allow => allowed.extend(names),
            // Only a deny on every resource takes an action away for sure.
            Effect::Deny if g.resource == "*" => denied.extend(names),
            Effect::Deny => {}
        }
    }
    any.then(|| allowed.difference(&denied).copied().collect())
}

/// What an identity's grants allow, as names the logs use, when that is known for all
/// of them.
pub struct Granted {
    /// AWS actions (`s3:GetObject`) or Google Cloud permissions (`storage.objects.get`).
    names: BTreeSet<String>,
    level: fn(&str) -> Option<AccessLevel>,
    /// Between a name's service and the rest: `:` (AWS), `.` (Google Cloud).
    separator: char,
    /// Roles held whose contents no export listed (then `names` is not all it holds).
    unread: Vec<String>,
}

/// What a Google service account's role bindings allow: the permissions of its roles,
/// when every role's permissions were read (`gcloud iam roles describe|list`). `None`
/// when it holds no binding the inventory knows; `unread` names the roles not read, and
/// then nothing is said to be unused — a role is never guessed from its name.
fn gcp_granted<'g>(
    grants: impl Iterator<Item = &'g crate::model::Grant>,
    roles: &std::collections::BTreeMap<String, crate::model::RoleContents>,
) -> Option<Granted> {
    let mut names = BTreeSet::new();
    let mut unread = BTreeSet::new();
    let mut any = false;
    for g in grants {
        any = true;
        match roles.get(&format!("gcp:{}", g.action)) {
            Some(r) => names.extend(r.allow.iter().cloned()),
            None => {
                unread.insert(g.action.clone());
            }
        }
    }
    any.then(|| Granted {
        names,
        level: |p| Some(crate::sources::gcp::permission_level(p)),
        separator: '.',
        unread: unread.into_iter().collect(),
    })
}

/// An Azure identity's role assignments (Azure RBAC; not Graph permissions or directory
/// roles, which the activity log does not show in use).
fn held_rbac<'i>(of: &[usize], inventory: &'i Inventory) -> Vec<&'i crate::model::Grant> {
    of.iter()
        .map(|&i| &inventory.grants[i])
        .filter(|g| g.source.starts_with("Azure role assignment"))
        .collect()
}

/// Azure: the role assignments none of whose actions the identity used in the window,
/// where the role's definition was read (`az role definition list`). The activity log
/// records writes, deletes and actions, not reads: a role that only reads is never
/// called unused from it. Writes `roles_unread`, `unused_roles` and
/// `unused_roles_count` into `out`.
fn azure_roles(
    a: &Activity,
    held: Vec<&crate::model::Grant>,
    inventory: &Inventory,
    window: Option<&ActivityWindow>,
    out: &mut serde_json::Value,
) {
    if held.is_empty() {
        return;
    }
    let start = window.and_then(|w| parse_time(&w.start));
    let used: Vec<&str> = a
        .actions
        .iter()
        .filter(|x| x.level.is_some() && used_in(x, start))
        .map(|x| x.action.as_str())
        .collect();
    let matches = |patterns: &[String], action: &str| {
        patterns
            .iter()
            .any(|p| crate::policy::aws::eval::glob(p.as_bytes(), action.as_bytes(), true))
    };
    let mut unread = BTreeSet::new();
    let mut unused = BTreeSet::new();
    for g in held {
        let Some(role) = inventory.role_contents.get(&format!("azure:{}", g.action)) else {
            unread.insert(g.action.clone());
            continue;
        };
        let logged = role
            .allow
            .iter()
            .any(|p| !p.to_ascii_lowercase().ends_with("/read"));
        let in_use = used
            .iter()
            .any(|u| matches(&role.allow, u) && !matches(&role.deny, u));
        if logged && !in_use {
            unused.insert(format!("{} on {}", g.action, g.resource));
        }
    }
    out["roles_unread"] = json!(unread.iter().take(LISTED).collect::<Vec<_>>());
    out["unused_roles_count"] = json!(unused.len());
    out["unused_roles"] = json!(unused.iter().take(LISTED).collect::<Vec<_>>());
}

/// Whether an action was used (succeeded) inside the window.
fn used_in(a: &ActionUse, start: Option<i64>) -> bool {
    a.count > 0 && start.is_none_or(|s| parse_time(&a.last).is_some_and(|l| l >= s))
}

fn facts_of(
    a: &Activity,
    identity: &Identity,
    granted: Option<&Granted>,
    window: Option<&ActivityWindow>,
) -> serde_json::Value {
    let start = window.and_then(|w| parse_time(&w.start));
    let used: Vec<&ActionUse> = a.actions.iter().filter(|x| used_in(x, start)).collect();
    let used_names: BTreeSet<String> = used.iter().map(|x| x.action.to_ascii_lowercase()).collect();
    let denied: u64 = a.actions.iter().map(|x| x.denied).sum();
    let mut out = json!({
        "events": a.events,
        "first": a.first,
        "last": a.last,
        "window_days": window.map(|w| w.days),
        "used_actions": used.len(),
        "used": used.iter().take(LISTED).map(|x| x.action.as_str()).collect::<Vec<_>>(),
        "denied_calls": denied,
        "agent_clients": a.agent_clients,
        "sessions": a.sessions,
        "sessions_attributed": a.sessions_attributed,
        "unattributed_sessions": a.sessions - a.sessions_attributed.min(a.sessions),
        "session_names_reused": a.session_names_reused,
        "session_name": a.session_names.first(),
        "source_ips": a.source_ips.len(),
        "person": identity.human
            || identity.facts.get("aws").and_then(|f| f.get("password_enabled"))
                .and_then(|v| v.as_bool()).unwrap_or(false),
        "seen_only_in_logs": identity.tags.contains_key("seen_only_in_logs"),
    });
    if let Some(g) = granted.filter(|g| !g.unread.is_empty()) {
        // Some roles' contents are unknown: what is held is not all listed, and nothing
        // is called unused.
        out["roles_unread"] = json!(g.unread.iter().take(LISTED).collect::<Vec<_>>());
    }
    if let Some(g) = granted.filter(|g| g.unread.is_empty()) {
        let unused: Vec<&str> = g
            .names
            .iter()
            .map(String::as_str)
            .filter(|n| !used_names.contains(&n.to_ascii_lowercase()))
            .collect();
        let unused_write: Vec<&str> = unused
            .iter()
            .copied()
            .filter(|n| (g.level)(n).is_some_and(|l| l >= AccessLevel::Write))
            .collect();
        let services = |names: &mut dyn Iterator<Item = &str>| -> BTreeSet<String> {
            names
                .filter_map(|n| {
                    n.split_once(g.separator)
                        .map(|(s, _)| s.to_ascii_lowercase())
                })
                .collect()
        };
        let used_services = services(&mut used.iter().map(|x| x.action.as_str()));
        let unused_services: Vec<String> = services(&mut g.names.iter().map(String::as_str))
            .into_iter()
            .filter(|s| !used_services.contains(s))
            .collect();
        out["granted_actions"] = json!(g.names.len());
        out["unused_actions"] = json!(unused.len());
        out["unused_write_count"] = json!(unused_write.len());
        out["unused_write"] = json!(unused_write.iter().take(LISTED).collect::<Vec<_>>());
        out["unused_services_count"] = json!(unused_services.len());
        out["unused_services"] = json!(unused_services.iter().take(LISTED).collect::<Vec<_>>());
    }
    out["writes_began"] = writes_began(a);
    out
}

/// Write-creep in use: when the first write came at least [`READ_ONLY_DAYS`] after the
/// first event, with only reads between. `null` otherwise.
fn writes_began(a: &Activity) -> serde_json::Value {
    let first = parse_time(&a.first);
    let write = a
        .actions
        .iter()
        .filter(|x| x.count > 0 && x.level.is_some_and(|l| l >= AccessLevel::Write))
        .filter_map(|x| Some((parse_time(&x.first)?, x)))
        .min_by_key(|(t, _)| *t);
    match (first, write) {
        (Some(first), Some((at, x))) if (at - first) / 86_400 >= READ_ONLY_DAYS => json!({
            "read_only_days": (at - first) / 86_400,
            "first_write": x.first,
            "action": x.action,
        }),
        _ => serde_json::Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Grant, Location};

    fn grant(action: &str, effect: Effect) -> Grant {
        Grant {
            identity: "aws:arn:aws:iam::1:role/r".into(),
            action: action.into(),
            resource: "*".into(),
            effect,
            access_level: AccessLevel::Read,
            source: "inline:p".into(),
            location: None::<Location>,
        }
    }

    #[test]
    fn grants_expand_and_a_deny_everywhere_takes_away() {
        let g = [
            grant("s3:Get*", Effect::Allow),
            grant("s3:GetObjectAcl", Effect::Deny),
        ];
        let got = aws_granted(g.iter()).unwrap_or_default();
        assert!(got.contains("s3:GetObject"));
        assert!(!got.contains("s3:GetObjectAcl"));
        assert!(!got.contains("s3:PutObject"));
        assert_eq!(aws_granted([].iter()), None);
    }
}
