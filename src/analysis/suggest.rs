//! Right-sized policies from use: for each principal, the actions it used in the window
//! (calls that succeeded), on the resources the logs saw, as a document the provider
//! accepts. What was tried and refused is left out; what the logs do not name as a
//! known action is listed for a person to decide.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use crate::model::{ActionUse, Activity, ActivityWindow, Provider};
use crate::sources::activity::parse_time;

/// A suggested policy for one principal.
#[derive(Debug, Clone, Serialize)]
pub struct Suggested {
    pub principal: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    pub provider: Provider,
    /// The agents holding the identity.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<String>,
    /// Used actions, and how many the current grants allow (when known).
    pub used_actions: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_actions: Option<u64>,
    /// The document: an IAM policy (AWS), a custom role (Google Cloud), a role definition
    /// (Azure).
    pub policy: serde_json::Value,
    /// Actions the logs show that no catalogue names: add them by hand if needed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmapped: Vec<String>,
    /// What a person should check before applying it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The actions of `a` used (and allowed) inside `window`.
pub fn used<'a>(a: &'a Activity, window: Option<&ActivityWindow>) -> Vec<&'a ActionUse> {
    let start = window.and_then(|w| parse_time(&w.start));
    a.actions
        .iter()
        .filter(|x| x.count > 0)
        .filter(|x| start.is_none_or(|s| parse_time(&x.last).is_some_and(|l| l >= s)))
        .collect()
}

/// An IAM policy of what an AWS principal used: one statement per service and set of
/// resources, actions sorted; `*` where a call named no resource or more resources
/// were seen than the record keeps.
pub fn aws_policy(a: &Activity, window: Option<&ActivityWindow>) -> Suggested {
    let mut unmapped = Vec::new();
    let mut notes = Vec::new();
    // (service, resources) → actions
    let mut groups: BTreeMap<(String, Vec<String>), Vec<String>> = BTreeMap::new();
    let mut count = 0;
    for x in used(a, window) {
        if x.level.is_none() {
            unmapped.push(x.action.clone());
            continue;
        }
        count += 1;
        let service = x.action.split(':').next().unwrap_or("").to_string();
        let resources = if x.unscoped > 0 || x.resources.is_empty() {
            vec!["*".to_string()]
        } else if x.resources_more > 0 {
            notes.push(format!(
                "{} acted on more than {} resources: allowed on * — narrow it by hand",
                x.action,
                x.resources.len()
            ));
            vec!["*".to_string()]
        } else {
            x.resources.clone()
        };
        groups
            .entry((service, resources))
            .or_default()
            .push(x.action.clone());
    }
    let mut per_service: BTreeMap<&str, usize> = BTreeMap::new();
    let statements: Vec<serde_json::Value> = groups
        .iter()
        .map(|((service, resources), actions)| {
            let n = per_service.entry(service).or_default();
            *n += 1;
            let sid = format!("Used{}{}", sid_word(service), n);
            let mut actions = actions.clone();
            actions.sort();
            json!({
                "Sid": sid,
                "Effect": "Allow",
                "Action": actions,
                "Resource": resources,
            })
        })
        .collect();
    if statements.is_empty() {
        notes.push("no allowed call in the window: the principal needs no permissions for what the logs show".into());
    }
    Suggested {
        principal: a.principal.clone(),
        identity: a.identity.clone(),
        provider: Provider::Aws,
        agents: Vec::new(),
        used_actions: count,
        granted_actions: None,
        policy: json!({ "Version": "2012-10-17", "Statement": statements }),
        unmapped,
        notes,
    }
}

/// A custom role of what a Google service account used, as `gcloud iam roles create
/// ROLE_ID --project=P --file=FILE` takes it: `title`, `description`, `stage`,
/// `includedPermissions` — the permissions IAM granted it in the window, sorted. Calls
/// named only by their method (no permission logged) are listed as unmapped.
pub fn gcp_role(a: &Activity, window: Option<&ActivityWindow>) -> Suggested {
    let mut unmapped = Vec::new();
    let mut permissions = Vec::new();
    for x in used(a, window) {
        if x.level.is_some() {
            permissions.push(x.action.clone());
        } else {
            unmapped.push(x.action.clone());
        }
    }
    permissions.sort();
    permissions.dedup();
    let mut notes = vec![
        "some permissions cannot be in a custom role (Google's custom role support levels): \
         gcloud names any it refuses"
            .to_string(),
    ];
    if permissions.is_empty() {
        notes.push(
            "no permission granted in the window: the account needs none for what the logs show"
                .into(),
        );
    }
    let name = a.principal.split('@').next().unwrap_or(&a.principal);
    let policy = json!({
        "title": format!("Used by {name}"),
        "description": format!(
            "The permissions {} used{}, from its audit logs (nhi-audit suggest-policy)",
            a.principal,
            window.map(|w| format!(" from {} to {}", w.start, w.end)).unwrap_or_default()
        ),
        "stage": "GA",
        "includedPermissions": permissions,
    });
    Suggested {
        principal: a.principal.clone(),
        identity: a.identity.clone(),
        provider: Provider::Gcp,
        agents: Vec::new(),
        used_actions: permissions.len(),
        granted_actions: None,
        policy,
        unmapped,
        notes,
    }
}

