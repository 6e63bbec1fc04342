//! MCP client configs: each config is an AI client (an agent), each server a tool it
//! starts or calls with the credentials in its `env`, `headers`, `args` and URL.

use serde_json::{Value as Json, json};

use super::builder::{Fragment, Site};
use super::detect::McpClient;
use super::mcp_catalog::{self, Key};
use super::mcp_launch::{self, Origin, Pin};
use crate::doc::{Format, Node};
use crate::model::{AgentKind, Confidence, Evidence};
use crate::secrets;

pub fn analyse(client: McpClient, text: &str, fragment: &mut Fragment<'_>) {
    let ext = fragment
        .path
        .rsplit('.')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let format = match (client, ext.as_str()) {
        (McpClient::Codex, _) | (_, "toml") => Format::Toml,
        (_, "yaml" | "yml") => Format::Yaml,
        _ => Format::Json,
    };
    let Some(doc) = super::parse_doc(text, format, fragment, "the MCP config") else {
        return;
    };
    // A servers key of the wrong shape hides every server in it: say so.
    for key in ["mcpServers", "servers", "mcp_servers", "context_servers"] {
        if let Some(node) = doc.get(key)
            && !node.is_map()
            && !(node.is_seq() && client == McpClient::Continue)
            && !node.is_null()
        {
            fragment.error(
                node.line,
                node.column,
                format!("`{key}` must be a map of servers by name; no server under it was read"),
            );
        }
    }
    let scope = super::toolscope::of_mcp_config(client, &doc, fragment);
    let found = find_servers(&doc, client);
    // opencode's config is the agent's even without MCP servers: it names the model
    // providers and their keys.
    let providers = (client == McpClient::Opencode)
        .then(|| doc.get("provider").filter(|p| p.is_map()))
        .flatten();
    let (servers_key, container, servers) = match (found, providers) {
        (Some(f), _) => f,
        (None, Some(p)) => ("", p, Vec::new()),
        // A settings file without servers (Gemini, Codex, Zed) configures no MCP access,
        // but may say what its agent runs without approval.
        (None, None) => {
            if let Some(scope) = scope {
                super::toolscope::record_agent_without_servers(client, &doc, scope, fragment);
            }
            return;
        }
    };
    let client = refine_client(client, servers_key);
    let agent_id = format!("repo:{}", fragment.path);
    let agent_loc = fragment.loc_of(container);
    let mut provider_keys = Vec::new();
    for (_, p) in providers.map(Node::entries).unwrap_or_default() {
        if let Some(key) = p.at(&["options", "apiKey"])
            && let Some(text) = key.scalar_text()
        {
            let text = opencode_reference(&text).unwrap_or(text);
            provider_keys.extend(fragment.observe_value(
                Some(&agent_id),
                Site::at(key, Some("apiKey")),
                &text,
            ));
        }
    }

    let mut server_facts = Vec::new();
    for (name, server) in servers {
        server_facts.push(analyse_server(&agent_id, &name, server, fragment));
    }
    for (key, value) in container.entries() {
        if !value.is_map() && !servers_key.is_empty() {
            fragment.error(
                value.line,
                value.column,
                format!(
                    "server `{}` must be a map (command, args, env, url…); it was not read",
                    key.name
                ),
            );
        }
    }
    let inputs = prompt_inputs(&doc);
    // What the rules' messages name: the enabled servers a launcher pulls without a pinned
    // version, and the remote ones reached over plain HTTP.
    let enabled = || {
        server_facts
            .iter()
            .filter(|s| s.get("disabled").and_then(Json::as_bool) != Some(true))
    };
    let field = |s: &Json, key: &str| s.get(key).and_then(Json::as_str).unwrap_or("").to_string();
    let unpinned: Vec<String> = enabled()
        .filter(|s| {
            matches!(
                s.get("pinned").and_then(Json::as_str),
                Some("unpinned" | "tag")
            )
        })
        .map(|s| format!("{} ({})", field(s, "name"), field(s, "package")))
        .collect();
    let plain_http: Vec<String> = enabled()
        .filter(|s| s.get("remote").and_then(Json::as_bool) == Some(true))
        .filter(|s| field(s, "url").to_ascii_lowercase().starts_with("http://"))
        .map(|s| format!("{} ({})", field(s, "name"), field(s, "url")))
        .collect();
    let mut facts = serde_json::Map::new();
    facts.insert("client".into(), json!(client.name()));
    facts.insert("servers".into(), Json::Array(server_facts.clone()));
    facts.insert("server_count".into(), json!(server_facts.len()));
    facts.insert("unpinned_servers".into(), json!(unpinned));
    facts.insert("plain_http_servers".into(), json!(plain_http));
    facts.insert("password_inputs".into(), json!(inputs));
    facts.insert("provider_keys".into(), json!(provider_keys));
    if let Some(scope) = &scope {
        facts.insert("tool_scope".into(), super::toolscope::to_json(scope));
    }
    let name = if server_facts.is_empty() && !provider_keys.is_empty() {
        format!("{} agent config", client.name())
    } else {
        format!("{} MCP client", client.name())
    };
    fragment.agent(
        agent_id,
        name,
        AgentKind::McpClient,
        Confidence::High,
        vec![Evidence::new(
            format!(
                "{} MCP config with {} server(s)",
                client.name(),
                server_facts.len()
            ),
            Some(agent_loc.clone()),
        )],
        agent_loc,
        facts,
    );
}

