//! Permission semantics: what a permission grants, as an access level.

pub mod aws;
pub mod github;
