//! Workloads: the service account each runs as, whether its token is mounted, and
//! whether it runs an AI agent — recognised with the repository source's agent
//! catalogue (`data/agents.yaml`: agent products, their commands, their secrets), the
//! agent frameworks nhi-audit reads, the config files it recognises by name, and the
//! LLM providers' key names.

use std::path::Path;

use serde_json::json;

use super::{Accounts, Object, account, account_id};
use crate::doc::Node;
use crate::model::{Agent, AgentKind, Confidence, Edge, EdgeKind, Evidence, Inventory, SourceKind};
use crate::sources::repo::{FileKind, catalog, classify_by_name};

/// The pod spec of a workload.
fn pod_spec<'a>(o: &Object<'a>) -> Option<&'a Node> {
    match o.kind {
        "Pod" => o.node.get("spec"),
        "CronJob" => o
            .node
            .at(&["spec", "jobTemplate", "spec", "template", "spec"]),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            o.node.at(&["spec", "template", "spec"])
        }
        _ => None,
    }
}

/// The labels and annotations of a workload and of its pod template.
fn label_values<'a>(o: &Object<'a>) -> Vec<&'a str> {
    let mut out = Vec::new();
    let template = match o.kind {
        "CronJob" => o.node.at(&["spec", "jobTemplate", "spec", "template"]),
        _ => o.node.at(&["spec", "template"]),
    };
    for meta in [
        o.node.get("metadata"),
        template.and_then(|t| t.get("metadata")),
    ]
    .into_iter()
    .flatten()
    {
        for key in ["labels", "annotations"] {
            out.extend(
                meta.get(key)
                    .map(Node::entries)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|(_, v)| v.as_str()),
            );
        }
    }
    out
}

/// A name as a slug: lower case, runs of other characters one `-`.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Every agent product of the catalogue and every agent framework nhi-audit reads, with
/// its slug (`claude-code`, `crewai`).
fn agent_names() -> Vec<(String, String)> {
    let cat = catalog();
    let mut names: Vec<String> = cat
        .actions
        .iter()
        .map(|a| a.agent.clone())
        .chain(cat.commands.iter().map(|c| c.agent.clone()))
        .chain(cat.llm_endpoints.iter().filter_map(|e| e.agent.clone()))
        .chain(cat.agent_secrets.iter().map(|(_, a)| a.clone()))
        .chain(
            [AgentKind::CrewAi, AgentKind::LangGraph, AgentKind::AutoGen]
                .iter()
                .map(|k| k.as_str().to_string()),
        )
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|n| (slug(&n), n))
        // Too short to tell from other software's names (`amp`, `llm`).
        .filter(|(s, _)| s.len() >= 5)
        .collect()
}

/// The agent an image is, by its repository (`ghcr.io/ORG/claude-code:1` is Claude Code,
/// `ghcr.io/sst/opencode` opencode's action repository).
fn agent_of_image(image: &str, names: &[(String, String)]) -> Option<String> {
    let image = image.split('@').next().unwrap_or(image);
    let mut segments: Vec<&str> = image.split('/').collect();
    if let Some(last) = segments.last_mut() {
        *last = last.split(':').next().unwrap_or(last);
    }
    if segments.len() > 1
        && segments
            .first()
            .is_some_and(|r| r.contains('.') || r.contains(':') || *r == "localhost")
    {
        segments.remove(0);
    }
    let last = slug(segments.last()?);
    if let [.., owner, repo] = segments.as_slice()
        && let Some(a) = catalog().action(&format!("{owner}/{repo}"))
    {
        return Some(a.agent.clone());
    }
    names
        .iter()
        .find(|(s, _)| {
            last == *s
                || last.starts_with(&format!("{s}-"))
                || s.strip_suffix("-cli").is_some_and(|base| last == base)
        })
        .map(|(_, n)| n.clone())
}

/// What says a workload runs an agent.
struct Seen {
    agent: Option<String>,
    confidence: Option<Confidence>,
    evidence: Vec<Evidence>,
}

impl Seen {
    fn add(&mut self, agent: Option<String>, confidence: Confidence, evidence: Evidence) {
        if self.agent.is_none() || self.confidence < Some(confidence) {
            self.agent = agent.or(self.agent.take());
        }
        self.confidence = self.confidence.max(Some(confidence));
        self.evidence.push(evidence);
    }
}

