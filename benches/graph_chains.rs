//! Privilege-chain analysis on a synthetic identity graph: by default 100,000 nodes
//! (agents and identities) and 1,000,000 edges, built from a fixed seed. The mix stands
//! in for a large estate: agents that hold tokens and keys, delegate to and trigger each
//! other; AWS roles in a few accounts, with per-service levels, that assume each other
//! and sometimes escalate to an account's admin; GitHub workflow tokens with write
//! scopes. Prints one Markdown row: nodes, edges, capability levels, chains found,
//! seconds, and peak RSS before and after the analysis.
//!
//! `cargo bench --bench graph_chains -- --nodes 100000 --edges 1000000`
//! (`scripts/bench-graph.sh` runs it). Without `--bench` (as `cargo test --all-targets`
//! runs it) it analyses a graph of 2,000 nodes once, as a smoke test.

// A benchmark prints its numbers and fails loudly.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use nhi_audit::analysis::exposure::OUTSIDE;
use nhi_audit::analysis::find_chains;
use nhi_audit::model::{
    AccessLevel, Agent, ChainStart, Confidence, Edge, EdgeKind, Effect, Grant, Identity, Inventory,
    SourceKind,
};
use serde_json::json;

/// xorshift64*: a fixed, dependency-free stream of pseudo-random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const SERVICES: &[&str] = &[
    "s3",
    "dynamodb",
    "lambda",
    "sqs",
    "sns",
    "ec2",
    "ecs",
    "eks",
    "rds",
    "kms",
    "secretsmanager",
    "ssm",
    "glue",
    "athena",
    "bedrock",
    "sagemaker",
    "logs",
    "cloudwatch",
    "iam",
    "sts",
    "ecr",
    "kinesis",
    "firehose",
    "events",
    "states",
    "apigateway",
    "route53",
    "cloudformation",
    "codebuild",
    "codecommit",
];
const SCOPES: &[&str] = &["contents", "pull-requests", "issues", "actions", "packages"];
const ACCOUNTS: usize = 5;

fn identity(id: String, kind: &str, provider: &str, level: Option<AccessLevel>) -> Identity {
    let name = id.rsplit('/').next().unwrap_or(&id).to_string();
    let mut identity = Identity::new(id, kind, provider, name);
    identity.access_level = level;
    identity
}

fn edge(kind: EdgeKind, from: &str, to: &str) -> Edge {
    Edge {
        kind,
        from: from.to_string(),
        to: to.to_string(),
        evidence: format!("{} {}", kind.as_str(), to),
        location: None,
    }
}

