//! nhi-audit: find the non-human identities AI agents hold, and judge them.

pub mod doc;
pub mod model;
