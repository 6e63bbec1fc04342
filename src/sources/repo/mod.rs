//! The `repo` source: local paths (checkouts, folders of exports, home directories).
//!
//! Files are walked in parallel, recognised by name or content, and handed to one
//! analyser per format. Every text file also goes through the secret scanner, so a key
//! pasted anywhere is found; the structured analysers add who holds it.

mod builder;
mod catalog;
mod detect;
mod dotenv;
mod frameworks;
mod gcp_key;
pub use gcp_key::KEY_FILE;
pub mod history;
mod mcp;
mod mcp_catalog;
mod mcp_launch;
mod roots;
mod suppress;
mod toolscope;
mod walk;
pub(crate) mod workflow;

pub use builder::PermissionSites;
pub(crate) use builder::escape_inventory;
pub(crate) use catalog::catalog;
pub(crate) use detect::classify_by_name;
pub use detect::{FileKind, classify};
pub use roots::ScanRoots;
pub use suppress::InlineIgnore;
pub(crate) use walk::decode;
pub use walk::{RepoOptions, RepoScan, scan};
pub use workflow::WorkflowFile;

use builder::Fragment;

/// Runs the analyser for `kind`, then the secret scanner over the whole text.
fn analyse(kind: FileKind, text: &str, fragment: &mut Fragment<'_>) {
    analyse_format(kind, text, fragment);
    let key_line = gcp_key::analyse(text, fragment);
    fragment.scan_text_except(text, key_line);
}

/// The format's analyser alone.
fn analyse_format(kind: FileKind, text: &str, fragment: &mut Fragment<'_>) {
    match kind {
        FileKind::Mcp(client) => mcp::analyse(client, text, fragment),
        FileKind::AgentSettings(client) => toolscope::analyse_settings(client, text, fragment),
        FileKind::Workflow | FileKind::GhAwSource => workflow::analyse(text, fragment),
        // Read through the workflows that use it.
        FileKind::Action => {}
        FileKind::CrewAiAgents => frameworks::crewai(text, fragment),
        FileKind::A2aCard => frameworks::a2a(text, fragment),
        FileKind::LangGraph => frameworks::langgraph(text, fragment),
        FileKind::AutogenConfigList => frameworks::autogen(text, fragment),
        FileKind::DotEnv => dotenv::analyse(text, fragment),
        FileKind::Other => {}
    }
}

/// Parses a structured file, or records why it could not be parsed.
fn parse_doc(
    text: &str,
    format: crate::doc::Format,
    fragment: &mut Fragment<'_>,
    what: &str,
) -> Option<crate::doc::Node> {
    match crate::doc::parse_with_duplicates(text, format) {
        Ok((node, duplicates)) => {
            for d in duplicates {
                fragment.warn(
                    d.line,
                    1,
                    format!(
                        "`{}` is given twice (also at line {}): read as the client reads it, the last one",
                        d.key, d.first_line
                    ),
                );
            }
            Some(node)
        }
        Err(e) => {
            fragment.error(
                e.line,
                e.column,
                format!("cannot parse {what}: {}", e.message),
            );
            None
        }
    }
}

/// A secret value written in infrastructure code at `at` as the value of `name` (a
/// Terraform `plaintext_value`): a hard-coded credential, fingerprinted and redacted as
/// every literal the secret scanner finds.
pub fn hardcoded_secret(
    at: &crate::model::Location,
    name: &str,
    secret: &str,
    kind: &str,
    provider: &str,
    confidence: crate::model::Confidence,
) -> crate::model::Inventory {
    let path = at.path().unwrap_or_default();
    let (line, column) = match at {
        crate::model::Location::File { line, column, .. } => (*line, *column),
        crate::model::Location::Uri { .. } => (1, 1),
    };
    let mut fragment = Fragment::new(path);
    let site = builder::Site {
        name: Some(name),
        line,
        column,
    };
    fragment.add_literal(
        None,
        site,
        secret,
        kind,
        provider,
        crate::model::Lifetime::Static,
        confidence,
    );
    fragment.finish()
}

/// Analyses one file's text as if it were found at `shown` (a path, or a location such as
/// `github:ORG/REPO/.github/workflows/x.yml` for files fetched from an API): recognition
/// by name and content, the format's analyser, and the secret scanner.
pub fn analyse_text(shown: &str, text: &str) -> crate::model::Inventory {
    let path = std::path::Path::new(shown);
    let kind = detect::classify(path, text);
    let mut fragment = Fragment::new(shown);
    analyse(kind, text, &mut fragment);
    fragment.finish()
}

/// Analyses a set of fetched files (the GitHub source's workflows of every crawled
/// repository) as [`analyse_text`] does one, with each other in reach: calls between
/// them are followed. Returns each file's inventory, in the order given.
pub fn analyse_texts(files: &[workflow::WorkflowFile]) -> Vec<crate::model::Inventory> {
    let index = workflow::WorkflowIndex::new(files);
    files
        .iter()
        .map(|f| {
            let path = std::path::Path::new(&f.shown);
            let kind = detect::classify(path, &f.text);
            let mut fragment = Fragment::new(&f.shown);
            match kind {
                FileKind::Workflow | FileKind::GhAwSource => {
                    workflow::analyse_in(&f.text, &mut fragment, &index)
                }
                other => analyse_format(other, &f.text, &mut fragment),
            }
            fragment.scan_text(&f.text);
            fragment.finish()
        })
        .collect()
}

/// Analyses the workflows, gh-aw sources and actions the walk set aside, with each
/// other in reach (the walk already ran the secret scanner over them).
pub(crate) fn analyse_deferred(
    files: &[(workflow::WorkflowFile, FileKind)],
) -> crate::model::Inventory {
    let list: Vec<workflow::WorkflowFile> = files.iter().map(|(f, _)| f.clone()).collect();
    let index = workflow::WorkflowIndex::new(&list);
    let mut out = crate::model::Inventory::default();
    for (f, kind) in files {
        if matches!(kind, FileKind::Workflow | FileKind::GhAwSource) {
            let mut fragment = Fragment::new(&f.shown);
            workflow::analyse_in(&f.text, &mut fragment, &index);
            out.extend(fragment.finish());
        }
    }
    out
}

/// Analyses a version of a file read from git history: the format's analyser alone,
/// without the secret scanner or fingerprints, since only the changes of its agents are
/// taken from it. With it, where each agent's token permissions are written, by agent id.
pub(crate) fn analyse_revision(
    shown: &str,
    text: &str,
) -> (
    crate::model::Inventory,
    std::collections::BTreeMap<String, PermissionSites>,
) {
    let kind = detect::classify(std::path::Path::new(shown), text);
    let mut fragment = Fragment::without_fingerprints(shown);
    analyse_format(kind, text, &mut fragment);
    // Sorted, so that agents are found by id.
    let (mut inventory, sites) = fragment.finish_with_permission_sites();
    inventory.normalize();
    (inventory, sites)
}
