//! The commands: turn parsed arguments into pipeline calls, write output, pick the exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cli::{
    ColorChoice, Command, ControlsArgs, DiffArgs, ExportCommand, FailOn, GithubArgs, GraphArgs,
    GraphFormat, InventoryArgs, InventoryFormat, RulesCommand, ScanArgs, Scope, SourceArgs,
};
use crate::config::Config;
use crate::controls::CATALOGUES;
use crate::findings::{BASELINE_SCHEMA, Baseline};
use crate::pipeline::{self, ScanRequest};
use crate::report::{self, Format, Report};
use crate::rules::{self, Rule, Severity};
use crate::sources::repo::RepoOptions;

/// Process exit codes (DESIGN §5).
pub mod exit {
    pub const OK: u8 = 0;
    pub const FINDINGS: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const SOURCE_FAILED: u8 = 3;
}

/// A usage, config or rule error: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn run(command: Command) -> Result<u8> {
    match command {
        Command::Scan(args) => scan(args),
        Command::Inventory(args) => inventory(args),
        Command::Rules(cmd) => rules_cmd(cmd),
        Command::Controls(args) => controls(args),
        Command::Schema => {
            write_out(None, &report::json::schema())?;
            Ok(exit::OK)
        }
        Command::Export(ExportCommand::Aws {
            output,
            aws_profile,
            aws_region,
            aws_endpoint_url,
        }) => export_aws(&output, aws_profile, aws_region, aws_endpoint_url),
        Command::Export(ExportCommand::Github { output, github }) => {
            export_github(&output, &github)
        }
        Command::Graph(args) => graph(args),
        Command::Diff(args) => diff(args),
    }
}

fn paths_of(source: &SourceArgs) -> Vec<PathBuf> {
    let aws_only = source.aws || source.aws_gaad.is_some() || !source.github.orgs.is_empty();
    if source.paths.is_empty() && !aws_only {
        vec![PathBuf::from(".")]
    } else {
        source.paths.clone()
    }
}

