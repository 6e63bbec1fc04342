//! The `gcp` source: Google Cloud IAM, offline, from what `gcloud` prints. Four exports,
//! recognised by content in the scanned folders:
//!
//! - `gcloud asset search-all-iam-policies --format=json`: a list of
//!   `IamPolicySearchResult` (`resource`, `project`, `policy.bindings`),
//!   <https://cloud.google.com/asset-inventory/docs/reference/rest/v1/IamPolicySearchResult>;
//! - `gcloud asset export --content-type=iam-policy`: JSON lines of `Asset` (`name`,
//!   `assetType`, `iamPolicy.bindings`, `ancestors`),
//!   <https://cloud.google.com/asset-inventory/docs/reference/rest/v1/Asset>;
//! - `gcloud iam service-accounts list --format=json`: a list of `ServiceAccount`
//!   (`name`, `projectId`, `uniqueId`, `email`, `displayName`, `description`, `disabled`),
//!   <https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts>;
//! - `gcloud iam service-accounts keys list --format=json`: a list of
//!   `ServiceAccountKey` (`name` `projects/P/serviceAccounts/EMAIL/keys/KEY`, `keyType`,
//!   `keyAlgorithm`, `keyOrigin`, `validAfterTime`, `validBeforeTime`, `disabled`),
//!   <https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts.keys>.
//!
//! Every export found goes into one [`GcpInput`]; [`normalize`] turns it into service
//! accounts, their keys, the roles they hold and who can act as whom. Which accounts
//! are agents' is decided by the analysis (`crate::analysis::agents::gcp`).

pub mod live;
mod normalize;
mod source;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use normalize::{account_id, normalize, permission_level, provider_id, unlisted_account};
pub use source::{GcpSource, Request, write_export};

use crate::model::{SourceError, SourceKind};

/// An IAM policy (`google.iam.v1.Policy`): only its bindings are read.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    #[serde(default)]
    pub bindings: Vec<Binding>,
}

/// One binding of a policy: a role, its members, and maybe a condition.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    pub role: String,
    #[serde(default)]
    pub members: Vec<String>,
    /// An IAM condition (`expr`, `title`): only whether there is one is kept.
    #[serde(default)]
    pub condition: Option<serde_json::Value>,
}

/// One result of `searchAllIamPolicies`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IamPolicySearchResult {
    /// The full resource name (`//cloudresourcemanager.googleapis.com/projects/P`).
    pub resource: String,
    /// `projects/NUMBER`, empty for folders and organisations.
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub policy: Policy,
    /// The folders above it (`folders/NUMBER`), nearest first.
    #[serde(default)]
    pub folders: Vec<String>,
    /// Its organisation (`organizations/NUMBER`).
    #[serde(default)]
    pub organization: Option<String>,
}

/// One line of `gcloud asset export --content-type=iam-policy`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Asset {
    /// The full resource name.
    pub name: String,
    #[serde(default)]
    pub asset_type: Option<String>,
    #[serde(default)]
    pub iam_policy: Option<Policy>,
    #[serde(default)]
    pub ancestors: Vec<String>,
}

/// One line of `gcloud asset export --content-type=resource`: the resource's own
/// representation under `resource.data`, read only for the asset types below.
/// <https://cloud.google.com/asset-inventory/docs/reference/rest/v1/Asset#resource>
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceAsset {
    #[serde(default)]
    asset_type: String,
    #[serde(default)]
    ancestors: Vec<String>,
    #[serde(default)]
    resource: Option<AssetResourceBody>,
}

#[derive(Debug, Deserialize)]
struct AssetResourceBody {
    #[serde(default)]
    data: Option<Box<serde_json::value::RawValue>>,
}

/// A project's `resource.data`: its id and number.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProjectData {
    project_id: String,
    project_number: String,
}

/// A service account as `gcloud iam service-accounts list` prints it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccount {
    pub email: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub project_id: Option<String>,
    #[serde(default)]
    pub unique_id: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub disabled: bool,
}

/// A service-account key as `gcloud iam service-accounts keys list` prints it. Google
/// never returns private key material in a listing; `privateKeyData` is not read even
/// if present.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccountKey {
    /// `projects/P/serviceAccounts/EMAIL/keys/KEY_ID`.
    pub name: String,
    /// `USER_MANAGED` or `SYSTEM_MANAGED`.
    #[serde(default)]
    pub key_type: Option<String>,
    #[serde(default)]
    pub key_algorithm: Option<String>,
    #[serde(default)]
    pub key_origin: Option<String>,
    #[serde(default)]
    pub valid_after_time: Option<String>,
    #[serde(default)]
    pub valid_before_time: Option<String>,
    #[serde(default)]
    pub disabled: bool,
}

