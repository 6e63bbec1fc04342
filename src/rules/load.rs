//! Loading rules: every problem is an error naming the file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use super::{Rule, Severity, SubjectKind, template};
use crate::controls;
use crate::doc::{self, Node};
use crate::model::{Category, Confidence};

/// A rule that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct LoadError {
    pub file: String,
    pub line: u32,
    pub message: String,
}

/// The variables a condition or message may use.
pub const VARIABLES: &[&str] = &[
    "agent",
    "identity",
    "credential",
    "grant",
    "chain",
    "change",
    "config",
];

const KEYS: &[&str] = &[
    "id",
    "name",
    "title",
    "description",
    "severity",
    "confidence",
    "category",
    "subject",
    "when",
    "severity_if",
    "message",
    "locations",
    "remediation",
    "controls",
    "examples",
];

/// The built-in rule set; the test suite proves it loads.
pub fn builtin_rules() -> Result<Vec<Rule>, Vec<LoadError>> {
    // Example paths stay relative to the crate: they are checked by the test suite, not
    // at run time, where the binary may live far from its sources.
    collect(
        super::BUILTIN_RULES
            .iter()
            .map(|(name, text)| load_rule_text(&format!("rules/{name}"), text, None)),
    )
}

/// Loads every `*.yaml`/`*.yml` file of a folder.
pub fn load_dir(dir: &Path) -> Result<Vec<Rule>, Vec<LoadError>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        vec![LoadError {
            file: dir.display().to_string(),
            line: 0,
            message: format!("cannot read the rules folder: {e}"),
        }]
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    collect(files.iter().map(|f| {
        let shown = f.display().to_string();
        match std::fs::read_to_string(f) {
            Ok(text) => load_rule_text(&shown, &text, f.parent()),
            Err(e) => Err(vec![LoadError {
                file: shown,
                line: 0,
                message: format!("cannot read: {e}"),
            }]),
        }
    }))
}

fn collect(
    results: impl Iterator<Item = Result<Rule, Vec<LoadError>>>,
) -> Result<Vec<Rule>, Vec<LoadError>> {
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(rule) => rules.push(rule),
            Err(e) => errors.extend(e),
        }
    }
    let mut seen = BTreeMap::new();
    for r in &rules {
        if let Some(first) = seen.insert(r.id.clone(), r.origin.clone()) {
            errors.push(LoadError {
                file: r.origin.clone(),
                line: 1,
                message: format!("rule id {} is already used by {first}", r.id),
            });
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

struct Checker<'a> {
    file: &'a str,
    errors: Vec<LoadError>,
}

impl Checker<'_> {
    fn err(&mut self, line: u32, message: impl Into<String>) {
        self.errors.push(LoadError {
            file: self.file.to_string(),
            line,
            message: message.into(),
        });
    }

    fn string(&mut self, doc: &Node, key: &str) -> Option<(String, u32)> {
        match doc.entry(key) {
            Some((_, v)) => match v.scalar_text() {
                Some(s) if !s.trim().is_empty() => Some((s.trim().to_string(), v.line)),
                _ => {
                    self.err(v.line, format!("`{key}` must be a non-empty string"));
                    None
                }
            },
            None => {
                self.err(1, format!("`{key}` is missing"));
                None
            }
        }
    }
}

static ID_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*-[0-9]{3}$").expect("static regex"));
static COMPREHENSION_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:exists|all|exists_one|map|filter)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,")
        .expect("static regex")
});

