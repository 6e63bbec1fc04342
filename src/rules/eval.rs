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
    error: Option<String>,
}

impl AgentScope {
    pub fn new(agent: Option<&Value>) -> Self {
        let mut ctx = cel::Context::default();
        let mut error = None;
        match agent.map(cel::to_value) {
            Some(Ok(v)) => ctx.add_variable_from_value("agent", v),
            Some(Err(e)) => {
                error = Some(format!("cannot bind `agent`: {e}"));
                ctx.add_variable_from_value("agent", cel::Value::Null);
            }
            None => ctx.add_variable_from_value("agent", cel::Value::Null),
        }
        AgentScope { ctx, error }
    }
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
) -> Vec<(&'r Rule, Result<Option<Match>, String>)> {
    if let Some(msg) = &scope.error {
        return rules.iter().map(|r| (*r, Err(msg.clone()))).collect();
    }
    let mut ctx = scope.ctx.new_inner_scope();
    for var in super::load::VARIABLES {
        if *var == "agent" {
            continue;
        }
        let value = subject.context.get(*var).unwrap_or(&Value::Null);
        match cel::to_value(value) {
            Ok(v) => ctx.add_variable_from_value(*var, v),
            Err(e) => {
                let msg = format!("cannot bind `{var}`: {e}");
                return rules.iter().map(|r| (*r, Err(msg.clone()))).collect();
            }
        }
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
                                    Err(format!(
                                        "a severity_if condition gave {other:?}, not a boolean"
                                    )),
                                );
                            }
                            Err(e) => return (*rule, Err(format!("severity_if: {e}"))),
                        }
                    }
                    Ok(Some(Match {
                        message: template::render(&rule.message, subject.context, subject.agent),
                        severity,
                    }))
                }
                Ok(cel::Value::Bool(false)) => Ok(None),
                Ok(other) => Err(format!("the condition gave {other:?}, not a boolean")),
                Err(e) => Err(e.to_string()),
            };
            (*rule, outcome)
        })
        .collect()
}
