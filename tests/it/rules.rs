//! The built-in rule set: it loads, every rule maps to the three mission frameworks, and
//! every rule's examples behave (the match fixtures produce its finding, the no-match
//! fixtures do not). Broken rules are load errors naming file and line.

use nhi_audit::pipeline::check_examples;
use nhi_audit::rules::{builtin_rules, load_rule_text};

use crate::common::{bin, crate_dir};

#[test]
fn builtin_rules_load_and_map_to_every_framework() {
    let rules = builtin_rules().unwrap_or_else(|e| panic!("{e:?}"));
    assert!(rules.len() >= 12, "only {} rules", rules.len());
    for r in &rules {
        for key in ["owasp_agentic", "maestro", "nist_ai_rmf"] {
            assert!(
                r.controls.get(key).is_some_and(|c| !c.is_empty()),
                "{} lacks {key}",
                r.id
            );
        }
        assert!(!r.remediation.is_empty());
        assert!(
            !r.examples_match.is_empty() && !r.examples_no_match.is_empty(),
            "{} lacks examples",
            r.id
        );
    }
    let categories: std::collections::BTreeSet<&str> =
        rules.iter().map(|r| r.category.as_str()).collect();
    for c in [
        "hardcoded-secret",
        "long-lived-credential",
        "over-privilege",
        "shared-credential",
        "weak-workload-identity",
        "unattributable-action",
        "privilege-chain",
    ] {
        assert!(categories.contains(c), "no rule of category {c}");
    }
}

