//! The live crawl of GitHub organisations. Calls, per organisation: the app
//! installations, the Actions secrets (and the repositories of each `selected` one), the
//! default workflow permissions, the fine-grained PAT grants and the repositories; per
//! repository: deploy keys, Actions secrets, default workflow permissions, the workflows
//! and each workflow file through the contents API. Repositories are crawled in parallel
//! and the client bounds the requests in flight. A call that fails becomes a source error
//! naming the call and the permission it needs, and the crawl goes on; once the client
//! has stopped sending (a rate limit longer than the wait budget, an API that stopped
//! answering), the repositories not yet crawled are one error, not one per call.

use std::sync::Arc;

use base64::Engine;
use futures::stream::{self, StreamExt};
use serde_json::Value;

use super::LiveOptions;
use super::client::{Api, Failure, Listing, PER_PAGE};
use super::export::{GithubExport, OrgExport, RepoExport, WorkflowExport};
use super::progress::Status;
use crate::model::SourceError;
use crate::model::SourceKind;

/// Crawls every organisation of `opts`. Returns the export (with the errors of each
/// organisation inside it) and the number of requests sent; `Err` when the crawl could
/// not start at all.
pub fn crawl(opts: &LiveOptions) -> Result<(GithubExport, u64), SourceError> {
    crate::sources::block_on(
        || crawl_async(opts),
        |why| Err(SourceKind::Github.error(&opts.api_url, why)),
    )
}

async fn crawl_async(opts: &LiveOptions) -> Result<(GithubExport, u64), SourceError> {
    let status = Arc::new(Status::new(opts.progress));
    let api = Arc::new(
        Api::new(opts, Arc::clone(&status))
            .map_err(|m| SourceKind::Github.error(&opts.api_url, m.to_string()))?,
    );
    let mut export = GithubExport::new(&opts.api_url);
    for org in &opts.orgs {
        export.orgs.push(crawl_org(&api, &status, org, opts).await);
    }
    status.finish();
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
        "GET /repos/{owner}/{repo}/environments" => {
            "fine-grained token: \"Actions\" repository permission (read); classic token: repo scope"
        }
        "GET /orgs/{org}/audit-log" => {
            "GitHub Enterprise Cloud (other plans have no audit-log API) and an organization owner; classic token: read:audit_log scope"
        }
        "GET /repos/{owner}/{repo}/contents/{path}" => {
            "fine-grained token: \"Contents\" repository permission (read); classic token: repo scope"
        }
        _ => "read access to it",
    }
}

/// The source error for a failed call: `location` is the call with its values filled
/// in, `page` the page of a listing that failed (from 1).
fn failed(endpoint: &str, location: String, page: usize, failure: Failure) -> SourceError {
    let name_page = page > 1 || failure.about_page();
    let message = match failure {
        Failure::Status { status: 401 } => {
            "the token was rejected (401): check that it is valid and not expired; results are partial".to_string()
        }
        Failure::Status {
            status: status @ (403 | 404),
        } => {
            let what = if status == 403 {
                "forbidden"
            } else {
                "not found, or not visible to the token"
            };
            format!(
                "{what} ({status}): needs {}; results are partial",
                needs(endpoint)
            )
        }
        Failure::RateLimited { .. } | Failure::TooManyWaits => {
            format!("{failure}; rerun later, or allow more with --max-wait (results are partial)")
        }
        Failure::Timeout(_) => {
            format!("{failure}; a slow API may need a longer --http-timeout (results are partial)")
        }
        other => format!("{other}; results are partial"),
    };
    let message = if name_page {
        format!("page {page}: {message}")
    } else {
        message
    };
    SourceKind::Github.error(&location, message)
}

/// Runs one listing. A failure is recorded; what was read before it is kept, and a
/// listing that failed on its first page gives `None`.
async fn list(
    api: &Api,
    endpoint: &str,
    path: String,
    key: Option<&'static str>,
    errors: &mut Vec<SourceError>,
) -> Option<Vec<Value>> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let call = format!("GET {path}");
    let Listing {
        items,
        pages,
        failure,
    } = api
        .get_all(&call, &format!("{path}{sep}per_page={PER_PAGE}"), key)
        .await;
    match failure {
        None => Some(items),
        Some((page, f)) => {
            errors.push(failed(endpoint, call, page, f));
            (pages > 0).then_some(items)
        }
    }
}

