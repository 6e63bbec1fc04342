//! Findings, and the one registry every finding passes through: rule switches and
//! severity overrides from the config, the scope, inline and config ignores, baseline.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::analysis::SubjectFacts;
use crate::config::Config;
use crate::model::InlineIgnore;
use crate::model::{Category, Confidence, Location, SuppressedBy};
use crate::rules::{Rule, Severity};

/// A rule matched a subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    pub confidence: Confidence,
    pub message: String,
    /// The agent id, or null when no agent holds the subject.
    pub agent: Option<String>,
    /// The identity, credential or agent id the finding is about.
    pub subject: String,
    pub locations: Vec<Location>,
    /// Node ids of a chain, first to last; empty otherwise.
    pub path: Vec<String>,
    /// One sentence per hop of `path`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hops: Vec<String>,
    pub controls: BTreeMap<String, Vec<String>>,
    pub remediation: String,
    /// Stable across runs and line shifts: what baselines and SARIF match on.
    pub fingerprint: String,
}

/// A finding that was matched but accepted, and by what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Suppressed {
    pub finding: Finding,
    pub by: SuppressedBy,
    pub reason: String,
}

/// An ignore that matched nothing, or has expired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StaleIgnore {
    pub location: String,
    pub rule: String,
    pub reason: String,
}

/// A baseline: fingerprints of accepted findings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Baseline {
    pub schema: String,
    pub fingerprints: BTreeSet<String>,
}

pub const BASELINE_SCHEMA: &str = "nhi-audit/baseline/v1";

/// The outcome of judging: what stands, what was accepted, what was stale.
#[derive(Debug, Default)]
pub struct Judgement {
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    pub stale_ignores: Vec<StaleIgnore>,
    /// Conditions that could not be evaluated on some subject.
    pub warnings: Vec<String>,
}

pub struct JudgeInput<'a> {
    pub rules: &'a [Rule],
    pub inventory: &'a crate::model::Inventory,
    pub chains: &'a [crate::analysis::Chain],
    /// The `config` variable rules see.
    pub facts: &'a serde_json::Value,
    pub config: &'a Config,
    pub scope_all: bool,
    pub inline: &'a [InlineIgnore],
    pub baseline: Option<&'a Baseline>,
    /// `YYYY-MM-DD`, for ignore expiry.
    pub today: String,
}

