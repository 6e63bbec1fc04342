//! GitHub Actions workflows that run AI agents: per agent job, the effective
//! `GITHUB_TOKEN` permissions, the secrets it receives, what starts it and who can
//! start it (`who_can_start`), untrusted text that reaches its prompt, and whether its
//! cloud access is federated (OIDC) or a static key.
//!
//! A job is read with what it calls: the steps of local composite actions
//! (`uses: ./.github/actions/x`) are the job's own, with the inputs the job passes; a
//! reusable workflow (`jobs.x.uses: ./.github/workflows/y.yml`, or another repository's
//! when the GitHub source fetched it) runs its agent jobs with the caller's triggers,
//! permissions and the secrets it hands over. A call that cannot be followed is reported
//! with what it hands over. gh-aw sources and their compiled `.lock.yml` are read as one
//! agent whose writes go through the safe-outputs job (see [`ghaw`]).

pub mod expr;
pub mod ghaw;
mod index;
pub mod start;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value as Json, json};

pub use index::{WorkflowFile, WorkflowIndex};
use start::{Level, Start};

use super::builder::{Fragment, PermissionSites, Site};
use super::catalog::{Opener, catalog};
use crate::doc::{Format, Node, Value};
use crate::model::{
    AccessLevel, Confidence, Credential, Effect, Evidence, Grant, Identity, Lifetime, Location,
    Storage,
};
use crate::policy::github::TokenPermissions;
use crate::secrets::{self, RefSyntax};

/// Analyses one workflow on its own (a single file, a version from git history).
pub fn analyse(text: &str, fragment: &mut Fragment<'_>) {
    analyse_in(text, fragment, &WorkflowIndex::default());
}

/// Analyses one workflow (or gh-aw source) with the other files of its repositories.
pub fn analyse_in(text: &str, fragment: &mut Fragment<'_>, index: &WorkflowIndex) {
    if fragment.path.ends_with(".md") {
        if !index.has_lock_of(fragment.path) {
            ghaw::analyse_source(text, fragment);
        }
        return;
    }
    let Some(doc) = super::parse_doc(text, Format::Yaml, fragment, "the workflow") else {
        return;
    };
    let Some(jobs) = doc.get("jobs").filter(|j| j.is_map()) else {
        return;
    };
    let wf = WorkflowCtx::new(&doc, fragment.path, text);
    // A reusable workflow that a scanned workflow calls is analysed in its callers'
    // context; on its own it would be a second, context-free copy of the same agent.
    if wf.triggers.iter().all(|t| t == "workflow_call") && index.is_called(fragment.path) {
        return;
    }
    let lock_source = if wf.lock {
        index.ghaw_source_of(fragment.path)
    } else {
        None
    };
    let all_jobs: HashMap<&str, &Node> = jobs
        .entries()
        .iter()
        .filter(|(_, j)| j.is_map())
        .map(|(k, j)| (k.name.as_str(), j))
        .collect();
    for (key, job) in jobs.entries() {
        if !job.is_map() {
            continue;
        }
        let ctx = JobCtx {
            file: fragment.path.to_string(),
            wf: &wf,
            name: &key.name,
            line: key.line,
            column: key.column,
            job,
            jobs: &all_jobs,
            caller: None,
            lock_source: lock_source.as_ref().map(|(p, n)| (p.as_str(), *n)),
            index,
        };
        if let Some(target) = job.get("uses").and_then(Node::as_str) {
            call_reusable(
                &ctx,
                target,
                job.get("uses").unwrap_or(job),
                fragment,
                index,
            );
        } else {
            analyse_job(&ctx, fragment, index);
        }
    }
}

/// What every job of a workflow shares.
struct WorkflowCtx<'d> {
    name: Option<String>,
    file_name: String,
    triggers: Vec<String>,
    on_line: u32,
    /// `on: workflow_run: workflows:` — the workflows whose runs start this one.
    after_workflows: Vec<String>,
    permissions: Option<(u32, &'d Node)>,
    env: Option<&'d Node>,
    /// gh-aw's compiled output.
    lock: bool,
}

impl<'d> WorkflowCtx<'d> {
    fn new(doc: &'d Node, path: &str, text: &str) -> Self {
        WorkflowCtx {
            name: doc.get("name").and_then(Node::scalar_text),
            file_name: path.rsplit('/').next().unwrap_or(path).to_string(),
            triggers: triggers(doc.get("on")),
            on_line: doc.entry("on").map_or(1, |(k, _)| k.line),
            after_workflows: doc
                .get("on")
                .and_then(|on| on.get("workflow_run"))
                .and_then(|w| w.get("workflows"))
                .map(|w| w.strings().into_iter().map(str::to_string).collect())
                .unwrap_or_default(),
            permissions: doc.entry("permissions").map(|(k, v)| (k.line, v)),
            env: doc.get("env"),
            lock: ghaw::is_lock(text),
        }
    }

    fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.file_name.clone())
    }
}

/// A job, where it is, and who called it (for the jobs of a reusable workflow).
struct JobCtx<'a> {
    /// The file the job is written in.
    file: String,
    wf: &'a WorkflowCtx<'a>,
    name: &'a str,
    line: u32,
    column: u32,
    job: &'a Node,
    jobs: &'a HashMap<&'a str, &'a Node>,
    caller: Option<&'a Caller<'a>>,
    /// For a gh-aw lock: its Markdown source and front matter.
    lock_source: Option<(&'a str, &'a Node)>,
    index: &'a WorkflowIndex,
}

/// The job that calls a reusable workflow: its context is the run's.
struct Caller<'a> {
    file: &'a str,
    wf: &'a WorkflowCtx<'a>,
    job_name: &'a str,
    job: &'a Node,
    line: u32,
    column: u32,
    /// What the caller lets through, event by event (its triggers, its job's `if:` and
    /// `needs`).
    starts: Vec<(String, Start)>,
    permissions: JobToken<'a>,
    inherit: bool,
    /// `secrets: {X: ${{ secrets.Y }}}`: the names the callee sees.
    secrets: BTreeMap<String, String>,
    with: BTreeMap<String, String>,
    /// The callee's agent jobs, when more than one (their ids then carry the job name).
    several: bool,
}

fn triggers(on: Option<&Node>) -> Vec<String> {
    let Some(on) = on else { return Vec::new() };
    match &on.value {
        Value::Map(entries) => entries.iter().map(|(k, _)| k.name.clone()).collect(),
        _ => on.strings().into_iter().map(str::to_string).collect(),
    }
}

/// What marks a job as an agent, with the place that shows it.
struct AgentUse {
    agent: String,
    /// The model provider the product talks to, when the catalogue knows it.
    provider: Option<String>,
    how: String,
    uses: Option<String>,
    pinned: bool,
    at: Location,
    /// The step that runs it, in the expanded step list (`None` for job-level evidence).
    step: Option<usize>,
}

/// A step of a job, with composite actions expanded in place.
struct Step<'a> {
    file: String,
    node: &'a Node,
    /// `inputs.X` of the composite action the step belongs to → the caller's text.
    inputs: BTreeMap<String, String>,
    /// The local action the step comes from.
    via: Option<String>,
}

/// Words in a called workflow's file name that say it runs an agent.
const AGENT_WORDS: &[&str] = &[
    "claude", "gemini", "codex", "copilot", "aider", "agent", "llm", "opencode", "pr-agent",
    "devin", "jules", "cursor",
];

/// Nested composite actions followed at most this deep (and never twice on one path).
const MAX_ACTION_DEPTH: usize = 4;

/// Expands a job's steps, local composite actions read in place.
struct Expander<'a> {
    index: &'a WorkflowIndex,
    /// The actions on the current path (a cycle is not followed).
    seen: Vec<String>,
    out: Vec<Step<'a>>,
}

impl<'a> Expander<'a> {
    fn new(index: &'a WorkflowIndex) -> Self {
        Expander {
            index,
            seen: Vec::new(),
            out: Vec::new(),
        }
    }

    fn expand(
        &mut self,
        file: &str,
        steps: &'a [Node],
        inputs: &BTreeMap<String, String>,
        via: Option<&str>,
        depth: usize,
    ) {
        for node in steps {
            self.out.push(Step {
                file: file.to_string(),
                node,
                inputs: inputs.clone(),
                via: via.map(str::to_string),
            });
            let Some(uses) = node.get("uses").and_then(Node::as_str) else {
                continue;
            };
            if depth >= MAX_ACTION_DEPTH {
                continue;
            }
            let Some((action_file, action)) = self.index.action(file, uses) else {
                continue;
            };
            if self.seen.contains(&action_file) {
                continue;
            }
            let runs = action.get("runs");
            let composite = runs
                .and_then(|r| r.get("using"))
                .and_then(Node::as_str)
                .is_some_and(|u| u.eq_ignore_ascii_case("composite"));
            let Some(inner) = runs.and_then(|r| r.get("steps")).filter(|_| composite) else {
                continue;
            };
            // The action's inputs: what the step passes, else the action's defaults.
            let mut passed: BTreeMap<String, String> = BTreeMap::new();
            for (k, v) in action.get("inputs").map(Node::entries).unwrap_or_default() {
                if let Some(d) = v.get("default").and_then(Node::scalar_text) {
                    passed.insert(k.name.to_ascii_lowercase(), substitute(&d, inputs));
                }
            }
            for (k, v) in node.get("with").map(Node::entries).unwrap_or_default() {
                if let Some(t) = v.scalar_text() {
                    passed.insert(k.name.to_ascii_lowercase(), substitute(&t, inputs));
                }
            }
            self.seen.push(action_file.clone());
            self.expand(&action_file, inner.items(), &passed, Some(uses), depth + 1);
            self.seen.pop();
        }
    }
}

