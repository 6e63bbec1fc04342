//! Principals: the users and roles of the export with their policy sets, what each may
//! do (its summary and grants), and its identity with the facts the rules judge.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::escalations::{Settled, escalation_facts};
use super::keys::UserKeys;
use super::policies::{Holder, Resolver};
use super::{Group, Principal, account_of, trust};
use crate::model::{
    AccessLevel, Effect as GrantEffect, Grant, Identity, IdentityKind, Location, Provider,
};
use crate::policy::aws::actions::table;
use crate::policy::aws::document::{Effect, Patterns, Statement};
use crate::policy::aws::eval::{Context, PolicySet};
use crate::sources::aws::AwsInput;
use crate::sources::aws::credential_report::Row;
use crate::sources::aws::gaad::{RoleDetail, Tag, UserDetail};
use crate::timefmt;

/// The users, then the roles, of the export with their permissions resolved.
pub(super) fn principals(
    input: &AwsInput,
    resolver: &mut Resolver<'_>,
    groups: &BTreeMap<String, Group>,
) -> Vec<Principal> {
    let users = input.gaad.user_detail_list.iter().flatten();
    let roles = input.gaad.role_detail_list.iter().flatten();
    let mut out: Vec<Principal> = users.map(|u| user(u, resolver, groups)).collect();
    out.extend(roles.map(|r| role(r, &input.origin, resolver, groups)));
    out
}

fn user(
    u: &UserDetail,
    resolver: &mut Resolver<'_>,
    groups: &BTreeMap<String, Group>,
) -> Principal {
    let holder = Holder {
        arn: &u.arn,
        inline: &u.user_policy_list,
        attached: &u.attached_managed_policies,
        groups: &u.group_list,
        boundary: u.permissions_boundary.as_ref(),
    };
    let resolved = resolver.resolve(&holder, groups);
    Principal {
        arn: u.arn.clone(),
        name: u.user_name.clone(),
        is_user: true,
        policies: resolved.policies,
        groups: resolved.groups,
        trust: Vec::new(),
        has_instance_profile: false,
        attached_customer: resolved.attached_customer,
        tags: tags(&u.tags),
        created: u.create_date.as_deref().and_then(timefmt::normalize),
        last_used: None,
        max_session: None,
        path: u.path.clone(),
    }
}

fn role(
    r: &RoleDetail,
    origin: &str,
    resolver: &mut Resolver<'_>,
    groups: &BTreeMap<String, Group>,
) -> Principal {
    let holder = Holder {
        arn: &r.arn,
        inline: &r.role_policy_list,
        attached: &r.attached_managed_policies,
        groups: &[],
        boundary: r.permissions_boundary.as_ref(),
    };
    let resolved = resolver.resolve(&holder, groups);
    Principal {
        arn: r.arn.clone(),
        name: r.role_name.clone(),
        is_user: false,
        policies: resolved.policies,
        groups: resolved.groups,
        trust: trust::parse_trust(r, origin, &mut resolver.errors),
        has_instance_profile: !r.instance_profile_list.is_empty(),
        attached_customer: resolved.attached_customer,
        tags: tags(&r.tags),
        created: r.create_date.as_deref().and_then(timefmt::normalize),
        last_used: r
            .role_last_used
            .as_ref()
            .and_then(|l| l.last_used_date.as_deref())
            .and_then(timefmt::normalize),
        max_session: r.max_session_duration,
        path: r.path.clone(),
    }
}

/// What the other steps found about one principal, for its identity.
pub(super) struct Found<'a> {
    pub summary: &'a Summary,
    /// Its row in the credential report.
    pub row: Option<&'a Row>,
    pub keys: UserKeys,
    pub settled: Settled,
    /// Its customer managed policies whose access rose between versions.
    pub creep: Vec<Value>,
}

