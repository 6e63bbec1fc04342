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
    fn statement_ids_are_alphanumeric() {
        assert_eq!(sid_word("bedrock-runtime"), "BedrockRuntime");
        assert_eq!(sid_word("s3"), "S3");
    }
}
