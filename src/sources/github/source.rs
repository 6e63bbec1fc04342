//! The GitHub source behind the [`Source`] seam: the live crawl of the requested
//! organisations and the exports the walk found.

use crate::model::{Inventory, SourceKind};
use crate::sources::{Collected, Context, Source};

/// What to read from GitHub.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Crawl these organisations live.
    pub live: Option<super::LiveOptions>,
}

pub struct GithubSource<'a> {
    pub request: &'a Request,
}

impl Source for GithubSource<'_> {
    fn kind(&self) -> SourceKind {
        SourceKind::Github
    }

    fn collect(&self, ctx: &Context<'_>) -> Collected {
        let mut inventory = Inventory::default();
        let mut failed = false;
        if let Some(live) = &self.request.live {
            match super::crawl(live) {
                Ok((export, _)) => inventory.extend(super::normalize(&export)),
                Err(e) => {
                    inventory.errors.push(e);
                    failed = true;
                }
            }
        }
        for found in ctx.exports_of(SourceKind::Github) {
            let shown = ctx.names.shown(&found.path);
            match std::fs::read_to_string(&found.path) {
                Ok(text) => {
                    if let Some(export) = super::read_export(&text, &shown, &mut inventory.errors) {
                        inventory.extend(super::normalize(&export));
                    }
                }
                Err(e) => inventory
                    .errors
                    .push(SourceKind::Github.error(shown, format!("cannot read: {e}"))),
            }
        }
        // An endpoint GitHub refused or a page that never came leaves the picture partial.
        failed |= !inventory.errors.is_empty();
        Collected { inventory, failed }
    }
}
