//! One account's exports → inventory: principals with their effective access, keys with
//! their ages, trust relationships as `assumes` edges, escalation methods as `escalates`
//! edges, and every principal's grants and tags. Which principals belong to AI agents is
//! decided by the analysis (`crate::analysis::agents::aws`) from what this reports.
//!
//! [`normalize`] runs the steps in order: [`policies`] resolves each principal's policy
//! set, [`principals`] summarises it, [`trust`] finds who can assume which role,
//! [`escalations`] walks each principal's ways up, [`keys`] reads its access keys, and
//! [`principals`] again puts its identity together.

mod escalations;
mod keys;
mod policies;
mod principals;
mod trust;

use std::collections::BTreeMap;

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use super::AwsInput;
use crate::model::{
    AccessLevel, Credential, Edge, Grant, Identity, Inventory, Location, SourceKind,
};
use crate::policy::aws::document::Statement;
use crate::policy::aws::eval::{Context, PolicySet, Sourced};
use crate::timefmt;
use escalations::{CHUNK, ServiceLevels, Settled, Walk};
use keys::KeySources;
use policies::Resolver;
use principals::{Found, Summary};

/// A user or role of the export, with its permissions resolved.
struct Principal {
    arn: String,
    name: String,
    is_user: bool,
    policies: PolicySet,
    /// The ARNs of its groups.
    groups: Vec<String>,
    trust: Vec<Statement>,
    has_instance_profile: bool,
    attached_customer: Vec<(String, usize)>,
    tags: BTreeMap<String, String>,
    created: Option<String>,
    last_used: Option<String>,
    max_session: Option<i64>,
    path: String,
}

/// A group: its statements and customer managed policies pass to its members.
struct Group {
    arn: String,
    statements: Vec<Sourced>,
    attached: Vec<(String, usize)>,
}

/// One account's inventory fragment, in the steps the module describes. Which of its
/// principals are agents' is left to the analysis.
pub fn normalize(input: &AwsInput, judged: &(dyn Fn(&Identity) -> bool + Sync)) -> Inventory {
    let now = timefmt::now();
    let ctx = Context { now };
    let mut inv = Inventory::default();

    let mut resolver = Resolver::new(input, &mut inv.errors);
    let groups = resolver.groups(input);
    let principals = principals::principals(input, &mut resolver, &groups);
    for (location, message) in resolver.take_errors() {
        inv.errors.push(SourceKind::Aws.error(location, message));
    }

    // Per principal and independent of the others: on every core.
    let summaries: Vec<Summary> = principals
        .par_iter()
        .map(|p| principals::summarize(&p.policies, &ctx))
        .collect();
    let levels = ServiceLevels::new(&summaries);
    let index: HashMap<&str, usize> = principals
        .iter()
        .enumerate()
        .map(|(i, p)| (p.arn.as_str(), i))
        .collect();
    let trusted: Vec<Vec<String>> = principals
        .iter()
        .map(|p| trust::trusted_services(&p.trust))
        .collect();
    let targets = escalations::targets(&principals, &trusted, &groups);
    // Power over others: what each principal could change, and who can already assume
    // which role (the edges chains follow), which turns a role it can rewrite into a way up.
    let (changeable, managed) = escalations::power_targets(&principals, &groups);
    let (assumes, hubs) = trust::assume_edges(&principals, &index, &ctx);
    let assumable = trust::Assumable::new(&assumes);
    let walk = Walk {
        principals: &principals,
        summaries: &summaries,
        targets: &targets,
        changeable: &changeable,
        managed: &managed,
        index: &index,
        levels: &levels,
        assumable: &assumable,
        ctx: &ctx,
    };
    let assembly = Assembly {
        walk: &walk,
        judged,
        keys: KeySources::new(input),
        resolver: &resolver,
        now,
        last_accessed: &input.last_accessed,
    };

    // Escalations and power over others, per principal, on every core: the costly part
    // (each principal's policies against every target); the rest of the loop is assembly.
    // Then each principal's part of the inventory, also on every core, joined in order.
    let mut edges = Vec::new();
    for from in (0..principals.len()).step_by(CHUNK) {
        let parts: Vec<(Part, Vec<Edge>)> = walk
            .chunk(from)
            .into_par_iter()
            .enumerate()
            .map(|(k, (settled, escalates))| (assembly.part(from + k, settled), escalates))
            .collect();
        for (part, escalates) in parts {
            edges.extend(escalates);
            inv.credentials.extend(part.credentials);
            inv.grants.extend(part.grants);
            inv.identities.push(part.identity);
        }
    }

    for (identity, credentials) in assembly.keys.report_only(input, &index, now) {
        inv.credentials.extend(credentials);
        inv.identities.push(identity);
    }

    // Trust: who can assume each role.
    edges.extend(assumes);
    for account in hubs {
        inv.identities.push(trust::trust_hub_identity(&account));
    }
    inv.identities.extend(escalations::admin_nodes(&edges));
    inv.edges.extend(edges);
    inv
}

