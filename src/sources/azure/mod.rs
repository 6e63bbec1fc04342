//! The `azure` source: Microsoft Entra ID and Azure RBAC, offline, from what `az` and
//! Microsoft Graph print. The exports, recognised by content in the scanned folders:
//!
//! - `az ad app list --all` and Graph `/applications` pages: `application` objects
//!   (`id`, `appId`, `displayName`, `passwordCredentials`, `keyCredentials`, `tags`, and
//!   `owners` with `$expand=owners`),
//!   <https://learn.microsoft.com/graph/api/resources/application>;
//! - `az ad sp list --all` and Graph `/servicePrincipals` pages: `servicePrincipal`
//!   objects (`id`, `appId`, `servicePrincipalType`, `appRoles`, `alternativeNames`),
//!   <https://learn.microsoft.com/graph/api/resources/serviceprincipal>;
//! - Graph `…/appRoleAssignments` and `…/appRoleAssignedTo` pages: `appRoleAssignment`
//!   (`principalId`, `resourceId`, `appRoleId`), resolved through the resource's
//!   `appRoles` in the service principal export;
//! - Graph `/applications/{id}/federatedIdentityCredentials` pages, joined to the
//!   application their `@odata.context` names;
//! - Graph `/roleManagement/directory/roleAssignments` and `…/roleDefinitions` pages
//!   (`unifiedRoleAssignment`, `unifiedRoleDefinition`);
//! - `az role assignment list --all` and `az role definition list` (Azure RBAC).
//!
//! Graph never returns a secret's value in a listing; `secretText` and `hint` (the
//! first characters of a secret) are not read even if present. Which identities are
//! agents' is decided by the analysis (`crate::analysis::agents::azure`).

pub mod live;
mod normalize;
mod source;

use serde::Deserialize;

pub use normalize::{normalize, normalize_at, unlisted_service_principal};
pub use source::{AzureSource, Request, write_export};

use crate::model::{SourceError, SourceKind};

/// A client secret of an application or service principal: never its value.
/// <https://learn.microsoft.com/graph/api/resources/passwordcredential>
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordCredential {
    #[serde(default)]
    pub key_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub start_date_time: Option<String>,
    #[serde(default)]
    pub end_date_time: Option<String>,
}

/// A certificate of an application or service principal (its public part only).
/// <https://learn.microsoft.com/graph/api/resources/keycredential>
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyCredential {
    #[serde(default)]
    pub key_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `AsymmetricX509Cert`, `Symmetric`, …
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// `Verify` (a sign-in certificate) or `Sign`.
    #[serde(default)]
    pub usage: Option<String>,
    #[serde(default)]
    pub start_date_time: Option<String>,
    #[serde(default)]
    pub end_date_time: Option<String>,
}

/// An application registration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// The object id.
    pub id: String,
    /// The client id.
    pub app_id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub password_credentials: Vec<PasswordCredential>,
    #[serde(default)]
    pub key_credentials: Vec<KeyCredential>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub sign_in_audience: Option<String>,
    /// Its owners, when listed with `$expand=owners`.
    #[serde(default)]
    pub owners: Vec<DirectoryObject>,
}

/// An owner of an application: a user or a service principal.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct DirectoryObject {
    pub id: String,
    /// `#microsoft.graph.user`, `#microsoft.graph.servicePrincipal`.
    #[serde(rename = "@odata.type", default)]
    pub kind: Option<String>,
    #[serde(rename = "displayName", default)]
    pub display_name: Option<String>,
}

/// An app role a resource service principal defines (`Mail.Read` on Microsoft Graph).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRole {
    pub id: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A service principal: an application's (or a managed identity's) identity in the
/// tenant.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    /// The object id: what role assignments name as `principalId`.
    pub id: String,
    pub app_id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `Application`, `ManagedIdentity`, `Legacy`, `SocialIdp`.
    #[serde(default)]
    pub service_principal_type: Option<String>,
    #[serde(default)]
    pub app_owner_organization_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub app_roles: Vec<AppRole>,
    /// A managed identity's resource id is among them.
    #[serde(default)]
    pub alternative_names: Vec<String>,
    #[serde(default)]
    pub password_credentials: Vec<PasswordCredential>,
    #[serde(default)]
    pub key_credentials: Vec<KeyCredential>,
    #[serde(default)]
    pub account_enabled: Option<bool>,
}