/// A role as `gcloud iam roles describe|list --format=json` prints it (the IAM API's
/// `Role`): predefined (`roles/X`) or custom (`projects/P/roles/X`,
/// `organizations/O/roles/X`). A listing without `--view=FULL`-style detail has no
/// permissions; its level is then inferred from the name.
/// <https://cloud.google.com/iam/docs/reference/rest/v1/roles>
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub included_permissions: Option<Vec<String>>,
    /// `GA`, `BETA`, `ALPHA`, `DEPRECATED`, `DISABLED`, `EAP`.
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub deleted: bool,
}

/// Whether `name` is a role's resource name: `roles/X`, `projects/P/roles/X` or
/// `organizations/O/roles/X`.
pub fn is_role_name(name: &str) -> bool {
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    };
    if let Some(r) = name.strip_prefix("roles/") {
        return ok(r);
    }
    let mut parts = name.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("projects" | "organizations"), Some(owner), Some("roles"), Some(role), None)
            if ok(owner) && ok(role)
    )
}

/// A workload identity pool provider as `gcloud iam workload-identity-pools providers
/// list --format=json` prints it: the pool is in its `name`.
/// <https://cloud.google.com/iam/docs/reference/rest/v1/projects.locations.workloadIdentityPools.providers>
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadIdentityPoolProvider {
    /// `projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER`.
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// `ACTIVE` or `DELETED`.
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    /// Google attribute → CEL over the token's claims (`assertion.repository`).
    #[serde(default)]
    pub attribute_mapping: BTreeMap<String, String>,
    /// The CEL condition a token must meet; none lets every token of the issuer in.
    #[serde(default)]
    pub attribute_condition: Option<String>,
    #[serde(default)]
    pub oidc: Option<OidcProvider>,
    /// Set for an AWS provider (`accountId`); only its presence is read.
    #[serde(default)]
    pub aws: Option<serde_json::Value>,
    /// Set for a SAML provider; only its presence is read.
    #[serde(default)]
    pub saml: Option<serde_json::Value>,
}

/// The OIDC part of a provider.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OidcProvider {
    #[serde(default)]
    pub issuer_uri: Option<String>,
    #[serde(default)]
    pub allowed_audiences: Vec<String>,
}

impl WorkloadIdentityPoolProvider {
    /// The pool's resource name (`projects/N/locations/L/workloadIdentityPools/POOL`) and
    /// the provider's id, from the provider's name.
    pub fn pool_and_id(&self) -> Option<(&str, &str)> {
        let (pool, id) = self.name.rsplit_once("/providers/")?;
        let mut parts = pool.split('/');
        let shaped = matches!(
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
            (Some("projects"), Some(p), Some("locations"), Some(l), Some("workloadIdentityPools"), Some(w), None)
                if !p.is_empty() && !l.is_empty() && !w.is_empty()
        );
        (shaped && !id.is_empty() && !id.contains('/')).then_some((pool, id))
    }
}

impl ServiceAccountKey {
    /// The account's email and the key id, from the key's resource name.
    pub fn account_and_id(&self) -> Option<(&str, &str)> {
        let rest = self.name.strip_prefix("projects/")?;
        let (_, rest) = rest.split_once("/serviceAccounts/")?;
        let (email, id) = rest.split_once("/keys/")?;
        (!email.is_empty() && !id.is_empty() && !id.contains('/')).then_some((email, id))
    }
}

/// An IAM policy on one resource, from either policy export.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourcePolicy {
    /// The full resource name.
    pub resource: String,
    pub bindings: Vec<Binding>,
    /// `projects/NUMBER` of the project it is in, when the export says.
    pub project: Option<String>,
    /// The file it was read from.
    pub path: String,
    /// Its line (JSON lines), else 1.
    pub line: u32,
    /// What it is in, nearest first (`projects/N`, `folders/F`, `organizations/O`), when
    /// the export says.
    pub ancestors: Vec<String>,
}

/// Everything read from the exports found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GcpInput {
    /// Accounts with where each was listed (`path`).
    pub accounts: Vec<(ServiceAccount, String)>,
    /// Keys with where each was listed.
    pub keys: Vec<(ServiceAccountKey, String)>,
    pub policies: Vec<ResourcePolicy>,
    /// Roles with their permissions (or without, from a plain listing).
    pub roles: Vec<(Role, String)>,
    pub providers: Vec<(WorkloadIdentityPoolProvider, String)>,
    /// When accounts and keys last authenticated, by full resource name.
    pub activities: Vec<(Activity, String)>,
}

/// One Activity Analyzer record (`gcloud policy-intelligence query-activity`, the
/// `activities:query` method): an account's or key's last authentication.
/// <https://cloud.google.com/policy-intelligence/docs/activity-analyzer-service-account-authentication>
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    /// `serviceAccountLastAuthentication` or `serviceAccountKeyLastAuthentication`.
    #[serde(default)]
    pub activity_type: String,
    /// `//iam.googleapis.com/projects/P/serviceAccounts/EMAIL[/keys/KEY]`.
    pub full_resource_name: String,
    #[serde(default)]
    pub activity: ActivityDetail,
}

