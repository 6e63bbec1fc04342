//! The pattern catalogue: `data/secret-patterns.yaml`, embedded in the binary and loaded
//! once. The file documents its own format at the top.

use std::sync::LazyLock;

use regex::Regex;

use crate::doc::{self, Node};
use crate::model::{Confidence, Lifetime};

const BUILTIN_YAML: &str = include_str!("../../data/secret-patterns.yaml");

/// The built-in catalogue. The YAML is part of the binary, not user input, and the test
/// suite loads it, so a failure here is a build defect.
pub(super) static BUILTIN: LazyLock<Catalog> =
    LazyLock::new(|| Catalog::parse(BUILTIN_YAML).expect("builtin secret patterns are valid"));

/// A credential format: what it is, and how to find it.
#[derive(Debug)]
pub struct Pattern {
    /// Stable id, e.g. `github-classic-pat`.
    pub id: String,
    /// Human-readable name, e.g. "GitHub personal access token (classic)".
    pub name: String,
    /// The credential kind inventories and rules see, e.g. `openai-api-key`.
    pub kind: String,
    /// `aws`, `github`, `openai`, …; `generic` for formats shared by many services.
    pub provider: String,
    /// `Static`, or `ShortLived` when the format itself proves a short expiry.
    pub lifetime: Lifetime,
    /// How sure a match is that credential.
    pub confidence: Confidence,
    pub(super) keywords: Vec<String>,
    pub(super) regex: Regex,
    /// The match may span lines, so its search window reaches past the keyword's line.
    pub(super) multiline: bool,
    /// A bare config value under one of these (normalised) names is this credential when it
    /// matches `value_regex`, even without the context `regex` needs.
    pub(super) value_names: Vec<String>,
    pub(super) value_regex: Option<Regex>,
    /// Only the tests read these; they stay loaded so a bad example fails the build's tests.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) examples: Examples,
}

/// Patterns are identified by their id, which is unique within a catalogue.
impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

/// Texts a pattern must and must not match; run by the unit tests.
#[derive(Debug, Default)]
#[cfg_attr(not(test), allow(dead_code))]
pub(super) struct Examples {
    pub positive: Vec<String>,
    pub negative: Vec<String>,
}

/// A name glob: `*_X` matches `X` and `…_X`; `X_*` matches `X` and `X_…`; else exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Glob {
    Exact(String),
    Suffix(String),
    Prefix(String),
}

impl Glob {
    fn parse(text: &str) -> Glob {
        if let Some(rest) = text.strip_prefix("*_") {
            Glob::Suffix(rest.to_string())
        } else if let Some(rest) = text.strip_suffix("_*") {
            Glob::Prefix(rest.to_string())
        } else {
            Glob::Exact(text.to_string())
        }
    }

    /// How specific the match is (higher wins), or `None` when it does not match.
    pub fn score(&self, name: &str) -> Option<usize> {
        match self {
            Glob::Exact(x) => (name == x).then_some(usize::MAX),
            Glob::Suffix(x) => {
                let hit = name == x
                    || (name.len() > x.len()
                        && name.ends_with(x.as_str())
                        && name.as_bytes()[name.len() - x.len() - 1] == b'_');
                hit.then_some(x.len())
            }
            Glob::Prefix(x) => {
                let hit = name == x
                    || (name.len() > x.len()
                        && name.starts_with(x.as_str())
                        && name.as_bytes()[x.len()] == b'_');
                hit.then_some(x.len())
            }
        }
    }
}

/// What a variable or key name carries.
#[derive(Debug)]
pub(super) struct NameRule {
    pub globs: Vec<Glob>,
    pub kind: String,
    pub provider: String,
    pub lifetime: Lifetime,
    /// False for names that carry a non-secret part of a credential (a key ID).
    pub secret: bool,
    /// The value is a URL and only a password inside it is secret.
    pub url_password: bool,
}

/// The whole catalogue.
#[derive(Debug)]
pub(super) struct Catalog {
    pub patterns: Vec<Pattern>,
    pub names: Vec<NameRule>,
    pub ignore_names: Vec<Glob>,
}