/// An application permission granted to a service principal.
/// <https://learn.microsoft.com/graph/api/resources/approleassignment>
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRoleAssignment {
    pub principal_id: String,
    pub resource_id: String,
    pub app_role_id: String,
    #[serde(default)]
    pub resource_display_name: Option<String>,
}

/// A federated identity credential of an application: tokens of another issuer that
/// it accepts. <https://learn.microsoft.com/graph/api/resources/federatedidentitycredential>
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FederatedIdentityCredential {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub audiences: Vec<String>,
    /// A flexible credential's expression (`{"value": "claims['sub'] matches …",
    /// "languageVersion": 1}`).
    #[serde(default)]
    pub claims_matching_expression: Option<serde_json::Value>,
}

impl FederatedIdentityCredential {
    /// The flexible expression's text, if any.
    pub fn expression(&self) -> Option<&str> {
        match self.claims_matching_expression.as_ref()? {
            serde_json::Value::String(s) => Some(s),
            v => v.get("value")?.as_str(),
        }
    }
}

/// A directory role assigned to a principal.
/// <https://learn.microsoft.com/graph/api/resources/unifiedroleassignment>
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryRoleAssignment {
    pub principal_id: String,
    pub role_definition_id: String,
    #[serde(default)]
    pub directory_scope_id: Option<String>,
}

/// The permissions of a directory role.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolePermission {
    #[serde(default)]
    pub allowed_resource_actions: Vec<String>,
}

/// A directory role. <https://learn.microsoft.com/graph/api/resources/unifiedroledefinition>
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryRoleDefinition {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub template_id: Option<String>,
    #[serde(default)]
    pub is_built_in: Option<bool>,
    #[serde(default)]
    pub role_permissions: Vec<RolePermission>,
}

/// An Azure RBAC role assignment as `az role assignment list` prints it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RbacAssignment {
    pub principal_id: String,
    #[serde(default)]
    pub principal_type: Option<String>,
    /// `/subscriptions/S/providers/Microsoft.Authorization/roleDefinitions/GUID`.
    pub role_definition_id: String,
    #[serde(default)]
    pub role_definition_name: Option<String>,
    pub scope: String,
}

/// The actions of an Azure role.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RbacPermission {
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub not_actions: Vec<String>,
    #[serde(default)]
    pub data_actions: Vec<String>,
    #[serde(default)]
    pub not_data_actions: Vec<String>,
}

/// An Azure role definition as `az role definition list` prints it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RbacDefinition {
    pub role_name: String,
    /// The role's guid.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub permissions: Vec<RbacPermission>,
    #[serde(default)]
    pub assignable_scopes: Vec<String>,
    /// `BuiltInRole` or `CustomRole`.
    #[serde(default)]
    pub role_type: Option<String>,
}

/// Everything read from the exports found, each item with where it was read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AzureInput {
    pub applications: Vec<(Application, String)>,
    pub service_principals: Vec<(ServicePrincipal, String)>,
    pub app_role_assignments: Vec<(AppRoleAssignment, String)>,
    /// With the object id of the application they belong to.
    pub federated: Vec<(FederatedIdentityCredential, String, String)>,
    pub directory_assignments: Vec<(DirectoryRoleAssignment, String)>,
    pub directory_definitions: Vec<(DirectoryRoleDefinition, String)>,
    pub rbac_assignments: Vec<(RbacAssignment, String)>,
    pub rbac_definitions: Vec<(RbacDefinition, String)>,
}

