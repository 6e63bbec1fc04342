//! Privilege chains: an agent (or a principal) that can delegate to or trigger another
//! agent, assume a role, or use an escalation method gains what the other side holds.
//!
//! Nodes are agents and identities. Edges: `holds` (agent → identity), `delegates` and
//! `triggers` (agent → agent), `assumes` and `escalates` (identity → identity).
//!
//! What is compared is a *capability*: a level within a domain — `s3` in AWS account
//! 123456789012 at `read`, `contents` in a repository at `write`, an agent's tools at
//! `write`. A start gains a capability when some node it reaches has it at a level
//! above what the start holds itself (directly or through the identities it holds). One
//! chain is reported per start and scope (a repository, an AWS account): every
//! capability gained there, and the shortest path to the best of them, hop by hop.
//!
//! Near-linear: strongly connected components, then one pass in reverse topological
//! order that gives every component the set of capability levels it reaches (a bitset);
//! then one multi-source breadth-first search over the reversed edges per capability
//! level some start needs explained, from every node that has it.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::Value;

use super::exposure::{OUTSIDE, OUTSIDE_NAME};
use crate::model::{AccessLevel, ChainStart, EdgeKind, Grant, Identity, Inventory};

/// A path from an agent or identity to access it does not hold directly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chain {
    /// The agent or identity that gains.
    pub agent: String,
    /// `agent` or `identity`.
    pub start_kind: ChainStart,
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
const GITHUB: &str = "GitHub";

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
    // The outside, when it steers an agent: chains start there too.
    if inv.edges.iter().any(|e| e.kind == EdgeKind::Steers) {
        index.insert(OUTSIDE, ids.len() as NodeId);
        ids.push(OUTSIDE);
        names.push(OUTSIDE_NAME);
        is_agent.push(false);
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
                | EdgeKind::Steers
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
        // One domain per permission scope across repositories: which repository a
        // token writes to is named when a chain is explained. (Per repository, a large
        // organisation would multiply the domains by its repositories.)
        "github" if !grants.is_empty() => {
            // `id-token: write` mints OIDC tokens; the roles they become are joined as
            // `holds` edges of their own.
            for g in grants
                .iter()
                .filter(|g| g.access_level >= AccessLevel::Write && g.action != "id-token")
            {
                out.push((
                    Domain {
                        scope: GITHUB.into(),
                        what: g.action.clone(),
                    },
                    g.access_level,
                ));
            }
        }
        // A service account by the service of each role it holds (`roles/storage.admin`
        // → `storage`), a basic role on every service, in its project.
        "gcp" => {
            let project = i
                .facts
                .get("gcp")
                .and_then(|f| f.get("project"))
                .and_then(Value::as_str)
                .unwrap_or("-");
            let mut highest: std::collections::BTreeMap<(String, String), AccessLevel> =
                Default::default();
            for g in grants
                .iter()
                .filter(|g| g.access_level >= AccessLevel::Read)
            {
                let scope =
                    gcp_scope(&g.resource).unwrap_or_else(|| format!("GCP project {project}"));
                let what = match g.action.as_str() {
                    "roles/owner" | "roles/editor" | "roles/viewer" => EVERYTHING.to_string(),
                    role => match role.strip_prefix("roles/") {
                        Some(predefined) => predefined
                            .split('.')
                            .next()
                            .unwrap_or(predefined)
                            .to_string(),
                        None => role.to_string(),
                    },
                };
                let level = highest.entry((scope, what)).or_insert(g.access_level);
                *level = (*level).max(g.access_level);
            }
            for ((scope, what), level) in highest {
                out.push((Domain { scope, what }, level));
            }
        }
        provider => {
            if let Some(level) = i.access_level.filter(|l| *l >= AccessLevel::Write) {
                out.push((
                    Domain {
                        scope: if provider == "github" {
                            GITHUB.into()
                        } else {
                            provider.to_string()
                        },
                        what: i.kind.to_string(),
                    },
                    level,
                ));
            }
        }
    }
    out
}

