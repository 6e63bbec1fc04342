//! The `azuread` and `azurerm` providers' identities as the Graph and `az` listings they
//! will make: applications and their passwords and federated credentials, service
//! principals and theirs, user-assigned managed identities and Azure role assignments.
//! The Azure source's normaliser judges them as it judges a tenant's export.
//!
//! Object and client ids are made by Entra at apply: they are written as the reference
//! (`${azuread_application.agent.client_id}`), which every resource naming them
//! resolves to, so a role assignment still finds its service principal.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{Mode, Resource};
use crate::model::{Inventory, Location};
use crate::sources::azure::{
    Application, AzureInput, FederatedIdentityCredential, PasswordCredential, RbacAssignment,
    ServicePrincipal,
};

/// Adds the ids Entra and Azure assign at apply, as references, unless given.
pub fn derive(kind: &str, address: &str, attrs: &mut Map<String, Value>) {
    let ids: &[&str] = match kind {
        "azuread_application" | "azuread_application_registration" => {
            &["object_id", "client_id", "application_id"]
        }
        "azuread_service_principal" => &["object_id"],
        "azurerm_user_assigned_identity" => &["principal_id", "client_id"],
        _ => return,
    };
    for id in ids {
        attrs
            .entry(*id)
            .or_insert_with(|| Value::String(format!("${{{address}.{id}}}")));
    }
    if kind.starts_with("azuread_application") && !attrs.contains_key("id") {
        let object = attrs
            .get("object_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        attrs.insert(
            "id".into(),
            Value::String(format!("/applications/{object}")),
        );
    }
    if kind == "azuread_service_principal" && !attrs.contains_key("id") {
        let object = attrs
            .get("object_id")
            .and_then(Value::as_str)
            .unwrap_or_default();
        attrs.insert(
            "id".into(),
            Value::String(format!("/servicePrincipals/{object}")),
        );
    }
}

/// Where the Azure normaliser locates a directory object: its Graph URL.
fn graph(collection: &str, id: &str) -> String {
    format!("https://graph.microsoft.com/v1.0/{collection}/{id}")
}

/// An object id from what a resource names it by: `/applications/ID` or `ID`.
fn object_id(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

/// A password as Graph lists it. Without an `end_date`, Graph makes it valid for two
/// years from its creation (`addPassword`'s documented default): it is judged as if
/// applied at the scan's time.
fn password(r: &Resource) -> PasswordCredential {
    let start = r
        .str("start_date")
        .map(str::to_string)
        .or_else(|| crate::timefmt::format(crate::timefmt::now()));
    let end = r
        .str("end_date")
        .map(str::to_string)
        .or_else(|| crate::timefmt::format(crate::timefmt::now() + time::Duration::days(730)));
    PasswordCredential {
        key_id: Some(format!("${{{}.key_id}}", r.address)),
        display_name: r.str("display_name").map(str::to_string),
        start_date_time: start,
        end_date_time: end,
    }
}

pub fn judge(resources: &[Resource]) -> Inventory {
    let mut input = AzureInput::default();
    let mut places: HashMap<String, Location> = HashMap::new();
    let managed = || resources.iter().filter(|r| r.mode == Mode::Managed);
    for r in managed() {
        let path = r.location.to_string();
        let tags = r.strs("tags");
        match r.kind.as_str() {
            "azuread_application" | "azuread_application_registration" => {
                let (Some(object), Some(client)) = (r.str("object_id"), r.str("client_id")) else {
                    continue;
                };
                places.insert(graph("applications", object), r.location.clone());
                input.applications.push((
                    Application {
                        id: object.to_string(),
                        app_id: client.to_string(),
                        display_name: r.str("display_name").map(str::to_string),
                        tags,
                        sign_in_audience: r.str("sign_in_audience").map(str::to_string),
                        ..Default::default()
                    },
                    path,
                ));
            }
            "azuread_service_principal" => {
                let client = r.str("client_id").or_else(|| r.str("application_id"));
                let (Some(object), Some(client)) = (r.str("object_id"), client) else {
                    continue;
                };
                places.insert(graph("servicePrincipals", object), r.location.clone());
                input.service_principals.push((
                    ServicePrincipal {
                        id: object.to_string(),
                        app_id: client.to_string(),
                        tags,
                        account_enabled: r.values.get("account_enabled").and_then(Value::as_bool),
                        ..Default::default()
                    },
                    path,
                ));
            }
            "azurerm_user_assigned_identity" => {
                let (Some(principal), Some(client)) = (r.str("principal_id"), r.str("client_id"))
                else {
                    continue;
                };
                places.insert(graph("servicePrincipals", principal), r.location.clone());
                input.service_principals.push((
                    ServicePrincipal {
                        id: principal.to_string(),
                        app_id: client.to_string(),
                        display_name: r.str("name").map(str::to_string),
                        service_principal_type: Some("ManagedIdentity".into()),
                        tags: r.string_map("tags").into_keys().collect(),
                        ..Default::default()
                    },
                    path,
                ));
            }
            "azurerm_role_assignment" => {
                let (Some(principal), Some(scope)) = (r.str("principal_id"), r.str("scope")) else {
                    continue;
                };
                input.rbac_assignments.push((
                    RbacAssignment {
                        principal_id: principal.to_string(),
                        principal_type: r.str("principal_type").map(str::to_string),
                        role_definition_id: r
                            .str("role_definition_id")
                            .unwrap_or_default()
                            .to_string(),
                        role_definition_name: r.str("role_definition_name").map(str::to_string),
                        scope: scope.to_string(),
                    },
                    path,
                ));
            }
            _ => {}
        }
    }
    // Credentials, once their holders are known.
    for r in managed() {
        match r.kind.as_str() {
            "azuread_application_password" => {
                let app = r
                    .str("application_id")
                    .or_else(|| r.str("application_object_id"));
                let Some(app) = app.map(object_id) else {
                    continue;
                };
                if let Some((a, _)) = input.applications.iter_mut().find(|(a, _)| a.id == app) {
                    a.password_credentials.push(password(r));
                }
            }
            "azuread_service_principal_password" => {
                let Some(sp) = r.str("service_principal_id").map(object_id) else {
                    continue;
                };
                if let Some((s, _)) = input
                    .service_principals
                    .iter_mut()
                    .find(|(s, _)| s.id == sp)
                {
                    s.password_credentials.push(password(r));
                }
            }
            "azuread_application_federated_identity_credential" => {
                let app = r
                    .str("application_id")
                    .or_else(|| r.str("application_object_id"));
                let Some(app) = app.map(object_id) else {
                    continue;
                };
                input.federated.push((
                    FederatedIdentityCredential {
                        name: r.str("display_name").map(str::to_string),
                        issuer: r.str("issuer").map(str::to_string),
                        subject: r.str("subject").map(str::to_string),
                        audiences: r.strs("audiences"),
                        ..Default::default()
                    },
                    r.location.to_string(),
                    app.to_string(),
                ));
            }
            _ => {}
        }
    }
    if input.applications.is_empty() && input.service_principals.is_empty() {
        return Inventory::default();
    }
    let mut inventory = crate::sources::azure::normalize(&input);
    // A service principal's credentials are located at it, with a fragment.
    let fragments: Vec<(String, Location)> = places
        .iter()
        .map(|(uri, place)| (format!("{uri}#servicePrincipal"), place.clone()))
        .collect();
    places.extend(fragments);
    super::locate(&mut inventory, &places);
    inventory
}
