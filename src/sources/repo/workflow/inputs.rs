//! Untrusted text that reaches an agent: event contexts and the step and job outputs
//! that carry them, into its prompt, environment, command line or a file it reads.

use super::*;

/// Untrusted text (written by whoever opens an issue, comments, names a branch) that
/// reaches the agent: interpolated into its prompt input, its environment or command
/// line, or into a file an earlier step of the job writes. Only for runs that hold the
/// job's power: events other than `pull_request` (whose fork runs have no secrets).
pub(super) fn untrusted_inputs(
    ctx: &JobCtx<'_>,
    steps: &[Step<'_>],
    uses: &[AgentUse],
) -> Vec<Json> {
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
pub(super) fn written_by(source: &str) -> String {
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

pub(super) fn step_name(step: &Step<'_>, i: usize) -> String {
    step.node
        .get("name")
        .or_else(|| step.node.get("id"))
        .and_then(Node::scalar_text)
        .unwrap_or_else(|| format!("#{}", i + 1))
}

/// The source of text a step fetches (an issue by number), whatever started the run.
const FETCHED: &str = "the issue text a step fetches";

/// Which expressions carry untrusted text: contexts, and the outputs of steps and jobs
/// that read them.
pub(super) struct Tainter<'a> {
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

pub(super) fn collect_text(node: &Node, out: &mut Vec<String>) {
    match &node.value {
        Value::String(s) => out.push(s.clone()),
        Value::Seq(items) => items.iter().for_each(|i| collect_text(i, out)),
        Value::Map(entries) => entries.iter().for_each(|(_, v)| collect_text(v, out)),
        _ => {}
    }
}

/// The context paths an expression reads (`github.event.issue.title`, `steps.x.outputs.y`).
pub(super) fn expression_paths(inner: &str) -> Vec<String> {
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
pub(super) fn strip_strings(s: &str) -> String {
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
}
