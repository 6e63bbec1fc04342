//! One account's exports → inventory: principals with their effective access, keys with
//! their ages, trust relationships as `assumes` edges, escalation methods as `escalates`
//! edges, and the principals that belong to AI agents.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use rayon::prelude::*;
use regex::Regex;
use serde_json::{Value, json};

use super::AwsInput;
use super::gaad::{InlinePolicy, ManagedPolicyDetail, Tag, decode_document};
use crate::model::{
    AccessLevel, Agent, Confidence, Credential, Edge, EdgeKind, Effect as GrantEffect, Evidence,
    Grant, Identity, Inventory, Lifetime, Location, SourceKind, Storage,
};
use crate::policy::aws::actions::table;
use crate::policy::aws::document::{self, Effect, Patterns, Statement};
use crate::policy::aws::escalation::{self, Target, TargetKind};
use crate::policy::aws::eval::{Context, PolicySet, Sourced};
use crate::policy::aws::power;
use crate::timefmt;

/// How to read the account.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// Tag keys that mark a principal as an AI agent's (`nhi:agent`, `ai-agent`, `agent`).
    pub agent_tag_keys: Vec<String>,
}

impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            agent_tag_keys: vec!["nhi:agent".into(), "ai-agent".into(), "agent".into()],
        }
    }
}

/// Services whose roles are assumed by AI agent runtimes.
const AGENT_SERVICES: &[&str] = &[
    "bedrock.amazonaws.com",
    "bedrock-agentcore.amazonaws.com",
    "sagemaker.amazonaws.com",
];
const GITHUB_OIDC: &str = "token.actions.githubusercontent.com";

struct Principal {
    arn: String,
    name: String,
    is_user: bool,
    policies: PolicySet,
    groups: Vec<String>,
    trust: Vec<Statement>,
    has_instance_profile: bool,
    attached_customer: Vec<(String, usize)>,
    tags: BTreeMap<String, String>,
    created: Option<String>,
    last_used: Option<String>,
    max_session: Option<i64>,
    path: String,
}

/// A group: its statements and customer managed policies pass to its members.
struct Group {
    arn: String,
    statements: Vec<Sourced>,
    attached: Vec<(String, usize)>,
}

