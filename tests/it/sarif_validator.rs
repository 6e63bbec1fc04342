//! The SARIF report validates with Microsoft's SARIF Multitool (DESIGN.md §5).
//!
//! `scripts/test.sh` installs the multitool and exports `NHI_SARIF_MULTITOOL`
//! (the path of its executable). Without it, a developer's plain `cargo test`
//! skips these checks with a note; in CI (`CI` set) a missing multitool fails.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;
use serde_json::Value;

const CRATE_ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn demo_sarif_has_no_validation_errors() {
    let Some(multitool) = multitool() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let sarif = scan_to_sarif(Path::new("fixtures/demo"), tmp.path(), &[0]);
    assert_valid(&multitool, &sarif, tmp.path());
}

/// The scenario's chains cross the three sources; each is a code flow, one step per node
/// of its path, and the whole log validates.
#[test]
fn chains_are_code_flows() {
    let tmp = tempfile::tempdir().unwrap();
    let sarif = scan_to_sarif(Path::new("fixtures/scenario"), tmp.path(), &[0]);
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let chains: Vec<&serde_json::Value> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["properties"]["category"] == "privilege-chain")
        .filter(|r| r["properties"]["path"].as_array().unwrap().len() > 1)
        .collect();
    assert!(!chains.is_empty());
    for r in chains {
        let steps = r["codeFlows"][0]["threadFlows"][0]["locations"]
            .as_array()
            .expect("a code flow");
        assert_eq!(
            steps.len(),
            r["properties"]["path"].as_array().unwrap().len()
        );
    }
    if let Some(multitool) = multitool() {
        assert_valid(&multitool, &sarif, tmp.path());
    }
}

#[test]
fn corpus_sarif_has_no_validation_errors() {
    let Some(multitool) = multitool() else { return };
    let Some(corpus) = crate::common::corpus("") else {
        return;
    };
    let corpus = corpus.as_path();
    let tmp = tempfile::tempdir().unwrap();
    // Exit 3 means a source failed but the report was still written (DESIGN.md §5);
    // the corpus holds odd real-world files, and this test is about the SARIF.
    let sarif = scan_to_sarif(corpus, tmp.path(), &[0, 3]);
    assert_valid(&multitool, &sarif, tmp.path());
}

/// The multitool's executable, or `None` (after a note) when a developer runs
/// `cargo test` without `scripts/test.sh`.
fn multitool() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("NHI_SARIF_MULTITOOL").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!("NHI_SARIF_MULTITOOL is not set in CI: run the tests through scripts/test.sh");
    }
    eprintln!(
        "note: NHI_SARIF_MULTITOOL is not set; skipping SARIF validation \
         (scripts/test.sh installs the SARIF Multitool and sets it)"
    );
    None
}

/// Runs `nhi-audit scan TARGET --format sarif` from the crate root and returns
/// the path of the report, after checking it is JSON.
fn scan_to_sarif(target: &Path, dir: &Path, ok_codes: &[i32]) -> PathBuf {
    let out = dir.join("out.sarif");
    let output = Command::cargo_bin("nhi-audit")
        .unwrap()
        .current_dir(CRATE_ROOT)
        .arg("scan")
        .arg(target)
        .args(["--format", "sarif", "--output"])
        .arg(&out)
        .args(["--fail-on", "none"])
        .output()
        .unwrap();
    let code = output.status.code();
    assert!(
        code.is_some_and(|c| ok_codes.contains(&c)),
        "nhi-audit scan {} exited with {code:?} (expected one of {ok_codes:?})\nstderr:\n{}",
        target.display(),
        String::from_utf8_lossy(&output.stderr),
    );
    let text = std::fs::read_to_string(&out)
        .unwrap_or_else(|e| panic!("no SARIF report at {}: {e}", out.display()));
    let log: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("SARIF report {} is not JSON: {e}", out.display()));
    assert_levels_known(&log);
    out
}

