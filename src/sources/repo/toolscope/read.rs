//! Reading each product's permission settings, under the names its documentation gives,
//! into rules and settings with their positions. A value of the wrong type is an error
//! naming the field and its position; nothing in it is read.

use super::{MAX_ITEMS, Parts, level_of, summarise};
use crate::doc::{Node, Value};
use crate::model::facts::{
    ScopeDecision, ScopeHook, ScopeLevel, ScopeRule, ScopeSetting, ScopeSource, ScopeTool,
    ToolScope,
};
use crate::sources::repo::builder::Fragment;
use crate::sources::repo::detect::McpClient;

use ScopeDecision::{Allow, Ask, Deny};

/// The longest rule or setting kept as written; longer ones are cut (a rule is shown in
/// findings).
const MAX_TEXT: usize = 300;

/// The tool scope one file gives, or `None` when it says nothing about approvals.
pub fn read(client: McpClient, doc: &Node, fragment: &mut Fragment<'_>) -> Option<ToolScope> {
    if !doc.is_map() {
        return None;
    }
    let path = fragment.path.to_string();
    let mut r = Reader {
        level: level_of(&path),
        path: path.clone(),
        parts: Parts::default(),
        fragment,
    };
    match client {
        McpClient::ClaudeCode => r.claude(doc),
        McpClient::Cursor => r.cursor(doc),
        McpClient::Codex => r.codex(doc),
        McpClient::GeminiCli => r.gemini(doc),
        McpClient::VsCode => r.vscode(doc),
        McpClient::Opencode => r.opencode(doc),
        McpClient::Goose => r.goose(doc),
        _ => return None,
    }
    if r.parts.is_empty() {
        return None;
    }
    let level = r.level;
    Some(summarise(
        client,
        vec![ScopeSource { file: path, level }],
        r.parts,
    ))
}

struct Reader<'f, 'a> {
    path: String,
    level: ScopeLevel,
    parts: Parts,
    fragment: &'f mut Fragment<'a>,
}

fn cut(text: &str) -> String {
    if text.chars().count() <= MAX_TEXT {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(MAX_TEXT).collect();
        s.push('…');
        s
    }
}

impl Reader<'_, '_> {
    fn at(&self, n: &Node) -> String {
        format!("{}:{}:{}", self.path, n.line, n.column)
    }

    fn wrong(&mut self, n: &Node, field: &str, want: &str) {
        self.fragment.error(
            n.line,
            n.column,
            format!("`{field}` must be {want}; it was not read"),
        );
    }