/// Where a Google Cloud grant applies, by its resource: the organisation, folder or
/// project it is on (`//cloudresourcemanager.googleapis.com/folders/F`), or the
/// project a service account is in; `None` for other resources (the holder's project).
fn gcp_scope(resource: &str) -> Option<String> {
    let rest = resource
        .strip_prefix("//cloudresourcemanager.googleapis.com/")
        .or_else(|| resource.strip_prefix("//iam.googleapis.com/"))?;
    let mut parts = rest.split('/');
    let (kind, id) = (
        parts.next()?,
        parts.next().filter(|i| !i.is_empty() && *i != "-")?,
    );
    Some(match kind {
        "organizations" => format!("GCP organization {id}"),
        "folders" => format!("GCP folder {id}"),
        "projects" => format!("GCP project {id}"),
        _ => return None,
    })
}

/// The account of `aws:arn:aws:iam::ACCOUNT:…`, `aws-admin:ACCOUNT` and the like.
fn aws_account(id: &str) -> &str {
    if let Some(arn) = id.strip_prefix("aws:") {
        return arn.split(':').nth(4).unwrap_or("");
    }
    id.rsplit(':').next().unwrap_or("")
}

/// A workflow token's repository: the folder that holds `.github/workflows/`.
fn github_scope(id: &str) -> Option<String> {
    let rest = id.strip_prefix("github-token:")?;
    let (root, _) = rest.split_once(".github/workflows/")?;
    let root = root.trim_end_matches('/');
    Some(format!(
        "repository {}",
        if root.is_empty() { "." } else { root }
    ))
}

/// Capability levels as bits: bit `domain * LEVELS + (level - Read)`.
const LEVELS: usize = 4;

fn bit_of(domain: u32, level: AccessLevel) -> Option<usize> {
    let l = match level {
        AccessLevel::Read => 0,
        AccessLevel::Write => 1,
        AccessLevel::PermissionsManagement => 2,
        AccessLevel::Admin => 3,
        AccessLevel::None | AccessLevel::List => return None,
    };
    Some(domain as usize * LEVELS + l)
}

fn level_of_bit(bit: usize) -> AccessLevel {
    [
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
        AccessLevel::Admin,
    ][bit % LEVELS]
}

/// A fixed-width set of capability bits, stored for every strongly connected component.
struct Bits {
    words: usize,
    data: Vec<u64>,
}

impl Bits {
    fn new(rows: usize, bits: usize) -> Self {
        let words = bits.div_ceil(64).max(1);
        Bits {
            words,
            data: vec![0; rows * words],
        }
    }
    fn row(&self, r: usize) -> &[u64] {
        &self.data[r * self.words..(r + 1) * self.words]
    }
    fn set(&mut self, r: usize, bit: usize) {
        self.data[r * self.words + bit / 64] |= 1 << (bit % 64);
    }
    /// `row[to] |= row[from]`.
    fn or_into(&mut self, to: usize, from: usize) {
        let w = self.words;
        for i in 0..w {
            let v = self.data[from * w + i];
            self.data[to * w + i] |= v;
        }
    }
}

fn set_bits(row: &[u64]) -> impl Iterator<Item = usize> + '_ {
    row.iter().enumerate().flat_map(|(i, &w)| {
        let mut w = w;
        std::iter::from_fn(move || {
            if w == 0 {
                return None;
            }
            let b = w.trailing_zeros() as usize;
            w &= w - 1;
            Some(i * 64 + b)
        })
    })
}

