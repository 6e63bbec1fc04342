//! One estate seen by the three sources (`fixtures/scenario`, written by
//! `scripts/gen-scenario.py`): the chains that cross them are found with their whole
//! path, and each one disappears when the link it goes through is cut.

use std::path::Path;

use serde_json::Value;

use crate::common::{crate_dir, scan_json};

const ACCOUNT: &str = "111122223333";
const TRIAGE: &str = "repo:github:octo-org/Hello-World/.github/workflows/triage.yml#/jobs/triage";
const CODER: &str = "repo:github:octo-org/Hello-World/.github/workflows/coder.yml#/jobs/claude";
const CODER_TOKEN: &str =
    "github-token:github:octo-org/Hello-World/.github/workflows/coder.yml#/jobs/claude";

fn arn(what: &str) -> String {
    format!("aws:arn:aws:iam::{ACCOUNT}:{what}")
}

/// Ids are relative to the scanned folder (outside any git repository), wherever the
/// copy lies.
fn mcp(_root: &Path) -> String {
    "repo:workstation/.mcp.json".into()
}

fn crew(_root: &Path, agent: &str) -> String {
    format!("repo:crew/config/agents.yaml#/{agent}")
}

/// The chain findings as (start, path, capabilities).
fn chains(report: &Value) -> Vec<(String, Vec<String>, String)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["category"] == "privilege-chain")
        .map(|f| {
            let path: Vec<String> = f["path"]
                .as_array()
                .expect("path")
                .iter()
                .map(|p| p.as_str().expect("id").to_string())
                .collect();
            (
                path[0].clone(),
                path,
                f["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn has_chain(found: &[(String, Vec<String>, String)], path: &[String], gains: &str) -> bool {
    found
        .iter()
        .any(|(_, p, message)| p == path && message.contains(gains))
}

/// Scans a copy of the scenario in which `edit` changed some files (relative path, from,
/// to).
fn scan_copy(edits: &[(&str, &str, &str)]) -> (tempfile::TempDir, Value) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("scenario");
    copy_dir(&crate_dir().join("fixtures/scenario"), &root);
    for (rel, from, to) in edits {
        let path = root.join(rel);
        let text = std::fs::read_to_string(&path).expect("fixture file");
        assert!(text.contains(from), "{rel} does not contain {from}");
        std::fs::write(&path, text.replace(from, to)).expect("write");
    }
    let report = scan_json(&[&root], &[]);
    (tmp, report)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

const CUT_PAT: (&str, &str, &str) = (
    "github/github-export.json",
    "secrets.TRIAGE_PAT",
    "secrets.GITHUB_TOKEN",
);
const CUT_TRUST: (&str, &str, &str) = (
    "aws/gaad.json",
    "\"AWS\": \"arn:aws:iam::111122223333:user/warehouse-mcp\"",
    "\"AWS\": \"arn:aws:iam::111122223333:user/someone-else\"",
);
const CUT_DELEGATION: (&str, &str, &str) = (
    "crew/config/agents.yaml",
    "allow_delegation: true",
    "allow_delegation: false",
);
/// The support agent's account may no longer mint the deployer's tokens.
const CUT_IMPERSONATION: (&str, &str, &str) = (
    "gcp/iam-policy-assets.json",
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.serviceAccountViewer",
);
/// The support agent's other way to the deployer: roles/editor lets it act as every
/// account of its project.
const CUT_EDITOR: (&str, &str, &str) = ("gcp/iam-policies.json", "roles/editor", "roles/viewer");
/// The triage agent's key creation over the folder's accounts.
const CUT_KEY_ADMIN: (&str, &str, &str) = (
    "gcp/iam-policies.json",
    "roles/iam.serviceAccountKeyAdmin",
    "roles/iam.serviceAccountViewer",
);
/// The fix job signs in through the strict provider as the release agent, not through
/// the loose one as the default compute account.
const CUT_FEDERATION: (&str, &str, &str) = (
    "agents-repo/.github/workflows/agents.yml",
    "workloadIdentityPools/github/providers/actions\n          service_account: 123456789012-compute@developer.gserviceaccount.com",
    "workloadIdentityPools/github-strict/providers/actions\n          service_account: release-agent@tools-project.iam.gserviceaccount.com",
);
const SUPPORT_AGENT: &str =
    "agent:gcp:serviceAccount:support-agent@example-project.iam.gserviceaccount.com";

#[test]
fn chains_cross_the_three_sources_with_their_whole_path() {
    let (tmp, report) = scan_copy(&[]);
    let root = tmp.path().join("scenario");
    let found = chains(&report);

    // MCP config → the IAM user whose key it holds → the data role the user may assume.
    assert!(
        has_chain(
            &found,
            &[
                mcp(&root),
                arn("user/warehouse-mcp"),
                arn("role/warehouse-reader")
            ],
            "read on s3, glue in AWS account 111122223333",
        ),
        "{found:#?}"
    );
    // Triage agent → (its PAT comments) the coding agent → its write token, and its role.
    assert!(
        has_chain(
            &found,
            &[TRIAGE.into(), CODER.into(), CODER_TOKEN.into()],
            "write on contents, pull-requests in repository github:octo-org/Hello-World",
        ),
        "{found:#?}"
    );
    assert!(
        has_chain(
            &found,
            &[TRIAGE.into(), CODER.into(), arn("role/app-deployer")],
            "write on lambda, s3 in AWS account 111122223333",
        ),
        "{found:#?}"
    );
    // Read-only crew agent → the agent with write tools it may delegate to.
    assert!(
        has_chain(
            &found,
            &[crew(&root, "reader"), crew(&root, "fixer")],
            "write tools",
        ),
        "{found:#?}"
    );

    // The triage agent's effective access includes what the coding agent holds.
    let effective = |report: &Value| -> Vec<String> {
        report["inventory"]["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == TRIAGE)
            .and_then(|a| a["facts"]["effective_access"].as_array())
            .map(|l| l.iter().map(|x| x.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    assert!(
        effective(&report).contains(&"write on lambda in AWS account 111122223333".to_string()),
        "{:?}",
        effective(&report)
    );
    let (_cut, without_pat) = scan_copy(&[CUT_PAT]);
    assert!(
        effective(&without_pat).is_empty(),
        "without the PAT the triage agent reaches nothing at write or above: {:?}",
        effective(&without_pat)
    );

    // Each hop is explained: the trigger names the token and the event.
    let triage = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["category"] == "privilege-chain" && f["path"][0] == TRIAGE)
        .expect("a triage chain");
    let hops: Vec<&str> = triage["hops"]
        .as_array()
        .expect("hops")
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert!(
        hops[0].contains("TRIAGE_PAT") && hops[0].contains("issue_comment"),
        "{hops:?}"
    );
}

#[test]
fn cutting_each_link_removes_exactly_its_chains() {
    let mcp_chain = |root: &Path| {
        vec![
            mcp(root),
            arn("user/warehouse-mcp"),
            arn("role/warehouse-reader"),
        ]
    };
    let crew_chain = |root: &Path| vec![crew(root, "reader"), crew(root, "fixer")];
    let starts = |found: &[(String, Vec<String>, String)]| -> Vec<String> {
        found.iter().map(|(s, _, _)| s.clone()).collect()
    };

    // The triage agent comments with the workflow's GITHUB_TOKEN: its events start no
    // run, so it reaches neither the coding agent's token nor its role.
    let (tmp, report) = scan_copy(&[CUT_PAT]);
    let root = tmp.path().join("scenario");
    let found = chains(&report);
    assert!(!starts(&found).contains(&TRIAGE.to_string()), "{found:#?}");
    assert!(has_chain(&found, &mcp_chain(&root), "read on s3"));
    assert!(
        !report["inventory"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "triggers"),
        "no triggers edge without the PAT"
    );

    // The data role trusts someone else: the user cannot assume it.
    let (_tmp, report) = scan_copy(&[CUT_TRUST]);
    let found = chains(&report);
    assert!(
        !found
            .iter()
            .any(|(_, p, _)| p.contains(&arn("role/warehouse-reader"))),
        "{found:#?}"
    );
    assert!(starts(&found).contains(&TRIAGE.to_string()));

    // No delegation, no chain between the crew agents.
    let (tmp, report) = scan_copy(&[CUT_DELEGATION]);
    let root = tmp.path().join("scenario");
    let found = chains(&report);
    assert!(!found.iter().any(|(_, p, _)| *p == crew_chain(&root)));

    // No impersonation and no roles/editor, no chain from the support agent to the
    // project's owner; the triage agent's key creation still reaches it.
    let (_tmp, report) = scan_copy(&[CUT_IMPERSONATION, CUT_EDITOR]);
    let found = chains(&report);
    assert!(
        !starts(&found).contains(&SUPPORT_AGENT.to_string()),
        "{found:#?}"
    );
    assert!(starts(&found).contains(&TRIAGE.to_string()));
    assert!(
        found
            .iter()
            .any(|(start, _, _)| start.contains("triage-agent@tools-project")),
        "{found:#?}"
    );

    // Every link cut: no chain at all.
    let (_tmp, report) = scan_copy(&[
        CUT_PAT,
        CUT_TRUST,
        CUT_DELEGATION,
        CUT_IMPERSONATION,
        CUT_EDITOR,
        CUT_KEY_ADMIN,
        CUT_FEDERATION,
    ]);
    let found = chains(&report);
    assert!(found.is_empty(), "{found:#?}");
}

/// The coding agent's workflow as it was before it gained write: the same file with
/// `contents: read`. The scenario's git history has that commit, then the raise.
#[test]
fn the_coding_agent_s_rise_from_read_to_write_is_found_in_git_history() {
    let export =
        std::fs::read_to_string(crate_dir().join("fixtures/scenario/github/github-export.json"))
            .expect("the scenario export");
    let export: Value = serde_json::from_str(&export).expect("JSON");
    let coder = export["orgs"][0]["repositories"][0]["workflows"]
        .as_array()
        .expect("workflows")
        .iter()
        .find(|w| w["workflow"]["path"] == ".github/workflows/coder.yml")
        .and_then(|w| w["content"].as_str())
        .expect("the coding agent's workflow")
        .to_string();
    let before = coder.replace("contents: write", "contents: read");
    assert_ne!(before, coder);

    let repo = crate::history::Repo::new();
    repo.write(".github/workflows/coder.yml", &before);
    repo.commit("coding agent, read-only", "2026-03-01T10:00:00Z");
    repo.write(".github/workflows/coder.yml", &coder);
    let raise = repo.commit("let the agent push its fixes", "2026-04-02T15:30:00Z");

    let (code, report, err) = repo.scan(&["--history"]);
    assert_eq!(code, Some(0), "{err}");
    let creep: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["category"] == "write-creep")
        .collect();
    assert_eq!(creep.len(), 1, "{creep:#?}");
    let message = creep[0]["message"].as_str().unwrap();
    assert!(message.contains(&raise[..7]), "{message}");
    assert!(message.contains("2026-04-02"), "{message}");
    let change = &report["inventory"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|c| c["commit"] == raise.as_str())
        .expect("the raise is a change");
    assert_eq!(change["from_level"], "read");
    assert_eq!(change["to_level"], "write");
    let line = change["location"]["line"].as_u64().unwrap() as usize;
    assert!(
        coder
            .lines()
            .nth(line - 1)
            .unwrap()
            .contains("contents: write")
    );
}

/// The triage agent opened to any GitHub user: the action's `allowed_non_write_users`.
const OPEN_TRIAGE: (&str, &str, &str) = (
    "github/github-export.json",
    "prompt: Label the issue",
    "allowed_non_write_users: \\\"*\\\"\\n          prompt: Label the issue",
);
/// The coding agent no longer assumes the deploy role.
const CUT_ROLE: (&str, &str, &str) = (
    "github/github-export.json",
    "role-to-assume: arn:aws:iam::111122223333:role/app-deployer",
    "role-to-assume: arn:aws:iam::111122223333:role/someone-elses",
);

/// The outsider's chains (`NHI-EXP-002`) as (path, message).
fn outsider_chains(report: &Value) -> Vec<(Vec<String>, String)> {
    crate::common::findings_of(report, "NHI-EXP-002")
        .into_iter()
        .map(|f| {
            let path = f["path"]
                .as_array()
                .expect("path")
                .iter()
                .map(|p| p.as_str().expect("id").to_string())
                .collect();
            (path, f["message"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

#[test]
fn an_outsider_reaches_cloud_write_through_two_agents_and_each_cut_breaks_it() {
    let role = arn("role/app-deployer");
    let attack = vec![
        "outside:anyone".to_string(),
        TRIAGE.to_string(),
        CODER.to_string(),
        role.clone(),
    ];
    let (_tmp, report) = scan_copy(&[OPEN_TRIAGE]);
    let found = outsider_chains(&report);
    let cloud = found
        .iter()
        .find(|(p, _)| *p == attack)
        .unwrap_or_else(|| panic!("no outsider chain to the role: {found:#?}"));
    assert!(
        cloud
            .1
            .starts_with("anyone on the internet reaches write on lambda"),
        "{}",
        cloud.1
    );
    // Hop by hop: who can start the triage agent, the PAT's comment, the OIDC role.
    let finding = crate::common::findings_of(&report, "NHI-EXP-002")
        .into_iter()
        .find(|f| f["path"].as_array().unwrap().last().unwrap() == role.as_str())
        .expect("the finding");
    let hops: Vec<&str> = finding["hops"]
        .as_array()
        .expect("hops")
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert!(hops[0].contains("allowed_non_write_users"), "{hops:?}");
    assert!(hops[1].contains("TRIAGE_PAT"), "{hops:?}");
    assert!(hops[2].contains("role-to-assume"), "{hops:?}");
    // The triage agent itself: untrusted input, a person's token, a way out.
    let triage = crate::common::agent(&report, TRIAGE);
    assert_eq!(triage["facts"]["exposure"]["trifecta"], true, "{triage:#}");
    // The outside is drawn steering the triage agent in SARIF's code flow.
    assert_eq!(finding["path"][0], "outside:anyone");

    // Each link cut: only writers start the triage agent (the fixture as written); its
    // comments are made with the workflow's token, which starts no run; the coding agent
    // assumes another role.
    let (_tmp, closed) = scan_copy(&[]);
    assert!(
        outsider_chains(&closed).is_empty(),
        "{:#?}",
        outsider_chains(&closed)
    );
    let (_tmp, no_pat) = scan_copy(&[OPEN_TRIAGE, CUT_PAT]);
    assert!(
        outsider_chains(&no_pat).is_empty(),
        "{:#?}",
        outsider_chains(&no_pat)
    );
    let (_tmp, no_role) = scan_copy(&[OPEN_TRIAGE, CUT_ROLE]);
    let left = outsider_chains(&no_role);
    assert!(!left.iter().any(|(p, _)| p.contains(&role)), "{left:#?}");
    // The coding agent's own token is still reached through the two agents.
    assert!(
        left.iter()
            .any(|(p, m)| p.contains(&CODER.to_string()) && m.contains("contents")),
        "{left:#?}"
    );
}

/// The outside is named where people read the path: the SARIF code flow's first step,
/// and the inventory table's exposure lines of the agent it steers.
#[test]
fn the_outsider_is_named_in_sarif_and_in_the_inventory_table() {
    let fixture = crate_dir().join("fixtures/rules/NHI-EXP-002/match");
    let out = crate::common::bin()
        .args(["scan", "--format", "sarif", "--fail-on", "none"])
        .arg(&fixture)
        .output()
        .expect("runs");
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    let result = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["ruleId"] == "NHI-EXP-002")
        .expect("the outsider's chain");
    let steps = result["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .expect("steps");
    let first = steps[0]["location"]["message"]["text"].as_str().unwrap();
    assert!(first.starts_with("anyone on the internet"), "{first}");
    let second = steps[1]["location"]["message"]["text"].as_str().unwrap();
    assert!(second.contains("allowed_non_write_users"), "{second}");

    let out = crate::common::bin()
        .args(["inventory"])
        .arg(&fixture)
        .output()
        .expect("runs");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("exposed  untrusted input · private data · a way out — the lethal trifecta"),
        "{table}"
    );
    assert!(
        table.contains("steered  any GitHub user can start it"),
        "{table}"
    );
}