/// The activity's own fields; only the time is read.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityDetail {
    #[serde(default)]
    pub last_authenticated_time: Option<String>,
}

impl Activity {
    /// The account's email and, for a key, its id.
    pub fn account_and_key(&self) -> Option<(&str, Option<&str>)> {
        let rest = self
            .full_resource_name
            .strip_prefix("//iam.googleapis.com/projects/")?;
        let (_, rest) = rest.split_once("/serviceAccounts/")?;
        match rest.split_once("/keys/") {
            Some((email, key)) if !email.is_empty() && !key.is_empty() && !key.contains('/') => {
                Some((email, Some(key)))
            }
            None if !rest.is_empty() && !rest.contains('/') => Some((rest, None)),
            _ => None,
        }
    }
}

crate::model::vocabulary! {
    /// What an offline file is, by content; spelled as in a [`crate::sources::FoundExport`].
    pub enum ExportKind {
        IamPolicySearch = "gcp-iam-policy-search",
        AssetIamPolicy = "gcp-asset-iam-policy",
        ServiceAccounts = "gcp-service-accounts",
        ServiceAccountKeys = "gcp-service-account-keys",
        /// `gcloud asset export --content-type=resource`: accounts, keys, roles,
        /// providers and projects as Cloud Asset Inventory stores them.
        AssetResource = "gcp-asset-resource",
        /// `gcloud iam roles describe|list --format=json`.
        Roles = "gcp-roles",
        /// `gcloud policy-intelligence query-activity --format=json`: when accounts and
        /// keys last authenticated.
        Activities = "gcp-authentication-activities",
        /// `gcloud iam workload-identity-pools providers list --format=json`.
        WorkloadIdentityProviders = "gcp-workload-identity-providers",
        /// `nhi-audit export gcp`'s manifest: what the crawl could not read.
        ExportManifest = "gcp-export-manifest",
    }
}

/// The schema key of the manifest `nhi-audit export gcp` writes beside the listings.
pub const MANIFEST_SCHEMA: &str = "nhi-audit/gcp-export/v1";
/// The manifest's file name.
pub const MANIFEST_FILE: &str = "nhi-audit-gcp-export.json";

/// The manifest: what was crawled, the files written, and the crawl's errors, so that a
/// scan of the export reports the same gaps as the live scan did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub schema: String,
    #[serde(default)]
    pub organizations: Vec<String>,
    #[serde(default)]
    pub projects: Vec<String>,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub errors: Vec<SourceError>,
}

/// [`recognise`] for the source registry.
pub fn recognise_export(text: &str) -> Option<&'static str> {
    recognise(text).map(|k| k.as_str())
}

/// Recognises a `gcloud` export by the structure of its start: the keys of the first
/// object of a JSON list (or of the first line of JSON lines) at its top level, and the
/// shape of their values. A file that only mentions the keys is not one.
pub fn recognise(text: &str) -> Option<ExportKind> {
    let head = crate::sources::head(text);
    let trimmed = head.trim_start_matches('\u{feff}').trim_start();
    if let Some(list) = trimmed.strip_prefix('[') {
        let keys = crate::doc::json_top_level_keys(list)?;
        let has = |k: &str| keys.iter().any(|(name, _)| name == k);
        let string = |k: &str| {
            keys.iter()
                .find(|(name, _)| name == k)
                .and_then(|(_, v)| v.as_deref())
        };
        if has("policy") && string("resource").is_some_and(|r| r.starts_with("//")) {
            return Some(ExportKind::IamPolicySearch);
        }
        if string("email").is_some_and(|e| e.contains('@')) && (has("uniqueId") || has("projectId"))
        {
            return Some(ExportKind::ServiceAccounts);
        }
        let key_name = string("name").is_some_and(|n| {
            ServiceAccountKey {
                name: n.to_string(),
                ..Default::default()
            }
            .account_and_id()
            .is_some()
        });
        if key_name && (has("keyType") || has("validAfterTime") || has("keyAlgorithm")) {
            return Some(ExportKind::ServiceAccountKeys);
        }
        if is_role(&keys) {
            return Some(ExportKind::Roles);
        }
        if string("activityType").is_some_and(|t| t.ends_with("LastAuthentication"))
            && string("fullResourceName").is_some_and(|n| n.starts_with("//iam.googleapis.com/"))
        {
            return Some(ExportKind::Activities);
        }
        // `gcloud asset list --format=json`: the assets of an export, as one list.
        let asset_name = string("name").is_some_and(|n| n.starts_with("//"));
        if asset_name && has("assetType") && has("iamPolicy") {
            return Some(ExportKind::AssetIamPolicy);
        }
        if asset_name && has("assetType") && has("resource") {
            return Some(ExportKind::AssetResource);
        }
        let provider_name = string("name").is_some_and(|n| {
            WorkloadIdentityPoolProvider {
                name: n.to_string(),
                ..Default::default()
            }
            .pool_and_id()
            .is_some()
        });
        if provider_name && (has("oidc") || has("aws") || has("saml") || has("attributeMapping")) {
            return Some(ExportKind::WorkloadIdentityProviders);
        }
        return None;
    }
    let keys = crate::doc::json_top_level_keys(trimmed)?;
    let has = |k: &str| keys.iter().any(|(name, _)| name == k);
    if keys
        .iter()
        .any(|(k, v)| k == "schema" && v.as_deref() == Some(MANIFEST_SCHEMA))
    {
        return Some(ExportKind::ExportManifest);
    }
    let name_ok = keys
        .iter()
        .any(|(k, v)| k == "name" && v.as_deref().is_some_and(|n| n.starts_with("//")));
    if name_ok && has("assetType") && has("iamPolicy") {
        return Some(ExportKind::AssetIamPolicy);
    }
    if name_ok && has("assetType") && has("resource") {
        return Some(ExportKind::AssetResource);
    }
    // `gcloud iam roles describe` prints one role.
    is_role(&keys).then_some(ExportKind::Roles)
}

