//! The AWS source behind the [`Source`] seam: the live crawl, the exports given by flag,
//! and the exports the walk found (a GAAD with the credential report and key listing
//! beside it in the same folder), each account normalised into one fragment.

use std::path::PathBuf;

use super::{AwsInput, ExportKind, LiveOptions};
use crate::model::{Inventory, SourceError, SourceKind};
use crate::sources::repo::ScanRoots;
use crate::sources::{Collected, Context, Source};

/// What to read from AWS.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Crawl live.
    pub live: Option<LiveOptions>,
    /// Offline exports given by flag.
    pub gaad: Option<PathBuf>,
    pub credential_report: Option<PathBuf>,
    /// Tag keys marking agent principals; empty means the defaults. Read by the
    /// analysis that decides which principals are agents', not by the source.
    pub agent_tags: Vec<String>,
}

pub struct AwsSource<'a> {
    pub request: &'a Request,
}

impl Source for AwsSource<'_> {
    fn kind(&self) -> SourceKind {
        SourceKind::Aws
    }

    fn collect(&self, ctx: &Context<'_>) -> Collected {
        let mut inventory = Inventory::default();
        let (inputs, mut failed) = inputs(self.request, ctx, &mut inventory.errors);
        for input in &inputs {
            inventory.extend(super::normalize(input, ctx.judged));
        }
        // Anything the AWS source could not read leaves the account's picture incomplete
        // (a missing list, a malformed policy, a denied call): the results are partial.
        failed |= !inventory.errors.is_empty();
        Collected { inventory, failed }
    }
}

fn cannot_read(shown: String, e: &std::io::Error) -> SourceError {
    SourceKind::Aws.error(shown, format!("cannot read: {e}"))
}

/// The accounts to analyse, and whether a requested one could not be read.
fn inputs(
    req: &Request,
    ctx: &Context<'_>,
    errors: &mut Vec<SourceError>,
) -> (Vec<AwsInput>, bool) {
    let mut inputs = Vec::new();
    let mut failed = false;
    if let Some(live) = &req.live {
        let (input, errs) = super::live::crawl(live);
        failed |= input.is_none() || !errs.is_empty();
        errors.extend(errs);
        inputs.extend(input);
    }
    if let Some(path) = &req.gaad {
        let shown = ScanRoots::name_of_file(path);
        match super::read_gaad(path, &shown, errors) {
            Some(gaad) => {
                let mut input = AwsInput {
                    gaad,
                    origin: shown,
                    ..Default::default()
                };
                if let Some(cr) = &req.credential_report {
                    let shown = ScanRoots::name_of_file(cr);
                    match std::fs::read_to_string(cr) {
                        Ok(text) => {
                            input.credential_report =
                                super::read_credential_report(&text, &shown, errors)
                        }
                        Err(e) => {
                            errors.push(cannot_read(shown, &e));
                            failed = true;
                        }
                    }
                }
                inputs.push(input);
            }
            None => failed = true,
        }
    }
    let found: Vec<(&PathBuf, ExportKind)> = ctx
        .exports_of(SourceKind::Aws)
        .filter_map(|e| Some((&e.path, ExportKind::parse(e.kind)?)))
        .collect();
    for (path, _) in found.iter().filter(|(_, k)| *k == ExportKind::Gaad) {
        let shown = ctx.names.shown(path);
        let Some(gaad) = super::read_gaad(path, &shown, errors) else {
            continue;
        };
        let mut input = AwsInput {
            gaad,
            origin: shown,
            ..Default::default()
        };
        for (other, other_kind) in found.iter().filter(|(p, _)| p.parent() == path.parent()) {
            let shown = ctx.names.shown(other);
            let text = match std::fs::read_to_string(other) {
                Ok(text) => text,
                Err(e) => {
                    errors.push(cannot_read(shown, &e));
                    continue;
                }
            };
            match other_kind {
                ExportKind::CredentialReport => {
                    input.credential_report = super::read_credential_report(&text, &shown, errors)
                }
                ExportKind::AccessKeys => {
                    input.access_keys = super::read_access_keys(&text, &shown, errors)
                }
                ExportKind::LastAccessed => {
                    input.last_accessed = super::read_last_accessed(&text, &shown, errors)
                }
                ExportKind::Gaad => {}
            }
        }
        inputs.push(input);
    }
    (inputs, failed)
}