async fn object(
    api: &Api,
    endpoint: &str,
    path: String,
    errors: &mut Vec<SourceError>,
) -> Option<Value> {
    let call = format!("GET {path}");
    match api.get_one(&call, &path).await {
        Ok(v) => Some(v),
        Err(f) => {
            errors.push(failed(endpoint, call, 1, f));
            None
        }
    }
}

async fn crawl_org(
    api: &Arc<Api>,
    status: &Arc<Status>,
    org: &str,
    opts: &LiveOptions,
) -> OrgExport {
    let o = encode(org);
    status.org(org, 0);
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
    let (repos, unnamed): (Vec<Value>, Vec<Value>) =
        repos.into_iter().partition(|r| repo_path(r, org).is_some());
    if !unnamed.is_empty() {
        errors.push(SourceKind::Github.error(
            format!("GET /orgs/{o}/repos"),
            format!(
                "{} without a valid name or owner, not crawled (results are partial)",
                count_repos(unnamed.len(), "listed")
            ),
        ));
    }

    status.org(org, repos.len() as u64);
    let skipped = std::sync::atomic::AtomicUsize::new(0);
    let crawled: Vec<(RepoExport, Vec<SourceError>)> = stream::iter(repos)
        .map(|repo| {
            let api = Arc::clone(api);
            let status = Arc::clone(status);
            let skipped = &skipped;
            async move {
                // Once the client stops sending, each of these calls would only fail.
                let out = if api.halted().is_some() {
                    skipped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    (unread(repo), Vec::new())
                } else {
                    crawl_repo(&api, org, repo).await
                };
                status.inc();
                out
            }
        })
        // The client bounds requests in flight; this bounds repositories in progress,
        // so memory stays flat on large organisations.
        .buffered(opts.concurrency.max(1))
        .collect()
        .await;
    let mut repositories = Vec::with_capacity(crawled.len());
    for (repo, errs) in crawled {
        repositories.push(repo);
        errors.extend(errs);
    }
    let skipped = skipped.into_inner();
    if let (true, Some(halt)) = (skipped > 0, api.halted()) {
        errors.push(SourceKind::Github.error(
            format!("GET /repos/{o}/…"),
            format!(
                "{} not crawled (deploy keys, secrets, workflow permissions, workflows): {halt}; results are partial",
                count_repos(skipped, "")
            ),
        ));
    }
    let mut warnings = Vec::new();
    let (audit_log, audit_log_days) = match opts.audit_log {
        Some(a) if api.halted().is_none() => (
            audit_log(api, &o, a, &mut errors, &mut warnings).await,
            Some(a.days),
        ),
        Some(a) => {
            if let Some(halt) = api.halted() {
                errors.push(SourceKind::Github.error(
                    format!("GET /orgs/{o}/audit-log"),
                    format!("not read: {halt}; results are partial"),
                ));
            }
            (None, Some(a.days))
        }
        None => (None, None),
    };
    OrgExport {
        org: org.to_string(),
        installations,
        actions_secrets: secrets,
        workflow_permissions: permissions,
        personal_access_tokens: pats,
        repositories,
        audit_log,
        audit_log_days,
        errors,
        warnings,
    }
}