/// Strongly connected components (Tarjan, iterative): the component of every node, and
/// the number of components. Components are numbered in reverse topological order:
/// every edge leads to a component with a number no larger than its own.
fn components(
    n: usize,
    out_start: &[u32],
    out: &[u32],
    edges: &[(NodeId, NodeId, &str, &str)],
) -> (Vec<u32>, usize) {
    let mut index = vec![NONE; n];
    let mut low = vec![0u32; n];
    let mut comp = vec![NONE; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut call: Vec<(u32, u32)> = Vec::new();
    let (mut next_index, mut count) = (0u32, 0usize);
    for root in 0..n as u32 {
        if index[root as usize] != NONE {
            continue;
        }
        call.push((root, out_start[root as usize]));
        index[root as usize] = next_index;
        low[root as usize] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        while let Some(&mut (v, ref mut at)) = call.last_mut() {
            if *at < out_start[v as usize + 1] {
                let w = edges[out[*at as usize] as usize].1;
                *at += 1;
                if index[w as usize] == NONE {
                    index[w as usize] = next_index;
                    low[w as usize] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w as usize] = true;
                    call.push((w, out_start[w as usize]));
                } else if on_stack[w as usize] {
                    low[v as usize] = low[v as usize].min(index[w as usize]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent as usize] = low[parent as usize].min(low[v as usize]);
            }
            if low[v as usize] == index[v as usize] {
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    comp[w as usize] = count as u32;
                    if w == v {
                        break;
                    }
                }
                count += 1;
            }
        }
    }
    (comp, count)
}

/// One start's best gain in one scope, whose path is still to be found.
struct Request {
    start: NodeId,
    domain: u32,
    level: AccessLevel,
    /// Every capability gained in the scope: (domain, level, what the start holds).
    gained: Vec<(u32, AccessLevel, AccessLevel)>,
}

/// What an agent can do through every path, itself included.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub agent: String,
    /// The highest level reached.
    pub level: AccessLevel,
    /// `write on contents in GitHub`, `read on s3 in AWS account 1111…`, `write tools`:
    /// the highest level per domain, most powerful first (at most [`MAX_LISTED`], then a
    /// count of the rest).
    pub capabilities: Vec<String>,
}

/// The chains, and every agent's effective access.
pub struct GraphAnalysis {
    pub chains: Vec<Chain>,
    pub effective: Vec<Effective>,
}

pub fn find_chains(inv: &Inventory) -> Vec<Chain> {
    analyse_graph(inv).chains
}

pub fn analyse_graph(inv: &Inventory) -> GraphAnalysis {
    let g = build(inv);
    let starts = starts(&g);
    let reach = Reach::of(&g);
    let scopes = Scopes::of(&g);
    let mut requests: Vec<Request> = Vec::new();
    let mut own: HashMap<u32, AccessLevel> = HashMap::new();
    for &s in &starts {
        start_requests(&g, &reach, &scopes, s, &mut own, &mut requests);
    }
    let mut chains = search(&g, &requests);
    chains.sort_by(|a, b| (&a.agent, &a.target).cmp(&(&b.agent, &b.target)));
    let effective = (0..g.ids.len())
        .filter(|&v| g.is_agent[v])
        .map(|v| effective(&g, &reach, v))
        .collect();
    GraphAnalysis { chains, effective }
}

/// Starts: every agent with an outgoing hop, and principals no agent holds (`--scope
/// all`); those an agent holds are covered by that agent's chains.
fn starts(g: &Graph<'_>) -> Vec<NodeId> {
    let n = g.ids.len();
    let mut held = vec![false; n];
    for tos in g.holds.values() {
        for &t in tos {
            held[t as usize] = true;
        }
    }
    (0..n as NodeId)
        .filter(|&s| g.has_out[s as usize] && (g.is_agent[s as usize] || !held[s as usize]))
        .collect()
}

/// What every node reaches, per strongly connected component: its members'
/// capabilities and those of the components after it.
struct Reach {
    /// The component of every node.
    comp: Vec<u32>,
    /// A row per component, a bit per (domain, level).
    bits: Bits,
}

