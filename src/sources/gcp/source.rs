//! The GCP source behind the [`Source`] seam: the `gcloud` exports the walk found, all
//! read into one [`GcpInput`] (an account listed in one file, its keys in another and
//! its roles in a third are one account) and normalised into one fragment.

use super::{ExportKind, GcpInput};
use crate::model::{Inventory, SourceKind};
use crate::sources::{Collected, Context, Source};

/// What to read from Google Cloud. Offline only for now: the exports found in the
/// scanned folders; there is no live crawl yet.
#[derive(Debug, Clone, Default)]
pub struct Request {}

pub struct GcpSource<'a> {
    pub request: &'a Request,
}

impl Source for GcpSource<'_> {
    fn kind(&self) -> SourceKind {
        SourceKind::Gcp
    }

    fn collect(&self, ctx: &Context<'_>) -> Collected {
        let _ = self.request;
        let mut inventory = Inventory::default();
        let mut input = GcpInput::default();
        let mut found = false;
        for export in ctx.exports_of(SourceKind::Gcp) {
            let Some(kind) = ExportKind::parse(export.kind) else {
                continue;
            };
            found = true;
            let shown = ctx.names.shown(&export.path);
            match std::fs::read_to_string(&export.path) {
                Ok(text) => {
                    super::read_export(kind, &text, &shown, &mut input, &mut inventory.errors);
                }
                Err(e) => inventory
                    .errors
                    .push(SourceKind::Gcp.error(shown, format!("cannot read: {e}"))),
            }
        }
        if found {
            inventory.extend(super::normalize(&input));
        }
        // An export that could not be read leaves the picture incomplete.
        let failed = !inventory.errors.is_empty();
        Collected { inventory, failed }
    }
}
