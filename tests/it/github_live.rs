//! The live GitHub source against a local `wiremock` server that answers with GitHub's
//! own documented example responses (`fixtures/github-api/`, from `@octokit/openapi`),
//! arranged into scenarios: several pages of repositories, an AI app installed with
//! `contents: write` on all repositories, a PAT without expiry, a secondary rate limit,
//! a 502 that succeeds on retry, and a PAT endpoint that answers 403.
//!
//! Every request the crawl sends is recorded and checked against the paths and query
//! parameters of GitHub's OpenAPI description (`NHI_GITHUB_OPENAPI`, installed by
//! `scripts/test.sh`). The token never appears in any output.

use std::collections::BTreeSet;
use std::path::Path;

use base64::Engine;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::{bin, crate_dir, findings_of};

pub(crate) const TOKEN: &str = "ghp_TESTtokenNEVERprinted0123456789abcd";
pub(crate) const ORG: &str = "octo-org";

pub(crate) fn example(name: &str) -> Value {
    let p = crate_dir().join("fixtures/github-api").join(name);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

const CLAUDE_WORKFLOW: &str = "name: Claude\non:\n  issue_comment:\n    types: [created]\njobs:\n  claude:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: anthropics/claude-code-action@v1\n        with:\n          anthropic_api_key: ${{ secrets.ANTHROPIC_API_KEY }}\n";

fn repo_item(name: &str) -> Value {
    let mut r = example("minimal-repository-items.json")[0].clone();
    r["name"] = json!(name);
    r["full_name"] = json!(format!("{ORG}/{name}"));
    r["owner"]["login"] = json!(ORG);
    r["html_url"] = json!(format!("https://github.com/{ORG}/{name}"));
    r
}

async fn ok(server: &MockServer, p: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path(p))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// An organisation of three repositories served in three pages. `pats` answers the
/// PAT endpoint.
pub(crate) async fn mock_org(server: &MockServer, pats: ResponseTemplate) {
    let base = server.uri();
    let repos = ["alpha", "beta", "gamma"];
    for (i, name) in repos.iter().enumerate() {
        let page = i + 1;
        let mut resp = ResponseTemplate::new(200).set_body_json(json!([repo_item(name)]));
        if page < repos.len() {
            resp = resp.insert_header(
                "link",
                format!(
                    "<{base}/orgs/{ORG}/repos?per_page=100&page={}>; rel=\"next\", <{base}/orgs/{ORG}/repos?per_page=100&page=3>; rel=\"last\"",
                    page + 1
                ),
            );
        }
        let m = Mock::given(method("GET")).and(path(format!("/orgs/{ORG}/repos")));
        let m = if page == 1 {
            m.and(query_param_is_missing("page"))
        } else {
            m.and(query_param("page", page.to_string()))
        };
        m.respond_with(resp).mount(server).await;
    }

    // The AI app: GitHub's example installation, made Claude's with contents: write on
    // every repository. Its first answer is a secondary rate limit.
    let mut installations = example("installation-paginated.json");
    let inst = &mut installations["installations"][0];
    inst["app_slug"] = json!("claude");
    inst["repository_selection"] = json!("all");
    inst["permissions"]["contents"] = json!("write");
    Mock::given(method("GET"))
        .and(path(format!("/orgs/{ORG}/installations")))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    ok(server, &format!("/orgs/{ORG}/installations"), installations).await;

    // Org secrets: a 502 first, then GitHub's example.
    Mock::given(method("GET"))
        .and(path(format!("/orgs/{ORG}/actions/secrets")))
        .respond_with(ResponseTemplate::new(502).set_body_string("Bad Gateway"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    ok(
        server,
        &format!("/orgs/{ORG}/actions/secrets"),
        example("organization-actions-secret-paginated.json"),
    )
    .await;
    // GH_TOKEN is visible to `selected` repositories: one of ours.
    ok(
        server,
        &format!("/orgs/{ORG}/actions/secrets/GH_TOKEN/repositories"),
        json!({"total_count": 1, "repositories": [repo_item("alpha")]}),
    )
    .await;
    ok(
        server,
        &format!("/orgs/{ORG}/actions/permissions/workflow"),
        example("actions-default-workflow-permissions.json"),
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("/orgs/{ORG}/personal-access-tokens")))
        .respond_with(pats)
        .mount(server)
        .await;

    let mut secrets = example("actions-secret-paginated.json");
    secrets["secrets"][0]["name"] = json!("ANTHROPIC_API_KEY");
    let workflows = example("workflow-paginated.json");
    // The contents API's file object, carrying our workflow (base64 with line breaks, as
    // GitHub sends it).
    let mut content = example("content-file-response-if-content-is-a-file.json");
    let encoded = base64::engine::general_purpose::STANDARD.encode(CLAUDE_WORKFLOW);
    let wrapped: Vec<String> = encoded
        .as_bytes()
        .chunks(60)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    content["content"] = json!(wrapped.join("\n"));
    for name in repos {
        let r = format!("/repos/{ORG}/{name}");
        ok(
            server,
            &format!("{r}/keys"),
            example("deploy-key-items.json"),
        )
        .await;
        ok(server, &format!("{r}/actions/secrets"), secrets.clone()).await;
        ok(
            server,
            &format!("{r}/actions/permissions/workflow"),
            example("actions-default-workflow-permissions.json"),
        )
        .await;
        ok(server, &format!("{r}/actions/workflows"), workflows.clone()).await;
        for w in workflows["workflows"].as_array().unwrap() {
            let p = w["path"].as_str().unwrap();
            ok(server, &format!("{r}/contents/{p}"), content.clone()).await;
        }
    }
}

pub(crate) fn pat_without_expiry() -> ResponseTemplate {
    let mut pats = example("org-pat-grant-paginated.json");
    pats[0]["token_expires_at"] = Value::Null;
    ResponseTemplate::new(200).set_body_json(pats)
}

/// Runs the CLI with the token in the environment and returns (exit code, stdout, stderr).
pub(crate) fn run(args: &[&str], server: &MockServer) -> (Option<i32>, String, String) {
    let out = bin()
        .env("GITHUB_TOKEN", TOKEN)
        .args(args)
        .args(["--github-org", ORG, "--github-api-url"])
        .arg(server.uri())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "the token was printed"
    );
    (out.status.code(), stdout, stderr)
}

#[test]
fn crawl_of_an_org_with_pages_rate_limits_and_retries() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    rt.block_on(mock_org(&server, pat_without_expiry()));

    let (code, stdout, stderr) = run(
        &[
            "scan",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--scope",
            "all",
        ],
        &server,
    );
    assert_eq!(code, Some(0), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["errors"], json!([]), "{:#}", report["errors"]);
    assert_eq!(report["partial"], false);

    // Every page of repositories was read: each repo's workflow was analysed.
    let agents: BTreeSet<&str> = report["inventory"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect();
    for name in ["alpha", "beta", "gamma"] {
        let id = format!("repo:github:{ORG}/{name}/.github/workflows/blank.yaml#/jobs/claude");
        assert!(agents.contains(id.as_str()), "{id} not in {agents:?}");
    }
    assert!(agents.contains("github:app:octo-org/claude"), "{agents:?}");

    let app = findings_of(&report, "NHI-GH-001");
    assert_eq!(app.len(), 1, "{:#}", report["findings"]);
    assert!(app[0]["message"].as_str().unwrap().contains("contents"));
    let pat = findings_of(&report, "NHI-GH-002");
    assert_eq!(pat.len(), 1);
    assert_eq!(pat[0]["subject"], "github:pat:98716");

    // The workflow's ANTHROPIC_API_KEY met the repository secret and got its dates.
    let cred = report["inventory"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "github-secret:github:octo-org/alpha/ANTHROPIC_API_KEY")
        .expect("the referenced secret");
    assert_eq!(cred["created_at"], "2019-08-10T14:59:22Z");
    assert!(!findings_of(&report, "NHI-GH-006").is_empty());

    let requests = rt.block_on(server.received_requests()).unwrap();
    // One 403 with retry-after and one 502 were retried.
    let count = |p: &str| requests.iter().filter(|r| r.url.path() == p).count();
    assert_eq!(count("/orgs/octo-org/installations"), 2);
    assert_eq!(count("/orgs/octo-org/actions/secrets"), 2);
    assert_eq!(count("/orgs/octo-org/repos"), 3);
    assert!(requests.iter().all(|r| {
        r.headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some(&format!("Bearer {TOKEN}"))
    }));
    check_against_openapi(&requests);

    // Export, then scan the export offline: the same inventory.
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(
        &["export", "github", "--output", dir.path().to_str().unwrap()],
        &server,
    );
    assert_eq!(code, Some(0), "{stderr}");
    let bundle = std::fs::read_to_string(dir.path().join("github-export.json")).unwrap();
    assert!(!bundle.contains(TOKEN));
    assert!(bundle.contains("\"schema\": \"nhi-audit/github-export/v1\""));
    let offline = crate::common::scan_json(&[dir.path()], &["--scope", "all"]);
    let ids = |r: &Value, k: &str| -> BTreeSet<String> {
        r["inventory"][k]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    for k in ["agents", "identities", "credentials"] {
        assert_eq!(ids(&report, k), ids(&offline, k), "{k}");
    }
}

#[test]
fn a_refused_pat_endpoint_is_a_partial_result_naming_the_permission() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    let forbidden = ResponseTemplate::new(403).set_body_json(json!({
        "message": "Resource not accessible by personal access token",
        "documentation_url": "https://docs.github.com/rest/orgs/personal-access-tokens#list-fine-grained-personal-access-tokens-with-access-to-organization-resources",
        "status": "403"
    }));
    rt.block_on(mock_org(&server, forbidden));
    let (code, stdout, stderr) = run(&["scan", "--format", "json"], &server);
    assert_eq!(code, Some(3), "a refused endpoint makes the result partial");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["partial"], true);
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["source"], "github");
    assert_eq!(
        errors[0]["location"],
        "GET /orgs/octo-org/personal-access-tokens"
    );
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("403")
            && message.contains("\"Personal access tokens\" organization permission"),
        "{message}"
    );
    // The rest of the crawl went on.
    assert!(!findings_of(&report, "NHI-GH-001").is_empty());
    assert!(stderr.contains("1 read errors"), "{stderr}");
}

