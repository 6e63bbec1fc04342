//! `nhi-audit diff OLD.json NEW.json`: what changed between two saved reports (or
//! inventories). New and removed agents and identities, identities an agent newly holds,
//! and write-creep between the snapshots: access levels that rose, write scopes a
//! workflow agent gained, AWS services whose level rose, new findings and resolved ones.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::analysis::direct_levels;
use crate::findings::Finding;
use crate::model::{AccessLevel, Inventory};

pub const DIFF_SCHEMA: &str = "nhi-audit/diff/v1";

/// One saved snapshot: its inventory and, for a report, its findings.
pub struct Snapshot {
    pub inventory: Inventory,
    pub findings: Option<Vec<Finding>>,
}

/// A file that is not a snapshot `diff` can read; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: cannot read the snapshot: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: not JSON ({kind})")]
    NotJson {
        path: String,
        line: usize,
        column: usize,
        kind: String,
    },
    #[error(
        "{path}: not an nhi-audit report or inventory (schema `{schema}`; expected {} or {INVENTORY_SCHEMA} — save one with `scan --format json` or `inventory --format json`)",
        crate::report::REPORT_SCHEMA
    )]
    NotASnapshot { path: String, schema: String },
    #[error("{path}: {part} does not have the report's shape: {source}")]
    Shape {
        path: String,
        part: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

const INVENTORY_SCHEMA: &str = "nhi-audit/inventory/v1";

/// Reads a JSON report (`nhi-audit/report/v1`) or inventory (`nhi-audit/inventory/v1`).
pub fn read_snapshot(path: &Path) -> Result<Snapshot, SnapshotError> {
    let shown = || path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Read {
        path: shown(),
        source,
    })?;
    let value: Value = crate::doc::from_json(&text).map_err(|e| SnapshotError::NotJson {
        path: shown(),
        line: e.line,
        column: e.column,
        kind: e.kind.to_string(),
    })?;
    let schema = value["schema"].as_str().unwrap_or_default();
    if schema != crate::report::REPORT_SCHEMA && schema != INVENTORY_SCHEMA {
        return Err(SnapshotError::NotASnapshot {
            path: shown(),
            schema: schema.to_string(),
        });
    }
    let shape = |part| {
        move |source| SnapshotError::Shape {
            path: shown(),
            part,
            source,
        }
    };
    let mut inventory: Inventory =
        serde_json::from_value(value["inventory"].clone()).map_err(shape("the inventory"))?;
    let findings = match value.get("findings") {
        Some(f) => Some(serde_json::from_value(f.clone()).map_err(shape("findings[]"))?),
        None => None,
    };
    // Lookups by id need the inventory's order; a hand-edited file may not keep it.
    inventory.normalize();
    Ok(Snapshot {
        inventory,
        findings,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Diff {
    pub schema: String,
    pub old: String,
    pub new: String,
    pub agents_added: Vec<Item>,
    pub agents_removed: Vec<Item>,
    pub identities_added: Vec<Item>,
    pub identities_removed: Vec<Item>,
    /// An agent that holds an identity it did not hold before.
    pub holders_added: Vec<Holding>,
    /// Write-creep between the snapshots.
    pub access_raised: Vec<Raise>,
    pub findings_added: Vec<FindingRef>,
    pub findings_resolved: Vec<FindingRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Item {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub access_level: Option<AccessLevel>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Holding {
    pub agent: String,
    pub identity: String,
    pub access_level: Option<AccessLevel>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Raise {
    /// `agent` or `identity`.
    pub subject_kind: String,
    pub id: String,
    pub name: String,
    pub from: Option<AccessLevel>,
    pub to: Option<AccessLevel>,
    /// What rose, in words: `contents: read → write`, `s3: read → write`, `level`.
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FindingRef {
    pub rule_id: String,
    pub severity: String,
    pub message: String,
    pub fingerprint: String,
}

impl Diff {
    /// True when access grew: something rose, or an agent holds something new at write
    /// or above, or a new agent has write or above.
    pub fn has_creep(&self) -> bool {
        let strong = |l: &Option<AccessLevel>| l.is_some_and(|l| l >= AccessLevel::Write);
        !self.access_raised.is_empty()
            || self.holders_added.iter().any(|h| strong(&h.access_level))
            || self.agents_added.iter().any(|a| strong(&a.access_level))
    }
}

pub fn diff(old: &Snapshot, new: &Snapshot, old_name: &str, new_name: &str) -> Diff {
    let (o, n) = (&old.inventory, &new.inventory);
    let (old_levels, new_levels) = (direct_levels(o), direct_levels(n));

    let mut raised = Vec::new();
    for a in &n.agents {
        let Some(before) = o.agent(&a.id) else {
            continue;
        };
        let (from, to) = (
            old_levels.get(a.id.as_str()).copied(),
            new_levels.get(a.id.as_str()).copied(),
        );
        if to > from {
            raised.push(Raise {
                subject_kind: "agent".into(),
                id: a.id.clone(),
                name: a.name.clone(),
                from,
                to,
                what: "direct access level".into(),
            });
        }
        let scopes = |facts: &BTreeMap<String, Value>| -> BTreeSet<String> {
            facts
                .get("write_scopes")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let added: Vec<String> = scopes(&a.facts)
            .difference(&scopes(&before.facts))
            .cloned()
            .collect();
        if !added.is_empty() {
            raised.push(Raise {
                subject_kind: "agent".into(),
                id: a.id.clone(),
                name: a.name.clone(),
                from: Some(AccessLevel::Read),
                to: Some(AccessLevel::Write),
                what: format!("workflow token write scopes added: {}", added.join(", ")),
            });
        }
    }
    for i in &n.identities {
        let Some(before) = o.identity(&i.id) else {
            continue;
        };
        if i.access_level > before.access_level {
            raised.push(Raise {
                subject_kind: "identity".into(),
                id: i.id.clone(),
                name: i.name.clone(),
                from: before.access_level,
                to: i.access_level,
                what: "access level".into(),
            });
        }
        let services = |x: &crate::model::Identity| -> BTreeMap<String, AccessLevel> {
            x.facts
                .get("aws")
                .and_then(|a| a.get("services"))
                .and_then(|s| serde_json::from_value(s.clone()).ok())
                .unwrap_or_default()
        };
        let (was, now) = (services(before), services(i));
        let rises: Vec<String> = now
            .iter()
            .filter(|(svc, l)| was.get(*svc).is_none_or(|w| *l > w))
            .map(|(svc, l)| {
                let from = was.get(svc).map_or("none", |w| w.as_str());
                format!("{svc}: {from} → {}", l.as_str())
            })
            .collect();
        if !rises.is_empty() {
            raised.push(Raise {
                subject_kind: "identity".into(),
                id: i.id.clone(),
                name: i.name.clone(),
                from: before.access_level,
                to: i.access_level,
                what: format!("services: {}", rises.join(", ")),
            });
        }
    }

    let holdings = |inv: &Inventory| -> BTreeSet<(String, String)> {
        inv.identities
            .iter()
            .flat_map(|i| i.agents.iter().map(move |a| (a.clone(), i.id.clone())))
            .collect()
    };
    let old_holdings = holdings(o);
    let holders_added = holdings(n)
        .difference(&old_holdings)
        .map(|(agent, identity)| Holding {
            access_level: n.identity(identity).and_then(|i| i.access_level),
            agent: agent.clone(),
            identity: identity.clone(),
        })
        .collect();

    let finding_refs = |list: Option<&Vec<Finding>>| -> BTreeMap<String, FindingRef> {
        list.into_iter()
            .flatten()
            .map(|f| {
                (
                    f.fingerprint.clone(),
                    FindingRef {
                        rule_id: f.rule_id.clone(),
                        severity: f.severity.as_str().to_string(),
                        message: f.message.clone(),
                        fingerprint: f.fingerprint.clone(),
                    },
                )
            })
            .collect()
    };
    let (old_f, new_f) = (
        finding_refs(old.findings.as_ref()),
        finding_refs(new.findings.as_ref()),
    );
    // Findings are only compared when both snapshots carry them.
    let compare = old.findings.is_some() && new.findings.is_some();
    let only = |a: &BTreeMap<String, FindingRef>, b: &BTreeMap<String, FindingRef>| {
        if !compare {
            return Vec::new();
        }
        a.iter()
            .filter(|(k, _)| !b.contains_key(*k))
            .map(|(_, v)| v.clone())
            .collect()
    };

    Diff {
        schema: DIFF_SCHEMA.into(),
        old: old_name.into(),
        new: new_name.into(),
        agents_added: agents_only_in(n, o, &new_levels),
        agents_removed: agents_only_in(o, n, &old_levels),
        identities_added: identities_only_in(n, o),
        identities_removed: identities_only_in(o, n),
        holders_added,
        access_raised: raised,
        findings_added: only(&new_f, &old_f),
        findings_resolved: only(&old_f, &new_f),
    }
}

/// The agents of `a` that `b` does not have.
fn agents_only_in(a: &Inventory, b: &Inventory, levels: &BTreeMap<&str, AccessLevel>) -> Vec<Item> {
    a.agents
        .iter()
        .filter(|x| b.agent(&x.id).is_none())
        .map(|x| Item {
            id: x.id.clone(),
            name: x.name.clone(),
            kind: x.kind.to_string(),
            access_level: levels.get(x.id.as_str()).copied(),
        })
        .collect()
}

/// The identities of `a` that `b` does not have.
fn identities_only_in(a: &Inventory, b: &Inventory) -> Vec<Item> {
    a.identities
        .iter()
        .filter(|x| b.identity(&x.id).is_none())
        .map(|x| Item {
            id: x.id.clone(),
            name: x.name.clone(),
            kind: x.kind.to_string(),
            access_level: x.access_level,
        })
        .collect()
}

/// The diff as text for a terminal.
pub fn render_text(d: &Diff) -> String {
    use std::fmt::Write;
    let level = |l: &Option<AccessLevel>| l.map_or("unknown", AccessLevel::as_str);
    let mut out = format!("{} → {}\n", d.old, d.new);
    let mut section = |title: &str, lines: Vec<String>| {
        if lines.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n{title} ({})", lines.len());
        for l in lines {
            let _ = writeln!(out, "  {l}");
        }
    };
    section(
        "Access raised (write-creep)",
        d.access_raised
            .iter()
            .map(|r| {
                format!(
                    "{} {}: {} ({} → {})",
                    r.subject_kind,
                    r.name,
                    r.what,
                    level(&r.from),
                    level(&r.to)
                )
            })
            .collect(),
    );
    let item = |i: &Item| {
        format!(
            "{} [{}] {} ({})",
            i.name,
            i.kind,
            i.id,
            level(&i.access_level)
        )
    };
    section("New agents", d.agents_added.iter().map(item).collect());
    section(
        "Removed agents",
        d.agents_removed.iter().map(item).collect(),
    );
    section(
        "New identities",
        d.identities_added.iter().map(item).collect(),
    );
    section(
        "Removed identities",
        d.identities_removed.iter().map(item).collect(),
    );
    section(
        "Newly held",
        d.holders_added
            .iter()
            .map(|h| {
                format!(
                    "{} now holds {} ({})",
                    h.agent,
                    h.identity,
                    level(&h.access_level)
                )
            })
            .collect(),
    );
    let finding = |f: &FindingRef| format!("{} {} {}", f.severity, f.rule_id, f.message);
    section(
        "New findings",
        d.findings_added.iter().map(finding).collect(),
    );
    section(
        "Resolved findings",
        d.findings_resolved.iter().map(finding).collect(),
    );
    if !d.has_creep() && d.findings_added.is_empty() {
        out.push_str("\nNo access grew.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Identity;

    fn identity(id: &str, level: AccessLevel, services: Value) -> Identity {
        let mut i = Identity::new(id, "aws-role", "aws", id);
        i.agents = vec!["agent".into()];
        i.access_level = Some(level);
        i.facts.insert(
            "aws".to_string(),
            serde_json::json!({ "services": services }),
        );
        i
    }

    fn snap(identities: Vec<Identity>) -> Snapshot {
        Snapshot {
            inventory: Inventory {
                identities,
                ..Default::default()
            },
            findings: None,
        }
    }

    #[test]
    fn a_service_that_rose_or_appeared_is_creep_and_a_lowered_one_is_not() {
        let old = snap(vec![identity(
            "r",
            AccessLevel::Read,
            serde_json::json!({"s3": "read", "sqs": "write"}),
        )]);
        let new = snap(vec![identity(
            "r",
            AccessLevel::Read,
            serde_json::json!({"s3": "write"}),
        )]);
        let d = diff(&old, &new, "old", "new");
        assert!(d.has_creep());
        assert_eq!(d.access_raised.len(), 1);
        assert_eq!(d.access_raised[0].what, "services: s3: read → write");
        // Lowering s3 is not creep; sqs appearing is.
        let back = diff(&new, &old, "new", "old");
        assert_eq!(back.access_raised.len(), 1, "{back:?}");
        assert_eq!(back.access_raised[0].what, "services: sqs: none → write");
        let lowered = snap(vec![identity(
            "r",
            AccessLevel::Read,
            serde_json::json!({"s3": "read"}),
        )]);
        assert!(!diff(&new, &lowered, "new", "lowered").has_creep());
    }

    #[test]
    fn new_and_removed_identities_and_holders() {
        let old = snap(vec![identity(
            "a",
            AccessLevel::Read,
            serde_json::json!({}),
        )]);
        let new = snap(vec![identity(
            "b",
            AccessLevel::Write,
            serde_json::json!({}),
        )]);
        let d = diff(&old, &new, "old", "new");
        assert_eq!(d.identities_added[0].id, "b");
        assert_eq!(d.identities_removed[0].id, "a");
        assert_eq!(d.holders_added[0].identity, "b");
        assert!(d.has_creep(), "an agent now holds a write identity");
    }
}
