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

mod agent;
pub mod expr;
pub mod ghaw;
mod index;
mod inputs;
mod permissions;
mod refs;
mod scripts;
pub mod start;
mod starters;
mod uses;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value as Json, json};

use agent::{
    emit_agent, emit_agent_with, environment, insert_defaults, insert_start, provider_of_engine,
};
pub use index::{WorkflowFile, WorkflowIndex};
use inputs::untrusted_inputs;
use permissions::{
    JobToken, add_token_identity, called_permissions, job_permissions, permission_sites,
};
use refs::{SecretRef, collect_refs, collect_refs_in, job_refs};
use scripts::{dangerous_flags, roles_required, writes_file};
use start::{Level, Start};
use starters::{event_starts, job_start};
use uses::{permission_uses, secret_uses, setup_job_use, step_uses};

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

fn analyse_job(ctx: &JobCtx<'_>, fragment: &mut Fragment<'_>, index: &WorkflowIndex) {
    let steps = expand_steps(ctx, index);
    let token = match ctx.caller {
        Some(c) => called_permissions(c, ctx.job, ctx.wf, ctx.line),
        None => job_permissions(ctx.job, ctx.wf, ctx.line),
    };
    let refs = job_refs(ctx);
    let mut uses_found = step_uses(&steps);
    uses_found.extend(setup_job_use(ctx));
    uses_found.extend(permission_uses(ctx, &token));
    uses_found.extend(secret_uses(&refs));
    // In gh-aw's compiled file only the agent and threat-detection jobs run the engine;
    // the others (activation, safe outputs, conclusion) pass its secrets around.
    if ctx.wf.lock && !matches!(ctx.name, "agent" | "detection") {
        uses_found.retain(|u| u.step.is_some());
        if uses_found.is_empty() {
            return;
        }
    }
    let llm_secrets = llm_secrets(&refs);
    let Some(confidence) = confidence(&uses_found, &llm_secrets) else {
        return;
    };
    let start = job_start(ctx, &effective_triggers(ctx), Some((&steps, &uses_found)));
    let extra = job_extra(ctx, &steps, &uses_found);
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

/// The job's steps, local composite actions expanded with the inputs passed to them
/// (a called workflow's with the caller's `with:`).
fn expand_steps<'a>(ctx: &JobCtx<'a>, index: &'a WorkflowIndex) -> Vec<Step<'a>> {
    let raw_steps = ctx.job.get("steps").map(Node::items).unwrap_or_default();
    let caller_inputs = ctx.caller.map(|c| c.with.clone()).unwrap_or_default();
    let mut expander = Expander::new(index);
    expander.expand(&ctx.file, raw_steps, &caller_inputs, None, 0);
    expander.out
}

/// The secrets that are a model provider's key.
fn llm_secrets(refs: &[SecretRef]) -> Vec<&SecretRef> {
    let cat = catalog();
    refs.iter()
        .filter(|r| {
            secrets::hint_for_name(&r.name).is_some_and(|h| cat.is_llm_provider(h.provider))
        })
        .collect()
}

/// How sure the job is an agent: high when something runs one, medium when it only
/// receives a model provider's key, none (not an agent) otherwise.
fn confidence(uses_found: &[AgentUse], llm_secrets: &[&SecretRef]) -> Option<Confidence> {
    if !uses_found.is_empty() {
        Some(Confidence::High)
    } else if !llm_secrets.is_empty() {
        Some(Confidence::Medium)
    } else {
        None
    }
}

/// Facts of an analysed job beyond its agent's: untrusted inputs, its caller, gh-aw's.
fn job_extra(
    ctx: &JobCtx<'_>,
    steps: &[Step<'_>],
    uses_found: &[AgentUse],
) -> serde_json::Map<String, Json> {
    let mut extra = serde_json::Map::new();
    extra.insert(
        "untrusted_inputs".into(),
        Json::Array(untrusted_inputs(ctx, steps, uses_found)),
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
    extra
}

/// The triggers of the run: the caller's for a called workflow.
fn effective_triggers(ctx: &JobCtx<'_>) -> Vec<String> {
    match ctx.caller {
        Some(c) => c.wf.triggers.clone(),
        None => ctx.wf.triggers.clone(),
    }
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

fn is_sha_pinned(uses: &str) -> bool {
    uses.split_once('@')
        .is_some_and(|(_, r)| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Runs `f` on job `name` of the workflow `yaml`, read on its own as `w.yml`.
#[cfg(test)]
fn with_job(yaml: &str, name: &str, f: impl FnOnce(&JobCtx<'_>)) {
    let doc = crate::doc::parse(yaml, Format::Yaml).unwrap();
    let wf = WorkflowCtx::new(&doc, "w.yml", yaml);
    let (key, job) = doc
        .get("jobs")
        .and_then(|j| j.entries().iter().find(|(k, _)| k.name == name))
        .unwrap();
    let jobs = HashMap::new();
    let index = WorkflowIndex::default();
    f(&JobCtx {
        file: "w.yml".into(),
        wf: &wf,
        name,
        line: key.line,
        column: key.column,
        job,
        jobs: &jobs,
        caller: None,
        lock_source: None,
        index: &index,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_is_sure_when_something_runs_it() {
        let yaml = "on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - uses: anthropics/claude-code-action@v1\n        with:\n          anthropic_api_key: ${{ secrets.ANTHROPIC_API_KEY }}\n";
        with_job(yaml, "j", |ctx| {
            let steps = expand_steps(ctx, ctx.index);
            assert_eq!(steps.len(), 1);
            let refs = job_refs(ctx);
            let llm = llm_secrets(&refs);
            assert_eq!(llm.len(), 1);
            assert_eq!(llm[0].name, "ANTHROPIC_API_KEY");
            assert_eq!(confidence(&step_uses(&steps), &llm), Some(Confidence::High));
            assert_eq!(confidence(&[], &llm), Some(Confidence::Medium));
            assert_eq!(confidence(&[], &[]), None);
            let extra = job_extra(ctx, &steps, &step_uses(&steps));
            assert_eq!(extra.keys().collect::<Vec<_>>(), ["untrusted_inputs"]);
        });
    }
}
