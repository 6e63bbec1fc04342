//! The facts each rule subject is judged on, as the JSON the conditions read.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::{Value, json};

use super::chains::{Chain, direct_levels};
use crate::model::{
    Agent, ChainStart, Credential, EdgeKind, Identity, Inventory, Location, SubjectKind,
};

/// One thing to judge: its kind, its facts, and what a finding about it points at.
pub struct SubjectFacts<'a> {
    pub kind: SubjectKind,
    /// The subject's variables (`credential`, `identity`, `chain`, …, `config`): built
    /// once per subject and shared by the judgements for each agent that holds it.
    pub context: Rc<Value>,
    /// The `agent` variable: the facts of the agent it is judged for, shared by all of
    /// that agent's subjects (so they are built, and converted for CEL, once).
    pub agent_facts: Option<&'a Value>,
    /// The identity, credential or agent id the finding is about.
    pub subject: String,
    pub agent: Option<String>,
    pub locations: Vec<Location>,
    pub path: Vec<String>,
    /// Kept by `--scope agents`: held by an agent, or an AI provider key wherever it
    /// lies (only an AI workload holds one).
    pub in_agent_scope: bool,
}

/// Providers whose keys only an AI workload would hold.
const AI_PROVIDERS: &[&str] = &[
    "openai",
    "anthropic",
    "google",
    "groq",
    "huggingface",
    "mistral",
    "cohere",
    "deepseek",
    "openrouter",
    "xai",
    "together",
    "replicate",
    "fireworks",
    "minimax",
    "dashscope",
    "moonshot",
    "zhipu",
    "aws-bedrock",
    "azure-openai",
    "devin",
    "amp",
    "cursor",
    "continue",
    "jules",
    "coderabbit",
    "qodo",
];

/// Whether keys of `provider` are ones only an AI workload would hold.
pub(crate) fn is_ai_provider(provider: &str) -> bool {
    AI_PROVIDERS.contains(&provider)
}

/// Kinds whose material lives until revoked, whatever holds the reference to it.
fn is_long_lived_kind(kind: &str) -> bool {
    !matches!(
        kind,
        "github-token"
            | "github-app-installation-token"
            | "github-user-token"
            | "aws-session-token"
            | "aws-temporary-access-key-id"
            | "oidc"
    )
}

