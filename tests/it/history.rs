//! `--history`: write-creep read from git history. Each test builds a repository in a
//! temporary folder with the git CLI (fixed authors and dates, no global or system git
//! config), then runs the binary on it.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::{bin, findings_of};

const RULE: &str = "NHI-REPO-018";
const WF: &str = ".github/workflows/claude.yml";

/// A scratch git repository (also used by the scenario test).
pub(crate) struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    pub(crate) fn new() -> Self {
        let repo = Repo {
            dir: tempfile::tempdir().expect("a temp dir"),
        };
        repo.git(&["init", "-q"], "2026-01-01T00:00:00Z");
        repo
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str], date: &str) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.path())
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Test Author")
            .env("GIT_AUTHOR_EMAIL", "author@example.invalid")
            .env("GIT_COMMITTER_NAME", "Test Committer")
            .env("GIT_COMMITTER_EMAIL", "committer@example.invalid")
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub(crate) fn write(&self, rel: &str, text: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    /// Commits everything; returns the commit id.
    pub(crate) fn commit(&self, message: &str, date: &str) -> String {
        self.git(&["add", "-A"], date);
        self.git(&["commit", "-q", "--allow-empty", "-m", message], date);
        self.git(&["rev-parse", "HEAD"], date)
    }

    /// `scan . --format json` from inside the repository, with `extra` flags.
    pub(crate) fn scan(&self, extra: &[&str]) -> (Option<i32>, Value, String) {
        scan_in(self.path(), extra, &[])
    }
}

