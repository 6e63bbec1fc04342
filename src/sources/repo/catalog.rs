//! The agent catalogue (`data/agents.yaml`): which actions, commands, endpoints, secrets
//! and token scopes mark a workflow job as an AI agent, and what the agent products
//! themselves decide (their actor checks, their prompt inputs).

use std::sync::LazyLock;

use regex::Regex;

use crate::doc::Node;
use crate::doc::data::{DataError, DataFile, strings};

/// How an input widens an action's actor check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opener {
    /// `*` lets anyone in; account names let those in.
    List,
    /// `true` turns the check off.
    Flag,
}

pub struct ActionEntry {
    pub uses: String,
    pub agent: String,
    pub provider: String,
    pub repo_name: Option<String>,
    /// The action refuses actors without write access (its documented default).
    pub checks_writers: bool,
    pub opened_by: Vec<(String, Opener)>,
    pub prompt_inputs: Vec<String>,
}

pub struct CommandEntry {
    pub pattern: Regex,
    pub agent: String,
}

pub struct Endpoint {
    pub host: String,
    /// A hosted agent behind the API, when it is one.
    pub agent: Option<String>,
}

pub struct Catalog {
    pub actions: Vec<ActionEntry>,
    pub commands: Vec<CommandEntry>,
    pub llm_endpoints: Vec<Endpoint>,
    /// Secret name → agent product.
    pub agent_secrets: Vec<(String, String)>,
    /// (scope, level, agent product).
    pub agent_permissions: Vec<(String, String, String)>,
    pub untrusted_triggers: Vec<String>,
    pub llm_providers: Vec<String>,
    pub untrusted_contexts: Vec<String>,
    pub content_fetchers: Vec<String>,
}

const SOURCE: &str = include_str!("../../../data/agents.yaml");

pub fn catalog() -> &'static Catalog {
    static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
        load(SOURCE).unwrap_or_else(|e| panic!("the built-in agent catalogue is invalid: {e}"))
    });
    &CATALOG
}

fn lowercase(list: Vec<String>) -> Vec<String> {
    list.into_iter().map(|s| s.to_ascii_lowercase()).collect()
}

fn load(text: &str) -> Result<Catalog, DataError> {
    let data = DataFile::parse("data/agents.yaml", text)?;
    let mut actions = Vec::new();
    for item in data.items("actions") {
        actions.push(action(&data, item)?);
    }
    let mut commands = Vec::new();
    for item in data.items("commands") {
        let pattern = data.field(item, "pattern")?;
        commands.push(CommandEntry {
            pattern: Regex::new(&pattern).map_err(|e| data.error(item.line, e.to_string()))?,
            agent: data.field(item, "agent")?,
        });
    }
    let mut llm_endpoints = Vec::new();
    for item in data.items("llm_endpoints") {
        llm_endpoints.push(Endpoint {
            host: data.field(item, "host")?,
            agent: item.get("agent").and_then(Node::as_str).map(str::to_string),
        });
    }
    let mut agent_secrets = Vec::new();
    for item in data.items("agent_secrets") {
        agent_secrets.push((data.field(item, "name")?, data.field(item, "agent")?));
    }
    let mut agent_permissions = Vec::new();
    for item in data.items("agent_permissions") {
        agent_permissions.push((
            data.field(item, "scope")?,
            data.field(item, "level")?,
            data.field(item, "agent")?,
        ));
    }
    let doc = &data.root;
    Ok(Catalog {
        actions,
        commands,
        llm_endpoints,
        agent_secrets,
        agent_permissions,
        untrusted_triggers: strings(doc, "untrusted_triggers"),
        llm_providers: strings(doc, "llm_providers"),
        untrusted_contexts: strings(doc, "untrusted_contexts"),
        content_fetchers: lowercase(strings(doc, "content_fetchers")),
    })
}

fn action(data: &DataFile, item: &Node) -> Result<ActionEntry, DataError> {
    let checks_writers = match item.get("actor_check").and_then(Node::as_str) {
        None => false,
        Some("writers") => true,
        Some(other) => return Err(data.error(item.line, format!("unknown actor_check {other}"))),
    };
    let mut opened_by = Vec::new();
    for (k, v) in item.get("opened_by").map(Node::entries).unwrap_or_default() {
        let how = match v.as_str() {
            Some("list") => Opener::List,
            Some("flag") => Opener::Flag,
            _ => return Err(data.error(v.line, "opened_by takes list or flag")),
        };
        opened_by.push((k.name.to_ascii_lowercase(), how));
    }
    Ok(ActionEntry {
        uses: data.field(item, "uses")?.to_ascii_lowercase(),
        agent: data.field(item, "agent")?,
        provider: data.field(item, "provider")?,
        repo_name: item
            .get("repo_name")
            .and_then(Node::as_str)
            .map(str::to_ascii_lowercase),
        checks_writers,
        opened_by,
        prompt_inputs: lowercase(strings(item, "prompt_inputs")),
    })
}

