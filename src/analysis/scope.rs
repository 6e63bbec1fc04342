//! `--scope agents` for the inventory: what AI agents hold and reach, and AI-provider
//! keys wherever they lie (only an AI workload holds one).

use std::collections::{BTreeSet, VecDeque};

use crate::model::Inventory;

/// Keeps the agents, every node reachable from an agent through any edge (what it holds,
/// assumes, escalates to, triggers, delegates to), AI-provider credentials with their
/// identities, and what joins those: their credentials, grants and edges.
pub fn agent_scope(inv: &Inventory) -> Inventory {
    let mut keep: BTreeSet<&str> = inv.agents.iter().map(|a| a.id.as_str()).collect();
    // Who steers an agent is part of its picture.
    keep.insert(super::exposure::OUTSIDE);
    let mut queue: VecDeque<&str> = keep.iter().copied().collect();
    let mut out_edges: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for e in &inv.edges {
        out_edges
            .entry(e.from.as_str())
            .or_default()
            .push(e.to.as_str());
    }
    while let Some(node) = queue.pop_front() {
        for next in out_edges.get(node).into_iter().flatten() {
            if keep.insert(next) {
                queue.push_back(next);
            }
        }
    }
    for c in &inv.credentials {
        if super::facts::is_ai_provider(c.provider.as_str()) {
            keep.insert(c.id.as_str());
            keep.extend(c.identity.as_deref());
        }
    }
    // An identity agent clients acted as is an agent's, whether or not one is known.
    for i in &inv.identities {
        if i.facts
            .get("activity")
            .is_some_and(|a| a["agent_clients"].as_array().is_some_and(|c| !c.is_empty()))
        {
            keep.insert(i.id.as_str());
        }
    }
    let identities: Vec<_> = inv
        .identities
        .iter()
        .filter(|i| keep.contains(i.id.as_str()))
        .cloned()
        .collect();
    let held_credentials: BTreeSet<&str> = identities
        .iter()
        .flat_map(|i| i.credentials.iter().map(String::as_str))
        .collect();
    Inventory {
        agents: inv.agents.clone(),
        credentials: inv
            .credentials
            .iter()
            .filter(|c| {
                keep.contains(c.id.as_str())
                    || held_credentials.contains(c.id.as_str())
                    || c.identity.as_deref().is_some_and(|i| keep.contains(i))
            })
            .cloned()
            .collect(),
        grants: inv
            .grants
            .iter()
            .filter(|g| keep.contains(g.identity.as_str()))
            .cloned()
            .collect(),
        edges: inv
            .edges
            .iter()
            .filter(|e| keep.contains(e.from.as_str()) && keep.contains(e.to.as_str()))
            .cloned()
            .collect(),
        identities,
        errors: inv.errors.clone(),
        warnings: inv.warnings.clone(),
        stats: inv.stats.clone(),
        changes: inv
            .changes
            .iter()
            .filter(|c| c.agent.is_some())
            .cloned()
            .collect(),
        activity: inv
            .activity
            .iter()
            .filter(|a| {
                a.identity.as_deref().is_some_and(|i| keep.contains(i))
                    || !a.agent_clients.is_empty()
            })
            .cloned()
            .collect(),
        activity_window: inv.activity_window.clone(),
        role_contents: inv.role_contents.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Agent, Confidence, Edge, EdgeKind, Identity, SourceKind};

    fn agent(id: &str) -> Agent {
        Agent {
            id: id.into(),
            name: id.into(),
            kind: "mcp-client".into(),
            confidence: Confidence::High,
            evidence: Vec::new(),
            source: SourceKind::Repo,
            locations: Vec::new(),
            facts: Default::default(),
        }
    }

    fn edge(kind: EdgeKind, from: &str, to: &str) -> Edge {
        Edge {
            kind,
            from: from.into(),
            to: to.into(),
            evidence: String::new(),
            location: None,
        }
    }

    #[test]
    fn keeps_what_agents_reach_and_drops_the_rest() {
        let inv = Inventory {
            agents: vec![agent("a")],
            identities: ["user", "role", "other"]
                .iter()
                .map(|i| Identity::new(*i, "aws-iam-role", "aws", *i))
                .collect(),
            edges: vec![
                edge(EdgeKind::Holds, "a", "user"),
                edge(EdgeKind::Assumes, "user", "role"),
                edge(EdgeKind::Assumes, "other", "role"),
            ],
            ..Inventory::default()
        };
        let scoped = agent_scope(&inv);
        let ids: Vec<&str> = scoped.identities.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["user", "role"]);
        assert_eq!(scoped.edges.len(), 2);
    }
}