/// `${{ inputs.x }}` replaced by what the caller passed for `x` (other text kept).
fn substitute(text: &str, inputs: &BTreeMap<String, String>) -> String {
    if inputs.is_empty() || !text.contains("inputs.") {
        return text.to_string();
    }
    static INPUT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}").expect("static regex")
    });
    INPUT
        .replace_all(text, |c: &regex::Captures<'_>| {
            inputs
                .get(&c[1].to_ascii_lowercase())
                .cloned()
                .unwrap_or_default()
        })
        .into_owned()
}

fn step_text(step: &Step<'_>, key: &str) -> Option<String> {
    step.node
        .get(key)
        .and_then(Node::scalar_text)
        .map(|t| substitute(&t, &step.inputs))
}

/// A reusable workflow call: followed when the index has the callee, else reported with
/// what it hands over.
fn call_reusable(
    ctx: &JobCtx<'_>,
    target: &str,
    uses_node: &Node,
    fragment: &mut Fragment<'_>,
    index: &WorkflowIndex,
) {
    let cat = catalog();
    let caller_starts = event_starts(ctx, &ctx.wf.triggers, None);
    let caller_start = job_start(ctx, &ctx.wf.triggers, None);
    let permissions = job_permissions(ctx.job, ctx.wf, ctx.line);
    let inherit = ctx.job.get("secrets").and_then(Node::as_str) == Some("inherit");
    let secrets_passed: BTreeMap<String, String> = ctx
        .job
        .get("secrets")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| v.scalar_text().map(|t| (k.name.clone(), t)))
        .collect();
    let with: BTreeMap<String, String> = ctx
        .job
        .get("with")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| v.scalar_text().map(|t| (k.name.to_ascii_lowercase(), t)))
        .collect();

    if let Some((callee_file, callee)) = index.workflow(&ctx.file, target) {
        let callee_wf = WorkflowCtx::new(callee, &callee_file, "");
        let Some(jobs) = callee.get("jobs").filter(|j| j.is_map()) else {
            return;
        };
        let callee_jobs: HashMap<&str, &Node> = jobs
            .entries()
            .iter()
            .filter(|(_, j)| j.is_map())
            .map(|(k, j)| (k.name.as_str(), j))
            .collect();
        let agent_jobs: Vec<&(crate::doc::Key, Node)> = jobs
            .entries()
            .iter()
            .filter(|(_, j)| j.is_map() && j.get("uses").is_none())
            .collect();
        let caller = Caller {
            file: &ctx.file,
            wf: ctx.wf,
            job_name: ctx.name,
            job: ctx.job,
            line: ctx.line,
            column: ctx.column,
            starts: caller_starts,
            permissions,
            inherit,
            secrets: secrets_passed,
            with,
            several: agent_jobs.len() > 1,
        };
        for (key, job) in agent_jobs {
            let callee_ctx = JobCtx {
                file: callee_file.clone(),
                wf: &callee_wf,
                name: &key.name,
                line: key.line,
                column: key.column,
                job,
                jobs: &callee_jobs,
                caller: Some(&caller),
                lock_source: None,
                index,
            };
            analyse_job(&callee_ctx, fragment, index);
        }
        return;
    }

    // Not followed: report the call as an agent when it plainly is one.
    let known = cat.action(target);
    let lower = target.to_ascii_lowercase();
    let file = lower.split('@').next().unwrap_or(&lower);
    let named = AGENT_WORDS
        .iter()
        .any(|w| file.rsplit('/').next().is_some_and(|f| f.contains(w)));
    let mut refs = Vec::new();
    collect_refs(ctx.job, &mut refs);
    let llm_passed = refs
        .iter()
        .any(|r| secrets::hint_for_name(&r.name).is_some_and(|h| cat.is_llm_provider(h.provider)));
    if known.is_none() && !named && !llm_passed {
        return;
    }
    let (agent, provider, confidence) = match known {
        Some(e) => (e.agent.clone(), Some(e.provider.clone()), Confidence::High),
        None if named => ("AI agent".to_string(), None, Confidence::Medium),
        None => ("AI agent".to_string(), None, Confidence::Low),
    };
    let at = fragment.loc_of(uses_node);
    let local = target.starts_with("./");
    let how = if local {
        format!("calls the local workflow {target}, which was not scanned")
    } else {
        format!("calls the reusable workflow {target} in another repository, which was not read")
    };
    let hands_over = json!({
        "target": target,
        "permissions": permissions.perms.to_json(),
        "secrets": if inherit { json!("inherit") } else { json!(secrets_passed.keys().collect::<Vec<_>>()) },
    });
    let uses = vec![AgentUse {
        agent,
        provider,
        how,
        uses: Some(target.to_string()),
        pinned: is_sha_pinned(target) || local,
        at,
        step: None,
    }];
    let mut facts_extra = serde_json::Map::new();
    facts_extra.insert("unresolved_call".into(), hands_over);
    emit_agent(
        ctx,
        fragment,
        uses,
        confidence,
        &[],
        Some(facts_extra),
        caller_start,
    );
}

/// The token a job runs with.
#[derive(Clone)]
struct JobToken<'d> {
    /// Where its permissions come from: `job`, `workflow`, `default`, `caller`, …
    source: String,
    perms: TokenPermissions,
    /// The line that shows them (the block's key, else the job's).
    line: u32,
    /// The block, when it is the job's own or its workflow's, in the file being read.
    block: Option<&'d Node>,
}

/// The permissions a job's token gets: its block, else the workflow's, else the
/// default.
fn job_permissions<'d>(job: &'d Node, wf: &WorkflowCtx<'d>, line: u32) -> JobToken<'d> {
    let token = |source: &str, perms, line, block| JobToken {
        source: source.into(),
        perms,
        line,
        block,
    };
    match (job.entry("permissions"), wf.permissions) {
        (Some((k, v)), _) => token("job", TokenPermissions::parse(v), k.line, Some(v)),
        (None, Some((l, v))) if !v.is_null() => {
            token("workflow", TokenPermissions::parse(v), l, Some(v))
        }
        _ => token("default", TokenPermissions::Default, line, None),
    }
}

/// A called workflow's token: the caller's permissions, lowered by the callee's block
/// (a reusable workflow can only narrow what its caller grants).
fn called_permissions<'d>(
    caller: &Caller<'_>,
    job: &'d Node,
    wf: &WorkflowCtx<'d>,
    line: u32,
) -> JobToken<'d> {
    let own = job_permissions(job, wf, line);
    let granted = &caller.permissions;
    let (source, perms, line) = match (&granted.perms, &own.perms) {
        (g, TokenPermissions::Default) => ("caller".into(), g.clone(), granted.line),
        (TokenPermissions::Default, _) => (format!("{} (called)", own.source), own.perms, own.line),
        (g, o) => ("caller, narrowed".into(), g.intersect(o), own.line),
    };
    // The agent is the caller's job: a block in the called file is not where it is.
    JobToken {
        source,
        perms,
        line,
        block: None,
    }
}

/// Where `block` and each scope key in it are written.
fn permission_sites(file: &str, block: &Node) -> PermissionSites {
    let mut scopes = BTreeMap::new();
    for (k, _) in block.entries() {
        scopes
            .entry(k.name.clone())
            .or_insert_with(|| Location::file(file, k.line, k.column));
    }
    PermissionSites {
        block: Location::file(file, block.line, block.column),
        scopes,
    }
}

