//! The tool scope of coding agents: which commands, files, hosts and MCP tools a coding
//! agent may use without a person approving, read from the permission settings its
//! product documents (Claude Code, Codex, Gemini CLI, Cursor, VS Code, opencode, Goose).
//!
//! Each file yields its rules and settings, each with its level (user, project, local,
//! managed) and position; [`summarise`] turns them into the effective scope (deny and
//! ask beat allow; a setting from a higher level wins), and [`merge`] joins the files
//! of one agent (`.claude/settings.json` with `.claude/settings.local.json`) after the
//! walk.

pub mod commands;
mod read;

use std::collections::BTreeMap;

use super::builder::Fragment;
use super::detect::McpClient;
use crate::doc::Node;
use crate::model::facts::{
    ScopeDecision, ScopeGrant, ScopeHook, ScopeLevel, ScopeRule, ScopeSetting, ScopeSource,
    ScopeTool, ToolScope,
};
use crate::model::{Agent, AgentKind, Confidence, Evidence};

pub use read::read;

/// The most items read from one list of rules: a file with more is reported, not read
/// whole (a hostile file must not make the fact, and every finding, huge).
pub const MAX_ITEMS: usize = 5_000;

/// What one file says.
#[derive(Debug, Default)]
pub struct Parts {
    pub rules: Vec<ScopeRule>,
    pub settings: Vec<ScopeSetting>,
    pub hooks: Vec<ScopeHook>,
    pub env: Vec<String>,
}

impl Parts {
    fn is_empty(&self) -> bool {
        self.rules.is_empty()
            && self.settings.is_empty()
            && self.hooks.is_empty()
            && self.env.is_empty()
    }
}

/// The level a file's values have, from its name: Claude Code's `settings.local.json`
/// is the developer's own for the project, `managed-settings.json` (and Gemini CLI's
/// `/etc/gemini-cli/settings.json`) the administrator's. A user's own file
/// (`~/.claude/settings.json`) cannot be told from a project's by its path, and is read
/// as a project's.
pub fn level_of(path: &str) -> ScopeLevel {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == "managed-settings.json" || path.contains("etc/gemini-cli/") {
        ScopeLevel::Managed
    } else if name == "settings.local.json" {
        ScopeLevel::Local
    } else {
        ScopeLevel::Project
    }
}

/// The agent a settings file belongs to: Claude Code's project files are one agent per
/// `.claude` folder; every other file is its own (the id its MCP client agent has).
pub fn agent_id(client: McpClient, path: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, name))
            if client == McpClient::ClaudeCode
                && (dir == ".claude" || dir.ends_with("/.claude"))
                && matches!(name, "settings.json" | "settings.local.json") =>
        {
            format!("repo:{dir}")
        }
        _ => format!("repo:{path}"),
    }
}

/// Reads a settings file that is only a coding agent's settings (Claude Code's, Cursor's)
/// and records its agent, with its tool scope.
pub fn analyse_settings(client: McpClient, text: &str, fragment: &mut Fragment<'_>) {
    let Some(doc) = super::parse_doc(
        text,
        crate::doc::Format::Json,
        fragment,
        "the agent settings",
    ) else {
        return;
    };
    if !doc.is_map() {
        fragment.error(
            doc.line,
            doc.column,
            "the settings must be a JSON object; nothing in it was read",
        );
        return;
    }
    let scope = read(client, &doc, fragment)
        .unwrap_or_else(|| summarise(client, vec![source_of(fragment.path)], Parts::default()));
    let mut facts = serde_json::Map::new();
    facts.insert("client".into(), serde_json::json!(client.name()));
    let rules = scope.rules.len();
    facts.insert("tool_scope".into(), to_json(&scope));
    let at = fragment.loc_of(&doc);
    fragment.agent(
        agent_id(client, fragment.path),
        format!("{} coding agent", client.name()),
        AgentKind::CodingAgent,
        Confidence::High,
        vec![Evidence::new(
            format!("{} settings with {rules} permission rule(s)", client.name()),
            Some(at.clone()),
        )],
        at,
        facts,
    );
}

