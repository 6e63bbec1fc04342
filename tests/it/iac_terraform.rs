//! Terraform: identities defined in code, judged as the same identities in an account
//! export, located at the resource, and gated in CI before they are applied.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{bin, crate_dir, scan_all_at};

const NOW: &str = "2026-12-01T00:00:00Z";

fn fixture(name: &str) -> std::path::PathBuf {
    crate_dir().join("fixtures/iac/terraform").join(name)
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
}

use crate::common::findings_of as findings;

fn identity<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["inventory"]["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no identity {id}"))
}

const ROLE: &str = "aws:arn:aws:iam::111122223333:role/support-agent-runtime";

/// The same role as an `aws iam get-account-authorization-details` export holds it.
fn gaad_of_agent_role() -> Value {
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "bedrock-agentcore.amazonaws.com"}}]});
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::support-tickets", "arn:aws:s3:::support-tickets/*"]}]});
    let policy_arn = "arn:aws:iam::111122223333:policy/support-agent-read-tickets";
    json!({
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [{
            "Path": "/", "RoleName": "support-agent-runtime", "RoleId": "",
            "Arn": "arn:aws:iam::111122223333:role/support-agent-runtime",
            "AssumeRolePolicyDocument": trust,
            "RolePolicyList": [], "InstanceProfileList": [],
            "AttachedManagedPolicies": [{"PolicyName": "support-agent-read-tickets", "PolicyArn": policy_arn}],
            "Tags": [{"Key": "nhi:agent", "Value": "support-agent"}, {"Key": "owner", "Value": "support-platform"}]
        }],
        "Policies": [{
            "PolicyName": "support-agent-read-tickets", "PolicyId": "", "Arn": policy_arn, "Path": "/",
            "DefaultVersionId": "v1", "AttachmentCount": 1,
            "PolicyVersionList": [{"Document": policy, "VersionId": "v1", "IsDefaultVersion": true}]
        }]
    })
}

/// What an identity is, without where it is written (the file or the ARN).
fn judged(report: &Value, id: &str) -> (Value, Vec<Value>) {
    let mut i = identity(report, id).clone();
    i.as_object_mut().unwrap().remove("locations");
    let mut grants: Vec<Value> = report["inventory"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["identity"] == id)
        .map(|g| {
            let mut g = g.clone();
            g.as_object_mut().unwrap().remove("location");
            g
        })
        .collect();
    grants.sort_by_key(|g| g.to_string());
    (i, grants)
}

#[test]
fn a_role_in_terraform_is_judged_as_the_same_role_in_an_account_export() {
    let tf = scan_all_at(&fixture("agent-role"), NOW, 0);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("gaad.json"),
        gaad_of_agent_role().to_string(),
    )
    .unwrap();
    let export = scan_all_at(tmp.path(), NOW, 0);
    assert_eq!(judged(&tf, ROLE), judged(&export, ROLE));
    let rules = |r: &Value| -> Vec<String> {
        let mut v: Vec<String> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule_id"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(rules(&tf), rules(&export));
    assert_eq!(rules(&tf), ["NHI-AWS-009"]);
    // Located at the resource, not at an ARN.
    let role = identity(&tf, ROLE);
    assert_eq!(
        role["locations"][0],
        json!({"path": "fixtures/iac/terraform/agent-role/main.tf", "line": 24, "column": 1})
    );
    assert_eq!(tf["errors"], json!([]));
    assert_eq!(tf["warnings"], json!([]));
}

fn gate(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let out = bin()
        .arg("scan")
        .arg(dir)
        .args(["--format", "json", "--fail-on", "high"])
        .args(extra)
        .env("NHI_AUDIT_NOW", NOW)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap();
    (out.status.code().unwrap(), report)
}

#[test]
fn a_pull_request_that_makes_an_agent_admin_fails_the_gate_at_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("infra");
    std::fs::create_dir(&repo).unwrap();
    copy(&fixture("agent-role/main.tf"), &repo.join("main.tf"));
    let baseline = tmp.path().join("baseline.json");
    // Before the pull request: the medium finding is known and accepted.
    let (code, _) = gate(&repo, &["--write-baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, 0);
    let (code, before) = gate(&repo, &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(findings(&before, "NHI-AWS-005").is_empty());

    copy(&fixture("pull-request/admin.tf"), &repo.join("admin.tf"));
    let (code, after) = gate(&repo, &["--baseline", baseline.to_str().unwrap()]);
    assert_eq!(code, 1, "the new admin grant fails the gate");
    let admin = findings(&after, "NHI-AWS-005");
    assert_eq!(admin.len(), 1);
    let lines: Vec<&Value> = admin[0]["locations"].as_array().unwrap().iter().collect();
    assert!(
        lines.contains(&&json!({"path": "admin.tf", "line": 2, "column": 1})),
        "the finding points at the attachment: {lines:?}"
    );
    let grant = after["inventory"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["source"] == "arn:aws:iam::aws:policy/AdministratorAccess")
        .unwrap();
    assert_eq!(grant["location"]["path"], "admin.tf");
    // The accepted finding stays accepted.
    assert!(
        findings(&after, "NHI-AWS-009")
            .iter()
            .all(|f| f["suppressed"].is_object() || f["suppressed"] == true),
        "{:?}",
        findings(&after, "NHI-AWS-009")
    );

    // SARIF for code scanning names the line of the pull request.
    let out = bin()
        .arg("scan")
        .arg(&repo)
        .args(["--format", "sarif", "--fail-on", "none"])
        .output()
        .unwrap();
    let sarif = String::from_utf8(out.stdout).unwrap();
    assert!(sarif.contains("admin.tf"), "{sarif}");

    // `diff` of the scans before and after shows the change as write-creep.
    let snapshot = |name: &str| {
        let path = tmp.path().join(name);
        bin()
            .arg("scan")
            .arg(&repo)
            .args(["--format", "json", "--fail-on", "none", "-o"])
            .arg(&path)
            .assert()
            .success();
        path
    };
    let after_json = snapshot("after.json");
    std::fs::rename(repo.join("admin.tf"), tmp.path().join("admin.tf")).unwrap();
    let before_json = snapshot("before.json");
    std::fs::rename(tmp.path().join("admin.tf"), repo.join("admin.tf")).unwrap();
    let out = bin()
        .arg("diff")
        .arg(&before_json)
        .arg(&after_json)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("agent IAM role support-agent-runtime: direct access level (read → admin)"),
        "{shown}"
    );

    // The link cut: the attachment removed, nothing critical.
    std::fs::remove_file(repo.join("admin.tf")).unwrap();
    let (code, _) = gate(&repo, &[]);
    assert_eq!(code, 0);
}

#[test]
fn a_plan_is_judged_as_its_configuration_and_a_key_it_creates_has_no_id_yet() {
    let report = scan_all_at(&fixture("plan"), NOW, 0);
    let admin = findings(&report, "NHI-AWS-005");
    assert_eq!(admin.len(), 1);
    assert_eq!(
        admin[0]["locations"][0]["path"],
        "fixtures/iac/terraform/plan/plan.json"
    );
    let key = report["inventory"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "aws-access-key")
        .unwrap();
    assert_eq!(key["identity"], "aws:arn:aws:iam:::user/ci-agent");
    assert!(key.get("key_id").is_none(), "known only after apply: {key}");
    assert_eq!(key["name"], "${aws_iam_access_key.ci_agent.id}");
    assert_eq!(findings(&report, "NHI-AWS-018").len(), 1);
    assert_eq!(report["errors"], json!([]));
}

#[test]
fn a_bedrock_agent_acts_as_its_role_and_unknowns_stay_as_written() {
    let report = scan_all_at(&fixture("bedrock-agent"), NOW, 0);
    let agents = report["inventory"]["agents"].as_array().unwrap();
    assert_eq!(
        agents.len(),
        1,
        "one agent, not one per view of the role: {agents:?}"
    );
    assert_eq!(agents[0]["name"], "my-agent-name");
    let role_id =
        "aws:arn:aws:iam:::role/AmazonBedrockExecutionRoleForAgents_${aws_iam_role.example.name}";
    let role = identity(&report, role_id);
    assert_eq!(role["agents"][0], agents[0]["id"]);
    let grant = report["inventory"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["identity"] == role_id)
        .unwrap();
    assert_eq!(grant["action"], "bedrock:InvokeModel");
    // The region and partition come from data sources: written, not guessed.
    assert!(
        grant["resource"]
            .as_str()
            .unwrap()
            .contains("${data.aws_region.current.name}")
    );
    assert_eq!(grant["location"]["line"], 45);
    assert_eq!(report["errors"], json!([]));
}

#[test]
fn bad_terraform_is_an_error_at_its_line_and_the_rest_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    let bad = tmp.path().join("bad");
    std::fs::create_dir_all(&good).unwrap();
    std::fs::create_dir_all(&bad).unwrap();
    copy(&fixture("agent-role/main.tf"), &good.join("main.tf"));
    std::fs::write(
        bad.join("broken.tf"),
        "resource \"aws_iam_role\" \"x\" {\n  name = \n}\n",
    )
    .unwrap();
    std::fs::write(
        bad.join("deep.tf"),
        format!(
            "locals {{\n  x = {}{}\n}}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
    )
    .unwrap();
    std::fs::write(bad.join("binary.tf"), [0u8, 159, 146, 150, 0, 1]).unwrap();
    std::fs::write(
        bad.join("plan.json"),
        "{\"format_version\": \"1.2\", \"resource_changes\": [",
    )
    .unwrap();
    let upper = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    // Fake keys of the right shape, made here so that no literal is in the source.
    let mut rng = crate::common::Rng(0x7e11_a5c0);
    let key_id = format!("AKIA{}", rng.take(upper, 16));
    let secret = rng.take(b64, 40);
    std::fs::write(
        bad.join("provider.tf"),
        format!(
            "provider \"aws\" {{\n  access_key = \"{key_id}\"\n  secret_key = \"{secret}\"\n}}\n"
        ),
    )
    .unwrap();
    for format in ["json", "sarif", "table"] {
        let out = bin()
            .arg("scan")
            .arg(tmp.path())
            .args(["--format", format, "--fail-on", "none", "--scope", "all"])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stdout.contains(&secret) && !stderr.contains(&secret),
            "the secret leaked ({format})"
        );
        if format != "json" {
            continue;
        }
        let report: Value = serde_json::from_str(&stdout).unwrap();
        let errors: Vec<String> = report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["location"].as_str().unwrap(),
                    e["message"].as_str().unwrap()
                )
            })
            .collect();
        let has = |prefix: &str| errors.iter().any(|e| e.starts_with(prefix));
        assert!(has("bad/broken.tf:2:"), "{errors:?}");
        assert!(has("bad/deep.tf:2:"), "{errors:?}");
        assert!(has("bad/plan.json:1:"), "{errors:?}");
        assert!(has("bad/binary.tf"), "{errors:?}");
        // The good module is read in full.
        identity(&report, ROLE);
        // The provider's literal key is a hardcoded secret, at its line.
        let secrets: Vec<&Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["category"] == "hardcoded-secret")
            .collect();
        assert!(
            secrets
                .iter()
                .any(|f| f["locations"][0]["path"] == "bad/provider.tf"),
            "{secrets:?}"
        );
    }
}

#[test]
fn a_google_agent_account_in_terraform_is_judged_as_in_a_project_export() {
    let report = scan_all_at(&fixture("gcp-agent"), NOW, 0);
    let id = "gcp:serviceAccount:support-agent@example-project.iam.gserviceaccount.com";
    let account = identity(&report, id);
    assert_eq!(account["locations"][0]["line"], 6);
    let mut rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    rules.sort();
    assert_eq!(rules, ["NHI-GCP-001", "NHI-GCP-002", "NHI-GCP-003"]);
    let key = report["inventory"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "gcp-service-account-key")
        .unwrap();
    assert_eq!(key["identity"], id);
    assert_eq!(key["locations"][0]["line"], 12, "{key}");
    assert!(key.get("key_id").is_none(), "{key}");
    let editor = report["inventory"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["action"] == "roles/editor")
        .unwrap();
    assert_eq!(editor["location"]["line"], 17);
}

/// A role written in Terraform for EKS (IRSA): trusted by the cluster's OIDC provider for
/// one service account, holding `policy`.
fn irsa_role(subject_condition: bool, admin: bool) -> String {
    let oidc = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
    let sub = if subject_condition {
        format!(
            "    condition {{\n      test     = \"StringEquals\"\n      variable = \"{oidc}:sub\"\n      values   = [\"system:serviceaccount:agents:reviewer\"]\n    }}\n"
        )
    } else {
        String::new()
    };
    let attachment = if admin {
        "resource \"aws_iam_role_policy_attachment\" \"admin\" {\n  role       = aws_iam_role.reviewer.name\n  policy_arn = \"arn:aws:iam::aws:policy/AdministratorAccess\"\n}\n"
    } else {
        ""
    };
    format!(
        r#"provider "aws" {{
  allowed_account_ids = ["111122223333"]
}}

data "aws_iam_policy_document" "irsa" {{
  statement {{
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {{
      type        = "Federated"
      identifiers = ["arn:aws:iam::111122223333:oidc-provider/{oidc}"]
    }}
{sub}    condition {{
      test     = "StringEquals"
      variable = "{oidc}:aud"
      values   = ["sts.amazonaws.com"]
    }}
  }}
}}

resource "aws_iam_role" "reviewer" {{
  name               = "pr-reviewer"
  assume_role_policy = data.aws_iam_policy_document.irsa.json
  tags               = {{ owner = "platform" }}
}}

{attachment}"#
    )
}

/// The EKS documentation's annotated ServiceAccount, and a coding agent running as it.
fn reviewer_deployment(irsa: bool) -> String {
    let annotation = if irsa {
        "  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/pr-reviewer\n"
    } else {
        ""
    };
    format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: reviewer\n  namespace: agents\n{annotation}automountServiceAccountToken: false\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: reviewer\n  namespace: agents\nspec:\n  selector:\n    matchLabels: {{app: reviewer}}\n  template:\n    metadata:\n      labels: {{app: reviewer}}\n    spec:\n      serviceAccountName: reviewer\n      containers:\n      - name: agent\n        image: ghcr.io/example/claude-code:1.0\n"
    )
}

fn estate(subject_condition: bool, admin: bool, irsa: bool) -> Value {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("infra")).unwrap();
    std::fs::create_dir_all(tmp.path().join("deploy")).unwrap();
    std::fs::write(
        tmp.path().join("infra/main.tf"),
        irsa_role(subject_condition, admin),
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("deploy/agent.yaml"),
        reviewer_deployment(irsa),
    )
    .unwrap();
    scan_all_at(tmp.path(), NOW, 0)
}

#[test]
fn a_kubernetes_agent_reaches_a_terraform_role_through_irsa_and_each_cut_breaks_it() {
    let chains = |r: &Value| -> Vec<String> {
        findings(r, "NHI-REPO-015")
            .iter()
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect()
    };
    let full = estate(true, true, true);
    assert_eq!(
        chains(&full),
        [
            "Claude Code (Deployment agents/reviewer) gains admin on every service in AWS account 111122223333 through pr-reviewer (2 hop(s))"
        ]
    );
    assert!(
        findings(&full, "NHI-K8S-005").is_empty(),
        "the trust names the account"
    );
    let edge = full["inventory"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "assumes" && e["from"] == "k8s:sa:agents/reviewer")
        .unwrap();
    assert_eq!(edge["to"], "aws:arn:aws:iam::111122223333:role/pr-reviewer");

    // No annotation: the pod's account is not the role.
    assert!(chains(&estate(true, true, false)).is_empty());
    // No admin attachment: nothing to gain.
    assert!(chains(&estate(true, false, true)).is_empty());
    // A trust without the subject condition: any account of the cluster can be the role.
    let loose = estate(false, true, true);
    assert_eq!(findings(&loose, "NHI-K8S-005").len(), 1);
}

#[test]
fn an_entra_agent_in_terraform_is_judged_as_in_a_tenant_export() {
    let report = scan_all_at(&fixture("azure-agent"), NOW, 0);
    let apps: Vec<&Value> = report["inventory"]["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "azure-application")
        .collect();
    assert_eq!(
        apps.len(),
        1,
        "the application and its service principal are one: {apps:?}"
    );
    let app = apps[0];
    assert_eq!(app["name"], "support-agent");
    assert_eq!(app["locations"][0]["line"], 10);
    assert!(
        !app["agents"].as_array().unwrap().is_empty(),
        "tagged nhi:agent: {app}"
    );
    let owner = report["inventory"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["identity"] == app["id"] && g["action"] == "Owner")
        .unwrap_or_else(|| panic!("{}", report["inventory"]["grants"]));
    assert_eq!(owner["access_level"], "admin");
    assert_eq!(owner["location"]["line"], 33);
    let secret = report["inventory"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "azure-client-secret")
        .unwrap();
    assert!(
        secret.get("key_id").is_none(),
        "known only after apply: {secret}"
    );
    assert_eq!(
        secret["locations"][0]["path"],
        "fixtures/iac/terraform/azure-agent/main.tf"
    );
    assert_eq!(report["errors"], json!([]));
}