/// Whether an object's top-level keys are a role's: a role name with a title or stage,
/// or the permission list with the etag gcloud always prints (the list may push the name
/// past the part of the file read to recognise it).
fn is_role(keys: &[(String, Option<String>)]) -> bool {
    let has = |k: &str| keys.iter().any(|(name, _)| name == k);
    let named = keys
        .iter()
        .any(|(k, v)| k == "name" && v.as_deref().is_some_and(is_role_name));
    (named && (has("title") || has("stage") || has("includedPermissions")))
        || (has("includedPermissions") && has("etag"))
}

/// Reads one export's text into `input`; what cannot be read is an error naming the
/// file, line and field (never a value). Returns whether anything failed.
pub fn read_export(
    kind: ExportKind,
    text: &str,
    shown: &str,
    input: &mut GcpInput,
    errors: &mut Vec<SourceError>,
) -> bool {
    let before = errors.len();
    match kind {
        ExportKind::IamPolicySearch => {
            match crate::doc::from_json::<Vec<IamPolicySearchResult>>(text) {
                Ok(results) => input.policies.extend(results.into_iter().map(|r| {
                    ResourcePolicy {
                        resource: r.resource,
                        bindings: r.policy.bindings,
                        ancestors: r
                            .project
                            .iter()
                            .chain(&r.folders)
                            .chain(&r.organization)
                            .filter(|a| !a.is_empty())
                            .cloned()
                            .collect(),
                        project: r.project.filter(|p| !p.is_empty()),
                        path: shown.to_string(),
                        line: 1,
                    }
                })),
                Err(e) => errors.push(SourceKind::Gcp.json_error(
                    shown,
                    &e,
                    "not a valid IAM policy search",
                )),
            }
        }
        ExportKind::AssetIamPolicy => {
            for_each_asset(text, shown, errors, |asset: Asset, line, _| {
                if let Some(policy) = asset.iam_policy {
                    let project = asset
                        .ancestors
                        .iter()
                        .find(|a| a.starts_with("projects/"))
                        .cloned();
                    input.policies.push(ResourcePolicy {
                        resource: asset.name,
                        bindings: policy.bindings,
                        project,
                        path: shown.to_string(),
                        line,
                        ancestors: asset.ancestors,
                    });
                }
            })
        }
        ExportKind::ServiceAccounts => read_list(
            text,
            shown,
            errors,
            Listed {
                what: "service-account listing",
                field: "email",
                expected: "a service account's email",
                valid: |a: &ServiceAccount| a.email.contains('@'),
            },
            &mut input.accounts,
        ),
        ExportKind::ServiceAccountKeys => read_list(
            text,
            shown,
            errors,
            Listed {
                what: "service-account key listing",
                field: "name",
                expected: "a key's resource name (projects/P/serviceAccounts/EMAIL/keys/KEY)",
                valid: |k: &ServiceAccountKey| k.account_and_id().is_some(),
            },
            &mut input.keys,
        ),
        ExportKind::AssetResource => for_each_asset(text, shown, errors, |asset, line, errors| {
            read_resource_asset(asset, shown, line, input, errors)
        }),
        ExportKind::Roles => read_list(
            text,
            shown,
            errors,
            Listed {
                what: "role listing",
                field: "name",
                expected: "a role's name (roles/X, projects/P/roles/X, organizations/O/roles/X)",
                valid: |r: &Role| is_role_name(&r.name),
            },
            &mut input.roles,
        ),
        ExportKind::WorkloadIdentityProviders => read_list(
            text,
            shown,
            errors,
            Listed {
                what: "workload identity provider listing",
                field: "name",
                expected: "a provider's resource name \
                           (projects/N/locations/L/workloadIdentityPools/POOL/providers/ID)",
                valid: |p: &WorkloadIdentityPoolProvider| p.pool_and_id().is_some(),
            },
            &mut input.providers,
        ),
        ExportKind::Activities => read_list(
            text,
            shown,
            errors,
            Listed {
                what: "authentication activity listing",
                field: "fullResourceName",
                expected: "a service account's or key's full resource name",
                valid: |a: &Activity| a.account_and_key().is_some(),
            },
            &mut input.activities,
        ),
        ExportKind::ExportManifest => match crate::doc::from_json::<Manifest>(text) {
            // The live crawl's gaps are the export's gaps.
            Ok(manifest) => errors.extend(manifest.errors),
            Err(e) => errors.push(SourceKind::Gcp.json_error(
                shown,
                &e,
                "not a valid nhi-audit GCP export manifest",
            )),
        },
    }
    errors.len() > before
}

