//! `aws iam get-account-authorization-details` (GAAD): the shape the AWS CLI writes and
//! the live crawler rebuilds, so live and offline share one normaliser.
//!
//! Parsing is lenient where exports differ (policy documents as objects or URL-encoded
//! strings, dates in ISO or `YYYY-MM-DD HH:MM:SS+00:00` form, unknown fields) and strict
//! where it matters: a missing list or a malformed document is reported, never guessed.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// A policy document kept as the raw JSON text it came in (an object, or the URL-encoded
/// string IAM returns): parsed when analysed, one at a time, so a large export is not
/// held as a tree of values.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Document(Box<RawValue>);

impl PartialEq for Document {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl Document {
    pub fn from_value(v: &Value) -> Option<Self> {
        serde_json::value::to_raw_value(v).ok().map(Document)
    }
}

/// The whole export.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Gaad {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_detail_list: Option<Vec<UserDetail>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_detail_list: Option<Vec<GroupDetail>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_detail_list: Option<Vec<RoleDetail>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<ManagedPolicyDetail>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserDetail {
    #[serde(default)]
    pub path: String,
    pub user_name: String,
    #[serde(default)]
    pub user_id: String,
    pub arn: String,
    #[serde(default)]
    pub create_date: Option<String>,
    #[serde(default)]
    pub user_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub group_list: Vec<String>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default)]
    pub permissions_boundary: Option<PermissionsBoundary>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupDetail {
    #[serde(default)]
    pub path: String,
    pub group_name: String,
    #[serde(default)]
    pub group_id: String,
    pub arn: String,
    #[serde(default)]
    pub create_date: Option<String>,
    #[serde(default)]
    pub group_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleDetail {
    #[serde(default)]
    pub path: String,
    pub role_name: String,
    #[serde(default)]
    pub role_id: String,
    pub arn: String,
    #[serde(default)]
    pub create_date: Option<String>,
    /// The trust policy.
    #[serde(default)]
    pub assume_role_policy_document: Option<Document>,
    #[serde(default)]
    pub instance_profile_list: Vec<InstanceProfile>,
    #[serde(default)]
    pub role_policy_list: Vec<InlinePolicy>,
    #[serde(default)]
    pub attached_managed_policies: Vec<AttachedPolicy>,
    #[serde(default)]
    pub permissions_boundary: Option<PermissionsBoundary>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub role_last_used: Option<RoleLastUsed>,
    /// Not in GAAD; the live crawler fills it from `GetRole`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_session_duration: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceProfile {
    #[serde(default)]
    pub instance_profile_name: String,
    #[serde(default)]
    pub arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RoleLastUsed {
    #[serde(default)]
    pub last_used_date: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: String,
    /// An object, or the URL-encoded JSON string the IAM API returns.
    #[serde(default)]
    pub policy_document: Option<Document>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    #[serde(default)]
    pub policy_name: String,
    pub policy_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PermissionsBoundary {
    #[serde(default)]
    pub permissions_boundary_type: Option<String>,
    pub permissions_boundary_arn: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPolicyDetail {
    pub policy_name: String,
    #[serde(default)]
    pub policy_id: String,
    pub arn: String,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub default_version_id: Option<String>,
    #[serde(default)]
    pub attachment_count: Option<i64>,
    #[serde(default)]
    pub create_date: Option<String>,
    #[serde(default)]
    pub update_date: Option<String>,
    #[serde(default)]
    pub policy_version_list: Vec<PolicyVersion>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    #[serde(default)]
    pub document: Option<Document>,
    #[serde(default)]
    pub version_id: String,
    #[serde(default)]
    pub is_default_version: bool,
    #[serde(default)]
    pub create_date: Option<String>,
}

impl ManagedPolicyDetail {
    /// The version in force.
    pub fn default_version(&self) -> Option<&PolicyVersion> {
        self.policy_version_list
            .iter()
            .find(|v| v.is_default_version)
            .or_else(|| {
                let id = self.default_version_id.as_deref()?;
                self.policy_version_list.iter().find(|v| v.version_id == id)
            })
    }

    /// AWS managed policies live under the `aws` account and cannot be edited.
    pub fn is_aws_managed(&self) -> bool {
        self.arn.starts_with("arn:aws:iam::aws:policy/") || self.arn.contains(":iam::aws:policy/")
    }
}

/// A policy document that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// The export has no document where one belongs (`the version has no document`).
    #[error("{0}")]
    Missing(&'static str),
    #[error("the policy document is not JSON: {0}")]
    NotJson(String),
    #[error("the policy document is a {0}, not an object")]
    NotObject(&'static str),
    #[error("a truncated %-escape in the policy document")]
    TruncatedEscape,
    #[error("a bad %-escape in the policy document")]
    BadEscape,
    #[error("the decoded policy document is not UTF-8")]
    NotUtf8,
    /// JSON, but not a policy.
    #[error(transparent)]
    Policy(#[from] crate::policy::aws::document::PolicyError),
}

/// A policy document as found: an object, or a URL-encoded JSON string (as the IAM API
/// returns it). Returns the parsed object or why it could not be read.
pub fn decode_document(doc: &Document) -> Result<Value, DocumentError> {
    let value: Value =
        crate::doc::from_json(doc.0.get()).map_err(|e| DocumentError::NotJson(e.to_string()))?;
    decode_value(value)
}

/// The statements of `doc`, or why there are none; `missing` says what an absent
/// document is.
pub fn read_policy(
    doc: Option<&Document>,
    missing: &'static str,
) -> Result<Vec<crate::policy::aws::document::Statement>, DocumentError> {
    let doc = decode_document(doc.ok_or(DocumentError::Missing(missing))?)?;
    Ok(crate::policy::aws::document::parse(&doc)?)
}

fn decode_value(doc: Value) -> Result<Value, DocumentError> {
    match doc {
        Value::Object(_) => Ok(doc),
        Value::String(s) => {
            let text = if s.trim_start().starts_with('{') {
                s
            } else {
                percent_decode(&s)?
            };
            crate::doc::from_json(&text).map_err(|e| DocumentError::NotJson(e.to_string()))
        }
        other => Err(DocumentError::NotObject(kind_of(&other))),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// RFC 3986 percent-decoding, as IAM encodes documents (`+` stays `+`).
fn percent_decode(s: &str) -> Result<String, DocumentError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or(DocumentError::TruncatedEscape)?;
            let b = u8::from_str_radix(hex, 16).map_err(|_| DocumentError::BadEscape)?;
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| DocumentError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_as_objects_or_url_encoded_strings() {
        let obj = json!({"Version": "2012-10-17", "Statement": []});
        let d = |v: Value| Document::from_value(&v).unwrap();
        assert_eq!(decode_document(&d(obj.clone())).unwrap(), obj);
        let enc = json!("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D");
        assert_eq!(decode_document(&d(enc)).unwrap(), obj);
        assert!(decode_document(&d(json!("%7B%22Vers"))).is_err());
        assert!(decode_document(&d(json!(42))).is_err());
    }
}