    /// The strings of a list, each with its node; anything else is reported.
    fn strings<'n>(&mut self, n: &'n Node, field: &str) -> Vec<(&'n Node, String)> {
        if n.is_null() {
            return Vec::new();
        }
        if !n.is_seq() {
            self.wrong(n, field, "a list of strings");
            return Vec::new();
        }
        let items = n.items();
        if items.len() > MAX_ITEMS {
            self.fragment.error(
                n.line,
                n.column,
                format!(
                    "`{field}` has {} entries: only the first {MAX_ITEMS} were read",
                    items.len()
                ),
            );
        }
        let mut out = Vec::new();
        for item in items.iter().take(MAX_ITEMS) {
            match item.as_str() {
                Some(s) => out.push((item, s.to_string())),
                None => self.fragment.error(
                    item.line,
                    item.column,
                    format!("each item of `{field}` must be a string; it was not read"),
                ),
            }
        }
        out
    }

    /// The entries of a map; anything else is reported.
    fn entries<'n>(&mut self, n: &'n Node, field: &str, want: &str) -> Vec<(&'n str, &'n Node)> {
        if n.is_null() {
            return Vec::new();
        }
        if !n.is_map() {
            self.wrong(n, field, want);
            return Vec::new();
        }
        let entries = n.entries();
        if entries.len() > MAX_ITEMS {
            self.fragment.error(
                n.line,
                n.column,
                format!(
                    "`{field}` has {} entries: only the first {MAX_ITEMS} were read",
                    entries.len()
                ),
            );
        }
        entries
            .iter()
            .take(MAX_ITEMS)
            .map(|(k, v)| (k.name.as_str(), v))
            .collect()
    }

    fn rule(
        &mut self,
        text: &str,
        decision: ScopeDecision,
        (tool, target, open): (ScopeTool, String, bool),
        n: &Node,
    ) {
        let at = self.at(n);
        self.parts.rules.push(ScopeRule {
            rule: cut(text),
            decision,
            tool,
            target: cut(&target),
            open,
            level: self.level,
            at,
        });
    }

    /// A scalar setting; `None` (reported) when it is a list or a map.
    fn setting(&mut self, name: &str, n: &Node) -> Option<String> {
        if n.is_null() {
            return None;
        }
        let Some(value) = n.scalar_text() else {
            self.wrong(n, name, "a string, number or boolean");
            return None;
        };
        let at = self.at(n);
        self.parts.settings.push(ScopeSetting {
            name: name.to_string(),
            value: cut(&value),
            level: self.level,
            at,
        });
        Some(value)
    }

    fn env_names(&mut self, n: &Node, field: &str) {
        for (name, _) in self.entries(n, field, "a map of variable names to values") {
            self.parts.env.push(cut(name));
        }
    }

    /// Claude Code `settings.json`: `permissions.{allow,deny,ask,defaultMode}`,
    /// `enableAllProjectMcpServers`, `enabledMcpjsonServers`, `hooks`, `env`.
    fn claude(&mut self, doc: &Node) {
        if let Some(p) = doc.get("permissions") {
            if p.is_map() {
                for (key, decision) in [("allow", Allow), ("deny", Deny), ("ask", Ask)] {
                    if let Some(list) = p.get(key) {
                        for (n, s) in self.strings(list, &format!("permissions.{key}")) {
                            self.rule(&s, decision, claude_rule(&s, decision), n);
                        }
                    }
                }
                for key in ["defaultMode", "disableBypassPermissionsMode"] {
                    if let Some(v) = p.get(key) {
                        self.setting(&format!("permissions.{key}"), v);
                    }
                }
                if let Some(list) = p.get("additionalDirectories") {
                    for (n, s) in self.strings(list, "permissions.additionalDirectories") {
                        let at = self.at(n);
                        self.parts.settings.push(ScopeSetting {
                            name: "permissions.additionalDirectories".into(),
                            value: cut(&s),
                            level: self.level,
                            at,
                        });
                    }
                }
            } else if !p.is_null() {
                self.wrong(
                    p,
                    "permissions",
                    "an object (allow, deny, ask, defaultMode)",
                );
            }
        }
        if let Some(v) = doc.get("enableAllProjectMcpServers") {
            self.setting("enableAllProjectMcpServers", v);
        }
        if let Some(list) = doc.get("enabledMcpjsonServers") {
            for (n, s) in self.strings(list, "enabledMcpjsonServers") {
                let at = self.at(n);
                self.parts.settings.push(ScopeSetting {
                    name: "enabledMcpjsonServers".into(),
                    value: cut(&s),
                    level: self.level,
                    at,
                });
            }
        }
        if let Some(hooks) = doc.get("hooks") {
            self.claude_hooks(hooks);
        }
        if let Some(env) = doc.get("env") {
            self.env_names(env, "env");
        }
    }

    /// `hooks.<Event>: [{matcher, hooks: [{type: "command", command}]}]`.
    fn claude_hooks(&mut self, hooks: &Node) {
        for (event, groups) in self.entries(hooks, "hooks", "a map of events to lists of hooks") {
            if !groups.is_seq() {
                self.wrong(
                    groups,
                    &format!("hooks.{event}"),
                    "a list of matchers and hooks",
                );
                continue;
            }
            for group in groups.items().iter().take(MAX_ITEMS) {
                let matcher = group
                    .get("matcher")
                    .and_then(Node::as_str)
                    .filter(|m| !m.is_empty())
                    .map(cut);
                let Some(list) = group.get("hooks") else {
                    continue;
                };
                if !list.is_seq() {
                    self.wrong(list, &format!("hooks.{event}[].hooks"), "a list of hooks");
                    continue;
                }
                for hook in list.items().iter().take(MAX_ITEMS) {
                    let Some(command) = hook.get("command") else {
                        continue;
                    };
                    match command.as_str() {
                        Some(c) => {
                            let at = self.at(command);
                            self.parts.hooks.push(ScopeHook {
                                event: cut(event),
                                matcher: matcher.clone(),
                                program: program_of(c),
                                level: self.level,
                                at,
                            });
                        }
                        None => self.wrong(
                            command,
                            &format!("hooks.{event}[].hooks[].command"),
                            "a string",
                        ),
                    }
                }
            }
        }
    }

    /// Cursor: the CLI's `permissions.{allow,deny}` (`Shell(git)`, `Read(src/**)`,
    /// `Write(…)`, `Mcp(server:tool)`), and the editor's `permissions.json`
    /// `terminalAllowlist` and `mcpAllowlist`.
    fn cursor(&mut self, doc: &Node) {
        if let Some(p) = doc.get("permissions") {
            if p.is_map() {
                for (key, decision) in [("allow", Allow), ("deny", Deny)] {
                    if let Some(list) = p.get(key) {
                        for (n, s) in self.strings(list, &format!("permissions.{key}")) {
                            self.rule(&s, decision, cursor_rule(&s), n);
                        }
                    }
                }
            } else if !p.is_null() {
                self.wrong(p, "permissions", "an object (allow, deny)");
            }
        }
        if let Some(list) = doc.get("terminalAllowlist") {
            for (n, s) in self.strings(list, "terminalAllowlist") {
                let (target, open) = shell_pattern(&s);
                let text = format!("terminalAllowlist: {s}");
                self.rule(&text, Allow, (ScopeTool::Shell, target, open), n);
            }
        }
        if let Some(list) = doc.get("mcpAllowlist") {
            for (n, s) in self.strings(list, "mcpAllowlist") {
                let text = format!("mcpAllowlist: {s}");
                self.rule(&text, Allow, (ScopeTool::Mcp, s.clone(), false), n);
            }
        }
    }

    /// Codex `config.toml`: `sandbox_mode`, `approval_policy`,
    /// `sandbox_workspace_write.network_access`, `profile`, the same under
    /// `[profiles.NAME]`, and `notify` (a command run on events).
    fn codex(&mut self, doc: &Node) {
        self.codex_values(doc, "");
        if let Some(p) = doc.get("profile") {
            self.setting("profile", p);
        }
        if let Some(profiles) = doc.get("profiles") {
            for (name, profile) in self.entries(profiles, "profiles", "a table of profiles") {
                if profile.is_map() {
                    self.codex_values(profile, &format!("profiles.{name}."));
                } else {
                    self.wrong(profile, &format!("profiles.{name}"), "a table");
                }
            }
        }
        if let Some(notify) = doc.get("notify") {
            let program = match &notify.value {
                Value::Seq(items) => items.first().and_then(Node::as_str).map(program_of),
                Value::String(s) => Some(program_of(s)),
                _ => None,
            };
            match program {
                Some(program) => {
                    let at = self.at(notify);
                    self.parts.hooks.push(ScopeHook {
                        event: "notify".into(),
                        matcher: None,
                        program,
                        level: self.level,
                        at,
                    });
                }
                None => self.wrong(notify, "notify", "a list: the command and its arguments"),
            }
        }
    }

    fn codex_values(&mut self, table: &Node, prefix: &str) {
        if let Some(v) = table.get("sandbox_mode") {
            self.setting(&format!("{prefix}sandbox_mode"), v);
        }
        if let Some(v) = table.get("approval_policy") {
            if v.is_map() {
                self.fragment.warn(
                    v.line,
                    v.column,
                    format!("`{prefix}approval_policy` is a granular policy: its parts are not read, so what it approves is not in the tool scope"),
                );
            } else {
                self.setting(&format!("{prefix}approval_policy"), v);
            }
        }
        if let Some(w) = table.get("sandbox_workspace_write") {
            if w.is_map() {
                if let Some(v) = w.get("network_access") {
                    self.setting(
                        &format!("{prefix}sandbox_workspace_write.network_access"),
                        v,
                    );
                }
            } else {
                self.wrong(w, &format!("{prefix}sandbox_workspace_write"), "a table");
            }
        }
    }

    /// Gemini CLI `settings.json`: `tools.allowed` (run without confirmation),
    /// `tools.exclude` and the older `excludeTools`, `general.defaultApprovalMode`,
    /// `autoAccept` (`tools.autoAccept`), and servers marked `trust: true`.
    fn gemini(&mut self, doc: &Node) {
        if let Some(list) = doc.at(&["tools", "allowed"]) {
            for (n, s) in self.strings(list, "tools.allowed") {
                self.rule(&format!("tools.allowed: {s}"), Allow, gemini_tool(&s), n);
            }
        }
        for (path, field) in [
            (&["tools", "exclude"][..], "tools.exclude"),
            (&["excludeTools"][..], "excludeTools"),
        ] {
            if let Some(list) = doc.at(path) {
                for (n, s) in self.strings(list, field) {
                    self.rule(&format!("{field}: {s}"), Deny, gemini_tool(&s), n);
                }
            }
        }
        if let Some(v) = doc.at(&["general", "defaultApprovalMode"])
            && self.setting("general.defaultApprovalMode", v).as_deref() == Some("yolo")
        {
            self.fragment.warn(
                v.line,
                v.column,
                "`general.defaultApprovalMode: yolo` is not honoured from a settings file (YOLO mode is turned on from the command line only): not read as approvals bypassed",
            );
        }
        for (path, name) in [
            (&["autoAccept"][..], "autoAccept"),
            (&["tools", "autoAccept"][..], "tools.autoAccept"),
        ] {
            if let Some(v) = doc.at(path) {
                self.setting(name, v);
            }
        }
        if let Some(servers) = doc.get("mcpServers").filter(|s| s.is_map()) {
            for (name, server) in servers.entries() {
                if let Some(t) = server.get("trust")
                    && t.as_bool() == Some(true)
                {
                    let text = format!("mcpServers.{}.trust: true", name.name);
                    self.rule(&text, Allow, (ScopeTool::Mcp, name.name.clone(), true), t);
                }
            }
        }
    }

    /// VS Code `settings.json`: `chat.tools.autoApprove` (every tool),
    /// `chat.tools.terminal.autoApprove` (commands, `true` or `false`),
    /// `chat.tools.terminal.enableAutoApprove`, `chat.tools.edits.autoApprove` (files),
    /// `chat.tools.urls.autoApprove` (URLs), and the older
    /// `chat.agent.terminal.allowList`/`denyList`.
    fn vscode(&mut self, doc: &Node) {
        for name in ["chat.tools.autoApprove", "chat.tools.global.autoApprove"] {
            if let Some(v) = doc.get(name) {
                self.setting(name, v);
            }
        }
        let terminal_on = match doc.get("chat.tools.terminal.enableAutoApprove") {
            Some(v) => self
                .setting("chat.tools.terminal.enableAutoApprove", v)
                .is_none_or(|v| v != "false"),
            None => true,
        };
        for (name, fixed) in [
            ("chat.tools.terminal.autoApprove", None),
            ("chat.agent.terminal.allowList", Some(Allow)),
            ("chat.agent.terminal.denyList", Some(Deny)),
        ] {
            let Some(map) = doc.get(name) else { continue };
            for (key, v) in self.entries(map, name, "a map of commands to true or false") {
                let Some(decision) = fixed.or_else(|| approve_value(v)) else {
                    if !v.is_null() {
                        self.wrong(
                            v,
                            &format!("{name}.{key}"),
                            "true, false or {\"approve\": …}",
                        );
                    }
                    continue;
                };
                if decision == Allow && !terminal_on {
                    continue;
                }
                for (target, open) in vscode_commands(key) {
                    self.rule(
                        &format!("{name}: {key}"),
                        decision,
                        (ScopeTool::Shell, target, open),
                        v,
                    );
                }
            }
        }
        if let Some(map) = doc.get("chat.tools.edits.autoApprove") {
            for (key, v) in self.entries(
                map,
                "chat.tools.edits.autoApprove",
                "a map of file patterns to true or false",
            ) {
                if let Some(decision) = approve_value(v) {
                    let target = if matches!(key, "*" | "**" | "**/*") {
                        String::new()
                    } else {
                        key.to_string()
                    };
                    self.rule(
                        &format!("chat.tools.edits.autoApprove: {key}"),
                        decision,
                        (ScopeTool::Write, target, true),
                        v,
                    );
                }
            }
        }
        if let Some(map) = doc.get("chat.tools.urls.autoApprove") {
            for (key, v) in self.entries(
                map,
                "chat.tools.urls.autoApprove",
                "a map of URL patterns to true, false or an object",
            ) {
                let decision = match &v.value {
                    Value::Map(_) => v
                        .get("approveRequest")
                        .and_then(approve_value)
                        .unwrap_or(Allow),
                    _ => match approve_value(v) {
                        Some(d) => d,
                        None => continue,
                    },
                };
                self.rule(
                    &format!("chat.tools.urls.autoApprove: {key}"),
                    decision,
                    (ScopeTool::Network, url_domain(key), true),
                    v,
                );
            }
        }
    }

    /// opencode `opencode.json`: `permission` as one action for every tool, or per tool
    /// (`bash`, `edit`, `webfetch`, `read`, MCP tool names), each an action or a map of
    /// patterns to actions.
    fn opencode(&mut self, doc: &Node) {
        let Some(p) = doc.get("permission") else {
            return;
        };
        match &p.value {
            Value::String(action) => {
                if let Some(d) = action_of(action) {
                    self.rule(
                        &format!("permission: {action}"),
                        d,
                        (ScopeTool::All, String::new(), true),
                        p,
                    );
                } else {
                    self.wrong(p, "permission", "allow, ask or deny, or a map of tools");
                }
            }
            Value::Map(_) => {
                for (tool, v) in self.entries(p, "permission", "a map of tools") {
                    let kind = opencode_tool(tool);
                    match &v.value {
                        Value::String(action) => match action_of(action) {
                            Some(d) => {
                                let target = if kind == ScopeTool::Mcp {
                                    tool.to_string()
                                } else {
                                    String::new()
                                };
                                self.rule(&format!("{tool}: {action}"), d, (kind, target, true), v);
                            }
                            None => {
                                self.wrong(v, &format!("permission.{tool}"), "allow, ask or deny")
                            }
                        },
                        Value::Map(_) => {
                            for (pattern, a) in
                                self.entries(v, &format!("permission.{tool}"), "a map of patterns")
                            {
                                match a.as_str().and_then(action_of) {
                                    Some(d) => {
                                        let (target, open) = match kind {
                                            ScopeTool::Shell => shell_pattern(pattern),
                                            ScopeTool::Network => (url_domain(pattern), true),
                                            _ if pattern == "*" => (String::new(), true),
                                            _ => (pattern.to_string(), true),
                                        };
                                        self.rule(
                                            &format!(
                                                "{tool}: {pattern}: {}",
                                                a.as_str().unwrap_or("")
                                            ),
                                            d,
                                            (kind, target, open),
                                            a,
                                        );
                                    }
                                    None => self.wrong(
                                        a,
                                        &format!("permission.{tool}.{pattern}"),
                                        "allow, ask or deny",
                                    ),
                                }
                            }
                        }
                        _ => self.wrong(
                            v,
                            &format!("permission.{tool}"),
                            "allow, ask or deny, or a map of patterns",
                        ),
                    }
                }
            }
            Value::Null => {}
            _ => self.wrong(p, "permission", "allow, ask or deny, or a map of tools"),
        }
    }

    /// Goose `config.yaml`: `GOOSE_MODE` (`auto` approves every tool).
    fn goose(&mut self, doc: &Node) {
        if let Some(v) = doc.get("GOOSE_MODE") {
            self.setting("GOOSE_MODE", v);
        }
    }
}

