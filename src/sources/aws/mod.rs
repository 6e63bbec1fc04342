//! The `aws` source: IAM, live through `aws-sdk-iam` or offline from exports
//! (`get-account-authorization-details`, the credential report, access key listings).
//! Live and offline produce the same [`AwsInput`] and go through one normaliser, so
//! they give the same inventory for the same account.

pub mod credential_report;
pub mod gaad;
pub mod live;
mod normalize;
mod source;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use credential_report::CredentialReport;
pub use gaad::Gaad;
pub use normalize::normalize;
pub use source::{AwsSource, Request};

use crate::model::{SourceError, SourceKind};

/// One access key, as `ListAccessKeys` + `GetAccessKeyLastUsed` describe it. Key ids are
/// identifiers, not secrets: they join a key found in a config to the IAM user owning it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyMetadata {
    pub user_name: String,
    pub access_key_id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub create_date: Option<String>,
    #[serde(default)]
    pub last_used_date: Option<String>,
    #[serde(default)]
    pub last_used_service: Option<String>,
}

/// `export aws` writes these as `access-keys.json`: `{"AccessKeyMetadata": [...]}`, the
/// shape of `aws iam list-access-keys`, with the last-used fields added.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKeyList {
    pub access_key_metadata: Vec<AccessKeyMetadata>,
}

/// An IAM OIDC identity provider (`token.actions.githubusercontent.com`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OidcProvider {
    pub arn: String,
    #[serde(default)]
    pub url: String,
    /// IAM spells it `ClientIDList`.
    #[serde(default, rename = "ClientIDList", alias = "ClientIdList")]
    pub client_id_list: Vec<String>,
}

/// One service in IAM's last-accessed data for a principal, as
/// `GetServiceLastAccessedDetails` returns it: every service the principal's policies
/// allow, and when it last authenticated to it (none in the tracking period: never).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceLastAccessed {
    pub service_namespace: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_authenticated: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_authenticated_entity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_authenticated_entities: Option<i64>,
}

/// `export aws --aws-last-accessed` writes these as `service-last-accessed.json`: per
/// principal ARN, the `ServicesLastAccessed` of its completed job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LastAccessedExport {
    #[serde(rename = "ServiceLastAccessedByArn")]
    pub by_arn: std::collections::BTreeMap<String, Vec<ServiceLastAccessed>>,
}

/// Everything read from one account, live or offline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AwsInput {
    pub gaad: Gaad,
    pub credential_report: Option<CredentialReport>,
    pub access_keys: Vec<AccessKeyMetadata>,
    pub oidc_providers: Vec<OidcProvider>,
    /// IAM's last-accessed data, per principal ARN (live with `--aws-last-accessed`, or
    /// its export).
    pub last_accessed: std::collections::BTreeMap<String, Vec<ServiceLastAccessed>>,
    /// Where it came from: a file path, or `live:<account>` .
    pub origin: String,
}

crate::model::vocabulary! {
    /// What an offline file is, by content; spelled as in a [`crate::sources::FoundExport`].
    pub enum ExportKind {
        Gaad = "gaad",
        CredentialReport = "credential-report",
        AccessKeys = "access-keys",
        LastAccessed = "service-last-accessed",
    }
}

/// [`recognise`] for the source registry.
pub fn recognise_export(text: &str) -> Option<&'static str> {
    recognise(text).map(|k| k.as_str())
}

/// Recognises an AWS export by content (cheap substring checks on the start of it).
pub fn recognise(text: &str) -> Option<ExportKind> {
    let head = crate::sources::head(text);
    if head
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with("user,arn,user_creation_time")
    {
        return Some(ExportKind::CredentialReport);
    }
    // The JSON exports: an object with the export's keys at its top level (a file that
    // only mentions them, a script or a document, is not one).
    let keys = crate::doc::json_top_level_keys(head)?;
    let has = |k: &str| keys.iter().any(|(name, _)| name == k);
    if has("UserDetailList")
        || has("RoleDetailList")
        || has("GroupDetailList")
        || (has("Policies") && head.contains("\"PolicyVersionList\""))
    {
        return Some(ExportKind::Gaad);
    }
    // `Content` (the report, base64) comes first and can outgrow the head.
    if has("Content") && (has("ReportFormat") || text.contains("\"ReportFormat\"")) {
        return Some(ExportKind::CredentialReport);
    }
    if has("AccessKeyMetadata") {
        return Some(ExportKind::AccessKeys);
    }
    if has("ServiceLastAccessedByArn") {
        return Some(ExportKind::LastAccessed);
    }
    None
}

