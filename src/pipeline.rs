//! The pipeline as a library: sources → inventory → analysis → rules → findings → report.

use std::path::{Path, PathBuf};

use crate::analysis;
use crate::config::Config;
use crate::findings::{self, Baseline, JudgeInput};
use crate::model::Inventory;
use crate::report::{Report, RuleInfo, Summary, Tool};
use crate::rules::Rule;
use crate::sources::repo::{self, InlineIgnore, RepoOptions};

/// Which activity logs to read, and over what window.
pub use crate::sources::activity::Request as ActivityRequest;
/// What to read from AWS.
pub use crate::sources::aws::Request as AwsRequest;
/// What to read from Google Cloud.
pub use crate::sources::azure::Request as AzureRequest;
pub use crate::sources::gcp::Request as GcpRequest;
/// What to read from GitHub.
pub use crate::sources::github::Request as GithubRequest;

/// What to scan and how to judge it.
pub struct ScanRequest<'a> {
    pub paths: Vec<PathBuf>,
    /// How files under `paths` are named (see [`repo::ScanRoots`]).
    pub names: &'a repo::ScanRoots,
    pub aws: AwsRequest,
    pub github: GithubRequest,
    pub gcp: GcpRequest,
    pub azure: AzureRequest,
    pub activity: ActivityRequest,
    pub repo: RepoOptions,
    pub config: &'a Config,
    pub rules: &'a [Rule],
    pub scope_all: bool,
    pub baseline: Option<&'a Baseline>,
}

/// Collects the inventory from every requested source. Returns it, the inline
/// suppressions found, and whether a requested source failed.
pub fn collect(req: &ScanRequest<'_>) -> (Inventory, Vec<InlineIgnore>, bool) {
    let mut failed = false;
    let (mut inventory, inline, exports) = if req.paths.is_empty() {
        (Inventory::default(), Vec::new(), Vec::new())
    } else {
        let scan = repo::scan(&req.paths, &req.repo, req.names);
        // A requested path that cannot be read at all is a failed source: exit code 3.
        failed |= req.paths.iter().any(|p| !p.exists());
        (scan.inventory, scan.inline_ignores, scan.exports)
    };
    let (mut modules, mut module_versions) = (Vec::new(), Vec::new());
    if let Some(options) = &req.repo.history {
        // Compared with the working tree's agents before other sources join them.
        let history = repo::history::read(&req.paths, options, req.names);
        inventory.changes = analysis::creep::changes(&history.revisions, &inventory);
        inventory.errors.extend(history.errors);
        inventory.warnings.extend(history.warnings);
        failed |= history.failed;
        modules = history.modules;
        module_versions = history.module_versions;
    }
    // Before the sources: which principals agent clients acted as decides which are
    // agents', and so whose grants the sources keep.
    failed |= read_activity(req, &exports, &mut inventory);
    let mut aws_agents = analysis::agents::AwsOptions::with_tags(&req.aws.agent_tags);
    aws_agents.acted_by_agents = analysis::activity::agent_clients_by_principal(&inventory);
    let judged = |i: &crate::model::Identity| analysis::agents::aws::is_agent(i, &aws_agents);
    let ctx = crate::sources::Context {
        names: req.names,
        exports: &exports,
        judged: &judged,
    };
    for source in sources(req) {
        let collected = source.collect(&ctx);
        inventory.extend(collected.inventory);
        failed |= collected.failed;
    }
    // Which of the principals the sources reported are agents', before fragments merge
    // (one agent per principal of each export), then the agents the config declares.
    analysis::agents::aws::classify(&mut inventory, &aws_agents);
    analysis::agents::gcp::classify(&mut inventory);
    analysis::agents::azure::classify(&mut inventory);
    inventory.normalize();
    if !modules.is_empty() {
        // Terraform modules are compared by what their agents hold, judged as the
        // working tree's are.
        let (changes, warnings) = analysis::creep::terraform::changes(
            &modules,
            &module_versions,
            &ctx,
            &aws_agents,
            &inventory,
        );
        inventory.changes.extend(changes);
        inventory.warnings.extend(warnings);
        inventory.normalize();
    }
    analysis::agents::declared::declare(&mut inventory, req.config);
    (inventory, inline, failed)
}

/// Reads the activity logs asked for and those the walk found into `inventory`; true
/// when a requested path could not be read.
fn read_activity(
    req: &ScanRequest<'_>,
    exports: &[crate::sources::FoundExport],
    inventory: &mut Inventory,
) -> bool {
    let mut paths = req.activity.paths.clone();
    paths.extend(
        exports
            .iter()
            .filter(|e| e.source == crate::model::SourceKind::Activity)
            .map(|e| e.path.clone()),
    );
    if paths.is_empty() {
        return false;
    }
    let names = req.names;
    let read =
        crate::sources::activity::read(&paths, req.activity.window_days, &|p| names.shown(p));
    inventory.activity = read.activity;
    inventory.activity_window = read.window;
    inventory.errors.extend(read.errors);
    inventory.warnings.extend(read.warnings);
    inventory.normalize();
    read.failed
}

