//! RBAC: what the roles bound to a service account let it do. Roles and ClusterRoles
//! come from the files; the user-facing ClusterRoles (`cluster-admin`, `admin`, `edit`,
//! `view`) are known by name from Kubernetes' documentation when the files do not hold
//! them. A role that is neither is named in a warning and its power is never guessed.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use super::{Accounts, Object};
use crate::doc::Node;
use crate::model::{AccessLevel, Effect, Grant, Inventory, Location, SourceKind};

/// The resources that run pods: creating one runs code as any account of the namespace.
const WORKLOADS: &[&str] = &[
    "pods",
    "deployments",
    "statefulsets",
    "daemonsets",
    "replicasets",
    "jobs",
    "cronjobs",
    "replicationcontrollers",
];

/// One rule of a role.
pub(super) struct Rule {
    groups: Vec<String>,
    resources: Vec<String>,
    verbs: Vec<String>,
}

impl Rule {
    fn new(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Self {
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Rule {
            groups: own(groups),
            resources: own(resources),
            verbs: own(verbs),
        }
    }

    fn of(node: &Node) -> Self {
        let list = |key: &str| {
            node.get(key)
                .map(|n| n.strings().into_iter().map(str::to_string).collect())
                .unwrap_or_default()
        };
        Rule {
            groups: list("apiGroups"),
            resources: list("resources"),
            verbs: list("verbs"),
        }
    }

    fn verb(&self, any: &[&str]) -> bool {
        self.verbs
            .iter()
            .any(|v| v == "*" || any.contains(&v.as_str()))
    }

    /// Whether it covers one of `any` (`pods/exec`): by name, `*`, or `pods/*`.
    fn resource(&self, any: &[&str]) -> bool {
        self.resources.iter().any(|r| {
            r == "*"
                || any.iter().any(|want| {
                    r == want
                        || r.strip_suffix("/*").is_some_and(|base| {
                            want.split_once('/').is_some_and(|(b, _)| b == base)
                        })
                })
        })
    }

    /// The level it grants and the dangerous powers it gives, at `scope`.
    fn judge(&self, cluster: bool) -> (AccessLevel, Vec<&'static str>) {
        const RBAC: &[&str] = &[
            "roles",
            "clusterroles",
            "rolebindings",
            "clusterrolebindings",
        ];
        let everything = self.verbs.iter().any(|v| v == "*")
            && self.resources.iter().any(|r| r == "*")
            && self.groups.iter().any(|g| g == "*");
        let mut powers = Vec::new();
        if everything && cluster {
            powers.push("cluster-admin");
        }
        if self.verbs.iter().any(|v| v == "*") || self.resources.iter().any(|r| r == "*") {
            powers.push("wildcard");
        }
        let checks: [(&str, &[&str], &[&str]); 8] = [
            ("secrets-read", &["get", "list", "watch"], &["secrets"]),
            (
                "pods-exec",
                &["create", "get"],
                &["pods/exec", "pods/attach"],
            ),
            (
                "impersonate",
                &["impersonate"],
                &["users", "groups", "serviceaccounts", "uids", "userextras"],
            ),
            ("escalate", &["escalate"], &["roles", "clusterroles"]),
            ("bind", &["bind"], &["roles", "clusterroles"]),
            ("rbac-write", &["create", "update", "patch"], RBAC),
            ("create-pods", &["create"], WORKLOADS),
            ("create-tokens", &["create"], &["serviceaccounts/token"]),
        ];
        for (power, verbs, resources) in checks {
            if self.verb(verbs) && self.resource(resources) {
                powers.push(power);
            }
        }
        let level = if everything || (self.verb(&["*"]) && self.resources.iter().any(|r| r == "*"))
        {
            AccessLevel::Admin
        } else if powers.iter().any(|p| {
            matches!(
                *p,
                "impersonate" | "escalate" | "bind" | "rbac-write" | "create-tokens"
            )
        }) {
            AccessLevel::PermissionsManagement
        } else if self.verb(&["create", "update", "patch", "delete", "deletecollection"]) {
            AccessLevel::Write
        } else if self.verb(&["get", "watch"]) {
            AccessLevel::Read
        } else if self.verb(&["list"]) {
            AccessLevel::List
        } else {
            AccessLevel::None
        };
        (level, powers)
    }
}

/// The user-facing ClusterRoles, by what Kubernetes documents of them
/// (<https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles>):
/// `cluster-admin` is super-user access; `admin` reads and writes most of a namespace,
/// its roles and role bindings included; `edit` reads and writes most of a namespace,
/// Secrets included, and runs pods as any of its service accounts, but not its roles;
/// `view` reads most of a namespace but not its Secrets, roles or bindings. Written as
/// the rules that give those powers, not as the full bootstrap policy.
fn built_in(name: &str) -> Option<Vec<Rule>> {
    let mut namespaced = vec![
        "services",
        "configmaps",
        "persistentvolumeclaims",
        "serviceaccounts",
    ];
    namespaced.extend(WORKLOADS);
    let namespaced = namespaced.as_slice();
    const READ: &[&str] = &["get", "list", "watch"];
    const WRITE: &[&str] = &[
        "get",
        "list",
        "watch",
        "create",
        "update",
        "patch",
        "delete",
        "deletecollection",
    ];
    let edit = || {
        vec![
            Rule::new(&["*"], namespaced, WRITE),
            Rule::new(&[""], &["secrets"], WRITE),
            Rule::new(&[""], &["pods/exec", "pods/attach"], &["create", "get"]),
            Rule::new(&[""], &["serviceaccounts"], &["impersonate"]),
        ]
    };
    match name {
        "cluster-admin" => Some(vec![Rule::new(&["*"], &["*"], &["*"])]),
        "admin" => {
            let mut rules = edit();
            rules.push(Rule::new(
                &["rbac.authorization.k8s.io"],
                &["roles", "rolebindings"],
                WRITE,
            ));
            Some(rules)
        }
        "edit" => Some(edit()),
        "view" => Some(vec![Rule::new(&["*"], namespaced, READ)]),
        _ => None,
    }
}

/// What one service account's bindings give it.
#[derive(Default)]
pub(crate) struct Access {
    roles: Vec<Value>,
    unknown_roles: BTreeSet<String>,
    powers: BTreeSet<&'static str>,
    power_grants: BTreeSet<(&'static str, String, String, String)>,
    cluster_admin: bool,
    wildcard: bool,
    grants: Vec<(String, String, AccessLevel, String, Location)>,
}

impl Access {
    /// The highest level of its grants; `None` when nothing bound to it is known.
    pub fn level(&self) -> Option<AccessLevel> {
        self.grants.iter().map(|g| g.2).max()
    }