#[test]
fn every_builtin_rule_example_behaves() {
    let rules = builtin_rules().unwrap_or_else(|e| panic!("{e:?}"));
    // Built-in examples are relative to the rule files, in `rules/`.
    let failures = check_examples(&rules, &crate_dir().join("rules"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const GOOD: &str = r#"id: TEST-001
name: test-rule
title: A test rule
severity: low
confidence: low
category: over-privilege
subject: agent
when: >-
  agent.kind == "github-workflow"
message: "{{ agent.name }}"
remediation: Fix it.
controls:
  owasp_agentic: [ASI03]
  maestro: [L4]
  nist_ai_rmf: [GOVERN 1.6]
"#;

#[test]
fn a_valid_user_rule_loads() {
    load_rule_text("good.yaml", GOOD, None).unwrap_or_else(|e| panic!("{e:?}"));
}

#[test]
fn load_errors_name_the_file_and_line() {
    let cases = [
        (
            GOOD.replace("[ASI03]", "[ASI99]"),
            13,
            "unknown control id `ASI99`",
        ),
        (
            GOOD.replace("agent.kind == \"github-workflow\"", "agent.kind == = 1"),
            9,
            "not valid CEL",
        ),
        (
            GOOD.replace("agent.kind ==", "agnt.kind =="),
            9,
            "unknown variable(s) agnt",
        ),
        (
            GOOD.replace("severity: low", "severity: urgent"),
            4,
            "unknown severity",
        ),
        (format!("{GOOD}colour: red\n"), 16, "unknown key `colour`"),
        // A misspelled fact: rejected at load, with the field it meant.
        (
            GOOD.replace(
                "agent.kind == \"github-workflow\"",
                "agent.kind == \"github-workflow\" && size(agent.facts.write_scope) > 0",
            ),
            9,
            "`agent.facts.write_scope` is not a field rules can read (did you mean `agent.facts.write_scopes`?)",
        ),
        (
            GOOD.replace("{{ agent.name }}", "{{ agent.nmae }}"),
            10,
            "message uses `agent.nmae` is not a field",
        ),
        (
            GOOD.replace("  maestro: [L4]\n", ""),
            12,
            "must map to CSA MAESTRO",
        ),
    ];
    for (text, line, needle) in cases {
        let errs = load_rule_text("rules/bad.yaml", &text, None).expect_err(needle);
        let hit = errs
            .iter()
            .find(|e| e.message.contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {errs:?}"));
        assert_eq!(hit.file, "rules/bad.yaml");
        assert_eq!(hit.line, line, "{needle}: {hit}");
    }
}

/// Every fact record a source writes, on the fixtures and (when it is there) on the
/// shared corpus, reads back as its kind's struct (`src/model/facts.rs`): an unlisted
/// key or a value of another type fails, naming the agent or identity and the key. The
/// rule vocabulary is made from those structs, so a rule can read every fact written.
#[test]
fn every_fact_a_source_writes_is_in_its_kinds_struct() {
    use nhi_audit::model::AgentKind;
    use nhi_audit::model::facts::{agent_record, identity_record};
    use nhi_audit::rules::vocabulary::check;
    let mut roots = vec![crate_dir().join("fixtures")];
    roots.extend(crate::common::corpus(""));
    let refs: Vec<&std::path::Path> = roots.iter().map(|p| p.as_path()).collect();
    let report = crate::common::scan_json(&refs, &["--scope", "all", "--allow-partial"]);
    let mut failures = Vec::new();
    let inv = &report["inventory"];
    for agent in inv["agents"].as_array().unwrap() {
        let (id, kind) = (&agent["id"], agent["kind"].as_str().unwrap());
        let Some(record) = agent_record(&AgentKind::parse(kind)) else {
            failures.push(format!("agent {id}: no fact struct for kind {kind}"));
            continue;
        };
        if let Err(e) = (record.check)(&agent["facts"]) {
            failures.push(format!("agent {id} ({kind}, {}): {e}", record.name));
        }
        for key in agent["facts"].as_object().unwrap().keys() {
            if let Err(e) = check(&["agent", "facts", key]) {
                failures.push(format!("agent {id}: {e}"));
            }
        }
    }
    for identity in inv["identities"].as_array().unwrap() {
        let id = &identity["id"];
        for (source, facts) in identity["facts"].as_object().into_iter().flatten() {
            let Some(record) = identity_record(source) else {
                failures.push(format!("identity {id}: no fact struct for facts.{source}"));
                continue;
            };
            if let Err(e) = (record.check)(facts) {
                failures.push(format!("identity {id} ({}): {e}", record.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "facts that do not read as their struct:\n{}",
        failures.join("\n")
    );
}

/// `rules fields` lists every readable path with its type and meaning, and `--format
/// json` is the schema of the fact structs.
#[test]
fn rules_fields_lists_paths_and_prints_the_fact_schema() {
    let out = bin().args(["rules", "fields"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let at = text
        .find("  agent.facts.write_scopes  (array of string)\n")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        text[at..]
            .lines()
            .nth(1)
            .is_some_and(|l| l.trim_start().starts_with("Token scopes at write or above")),
        "{text}"
    );
    for heading in [
        "agent\n",
        "agent.facts (github-workflow)\n",
        "agent.facts (mcp-client)\n",
        "identity.facts.aws\n",
        "identity.facts.github\n",
        "config\n",
    ] {
        assert!(text.contains(heading), "{heading}: {text}");
    }
    assert!(
        text.contains("  identity.facts.aws.admin  (boolean)\n"),
        "{text}"
    );

    let out = bin()
        .args(["rules", "fields", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    for name in [
        "WorkflowAgentFacts",
        "McpAgentFacts",
        "CrewAiAgentFacts",
        "GithubAppAgentFacts",
        "AwsIdentityFacts",
        "GithubIdentityFacts",
    ] {
        let def = &schema["$defs"][name];
        assert_eq!(def["type"], "object", "{name}");
        assert_eq!(def["additionalProperties"], false, "{name}");
    }
    let ws = &schema["$defs"]["WorkflowAgentFacts"]["properties"]["write_scopes"];
    assert!(
        ws["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Token scopes")),
        "{ws}"
    );
    let records = schema["x-records"].as_array().expect("records");
    assert!(records.iter().any(|r| r["path"] == "agent.facts"
        && r["kinds"] == serde_json::json!(["github-workflow"])
        && r["schema"]["$ref"] == "#/$defs/WorkflowAgentFacts"));
}

#[test]
fn rules_cli_lists_shows_and_checks() {
    let out = bin().args(["rules", "list"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("NHI-REPO-001") && text.contains("NHI-REPO-015"));

    let out = bin()
        .args(["rules", "show", "NHI-REPO-014"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Remediation")
            && text.contains("ASI03")
            && text.contains("Identity and Privilege Abuse"),
        "{text}"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        GOOD.replace("[ASI03]", "[ASI42]"),
    )
    .unwrap();
    let out = bin()
        .args(["rules", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.yaml:13") && err.contains("ASI42"),
        "{err}"
    );

    // A user rule with working examples passes `rules check`, and `scan --rules` uses it.
    let good = dir.path().join("good");
    std::fs::create_dir_all(good.join("ex/.well-known")).unwrap();
    std::fs::write(
        good.join("ex/.well-known/agent.json"),
        r#"{"name": "X", "url": "http://x", "skills": []}"#,
    )
    .unwrap();
    let rule = GOOD
        .replace("agent.kind == \"github-workflow\"", "agent.kind == \"a2a\"")
        .replace("controls:", "examples:\n  match: [ex]\ncontrols:");
    std::fs::write(good.join("rule.yaml"), rule).unwrap();
    let out = bin()
        .args(["rules", "check"])
        .arg(&good)
        .current_dir(&good)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bin()
        .arg("scan")
        .arg(good.join("ex"))
        .args(["--format", "json", "--rules"])
        .arg(&good)
        .args(["--fail-on", "none"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "TEST-001")
    );
}