/// The program a command runs, for display: the first word that is not an assignment,
/// unquoted, without its folder. Never the arguments, which may carry secrets.
pub fn program_of(command: &str) -> String {
    let word = command
        .split_whitespace()
        .find(|w| !w.contains('=') || w.starts_with('"') || w.starts_with('\''))
        .unwrap_or("");
    let word = word.trim_matches(['"', '\'']);
    let name = word.rsplit(['/', '\\']).next().unwrap_or(word);
    cut(name.trim_matches(['"', '\'']))
}

/// A command pattern: `git push:*`, `git push *`, `git push*` match what follows. A `*`
/// with more after it (`git * main`, `git push *--force*`) matches less than the words
/// before it: as an allow it is read as those words and anything after (what it may
/// approve at most), as a deny or an ask as itself (what it surely blocks: only the same
/// rule).
fn shell_pattern(spec: &str) -> (String, bool) {
    shell_pattern_for(spec, Allow)
}

fn shell_pattern_for(spec: &str, decision: ScopeDecision) -> (String, bool) {
    let spec = spec.trim();
    if spec.is_empty() || spec == "*" || spec == "**" {
        return (String::new(), true);
    }
    if let Some(i) = spec.find('*') {
        let head = spec[..i].trim_end_matches(':').trim();
        let tail = spec[i..].trim_start_matches('*');
        if !tail.is_empty() && decision != Allow {
            return (spec.to_string(), false);
        }
        return (head.to_string(), true);
    }
    (spec.to_string(), false)
}

