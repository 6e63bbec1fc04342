//! `nhi-audit diff`: what changed between two saved snapshots.

use super::{Error, Output, Result, exit};
use crate::cli::{DiffArgs, InventoryFormat};

pub fn run(args: DiffArgs) -> Result<u8> {
    let output = Output::open(args.output.as_deref(), "the diff")?;
    let read = |p: &std::path::Path| crate::diff::read_snapshot(p).map_err(Error::from);
    let (old, new) = (read(&args.old)?, read(&args.new)?);
    let d = crate::diff::diff(
        &old,
        &new,
        &args.old.display().to_string(),
        &args.new.display().to_string(),
    );
    let text = match args.format {
        InventoryFormat::Table => crate::diff::render_text(&d),
        InventoryFormat::Json => serde_json::to_string_pretty(&d)? + "\n",
    };
    output.write(&text)?;
    Ok(if d.has_creep() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