struct Summary {
    level: AccessLevel,
    admin: bool,
    wildcard_services: Vec<String>,
    permissions_management: Vec<String>,
    /// The highest level per service prefix (`s3`, `iam`, …; `*` for every service):
    /// what privilege chains compare, so a role that only reads S3 still adds access to
    /// a user that can only assume it.
    services: BTreeMap<String, AccessLevel>,
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

pub fn normalize(input: &AwsInput, opts: &AwsOptions) -> Inventory {
    let now = timefmt::now();
    let ctx = Context { now };
    let mut inv = Inventory::default();
    let origin = input.origin.as_str();
    let mut err = |location: String, message: String| {
        inv.errors.push(SourceKind::Aws.error(location, message))
    };

    // Managed policies: the default version of each, parsed once.
    let policies: HashMap<&str, &ManagedPolicyDetail> = input
        .gaad
        .policies
        .iter()
        .flatten()
        .map(|p| (p.arn.as_str(), p))
        .collect();
    let mut parsed_policies: HashMap<&str, Vec<Arc<Statement>>> = HashMap::default();
    for p in input.gaad.policies.iter().flatten() {
        let Some(v) = p.default_version() else {
            err(
                format!("{origin}: {}", p.arn),
                "the policy has no default version in the export".into(),
            );
            continue;
        };
        match v
            .document
            .as_ref()
            .map(decode_document)
            .unwrap_or(Err("the version has no document".into()))
            .and_then(|d| document::parse(&d))
        {
            Ok(st) => {
                parsed_policies.insert(p.arn.as_str(), st.into_iter().map(Arc::new).collect());
            }
            Err(e) => err(
                format!("{origin}: {} {}", p.arn, v.version_id),
                format!("malformed policy document: {e}"),
            ),
        }
    }
    let inline = |owner: &str,
                  list: &[InlinePolicy],
                  prefix: &str,
                  out: &mut Vec<Sourced>,
                  errors: &mut Vec<(String, String)>| {
        for ip in list {
            let parsed = ip
                .policy_document
                .as_ref()
                .map(decode_document)
                .unwrap_or(Err("no document".into()))
                .and_then(|d| document::parse(&d));
            match parsed {
                Ok(st) => out.extend(st.into_iter().map(|s| Sourced {
                    statement: Arc::new(s),
                    source: format!("{prefix}inline:{}", ip.policy_name),
                })),
                Err(e) => errors.push((
                    format!("{origin}: {owner} inline policy {}", ip.policy_name),
                    format!("malformed policy document: {e}"),
                )),
            }
        }
    };
    let mut doc_errors = Vec::new();
    let mut missing = Vec::new();
    let mut managed =
        |arn: &str, prefix: &str, out: &mut Vec<Sourced>| match parsed_policies.get(arn) {
            Some(st) => out.extend(st.iter().cloned().map(|s| Sourced {
                statement: s,
                source: format!("{prefix}{arn}"),
            })),
            // Exports often leave out the AWS managed policies they attach; the few whose
            // meaning is fixed are known here.
            None if !policies.contains_key(arn) => match well_known_aws_policy(arn) {
                Some(st) => out.extend(st.into_iter().map(|s| Sourced {
                    statement: Arc::new(s),
                    source: format!("{prefix}{arn}"),
                })),
                None => missing.push(arn.to_string()),
            },
            None => {}
        };

    // Groups.
    // Ordered: targets are listed in this order, and reports must not depend on a hash seed.
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for g in input.gaad.group_detail_list.iter().flatten() {
        let mut st = Vec::new();
        inline(
            &g.arn,
            &g.group_policy_list,
            &format!("group:{}/", g.group_name),
            &mut st,
            &mut doc_errors,
        );
        let mut attached = Vec::new();
        for a in &g.attached_managed_policies {
            managed(&a.policy_arn, &format!("group:{}/", g.group_name), &mut st);
            push_customer(&policies, &a.policy_arn, &mut attached);
        }
        groups.insert(
            g.group_name.clone(),
            Group {
                arn: g.arn.clone(),
                statements: st,
                attached,
            },
        );
    }

    // Users and roles.
    let mut principals = Vec::new();
    for u in input.gaad.user_detail_list.iter().flatten() {
        let mut st = Vec::new();
        inline(&u.arn, &u.user_policy_list, "", &mut st, &mut doc_errors);
        let mut attached = Vec::new();
        for a in &u.attached_managed_policies {
            managed(&a.policy_arn, "", &mut st);
            push_customer(&policies, &a.policy_arn, &mut attached);
        }
        let mut group_arns = Vec::new();
        for g in &u.group_list {
            match groups.get(g) {
                Some(group) => {
                    st.extend(group.statements.iter().cloned());
                    attached.extend(group.attached.iter().cloned());
                    group_arns.push(group.arn.clone());
                }
                None => doc_errors.push((
                    format!("{origin}: {}", u.arn),
                    format!("member of group {g}, which is not in the export"),
                )),
            }
        }
        let boundary = boundary_of(u.permissions_boundary.as_ref(), &parsed_policies);
        principals.push(Principal {
            arn: u.arn.clone(),
            name: u.user_name.clone(),
            is_user: true,
            policies: PolicySet {
                statements: st,
                boundary,
                may_allow_memo: Default::default(),
            },
            groups: group_arns,
            trust: Vec::new(),
            has_instance_profile: false,
            attached_customer: attached,
            tags: tags(&u.tags),
            created: u.create_date.as_deref().and_then(timefmt::normalize),
            last_used: None,
            max_session: None,
            path: u.path.clone(),
        });
    }
    for r in input.gaad.role_detail_list.iter().flatten() {
        let mut st = Vec::new();
        inline(&r.arn, &r.role_policy_list, "", &mut st, &mut doc_errors);
        let mut attached = Vec::new();
        for a in &r.attached_managed_policies {
            managed(&a.policy_arn, "", &mut st);
            push_customer(&policies, &a.policy_arn, &mut attached);
        }
        let trust = match r.assume_role_policy_document.as_ref().map(decode_document) {
            Some(Ok(d)) => document::parse(&d).unwrap_or_else(|e| {
                doc_errors.push((
                    format!("{origin}: {} trust policy", r.arn),
                    format!("malformed trust policy: {e}"),
                ));
                Vec::new()
            }),
            Some(Err(e)) => {
                doc_errors.push((format!("{origin}: {} trust policy", r.arn), e));
                Vec::new()
            }
            None => Vec::new(),
        };
        let boundary = boundary_of(r.permissions_boundary.as_ref(), &parsed_policies);
        principals.push(Principal {
            arn: r.arn.clone(),
            name: r.role_name.clone(),
            is_user: false,
            policies: PolicySet {
                statements: st,
                boundary,
                may_allow_memo: Default::default(),
            },
            groups: Vec::new(),
            trust,
            has_instance_profile: !r.instance_profile_list.is_empty(),
            attached_customer: attached,
            tags: tags(&r.tags),
            created: r.create_date.as_deref().and_then(timefmt::normalize),
            last_used: r
                .role_last_used
                .as_ref()
                .and_then(|l| l.last_used_date.as_deref())
                .and_then(timefmt::normalize),
            max_session: r.max_session_duration,
            path: r.path.clone(),
        });
    }
    missing.sort();
    missing.dedup();
    for arn in missing {
        err(
            format!("{origin}: {arn}"),
            "attached to a principal but not in the export's Policies: its permissions are unknown"
                .into(),
        );
    }
    for (l, m) in doc_errors {
        err(l, m);
    }

    // Per principal and independent of the others: on every core.
    let summaries: Vec<Summary> = principals
        .par_iter()
        .map(|p| summarize(&p.policies, &ctx))
        .collect();
    let levels = ServiceLevels::new(&summaries);
    let index: HashMap<&str, usize> = principals
        .iter()
        .enumerate()
        .map(|(i, p)| (p.arn.as_str(), i))
        .collect();

    // Escalation targets: every user, group and role of the account.
    let trusted: Vec<Vec<String>> = principals
        .iter()
        .map(|p| trusted_services(&p.trust))
        .collect();
    let mut targets: Vec<Target<'_>> = principals
        .iter()
        .zip(&trusted)
        .map(|(p, t)| Target {
            arn: &p.arn,
            kind: if p.is_user {
                TargetKind::User
            } else {
                TargetKind::Role
            },
            trusted_services: t,
            has_instance_profile: p.has_instance_profile,
        })
        .collect();
    for Group { arn, .. } in groups.values() {
        targets.push(Target {
            arn,
            kind: TargetKind::Group,
            trusted_services: &[],
            has_instance_profile: false,
        });
    }

    // Power over others: what each principal could change, and who can already assume
    // which role (the edges chains follow), which turns a role it can rewrite into a way up.
    let (changeable, managed) = power_targets(&principals, &groups);
    let (assumes, hubs) = assume_edges(&principals, &index, &ctx);
    let assumable = Assumable::new(&assumes);

    let report_rows: HashMap<&str, &super::credential_report::Row> = input
        .credential_report
        .iter()
        .flat_map(|r| r.rows.iter())
        .map(|r| (r.arn.as_str(), r))
        .collect();
    let mut keys_by_user: HashMap<&str, Vec<&super::AccessKeyMetadata>> = HashMap::default();
    for k in &input.access_keys {
        keys_by_user
            .entry(k.user_name.as_str())
            .or_default()
            .push(k);
    }
    let name_re = Regex::new(
        r"(?i)(agent|bedrock|llm|claude|openai|anthropic|gpt|copilot|mcp|genai|chatbot|\bai[-_])",
    )
    .expect("static regex");

    // Escalations and power over others, per principal, on every core: the costly part
    // (each principal's policies against every target); the rest of the loop is assembly.
    // In chunks, so that only a chunk's lists (which can name every principal) are held.
    const CHUNK: usize = 256;
    let work_out = |from: usize| -> Vec<(Vec<escalation::Escalation>, Vec<power::Power<'_>>)> {
        let to = (from + CHUNK).min(principals.len());
        principals[from..to]
            .par_iter()
            .zip(&summaries[from..to])
            .map(|(p, summary)| {
                let subject = escalation::Subject {
                    arn: &p.arn,
                    is_user: p.is_user,
                    policies: &p.policies,
                    groups: &p.groups,
                    attached_customer_policies: &p.attached_customer,
                };
                let escalations = if summary.admin {
                    Vec::new()
                } else {
                    escalation::escalations(&subject, &targets, &ctx)
                };
                // An administrator, or a principal that can rewrite its own permissions, can
                // change anyone: its power over others is not worked out principal by principal.
                let everyone = summary.admin || escalations.iter().any(|e| e.self_modification);
                let powers = if everyone {
                    Vec::new()
                } else {
                    power::powers(&subject, &changeable, &managed, &ctx)
                };
                (escalations, powers)
            })
            .collect()
    };
    let mut worked_out = Vec::new();

    let mut edges = Vec::new();
    for (i, p) in principals.iter().enumerate() {
        if i % CHUNK == 0 {
            worked_out = work_out(i);
        }
        let id = format!("aws:{}", p.arn);
        let summary = &summaries[i];
        let loc = Location::Uri { uri: p.arn.clone() };

        // Keys: from the access key listing when present, else the credential report.
        let mut keys = Vec::new();
        let mut cred_ids = Vec::new();
        if p.is_user {
            let row = report_rows.get(p.arn.as_str());
            let listed = keys_by_user.get(p.name.as_str());
            let mut slots: Vec<KeyFacts> = match listed {
                Some(list) => list
                    .iter()
                    .map(|k| KeyFacts::from_listing(k, now))
                    .collect(),
                None => row
                    .map(|r| KeyFacts::from_report(r, now))
                    .unwrap_or_default(),
            };
            slots.sort_by(|a, b| a.name.cmp(&b.name));
            for k in slots {
                let cid = match &k.key_id {
                    Some(kid) => format!("aws-key:{kid}"),
                    None => format!("aws-key:{}#{}", p.arn, k.name),
                };
                inv.credentials.push(Credential {
                    name: Some(
                        k.key_id
                            .clone()
                            .unwrap_or_else(|| format!("{} {}", p.name, k.name)),
                    ),
                    identity: Some(id.clone()),
                    locations: vec![loc.clone()],
                    created_at: k.created.clone(),
                    last_used_at: k.last_used.clone(),
                    key_id: k.key_id.clone(),
                    ..Credential::new(
                        cid.clone(),
                        "aws-access-key",
                        "aws",
                        Lifetime::Static,
                        Storage::Issued,
                        Confidence::High,
                    )
                });
                cred_ids.push(cid);
                keys.push(k.to_json());
            }
        }
        let row = report_rows.get(p.arn.as_str());
        let password_last_used = row
            .and_then(|r| r.get("password_last_used"))
            .and_then(timefmt::normalize);
        let key_last_used = keys
            .iter()
            .filter_map(|k| k["last_used"].as_str())
            .max()
            .map(str::to_string);
        let last_used = [p.last_used.clone(), password_last_used, key_last_used]
            .into_iter()
            .flatten()
            .max();
        let idle_days = last_used
            .as_deref()
            .or(p.created.as_deref())
            .and_then(timefmt::parse)
            .map(|d| timefmt::days_since(d, now));

        // Escalations, power over others and trust.
        let (mut escalations, powers) = std::mem::take(&mut worked_out[i % CHUNK]);
        let everyone = summary.admin || escalations.iter().any(|e| e.self_modification);
        // Whether an escalation adds access; one that does not is a lateral move (below).
        let adds = |e: &escalation::Escalation| {
            e.self_modification
                || index
                    .get(e.target.as_str())
                    .is_none_or(|&t| levels.adds_access(i, t))
        };
        let up_through_power = escalations_through_power(
            &p.arn,
            &powers,
            &escalations,
            &adds,
            &changeable,
            &assumable,
        );
        escalations.extend(up_through_power);
        // One method often reaches hundreds of principals (iam:CreateAccessKey on `*`):
        // the graph keeps, per method, the few most powerful targets — the ones a chain
        // would go through — while the facts count them all.
        let mut by_method: BTreeMap<&str, Vec<&escalation::Escalation>> = BTreeMap::new();
        for e in &escalations {
            by_method.entry(e.method.as_str()).or_default().push(e);
        }
        for (_, mut list) in by_method {
            let level_of = |e: &escalation::Escalation| {
                if e.self_modification {
                    AccessLevel::Admin
                } else {
                    index
                        .get(e.target.as_str())
                        .map_or(AccessLevel::None, |&t| summaries[t].level)
                }
            };
            // Levels looked up once per target, not once per comparison.
            let mut ranked: Vec<(
                std::cmp::Reverse<AccessLevel>,
                &str,
                &escalation::Escalation,
            )> = list
                .drain(..)
                .map(|e| (std::cmp::Reverse(level_of(e)), e.target.as_str(), e))
                .collect();
            // Only the first three are kept: picked in linear time, then put in order.
            let cmp = |a: &(
                std::cmp::Reverse<AccessLevel>,
                &str,
                &escalation::Escalation,
            ),
                       b: &(
                std::cmp::Reverse<AccessLevel>,
                &str,
                &escalation::Escalation,
            )| { (a.0, a.1).cmp(&(b.0, b.1)) };
            if ranked.len() > 3 {
                ranked.select_nth_unstable_by(2, cmp);
                ranked.truncate(3);
            }
            ranked.sort_unstable_by(cmp);
            list = ranked.into_iter().map(|(_, _, e)| e).collect();
            for e in list.into_iter().take(3) {
                edges.push(Edge {
                    kind: EdgeKind::Escalates,
                    from: id.clone(),
                    to: if e.self_modification {
                        format!("aws-admin:{}", account_of(&p.arn))
                    } else {
                        format!("aws:{}", e.target)
                    },
                    evidence: format!("{} {} ({})", p.name, e.description, e.method),
                    location: Some(loc.clone()),
                });
            }
        }
        let trust = trust_facts(&p.trust);
        // A way into a principal that adds nothing to what this one may already do is a
        // lateral move, not an escalation: its edge stays (a chain may go on from
        // there), but it is not counted as an escalation.
        let (escalations, lateral): (Vec<_>, Vec<_>) = escalations.into_iter().partition(adds);
        let power_over = if everyone {
            power::PowerFacts::everyone()
        } else {
            power::facts(&powers, &escalations, &lateral, |t| {
                index
                    .get(t)
                    .map_or(AccessLevel::None, |&i| summaries[i].level)
            })
        };

        // Is it an AI agent's?
        let mut evidence = Vec::new();
        let mut confidence = None;
        for key in &opts.agent_tag_keys {
            if let Some(v) = p.tags.get(key).or_else(|| {
                p.tags
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v)
            }) && !matches!(v.to_ascii_lowercase().as_str(), "false" | "no" | "0")
            {
                evidence.push(Evidence::new(
                    format!("tagged {key}={v}"),
                    Some(loc.clone()),
                ));
                confidence = Some(Confidence::High);
            }
        }
        let agent_services: Vec<&String> = trusted[i]
            .iter()
            .filter(|s| AGENT_SERVICES.contains(&s.as_str()))
            .collect();
        if !agent_services.is_empty() {
            evidence.push(Evidence::new(
                format!(
                    "trusted by {}",
                    agent_services
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Some(loc.clone()),
            ));
            confidence = confidence.or(Some(Confidence::Medium));
        }
        if confidence.is_none() && name_re.is_match(&p.name) {
            evidence.push(Evidence::new(
                format!("its name `{}` suggests an AI agent", p.name),
                Some(loc.clone()),
            ));
            confidence = Some(Confidence::Low);
        }
        let owner = p
            .tags
            .iter()
            .find(|(k, _)| {
                matches!(
                    k.to_ascii_lowercase().as_str(),
                    "owner" | "nhi:owner" | "team"
                )
            })
            .map(|(_, v)| v.clone());

        let creep = policy_creep(&p.attached_customer, &policies, opts);
        let mut facts = BTreeMap::new();
        facts.insert(
            "aws".to_string(),
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
                "escalations": escalation_facts(&escalations),
            "escalation_summary": escalation_facts(&escalations).iter().map(|e| format!("{} ({} target(s))", e["description"].as_str().unwrap_or(""), e["target_count"])).collect::<Vec<_>>(),
                "lateral_moves": escalation_facts(&lateral),
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
                "trust": trust,
                "max_session_hours": p.max_session.map(|s| s / 3600),
                "owner": owner,
                "policy_creep": creep,
            "policy_creep_summary": creep.iter().map(|c| format!(
                "{} {} ({}) -> {} ({}) on {}",
                c["policy"].as_str().unwrap_or(""), c["from_version"].as_str().unwrap_or(""), c["from_level"].as_str().unwrap_or(""),
                c["to_version"].as_str().unwrap_or(""), c["to_level"].as_str().unwrap_or(""), c["date"].as_str().unwrap_or("an unknown date"),
            )).collect::<Vec<_>>(),
            }),
        );
        let identity = Identity {
            id: id.clone(),
            kind: if p.is_user {
                "aws-user".into()
            } else {
                "aws-role".into()
            },
            provider: "aws".into(),
            name: p.name.clone(),
            agents: Vec::new(),
            access_level: Some(summary.level),
            owner,
            human: false,
            created_at: p.created.clone(),
            last_used_at: last_used,
            expires_at: None,
            credentials: cred_ids,
            locations: vec![loc.clone()],
            tags: p.tags.clone(),
            facts,
        };
        if let Some(confidence) = confidence {
            let agent_id = format!("agent:aws:{}", p.arn);
            let kind = if agent_services.is_empty() {
                "aws-principal"
            } else {
                "aws-service-agent"
            };
            inv.agents.push(Agent {
                id: agent_id.clone(),
                name: format!(
                    "{} {}",
                    if p.is_user { "IAM user" } else { "IAM role" },
                    p.name
                ),
                kind: kind.into(),
                confidence,
                evidence,
                source: SourceKind::Aws,
                locations: vec![loc.clone()],
                facts: Default::default(),
            });
            edges.push(Edge {
                kind: EdgeKind::Holds,
                from: agent_id,
                to: id.clone(),
                evidence: format!("acts as {}", p.arn),
                location: Some(loc.clone()),
            });
        }
        if confidence.is_some() {
            inv.grants.extend(grants_of(&id, &p.policies, &loc));
        }
        inv.identities.push(identity);
    }

    // Users the credential report knows and the export does not (the root user always,
    // and users of an export taken at another time): keys and use, permissions unknown.
    for row in input.credential_report.iter().flat_map(|r| r.rows.iter()) {
        if row.arn.is_empty() || index.contains_key(row.arn.as_str()) {
            continue;
        }
        let (identity, credentials) = report_only_identity(row, now);
        inv.credentials.extend(credentials);
        inv.identities.push(identity);
    }

    // Trust: who can assume each role.
    edges.extend(assumes);
    for account in hubs {
        inv.identities.push(trust_hub_identity(&account));
    }
    let admin_nodes: std::collections::BTreeSet<String> = edges
        .iter()
        .filter(|e| e.to.starts_with("aws-admin:"))
        .map(|e| e.to.clone())
        .collect();
    for node in admin_nodes {
        let account = node.trim_start_matches("aws-admin:").to_string();
        inv.identities.push(admin_identity(&node, &account));
    }
    inv.edges.extend(edges);
    inv
}

