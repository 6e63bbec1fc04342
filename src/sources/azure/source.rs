//! The Azure source behind the [`Source`] seam: the `az` and Graph exports the walk
//! found, all read into one [`AzureInput`] (an application listed in one file, its
//! service principal in another and its roles in a third are one identity) and
//! normalised into one fragment. Offline only for now.

use super::{AzureInput, ExportKind};
use crate::model::{Inventory, SourceKind};
use crate::sources::{Collected, Context, Source};

pub struct AzureSource;

impl Source for AzureSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Azure
    }

    fn collect(&self, ctx: &Context<'_>) -> Collected {
        let mut inventory = Inventory::default();
        let mut input = AzureInput::default();
        let mut found = false;
        for export in ctx.exports_of(SourceKind::Azure) {
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
                    .push(SourceKind::Azure.error(shown, format!("cannot read: {e}"))),
            }
        }
        if found {
            inventory.extend(super::normalize(&input));
        }
        let failed = !inventory.errors.is_empty();
        Collected { inventory, failed }
    }
}
