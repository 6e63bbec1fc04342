//! The live Entra ID and Azure crawl: Microsoft Graph v1.0 for the tenant's
//! applications (with their owners), service principals, the application permissions
//! granted on each resource (`appRoleAssignedTo`), every application's federated
//! credentials and the directory roles; Azure Resource Manager for the role assignments
//! and role definitions of each subscription. Read-only throughout.
//!
//! What the crawl reads is kept as [`Document`]s shaped exactly as the offline reader
//! takes them — Graph listings as one Graph page (`@odata.context` and `value`), Resource
//! Manager listings as `az role … list` prints them (each object's `properties` lifted to
//! its top level) — so the live scan and the scan of `nhi-audit export azure` give one
//! inventory by construction.

mod auth;
mod client;

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};

use super::ExportKind;
use crate::model::{SourceError, SourceKind};
use crate::sources::rest::{self, Call, Limits, Listing};
pub use auth::{Audience, MintedTokens};
use auth::{Auth, Scoped};
use client::Microsoft;

/// Requests in flight at once, per API.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The longest one request may take.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// The Resource Manager API versions read, as Microsoft's SDKs default to them.
const AUTHORIZATION_API: &str = "2022-04-01";
const SUBSCRIPTIONS_API: &str = "2022-12-01";

/// The Azure cloud: its Graph and Resource Manager hosts and token audiences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Cloud {
    #[default]
    Public,
    UsGovernment,
    China,
}

impl Cloud {
    /// `public`, `usgov`, `china` (and Azure CLI's cloud names).
    pub fn parse(name: &str) -> Result<Cloud, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "public" | "azurecloud" | "azurepublic" => Ok(Cloud::Public),
            "usgov" | "azureusgovernment" | "usgovernment" => Ok(Cloud::UsGovernment),
            "china" | "azurechinacloud" => Ok(Cloud::China),
            other => Err(format!(
                "--azure-cloud {other:?}: known clouds are public, usgov and china"
            )),
        }
    }

    fn graph(self) -> &'static str {
        match self {
            Cloud::Public => "https://graph.microsoft.com",
            Cloud::UsGovernment => "https://graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    fn arm(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com",
            Cloud::UsGovernment => "https://management.usgovcloudapi.net",
            Cloud::China => "https://management.chinacloudapi.cn",
        }
    }

    /// The `.default` scope of an audience in this cloud (tokens are minted for the
    /// cloud's own hosts, whatever endpoint the calls go to).
    pub fn scope(self, audience: Audience) -> String {
        match audience {
            Audience::Graph => format!("{}/.default", self.graph()),
            Audience::Arm => format!("{}/.default", self.arm()),
        }
    }
}

/// Where the APIs answer: the cloud's own hosts unless overridden (tests, proxies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub graph: String,
    pub arm: String,
}

impl Endpoints {
    pub fn of(cloud: Cloud) -> Endpoints {
        Endpoints {
            graph: cloud.graph().into(),
            arm: cloud.arm().into(),
        }
    }

    /// Applies `SERVICE=URL`; the error names what is wrong, never guesses.
    pub fn set(&mut self, spec: &str) -> Result<(), String> {
        let (service, url) = spec.split_once('=').ok_or_else(|| {
            format!("--azure-endpoint {spec}: use SERVICE=URL, like graph=https://graph.example")
        })?;
        let url = url.trim().trim_end_matches('/');
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(format!(
                "--azure-endpoint {service}=…: the URL needs http:// or https://"
            ));
        }
        match service.trim() {
            "graph" => self.graph = url.into(),
            "arm" => self.arm = url.into(),
            other => {
                return Err(format!(
                    "--azure-endpoint: unknown service {other:?} (known: graph, arm)"
                ));
            }
        }
        Ok(())
    }
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints::of(Cloud::Public)
    }
}

