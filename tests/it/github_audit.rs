//! The GitHub organisation audit log as activity: GitHub's documented example (from
//! `@octokit/openapi`, `fixtures/github-api/audit-log.json`) and entries written from the
//! documented fields (`programmatic_access_type`, `token_id`, `hashed_token` — base64 of
//! the token's SHA-256 —, `integration`, `user_agent`), read as the API's JSON, the
//! settings export's JSON and its CSV; joined to the inventory's tokens, apps and the
//! tokens found in configs; read live from a wiremock server, each request checked
//! against GitHub Enterprise Cloud's OpenAPI description; and bad input.

use std::path::Path;

use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{activity_of, bin, findings_of, identity, said_in, scan_json};
use crate::github_live::{
    ORG, TOKEN, check_against_ghec_openapi, example, mock_org, pat_without_expiry, runtime,
};

/// A classic PAT, made up for the test from a fixed seed (36 characters after `ghp_`,
/// mixed enough to be taken for a real one); nothing like it is stored in the repository.
static PAT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    format!(
        "ghp_{}",
        crate::common::Rng(0x09a7_a0d1_7106).take(ALNUM, 36)
    )
});

/// `hashed_token` as GitHub documents it: `echo -n TOKEN | openssl dgst -sha256 -binary |
/// base64`.
fn hashed(token: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(token.as_bytes()))
}

/// An entry with the token fields GitHub's *About token data in the audit log* names.
fn token_entry(ms: i64, action: &str, token_id: u64, kind: &str, hash: &str, ua: &str) -> Value {
    json!({
        "@timestamp": ms,
        "action": action,
        "actor": "octocat",
        "actor_ip": "192.0.2.10",
        "user_agent": ua,
        "org": ORG,
        "repo": format!("{ORG}/alpha"),
        "programmatic_access_type": kind,
        "token_id": token_id,
        "hashed_token": hash,
        "created_at": ms,
        "_document_id": format!("doc-{ms}"),
    })
}

/// Scans `files` (written into a folder of their own) as `--activity`, over an empty
/// tree, and returns the report.
fn scan_logs(files: &[(&str, &str)]) -> Value {
    let logs = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(logs.path().join(name), text).unwrap();
    }
    let nothing = tempfile::tempdir().unwrap();
    let out = bin()
        .arg("scan")
        .arg(nothing.path())
        .args(["--format", "json", "--fail-on", "none", "--activity"])
        .arg(logs.path())
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

/// The CSV export of `entries`, with the header's fields in this order.
const CSV_FIELDS: &[&str] = &[
    "@timestamp",
    "_document_id",
    "action",
    "actor",
    "actor_ip",
    "created_at",
    "message",
    "org",
    "programmatic_access_type",
    "repo",
    "token_id",
    "hashed_token",
    "user_agent",
];