/// `owner/repo` of a `uses:` reference, lower-cased (`None` for local and docker ones).
pub fn owner_repo(uses: &str) -> Option<(String, String)> {
    if uses.starts_with("./") || uses.starts_with("docker://") {
        return None;
    }
    let (target, _) = uses.split_once('@').unwrap_or((uses, ""));
    let mut parts = target.split('/');
    let owner = parts.next()?.to_ascii_lowercase();
    let repo = parts.next()?.to_ascii_lowercase();
    Some((owner, repo))
}

impl Catalog {
    /// The agent action a step's `uses:` refers to, if any.
    pub fn action(&self, uses: &str) -> Option<&ActionEntry> {
        let (owner, repo) = owner_repo(uses)?;
        let owner_repo = format!("{owner}/{repo}");
        self.actions
            .iter()
            .find(|a| a.uses == owner_repo || a.repo_name.as_deref().is_some_and(|n| n == repo))
    }

    pub fn command(&self, script: &str) -> Option<&CommandEntry> {
        self.commands.iter().find(|c| c.pattern.is_match(script))
    }

    /// The LLM or hosted-agent endpoint a script calls, if any.
    pub fn endpoint_in(&self, script: &str) -> Option<&Endpoint> {
        self.llm_endpoints
            .iter()
            .find(|e| script.contains(e.host.as_str()))
    }

    pub fn is_llm_provider(&self, provider: &str) -> bool {
        self.llm_providers.iter().any(|p| p == provider)
    }

    /// The agent product a secret's name belongs to.
    pub fn agent_of_secret(&self, name: &str) -> Option<&str> {
        self.agent_secrets
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, a)| a.as_str())
    }

    pub fn is_content_fetcher(&self, uses: &str) -> bool {
        owner_repo(uses).is_some_and(|(o, r)| {
            let or = format!("{o}/{r}");
            self.content_fetchers.contains(&or)
        })
    }

    /// The untrusted context an expression path carries: the path itself, or one it is
    /// the object of (`github.event.issue` carries `github.event.issue.body`).
    pub fn untrusted_context(&self, path: &str) -> Option<&str> {
        let path = path.to_ascii_lowercase();
        self.untrusted_contexts
            .iter()
            .find(|c| {
                let c = c.as_str();
                path == c
                    || (c.starts_with(&path) && c.as_bytes().get(path.len()) == Some(&b'.'))
                    || glob_match(c, &path)
            })
            .map(String::as_str)
    }
}

/// `github.event.commits.*.message` matches `github.event.commits.0.message`.
fn glob_match(pattern: &str, path: &str) -> bool {
    if !pattern.contains('*') {
        return false;
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let s: Vec<&str> = path.split('.').collect();
    p.len() == s.len() && p.iter().zip(&s).all(|(a, b)| *a == "*" || a == b)
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
        assert!(
            c.action("anthropics/claude-code-action@v1")
                .unwrap()
                .checks_writers
        );
        assert_eq!(c.action("openai/codex-action@main").unwrap().agent, "Codex");
        assert_eq!(
            c.action("anomalyco/opencode/github@latest").unwrap().agent,
            "opencode"
        );
        assert_eq!(
            c.action("sst/opencode/sdks/github@github-v1")
                .unwrap()
                .agent,
            "opencode"
        );
        assert!(c.action("actions/checkout@v4").is_none());
        assert!(c.action("./.github/actions/claude-code-action").is_none());
        assert_eq!(
            c.command("npx -y @anthropic-ai/claude-code -p hi")
                .unwrap()
                .agent,
            "Claude Code"
        );
        assert_eq!(
            c.command("copilot --prompt \"$P\" --allow-all-tools")
                .unwrap()
                .agent,
            "GitHub Copilot CLI"
        );
        assert!(c.command("echo hello").is_none());
        // A project named like an agent is not one.
        assert!(c.command("go run ./cmd/goose build").is_none());
        assert!(
            c.untrusted_triggers
                .iter()
                .any(|t| t == "pull_request_target")
        );
        assert_eq!(c.agent_of_secret("devin_api_key"), Some("Devin"));
    }

    #[test]
    fn untrusted_contexts_by_path_and_object() {
        let c = catalog();
        assert!(c.untrusted_context("github.event.issue.body").is_some());
        assert!(c.untrusted_context("github.event.issue").is_some());
        assert!(c.untrusted_context("github.event").is_some());
        assert!(c.untrusted_context("github.event.issue.number").is_none());
        assert!(
            c.untrusted_context("github.event.commits.0.message")
                .is_some()
        );
        assert!(c.untrusted_context("github.repository").is_none());
    }
}
