//! The MCP server catalogue (`data/mcp-servers.yaml`, written by
//! `scripts/gen-mcp-catalog.py`): well-known servers, the packages, images and hosts that
//! name them, and what they can do (`untrusted-input`, `private-data`, `outbound`).

use std::collections::HashMap;
use std::sync::LazyLock;

use super::mcp_launch::{image_name, pypi_normalise};
use crate::doc::Node;
use crate::doc::data::{DataError, DataFile};

/// The closed set of capabilities, in the order facts list them.
pub const CAPABILITIES: [&str; 3] = ["untrusted-input", "private-data", "outbound"];

const FILE: &str = "data/mcp-servers.yaml";
const SOURCE: &str = include_str!("../../../data/mcp-servers.yaml");

#[derive(Debug)]
pub struct Server {
    pub name: String,
    /// Some of [`CAPABILITIES`], in their order.
    pub capabilities: Vec<&'static str>,
}

/// How a config names a server.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Npm(&'a str),
    Pypi(&'a str),
    /// An image name without tag or digest.
    Image(&'a str),
    /// A URL's host.
    Host(&'a str),
}

#[derive(Debug)]
pub struct Catalog {
    pub servers: Vec<Server>,
    index: HashMap<(u8, String), usize>,
}

fn key_of(key: Key<'_>) -> (u8, String) {
    match key {
        Key::Npm(n) => (0, n.to_ascii_lowercase()),
        Key::Pypi(n) => (1, pypi_normalise(n)),
        Key::Image(n) => (2, image_name(n)),
        Key::Host(h) => (3, h.trim_end_matches('.').to_ascii_lowercase()),
    }
}

fn describe(key: Key<'_>) -> String {
    match key {
        Key::Npm(n) => format!("npm package `{n}`"),
        Key::Pypi(n) => format!("PyPI package `{n}`"),
        Key::Image(n) => format!("image `{n}`"),
        Key::Host(h) => format!("host `{h}`"),
    }
}

pub fn catalog() -> &'static Catalog {
    static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
        load(SOURCE).unwrap_or_else(|e| panic!("the built-in MCP server catalogue is invalid: {e}"))
    });
    &CATALOG
}

impl Catalog {
    pub fn lookup(&self, key: Key<'_>) -> Option<&Server> {
        self.index.get(&key_of(key)).map(|&i| &self.servers[i])
    }
}

fn load(text: &str) -> Result<Catalog, DataError> {
    load_file(FILE, text)
}

