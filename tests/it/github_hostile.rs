//! The live GitHub crawl against hostile and broken APIs on loopback: next-page links
//! that loop (the same page, a reordered query, page N+1 forever), lead to another host,
//! cannot be parsed or are not URLs; a first byte that never comes, a body drip-fed a
//! byte at a time, a 1 GiB body with and without its length declared, JSON that breaks
//! off, secondary rate limits with and without `retry-after`, a primary limit used up
//! with its reset an hour away, and 5xx forever.
//!
//! `wiremock` plays most of them; a small raw `tokio` server plays what wiremock cannot
//! (a stall, a drip, a body streamed without end). Each case runs the real binary with
//! small `--http-timeout`/`--max-wait` values and proves: it finished, the failure is an
//! `errors[]` entry naming the call (`GET /orgs/hostile/repos`), the results are marked
//! partial (exit 3) while the rest of the crawl went on, and the token — which every
//! hostile server echoes back in links, bodies and messages — appears in no output, whole
//! or as any 8-character piece. No case asserts how long it took.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::bin;

const TOKEN: &str = "ghp_H0stileTESTtokenNEVERprinted987654321";
const ORG: &str = "hostile";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// What a well-behaved API answers: an org with one repository, `alpha`, that holds a
/// write deploy key (so a finished crawl of it is visible in the inventory).
fn quiet(path: &str) -> Option<Value> {
    let last = path.rsplit('/').next().unwrap_or_default();
    Some(match last {
        "installations" => json!({"total_count": 0, "installations": []}),
        "secrets" => json!({"total_count": 0, "secrets": []}),
        "workflow" => {
            json!({"default_workflow_permissions": "read", "can_approve_pull_request_reviews": false})
        }
        "personal-access-tokens" => json!([]),
        "repos" => json!([{
            "id": 1, "name": "alpha", "full_name": format!("{ORG}/alpha"),
            "owner": {"login": ORG}, "private": true,
            "html_url": format!("https://github.com/{ORG}/alpha"),
        }]),
        "keys" => json!([{
            "id": 7, "title": "claude-agent", "read_only": false, "verified": true,
            "created_at": "2024-01-01T00:00:00Z", "last_used": null,
        }]),
        "workflows" => json!({"total_count": 0, "workflows": []}),
        _ => return None,
    })
}

/// The quiet API as a wiremock responder; hostile mocks are mounted with a higher
/// priority over it.
struct Quiet;

impl Respond for Quiet {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        match quiet(req.url.path()) {
            Some(body) => ResponseTemplate::new(200).set_body_json(body),
            None => ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"})),
        }
    }
}

async fn quiet_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(Quiet)
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

/// One run of the binary.
struct Run {
    code: Option<i32>,
    report: Value,
    stderr: String,
}

impl Run {
    fn errors(&self) -> &[Value] {
        self.report["errors"].as_array().map_or(&[], Vec::as_slice)
    }

    /// The error at `location`, whose message must hold every one of `words`.
    fn error_at(&self, location: &str, words: &[&str]) -> &Value {
        let e = self
            .errors()
            .iter()
            .find(|e| e["location"] == location)
            .unwrap_or_else(|| panic!("no error at {location}: {:#?}", self.errors()));
        assert_eq!(e["source"], "github");
        let message = e["message"].as_str().unwrap_or_default();
        for w in words {
            assert!(message.contains(w), "`{w}` not in `{message}`");
        }
        e
    }

    fn has_identity(&self, id: &str) -> bool {
        self.report["inventory"]["identities"]
            .as_array()
            .is_some_and(|ids| ids.iter().any(|i| i["id"] == id))
    }

    /// Partial, and exit code 3: a limit hit is a source that failed.
    fn assert_partial(&self) {
        assert_eq!(self.report["partial"], true);
        assert_eq!(self.code, Some(3), "{}", self.stderr);
    }

    /// The crawl of `alpha` went on, whatever happened elsewhere.
    fn assert_alpha_crawled(&self) {
        assert!(
            self.has_identity(&format!("github:deploy-key:{ORG}/alpha/7")),
            "alpha was not crawled: {:#?}",
            self.errors()
        );
    }
}

