//! The terminal view: findings grouped by agent, severity coloured when stdout is a
//! terminal; a chain shows one line per hop.

use std::collections::BTreeMap;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ContentArrangement, Table};

use super::Report;
use crate::findings::Finding;
use crate::rules::Severity;

pub fn render(report: &Report, color: bool) -> String {
    let mut out = String::new();
    let names: BTreeMap<&str, String> = report
        .inventory
        .agents
        .iter()
        .map(|a| {
            let at = a
                .locations
                .first()
                .map(|l| format!(" ({l})"))
                .unwrap_or_default();
            (a.id.as_str(), format!("{}{at}", a.name))
        })
        .collect();
    let mut groups: BTreeMap<Option<&str>, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        groups.entry(f.agent.as_deref()).or_default().push(f);
    }
    for (agent, findings) in &groups {
        let heading = match agent {
            Some(id) => format!("Agent: {}", names.get(id).map_or(*id, String::as_str)),
            None => "Not held by any agent found".to_string(),
        };
        out.push_str(&heading);
        out.push('\n');
        let mut table = Table::new();
        table
            .load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(140);
        table.set_header(vec!["Severity", "Rule", "Finding", "Location"]);
        for f in findings {
            let mut sev = Cell::new(f.severity.as_str());
            if color {
                sev = sev.fg(severity_color(f.severity));
            }
            let mut text = f.message.clone();
            for (i, hop) in f.hops.iter().enumerate() {
                text.push_str(&format!("\n  {}. {hop}", i + 1));
            }
            let loc = f
                .locations
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            let more = if f.locations.len() > 1 {
                format!("\n(+{} more)", f.locations.len() - 1)
            } else {
                String::new()
            };
            table.add_row(vec![
                sev,
                Cell::new(format!("{}\n{}", f.rule_id, f.rule_name)),
                Cell::new(text),
                Cell::new(loc + &more),
            ]);
        }
        out.push_str(&table.to_string());
        out.push_str("\n\n");
    }
    if report.findings.is_empty() {
        out.push_str("No findings.\n\n");
    }
    let s = &report.summary;
    let by_sev: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|sev| {
            s.by_severity
                .get(sev.as_str())
                .map(|n| format!("{n} {}", sev.as_str()))
        })
        .collect();
    out.push_str(&format!(
        "{} agent(s), {} identit{} and {} credential(s) inventoried; {} finding(s){}{}.\n",
        s.agents,
        s.identities,
        if s.identities == 1 { "y" } else { "ies" },
        s.credentials,
        s.findings,
        if by_sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_sev.join(", "))
        },
        if s.suppressed > 0 {
            format!(", {} suppressed", s.suppressed)
        } else {
            String::new()
        },
    ));
    for stale in &report.stale_ignores {
        out.push_str(&format!(
            "warning: stale ignore at {} ({}): {}\n",
            stale.location, stale.rule, stale.reason
        ));
    }
    for w in &report.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    for e in &report.errors {
        out.push_str(&format!("error: {}: {}\n", e.location, e.message));
    }
    out
}

fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Critical => Color::Magenta,
        Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Cyan,
        Severity::Info => Color::Grey,
    }
}

/// The inventory alone: agents and what they hold.
pub fn render_inventory(report: &Report) -> String {
    let inv = &report.inventory;
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(140);
    t.set_header(vec![
        "Agent",
        "Kind",
        "Confidence",
        "Holds",
        "Reaches (all paths)",
        "Location",
    ]);
    for a in &inv.agents {
        let held: Vec<String> = inv
            .edges
            .iter()
            .filter(|e| e.kind == crate::model::EdgeKind::Holds && e.from == a.id)
            .filter_map(|e| inv.identity(&e.to))
            .map(|i| {
                let level = i
                    .access_level
                    .map(|l| format!(" [{}]", l.as_str()))
                    .unwrap_or_default();
                format!("{} ({}){level}", i.name, i.kind)
            })
            .collect();
        let reaches: Vec<&str> = a
            .facts
            .get("effective_access")
            .and_then(|v| v.as_array())
            .map(|l| l.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        let mut reaches_text = reaches
            .iter()
            .take(4)
            .copied()
            .collect::<Vec<_>>()
            .join("\n");
        if reaches.len() > 4 {
            reaches_text.push_str(&format!("\n(+{} more)", reaches.len() - 4));
        }
        t.add_row(vec![
            a.name.clone(),
            a.kind.clone(),
            format!("{:?}", a.confidence).to_lowercase(),
            held.join("\n"),
            reaches_text,
            a.locations
                .first()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ]);
    }
    let mut out = t.to_string();
    out.push_str(&format!(
        "\n{} agent(s), {} identities, {} credentials, {} edges.\n",
        inv.agents.len(),
        inv.identities.len(),
        inv.credentials.len(),
        inv.edges.len()
    ));
    if !inv.changes.is_empty() {
        out.push_str("\nChanges in git history, by author date:\n");
        for c in &inv.changes {
            let at = c.location.as_ref().map(ToString::to_string);
            out.push_str(&format!(
                "  {} [{}{}]{}\n",
                c.summary,
                c.kind,
                if c.current { "" } else { ", not current" },
                at.map(|a| format!(" at {a}")).unwrap_or_default()
            ));
        }
    }
    for e in &report.errors {
        out.push_str(&format!("error: {}: {}\n", e.location, e.message));
    }
    out
}
