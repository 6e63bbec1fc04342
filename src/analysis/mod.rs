//! Analysis derives the facts rules judge: who holds what, what is shared, how much
//! access each agent has directly, and what it reaches through other agents.

mod chains;
pub mod creep;
mod facts;
mod links;

pub use chains::{Chain, direct_levels, find_chains};
pub use facts::{SubjectFacts, for_each_subject};

use crate::model::Inventory;

/// Links across files and sources, then the chains.
pub fn analyse(inventory: &mut Inventory) -> Vec<Chain> {
    links::link_env_files(inventory);
    inventory.normalize();
    links::join_key_ids(inventory);
    links::join_roles_to_assume(inventory);
    links::join_app_tokens(inventory);
    links::holders_from_edges(inventory);
    links::shares(inventory);
    links::triggers(inventory);
    inventory.normalize();
    find_chains(inventory)
}
