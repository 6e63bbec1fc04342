//! Secrets never leave the process.
//!
//! Fake secrets of many kinds (generated here, deterministically, in each provider's
//! shape) are planted where agents keep them: `.mcp.json` env, args and headers, `.env`,
//! a workflow `with:` input, an AutoGen `OAI_CONFIG_LIST`, a private key file, and a
//! MALFORMED `.mcp.json` (so parse error messages are exercised too). Then every output
//! path is run: `scan` in every format to stdout and to `--output`, `graph`, `--write-baseline`,
//! both scopes, and `inventory` as table and JSON, with `RUST_BACKTRACE=1`.
//!
//! What is proven: no planted value, nor any 8-character piece of its secret part (what
//! follows the well-known prefix), appears in any stdout, stderr or written file, even
//! after squashing out whitespace, table borders and escapes. And so that the test
//! cannot pass by finding nothing: every planted secret IS reported, as a credential of
//! the right kind with an `fp1:` fingerprint, a length-only preview and its location,
//! and as the subject of a finding.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

// Secrets are generated, deterministically: none is stored in the repository.
use crate::common::Rng as Gen;

/// One planted secret.
struct Planted {
    label: &'static str,
    /// The whole value as written in the file.
    value: String,
    /// The secret part: no 8-character piece of it may be printed.
    secret: String,
    /// Credential kinds the tool may report it as.
    kinds: &'static [&'static str],
    /// The file it is planted in, relative to the root.
    file: &'static str,
    /// Whether the preview's length is the value's (a key block's is not).
    check_len: bool,
    /// An identifier rather than a secret (an AWS access key id): it may be shown, as
    /// IAM shows it, because it joins a key found in a config to its IAM user.
    identifier: bool,
}

impl Planted {
    fn new(
        label: &'static str,
        prefix: &str,
        body: String,
        kinds: &'static [&'static str],
        file: &'static str,
    ) -> Self {
        Planted {
            label,
            value: format!("{prefix}{body}"),
            secret: body,
            kinds,
            file,
            check_len: true,
            identifier: false,
        }
    }

    fn identifier(mut self) -> Self {
        self.identifier = true;
        self
    }

    /// The length a preview reports: the whole token for prefixed keys, the password
    /// alone for a URL.
    fn preview_len(&self) -> usize {
        self.value.trim().chars().count()
    }
}

/// Upper- and lower-case letters and digits.
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const DIGITS: &[u8] = b"0123456789";
const BASE64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The secrets, each in the shape its provider issues.
fn plant_secrets() -> Vec<Planted> {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let pem_body: Vec<String> = (0..6).map(|_| g.take(BASE64, 64)).collect();
    let slack = format!(
        "{}-{}-{}",
        g.take(DIGITS, 12),
        g.take(DIGITS, 13),
        g.take(ALNUM, 24)
    );
    vec![
        Planted::new(
            "GitHub PAT in .mcp.json env",
            "ghp_",
            g.take(ALNUM, 36),
            &["github-classic-pat"],
            ".mcp.json",
        ),
        Planted::new(
            "OpenAI key in .mcp.json header",
            "sk-proj-",
            g.take(ALNUM, 48),
            &["openai-api-key"],
            ".mcp.json",
        ),
        Planted::new(
            "Grafana password in .mcp.json env",
            "",
            g.take(ALNUM, 20),
            &["password"],
            ".mcp.json",
        ),
        Planted::new(
            "Slack bot token in .mcp.json env",
            "xoxb-",
            slack,
            &["slack-bot-token"],
            ".mcp.json",
        ),
        Planted::new(
            "database password in an MCP server arg",
            "",
            "S3cretPassw0rd".to_string(),
            &["password", "database-url"],
            ".mcp.json",
        ),
        Planted::new(
            "AWS access key ID in .env",
            "AKIA",
            g.take(UPPER_DIGITS, 16),
            &["aws-access-key-id"],
            ".env",
        )
        .identifier(),
        Planted::new(
            "AWS secret access key in .env",
            "",
            g.take(BASE64, 40),
            &["aws-secret-access-key"],
            ".env",
        ),
        Planted::new(
            "Anthropic key in .env",
            "sk-ant-api03-",
            format!("{}AA", g.take(ALNUM, 93)),
            &["anthropic-api-key"],
            ".env",
        ),
        Planted::new(
            "Anthropic key in a workflow with: input",
            "sk-ant-api03-",
            format!("{}AA", g.take(ALNUM, 93)),
            &["anthropic-api-key"],
            ".github/workflows/agent.yml",
        ),
        Planted::new(
            "OpenAI key in OAI_CONFIG_LIST",
            "sk-proj-",
            g.take(ALNUM, 48),
            &["openai-api-key"],
            "OAI_CONFIG_LIST",
        ),
        Planted::new(
            "GitHub PAT in a malformed .mcp.json",
            "ghp_",
            g.take(ALNUM, 36),
            &["github-classic-pat"],
            "broken/.mcp.json",
        ),
        Planted {
            label: "RSA private key block",
            value: format!(
                "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n",
                pem_body.join("\n")
            ),
            secret: pem_body.join("\n"),
            kinds: &["private-key"],
            file: "deploy/id_rsa",
            check_len: false,
            identifier: false,
        },
    ]
}

