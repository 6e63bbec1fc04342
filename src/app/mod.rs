//! The commands: turn parsed arguments into pipeline calls, write output, pick the exit
//! code. One file per command; what they share (paths, config, output, terminal,
//! diagnostics) is here.
//!
//! The CLI layer is the one place that prints; everything below it returns what to say.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod controls;
mod diff;
mod error;
mod export;
mod graph;
mod inventory;
mod rules;
mod scan;
mod suggest;

use std::io::{IsTerminal, Seek, Write};
use std::path::{Path, PathBuf};

use crate::cli::{AzureArgs, ColorChoice, Command, ExportCommand, GcpArgs, GithubArgs, SourceArgs};
use crate::config::{Config, ConfigLoadError};
use crate::model::SourceError;
use crate::pipeline;
use crate::report::term::{DEFAULT_WIDTH, Detail, Term};
use crate::rules::Rule;
use crate::sources::repo::{RepoOptions, ScanRoots};

pub use error::{Error, Result, exit};

pub fn run(command: Command) -> Result<u8> {
    match command {
        Command::Scan(args) => scan::run(args),
        Command::Inventory(args) => inventory::run(args),
        Command::Rules(cmd) => rules::run(cmd),
        Command::Controls(args) => controls::run(args),
        Command::Schema => {
            Output::stdout().write(&crate::report::json::schema())?;
            Ok(exit::OK)
        }
        Command::Export(ExportCommand::Aws {
            output,
            aws_profile,
            aws_region,
            aws_endpoint_url,
            aws_last_accessed,
        }) => export::aws(
            &output,
            aws_profile,
            aws_region,
            aws_endpoint_url,
            aws_last_accessed,
        ),
        Command::Export(ExportCommand::Github { output, github }) => {
            export::github(&output, &github)
        }
        Command::Export(ExportCommand::Gcp { output, gcp }) => export::gcp(&output, &gcp),
        Command::Export(ExportCommand::Azure { output, azure }) => export::azure(&output, &azure),
        Command::Graph(args) => graph::run(args),
        Command::Diff(args) => diff::run(args),
        Command::SuggestPolicy(args) => suggest::run(args),
    }
}

/// Where a command writes: standard output, or a file opened (and so checked) before any
/// work is done, so that a mistyped `--output` fails in a second, not after the scan.
pub struct Output {
    file: Option<(PathBuf, std::fs::File)>,
}

impl Output {
    pub fn stdout() -> Self {
        Output { file: None }
    }

    /// Opens `path` for writing without truncating it yet (an earlier report stays until
    /// the new one is ready); `None` is standard output.
    pub fn open(path: Option<&Path>, what: &str) -> Result<Self> {
        let Some(path) = path else {
            return Ok(Output::stdout());
        };
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map(|f| Output {
                file: Some((path.to_path_buf(), f)),
            })
            .map_err(|e| Error::output(format!("{what} to {}", path.display()), e))
    }

    pub fn is_file(&self) -> bool {
        self.file.is_some()
    }

    pub fn write(self, text: &str) -> Result<()> {
        match self.file {
            Some((path, mut f)) => f
                .set_len(0)
                .and_then(|()| f.rewind())
                .and_then(|()| f.write_all(text.as_bytes()))
                .and_then(|()| f.flush())
                .map_err(|e| Error::output(path.display().to_string(), e)),
            None => {
                let mut out = std::io::stdout().lock();
                match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                    // A closed pipe (`| head`) is not an error of ours.
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                    Err(e) => Err(Error::output("to standard output", e)),
                    Ok(()) => Ok(()),
                }
            }
        }
    }
}

/// The paths to scan: those given, or `.` when no source at all is named.
fn paths_of(source: &SourceArgs) -> Vec<PathBuf> {
    let other = source.aws
        || source.aws_gaad.is_some()
        || !source.github.orgs.is_empty()
        || !source.gcp.organizations.is_empty()
        || !source.gcp.projects.is_empty()
        || source.azure.tenant.is_some();
    if source.paths.is_empty() && !other {
        vec![PathBuf::from(".")]
    } else {
        source.paths.clone()
    }
}

/// What every command that reads sources starts from: the paths (each checked to
/// exist), how files under them are named, and the configuration.
struct Prepared {
    paths: Vec<PathBuf>,
    names: ScanRoots,
    config: Config,
}

/// Checks the paths and loads the config. `rules` (when judging) are checked against
/// the rule ids the config names.
fn prepare(source: &SourceArgs, rules: Option<&[Rule]>) -> Result<Prepared> {
    let paths = paths_of(source);
    for p in &paths {
        // A path that is not there is a typo, not a source that failed: exit 2, before
        // any work. One that exists but cannot be read is reported by the walk.
        if let Err(e) = std::fs::symlink_metadata(p)
            && e.kind() == std::io::ErrorKind::NotFound
        {
            return Err(Error::Usage(format!(
                "{}: no such file or folder to scan",
                p.display()
            )));
        }
    }
    let names = ScanRoots::new(&paths);
    let config = load_config(source, &paths, &names)?;
    if let Some(rules) = rules {
        let errs = config.unknown_rule_ids(|id| rules.iter().any(|r| r.id == id));
        if !errs.is_empty() {
            return Err(Error::invalid(errs));
        }
    }
    Ok(Prepared {
        paths,
        names,
        config,
    })
}

