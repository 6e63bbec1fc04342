//! `.nhi-audit.yaml`: thresholds, declared agents, rule switches and ignores. Unknown
//! keys are errors that name the line, so a typo never silently disables a check.

use std::collections::BTreeMap;
use std::path::Path;

use globset::{Glob, GlobMatcher};
use serde_json::json;

use crate::doc::{self, Format, Node};
use crate::rules::Severity;

/// A configuration problem, with the file and line.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: u32,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Thresholds {
    pub max_key_age_days: i64,
    pub max_idle_days: i64,
    pub max_session_hours: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            max_key_age_days: 90,
            max_idle_days: 90,
            max_session_hours: 1,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct RuleSetting {
    pub enabled: Option<bool>,
    pub severity: Option<Severity>,
}

/// An accepted finding: which rule, where, why, and until when.
#[derive(Debug, Clone)]
pub struct Ignore {
    pub rule: String,
    pub path: Option<GlobMatcher>,
    pub path_text: Option<String>,
    pub subject: Option<String>,
    pub reason: String,
    /// `YYYY-MM-DD`; past it the ignore no longer applies and is reported.
    pub expires: Option<String>,
    pub line: u32,
}

/// An agent the user declares: files under `paths` and the cloud principals whose ARNs
/// match `principals` belong to it.
#[derive(Debug, Clone)]
pub struct DeclaredAgent {
    pub name: String,
    pub paths: Vec<GlobMatcher>,
    pub principals: Vec<GlobMatcher>,
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub file: Option<String>,
    pub thresholds: Thresholds,
    pub rules: BTreeMap<String, RuleSetting>,
    pub ignores: Vec<Ignore>,
    pub agents: Vec<DeclaredAgent>,
}

impl Config {
    /// The thresholds as the `config` variable rules see.
    pub fn to_facts(&self, scope_all: bool) -> serde_json::Value {
        json!({
            "max_key_age_days": self.thresholds.max_key_age_days,
            "max_idle_days": self.thresholds.max_idle_days,
            "max_session_hours": self.thresholds.max_session_hours,
            "scope": if scope_all { "all" } else { "agents" },
        })
    }

    pub fn load(path: &Path) -> Result<Config, Vec<ConfigError>> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![ConfigError {
                file: file.clone(),
                line: 0,
                message: format!("cannot read: {e}"),
            }]
        })?;
        Self::parse(&file, &text)
    }

    pub fn parse(file: &str, text: &str) -> Result<Config, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let mut err = |line: u32, message: String| {
            errors.push(ConfigError {
                file: file.to_string(),
                line,
                message,
            })
        };
        let doc = match doc::parse(text, Format::Yaml) {
            Ok(d) => d,
            Err(e) => {
                return Err(vec![ConfigError {
                    file: file.to_string(),
                    line: e.line,
                    message: format!("not valid YAML: {}", e.message),
                }]);
            }
        };
        let mut config = Config {
            file: Some(file.to_string()),
            ..Config::default()
        };
        if doc.is_null() {
            return Ok(config);
        }
        for (key, value) in doc.entries() {
            match key.name.as_str() {
                "thresholds" => {
                    for (k, v) in value.entries() {
                        let n = match &v.value {
                            doc::Value::Number(n) if *n >= 0.0 => *n as i64,
                            _ => {
                                err(
                                    v.line,
                                    format!("`{}` must be a non-negative number", k.name),
                                );
                                continue;
                            }
                        };
                        match k.name.as_str() {
                            "max_key_age_days" => config.thresholds.max_key_age_days = n,
                            "max_idle_days" => config.thresholds.max_idle_days = n,
                            "max_session_hours" => config.thresholds.max_session_hours = n,
                            other => err(
                                k.line,
                                format!(
                                    "unknown threshold `{other}` (max_key_age_days, max_idle_days, max_session_hours)"
                                ),
                            ),
                        }
                    }
                }
                "rules" => {
                    for (id, setting) in value.entries() {
                        let mut s = RuleSetting::default();
                        for (k, v) in setting.entries() {
                            match k.name.as_str() {
                                "enabled" => s.enabled = v.as_bool(),
                                "severity" => match v.as_str().and_then(Severity::parse) {
                                    Some(sev) => s.severity = Some(sev),
                                    None => err(
                                        v.line,
                                        "severity must be info, low, medium, high or critical"
                                            .into(),
                                    ),
                                },
                                other => err(
                                    k.line,
                                    format!("unknown rule setting `{other}` (enabled, severity)"),
                                ),
                            }
                        }
                        config.rules.insert(id.name.clone(), s);
                    }
                }
                "ignores" => {
                    for item in value.items() {
                        match parse_ignore(item) {
                            Ok(i) => config.ignores.push(i),
                            Err((line, m)) => err(line, m),
                        }
                    }
                }
                "agents" => {
                    for item in value.items() {
                        match parse_agent(item) {
                            Ok(a) => config.agents.push(a),
                            Err((line, m)) => err(line, m),
                        }
                    }
                }
                other => err(
                    key.line,
                    format!("unknown key `{other}` (thresholds, rules, ignores, agents)"),
                ),
            }
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }
}