/// The identity of principal `p`, with its AWS facts.
pub(super) fn identity(
    p: &Principal,
    id: String,
    loc: &Location,
    found: Found<'_>,
    now: time::OffsetDateTime,
) -> Identity {
    let last_used = last_used(p, found.row, &found.keys.facts);
    let idle_days = last_used
        .as_deref()
        .or(p.created.as_deref())
        .and_then(timefmt::parse)
        .map(|d| timefmt::days_since(d, now));
    let owner = owner_of(&p.tags);
    let mut facts = BTreeMap::new();
    facts.insert(
        "aws".to_string(),
        aws_facts(p, &found, idle_days, owner.as_deref()),
    );
    Identity {
        id,
        kind: if p.is_user {
            IdentityKind::AwsUser
        } else {
            IdentityKind::AwsRole
        },
        provider: Provider::Aws,
        name: p.name.clone(),
        agents: Vec::new(),
        access_level: Some(found.summary.level),
        owner,
        human: false,
        created_at: p.created.clone(),
        last_used_at: last_used,
        expires_at: None,
        credentials: found.keys.credentials,
        locations: vec![loc.clone()],
        tags: p.tags.clone(),
        facts,
    }
}

/// The last use of the principal: of the role, of the user's password or of one of its keys.
fn last_used(p: &Principal, row: Option<&Row>, keys: &[Value]) -> Option<String> {
    let password_last_used = row
        .and_then(|r| r.get("password_last_used"))
        .and_then(timefmt::normalize);
    let key_last_used = keys
        .iter()
        .filter_map(|k| k["last_used"].as_str())
        .max()
        .map(str::to_string);
    [p.last_used.clone(), password_last_used, key_last_used]
        .into_iter()
        .flatten()
        .max()
}

/// The owner a tag names (`owner`, `nhi:owner` or `team`, in any case).
fn owner_of(tags: &BTreeMap<String, String>) -> Option<String> {
    tags.iter()
        .find(|(k, _)| {
            matches!(
                k.to_ascii_lowercase().as_str(),
                "owner" | "nhi:owner" | "team"
            )
        })
        .map(|(_, v)| v.clone())
}

/// The `aws` facts of a principal's identity.
fn aws_facts(
    p: &Principal,
    found: &Found<'_>,
    idle_days: Option<i64>,
    owner: Option<&str>,
) -> Value {
    let Found {
        summary,
        row,
        keys,
        settled,
        creep,
    } = found;
    let escalations = escalation_facts(&settled.escalations);
    let escalation_summary: Vec<String> = escalations
        .iter()
        .map(|e| {
            format!(
                "{} ({} target(s))",
                e["description"].as_str().unwrap_or(""),
                e["target_count"]
            )
        })
        .collect();
    let power_over = &settled.power_over;
    let keys = &keys.facts;
    json!({
        "arn": p.arn,
        "account": account_of(&p.arn),
        "type": if p.is_user { "user" } else { "role" },
        "path": p.path,
        "service_linked": p.path.starts_with("/aws-service-role/"),
        "access_level": summary.level,
        "admin": summary.admin,
        "wildcard_services": summary.wildcard_services,
        "permissions_management": summary.permissions_management,
        "services": summary.services,
        "escalations": escalations,
        "escalation_summary": escalation_summary,
        "lateral_moves": escalation_facts(&settled.lateral),
        "power_over": power_over.power_over,
        "power_over_count": power_over.power_over_count,
        "power_over_everyone": power_over.power_over_everyone,
        "power_over_unreported": power_over.power_over_unreported,
        "power_over_summary": power_over.power_over_summary,
        "keys": keys,
        "active_keys": keys.iter().filter(|k| k["active"] == true).count(),
        "password_enabled": row.is_some_and(|r| r.flag("password_enabled")),
        "mfa_active": row.is_some_and(|r| r.flag("mfa_active")),
        "root": p.arn.ends_with(":root"),
        "idle_days": idle_days,
        "trust": trust::trust_facts(&p.trust),
        "max_session_hours": p.max_session.map(|s| s / 3600),
        "owner": owner,
        "policy_creep": creep,
        "policy_creep_summary": creep.iter().map(creep_summary).collect::<Vec<_>>(),
    })
}

