//! Terraform's GitHub provider: secrets, deploy keys, default workflow permissions and
//! the workflows `github_repository_file` writes, judged as the GitHub source judges the
//! same things crawled, and located at the resource.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{bin, crate_dir, findings_of as findings, scan_all_at};

const NOW: &str = "2026-12-01T00:00:00Z";
const MAIN: &str = "fixtures/iac/terraform/github-agent/main.tf";
const KEY: &str = "github:deploy-key:acme/support-bot/${github_repository_deploy_key.claude.id}";
const SECRET: &str = "github-secret:github:acme/support-bot/ANTHROPIC_API_KEY";

fn main_tf() -> String {
    std::fs::read_to_string(crate_dir().join(MAIN)).unwrap()
}

/// The line of the first line of `main.tf` that starts with `start`.
fn line_of(text: &str, start: &str) -> u64 {
    text.lines()
        .position(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line {start}")) as u64
        + 1
}

/// A module of `files` in a scratch folder `infra/`, scanned from its parent.
fn scan_module(files: &[(&str, &str)]) -> Value {
    let tmp = tempfile::tempdir().unwrap();
    write_module(tmp.path(), files);
    scan_all_at(tmp.path(), NOW, 0)
}

fn write_module(root: &Path, files: &[(&str, &str)]) {
    let dir = root.join("infra");
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn at(path: &str, line: u64) -> Value {
    json!({"path": path, "line": line, "column": 1})
}

fn agents<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["inventory"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == kind)
        .collect()
}

fn identity<'a>(report: &'a Value, id: &str) -> Option<&'a Value> {
    report["inventory"]["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
}

#[test]
fn a_github_module_is_judged_as_its_organisation_crawled_at_each_resource() {
    let text = main_tf();
    let report = scan_all_at(
        &crate_dir().join("fixtures/iac/terraform/github-agent"),
        NOW,
        0,
    );
    let shown = MAIN;
    assert_eq!(report["errors"], json!([]), "{:#}", report["errors"]);
    assert!(
        report["inventory"]["warnings"].is_null(),
        "{:#}",
        report["inventory"]["warnings"]
    );

    // The write deploy key, named for Claude: a key held by an agent, at its resource.
    let key = identity(&report, KEY).expect("the deploy key");
    assert_eq!(key["kind"], "github-deploy-key");
    assert_eq!(key["access_level"], "write");
    let key_line = line_of(&text, "resource \"github_repository_deploy_key\"");
    assert_eq!(key["locations"], json!([at(shown, key_line)]));
    let gh005 = findings(&report, "NHI-GH-005");
    assert_eq!(gh005.len(), 1, "{gh005:#?}");
    assert_eq!(gh005[0]["locations"][0], at(shown, key_line));

    // The Actions secret exists; its value, from a variable, is not known.
    let secret = identity(&report, SECRET).expect("the Actions secret");
    let secret_line = line_of(&text, "resource \"github_actions_secret\"");
    // At its resource, then where the workflows name it.
    assert_eq!(secret["locations"][0], at(shown, secret_line));
    assert_eq!(secret["facts"]["github"]["scope"], "repository");
    assert!(findings(&report, "NHI-REPO-003").is_empty());
    assert!(findings(&report, "NHI-REPO-002").is_empty());

    // Each workflow Terraform writes is a workflow agent at its resource, from `iac`.
    let workflows = agents(&report, "github-workflow");
    assert_eq!(workflows.len(), 2, "{workflows:#?}");
    let claude_line = line_of(&text, "resource \"github_repository_file\" \"claude\"");
    let triage_line = line_of(&text, "resource \"github_repository_file\" \"triage\"");
    for a in &workflows {
        assert_eq!(a["source"], "iac", "{a:#}");
        let line = if a["id"].as_str().unwrap().contains("claude.yml") {
            claude_line
        } else {
            triage_line
        };
        assert_eq!(a["locations"], json!([at(shown, line)]), "{a:#}");
        assert_eq!(a["facts"]["repository"], "acme/support-bot");
    }
    // The comment-driven agent authenticates with the static API key.
    let static_key = findings(&report, "NHI-REPO-004");
    assert!(
        static_key
            .iter()
            .any(|f| f["locations"][0] == at(shown, claude_line)),
        "{static_key:#?}"
    );
    // The triage job has no permissions block: the repository's default, write.
    let gh007 = findings(&report, "NHI-GH-007");
    assert_eq!(gh007.len(), 1, "{gh007:#?}");
    assert_eq!(gh007[0]["locations"][0], at(shown, triage_line));
    assert!(
        gh007[0]["message"]
            .as_str()
            .unwrap()
            .contains("repository acme/support-bot"),
        "{gh007:#?}"
    );
    // Nothing is left pointing at GitHub's settings pages or at the workflow files.
    let all = report["inventory"].to_string();
    assert!(!all.contains("https://github.com/"), "{all}");
    assert!(!all.contains("\"path\":\"github:"), "{all}");
}