/// How to reach Entra ID and Azure live.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// The tenant (directory) id or domain.
    pub tenant: String,
    /// Subscriptions to read the role assignments of; none: every one the caller sees.
    pub subscriptions: Vec<String>,
    /// Tokens the caller minted; none: the credential chain.
    pub tokens: MintedTokens,
    pub cloud: Cloud,
    pub endpoints: Endpoints,
    /// What the crawl may spend: requests in flight (per API), timeouts, retries, sizes.
    pub limits: Limits,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            tenant: String::new(),
            subscriptions: Vec::new(),
            tokens: MintedTokens::default(),
            cloud: Cloud::Public,
            endpoints: Endpoints::default(),
            limits: Limits {
                concurrency: DEFAULT_CONCURRENCY,
                http_timeout: DEFAULT_HTTP_TIMEOUT,
                ..Limits::default()
            },
        }
    }
}

/// One listing, as the offline reader takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub kind: ExportKind,
    /// The file `export azure` writes it to.
    pub file: String,
    /// The request that read it, as reports show it (`GET https://…`).
    pub url: String,
    /// A Graph page's `@odata.context`; `None`: an `az`-shaped list.
    pub context: Option<String>,
    pub items: Vec<Value>,
}

impl Document {
    /// The document as a file holds it: a Graph page, or a JSON list.
    pub fn to_value(&self) -> Value {
        match &self.context {
            Some(context) => json!({"@odata.context": context, "value": self.items}),
            None => Value::Array(self.items.clone()),
        }
    }
}

/// What a crawl read, and what it could not.
#[derive(Debug, Default)]
pub struct Crawl {
    pub documents: Vec<Document>,
    pub errors: Vec<SourceError>,
    /// The subscriptions whose role assignments were read.
    pub subscriptions: Vec<String>,
    pub requests: u64,
    /// What signed in: `Azure CLI`, `tokens from the environment`.
    pub signed_in_with: &'static str,
}

impl Crawl {
    fn add(&mut self, (doc, error): (Document, Option<SourceError>)) {
        self.documents.push(doc);
        self.errors.extend(error);
    }
}

const LIST_APPLICATIONS: Call = Call {
    id: "graph applications.list",
    permission: "Application.Read.All",
};
const LIST_SERVICE_PRINCIPALS: Call = Call {
    id: "graph servicePrincipals.list",
    permission: "Application.Read.All",
};
const LIST_ASSIGNED_TO: Call = Call {
    id: "graph servicePrincipals.appRoleAssignedTo.list",
    permission: "Application.Read.All",
};
const LIST_FEDERATED: Call = Call {
    id: "graph applications.federatedIdentityCredentials.list",
    permission: "Application.Read.All",
};
const LIST_DIRECTORY_ASSIGNMENTS: Call = Call {
    id: "graph roleManagement.directory.roleAssignments.list",
    permission: "RoleManagement.Read.Directory",
};
const LIST_DIRECTORY_DEFINITIONS: Call = Call {
    id: "graph roleManagement.directory.roleDefinitions.list",
    permission: "RoleManagement.Read.Directory",
};
const LIST_SUBSCRIPTIONS: Call = Call {
    id: "arm subscriptions.list",
    permission: "Reader (Microsoft.Resources/subscriptions/read)",
};
const LIST_RBAC_ASSIGNMENTS: Call = Call {
    id: "arm roleAssignments.listForSubscription",
    permission: "Reader (Microsoft.Authorization/roleAssignments/read)",
};
const LIST_RBAC_DEFINITIONS: Call = Call {
    id: "arm roleDefinitions.list",
    permission: "Reader (Microsoft.Authorization/roleDefinitions/read)",
};

/// The clients of one crawl, one per API.
struct Clients {
    graph: rest::Client<Scoped, Microsoft>,
    arm: Option<rest::Client<Scoped, Microsoft>>,
    endpoints: Endpoints,
}

/// Crawls the tenant of `opts`. `Err` when it could not start (no credentials, no
/// runtime); what one call could not read is in [`Crawl::errors`].
pub fn crawl(opts: &LiveOptions) -> Result<Crawl, SourceError> {
    crate::sources::block_on(|| crawl_async(opts), |why| Err(start_error(why)))
}