/// Scans the org at `api` with the token in the environment; `limits` are flags such as
/// `--http-timeout 1s`. Fails the test if any piece of the token is in any output.
fn scan(api: &str, limits: &[&str]) -> Run {
    let out = bin()
        .env("GITHUB_TOKEN", TOKEN)
        .env("RUST_BACKTRACE", "1")
        .args(["scan", "--format", "json", "--fail-on", "none"])
        .args(["--github-org", ORG, "--github-api-url", api])
        .args(limits)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_no_token(&[("stdout", &stdout), ("stderr", &stderr)]);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("the report is not JSON ({e}); stderr: {stderr}"));
    Run {
        code: out.status.code(),
        report,
        stderr,
    }
}

/// The token whole, or any 8-character piece of what follows `ghp_`, in any text, even
/// with whitespace and escapes squashed out (as `secrets_leak.rs` checks planted
/// secrets).
fn assert_no_token(texts: &[(&str, &str)]) {
    let secret: Vec<char> = TOKEN["ghp_".len()..].chars().collect();
    let squash = |t: &str| -> String {
        t.chars()
            .filter(|c| c.is_ascii_graphic() && *c != '\\')
            .collect()
    };
    for (what, text) in texts {
        let squashed = squash(text);
        assert!(!text.contains(TOKEN), "the token is in {what}");
        for w in secret.windows(8) {
            let piece: String = w.iter().collect();
            assert!(
                !squashed.contains(&piece),
                "a piece of the token (`{piece}`) is in {what}"
            );
        }
    }
}

fn requests_to(requests: &[Request], p: &str) -> usize {
    requests.iter().filter(|r| r.url.path() == p).count()
}

// ---- next-page links ----------------------------------------------------------------

#[test]
fn a_link_back_to_the_same_page_or_a_reordered_one_ends_the_listing() {
    let rt = runtime();
    let server = rt.block_on(quiet_server());
    let base = server.uri();
    let repos = quiet("/repos").unwrap();
    // The repositories: page 1 links to itself.
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/repos")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(&repos)
                    .insert_header(
                        "link",
                        format!("<{base}/orgs/{ORG}/repos?per_page=100>; rel=\"next\""),
                    ),
            )
            .mount(&server),
    );
    // The installations: page 2 links to itself, its parameters reordered.
    let installations = |link: String| {
        ResponseTemplate::new(200)
            .set_body_json(json!({"total_count": 0, "installations": []}))
            .insert_header("link", link)
    };
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/installations")))
            .and(query_param("page", "2"))
            .respond_with(installations(format!(
                "<{base}/orgs/{ORG}/installations?page=2&per_page=100>; rel=\"next\""
            )))
            .with_priority(1)
            .mount(&server),
    );
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/installations")))
            .respond_with(installations(format!(
                "<{base}/orgs/{ORG}/installations?per_page=100&page=2>; rel=\"next\""
            )))
            .with_priority(2)
            .mount(&server),
    );
    let run = scan(&base, &["--http-timeout", "5s", "--max-wait", "2s"]);
    run.assert_partial();
    run.error_at(
        &format!("GET /orgs/{ORG}/repos"),
        &["page 1: its next-page link leads back to an earlier page"],
    );
    let e = run.error_at(
        &format!("GET /orgs/{ORG}/installations"),
        &["page 2:", "leads back to an earlier page"],
    );
    assert!(!e["message"].as_str().unwrap().contains("per_page"));
    // Page 1 of the repositories was kept, and its repository crawled.
    run.assert_alpha_crawled();
    let requests = rt.block_on(server.received_requests()).unwrap();
    assert_eq!(requests_to(&requests, &format!("/orgs/{ORG}/repos")), 1);
    assert_eq!(
        requests_to(&requests, &format!("/orgs/{ORG}/installations")),
        2
    );
}

/// Page N links to page N+1, forever: one installation a page.
struct Endless {
    base: String,
}

