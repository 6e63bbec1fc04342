//! The tool scope of coding agents: each product's documented settings (fixtures written
//! from its documentation's examples, `fixtures/README.md`), the effective result of
//! several files, and hostile settings files.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::common::{agent, bin, crate_dir, findings_of, scan_json};

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}

fn rules_of(grants: &Value) -> Vec<&str> {
    grants
        .as_array()
        .expect("a list")
        .iter()
        .map(|g| g["rule"].as_str().expect("a rule"))
        .collect()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|s| s.as_str().expect("a string"))
        .collect()
}

#[test]
fn each_products_documented_settings_give_its_tool_scope() {
    let dir = crate_dir().join("fixtures/toolscope");
    let report = scan_json(&[&dir], &["--scope", "all"]);
    assert_eq!(
        report["errors"],
        Value::Array(Vec::new()),
        "{}",
        report["errors"]
    );

    let claude = agent(&report, "repo:fixtures/toolscope/claude/.claude");
    assert_eq!(claude["kind"], "coding-agent");
    let s = &claude["facts"]["tool_scope"];
    assert_eq!(s["product"], "Claude Code");
    assert_eq!(s["shell"], "listed");
    assert_eq!(strs(&s["shell_commands"]), ["npm run lint", "npm run test"]);
    assert_eq!(s["network"], "none");
    assert_eq!(s["bypass"], false);
    assert_eq!(
        strs(&s["env"]),
        ["CLAUDE_CODE_ENABLE_TELEMETRY", "OTEL_METRICS_EXPORTER"]
    );
    assert_eq!(s["hooks"][0]["event"], "PostToolUse");
    assert_eq!(s["hooks"][0]["program"], "jq");
    assert_eq!(
        s["hooks"][0]["at"],
        "fixtures/toolscope/claude/.claude/settings.json:24:43"
    );
    // Values of `env` are never copied.
    assert!(!report.to_string().contains("otlp"));

    let codex = agent(&report, "repo:fixtures/toolscope/codex/.codex/config.toml");
    let s = &codex["facts"]["tool_scope"];
    assert_eq!(s["mode"], "on-request");
    assert_eq!(s["bypass"], false);
    assert_eq!(s["shell"], "none");
    assert_eq!(s["network"], "none");
    assert_eq!(s["writes_files"], true);
    assert_eq!(
        rules_of(&s["bypass_by"]),
        [
            "profiles.trusted.sandbox_mode = danger-full-access",
            "profiles.trusted.approval_policy = never"
        ]
    );

    let gemini = agent(
        &report,
        "repo:fixtures/toolscope/gemini/.gemini/settings.json",
    );
    assert_eq!(gemini["kind"], "mcp-client");
    let s = &gemini["facts"]["tool_scope"];
    assert_eq!(strs(&s["shell_commands"]), ["git status", "npm test"]);
    assert_eq!(s["mode"], "auto_edit");
    assert_eq!(s["writes_files"], true);
    assert_eq!(strs(&s["mcp_tools"]), ["myPythonServer"]);

    let cursor = agent(&report, "repo:fixtures/toolscope/cursor/.cursor/cli.json");
    let s = &cursor["facts"]["tool_scope"];
    assert_eq!(strs(&s["shell_commands"]), ["ls", "git"]);
    assert_eq!(rules_of(&s["code_host_write_by"]), ["Shell(git)"]);
    assert_eq!(
        s["code_host_write_by"][0]["at"],
        "fixtures/toolscope/cursor/.cursor/cli.json:3:28"
    );

    let vscode = agent(
        &report,
        "repo:fixtures/toolscope/vscode/.vscode/settings.json",
    );
    assert_eq!(vscode["kind"], "coding-agent");
    let s = &vscode["facts"]["tool_scope"];
    assert_eq!(
        strs(&s["shell_commands"]),
        ["mkdir", "git status", "git show"]
    );
    assert_eq!(s["code_host_write_by"], Value::Array(Vec::new()));
    assert_eq!(strs(&s["network_domains"]), ["*.contoso.com"]);

    let opencode = agent(&report, "repo:fixtures/toolscope/opencode/opencode.json");
    let s = &opencode["facts"]["tool_scope"];
    assert_eq!(s["shell"], "listed");
    assert_eq!(strs(&s["shell_commands"]), ["git", "npm", "grep"]);
    assert_eq!(
        rules_of(&s["code_host_write_by"]),
        ["bash: git *: allow", "bash: npm *: allow"]
    );
    assert_eq!(s["writes_files"], true);

    // The findings point at the rule that grants.
    let pushes = findings_of(&report, "NHI-TOOL-004");
    let at: Vec<String> = pushes
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap())
        .map(|l| format!("{}:{}", l["path"].as_str().unwrap(), l["line"]))
        .collect();
    assert!(
        at.contains(&"fixtures/toolscope/cursor/.cursor/cli.json:3".to_string()),
        "{at:?}"
    );
    assert!(
        at.contains(&"fixtures/toolscope/opencode/opencode.json:6".to_string()),
        "{at:?}"
    );
    assert_eq!(findings_of(&report, "NHI-TOOL-001").len(), 1);
    assert_eq!(findings_of(&report, "NHI-TOOL-006").len(), 1);
}