fn start_error(message: String) -> SourceError {
    SourceKind::Azure.error("Azure credentials", message)
}

async fn crawl_async(opts: &LiveOptions) -> Result<Crawl, SourceError> {
    if !valid_tenant(&opts.tenant) {
        return Err(start_error(
            "--azure-tenant: a tenant id (a GUID) or its domain (contoso.onmicrosoft.com)".into(),
        ));
    }
    let mut crawl = Crawl::default();
    let mut subscriptions = Vec::new();
    for s in &opts.subscriptions {
        let s = s.trim().trim_start_matches("/subscriptions/");
        if is_guid(s) {
            subscriptions.push(s.to_ascii_lowercase());
        } else {
            return Err(start_error(format!(
                "--azure-subscription {s:?}: a subscription id is a GUID"
            )));
        }
    }
    subscriptions.sort();
    subscriptions.dedup();

    let auth =
        Arc::new(Auth::new(Some(&opts.tenant), opts.cloud, &opts.tokens).map_err(start_error)?);
    if !auth.covers(Audience::Graph) {
        return Err(start_error(
            "no Microsoft Graph token: --azure-access-token-env is needed with \
             --azure-arm-token-env (as `az account get-access-token --resource-type ms-graph` \
             prints it)"
                .into(),
        ));
    }
    // One token before any call: no credentials is one clear error, not one per call.
    auth.token(Audience::Graph)
        .await
        .map_err(|e| start_error(format!("cannot get a Microsoft Graph token: {e}")))?;
    let scoped = |audience| Scoped {
        auth: auth.clone(),
        audience,
    };
    let graph = rest::Client::new(opts.limits.clone(), scoped(Audience::Graph), Microsoft)
        .map_err(start_error)?;
    let arm = if auth.covers(Audience::Arm) {
        Some(
            rest::Client::new(opts.limits.clone(), scoped(Audience::Arm), Microsoft)
                .map_err(start_error)?,
        )
    } else {
        if !subscriptions.is_empty() {
            crawl.errors.push(SourceKind::Azure.error(
                LIST_RBAC_ASSIGNMENTS.id,
                "no Azure Resource Manager token was passed (--azure-arm-token-env); the \
                 subscriptions' role assignments are not read",
            ));
        }
        None
    };
    let clients = Clients {
        graph,
        arm,
        endpoints: opts.endpoints.clone(),
    };

    // The tenant's applications, service principals and directory roles, and the
    // subscriptions when none were named.
    let listed_subscriptions = async {
        match &clients.arm {
            Some(arm) if subscriptions.is_empty() => Some(list_subscriptions(&clients, arm).await),
            _ => None,
        }
    };
    let app_query = [
        ("$expand", "owners($select=id,displayName)".to_string()),
        ("$top", "999".to_string()),
    ];
    let sp_query = [("$top", "999".to_string())];
    let (apps, sps, dir_assignments, dir_definitions, found) = futures::join!(
        graph_page(
            &clients,
            LIST_APPLICATIONS,
            "applications",
            "applications",
            &app_query,
            ExportKind::Applications,
            "applications.json",
        ),
        graph_page(
            &clients,
            LIST_SERVICE_PRINCIPALS,
            "servicePrincipals",
            "servicePrincipals",
            &sp_query,
            ExportKind::ServicePrincipals,
            "service-principals.json",
        ),
        graph_page(
            &clients,
            LIST_DIRECTORY_ASSIGNMENTS,
            "roleManagement/directory/roleAssignments",
            "roleManagement/directory/roleAssignments",
            &[],
            ExportKind::DirectoryRoleAssignments,
            "directory-role-assignments.json",
        ),
        graph_page(
            &clients,
            LIST_DIRECTORY_DEFINITIONS,
            "roleManagement/directory/roleDefinitions",
            "roleManagement/directory/roleDefinitions",
            &[],
            ExportKind::DirectoryRoleDefinitions,
            "directory-role-definitions.json",
        ),
        listed_subscriptions,
    );
    if let Some((ids, error)) = found {
        subscriptions.extend(ids);
        crawl.errors.extend(error);
    }
    let app_ids = object_ids(&apps.0.items);
    // Only a service principal that defines app roles can have them assigned.
    let resources: Vec<&Value> = sps
        .0
        .items
        .iter()
        .filter(|sp| sp["appRoles"].as_array().is_some_and(|r| !r.is_empty()))
        .collect();
    let resource_ids = object_ids(resources);
    for read in [apps, sps, dir_assignments, dir_definitions] {
        crawl.add(read);
    }
    crawl.errors.extend(not_guids(
        LIST_FEDERATED,
        app_ids.1,
        "applications' federated credentials",
    ));
    crawl.errors.extend(not_guids(
        LIST_ASSIGNED_TO,
        resource_ids.1,
        "resource service principals' app role assignments",
    ));

    // Each application's federated credentials, each resource's assignments, each
    // subscription's Azure roles.
    let rbac = async {
        match &clients.arm {
            Some(arm) => {
                join_all(subscriptions.iter().flat_map(|s| {
                    [
                        rbac_listing(&clients, arm, s, LIST_RBAC_ASSIGNMENTS),
                        rbac_listing(&clients, arm, s, LIST_RBAC_DEFINITIONS),
                    ]
                }))
                .await
            }
            None => Vec::new(),
        }
    };
    let (federated, assigned, rbac) = futures::join!(
        join_all(app_ids.0.iter().map(|id| federated(&clients, id))),
        join_all(resource_ids.0.iter().map(|id| assigned_to(&clients, id))),
        rbac,
    );
    // A listing of nothing adds nothing: only what holds items is kept as a document.
    for (doc, error) in federated.into_iter().chain(assigned) {
        crawl.errors.extend(error);
        if !doc.items.is_empty() {
            crawl.documents.push(doc);
        }
    }
    rbac.into_iter().for_each(|read| crawl.add(read));
    crawl.documents.sort_by(|a, b| a.file.cmp(&b.file));
    crawl.subscriptions = subscriptions;
    crawl.signed_in_with = auth.signed_in_with();
    crawl.requests =
        clients.graph.requests() + clients.arm.as_ref().map_or(0, rest::Client::requests);
    Ok(crawl)
}