/// `Tool(spec)` into the tool's name and its spec.
fn split_call(rule: &str) -> (&str, Option<&str>) {
    let rule = rule.trim();
    match rule.find('(') {
        Some(i) if rule.ends_with(')') => {
            (rule[..i].trim(), Some(rule[i + 1..rule.len() - 1].trim()))
        }
        _ => (rule, None),
    }
}

/// A Claude Code rule: `Bash(npm run test:*)`, `Read(./src/**)`, `Edit`,
/// `WebFetch(domain:example.com)`, `WebSearch`, `mcp__server__tool`.
fn claude_rule(rule: &str, decision: ScopeDecision) -> (ScopeTool, String, bool) {
    let (name, spec) = split_call(rule);
    let any = || {
        spec.map_or(String::new(), |s| {
            if matches!(s, "*" | "**" | "**/*") {
                String::new()
            } else {
                s.to_string()
            }
        })
    };
    match name {
        "Bash" => {
            let (target, open) =
                spec.map_or((String::new(), true), |s| shell_pattern_for(s, decision));
            (ScopeTool::Shell, target, open)
        }
        "Read" | "Grep" | "Glob" | "LS" => (ScopeTool::Read, any(), true),
        "Edit" | "Write" | "MultiEdit" | "NotebookEdit" => (ScopeTool::Write, any(), true),
        "WebFetch" => {
            let domain = spec
                .map(|s| s.strip_prefix("domain:").unwrap_or(s))
                .filter(|d| !matches!(*d, "*" | ""));
            (ScopeTool::Network, domain.unwrap_or("").to_string(), true)
        }
        "WebSearch" => (ScopeTool::Search, String::new(), true),
        n if n.starts_with("mcp__") => {
            let target = n.trim_end_matches("__*").to_string();
            (ScopeTool::Mcp, target, true)
        }
        _ => (ScopeTool::Other, rule.trim().to_string(), true),
    }
}