    pub fn write_facts(&self, facts: &mut Value) {
        facts["roles"] = json!(self.roles);
        facts["unknown_roles"] = json!(self.unknown_roles);
        facts["powers"] = json!(self.powers);
        facts["power_grants"] = Value::Array(
            self.power_grants
                .iter()
                .map(|(power, role, binding, scope)| {
                    json!({"power": power, "role": role, "binding": binding, "scope": scope})
                })
                .collect(),
        );
        facts["cluster_admin"] = json!(self.cluster_admin);
        facts["wildcard"] = json!(self.wildcard);
    }

    pub fn grants(&self, identity: &str) -> Vec<Grant> {
        self.grants
            .iter()
            .map(|(action, resource, level, source, at)| Grant {
                identity: identity.to_string(),
                action: action.clone(),
                resource: resource.clone(),
                effect: Effect::Allow,
                access_level: *level,
                source: source.clone(),
                location: Some(at.clone()),
            })
            .collect()
    }
}

/// A role a binding refers to, as far as it is known.
struct Bound<'r> {
    kind: &'r str,
    name: &'r str,
    rules: Option<Vec<Rule>>,
    built_in: bool,
}

/// Reads every binding into the accounts it binds.
pub(super) fn read(objects: &[Object<'_>], accounts: &mut Accounts, inv: &mut Inventory) {
    let mut roles: HashMap<(Option<&str>, &str), &Object<'_>> = HashMap::new();
    for o in objects {
        match o.kind {
            "Role" => roles.insert((Some(o.namespace()), o.name), o),
            "ClusterRole" => roles.insert((None, o.name), o),
            _ => None,
        };
    }
    let bindings: Vec<&Object<'_>> = objects
        .iter()
        .filter(|o| matches!(o.kind, "RoleBinding" | "ClusterRoleBinding"))
        .collect();
    // Accounts a binding names are accounts, defined in the files or not; a group of
    // a namespace's accounts binds those met anywhere in the files.
    for b in &bindings {
        for (kind, namespace, name, node) in subjects(b) {
            if kind == "ServiceAccount" {
                super::account(accounts, &namespace, name, b.loc_of(node));
            }
        }
    }
    for b in bindings {
        let Some(role_ref) = b.node.get("roleRef") else {
            inv.warnings.push(SourceKind::Iac.error(
                b.at(b.node),
                format!("{} has no `roleRef`; not read", b.title()),
            ));
            continue;
        };
        let kind = role_ref.get("kind").and_then(Node::as_str).unwrap_or("");
        let name = role_ref.get("name").and_then(Node::as_str).unwrap_or("");
        let cluster = b.kind == "ClusterRoleBinding";
        let scope = if cluster {
            "cluster".to_string()
        } else {
            format!("namespace {}", b.namespace())
        };
        let found = match kind {
            "Role" if !cluster => roles.get(&(Some(b.namespace()), name)),
            "ClusterRole" => roles.get(&(None, name)),
            _ => None,
        };
        let bound = match found {
            Some(role) if role.node.get("aggregationRule").is_some() => Bound {
                kind,
                name,
                rules: None,
                built_in: false,
            },
            Some(role) => Bound {
                kind,
                name,
                rules: Some(
                    role.node
                        .get("rules")
                        .map(Node::items)
                        .unwrap_or_default()
                        .iter()
                        .map(Rule::of)
                        .collect(),
                ),
                built_in: false,
            },
            None => {
                let rules = (kind == "ClusterRole").then(|| built_in(name)).flatten();
                Bound {
                    kind,
                    name,
                    built_in: rules.is_some(),
                    rules,
                }
            }
        };
        if bound.rules.is_none() {
            let why = match found {
                Some(_) => "an aggregated ClusterRole, whose rules the cluster fills in",
                None => "not in the scanned files and not one of Kubernetes' built-in roles",
            };
            inv.warnings.push(SourceKind::Iac.error(
                b.at(role_ref),
                format!(
                    "{} binds the {kind} `{name}`, {why}: the power it gives is unknown",
                    b.title()
                ),
            ));
        }
        for target in targets(b, accounts) {
            if let Some(a) = accounts.get_mut(&target) {
                bind(&mut a.access, &bound, b, &scope, cluster);
            }
        }
    }
}

/// The accounts a binding's subjects name: `ServiceAccount` subjects, and the groups of
/// every account (`system:serviceaccounts`) or a namespace's (`…:NS`).
fn targets(b: &Object<'_>, accounts: &Accounts) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (kind, namespace, name, _) in subjects(b) {
        match kind {
            "ServiceAccount" => {
                out.insert((namespace, name.to_string()));
            }
            "Group" if name == "system:serviceaccounts" => {
                out.extend(accounts.keys().cloned());
            }
            "Group" => {
                if let Some(ns) = name.strip_prefix("system:serviceaccounts:") {
                    out.extend(accounts.keys().filter(|(n, _)| n == ns).cloned());
                }
            }
            _ => {}
        }
    }
    out
}

/// Each subject: its kind, namespace (the binding's when it names none), name and node.
fn subjects<'a>(b: &Object<'a>) -> Vec<(&'a str, String, &'a str, &'a Node)> {
    b.node
        .get("subjects")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| {
            let kind = s.get("kind").and_then(Node::as_str)?;
            let name = s.get("name").and_then(Node::as_str)?;
            let namespace = s
                .get("namespace")
                .and_then(Node::as_str)
                .unwrap_or(b.namespace())
                .to_string();
            Some((kind, namespace, name, s))
        })
        .collect()
}