/// Secrets written where no credential belongs: a server's name, command and transport,
/// a remote server's URL, an A2A card's name and URL. They need not be reported as
/// credentials, but they reach ids, names and messages, so they must not be printed.
fn stray_secrets() -> Vec<Planted> {
    let mut g = Gen(0xD1B5_4A32_D192_ED03);
    let mut pat = |label| Planted::new(label, "ghp_", g.take(ALNUM, 36), &[], "strays");
    vec![
        pat("GitHub PAT as an MCP server's name"),
        pat("GitHub PAT in an MCP server's command"),
        pat("GitHub PAT as an MCP server's type"),
        pat("GitHub PAT in an MCP server URL's query"),
        pat("GitHub PAT as an MCP server URL's password"),
        pat("GitHub PAT as an A2A card's name"),
        pat("GitHub PAT as an A2A card URL's password"),
    ]
}

/// Writes the stray secrets (see [`stray_secrets`]) under `root/strays`.
fn write_strays(root: &Path, p: &[Planted]) {
    let v = |label: &str| p.iter().find(|s| s.label == label).unwrap().value.clone();
    let mut servers = serde_json::Map::new();
    servers.insert(
        v("GitHub PAT as an MCP server's name"),
        serde_json::json!({
            "command": format!("/opt/tool --token {}", v("GitHub PAT in an MCP server's command")),
            "type": v("GitHub PAT as an MCP server's type"),
        }),
    );
    servers.insert(
        "query".into(),
        serde_json::json!({
            "url": format!("https://mcp.example.net/mcp?api_key={}",
                           v("GitHub PAT in an MCP server URL's query")),
        }),
    );
    servers.insert(
        "userinfo".into(),
        serde_json::json!({
            "url": format!("https://bot:{}@mcp.example.net/mcp",
                           v("GitHub PAT as an MCP server URL's password")),
        }),
    );
    let mcp = serde_json::json!({ "mcpServers": servers });
    write(root, "strays/.mcp.json", &mcp.to_string());
    let card = serde_json::json!({
        "name": v("GitHub PAT as an A2A card's name"),
        "url": format!("https://agent:{}@a2a.example.net/", v("GitHub PAT as an A2A card URL's password")),
        "skills": [],
    });
    write(root, "strays/.well-known/agent.json", &card.to_string());
}