impl Respond for Endless {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let page: u64 = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        ResponseTemplate::new(200)
            .set_body_json(json!({"total_count": 1_000_000, "installations": [{
                "id": page, "app_id": 1, "app_slug": "endless", "repository_selection": "selected",
                "permissions": {"metadata": "read"}, "events": [],
            }]}))
            .insert_header(
                "link",
                format!(
                    "<{}/orgs/{ORG}/installations?per_page=100&page={}>; rel=\"next\"",
                    self.base,
                    page + 1
                ),
            )
    }
}

#[test]
fn page_n_plus_one_forever_stops_at_the_page_cap() {
    let rt = runtime();
    let server = rt.block_on(quiet_server());
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/installations")))
            .respond_with(Endless { base: server.uri() })
            .with_priority(1)
            .mount(&server),
    );
    let run = scan(&server.uri(), &["--max-wait", "2s"]);
    run.assert_partial();
    run.error_at(
        &format!("GET /orgs/{ORG}/installations"),
        &["page 1000:", "more than 1000 pages"],
    );
    run.assert_alpha_crawled();
    // The 1,000 pages read are kept.
    let installations = run.report["inventory"]["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["id"]
                .as_str()
                .unwrap()
                .starts_with("github:installation:")
        })
        .count();
    assert_eq!(installations, 1000);
    let requests = rt.block_on(server.received_requests()).unwrap();
    assert_eq!(
        requests_to(&requests, &format!("/orgs/{ORG}/installations")),
        1000
    );
}

#[test]
fn a_link_to_another_host_is_not_followed() {
    let rt = runtime();
    let server = rt.block_on(quiet_server());
    let elsewhere = rt.block_on(MockServer::start());
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/repos")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(quiet("/repos").unwrap())
                    .insert_header(
                        "link",
                        format!(
                            "<{}/orgs/{ORG}/repos?per_page=100&page=2>; rel=\"next\"",
                            elsewhere.uri()
                        ),
                    ),
            )
            .mount(&server),
    );
    let run = scan(&server.uri(), &["--max-wait", "2s"]);
    run.assert_partial();
    let e = run.error_at(&format!("GET /orgs/{ORG}/repos"), &["another host"]);
    let elsewhere_addr = elsewhere.address().to_string();
    assert!(!e["message"].as_str().unwrap().contains(&elsewhere_addr));
    run.assert_alpha_crawled();
    let sent = rt.block_on(elsewhere.received_requests()).unwrap();
    assert!(sent.is_empty(), "a request went to the other host");
}

#[test]
fn a_malformed_link_header_or_a_link_that_is_no_url_is_an_error_that_quotes_neither() {
    let rt = runtime();
    let server = rt.block_on(quiet_server());
    let base = server.uri();
    // Unclosed `<`: the header cannot be read. The listing must not pass for complete.
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/repos")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(quiet("/repos").unwrap())
                    .insert_header(
                        "link",
                        format!("<{base}/orgs/{ORG}/repos?page=2&t={TOKEN}; rel=\"next\""),
                    ),
            )
            .mount(&server),
    );
    // A well-formed header whose next target is not a URL, with the token inside it.
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/personal-access-tokens")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!([]))
                    .insert_header("link", format!("<ht tp://{TOKEN} /x>; rel=\"next\"")),
            )
            .with_priority(1)
            .mount(&server),
    );
    let run = scan(&base, &["--max-wait", "2s"]);
    run.assert_partial();
    let bad = run.error_at(
        &format!("GET /orgs/{ORG}/repos"),
        &["page 1: its Link header cannot be read"],
    );
    let not_url = run.error_at(
        &format!("GET /orgs/{ORG}/personal-access-tokens"),
        &["next-page link is not a URL"],
    );
    for e in [bad, not_url] {
        let m = e["message"].as_str().unwrap();
        assert!(!m.contains("ht tp") && !m.contains("page=2"), "{m}");
    }
    run.assert_alpha_crawled();
}

// ---- answers ------------------------------------------------------------------------