fn csv_of(entries: &[Value]) -> String {
    let cell = |v: &Value| -> String {
        let s = match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    let mut out = CSV_FIELDS.join(",") + "\r\n";
    for e in entries {
        let row: Vec<String> = CSV_FIELDS.iter().map(|f| cell(&e[*f])).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The documented example and token entries: one with a user agent holding a comma,
/// one with a message across two lines and quotes.
fn sample() -> Vec<Value> {
    let mut entries: Vec<Value> = example("audit-log.json").as_array().unwrap().clone();
    let h = hashed(&PAT);
    let mut push = token_entry(
        1_606_930_000_000,
        "git.push",
        5_000_001,
        "Personal access token (classic)",
        &h,
        "git/2.43.0 (Linux, x86_64)",
    );
    push["message"] = json!("pushed \"main\"\nand a tag");
    entries.push(push);
    entries.push(token_entry(
        1_606_931_000_000,
        "git.clone",
        5_000_001,
        "Personal access token (classic)",
        &h,
        "git/2.43.0",
    ));
    entries
}

#[test]
fn json_and_csv_exports_give_the_same_records() {
    let entries = sample();
    let json_report = scan_logs(&[("audit.json", &Value::Array(entries.clone()).to_string())]);
    let csv = csv_of(&entries);
    assert!(csv.contains("\"pushed \"\"main\"\"\nand a tag\""), "{csv}");
    let csv_report = scan_logs(&[("audit.csv", &csv)]);
    let (a, b) = (
        &json_report["inventory"]["activity"],
        &csv_report["inventory"]["activity"],
    );
    assert_eq!(a, b, "JSON {a:#}\nCSV {b:#}");
    // Entries one per line, gzipped, as audit-log streaming delivers them.
    let lines: String = entries.iter().map(|e| format!("{e}\n")).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, lines.as_bytes()).unwrap();
    let streamed = tempfile::tempdir().unwrap();
    let file = streamed.path().join("stream.json.gz");
    std::fs::write(&file, gz.finish().unwrap()).unwrap();
    let lines_report = scan_json(
        &[tempfile::tempdir().unwrap().path()],
        &["--activity", file.to_str().unwrap()],
    );
    assert_eq!(a, &lines_report["inventory"]["activity"], "JSON Lines");

    // GitHub's example: octocat added a team member and created an org; monalisa
    // destroyed a repository. Epoch milliseconds read as dates.
    let octocat = activity_of(&json_report, "github:user:octocat");
    assert_eq!(octocat["provider"], "github");
    assert_eq!(octocat["events"], 2);
    assert_eq!(octocat["first"], "2020-11-27T19:58:37Z");
    let mona = activity_of(&json_report, "github:user:monalisa");
    assert_eq!(mona["actions"][0]["action"], "repo.destroy");
    assert_eq!(mona["actions"][0]["level"], "admin");
    assert_eq!(
        mona["actions"][0]["resources"],
        json!(["mona-org/mona-test-repo"])
    );
    // The token's entries are the token's, keyed by its hash, with how it authenticated.
    let token = activity_of(&json_report, "github:token:5000001");
    assert_eq!(token["events"], 2);
    assert_eq!(token["keys"], json!([hashed(&PAT)]));
    assert_eq!(
        token["access_types"],
        json!(["Personal access token (classic)"])
    );
    let levels: Vec<(&str, &str)> = token["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["action"].as_str().unwrap(), x["level"].as_str().unwrap()))
        .collect();
    assert_eq!(levels, [("git.clone", "read"), ("git.push", "write")]);
    assert_eq!(token["identity"], Value::Null, "nothing in the inventory");
    assert_eq!(json_report["inventory"]["activity_window"]["events"], 5);
}

/// An MCP config holding a classic PAT literally, and audit-log entries that PAT made
/// through an agent CLI.
fn mcp_with_pat(dir: &Path) {
    let config = json!({
        "mcpServers": {
            "github": {
                "command": "npx",
                "args": ["-y", "@modelcontextprotocol/server-github"],
                "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": PAT.as_str() }
            }
        }
    });
    std::fs::write(dir.join(".mcp.json"), config.to_string()).unwrap();
}

#[test]
fn a_pat_in_an_mcp_config_is_joined_by_its_hashed_token_and_never_printed() {
    let tree = tempfile::tempdir().unwrap();
    mcp_with_pat(tree.path());
    let logs = tempfile::tempdir().unwrap();
    let h = hashed(&PAT);
    let entries: Vec<Value> = (0..3)
        .map(|i| {
            token_entry(
                1_717_000_000_000 + i * 60_000,
                if i == 0 { "git.clone" } else { "git.push" },
                5_000_001,
                "Personal access token (classic)",
                &h,
                "claude-code/1.0.30 git/2.43.0",
            )
        })
        .collect();
    let log = logs.path().join("org-audit.json");
    std::fs::write(&log, Value::Array(entries).to_string()).unwrap();

    let mut outputs = Vec::new();
    for format in ["json", "sarif", "table", "markdown"] {
        let out = bin()
            .arg("scan")
            .arg(tree.path())
            .args(["--format", format, "--fail-on", "none", "--activity"])
            .arg(&log)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push((format, out.stdout, out.stderr));
    }
    let body = &PAT[4..];
    for (format, stdout, stderr) in &outputs {
        for text in [stdout, stderr] {
            let text = String::from_utf8_lossy(text);
            assert!(
                !text.contains(body),
                "{format}: the token's value was printed"
            );
        }
    }
    let report: Value = serde_json::from_slice(&outputs[0].1).unwrap();
    let cred = report["inventory"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "github-classic-pat")
        .expect("the PAT in the MCP config");
    assert_eq!(cred["key_id"], h, "only the hash is kept");
    let id = cred["identity"].as_str().unwrap();
    let token = activity_of(&report, "github:token:5000001");
    assert_eq!(token["identity"], id, "joined by hashed_token");
    let facts = &identity(&report, id)["facts"]["activity"];
    assert_eq!(facts["events"], 3, "{facts:#}");
    assert_eq!(facts["person"], true, "a classic PAT acts as its person");
    assert_eq!(facts["agent_clients"], json!(["claude-code"]));
    // An agent CLI on a person's token: NHI-ACT-005, on the token the config holds.
    let act5 = findings_of(&report, "NHI-ACT-005");
    assert_eq!(act5.len(), 1, "{:#}", report["findings"]);
    assert_eq!(act5[0]["subject"], id);
    assert!(
        act5[0]["message"]
            .as_str()
            .unwrap()
            .contains("claude-code acted as"),
        "{}",
        act5[0]["message"]
    );
}

#[test]
fn a_classic_pat_only_the_log_knows_used_by_an_agent_cli_is_a_person_acting_for_an_agent() {
    let entries = vec![token_entry(
        1_717_000_000_000,
        "git.push",
        7_000_007,
        "Personal access token (classic)",
        &hashed("ghp_not-in-any-config"),
        "Mozilla/5.0 codex_cli_rs/0.20.0",
    )];
    let report = scan_logs(&[("audit.json", &Value::Array(entries).to_string())]);
    let token = activity_of(&report, "github:token:7000007");
    assert_eq!(token["identity"], "github:pat:7000007");
    let i = identity(&report, "github:pat:7000007");
    assert_eq!(i["kind"], "github-classic-pat");
    assert_eq!(i["human"], true);
    assert_eq!(i["tags"]["seen_only_in_logs"], "true");
    for rule in ["NHI-ACT-005", "NHI-ACT-006"] {
        let f = findings_of(&report, rule);
        assert_eq!(f.len(), 1, "{rule}: {:#}", report["findings"]);
        assert_eq!(f[0]["subject"], "github:pat:7000007");
    }
}

/// A GitHub export (the documented installation and PAT grant) beside an audit log the
/// walk finds: the fine-grained PAT's entries join its grant by token id, the app's its
/// installation by slug, and the users' stay unjoined.
#[test]
fn token_ids_and_apps_join_the_export_and_the_walk_finds_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let installations = example("installation-paginated.json")["installations"].clone();
    let inst_id = installations[0]["id"].as_u64().unwrap();
    let slug = installations[0]["app_slug"].as_str().unwrap().to_string();
    let export = json!({
        "schema": "nhi-audit/github-export/v1",
        "api_url": "https://api.github.com",
        "orgs": [{
            "org": ORG,
            "installations": installations,
            "personal_access_tokens": example("org-pat-grant-paginated.json"),
            "repositories": [],
            "errors": []
        }]
    });
    std::fs::write(dir.path().join("github-export.json"), export.to_string()).unwrap();
    let mut entries: Vec<Value> = example("audit-log.json").as_array().unwrap().clone();
    entries.push(token_entry(
        1_606_930_000_000,
        "pull_request.create",
        98716,
        "Fine-grained personal access token",
        "aGFzaA==",
        "octokit-rest.js/20.0.0",
    ));
    let mut app = token_entry(
        1_606_931_000_000,
        "git.push",
        123,
        "GitHub App server-to-server token",
        "aW5zdGFsbGF0aW9u",
        "GitHub-Hookshot/abc",
    );
    app["integration"] = json!(slug);
    app["actor"] = json!(format!("{slug}[bot]"));
    entries.push(app);
    std::fs::write(
        dir.path().join("audit-export.json"),
        Value::Array(entries).to_string(),
    )
    .unwrap();
    let report = scan_json(&[dir.path()], &["--scope", "all"]);
    assert_eq!(
        activity_of(&report, "github:token:98716")["identity"],
        "github:pat:98716"
    );
    let inst = format!("github:installation:{inst_id}");
    let app = activity_of(&report, &format!("github:app:{ORG}/{slug}"));
    assert_eq!(app["identity"], inst.as_str());
    assert_eq!(
        identity(&report, &inst)["facts"]["activity"]["used"],
        json!(["git.push"])
    );
    assert_eq!(
        activity_of(&report, "github:user:octocat")["identity"],
        Value::Null
    );
    assert_eq!(
        identity(&report, "github:pat:98716")["facts"]["activity"]["person"],
        true
    );
}

#[test]
fn bad_audit_logs_are_named_by_file_and_line_and_the_rest_is_counted() {
    let good = |ms: i64| {
        token_entry(
            ms,
            "git.fetch",
            42,
            "OAuth access token",
            "b2F1dGg=",
            "gh/2.40",
        )
    };
    // A CSV: a row on lines 3 and 4 (a quoted line break), then a ragged row on line 5.
    let mut csv = csv_of(&[good(1_606_930_000_000)]);
    let mut multi = good(1_606_930_100_000);
    multi["message"] = json!("two\nlines");
    csv += csv_of(&[multi]).split_once("\r\n").unwrap().1;
    csv.push_str("1606930200000,only,three\r\n");
    csv += csv_of(&[good(1_606_930_300_000)])
        .split_once(
            "
",
        )
        .unwrap()
        .1;
    // JSON: an entry without `action`, one whose `@timestamp` is not a number or a date.
    let mut no_action = good(1_606_930_000_000);
    no_action.as_object_mut().unwrap().remove("action");
    let mut not_a_time = good(1_606_930_000_000);
    not_a_time["@timestamp"] = json!("yesterday");
    let json_log = Value::Array(vec![
        good(1_606_930_000_000),
        no_action,
        not_a_time,
        good(1_606_930_400_000),
    ]);
    let unclosed = format!(
        "{}\r\n1606930000000,\"never closed,x\r\n",
        CSV_FIELDS.join(",")
    );
    let report = scan_logs(&[
        ("ragged.csv", &csv),
        ("odd.json", &json_log.to_string()),
        ("unclosed.csv", &unclosed),
    ]);
    let said = |field: &str| said_in(&report, field);
    let (errors, warnings) = (said("errors"), said("warnings"));
    let has =
        |list: &[String], a: &str, b: &str| list.iter().any(|m| m.contains(a) && m.contains(b));
    assert!(
        has(
            &warnings,
            "ragged.csv",
            "differs from the header's (the first is line 5)"
        ),
        "{warnings:#?}"
    );
    assert!(
        has(&warnings, "odd.json", "no action (the first is record 2)"),
        "{warnings:#?}"
    );
    assert!(
        has(
            &warnings,
            "odd.json",
            "neither epoch milliseconds nor a date (the first is record 3)"
        ),
        "{warnings:#?}"
    );
    assert!(
        has(&errors, "unclosed.csv:2", "never closed"),
        "{errors:#?}"
    );
    // Every good entry counted: three of the CSV's four rows and two of the JSON's four.
    let token = activity_of(&report, "github:token:42");
    assert_eq!(token["events"], 5, "{token:#}");
}

/// The audit-log pages a live crawl reads: GitHub's example, then (through the `Link`
/// header's `after` cursor) an entry of the fine-grained PAT the org lists.
async fn mock_audit_log(server: &MockServer) {
    let base = server.uri();
    let next = format!(
        "<{base}/orgs/{ORG}/audit-log?phrase=created%3A%3E%3D2024-03-03&include=all&order=desc&per_page=100&after=MS42NzE%3D>; rel=\"next\""
    );
    Mock::given(method("GET"))
        .and(path(format!("/orgs/{ORG}/audit-log")))
        .and(query_param_is_missing("after"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(example("audit-log.json"))
                .insert_header("link", next),
        )
        .mount(server)
        .await;
    let page2 = json!([token_entry(
        1_606_940_000_000,
        "git.push",
        98716,
        "Fine-grained personal access token",
        "aGFzaA==",
        "claude-code/1.0.30",
    )]);
    Mock::given(method("GET"))
        .and(path(format!("/orgs/{ORG}/audit-log")))
        .and(query_param("after", "MS42NzE="))
        .respond_with(ResponseTemplate::new(200).set_body_json(page2))
        .mount(server)
        .await;
}

fn run_audit(server: &MockServer, extra: &[&str]) -> (Option<i32>, Value, String) {
    let out = bin()
        .env("GITHUB_TOKEN", TOKEN)
        .env("NHI_AUDIT_NOW", "2024-06-01T00:00:00Z")
        .args([
            "scan",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--scope",
            "all",
        ])
        .args([
            "--github-org",
            ORG,
            "--github-audit-log",
            "--github-api-url",
        ])
        .arg(server.uri())
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "the token was printed"
    );
    let report = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code(), report, stderr)
}

