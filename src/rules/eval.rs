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
    pub fn new(agent: Option<&Value>) -> Self {
        // The standard library's functions, built once: building them is most of the
        // cost of a context, and there is one context per agent.
        static STDLIB: std::sync::LazyLock<std::sync::Arc<cel::Env>> =
            std::sync::LazyLock::new(|| std::sync::Arc::new(cel::Env::stdlib()));
        let mut ctx = cel::Context::with_env(std::sync::Arc::clone(&STDLIB));
        let mut error = None;
        match agent.map(cel::to_value) {
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
    pub fn new(context: &Value) -> Self {
        let mut vars = Vec::new();
        for var in super::load::VARIABLES {
            if *var == "agent" {
                continue;
            }
            let value = context.get(*var).unwrap_or(&Value::Null);
            match cel::to_value(value) {
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
