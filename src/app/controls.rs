//! `nhi-audit controls`: the control catalogues findings map to.

use super::{Output, Result, exit};
use crate::cli::ControlsArgs;
use crate::controls::CATALOGUES;

/// `--framework` is checked by the argument parser against the catalogue keys (an
/// unknown key lists the valid ones).
pub fn run(args: ControlsArgs) -> Result<u8> {
    let chosen = CATALOGUES
        .iter()
        .filter(|c| args.framework.as_deref().is_none_or(|f| f == c.key));
    Output::stdout().write(&crate::report::text::catalogues(chosen))?;
    Ok(exit::OK)
}
