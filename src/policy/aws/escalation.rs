//! Privilege escalation methods, as catalogued by Rhino Security Labs, BishopFox
//! iam-vulnerable and PMapper. Each method says which actions must be allowed, on what,
//! and what the principal gains. Findings come from policy semantics: the actions are
//! checked against the principal's policies on the concrete resources of the account.

use super::document::{Effect, Patterns};
use super::eval::{Access, Context, PolicySet};

/// What a principal needs to know about the rest of the account.
pub struct Target<'a> {
    pub arn: &'a str,
    pub kind: TargetKind,
    /// Services the role trusts (`lambda.amazonaws.com`, …); empty for users and groups.
    pub trusted_services: &'a [String],
    pub has_instance_profile: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    User,
    Role,
    Group,
    CustomerPolicy,
}

/// A way up, and where it leads.
#[derive(Debug, Clone, PartialEq)]
pub struct Escalation {
    /// A stable short name (`iam:CreatePolicyVersion`, `PassRole+lambda`, …).
    pub method: String,
    pub description: String,
    /// The principal, group or role gained; the principal itself for self-modification,
    /// which gains whatever it writes (administrator).
    pub target: String,
    pub self_modification: bool,
    pub conditional: bool,
}

/// The principal being judged.
pub struct Subject<'a> {
    pub arn: &'a str,
    pub is_user: bool,
    pub policies: &'a PolicySet,
    /// Groups the user is in (ARNs).
    pub groups: &'a [String],
    /// Customer managed policies attached to it or its groups (ARN, number of versions).
    pub attached_customer_policies: &'a [(String, usize)],
}

/// PassRole methods: which service the role is passed to and what else is needed.
const PASS_ROLE: &[(&str, &str, &[&[&str]])] = &[
    (
        "PassRole+lambda",
        "lambda.amazonaws.com",
        &[
            &["lambda:CreateFunction", "lambda:InvokeFunction"],
            &["lambda:CreateFunction", "lambda:CreateEventSourceMapping"],
        ],
    ),
    (
        "PassRole+ec2",
        "ec2.amazonaws.com",
        &[&["ec2:RunInstances"]],
    ),
    (
        "PassRole+glue",
        "glue.amazonaws.com",
        &[&["glue:CreateDevEndpoint"]],
    ),
    (
        "PassRole+cloudformation",
        "cloudformation.amazonaws.com",
        &[&["cloudformation:CreateStack"]],
    ),
    (
        "PassRole+datapipeline",
        "datapipeline.amazonaws.com",
        &[&[
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
        ]],
    ),
    (
        "PassRole+codebuild",
        "codebuild.amazonaws.com",
        &[&["codebuild:CreateProject", "codebuild:StartBuild"]],
    ),
    (
        "PassRole+sagemaker",
        "sagemaker.amazonaws.com",
        &[
            &["sagemaker:CreateNotebookInstance"],
            &["sagemaker:CreateTrainingJob"],
            &["sagemaker:CreateProcessingJob"],
        ],
    ),
    (
        "PassRole+ecs",
        "ecs-tasks.amazonaws.com",
        &[&["ecs:RegisterTaskDefinition", "ecs:RunTask"]],
    ),
];

/// Methods that take over what an existing resource runs as: (method, actions, the
/// service whose roles are reachable, needs an instance profile).
const EXISTING: &[(&str, &[&str], &str, bool)] = &[
    (
        "lambda:UpdateFunctionCode",
        &["lambda:UpdateFunctionCode"],
        "lambda.amazonaws.com",
        false,
    ),
    (
        "glue:UpdateDevEndpoint",
        &["glue:UpdateDevEndpoint"],
        "glue.amazonaws.com",
        false,
    ),
    (
        "cloudformation:UpdateStack",
        &["cloudformation:UpdateStack"],
        "cloudformation.amazonaws.com",
        false,
    ),
    (
        "ssm:SendCommand",
        &["ssm:SendCommand"],
        "ec2.amazonaws.com",
        true,
    ),
    (
        "ssm:StartSession",
        &["ssm:StartSession"],
        "ec2.amazonaws.com",
        true,
    ),
    (
        "ec2-instance-connect:SendSSHPublicKey",
        &["ec2-instance-connect:SendSSHPublicKey"],
        "ec2.amazonaws.com",
        true,
    ),
    (
        "sagemaker:CreatePresignedNotebookInstanceUrl",
        &["sagemaker:CreatePresignedNotebookInstanceUrl"],
        "sagemaker.amazonaws.com",
        false,
    ),
];

fn allowed(p: &PolicySet, action: &str, resource: &str, ctx: &Context) -> Option<bool> {
    if !p.may_allow(action) {
        return None;
    }
    match p.check(action, resource, ctx) {
        Access::Allowed { conditional, .. } => Some(conditional),
        _ => None,
    }
}

