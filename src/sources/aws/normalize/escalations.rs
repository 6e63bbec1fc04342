//! Escalations: the ways each principal can gain access (`escalates` edges and facts),
//! through its own policies or its power over other principals. The costly part of the
//! normaliser: each principal's policies against every target, on every core.

use std::collections::BTreeMap;

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use serde_json::{Value, json};

use super::principals::Summary;
use super::trust::Assumable;
use super::{Group, Principal, account_node, account_of};
use crate::model::{AccessLevel, Edge, EdgeKind, Identity, Location};
use crate::policy::aws::document::Effect;
use crate::policy::aws::escalation::{self, Escalation, Target, TargetKind};
use crate::policy::aws::eval::Context;
use crate::policy::aws::power;

/// Principals are walked in chunks, so that only a chunk's lists (which can name every
/// principal) are held at once.
pub(super) const CHUNK: usize = 256;

/// What the walk found for one principal: its escalations and its power over others.
pub(super) type Walked<'a> = (Vec<Escalation>, Vec<power::Power<'a>>);

/// Escalation targets: every user, role and group of the account; `trusted` holds each
/// principal's trusted services.
pub(super) fn targets<'a>(
    principals: &'a [Principal],
    trusted: &'a [Vec<String>],
    groups: &'a BTreeMap<String, Group>,
) -> Vec<Target<'a>> {
    let mut targets: Vec<Target<'_>> = principals
        .iter()
        .zip(trusted)
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
    targets
}

/// Everything the escalation walk reads about the account.
pub(super) struct Walk<'a> {
    pub principals: &'a [Principal],
    pub summaries: &'a [Summary],
    pub targets: &'a [Target<'a>],
    pub changeable: &'a [power::Changeable<'a>],
    pub managed: &'a [power::Managed<'a>],
    pub index: &'a HashMap<&'a str, usize>,
    pub levels: &'a ServiceLevels,
    pub assumable: &'a Assumable<'a>,
    pub ctx: &'a Context,
}

/// One principal's escalations once settled: those that add access, the lateral moves,
/// and its power over others.
pub(super) struct Settled {
    pub escalations: Vec<Escalation>,
    pub lateral: Vec<Escalation>,
    pub power_over: power::PowerFacts,
}

impl<'a> Walk<'a> {
    /// Escalations and power over others of the chunk of principals from `from`, settled,
    /// with the `escalates` edges of each, on every core.
    pub fn chunk(&self, from: usize) -> Vec<(Settled, Vec<Edge>)> {
        let to = (from + CHUNK).min(self.principals.len());
        (from..to)
            .into_par_iter()
            .map(|i| {
                let walked = self.walk(i);
                let mut edges = Vec::new();
                let loc = Location::Uri {
                    uri: self.principals[i].arn.clone(),
                };
                let settled = self.settle(i, walked, &loc, &mut edges);
                (settled, edges)
            })
            .collect()
    }