/// The users, groups (with their members) and roles a principal might change —
/// service-linked roles cannot be — and the customer managed policies the permissions of
/// each user (also through its groups) and role include. Sorted, so the first principal
/// found through a power is the same on every run.
fn power_targets<'a>(
    principals: &'a [Principal],
    groups: &'a BTreeMap<String, Group>,
) -> (Vec<power::Changeable<'a>>, Vec<power::Managed<'a>>) {
    let kind = |p: &Principal| {
        if p.is_user {
            TargetKind::User
        } else {
            TargetKind::Role
        }
    };
    let mut members: HashMap<&str, Vec<&str>> = HashMap::default();
    let mut managed: BTreeMap<&str, power::Managed<'a>> = BTreeMap::new();
    for p in principals {
        for g in &p.groups {
            members.entry(g.as_str()).or_default().push(&p.arn);
        }
        for (policy, versions) in &p.attached_customer {
            let m = managed.entry(policy.as_str()).or_insert(power::Managed {
                arn: policy,
                versions: *versions,
                attached_to: Vec::new(),
            });
            // A policy attached to a user and to its group is listed twice, one after the other.
            if m.attached_to.last().map(|(a, _)| *a) != Some(p.arn.as_str()) {
                m.attached_to.push((&p.arn, kind(p)));
            }
        }
    }
    let mut changeable: Vec<power::Changeable<'a>> = principals
        .iter()
        .filter(|p| !p.path.starts_with("/aws-service-role/"))
        .map(|p| power::Changeable {
            arn: &p.arn,
            kind: kind(p),
            members: Vec::new(),
            grants: true,
        })
        .collect();
    let mut group_list: Vec<&Group> = groups.values().collect();
    group_list.sort_by(|a, b| a.arn.cmp(&b.arn));
    changeable.extend(group_list.into_iter().map(|g| {
        power::Changeable {
            arn: &g.arn,
            kind: TargetKind::Group,
            members: members.remove(g.arn.as_str()).unwrap_or_default(),
            grants: g
                .statements
                .iter()
                .any(|s| s.statement.effect == Effect::Allow),
        }
    }));
    (changeable, managed.into_values().collect())
}

