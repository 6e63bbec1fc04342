//! Power over other principals: the users, groups and roles whose permissions a principal
//! can rewrite (`Attach/Put User/Group/Role Policy`, a new or another default version of
//! a customer managed policy attached to them), whose members it can choose
//! (`AddUserToGroup`), or whose trust policy it can replace (`UpdateAssumeRolePolicy`).
//! Decided by the same evaluation as escalation: Allow/Deny, `NotAction`, `NotResource`,
//! boundaries and conditions, on each concrete target.
//!
//! Changing another principal is not acting as it: a principal with this power gains
//! nothing itself, unless it also has a way into the principal it changes — then it can
//! write any permission there and use it, which is an escalation to administrator.

use std::collections::BTreeMap;

use serde::Serialize;

use super::escalation::{Escalation, Subject, TargetKind};
use super::eval::{Access, Context, ForAction};

/// A user, group or role of the account that a principal might change.
pub struct Changeable<'a> {
    pub arn: &'a str,
    /// `User`, `Group` or `Role`.
    pub kind: TargetKind,
    /// A group's members (user ARNs): whom rewriting the group changes.
    pub members: Vec<&'a str>,
    /// Whether a group allows anything: adding a user to one that does not changes nothing.
    pub grants: bool,
}

/// A customer managed policy and the users and roles whose permissions include it
/// (users also through their groups).
pub struct Managed<'a> {
    pub arn: &'a str,
    pub versions: usize,
    pub attached_to: Vec<(&'a str, TargetKind)>,
}

/// One way to change one principal.
#[derive(Debug, Clone, PartialEq)]
pub struct Power<'a> {
    /// The user, group or role changed.
    pub target: &'a str,
    pub kind: TargetKind,
    pub action: &'static str,
    /// The managed policy rewritten, for `CreatePolicyVersion`/`SetDefaultPolicyVersion`.
    pub policy: Option<&'a str>,
    pub conditional: bool,
    /// False for a group without members: rewriting it changes nobody today, but joining
    /// it afterwards is still a way up.
    pub changes_someone: bool,
}

impl Power<'_> {
    /// Whether the change can put any permission on the target (not only choose who
    /// holds it, as `UpdateAssumeRolePolicy` and `AddUserToGroup` do).
    pub fn rewrites_permissions(&self) -> bool {
        !matches!(self.action, UPDATE_TRUST | ADD_TO_GROUP)
    }

    /// `iam:AttachUserPolicy`, or `iam:CreatePolicyVersion on policy/NAME`.
    pub fn via(&self) -> String {
        match self.policy {
            Some(p) => format!("{} on {}", self.action, short(p)),
            None => self.action.to_string(),
        }
    }
}

const UPDATE_TRUST: &str = "iam:UpdateAssumeRolePolicy";
const ADD_TO_GROUP: &str = "iam:AddUserToGroup";
const USER_ACTIONS: &[&str] = &["iam:AttachUserPolicy", "iam:PutUserPolicy"];
const GROUP_ACTIONS: &[&str] = &["iam:AttachGroupPolicy", "iam:PutGroupPolicy", ADD_TO_GROUP];
const ROLE_ACTIONS: &[&str] = &["iam:AttachRolePolicy", "iam:PutRolePolicy", UPDATE_TRUST];
const POLICY_ACTIONS: &[&str] = &["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"];

