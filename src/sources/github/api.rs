//! Typed views of the GitHub REST API objects the normaliser reads: only the fields it
//! needs, every one optional where GitHub may leave it out. The export keeps the whole
//! objects; these are read from them.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// An id GitHub gives as a number, read as text.
fn number_or_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(u64),
        Text(String),
    }
    Ok(match Id::deserialize(d)? {
        Id::Number(n) => n.to_string(),
        Id::Text(s) => s,
    })
}

/// A user or organisation as GitHub embeds it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Account {
    #[serde(default)]
    pub login: String,
}

/// An item of `GET /orgs/{org}/installations`.
#[derive(Debug, Clone, Deserialize)]
pub struct Installation {
    pub id: u64,
    #[serde(default)]
    pub app_id: Option<u64>,
    #[serde(default)]
    pub app_slug: String,
    #[serde(default)]
    pub permissions: BTreeMap<String, String>,
    #[serde(default)]
    pub repository_selection: String,
    #[serde(default)]
    pub events: Vec<String>,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub suspended_at: Option<String>,
}

/// An item of `GET /orgs/{org}/repos`.
#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    pub name: String,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub owner: Option<Account>,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
}

/// An item of `GET /repos/{owner}/{repo}/keys`.
#[derive(Debug, Clone, Deserialize)]
pub struct DeployKey {
    /// GitHub's number for the key; a key written in Terraform has none before it is
    /// applied, and gives its reference (`${github_repository_deploy_key.agent.id}`).
    #[serde(deserialize_with = "number_or_text")]
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub read_only: bool,
    #[serde(default)]
    pub verified: Option<bool>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub added_by: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub last_used: Option<String>,
}

/// An org or repository Actions secret: names and dates, never values.
#[derive(Debug, Clone, Deserialize)]
pub struct Secret {
    pub name: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Org secrets: `all`, `private` or `selected`.
    #[serde(default)]
    pub visibility: Option<String>,
    /// Added by the crawl for `selected` org secrets: the repository names.
    #[serde(default)]
    pub selected_repositories: Option<Vec<String>>,
}

/// `GET /orgs/{org}/actions/permissions/workflow` and the repository one.
#[derive(Debug, Clone, Deserialize)]
pub struct WorkflowPermissions {
    pub default_workflow_permissions: String,
    #[serde(default)]
    pub can_approve_pull_request_reviews: bool,
}

/// The permissions of a fine-grained PAT grant.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PatPermissions {
    #[serde(default)]
    pub organization: BTreeMap<String, String>,
    #[serde(default)]
    pub repository: BTreeMap<String, String>,
    #[serde(default)]
    pub other: BTreeMap<String, String>,
}

/// An item of `GET /orgs/{org}/personal-access-tokens`.
#[derive(Debug, Clone, Deserialize)]
pub struct PatGrant {
    pub id: u64,
    #[serde(default)]
    pub owner: Account,
    #[serde(default)]
    pub repository_selection: String,
    #[serde(default)]
    pub permissions: PatPermissions,
    #[serde(default)]
    pub access_granted_at: Option<String>,
    pub token_id: u64,
    #[serde(default)]
    pub token_name: String,
    #[serde(default)]
    pub token_expired: bool,
    #[serde(default)]
    pub token_expires_at: Option<String>,
    #[serde(default)]
    pub token_last_used_at: Option<String>,
}
