//! Managed, inline and group policies → each principal's policy set. The default
//! version of every managed policy is parsed once; a group's statements and customer
//! managed policies pass to its members.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use serde_json::{Value, json};

use super::Group;
use crate::model::{AccessLevel, SourceError, SourceKind};
use crate::policy::aws::actions::table;
use crate::policy::aws::document::{self, Effect, Statement};
use crate::policy::aws::eval::{PolicySet, Sourced};
use crate::sources::aws::AwsInput;
use crate::sources::aws::gaad::{
    AttachedPolicy, InlinePolicy, ManagedPolicyDetail, PermissionsBoundary, read_policy,
};
use crate::timefmt;

/// Where one principal's permissions are written in the export.
pub(super) struct Holder<'a> {
    pub arn: &'a str,
    pub inline: &'a [InlinePolicy],
    pub attached: &'a [AttachedPolicy],
    /// The names of its groups (users only).
    pub groups: &'a [String],
    pub boundary: Option<&'a PermissionsBoundary>,
}

/// One principal's permissions, resolved.
pub(super) struct Resolved {
    pub policies: PolicySet,
    /// The ARNs of the groups it is in.
    pub groups: Vec<String>,
    /// Customer managed policies attached to it or its groups (ARN, number of versions).
    pub attached_customer: Vec<(String, usize)>,
}

/// Turns the policies a principal names into statements, and keeps what it could not
/// read for the errors of the inventory.
pub(super) struct Resolver<'a> {
    origin: &'a str,
    /// Every managed policy of the export, by ARN.
    pub details: HashMap<&'a str, &'a ManagedPolicyDetail>,
    /// The rise of each customer managed policy whose access level rose between its
    /// versions, worked out once however many principals it is attached to.
    creep: HashMap<&'a str, Value>,
    /// The default version of each, parsed once.
    parsed: HashMap<&'a str, Vec<Arc<Statement>>>,
    /// Malformed documents, unknown groups and bad trust policies: (location, message),
    /// in the order they were met.
    pub errors: Vec<(String, String)>,
    /// Attached policies the export leaves out.
    missing: Vec<String>,
}

impl<'a> Resolver<'a> {
    /// Parses the default version of each managed policy; those that cannot be read are
    /// reported in `errors` at once.
    pub fn new(input: &'a AwsInput, errors: &mut Vec<SourceError>) -> Self {
        let origin = input.origin.as_str();
        let details: HashMap<&str, &ManagedPolicyDetail> = input
            .gaad
            .policies
            .iter()
            .flatten()
            .map(|p| (p.arn.as_str(), p))
            .collect();
        let mut parsed: HashMap<&str, Vec<Arc<Statement>>> = HashMap::default();
        for p in input.gaad.policies.iter().flatten() {
            let Some(v) = p.default_version() else {
                errors.push(SourceKind::Aws.error(
                    format!("{origin}: {}", p.arn),
                    "the policy has no default version in the export".to_string(),
                ));
                continue;
            };
            match read_policy(v.document.as_ref(), "the version has no document") {
                Ok(st) => {
                    parsed.insert(p.arn.as_str(), st.into_iter().map(Arc::new).collect());
                }
                Err(e) => errors.push(SourceKind::Aws.error(
                    format!("{origin}: {} {}", p.arn, v.version_id),
                    format!("malformed policy document: {e}"),
                )),
            }
        }
        let creep = input
            .gaad
            .policies
            .iter()
            .flatten()
            .collect::<Vec<_>>()
            .par_iter()
            .filter_map(|p| Some((p.arn.as_str(), rise_of(p)?)))
            .collect();
        Resolver {
            origin,
            details,
            creep,
            parsed,
            errors: Vec::new(),
            missing: Vec::new(),
        }
    }

    /// The account's groups, by name. Ordered: targets are listed in this order, and
    /// reports must not depend on a hash seed.
    pub fn groups(&mut self, input: &AwsInput) -> BTreeMap<String, Group> {
        let mut groups = BTreeMap::new();
        for g in input.gaad.group_detail_list.iter().flatten() {
            let prefix = format!("group:{}/", g.group_name);
            let mut statements = Vec::new();
            self.inline(&g.arn, &g.group_policy_list, &prefix, &mut statements);
            let mut attached = Vec::new();
            for a in &g.attached_managed_policies {
                self.managed(&a.policy_arn, &prefix, &mut statements);
                self.customer(&a.policy_arn, &mut attached);
            }
            groups.insert(
                g.group_name.clone(),
                Group {
                    arn: g.arn.clone(),
                    statements,
                    attached,
                },
            );
        }
        groups
    }