fn analyse_job(ctx: &JobCtx<'_>, fragment: &mut Fragment<'_>, index: &WorkflowIndex) {
    let cat = catalog();
    let job = ctx.job;
    let raw_steps = job.get("steps").map(Node::items).unwrap_or_default();
    let caller_inputs = ctx.caller.map(|c| c.with.clone()).unwrap_or_default();
    let mut expander = Expander::new(index);
    expander.expand(&ctx.file, raw_steps, &caller_inputs, None, 0);
    let steps = expander.out;

    // What makes this job an agent.
    let mut uses_found = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        if let Some(uses) = step.node.get("uses")
            && let Some(u) = uses.as_str()
            && let Some(entry) = cat.action(u)
        {
            uses_found.push(AgentUse {
                agent: entry.agent.clone(),
                provider: Some(entry.provider.clone()),
                how: match &step.via {
                    Some(via) => format!("runs {u} (inside the local action {via})"),
                    None => format!("runs {u}"),
                },
                uses: Some(u.to_string()),
                pinned: is_sha_pinned(u),
                at: Location::file(&step.file, uses.line, uses.column),
                step: Some(i),
            });
        }
        if let Some(run) = step.node.get("run")
            && let Some(script) = run.as_str()
        {
            if let Some(entry) = cat.command(script) {
                uses_found.push(AgentUse {
                    agent: entry.agent.clone(),
                    provider: None,
                    how: match &step.via {
                        Some(via) => format!(
                            "starts the {} CLI in a `run:` step of the local action {via}",
                            entry.agent
                        ),
                        None => format!("starts the {} CLI in a `run:` step", entry.agent),
                    },
                    uses: None,
                    pinned: false,
                    at: Location::file(&step.file, run.line, run.column),
                    step: Some(i),
                });
            } else if let Some(ep) = cat.endpoint_in(script)
                && let Some(agent) = &ep.agent
            {
                uses_found.push(AgentUse {
                    agent: agent.clone(),
                    provider: None,
                    how: format!("starts a {agent} session through its API ({})", ep.host),
                    uses: None,
                    pinned: false,
                    at: Location::file(&step.file, run.line, run.column),
                    step: Some(i),
                });
            }
        }
    }
    // GitHub runs the job named `copilot-setup-steps` before its coding agent starts.
    if ctx.name == "copilot-setup-steps" {
        uses_found.push(AgentUse {
            agent: "GitHub Copilot coding agent".into(),
            provider: Some("github".into()),
            how: "is the Copilot coding agent's setup job (copilot-setup-steps)".into(),
            uses: None,
            pinned: false,
            at: Location::file(&ctx.file, ctx.line, ctx.column),
            step: None,
        });
    }
    let token = match ctx.caller {
        Some(c) => called_permissions(c, job, ctx.wf, ctx.line),
        None => job_permissions(job, ctx.wf, ctx.line),
    };
    for (scope, level, agent) in &cat.agent_permissions {
        if token.perms.level_of(scope) >= Some(crate::policy::github::level_of_value(level)) {
            uses_found.push(AgentUse {
                agent: agent.clone(),
                provider: Some("github".into()),
                how: format!("asks for `{scope}: {level}`, which only an AI agent uses"),
                uses: None,
                pinned: false,
                at: Location::file(&ctx.file, token.line, 1),
                step: None,
            });
        }
    }

    // Secrets it receives.
    let refs = job_refs(ctx);
    for r in &refs {
        if let Some(agent) = cat.agent_of_secret(&r.name) {
            uses_found.push(AgentUse {
                agent: agent.to_string(),
                provider: None,
                how: format!("receives {}, the key of {agent}", r.name),
                uses: None,
                pinned: false,
                at: Location::file(&r.file, r.line, r.column),
                step: None,
            });
        }
    }
    // In gh-aw's compiled file only the agent and threat-detection jobs run the engine;
    // the others (activation, safe outputs, conclusion) pass its secrets around.
    if ctx.wf.lock && !matches!(ctx.name, "agent" | "detection") {
        uses_found.retain(|u| u.step.is_some());
        if uses_found.is_empty() {
            return;
        }
    }
    let llm_secrets: Vec<&SecretRef> = refs
        .iter()
        .filter(|r| {
            secrets::hint_for_name(&r.name).is_some_and(|h| cat.is_llm_provider(h.provider))
        })
        .collect();
    let confidence = if !uses_found.is_empty() {
        Confidence::High
    } else if !llm_secrets.is_empty() {
        Confidence::Medium
    } else {
        return;
    };
    let start = job_start(ctx, &effective_triggers(ctx), Some((&steps, &uses_found)));
    let mut extra = serde_json::Map::new();
    extra.insert(
        "untrusted_inputs".into(),
        Json::Array(untrusted_inputs(ctx, &steps, &uses_found)),
    );
    if let Some(c) = ctx.caller {
        extra.insert(
            "called_by".into(),
            json!({
                "file": c.file, "job": c.job_name, "workflow": ctx.file, "called_job": ctx.name,
                "secrets_passed": if c.inherit { json!("inherit") } else { json!(c.secrets.keys().collect::<Vec<_>>()) },
            }),
        );
    }
    if ctx.wf.lock {
        extra.extend(lock_facts(ctx));
    }
    emit_agent_with(
        ctx,
        fragment,
        uses_found,
        confidence,
        &llm_secrets,
        extra,
        start,
        token,
        &steps,
        &refs,
    );
}

/// The triggers of the run: the caller's for a called workflow.
fn effective_triggers(ctx: &JobCtx<'_>) -> Vec<String> {
    match ctx.caller {
        Some(c) => c.wf.triggers.clone(),
        None => ctx.wf.triggers.clone(),
    }
}

/// Who can start the job, event by event: what each trigger lets through, narrowed by
/// the job's `if:` for that event, the jobs it needs (their `if:`, a job that checks the
/// actor's permission) and the `if:` of its agent steps. Events for which a condition is
/// false are dropped.
fn event_starts(
    ctx: &JobCtx<'_>,
    triggers: &[String],
    agent: Option<(&[Step<'_>], &[AgentUse])>,
) -> Vec<(String, Start)> {
    let base: Vec<(String, Start)> = match ctx.caller {
        Some(c) => c.starts.clone(),
        None => triggers
            .iter()
            .map(|t| (t.clone(), trigger_start(ctx, t)))
            .collect(),
    };
    let cond = ctx.job.get("if");
    let cond_text = cond.and_then(Node::scalar_text);
    // With `always()`, only the needed jobs the condition still asks about hold it back
    // (`needs.x.result != 'skipped'`).
    let always = cond_text.as_deref().is_some_and(start::ignores_needs);
    let asked: Option<Vec<String>> = always.then(|| {
        static NEEDS: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"needs\.([A-Za-z0-9_-]+)\.").expect("static regex"));
        NEEDS
            .captures_iter(cond_text.as_deref().unwrap_or(""))
            .map(|c| c[1].to_string())
            .collect()
    });
    let gates = needs_gates(ctx, asked.as_deref());
    // A condition on the outputs of a needed job that checks the actor for some events
    // (a dispatcher routing comments by their author): whether an outsider's event yields
    // the output this job waits for depends on that job's script, so it is unknown.
    let router = cond_text
        .as_deref()
        .and_then(|text| router_job(ctx, text, triggers));
    let mut out = Vec::new();
    'event: for (event, mut s) in base {
        if let (Some(node), Some(text)) = (cond, cond_text.as_deref()) {
            match start::condition_for(text, Some(&event)) {
                start::Outcome::Never => continue,
                start::Outcome::Runs(Some((level, why))) => {
                    start::narrow(&mut s, level, format!("job {}: {why}", ctx.name), node.line)
                }
                start::Outcome::Runs(None) => {}
            }
        }
        {
            for gate in &gates {
                match gate {
                    Gate::Condition(job, text, line) => {
                        match start::condition_for(text, Some(&event)) {
                            // A needed job that does not run skips this one too.
                            start::Outcome::Never => continue 'event,
                            start::Outcome::Runs(Some((level, why))) => start::narrow(
                                &mut s,
                                level,
                                format!("needs job {job}: {why}"),
                                *line,
                            ),
                            start::Outcome::Runs(None) => {}
                        }
                    }
                    Gate::Check(job, level, why, line) => {
                        start::narrow(&mut s, *level, format!("needs job {job}: {why}"), *line)
                    }
                }
            }
        }
        if let Some(job) = &router
            && matches!(s.level, Some(Level::Anyone | Level::Contributors))
        {
            s = Start {
                level: None,
                reason: format!(
                    "{}; but job {} runs only when job {job} outputs what it waits for, and {job} checks the actor for some events: who can get that output is not in the file",
                    s.reason, ctx.name
                ),
                line: cond.map_or(ctx.line, |n| n.line),
                without_environment: None,
            };
        }
        if let Some((steps, uses)) = agent {
            let mut any_runs = uses.iter().all(|u| u.step.is_none());
            let mut narrowed: Option<(Level, String, u32)> = None;
            for u in uses {
                let Some(i) = u.step else { continue };
                let node = steps[i].node.get("if");
                let text = node.and_then(Node::scalar_text);
                match text
                    .as_deref()
                    .map(|t| start::condition_for(t, Some(&event)))
                {
                    None | Some(start::Outcome::Runs(None)) => {
                        any_runs = true;
                        narrowed = None;
                        break;
                    }
                    Some(start::Outcome::Runs(Some((level, why)))) => {
                        any_runs = true;
                        let line = node.map_or(0, |n| n.line);
                        if narrowed.as_ref().is_none_or(|n| level < n.0) {
                            narrowed = Some((level, format!("the {} step: {why}", u.agent), line));
                        }
                    }
                    Some(start::Outcome::Never) => {}
                }
            }
            if !any_runs {
                continue;
            }
            if let Some((level, why, line)) = narrowed {
                start::narrow(&mut s, level, why, line);
            }
        }
        out.push((event, s));
    }
    out
}

