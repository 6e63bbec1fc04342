//! Evaluating rule conditions over one subject.

use serde_json::Value;

use super::{Rule, template};

/// The facts rules are judged on: one entry per variable (`agent`, `credential`, …).
pub struct Subject {
    pub context: Value,
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
    subject: &Subject,
) -> Vec<(&'r Rule, Result<Option<Match>, String>)> {
    let mut ctx = cel::Context::default();
    for var in super::load::VARIABLES {
        let value = subject.context.get(*var).cloned().unwrap_or(Value::Null);
        match cel::to_value(&value) {
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
                        message: template::render(&rule.message, &subject.context),
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
