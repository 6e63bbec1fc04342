//! Agent framework configs: CrewAI `agents.yaml`, A2A agent cards, LangGraph
//! `langgraph.json`, AutoGen `OAI_CONFIG_LIST`.

use serde_json::json;

use super::builder::{Fragment, Site};
use crate::doc::{Format, Node, pointer_segment};
use crate::model::{AccessLevel, AgentKind, Confidence, EdgeKind, Evidence};

/// Tool-name words that mean the tool changes things (files, code, messages, data).
const WRITE_TOOL_WORDS: &[&str] = &[
    "write",
    "delete",
    "create",
    "update",
    "exec",
    "shell",
    "bash",
    "terminal",
    "interpreter",
    "commit",
    "push",
    "deploy",
    "send",
    "post",
    "email",
    "sql",
    "modify",
    "edit",
    "upload",
];

/// The access a list of tools gives: write if any tool changes things.
pub fn tool_access(tools: &[String], code_execution: bool) -> AccessLevel {
    let writes = tools.iter().any(|t| {
        let t = t.to_ascii_lowercase();
        WRITE_TOOL_WORDS.iter().any(|w| t.contains(w))
    });
    if writes || code_execution {
        AccessLevel::Write
    } else if tools.is_empty() {
        AccessLevel::None
    } else {
        AccessLevel::Read
    }
}

pub fn crewai(text: &str, fragment: &mut Fragment<'_>) {
    let Some(doc) = super::parse_doc(text, Format::Yaml, fragment, "the CrewAI agents config")
    else {
        return;
    };
    let mut agents = Vec::new();
    for (key, agent) in doc.entries() {
        let is_agent = agent.get("role").is_some() && agent.get("goal").is_some();
        if !is_agent {
            continue;
        }
        let tools: Vec<String> = agent
            .get("tools")
            .map(|t| t.strings().into_iter().map(str::to_string).collect())
            .unwrap_or_default();
        let delegation = agent
            .get("allow_delegation")
            .and_then(Node::as_bool)
            .unwrap_or(false);
        let code = agent
            .get("allow_code_execution")
            .and_then(Node::as_bool)
            .unwrap_or(false);
        let access = tool_access(&tools, code);
        let id = format!("repo:{}#/{}", fragment.path, pointer_segment(&key.name));
        let loc = fragment.loc(key.line, key.column);
        let mut facts = serde_json::Map::new();
        facts.insert("framework".into(), json!("crewai"));
        facts.insert("tools".into(), json!(tools));
        facts.insert("tool_access".into(), json!(access.as_str()));
        facts.insert("allow_delegation".into(), json!(delegation));
        facts.insert("allow_code_execution".into(), json!(code));
        facts.insert(
            "llm".into(),
            json!(agent.get("llm").and_then(Node::scalar_text)),
        );
        fragment.agent(
            id.clone(),
            format!("CrewAI agent {}", key.name),
            AgentKind::CrewAi,
            Confidence::High,
            vec![Evidence::new(
                "CrewAI agent definition (role, goal, backstory)",
                Some(loc.clone()),
            )],
            loc.clone(),
            facts,
        );
        agents.push((id, key.name.clone(), delegation, loc));
    }
    // An agent allowed to delegate can hand work to any other agent of its crew.
    for (from, from_name, delegation, loc) in &agents {
        if !delegation {
            continue;
        }
        for (to, to_name, _, _) in &agents {
            if to != from {
                fragment.add_edge(
                    EdgeKind::Delegates,
                    from,
                    to,
                    format!(
                        "{from_name} has allow_delegation: true and can hand work to {to_name}"
                    ),
                    loc.clone(),
                );
            }
        }
    }
}

