//! The AWS source offline: real exports from `../shared/corpus/aws`, escalation found
//! from policy semantics (BishopFox iam-vulnerable), bad exports reported while the rest
//! of the analysis goes on, and a key id in an agent's config joined to its IAM user.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common::{bin, corpus, crate_dir};

fn aws_scan(gaad: &std::path::Path, extra: &[&str]) -> Value {
    aws_scan_expect(gaad, extra, 0)
}

fn aws_scan_expect(gaad: &std::path::Path, extra: &[&str], code: i32) -> Value {
    let out = bin()
        .arg("scan")
        .arg("--aws-gaad")
        .arg(gaad)
        .args(["--format", "json", "--fail-on", "none", "--scope", "all"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Principal name → the escalation and chain rules that fired for it.
fn escalating(report: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        let rule = f["rule_id"].as_str().unwrap();
        let start = match rule {
            "NHI-AWS-013" => f["subject"].as_str().unwrap(),
            "NHI-AWS-014" => f["path"][0].as_str().unwrap(),
            _ => continue,
        };
        out.entry(start.rsplit('/').next().unwrap().to_string())
            .or_default()
            .insert(rule.to_string());
    }
    out
}

#[test]
fn iam_vulnerable_escalations_come_from_policy_semantics() {
    let Some(gaad) = corpus("aws/cloudsplaining-example-gaad.json") else {
        return;
    };
    let report = aws_scan(&gaad, &[]);
    assert_eq!(
        report["errors"].as_array().unwrap().len(),
        0,
        "{}",
        report["errors"]
    );
    let flagged = escalating(&report);
    let names: Vec<String> = report["inventory"]["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "aws-user" || i["kind"] == "aws-role")
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    // Principals the export gives nothing to escalate with, by policy semantics: the
    // AssumeRole start user has no policy at all; the ending, high-priv and permissive
    // roles are the targets (already administrators, or holding nothing); and iam-vulnerable
    // attaches each user-side method to a role too (and the reverse), where it cannot act
    // on the principal itself (a role cannot AttachUserPolicy to itself).
    let not_escalating = [
        "privesc-AssumeRole-start-user",
        "privesc-AssumeRole-ending-role",
        "privesc-high-priv-service-role",
        "privesc-permissive-role-trust",
        "privesc7-AttachUserPolicy-role",
        "privesc8-AttachGroupPolicy-role",
        "privesc9-AttachRolePolicy-user",
        "privesc10-PutUserPolicy-role",
        "privesc11-PutGroupPolicy-role",
        "privesc12-PutRolePolicy-user",
        "privesc13-AddUserToGroup-role",
    ];
    for n in &names {
        let hit = flagged.contains_key(n);
        if n.starts_with("fp") {
            assert!(
                !hit,
                "{n} is a false-positive case but was flagged: {:?}",
                flagged.get(n)
            );
        } else if (n.starts_with("privesc") || n.starts_with("fn"))
            && !not_escalating.contains(&n.as_str())
        {
            assert!(hit, "{n} can escalate but was not flagged");
        }
    }
    // The assume-role path is explained hop by hop.
    let chain = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule_id"] == "NHI-AWS-014"
                && f["path"][0]
                    .as_str()
                    .unwrap()
                    .ends_with("privesc-AssumeRole-starting-role")
        })
        .expect("the starting role reaches the ending role");
    assert_eq!(chain["path"].as_array().unwrap().len(), 3);
    assert!(
        chain["path"][2]
            .as_str()
            .unwrap()
            .ends_with("privesc-AssumeRole-ending-role")
    );
}

#[test]
fn cloudmapper_demo_with_its_credential_report() {
    let Some(aws) = corpus("aws") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "cloudmapper-demo-iam-get-account-authorization-details.json",
        "cloudmapper-demo-iam-get-credential-report.json",
    ] {
        std::fs::copy(aws.join(f), dir.path().join(f)).unwrap();
    }
    // Both files are recognised by content in a scanned folder.
    let out = bin()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json", "--fail-on", "none", "--scope", "all"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains("NHI-AWS-015"),
        "bad_role trusts any principal: {rules:?}"
    );
    assert!(
        rules.contains("NHI-AWS-002"),
        "`user` has two active keys: {rules:?}"
    );
    assert!(
        rules.contains("NHI-AWS-016"),
        "the root user has an active key: {rules:?}"
    );
    let keys = report["inventory"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "aws-access-key")
        .count();
    assert!(keys >= 3, "keys from the credential report: {keys}");
}

#[test]
fn bad_exports_are_reported_and_partial() {
    let dir = tempfile::tempdir().unwrap();
    let Some(authz) = corpus("aws/cloudsplaining-example_authz_v2.json") else {
        return;
    };
    let full = std::fs::read_to_string(authz).unwrap();
    let truncated = dir.path().join("truncated.json");
    std::fs::write(&truncated, &full[..full.len() / 2]).unwrap();
    let out = bin()
        .arg("scan")
        .arg("--aws-gaad")
        .arg(&truncated)
        .args(["--format", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "a requested export that cannot be read fails the source"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let loc = report["errors"][0]["location"].as_str().unwrap();
    assert!(loc.contains("truncated.json:"), "{loc}");

    // Missing lists, an unknown field, a malformed document, an attached policy that is
    // not in the export: each reported, the rest analysed.
    let gaad = serde_json::json!({
        "UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::1:user/u", "Colour": "red",
            "UserPolicyList": [{"PolicyName": "broken", "PolicyDocument": {"Statement": [{"Effect": "Perhaps", "Action": "*", "Resource": "*"}]}}],
            "AttachedManagedPolicies": [{"PolicyName": "gone", "PolicyArn": "arn:aws:iam::1:policy/gone"}]}],
        "RoleDetailList": []
    });
    let path = dir.path().join("odd.json");
    std::fs::write(&path, gaad.to_string()).unwrap();
    // Partial: exit 3, unless --allow-partial.
    let report = aws_scan_expect(&path, &[], 3);
    assert_eq!(report["partial"], true);
    aws_scan(&path, &["--allow-partial"]);
    let errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["location"], e["message"]))
        .collect();
    for needle in [
        "GroupDetailList",
        "Policies",
        "inline policy broken",
        "policy/gone",
    ] {
        assert!(
            errors.iter().any(|e| e.contains(needle)),
            "no error about {needle}: {errors:?}"
        );
    }
    assert!(
        report["inventory"]["identities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "u")
    );

    let cr = dir.path().join("cr.csv");
    std::fs::write(&cr, "user,arn\nu,arn:aws:iam::1:user/u\n").unwrap();
    let out = bin()
        .arg("scan")
        .arg("--aws-gaad")
        .arg(&path)
        .arg("--aws-credential-report")
        .arg(&cr)
        .args(["--format", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("missing column"))
    );
}

