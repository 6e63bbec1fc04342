//! Which identities belong to AI agents. Sources report what they read; the agents of
//! a cloud account are decided here, from what the AWS source reported (tags, trust,
//! names), what the GCP source reported (service agents, labels, names), what the Azure source
//! reported (tags, AI service names, names), and from the
//! agents the config declares.

pub mod aws;
pub mod azure;
pub mod declared;
pub mod gcp;

use std::sync::LazyLock;

use regex::Regex;

use crate::model::{Agent, Identity, Inventory};

/// Adds an agent, and its `holds` edge, for every identity `pick` selects that
/// `agent_of` finds an agent's.
pub(crate) fn classify_identities(
    inv: &mut Inventory,
    pick: impl Fn(&Identity) -> bool,
    agent_of: impl Fn(&Identity) -> Option<Agent>,
) {
    let mut agents = Vec::new();
    let mut edges = Vec::new();
    for identity in inv.identities.iter().filter(|i| pick(i)) {
        let Some(agent) = agent_of(identity) else {
            continue;
        };
        edges.push(crate::analysis::links::agent_holds(
            &agent,
            identity.id.clone(),
            format!("acts as {}", identity.name),
        ));
        agents.push(agent);
    }
    inv.agents.extend(agents);
    inv.edges.extend(edges);
}

/// Labels that say a cloud identity is an agent's (in a tag, a description or a name).
pub(crate) const LABELS: &[&str] = &["nhi:agent", "ai-agent"];

/// Names that say an agent runs as an identity.
pub(crate) static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(agent|llm|claude|openai|anthropic|gpt|copilot|mcp|genai|chatbot|\bai[-_ ])")
        .expect("static regex")
});

pub use aws::AwsOptions;