/// IAM's last-accessed data as facts: the services the principal's policies allow that
/// it has not authenticated to in IAM's tracking period, and how many it has.
pub(super) fn add_last_accessed(
    identity: &mut Identity,
    services: &[super::super::ServiceLastAccessed],
) {
    let mut unused: Vec<&str> = services
        .iter()
        .filter(|s| s.last_authenticated.is_none())
        .map(|s| s.service_namespace.as_str())
        .collect();
    unused.sort_unstable();
    unused.dedup();
    let last = services
        .iter()
        .filter_map(|s| s.last_authenticated.as_deref().and_then(timefmt::normalize))
        .max();
    if let Some(aws) = identity
        .facts
        .get_mut("aws")
        .and_then(|v| v.as_object_mut())
    {
        aws.insert("services_allowed".into(), json!(services.len()));
        aws.insert("services_not_accessed".into(), json!(unused));
        aws.insert("services_last_accessed".into(), json!(last));
    }
    if let Some(last) = last
        && identity.last_used_at.as_ref().is_none_or(|l| *l < last)
    {
        identity.last_used_at = Some(last);
    }
}

/// One line for a policy whose access rose between versions.
fn creep_summary(c: &Value) -> String {
    format!(
        "{} {} ({}) -> {} ({}) on {}",
        c["policy"].as_str().unwrap_or(""),
        c["from_version"].as_str().unwrap_or(""),
        c["from_level"].as_str().unwrap_or(""),
        c["to_version"].as_str().unwrap_or(""),
        c["to_level"].as_str().unwrap_or(""),
        c["date"].as_str().unwrap_or("an unknown date"),
    )
}

/// What a policy set gives, summarised.
pub(super) struct Summary {
    pub level: AccessLevel,
    pub admin: bool,
    pub wildcard_services: Vec<String>,
    pub permissions_management: Vec<String>,
    /// The highest level per service prefix (`s3`, `iam`, …; `*` for every service):
    /// what privilege chains compare, so a role that only reads S3 still adds access to
    /// a user that can only assume it.
    pub services: BTreeMap<String, AccessLevel>,
}

/// Raises `service`'s level in `map` to at least `level`.
fn raise(map: &mut BTreeMap<String, AccessLevel>, action: &str, level: AccessLevel) {
    let service = match action.split_once(':') {
        Some((svc, _)) if !svc.contains(['*', '?']) => svc.to_ascii_lowercase(),
        _ => "*".to_string(),
    };
    let slot = map.entry(service).or_insert(AccessLevel::None);
    *slot = (*slot).max(level);
}