#[test]
fn project_allow_and_local_deny_make_one_effective_scope() {
    let tmp = tempfile::tempdir().expect("temp dir");
    write(
        tmp.path(),
        "app/.claude/settings.json",
        r#"{"permissions": {"allow": ["Bash(git push:*)", "Bash(npm run test:*)", "Bash(python3:*)"], "defaultMode": "acceptEdits"}}"#,
    );
    write(
        tmp.path(),
        "app/.claude/settings.local.json",
        r#"{"permissions": {"deny": ["Bash(git push:*)"], "ask": ["Bash(python3:*)"], "defaultMode": "default"}}"#,
    );
    let report = scan_json(&[tmp.path()], &["--scope", "all"]);
    let agents: Vec<&Value> = report["inventory"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "coding-agent")
        .collect();
    assert_eq!(agents.len(), 1, "one agent for the .claude folder");
    let s = &agents[0]["facts"]["tool_scope"];
    assert_eq!(agents[0]["id"], "repo:app/.claude");
    assert_eq!(s["shell"], "listed");
    assert_eq!(strs(&s["shell_commands"]), ["npm run test"]);
    assert_eq!(s["code_host_write_by"], Value::Array(Vec::new()));
    assert_eq!(s["shell_any_by"], Value::Array(Vec::new()));
    // The local file's mode wins over the project's.
    assert_eq!(s["mode"], "default");
    assert_eq!(s["writes_files"], false);
    let files: Vec<(&str, &str)> = s["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["file"].as_str().unwrap(), x["level"].as_str().unwrap()))
        .collect();
    assert_eq!(
        files,
        [
            ("app/.claude/settings.local.json", "local"),
            ("app/.claude/settings.json", "project")
        ]
    );
    assert!(findings_of(&report, "NHI-TOOL-004").is_empty());
    assert!(findings_of(&report, "NHI-TOOL-002").is_empty());
}

#[test]
fn hostile_settings_are_errors_naming_the_field_not_panics() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path();
    write(
        root,
        "a/.claude/settings.json",
        r#"{"permissions": {"allow": "Bash(*)", "deny": [1, "Bash(rm:*)"]}, "hooks": [], "env": "SECRET=hunter2"}"#,
    );
    write(
        root,
        "b/.claude/settings.json",
        "{\"permissions\": {\"allow\": [\"Bash(git\n",
    );
    write(root, "c/.claude/settings.local.json", "[1, 2]");
    let huge: Vec<String> = (0..6000).map(|i| format!("\"Bash(tool{i}:*)\"")).collect();
    write(
        root,
        "d/.claude/settings.json",
        &format!("{{\"permissions\": {{\"allow\": [{}]}}}}", huge.join(",")),
    );
    write(
        root,
        "e/.codex/config.toml",
        "sandbox_mode = [\"danger-full-access\"]\napproval_policy = { granular = true }\n[profiles]\nci = 3\n",
    );
    write(
        root,
        "f/opencode.json",
        r#"{"permission": {"bash": ["allow"], "edit": "sometimes"}}"#,
    );
    write(
        root,
        "g/.vscode/settings.json",
        r#"{"chat.tools.terminal.autoApprove": ["rm"]}"#,
    );
    write(root, "h/.cursor/cli.json", r#"{"permissions": "all"}"#);
    let out = bin()
        .arg("scan")
        .arg(root)
        .args(["--format", "json", "--fail-on", "none", "--scope", "all"])
        .output()
        .expect("runs");
    assert_ne!(
        out.status.code(),
        Some(101),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let problems: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .chain(report["warnings"].as_array().unwrap())
        .chain(
            report["inventory"]["warnings"]
                .as_array()
                .into_iter()
                .flatten(),
        )
        .map(|e| {
            format!(
                "{} {}",
                e["location"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    let has = |needle: &str| problems.iter().any(|p| p.contains(needle));
    for want in [
        "a/.claude/settings.json:1:27 `permissions.allow` must be a list of strings",
        "a/.claude/settings.json:1:47 each item of `permissions.deny`",
        "a/.claude/settings.json:1:75 `hooks` must be a map",
        "a/.claude/settings.json:1:86 `env` must be a map",
        "b/.claude/settings.json:",
        "c/.claude/settings.local.json:1:1 the settings must be a JSON object",
        "`permissions.allow` has 6000 entries: only the first 5000 were read",
        "e/.codex/config.toml:1:16 `sandbox_mode` must be a string",
        "`approval_policy` is a granular policy",
        "`profiles.ci` must be a table",
        "f/opencode.json:1:25 `permission.bash` must be",
        "`permission.edit` must be allow, ask or deny",
        "g/.vscode/settings.json:1:37 `chat.tools.terminal.autoApprove` must be a map",
        "h/.cursor/cli.json:1:17 `permissions` must be an object",
    ] {
        assert!(has(want), "no problem like {want:?} in {problems:#?}");
    }
    assert!(!out.stdout.windows(7).any(|w| w == b"hunter2"));
    // What was readable is still read: the huge list up to its limit, the rule that is a
    // string in a list with a number.
    let d = agent(&report, "repo:d/.claude");
    assert_eq!(
        d["facts"]["tool_scope"]["rules"].as_array().unwrap().len(),
        5000
    );
    let a = agent(&report, "repo:a/.claude");
    assert_eq!(rules_of(&a["facts"]["tool_scope"]["rules"]), ["Bash(rm:*)"]);
}
