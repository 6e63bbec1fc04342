//! Trust policies: what each role lets in (its trust facts), and who can assume which
//! role (the `assumes` edges privilege chains follow).

use rustc_hash::FxHashMap as HashMap;
use serde_json::{Value, json};

use super::{Principal, account_node, account_of};
use crate::model::{AccessLevel, Edge, EdgeKind, Identity, Location};
use crate::policy::aws::document::{self, Effect, Patterns, Statement};
use crate::policy::aws::eval::Context;
use crate::sources::aws::gaad::{RoleDetail, decode_document};

const GITHUB_OIDC: &str = "token.actions.githubusercontent.com";

/// A role's trust policy; one that cannot be read trusts no one, and is reported.
pub(super) fn parse_trust(
    role: &RoleDetail,
    origin: &str,
    errors: &mut Vec<(String, String)>,
) -> Vec<Statement> {
    match role
        .assume_role_policy_document
        .as_ref()
        .map(decode_document)
    {
        Some(Ok(d)) => document::parse(&d).unwrap_or_else(|e| {
            errors.push((
                format!("{origin}: {} trust policy", role.arn),
                format!("malformed trust policy: {e}"),
            ));
            Vec::new()
        }),
        Some(Err(e)) => {
            errors.push((
                format!("{origin}: {} trust policy", role.arn),
                e.to_string(),
            ));
            Vec::new()
        }
        None => Vec::new(),
    }
}

/// Who can assume which role, from the `assumes` edges (direct, or through the hub of
/// an account's roles that trust the account).
pub(super) struct Assumable<'e> {
    direct: rustc_hash::FxHashSet<(&'e str, &'e str)>,
    to_hub: rustc_hash::FxHashSet<&'e str>,
    from_hub: rustc_hash::FxHashSet<&'e str>,
}

impl<'e> Assumable<'e> {
    pub fn new(edges: &'e [Edge]) -> Self {
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
    pub fn allows(&self, from: &str, to: &str) -> bool {
        self.direct.contains(&(from, to))
            || (self.to_hub.contains(from)
                && self.from_hub.contains(to)
                && account_of(from) == account_of(to))
    }
}

/// The hub "any role that trusts account X": what a principal allowed `sts:AssumeRole` on
/// every role reaches in one hop.
pub(super) fn trust_hub_identity(account: &str) -> Identity {
    account_node(
        format!("aws-account-trust:{account}"),
        "aws-account-trust",
        format!("any role that trusts account {account}"),
        AccessLevel::None,
        account,
    )
}

/// The services a trust policy lets in, sorted, each once.
pub(super) fn trusted_services(trust: &[Statement]) -> Vec<String> {
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

/// Whether a statement has a condition on `key`.
fn has_key(s: &Statement, key: &str) -> bool {
    s.conditions.iter().any(|c| c.key.eq_ignore_ascii_case(key))
}

/// What a trust policy lets in, and how well it is constrained.
pub(super) fn trust_facts(trust: &[Statement]) -> Value {
    let mut services = Vec::new();
    let mut aws = Vec::new();
    let mut federated = Vec::new();
    let mut any_principal = false;
    let mut confused_deputy = Vec::new();
    let mut github = Vec::new();
    let mut eks = Vec::new();
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
            github.push(github_oidc(s));
        }
        eks.extend(p.federated.iter().filter_map(|f| eks_oidc(s, f)));
    }
    let mut facts = json!({
        "services": services,
        "aws": aws,
        "federated": federated,
        "any_principal": any_principal,
        "confused_deputy_services": confused_deputy,
        "github_oidc": github,
        "github_oidc_issues": github.iter().flat_map(|g| g["issues"].as_array().cloned().unwrap_or_default()).collect::<Vec<_>>(),
    });
    // Only when there is one: the trust of roles without IRSA reads as before.
    if !eks.is_empty() {
        facts["eks_oidc"] = Value::Array(eks);
    }
    facts
}

