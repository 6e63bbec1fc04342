//! Evaluating rule conditions over one subject.

use serde_json::Value;

use super::{Rule, template};

/// The facts rules are judged on: one entry per variable (`credential`, `identity`, …),
/// and the `agent` variable apart (shared by every subject of that agent, and large: an
/// MCP config with thousands of servers), bound once in an [`AgentScope`].
pub struct Subject<'a> {
    pub context: &'a Value,
    pub agent: Option<&'a Value>,
}

/// A CEL context with `agent` bound: the subjects of one agent are evaluated in inner
/// scopes of it, so the agent's facts are converted for CEL once, not per subject.
pub struct AgentScope {
    ctx: cel::Context<'static, 'static>,
    error: Option<EvalError>,
}

impl AgentScope {
    /// The scope of `agent`'s subjects, with what `reads` reads of the agent bound.
    pub fn new(agent: Option<&Value>, reads: &Reads) -> Self {
        // The standard library's functions, built once: building them is most of the
        // cost of a context, and there is one context per agent.
        static STDLIB: std::sync::LazyLock<std::sync::Arc<cel::Env>> =
            std::sync::LazyLock::new(|| std::sync::Arc::new(cel::Env::stdlib()));
        let mut ctx = cel::Context::with_env(std::sync::Arc::clone(&STDLIB));
        let mut error = None;
        let agent = agent.map(|a| match reads.of_var("agent") {
            Some(r) => r.cut(a),
            None => Value::Null,
        });
        match agent.as_ref().map(cel::to_value) {
            Some(Ok(v)) => ctx.add_variable_from_value("agent", v),
            Some(Err(e)) => {
                error = Some(EvalError::Bind {
                    var: "agent",
                    message: e.to_string(),
                });
                ctx.add_variable_from_value("agent", cel::Value::Null);
            }
            None => ctx.add_variable_from_value("agent", cel::Value::Null),
        }
        AgentScope { ctx, error }
    }
}

/// A subject's variables converted for CEL once. One credential held by a thousand agents
/// is judged a thousand times; its facts (which may list all thousand) are converted
/// here once, and each judgement binds them by reference (CEL values share their data).
pub struct BoundVars {
    vars: Result<Vec<(&'static str, cel::Value)>, EvalError>,
}

impl BoundVars {
    /// `context`'s variables, each cut down to what `reads` reads of it.
    pub fn new(context: &Value, reads: &Reads) -> Self {
        let mut vars = Vec::new();
        for var in super::load::VARIABLES {
            if *var == "agent" {
                continue;
            }
            let value = match (context.get(*var), reads.of_var(var)) {
                (Some(v), Some(r)) => r.cut(v),
                _ => Value::Null,
            };
            match cel::to_value(&value) {
                Ok(v) => vars.push((*var, v)),
                Err(e) => {
                    return BoundVars {
                        vars: Err(EvalError::Bind {
                            var,
                            message: e.to_string(),
                        }),
                    };
                }
            }
        }
        BoundVars { vars: Ok(vars) }
    }
}

/// A condition that could not be evaluated on a subject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("cannot bind `{var}`: {message}")]
    Bind { var: &'static str, message: String },
    #[error("the condition gave {0}, not a boolean")]
    NotBoolean(String),
    #[error("a severity_if condition gave {0}, not a boolean")]
    SeverityNotBoolean(String),
    #[error("severity_if: {0}")]
    SeverityIf(String),
    /// CEL's own error (a missing field, a type mismatch).
    #[error("{0}")]
    Condition(String),
}

/// A rule that matched: its message, and the severity a `severity_if` entry set.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub message: String,
    pub severity: Option<super::Severity>,
    /// The `file:line:column` values the rule's `locations` read, if it has any.
    pub locations: Vec<String>,
}

/// Judges one subject with several rules, binding the facts once. For each rule:
/// `Ok(Some(match))` when it matches, `Ok(None)` when not, `Err` when the condition
/// failed to evaluate (a missing fact, a type error).
pub fn evaluate<'r>(
    rules: &[&'r Rule],
    subject: &Subject<'_>,
    scope: &AgentScope,
    bound: &BoundVars,
) -> Vec<(&'r Rule, Result<Option<Match>, EvalError>)> {
    let vars = match (&scope.error, &bound.vars) {
        (Some(msg), _) | (None, Err(msg)) => {
            return rules.iter().map(|r| (*r, Err(msg.clone()))).collect();
        }
        (None, Ok(vars)) => vars,
    };
    let mut ctx = scope.ctx.new_inner_scope();
    for (var, value) in vars {
        ctx.add_variable_from_value(*var, value.clone());
    }
    rules
        .iter()
        .map(|rule| {
            let outcome = match rule.program.execute(&ctx) {
                Ok(cel::Value::Bool(true)) => {
                    let mut severity = None;
                    for s in &rule.severity_if {
                        match s.program.execute(&ctx) {
                            Ok(cel::Value::Bool(true)) => {
                                severity = Some(s.severity);
                                break;
                            }
                            Ok(cel::Value::Bool(false)) => {}
                            Ok(other) => {
                                return (
                                    *rule,
                                    Err(EvalError::SeverityNotBoolean(format!("{other:?}"))),
                                );
                            }
                            Err(e) => return (*rule, Err(EvalError::SeverityIf(e.to_string()))),
                        }
                    }
                    Ok(Some(Match {
                        message: template::render(&rule.message, subject.context, subject.agent),
                        severity,
                        locations: rule
                            .locations
                            .iter()
                            .flat_map(|p| template::values(p, subject.context, subject.agent))
                            .collect(),
                    }))
                }
                Ok(cel::Value::Bool(false)) => Ok(None),
                Ok(other) => Err(EvalError::NotBoolean(format!("{other:?}"))),
                Err(e) => Err(EvalError::Condition(e.to_string())),
            };
            (*rule, outcome)
        })
        .collect()
}

