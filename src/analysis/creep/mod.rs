//! Write-creep in git history: where a commit raised what an agent may do. Each changed
//! file is compared before and after, agent by agent (DESIGN §3): a workflow agent's
//! `GITHUB_TOKEN` scopes, an MCP client's servers and auto-approved tools, and agents
//! that appeared. Terraform modules are compared as wholes, by what their agents hold
//! ([`terraform`]).

pub mod terraform;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::model::{AccessLevel, Agent, AgentKind, Change, ChangeKind, Inventory, Location};
use crate::policy::github::{ALL_SCOPES, TokenPermissions};
use crate::sources::repo::history::Revision;

/// The changes in `revisions` (newest first within each repository). `current` is the
/// scan of the working tree: a change is `current` when what it added is still there and
/// no later commit made the same rise again.
pub fn changes(revisions: &[Revision], current: &Inventory) -> Vec<Change> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for rev in revisions {
        // A version that could not be parsed tells nothing about what rose.
        let before = match &rev.before {
            Some(b) if !b.errors.is_empty() => continue,
            b => b.as_ref(),
        };
        if !rev.after.errors.is_empty() {
            continue;
        }
        for agent in &rev.after.agents {
            let old = before.and_then(|b| b.agent(&agent.id));
            let mut found = match old {
                None => agent_added(agent),
                Some(old) if agent.kind == AgentKind::GithubWorkflow => token_rises(old, agent),
                Some(old) if agent.kind == AgentKind::McpClient => {
                    let mut d = mcp_rises(old, agent);
                    d.extend(scope_rises(old, agent));
                    d
                }
                Some(old) if agent.kind == AgentKind::CodingAgent => scope_rises(old, agent),
                Some(_) => Vec::new(),
            };
            let now = current.agent(&agent.id);
            for d in &mut found {
                let key = (agent.id.clone(), d.subject.clone());
                d.current = seen.insert(key) && now.is_some_and(|a| still_holds(d, a));
            }
            out.extend(found.into_iter().map(|d| d.into_change(rev, agent)));
        }
    }
    out
}

/// A change found, before it is dated and placed.
struct Delta {
    kind: ChangeKind,
    subject: String,
    from: Option<String>,
    to: String,
    from_level: Option<AccessLevel>,
    to_level: Option<AccessLevel>,
    /// Where to point in the newer text.
    at: Anchor,
    current: bool,
}

/// A place in the newer version of the file, found when the change is built.
enum Anchor {
    /// A scope of the job's effective `permissions:` block, or the block itself.
    Permission(Option<String>),
    /// A line the analyser recorded (an MCP server).
    Line(u32),
    /// The agent's own location.
    Agent,
}

impl Delta {
    fn into_change(self, rev: &Revision, agent: &Agent) -> Change {
        let short: String = rev.commit.chars().take(7).collect();
        let date = rev.author_date.get(..10).unwrap_or(&rev.author_date);
        let summary = match (&self.from, self.kind) {
            (Some(from), _) => format!(
                "{}: {from} → {} in commit {short} ({date})",
                agent.name, self.to
            ),
            (None, ChangeKind::AgentAdded) => format!(
                "{} added with {} in commit {short} ({date})",
                agent.name, self.to
            ),
            (None, _) => format!(
                "{}: {} added in commit {short} ({date})",
                agent.name, self.to
            ),
        };
        let location = match &self.at {
            Anchor::Permission(scope) => permission_location(rev, agent, scope.as_deref()),
            Anchor::Line(line) => Some(Location::file(rev.path.clone(), *line, 1)),
            Anchor::Agent => None,
        }
        .or_else(|| agent.locations.first().cloned());
        Change {
            id: format!("change:{}:{}:{}", rev.commit, agent.id, self.subject),
            kind: self.kind,
            agent: Some(agent.id.clone()),
            subject: self.subject,
            from: self.from,
            to: self.to,
            from_level: self.from_level,
            to_level: self.to_level,
            commit: rev.commit.clone(),
            author_date: rev.author_date.clone(),
            current: self.current,
            summary,
            location,
        }
    }
}