/// The IAM actions whose answer depends on the target (a user, group or role).
const TARGET_ACTIONS: [&str; 8] = [
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:AddUserToGroup",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:PassRole",
];
/// Where each target action's gate is in the list [`escalations`] builds: the targets
/// of [`TARGET_ACTIONS`], then `sts:AssumeRole`.
const USER_ACTIONS: std::ops::Range<usize> = 0..3;
const ADD_USER_TO_GROUP: usize = 3;
const ROLE_ACTIONS: std::ops::Range<usize> = 4..7;
const PASS_ROLE_GATE: usize = 7;
const ASSUME_ROLE: usize = 8;

/// One target-dependent action of one principal, decided for many targets: its
/// statements picked once, and decided once when the answer cannot depend on the target.
struct Gate<'p> {
    action: &'static str,
    for_action: Option<crate::policy::aws::eval::ForAction<'p>>,
    /// `Some(answer)` when it is the same on every resource.
    everywhere: Option<Option<bool>>,
}

impl<'p> Gate<'p> {
    fn new(p: &'p PolicySet, action: &'static str, relevant: bool, ctx: &Context) -> Self {
        if !relevant || !p.may_allow(action) {
            return Gate {
                action,
                for_action: None,
                everywhere: Some(None),
            };
        }
        let for_action = p.for_action(action);
        let everywhere = for_action
            .same_everywhere()
            .then(|| answer(&for_action, "*", ctx));
        Gate {
            action,
            for_action: Some(for_action),
            everywhere,
        }
    }

    /// Whether some resource may be allowed (`false`: decided as never, for every one).
    fn open(&self) -> bool {
        self.everywhere != Some(None)
    }

    /// [`allowed`] for this action on `resource`.
    fn on(&self, resource: &str, ctx: &Context) -> Option<bool> {
        if let Some(known) = self.everywhere {
            return known;
        }
        self.for_action
            .as_ref()
            .and_then(|fa| answer(fa, resource, ctx))
    }
}

fn answer(
    fa: &crate::policy::aws::eval::ForAction<'_>,
    resource: &str,
    ctx: &Context,
) -> Option<bool> {
    match fa.check(resource, ctx) {
        Access::Allowed { conditional, .. } => Some(conditional),
        _ => None,
    }
}

/// Allowed on some resource of the account: on `*`, or on a resource an allow statement
/// names (its wildcards filled in), with denies and the boundary applied to that
/// resource. A grant on named resources only is conditional: whether the function,
/// instance or stack runs as a more powerful role is not in IAM's export.
fn allowed_somewhere(p: &PolicySet, action: &str, ctx: &Context) -> Option<bool> {
    if let Some(c) = allowed(p, action, "*", ctx) {
        return Some(c);
    }
    if !p.may_allow(action) {
        return None;
    }
    let mut tried = rustc_hash::FxHashSet::default();
    for s in p.statements.iter().map(|s| &s.statement) {
        let (Effect::Allow, Patterns::Only(resources)) = (&s.effect, &s.resources) else {
            continue;
        };
        for r in resources {
            let concrete = r.replace(['*', '?'], "x");
            if tried.insert(concrete.clone()) && allowed(p, action, &concrete, ctx).is_some() {
                return Some(true);
            }
        }
    }
    None
}

fn all_allowed_somewhere(p: &PolicySet, actions: &[&str], ctx: &Context) -> Option<bool> {
    let mut conditional = false;
    for a in actions {
        conditional |= allowed_somewhere(p, a, ctx)?;
    }
    Some(conditional)
}

