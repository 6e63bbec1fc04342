//! Analysis derives the facts rules judge: which identities are agents', who holds what,
//! what is shared, how much access each agent has directly, and what it reaches through
//! other agents.

pub mod activity;
pub mod agents;
mod chains;
pub mod creep;
pub mod exposure;
mod facts;
mod links;
mod scope;
pub mod suggest;
mod workload_identity;

pub use chains::{Chain, Effective, GraphAnalysis, analyse_graph, direct_levels, find_chains};
pub use facts::{SubjectFacts, for_each_subject};
pub use scope::agent_scope;

use crate::model::Inventory;

/// Links across files and sources, then the chains.
pub fn analyse(inventory: &mut Inventory) -> Vec<Chain> {
    links::link_key_files(inventory);
    links::link_env_files(inventory);
    inventory.normalize();
    links::join_key_ids(inventory);
    links::join_gcp_keys(inventory);
    links::join_roles_to_assume(inventory);
    links::join_gcp_auth(inventory);
    links::join_azure_login(inventory);
    links::join_app_tokens(inventory);
    workload_identity::join(inventory);
    links::holders_from_edges(inventory);
    activity::derive(inventory);
    links::shares(inventory);
    links::triggers(inventory);
    // Before who can start an agent is passed down the triggers: the outside steers the
    // agents it starts itself, and the chain shows the hops to the others.
    exposure::steering(inventory);
    links::propagate_starts(inventory);
    inventory.normalize();
    let GraphAnalysis { chains, effective } = analyse_graph(inventory);
    // Every agent's effective access, for rules and reports: what it reaches through
    // every path, itself included.
    let by_id: std::collections::HashMap<String, Effective> = effective
        .into_iter()
        .map(|e| (e.agent.clone(), e))
        .collect();
    for agent in &mut inventory.agents {
        if let Some(e) = by_id.get(&agent.id) {
            agent
                .facts
                .insert("effective_level".into(), serde_json::json!(e.level));
            agent
                .facts
                .insert("effective_access".into(), serde_json::json!(e.capabilities));
        }
    }
    exposure::legs(inventory);
    chains
}