fn load_config(source: &SourceArgs, paths: &[PathBuf], names: &ScanRoots) -> Result<Config> {
    let path = match &source.config {
        Some(p) => p.clone(),
        None => match paths.first().map(|p| p.join(".nhi-audit.yaml")) {
            Some(p) if p.is_file() => p,
            _ => return Ok(Config::default()),
        },
    };
    let shown = names.shown(&path);
    let mut config = Config::load(&path, &shown).map_err(|e| match e {
        ConfigLoadError::Read { .. } => Error::Usage(e.to_string()),
        ConfigLoadError::Invalid(errs) => Error::invalid(errs),
    })?;
    let prefix = config.dir.as_deref().and_then(|d| names.shown_prefix_of(d));
    config.rebase(prefix.as_deref());
    Ok(config)
}

fn load_rules(dirs: &[PathBuf]) -> Result<Vec<Rule>> {
    let mut all = crate::rules::builtin_rules().map_err(Error::invalid)?;
    for d in dirs {
        all.extend(crate::rules::load_dir(d).map_err(Error::invalid)?);
    }
    let mut ids = std::collections::BTreeSet::new();
    for r in &all {
        if !ids.insert(r.id.clone()) {
            return Err(Error::Usage(format!(
                "{}: rule id {} is defined twice",
                r.origin, r.id
            )));
        }
    }
    Ok(all)
}

/// Progress bars only on a terminal, never in CI logs.
fn show_progress() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

fn aws_request(source: &SourceArgs) -> pipeline::AwsRequest {
    pipeline::AwsRequest {
        live: source.aws.then(|| crate::sources::aws::LiveOptions {
            profile: source.aws_profile.clone(),
            region: source.aws_region.clone(),
            endpoint_url: source.aws_endpoint_url.clone(),
            concurrency: crate::sources::aws::live::DEFAULT_CONCURRENCY,
            progress: show_progress(),
            last_accessed: source.aws_last_accessed,
        }),
        gaad: source.aws_gaad.clone(),
        credential_report: source.aws_credential_report.clone(),
        agent_tags: source.agent_tags.clone(),
    }
}

/// The live GitHub crawl, when organisations are named; the token is read from the
/// environment variable named by `--github-token-env`.
fn github_live(args: &GithubArgs) -> Result<Option<crate::sources::github::LiveOptions>> {
    if args.orgs.is_empty() {
        return Ok(None);
    }
    let token = match std::env::var(&args.github_token_env) {
        Ok(t) if !t.trim().is_empty() => t.trim().to_string(),
        _ => {
            return Err(Error::Usage(format!(
                "--github-org needs a token: set {} (or name another variable with --github-token-env)",
                args.github_token_env
            )));
        }
    };
    Ok(Some(crate::sources::github::LiveOptions {
        api_url: args.github_api_url.clone(),
        token: Some(token.into()),
        orgs: args.orgs.clone(),
        concurrency: args.github_concurrency.max(1),
        // Rate-limit waits are shown either way: on the bar, or as a few lines in a log.
        progress: if show_progress() {
            crate::sources::github::Progress::Bar
        } else {
            crate::sources::github::Progress::Lines
        },
        retry: crate::sources::github::RetryPolicy {
            max_wait: args.max_wait,
            ..Default::default()
        },
        limits: crate::sources::github::Limits {
            http_timeout: args.http_timeout,
            ..Default::default()
        },
        audit_log: args
            .github_audit_log
            .then_some(crate::sources::github::AuditLogOptions {
                days: args.github_audit_log_window,
                max_pages: args.github_audit_log_max_pages.max(1),
            }),
    }))
}

/// The live Google Cloud crawl, when organisations or projects are named.
fn gcp_live(args: &GcpArgs) -> Result<Option<crate::sources::gcp::live::LiveOptions>> {
    if args.organizations.is_empty() && args.projects.is_empty() {
        return Ok(None);
    }
    let token = match &args.gcp_access_token_env {
        None => None,
        Some(name) => match std::env::var(name) {
            Ok(t) if !t.trim().is_empty() => Some(t.trim().to_string().into()),
            _ => {
                return Err(Error::Usage(format!(
                    "--gcp-access-token-env {name}: the variable is not set or empty"
                )));
            }
        },
    };
    let mut endpoints = crate::sources::gcp::live::Endpoints::default();
    for spec in &args.endpoints {
        endpoints.set(spec).map_err(Error::Usage)?;
    }
    Ok(Some(crate::sources::gcp::live::LiveOptions {
        organizations: args.organizations.clone(),
        projects: args.projects.clone(),
        token,
        endpoints,
        limits: crate::sources::rest::Limits {
            concurrency: args.gcp_concurrency.max(1),
            http_timeout: args.gcp_http_timeout,
            ..Default::default()
        },
    }))
}

