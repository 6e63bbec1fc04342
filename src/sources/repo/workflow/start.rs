//! Who can start a workflow agent with the credentials it holds: `anyone` (any GitHub
//! account), `contributors` (accounts with an earlier contribution, still outsiders),
//! `writers` (people with write access, or accounts and bots a workflow names as
//! trusted), `maintainers` (the owner, or a few named accounts), or `unknown`.
//!
//! The triggers give the start (an issue comment: anyone; a push: writers); each guard
//! can only narrow it: the `if:` of the job, of the agent's step and of the jobs it
//! `needs`, a gate job that checks the actor's permission, the agent action's own actor
//! check (claude-code-action, codex-action: write access unless opened up), gh-aw's
//! `roles`. A job with an `environment` that outsiders could otherwise start is
//! `unknown`: its required reviewers are not in the file.

use super::expr::{self, Expr};

/// How open an agent is, from most open to least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Anyone,
    Contributors,
    Writers,
    Maintainers,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Anyone => "anyone",
            Level::Contributors => "contributors",
            Level::Writers => "writers",
            Level::Maintainers => "maintainers",
        }
    }
}

/// The answer, with the sentence and line that decide it.
#[derive(Debug, Clone, PartialEq)]
pub struct Start {
    /// `None` is unknown.
    pub level: Option<Level>,
    pub reason: String,
    pub line: u32,
    /// When an environment made it unknown: what it is without the environment's
    /// reviewers (the GitHub source reads them and settles it).
    pub without_environment: Option<Box<Start>>,
}

impl Start {
    pub fn level_str(&self) -> &'static str {
        self.level.map_or("unknown", Level::as_str)
    }
}

/// Who a trigger lets start a run with the workflow's secrets and token.
pub fn trigger_level(trigger: &str) -> Option<(Level, &'static str)> {
    Some(match trigger {
        "issues" | "issue_comment" => (
            Level::Anyone,
            "any GitHub user can open or comment on an issue",
        ),
        "discussion" | "discussion_comment" => (
            Level::Anyone,
            "any GitHub user can start or answer a discussion",
        ),
        "pull_request_target" => (
            Level::Anyone,
            "pull_request_target runs for pull requests from any fork, with the repository's secrets",
        ),
        "pull_request_review" | "pull_request_review_comment" => (
            Level::Anyone,
            "any GitHub user can review or comment on a pull request",
        ),
        "watch" | "fork" => (
            Level::Anyone,
            "any GitHub user can star or fork the repository",
        ),
        "workflow_run" => (
            Level::Anyone,
            "workflow_run follows runs that pull requests from forks can start",
        ),
        "pull_request" => (
            Level::Writers,
            "pull requests from forks run without secrets and with a read-only token",
        ),
        "schedule" => (
            Level::Writers,
            "a schedule is set by those who can change the workflow",
        ),
        "workflow_dispatch" => (Level::Writers, "workflow_dispatch needs write access"),
        "repository_dispatch" => (
            Level::Writers,
            "repository_dispatch needs a token with write access",
        ),
        "push"
        | "create"
        | "delete"
        | "release"
        | "merge_group"
        | "deployment"
        | "deployment_status"
        | "page_build"
        | "registry_package"
        | "gollum"
        | "label"
        | "milestone"
        | "project"
        | "project_card"
        | "project_column"
        | "status"
        | "check_run"
        | "check_suite"
        | "branch_protection_rule"
        | "member"
        | "public" => (
            Level::Writers,
            "only people with write access cause this event",
        ),
        _ => return None,
    })
}

/// What the triggers alone allow: the most open of them. `workflow_call` alone (a
/// reusable workflow analysed on its own) is unknown: its callers decide.
pub fn from_triggers(triggers: &[String], line: u32) -> Start {
    let mut best: Option<(Level, String)> = None;
    let mut unknown = Vec::new();
    for t in triggers {
        match trigger_level(t) {
            Some((level, why)) if best.as_ref().is_none_or(|(b, _)| level < *b) => {
                best = Some((level, format!("{t}: {why}")));
            }
            Some(_) => {}
            None => unknown.push(t.as_str()),
        }
    }
    match best {
        Some((level, reason)) => Start {
            level: Some(level),
            reason,
            line,
            without_environment: None,
        },
        None => Start {
            level: None,
            reason: if unknown.is_empty() {
                "no trigger".into()
            } else {
                format!("started through {}", unknown.join(", "))
            },
            line,
            without_environment: None,
        },
    }
}

