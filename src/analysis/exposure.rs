//! Who can steer each agent, and the three legs of its exposure: untrusted input (text
//! an outsider writes reaches it), private data (what it can read that an attacker
//! wants), and a way out (it can change things or send data out). All three at once is
//! the "lethal trifecta": whoever writes the input can make the agent send the data out.
//!
//! Before the privilege graph, [`steering`] adds the outside — anyone on the internet,
//! any GitHub user — as a node with a `steers` edge to every agent whose input it can
//! write, so chains start there: "anyone who can open an issue → the triage agent → (its
//! token triggers) the coding agent → its role". After the graph, [`legs`] writes each
//! agent's `facts.exposure` from what it reads and what it reaches.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use crate::model::{
    AccessLevel, Agent, AgentKind, Edge, EdgeKind, IdentityKind, Inventory, Location,
};

/// The node id of the outside: anyone on the internet, any GitHub user.
pub const OUTSIDE: &str = "outside:anyone";

/// How the outside is named in chains and pictures.
pub const OUTSIDE_NAME: &str = "anyone on the internet";

/// The capability strings of the MCP server catalogue (`facts.servers[].capabilities`).
const UNTRUSTED: &str = "untrusted-input";
const PRIVATE: &str = "private-data";
const OUTBOUND: &str = "outbound";

/// One piece of evidence for a leg: a sentence, and where it is written.
struct Why {
    what: String,
    location: Option<Location>,
}

/// Adds a `steers` edge from [`OUTSIDE`] to every agent outsiders can write input to,
/// and records that leg in the agent's `facts.exposure.untrusted_input`.
pub fn steering(inv: &mut Inventory) {
    let mut edges = Vec::new();
    for agent in &mut inv.agents {
        let why = untrusted_input(agent);
        if why.is_empty() {
            continue;
        }
        edges.push(Edge {
            kind: EdgeKind::Steers,
            from: OUTSIDE.into(),
            to: agent.id.clone(),
            evidence: why[0].what.clone(),
            location: why[0].location.clone(),
        });
        let list: Vec<&str> = why.iter().map(|w| w.what.as_str()).collect();
        exposure_of(agent).insert("untrusted_input".into(), json!(list));
    }
    inv.edges.extend(edges);
}

/// After the graph: the private-data and way-out legs, how many legs, and whether all
/// three meet. Agents with no leg get no `exposure` fact.
pub fn legs(inv: &mut Inventory) {
    // What each agent holds, from one pass over the edges.
    let mut holds: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for e in inv.edges.iter().filter(|e| e.kind == EdgeKind::Holds) {
        holds
            .entry(e.from.as_str())
            .or_default()
            .insert(e.to.as_str());
    }
    let none = BTreeSet::new();
    let mut found = Vec::with_capacity(inv.agents.len());
    for agent in &inv.agents {
        let held = holds.get(agent.id.as_str()).unwrap_or(&none);
        found.push((private_data(inv, agent, held), outbound(agent)));
    }
    for (agent, (private, out)) in inv.agents.iter_mut().zip(found) {
        let untrusted = agent
            .facts
            .get("exposure")
            .and_then(|e| e.get("untrusted_input"))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if untrusted == 0 && private.is_empty() && out.is_empty() {
            continue;
        }
        let count = [untrusted, private.len(), out.len()]
            .iter()
            .filter(|n| **n > 0)
            .count();
        let exposure = exposure_of(agent);
        exposure
            .entry("untrusted_input")
            .or_insert_with(|| json!([]));
        exposure.insert("private_data".into(), json!(private));
        exposure.insert("outbound".into(), json!(out));
        exposure.insert("legs".into(), json!(count));
        exposure.insert("trifecta".into(), json!(count == 3));
    }
}

/// The agent's `facts.exposure` object, made when absent.
fn exposure_of(agent: &mut Agent) -> &mut serde_json::Map<String, Value> {
    let slot = agent
        .facts
        .entry("exposure".into())
        .or_insert_with(|| json!({}));
    if !slot.is_object() {
        *slot = json!({});
    }
    slot.as_object_mut().expect("made an object above")
}