/// A workflow token's permissions as the analyser records them (`facts.permissions`).
fn perms(agent: &Agent) -> TokenPermissions {
    TokenPermissions::from_json(agent.facts.get("permissions"))
}

/// Scopes whose rise is no change of what the agent may do: `id-token: write` only lets
/// the job ask for an OIDC token.
const NOT_A_RISE: &[&str] = &["id-token"];

/// The highest level a change is measured by (see [`NOT_A_RISE`]).
fn max(p: &TokenPermissions) -> Option<AccessLevel> {
    p.max_level_but(NOT_A_RISE)
}

/// The scopes whose level rose, or `write-all` replacing a narrower block. An unknown
/// side (no block: the repository default) is not a rise: nothing shows it was lower.
fn token_rises(old: &Agent, new: &Agent) -> Vec<Delta> {
    let (before, after) = (perms(old), perms(new));
    let unknown = TokenPermissions::Default;
    if before == unknown || after == unknown || before == after {
        return Vec::new();
    }
    if after.is_write_all() {
        return vec![Delta {
            kind: ChangeKind::WriteAllAdded,
            subject: "permissions".into(),
            from: Some(format!("permissions: {}", before.describe())),
            to: "permissions: write-all".into(),
            from_level: max(&before),
            to_level: Some(AccessLevel::Write),
            at: Anchor::Permission(None),
            current: false,
        }];
    }
    let mut scopes: BTreeSet<&str> = ALL_SCOPES.iter().copied().collect();
    for p in [&before, &after] {
        scopes.extend(p.named_scopes());
    }
    scopes
        .into_iter()
        .filter(|s| !NOT_A_RISE.contains(s))
        .filter_map(|scope| {
            let (lo, hi) = (before.level_of(scope)?, after.level_of(scope)?);
            (hi > lo).then(|| Delta {
                kind: ChangeKind::PermissionRaised,
                subject: scope.to_string(),
                from: Some(format!("{scope}: {}", lo.as_str())),
                to: format!("{scope}: {}", hi.as_str()),
                from_level: Some(lo),
                to_level: Some(hi),
                at: Anchor::Permission(Some(scope.to_string())),
                current: false,
            })
        })
        .collect()
}

/// An MCP client's servers as the analyser records them, by name.
fn servers(agent: &Agent) -> BTreeMap<&str, &Value> {
    agent
        .facts
        .get("servers")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|s| Some((s.get("name")?.as_str()?, s)))
                .collect()
        })
        .unwrap_or_default()
}

fn enabled(server: &Value) -> bool {
    server.get("disabled").and_then(Value::as_bool) != Some(true)
}

fn auto_approved(server: &Value) -> BTreeSet<&str> {
    server
        .get("auto_approve")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn trusted(server: &Value) -> bool {
    server.get("trust").and_then(Value::as_bool) == Some(true)
}

fn line_of(server: &Value) -> Anchor {
    server
        .get("line")
        .and_then(Value::as_u64)
        .and_then(|l| u32::try_from(l).ok())
        .map_or(Anchor::Agent, Anchor::Line)
}

/// Servers added (or enabled), tools added to a server's auto-approve list, and servers
/// marked trusted (every tool call runs without asking).
/// What a tool scope's subjects start with: `tool-scope:shell_any_by:Bash(python:*)`.
const SCOPE_SUBJECT: &str = "tool-scope:";

/// The capabilities a tool scope's rules grant, each as a change subject, with what it
/// says and its line: approvals bypassed, any shell command, any host, pushes and cloud
/// CLIs, every project MCP server.
fn scope_grant_list(agent: &Agent) -> Vec<(String, String, u32)> {
    let Some(scope) = agent.facts.get("tool_scope") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (list, what) in [
        ("bypass_by", "every tool without approval"),
        ("shell_any_by", "any shell command"),
        ("network_any_by", "any host"),
        ("code_host_write_by", "writes to a code host"),
        ("cloud_by", "a cloud CLI"),
        ("all_project_mcp_servers_by", "every project MCP server"),
    ] {
        for g in scope
            .get(list)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let Some(rule) = g.get("rule").and_then(Value::as_str) else {
                continue;
            };
            let line = g
                .get("at")
                .and_then(Value::as_str)
                .map(Location::at_listing)
                .map_or(0, |l| l.line());
            out.push((
                format!("{SCOPE_SUBJECT}{list}:{rule}"),
                format!("{what} without approval ({rule})"),
                line,
            ));
        }
    }
    out
}