/// The tool scope of a file that also configures MCP servers (or would make no agent
/// without it): `None` when the file says nothing about what runs without approval.
pub fn of_mcp_config(
    client: McpClient,
    doc: &Node,
    fragment: &mut Fragment<'_>,
) -> Option<ToolScope> {
    read(client, doc, fragment)
}

/// Records a coding agent for an MCP client's file that holds a tool scope but no server.
pub fn record_agent_without_servers(
    client: McpClient,
    doc: &Node,
    scope: ToolScope,
    fragment: &mut Fragment<'_>,
) {
    let mut facts = serde_json::Map::new();
    facts.insert("client".into(), serde_json::json!(client.name()));
    let rules = scope.rules.len() + scope.settings.len();
    facts.insert("tool_scope".into(), to_json(&scope));
    let at = fragment.loc_of(doc);
    fragment.agent(
        agent_id(client, fragment.path),
        format!("{} coding agent", client.name()),
        AgentKind::CodingAgent,
        Confidence::High,
        vec![Evidence::new(
            format!(
                "{} settings with {rules} permission rule(s) or setting(s)",
                client.name()
            ),
            Some(at.clone()),
        )],
        at,
        facts,
    );
}

pub fn to_json(scope: &ToolScope) -> serde_json::Value {
    serde_json::to_value(scope).unwrap_or(serde_json::Value::Null)
}

fn source_of(path: &str) -> ScopeSource {
    ScopeSource {
        file: path.to_string(),
        level: level_of(path),
    }
}

/// Joins the agents of one id that each carry a tool scope (the files of one `.claude`
/// folder), so that the scope is the effective one of every file: called after the walk,
/// before the inventory is normalised.
pub fn merge(agents: &mut Vec<Agent>) {
    let mut by_id: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, a) in agents.iter().enumerate() {
        if a.facts.contains_key("tool_scope") {
            by_id.entry(a.id.clone()).or_default().push(i);
        }
    }
    let mut drop = Vec::new();
    for indexes in by_id.values().filter(|v| v.len() > 1) {
        let scopes: Vec<ToolScope> = indexes
            .iter()
            .filter_map(|i| serde_json::from_value(agents[*i].facts["tool_scope"].clone()).ok())
            .collect();
        let Some(first) = scopes.first() else {
            continue;
        };
        let client = product(&first.product);
        let mut sources = Vec::new();
        let mut parts = Parts::default();
        for s in scopes.iter().cloned() {
            sources.extend(s.sources);
            parts.rules.extend(s.rules);
            parts.settings.extend(s.settings);
            parts.hooks.extend(s.hooks);
            parts.env.extend(s.env);
        }
        let merged = summarise(client, sources, parts);
        let (keep, rest) = indexes.split_first().expect("more than one");
        for i in rest {
            let other = std::mem::take(&mut agents[*i].locations);
            let evidence = std::mem::take(&mut agents[*i].evidence);
            agents[*keep].locations.extend(other);
            agents[*keep].evidence.extend(evidence);
            drop.push(*i);
        }
        agents[*keep]
            .facts
            .insert("tool_scope".into(), to_json(&merged));
    }
    drop.sort_unstable();
    for i in drop.into_iter().rev() {
        agents.remove(i);
    }
}

fn product(name: &str) -> McpClient {
    [
        McpClient::ClaudeCode,
        McpClient::Codex,
        McpClient::GeminiCli,
        McpClient::Cursor,
        McpClient::VsCode,
        McpClient::Opencode,
        McpClient::Goose,
    ]
    .into_iter()
    .find(|c| c.name() == name)
    .unwrap_or(McpClient::Unknown)
}

