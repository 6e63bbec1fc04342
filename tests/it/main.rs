//! Integration tests: one binary.

mod cli;
mod common;
mod corpus;
mod rules;
mod sarif_validator;