#[test]
fn removing_each_piece_removes_its_finding() {
    let text = main_tf();
    let base = scan_module(&[("main.tf", &text)]);
    for rule in ["NHI-GH-005", "NHI-GH-007", "NHI-REPO-004"] {
        assert!(
            !findings(&base, rule).is_empty(),
            "{rule} fires on the module"
        );
    }
    // A read-only key: held, but no write.
    let read_only = text.replace("read_only  = false", "read_only  = true");
    assert_ne!(read_only, text);
    let report = scan_module(&[("main.tf", &read_only)]);
    assert!(findings(&report, "NHI-GH-005").is_empty());
    assert_eq!(identity(&report, KEY).unwrap()["access_level"], "read");
    // Default workflow permissions read: the triage job's token reads.
    let read = text.replace(
        "default_workflow_permissions     = \"write\"",
        "default_workflow_permissions     = \"read\"",
    );
    assert_ne!(read, text);
    let report = scan_module(&[("main.tf", &read)]);
    assert!(findings(&report, "NHI-GH-007").is_empty());
    assert!(!findings(&report, "NHI-GH-005").is_empty());
    // The permissions resource gone: the default is not known, nothing is assumed.
    let start = text
        .find("resource \"github_workflow_repository_permissions\"")
        .unwrap();
    let end = start + text[start..].find("\n}\n").unwrap() + 3;
    let without = format!("{}{}", &text[..start], &text[end..]);
    let report = scan_module(&[("main.tf", &without)]);
    assert!(findings(&report, "NHI-GH-007").is_empty());
    // The comment-driven workflow file gone: its agent and its finding with it.
    let start = text
        .find("resource \"github_repository_file\" \"claude\"")
        .unwrap();
    let end = start + text[start..].find("\n}\n").unwrap() + 3;
    let without = format!("{}{}", &text[..start], &text[end..]);
    let report = scan_module(&[("main.tf", &without)]);
    assert_eq!(agents(&report, "github-workflow").len(), 1);
    assert!(
        findings(&report, "NHI-REPO-004")
            .iter()
            .all(|f| !f["message"].as_str().unwrap().contains("Claude / claude")),
        "{:#?}",
        findings(&report, "NHI-REPO-004")
    );
    assert!(!findings(&report, "NHI-GH-007").is_empty());
}

/// A value of a secret's shape, made here so that no literal is in the source.
fn fake_value() -> String {
    let mut rng = crate::common::Rng(0x6a11_7e5e);
    rng.take(
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        32,
    )
}

fn literal_secret(value: &str) -> String {
    format!(
        "resource \"github_actions_secret\" \"webhook\" {{\n  repository      = \"support-bot\"\n  secret_name     = \"WEBHOOK_SIGNING_KEY\"\n  plaintext_value = \"{value}\"\n}}\n"
    )
}

