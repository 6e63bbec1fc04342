//! Real public inputs (`../shared/corpus`): every workflow that runs an agent is found
//! with its permissions and secrets; placeholders and references are not reported as
//! hard-coded secrets; nothing crashes and nothing is skipped silently.

use std::path::Path;

use serde_json::Value;

use crate::common::{corpus, findings_of, scan_json};

fn agents_in<'a>(report: &'a Value, file: &str) -> Vec<&'a Value> {
    report["inventory"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["locations"][0]["path"]
                .as_str()
                .is_some_and(|p| p.ends_with(file))
        })
        .collect()
}

fn job<'a>(report: &'a Value, file: &str, job: &str) -> &'a Value {
    agents_in(report, file)
        .into_iter()
        .find(|a| a["facts"]["job"] == job)
        .unwrap_or_else(|| panic!("no agent for {file} job {job}"))
}

#[test]
fn every_agent_workflow_is_found_with_permissions_and_secrets() {
    let Some(dir) = corpus("workflows") else {
        return;
    };
    let report = scan_json(&[&dir], &["--scope", "all"]);
    assert_eq!(
        report["errors"].as_array().unwrap().len(),
        0,
        "{}",
        report["errors"]
    );

    // Independent of our catalogue: a file names an agent action or the Copilot setup job.
    let markers = [
        "claude-code-action",
        "codex-action",
        "run-gemini-cli",
        "aider-github",
        "copilot-setup-steps:",
    ];
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if markers.iter().any(|m| text.contains(m)) {
            assert!(
                !agents_in(&report, &name).is_empty(),
                "no agent found in {name}"
            );
        }
    }

    let claude = job(
        &report,
        "anthropics__claude-code-action__claude.yml",
        "claude",
    );
    assert_eq!(claude["facts"]["permissions_source"], "job");
    assert_eq!(claude["facts"]["permissions"]["contents"], "write");
    assert_eq!(claude["facts"]["oidc"], true);
    assert_eq!(
        claude["facts"]["secrets"],
        serde_json::json!(["ANTHROPIC_API_KEY"])
    );
    assert!(
        claude["facts"]["untrusted_triggers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "issue_comment")
    );

    // `permissions: {}` at the top, a job block that replaces it.
    let pydantic = job(&report, "pydantic__pydantic-ai__at-claude.yml", "at-claude");
    assert_eq!(pydantic["facts"]["permissions"]["contents"], "write");
    assert_eq!(pydantic["facts"]["token_access_level"], "write");

    // No permissions block anywhere: the repository default, unknown offline.
    let codex = job(
        &report,
        "openai__codex-action__unprivileged-user.yml",
        "run-codex-with-unprivileged-user",
    );
    assert_eq!(codex["facts"]["permissions_source"], "default");
    assert_eq!(codex["facts"]["token_access_level"], "unknown");

    // Workload identity federation instead of a key.
    let wif = job(
        &report,
        "anthropics__claude-code-action__claude-wif.yml",
        "claude",
    );
    assert_eq!(wif["facts"]["secrets"], serde_json::json!([]));
    assert!(
        wif["facts"]["federation"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "anthropic_federation_rule_id")
    );

    // A GitHub App token minted in the job.
    let gemini = job(
        &report,
        "google-gemini__gemini-cli__gemini-automated-issue-triage.yml",
        "triage-issue",
    );
    assert_eq!(gemini["facts"]["app_token"], true);

    // Anyone can trigger the triage agent.
    let cline = &agents_in(&report, "cline__cline__claude-issue-triage.yml")[0];
    assert_eq!(cline["facts"]["allowed_non_write_users"], "*");

    // Copilot setup jobs are agents too.
    assert!(!agents_in(&report, "microsoft__playwright__copilot-setup-steps.yml").is_empty());
}

#[test]
fn placeholders_and_references_are_not_hardcoded_secrets() {
    let (Some(mcp), Some(agents), Some(workflows)) =
        (corpus("mcp"), corpus("agents"), corpus("workflows"))
    else {
        return;
    };
    let report = scan_json(&[&mcp, &agents, &workflows], &["--scope", "all"]);
    assert_eq!(
        report["errors"].as_array().unwrap().len(),
        0,
        "{}",
        report["errors"]
    );
    let hardcoded: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "hardcoded-secret")
        .map(|f| f["locations"][0]["path"].as_str().unwrap_or("").to_string())
        .collect();
    // The one literal credential in these files: Grafana's default `admin` password in a
    // test MCP config. `YOUR_KLING_ACCESS_KEY_HERE`, `<APILLON_API_KEY>`, `ghp_dummy`, the
    // sequential `sk-proj-abc…XYZ`, `${input:…}` and `${CONTEXT7_API_KEY:-}` are not.
    assert_eq!(hardcoded.len(), 1, "{hardcoded:?}");
    assert!(hardcoded[0].ends_with("grafana__mcp-grafana__tests_ageval_grafana.mcp.json"));

    // References are inventoried as references.
    let creds = report["inventory"]["credentials"].as_array().unwrap();
    let input_ref = creds
        .iter()
        .find(|c| c["storage"] == "prompt")
        .expect("the VS Code ${input:…} key");
    assert_eq!(input_ref["fingerprint"], Value::Null);
    assert!(
        creds
            .iter()
            .any(|c| c["name"] == "CONTEXT7_API_KEY" && c["storage"] == "env-reference")
    );
}