/// Hands every subject to `emit`, one at a time: contexts are built, judged and dropped,
/// so memory does not grow with the number of subjects. With `agents_only` (the
/// default `--scope agents`), subjects no agent holds are not built at all: no finding
/// about them would be kept.
pub fn for_each_subject(
    inv: &Inventory,
    chains: &[Chain],
    config: &Value,
    agents_only: bool,
    emit: &mut dyn FnMut(SubjectFacts<'_>),
) {
    let levels = direct_levels(inv);
    let agent_ctx: BTreeMap<&str, Value> = inv
        .agents
        .iter()
        .map(|a| (a.id.as_str(), agent_facts(inv, a, &levels)))
        .collect();
    let config_only = Rc::new(json!({ "config": config }));
    for agent in &inv.agents {
        emit(SubjectFacts {
            kind: SubjectKind::Agent,
            context: Rc::clone(&config_only),
            agent_facts: agent_ctx.get(agent.id.as_str()),
            subject: agent.id.clone(),
            agent: Some(agent.id.clone()),
            locations: agent.locations.clone(),
            path: Vec::new(),
            in_agent_scope: true,
        });
    }

    for cred in &inv.credentials {
        let identity = cred.identity.as_deref().and_then(|i| inv.identity(i));
        let holders: Vec<&str> = identity
            .map(|i| i.agents.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let facts = credential_facts(inv, cred, identity, &holders);
        let context = Rc::new(
            json!({ "credential": facts, "identity": identity_facts(identity), "config": config }),
        );
        let cred_targets: Vec<&str> = std::iter::once(cred.id.as_str())
            .chain(cred.identity.as_deref())
            .collect();
        let ai_key = AI_PROVIDERS.contains(&cred.provider.as_str());
        for_each_holder(&holders, &agent_ctx, |agent_id, agent| {
            emit(SubjectFacts {
                kind: SubjectKind::Credential,
                context: Rc::clone(&context),
                agent_facts: agent,
                subject: cred.id.clone(),
                agent: agent_id.map(str::to_string),
                locations: where_held(inv, &cred.locations, agent_id, &cred_targets),
                path: Vec::new(),
                in_agent_scope: agent_id.is_some() || ai_key,
            });
        });
    }

    for identity in &inv.identities {
        let holders: Vec<&str> = identity.agents.iter().map(String::as_str).collect();
        // An identity agent clients acted as, which no agent holds: an agent unknown.
        let acted_by_agents = identity
            .facts
            .get("activity")
            .is_some_and(|a| a["agent_clients"].as_array().is_some_and(|c| !c.is_empty()));
        if agents_only && holders.is_empty() && !acted_by_agents {
            continue;
        }
        let context =
            Rc::new(json!({ "identity": identity_facts(Some(identity)), "config": config }));
        for_each_holder(&holders, &agent_ctx, |agent_id, agent| {
            emit(SubjectFacts {
                kind: SubjectKind::Identity,
                context: Rc::clone(&context),
                agent_facts: agent,
                subject: identity.id.clone(),
                agent: agent_id.map(str::to_string),
                locations: where_held(inv, &identity.locations, agent_id, &[identity.id.as_str()]),
                path: Vec::new(),
                in_agent_scope: agent_id.is_some() || acted_by_agents,
            });
        });
    }

    // Grants come sorted by identity, chains by start: one identity's facts serve a run.
    let mut last = LastIdentity::default();
    for grant in &inv.grants {
        let identity = inv.identity(&grant.identity);
        let holders: Vec<&str> = identity
            .map(|i| i.agents.iter().map(String::as_str).collect())
            .unwrap_or_default();
        if agents_only && holders.is_empty() {
            continue;
        }
        let context =
            Rc::new(json!({ "grant": grant, "identity": last.facts(identity), "config": config }));
        for_each_holder(&holders, &agent_ctx, |agent_id, agent| {
            emit(SubjectFacts {
                kind: SubjectKind::Grant,
                context: Rc::clone(&context),
                agent_facts: agent,
                subject: grant.identity.clone(),
                agent: agent_id.map(str::to_string),
                locations: grant.location.iter().cloned().collect(),
                path: Vec::new(),
                in_agent_scope: agent_id.is_some(),
            });
        });
    }

    for chain in chains {
        // A chain from the outside is the first agent's on its path: the one steered.
        let agent_of_chain = match chain.start_kind {
            ChainStart::Agent => Some(chain.agent.as_str()),
            ChainStart::Outside => chain.path.get(1).map(String::as_str),
            ChainStart::Identity => None,
        };
        if agents_only && agent_of_chain.is_none() {
            continue;
        }
        let mut locations: Vec<Location> = Vec::new();
        for id in &chain.path {
            if let Some(a) = inv.agent(id) {
                locations.extend(a.locations.iter().take(1).cloned());
            } else if let Some(i) = inv.identity(id) {
                locations.extend(i.locations.iter().take(1).cloned());
            }
        }
        locations.dedup();
        emit(SubjectFacts {
            kind: SubjectKind::Chain,
            context: Rc::new(json!({
                "chain": {
                    "agent": chain.agent, "start_kind": chain.start_kind, "target": chain.target, "path": chain.path,
                    "hops": chain.hops, "hop_kinds": chain.hop_kinds, "length": chain.path.len().saturating_sub(1),
                    "from_level": chain.from_level, "to_level": chain.to_level,
                    "gains": chain.gains, "capabilities": chain.capabilities,
                    "target_name": inv.agent(&chain.target).map(|a| a.name.clone()).or_else(|| inv.identity(&chain.target).map(|i| i.name.clone())),
                    "start_name": inv.agent(&chain.agent).map(|a| a.name.clone()).or_else(|| inv.identity(&chain.agent).map(|i| i.name.clone())).or_else(|| (chain.start_kind == ChainStart::Outside).then(|| crate::analysis::exposure::OUTSIDE_NAME.to_string())),
                },
                "identity": last.facts(inv.identity(&chain.agent)),
                "config": config,
            })),
            agent_facts: agent_of_chain.and_then(|a| agent_ctx.get(a)),
            subject: chain.target.clone(),
            agent: agent_of_chain.map(str::to_string),
            locations,
            path: chain.path.clone(),
            in_agent_scope: agent_of_chain.is_some(),
        });
    }

    for change in &inv.changes {
        let mut facts = serde_json::to_value(change).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut facts {
            m.insert(
                "short_commit".into(),
                json!(change.commit.get(..7).unwrap_or(&change.commit)),
            );
            m.insert(
                "date".into(),
                json!(change.author_date.get(..10).unwrap_or(&change.author_date)),
            );
        }
        let agent = change.agent.as_deref();
        emit(SubjectFacts {
            kind: SubjectKind::Change,
            context: Rc::new(json!({ "change": facts, "config": config })),
            agent_facts: agent.and_then(|a| agent_ctx.get(a)),
            subject: change.id.clone(),
            agent: agent.map(str::to_string),
            locations: change.location.iter().cloned().collect(),
            path: Vec::new(),
            in_agent_scope: agent.is_some(),
        });
    }
}

/// At most this many places in the holding agent's own config, and this many others.
const MAX_OWN_PLACES: usize = 10;
const MAX_OTHER_PLACES: usize = 4;

/// Where a finding about what an agent holds points: the subject's places in that
/// agent's own config first — only the lines where the agent receives it (its `holds`
/// edges to `targets`, the credential or identity) when those are known — then a few of
/// the other places it appears. Bounded: a key shared by a thousand workflow jobs is not
/// a thousand locations on each job's finding (the sharing is its own finding, and its
/// holders are in the inventory). The first place is the one the fingerprint uses, so
/// it stays what it was before the bound: the agent's own file when the subject is there.
fn where_held(
    inv: &Inventory,
    locations: &[Location],
    agent: Option<&str>,
    targets: &[&str],
) -> Vec<Location> {
    let own = agent
        .and_then(|a| inv.agent(a))
        .and_then(|a| a.locations.first())
        .and_then(Location::path);
    // `locations` is sorted (files by path and line, then URIs): the agent's own file is
    // one run of it, found by binary search, so this costs the same for 1 or 10,000.
    fn key(l: &Location) -> (bool, Option<&str>, u32) {
        (l.path().is_none(), l.path(), l.line())
    }
    let (lo, hi) = match own {
        Some(p) => (
            locations.partition_point(|l| key(l) < (false, Some(p), 0)),
            locations.partition_point(|l| key(l) <= (false, Some(p), u32::MAX)),
        ),
        None => (0, 0),
    };
    let mine = &locations[lo..hi];
    let mut at_held: Vec<&Location> = Vec::new();
    if let Some(agent) = agent {
        for e in edges_from(inv, EdgeKind::Holds, agent) {
            let Some((p, line)) = e
                .location
                .as_ref()
                .and_then(|l| Some((l.path()?, l.line())))
            else {
                continue;
            };
            if !targets.contains(&e.to.as_str()) || Some(p) != own {
                continue;
            }
            let at = mine.partition_point(|l| l.line() < line);
            at_held.extend(mine[at..].iter().take_while(|l| l.line() == line));
        }
    }
    at_held.sort();
    at_held.dedup();
    let own_places: Vec<&Location> = if at_held.is_empty() {
        mine.iter().collect()
    } else {
        at_held
    };
    let others = locations[..lo].iter().chain(&locations[hi..]);
    own_places
        .into_iter()
        .take(MAX_OWN_PLACES)
        .chain(others.take(MAX_OTHER_PLACES))
        .cloned()
        .collect()
}

/// Drops the lists that grow with the inventory (where a subject appears, which agents
/// hold it) from facts rules see, leaving their counts. A key shared by a thousand
/// workflow jobs is judged once per job; with those lists in its facts each judgement
/// would cost a thousand. Findings point at places through [`where_held`] instead.
fn unlisted(m: &mut serde_json::Map<String, Value>) {
    for (list, count) in [("locations", "location_count"), ("agents", "holder_count")] {
        if let Some(Value::Array(a)) = m.remove(list) {
            m.insert(count.into(), json!(a.len()));
        }
    }
}

/// An identity's facts as rules see them (see [`unlisted`]).
/// The facts of the identity asked for last, kept for the next subject of the same one.
#[derive(Default)]
struct LastIdentity {
    id: Option<String>,
    facts: Value,
}

impl LastIdentity {
    fn facts(&mut self, identity: Option<&Identity>) -> Value {
        let id = identity.map(|i| i.id.as_str());
        if self.id.as_deref() != id || id.is_none() {
            self.facts = identity_facts(identity);
            self.id = id.map(str::to_string);
        }
        self.facts.clone()
    }
}

fn identity_facts(identity: Option<&Identity>) -> Value {
    let mut v = serde_json::to_value(identity).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        unlisted(m);
    }
    v
}

/// Runs `f` once per holding agent, or once with no agent when nothing holds it.
fn for_each_holder<'a>(
    holders: &[&'a str],
    agents: &'a BTreeMap<&str, Value>,
    mut f: impl FnMut(Option<&'a str>, Option<&'a Value>),
) {
    if holders.is_empty() {
        f(None, None);
    }
    for h in holders {
        f(Some(h), agents.get(h));
    }
}

/// The edges of one kind leaving `from`: a slice of the sorted edge list.
fn edges_from<'i>(inv: &'i Inventory, kind: EdgeKind, from: &str) -> &'i [crate::model::Edge] {
    let start = inv
        .edges
        .partition_point(|e| (e.kind, e.from.as_str()) < (kind, from));
    let end = inv
        .edges
        .partition_point(|e| (e.kind, e.from.as_str()) <= (kind, from));
    &inv.edges[start..end]
}

