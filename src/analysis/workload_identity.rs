//! Workload identity: a Kubernetes service account annotated to act as a cloud identity
//! becomes an `assumes` edge to it, so what the cloud identity can do is what a pod
//! running as the account — an agent — reaches. IRSA (`eks.amazonaws.com/role-arn`) to
//! the AWS role, GKE Workload Identity (`iam.gke.io/gcp-service-account`) to the Google
//! service account, Azure Workload Identity (`azure.workload.identity/client-id`) to the
//! Entra application or managed identity. Where the cloud side's trust was read, whether
//! it names the account as the token subject is recorded on the account's facts.

use serde_json::{Value, json};

use crate::model::{Edge, EdgeKind, Identity, Inventory, Provider};

/// Joins every annotated service account to the cloud identity it names.
pub fn join(inv: &mut Inventory) {
    let mut updates: Vec<(usize, Vec<Value>, Vec<Edge>)> = Vec::new();
    for (index, sa) in inv.identities.iter().enumerate() {
        if sa.provider != Provider::Kubernetes {
            continue;
        }
        let Some(facts) = sa.facts.get("kubernetes") else {
            continue;
        };
        let (Some(namespace), Some(links)) = (
            facts["namespace"].as_str(),
            facts["workload_identity"].as_array(),
        ) else {
            continue;
        };
        let name = sa
            .name
            .strip_prefix(namespace)
            .and_then(|n| n.strip_prefix('/'))
            .unwrap_or(&sa.name);
        let mut out = Vec::new();
        let mut edges = Vec::new();
        for link in links {
            let mut link = link.clone();
            let (Some(cloud), Some(target)) = (
                link["cloud"].as_str().map(str::to_string),
                link["target"].as_str().map(str::to_string),
            ) else {
                out.push(link);
                continue;
            };
            let (cloud, target) = (cloud.as_str(), target.as_str());
            let found = match cloud {
                "aws" => aws_role(inv, target),
                "gcp" => inv.identity(&crate::sources::gcp::account_id(target)),
                "azure" => azure_app(inv, target),
                _ => None,
            };
            if let Some(to) = found {
                let (names, issue) = match cloud {
                    "aws" => aws_trust(to, namespace, name),
                    "gcp" => gcp_trust(to, namespace, name),
                    _ => azure_trust(to, namespace, name),
                };
                link["joined"] = json!(to.id);
                link["trust_names_subject"] = json!(names);
                link["trust_issue"] = json!(issue);
                edges.push(Edge {
                    kind: EdgeKind::Assumes,
                    from: sa.id.clone(),
                    to: to.id.clone(),
                    evidence: format!(
                        "its workload identity annotation names {target} ({})",
                        how(cloud)
                    ),
                    location: sa.locations.first().cloned(),
                });
            }
            out.push(link);
        }
        updates.push((index, out, edges));
    }
    for (index, links, edges) in updates {
        if let Some(facts) = inv.identities[index].facts.get_mut("kubernetes") {
            facts["workload_identity"] = Value::Array(links);
        }
        inv.edges.extend(edges);
    }
}

fn how(cloud: &str) -> &'static str {
    match cloud {
        "aws" => "IAM roles for service accounts",
        "gcp" => "GKE Workload Identity",
        _ => "Azure Workload Identity",
    }
}

/// An IAM role's account and what follows `role/` in its ARN (its path and name).
fn role_parts(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service, _region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (service == "iam").then_some(())?;
    Some((account, resource.strip_prefix("role/")?))
}

/// The role an IRSA annotation names: by its ARN, or by path and name when one side
/// has no account (a role defined in Terraform whose account is not known).
fn aws_role<'i>(inv: &'i Inventory, arn: &str) -> Option<&'i Identity> {
    if let Some(i) = inv.identity(&format!("aws:{arn}")) {
        return Some(i);
    }
    let (account, role) = role_parts(arn)?;
    inv.identities
        .iter()
        .filter(|i| i.provider == Provider::Aws)
        .find(|i| {
            i.id.strip_prefix("aws:")
                .and_then(role_parts)
                .is_some_and(|(a, r)| {
                    r == role && (a == account || a.is_empty() || account.is_empty())
                })
        })
}