fn strs<'a>(agent: &'a Agent, key: &str) -> Vec<&'a str> {
    agent
        .facts
        .get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The enabled MCP servers of an agent with a capability: `(name, catalogue entry)`.
fn servers_with<'a>(agent: &'a Agent, capability: &str) -> Vec<(&'a str, Option<&'a str>)> {
    let Some(servers) = agent.facts.get("servers").and_then(Value::as_array) else {
        return Vec::new();
    };
    servers
        .iter()
        .filter(|s| s.get("disabled").and_then(Value::as_bool) != Some(true))
        .filter(|s| {
            s.get("capabilities")
                .and_then(Value::as_array)
                .is_some_and(|c| c.iter().any(|x| x.as_str() == Some(capability)))
        })
        .filter_map(|s| {
            let name = s.get("name").and_then(Value::as_str)?;
            Some((name, s.get("catalog").and_then(Value::as_str)))
        })
        .collect()
}

fn server_line(agent: &Agent, name: &str) -> Option<Location> {
    let servers = agent.facts.get("servers")?.as_array()?;
    let line = servers
        .iter()
        .find(|s| s.get("name").and_then(Value::as_str) == Some(name))?
        .get("line")?
        .as_u64()?;
    let path = agent.locations.first()?.path()?;
    Some(Location::file(path.to_string(), line as u32, 1))
}

fn described(name: &str, catalog: Option<&str>) -> String {
    match catalog {
        Some(c) if c != name => format!("MCP server `{name}` ({c})"),
        _ => format!("MCP server `{name}`"),
    }
}

/// The first grant of a tool-scope list (`facts.tool_scope.<key>`), as `rule (at)`.
fn scope_grant(agent: &Agent, key: &str) -> Option<(String, Option<Location>)> {
    let grant = agent
        .facts
        .get("tool_scope")?
        .get(key)?
        .as_array()?
        .first()?;
    let rule = grant.get("rule")?.as_str()?;
    let at = grant
        .get("at")
        .and_then(Value::as_str)
        .map(Location::at_listing);
    Some((format!("`{rule}`"), at))
}

fn scope_bypass(agent: &Agent) -> bool {
    agent
        .facts
        .get("tool_scope")
        .and_then(|t| t.get("bypass"))
        .and_then(Value::as_bool)
        == Some(true)
}

/// What outsiders write that reaches the agent.
fn untrusted_input(agent: &Agent) -> Vec<Why> {
    let mut out = Vec::new();
    let file = agent.locations.first().and_then(Location::path);
    let at = |line: Option<u64>| match (file, line) {
        (Some(f), Some(l)) => Some(Location::file(f.to_string(), l as u32, 1)),
        _ => agent.locations.first().cloned(),
    };
    let fact = |k: &str| agent.facts.get(k).and_then(Value::as_str);
    match agent.kind {
        AgentKind::GithubWorkflow => {
            let who = match fact("who_can_start") {
                Some("anyone") => Some("any GitHub user"),
                Some("contributors") => Some("an earlier contributor (still an outsider)"),
                _ => None,
            };
            if let Some(who) = who {
                let reason = fact("who_can_start_reason").unwrap_or("its triggers");
                out.push(Why {
                    what: format!("{who} can start it: {reason}"),
                    location: at(agent
                        .facts
                        .get("who_can_start_line")
                        .and_then(Value::as_u64)),
                });
            }
            for input in agent
                .facts
                .get("untrusted_inputs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let s = |k: &str| input.get(k).and_then(Value::as_str);
                if let (Some(by), Some(into)) = (s("written_by"), s("into")) {
                    let location = match (s("file"), input.get("line").and_then(Value::as_u64)) {
                        (Some(f), Some(l)) => Some(Location::file(f.to_string(), l as u32, 1)),
                        _ => at(None),
                    };
                    out.push(Why {
                        what: format!("{by} goes into {into}"),
                        location,
                    });
                }
            }
        }
        AgentKind::A2a
            if agent.facts.get("authenticated").and_then(Value::as_bool) == Some(false) =>
        {
            out.push(Why {
                what: "it accepts requests without authentication (its agent card declares none)"
                    .into(),
                location: at(None),
            });
        }
        _ => {}
    }
    for (name, catalog) in servers_with(agent, UNTRUSTED) {
        out.push(Why {
            what: format!(
                "{} reads content outsiders can write",
                described(name, catalog)
            ),
            location: server_line(agent, name).or_else(|| at(None)),
        });
    }
    // A coding agent that fetches any page without asking reads what its authors wrote.
    if let Some((rule, location)) = scope_grant(agent, "network_any_by") {
        out.push(Why {
            what: format!("it fetches any web page without approval ({rule})"),
            location: location.or_else(|| at(None)),
        });
    }
    out
}