impl Reach {
    /// Linear in the graph times the bitset width.
    fn of(g: &Graph<'_>) -> Self {
        let n = g.ids.len();
        let (out_start, out) = forward(g);
        let (comp, count) = components(n, &out_start, &out, &g.edges);
        let mut members: Vec<Vec<NodeId>> = vec![Vec::new(); count];
        for v in 0..n {
            members[comp[v] as usize].push(v as NodeId);
        }
        let mut reach = Bits::new(count, g.domains.len() * LEVELS);
        for (c, list) in members.iter().enumerate() {
            for &v in list {
                for &(d, l) in &g.caps[v as usize] {
                    if let Some(b) = bit_of(d, l) {
                        reach.set(c, b);
                    }
                }
                for k in out_start[v as usize]..out_start[v as usize + 1] {
                    let to = comp[g.edges[out[k as usize] as usize].1 as usize] as usize;
                    if to != c {
                        reach.or_into(c, to);
                    }
                }
            }
        }
        Reach { comp, bits: reach }
    }

    /// The highest level `v` reaches per domain.
    fn best(&self, v: NodeId) -> BTreeMap<u32, AccessLevel> {
        let mut best: BTreeMap<u32, AccessLevel> = BTreeMap::new();
        for bit in set_bits(self.bits.row(self.comp[v as usize] as usize)) {
            let slot = best
                .entry((bit / LEVELS) as u32)
                .or_insert(AccessLevel::None);
            *slot = (*slot).max(level_of_bit(bit));
        }
        best
    }
}

/// Forward adjacency (edge indices by source), for the components: the edges of `v`
/// are `out[out_start[v]..out_start[v + 1]]`.
fn forward(g: &Graph<'_>) -> (Vec<u32>, Vec<u32>) {
    let n = g.ids.len();
    let mut out_start = vec![0u32; n + 1];
    for &(from, _, _, _) in &g.edges {
        out_start[from as usize + 1] += 1;
    }
    for i in 1..=n {
        out_start[i] += out_start[i - 1];
    }
    let mut fill = out_start.clone();
    let mut out = vec![0u32; g.edges.len()];
    for (k, &(from, _, _, _)) in g.edges.iter().enumerate() {
        out[fill[from as usize] as usize] = k as u32;
        fill[from as usize] += 1;
    }
    (out_start, out)
}

/// The scope of every domain, and the domain standing for a whole scope.
struct Scopes {
    scope_of: Vec<u32>,
    everything: HashMap<u32, u32>,
}

impl Scopes {
    fn of(g: &Graph<'_>) -> Self {
        let mut scope_ids: HashMap<&str, u32> = HashMap::new();
        let scope_of: Vec<u32> = g
            .domains
            .iter()
            .map(|d| {
                let next = scope_ids.len() as u32;
                *scope_ids.entry(d.scope.as_str()).or_insert(next)
            })
            .collect();
        let mut everything: HashMap<u32, u32> = HashMap::new();
        for (i, d) in g.domains.iter().enumerate() {
            if d.what == EVERYTHING {
                everything.insert(scope_of[i], i as u32);
            }
        }
        Scopes {
            scope_of,
            everything,
        }
    }
}

/// What start `s` gains in each scope (what it reaches above what it and what it holds
/// have), with the best gain to explain: one request per scope, pushed to `out`. `own`
/// is scratch space, kept between starts.
fn start_requests(
    g: &Graph<'_>,
    reach: &Reach,
    scopes: &Scopes,
    s: NodeId,
    own: &mut HashMap<u32, AccessLevel>,
    out: &mut Vec<Request>,
) {
    own.clear();
    let mine = std::iter::once(s).chain(g.holds.get(&s).into_iter().flatten().copied());
    for v in mine {
        for &(d, l) in &g.caps[v as usize] {
            let slot = own.entry(d).or_insert(AccessLevel::None);
            *slot = (*slot).max(l);
        }
    }
    let own_of = |d: u32| -> AccessLevel {
        let whole = scopes
            .everything
            .get(&scopes.scope_of[d as usize])
            .and_then(|w| own.get(w))
            .copied()
            .unwrap_or(AccessLevel::None);
        own.get(&d).copied().unwrap_or(AccessLevel::None).max(whole)
    };
    // One chain per start and scope: an AWS account, GitHub, an agent's tools.
    let mut by_scope: BTreeMap<u32, Vec<(u32, AccessLevel, AccessLevel)>> = BTreeMap::new();
    for (d, level) in reach.best(s) {
        let mine = own_of(d);
        if level > mine {
            by_scope
                .entry(scopes.scope_of[d as usize])
                .or_default()
                .push((d, level, mine));
        }
    }
    out.extend(
        by_scope
            .into_values()
            .map(|gained| best_gain(g, scopes, s, gained)),
    );
}