#[test]
fn malformed_json_is_an_error_with_its_line_and_column_not_its_text() {
    let rt = runtime();
    let server = rt.block_on(quiet_server());
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/installations")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_string(format!("{{\"installations\": [\"{TOKEN}\", nul")),
            )
            .with_priority(1)
            .mount(&server),
    );
    let run = scan(&server.uri(), &["--max-wait", "2s"]);
    run.assert_partial();
    run.error_at(
        &format!("GET /orgs/{ORG}/installations"),
        &["not JSON", "line 1, column"],
    );
    run.assert_alpha_crawled();
}

#[test]
fn a_token_echoed_in_answers_is_scrubbed_from_the_report_and_the_export() {
    let rt = runtime();
    let server = rt.block_on(quiet_server());
    let mut repos = quiet("/repos").unwrap();
    repos[0]["description"] = json!(format!("deployed with {TOKEN}"));
    repos[0][TOKEN] = json!(TOKEN);
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/repos")))
            .respond_with(ResponseTemplate::new(200).set_body_json(repos))
            .mount(&server),
    );
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/installations")))
            .respond_with(
                ResponseTemplate::new(401)
                    .set_body_json(json!({"message": format!("Bad credentials: {TOKEN}")})),
            )
            .with_priority(1)
            .mount(&server),
    );
    let run = scan(&server.uri(), &["--max-wait", "2s"]);
    run.assert_partial();
    run.error_at(
        &format!("GET /orgs/{ORG}/installations"),
        &["token was rejected (401)"],
    );
    run.assert_alpha_crawled();

    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .env("GITHUB_TOKEN", TOKEN)
        .args(["export", "github", "--github-org", ORG, "--github-api-url"])
        .arg(server.uri())
        .arg("--output")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let export = std::fs::read_to_string(dir.path().join("github-export.json")).unwrap();
    assert!(export.contains("deployed with [redacted]"), "{export}");
    assert_no_token(&[
        ("export", &export),
        ("export stdout", &String::from_utf8_lossy(&out.stdout)),
        ("export stderr", &String::from_utf8_lossy(&out.stderr)),
    ]);
}

// ---- rate limits and failures -------------------------------------------------------

fn forbidden(message: &str) -> ResponseTemplate {
    ResponseTemplate::new(403).set_body_json(json!({
        "message": format!("{message} ({TOKEN})"),
        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
    }))
}

#[test]
fn a_secondary_rate_limit_without_retry_after_that_does_not_fit_fails_at_once() {
    let rt = runtime();
    let server = rt.block_on(quiet_server());
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/installations")))
            .respond_with(forbidden("You have exceeded a secondary rate limit"))
            .with_priority(1)
            .mount(&server),
    );
    let run = scan(&server.uri(), &["--max-wait", "2s"]);
    run.assert_partial();
    run.error_at(
        &format!("GET /orgs/{ORG}/installations"),
        &["asks to wait 60 s", "more than the 2 s left of --max-wait"],
    );
    // Waiting in vain helps no one: nothing waited, and what came after was not sent.
    assert!(!run.stderr.contains("waiting"), "{}", run.stderr);
    let requests = rt.block_on(server.received_requests()).unwrap();
    assert_eq!(
        requests_to(&requests, &format!("/orgs/{ORG}/installations")),
        1
    );
    assert_eq!(
        requests_to(&requests, &format!("/repos/{ORG}/alpha/keys")),
        0
    );
    run.error_at(
        &format!("GET /repos/{ORG}/…"),
        &[
            "1 repository not crawled",
            "more than is left of --max-wait",
        ],
    );
}