/// A token from the environment variable `name`, for `flag`.
fn token_from_env(flag: &str, name: &str) -> Result<octocrab::secrecy::SecretString> {
    match std::env::var(name) {
        Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_string().into()),
        _ => Err(Error::Usage(format!(
            "{flag} {name}: the variable is not set or empty"
        ))),
    }
}

/// The live Entra ID and Azure crawl, when a tenant is named.
fn azure_live(args: &AzureArgs) -> Result<Option<crate::sources::azure::live::LiveOptions>> {
    use crate::sources::azure::live;
    let Some(tenant) = &args.tenant else {
        if !args.subscriptions.is_empty() {
            return Err(Error::Usage(
                "--azure-subscription needs --azure-tenant (the subscriptions' directory)".into(),
            ));
        }
        return Ok(None);
    };
    let tokens = live::MintedTokens {
        graph: args
            .azure_access_token_env
            .as_deref()
            .map(|n| token_from_env("--azure-access-token-env", n))
            .transpose()?,
        arm: args
            .azure_arm_token_env
            .as_deref()
            .map(|n| token_from_env("--azure-arm-token-env", n))
            .transpose()?,
    };
    let cloud = live::Cloud::parse(&args.azure_cloud).map_err(Error::Usage)?;
    let mut endpoints = live::Endpoints::of(cloud);
    for spec in &args.azure_endpoints {
        endpoints.set(spec).map_err(Error::Usage)?;
    }
    Ok(Some(live::LiveOptions {
        tenant: tenant.trim().to_string(),
        subscriptions: args.subscriptions.clone(),
        tokens,
        cloud,
        endpoints,
        limits: crate::sources::rest::Limits {
            concurrency: args.azure_concurrency.max(1),
            http_timeout: args.azure_http_timeout,
            ..Default::default()
        },
    }))
}

fn activity_request(source: &SourceArgs) -> pipeline::ActivityRequest {
    pipeline::ActivityRequest {
        paths: source.activity.clone(),
        window_days: source.activity_window,
    }
}

fn repo_options(source: &SourceArgs) -> RepoOptions {
    RepoOptions {
        respect_gitignore: source.respect_gitignore,
        max_file_size: source.max_file_size,
        threads: source.threads,
        progress: show_progress(),
        follow_links_out: source.follow_links_out,
        history: source
            .history
            .then_some(crate::sources::repo::history::HistoryOptions {
                depth: source.history_depth,
                max_file_size: source.max_file_size,
                timeout: std::time::Duration::from_secs(source.history_timeout),
            }),
    }
}

/// Collects and analyses without judging: what `inventory` and `graph` show.
fn inventory_report(source: &SourceArgs) -> Result<crate::report::Report> {
    let prepared = prepare(source, None)?;
    Ok(pipeline::scan(&pipeline::ScanRequest {
        paths: prepared.paths.clone(),
        names: &prepared.names,
        aws: aws_request(source),
        github: pipeline::GithubRequest {
            live: github_live(&source.github)?,
        },
        gcp: pipeline::GcpRequest {
            live: gcp_live(&source.gcp)?,
        },
        azure: pipeline::AzureRequest {
            live: azure_live(&source.azure)?,
        },
        activity: activity_request(source),
        repo: repo_options(source),
        config: &prepared.config,
        rules: &[],
        scope_all: true,
        baseline: None,
    }))
}

/// The terminal the table is written for: `COLUMNS`, else the terminal's width, else
/// [`DEFAULT_WIDTH`]; colour by `--color`, then `NO_COLOR`, `CLICOLOR_FORCE`,
/// `CLICOLOR` and whether standard output is a terminal.
fn terminal(choice: ColorChoice, to_file: bool, detail: Detail) -> Term {
    let tty = !to_file && std::io::stdout().is_terminal();
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w > 0)
        .or_else(|| {
            tty.then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
                .flatten()
        })
        .unwrap_or(DEFAULT_WIDTH);
    let env_set = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if to_file || env_set("NO_COLOR").is_some() => false,
        ColorChoice::Auto if env_set("CLICOLOR_FORCE").is_some_and(|v| v != "0") => true,
        ColorChoice::Auto if env_set("CLICOLOR").is_some_and(|v| v == "0") => false,
        ColorChoice::Auto => tty && env_set("TERM").is_none_or(|t| t != "dumb"),
    };
    Term {
        width,
        color,
        detail,
    }
}

/// How many read errors are printed on standard error; the report holds them all.
const SHOWN_ERRORS: usize = 20;

/// Read errors, on standard error, one per line (the first [`SHOWN_ERRORS`]).
fn print_errors(errors: &[SourceError], level: &str) {
    for e in errors.iter().take(SHOWN_ERRORS) {
        eprintln!("{level}: {}: {}", e.location, e.message);
    }
    if errors.len() > SHOWN_ERRORS {
        eprintln!(
            "{level}: … and {} more (all of them are in the report's errors[])",
            errors.len() - SHOWN_ERRORS
        );
    }
}