/// `scan . --format json --fail-on none` run from `dir` with `extra` flags and `env`
/// set: the exit code, the report and stderr.
fn scan_in(
    dir: &Path,
    extra: &[&str],
    env: &[(&str, &std::ffi::OsStr)],
) -> (Option<i32>, Value, String) {
    let out = bin()
        .current_dir(dir)
        .envs(env.iter().copied())
        .args(["scan", ".", "--format", "json", "--fail-on", "none"])
        .args(extra)
        .output()
        .expect("runs");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (
        out.status.code(),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An agent workflow whose job has `permissions` (YAML lines, indented by 6).
fn workflow(permissions: &str) -> String {
    format!(
        "name: Claude\non:\n  issue_comment:\n    types: [created]\njobs:\n  claude:\n    runs-on: ubuntu-latest\n{permissions}    steps:\n      - uses: anthropics/claude-code-action@v1\n        with:\n          anthropic_api_key: ${{{{ secrets.ANTHROPIC_API_KEY }}}}\n          allowed_non_write_users: \"*\"\n"
    )
}

fn scoped(level: &str) -> String {
    workflow(&format!("    permissions:\n      contents: {level}\n"))
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u64 + 1)
        .expect("the needle is in the text")
}

#[test]
fn a_scope_raised_to_write_is_one_finding_with_commit_date_and_line() {
    let repo = Repo::new();
    repo.write(WF, &scoped("read"));
    repo.commit("add the agent", "2026-01-10T09:00:00Z");
    repo.write(WF, &scoped("write"));
    let raised = repo.commit("let the agent push", "2026-02-20T08:30:00Z");
    repo.write("README.md", "# unrelated\n");
    repo.commit("docs", "2026-03-01T10:00:00Z");

    let (code, report, _) = repo.scan(&["--history"]);
    assert_eq!(code, Some(0));
    let found = findings_of(&report, RULE);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = found[0];
    let msg = f["message"].as_str().expect("a message");
    assert!(msg.contains("contents: read → contents: write"), "{msg}");
    assert!(msg.contains(&raised[..7]), "{msg}");
    assert!(msg.contains("2026-02-20"), "{msg}");
    assert_eq!(f["category"], "write-creep");
    assert_eq!(f["agent"], "repo:.github/workflows/claude.yml#/jobs/claude");
    assert_eq!(f["locations"][0]["path"], WF);
    assert_eq!(
        f["locations"][0]["line"],
        line_of(&scoped("write"), "contents: write")
    );

    let changes = report["inventory"]["changes"].as_array().expect("changes");
    let c = changes
        .iter()
        .find(|c| c["kind"] == "permission-raised")
        .expect("the change is in the inventory");
    assert_eq!(c["commit"], raised.as_str());
    assert_eq!(c["author_date"], "2026-02-20T08:30:00Z");
    assert_eq!(c["from_level"], "read");
    assert_eq!(c["to_level"], "write");
    assert_eq!(c["current"], true);
    // The first commit added the agent: listed, but not a write-creep finding.
    assert!(changes.iter().any(|c| c["kind"] == "agent-added"));
}

#[test]
fn lowering_reverted_rises_and_unrelated_commits_are_no_finding() {
    let repo = Repo::new();
    repo.write(WF, &scoped("write"));
    repo.commit("start with write", "2026-01-01T10:00:00Z");
    repo.write(WF, &scoped("read"));
    repo.commit("lower", "2026-01-02T10:00:00Z");
    repo.write(WF, &scoped("write"));
    repo.commit("raise again", "2026-01-03T10:00:00Z");
    repo.write(WF, &scoped("read"));
    repo.commit("and revert", "2026-01-04T10:00:00Z");
    repo.write("src/main.py", "print('hello')\n");
    repo.commit("unrelated", "2026-01-05T10:00:00Z");
    // Removing the block leaves the repository default, which a file cannot tell.
    repo.write(WF, &workflow(""));
    repo.commit("drop the block", "2026-01-06T10:00:00Z");

    let (code, report, _) = repo.scan(&["--history"]);
    assert_eq!(code, Some(0));
    assert!(findings_of(&report, RULE).is_empty(), "{report:#}");
    let raised: Vec<&Value> = report["inventory"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["kind"] == "permission-raised")
        .collect();
    // The rise of 2026-01-03 is recorded, and marked undone.
    assert_eq!(raised.len(), 1, "{raised:#?}");
    assert_eq!(raised[0]["current"], false);
}

#[test]
fn an_mcp_server_added_is_a_finding_at_its_line() {
    let repo = Repo::new();
    let one = "{\n  \"mcpServers\": {\n    \"filesystem\": {\"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-filesystem\", \".\"]}\n  }\n}\n";
    let two = "{\n  \"mcpServers\": {\n    \"filesystem\": {\"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-filesystem\", \".\"]},\n    \"github\": {\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"@modelcontextprotocol/server-github\"]\n    }\n  }\n}\n";
    repo.write(".mcp.json", one);
    repo.commit("one server", "2026-04-01T10:00:00Z");
    repo.write(".mcp.json", two);
    let added = repo.commit("add github", "2026-04-02T11:00:00Z");

    let (_, report, _) = repo.scan(&["--history"]);
    let found = findings_of(&report, RULE);
    assert_eq!(found.len(), 1, "{found:#?}");
    let msg = found[0]["message"].as_str().expect("a message");
    assert!(msg.contains("MCP server github"), "{msg}");
    assert!(
        msg.contains(&added[..7]) && msg.contains("2026-04-02"),
        "{msg}"
    );
    assert_eq!(found[0]["locations"][0]["path"], ".mcp.json");
    assert_eq!(found[0]["locations"][0]["line"], line_of(two, "\"github\""));
}

#[test]
fn write_all_added_is_a_finding() {
    let repo = Repo::new();
    repo.write(WF, &scoped("read"));
    repo.commit("read", "2026-05-01T10:00:00Z");
    repo.write(WF, &workflow("    permissions: write-all\n"));
    repo.commit("write-all", "2026-05-02T10:00:00Z");

    let (_, report, _) = repo.scan(&["--history"]);
    let found = findings_of(&report, RULE);
    assert_eq!(found.len(), 1, "{found:#?}");
    let msg = found[0]["message"].as_str().expect("a message");
    assert!(
        msg.contains("permissions: contents: read → permissions: write-all"),
        "{msg}"
    );
}

#[test]
fn a_rename_with_a_raise_is_followed() {
    let repo = Repo::new();
    repo.write(WF, &scoped("read"));
    repo.commit("read", "2026-06-01T10:00:00Z");
    repo.git(
        &["mv", WF, ".github/workflows/agent.yml"],
        "2026-06-02T10:00:00Z",
    );
    repo.write(".github/workflows/agent.yml", &scoped("write"));
    repo.commit("rename and raise", "2026-06-02T10:00:00Z");

    let (_, report, _) = repo.scan(&["--history"]);
    let found = findings_of(&report, RULE);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0]["locations"][0]["path"],
        ".github/workflows/agent.yml"
    );
}

