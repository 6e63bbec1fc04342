//! The GCP source offline: `gcloud` exports in a scanned folder (`fixtures/scenario/gcp`,
//! written from Google's documented shapes) recognised by content and read into service
//! accounts, keys, grants and impersonation edges; AI service agents and labelled
//! accounts classified as agents; the GCP rules firing; and a malformed export reported
//! with its file and line while the rest of the scan goes on.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{crate_dir, findings_of, identity, identity_ids};

const NOW: &str = "2026-12-01T00:00:00Z";

fn sa(name: &str) -> String {
    format!("gcp:serviceAccount:{name}@example-project.iam.gserviceaccount.com")
}

fn tools(name: &str) -> String {
    format!("gcp:serviceAccount:{name}@tools-project.iam.gserviceaccount.com")
}

fn provider(pool: &str) -> String {
    format!(
        "gcp:workloadIdentityProvider:projects/222222222222/locations/global/workloadIdentityPools/{pool}/providers/actions"
    )
}

const ENGINE: &str =
    "gcp:serviceAccount:service-123456789012@gcp-sa-aiplatform-re.iam.gserviceaccount.com";
const COMPUTE: &str = "gcp:serviceAccount:123456789012-compute@developer.gserviceaccount.com";

fn scan(dir: &std::path::Path, code: i32) -> Value {
    crate::common::scan_all_at(dir, NOW, code)
}

