//! The live Google Cloud crawl: the Cloud Asset Inventory API for what covers an
//! organisation in one call family (`searchAllIamPolicies` for every binding,
//! `searchAllResources` for its projects) and the IAM API for what it lacks (service
//! accounts with their descriptions, keys with their type, origin and validity, the
//! permissions of the roles the bindings name, custom roles, and the providers of
//! workload identity pools).
//!
//! What the crawl reads is kept as [`Document`]s shaped exactly as the `gcloud` command
//! of the same name prints them (a JSON list of the API's objects), so the offline reader
//! ([`super::read_export`]) reads both, and `nhi-audit export gcp` writes them as files
//! that a later scan recognises: the live scan and the scan of its export give one
//! inventory by construction.

mod client;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::join_all;
use octocrab::secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::ExportKind;
use crate::model::{SourceError, SourceKind};
use crate::sources::rest::Limits;
use client::{Call, Client, Listing};

pub use client::SCOPE;

/// Requests in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The longest one request may take.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the APIs answer: Google's public endpoints unless overridden (tests, Private
/// Service Connect, sovereign clouds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub cloudasset: String,
    pub iam: String,
    pub policyanalyzer: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            cloudasset: "https://cloudasset.googleapis.com".into(),
            iam: "https://iam.googleapis.com".into(),
            policyanalyzer: "https://policyanalyzer.googleapis.com".into(),
        }
    }
}

impl Endpoints {
    /// Applies `SERVICE=URL`; the error names what is wrong, never guesses.
    pub fn set(&mut self, spec: &str) -> Result<(), String> {
        let (service, url) = spec.split_once('=').ok_or_else(|| {
            format!("--gcp-endpoint {spec}: use SERVICE=URL, like iam=https://iam.example")
        })?;
        let url = url.trim().trim_end_matches('/');
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(format!(
                "--gcp-endpoint {service}=…: the URL needs http:// or https://"
            ));
        }
        match service.trim() {
            "cloudasset" => self.cloudasset = url.into(),
            "iam" => self.iam = url.into(),
            "policyanalyzer" => self.policyanalyzer = url.into(),
            other => {
                return Err(format!(
                    "--gcp-endpoint: unknown service {other:?} (known: cloudasset, iam, \
                     policyanalyzer)"
                ));
            }
        }
        Ok(())
    }
}

/// How to reach Google Cloud live.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    pub organizations: Vec<String>,
    pub projects: Vec<String>,
    /// A token the caller minted; `None`: Application Default Credentials.
    pub token: Option<SecretString>,
    pub endpoints: Endpoints,
    /// What the crawl may spend: requests in flight, timeouts, retries, sizes.
    pub limits: Limits,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            organizations: Vec::new(),
            projects: Vec::new(),
            token: None,
            endpoints: Endpoints::default(),
            limits: Limits {
                concurrency: DEFAULT_CONCURRENCY,
                http_timeout: DEFAULT_HTTP_TIMEOUT,
                ..Limits::default()
            },
        }
    }
}

/// Where tokens come from. Shows nothing of a token in `Debug`.
pub struct Auth {
    source: AuthSource,
    /// The last token handed out, to scrub it from answers.
    last: Mutex<Option<String>>,
}

enum AuthSource {
    Token(SecretString),
    Adc(Arc<dyn gcp_auth::TokenProvider>),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.source {
            AuthSource::Token(_) => "Auth(token from the environment)",
            AuthSource::Adc(_) => "Auth(Application Default Credentials)",
        })
    }
}