/// Who can assume which role, from the `assumes` edges (direct, or through the hub of
/// an account's roles that trust the account).
struct Assumable<'e> {
    direct: rustc_hash::FxHashSet<(&'e str, &'e str)>,
    to_hub: rustc_hash::FxHashSet<&'e str>,
    from_hub: rustc_hash::FxHashSet<&'e str>,
}

impl<'e> Assumable<'e> {
    fn new(edges: &'e [Edge]) -> Self {
        let mut a = Assumable {
            direct: Default::default(),
            to_hub: Default::default(),
            from_hub: Default::default(),
        };
        for e in edges.iter().filter(|e| e.kind == EdgeKind::Assumes) {
            match (e.from.strip_prefix("aws:"), e.to.strip_prefix("aws:")) {
                (Some(from), Some(to)) => {
                    a.direct.insert((from, to));
                }
                (Some(from), None) => {
                    a.to_hub.insert(from);
                }
                (None, Some(to)) => {
                    a.from_hub.insert(to);
                }
                (None, None) => {}
            }
        }
        a
    }

    /// Hubs join only principals and roles of one account.
    fn allows(&self, from: &str, to: &str) -> bool {
        self.direct.contains(&(from, to))
            || (self.to_hub.contains(from)
                && self.from_hub.contains(to)
                && account_of(from) == account_of(to))
    }
}

