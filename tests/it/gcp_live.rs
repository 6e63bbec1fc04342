//! The live Google Cloud source against a local `wiremock` server that answers as
//! Google's Cloud Asset and IAM APIs do: the objects of the offline scenario
//! (`fixtures/scenario/gcp`, written from Google's documented shapes) in pages with
//! `nextPageToken`, a `429 RESOURCE_EXHAUSTED` and a `503` retried, `403` with Google's
//! error body. Every request is checked against Google's discovery documents
//! (`NHI_GCP_DISCOVERY`, installed by `scripts/test.sh` from google-api-python-client),
//! and every object served against the schema it is documented with.
//!
//! Live and offline give one inventory: the live scan, the scan of the scenario's own
//! `gcloud` files and the scan of what `export gcp` wrote are compared.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::{bin, crate_dir};

const NOW: &str = "2026-12-01T00:00:00Z";
const TOKEN: &str = "ya29.TESTtokenNEVERprinted-0123456789";
const PROJECT: &str = "example-project";
const ORG: &str = "100000000001";

fn scenario() -> PathBuf {
    crate_dir().join("fixtures/scenario/gcp")
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The scenario's `gcloud` listings this fake serves, by file name.
fn served_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenario())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            [
                "iam-policies.json",
                "service-accounts.json",
                "roles.json",
                "workload-identity-providers.json",
                "activity-accounts.json",
                "activity-keys.json",
            ]
            .contains(&name)
                || (name.starts_with("keys-") && name.ends_with(".json"))
        })
        .collect();
    files.sort();
    files
}

/// What the fake Google knows, and how it misbehaves.
#[derive(Clone, Default)]
struct Google {
    policies: Vec<Value>,
    accounts: Vec<Value>,
    keys: BTreeMap<String, Vec<Value>>,
    /// Predefined and custom roles.
    roles: Vec<Value>,
    /// Workload identity pool providers; their pools are in their names.
    providers: Vec<Value>,
    /// Activity Analyzer's last authentications of accounts and keys.
    activities: Vec<Value>,
    /// The projects (id, number), from the policies' Project assets.
    projects: Vec<(String, String)>,
    /// Answers to give once, before the real one, per path.
    first: Arc<Mutex<BTreeMap<String, Vec<ResponseTemplate>>>>,
    /// Paths answered with this instead, always.
    always: BTreeMap<String, ResponseTemplate>,
}

