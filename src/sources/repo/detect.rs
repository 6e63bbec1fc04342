//! Recognising what a file is: by its name first, by its content where the name says
//! nothing (renamed copies, exports, files collected into an evidence folder).

use std::path::Path;

/// The MCP clients whose config formats we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum McpClient {
    ClaudeCode,
    ClaudeDesktop,
    Cursor,
    VsCode,
    Windsurf,
    Cline,
    GeminiCli,
    /// A Gemini CLI extension's `gemini-extension.json`: servers the CLI starts.
    GeminiExtension,
    Codex,
    Kiro,
    AmazonQ,
    Antigravity,
    Continue,
    Zed,
    Opencode,
    Goose,
    /// An MCP config whose client the name does not tell.
    Unknown,
}

impl McpClient {
    pub fn name(self) -> &'static str {
        match self {
            McpClient::ClaudeCode => "Claude Code",
            McpClient::ClaudeDesktop => "Claude Desktop",
            McpClient::Cursor => "Cursor",
            McpClient::VsCode => "VS Code",
            McpClient::Windsurf => "Windsurf",
            McpClient::Cline => "Cline",
            McpClient::GeminiCli => "Gemini CLI",
            McpClient::GeminiExtension => "Gemini CLI extension",
            McpClient::Codex => "Codex",
            McpClient::Kiro => "Kiro",
            McpClient::AmazonQ => "Amazon Q Developer",
            McpClient::Antigravity => "Antigravity",
            McpClient::Continue => "Continue",
            McpClient::Zed => "Zed",
            McpClient::Opencode => "opencode",
            McpClient::Goose => "Goose",
            McpClient::Unknown => "MCP client",
        }
    }
}

/// What a file is to us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    Mcp(McpClient),
    /// A coding agent's own settings, with no MCP servers: Claude Code's
    /// `.claude/settings.json`, `.claude/settings.local.json` and `managed-settings.json`,
    /// Cursor's `.cursor/cli.json`, `cli-config.json` and `permissions.json`.
    AgentSettings(McpClient),
    Workflow,
    /// A GitHub Agentic Workflows source (`.github/workflows/x.md` with front matter).
    GhAwSource,
    /// A composite or other action (`action.yml`): read through the workflows using it.
    Action,
    CrewAiAgents,
    A2aCard,
    LangGraph,
    AutogenConfigList,
    DotEnv,
    /// Any other text file: only the secret scanner looks at it.
    Other,
}

impl FileKind {
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::Mcp(_) => "an MCP client config",
            FileKind::AgentSettings(_) => "a coding agent's settings",
            FileKind::Workflow => "a GitHub Actions workflow",
            FileKind::GhAwSource => "a GitHub Agentic Workflows source",
            FileKind::Action => "a GitHub Actions action",
            FileKind::CrewAiAgents => "a CrewAI agents config",
            FileKind::A2aCard => "an A2A agent card",
            FileKind::LangGraph => "a LangGraph config",
            FileKind::AutogenConfigList => "an AutoGen OAI_CONFIG_LIST",
            FileKind::DotEnv => "a .env file",
            FileKind::Other => "a text file",
        }
    }
}

/// Classifies a path by name and content (reads nothing itself).
pub fn classify(path: &Path, text: &str) -> FileKind {
    match classify_by_name(path) {
        FileKind::Other => classify_by_content(path, text),
        kind => kind,
    }
}

