//! Who can start a job: its triggers, narrowed event by event by its `if:`, the jobs
//! it needs, its agent steps' conditions, the agent action's own actor check and its
//! environment (the levels and conditions are in [`super::start`]).

use super::*;

/// Who can start the job, event by event: what each trigger lets through, narrowed by
/// the job's `if:` for that event, the jobs it needs (their `if:`, a job that checks the
/// actor's permission) and the `if:` of its agent steps. Events for which a condition is
/// false are dropped.
pub(super) fn event_starts(
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
pub(super) fn router_job(ctx: &JobCtx<'_>, condition: &str, triggers: &[String]) -> Option<String> {
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
pub(super) fn trigger_start(ctx: &JobCtx<'_>, trigger: &str) -> Start {
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
pub(super) fn job_start(
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

pub(super) fn with_value(step: &Step<'_>, input: &str) -> Option<String> {
    step.node
        .get("with")?
        .entries()
        .iter()
        .find(|(k, _)| k.name.eq_ignore_ascii_case(input))
        .and_then(|(_, v)| v.scalar_text())
        .map(|t| substitute(&t, &step.inputs))
}

/// A guard from a job this job needs.
pub(super) enum Gate {
    /// Its `if:` (judged event by event).
    Condition(String, String, u32),
    /// It checks the actor's permission, and this job waits for it.
    Check(String, Level, String, u32),
}

/// The guards of the jobs this job needs, transitively (of `only` and theirs, when set).
pub(super) fn needs_gates(ctx: &JobCtx<'_>, only: Option<&[String]>) -> Vec<Gate> {
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

pub(super) fn env_values(step: &Node) -> Vec<String> {
    step.get("env")
        .map(Node::entries)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| v.scalar_text().map(|t| format!("{}={t}", k.name)))
        .collect()
}