/// Tags as a map.
fn tags(list: &[Tag]) -> BTreeMap<String, String> {
    list.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

/// The access a policy set gives, summarised. Denies are honoured exactly when present.
pub(super) fn summarize(p: &PolicySet, ctx: &Context) -> Summary {
    let mut s = Summary {
        level: AccessLevel::None,
        admin: false,
        wildcard_services: Vec::new(),
        permissions_management: Vec::new(),
        services: BTreeMap::new(),
    };
    let exact = p.has_denies() || p.boundary.is_some();
    read_allows(p, exact, &mut s);
    if exact {
        keep_what_is_allowed(p, ctx, &mut s);
    } else {
        list_permissions_management(p, &mut s.permissions_management);
    }
    if s.admin {
        s.level = AccessLevel::Admin;
        raise(&mut s.services, "*", AccessLevel::Admin);
    } else if let Some(all) = s.services.get_mut("*") {
        // `*` alone is admin only when nothing narrows it.
        *all = (*all).min(AccessLevel::PermissionsManagement);
    }
    s.services.retain(|_, l| *l > AccessLevel::None);
    s.wildcard_services.sort();
    s.wildcard_services.dedup();
    s
}

/// The allows as written: `*` on `*` without conditions, whole services (`s3:*`), and,
/// when nothing takes access away (`!exact`), the levels their actions give.
fn read_allows(p: &PolicySet, exact: bool, s: &mut Summary) {
    let t = table();
    for st in allows(p) {
        let unconditional = st.conditions.is_empty();
        let all_resources =
            matches!(&st.resources, Patterns::Only(r) if r.iter().any(|r| r == "*"));
        match &st.actions {
            Patterns::Only(actions) => {
                for a in actions {
                    if a == "*" && all_resources && unconditional {
                        s.admin = true;
                    }
                    if let Some(svc) = a.strip_suffix(":*") {
                        s.wildcard_services.push(svc.to_ascii_lowercase());
                    }
                    if !exact {
                        let l = if a == "*" && all_resources && unconditional {
                            AccessLevel::Admin
                        } else {
                            t.max_level(a).unwrap_or(AccessLevel::None)
                        };
                        s.level = s.level.max(l);
                        raise(&mut s.services, a, l);
                    }
                }
            }
            Patterns::AllBut(_) => {
                if !exact {
                    // Everything but a few actions: as much as the rest of the table gives.
                    s.level = s.level.max(AccessLevel::PermissionsManagement);
                    raise(&mut s.services, "*", AccessLevel::PermissionsManagement);
                }
            }
        }
    }
}

/// With denies or a boundary: walks the actions the allows name and keeps those no deny
/// or boundary takes away.
fn keep_what_is_allowed(p: &PolicySet, ctx: &Context, s: &mut Summary) {
    let t = table();
    let mut seen = rustc_hash::FxHashSet::default();
    for st in allows(p) {
        let candidates: Vec<&str> = match &st.actions {
            Patterns::Only(actions) => actions.iter().flat_map(|a| t.expand(a)).collect(),
            Patterns::AllBut(_) => t.expand("*"),
        };
        for a in candidates {
            if seen.insert(a) && p.check(a, "*", ctx).is_allowed() {
                let l = t.level(a).unwrap_or(AccessLevel::None);
                s.level = s.level.max(l);
                raise(&mut s.services, a, l);
                if t.level(a) == Some(AccessLevel::PermissionsManagement)
                    && s.permissions_management.len() < 10
                {
                    s.permissions_management.push(a.to_string());
                }
            }
        }
    }
    s.admin = s.admin
        && p.check("iam:CreateUser", "*", ctx).is_allowed()
        && p.check("s3:GetObject", "*", ctx).is_allowed();
}

/// Without denies: the first ten permissions-management actions the allows name.
fn list_permissions_management(p: &PolicySet, pm: &mut Vec<String>) {
    let t = table();
    for st in allows(p) {
        if let Patterns::Only(actions) = &st.actions {
            for a in actions {
                for x in t.expand(a) {
                    if pm.len() >= 10 {
                        break;
                    }
                    if t.level(x) == Some(AccessLevel::PermissionsManagement)
                        && !pm.iter().any(|y| y == x)
                    {
                        pm.push(x.to_string());
                    }
                }
            }
        } else if pm.is_empty() {
            pm.push("(NotAction: all but the listed actions)".into());
        }
    }
}

/// The allow statements of a policy set.
fn allows(p: &PolicySet) -> impl Iterator<Item = &Statement> {
    p.statements
        .iter()
        .map(|s| &*s.statement)
        .filter(|s| s.effect == Effect::Allow)
}

/// One grant per action a statement of the policy set names.
pub(super) fn grants_of(id: &str, p: &PolicySet, loc: &Location) -> Vec<Grant> {
    let t = table();
    let mut out = Vec::new();
    for s in &p.statements {
        let st = &s.statement;
        let resource = st.resources.patterns().join(", ");
        let resource = if matches!(st.resources, Patterns::AllBut(_)) {
            format!("all but {resource}")
        } else {
            resource
        };
        let effect = if st.effect == Effect::Allow {
            GrantEffect::Allow
        } else {
            GrantEffect::Deny
        };
        match &st.actions {
            Patterns::Only(actions) => {
                for a in actions {
                    out.push(Grant {
                        identity: id.to_string(),
                        action: a.clone(),
                        resource: resource.clone(),
                        effect,
                        access_level: t.max_level(a).unwrap_or(AccessLevel::None),
                        source: s.source.clone(),
                        location: Some(loc.clone()),
                    });
                }
            }
            Patterns::AllBut(actions) => out.push(Grant {
                identity: id.to_string(),
                action: format!("all but {}", actions.join(", ")),
                resource,
                effect,
                access_level: AccessLevel::PermissionsManagement,
                source: s.source.clone(),
                location: Some(loc.clone()),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_input::{input, resolve};
    use super::*;

    fn ctx() -> Context {
        Context {
            now: crate::timefmt::now(),
        }
    }

    fn principal(statements: serde_json::Value, tags: serde_json::Value) -> Principal {
        let input = input(json!({"RoleDetailList": [{
            "Path": "/", "RoleName": "r", "RoleId": "R", "Arn": "arn:aws:iam::111122223333:role/r",
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": statements}}],
            "Tags": tags,
        }]}));
        resolve(&input).0.remove(0)
    }

    #[test]
    fn a_read_only_role_is_summarised_per_service() {
        let p = principal(
            json!([{"Effect": "Allow", "Action": ["s3:GetObject", "sqs:*"], "Resource": "*"}]),
            json!([]),
        );
        let s = summarize(&p.policies, &ctx());
        // `sqs:*` includes sqs:AddPermission, which changes who may use the queue.
        assert_eq!(s.level, AccessLevel::PermissionsManagement);
        assert!(!s.admin);
        assert_eq!(s.wildcard_services, ["sqs"]);
        assert_eq!(s.services.get("s3"), Some(&AccessLevel::Read));
        assert_eq!(
            s.services.get("sqs"),
            Some(&AccessLevel::PermissionsManagement)
        );
        assert!(
            s.permissions_management
                .iter()
                .any(|a| a == "sqs:AddPermission")
        );
        assert!(
            s.permissions_management
                .iter()
                .all(|a| a.starts_with("sqs:"))
        );
    }

    #[test]
    fn a_deny_is_honoured_and_star_on_star_is_admin() {
        let admin = principal(
            json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]),
            json!([]),
        );
        let s = summarize(&admin.policies, &ctx());
        assert!(s.admin);
        assert_eq!(s.level, AccessLevel::Admin);
        assert_eq!(s.services.get("*"), Some(&AccessLevel::Admin));

        let denied = principal(
            json!([
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
            ]),
            json!([]),
        );
        let s = summarize(&denied.policies, &ctx());
        assert!(!s.admin);
        assert!(s.level < AccessLevel::Admin);
        assert!(!s.permissions_management.is_empty());
        assert!(
            !s.permissions_management
                .iter()
                .any(|a| a.starts_with("iam:"))
        );
        assert!(!s.services.contains_key("iam"));
    }

    #[test]
    fn grants_name_each_action_and_the_policy_it_comes_from() {
        let p = principal(
            json!([
                {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::b/*"]},
                {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"},
            ]),
            json!([]),
        );
        let loc = Location::Uri { uri: p.arn.clone() };
        let grants = grants_of("aws:r", &p.policies, &loc);
        let rows: Vec<(&str, &str, GrantEffect, AccessLevel)> = grants
            .iter()
            .map(|g| {
                (
                    g.action.as_str(),
                    g.resource.as_str(),
                    g.effect,
                    g.access_level,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "s3:GetObject",
                    "arn:aws:s3:::b/*",
                    GrantEffect::Allow,
                    AccessLevel::Read
                ),
                (
                    "s3:PutObject",
                    "arn:aws:s3:::b/*",
                    GrantEffect::Allow,
                    AccessLevel::Write
                ),
                (
                    "all but s3:*",
                    "*",
                    GrantEffect::Deny,
                    AccessLevel::PermissionsManagement
                ),
            ]
        );
        assert!(grants.iter().all(|g| g.source == "inline:p"));
    }

    #[test]
    fn the_identity_carries_tags_owner_and_last_use() {
        let mut p = principal(json!([]), json!([{"Key": "Team", "Value": "data"}]));
        p.last_used = Some("2024-05-01T00:00:00Z".into());
        let summary = summarize(&p.policies, &ctx());
        let loc = Location::Uri { uri: p.arn.clone() };
        let found = Found {
            summary: &summary,
            row: None,
            keys: UserKeys::default(),
            settled: Settled {
                escalations: Vec::new(),
                lateral: Vec::new(),
                power_over: crate::policy::aws::power::PowerFacts::everyone(),
            },
            creep: Vec::new(),
        };
        let identity = identity(&p, "aws:r".into(), &loc, found, ctx().now);
        assert_eq!(identity.kind, "aws-role");
        assert_eq!(identity.owner.as_deref(), Some("data"));
        assert_eq!(identity.tags.get("Team").map(String::as_str), Some("data"));
        assert_eq!(
            identity.last_used_at.as_deref(),
            Some("2024-05-01T00:00:00Z")
        );
        let aws = &identity.facts["aws"];
        assert_eq!(aws["type"], "role");
        assert_eq!(aws["account"], "111122223333");
        assert_eq!(aws["access_level"], "none");
        assert_eq!(aws["power_over_everyone"], true);
        assert!(aws["idle_days"].as_i64().is_some_and(|d| d > 0));
    }
}
