//! `nhi-audit scan`: the main job.

use super::{Error, Output, Result, exit};
use crate::cli::{FailOn, ScanArgs, Scope};
use crate::findings::{BASELINE_SCHEMA, Baseline};
use crate::pipeline::{self, ScanRequest};
use crate::report::term::Detail;
use crate::report::{self, Format, Report};
use crate::rules::Severity;

pub fn run(args: ScanArgs) -> Result<u8> {
    let rules = super::load_rules(&args.rule_dirs)?;
    let prepared = super::prepare(&args.source, Some(&rules))?;
    let baseline = match &args.baseline {
        Some(p) => Some(read_baseline(p)?),
        None => None,
    };
    // Both outputs are opened before the scan: a path that cannot be written fails now.
    let output = Output::open(args.output.as_deref(), "the report")?;
    let baseline_out = Output::open(args.write_baseline.as_deref(), "the baseline")?;
    let report = pipeline::scan(&ScanRequest {
        paths: prepared.paths.clone(),
        names: &prepared.names,
        aws: super::aws_request(&args.source),
        github: pipeline::GithubRequest {
            live: super::github_live(&args.source.github)?,
        },
        gcp: pipeline::GcpRequest {
            live: super::gcp_live(&args.source.gcp)?,
        },
        azure: pipeline::AzureRequest {
            live: super::azure_live(&args.source.azure)?,
        },
        activity: super::activity_request(&args.source),
        repo: super::repo_options(&args.source),
        config: &prepared.config,
        rules: &rules,
        scope_all: args.source.scope == Scope::All,
        baseline: baseline.as_ref(),
    });
    let detail = match (args.quiet, args.verbose) {
        (true, _) => Detail::Quiet,
        (_, true) => Detail::Verbose,
        _ => Detail::Normal,
    };
    let term = super::terminal(args.color, output.is_file(), detail);
    let to_terminal = !output.is_file() && args.format == Format::Table;
    output.write(&report::render(&report, args.format, &term))?;
    if args.write_baseline.is_some() {
        baseline_out.write(&baseline_text(&report)?)?;
    }
    diagnostics(&report, args.quiet, to_terminal);
    let code = exit_code(&report, args.fail_on, args.allow_partial);
    // The process ends here: freeing a large account's report piece by piece would only
    // cost time (a twentieth of the run on 12,000 principals). The memory goes back to
    // the system at exit.
    std::mem::forget(report);
    Ok(code)
}

/// Warnings and read errors on standard error, and, when the report went elsewhere
/// than the terminal, one line saying what it holds.
fn diagnostics(report: &Report, quiet: bool, to_terminal: bool) {
    if !quiet {
        for stale in &report.stale_ignores {
            eprintln!(
                "warning: stale ignore at {} ({}): {}",
                stale.location, stale.rule, stale.reason
            );
        }
        for w in &report.warnings {
            eprintln!("warning: {w}");
        }
    }
    if !quiet {
        super::print_errors(&report.inventory.warnings, "warning");
    }
    super::print_errors(&report.errors, "error");
    if !quiet && !to_terminal {
        eprintln!(
            "nhi-audit: {} agents, {} findings, {} suppressed, {} read errors",
            report.summary.agents,
            report.summary.findings,
            report.summary.suppressed,
            report.summary.errors
        );
    }
}

/// The findings that stand, plus those the old baseline accepted and that still occur:
/// refreshing a baseline keeps what it accepted and drops what was fixed.
fn baseline_text(report: &Report) -> Result<String> {
    let b = Baseline {
        schema: BASELINE_SCHEMA.into(),
        fingerprints: report
            .findings
            .iter()
            .chain(
                report
                    .suppressed
                    .iter()
                    .filter(|s| s.by == crate::model::SuppressedBy::Baseline)
                    .map(|s| &s.finding),
            )
            .map(|f| f.fingerprint.clone())
            .collect(),
    };
    Ok(serde_json::to_string_pretty(&b)? + "\n")
}

fn exit_code(report: &Report, fail_on: FailOn, allow_partial: bool) -> u8 {
    if report.partial && !allow_partial {
        return exit::SOURCE_FAILED;
    }
    let threshold = match fail_on {
        FailOn::None => return exit::OK,
        FailOn::Info => Severity::Info,
        FailOn::Low => Severity::Low,
        FailOn::Medium => Severity::Medium,
        FailOn::High => Severity::High,
        FailOn::Critical => Severity::Critical,
    };
    if report.findings.iter().any(|f| f.severity >= threshold) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

fn read_baseline(p: &std::path::Path) -> Result<Baseline> {
    let text = std::fs::read_to_string(p)
        .map_err(|e| Error::Usage(format!("cannot read the baseline {}: {e}", p.display())))?;
    let b: Baseline = serde_json::from_str(&text).map_err(|e| {
        Error::Usage(format!(
            "{}:{}:{}: not a baseline file ({})",
            p.display(),
            e.line(),
            e.column(),
            crate::doc::json_error_kind(&e)
        ))
    })?;
    if b.schema != BASELINE_SCHEMA {
        return Err(Error::Usage(format!(
            "{}: unknown baseline schema (expected {BASELINE_SCHEMA})",
            p.display(),
        )));
    }
    Ok(b)
}
