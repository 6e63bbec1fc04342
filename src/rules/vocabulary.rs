//! What a rule can read: every field of every variable, checked when a rule loads, so a
//! misspelled fact (`agent.facts.write_scope`) is an error naming the rule file and line
//! instead of a condition that never matches.
//!
//! The model's own fields and the facts come from their schemas (`schemars`): the model
//! structs, and the fact records of each agent kind and identity provider in
//! [`crate::model::facts`] (`agent.facts.*` is the union over agent kinds). The fields
//! the analysis adds are listed here. A field with no listed children is open below
//! (lists of servers, steps, keys: their items are the sources' own records).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use schemars::JsonSchema;
use serde_json::Value;

use crate::model::facts::{AGENT_FACT_RECORDS, IDENTITY_FACT_RECORDS};

/// A field the analysis adds: name, type, meaning.
type Extra = (&'static str, &'static str, &'static str);

/// Fields the analysis adds to each variable (see `analysis::facts`).
const AGENT_EXTRAS: &[Extra] = &[
    (
        "access_level",
        "string",
        "The highest level the agent holds directly (its tools and identities).",
    ),
    (
        "identities",
        "array of object",
        "The identities it holds: `id`, `kind`, `provider`, `name`, `human`, `access_level`, `storage`, `lifetime`.",
    ),
    (
        "hardcoded_credentials",
        "integer",
        "How many of the identities it holds have a credential written in a file.",
    ),
    (
        "delegates_to",
        "array of string",
        "The agents it can hand work to.",
    ),
];
const CREDENTIAL_EXTRAS: &[Extra] = &[
    ("holder_count", "integer", "How many agents hold it."),
    (
        "holder_configs",
        "integer",
        "How many configs (workflow files, other files) its holders are in.",
    ),
    (
        "ai_provider",
        "boolean",
        "Whether it is a key only an AI workload would hold.",
    ),
    (
        "long_lived",
        "boolean",
        "Whether it is a kind of key that lives until revoked, and not minted per run.",
    ),
    (
        "human",
        "boolean",
        "Whether its identity belongs to a person.",
    ),
    (
        "location_count",
        "integer",
        "How many places it was seen in.",
    ),
];
const IDENTITY_EXTRAS: &[Extra] = &[
    ("holder_count", "integer", "How many agents hold it."),
    (
        "location_count",
        "integer",
        "How many places it was seen in.",
    ),
];
const CHANGE_EXTRAS: &[Extra] = &[
    (
        "short_commit",
        "string",
        "The commit's first seven characters.",
    ),
    ("date", "string", "The author date (`YYYY-MM-DD`)."),
];
/// Fields left out of what rules see: lists that grow with the inventory.
const UNLISTED: &[&str] = &["locations", "agents"];
const CHAIN_FIELDS: &[Extra] = &[
    ("agent", "string", "The agent or identity that gains."),
    (
        "start_kind",
        "string",
        "`agent`, `identity`, or `outside` (anyone on the internet, through the agents whose input they write).",
    ),
    ("target", "string", "The node whose access is gained."),
    ("path", "array of string", "Node ids from start to target."),
    ("hops", "array of string", "One sentence per hop."),
    (
        "hop_kinds",
        "array of string",
        "The kind of each hop (`delegates`, `assumes`, `escalates`, `holds`, …).",
    ),
    ("length", "integer", "How many hops."),
    (
        "from_level",
        "string",
        "The highest level the start holds itself in the domains it gains.",
    ),
    ("to_level", "string", "The highest level gained."),
    ("gains", "string", "What the path adds, in words."),
    (
        "capabilities",
        "array of string",
        "Each gained capability: `read on s3`, `write on contents`, `admin on every service`.",
    ),
    ("target_name", "string", "The target's name."),
    ("start_name", "string", "The start's name."),
];
const CONFIG_FIELDS: &[Extra] = &[
    (
        "max_key_age_days",
        "integer",
        "Keys older than this are old (the config's threshold).",
    ),
    (
        "max_idle_days",
        "integer",
        "Identities unused longer than this are idle.",
    ),
    (
        "max_session_hours",
        "integer",
        "Sessions longer than this are long.",
    ),
    ("scope", "string", "`agents` or `all` (`--scope`)."),
];

/// A field rules can read: its path, type and meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Dotted, from the variable: `agent.facts.write_scopes`.
    pub path: String,
    /// The JSON type (`string`, `array of string`, `one of: read, write`).
    pub ty: String,
    /// One line on what it means.
    pub doc: String,
}

/// The fields of a variable, or of one agent kind's or provider's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldGroup {
    /// `agent`, `agent.facts (github-workflow)`, `identity.facts.aws`.
    pub title: String,
    pub fields: Vec<Field>,
}

