//! The live crawl of GitHub organisations. Calls, per organisation: the app
//! installations, the Actions secrets (and the repositories of each `selected` one), the
//! default workflow permissions, the fine-grained PAT grants and the repositories; per
//! repository: deploy keys, Actions secrets, default workflow permissions, the workflows
//! and each workflow file through the contents API. Repositories are crawled in parallel
//! and the client bounds the requests in flight. A call that fails becomes a source error
//! naming the call and the permission it needs, and the crawl goes on.

use std::sync::Arc;

use base64::Engine;
use futures::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use super::client::{Api, Failure};
use super::export::{GithubExport, OrgExport, RepoExport, WorkflowExport};
use super::{LiveOptions, error};
use crate::model::SourceError;

/// Crawls every organisation of `opts`. Returns the export (with the errors of each
/// organisation inside it) and the number of requests sent; `Err` when the crawl could
/// not start at all.
pub fn crawl(opts: &LiveOptions) -> Result<(GithubExport, u64), SourceError> {
    let run = || match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(crawl_async(opts)),
        Err(e) => Err(error(
            &opts.api_url,
            format!("cannot start the async runtime: {e}"),
        )),
    };
    // A caller already inside a runtime cannot block on another one on the same thread.
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| s.spawn(run).join())
            .unwrap_or_else(|_| Err(error(&opts.api_url, "the crawl panicked")))
    } else {
        run()
    }
}

async fn crawl_async(opts: &LiveOptions) -> Result<(GithubExport, u64), SourceError> {
    let api = Arc::new(Api::new(opts).map_err(|m| error(&opts.api_url, m))?);
    let mut export = GithubExport::new(&opts.api_url);
    for org in &opts.orgs {
        export.orgs.push(crawl_org(&api, org, opts).await);
    }
    Ok((export, api.requests()))
}

/// What a call needs, for the message when it is refused.
fn needs(endpoint: &str) -> &'static str {
    match endpoint {
        "GET /orgs/{org}/installations" => {
            "organization owner; fine-grained token: \"Administration\" organization permission (read); classic token: admin:read scope"
        }
        "GET /orgs/{org}/actions/secrets"
        | "GET /orgs/{org}/actions/secrets/{name}/repositories" => {
            "fine-grained token: \"Secrets\" organization permission (read); classic token: admin:org scope"
        }
        "GET /orgs/{org}/actions/permissions/workflow" => {
            "fine-grained token: \"Administration\" organization permission (read); classic token: admin:org scope"
        }
        "GET /orgs/{org}/personal-access-tokens" => {
            "a GitHub App installation token with the \"Personal access tokens\" organization permission (read); personal tokens cannot list PAT grants"
        }
        "GET /orgs/{org}/repos" => {
            "fine-grained token: \"Metadata\" repository permission (read); classic token: repo scope for private repositories"
        }
        "GET /repos/{owner}/{repo}/keys"
        | "GET /repos/{owner}/{repo}/actions/permissions/workflow" => {
            "fine-grained token: \"Administration\" repository permission (read); classic token: repo scope"
        }
        "GET /repos/{owner}/{repo}/actions/secrets" => {
            "fine-grained token: \"Secrets\" repository permission (read); classic token: repo scope"
        }
        "GET /repos/{owner}/{repo}/actions/workflows" => {
            "fine-grained token: \"Actions\" repository permission (read); classic token: repo scope"
        }
        "GET /repos/{owner}/{repo}/contents/{path}" => {
            "fine-grained token: \"Contents\" repository permission (read); classic token: repo scope"
        }
        _ => "read access to it",
    }
}

/// The source error for a failed call: `location` is the call with its values filled in.
fn failed(endpoint: &str, location: String, failure: Failure) -> SourceError {
    let answer = |status: u16, message: &str| {
        if message.is_empty() {
            status.to_string()
        } else {
            format!("{status}: {message}")
        }
    };
    let message = match failure {
        Failure::Status {
            status: 401,
            message,
        } => format!(
            "the token was rejected ({}): check that it is valid and not expired; results are partial",
            answer(401, &message)
        ),
        Failure::Status {
            status: status @ (403 | 404),
            message,
        } => {
            let what = if status == 403 {
                "forbidden"
            } else {
                "not found, or not visible to the token"
            };
            format!(
                "{what} ({}): needs {}; results are partial",
                answer(status, &message),
                needs(endpoint)
            )
        }
        Failure::Status { status, message } => format!(
            "GitHub answered {}; results are partial",
            answer(status, &message)
        ),
        Failure::RateLimited { wait } => format!(
            "rate limited: GitHub asked to wait {} s, longer than allowed; rerun later (results are partial)",
            wait.as_secs()
        ),
        Failure::Transport(e) => format!("no answer: {e}; results are partial"),
        Failure::Body(e) => format!("unexpected answer: {e}; results are partial"),
    };
    error(&location, message)
}

