//! AWS principals that belong to AI agents: tagged as an agent's, trusted by a service
//! that runs agents, or (with low confidence) named like one. Each gets an agent that
//! holds it; the grants of the others are dropped, as only agents' grants are judged.

use std::collections::BTreeMap;

use regex::Regex;
use rustc_hash::FxHashSet;

use crate::model::{
    Agent, Confidence, Edge, EdgeKind, Evidence, Identity, IdentityKind, Inventory, Location,
    Provider, SourceKind,
};

/// How AWS principals are recognised as agents'.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// Tag keys that mark a principal as an AI agent's (`nhi:agent`, `ai-agent`, `agent`).
    pub agent_tag_keys: Vec<String>,
    /// Principals (by ARN) the activity logs saw agent clients act as, and which.
    pub acted_by_agents: std::collections::HashMap<String, Vec<String>>,
}

impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            agent_tag_keys: vec!["nhi:agent".into(), "ai-agent".into(), "agent".into()],
            acted_by_agents: Default::default(),
        }
    }
}

impl AwsOptions {
    /// The tag keys given by `--agent-tag`; none given means the defaults.
    pub fn with_tags(tags: &[String]) -> Self {
        if tags.is_empty() {
            AwsOptions::default()
        } else {
            AwsOptions {
                agent_tag_keys: tags.to_vec(),
                ..AwsOptions::default()
            }
        }
    }
}

/// Services whose roles are assumed by AI agent runtimes.
const AGENT_SERVICES: &[&str] = &[
    "bedrock.amazonaws.com",
    "bedrock-agentcore.amazonaws.com",
    "sagemaker.amazonaws.com",
];

/// Adds an agent, and its `holds` edge, for every IAM user and role of the AWS source
/// that belongs to one. Runs on the sources' fragments before they are merged, as the
/// source once did itself: one agent per principal of each export read.
pub fn classify(inv: &mut Inventory, opts: &AwsOptions) {
    let mut agents = Vec::new();
    let mut edges = Vec::new();
    let mut held: FxHashSet<&str> = FxHashSet::default();
    let mut others: FxHashSet<&str> = FxHashSet::default();
    // Principals an agent defined in infrastructure code already acts as (an
    // `aws_bedrockagent_agent`'s role): that agent is theirs, not a second one.
    let defined: FxHashSet<String> = inv
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Holds && e.from.starts_with("iac:"))
        .map(|e| e.to.clone())
        .collect();
    for identity in inv.identities.iter().filter(|i| is_principal(i)) {
        if defined.contains(&identity.id) {
            held.insert(&identity.id);
            continue;
        }
        let Some(agent) = agent_of(identity, opts) else {
            others.insert(&identity.id);
            continue;
        };
        edges.push(Edge {
            kind: EdgeKind::Holds,
            from: agent.id.clone(),
            to: identity.id.clone(),
            evidence: format!("acts as {}", arn_of(identity)),
            location: agent.locations.first().cloned(),
        });
        agents.push(agent);
        held.insert(&identity.id);
    }
    inv.grants
        .retain(|g| held.contains(g.identity.as_str()) || !others.contains(g.identity.as_str()));
    inv.agents.extend(agents);
    inv.edges.extend(edges);
}

/// Whether `i` is a principal [`classify`] makes an agent of.
pub fn is_agent(i: &Identity, opts: &AwsOptions) -> bool {
    is_principal(i) && agent_of(i, opts).is_some()
}

/// Names that say an agent runs as the principal.
static NAME: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
    Regex::new(
        r"(?i)(agent|bedrock|llm|claude|openai|anthropic|gpt|copilot|mcp|genai|chatbot|\bai[-_])",
    )
    .expect("static regex")
});

/// An IAM user or role the AWS source read from an export or the API (not a user only
/// the credential report knows, nor a node standing for the account).
fn is_principal(i: &Identity) -> bool {
    i.provider == Provider::Aws
        && matches!(i.kind, IdentityKind::AwsUser | IdentityKind::AwsRole)
        && i.id.starts_with("aws:")
        && i.facts.get("aws").is_some_and(|f| {
            f.is_object() && f["only_in_credential_report"] != serde_json::Value::Bool(true)
        })
}

fn arn_of(i: &Identity) -> &str {
    i.id.strip_prefix("aws:").unwrap_or(&i.id)
}

/// The services a principal's trust policy lets in, sorted, each once.
fn trusted_services(i: &Identity) -> Vec<&str> {
    let mut out: Vec<&str> = i.facts["aws"]["trust"]["services"]
        .as_array()
        .map(|list| list.iter().filter_map(|s| s.as_str()).collect())
        .unwrap_or_default();
    out.sort_unstable();
    out.dedup();
    out
}

