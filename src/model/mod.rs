//! The inventory: plain data, no I/O. Every source produces fragments of it.

mod inventory;
mod location;
mod merge;

pub use inventory::*;
pub use location::*;