/// Writes the planted secrets into the places agents keep them.
fn secret_tree(p: &[Planted]) -> TempDir {
    let v = |label: &str| p.iter().find(|s| s.label == label).unwrap().value.clone();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let mcp = serde_json::json!({
        "mcpServers": {
            "github": {
                "command": "npx",
                "args": ["-y", "@modelcontextprotocol/server-github"],
                "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": v("GitHub PAT in .mcp.json env") }
            },
            "postgres": {
                "command": "npx",
                "args": ["-y", "@modelcontextprotocol/server-postgres",
                         format!("postgres://user:{}@db/x", v("database password in an MCP server arg"))]
            },
            "remote": {
                "type": "http",
                "url": "https://mcp.example.net/mcp",
                "headers": { "Authorization": format!("Bearer {}", v("OpenAI key in .mcp.json header")) }
            },
            "grafana": {
                "command": "mcp-grafana",
                "env": {
                    "GRAFANA_URL": "https://grafana.example.net",
                    "GRAFANA_PASSWORD": v("Grafana password in .mcp.json env"),
                    "SLACK_BOT_TOKEN": v("Slack bot token in .mcp.json env")
                }
            }
        }
    });
    write(
        root,
        ".mcp.json",
        &serde_json::to_string_pretty(&mcp).unwrap(),
    );
    write(
        root,
        ".env",
        &format!(
            "AWS_ACCESS_KEY_ID={}\nAWS_SECRET_ACCESS_KEY={}\nANTHROPIC_API_KEY=\"{}\"\n",
            v("AWS access key ID in .env"),
            v("AWS secret access key in .env"),
            v("Anthropic key in .env"),
        ),
    );
    write(
        root,
        ".github/workflows/agent.yml",
        &format!(
            "name: agent\non: pull_request\npermissions:\n  contents: read\njobs:\n  review:\n    \
             runs-on: ubuntu-latest\n    steps:\n      - uses: anthropics/claude-code-action@v1\n        \
             with:\n          anthropic_api_key: {}\n",
            v("Anthropic key in a workflow with: input")
        ),
    );
    let oai =
        serde_json::json!([{ "model": "gpt-4o", "api_key": v("OpenAI key in OAI_CONFIG_LIST") }]);
    write(
        root,
        "OAI_CONFIG_LIST",
        &serde_json::to_string_pretty(&oai).unwrap(),
    );
    // Malformed: the secret is unquoted, right where the parser stops.
    write(
        root,
        "broken/.mcp.json",
        &format!(
            "{{\n  \"mcpServers\": {{\n    \"gh\": {{\n      \"command\": \"npx\",\n      \
             \"env\": {{ \"GITHUB_TOKEN\": {} }}\n    }}\n  }}\n}}\n",
            v("GitHub PAT in a malformed .mcp.json")
        ),
    );
    write(root, "deploy/id_rsa", &v("RSA private key block"));
    write_strays(root, &stray_secrets());
    tmp
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

// ---- the runs ---------------------------------------------------------------------------

/// What one run left behind: its arguments, stdout, stderr and the files it wrote.
struct Run {
    args: Vec<String>,
    code: Option<i32>,
    texts: Vec<(String, String)>,
}

/// Every way output leaves the process: each scan format to stdout and to `--output`
/// (with `--write-baseline`), both scopes, and the inventory as table and JSON.
fn all_invocations(out_dir: &Path) -> Vec<(Vec<String>, Vec<PathBuf>)> {
    let strings = |args: &[&str]| args.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let path = |p: &PathBuf| p.display().to_string();
    let mut runs = Vec::new();
    for scope in ["agents", "all"] {
        for format in ["table", "json", "sarif", "markdown"] {
            let base = strings(&[
                "scan",
                ".",
                "--fail-on",
                "none",
                "--scope",
                scope,
                "--format",
                format,
            ]);
            runs.push((base.clone(), Vec::new()));

            let report = out_dir.join(format!("report-{scope}.{format}"));
            let baseline = out_dir.join(format!("baseline-{scope}-{format}.json"));
            let mut args = base;
            args.extend(strings(&[
                "--output",
                &path(&report),
                "--write-baseline",
                &path(&baseline),
            ]));
            runs.push((args, vec![report, baseline]));
        }
        for format in ["table", "json"] {
            let base = strings(&["inventory", ".", "--scope", scope, "--format", format]);
            runs.push((base.clone(), Vec::new()));

            let file = out_dir.join(format!("inventory-{scope}.{format}"));
            let mut args = base;
            args.extend(strings(&["--output", &path(&file)]));
            runs.push((args, vec![file]));
        }
    }
    for format in ["dot", "mermaid"] {
        runs.push((strings(&["graph", ".", "--format", format]), Vec::new()));
    }
    runs
}