#[test]
fn the_live_audit_log_is_read_page_by_page_over_the_window() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    rt.block_on(mock_org(&server, pat_without_expiry()));
    rt.block_on(mock_audit_log(&server));
    let (code, report, stderr) = run_audit(&server, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(report["errors"], json!([]), "{:#}", report["errors"]);
    // Both pages read: the example's users and the PAT of page 2, joined to its grant.
    assert_eq!(activity_of(&report, "github:user:octocat")["events"], 2);
    let pat = activity_of(&report, "github:token:98716");
    assert_eq!(pat["identity"], "github:pat:98716");
    // A fine-grained PAT is a person's token: an agent CLI on it is NHI-ACT-005.
    let act5 = findings_of(&report, "NHI-ACT-005");
    assert!(
        act5.iter().any(|f| f["subject"] == "github:pat:98716"),
        "{:#}",
        report["findings"]
    );

    let requests = rt.block_on(server.received_requests()).unwrap();
    let audit: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == format!("/orgs/{ORG}/audit-log"))
        .cloned()
        .collect();
    assert_eq!(audit.len(), 2, "two pages");
    let q = |r: &wiremock::Request, k: &str| {
        r.url
            .query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    // 90 days before the clock; Git events too; 100 a page.
    assert_eq!(
        q(&audit[0], "phrase").as_deref(),
        Some("created:>=2024-03-03")
    );
    assert_eq!(q(&audit[0], "include").as_deref(), Some("all"));
    assert_eq!(q(&audit[0], "per_page").as_deref(), Some("100"));
    assert_eq!(q(&audit[1], "after").as_deref(), Some("MS42NzE="));
    check_against_ghec_openapi(&audit);

    // The export keeps the entries; scanned offline, the same records, joined the same.
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .env("GITHUB_TOKEN", TOKEN)
        .env("NHI_AUDIT_NOW", "2024-06-01T00:00:00Z")
        .args(["export", "github", "--output"])
        .arg(dir.path())
        .args([
            "--github-org",
            ORG,
            "--github-audit-log",
            "--github-api-url",
        ])
        .arg(server.uri())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let offline = scan_json(&[dir.path()], &["--scope", "all"]);
    assert_eq!(
        report["inventory"]["activity"], offline["inventory"]["activity"],
        "live and offline"
    );
}