#[test]
fn every_corpus_file_is_read_and_mcp_configs_are_agents() {
    let Some(root) = corpus("") else {
        return;
    };
    // One export (a cloudsplaining edge case) lacks lists and attaches a policy it does
    // not include: that account is partial, the rest is whole.
    let report = scan_json(&[&root], &["--scope", "all", "--allow-partial"]);
    let files = walk_count(&root);
    assert_eq!(report["inventory"]["stats"]["files_seen"], files);
    assert_eq!(report["inventory"]["stats"]["files_parsed"], files);
    for e in report["errors"].as_array().unwrap() {
        let text = e.to_string();
        assert!(text.contains("managed_policy_mismatch"), "{text}");
    }
    assert_eq!(report["partial"], true);
    for f in [
        "modelcontextprotocol__servers__.mcp.json",
        "PostHog__posthog__.codex_config.toml",
        "prowler-cloud__prowler__claude_plugins_prowler_.mcp.json",
        "dotnet__aspire__.vscode_mcp.json",
    ] {
        let a = agents_in(&report, f);
        assert_eq!(a.len(), 1, "{f}");
        assert_eq!(a[0]["kind"], "mcp-client");
    }
    // The prowler plugin's bearer header is a reference to user config, held by the client.
    let prowler = &agents_in(
        &report,
        "prowler-cloud__prowler__claude_plugins_prowler_.mcp.json",
    )[0];
    assert_eq!(
        prowler["facts"]["servers"][0]["credentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A2A cards without authentication.
    assert!(findings_of(&report, "NHI-REPO-016").len() >= 2);
    // CrewAI agents are found; the corpus crew does not delegate.
    assert_eq!(
        agents_in(
            &report,
            "crewAIInc__crewAI__lib_crewai_tests_config_agents.yaml"
        )
        .len(),
        2
    );
    assert!(findings_of(&report, "NHI-REPO-015").is_empty());
}

fn walk_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() { walk_count(&p) } else { 1 }
        })
        .sum()
}

/// The repositories of `wild/` rebuilt at their source paths (from `MANIFEST.md`), so
/// that workflows meet the local actions and reusable workflows they call.
fn wild_tree() -> Option<tempfile::TempDir> {
    let wild = corpus("wild")?;
    let manifest = std::fs::read_to_string(corpus("MANIFEST.md")?).expect("MANIFEST.md");
    let section = manifest.split("## wild/").nth(1).expect("a wild/ section");
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut n = 0;
    for line in section.lines() {
        // | `wild/FILE` | owner/repo | `commit` (snapshot) | `source/path` | …
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 5 || !cells[1].starts_with("`wild/") {
            continue;
        }
        let file = cells[1].trim_matches('`').trim_start_matches("wild/");
        let repo = cells[2];
        let path = cells[4].trim_matches('`');
        let dest = tmp.path().join(repo).join(path);
        std::fs::create_dir_all(dest.parent().expect("a parent")).expect("mkdir");
        std::fs::copy(wild.join(file), &dest).expect("copy");
        n += 1;
    }
    assert!(n >= 40, "only {n} wild files in the manifest");
    Some(tmp)
}