fn azure_app<'i>(inv: &'i Inventory, client: &str) -> Option<&'i Identity> {
    inv.identities.iter().find(|i| {
        i.provider == Provider::Azure
            && i.facts
                .get("azure")
                .and_then(|f| f["app_id"].as_str())
                .is_some_and(|a| a.eq_ignore_ascii_case(client))
    })
}

/// Whether the role's trust lets this account in by name: a statement trusting an EKS
/// OIDC provider with `sts:AssumeRoleWithWebIdentity` and a `sub` of
/// `system:serviceaccount:NS:NAME`. `None` when its trust was not read.
fn aws_trust(role: &Identity, namespace: &str, name: &str) -> (Option<bool>, Option<String>) {
    let Some(trust) = role.facts.get("aws").and_then(|f| f.get("trust")) else {
        return (None, None);
    };
    let subject = format!("system:serviceaccount:{namespace}:{name}");
    let statements: Vec<&Value> = trust["eks_oidc"]
        .as_array()
        .map(|a| a.iter().filter(|s| s["web_identity"] == true).collect())
        .unwrap_or_default();
    if statements.is_empty() {
        return (
            Some(false),
            Some("its trust lets no EKS cluster's OIDC provider in with sts:AssumeRoleWithWebIdentity".into()),
        );
    }
    let subs = |s: &Value| -> Vec<String> {
        s["sub"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    if statements.iter().any(|s| subs(s).contains(&subject)) {
        return (Some(true), None);
    }
    let issue = if let Some(pattern) = statements
        .iter()
        .filter(|s| s["sub_like"] == true)
        .flat_map(|s| subs(s))
        .find(|p| crate::policy::aws::eval::glob(p.as_bytes(), subject.as_bytes(), false))
    {
        format!("its trust's `sub` is the pattern `{pattern}`: other service accounts match it too")
    } else if statements.iter().any(|s| subs(s).is_empty()) {
        "its trust has no `sub` condition: every service account of the cluster can assume the role"
            .into()
    } else {
        format!("its trust's `sub` does not name {subject}")
    };
    (Some(false), Some(issue))
}

/// A list among an identity's facts (`identity.facts.gcp.impersonated_by`).
fn fact_list<'i>(i: &'i Identity, provider: &str, key: &str) -> Option<&'i Vec<Value>> {
    i.facts.get(provider).and_then(|f| f[key].as_array())
}

/// Whether the Google service account lets this account act as it
/// (`roles/iam.workloadIdentityUser` for `PROJECT.svc.id.goog[NS/NAME]`). `None` when who
/// can act as it was not read.
fn gcp_trust(account: &Identity, namespace: &str, name: &str) -> (Option<bool>, Option<String>) {
    let Some(members) = fact_list(account, "gcp", "impersonated_by") else {
        return (None, None);
    };
    let suffix = format!(".svc.id.goog[{namespace}/{name}]");
    let named = members.iter().any(|m| {
        m["role"] == "roles/iam.workloadIdentityUser"
            && m["member"].as_str().is_some_and(|s| s.ends_with(&suffix))
    });
    let issue = (!named).then(|| {
        format!("no roles/iam.workloadIdentityUser binding on it names the member `serviceAccount:PROJECT{suffix}`")
    });
    (Some(named), issue)
}

/// Whether the application has a federated credential whose subject is this account.
/// `None` when its federated credentials were not read.
fn azure_trust(app: &Identity, namespace: &str, name: &str) -> (Option<bool>, Option<String>) {
    let Some(creds) = fact_list(app, "azure", "federated_credentials") else {
        return (None, None);
    };
    let subject = format!("system:serviceaccount:{namespace}:{name}");
    let named = creds.iter().any(|c| c["subject"] == subject.as_str());
    let issue = (!named)
        .then(|| format!("no federated identity credential of it has the subject {subject}"));
    (Some(named), issue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_split_into_account_and_path() {
        assert_eq!(
            role_parts("arn:aws:iam::111122223333:role/ci/agent"),
            Some(("111122223333", "ci/agent"))
        );
        assert_eq!(role_parts("arn:aws:iam:::role/agent"), Some(("", "agent")));
        assert_eq!(role_parts("arn:aws:iam::1:user/agent"), None);
        assert_eq!(role_parts("not an arn"), None);
    }
}