/// Classifies by the file name and its parent folders alone.
pub fn classify_by_name(path: &Path) -> FileKind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let name = name.as_ref();
    let parent = parent_name(path, 1);
    let grandparent = parent_name(path, 2);

    if (name.ends_with(".yml") || name.ends_with(".yaml"))
        && parent == "workflows"
        && grandparent == ".github"
    {
        return FileKind::Workflow;
    }
    if name.ends_with(".md") && parent == "workflows" && grandparent == ".github" {
        return FileKind::GhAwSource;
    }
    if matches!(name, "action.yml" | "action.yaml") {
        return FileKind::Action;
    }
    match name {
        ".mcp.json" => return FileKind::Mcp(McpClient::ClaudeCode),
        "claude_desktop_config.json" => return FileKind::Mcp(McpClient::ClaudeDesktop),
        "cline_mcp_settings.json" => return FileKind::Mcp(McpClient::Cline),
        "mcp_config.json" if parent == "windsurf" || grandparent == ".codeium" => {
            return FileKind::Mcp(McpClient::Windsurf);
        }
        "mcp_config.json" if parent == "antigravity" => {
            return FileKind::Mcp(McpClient::Antigravity);
        }
        // Other clients use the name too: do not guess which.
        "mcp_config.json" => return FileKind::Mcp(McpClient::Unknown),
        "mcp.json" if parent == ".cursor" => return FileKind::Mcp(McpClient::Cursor),
        "mcp.json" if parent == ".vscode" => return FileKind::Mcp(McpClient::VsCode),
        "mcp.json" if parent == ".claude" => return FileKind::Mcp(McpClient::ClaudeCode),
        "mcp.json" if parent == "settings" && grandparent == ".kiro" => {
            return FileKind::Mcp(McpClient::Kiro);
        }
        "mcp.json" if parent == ".amazonq" || parent == "amazonq" => {
            return FileKind::Mcp(McpClient::AmazonQ);
        }
        "gemini-extension.json" => return FileKind::Mcp(McpClient::GeminiExtension),
        "settings.json" if parent == ".gemini" => return FileKind::Mcp(McpClient::GeminiCli),
        "settings.json" | "settings.local.json" if parent == ".claude" => {
            return FileKind::AgentSettings(McpClient::ClaudeCode);
        }
        "managed-settings.json" => return FileKind::AgentSettings(McpClient::ClaudeCode),
        "settings.json" if parent == "gemini-cli" => return FileKind::Mcp(McpClient::GeminiCli),
        "cli.json" | "cli-config.json" | "permissions.json" if parent == ".cursor" => {
            return FileKind::AgentSettings(McpClient::Cursor);
        }
        "settings.json" if parent == ".zed" || parent == "zed" => {
            return FileKind::Mcp(McpClient::Zed);
        }
        "settings.json" if parent == ".vscode" => return FileKind::Mcp(McpClient::VsCode),
        "config.toml" if parent == ".codex" => return FileKind::Mcp(McpClient::Codex),
        "config.yaml" | "config.yml" | "config.json" if parent == ".continue" => {
            return FileKind::Mcp(McpClient::Continue);
        }
        "opencode.json" | "opencode.jsonc" => return FileKind::Mcp(McpClient::Opencode),
        "config.yaml" if parent == "goose" => return FileKind::Mcp(McpClient::Goose),
        "langgraph.json" => return FileKind::LangGraph,
        "agent-card.json" | "agent_card.json" => return FileKind::A2aCard,
        "agent.json" if parent == ".well-known" => return FileKind::A2aCard,
        "agents.yaml" | "agents.yml" => return FileKind::CrewAiAgents,
        _ => {}
    }
    if parent == "mcpServers" && grandparent == ".continue" {
        return FileKind::Mcp(McpClient::Continue);
    }
    // Renamed or collected copies: `foo.mcp.json`, `project_mcp.json`.
    if name.ends_with(".mcp.json") {
        return FileKind::Mcp(McpClient::ClaudeCode);
    }
    if name.ends_with("mcp.json") {
        return FileKind::Mcp(McpClient::Unknown);
    }
    if name.starts_with("OAI_CONFIG_LIST") {
        return FileKind::AutogenConfigList;
    }
    if is_dotenv_name(name) {
        return FileKind::DotEnv;
    }
    FileKind::Other
}

fn is_dotenv_name(name: &str) -> bool {
    // `.env`, `.env.local`, `prod.env`; not `.envrc` (a shell script) nor `env.example.md`.
    name == ".env"
        || (name.starts_with(".env.") && !name.ends_with(".md"))
        || (name.ends_with(".env") && name.len() > 4)
}

fn parent_name(path: &Path, up: usize) -> String {
    path.ancestors()
        .nth(up)
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Classifies a file the name said nothing about, from cheap substring checks; the
/// analysers parse properly afterwards and ignore what is not theirs.
pub fn classify_by_content(path: &Path, text: &str) -> FileKind {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "json" | "jsonc" => classify_json(text),
        "yml" | "yaml" => classify_yaml(text),
        "md" if crate::sources::repo::workflow::ghaw::is_source(text) => FileKind::GhAwSource,
        "toml" if text.contains("mcp_servers") => FileKind::Mcp(McpClient::Codex),
        _ => FileKind::Other,
    }
}

fn classify_json(text: &str) -> FileKind {
    let head = text.trim_start();
    // An MCP server's own manifest (the registry's `server.json`, a desktop extension's
    // `manifest.json`) describes a server; it configures no client.
    if text.contains("server.schema.json")
        || (text.contains("\"packages\"") && text.contains("\"registryType\""))
        || text.contains("\"mcp_config\"")
    {
        return FileKind::Other;
    }
    if text.contains("\"mcpServers\"") {
        return FileKind::Mcp(McpClient::Unknown);
    }
    if text.contains("\"context_servers\"") {
        return FileKind::Mcp(McpClient::Zed);
    }
    if text.contains("\"servers\"") && (text.contains("\"command\"") || text.contains("\"url\"")) {
        return FileKind::Mcp(McpClient::VsCode);
    }
    if text.contains("\"graphs\"") && text.contains("\"dependencies\"") {
        return FileKind::LangGraph;
    }
    if text.contains("\"skills\"")
        && text.contains("\"name\"")
        && (text.contains("\"capabilities\"") || text.contains("\"url\""))
    {
        return FileKind::A2aCard;
    }
    if (head.starts_with('[') || head.starts_with("//"))
        && text.contains("\"model\"")
        && text.contains("\"api_key\"")
    {
        return FileKind::AutogenConfigList;
    }
    FileKind::Other
}

