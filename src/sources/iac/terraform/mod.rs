//! Terraform: `.tf` configurations, read a module (a folder) at a time, and the JSON of
//! `terraform show -json` for a plan or a state.
//!
//! Both become [`Resource`]s: a type, a name, the values of its arguments and where it
//! is written. A `.tf` file's values are evaluated as far as they are literal (locals,
//! variable defaults, `jsonencode`, `aws_iam_policy_document` data sources, other
//! resources' names and ARNs); what is known only at apply is kept as the expression
//! written (`${aws_s3_bucket.logs.arn}`) and marked, never guessed. A plan's values are
//! resolved already, except those it lists as known after apply.
//!
//! The resources of each cloud are then handed to that cloud's normaliser in the shape
//! its exports have (`aws.rs`), so a role here is judged exactly as the same role in an
//! account's export.

mod aws;
mod azure;
mod gcp;
mod github;
mod hcl;
mod plan;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::model::{Inventory, Location, SourceKind};
use crate::sources::{Context, FoundExport};

/// Whether a resource is managed or read (`data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    Managed,
    Data,
}

/// One resource (or data source) as configured or planned.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub mode: Mode,
    /// `aws_iam_role`.
    pub kind: String,
    /// Its name in the module (`agent`).
    pub name: String,
    /// Its address (`module.agents.aws_iam_role.agent`, `aws_iam_role.agent[0]`).
    pub address: String,
    /// Its arguments, nested blocks as lists of objects (as a plan writes them).
    pub values: Map<String, Value>,
    /// Arguments whose values are known only at apply, written as `${expression}`
    /// where they appear in `values`, or left out when nothing of them is known.
    pub unknown: BTreeSet<String>,
    /// Where it is written: the block in a `.tf` file, the address in a plan.
    pub location: Location,
    /// Where each argument is written, in a `.tf` file (a plan has no such places).
    pub arguments: BTreeMap<String, Location>,
}

impl Resource {
    pub fn str(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(Value::as_str)
    }