/// What a listing's items are, and what each must have.
struct Listed<T> {
    /// What the file is, for its parse error (`service-account listing`).
    what: &'static str,
    /// The field an item must carry in the shape below, and the shape.
    field: &'static str,
    expected: &'static str,
    valid: fn(&T) -> bool,
}

/// A gcloud listing (a JSON list; a single object, as `describe` prints one, is a list
/// of one) into `into`, each item with the file it came from; an item without the
/// identifying field is an error naming its index and field, never its value.
fn read_list<T: serde::de::DeserializeOwned>(
    text: &str,
    shown: &str,
    errors: &mut Vec<SourceError>,
    listed: Listed<T>,
    into: &mut Vec<(T, String)>,
) {
    let items = if crate::doc::is_json_list(text) {
        crate::doc::from_json::<Vec<T>>(text)
    } else {
        crate::doc::from_json::<T>(text).map(|one| vec![one])
    };
    match items {
        Ok(items) => {
            for (i, item) in items.into_iter().enumerate() {
                if (listed.valid)(&item) {
                    into.push((item, shown.to_string()));
                } else {
                    errors.push(SourceKind::Gcp.error(
                        shown,
                        format!("field `[{i}].{}`: not {}", listed.field, listed.expected),
                    ));
                }
            }
        }
        Err(e) => errors.push(SourceKind::Gcp.json_error(
            shown,
            &e,
            &format!("not a valid {}", listed.what),
        )),
    }
}

/// The assets of an export, each with its line: JSON lines as `gcloud asset export`
/// writes them (a bad line is an error naming it; the other lines are still read), or
/// a JSON list as `gcloud asset list --format=json` prints them (line 1).
fn for_each_asset<T: serde::de::DeserializeOwned>(
    text: &str,
    shown: &str,
    errors: &mut Vec<SourceError>,
    mut each: impl FnMut(T, u32, &mut Vec<SourceError>),
) {
    if crate::doc::is_json_list(text) {
        match crate::doc::from_json::<Vec<T>>(text) {
            Ok(assets) => assets.into_iter().for_each(|a| each(a, 1, errors)),
            Err(e) => {
                errors.push(SourceKind::Gcp.json_error(shown, &e, "not a valid asset listing"))
            }
        }
        return;
    }
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{feff}');
        if line.trim().is_empty() {
            continue;
        }
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        match crate::doc::from_json::<T>(line) {
            Ok(asset) => each(asset, n, errors),
            Err(e) => errors.push(SourceKind::Gcp.error(
                format!("{shown}:{n}:{}", e.column),
                format!(
                    "not a valid asset export line: {}",
                    crate::doc::JsonError { line: 0, ..e }
                ),
            )),
        }
    }
}

