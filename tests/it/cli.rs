//! The command-line contract: exit codes, suppressions (inline, config with expiry,
//! baseline), scope, the report formats and the demo.

use std::path::Path;

use serde_json::Value;

use crate::common::{bin, crate_dir, findings_of, scan_json};

fn fixture(rule: &str, kind: &str) -> std::path::PathBuf {
    crate_dir().join("fixtures/rules").join(rule).join(kind)
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn exit_codes_follow_fail_on() {
    let dir = fixture("NHI-REPO-005", "match"); // a high finding
    let code = |fail_on: &str| {
        bin()
            .arg("scan")
            .arg(&dir)
            .args(["--fail-on", fail_on])
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code("high"), Some(1));
    assert_eq!(code("critical"), Some(0));
    assert_eq!(code("none"), Some(0));
    // Usage error.
    assert_eq!(
        bin()
            .args(["scan", "--format", "pdf"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    // A missing path is a typo, not a failed source: exit 2, no report.
    let out = bin()
        .arg("scan")
        .arg(&dir)
        .arg("/nonexistent/nhi-audit")
        .args(["--format", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/nhi-audit"));
}

#[test]
fn help_documents_the_contract() {
    let out = bin().args(["scan", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--format",
        "--output",
        "--fail-on",
        "--scope",
        "--config",
        "--rules",
        "--baseline",
        "--write-baseline",
        "--respect-gitignore",
    ] {
        assert!(help.contains(flag), "scan --help lacks {flag}");
    }
    let out = bin().arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Exit codes"));
}

#[test]
fn inline_ignore_suppresses_and_unused_ones_are_stale() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("NHI-REPO-002", "match"), tmp.path());
    let env = tmp.path().join(".env");
    let text = std::fs::read_to_string(&env).unwrap();
    let text = text.replace(
        "OPENAI_API_KEY=",
        "# nhi-audit:ignore[NHI-REPO-002] test key, revoked\nOPENAI_API_KEY=",
    );
    std::fs::write(
        &env,
        format!("{text}# nhi-audit:ignore[NHI-REPO-009] nothing here\n"),
    )
    .unwrap();
    let report = scan_json(&[tmp.path()], &[]);
    assert!(findings_of(&report, "NHI-REPO-002").is_empty());
    let sup = &report["suppressed"][0];
    assert_eq!(sup["by"], "inline");
    assert_eq!(sup["reason"], "test key, revoked");
    let stale = report["stale_ignores"].as_array().unwrap();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0]["rule"], "NHI-REPO-009");
}

#[test]
fn config_ignores_expire_and_unknown_keys_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("NHI-REPO-005", "match"), tmp.path());
    let cfg = tmp.path().join(".nhi-audit.yaml");
    std::fs::write(&cfg, "ignores:\n  - rule: NHI-REPO-005\n    path: '**/claude.yml'\n    reason: accepted until the split\n    expires: 2999-01-01\n").unwrap();
    let report = scan_json(&[tmp.path()], &[]);
    assert!(findings_of(&report, "NHI-REPO-005").is_empty());
    assert_eq!(report["suppressed"][0]["by"], "config");

    std::fs::write(&cfg, "ignores:\n  - rule: NHI-REPO-005\n    reason: accepted\n    expires: 2001-01-01\n  - rule: NHI-REPO-001\n    reason: nothing\n").unwrap();
    let report = scan_json(&[tmp.path()], &[]);
    assert_eq!(
        findings_of(&report, "NHI-REPO-005").len(),
        1,
        "an expired ignore no longer applies"
    );
    let stale: Vec<&str> = report["stale_ignores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert!(
        stale.iter().any(|r| r.contains("expired"))
            && stale.iter().any(|r| r.contains("matched no finding")),
        "{stale:?}"
    );

    std::fs::write(&cfg, "thresholds:\n  max_key_age_days: 30\nignroes: []\n").unwrap();
    let out = bin().arg("scan").arg(tmp.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".nhi-audit.yaml:3"));
}