#[test]
fn history_depth_limits_the_commits_read() {
    let repo = Repo::new();
    repo.write(WF, &scoped("read"));
    repo.commit("read", "2026-07-01T10:00:00Z");
    repo.write(WF, &scoped("write"));
    repo.commit("write", "2026-07-02T10:00:00Z");
    repo.write(
        WF,
        &scoped("write").replace("name: Claude", "name: Claude agent"),
    );
    repo.commit("rename the workflow", "2026-07-03T10:00:00Z");
    // Each commit read is compared with its parent: depth 1 reads only the rename.
    let (_, report, _) = repo.scan(&["--history", "--history-depth", "1"]);
    assert!(findings_of(&report, RULE).is_empty(), "{report:#}");
    let (_, report, _) = repo.scan(&["--history", "--history-depth", "2"]);
    assert_eq!(findings_of(&report, RULE).len(), 1, "{report:#}");
}

#[test]
fn without_history_nothing_comes_from_history() {
    let repo = Repo::new();
    repo.write(WF, &scoped("read"));
    repo.commit("read", "2026-01-10T09:00:00Z");
    repo.write(WF, &scoped("write"));
    repo.commit("write", "2026-02-20T08:30:00Z");

    let (_, report, _) = repo.scan(&[]);
    assert!(findings_of(&report, RULE).is_empty());
    assert!(report["inventory"].get("changes").is_none(), "{report:#}");
    // The working tree is judged as always.
    assert!(!findings_of(&report, "NHI-REPO-007").is_empty());
}

#[test]
fn a_path_outside_git_is_an_error_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir_all(dir.path().join(".github/workflows")).expect("mkdir");
    std::fs::write(dir.path().join(WF), scoped("write")).expect("write");
    let (code, report, _) = scan_in(
        dir.path(),
        &["--history"],
        &[(
            "GIT_CEILING_DIRECTORIES",
            dir.path().parent().expect("a parent").as_os_str(),
        )],
    );
    // Nothing is missing: there is no history to read. Not a failed source.
    assert_eq!(code, Some(0));
    let errors = report["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["message"]
            .as_str()
            .is_some_and(|m| m.contains("not inside a git repository"))),
        "{errors:#?}"
    );
    assert!(!findings_of(&report, "NHI-REPO-007").is_empty());
}

#[test]
fn git_that_cannot_run_is_an_error_naming_the_command() {
    let repo = Repo::new();
    repo.write(WF, &scoped("write"));
    repo.commit("write", "2026-01-10T09:00:00Z");
    let (code, report, _) = scan_in(
        repo.path(),
        &["--history"],
        &[("PATH", std::ffi::OsStr::new(""))],
    );
    // The history asked for is missing: a failed source, with the rest still reported.
    assert_eq!(code, Some(3));
    assert_eq!(report["partial"], true);
    let errors = report["errors"].as_array().expect("errors");
    assert!(
        errors
            .iter()
            .any(|e| e["message"].as_str().is_some_and(|m| {
                m.contains("cannot run `git rev-parse") && m.contains("git is not installed")
            })),
        "{errors:#?}"
    );
    assert!(!findings_of(&report, "NHI-REPO-007").is_empty());
}

