//! Integration tests: one binary.

// Helpers outside `#[test]` functions unwrap and print too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod activity;
mod aws_live;
mod aws_offline;
mod azure_live;
mod azure_offline;
mod bad_input;
mod cli;
mod cloud_activity;
mod common;
mod corpus;
mod gcp_live;
mod gcp_offline;
mod github_audit;
mod github_hostile;
mod github_live;
mod graph;
mod history;
mod hostile_files;
mod iac_github;
mod iac_terraform;
mod kubernetes;
mod mcp_servers;
mod mutation;
mod paths;
mod recognise;
mod reports;
mod rules;
mod sarif_validator;
mod scenario;
mod secrets_input;
mod secrets_leak;
mod toolscope;