/// The multitool's schema check does not enforce the `level` enum, and a log
/// that then fails to deserialize is silently skipped by all its SARIF rules;
/// so check that one here rather than trust an empty validation log.
fn assert_levels_known(log: &Value) {
    fn walk(v: &Value, path: &str, bad: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    let here = format!("{path}.{k}");
                    if k == "level"
                        && !matches!(child.as_str(), Some("none" | "note" | "warning" | "error"))
                    {
                        bad.push(format!("{here} = {child}"));
                    }
                    walk(child, &here, bad);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{path}[{i}]"), bad);
                }
            }
            _ => {}
        }
    }
    let mut bad = Vec::new();
    walk(log, "$", &mut bad);
    assert!(
        bad.is_empty(),
        "SARIF levels outside none|note|warning|error:\n{}",
        bad.join("\n")
    );
}

/// Validates `sarif` with the multitool's default rules and fails on any result
/// of level `error`, listing them; warnings and notes are printed, not fatal.
fn assert_valid(multitool: &Path, sarif: &Path, dir: &Path) {
    let report = dir.join("validation.sarif");
    // The multitool exits 0 whatever it finds (its findings go to the log), so a
    // non-zero exit means the tool itself failed.
    let output = StdCommand::new(multitool)
        .arg("validate")
        .arg(sarif)
        .arg("--output")
        .arg(&report)
        .args(["--log", "ForceOverwrite"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", multitool.display()));
    assert!(
        output.status.success(),
        "SARIF Multitool failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    let text = std::fs::read_to_string(&report)
        .unwrap_or_else(|e| panic!("multitool wrote no log at {}: {e}", report.display()));
    let log: Value = serde_json::from_str(&text).expect("validation log is JSON");

    let mut errors = Vec::new();
    let mut others = Vec::new();
    for run in log["runs"].as_array().expect("validation log has runs") {
        let rules = run["tool"]["driver"]["rules"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for invocation in run["invocations"].as_array().into_iter().flatten() {
            if invocation["executionSuccessful"] == Value::Bool(false) {
                errors.push(format!("multitool run not successful: {invocation}"));
            }
        }
        for result in run["results"].as_array().into_iter().flatten() {
            let line = describe(result, &rules);
            if effective_level(result, &rules) == "error" {
                errors.push(line);
            } else {
                others.push(line);
            }
        }
    }
    for line in &others {
        eprintln!("note: {}: {line}", sarif.display());
    }
    assert!(
        errors.is_empty(),
        "SARIF Multitool found {} error(s) in {}:\n{}",
        errors.len(),
        sarif.display(),
        errors.join("\n"),
    );
}

/// The rule a result points at: by `ruleIndex`, else by `ruleId`.
fn rule_of<'a>(result: &Value, rules: &'a [Value]) -> Option<&'a Value> {
    result["ruleIndex"]
        .as_u64()
        .and_then(|i| rules.get(usize::try_from(i).ok()?))
        .or_else(|| rules.iter().find(|r| r["id"] == result["ruleId"]))
}

/// SARIF §3.27.10: a result without `level` takes its rule's default
/// configuration, and failing that `warning`. The multitool omits `level` on
/// most of its warnings, so reading `result.level` alone would misjudge them.
fn effective_level(result: &Value, rules: &[Value]) -> String {
    result["level"]
        .as_str()
        .or_else(|| rule_of(result, rules)?["defaultConfiguration"]["level"].as_str())
        .unwrap_or("warning")
        .to_owned()
}

/// `RULEID line N: message`, with the message built from the rule's message
/// string and the result's arguments, as the multitool writes them.
fn describe(result: &Value, rules: &[Value]) -> String {
    let rule_id = result["ruleId"].as_str().unwrap_or("?");
    let message = &result["message"];
    let text = message["text"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let template = message["id"]
                .as_str()
                .and_then(|id| rule_of(result, rules)?["messageStrings"][id]["text"].as_str())
                .unwrap_or("{0}");
            let args = message["arguments"].as_array().cloned().unwrap_or_default();
            args.iter()
                .enumerate()
                .fold(template.to_owned(), |acc, (i, arg)| {
                    acc.replace(&format!("{{{i}}}"), arg.as_str().unwrap_or_default())
                })
        });
    let line = &result["locations"][0]["physicalLocation"]["region"]["startLine"];
    format!("{rule_id} line {line}: {text}")
}