/// Whether `outer` (a deny or ask) matches what `inner` (an allow) approves.
fn covers(outer: &ScopeRule, inner: &ScopeRule) -> bool {
    if outer.tool != inner.tool && outer.tool != ScopeTool::All {
        return false;
    }
    if outer.target.is_empty() {
        return true;
    }
    if inner.target.is_empty() {
        return false;
    }
    if outer.target == inner.target {
        return outer.open || !inner.open;
    }
    outer.open
        && inner
            .target
            .strip_prefix(&outer.target)
            .is_some_and(|rest| rest.starts_with(' ') || outer.target.ends_with(' '))
}

/// The effective value of each setting: the highest level's, the last one written within
/// a level.
fn effective(settings: &[ScopeSetting]) -> BTreeMap<&str, &ScopeSetting> {
    let mut out: BTreeMap<&str, &ScopeSetting> = BTreeMap::new();
    for s in settings {
        match out.get(s.name.as_str()) {
            Some(old) if old.level > s.level => {}
            _ => {
                out.insert(&s.name, s);
            }
        }
    }
    out
}

fn grant(rule: &str, why: Option<&str>, at: &str) -> ScopeGrant {
    ScopeGrant {
        rule: rule.to_string(),
        why: why.map(str::to_string),
        at: at.to_string(),
    }
}

fn setting_grant(s: &ScopeSetting, why: &str) -> ScopeGrant {
    grant(&format!("{} = {}", s.name, s.value), Some(why), &s.at)
}