pub fn judge(input: &JudgeInput<'_>) -> Judgement {
    let mut out = Judgement::default();
    let enabled: Vec<&Rule> = input
        .rules
        .iter()
        .filter(|r| input.config.rules.get(&r.id).and_then(|s| s.enabled) != Some(false))
        .collect();
    let mut raw = Vec::new();
    let mut eval_errors: BTreeMap<String, (usize, crate::rules::EvalError)> = BTreeMap::new();
    if enabled.is_empty() {
        return out;
    }
    // Each agent's facts, converted for CEL once and shared by all its subjects.
    let mut scopes: std::collections::HashMap<String, crate::rules::AgentScope> =
        Default::default();
    // Only what the rules read is converted for CEL: of an agent, what any rule reads
    // (its scope is shared by all its subjects); of a subject, what its kind's rules read.
    let reads = crate::rules::Reads::of(&enabled);
    let no_agent = crate::rules::AgentScope::new(None, &reads);
    let mut by_kind: std::collections::HashMap<
        crate::model::SubjectKind,
        (Vec<&Rule>, crate::rules::Reads),
    > = Default::default();
    for rule in &enabled {
        by_kind.entry(rule.subject).or_default().0.push(rule);
    }
    for (rules, kind_reads) in by_kind.values_mut() {
        *kind_reads = crate::rules::Reads::of(rules);
    }
    // The last subject's variables, converted once for all the agents that hold it.
    let mut bound: Option<(std::rc::Rc<serde_json::Value>, crate::rules::BoundVars)> = None;
    let mut judge_one = |subject: SubjectFacts<'_>| {
        // `--scope agents` keeps no finding about a subject no agent holds.
        if !input.scope_all && !subject.in_agent_scope {
            return;
        }
        let Some((rules, subject_reads)) = by_kind.get(&subject.kind) else {
            return;
        };
        let ctx = crate::rules::EvalSubject {
            context: &subject.context,
            agent: subject.agent_facts,
        };
        let one_off;
        let scope = match (subject.agent_facts, subject.agent.as_deref()) {
            (Some(facts), Some(id)) => scopes
                .entry(id.to_string())
                .or_insert_with(|| crate::rules::AgentScope::new(Some(facts), &reads)),
            (Some(facts), None) => {
                one_off = crate::rules::AgentScope::new(Some(facts), &reads);
                &one_off
            }
            (None, _) => &no_agent,
        };
        if !bound
            .as_ref()
            .is_some_and(|(c, _)| std::rc::Rc::ptr_eq(c, &subject.context))
        {
            let vars = crate::rules::BoundVars::new(&subject.context, subject_reads);
            bound = Some((std::rc::Rc::clone(&subject.context), vars));
        }
        let Some((_, vars)) = &bound else {
            return;
        };
        for (rule, outcome) in crate::rules::evaluate(rules, &ctx, scope, vars) {
            match outcome {
                Ok(Some(m)) => raw.push((
                    make_finding(rule, &subject, m, input.config),
                    subject.in_agent_scope,
                )),
                Ok(None) => {}
                Err(e) => {
                    let entry = eval_errors.entry(rule.id.clone()).or_insert((0, e));
                    entry.0 += 1;
                }
            }
        }
    };
    crate::analysis::for_each_subject(
        input.inventory,
        input.chains,
        input.facts,
        !input.scope_all,
        &mut judge_one,
    );
    for (rule, (count, first)) in eval_errors {
        out.warnings.push(format!(
            "{rule}: the condition failed on {count} subject(s), first: {first}"
        ));
    }

    // The same rule on the same subject and agent is one finding.
    raw.sort_by(|a, b| a.0.fingerprint.cmp(&b.0.fingerprint));
    raw.dedup_by(|a, b| a.0.fingerprint == b.0.fingerprint);

    let mut used_inline = BTreeSet::new();
    let mut used_config = BTreeSet::new();
    for (finding, in_agent_scope) in raw {
        if !input.scope_all && !in_agent_scope {
            continue;
        }
        if let Some((i, ig)) = input.inline.iter().enumerate().find(|(_, ig)| {
            finding.locations.iter().any(|l| match l {
                Location::File { path, line, .. } => ig.covers(&finding.rule_id, path, *line),
                Location::Uri { .. } => false,
            })
        }) {
            used_inline.insert(i);
            out.suppressed.push(Suppressed {
                reason: ig.reason.clone(),
                by: SuppressedBy::Inline,
                finding,
            });
            continue;
        }
        if let Some((i, ig)) = input
            .config
            .ignores
            .iter()
            .enumerate()
            .find(|(_, ig)| config_ignore_matches(ig, &finding))
        {
            used_config.insert(i);
            if ig
                .expires
                .as_deref()
                .is_none_or(|e| e >= input.today.as_str())
            {
                out.suppressed.push(Suppressed {
                    reason: ig.reason.clone(),
                    by: SuppressedBy::Config,
                    finding,
                });
                continue;
            }
        }
        if input
            .baseline
            .is_some_and(|b| b.fingerprints.contains(&finding.fingerprint))
        {
            out.suppressed.push(Suppressed {
                reason: "in the baseline".into(),
                by: SuppressedBy::Baseline,
                finding,
            });
            continue;
        }
        out.findings.push(finding);
    }

    for (i, ig) in input.inline.iter().enumerate() {
        if !used_inline.contains(&i) {
            out.stale_ignores.push(StaleIgnore {
                location: format!("{}:{}", ig.path, ig.line),
                rule: ig.rules.join(", "),
                reason: "no finding of this rule on this line or the next".into(),
            });
        }
    }
    let config_file = input.config.file.as_deref().unwrap_or(".nhi-audit.yaml");
    for (i, ig) in input.config.ignores.iter().enumerate() {
        let location = format!("{config_file}:{}", ig.line);
        if !used_config.contains(&i) {
            out.stale_ignores.push(StaleIgnore {
                location,
                rule: ig.rule.clone(),
                reason: "matched no finding".into(),
            });
        } else if let Some(exp) = ig.expires.as_deref().filter(|e| *e < input.today.as_str()) {
            out.stale_ignores.push(StaleIgnore {
                location,
                rule: ig.rule.clone(),
                reason: format!("expired on {exp}; the finding is reported again"),
            });
        }
    }
    out.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.agent.cmp(&b.agent))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
            .then_with(|| a.locations.cmp(&b.locations))
    });
    out
}

fn config_ignore_matches(ig: &crate::config::Ignore, f: &Finding) -> bool {
    ig.rule == f.rule_id
        && ig
            .subject
            .as_deref()
            .is_none_or(|s| s == f.subject || Some(s) == f.agent.as_deref())
        && ig.path.as_ref().is_none_or(|g| {
            f.locations
                .iter()
                .any(|l| l.path().is_some_and(|p| g.is_match(p)))
        })
}

fn make_finding(
    rule: &Rule,
    subject: &SubjectFacts,
    m: crate::rules::Match,
    config: &Config,
) -> Finding {
    // The config's override wins; then what the subject holds (`severity_if`).
    let severity = config
        .rules
        .get(&rule.id)
        .and_then(|s| s.severity)
        .or(m.severity)
        .unwrap_or(rule.severity);
    let message = m.message;
    let first_path = subject
        .locations
        .iter()
        .find_map(Location::path)
        .unwrap_or("");
    let mut h = Sha256::new();
    for part in [
        rule.id.as_str(),
        subject.subject.as_str(),
        subject.agent.as_deref().unwrap_or(""),
        first_path,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for p in &subject.path {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let hops = subject
        .context
        .get("chain")
        .and_then(|c| c.get("hops"))
        .and_then(|h| serde_json::from_value(h.clone()).ok())
        .unwrap_or_default();
    Finding {
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        title: rule.title.clone(),
        category: rule.category,
        severity,
        confidence: rule.confidence,
        message,
        agent: subject.agent.clone(),
        subject: subject.subject.clone(),
        locations: if m.locations.is_empty() {
            subject.locations.clone()
        } else {
            m.locations
                .iter()
                .map(|at| Location::at_listing(at))
                .collect()
        },
        path: subject.path.clone(),
        hops,
        controls: rule.controls.clone(),
        remediation: rule.remediation.clone(),
        fingerprint: hex::encode(&h.finalize()[..12]),
    }
}
