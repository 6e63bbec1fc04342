//! SARIF 2.1.0, as GitHub code scanning and Microsoft's SARIF Multitool read it: rule
//! metadata with help and control tags, `security-severity`, `partialFingerprints`;
//! physical locations for files, logical ones for cloud objects.

use serde_json::{Value, json};

use super::{Report, RuleInfo};
use crate::controls;
use crate::model::Location;
use crate::rules::Severity;

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const INFO_URI: &str = "https://github.com/nhi-audit/nhi-audit";

pub fn render(report: &Report) -> String {
    let rules: Vec<&RuleInfo> = report.rules.iter().collect();
    let rule_index = |id: &str| rules.iter().position(|r| r.id == id);
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let (physical, logical): (Vec<&Location>, Vec<&Location>) =
                f.locations.iter().partition(|l| matches!(l, Location::File { .. }));
            let mut locations: Vec<Value> = physical.iter().map(|l| physical_location(l)).collect();
            if locations.is_empty() {
                locations = logical
                    .iter()
                    .map(|l| json!({ "logicalLocations": [{ "fullyQualifiedName": l.to_string(), "kind": "resource" }] }))
                    .collect();
            }
            let primary: Vec<Value> = locations.iter().take(1).cloned().collect();
            let related: Vec<Value> = locations
                .iter()
                .skip(1)
                .enumerate()
                .map(|(i, l)| {
                    let mut l = l.clone();
                    l["id"] = json!(i + 1);
                    l["message"] = json!({ "text": "also here" });
                    l
                })
                .collect();
            let mut result = json!({
                "ruleId": f.rule_id,
                "level": level(f.severity),
                "message": { "text": end_with_period(&f.message) },
                "locations": primary,
                "partialFingerprints": { "nhiAuditFinding/v1": f.fingerprint },
                "properties": {
                    "category": f.category,
                    "severity": f.severity.as_str(),
                    "confidence": f.confidence,
                    "agent": f.agent,
                    "subject": f.subject,
                    "path": f.path,
                    "controls": f.controls,
                },
            });
            if let Some(i) = rule_index(&f.rule_id) {
                result["ruleIndex"] = json!(i);
            }
            if !related.is_empty() {
                result["relatedLocations"] = Value::Array(related);
            }
            if f.path.len() > 1 {
                result["codeFlows"] = json!([code_flow(report, f)]);
            }
            result
        })
        .collect();

    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({ "level": "error", "message": { "text": end_with_period(&format!("{}: {}", e.location, e.message)) } }))
        .collect();
    let root = report.source_root.as_ref().map(|p| {
        let mut s = p.to_string_lossy().replace('\\', "/");
        if !s.ends_with('/') {
            s.push('/');
        }
        format!("file://{}", encode_path(&s))
    });
    let mut run = json!({
        "tool": { "driver": {
            "name": "nhi-audit",
            "version": report.tool.version,
            "semanticVersion": report.tool.version,
            "informationUri": INFO_URI,
            "rules": rules.iter().map(|r| rule(r)).collect::<Vec<_>>(),
        }},
        "invocations": [{
            "executionSuccessful": !report.partial,
            "toolExecutionNotifications": notifications,
        }],
        "columnKind": "unicodeCodePoints",
        "results": results,
    });
    if let Some(uri) = root {
        run["originalUriBaseIds"] = json!({ "%SRCROOT%": { "uri": uri } });
    }
    let log = json!({ "$schema": SCHEMA, "version": "2.1.0", "runs": [run] });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

fn rule(r: &RuleInfo) -> Value {
    let mut tags = vec!["security".to_string(), r.category.to_string()];
    let mut control_lines = Vec::new();
    for (key, ids) in &r.controls {
        let cat = controls::catalogue(key);
        for id in ids {
            tags.push(format!("{key}:{id}"));
            let title = cat.and_then(|c| c.title_of(id)).unwrap_or("");
            let cat_title = cat.map_or(key.as_str(), |c| c.title);
            control_lines.push(format!("- {cat_title}: **{id}** {title}"));
        }
    }
    let description = if r.description.is_empty() {
        r.title.clone()
    } else {
        r.description.clone()
    };
    let help_text = format!(
        "{}\n\nRemediation: {}\n\nControls:\n{}",
        description,
        r.remediation,
        control_lines.join("\n")
    );
    let help_md = format!(
        "{}\n\n**Remediation.** {}\n\n**Controls**\n\n{}",
        description,
        r.remediation,
        control_lines.join("\n")
    );
    json!({
        "id": r.id,
        "name": pascal(&r.name),
        "shortDescription": { "text": end_with_period(&r.title) },
        "fullDescription": { "text": end_with_period(&description) },
        "help": { "text": help_text, "markdown": help_md },
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": {
            "security-severity": security_severity(r.severity),
            "tags": tags,
            "precision": "high",
            "problem.severity": level(r.severity),
        },
    })
}