fn load_file(file: &'static str, text: &str) -> Result<Catalog, DataError> {
    let data = DataFile::parse(file, text)?;
    if data.root.get("servers").is_none_or(|s| !s.is_seq()) {
        return Err(data.error(data.root.line, "`servers` must be a list"));
    }
    let mut servers = Vec::new();
    let mut index = HashMap::new();
    for item in data.items("servers") {
        let name = data.field(item, "name")?;
        let Some(caps) = item.get("capabilities").filter(|c| c.is_seq()) else {
            return Err(data.error(item.line, "`capabilities` must be a list"));
        };
        let mut capabilities = Vec::new();
        for c in caps.items() {
            let text = c.scalar_text().unwrap_or_default();
            let Some(known) = CAPABILITIES.iter().find(|k| **k == text) else {
                return Err(data.error(
                    c.line,
                    format!(
                        "unknown capability `{text}` (one of {})",
                        CAPABILITIES.join(", ")
                    ),
                ));
            };
            capabilities.push(*known);
        }
        capabilities.sort_by_key(|c| CAPABILITIES.iter().position(|k| k == c));
        capabilities.dedup();
        let at = servers.len();
        let mut add = |node: &Node, key: Key<'_>| -> Result<(), DataError> {
            if let Some(&other) = index.get(&key_of(key)) {
                let other: &Server = &servers[other];
                return Err(data.error(
                    node.line,
                    format!("{} already names `{}`", describe(key), other.name),
                ));
            }
            index.insert(key_of(key), at);
            Ok(())
        };
        for p in item.get("packages").map(Node::items).unwrap_or_default() {
            let pkg = data.field(p, "name")?;
            let key = match data.field(p, "registry")?.as_str() {
                "npm" => Key::Npm(&pkg),
                "pypi" => Key::Pypi(&pkg),
                other => {
                    return Err(
                        data.error(p.line, format!("unknown registry `{other}` (npm or pypi)"))
                    );
                }
            };
            add(p, key)?;
        }
        for i in item.get("images").map(Node::items).unwrap_or_default() {
            let image = data.field(i, "image")?;
            add(i, Key::Image(&image))?;
        }
        for h in item.get("hosts").map(Node::items).unwrap_or_default() {
            let host = data.field(h, "host")?;
            add(h, Key::Host(&host))?;
        }
        servers.push(Server { name, capabilities });
    }
    Ok(Catalog { servers, index })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalogue_loads_and_finds_servers_by_each_key() {
        let c = catalog();
        assert!(c.servers.len() >= 60, "{} servers", c.servers.len());
        let gh = c
            .lookup(Key::Host("API.githubcopilot.com"))
            .map(|s| &s.name);
        assert_eq!(gh.map(String::as_str), Some("GitHub"));
        let fetch = c.lookup(Key::Pypi("MCP_Server.Fetch")).expect("fetch");
        assert_eq!(fetch.capabilities, vec!["untrusted-input", "outbound"]);
        assert_eq!(
            c.lookup(Key::Image("docker.io/mcp/fetch"))
                .map(|s| s.name.as_str()),
            Some("Fetch (reference)")
        );
        let fs = c.lookup(Key::Npm("@modelcontextprotocol/server-filesystem"));
        assert_eq!(
            fs.map(|s| s.capabilities.clone()),
            Some(vec!["private-data", "outbound"])
        );
        assert_eq!(
            c.lookup(Key::Image("ghcr.io/github/github-mcp-server"))
                .map(|s| s.name.as_str()),
            Some("GitHub")
        );
        let time = c.lookup(Key::Pypi("mcp-server-time")).expect("time");
        assert!(time.capabilities.is_empty());
        // A package name is not looked up as another registry's.
        assert!(c.lookup(Key::Pypi("@playwright/mcp")).is_none());
        assert!(c.lookup(Key::Npm("my-own-server")).is_none());
    }

    #[test]
    fn malformed_data_names_the_file_and_line() {
        let bad_cap = "servers:\n  - name: X\n    capabilities: [outbound,\n      shell]\n";
        let err = load_file("data/t.yaml", bad_cap).unwrap_err();
        assert_eq!(
            err.to_string(),
            "data/t.yaml:4: unknown capability `shell` (one of untrusted-input, private-data, outbound)"
        );
        let no_name = "servers:\n  - name: X\n    capabilities: []\n  - capabilities: []\n";
        let err = load_file("data/t.yaml", no_name).unwrap_err();
        assert_eq!(err.to_string(), "data/t.yaml:4: `name` is missing");
        let twice = "servers:\n  - name: A\n    capabilities: []\n    hosts: [{host: a.example}]\n  - name: B\n    capabilities: []\n    hosts:\n      - host: A.example\n";
        let err = load_file("data/t.yaml", twice).unwrap_err();
        assert_eq!(
            err.to_string(),
            "data/t.yaml:8: host `A.example` already names `A`"
        );
        let registry = "servers:\n  - name: A\n    capabilities: []\n    packages:\n      - {registry: cargo, name: a}\n";
        let err = load_file("data/t.yaml", registry).unwrap_err();
        assert_eq!(
            err.to_string(),
            "data/t.yaml:5: unknown registry `cargo` (npm or pypi)"
        );
        let err = load_file("data/t.yaml", "servers: {}\n").unwrap_err();
        assert!(err.to_string().starts_with("data/t.yaml:1: "), "{err}");
        let err = load_file("data/t.yaml", "servers:\n  - name: [\n").unwrap_err();
        assert!(err.to_string().starts_with("data/t.yaml:"), "{err}");
    }
}
