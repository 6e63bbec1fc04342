//! Same results wherever the scan runs: ids, fingerprints, baselines and ignores do not
//! depend on the working directory or on how a path is spelled; and the command-line
//! contract around paths, outputs and configuration.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::common::{bin, crate_dir};

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// A copy of the demo at `<tmp>/work/d1`, outside any git repository.
fn demo_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let d1 = tmp.path().join("work/d1");
    copy_tree(&crate_dir().join("fixtures/demo"), &d1);
    (tmp, d1)
}

fn run_in(cwd: &Path, args: &[&str]) -> Output {
    bin().current_dir(cwd).args(args).output().unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn three_working_directories_three_spellings_one_report() {
    let (tmp, d1) = demo_copy();
    let work = tmp.path().join("work");
    let abs = d1.to_str().unwrap().to_string();
    let runs = [
        (work.clone(), "d1".to_string()),
        (d1.join(".github"), abs),
        (tmp.path().to_path_buf(), "./work/d1/../d1".to_string()),
    ];
    let mut reports = Vec::new();
    for (cwd, path) in &runs {
        let out = run_in(
            cwd,
            &["scan", path, "--format", "json", "--fail-on", "none"],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        reports.push(out.stdout);
    }
    let first: Value = serde_json::from_slice(&reports[0]).unwrap();
    assert!(first["findings"].as_array().unwrap().len() > 40);
    // The LangGraph graphs hold the keys of their env file wherever the scan runs.
    let repo_001 = first["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "NHI-REPO-001")
        .count();
    assert!(repo_001 >= 4, "{repo_001} NHI-REPO-001 findings");
    for (i, r) in reports.iter().enumerate().skip(1) {
        assert!(
            r == &reports[0],
            "run {i} ({:?}) differs from run 0",
            runs[i]
        );
    }
    // SARIF too (its %SRCROOT% is the scanned folder, not the working directory).
    let sarif = |cwd: &Path, path: &str| {
        run_in(
            cwd,
            &["scan", path, "--format", "sarif", "--fail-on", "none"],
        )
        .stdout
    };
    assert_eq!(sarif(&runs[0].0, &runs[0].1), sarif(&runs[2].0, &runs[2].1));
}

#[test]
fn a_baseline_written_one_way_suppresses_every_spelling() {
    let (tmp, d1) = demo_copy();
    let work = tmp.path().join("work");
    let base = tmp.path().join("base.json");
    let out = run_in(
        &work,
        &[
            "scan",
            "d1",
            "--write-baseline",
            base.to_str().unwrap(),
            "--fail-on",
            "none",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    let count = written["fingerprints"].as_array().unwrap().len();
    assert!(count > 40);

    for (cwd, path) in [(d1.clone(), "."), (tmp.path().to_path_buf(), "work/d1")] {
        let out = run_in(
            &cwd,
            &[
                "scan",
                path,
                "--baseline",
                base.to_str().unwrap(),
                "--format",
                "json",
            ],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = json_of(&out);
        assert_eq!(report["findings"].as_array().unwrap().len(), 0);
        assert_eq!(report["suppressed"].as_array().unwrap().len(), count);
    }

    // Refreshing the baseline keeps what it accepted.
    let base2 = tmp.path().join("base2.json");
    let out = run_in(
        &d1,
        &[
            "scan",
            ".",
            "--baseline",
            base.to_str().unwrap(),
            "--write-baseline",
            base2.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let refreshed: Value = serde_json::from_str(&std::fs::read_to_string(&base2).unwrap()).unwrap();
    assert_eq!(refreshed["fingerprints"], written["fingerprints"]);
}

#[test]
fn config_ignores_resolve_against_the_config_file() {
    let (tmp, d1) = demo_copy();
    std::fs::write(
        d1.join(".nhi-audit.yaml"),
        "ignores:\n  - rule: NHI-REPO-007\n    path: \".github/workflows/issue-fixer.yml\"\n    reason: gated by a reviewer\n",
    )
    .unwrap();
    let config = std::fs::read_to_string(d1.join(".nhi-audit.yaml")).unwrap();
    std::fs::remove_file(d1.join(".nhi-audit.yaml")).unwrap();
    let before = json_of(&run_in(
        tmp.path(),
        &["scan", "work/d1", "--format", "json", "--fail-on", "none"],
    ));
    std::fs::write(d1.join(".nhi-audit.yaml"), config).unwrap();
    let hits = |r: &Value| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                f["rule_id"] == "NHI-REPO-007"
                    && f["locations"][0]["path"]
                        .as_str()
                        .is_some_and(|p| p.ends_with("issue-fixer.yml"))
            })
            .count()
    };
    assert!(
        hits(&before) > 0,
        "the demo has an NHI-REPO-007 finding in issue-fixer.yml"
    );
    for (cwd, path) in [(tmp.path().to_path_buf(), "work/d1"), (d1.clone(), ".")] {
        let out = run_in(
            &cwd,
            &["scan", path, "--format", "json", "--fail-on", "none"],
        );
        let report = json_of(&out);
        assert_eq!(hits(&report), 0, "from {cwd:?}");
        assert!(
            report["stale_ignores"].as_array().unwrap().is_empty(),
            "from {cwd:?}"
        );
        assert!(
            report["suppressed"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["by"] == "config")
        );
    }
}

#[test]
fn a_missing_scan_root_is_a_usage_error() {
    for extra in [&[][..], &["--allow-partial"][..]] {
        let out = bin()
            .args(["scan", "/nonexistent/nhi-audit"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("/nonexistent/nhi-audit"), "{err}");
        assert!(out.stdout.is_empty(), "no report for a typo");
    }
}

#[test]
fn an_unwritable_output_fails_before_the_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let dir_as_file = tmp.path().to_str().unwrap().to_string();
    for args in [
        vec!["scan", "fixtures/demo", "--output", dir_as_file.as_str()],
        vec![
            "scan",
            "fixtures/demo",
            "--write-baseline",
            "/nonexistent/dir/base.json",
        ],
        vec![
            "inventory",
            "fixtures/demo",
            "--output",
            "/nonexistent/dir/inv.json",
        ],
        vec![
            "graph",
            "fixtures/demo",
            "--output",
            "/nonexistent/dir/g.dot",
        ],
    ] {
        let out = run_in(&crate_dir(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"));
    }
}

#[test]
fn files_that_mention_export_keys_are_not_exports() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("gen.py"),
        "doc = {\"UserDetailList\": [], \"RoleDetailList\": []}\nschema = '\"schema\": \"nhi-audit/github-export/v1\"'\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("notes.json"),
        "{\"examples\": {\"UserDetailList\": [], \"schema\": \"nhi-audit/github-export/v1\"}}\n",
    )
    .unwrap();
    let out = bin()
        .arg("scan")
        .arg(tmp.path())
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&out)["errors"].as_array().unwrap().len(), 0);
}

/// This repository itself: its scripts and sources mention export keys, its fixtures
/// hold deliberately bad files only under `fixtures/rules` and the tests' temp folders.
#[test]
fn scanning_this_repository_reads_every_source_file() {
    let out = run_in(
        &crate_dir(),
        &[
            "scan",
            "src",
            "scripts",
            "--format",
            "json",
            "--fail-on",
            "none",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json_of(&out)["errors"], Value::Array(Vec::new()));
}

#[test]
fn inventory_honours_scope() {
    let count = |scope: &str| {
        let out = run_in(
            &crate_dir(),
            &[
                "inventory",
                "fixtures/demo",
                "--format",
                "json",
                "--scope",
                scope,
            ],
        );
        assert_eq!(out.status.code(), Some(0));
        json_of(&out)["inventory"]["identities"]
            .as_array()
            .unwrap()
            .len()
    };
    let (agents, all) = (count("agents"), count("all"));
    assert!(agents > 0 && agents < all, "agents {agents}, all {all}");
}

#[test]
fn config_problems_are_usage_errors_naming_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "rules:\n  NHI-REPO-999: {enabled: false}\n",
            "NHI-REPO-999",
            ":2:",
        ),
        ("- just\n- a list\n", "must be a mapping", ":1:"),
        (
            "rules: [NHI-REPO-001]\n",
            "`rules` must be a mapping",
            ":1:",
        ),
    ];
    for (text, want, line) in cases {
        let cfg = tmp.path().join("c.yaml");
        std::fs::write(&cfg, text).unwrap();
        let out = bin()
            .args(["scan", "fixtures/demo", "--config"])
            .arg(&cfg)
            .current_dir(crate_dir())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want) && err.contains(line), "{text}: {err}");
    }
    let out = run_in(
        &crate_dir(),
        &["scan", "fixtures/demo", "--config", "missing.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read the config missing.yaml"), "{err}");
    assert!(!err.contains(":0:"), "{err}");
}

