//! Sources collect raw material and normalise it into inventory fragments. They know
//! their formats and APIs, and nothing about rules or severity.
//!
//! The seam every source plugs into:
//! - [`RECOGNISERS`]: how the repository walk tells one of a source's exports from any
//!   other file, by content. The walk asks each in turn and hands what they claim to the
//!   source as a [`FoundExport`], instead of reading it as a config.
//! - [`Source`]: collect, live or offline, into an inventory fragment (its read errors
//!   inside it) and whether a requested part failed.
//!
//! Adding a source is a folder here, a line in [`RECOGNISERS`] if it has exports, a line
//! in `pipeline::sources`, and its CLI flags.

pub mod activity;
pub mod aws;
pub mod azure;
pub mod gcp;
pub mod github;
pub mod iac;
pub mod repo;
pub mod rest;

use std::path::PathBuf;

use crate::model::{Inventory, SourceKind};

/// An export found among the scanned files, recognised by content, for the source that
/// reads it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FoundExport {
    pub path: PathBuf,
    pub source: SourceKind,
    /// Which of the source's exports it is (`gaad`, `credential-report`, …).
    pub kind: &'static str,
}

/// Tells one of a source's exports by its name and text: `Some(kind)` when it is one.
/// Only the structure counts (a file that merely mentions an export's keys is not one),
/// and only the start of the file is looked at, except by name (`main.tf`).
pub type Recogniser = fn(&std::path::Path, &str) -> Option<&'static str>;

/// Every source with exports the repository walk can meet, in the order they are asked.
pub const RECOGNISERS: &[(SourceKind, Recogniser)] = &[
    (SourceKind::Aws, |_, text| aws::recognise_export(text)),
    (SourceKind::Github, |_, text| github::recognise_export(text)),
    (SourceKind::Gcp, |_, text| gcp::recognise_export(text)),
    (SourceKind::Azure, |_, text| azure::recognise_export(text)),
    (SourceKind::Iac, iac::recognise_export),
    (SourceKind::Activity, |_, text| {
        activity::recognise_export(text)
    }),
];

/// A value as an export file holds it: pretty JSON ending in a newline.
pub fn pretty_json<T: serde::Serialize + ?Sized>(value: &T) -> std::io::Result<String> {
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    Ok(text)
}

/// Which source claims the file at `path` holding `text`, and as what.
pub fn recognise_export(path: &std::path::Path, text: &str) -> Option<(SourceKind, &'static str)> {
    RECOGNISERS
        .iter()
        .find_map(|(source, recognise)| recognise(path, text).map(|kind| (*source, kind)))
}

/// The start of `text` recognisers look at: its first 4 KiB, cut on a character boundary
/// so that a multi-byte character across the mark cannot panic.
pub fn head(text: &str) -> &str {
    &text[..text.floor_char_boundary(text.len().min(4096))]
}

/// What every source is handed.
pub struct Context<'a> {
    /// How files are named in reports.
    pub names: &'a repo::ScanRoots,
    /// Exports the walk found, for every source: each takes its own.
    pub exports: &'a [FoundExport],
    /// Whether the analysis judges what an identity is granted (it is an agent's): a
    /// source may leave out the grants of the others, which are never read. The
    /// analysis decides; the source only asks.
    pub judged: &'a (dyn Fn(&crate::model::Identity) -> bool + Sync),
}

impl Context<'_> {
    /// The exports found for `source`.
    pub fn exports_of(&self, source: SourceKind) -> impl Iterator<Item = &FoundExport> {
        self.exports.iter().filter(move |e| e.source == source)
    }
}

/// Reads every export the walk found for `source` with `read` (its kind, text, the
/// name reports give the file, the errors), and the files that cannot be read as
/// errors. Returns whether there was any.
pub(crate) fn read_exports<K>(
    ctx: &Context<'_>,
    source: SourceKind,
    parse: fn(&str) -> Option<K>,
    errors: &mut Vec<crate::model::SourceError>,
    mut read: impl FnMut(K, &str, &str, &mut Vec<crate::model::SourceError>),
) -> bool {
    let mut found = false;
    for export in ctx.exports_of(source) {
        let Some(kind) = parse(export.kind) else {
            continue;
        };
        found = true;
        let shown = ctx.names.shown(&export.path);
        match std::fs::read_to_string(&export.path) {
            Ok(text) => read(kind, &text, &shown, errors),
            Err(e) => errors.push(source.error(shown, format!("cannot read: {e}"))),
        }
    }
    found
}