    /// One user's or role's policy set: its inline policies, then its managed ones, then
    /// those of its groups; and its permissions boundary.
    pub fn resolve(&mut self, holder: &Holder<'_>, groups: &BTreeMap<String, Group>) -> Resolved {
        let mut statements = Vec::new();
        self.inline(holder.arn, holder.inline, "", &mut statements);
        let mut attached = Vec::new();
        for a in holder.attached {
            self.managed(&a.policy_arn, "", &mut statements);
            self.customer(&a.policy_arn, &mut attached);
        }
        let mut group_arns = Vec::new();
        for g in holder.groups {
            match groups.get(g) {
                Some(group) => {
                    statements.extend(group.statements.iter().cloned());
                    attached.extend(group.attached.iter().cloned());
                    group_arns.push(group.arn.clone());
                }
                None => self.errors.push((
                    format!("{}: {}", self.origin, holder.arn),
                    format!("member of group {g}, which is not in the export"),
                )),
            }
        }
        let boundary = boundary_of(holder.boundary, &self.parsed);
        Resolved {
            policies: PolicySet {
                statements,
                boundary,
                may_allow_memo: Default::default(),
            },
            groups: group_arns,
            attached_customer: attached,
        }
    }

    /// What could not be resolved: the policies missing from the export first, each once,
    /// then the documents that could not be read.
    pub fn take_errors(&mut self) -> Vec<(String, String)> {
        let mut missing = std::mem::take(&mut self.missing);
        missing.sort();
        missing.dedup();
        let mut out: Vec<(String, String)> = missing
            .into_iter()
            .map(|arn| {
                (
                    format!("{}: {arn}", self.origin),
                    "attached to a principal but not in the export's Policies: its permissions are unknown"
                        .into(),
                )
            })
            .collect();
        out.append(&mut self.errors);
        out
    }

    /// The statements of inline policies, sourced `{prefix}inline:NAME`.
    fn inline(&mut self, owner: &str, list: &[InlinePolicy], prefix: &str, out: &mut Vec<Sourced>) {
        for ip in list {
            let parsed = read_policy(ip.policy_document.as_ref(), "no document");
            match parsed {
                Ok(st) => out.extend(st.into_iter().map(|s| Sourced {
                    statement: Arc::new(s),
                    source: format!("{prefix}inline:{}", ip.policy_name),
                })),
                Err(e) => self.errors.push((
                    format!("{}: {owner} inline policy {}", self.origin, ip.policy_name),
                    format!("malformed policy document: {e}"),
                )),
            }
        }
    }

    /// The statements of an attached managed policy, sourced `{prefix}ARN`.
    fn managed(&mut self, arn: &str, prefix: &str, out: &mut Vec<Sourced>) {
        match self.parsed.get(arn) {
            Some(st) => out.extend(st.iter().cloned().map(|s| Sourced {
                statement: s,
                source: format!("{prefix}{arn}"),
            })),
            // Exports often leave out the AWS managed policies they attach; the few whose
            // meaning is fixed are known here.
            None if !self.details.contains_key(arn) => match well_known_aws_policy(arn) {
                Some(st) => out.extend(st.into_iter().map(|s| Sourced {
                    statement: Arc::new(s),
                    source: format!("{prefix}{arn}"),
                })),
                None => self.missing.push(arn.to_string()),
            },
            // In the export but unreadable: already reported.
            None => {}
        }
    }

    /// Notes `arn` when it is a customer managed policy (the ones power over others and
    /// policy creep look at).
    fn customer(&self, arn: &str, out: &mut Vec<(String, usize)>) {
        if let Some(p) = self.details.get(arn)
            && !p.is_aws_managed()
        {
            out.push((arn.to_string(), p.policy_version_list.len()));
        }
    }
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
    boundary: Option<&PermissionsBoundary>,
    parsed: &HashMap<&str, Vec<Arc<Statement>>>,
) -> Option<Vec<Statement>> {
    let st = parsed.get(boundary?.permissions_boundary_arn.as_str())?;
    Some(st.iter().map(|s| (**s).clone()).collect())
}

impl Resolver<'_> {
    /// Customer managed policies among `attached` whose access level rose between
    /// versions.
    pub fn policy_creep(&self, attached: &[(String, usize)]) -> Vec<Value> {
        attached
            .iter()
            .filter_map(|(arn, _)| self.creep.get(arn.as_str()).cloned())
            .collect()
    }
}

