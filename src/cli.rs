//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "nhi-audit",
    version = crate::VERSION,
    about = "Find the credentials AI agents hold, and judge them against identity rules",
    long_about = "nhi-audit inventories the non-human identities that AI agents hold — keys in MCP \
configs, tokens of GitHub workflows that run coding agents, API keys of agent frameworks — and \
judges them: long-lived keys, over-broad scopes, shared and hard-coded credentials, agents acting \
with a human's token, and privilege gained through other agents. Every finding maps to OWASP Top \
10 for Agentic Applications, CSA MAESTRO and NIST AI RMF controls.\n\n\
Exit codes: 0 no finding at or above --fail-on; 1 findings at or above it; 2 usage, config or \
rule error; 3 a requested source failed (partial results are still written)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan paths, judge what agents hold, and report findings (the main job).
    Scan(ScanArgs),
    /// List the agents and the identities they hold, without judging.
    Inventory(InventoryArgs),
    /// List, explain or validate rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// List the control catalogues findings map to.
    Controls(ControlsArgs),
    /// Print the JSON Schema of the JSON report.
    Schema,
    /// Save what a live crawl reads as files that can be analysed later and elsewhere.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Draw the identity graph (agents, identities, and who holds, assumes, escalates to,
    /// triggers, delegates to or shares with whom) as Graphviz DOT or Mermaid.
    Graph(GraphArgs),
    /// Compare two saved JSON reports or inventories: new and removed agents and
    /// identities, newly held identities, access that rose (write-creep), new and
    /// resolved findings. Exit code 1 when access grew.
    Diff(DiffArgs),
    /// Write the policy each principal needs, from what the activity logs show it used:
    /// an IAM policy of the used actions on the resources seen (`--activity LOGS`).
    SuggestPolicy(SuggestPolicyArgs),
}

#[derive(Debug, Args)]
pub struct SuggestPolicyArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Only this principal: its ARN, its inventory id, or a case-insensitive part of its
    /// name (repeatable). By default, every principal an agent holds or an agent client
    /// acted as (`--scope all`: every principal in the logs).
    #[arg(long, value_name = "NAME")]
    pub principal: Vec<String>,
    /// `json`: every suggestion with what it is based on; `document`: the bare policy of
    /// the one principal selected, ready for `aws iam put-role-policy --policy-document`.
    #[arg(long, short, value_enum, default_value_t = SuggestFormat::Json)]
    pub format: SuggestFormat,
    /// Suggest from a saved JSON report or inventory (taken with `--activity`) instead
    /// of scanning.
    #[arg(
        long,
        value_name = "FILE.json",
        conflicts_with_all = ["paths", "activity", "aws", "aws_gaad", "orgs", "history"]
    )]
    pub from: Option<PathBuf>,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SuggestFormat {
    Json,
    Document,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// `dot` (Graphviz: `| dot -Tsvg > graph.svg`) or `mermaid`.
    #[arg(long, short, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Only what this agent reaches (its id, or a case-insensitive part of its name;
    /// repeatable).
    #[arg(long, value_name = "NAME")]
    pub agent: Vec<String>,
    /// Draw a saved JSON report or inventory instead of scanning (evidence kept by an
    /// auditor, a CI artefact). Takes no paths or sources.
    #[arg(
        long,
        value_name = "FILE.json",
        conflicts_with_all = [
            "paths", "aws", "aws_gaad", "aws_profile", "aws_region", "aws_endpoint_url",
            "orgs", "history", "config", "respect_gitignore",
        ]
    )]
    pub from: Option<PathBuf>,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier snapshot (`scan --format json` or `inventory --format json`).
    #[arg(value_name = "OLD.json")]
    pub old: PathBuf,
    /// The later snapshot.
    #[arg(value_name = "NEW.json")]
    pub new: PathBuf,
    /// `table` (text) or `json`.
    #[arg(long, short, value_enum, default_value_t = InventoryFormat::Table)]
    pub format: InventoryFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Crawl AWS IAM live and write gaad.json, credential-report.csv, access-keys.json and
    /// oidc-providers.json into DIR (`nhi-audit scan DIR` reads them back).
    Aws {
        /// The folder to write into (created if missing).
        #[arg(long, short, value_name = "DIR")]
        output: PathBuf,
        /// The AWS profile to use.
        #[arg(long, value_name = "NAME")]
        aws_profile: Option<String>,
        /// The AWS region to use.
        #[arg(long, value_name = "REGION")]
        aws_region: Option<String>,
        /// An IAM endpoint (LocalStack, moto, GovCloud, a VPC endpoint).
        #[arg(long, value_name = "URL")]
        aws_endpoint_url: Option<String>,
        /// Also read IAM's last-accessed data per principal, into
        /// service-last-accessed.json.
        #[arg(long)]
        aws_last_accessed: bool,
    },
    /// Crawl GitHub organisations live and write github-export.json into DIR (`nhi-audit
    /// scan DIR` reads it back).
    Github {
        /// The folder to write into (created if missing).
        #[arg(long, short, value_name = "DIR")]
        output: PathBuf,
        #[command(flatten)]
        github: GithubArgs,
    },
    /// Crawl Google Cloud organisations and projects live and write what was read into
    /// DIR, one file per listing as `gcloud --format=json` prints it, with a manifest of
    /// what could not be read (`nhi-audit scan DIR` reads them back).
    Gcp {
        /// The folder to write into (created if missing).
        #[arg(long, short, value_name = "DIR")]
        output: PathBuf,
        #[command(flatten)]
        gcp: GcpArgs,
    },
    /// Crawl an Entra ID tenant and its Azure subscriptions live and write what was read
    /// into DIR, Graph listings as Graph pages and Azure role listings as `az` prints
    /// them, with a manifest of what could not be read (`nhi-audit scan DIR` reads them
    /// back).
    Azure {
        /// The folder to write into (created if missing).
        #[arg(long, short, value_name = "DIR")]
        output: PathBuf,
        #[command(flatten)]
        azure: AzureArgs,
    },
}