/// A Cursor CLI rule: `Shell(git)` (the command's base), `Read(glob)`, `Write(glob)`,
/// `WebFetch(domain)`, `Mcp(server:tool)`.
fn cursor_rule(rule: &str) -> (ScopeTool, String, bool) {
    let (name, spec) = split_call(rule);
    let spec = spec.unwrap_or("");
    let any = |s: &str| {
        if matches!(s, "*" | "**" | "**/*" | "") {
            String::new()
        } else {
            s.to_string()
        }
    };
    match name {
        "Shell" => {
            let (target, _) = shell_pattern(spec);
            (ScopeTool::Shell, target, true)
        }
        "Read" => (ScopeTool::Read, any(spec), true),
        "Write" => (ScopeTool::Write, any(spec), true),
        "WebFetch" => (ScopeTool::Network, any(spec), true),
        "Mcp" => (ScopeTool::Mcp, any(spec), true),
        _ => (ScopeTool::Other, rule.trim().to_string(), true),
    }
}

/// A Gemini CLI tool name: `run_shell_command(git status)` (and `ShellTool(…)`),
/// `write_file`, `replace`, `web_fetch`, `google_web_search`, `read_file`, or an MCP tool.
fn gemini_tool(name: &str) -> (ScopeTool, String, bool) {
    let (tool, spec) = split_call(name);
    match tool {
        "run_shell_command" | "ShellTool" => {
            let (target, _) = spec.map_or((String::new(), true), shell_pattern);
            (ScopeTool::Shell, target, true)
        }
        "write_file" | "WriteFileTool" | "replace" | "EditTool" | "edit" => {
            (ScopeTool::Write, String::new(), true)
        }
        "web_fetch" | "WebFetchTool" => (ScopeTool::Network, String::new(), true),
        "google_web_search" | "WebSearchTool" => (ScopeTool::Search, String::new(), true),
        "read_file"
        | "ReadFileTool"
        | "read_many_files"
        | "ReadManyFilesTool"
        | "list_directory"
        | "LSTool"
        | "glob"
        | "GlobTool"
        | "search_file_content"
        | "GrepTool" => (ScopeTool::Read, String::new(), true),
        _ => (ScopeTool::Mcp, name.trim().to_string(), false),
    }
}

