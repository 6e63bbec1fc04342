//! Kubernetes objects in manifests and `kubectl get -o json` listings: service accounts,
//! what their RBAC bindings let them do, their long-lived token Secrets, and the
//! workloads that run as them (an AI agent's becomes an agent that holds its account).
//!
//! Only the objects' structure is read. A Secret's `data` and `stringData` are never
//! looked at: the repository walk's secret scanner already reads the file's text.

mod rbac;
mod workloads;

use std::collections::BTreeMap;
use std::path::Path;

use crate::doc::{Format, Node, Value};
use crate::model::{
    Confidence, Credential, CredentialKind, Identity, IdentityKind, Inventory, Lifetime, Location,
    Provider, SourceKind, Storage,
};
use crate::sources::{Context, FoundExport};

/// The kinds this source reads; every other kind is left alone.
const KINDS: &[&str] = &[
    "ServiceAccount",
    "Secret",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
];

/// Annotations that make a service account a cloud identity (workload identity).
pub const IRSA_ANNOTATION: &str = "eks.amazonaws.com/role-arn";
pub const GKE_ANNOTATION: &str = "iam.gke.io/gcp-service-account";
pub const AZURE_ANNOTATION: &str = "azure.workload.identity/client-id";

/// The id of the service account `name` of `namespace`.
pub fn account_id(namespace: &str, name: &str) -> String {
    format!("k8s:sa:{namespace}/{name}")
}

/// Whether `text` (named `name`) holds Kubernetes objects this source reads: YAML with
/// a top-level `apiVersion:` and a `kind:` it reads in one of its documents, or a JSON
/// object or `List` of them. Only the head of the file is looked at.
pub fn is_manifest(name: &str, text: &str) -> bool {
    // Helm's chart metadata and values are not objects (and `Chart.yaml` has an
    // `apiVersion`).
    if matches!(name, "Chart.yaml" | "Chart.yml") || name.starts_with("values") {
        return false;
    }
    let head = crate::sources::head(text);
    if let Some(keys) = crate::doc::json_top_level_keys(head).filter(|_| !is_template(head)) {
        let value = |key: &str| {
            keys.iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_deref())
        };
        let api = matches!(value("apiVersion"), Some(Some(v)) if is_api_version(v));
        return match value("kind") {
            Some(Some(kind)) => api && (is_read_kind(kind) || is_list_kind(kind)),
            // `kubectl get -o json` sorts its keys: `kind` follows `items`, perhaps past
            // the head. Its items are objects with an `apiVersion` of their own.
            _ => {
                api && keys.get(1).is_some_and(|(k, _)| k == "items")
                    && (head.matches("\"apiVersion\"").count() > 1
                        || head.contains("\"items\": []"))
            }
        };
    }
    let (mut api, mut kind) = (false, false);
    for line in head.lines() {
        if line.starts_with("---") || line.starts_with("...") {
            (api, kind) = (false, false);
        } else if let Some(v) = line.strip_prefix("apiVersion:") {
            api = is_api_version(scalar(v));
        } else if let Some(v) = line.strip_prefix("kind:") {
            let v = scalar(v);
            kind = is_read_kind(v) || is_list_kind(v);
        }
        if api && kind {
            return true;
        }
    }
    false
}

/// A text that starts with a Go template action (`{{- if … }}`), as Helm's do: not JSON.
fn is_template(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with("{{")
}

/// A plain scalar as a line writes it: spaces, a comment and quotes taken off.
fn scalar(v: &str) -> &str {
    let v = v.split(" #").next().unwrap_or(v).trim();
    v.trim_matches(|c| c == '"' || c == '\'')
}

/// `v1`, or `GROUP/VERSION` (`apps/v1`, `rbac.authorization.k8s.io/v1`).
fn is_api_version(v: &str) -> bool {
    let version = |s: &str| {
        s.strip_prefix('v')
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
            && s.chars().all(|c| c.is_ascii_alphanumeric())
    };
    match v.split_once('/') {
        None => version(v),
        Some((group, ver)) => {
            !group.is_empty()
                && group
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
                && version(ver)
        }
    }
}

fn is_read_kind(kind: &str) -> bool {
    KINDS.contains(&kind)
}

