//! Write-creep in Terraform history: a commit that raised what an agent's identity may
//! do. Each changed module is judged before and after by the same normalisers as the
//! working tree (a role's policy in one file and its attachment in another are one
//! module), and every identity an agent holds is compared: a level that rose, an AWS
//! service whose level rose, an identity newly held.

use std::collections::{BTreeMap, BTreeSet};

use crate::analysis::agents::{self, AwsOptions};
use crate::model::{
    AccessLevel, Agent, Change, ChangeKind, EdgeKind, Identity, Inventory, Location, SourceError,
    SourceKind,
};
use crate::sources::Context;
use crate::sources::iac::terraform;
use crate::sources::repo::history::{ModuleFiles, ModuleRevision};

/// The changes in `modules` (newest first within each repository), and warnings for the
/// versions that could not be compared. `current` is the scan of the working tree, its
/// agents classified: a change is `current` when the agent still holds the identity at
/// the raised level and no later commit made the same rise again.
pub fn changes(
    modules: &[ModuleRevision],
    versions: &[ModuleFiles],
    ctx: &Context<'_>,
    aws: &AwsOptions,
    current: &Inventory,
) -> (Vec<Change>, Vec<SourceError>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let mut seen = BTreeSet::new();
    // Each version judged once: it is the newer side of one commit and the older of the
    // next.
    let judged: Vec<Inventory> = versions.iter().map(|v| judged(v, ctx, aws)).collect();
    let empty = Inventory::default();
    for rev in modules {
        let short: String = rev.commit.chars().take(12).collect();
        let unreadable = |side: &str| {
            SourceKind::Iac.error(
                rev.dir.clone(),
                format!(
                    "--history: commit {short}: the {side} version of this Terraform module does not parse; that change was not compared"
                ),
            )
        };
        let (Some(after), before) = (
            judged.get(rev.after),
            rev.before.map_or(Some(&empty), |b| judged.get(b)),
        ) else {
            continue;
        };
        if !after.errors.is_empty() {
            warnings.push(unreadable("new"));
            continue;
        }
        let Some(before) = before.filter(|b| b.errors.is_empty()) else {
            warnings.push(unreadable("old"));
            continue;
        };
        for agent in &after.agents {
            if before.agent(&agent.id).is_none() {
                // A new agent is judged by what it holds now; its commit is listed.
                let current = seen.insert((agent.id.clone(), String::new()))
                    && current.agent(&agent.id).is_some();
                out.push(added(rev, agent, after, current));
                continue;
            }
            for raise in raises(before, after, agent) {
                // The latest rise still in place is current; one undone does not hide
                // an older one that still is.
                let key = (agent.id.clone(), raise.identity.id.clone());
                let current = !seen.contains(&key) && still_holds(current, &agent.id, &raise);
                if current {
                    seen.insert(key);
                }
                out.push(raise.into_change(rev, agent, current));
            }
        }
    }
    (out, warnings)
}

/// The change of an agent that appeared, with the level it appeared with.
fn added(rev: &ModuleRevision, agent: &Agent, inv: &Inventory, current: bool) -> Change {
    let short: String = rev.commit.chars().take(7).collect();
    let date = rev.author_date.get(..10).unwrap_or(&rev.author_date);
    let holds = held(inv, &agent.id);
    let level = holds.iter().filter_map(|i| i.access_level).max();
    let names: Vec<&str> = holds.iter().map(|i| i.name.as_str()).collect();
    let to = match level {
        Some(level) => format!("{} ({})", names.join(", "), level.as_str()),
        None => agent.kind.to_string(),
    };
    Change {
        id: format!("change:{}:{}:agent", rev.commit, agent.id),
        kind: ChangeKind::AgentAdded,
        agent: Some(agent.id.clone()),
        subject: "agent".into(),
        from: None,
        summary: format!("{} added with {to} in commit {short} ({date})", agent.name),
        to,
        from_level: None,
        to_level: level,
        commit: rev.commit.clone(),
        author_date: rev.author_date.clone(),
        current,
        location: agent.locations.first().cloned(),
    }
}

/// One module version's inventory, its agents classified as the working tree's are.
fn judged(files: &[(String, String)], ctx: &Context<'_>, aws: &AwsOptions) -> Inventory {
    let mut inv = terraform::judge_module(files, ctx, None);
    agents::aws::classify(&mut inv, aws);
    agents::gcp::classify(&mut inv);
    agents::azure::classify(&mut inv);
    inv.normalize();
    inv
}

/// What rose for one identity an agent holds in the newer version.
struct Raise<'a> {
    identity: &'a Identity,
    /// What the agent had through it before; `None` when it did not hold it.
    from: Option<AccessLevel>,
    to: AccessLevel,
    /// AWS services whose level rose: `(service, before, after)`.
    services: Vec<(String, Option<AccessLevel>, AccessLevel)>,
    location: Option<Location>,
}

/// The identities `agent` holds in `inv`.
fn held<'a>(inv: &'a Inventory, agent: &str) -> Vec<&'a Identity> {
    let ids: BTreeSet<&str> = inv
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::Holds && e.from == agent)
        .map(|e| e.to.as_str())
        .collect();
    ids.into_iter().filter_map(|id| inv.identity(id)).collect()
}