/// The key the servers are under, the node that holds them, and each server by name.
type Servers<'d> = (&'static str, &'d Node, Vec<(String, &'d Node)>);

/// Where the servers are, and each by name: `mcpServers` (Claude, Cursor, Cline,
/// Windsurf, Gemini, Kiro, Amazon Q; a list of named servers in Continue), `servers`
/// (VS Code), `mcp_servers` (Codex), `mcp.servers` (VS Code user settings), `mcp`
/// (opencode), `context_servers` (Zed), `extensions` (Goose), or the top level itself
/// (Claude Code plugin `.mcp.json`).
fn find_servers(doc: &Node, client: McpClient) -> Option<Servers<'_>> {
    fn named(node: &Node) -> Vec<(String, &Node)> {
        // (Entries that are not maps are reported by `analyse`.)
        match &node.value {
            crate::doc::Value::Map(entries) => entries
                .iter()
                .filter(|(_, v)| v.is_map())
                .map(|(k, v)| (k.name.clone(), v))
                .collect(),
            // Continue lists its servers, each with a `name`.
            crate::doc::Value::Seq(items) => items
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_map())
                .map(|(i, v)| {
                    let name = v
                        .get("name")
                        .and_then(Node::scalar_text)
                        .unwrap_or_else(|| format!("#{}", i + 1));
                    (name, v)
                })
                .collect(),
            _ => Vec::new(),
        }
    }
    if let Some(node) = doc.at(&["mcp", "servers"]).filter(|n| n.is_map()) {
        return Some(("servers", node, named(node)));
    }
    let keys: &[&'static str] = match client {
        McpClient::Opencode => &["mcp", "mcpServers"],
        McpClient::Zed => &["context_servers"],
        McpClient::Goose => &["extensions"],
        _ => &["mcpServers", "servers", "mcp_servers", "context_servers"],
    };
    for key in keys {
        if let Some(node) = doc.get(key).filter(|n| n.is_map() || n.is_seq()) {
            return Some((key, node, named(node)));
        }
    }
    let looks_like_servers = !doc.entries().is_empty()
        && doc.entries().iter().all(|(_, v)| {
            v.get("command").is_some() || v.get("url").is_some() || v.get("type").is_some()
        });
    looks_like_servers.then(|| ("", doc, named(doc)))
}

fn refine_client(client: McpClient, servers_key: &str) -> McpClient {
    match (client, servers_key) {
        (McpClient::Unknown, "servers") => McpClient::VsCode,
        (McpClient::Unknown, "context_servers") => McpClient::Zed,
        (c, _) => c,
    }
}