/// How to reach Entra ID and Azure: shared by `scan`, `inventory` and `export azure`.
#[derive(Debug, Clone, Args)]
pub struct AzureArgs {
    /// Crawl this Entra ID tenant, by its id or domain (Microsoft Graph, read-only:
    /// Application.Read.All and RoleManagement.Read.Directory).
    #[arg(
        long = "azure-tenant",
        value_name = "ID",
        help_heading = "Entra ID and Azure"
    )]
    pub tenant: Option<String>,
    /// Read this subscription's Azure role assignments (repeatable; default: every
    /// subscription the caller can read, with Reader).
    #[arg(
        long = "azure-subscription",
        value_name = "ID",
        help_heading = "Entra ID and Azure"
    )]
    pub subscriptions: Vec<String>,
    /// Take the Microsoft Graph token from this environment variable (as `az account
    /// get-access-token --resource-type ms-graph` prints it) instead of the credential
    /// chain.
    #[arg(long, value_name = "NAME", help_heading = "Entra ID and Azure")]
    pub azure_access_token_env: Option<String>,
    /// Take the Azure Resource Manager token from this environment variable (`az account
    /// get-access-token --resource-type arm`); without it, minted tokens read Graph only.
    #[arg(long, value_name = "NAME", help_heading = "Entra ID and Azure")]
    pub azure_arm_token_env: Option<String>,
    /// The cloud: public, usgov or china.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "public",
        help_heading = "Entra ID and Azure"
    )]
    pub azure_cloud: String,
    /// Send one API's calls to URL instead of the cloud's endpoint: `graph=URL`,
    /// `arm=URL` (repeatable; proxies, tests).
    #[arg(
        long = "azure-endpoint",
        value_name = "SERVICE=URL",
        help_heading = "Entra ID and Azure"
    )]
    pub azure_endpoints: Vec<String>,
    /// Requests in flight at once, per API.
    #[arg(
        long,
        value_name = "N",
        default_value_t = crate::sources::azure::live::DEFAULT_CONCURRENCY,
        help_heading = "Entra ID and Azure"
    )]
    pub azure_concurrency: usize,
    /// The longest one Graph or Resource Manager request may take (`30s`, `500ms`).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30s",
        value_parser = parse_timeout,
        help_heading = "Entra ID and Azure"
    )]
    pub azure_http_timeout: std::time::Duration,
}

