//! The Azure source offline: `az` listings and Microsoft Graph pages in a scanned folder
//! (`fixtures/scenario/azure`, written from Microsoft's documented shapes with made-up
//! ids) recognised by content and read into applications, service principals, managed
//! identities, secrets, grants and federated credentials; tagged and named identities
//! classified as agents; an `azure/login` step joined to its application; the Azure
//! rules firing and not firing; and a malformed export reported with its file, line and
//! field, never its value, while the rest of the scan goes on.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{crate_dir, findings_of, identity, identity_ids};

const NOW: &str = "2026-12-01T00:00:00Z";

fn app(n: u32) -> String {
    format!("azure:app:1{n:07}-1111-4111-8111-111111111111")
}

fn sp(n: u32) -> String {
    format!("azure:sp:5{n:07}-5555-4555-8555-555555555555")
}

const GRAPH: &str = "azure:sp:90000000-0000-4000-8000-000000000003";

fn subjects(report: &Value, rule: &str) -> BTreeSet<String> {
    findings_of(report, rule)
        .iter()
        .map(|f| f["subject"].as_str().unwrap().to_string())
        .collect()
}

/// The scenario's exports (not its workflow) in a folder of their own.
fn scenario_exports() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let src = crate_dir().join("fixtures/scenario/azure");
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, tmp.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    tmp
}

#[test]
fn az_and_graph_exports_give_identities_secrets_grants_agents_and_findings() {
    let report = crate::common::scan_all_at(&crate_dir().join("fixtures/scenario/azure"), NOW, 0);
    assert_eq!(report["errors"], serde_json::json!([]));
    assert_eq!(report["partial"], false);

    let ids = identity_ids(&report, "azure");
    let want: BTreeSet<String> =
        [app(1), app(2), app(3), app(4), app(6), sp(5), GRAPH.into()].into();
    assert_eq!(ids, want.iter().map(String::as_str).collect());

    let support = identity(&report, &app(1));
    assert_eq!(support["kind"], "azure-application");
    assert_eq!(support["access_level"], "admin");
    let facts = &support["facts"]["azure"];
    assert_eq!(
        facts["service_principal_id"],
        "50000001-5555-4555-8555-555555555555"
    );
    assert_eq!(facts["active_client_secrets"], 2);
    assert_eq!(facts["credentials"][0]["never_expires"], true);
    assert_eq!(
        facts["escalating_permissions"],
        serde_json::json!(["RoleManagement.ReadWrite.Directory"])
    );
    let mi = identity(&report, &sp(5));
    assert_eq!(mi["kind"], "azure-managed-identity");
    assert_eq!(mi["access_level"], "read");
    assert!(
        mi["facts"]["azure"]["managed_identity_resource"]
            .as_str()
            .unwrap()
            .ends_with("/userAssignedIdentities/openai-runner")
    );
    assert_eq!(identity(&report, GRAPH)["kind"], "azure-service-principal");
    let triage = &identity(&report, &app(6))["facts"]["azure"];
    assert_eq!(triage["directory_roles"][0]["role"], "Directory Readers");
    assert_eq!(triage["directory_roles"][0]["privileged"], false);
    assert_eq!(triage["rbac_roles"][0]["custom"], true);
    assert_eq!(triage["rbac_roles"][0]["access_level"], "read");

    // Credentials: one per secret and certificate, by key id, never a value.
    let creds: BTreeSet<(&str, &str)> = report["inventory"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["provider"] == "azure")
        .map(|c| (c["kind"].as_str().unwrap(), c["identity"].as_str().unwrap()))
        .collect();
    assert!(creds.contains(&("azure-certificate", app(2).as_str())));
    assert!(creds.contains(&("azure-client-secret", app(4).as_str())));
    assert!(
        report["inventory"]["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["provider"] == "azure")
            .all(|c| c["preview"].is_null() && c["fingerprint"].is_null())
    );

    // Agents: tagged, named for an Azure AI service, named; the workflow holds the
    // application its azure/login step names.
    let agents: BTreeSet<(&str, &str)> = report["inventory"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["source"] == "azure")
        .map(|a| (a["id"].as_str().unwrap(), a["confidence"].as_str().unwrap()))
        .collect();
    let agent = |id: &str| format!("agent:{id}");
    assert_eq!(
        agents,
        [
            (agent(&app(1)), "high"),
            (agent(&app(2)), "high"),
            (agent(&app(6)), "low"),
            (agent(&sp(5)), "medium"),
        ]
        .iter()
        .map(|(a, c)| (a.as_str(), *c))
        .collect()
    );
    let login = report["inventory"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["kind"] == "holds"
                && e["to"] == app(2).as_str()
                && e["from"].as_str().unwrap().starts_with("repo:")
        })
        .expect("the workflow holds the deploy agent's application");
    assert!(
        login["evidence"]
            .as_str()
            .unwrap()
            .contains("azure/login client-id")
    );

    // An agent's service principal that owns another application can add a secret to it.
    let owns = report["inventory"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "assumes" && e["to"] == app(4).as_str())
        .expect("the owner assumes the application");
    assert_eq!(owns["from"], app(1).as_str());
    let owners = &identity(&report, &app(4))["facts"]["azure"]["owners"];
    assert_eq!(owners[1]["type"], "user");

    // Each rule fires where it should, and only there.
    assert_eq!(subjects(&report, "NHI-AZ-001"), [app(1)].into());
    assert_eq!(subjects(&report, "NHI-AZ-002"), [app(1)].into());
    assert_eq!(subjects(&report, "NHI-AZ-003"), [app(1)].into());
    assert_eq!(subjects(&report, "NHI-AZ-004"), [app(2)].into());
    assert_eq!(subjects(&report, "NHI-AZ-005"), [app(3)].into());
    let federation = &findings_of(&report, "NHI-AZ-005")[0]["message"];
    assert!(
        federation.as_str().unwrap().contains("pull_request"),
        "{federation}"
    );
}

