//! The agent catalogue (`data/agents.yaml`): which actions, commands and endpoints mark
//! a workflow job as an AI agent.

use std::sync::LazyLock;

use regex::Regex;

use crate::doc::{self, Format, Node};

pub struct ActionEntry {
    pub uses: String,
    pub agent: String,
    pub provider: String,
    pub repo_name: Option<String>,
}

pub struct CommandEntry {
    pub pattern: Regex,
    pub agent: String,
}

pub struct Catalog {
    pub actions: Vec<ActionEntry>,
    pub commands: Vec<CommandEntry>,
    pub llm_endpoints: Vec<String>,
    pub untrusted_triggers: Vec<String>,
    pub llm_providers: Vec<String>,
}

const SOURCE: &str = include_str!("../../../data/agents.yaml");

pub fn catalog() -> &'static Catalog {
    static CATALOG: LazyLock<Catalog> =
        LazyLock::new(|| load(SOURCE).expect("the built-in agent catalogue is valid"));
    &CATALOG
}

fn strings(doc: &Node, key: &str) -> Vec<String> {
    doc.get(key)
        .map(|n| n.items().iter().filter_map(Node::scalar_text).collect())
        .unwrap_or_default()
}

fn field(node: &Node, key: &str) -> Result<String, String> {
    node.get(key)
        .and_then(Node::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("line {}: `{key}` is missing", node.line))
}

fn load(text: &str) -> Result<Catalog, String> {
    let doc = doc::parse(text, Format::Yaml).map_err(|e| e.to_string())?;
    let mut actions = Vec::new();
    for item in doc.get("actions").map(Node::items).unwrap_or_default() {
        actions.push(ActionEntry {
            uses: field(item, "uses")?.to_ascii_lowercase(),
            agent: field(item, "agent")?,
            provider: field(item, "provider")?,
            repo_name: item
                .get("repo_name")
                .and_then(Node::as_str)
                .map(str::to_ascii_lowercase),
        });
    }
    let mut commands = Vec::new();
    for item in doc.get("commands").map(Node::items).unwrap_or_default() {
        let pattern = field(item, "pattern")?;
        commands.push(CommandEntry {
            pattern: Regex::new(&pattern).map_err(|e| format!("line {}: {e}", item.line))?,
            agent: field(item, "agent")?,
        });
    }
    Ok(Catalog {
        actions,
        commands,
        llm_endpoints: strings(&doc, "llm_endpoints"),
        untrusted_triggers: strings(&doc, "untrusted_triggers"),
        llm_providers: strings(&doc, "llm_providers"),
    })
}

impl Catalog {
    /// The agent action a step's `uses:` refers to, if any.
    pub fn action(&self, uses: &str) -> Option<&ActionEntry> {
        let (target, _) = uses.split_once('@').unwrap_or((uses, ""));
        let mut parts = target.split('/');
        let owner = parts.next()?.to_ascii_lowercase();
        let repo = parts.next()?.to_ascii_lowercase();
        let owner_repo = format!("{owner}/{repo}");
        self.actions
            .iter()
            .find(|a| a.uses == owner_repo || a.repo_name.as_deref().is_some_and(|n| n == repo))
    }

    pub fn command(&self, script: &str) -> Option<&CommandEntry> {
        self.commands.iter().find(|c| c.pattern.is_match(script))
    }

    pub fn is_llm_provider(&self, provider: &str) -> bool {
        self.llm_providers.iter().any(|p| p == provider)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_loads_and_matches() {
        let c = catalog();
        assert_eq!(
            c.action("anthropics/claude-code-action@v1").unwrap().agent,
            "Claude Code"
        );
        assert_eq!(
            c.action("km-anthropic/claude-code-action@v1-dev")
                .unwrap()
                .agent,
            "Claude Code"
        );
        assert_eq!(c.action("openai/codex-action@main").unwrap().agent, "Codex");
        assert!(c.action("actions/checkout@v4").is_none());
        assert_eq!(
            c.command("npx -y @anthropic-ai/claude-code -p hi")
                .unwrap()
                .agent,
            "Claude Code"
        );
        assert!(c.command("echo hello").is_none());
        assert!(
            c.untrusted_triggers
                .iter()
                .any(|t| t == "pull_request_target")
        );
    }
}