/// How to reach Google Cloud: shared by `scan`, `inventory` and `export gcp`.
#[derive(Debug, Clone, Args)]
pub struct GcpArgs {
    /// Crawl this Google Cloud organisation, by its number (repeatable).
    #[arg(
        long = "gcp-organization",
        value_name = "ID",
        help_heading = "Google Cloud"
    )]
    pub organizations: Vec<String>,
    /// Crawl this Google Cloud project (repeatable).
    #[arg(long = "gcp-project", value_name = "ID", help_heading = "Google Cloud")]
    pub projects: Vec<String>,
    /// Take the access token from this environment variable (as `gcloud auth
    /// print-access-token` prints it) instead of Application Default Credentials.
    #[arg(long, value_name = "NAME", help_heading = "Google Cloud")]
    pub gcp_access_token_env: Option<String>,
    /// Send one API's calls to URL instead of Google's endpoint: `cloudasset=URL`,
    /// `iam=URL`, `policyanalyzer=URL` (repeatable; Private Service Connect, tests).
    #[arg(
        long = "gcp-endpoint",
        value_name = "SERVICE=URL",
        help_heading = "Google Cloud"
    )]
    pub endpoints: Vec<String>,
    /// Google Cloud requests in flight at once.
    #[arg(
        long,
        value_name = "N",
        default_value_t = crate::sources::gcp::live::DEFAULT_CONCURRENCY,
        help_heading = "Google Cloud"
    )]
    pub gcp_concurrency: usize,
    /// The longest one Google Cloud request may take (`30s`, `500ms`, `2m`).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30s",
        value_parser = parse_timeout,
        help_heading = "Google Cloud"
    )]
    pub gcp_http_timeout: std::time::Duration,
}

/// How to reach GitHub: shared by `scan`, `inventory` and `export github`.
#[derive(Debug, Clone, Args)]
pub struct GithubArgs {
    /// Crawl this GitHub organisation (repeatable).
    #[arg(long = "github-org", value_name = "ORG", help_heading = "GitHub")]
    pub orgs: Vec<String>,
    /// Also read each organisation's audit log (GET /orgs/{org}/audit-log, GitHub
    /// Enterprise Cloud; an organization owner's token, classic: read:audit_log), Git
    /// events included, as activity judged like `--activity` logs.
    #[arg(long, requires = "orgs", help_heading = "GitHub")]
    pub github_audit_log: bool,
    /// The days of audit log read, before now (`90d`, `30`, `12w`).
    #[arg(
        long,
        value_name = "DAYS",
        default_value = "90d",
        value_parser = parse_days,
        help_heading = "GitHub"
    )]
    pub github_audit_log_window: u32,
    /// The most pages (of 100 entries) of audit log read per organisation, newest first.
    #[arg(
        long,
        value_name = "N",
        default_value_t = crate::sources::github::DEFAULT_AUDIT_LOG_PAGES,
        help_heading = "GitHub"
    )]
    pub github_audit_log_max_pages: usize,
    /// The environment variable that holds the token.
    #[arg(
        long,
        value_name = "NAME",
        default_value = "GITHUB_TOKEN",
        help_heading = "GitHub"
    )]
    pub github_token_env: String,
    /// The REST API: GitHub Enterprise Server is https://HOST/api/v3.
    #[arg(
        long,
        value_name = "URL",
        default_value = crate::sources::github::DEFAULT_API_URL,
        help_heading = "GitHub"
    )]
    pub github_api_url: String,
    /// GitHub requests in flight at once.
    #[arg(
        long,
        value_name = "N",
        default_value_t = crate::sources::github::DEFAULT_CONCURRENCY,
        help_heading = "GitHub"
    )]
    pub github_concurrency: usize,
    /// The longest one GitHub request may take, connection and whole answer included
    /// (`30s`, `500ms`, `2m`; a bare number is seconds).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30s",
        value_parser = parse_timeout,
        help_heading = "GitHub"
    )]
    pub http_timeout: std::time::Duration,
    /// The longest the GitHub crawl may spend without answers: rate-limit pauses, retry
    /// backoffs and timed-out requests, added up. A wait that does not fit fails its
    /// request (results are partial).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10m",
        value_parser = parse_duration,
        help_heading = "GitHub"
    )]
    pub max_wait: std::time::Duration,
}

/// Longest duration accepted: a week (a crawl that waits longer is not waiting).
const MAX_DURATION_SECS: f64 = 7.0 * 24.0 * 3600.0;

/// A duration option that is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("use a number with ms, s, m or h, like 30s or 10m")]
    Unreadable,
    #[error("a duration cannot be negative")]
    Negative,
    #[error("at most a week (168h)")]
    TooLong,
    #[error("must be more than 0")]
    Zero,
}

