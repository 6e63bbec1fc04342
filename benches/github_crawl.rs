//! The GitHub crawl against a local `wiremock` server that plays an organisation of N
//! repositories (default 2,000): repositories in pages of 100, an AI app installation,
//! org secrets, and per repository a deploy key list, an Actions secret, the default
//! workflow permissions, one agent workflow and its file through the contents API.
//! Times the crawl one request at a time and with several in flight, optionally with
//! a per-response delay that stands in for network latency, and prints a Markdown table
//! of requests, seconds and requests per second.
//!
//! `cargo bench --bench github_crawl -- --repos 2000 --latency-ms 0,2 --concurrency 1,8,32`
//! (`scripts/bench-github.sh` runs it). Without `--bench` (as `cargo test --all-targets`
//! runs it) it crawls a 20-repository org once, as a smoke test.

// A benchmark prints its numbers and fails loudly.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::time::{Duration, Instant};

use base64::Engine;
use nhi_audit::sources::github::{LiveOptions, crawl, normalize};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ORG: &str = "bench-org";
const WORKFLOW: &str = "name: Claude\non: [issue_comment]\njobs:\n  claude:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: anthropics/claude-code-action@v1\n        with:\n          anthropic_api_key: ${{ secrets.ANTHROPIC_API_KEY }}\n";

/// Answers every call of the crawl from the request path, so one mock serves any size.
struct SyntheticOrg {
    repos: usize,
    base: String,
    delay: Duration,
    content: Value,
}

impl SyntheticOrg {
    fn answer(&self, req: &Request) -> Value {
        let path = req.url.path();
        let page: usize = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        let org = format!("/orgs/{ORG}");
        match path.strip_prefix(&org) {
            Some("/repos") => {
                let start = (page - 1) * 100;
                let end = (start + 100).min(self.repos);
                json!((start..end).map(|i| json!({
                    "id": i, "name": format!("repo-{i:05}"), "full_name": format!("{ORG}/repo-{i:05}"),
                    "owner": {"login": ORG}, "private": i % 2 == 0,
                    "html_url": format!("https://github.com/{ORG}/repo-{i:05}"),
                })).collect::<Vec<_>>())
            }
            Some("/installations") => json!({"total_count": 1, "installations": [{
                "id": 1, "app_id": 1, "app_slug": "claude", "repository_selection": "all",
                "permissions": {"contents": "write", "metadata": "read"}, "events": [],
                "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z", "suspended_at": null
            }]}),
            Some("/actions/secrets") => json!({"total_count": 1, "secrets": [
                {"name": "OPENAI_API_KEY", "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z", "visibility": "all"}
            ]}),
            Some("/actions/permissions/workflow") => {
                json!({"default_workflow_permissions": "read", "can_approve_pull_request_reviews": false})
            }
            Some("/personal-access-tokens") => json!([]),
            _ if path.ends_with("/keys") => json!([]),
            _ if path.ends_with("/actions/secrets") => json!({"total_count": 1, "secrets": [
                {"name": "ANTHROPIC_API_KEY", "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"}
            ]}),
            _ if path.ends_with("/actions/permissions/workflow") => {
                json!({"default_workflow_permissions": "write", "can_approve_pull_request_reviews": false})
            }
            _ if path.ends_with("/actions/workflows") => json!({"total_count": 1, "workflows": [
                {"id": 1, "name": "Claude", "path": ".github/workflows/claude.yml", "state": "active"}
            ]}),
            _ if path.contains("/contents/") => self.content.clone(),
            _ => json!({"message": "Not Found"}),
        }
    }
}

impl Respond for SyntheticOrg {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut resp = ResponseTemplate::new(200)
            .set_body_json(self.answer(req))
            .set_delay(self.delay);
        if req.url.path() == format!("/orgs/{ORG}/repos") {
            let page: usize = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "page")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(1);
            if page * 100 < self.repos {
                resp = resp.insert_header(
                    "link",
                    format!(
                        "<{}/orgs/{ORG}/repos?per_page=100&page={}>; rel=\"next\"",
                        self.base,
                        page + 1
                    ),
                );
            }
        }
        resp
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn list(text: &str) -> Vec<u64> {
    text.split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let full = args.iter().any(|a| a == "--bench");
    let repos: usize = arg(&args, "--repos")
        .and_then(|s| s.parse().ok())
        .unwrap_or(if full { 2000 } else { 20 });
    let latencies = arg(&args, "--latency-ms").map_or(vec![0], |s| list(&s));
    let concurrencies = arg(&args, "--concurrency").map_or(vec![1, 8], |s| list(&s));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let content = json!({
        "type": "file", "encoding": "base64", "path": ".github/workflows/claude.yml",
        "content": base64::engine::general_purpose::STANDARD.encode(WORKFLOW),
    });
    println!("GitHub crawl of an org of {repos} repositories (loopback wiremock)\n");
    println!(
        "| latency per response | requests in flight | requests | seconds | requests/s | identities | agents |"
    );
    println!("|---|---|---|---|---|---|---|");
    for &latency in &latencies {
        let server = rt.block_on(MockServer::builder().disable_request_recording().start());
        rt.block_on(
            Mock::given(method("GET"))
                .respond_with(SyntheticOrg {
                    repos,
                    base: server.uri(),
                    delay: Duration::from_millis(latency),
                    content: content.clone(),
                })
                .mount(&server),
        );
        for &concurrency in &concurrencies {
            let opts = LiveOptions {
                api_url: server.uri(),
                token: Some("bench-token".to_string().into()),
                orgs: vec![ORG.into()],
                concurrency: concurrency as usize,
                ..LiveOptions::default()
            };
            let started = Instant::now();
            let (export, requests) = match crawl(&opts) {
                Ok(r) => r,
                Err(e) => panic!("the crawl could not start: {}", e.message),
            };
            let secs = started.elapsed().as_secs_f64();
            let errors: Vec<_> = export.errors().collect();
            assert!(errors.is_empty(), "{errors:?}");
            let inv = normalize(&export);
            println!(
                "| {latency} ms | {concurrency} | {requests} | {secs:.2} | {:.0} | {} | {} |",
                requests as f64 / secs,
                inv.identities.len(),
                inv.agents.len()
            );
        }
    }
}