    /// Principal `i`'s escalations and power over others.
    fn walk(&self, i: usize) -> Walked<'a> {
        let (p, summary) = (&self.principals[i], &self.summaries[i]);
        {
            {
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
                    escalation::escalations(&subject, self.targets, self.ctx)
                };
                // An administrator, or a principal that can rewrite its own permissions, can
                // change anyone: its power over others is not worked out principal by principal.
                let everyone = summary.admin || escalations.iter().any(|e| e.self_modification);
                let powers = if everyone {
                    Vec::new()
                } else {
                    power::powers(&subject, self.changeable, self.managed, self.ctx)
                };
                (escalations, powers)
            }
        }
    }

    /// Principal `i`'s escalations, with those through its power over others; their
    /// `escalates` edges go to `edges`.
    fn settle(
        &self,
        i: usize,
        (mut escalations, powers): Walked<'a>,
        loc: &Location,
        edges: &mut Vec<Edge>,
    ) -> Settled {
        let p = &self.principals[i];
        let everyone = self.summaries[i].admin || escalations.iter().any(|e| e.self_modification);
        // Whether an escalation adds access; one that does not is a lateral move (below).
        let adds = |e: &Escalation| {
            e.self_modification
                || self
                    .index
                    .get(e.target.as_str())
                    .is_none_or(|&t| self.levels.adds_access(i, t))
        };
        let up_through_power = escalations_through_power(
            &p.arn,
            &powers,
            &escalations,
            &adds,
            self.changeable,
            self.assumable,
        );
        escalations.extend(up_through_power);
        self.push_edges(p, &escalations, loc, edges);
        // A way into a principal that adds nothing to what this one may already do is a
        // lateral move, not an escalation: its edge stays (a chain may go on from
        // there), but it is not counted as an escalation.
        let (escalations, lateral): (Vec<_>, Vec<_>) = escalations.into_iter().partition(adds);
        let power_over = if everyone {
            power::PowerFacts::everyone()
        } else {
            power::facts(&powers, &escalations, &lateral, |t| self.level_of(t))
        };
        Settled {
            escalations,
            lateral,
            power_over,
        }
    }

    /// The access level of principal `arn`; none when it is not in the account.
    fn level_of(&self, arn: &str) -> AccessLevel {
        self.index
            .get(arn)
            .map_or(AccessLevel::None, |&i| self.summaries[i].level)
    }

    /// One method often reaches hundreds of principals (iam:CreateAccessKey on `*`):
    /// the graph keeps, per method, the few most powerful targets — the ones a chain
    /// would go through — while the facts count them all.
    fn push_edges(
        &self,
        p: &Principal,
        escalations: &[Escalation],
        loc: &Location,
        edges: &mut Vec<Edge>,
    ) {
        let mut by_method: BTreeMap<&str, Vec<&Escalation>> = BTreeMap::new();
        for e in escalations {
            by_method.entry(e.method.as_str()).or_default().push(e);
        }
        for (_, mut list) in by_method {
            let level_of = |e: &Escalation| {
                if e.self_modification {
                    AccessLevel::Admin
                } else {
                    self.level_of(e.target.as_str())
                }
            };
            // Levels looked up once per target, not once per comparison.
            let mut ranked: Vec<Ranked<'_>> = list
                .drain(..)
                .map(|e| (std::cmp::Reverse(level_of(e)), e.target.as_str(), e))
                .collect();
            // Only the first three are kept: picked in linear time, then put in order.
            let cmp = |a: &Ranked<'_>, b: &Ranked<'_>| (a.0, a.1).cmp(&(b.0, b.1));
            if ranked.len() > 3 {
                ranked.select_nth_unstable_by(2, cmp);
                ranked.truncate(3);
            }
            ranked.sort_unstable_by(cmp);
            for (_, _, e) in ranked.into_iter().take(3) {
                edges.push(Edge {
                    kind: EdgeKind::Escalates,
                    from: format!("aws:{}", p.arn),
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
    }
}

/// An escalation with what it is ranked by: its target's level (highest first), then
/// the target's ARN.
type Ranked<'e> = (std::cmp::Reverse<AccessLevel>, &'e str, &'e Escalation);

/// The "administrator of the account" nodes the `escalates` edges reach.
pub(super) fn admin_nodes(edges: &[Edge]) -> Vec<Identity> {
    let nodes: std::collections::BTreeSet<&str> = edges
        .iter()
        .filter(|e| e.to.starts_with("aws-admin:"))
        .map(|e| e.to.as_str())
        .collect();
    nodes
        .into_iter()
        .map(|node| admin_identity(node, node.trim_start_matches("aws-admin:")))
        .collect()
}

/// The users, groups (with their members) and roles a principal might change —
/// service-linked roles cannot be — and the customer managed policies the permissions of
/// each user (also through its groups) and role include. Sorted, so the first principal
/// found through a power is the same on every run.
pub(super) fn power_targets<'a>(
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

/// Escalations through power over a principal the subject can also act as, where its
/// escalations do not already count the same change of the same principal. Ways in are
/// its escalations into other principals (lateral moves too) and the roles it can
/// assume; a role it may rewrite and `sts:AssumeRole` without the role's trust is not a
/// way in.
fn escalations_through_power(
    subject: &str,
    powers: &[power::Power<'_>],
    escalations: &[Escalation],
    adds: &dyn Fn(&Escalation) -> bool,
    changeable: &[power::Changeable<'_>],
    assumable: &Assumable<'_>,
) -> Vec<Escalation> {
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

/// Each principal's level per service, with service names numbered once, so that "does
/// a way into this target add access" (asked for every escalation, often thousands per
/// principal) compares small integers, not service-name maps.
pub(super) struct ServiceLevels {
    /// Per principal: its level on every service, by service number (subjects).
    dense: Vec<Vec<AccessLevel>>,
    /// Per principal: the services it has some level on (targets).
    sparse: Vec<Vec<(usize, AccessLevel)>>,
    /// Per principal: its level on `*`.
    everything: Vec<AccessLevel>,
}

impl ServiceLevels {
    pub fn new(summaries: &[Summary]) -> Self {
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

    /// Whether principal `target` may do more on some service than `subject` already can:
    /// a service at a higher level than the subject has for it (or for every service).
    fn adds_access(&self, subject: usize, target: usize) -> bool {
        let everything = self.everything[subject];
        let mine = &self.dense[subject];
        self.sparse[target]
            .iter()
            .any(|&(svc, level)| level > everything.max(mine[svc]))
    }
}

/// Escalations grouped by method: a few example targets and how many there are.
pub(super) fn escalation_facts(list: &[Escalation]) -> Vec<Value> {
    let mut by_method: BTreeMap<&str, Vec<&Escalation>> = BTreeMap::new();
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_input::{input, resolve};
    use super::super::{principals, trust};
    use super::*;

    const ACCOUNT: &str = "arn:aws:iam::111122223333";

    /// Settles every principal of `gaad` as the normaliser does; the escalations of each
    /// and the `escalates` edges.
    fn walk(gaad: serde_json::Value) -> (Vec<Settled>, Vec<Edge>) {
        let input = input(gaad);
        let (principals, groups, _) = resolve(&input);
        let ctx = Context {
            now: crate::timefmt::now(),
        };
        let summaries: Vec<Summary> = principals
            .iter()
            .map(|p| principals::summarize(&p.policies, &ctx))
            .collect();
        let levels = ServiceLevels::new(&summaries);
        let index: HashMap<&str, usize> = principals
            .iter()
            .enumerate()
            .map(|(i, p)| (p.arn.as_str(), i))
            .collect();
        let trusted: Vec<Vec<String>> = principals
            .iter()
            .map(|p| trust::trusted_services(&p.trust))
            .collect();
        let targets = targets(&principals, &trusted, &groups);
        let (changeable, managed) = power_targets(&principals, &groups);
        let (assumes, _) = trust::assume_edges(&principals, &index, &ctx);
        let assumable = Assumable::new(&assumes);
        let walk = Walk {
            principals: &principals,
            summaries: &summaries,
            targets: &targets,
            changeable: &changeable,
            managed: &managed,
            index: &index,
            levels: &levels,
            assumable: &assumable,
            ctx: &ctx,
        };
        let mut edges = Vec::new();
        let settled = walk
            .chunk(0)
            .into_iter()
            .map(|(settled, escalates)| {
                edges.extend(escalates);
                settled
            })
            .collect();
        (settled, edges)
    }

    fn user(name: &str, actions: &[&str]) -> serde_json::Value {
        json!({
            "Path": "/", "UserName": name, "UserId": "U", "Arn": format!("{ACCOUNT}:user/{name}"),
            "UserPolicyList": [{"PolicyName": "p", "PolicyDocument":
                {"Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}}],
        })
    }

    fn admin_role(name: &str, service: &str) -> serde_json::Value {
        json!({
            "Path": "/", "RoleName": name, "RoleId": "R", "Arn": format!("{ACCOUNT}:role/{name}"),
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow",
                "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [{"PolicyName": "all", "PolicyDocument":
                {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}],
        })
    }

    #[test]
    fn pass_role_with_lambda_reaches_a_role_lambda_may_assume() {
        let (settled, edges) = walk(json!({
            "UserDetailList": [
                user("dev", &["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]),
                user("reader", &["iam:PassRole", "lambda:ListFunctions"]),
            ],
            "RoleDetailList": [admin_role("worker", "lambda.amazonaws.com"), admin_role("box", "ec2.amazonaws.com")],
        }));
        let methods: Vec<(&str, &str)> = settled[0]
            .escalations
            .iter()
            .map(|e| (e.method.as_str(), e.target.as_str()))
            .collect();
        assert_eq!(
            methods,
            [("PassRole+lambda", "arn:aws:iam::111122223333:role/worker")]
        );
        assert!(!settled[0].escalations[0].self_modification);
        // Without a way to run code as the role, passing it gives nothing.
        assert!(settled[1].escalations.is_empty());
        assert_eq!(edges.len(), 1);
        assert_eq!(edges[0].kind, EdgeKind::Escalates);
        assert_eq!(edges[0].from, "aws:arn:aws:iam::111122223333:user/dev");
        assert_eq!(edges[0].to, "aws:arn:aws:iam::111122223333:role/worker");
        let facts = escalation_facts(&settled[0].escalations);
        assert_eq!(facts[0]["method"], "PassRole+lambda");
        assert_eq!(facts[0]["target_count"], 1);
    }

    #[test]
    fn rewriting_its_own_policy_escalates_to_the_account_admin() {
        let (settled, edges) = walk(json!({
            "UserDetailList": [user("self", &["iam:PutUserPolicy"])],
        }));
        assert!(settled[0].escalations.iter().any(|e| e.self_modification));
        assert!(settled[0].power_over.power_over_everyone);
        assert!(edges.iter().any(|e| e.to == "aws-admin:111122223333"));
        let nodes = admin_nodes(&edges);
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].id, "aws-admin:111122223333");
        assert_eq!(nodes[0].access_level, Some(AccessLevel::Admin));
    }

    #[test]
    fn only_the_three_strongest_targets_of_a_method_get_edges() {
        let users: Vec<serde_json::Value> = std::iter::once(user("keys", &["iam:CreateAccessKey"]))
            .chain((0..5).map(|i| user(&format!("u{i}"), &["s3:GetObject"])))
            .collect();
        let (settled, edges) = walk(json!({"UserDetailList": users}));
        let facts = escalation_facts(&settled[0].escalations);
        assert_eq!(facts[0]["method"], "iam:CreateAccessKey");
        assert_eq!(facts[0]["target_count"], 5);
        let to: Vec<&str> = edges.iter().map(|e| e.to.as_str()).collect();
        assert_eq!(
            to,
            [
                "aws:arn:aws:iam::111122223333:user/u0",
                "aws:arn:aws:iam::111122223333:user/u1",
                "aws:arn:aws:iam::111122223333:user/u2",
            ]
        );
    }

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