impl Auth {
    /// The caller's token, else Application Default Credentials in Google's order:
    /// `GOOGLE_APPLICATION_CREDENTIALS`, the gcloud application-default login, the
    /// metadata server, the gcloud CLI.
    pub(super) async fn new(token: Option<&SecretString>) -> Result<Auth, String> {
        let source = match token {
            Some(t) => AuthSource::Token(t.clone()),
            None => AuthSource::Adc(gcp_auth::provider().await.map_err(|e| {
                format!(
                    "no Google credentials ({}): set GOOGLE_APPLICATION_CREDENTIALS to a key \
                     file, run `gcloud auth application-default login`, run on Google Cloud, \
                     or pass a token with --gcp-access-token-env",
                    adc_error(&e)
                )
            })?),
        };
        Ok(Auth {
            source,
            last: Mutex::new(None),
        })
    }

    async fn access_token(&self) -> Result<String, String> {
        let token = match &self.source {
            AuthSource::Token(t) => t.expose_secret().to_string(),
            AuthSource::Adc(p) => p
                .token(&[SCOPE])
                .await
                .map_err(|e| adc_error(&e))?
                .as_str()
                .to_string(),
        };
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        Ok(token)
    }

    fn last_token(&self) -> Option<String> {
        self.last.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A `gcp_auth` error with its causes on one line. Its messages name files and
/// endpoints, not credentials.
fn adc_error(e: &gcp_auth::Error) -> String {
    client::clean_message(&crate::text::error_chain(e), None)
}

/// One listing as `gcloud` prints it: the API's objects in a JSON list.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub kind: ExportKind,
    /// The file `export gcp` writes it to.
    pub file: String,
    /// The request that read it, as reports show it (`GET https://…`).
    pub url: String,
    pub items: Vec<Value>,
}

/// What a crawl read, and what it could not.
#[derive(Debug, Default)]
pub struct Crawl {
    pub documents: Vec<Document>,
    pub errors: Vec<SourceError>,
    pub requests: u64,
}

impl Crawl {
    /// Keeps a listing's document and its failure.
    fn add(&mut self, (doc, error): (Document, Option<SourceError>)) {
        self.documents.push(doc);
        self.errors.extend(error);
    }
}

const SEARCH_POLICIES: Call = Call {
    id: "cloudasset.searchAllIamPolicies",
    permission: "cloudasset.assets.searchAllIamPolicies",
};
const SEARCH_RESOURCES: Call = Call {
    id: "cloudasset.searchAllResources",
    permission: "cloudasset.assets.searchAllResources",
};
const LIST_ACCOUNTS: Call = Call {
    id: "iam.projects.serviceAccounts.list",
    permission: "iam.serviceAccounts.list",
};
const LIST_KEYS: Call = Call {
    id: "iam.projects.serviceAccounts.keys.list",
    permission: "iam.serviceAccountKeys.list",
};
const LIST_ROLES: Call = Call {
    id: "iam.roles.list",
    permission: "iam.roles.list",
};
const LIST_ORG_ROLES: Call = Call {
    id: "iam.organizations.roles.list",
    permission: "iam.roles.list",
};
const LIST_PROJECT_ROLES: Call = Call {
    id: "iam.projects.roles.list",
    permission: "iam.roles.list",
};
const LIST_POOLS: Call = Call {
    id: "iam.projects.locations.workloadIdentityPools.list",
    permission: "iam.workloadIdentityPools.list",
};
const LIST_PROVIDERS: Call = Call {
    id: "iam.projects.locations.workloadIdentityPools.providers.list",
    permission: "iam.workloadIdentityPoolProviders.list",
};
const ACCOUNT_ACTIVITY: Call = Call {
    id: "policyanalyzer.projects.locations.activityTypes.activities.query",
    permission: "policyanalyzer.serviceAccountLastAuthenticationActivities.query",
};
const KEY_ACTIVITY: Call = Call {
    id: "policyanalyzer.projects.locations.activityTypes.activities.query",
    permission: "policyanalyzer.serviceAccountKeyLastAuthenticationActivities.query",
};
/// The asset type of a project in Cloud Asset Inventory.
const PROJECT_ASSET: &str = "cloudresourcemanager.googleapis.com/Project";

/// Crawls the organisations and projects of `opts`. `Err` when it could not start (no
/// credentials, no runtime); what one call could not read is in [`Crawl::errors`].
pub fn crawl(opts: &LiveOptions) -> Result<Crawl, SourceError> {
    crate::sources::block_on(|| crawl_async(opts), |why| Err(start_error(why)))
}

fn start_error(message: String) -> SourceError {
    SourceKind::Gcp.error("Google Cloud credentials", message)
}

async fn crawl_async(opts: &LiveOptions) -> Result<Crawl, SourceError> {
    let auth = Auth::new(opts.token.as_ref()).await.map_err(start_error)?;
    // One token before any call: no credentials is one clear error, not one per call.
    auth.access_token()
        .await
        .map_err(|e| start_error(format!("cannot get an access token: {e}")))?;
    let client = Client::new(opts, auth).map_err(start_error)?;
    let mut crawl = Crawl::default();

    let orgs: Vec<String> = dedup(&opts.organizations, "organizations/");
    let mut projects: Vec<String> = dedup(&opts.projects, "projects/");
    let scopes: Vec<String> = orgs
        .iter()
        .map(|o| format!("organizations/{o}"))
        .chain(projects.iter().map(|p| format!("projects/{p}")))
        .collect();

    // Every binding in each scope, and the projects of each organisation.
    let policy_reads = join_all(scopes.iter().map(|s| search_policies(&client, s)));
    let project_reads = join_all(orgs.iter().map(|o| org_projects(&client, o)));
    let (policies, found) = futures::join!(policy_reads, project_reads);
    policies.into_iter().for_each(|read| crawl.add(read));
    for (ids, error) in found {
        projects.extend(ids);
        crawl.errors.extend(error);
    }
    projects.sort();
    projects.dedup();
    let parents: Vec<String> = orgs
        .iter()
        .map(|o| format!("organizations/{o}"))
        .chain(projects.iter().map(|p| format!("projects/{p}")))
        .collect();
    let bound = bound_roles(&crawl.documents);

    // The service accounts and workload identity pools of each project, the custom roles
    // of each organisation and project, and the predefined roles the bindings name.
    let (listed, pools, custom, predefined, activities) = futures::join!(
        join_all(projects.iter().map(|p| list_accounts(&client, p))),
        join_all(projects.iter().map(|p| list_pools(&client, p))),
        join_all(parents.iter().map(|p| custom_roles(&client, p))),
        predefined_roles(&client, &bound),
        join_all(projects.iter().flat_map(|p| {
            [ACCOUNT_ACTIVITY, KEY_ACTIVITY].map(|call| last_authentications(&client, p, call))
        })),
    );
    activities.into_iter().for_each(|read| crawl.add(read));
    let mut emails = Vec::new();
    for (doc, error) in listed {
        emails.extend(doc.items.iter().filter_map(|a| {
            let email = a.get("email")?.as_str()?;
            let project = a.get("projectId").and_then(Value::as_str);
            Some((project.map(str::to_string), email.to_string()))
        }));
        crawl.add((doc, error));
    }
    let mut pool_names = Vec::new();
    for (names, errors) in pools {
        pool_names.extend(names);
        crawl.errors.extend(errors);
    }
    custom.into_iter().for_each(|read| crawl.add(read));
    if let Some(read) = predefined {
        crawl.add(read);
    }

    // The keys of each account, the providers of each pool.
    let (keys, providers) = futures::join!(
        join_all(
            emails
                .iter()
                .map(|(p, e)| list_keys(&client, p.as_deref(), e)),
        ),
        join_all(
            pool_names
                .iter()
                .map(|(pool, file_id)| list_providers(&client, pool, file_id)),
        ),
    );
    keys.into_iter().for_each(|read| crawl.add(read));
    providers.into_iter().for_each(|read| crawl.add(read));
    crawl.documents.sort_by(|a, b| a.file.cmp(&b.file));
    crawl.requests = client.requests();
    Ok(crawl)
}

/// Ids without their `organizations/` or `projects/` prefix, once each.
fn dedup(ids: &[String], prefix: &str) -> Vec<String> {
    let mut out: Vec<String> = ids
        .iter()
        .map(|i| i.trim().trim_start_matches(prefix).to_string())
        .filter(|i| !i.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A file name for `export gcp`: the id with anything but `[A-Za-z0-9@._-]` as `_`.
fn file_name(prefix: &str, id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{prefix}-{safe}.json")
}

/// A listing's failure as a source error naming the call and its resource.
fn failed(call: Call, resource: &str, listing: &mut Listing) -> Option<SourceError> {
    listing
        .failure
        .take()
        .map(|f| SourceKind::Gcp.error(format!("{} {resource}", call.id), f.to_string()))
}

/// Every page of the listing at `url`, and its failure named with the call and its
/// resource.
async fn list(
    client: &Client,
    call: Call,
    resource: &str,
    url: &str,
    query: &[(&str, String)],
    items: &'static str,
) -> (Vec<Value>, Option<SourceError>) {
    let mut listing = client.list(call, resource, url, query, items).await;
    let error = failed(call, resource, &mut listing);
    (listing.items, error)
}

impl Document {
    fn new(kind: ExportKind, file: String, url: &str, items: Vec<Value>) -> Document {
        Document {
            kind,
            file,
            url: format!("GET {url}"),
            items,
        }
    }
}

async fn search_policies(client: &Client, scope: &str) -> (Document, Option<SourceError>) {
    let url = format!(
        "{}/v1/{scope}:searchAllIamPolicies",
        client.endpoints.cloudasset
    );
    let query = [("pageSize", "500".into())];
    let (items, error) = list(client, SEARCH_POLICIES, scope, &url, &query, "results").await;
    let file = file_name("iam-policies", scope);
    (
        Document::new(ExportKind::IamPolicySearch, file, &url, items),
        error,
    )
}

/// The project ids of an organisation, from its Project assets (`additionalAttributes
/// .projectId`, else the project number, which the IAM API accepts as well).
async fn org_projects(client: &Client, org: &str) -> (Vec<String>, Option<SourceError>) {
    let scope = format!("organizations/{org}");
    let url = format!(
        "{}/v1/{scope}:searchAllResources",
        client.endpoints.cloudasset
    );
    let query = [
        ("assetTypes", PROJECT_ASSET.into()),
        ("pageSize", "500".into()),
    ];
    let (items, error) = list(client, SEARCH_RESOURCES, &scope, &url, &query, "results").await;
    let ids = items
        .iter()
        .filter_map(|r| {
            let id = r["additionalAttributes"]["projectId"]
                .as_str()
                .or_else(|| {
                    r.get("name")?
                        .as_str()?
                        .strip_prefix("//cloudresourcemanager.googleapis.com/projects/")
                })?;
            valid_id(id).then(|| id.to_string())
        })
        .collect();
    (ids, error)
}

/// A project id or number as Google allows them (letters, digits, `-`, `.`, `:`, from a
/// letter or digit), so that a hostile answer cannot steer a later request's path.
fn valid_id(id: &str) -> bool {
    id.len() <= 100
        && id.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b':'))
}

async fn list_accounts(client: &Client, project: &str) -> (Document, Option<SourceError>) {
    let resource = format!("projects/{project}");
    let url = format!("{}/v1/{resource}/serviceAccounts", client.endpoints.iam);
    let query = [("pageSize", "100".into())];
    let (items, error) = list(client, LIST_ACCOUNTS, &resource, &url, &query, "accounts").await;
    let file = file_name("service-accounts", project);
    (
        Document::new(ExportKind::ServiceAccounts, file, &url, items),
        error,
    )
}

/// The roles the bindings of the policy searches name.
fn bound_roles(documents: &[Document]) -> BTreeSet<String> {
    documents
        .iter()
        .filter(|d| d.kind == ExportKind::IamPolicySearch)
        .flat_map(|d| &d.items)
        .filter_map(|r| r["policy"]["bindings"].as_array())
        .flatten()
        .filter_map(|b| b["role"].as_str().map(str::to_string))
        .collect()
}

/// The predefined roles that some binding names, with their permissions; `None` when no
/// binding names one. Google lists them all, so the rest are dropped.
async fn predefined_roles(
    client: &Client,
    bound: &BTreeSet<String>,
) -> Option<(Document, Option<SourceError>)> {
    if !bound.iter().any(|r| r.starts_with("roles/")) {
        return None;
    }
    let url = format!("{}/v1/roles", client.endpoints.iam);
    // 300 is Google's default page; with every permission a page is large already.
    let query = [("view", "FULL".into()), ("pageSize", "300".into())];
    let (mut items, error) = list(client, LIST_ROLES, "roles", &url, &query, "roles").await;
    items.retain(|r| r["name"].as_str().is_some_and(|n| bound.contains(n)));
    let file = "roles-predefined.json".to_string();
    Some((Document::new(ExportKind::Roles, file, &url, items), error))
}

/// The custom roles of an organisation or project (`organizations/O`, `projects/P`), with
/// their permissions.
async fn custom_roles(client: &Client, parent: &str) -> (Document, Option<SourceError>) {
    let call = if parent.starts_with("organizations/") {
        LIST_ORG_ROLES
    } else {
        LIST_PROJECT_ROLES
    };
    let url = format!("{}/v1/{parent}/roles", client.endpoints.iam);
    let query = [("view", "FULL".into()), ("pageSize", "300".into())];
    let (items, error) = list(client, call, parent, &url, &query, "roles").await;
    let file = file_name("roles", parent);
    (Document::new(ExportKind::Roles, file, &url, items), error)
}

/// A project's workload identity pools: each pool's resource name (`projects/NUMBER
/// /locations/global/workloadIdentityPools/POOL`) and `NUMBER-POOL`, to name its file.
async fn list_pools(client: &Client, project: &str) -> (Vec<(String, String)>, Vec<SourceError>) {
    let resource = format!("projects/{project}");
    let url = format!(
        "{}/v1/{resource}/locations/global/workloadIdentityPools",
        client.endpoints.iam
    );
    let query = [("pageSize", "1000".into())];
    let items = "workloadIdentityPools";
    let (pools, error) = list(client, LIST_POOLS, &resource, &url, &query, items).await;
    let mut errors: Vec<SourceError> = error.into_iter().collect();
    let mut names = Vec::new();
    for pool in &pools {
        let name = pool["name"].as_str().unwrap_or_default();
        match pool_parts(name) {
            Some((number, id)) => names.push((name.to_string(), format!("{number}-{id}"))),
            None => errors.push(SourceKind::Gcp.error(
                format!("{} {resource}", LIST_POOLS.id),
                "a listed pool's name is not a pool's resource name; its providers are not read",
            )),
        }
    }
    (names, errors)
}

/// The providers of one pool (a name [`pool_parts`] accepts): who outside Google may sign
/// in through it.
async fn list_providers(
    client: &Client,
    pool: &str,
    file_id: &str,
) -> (Document, Option<SourceError>) {
    let url = format!("{}/v1/{pool}/providers", client.endpoints.iam);
    let query = [("pageSize", "100".into())];
    let items = "workloadIdentityPoolProviders";
    let (providers, error) = list(client, LIST_PROVIDERS, pool, &url, &query, items).await;
    let file = file_name("workload-identity-providers", file_id);
    let doc = Document::new(ExportKind::WorkloadIdentityProviders, file, &url, providers);
    (doc, error)
}

/// The project and pool id of a pool's resource name, when every part of it is an id
/// that cannot steer the providers' path.
fn pool_parts(name: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        [
            "projects",
            project,
            "locations",
            location,
            "workloadIdentityPools",
            pool,
        ] if [project, location, pool].iter().all(|p| valid_id(p)) => Some((project, pool)),
        _ => None,
    }
}

