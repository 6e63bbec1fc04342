//! The terminal view. A one-screen summary first (counts by severity and category, the
//! agents with most findings), then the findings, critical first, one block each: the
//! message wrapped to the terminal, the agent, where, and a chain hop by hop. Paths,
//! ARNs and locations are never split across lines. Read errors and warnings go to
//! standard error (see the `app` layer), not here.

use std::collections::BTreeMap;

use super::Report;
use super::term::{Detail, Style, Term};
use crate::controls;
use crate::findings::Finding;
use crate::model::{Category, EdgeKind, Inventory};
use crate::rules::Severity;

/// Columns of the severity label; the rest of a finding's block is indented this far.
const LABEL: usize = 10;

pub fn render(report: &Report, term: &Term) -> String {
    let mut out = summary(report, term);
    if term.detail == Detail::Quiet {
        return out;
    }
    let names = agent_names(&report.inventory);
    for f in &report.findings {
        out.push('\n');
        out.push_str(&finding(f, &names, term));
    }
    if term.detail == Detail::Verbose && !report.suppressed.is_empty() {
        out.push_str(&format!("\nSuppressed ({}):\n", report.suppressed.len()));
        for s in &report.suppressed {
            let at = s
                .finding
                .locations
                .first()
                .map(ToString::to_string)
                .unwrap_or_default();
            out.push_str(&term.wrap(
                "  ",
                "      ",
                &format!(
                    "{} {} at {at}: by {}, {}",
                    s.finding.rule_id, s.finding.message, s.by, s.reason
                ),
            ));
        }
    }
    if !report.findings.is_empty() {
        out.push('\n');
        out.push_str(&recap(report));
    }
    out
}

/// The counts: agents, findings by severity and category, the agents with most findings.
fn summary(report: &Report, term: &Term) -> String {
    let s = &report.summary;
    let mut out = String::new();
    let scanned = if report.scanned.is_empty() {
        String::new()
    } else {
        format!(" of {}", report.scanned.join(", "))
    };
    out.push_str(&term.wrap(
        "",
        "  ",
        &format!(
            "nhi-audit scan{scanned}: {} agent(s), {} identit{}, {} credential(s)",
            s.agents,
            s.identities,
            if s.identities == 1 { "y" } else { "ies" },
            s.credentials
        ),
    ));
    if report.partial {
        out.push_str(&term.paint(
            Style::BoldRed,
            "Partial results: a requested source failed (see the errors on standard error).\n",
        ));
    }
    if report.findings.is_empty() {
        out.push_str("No findings.");
    } else {
        let by_sev: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .filter_map(|sev| {
                s.by_severity
                    .get(sev.as_str())
                    .map(|n| term.paint(severity_style(*sev), &format!("{n} {}", sev.as_str())))
            })
            .collect();
        out.push_str(&format!(
            "{}: {}",
            term.paint(Style::Bold, &format!("{} finding(s)", s.findings)),
            by_sev.join(" · ")
        ));
    }
    let mut extra = Vec::new();
    if s.suppressed > 0 {
        extra.push(format!("{} suppressed", s.suppressed));
    }
    if s.errors > 0 {
        extra.push(format!("{} read error(s)", s.errors));
    }
    if !extra.is_empty() {
        out.push_str(&format!(" ({})", extra.join(", ")));
    }
    out.push('\n');
    if report.findings.is_empty() {
        return out;
    }
    let mut by_cat: Vec<(&Category, &usize)> = s.by_category.iter().collect();
    by_cat.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let cats: Vec<String> = by_cat.iter().map(|(c, n)| format!("{c} {n}")).collect();
    out.push_str(&term.wrap("  by category  ", "               ", &cats.join(" · ")));

    let names = agent_names(&report.inventory);
    let mut per_agent: BTreeMap<&str, (usize, Severity)> = BTreeMap::new();
    for f in &report.findings {
        if let Some(a) = f.agent.as_deref() {
            let e = per_agent.entry(a).or_insert((0, Severity::Info));
            e.0 += 1;
            e.1 = e.1.max(f.severity);
        }
    }
    let mut top: Vec<(&str, (usize, Severity))> = per_agent.into_iter().collect();
    top.sort_by(|a, b| (b.1.1, b.1.0).cmp(&(a.1.1, a.1.0)).then(a.0.cmp(b.0)));
    for (i, (agent, (n, worst))) in top.iter().take(5).enumerate() {
        let head = if i == 0 {
            "  top agents   "
        } else {
            "               "
        };
        let name = names.get(agent).map_or(*agent, |(n, _)| *n);
        out.push_str(&term.wrap(
            head,
            "                 ",
            &format!("{name}: {n} finding(s), worst {}", worst.as_str()),
        ));
    }
    if top.len() > 5 {
        out.push_str(&format!(
            "               … and {} more agent(s)\n",
            top.len() - 5
        ));
    }
    out
}