/// An identity's AWS service levels (`facts.aws.services`).
fn services(identity: &Identity) -> BTreeMap<String, AccessLevel> {
    identity
        .facts
        .get("aws")
        .and_then(|a| a.get("services"))
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .unwrap_or_default()
}

/// The rises to write or above between the versions, identity by identity.
fn raises<'a>(before: &Inventory, after: &'a Inventory, agent: &Agent) -> Vec<Raise<'a>> {
    let had: BTreeMap<&str, &Identity> = held(before, &agent.id)
        .into_iter()
        .map(|i| (i.id.as_str(), i))
        .collect();
    let mut out = Vec::new();
    for identity in held(after, &agent.id) {
        let Some(to) = identity.access_level.filter(|l| *l >= AccessLevel::Write) else {
            continue;
        };
        let old = had.get(identity.id.as_str());
        let from = old.and_then(|o| o.access_level);
        let was = old.map(|o| services(o)).unwrap_or_default();
        let rose: Vec<(String, Option<AccessLevel>, AccessLevel)> = services(identity)
            .into_iter()
            .filter(|(svc, level)| {
                *level >= AccessLevel::Write && was.get(svc).is_none_or(|w| level > w)
            })
            .map(|(svc, level)| {
                let before = was.get(&svc).copied();
                (svc, before, level)
            })
            .collect();
        if old.is_some() && Some(to) <= from && rose.is_empty() {
            continue;
        }
        let location =
            where_granted(after, identity, &rose).or_else(|| identity.locations.first().cloned());
        out.push(Raise {
            identity,
            from,
            to,
            services: rose,
            location,
        });
    }
    out
}

/// The statement that grants the raised level: a grant of the identity at its level (of
/// a service that rose, when one did).
fn where_granted(
    inv: &Inventory,
    identity: &Identity,
    rose: &[(String, Option<AccessLevel>, AccessLevel)],
) -> Option<Location> {
    let grants: Vec<_> = inv
        .grants
        .iter()
        .filter(|g| g.identity == identity.id && g.location.is_some())
        .collect();
    let service_of = |action: &str| action.split(':').next().unwrap_or(action).to_string();
    let pick = |want: &dyn Fn(&crate::model::Grant) -> bool| {
        grants
            .iter()
            .filter(|g| want(g))
            .max_by_key(|g| g.access_level)
            .and_then(|g| g.location.clone())
    };
    pick(&|g| {
        rose.iter().any(|(svc, _, level)| {
            g.access_level >= *level && (service_of(&g.action) == *svc || g.action == "*")
        })
    })
    .or_else(|| pick(&|g| Some(g.access_level) == identity.access_level))
}

/// Whether the working tree's agent still holds the identity at the raised level.
fn still_holds(current: &Inventory, agent: &str, raise: &Raise<'_>) -> bool {
    held(current, agent)
        .into_iter()
        .find(|i| i.id == raise.identity.id)
        .is_some_and(|now| {
            now.access_level >= Some(raise.to) && {
                let now = services(now);
                raise
                    .services
                    .iter()
                    .all(|(svc, _, level)| now.get(svc).is_some_and(|l| l >= level))
            }
        })
}

impl Raise<'_> {
    fn into_change(self, rev: &ModuleRevision, agent: &Agent, current: bool) -> Change {
        let short: String = rev.commit.chars().take(7).collect();
        let date = rev.author_date.get(..10).unwrap_or(&rev.author_date);
        let name = &self.identity.name;
        let level = |l: Option<AccessLevel>| l.map_or("none", AccessLevel::as_str);
        let rises: Vec<String> = self
            .services
            .iter()
            .map(|(svc, from, to)| {
                let svc = if svc == "*" { "every service" } else { svc };
                format!("{svc}: {} → {}", level(*from), to.as_str())
            })
            .collect();
        let detail = if rises.is_empty() {
            String::new()
        } else {
            format!(" ({})", rises.join(", "))
        };
        let from = self.from.map(|l| format!("{name}: {}", l.as_str()));
        let to = format!("{name}: {}{detail}", self.to.as_str());
        // An agent that is the principal needs no "through".
        let through = if agent.name.ends_with(name.as_str()) {
            String::new()
        } else {
            format!(" through {name}")
        };
        let summary = match self.from {
            Some(from) => format!(
                "{}: {} → {}{detail}{through} in commit {short} ({date})",
                agent.name,
                from.as_str(),
                self.to.as_str()
            ),
            None => format!(
                "{} now holds {name} with {} access{detail}, from commit {short} ({date})",
                agent.name,
                self.to.as_str()
            ),
        };
        Change {
            id: format!("change:{}:{}:{}", rev.commit, agent.id, self.identity.id),
            kind: ChangeKind::AccessRaised,
            agent: Some(agent.id.clone()),
            subject: self.identity.id.clone(),
            from,
            to,
            from_level: self.from,
            to_level: Some(self.to),
            commit: rev.commit.clone(),
            author_date: rev.author_date.clone(),
            current,
            summary,
            location: self.location,
        }
    }
}