impl Google {
    fn scenario() -> Google {
        let mut g = Google::default();
        for f in served_files() {
            let name = f.file_name().unwrap().to_str().unwrap().to_string();
            let items = read(&f).as_array().unwrap().clone();
            match name.as_str() {
                "iam-policies.json" => g.policies = items,
                "service-accounts.json" => g.accounts = items,
                "roles.json" => g.roles = items,
                "workload-identity-providers.json" => g.providers = items,
                "activity-accounts.json" | "activity-keys.json" => g.activities.extend(items),
                _ => {
                    for key in items {
                        let email = key["name"].as_str().unwrap().split('/').nth(3).unwrap();
                        g.keys.entry(email.to_string()).or_default().push(key);
                    }
                }
            }
        }
        g.projects = g
            .policies
            .iter()
            .filter(|p| p["assetType"] == "cloudresourcemanager.googleapis.com/Project")
            .map(|p| {
                let id = p["resource"].as_str().unwrap().rsplit('/').next().unwrap();
                let number = p["project"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("projects/");
                (id.to_string(), number.to_string())
            })
            .collect();
        assert!(g.projects.len() >= 2, "the scenario has its projects");
        g
    }

    fn once(&self, path: &str, answer: ResponseTemplate) {
        self.first
            .lock()
            .unwrap()
            .entry(path.to_string())
            .or_default()
            .push(answer);
    }

    /// A project's number, from its id or number.
    fn number(&self, project: &str) -> Option<&str> {
        self.projects
            .iter()
            .find(|(id, number)| id == project || number == project)
            .map(|(_, number)| number.as_str())
    }

    /// The policies under a search scope: all of an organisation's, a project's own.
    fn policies_in(&self, scope: &str) -> Vec<Value> {
        self.policies
            .iter()
            .filter(|p| match scope.split_once('/') {
                Some(("organizations", _)) => p["organization"] == scope,
                Some(("projects", id)) => self
                    .number(id)
                    .is_some_and(|n| p["project"] == format!("projects/{n}")),
                _ => false,
            })
            .cloned()
            .collect()
    }

    /// The pools of a project (`projects/N/locations/global/workloadIdentityPools/P`),
    /// from its providers' names.
    fn pools_of(&self, project: &str) -> Vec<Value> {
        let Some(number) = self.number(project) else {
            return Vec::new();
        };
        let prefix = format!("projects/{number}/locations/global/workloadIdentityPools/");
        let names: BTreeSet<&str> = self
            .providers
            .iter()
            .filter_map(|p| p["name"].as_str()?.split_once("/providers/"))
            .map(|(pool, _)| pool)
            .filter(|pool| pool.starts_with(&prefix))
            .collect();
        names
            .into_iter()
            .map(|name| json!({"name": name, "state": "ACTIVE"}))
            .collect()
    }

    /// The objects of `list` whose `name` starts with `prefix`.
    fn named(list: &[Value], prefix: &str) -> Vec<Value> {
        list.iter()
            .filter(|v| v["name"].as_str().is_some_and(|n| n.starts_with(prefix)))
            .cloned()
            .collect()
    }
}

/// A page of `items` of `size`, after `pageToken` (`p<N>` is the N-th item).
fn page(req: &Request, key: &str, items: &[Value], size: usize) -> Value {
    let start = req
        .url
        .query_pairs()
        .find(|(k, _)| k == "pageToken")
        .and_then(|(_, v)| v.strip_prefix('p').and_then(|n| n.parse().ok()))
        .unwrap_or(0usize);
    let end = (start + size).min(items.len());
    let mut body = json!({});
    if end > start {
        body[key] = json!(items[start..end]);
    }
    if end < items.len() {
        body["nextPageToken"] = json!(format!("p{end}"));
    }
    body
}

fn google_error(code: u16, status: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_json(json!({
        "error": {"code": code, "message": message, "status": status}
    }))
}

impl Respond for Google {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let path = req.url.path().to_string();
        if let Some(answer) = self.first.lock().unwrap().get_mut(&path)
            && !answer.is_empty()
        {
            return answer.remove(0);
        }
        if let Some(answer) = self.always.get(&path) {
            return answer.clone();
        }
        match self.answer(req) {
            Some(body) => ResponseTemplate::new(200).set_body_json(body),
            None => google_error(404, "NOT_FOUND", "Requested entity was not found."),
        }
    }
}

impl Google {
    /// The documented answer to a request, when it is one the fake knows.
    fn answer(&self, req: &Request) -> Option<Value> {
        let path = req.url.path().trim_start_matches("/v1/");
        if let Some(scope) = path.strip_suffix(":searchAllIamPolicies") {
            return Some(page(req, "results", &self.policies_in(scope), 1));
        }
        if path.ends_with(":searchAllResources") {
            let projects: Vec<Value> = self
                .projects
                .iter()
                .map(|(id, number)| {
                    json!({
                        "name": format!("//cloudresourcemanager.googleapis.com/projects/{number}"),
                        "assetType": "cloudresourcemanager.googleapis.com/Project",
                        "project": format!("projects/{number}"),
                        "displayName": id,
                        "additionalAttributes": {"projectId": id},
                    })
                })
                .collect();
            return Some(page(req, "results", &projects, 500));
        }
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            ["projects", p, "serviceAccounts"] => {
                let accounts: Vec<Value> = self
                    .accounts
                    .iter()
                    .filter(|a| a["projectId"] == *p)
                    .cloned()
                    .collect();
                Some(page(req, "accounts", &accounts, 2))
            }
            ["projects", _, "serviceAccounts", email, "keys"] => {
                Some(match self.keys.get(*email) {
                    Some(keys) => json!({ "keys": keys }),
                    None => json!({}),
                })
            }
            ["roles"] => Some(page(req, "roles", &Google::named(&self.roles, "roles/"), 1)),
            [
                "projects",
                p,
                "locations",
                "global",
                "activityTypes",
                kind,
                "activities:query",
            ] => {
                let of_project = format!("//iam.googleapis.com/projects/{p}/");
                let found: Vec<Value> = self
                    .activities
                    .iter()
                    .filter(|a| {
                        a["activityType"] == *kind
                            && a["fullResourceName"]
                                .as_str()
                                .is_some_and(|n| n.starts_with(&of_project))
                    })
                    .cloned()
                    .collect();
                Some(page(req, "activities", &found, 1))
            }
            ["organizations" | "projects", _, "roles"] => {
                let custom = Google::named(&self.roles, &format!("{path}/"));
                Some(page(req, "roles", &custom, 1))
            }
            [
                "projects",
                p,
                "locations",
                "global",
                "workloadIdentityPools",
            ] => Some(page(req, "workloadIdentityPools", &self.pools_of(p), 1)),
            [
                "projects",
                _,
                "locations",
                "global",
                "workloadIdentityPools",
                _,
                "providers",
            ] => {
                let providers = Google::named(&self.providers, &format!("{path}/"));
                Some(page(req, "workloadIdentityPoolProviders", &providers, 1))
            }
            _ => None,
        }
    }
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn start(google: Google) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(google)
        .mount(&server)
        .await;
    server
}