/// Runs `nhi-audit` from `root` (in parallel: each run hashes every secret it finds).
fn run_all(root: &Path, invocations: Vec<(Vec<String>, Vec<PathBuf>)>) -> Vec<Run> {
    std::thread::scope(|s| {
        let handles: Vec<_> = invocations
            .into_iter()
            .map(|(args, files)| {
                s.spawn(move || {
                    let out = Command::cargo_bin("nhi-audit")
                        .unwrap()
                        .current_dir(root)
                        .env("RUST_BACKTRACE", "1")
                        .args(&args)
                        .output()
                        .unwrap();
                    let mut texts = vec![
                        (
                            "stdout".to_string(),
                            String::from_utf8_lossy(&out.stdout).into_owned(),
                        ),
                        (
                            "stderr".to_string(),
                            String::from_utf8_lossy(&out.stderr).into_owned(),
                        ),
                    ];
                    for f in files {
                        let text = fs::read_to_string(&f).unwrap_or_else(|e| {
                            panic!("{args:?} did not write {}: {e}", f.display())
                        });
                        texts.push((f.display().to_string(), text));
                    }
                    Run {
                        args,
                        code: out.status.code(),
                        texts,
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

// ---- the checks -------------------------------------------------------------------------

/// What must never be printed: each whole value, and every 8-character window of each
/// line of its secret part.
fn needles(planted: &[Planted]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for p in planted.iter().filter(|p| !p.identifier) {
        out.push((p.label, p.value.trim().to_string()));
        for line in p.secret.lines() {
            let chars: Vec<char> = line.chars().collect();
            for w in chars.windows(8) {
                out.push((p.label, w.iter().collect()));
            }
        }
    }
    out
}

/// The text with whitespace, table borders, ellipses and escapes removed, so a secret
/// wrapped across table lines or escaped by a renderer is still caught.
fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_graphic() && *c != '\\')
        .collect()
}

/// One line per output that holds a planted secret.
fn find_leaks(runs: &[Run], planted: &[Planted]) -> Vec<String> {
    let needles = needles(planted);
    let mut leaks = Vec::new();
    for run in runs {
        for (what, text) in &run.texts {
            let squashed = squash(text);
            for (label, needle) in &needles {
                if text.contains(needle.as_str())
                    || squash(needle).len() >= 8 && squashed.contains(&squash(needle))
                {
                    leaks.push(format!("{label}: `{needle}` in {what} of {:?}", run.args));
                    break;
                }
            }
        }
    }
    leaks
}

fn assert_no_leak(runs: &[Run], planted: &[Planted]) {
    let leaks = find_leaks(runs, planted);
    assert!(
        leaks.is_empty(),
        "planted secrets leaked:\n{}",
        leaks.join("\n")
    );
}

/// The leak check itself catches a secret printed whole, a piece of one, one wrapped
/// across table lines, and one escaped by a renderer; and passes on safe previews.
#[test]
fn leak_check_catches_pieces_wrapped_and_escaped() {
    let planted = plant_secrets();
    let pat = &planted[0].value; // ghp_ + 36
    let aws = &planted
        .iter()
        .find(|p| p.kinds == ["aws-secret-access-key"])
        .unwrap()
        .value;
    let run = |text: String| Run {
        args: vec![],
        code: Some(0),
        texts: vec![("stdout".into(), text)],
    };
    let caught = [
        format!("token {pat} found"),
        format!("partial: {}", &pat[10..20]),
        // Cut into 6-character pieces by table borders: only the squashed text has it.
        format!("│ {} ┆", chunks(pat, 6).join(" ┆\n│ ")),
        // Every character escaped.
        format!(
            "\"{}\"",
            aws.chars().map(|c| format!("\\{c}")).collect::<String>()
        ),
    ];
    for text in caught {
        assert!(
            !find_leaks(&[run(text.clone())], &planted).is_empty(),
            "not caught: {text}"
        );
    }
    let safe = "ghp_…(40 chars) fp1:0123456789abcdef S3c…(14 chars)".to_string();
    assert!(find_leaks(&[run(safe)], &planted).is_empty());
}

#[test]
fn planted_secrets_are_reported_but_never_printed() {
    let planted = plant_secrets();
    let tree = secret_tree(&planted);
    let out_dir = tempfile::tempdir().unwrap();
    let runs = run_all(tree.path(), all_invocations(out_dir.path()));

    for run in &runs {
        assert_eq!(
            run.code,
            Some(0),
            "{:?} failed; stderr:\n{}",
            run.args,
            run.texts[1].1
        );
        assert!(
            !run.texts[0].1.is_empty() || run.texts.len() > 2,
            "{:?} printed and wrote nothing",
            run.args
        );
    }
    assert_no_leak(&runs, &planted);
    assert_no_leak(&runs, &stray_secrets());

    let json_run = runs
        .iter()
        .find(|r| r.args.join(" ") == "scan . --fail-on none --scope all --format json")
        .unwrap();
    let report: Value = serde_json::from_str(&json_run.texts[0].1).expect("JSON report");
    assert_reported(&report, &planted);
    // The strays were read, not skipped: their agents are in the inventory.
    let agents = report["inventory"]["agents"].to_string();
    for file in ["strays/.mcp.json", "strays/.well-known/agent.json"] {
        assert!(agents.contains(file), "no agent from {file}: {agents}");
    }
}

/// An IAM export whose fields hold a token where a name, an id or a policy belongs is
/// rejected with an error naming the file, line and field, and never the value.
#[test]
fn wrong_typed_export_fields_are_named_not_echoed() {
    let mut g = Gen(0x94D0_49BB_1331_11EB);
    let planted: Vec<Planted> = ["UserId", "RoleName", "AssumeRolePolicyDocument"]
        .iter()
        .map(|_| {
            Planted::new(
                "GitHub PAT in a GAAD field",
                "ghp_",
                g.take(ALNUM, 36),
                &[],
                "gaad.json",
            )
        })
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let gaad = serde_json::json!({
        "UserDetailList": [{
            "UserName": "bot", "UserId": { "nested": planted[0].value },
            "Arn": "arn:aws:iam::123456789012:user/bot", "Path": "/",
            "CreateDate": "2024-01-01T00:00:00Z",
        }],
        "RoleDetailList": [{
            "RoleName": [planted[1].value], "RoleId": "AROAEXAMPLE",
            "Arn": "arn:aws:iam::123456789012:role/r", "Path": "/",
            "CreateDate": "2024-01-01T00:00:00Z",
            "AssumeRolePolicyDocument": planted[2].value,
        }],
        "GroupDetailList": [], "Policies": [],
    });
    write(
        tmp.path(),
        "gaad.json",
        &serde_json::to_string_pretty(&gaad).unwrap(),
    );
    let out_dir = tempfile::tempdir().unwrap();
    let runs = run_all(tmp.path(), all_invocations(out_dir.path()));
    assert_no_leak(&runs, &planted);
    let scan = runs
        .iter()
        .find(|r| r.args.join(" ") == "scan . --fail-on none --scope all --format json")
        .unwrap();
    assert_eq!(scan.code, Some(3), "a broken export makes the scan partial");
    let report: Value = serde_json::from_str(&scan.texts[0].1).expect("JSON report");
    let errors = report["errors"].to_string();
    assert!(
        errors.contains("gaad.json:11:") && errors.contains("field `RoleDetailList[0].RoleName`"),
        "the error names the file, line and field: {errors}"
    );
}

/// Each planted secret is a credential of the right kind, with an `fp1:` fingerprint, a
/// preview that gives the length, and its file among its locations; and some finding
/// is about it. The malformed file is also in `errors[]`.
fn assert_reported(report: &Value, planted: &[Planted]) {
    let credentials = report["inventory"]["credentials"]
        .as_array()
        .expect("inventory.credentials[]");
    let findings = report["findings"].as_array().expect("findings[]");
    let mut used = Vec::new();
    for p in planted {
        let found = credentials.iter().find(|c| {
            let kind_ok = c["kind"].as_str().is_some_and(|k| p.kinds.contains(&k));
            let fp_ok = c["fingerprint"]
                .as_str()
                .is_some_and(|f| f.starts_with("fp1:"));
            let preview_ok = c["preview"].as_str().is_some_and(|pv| {
                !p.check_len || pv.ends_with(&format!("({} chars)", p.preview_len()))
            });
            let here = c["locations"]
                .as_array()
                .is_some_and(|ls| ls.iter().any(|l| l["path"].as_str() == Some(p.file)));
            kind_ok && fp_ok && preview_ok && here && !used.contains(&c["id"])
        });
        let Some(cred) = found else {
            panic!(
                "{} ({:?} in {}) is not reported as a credential with an fp1: fingerprint and preview; \
                 credentials:\n{}",
                p.label,
                p.kinds,
                p.file,
                serde_json::to_string_pretty(credentials).unwrap()
            );
        };
        used.push(cred["id"].clone());
        let fingerprint = cred["fingerprint"].as_str().unwrap();
        assert!(
            findings.iter().any(|f| f["subject"] == cred["id"]
                || f["subject"]
                    .as_str()
                    .is_some_and(|s| s.contains(fingerprint))),
            "{}: no finding is about credential {}",
            p.label,
            cred["id"]
        );
    }
    let errors = report["errors"].as_array().expect("errors[]");
    assert!(
        errors.iter().any(|e| e["location"]
            .as_str()
            .is_some_and(|l| l.starts_with("broken/.mcp.json"))),
        "the malformed file should be in errors[]: {errors:?}"
    );
}

fn chunks(s: &str, n: usize) -> Vec<String> {
    s.chars()
        .collect::<Vec<_>>()
        .chunks(n)
        .map(|c| c.iter().collect())
        .collect()
}