/// What one source collected.
#[derive(Debug, Default)]
pub struct Collected {
    /// Its fragment, with what it could not read in `errors` and `warnings`.
    pub inventory: Inventory,
    /// A requested part could not be read (an export, an API): results are partial.
    pub failed: bool,
}

/// A source of identities, credentials and agents beside the scanned files.
pub trait Source {
    fn kind(&self) -> SourceKind;
    /// Reads what was requested of it (live, by flag) and the exports found for it.
    fn collect(&self, ctx: &Context<'_>) -> Collected;
}

/// Runs a crawl's future to completion on a runtime of its own: the live sources are
/// async, the pipeline is not. A caller already inside a runtime (a test, an async
/// embedder) cannot block on another one on its thread, so the crawl then runs on a
/// scoped thread. `failed` turns "no runtime" or a panic into the crawl's error value.
pub(crate) fn block_on<T, F>(
    crawl: impl FnOnce() -> F + Send,
    failed: impl Fn(String) -> T + Sync,
) -> T
where
    F: std::future::Future<Output = T>,
    T: Send,
{
    let failed = &failed;
    let run = move || match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(crawl()),
        Err(e) => failed(format!("cannot start the async runtime: {e}")),
    };
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|s| s.spawn(run).join())
            .unwrap_or_else(|_| failed("the crawl panicked".into()))
    } else {
        run()
    }
}

/// Replaces `secret` wherever it appears in the strings and keys of an API answer, so a
/// server that echoes the caller's token cannot carry it into a report or an export.
pub(crate) fn scrub(value: &mut serde_json::Value, secret: &str) {
    use serde_json::Value;
    if secret.is_empty() {
        return;
    }
    match value {
        Value::String(s) if s.contains(secret) => *s = s.replace(secret, "[redacted]"),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub(v, secret)),
        Value::Object(map) => {
            if map.keys().any(|k| k.contains(secret)) {
                let old = std::mem::take(map);
                for (k, v) in old {
                    map.insert(k.replace(secret, "[redacted]"), v);
                }
            }
            map.values_mut().for_each(|v| scrub(v, secret));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_export_is_claimed_by_its_source() {
        let p = std::path::Path::new("export.json");
        assert_eq!(
            recognise_export(p, r#"{"UserDetailList": [], "RoleDetailList": []}"#),
            Some((SourceKind::Aws, "gaad"))
        );
        assert_eq!(
            recognise_export(p, "user,arn,user_creation_time\n"),
            Some((SourceKind::Aws, "credential-report"))
        );
        let github = format!(r#"{{"schema": "{}", "orgs": []}}"#, github::EXPORT_SCHEMA);
        assert_eq!(
            recognise_export(p, &github),
            Some((SourceKind::Github, "github-export"))
        );
        assert_eq!(
            recognise_export(
                p,
                r#"[{"email": "a@example-project.iam.gserviceaccount.com", "uniqueId": "1"}]"#
            ),
            Some((SourceKind::Gcp, "gcp-service-accounts"))
        );
        assert_eq!(recognise_export(p, r#"{"mcpServers": {}}"#), None);
        assert_eq!(
            recognise_export(
                std::path::Path::new("iam.tf"),
                "resource \"aws_iam_role\" \"r\" {}"
            ),
            Some((SourceKind::Iac, "terraform-config"))
        );
        assert_eq!(
            recognise_export(
                p,
                r#"{"format_version": "1.2", "terraform_version": "1.9.0"}"#
            ),
            Some((SourceKind::Iac, "terraform-json"))
        );
        // A kind the walk records is one the source reads back.
        for &kind in aws::ExportKind::ALL {
            assert_eq!(aws::ExportKind::parse(kind.as_str()), Some(kind));
        }
    }
}