fn aws_request(source: &SourceArgs) -> pipeline::AwsRequest {
    pipeline::AwsRequest {
        live: source.aws.then(|| crate::sources::aws::LiveOptions {
            profile: source.aws_profile.clone(),
            region: source.aws_region.clone(),
            endpoint_url: source.aws_endpoint_url.clone(),
            concurrency: 8,
            progress: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
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
            return Err(UsageError(format!(
                "--github-org needs a token: set {} (or name another variable with --github-token-env)",
                args.github_token_env
            ))
            .into());
        }
    };
    Ok(Some(crate::sources::github::LiveOptions {
        api_url: args.github_api_url.clone(),
        token: Some(token.into()),
        orgs: args.orgs.clone(),
        concurrency: args.github_concurrency.max(1),
        progress: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
        retry: Default::default(),
    }))
}

fn github_request(source: &SourceArgs) -> Result<pipeline::GithubRequest> {
    Ok(pipeline::GithubRequest {
        live: github_live(&source.github)?,
    })
}

fn repo_options(source: &SourceArgs) -> RepoOptions {
    RepoOptions {
        respect_gitignore: source.respect_gitignore,
        max_file_size: source.max_file_size,
        threads: source.threads,
        progress: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
        history: source
            .history
            .then_some(crate::sources::repo::history::HistoryOptions {
                depth: source.history_depth,
                max_file_size: source.max_file_size,
            }),
    }
}

fn load_config(source: &SourceArgs) -> Result<Config> {
    let path = match &source.config {
        Some(p) => Some(p.clone()),
        None => paths_of(source)
            .first()
            .map(|p| p.join(".nhi-audit.yaml"))
            .filter(|p| p.is_file()),
    };
    match path {
        Some(p) => Config::load(&p).map_err(usage_errors),
        None => Ok(Config::default()),
    }
}

fn load_rules(dirs: &[PathBuf]) -> Result<Vec<Rule>> {
    let mut all = rules::builtin_rules().map_err(usage_errors)?;
    for d in dirs {
        all.extend(rules::load_dir(d).map_err(usage_errors)?);
    }
    let mut ids = std::collections::BTreeSet::new();
    for r in &all {
        if !ids.insert(r.id.clone()) {
            return Err(
                UsageError(format!("{}: rule id {} is defined twice", r.origin, r.id)).into(),
            );
        }
    }
    Ok(all)
}

/// Config and rule errors, one per line, as a usage error (exit code 2).
fn usage_errors<E: ToString>(errs: Vec<E>) -> anyhow::Error {
    UsageError(
        errs.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .into()
}

fn scan(args: ScanArgs) -> Result<u8> {
    let config = load_config(&args.source)?;
    let rules = load_rules(&args.rule_dirs)?;
    let baseline = match &args.baseline {
        Some(p) => Some(read_baseline(p)?),
        None => None,
    };
    let report = pipeline::scan(&ScanRequest {
        paths: paths_of(&args.source),
        aws: aws_request(&args.source),
        github: github_request(&args.source)?,
        repo: repo_options(&args.source),
        config: &config,
        rules: &rules,
        scope_all: args.source.scope == Scope::All,
        baseline: baseline.as_ref(),
    });
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    write_out(
        args.output.as_deref(),
        &report::render(&report, args.format, color),
    )?;
    if let Some(p) = &args.write_baseline {
        let b = Baseline {
            schema: BASELINE_SCHEMA.into(),
            fingerprints: report
                .findings
                .iter()
                .map(|f| f.fingerprint.clone())
                .collect(),
        };
        let text = serde_json::to_string_pretty(&b).context("serialising the baseline")?;
        std::fs::write(p, text + "\n")
            .with_context(|| format!("cannot write the baseline {}", p.display()))?;
    }
    if args.output.is_some() || args.format != Format::Table {
        // Keep the terminal informed when the report goes elsewhere.
        eprintln!("{}", one_line_summary(&report));
    }
    Ok(exit_code(&report, args.fail_on, args.allow_partial))
}

fn one_line_summary(r: &Report) -> String {
    format!(
        "nhi-audit: {} agents, {} findings, {} suppressed, {} read errors",
        r.summary.agents, r.summary.findings, r.summary.suppressed, r.summary.errors
    )
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

fn read_baseline(p: &Path) -> Result<Baseline> {
    let text = std::fs::read_to_string(p)
        .map_err(|e| UsageError(format!("cannot read the baseline {}: {e}", p.display())))?;
    let b: Baseline = serde_json::from_str(&text).map_err(|e| {
        UsageError(format!(
            "{}:{}: not a baseline file: {e}",
            p.display(),
            e.line()
        ))
    })?;
    if b.schema != BASELINE_SCHEMA {
        return Err(UsageError(format!(
            "{}: unknown baseline schema `{}` (expected {BASELINE_SCHEMA})",
            p.display(),
            b.schema
        ))
        .into());
    }
    Ok(b)
}

/// Collects and analyses without judging: what `inventory` and `graph` show.
fn inventory_report(source: &SourceArgs) -> Result<Report> {
    let config = load_config(source)?;
    Ok(pipeline::scan(&ScanRequest {
        paths: paths_of(source),
        aws: aws_request(source),
        github: github_request(source)?,
        repo: repo_options(source),
        config: &config,
        rules: &[],
        scope_all: true,
        baseline: None,
    }))
}

fn inventory(args: InventoryArgs) -> Result<u8> {
    let report = inventory_report(&args.source)?;
    let text = match args.format {
        InventoryFormat::Table => report::table::render_inventory(&report),
        InventoryFormat::Json => {
            let v = serde_json::json!({ "schema": "nhi-audit/inventory/v1", "inventory": report.inventory, "errors": report.errors });
            serde_json::to_string_pretty(&v).context("serialising the inventory")? + "\n"
        }
    };
    write_out(args.output.as_deref(), &text)?;
    Ok(if report.partial {
        exit::SOURCE_FAILED
    } else {
        exit::OK
    })
}

fn rules_cmd(cmd: RulesCommand) -> Result<u8> {
    match cmd {
        RulesCommand::List { rule_dirs } => {
            let rules = load_rules(&rule_dirs)?;
            let mut t = comfy_table::Table::new();
            t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
            t.set_header(vec!["Id", "Severity", "Category", "Subject", "Title"]);
            for r in &rules {
                t.add_row(vec![
                    r.id.as_str(),
                    r.severity.as_str(),
                    r.category.as_str(),
                    r.subject.as_str(),
                    r.title.as_str(),
                ]);
            }
            write_out(None, &format!("{t}\n{} rules\n", rules.len()))?;
            Ok(exit::OK)
        }
        RulesCommand::Show { id, rule_dirs } => {
            let rules = load_rules(&rule_dirs)?;
            let Some(r) = rules
                .iter()
                .find(|r| r.id.eq_ignore_ascii_case(&id) || r.name == id)
            else {
                bail!(UsageError(format!(
                    "no rule {id}; `nhi-audit rules list` shows them"
                )));
            };
            let mut s = format!(
                "{} {} ({})\n{}\n\nSeverity: {}  Confidence: {:?}  Category: {}  Subject: {}\n",
                r.id,
                r.name,
                r.origin,
                r.title,
                r.severity.as_str(),
                r.confidence,
                r.category,
                r.subject.as_str()
            );
            if !r.description.is_empty() {
                s.push_str(&format!("\n{}\n", r.description));
            }
            s.push_str(&format!(
                "\nCondition (CEL):\n  {}\n\nRemediation:\n  {}\n\nControls:\n",
                r.when, r.remediation
            ));
            for (k, ids) in &r.controls {
                let cat = crate::controls::catalogue(k);
                for i in ids {
                    s.push_str(&format!(
                        "  {} {i}: {}\n",
                        cat.map_or(k.as_str(), |c| c.title),
                        cat.and_then(|c| c.title_of(i)).unwrap_or("")
                    ));
                }
            }
            write_out(None, &s)?;
            Ok(exit::OK)
        }
        RulesCommand::Check { dir } => {
            let rules = rules::load_dir(&dir).map_err(usage_errors)?;
            let failures = pipeline::check_examples(&rules, Path::new(""));
            if failures.is_empty() {
                write_out(
                    None,
                    &format!(
                        "{} rule(s) in {} are valid and their examples behave.\n",
                        rules.len(),
                        dir.display()
                    ),
                )?;
                Ok(exit::OK)
            } else {
                Err(UsageError(failures.join("\n")).into())
            }
        }
    }
}

fn export_aws(
    output: &Path,
    profile: Option<String>,
    region: Option<String>,
    endpoint_url: Option<String>,
) -> Result<u8> {
    let opts = crate::sources::aws::LiveOptions {
        profile,
        region,
        endpoint_url,
        concurrency: crate::sources::aws::live::DEFAULT_CONCURRENCY,
        progress: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
    };
    let (input, errors) = crate::sources::aws::live::crawl(&opts);
    for e in &errors {
        eprintln!("error: {}: {}", e.location, e.message);
    }
    let Some(input) = input else {
        return Ok(exit::SOURCE_FAILED);
    };
    std::fs::create_dir_all(output)
        .with_context(|| format!("cannot create {}", output.display()))?;
    let files = crate::sources::aws::live::export(&input, output)
        .with_context(|| format!("cannot write into {}", output.display()))?;
    for f in files {
        eprintln!("wrote {}", f.display());
    }
    Ok(if errors.is_empty() {
        exit::OK
    } else {
        exit::SOURCE_FAILED
    })
}

fn export_github(output: &Path, args: &GithubArgs) -> Result<u8> {
    let opts = github_live(args)?
        .ok_or_else(|| UsageError("export github needs at least one --github-org ORG".into()))?;
    let export = match crate::sources::github::crawl(&opts) {
        Ok((export, _)) => export,
        Err(e) => {
            eprintln!("error: {}: {}", e.location, e.message);
            return Ok(exit::SOURCE_FAILED);
        }
    };
    for e in export.errors() {
        eprintln!("error: {}: {}", e.location, e.message);
    }
    let path = export
        .write(output)
        .with_context(|| format!("cannot write into {}", output.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(if export.errors().next().is_none() {
        exit::OK
    } else {
        exit::SOURCE_FAILED
    })
}

fn controls(args: ControlsArgs) -> Result<u8> {
    let mut out = String::new();
    let mut found = false;
    for c in CATALOGUES
        .iter()
        .filter(|c| args.framework.as_deref().is_none_or(|f| f == c.key))
    {
        found = true;
        out.push_str(&format!(
            "{} ({}){}\n",
            c.title,
            c.key,
            if c.required {
                ", required for every rule"
            } else {
                ""
            }
        ));
        for (id, title) in c.controls {
            out.push_str(&format!("  {id:<12} {title}\n"));
        }
        out.push('\n');
    }
    if !found {
        bail!(UsageError(format!(
            "unknown framework {:?}",
            args.framework.unwrap_or_default()
        )));
    }
    write_out(None, &out)?;
    Ok(exit::OK)
}

fn write_out(path: Option<&Path>, text: &str) -> Result<()> {
    match path {
        Some(p) => std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()) {
                // A closed pipe (`| head`) is not an error of ours.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("cannot write to standard output"),
            }
        }
    }
}

fn graph(args: GraphArgs) -> Result<u8> {
    let (inv, partial) = match &args.from {
        Some(file) => {
            let snapshot =
                crate::diff::read_snapshot(file).map_err(|e| UsageError(format!("{e:#}")))?;
            (snapshot.inventory, false)
        }
        None => {
            let report = inventory_report(&args.source)?;
            for e in &report.errors {
                eprintln!("warning: {}: {}", e.location, e.message);
            }
            (report.inventory, report.partial)
        }
    };
    let inv = &inv;
    let mut focus: Vec<&str> = Vec::new();
    for wanted in &args.agent {
        let needle = wanted.to_lowercase();
        let found: Vec<&str> = inv
            .agents
            .iter()
            .filter(|a| a.id == *wanted || a.name.to_lowercase().contains(&needle))
            .map(|a| a.id.as_str())
            .collect();
        if found.is_empty() {
            let known: Vec<&str> = inv
                .agents
                .iter()
                .map(|a| a.name.as_str())
                .take(20)
                .collect();
            return Err(UsageError(format!(
                "--agent {wanted}: no agent has that id or name (agents: {})",
                known.join("; ")
            ))
            .into());
        }
        focus.extend(found);
    }
    let chains = crate::analysis::find_chains(inv);
    let format = match args.format {
        GraphFormat::Dot => report::graph::GraphFormat::Dot,
        GraphFormat::Mermaid => report::graph::GraphFormat::Mermaid,
    };
    let text = report::graph::render(
        inv,
        &chains,
        (!focus.is_empty()).then_some(focus.as_slice()),
        format,
    );
    write_out(args.output.as_deref(), &text)?;
    Ok(if partial {
        exit::SOURCE_FAILED
    } else {
        exit::OK
    })
}

fn diff(args: DiffArgs) -> Result<u8> {
    let read = |p: &Path| crate::diff::read_snapshot(p).map_err(|e| UsageError(format!("{e:#}")));
    let (old, new) = (read(&args.old)?, read(&args.new)?);
    let d = crate::diff::diff(
        &old,
        &new,
        &args.old.display().to_string(),
        &args.new.display().to_string(),
    );
    let text = match args.format {
        InventoryFormat::Table => crate::diff::render_text(&d),
        InventoryFormat::Json => {
            serde_json::to_string_pretty(&d).context("serialising the diff")? + "\n"
        }
    };
    write_out(args.output.as_deref(), &text)?;
    Ok(if d.has_creep() {
        exit::FINDINGS
    } else {
        exit::OK
    })
}