#[test]
fn secondary_rate_limits_with_retry_after_wait_within_the_budget_and_say_so_in_a_few_lines() {
    let rt = runtime();
    let server = rt.block_on(quiet_server());
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/installations")))
            .respond_with(
                forbidden("You have exceeded a secondary rate limit")
                    .insert_header("retry-after", "1"),
            )
            .with_priority(1)
            .mount(&server),
    );
    let run = scan(&server.uri(), &["--max-wait", "6s"]);
    run.assert_partial();
    run.error_at(
        &format!("GET /orgs/{ORG}/installations"),
        &["rate limited", "--max-wait"],
    );
    // Six waits of a second fit the budget; the seventh did not. Five are shown, then one
    // line says more follow: not one line per wait.
    let requests = rt.block_on(server.received_requests()).unwrap();
    assert_eq!(
        requests_to(&requests, &format!("/orgs/{ORG}/installations")),
        7
    );
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("github: "))
        .collect();
    assert_eq!(lines.len(), 6, "{}", run.stderr);
    assert_eq!(
        lines[0],
        format!("github: waiting 1 s (secondary rate limit) after GET /orgs/{ORG}/installations")
    );
    assert_eq!(lines[5], "github: more waits follow, not shown");
}

#[test]
fn a_primary_limit_used_up_until_an_hour_away_stops_the_crawl_politely() {
    let rt = runtime();
    let server = rt.block_on(quiet_server());
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let limited = |r: ResponseTemplate| {
        r.insert_header("x-ratelimit-remaining", "0")
            .insert_header("x-ratelimit-reset", reset.to_string().as_str())
    };
    // The listing of repositories is the window's last request: it is good, but nothing
    // may follow it for an hour.
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/repos")))
            .respond_with(limited(
                ResponseTemplate::new(200).set_body_json(quiet("/repos").unwrap()),
            ))
            .mount(&server),
    );
    rt.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/orgs/{ORG}/installations")))
            .respond_with(limited(forbidden("API rate limit exceeded")))
            .with_priority(1)
            .mount(&server),
    );
    let run = scan(&server.uri(), &["--max-wait", "2s"]);
    run.assert_partial();
    run.error_at(
        &format!("GET /orgs/{ORG}/installations"),
        &["rate limited", "more than the 2 s left of --max-wait"],
    );
    run.error_at(
        &format!("GET /repos/{ORG}/…"),
        &[
            "1 repository not crawled",
            "GitHub's rate limit asks to wait",
        ],
    );
    // The repository listed is in the inventory; none of its calls was sent.
    let requests = rt.block_on(server.received_requests()).unwrap();
    assert!(
        requests
            .iter()
            .all(|r| !r.url.path().starts_with("/repos/")),
        "a request was sent after the limit was used up"
    );
}

#[test]
fn server_errors_forever_are_retried_within_the_budget_then_reported() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    rt.block_on(
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(503)
                    .set_body_string(format!("<html>upstream {TOKEN} down</html>")),
            )
            .mount(&server),
    );
    let run = scan(&server.uri(), &["--max-wait", "1s"]);
    run.assert_partial();
    for call in [
        "installations",
        "actions/secrets",
        "actions/permissions/workflow",
        "personal-access-tokens",
        "repos",
    ] {
        run.error_at(&format!("GET /orgs/{ORG}/{call}"), &["GitHub answered 503"]);
    }
    // Retries stopped when the budget was spent, well before 5 attempts each.
    let requests = rt.block_on(server.received_requests()).unwrap();
    assert!(requests.len() < 5 * 5, "{} requests", requests.len());
}

// ---- a raw server: stalls, drips, endless bodies ------------------------------------

/// How the raw server answers a path.
#[derive(Clone, Copy)]
enum Behaviour {
    /// The quiet API's answer.
    Quiet,
    /// Reads the request, then sends nothing (for at most 30 s).
    Stall,
    /// Headers promising 10,000 bytes, then one byte every 50 ms.
    Drip,
    /// 1 GiB of a JSON array, with or without `content-length`.
    Huge { declared: bool },
}

/// A loopback HTTP/1.1 server, one answer per connection, that counts the body bytes it
/// managed to write. It stops with its runtime, at the end of the test.
struct RawServer {
    url: String,
    written: Arc<AtomicU64>,
    _rt: tokio::runtime::Runtime,
}

const GIB: u64 = 1 << 30;

fn raw_server(route: fn(&str) -> Behaviour) -> RawServer {
    let rt = runtime();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().unwrap());
    let written = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&written);
    rt.spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(serve(socket, route, counter));
        }
    });
    RawServer {
        url,
        written,
        _rt: rt,
    }
}

