//! The GitHub export: what a crawl read, as one JSON file (`github-export.json`) that
//! `nhi-audit scan DIR` recognises by its schema key.
//!
//! Shape (`"schema": "nhi-audit/github-export/v1"`):
//!
//! ```json
//! {
//!   "schema": "nhi-audit/github-export/v1",
//!   "api_url": "https://api.github.com",
//!   "orgs": [{
//!     "org": "acme",
//!     "installations": [ ... ],          // GET /orgs/{org}/installations → installations[]
//!     "actions_secrets": [ ... ],        // GET /orgs/{org}/actions/secrets → secrets[], and for
//!                                        //   visibility "selected" a `selected_repositories`
//!                                        //   list of names (GET …/secrets/{name}/repositories)
//!     "workflow_permissions": { ... },   // GET /orgs/{org}/actions/permissions/workflow
//!     "personal_access_tokens": [ ... ], // GET /orgs/{org}/personal-access-tokens
//!     "repositories": [{
//!       "repository": { ... },           // an item of GET /orgs/{org}/repos
//!       "deploy_keys": [ ... ],          // GET /repos/{owner}/{repo}/keys
//!       "actions_secrets": [ ... ],      // GET /repos/{owner}/{repo}/actions/secrets → secrets[]
//!       "workflow_permissions": { ... }, // GET /repos/{owner}/{repo}/actions/permissions/workflow
//!       "workflows": [{                  // GET /repos/{owner}/{repo}/actions/workflows → workflows[]
//!         "workflow": { ... },
//!         "content": "name: ...\n"       // the file, base64-decoded from the contents API
//!       }]
//!     }],
//!     "audit_log": [ ... ],              // GET /orgs/{org}/audit-log (--github-audit-log)
//!     "audit_log_days": 90,              //   over the days asked for
//!     "errors": [{ "source": "github", "location": "GET /orgs/acme/personal-access-tokens",
//!                  "message": "..." }]
//!   }]
//! }
//! ```
//!
//! API objects are kept as GitHub returned them (every page concatenated, the token
//! scrubbed should the server have echoed it). A list that could not be read is `null`;
//! one that stopped part-way (a failed page, a page cap) keeps the pages read; either
//! way `errors` says why, so an offline scan reports the same gaps as the live one.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::SourceError;

/// The schema key of the export.
pub const EXPORT_SCHEMA: &str = "nhi-audit/github-export/v1";
/// The file `export github` writes.
pub const EXPORT_FILE: &str = "github-export.json";

/// Everything a crawl read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GithubExport {
    pub schema: String,
    /// The API that was crawled.
    pub api_url: String,
    pub orgs: Vec<OrgExport>,
}

/// One organisation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrgExport {
    pub org: String,
    #[serde(default)]
    pub installations: Option<Vec<Value>>,
    #[serde(default)]
    pub actions_secrets: Option<Vec<Value>>,
    #[serde(default)]
    pub workflow_permissions: Option<Value>,
    #[serde(default)]
    pub personal_access_tokens: Option<Vec<Value>>,
    #[serde(default)]
    pub repositories: Vec<RepoExport>,
    /// GET /orgs/{org}/audit-log (`--github-audit-log`): the entries, newest first, and
    /// the days they were asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_log: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_log_days: Option<u32>,
    /// What the crawl could not read.
    #[serde(default)]
    pub errors: Vec<SourceError>,
    /// What it read only in part on purpose (the audit log's page cap).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<SourceError>,
}

/// One repository and what was read about it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RepoExport {
    pub repository: Value,
    #[serde(default)]
    pub deploy_keys: Option<Vec<Value>>,
    #[serde(default)]
    pub actions_secrets: Option<Vec<Value>>,
    #[serde(default)]
    pub workflow_permissions: Option<Value>,
    #[serde(default)]
    pub workflows: Option<Vec<WorkflowExport>>,
    /// `GET /repos/{owner}/{repo}/environments`, read only when a workflow runs a job in
    /// an environment (its protection rules say who approves the job).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<Value>>,
}

/// A workflow as the Actions API lists it, and its file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkflowExport {
    pub workflow: Value,
    /// The file's text; `null` when it could not be fetched.
    #[serde(default)]
    pub content: Option<String>,
}

impl GithubExport {
    pub fn new(api_url: &str) -> Self {
        GithubExport {
            schema: EXPORT_SCHEMA.into(),
            api_url: api_url.to_string(),
            orgs: Vec::new(),
        }
    }

    /// Every error the crawl recorded.
    pub fn errors(&self) -> impl Iterator<Item = &SourceError> {
        self.orgs.iter().flat_map(|o| o.errors.iter())
    }

    /// Writes the export as `github-export.json` into `dir`; returns the path.
    pub fn write(&self, dir: &std::path::Path) -> std::io::Result<std::path::PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(EXPORT_FILE);
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&path, text + "\n")?;
        Ok(path)
    }
}
