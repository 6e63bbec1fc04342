//! What makes a job an agent: a step that runs a catalogued action, CLI or API, the
//! Copilot setup job, a token scope only agents ask for, an agent's own key.

use super::*;

/// The steps that run an agent: a catalogued action, or a `run:` script that starts an
/// agent's CLI or a session through its API.
pub(super) fn step_uses(steps: &[Step<'_>]) -> Vec<AgentUse> {
    let cat = catalog();
    let mut out = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        if let Some(uses) = step.node.get("uses")
            && let Some(u) = uses.as_str()
            && let Some(entry) = cat.action(u)
        {
            out.push(AgentUse {
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
            out.extend(script_use(step, i, run, script));
        }
    }
    out
}

/// A `run:` script that starts an agent's CLI, else one that starts a session through
/// its API.
fn script_use(step: &Step<'_>, i: usize, run: &Node, script: &str) -> Option<AgentUse> {
    let cat = catalog();
    let (agent, how) = if let Some(entry) = cat.command(script) {
        let how = match &step.via {
            Some(via) => format!(
                "starts the {} CLI in a `run:` step of the local action {via}",
                entry.agent
            ),
            None => format!("starts the {} CLI in a `run:` step", entry.agent),
        };
        (entry.agent.clone(), how)
    } else {
        let ep = cat.endpoint_in(script)?;
        let agent = ep.agent.as_ref()?;
        let how = format!("starts a {agent} session through its API ({})", ep.host);
        (agent.clone(), how)
    };
    Some(AgentUse {
        agent,
        provider: None,
        how,
        uses: None,
        pinned: false,
        at: Location::file(&step.file, run.line, run.column),
        step: Some(i),
    })
}

/// GitHub runs the job named `copilot-setup-steps` before its coding agent starts.
pub(super) fn setup_job_use(ctx: &JobCtx<'_>) -> Option<AgentUse> {
    (ctx.name == "copilot-setup-steps").then(|| AgentUse {
        agent: "GitHub Copilot coding agent".into(),
        provider: Some("github".into()),
        how: "is the Copilot coding agent's setup job (copilot-setup-steps)".into(),
        uses: None,
        pinned: false,
        at: Location::file(&ctx.file, ctx.line, ctx.column),
        step: None,
    })
}

/// Token scopes only an AI agent asks for (`copilot-requests: write`, …).
pub(super) fn permission_uses(ctx: &JobCtx<'_>, token: &JobToken<'_>) -> Vec<AgentUse> {
    catalog()
        .agent_permissions
        .iter()
        .filter(|(scope, level, _)| {
            token.perms.level_of(scope) >= Some(crate::policy::github::level_of_value(level))
        })
        .map(|(scope, level, agent)| AgentUse {
            agent: agent.clone(),
            provider: Some("github".into()),
            how: format!("asks for `{scope}: {level}`, which only an AI agent uses"),
            uses: None,
            pinned: false,
            at: Location::file(&ctx.file, token.line, 1),
            step: None,
        })
        .collect()
}

/// Secrets that are an agent's own key (not a model provider's).
pub(super) fn secret_uses(refs: &[SecretRef]) -> Vec<AgentUse> {
    let cat = catalog();
    refs.iter()
        .filter_map(|r| {
            let agent = cat.agent_of_secret(&r.name)?;
            Some(AgentUse {
                agent: agent.to_string(),
                provider: None,
                how: format!("receives {}, the key of {agent}", r.name),
                uses: None,
                pinned: false,
                at: Location::file(&r.file, r.line, r.column),
                step: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = "on: issue_comment\npermissions:\n  copilot-requests: write\njobs:\n  copilot-setup-steps:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - uses: anthropics/claude-code-action@0123456789abcdef0123456789abcdef01234567\n      - run: npx @openai/codex exec hi\n      - run: echo done\n";

    #[test]
    fn steps_that_run_an_agent() {
        with_job(JOB, "copilot-setup-steps", |ctx| {
            let steps = expand_steps(ctx, ctx.index);
            let uses = step_uses(&steps);
            let seen: Vec<(Option<usize>, String, u32, bool)> = uses
                .iter()
                .map(|u| (u.step, u.how.clone(), u.at.line(), u.pinned))
                .collect();
            assert_eq!(
                seen,
                [
                    (
                        Some(1),
                        "runs anthropics/claude-code-action@0123456789abcdef0123456789abcdef01234567".to_string(),
                        9,
                        true
                    ),
                    (
                        Some(2),
                        "starts the Codex CLI in a `run:` step".to_string(),
                        10,
                        false
                    ),
                ]
            );
        });
    }

    #[test]
    fn the_setup_job_and_an_agent_only_scope() {
        with_job(JOB, "copilot-setup-steps", |ctx| {
            let setup = setup_job_use(ctx).unwrap();
            assert_eq!(setup.agent, "GitHub Copilot coding agent");
            assert_eq!(setup.at, Location::file("w.yml", 5, 3));
            let token = job_permissions(ctx.job, ctx.wf, ctx.line);
            let scoped = permission_uses(ctx, &token);
            assert_eq!(
                scoped.len(),
                1,
                "{:?}",
                scoped.iter().map(|u| &u.how).collect::<Vec<_>>()
            );
            assert_eq!(
                scoped[0].how,
                "asks for `copilot-requests: write`, which only an AI agent uses"
            );
            assert_eq!(scoped[0].at, Location::file("w.yml", 2, 1));
        });
        with_job(
            JOB.replace("copilot-setup-steps", "other").as_str(),
            "other",
            |ctx| {
                assert!(setup_job_use(ctx).is_none());
            },
        );
    }

    #[test]
    fn an_agent_s_own_key() {
        let refs = [SecretRef {
            file: "w.yml".into(),
            name: "CURSOR_API_KEY".into(),
            assigned_to: None,
            line: 7,
            column: 9,
        }];
        let uses = secret_uses(&refs);
        assert_eq!(uses.len(), 1);
        assert_eq!(uses[0].at, Location::file("w.yml", 7, 9));
        assert!(
            uses[0]
                .how
                .starts_with("receives CURSOR_API_KEY, the key of "),
            "{}",
            uses[0].how
        );
        assert!(secret_uses(&[]).is_empty());
    }
}