/// `123456789012` from an ARN.
fn account(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

/// `user/alice` from `arn:aws:iam::1:user/alice`: principals changed are in the
/// subject's own account, so the resource part names them.
pub fn short(arn: &str) -> &str {
    arn.splitn(6, ':').nth(5).unwrap_or(arn)
}

fn allowed(view: &ForAction<'_>, resource: &str, ctx: &Context) -> Option<bool> {
    match view.check(resource, ctx) {
        Access::Allowed { conditional, .. } => Some(conditional),
        _ => None,
    }
}

/// Every way `subject` can change another principal of its account. Changes to itself,
/// its own groups and the policies attached to it are self-modification (see
/// [`super::escalation`]) and left out, as are other accounts' principals: IAM acts
/// only within the caller's account.
pub fn powers<'a>(
    subject: &Subject<'_>,
    principals: &[Changeable<'a>],
    policies: &[Managed<'a>],
    ctx: &Context,
) -> Vec<Power<'a>> {
    let p = subject.policies;
    // Each action's statements, picked once: an account has thousands of targets.
    let views: Vec<(&'static str, ForAction<'_>, Option<Vec<&str>>)> =
        [USER_ACTIONS, GROUP_ACTIONS, ROLE_ACTIONS, POLICY_ACTIONS]
            .concat()
            .into_iter()
            .filter(|a| p.may_allow(a))
            .map(|a| (a, p.for_action(a)))
            .filter(|(_, v)| !v.never_allows())
            .map(|(a, v)| {
                let only = v.only_on();
                (a, v, only)
            })
            .collect();
    // The action's statements, unless they cannot allow it on `resource` at all.
    let view = |action: &str, resource: &str| {
        views
            .iter()
            .find(|(a, ..)| *a == action)
            .filter(|(_, _, only)| only.as_ref().is_none_or(|o| o.contains(&resource)))
            .map(|(_, v, _)| v)
    };
    let may = |actions: &[&str]| actions.iter().any(|a| views.iter().any(|(x, ..)| x == a));
    let (users, groups, roles, versions) = (
        may(USER_ACTIONS),
        may(GROUP_ACTIONS),
        may(ROLE_ACTIONS),
        may(POLICY_ACTIONS),
    );
    let mut out = Vec::new();
    if views.is_empty() {
        return out;
    }
    let home = account(subject.arn);
    for t in principals
        .iter()
        .filter(|t| t.arn != subject.arn && account(t.arn) == home)
    {
        let actions = match t.kind {
            TargetKind::User if users => USER_ACTIONS,
            TargetKind::Role if roles => ROLE_ACTIONS,
            TargetKind::Group if groups => GROUP_ACTIONS,
            _ => continue,
        };
        let own_group = subject.groups.iter().any(|g| g == t.arn);
        for &action in actions {
            let relevant = match (t.kind, action) {
                (TargetKind::Group, ADD_TO_GROUP) => t.grants,
                // Rewriting its own group is self-modification.
                (TargetKind::Group, _) => !own_group,
                _ => true,
            };
            let Some(v) = view(action, t.arn).filter(|_| relevant) else {
                continue;
            };
            if let Some(conditional) = allowed(v, t.arn, ctx) {
                out.push(Power {
                    target: t.arn,
                    kind: t.kind,
                    action,
                    policy: None,
                    conditional,
                    changes_someone: t.kind != TargetKind::Group
                        || action == ADD_TO_GROUP
                        || !t.members.is_empty(),
                });
            }
        }
    }
    if versions {
        for m in policies.iter().filter(|m| account(m.arn) == home) {
            let own = subject
                .attached_customer_policies
                .iter()
                .any(|(a, _)| a == m.arn);
            if own {
                continue;
            }
            for &action in POLICY_ACTIONS {
                let Some(conditional) = view(action, m.arn).and_then(|v| allowed(v, m.arn, ctx))
                else {
                    continue;
                };
                // With one version there is nothing to switch to yet.
                let conditional =
                    conditional || (action == "iam:SetDefaultPolicyVersion" && m.versions < 2);
                for &(target, kind) in m.attached_to.iter().filter(|(a, _)| *a != subject.arn) {
                    out.push(Power {
                        target,
                        kind,
                        action,
                        policy: Some(m.arn),
                        conditional,
                        changes_someone: true,
                    });
                }
            }
        }
    }
    out
}

/// Escalations through power over a principal the subject can also act as (`way_in`
/// gives the method and whether it is conditional): it can give that principal any
/// permission and use it, so, as with self-modification, it gains administrator. One per
/// action, the first principal found; `members` gives a group's users.
pub fn through_power(
    subject: &str,
    powers: &[Power<'_>],
    members: impl Fn(&str) -> Vec<String>,
    way_in: impl Fn(&str) -> Option<(String, bool)>,
) -> Vec<Escalation> {
    let mut out: Vec<Escalation> = Vec::new();
    let mut done: Vec<&str> = Vec::new();
    for p in powers.iter().filter(|p| p.rewrites_permissions()) {
        if done.contains(&p.action) {
            continue;
        }
        // A group is entered by joining it, or through one of its members.
        let mut entered: Vec<String> = vec![p.target.to_string()];
        if p.kind == TargetKind::Group {
            entered.extend(members(p.target));
        }
        let Some((who, (method, conditional))) = entered
            .into_iter()
            .find_map(|who| way_in(&who).map(|w| (who, w)))
        else {
            continue;
        };
        done.push(p.action);
        let via = p.via();
        let acts_as = if who == p.target {
            format!("acts as it ({method})")
        } else {
            format!("acts as its member {} ({method})", short(&who))
        };
        out.push(Escalation {
            method: format!("{via}+{method}"),
            description: format!(
                "can give {} any permission with {via} and {acts_as}",
                short(p.target)
            ),
            target: subject.to_string(),
            self_modification: true,
            conditional: p.conditional || conditional,
        });
    }
    out
}

/// One principal the subject can change, and how.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PowerOver {
    pub principal: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Each way: `iam:PutRolePolicy`, `iam:CreatePolicyVersion on policy/NAME`.
    pub via: Vec<String>,
    /// Every way depends on a condition that could not be decided offline.
    pub conditional: bool,
    /// Already reported as an escalation of the subject (NHI-AWS-013): it can rewrite
    /// its own permissions, or every way is one of its escalations into this principal
    /// (or a lateral move into it by a method that is an escalation elsewhere).
    pub escalation: bool,
}

/// Power over others, as the facts rules read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PowerFacts {
    /// The principals it can change, those not already an escalation first, then the
    /// most powerful; at most [`LISTED`].
    pub power_over: Vec<PowerOver>,
    /// How many principals it can change; `None` when it can change every one.
    pub power_over_count: Option<usize>,
    /// An administrator, or a principal that can rewrite its own permissions: it can
    /// change every principal of its account, so they are not listed one by one.
    pub power_over_everyone: bool,
    /// How many of them are not already an escalation.
    pub power_over_unreported: usize,
    /// The first few not already an escalation, with how, then how many more.
    pub power_over_summary: String,
}

