//! IAM policy documents: statements with `Allow`/`Deny`, `Action`/`NotAction`,
//! `Resource`/`NotResource`, `Principal`/`NotPrincipal` and `Condition`, parsed once.

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A list of patterns, or its complement (`NotAction`, `NotResource`).
#[derive(Debug, Clone, PartialEq)]
pub enum Patterns {
    Only(Vec<String>),
    AllBut(Vec<String>),
}

impl Patterns {
    pub fn patterns(&self) -> &[String] {
        match self {
            Patterns::Only(p) | Patterns::AllBut(p) => p,
        }
    }
}

/// One condition test: operator (`StringLike`, `DateLessThan`, `ForAllValues:StringEquals`, …),
/// key (`aws:SourceAccount`) and values.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

/// Who a trust policy statement names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Principals {
    pub aws: Vec<String>,
    pub service: Vec<String>,
    pub federated: Vec<String>,
    /// `"Principal": "*"` or `{"AWS": "*"}`.
    pub any: bool,
    pub not_principal: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub actions: Patterns,
    /// `actions` compiled once for the questions asked of every principal: an exact
    /// action is a hash lookup, `service:Prefix*` a prefix test.
    pub action_index: ActionIndex,
    pub resources: Patterns,
    pub principals: Option<Principals>,
    pub conditions: Vec<Condition>,
}

/// A policy document IAM would not accept; each problem names the statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the document has no `Statement`")]
    NoStatement,
    #[error("`Statement` must be a list or an object")]
    StatementShape,
    /// Statement `index` (from 1) is not one.
    #[error("statement {index}: {problem}")]
    Statement {
        index: usize,
        problem: StatementError,
    },
}

/// What is wrong with one statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("a statement must be an object")]
    NotObject,
    #[error("unknown Effect `{0}`")]
    UnknownEffect(String),
    #[error("no `Effect`")]
    NoEffect,
    #[error("has both `{0}` and `{1}`")]
    Both(&'static str, &'static str),
    #[error("has neither `{0}` nor `{1}`")]
    Neither(&'static str, &'static str),
    /// A field that should hold strings does not.
    #[error("`{field}`: {problem}")]
    Field { field: String, problem: ValueError },
    #[error("`Condition` must be an object")]
    ConditionShape,
    #[error("condition `{0}` must be an object")]
    ConditionOperator(String),
    #[error("unknown principal type `{0}`")]
    UnknownPrincipal(String),
    #[error("`Principal` must be \"*\" or an object")]
    PrincipalShape,
}

/// A value that should be a string or a list of strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("a list entry must be a string")]
    Entry,
    #[error("expected a string or a list of strings")]
    Shape,
}

/// A value or key of the document as an error may show it: a credential in it redacted,
/// control characters escaped.
fn safe(s: &str) -> String {
    crate::text::display_value(s)
}

fn field(field: impl Into<String>) -> impl FnOnce(ValueError) -> StatementError {
    move |problem| StatementError::Field {
        field: field.into(),
        problem,
    }
}

/// Parses a document (already decoded to JSON). Every problem names the statement.
pub fn parse(doc: &Value) -> Result<Vec<Statement>, PolicyError> {
    let statements = match doc.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect::<Vec<_>>(),
        Some(obj @ Value::Object(_)) => vec![obj],
        Some(_) => return Err(PolicyError::StatementShape),
        None => return Err(PolicyError::NoStatement),
    };
    statements
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            parse_statement(s).map_err(|problem| PolicyError::Statement {
                index: i + 1,
                problem,
            })
        })
        .collect()
}

fn strings(v: &Value) -> Result<Vec<String>, ValueError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Bool(b) => Ok(b.to_string()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(ValueError::Entry),
            })
            .collect(),
        Value::Bool(b) => Ok(vec![b.to_string()]),
        Value::Number(n) => Ok(vec![n.to_string()]),
        _ => Err(ValueError::Shape),
    }
}