/// Narrows `start` by a guard that lets at most `level` through.
pub fn narrow(start: &mut Start, level: Level, reason: String, line: u32) {
    if let Some(current) = start.level
        && level > current
    {
        *start = Start {
            level: Some(level),
            reason,
            line,
            without_environment: None,
        };
    }
}

/// What a condition does for a run started by one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The condition is false for that event: the job does not run.
    Never,
    /// It runs; for actors of at least this level, or for anyone (`None`).
    Runs(Option<(Level, String)>),
}

/// What an `if:` condition requires of the actor of a run started by `event` (`None`:
/// for any event). A condition that cannot be read restricts nothing.
pub fn condition_for(condition: &str, event: Option<&str>) -> Outcome {
    match expr::parse(condition) {
        Some(e) => eval(&e, event),
        None => Outcome::Runs(None),
    }
}

/// What a condition requires of the actor, whatever the event.
#[cfg(test)]
pub fn condition_level(condition: &str) -> Option<(Level, String)> {
    match condition_for(condition, None) {
        Outcome::Runs(r) => r,
        Outcome::Never => None,
    }
}

fn eval(e: &Expr, event: Option<&str>) -> Outcome {
    use Outcome::{Never, Runs};
    match e {
        Expr::And(a, b) => match (eval(a, event), eval(b, event)) {
            (Never, _) | (_, Never) => Never,
            (Runs(x), Runs(y)) => Runs(narrowest(x, y)),
        },
        Expr::Or(a, b) => match (eval(a, event), eval(b, event)) {
            (Never, o) | (o, Never) => o,
            (Runs(Some(x)), Runs(Some(y))) => Runs(Some(if x.0 <= y.0 { x } else { y })),
            _ => Runs(None),
        },
        Expr::Not(inner) => match event_test(inner) {
            Some(events) => match event {
                Some(ev) if events.iter().any(|x| x == ev) => Never,
                _ => Runs(None),
            },
            // A negated check proves nothing about the actor.
            None => Runs(None),
        },
        _ => {
            if let Some((events, negated)) = event_test_signed(e) {
                return match event {
                    Some(ev) => {
                        let hit = events.iter().any(|x| x == ev);
                        if hit != negated { Runs(None) } else { Never }
                    }
                    None => Runs(None),
                };
            }
            Runs(restriction(e))
        }
    }
}

