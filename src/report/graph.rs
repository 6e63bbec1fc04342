//! The identity graph as Graphviz DOT or a Mermaid flowchart: agents, the identities they
//! hold, and the `holds`, `assumes`, `escalates`, `triggers`, `delegates` and `shares`
//! edges between them. Edges on a privilege chain are drawn bold (DOT) or thick
//! (Mermaid). With a focus, only what the focused agents reach is drawn.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fmt::Write;

use crate::analysis::Chain;
use crate::analysis::exposure::{OUTSIDE, OUTSIDE_NAME};
use crate::model::{EdgeKind, Inventory};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

struct Node<'a> {
    id: &'a str,
    label: String,
    agent: bool,
}

/// The nodes and edges to draw: everything, or what `focus` reaches.
struct View<'a> {
    nodes: Vec<Node<'a>>,
    edges: Vec<(&'a str, &'a str, EdgeKind, bool)>,
}

fn view<'a>(inv: &'a Inventory, chains: &[Chain], focus: Option<&[&str]>) -> View<'a> {
    let mut on_chain: BTreeSet<(&str, &str)> = BTreeSet::new();
    for c in chains {
        for w in c.path.windows(2) {
            if let (Some(a), Some(b)) = (intern(inv, &w[0]), intern(inv, &w[1])) {
                on_chain.insert((a, b));
            }
        }
    }
    let mut next: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in inv.edges.iter().enumerate() {
        next.entry(e.from.as_str()).or_default().push(i);
    }
    let keep: Option<BTreeSet<&str>> = focus.map(|starts| {
        let mut seen: BTreeSet<&str> = starts.iter().copied().collect();
        let mut queue: VecDeque<&str> = starts.iter().copied().collect();
        while let Some(n) = queue.pop_front() {
            for &i in next.get(n).into_iter().flatten() {
                let to = inv.edges[i].to.as_str();
                if seen.insert(to) {
                    queue.push_back(to);
                }
            }
        }
        seen
    });
    let wanted = |id: &str| keep.as_ref().is_none_or(|k| k.contains(id));
    let mut nodes = Vec::new();
    let mut present: BTreeSet<&str> = BTreeSet::new();
    for a in inv.agents.iter().filter(|a| wanted(&a.id)) {
        present.insert(&a.id);
        nodes.push(Node {
            id: &a.id,
            label: a.name.clone(),
            agent: true,
        });
    }
    for i in inv.identities.iter().filter(|i| wanted(&i.id)) {
        present.insert(&i.id);
        let level = i.access_level.map(|l| format!(" ({})", l.as_str()));
        nodes.push(Node {
            id: &i.id,
            label: format!("{}{}", i.name, level.unwrap_or_default()),
            agent: false,
        });
    }
    // The outside, when it steers an agent that is drawn: who can steer it.
    if inv
        .edges
        .iter()
        .any(|e| e.kind == EdgeKind::Steers && present.contains(e.to.as_str()))
    {
        present.insert(OUTSIDE);
        nodes.push(Node {
            id: OUTSIDE,
            label: OUTSIDE_NAME.to_string(),
            agent: false,
        });
    }
    let mut edges = Vec::new();
    let mut seen_edges = BTreeSet::new();
    for e in &inv.edges {
        let (from, to) = (e.from.as_str(), e.to.as_str());
        if present.contains(from) && present.contains(to) && seen_edges.insert((from, to, e.kind)) {
            edges.push((from, to, e.kind, on_chain.contains(&(from, to))));
        }
    }
    View { nodes, edges }
}

/// The inventory's own copy of an id, so views borrow from one place.
fn intern<'a>(inv: &'a Inventory, id: &str) -> Option<&'a str> {
    if id == OUTSIDE {
        return Some(OUTSIDE);
    }
    inv.agent(id)
        .map(|a| a.id.as_str())
        .or_else(|| inv.identity(id).map(|i| i.id.as_str()))
}