/// What the agent can read that an attacker wants.
fn private_data(inv: &Inventory, agent: &Agent, held: &BTreeSet<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // The model provider's key is how the agent runs, not data it guards; the
    // repository's own token is judged as the way out.
    let secrets: Vec<&str> = strs(agent, "non_model_secrets")
        .into_iter()
        .filter(|name| *name != "GITHUB_TOKEN")
        .collect();
    if !secrets.is_empty() {
        out.push(format!("the job's secrets ({})", secrets.join(", ")));
    }
    for (name, catalog) in servers_with(agent, PRIVATE) {
        out.push(format!("{} reads private data", described(name, catalog)));
    }
    if let Some(servers) = agent.facts.get("servers").and_then(Value::as_array) {
        for s in servers {
            let enabled = s.get("disabled").and_then(Value::as_bool) != Some(true);
            let has_credentials = s
                .get("credentials")
                .and_then(Value::as_array)
                .is_some_and(|c| !c.is_empty());
            // A server the catalogue knows is judged by its capabilities; an unknown one
            // given a credential is taken to open what the credential guards.
            let known = s.get("catalog").and_then(Value::as_str).is_some();
            if enabled
                && has_credentials
                && !known
                && let Some(name) = s.get("name").and_then(Value::as_str)
            {
                out.push(format!("MCP server `{name}` is given a credential"));
            }
        }
    }
    // Any command, without approval: every file and credential of the machine.
    if let Some((rule, _)) = scope_grant(agent, "shell_any_by") {
        out.push(format!(
            "it runs any command without approval ({rule}): the files and credentials of the machine"
        ));
    } else if scope_bypass(agent) {
        out.push(
            "every tool runs without approval: the files and credentials of the machine".into(),
        );
    }
    if let Some((rule, _)) = scope_grant(agent, "cloud_by") {
        out.push(format!("it runs a cloud CLI without approval ({rule})"));
    }
    // Identities it acts as that read beyond the repository it runs in.
    for &id in held {
        let Some(identity) = inv.identity(id) else {
            continue;
        };
        let reads = identity
            .access_level
            .is_some_and(|l| l >= AccessLevel::Read);
        // A workflow's own token reads the repository it runs in; a workload identity
        // provider is a trust, not a principal.
        let not_data = matches!(
            identity.kind,
            IdentityKind::GithubToken | IdentityKind::GcpWorkloadIdentityProvider
        );
        if reads && !not_data {
            out.push(format!(
                "acts as {} ({})",
                identity.name,
                identity.access_level.map_or("", AccessLevel::as_str)
            ));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// How the agent can change things or send data out.
fn outbound(agent: &Agent) -> Vec<String> {
    let mut out = Vec::new();
    let level = agent
        .facts
        .get("effective_level")
        .and_then(|v| serde_json::from_value::<AccessLevel>(v.clone()).ok());
    if level.is_some_and(|l| l >= AccessLevel::Write) {
        let what: Vec<&str> = strs(agent, "effective_access")
            .into_iter()
            .filter(|a| !a.starts_with("read ") && !a.starts_with("list "))
            .take(3)
            .collect();
        out.push(if what.is_empty() {
            "it can change things (write access)".to_string()
        } else {
            format!("it can change things: {}", what.join(", "))
        });
    }
    for (name, catalog) in servers_with(agent, OUTBOUND) {
        out.push(format!(
            "{} changes things or sends data out",
            described(name, catalog)
        ));
    }
    for (key, what) in [
        ("network_any_by", "it sends to any host without approval"),
        ("shell_any_by", "it runs any command without approval"),
        (
            "code_host_write_by",
            "it pushes to a code host without approval",
        ),
    ] {
        if let Some((rule, _)) = scope_grant(agent, key) {
            out.push(format!("{what} ({rule})"));
        }
    }
    if scope_bypass(agent) && scope_grant(agent, "shell_any_by").is_none() {
        out.push("every tool runs without approval".into());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Confidence, SourceKind};

    fn agent(kind: AgentKind, facts: Value) -> Agent {
        Agent {
            id: "agent:a".into(),
            name: "a".into(),
            kind,
            confidence: Confidence::High,
            evidence: Vec::new(),
            source: SourceKind::Repo,
            locations: vec![Location::file("r/.mcp.json", 1, 1)],
            facts: serde_json::from_value(facts).unwrap(),
        }
    }

    fn server(name: &str, caps: &[&str], disabled: bool) -> Value {
        json!({"name": name, "capabilities": caps, "disabled": disabled, "line": 4, "credentials": []})
    }

    #[test]
    fn three_legs_from_mcp_servers_make_the_trifecta_and_a_disabled_server_counts_for_nothing() {
        let mut inv = Inventory::default();
        inv.agents.push(agent(
            AgentKind::McpClient,
            json!({"servers": [
                server("fetch", &[UNTRUSTED], false),
                server("postgres", &[PRIVATE], false),
                server("slack", &[OUTBOUND], true),
            ]}),
        ));
        steering(&mut inv);
        assert_eq!(inv.edges.len(), 1);
        assert_eq!(inv.edges[0].kind, EdgeKind::Steers);
        assert_eq!(inv.edges[0].from, OUTSIDE);
        assert_eq!(
            inv.edges[0].location,
            Some(Location::file("r/.mcp.json", 4, 1))
        );
        legs(&mut inv);
        let e = &inv.agents[0].facts["exposure"];
        assert_eq!(e["legs"], 2, "{e}");
        assert_eq!(e["trifecta"], false);

        // Enabled, the messaging server is the way out.
        inv.agents[0].facts.insert(
            "servers".into(),
            json!([
                server("fetch", &[UNTRUSTED], false),
                server("postgres", &[PRIVATE], false),
                server("slack", &[OUTBOUND], false),
            ]),
        );
        legs(&mut inv);
        let e = &inv.agents[0].facts["exposure"];
        assert_eq!(
            (e["legs"].as_u64(), e["trifecta"].as_bool()),
            (Some(3), Some(true))
        );
    }

    #[test]
    fn who_can_start_a_workflow_decides_whether_the_outside_steers_it() {
        for (who, steered) in [
            ("anyone", true),
            ("contributors", true),
            ("writers", false),
            ("maintainers", false),
        ] {
            let mut inv = Inventory::default();
            inv.agents.push(agent(
                AgentKind::GithubWorkflow,
                json!({"who_can_start": who, "who_can_start_reason": "on: issue_comment"}),
            ));
            steering(&mut inv);
            assert_eq!(inv.edges.len() == 1, steered, "{who}");
        }
    }

    #[test]
    fn an_agent_with_no_leg_has_no_exposure_fact() {
        let mut inv = Inventory::default();
        inv.agents.push(agent(
            AgentKind::McpClient,
            json!({"servers": [server("time", &[], false)]}),
        ));
        steering(&mut inv);
        legs(&mut inv);
        assert!(inv.edges.is_empty());
        assert!(!inv.agents[0].facts.contains_key("exposure"));
    }
}