/// Parses and validates one rule. `base` resolves relative example paths.
pub fn load_rule_text(file: &str, text: &str, base: Option<&Path>) -> Result<Rule, Vec<LoadError>> {
    let mut c = Checker {
        file,
        errors: Vec::new(),
    };
    let doc = doc::parse_trusted_yaml(text).map_err(|e| {
        vec![LoadError {
            file: file.to_string(),
            line: e.line,
            message: format!("not valid YAML: {}", e.message),
        }]
    })?;
    if !doc.is_map() {
        return Err(vec![LoadError {
            file: file.to_string(),
            line: doc.line,
            message: "a rule is a YAML mapping".into(),
        }]);
    }
    for (k, _) in doc.entries() {
        if !KEYS.contains(&k.name.as_str()) {
            c.err(
                k.line,
                format!(
                    "unknown key `{}` (expected one of: {})",
                    k.name,
                    KEYS.join(", ")
                ),
            );
        }
    }
    let id = c.string(&doc, "id");
    if let Some((id, line)) = &id
        && !ID_RE.is_match(id)
    {
        c.err(*line, format!("rule id `{id}` must look like NHI-REPO-001"));
    }
    let name = c.string(&doc, "name");
    let title = c.string(&doc, "title");
    let description = doc
        .get("description")
        .and_then(Node::scalar_text)
        .unwrap_or_default();
    let severity = c.string(&doc, "severity").and_then(|(s, line)| {
        let v = Severity::parse(&s);
        if v.is_none() {
            c.err(
                line,
                format!("unknown severity `{s}` (info, low, medium, high, critical)"),
            );
        }
        v
    });
    let confidence = c.string(&doc, "confidence").and_then(|(s, line)| {
        let v = match s.as_str() {
            "low" => Some(Confidence::Low),
            "medium" => Some(Confidence::Medium),
            "high" => Some(Confidence::High),
            _ => None,
        };
        if v.is_none() {
            c.err(
                line,
                format!("unknown confidence `{s}` (low, medium, high)"),
            );
        }
        v
    });
    let category = c.string(&doc, "category").and_then(|(s, line)| {
        let v = Category::parse(&s);
        if v.is_none() {
            c.err(
                line,
                format!(
                    "unknown category `{s}` (one of: {})",
                    Category::KNOWN.join(", ")
                ),
            );
        }
        v
    });
    let subject = c.string(&doc, "subject").and_then(|(s, line)| {
        let v = SubjectKind::parse(&s);
        if v.is_none() {
            c.err(
                line,
                format!(
                    "unknown subject `{s}` (agent, identity, credential, grant, chain, change)"
                ),
            );
        }
        v
    });
    let program = c
        .string(&doc, "when")
        .and_then(|(src, line)| compile(&mut c, &src, line).map(|p| (src, p)));
    let mut severity_if = Vec::new();
    if let Some(list) = doc.get("severity_if") {
        for item in list.items() {
            let sev = item
                .get("severity")
                .and_then(Node::as_str)
                .and_then(Severity::parse);
            let cond = item
                .get("when")
                .and_then(|w| w.scalar_text().map(|t| (t, w.line)));
            match (sev, cond) {
                (Some(severity), Some((src, line))) => {
                    if let Some((program, reads)) = compile(&mut c, &src, line) {
                        severity_if.push(crate::rules::SeverityIf {
                            when: src,
                            program,
                            reads,
                            severity,
                        });
                    }
                }
                _ => c.err(
                    item.line,
                    "a severity_if entry needs `when` (CEL) and `severity` (info, low, medium, high, critical)",
                ),
            }
        }
        if !list.is_seq() {
            c.err(list.line, "`severity_if` must be a list");
        }
    }
    let message = c.string(&doc, "message");
    if let Some((m, line)) = &message {
        for var in template::variables(m) {
            let root = var.split('.').next().unwrap_or("");
            if !VARIABLES.contains(&root) {
                c.err(
                    *line,
                    format!(
                        "message uses `{{{{ {var} }}}}`, but `{root}` is not one of: {}",
                        VARIABLES.join(", ")
                    ),
                );
            } else if let Err(e) = super::vocabulary::check(&var.split('.').collect::<Vec<_>>()) {
                c.err(*line, format!("message uses {e}"));
            }
        }
    }
    let mut locations = Vec::new();
    if let Some(node) = doc.get("locations") {
        let paths: Vec<(String, u32)> = match &node.value {
            doc::Value::String(s) => vec![(s.trim().to_string(), node.line)],
            doc::Value::Seq(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(|s| (s.trim().to_string(), i.line)))
                .collect(),
            _ => Vec::new(),
        };
        if paths.is_empty() {
            c.err(
                node.line,
                "`locations` must be a path or a list of paths to `file:line:column` values (`agent.facts.tool_scope.shell_any_by.*.at`)",
            );
        }
        for (path, line) in paths {
            let root = path.split('.').next().unwrap_or("");
            if !VARIABLES.contains(&root) {
                c.err(
                    line,
                    format!(
                        "locations reads `{path}`, but `{root}` is not one of: {}",
                        VARIABLES.join(", ")
                    ),
                );
            } else if let Err(e) = super::vocabulary::check(&path.split('.').collect::<Vec<_>>()) {
                c.err(line, format!("locations reads {e}"));
            }
            locations.push(path);
        }
    }
    let remediation = c.string(&doc, "remediation");
    let controls = load_controls(&mut c, &doc);
    let (examples_match, examples_no_match) = load_examples(&mut c, &doc, base);

    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    match (
        id,
        name,
        title,
        severity,
        confidence,
        category,
        subject,
        program,
        message,
        remediation,
    ) {
        (
            Some(id),
            Some(name),
            Some(title),
            Some(severity),
            Some(confidence),
            Some(category),
            Some(subject),
            Some((when, (program, reads))),
            Some(message),
            Some(remediation),
        ) => Ok(Rule {
            id: id.0,
            name: name.0,
            title: title.0,
            description,
            severity,
            confidence,
            category,
            subject,
            when,
            program,
            reads,
            severity_if,
            message: message.0,
            locations,
            remediation: remediation.0,
            controls,
            examples_match,
            examples_no_match,
            origin: file.to_string(),
        }),
        _ => Err(vec![LoadError {
            file: file.to_string(),
            line: 1,
            message: "the rule is incomplete".into(),
        }]),
    }
}