/// The agent principal `i` belongs to, if its tags, the services it trusts or its name
/// say it belongs to one.
fn agent_of(i: &Identity, opts: &AwsOptions) -> Option<Agent> {
    let arn = arn_of(i);
    // Where the principal is defined when that is a file (Terraform), else its ARN.
    let loc = i
        .locations
        .iter()
        .find(|l| matches!(l, Location::File { .. }))
        .cloned()
        .unwrap_or_else(|| Location::Uri {
            uri: arn.to_string(),
        });
    let source = match loc {
        Location::File { .. } => SourceKind::Iac,
        Location::Uri { .. } => SourceKind::Aws,
    };
    let mut evidence = Vec::new();
    let mut confidence = None;
    for (key, value) in agent_tags(&i.tags, opts) {
        evidence.push(Evidence::new(
            format!("tagged {key}={value}"),
            Some(loc.clone()),
        ));
        confidence = Some(Confidence::High);
    }
    let agent_services: Vec<&str> = trusted_services(i)
        .into_iter()
        .filter(|s| AGENT_SERVICES.contains(s))
        .collect();
    if !agent_services.is_empty() {
        evidence.push(Evidence::new(
            format!("trusted by {}", agent_services.join(", ")),
            Some(loc.clone()),
        ));
        confidence = confidence.or(Some(Confidence::Medium));
    }
    if let Some(clients) = opts.acted_by_agents.get(arn) {
        evidence.push(Evidence::new(
            format!(
                "its activity log shows calls made by {}",
                clients.join(", ")
            ),
            Some(loc.clone()),
        ));
        confidence = confidence.or(Some(Confidence::Medium));
    }
    if confidence.is_none() && NAME.is_match(&i.name) {
        evidence.push(Evidence::new(
            format!("its name `{}` suggests an AI agent", i.name),
            Some(loc.clone()),
        ));
        confidence = Some(Confidence::Low);
    }
    let is_user = i.kind == IdentityKind::AwsUser;
    Some(Agent {
        id: format!("agent:aws:{arn}"),
        name: format!(
            "{} {}",
            if is_user { "IAM user" } else { "IAM role" },
            i.name
        ),
        kind: if agent_services.is_empty() {
            "aws-principal"
        } else {
            "aws-service-agent"
        }
        .into(),
        confidence: confidence?,
        evidence,
        source,
        locations: vec![loc],
        facts: Default::default(),
    })
}

