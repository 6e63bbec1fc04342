//! The Google provider's IAM resources as the `gcloud` listings they will make: service
//! accounts and their keys, IAM members and bindings on projects, folders,
//! organisations and service accounts, and workload identity pool providers. The GCP
//! source's normaliser judges them as it judges a project's export; their locations are
//! the resources' `file:line`.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{Mode, Resource};
use crate::model::{Inventory, Location};
use crate::sources::gcp::{
    Binding, GcpInput, OidcProvider, ResourcePolicy, ServiceAccount, ServiceAccountKey,
    WorkloadIdentityPoolProvider,
};

/// Adds what Google derives from a service account's id and project (`email`, `name`,
/// `member`), unless given.
pub fn derive(kind: &str, address: &str, attrs: &mut Map<String, Value>) {
    if kind != "google_service_account" {
        return;
    }
    let Some(id) = attrs
        .get("account_id")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return;
    };
    let project = attrs
        .get("project")
        .and_then(Value::as_str)
        .map(str::to_string)
        // The provider's default project: known only where the provider is configured.
        .unwrap_or_else(|| format!("${{{address}.project}}"));
    let email = format!("{id}@{project}.iam.gserviceaccount.com");
    let name = format!("projects/{project}/serviceAccounts/{email}");
    attrs.entry("email").or_insert(Value::String(email.clone()));
    attrs.entry("name").or_insert(Value::String(name.clone()));
    attrs.entry("id").or_insert(Value::String(name));
    attrs
        .entry("member")
        .or_insert(Value::String(format!("serviceAccount:{email}")));
}

/// The account a `service_account_id` argument names: `projects/P/serviceAccounts/EMAIL`,
/// or the email itself.
fn account_name(id: &str) -> String {
    if id.contains("/serviceAccounts/") {
        id.to_string()
    } else {
        format!("projects/-/serviceAccounts/{id}")
    }
}

pub fn judge(resources: &[Resource]) -> Inventory {
    let mut input = GcpInput::default();
    let mut places: HashMap<String, Location> = HashMap::new();
    for r in resources.iter().filter(|r| r.mode == Mode::Managed) {
        let path = r.location.to_string();
        let policy = |resource: String, bindings: Vec<Binding>| ResourcePolicy {
            resource,
            bindings,
            project: None,
            path: r.location.path().unwrap_or_default().to_string(),
            line: r.location.line(),
            ancestors: Vec::new(),
        };
        let members = || {
            let mut m = r.strs("members");
            m.extend(r.strs("member"));
            m
        };
        let binding = || Binding {
            role: r.str("role").unwrap_or_default().to_string(),
            members: members(),
            condition: r
                .blocks("condition")
                .next()
                .map(|c| Value::Object(c.clone())),
        };
        match r.kind.as_str() {
            "google_service_account" => {
                let (Some(email), Some(name)) = (r.str("email"), r.str("name")) else {
                    continue;
                };
                places.insert(format!("//iam.googleapis.com/{name}"), r.location.clone());
                input.accounts.push((
                    ServiceAccount {
                        email: email.to_string(),
                        name: Some(name.to_string()),
                        project_id: name.split('/').nth(1).map(str::to_string),
                        display_name: r.str("display_name").map(str::to_string),
                        description: r.str("description").map(str::to_string),
                        disabled: r.values.get("disabled").and_then(Value::as_bool) == Some(true),
                        ..Default::default()
                    },
                    path,
                ));
            }
            "google_service_account_key" => {
                let Some(account) = r.str("service_account_id") else {
                    continue;
                };
                let name = format!("{}/keys/${{{}.id}}", account_name(account), r.address);
                places.insert(format!("//iam.googleapis.com/{name}"), r.location.clone());
                input.keys.push((
                    ServiceAccountKey {
                        name,
                        key_type: Some("USER_MANAGED".into()),
                        key_algorithm: r.str("key_algorithm").map(str::to_string),
                        key_origin: Some("GOOGLE_PROVIDED".into()),
                        // What Google sets on a key no expiry policy limits.
                        valid_before_time: Some("9999-12-31T23:59:59Z".into()),
                        ..Default::default()
                    },
                    path,
                ));
            }
            "google_project_iam_member" | "google_project_iam_binding" => {
                let project = r.str("project").unwrap_or("-");
                input.policies.push(policy(
                    format!("//cloudresourcemanager.googleapis.com/projects/{project}"),
                    vec![binding()],
                ));
            }
            "google_folder_iam_member" | "google_folder_iam_binding" => {
                let folder = r.str("folder").unwrap_or_default();
                let folder = folder.strip_prefix("folders/").unwrap_or(folder);
                input.policies.push(policy(
                    format!("//cloudresourcemanager.googleapis.com/folders/{folder}"),
                    vec![binding()],
                ));
            }
            "google_organization_iam_member" | "google_organization_iam_binding" => {
                let org = r.str("org_id").unwrap_or_default();
                input.policies.push(policy(
                    format!("//cloudresourcemanager.googleapis.com/organizations/{org}"),
                    vec![binding()],
                ));
            }
            "google_service_account_iam_member" | "google_service_account_iam_binding" => {
                let Some(account) = r.str("service_account_id") else {
                    continue;
                };
                input.policies.push(policy(
                    format!("//iam.googleapis.com/{}", account_name(account)),
                    vec![binding()],
                ));
            }
            "google_iam_workload_identity_pool_provider" => {
                let project = r.str("project").unwrap_or("-");
                let (Some(pool), Some(id)) = (
                    r.str("workload_identity_pool_id"),
                    r.str("workload_identity_pool_provider_id"),
                ) else {
                    continue;
                };
                let name = format!(
                    "projects/{project}/locations/global/workloadIdentityPools/{pool}/providers/{id}"
                );
                places.insert(format!("//iam.googleapis.com/{name}"), r.location.clone());
                let oidc = r.blocks("oidc").next().map(|o| OidcProvider {
                    issuer_uri: o
                        .get("issuer_uri")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    allowed_audiences: o
                        .get("allowed_audiences")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect(),
                });
                input.providers.push((
                    WorkloadIdentityPoolProvider {
                        name,
                        display_name: r.str("display_name").map(str::to_string),
                        disabled: r.values.get("disabled").and_then(Value::as_bool) == Some(true),
                        attribute_mapping: r.string_map("attribute_mapping"),
                        attribute_condition: r.str("attribute_condition").map(str::to_string),
                        oidc,
                        ..Default::default()
                    },
                    path,
                ));
            }
            _ => {}
        }
    }
    if input.accounts.is_empty() && input.policies.is_empty() && input.providers.is_empty() {
        return Inventory::default();
    }
    let mut inventory = crate::sources::gcp::normalize(&input);
    super::locate(&mut inventory, &places);
    inventory
}