crate::model::vocabulary! {
    /// What an offline file is, by content; spelled as in a [`crate::sources::FoundExport`].
    pub enum ExportKind {
        Applications = "azure-applications",
        ServicePrincipals = "azure-service-principals",
        AppRoleAssignments = "azure-app-role-assignments",
        FederatedCredentials = "azure-federated-credentials",
        DirectoryRoleAssignments = "azure-directory-role-assignments",
        DirectoryRoleDefinitions = "azure-directory-role-definitions",
        RbacAssignments = "azure-rbac-assignments",
        RbacDefinitions = "azure-rbac-definitions",
        /// `nhi-audit export azure`'s manifest: what the crawl could not read.
        ExportManifest = "azure-export-manifest",
    }
}

/// The schema key of the manifest `nhi-audit export azure` writes beside the listings.
pub const MANIFEST_SCHEMA: &str = "nhi-audit/azure-export/v1";
/// The manifest's file name.
pub const MANIFEST_FILE: &str = "nhi-audit-azure-export.json";

/// The manifest: what was crawled, the files written, and the crawl's errors, so that a
/// scan of the export reports the same gaps as the live scan did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub schema: String,
    pub tenant: String,
    #[serde(default)]
    pub subscriptions: Vec<String>,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub errors: Vec<SourceError>,
}

/// [`recognise`] for the source registry.
pub fn recognise_export(text: &str) -> Option<&'static str> {
    recognise(text).map(|k| k.as_str())
}

/// What a Graph page's `@odata.context` says it lists: the part after `#`, with a
/// trailing `$select` list (`applications(id,appId)`) dropped.
fn page_kind(context: &str) -> Option<ExportKind> {
    let (_, what) = context.split_once("$metadata#")?;
    let what = without_select(what);
    if what == "applications" {
        return Some(ExportKind::Applications);
    }
    if what == "servicePrincipals" {
        return Some(ExportKind::ServicePrincipals);
    }
    if what.ends_with("/appRoleAssignments") || what.ends_with("/appRoleAssignedTo") {
        return Some(ExportKind::AppRoleAssignments);
    }
    if what.ends_with("/federatedIdentityCredentials") && application_of(context).is_some() {
        return Some(ExportKind::FederatedCredentials);
    }
    match what {
        "roleManagement/directory/roleAssignments" => Some(ExportKind::DirectoryRoleAssignments),
        "roleManagement/directory/roleDefinitions" => Some(ExportKind::DirectoryRoleDefinitions),
        _ => None,
    }
}

/// A context's path without the trailing `$select` / `$expand` group
/// (`applications(id,owners())` → `applications`); a key (`applications('ID')`) stays.
fn without_select(what: &str) -> &str {
    if !what.ends_with(')') {
        return what;
    }
    let mut depth = 0usize;
    for (i, c) in what.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return if what[i..].contains('\'') {
                        what
                    } else {
                        &what[..i]
                    };
                }
            }
            _ => {}
        }
    }
    what
}

/// The application object id a federated credentials page's context names
/// (`…#applications('ID')/federatedIdentityCredentials`).
pub fn application_of(context: &str) -> Option<&str> {
    let (_, what) = context.split_once("$metadata#applications('")?;
    let (id, rest) = what.split_once("')/")?;
    (!id.is_empty()
        && !id.contains(['\'', '/'])
        && rest.starts_with("federatedIdentityCredentials"))
    .then_some(id)
}

/// Recognises an export by the structure of its start: a Graph page by its
/// `@odata.context` and `value`; an `az` listing by the top-level keys of its first
/// object and the shape of their values. A file that only mentions the keys is not one.
pub fn recognise(text: &str) -> Option<ExportKind> {
    let head = crate::sources::head(text);
    let trimmed = head.trim_start_matches('\u{feff}').trim_start();
    if let Some(list) = trimmed.strip_prefix('[') {
        let keys = crate::doc::json_top_level_keys(list)?;
        return list_kind(&keys);
    }
    let keys = crate::doc::json_top_level_keys(trimmed)?;
    if keys
        .iter()
        .any(|(k, v)| k == "schema" && v.as_deref() == Some(MANIFEST_SCHEMA))
    {
        return Some(ExportKind::ExportManifest);
    }
    let context = keys
        .iter()
        .find(|(k, _)| k == "@odata.context")
        .and_then(|(_, v)| v.as_deref())?;
    if !keys.iter().any(|(k, _)| k == "value") {
        return None;
    }
    page_kind(context)
}