/// A condition compiled, with the paths it reads (an empty path, everything, when its
/// tree cannot be read), or `None` with the problems reported to `c`.
fn compile(c: &mut Checker<'_>, src: &str, line: u32) -> Option<(cel::Program, Vec<Vec<String>>)> {
    match cel::Program::compile(src) {
        Ok(program) => {
            let bound: Vec<String> = COMPREHENSION_RE
                .captures_iter(src)
                .map(|m| m[1].to_string())
                .collect();
            let refs = program.references();
            let mut unknown: Vec<&str> = refs
                .variables()
                .into_iter()
                .filter(|v| !VARIABLES.contains(v) && !bound.iter().any(|b| b == v))
                .collect();
            unknown.sort();
            if unknown.is_empty() {
                let mut ok = true;
                let reads = match cel::parser::Parser::new().parse(src) {
                    Ok(expr) => super::vocabulary::paths_in(&expr),
                    Err(_) => vec![Vec::new()],
                };
                for path in reads.iter().filter(|p| !p.is_empty()) {
                    let steps: Vec<&str> = path.iter().map(String::as_str).collect();
                    if let Err(e) = super::vocabulary::check(&steps) {
                        c.err(line, format!("the condition reads {e}"));
                        ok = false;
                    }
                }
                ok.then_some((program, reads))
            } else {
                c.err(
                    line,
                    format!(
                        "the condition uses unknown variable(s) {} (known: {})",
                        unknown.join(", "),
                        VARIABLES.join(", ")
                    ),
                );
                None
            }
        }
        Err(e) => {
            let first = e.errors.first();
            // CEL counts lines of the expression from 1; `line` is where it starts.
            let offset = first.map_or(1, |e| e.pos.0.max(1) as u32);
            let msg = first.map_or_else(|| e.to_string(), |e| e.msg.clone());
            c.err(
                line + offset - 1,
                format!("the condition is not valid CEL: {msg}"),
            );
            None
        }
    }
}

fn load_controls(c: &mut Checker<'_>, doc: &Node) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let Some((key, node)) = doc.entry("controls") else {
        c.err(
            1,
            "`controls` is missing: every rule maps to OWASP Agentic, MAESTRO and NIST AI RMF",
        );
        return out;
    };
    for (k, ids) in node.entries() {
        let Some(cat) = controls::catalogue(&k.name) else {
            let known: Vec<&str> = controls::CATALOGUES.iter().map(|c| c.key).collect();
            c.err(
                k.line,
                format!(
                    "unknown control catalogue `{}` (known: {})",
                    k.name,
                    known.join(", ")
                ),
            );
            continue;
        };
        let mut list = Vec::new();
        for item in ids.items() {
            match item.scalar_text() {
                Some(id) if cat.title_of(&id).is_some() => list.push(id),
                Some(id) => c.err(
                    item.line,
                    format!("unknown control id `{id}` in {} ({})", cat.key, cat.title),
                ),
                None => c.err(item.line, "a control id must be a string"),
            }
        }
        if ids.items().is_empty() {
            c.err(
                ids.line,
                format!("`{}` must be a list of control ids", k.name),
            );
        }
        out.insert(k.name.clone(), list);
    }
    for cat in controls::CATALOGUES.iter().filter(|c| c.required) {
        if !out.contains_key(cat.key) {
            c.err(
                key.line,
                format!("`controls` must map to {} (`{}`)", cat.title, cat.key),
            );
        }
    }
    out
}

fn load_examples(
    c: &mut Checker<'_>,
    doc: &Node,
    base: Option<&Path>,
) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let Some(ex) = doc.get("examples") else {
        return (Vec::new(), Vec::new());
    };
    let mut get = |key: &str| -> Vec<PathBuf> {
        let mut out = Vec::new();
        for item in ex.get(key).map(Node::items).unwrap_or_default() {
            let Some(p) = item.as_str() else { continue };
            // Example paths are relative to the rule's file: `rules check DIR` resolves them
            // against DIR; built-in rules keep them as written (relative to `rules/`).
            let path = base.map_or_else(|| PathBuf::from(p), |b| b.join(p));
            if base.is_some() && !path.exists() {
                c.err(item.line, format!("example `{p}` does not exist"));
            }
            out.push(path);
        }
        out
    };
    (get("match"), get("no_match"))
}
