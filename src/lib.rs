//! nhi-audit: find the non-human identities AI agents hold, and judge them.
//!
//! The pipeline: sources → inventory → analysis → rules → findings → report.

pub mod analysis;
pub mod app;
pub mod cli;
pub mod config;
pub mod controls;
pub mod diff;
pub mod doc;
pub mod findings;
pub mod model;
pub mod pipeline;
pub mod policy;
pub mod report;
pub mod rules;
pub mod secrets;
pub mod sources;
pub mod text;
pub mod timefmt;

/// The version `--version` prints: the package version and the commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("NHI_AUDIT_COMMIT"),
    ")"
);