impl PowerFacts {
    /// The facts of a principal that can change everyone (see `power_over_everyone`).
    pub fn everyone() -> Self {
        PowerFacts {
            power_over: Vec::new(),
            power_over_count: None,
            power_over_everyone: true,
            power_over_unreported: 0,
            power_over_summary: String::new(),
        }
    }
}

/// At most this many principals are listed in the facts; all are counted.
pub const LISTED: usize = 20;
/// At most this many are named in the summary.
const NAMED: usize = 5;

fn kind_name(k: TargetKind) -> &'static str {
    match k {
        TargetKind::User => "user",
        TargetKind::Role => "role",
        TargetKind::Group => "group",
        TargetKind::CustomerPolicy => "policy",
    }
}

/// Groups `powers` by principal and marks what `escalations` already report, given the
/// subject's `lateral` moves (ways into principals that add nothing); `rank` orders
/// principals by what they hold, highest first.
pub fn facts<R: Ord>(
    powers: &[Power<'_>],
    escalations: &[Escalation],
    lateral: &[Escalation],
    rank: impl Fn(&str) -> R,
) -> PowerFacts {
    let self_escalates = escalations.iter().any(|e| e.self_modification);
    let methods: rustc_hash::FxHashSet<&str> =
        escalations.iter().map(|e| e.method.as_str()).collect();
    // A lateral move by a method NHI-AWS-013 names for this subject is the same power,
    // already in its finding; one by a method it does not name is reported here.
    let escalated: rustc_hash::FxHashSet<(&str, &str)> = escalations
        .iter()
        .chain(
            lateral
                .iter()
                .filter(|e| methods.contains(e.method.as_str())),
        )
        .map(|e| (e.target.as_str(), e.method.as_str()))
        .collect();
    // Grouped by principal on borrowed data: a principal with `iam:*` changes every
    // other principal of the account, and only the few listed become strings.
    struct Target<'p, 'a> {
        kind: TargetKind,
        ways: Vec<&'p Power<'a>>,
        conditional: bool,
        reported: bool,
    }
    let mut by_target: BTreeMap<&str, Target<'_, '_>> = BTreeMap::new();
    for p in powers.iter().filter(|p| p.changes_someone) {
        let reported = self_escalates || escalated.contains(&(p.target, p.action));
        let t = by_target.entry(p.target).or_insert(Target {
            kind: p.kind,
            ways: Vec::new(),
            conditional: true,
            reported: true,
        });
        t.ways.push(p);
        t.conditional &= p.conditional;
        t.reported &= reported;
    }
    let count = by_target.len();
    let mut ranked: Vec<(bool, std::cmp::Reverse<R>, &str, Target<'_, '_>)> = by_target
        .into_iter()
        .map(|(arn, t)| (t.reported, std::cmp::Reverse(rank(arn)), arn, t))
        .collect();
    ranked.sort_by(|a, b| (a.0, &a.1, a.2).cmp(&(b.0, &b.1, b.2)));
    let listed = |(_, _, arn, t): &(bool, std::cmp::Reverse<R>, &str, Target<'_, '_>)| {
        let mut via: Vec<String> = Vec::new();
        for w in &t.ways {
            let v = w.via();
            if !via.contains(&v) {
                via.push(v);
            }
        }
        PowerOver {
            principal: arn.to_string(),
            kind: kind_name(t.kind),
            via,
            conditional: t.conditional,
            escalation: t.reported,
        }
    };
    let unreported = ranked.iter().filter(|r| !r.0).count();
    let mut summary = ranked
        .iter()
        .filter(|r| !r.0)
        .take(NAMED)
        .map(|r| {
            let e = listed(r);
            let cond = if e.conditional { ", conditional" } else { "" };
            format!("{} ({}{cond})", short(&e.principal), e.via.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ");
    if unreported > NAMED {
        summary.push_str(&format!(" and {} more", unreported - NAMED));
    }
    PowerFacts {
        power_over: ranked.iter().take(LISTED).map(listed).collect(),
        power_over_count: Some(count),
        power_over_everyone: false,
        power_over_unreported: unreported,
        power_over_summary: summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ME: &str = "arn:aws:iam::1:role/ops";

    use crate::policy::aws::eval::tests::set;

    fn ctx() -> Context {
        Context {
            now: crate::timefmt::parse("2026-11-26T00:00:00Z").unwrap(),
        }
    }

    fn changeable(arn: &str, kind: TargetKind) -> Changeable<'_> {
        Changeable {
            arn,
            kind,
            members: vec!["arn:aws:iam::1:user/alice"],
            grants: true,
        }
    }

    fn account_of_five<'a>() -> Vec<Changeable<'a>> {
        vec![
            changeable(ME, TargetKind::Role),
            changeable("arn:aws:iam::1:user/alice", TargetKind::User),
            changeable("arn:aws:iam::1:role/deploy", TargetKind::Role),
            changeable("arn:aws:iam::1:group/admins", TargetKind::Group),
            changeable("arn:aws:iam::2:user/elsewhere", TargetKind::User),
        ]
    }

    fn powers_of(doc: serde_json::Value, policies: &[Managed<'_>]) -> Vec<(String, String)> {
        let p = set(doc);
        let subject = Subject {
            arn: ME,
            is_user: false,
            policies: &p,
            groups: &[],
            attached_customer_policies: &[],
        };
        powers(&subject, &account_of_five(), policies, &ctx())
            .into_iter()
            .map(|p| (short(p.target).to_string(), p.via()))
            .collect()
    }

    #[test]
    fn others_in_its_account_not_itself_nor_other_accounts() {
        let got = powers_of(
            json!({"Statement": [{"Effect": "Allow", "Action": ["iam:AttachUserPolicy", "iam:PutRolePolicy"], "Resource": "*"}]}),
            &[],
        );
        assert_eq!(
            got,
            vec![
                ("user/alice".into(), "iam:AttachUserPolicy".into()),
                ("role/deploy".into(), "iam:PutRolePolicy".into()),
            ]
        );
    }

    #[test]
    fn denies_not_action_and_resources_decide() {
        let denied = powers_of(
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}, {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}),
            &[],
        );
        assert!(denied.is_empty(), "{denied:?}");
        let not_action = powers_of(
            json!({"Statement": [{"Effect": "Allow", "NotAction": ["iam:Attach*", "iam:Put*", "iam:Update*", "iam:Create*", "iam:SetDefault*"], "Resource": "*"}]}),
            &[],
        );
        assert_eq!(
            not_action,
            vec![("group/admins".into(), "iam:AddUserToGroup".into())]
        );
        let scoped = powers_of(
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:UpdateAssumeRolePolicy", "Resource": "arn:aws:iam::1:role/dep*"}]}),
            &[],
        );
        assert_eq!(
            scoped,
            vec![("role/deploy".into(), "iam:UpdateAssumeRolePolicy".into())]
        );
    }

    #[test]
    fn a_policy_version_changes_every_principal_it_is_attached_to() {
        let m = Managed {
            arn: "arn:aws:iam::1:policy/shared",
            versions: 1,
            attached_to: vec![
                ("arn:aws:iam::1:user/alice", TargetKind::User),
                ("arn:aws:iam::1:role/deploy", TargetKind::Role),
            ],
        };
        let p = set(
            json!({"Statement": [{"Effect": "Allow", "Action": ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"], "Resource": "arn:aws:iam::1:policy/*"}]}),
        );
        let subject = Subject {
            arn: ME,
            is_user: false,
            policies: &p,
            groups: &[],
            attached_customer_policies: &[],
        };
        let got = powers(&subject, &[], std::slice::from_ref(&m), &ctx());
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].via(), "iam:CreatePolicyVersion on policy/shared");
        assert!(!got[0].conditional);
        // One version: nothing to switch to yet.
        assert!(got[2].conditional && got[2].action == "iam:SetDefaultPolicyVersion");
        // Its own policy is self-modification, not power over others.
        let own = [("arn:aws:iam::1:policy/shared".to_string(), 1)];
        let subject = Subject {
            attached_customer_policies: &own,
            ..subject
        };
        assert!(powers(&subject, &[], std::slice::from_ref(&m), &ctx()).is_empty());
    }

    #[test]
    fn power_with_a_way_in_is_an_escalation_and_without_one_is_not() {
        let p = [Power {
            target: "arn:aws:iam::1:group/admins",
            kind: TargetKind::Group,
            action: "iam:PutGroupPolicy",
            policy: None,
            conditional: false,
            changes_someone: true,
        }];
        let members = |_: &str| vec!["arn:aws:iam::1:user/alice".to_string()];
        let none = through_power(ME, &p, members, |_| None);
        assert!(none.is_empty());
        let into_alice = |who: &str| {
            who.ends_with("user/alice")
                .then(|| ("iam:CreateAccessKey".to_string(), false))
        };
        let got = through_power(ME, &p, members, into_alice);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].method, "iam:PutGroupPolicy+iam:CreateAccessKey");
        assert!(got[0].self_modification && got[0].target == ME);
        assert!(got[0].description.contains("member user/alice"));
        // Choosing who may assume a role is not rewriting its permissions.
        let trust = [Power {
            action: UPDATE_TRUST,
            kind: TargetKind::Role,
            target: "arn:aws:iam::1:role/deploy",
            ..p[0].clone()
        }];
        assert!(through_power(ME, &trust, members, |_| Some(("x".into(), false))).is_empty());
    }

    #[test]
    fn facts_count_all_list_a_few_and_leave_out_what_escalation_reports() {
        let targets: Vec<String> = (0..30)
            .map(|i| format!("arn:aws:iam::1:user/u{i:02}"))
            .collect();
        let mut p: Vec<Power<'_>> = targets
            .iter()
            .map(|t| Power {
                target: t,
                kind: TargetKind::User,
                action: "iam:AttachUserPolicy",
                policy: None,
                conditional: false,
                changes_someone: true,
            })
            .collect();
        p.push(Power {
            action: "iam:PutUserPolicy",
            conditional: true,
            ..p[0].clone()
        });
        let f = facts(&p, &[], &[], |t| t.ends_with("u07"));
        assert_eq!(f.power_over_count, Some(30));
        assert_eq!(f.power_over_unreported, 30);
        assert_eq!(f.power_over.len(), LISTED);
        assert_eq!(
            f.power_over[0].principal, targets[7],
            "the most powerful first"
        );
        assert_eq!(
            f.power_over[1].via,
            vec!["iam:AttachUserPolicy", "iam:PutUserPolicy"]
        );
        assert!(!f.power_over[1].conditional, "one way is unconditional");
        assert!(
            f.power_over_summary
                .starts_with("user/u07 (iam:AttachUserPolicy), user/u00")
        );
        assert!(f.power_over_summary.ends_with(" and 25 more"));

        let same = Escalation {
            method: "iam:AttachUserPolicy".into(),
            description: String::new(),
            target: targets[0].clone(),
            self_modification: false,
            conditional: false,
        };
        let f = facts(&p[..1], std::slice::from_ref(&same), &[], |_| 0);
        assert_eq!((f.power_over_count, f.power_over_unreported), (Some(1), 0));
        assert!(f.power_over[0].escalation && f.power_over_summary.is_empty());
        // A lateral move by the same method is in NHI-AWS-013's finding only when that
        // method is an escalation somewhere.
        let lateral = Escalation {
            target: targets[1].clone(),
            ..same.clone()
        };
        let f = facts(
            &p[1..2],
            std::slice::from_ref(&same),
            std::slice::from_ref(&lateral),
            |_| 0,
        );
        assert_eq!(f.power_over_unreported, 0);
        let f = facts(&p[1..2], &[], std::slice::from_ref(&lateral), |_| 0);
        assert_eq!(f.power_over_unreported, 1);
        let itself = Escalation {
            self_modification: true,
            target: ME.into(),
            ..same
        };
        let f = facts(&p, std::slice::from_ref(&itself), &[], |_| 0);
        assert_eq!(f.power_over_unreported, 0);
    }
}
