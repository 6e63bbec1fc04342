//! The report JSON, byte for byte, on every fixture folder and on the wild corpus: what
//! proves that a refactoring changed no output. A change that is meant to change the
//! report shows here as a snapshot diff to review (`cargo insta review`).
//!
//! Ages depend on the clock, so every scan runs at the same `NHI_AUDIT_NOW`.

use std::path::Path;

use crate::common::{bin, corpus, crate_dir};

/// The moment the snapshots were taken at.
const NOW: &str = "2026-12-01T00:00:00Z";

/// `scan --format json` of `path` (relative to the crate, or absolute), as written.
fn report(path: &Path, extra: &[&str]) -> String {
    let out = bin()
        .arg("scan")
        .arg(path)
        .args(["--format", "json", "--fail-on", "none"])
        .args(extra)
        .env("NHI_AUDIT_NOW", NOW)
        .current_dir(crate_dir())
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "scan of {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the report is UTF-8")
}

#[test]
fn demo_report_is_unchanged() {
    insta::assert_snapshot!("demo", report(Path::new("fixtures/demo"), &[]));
}

#[test]
fn demo_report_of_every_scope_is_unchanged() {
    insta::assert_snapshot!(
        "demo-scope-all",
        report(Path::new("fixtures/demo"), &["--scope", "all"])
    );
}

#[test]
fn scenario_report_is_unchanged() {
    insta::assert_snapshot!(
        "scenario",
        report(Path::new("fixtures/scenario"), &["--scope", "all"])
    );
}

#[test]
fn recognition_fixtures_report_is_unchanged() {
    insta::assert_snapshot!(
        "recognise",
        report(Path::new("fixtures/recognise"), &["--scope", "all"])
    );
}

#[test]
fn rule_examples_report_is_unchanged() {
    insta::assert_snapshot!(
        "rule-examples",
        report(Path::new("fixtures/rules"), &["--scope", "all"])
    );
}

#[test]
fn wild_corpus_report_is_unchanged() {
    let Some(wild) = corpus("wild") else { return };
    // The corpus lives beside the checkout; its files are named from the corpus folder.
    insta::assert_snapshot!("wild", report(&wild, &["--scope", "all"]));
}
