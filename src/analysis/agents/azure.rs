//! Microsoft Entra applications, service principals and managed identities that belong
//! to AI agents: those tagged as an agent's (`nhi:agent`, `ai-agent` in the application's
//! or service principal's `tags`); (with medium confidence) those whose display name
//! names an Azure AI service — Microsoft documents no fixed application ids for the
//! identities of Azure OpenAI, Azure AI Foundry or Copilot Studio agents, so only the
//! name tells; and (with low confidence) those whose name says an agent. Each gets an
//! agent that holds it.

use std::sync::LazyLock;

use regex::Regex;

use super::{LABELS, NAME};
use crate::model::{
    Agent, AgentKind, Confidence, Evidence, Identity, IdentityKind, Inventory, Location, Provider,
    SourceKind,
};

/// Display names that name an Azure AI service the identity runs for.
static PRODUCT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(azure openai|openai service|ai foundry|azure ai services|ai studio|copilot studio|power virtual agents|azure bot service)",
    )
    .expect("static regex")
});

/// Adds an agent, and its `holds` edge, for every Azure identity that belongs to one.
pub fn classify(inv: &mut Inventory) {
    super::classify_identities(inv, is_azure, agent_of);
}

fn is_azure(i: &Identity) -> bool {
    i.provider == Provider::Azure
        && matches!(
            i.kind,
            IdentityKind::AzureApplication
                | IdentityKind::AzureServicePrincipal
                | IdentityKind::AzureManagedIdentity
        )
        && i.facts
            .get("azure")
            .is_some_and(serde_json::Value::is_object)
}

/// The agent identity `i` belongs to, if its tags or name say so.
fn agent_of(i: &Identity) -> Option<Agent> {
    let facts = &i.facts["azure"];
    let loc = i.locations.first().cloned().unwrap_or(Location::Uri {
        uri: i.name.clone(),
    });
    let display = facts["display_name"].as_str().unwrap_or("");
    let tags: Vec<String> = facts["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut evidence = Vec::new();
    let mut confidence = None;
    let mut service = false;
    if let Some(label) = LABELS.iter().find(|l| {
        tags.iter()
            .any(|t| t == *l || t.starts_with(&format!("{l}:")) || t.starts_with(&format!("{l}=")))
    }) {
        evidence.push(Evidence::new(format!("tagged {label}"), Some(loc.clone())));
        confidence = Some(Confidence::High);
    }
    if confidence.is_none() && PRODUCT.is_match(display) {
        evidence.push(Evidence::new(
            format!("its display name `{display}` names an Azure AI service"),
            Some(loc.clone()),
        ));
        confidence = Some(Confidence::Medium);
        service = true;
    }
    if confidence.is_none() && NAME.is_match(display) {
        evidence.push(Evidence::new(
            format!("its name `{display}` suggests an AI agent"),
            Some(loc.clone()),
        ));
        confidence = Some(Confidence::Low);
    }
    let what = match i.kind {
        IdentityKind::AzureManagedIdentity => "managed identity",
        IdentityKind::AzureApplication => "application",
        _ => "service principal",
    };
    Some(Agent {
        id: format!("agent:{}", i.id),
        name: format!("Azure {what} {}", i.name),
        kind: if service {
            AgentKind::AzureServiceAgent
        } else {
            AgentKind::AzureServicePrincipal
        },
        confidence: confidence?,
        evidence,
        source: SourceKind::Azure,
        locations: vec![loc],
        facts: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EdgeKind;
    use crate::sources::azure::{Application, AzureInput, ServicePrincipal};

    fn sp(
        id: &str,
        app: &str,
        name: &str,
        kind: &str,
        tags: &[&str],
    ) -> (ServicePrincipal, String) {
        (
            ServicePrincipal {
                id: id.into(),
                app_id: app.into(),
                display_name: Some(name.into()),
                service_principal_type: Some(kind.into()),
                tags: tags.iter().map(|t| t.to_string()).collect(),
                ..Default::default()
            },
            "sps.json".into(),
        )
    }

    #[test]
    fn tags_ai_service_names_and_names_make_agents() {
        let input = AzureInput {
            applications: vec![(
                Application {
                    id: "o1".into(),
                    app_id: "app-1".into(),
                    display_name: Some("Support".into()),
                    tags: vec!["NHI:Agent".into()],
                    ..Default::default()
                },
                "apps.json".into(),
            )],
            service_principals: vec![
                sp("s1", "app-1", "Support", "Application", &[]),
                sp(
                    "s2",
                    "app-2",
                    "Contoso Azure OpenAI runner",
                    "ManagedIdentity",
                    &[],
                ),
                sp("s3", "app-3", "llm-batch", "Application", &[]),
                sp(
                    "s4",
                    "app-4",
                    "Billing export",
                    "Application",
                    &["WindowsAzureActiveDirectoryIntegratedApp"],
                ),
            ],
            ..Default::default()
        };
        let mut inv = crate::sources::azure::normalize(&input);
        classify(&mut inv);
        let agent = |id: &str| inv.agents.iter().find(|a| a.id == format!("agent:{id}"));
        let a = agent("azure:app:app-1").expect("tagged");
        assert_eq!(
            (a.confidence, a.kind.clone()),
            (Confidence::High, AgentKind::AzureServicePrincipal)
        );
        assert_eq!(a.evidence[0].description, "tagged nhi:agent");
        let a = agent("azure:sp:s2").expect("AI service");
        assert_eq!(
            (a.confidence, a.kind.clone()),
            (Confidence::Medium, AgentKind::AzureServiceAgent)
        );
        assert_eq!(a.name, "Azure managed identity Contoso Azure OpenAI runner");
        assert_eq!(
            agent("azure:sp:s3").map(|a| a.confidence),
            Some(Confidence::Low)
        );
        assert!(agent("azure:sp:s4").is_none());
        assert_eq!(inv.agents.len(), 3);
        assert_eq!(
            inv.edges
                .iter()
                .filter(|e| e.kind == EdgeKind::Holds)
                .count(),
            3
        );
    }
}