/// The top-level properties of a schema, each with its type and description.
fn fields_in(schema: &schemars::Schema, under: &str, drop: &[&str]) -> Vec<Field> {
    let root = schema.as_value();
    let defs = root.get("$defs").unwrap_or(&Value::Null);
    root.get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(name, _)| !drop.contains(&name.as_str()))
        .map(|(name, prop)| Field {
            path: format!("{under}.{name}"),
            ty: type_of(prop, defs),
            doc: description(prop, defs),
        })
        .collect()
}

/// The top-level fields of a model struct.
fn fields_of<T: JsonSchema>(under: &str, drop: &[&str]) -> Vec<Field> {
    fields_in(&schemars::schema_for!(T), under, drop)
}

fn extras(under: &str, list: &[Extra]) -> Vec<Field> {
    list.iter()
        .map(|(name, ty, doc)| Field {
            path: format!("{under}.{name}"),
            ty: ty.to_string(),
            doc: doc.to_string(),
        })
        .collect()
}

/// The definition a `$ref` points at, or the schema itself.
fn resolve<'s>(s: &'s Value, defs: &'s Value) -> &'s Value {
    s.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .and_then(|name| defs.get(name))
        .unwrap_or(s)
}

/// A schema's type in words, leaving out `null` (every fact may be absent).
fn type_of(s: &Value, defs: &Value) -> String {
    let s = resolve(s, defs);
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        let names: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        return format!("one of: {}", names.join(", "));
    }
    if let Some(values) = s.get("oneOf").and_then(Value::as_array)
        && values.iter().all(|v| v.get("const").is_some())
    {
        let names: Vec<&str> = values.iter().filter_map(|v| v["const"].as_str()).collect();
        return format!("one of: {}", names.join(", "));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(alts) = s.get(key).and_then(Value::as_array) {
            let mut names: Vec<String> = alts
                .iter()
                .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                .map(|a| type_of(a, defs))
                .collect();
            names.dedup();
            return names.join(" or ");
        }
    }
    let types: Vec<&str> = match s.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => Vec::new(),
    };
    let one = |t: &str| match t {
        "array" => match s.get("items") {
            Some(items) => format!("array of {}", type_of(items, defs)),
            None => "array".to_string(),
        },
        "object" => match s.get("additionalProperties") {
            Some(v @ Value::Object(_)) => format!("map of {}", type_of(v, defs)),
            _ => "object".to_string(),
        },
        t => t.to_string(),
    };
    match types.as_slice() {
        [] => "any".to_string(),
        ts => ts.iter().map(|t| one(t)).collect::<Vec<_>>().join(" or "),
    }
}

/// A schema's description, or its definition's.
fn description(s: &Value, defs: &Value) -> String {
    s.get("description")
        .or_else(|| resolve(s, defs).get("description"))
        .and_then(Value::as_str)
        .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Every field rules can read, grouped by variable, and the facts by agent kind and
/// identity provider.
pub fn field_groups() -> Vec<FieldGroup> {
    use crate::model::{Agent, Change, Credential, Grant, Identity};
    let group = |title: &str, fields: Vec<Field>| FieldGroup {
        title: title.to_string(),
        fields,
    };
    let mut groups = vec![group(
        "agent",
        [
            fields_of::<Agent>("agent", &[]),
            extras("agent", AGENT_EXTRAS),
        ]
        .concat(),
    )];
    for r in AGENT_FACT_RECORDS {
        groups.push(group(
            &format!("{} ({})", r.path, r.kinds.join(", ")),
            fields_in(&(r.schema)(), r.path, &[]),
        ));
    }
    groups.push(group(
        "credential",
        [
            fields_of::<Credential>("credential", UNLISTED),
            extras("credential", CREDENTIAL_EXTRAS),
        ]
        .concat(),
    ));
    groups.push(group(
        "identity",
        [
            fields_of::<Identity>("identity", UNLISTED),
            extras("identity", IDENTITY_EXTRAS),
        ]
        .concat(),
    ));
    for r in IDENTITY_FACT_RECORDS {
        groups.push(group(r.path, fields_in(&(r.schema)(), r.path, &[])));
    }
    groups.push(group("grant", fields_of::<Grant>("grant", &[])));
    groups.push(group(
        "change",
        [
            fields_of::<Change>("change", &[]),
            extras("change", CHANGE_EXTRAS),
        ]
        .concat(),
    ));
    groups.push(group("chain", extras("chain", CHAIN_FIELDS)));
    groups.push(group("config", extras("config", CONFIG_FIELDS)));
    groups
}

/// Every readable path, dotted (`agent.facts.write_scopes`), with each of its parents.
static PATHS: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let mut paths = BTreeSet::new();
    for field in field_groups().into_iter().flat_map(|g| g.fields) {
        let mut prefix = String::new();
        for step in field.path.split('.') {
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(step);
            paths.insert(prefix.clone());
        }
    }
    paths
});