/// One finding's block.
fn finding(f: &Finding, names: &AgentNames<'_>, term: &Term) -> String {
    let label = f.severity.as_str().to_uppercase();
    let pad = " ".repeat(LABEL.saturating_sub(label.len()));
    let indent = " ".repeat(LABEL);
    let mut out = format!(
        "{}{pad}{} {}\n",
        term.paint(severity_style(f.severity), &label),
        term.paint(Style::Bold, &f.rule_id),
        f.rule_name
    );
    out.push_str(&term.wrap(&indent, &indent, &f.message));
    let field = |name: &str| format!("{indent}{name:<7}");
    let cont = format!("{indent}{:<7}", "");
    if let Some(agent) = f.agent.as_deref() {
        let (name, at) = names.get(agent).copied().unwrap_or((agent, None));
        out.push_str(&term.wrap(&field("agent"), &cont, name));
        // Where the agent is defined, when that is another file (or object) than the
        // finding's.
        let first = f.locations.first();
        let same_place = match (at, first) {
            (Some(a), Some(b)) => a.path().is_some() && a.path() == b.path() || a == b,
            _ => true,
        };
        if let Some(at) = at.filter(|_| !same_place) {
            out.push_str(&term.wrap(&cont, &cont, &format!("defined at {at}")));
        }
    }
    let shown = if term.detail == Detail::Verbose {
        f.locations.len()
    } else {
        1
    };
    for (i, loc) in f.locations.iter().take(shown).enumerate() {
        let mut text = loc.to_string();
        if i == 0 && shown < f.locations.len() {
            text.push_str(&format!(" (+{} more)", f.locations.len() - shown));
        }
        let head = if i == 0 { field("at") } else { cont.clone() };
        out.push_str(&term.wrap(&head, &cont, &text));
    }
    for (i, hop) in f.hops.iter().enumerate() {
        let num = format!("{}. ", i + 1);
        let head = if i == 0 {
            format!("{}{num}", field("chain"))
        } else {
            format!("{cont}{num}")
        };
        let rest = format!("{cont}{}", " ".repeat(num.len()));
        out.push_str(&term.wrap(&head, &rest, hop));
    }
    if term.detail == Detail::Verbose {
        out.push_str(&term.wrap(&field("fix"), &cont, &f.remediation));
        let maps: Vec<String> = f
            .controls
            .iter()
            .map(|(key, ids)| {
                let title = controls::catalogue(key).map_or(key.as_str(), |c| c.title);
                format!("{title} {}", ids.join(", "))
            })
            .collect();
        out.push_str(&term.wrap(&field("maps"), &cont, &maps.join(" · ")));
        out.push_str(&term.wrap(&field("id"), &cont, &f.fingerprint));
    }
    out
}

/// The last line: the counts again, for a scroll that ends at the bottom.
fn recap(report: &Report) -> String {
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
    format!("{} finding(s): {}.\n", s.findings, by_sev.join(", "))
}

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => Style::Magenta,
        Severity::High => Style::BoldRed,
        Severity::Medium => Style::Yellow,
        Severity::Low => Style::Cyan,
        Severity::Info => Style::Dim,
    }
}

/// Agent id → (name, where it is defined).
type AgentNames<'a> = BTreeMap<&'a str, (&'a str, Option<&'a crate::model::Location>)>;

fn agent_names(inv: &Inventory) -> AgentNames<'_> {
    inv.agents
        .iter()
        .map(|a| (a.id.as_str(), (a.name.as_str(), a.locations.first())))
        .collect()
}

/// The inventory alone: each agent, what it holds and what it reaches.
/// ` · used 3 / granted 40 actions` for an identity the activity logs saw, when its grants
/// are known; ` · used 3 actions` when they are not; nothing without activity.
fn used_of(i: &crate::model::Identity) -> String {
    let Some(a) = i.facts.get("activity") else {
        return String::new();
    };
    let used = a["used_actions"].as_u64().unwrap_or(0);
    let days = a["window_days"]
        .as_u64()
        .map(|d| format!(" in {d}d"))
        .unwrap_or_default();
    match a["granted_actions"].as_u64() {
        Some(granted) => format!(" · used {used} / granted {granted} actions{days}"),
        None => format!(" · used {used} actions{days}"),
    }
}

