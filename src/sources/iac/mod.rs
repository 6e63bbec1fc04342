//! The `iac` source: identities defined in infrastructure code, judged before they are
//! deployed. Terraform (`.tf` files, and the JSON of `terraform show -json` for a plan
//! or a state) and Kubernetes (manifests, Helm- or Kustomize-rendered output, and
//! `kubectl get -o json` listings) found among the scanned files.
//!
//! Terraform's cloud resources become the same inputs the cloud sources read (an
//! `aws_iam_role` is a role of a GAAD export), so they go through the same normalisers
//! and evaluators; what differs is where they are: the `file:line` of the resource.

pub mod kubernetes;
pub mod terraform;

use std::path::Path;

use crate::model::SourceKind;
use crate::sources::{Collected, Context, FoundExport, Source};

crate::model::vocabulary! {
    /// What an infrastructure file is; spelled as in a [`FoundExport`].
    pub enum ExportKind {
        /// A Terraform configuration file (`.tf`); read with the others of its folder
        /// (one module).
        TerraformConfig = "terraform-config",
        /// `terraform show -json` of a plan or a state.
        TerraformJson = "terraform-json",
        /// Kubernetes objects: YAML manifests (one or many documents) or a JSON object or
        /// `List`.
        Kubernetes = "kubernetes",
    }
}

/// [`recognise`] for the source registry.
pub fn recognise_export(path: &Path, text: &str) -> Option<&'static str> {
    recognise(path, text).map(|k| k.as_str())
}

/// Whether `path` is named as a Terraform configuration (`main.tf`).
pub fn named_like_terraform(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "tf")
}

/// Recognises infrastructure code: Terraform by its extension, Terraform's JSON and
/// Kubernetes objects by their structure.
pub fn recognise(path: &Path, text: &str) -> Option<ExportKind> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    if named_like_terraform(path) {
        return Some(ExportKind::TerraformConfig);
    }
    if terraform::is_terraform_json(text) {
        return Some(ExportKind::TerraformJson);
    }
    if kubernetes::is_manifest(&name, text) {
        return Some(ExportKind::Kubernetes);
    }
    None
}

/// The infrastructure code among the scanned files.
pub struct IacSource;

impl Source for IacSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Iac
    }

    fn collect(&self, ctx: &Context<'_>) -> Collected {
        let mut by_kind: [Vec<&FoundExport>; 3] = Default::default();
        for export in ctx.exports_of(SourceKind::Iac) {
            match ExportKind::parse(export.kind) {
                Some(ExportKind::TerraformConfig) => by_kind[0].push(export),
                Some(ExportKind::TerraformJson) => by_kind[1].push(export),
                Some(ExportKind::Kubernetes) => by_kind[2].push(export),
                None => {}
            }
        }
        let [configs, plans, manifests] = by_kind;
        let mut inventory = terraform::collect(ctx, &configs, &plans);
        inventory.extend(kubernetes::collect(ctx, &manifests));
        // Files the walk found and nothing asked for: an unreadable one is an error in
        // the inventory, not a failed request.
        Collected {
            inventory,
            failed: false,
        }
    }
}