/// opencode's tool names.
fn opencode_tool(tool: &str) -> ScopeTool {
    match tool {
        "*" => ScopeTool::All,
        "bash" => ScopeTool::Shell,
        "edit" | "write" | "patch" | "multiedit" => ScopeTool::Write,
        "webfetch" => ScopeTool::Network,
        "websearch" | "codesearch" => ScopeTool::Search,
        "read" | "glob" | "grep" | "list" | "lsp" => ScopeTool::Read,
        "external_directory" | "doom_loop" | "task" | "skill" | "todowrite" | "todoread"
        | "question" => ScopeTool::Other,
        _ => ScopeTool::Mcp,
    }
}

fn action_of(action: &str) -> Option<ScopeDecision> {
    match action {
        "allow" => Some(Allow),
        "ask" => Some(Ask),
        "deny" => Some(Deny),
        _ => None,
    }
}

/// VS Code's `true`/`false`, or `{"approve": …}`.
fn approve_value(v: &Node) -> Option<ScopeDecision> {
    let b = match &v.value {
        Value::Map(_) => v.get("approve").and_then(Node::as_bool),
        _ => v.as_bool(),
    }?;
    Some(if b { Allow } else { Deny })
}

/// A VS Code terminal rule: a command (matching its start) or a `/regex/`, read from its
/// literal start, each alternative of a group right after it on its own
/// (`/^git (status|show\\b.*)$/` is `git status` and `git show`); `/.*/` is any command.
fn vscode_commands(key: &str) -> Vec<(String, bool)> {
    let Some(re) = key
        .strip_prefix('/')
        .and_then(|k| k.rsplit_once('/'))
        .map(|(re, _)| re)
    else {
        // A command matches itself with any arguments.
        return vec![(shell_pattern(key).0, true)];
    };
    let re = re.trim_start_matches('^');
    let literal = |s: &str| -> String {
        s.chars()
            .take_while(|c| !"\\.*+?()[]{}|$^".contains(*c))
            .collect()
    };
    let head = literal(re);
    let rest = &re[head.len()..];
    if let Some(group) = rest.strip_prefix('(') {
        let mut depth = 1;
        let mut end = None;
        for (i, c) in group.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        if let Some(end) = end {
            let inner = group[..end].trim_start_matches("?:");
            let mut out = Vec::new();
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    '|' if depth == 0 => {
                        out.push(format!("{head}{}", literal(&inner[start..i])));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            out.push(format!("{head}{}", literal(&inner[start..])));
            return out
                .into_iter()
                .map(|t| (t.trim().to_string(), true))
                .collect();
        }
    }
    vec![(head.trim().to_string(), true)]
}

/// The host of a URL pattern (`https://*.github.com/*` → `*.github.com`); empty for any.
fn url_domain(pattern: &str) -> String {
    let rest = pattern.split_once("://").map_or(pattern, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if matches!(host, "" | "*" | "**") {
        String::new()
    } else {
        host.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_read_as_each_product_writes_them() {
        assert_eq!(
            claude_rule("Bash", Allow),
            (ScopeTool::Shell, String::new(), true)
        );
        assert_eq!(
            claude_rule("Bash(*)", Allow),
            (ScopeTool::Shell, String::new(), true)
        );
        assert_eq!(
            claude_rule("Bash(git push:*)", Allow),
            (ScopeTool::Shell, "git push".into(), true)
        );
        assert_eq!(
            claude_rule("Bash(npm test *)", Allow),
            (ScopeTool::Shell, "npm test".into(), true)
        );
        assert_eq!(
            claude_rule("Bash(e sync)", Allow),
            (ScopeTool::Shell, "e sync".into(), false)
        );
        assert_eq!(
            claude_rule("Read(*)", Allow),
            (ScopeTool::Read, String::new(), true)
        );
        assert_eq!(
            claude_rule("WebFetch(domain:github.com)", Allow),
            (ScopeTool::Network, "github.com".into(), true)
        );
        assert_eq!(
            claude_rule("WebFetch", Allow),
            (ScopeTool::Network, String::new(), true)
        );
        assert_eq!(
            claude_rule("mcp__github__create_issue", Allow),
            (ScopeTool::Mcp, "mcp__github__create_issue".into(), true)
        );
        assert_eq!(
            claude_rule("Bash(git push *--force*)", Deny),
            (ScopeTool::Shell, "git push *--force*".into(), false)
        );
        assert_eq!(
            cursor_rule("Shell(git)"),
            (ScopeTool::Shell, "git".into(), true)
        );
        assert_eq!(
            gemini_tool("run_shell_command(git status)"),
            (ScopeTool::Shell, "git status".into(), true)
        );
        assert_eq!(
            vscode_commands("/^git (status|show\\b.*)$/"),
            vec![("git status".into(), true), ("git show".into(), true)]
        );
        assert_eq!(vscode_commands("/.*/"), vec![(String::new(), true)]);
        assert_eq!(vscode_commands("mkdir"), vec![("mkdir".into(), true)]);
        assert_eq!(url_domain("https://*.github.com/*"), "*.github.com");
        assert_eq!(
            program_of("FOO=1 \"$CLAUDE_PROJECT_DIR\"/.claude/hooks/check.sh --token x"),
            "check.sh"
        );
        assert_eq!(program_of("npx prettier --write"), "npx");
    }
}
