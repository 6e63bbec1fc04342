//! Kubernetes objects in manifests and `kubectl get -o json` listings.

use crate::model::Inventory;
use crate::sources::{Context, FoundExport};

/// Whether `text` (named `name`) holds Kubernetes objects this source reads.
pub fn is_manifest(_name: &str, _text: &str) -> bool {
    false
}

/// Reads every manifest found.
pub fn collect(_ctx: &Context<'_>, _manifests: &[&FoundExport]) -> Inventory {
    Inventory::default()
}