async fn serve(
    mut socket: tokio::net::TcpStream,
    route: fn(&str) -> Behaviour,
    written: Arc<AtomicU64>,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 << 10 {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&head);
    let target = text.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/").to_string();
    match route(&path) {
        Behaviour::Quiet => {
            let (status, body) = match quiet(&path) {
                Some(b) => ("200 OK", b.to_string()),
                None => ("404 Not Found", "{\"message\":\"Not Found\"}".to_string()),
            };
            let resp = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(resp.as_bytes()).await;
        }
        Behaviour::Stall => tokio::time::sleep(Duration::from_secs(30)).await,
        Behaviour::Drip => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10000\r\nconnection: close\r\n\r\n";
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for _ in 0..10_000 {
                if socket.write_all(b" ").await.is_err() || socket.flush().await.is_err() {
                    return;
                }
                written.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Behaviour::Huge { declared } => {
            let length = if declared {
                format!("content-length: {GIB}\r\n")
            } else {
                String::new()
            };
            // Without a length the body runs to the end of the connection.
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{length}connection: close\r\n\r\n["
            );
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = format!("{{\"id\":1,\"name\":\"{TOKEN}\"}},").repeat(1024);
            let mut sent = 0u64;
            while sent < GIB {
                if socket.write_all(chunk.as_bytes()).await.is_err() {
                    return;
                }
                sent += chunk.len() as u64;
                written.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
        }
    }
}

#[test]
fn a_first_byte_that_never_comes_times_out_and_stops_the_crawl() {
    let server = raw_server(|_| Behaviour::Stall);
    let run = scan(&server.url, &["--http-timeout", "1s", "--max-wait", "1s"]);
    run.assert_partial();
    for call in ["installations", "repos", "personal-access-tokens"] {
        let location = format!("GET /orgs/{ORG}/{call}");
        let e = run
            .errors()
            .iter()
            .find(|e| e["location"] == location.as_str())
            .unwrap_or_else(|| panic!("no error at {location}: {:#?}", run.errors()));
        let m = e["message"].as_str().unwrap();
        assert!(
            m.contains("no complete answer within --http-timeout (1 s)")
                || m.contains("not sent: the API stopped answering"),
            "{m}"
        );
    }
}

#[test]
fn a_drip_fed_body_is_cut_off_at_the_deadline() {
    let server = raw_server(|p| {
        if p == "/orgs/hostile/repos" {
            Behaviour::Drip
        } else {
            Behaviour::Quiet
        }
    });
    let run = scan(&server.url, &["--http-timeout", "1s", "--max-wait", "1s"]);
    run.assert_partial();
    run.error_at(
        &format!("GET /orgs/{ORG}/repos"),
        &["no complete answer within --http-timeout (1 s)"],
    );
    // The rest of the org was read.
    assert_eq!(run.errors().len(), 1, "{:#?}", run.errors());
    // Far fewer than the 10,000 bytes promised were waited for.
    assert!(server.written.load(Ordering::Relaxed) < 10_000);
}

#[test]
fn a_huge_body_is_read_up_to_the_cap_and_no_further() {
    let server = raw_server(|p| match p {
        "/orgs/hostile/repos" => Behaviour::Huge { declared: false },
        "/orgs/hostile/personal-access-tokens" => Behaviour::Huge { declared: true },
        _ => Behaviour::Quiet,
    });
    let run = scan(&server.url, &["--http-timeout", "30s", "--max-wait", "1s"]);
    run.assert_partial();
    for call in ["repos", "personal-access-tokens"] {
        run.error_at(
            &format!("GET /orgs/{ORG}/{call}"),
            &["larger than 8 MiB; not read further"],
        );
    }
    // The client hung up near the cap: of the 2 GiB offered, little more than 8 MiB (and
    // what the sockets buffer) was written.
    let written = server.written.load(Ordering::Relaxed);
    assert!(written < 256 << 20, "{written} bytes written");
}