fn scope_grants(agent: &Agent) -> BTreeSet<String> {
    scope_grant_list(agent)
        .into_iter()
        .map(|(s, _, _)| s)
        .collect()
}

/// Rises of a coding agent's tool scope: a rule or setting that grants a capability the
/// older version did not grant.
fn scope_rises(old: &Agent, new: &Agent) -> Vec<Delta> {
    let before = scope_grants(old);
    scope_grant_list(new)
        .into_iter()
        .filter(|(subject, _, _)| !before.contains(subject))
        .map(|(subject, to, line)| Delta {
            kind: ChangeKind::ToolAdded,
            subject,
            from: None,
            to,
            from_level: None,
            to_level: None,
            at: if line > 0 {
                Anchor::Line(line)
            } else {
                Anchor::Agent
            },
            current: false,
        })
        .collect()
}

fn mcp_rises(old: &Agent, new: &Agent) -> Vec<Delta> {
    let before = servers(old);
    let mut out = Vec::new();
    for (name, server) in servers(new) {
        if !enabled(server) {
            continue;
        }
        let Some(was) = before.get(name).filter(|s| enabled(s)) else {
            out.push(Delta {
                kind: ChangeKind::McpServerAdded,
                subject: name.to_string(),
                from: before
                    .get(name)
                    .map(|_| format!("MCP server {name} (disabled)")),
                to: format!("MCP server {}", describe_server(name, server)),
                from_level: None,
                to_level: None,
                at: line_of(server),
                current: false,
            });
            continue;
        };
        let (had, has) = (auto_approved(was), auto_approved(server));
        if !has.is_subset(&had) {
            let list = |s: &BTreeSet<&str>| s.iter().copied().collect::<Vec<_>>().join(", ");
            out.push(Delta {
                kind: ChangeKind::ToolAdded,
                subject: format!("{name}/auto-approve"),
                from: (!had.is_empty()).then(|| format!("{name} auto-approves {}", list(&had))),
                to: format!("{name} auto-approves {}", list(&has)),
                from_level: None,
                to_level: None,
                at: line_of(server),
                current: false,
            });
        }
        if trusted(server) && !trusted(was) {
            out.push(Delta {
                kind: ChangeKind::ToolAdded,
                subject: format!("{name}/trust"),
                from: Some(format!("{name} asks before each tool call")),
                to: format!("{name} trusted (every tool call runs without asking)"),
                from_level: None,
                to_level: None,
                at: line_of(server),
                current: false,
            });
        }
    }
    out
}

/// A server by name and what it runs (package or command), never its URL or arguments,
/// which may carry credentials.
fn describe_server(name: &str, server: &Value) -> String {
    let what = server
        .get("package")
        .and_then(Value::as_str)
        .or_else(|| server.get("command").and_then(Value::as_str));
    match what {
        Some(w) => format!("{name} ({w})"),
        None => name.to_string(),
    }
}

/// An agent that was not in the older version of the file.
fn agent_added(agent: &Agent) -> Vec<Delta> {
    let (to, level) = match &agent.kind {
        AgentKind::GithubWorkflow => {
            let p = perms(agent);
            (format!("permissions: {}", p.describe()), max(&p))
        }
        AgentKind::McpClient => {
            let names: Vec<String> = servers(agent)
                .into_iter()
                .filter(|(_, s)| enabled(s))
                .map(|(n, s)| describe_server(n, s))
                .collect();
            (format!("MCP server(s) {}", names.join(", ")), None)
        }
        _ => (agent.kind.to_string(), None),
    };
    vec![Delta {
        kind: ChangeKind::AgentAdded,
        subject: "agent".into(),
        from: None,
        to,
        from_level: None,
        to_level: level,
        at: Anchor::Agent,
        current: false,
    }]
}