fn classify_yaml(text: &str) -> FileKind {
    if text.contains("jobs:") && (text.contains("runs-on") || text.contains("uses:")) {
        return FileKind::Workflow;
    }
    if text.contains("runs:") && text.contains("using:") && text.contains("steps:") {
        return FileKind::Action;
    }
    if text.contains("role:") && text.contains("goal:") && text.contains("backstory:") {
        return FileKind::CrewAiAgents;
    }
    if text.lines().any(|l| l.starts_with("mcpServers:")) {
        return FileKind::Mcp(McpClient::Continue);
    }
    FileKind::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_name(p: &str) -> FileKind {
        classify_by_name(Path::new(p))
    }

    #[test]
    fn names() {
        assert_eq!(by_name("a/.mcp.json"), FileKind::Mcp(McpClient::ClaudeCode));
        assert_eq!(
            by_name("x/.cursor/mcp.json"),
            FileKind::Mcp(McpClient::Cursor)
        );
        assert_eq!(
            by_name(".vscode/mcp.json"),
            FileKind::Mcp(McpClient::VsCode)
        );
        assert_eq!(
            by_name("h/.gemini/settings.json"),
            FileKind::Mcp(McpClient::GeminiCli)
        );
        assert_eq!(
            by_name("h/.codex/config.toml"),
            FileKind::Mcp(McpClient::Codex)
        );
        assert_eq!(by_name("r/.github/workflows/ci.yml"), FileKind::Workflow);
        assert_eq!(by_name("r/workflows/ci.yml"), FileKind::Other);
        assert_eq!(by_name("r/.env"), FileKind::DotEnv);
        assert_eq!(by_name("r/.env.production"), FileKind::DotEnv);
        assert_eq!(by_name("r/prod.env"), FileKind::DotEnv);
        assert_eq!(by_name("r/.envrc"), FileKind::Other);
        assert_eq!(
            by_name("OAI_CONFIG_LIST_sample"),
            FileKind::AutogenConfigList
        );
        assert_eq!(by_name("s/.well-known/agent.json"), FileKind::A2aCard);
        assert_eq!(
            by_name("r/.claude/mcp.json"),
            FileKind::Mcp(McpClient::ClaudeCode)
        );
        assert_eq!(
            by_name("r/.kiro/settings/mcp.json"),
            FileKind::Mcp(McpClient::Kiro)
        );
        assert_eq!(
            by_name("r/.amazonq/mcp.json"),
            FileKind::Mcp(McpClient::AmazonQ)
        );
        assert_eq!(
            by_name("r/gemini-extension.json"),
            FileKind::Mcp(McpClient::GeminiExtension)
        );
        assert_eq!(
            by_name("h/.gemini/antigravity/mcp_config.json"),
            FileKind::Mcp(McpClient::Antigravity)
        );
        assert_eq!(
            by_name("h/.codeium/windsurf/mcp_config.json"),
            FileKind::Mcp(McpClient::Windsurf)
        );
        assert_eq!(
            by_name("x/mcp_config.json"),
            FileKind::Mcp(McpClient::Unknown)
        );
        assert_eq!(
            by_name("r/.continue/config.yaml"),
            FileKind::Mcp(McpClient::Continue)
        );
        assert_eq!(
            by_name("r/.continue/mcpServers/linear.yaml"),
            FileKind::Mcp(McpClient::Continue)
        );
        assert_eq!(
            by_name("r/.zed/settings.json"),
            FileKind::Mcp(McpClient::Zed)
        );
        assert_eq!(
            by_name("r/opencode.json"),
            FileKind::Mcp(McpClient::Opencode)
        );
        assert_eq!(
            by_name("h/.config/goose/config.yaml"),
            FileKind::Mcp(McpClient::Goose)
        );
        assert_eq!(
            by_name("r/.github/workflows/triage.md"),
            FileKind::GhAwSource
        );
        assert_eq!(by_name("r/.github/actions/ai/action.yml"), FileKind::Action);
        assert_eq!(
            by_name("r/.claude/settings.json"),
            FileKind::AgentSettings(McpClient::ClaudeCode)
        );
        assert_eq!(
            by_name("r/.claude/settings.local.json"),
            FileKind::AgentSettings(McpClient::ClaudeCode)
        );
        assert_eq!(
            by_name("etc/claude-code/managed-settings.json"),
            FileKind::AgentSettings(McpClient::ClaudeCode)
        );
        assert_eq!(
            by_name("r/.cursor/cli.json"),
            FileKind::AgentSettings(McpClient::Cursor)
        );
        assert_eq!(by_name("r/settings.json"), FileKind::Other);
    }

    #[test]
    fn content() {
        let p = Path::new("renamed.json");
        assert_eq!(
            classify_by_content(p, r#"{"mcpServers": {}}"#),
            FileKind::Mcp(McpClient::Unknown)
        );
        let y = Path::new("claude.yml");
        assert_eq!(
            classify_by_content(y, "on: push\njobs:\n  a:\n    runs-on: x\n"),
            FileKind::Workflow
        );
        assert_eq!(classify_by_content(y, "a: b\n"), FileKind::Other);
        // A server's own registry manifest is not a client config.
        assert_eq!(
            classify_by_content(
                Path::new("server.json"),
                r#"{"$schema": "https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json", "packages": [{"registryType": "npm"}], "mcpServers": {}}"#
            ),
            FileKind::Other
        );
    }
}
