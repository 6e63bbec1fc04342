//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("nhi-audit").expect("the binary is built");
    cmd.env_remove("NHI_AUDIT_FINGERPRINT_KEY");
    cmd
}

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared corpus of real public inputs, beside the checkout (`../shared/corpus`).
/// `None`, with one line naming the folder, when it is absent (a clone elsewhere): the
/// test that asked skips. CI has it, so there these tests run.
pub fn corpus(sub: &str) -> Option<PathBuf> {
    let path = crate_dir().join("../shared/corpus").join(sub);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {} is absent (the shared corpus lives beside the checkout)",
            path.display()
        );
        None
    }
}

/// Runs `scan --format json` over `paths` and parses the report.
pub fn scan_json(paths: &[&Path], extra: &[&str]) -> Value {
    let mut cmd = bin();
    cmd.arg("scan")
        .args(paths)
        .args(["--format", "json", "--fail-on", "none"])
        .args(extra);
    let out = cmd.output().expect("runs");
    assert!(
        out.status.code() == Some(0),
        "scan failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the report is JSON")
}

pub fn findings_of<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .collect()
}