/// `List` (what `kubectl get` prints for several kinds), or `ServiceAccountList`.
fn is_list_kind(kind: &str) -> bool {
    kind == "List" || kind.strip_suffix("List").is_some_and(is_read_kind)
}

/// One object of a manifest.
pub(super) struct Object<'a> {
    /// The file, as reports name it.
    pub file: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    namespace: Option<&'a str>,
    pub node: &'a Node,
}

impl<'a> Object<'a> {
    /// Its namespace; `default` when it names none (as `kubectl apply` puts it there).
    pub fn namespace(&self) -> &'a str {
        self.namespace.unwrap_or("default")
    }

    pub fn loc(&self) -> Location {
        Location::file(self.file, self.node.line, self.node.column)
    }

    /// Where a node of it is.
    pub fn loc_of(&self, node: &Node) -> Location {
        Location::file(self.file, node.line, node.column)
    }

    /// A node of it as `file:line:col`.
    pub fn at(&self, node: &Node) -> String {
        format!("{}:{}:{}", self.file, node.line, node.column)
    }

    /// `Deployment ci/reviewer`, or `ClusterRole view` for a cluster-wide object.
    pub fn title(&self) -> String {
        if matches!(self.kind, "ClusterRole" | "ClusterRoleBinding") {
            format!("{} {}", self.kind, self.name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace(), self.name)
        }
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.node
            .at(&["metadata", "annotations", key])
            .and_then(Node::as_str)
    }
}

/// A service account while the manifests are read.
#[derive(Default)]
pub(super) struct Account {
    pub location: Option<Location>,
    pub defined: bool,
    pub automount: Option<bool>,
    pub aws_role_arn: Option<String>,
    pub gcp_service_account: Option<String>,
    pub azure_client_id: Option<String>,
    pub token_secrets: Vec<String>,
    pub credentials: Vec<String>,
    pub workloads: Vec<String>,
    pub access: rbac::Access,
}

/// Every service account met, by (namespace, name).
pub(super) type Accounts = BTreeMap<(String, String), Account>;

/// The account `name` of `namespace`, added (as named, not defined) the first time.
pub(super) fn account<'m>(
    accounts: &'m mut Accounts,
    namespace: &str,
    name: &str,
    at: Location,
) -> &'m mut Account {
    let a = accounts
        .entry((namespace.to_string(), name.to_string()))
        .or_default();
    a.location.get_or_insert(at);
    a
}

/// Reads every manifest found.
pub fn collect(ctx: &Context<'_>, manifests: &[&FoundExport]) -> Inventory {
    let mut inv = Inventory::default();
    let mut files: Vec<(String, Vec<Node>)> = Vec::new();
    for export in manifests {
        let shown = ctx.names.shown(&export.path);
        if let Some(docs) = read(&export.path, &shown, &mut inv) {
            files.push((shown, docs));
        }
    }
    let mut objects = Vec::new();
    for (shown, docs) in &files {
        for doc in docs {
            objects_of(shown, doc, &mut objects, &mut inv, 0);
        }
    }
    build(&objects, &mut inv);
    crate::sources::repo::escape_inventory(&mut inv);
    inv
}

/// The documents of one manifest; `None` (and an error or a warning) when it cannot be
/// parsed.
fn read(path: &Path, shown: &str, inv: &mut Inventory) -> Option<Vec<Node>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            inv.errors
                .push(SourceKind::Iac.error(shown, format!("cannot read: {e}")));
            return None;
        }
    };
    let Some(text) = crate::sources::repo::decode(&bytes) else {
        inv.errors
            .push(SourceKind::Iac.error(shown, "binary data, not a Kubernetes manifest; not read"));
        return None;
    };
    let json = !is_template(&text)
        && text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('{');
    let parsed = if json {
        crate::doc::parse(&text, Format::Json).map(|n| vec![n])
    } else {
        crate::doc::parse_yaml_stream(&text)
    };
    match parsed {
        Ok(docs) => Some(docs),
        Err(_) if !json && text.contains("{{") => {
            inv.warnings.push(SourceKind::Iac.error(
                shown,
                "a Helm template: render it with `helm template` to scan it",
            ));
            None
        }
        Err(e) => {
            let what = if json { "JSON" } else { "YAML" };
            inv.errors.push(SourceKind::Iac.error(
                format!("{shown}:{}:{}", e.line, e.column),
                format!(
                    "cannot parse the Kubernetes manifest ({what}): {}",
                    e.message
                ),
            ));
            None
        }
    }
}

