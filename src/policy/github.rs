//! GitHub permissions: the workflow token's `permissions:` block, App permissions and
//! classic PAT scopes, mapped onto the common access levels.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use crate::doc::{Node, Value};
use crate::model::AccessLevel;

/// Every scope a `permissions:` block can name (what `write-all` and `read-all` cover).
pub const ALL_SCOPES: &[&str] = &[
    "actions",
    "attestations",
    "checks",
    "contents",
    "copilot-requests",
    "deployments",
    "discussions",
    "id-token",
    "issues",
    "models",
    "packages",
    "pages",
    "pull-requests",
    "repository-projects",
    "security-events",
    "statuses",
];

/// Scopes whose `write` gives no power over the repository: asking for an OIDC token,
/// using Copilot's models.
const NOT_REPOSITORY_POWER: &[&str] = &["id-token", "copilot-requests"];

/// The effective permissions of a workflow token.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenPermissions {
    /// No block: the repository or organisation default, unknown offline.
    Default,
    /// `write-all` or `read-all`.
    All(AccessLevel),
    /// Scope by scope; scopes not named get `none`.
    Scopes(BTreeMap<String, AccessLevel>),
}

impl TokenPermissions {
    pub fn parse(node: &Node) -> Self {
        match &node.value {
            Value::String(s) => match s.as_str() {
                "write-all" => TokenPermissions::All(AccessLevel::Write),
                "read-all" => TokenPermissions::All(AccessLevel::Read),
                _ => TokenPermissions::Scopes(BTreeMap::new()),
            },
            Value::Map(entries) => TokenPermissions::Scopes(
                entries
                    .iter()
                    .map(|(k, v)| {
                        let level = v.as_str().map_or(AccessLevel::None, level_of_value);
                        (k.name.clone(), level)
                    })
                    .collect(),
            ),
            Value::Null => TokenPermissions::Default,
            _ => TokenPermissions::Scopes(BTreeMap::new()),
        }
    }

    /// The permissions as the analyser records them in an agent's facts
    /// ([`Self::to_json`]), read back.
    pub fn from_json(value: Option<&Json>) -> Self {
        match value {
            None | Some(Json::Null) => TokenPermissions::Default,
            Some(Json::String(s)) if s == "write-all" => TokenPermissions::All(AccessLevel::Write),
            Some(Json::String(s)) if s == "read-all" => TokenPermissions::All(AccessLevel::Read),
            Some(Json::Object(m)) => TokenPermissions::Scopes(
                m.iter()
                    .map(|(k, v)| {
                        let level = v.as_str().map_or(AccessLevel::None, level_of_value);
                        (k.clone(), level)
                    })
                    .collect(),
            ),
            Some(_) => TokenPermissions::Scopes(BTreeMap::new()),
        }
    }

    /// `write-all`: every scope, written as one word.
    pub fn is_write_all(&self) -> bool {
        *self == TokenPermissions::All(AccessLevel::Write)
    }

    /// The highest level of any scope; `None` when unknown (the default).
    pub fn max_level(&self) -> Option<AccessLevel> {
        // `id-token: write` only lets the job ask for an OIDC token; what that token
        // can do is the federated role's business, not the workflow token's.
        // `copilot-requests: write` lets it use Copilot's models: no repository power.
        self.max_level_but(NOT_REPOSITORY_POWER)
    }

    /// The highest level of any scope but `skipped`; `None` when unknown (the default).
    pub fn max_level_but(&self, skipped: &[&str]) -> Option<AccessLevel> {
        match self {
            TokenPermissions::Default => None,
            TokenPermissions::All(level) => Some(*level),
            TokenPermissions::Scopes(map) => Some(
                map.iter()
                    .filter(|(k, _)| !skipped.contains(&k.as_str()))
                    .map(|(_, l)| *l)
                    .max()
                    .unwrap_or(AccessLevel::None),
            ),
        }
    }

    /// In words, for messages: `write-all`, `contents: write, issues: read`, …
    pub fn describe(&self) -> String {
        match self {
            TokenPermissions::Default => "the repository default".into(),
            TokenPermissions::All(AccessLevel::Write) => "write-all".into(),
            TokenPermissions::All(_) => "read-all".into(),
            TokenPermissions::Scopes(_) => {
                let named: Vec<String> = self
                    .scopes()
                    .into_iter()
                    .map(|(k, l)| format!("{k}: {}", l.as_str()))
                    .collect();
                if named.is_empty() {
                    "no scopes".into()
                } else {
                    named.join(", ")
                }
            }
        }
    }