/// What putting each principal's part of the inventory together reads.
struct Assembly<'a> {
    walk: &'a Walk<'a>,
    judged: &'a (dyn Fn(&Identity) -> bool + Sync),
    keys: KeySources<'a>,
    resolver: &'a Resolver<'a>,
    now: time::OffsetDateTime,
    last_accessed: &'a std::collections::BTreeMap<String, Vec<super::ServiceLastAccessed>>,
}

/// One principal's part of the inventory.
struct Part {
    identity: Identity,
    credentials: Vec<Credential>,
    grants: Vec<Grant>,
}

impl Assembly<'_> {
    /// Principal `i`'s identity, keys and grants.
    fn part(&self, i: usize, settled: Settled) -> Part {
        let p = &self.walk.principals[i];
        let id = format!("aws:{}", p.arn);
        let loc = Location::Uri { uri: p.arn.clone() };
        let mut credentials = Vec::new();
        // Keys: from the access key listing when present, else the credential report.
        let keys = if p.is_user {
            self.keys
                .user_keys(p, &id, &loc, self.now, &mut credentials)
        } else {
            Default::default()
        };
        let found = Found {
            summary: &self.walk.summaries[i],
            row: self.keys.row(&p.arn),
            keys,
            settled,
            creep: self.resolver.policy_creep(&p.attached_customer),
        };
        let mut identity = principals::identity(p, id, &loc, found, self.now);
        if let Some(services) = self.last_accessed.get(&p.arn) {
            principals::add_last_accessed(&mut identity, services);
        }
        // Grants only of the principals the analysis judges: the others' are never read,
        // and on a large account they are most of the memory.
        let grants = if (self.judged)(&identity) {
            principals::grants_of(&identity.id, &p.policies, &loc)
        } else {
            Vec::new()
        };
        Part {
            identity,
            credentials,
            grants,
        }
    }
}

/// `123456789012` from an ARN.
pub fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or("")
}

/// A node of the identity graph that stands for the account rather than a principal.
fn account_node(
    id: String,
    kind: &str,
    name: String,
    level: AccessLevel,
    account: &str,
) -> Identity {
    let mut identity = Identity::new(id, kind, "aws", name);
    identity.access_level = Some(level);
    identity.locations = vec![Location::Uri {
        uri: format!("arn:aws:iam::{account}:root"),
    }];
    identity
}

/// Small exports for the steps' tests.
#[cfg(test)]
mod test_input {
    use std::collections::BTreeMap;

    use serde_json::Value;

    use super::policies::Resolver;
    use super::{Group, Principal};
    use crate::sources::aws::AwsInput;

    /// An input made of a GAAD written as JSON (read as text, like a file: documents are
    /// kept raw).
    pub fn input(gaad: Value) -> AwsInput {
        AwsInput {
            gaad: serde_json::from_str(&gaad.to_string()).expect("a GAAD"),
            origin: "test.json".into(),
            ..Default::default()
        }
    }

    /// What resolving an export's policies gives: principals, groups, and errors.
    pub type Resolved = (
        Vec<Principal>,
        BTreeMap<String, Group>,
        Vec<(String, String)>,
    );

    /// The principals and groups of `input` with their policies resolved, and what could
    /// not be resolved.
    pub fn resolve(input: &AwsInput) -> Resolved {
        let mut errors = Vec::new();
        let mut resolver = Resolver::new(input, &mut errors);
        let groups = resolver.groups(input);
        let principals = super::principals::principals(input, &mut resolver, &groups);
        let mut out: Vec<(String, String)> = errors
            .into_iter()
            .map(|e| (e.location, e.message))
            .collect();
        out.extend(resolver.take_errors());
        (principals, groups, out)
    }
}