    /// A list of strings (a single string counts as one).
    pub fn strs(&self, key: &str) -> Vec<String> {
        match self.values.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// The nested blocks called `key` (`inline_policy`, `statement`).
    pub fn blocks(&self, key: &str) -> impl Iterator<Item = &Map<String, Value>> {
        self.values
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
    }

    /// A map of strings (`tags`).
    pub fn string_map(&self, key: &str) -> BTreeMap<String, String> {
        self.values
            .get(key)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect()
    }

    /// `address` at `location`, for messages.
    pub fn at(&self) -> String {
        format!("{} ({})", self.address, self.location)
    }
}

/// Whether a written value holds an expression known only at apply.
pub fn is_placeholder(s: &str) -> bool {
    s.contains("${")
}

/// Whether `text` is `terraform show -json` output (a plan or a state).
pub fn is_terraform_json(text: &str) -> bool {
    let Some(keys) = crate::doc::json_top_level_keys(crate::sources::head(text)) else {
        return false;
    };
    let has = |k: &str| keys.iter().any(|(name, _)| name == k);
    has("format_version")
        && (has("terraform_version")
            || has("planned_values")
            || has("resource_changes")
            || has("values"))
}

/// Reads every module (a folder of `.tf` files) and every plan or state found.
pub fn collect(ctx: &Context<'_>, configs: &[&FoundExport], plans: &[&FoundExport]) -> Inventory {
    let mut inventory = Inventory::default();
    let mut modules: BTreeMap<&std::path::Path, Vec<&FoundExport>> = BTreeMap::new();
    for config in configs {
        let dir = config.path.parent().unwrap_or(std::path::Path::new(""));
        modules.entry(dir).or_default().push(config);
    }
    for files in modules.values() {
        let mut texts = Vec::new();
        for file in files {
            let shown = ctx.names.shown(&file.path);
            match std::fs::read_to_string(&file.path) {
                Ok(text) => texts.push((shown, text)),
                Err(e) => inventory
                    .errors
                    .push(SourceKind::Iac.error(shown, format!("cannot read: {e}"))),
            }
        }
        let dir = files.first().and_then(|f| f.path.parent());
        inventory.extend(judge_module(&texts, ctx, dir));
    }
    for file in plans {
        let shown = ctx.names.shown(&file.path);
        let text = match std::fs::read_to_string(&file.path) {
            Ok(text) => text,
            Err(e) => {
                inventory
                    .errors
                    .push(SourceKind::Iac.error(shown, format!("cannot read: {e}")));
                continue;
            }
        };
        if let Some(resources) = plan::read(&text, &shown, &mut inventory.errors) {
            inventory.extend(judge(&resources, &shown, ctx, None));
        }
    }
    inventory
}

/// The inventory of one module: its `.tf` files as `(shown path, text)`, evaluated and
/// judged; what could not be read is in its errors. `module_dir` is the folder on disk
/// `file()` may read from: `None` for a version read from git history, which never
/// reads the working tree.
pub fn judge_module(
    files: &[(String, String)],
    ctx: &Context<'_>,
    module_dir: Option<&std::path::Path>,
) -> Inventory {
    let mut inventory = Inventory::default();
    let module = hcl::read_module(files, &mut inventory.errors, &mut inventory.warnings);
    let origin = files.first().map(|(s, _)| s.as_str()).unwrap_or_default();
    inventory.extend(judge(&module, origin, ctx, module_dir));
    inventory
}

/// The inventory of one module's or plan's resources: each cloud's through its source's
/// normaliser. `module_dir` is the module's folder (a plan has none), which `file()`
/// may read from.
fn judge(
    resources: &[Resource],
    origin: &str,
    ctx: &Context<'_>,
    module_dir: Option<&std::path::Path>,
) -> Inventory {
    let mut inventory = Inventory::default();
    if resources.iter().any(|r| r.kind.starts_with("aws_")) {
        inventory.extend(aws::judge(resources, origin, ctx));
    }
    if resources.iter().any(|r| r.kind.starts_with("google_")) {
        inventory.extend(gcp::judge(resources));
    }
    if resources
        .iter()
        .any(|r| r.kind.starts_with("azuread_") || r.kind.starts_with("azurerm_"))
    {
        inventory.extend(azure::judge(resources));
    }
    if resources.iter().any(|r| r.kind.starts_with("github_")) {
        inventory.extend(github::judge(resources, module_dir));
    }
    inventory
}

/// What a module's provider blocks pin, which its resources inherit.
#[derive(Debug, Clone, Default)]
pub struct Providers {
    /// The account the AWS provider is pinned to (`allowed_account_ids`), when one.
    pub aws_account: Option<String>,
    /// The organisation the GitHub provider manages (`owner`), when written literally.
    pub github_owner: Option<String>,
}

/// Adds the identifiers a provider derives from a managed resource's arguments (an ARN
/// from a role's name, an email from an account id), unless they are given.
pub fn derive(kind: &str, address: &str, attrs: &mut Map<String, Value>, providers: &Providers) {
    aws::derive(kind, address, attrs, providers.aws_account.as_deref());
    gcp::derive(kind, address, attrs);
    azure::derive(kind, address, attrs);
    github::derive(kind, attrs, providers.github_owner.as_deref());
}

/// Moves what a normaliser located at a cloud URI to the resource defining it, and makes
/// what it could not read the infrastructure code's.
pub fn locate(inventory: &mut Inventory, places: &std::collections::HashMap<String, Location>) {
    let at = |loc: &mut Location| {
        if let Location::Uri { uri } = loc
            && let Some(place) = places.get(uri.as_str())
        {
            *loc = place.clone();
        }
    };
    for i in &mut inventory.identities {
        i.locations.iter_mut().for_each(at);
    }
    for c in &mut inventory.credentials {
        c.locations.iter_mut().for_each(at);
        if c.key_id.as_deref().is_some_and(is_placeholder) {
            // Known after apply: no key id joins it to anything yet.
            c.key_id = None;
        }
    }
    for g in &mut inventory.grants {
        g.location.iter_mut().for_each(at);
    }
    for e in &mut inventory.edges {
        e.location.iter_mut().for_each(at);
    }
    for e in inventory
        .errors
        .iter_mut()
        .chain(inventory.warnings.iter_mut())
    {
        e.source = SourceKind::Iac;
    }
}