#[test]
fn a_secret_only_in_history_never_leaves_the_process() {
    // A made-up key of the right shape, never issued.
    let secret = "sk-proj-Zq8XwV3nB7tK2mLp9RfG4hJd6sYc1aE5uWo0iNxTbQvHkMz";
    let repo = Repo::new();
    repo.write(
        ".mcp.json",
        &format!(
            "{{\"mcpServers\": {{\"openai\": {{\"command\": \"npx\", \"args\": [\"openai-mcp\"], \"env\": {{\"OPENAI_API_KEY\": \"{secret}\"}}}}}}}}\n"
        ),
    );
    repo.commit("with a key", "2026-08-01T10:00:00Z");
    repo.write(
        ".mcp.json",
        "{\"mcpServers\": {\"openai\": {\"command\": \"npx\", \"args\": [\"openai-mcp\"], \"env\": {\"OPENAI_API_KEY\": \"${OPENAI_API_KEY}\"}}, \"github\": {\"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-github\"]}}}\n",
    );
    repo.commit("key moved out, server added", "2026-08-02T10:00:00Z");

    for format in ["json", "table", "sarif", "markdown"] {
        let out = bin()
            .current_dir(repo.path())
            .args([
                "scan",
                ".",
                "--history",
                "--fail-on",
                "none",
                "--format",
                format,
            ])
            .output()
            .expect("runs");
        let all = [out.stdout, out.stderr].concat();
        let text = String::from_utf8_lossy(&all);
        assert!(!text.contains(secret), "{format} leaks the secret");
        assert!(!text.contains(&secret[..20]), "{format} leaks part of it");
    }
    let (_, report, _) = repo.scan(&["--history"]);
    assert_eq!(findings_of(&report, RULE).len(), 1);
}

#[test]
fn a_sub_folder_or_a_single_file_reads_its_own_history() {
    let repo = Repo::new();
    repo.write(WF, &scoped("read"));
    repo.write("other/.mcp.json", "{\"mcpServers\": {}}\n");
    repo.commit("read", "2026-09-01T10:00:00Z");
    repo.write(WF, &scoped("write"));
    repo.write(
        "other/.mcp.json",
        "{\"mcpServers\": {\"fs\": {\"command\": \"npx\"}}}\n",
    );
    repo.commit("write", "2026-09-02T10:00:00Z");
    for path in [".github/workflows", WF] {
        let out = bin()
            .current_dir(repo.path())
            .args([
                "scan",
                path,
                "--history",
                "--format",
                "json",
                "--fail-on",
                "none",
            ])
            .output()
            .expect("runs");
        let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let found = findings_of(&report, RULE);
        assert_eq!(found.len(), 1, "{path}: {found:#?}");
        assert_eq!(found[0]["locations"][0]["path"], WF);
    }
}

// ---- a repository that fights back ------------------------------------------------------