pub(crate) struct Run {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// The run of a finished command, checked to show none of `secrets`.
    pub(crate) fn of(out: std::process::Output, secrets: &[&str]) -> Run {
        let run = Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        for secret in secrets {
            assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
        }
        run
    }
}

fn nhi(args: &[&str], server: &MockServer) -> Run {
    let base = server.uri();
    let out = bin()
        .args(args)
        .args([
            "--gcp-endpoint",
            &format!("cloudasset={base}"),
            "--gcp-endpoint",
            &format!("iam={base}"),
            "--gcp-endpoint",
            &format!("policyanalyzer={base}"),
            "--gcp-access-token-env",
            "NHI_TEST_GCP_TOKEN",
        ])
        .env("NHI_TEST_GCP_TOKEN", TOKEN)
        .env("NHI_AUDIT_NOW", NOW)
        .output()
        .unwrap();
    Run::of(out, &[TOKEN])
}

fn scan_json(args: &[&str], server: &MockServer, code: i32) -> Value {
    let mut all = vec![
        "scan",
        "--format",
        "json",
        "--fail-on",
        "none",
        "--scope",
        "all",
    ];
    all.extend_from_slice(args);
    let run = nhi(&all, server);
    assert_eq!(run.code, Some(code), "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

fn offline(dir: &Path, code: i32) -> Value {
    crate::common::scan_all_at(dir, NOW, code)
}

/// The report's errors as (location, message), in order.
pub(crate) fn errors_of(report: &Value) -> Vec<(String, String)> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["location"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The ids of the report's Google Cloud identities.
fn gcp_identities(report: &Value) -> BTreeSet<&str> {
    report["inventory"]["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["provider"] == "gcp")
        .map(|i| i["id"].as_str().unwrap())
        .collect()
}

/// The inventory without where each thing was read (a URL live, a file offline).
pub(crate) fn without_locations(report: &Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.remove("locations");
                map.remove("location");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut inv = report["inventory"].clone();
    strip(&mut inv);
    // What the file walk read (none live).
    inv.as_object_mut().unwrap().remove("stats");
    let mut findings: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    findings.sort();
    json!({"inventory": inv, "findings": findings})
}

#[test]
fn the_live_crawl_reads_what_the_gcloud_files_hold_and_its_export_scans_the_same() {
    let rt = runtime();
    let mut google = Google::scenario();
    // A predefined role no binding names: Google lists it, the crawl drops it.
    let unbound = "roles/unbound.viewer";
    google.roles.push(json!({
        "name": unbound, "title": "Unbound Viewer", "stage": "GA", "etag": "AA==",
        "includedPermissions": ["unbound.things.list"],
    }));
    // Quota first on the policy search, a server error first on one key listing.
    google.once(
        &format!("/v1/organizations/{ORG}:searchAllIamPolicies"),
        google_error(
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Search requests'.",
        )
        .insert_header("retry-after", "1"),
    );
    google.once(
        &format!(
            "/v1/projects/{PROJECT}/serviceAccounts/support-agent@{PROJECT}.iam.gserviceaccount.com/keys"
        ),
        ResponseTemplate::new(503).set_body_string("Service Unavailable"),
    );
    let policy_pages = google.policies_in(&format!("organizations/{ORG}")).len();
    let role_pages = Google::named(&google.roles, "roles/").len();
    let google_policies = google.policies.clone();
    let server = rt.block_on(start(google));

    let live = scan_json(&["--gcp-organization", ORG], &server, 0);
    assert_eq!(live["errors"], json!([]), "{}", live["errors"]);
    assert_eq!(live["partial"], false);

    // The same inventory as the scenario's own gcloud files (those the fake serves).
    let tmp = tempfile::tempdir().unwrap();
    let files = tmp.path().join("files");
    std::fs::create_dir(&files).unwrap();
    for f in served_files() {
        std::fs::copy(&f, files.join(f.file_name().unwrap())).unwrap();
    }
    let from_files = offline(&files, 0);
    assert_eq!(without_locations(&live), without_locations(&from_files));
    // Both projects' accounts were read, the second project known only from the
    // organisation's Project assets.
    let accounts = read(&scenario().join("service-accounts.json"));
    let identities = gcp_identities(&live);
    for a in accounts.as_array().unwrap() {
        let id = format!("gcp:serviceAccount:{}", a["email"].as_str().unwrap());
        assert!(
            identities.contains(id.as_str()),
            "{id} not in {identities:?}"
        );
    }
    // Live locations say which request read them.
    let grant = live["inventory"]["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["action"] == "roles/owner")
        .unwrap();
    let shown = serde_json::to_string(&grant["location"]).unwrap();
    assert!(
        shown.contains("GET ")
            && shown.contains(&format!("/v1/organizations/{ORG}:searchAllIamPolicies")),
        "{shown}"
    );

    // export gcp, then a scan of what it wrote: the same again.
    let out = tmp.path().join("export");
    let run = nhi(
        &[
            "export",
            "gcp",
            "--gcp-organization",
            ORG,
            "--output",
            out.to_str().unwrap(),
        ],
        &server,
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let exported = offline(&out, 0);
    assert_eq!(without_locations(&live), without_locations(&exported));
    // The names each roles and providers file holds (empty ones left out).
    let mut written: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(TOKEN));
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        if file.starts_with("roles-") || file.starts_with("workload-identity-providers-") {
            for item in serde_json::from_str::<Value>(&text)
                .unwrap()
                .as_array()
                .unwrap()
            {
                let name = item["name"].as_str().unwrap().to_string();
                written.entry(file.clone()).or_default().insert(name);
            }
        }
    }
    // Roles and providers as the scenario's gcloud files hold them, each in the file of
    // where it was listed: the predefined roles some binding names (the unbound one
    // dropped), the custom roles by parent, the providers by pool.
    let mut want: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let listed = |file: &str| read(&scenario().join(file)).as_array().unwrap().clone();
    let bound: BTreeSet<&str> = google_policies
        .iter()
        .flat_map(|p| p["policy"]["bindings"].as_array().unwrap())
        .map(|b| b["role"].as_str().unwrap())
        .collect();
    for role in listed("roles.json") {
        let name = role["name"].as_str().unwrap();
        let file = match name.split_once("/roles/") {
            Some((parent, _)) => format!("roles-{}.json", parent.replace('/', "_")),
            None if bound.contains(name) => "roles-predefined.json".to_string(),
            None => continue,
        };
        want.entry(file).or_default().insert(name.to_string());
    }
    for provider in listed("workload-identity-providers.json") {
        let name = provider["name"].as_str().unwrap();
        let parts: Vec<&str> = name.split('/').collect();
        let file = format!("workload-identity-providers-{}-{}.json", parts[1], parts[5]);
        want.entry(file).or_default().insert(name.to_string());
    }
    assert!(want.contains_key("roles-predefined.json"));
    assert_eq!(written, want);

    let requests = rt.block_on(server.received_requests()).unwrap();
    check_against_discovery(&requests);
    for r in &requests {
        let auth = r.headers.get("authorization").unwrap().to_str().unwrap();
        assert_eq!(auth, format!("Bearer {TOKEN}"));
    }
    // Paging was followed (a page per result, the retried one asked twice), for the scan
    // and the export.
    let asked = |p: &str| requests.iter().filter(|r| r.url.path() == p).count();
    assert_eq!(
        asked(&format!("/v1/organizations/{ORG}:searchAllIamPolicies")),
        2 * policy_pages + 1
    );
    assert_eq!(
        asked("/v1/roles"),
        2 * role_pages,
        "a page per predefined role"
    );
    for r in requests.iter().filter(|r| r.url.path().ends_with("/roles")) {
        assert!(
            r.url.query_pairs().any(|(k, v)| k == "view" && v == "FULL"),
            "{}",
            r.url
        );
    }
}

#[test]
fn projects_are_crawled_each_and_a_refused_call_is_named_with_its_permission() {
    let rt = runtime();
    let mut google = Google::scenario();
    google.always.insert(
        "/v1/projects/tools-project/serviceAccounts".into(),
        google_error(
            403,
            "PERMISSION_DENIED",
            &format!("Permission 'iam.serviceAccounts.list' denied; token {TOKEN}"),
        ),
    );
    let server = rt.block_on(start(google));
    let report = scan_json(
        &["--gcp-project", PROJECT, "--gcp-project", "tools-project"],
        &server,
        3,
    );
    assert_eq!(report["partial"], true);
    let errors = errors_of(&report);
    assert_eq!(
        errors,
        [(
            "iam.projects.serviceAccounts.list projects/tools-project".to_string(),
            "permission denied (403 PERMISSION_DENIED): the caller needs \
             iam.serviceAccounts.list on projects/tools-project"
                .to_string()
        )]
    );
    // The rest went on: each project's bindings, the other project's accounts.
    let ids = gcp_identities(&report);
    assert!(ids.contains(
        format!("gcp:serviceAccount:deployer@{PROJECT}.iam.gserviceaccount.com").as_str()
    ));
    let requests = rt.block_on(server.received_requests()).unwrap();
    check_against_discovery(&requests);
    let paths: BTreeSet<&str> = requests.iter().map(|r| r.url.path()).collect();
    for project in [PROJECT, "tools-project"] {
        assert!(paths.contains(format!("/v1/projects/{project}:searchAllIamPolicies").as_str()));
        assert!(paths.contains(format!("/v1/projects/{project}/roles").as_str()));
    }
    assert!(
        !paths.iter().any(|p| p.contains("organizations")),
        "{paths:?}"
    );
}

#[test]
fn a_refused_pool_listing_is_named_with_its_permission_and_the_crawl_goes_on() {
    let rt = runtime();
    let mut google = Google::scenario();
    let pools = "/v1/projects/tools-project/locations/global/workloadIdentityPools";
    google.always.insert(
        pools.into(),
        google_error(
            403,
            "PERMISSION_DENIED",
            "Permission 'iam.workloadIdentityPools.list' denied on resource",
        ),
    );
    let server = rt.block_on(start(google));
    let report = scan_json(&["--gcp-organization", ORG], &server, 3);
    assert_eq!(report["partial"], true);
    assert_eq!(
        errors_of(&report),
        [(
            "iam.projects.locations.workloadIdentityPools.list projects/tools-project".to_string(),
            "permission denied (403 PERMISSION_DENIED): the caller needs \
             iam.workloadIdentityPools.list on projects/tools-project"
                .to_string()
        )]
    );
    // The rest went on: the accounts of both projects, the roles; no provider was asked
    // for, as no pool was listed.
    let requests = rt.block_on(server.received_requests()).unwrap();
    check_against_discovery(&requests);
    let paths: BTreeSet<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert!(paths.contains(pools));
    for p in [
        "/v1/projects/example-project/serviceAccounts",
        "/v1/projects/tools-project/serviceAccounts",
        "/v1/projects/tools-project/roles",
        "/v1/roles",
    ] {
        assert!(paths.contains(p), "{p} not asked: {paths:?}");
    }
    assert!(
        !paths.iter().any(|p| p.ends_with("/providers")),
        "{paths:?}"
    );
    let ids = gcp_identities(&report);
    assert!(
        ids.contains("gcp:serviceAccount:release-agent@tools-project.iam.gserviceaccount.com"),
        "{ids:?}"
    );
}

#[test]
fn hostile_answers_are_errors_naming_the_call_and_the_scan_goes_on() {
    let rt = runtime();
    let mut google = Google::scenario();
    // A page token that repeats forever; a listing of the wrong shape; keys that are not
    // JSON; a refused credential would stop everything, so it is not here.
    google.always.insert(
        format!("/v1/projects/{PROJECT}:searchAllIamPolicies"),
        ResponseTemplate::new(200).set_body_json(json!({"results": [], "nextPageToken": "again"})),
    );
    google.always.insert(
        format!(
            "/v1/projects/{PROJECT}/serviceAccounts/deployer@{PROJECT}.iam.gserviceaccount.com/keys"
        ),
        ResponseTemplate::new(200).set_body_string("<html>not json</html>"),
    );
    google.always.insert(
        format!(
            "/v1/projects/{PROJECT}/serviceAccounts/reporting@{PROJECT}.iam.gserviceaccount.com/keys"
        ),
        ResponseTemplate::new(200).set_body_json(json!({"keys": 7})),
    );
    // A pool whose name would steer the providers' request elsewhere.
    google.always.insert(
        format!("/v1/projects/{PROJECT}/locations/global/workloadIdentityPools"),
        ResponseTemplate::new(200).set_body_json(json!({"workloadIdentityPools": [
            {"name": "projects/123456789012/locations/global/workloadIdentityPools/../../../../roles"}
        ]})),
    );
    // An answer that never comes in time.
    google.always.insert(
        format!(
            "/v1/projects/{PROJECT}/serviceAccounts/123456789012-compute@developer.gserviceaccount.com/keys"
        ),
        ResponseTemplate::new(200)
            .set_body_json(json!({}))
            .set_delay(std::time::Duration::from_secs(3)),
    );
    let server = rt.block_on(start(google));
    let report = scan_json(
        &["--gcp-project", PROJECT, "--gcp-http-timeout", "300ms"],
        &server,
        3,
    );
    let errors: BTreeMap<String, String> = errors_of(&report).into_iter().collect();
    assert_eq!(errors.len(), 5, "{errors:?}");
    let pool =
        &errors[&format!("iam.projects.locations.workloadIdentityPools.list projects/{PROJECT}")];
    assert!(pool.contains("not a pool's resource name"), "{pool}");
    let slow = &errors[&format!(
        "iam.projects.serviceAccounts.keys.list projects/{PROJECT}/serviceAccounts/123456789012-compute@developer.gserviceaccount.com"
    )];
    assert!(slow.contains("no answer within 300ms"), "{slow}");
    let policy = &errors[&format!("cloudasset.searchAllIamPolicies projects/{PROJECT}")];
    assert!(policy.contains("same page token twice"), "{policy}");
    let deployer = &errors[&format!(
        "iam.projects.serviceAccounts.keys.list projects/{PROJECT}/serviceAccounts/deployer@{PROJECT}.iam.gserviceaccount.com"
    )];
    assert!(deployer.contains("not JSON"), "{deployer}");
    let reporting = &errors[&format!(
        "iam.projects.serviceAccounts.keys.list projects/{PROJECT}/serviceAccounts/reporting@{PROJECT}.iam.gserviceaccount.com"
    )];
    assert!(reporting.contains("no list `keys`"), "{reporting}");
    // The accounts and the support agent's key were still read.
    let creds: Vec<&str> = report["inventory"]["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["provider"] == "gcp")
        .map(|c| c["key_id"].as_str().unwrap())
        .collect();
    assert_eq!(creds, ["0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"]);
    let requests = rt.block_on(server.received_requests()).unwrap();
    assert!(
        requests
            .iter()
            .all(|r| !r.url.path().ends_with("/providers")),
        "a request on the hostile pool's path"
    );
}

#[test]
fn refused_credentials_stop_the_crawl_and_nothing_is_sent_after() {
    let rt = runtime();
    let mut google = Google::scenario();
    // The first call is refused; the account listing, which comes after it, is not sent.
    google.always.insert(
        format!("/v1/projects/{PROJECT}:searchAllIamPolicies"),
        google_error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
        ),
    );
    let server = rt.block_on(start(google));
    let report = scan_json(&["--gcp-project", PROJECT], &server, 3);
    assert_eq!(
        errors_of(&report),
        [
            (
                format!("cloudasset.searchAllIamPolicies projects/{PROJECT}"),
                "the credentials were refused (401: Request had invalid authentication \
                 credentials.); the crawl stopped"
                    .to_string()
            ),
            (
                format!("iam.projects.locations.workloadIdentityPools.list projects/{PROJECT}"),
                "not sent: the crawl stopped (the credentials were refused)".to_string()
            ),
            (
                format!("iam.projects.roles.list projects/{PROJECT}"),
                "not sent: the crawl stopped (the credentials were refused)".to_string()
            ),
            (
                format!("iam.projects.serviceAccounts.list projects/{PROJECT}"),
                "not sent: the crawl stopped (the credentials were refused)".to_string()
            ),
            (
                format!(
                    "policyanalyzer.projects.locations.activityTypes.activities.query projects/{PROJECT}/locations/global/activityTypes/serviceAccountKeyLastAuthentication"
                ),
                "not sent: the crawl stopped (the credentials were refused)".to_string()
            ),
            (
                format!(
                    "policyanalyzer.projects.locations.activityTypes.activities.query projects/{PROJECT}/locations/global/activityTypes/serviceAccountLastAuthentication"
                ),
                "not sent: the crawl stopped (the credentials were refused)".to_string()
            ),
        ]
    );
    let requests = rt.block_on(server.received_requests()).unwrap();
    assert!(
        requests
            .iter()
            .all(|r| r.url.path().ends_with(":searchAllIamPolicies")),
        "a request after the refusal"
    );
}

#[test]
fn application_default_credentials_from_a_key_file_sign_in_at_its_token_uri() {
    let tmp = tempfile::tempdir().unwrap();
    let pem = tmp.path().join("key.pem");
    let status = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&pem)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl, to make a throwaway key for the sign-in");
    assert!(status.success());
    let rt = runtime();
    let server = rt.block_on(async {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::method("POST"))
            .and(wiremock::matchers::path("/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "access_token": "ya29.adc-minted-token", "expires_in": 3599, "token_type": "Bearer"
            })))
            .mount(&server)
            .await;
        Mock::given(wiremock::matchers::method("GET"))
            .respond_with(Google::scenario())
            .mount(&server)
            .await;
        server
    });
    let key_file = tmp.path().join("sa.json");
    std::fs::write(
        &key_file,
        json!({
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "0123456789abcdef0123456789abcdef01234567",
            "private_key": std::fs::read_to_string(&pem).unwrap(),
            "client_email": format!("nhi-audit@{PROJECT}.iam.gserviceaccount.com"),
            "client_id": "100000000000000000009",
            "token_uri": format!("{}/token", server.uri()),
        })
        .to_string(),
    )
    .unwrap();
    let base = server.uri();
    let out = bin()
        .args([
            "scan",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--scope",
            "all",
        ])
        .args(["--gcp-project", PROJECT])
        .args(["--gcp-endpoint", &format!("cloudasset={base}")])
        .args(["--gcp-endpoint", &format!("iam={base}")])
        .args(["--gcp-endpoint", &format!("policyanalyzer={base}")])
        .env("GOOGLE_APPLICATION_CREDENTIALS", &key_file)
        .env("HOME", tmp.path())
        .env("NHI_AUDIT_NOW", NOW)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("adc-minted-token"));
    let requests = rt.block_on(server.received_requests()).unwrap();
    let sign_in = requests
        .iter()
        .find(|r| r.url.path() == "/token")
        .expect("a sign-in");
    let form = String::from_utf8_lossy(&sign_in.body);
    assert!(
        form.contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"),
        "{form}"
    );
    let api: Vec<&Request> = requests
        .iter()
        .filter(|r| r.url.path() != "/token")
        .collect();
    assert!(!api.is_empty());
    for r in api {
        assert_eq!(
            r.headers.get("authorization").unwrap(),
            "Bearer ya29.adc-minted-token"
        );
    }
}

