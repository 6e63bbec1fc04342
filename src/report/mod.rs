//! Reports render the same findings and inventory; they never compute facts.

pub mod graph;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod table;
pub mod term;
pub mod text;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::findings::{Finding, StaleIgnore, Suppressed};
use crate::model::{Category, Inventory, SourceError};
use crate::rules::{Rule, Severity};

pub const REPORT_SCHEMA: &str = "nhi-audit/report/v1";

/// The whole result of a scan: what every renderer reads.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    /// Always `nhi-audit/report/v1` for this shape.
    pub schema: String,
    pub tool: Tool,
    /// The paths and sources that were asked for.
    pub scanned: Vec<String>,
    /// True when a requested source failed and results are incomplete.
    pub partial: bool,
    pub summary: Summary,
    pub inventory: Inventory,
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    pub stale_ignores: Vec<StaleIgnore>,
    /// What a source could not read, and why.
    pub errors: Vec<SourceError>,
    /// Rule conditions that could not be evaluated on some subject.
    pub warnings: Vec<String>,
    /// The rules that ran, for renderers that describe them (SARIF, Markdown).
    #[serde(skip)]
    pub rules: Vec<RuleInfo>,
    /// The folder file paths are relative to (SARIF's `%SRCROOT%`); never serialised,
    /// so that reports of the same files are identical wherever they were made.
    #[serde(skip)]
    pub source_root: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub agents: usize,
    pub identities: usize,
    pub credentials: usize,
    pub findings: usize,
    pub by_severity: BTreeMap<String, usize>,
    pub by_category: BTreeMap<Category, usize>,
    pub suppressed: usize,
    pub errors: usize,
}

/// What a renderer needs to know of a rule.
#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub id: String,
    pub name: String,
    pub title: String,
    pub description: String,
    pub severity: Severity,
    pub category: Category,
    pub remediation: String,
    pub controls: BTreeMap<String, Vec<String>>,
}

impl From<&Rule> for RuleInfo {
    fn from(r: &Rule) -> Self {
        RuleInfo {
            id: r.id.clone(),
            name: r.name.clone(),
            title: r.title.clone(),
            description: r.description.clone(),
            severity: r.severity,
            category: r.category,
            remediation: r.remediation.clone(),
            controls: r.controls.clone(),
        }
    }
}

impl Summary {
    pub fn of(
        inventory: &Inventory,
        findings: &[Finding],
        suppressed: usize,
        errors: usize,
    ) -> Self {
        let mut s = Summary {
            agents: inventory.agents.len(),
            identities: inventory.identities.len(),
            credentials: inventory.credentials.len(),
            findings: findings.len(),
            suppressed,
            errors,
            ..Summary::default()
        };
        for f in findings {
            *s.by_severity
                .entry(f.severity.as_str().to_string())
                .or_default() += 1;
            *s.by_category.entry(f.category).or_default() += 1;
        }
        s
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Sarif,
    Markdown,
}

/// Renders a report; the terminal only matters to the table.
pub fn render(report: &Report, format: Format, term: &term::Term) -> String {
    match format {
        Format::Table => table::render(report, term),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Markdown => markdown::render(report),
    }
}