pub fn render_inventory(report: &Report, term: &Term) -> String {
    let inv = &report.inventory;
    let mut out = format!(
        "{} agent(s), {} identities, {} credentials, {} edges.\n",
        inv.agents.len(),
        inv.identities.len(),
        inv.credentials.len(),
        inv.edges.len()
    );
    if let Some(w) = &inv.activity_window {
        out.push_str(&format!(
            "Activity: {} events in {} log file(s), {} principals; used means in the {} days to {}.\n",
            w.events,
            w.files,
            inv.activity.len(),
            w.days,
            w.end
        ));
    }
    if term.detail == Detail::Quiet {
        return out;
    }
    let indent = "    ";
    let field = |name: &str| format!("{indent}{name:<8} ");
    let cont = format!("{indent}{:<8} ", "");
    for a in &inv.agents {
        out.push('\n');
        out.push_str(&term.wrap(
            "",
            "  ",
            &format!(
                "{} · {} · {} confidence",
                term.paint(Style::Bold, &a.name),
                a.kind,
                format!("{:?}", a.confidence).to_lowercase()
            ),
        ));
        if let Some(at) = a.locations.first() {
            out.push_str(&term.wrap(&field("at"), &cont, &at.to_string()));
        }
        let held: Vec<String> = inv
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Holds && e.from == a.id)
            .filter_map(|e| inv.identity(&e.to))
            .map(|i| {
                let level = i
                    .access_level
                    .map(|l| format!(" [{}]", l.as_str()))
                    .unwrap_or_default();
                format!("{} ({}){level}{}", i.name, i.kind, used_of(i))
            })
            .collect();
        for (i, h) in held.iter().enumerate() {
            let head = if i == 0 { field("holds") } else { cont.clone() };
            out.push_str(&term.wrap(&head, &cont, h));
        }
        let reaches: Vec<&str> = a
            .facts
            .get("effective_access")
            .and_then(|v| v.as_array())
            .map(|l| l.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        let limit = if term.detail == Detail::Verbose {
            reaches.len()
        } else {
            4
        };
        for (i, r) in reaches.iter().take(limit).enumerate() {
            let head = if i == 0 {
                field("reaches")
            } else {
                cont.clone()
            };
            out.push_str(&term.wrap(&head, &cont, r));
        }
        if reaches.len() > limit {
            out.push_str(&format!(
                "{cont}(+{} more; --verbose lists them)\n",
                reaches.len() - limit
            ));
        }
        if let Some(line) = exposure_line(a) {
            out.push_str(&term.wrap(&field("exposed"), &cont, &line));
        }
        if let Some(why) = a
            .facts
            .get("exposure")
            .and_then(|e| e.get("untrusted_input"))
            .and_then(|l| l.get(0))
            .and_then(|w| w.as_str())
        {
            out.push_str(&term.wrap(&field("steered"), &cont, why));
        }
    }
    if !inv.changes.is_empty() {
        out.push_str("\nChanges in git history, by author date:\n");
        for c in &inv.changes {
            let at = c.location.as_ref().map(ToString::to_string);
            out.push_str(&term.wrap(
                "  ",
                "    ",
                &format!(
                    "{} [{}{}]{}",
                    c.summary,
                    c.kind,
                    if c.current { "" } else { ", not current" },
                    at.map(|a| format!(" at {a}")).unwrap_or_default()
                ),
            ));
        }
    }
    out
}

/// An agent's exposure legs in words (`untrusted input · private data · a way out — the
/// lethal trifecta`); `None` without any.
pub fn exposure_line(agent: &crate::model::Agent) -> Option<String> {
    let e = agent.facts.get("exposure")?;
    let legs: Vec<&str> = [
        ("untrusted_input", "untrusted input"),
        ("private_data", "private data"),
        ("outbound", "a way out"),
    ]
    .iter()
    .filter(|(k, _)| {
        e.get(*k)
            .and_then(|l| l.as_array())
            .is_some_and(|l| !l.is_empty())
    })
    .map(|(_, name)| *name)
    .collect();
    if legs.is_empty() {
        return None;
    }
    let mut line = legs.join(" · ");
    if e.get("trifecta").and_then(|t| t.as_bool()) == Some(true) {
        line.push_str(" — the lethal trifecta");
    }
    Some(line)
}
