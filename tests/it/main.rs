//! Integration tests: one binary.

mod aws_live;
mod aws_offline;
mod bad_input;
mod cli;
mod common;
mod corpus;
mod github_hostile;
mod github_live;
mod graph;
mod history;
mod hostile_files;
mod mutation;
mod paths;
mod recognise;
mod rules;
mod sarif_validator;
mod scenario;
mod secrets_input;
mod secrets_leak;