/// The objects of a document: itself, or the items of a `List`.
fn objects_of<'a>(
    file: &'a str,
    doc: &'a Node,
    out: &mut Vec<Object<'a>>,
    inv: &mut Inventory,
    depth: usize,
) {
    let here = || format!("{file}:{}:{}", doc.line, doc.column);
    let what = match &doc.value {
        Value::Null => return,
        Value::Map(_) => None,
        Value::Seq(_) => Some("a list"),
        _ => Some("a scalar"),
    };
    if let Some(what) = what {
        inv.warnings.push(SourceKind::Iac.error(
            here(),
            format!("a document that is {what}, not a Kubernetes object; not read"),
        ));
        return;
    }
    let Some(kind) = doc.get("kind").and_then(Node::as_str) else {
        return;
    };
    if is_list_kind(kind) && depth == 0 {
        for item in doc.get("items").map(Node::items).unwrap_or_default() {
            objects_of(file, item, out, inv, depth + 1);
        }
        return;
    }
    if !is_read_kind(kind) {
        return;
    }
    let Some(name) = doc.at(&["metadata", "name"]).and_then(Node::as_str) else {
        inv.warnings.push(SourceKind::Iac.error(
            here(),
            format!("a {kind} without `metadata.name`; not read"),
        ));
        return;
    };
    out.push(Object {
        file,
        kind,
        name,
        namespace: doc
            .at(&["metadata", "namespace"])
            .and_then(Node::as_str)
            .filter(|n| !n.is_empty()),
        node: doc,
    });
}

