//! Terraform: `.tf` configurations and `terraform show -json` output.

use crate::model::Inventory;
use crate::sources::{Context, FoundExport};

/// Whether `text` is `terraform show -json` output (a plan or a state).
pub fn is_terraform_json(_text: &str) -> bool {
    false
}

/// Reads every module (a folder of `.tf` files) and every plan or state found.
pub fn collect(
    _ctx: &Context<'_>,
    _configs: &[&FoundExport],
    _plans: &[&FoundExport],
) -> Inventory {
    Inventory::default()
}
