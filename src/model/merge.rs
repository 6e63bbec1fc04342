//! Merging inventory fragments: items with the same id become one.

use std::collections::BTreeMap;

use super::{Credential, Identity, Inventory, Location};

impl Inventory {
    /// Appends another fragment; call [`Inventory::normalize`] once at the end.
    pub fn extend(&mut self, other: Inventory) {
        self.agents.extend(other.agents);
        self.identities.extend(other.identities);
        self.credentials.extend(other.credentials);
        self.grants.extend(other.grants);
        self.edges.extend(other.edges);
        self.errors.extend(other.errors);
        self.warnings.extend(other.warnings);
        self.changes.extend(other.changes);
        self.activity.extend(other.activity);
        for (role, contents) in other.role_contents {
            self.role_contents.entry(role).or_insert(contents);
        }
        if self.activity_window.is_none() {
            self.activity_window = other.activity_window;
        }
        self.stats.files_seen += other.stats.files_seen;
        self.stats.files_parsed += other.stats.files_parsed;
        self.stats.bytes_read += other.stats.bytes_read;
        self.stats.files_binary += other.stats.files_binary;
    }

    /// Merges items that share an id and sorts everything, so that output is deterministic.
    pub fn normalize(&mut self) {
        let mut agents = BTreeMap::new();
        for a in self.agents.drain(..) {
            match agents.get_mut(&a.id) {
                Some(e) => {
                    let e: &mut super::Agent = e;
                    e.locations.extend(a.locations);
                    e.evidence.extend(a.evidence);
                    e.confidence = e.confidence.max(a.confidence);
                }
                None => {
                    agents.insert(a.id.clone(), a);
                }
            }
        }
        self.agents = agents.into_values().collect();
        for a in &mut self.agents {
            tidy_locations(&mut a.locations);
        }

        let mut identities: BTreeMap<String, Identity> = BTreeMap::new();
        for i in self.identities.drain(..) {
            match identities.get_mut(&i.id) {
                Some(e) => {
                    e.agents.extend(i.agents);
                    e.credentials.extend(i.credentials);
                    e.locations.extend(i.locations);
                    e.access_level = e.access_level.max(i.access_level);
                    e.human |= i.human;
                    e.tags.extend(i.tags);
                    // One source names a thing, another knows its dates: a workflow's
                    // `secrets.X` meets the API's record of secret X.
                    fill(&mut e.owner, i.owner);
                    fill(&mut e.created_at, i.created_at);
                    fill(&mut e.last_used_at, i.last_used_at);
                    fill(&mut e.expires_at, i.expires_at);
                    for (k, v) in i.facts {
                        e.facts.entry(k).or_insert(v);
                    }
                }
                None => {
                    identities.insert(i.id.clone(), i);
                }
            }
        }
        self.identities = identities.into_values().collect();
        for i in &mut self.identities {
            i.agents.sort();
            i.agents.dedup();
            i.credentials.sort();
            i.credentials.dedup();
            tidy_locations(&mut i.locations);
        }

        let mut credentials: BTreeMap<String, Credential> = BTreeMap::new();
        for c in self.credentials.drain(..) {
            match credentials.get_mut(&c.id) {
                Some(e) => {
                    e.locations.extend(c.locations);
                    e.confidence = e.confidence.max(c.confidence);
                    fill(&mut e.created_at, c.created_at);
                    fill(&mut e.expires_at, c.expires_at);
                    fill(&mut e.last_used_at, c.last_used_at);
                }
                None => {
                    credentials.insert(c.id.clone(), c);
                }
            }
        }
        self.credentials = credentials.into_values().collect();
        for c in &mut self.credentials {
            tidy_locations(&mut c.locations);
        }

        self.grants.sort_by(|a, b| {
            (&a.identity, &a.action, &a.resource).cmp(&(&b.identity, &b.action, &b.resource))
        });
        self.grants.dedup();
        self.edges.sort();
        self.edges.dedup();
        self.errors.sort();
        self.errors.dedup();
        self.warnings.sort();
        self.warnings.dedup();
        self.changes
            .sort_by(|a, b| (&a.author_date, &a.id).cmp(&(&b.author_date, &b.id)));
        self.changes.dedup_by(|a, b| a.id == b.id);
        self.activity.sort_by(|a, b| {
            (a.provider.as_str(), &a.principal).cmp(&(b.provider.as_str(), &b.principal))
        });
    }

    pub fn agent(&self, id: &str) -> Option<&super::Agent> {
        self.agents
            .binary_search_by(|a| a.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.agents[i])
    }

    pub fn identity(&self, id: &str) -> Option<&Identity> {
        self.identities
            .binary_search_by(|a| a.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.identities[i])
    }

    pub fn credential(&self, id: &str) -> Option<&Credential> {
        self.credentials
            .binary_search_by(|a| a.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.credentials[i])
    }
}

/// Sorted, one location per line: the secret scanner and a format analyser often see
/// the same value at two columns of one line. Run once per item after all its fragments
/// are gathered (not per fragment: a reference repeated by 50,000 servers is one item).
fn tidy_locations(into: &mut Vec<Location>) {
    into.sort();
    into.dedup_by(|b, a| match (a, b) {
        (
            Location::File {
                path: pa, line: la, ..
            },
            Location::File {
                path: pb, line: lb, ..
            },
        ) => pa == pb && la == lb,
        (a, b) => a == b,
    });
}

fn fill(slot: &mut Option<String>, other: Option<String>) {
    if slot.is_none() {
        *slot = other;
    }
}