/// The needed job whose outputs `condition` tests, when that job checks the actor for at
/// least one of the triggers.
fn router_job(ctx: &JobCtx<'_>, condition: &str, triggers: &[String]) -> Option<String> {
    static OUTPUTS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"needs\.([A-Za-z0-9_-]+)\.outputs\.").expect("static regex"));
    OUTPUTS.captures_iter(condition).find_map(|c| {
        let name = c[1].to_string();
        let job = ctx.jobs.get(name.as_str())?;
        let gate = job.get("if").and_then(Node::scalar_text)?;
        triggers
            .iter()
            .any(|t| {
                matches!(
                    start::condition_for(&gate, Some(t)),
                    start::Outcome::Runs(Some(_))
                )
            })
            .then_some(name)
    })
}

/// What one trigger lets through. `workflow_run` is as open as the workflows it follows
/// when they are scanned (CI on pull requests: anyone, since forks start those runs).
fn trigger_start(ctx: &JobCtx<'_>, trigger: &str) -> Start {
    if trigger == "workflow_run" {
        let upstream = ctx
            .index
            .workflows_named(&ctx.file, &ctx.wf.after_workflows);
        if upstream.is_empty() {
            // Who starts the runs it follows is in a workflow that was not scanned.
            return Start {
                without_environment: None,
                level: None,
                reason: format!(
                    "workflow_run after {}, which is not among the scanned files",
                    if ctx.wf.after_workflows.is_empty() {
                        "other workflows".to_string()
                    } else {
                        ctx.wf.after_workflows.join(", ")
                    }
                ),
                line: ctx.wf.on_line,
            };
        }
        {
            let mut best: Option<(Level, String)> = None;
            for (name, triggers) in upstream {
                for t in triggers {
                    // A fork's pull request starts the upstream run, secrets or not.
                    let level = if t == "pull_request" {
                        Some((Level::Anyone, "pull requests from forks start it"))
                    } else {
                        start::trigger_level(&t)
                    };
                    if let Some((l, why)) = level
                        && best.as_ref().is_none_or(|b| l < b.0)
                    {
                        best = Some((
                            l,
                            format!("workflow_run after {name}, which {t} starts: {why}"),
                        ));
                    }
                }
            }
            if let Some((level, reason)) = best {
                return Start {
                    level: Some(level),
                    reason,
                    line: ctx.wf.on_line,
                    without_environment: None,
                };
            }
        }
    }
    start::from_triggers(std::slice::from_ref(&trigger.to_string()), ctx.wf.on_line)
}