fn either(
    s: &Value,
    key: &'static str,
    not_key: &'static str,
    required: bool,
) -> Result<Patterns, StatementError> {
    match (s.get(key), s.get(not_key)) {
        (Some(v), None) => Ok(Patterns::Only(strings(v).map_err(field(key))?)),
        (None, Some(v)) => Ok(Patterns::AllBut(strings(v).map_err(field(not_key))?)),
        (Some(_), Some(_)) => Err(StatementError::Both(key, not_key)),
        // Trust policies have no Resource: they apply to the role itself.
        (None, None) if !required => Ok(Patterns::Only(vec!["*".into()])),
        (None, None) => Err(StatementError::Neither(key, not_key)),
    }
}

/// A statement's action patterns, sorted by shape (see [`ActionIndex::any_matches`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionIndex {
    /// `*` is among them.
    everything: bool,
    /// Patterns without wildcards, lower-cased.
    exact: rustc_hash::FxHashSet<String>,
    /// `service:Prefix*`, lower-cased, without the star.
    prefixes: Vec<String>,
    /// Everything else, as written, for the general matcher.
    globs: Vec<String>,
}

impl ActionIndex {
    pub fn new(patterns: &[String]) -> Self {
        let mut index = ActionIndex::default();
        let wild = |c: char| c == '*' || c == '?';
        for p in patterns {
            if p == "*" {
                index.everything = true;
            } else if !p.is_ascii() {
                index.globs.push(p.clone());
            } else if !p.contains(wild) {
                index.exact.insert(p.to_ascii_lowercase());
            } else if let Some(prefix) = p.strip_suffix('*')
                && !prefix.contains(wild)
            {
                index.prefixes.push(prefix.to_ascii_lowercase());
            } else {
                index.globs.push(p.clone());
            }
        }
        index
    }

    /// Whether any of `patterns` (the ones this index was built from) matches `action`,
    /// as [`crate::policy::aws::actions::action_matches`] would for each.
    pub fn any_matches(&self, patterns: &[String], action: &str) -> bool {
        if self.everything {
            return true;
        }
        let mut buf = [0u8; 256];
        if !action.is_ascii() || action.len() > buf.len() {
            return patterns
                .iter()
                .any(|p| crate::policy::aws::actions::action_matches(p, action));
        }
        let lower = &mut buf[..action.len()];
        lower.copy_from_slice(action.as_bytes());
        lower.make_ascii_lowercase();
        let lower = std::str::from_utf8(lower).unwrap_or(action);
        self.exact.contains(lower)
            || self.prefixes.iter().any(|p| lower.starts_with(p.as_str()))
            || self.globs_match(action)
    }

    fn globs_match(&self, action: &str) -> bool {
        self.globs
            .iter()
            .any(|g| crate::policy::aws::actions::action_matches(g, action))
    }
}

fn parse_statement(s: &Value) -> Result<Statement, StatementError> {
    if !s.is_object() {
        return Err(StatementError::NotObject);
    }
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        Some(other) => return Err(StatementError::UnknownEffect(safe(other))),
        None => return Err(StatementError::NoEffect),
    };
    let actions = either(s, "Action", "NotAction", true)?;
    let has_principal = s.get("Principal").is_some() || s.get("NotPrincipal").is_some();
    let resources = either(s, "Resource", "NotResource", !has_principal)?;
    let principals = match (s.get("Principal"), s.get("NotPrincipal")) {
        (Some(p), _) => Some(parse_principals(p, false)?),
        (None, Some(p)) => Some(parse_principals(p, true)?),
        (None, None) => None,
    };
    let mut conditions = Vec::new();
    if let Some(c) = s.get("Condition") {
        let ops = c.as_object().ok_or(StatementError::ConditionShape)?;
        for (op, tests) in ops {
            let tests = tests
                .as_object()
                .ok_or_else(|| StatementError::ConditionOperator(safe(op)))?;
            for (key, values) in tests {
                conditions.push(Condition {
                    operator: op.clone(),
                    key: key.clone(),
                    values: strings(values).map_err(field(format!(
                        "Condition.{}.{}",
                        safe(op),
                        safe(key)
                    )))?,
                });
            }
        }
    }
    Ok(Statement {
        sid: s.get("Sid").and_then(Value::as_str).map(str::to_string),
        effect,
        action_index: ActionIndex::new(actions.patterns()),
        actions,
        resources,
        principals,
        conditions,
    })
}

