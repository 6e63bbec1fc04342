//! What rules judge, and how a finding is kept out: kinds of subject, inline suppressions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a rule is evaluated over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    Agent,
    Identity,
    Credential,
    Grant,
    Chain,
    Change,
}

impl SubjectKind {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "agent" => SubjectKind::Agent,
            "identity" => SubjectKind::Identity,
            "credential" => SubjectKind::Credential,
            "grant" => SubjectKind::Grant,
            "chain" => SubjectKind::Chain,
            "change" => SubjectKind::Change,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Agent => "agent",
            SubjectKind::Identity => "identity",
            SubjectKind::Credential => "credential",
            SubjectKind::Grant => "grant",
            SubjectKind::Chain => "chain",
            SubjectKind::Change => "change",
        }
    }
}

/// One inline suppression comment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct InlineIgnore {
    pub path: String,
    pub line: u32,
    pub rules: Vec<String>,
    pub reason: String,
}