/// A statement that lets an EKS cluster's service accounts in (IAM roles for service
/// accounts): the provider, the `sub` and `aud` it requires. What a service account's
/// `eks.amazonaws.com/role-arn` annotation is checked against.
fn eks_oidc(s: &Statement, federated: &str) -> Option<Value> {
    let provider = federated
        .split_once(":oidc-provider/")
        .map_or(federated, |(_, p)| p);
    if !provider.starts_with("oidc.eks.") {
        return None;
    }
    let values = |claim: &str| -> (Vec<String>, bool) {
        let key = format!("{provider}:{claim}");
        let mut like = false;
        let values = s
            .conditions
            .iter()
            .filter(|c| c.key.eq_ignore_ascii_case(&key))
            .inspect(|c| like |= c.operator.contains("Like"))
            .flat_map(|c| c.values.clone())
            .collect();
        (values, like)
    };
    let (sub, sub_like) = values("sub");
    let (aud, _) = values("aud");
    let web_identity = match &s.actions {
        Patterns::Only(a) => a.iter().any(|a| {
            crate::policy::aws::actions::action_matches(a, "sts:AssumeRoleWithWebIdentity")
        }),
        Patterns::AllBut(_) => true,
    };
    Some(json!({
        "provider": provider,
        "sub": sub,
        "sub_like": sub_like,
        "aud": aud,
        "web_identity": web_identity,
    }))
}

/// A statement that lets GitHub Actions in: the `sub` and `aud` it requires, and what is
/// wrong with them.
fn github_oidc(s: &Statement) -> Value {
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
        issues.push("no `sub` condition: any repository on GitHub can assume the role".to_string());
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
    json!({"sub": subs, "aud": auds, "issues": issues})
}

/// Who can assume each role: principals the trust policy names (their identity policy
/// need not allow it in the same account), and — when it trusts the account — every
/// principal whose identity policy allows `sts:AssumeRole` on the role.
///
/// Principals allowed to assume *any* role of their account go through one hub node per
/// account (`aws-account-trust:ACCOUNT`, "any role that trusts the account") instead of an
/// edge to each such role: the graph stays linear in the size of the account.
pub(super) fn assume_edges(
    principals: &[Principal],
    index: &HashMap<&str, usize>,
    ctx: &Context,
) -> (Vec<Edge>, Vec<String>) {
    let mut edges = Vec::new();
    let mut hubs = std::collections::BTreeSet::new();
    let (any_role, some_roles) = assumers(principals, ctx);
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
                edges.push(to_hub(&q.arn, account));
            }
        }
    }
    (edges, hubs.into_iter().collect())
}

/// Principals allowed `sts:AssumeRole` at all, split into those allowed on every role of
/// their account (through the hub) and those allowed on some (by index).
fn assumers(principals: &[Principal], ctx: &Context) -> (Vec<usize>, Vec<usize>) {
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
    (any_role, some_roles)
}

/// `arn` may assume every role of `account` that trusts the account.
fn to_hub(arn: &str, account: &str) -> Edge {
    Edge {
        kind: EdgeKind::Assumes,
        from: format!("aws:{arn}"),
        to: format!("aws-account-trust:{account}"),
        evidence: format!("{arn} may call sts:AssumeRole on every role of account {account}"),
        location: Some(Location::Uri {
            uri: arn.to_string(),
        }),
    }
}