/// Who can start the job: the most open of its events (see [`event_starts`]), then the
/// agent action's own actor check and the job's environment.
fn job_start(
    ctx: &JobCtx<'_>,
    triggers: &[String],
    agent: Option<(&[Step<'_>], &[AgentUse])>,
) -> Start {
    let events = event_starts(ctx, triggers, agent);
    // The most open event decides; an event whose starter is unknown hides what is
    // behind it unless a known one is already open to outsiders.
    let known = events
        .iter()
        .filter(|(_, s)| s.level.is_some())
        .min_by_key(|(_, s)| s.level);
    let unknown = events.iter().find(|(_, s)| s.level.is_none());
    let mut s = match (known, unknown) {
        (Some((_, k)), _) if k.level <= Some(Level::Contributors) => k.clone(),
        (_, Some((_, u))) => u.clone(),
        (Some((_, k)), None) => k.clone(),
        (None, None) => Start {
            level: None,
            reason: "its `if:` matches none of its triggers".into(),
            line: ctx.line,
            without_environment: None,
        },
    };
    if let Some((steps, uses)) = agent {
        for u in uses {
            let Some(i) = u.step else { continue };
            let step = &steps[i];
            let Some(entry) = u.uses.as_deref().and_then(|x| catalog().action(x)) else {
                continue;
            };
            if !entry.checks_writers {
                continue;
            }
            let mut opened: Option<(Level, String)> = None;
            for (input, how) in &entry.opened_by {
                let Some(value) = with_value(step, input) else {
                    continue;
                };
                let value = value.trim().to_string();
                match how {
                    Opener::List if value == "*" => {
                        opened = Some((
                            Level::Anyone,
                            format!("{input}: \"*\" opens it to any GitHub user"),
                        ));
                    }
                    Opener::List if !value.is_empty() => {
                        opened.get_or_insert((
                            Level::Writers,
                            format!("{input} adds the named accounts {value}"),
                        ));
                    }
                    Opener::Flag if value.eq_ignore_ascii_case("true") => {
                        opened = Some((
                            Level::Anyone,
                            format!("{input}: true turns off its permission check"),
                        ));
                    }
                    _ => {}
                }
            }
            let line = u.at.line();
            match opened {
                Some((Level::Anyone, why)) => {
                    // The action lets anyone through: nothing narrows, but say why.
                    if s.level == Some(Level::Anyone) {
                        s.reason = format!("{}; {} {why}", s.reason, entry.agent);
                    }
                }
                Some((level, why)) => {
                    start::narrow(&mut s, level, format!("{}: {why}", entry.agent), line)
                }
                None => start::narrow(
                    &mut s,
                    Level::Writers,
                    format!(
                        "{} lets only accounts with write access start it (its default check)",
                        entry.agent
                    ),
                    line,
                ),
            }
        }
    }
    if let Some(env) = ctx.job.get("environment")
        && matches!(s.level, Some(Level::Anyone | Level::Contributors))
    {
        s = Start {
            level: None,
            reason: format!(
                "{}; but it runs in the environment {}, whose required reviewers are not in the file",
                s.reason,
                environment(ctx.job).unwrap_or_default()
            ),
            line: env.line,
            without_environment: Some(Box::new(s.clone())),
        };
    }
    s
}

fn with_value(step: &Step<'_>, input: &str) -> Option<String> {
    step.node
        .get("with")?
        .entries()
        .iter()
        .find(|(k, _)| k.name.eq_ignore_ascii_case(input))
        .and_then(|(_, v)| v.scalar_text())
        .map(|t| substitute(&t, &step.inputs))
}

/// A guard from a job this job needs.
enum Gate {
    /// Its `if:` (judged event by event).
    Condition(String, String, u32),
    /// It checks the actor's permission, and this job waits for it.
    Check(String, Level, String, u32),
}

/// The guards of the jobs this job needs, transitively (of `only` and theirs, when set).
fn needs_gates(ctx: &JobCtx<'_>, only: Option<&[String]>) -> Vec<Gate> {
    let mut out = Vec::new();
    let mut queue: Vec<&str> = ctx
        .job
        .get("needs")
        .map(|n| n.strings())
        .unwrap_or_default();
    if let Some(only) = only {
        queue.retain(|n| only.iter().any(|o| o == n));
    }
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    while let Some(name) = queue.pop() {
        if !seen.insert(name) || seen.len() > 64 {
            continue;
        }
        let Some(job) = ctx.jobs.get(name) else {
            continue;
        };
        if let Some(node) = job.get("if")
            && let Some(text) = node.scalar_text()
        {
            out.push(Gate::Condition(name.to_string(), text, node.line));
        }
        for step in job.get("steps").map(Node::items).unwrap_or_default() {
            let texts: Vec<String> = [
                step.get("run"),
                step.get("with").and_then(|w| w.get("script")),
            ]
            .into_iter()
            .flatten()
            .filter_map(Node::scalar_text)
            .chain(env_values(step))
            .collect();
            if let Some(t) = texts.iter().find(|t| start::checks_permission(t)) {
                match roles_required(t) {
                    Some(r) if r.iter().any(|x| x == "all") => {}
                    Some(r) => out.push(Gate::Check(
                        name.to_string(),
                        Level::Writers,
                        format!("gh-aw lets only the roles {} trigger it", r.join(", ")),
                        step.line,
                    )),
                    None => out.push(Gate::Check(
                        name.to_string(),
                        Level::Writers,
                        "it checks the actor's permission before this job runs".into(),
                        step.line,
                    )),
                }
                break;
            }
        }
        queue.extend(job.get("needs").map(|n| n.strings()).unwrap_or_default());
    }
    out
}

fn env_values(step: &Node) -> Vec<String> {
    step.get("env")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| v.scalar_text().map(|t| format!("{}={t}", k.name)))
        .collect()
}

/// gh-aw's `GH_AW_REQUIRED_ROLES=admin,maintainer,write` in a gate step.
fn roles_required(text: &str) -> Option<Vec<String>> {
    let i = text.find("GH_AW_REQUIRED_ROLES=")?;
    let rest = &text[i + "GH_AW_REQUIRED_ROLES=".len()..];
    let value = rest
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches(['"', '\'']);
    Some(
        value
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

/// gh-aw lock facts: the Markdown source, its engine and safe outputs, and the job that
/// holds the write token the outputs are applied with.
fn lock_facts(ctx: &JobCtx<'_>) -> serde_json::Map<String, Json> {
    let mut m = serde_json::Map::new();
    let writer = ["safe_outputs", "safe-outputs", "conclusion"]
        .iter()
        .find_map(|n| ctx.jobs.get(n).map(|j| (*n, *j)));
    let writer_scopes: Vec<String> = writer
        .and_then(|(_, j)| j.get("permissions"))
        .map(|p| TokenPermissions::parse(p).scopes_at_least(AccessLevel::Write))
        .unwrap_or_default();
    let (source, outputs, roles, engine) = match ctx.lock_source {
        Some((md, fm)) => (
            Some(md.to_string()),
            ghaw::safe_outputs(fm),
            Some(ghaw::roles(fm).0),
            Some(ghaw::engine(fm).0),
        ),
        None => (None, Vec::new(), None, None),
    };
    m.insert(
        "gh_aw".into(),
        json!({
            "source": source,
            "lock": ctx.file,
            "role": if ctx.name == "detection" { "threat detection" } else { "agent" },
            "engine": engine,
            "roles": roles,
            "writer_job": writer.map(|(n, _)| n),
        }),
    );
    m.insert("safe_outputs".into(), Json::Array(outputs));
    m.insert("writes_through_safe_outputs".into(), json!(writer_scopes));
    m
}

/// The secrets a job receives: every `secrets.X` in the job and the workflow env, not
/// the ones only tested (`if: secrets.X != ''`). In a called workflow, `secrets.X` is
/// only what the caller hands over: its `secrets:` map and `with:` (already the
/// caller's names), and with `secrets: inherit` the callee's own references by name.
fn job_refs(ctx: &JobCtx<'_>) -> Vec<SecretRef> {
    let mut refs = Vec::new();
    collect_refs_in(&ctx.file, ctx.job, &mut refs);
    if let Some(env) = ctx.wf.env {
        collect_refs_in(&ctx.file, env, &mut refs);
    }
    let Some(c) = ctx.caller else { return refs };
    let mut out = Vec::new();
    collect_refs_in(c.file, c.job, &mut out);
    out.extend(
        refs.into_iter()
            .filter(|r| r.name == "GITHUB_TOKEN" || c.inherit),
    );
    out
}

fn emit_agent(
    ctx: &JobCtx<'_>,
    fragment: &mut Fragment<'_>,
    uses: Vec<AgentUse>,
    confidence: Confidence,
    llm_secrets: &[&SecretRef],
    extra: Option<serde_json::Map<String, Json>>,
    start: Start,
) {
    let perms = job_permissions(ctx.job, ctx.wf, ctx.line);
    let mut refs = Vec::new();
    collect_refs_in(&ctx.file, ctx.job, &mut refs);
    if let Some(env) = ctx.wf.env {
        collect_refs_in(&ctx.file, env, &mut refs);
    }
    emit_agent_with(
        ctx,
        fragment,
        uses,
        confidence,
        llm_secrets,
        extra.unwrap_or_default(),
        start,
        perms,
        &[],
        &refs,
    );
}

#[allow(clippy::too_many_arguments)]
fn emit_agent_with(
    ctx: &JobCtx<'_>,
    fragment: &mut Fragment<'_>,
    uses_found: Vec<AgentUse>,
    confidence: Confidence,
    llm_secrets: &[&SecretRef],
    extra: serde_json::Map<String, Json>,
    start: Start,
    token: JobToken<'_>,
    steps: &[Step<'_>],
    refs: &[SecretRef],
) {
    let cat = catalog();
    let agent_product = uses_found
        .first()
        .map(|u| u.agent.clone())
        .unwrap_or_else(|| "LLM API caller".into());
    // The agent is the job that runs: for a called workflow, the caller's job.
    let (agent_id, token_id, job_loc, label, job_label) = match ctx.caller {
        Some(c) => {
            let suffix = if c.several {
                format!("/{}", crate::doc::pointer_segment(ctx.name))
            } else {
                String::new()
            };
            let seg = crate::doc::pointer_segment(c.job_name);
            (
                format!("repo:{}#/jobs/{seg}{suffix}", c.file),
                format!("github-token:{}#/jobs/{seg}{suffix}", c.file),
                Location::file(c.file, c.line, c.column),
                c.wf.label(),
                if c.several {
                    format!("{} → {}", c.job_name, ctx.name)
                } else {
                    c.job_name.to_string()
                },
            )
        }
        None => {
            let seg = crate::doc::pointer_segment(ctx.name);
            (
                format!("repo:{}#/jobs/{seg}", ctx.file),
                format!("github-token:{}#/jobs/{seg}", ctx.file),
                Location::file(&ctx.file, ctx.line, ctx.column),
                ctx.wf.label(),
                ctx.name.to_string(),
            )
        }
    };
    let job_name = ctx.caller.map_or(ctx.name, |c| c.job_name);
    let mut evidence: Vec<Evidence> = uses_found
        .iter()
        .map(|u| Evidence::new(format!("job {} {}", ctx.name, u.how), Some(u.at.clone())))
        .collect();
    if let Some(c) = ctx.caller {
        evidence.push(Evidence::new(
            format!(
                "job {} calls {} ({} there), which runs with this job's triggers, permissions and secrets",
                c.job_name, ctx.file, ctx.name
            ),
            Some(Location::file(c.file, c.line, c.column)),
        ));
    }
    let calls_llm_api = steps.iter().any(|s| {
        s.node
            .get("run")
            .and_then(Node::as_str)
            .is_some_and(|r| cat.endpoint_in(r).is_some())
    });
    if uses_found.is_empty() {
        let names: Vec<&str> = llm_secrets.iter().map(|r| r.name.as_str()).collect();
        let how = if calls_llm_api {
            " and calls an LLM API"
        } else {
            ""
        };
        evidence.push(Evidence::new(
            format!(
                "job {} receives the LLM provider key(s) {}{how}",
                ctx.name,
                names.join(", ")
            ),
            Some(job_loc.clone()),
        ));
    }

    let JobToken {
        source: perm_source,
        perms,
        line: perm_line,
        block,
    } = token;
    let perm_loc = match ctx.caller {
        Some(_) if perm_source == "caller" => Location::file(
            ctx.caller.map_or(ctx.file.as_str(), |c| c.file),
            perm_line,
            1,
        ),
        _ => Location::file(&ctx.file, perm_line, 1),
    };
    add_token_identity(
        fragment,
        &token_id,
        &agent_id,
        &perms,
        &perm_source,
        &perm_loc,
    );
    if let Some(block) = block {
        fragment.permission_sites(&agent_id, permission_sites(&ctx.file, block));
    }

    // Credentials: secrets by name, OIDC, static cloud keys.
    let uses_app_token = steps.iter().any(|s| {
        s.node.get("uses").and_then(Node::as_str).is_some_and(|u| {
            u.contains("create-github-app-token") || u.contains("github-app-token")
        })
    });
    let mut secret_names = BTreeSet::new();
    let mut non_model = BTreeSet::new();
    let mut static_cloud_keys = BTreeSet::new();
    let mut pat_for_github = Vec::new();
    for r in refs {
        if r.name == "GITHUB_TOKEN" {
            continue;
        }
        secret_names.insert(r.name.clone());
        let hint = secrets::hint_for_name(&r.name);
        let (kind, provider) = hint.map_or(("secret", "unknown"), |h| (h.kind, h.provider));
        if !cat.is_llm_provider(provider) && cat.agent_of_secret(&r.name).is_none() {
            non_model.insert(r.name.clone());
        }
        let site = Site {
            name: r.assigned_to.as_deref(),
            line: r.line,
            column: r.column,
        };
        fragment.add_reference_at(
            Some(&agent_id),
            &r.file,
            site,
            RefSyntax::GithubSecret,
            &r.name,
            kind,
            provider,
        );
        if is_static_cloud_key(&r.name) {
            static_cloud_keys.insert(r.name.clone());
        }
        if let Some(to) = &r.assigned_to
            && matches!(
                to.to_ascii_lowercase().as_str(),
                "github_token" | "gh_token" | "github-token" | "token"
            )
            && !uses_app_token
        {
            pat_for_github.push(r.name.clone());
        }
    }
    let mut inputs: BTreeMap<String, String> = BTreeMap::new();
    let mut app_token_permissions = Vec::new();
    let mut app_token_apps = Vec::new();
    for s in steps {
        for (k, v) in s.node.get("with").map(Node::entries).unwrap_or_default() {
            if let Some(t) = v.scalar_text() {
                inputs.insert(k.name.to_ascii_lowercase(), substitute(&t, &s.inputs));
            }
        }
        let app = s.node.get("uses").and_then(Node::as_str).is_some_and(|u| {
            u.contains("create-github-app-token") || u.contains("github-app-token")
        });
        if app {
            for (k, v) in s.node.get("with").map(Node::entries).unwrap_or_default() {
                if let Some(scope) = k.name.strip_prefix("permission-") {
                    app_token_permissions
                        .push(format!("{scope}: {}", v.scalar_text().unwrap_or_default()));
                }
                // A literal app id joins the token to the app's installation.
                if matches!(k.name.as_str(), "app-id" | "app_id" | "client-id")
                    && let Some(id) = v.scalar_text().filter(|t| !t.contains("${{"))
                {
                    app_token_apps.push(id);
                }
            }
        }
    }
    let input = |k: &str| inputs.get(k).map(String::as_str);
    let role_to_assume: Vec<String> = input("role-to-assume")
        .map(str::to_string)
        .into_iter()
        .collect();
    for k in ["aws-access-key-id", "credentials_json", "creds"] {
        if let Some(v) = input(k)
            && !v.is_empty()
        {
            static_cloud_keys.insert(k.to_string());
        }
    }
    let federation: Vec<&str> = [
        "role-to-assume",
        "workload_identity_provider",
        "gcp_workload_identity_provider",
        "anthropic_federation_rule_id",
        "use_bedrock",
        "use_vertex",
    ]
    .into_iter()
    .filter(|k| input(k).is_some_and(|v| !v.is_empty() && v != "false"))
    .collect();
    let oidc = perms.level_of("id-token") == Some(AccessLevel::Write);

    let claude_args = input("claude_args").unwrap_or_default();
    let scripts: Vec<String> = steps.iter().filter_map(|s| step_text(s, "run")).collect();
    let mut dangerous = Vec::new();
    for flag in [
        "--dangerously-skip-permissions",
        "--dangerously-bypass-approvals-and-sandbox",
        "--yolo",
        "--full-auto",
        "--allow-all-tools",
    ] {
        if claude_args.contains(flag) || scripts.iter().any(|s| s.contains(flag)) {
            dangerous.push(flag.to_string());
        }
    }
    if let Some(s) = input("safety-strategy").filter(|s| *s == "unsafe") {
        dangerous.push(format!("safety-strategy: {s}"));
    }
    if let Some(s) = input("sandbox").filter(|s| s.contains("danger")) {
        dangerous.push(format!("sandbox: {s}"));
    }

    let triggers = effective_triggers(ctx);
    let untrusted: Vec<&String> = triggers
        .iter()
        .filter(|t| cat.untrusted_triggers.contains(t))
        .collect();
    let level = perms.max_level();
    let write_scopes = perms.scopes_at_least(AccessLevel::Write);
    let tools: Vec<Json> = uses_found
        .iter()
        .map(|u| json!({"agent": u.agent, "provider": u.provider, "uses": u.uses, "pinned": u.pinned, "line": u.at.line(), "file": u.at.path()}))
        .collect();

    let mut facts = serde_json::Map::new();
    facts.insert("workflow".into(), json!(label));
    facts.insert(
        "workflow_file".into(),
        json!(ctx.caller.map_or(ctx.file.as_str(), |c| c.file)),
    );
    facts.insert("job".into(), json!(job_name));
    facts.insert("product".into(), json!(agent_product));
    facts.insert("agent_steps".into(), Json::Array(tools));
    facts.insert("triggers".into(), json!(triggers));
    facts.insert("untrusted_triggers".into(), json!(untrusted));
    facts.insert(
        "after_workflows".into(),
        json!(
            ctx.caller
                .map_or(&ctx.wf.after_workflows, |c| &c.wf.after_workflows)
        ),
    );
    facts.insert("permissions_source".into(), json!(perm_source));
    facts.insert("permissions".into(), perms.to_json());
    facts.insert(
        "token_access_level".into(),
        json!(level.map_or("unknown", AccessLevel::as_str)),
    );
    facts.insert("write_scopes".into(), json!(write_scopes));
    facts.insert("token".into(), json!(token_id));
    facts.insert("oidc".into(), json!(oidc));
    facts.insert("federation".into(), json!(federation));
    facts.insert("role_to_assume".into(), json!(role_to_assume));
    facts.insert("static_cloud_keys".into(), json!(static_cloud_keys));
    facts.insert(
        "holds".into(),
        json!(holdings(
            &write_scopes,
            &secret_names,
            &role_to_assume,
            &static_cloud_keys
        )),
    );
    facts.insert("secrets".into(), json!(secret_names));
    facts.insert("non_model_secrets".into(), json!(non_model));
    let inherit = ctx.caller.map_or_else(
        || ctx.job.get("secrets").and_then(Node::as_str) == Some("inherit"),
        |c| c.inherit,
    );
    facts.insert("secrets_inherit".into(), json!(inherit));
    facts.insert("github_token_override".into(), json!(pat_for_github));
    facts.insert("app_token".into(), json!(uses_app_token));
    facts.insert("app_token_permissions".into(), json!(app_token_permissions));
    facts.insert("app_token_apps".into(), json!(app_token_apps));
    facts.insert("environment".into(), json!(environment(ctx.job)));
    facts.insert(
        "allowed_non_write_users".into(),
        json!(input("allowed_non_write_users")),
    );
    facts.insert("allowed_bots".into(), json!(input("allowed_bots")));
    facts.insert("dangerous_flags".into(), json!(dangerous));
    facts.insert("calls_llm_api".into(), json!(calls_llm_api));
    facts.insert(
        "calls".into(),
        json!(match ctx.caller {
            Some(_) => Some(ctx.file.as_str()),
            None => ctx.job.get("uses").and_then(Node::as_str),
        }),
    );
    insert_start(&mut facts, &start);
    for (k, v) in extra {
        facts.insert(k, v);
    }
    insert_defaults(&mut facts);
    fragment.agent(
        agent_id,
        format!("{agent_product} in {label} / {job_label}"),
        "github-workflow",
        confidence,
        evidence,
        job_loc,
        facts,
    );
}

/// `who_can_start` and the sentence and line that decide it.
pub(super) fn insert_start(facts: &mut serde_json::Map<String, Json>, s: &Start) {
    facts.insert("who_can_start".into(), json!(s.level_str()));
    facts.insert("who_can_start_reason".into(), json!(s.reason));
    facts.insert("who_can_start_line".into(), json!(s.line));
    if let Some(w) = &s.without_environment {
        facts.insert(
            "who_can_start_without_environment".into(),
            json!({"level": w.level_str(), "reason": w.reason}),
        );
    }
}

/// Facts every workflow agent has, so rule conditions can read them on any of them.
pub(super) fn insert_defaults(facts: &mut serde_json::Map<String, Json>) {
    for (k, v) in [
        ("agent_steps", json!([])),
        ("after_workflows", json!([])),
        ("untrusted_inputs", json!([])),
        ("oidc", json!(false)),
        ("federation", json!([])),
        ("role_to_assume", json!([])),
        ("static_cloud_keys", json!([])),
        ("secrets", json!([])),
        ("non_model_secrets", json!([])),
        ("secrets_inherit", json!(false)),
        ("github_token_override", json!([])),
        ("app_token", json!(false)),
        ("app_token_permissions", json!([])),
        ("app_token_apps", json!([])),
        ("environment", Json::Null),
        ("allowed_non_write_users", Json::Null),
        ("allowed_bots", Json::Null),
        ("dangerous_flags", json!([])),
        ("calls_llm_api", json!(false)),
        ("calls", Json::Null),
        ("safe_outputs", json!([])),
        ("holds", json!("")),
        ("writes_through_safe_outputs", json!([])),
    ] {
        facts.entry(k).or_insert(v);
    }
}

/// The model provider an engine's key belongs to.
pub(super) fn provider_of_engine(engine: &str) -> &'static str {
    match engine {
        "claude" => "anthropic",
        "codex" => "openai",
        "gemini" => "google",
        "copilot" => "github",
        _ => "unknown",
    }
}

/// Untrusted text (written by whoever opens an issue, comments, names a branch) that
/// reaches the agent: interpolated into its prompt input, its environment or command
/// line, or into a file an earlier step of the job writes. Only for runs that hold the
/// job's power: events other than `pull_request` (whose fork runs have no secrets).
fn untrusted_inputs(ctx: &JobCtx<'_>, steps: &[Step<'_>], uses: &[AgentUse]) -> Vec<Json> {
    let cat = catalog();
    let triggers = effective_triggers(ctx);
    // Text from the event is an outsider's only in runs they can start with the job's
    // power; text a step fetches (an issue by number) is its author's in any run.
    let powered = triggers.iter().any(|t| {
        t != "pull_request" && start::trigger_level(t).is_some_and(|(l, _)| l == Level::Anyone)
    });
    let mut taint = Tainter::new(ctx, steps);
    let mut out = Vec::new();
    let agent_steps: BTreeSet<usize> = uses.iter().filter_map(|u| u.step).collect();
    // A file written before the (last) agent step is there when the agent runs.
    let last_agent = agent_steps.iter().next_back().copied().unwrap_or(0);
    // The environment every step sees.
    for (scope, env) in [("workflow", ctx.wf.env), ("job", ctx.job.get("env"))] {
        for (k, v) in env.map(Node::entries).unwrap_or_default() {
            if let Some(text) = v.scalar_text()
                && let Some(src) = taint.source_in(&text, &BTreeMap::new())
            {
                out.push(json!({"source": src, "into": format!("the {scope} env var {}, which the agent process sees", k.name), "file": ctx.file, "line": v.line}));
            }
        }
    }
    for (i, step) in steps.iter().enumerate() {
        let is_agent = agent_steps.contains(&i);
        let entry = step
            .node
            .get("uses")
            .and_then(Node::as_str)
            .and_then(|u| cat.action(u));
        if is_agent {
            let product = uses
                .iter()
                .find(|u| u.step == Some(i))
                .map_or("the agent", |u| u.agent.as_str());
            for (k, v) in step.node.get("with").map(Node::entries).unwrap_or_default() {
                let key = k.name.to_ascii_lowercase();
                let prompt_like = entry.is_some_and(|e| e.prompt_inputs.contains(&key))
                    || ["prompt", "instruction", "message", "task", "query"]
                        .iter()
                        .any(|w| key.contains(w));
                if !prompt_like {
                    continue;
                }
                if let Some(text) = v.scalar_text()
                    && let Some(src) = taint.source_in(&text, &step.inputs)
                {
                    out.push(json!({"source": src, "into": format!("the `{}` input of {product}", k.name), "file": step.file, "line": v.line}));
                }
            }
            for (k, v) in step.node.get("env").map(Node::entries).unwrap_or_default() {
                if let Some(text) = v.scalar_text()
                    && let Some(src) = taint.source_in(&text, &step.inputs)
                {
                    out.push(json!({"source": src, "into": format!("the env var {} of the {product} step", k.name), "file": step.file, "line": v.line}));
                }
            }
            if let Some(run) = step.node.get("run")
                && let Some(text) = run.scalar_text()
                && let Some(src) = taint.source_in(&text, &step.inputs)
            {
                out.push(json!({"source": src, "into": format!("the command line that starts {product}"), "file": step.file, "line": run.line}));
            }
        } else if i < last_agent
            && let Some(run) = step.node.get("run")
            && let Some(text) = run.scalar_text()
            && writes_file(&text)
            && let Some(src) = taint
                .source_in(&text, &step.inputs)
                .or_else(|| taint.env_source(step, &text))
        {
            out.push(json!({"source": src, "into": format!("a file that step {} writes before the agent runs", step_name(step, i)), "file": step.file, "line": run.line}));
        }
        taint.learn(step, i);
    }
    out.retain(|e| powered || e["source"].as_str().is_some_and(|s| s.contains(FETCHED)));
    for entry in &mut out {
        let source = entry["source"].as_str().unwrap_or_default().to_string();
        entry["written_by"] = json!(written_by(&source));
    }
    out.sort_by_key(|a| a.to_string());
    out.dedup();
    out
}

/// Who writes the text of an untrusted context, in words.
fn written_by(source: &str) -> String {
    let field = |s: &str| {
        if s.contains(".title") {
            "title"
        } else if s.contains("head.ref")
            || s.contains("head_ref")
            || s.contains("head_branch")
            || s.contains("label")
        {
            "branch name"
        } else {
            "body"
        }
    };
    let what = if source.contains("github.event.comment") {
        "the comment, which anyone who can comment writes".to_string()
    } else if source.contains("github.event.issue") {
        format!(
            "the issue's {}, which anyone who can open an issue writes",
            field(source)
        )
    } else if source.contains("review") {
        "the review, which anyone who can review a pull request writes".to_string()
    } else if source.contains("pull_request") || source.contains("head_ref") {
        format!(
            "the pull request's {}, which anyone who opens one writes",
            field(source)
        )
    } else if source.contains("discussion") {
        format!(
            "the discussion's {}, which anyone who starts one writes",
            field(source)
        )
    } else if source.contains("commit") || source.contains("workflow_run") {
        "a commit message or branch name, which whoever pushed it chose".to_string()
    } else if source.contains(FETCHED) {
        return format!("{source}, which the issue's author wrote");
    } else if source.contains("pages") {
        "a wiki page name, which its editor chose".to_string()
    } else {
        "text its author wrote".to_string()
    };
    format!("{what} ({source})")
}

/// What the agent holds, in words, for messages.
fn holdings(
    write_scopes: &[String],
    secrets: &BTreeSet<String>,
    roles: &[String],
    static_keys: &BTreeSet<String>,
) -> String {
    let mut parts = Vec::new();
    if !write_scopes.is_empty() {
        parts.push(format!("write on {}", write_scopes.join(", ")));
    }
    if !secrets.is_empty() {
        parts.push(format!(
            "the secrets {}",
            secrets.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if !roles.is_empty() {
        parts.push(format!("the cloud role {}", roles.join(", ")));
    }
    if !static_keys.is_empty() {
        parts.push("static cloud keys".to_string());
    }
    if parts.is_empty() {
        "a read-only token".into()
    } else {
        parts.join("; ")
    }
}

fn step_name(step: &Step<'_>, i: usize) -> String {
    step.node
        .get("name")
        .or_else(|| step.node.get("id"))
        .and_then(Node::scalar_text)
        .unwrap_or_else(|| format!("#{}", i + 1))
}

/// A shell script that writes to a file (`>`, `>>`, `tee`) other than the runner's
/// step outputs and summary (step outputs are followed as such).
fn writes_file(script: &str) -> bool {
    static WRITE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?:^|[^0-9&>])>>?\s*"?([$A-Za-z0-9_./~{}-]+)|\btee\s+(?:-a\s+)?"?([$A-Za-z0-9_./~{}-]+)"#)
            .expect("static regex")
    });
    WRITE.captures_iter(script).any(|c| {
        let target = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
        !(target.contains("GITHUB_OUTPUT")
            || target.contains("GITHUB_STEP_SUMMARY")
            || target.starts_with("/dev/"))
    })
}

/// The source of text a step fetches (an issue by number), whatever started the run.
const FETCHED: &str = "the issue text a step fetches";

/// Which expressions carry untrusted text: contexts, and the outputs of steps and jobs
/// that read them.
struct Tainter<'a> {
    /// Step id → the untrusted source its outputs carry.
    steps: HashMap<String, String>,
    /// Job name → the source its outputs carry (jobs this one needs).
    jobs: HashMap<String, String>,
    ctx: &'a JobCtx<'a>,
}

impl<'a> Tainter<'a> {
    fn new(ctx: &'a JobCtx<'a>, _steps: &[Step<'_>]) -> Self {
        let mut jobs = HashMap::new();
        for name in ctx
            .job
            .get("needs")
            .map(|n| n.strings())
            .unwrap_or_default()
        {
            let Some(job) = ctx.jobs.get(name) else {
                continue;
            };
            let mut inner = Tainter {
                steps: HashMap::new(),
                jobs: HashMap::new(),
                ctx,
            };
            for (i, s) in job
                .get("steps")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                let step = Step {
                    file: ctx.file.clone(),
                    node: s,
                    inputs: BTreeMap::new(),
                    via: None,
                };
                inner.learn(&step, i);
            }
            for (_, v) in job.get("outputs").map(Node::entries).unwrap_or_default() {
                if let Some(text) = v.scalar_text()
                    && let Some(src) = inner.source_in(&text, &BTreeMap::new())
                {
                    jobs.insert(
                        name.to_string(),
                        format!("{src} (through job {name}'s outputs)"),
                    );
                    break;
                }
            }
        }
        Tainter {
            steps: HashMap::new(),
            jobs,
            ctx,
        }
    }

    /// Records a step whose outputs carry untrusted text: it reads some, or is a known
    /// fetcher of issue text.
    fn learn(&mut self, step: &Step<'_>, _i: usize) {
        let Some(id) = step.node.get("id").and_then(Node::scalar_text) else {
            return;
        };
        let mut texts: Vec<String> = Vec::new();
        for key in ["run", "with", "env"] {
            if let Some(n) = step.node.get(key) {
                collect_text(n, &mut texts);
            }
        }
        let fetcher = step
            .node
            .get("uses")
            .and_then(Node::as_str)
            .is_some_and(|u| catalog().is_content_fetcher(u));
        let from_text = texts.iter().find_map(|t| {
            self.source_in(t, &step.inputs)
                .or_else(|| self.env_source(step, t))
        });
        let src = from_text.or_else(|| fetcher.then(|| FETCHED.to_string()));
        if let Some(src) = src {
            self.steps.insert(
                id.to_ascii_lowercase(),
                format!("{src} (through step {id}'s outputs)"),
            );
        }
    }

    /// The untrusted source of the first tainted interpolation in `text`.
    fn source_in(&self, text: &str, inputs: &BTreeMap<String, String>) -> Option<String> {
        let text = substitute(text, inputs);
        for (_, inner) in expr::interpolations(&text) {
            for path in expression_paths(inner) {
                if let Some(c) = catalog().untrusted_context(&path) {
                    return Some(c.to_string());
                }
                let mut parts = path.splitn(3, '.');
                match (parts.next(), parts.next()) {
                    (Some("steps"), Some(id)) => {
                        if let Some(s) = self.steps.get(id) {
                            return Some(s.clone());
                        }
                    }
                    (Some("needs"), Some(job)) => {
                        if let Some(s) = self.jobs.get(job) {
                            return Some(s.clone());
                        }
                    }
                    (Some("env"), Some(var)) => {
                        if let Some(s) = self.env_var_source(var) {
                            return Some(s);
                        }
                    }
                    _ => {}
                }
            }
        }
        None
    }

    /// A script that reads `$VAR` where the step's (or job's) env sets VAR from
    /// untrusted text.
    fn env_source(&self, step: &Step<'_>, script: &str) -> Option<String> {
        for (k, v) in step.node.get("env").map(Node::entries).unwrap_or_default() {
            if (script.contains(&format!("${}", k.name))
                || script.contains(&format!("${{{}}}", k.name)))
                && let Some(text) = v.scalar_text()
                && let Some(src) = self.source_in(&text, &step.inputs)
            {
                return Some(format!("{src} (through the env var {})", k.name));
            }
        }
        None
    }

    fn env_var_source(&self, var: &str) -> Option<String> {
        for env in [self.ctx.job.get("env"), self.ctx.wf.env]
            .into_iter()
            .flatten()
        {
            for (k, v) in env.entries() {
                if k.name.eq_ignore_ascii_case(var)
                    && let Some(text) = v.scalar_text()
                {
                    for (_, inner) in expr::interpolations(&text) {
                        for p in expression_paths(inner) {
                            if let Some(c) = catalog().untrusted_context(&p) {
                                return Some(c.to_string());
                            }
                        }
                    }
                }
            }
        }
        None
    }
}

fn collect_text(node: &Node, out: &mut Vec<String>) {
    match &node.value {
        Value::String(s) => out.push(s.clone()),
        Value::Seq(items) => items.iter().for_each(|i| collect_text(i, out)),
        Value::Map(entries) => entries.iter().for_each(|(_, v)| collect_text(v, out)),
        _ => {}
    }
}

/// The context paths an expression reads (`github.event.issue.title`, `steps.x.outputs.y`).
fn expression_paths(inner: &str) -> Vec<String> {
    static PATH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[A-Za-z_][A-Za-z0-9_-]*(?:\s*(?:\.\s*[A-Za-z0-9_*-]+|\[\s*'[^']*'\s*\]|\[\s*\*\s*\]))*")
            .expect("static regex")
    });
    static INDEX: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\[\s*'([^']*)'\s*\]").expect("static regex"));
    let mut out = Vec::new();
    // `a['b']` is the path `a.b`; other strings are data, not paths: drop them.
    let dotted = INDEX.replace_all(inner, ".$1");
    let without_strings = strip_strings(&dotted);
    for m in PATH.find_iter(&without_strings) {
        let raw = m.as_str();
        let mut p = String::with_capacity(raw.len());
        for part in raw.split(['.', '[']) {
            let part = part.trim().trim_end_matches(']').trim().trim_matches('\'');
            if part.is_empty() {
                continue;
            }
            if !p.is_empty() {
                p.push('.');
            }
            p.push_str(&part.to_ascii_lowercase());
        }
        out.push(p);
    }
    out
}