fn bind(access: &mut Access, bound: &Bound<'_>, b: &Object<'_>, scope: &str, cluster: bool) {
    let role = format!("{} {}", bound.kind, bound.name);
    let binding = b.title();
    access.roles.push(json!({
        "kind": bound.kind,
        "name": bound.name,
        "binding": binding,
        "scope": scope,
        "built_in": bound.built_in,
        "known": bound.rules.is_some(),
    }));
    let Some(rules) = &bound.rules else {
        access.unknown_roles.insert(role);
        return;
    };
    let source = format!("{role} through {binding}");
    for rule in rules {
        let (level, powers) = rule.judge(cluster);
        for p in &powers {
            access.powers.insert(p);
            access
                .power_grants
                .insert((p, role.clone(), binding.clone(), scope.to_string()));
        }
        access.cluster_admin |= powers.contains(&"cluster-admin");
        access.wildcard |= powers.contains(&"wildcard");
        if level > AccessLevel::None {
            access.grants.push((
                format!("{}:{}", rule.resources.join(","), rule.verbs.join(",")),
                scope.to_string(),
                level,
                source.clone(),
                b.loc(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_judged_by_verbs_and_resources() {
        let (level, powers) = Rule::new(&[""], &["secrets"], &["get", "list"]).judge(false);
        assert_eq!((level, powers), (AccessLevel::Read, vec!["secrets-read"]));
        let (level, powers) = Rule::new(&["*"], &["*"], &["*"]).judge(true);
        assert_eq!(level, AccessLevel::Admin);
        assert!(powers.contains(&"cluster-admin") && powers.contains(&"secrets-read"));
        let (_, powers) = Rule::new(&["*"], &["*"], &["*"]).judge(false);
        assert!(!powers.contains(&"cluster-admin") && powers.contains(&"wildcard"));
        let (level, powers) = Rule::new(&[""], &["pods/*"], &["create"]).judge(false);
        assert_eq!(level, AccessLevel::Write);
        assert_eq!(powers, vec!["pods-exec"]);
        let (level, _) =
            Rule::new(&["rbac.authorization.k8s.io"], &["clusterroles"], &["bind"]).judge(true);
        assert_eq!(level, AccessLevel::PermissionsManagement);
        assert_eq!(
            Rule::new(&[""], &["pods"], &["list"]).judge(false),
            (AccessLevel::List, vec![])
        );
    }

    #[test]
    fn built_in_roles_by_their_documented_meaning() {
        let powers = |name| {
            let mut all = BTreeSet::new();
            for r in built_in(name).unwrap() {
                all.extend(r.judge(false).1);
            }
            all
        };
        assert!(!powers("view").contains("secrets-read"));
        assert!(powers("edit").contains("secrets-read") && !powers("edit").contains("rbac-write"));
        assert!(powers("admin").contains("rbac-write"));
        assert!(built_in("pod-reader").is_none());
    }
}