/// `500ms`, `30s`, `10m`, `1h`, or a bare number of seconds (`1.5`).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, DurationError> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let scale = match unit.trim() {
        "ms" => 0.001,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(DurationError::Unreadable),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| DurationError::Unreadable)?;
    let secs = value * scale;
    if !secs.is_finite() || secs < 0.0 {
        return Err(DurationError::Negative);
    }
    if secs > MAX_DURATION_SECS {
        return Err(DurationError::TooLong);
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// A duration that is not zero: a request cannot be given no time at all.
fn parse_timeout(text: &str) -> Result<std::time::Duration, DurationError> {
    let d = parse_duration(text)?;
    if d.is_zero() {
        return Err(DurationError::Zero);
    }
    Ok(d)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scope {
    /// Identities held by AI agents, and AI provider keys wherever they lie.
    Agents,
    /// Every non-human identity found.
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    /// Never fail because of findings.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// What to read: shared by `scan` and `inventory`.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Paths to scan: checkouts, folders of exports, home directories. Defaults to `.`.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Honour .gitignore files (by default ignored files are scanned too: a `.env` that git
    /// ignores still leaks when the laptop, image or backup does).
    #[arg(long)]
    pub respect_gitignore: bool,
    /// Follow symbolic links that lead out of the scanned folders (by default such a link
    /// is recorded in the report's warnings and not read: it could point at
    /// `~/.aws/credentials` or `/proc/self/environ`).
    #[arg(long)]
    pub follow_links_out: bool,
    /// Skip (and report) files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024 * 1024)]
    pub max_file_size: u64,
    /// Worker threads for the file walk (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Also read the git history of the scanned paths (with the git CLI) for write-creep:
    /// commits that raised a workflow agent's token scopes (`contents: read` → `write`,
    /// `write-all`), added an MCP server or auto-approved tools, raised what an agent's
    /// identity may do in Terraform (each changed module judged before and after), or
    /// added an agent. Each
    /// change names the commit, its author date and the changed line. A path outside any git
    /// repository is reported in `errors[]` and scanned as it is.
    #[arg(long, help_heading = "History")]
    pub history: bool,
    /// With --history: read at most the N most recent commits that touched an agent config
    /// (workflows, MCP configs, Terraform files), per scanned path.
    #[arg(
        long,
        value_name = "N",
        default_value_t = crate::sources::repo::history::DEFAULT_DEPTH,
        help_heading = "History"
    )]
    pub history_depth: usize,
    /// With --history: stop git after this many seconds per scanned path (a repository
    /// whose git blocks — a FIFO in `.git`, a hung mount — is reported, not waited on).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = crate::sources::repo::history::DEFAULT_TIMEOUT.as_secs(),
        help_heading = "History"
    )]
    pub history_timeout: u64,
    /// Configuration file (default: `.nhi-audit.yaml` in the first scanned path, if any).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to audit.
    #[arg(long, value_enum, default_value_t = Scope::Agents)]
    pub scope: Scope,
    /// Crawl AWS IAM live with the standard credential chain.
    #[arg(long, help_heading = "AWS")]
    pub aws: bool,
    /// The AWS profile to use with --aws.
    #[arg(long, value_name = "NAME", help_heading = "AWS")]
    pub aws_profile: Option<String>,
    /// The AWS region to use with --aws.
    #[arg(long, value_name = "REGION", help_heading = "AWS")]
    pub aws_region: Option<String>,
    /// An IAM endpoint (LocalStack, moto, GovCloud, a VPC endpoint).
    #[arg(long, value_name = "URL", help_heading = "AWS")]
    pub aws_endpoint_url: Option<String>,
    /// With --aws: also read IAM's last-accessed data for every principal (a
    /// `GenerateServiceLastAccessedDetails` job each): the services its policies allow
    /// that it has not used in IAM's tracking period.
    #[arg(long, requires = "aws", help_heading = "AWS")]
    pub aws_last_accessed: bool,
    /// Offline: an `aws iam get-account-authorization-details` export (JSON).
    #[arg(long, value_name = "FILE", help_heading = "AWS")]
    pub aws_gaad: Option<PathBuf>,
    /// Offline: the credential report (raw CSV, or the GetCredentialReport JSON).
    #[arg(long, value_name = "FILE", requires = "aws_gaad", help_heading = "AWS")]
    pub aws_credential_report: Option<PathBuf>,
    /// A tag key that marks an IAM principal as an AI agent's (repeatable; default:
    /// nhi:agent, ai-agent, agent).
    #[arg(long = "agent-tag", value_name = "KEY", help_heading = "AWS")]
    pub agent_tags: Vec<String>,
    #[command(flatten)]
    pub github: GithubArgs,
    #[command(flatten)]
    pub gcp: GcpArgs,
    #[command(flatten)]
    pub azure: AzureArgs,
    /// Activity logs to compare with the grants (repeatable; a file or a folder of them):
    /// CloudTrail as delivered to S3 (`.json.gz` or `.json`), JSON Lines, `aws cloudtrail
    /// lookup-events` output, CloudTrail Lake results, the GitHub audit log (JSON or CSV),
    /// Cloud Audit Logs (`gcloud logging read --format=json`), the Azure activity log
    /// and Entra sign-ins. Streamed: a month of logs is never held whole.
    #[arg(long, value_name = "PATH", help_heading = "Activity")]
    pub activity: Vec<PathBuf>,
    /// What counts as used: the days before the newest event in the logs (`90d`, `30`).
    #[arg(
        long,
        value_name = "DAYS",
        default_value = "90d",
        value_parser = parse_days,
        help_heading = "Activity"
    )]
    pub activity_window: u32,
}