/// Blanks the contents of `'…'` strings, keeping the quotes' positions.
fn strip_strings(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_str = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            if in_str && chars.peek() == Some(&'\'') {
                chars.next();
                out.push(' ');
                continue;
            }
            in_str = !in_str;
            out.push('\'');
        } else if in_str {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

pub(super) fn add_token_identity(
    fragment: &mut Fragment<'_>,
    token_id: &str,
    agent_id: &str,
    perms: &TokenPermissions,
    source: &str,
    at: &Location,
) {
    fragment.add_identity(Identity {
        id: token_id.to_string(),
        kind: "github-token".into(),
        provider: "github".into(),
        name: "GITHUB_TOKEN".into(),
        agents: vec![agent_id.to_string()],
        access_level: perms.max_level(),
        owner: None,
        human: false,
        created_at: None,
        last_used_at: None,
        expires_at: None,
        credentials: vec![token_id.to_string()],
        locations: vec![at.clone()],
        tags: Default::default(),
        facts: Default::default(),
    });
    fragment.push_credential(Credential {
        name: Some("GITHUB_TOKEN".into()),
        identity: Some(token_id.to_string()),
        locations: vec![at.clone()],
        ..Credential::new(
            token_id.to_string(),
            "github-token",
            "github",
            Lifetime::ShortLived,
            Storage::Platform,
            Confidence::High,
        )
    });
    for (scope, level) in perms.scopes() {
        fragment.add_grant(Grant {
            identity: token_id.to_string(),
            action: scope.to_string(),
            resource: "repository".into(),
            effect: Effect::Allow,
            access_level: level,
            source: format!("permissions ({source} block)"),
            location: Some(at.clone()),
        });
    }
    let evidence = match source {
        "default" => "runs with the repository's default GITHUB_TOKEN permissions".to_string(),
        s => format!("runs with the GITHUB_TOKEN permissions of its {s} block"),
    };
    fragment.hold(agent_id, token_id, evidence, at.clone());
}

fn environment(job: &Node) -> Option<String> {
    let env = job.get("environment")?;
    env.scalar_text()
        .or_else(|| env.get("name").and_then(Node::scalar_text))
}

fn is_sha_pinned(uses: &str) -> bool {
    uses.split_once('@')
        .is_some_and(|(_, r)| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_static_cloud_key(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    n.contains("AWS_ACCESS_KEY_ID")
        || n.contains("AWS_SECRET_ACCESS_KEY")
        || n == "AZURE_CREDENTIALS"
        || n.contains("GCP_SA_KEY")
        || n.contains("GCP_CREDENTIALS")
        || n.contains("GOOGLE_CREDENTIALS")
        || n.contains("SERVICE_ACCOUNT_KEY")
}

/// A `secrets.NAME` (or `github.token`) found in a job, with where and under which key.
pub(super) struct SecretRef {
    pub file: String,
    pub name: String,
    pub assigned_to: Option<String>,
    pub line: u32,
    pub column: u32,
}

static SECRET_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_-]*)|\[\s*['"]([A-Za-z_][A-Za-z0-9_-]*)['"]\s*\])|\bgithub\.token\b"#)
        .expect("static regex")
});

/// `secrets.X` compared with something (`secrets.X != ''`) is tested, not passed on.
static TESTED_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*(?:[!=]=|&&|\|\|)|^\s*\)\s*(?:[!=]=)"#).expect("static regex")
});