use crate::analysis::exposure::{OUTSIDE, OUTSIDE_NAME};

/// A privilege chain as a SARIF code flow: one step per node of the path, each with the
/// sentence of the hop that reached it and where the node is defined.
fn code_flow(report: &Report, f: &crate::findings::Finding) -> Value {
    let inv = &report.inventory;
    let steps: Vec<Value> = f
        .path
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let (name, at) = match (inv.agent(id), inv.identity(id)) {
                (Some(a), _) => (a.name.as_str(), a.locations.first()),
                (None, Some(x)) => (x.name.as_str(), x.locations.first()),
                (None, None) if id == OUTSIDE => (OUTSIDE_NAME, None),
                (None, None) => (id.as_str(), None),
            };
            let text = match i.checked_sub(1).and_then(|h| f.hops.get(h)) {
                Some(hop) => format!("{name}: {hop}"),
                None => format!("{name} (start)"),
            };
            let mut location = match at {
                Some(l @ Location::File { .. }) => physical_location(l),
                _ => json!({}),
            };
            location["logicalLocations"] =
                json!([{ "fullyQualifiedName": id, "kind": "resource" }]);
            location["message"] = json!({ "text": end_with_period(&text) });
            json!({ "location": location, "nestingLevel": 0, "executionOrder": i + 1 })
        })
        .collect();
    json!({
        "message": { "text": end_with_period(&format!("{} hop(s) from {} to {}", f.path.len() - 1, f.path[0], f.path[f.path.len() - 1])) },
        "threadFlows": [{ "locations": steps }],
    })
}

fn physical_location(l: &Location) -> Value {
    match l {
        Location::File { path, line, column } => {
            let mut artifact = json!({ "uri": encode_path(path) });
            // A file fetched from an API (`github:ORG/REPO/…`) is already an absolute
            // URI; only relative paths resolve against the scanned root.
            if !has_scheme(path) {
                artifact["uriBaseId"] = json!("%SRCROOT%");
            }
            json!({
                "physicalLocation": {
                    "artifactLocation": artifact,
                    "region": { "startLine": (*line).max(1), "startColumn": (*column).max(1) },
                }
            })
        }
        Location::Uri { uri } => {
            json!({ "logicalLocations": [{ "fullyQualifiedName": uri, "kind": "resource" }] })
        }
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub reads this as critical (≥ 9.0), high (≥ 7.0), medium (≥ 4.0) or low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

fn end_with_period(s: &str) -> String {
    let t = s.trim_end();
    if t.ends_with(['.', '!', '?']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

fn pascal(name: &str) -> String {
    name.split(['-', '_', ' '])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// Percent-encodes what a URI path may not hold as is.
/// `scheme:rest` as RFC 3986 reads it (a Windows drive letter is one letter).
fn has_scheme(path: &str) -> bool {
    path.split_once(':').is_some_and(|(scheme, _)| {
        scheme.len() > 1
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b':'
            | b'@'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'=' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_fetched_files_are_absolute_uris() {
        assert!(has_scheme("github:acme/api/.github/workflows/ci.yml"));
        assert!(!has_scheme(".github/workflows/ci.yml"));
        assert!(!has_scheme("C:/work/ci.yml"));
        let loc = physical_location(&Location::file("github:acme/api/x.yml", 1, 1));
        assert!(loc["physicalLocation"]["artifactLocation"]["uriBaseId"].is_null());
    }

    #[test]
    fn helpers() {
        assert_eq!(
            pascal("hardcoded-secret-in-agent-config"),
            "HardcodedSecretInAgentConfig"
        );
        assert_eq!(encode_path("a b/ç.json"), "a%20b/%C3%A7.json");
        assert_eq!(end_with_period("x"), "x.");
    }
}