fn glob(node: &Node) -> Result<GlobMatcher, (u32, String)> {
    let text = node
        .as_str()
        .ok_or((node.line, "a path pattern must be a string".to_string()))?;
    Glob::new(text)
        .map(|g| g.compile_matcher())
        .map_err(|e| (node.line, format!("bad path pattern `{text}`: {e}")))
}

fn parse_ignore(item: &Node) -> Result<Ignore, (u32, String)> {
    let mut ignore = Ignore {
        rule: String::new(),
        path: None,
        path_text: None,
        subject: None,
        reason: String::new(),
        expires: None,
        line: item.line,
    };
    for (k, v) in item.entries() {
        match k.name.as_str() {
            "rule" => ignore.rule = v.scalar_text().unwrap_or_default(),
            "path" => {
                ignore.path = Some(glob(v)?);
                ignore.path_text = v.as_str().map(str::to_string);
            }
            "subject" => ignore.subject = v.scalar_text(),
            "reason" => ignore.reason = v.scalar_text().unwrap_or_default(),
            "expires" => {
                let text = v.scalar_text().unwrap_or_default();
                if time::Date::parse(
                    &text,
                    time::macros::format_description!("[year]-[month]-[day]"),
                )
                .is_err()
                {
                    return Err((
                        v.line,
                        format!("`expires` must be a date like 2026-12-31, not `{text}`"),
                    ));
                }
                ignore.expires = Some(text);
            }
            other => {
                return Err((
                    k.line,
                    format!("unknown ignore key `{other}` (rule, path, subject, reason, expires)"),
                ));
            }
        }
    }
    if ignore.rule.is_empty() {
        return Err((item.line, "an ignore needs `rule`".into()));
    }
    if ignore.reason.trim().is_empty() {
        return Err((
            item.line,
            format!("the ignore of {} needs a `reason`", ignore.rule),
        ));
    }
    Ok(ignore)
}

fn parse_agent(item: &Node) -> Result<DeclaredAgent, (u32, String)> {
    let name = item
        .get("name")
        .and_then(Node::scalar_text)
        .ok_or((item.line, "a declared agent needs `name`".to_string()))?;
    for (k, _) in item.entries() {
        if !matches!(k.name.as_str(), "name" | "paths" | "principals") {
            return Err((
                k.line,
                format!("unknown agent key `{}` (name, paths, principals)", k.name),
            ));
        }
    }
    let paths = item
        .get("paths")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(glob)
        .collect::<Result<Vec<_>, _>>()?;
    let principals = item
        .get("principals")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(glob)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DeclaredAgent {
        name,
        paths,
        principals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_keys_with_their_line() {
        let errs = Config::parse(
            "c.yaml",
            "thresholds:\n  max_key_age_days: 30\nignroes: []\n",
        )
        .unwrap_err();
        assert_eq!(errs[0].line, 3);
        assert!(errs[0].message.contains("ignroes"));
    }

    #[test]
    fn ignores_need_a_reason() {
        let errs = Config::parse("c.yaml", "ignores:\n  - rule: NHI-REPO-001\n").unwrap_err();
        assert!(errs[0].message.contains("reason"));
        let ok = Config::parse("c.yaml", "ignores:\n  - {rule: NHI-REPO-001, reason: test key, expires: 2030-01-01, path: 'tests/**'}\n").unwrap();
        assert_eq!(ok.ignores.len(), 1);
    }
}