pub(super) fn collect_refs(node: &Node, out: &mut Vec<SecretRef>) {
    collect_refs_in("", node, out);
}

fn collect_refs_in(file: &str, node: &Node, out: &mut Vec<SecretRef>) {
    walk_strings(node, None, &mut |key, n, text| {
        if !text.contains("secrets") && !text.contains("github.token") {
            return;
        }
        // `if:` conditions only test secrets.
        if key == Some("if") {
            return;
        }
        for c in SECRET_RE.captures_iter(text) {
            let end = c.get(0).map_or(0, |m| m.end());
            let start = c.get(0).map_or(0, |m| m.start());
            let before = text[..start].trim_end();
            if TESTED_RE.is_match(&text[end..]) || before.ends_with("==") || before.ends_with("!=")
            {
                continue;
            }
            let name = c
                .get(1)
                .or_else(|| c.get(2))
                .map_or("GITHUB_TOKEN", |m| m.as_str());
            out.push(SecretRef {
                file: file.to_string(),
                name: name.to_string(),
                assigned_to: key.map(str::to_string),
                line: n.line,
                column: n.column,
            });
        }
    });
}

fn walk_strings<'n>(
    node: &'n Node,
    key: Option<&'n str>,
    f: &mut dyn FnMut(Option<&'n str>, &'n Node, &'n str),
) {
    match &node.value {
        Value::String(s) => f(key, node, s),
        Value::Seq(items) => items.iter().for_each(|i| walk_strings(i, key, f)),
        Value::Map(entries) => entries
            .iter()
            .for_each(|(k, v)| walk_strings(v, Some(k.name.as_str()), f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expression_paths_skip_strings() {
        assert_eq!(
            expression_paths("contains(github.event.comment.body, 'github.event.issue.title')"),
            ["contains", "github.event.comment.body"]
        );
        assert_eq!(
            expression_paths("github.event['issue'].title"),
            ["github.event.issue.title"]
        );
    }

    #[test]
    fn tested_secrets_are_not_held() {
        let doc = crate::doc::parse(
            "if: secrets.A != ''\nenv:\n  HAS: ${{ secrets.B != '' }}\n  KEY: ${{ secrets.C }}\n",
            Format::Yaml,
        )
        .unwrap();
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        let names: Vec<&str> = refs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["C"]);
    }

    #[test]
    fn file_writes() {
        assert!(writes_file("echo \"$BODY\" > prompt.txt"));
        assert!(writes_file("printf '%s' x | tee /tmp/p"));
        assert!(!writes_file("echo hi 2>&1"));
    }
}
