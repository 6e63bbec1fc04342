//! AWS IAM policy semantics: action access levels, documents, evaluation, escalation,
//! power over other principals.

pub mod actions;
pub mod document;
pub mod escalation;
pub mod eval;
pub mod power;