fn build(nodes: usize, edges: usize, seed: u64) -> Inventory {
    let mut rng = Rng(seed);
    let mut inv = Inventory::default();
    let agents = nodes / 5;
    let tokens = nodes / 5;
    let roles = nodes - agents - tokens - ACCOUNTS;
    let levels = [
        AccessLevel::Read,
        AccessLevel::Write,
        AccessLevel::PermissionsManagement,
    ];

    for a in 0..agents {
        let tools = if rng.chance(10) { "write" } else { "read" };
        inv.agents.push(Agent {
            id: format!("agent:{a}"),
            name: format!("agent {a}"),
            kind: "bench".into(),
            confidence: Confidence::High,
            evidence: Vec::new(),
            source: SourceKind::Repo,
            locations: Vec::new(),
            facts: [("tool_access".to_string(), json!(tools))].into(),
        });
    }
    for t in 0..tokens {
        let id = format!(
            "github-token:repo-{}/.github/workflows/w{t}.yml#/jobs/j",
            t % 2000
        );
        let mut ident = identity(
            id.clone(),
            "github-token",
            "github",
            Some(AccessLevel::Read),
        );
        for scope in SCOPES {
            if rng.chance(15) {
                ident.access_level = Some(AccessLevel::Write);
                inv.grants.push(Grant {
                    identity: id.clone(),
                    action: scope.to_string(),
                    resource: "repository".into(),
                    effect: Effect::Allow,
                    access_level: AccessLevel::Write,
                    source: "bench".into(),
                    location: None,
                });
            }
        }
        inv.identities.push(ident);
    }
    let role_id = |r: usize| format!("aws:arn:aws:iam::{:012}:role/r{r}", 100 + r % ACCOUNTS);
    for r in 0..roles {
        let mut services = serde_json::Map::new();
        for _ in 0..1 + rng.below(3) {
            let spread = if rng.chance(90) { 2 } else { 3 };
            let level = levels[rng.below(spread)];
            services.insert(
                SERVICES[rng.below(SERVICES.len())].into(),
                json!(level.as_str()),
            );
        }
        let mut ident = identity(role_id(r), "aws-role", "aws", Some(AccessLevel::Read));
        ident.facts.insert(
            "aws".into(),
            json!({"account": format!("{:012}", 100 + r % ACCOUNTS), "services": services}),
        );
        inv.identities.push(ident);
    }
    for acct in 0..ACCOUNTS {
        let mut admin = identity(
            format!("aws-admin:{:012}", 100 + acct),
            "aws-account-admin",
            "aws",
            Some(AccessLevel::Admin),
        );
        admin.facts.insert(
            "aws".into(),
            json!({"account": format!("{:012}", 100 + acct), "services": {"*": "admin"}}),
        );
        inv.identities.push(admin);
    }

    // Every agent holds a token or a role; the rest of the edges are random hops.
    for a in 0..agents {
        let to = if rng.chance(50) {
            inv.identities[rng.below(tokens)].id.clone()
        } else {
            role_id(rng.below(roles))
        };
        inv.edges
            .push(edge(EdgeKind::Holds, &format!("agent:{a}"), &to));
    }
    while inv.edges.len() < edges {
        let roll = rng.below(100);
        let e = match roll {
            0..=19 => edge(
                EdgeKind::Holds,
                &format!("agent:{}", rng.below(agents)),
                &role_id(rng.below(roles)),
            ),
            20..=29 => edge(
                EdgeKind::Delegates,
                &format!("agent:{}", rng.below(agents)),
                &format!("agent:{}", rng.below(agents)),
            ),
            30..=39 => edge(
                EdgeKind::Triggers,
                &format!("agent:{}", rng.below(agents)),
                &format!("agent:{}", rng.below(agents)),
            ),
            40..=98 => edge(
                EdgeKind::Assumes,
                &role_id(rng.below(roles)),
                &role_id(rng.below(roles)),
            ),
            _ => {
                let r = rng.below(roles);
                edge(
                    EdgeKind::Escalates,
                    &role_id(r),
                    &format!("aws-admin:{:012}", 100 + r % ACCOUNTS),
                )
            }
        };
        inv.edges.push(e);
    }
    inv
}

/// Peak resident set size of this process so far, in MB (Linux).
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bench = args.iter().any(|a| a == "--bench");
    let (nodes, edges) = if bench {
        (
            arg(&args, "--nodes", 100_000),
            arg(&args, "--edges", 1_000_000),
        )
    } else {
        (2_000, 20_000)
    };
    // `--outside P`: the outside steers P% of the agents (issue 16's exposure).
    let outside = if bench {
        arg(&args, "--outside", 0)
    } else {
        10
    };
    let started = Instant::now();
    let mut inv = build(nodes, edges, 0x9E37_79B9_7F4A_7C15);
    let mut rng = Rng(0x5EED);
    let steered: Vec<Edge> = inv
        .agents
        .iter()
        .filter(|_| rng.chance(outside as u64))
        .map(|a| edge(EdgeKind::Steers, OUTSIDE, &a.id))
        .collect();
    inv.edges.extend(steered);
    let built = started.elapsed().as_secs_f64();
    let before = peak_rss_mb();
    let started = Instant::now();
    let chains = find_chains(&inv);
    let seconds = started.elapsed().as_secs_f64();
    let after = peak_rss_mb();
    assert!(!chains.is_empty(), "the synthetic graph has chains");
    for c in chains.iter().take(1000) {
        assert_eq!(c.path.len(), c.hops.len() + 1, "a hop per step of {c:?}");
    }
    if bench {
        println!(
            "| nodes | edges | outside steers | chains | from outside | build s | analysis s | peak RSS before MB | peak RSS after MB |"
        );
        println!("|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        println!(
            "| {} | {} | {outside}% | {} | {} | {built:.2} | {seconds:.2} | {before:.0} | {after:.0} |",
            inv.agents.len() + inv.identities.len(),
            inv.edges.len(),
            chains.len(),
            chains
                .iter()
                .filter(|c| c.start_kind == ChainStart::Outside)
                .count()
        );
    }
}