/// A path a condition reads that no subject has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}` is not a field rules can read ({})", match .nearest {
    Some(n) => format!("did you mean `{}.{n}`?", .parent),
    None => format!("`{}` has: {}", .parent, .fields.join(", ")),
})]
pub struct UnknownField {
    /// The path up to the first step that is not a field.
    pub path: String,
    /// The last step that is one.
    pub parent: String,
    /// The field under `parent` nearest in spelling to the step, if one is near.
    pub nearest: Option<String>,
    /// The fields under `parent`.
    pub fields: Vec<String>,
}

/// Whether a condition may read `path` (`["agent", "facts", "write_scopes"]`): each step
/// must be a listed child of the one before, until a listed field with no listed
/// children (open below). `Err` names the first step that is not, with the fields that
/// are there.
pub fn check(path: &[&str]) -> Result<(), UnknownField> {
    let paths = &*PATHS;
    let mut prefix = String::new();
    for (i, step) in path.iter().enumerate() {
        let parent = prefix.clone();
        if i > 0 {
            prefix.push('.');
        }
        prefix.push_str(step);
        if paths.contains(&prefix) {
            continue;
        }
        let children = children_of(paths, &parent);
        if i > 0 && children.is_empty() {
            return Ok(()); // open below `parent`
        }
        return Err(UnknownField {
            nearest: closest(step, &children).map(str::to_string),
            fields: children.iter().map(|c| c.to_string()).collect(),
            path: prefix,
            parent,
        });
    }
    Ok(())
}

/// The listed fields directly under `parent`.
fn children_of<'p>(paths: &'p BTreeSet<String>, parent: &str) -> Vec<&'p str> {
    let dotted = format!("{parent}.");
    paths
        .range(dotted.clone()..)
        .take_while(|p| p.starts_with(&dotted))
        .map(|p| &p[dotted.len()..])
        .filter(|rest| !rest.contains('.'))
        .collect()
}

/// The listed name nearest to a misspelling, when one is close (edit distance ≤ 2).
fn closest<'a>(word: &str, names: &[&'a str]) -> Option<&'a str> {
    names
        .iter()
        .map(|n| (distance(word, n), *n))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, n)| n)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The paths a CEL condition reads from its variables: each chain of field selections
/// rooted at a variable (not at a comprehension's own variable), stopped at an index.
pub fn paths_in(expr: &cel::IdedExpr) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    walk(expr, &mut Vec::new(), &mut out);
    out
}