/// A custom role definition of what an Azure service principal used, as `az role
/// definition create --role-definition FILE` takes it: the operations it called that
/// succeeded (`Actions`, sorted), assignable at the subscriptions and resource groups it
/// called them in. Sign-ins are not role actions: they are listed as unmapped.
pub fn azure_role(a: &Activity, window: Option<&ActivityWindow>) -> Suggested {
    let mut unmapped = Vec::new();
    let mut actions = Vec::new();
    let mut scopes = std::collections::BTreeSet::new();
    let mut notes = Vec::new();
    for x in used(a, window) {
        if x.level.is_none() {
            unmapped.push(x.action.clone());
            continue;
        }
        actions.push(x.action.clone());
        scopes.extend(x.resources.iter().filter_map(|r| assignable_scope(r)));
        if x.resources_more > 0 {
            notes.push(format!(
                "{} was called on more than {} scopes: AssignableScopes lists those kept — add the others by hand",
                x.action,
                x.resources.len()
            ));
        }
    }
    actions.sort();
    actions.dedup();
    if actions.is_empty() {
        notes.push("no operation succeeded in the window: the principal needs no role for what the logs show".into());
    }
    if scopes.is_empty() && !actions.is_empty() {
        notes.push("the logs name no scope: set AssignableScopes by hand".into());
    }
    notes.push(
        "the activity log records writes, deletes and actions, not reads: add the reads it needs by hand"
            .into(),
    );
    let policy = json!({
        "Name": format!("Used by {}", a.principal),
        "IsCustom": true,
        "Description": format!(
            "The operations {} used{}, from the activity log (nhi-audit suggest-policy)",
            a.principal,
            window.map(|w| format!(" from {} to {}", w.start, w.end)).unwrap_or_default()
        ),
        "Actions": actions,
        "NotActions": [],
        "DataActions": [],
        "NotDataActions": [],
        "AssignableScopes": scopes.into_iter().collect::<Vec<_>>(),
    });
    Suggested {
        principal: a.principal.clone(),
        identity: a.identity.clone(),
        provider: Provider::Azure,
        agents: Vec::new(),
        used_actions: actions.len(),
        granted_actions: None,
        policy,
        unmapped,
        notes,
    }
}

/// A scope reduced to its resource group or subscription
/// (`/subscriptions/S/resourceGroups/G/providers/…` → `/subscriptions/S/resourceGroups/G`);
/// `None` for one outside a subscription (a management group, the tenant root).
fn assignable_scope(scope: &str) -> Option<String> {
    let parts: Vec<&str> = scope.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        [s, sub, g, group, ..]
            if s.eq_ignore_ascii_case("subscriptions")
                && g.eq_ignore_ascii_case("resourceGroups")
                && !group.is_empty() =>
        {
            Some(format!("/subscriptions/{sub}/resourceGroups/{group}"))
        }
        [s, sub, ..] if s.eq_ignore_ascii_case("subscriptions") && !sub.is_empty() => {
            Some(format!("/subscriptions/{sub}"))
        }
        _ => None,
    }
}

/// `s3` → `S3`, `bedrock-runtime` → `BedrockRuntime`: a statement id's word (IAM allows
/// only alphanumerics).
fn sid_word(service: &str) -> String {
    service
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_scopes_reduce_to_their_resource_group_or_subscription() {
        assert_eq!(
            assignable_scope(
                "/subscriptions/s1/resourceGroups/g1/providers/Microsoft.Storage/storageAccounts/a"
            ),
            Some("/subscriptions/s1/resourceGroups/g1".into())
        );
        assert_eq!(
            assignable_scope("/subscriptions/s1/providers/Microsoft.Compute/virtualMachines/v"),
            Some("/subscriptions/s1".into())
        );
        assert_eq!(
            assignable_scope("/providers/Microsoft.Management/managementGroups/m"),
            None
        );
    }

    #[test]
    fn statement_ids_are_alphanumeric() {
        assert_eq!(sid_word("bedrock-runtime"), "BedrockRuntime");
        assert_eq!(sid_word("s3"), "S3");
    }
}