/// The effective tool scope of `parts`, read from `sources`.
pub fn summarise(client: McpClient, mut sources: Vec<ScopeSource>, parts: Parts) -> ToolScope {
    sources.sort_by(|a, b| b.level.cmp(&a.level).then_with(|| a.file.cmp(&b.file)));
    sources.dedup();
    let Parts {
        rules,
        settings,
        mut hooks,
        mut env,
    } = parts;
    let set = effective(&settings);
    let value = |name: &str| set.get(name).map(|s| s.value.as_str());

    // Every tool at once (opencode's `"*": "allow"`) stands for each kind of tool.
    let mut expanded: Vec<ScopeRule> = Vec::new();
    for r in &rules {
        if r.tool == ScopeTool::All && r.decision == ScopeDecision::Allow {
            for tool in [
                ScopeTool::Shell,
                ScopeTool::Write,
                ScopeTool::Network,
                ScopeTool::Mcp,
            ] {
                expanded.push(ScopeRule {
                    tool,
                    target: String::new(),
                    open: true,
                    ..r.clone()
                });
            }
        } else {
            expanded.push(r.clone());
        }
    }
    // In opencode the last rule that matches wins; elsewhere a deny or an ask anywhere
    // beats an allow.
    let last_wins = client == McpClient::Opencode;
    let live: Vec<&ScopeRule> = expanded
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            r.decision == ScopeDecision::Allow
                && !expanded.iter().enumerate().any(|(j, o)| {
                    o.decision != ScopeDecision::Allow && (!last_wins || j > *i) && covers(o, r)
                })
        })
        .map(|(_, r)| r)
        .collect();

    let mut scope = ToolScope {
        product: client.name().to_string(),
        ..ToolScope::default()
    };

    // Approval turned off.
    match client {
        McpClient::ClaudeCode => {
            if let Some(mode) = set.get("permissions.defaultMode") {
                scope.mode = Some(mode.value.clone());
                let disabled = value("permissions.disableBypassPermissionsMode") == Some("disable");
                if mode.value == "bypassPermissions" && !disabled {
                    scope
                        .bypass_by
                        .push(setting_grant(mode, "every tool runs without approval"));
                }
                if mode.value == "acceptEdits" {
                    scope
                        .writes_by
                        .push(setting_grant(mode, "file edits are accepted"));
                }
            }
        }
        McpClient::VsCode => {
            for name in ["chat.tools.autoApprove", "chat.tools.global.autoApprove"] {
                if let Some(s) = set.get(name).filter(|s| s.value == "true") {
                    scope
                        .bypass_by
                        .push(setting_grant(s, "every tool runs without approval"));
                }
            }
        }
        McpClient::GeminiCli => {
            if let Some(mode) = set.get("general.defaultApprovalMode") {
                scope.mode = Some(mode.value.clone());
                if mode.value == "auto_edit" {
                    scope
                        .writes_by
                        .push(setting_grant(mode, "file edits are accepted"));
                }
            }
        }
        McpClient::Goose => {
            if let Some(mode) = set.get("GOOSE_MODE") {
                scope.mode = Some(mode.value.clone());
                if mode.value == "auto" {
                    scope
                        .bypass_by
                        .push(setting_grant(mode, "every tool runs without approval"));
                }
            }
        }
        McpClient::Codex => codex(&set, &mut scope),
        _ => {}
    }
    if last_wins
        && rules
            .iter()
            .any(|r| r.tool == ScopeTool::All && r.decision == ScopeDecision::Allow)
        && !rules.iter().any(|r| r.decision != ScopeDecision::Allow)
        && let Some(r) = rules.iter().find(|r| r.tool == ScopeTool::All)
    {
        scope.bypass_by.push(grant(
            &r.rule,
            Some("every tool runs without approval"),
            &r.at,
        ));
    }

    for r in &live {
        match r.tool {
            ScopeTool::Shell => {
                let class = commands::classify(&r.target, r.open);
                if let Some(why) = class.any {
                    push_once(&mut scope.shell_any_by, grant(&r.rule, Some(why), &r.at));
                } else if class.network && r.open {
                    push_once(
                        &mut scope.network_any_by,
                        grant(&r.rule, Some("reaches any host"), &r.at),
                    );
                }
                if let Some(why) = class.code_host_write {
                    push_once(
                        &mut scope.code_host_write_by,
                        grant(&r.rule, Some(why), &r.at),
                    );
                }
                if let Some((cli, false)) = class.cloud {
                    let why = format!("the {cli} CLI, beyond reading");
                    push_once(&mut scope.cloud_by, grant(&r.rule, Some(&why), &r.at));
                }
                if !r.target.is_empty() && !scope.shell_commands.contains(&r.target) {
                    scope.shell_commands.push(r.target.clone());
                }
            }
            ScopeTool::Network => {
                if r.target.is_empty() {
                    push_once(
                        &mut scope.network_any_by,
                        grant(&r.rule, Some("fetches any URL"), &r.at),
                    );
                } else if !scope.network_domains.contains(&r.target) {
                    scope.network_domains.push(r.target.clone());
                }
            }
            ScopeTool::Write => {
                push_once(&mut scope.writes_by, grant(&r.rule, None, &r.at));
            }
            ScopeTool::Mcp => {
                let name = if r.target.is_empty() { "*" } else { &r.target };
                if !scope.mcp_tools.iter().any(|t| t == name) {
                    scope.mcp_tools.push(name.to_string());
                }
            }
            _ => {}
        }
    }
    if let Some(s) = set
        .get("enableAllProjectMcpServers")
        .filter(|s| s.value == "true")
    {
        scope.all_project_mcp_servers = true;
        scope.all_project_mcp_servers_by.push(setting_grant(
            s,
            "every server of .mcp.json starts without asking",
        ));
    }
    for s in settings
        .iter()
        .filter(|s| s.name == "enabledMcpjsonServers")
    {
        if !scope.mcp_servers_enabled.contains(&s.value) {
            scope.mcp_servers_enabled.push(s.value.clone());
        }
    }

    scope.bypass = scope
        .bypass_by
        .iter()
        .any(|g| !g.rule.starts_with("profiles."));
    let shell_any = !scope.shell_any_by.is_empty() || scope.bypass;
    scope.shell = if shell_any {
        "any"
    } else if live.iter().any(|r| r.tool == ScopeTool::Shell) {
        "listed"
    } else {
        "none"
    }
    .to_string();
    scope.network = if shell_any || !scope.network_any_by.is_empty() {
        "any"
    } else if !scope.network_domains.is_empty()
        || live
            .iter()
            .any(|r| r.tool == ScopeTool::Shell && commands::classify(&r.target, r.open).network)
    {
        "listed"
    } else {
        "none"
    }
    .to_string();
    scope.writes_files = scope.bypass || !scope.writes_by.is_empty();
    hooks.sort_by(|a, b| a.at.cmp(&b.at));
    hooks.dedup();
    scope.hooks = hooks;
    env.sort();
    env.dedup();
    scope.env = env;
    scope.sources = sources;
    scope.rules = rules;
    scope.settings = settings;
    scope
}

