//! Activity logs: CloudTrail in each shape users hold it, joined to the grants; unused
//! access, write-creep in use, attributability; `suggest-policy`; and bad logs.

use serde_json::{Value, json};

use super::common::{activity_of, bin, crate_dir, findings_of, gz, identity, said_in, scan_json};

const ROLE: &str = "aws:arn:aws:iam::111122223333:role/report-agent";

fn scenario() -> std::path::PathBuf {
    crate_dir().join("fixtures/activity/three-of-forty")
}

/// A record as AWS's *CloudTrail record contents* documents it: an assumed-role call.
fn record(role: &str, session: &str, source: &str, name: &str, time: &str) -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": format!("AROAEXAMPLEROLEID:{session}"),
            "arn": format!("arn:aws:sts::111122223333:assumed-role/{role}/{session}"),
            "accountId": "111122223333",
            "accessKeyId": "ASIAEXAMPLESESSION01",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": "AROAEXAMPLEROLEID",
                    "arn": format!("arn:aws:iam::111122223333:role/{role}"),
                    "accountId": "111122223333",
                    "userName": role
                },
                "attributes": { "creationDate": time, "mfaAuthenticated": "false" }
            }
        },
        "eventTime": time,
        "eventSource": format!("{source}.amazonaws.com"),
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.30 Python/3.11.8",
        "requestParameters": { "bucketName": "b" },
        "responseElements": null,
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333"
    })
}

#[test]
fn an_agent_role_using_three_of_forty_actions_is_told_what_it_left_unused() {
    let report = scan_json(&[&scenario()], &["--scope", "all"]);
    let facts = &identity(&report, ROLE)["facts"]["activity"];
    assert_eq!(facts["granted_actions"], 40, "{facts:#}");
    assert_eq!(facts["used_actions"], 3, "{facts:#}");
    assert_eq!(facts["unused_actions"], 37, "{facts:#}");
    // Refused calls are tried, not used.
    assert_eq!(facts["denied_calls"], 3);
    assert_eq!(facts["agent_clients"], json!(["claude-code"]));
    // Each session carries a source identity: attributable.
    assert_eq!(facts["sessions"], 12);
    assert_eq!(facts["unattributed_sessions"], 0);
    let unused = findings_of(&report, "NHI-ACT-001");
    assert_eq!(unused.len(), 1, "{unused:#?}");
    let message = unused[0]["message"].as_str().unwrap();
    assert!(message.contains("used 3 of the 40 actions"), "{message}");
    assert!(findings_of(&report, "NHI-ACT-003").is_empty());
    let window = &report["inventory"]["activity_window"];
    assert_eq!(window["end"], "2024-09-03T12:50:00Z", "{window:#}");
    assert_eq!(window["days"], 90);
    assert_eq!(window["files"], 3);
}