#[test]
fn rules_check_passes_on_the_shipped_rules_from_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(tmp.path())
        .args(["rules", "check"])
        .arg(crate_dir().join("rules"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn graph_from_a_report_takes_no_sources() {
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("r.json");
    std::fs::write(&report, "{}").unwrap();
    let out = run_in(
        &crate_dir(),
        &["graph", "--from", report.to_str().unwrap(), "fixtures/demo"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from"));
}

#[test]
fn every_subcommand_argument_has_help_and_frameworks_are_listed() {
    for sub in [
        &["rules", "list"][..],
        &["rules", "show"],
        &["rules", "check"],
    ] {
        let out = bin().args(sub).arg("--help").output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        for line in help
            .lines()
            .filter(|l| l.trim_start().starts_with("--rules") || l.trim_start().starts_with('<'))
        {
            assert!(
                line.split_whitespace().count() > 1,
                "{sub:?}: an argument without help: {line:?}\n{help}"
            );
        }
    }
    let out = bin()
        .args(["controls", "--framework", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for key in ["owasp_agentic", "maestro", "nist_ai_rmf", "cis_aws"] {
        assert!(err.contains(key), "{err}");
    }
}

#[test]
fn warnings_go_to_standard_error() {
    let (_tmp, d1) = demo_copy();
    std::fs::write(
        d1.join(".nhi-audit.yaml"),
        "ignores:\n  - {rule: NHI-REPO-002, path: nowhere.txt, reason: old}\n",
    )
    .unwrap();
    let out = bin()
        .arg("scan")
        .arg(&d1)
        .args(["--fail-on", "none"])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(stderr.contains("warning: stale ignore"), "{stderr}");
    assert!(!stdout.contains("stale ignore"), "{stdout}");
}

#[test]
fn version_names_the_commit() {
    let out = bin().arg("--version").output().unwrap();
    let v = String::from_utf8_lossy(&out.stdout);
    assert!(v.contains("commit") || v.contains("unknown commit"), "{v}");
    assert!(v.starts_with("nhi-audit "), "{v}");
}

/// The terminal table: the summary first, critical findings first, the width from
/// `COLUMNS`, no path or location split, colour on request, --quiet and --verbose.
#[test]
fn the_table_fits_the_terminal_and_keeps_tokens_whole() {
    let table = |cols: &str, extra: &[&str]| {
        let out = bin()
            .current_dir(crate_dir())
            .env("COLUMNS", cols)
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .args(["scan", "fixtures/demo", "--fail-on", "none"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    let narrow = table("72", &[]);
    let first = narrow.lines().next().unwrap();
    assert!(
        first.starts_with("nhi-audit scan of fixtures/demo"),
        "{first}"
    );
    let summary_end = narrow
        .lines()
        .position(|l| l.starts_with("CRITICAL"))
        .unwrap();
    assert!(
        narrow
            .lines()
            .take(summary_end)
            .any(|l| l.contains(" finding(s): "))
    );
    // Critical findings come before all others.
    let labels: Vec<&str> = narrow
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"].contains(w))
        .collect();
    assert_eq!(labels.first(), Some(&"CRITICAL"));
    let rank = |l: &str| {
        ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"]
            .iter()
            .position(|x| *x == l)
    };
    assert!(
        labels.windows(2).all(|w| rank(w[0]) <= rank(w[1])),
        "{labels:?}"
    );
    // Every location is whole on its line, and lines fit unless one token is wider.
    for line in narrow.lines() {
        for token in line.split_whitespace() {
            if token.contains("fixtures/demo/") {
                let (path, _) = token.split_once(':').unwrap_or((token, ""));
                assert!(
                    crate_dir().join(path.trim_end_matches(',')).exists(),
                    "a split path: {token:?} in {line:?}"
                );
            }
        }
        // A line may only overflow because one token (a long location) is wider than
        // the room left after its label.
        if line.chars().count() > 72 {
            let longest = line
                .split_whitespace()
                .map(|t| t.chars().count())
                .max()
                .unwrap_or(0);
            assert!(longest > 72 - 20, "an over-wide line: {line:?}");
        }
    }
    assert!(!narrow.contains('\x1b'), "no colour into a pipe by default");
    let wide = table("200", &[]);
    assert!(wide.lines().count() < narrow.lines().count());
    assert!(table("100", &["--color", "always"]).contains("\x1b["));
    let forced = bin()
        .current_dir(crate_dir())
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .args(["scan", "fixtures/demo", "--fail-on", "none"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&forced.stdout).contains("\x1b["));
    let quiet = table("100", &["--quiet"]);
    assert!(quiet.lines().count() <= 12, "{quiet}");
    assert!(!quiet.contains("CRITICAL "));
    let verbose = table("100", &["--verbose"]);
    assert!(verbose.contains("OWASP Top 10 for Agentic Applications"));
    assert!(verbose.len() > narrow.len());
}