#[test]
fn a_secret_value_written_in_terraform_is_a_hardcoded_secret_never_shown() {
    let value = fake_value();
    let tmp = tempfile::tempdir().unwrap();
    write_module(
        tmp.path(),
        &[
            ("main.tf", &main_tf()),
            ("secret.tf", &literal_secret(&value)),
        ],
    );
    for format in ["json", "sarif", "table", "markdown"] {
        let out = bin()
            .arg("scan")
            .arg(tmp.path())
            .args(["--format", format, "--fail-on", "none", "--scope", "all"])
            .env("NHI_AUDIT_NOW", NOW)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stdout.contains(&value) && !stderr.contains(&value),
            "the secret leaked ({format})"
        );
        if format == "sarif" {
            assert!(stdout.contains("NHI-REPO-003"), "{stdout}");
        }
        if format != "json" {
            continue;
        }
        let report: Value = serde_json::from_str(&stdout).unwrap();
        let leaked = findings(&report, "NHI-REPO-003");
        assert_eq!(leaked.len(), 1, "{leaked:#?}");
        // At the argument that holds it.
        assert_eq!(
            leaked[0]["locations"][0],
            json!({"path": "infra/secret.tf", "line": 4, "column": 3})
        );
        let credential = report["inventory"]["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["storage"] == "hardcoded")
            .unwrap();
        assert!(
            credential["fingerprint"]
                .as_str()
                .unwrap()
                .starts_with("fp1:"),
            "{credential:#}"
        );
        assert_eq!(credential["name"], "WEBHOOK_SIGNING_KEY");
        // The secret itself exists in GitHub, at its resource.
        let secret = identity(
            &report,
            "github-secret:github:acme/support-bot/WEBHOOK_SIGNING_KEY",
        )
        .unwrap();
        assert_eq!(secret["locations"][0], at("infra/secret.tf", 1));
    }
    // From a variable, the value is unknown: the secret exists, nothing is leaked.
    let from_var = literal_secret(&value).replace(&format!("\"{value}\""), "var.webhook_key");
    let report = scan_module(&[("main.tf", &main_tf()), ("secret.tf", &from_var)]);
    assert!(findings(&report, "NHI-REPO-003").is_empty());
    assert!(
        identity(
            &report,
            "github-secret:github:acme/support-bot/WEBHOOK_SIGNING_KEY"
        )
        .is_some()
    );
}

const AGENT_WORKFLOW: &str = "on:\n  issue_comment:\n    types: [created]\njobs:\n  claude:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: write\n    steps:\n      - uses: anthropics/claude-code-action@v1\n";

fn repository_file(name: &str, file: &str, content: &str) -> String {
    format!(
        "resource \"github_repository_file\" \"{name}\" {{\n  repository = \"support-bot\"\n  file       = \"{file}\"\n  content    = {content}\n}}\n"
    )
}

#[test]
fn a_workflow_read_with_file_is_analysed_and_unknown_or_other_files_are_not() {
    let provider = "provider \"github\" {\n  owner = \"acme\"\n}\nvariable \"workflow\" {\n  type = string\n}\n";
    // `file()` of a file in the module: read and analysed.
    let read = repository_file(
        "agent",
        ".github/workflows/agent.yml",
        "file(\"${path.module}/workflows/agent.yml\")",
    );
    let report = scan_module(&[
        ("main.tf", &format!("{provider}{read}")),
        ("workflows/agent.yml", AGENT_WORKFLOW),
    ]);
    let found: Vec<&Value> = agents(&report, "github-workflow")
        .into_iter()
        .filter(|a| a["source"] == "iac")
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["locations"][0], at("infra/main.tf", 7));

    // Content known only at apply, a file out of the module, a file that is not a
    // workflow: no agent from them, no crash, and a warning for the unknown one.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("outside.yml"), AGENT_WORKFLOW).unwrap();
    let files = [
        repository_file("unknown", ".github/workflows/a.yml", "var.workflow"),
        repository_file(
            "outside",
            ".github/workflows/b.yml",
            "file(\"${path.module}/../outside.yml\")",
        ),
        repository_file("readme", "README.md", &format!("{:?}", AGENT_WORKFLOW)),
        repository_file(
            "nested",
            ".github/workflows/sub/c.yml",
            &format!("{:?}", AGENT_WORKFLOW),
        ),
        repository_file("empty", ".github/workflows/d.yml", "\"\""),
    ];
    write_module(
        tmp.path(),
        &[("main.tf", &format!("{provider}{}", files.concat()))],
    );
    let report = scan_all_at(tmp.path(), NOW, 0);
    let iac: Vec<&Value> = report["inventory"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["source"] == "iac")
        .collect();
    assert!(iac.is_empty(), "{iac:#?}");
    let warnings = report["inventory"]["warnings"].to_string();
    assert!(
        warnings.contains(
            "github_repository_file.unknown: the workflow's content is known only at apply"
        ),
        "{warnings}"
    );
    assert!(
        warnings.contains("github_repository_file.outside"),
        "{warnings}"
    );
    assert_eq!(report["errors"], json!([]));
}