/// What is recognised in the wild corpus, labelled by hand file by file in
/// `wild-labels.tsv` (the reasons are in `MANIFEST.md` and the README's "Who can start an
/// agent"): (file, job or client, product or kind, who_can_start, untrusted inputs). Not agents, and so absent: the
/// Hugging Face sync, the AMP-pages and Goose-translator workflows (name collisions), the
/// reusable `vars.yml`, CodeRabbit's app config; the local actions are read through
/// their callers, the gh-aw sources through their locks, a called workflow through its
/// caller. Each `.claude/settings.json` is a `coding-agent` (its tool scope).
#[test]
fn wild_corpus_recognition_is_pinned() {
    let Some(tree) = wild_tree() else {
        return;
    };
    let report = scan_json(&[tree.path()], &["--scope", "all"]);
    assert_eq!(report["errors"], Value::Array(Vec::new()));
    let want: Vec<(String, String, String, String, usize)> = include_str!("wild-labels.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (
                c[0].to_string(),
                c[1].to_string(),
                c[2].to_string(),
                c[3].to_string(),
                c[4].parse().expect("a count"),
            )
        })
        .collect();
    assert!(want.len() >= 30, "{} labels", want.len());
    let mut got: Vec<(String, String, String, String, usize)> = report["inventory"]["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .map(|a| {
            let f = &a["facts"];
            let s = |v: &Value| v.as_str().unwrap_or("-").to_string();
            (
                s(&a["locations"][0]["path"]),
                f["job"]
                    .as_str()
                    .or_else(|| f["client"].as_str())
                    .unwrap_or("-")
                    .to_string(),
                f["product"]
                    .as_str()
                    .unwrap_or_else(|| a["kind"].as_str().unwrap_or("-"))
                    .to_string(),
                s(&f["who_can_start"]),
                f["untrusted_inputs"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String, String, String, usize)> = want
        .iter()
        .map(|(a, b, c, d, e)| {
            (
                a.to_string(),
                b.to_string(),
                c.to_string(),
                d.to_string(),
                *e,
            )
        })
        .collect();
    want.sort();
    assert_eq!(got, want);

    // The flat folder as stored (names flattened, no tree) reads without an error.
    let flat = scan_json(&[&corpus("wild").expect("wild")], &["--scope", "all"]);
    assert_eq!(flat["errors"], Value::Array(Vec::new()));
}

/// The two Claude Code project settings of the wild corpus, checked by hand. electron
/// approves its own `e` tool, `git add/am/commit/log/show/diff`, `echo`, `tee` and
/// `Read(*)`: named programs, none a shell, a network client or a push, so nothing is
/// reported. cloudsplaining approves `uv run:*` (runs any command in the project's
/// environment) and `find:*` (`-exec` runs any command), pushes and pull requests
/// (`git push:*`, `gh pr create:*`, `gh issue create:*`, `gh api:*`), fetches from eleven
/// listed domains and edits two plan folders; its denies (`git push --force*`,
/// `rm -rf *`, `Read(~/.ssh/**)`) narrow none of those allows. `aws configure
/// list-profiles` only reads. It holds no credential and fetches from listed domains
/// only: the shell finding is medium.
#[test]
fn wild_claude_settings_give_their_tool_scope() {
    let Some(tree) = wild_tree() else {
        return;
    };
    let report = scan_json(&[tree.path()], &["--scope", "all"]);
    let agent = |id: &str| -> Value {
        report["inventory"]["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no agent {id}"))
    };
    let rules = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|g| g["rule"].as_str().unwrap().to_string())
            .collect()
    };
    let tool_findings = |file: &str| -> Vec<(String, String)> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"].as_str().unwrap().starts_with("NHI-TOOL-"))
            .filter(|f| {
                f["locations"][0]["path"]
                    .as_str()
                    .is_some_and(|p| p.starts_with(file))
            })
            .map(|f| {
                (
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };

    let electron = agent("repo:electron/electron/.claude");
    assert_eq!(electron["kind"], "coding-agent");
    let s = &electron["facts"]["tool_scope"];
    assert_eq!(s["shell"], "listed");
    assert_eq!(s["network"], "none");
    assert_eq!(s["bypass"], false);
    assert!(rules(&s["shell_any_by"]).is_empty());
    assert!(rules(&s["code_host_write_by"]).is_empty());
    assert!(rules(&s["cloud_by"]).is_empty());
    assert_eq!(
        s["shell_commands"].as_array().unwrap().len(),
        13,
        "`e sync` twice"
    );
    assert!(tool_findings("electron/").is_empty());

    let cs = agent("repo:salesforce/cloudsplaining/.claude");
    let s = &cs["facts"]["tool_scope"];
    assert_eq!(
        rules(&s["shell_any_by"]),
        ["Bash(uv run:*)", "Bash(find:*)"]
    );
    assert_eq!(
        rules(&s["code_host_write_by"]),
        [
            "Bash(gh api:*)",
            "Bash(gh issue create:*)",
            "Bash(git push:*)",
            "Bash(gh pr create:*)"
        ]
    );
    assert!(rules(&s["cloud_by"]).is_empty());
    assert!(rules(&s["network_any_by"]).is_empty());
    assert_eq!(s["network_domains"].as_array().unwrap().len(), 11);
    assert_eq!(s["network"], "any", "any command reaches any host");
    assert_eq!(s["writes_files"], true);
    assert_eq!(s["env"].as_array().unwrap().len(), 4);
    assert_eq!(
        s["shell_any_by"][0]["at"],
        "salesforce/cloudsplaining/.claude/settings.json:12:7"
    );
    let mut got = tool_findings("salesforce/");
    got.sort();
    assert_eq!(
        got,
        [
            ("NHI-TOOL-002".to_string(), "medium".to_string()),
            ("NHI-TOOL-004".to_string(), "medium".to_string())
        ]
    );
}
