//! Activity logs of Google Cloud and Azure: Cloud Audit Logs as `gcloud logging read
//! --format=json` prints them, the Azure activity log as `az monitor activity-log list`
//! prints it, and Entra sign-ins as Graph pages them — each written here from the
//! documented record shapes (Google's `LogEntry` and `AuditLog`, Azure Monitor's
//! `EventData`, Graph's `signIn`) with made-up ids. Joined to the identities of the GCP
//! and Azure offline scenarios; used against granted where the roles' contents were
//! read; `suggest-policy` for both; and bad entries named by file while the rest count.

use std::path::Path;

use serde_json::{Value, json};

use super::common::{activity_of, bin, crate_dir, findings_of, gz, identity, said_in};

const NOW: &str = "2026-12-01T00:00:00Z";

const REPORTING: &str = "reporting@example-project.iam.gserviceaccount.com";
const TRIAGE: &str = "triage-agent@tools-project.iam.gserviceaccount.com";
const GHOST: &str = "ghost-agent@tools-project.iam.gserviceaccount.com";

const SUB: &str = "/subscriptions/00000000-0000-4000-8000-0000000000aa";
/// The support agent's service principal and application (the Azure scenario's 1).
const SUPPORT_SP: &str = "50000001-5555-4555-8555-555555555555";
const SUPPORT_APP: &str = "10000001-1111-4111-8111-111111111111";
/// The deploy agent (Owner on the subscription; Owner's definition is not in the export).
const DEPLOY_SP: &str = "50000002-5555-4555-8555-555555555555";
/// A service principal no export lists.
const STRANGER_SP: &str = "5eeeeeee-5555-4555-8555-555555555555";

