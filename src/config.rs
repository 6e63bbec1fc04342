//! `.nhi-audit.yaml`: thresholds, declared agents, rule switches and ignores. Unknown
//! keys are errors that name the line, so a typo never silently disables a check.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use serde_json::json;

use crate::doc::{self, Node};
use crate::rules::Severity;

/// A configuration problem, with the file and line.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: u32,
    pub message: String,
}

/// Why a config file could not be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigLoadError {
    #[error("cannot read the config {file}: {message}")]
    Read { file: String, message: String },
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<ConfigError>),
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
    /// The line of the rule id in the file, to name it when no rule has that id.
    pub line: u32,
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
/// (AWS) or ids (`azure:app:APP_ID`, `azure:sp:OBJECT_ID`) match `principals` belong to it.
#[derive(Debug, Clone)]
pub struct DeclaredAgent {
    pub name: String,
    pub paths: Vec<GlobMatcher>,
    /// The patterns of `paths` as written, resolved again by [`Config::rebase`].
    pub path_texts: Vec<String>,
    pub principals: Vec<GlobMatcher>,
}

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub file: Option<String>,
    /// The folder of the config file (resolved): what its path patterns are relative to.
    pub dir: Option<PathBuf>,
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

    /// Reads and checks a config file. `shown` is its name in messages.
    pub fn load(path: &Path, shown: &str) -> Result<Config, ConfigLoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigLoadError::Read {
            file: shown.to_string(),
            message: e.to_string(),
        })?;
        let mut config = Self::parse(shown, &text).map_err(ConfigLoadError::Invalid)?;
        config.dir = std::fs::canonicalize(path)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf));
        Ok(config)
    }

    /// Resolves the path patterns of ignores and declared agents against the config
    /// file's folder: `prefix` is that folder as the start of the names files get in
    /// reports (`""` for the top, `sub/` below it), or `None` when the folder lies outside
    /// what was scanned, where patterns match the names as reported.
    pub fn rebase(&mut self, prefix: Option<&str>) {
        let compile = |pattern: &str| {
            let full = match prefix {
                Some(p) => format!("{}{pattern}", globset::escape(p)),
                None => pattern.to_string(),
            };
            // Checked at parse time; the escaped prefix cannot make it invalid.
            Glob::new(&full).ok().map(|g| g.compile_matcher())
        };
        for ig in &mut self.ignores {
            if let Some(text) = &ig.path_text {
                ig.path = compile(text);
            }
        }
        for agent in &mut self.agents {
            agent.paths = agent.path_texts.iter().filter_map(|t| compile(t)).collect();
        }
    }

    /// The rule ids under `rules:` that no loaded rule has, as errors with their line.
    pub fn unknown_rule_ids<'a>(&self, known: impl Fn(&str) -> bool + 'a) -> Vec<ConfigError> {
        let file = self
            .file
            .clone()
            .unwrap_or_else(|| ".nhi-audit.yaml".into());
        self.rules
            .iter()
            .filter(|(id, _)| !known(id))
            .map(|(id, s)| ConfigError {
                file: file.clone(),
                line: s.line,
                message: format!("no rule has the id `{id}` (`nhi-audit rules list` shows them)"),
            })
            .collect()
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
        let doc = match doc::parse_trusted_yaml(text) {
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
        if !doc.is_map() {
            return Err(vec![ConfigError {
                file: file.to_string(),
                line: doc.line,
                message:
                    "the config must be a mapping with the keys thresholds, rules, ignores, agents"
                        .into(),
            }]);
        }
        for (key, value) in doc.entries() {
            let shape_ok = match key.name.as_str() {
                "thresholds" | "rules" => value.is_map() || value.is_null(),
                "ignores" | "agents" => value.is_seq() || value.is_null(),
                _ => true,
            };
            if !shape_ok {
                let want = if matches!(key.name.as_str(), "thresholds" | "rules") {
                    "a mapping"
                } else {
                    "a list"
                };
                err(value.line, format!("`{}` must be {want}", key.name));
                continue;
            }
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
                        let mut s = RuleSetting {
                            line: id.line,
                            ..RuleSetting::default()
                        };
                        if !setting.is_map() {
                            err(
                                setting.line,
                                format!(
                                    "the setting of {} must be a mapping (enabled, severity)",
                                    id.name
                                ),
                            );
                            continue;
                        }
                        for (k, v) in setting.entries() {
                            match k.name.as_str() {
                                "enabled" => match v.as_bool() {
                                    Some(b) => s.enabled = Some(b),
                                    None => err(v.line, "`enabled` must be true or false".into()),
                                },
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
    if !item.is_map() {
        return Err((
            item.line,
            "an ignore must be a mapping (rule, path, subject, reason, expires)".into(),
        ));
    }
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
    if !item.is_map() {
        return Err((
            item.line,
            "a declared agent must be a mapping (name, paths, principals)".into(),
        ));
    }
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
    let path_nodes = item.get("paths").map(Node::items).unwrap_or_default();
    let paths = path_nodes.iter().map(glob).collect::<Result<Vec<_>, _>>()?;
    let path_texts = path_nodes
        .iter()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect();
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
        path_texts,
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
    fn a_config_that_is_not_a_mapping_is_an_error() {
        for text in [
            "- a\n- b\n",
            "just text\n",
            "rules: [NHI-REPO-001]\n",
            "ignores: {rule: x}\n",
        ] {
            let errs = Config::parse("c.yaml", text).unwrap_err();
            assert!(!errs.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn unknown_rule_ids_are_named_with_their_line() {
        let c = Config::parse(
            "c.yaml",
            "rules:\n  NHI-REPO-004: {severity: low}\n  NHI-REPO-999: {enabled: false}\n",
        )
        .unwrap();
        let errs = c.unknown_rule_ids(|id| id == "NHI-REPO-004");
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, 3);
        assert!(errs[0].message.contains("NHI-REPO-999"));
    }

    #[test]
    fn patterns_are_rebased_on_the_config_folder() {
        let mut c = Config::parse(
            "c.yaml",
            "ignores:\n  - {rule: NHI-REPO-001, reason: r, path: '.github/workflows/x.yml'}\n",
        )
        .unwrap();
        c.rebase(Some("d[1]/"));
        let m = c.ignores[0].path.as_ref().unwrap();
        assert!(m.is_match("d[1]/.github/workflows/x.yml"));
        assert!(!m.is_match(".github/workflows/x.yml"));
    }

    #[test]
    fn ignores_need_a_reason() {
        let errs = Config::parse("c.yaml", "ignores:\n  - rule: NHI-REPO-001\n").unwrap_err();
        assert!(errs[0].message.contains("reason"));
        let ok = Config::parse("c.yaml", "ignores:\n  - {rule: NHI-REPO-001, reason: test key, expires: 2030-01-01, path: 'tests/**'}\n").unwrap();
        assert_eq!(ok.ignores.len(), 1);
    }
}
