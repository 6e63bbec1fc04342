//! What a rule can read: every field of every variable, checked when a rule loads, so a
//! misspelled fact (`agent.facts.write_scope`) is an error naming the rule file and line
//! instead of a condition that never matches.
//!
//! The model's own fields come from its schema (`schemars`), so they cannot drift from
//! the structs; the facts the analysis adds and the facts sources write are listed here,
//! and `tests/it/rules.rs` proves that every fact key any source writes on the fixtures
//! and the shared corpus is listed. A listed field with no listed children is open below
//! (lists of servers, steps, keys: their items are the sources' own records).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use schemars::JsonSchema;

/// Facts the sources write on agents (`agent.facts.*`).
pub const AGENT_FACTS: &[&str] = &[
    "after_workflows",
    "agent_steps",
    "allow_code_execution",
    "allow_delegation",
    "allowed_bots",
    "allowed_non_write_users",
    "app_slug",
    "app_token",
    "app_token_apps",
    "app_token_permissions",
    "auth_schemes",
    "authenticated",
    "called_by",
    "calls",
    "calls_llm_api",
    "client",
    "credential",
    "dangerous_flags",
    "default_permissions_from",
    "default_workflow_permissions",
    "effective_access",
    "effective_level",
    "engine",
    "env_file",
    "environment",
    "federation",
    "framework",
    "gh_aw",
    "github_token_override",
    "holds",
    "installation",
    "job",
    "llm",
    "models",
    "non_model_secrets",
    "oidc",
    "org",
    "password_inputs",
    "permissions",
    "permissions_source",
    "product",
    "provider_keys",
    "push_notifications",
    "repo",
    "repository",
    "role_to_assume",
    "safe_outputs",
    "secrets",
    "secrets_inherit",
    "server_count",
    "servers",
    "skills",
    "static_cloud_keys",
    "suspended",
    "token",
    "token_access_level",
    "tool_access",
    "tools",
    "triggers",
    "unresolved_call",
    "untrusted_inputs",
    "untrusted_triggers",
    "url",
    "vendor",
    "who_can_start",
    "who_can_start_line",
    "who_can_start_reason",
    "who_can_start_without_environment",
    "workflow",
    "workflow_file",
    "write_scopes",
    "writes_through_safe_outputs",
];

/// Facts the AWS source writes on identities (`identity.facts.aws.*`).
pub const AWS_IDENTITY_FACTS: &[&str] = &[
    "access_level",
    "account",
    "active_keys",
    "admin",
    "arn",
    "escalation_summary",
    "escalations",
    "idle_days",
    "keys",
    "lateral_moves",
    "max_session_hours",
    "mfa_active",
    "only_in_credential_report",
    "owner",
    "password_enabled",
    "path",
    "permissions_management",
    "policy_creep",
    "policy_creep_summary",
    "power_over",
    "power_over_count",
    "power_over_everyone",
    "power_over_summary",
    "power_over_unreported",
    "root",
    "service_linked",
    "services",
    "trust",
    "type",
    "wildcard_services",
];

/// Facts the GitHub source writes on identities (`identity.facts.github.*`).
pub const GITHUB_IDENTITY_FACTS: &[&str] = &[
    "actions_secret",
    "age_days",
    "all_repositories",
    "app_id",
    "app_slug",
    "created_at",
    "enabled",
    "events",
    "expired",
    "expires",
    "expires_in_days",
    "grant_id",
    "idle_days",
    "installation_id",
    "key_id",
    "lifetime_days",
    "never_used",
    "org",
    "owner",
    "permissions",
    "product",
    "read_only",
    "repo",
    "repository_selection",
    "rotated_days",
    "scope",
    "suspended",
    "token_id",
    "token_name",
    "updated_at",
    "verified",
    "visibility",
    "write_permissions",
];

/// Fields the analysis adds to each variable (see `analysis::facts`).
const AGENT_EXTRAS: &[&str] = &[
    "access_level",
    "identities",
    "hardcoded_credentials",
    "delegates_to",
];
const CREDENTIAL_EXTRAS: &[&str] = &[
    "holder_count",
    "holder_configs",
    "ai_provider",
    "long_lived",
    "human",
    "location_count",
];
const IDENTITY_EXTRAS: &[&str] = &["holder_count", "location_count"];
const CHANGE_EXTRAS: &[&str] = &["short_commit", "date"];
/// Fields left out of what rules see: lists that grow with the inventory.
const UNLISTED: &[&str] = &["locations", "agents"];
const CHAIN_FIELDS: &[&str] = &[
    "agent",
    "start_kind",
    "target",
    "path",
    "hops",
    "hop_kinds",
    "length",
    "from_level",
    "to_level",
    "gains",
    "capabilities",
    "target_name",
    "start_name",
];
const CONFIG_FIELDS: &[&str] = &[
    "max_key_age_days",
    "max_idle_days",
    "max_session_hours",
    "scope",
];

/// The top-level properties of a model struct's schema.
fn fields_of<T: JsonSchema>() -> Vec<String> {
    let schema = schemars::schema_for!(T);
    schema
        .as_value()
        .get("properties")
        .and_then(|p| p.as_object())
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Every readable path, dotted (`agent.facts.write_scopes`).
static PATHS: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    use crate::model::{Agent, Change, Credential, Grant, Identity};
    let mut paths = BTreeSet::new();
    let mut add = |var: &str, fields: &mut dyn Iterator<Item = String>, drop: &[&str]| {
        paths.insert(var.to_string());
        for f in fields {
            if !drop.contains(&f.as_str()) {
                paths.insert(format!("{var}.{f}"));
            }
        }
    };
    let owned = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    add(
        "agent",
        &mut fields_of::<Agent>().into_iter().chain(owned(AGENT_EXTRAS)),
        &[],
    );
    add(
        "credential",
        &mut fields_of::<Credential>()
            .into_iter()
            .chain(owned(CREDENTIAL_EXTRAS)),
        UNLISTED,
    );
    add(
        "identity",
        &mut fields_of::<Identity>()
            .into_iter()
            .chain(owned(IDENTITY_EXTRAS)),
        UNLISTED,
    );
    add("grant", &mut fields_of::<Grant>().into_iter(), &[]);
    add(
        "change",
        &mut fields_of::<Change>()
            .into_iter()
            .chain(owned(CHANGE_EXTRAS)),
        &[],
    );
    add("chain", &mut owned(CHAIN_FIELDS).into_iter(), &[]);
    add("config", &mut owned(CONFIG_FIELDS).into_iter(), &[]);
    for f in AGENT_FACTS {
        paths.insert(format!("agent.facts.{f}"));
    }
    for (source, facts) in [
        ("aws", AWS_IDENTITY_FACTS),
        ("github", GITHUB_IDENTITY_FACTS),
    ] {
        paths.insert(format!("identity.facts.{source}"));
        for f in facts {
            paths.insert(format!("identity.facts.{source}.{f}"));
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
}