/// Runs one listing; a failure is recorded and gives `None`.
async fn list(
    api: &Api,
    endpoint: &str,
    path: String,
    key: Option<&str>,
    errors: &mut Vec<SourceError>,
) -> Option<Vec<Value>> {
    let sep = if path.contains('?') { '&' } else { '?' };
    match api.get_all(&format!("{path}{sep}per_page=100"), key).await {
        Ok(items) => Some(items),
        Err(f) => {
            errors.push(failed(endpoint, format!("GET {path}"), f));
            None
        }
    }
}

async fn object(
    api: &Api,
    endpoint: &str,
    path: String,
    errors: &mut Vec<SourceError>,
) -> Option<Value> {
    match api.get_one(&path).await {
        Ok(v) => Some(v),
        Err(f) => {
            errors.push(failed(endpoint, format!("GET {path}"), f));
            None
        }
    }
}

async fn crawl_org(api: &Arc<Api>, org: &str, opts: &LiveOptions) -> OrgExport {
    let o = encode(org);
    let mut e1 = Vec::new();
    let mut e2 = Vec::new();
    let mut e3 = Vec::new();
    let mut e4 = Vec::new();
    let mut e5 = Vec::new();
    let (installations, secrets, permissions, pats, repos) = tokio::join!(
        list(
            api,
            "GET /orgs/{org}/installations",
            format!("/orgs/{o}/installations"),
            Some("installations"),
            &mut e1
        ),
        org_secrets(api, &o, &mut e2),
        object(
            api,
            "GET /orgs/{org}/actions/permissions/workflow",
            format!("/orgs/{o}/actions/permissions/workflow"),
            &mut e3
        ),
        list(
            api,
            "GET /orgs/{org}/personal-access-tokens",
            format!("/orgs/{o}/personal-access-tokens"),
            None,
            &mut e4
        ),
        list(
            api,
            "GET /orgs/{org}/repos",
            format!("/orgs/{o}/repos"),
            None,
            &mut e5
        ),
    );
    let mut errors: Vec<SourceError> = [e1, e2, e3, e4, e5].concat();
    let repos = repos.unwrap_or_default();

    let progress = progress_bar(opts.progress, repos.len() as u64, org);
    let crawled: Vec<(RepoExport, Vec<SourceError>)> = stream::iter(repos)
        .map(|repo| {
            let api = Arc::clone(api);
            let progress = progress.clone();
            async move {
                let out = crawl_repo(&api, org, repo).await;
                progress.inc(1);
                out
            }
        })
        // The client bounds requests in flight; this bounds repositories in progress,
        // so memory stays flat on large organisations.
        .buffered(opts.concurrency.max(1))
        .collect()
        .await;
    progress.finish_and_clear();
    let mut repositories = Vec::with_capacity(crawled.len());
    for (repo, errs) in crawled {
        repositories.push(repo);
        errors.extend(errs);
    }
    OrgExport {
        org: org.to_string(),
        installations,
        actions_secrets: secrets,
        workflow_permissions: permissions,
        personal_access_tokens: pats,
        repositories,
        errors,
    }
}

/// Org secrets; a `selected` one gets the names of its repositories.
async fn org_secrets(api: &Api, o: &str, errors: &mut Vec<SourceError>) -> Option<Vec<Value>> {
    let mut secrets = list(
        api,
        "GET /orgs/{org}/actions/secrets",
        format!("/orgs/{o}/actions/secrets"),
        Some("secrets"),
        errors,
    )
    .await?;
    for secret in &mut secrets {
        if secret.get("visibility").and_then(Value::as_str) != Some("selected") {
            continue;
        }
        let Some(name) = secret.get("name").and_then(Value::as_str) else {
            continue;
        };
        let repos = list(
            api,
            "GET /orgs/{org}/actions/secrets/{name}/repositories",
            format!("/orgs/{o}/actions/secrets/{}/repositories", encode(name)),
            Some("repositories"),
            errors,
        )
        .await;
        if let (Some(repos), Value::Object(m)) = (repos, secret) {
            let names: Vec<Value> = repos
                .iter()
                .filter_map(|r| r.get("name").cloned())
                .collect();
            m.insert("selected_repositories".into(), Value::Array(names));
        }
    }
    Some(secrets)
}