/// Escalations through power over a principal the subject can also act as, where its
/// escalations do not already count the same change of the same principal. Ways in are
/// its escalations into other principals (lateral moves too) and the roles it can
/// assume; a role it may rewrite and `sts:AssumeRole` without the role's trust is not a
/// way in.
fn escalations_through_power(
    subject: &str,
    powers: &[power::Power<'_>],
    escalations: &[escalation::Escalation],
    adds: &dyn Fn(&escalation::Escalation) -> bool,
    changeable: &[power::Changeable<'_>],
    assumable: &Assumable<'_>,
) -> Vec<escalation::Escalation> {
    if powers.is_empty() || escalations.iter().any(|e| e.self_modification) {
        return Vec::new();
    }
    let counted: rustc_hash::FxHashSet<(&str, &str)> = escalations
        .iter()
        .filter(|e| adds(e))
        .map(|e| (e.target.as_str(), e.method.as_str()))
        .collect();
    let fresh: Vec<power::Power<'_>> = powers
        .iter()
        .filter(|p| !counted.contains(&(p.target, p.action)))
        .cloned()
        .collect();
    let mut ways: HashMap<&str, (&str, bool)> = HashMap::default();
    for e in escalations.iter().filter(|e| {
        !matches!(
            e.method.as_str(),
            "iam:AttachRolePolicy" | "iam:PutRolePolicy"
        )
    }) {
        ways.entry(e.target.as_str())
            .or_insert((e.method.as_str(), e.conditional));
    }
    let members: HashMap<&str, &[&str]> = changeable
        .iter()
        .filter(|c| c.kind == TargetKind::Group)
        .map(|c| (c.arn, c.members.as_slice()))
        .collect();
    power::through_power(
        subject,
        &fresh,
        |g| {
            members
                .get(g)
                .map(|m| m.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default()
        },
        |who| match ways.get(who) {
            Some((method, conditional)) => Some((method.to_string(), *conditional)),
            None => assumable
                .allows(subject, who)
                .then(|| ("sts:AssumeRole".to_string(), false)),
        },
    )
}

/// Escalations grouped by method: a few example targets and how many there are.
/// True when `target` may do something `subject` may not: a service at a higher level
/// than the subject has for it (or for every service).
/// Each principal's level per service, with service names numbered once, so that "does
/// a way into this target add access" (asked for every escalation, often thousands per
/// principal) compares small integers, not service-name maps.
struct ServiceLevels {
    /// Per principal: its level on every service, by service number (subjects).
    dense: Vec<Vec<AccessLevel>>,
    /// Per principal: the services it has some level on (targets).
    sparse: Vec<Vec<(usize, AccessLevel)>>,
    /// Per principal: its level on `*`.
    everything: Vec<AccessLevel>,
}

impl ServiceLevels {
    fn new(summaries: &[Summary]) -> Self {
        let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
        for s in summaries {
            for svc in s.services.keys() {
                let next = ids.len();
                ids.entry(svc.as_str()).or_insert(next);
            }
        }
        let mut out = ServiceLevels {
            dense: Vec::with_capacity(summaries.len()),
            sparse: Vec::with_capacity(summaries.len()),
            everything: Vec::with_capacity(summaries.len()),
        };
        for s in summaries {
            let mut dense = vec![AccessLevel::None; ids.len()];
            let mut sparse = Vec::with_capacity(s.services.len());
            for (svc, level) in &s.services {
                let id = ids[svc.as_str()];
                dense[id] = *level;
                sparse.push((id, *level));
            }
            out.dense.push(dense);
            out.sparse.push(sparse);
            out.everything
                .push(s.services.get("*").copied().unwrap_or(AccessLevel::None));
        }
        out
    }

    /// Whether principal `target` may do more on some service than `subject` already can.
    fn adds_access(&self, subject: usize, target: usize) -> bool {
        let everything = self.everything[subject];
        let mine = &self.dense[subject];
        self.sparse[target]
            .iter()
            .any(|&(svc, level)| level > everything.max(mine[svc]))
    }
}

fn escalation_facts(list: &[escalation::Escalation]) -> Vec<Value> {
    let mut by_method: BTreeMap<&str, Vec<&escalation::Escalation>> = BTreeMap::new();
    for e in list {
        by_method.entry(e.method.as_str()).or_default().push(e);
    }
    by_method
        .into_iter()
        .map(|(method, es)| {
            json!({
                "method": method,
                "description": es[0].description,
                "targets": es.iter().take(5).map(|e| e.target.as_str()).collect::<Vec<_>>(),
                "target_count": es.len(),
                "self_modification": es.iter().any(|e| e.self_modification),
                "conditional": es.iter().all(|e| e.conditional),
            })
        })
        .collect()
}

/// AWS managed policies whose documents every account shares and that exports often omit.
fn well_known_aws_policy(arn: &str) -> Option<Vec<Statement>> {
    let name = arn.strip_prefix("arn:aws:iam::aws:policy/")?;
    let doc = match name {
        "AdministratorAccess" => {
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        }
        "IAMFullAccess" => {
            json!({"Statement": [{"Effect": "Allow", "Action": ["iam:*", "organizations:DescribeAccount", "organizations:DescribeOrganization", "organizations:DescribeOrganizationalUnit", "organizations:DescribePolicy", "organizations:ListChildren", "organizations:ListParents", "organizations:ListPoliciesForTarget", "organizations:ListRoots", "organizations:ListPolicies", "organizations:ListTargetsForPolicy"], "Resource": "*"}]})
        }
        "PowerUserAccess" => {
            json!({"Statement": [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}, {"Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles", "organizations:DescribeOrganization", "account:ListRegions", "account:GetAccountInformation"], "Resource": "*"}]})
        }
        "AmazonS3FullAccess" => {
            json!({"Statement": [{"Effect": "Allow", "Action": ["s3:*", "s3-object-lambda:*"], "Resource": "*"}]})
        }
        "AmazonS3ReadOnlyAccess" => {
            json!({"Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"], "Resource": "*"}]})
        }
        "AmazonBedrockFullAccess" => {
            json!({"Statement": [{"Effect": "Allow", "Action": ["bedrock:*"], "Resource": "*"}]})
        }
        _ => return None,
    };
    document::parse(&doc).ok()
}

/// The statements of a permissions boundary, when the principal has one in the export.
fn boundary_of(
    boundary: Option<&super::gaad::PermissionsBoundary>,
    parsed: &HashMap<&str, Vec<Arc<Statement>>>,
) -> Option<Vec<Statement>> {
    let st = parsed.get(boundary?.permissions_boundary_arn.as_str())?;
    Some(st.iter().map(|s| (**s).clone()).collect())
}

fn push_customer(
    policies: &HashMap<&str, &ManagedPolicyDetail>,
    arn: &str,
    out: &mut Vec<(String, usize)>,
) {
    if let Some(p) = policies.get(arn)
        && !p.is_aws_managed()
    {
        out.push((arn.to_string(), p.policy_version_list.len()));
    }
}