fn walk(e: &cel::IdedExpr, bound: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    use cel::common::ast::{EntryExpr, Expr};
    if let Some(path) = selection(&e.expr) {
        if !bound.iter().any(|b| *b == path[0]) {
            out.push(path);
        }
        return;
    }
    match &e.expr {
        Expr::Call(call) => {
            if let Some(t) = &call.target {
                walk(t, bound, out);
            }
            for a in &call.args {
                walk(a, bound, out);
            }
        }
        Expr::Comprehension(c) => {
            walk(&c.iter_range, bound, out);
            walk(&c.accu_init, bound, out);
            let n = bound.len();
            bound.push(c.iter_var.clone());
            bound.extend(c.iter_var2.clone());
            bound.push(c.accu_var.clone());
            for part in [&c.loop_cond, &c.loop_step, &c.result] {
                walk(part, bound, out);
            }
            bound.truncate(n);
        }
        Expr::List(l) => l.elements.iter().for_each(|x| walk(x, bound, out)),
        Expr::Map(m) => {
            for entry in &m.entries {
                match &entry.expr {
                    EntryExpr::StructField(f) => walk(&f.value, bound, out),
                    EntryExpr::MapEntry(me) => {
                        walk(&me.key, bound, out);
                        walk(&me.value, bound, out);
                    }
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &s.entries {
                if let EntryExpr::StructField(f) = &entry.expr {
                    walk(&f.value, bound, out);
                }
            }
        }
        Expr::Select(s) => walk(&s.operand, bound, out),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// `a.b.c` (also inside `has(a.b.c)`) as `["a", "b", "c"]`.
fn selection(e: &cel::common::ast::Expr) -> Option<Vec<String>> {
    use cel::common::ast::Expr;
    match e {
        Expr::Ident(name) if !name.starts_with('@') => Some(vec![name.clone()]),
        Expr::Select(s) => {
            let mut path = selection(&s.operand.expr)?;
            path.push(s.field.clone());
            Some(path)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(src: &str) -> Vec<String> {
        let expr = cel::parser::Parser::new().parse(src).unwrap();
        paths_in(&expr).into_iter().map(|p| p.join(".")).collect()
    }

    #[test]
    fn paths_are_read_from_conditions() {
        assert_eq!(
            paths("agent.kind == 'x' && has(agent.facts.write_scopes)"),
            ["agent.kind", "agent.facts.write_scopes"]
        );
        // A comprehension's variable is not a rule variable.
        assert_eq!(
            paths(
                "identity.facts.aws.keys.exists(k, k.active && k.age_days > config.max_key_age_days)"
            ),
            ["identity.facts.aws.keys", "config.max_key_age_days"]
        );
        assert_eq!(paths("size(credential.name) > 0"), ["credential.name"]);
    }

    #[test]
    fn misspellings_are_named_with_the_nearest_field() {
        assert!(check(&["agent", "facts", "write_scopes"]).is_ok());
        assert!(check(&["agent", "facts", "servers", "anything"]).is_ok());
        assert!(check(&["identity", "facts", "aws", "keys"]).is_ok());
        let e = check(&["agent", "facts", "write_scope"]).unwrap_err();
        assert_eq!(e.nearest.as_deref(), Some("write_scopes"));
        assert!(
            e.to_string()
                .contains("did you mean `agent.facts.write_scopes`"),
            "{e}"
        );
        let e = check(&["identity", "facts", "aws", "admn"]).unwrap_err();
        assert!(e.to_string().contains("identity.facts.aws.admin"), "{e}");
        // Left out on purpose: it grows with the inventory.
        assert!(check(&["credential", "locations"]).is_err());
        assert!(check(&["credential", "holder_count"]).is_ok());
        assert!(check(&["chain", "gains"]).is_ok());
    }

    #[test]
    fn the_facts_are_the_fact_structs_fields() {
        // `agent.facts` is the union over agent kinds.
        assert!(check(&["agent", "facts", "write_scopes"]).is_ok()); // github-workflow
        assert!(check(&["agent", "facts", "server_count"]).is_ok()); // mcp-client
        assert!(check(&["agent", "facts", "push_notifications"]).is_ok()); // a2a
        assert!(check(&["identity", "facts", "github", "read_only"]).is_ok());
        assert!(check(&["identity", "facts", "aws", "type"]).is_ok());
        // A misspelling of a struct's field is named with the field.
        let e = check(&["agent", "facts", "can_aprove_pull_request_reviews"]).unwrap_err();
        assert_eq!(
            e.nearest.as_deref(),
            Some("can_approve_pull_request_reviews")
        );
        let e = check(&["identity", "facts", "github", "read_onl"]).unwrap_err();
        assert!(
            e.to_string()
                .contains("did you mean `identity.facts.github.read_only`"),
            "{e}"
        );
        // No provider but those with a struct.
        let e = check(&["identity", "facts", "oracle"]).unwrap_err();
        assert_eq!(
            e.fields,
            ["activity", "aws", "azure", "gcp", "github", "kubernetes"]
        );
        // A fact with no listed children stays open below.
        assert!(check(&["identity", "facts", "aws", "trust", "github_oidc"]).is_ok());
    }

    #[test]
    fn fields_carry_their_type_and_meaning() {
        let groups = field_groups();
        let field = |path: &str| {
            groups
                .iter()
                .flat_map(|g| &g.fields)
                .find(|f| f.path == path)
                .unwrap_or_else(|| panic!("{path}"))
        };
        let ws = field("agent.facts.write_scopes");
        assert_eq!(ws.ty, "array of string");
        assert!(
            ws.doc.starts_with("Token scopes at write or above"),
            "{ws:?}"
        );
        assert_eq!(field("agent.facts.oidc").ty, "boolean");
        assert_eq!(field("identity.facts.aws.services").ty, "map of string");
        assert!(
            field("agent.facts.effective_level")
                .ty
                .starts_with("one of: none, list, read")
        );
        assert!(
            groups
                .iter()
                .any(|g| g.title == "agent.facts (github-workflow)")
        );
        // Every field has a type, and every fact a line of meaning.
        for f in groups.iter().flat_map(|g| &g.fields) {
            assert!(!f.ty.is_empty(), "{f:?}");
        }
        for r in AGENT_FACT_RECORDS.iter().chain(IDENTITY_FACT_RECORDS) {
            for f in fields_in(&(r.schema)(), r.path, &[]) {
                assert!(!f.doc.is_empty(), "{} has no doc", f.path);
            }
        }
    }
}