#[test]
fn a_malformed_export_is_reported_with_file_line_and_field_and_the_rest_is_read() {
    let tmp = scenario_exports();
    // A secret-looking value where a date should be: named by field, never shown.
    let value = format!("{}{}", "Q8x~", "u5Yv2Wz9pLmN3bKdR7tF1gHjS4cXeA6oViUyT0");
    let bad = format!(
        "[\n  {{\"api\": {{}}, \"appId\": \"19999999-1111-4111-8111-111111111111\", \"id\": \"x\",\n   \"passwordCredentials\": [{{\"keyId\": \"k\", \"endDateTime\": [\"{value}\"]}}]}}\n]\n"
    );
    std::fs::write(tmp.path().join("more-apps.json"), bad).unwrap();
    let report = crate::common::scan_all_at(tmp.path(), NOW, 3);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["source"], "azure");
    assert!(
        errors[0]["location"]
            .as_str()
            .unwrap()
            .contains("more-apps.json:3:"),
        "{errors:?}"
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("`[0].passwordCredentials[0].endDateTime`"),
        "{errors:?}"
    );
    let text = serde_json::to_string(&report).unwrap();
    assert!(!text.contains(&value) && !text.contains("u5Yv2Wz9"));
    // The other exports are still read.
    assert!(!findings_of(&report, "NHI-AZ-001").is_empty());
    assert_eq!(report["partial"], true);
}

#[test]
fn only_a_literal_client_id_of_an_azure_login_step_joins_the_job_to_its_application() {
    let tmp = scenario_exports();
    let workflows = tmp.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    // The deploy agent's client id, but in a GitHub App token step; and an azure/login
    // step whose client id comes from a secret.
    let deploy = &app(2)["azure:app:".len()..];
    std::fs::write(
        workflows.join("agent.yml"),
        format!(
            "on: issue_comment\npermissions:\n  contents: read\n  id-token: write\njobs:\n  agent:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/create-github-app-token@v2\n        with:\n          client-id: {deploy}\n          private-key: ${{{{ secrets.APP_KEY }}}}\n      - uses: azure/login@v2\n        with:\n          client-id: ${{{{ secrets.AZURE_CLIENT_ID }}}}\n          tenant-id: aaaaaaaa-0000-4000-8000-00000000000a\n      - uses: anthropics/claude-code-action@v1\n        with:\n          prompt: Triage the issue.\n"
        ),
    )
    .unwrap();
    let report = crate::common::scan_all_at(tmp.path(), NOW, 0);
    let job = report["inventory"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "github-workflow")
        .expect("the workflow agent");
    assert_eq!(job["facts"]["azure_client_ids"], serde_json::json!([]));
    assert!(
        !report["inventory"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["from"] == job["id"] && e["to"].as_str().unwrap().starts_with("azure:")),
        "no edge from the job to an Azure identity"
    );
}