/// When a project's accounts (or keys) last authenticated, from Activity Analyzer.
async fn last_authentications(
    client: &Client,
    project: &str,
    call: Call,
) -> (Document, Option<SourceError>) {
    let activity = if call.permission == KEY_ACTIVITY.permission {
        "serviceAccountKeyLastAuthentication"
    } else {
        "serviceAccountLastAuthentication"
    };
    let resource = format!("projects/{project}/locations/global/activityTypes/{activity}");
    let url = format!(
        "{}/v1/{resource}/activities:query",
        client.endpoints.policyanalyzer
    );
    let query = [("pageSize", "1000".into())];
    let (items, error) = list(client, call, &resource, &url, &query, "activities").await;
    let file = file_name(&format!("activity-{activity}"), project);
    (
        Document::new(ExportKind::Activities, file, &url, items),
        error,
    )
}

async fn list_keys(
    client: &Client,
    project: Option<&str>,
    email: &str,
) -> (Document, Option<SourceError>) {
    // `projects/-` lets Google find the account's project from its email.
    let project = project.filter(|p| valid_id(p)).unwrap_or("-");
    let resource = format!("projects/{project}/serviceAccounts/{email}");
    let mut doc = Document {
        kind: ExportKind::ServiceAccountKeys,
        file: file_name("keys", email),
        url: String::new(),
        items: Vec::new(),
    };
    if !valid_email(email) {
        let error = SourceKind::Gcp.error(
            format!("{} {project}", LIST_KEYS.id),
            "a listed account's email is not an email; its keys are not read",
        );
        return (doc, Some(error));
    }
    let url = format!("{}/v1/{resource}/keys", client.endpoints.iam);
    doc.url = format!("GET {url}");
    let mut listing = client.items(LIST_KEYS, &resource, &url, "keys").await;
    let error = failed(LIST_KEYS, &resource, &mut listing);
    doc.items = listing.items;
    (doc, error)
}