pub fn a2a(text: &str, fragment: &mut Fragment<'_>) {
    let Some(doc) = super::parse_doc(text, Format::Json, fragment, "the A2A agent card") else {
        return;
    };
    let Some(name) = doc.get("name").and_then(Node::as_str) else {
        return;
    };
    let mut schemes: Vec<String> = doc
        .get("securitySchemes")
        .map(|s| {
            s.entries()
                .iter()
                .map(|(k, v)| {
                    let ty = v.get("type").and_then(Node::as_str).unwrap_or("unknown");
                    format!("{}:{ty}", k.name)
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(auth) = doc.get("authentication") {
        schemes.extend(
            auth.get("schemes")
                .map(|s| {
                    s.strings()
                        .into_iter()
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        );
        if auth.get("required").and_then(Node::as_bool) == Some(false) {
            schemes.clear();
        }
    }
    let url = doc.get("url").and_then(Node::as_str);
    let push = doc
        .at(&["capabilities", "pushNotifications"])
        .and_then(Node::as_bool)
        .unwrap_or(false);
    let skills = doc.get("skills").map_or(0, |s| s.items().len());
    let loc = fragment.loc_of(&doc);
    let mut facts = serde_json::Map::new();
    facts.insert("framework".into(), json!("a2a"));
    facts.insert("url".into(), json!(url.map(crate::text::display_value)));
    facts.insert("auth_schemes".into(), json!(schemes));
    facts.insert("authenticated".into(), json!(!schemes.is_empty()));
    facts.insert("push_notifications".into(), json!(push));
    facts.insert("skills".into(), json!(skills));
    fragment.agent(
        format!("repo:{}", fragment.path),
        format!("A2A agent {}", crate::text::display_value(name)),
        AgentKind::A2a,
        Confidence::High,
        vec![Evidence::new("A2A agent card", Some(loc.clone()))],
        loc,
        facts,
    );
}

pub fn langgraph(text: &str, fragment: &mut Fragment<'_>) {
    let Some(doc) = super::parse_doc(text, Format::Json, fragment, "the LangGraph config") else {
        return;
    };
    let Some(graphs) = doc.get("graphs") else {
        return;
    };
    if !graphs.is_map() {
        fragment.error(
            graphs.line,
            graphs.column,
            "`graphs` must be a map of graph names to their module paths; no graph was read",
        );
        return;
    }
    let env_node = doc.get("env");
    let env_file = env_node.and_then(Node::as_str).map(|rel| {
        let base = fragment.path.rsplit_once('/').map_or("", |(d, _)| d);
        normalize_join(base, rel)
    });
    let mut ids = Vec::new();
    for (key, _) in graphs.entries() {
        let id = format!(
            "repo:{}#/graphs/{}",
            fragment.path,
            pointer_segment(&key.name)
        );
        let loc = fragment.loc(key.line, key.column);
        let mut facts = serde_json::Map::new();
        facts.insert("framework".into(), json!("langgraph"));
        facts.insert(
            "env_file".into(),
            json!(env_file.as_deref().map(crate::text::display_value)),
        );
        fragment.agent(
            id.clone(),
            format!("LangGraph graph {}", key.name),
            AgentKind::LangGraph,
            Confidence::High,
            vec![Evidence::new(
                "graph declared in langgraph.json",
                Some(loc.clone()),
            )],
            loc,
            facts,
        );
        ids.push(id);
    }
    // Inline env: the values are written right here.
    if let Some(env) = env_node.filter(|n| n.is_map()) {
        for (k, v) in env.entries() {
            let Some(value) = v.scalar_text() else {
                continue;
            };
            let site = Site::at(v, Some(&k.name));
            if let Some(cred) =
                fragment.observe_value(ids.first().map(String::as_str), site, &value)
            {
                for other in ids.iter().skip(1) {
                    fragment.hold(
                        other,
                        &cred,
                        format!("receives {} from langgraph.json env", k.name),
                        fragment.loc_of(v),
                    );
                }
            }
        }
    }
}

pub fn autogen(text: &str, fragment: &mut Fragment<'_>) {
    let Some(doc) = super::parse_doc(text, Format::Json, fragment, "the OAI_CONFIG_LIST") else {
        return;
    };
    let entries = doc.items();
    if entries.is_empty() {
        return;
    }
    let id = format!("repo:{}", fragment.path);
    let loc = fragment.loc_of(&doc);
    let models: Vec<String> = entries
        .iter()
        .filter_map(|e| e.get("model").and_then(Node::scalar_text))
        .map(|m| crate::text::display_value(&m))
        .collect();
    let mut facts = serde_json::Map::new();
    facts.insert("framework".into(), json!("autogen"));
    facts.insert("models".into(), json!(models));
    fragment.agent(
        id.clone(),
        "AutoGen model list".to_string(),
        AgentKind::AutoGen,
        Confidence::High,
        vec![Evidence::new(
            "AutoGen model config list",
            Some(loc.clone()),
        )],
        loc,
        facts,
    );
    for entry in entries {
        let Some(key) = entry.get("api_key") else {
            continue;
        };
        let Some(value) = key.scalar_text() else {
            continue;
        };
        let name = match entry.get("api_type").and_then(Node::as_str) {
            Some("azure") => "AZURE_OPENAI_API_KEY",
            Some("anthropic") => "ANTHROPIC_API_KEY",
            Some("google") => "GOOGLE_API_KEY",
            _ => "OPENAI_API_KEY",
        };
        fragment.observe_value(Some(&id), Site::at(key, Some(name)), &value);
    }
}

/// Joins a relative path onto a folder and folds `.` and `..`.
pub(super) fn normalize_join(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|p| !p.is_empty()).collect()
    };
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_levels() {
        assert_eq!(
            tool_access(&["SerperDevTool".into()], false),
            AccessLevel::Read
        );
        assert_eq!(
            tool_access(&["FileWriterTool".into()], false),
            AccessLevel::Write
        );
        assert_eq!(tool_access(&[], true), AccessLevel::Write);
        assert_eq!(tool_access(&[], false), AccessLevel::None);
    }

    #[test]
    fn joins() {
        assert_eq!(normalize_join("a/backend", "../.env"), "a/.env");
        assert_eq!(normalize_join("", ".env"), ".env");
    }
}