/// Renders the graph, or the part of it `focus` (agent ids) reaches.
pub fn render(
    inv: &Inventory,
    chains: &[Chain],
    focus: Option<&[&str]>,
    format: GraphFormat,
) -> String {
    let v = view(inv, chains, focus);
    match format {
        GraphFormat::Dot => dot(&v),
        GraphFormat::Mermaid => mermaid(&v),
    }
}

fn dot_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn dot(v: &View<'_>) -> String {
    let mut out = String::from(
        "digraph nhi {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n",
    );
    for n in &v.nodes {
        let shape = if n.agent {
            "box, style=\"rounded,filled\", fillcolor=\"#dbeafe\""
        } else {
            "ellipse"
        };
        let _ = writeln!(
            out,
            "  {} [label={}, shape={shape}];",
            dot_quote(n.id),
            dot_quote(&n.label)
        );
    }
    for (from, to, kind, chain) in &v.edges {
        let style = if *chain {
            ", style=bold, color=\"#dc2626\""
        } else if *kind == EdgeKind::Shares {
            ", style=dashed, dir=none"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label={}{style}];",
            dot_quote(from),
            dot_quote(to),
            dot_quote(kind.as_str())
        );
    }
    out.push_str("}\n");
    out
}

/// Mermaid labels: quotes and markup characters as entity codes.
pub(crate) fn mermaid_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            c => out.push(c),
        }
    }
    out
}

fn mermaid(v: &View<'_>) -> String {
    let mut out = String::from("flowchart LR\n");
    let short: BTreeMap<&str, String> = v
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id, format!("n{i}")))
        .collect();
    for n in &v.nodes {
        let label = mermaid_label(&n.label);
        let _ = if n.agent {
            writeln!(out, "  {}([\"{label}\"])", short[n.id])
        } else {
            writeln!(out, "  {}[\"{label}\"]", short[n.id])
        };
    }
    let mut thick = Vec::new();
    for (k, (from, to, kind, chain)) in v.edges.iter().enumerate() {
        let arrow = match (kind, chain) {
            (_, true) => "==>",
            (EdgeKind::Shares, _) => "-.-",
            _ => "-->",
        };
        let _ = writeln!(
            out,
            "  {} {arrow}|{}| {}",
            short[from],
            kind.as_str(),
            short[to]
        );
        if *chain {
            thick.push(k.to_string());
        }
    }
    if !thick.is_empty() {
        let _ = writeln!(out, "  linkStyle {} stroke:#dc2626", thick.join(","));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Agent, Confidence, Edge, SourceKind};

    fn agent(id: &str, name: &str) -> Agent {
        Agent {
            id: id.into(),
            name: name.into(),
            kind: "crewai".into(),
            confidence: Confidence::High,
            evidence: Vec::new(),
            source: SourceKind::Repo,
            locations: Vec::new(),
            facts: Default::default(),
        }
    }

    fn inv() -> Inventory {
        let mut inv = Inventory::default();
        inv.agents.push(agent("a", "reader \"R\""));
        inv.agents.push(agent("b", "writer"));
        inv.agents.push(agent("c", "elsewhere"));
        inv.edges.push(Edge {
            kind: EdgeKind::Delegates,
            from: "a".into(),
            to: "b".into(),
            evidence: String::new(),
            location: None,
        });
        inv
    }

    #[test]
    fn dot_quotes_labels_and_draws_every_edge() {
        let out = render(&inv(), &[], None, GraphFormat::Dot);
        assert!(out.starts_with("digraph nhi {"));
        assert!(out.contains("\"a\" [label=\"reader \\\"R\\\"\""), "{out}");
        assert!(
            out.contains("\"a\" -> \"b\" [label=\"delegates\"]"),
            "{out}"
        );
        assert!(out.contains("\"c\""));
    }

    #[test]
    fn a_focus_keeps_only_what_the_agent_reaches() {
        let out = render(&inv(), &[], Some(&["a"]), GraphFormat::Mermaid);
        assert!(out.contains("reader #quot;R#quot;"), "{out}");
        assert!(out.contains("n0 -->|delegates| n1"), "{out}");
        assert!(!out.contains("elsewhere"), "{out}");
    }
}