    /// The scopes a block names one by one, `none` ones too (none for the default,
    /// `write-all` or `read-all`).
    pub fn named_scopes(&self) -> Vec<&str> {
        match self {
            TokenPermissions::Scopes(map) => map.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }

    pub fn level_of(&self, scope: &str) -> Option<AccessLevel> {
        match self {
            TokenPermissions::Default => None,
            TokenPermissions::All(level) => Some(*level),
            TokenPermissions::Scopes(map) => {
                Some(map.get(scope).copied().unwrap_or(AccessLevel::None))
            }
        }
    }

    /// The scopes granted, each with its level (none for the default, which is unknown).
    pub fn scopes(&self) -> Vec<(&str, AccessLevel)> {
        match self {
            TokenPermissions::Default => Vec::new(),
            TokenPermissions::All(level) => ALL_SCOPES.iter().map(|s| (*s, *level)).collect(),
            TokenPermissions::Scopes(map) => map
                .iter()
                .filter(|(_, l)| **l > AccessLevel::None)
                .map(|(s, l)| (s.as_str(), *l))
                .collect(),
        }
    }

    pub fn scopes_at_least(&self, level: AccessLevel) -> Vec<String> {
        self.scopes()
            .into_iter()
            .filter(|(s, l)| *l >= level && !NOT_REPOSITORY_POWER.contains(s))
            .map(|(s, _)| s.to_string())
            .collect()
    }

    /// What both grant, scope by scope: a reusable workflow's block can only narrow the
    /// permissions its caller hands over. The default (unknown) gives the other side.
    pub fn intersect(&self, other: &TokenPermissions) -> TokenPermissions {
        match (self, other) {
            (TokenPermissions::Default, o) => o.clone(),
            (s, TokenPermissions::Default) => s.clone(),
            (TokenPermissions::All(a), TokenPermissions::All(b)) => {
                TokenPermissions::All(*a.min(b))
            }
            (a, b) => TokenPermissions::Scopes(
                ALL_SCOPES
                    .iter()
                    .map(|s| {
                        let level = a
                            .level_of(s)
                            .unwrap_or(AccessLevel::None)
                            .min(b.level_of(s).unwrap_or(AccessLevel::None));
                        (s.to_string(), level)
                    })
                    .filter(|(_, l)| *l > AccessLevel::None)
                    .collect(),
            ),
        }
    }

    pub fn to_json(&self) -> Json {
        match self {
            TokenPermissions::Default => Json::Null,
            TokenPermissions::All(level) => json!(if *level == AccessLevel::Write {
                "write-all"
            } else {
                "read-all"
            }),
            TokenPermissions::Scopes(map) => Json::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), json!(v.as_str())))
                    .collect(),
            ),
        }
    }
}

/// `read`, `write`, `admin`, `none` as GitHub writes them in permission maps.
pub fn level_of_value(value: &str) -> AccessLevel {
    match value {
        "write" => AccessLevel::Write,
        "read" => AccessLevel::Read,
        "admin" => AccessLevel::Admin,
        _ => AccessLevel::None,
    }
}

/// The access level of a classic personal access token scope.
pub fn classic_pat_scope_level(scope: &str) -> AccessLevel {
    match scope {
        "delete_repo" | "admin:org" | "admin:enterprise" | "admin:repo_hook" | "admin:org_hook"
        | "site_admin" => AccessLevel::Admin,
        "admin:public_key" | "admin:gpg_key" | "admin:ssh_signing_key" => {
            AccessLevel::PermissionsManagement
        }
        s if s.starts_with("read:") => AccessLevel::Read,
        "repo" | "workflow" | "public_repo" | "gist" | "user" | "project" | "codespace"
        | "notifications" | "delete:packages" => AccessLevel::Write,
        s if s.starts_with("write:") || s.starts_with("repo:") => AccessLevel::Write,
        _ => AccessLevel::Read,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{Format, parse};

    fn perms(yaml: &str) -> TokenPermissions {
        TokenPermissions::parse(&parse(yaml, Format::Yaml).unwrap())
    }

    #[test]
    fn forms_of_the_permissions_block() {
        assert_eq!(perms("write-all").max_level(), Some(AccessLevel::Write));
        assert_eq!(
            perms("read-all").level_of("contents"),
            Some(AccessLevel::Read)
        );
        assert_eq!(perms("{}").max_level(), Some(AccessLevel::None));
        let p = perms("contents: read\nissues: write\nid-token: write\n");
        assert_eq!(p.max_level(), Some(AccessLevel::Write));
        assert_eq!(p.level_of("pull-requests"), Some(AccessLevel::None));
        assert_eq!(p.scopes_at_least(AccessLevel::Write), vec!["issues"]);
        assert_eq!(TokenPermissions::Default.max_level(), None);
    }

    #[test]
    fn read_back_from_facts() {
        for yaml in [
            "write-all",
            "read-all",
            "contents: read\nissues: none\n",
            "{}",
        ] {
            let p = perms(yaml);
            assert_eq!(TokenPermissions::from_json(Some(&p.to_json())), p, "{yaml}");
        }
        assert_eq!(TokenPermissions::from_json(None), TokenPermissions::Default);
        assert_eq!(
            TokenPermissions::from_json(Some(&json!(3))),
            TokenPermissions::Scopes(BTreeMap::new())
        );
    }

    #[test]
    fn described_and_measured() {
        assert_eq!(perms("write-all").describe(), "write-all");
        assert!(perms("write-all").is_write_all());
        assert!(!perms("read-all").is_write_all());
        assert_eq!(perms("read-all").describe(), "read-all");
        assert_eq!(perms("{}").describe(), "no scopes");
        assert_eq!(
            TokenPermissions::Default.describe(),
            "the repository default"
        );
        let p = perms("issues: write\ncontents: read\nchecks: none\ncopilot-requests: write\n");
        assert_eq!(
            p.describe(),
            "contents: read, copilot-requests: write, issues: write"
        );
        assert_eq!(
            p.named_scopes(),
            ["checks", "contents", "copilot-requests", "issues"]
        );
        let models = perms("contents: read\ncopilot-requests: write\n");
        assert_eq!(models.max_level(), Some(AccessLevel::Read));
        assert_eq!(
            models.max_level_but(&["id-token"]),
            Some(AccessLevel::Write)
        );
    }

    #[test]
    fn classic_scopes() {
        assert_eq!(classic_pat_scope_level("repo"), AccessLevel::Write);
        assert_eq!(classic_pat_scope_level("admin:org"), AccessLevel::Admin);
        assert_eq!(classic_pat_scope_level("read:org"), AccessLevel::Read);
    }
}