fn agent_facts(
    inv: &Inventory,
    agent: &Agent,
    levels: &BTreeMap<&str, crate::model::AccessLevel>,
) -> Value {
    let held: Vec<&Identity> = edges_from(inv, EdgeKind::Holds, &agent.id)
        .iter()
        .filter_map(|e| inv.identity(&e.to))
        .collect();
    let identities: Vec<Value> = held
        .iter()
        .map(|i| {
            let cred = i.credentials.first().and_then(|c| inv.credential(c));
            json!({
                "id": i.id, "kind": i.kind, "provider": i.provider, "name": i.name,
                "human": i.human, "access_level": i.access_level,
                "storage": cred.map(|c| c.storage), "lifetime": cred.map(|c| c.lifetime),
            })
        })
        .collect();
    let hardcoded = identities
        .iter()
        .filter(|i| i["storage"] == json!("hardcoded"))
        .count();
    let delegates_to: Vec<&str> = edges_from(inv, EdgeKind::Delegates, &agent.id)
        .iter()
        .map(|e| e.to.as_str())
        .collect();
    let mut v = serde_json::to_value(agent).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("access_level".into(), json!(levels.get(agent.id.as_str())));
        m.insert("identities".into(), Value::Array(identities));
        m.insert("hardcoded_credentials".into(), json!(hardcoded));
        m.insert("delegates_to".into(), json!(delegates_to));
    }
    v
}

fn credential_facts(
    inv: &Inventory,
    cred: &Credential,
    identity: Option<&Identity>,
    holders: &[&str],
) -> Value {
    let mut v = serde_json::to_value(cred).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        unlisted(m);
        m.insert("holder_count".into(), json!(holders.len()));
        // Holders by config: the jobs of one workflow (or the graphs of one LangGraph
        // file) sharing its secret is one owner's choice, not a credential spread
        // across owners.
        let mut configs: Vec<&str> = holders
            .iter()
            .map(|h| {
                inv.agent(h)
                    .and_then(|a| a.facts.get("workflow_file"))
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| h.split_once('#').map_or(*h, |(f, _)| f))
            })
            .collect();
        configs.sort_unstable();
        configs.dedup();
        m.insert("holder_configs".into(), json!(configs.len()));
        m.insert(
            "ai_provider".into(),
            json!(AI_PROVIDERS.contains(&cred.provider.as_str())),
        );
        m.insert(
            "long_lived".into(),
            json!(
                is_long_lived_kind(cred.kind.as_str())
                    && cred.lifetime != crate::model::Lifetime::ShortLived
            ),
        );
        m.insert("human".into(), json!(identity.is_some_and(|i| i.human)));
    }
    v
}
