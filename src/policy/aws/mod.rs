//! AWS IAM policy semantics: action access levels, documents, evaluation, escalation.

pub mod actions;
pub mod document;
pub mod escalation;
pub mod eval;