/// Every escalation open to `subject` in an account whose other principals are `targets`.
pub fn escalations(
    subject: &Subject<'_>,
    targets: &[Target<'_>],
    ctx: &Context,
) -> Vec<Escalation> {
    let p = subject.policies;
    let mut out = Vec::new();
    let mut push =
        |method: &str, description: String, target: &str, self_mod: bool, conditional: bool| {
            out.push(Escalation {
                method: method.into(),
                description,
                target: target.into(),
                self_modification: self_mod,
                conditional,
            });
        };

    // Rewriting a policy that is already attached to oneself.
    for (policy, versions) in subject.attached_customer_policies {
        if let Some(c) = allowed(p, "iam:CreatePolicyVersion", policy, ctx) {
            push(
                "iam:CreatePolicyVersion",
                format!("can write a new default version of {policy}, which is attached to it"),
                subject.arn,
                true,
                c,
            );
        }
        if let Some(c) = allowed(p, "iam:SetDefaultPolicyVersion", policy, ctx) {
            // With one version there is nothing to switch to yet: conditional on someone
            // (or a later escalation) adding one.
            let note = if *versions > 1 {
                ""
            } else {
                " (it has one version today)"
            };
            push(
                "iam:SetDefaultPolicyVersion",
                format!(
                    "can switch {policy}, which is attached to it, to another of its versions{note}"
                ),
                subject.arn,
                true,
                c || *versions < 2,
            );
        }
    }
    // Attaching or writing policies on itself or its groups.
    let (attach, put) = if subject.is_user {
        ("iam:AttachUserPolicy", "iam:PutUserPolicy")
    } else {
        ("iam:AttachRolePolicy", "iam:PutRolePolicy")
    };
    for action in [attach, put] {
        if let Some(c) = allowed(p, action, subject.arn, ctx) {
            push(
                action,
                format!("can grant itself any permission with {action}"),
                subject.arn,
                true,
                c,
            );
        }
    }
    for group in subject.groups {
        for action in ["iam:AttachGroupPolicy", "iam:PutGroupPolicy"] {
            if let Some(c) = allowed(p, action, group, ctx) {
                push(
                    action,
                    format!("can grant its group {group} any permission with {action}"),
                    subject.arn,
                    true,
                    c,
                );
            }
        }
    }
    // Most principals can do none of this: skip the walk over the account for them.
    let relevant = TARGET_ACTIONS.iter().any(|a| p.may_allow(a))
        || EXISTING
            .iter()
            .any(|(_, actions, _, _)| actions.iter().all(|a| p.may_allow(a)));
    // What does not depend on the target is decided once: the service actions that go
    // with PassRole, and the existing-resource methods, on any resource they may touch.
    let pass_with: Vec<Option<bool>> = PASS_ROLE
        .iter()
        .map(|(_, _, alternatives)| {
            alternatives
                .iter()
                .find_map(|acts| all_allowed_somewhere(p, acts, ctx))
        })
        .collect();
    let existing_ok: Vec<Option<bool>> = EXISTING
        .iter()
        .map(|(_, actions, _, _)| all_allowed_somewhere(p, actions, ctx))
        .collect();
    let gates: Vec<Gate<'_>> = TARGET_ACTIONS
        .iter()
        .chain(&["sts:AssumeRole"])
        .map(|a| Gate::new(p, a, relevant, ctx))
        .collect();
    // Which kinds of target can give anything: most principals reach none, and then the
    // walk over the account is skipped.
    let user_open = gates[USER_ACTIONS].iter().any(Gate::open);
    let group_open = subject.is_user && gates[ADD_USER_TO_GROUP].open();
    let pass_open = gates[PASS_ROLE_GATE].open() && pass_with.iter().any(Option::is_some);
    let role_open = (gates[ASSUME_ROLE].open() && gates[ROLE_ACTIONS].iter().any(Gate::open))
        || pass_open
        || existing_ok.iter().any(Option::is_some);
    if !(relevant && (user_open || group_open || role_open)) {
        return out;
    }
    for t in targets.iter().filter(|t| t.arn != subject.arn) {
        match t.kind {
            TargetKind::User if user_open => {
                for g in &gates[USER_ACTIONS] {
                    if let Some(c) = g.on(t.arn, ctx) {
                        let action = g.action;
                        push(
                            action,
                            format!("can sign in as {} with {action}", t.arn),
                            t.arn,
                            false,
                            c,
                        );
                    }
                }
            }
            TargetKind::Group if group_open => {
                if let Some(c) = gates[ADD_USER_TO_GROUP].on(t.arn, ctx) {
                    push(
                        "iam:AddUserToGroup",
                        format!("can add itself to {}", t.arn),
                        t.arn,
                        false,
                        c,
                    );
                }
            }
            TargetKind::Role if role_open => {
                for g in &gates[ROLE_ACTIONS] {
                    if let Some(c) = g.on(t.arn, ctx)
                        && let Some(c2) = gates[ASSUME_ROLE].on(t.arn, ctx)
                    {
                        let action = g.action;
                        push(
                            action,
                            format!("can change {} with {action} and assume it", t.arn),
                            t.arn,
                            false,
                            c || c2,
                        );
                    }
                }
                if pass_open && let Some(pass) = gates[PASS_ROLE_GATE].on(t.arn, ctx) {
                    for ((method, service, alternatives), with) in PASS_ROLE.iter().zip(&pass_with)
                    {
                        let Some(c) = *with else { continue };
                        if !t.trusted_services.iter().any(|s| s == service)
                            || (*service == "ec2.amazonaws.com" && !t.has_instance_profile)
                        {
                            continue;
                        }
                        push(
                            method,
                            format!(
                                "can pass {} to {service} with {} and run code as it",
                                t.arn,
                                alternatives[0].join(" + ")
                            ),
                            t.arn,
                            false,
                            c || pass,
                        );
                    }
                }
                for ((method, _, service, needs_profile), ok) in EXISTING.iter().zip(&existing_ok) {
                    let Some(c) = *ok else { continue };
                    if !t.trusted_services.iter().any(|s| s == service)
                        || (*needs_profile && !t.has_instance_profile)
                    {
                        continue;
                    }
                    push(
                        method,
                        format!(
                            "can run code as {} through an existing {service} resource ({method})",
                            t.arn
                        ),
                        t.arn,
                        false,
                        c,
                    );
                }
            }
            _ => {}
        }
    }
    out
}
