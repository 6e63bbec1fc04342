use std::process::ExitCode;

use clap::Parser;
use nhi_audit::app::{self, UsageError, exit};
use nhi_audit::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match app::run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            #[allow(clippy::print_stderr, reason = "the CLI's last word")]
            {
                eprintln!("error: {e:#}");
            }
            if e.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(exit::USAGE)
            } else {
                ExitCode::from(exit::SOURCE_FAILED)
            }
        }
    }
}
