//! Sources collect raw material and normalise it into inventory fragments. They know
//! their formats and APIs, and nothing about rules or severity.

pub mod aws;
pub mod github;
pub mod repo;