fn push_once(list: &mut Vec<ScopeGrant>, g: ScopeGrant) {
    if !list.contains(&g) {
        list.push(g);
    }
}

/// Codex: the sandbox and the approval policy, at the top level and with the profile the
/// config selects; profiles that bypass both are one `--profile` away.
fn codex(set: &BTreeMap<&str, &ScopeSetting>, scope: &mut ToolScope) {
    let profile = set.get("profile").map(|s| s.value.clone());
    let pick = |name: &str| -> Option<&ScopeSetting> {
        profile
            .as_ref()
            .and_then(|p| set.get(format!("profiles.{p}.{name}").as_str()).copied())
            .or_else(|| set.get(name).copied())
    };
    let sandbox = pick("sandbox_mode");
    let approval = pick("approval_policy");
    let network = pick("sandbox_workspace_write.network_access");
    scope.mode = approval.map(|a| a.value.clone());
    let sandbox_value = sandbox.map(|s| s.value.as_str());
    let approval_value = approval.map(|a| a.value.as_str());
    if let (Some(s), Some(a)) = (sandbox, approval)
        && s.value == "danger-full-access"
        && a.value == "never"
    {
        scope.bypass_by.push(setting_grant(
            s,
            "no sandbox, and nothing asks for approval",
        ));
        scope.bypass_by.push(setting_grant(
            a,
            "no sandbox, and nothing asks for approval",
        ));
    }
    if let Some(a) = approval.filter(|a| matches!(a.value.as_str(), "never" | "on-failure"))
        && sandbox_value != Some("read-only")
    {
        let why = match sandbox_value {
            Some(s) => format!("every command runs without approval (sandbox: {s})"),
            None => "every command runs without approval (sandbox not set here)".to_string(),
        };
        scope.shell_any_by.push(setting_grant(a, &why));
    }
    let asks = approval_value == Some("untrusted");
    match (sandbox, network) {
        (Some(s), _) if s.value == "danger-full-access" && !asks => {
            scope
                .network_any_by
                .push(setting_grant(s, "commands reach any host"));
        }
        (Some(s), Some(n)) if s.value == "workspace-write" && n.value == "true" && !asks => {
            scope
                .network_any_by
                .push(setting_grant(n, "commands reach any host"));
        }
        _ => {}
    }
    if let Some(s) =
        sandbox.filter(|s| matches!(s.value.as_str(), "workspace-write" | "danger-full-access"))
    {
        scope
            .writes_by
            .push(setting_grant(s, "commands write files"));
    }
    // Profiles the config does not select, but `codex --profile NAME` does.
    let mut names: Vec<&str> = set
        .keys()
        .filter_map(|k| k.strip_prefix("profiles."))
        .filter_map(|k| k.split_once('.').map(|(p, _)| p))
        .collect();
    names.dedup();
    for p in names {
        if Some(p) == profile.as_deref() {
            continue;
        }
        let get = |name: &str| {
            set.get(format!("profiles.{p}.{name}").as_str())
                .copied()
                .or_else(|| set.get(name).copied())
        };
        if let (Some(s), Some(a)) = (get("sandbox_mode"), get("approval_policy"))
            && s.value == "danger-full-access"
            && a.value == "never"
        {
            let why = format!("profile `{p}`: no sandbox, and nothing asks for approval");
            for x in [s, a] {
                let mut g = setting_grant(x, &why);
                if !x.name.starts_with("profiles.") {
                    g.rule = format!("profiles.{p} ← {}", g.rule);
                }
                scope.bypass_by.push(g);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(
        rule: &str,
        decision: ScopeDecision,
        tool: ScopeTool,
        target: &str,
        open: bool,
        level: ScopeLevel,
    ) -> ScopeRule {
        ScopeRule {
            rule: rule.into(),
            decision,
            tool,
            target: target.into(),
            open,
            level,
            at: "f:1:1".into(),
        }
    }

    #[test]
    fn deny_and_ask_beat_allow_across_levels() {
        use ScopeDecision::*;
        let parts = Parts {
            rules: vec![
                rule(
                    "Bash(git push:*)",
                    Allow,
                    ScopeTool::Shell,
                    "git push",
                    true,
                    ScopeLevel::Project,
                ),
                rule(
                    "Bash(python:*)",
                    Allow,
                    ScopeTool::Shell,
                    "python",
                    true,
                    ScopeLevel::Project,
                ),
                rule(
                    "Bash(git push:*)",
                    Deny,
                    ScopeTool::Shell,
                    "git push",
                    true,
                    ScopeLevel::Local,
                ),
                rule(
                    "Bash(python)",
                    Ask,
                    ScopeTool::Shell,
                    "python",
                    true,
                    ScopeLevel::User,
                ),
                rule(
                    "Bash(git add:*)",
                    Allow,
                    ScopeTool::Shell,
                    "git add",
                    true,
                    ScopeLevel::Project,
                ),
            ],
            ..Parts::default()
        };
        let s = summarise(McpClient::ClaudeCode, vec![], parts);
        assert_eq!(s.shell, "listed");
        assert_eq!(s.shell_commands, vec!["git add"]);
        assert!(s.code_host_write_by.is_empty() && s.shell_any_by.is_empty());
    }

    #[test]
    fn a_narrower_deny_leaves_the_wider_allow() {
        use ScopeDecision::*;
        let parts = Parts {
            rules: vec![
                rule(
                    "Bash",
                    Allow,
                    ScopeTool::Shell,
                    "",
                    true,
                    ScopeLevel::Project,
                ),
                rule(
                    "Bash(curl:*)",
                    Deny,
                    ScopeTool::Shell,
                    "curl",
                    true,
                    ScopeLevel::Project,
                ),
                rule(
                    "Bash(git push --force:*)",
                    Deny,
                    ScopeTool::Shell,
                    "git push --force",
                    true,
                    ScopeLevel::Project,
                ),
                rule(
                    "Bash(git push:*)",
                    Allow,
                    ScopeTool::Shell,
                    "git push",
                    true,
                    ScopeLevel::Project,
                ),
            ],
            ..Parts::default()
        };
        let s = summarise(McpClient::ClaudeCode, vec![], parts);
        assert_eq!(s.shell, "any");
        assert_eq!(s.network, "any");
        assert_eq!(s.code_host_write_by.len(), 1);
    }

    #[test]
    fn in_opencode_the_last_match_wins() {
        use ScopeDecision::*;
        let parts = Parts {
            rules: vec![
                rule(
                    "bash: *",
                    Ask,
                    ScopeTool::Shell,
                    "",
                    true,
                    ScopeLevel::Project,
                ),
                rule(
                    "bash: git *",
                    Allow,
                    ScopeTool::Shell,
                    "git",
                    true,
                    ScopeLevel::Project,
                ),
            ],
            ..Parts::default()
        };
        let s = summarise(McpClient::Opencode, vec![], parts);
        assert_eq!(s.shell, "listed");
        assert_eq!(s.code_host_write_by.len(), 1);
    }
}