fn narrowest(x: Option<(Level, String)>, y: Option<(Level, String)>) -> Option<(Level, String)> {
    match (x, y) {
        (Some(a), Some(b)) => Some(if a.0 >= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// `github.event_name == 'x'` / `contains(fromJSON('[…]'), github.event_name)`: the
/// events it names.
fn event_test(e: &Expr) -> Option<Vec<String>> {
    match event_test_signed(e) {
        Some((events, false)) => Some(events),
        _ => None,
    }
}

/// Like [`event_test`], and whether the test is negated (`!=`).
fn event_test_signed(e: &Expr) -> Option<(Vec<String>, bool)> {
    match e {
        Expr::Cmp(op @ ("==" | "!="), a, b) => {
            let v = match (a.as_ref(), b.as_ref()) {
                (Expr::Path(p), Expr::Str(v)) | (Expr::Str(v), Expr::Path(p))
                    if p == "github.event_name" =>
                {
                    v
                }
                _ => return None,
            };
            Some((vec![v.to_ascii_lowercase()], *op == "!="))
        }
        Expr::Call(name, args) if name == "contains" && args.len() == 2 => {
            match (&args[0], &args[1]) {
                (Expr::Call(f, inner), Expr::Path(p))
                    if f == "fromjson" && p == "github.event_name" =>
                {
                    Some((
                        json_strings(inner.first()?)?
                            .iter()
                            .map(|s| s.to_ascii_lowercase())
                            .collect(),
                        false,
                    ))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The actor restriction of one comparison or call (`None`: anyone passes it).
fn restriction(e: &Expr) -> Option<(Level, String)> {
    match e {
        Expr::Cmp(op, a, b) => compare(op, a, b),
        Expr::Call(name, args) => call(name, args),
        Expr::And(..) | Expr::Or(..) | Expr::Not(..) => match eval(e, None) {
            Outcome::Runs(r) => r,
            Outcome::Never => None,
        },
        _ => None,
    }
}

/// Paths that hold the author association of the event's actor.
fn is_association(path: &str) -> bool {
    path.starts_with("github.event.") && path.ends_with(".author_association")
}

/// Paths that name the account that caused the event.
fn is_actor(path: &str) -> bool {
    matches!(
        path,
        "github.actor" | "github.triggering_actor" | "github.event.sender.login"
    ) || (path.starts_with("github.event.")
        && (path.ends_with(".user.login") || path.ends_with(".author.login")))
}

/// The level of an author association value.
fn association_level(value: &str) -> Level {
    match value.to_ascii_uppercase().as_str() {
        "OWNER" => Level::Maintainers,
        "MEMBER" | "COLLABORATOR" => Level::Writers,
        "CONTRIBUTOR" | "FIRST_TIME_CONTRIBUTOR" | "FIRST_TIMER" => Level::Contributors,
        _ => Level::Anyone,
    }
}

fn compare(op: &str, a: &Expr, b: &Expr) -> Option<(Level, String)> {
    let (path, value) = match (a, b) {
        (Expr::Path(p), v) | (v, Expr::Path(p)) => (p.as_str(), v),
        _ => return None,
    };
    match (op, value) {
        ("==", Expr::Str(v)) if is_association(path) => {
            let level = association_level(v);
            (level > Level::Anyone).then(|| {
                (
                    level,
                    format!("the `if:` allows only author association {v}"),
                )
            })
        }
        ("!=", Expr::Str(v)) if is_association(path) && v.eq_ignore_ascii_case("NONE") => Some((
            Level::Contributors,
            "the `if:` turns away authors with no association (NONE), not first-time contributors"
                .into(),
        )),
        ("==", Expr::Str(v)) if is_actor(path) => {
            let level = if v.ends_with("[bot]") {
                Level::Writers
            } else {
                Level::Maintainers
            };
            Some((level, format!("the `if:` allows only the account {v}")))
        }
        ("==", Expr::Path(other)) if is_actor(path) && other == "github.repository_owner" => {
            Some((
                Level::Maintainers,
                "the `if:` allows only the repository owner".into(),
            ))
        }
        ("==", Expr::Path(other))
            if (path == "github.event.pull_request.head.repo.full_name"
                && other == "github.repository")
                || (other == "github.event.pull_request.head.repo.full_name"
                    && path == "github.repository") =>
        {
            Some((
                Level::Writers,
                "the `if:` skips pull requests from forks".into(),
            ))
        }
        ("==", Expr::Literal(v))
            if path == "github.event.pull_request.head.repo.fork" && v == "false" =>
        {
            Some((
                Level::Writers,
                "the `if:` skips pull requests from forks".into(),
            ))
        }
        ("==", Expr::Str(v)) if path == "github.event.label.name" => Some((
            Level::Writers,
            format!("the `if:` needs the label {v}, which only triagers and writers can set"),
        )),
        _ => None,
    }
}

fn call(name: &str, args: &[Expr]) -> Option<(Level, String)> {
    if name != "contains" || args.len() != 2 {
        return None;
    }
    match (&args[0], &args[1]) {
        // contains(fromJSON('["OWNER","MEMBER"]'), …author_association), where the second
        // argument may be `a || b || c` over the associations of several events.
        (Expr::Call(f, inner), second) if f == "fromjson" && all_associations(second) => {
            let values = json_strings(inner.first()?)?;
            let level = values.iter().map(|v| association_level(v)).min()?;
            (level > Level::Anyone).then(|| {
                (
                    level,
                    format!(
                        "the `if:` allows only author associations {}",
                        values.join(", ")
                    ),
                )
            })
        }
        // contains('["alice","bob"]', github.actor) or contains(fromJSON(...), github.actor)
        (list, Expr::Path(p)) if is_actor(p) => {
            let values = match list {
                Expr::Call(f, inner) if f == "fromjson" => json_strings(inner.first()?)?,
                Expr::Str(s) => vec![s.clone()],
                _ => return None,
            };
            Some((
                Level::Maintainers,
                format!("the `if:` allows only the accounts {}", values.join(", ")),
            ))
        }
        // contains(github.event.issue.labels.*.name, 'x')
        (Expr::Path(p), Expr::Str(label)) if p.ends_with("labels.*.name") => Some((
            Level::Writers,
            format!("the `if:` needs the label {label}, which only triagers and writers can set"),
        )),
        _ => None,
    }
}

/// An association path, or an `||` of them.
fn all_associations(e: &Expr) -> bool {
    match e {
        Expr::Path(p) => is_association(p),
        Expr::Or(a, b) => all_associations(a) && all_associations(b),
        _ => false,
    }
}

fn json_strings(e: &Expr) -> Option<Vec<String>> {
    let Expr::Str(s) = e else { return None };
    serde_json::from_str::<Vec<String>>(s).ok()
}

/// True when a condition runs the job even if a job it needs was skipped or failed, so
/// the needed job's guard does not hold it back.
pub fn ignores_needs(condition: &str) -> bool {
    let lower = condition.to_ascii_lowercase();
    ["always()", "failure()", "cancelled()"]
        .iter()
        .any(|f| lower.contains(f))
}

/// Markers of a step that checks the actor's permission (a gate job): the REST call or
/// its github-script and CLI spellings.
pub fn checks_permission(script: &str) -> bool {
    let lower = script.to_ascii_lowercase();
    [
        "getcollaboratorpermissionlevel",
        "/collaborators/",
        "checkcollaborator",
        "repos.checkcollaborator",
        "teams.getmembershipforuserinorg",
        "author_association",
        "gh_aw_required_roles",
    ]
    .iter()
    .any(|m| lower.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(cond: &str) -> Option<Level> {
        condition_level(cond).map(|(l, _)| l)
    }

    #[test]
    fn triggers_give_the_start() {
        let s = from_triggers(&["push".into(), "issue_comment".into()], 1);
        assert_eq!(s.level, Some(Level::Anyone));
        assert!(s.reason.starts_with("issue_comment"));
        assert_eq!(
            from_triggers(&["pull_request".into()], 1).level,
            Some(Level::Writers)
        );
        assert_eq!(from_triggers(&["workflow_call".into()], 1).level, None);
    }

    #[test]
    fn conditions_per_event() {
        let cond = "(github.event_name == 'workflow_dispatch' && github.event.inputs.x == '') || github.event_name == 'schedule'";
        assert_eq!(
            condition_for(cond, Some("pull_request_target")),
            Outcome::Never
        );
        assert_eq!(condition_for(cond, Some("schedule")), Outcome::Runs(None));
        let devin = "(github.event_name == 'issue_comment' && contains(github.event.comment.body, '/devin')) || (github.event_name == 'pull_request_review' && contains(github.event.review.body, '/devin'))";
        assert_eq!(
            condition_for(devin, Some("issue_comment")),
            Outcome::Runs(None)
        );
        assert_eq!(condition_for(devin, Some("push")), Outcome::Never);
        assert_eq!(
            condition_for("github.event_name != 'workflow_run'", Some("workflow_run")),
            Outcome::Never
        );
        let guarded = "github.event_name == 'issue_comment' && github.event.comment.author_association == 'MEMBER'";
        assert!(matches!(
            condition_for(guarded, Some("issue_comment")),
            Outcome::Runs(Some((Level::Writers, _)))
        ));
    }

    #[test]
    fn conditions_narrow() {
        assert_eq!(
            level(
                "contains(fromJSON('[\"OWNER\",\"MEMBER\",\"COLLABORATOR\"]'), github.event.comment.author_association)"
            ),
            Some(Level::Writers)
        );
        assert_eq!(
            level("github.event.comment.author_association == 'OWNER'"),
            Some(Level::Maintainers)
        );
        assert_eq!(
            level("github.actor == 'zachmayer'"),
            Some(Level::Maintainers)
        );
        assert_eq!(
            level(
                "github.event.sender.login == github.repository_owner || github.event.sender.login == 'jd-botvin[bot]'"
            ),
            Some(Level::Writers)
        );
        assert_eq!(
            level("contains(github.event.comment.body, '@claude')"),
            None
        );
        // An `||` with an open branch restricts nothing.
        assert_eq!(
            level(
                "github.event.comment.author_association == 'OWNER' || contains(github.event.comment.body, 'x')"
            ),
            None
        );
        // `&&` takes the narrowest.
        assert_eq!(
            level(
                "contains(github.event.comment.body, '@claude') && github.event.pull_request.head.repo.full_name == github.repository"
            ),
            Some(Level::Writers)
        );
        assert_eq!(level("github.event.sender.type != 'Bot'"), None);
        assert_eq!(level("!(github.actor == 'x')"), None);
        assert_eq!(
            level("contains(github.event.issue.labels.*.name, 'ai-ok')"),
            Some(Level::Writers)
        );
        assert_eq!(
            level(
                "contains(fromJSON('[\"OWNER\", \"MEMBER\"]'), github.event.comment.author_association || github.event.review.author_association)"
            ),
            Some(Level::Writers)
        );
    }
}
