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
        let found = crate::sources::read_exports(
            ctx,
            SourceKind::Azure,
            ExportKind::parse,
            &mut inventory.errors,
            |kind, text, shown, errors| {
                super::read_export(kind, text, shown, &mut input, errors);
            },
        );
        if found {
            inventory.extend(super::normalize(&input));
        }
        let failed = !inventory.errors.is_empty();
        Collected { inventory, failed }
    }
}
