//! Joins that no single file shows: env files named by agent configs, holders of
//! identities, and credentials shared between agents.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Edge, EdgeKind, Inventory};

/// A LangGraph config's `env` file: the credentials in it are held by its graphs.
pub fn link_env_files(inv: &mut Inventory) {
    let mut by_file: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for agent in &inv.agents {
        if let Some(file) = agent.facts.get("env_file").and_then(|v| v.as_str()) {
            by_file
                .entry(file.to_string())
                .or_default()
                .push((agent.id.clone(), file.to_string()));
        }
    }
    if by_file.is_empty() {
        return;
    }
    let mut edges = Vec::new();
    for cred in &inv.credentials {
        for loc in &cred.locations {
            let Some(path) = loc.path() else { continue };
            for (agent, file) in by_file.get(path).into_iter().flatten() {
                edges.push(Edge {
                    kind: EdgeKind::Holds,
                    from: agent.clone(),
                    to: cred.identity.clone().unwrap_or_else(|| cred.id.clone()),
                    evidence: format!(
                        "loads {file}, which holds {}",
                        cred.name.as_deref().unwrap_or(&cred.kind)
                    ),
                    location: Some(loc.clone()),
                });
            }
        }
    }
    inv.edges.extend(edges);
}

/// Every `holds` edge makes the agent one of the identity's holders.
pub fn holders_from_edges(inv: &mut Inventory) {
    let mut holders: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in inv.edges.iter().filter(|e| e.kind == EdgeKind::Holds) {
        holders
            .entry(e.to.as_str())
            .or_default()
            .insert(e.from.as_str());
    }
    let holders: BTreeMap<String, Vec<String>> = holders
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(str::to_string).collect()))
        .collect();
    for identity in &mut inv.identities {
        if let Some(agents) = holders.get(&identity.id) {
            identity.agents.extend(agents.iter().cloned());
            identity.agents.sort();
            identity.agents.dedup();
        }
    }
}

/// One credential held by several agents: a `shares` edge from the first holder to each
/// other one, so the graph shows who else has the same key.
pub fn shares(inv: &mut Inventory) {
    let mut edges = Vec::new();
    for identity in &inv.identities {
        if identity.agents.len() < 2 || identity.kind == "github-token" {
            continue;
        }
        let first = &identity.agents[0];
        for other in &identity.agents[1..] {
            edges.push(Edge {
                kind: EdgeKind::Shares,
                from: first.clone(),
                to: other.clone(),
                evidence: format!("both hold {} ({})", identity.name, identity.id),
                location: identity.locations.first().cloned(),
            });
        }
    }
    inv.edges.extend(edges);
}

/// Access key ids are identifiers: a key id found in an agent's config joins the agent to
/// the IAM user that owns the key, so the agent holds that user and everything it reaches.
pub fn join_key_ids(inv: &mut Inventory) {
    let owners: BTreeMap<&str, &str> = inv
        .credentials
        .iter()
        .filter(|c| c.kind == "aws-access-key")
        .filter_map(|c| Some((c.key_id.as_deref()?, c.identity.as_deref()?)))
        .collect();
    if owners.is_empty() {
        return;
    }
    let mut edges = Vec::new();
    for c in inv
        .credentials
        .iter()
        .filter(|c| c.kind == "aws-access-key-id")
    {
        let Some(owner) = c.key_id.as_deref().and_then(|k| owners.get(k)) else {
            continue;
        };
        let Some(local) = c.identity.as_deref() else {
            continue;
        };
        let holders: Vec<&str> = inv
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Holds && e.to == local)
            .map(|e| e.from.as_str())
            .collect();
        for agent in holders {
            edges.push(Edge {
                kind: EdgeKind::Holds,
                from: agent.to_string(),
                to: owner.to_string(),
                evidence: format!(
                    "its config holds access key {}, which belongs to {}",
                    c.key_id.as_deref().unwrap_or("?"),
                    owner.trim_start_matches("aws:")
                ),
                location: c.locations.first().cloned(),
            });
        }
    }
    inv.edges.extend(edges);
}

/// A workflow's `role-to-assume` names the IAM role its OIDC token becomes: the agent job
/// holds that role (when the account is in the scan), and with it the role's access.
pub fn join_roles_to_assume(inv: &mut Inventory) {
    let mut edges = Vec::new();
    for agent in &inv.agents {
        let Some(roles) = agent.facts.get("role_to_assume").and_then(|v| v.as_array()) else {
            continue;
        };
        for arn in roles.iter().filter_map(|r| r.as_str()) {
            let id = format!("aws:{arn}");
            if inv.identity(&id).is_some() {
                edges.push(Edge {
                    kind: EdgeKind::Holds,
                    from: agent.id.clone(),
                    to: id,
                    evidence: format!("its job assumes {arn} with its OIDC token (role-to-assume)"),
                    location: agent.locations.first().cloned(),
                });
            }
        }
    }
    inv.edges.extend(edges);
}