/// Reads every workload: the accounts they run as, and the agents among them.
pub(super) fn read(objects: &[Object<'_>], accounts: &mut Accounts, inv: &mut Inventory) {
    let names = agent_names();
    let cat = catalog();
    for o in objects {
        let Some(spec) = pod_spec(o) else { continue };
        let namespace = o.namespace();
        let sa_node = spec
            .get("serviceAccountName")
            .or_else(|| spec.get("serviceAccount"));
        let sa = sa_node.and_then(Node::as_str).unwrap_or("default");
        let title = o.title();
        let a = account(accounts, namespace, sa, o.loc_of(sa_node.unwrap_or(o.node)));
        a.workloads.push(title.clone());
        let automount = spec
            .get("automountServiceAccountToken")
            .and_then(Node::as_bool)
            .or(a.automount)
            .unwrap_or(true);

        let mut seen = Seen {
            agent: None,
            confidence: None,
            evidence: Vec::new(),
        };
        let mut images = Vec::new();
        let mut llm_keys = Vec::new();
        let mut mounted = Vec::new();
        let containers = ["initContainers", "containers", "ephemeralContainers"]
            .iter()
            .flat_map(|k| spec.get(k).map(Node::items).unwrap_or_default());
        let volumes = spec.get("volumes").map(Node::items).unwrap_or_default();
        for c in containers {
            if let Some(image) = c.get("image").and_then(Node::as_str) {
                images.push(image.to_string());
                if let Some(agent) = agent_of_image(image, &names) {
                    let why = format!("its image {image} is {agent}'s");
                    seen.add(
                        Some(agent),
                        Confidence::High,
                        Evidence::new(why, Some(o.loc_of(c))),
                    );
                }
            }
            let script: Vec<&str> = ["command", "args"]
                .iter()
                .flat_map(|k| c.get(k).map(Node::strings).unwrap_or_default())
                .collect();
            if let Some(cmd) = cat.command(&script.join(" ")) {
                let why = format!("its container runs {}", cmd.agent);
                seen.add(
                    Some(cmd.agent.clone()),
                    Confidence::High,
                    Evidence::new(why, Some(o.loc_of(c))),
                );
            }
            for env in c.get("env").map(Node::items).unwrap_or_default() {
                let Some(name) = env.get("name").and_then(Node::as_str) else {
                    continue;
                };
                let product = cat.agent_of_secret(name).map(str::to_string);
                let llm = crate::secrets::hint_for_name(name)
                    .is_some_and(|h| cat.is_llm_provider(h.provider));
                if product.is_none() && !llm {
                    continue;
                }
                llm_keys.push(name.to_string());
                let (confidence, why) = match &product {
                    Some(p) => (
                        Confidence::Medium,
                        format!("its environment has {name}, {p}'s key"),
                    ),
                    None => (
                        Confidence::Low,
                        format!("its environment has {name}, an LLM provider's API key"),
                    ),
                };
                seen.add(product, confidence, Evidence::new(why, Some(o.loc_of(env))));
            }
            for m in c.get("volumeMounts").map(Node::items).unwrap_or_default() {
                for path in mount_paths(m, volumes) {
                    let kind = classify_by_name(Path::new(&path));
                    if matches!(kind, FileKind::Other | FileKind::DotEnv) {
                        continue;
                    }
                    let why = format!("it mounts {path}, {}", kind.describe());
                    seen.add(
                        None,
                        Confidence::Medium,
                        Evidence::new(why, Some(o.loc_of(m))),
                    );
                    mounted.push(path);
                }
            }
        }
        for value in label_values(o) {
            let s = slug(value);
            if let Some((_, agent)) = names.iter().find(|(n, _)| *n == s) {
                let why = format!("its labels or annotations name {agent}");
                seen.add(
                    Some(agent.clone()),
                    Confidence::Medium,
                    Evidence::new(why, Some(o.loc())),
                );
            }
        }
        let Some(confidence) = seen.confidence else {
            continue;
        };
        let id = format!("k8s:workload:{namespace}/{}/{}", o.kind, o.name);
        let name = match &seen.agent {
            Some(agent) => format!("{agent} ({title})"),
            None => title.clone(),
        };
        images.dedup();
        llm_keys.sort();
        llm_keys.dedup();
        let facts = json!({
            "namespace": namespace,
            "workload_kind": o.kind,
            "agent": seen.agent,
            "images": images,
            "service_account": sa,
            "automount_token": automount,
            "llm_keys": llm_keys,
            "mounted_configs": mounted,
            "calls_kubernetes_api": null,
        });
        inv.edges.push(Edge {
            kind: EdgeKind::Holds,
            from: id.clone(),
            to: account_id(namespace, sa),
            evidence: format!("it runs as the service account {namespace}/{sa}"),
            location: Some(o.loc_of(sa_node.unwrap_or(o.node))),
        });
        inv.agents.push(Agent {
            id,
            name,
            kind: AgentKind::KubernetesWorkload,
            confidence,
            evidence: seen.evidence,
            source: SourceKind::Iac,
            locations: vec![o.loc()],
            facts: facts
                .as_object()
                .map(|m| m.clone().into_iter().collect())
                .unwrap_or_default(),
        });
    }
}

/// The files a volume mount puts in the container: its path (with `subPath`), and each
/// item a ConfigMap or Secret volume projects under it.
fn mount_paths(mount: &Node, volumes: &[Node]) -> Vec<String> {
    let Some(base) = mount.get("mountPath").and_then(Node::as_str) else {
        return Vec::new();
    };
    let join = |p: &str| format!("{}/{}", base.trim_end_matches('/'), p);
    if let Some(sub) = mount.get("subPath").and_then(Node::as_str) {
        return vec![join(sub)];
    }
    let mut out = vec![base.to_string()];
    let name = mount.get("name").and_then(Node::as_str);
    if let Some(v) = volumes
        .iter()
        .find(|v| name.is_some() && v.get("name").and_then(Node::as_str) == name)
    {
        for source in ["configMap", "secret"] {
            for item in v
                .at(&[source, "items"])
                .map(Node::items)
                .unwrap_or_default()
            {
                if let Some(p) = item.get("path").and_then(Node::as_str) {
                    out.push(join(p));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_name_agents_by_the_catalogue() {
        let names = agent_names();
        let agent = |image| agent_of_image(image, &names);
        assert_eq!(
            agent("ghcr.io/example/claude-code:1.0").as_deref(),
            Some("Claude Code")
        );
        assert_eq!(
            agent("ghcr.io/sst/opencode@sha256:abc").as_deref(),
            Some("opencode")
        );
        assert_eq!(
            agent("docker.io/langchain/langgraph-api:3.11").as_deref(),
            Some("langgraph")
        );
        assert_eq!(agent("example/gemini:2").as_deref(), Some("Gemini CLI"));
        assert_eq!(agent("nginx:1.27"), None);
        assert_eq!(agent("registry.example.com:5000/amp"), None);
        assert_eq!(agent(""), None);
    }
}
