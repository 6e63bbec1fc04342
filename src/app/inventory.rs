//! `nhi-audit inventory`: who holds what, without judging.

use super::{Output, Result, exit};
use crate::cli::{InventoryArgs, InventoryFormat, Scope};
use crate::report::term::Detail;

pub fn run(args: InventoryArgs) -> Result<u8> {
    let output = Output::open(args.output.as_deref(), "the inventory")?;
    let mut report = super::inventory_report(&args.source)?;
    if args.source.scope == Scope::Agents {
        report.inventory = crate::analysis::agent_scope(&report.inventory);
    }
    let text = match args.format {
        InventoryFormat::Table => {
            let term = super::terminal(
                crate::cli::ColorChoice::Auto,
                output.is_file(),
                Detail::Normal,
            );
            crate::report::table::render_inventory(&report, &term)
        }
        InventoryFormat::Json => {
            let v = serde_json::json!({ "schema": "nhi-audit/inventory/v1", "inventory": report.inventory, "errors": report.errors });
            serde_json::to_string_pretty(&v)? + "\n"
        }
    };
    output.write(&text)?;
    super::print_errors(&report.errors, "error");
    Ok(if report.partial {
        exit::SOURCE_FAILED
    } else {
        exit::OK
    })
}