/// The kind of an `az` listing by its first object's keys.
fn list_kind(keys: &[(String, Option<String>)]) -> Option<ExportKind> {
    let has = |k: &str| keys.iter().any(|(name, _)| name == k);
    let string = |k: &str| {
        keys.iter()
            .find(|(name, _)| name == k)
            .and_then(|(_, v)| v.as_deref())
    };
    let app_id = string("appId").is_some_and(|a| !a.is_empty());
    let sp = has("servicePrincipalType")
        || has("appOwnerOrganizationId")
        || has("appRoleAssignmentRequired")
        || has("servicePrincipalNames");
    if app_id && sp {
        return Some(ExportKind::ServicePrincipals);
    }
    if app_id
        && (has("signInAudience")
            || has("requiredResourceAccess")
            || has("identifierUris")
            || has("api"))
    {
        return Some(ExportKind::Applications);
    }
    if string("principalId").is_some() && string("roleDefinitionId").is_some() {
        if string("scope").is_some_and(|s| s.starts_with('/')) {
            return Some(ExportKind::RbacAssignments);
        }
        if has("directoryScopeId") {
            return Some(ExportKind::DirectoryRoleAssignments);
        }
    }
    if string("roleName").is_some()
        && (has("permissions") || has("roleType") || has("assignableScopes"))
    {
        return Some(ExportKind::RbacDefinitions);
    }
    None
}

/// A Graph page: its context and items.
#[derive(Deserialize)]
struct Page<T> {
    #[serde(rename = "@odata.context", default)]
    context: Option<String>,
    value: Vec<T>,
}

/// The items of an `az` listing (a JSON list) or of a Graph page, and the page's
/// context.
fn items<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<(Vec<T>, Option<String>), crate::doc::JsonError> {
    if crate::doc::is_json_list(text) {
        crate::doc::from_json::<Vec<T>>(text).map(|v| (v, None))
    } else {
        crate::doc::from_json::<Page<T>>(text).map(|p| (p.value, p.context))
    }
}

/// Reads one export into `input`, each item with where it was read.
fn read_into<T: serde::de::DeserializeOwned>(
    text: &str,
    shown: &str,
    what: &str,
    into: &mut Vec<(T, String)>,
    errors: &mut Vec<SourceError>,
) {
    match items::<T>(text) {
        Ok((items, _)) => into.extend(items.into_iter().map(|i| (i, shown.to_string()))),
        Err(e) => errors.push(SourceKind::Azure.json_error(shown, &e, what)),
    }
}