#[test]
fn no_credentials_is_one_clear_error_and_exit_3() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "scan",
            "--format",
            "json",
            "--fail-on",
            "none",
            "--gcp-project",
            PROJECT,
        ])
        .args([
            "--gcp-endpoint",
            "iam=http://127.0.0.1:9",
            "--gcp-endpoint",
            "cloudasset=http://127.0.0.1:9",
            "--gcp-endpoint",
            "policyanalyzer=http://127.0.0.1:9",
        ])
        .env(
            "GOOGLE_APPLICATION_CREDENTIALS",
            tmp.path().join("missing.json"),
        )
        .env("HOME", tmp.path())
        .env("PATH", tmp.path())
        .env("GCE_METADATA_HOST", "127.0.0.1:9")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["location"], "Google Cloud credentials");
}

/// Google's discovery documents, when `scripts/test.sh` installed them. Under CI a
/// missing folder is a failure.
fn discovery() -> Option<Vec<Value>> {
    match std::env::var("NHI_GCP_DISCOVERY") {
        Ok(dir) if Path::new(&dir).join("iam.v1.json").is_file() => Some(
            [
                "cloudasset.v1.json",
                "iam.v1.json",
                "policyanalyzer.v1.json",
            ]
            .iter()
            .map(|f| read(&Path::new(&dir).join(f)))
            .collect(),
        ),
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "NHI_GCP_DISCOVERY is not set under CI: scripts/test.sh installs google-api-python-client and sets it"
            )
        }
        _ => {
            eprintln!(
                "note: NHI_GCP_DISCOVERY is not set; requests not checked against Google's discovery documents (run scripts/test.sh)"
            );
            None
        }
    }
}