/// The GUID object ids of `items`, and how many are not GUIDs (which no later request's
/// path may carry).
fn object_ids<'a>(items: impl IntoIterator<Item = &'a Value>) -> (Vec<String>, usize) {
    let mut good = Vec::new();
    let mut bad = 0;
    for item in items {
        match item["id"].as_str() {
            Some(id) if is_guid(id) => good.push(id.to_ascii_lowercase()),
            _ => bad += 1,
        }
    }
    good.sort();
    good.dedup();
    (good, bad)
}

/// An error for the listed objects whose id is not a GUID, when there are any.
fn not_guids(call: Call, bad: usize, what: &str) -> Option<SourceError> {
    (bad > 0).then(|| {
        SourceKind::Azure.error(
            call.id,
            format!("{bad} listed {what} have an id that is not a GUID; they are not read"),
        )
    })
}

/// A listing's failure as a source error naming the call and its resource.
fn failed(call: Call, resource: &str, listing: &mut Listing) -> Option<SourceError> {
    listing
        .failure
        .take()
        .map(|f| SourceKind::Azure.error(format!("{} {resource}", call.id), f.to_string()))
}

/// Every page of one Graph v1.0 listing, as one page whose context says what it lists.
async fn graph_page(
    clients: &Clients,
    call: Call,
    path: &str,
    context: &str,
    query: &[(&str, String)],
    kind: ExportKind,
    file: &str,
) -> (Document, Option<SourceError>) {
    let url = format!("{}/v1.0/{path}", clients.endpoints.graph);
    let mut listing = clients.graph.list(call, path, &url, query, "value").await;
    let error = failed(call, path, &mut listing);
    let doc = Document {
        kind,
        file: file.into(),
        url: format!("GET {url}"),
        context: Some(format!(
            "{}/v1.0/$metadata#{context}",
            clients.endpoints.graph
        )),
        items: listing.items,
    };
    (doc, error)
}