/// A defect in a pattern catalogue, with the line it is on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("secret patterns, line {line}: {message}")]
pub struct CatalogError {
    pub line: u32,
    pub message: String,
}

fn err(node: &Node, message: impl Into<String>) -> CatalogError {
    CatalogError {
        line: node.line,
        message: message.into(),
    }
}

impl Catalog {
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        let root = doc::parse_trusted_yaml(text).map_err(|e| CatalogError {
            line: e.line,
            message: e.message,
        })?;
        check_keys(&root, &["patterns", "names", "ignore_names"])?;
        let patterns = root
            .get("patterns")
            .ok_or_else(|| err(&root, "missing `patterns`"))?
            .items()
            .iter()
            .map(parse_pattern)
            .collect::<Result<Vec<_>, _>>()?;
        for (i, p) in patterns.iter().enumerate() {
            if patterns[..i].iter().any(|q| q.id == p.id) {
                return Err(CatalogError {
                    line: 0,
                    message: format!("duplicate pattern id `{}`", p.id),
                });
            }
        }
        let names = match root.get("names") {
            Some(n) => n
                .items()
                .iter()
                .map(parse_name_rule)
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let ignore_names = match root.get("ignore_names") {
            Some(n) => n
                .items()
                .iter()
                .map(|g| Ok(Glob::parse(scalar(g)?)))
                .collect::<Result<_, CatalogError>>()?,
            None => Vec::new(),
        };
        Ok(Catalog {
            patterns,
            names,
            ignore_names,
        })
    }
}

/// Rejects unknown keys, so a typo in the catalogue is an error rather than a silent no-op.
fn check_keys(node: &Node, allowed: &[&str]) -> Result<(), CatalogError> {
    if !node.is_map() {
        return Err(err(node, "expected a mapping"));
    }
    for (key, _) in node.entries() {
        if !allowed.contains(&key.name.as_str()) {
            return Err(CatalogError {
                line: key.line,
                message: format!("unknown key `{}`", key.name),
            });
        }
    }
    Ok(())
}

fn scalar(node: &Node) -> Result<&str, CatalogError> {
    node.as_str().ok_or_else(|| err(node, "expected a string"))
}

fn required<'n>(node: &'n Node, key: &str) -> Result<&'n str, CatalogError> {
    let value = node
        .get(key)
        .ok_or_else(|| err(node, format!("missing `{key}`")))?;
    let text = scalar(value)?;
    if text.trim().is_empty() {
        return Err(err(value, format!("`{key}` is empty")));
    }
    Ok(text)
}

fn strings(node: Option<&Node>) -> Result<Vec<String>, CatalogError> {
    match node {
        None => Ok(Vec::new()),
        Some(n) if n.as_str().is_some() => Ok(vec![scalar(n)?.to_string()]),
        Some(n) => n
            .items()
            .iter()
            .map(|i| scalar(i).map(str::to_string))
            .collect(),
    }
}

fn lifetime(node: &Node, text: &str) -> Result<Lifetime, CatalogError> {
    match text {
        "static" => Ok(Lifetime::Static),
        "short-lived" => Ok(Lifetime::ShortLived),
        other => Err(err(
            node,
            format!("lifetime `{other}`: expected static or short-lived"),
        )),
    }
}

fn confidence(node: &Node, text: &str) -> Result<Confidence, CatalogError> {
    match text {
        "low" => Ok(Confidence::Low),
        "medium" => Ok(Confidence::Medium),
        "high" => Ok(Confidence::High),
        other => Err(err(
            node,
            format!("confidence `{other}`: expected low, medium or high"),
        )),
    }
}

fn regex(node: &Node, text: &str) -> Result<Regex, CatalogError> {
    Regex::new(text).map_err(|e| err(node, format!("bad regex: {e}")))
}

