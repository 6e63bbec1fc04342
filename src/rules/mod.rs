//! Rules: YAML metadata plus a CEL condition over the facts analysis derives. A rule says
//! what is wrong; analysis supplies the facts. Users add rules without recompiling.

mod eval;
mod load;
mod template;
pub mod vocabulary;

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::{Category, Confidence};

pub use eval::{AgentScope, BoundVars, EvalError, Match, Reads, Subject as EvalSubject, evaluate};
pub use load::{LoadError, builtin_rules, load_dir, load_rule_text};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

pub use crate::model::SubjectKind;

/// One `severity_if` entry.
#[derive(Debug)]
pub struct SeverityIf {
    pub when: String,
    pub program: cel::Program,
    /// The paths the condition reads (see [`Rule::reads`]).
    pub reads: Vec<Vec<String>>,
    pub severity: Severity,
}

/// A loaded, validated rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub confidence: Confidence,
    /// One of a fixed list, so reports group the same way across versions.
    pub category: Category,
    pub subject: SubjectKind,
    pub when: String,
    pub program: cel::Program,
    /// The paths `when` reads (`["identity", "facts", "aws", "admin"]`), found once at
    /// load: what the judge converts of each subject. An empty path reads everything.
    pub reads: Vec<Vec<String>>,
    /// `severity_if`: the first condition that holds sets the finding's severity (what
    /// the subject holds decides how bad it is); none holding leaves `severity`.
    pub severity_if: Vec<SeverityIf>,
    pub message: String,
    /// `locations`: template paths (`agent.facts.tool_scope.shell_any_by.*.at`) whose
    /// `file:line:column` values a finding points at instead of its subject's locations.
    pub locations: Vec<String>,
    pub remediation: String,
    pub controls: BTreeMap<String, Vec<String>>,
    pub examples_match: Vec<PathBuf>,
    pub examples_no_match: Vec<PathBuf>,
    /// Where the rule came from: `builtin:rules/X.yaml` or a path.
    pub origin: String,
}