/// The request for one scope's gains: every service of an account at admin covers the
/// account's other gains; the highest level is explained, the weightiest domain first.
fn best_gain(
    g: &Graph<'_>,
    scopes: &Scopes,
    start: NodeId,
    mut gained: Vec<(u32, AccessLevel, AccessLevel)>,
) -> Request {
    let scope_of = &scopes.scope_of;
    let whole: Vec<u32> = gained
        .iter()
        .filter(|x| g.domains[x.0 as usize].what == EVERYTHING && x.1 == AccessLevel::Admin)
        .map(|x| scope_of[x.0 as usize])
        .collect();
    gained.retain(|x| {
        g.domains[x.0 as usize].what == EVERYTHING || !whole.contains(&scope_of[x.0 as usize])
    });
    let &(domain, level, _) = gained
        .iter()
        .max_by_key(|(d, l, _)| {
            (
                *l,
                std::cmp::Reverse(weight(&g.domains[*d as usize].what)),
                std::cmp::Reverse(*d),
            )
        })
        .expect("a scope with gains");
    Request {
        start,
        domain,
        level,
        gained,
    }
}

/// One multi-source breadth-first search over the reversed edges per capability level
/// some start needs explained: from every node that has it, so each start finds its
/// shortest path to the nearest one. Returns the chains explained, by target.
fn search(g: &Graph<'_>, requests: &[Request]) -> Vec<Chain> {
    let n = g.ids.len();
    let mut by_target: BTreeMap<(u32, AccessLevel), Vec<usize>> = BTreeMap::new();
    for (i, r) in requests.iter().enumerate() {
        by_target.entry((r.domain, r.level)).or_default().push(i);
    }
    let mut next_edge = vec![NONE; n];
    let mut seen = vec![0u32; n];
    let mut stamp = 0u32;
    let mut queue: Vec<NodeId> = Vec::with_capacity(n);
    let mut chains = Vec::with_capacity(requests.len());
    for ((d, level), wanted) in by_target {
        stamp += 1;
        queue.clear();
        for (v, caps) in g.caps.iter().enumerate() {
            if caps.iter().any(|&(x, l)| x == d && l >= level) {
                seen[v] = stamp;
                next_edge[v] = NONE;
                queue.push(v as NodeId);
            }
        }
        let mut head = 0;
        while head < queue.len() {
            let v = queue[head] as usize;
            head += 1;
            for &k in &g.rev[g.rev_start[v] as usize..g.rev_start[v + 1] as usize] {
                let from = g.edges[k as usize].0 as usize;
                if seen[from] != stamp {
                    seen[from] = stamp;
                    next_edge[from] = k;
                    queue.push(from as NodeId);
                }
            }
        }
        for i in wanted {
            let r = &requests[i];
            let via = path(g, &next_edge, &seen, stamp, r.start);
            chains.push(explain(g, r, &via));
        }
    }
    chains
}

/// The edges from `start` to the search's nearest target, by the search's marks.
fn path(g: &Graph<'_>, next_edge: &[u32], seen: &[u32], stamp: u32, start: NodeId) -> Vec<u32> {
    let mut via = Vec::new();
    let mut at = start;
    while next_edge[at as usize] != NONE && seen[at as usize] == stamp {
        let k = next_edge[at as usize];
        via.push(k);
        at = g.edges[k as usize].1;
    }
    via
}