/// The suggested policy, evaluated the way IAM does: it allows exactly the three
/// actions used, on the resources seen, and none of the other 37.
#[test]
fn the_suggested_policy_allows_exactly_what_was_used() {
    use nhi_audit::policy::aws::{document, eval};
    let out = bin()
        .arg("suggest-policy")
        .arg(scenario())
        .args(["--format", "document", "--principal", "report-agent"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let statements = document::parse(&doc).unwrap();
    let set = eval::PolicySet {
        statements: statements
            .into_iter()
            .map(|s| eval::Sourced {
                statement: std::sync::Arc::new(s),
                source: "suggested".into(),
            })
            .collect(),
        ..Default::default()
    };
    let ctx = eval::Context {
        now: time::OffsetDateTime::now_utc(),
    };
    let used = [
        ("s3:GetObject", "arn:aws:s3:::quarterly-reports/2024/q3.csv"),
        (
            "dynamodb:Query",
            "arn:aws:dynamodb:us-east-1:111122223333:table/customers",
        ),
        (
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:111122223333:report-ready",
        ),
    ];
    for (action, resource) in used {
        assert!(
            set.check(action, resource, &ctx).is_allowed(),
            "{action} on {resource}: {doc:#}"
        );
        // Only on what it acted on.
        assert!(!set.check(action, "arn:aws:s3:::other/x", &ctx).is_allowed());
    }
    let gaad: Value =
        serde_json::from_str(&std::fs::read_to_string(scenario().join("gaad.json")).unwrap())
            .unwrap();
    let granted = gaad["RoleDetailList"][0]["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]
        ["Action"]
        .as_array()
        .unwrap();
    assert_eq!(granted.len(), 40);
    let allowed: Vec<&str> = granted
        .iter()
        .map(|a| a.as_str().unwrap())
        .filter(|a| set.check(a, "*", &ctx).is_allowed() || set.may_allow(a))
        .collect();
    assert_eq!(
        allowed,
        ["s3:GetObject", "dynamodb:Query", "sqs:SendMessage"],
        "{doc:#}"
    );
    assert!(
        !set.may_allow("iam:CreateUser"),
        "a refused call is not needed"
    );
}

#[test]
fn suggest_policy_json_names_the_agent_and_the_counts() {
    let out = bin()
        .arg("suggest-policy")
        .arg(scenario())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "nhi-audit/suggested-policies/v1");
    let s = &v["suggestions"][0];
    assert_eq!(
        s["principal"],
        "arn:aws:iam::111122223333:role/report-agent"
    );
    assert_eq!(s["used_actions"], 3);
    assert_eq!(s["granted_actions"], 40);
    assert_eq!(
        s["agents"][0],
        "agent:aws:arn:aws:iam::111122223333:role/report-agent"
    );
    // Without logs there is nothing to suggest from: a usage error, not an empty answer.
    let none = bin()
        .arg("suggest-policy")
        .arg(crate_dir().join("fixtures/rules/NHI-AWS-005/match"))
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("--activity"));
}

#[test]
fn lookup_events_lake_rows_and_json_lines_read_as_the_same_records() {
    let dir = tempfile::tempdir().unwrap();
    let t = ["2024-05-01T10:00:00Z", "2024-05-02T10:00:00Z"];
    let recs = [
        record("agent-a", "s1", "s3", "GetObject", t[0]),
        record("agent-a", "s2", "s3", "PutObject", t[1]),
    ];
    // lookup-events: the record as a string inside each entry.
    let lookup = json!({ "Events": recs.iter().map(|r| json!({
        "EventId": "e", "EventName": r["eventName"], "ReadOnly": "true",
        "EventTime": r["eventTime"], "EventSource": r["eventSource"],
        "Username": "s1", "Resources": [], "CloudTrailEvent": r.to_string()
    })).collect::<Vec<_>>() });
    std::fs::write(dir.path().join("lookup.json"), lookup.to_string()).unwrap();
    // Lake: dotted columns.
    let lake = json!({ "QueryStatus": "FINISHED", "QueryResultRows": recs.iter().map(|r| json!([
        {"eventTime": r["eventTime"]}, {"eventSource": r["eventSource"]},
        {"eventName": r["eventName"]},
        {"userIdentity.arn": r["userIdentity"]["arn"]},
        {"userIdentity.type": "AssumedRole"}
    ])).collect::<Vec<_>>() });
    std::fs::write(dir.path().join("lake.json"), lake.to_string()).unwrap();
    // JSON Lines, gzipped.
    let lines: String = recs.iter().map(|r| r.to_string() + "\n").collect();
    std::fs::write(dir.path().join("records.jsonl.gz"), gz(lines.as_bytes())).unwrap();
    let nothing = tempfile::tempdir().unwrap();
    for name in ["lookup.json", "lake.json", "records.jsonl.gz"] {
        let report = scan_json(
            &[nothing.path()],
            &["--activity", dir.path().join(name).to_str().unwrap()],
        );
        let a = activity_of(&report, "arn:aws:iam::111122223333:role/agent-a");
        assert_eq!(a["events"], 2, "{name}: {a:#}");
        let actions: Vec<&str> = a["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["s3:GetObject", "s3:PutObject"], "{name}");
        assert_eq!(a["first"], t[0]);
        assert_eq!(a["last"], t[1]);
    }
}

#[test]
fn bad_logs_are_named_and_the_rest_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let good: Vec<Value> = (0..50)
        .map(|i| {
            record(
                "agent-b",
                &format!("s{i}"),
                "s3",
                "GetObject",
                &format!("2024-05-01T10:{:02}:00Z", i % 60),
            )
        })
        .collect();
    let whole = gz(json!({ "Records": good }).to_string().as_bytes());
    // A delivery cut short: the gzip stream ends mid-record.
    std::fs::write(dir.path().join("cut.json.gz"), &whole[..whole.len() / 2]).unwrap();
    // A record without eventName, one with eventName of the wrong type, one dated in
    // the far future (clock skew), between good ones.
    let mut odd = good[..3].to_vec();
    let mut no_name = good[0].clone();
    no_name.as_object_mut().unwrap().remove("eventName");
    odd.push(no_name);
    let mut wrong = good[1].clone();
    wrong["eventName"] = json!(42);
    odd.push(wrong);
    odd.push(record(
        "agent-b",
        "sf",
        "s3",
        "PutObject",
        "2099-01-01T00:00:00Z",
    ));
    std::fs::write(
        dir.path().join("odd.json"),
        json!({ "Records": odd }).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        "{\"Records\": [{\"eventName\": ",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("binary.json.gz"),
        [0x1f, 0x8b, 0xff, 0x00, 0x13],
    )
    .unwrap();
    std::fs::write(dir.path().join("empty.json"), "").unwrap();
    let nothing = tempfile::tempdir().unwrap();
    let out = bin()
        .arg("scan")
        .arg(nothing.path())
        .args(["--format", "json", "--fail-on", "none", "--activity"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let said = |field: &str| said_in(&report, field);
    let errors = said("errors");
    let warnings = said("warnings");
    let has = |list: &[String], file: &str, text: &str| {
        list.iter().any(|m| m.contains(file) && m.contains(text))
    };
    assert!(
        has(&errors, "cut.json.gz", "truncated or corrupt"),
        "{errors:#?}"
    );
    assert!(
        has(&errors, "broken.json", "not an activity log"),
        "{errors:#?}"
    );
    assert!(
        has(&errors, "binary.json.gz", "truncated or corrupt"),
        "{errors:#?}"
    );
    assert!(has(&warnings, "odd.json", "no eventName"), "{warnings:#?}");
    assert!(has(&warnings, "odd.json", "clock skew"), "{warnings:#?}");
    assert!(has(&warnings, "empty.json", "empty"), "{warnings:#?}");
    // The readable records all count: 3 + 1 future from odd.json, and what the cut file
    // held before it broke.
    let a = activity_of(&report, "arn:aws:iam::111122223333:role/agent-b");
    let events = a["events"].as_u64().unwrap();
    assert!((4..54).contains(&events), "{events}");
    // The future-dated event does not move the window's end.
    let window = &report["inventory"]["activity_window"];
    assert!(
        window["end"].as_str().unwrap().starts_with("2024-05-01"),
        "{window:#}"
    );
}

#[test]
fn a_missing_activity_path_fails_the_source() {
    let nothing = tempfile::tempdir().unwrap();
    let out = bin()
        .arg("scan")
        .arg(nothing.path())
        .args(["--format", "json", "--fail-on", "none", "--activity"])
        .arg("/no/such/cloudtrail")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/cloudtrail"));
}

/// trailscraper's published test data (its PyPI source distribution; `scripts/test.sh`
/// downloads it and sets `NHI_TRAILSCRAPER_DATA`). Under CI its absence is a failure.
fn trailscraper_data() -> Option<std::path::PathBuf> {
    match std::env::var("NHI_TRAILSCRAPER_DATA") {
        Ok(p) if std::path::Path::new(&p).is_dir() => Some(p.into()),
        _ if std::env::var_os("CI").is_some() => {
            panic!("NHI_TRAILSCRAPER_DATA is not set under CI: scripts/test.sh downloads it")
        }
        _ => {
            eprintln!(
                "skipped: NHI_TRAILSCRAPER_DATA is not set (scripts/test.sh downloads trailscraper's test data)"
            );
            None
        }
    }
}

/// A real delivery file someone else published, gzipped as CloudTrail writes it: the
/// role's call becomes the action trailscraper's own test expects, and the AWS service's
/// call is counted as skipped, not taken for a principal's.
#[test]
fn trailscrapers_published_delivery_file_reads_as_its_tests_expect() {
    let Some(data) = trailscraper_data() else {
        return;
    };
    let file =
        data.join("111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz");
    let nothing = tempfile::tempdir().unwrap();
    let report = scan_json(
        &[nothing.path()],
        &["--scope", "all", "--activity", file.to_str().unwrap()],
    );
    let a = activity_of(&report, "arn:aws:iam::111111111111:role/someRole");
    assert_eq!(
        a["actions"][0]["action"],
        "autoscaling:DescribeLaunchConfigurations"
    );
    assert_eq!(a["events"], 1);
    let warnings = report["inventory"]["warnings"].to_string();
    assert!(warnings.contains("made by an AWS service"), "{warnings}");
    let out = bin()
        .arg("suggest-policy")
        .arg(nothing.path())
        .args(["--scope", "all", "--format", "document", "--activity"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["Statement"][0]["Action"],
        json!(["autoscaling:DescribeLaunchConfigurations"])
    );
    assert_eq!(doc["Statement"][0]["Resource"], json!(["*"]));
}

/// serde's own message quotes a value of the wrong type (`invalid type: string "…"`): a
/// log whose `Records` is a secret must be reported by file, line and kind only.
#[test]
fn a_malformed_log_is_reported_without_quoting_its_values() {
    let secret = format!(
        "ghp_{}",
        crate::common::Rng(0x005e_c2e7).take(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            36
        )
    );
    let logs = tempfile::tempdir().unwrap();
    std::fs::write(
        logs.path().join("odd.json"),
        format!("{{\"Records\": \"{secret}\"}}"),
    )
    .unwrap();
    let nothing = tempfile::tempdir().unwrap();
    let out = bin()
        .arg("scan")
        .arg(nothing.path())
        .args(["--format", "json", "--fail-on", "none", "--activity"])
        .arg(logs.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains(&secret[4..]) && !stderr.contains(&secret[4..]));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = said_in(&report, "errors");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("odd.json:1:") && e.contains("wrong type")),
        "{errors:#?}"
    );
}

/// `--activity-window` decides what counts as used: the reads of the first 40 days fall
/// outside a 3-day window that ends at the write of day 45.
#[test]
fn the_window_decides_what_was_used() {
    let dir = crate_dir().join("fixtures/rules/NHI-ACT-002/match");
    let id = "aws:arn:aws:iam::111122223333:role/support-agent";
    let used = |extra: &[&str]| {
        let report = scan_json(&[&dir], extra);
        identity(&report, id)["facts"]["activity"]["used"].clone()
    };
    assert_eq!(used(&[]), json!(["s3:GetObject", "s3:PutObject"]));
    assert_eq!(used(&["--activity-window", "3d"]), json!(["s3:PutObject"]));
    let bad = bin()
        .args(["scan", "--activity-window", "0d"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
