//! `nhi-audit suggest-policy`: the policy each principal needs, from what it used.

use super::{Error, Output, Result, exit};
use crate::analysis::suggest::{self, Suggested};
use crate::cli::{Scope, SuggestFormat, SuggestPolicyArgs};
use crate::model::{Inventory, Provider};

pub fn run(args: SuggestPolicyArgs) -> Result<u8> {
    let output = Output::open(args.output.as_deref(), "the suggested policies")?;
    let (inv, partial) = match &args.from {
        Some(file) => (crate::diff::read_snapshot(file)?.inventory, false),
        None => {
            let report = super::inventory_report(&args.source)?;
            super::print_errors(&report.errors, "warning");
            (report.inventory, report.partial)
        }
    };
    if inv.activity.is_empty() {
        return Err(Error::Usage(
            "no activity to suggest from: give the logs with --activity PATH (CloudTrail \
             files or folders, lookup-events output, Lake results, Cloud Audit Logs, the \
             Azure activity log, Entra sign-ins)"
                .into(),
        ));
    }
    let all = args.source.scope == Scope::All;
    let mut out: Vec<Suggested> = Vec::new();
    for a in &inv.activity {
        if !args.principal.is_empty() && !selected(a, &args.principal) {
            continue;
        }
        let holders = holders(&inv, a.identity.as_deref());
        if args.principal.is_empty() && !all && holders.is_empty() && a.agent_clients.is_empty() {
            continue;
        }
        let Some(mut s) = suggestion(a, &inv) else {
            continue;
        };
        s.agents = holders;
        s.granted_actions = a
            .identity
            .as_deref()
            .and_then(|id| inv.identity(id))
            .and_then(|i| i.facts.get("activity")?.get("granted_actions")?.as_u64());
        out.push(s);
    }
    if out.is_empty() {
        return Err(Error::Usage(if args.principal.is_empty() {
            "no agent's principal in the activity logs (--scope all suggests for every \
             principal)"
                .to_string()
        } else {
            format!(
                "no principal in the activity logs matches {}; they hold: {}",
                args.principal.join(", "),
                inv.activity
                    .iter()
                    .map(|a| a.principal.as_str())
                    .take(20)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }));
    }
    let text = match args.format {
        SuggestFormat::Json => {
            let v = serde_json::json!({
                "schema": "nhi-audit/suggested-policies/v1",
                "window": inv.activity_window,
                "suggestions": out,
            });
            serde_json::to_string_pretty(&v)? + "\n"
        }
        SuggestFormat::Document => {
            if out.len() > 1 {
                return Err(Error::Usage(format!(
                    "--format document writes one policy; {} principals match (choose one \
                     with --principal): {}",
                    out.len(),
                    out.iter()
                        .map(|s| s.principal.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            serde_json::to_string_pretty(&out[0].policy)? + "\n"
        }
    };
    output.write(&text)?;
    for s in &out {
        for n in &s.notes {
            super::print_errors(
                &[crate::model::SourceKind::Activity.error(s.principal.clone(), n.clone())],
                "note",
            );
        }
        if !s.unmapped.is_empty() {
            super::print_errors(
                &[crate::model::SourceKind::Activity.error(
                    s.principal.clone(),
                    format!(
                        "{}, left out (add by hand if needed): {}",
                        match s.provider {
                            Provider::Gcp => "calls the log names by method, not by permission",
                            Provider::Azure => "sign-ins, which are not role actions",
                            _ => "not in the action catalogue",
                        },
                        s.unmapped.join(", ")
                    ),
                )],
                "note",
            );
        }
    }
    Ok(if partial {
        exit::SOURCE_FAILED
    } else {
        exit::OK
    })
}

/// The suggestion for one principal, in its provider's policy language.
fn suggestion(a: &crate::model::Activity, inv: &Inventory) -> Option<Suggested> {
    let window = inv.activity_window.as_ref();
    match a.provider {
        Provider::Aws => Some(suggest::aws_policy(a, window)),
        Provider::Gcp => Some(suggest::gcp_role(a, window)),
        // A person (a user principal name) gets no role definition from this.
        Provider::Azure if !a.principal.contains('@') => Some(suggest::azure_role(a, window)),
        _ => None,
    }
}

fn selected(a: &crate::model::Activity, wanted: &[String]) -> bool {
    wanted.iter().any(|w| {
        a.principal == *w
            || a.identity.as_deref() == Some(w.as_str())
            || a.principal.to_lowercase().contains(&w.to_lowercase())
    })
}

/// The agents holding identity `id`.
fn holders(inv: &Inventory, id: Option<&str>) -> Vec<String> {
    id.and_then(|id| inv.identity(id))
        .map(|i| i.agents.clone())
        .unwrap_or_default()
}