/// The agent tags a principal carries, in the order of the keys: the key matched
/// exactly, else in any case; a value of `false`, `no` or `0` says it is not an agent's.
fn agent_tags<'t>(
    tags: &'t BTreeMap<String, String>,
    opts: &'t AwsOptions,
) -> impl Iterator<Item = (&'t str, &'t str)> {
    opts.agent_tag_keys.iter().filter_map(move |key| {
        let v = tags.get(key).or_else(|| {
            tags.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })?;
        (!matches!(v.to_ascii_lowercase().as_str(), "false" | "no" | "0"))
            .then_some((key.as_str(), v.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Grant;
    use crate::sources::aws::AwsInput;

    const ACCOUNT: &str = "arn:aws:iam::111122223333";

    fn role(name: &str, tags: serde_json::Value, service: &str) -> serde_json::Value {
        json!({
            "Path": "/", "RoleName": name, "RoleId": "R", "Arn": format!("{ACCOUNT}:role/{name}"),
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow",
                "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument":
                {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}],
            "Tags": tags,
        })
    }

    fn input(roles: Vec<serde_json::Value>) -> AwsInput {
        let gaad = json!({"RoleDetailList": roles});
        AwsInput {
            gaad: serde_json::from_str(&gaad.to_string()).expect("a GAAD"),
            origin: "test.json".into(),
            ..Default::default()
        }
    }

    /// What the AWS source reports for these roles, classified with `opts`.
    fn classified(roles: Vec<serde_json::Value>, opts: &AwsOptions) -> Inventory {
        let mut inv = crate::sources::aws::normalize(&input(roles), &|_| true);
        classify(&mut inv, opts);
        inv
    }

    #[test]
    fn the_source_builds_grants_only_for_the_principals_the_analysis_judges() {
        let roles = vec![
            role("kb", json!([]), "bedrock.amazonaws.com"),
            role("billing", json!([]), "ec2.amazonaws.com"),
        ];
        let opts = AwsOptions::default();
        let inv = crate::sources::aws::normalize(&input(roles), &|i| is_agent(i, &opts));
        assert_eq!(grants_of(&inv, "kb").len(), 1);
        assert!(grants_of(&inv, "billing").is_empty());
        assert_eq!(inv.identities.len(), 2, "every principal is still reported");
    }

    fn agent<'a>(inv: &'a Inventory, name: &str) -> Option<&'a Agent> {
        let id = format!("agent:aws:{ACCOUNT}:role/{name}");
        inv.agents.iter().find(|a| a.id == id)
    }

    fn grants_of<'a>(inv: &'a Inventory, name: &str) -> Vec<&'a Grant> {
        let id = format!("aws:{ACCOUNT}:role/{name}");
        inv.grants.iter().filter(|g| g.identity == id).collect()
    }

    #[test]
    fn a_tagged_role_is_an_agents_and_holds_its_grants() {
        let inv = classified(
            vec![role(
                "runner",
                json!([{"Key": "NHI:Agent", "Value": "support-bot"}]),
                "ec2.amazonaws.com",
            )],
            &AwsOptions::default(),
        );
        let a = agent(&inv, "runner").expect("an agent");
        assert_eq!(a.kind, "aws-principal");
        assert_eq!(a.name, "IAM role runner");
        assert_eq!(a.confidence, Confidence::High);
        let evidence: Vec<&str> = a.evidence.iter().map(|e| e.description.as_str()).collect();
        assert_eq!(evidence, ["tagged nhi:agent=support-bot"]);
        let holds: Vec<(&str, &str)> = inv
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Holds)
            .map(|e| (e.from.as_str(), e.to.as_str()))
            .collect();
        assert_eq!(
            holds,
            [(
                "agent:aws:arn:aws:iam::111122223333:role/runner",
                "aws:arn:aws:iam::111122223333:role/runner"
            )]
        );
        assert_eq!(grants_of(&inv, "runner").len(), 1);
    }

    #[test]
    fn a_role_bedrock_assumes_is_an_agents_and_a_plain_role_is_not() {
        let inv = classified(
            vec![
                role("kb", json!([]), "bedrock.amazonaws.com"),
                role("billing", json!([]), "lambda.amazonaws.com"),
                role(
                    "switched-off",
                    json!([{"Key": "agent", "Value": "No"}]),
                    "ec2.amazonaws.com",
                ),
            ],
            &AwsOptions::default(),
        );
        let a = agent(&inv, "kb").expect("an agent");
        assert_eq!(a.kind, "aws-service-agent");
        assert_eq!(a.confidence, Confidence::Medium);
        assert_eq!(
            a.evidence[0].description,
            "trusted by bedrock.amazonaws.com"
        );
        assert!(agent(&inv, "billing").is_none());
        assert!(agent(&inv, "switched-off").is_none());
        assert_eq!(inv.agents.len(), 1);
        // Only agents' grants are kept; the identities all stay.
        assert_eq!(grants_of(&inv, "kb").len(), 1);
        assert!(grants_of(&inv, "billing").is_empty());
        assert_eq!(inv.identities.len(), 3);
    }

    #[test]
    fn a_name_like_an_agents_is_low_confidence() {
        let inv = classified(
            vec![role("claude-runner", json!([]), "ec2.amazonaws.com")],
            &AwsOptions::default(),
        );
        let a = agent(&inv, "claude-runner").expect("an agent");
        assert_eq!(a.confidence, Confidence::Low);
        assert_eq!(
            a.evidence[0].description,
            "its name `claude-runner` suggests an AI agent"
        );
    }

    #[test]
    fn agent_tag_keys_replace_the_defaults() {
        let opts = AwsOptions::with_tags(&["workload".to_string()]);
        assert_eq!(opts.agent_tag_keys, ["workload"]);
        let inv = classified(
            vec![
                role(
                    "etl",
                    json!([{"Key": "workload", "Value": "crew"}]),
                    "ec2.amazonaws.com",
                ),
                role(
                    "tagged",
                    json!([{"Key": "nhi:agent", "Value": "true"}]),
                    "ec2.amazonaws.com",
                ),
            ],
            &opts,
        );
        let a = agent(&inv, "etl").expect("an agent");
        assert_eq!(a.evidence[0].description, "tagged workload=crew");
        assert!(agent(&inv, "tagged").is_none());
        assert_eq!(
            AwsOptions::with_tags(&[]).agent_tag_keys,
            AwsOptions::default().agent_tag_keys
        );
    }

    #[test]
    fn only_principals_of_the_aws_source_are_classified() {
        let mut inv = Inventory::default();
        let mut root = Identity::new(
            format!("aws:{ACCOUNT}:root"),
            "aws-user",
            "aws",
            "agent-root",
        );
        root.facts.insert(
            "aws".into(),
            json!({"only_in_credential_report": true, "trust": {"services": []}}),
        );
        inv.identities.push(root);
        inv.identities.push(Identity::new(
            "repo:x",
            "llm-api-key",
            "openai",
            "agent key",
        ));
        inv.grants.push(Grant {
            identity: "repo:x".into(),
            action: "contents:write".into(),
            resource: "*".into(),
            effect: crate::model::Effect::Allow,
            access_level: crate::model::AccessLevel::Write,
            source: "workflow".into(),
            location: None,
        });
        classify(&mut inv, &AwsOptions::default());
        assert!(inv.agents.is_empty());
        assert_eq!(inv.grants.len(), 1);
    }
}
