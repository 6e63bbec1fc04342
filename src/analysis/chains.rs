//! Privilege chains: an agent (or a principal) that can delegate to or trigger another
//! agent, assume a role, or use an escalation method gains what the other side holds.
//!
//! Nodes are agents and identities. Edges: `holds` (agent → identity), `delegates` and
//! `triggers` (agent → agent), `assumes` and `escalates` (identity → identity).
//!
//! What is compared is a *capability*: a level within a domain — `s3` in AWS account
//! 123456789012 at `read`, `contents` in a repository at `write`, an agent's tools at
//! `write`. A start gains a capability when some node it reaches has it at a level
//! above what the start holds itself (directly or through the identities it holds). For
//! each start and each gained capability the shortest path is kept; gains reached
//! through the same node are reported together, so a finding names one path.
//!
//! The analysis runs one multi-source breadth-first search per capability level, from
//! every node that has it, over the reversed edges: `O(K · (V + E))` for `K` distinct
//! capability levels, which stays small (services × levels), instead of one search per
//! start.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use crate::model::{AccessLevel, EdgeKind, Grant, Identity, Inventory};

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
    /// The highest level the start holds itself in the domains it gains.
    pub from_level: AccessLevel,
    /// The highest level gained.
    pub to_level: AccessLevel,
    /// What the path adds, in words.
    pub gains: String,
    /// Each gained capability: `read on s3`, `write on contents`, `admin on every service`.
    pub capabilities: Vec<String>,
}

/// The direct access level of every agent: its tools and the identities it holds.
pub fn direct_levels(inv: &Inventory) -> BTreeMap<&str, AccessLevel> {
    let mut levels: BTreeMap<&str, AccessLevel> = BTreeMap::new();
    for agent in &inv.agents {
        levels.insert(agent.id.as_str(), tool_access(agent));
    }
    for edge in inv.edges.iter().filter(|e| e.kind == EdgeKind::Holds) {
        let level = inv.identity(&edge.to).and_then(|i| i.access_level);
        if let (Some(slot), Some(level)) = (levels.get_mut(edge.from.as_str()), level) {
            *slot = (*slot).max(level);
        }
    }
    levels
}

fn tool_access(agent: &crate::model::Agent) -> AccessLevel {
    agent
        .facts
        .get("tool_access")
        .and_then(|v| serde_json::from_value::<AccessLevel>(v.clone()).ok())
        .unwrap_or(AccessLevel::None)
}

/// Where a capability applies and what it covers: (`AWS account 1234`, `s3`). `what ==
/// "*"` covers every capability of the same scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Domain {
    scope: String,
    what: String,
}

const EVERYTHING: &str = "*";

type NodeId = u32;
const NONE: u32 = u32::MAX;

/// The graph with dense node ids, its reversed adjacency, and each node's capabilities.
struct Graph<'a> {
    ids: Vec<&'a str>,
    names: Vec<&'a str>,
    is_agent: Vec<bool>,
    /// `(from, to, evidence, kind)`.
    edges: Vec<(NodeId, NodeId, &'a str, &'static str)>,
    /// Incoming edge indices of node `n`: `rev[rev_start[n]..rev_start[n + 1]]`.
    rev_start: Vec<u32>,
    rev: Vec<u32>,
    /// Outgoing `holds` targets, for what a start holds itself.
    holds: HashMap<NodeId, Vec<NodeId>>,
    has_out: Vec<bool>,
    domains: Vec<Domain>,
    caps: Vec<Vec<(u32, AccessLevel)>>,
}