/// One asset of `gcloud asset export --content-type=resource`: its `resource.data`
/// read for the asset types that hold identity data; the others are passed over.
fn read_resource_asset(
    asset: ResourceAsset,
    shown: &str,
    n: u32,
    input: &mut GcpInput,
    errors: &mut Vec<SourceError>,
) {
    let Some(data) = asset.resource.and_then(|r| r.data) else {
        return;
    };
    let data = data.get();
    let at = format!("{shown}:{n}");
    let bad = |e: crate::doc::JsonError, kind: &str| {
        SourceKind::Gcp.error(
            format!("{shown}:{n}"),
            format!(
                "not a valid {kind} in `resource.data`: {}",
                crate::doc::JsonError {
                    line: 0,
                    column: 0,
                    ..e
                }
            ),
        )
    };
    match asset.asset_type.as_str() {
        "iam.googleapis.com/ServiceAccount" => {
            match crate::doc::from_json::<ServiceAccount>(data) {
                Ok(a) if a.email.contains('@') => input.accounts.push((a, at)),
                Ok(_) => errors.push(SourceKind::Gcp.error(
                    at,
                    "field `resource.data.email`: not a service account's email",
                )),
                Err(e) => errors.push(bad(e, "service account")),
            }
        }
        "iam.googleapis.com/ServiceAccountKey" => {
            match crate::doc::from_json::<ServiceAccountKey>(data) {
                Ok(k) if k.account_and_id().is_some() => input.keys.push((k, at)),
                Ok(_) => errors.push(
                    SourceKind::Gcp
                        .error(at, "field `resource.data.name`: not a key's resource name"),
                ),
                Err(e) => errors.push(bad(e, "service-account key")),
            }
        }
        "iam.googleapis.com/Role" => match crate::doc::from_json::<Role>(data) {
            Ok(r) if is_role_name(&r.name) => input.roles.push((r, at)),
            Ok(_) => errors
                .push(SourceKind::Gcp.error(at, "field `resource.data.name`: not a role's name")),
            Err(e) => errors.push(bad(e, "role")),
        },
        "iam.googleapis.com/WorkloadIdentityPoolProvider" => {
            match crate::doc::from_json::<WorkloadIdentityPoolProvider>(data) {
                Ok(p) if p.pool_and_id().is_some() => input.providers.push((p, at)),
                Ok(_) => errors.push(SourceKind::Gcp.error(
                    at,
                    "field `resource.data.name`: not a provider's resource name",
                )),
                Err(e) => errors.push(bad(e, "workload identity provider")),
            }
        }
        // A project: its number and where it sits, as a policy with no bindings.
        "cloudresourcemanager.googleapis.com/Project" => {
            match crate::doc::from_json::<ProjectData>(data) {
                Ok(p) => input.policies.push(ResourcePolicy {
                    resource: format!(
                        "//cloudresourcemanager.googleapis.com/projects/{}",
                        p.project_id
                    ),
                    bindings: Vec::new(),
                    project: Some(format!("projects/{}", p.project_number)),
                    path: shown.to_string(),
                    line: n,
                    ancestors: asset.ancestors,
                }),
                Err(e) => errors.push(bad(e, "project")),
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_export_by_its_structure() {
        let search = r#"[{"resource": "//cloudresourcemanager.googleapis.com/projects/example-project",
            "project": "projects/123", "policy": {"bindings": []}}]"#;
        assert_eq!(recognise(search), Some(ExportKind::IamPolicySearch));
        let asset = "{\"name\": \"//cloudresourcemanager.googleapis.com/projects/123\", \"assetType\": \"cloudresourcemanager.googleapis.com/Project\", \"iamPolicy\": {\"bindings\": []}, \"ancestors\": [\"projects/123\"]}\n";
        assert_eq!(recognise(asset), Some(ExportKind::AssetIamPolicy));
        let accounts = r#"[{"email": "a@example-project.iam.gserviceaccount.com", "uniqueId": "1", "disabled": false}]"#;
        assert_eq!(recognise(accounts), Some(ExportKind::ServiceAccounts));
        let keys = r#"[{"name": "projects/example-project/serviceAccounts/a@example-project.iam.gserviceaccount.com/keys/abc", "keyType": "USER_MANAGED"}]"#;
        assert_eq!(recognise(keys), Some(ExportKind::ServiceAccountKeys));
        // Mentioning the keys, or the wrong shape of value, is not enough.
        assert_eq!(recognise(r#"["policy", "resource", "bindings"]"#), None);
        assert_eq!(recognise(r#"[{"policy": {}, "resource": "bucket"}]"#), None);
        assert_eq!(recognise(r#"[{"email": "nobody", "uniqueId": "1"}]"#), None);
        assert_eq!(
            recognise(r#"[{"name": "keys/abc", "keyType": "USER_MANAGED"}]"#),
            None
        );
        assert_eq!(
            recognise(r#"{"doc": {"iamPolicy": {}, "assetType": "x"}}"#),
            None
        );
        let roles = r#"[{"description": "Read agents", "etag": "AA==", "name": "roles/aiplatform.viewer", "stage": "GA", "title": "Vertex AI Viewer"}]"#;
        assert_eq!(recognise(roles), Some(ExportKind::Roles));
        // `describe`: one object, the permissions before the name.
        let many = (0..400)
            .map(|i| format!("\"aiplatform.things{i}.get\""))
            .collect::<Vec<_>>()
            .join(", ");
        let describe = format!(
            "{{\"description\": \"x\", \"etag\": \"AA==\", \"includedPermissions\": [{many}], \"name\": \"projects/p/roles/agentRunner\"}}"
        );
        assert_eq!(recognise(&describe), Some(ExportKind::Roles));
        assert_eq!(recognise(r#"{"name": "roles/x", "version": 1}"#), None);
        let providers = r#"[{"attributeCondition": "assertion.repository_owner == 'example-org'", "attributeMapping": {"google.subject": "assertion.sub"}, "name": "projects/123/locations/global/workloadIdentityPools/github/providers/actions", "oidc": {"issuerUri": "https://token.actions.githubusercontent.com"}, "state": "ACTIVE"}]"#;
        assert_eq!(
            recognise(providers),
            Some(ExportKind::WorkloadIdentityProviders)
        );
        assert_eq!(
            recognise(r#"[{"name": "providers/actions", "oidc": {}}]"#),
            None
        );
        let listed = format!("[{}]", asset.trim_end());
        assert_eq!(recognise(&listed), Some(ExportKind::AssetIamPolicy));
        let activity = r#"[{"activity": {"lastAuthenticatedTime": "2026-04-27T07:00:00Z", "serviceAccount": {"fullResourceName": "//iam.googleapis.com/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com", "projectNumber": "123", "serviceAccountId": "1"}}, "activityType": "serviceAccountLastAuthentication", "fullResourceName": "//iam.googleapis.com/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com", "observationPeriod": {"endTime": "2026-04-27T07:00:00Z", "startTime": "2026-04-27T07:00:00Z"}}]"#;
        assert_eq!(recognise(activity), Some(ExportKind::Activities));
        let key = Activity {
            full_resource_name: "//iam.googleapis.com/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com/keys/k1".into(),
            ..Default::default()
        };
        assert_eq!(
            key.account_and_key(),
            Some(("a@p.iam.gserviceaccount.com", Some("k1")))
        );
        assert_eq!(recognise("[]"), None);
        // A multi-byte character across the 4 KiB mark must not panic.
        let text = format!("[{}é", "a".repeat(4094));
        assert_eq!(recognise(&text), None);
        for &kind in ExportKind::ALL {
            assert_eq!(ExportKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn a_resource_export_gives_accounts_keys_roles_providers_and_projects() {
        let lines = [
            r#"{"name": "//cloudresourcemanager.googleapis.com/projects/222", "assetType": "cloudresourcemanager.googleapis.com/Project", "ancestors": ["projects/222", "folders/7", "organizations/1"], "resource": {"version": "v1", "data": {"projectId": "tools", "projectNumber": "222", "lifecycleState": "ACTIVE"}}}"#,
            r#"{"name": "//iam.googleapis.com/projects/tools/serviceAccounts/100", "assetType": "iam.googleapis.com/ServiceAccount", "resource": {"data": {"email": "agent@tools.iam.gserviceaccount.com", "name": "projects/tools/serviceAccounts/agent@tools.iam.gserviceaccount.com", "projectId": "tools", "uniqueId": "100", "description": "nhi:agent"}}}"#,
            r#"{"name": "//iam.googleapis.com/projects/tools/serviceAccounts/100/keys/k1", "assetType": "iam.googleapis.com/ServiceAccountKey", "resource": {"data": {"name": "projects/tools/serviceAccounts/agent@tools.iam.gserviceaccount.com/keys/k1", "keyType": "USER_MANAGED", "validAfterTime": "2026-01-01T00:00:00Z", "validBeforeTime": "9999-12-31T23:59:59Z"}}}"#,
            r#"{"name": "//iam.googleapis.com/projects/tools/roles/runner", "assetType": "iam.googleapis.com/Role", "resource": {"data": {"name": "projects/tools/roles/runner", "includedPermissions": ["storage.objects.get"]}}}"#,
            r#"{"name": "//iam.googleapis.com/projects/222/locations/global/workloadIdentityPools/gh/providers/actions", "assetType": "iam.googleapis.com/WorkloadIdentityPoolProvider", "resource": {"data": {"name": "projects/222/locations/global/workloadIdentityPools/gh/providers/actions", "oidc": {"issuerUri": "https://token.actions.githubusercontent.com"}}}}"#,
            r#"{"name": "//storage.googleapis.com/bucket", "assetType": "storage.googleapis.com/Bucket", "resource": {"data": {"name": "bucket"}}}"#,
            r#"{"name": "//iam.googleapis.com/projects/tools/serviceAccounts/101", "assetType": "iam.googleapis.com/ServiceAccount", "resource": {"data": {"email": "x", "disabled": "sk-not-a-bool"}}}"#,
        ];
        let text = lines.join("\n");
        assert_eq!(recognise(&text), Some(ExportKind::AssetResource));
        let mut input = GcpInput::default();
        let mut errors = Vec::new();
        assert!(read_export(
            ExportKind::AssetResource,
            &text,
            "resources.json",
            &mut input,
            &mut errors
        ));
        assert_eq!(input.accounts.len(), 1);
        assert_eq!(input.accounts[0].1, "resources.json:2");
        assert_eq!(input.keys.len(), 1);
        assert_eq!(input.roles.len(), 1);
        assert_eq!(input.providers.len(), 1);
        assert_eq!(input.policies.len(), 1);
        let project = &input.policies[0];
        assert_eq!(
            (project.resource.as_str(), project.project.as_deref()),
            (
                "//cloudresourcemanager.googleapis.com/projects/tools",
                Some("projects/222")
            )
        );
        assert_eq!(
            project.ancestors,
            ["projects/222", "folders/7", "organizations/1"]
        );
        // The bad line is named with its field; its value is not shown.
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].location, "resources.json:7", "{errors:?}");
        assert!(errors[0].message.contains("`disabled`"), "{errors:?}");
        assert!(!errors[0].message.contains("sk-not"), "{errors:?}");

        // `gcloud asset list --format=json`: the same assets as one list.
        let listed = format!("[{}]", lines.join(",\n"));
        assert_eq!(recognise(&listed), Some(ExportKind::AssetResource));
        let mut from_list = GcpInput::default();
        let mut list_errors = Vec::new();
        read_export(
            ExportKind::AssetResource,
            &listed,
            "resources.json",
            &mut from_list,
            &mut list_errors,
        );
        assert_eq!(list_errors.len(), 1, "{list_errors:?}");
        assert_eq!(
            (
                from_list.accounts.len(),
                from_list.keys.len(),
                from_list.roles.len()
            ),
            (1, 1, 1)
        );
        assert_eq!(from_list.providers.len(), 1);
        assert_eq!(from_list.policies[0].ancestors, project.ancestors);
    }

    #[test]
    fn role_and_provider_names() {
        for ok in [
            "roles/owner",
            "roles/iam.serviceAccountUser",
            "projects/example-project/roles/agentRunner",
            "organizations/123/roles/custom.role_1",
        ] {
            assert!(is_role_name(ok), "{ok}");
        }
        for bad in [
            "roles/",
            "roles/a/b",
            "projects/p/roles",
            "folders/1/roles/x",
            "x",
        ] {
            assert!(!is_role_name(bad), "{bad}");
        }
        let p = WorkloadIdentityPoolProvider {
            name: "projects/123/locations/global/workloadIdentityPools/github/providers/actions"
                .into(),
            ..Default::default()
        };
        assert_eq!(
            p.pool_and_id(),
            Some((
                "projects/123/locations/global/workloadIdentityPools/github",
                "actions"
            ))
        );
    }

    #[test]
    fn a_key_name_gives_its_account_and_id() {
        let key = ServiceAccountKey {
            name: "projects/p/serviceAccounts/a@p.iam.gserviceaccount.com/keys/k1".into(),
            ..Default::default()
        };
        assert_eq!(
            key.account_and_id(),
            Some(("a@p.iam.gserviceaccount.com", "k1"))
        );
        let bad = ServiceAccountKey {
            name: "projects/p/serviceAccounts/a/keys/".into(),
            ..Default::default()
        };
        assert_eq!(bad.account_and_id(), None);
    }

    #[test]
    fn a_listing_with_a_byte_order_mark_is_read() {
        let text = "\u{feff}[{\"email\": \"a@p.iam.gserviceaccount.com\", \"uniqueId\": \"1\"}]";
        assert_eq!(recognise(text), Some(ExportKind::ServiceAccounts));
        let mut input = GcpInput::default();
        let mut errors = Vec::new();
        assert!(!read_export(
            ExportKind::ServiceAccounts,
            text,
            "sa.json",
            &mut input,
            &mut errors
        ));
        assert_eq!((input.accounts.len(), errors.len()), (1, 0), "{errors:?}");
    }

    #[test]
    fn an_account_without_an_email_is_an_error_not_dropped() {
        let mut input = GcpInput::default();
        let mut errors = Vec::new();
        let text = r#"[{"email": "a@p.iam.gserviceaccount.com"}, {"email": "nobody"}]"#;
        assert!(read_export(
            ExportKind::ServiceAccounts,
            text,
            "sa.json",
            &mut input,
            &mut errors
        ));
        assert_eq!(input.accounts.len(), 1);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].message,
            "field `[1].email`: not a service account's email"
        );
        assert!(!errors[0].message.contains("nobody"));
    }

    #[test]
    fn a_malformed_export_is_an_error_naming_file_line_and_field_never_the_value() {
        let mut input = GcpInput::default();
        let mut errors = Vec::new();
        let text = "[\n  {\"email\": \"a@p.iam.gserviceaccount.com\",\n   \"disabled\": \"sk-secret-value\"}\n]";
        assert!(read_export(
            ExportKind::ServiceAccounts,
            text,
            "sa.json",
            &mut input,
            &mut errors
        ));
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].location.starts_with("sa.json:3:"),
            "{:?}",
            errors[0]
        );
        assert!(
            errors[0].message.contains("`[0].disabled`"),
            "{:?}",
            errors[0]
        );
        assert!(!errors[0].message.contains("sk-secret"), "{:?}", errors[0]);
        assert!(input.accounts.is_empty());

        // JSON lines: the bad line is named; the good ones are still read.
        let lines = "{\"name\": \"//iam.googleapis.com/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com\", \"assetType\": \"iam.googleapis.com/ServiceAccount\", \"iamPolicy\": {\"bindings\": [{\"role\": \"roles/iam.serviceAccountUser\", \"members\": [\"user:x@example.com\"]}]}}\n{\"name\": 7\n";
        let mut errors = Vec::new();
        assert!(read_export(
            ExportKind::AssetIamPolicy,
            lines,
            "assets.json",
            &mut input,
            &mut errors
        ));
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].location.starts_with("assets.json:2:"),
            "{:?}",
            errors[0]
        );
        assert_eq!(input.policies.len(), 1);
        assert_eq!(
            (input.policies[0].path.as_str(), input.policies[0].line),
            ("assets.json", 1)
        );
        assert_eq!(
            input.policies[0].bindings[0].members,
            ["user:x@example.com"]
        );
    }
}
