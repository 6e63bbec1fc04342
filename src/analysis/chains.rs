//! Privilege chains: an agent (or a principal) that can delegate to or trigger another
//! agent, assume a role, or use an escalation method gains what the other side holds. For
//! each start and each more powerful node it reaches, the shortest path is kept and
//! explained hop by hop.
//!
//! Nodes are agents and identities. Edges: `holds` (agent → identity), `delegates` and
//! `triggers` (agent → agent), `assumes` and `escalates` (identity → identity). A start
//! gains a node when the node's own level is above everything the start holds directly.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::Serialize;

use crate::model::{AccessLevel, EdgeKind, Inventory};

/// A path from an agent or identity to access it does not hold directly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chain {
    /// The agent or identity that gains.
    pub agent: String,
    /// `agent` or `identity`.
    pub start_kind: &'static str,
    /// The node whose access is gained.
    pub target: String,
    /// Node ids from start to target.
    pub path: Vec<String>,
    /// One sentence per hop.
    pub hops: Vec<String>,
    /// The kind of each hop (`delegates`, `assumes`, `escalates`, `holds`, …).
    pub hop_kinds: Vec<&'static str>,
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

struct Graph<'a> {
    next: HashMap<&'a str, Vec<(&'a str, &'a str, &'static str)>>,
    level: HashMap<&'a str, AccessLevel>,
    names: HashMap<&'a str, &'a str>,
}

fn graph(inv: &Inventory) -> Graph<'_> {
    let mut level: HashMap<&str, AccessLevel> = HashMap::new();
    let mut names: HashMap<&str, &str> = HashMap::new();
    for (id, l) in direct_levels(inv) {
        level.insert(id, l);
    }
    for a in &inv.agents {
        names.insert(a.id.as_str(), a.name.as_str());
    }
    for i in &inv.identities {
        level.insert(i.id.as_str(), i.access_level.unwrap_or(AccessLevel::None));
        names.insert(i.id.as_str(), i.name.as_str());
    }
    let mut next: HashMap<&str, Vec<(&str, &str, &'static str)>> = HashMap::new();
    for e in &inv.edges {
        let hop = matches!(
            e.kind,
            EdgeKind::Delegates
                | EdgeKind::Triggers
                | EdgeKind::Assumes
                | EdgeKind::Escalates
                | EdgeKind::Holds
        );
        if hop
            && e.from != e.to
            && level.contains_key(e.from.as_str())
            && level.contains_key(e.to.as_str())
        {
            next.entry(e.from.as_str()).or_default().push((
                e.to.as_str(),
                e.evidence.as_str(),
                e.kind.as_str(),
            ));
        }
    }
    Graph { next, level, names }
}

/// The highest level reachable from every node (itself included), in time linear in the
/// graph: strongly connected components (Tarjan, via petgraph), then one pass in reverse
/// topological order.
fn best_reachable<'a>(g: &Graph<'a>) -> HashMap<&'a str, AccessLevel> {
    use petgraph::graph::{DiGraph, NodeIndex};
    let mut graph: DiGraph<&str, ()> = DiGraph::new();
    let mut index: HashMap<&str, NodeIndex> = HashMap::new();
    for &n in g.level.keys() {
        index.insert(n, graph.add_node(n));
    }
    for (from, tos) in &g.next {
        for (to, _, _) in tos {
            graph.add_edge(index[from], index[to], ());
        }
    }
    // tarjan_scc yields components in reverse topological order: successors first.
    let mut best_of_component: Vec<AccessLevel> = Vec::new();
    let mut component_of: HashMap<NodeIndex, usize> = HashMap::new();
    for component in petgraph::algo::tarjan_scc(&graph) {
        let c = best_of_component.len();
        let mut best = AccessLevel::None;
        for &n in &component {
            component_of.insert(n, c);
            best = best.max(g.level[graph[n]]);
        }
        for &n in &component {
            for succ in graph.neighbors(n) {
                if let Some(&sc) = component_of.get(&succ)
                    && sc != c
                {
                    best = best.max(best_of_component[sc]);
                }
            }
        }
        best_of_component.push(best);
    }
    index
        .iter()
        .map(|(&n, i)| (n, best_of_component[component_of[i]]))
        .collect()
}

/// For each node reached, the node before it, the evidence of the hop and its kind.
type Parents<'a> = HashMap<&'a str, (&'a str, &'a str, &'static str)>;

/// Breadth-first from `start` until a node of level `goal` is reached: the first one
/// found is at the shortest distance among the most powerful nodes.
fn shortest_path_to<'a>(
    g: &Graph<'a>,
    start: &'a str,
    goal: AccessLevel,
) -> Option<(&'a str, Parents<'a>)> {
    let mut parent = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &(to, evidence, kind) in g.next.get(node).into_iter().flatten() {
            if to == start || parent.contains_key(to) {
                continue;
            }
            parent.insert(to, (node, evidence, kind));
            if g.level[to] >= goal && kind != "holds" {
                return Some((to, parent));
            }
            queue.push_back(to);
        }
    }
    None
}

pub fn find_chains(inv: &Inventory) -> Vec<Chain> {
    let g = graph(inv);
    let best = best_reachable(&g);
    let held_by_agents: std::collections::HashSet<&str> = inv
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Holds)
        .map(|e| e.to.as_str())
        .collect();
    let mut starts: Vec<(&str, &'static str)> = inv
        .agents
        .iter()
        .map(|a| (a.id.as_str(), "agent"))
        .collect();
    // Principals no agent holds are judged on their own (`--scope all`); those an agent
    // holds are covered by that agent's chains.
    starts.extend(
        inv.identities
            .iter()
            .filter(|i| {
                !held_by_agents.contains(i.id.as_str()) && g.next.contains_key(i.id.as_str())
            })
            .map(|i| (i.id.as_str(), "identity")),
    );
    let mut chains = Vec::new();
    for (start, start_kind) in starts {
        if !g.next.contains_key(start) {
            continue;
        }
        // What the start has without any hop to another principal or agent: its own level
        // and the identities it holds directly.
        let own = g
            .next
            .get(start)
            .into_iter()
            .flatten()
            .filter(|(_, _, k)| *k == "holds")
            .map(|(t, _, _)| g.level[t])
            .fold(g.level[start], AccessLevel::max);
        let goal = best[start];
        if goal <= own {
            continue;
        }
        let Some((target, parent)) = shortest_path_to(&g, start, goal) else {
            continue;
        };
        let mut path = vec![target.to_string()];
        let mut hops = Vec::new();
        let mut kinds = Vec::new();
        let mut at = target;
        while let Some(&(prev, evidence, kind)) = parent.get(at) {
            path.push(prev.to_string());
            hops.push(evidence.to_string());
            kinds.push(kind);
            at = prev;
        }
        path.reverse();
        hops.reverse();
        kinds.reverse();
        let target_name = g.names.get(target).copied().unwrap_or(target);
        chains.push(Chain {
            agent: start.to_string(),
            start_kind,
            target: target.to_string(),
            path,
            hops,
            hop_kinds: kinds,
            from_level: own,
            to_level: g.level[target],
            gains: format!("{} access through {target_name}", g.level[target].as_str()),
        });
    }
    chains.sort_by(|a, b| a.agent.cmp(&b.agent));
    chains
}
