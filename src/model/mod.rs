//! The inventory: plain data, no I/O. Every source produces fragments of it.

mod activity;
pub mod facts;
mod inventory;
mod kinds;
mod location;
mod merge;
mod subject;

pub use activity::*;
pub use inventory::*;
pub(crate) use kinds::vocabulary;
pub use kinds::{
    AgentKind, Category, ChainStart, ChangeKind, CredentialKind, IdentityKind, Provider,
    SuppressedBy,
};
pub use location::*;
pub use subject::{InlineIgnore, SubjectKind};