fn prompt_inputs(doc: &Node) -> Vec<String> {
    doc.get("inputs")
        .map(|inputs| {
            inputs
                .items()
                .iter()
                .filter(|i| i.get("password").and_then(Node::as_bool) == Some(true))
                .filter_map(|i| i.get("id").and_then(Node::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn analyse_server(agent: &str, name: &str, server: &Node, fragment: &mut Fragment<'_>) -> Json {
    // The command and its arguments, as each client spells them: `command` + `args`;
    // opencode's `command: [cmd, args…]`; Zed's `command: {path, args, env}`; Goose's
    // `cmd`.
    let command_node = server.get("command");
    let command = command_node
        .and_then(Node::as_str)
        .or_else(|| {
            command_node
                .and_then(|c| c.items().first())
                .and_then(Node::as_str)
        })
        .or_else(|| {
            command_node
                .and_then(|c| c.get("path"))
                .and_then(Node::as_str)
        })
        .or_else(|| server.get("cmd").and_then(Node::as_str));
    let url = ["url", "serverUrl", "httpUrl"]
        .iter()
        .find_map(|k| server.get(k).and_then(Node::as_str));
    let transport = server
        .get("type")
        .or_else(|| server.get("transport"))
        .and_then(Node::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| if url.is_some() { "http" } else { "stdio" }.to_string());
    let args: Vec<&Node> = match command_node {
        Some(c) if c.is_seq() => c.items().iter().skip(1).collect(),
        Some(c) if c.is_map() => c
            .get("args")
            .map(|a| a.items().iter().collect())
            .unwrap_or_default(),
        _ => server
            .get("args")
            .map(|a| a.items().iter().collect())
            .unwrap_or_default(),
    };
    let mut credentials = Vec::new();

    let env_maps = [
        "env",
        "environment",
        "envs",
        "headers",
        "http_headers",
        "env_http_headers",
    ]
    .into_iter()
    .filter_map(|k| server.get(k))
    .chain(command_node.and_then(|c| c.get("env")));
    for map in env_maps {
        for (k, v) in map.entries() {
            if let Some(text) = v.scalar_text() {
                let site = Site::at(v, Some(&k.name));
                let text = opencode_reference(&text).unwrap_or(text);
                credentials.extend(fragment.observe_value(Some(agent), site, &text));
                if k.name == "GOOGLE_APPLICATION_CREDENTIALS"
                    && let Some(file) = super::gcp_key::credentials_file(fragment.path, &text)
                {
                    let at = fragment.loc_of(v);
                    fragment.hold(
                        agent,
                        &format!("{}{file}", super::gcp_key::KEY_FILE),
                        format!("loads the key file {file} (GOOGLE_APPLICATION_CREDENTIALS)"),
                        at,
                    );
                }
            }
        }
    }
    // Codex and Goose name env vars to forward from the user's environment.
    for vars in ["env_vars", "env_keys"]
        .into_iter()
        .filter_map(|k| server.get(k))
    {
        for v in vars.items() {
            if let Some(var) = v.as_str()
                && let Some(hint) = secrets::hint_for_name(var)
            {
                let site = Site::at(v, Some(var));
                credentials.push(fragment.add_reference(
                    Some(agent),
                    site,
                    secrets::RefSyntax::Env,
                    var,
                    hint.kind,
                    hint.provider,
                ));
            }
        }
    }
    if let Some(node) = ["url", "serverUrl", "httpUrl"]
        .iter()
        .find_map(|k| server.get(k))
        && let Some(text) = node.as_str()
    {
        credentials.extend(observe_url(agent, node, text, fragment));
    }
    credentials.extend(observe_args(agent, &args, fragment));
    if let Some(node) = server
        .get("bearer_token_env_var")
        .and_then(|n| n.as_str().map(|s| (n, s)))
    {
        let (n, var) = node;
        credentials.push(fragment.add_reference(
            Some(agent),
            Site::at(n, Some("Authorization")),
            secrets::RefSyntax::Env,
            var,
            "bearer-token",
            "generic",
        ));
    }
    credentials.sort();
    credentials.dedup();

    let arg_text: Vec<String> = args.iter().filter_map(|a| a.scalar_text()).collect();
    let launch = command.and_then(|c| mcp_launch::launch(c, &arg_text));
    // A bridge (`npx mcp-remote URL`, `uvx mcp-proxy URL`) connects the client to a remote
    // server: that URL is the server's, and its credentials are read like a configured
    // URL's.
    let bridged = launch
        .as_ref()
        .filter(|l| {
            matches!(
                (l.origin, l.name.as_deref()),
                (Origin::Npm, Some("mcp-remote")) | (Origin::Pypi, Some("mcp-proxy"))
            )
        })
        .and_then(|l| l.rest.iter().find(|a| is_http_url(a)).cloned());
    if let Some(text) = &bridged
        && let Some(node) = args.iter().find(|a| a.scalar_text().as_ref() == Some(text))
    {
        credentials.extend(observe_url(agent, node, text, fragment));
        credentials.sort();
        credentials.dedup();
    }
    let server_url = url.or(bridged.as_deref());
    let host = server_url.and_then(url_host);
    let known = {
        let catalog = mcp_catalog::catalog();
        launch
            .as_ref()
            .and_then(|l| match (l.origin, l.name.as_deref()) {
                (Origin::Npm, Some(n)) => catalog.lookup(Key::Npm(n)),
                (Origin::Pypi, Some(n)) => catalog.lookup(Key::Pypi(n)),
                (Origin::Image, Some(n)) => catalog.lookup(Key::Image(n)),
                _ => None,
            })
            .or_else(|| host.as_deref().and_then(|h| catalog.lookup(Key::Host(h))))
    };
    let auto_approve: Vec<String> = ["autoApprove", "alwaysAllow"]
        .iter()
        .filter_map(|k| server.get(k))
        .flat_map(|n| n.strings().into_iter().map(str::to_string))
        .collect();
    json!({
        "name": name,
        "transport": crate::text::display_value(&transport),
        "command": command.map(crate::text::display_value),
        "launcher": launch.as_ref().map(|l| l.launcher),
        "package": launch.as_ref().and_then(|l| l.spec.as_deref()).map(crate::text::display_value),
        "pinned": launch.as_ref().and_then(|l| l.pin).map(Pin::as_str),
        "url": server_url.map(|u| crate::text::display_value(&redact_url(u))),
        "host": host.as_deref().map(crate::text::display_value),
        "remote": server_url.is_some_and(|u| !is_loopback(u)),
        "catalog": known.map(|k| crate::text::display_value(&k.name)),
        "capabilities": known.map(|k| k.capabilities.clone()).unwrap_or_default(),
        "disabled": server.get("disabled").and_then(Node::as_bool).unwrap_or(false)
            || server.get("enabled").and_then(Node::as_bool) == Some(false),
        "trust": server.get("trust").and_then(Node::as_bool).unwrap_or(false),
        "auto_approve": auto_approve,
        "credentials": credentials,
        "line": server.line,
    })
}

/// opencode's `{env:NAME}` reference, spelt as the `${NAME}` the value classifier knows.
fn opencode_reference(text: &str) -> Option<String> {
    let name = text.trim().strip_prefix("{env:")?.strip_suffix('}')?;
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| format!("${{{name}}}"))
}

/// Credentials in a URL: `user:password@` and `?api_key=…`-style query parameters.
fn observe_url(agent: &str, node: &Node, url: &str, fragment: &mut Fragment<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(pass) = url_password(url) {
        let site = Site::at(node, Some("password"));
        out.extend(fragment.observe_value(Some(agent), site, pass));
    }
    if let Some((_, query)) = url.split_once('?') {
        for pair in query.split('&') {
            if let Some((k, v)) = pair.split_once('=')
                && secrets::is_secret_name(k)
            {
                let site = Site::at(node, Some(k));
                out.extend(fragment.observe_value(Some(agent), site, v));
            }
        }
    }
    out
}

/// Credentials in arguments: connection strings, `--api-key VALUE`, `--token=VALUE`,
/// docker's `-e NAME=VALUE`, and any provider-pattern literal.
fn observe_args(agent: &str, args: &[&Node], fragment: &mut Fragment<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut previous_flag: Option<String> = None;
    for node in args {
        let Some(arg) = node.scalar_text() else {
            continue;
        };
        let flag = previous_flag.take();
        if let Some(rest) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) {
            if let Some((name, value)) = rest.split_once('=') {
                if secrets::is_secret_name(name) {
                    let name = name.to_string();
                    out.extend(fragment.observe_value(
                        Some(agent),
                        Site::at(node, Some(&name)),
                        value,
                    ));
                }
            } else {
                previous_flag = Some(rest.to_string());
            }
            continue;
        }
        if let Some(flag) = flag.filter(|f| secrets::is_secret_name(f)) {
            out.extend(fragment.observe_value(Some(agent), Site::at(node, Some(&flag)), &arg));
            continue;
        }
        if let Some((name, value)) = arg.split_once('=')
            && !name.contains(['/', ':', ' '])
            && secrets::is_secret_name(name)
        {
            let name = name.to_string();
            out.extend(fragment.observe_value(Some(agent), Site::at(node, Some(&name)), value));
            continue;
        }
        if let Some(pass) = url_password(&arg) {
            out.extend(fragment.observe_value(Some(agent), Site::at(node, Some("password")), pass));
            continue;
        }
        if secrets::SecretScanner::builtin()
            .match_value(&arg)
            .is_some()
        {
            out.extend(fragment.observe_value(Some(agent), Site::at(node, None), &arg));
        }
    }
    out
}

/// The password of `scheme://user:password@host…`, if any: the secret scanner's reading of
/// URLs, so that MCP configs and `.env` files agree on what a URL's password is.
pub fn url_password(url: &str) -> Option<&str> {
    let (_, range) = secrets::url_password(url)?;
    url.get(range)
}

/// A URL safe to show: no userinfo, no query.
fn redact_url(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or(url);
    match without_query.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((_, host)) if !host.contains('@') || rest.find('@') < rest.find('/') => {
                format!("{scheme}://{host}")
            }
            _ => without_query.to_string(),
        },
        None => without_query.to_string(),
    }
}

fn is_loopback(url: &str) -> bool {
    let host = url_host(url).unwrap_or_else(|| {
        url.split(['/', ':', '?'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    });
    matches!(host.as_str(), "localhost" | "0.0.0.0" | "[::1]")
        || host.starts_with("127.")
        || host.ends_with(".localhost")
}

fn is_http_url(text: &str) -> bool {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The host of a URL, lower-cased, without userinfo or port (`None` without a scheme).
fn url_host(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host = if host.starts_with('[') {
        host.split_inclusive(']').next().unwrap_or(host)
    } else {
        host.split(':').next().unwrap_or(host)
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parts() {
        assert_eq!(url_password("postgres://u:p4ss@db:5432/x"), Some("p4ss"));
        assert_eq!(url_password("https://host/path?x=a@b"), None);
        // Typographic quotes or any non-ASCII text around the URL (issue 11).
        assert_eq!(url_password("“https://bot:p4ss@host/x”"), Some("p4ss"));
        assert_eq!(url_password("é://u:p@h"), None);
        assert_eq!(url_password("üpostgres://u:p4ss@h"), Some("p4ss"));
        assert_eq!(
            redact_url("postgres://u:p4ss@db:5432/x?sslmode=require"),
            "postgres://db:5432/x"
        );
        assert!(is_loopback("http://127.0.0.1:5005/mcp/sse"));
        assert!(!is_loopback("https://mcp.figma.com/mcp"));
        assert!(is_loopback("http://[::1]:7777/mcp"));
        assert!(is_loopback("http://LOCALHOST:3000"));
        assert_eq!(
            url_host("https://u:p@MCP.Linear.app:443/sse?x=1").as_deref(),
            Some("mcp.linear.app")
        );
        assert_eq!(url_host("http://[::1]:8080/mcp").as_deref(), Some("[::1]"));
        assert_eq!(url_host("${input:url}"), None);
    }
}
