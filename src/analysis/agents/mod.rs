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

/// Labels that say a cloud identity is an agent's (in a tag, a description or a name).
pub(crate) const LABELS: &[&str] = &["nhi:agent", "ai-agent"];

/// Names that say an agent runs as an identity.
pub(crate) static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(agent|llm|claude|openai|anthropic|gpt|copilot|mcp|genai|chatbot|\bai[-_ ])")
        .expect("static regex")
});

pub use aws::AwsOptions;