/// `90d`, `90` (days), or `12w` (weeks); between 1 and 3650 days.
pub fn parse_days(text: &str) -> Result<u32, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix('d') {
        (n, 1)
    } else if let Some(n) = t.strip_suffix('w') {
        (n, 7)
    } else {
        (t, 1)
    };
    let n: u32 = number
        .trim()
        .parse()
        .map_err(|_| "use a number of days, like 90d (or weeks: 12w)".to_string())?;
    let days = n.saturating_mul(scale);
    if !(1..=3650).contains(&days) {
        return Err("between 1 and 3650 days".into());
    }
    Ok(days)
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit with 1 when a finding has at least this severity.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub fail_on: FailOn,
    /// Also load the rules in DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rule_dirs: Vec<PathBuf>,
    /// Accept the findings whose fingerprints are in FILE; report only new ones.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the fingerprints of the current findings to FILE, to use with --baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Colour the table: `auto` colours a terminal unless NO_COLOR is set or CLICOLOR=0;
    /// CLICOLOR_FORCE=1 colours a pipe too.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print only the summary (and read errors).
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every location, the remediation and the controls of each finding, and the
    /// suppressed findings.
    #[arg(long, short)]
    pub verbose: bool,
    /// Exit 0 rather than 3 when a requested source failed.
    #[arg(long)]
    pub allow_partial: bool,
}

#[derive(Debug, Args)]
pub struct InventoryArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// `table` or `json`.
    #[arg(long, short, value_enum, default_value_t = InventoryFormat::Table)]
    pub format: InventoryFormat,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InventoryFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules (built-in, plus --rules DIR).
    List {
        /// Also load the rules in DIR (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rule_dirs: Vec<PathBuf>,
    },
    /// Explain one rule: what it checks, why, how to fix, the controls.
    Show {
        /// The rule's id (`NHI-REPO-014`) or name (`agent-uses-human-token`).
        id: String,
        /// Also load the rules in DIR (repeatable).
        #[arg(long = "rules", value_name = "DIR")]
        rule_dirs: Vec<PathBuf>,
    },
    /// Validate the rules in DIR: schema, CEL, control ids, fact paths, and run their
    /// examples (paths relative to each rule's file).
    Check {
        /// A folder of rule files (`*.yaml`).
        dir: PathBuf,
    },
    /// List every field a rule condition can read, by variable and agent kind, with its
    /// type and meaning; `--format json` prints the JSON Schema of the fact records.
    Fields {
        /// `table` (text) or `json` (the schema).
        #[arg(long, short, value_enum, default_value_t = InventoryFormat::Table)]
        format: InventoryFormat,
    },
}

#[derive(Debug, Args)]
pub struct ControlsArgs {
    /// Only this catalogue.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(
        crate::controls::CATALOGUES.iter().map(|c| c.key)
    ))]
    pub framework: Option<String>,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn windows_in_days() {
        assert_eq!(parse_days("90d"), Ok(90));
        assert_eq!(parse_days(" 30 "), Ok(30));
        assert_eq!(parse_days("12w"), Ok(84));
        for bad in ["", "0d", "-5d", "3651", "99999999w", "1.5d", "5y", "d"] {
            assert!(parse_days(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration(" 10m "), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        for bad in ["", "s", "-1s", "5y", "1e999", "nan", "inf", "200h", "1 2s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_timeout("0s").is_err());
    }

    /// clap's own checks of the command tree: unique argument ids across every flattened
    /// group of flags (two sources' `endpoints` once broke `scan` at start-up).
    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
