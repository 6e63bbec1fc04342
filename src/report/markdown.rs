//! Markdown for auditors: a summary, which controls of each framework have findings, the
//! findings with their remediation, and the inventory.

use std::collections::BTreeMap;

use super::Report;
use crate::controls::CATALOGUES;
use crate::rules::Severity;

pub fn render(report: &Report) -> String {
    let mut md = String::new();
    let s = &report.summary;
    md.push_str("# nhi-audit report\n\n");
    md.push_str(&format!(
        "Scanned: {}\n\n",
        report
            .scanned
            .iter()
            .map(|p| code(p))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if report.partial {
        md.push_str("> **Partial results:** a requested source failed; see Errors.\n\n");
    }
    md.push_str(&format!(
        "{} agents, {} identities, {} credentials; **{} findings**, {} suppressed, {} read errors.\n\n",
        s.agents, s.identities, s.credentials, s.findings, s.suppressed, s.errors
    ));
    md.push_str("| Severity | Findings |\n|---|---|\n");
    for sev in Severity::ALL.iter().rev() {
        md.push_str(&format!(
            "| {} | {} |\n",
            sev.as_str(),
            s.by_severity.get(sev.as_str()).unwrap_or(&0)
        ));
    }

    md.push_str("\n## Controls with findings\n");
    for cat in CATALOGUES {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &report.findings {
            for id in f.controls.get(cat.key).into_iter().flatten() {
                *counts.entry(id.as_str()).or_default() += 1;
            }
        }
        if counts.is_empty() && !cat.required {
            continue;
        }
        md.push_str(&format!(
            "\n### {}\n\n| Control | Title | Findings |\n|---|---|---|\n",
            cat.title
        ));
        for (id, title) in cat.controls {
            let n = counts.get(id).copied().unwrap_or(0);
            if n > 0 || cat.required {
                md.push_str(&format!(
                    "| {id} | {title} | {} |\n",
                    if n > 0 { n.to_string() } else { "–".into() }
                ));
            }
        }
    }

    md.push_str("\n## Findings\n");
    let mut names: BTreeMap<&str, String> = report
        .inventory
        .agents
        .iter()
        .map(|a| (a.id.as_str(), a.name.clone()))
        .collect();
    for i in &report.inventory.identities {
        let level = i
            .access_level
            .map(|l| format!(", {}", l.as_str()))
            .unwrap_or_default();
        names.insert(i.id.as_str(), format!("{} ({}{level})", i.name, i.kind));
    }
    if report.findings.is_empty() {
        md.push_str("\nNo findings.\n");
    }
    for f in &report.findings {
        md.push_str(&format!(
            "\n### {} {} — {}\n\n",
            f.severity.as_str().to_uppercase(),
            f.rule_id,
            esc(&f.title)
        ));
        md.push_str(&format!("{}\n\n", esc(&f.message)));
        if let Some(a) = &f.agent {
            md.push_str(&format!(
                "- Agent: {}\n",
                esc(names.get(a.as_str()).map_or(a.as_str(), String::as_str))
            ));
        }
        md.push_str(&format!(
            "- Category: `{}`; confidence: {:?}\n",
            f.category, f.confidence
        ));
        for l in &f.locations {
            md.push_str(&format!("- Location: {}\n", code(&l.to_string())));
        }
        let controls: Vec<String> = f
            .controls
            .iter()
            .flat_map(|(k, ids)| ids.iter().map(move |i| format!("{k} {i}")))
            .collect();
        md.push_str(&format!("- Controls: {}\n", controls.join(", ")));
        if !f.path.is_empty() {
            md.push_str("\n```mermaid\nflowchart LR\n");
            for (i, node) in f.path.iter().enumerate() {
                let label = names
                    .get(node.as_str())
                    .map_or(node.as_str(), String::as_str);
                md.push_str(&format!(
                    "  n{i}[\"{}\"]\n",
                    super::graph::mermaid_label(label)
                ));
            }
            // Edges numbered like the hop sentences below the diagram.
            for i in 1..f.path.len() {
                md.push_str(&format!("  n{} -->|{i}| n{i}\n", i - 1));
            }
            md.push_str("```\n");
            for (i, hop) in f.hops.iter().enumerate() {
                md.push_str(&format!("{}. {}\n", i + 1, esc(hop)));
            }
        }
        md.push_str(&format!("\n**Remediation.** {}\n", esc(&f.remediation)));
    }

    md.push_str(
        "\n## Agents\n\n| Agent | Kind | Confidence | Reaches | Exposure | Location |\n|---|---|---|---|---|---|\n",
    );
    for a in &report.inventory.agents {
        let loc = a
            .locations
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        let level = a
            .facts
            .get("effective_level")
            .and_then(|l| l.as_str())
            .unwrap_or("");
        let exposure = super::table::exposure_line(a).unwrap_or_default();
        md.push_str(&format!(
            "| {} | {} | {:?} | {} | {} | {} |\n",
            esc(&a.name),
            a.kind,
            a.confidence,
            esc(level),
            esc(&exposure),
            code(&loc)
        ));
    }
    if !report.suppressed.is_empty() {
        md.push_str("\n## Suppressed\n\n| Rule | Subject | By | Reason |\n|---|---|---|---|\n");
        for sp in &report.suppressed {
            md.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                sp.finding.rule_id,
                code(&sp.finding.subject),
                sp.by,
                esc(&sp.reason)
            ));
        }
    }
    if !report.errors.is_empty() {
        md.push_str("\n## Errors\n\n");
        for e in &report.errors {
            md.push_str(&format!("- {}: {}\n", code(&e.location), esc(&e.message)));
        }
    }
    md
}

/// Keeps table cells and text from breaking the Markdown around them: control
/// characters escaped (no forged lines or terminal sequences), pipes escaped.
fn esc(s: &str) -> String {
    crate::text::escape_controls(s).replace('|', "\\|")
}

/// A code span that holds `s` whatever backticks it contains.
fn code(s: &str) -> String {
    let s = crate::text::escape_controls(s).replace('|', "\\|");
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    if longest == 0 {
        return format!("`{s}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {s} {fence}")
}
