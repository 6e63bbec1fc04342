//! MCP servers on the real corpus (`../shared/corpus/mcp` and `wild`): which the catalogue
//! recognises, which are pulled without a pinned version, and the rules on them.

use serde_json::Value;

use crate::common::{corpus, findings_of, scan_json};

/// Every server record of every MCP client config, with the config's path.
fn servers(report: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for agent in report["inventory"]["agents"].as_array().unwrap() {
        if agent["kind"] != "mcp-client" {
            continue;
        }
        let path = agent["locations"][0]["path"].as_str().unwrap().to_string();
        for s in agent["facts"]["servers"].as_array().unwrap() {
            out.push((path.clone(), s));
        }
    }
    out
}

fn server<'a>(servers: &'a [(String, &'a Value)], file: &str, name: &str) -> &'a Value {
    servers
        .iter()
        .find(|(p, s)| p.ends_with(file) && s["name"] == name)
        .map(|(_, s)| *s)
        .unwrap_or_else(|| panic!("no server {name} in {file}"))
}

#[test]
fn mcp_servers_of_the_corpus_are_recognised_and_their_pins_read() {
    let (Some(mcp), Some(wild)) = (corpus("mcp"), corpus("wild")) else {
        return;
    };
    let report = scan_json(&[&mcp, &wild], &[]);
    let all = servers(&report);
    let count = |f: &dyn Fn(&Value) -> bool| all.iter().filter(|(_, s)| f(s)).count();
    assert_eq!(all.len(), 38, "servers");
    assert_eq!(count(&|s| !s["catalog"].is_null()), 14, "recognised");
    assert_eq!(
        count(&|s| s["pinned"] == "unpinned" && s["disabled"] == false),
        12,
        "unpinned and enabled"
    );
    // Capabilities come only from the catalogue.
    assert_eq!(
        count(&|s| s["catalog"].is_null() && !s["capabilities"].as_array().unwrap().is_empty()),
        0
    );

    // Checked by hand against the files.
    let github = server(&all, "dotnet__aspire__.vscode_mcp.json", "github");
    assert_eq!(github["catalog"], "GitHub");
    assert_eq!(
        github["capabilities"],
        serde_json::json!(["untrusted-input", "private-data", "outbound"])
    );
    assert!(github["pinned"].is_null() && github["launcher"].is_null());
    let hex1b = server(&all, "dotnet__aspire__.vscode_mcp.json", "hex1b");
    assert_eq!(
        (&hex1b["launcher"], &hex1b["pinned"]),
        (&"dnx".into(), &"pinned".into())
    );
    // `npx -y mcp-remote https://mcp.figma.com/mcp`: the bridge is unpinned, the server Figma.
    let figma = server(
        &all,
        "AdguardTeam__mfa_locker__mcp_config.json",
        "figma-remote-mcp-server",
    );
    assert_eq!(figma["catalog"], "Figma");
    assert_eq!(figma["host"], "mcp.figma.com");
    assert_eq!(
        (&figma["package"], &figma["pinned"]),
        (&"mcp-remote".into(), &"unpinned".into())
    );
    // `uvx mcp-proxy --transport streamablehttp https://knowledge-mcp.global.api.aws`.
    let knowledge = server(
        &all,
        "humank__genai-demo__.kiro_settings_mcp.json",
        "aws-knowledge",
    );
    assert_eq!(knowledge["catalog"], "AWS Knowledge");
    let api = server(
        &all,
        "humank__genai-demo__.kiro_settings_mcp.json",
        "aws-api",
    );
    assert_eq!(
        (&api["catalog"], &api["pinned"]),
        (&"AWS API".into(), &"unpinned".into())
    );
    // `@linear/mcp-server` is not on npm: not the catalogue's Linear.
    let linear = server(
        &all,
        "continuedev__continue__.continue_mcpServers_linear-mcp.yaml",
        "Linear",
    );
    assert!(linear["catalog"].is_null(), "{linear}");
    // `pnpx tsx ./packages/…/stdio.ts`: tsx itself is pulled unpinned; no catalogue entry.
    let mastra = server(&all, "mastra-ai__mastra__.cursor_mcp.json", "mastra");
    assert_eq!(
        (&mastra["package"], &mastra["pinned"]),
        (&"tsx".into(), &"unpinned".into())
    );
    // `npm run start-stdio` and `uv run python …` run local code.
    let playwright = server(
        &all,
        "microsoft__vscode__.vscode_mcp.json",
        "vscode-playwright-mcp",
    );
    assert!(playwright["launcher"].is_null() && playwright["pinned"].is_null());

    // NHI-MCP-001: high only where an unpinned server gets credentials.
    let unpinned = findings_of(&report, "NHI-MCP-001");
    assert_eq!(unpinned.len(), 9, "{unpinned:#?}");
    let mut high: Vec<&str> = unpinned
        .iter()
        .filter(|f| f["severity"] == "high")
        .map(|f| f["locations"][0]["path"].as_str().unwrap())
        .map(|p| p.rsplit('/').next().unwrap())
        .collect();
    high.sort();
    // Continue's `LINEAR_API_KEY: ${LINEAR_API_KEY}` and Context7's `CONTEXT7_API_KEY`
    // reference; the GitHub server of aicertify gets `ghp_dummy`, a placeholder: medium.
    assert_eq!(
        high,
        [
            "continuedev__continue__.continue_mcpServers_linear-mcp.yaml",
            "upstash__context7__gemini-extension.json"
        ],
        "NHI-MCP-001 high"
    );
    // NHI-MCP-002: the corpus's plain-HTTP servers are all on loopback.
    assert_eq!(findings_of(&report, "NHI-MCP-002").len(), 0);
}