/// What agent `v` can do through every path: the highest level per domain, most
/// powerful first, in words.
fn effective(g: &Graph<'_>, reach: &Reach, v: usize) -> Effective {
    let mut list: Vec<(u32, AccessLevel)> = reach.best(v as NodeId).into_iter().collect();
    list.sort_by_key(|&(d, l)| {
        let d = &g.domains[d as usize];
        (
            std::cmp::Reverse(l),
            weight(&d.what),
            d.scope.as_str(),
            d.what.as_str(),
        )
    });
    let mut capabilities: Vec<String> = list
        .iter()
        .take(MAX_LISTED)
        .map(|&(d, l)| capability(&g.domains[d as usize], l))
        .collect();
    if list.len() > MAX_LISTED {
        capabilities.push(format!("… and {} more", list.len() - MAX_LISTED));
    }
    Effective {
        agent: g.ids[v].to_string(),
        level: list.first().map_or(AccessLevel::None, |x| x.1),
        capabilities,
    }
}

/// A capability in words: `write on contents in GitHub`, `write tools`, …
fn capability(d: &Domain, l: AccessLevel) -> String {
    match (d.scope.as_str(), d.what.as_str()) {
        ("agent tools", _) => format!("{} tools", l.as_str()),
        (scope, EVERYTHING) => format!("{} on every service in {scope}", l.as_str()),
        (scope, what) => format!("{} on {what} in {scope}", l.as_str()),
    }
}

fn explain(g: &Graph<'_>, r: &Request, via: &[u32]) -> Chain {
    let mut path = vec![r.start];
    path.extend(via.iter().map(|&k| g.edges[k as usize].1));
    let target = *path.last().expect("a path has a node");
    let hops = via
        .iter()
        .map(|&k| g.edges[k as usize].2.to_string())
        .collect();
    let hop_kinds = via.iter().map(|&k| g.edges[k as usize].3).collect();
    let scope = g.domains[r.domain as usize].scope.as_str();
    let tools = scope == "agent tools";
    let scopes: std::collections::BTreeSet<&str> = r
        .gained
        .iter()
        .map(|(d, _, _)| g.domains[*d as usize].scope.as_str())
        .collect();

    let mut gained = r.gained.clone();
    gained.sort_by_key(|(d, l, _)| {
        (
            std::cmp::Reverse(*l),
            weight(&g.domains[*d as usize].what),
            g.domains[*d as usize].what.as_str(),
        )
    });
    let what = |d: u32| {
        let w = g.domains[d as usize].what.as_str();
        if w == EVERYTHING { "every service" } else { w }
    };
    let mut capabilities: Vec<String> = gained
        .iter()
        .take(MAX_LISTED)
        .map(|&(d, l, _)| {
            if tools {
                format!("{} tools", l.as_str())
            } else if scopes.len() > 1 {
                format!(
                    "{} on {} in {}",
                    l.as_str(),
                    what(d),
                    g.domains[d as usize].scope
                )
            } else {
                format!("{} on {}", l.as_str(), what(d))
            }
        })
        .collect();
    if gained.len() > MAX_LISTED {
        capabilities.push(format!("… and {} more", gained.len() - MAX_LISTED));
    }
    // What the node at the end of the path holds itself, in words; the rest came from
    // other nodes of the same scope.
    let at_target: Vec<&(u32, AccessLevel, AccessLevel)> = gained
        .iter()
        .filter(|(d, l, _)| {
            g.caps[target as usize]
                .iter()
                .any(|(x, y)| x == d && y >= l)
        })
        .collect();
    let target_scope = at_target
        .first()
        .map_or(scope, |(d, _, _)| g.domains[*d as usize].scope.as_str());
    // A workflow token names its repository.
    let target_repo = github_scope(g.ids[target as usize]);
    let target_scope = target_repo.as_deref().unwrap_or(target_scope);
    let mut phrase = String::new();
    let mut last_level = None;
    let shown = at_target.len().min(5);
    for (i, (d, l, _)) in at_target.iter().take(shown).enumerate() {
        if tools {
            phrase = format!("{} tools", l.as_str());
            break;
        }
        if last_level == Some(*l) {
            phrase.push_str(", ");
        } else {
            if i > 0 {
                phrase.push_str("; ");
            }
            phrase.push_str(l.as_str());
            phrase.push_str(" on ");
            last_level = Some(*l);
        }
        phrase.push_str(what(*d));
    }
    if at_target.len() > shown {
        phrase.push_str(&format!(" and {} more", at_target.len() - shown));
    }
    if !tools {
        phrase.push_str(&format!(" in {target_scope}"));
    }
    let mut gains = format!("{phrase} through {}", through_name(g, &path));
    let elsewhere = gained.len() - at_target.len();
    if elsewhere > 0 {
        let other_scopes = scopes.iter().filter(|s| **s != target_scope).count();
        let place = match other_scopes {
            0 => "there".to_string(),
            n => format!("in {n} other {}", if n == 1 { "scope" } else { "scopes" }),
        };
        gains.push_str(&format!(
            " (and {elsewhere} more capabilities {place} through other paths)"
        ));
    }
    Chain {
        agent: g.ids[r.start as usize].to_string(),
        start_kind: if g.is_agent[r.start as usize] {
            ChainStart::Agent
        } else if g.ids[r.start as usize] == OUTSIDE {
            ChainStart::Outside
        } else {
            ChainStart::Identity
        },
        target: g.ids[target as usize].to_string(),
        path: path
            .iter()
            .map(|&v| g.ids[v as usize].to_string())
            .collect(),
        hops,
        hop_kinds,
        from_level: gained
            .iter()
            .map(|x| x.2)
            .max()
            .unwrap_or(AccessLevel::None),
        to_level: r.level,
        gains,
        capabilities,
    }
}