/// How far `p`'s access level rose from its first version to its highest, if it did.
fn rise_of(p: &ManagedPolicyDetail) -> Option<Value> {
    if p.policy_version_list.len() < 2 {
        return None;
    }
    let t = table();
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
            let st = read_policy(v.document.as_ref(), "no document").ok()?;
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
    let (first, peak) = (levels.first()?, levels.iter().max_by_key(|(_, l, _)| *l)?);
    (peak.1 > first.1).then(|| {
        json!({
            "policy": p.arn, "from_version": first.0, "from_level": first.1,
            "to_version": peak.0, "to_level": peak.1, "date": peak.2,
            "default_version": p.default_version().map(|v| v.version_id.clone()),
        })
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_input::{input, resolve};
    use crate::policy::aws::eval::Context;

    const BASE: &str = "arn:aws:iam::111122223333:policy/Base";
    const DEPLOY: &str = "arn:aws:iam::111122223333:policy/Deploy";

    fn policy(arn: &str, action: &str) -> serde_json::Value {
        json!({
            "PolicyName": arn.rsplit('/').next(), "PolicyId": "P", "Arn": arn, "Path": "/",
            "DefaultVersionId": "v1",
            "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
                "Document": {"Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}}],
        })
    }

    #[test]
    fn a_user_gets_its_own_then_its_groups_policies() {
        let input = input(json!({
            "UserDetailList": [{
                "Path": "/", "UserName": "ci", "UserId": "U", "Arn": "arn:aws:iam::111122223333:user/ci",
                "UserPolicyList": [{"PolicyName": "own", "PolicyDocument":
                    {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}],
                "GroupList": ["devs"],
                "AttachedManagedPolicies": [{"PolicyName": "Base", "PolicyArn": BASE}],
            }],
            "GroupDetailList": [{
                "Path": "/", "GroupName": "devs", "GroupId": "G", "Arn": "arn:aws:iam::111122223333:group/devs",
                "GroupPolicyList": [],
                "AttachedManagedPolicies": [{"PolicyName": "Deploy", "PolicyArn": DEPLOY}],
            }],
            "Policies": [policy(BASE, "sqs:SendMessage"), policy(DEPLOY, "lambda:UpdateFunctionCode")],
        }));
        let (principals, groups, errors) = resolve(&input);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(groups.len(), 1);
        let user = &principals[0];
        let sources: Vec<&str> = user
            .policies
            .statements
            .iter()
            .map(|s| s.source.as_str())
            .collect();
        assert_eq!(
            sources,
            ["inline:own", BASE, &format!("group:devs/{DEPLOY}")]
        );
        assert_eq!(user.groups, ["arn:aws:iam::111122223333:group/devs"]);
        assert_eq!(
            user.attached_customer,
            [(BASE.to_string(), 1), (DEPLOY.to_string(), 1)]
        );
        let ctx = Context {
            now: crate::timefmt::now(),
        };
        assert!(
            user.policies
                .check("lambda:UpdateFunctionCode", "*", &ctx)
                .is_allowed()
        );
        assert!(
            !user
                .policies
                .check("iam:CreateUser", "*", &ctx)
                .is_allowed()
        );
    }

    #[test]
    fn well_known_aws_policies_are_known_and_missing_ones_reported_once() {
        let role = |name: &str| {
            json!({
                "Path": "/", "RoleName": name, "RoleId": "R", "Arn": format!("arn:aws:iam::111122223333:role/{name}"),
                "AttachedManagedPolicies": [
                    {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
                    {"PolicyName": "Gone", "PolicyArn": "arn:aws:iam::aws:policy/Gone"},
                ],
                "GroupList": ["nowhere"],
            })
        };
        let input = input(json!({"RoleDetailList": [role("a"), role("b")]}));
        let (principals, _, errors) = resolve(&input);
        assert_eq!(principals.len(), 2);
        // Roles have no groups: the group list of a role is not read.
        assert!(principals[0].groups.is_empty());
        let statements = &principals[0].policies.statements;
        assert_eq!(statements.len(), 1);
        assert_eq!(
            statements[0].source,
            "arn:aws:iam::aws:policy/AdministratorAccess"
        );
        // Customer policies only: AWS managed ones are not tracked for power or creep.
        assert!(principals[0].attached_customer.is_empty());
        assert_eq!(
            errors,
            [(
                "test.json: arn:aws:iam::aws:policy/Gone".to_string(),
                "attached to a principal but not in the export's Policies: its permissions are unknown"
                    .to_string()
            )]
        );
    }

    #[test]
    fn unreadable_documents_and_unknown_groups_are_errors() {
        let input = input(json!({
            "UserDetailList": [{
                "Path": "/", "UserName": "ci", "UserId": "U", "Arn": "arn:aws:iam::111122223333:user/ci",
                "UserPolicyList": [{"PolicyName": "broken", "PolicyDocument": "not a policy"}],
                "GroupList": ["ghosts"],
            }],
            "Policies": [{"PolicyName": "NoDefault", "PolicyId": "P", "Arn": BASE, "Path": "/",
                "PolicyVersionList": []}],
        }));
        let (principals, _, errors) = resolve(&input);
        assert!(principals[0].policies.statements.is_empty());
        let locations: Vec<&str> = errors.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            locations,
            [
                &format!("test.json: {BASE}"),
                "test.json: arn:aws:iam::111122223333:user/ci inline policy broken",
                "test.json: arn:aws:iam::111122223333:user/ci",
            ]
        );
        assert_eq!(
            errors[2].1,
            "member of group ghosts, which is not in the export"
        );
    }
}
