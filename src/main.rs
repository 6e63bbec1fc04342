use std::process::ExitCode;

use clap::Parser;
use nhi_audit::app;
use nhi_audit::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match app::run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            #[allow(clippy::print_stderr, reason = "the CLI's last word")]
            {
                eprintln!("error: {e}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}