/// Whether the working tree's version of the agent still has what the change added.
fn still_holds(d: &Delta, now: &Agent) -> bool {
    match d.kind {
        ChangeKind::PermissionRaised => {
            perms(now).level_of(&d.subject) >= d.to_level && d.to_level.is_some()
        }
        ChangeKind::WriteAllAdded => perms(now).is_write_all(),
        ChangeKind::McpServerAdded => servers(now)
            .get(d.subject.as_str())
            .is_some_and(|s| enabled(s)),
        ChangeKind::ToolAdded if d.subject.starts_with(SCOPE_SUBJECT) => {
            scope_grants(now).contains(&d.subject)
        }
        ChangeKind::ToolAdded => {
            let (server, what) = d.subject.split_once('/').unwrap_or((&d.subject, ""));
            servers(now).get(server).is_some_and(|s| match what {
                "trust" => trusted(s),
                _ => !auto_approved(s).is_empty(),
            })
        }
        ChangeKind::AgentAdded => match d.to_level {
            Some(level) => max(&perms(now)) >= Some(level),
            None => true,
        },
        // Only Terraform modules make these, compared by `terraform::still_holds`.
        ChangeKind::AccessRaised => false,
    }
}

/// The key of `scope` in the job's effective `permissions:` block (or the block itself),
/// as the analyser found it: only when that block is the job's own or its workflow's.
fn permission_location(rev: &Revision, agent: &Agent, scope: Option<&str>) -> Option<Location> {
    let sites = rev.after_permissions.get(&agent.id)?;
    let at = scope.and_then(|s| sites.scopes.get(s));
    Some(at.unwrap_or(&sites.block).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workflow(perms: &str) -> String {
        format!(
            "on: issue_comment\njobs:\n  claude:\n    runs-on: ubuntu-latest\n{perms}    steps:\n      - uses: anthropics/claude-code-action@v1\n"
        )
    }

    fn rev(before: Option<&str>, after: &str, path: &str) -> Revision {
        let analyse = |t: &str| crate::sources::repo::analyse_revision(path, t);
        let (after, after_permissions) = analyse(after);
        Revision {
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            author_date: "2026-03-04T05:06:07Z".into(),
            path: path.into(),
            before: before.map(|b| analyse(b).0),
            after,
            after_permissions,
        }
    }

    const WF: &str = ".github/workflows/claude.yml";

    #[test]
    fn a_scope_raised_to_write_points_at_its_line() {
        let old = workflow("    permissions:\n      contents: read\n");
        let new = workflow("    permissions:\n      contents: write\n");
        let r = rev(Some(&old), &new, WF);
        let current = crate::sources::repo::analyse_text(WF, &new);
        let c = changes(std::slice::from_ref(&r), &current);
        assert_eq!(c.len(), 1, "{c:#?}");
        assert_eq!(c[0].kind, "permission-raised");
        assert_eq!(c[0].from.as_deref(), Some("contents: read"));
        assert_eq!(c[0].to, "contents: write");
        assert_eq!(c[0].to_level, Some(AccessLevel::Write));
        assert!(c[0].current);
        assert_eq!(c[0].location, Some(Location::file(WF, 6, 7)));
        assert!(
            c[0].summary.contains("0123456 (2026-03-04)"),
            "{}",
            c[0].summary
        );
    }

    #[test]
    fn lowering_or_an_unknown_side_is_no_rise() {
        let read = workflow("    permissions:\n      contents: read\n");
        let write = workflow("    permissions:\n      contents: write\n");
        let default = workflow("");
        for (old, new) in [(&write, &read), (&write, &default), (&default, &write)] {
            let r = rev(Some(old), new, WF);
            let c = changes(std::slice::from_ref(&r), &Inventory::default());
            assert!(c.is_empty(), "{old} → {new}: {c:#?}");
        }
    }

    #[test]
    fn each_job_of_a_workflow_is_compared_with_itself() {
        let two = |zeta: &str| {
            format!(
                "on: issue_comment\njobs:\n  zeta:\n    runs-on: x\n    permissions:\n      contents: {zeta}\n    steps:\n      - uses: anthropics/claude-code-action@v1\n  alpha:\n    runs-on: x\n    permissions:\n      contents: read\n    steps:\n      - uses: openai/codex-action@v1\n"
            )
        };
        let r = rev(Some(&two("read")), &two("write"), WF);
        let c = changes(std::slice::from_ref(&r), &Inventory::default());
        assert_eq!(c.len(), 1, "{c:#?}");
        assert_eq!(c[0].kind, "permission-raised");
        assert_eq!(
            c[0].agent.as_deref(),
            Some("repo:.github/workflows/claude.yml#/jobs/zeta")
        );
    }

    #[test]
    fn write_all_is_one_change() {
        let old = workflow("    permissions:\n      contents: read\n");
        let new = workflow("    permissions: write-all\n");
        let r = rev(Some(&old), &new, WF);
        let c = changes(std::slice::from_ref(&r), &Inventory::default());
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].kind, "write-all-added");
        assert_eq!(c[0].from_level, Some(AccessLevel::Read));
        assert!(!c[0].current, "the agent is gone from the working tree");
    }

    #[test]
    fn write_all_points_at_the_block_and_a_workflow_block_at_its_scope() {
        let old = workflow("    permissions:\n      contents: read\n");
        let new = workflow("    permissions: write-all\n");
        let c = changes(&[rev(Some(&old), &new, WF)], &Inventory::default());
        assert_eq!(c[0].location, Some(Location::file(WF, 5, 18)));

        let wf = |level: &str| {
            format!(
                "on: issue_comment\npermissions:\n  issues: {level}\n  contents: read\njobs:\n  claude:\n    runs-on: x\n    steps:\n      - uses: anthropics/claude-code-action@v1\n"
            )
        };
        let c = changes(
            &[rev(Some(&wf("read")), &wf("write"), WF)],
            &Inventory::default(),
        );
        assert_eq!(c.len(), 1, "{c:#?}");
        assert_eq!(c[0].subject, "issues");
        assert_eq!(c[0].location, Some(Location::file(WF, 3, 3)));
    }

    #[test]
    fn without_a_block_of_its_own_a_change_points_at_the_job() {
        // The repository default (no block) is written nowhere in the file; nor is a
        // caller's block, for a reusable workflow's agent.
        let called = "on: workflow_call\njobs:\n  run:\n    runs-on: x\n    steps:\n      - uses: anthropics/claude-code-action@v1\n";
        let r = rev(Some(called), called, WF);
        assert!(r.after_permissions.is_empty(), "{:?}", r.after_permissions);
        let old = workflow("    permissions:\n      contents: read\n");
        let new = workflow("    permissions:\n      contents: write\n");
        let mut r = rev(Some(&old), &new, WF);
        r.after_permissions.clear();
        let c = changes(&[r], &Inventory::default());
        assert_eq!(c[0].location, Some(Location::file(WF, 3, 3)));
    }

    #[test]
    fn mcp_server_and_auto_approved_tool_added() {
        let old = r#"{"mcpServers": {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem"]}}}"#;
        let new = "{\"mcpServers\": {\n  \"fs\": {\"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-filesystem\"], \"autoApprove\": [\"write_file\"]},\n  \"github\": {\"command\": \"npx\", \"args\": [\"-y\", \"@modelcontextprotocol/server-github\"]}\n}}";
        let r = rev(Some(old), new, ".mcp.json");
        let c = changes(std::slice::from_ref(&r), &Inventory::default());
        let kinds: Vec<(&str, &str)> = c
            .iter()
            .map(|c| (c.kind.as_str(), c.subject.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("tool-added", "fs/auto-approve"),
                ("mcp-server-added", "github")
            ]
        );
        assert_eq!(c[1].location, Some(Location::file(".mcp.json", 3, 1)));
    }
}