async fn crawl_repo(api: &Api, org: &str, repository: Value) -> (RepoExport, Vec<SourceError>) {
    let name = repository
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let owner = repository
        .pointer("/owner/login")
        .and_then(Value::as_str)
        .unwrap_or(org)
        .to_string();
    let base = format!("/repos/{}/{}", encode(&owner), encode(&name));
    let (mut e1, mut e2, mut e3, mut e4) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (deploy_keys, actions_secrets, workflow_permissions, workflows) = tokio::join!(
        list(
            api,
            "GET /repos/{owner}/{repo}/keys",
            format!("{base}/keys"),
            None,
            &mut e1
        ),
        list(
            api,
            "GET /repos/{owner}/{repo}/actions/secrets",
            format!("{base}/actions/secrets"),
            Some("secrets"),
            &mut e2
        ),
        object(
            api,
            "GET /repos/{owner}/{repo}/actions/permissions/workflow",
            format!("{base}/actions/permissions/workflow"),
            &mut e3
        ),
        list(
            api,
            "GET /repos/{owner}/{repo}/actions/workflows",
            format!("{base}/actions/workflows"),
            Some("workflows"),
            &mut e4
        ),
    );
    let mut errors = [e1, e2, e3, e4].concat();
    let workflows = match workflows {
        Some(list) => {
            let files = list
                .into_iter()
                .map(|w| workflow_file(api, &base, w))
                .collect::<futures::stream::FuturesOrdered<_>>()
                .collect::<Vec<_>>()
                .await;
            let mut out = Vec::with_capacity(files.len());
            for (w, err) in files {
                out.push(w);
                errors.extend(err);
            }
            Some(out)
        }
        None => None,
    };
    (
        RepoExport {
            repository,
            deploy_keys,
            actions_secrets,
            workflow_permissions,
            workflows,
        },
        errors,
    )
}

/// A workflow's file through the contents API. Dynamic workflows (CodeQL default setup,
/// Copilot) have no file under `.github/workflows/` and are listed without content.
async fn workflow_file(
    api: &Api,
    base: &str,
    workflow: Value,
) -> (WorkflowExport, Option<SourceError>) {
    let path = workflow
        .get("path")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !path.starts_with(".github/workflows/") {
        return (
            WorkflowExport {
                workflow,
                content: None,
            },
            None,
        );
    }
    let encoded: Vec<String> = path.split('/').map(encode).collect();
    let location = format!("GET {base}/contents/{path}");
    let result = match api
        .get_one(&format!("{base}/contents/{}", encoded.join("/")))
        .await
    {
        Ok(v) => decode_content(&v).map_err(|m| error(&location, m)),
        Err(f) => Err(failed(
            "GET /repos/{owner}/{repo}/contents/{path}",
            location,
            f,
        )),
    };
    match result {
        Ok(text) => (
            WorkflowExport {
                workflow,
                content: Some(text),
            },
            None,
        ),
        Err(e) => (
            WorkflowExport {
                workflow,
                content: None,
            },
            Some(e),
        ),
    }
}

/// The text of a contents API file object (`encoding: base64`, with line breaks).
fn decode_content(v: &Value) -> Result<String, String> {
    let encoding = v.get("encoding").and_then(Value::as_str).unwrap_or("");
    let content = v.get("content").and_then(Value::as_str).unwrap_or("");
    if encoding != "base64" {
        return Err(format!(
            "the contents API gave encoding `{encoding}` (files over 1 MB are not returned inline); workflow not analysed"
        ));
    }
    let compact: String = content.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|e| {
            format!("the file content is not valid base64 ({e}); workflow not analysed")
        })?;
    String::from_utf8(bytes).map_err(|_| "the workflow file is not UTF-8; not analysed".into())
}

/// Percent-encodes one path segment.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn progress_bar(show: bool, len: u64, org: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} repositories") {
        pb.set_style(style);
    }
    pb.set_message(format!("github {org}"));
    pb
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contents_are_decoded_across_line_breaks() {
        let v = json!({"encoding": "base64", "content": "bmFtZTog\nQ0kK\n"});
        assert_eq!(decode_content(&v).unwrap(), "name: CI\n");
        let big = json!({"encoding": "none", "content": ""});
        assert!(decode_content(&big).unwrap_err().contains("1 MB"));
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode("my repo"), "my%20repo");
        assert_eq!(encode("ci.yml"), "ci.yml");
    }
}