/// One application's federated identity credentials (`id` a GUID).
async fn federated(clients: &Clients, id: &str) -> (Document, Option<SourceError>) {
    graph_page(
        clients,
        LIST_FEDERATED,
        &format!("applications/{id}/federatedIdentityCredentials"),
        &format!("applications('{id}')/federatedIdentityCredentials"),
        &[],
        ExportKind::FederatedCredentials,
        &format!("federated-credentials-{id}.json"),
    )
    .await
}

/// The app roles granted on one resource service principal (`id` a GUID).
async fn assigned_to(clients: &Clients, id: &str) -> (Document, Option<SourceError>) {
    graph_page(
        clients,
        LIST_ASSIGNED_TO,
        &format!("servicePrincipals/{id}/appRoleAssignedTo"),
        &format!("servicePrincipals('{id}')/appRoleAssignedTo"),
        &[("$top", "999".into())],
        ExportKind::AppRoleAssignments,
        &format!("app-role-assigned-to-{id}.json"),
    )
    .await
}

/// The subscriptions the caller can read (their ids; one that is not a GUID is left out
/// with an error).
async fn list_subscriptions(
    clients: &Clients,
    arm: &rest::Client<Scoped, Microsoft>,
) -> (Vec<String>, Vec<SourceError>) {
    let url = format!("{}/subscriptions", clients.endpoints.arm);
    let query = [("api-version", SUBSCRIPTIONS_API.to_string())];
    let mut listing = arm
        .list(LIST_SUBSCRIPTIONS, "subscriptions", &url, &query, "value")
        .await;
    let mut errors: Vec<SourceError> = failed(LIST_SUBSCRIPTIONS, "subscriptions", &mut listing)
        .into_iter()
        .collect();
    let mut ids = Vec::new();
    for s in &listing.items {
        match s["subscriptionId"].as_str() {
            Some(id) if is_guid(id) => ids.push(id.to_ascii_lowercase()),
            _ => errors.push(SourceKind::Azure.error(
                format!("{} subscriptions", LIST_SUBSCRIPTIONS.id),
                "a listed subscription's subscriptionId is not a GUID; it is not read",
            )),
        }
    }
    (ids, errors)
}

/// A subscription's role assignments or role definitions, as `az role assignment list`
/// and `az role definition list` print them.
async fn rbac_listing(
    clients: &Clients,
    arm: &rest::Client<Scoped, Microsoft>,
    subscription: &str,
    call: Call,
) -> (Document, Option<SourceError>) {
    let assignments = call == LIST_RBAC_ASSIGNMENTS;
    let what = if assignments {
        "roleAssignments"
    } else {
        "roleDefinitions"
    };
    let resource = format!("/subscriptions/{subscription}");
    let url = format!(
        "{}{resource}/providers/Microsoft.Authorization/{what}",
        clients.endpoints.arm
    );
    let query = [("api-version", AUTHORIZATION_API.to_string())];
    let mut listing = arm.list(call, &resource, &url, &query, "value").await;
    let error = failed(call, &resource, &mut listing);
    let (kind, file) = if assignments {
        (ExportKind::RbacAssignments, "role-assignments")
    } else {
        (ExportKind::RbacDefinitions, "role-definitions")
    };
    let doc = Document {
        kind,
        file: format!("{file}-{subscription}.json"),
        url: format!("GET {url}"),
        context: None,
        items: listing
            .items
            .into_iter()
            .map(|i| as_az(i, !assignments))
            .collect(),
    };
    (doc, error)
}