/// Reads one export's text into `input`; what cannot be read is an error naming the
/// file, line and field (never a value). Returns whether anything failed.
pub fn read_export(
    kind: ExportKind,
    text: &str,
    shown: &str,
    input: &mut AzureInput,
    errors: &mut Vec<SourceError>,
) -> bool {
    let before = errors.len();
    match kind {
        ExportKind::Applications => read_into(
            text,
            shown,
            "not a valid application listing",
            &mut input.applications,
            errors,
        ),
        ExportKind::ServicePrincipals => read_into(
            text,
            shown,
            "not a valid service principal listing",
            &mut input.service_principals,
            errors,
        ),
        ExportKind::AppRoleAssignments => read_into(
            text,
            shown,
            "not a valid app role assignment listing",
            &mut input.app_role_assignments,
            errors,
        ),
        ExportKind::DirectoryRoleAssignments => read_into(
            text,
            shown,
            "not a valid directory role assignment listing",
            &mut input.directory_assignments,
            errors,
        ),
        ExportKind::DirectoryRoleDefinitions => read_into(
            text,
            shown,
            "not a valid directory role definition listing",
            &mut input.directory_definitions,
            errors,
        ),
        ExportKind::RbacAssignments => read_into(
            text,
            shown,
            "not a valid role assignment listing",
            &mut input.rbac_assignments,
            errors,
        ),
        ExportKind::RbacDefinitions => read_into(
            text,
            shown,
            "not a valid role definition listing",
            &mut input.rbac_definitions,
            errors,
        ),
        ExportKind::ExportManifest => match crate::doc::from_json::<Manifest>(text) {
            Ok(manifest) => errors.extend(manifest.errors),
            Err(e) => errors.push(SourceKind::Azure.json_error(
                shown,
                &e,
                "not a valid nhi-audit Azure export manifest",
            )),
        },
        ExportKind::FederatedCredentials => match items::<FederatedIdentityCredential>(text) {
            Ok((items, context)) => match context.as_deref().and_then(application_of) {
                Some(app) => input.federated.extend(
                    items
                        .into_iter()
                        .map(|f| (f, app.to_string(), shown.to_string())),
                ),
                None => errors.push(SourceKind::Azure.error(
                    shown,
                    "field `@odata.context`: does not name the application \
                             (applications('ID')/federatedIdentityCredentials)",
                )),
            },
            Err(e) => errors.push(SourceKind::Azure.json_error(
                shown,
                &e,
                "not a valid federated identity credential listing",
            )),
        },
    }
    errors.len() > before
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRAPH: &str = "https://graph.microsoft.com/v1.0/$metadata#";

    #[test]
    fn recognises_each_export_by_its_structure() {
        let apps = r#"[{"api": {}, "appId": "11111111-0000-0000-0000-000000000001", "displayName": "Support agent", "id": "a1", "signInAudience": "AzureADMyOrg"}]"#;
        assert_eq!(recognise(apps), Some(ExportKind::Applications));
        let sps = r#"[{"accountEnabled": true, "appId": "11111111-0000-0000-0000-000000000001", "appOwnerOrganizationId": "t", "id": "s1", "servicePrincipalType": "Application"}]"#;
        assert_eq!(recognise(sps), Some(ExportKind::ServicePrincipals));
        let page = |what: &str| format!(r#"{{"@odata.context": "{GRAPH}{what}", "value": []}}"#);
        for (what, kind) in [
            ("applications", ExportKind::Applications),
            (
                "applications(id,appId,passwordCredentials)",
                ExportKind::Applications,
            ),
            ("applications(owners())", ExportKind::Applications),
            (
                "applications(id,owners(id,displayName))",
                ExportKind::Applications,
            ),
            ("servicePrincipals", ExportKind::ServicePrincipals),
            (
                "servicePrincipals('s1')/appRoleAssignments",
                ExportKind::AppRoleAssignments,
            ),
            (
                "servicePrincipals('s1')/appRoleAssignedTo",
                ExportKind::AppRoleAssignments,
            ),
            (
                "applications('a1')/federatedIdentityCredentials",
                ExportKind::FederatedCredentials,
            ),
            (
                "roleManagement/directory/roleAssignments",
                ExportKind::DirectoryRoleAssignments,
            ),
            (
                "roleManagement/directory/roleDefinitions",
                ExportKind::DirectoryRoleDefinitions,
            ),
        ] {
            assert_eq!(recognise(&page(what)), Some(kind), "{what}");
        }
        let rbac = r#"[{"principalId": "s1", "principalType": "ServicePrincipal", "roleDefinitionId": "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/r", "roleDefinitionName": "Owner", "scope": "/subscriptions/x"}]"#;
        assert_eq!(recognise(rbac), Some(ExportKind::RbacAssignments));
        let dir = r#"[{"directoryScopeId": "/", "principalId": "s1", "roleDefinitionId": "r"}]"#;
        assert_eq!(recognise(dir), Some(ExportKind::DirectoryRoleAssignments));
        let defs = r#"[{"assignableScopes": ["/"], "name": "g", "permissions": [], "roleName": "Owner", "roleType": "BuiltInRole"}]"#;
        assert_eq!(recognise(defs), Some(ExportKind::RbacDefinitions));

        // Mentioning the keys, or the wrong shape, is not enough.
        assert_eq!(recognise(r#"["appId", "signInAudience"]"#), None);
        assert_eq!(recognise(r#"[{"appId": 7, "signInAudience": "x"}]"#), None);
        assert_eq!(recognise(r#"[{"appId": "x"}]"#), None);
        assert_eq!(
            recognise(r#"{"doc": {"appId": "x", "servicePrincipalType": "Application"}}"#),
            None
        );
        assert_eq!(
            recognise(
                r#"[{"principalId": "s1", "roleDefinitionId": "r", "scope": "subscription"}]"#
            ),
            None
        );
        // A page of something else, a context without a page, an unnamed application.
        assert_eq!(recognise(&page("users")), None);
        assert_eq!(
            recognise(&format!(r#"{{"@odata.context": "{GRAPH}applications"}}"#)),
            None
        );
        assert_eq!(
            recognise(&page("applications/federatedIdentityCredentials")),
            None
        );
        assert_eq!(
            recognise(r#"{"value": [], "context": "applications"}"#),
            None
        );
        // Other sources' exports are not ours.
        assert_eq!(
            recognise(r#"[{"email": "a@p.iam.gserviceaccount.com", "uniqueId": "1"}]"#),
            None
        );
        let text = format!("[{}é", "a".repeat(4094));
        assert_eq!(recognise(&text), None);
        for &kind in ExportKind::ALL {
            assert_eq!(ExportKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn a_federated_page_is_joined_to_the_application_its_context_names() {
        let text = format!(
            r#"{{"@odata.context": "{GRAPH}applications('a1')/federatedIdentityCredentials", "value": [{{"name": "gh", "issuer": "https://token.actions.githubusercontent.com", "subject": "repo:example-org/agents:ref:refs/heads/main", "audiences": ["api://AzureADTokenExchange"]}}]}}"#
        );
        let mut input = AzureInput::default();
        let mut errors = Vec::new();
        assert!(!read_export(
            ExportKind::FederatedCredentials,
            &text,
            "fic.json",
            &mut input,
            &mut errors
        ));
        assert_eq!(input.federated.len(), 1);
        assert_eq!(input.federated[0].1, "a1");
        assert_eq!(
            application_of("x$metadata#applications('')/federatedIdentityCredentials"),
            None
        );
    }

    #[test]
    fn a_malformed_export_is_an_error_naming_file_line_and_field_never_the_value() {
        let secret = format!("{}{}", "Xy7Q~", "abcdefghijklmnopqrstuvwxyz0123456789");
        let text = format!(
            "{{\"@odata.context\": \"{GRAPH}applications\",\n \"value\": [\n  {{\"id\": \"a1\", \"appId\": \"x\",\n   \"passwordCredentials\": [{{\"keyId\": \"k\", \"endDateTime\": {{\"secretText\": \"{secret}\"}}}}]}}]}}"
        );
        assert_eq!(recognise(&text), Some(ExportKind::Applications));
        let mut input = AzureInput::default();
        let mut errors = Vec::new();
        assert!(read_export(
            ExportKind::Applications,
            &text,
            "apps.json",
            &mut input,
            &mut errors
        ));
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert!(e.location.starts_with("apps.json:4:"), "{e:?}");
        assert!(
            e.message
                .contains("`value[0].passwordCredentials[0].endDateTime`"),
            "{e:?}"
        );
        assert!(
            !e.message.contains(&secret) && !e.message.contains("Xy7Q"),
            "{e:?}"
        );
        assert!(input.applications.is_empty());

        // A listing without a required field names it.
        let mut errors = Vec::new();
        read_export(
            ExportKind::ServicePrincipals,
            "[{\"id\": \"s1\"}]",
            "sps.json",
            &mut input,
            &mut errors,
        );
        assert_eq!(errors.len(), 1);
        assert!(errors[0].location.starts_with("sps.json:1:"), "{errors:?}");
        assert!(
            errors[0].message.contains("missing or has the wrong type"),
            "{errors:?}"
        );

        // A federated page whose context names no application is an error.
        let mut errors = Vec::new();
        read_export(
            ExportKind::FederatedCredentials,
            r#"{"value": []}"#,
            "fic.json",
            &mut input,
            &mut errors,
        );
        assert!(errors[0].message.contains("`@odata.context`"), "{errors:?}");
    }
}