/// A service account's email as a path segment: one `@`, no `/`, `?`, `#`, `%` or spaces.
fn valid_email(email: &str) -> bool {
    email.bytes().filter(|&b| b == b'@').count() == 1
        && email.len() <= 200
        && email
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'@' | b'.' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_take_service_equals_url_and_refuse_anything_else() {
        let mut e = Endpoints::default();
        e.set("iam=http://127.0.0.1:9/").unwrap();
        assert_eq!(e.iam, "http://127.0.0.1:9");
        e.set("policyanalyzer=https://pa.example").unwrap();
        assert_eq!(e.policyanalyzer, "https://pa.example");
        assert!(e.set("iam").unwrap_err().contains("SERVICE=URL"));
        assert!(e.set("iam=127.0.0.1").unwrap_err().contains("http://"));
        assert!(
            e.set("storage=http://x")
                .unwrap_err()
                .contains("unknown service")
        );
    }

    #[test]
    fn ids_from_answers_cannot_steer_a_path() {
        assert!(valid_id("example-project"));
        assert!(valid_id("123456789012"));
        assert!(valid_id("example.com:legacy-project"));
        assert!(!valid_id("../../v1/other"));
        assert!(!valid_id("p?x=1"));
        assert!(!valid_id(".."));
        assert_eq!(
            pool_parts("projects/222222222222/locations/global/workloadIdentityPools/github"),
            Some(("222222222222", "github"))
        );
        assert_eq!(
            pool_parts("projects/2/locations/global/workloadIdentityPools/../../../x"),
            None
        );
        assert_eq!(
            pool_parts("projects/2/locations/global/workloadIdentityPools/.."),
            None
        );
        assert!(valid_email("a-b@p.iam.gserviceaccount.com"));
        assert!(!valid_email("a/../b@x"));
        assert_eq!(file_name("keys", "a/b@c"), "keys-a_b@c.json");
    }
}