/// At most this many gained capabilities are listed in a chain; the rest are counted.
const MAX_LISTED: usize = 40;

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
    #[test]
    fn a_gcp_grant_applies_where_its_binding_is() {
        use super::gcp_scope;
        let rm = "//cloudresourcemanager.googleapis.com";
        assert_eq!(
            gcp_scope(&format!("{rm}/organizations/1")).as_deref(),
            Some("GCP organization 1")
        );
        assert_eq!(
            gcp_scope(&format!("{rm}/folders/7")).as_deref(),
            Some("GCP folder 7")
        );
        assert_eq!(
            gcp_scope(&format!("{rm}/projects/tools")).as_deref(),
            Some("GCP project tools")
        );
        assert_eq!(
            gcp_scope("//iam.googleapis.com/projects/tools/serviceAccounts/a@tools.iam.gserviceaccount.com").as_deref(),
            Some("GCP project tools")
        );
        // A service agent's `-` project, and resources named otherwise, say nothing.
        assert_eq!(
            gcp_scope("//iam.googleapis.com/projects/-/serviceAccounts/x"),
            None
        );
        assert_eq!(gcp_scope("//storage.googleapis.com/bucket"), None);
    }

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
        let mut role = Identity::new(arn(name), "aws-role", "aws", name);
        role.facts.insert(
            "aws".to_string(),
            json!({"account": "111122223333", "services": services}),
        );
        role
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
    fn a_huge_fan_out_gives_one_chain_per_start() {
        let mut inv = Inventory::default();
        inv.agents.push(agent("hub", "read"));
        for i in 0..5_000 {
            let id = format!("leaf{i}");
            inv.agents
                .push(agent(&id, if i == 4_321 { "write" } else { "read" }));
            inv.edges.push(edge(EdgeKind::Delegates, "hub", &id));
            // Every leaf can hand back to the hub: one big cycle.
            inv.edges.push(edge(EdgeKind::Delegates, &id, "hub"));
        }
        let chains = find_chains(&inv);
        let hub: Vec<_> = chains.iter().filter(|c| c.agent == "hub").collect();
        assert_eq!(hub.len(), 1);
        assert_eq!(hub[0].path, vec!["hub", "leaf4321"]);
        // Each other leaf gains through the hub, in two hops.
        let leaf = chains.iter().find(|c| c.agent == "leaf7").unwrap();
        assert_eq!(leaf.path, vec!["leaf7", "hub", "leaf4321"]);
        assert_eq!(chains.len(), 5_000, "every start but the writer itself");
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

    /// a → b → c ⇄ d, with only d able to write tools (reading them is no capability);
    /// e stands alone.
    fn line() -> Inventory {
        let mut inv = Inventory::default();
        for (id, tools) in [
            ("a", "none"),
            ("b", "read"),
            ("c", "none"),
            ("d", "write"),
            ("e", "read"),
        ] {
            inv.agents.push(agent(id, tools));
        }
        for (from, to) in [("a", "b"), ("b", "c"), ("c", "d"), ("d", "c")] {
            inv.edges.push(edge(EdgeKind::Delegates, from, to));
        }
        inv
    }

    fn node(g: &Graph<'_>, id: &str) -> NodeId {
        g.ids.iter().position(|x| *x == id).unwrap() as NodeId
    }

    #[test]
    fn starts_and_what_each_reaches() {
        let inv = line();
        let g = build(&inv);
        let names = |list: &[NodeId]| list.iter().map(|&v| g.ids[v as usize]).collect::<Vec<_>>();
        assert_eq!(names(&starts(&g)), ["a", "b", "c", "d"]);
        let (out_start, out) = forward(&g);
        let a = node(&g, "a") as usize;
        let edges: Vec<u32> = out[out_start[a] as usize..out_start[a + 1] as usize].to_vec();
        assert_eq!(edges.len(), 1);
        assert_eq!(g.edges[edges[0] as usize].1, node(&g, "b"));
        let reach = Reach::of(&g);
        // c and d are one component: they reach the same.
        assert_eq!(
            reach.comp[node(&g, "c") as usize],
            reach.comp[node(&g, "d") as usize]
        );
        let levels = |id: &str| reach.best(node(&g, id)).into_values().collect::<Vec<_>>();
        assert_eq!(levels("a"), [AccessLevel::Write]);
        assert!(levels("e").is_empty());
    }

    #[test]
    fn one_request_per_scope_and_its_path() {
        let inv = line();
        let g = build(&inv);
        let (reach, scopes) = (Reach::of(&g), Scopes::of(&g));
        let mut requests = Vec::new();
        let mut own = HashMap::new();
        start_requests(&g, &reach, &scopes, node(&g, "b"), &mut own, &mut requests);
        start_requests(&g, &reach, &scopes, node(&g, "d"), &mut own, &mut requests);
        assert_eq!(requests.len(), 1, "d already writes: nothing to gain");
        let r = &requests[0];
        assert_eq!((r.start, r.level), (node(&g, "b"), AccessLevel::Write));
        assert_eq!(
            r.gained,
            [(r.domain, AccessLevel::Write, AccessLevel::None)]
        );
        let chains = search(&g, &requests);
        assert_eq!(chains.len(), 1);
        assert_eq!(chains[0].path, ["b", "c", "d"]);
    }

    #[test]
    fn effective_access_in_words() {
        let inv = line();
        let g = build(&inv);
        let e = effective(&g, &Reach::of(&g), node(&g, "a") as usize);
        assert_eq!(e.agent, "a");
        assert_eq!(e.level, AccessLevel::Write);
        assert_eq!(e.capabilities, ["write tools"]);
        let d = |scope: &str, what: &str| Domain {
            scope: scope.into(),
            what: what.into(),
        };
        assert_eq!(
            capability(&d("AWS account 1", EVERYTHING), AccessLevel::Admin),
            "admin on every service in AWS account 1"
        );
        assert_eq!(
            capability(&d(GITHUB, "contents"), AccessLevel::Write),
            "write on contents in GitHub"
        );
    }
}