/// The sources beside the scanned files, in the order they run. A new source is a line
/// here (and, with exports, one in [`crate::sources::RECOGNISERS`]).
fn sources<'a>(req: &'a ScanRequest<'_>) -> Vec<Box<dyn crate::sources::Source + 'a>> {
    vec![
        Box::new(crate::sources::aws::AwsSource { request: &req.aws }),
        Box::new(crate::sources::github::GithubSource {
            request: &req.github,
        }),
        Box::new(crate::sources::gcp::GcpSource { request: &req.gcp }),
        Box::new(crate::sources::azure::AzureSource {
            request: &req.azure,
        }),
        Box::new(crate::sources::iac::IacSource),
    ]
}

/// Runs the whole pipeline.
pub fn scan(req: &ScanRequest<'_>) -> Report {
    let (mut inventory, inline, failed) = collect(req);
    let chains = analysis::analyse(&mut inventory);
    let facts = req.config.to_facts(req.scope_all);
    let judgement = findings::judge(&JudgeInput {
        rules: req.rules,
        inventory: &inventory,
        chains: &chains,
        facts: &facts,
        config: req.config,
        scope_all: req.scope_all,
        inline: &inline,
        baseline: req.baseline,
        today: today(),
    });
    let errors = std::mem::take(&mut inventory.errors);
    let summary = Summary::of(
        &inventory,
        &judgement.findings,
        judgement.suppressed.len(),
        errors.len(),
    );
    Report {
        schema: crate::report::REPORT_SCHEMA.into(),
        tool: Tool {
            name: "nhi-audit".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        scanned: req.paths.iter().map(|p| req.names.shown_root(p)).collect(),
        source_root: req.names.top().map(Path::to_path_buf),
        partial: failed,
        summary,
        inventory,
        findings: judgement.findings,
        suppressed: judgement.suppressed,
        stale_ignores: judgement.stale_ignores,
        errors,
        warnings: judgement.warnings,
        rules: req.rules.iter().map(RuleInfo::from).collect(),
    }
}

/// Today's date as `YYYY-MM-DD` (UTC), for ignore expiry: the same clock as ages
/// ([`crate::timefmt::now`], so `NHI_AUDIT_NOW` fixes both).
pub fn today() -> String {
    let now = crate::timefmt::now().date();
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

/// Checks each rule's examples: every `match` path must produce a finding of the rule and
/// no `no_match` path may. `base` resolves relative example paths. A path ending in
/// `.history` holds one folder per commit (see [`repo::history::replay`]). Returns the
/// failures.
pub fn check_examples(rules: &[Rule], base: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    let config = Config::default();
    for rule in rules {
        if rule.examples_match.is_empty() {
            failures.push(format!("{}: has no `match` example", rule.id));
        }
        for (paths, want) in [
            (&rule.examples_match, true),
            (&rule.examples_no_match, false),
        ] {
            for p in paths {
                let path = base.join(p);
                // A `*.history` example is a folder of commits, replayed into a scratch
                // repository and scanned with --history.
                let replayed = match repo::history::replay_example(&path) {
                    Ok(r) => r,
                    Err(e) => {
                        failures.push(format!("{}: {}: {e}", rule.id, path.display()));
                        continue;
                    }
                };
                let paths = vec![
                    replayed
                        .as_ref()
                        .map_or(path.clone(), |r| r.path().to_path_buf()),
                ];
                let names = repo::ScanRoots::new(&paths);
                let report = scan(&ScanRequest {
                    paths,
                    names: &names,
                    aws: AwsRequest::default(),
                    github: GithubRequest::default(),
                    gcp: GcpRequest::default(),
                    azure: AzureRequest::default(),
                    activity: ActivityRequest::default(),
                    repo: RepoOptions {
                        history: replayed.as_ref().map(|_| Default::default()),
                        ..RepoOptions::default()
                    },
                    config: &config,
                    rules: std::slice::from_ref(rule),
                    scope_all: true,
                    baseline: None,
                });
                let hit = report.findings.iter().any(|f| f.rule_id == rule.id);
                if !path.exists() {
                    failures.push(format!(
                        "{}: example {} does not exist",
                        rule.id,
                        path.display()
                    ));
                } else if hit != want {
                    let what = if want {
                        "should match but did not"
                    } else {
                        "should not match but did"
                    };
                    failures.push(format!("{}: {} {what}", rule.id, path.display()));
                }
                if !report.warnings.is_empty() {
                    failures.push(format!(
                        "{}: {}: {}",
                        rule.id,
                        path.display(),
                        report.warnings.join("; ")
                    ));
                }
            }
        }
    }
    failures
}
