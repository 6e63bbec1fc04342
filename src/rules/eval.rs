//! Evaluating rule conditions over one subject.

use serde_json::Value;

use super::{Rule, template};

/// The facts rules are judged on: one entry per variable (`agent`, `credential`, …).
pub struct Subject {
    pub context: Value,
}

/// Judges one subject with several rules, binding the facts once. For each rule:
/// `Ok(Some(message))` when it matches, `Ok(None)` when not, `Err` when the condition
/// failed to evaluate (a missing fact, a type error).
pub fn evaluate<'r>(
    rules: &[&'r Rule],
    subject: &Subject,
) -> Vec<(&'r Rule, Result<Option<String>, String>)> {
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
                    Ok(Some(template::render(&rule.message, &subject.context)))
                }
                Ok(cel::Value::Bool(false)) => Ok(None),
                Ok(other) => Err(format!("the condition gave {other:?}, not a boolean")),
                Err(e) => Err(e.to_string()),
            };
            (*rule, outcome)
        })
        .collect()
}
