//! What is recognised as an AI agent, case by case (`fixtures/recognise/<case>/`, each
//! with `<case>.expect.yaml` listing the agents it holds, `agents: []` for the files that
//! are not agents): every agent product, client config and `who_can_start` decision the
//! README lists, with the look-alikes that must not be taken for agents.

use std::path::Path;

use nhi_audit::doc::{self, Format, Node};
use serde_json::Value;

use crate::common::{crate_dir, scan_json};

/// Checks one expected agent against the agents found; returns what did not match.
fn matches(want: &Node, agent: &Value) -> Result<(), String> {
    let facts = &agent["facts"];
    for (key, value) in want.entries() {
        let ok = match key.name.as_str() {
            "product" => facts["product"].as_str() == value.as_str(),
            "kind" => agent["kind"].as_str() == value.as_str(),
            "client" => facts["client"].as_str() == value.as_str(),
            "job" => facts["job"].as_str() == value.as_str(),
            "file" => facts["workflow_file"]
                .as_str()
                .or_else(|| agent["locations"][0]["path"].as_str())
                .zip(value.as_str())
                .is_some_and(|(f, w)| f.ends_with(w)),
            "who_can_start" => facts["who_can_start"].as_str() == value.as_str(),
            "servers" => {
                facts["server_count"].as_u64() == value.scalar_text().and_then(|t| t.parse().ok())
            }
            "untrusted_inputs" => {
                facts["untrusted_inputs"].as_array().map(Vec::len)
                    == value.scalar_text().and_then(|t| t.parse().ok())
            }
            "unresolved_call" => facts.get("unresolved_call").is_some_and(|v| !v.is_null()),
            "writes_through_safe_outputs" | "secrets" => {
                let want: Vec<&str> = value.strings();
                let got: Vec<&str> = facts[key.name.as_str()]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                got == want
            }
            other => return Err(format!("unknown expectation `{other}`")),
        };
        if !ok {
            return Err(format!(
                "{} is not {:?}",
                key.name,
                value.scalar_text().unwrap_or_default()
            ));
        }
    }
    Ok(())
}

#[test]
fn every_case_is_recognised_as_expected() {
    let dir = crate_dir().join("fixtures/recognise");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/recognise")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let expect_path = dir.join(format!("{name}.expect.yaml"));
        let text = std::fs::read_to_string(&expect_path)
            .unwrap_or_else(|_| panic!("{} has no {name}.expect.yaml", case.display()));
        let expect = doc::parse(&text, Format::Yaml).expect("expect file parses");
        let wanted = expect.get("agents").map(Node::items).unwrap_or_default();
        let report = scan_json(&[Path::new(case)], &["--scope", "all"]);
        let agents = report["inventory"]["agents"].as_array().expect("agents");
        if agents.len() != wanted.len() {
            failures.push(format!(
                "{name}: {} agent(s), expected {}: {:?}",
                agents.len(),
                wanted.len(),
                agents
                    .iter()
                    .map(|a| (a["name"].clone(), a["facts"]["who_can_start"].clone()))
                    .collect::<Vec<_>>()
            ));
            continue;
        }
        for w in wanted {
            let results: Vec<Result<(), String>> = agents.iter().map(|a| matches(w, a)).collect();
            if !results.iter().any(Result::is_ok) {
                failures.push(format!(
                    "{name}: no agent matches {:?}: {:?}",
                    w.entries()
                        .iter()
                        .map(|(k, v)| (k.name.clone(), v.scalar_text()))
                        .collect::<Vec<_>>(),
                    results
                        .into_iter()
                        .filter_map(Result::err)
                        .collect::<Vec<_>>()
                ));
            }
        }
        assert_eq!(report["errors"], Value::Array(Vec::new()), "{name}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