/// `from` can assume role `to`, and why.
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_input::{input, resolve};
    use super::*;

    fn role(name: &str, trust: serde_json::Value) -> serde_json::Value {
        json!({
            "Path": "/", "RoleName": name, "RoleId": "R",
            "Arn": format!("arn:aws:iam::111122223333:role/{name}"),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": trust},
        })
    }

    #[test]
    fn a_role_trusted_by_bedrock_without_a_source_condition_is_a_confused_deputy() {
        let input = input(json!({"RoleDetailList": [role("agent", json!([
            {"Effect": "Allow", "Principal": {"Service": ["bedrock.amazonaws.com", "lambda.amazonaws.com"]},
             "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}},
            {"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole"},
        ]))]}));
        let (principals, _, errors) = resolve(&input);
        assert!(errors.is_empty(), "{errors:?}");
        let trust = &principals[0].trust;
        assert_eq!(
            trusted_services(trust),
            ["bedrock.amazonaws.com", "lambda.amazonaws.com"]
        );
        let facts = trust_facts(trust);
        assert_eq!(
            facts["services"],
            json!([
                "bedrock.amazonaws.com",
                "lambda.amazonaws.com",
                "bedrock.amazonaws.com"
            ])
        );
        assert_eq!(
            facts["confused_deputy_services"],
            json!(["bedrock.amazonaws.com"])
        );
        assert_eq!(facts["any_principal"], false);
        assert_eq!(facts["github_oidc"], json!([]));
    }

    #[test]
    fn github_oidc_trust_for_a_whole_organisation_without_aud_has_issues() {
        let input = input(json!({"RoleDetailList": [role("deploy", json!([{
            "Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}},
        }]))]}));
        let (principals, _, _) = resolve(&input);
        let facts = trust_facts(&principals[0].trust);
        assert_eq!(facts["github_oidc"][0]["sub"], json!(["repo:acme/*"]));
        assert_eq!(
            facts["github_oidc_issues"],
            json!([
                "`sub` is `repo:acme/*`: every repository of acme (and every branch, PR and fork workflow in it) can assume the role",
                "no `aud` condition (expected sts.amazonaws.com)",
            ])
        );
    }

    #[test]
    fn a_malformed_trust_policy_trusts_no_one_and_is_reported() {
        let mut gaad = json!({"RoleDetailList": [role("broken", json!([]))]});
        gaad["RoleDetailList"][0]["AssumeRolePolicyDocument"] = json!("%7Bnot json");
        let (principals, _, errors) = resolve(&input(gaad));
        assert!(principals[0].trust.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].0,
            "test.json: arn:aws:iam::111122223333:role/broken trust policy"
        );
    }

    #[test]
    fn named_principals_assume_directly_and_the_account_goes_through_its_hub() {
        let user = "arn:aws:iam::111122223333:user/ci";
        let input = input(json!({
            "UserDetailList": [{
                "Path": "/", "UserName": "ci", "UserId": "U", "Arn": user,
                "UserPolicyList": [{"PolicyName": "assume", "PolicyDocument":
                    {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}}],
            }],
            "RoleDetailList": [
                role("named", json!([{"Effect": "Allow", "Principal": {"AWS": user}, "Action": "sts:AssumeRole"}])),
                role("account", json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}])),
            ],
        }));
        let (principals, _, _) = resolve(&input);
        let index: HashMap<&str, usize> = principals
            .iter()
            .enumerate()
            .map(|(i, p)| (p.arn.as_str(), i))
            .collect();
        let ctx = Context {
            now: crate::timefmt::now(),
        };
        let (edges, hubs) = assume_edges(&principals, &index, &ctx);
        let pairs: Vec<(&str, &str)> = edges
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                (
                    "aws:arn:aws:iam::111122223333:user/ci",
                    "aws:arn:aws:iam::111122223333:role/named"
                ),
                (
                    "aws-account-trust:111122223333",
                    "aws:arn:aws:iam::111122223333:role/account"
                ),
                (
                    "aws:arn:aws:iam::111122223333:user/ci",
                    "aws-account-trust:111122223333"
                ),
            ]
        );
        assert_eq!(hubs, ["111122223333"]);
        let assumable = Assumable::new(&edges);
        assert!(assumable.allows(user, "arn:aws:iam::111122223333:role/account"));
        assert!(!assumable.allows(user, "arn:aws:iam::444455556666:role/account"));
    }
}