#[test]
fn the_audit_log_page_cap_is_a_warning_and_the_newest_pages_are_kept() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    rt.block_on(mock_org(&server, pat_without_expiry()));
    rt.block_on(mock_audit_log(&server));
    let (code, report, stderr) = run_audit(&server, &["--github-audit-log-max-pages", "1"]);
    assert_eq!(code, Some(0), "{stderr}");
    let warnings = report["warnings"].to_string() + &report["inventory"]["warnings"].to_string();
    assert!(
        warnings.contains("GET /orgs/octo-org/audit-log")
            && warnings.contains("older entries were not read"),
        "{warnings}"
    );
    assert_eq!(activity_of(&report, "github:user:octocat")["events"], 2);
    let principals = report["inventory"]["activity"].to_string();
    assert!(!principals.contains("github:token:98716"), "{principals}");
}

#[test]
fn an_org_without_the_audit_log_api_is_an_error_naming_the_call_and_the_rest_goes_on() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    rt.block_on(mock_org(&server, pat_without_expiry()));
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/audit-log")))
            .respond_with(ResponseTemplate::new(404).set_body_json(json!({
                "message": "Not Found",
                "documentation_url": "https://docs.github.com/enterprise-cloud@latest/rest/orgs/orgs#get-the-audit-log-for-an-organization",
                "status": "404"
            })))
            .mount(&server),
    );
    let (code, report, _) = run_audit(&server, &[]);
    assert_eq!(code, Some(3), "a call that failed makes the result partial");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["location"], "GET /orgs/octo-org/audit-log");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("404") && message.contains("GitHub Enterprise Cloud"),
        "{message}"
    );
    // The rest of the crawl went on.
    assert!(!findings_of(&report, "NHI-GH-001").is_empty());
}