fn parse_principals(p: &Value, not: bool) -> Result<Principals, StatementError> {
    let mut out = Principals {
        not_principal: not,
        ..Principals::default()
    };
    match p {
        Value::String(s) if s == "*" => out.any = true,
        Value::Object(map) => {
            for (k, v) in map {
                let list = strings(v).map_err(field(format!("Principal.{}", safe(k))))?;
                match k.as_str() {
                    "AWS" => {
                        out.any |= list.iter().any(|a| a == "*");
                        out.aws.extend(list);
                    }
                    "Service" => out.service.extend(list),
                    "Federated" => out.federated.extend(list),
                    "CanonicalUser" => out.aws.extend(list),
                    other => return Err(StatementError::UnknownPrincipal(safe(other))),
                }
            }
        }
        _ => return Err(StatementError::PrincipalShape),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_action_index_answers_as_the_matcher_does() {
        use crate::policy::aws::actions::action_matches;
        let patterns = [
            "*",
            "s3:GetObject",
            "S3:getobject",
            "iam:Create*",
            "iam:*",
            "ec2:Describe?nstances",
            "*:Get*",
            "lambda:*Function*",
            "sts:AssumeRole",
            "kms:",
            "ünïcode:*",
            "iam:Pass*Role",
        ];
        let actions = [
            "s3:GetObject",
            "s3:getobject",
            "S3:GETOBJECT",
            "iam:CreateAccessKey",
            "iam:create",
            "iam:",
            "ec2:DescribeInstances",
            "ec2:Describexnstances",
            "lambda:CreateFunction",
            "sts:AssumeRoleWithWebIdentity",
            "kms:",
            "ünïcode:x",
            "iam:PassRole",
            "",
            "x",
        ];
        for n in 0..patterns.len() {
            for start in 0..patterns.len() {
                let set: Vec<String> = patterns[start..(start + n).min(patterns.len())]
                    .iter()
                    .map(|p| p.to_string())
                    .collect();
                let index = ActionIndex::new(&set);
                for a in actions {
                    let want = set.iter().any(|p| action_matches(p, a));
                    assert_eq!(index.any_matches(&set, a), want, "{set:?} vs {a}");
                }
            }
        }
    }
    use serde_json::json;

    #[test]
    fn parses_the_forms() {
        let doc = json!({"Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}}});
        let s = &parse(&doc).unwrap()[0];
        assert_eq!(s.actions, Patterns::AllBut(vec!["iam:*".into()]));
        assert_eq!(s.conditions[0].key, "aws:TokenIssueTime");
        let trust = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": "sts:AssumeRole"}]});
        let t = &parse(&trust).unwrap()[0];
        assert_eq!(
            t.principals.as_ref().unwrap().service,
            vec!["lambda.amazonaws.com"]
        );
        let bad = json!({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]});
        let err = parse(&bad).unwrap_err();
        assert_eq!(
            err,
            PolicyError::Statement {
                index: 1,
                problem: StatementError::UnknownEffect("Maybe".into())
            }
        );
        assert_eq!(err.to_string(), "statement 1: unknown Effect `Maybe`");
        assert_eq!(
            parse(&json!({"Version": "2012-10-17"})),
            Err(PolicyError::NoStatement)
        );
        let bad = json!({"Statement": {"Effect": "Allow", "Action": [1, {}], "Resource": "*"}});
        assert_eq!(
            parse(&bad).unwrap_err().to_string(),
            "statement 1: `Action`: a list entry must be a string"
        );
    }

    #[test]
    fn a_credential_pasted_into_a_statement_is_not_in_its_error() {
        // Made at run time, so that no token-shaped string is stored in the repository.
        let body: String = (0..36u8).map(|i| char::from(b'a' + (i * 7) % 26)).collect();
        let token = format!("ghp_{body}");
        for doc in [
            json!({"Statement": [{"Effect": token, "Action": "*", "Resource": "*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Principal": {token.clone(): "x"}}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                                  "Condition": {"StringEquals": {token.clone(): {}}}}]}),
        ] {
            let err = parse(&doc).unwrap_err().to_string();
            assert!(err.starts_with("statement 1: "), "{err}");
            assert!(!err.contains(&body), "{err}");
        }
    }
}
