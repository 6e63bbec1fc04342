//! The AWS source offline: real exports from `../shared/corpus/aws`, escalation found
//! from policy semantics (BishopFox iam-vulnerable), bad exports reported while the rest
//! of the analysis goes on, and a key id in an agent's config joined to its IAM user.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::common::{bin, corpus, crate_dir, scan_json};

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

/// Principal name → the NHI-AWS-017 message about it.
fn power_findings(report: &Value) -> BTreeMap<String, String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "NHI-AWS-017")
        .map(|f| {
            let name = f["subject"].as_str().unwrap().rsplit('/').next().unwrap();
            (name.to_string(), f["message"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn iam_vulnerable_power_over_others_is_over_privilege_not_idleness() {
    let Some(gaad) = corpus("aws/cloudsplaining-example-gaad.json") else {
        return;
    };
    let report = aws_scan(&gaad, &[]);
    let power = power_findings(&report);
    // iam-vulnerable gives each user-side method to a role too (and the reverse): there
    // it cannot act on the principal itself, only on the account's other users, groups
    // and roles. These are exactly the principals the escalation rules leave out.
    let expected = [
        (
            "privesc7-AttachUserPolicy-role",
            "41 other principal(s)",
            "(iam:AttachUserPolicy)",
        ),
        (
            "privesc8-AttachGroupPolicy-role",
            "3 other principal(s)",
            "group/privesc-sre-group (iam:AttachGroupPolicy)",
        ),
        (
            "privesc9-AttachRolePolicy-user",
            "67 other principal(s)",
            "role/OrganizationAccountAccessRole (iam:AttachRolePolicy)",
        ),
        (
            "privesc10-PutUserPolicy-role",
            "41 other principal(s)",
            "(iam:PutUserPolicy)",
        ),
        (
            "privesc11-PutGroupPolicy-role",
            "3 other principal(s)",
            "(iam:PutGroupPolicy)",
        ),
        (
            "privesc12-PutRolePolicy-user",
            "67 other principal(s)",
            "(iam:PutRolePolicy)",
        ),
        // Only the group that grants something: adding a user to an empty one changes nothing.
        (
            "privesc13-AddUserToGroup-role",
            "1 other principal(s)",
            "group/privesc-sre-group (iam:AddUserToGroup)",
        ),
    ];
    assert_eq!(
        power.keys().collect::<BTreeSet<_>>(),
        expected
            .iter()
            .map(|(n, ..)| n.to_string())
            .collect::<BTreeSet<_>>()
            .iter()
            .collect(),
        "{power:#?}"
    );
    for (name, count, names) in expected {
        let message = &power[name];
        assert!(
            message.contains(count) && message.contains(names),
            "{name}: {message}"
        );
    }
    // Not one of them is reported as an escalation too, and no escalating principal is
    // reported again for the same power; the false-positive cases get neither.
    let escalating = escalating(&report);
    for name in power.keys() {
        assert!(
            !escalating.contains_key(name),
            "{name}: {:?}",
            escalating.get(name)
        );
        assert!(!name.starts_with("fp"));
    }
    // Principals of the export's other account are out of reach (IAM acts in its own
    // account): the 41 users are those of account 200611803367 but the role's own.
    let role = report["inventory"]["identities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "privesc7-AttachUserPolicy-role")
        .unwrap();
    let aws = &role["facts"]["aws"];
    assert_eq!(aws["power_over_count"], 41);
    assert_eq!(
        aws["power_over"].as_array().unwrap().len(),
        20,
        "listed up to the cap"
    );
    assert!(aws["power_over"].as_array().unwrap().iter().all(|p| {
        p["principal"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:iam::200611803367:user/")
            && p["via"] == serde_json::json!(["iam:AttachUserPolicy"])
            && p["conditional"] == false
    }));
}

/// A GAAD of one account: users (name, inline policy statements) and roles (name,
/// inline policy statements, trust statements).
fn account_gaad(users: &[(&str, Value)], roles: &[(&str, Value, Value)]) -> Value {
    let acct = "111122223333";
    let user = |name: &str, statements: &Value| {
        serde_json::json!({"UserName": name, "Arn": format!("arn:aws:iam::{acct}:user/{name}"), "Path": "/",
            "GroupList": [], "AttachedManagedPolicies": [], "Tags": [],
            "UserPolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]})
    };
    let role = |name: &str, statements: &Value, trust: &Value| {
        serde_json::json!({"RoleName": name, "Arn": format!("arn:aws:iam::{acct}:role/{name}"), "Path": "/",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": trust},
            "AttachedManagedPolicies": [], "InstanceProfileList": [], "Tags": [],
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}]})
    };
    serde_json::json!({
        "UserDetailList": users.iter().map(|(n, s)| user(n, s)).collect::<Vec<_>>(),
        "RoleDetailList": roles.iter().map(|(n, s, t)| role(n, s, t)).collect::<Vec<_>>(),
        "GroupDetailList": [], "Policies": []
    })
}

#[test]
fn power_over_a_principal_it_can_also_act_as_is_an_escalation_to_admin() {
    let acct = "111122223333";
    let allow = |actions: &[&str], resource: String| serde_json::json!([{"Effect": "Allow", "Action": actions, "Resource": resource}]);
    let lambda = serde_json::json!([{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]);
    let reads = serde_json::json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]);
    // 300 users an operations role can attach policies to: counted, listed up to the cap,
    // the message names five and counts the rest.
    let many: Vec<String> = (0..300).map(|i| format!("u{i:03}")).collect();
    let mut users: Vec<(&str, Value)> = many.iter().map(|n| (n.as_str(), reads.clone())).collect();
    // helper can change bob and sign in as him: it gains whatever it writes into bob.
    users.push((
        "helper",
        allow(
            &["iam:AttachUserPolicy", "iam:CreateAccessKey"],
            format!("arn:aws:iam::{acct}:user/bob"),
        ),
    ));
    users.push(("bob", reads.clone()));
    let roles = [
        (
            "ops",
            allow(
                &["iam:AttachUserPolicy"],
                format!("arn:aws:iam::{acct}:user/*"),
            ),
            lambda.clone(),
        ),
        // deployer may rewrite target's policy, and target's trust names deployer: no
        // sts:AssumeRole in deployer's own policy is needed in the same account.
        (
            "deployer",
            allow(
                &["iam:PutRolePolicy"],
                format!("arn:aws:iam::{acct}:role/target"),
            ),
            lambda.clone(),
        ),
        (
            "target",
            reads.clone(),
            serde_json::json!([{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{acct}:role/deployer")}, "Action": "sts:AssumeRole"}]),
        ),
        // editor may rewrite a role that only Lambda can assume: power, no way in.
        (
            "editor",
            allow(
                &["iam:PutRolePolicy"],
                format!("arn:aws:iam::{acct}:role/worker"),
            ),
            lambda.clone(),
        ),
        ("worker", reads.clone(), lambda.clone()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gaad.json");
    std::fs::write(&path, account_gaad(&users, &roles).to_string()).unwrap();
    let report = aws_scan(&path, &[]);

    let power = power_findings(&report);
    assert_eq!(
        power.keys().map(String::as_str).collect::<Vec<_>>(),
        ["editor", "ops"],
        "{power:#?}"
    );
    assert!(power["editor"].contains("1 other principal(s): role/worker (iam:PutRolePolicy)"));
    let ops = &power["ops"];
    assert!(ops.contains("can change 302 other principal(s)"), "{ops}");
    assert!(ops.ends_with(" and 297 more"), "{ops}");
    let facts = |name: &str| {
        report["inventory"]["identities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap()["facts"]["aws"]
            .clone()
    };
    assert_eq!(facts("ops")["power_over_count"], 302);
    assert_eq!(facts("ops")["power_over"].as_array().unwrap().len(), 20);

    let escalations = escalating(&report);
    for (name, method) in [
        ("helper", "iam:AttachUserPolicy+iam:CreateAccessKey"),
        ("deployer", "iam:PutRolePolicy+sts:AssumeRole"),
    ] {
        assert!(
            escalations[name].contains("NHI-AWS-013"),
            "{name}: {escalations:?}"
        );
        let f = facts(name);
        let methods: Vec<&str> = f["escalations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["method"].as_str().unwrap())
            .collect();
        assert!(methods.contains(&method), "{name}: {methods:?}");
        // Already an escalation: not reported again as power over others.
        assert_eq!(f["power_over_unreported"], 0, "{name}");
        // The graph goes to the account's administrator, as for self-modification, and
        // the chain rule says what that adds.
        let edge = report["inventory"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| {
                e["kind"] == "escalates"
                    && e["from"].as_str().unwrap().ends_with(&format!("/{name}"))
                    && e["evidence"].as_str().unwrap().contains(method)
            })
            .unwrap_or_else(|| panic!("{name} has no escalates edge by {method}"));
        assert_eq!(edge["to"], format!("aws-admin:{acct}"));
        assert!(
            escalations[name].contains("NHI-AWS-014"),
            "{name}: {escalations:?}"
        );
    }
    // Power alone adds no edge: ops and editor do not act as the principals they change.
    for name in ["ops", "editor"] {
        assert!(!escalations.contains_key(name), "{name}: {escalations:?}");
        assert!(
            report["inventory"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| !(e["kind"] == "escalates"
                    && e["from"].as_str().unwrap().ends_with(&format!("/{name}"))))
        );
    }
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

#[test]
fn agent_tag_keys_given_on_the_command_line_decide_which_principals_are_agents() {
    let dir = tempfile::tempdir().unwrap();
    let role = |name: &str, key: &str| {
        serde_json::json!({"RoleName": name, "Arn": format!("arn:aws:iam::1:role/{name}"),
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [{"PolicyName": "read", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}],
            "Tags": [{"Key": key, "Value": "support"}]})
    };
    let gaad = serde_json::json!({
        "UserDetailList": [], "GroupDetailList": [], "Policies": [],
        "RoleDetailList": [role("etl", "workload"), role("runner", "nhi:agent")]
    });
    let path = dir.path().join("gaad.json");
    std::fs::write(&path, gaad.to_string()).unwrap();
    let agents = |report: &Value| -> Vec<String> {
        report["inventory"]["agents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect()
    };
    let grants = |report: &Value| -> Vec<String> {
        report["inventory"]["grants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["identity"].as_str().unwrap().to_string())
            .collect()
    };
    // The defaults: the `nhi:agent` tag.
    let report = scan_json(&[dir.path()], &["--scope", "all"]);
    assert_eq!(agents(&report), ["agent:aws:arn:aws:iam::1:role/runner"]);
    assert_eq!(grants(&report), ["aws:arn:aws:iam::1:role/runner"]);
    // `--agent-tag` replaces them, for exports found by the walk and given by flag alike.
    let flag = ["--scope", "all", "--agent-tag", "workload"];
    let found = scan_json(&[dir.path()], &flag);
    assert_eq!(agents(&found), ["agent:aws:arn:aws:iam::1:role/etl"]);
    assert_eq!(grants(&found), ["aws:arn:aws:iam::1:role/etl"]);
    let mut cmd = bin();
    let out = cmd
        .args(["scan", "--aws-gaad"])
        .arg(&path)
        .args(["--format", "json", "--fail-on", "none"])
        .args(flag)
        .output()
        .unwrap();
    let given: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(agents(&given), ["agent:aws:arn:aws:iam::1:role/etl"]);
    // The inventory command lists the same agent.
    let out = bin()
        .arg("inventory")
        .arg(dir.path())
        .args(["--agent-tag", "workload"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("IAM role etl"), "{text}");
    assert!(!text.contains("IAM role runner"), "{text}");
}