/// Reads a GAAD export. A truncated or invalid file is an error naming the line; missing
/// lists are reported and treated as empty.
pub fn read_gaad(path: &Path, shown: &str, errors: &mut Vec<SourceError>) -> Option<Gaad> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            errors.push(SourceKind::Aws.error(shown, format!("cannot read: {e}")));
            return None;
        }
    };
    parse_gaad(&text, shown, errors)
}

pub fn parse_gaad(text: &str, shown: &str, errors: &mut Vec<SourceError>) -> Option<Gaad> {
    match crate::doc::from_json::<Gaad>(text) {
        Ok(g) => {
            for (name, present) in [
                ("UserDetailList", g.user_detail_list.is_some()),
                ("GroupDetailList", g.group_detail_list.is_some()),
                ("RoleDetailList", g.role_detail_list.is_some()),
                ("Policies", g.policies.is_some()),
            ] {
                if !present {
                    errors.push(SourceKind::Aws.error(shown, format!("the export has no `{name}`: it is treated as empty, so results are partial")));
                }
            }
            Some(g)
        }
        Err(e) => {
            errors.push(SourceKind::Aws.json_error(
                shown,
                &e,
                "not a valid authorization-details export",
            ));
            None
        }
    }
}

pub fn read_credential_report(
    text: &str,
    shown: &str,
    errors: &mut Vec<SourceError>,
) -> Option<CredentialReport> {
    match credential_report::parse(text) {
        Ok((report, problems)) => {
            errors.extend(
                problems
                    .into_iter()
                    .map(|p| SourceKind::Aws.error(shown, p)),
            );
            Some(report)
        }
        Err(e) => {
            errors.push(SourceKind::Aws.error(shown, format!("not a credential report: {e}")));
            None
        }
    }
}

pub fn read_access_keys(
    text: &str,
    shown: &str,
    errors: &mut Vec<SourceError>,
) -> Vec<AccessKeyMetadata> {
    match crate::doc::from_json::<AccessKeyList>(text) {
        Ok(list) => list.access_key_metadata,
        Err(e) => {
            errors.push(SourceKind::Aws.json_error(shown, &e, "not an access key listing"));
            Vec::new()
        }
    }
}

pub fn read_last_accessed(
    text: &str,
    shown: &str,
    errors: &mut Vec<SourceError>,
) -> std::collections::BTreeMap<String, Vec<ServiceLastAccessed>> {
    match crate::doc::from_json::<LastAccessedExport>(text) {
        Ok(export) => export.by_arn,
        Err(e) => {
            errors.push(SourceKind::Aws.json_error(shown, &e, "not a last-accessed export"));
            Default::default()
        }
    }
}

/// How to reach the account live.
#[derive(Debug, Clone, Default)]
pub struct LiveOptions {
    /// A named profile from the shared config; else the default credential chain.
    pub profile: Option<String>,
    pub region: Option<String>,
    /// LocalStack, moto, GovCloud or a VPC endpoint.
    pub endpoint_url: Option<String>,
    /// Requests in flight at once for per-principal calls.
    pub concurrency: usize,
    /// A progress bar on stderr (terminals only).
    pub progress: bool,
    /// Also read IAM's last-accessed data per principal
    /// (`GenerateServiceLastAccessedDetails`, polled, then `GetServiceLastAccessedDetails`).
    pub last_accessed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_exports_and_survives_multibyte_text() {
        assert_eq!(
            recognise(r#"{"UserDetailList": []}"#),
            Some(ExportKind::Gaad)
        );
        assert_eq!(
            recognise("user,arn,user_creation_time\n"),
            Some(ExportKind::CredentialReport)
        );
        // A multi-byte character across the 4 KiB mark must not panic.
        let text = format!("{}é{}", "a".repeat(4095), "b".repeat(10));
        assert_eq!(recognise(&text), None);
        // Mentioning the keys does not make a file an export.
        assert_eq!(
            recognise("keys = [\"UserDetailList\", \"RoleDetailList\"]\n"),
            None
        );
        assert_eq!(recognise("{\"doc\": {\"UserDetailList\": []}}"), None);
    }
}