#[test]
fn a_key_id_in_an_mcp_config_joins_the_agent_to_its_iam_user() {
    let dir = tempfile::tempdir().unwrap();
    let key = "AKIAJOINTESTKEY00042";
    std::fs::write(
        dir.path().join(".mcp.json"),
        format!(r#"{{"mcpServers": {{"aws": {{"command": "uvx", "args": ["awslabs.aws-api-mcp-server"], "env": {{"AWS_ACCESS_KEY_ID": "{key}"}}}}}}}}"#),
    )
    .unwrap();
    let export = dir.path().join("export");
    std::fs::create_dir(&export).unwrap();
    let gaad = serde_json::json!({
        "UserDetailList": [{"UserName": "mcp-bot", "Arn": "arn:aws:iam::1:user/mcp-bot", "UserPolicyList": [
            {"PolicyName": "admin", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}],
        "GroupDetailList": [], "RoleDetailList": [], "Policies": []
    });
    std::fs::write(export.join("gaad.json"), gaad.to_string()).unwrap();
    std::fs::write(export.join("access-keys.json"), format!(r#"{{"AccessKeyMetadata": [{{"UserName": "mcp-bot", "AccessKeyId": "{key}", "Status": "Active", "CreateDate": "2020-01-01T00:00:00Z"}}]}}"#)).unwrap();
    let out = bin()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let admin = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule_id"] == "NHI-AWS-005"
                && f["agent"]
                    .as_str()
                    .is_some_and(|a| a.ends_with(".mcp.json"))
        })
        .expect("the MCP client holds an admin IAM user");
    assert!(admin["agent"].as_str().unwrap().ends_with(".mcp.json"));
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule_id"] == "NHI-AWS-001" && f["agent"] == admin["agent"])
    );
    let _ = crate_dir();
}

#[test]
fn agents_declared_by_arn_pattern_hold_their_principals() {
    let dir = tempfile::tempdir().unwrap();
    let gaad = serde_json::json!({
        "UserDetailList": [], "GroupDetailList": [], "Policies": [],
        "RoleDetailList": [{"RoleName": "support-runner", "Arn": "arn:aws:iam::1:role/support-runner",
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [{"PolicyName": "all", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}]
    });
    std::fs::write(dir.path().join("gaad.json"), gaad.to_string()).unwrap();
    let config = dir.path().join("nhi.yaml");
    std::fs::write(
        &config,
        "agents:\n  - name: support-bot\n    principals: ['arn:aws:iam::*:role/support-*']\n",
    )
    .unwrap();
    let out = bin()
        .arg("scan")
        .arg(dir.path())
        .arg("--config")
        .arg(&config)
        .args(["--format", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let admin = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "NHI-AWS-005")
        .expect("the declared agent holds an admin role");
    assert_eq!(admin["agent"], "declared:support-bot");
    // Without the declaration the role is nobody's agent, and the default scope hides it.
    let out = bin()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule_id"] != "NHI-AWS-005")
    );
}

#[test]
fn a_workflow_role_to_assume_joins_the_agent_job_to_its_iam_role() {
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    std::fs::write(
        wf.join("agent.yml"),
        "on: workflow_dispatch\njobs:\n  agent:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n      id-token: write\n    steps:\n      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          role-to-assume: arn:aws:iam::1:role/claude-bedrock\n          aws-region: us-east-1\n      - uses: anthropics/claude-code-action@v1\n        with:\n          use_bedrock: \"true\"\n",
    )
    .unwrap();
    let gaad = serde_json::json!({
        "UserDetailList": [], "GroupDetailList": [], "Policies": [],
        "RoleDetailList": [{"RoleName": "claude-bedrock", "Arn": "arn:aws:iam::1:role/claude-bedrock",
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/token.actions.githubusercontent.com"},
                "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": "repo:acme/api:ref:refs/heads/main"}}}]},
            "RolePolicyList": [{"PolicyName": "all", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}]
    });
    std::fs::create_dir(dir.path().join("export")).unwrap();
    std::fs::write(dir.path().join("export/gaad.json"), gaad.to_string()).unwrap();
    let out = bin()
        .arg("scan")
        .arg(dir.path())
        .args(["--format", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let admin = report["findings"].as_array().unwrap().iter().find(|f| {
        f["rule_id"] == "NHI-AWS-005"
            && f["agent"]
                .as_str()
                .is_some_and(|a| a.ends_with("#/jobs/agent"))
    });
    assert!(
        admin.is_some(),
        "the agent job holds the admin role it assumes: {}",
        report["findings"]
    );
}