/// A Resource Manager object as `az` prints it: its `properties` lifted beside `id`,
/// `name` and `type` (a role definition's own `type`, `BuiltInRole` or `CustomRole`,
/// becomes `roleType`, as `az` names it).
fn as_az(item: Value, definition: bool) -> Value {
    let Value::Object(mut object) = item else {
        return item;
    };
    if let Some(Value::Object(properties)) = object.remove("properties") {
        for (key, value) in properties {
            let key = if definition && key == "type" {
                "roleType".to_string()
            } else {
                key
            };
            object.entry(key).or_insert(value);
        }
    }
    Value::Object(object)
}

/// A GUID as Entra and Azure write ids: 8-4-4-4-12 hexadecimal digits.
fn is_guid(id: &str) -> bool {
    let parts: Vec<&str> = id.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A tenant id (a GUID) or a verified domain (`contoso.onmicrosoft.com`).
fn valid_tenant(tenant: &str) -> bool {
    is_guid(tenant)
        || (tenant.len() <= 253
            && tenant.contains('.')
            && tenant.split('.').all(|l| {
                !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_clouds_take_what_they_document_and_refuse_the_rest() {
        let mut e = Endpoints::of(Cloud::UsGovernment);
        assert_eq!(e.graph, "https://graph.microsoft.us");
        e.set("graph=http://127.0.0.1:9/").unwrap();
        e.set("arm=https://arm.example").unwrap();
        assert_eq!(
            (e.graph.as_str(), e.arm.as_str()),
            ("http://127.0.0.1:9", "https://arm.example")
        );
        assert!(e.set("graph").unwrap_err().contains("SERVICE=URL"));
        assert!(
            e.set("graph=graph.example")
                .unwrap_err()
                .contains("http://")
        );
        assert!(
            e.set("keyvault=http://x")
                .unwrap_err()
                .contains("unknown service")
        );
        assert_eq!(Cloud::parse("AzureChinaCloud"), Ok(Cloud::China));
        assert!(Cloud::parse("mars").is_err());
        assert_eq!(
            Cloud::China.scope(Audience::Arm),
            "https://management.chinacloudapi.cn/.default"
        );
    }

    #[test]
    fn ids_from_answers_cannot_steer_a_path() {
        assert!(is_guid("00000003-0000-0000-c000-000000000000"));
        assert!(!is_guid("00000003-0000-0000-c000-00000000000"));
        assert!(!is_guid("../../../applications"));
        assert!(!is_guid("00000003-0000-0000-c000-00000000000/"));
        assert!(valid_tenant("contoso.onmicrosoft.com"));
        assert!(valid_tenant("72f988bf-86f1-41af-91ab-2d7cd011db47"));
        assert!(!valid_tenant("contoso"));
        assert!(!valid_tenant("a/b.com"));
        let (good, bad) = object_ids(&[
            json!({"id": "AAAAAAAA-0000-0000-0000-000000000001"}),
            json!({"id": "x/../y"}),
            json!({}),
        ]);
        assert_eq!(good, ["aaaaaaaa-0000-0000-0000-000000000001"]);
        assert_eq!(bad, 2);
    }

    #[test]
    fn resource_manager_objects_read_as_az_prints_them() {
        let def = json!({
            "id": "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/g",
            "name": "g", "type": "Microsoft.Authorization/roleDefinitions",
            "properties": {"roleName": "Owner", "type": "BuiltInRole", "permissions": [{"actions": ["*"]}]}
        });
        let az = as_az(def, true);
        assert_eq!(az["roleType"], "BuiltInRole");
        assert_eq!(az["type"], "Microsoft.Authorization/roleDefinitions");
        assert_eq!(az["roleName"], "Owner");
        assert!(az.get("properties").is_none());
        let text = serde_json::to_string(&[az]).unwrap();
        assert_eq!(
            super::super::recognise(&text),
            Some(ExportKind::RbacDefinitions)
        );
    }
}