/// The organisation's audit log over the last `a.days` days, Git events included,
/// newest first, at most `a.max_pages` pages (cursor pagination through the `Link`
/// header, as for every listing). Reaching the page cap is a warning: the newest
/// entries were read. Any failure is an error naming the call; the rest of the crawl
/// goes on.
async fn audit_log(
    api: &Api,
    o: &str,
    a: super::AuditLogOptions,
    errors: &mut Vec<SourceError>,
    warnings: &mut Vec<SourceError>,
) -> Option<Vec<Value>> {
    let since = crate::timefmt::now() - time::Duration::days(i64::from(a.days));
    let date = format!(
        "{:04}-{:02}-{:02}",
        since.year(),
        u8::from(since.month()),
        since.day()
    );
    // `created:>=DATE`, percent-encoded for the query.
    let phrase = format!("created%3A%3E%3D{date}");
    let path = format!("/orgs/{o}/audit-log?phrase={phrase}&include=all&order=desc");
    let call = format!("GET /orgs/{o}/audit-log");
    let Listing {
        items,
        pages,
        failure,
    } = api
        .get_pages(
            &call,
            &format!("{path}&per_page={PER_PAGE}"),
            None,
            a.max_pages,
        )
        .await;
    match failure {
        None => Some(items),
        Some((_, Failure::TooManyPages(n))) => {
            warnings.push(SourceKind::Github.error(
                &call,
                format!(
                    "read the newest {n} page(s) ({} entries) of the audit log since {date}; older entries were not read (allow more with --github-audit-log-max-pages)",
                    items.len()
                ),
            ));
            Some(items)
        }
        Some((page, f)) => {
            errors.push(failed("GET /orgs/{org}/audit-log", call, page, f));
            (pages > 0).then_some(items)
        }
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
        let Some(name) = secret
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| plain_name(n, MAX_SECRET_NAME))
        else {
            errors.push(SourceKind::Github.error(
                format!("GET /orgs/{o}/actions/secrets"),
                "a `selected` secret has no valid name; its repositories are not listed (results are partial)",
            ));
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
    let Some(base) = repo_path(&repository, org) else {
        return (unread(repository), Vec::new());
    };
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
            let files = stream::iter(list)
                .map(|w| workflow_file(api, &base, w))
                .buffered(WORKFLOWS_IN_FLIGHT)
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
    // Who approves a job in an environment is in its protection rules: read them only
    // when some workflow runs a job in one.
    let uses_environments = workflows.iter().flatten().any(|w| {
        w.content.as_deref().is_some_and(|t| {
            t.lines()
                .any(|l| l.trim_start().starts_with("environment:"))
        })
    });
    let environments = if uses_environments {
        let mut e = Vec::new();
        let list = list(
            api,
            "GET /repos/{owner}/{repo}/environments",
            format!("{base}/environments"),
            Some("environments"),
            &mut e,
        )
        .await;
        errors.extend(e);
        list
    } else {
        None
    };
    (
        RepoExport {
            repository,
            deploy_keys,
            actions_secrets,
            workflow_permissions,
            workflows,
            environments,
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
    let result = match workflow_path(&path) {
        None => Err(SourceKind::Github.error(
            format!("GET {base}/actions/workflows"),
            "a workflow's path is not a plain file path; not read (results are partial)",
        )),
        Some(encoded) => {
            let call = format!("GET {base}/contents/{encoded}");
            match api
                .get_one(&call, &format!("{base}/contents/{encoded}"))
                .await
            {
                Ok(v) => {
                    decode_content(&v).map_err(|m| SourceKind::Github.error(&call, m.to_string()))
                }
                Err(f) => Err(failed(
                    "GET /repos/{owner}/{repo}/contents/{path}",
                    call,
                    1,
                    f,
                )),
            }
        }
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
fn decode_content(v: &Value) -> Result<String, ContentError> {
    let encoding = v.get("encoding").and_then(Value::as_str).unwrap_or("");
    let content = v.get("content").and_then(Value::as_str).unwrap_or("");
    if encoding != "base64" {
        return Err(ContentError::NotInline(encoding.to_string()));
    }
    let compact: String = content.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(ContentError::NotBase64)?;
    String::from_utf8(bytes).map_err(|_| ContentError::NotUtf8)
}

/// A workflow file the contents API gave in a form that cannot be read.
#[derive(Debug, thiserror::Error)]
enum ContentError {
    #[error(
        "the contents API gave encoding `{0}` (files over 1 MB are not returned inline); workflow not analysed"
    )]
    NotInline(String),
    #[error("the file content is not valid base64 ({0}); workflow not analysed")]
    NotBase64(#[source] base64::DecodeError),
    #[error("the workflow file is not UTF-8; not analysed")]
    NotUtf8,
}

/// Longest repository name or owner login GitHub allows.
const MAX_NAME: usize = 100;
/// Longest Actions secret name accepted (GitHub's own limit is lower).
const MAX_SECRET_NAME: usize = 255;
/// Longest workflow path accepted.
const MAX_WORKFLOW_PATH: usize = 1024;
/// Workflow files of one repository fetched at once (the client bounds the total).
const WORKFLOWS_IN_FLIGHT: usize = 4;

/// `1 repository`, `3 listed repositories`: a count for a message.
fn count_repos(n: usize, adjective: &str) -> String {
    let noun = if n == 1 { "repository" } else { "repositories" };
    if adjective.is_empty() {
        format!("{n} {noun}")
    } else {
        format!("{n} {adjective} {noun}")
    }
}

/// A repository listed but not crawled: the listing's object, nothing else read.
fn unread(repository: Value) -> RepoExport {
    RepoExport {
        repository,
        deploy_keys: None,
        actions_secrets: None,
        workflow_permissions: None,
        workflows: None,
        environments: None,
    }
}

/// `/repos/{owner}/{repo}` for a listed repository, when its name and owner are the
/// kind GitHub gives (letters, digits, `-`, `_`, `.`): the answer's values become
/// request paths and error locations, so nothing else is let through.
fn repo_path(repository: &Value, org: &str) -> Option<String> {
    let name = repository.get("name")?.as_str()?;
    let owner = match repository.pointer("/owner/login") {
        Some(v) => v.as_str()?,
        None => org,
    };
    (plain_name(name, MAX_NAME) && plain_name(owner, MAX_NAME) && name != "." && name != "..")
        .then(|| format!("/repos/{}/{}", encode(owner), encode(name)))
}

fn plain_name(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The percent-encoded path of a workflow file, when it is a plain path: no empty, `.`
/// or `..` segment, no control character, not over [`MAX_WORKFLOW_PATH`].
fn workflow_path(path: &str) -> Option<String> {
    let plain = path.len() <= MAX_WORKFLOW_PATH
        && !path.chars().any(char::is_control)
        && path.split('/').all(|seg| !matches!(seg, "" | "." | ".."));
    plain.then(|| path.split('/').map(encode).collect::<Vec<_>>().join("/"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn contents_are_decoded_across_line_breaks() {
        let v = json!({"encoding": "base64", "content": "bmFtZTog\nQ0kK\n"});
        assert_eq!(decode_content(&v).unwrap(), "name: CI\n");
        let big = json!({"encoding": "none", "content": ""});
        assert!(
            decode_content(&big)
                .unwrap_err()
                .to_string()
                .contains("1 MB")
        );
    }

    #[test]
    fn names_from_answers_are_checked_before_they_become_paths() {
        let repo = |name: Value, owner: Value| json!({"name": name, "owner": {"login": owner}});
        assert_eq!(
            repo_path(&repo(json!("my-repo.js"), json!("acme")), "acme").as_deref(),
            Some("/repos/acme/my-repo.js")
        );
        assert_eq!(
            repo_path(&json!({"name": "r"}), "acme").as_deref(),
            Some("/repos/acme/r")
        );
        for (name, owner) in [
            (json!("../x"), json!("acme")),
            (json!(".."), json!("acme")),
            (json!("a b"), json!("acme")),
            (json!("r"), json!("ac/me")),
            (json!("x".repeat(101)), json!("acme")),
            (json!(""), json!("acme")),
            (json!(7), json!("acme")),
            (json!("r"), json!(null)),
        ] {
            assert_eq!(
                repo_path(&repo(name.clone(), owner.clone()), "acme"),
                None,
                "{name} {owner}"
            );
        }
        assert_eq!(
            workflow_path(".github/workflows/my ci.yml").as_deref(),
            Some(".github/workflows/my%20ci.yml")
        );
        for bad in [
            ".github/workflows/../../x",
            ".github/workflows//x",
            ".github/workflows/a\nb",
        ] {
            assert_eq!(workflow_path(bad), None, "{bad}");
        }
        assert_eq!(
            workflow_path(&format!(".github/workflows/{}", "a".repeat(2000))),
            None
        );
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode("my repo"), "my%20repo");
        assert_eq!(encode("ci.yml"), "ci.yml");
    }
}