/// What a set of rules reads of the variables, as a tree of field names: the facts of a
/// subject are cut down to it before they are converted for CEL, so a principal's long
/// lists of escalations are not converted for rules that never look at them. A leaf keeps
/// everything below it; what a condition reads in a way the tree cannot follow (an index,
/// a comprehension over it) is a leaf at the last field it names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reads {
    fields: std::collections::BTreeMap<String, Reads>,
    all: bool,
}

impl Reads {
    /// Everything.
    #[cfg(test)]
    fn everything() -> Self {
        Reads {
            fields: Default::default(),
            all: true,
        }
    }

    /// What the conditions (and `severity_if` conditions) of `rules` read, as found when
    /// they loaded.
    pub fn of(rules: &[&Rule]) -> Self {
        let mut reads = Reads::default();
        let paths = rules.iter().flat_map(|r| {
            r.reads
                .iter()
                .chain(r.severity_if.iter().flat_map(|s| &s.reads))
        });
        for path in paths {
            reads.add(path);
        }
        reads
    }

    fn add(&mut self, path: &[String]) {
        if self.all {
            return;
        }
        match path.split_first() {
            None => {
                self.all = true;
                self.fields.clear();
            }
            Some((first, rest)) => self.fields.entry(first.clone()).or_default().add(rest),
        }
    }

    /// What of `var` is read (`None`: nothing).
    fn of_var(&self, var: &str) -> Option<&Reads> {
        if self.all {
            return Some(self);
        }
        self.fields.get(var)
    }

    /// `value` with only what is read kept.
    fn cut(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) if !self.all => Value::Object(
                map.iter()
                    .filter_map(|(k, v)| Some((k.clone(), self.fields.get(k)?.cut(v))))
                    .collect(),
            ),
            _ => value.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn reads(conditions: &[&str]) -> Reads {
        let mut r = Reads::default();
        for c in conditions {
            let expr = cel::parser::Parser::new().parse(c).unwrap();
            for path in crate::rules::vocabulary::paths_in(&expr) {
                r.add(&path);
            }
        }
        r
    }

    #[test]
    fn only_what_conditions_read_is_kept_and_a_leaf_keeps_what_is_below() {
        let r = reads(&[
            "identity.facts.aws.admin && identity.kind == 'aws-role'",
            "identity.facts.aws.keys.exists(k, k.active)",
        ]);
        let identity = json!({
            "kind": "aws-role", "name": "x",
            "facts": {"aws": {"admin": true, "escalations": [1, 2, 3],
                              "keys": [{"active": true, "id": "k"}]}, "github": {}},
        });
        let cut = r.of_var("identity").unwrap().cut(&identity);
        assert_eq!(
            cut,
            json!({"kind": "aws-role",
                   "facts": {"aws": {"admin": true, "keys": [{"active": true, "id": "k"}]}}})
        );
        assert!(r.of_var("credential").is_none(), "not read at all");
    }

    #[test]
    fn a_whole_variable_read_keeps_all_of_it() {
        let r = reads(&["size(chain) > 0"]);
        let chain = json!({"path": ["a", "b"], "length": 2});
        assert_eq!(r.of_var("chain").unwrap().cut(&chain), chain);
    }

    #[test]
    fn cut_facts_judge_as_the_whole_facts_do() {
        let rules = crate::rules::builtin_rules().unwrap();
        let enabled: Vec<&Rule> = rules.iter().collect();
        let r = Reads::of(&enabled);
        let context = json!({
            "identity": {"kind": "aws-role", "provider": "aws", "human": false,
                "facts": {"aws": {"admin": true, "active_keys": 0, "trust": {"any_principal": true},
                                  "escalations": [{"method": "m"}]}}},
        });
        let whole = BoundVars::new(&context, &Reads::everything());
        let cut = BoundVars::new(&context, &r);
        let scope = AgentScope::new(None, &r);
        let subject = Subject {
            context: &context,
            agent: None,
        };
        let judged = |vars: &BoundVars| -> Vec<(String, bool)> {
            evaluate(&enabled, &subject, &scope, vars)
                .into_iter()
                .map(|(rule, out)| (rule.id.clone(), matches!(out, Ok(Some(_)))))
                .collect()
        };
        assert_eq!(judged(&cut), judged(&whole));
    }
}
