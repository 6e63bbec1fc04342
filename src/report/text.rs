//! Plain-text views of the rule set, the fields rules read and the control catalogues
//! (`rules list`, `rules show`, `rules fields`, `controls`).

use super::term::Term;
use crate::controls::{self, Catalogue};
use crate::rules::Rule;
use crate::rules::vocabulary::FieldGroup;

/// `rules list`: one line per rule.
pub fn rule_list(rules: &[Rule], term: &Term) -> String {
    let id_w = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let cat_w = rules
        .iter()
        .map(|r| r.category.as_str().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for r in rules {
        let head = format!(
            "{:<id_w$}  {:<8}  {:<cat_w$}  {:<10}  ",
            r.id,
            r.severity.as_str(),
            r.category,
            r.subject.as_str()
        );
        let rest = " ".repeat(head.len());
        out.push_str(&term.wrap(&head, &rest, &r.title));
    }
    out.push_str(&format!("{} rules\n", rules.len()));
    out
}

/// `rules show`: what a rule checks, why, how to fix, the controls.
pub fn rule(r: &Rule) -> String {
    let mut s = format!(
        "{} {} ({})\n{}\n\nSeverity: {}  Confidence: {:?}  Category: {}  Subject: {}\n",
        r.id,
        r.name,
        r.origin,
        r.title,
        r.severity.as_str(),
        r.confidence,
        r.category,
        r.subject.as_str()
    );
    if !r.description.is_empty() {
        s.push_str(&format!("\n{}\n", r.description));
    }
    s.push_str(&format!("\nCondition (CEL):\n  {}\n", r.when));
    if !r.severity_if.is_empty() {
        s.push_str("\nSeverity by what the subject holds (first that holds):\n");
        for e in &r.severity_if {
            s.push_str(&format!("  {}: {}\n", e.severity.as_str(), e.when));
        }
    }
    s.push_str(&format!(
        "\nRemediation:\n  {}\n\nControls:\n",
        r.remediation
    ));
    for (k, ids) in &r.controls {
        let cat = controls::catalogue(k);
        for i in ids {
            s.push_str(&format!(
                "  {} {i}: {}\n",
                cat.map_or(k.as_str(), |c| c.title),
                cat.and_then(|c| c.title_of(i)).unwrap_or("")
            ));
        }
    }
    s
}

/// `rules fields`: each variable, and the facts of each agent kind and identity provider,
/// with every field's path and type, and its meaning below.
pub fn fields(groups: &[FieldGroup], term: &Term) -> String {
    let mut out = String::new();
    for g in groups {
        out.push_str(&format!("{}\n", g.title));
        for f in &g.fields {
            out.push_str(&format!("  {}  ({})\n", f.path, f.ty));
            if !f.doc.is_empty() {
                out.push_str(&term.wrap("      ", "      ", &f.doc));
            }
        }
        out.push('\n');
    }
    out.push_str(
        "A field with no fields listed below it is open: its items are the sources' own records.\n",
    );
    out
}

/// `controls`: each catalogue with its control ids and titles.
pub fn catalogues<'a>(catalogues: impl Iterator<Item = &'a Catalogue>) -> String {
    let mut out = String::new();
    for c in catalogues {
        out.push_str(&format!(
            "{} ({}){}\n",
            c.title,
            c.key,
            if c.required {
                ", required for every rule"
            } else {
                ""
            }
        ));
        for (id, title) in c.controls {
            out.push_str(&format!("  {id:<12} {title}\n"));
        }
        out.push('\n');
    }
    out
}
