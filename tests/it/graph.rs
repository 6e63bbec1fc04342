//! `nhi-audit graph` (checked by Graphviz itself) and `nhi-audit diff`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{bin, crate_dir};

/// The folder holding npm @hpcc-js/wasm-graphviz, or `None` (after a note) when a
/// developer runs `cargo test` without `scripts/test.sh`.
fn graphviz() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("NHI_GRAPHVIZ_DIR").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("NHI_GRAPHVIZ_DIR is not set in CI: run the tests through scripts/test.sh");
    }
    eprintln!("note: NHI_GRAPHVIZ_DIR is not set; skipping the Graphviz check");
    None
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = bin().args(args).current_dir(crate_dir()).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Graphviz lays the DOT out; returns the node and edge counts of the SVG.
fn layout(dir: &Path, dot: &str) -> (u64, u64) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("g.dot");
    std::fs::write(&file, dot).unwrap();
    let out = Command::new("node")
        .arg(crate_dir().join("scripts/lib/graphviz-check.mjs"))
        .arg(&file)
        .env("NHI_GRAPHVIZ_DIR", dir)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "Graphviz rejected the DOT: {}\n{dot}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (v["nodes"].as_u64().unwrap(), v["edges"].as_u64().unwrap())
}

#[test]
fn graphviz_draws_every_node_and_edge_of_the_graph() {
    for target in ["fixtures/scenario", "fixtures/demo"] {
        let (code, dot, err) = run(&["graph", target]);
        assert_eq!(code, Some(0), "{err}");
        let (_, inv, _) = run(&["inventory", target, "--format", "json"]);
        let inv: Value = serde_json::from_str(&inv).unwrap();
        // The outside is drawn when it steers an agent.
        let outside = inv["inventory"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "steers");
        let nodes = inv["inventory"]["agents"].as_array().unwrap().len()
            + inv["inventory"]["identities"].as_array().unwrap().len()
            + usize::from(outside);
        let edges: std::collections::BTreeSet<(String, String, String)> = inv["inventory"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["from"].to_string(),
                    e["to"].to_string(),
                    e["kind"].to_string(),
                )
            })
            .collect();
        assert_eq!(dot.matches("label=").count() - edges.len(), nodes, "{dot}");
        if let Some(dir) = graphviz() {
            assert_eq!(layout(&dir, &dot), (nodes as u64, edges.len() as u64));
        }
    }
}

#[test]
fn one_agent_s_graph_shows_its_chain() {
    let (code, out, err) = run(&[
        "graph",
        "fixtures/scenario",
        "--format",
        "mermaid",
        "--agent",
        "issue triage",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("flowchart LR\n"), "{out}");
    assert!(
        out.contains("==>|triggers|"),
        "the chain hop is thick: {out}"
    );
    assert!(out.contains("app-deployer"), "{out}");
    assert!(
        !out.contains("warehouse"),
        "other agents' nodes are left out: {out}"
    );
    if let Some(dir) = graphviz() {
        let (_, dot, _) = run(&["graph", "fixtures/scenario", "--agent", "issue triage"]);
        layout(&dir, &dot);
    }

    // The same graph drawn from a saved report.
    let tmp = tempfile::tempdir().unwrap();
    let saved = tmp.path().join("report.json");
    let (code, json, _) = run(&[
        "scan",
        "fixtures/scenario",
        "--format",
        "json",
        "--fail-on",
        "none",
    ]);
    assert_eq!(code, Some(0));
    std::fs::write(&saved, json).unwrap();
    let (code, from_file, err) = run(&[
        "graph",
        "--from",
        saved.to_str().unwrap(),
        "--format",
        "mermaid",
        "--agent",
        "issue triage",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(from_file, out, "a saved report draws the same graph");

    let (code, _, err) = run(&["graph", "fixtures/scenario", "--agent", "nobody"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--agent nobody"), "{err}");
}

/// Saves `scan --format json` of a copy of the scenario, after `edit`.
fn snapshot(dir: &Path, name: &str, edit: Option<(&str, &str)>) -> PathBuf {
    let root = dir.join(name);
    std::fs::create_dir_all(root.join("github")).unwrap();
    let export = crate_dir().join("fixtures/scenario/github/github-export.json");
    let mut text = std::fs::read_to_string(export).unwrap();
    if let Some((from, to)) = edit {
        assert!(text.contains(from));
        text = text.replace(from, to);
    }
    std::fs::write(root.join("github/github-export.json"), text).unwrap();
    let out = bin()
        .args(["scan", "--format", "json", "--fail-on", "none"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, out.stdout).unwrap();
    file
}

#[test]
fn diff_reports_write_creep_between_snapshots() {
    let tmp = tempfile::tempdir().unwrap();
    // Ids carry the scanned path, so both snapshots scan a folder of the same name.
    let old_dir = tmp.path().join("old");
    let new_dir = tmp.path().join("new");
    let old = snapshot(
        &old_dir,
        "scenario",
        Some((
            "contents: write\\n      pull-requests: write",
            "contents: read",
        )),
    );
    let new = snapshot(&new_dir, "scenario", None);

    let out = bin()
        .arg("diff")
        .args([&old, &new])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "access grew: exit 1");
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(d["schema"], "nhi-audit/diff/v1");
    let raised = d["access_raised"].as_array().unwrap();
    assert!(
        raised.iter().any(|r| r["id"]
            .as_str()
            .unwrap()
            .ends_with("coder.yml#/jobs/claude")
            && r["what"]
                .as_str()
                .unwrap()
                .contains("contents, pull-requests")),
        "{raised:#?}"
    );
    assert!(
        !d["findings_added"].as_array().unwrap().is_empty(),
        "the triage agent's chain to write is new"
    );

    // The other way round nothing grew; the chain is resolved.
    let out = bin().arg("diff").args([&new, &old]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Resolved findings"), "{text}");
    assert!(!text.contains("Access raised"), "{text}");
}

#[test]
fn diff_rejects_what_is_not_a_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{\"schema\": \"other\"}").unwrap();
    let broken = tmp.path().join("broken.json");
    std::fs::write(&broken, "{\n  \"schema\": ").unwrap();
    for (file, says) in [
        (&bad, "not an nhi-audit report"),
        (&broken, "broken.json:2:"),
    ] {
        let out = bin().arg("diff").args([file, file]).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{err}");
    }
}