/// `errors[]` (or `inventory.warnings[]`) messages, one string.
fn said(report: &Value, list: &str) -> String {
    let entries = if list == "errors" {
        &report["errors"]
    } else {
        &report["inventory"]["warnings"]
    };
    entries
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| format!("{}: {}", e["location"].as_str().unwrap_or(""), e["message"]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A repository with one raise, from read to write.
fn raised_repo() -> Repo {
    let repo = Repo::new();
    repo.write(WF, &scoped("read"));
    repo.commit("add the agent", "2026-01-10T09:00:00Z");
    repo.write(WF, &scoped("write"));
    repo.commit("let the agent push", "2026-02-20T08:30:00Z");
    repo
}

#[test]
fn a_git_that_blocks_is_stopped_by_the_history_timeout() {
    let repo = raised_repo();
    // git reads `alternates` when it opens the object store: a FIFO there never answers.
    let alternates = repo.path().join(".git/objects/info/alternates");
    let _ = std::fs::remove_file(&alternates);
    std::fs::create_dir_all(alternates.parent().unwrap()).unwrap();
    let status = Command::new("mkfifo").arg(&alternates).status().unwrap();
    assert!(status.success());

    let out = bin()
        .current_dir(repo.path())
        .args(["scan", ".", "--format", "json", "--fail-on", "none"])
        .args(["--history", "--history-timeout", "2"])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(
        out.status.code(),
        Some(3),
        "an unread history is a partial scan"
    );
    assert_eq!(report["partial"], true);
    let errors = said(&report, "errors");
    assert!(
        errors.starts_with(".: "),
        "the error names the scanned folder: {errors}"
    );
    assert!(
        errors.contains("did not finish within the --history-timeout"),
        "{errors}"
    );
    // The files themselves were still scanned.
    assert!(!report["inventory"]["agents"].as_array().unwrap().is_empty());
}

#[test]
fn a_missing_object_is_an_error_and_the_rest_is_read() {
    let repo = raised_repo();
    let blob = repo.git(
        &["rev-parse", &format!("HEAD~1:{WF}")],
        "2026-03-01T00:00:00Z",
    );
    std::fs::remove_file(
        repo.path()
            .join(".git/objects")
            .join(&blob[..2])
            .join(&blob[2..]),
    )
    .expect("the blob is a loose object");

    let (code, report, _) = repo.scan(&["--history"]);
    assert_eq!(code, Some(3));
    let errors = said(&report, "errors");
    assert!(
        errors.contains("version of .github/workflows/claude.yml is missing from the repository"),
        "{errors}"
    );
    assert!(
        findings_of(&report, RULE).is_empty(),
        "no rise read from a missing version"
    );
}

#[test]
fn a_version_over_the_size_limit_is_skipped_with_a_warning() {
    let repo = Repo::new();
    repo.write(WF, &scoped("read"));
    repo.commit("add the agent", "2026-01-10T09:00:00Z");
    let padded = format!("{}\n# {}\n", scoped("write"), "x".repeat(4096));
    repo.write(WF, &padded);
    repo.commit("a big one", "2026-02-20T08:30:00Z");
    repo.write(WF, &scoped("write"));
    repo.commit("trimmed", "2026-03-01T08:30:00Z");

    let (code, report, _) = repo.scan(&["--history", "--max-file-size", "2048"]);
    assert_eq!(
        code,
        Some(0),
        "a skipped version is a caveat, not a failure"
    );
    let warnings = said(&report, "warnings");
    assert!(warnings.contains("--max-file-size"), "{warnings}");
}

#[test]
fn a_shallow_clone_is_a_warning() {
    let repo = raised_repo();
    let clone = tempfile::tempdir().unwrap();
    let target = clone.path().join("c");
    let out = Command::new("git")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["clone", "-q", "--depth", "1"])
        .arg(format!("file://{}", repo.path().display()))
        .arg(&target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (code, report, _) = scan_in(&target, &["--history"], &[]);
    assert_eq!(code, Some(0));
    let warnings = said(&report, "warnings");
    assert!(warnings.contains("a shallow clone"), "{warnings}");
    assert!(
        findings_of(&report, RULE).is_empty(),
        "the raise is before the depth"
    );
}

#[test]
fn a_repository_log_encoding_does_not_change_what_is_read() {
    let repo = raised_repo();
    repo.git(
        &["config", "i18n.logOutputEncoding", "ISO-8859-1"],
        "2026-03-01T00:00:00Z",
    );
    let (code, report, _) = repo.scan(&["--history"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        findings_of(&report, RULE).len(),
        1,
        "{}",
        said(&report, "errors")
    );
}

/// The agent role of `fixtures/iac/terraform/agent-role` with its policy's actions.
fn agent_role(actions: &str) -> String {
    let text = std::fs::read_to_string(
        crate::common::crate_dir().join("fixtures/iac/terraform/agent-role/main.tf"),
    )
    .expect("the fixture");
    let was = r#"Action   = ["s3:GetObject", "s3:ListBucket"]"#;
    assert!(text.contains(was), "the fixture's policy changed");
    text.replace(was, &format!("Action   = [{actions}]"))
}

const READ: &str = r#""s3:GetObject", "s3:ListBucket""#;

fn raised(report: &Value) -> Vec<&Value> {
    report["inventory"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|c| c["kind"] == "access-raised")
        .collect()
}

#[test]
fn a_terraform_change_that_raises_an_agent_role_is_write_creep_at_its_line() {
    let repo = Repo::new();
    repo.write("infra/main.tf", &agent_role(READ));
    repo.write("README.md", "infra\n");
    repo.commit("the support agent's role", "2026-02-01T10:00:00Z");
    // Only another file changes: nothing rose.
    repo.write("README.md", "infra, reviewed\n");
    repo.commit("docs", "2026-02-02T10:00:00Z");
    // The policy is widened in the same file: s3 read → write.
    repo.write(
        "infra/main.tf",
        &agent_role(r#""s3:GetObject", "s3:PutObject""#),
    );
    let widened = repo.commit("let the agent file answers", "2026-02-03T10:00:00Z");
    // Another file of the module attaches AdministratorAccess to the role.
    let admin = std::fs::read_to_string(
        crate::common::crate_dir().join("fixtures/iac/terraform/pull-request/admin.tf"),
    )
    .expect("the fixture");
    repo.write("infra/admin.tf", &admin);
    let made_admin = repo.commit("let it fix things itself", "2026-02-04T10:00:00Z");

    let (code, report, stderr) = repo.scan(&["--history"]);
    assert_eq!(code, Some(0), "{stderr}");
    let changes = raised(&report);
    assert_eq!(changes.len(), 2, "{changes:#?}");
    let by_commit = |c: &str| {
        changes
            .iter()
            .find(|x| x["commit"] == c)
            .unwrap_or_else(|| panic!("no change in {c}: {changes:#?}"))
    };
    let w = by_commit(&widened);
    assert_eq!(
        (w["from_level"].as_str(), w["to_level"].as_str()),
        (Some("read"), Some("write"))
    );
    assert!(
        w["summary"].as_str().unwrap().contains("s3: read → write"),
        "{w}"
    );
    assert_eq!(w["location"]["path"], "infra/main.tf");
    // Superseded by the later rise of the same role: only the latest is current.
    assert_eq!(w["current"], false);
    let a = by_commit(&made_admin);
    assert_eq!(a["to_level"], "admin");
    assert_eq!(a["current"], true);
    assert_eq!(
        (
            a["location"]["path"].as_str(),
            a["location"]["line"].as_u64()
        ),
        (Some("infra/admin.tf"), Some(2)),
        "the attachment that made it admin: {a}"
    );
    // The first commit brought the agent in with read: listed, not a rise.
    assert!(
        report["inventory"]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "agent-added" && c["to_level"] == "read"),
        "{:#}",
        report["inventory"]["changes"]
    );
    let creep = findings_of(&report, RULE);
    assert_eq!(creep.len(), 1, "{creep:#?}");
    assert_eq!(creep[0]["locations"][0]["path"], "infra/admin.tf");

    // Undoing the attachment leaves the widened statement as the current rise.
    std::fs::remove_file(repo.path().join("infra/admin.tf")).expect("rm");
    repo.commit("revert admin", "2026-02-05T10:00:00Z");
    let (_, report, _) = repo.scan(&["--history"]);
    let creep = findings_of(&report, RULE);
    assert_eq!(creep.len(), 1, "{creep:#?}");
    assert!(
        creep[0]["message"]
            .as_str()
            .unwrap()
            .contains("s3: read → write"),
        "{creep:#?}"
    );
    // And narrowing the policy again leaves nothing current.
    repo.write("infra/main.tf", &agent_role(READ));
    repo.commit("read only again", "2026-02-06T10:00:00Z");
    let (_, report, _) = repo.scan(&["--history"]);
    assert!(findings_of(&report, RULE).is_empty());
}

#[test]
fn a_terraform_version_that_does_not_parse_is_a_warning_and_the_rest_is_compared() {
    let repo = Repo::new();
    repo.write("infra/main.tf", &agent_role(READ));
    repo.commit("role", "2026-03-01T10:00:00Z");
    repo.write(
        "infra/main.tf",
        "resource \"aws_iam_role\" \"agent\" {\n  name = \n",
    );
    let broken = repo.commit("half a file", "2026-03-02T10:00:00Z");
    repo.write("infra/main.tf", &agent_role(r#""s3:*""#));
    repo.commit("fixed, and wider", "2026-03-03T10:00:00Z");
    let (code, report, stderr) = repo.scan(&["--history"]);
    assert_eq!(code, Some(0), "{stderr}");
    let warnings = said(&report, "warnings");
    let short = &broken[..12];
    assert!(
        warnings.contains(&format!(
            "infra: \"--history: commit {short}: the new version"
        )),
        "{warnings}"
    );
    // The version after the broken one had nothing to compare with: the agent is listed
    // as added there, with write; no rise is invented across the gap.
    assert!(raised(&report).is_empty(), "{:#?}", raised(&report));
}
