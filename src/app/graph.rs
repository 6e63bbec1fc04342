//! `nhi-audit graph`: the identity graph as Graphviz DOT or Mermaid.

use super::{Error, Output, Result, exit};
use crate::cli::{GraphArgs, GraphFormat, Scope};
use crate::report;

pub fn run(args: GraphArgs) -> Result<u8> {
    let output = Output::open(args.output.as_deref(), "the graph")?;
    let (mut inv, partial) = match &args.from {
        Some(file) => {
            let snapshot = crate::diff::read_snapshot(file)?;
            (snapshot.inventory, false)
        }
        None => {
            let report = super::inventory_report(&args.source)?;
            super::print_errors(&report.errors, "warning");
            (report.inventory, report.partial)
        }
    };
    if args.source.scope == Scope::Agents && args.from.is_none() {
        inv = crate::analysis::agent_scope(&inv);
    }
    let inv = &inv;
    let mut focus: Vec<&str> = Vec::new();
    for wanted in &args.agent {
        let needle = wanted.to_lowercase();
        let found: Vec<&str> = inv
            .agents
            .iter()
            .filter(|a| a.id == *wanted || a.name.to_lowercase().contains(&needle))
            .map(|a| a.id.as_str())
            .collect();
        if found.is_empty() {
            let known: Vec<&str> = inv
                .agents
                .iter()
                .map(|a| a.name.as_str())
                .take(20)
                .collect();
            return Err(Error::Usage(format!(
                "--agent {wanted}: no agent has that id or name (agents: {})",
                known.join("; ")
            )));
        }
        focus.extend(found);
    }
    let chains = crate::analysis::find_chains(inv);
    let format = match args.format {
        GraphFormat::Dot => report::graph::GraphFormat::Dot,
        GraphFormat::Mermaid => report::graph::GraphFormat::Mermaid,
    };
    let text = report::graph::render(
        inv,
        &chains,
        (!focus.is_empty()).then_some(focus.as_slice()),
        format,
    );
    output.write(&text)?;
    Ok(if partial {
        exit::SOURCE_FAILED
    } else {
        exit::OK
    })
}