fn parse_pattern(node: &Node) -> Result<Pattern, CatalogError> {
    check_keys(
        node,
        &[
            "id",
            "name",
            "kind",
            "provider",
            "lifetime",
            "confidence",
            "keywords",
            "regex",
            "multiline",
            "value",
            "examples",
        ],
    )?;
    let keywords = strings(node.get("keywords"))?;
    if keywords.is_empty() || keywords.iter().any(String::is_empty) {
        return Err(err(
            node,
            "`keywords` must list at least one non-empty string",
        ));
    }
    let regex_node = node.get("regex").unwrap_or(node);
    let compiled = regex(regex_node, required(node, "regex")?)?;
    let (value_names, value_regex) = match node.get("value") {
        Some(v) => {
            check_keys(v, &["names", "regex"])?;
            let names = strings(v.get("names"))?
                .iter()
                .map(|n| super::spelling::normalize(n))
                .collect();
            (names, Some(regex(v, required(v, "regex")?)?))
        }
        None => (Vec::new(), None),
    };
    let examples = match node.get("examples") {
        Some(e) => {
            check_keys(e, &["positive", "negative"])?;
            Examples {
                positive: strings(e.get("positive"))?,
                negative: strings(e.get("negative"))?,
            }
        }
        None => Examples::default(),
    };
    Ok(Pattern {
        id: required(node, "id")?.to_string(),
        name: required(node, "name")?.to_string(),
        kind: required(node, "kind")?.to_string(),
        provider: required(node, "provider")?.to_string(),
        lifetime: lifetime(node, required(node, "lifetime")?)?,
        confidence: confidence(node, required(node, "confidence")?)?,
        keywords,
        regex: compiled,
        multiline: node
            .get("multiline")
            .and_then(Node::as_bool)
            .unwrap_or(false),
        value_names,
        value_regex,
        examples,
    })
}

fn parse_name_rule(node: &Node) -> Result<NameRule, CatalogError> {
    check_keys(
        node,
        &[
            "match",
            "kind",
            "provider",
            "lifetime",
            "secret",
            "url_password",
        ],
    )?;
    let globs: Vec<Glob> = strings(node.get("match"))?
        .iter()
        .map(|g| Glob::parse(g))
        .collect();
    if globs.is_empty() {
        return Err(err(node, "`match` must list at least one name"));
    }
    let lifetime = match node.get("lifetime") {
        Some(l) => lifetime(l, scalar(l)?)?,
        None => Lifetime::Static,
    };
    Ok(NameRule {
        globs,
        kind: required(node, "kind")?.to_string(),
        provider: required(node, "provider")?.to_string(),
        lifetime,
        secret: node.get("secret").and_then(Node::as_bool).unwrap_or(true),
        url_password: node
            .get("url_password")
            .and_then(Node::as_bool)
            .unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_loads() {
        assert!(BUILTIN.patterns.len() >= 30);
        assert!(!BUILTIN.names.is_empty());
    }

    #[test]
    fn rejects_unknown_keys_with_a_line() {
        let e = Catalog::parse("patterns:\n  - id: x\n    regx: a\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("regx"), "{e}");
    }

    #[test]
    fn rejects_bad_regex_and_values() {
        let base = "patterns:\n  - {id: x, name: x, kind: x, provider: x, lifetime: static, \
                    confidence: high, keywords: [a], regex: 'a'}\n";
        assert!(Catalog::parse(base).is_ok());
        assert!(Catalog::parse(&base.replace("regex: 'a'", "regex: 'a('")).is_err());
        assert!(Catalog::parse(&base.replace("static", "forever")).is_err());
        assert!(Catalog::parse(&base.replace("high", "sure")).is_err());
        assert!(Catalog::parse(&base.replace("[a]", "[]")).is_err());
        let twice = format!("{base}{}", &base["patterns:\n".len()..]);
        assert!(
            Catalog::parse(&twice)
                .unwrap_err()
                .message
                .contains("duplicate")
        );
    }

    #[test]
    fn globs() {
        let g = Glob::parse("*_PASSWORD");
        assert!(g.score("PASSWORD").is_some());
        assert!(g.score("DB_PASSWORD").is_some());
        assert!(g.score("DBPASSWORD").is_none());
        let p = Glob::parse("NEXT_PUBLIC_*");
        assert!(p.score("NEXT_PUBLIC_X").is_some());
        assert!(p.score("NEXT_PUBLICX").is_none());
        assert_eq!(Glob::parse("KEY").score("KEY"), Some(usize::MAX));
        assert_eq!(Glob::parse("KEY").score("A_KEY"), None);
    }
}
