//! Google Cloud service accounts that belong to AI agents: the service agents of the
//! AI services (Vertex AI and its Agent Engine / reasoning engines, Dialogflow, Agent
//! Builder, Gemini), recognised by their email's domain; accounts labelled as an
//! agent's (service accounts carry no labels, so the label is written in their
//! description or display name: `nhi:agent`, `ai-agent`); and (with less confidence)
//! accounts whose display name or account id says so. Each gets an agent that holds it.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::{
    Agent, AgentKind, Confidence, Evidence, Identity, IdentityKind, Inventory, Location, Provider,
    SourceKind,
};

/// Service agents of AI services, by the `gcp-sa-…` part of their domain
/// (`service-PROJECT_NUMBER@gcp-sa-aiplatform-re.iam.gserviceaccount.com`).
pub const AI_SERVICE_AGENTS: &[(&str, &str)] = &[
    ("aiplatform", "Vertex AI"),
    (
        "aiplatform-re",
        "Vertex AI Agent Engine (reasoning engines)",
    ),
    ("aiplatform-cc", "Vertex AI custom code"),
    ("dialogflow", "Dialogflow"),
    ("discoveryengine", "Vertex AI Agent Builder"),
    ("cloudaicompanion", "Gemini for Google Cloud"),
];

use super::LABELS;

/// Display names that name a Google AI product the account runs for.
static PRODUCT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(vertex|agent engine|reasoning engine|agent builder|dialogflow|gemini)")
        .expect("static regex")
});

use super::NAME;

/// Adds an agent, and its `holds` edge, for every service account of the GCP source
/// that belongs to one.
pub fn classify(inv: &mut Inventory) {
    super::classify_identities(inv, is_account, agent_of);
}

fn is_account(i: &Identity) -> bool {
    i.provider == Provider::Gcp
        && i.kind == IdentityKind::GcpServiceAccount
        && i.facts.get("gcp").is_some_and(serde_json::Value::is_object)
}

fn fact<'a>(i: &'a Identity, key: &str) -> Option<&'a str> {
    i.facts["gcp"][key].as_str()
}

/// The agent account `i` belongs to, if its email, label or name says so.
fn agent_of(i: &Identity) -> Option<Agent> {
    let loc = i.locations.first().cloned().unwrap_or(Location::Uri {
        uri: i.name.clone(),
    });
    let display = fact(i, "display_name").unwrap_or("");
    let description = fact(i, "description").unwrap_or("");
    let account = i.name.split('@').next().unwrap_or(&i.name);
    let mut evidence = Vec::new();
    let mut confidence = None;
    let product = fact(i, "service_agent")
        .and_then(|s| AI_SERVICE_AGENTS.iter().find(|(domain, _)| *domain == s));
    if let Some((domain, product)) = product {
        evidence.push(Evidence::new(
            format!("the {product} service agent (gcp-sa-{domain})"),
            Some(loc.clone()),
        ));
        confidence = Some(Confidence::High);
    }
    for label in LABELS {
        let in_text = |t: &str| t.to_ascii_lowercase().contains(label);
        if in_text(description) || in_text(display) {
            evidence.push(Evidence::new(
                format!("labelled {label}"),
                Some(loc.clone()),
            ));
            confidence = confidence.or(Some(Confidence::High));
            break;
        }
    }
    if confidence.is_none() && PRODUCT.is_match(display) {
        evidence.push(Evidence::new(
            format!("its display name `{display}` names a Google AI service"),
            Some(loc.clone()),
        ));
        confidence = Some(Confidence::Medium);
    }
    if confidence.is_none() && (NAME.is_match(display) || NAME.is_match(account)) {
        let name = if NAME.is_match(display) {
            display
        } else {
            account
        };
        evidence.push(Evidence::new(
            format!("its name `{name}` suggests an AI agent"),
            Some(loc.clone()),
        ));
        confidence = Some(Confidence::Low);
    }
    Some(Agent {
        id: format!("agent:{}", i.id),
        name: match product {
            Some((_, product)) => format!("{product} service agent {}", i.name),
            None => format!("GCP service account {}", i.name),
        },
        kind: if product.is_some() {
            AgentKind::GcpServiceAgent
        } else {
            AgentKind::GcpServiceAccount
        },
        confidence: confidence?,
        evidence,
        source: SourceKind::Gcp,
        locations: vec![loc],
        facts: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EdgeKind;
    use crate::sources::gcp::{GcpInput, ServiceAccount};

    fn classified(accounts: &[(&str, &str, &str)]) -> Inventory {
        let input = GcpInput {
            accounts: accounts
                .iter()
                .map(|(email, display, description)| {
                    (
                        ServiceAccount {
                            email: email.to_string(),
                            display_name: Some(display.to_string()),
                            description: Some(description.to_string()),
                            ..Default::default()
                        },
                        "sa.json".to_string(),
                    )
                })
                .collect(),
            ..Default::default()
        };
        let mut inv = crate::sources::gcp::normalize(&input);
        classify(&mut inv);
        inv
    }

    fn agent<'a>(inv: &'a Inventory, email: &str) -> Option<&'a Agent> {
        let id = format!("agent:gcp:serviceAccount:{email}");
        inv.agents.iter().find(|a| a.id == id)
    }

    #[test]
    fn ai_service_agents_labels_and_names_make_agents() {
        let engine = "service-123@gcp-sa-aiplatform-re.iam.gserviceaccount.com";
        let labelled = "support@example-project.iam.gserviceaccount.com";
        let vertex = "runner@example-project.iam.gserviceaccount.com";
        let named = "llm-batch@example-project.iam.gserviceaccount.com";
        let plain = "billing@example-project.iam.gserviceaccount.com";
        let compute = "service-123@compute-system.iam.gserviceaccount.com";
        let inv = classified(&[
            (engine, "", ""),
            (labelled, "Support", "Runs the support bot. nhi:agent"),
            (vertex, "Vertex AI pipeline runner", ""),
            (named, "Batch", ""),
            (plain, "Billing export", "nightly job"),
            (compute, "", ""),
        ]);
        let a = agent(&inv, engine).expect("the Agent Engine service agent");
        assert_eq!(a.kind, AgentKind::GcpServiceAgent);
        assert_eq!(a.confidence, Confidence::High);
        assert_eq!(
            a.evidence[0].description,
            "the Vertex AI Agent Engine (reasoning engines) service agent (gcp-sa-aiplatform-re)"
        );
        let a = agent(&inv, labelled).expect("labelled");
        assert_eq!(a.kind, AgentKind::GcpServiceAccount);
        assert_eq!(a.confidence, Confidence::High);
        assert_eq!(a.evidence[0].description, "labelled nhi:agent");
        assert_eq!(
            agent(&inv, vertex).map(|a| a.confidence),
            Some(Confidence::Medium)
        );
        let a = agent(&inv, named).expect("named");
        assert_eq!(a.confidence, Confidence::Low);
        assert_eq!(
            a.evidence[0].description,
            "its name `llm-batch` suggests an AI agent"
        );
        assert!(agent(&inv, plain).is_none());
        assert!(agent(&inv, compute).is_none());
        assert_eq!(inv.agents.len(), 4);
        let holds: Vec<(&str, &str)> = inv
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Holds)
            .map(|e| (e.from.as_str(), e.to.as_str()))
            .collect();
        assert!(holds.contains(&(
            "agent:gcp:serviceAccount:support@example-project.iam.gserviceaccount.com",
            "gcp:serviceAccount:support@example-project.iam.gserviceaccount.com"
        )));
        assert_eq!(holds.len(), 4);
    }
}