#[test]
fn baseline_accepts_known_findings_only() {
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(&fixture("NHI-REPO-005", "match"), tmp.path());
    let baseline = tmp.path().join("baseline.json");
    let out = bin()
        .arg("scan")
        .arg(tmp.path())
        .arg("--write-baseline")
        .arg(&baseline)
        .args(["--fail-on", "none"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let code = bin()
        .arg("scan")
        .arg(tmp.path())
        .arg("--baseline")
        .arg(&baseline)
        .output()
        .unwrap()
        .status
        .code();
    assert_eq!(code, Some(0), "every finding is in the baseline");
    // A new problem is still reported.
    copy_tree(&fixture("NHI-REPO-012", "match"), tmp.path());
    let report = scan_json(&[tmp.path()], &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(findings_of(&report, "NHI-REPO-012").len(), 1);
    assert!(findings_of(&report, "NHI-REPO-005").is_empty());
}

#[test]
fn scope_agents_hides_unrelated_secrets() {
    let dir = fixture("NHI-REPO-003", "match");
    assert!(findings_of(&scan_json(&[&dir], &[]), "NHI-REPO-003").is_empty());
    assert_eq!(
        findings_of(&scan_json(&[&dir], &["--scope", "all"]), "NHI-REPO-003").len(),
        1
    );
}

#[test]
fn json_report_has_the_stable_core() {
    let report = scan_json(&[&crate_dir().join("fixtures/demo")], &[]);
    assert_eq!(report["schema"], "nhi-audit/report/v1");
    let f = &report["findings"][0];
    for key in [
        "rule_id",
        "rule_name",
        "category",
        "severity",
        "confidence",
        "message",
        "agent",
        "subject",
        "locations",
        "path",
        "controls",
        "fingerprint",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}");
    }
    let a = &report["inventory"]["agents"][0];
    for key in ["id", "name", "kind", "confidence", "evidence", "source"] {
        assert!(a.get(key).is_some(), "agent lacks {key}");
    }
    let i = &report["inventory"]["identities"][0];
    for key in [
        "id",
        "kind",
        "provider",
        "agents",
        "access_level",
        "created_at",
        "last_used_at",
        "expires_at",
        "locations",
    ] {
        assert!(i.get(key).is_some(), "identity lacks {key}");
    }
    // The schema command documents the same shape.
    let out = bin().arg("schema").output().unwrap();
    let schema: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(schema["properties"]["findings"].is_object());
}

#[test]
fn the_demo_shows_every_category_this_source_finds() {
    let report = scan_json(&[&crate_dir().join("fixtures/demo")], &[]);
    let categories: std::collections::BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["category"].as_str().unwrap())
        .collect();
    for c in [
        "hardcoded-secret",
        "long-lived-credential",
        "over-privilege",
        "shared-credential",
        "weak-workload-identity",
        "unattributable-action",
        "privilege-chain",
    ] {
        assert!(
            categories.contains(c),
            "the demo shows no {c} finding: {categories:?}"
        );
    }
    let chain = &findings_of(&report, "NHI-REPO-015")[0];
    assert!(chain["path"].as_array().unwrap().len() >= 2);
    assert!(!chain["hops"].as_array().unwrap().is_empty());
}

#[test]
fn markdown_summarises_controls_per_framework() {
    let out = bin()
        .arg("scan")
        .arg(crate_dir().join("fixtures/demo"))
        .args(["--format", "markdown", "--fail-on", "none"])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    for heading in [
        "OWASP Top 10 for Agentic Applications",
        "CSA MAESTRO",
        "NIST AI RMF 1.0",
        "| ASI03 | Identity and Privilege Abuse |",
        "```mermaid",
    ] {
        assert!(md.contains(heading), "markdown lacks {heading}");
    }
}

#[test]
fn inventory_and_controls_commands() {
    let out = bin()
        .arg("inventory")
        .arg(crate_dir().join("fixtures/demo"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(inv["inventory"]["agents"].as_array().unwrap().len() >= 5);
    let out = bin()
        .args(["controls", "--framework", "maestro"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("L7") && !text.contains("ASI01"));
}

#[test]
fn table_shows_a_chain_hop_by_hop() {
    let out = bin()
        .args([
            "scan",
            "fixtures/rules/NHI-REPO-015/match",
            "--color",
            "never",
            "--fail-on",
            "none",
        ])
        .env("COLUMNS", "100")
        .current_dir(crate_dir())
        .output()
        .unwrap();
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}