/// The inventory of every object read.
fn build(objects: &[Object<'_>], inv: &mut Inventory) {
    let mut accounts = Accounts::new();
    for sa in objects.iter().filter(|o| o.kind == "ServiceAccount") {
        let a = account(&mut accounts, sa.namespace(), sa.name, sa.loc());
        a.location = Some(sa.loc());
        a.defined = true;
        a.automount = sa
            .node
            .get("automountServiceAccountToken")
            .and_then(Node::as_bool);
        a.aws_role_arn = sa.annotation(IRSA_ANNOTATION).map(str::to_string);
        a.gcp_service_account = sa.annotation(GKE_ANNOTATION).map(str::to_string);
        a.azure_client_id = sa.annotation(AZURE_ANNOTATION).map(str::to_string);
    }
    token_secrets(objects, &mut accounts, inv);
    workloads::read(objects, &mut accounts, inv);
    rbac::read(objects, &mut accounts, inv);
    for ((namespace, name), a) in accounts {
        inv.identities
            .push(identity(&namespace, &name, a, &mut inv.grants));
    }
}

/// Long-lived token Secrets (`kubernetes.io/service-account-token`), each a credential
/// of the account its annotation names. Their `data` is never read.
fn token_secrets(objects: &[Object<'_>], accounts: &mut Accounts, inv: &mut Inventory) {
    for secret in objects.iter().filter(|o| o.kind == "Secret") {
        if secret.node.get("type").and_then(Node::as_str)
            != Some("kubernetes.io/service-account-token")
        {
            continue;
        }
        let Some(sa) = secret.annotation("kubernetes.io/service-account.name") else {
            inv.warnings.push(SourceKind::Iac.error(
                secret.at(secret.node),
                format!(
                    "{} is a service-account token Secret without the `kubernetes.io/service-account.name` annotation: Kubernetes does not fill it; not read",
                    secret.title()
                ),
            ));
            continue;
        };
        let namespace = secret.namespace();
        let id = format!("k8s:secret:{namespace}/{}", secret.name);
        let a = account(accounts, namespace, sa, secret.loc());
        a.token_secrets.push(secret.name.to_string());
        a.credentials.push(id.clone());
        inv.credentials.push(Credential {
            name: Some(secret.name.to_string()),
            identity: Some(account_id(namespace, sa)),
            locations: vec![secret.loc()],
            ..Credential::new(
                id,
                CredentialKind::KubernetesServiceAccountToken,
                Provider::Kubernetes,
                Lifetime::Static,
                Storage::Issued,
                Confidence::High,
            )
        });
    }
}

/// The identity of one service account, its grants added to `grants`.
fn identity(
    namespace: &str,
    name: &str,
    a: Account,
    grants: &mut Vec<crate::model::Grant>,
) -> Identity {
    let id = account_id(namespace, name);
    let mut identity = Identity::new(
        id.clone(),
        IdentityKind::KubernetesServiceAccount,
        Provider::Kubernetes,
        format!("{namespace}/{name}"),
    );
    identity.locations.extend(a.location.clone());
    identity.credentials = a.credentials.clone();
    identity.access_level = a.access.level();
    let mut workload_identity = Vec::new();
    for (cloud, target) in [
        ("aws", &a.aws_role_arn),
        ("gcp", &a.gcp_service_account),
        ("azure", &a.azure_client_id),
    ] {
        if let Some(t) = target {
            workload_identity.push(serde_json::json!({
                "cloud": cloud,
                "target": t,
                "joined": null,
                "trust_names_subject": null,
                "trust_issue": null,
            }));
        }
    }
    let mut facts = serde_json::json!({
        "namespace": namespace,
        "defined": a.defined,
        "automount_token": a.automount,
        "workload_identity": workload_identity,
        "token_secrets": a.token_secrets,
        "long_lived_token": !a.token_secrets.is_empty(),
        "workloads": a.workloads,
    });
    for (key, value) in [
        ("aws_role_arn", &a.aws_role_arn),
        ("gcp_service_account", &a.gcp_service_account),
        ("azure_client_id", &a.azure_client_id),
    ] {
        if let Some(v) = value {
            facts[key] = serde_json::json!(v);
        }
    }
    a.access.write_facts(&mut facts);
    grants.extend(a.access.grants(&id));
    identity.facts.insert("kubernetes".into(), facts);
    identity
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_manifests_by_structure() {
        let sa = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n";
        assert!(is_manifest("sa.yaml", sa));
        let multi = "apiVersion: v1\nkind: ConfigMap\n---\n# c\napiVersion: apps/v1\nkind: \"Deployment\"\n";
        assert!(is_manifest("all.yaml", multi));
        let list = r#"{"apiVersion": "v1", "items": [{"apiVersion": "v1", "kind": "ServiceAccount"}], "kind": "List"}"#;
        assert!(is_manifest("sa.json", list));
        assert!(is_manifest(
            "r.json",
            r#"{"kind": "ClusterRole", "apiVersion": "rbac.authorization.k8s.io/v1"}"#
        ));
        // Not objects it reads, or not Kubernetes at all.
        for (name, text) in [
            ("ci.yml", "on: push\njobs:\n  a:\n    runs-on: x\n"),
            ("docker-compose.yml", "services:\n  web:\n    image: x\n"),
            (
                "Chart.yaml",
                "apiVersion: v2\nname: x\nkind: ServiceAccount\n",
            ),
            ("values.yaml", "apiVersion: v1\nkind: Pod\n"),
            (
                "cf.yaml",
                "AWSTemplateFormatVersion: 2010-09-09\nResources: {}\n",
            ),
            ("api.yaml", "openapi: 3.0.0\ninfo:\n  title: x\n"),
            ("k.yaml", "apiVersion: v1\nkind: ConfigMap\n"),
            ("k.yaml", "apiVersion: v1\n---\nkind: Pod\n"),
            ("x.yaml", "kind: Pod\n"),
            ("x.yaml", "  apiVersion: v1\n  kind: Pod\n"),
            ("x.json", r#"{"apiVersion": "v1", "kind": "ConfigMap"}"#),
            (
                "x.json",
                r#"{"mcpServers": {"apiVersion": "v1", "kind": "Pod"}}"#,
            ),
            ("x.txt", "apiVersion: not a version\nkind: Pod\n"),
        ] {
            assert!(!is_manifest(name, text), "{name}: {text}");
        }
        assert!(is_manifest(
            "sa.yaml",
            "{{- if .Values.create }}\napiVersion: v1\nkind: ServiceAccount\n"
        ));
        // A multi-byte character across the head's end cannot panic.
        let long = format!("apiVersion: v1\n#{}\nkind: Pod\n", "é".repeat(5000));
        assert!(!is_manifest("x.yaml", &long));
    }
}