/// A discovery `flatPath` (`v1/projects/{projectsId}/serviceAccounts`) as an anchored
/// pattern of request paths: each `{…}` one path segment.
fn template_pattern(flat: &str) -> String {
    let mut pattern = String::from("^/");
    let mut rest = flat;
    while let Some(open) = rest.find('{') {
        pattern.push_str(&regex::escape(&rest[..open]));
        pattern.push_str("[^/:]+");
        let close = rest[open..].find('}').expect("a closed template") + open;
        rest = &rest[close + 1..];
    }
    pattern.push_str(&regex::escape(rest));
    pattern.push('$');
    pattern
}

/// Every GET method of a discovery document: its flat path as a pattern, its query
/// parameters, and the schema of its answer.
fn methods(doc: &Value) -> Vec<(regex::Regex, BTreeSet<String>, String, String)> {
    fn walk(res: &Value, out: &mut Vec<(regex::Regex, BTreeSet<String>, String, String)>) {
        for r in res.as_object().into_iter().flat_map(|m| m.values()) {
            for m in r["methods"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
            {
                if m["httpMethod"] != "GET" {
                    continue;
                }
                let flat = m["flatPath"]
                    .as_str()
                    .unwrap_or(m["path"].as_str().unwrap());
                let pattern = template_pattern(flat);
                let params = m["parameters"]
                    .as_object()
                    .into_iter()
                    .flat_map(|p| p.iter())
                    .filter(|(_, v)| v["location"] == "query")
                    .map(|(k, _)| k.clone())
                    .collect();
                out.push((
                    regex::Regex::new(&pattern).unwrap(),
                    params,
                    m["id"].as_str().unwrap().to_string(),
                    m["response"]["$ref"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                ));
            }
            walk(&r["resources"], out);
        }
    }
    let mut out = Vec::new();
    walk(&doc["resources"], &mut out);
    out
}

/// Each request is a documented GET with documented query parameters; each answer the
/// fake gave is of the documented shape (no field the schema does not have).
fn check_against_discovery(requests: &[Request]) {
    let Some(docs) = discovery() else { return };
    let all: Vec<_> = docs
        .iter()
        .flat_map(|d| methods(d).into_iter().map(move |m| (d, m)))
        .collect();
    let google = Google::scenario();
    let mut checked = 0;
    for r in requests.iter().filter(|r| r.method.as_str() == "GET") {
        let path = r.url.path();
        let (doc, (_, params, id, response)) = all
            .iter()
            .find(|(_, (re, ..))| re.is_match(path))
            .unwrap_or_else(|| panic!("GET {path} is no documented method"));
        let globals: BTreeSet<&str> = doc["parameters"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for (k, _) in r.url.query_pairs() {
            assert!(
                params.contains(k.as_ref()) || globals.contains(k.as_ref()),
                "{id}: query parameter {k} is not documented"
            );
        }
        // The scenario's answer (not a staged failure) is of the documented shape.
        let body = google.answer(r).unwrap_or(Value::Null);
        check_schema(doc, response, &body, id);
        checked += 1;
    }
    assert!(checked > 0);
}

/// Every field of `value` is a property of the schema `name` (recursively, through
/// `$ref`s, arrays and maps).
fn check_schema(doc: &Value, name: &str, value: &Value, at: &str) {
    if name.is_empty() || value.is_null() {
        return;
    }
    let schema = &doc["schemas"][name];
    assert!(schema.is_object(), "{at}: no schema {name}");
    check_against(doc, schema, value, at);
}

fn check_against(doc: &Value, schema: &Value, value: &Value, at: &str) {
    if let Some(r) = schema["$ref"].as_str() {
        return check_schema(doc, r, value, at);
    }
    match value {
        Value::Object(map) if schema["properties"].is_object() => {
            for (k, v) in map {
                let prop = &schema["properties"][k];
                assert!(
                    prop.is_object(),
                    "{at}: field `{k}` is not in the documented schema"
                );
                check_against(doc, prop, v, &format!("{at}.{k}"));
            }
        }
        Value::Object(map) if schema["additionalProperties"].is_object() => {
            for (k, v) in map {
                check_against(
                    doc,
                    &schema["additionalProperties"],
                    v,
                    &format!("{at}.{k}"),
                );
            }
        }
        Value::Array(items) if schema["items"].is_object() => {
            for v in items {
                check_against(doc, &schema["items"], v, &format!("{at}[]"));
            }
        }
        _ => {}
    }
}
