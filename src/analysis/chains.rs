//! Privilege chains: an agent that can delegate to, or trigger, another agent gains
//! that agent's access. For each agent and each more powerful agent it reaches, the
//! shortest path is kept and explained hop by hop.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::model::{AccessLevel, EdgeKind, Inventory};

/// A path from an agent to access it does not hold directly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chain {
    /// The agent that gains.
    pub agent: String,
    /// The agent whose access is gained.
    pub target: String,
    /// Node ids from `agent` to `target`.
    pub path: Vec<String>,
    /// One sentence per hop.
    pub hops: Vec<String>,
    pub from_level: AccessLevel,
    pub to_level: AccessLevel,
    /// What the path adds, in words.
    pub gains: String,
}

/// The direct access level of every agent: its tools and the identities it holds.
pub fn direct_levels(inv: &Inventory) -> BTreeMap<&str, AccessLevel> {
    let mut levels: BTreeMap<&str, AccessLevel> = BTreeMap::new();
    for agent in &inv.agents {
        let tools = agent
            .facts
            .get("tool_access")
            .and_then(|v| serde_json::from_value::<AccessLevel>(v.clone()).ok())
            .unwrap_or(AccessLevel::None);
        levels.insert(agent.id.as_str(), tools);
    }
    for edge in inv.edges.iter().filter(|e| e.kind == EdgeKind::Holds) {
        let level = inv.identity(&edge.to).and_then(|i| i.access_level);
        if let (Some(slot), Some(level)) = (levels.get_mut(edge.from.as_str()), level) {
            *slot = (*slot).max(level);
        }
    }
    levels
}

pub fn find_chains(inv: &Inventory) -> Vec<Chain> {
    let levels = direct_levels(inv);
    // Agent-to-agent hops only: delegation and triggering.
    let mut next: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    for e in &inv.edges {
        if matches!(e.kind, EdgeKind::Delegates | EdgeKind::Triggers)
            && levels.contains_key(e.from.as_str())
            && levels.contains_key(e.to.as_str())
            && e.from != e.to
        {
            next.entry(e.from.as_str())
                .or_default()
                .push((e.to.as_str(), e.evidence.as_str()));
        }
    }
    let mut chains = Vec::new();
    for (&start, &own) in &levels {
        if !next.contains_key(start) {
            continue;
        }
        // Breadth-first: the first time a node is reached is by a shortest path.
        let mut parent: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(node) = queue.pop_front() {
            for &(to, evidence) in next.get(node).into_iter().flatten() {
                if to == start || parent.contains_key(to) {
                    continue;
                }
                parent.insert(to, (node, evidence));
                queue.push_back(to);
            }
        }
        for &target in parent.keys() {
            let gained = levels.get(target).copied().unwrap_or(AccessLevel::None);
            if gained <= own {
                continue;
            }
            let mut path = vec![target.to_string()];
            let mut hops = Vec::new();
            let mut at = target;
            while let Some(&(prev, evidence)) = parent.get(at) {
                path.push(prev.to_string());
                hops.push(evidence.to_string());
                at = prev;
            }
            path.reverse();
            hops.reverse();
            let target_name = inv.agent(target).map_or(target, |a| a.name.as_str());
            chains.push(Chain {
                agent: start.to_string(),
                target: target.to_string(),
                path,
                hops,
                from_level: own,
                to_level: gained,
                gains: format!("{} access through {target_name}", gained.as_str()),
            });
        }
    }
    chains
}