fn tags(list: &[Tag]) -> BTreeMap<String, String> {
    list.iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

/// `123456789012` from an ARN.
pub fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

fn report_only_identity(
    row: &super::credential_report::Row,
    now: time::OffsetDateTime,
) -> (Identity, Vec<Credential>) {
    let root = row.arn.ends_with(":root");
    let id = format!("aws:{}", row.arn);
    let loc = Location::Uri {
        uri: row.arn.clone(),
    };
    let keys = KeyFacts::from_report(row, now);
    let credentials: Vec<Credential> = keys
        .iter()
        .map(|k| Credential {
            name: Some(format!("{} {}", row.user, k.name)),
            identity: Some(id.clone()),
            locations: vec![loc.clone()],
            created_at: k.created.clone(),
            last_used_at: k.last_used.clone(),
            ..Credential::new(
                format!("aws-key:{}#{}", row.arn, k.name),
                "aws-access-key",
                "aws",
                Lifetime::Static,
                Storage::Issued,
                Confidence::High,
            )
        })
        .collect();
    let key_json: Vec<Value> = keys.iter().map(KeyFacts::to_json).collect();
    let created = row.get("user_creation_time").and_then(timefmt::normalize);
    let last_used = [row.get("password_last_used").and_then(timefmt::normalize)]
        .into_iter()
        .flatten()
        .chain(keys.iter().filter_map(|k| k.last_used.clone()))
        .max();
    let idle_days = last_used
        .as_deref()
        .or(created.as_deref())
        .and_then(timefmt::parse)
        .map(|d| timefmt::days_since(d, now));
    let mut facts = BTreeMap::new();
    facts.insert("aws".to_string(), json!({
        "arn": row.arn, "account": account_of(&row.arn), "type": if root { "root" } else { "user" },
        "path": "/", "service_linked": false, "access_level": null, "admin": root,
        "wildcard_services": [], "permissions_management": [], "escalations": [],
        "escalation_summary": [], "lateral_moves": [],
        "power_over": [], "power_over_count": if root { Value::Null } else { json!(0) },
        "power_over_everyone": root, "power_over_unreported": 0, "power_over_summary": "",
        "services": if root { json!({"*": "admin"}) } else { json!({}) },
        "keys": key_json, "active_keys": keys.iter().filter(|k| k.active).count(),
        "password_enabled": row.flag("password_enabled"), "mfa_active": row.flag("mfa_active"),
        "root": root, "idle_days": idle_days,
        "trust": {"services": [], "aws": [], "federated": [], "any_principal": false, "confused_deputy_services": [], "github_oidc": [], "github_oidc_issues": []},
        "max_session_hours": null, "owner": null, "policy_creep": [],
        "only_in_credential_report": true,
    }));
    let identity = Identity {
        id: id.clone(),
        kind: if root {
            "aws-root".into()
        } else {
            "aws-user".into()
        },
        provider: "aws".into(),
        name: row.user.clone(),
        agents: Vec::new(),
        access_level: root.then_some(AccessLevel::Admin),
        owner: None,
        human: root,
        created_at: created,
        last_used_at: last_used,
        expires_at: None,
        credentials: credentials.iter().map(|c| c.id.clone()).collect(),
        locations: vec![loc],
        tags: Default::default(),
        facts,
    };
    (identity, credentials)
}

/// The hub "any role that trusts account X": what a principal allowed `sts:AssumeRole` on
/// every role reaches in one hop.
fn trust_hub_identity(account: &str) -> Identity {
    account_node(
        format!("aws-account-trust:{account}"),
        "aws-account-trust",
        format!("any role that trusts account {account}"),
        AccessLevel::None,
        account,
    )
}

/// The pseudo-identity "administrator of the account": what self-modifying escalations reach.
fn admin_identity(id: &str, account: &str) -> Identity {
    account_node(
        id.to_string(),
        "aws-account-admin",
        format!("administrator of account {account}"),
        AccessLevel::Admin,
        account,
    )
}

/// A node of the identity graph that stands for the account rather than a principal.
fn account_node(
    id: String,
    kind: &str,
    name: String,
    level: AccessLevel,
    account: &str,
) -> Identity {
    let mut identity = Identity::new(id, kind, "aws", name);
    identity.access_level = Some(level);
    identity.locations = vec![Location::Uri {
        uri: format!("arn:aws:iam::{account}:root"),
    }];
    identity
}

/// The access a policy set gives, summarised. Denies are honoured exactly when present.
fn summarize(p: &PolicySet, ctx: &Context) -> Summary {
    let t = table();
    let mut level = AccessLevel::None;
    let mut admin = false;
    let mut wildcard = Vec::new();
    let mut pm = Vec::new();
    let mut services = BTreeMap::new();
    let exact = p.has_denies() || p.boundary.is_some();
    for s in p
        .statements
        .iter()
        .map(|s| &s.statement)
        .filter(|s| s.effect == Effect::Allow)
    {
        let unconditional = s.conditions.is_empty();
        let all_resources = matches!(&s.resources, Patterns::Only(r) if r.iter().any(|r| r == "*"));
        match &s.actions {
            Patterns::Only(actions) => {
                for a in actions {
                    if a == "*" && all_resources && unconditional {
                        admin = true;
                    }
                    if let Some(svc) = a.strip_suffix(":*") {
                        wildcard.push(svc.to_ascii_lowercase());
                    }
                    if !exact {
                        let l = if a == "*" && all_resources && unconditional {
                            AccessLevel::Admin
                        } else {
                            t.max_level(a).unwrap_or(AccessLevel::None)
                        };
                        level = level.max(l);
                        raise(&mut services, a, l);
                    }
                }
            }
            Patterns::AllBut(_) => {
                if !exact {
                    // Everything but a few actions: as much as the rest of the table gives.
                    level = level.max(AccessLevel::PermissionsManagement);
                    raise(&mut services, "*", AccessLevel::PermissionsManagement);
                }
            }
        }
    }
    if exact {
        // Walk the actions the allows name and keep those no deny or boundary takes away.
        let mut seen = rustc_hash::FxHashSet::default();
        for s in p
            .statements
            .iter()
            .map(|s| &s.statement)
            .filter(|s| s.effect == Effect::Allow)
        {
            let candidates: Vec<&str> = match &s.actions {
                Patterns::Only(actions) => actions.iter().flat_map(|a| t.expand(a)).collect(),
                Patterns::AllBut(_) => t.expand("*"),
            };
            for a in candidates {
                if seen.insert(a) && p.check(a, "*", ctx).is_allowed() {
                    let l = t.level(a).unwrap_or(AccessLevel::None);
                    level = level.max(l);
                    raise(&mut services, a, l);
                    if t.level(a) == Some(AccessLevel::PermissionsManagement) && pm.len() < 10 {
                        pm.push(a.to_string());
                    }
                }
            }
        }
        admin = admin
            && p.check("iam:CreateUser", "*", ctx).is_allowed()
            && p.check("s3:GetObject", "*", ctx).is_allowed();
    } else {
        for s in p
            .statements
            .iter()
            .map(|s| &s.statement)
            .filter(|s| s.effect == Effect::Allow)
        {
            if let Patterns::Only(actions) = &s.actions {
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
    if admin {
        level = AccessLevel::Admin;
        raise(&mut services, "*", AccessLevel::Admin);
    } else if let Some(all) = services.get_mut("*") {
        // `*` alone is admin only when nothing narrows it.
        *all = (*all).min(AccessLevel::PermissionsManagement);
    }
    services.retain(|_, l| *l > AccessLevel::None);
    wildcard.sort();
    wildcard.dedup();
    Summary {
        level,
        admin,
        wildcard_services: wildcard,
        permissions_management: pm,
        services,
    }
}

fn grants_of(id: &str, p: &PolicySet, loc: &Location) -> Vec<Grant> {
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

fn trusted_services(trust: &[Statement]) -> Vec<String> {
    let mut out: Vec<String> = trust
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .filter_map(|s| s.principals.as_ref())
        .flat_map(|p| p.service.iter().cloned())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn has_key(s: &Statement, key: &str) -> bool {
    s.conditions.iter().any(|c| c.key.eq_ignore_ascii_case(key))
}

/// What a trust policy lets in, and how well it is constrained.
fn trust_facts(trust: &[Statement]) -> Value {
    let mut services = Vec::new();
    let mut aws = Vec::new();
    let mut federated = Vec::new();
    let mut any_principal = false;
    let mut confused_deputy = Vec::new();
    let mut github = Vec::new();
    for s in trust.iter().filter(|s| s.effect == Effect::Allow) {
        let Some(p) = &s.principals else { continue };
        any_principal |= p.any && s.conditions.is_empty();
        aws.extend(p.aws.iter().cloned());
        federated.extend(p.federated.iter().cloned());
        for svc in &p.service {
            services.push(svc.clone());
            if !has_key(s, "aws:SourceAccount")
                && !has_key(s, "aws:SourceArn")
                && !has_key(s, "aws:SourceOrgID")
            {
                confused_deputy.push(svc.clone());
            }
        }
        if p.federated.iter().any(|f| f.contains(GITHUB_OIDC)) {
            let sub_key = format!("{GITHUB_OIDC}:sub");
            let aud_key = format!("{GITHUB_OIDC}:aud");
            let subs: Vec<String> = s
                .conditions
                .iter()
                .filter(|c| c.key.eq_ignore_ascii_case(&sub_key))
                .flat_map(|c| c.values.clone())
                .collect();
            let auds: Vec<String> = s
                .conditions
                .iter()
                .filter(|c| c.key.eq_ignore_ascii_case(&aud_key))
                .flat_map(|c| c.values.clone())
                .collect();
            let mut issues = Vec::new();
            if subs.is_empty() {
                issues.push(
                    "no `sub` condition: any repository on GitHub can assume the role".to_string(),
                );
            }
            for sub in &subs {
                let repo_part = sub.strip_prefix("repo:").unwrap_or(sub);
                if sub == "*" || repo_part.starts_with('*') {
                    issues.push(format!(
                        "`sub` is `{sub}`: any repository can assume the role"
                    ));
                } else if let Some((org, rest)) = repo_part.split_once('/')
                    && rest.starts_with('*')
                {
                    issues.push(format!("`sub` is `{sub}`: every repository of {org} (and every branch, PR and fork workflow in it) can assume the role"));
                }
            }
            if auds.is_empty() {
                issues.push("no `aud` condition (expected sts.amazonaws.com)".to_string());
            }
            for c in s
                .conditions
                .iter()
                .filter(|c| c.operator.starts_with("ForAllValues:"))
            {
                issues.push(format!(
                    "`{}` on {} passes when the claim is absent",
                    c.operator, c.key
                ));
            }
            github.push(json!({"sub": subs, "aud": auds, "issues": issues}));
        }
    }
    json!({
        "services": services,
        "aws": aws,
        "federated": federated,
        "any_principal": any_principal,
        "confused_deputy_services": confused_deputy,
        "github_oidc": github,
        "github_oidc_issues": github.iter().flat_map(|g| g["issues"].as_array().cloned().unwrap_or_default()).collect::<Vec<_>>(),
    })
}

/// Who can assume each role: principals the trust policy names (their identity policy
/// need not allow it in the same account), and — when it trusts the account — every
/// principal whose identity policy allows `sts:AssumeRole` on the role.
/// Who can assume each role: principals the trust policy names (their identity policy
/// need not allow it in the same account), and — when it trusts the account — every
/// principal whose identity policy allows `sts:AssumeRole` on the role.
///
/// Principals allowed to assume *any* role of their account go through one hub node per
/// account (`aws-account-trust:ACCOUNT`, "any role that trusts the account") instead of an
/// edge to each such role: the graph stays linear in the size of the account.
fn assume_edges(
    principals: &[Principal],
    index: &HashMap<&str, usize>,
    ctx: &Context,
) -> (Vec<Edge>, Vec<String>) {
    let mut edges = Vec::new();
    let mut hubs = std::collections::BTreeSet::new();
    // Principals allowed sts:AssumeRole at all, split into those allowed on every role of
    // their account (through the hub) and those allowed on some.
    let mut any_role = Vec::new();
    let mut some_roles = Vec::new();
    for (i, q) in principals.iter().enumerate() {
        if !q.policies.may_allow("sts:AssumeRole") {
            continue;
        }
        let every = format!("arn:aws:iam::{}:role/*", account_of(&q.arn));
        if q.policies.check("sts:AssumeRole", &every, ctx).is_allowed() {
            any_role.push(i);
        } else {
            some_roles.push(i);
        }
    }
    for role in principals.iter().filter(|p| !p.is_user) {
        let account = account_of(&role.arn);
        for s in role.trust.iter().filter(|s| s.effect == Effect::Allow) {
            let Some(p) = &s.principals else { continue };
            let assume = match &s.actions {
                Patterns::Only(a) => a
                    .iter()
                    .any(|a| crate::policy::aws::actions::action_matches(a, "sts:AssumeRole")),
                Patterns::AllBut(_) => true,
            };
            if !assume || p.not_principal {
                continue;
            }
            for who in &p.aws {
                let root = who == account || *who == format!("arn:aws:iam::{account}:root");
                if root || who == "*" {
                    let hub = format!("aws-account-trust:{account}");
                    edges.push(Edge {
                        kind: EdgeKind::Assumes,
                        from: hub.clone(),
                        to: format!("aws:{}", role.arn),
                        evidence: format!("{} trusts its account {account}", role.arn),
                        location: Some(Location::Uri {
                            uri: role.arn.clone(),
                        }),
                    });
                    hubs.insert(account.to_string());
                    for &i in &some_roles {
                        let q = &principals[i];
                        if q.arn != role.arn
                            && account_of(&q.arn) == account
                            && q.policies
                                .check("sts:AssumeRole", &role.arn, ctx)
                                .is_allowed()
                        {
                            edges.push(assume_edge(&q.arn, &role.arn, "the role trusts its account and the principal may call sts:AssumeRole on it"));
                        }
                    }
                } else if let Some(&i) = index.get(who.as_str()) {
                    edges.push(assume_edge(
                        &principals[i].arn,
                        &role.arn,
                        "the role's trust policy names it",
                    ));
                }
            }
        }
    }
    for account in &hubs {
        for &i in &any_role {
            let q = &principals[i];
            if account_of(&q.arn) == account {
                edges.push(Edge {
                    kind: EdgeKind::Assumes,
                    from: format!("aws:{}", q.arn),
                    to: format!("aws-account-trust:{account}"),
                    evidence: format!(
                        "{} may call sts:AssumeRole on every role of account {account}",
                        q.arn
                    ),
                    location: Some(Location::Uri { uri: q.arn.clone() }),
                });
            }
        }
    }
    (edges, hubs.into_iter().collect())
}

fn assume_edge(from: &str, to: &str, why: &str) -> Edge {
    Edge {
        kind: EdgeKind::Assumes,
        from: format!("aws:{from}"),
        to: format!("aws:{to}"),
        evidence: format!("{from} can assume {to}: {why}"),
        location: Some(Location::Uri {
            uri: to.to_string(),
        }),
    }
}

/// Customer managed policies whose access level rose between versions.
fn policy_creep(
    attached: &[(String, usize)],
    policies: &HashMap<&str, &ManagedPolicyDetail>,
    _opts: &AwsOptions,
) -> Vec<Value> {
    let t = table();
    let mut out = Vec::new();
    for (arn, _) in attached {
        let Some(p) = policies.get(arn.as_str()) else {
            continue;
        };
        if p.policy_version_list.len() < 2 {
            continue;
        }
        let mut versions: Vec<_> = p.policy_version_list.iter().collect();
        versions.sort_by_key(|v| {
            v.version_id
                .trim_start_matches(['v', 'V'])
                .parse::<u64>()
                .unwrap_or(0)
        });
        let levels: Vec<(String, AccessLevel, Option<String>)> = versions
            .iter()
            .filter_map(|v| {
                let doc = v.document.as_ref().map(decode_document)?.ok()?;
                let st = document::parse(&doc).ok()?;
                let level = st
                    .iter()
                    .filter(|s| s.effect == Effect::Allow)
                    .flat_map(|s| s.actions.patterns().iter())
                    .filter_map(|a| t.max_level(a))
                    .max()
                    .unwrap_or(AccessLevel::None);
                Some((
                    v.version_id.clone(),
                    level,
                    v.create_date.as_deref().and_then(timefmt::normalize),
                ))
            })
            .collect();
        let first = levels.first();
        let peak = levels.iter().max_by_key(|(_, l, _)| *l);
        if let (Some(first), Some(peak)) = (first, peak)
            && peak.1 > first.1
        {
            out.push(json!({
                "policy": arn, "from_version": first.0, "from_level": first.1,
                "to_version": peak.0, "to_level": peak.1, "date": peak.2,
                "default_version": p.default_version().map(|v| v.version_id.clone()),
            }));
        }
    }
    out
}

/// One access key's facts.
#[derive(Default)]
struct KeyFacts {
    name: String,
    key_id: Option<String>,
    active: bool,
    created: Option<String>,
    last_used: Option<String>,
    age_days: Option<i64>,
    last_used_days: Option<i64>,
}

impl KeyFacts {
    fn new(
        name: String,
        key_id: Option<String>,
        active: bool,
        created: Option<String>,
        last_used: Option<String>,
        now: time::OffsetDateTime,
    ) -> Self {
        let days = |d: &Option<String>| {
            d.as_deref()
                .and_then(timefmt::parse)
                .map(|d| timefmt::days_since(d, now))
        };
        KeyFacts {
            name,
            key_id,
            active,
            age_days: days(&created),
            last_used_days: days(&last_used),
            created,
            last_used,
        }
    }

    fn from_listing(k: &super::AccessKeyMetadata, now: time::OffsetDateTime) -> Self {
        Self::new(
            k.access_key_id.clone(),
            Some(k.access_key_id.clone()),
            k.status.eq_ignore_ascii_case("Active"),
            k.create_date.as_deref().and_then(timefmt::normalize),
            k.last_used_date.as_deref().and_then(timefmt::normalize),
            now,
        )
    }

    fn from_report(r: &super::credential_report::Row, now: time::OffsetDateTime) -> Vec<Self> {
        (1..=2)
            .filter_map(|n| {
                let active = r.flag(&format!("access_key_{n}_active"));
                let created = r
                    .get(&format!("access_key_{n}_last_rotated"))
                    .and_then(timefmt::normalize);
                if !active && created.is_none() {
                    return None;
                }
                let last_used = r
                    .get(&format!("access_key_{n}_last_used_date"))
                    .and_then(timefmt::normalize);
                Some(Self::new(
                    format!("key{n}"),
                    None,
                    active,
                    created,
                    last_used,
                    now,
                ))
            })
            .collect()
    }

    fn to_json(&self) -> Value {
        json!({
            "id": self.key_id, "slot": self.name, "active": self.active,
            "created": self.created, "last_used": self.last_used,
            "age_days": self.age_days, "last_used_days": self.last_used_days,
            "never_used": self.last_used.is_none(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(list: &[(&str, AccessLevel)]) -> Summary {
        Summary {
            level: AccessLevel::None,
            admin: false,
            wildcard_services: Vec::new(),
            permissions_management: Vec::new(),
            services: list.iter().map(|(s, l)| (s.to_string(), *l)).collect(),
        }
    }

    /// Whether the second adds access to the first.
    fn adds_access(subject: &[(&str, AccessLevel)], target: &[(&str, AccessLevel)]) -> bool {
        ServiceLevels::new(&[summary(subject), summary(target)]).adds_access(0, 1)
    }

    #[test]
    fn a_target_adds_access_only_above_what_the_subject_has() {
        use AccessLevel::{Admin, PermissionsManagement, Read, Write};
        let subject = [("iam", PermissionsManagement), ("lambda", Write)];
        assert!(!adds_access(&subject, &[("lambda", Read)]));
        assert!(adds_access(&subject, &[("logs", Write)]));
        assert!(adds_access(&subject, &[("*", Admin)]));
        let admin = [("*", Admin)];
        assert!(!adds_access(
            &admin,
            &[("s3", Write), ("iam", PermissionsManagement)]
        ));
    }
}