/// `scan DIR --scope all --activity LOGS` at [`NOW`].
fn scan(dir: &Path, logs: &Path) -> Value {
    let out = bin()
        .arg("scan")
        .arg(dir)
        .args(["--format", "json", "--fail-on", "none", "--scope", "all"])
        .arg("--activity")
        .arg(logs)
        .env("NHI_AUDIT_NOW", NOW)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn actions(a: &Value) -> Vec<(String, u64, u64)> {
    a["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["action"].as_str().unwrap().to_string(),
                x["count"].as_u64().unwrap(),
                x["denied"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

// ---- Google Cloud -------------------------------------------------------------------

/// A Cloud Audit Logs `LogEntry` whose `AuditLog` checked `permissions` (each granted
/// or not) for `who`.
fn entry(who: &str, method: &str, permissions: &[(&str, bool)], time: &str, ua: &str) -> Value {
    let resource = "projects/example-project/datasets/sales/tables/orders";
    json!({
        "insertId": format!("{:x}", time.len() * 7919 + method.len()),
        "logName": "projects/example-project/logs/cloudaudit.googleapis.com%2Fdata_access",
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "authenticationInfo": { "principalEmail": who },
            "authorizationInfo": permissions.iter().map(|(p, granted)| {
                let mut a = json!({
                    "permission": p,
                    "resource": resource,
                    "resourceAttributes": {}
                });
                // proto3 JSON leaves a false `granted` out.
                if *granted {
                    a["granted"] = json!(true);
                }
                a
            }).collect::<Vec<_>>(),
            "methodName": method,
            "requestMetadata": {
                "callerIp": "203.0.113.24",
                "callerSuppliedUserAgent": ua,
                "requestAttributes": {},
                "destinationAttributes": {}
            },
            "resourceName": resource,
            "serviceName": "bigquery.googleapis.com",
            "status": {}
        },
        "receiveTimestamp": time,
        "resource": {
            "labels": { "project_id": "example-project" },
            "type": "bigquery_dataset"
        },
        "severity": "INFO",
        "timestamp": time
    })
}

const GCLOUD: &str = "google-cloud-sdk gcloud/470.0.0 command/gcloud.alpha.bq.tables.describe";

/// What the GCP scenario's accounts did: the reporting account read two of the twelve
/// permissions its one role holds and was refused a write; the triage agent, run by
/// Gemini CLI through impersonation, used two; a person and an account no export lists.
fn gcp_entries() -> Vec<Value> {
    let mut out = vec![
        entry(
            REPORTING,
            "google.cloud.bigquery.v2.TableDataService.List",
            &[("bigquery.tables.getData", true)],
            "2026-11-02T09:00:00.123456789Z",
            GCLOUD,
        ),
        entry(
            REPORTING,
            "google.cloud.bigquery.v2.TableDataService.List",
            &[("bigquery.tables.getData", true)],
            "2026-11-03T09:00:00Z",
            GCLOUD,
        ),
        entry(
            REPORTING,
            "google.cloud.bigquery.v2.TableService.GetTable",
            &[("bigquery.tables.get", true)],
            "2026-11-04T09:00:00Z",
            GCLOUD,
        ),
    ];
    let mut refused = entry(
        REPORTING,
        "google.cloud.bigquery.v2.TableService.UpdateTable",
        &[("bigquery.tables.update", false)],
        "2026-11-05T09:00:00Z",
        GCLOUD,
    );
    refused["protoPayload"]["status"] = json!({ "code": 7, "message": "PERMISSION_DENIED" });
    refused["severity"] = json!("ERROR");
    out.push(refused);
    for (i, p) in ["storage.objects.get", "aiplatform.endpoints.predict"]
        .iter()
        .enumerate()
    {
        let mut e = entry(
            TRIAGE,
            "storage.objects.get",
            &[(p, true)],
            &format!("2026-11-1{i}T10:00:00Z"),
            "google-api-nodejs-client/9.15.0 gemini-cli/0.1.9",
        );
        e["protoPayload"]["authenticationInfo"]["serviceAccountDelegationInfo"] =
            json!([{ "firstPartyPrincipal": { "principalEmail": "dev@example.com" } }]);
        out.push(e);
    }
    out.push(entry(
        "alice@example.com",
        "google.cloud.bigquery.v2.JobService.InsertJob",
        &[("bigquery.jobs.create", true)],
        "2026-11-06T09:00:00Z",
        GCLOUD,
    ));
    out.push(entry(
        GHOST,
        "google.cloud.bigquery.v2.JobService.InsertJob",
        &[("bigquery.jobs.create", true)],
        "2026-11-07T09:00:00Z",
        "google-cloud-sdk gcloud/470.0.0 claude-code/1.0.33",
    ));
    out
}

#[test]
fn cloud_audit_logs_join_service_accounts_and_tell_used_from_granted() {
    let logs = tempfile::tempdir().unwrap();
    std::fs::write(
        logs.path().join("audit.json"),
        serde_json::to_string_pretty(&gcp_entries()).unwrap(),
    )
    .unwrap();
    let report = scan(&crate_dir().join("fixtures/scenario/gcp"), logs.path());

    // The reporting account holds only roles/bigquery.dataViewer, whose twelve
    // permissions roles.json lists: used and unused are known.
    let reporting = format!("gcp:serviceAccount:{REPORTING}");
    assert_eq!(
        activity_of(&report, REPORTING)["identity"],
        reporting.as_str()
    );
    let facts = &identity(&report, &reporting)["facts"]["activity"];
    assert_eq!(facts["used_actions"], 2, "{facts:#}");
    assert_eq!(
        facts["used"],
        json!(["bigquery.tables.get", "bigquery.tables.getData"])
    );
    assert_eq!(facts["granted_actions"], 12, "{facts:#}");
    assert_eq!(facts["unused_actions"], 10, "{facts:#}");
    assert_eq!(facts["denied_calls"], 1, "{facts:#}");
    assert!(facts.get("roles_unread").is_none(), "{facts:#}");
    assert_eq!(
        actions(activity_of(&report, REPORTING)),
        [
            ("bigquery.tables.get".to_string(), 1, 0),
            ("bigquery.tables.getData".to_string(), 2, 0),
            ("bigquery.tables.update".to_string(), 0, 1),
        ]
    );

    // The triage agent holds roles/viewer too, whose permissions no export lists:
    // what it used is said, what it left unused is not guessed.
    let triage = format!("gcp:serviceAccount:{TRIAGE}");
    let facts = &identity(&report, &triage)["facts"]["activity"];
    assert_eq!(facts["used_actions"], 2, "{facts:#}");
    assert!(facts.get("granted_actions").is_none(), "{facts:#}");
    assert!(facts.get("unused_actions").is_none(), "{facts:#}");
    assert!(
        facts["roles_unread"]
            .as_array()
            .unwrap()
            .contains(&json!("roles/viewer")),
        "{facts:#}"
    );
    assert_eq!(facts["agent_clients"], json!(["gemini-cli"]));
    // It acted through impersonation: the delegate is recorded, so the session is
    // attributed to whoever started it.
    let a = activity_of(&report, TRIAGE);
    assert_eq!(a["session_names"], json!(["dev@example.com"]), "{a:#}");
    assert_eq!(facts["sessions"], 1);
    assert_eq!(facts["unattributed_sessions"], 0);

    // A person's email joins no identity and makes none.
    assert!(
        activity_of(&report, "alice@example.com")
            .get("identity")
            .is_none()
    );

    // An account no export lists, used by an agent client: an identity of its own,
    // which NHI-ACT-006 reports as agent activity no known agent holds.
    let ghost = format!("gcp:serviceAccount:{GHOST}");
    let g = identity(&report, &ghost);
    assert_eq!(g["tags"]["seen_only_in_logs"], "true", "{g:#}");
    assert_eq!(g["kind"], "gcp-service-account");
    assert!(
        findings_of(&report, "NHI-ACT-006")
            .iter()
            .any(|f| f["subject"] == ghost.as_str()),
        "{:#?}",
        findings_of(&report, "NHI-ACT-006")
    );
    let window = &report["inventory"]["activity_window"];
    assert_eq!(window["end"], "2026-11-11T10:00:00Z", "{window:#}");
    // The identity made from the logs carries the facts the GCP rules read.
    assert!(
        said_in(&report, "errors")
            .into_iter()
            .chain(said_in(&report, "warnings"))
            .collect::<Vec<_>>()
            .is_empty(),
        "{:#?}",
        said_in(&report, "errors")
            .into_iter()
            .chain(said_in(&report, "warnings"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn cloud_audit_logs_read_the_same_as_an_array_as_lines_and_gzipped() {
    let entries = gcp_entries();
    let dir = tempfile::tempdir().unwrap();
    let lines: String = entries.iter().map(|e| e.to_string() + "\n").collect();
    std::fs::write(
        dir.path().join("array.json"),
        serde_json::to_string_pretty(&entries).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("entries.jsonl"), &lines).unwrap();
    std::fs::write(dir.path().join("entries.jsonl.gz"), gz(lines.as_bytes())).unwrap();
    let nothing = tempfile::tempdir().unwrap();
    let read = |name: &str| {
        let report = scan(nothing.path(), &dir.path().join(name));
        assert!(
            said_in(&report, "errors")
                .into_iter()
                .chain(said_in(&report, "warnings"))
                .collect::<Vec<_>>()
                .is_empty(),
            "{name}: {:#} {:#}",
            report["warnings"],
            report["inventory"]["warnings"]
        );
        report["inventory"]["activity"].clone()
    };
    let array = read("array.json");
    assert_eq!(array.as_array().unwrap().len(), 4, "{array:#}");
    assert_eq!(
        activity_of(&json!({"inventory": {"activity": array}}), REPORTING)["events"],
        4
    );
    assert_eq!(read("entries.jsonl"), array);
    assert_eq!(read("entries.jsonl.gz"), array);
}

/// The suggested custom role holds exactly the permissions IAM granted in the window;
/// the refused one is left out.
#[test]
fn the_suggested_gcp_role_holds_exactly_the_used_permissions() {
    let logs = tempfile::tempdir().unwrap();
    std::fs::write(
        logs.path().join("audit.json"),
        serde_json::to_string(&gcp_entries()).unwrap(),
    )
    .unwrap();
    let out = bin()
        .arg("suggest-policy")
        .arg(crate_dir().join("fixtures/scenario/gcp"))
        .arg("--activity")
        .arg(logs.path())
        .args(["--format", "document", "--principal", "reporting@"])
        .env("NHI_AUDIT_NOW", NOW)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let role: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        role["includedPermissions"],
        json!(["bigquery.tables.get", "bigquery.tables.getData"]),
        "{role:#}"
    );
    assert_eq!(role["stage"], "GA");
    assert!(role["title"].as_str().unwrap().contains("reporting"));
    assert!(role["description"].as_str().is_some());
    let keys: Vec<&String> = role.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["description", "includedPermissions", "stage", "title"],
        "only fields a Role resource has"
    );

    // In JSON, the counts: two used of the twelve granted.
    let out = bin()
        .arg("suggest-policy")
        .arg(crate_dir().join("fixtures/scenario/gcp"))
        .arg("--activity")
        .arg(logs.path())
        .args(["--principal", "reporting@"])
        .env("NHI_AUDIT_NOW", NOW)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["suggestions"][0];
    assert_eq!(s["provider"], "gcp");
    assert_eq!(s["used_actions"], 2);
    assert_eq!(s["granted_actions"], 12);
}

// ---- Azure --------------------------------------------------------------------------

/// An activity log entry as `az monitor activity-log list` prints it (`EventData`).
fn event(
    sp: Option<&str>,
    caller: &str,
    action: &str,
    scope: &str,
    status: &str,
    sub: &str,
    time: &str,
) -> Value {
    let mut claims = json!({
        "aud": "https://management.core.windows.net/",
        "iss": "https://sts.windows.net/00000000-0000-4000-8000-0000000000ee/",
        "http://schemas.microsoft.com/identity/claims/tenantid": "00000000-0000-4000-8000-0000000000ee",
        "idtyp": "app",
        "ver": "1.0"
    });
    if let Some(sp) = sp {
        claims["http://schemas.microsoft.com/identity/claims/objectidentifier"] = json!(sp);
        claims["appid"] = json!(SUPPORT_APP);
    }
    json!({
        "authorization": { "action": action, "scope": scope },
        "caller": caller,
        "category": { "localizedValue": "Administrative", "value": "Administrative" },
        "claims": claims,
        "correlationId": "c0000000-0000-4000-8000-000000000001",
        "description": "",
        "eventDataId": format!("e-{time}-{status}"),
        "eventName": { "localizedValue": "End request", "value": "EndRequest" },
        "eventTimestamp": time,
        "httpRequest": {
            "clientIpAddress": "198.51.100.40",
            "clientRequestId": "r-1",
            "method": "POST"
        },
        "id": format!("{scope}/events/e/ticks/1"),
        "level": "Informational",
        "operationId": "o-1",
        "operationName": { "localizedValue": action, "value": action },
        "resourceGroupName": "agents",
        "resourceId": scope,
        "status": { "localizedValue": status, "value": status },
        "subStatus": { "localizedValue": sub, "value": sub },
        "submissionTimestamp": time,
        "subscriptionId": "00000000-0000-4000-8000-0000000000aa",
        "tenantId": "00000000-0000-4000-8000-0000000000ee"
    })
}

/// A service principal sign-in as Graph's beta `auditLogs/signIns` returns it.
fn sign_in(sp: &str, app: &str, resource: &str, time: &str, error: i64, ua: &str) -> Value {
    json!({
        "id": format!("s-{sp}-{time}"),
        "createdDateTime": time,
        "appDisplayName": "agent",
        "appId": app,
        "ipAddress": "198.51.100.41",
        "clientAppUsed": null,
        "correlationId": "c0000000-0000-4000-8000-000000000002",
        "conditionalAccessStatus": "notApplied",
        "isInteractive": false,
        "resourceDisplayName": resource,
        "resourceId": "90000000-0000-4000-8000-0000000000a1",
        "servicePrincipalId": sp,
        "servicePrincipalName": "agent",
        "signInEventTypes": ["servicePrincipal"],
        "status": { "errorCode": error, "failureReason": if error == 0 { "" } else { "Invalid client secret provided." } },
        "userAgent": ua,
        "userDisplayName": null,
        "userId": "",
        "userPrincipalName": null
    })
}

const STORAGE: &str = "/subscriptions/00000000-0000-4000-8000-0000000000aa/resourceGroups/agents/providers/Microsoft.Storage/storageAccounts/agentdocs";
const LIST_KEYS: &str = "Microsoft.Storage/storageAccounts/listKeys/action";

fn azure_events() -> Vec<Value> {
    let sp = Some(SUPPORT_SP);
    vec![
        // An operation is written as Started, then its outcome: counted once.
        event(
            sp,
            SUPPORT_SP,
            LIST_KEYS,
            STORAGE,
            "Started",
            "",
            "2026-11-02T08:00:00.1234567Z",
        ),
        event(
            sp,
            SUPPORT_SP,
            LIST_KEYS,
            STORAGE,
            "Succeeded",
            "OK",
            "2026-11-02T08:00:01.1234567Z",
        ),
        event(
            sp,
            SUPPORT_SP,
            LIST_KEYS,
            STORAGE,
            "Succeeded",
            "OK",
            "2026-11-03T08:00:01Z",
        ),
        // Refused by RBAC: tried, not used.
        event(
            sp,
            SUPPORT_SP,
            "Microsoft.Authorization/roleAssignments/write",
            &format!(
                "{SUB}/resourceGroups/agents/providers/Microsoft.Authorization/roleAssignments/x"
            ),
            "Failed",
            "Forbidden",
            "2026-11-04T08:00:00Z",
        ),
        // The deploy agent, named by the caller alone.
        event(
            None,
            DEPLOY_SP,
            "Microsoft.Resources/deployments/write",
            &format!("{SUB}/resourceGroups/agents/providers/Microsoft.Resources/deployments/d1"),
            "Succeeded",
            "Created",
            "2026-11-05T08:00:00Z",
        ),
        // A person.
        event(
            None,
            "alice@contoso.example",
            "Microsoft.Resources/deployments/write",
            &format!("{SUB}/resourceGroups/agents/providers/Microsoft.Resources/deployments/d2"),
            "Succeeded",
            "Created",
            "2026-11-06T08:00:00Z",
        ),
    ]
}

fn azure_sign_ins() -> Value {
    json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
        "value": [
            sign_in(SUPPORT_SP, SUPPORT_APP, "Azure Resource Manager", "2026-11-02T07:59:00Z", 0,
                "claude-code/1.0.33 azsdk-python-identity/1.19.0"),
            sign_in(SUPPORT_SP, SUPPORT_APP, "Azure Resource Manager", "2026-11-02T07:58:00Z", 7000215, ""),
            sign_in(STRANGER_SP, "1eeeeeee-1111-4111-8111-111111111111", "Microsoft Graph",
                "2026-11-07T07:00:00Z", 0, "mcp-server-azure/0.4.0"),
        ]
    })
}

/// The Azure scenario's exports, with a storage role and a VM role for the support
/// agent whose definitions `az role definition list` gives.
fn azure_exports() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = crate_dir().join("fixtures/scenario/azure");
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let definition = |guid: &str, name: &str, actions: &[&str], not: &[&str]| {
        json!({
            "assignableScopes": [SUB],
            "description": name,
            "id": format!("{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
            "name": guid,
            "permissions": [{
                "actions": actions, "notActions": not, "dataActions": [], "notDataActions": []
            }],
            "roleName": name,
            "roleType": "CustomRole",
            "type": "Microsoft.Authorization/roleDefinitions"
        })
    };
    let assignment = |n: &str, guid: &str, name: &str, scope: &str| {
        json!({
            "condition": null,
            "conditionVersion": null,
            "id": format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{n}"),
            "name": n,
            "principalId": SUPPORT_SP,
            "principalType": "ServicePrincipal",
            "roleDefinitionId": format!("{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"),
            "roleDefinitionName": name,
            "scope": scope,
            "type": "Microsoft.Authorization/roleAssignments"
        })
    };
    let storage = "7777aaaa-0000-4000-8000-0000000000a1";
    let vms = "7777aaaa-0000-4000-8000-0000000000a2";
    std::fs::write(
        dir.path().join("more-role-definitions.json"),
        json!([
            definition(
                storage,
                "Agent Storage Operator",
                &[
                    "Microsoft.Storage/storageAccounts/read",
                    "Microsoft.Storage/storageAccounts/listKeys/action",
                    "Microsoft.Storage/storageAccounts/write"
                ],
                &[]
            ),
            definition(
                vms,
                "Agent VM Operator",
                &["Microsoft.Compute/virtualMachines/*"],
                &["Microsoft.Compute/virtualMachines/delete"]
            ),
        ])
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("more-role-assignments.json"),
        json!([
            assignment(
                "ra-s",
                storage,
                "Agent Storage Operator",
                &format!("{SUB}/resourceGroups/agents")
            ),
            assignment(
                "ra-v",
                vms,
                "Agent VM Operator",
                &format!("{SUB}/resourceGroups/vms")
            ),
        ])
        .to_string(),
    )
    .unwrap();
    dir
}

fn azure_logs() -> tempfile::TempDir {
    let logs = tempfile::tempdir().unwrap();
    std::fs::write(
        logs.path().join("activity-log.json"),
        serde_json::to_string_pretty(&azure_events()).unwrap(),
    )
    .unwrap();
    std::fs::write(
        logs.path().join("sign-ins.json"),
        azure_sign_ins().to_string(),
    )
    .unwrap();
    logs
}

#[test]
fn the_azure_activity_log_and_sign_ins_join_service_principals_and_their_roles() {
    let exports = azure_exports();
    let logs = azure_logs();
    let report = scan(exports.path(), logs.path());

    // The activity log's object id and the sign-ins' service principal id are one
    // principal, joined to the application's identity.
    let support = format!("azure:app:{SUPPORT_APP}");
    let a = activity_of(&report, SUPPORT_SP);
    assert_eq!(a["identity"], support.as_str(), "{a:#}");
    assert_eq!(
        actions(a),
        [
            (
                "Microsoft.Authorization/roleAssignments/write".to_string(),
                0,
                1
            ),
            (LIST_KEYS.to_string(), 2, 0),
            ("signin:Azure Resource Manager".to_string(), 1, 1),
        ]
    );
    let facts = &identity(&report, &support)["facts"]["activity"];
    assert_eq!(facts["agent_clients"], json!(["claude-code"]), "{facts:#}");
    assert_eq!(facts["denied_calls"], 2, "{facts:#}");
    // The storage role was used; the VM role, whose definition allows writes, was not.
    assert_eq!(facts["unused_roles_count"], 1, "{facts:#}");
    assert_eq!(
        facts["unused_roles"],
        json!([format!("Agent VM Operator on {SUB}/resourceGroups/vms")])
    );
    assert_eq!(facts["roles_unread"], json!([]));

    // Owner's definition was not exported: nothing is called unused.
    let deploy = identity(&report, "azure:app:10000002-1111-4111-8111-111111111111");
    let facts = &deploy["facts"]["activity"];
    assert_eq!(facts["roles_unread"], json!(["Owner"]), "{facts:#}");
    assert_eq!(facts["unused_roles_count"], 0);

    // A person joins nothing.
    assert!(
        activity_of(&report, "alice@contoso.example")
            .get("identity")
            .is_none()
    );

    // A service principal no export lists, signed in by an MCP server.
    let stranger = format!("azure:sp:{STRANGER_SP}");
    let s = identity(&report, &stranger);
    assert_eq!(s["tags"]["seen_only_in_logs"], "true", "{s:#}");
    assert_eq!(s["kind"], "azure-service-principal");
    assert_eq!(
        s["facts"]["activity"]["agent_clients"],
        json!(["mcp-server"])
    );

    // The identity made from the logs carries the facts the Azure rules read.
    assert!(
        !said_in(&report, "errors")
            .into_iter()
            .chain(said_in(&report, "warnings"))
            .collect::<Vec<_>>()
            .iter()
            .any(|m| m.contains("condition failed")),
        "{:#?}",
        said_in(&report, "errors")
            .into_iter()
            .chain(said_in(&report, "warnings"))
            .collect::<Vec<_>>()
    );
    // Started entries are counted as skipped, not as calls.
    assert!(
        said_in(&report, "errors")
            .into_iter()
            .chain(said_in(&report, "warnings"))
            .collect::<Vec<_>>()
            .iter()
            .any(|m| m.contains("activity-log.json") && m.contains("Started")),
        "{:#?}",
        said_in(&report, "errors")
            .into_iter()
            .chain(said_in(&report, "warnings"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn the_azure_activity_log_reads_the_same_as_lines_gzipped() {
    let events = azure_events();
    let dir = tempfile::tempdir().unwrap();
    let lines: String = events.iter().map(|e| e.to_string() + "\n").collect();
    std::fs::write(
        dir.path().join("array.json"),
        serde_json::to_string(&events).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("lines.jsonl.gz"), gz(lines.as_bytes())).unwrap();
    let nothing = tempfile::tempdir().unwrap();
    let array = scan(nothing.path(), &dir.path().join("array.json"));
    let lines = scan(nothing.path(), &dir.path().join("lines.jsonl.gz"));
    assert_eq!(array["inventory"]["activity"].as_array().unwrap().len(), 3);
    assert_eq!(
        array["inventory"]["activity"],
        lines["inventory"]["activity"]
    );
}

#[test]
fn the_suggested_azure_role_holds_the_used_operations_at_their_resource_groups() {
    let exports = azure_exports();
    let logs = azure_logs();
    let out = bin()
        .arg("suggest-policy")
        .arg(exports.path())
        .arg("--activity")
        .arg(logs.path())
        .args(["--format", "document", "--principal", SUPPORT_SP])
        .env("NHI_AUDIT_NOW", NOW)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let role: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The refused role assignment write and the sign-ins are not role actions it needs.
    assert_eq!(role["Actions"], json!([LIST_KEYS]), "{role:#}");
    assert_eq!(role["NotActions"], json!([]));
    assert_eq!(role["IsCustom"], true);
    assert_eq!(
        role["AssignableScopes"],
        json!([format!("{SUB}/resourceGroups/agents")])
    );
    assert!(role["Name"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(role["Description"].as_str().is_some());
}

// ---- Bad input ----------------------------------------------------------------------

#[test]
fn bad_cloud_log_entries_are_named_by_file_and_the_rest_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let good = entry(
        REPORTING,
        "google.cloud.bigquery.v2.TableService.GetTable",
        &[("bigquery.tables.get", true)],
        "2026-11-04T09:00:00Z",
        GCLOUD,
    );
    let mut no_payload = good.clone();
    no_payload.as_object_mut().unwrap().remove("protoPayload");
    let mut wrong_time = good.clone();
    wrong_time["timestamp"] = json!(1_730_000_000);
    let mut wrong_who = good.clone();
    wrong_who["protoPayload"]["authenticationInfo"]["principalEmail"] = json!(["x"]);
    std::fs::write(
        dir.path().join("audit.json"),
        json!([good, no_payload, wrong_time, wrong_who, good]).to_string(),
    )
    .unwrap();
    let mut no_date = sign_in(
        SUPPORT_SP,
        SUPPORT_APP,
        "Azure Resource Manager",
        "x",
        0,
        "",
    );
    no_date.as_object_mut().unwrap().remove("createdDateTime");
    let mut wrong_types = event(
        Some(SUPPORT_SP),
        SUPPORT_SP,
        LIST_KEYS,
        STORAGE,
        "Succeeded",
        "OK",
        "x",
    );
    wrong_types["eventTimestamp"] = json!({"value": 3});
    std::fs::write(
        dir.path().join("sign-ins.json"),
        json!({ "value": [
            sign_in(SUPPORT_SP, SUPPORT_APP, "Azure Resource Manager", "2026-11-02T07:59:00Z", 0, ""),
            no_date,
        ]})
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("activity-log.json"),
        json!([wrong_types]).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("other.json"),
        r#"[{"kind": "storage#object"}]"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("cut.json"),
        r#"[{"protoPayload": {"@type": "#,
    )
    .unwrap();
    let nothing = tempfile::tempdir().unwrap();
    let report = scan(nothing.path(), dir.path());
    let said = said_in(&report, "errors")
        .into_iter()
        .chain(said_in(&report, "warnings"))
        .collect::<Vec<_>>();
    let has = |file: &str, text: &str| said.iter().any(|m| m.contains(file) && m.contains(text));
    assert!(has("audit.json", "without protoPayload"), "{said:#?}");
    assert!(has("audit.json", "no timestamp"), "{said:#?}");
    assert!(has("audit.json", "principalEmail"), "{said:#?}");
    assert!(has("sign-ins.json", "without createdDateTime"), "{said:#?}");
    assert!(has("activity-log.json", "no eventTimestamp"), "{said:#?}");
    assert!(has("other.json", "no known log format"), "{said:#?}");
    assert!(has("cut.json:1:", "not an activity log"), "{said:#?}");
    // The two good audit entries and the good sign-in count.
    assert_eq!(activity_of(&report, REPORTING)["events"], 2);
    assert_eq!(activity_of(&report, SUPPORT_SP)["events"], 1);
    // No value from the entries is echoed in a message.
    assert!(!said.iter().any(|m| m.contains("1730000000")), "{said:#?}");
}