#[test]
fn gcloud_exports_give_accounts_keys_grants_edges_agents_and_findings() {
    let report = scan(&crate_dir().join("fixtures/scenario/gcp"), 0);
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(report["partial"], false);

    // Identities: the listed accounts of both projects, the service agent only a
    // binding names, and the two workload identity providers.
    let ids = identity_ids(&report, "gcp");
    let want: BTreeSet<String> = [
        sa("support-agent"),
        sa("deployer"),
        sa("reporting"),
        tools("triage-agent"),
        tools("release-agent"),
        tools("ci-deployer"),
        ENGINE.into(),
        COMPUTE.into(),
        provider("github"),
        provider("github-strict"),
    ]
    .into();
    assert_eq!(
        ids,
        want.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    let support = identity(&report, &sa("support-agent"));
    assert_eq!(support["kind"], "gcp-service-account");
    assert_eq!(support["access_level"], "write");
    let facts = &support["facts"]["gcp"];
    assert_eq!(facts["project"], "example-project");
    assert_eq!(facts["type"], "user-managed");
    assert_eq!(facts["listed"], true);
    assert_eq!(facts["basic_roles"], serde_json::json!(["roles/editor"]));
    assert_eq!(facts["active_user_managed_keys"], 1);
    assert_eq!(
        identity(&report, COMPUTE)["facts"]["gcp"]["type"],
        "default-compute"
    );
    let engine = &identity(&report, ENGINE)["facts"]["gcp"];
    assert_eq!(engine["type"], "service-agent");
    assert_eq!(engine["service_agent"], "aiplatform-re");
    assert_eq!(engine["listed"], false);
    // Its project by number, named by the id the policy search pairs with that number.
    assert_eq!(engine["project"], "example-project");
    assert_eq!(
        identity(&report, ENGINE)["locations"][0]["uri"],
        format!(
            "//iam.googleapis.com/projects/-/serviceAccounts/{}",
            &ENGINE[19..]
        )
    );
    // The binding on the account by its unique id reaches it; the public member is noted.
    let reporting = &identity(&report, &sa("reporting"))["facts"]["gcp"];
    assert_eq!(
        reporting["public_members"][0]["member"],
        "allAuthenticatedUsers"
    );

    // Credentials: one per user-managed key, with its id and never the key material.
    let creds: Vec<(&str, &str, Option<&str>)> = report["inventory"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["provider"] == "gcp")
        .map(|c| {
            (
                c["key_id"].as_str().unwrap(),
                c["identity"].as_str().unwrap(),
                c["expires_at"].as_str(),
            )
        })
        .collect();
    let support_id = sa("support-agent");
    let reporting_id = sa("reporting");
    assert_eq!(
        creds,
        [
            (
                "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
                support_id.as_str(),
                None
            ),
            (
                "1111111111111111111111111111111111111111",
                reporting_id.as_str(),
                Some("2027-02-08T12:00:00Z")
            ),
        ]
    );
    let keys = facts["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "the system-managed key is in the facts only");
    assert_eq!(keys[0]["never_expires"], true);
    assert_eq!(keys[0]["age_days"], 626);

    // Grants: each role on the resource its binding is on, inferred levels said so.
    let grants: Vec<(&str, &str, &str, &str)> = report["inventory"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["identity"] == ENGINE)
        .map(|g| {
            (
                g["action"].as_str().unwrap(),
                g["resource"].as_str().unwrap(),
                g["access_level"].as_str().unwrap(),
                g["source"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        grants,
        [
            (
                "roles/aiplatform.reasoningEngineServiceAgent",
                "//cloudresourcemanager.googleapis.com/projects/example-project",
                "write",
                "IAM policy binding (level inferred from the role's name)"
            ),
            (
                "roles/storage.objectViewer",
                "//storage.googleapis.com/example-project-docs",
                "read",
                "IAM policy binding (level inferred from the role's name)"
            ),
        ]
    );
    let owner = report["inventory"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["identity"] == sa("deployer").as_str())
        .unwrap();
    assert_eq!(
        (&owner["action"], &owner["access_level"], &owner["source"]),
        (
            &Value::from("roles/owner"),
            &Value::from("admin"),
            &Value::from("IAM policy binding")
        )
    );

    // Edges: the agents hold their accounts; the support agent can act as the deployer
    // (token creator on it, and actAs through roles/editor); the triage agent can
    // create keys of accounts in both projects through the folder it holds
    // roles/iam.serviceAccountKeyAdmin on; the GitHub pools' principals can act as the
    // accounts bound to them.
    let edges: BTreeSet<(String, String, String)> = report["inventory"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["to"].as_str().unwrap().starts_with("gcp:"))
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["from"].as_str().unwrap().to_string(),
                e["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let agent_support = format!("agent:{}", sa("support-agent"));
    let agent_engine = format!("agent:{ENGINE}");
    let agent_triage = format!("agent:{}", tools("triage-agent"));
    let agent_release = format!("agent:{}", tools("release-agent"));
    let deployer = sa("deployer");
    let edge = |k: &str, f: &str, t: &str| (k.to_string(), f.to_string(), t.to_string());
    for want in [
        edge("assumes", &support_id, &deployer),
        edge("holds", &agent_engine, ENGINE),
        edge("holds", &agent_support, &support_id),
        edge("holds", &agent_triage, &tools("triage-agent")),
        edge("escalates", &tools("triage-agent"), &deployer),
        edge("escalates", &tools("triage-agent"), &tools("ci-deployer")),
        edge("assumes", &provider("github"), &tools("ci-deployer")),
        edge("assumes", &provider("github"), COMPUTE),
        edge(
            "assumes",
            &provider("github-strict"),
            &tools("release-agent"),
        ),
    ] {
        assert!(edges.contains(&want), "missing {want:?} in {edges:#?}");
    }
    // Key creation is kept for the three highest accounts the folder covers.
    let triage_escalations = edges
        .iter()
        .filter(|(k, f, _)| k == "escalates" && *f == tools("triage-agent"))
        .count();
    assert_eq!(triage_escalations, 3);
    // Nothing reaches across what no binding covers: no pool principal acts as the
    // support agent, the reporting account is no one's agent-held identity.
    assert!(
        !edges
            .iter()
            .any(|(_, f, t)| f.starts_with("gcp:workloadIdentityProvider") && *t == support_id)
    );

    // Agents: the Agent Engine service agent by its domain, the labelled account.
    let agents: Vec<(&str, &str, &str)> = report["inventory"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap(),
                a["kind"].as_str().unwrap(),
                a["confidence"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        agents,
        [
            // Named like an agent's, no more: low confidence.
            (agent_release.as_str(), "gcp-service-account", "low"),
            (agent_engine.as_str(), "gcp-service-agent", "high"),
            (agent_support.as_str(), "gcp-service-account", "high"),
            (agent_triage.as_str(), "gcp-service-account", "high"),
        ]
    );

    // Rules: the never-expiring key and the basic role of the support agent's account;
    // the identity powers of both agents' accounts (editor's key creation and actAs,
    // the folder's key admin); the chains to owner and to run.admin.
    let subjects = |rule: &str| -> Vec<String> {
        findings_of(&report, rule)
            .iter()
            .map(|f| f["subject"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(subjects("NHI-GCP-001"), [sa("support-agent")]);
    assert_eq!(subjects("NHI-GCP-002"), [sa("support-agent")]);
    assert_eq!(
        subjects("NHI-GCP-003"),
        [sa("support-agent"), tools("triage-agent")]
    );
    // The scan judges every identity (`--scope all`): the account anyone can act as,
    // the GitHub provider that checks only the branch and whose whole pool is bound;
    // not the strict provider. No agent here runs as a default account.
    assert_eq!(subjects("NHI-GCP-004"), Vec::<String>::new());
    assert_eq!(subjects("NHI-GCP-005"), [sa("reporting")]);
    assert_eq!(subjects("NHI-GCP-006"), [provider("github")]);
    // Activity Analyzer: the deployer has not authenticated since January, the
    // reporting account's key since May; the support agent and its key did this week.
    assert_eq!(subjects("NHI-GCP-007"), [sa("deployer"), sa("reporting")]);
    let support = identity(&report, &sa("support-agent"));
    assert_eq!(support["last_used_at"], "2026-11-29T07:00:00Z");
    assert_eq!(support["facts"]["gcp"]["idle_days"], 1);
    let reporting_key = identity(&report, &sa("reporting"))["facts"]["gcp"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["user_managed"] == true)
        .unwrap()
        .clone();
    assert_eq!(reporting_key["idle_days"], 211);
    let triage = findings_of(&report, "NHI-GCP-003")
        .into_iter()
        .find(|f| f["subject"] == tools("triage-agent").as_str())
        .unwrap();
    assert!(
        triage["message"].as_str().unwrap().contains(
            "holds iam.serviceAccountKeys.create (through roles/iam.serviceAccountKeyAdmin)"
        ),
        "{}",
        triage["message"]
    );
    let chains: Vec<Value> = findings_of(&report, "NHI-REPO-015")
        .into_iter()
        .map(|f| f["path"].clone())
        .collect();
    assert!(
        chains.contains(&serde_json::json!([agent_support, support_id, deployer])),
        "{chains:?}"
    );
    assert!(
        chains.contains(&serde_json::json!([
            agent_triage,
            tools("triage-agent"),
            tools("ci-deployer")
        ])),
        "{chains:?}"
    );
    let to_owner = findings_of(&report, "NHI-REPO-015")
        .into_iter()
        .find(|f| f["path"][0] == agent_support.as_str())
        .unwrap();
    assert!(
        to_owner["message"]
            .as_str()
            .unwrap()
            .contains("gains admin on every service in GCP project example-project"),
        "{}",
        to_owner["message"]
    );
}

#[test]
fn a_workflow_signing_in_by_workload_identity_holds_the_account_and_the_provider() {
    // The scenario's agent workflow and its Google Cloud exports, judged as a CI gate
    // judges them (the default `--scope agents`).
    let dir = crate_dir().join("fixtures/scenario");
    let report = crate::common::scan_json(&[&dir.join("agents-repo"), &dir.join("gcp")], &[]);
    let job = |name: &str| {
        format!("repo:fixtures/scenario/agents-repo/.github/workflows/agents.yml#/jobs/{name}")
    };
    let holds: BTreeSet<(String, String)> = report["inventory"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "holds" && e["from"].as_str().unwrap().contains("agents.yml"))
        .map(|e| {
            (
                e["from"].as_str().unwrap().to_string(),
                e["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [
        (job("triage"), tools("release-agent")),
        (job("triage"), provider("github-strict")),
        (job("fix"), COMPUTE.to_string()),
        (job("fix"), provider("github")),
    ] {
        assert!(holds.contains(&want), "missing {want:?} in {holds:#?}");
    }
    let subjects = |rule: &str| -> BTreeSet<String> {
        findings_of(&report, rule)
            .iter()
            .map(|f| f["subject"].as_str().unwrap().to_string())
            .collect()
    };
    // The fix job runs as the default compute account (an editor), through the provider
    // that lets any repository's main branch in; the triage job's strict provider and
    // its own account are not findings.
    assert_eq!(subjects("NHI-GCP-004"), [COMPUTE.to_string()].into());
    assert_eq!(subjects("NHI-GCP-006"), [provider("github")].into());
    assert!(subjects("NHI-GCP-002").contains(COMPUTE));
    assert!(!subjects("NHI-GCP-003").contains(&tools("release-agent")));
    // And the loose pool's other account is in the fix job's reach: a chain.
    let chain = findings_of(&report, "NHI-REPO-015")
        .into_iter()
        .find(|f| {
            f["path"][0] == job("fix").as_str() && f["subject"] == tools("ci-deployer").as_str()
        })
        .expect("the chain from the fix job to ci-deployer");
    assert_eq!(
        chain["path"],
        serde_json::json!([job("fix"), provider("github"), tools("ci-deployer")])
    );
}

#[test]
fn a_malformed_gcloud_export_is_an_error_naming_file_and_line_and_the_rest_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let from = crate_dir().join("fixtures/scenario/gcp");
    for f in ["service-accounts.json", "iam-policies.json"] {
        std::fs::copy(from.join(f), root.join(f)).unwrap();
    }
    // A key listing cut short, and a JSON-lines export with one bad line among good ones.
    let keys = std::fs::read_to_string(from.join("keys-support-agent.json")).unwrap();
    std::fs::write(root.join("keys.json"), &keys[..keys.len() / 2]).unwrap();
    let assets = std::fs::read_to_string(from.join("iam-policy-assets.json")).unwrap();
    let mut lines: Vec<&str> = assets.lines().collect();
    lines.insert(
        1,
        "{\"name\": \"//iam.googleapis.com/x\", \"iamPolicy\": {\"bindings\": 7}}",
    );
    std::fs::write(root.join("assets.json"), lines.join("\n")).unwrap();

    let report = scan(root, 3);
    assert_eq!(report["partial"], true);
    let errors: Vec<(&str, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["location"].as_str().unwrap(),
                e["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    let keys_error = errors
        .iter()
        .find(|(l, _)| l.contains("keys.json"))
        .unwrap();
    assert!(keys_error.0.starts_with("keys.json:"), "{keys_error:?}");
    assert!(keys_error.1.contains("truncated"), "{keys_error:?}");
    let line_error = errors
        .iter()
        .find(|(l, _)| l.contains("assets.json"))
        .unwrap();
    assert!(line_error.0.starts_with("assets.json:2:"), "{line_error:?}");
    assert!(
        line_error.1.contains("iamPolicy.bindings"),
        "{line_error:?}"
    );
    // The rest went on: the agent, its basic role, and the deployer's policy (line 1).
    assert_eq!(findings_of(&report, "NHI-GCP-002").len(), 1);
    assert!(
        report["inventory"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "assumes" && e["to"] == sa("deployer").as_str())
    );
}

/// A key file written into the scanned folder at run time, so that no key-shaped file is
/// committed: the exported support-agent key's id, a body that is not a key.
fn write_key_file(path: &std::path::Path, key_id: &str) {
    let pem = [
        "-----BEGIN ",
        "PRIVATE KEY-----\\nNOT-A-KEY\\n-----END ",
        "PRIVATE KEY-----\\n",
    ]
    .concat();
    let text = serde_json::json!({
        "type": "service_account",
        "project_id": "example-project",
        "private_key_id": key_id,
        "client_email": "support-agent@example-project.iam.gserviceaccount.com",
        "client_id": "100000000000000000001",
    })
    .to_string()
    .replacen('{', &format!("{{\"private_key\": \"{pem}\", "), 1);
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_key_file_in_a_repo_joins_its_config_to_the_listed_key_and_the_chain_runs_through_it() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let from = crate_dir().join("fixtures/scenario/gcp");
    for entry in std::fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), root.join(entry.file_name())).unwrap();
    }
    let repo = root.join("helpdesk-bot");
    std::fs::create_dir(&repo).unwrap();
    write_key_file(
        &repo.join("sa-key.json"),
        "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
    );
    std::fs::write(
        repo.join(".mcp.json"),
        r#"{"mcpServers": {"bigquery": {"command": "npx", "args": ["-y", "mcp-bigquery"],
            "env": {"GOOGLE_APPLICATION_CREDENTIALS": "./sa-key.json"}}}}"#,
    )
    .unwrap();

    let report = scan(root, 0);
    assert_eq!(report["errors"], serde_json::json!([]));
    let text = serde_json::to_string(&report).unwrap();
    assert!(!text.contains("NOT-A-KEY"), "the key body left the process");

    // The file is one credential with the listed key's id, in the file, nothing else.
    let file_keys: Vec<&Value> = report["inventory"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "gcp-service-account-key" && c["fingerprint"].is_string())
        .collect();
    assert_eq!(file_keys.len(), 1, "{file_keys:?}");
    assert_eq!(
        file_keys[0]["key_id"],
        "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
    );
    assert_eq!(
        file_keys[0]["locations"][0]["path"],
        "helpdesk-bot/sa-key.json"
    );

    // The MCP server holds the support agent's account through the key id.
    let support = sa("support-agent");
    let held: Vec<&Value> = report["inventory"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "holds" && e["to"] == support.as_str())
        .filter(|e| {
            e["from"]
                .as_str()
                .unwrap()
                .contains("helpdesk-bot/.mcp.json")
        })
        .collect();
    assert_eq!(held.len(), 1, "{held:?}");
    assert!(
        held[0]["evidence"]
            .as_str()
            .unwrap()
            .contains("key 0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"),
        "{}",
        held[0]["evidence"]
    );

    // And the chain: the MCP server → the support agent's account → the deployer (owner).
    let from_mcp: Vec<&Value> = findings_of(&report, "NHI-REPO-015")
        .into_iter()
        .filter(|f| {
            f["path"][0]
                .as_str()
                .unwrap()
                .contains("helpdesk-bot/.mcp.json")
        })
        .collect();
    assert_eq!(from_mcp.len(), 1, "{from_mcp:?}");
    let path: Vec<&str> = from_mcp[0]["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(
        &path[path.len() - 2..],
        [support.as_str(), sa("deployer").as_str()]
    );
}

#[test]
fn a_key_file_of_an_unlisted_key_joins_by_its_account_and_a_missing_file_joins_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let from = crate_dir().join("fixtures/scenario/gcp");
    std::fs::copy(
        from.join("service-accounts.json"),
        root.join("service-accounts.json"),
    )
    .unwrap();
    let repo = root.join("bot");
    std::fs::create_dir(&repo).unwrap();
    write_key_file(
        &repo.join("key.json"),
        "99999999999999999999999999999999aaaaaaaa",
    );
    std::fs::write(
        repo.join(".mcp.json"),
        r#"{"mcpServers": {
            "a": {"command": "x", "env": {"GOOGLE_APPLICATION_CREDENTIALS": "key.json"}},
            "b": {"command": "y", "env": {"GOOGLE_APPLICATION_CREDENTIALS": "./gone.json"}}}}"#,
    )
    .unwrap();
    let report = scan(root, 0);
    let edges: Vec<(&str, &str, &str)> = report["inventory"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "holds")
        .map(|e| {
            (
                e["from"].as_str().unwrap(),
                e["to"].as_str().unwrap(),
                e["evidence"].as_str().unwrap(),
            )
        })
        .collect();
    let support = sa("support-agent");
    let to_account: Vec<_> = edges
        .iter()
        .filter(|e| e.0 == "repo:bot/.mcp.json" && e.1 == support.as_str())
        .collect();
    assert_eq!(to_account.len(), 1, "{edges:?}");
    assert!(
        to_account[0]
            .2
            .contains("(key 99999999999999999999999999999999aaaaaaaa, not in the key listings)"),
        "{to_account:?}"
    );
    // The missing file holds nothing: the config holds the one key it found.
    let from_config: Vec<_> = edges
        .iter()
        .filter(|e| e.0 == "repo:bot/.mcp.json")
        .collect();
    assert_eq!(from_config.len(), 2, "{edges:?}");
    assert!(
        edges.iter().all(|e| !e.1.starts_with("key-file:")),
        "an unresolved key-file edge leaked: {edges:?}"
    );
}