fn build(inv: &Inventory) -> Graph<'_> {
    let mut index: HashMap<&str, NodeId> = HashMap::new();
    let mut ids = Vec::new();
    let mut names = Vec::new();
    let mut is_agent = Vec::new();
    for a in &inv.agents {
        if index.insert(a.id.as_str(), ids.len() as NodeId).is_none() {
            ids.push(a.id.as_str());
            names.push(a.name.as_str());
            is_agent.push(true);
        }
    }
    for i in &inv.identities {
        if index.insert(i.id.as_str(), ids.len() as NodeId).is_none() {
            ids.push(i.id.as_str());
            names.push(i.name.as_str());
            is_agent.push(false);
        }
    }
    let n = ids.len();

    let mut edges = Vec::new();
    let mut holds: HashMap<NodeId, Vec<NodeId>> = HashMap::new();
    let mut has_out = vec![false; n];
    let mut in_degree = vec![0u32; n + 1];
    for e in &inv.edges {
        let hop = matches!(
            e.kind,
            EdgeKind::Delegates
                | EdgeKind::Triggers
                | EdgeKind::Assumes
                | EdgeKind::Escalates
                | EdgeKind::Holds
        );
        let (Some(&from), Some(&to)) = (index.get(e.from.as_str()), index.get(e.to.as_str()))
        else {
            continue;
        };
        if !hop || from == to {
            continue;
        }
        if e.kind == EdgeKind::Holds {
            holds.entry(from).or_default().push(to);
        }
        has_out[from as usize] = true;
        in_degree[to as usize + 1] += 1;
        edges.push((from, to, e.evidence.as_str(), e.kind.as_str()));
    }
    // Counting sort of edge indices by target: the reversed adjacency in two arrays.
    for i in 1..=n {
        in_degree[i] += in_degree[i - 1];
    }
    let rev_start = in_degree.clone();
    let mut fill = in_degree;
    let mut rev = vec![0u32; edges.len()];
    for (k, &(_, to, _, _)) in edges.iter().enumerate() {
        rev[fill[to as usize] as usize] = k as u32;
        fill[to as usize] += 1;
    }

    let mut grants: HashMap<&str, Vec<&Grant>> = HashMap::new();
    for g in &inv.grants {
        grants.entry(g.identity.as_str()).or_default().push(g);
    }
    let mut domain_ids: HashMap<Domain, u32> = HashMap::new();
    let mut domains = Vec::new();
    let mut intern = |d: Domain| -> u32 {
        *domain_ids.entry(d.clone()).or_insert_with(|| {
            domains.push(d);
            domains.len() as u32 - 1
        })
    };
    let mut caps = vec![Vec::new(); n];
    for a in &inv.agents {
        let level = tool_access(a);
        if level >= AccessLevel::Write {
            let d = intern(Domain {
                scope: "agent tools".into(),
                what: "tools".into(),
            });
            caps[index[a.id.as_str()] as usize].push((d, level));
        }
    }
    for i in &inv.identities {
        let slot = &mut caps[index[i.id.as_str()] as usize];
        let own = grants.get(i.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        for (d, level) in identity_capabilities(i, own) {
            let d = intern(d);
            match slot.iter_mut().find(|(x, _)| *x == d) {
                Some((_, l)) => *l = (*l).max(level),
                None => slot.push((d, level)),
            }
        }
    }
    Graph {
        ids,
        names,
        is_agent,
        edges,
        rev_start,
        rev,
        holds,
        has_out,
        domains,
        caps,
    }
}

