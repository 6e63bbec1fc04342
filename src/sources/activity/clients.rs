//! Agent clients as their user agents announce them. An SDK call made by an agent carries
//! the agent's name when the agent sets one (`AWS_SDK_UA_APP_ID`, `user_agent_extra`, a
//! product token of its own): a coding agent's CLI, an MCP server, an agent framework.
//! Matched case-insensitively as tokens of the user-agent string, never as values.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Marker → the client's name. Longer, more specific markers first.
const MARKERS: &[(&str, &str)] = &[
    ("claude-code", "claude-code"),
    ("claude-cli", "claude-code"),
    ("claude_code", "claude-code"),
    ("codex_cli", "codex"),
    ("codex-cli", "codex"),
    ("codex_exec", "codex"),
    ("gemini-cli", "gemini-cli"),
    ("geminicli", "gemini-cli"),
    ("github-copilot", "github-copilot"),
    ("copilot-agent", "github-copilot"),
    ("copilot-swe-agent", "github-copilot"),
    ("cursor-agent", "cursor"),
    ("aider/", "aider"),
    ("amazon-q-developer", "amazon-q"),
    ("q-developer", "amazon-q"),
    ("kiro/", "kiro"),
    ("goose/", "goose"),
    ("cline/", "cline"),
    ("opencode/", "opencode"),
    ("awslabs/mcp", "aws-mcp-server"),
    ("mcp-server", "mcp-server"),
    ("modelcontextprotocol", "mcp-server"),
    ("strands-agents", "strands-agents"),
    ("bedrock-agentcore", "bedrock-agentcore"),
    ("langchain", "langchain"),
    ("langgraph", "langchain"),
    ("crewai", "crewai"),
    ("openai-agents", "openai-agents"),
    ("autogen", "autogen"),
    ("llamaindex", "llamaindex"),
];

static MATCHER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(MARKERS.iter().map(|(m, _)| m))
        .expect("static patterns")
});

/// The agent client a user agent names, if any.
pub fn agent_client(user_agent: &str) -> Option<&'static str> {
    MATCHER
        .find(user_agent)
        .and_then(|m| MARKERS.get(m.pattern().as_usize()))
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_clients_are_told_from_plain_sdks() {
        assert_eq!(
            agent_client("aws-cli/2.15.0 Python/3.11 app/claude-code"),
            Some("claude-code")
        );
        assert_eq!(
            agent_client("Boto3/1.34.0 md/Botocore#1.34.0 awslabs/mcp/aws-api-mcp-server/0.2.1"),
            Some("aws-mcp-server")
        );
        assert_eq!(agent_client("aws-cli/2.15.0 Python/3.11.6 Linux/6.1"), None);
        assert_eq!(agent_client("console.amazonaws.com"), None);
    }
}
