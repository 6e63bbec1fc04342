//! The GCP source behind the [`Source`] seam: the live crawl of the requested
//! organisations and projects, and the `gcloud` exports the walk found, all read into
//! one [`GcpInput`] (an account listed in one file, its keys in another and its roles in
//! a third are one account) and normalised into one fragment.

use std::path::{Path, PathBuf};

use super::live::{self, Crawl, LiveOptions};
use super::{ExportKind, GcpInput, MANIFEST_FILE, MANIFEST_SCHEMA, Manifest};
use crate::model::{Inventory, SourceKind};
use crate::sources::{Collected, Context, Source};

/// What to read from Google Cloud.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Crawl these organisations and projects live.
    pub live: Option<LiveOptions>,
}

pub struct GcpSource<'a> {
    pub request: &'a Request,
}

impl Source for GcpSource<'_> {
    fn kind(&self) -> SourceKind {
        SourceKind::Gcp
    }

    fn collect(&self, ctx: &Context<'_>) -> Collected {
        let mut inventory = Inventory::default();
        let mut input = GcpInput::default();
        let mut found = false;
        if let Some(opts) = &self.request.live {
            found = true;
            match live::crawl(opts) {
                Ok(crawl) => read_crawl(&crawl, &mut input, &mut inventory.errors),
                Err(e) => inventory.errors.push(e),
            }
        }
        found |= crate::sources::read_exports(
            ctx,
            SourceKind::Gcp,
            ExportKind::parse,
            &mut inventory.errors,
            |kind, text, shown, errors| {
                super::read_export(kind, text, shown, &mut input, errors);
            },
        );
        if found {
            inventory.extend(super::normalize(&input));
        }
        // A call refused or an export that could not be read leaves the picture incomplete.
        let failed = !inventory.errors.is_empty();
        Collected { inventory, failed }
    }
}

/// The crawl's listings through the offline reader, each under the request that read
/// it; then the calls that failed.
fn read_crawl(crawl: &Crawl, input: &mut GcpInput, errors: &mut Vec<crate::model::SourceError>) {
    for doc in &crawl.documents {
        let text = serde_json::to_string(&doc.items).unwrap_or_else(|_| "[]".into());
        super::read_export(doc.kind, &text, &doc.url, input, errors);
    }
    errors.extend(crawl.errors.iter().cloned());
}

/// Writes a crawl as `gcloud` prints the same listings, one file each, and the manifest
/// with what the crawl could not read. Returns the files written.
pub fn write_export(
    crawl: &Crawl,
    opts: &LiveOptions,
    dir: &Path,
) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut files = Vec::new();
    for doc in &crawl.documents {
        let path = dir.join(&doc.file);
        std::fs::write(&path, crate::sources::pretty_json(&doc.items)?)?;
        files.push(doc.file.clone());
        written.push(path);
    }
    let manifest = Manifest {
        schema: MANIFEST_SCHEMA.into(),
        organizations: opts.organizations.clone(),
        projects: opts.projects.clone(),
        files,
        errors: crawl.errors.clone(),
    };
    let path = dir.join(MANIFEST_FILE);
    std::fs::write(&path, crate::sources::pretty_json(&manifest)?)?;
    written.push(path);
    Ok(written)
}