/// What an identity can do, as capabilities. AWS principals by service (from the
/// normaliser's per-service summary) and from `read` up: reading data is what a chain
/// to a data role is about. GitHub tokens by permission scope and from `write` up: read
/// access to the repository a workflow runs in is near-universal and adds nothing.
fn identity_capabilities(i: &Identity, grants: &[&Grant]) -> Vec<(Domain, AccessLevel)> {
    let mut out = Vec::new();
    match i.provider.as_str() {
        "aws" => {
            let account = i
                .facts
                .get("aws")
                .and_then(|a| a.get("account"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| aws_account(&i.id).to_string());
            let scope = format!("AWS account {account}");
            let services = i
                .facts
                .get("aws")
                .and_then(|a| a.get("services"))
                .and_then(Value::as_object);
            match services {
                Some(services) => {
                    for (svc, level) in services {
                        if let Ok(level) = serde_json::from_value::<AccessLevel>(level.clone())
                            && level >= AccessLevel::Read
                        {
                            out.push((
                                Domain {
                                    scope: scope.clone(),
                                    what: svc.clone(),
                                },
                                level,
                            ));
                        }
                    }
                }
                None => {
                    if let Some(level) = i.access_level.filter(|l| *l >= AccessLevel::Read) {
                        out.push((
                            Domain {
                                scope,
                                what: EVERYTHING.into(),
                            },
                            level,
                        ));
                    }
                }
            }
        }
        "github" if !grants.is_empty() => {
            let scope = github_scope(i);
            // `id-token: write` mints OIDC tokens; the roles they become are joined as
            // `holds` edges of their own.
            for g in grants
                .iter()
                .filter(|g| g.access_level >= AccessLevel::Write && g.action != "id-token")
            {
                out.push((
                    Domain {
                        scope: scope
                            .clone()
                            .unwrap_or_else(|| format!("GitHub {}", g.resource)),
                        what: g.action.clone(),
                    },
                    g.access_level,
                ));
            }
        }
        provider => {
            if let Some(level) = i.access_level.filter(|l| *l >= AccessLevel::Write) {
                out.push((
                    Domain {
                        scope: format!("{provider} ({})", i.name),
                        what: EVERYTHING.into(),
                    },
                    level,
                ));
            }
        }
    }
    out
}

/// The account of `aws:arn:aws:iam::ACCOUNT:…`, `aws-admin:ACCOUNT` and the like.
fn aws_account(id: &str) -> &str {
    if let Some(arn) = id.strip_prefix("aws:") {
        return arn.split(':').nth(4).unwrap_or("");
    }
    id.rsplit(':').next().unwrap_or("")
}

/// A workflow token's repository: the folder that holds `.github/workflows/`.
fn github_scope(i: &Identity) -> Option<String> {
    let rest = i.id.strip_prefix("github-token:")?;
    let (root, _) = rest.split_once(".github/workflows/")?;
    let root = root.trim_end_matches('/');
    Some(format!(
        "repository {}",
        if root.is_empty() { "." } else { root }
    ))
}

/// One gain of one start: the domain, the level, and the first hop of the path.
struct Gain {
    domain: u32,
    level: AccessLevel,
    own: AccessLevel,
    path: Vec<NodeId>,
    via: Vec<u32>,
}

pub fn find_chains(inv: &Inventory) -> Vec<Chain> {
    let g = build(inv);
    let n = g.ids.len();

    // Starts: every agent with an outgoing hop, and principals no agent holds (`--scope
    // all`); those an agent holds are covered by that agent's chains.
    let mut held = vec![false; n];
    for tos in g.holds.values() {
        for &t in tos {
            held[t as usize] = true;
        }
    }
    let starts: Vec<NodeId> = (0..n as NodeId)
        .filter(|&s| g.has_out[s as usize] && (g.is_agent[s as usize] || !held[s as usize]))
        .collect();
    if starts.is_empty() {
        return Vec::new();
    }
    let is_start: HashSet<NodeId> = starts.iter().copied().collect();

    // What each start holds itself, per domain.
    let everything_of: Vec<Option<u32>> = {
        let whole: HashMap<&str, u32> = g
            .domains
            .iter()
            .enumerate()
            .filter(|(_, x)| x.what == EVERYTHING)
            .map(|(i, x)| (x.scope.as_str(), i as u32))
            .collect();
        g.domains
            .iter()
            .map(|x| whole.get(x.scope.as_str()).copied())
            .collect()
    };
    let own = |s: NodeId, d: u32| -> AccessLevel {
        let everything = everything_of[d as usize];
        let mut best = AccessLevel::None;
        let mine = std::iter::once(s).chain(g.holds.get(&s).into_iter().flatten().copied());
        for node in mine {
            for &(x, l) in &g.caps[node as usize] {
                if x == d || Some(x) == everything {
                    best = best.max(l);
                }
            }
        }
        best
    };

    // Levels per domain, highest first, with their holders.
    let mut by_domain: BTreeMap<u32, BTreeMap<AccessLevel, Vec<NodeId>>> = BTreeMap::new();
    for (node, caps) in g.caps.iter().enumerate() {
        for &(d, l) in caps {
            by_domain
                .entry(d)
                .or_default()
                .entry(l)
                .or_default()
                .push(node as NodeId);
        }
    }

    let mut gains: HashMap<NodeId, Vec<Gain>> = HashMap::new();
    let mut seen = vec![0u32; n];
    let mut next_edge = vec![NONE; n];
    let mut stamp = 0u32;
    let mut queue: Vec<NodeId> = Vec::new();
    for (&d, levels) in &by_domain {
        let mut settled: HashSet<NodeId> = HashSet::new();
        let mut holders: Vec<NodeId> = Vec::new();
        for (&level, at_level) in levels.iter().rev() {
            // Holders of this level or above.
            holders.extend(at_level);
            stamp += 1;
            queue.clear();
            for &h in &holders {
                if seen[h as usize] != stamp {
                    seen[h as usize] = stamp;
                    next_edge[h as usize] = NONE;
                    queue.push(h);
                }
            }
            let mut head = 0;
            while head < queue.len() {
                let v = queue[head];
                head += 1;
                let (a, b) = (
                    g.rev_start[v as usize] as usize,
                    g.rev_start[v as usize + 1] as usize,
                );
                for &k in &g.rev[a..b] {
                    let from = g.edges[k as usize].0;
                    if seen[from as usize] != stamp {
                        seen[from as usize] = stamp;
                        next_edge[from as usize] = k;
                        queue.push(from);
                    }
                }
            }
            for &v in &queue {
                if !is_start.contains(&v) || settled.contains(&v) {
                    continue;
                }
                settled.insert(v);
                let mine = own(v, d);
                if mine >= level {
                    continue;
                }
                let mut path = vec![v];
                let mut via = Vec::new();
                let mut at = v;
                while next_edge[at as usize] != NONE {
                    let k = next_edge[at as usize];
                    via.push(k);
                    at = g.edges[k as usize].1;
                    path.push(at);
                }
                gains.entry(v).or_default().push(Gain {
                    domain: d,
                    level,
                    own: mine,
                    path,
                    via,
                });
            }
        }
    }

    let mut chains = Vec::new();
    for (start, mut list) in gains {
        // Every service of an account at admin covers the account's other gains.
        let whole: HashSet<&str> = list
            .iter()
            .filter(|x| g.domains[x.domain as usize].what == EVERYTHING)
            .map(|x| g.domains[x.domain as usize].scope.as_str())
            .collect();
        list.retain(|x| {
            let d = &g.domains[x.domain as usize];
            d.what == EVERYTHING || !whole.contains(d.scope.as_str())
        });
        // One chain per start and scope (a repository, an AWS account): the path to the
        // highest gain is explained; other routes are named.
        let mut by_scope: BTreeMap<&str, Vec<Gain>> = BTreeMap::new();
        for x in list {
            by_scope
                .entry(g.domains[x.domain as usize].scope.as_str())
                .or_default()
                .push(x);
        }
        for (_, group) in by_scope {
            chains.push(explain(&g, start, group));
        }
    }
    chains.sort_by(|a, b| (&a.agent, &a.target).cmp(&(&b.agent, &b.target)));
    chains
}

fn explain(g: &Graph<'_>, start: NodeId, mut group: Vec<Gain>) -> Chain {
    // The path to the highest gain, the shortest among equals.
    group.sort_by_key(|x| (std::cmp::Reverse(x.level), x.path.len()));
    let first = &group[0];
    let target = *first.path.last().expect("a path has a node");
    let path: Vec<String> = first
        .path
        .iter()
        .map(|&v| g.ids[v as usize].to_string())
        .collect();
    let hops = first
        .via
        .iter()
        .map(|&k| g.edges[k as usize].2.to_string())
        .collect();
    let hop_kinds = first.via.iter().map(|&k| g.edges[k as usize].3).collect();
    // All gains of a group share one scope.
    let scope = g.domains[first.domain as usize].scope.as_str();
    let mut by_level: BTreeMap<std::cmp::Reverse<AccessLevel>, Vec<&str>> = BTreeMap::new();
    let mut capabilities = Vec::new();
    let mut order: Vec<&Gain> = group.iter().collect();
    order.sort_by(|a, b| g.domains[a.domain as usize].cmp(&g.domains[b.domain as usize]));
    for x in order {
        let what = g.domains[x.domain as usize].what.as_str();
        let what = if what == EVERYTHING {
            "every service"
        } else {
            what
        };
        by_level
            .entry(std::cmp::Reverse(x.level))
            .or_default()
            .push(what);
        capabilities.push(format!("{} on {what}", x.level.as_str()));
    }
    for whats in by_level.values_mut() {
        whats.sort_by_key(|w| (weight(w), *w));
    }
    let gains = by_level
        .iter()
        .map(|(level, whats)| {
            let level = level.0.as_str();
            if scope == "agent tools" {
                return format!("{level} tools");
            }
            match whats.len() {
                0..=5 => format!("{level} on {}", whats.join(", ")),
                n => format!("{level} on {n} scopes ({}, …)", whats[..4].join(", ")),
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let gains = if scope == "agent tools" {
        gains
    } else {
        format!("{gains} in {scope}")
    };
    let mut through = through_name(g, &first.path);
    let mut others: Vec<String> = Vec::new();
    for x in &group[1..] {
        if x.path.last() != Some(&target) {
            let name = through_name(g, &x.path);
            if !others.contains(&name) {
                others.push(name);
            }
        }
    }
    match others.len() {
        0 => {}
        1..=3 => through = format!("{through} (also through {})", others.join(", ")),
        n => {
            through = format!(
                "{through} (also through {} and {} more)",
                others[..3].join(", "),
                n - 3
            )
        }
    }
    Chain {
        agent: g.ids[start as usize].to_string(),
        start_kind: if g.is_agent[start as usize] {
            "agent"
        } else {
            "identity"
        },
        target: g.ids[target as usize].to_string(),
        path,
        hops,
        hop_kinds,
        from_level: group
            .iter()
            .map(|x| x.own)
            .max()
            .unwrap_or(AccessLevel::None),
        to_level: group
            .iter()
            .map(|x| x.level)
            .max()
            .unwrap_or(AccessLevel::None),
        gains: format!("{gains} through {through}"),
        capabilities,
    }
}

/// What a reviewer looks at first among GitHub permission scopes and AWS services.
fn weight(what: &str) -> u8 {
    match what {
        EVERYTHING | "every service" => 0,
        "contents" | "iam" | "sts" => 1,
        "pull-requests" | "workflows" | "actions" | "s3" | "secretsmanager" | "lambda" => 2,
        "issues" | "administration" | "ec2" | "ssm" | "kms" => 3,
        _ => 4,
    }
}

/// The name a reader recognises for the end of a path: a workflow's `GITHUB_TOKEN` is
/// named after the agent that holds it.
fn through_name(g: &Graph<'_>, path: &[NodeId]) -> String {
    let last = *path.last().expect("a path has a node");
    let name = g.names[last as usize];
    match path.len().checked_sub(2).map(|i| path[i]) {
        Some(prev) if g.is_agent[prev as usize] && name == "GITHUB_TOKEN" => {
            format!("the GITHUB_TOKEN of {}", g.names[prev as usize])
        }
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Agent, Confidence, Edge, SourceKind};
    use serde_json::json;

    fn agent(id: &str, tools: &str) -> Agent {
        Agent {
            id: id.into(),
            name: id.into(),
            kind: "crewai".into(),
            confidence: Confidence::High,
            evidence: Vec::new(),
            source: SourceKind::Repo,
            locations: Vec::new(),
            facts: [("tool_access".to_string(), json!(tools))].into(),
        }
    }

    fn role(name: &str, services: Value) -> Identity {
        Identity {
            id: format!("aws:arn:aws:iam::111122223333:role/{name}"),
            kind: "aws-role".into(),
            provider: "aws".into(),
            name: name.into(),
            agents: Vec::new(),
            access_level: None,
            owner: None,
            human: false,
            created_at: None,
            last_used_at: None,
            expires_at: None,
            credentials: Vec::new(),
            locations: Vec::new(),
            tags: Default::default(),
            facts: [(
                "aws".to_string(),
                json!({"account": "111122223333", "services": services}),
            )]
            .into(),
        }
    }

    fn edge(kind: EdgeKind, from: &str, to: &str) -> Edge {
        Edge {
            kind,
            from: from.into(),
            to: to.into(),
            evidence: format!("{from} {} {to}", kind.as_str()),
            location: None,
        }
    }

    fn arn(name: &str) -> String {
        format!("aws:arn:aws:iam::111122223333:role/{name}")
    }

    #[test]
    fn a_role_that_only_reads_still_adds_access() {
        let mut inv = Inventory::default();
        inv.agents.push(agent("mcp", "none"));
        inv.identities.push(role("user", json!({"sts": "write"})));
        inv.identities.push(role("data", json!({"s3": "read"})));
        inv.edges.push(edge(EdgeKind::Holds, "mcp", &arn("user")));
        inv.edges
            .push(edge(EdgeKind::Assumes, &arn("user"), &arn("data")));
        let chains = find_chains(&inv);
        assert_eq!(chains.len(), 1, "{chains:?}");
        assert_eq!(
            chains[0].path,
            vec!["mcp".to_string(), arn("user"), arn("data")]
        );
        assert_eq!(chains[0].capabilities, vec!["read on s3"]);
        assert_eq!(chains[0].hop_kinds, vec!["holds", "assumes"]);
    }

    #[test]
    fn nothing_is_gained_from_what_the_start_already_has() {
        let mut inv = Inventory::default();
        inv.agents.push(agent("a", "write"));
        inv.agents.push(agent("b", "write"));
        inv.edges.push(edge(EdgeKind::Delegates, "a", "b"));
        assert!(find_chains(&inv).is_empty());
    }

    #[test]
    fn cycles_and_self_loops_end_and_the_shortest_path_wins() {
        let mut inv = Inventory::default();
        for id in ["a", "b", "c"] {
            inv.agents.push(agent(id, "read"));
        }
        inv.agents.push(agent("w", "write"));
        inv.edges.push(edge(EdgeKind::Delegates, "a", "a"));
        inv.edges.push(edge(EdgeKind::Delegates, "a", "b"));
        inv.edges.push(edge(EdgeKind::Delegates, "b", "a"));
        inv.edges.push(edge(EdgeKind::Delegates, "b", "c"));
        inv.edges.push(edge(EdgeKind::Delegates, "c", "w"));
        inv.edges.push(edge(EdgeKind::Delegates, "a", "c"));
        let chains = find_chains(&inv);
        let a = chains.iter().find(|c| c.agent == "a").unwrap();
        assert_eq!(a.path, vec!["a", "c", "w"]);
        assert_eq!(chains.len(), 3, "a, b and c each gain w's tools");
    }

    #[test]
    fn admin_covers_the_other_gains_in_the_account() {
        let mut inv = Inventory::default();
        inv.identities.push(role("start", json!({"iam": "write"})));
        inv.identities.push(role("data", json!({"s3": "write"})));
        inv.identities.push(role("admin", json!({"*": "admin"})));
        inv.edges
            .push(edge(EdgeKind::Assumes, &arn("start"), &arn("data")));
        inv.edges
            .push(edge(EdgeKind::Escalates, &arn("start"), &arn("admin")));
        let chains = find_chains(&inv);
        let start: Vec<_> = chains.iter().filter(|c| c.agent == arn("start")).collect();
        assert_eq!(start.len(), 1, "{chains:?}");
        assert_eq!(start[0].capabilities, vec!["admin on every service"]);
    }
}