#[test]
fn a_missing_token_is_a_usage_error() {
    let out = bin()
        .env_remove("GITHUB_TOKEN")
        .env_remove("NHI_TEST_GH")
        .args([
            "scan",
            "--github-org",
            ORG,
            "--github-token-env",
            "NHI_TEST_GH",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("set NHI_TEST_GH"));
}

/// GitHub's OpenAPI description, from `@octokit/openapi` (`scripts/test.sh` installs it
/// and sets `NHI_GITHUB_OPENAPI`). Under CI a missing description is a failure.
fn openapi() -> Option<Value> {
    openapi_named(None)
}

/// The description of another GitHub product beside it in the package (`ghec.json`:
/// GitHub Enterprise Cloud, whose API alone has the audit log), or `api.github.com`'s.
fn openapi_named(file: Option<&str>) -> Option<Value> {
    match std::env::var("NHI_GITHUB_OPENAPI") {
        Ok(p) if Path::new(&p).is_file() => {
            let p = match file {
                Some(f) => Path::new(&p).with_file_name(f),
                None => Path::new(&p).to_path_buf(),
            };
            Some(serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        }
        _ if std::env::var_os("CI").is_some() => panic!(
            "NHI_GITHUB_OPENAPI is not set under CI: scripts/test.sh installs @octokit/openapi and sets it"
        ),
        _ => {
            eprintln!(
                "note: NHI_GITHUB_OPENAPI is not set; request paths not checked against GitHub's OpenAPI description (run scripts/test.sh)"
            );
            None
        }
    }
}

/// Each recorded request is a GET of a documented path, with only documented query
/// parameters.
fn check_against_openapi(requests: &[Request]) {
    check_against(requests, openapi());
}

/// [`check_against_openapi`] with GitHub Enterprise Cloud's description: the audit-log
/// API is documented only there.
pub(crate) fn check_against_ghec_openapi(requests: &[Request]) {
    check_against(requests, openapi_named(Some("ghec.json")));
}

fn check_against(requests: &[Request], spec: Option<Value>) {
    let Some(spec) = spec else { return };
    let paths = spec["paths"].as_object().expect("paths");
    let resolve = |p: &Value| -> Value {
        match p["$ref"].as_str() {
            Some(r) => spec
                .pointer(r.trim_start_matches('#'))
                .cloned()
                .unwrap_or(Value::Null),
            None => p.clone(),
        }
    };
    for req in requests {
        assert_eq!(req.method.as_str(), "GET");
        let (template, op) = paths
            .iter()
            .find(|(t, op)| template_matches(t, req.url.path()) && op["get"].is_object())
            .unwrap_or_else(|| panic!("GET {} is not a GitHub REST API call", req.url.path()));
        let get = &op["get"];
        let documented: BTreeSet<String> = get["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(&resolve)
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str().map(str::to_string))
            .collect();
        for (name, _) in req.url.query_pairs() {
            assert!(
                documented.contains(name.as_ref()),
                "{template}: query parameter `{name}` is not documented ({documented:?})"
            );
        }
    }
}

/// `/repos/{owner}/{repo}/contents/{path}` matches `/repos/o/r/contents/.github/x.yml`:
/// a `{path}` parameter spans segments, the others one segment each.
fn template_matches(template: &str, actual: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let a: Vec<&str> = actual.trim_matches('/').split('/').collect();
    if t.last() == Some(&"{path}") {
        return a.len() >= t.len() && segments_match(&t[..t.len() - 1], &a[..t.len() - 1]);
    }
    t.len() == a.len() && segments_match(&t, &a)
}

fn segments_match(t: &[&str], a: &[&str]) -> bool {
    t.iter()
        .zip(a)
        .all(|(t, a)| (t.starts_with('{') && t.ends_with('}') && !a.is_empty()) || t == a)
}

/// A job in an environment: offline its required reviewers are unknown; the GitHub source
/// reads the environment's protection rules (GitHub's documented example: `staging`, with
/// required reviewers) and settles who can start it. An environment that does not exist
/// protects nothing.
#[test]
fn environments_settle_who_can_start_a_job() {
    let workflow = |env: &str| {
        format!(
            "name: Agent\non:\n  issue_comment:\n    types: [created]\njobs:\n  agent:\n    runs-on: ubuntu-latest\n    environment: {env}\n    steps:\n      - run: npx -y @google/gemini-cli -p \"answer\"\n        env:\n          GEMINI_API_KEY: ${{{{ secrets.GEMINI_API_KEY }}}}\n"
        )
    };
    for (env, want) in [("staging", "writers"), ("prod", "anyone")] {
        let rt = runtime();
        let server = rt.block_on(MockServer::start());
        rt.block_on(async {
            ok(
                &server,
                &format!("/orgs/{ORG}/repos"),
                json!([repo_item("alpha")]),
            )
            .await;
            let r = format!("/repos/{ORG}/alpha");
            let mut workflows = example("workflow-paginated.json");
            workflows["workflows"] = json!([workflows["workflows"][0].clone()]);
            workflows["total_count"] = json!(1);
            ok(
                &server,
                &format!("{r}/actions/workflows"),
                workflows.clone(),
            )
            .await;
            let mut content = example("content-file-response-if-content-is-a-file.json");
            content["content"] =
                json!(base64::engine::general_purpose::STANDARD.encode(workflow(env)));
            let p = workflows["workflows"][0]["path"]
                .as_str()
                .unwrap()
                .to_string();
            ok(&server, &format!("{r}/contents/{p}"), content).await;
            ok(
                &server,
                &format!("{r}/environments"),
                example("environments.json"),
            )
            .await;
        });
        let (_, stdout, stderr) = run(
            &[
                "scan",
                "--format",
                "json",
                "--fail-on",
                "none",
                "--allow-partial",
                "--scope",
                "all",
            ],
            &server,
        );
        let report: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
        let agent = report["inventory"]["agents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["facts"]["job"] == "agent")
            .unwrap_or_else(|| panic!("no agent: {report:#}"));
        assert_eq!(
            agent["facts"]["who_can_start"], want,
            "{env}: {:#}",
            agent["facts"]
        );
        let requests = rt.block_on(server.received_requests()).unwrap_or_default();
        assert!(
            requests
                .iter()
                .any(|r| r.url.path() == format!("/repos/{ORG}/alpha/environments")),
            "the environments were read"
        );
        check_against_openapi(&requests);
    }
}
