//! Kubernetes manifests (`src/sources/iac/kubernetes/`): service accounts, RBAC, token
//! Secrets and agent workloads from the fixtures, the workload identity joins and the
//! chain through them, the rules, and bad input.

use std::path::Path;

use serde_json::Value;

use crate::common::{bin, crate_dir, identity, scan_all_at};

const NOW: &str = "2026-12-03T00:00:00Z";

fn fixtures() -> std::path::PathBuf {
    crate_dir().join("fixtures/iac/kubernetes")
}

use crate::common::findings_of as findings;

fn k8s(report: &Value, id: &str) -> Value {
    identity(report, id)["facts"]["kubernetes"].clone()
}

#[test]
fn manifests_give_accounts_grants_agents_and_joins() {
    let r = scan_all_at(&fixtures(), NOW, 0);
    let inv = &r["inventory"];

    // The RBAC documentation's examples: a Role through a RoleBinding, a ClusterRole
    // through a namespace's group, a built-in role by name.
    let ci = identity(&r, "k8s:sa:default/ci-bot");
    assert_eq!(ci["kind"], "kubernetes-service-account");
    assert_eq!(ci["provider"], "kubernetes");
    assert_eq!(ci["access_level"], "read");
    assert!(
        ci["locations"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("kubernetes/rbac-docs.yaml")
    );
    assert_eq!(k8s(&r, "k8s:sa:default/ci-bot")["defined"], false);
    assert_eq!(
        k8s(&r, "k8s:sa:default/ci-bot")["unknown_roles"],
        serde_json::json!(["ClusterRole custom-operator"])
    );
    assert_eq!(
        k8s(&r, "k8s:sa:qa/tester")["powers"],
        serde_json::json!(["secrets-read"])
    );
    assert_eq!(
        k8s(&r, "k8s:sa:default/dashboard")["roles"][0]["built_in"],
        true
    );
    let grants: Vec<&Value> = r["grants"]
        .as_array()
        .or(inv["grants"].as_array())
        .unwrap()
        .iter()
        .filter(|g| g["identity"] == "k8s:sa:qa/tester")
        .collect();
    assert_eq!(grants.len(), 1, "{grants:?}");
    assert_eq!(grants[0]["action"], "secrets:get,watch,list");
    assert_eq!(grants[0]["resource"], "cluster");
    assert_eq!(grants[0]["access_level"], "read");
    // A binding to a role neither in the files nor built in: a warning at its line.
    let warnings = inv["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w["location"]
            .as_str()
            .unwrap()
            .ends_with("kubernetes/rbac-docs.yaml:81:3")
            && w["message"].as_str().unwrap().contains("custom-operator")
            && w["message"].as_str().unwrap().contains("unknown")),
        "{warnings:?}"
    );

    // The documented long-lived token Secret.
    let token = inv["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "k8s:secret:default/build-robot-secret")
        .expect("the token Secret");
    assert_eq!(token["kind"], "kubernetes-service-account-token");
    assert_eq!(token["lifetime"], "static");
    assert_eq!(token["storage"], "issued");
    assert_eq!(token["identity"], "k8s:sa:default/build-robot");
    assert_eq!(
        k8s(&r, "k8s:sa:default/build-robot")["long_lived_token"],
        true
    );

    // The agent Deployment and the kubectl List's Pod.
    let agents = inv["agents"].as_array().unwrap();
    let agent = |id: &str| {
        agents
            .iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let claude = agent("k8s:workload:agents/Deployment/claude-reviewer");
    assert_eq!(claude["kind"], "kubernetes-workload");
    assert_eq!(claude["confidence"], "high");
    assert_eq!(claude["source"], "iac");
    assert_eq!(claude["facts"]["agent"], "Claude Code");
    assert_eq!(claude["facts"]["service_account"], "coding-agent");
    assert_eq!(claude["facts"]["automount_token"], true);
    assert_eq!(
        claude["facts"]["llm_keys"],
        serde_json::json!(["ANTHROPIC_API_KEY"])
    );
    assert!(claude["facts"]["calls_kubernetes_api"].is_null());
    let gemini = agent("k8s:workload:ops/Pod/triage-bot");
    assert_eq!(gemini["facts"]["agent"], "Gemini CLI");
    assert!(
        gemini["locations"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("kubectl-get.json")
    );
    let edges = inv["edges"].as_array().unwrap();
    let edge = |kind: &str, from: &str, to: &str| {
        edges
            .iter()
            .any(|e| e["kind"] == kind && e["from"] == from && e["to"] == to)
    };
    assert!(edge(
        "holds",
        "k8s:workload:agents/Deployment/claude-reviewer",
        "k8s:sa:agents/coding-agent"
    ));

    // IRSA: joined to the role, whose trust names the account; an ARN without an
    // account joins by name, and that role's trust has no `sub`.
    let role = "aws:arn:aws:iam::111122223333:role/coding-agent-role";
    assert!(edge("assumes", "k8s:sa:agents/coding-agent", role));
    let wi = &k8s(&r, "k8s:sa:agents/coding-agent")["workload_identity"][0];
    assert_eq!(wi["joined"], role);
    assert_eq!(wi["trust_names_subject"], true);
    let loose = &k8s(&r, "k8s:sa:apps/loose-agent")["workload_identity"][0];
    assert_eq!(
        loose["joined"],
        "aws:arn:aws:iam::111122223333:role/loose-role"
    );
    assert_eq!(loose["trust_names_subject"], false);
    // GKE and Azure annotations are read; their cloud identities are not in this scan.
    let gke = &k8s(&r, "k8s:sa:apps/gke-app")["workload_identity"][0];
    assert_eq!(gke["cloud"], "gcp");
    assert!(gke["joined"].is_null() && gke["trust_names_subject"].is_null());
    assert_eq!(
        k8s(&r, "k8s:sa:apps/azure-app")["azure_client_id"],
        "00000000-0000-0000-0000-00000000a9e1"
    );

    // The chain: agent → service account → AWS role.
    let chain = findings(&r, "NHI-REPO-015");
    assert!(
        chain.iter().any(
            |f| f["agent"] == "k8s:workload:agents/Deployment/claude-reviewer"
                && f["path"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p == "k8s:sa:agents/coding-agent")
                && f["path"].as_array().unwrap().iter().any(|p| p == role)
        ),
        "{chain:?}"
    );

    // The rules, and no false highs for accounts no agent runs as.
    let subjects = |rule: &str| -> Vec<String> {
        findings(&r, rule)
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["subject"].as_str().unwrap(),
                    f["severity"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        subjects("NHI-K8S-001"),
        ["k8s:sa:default/build-robot medium"]
    );
    assert_eq!(
        subjects("NHI-K8S-002"),
        ["k8s:sa:agents/coding-agent critical"]
    );
    assert_eq!(subjects("NHI-K8S-003"), ["k8s:sa:agents/coding-agent high"]);
    assert_eq!(subjects("NHI-K8S-004"), ["k8s:sa:agents/coding-agent high"]);
    assert_eq!(subjects("NHI-K8S-005"), ["k8s:sa:apps/loose-agent medium"]);
    assert_eq!(findings(&r, "NHI-K8S-006").len(), 2);
    assert!(
        findings(&r, "NHI-K8S-006")
            .iter()
            .all(|f| f["severity"] == "low")
    );
}

fn write(dir: &Path, name: &str, text: &[u8]) {
    std::fs::write(dir.join(name), text).unwrap();
}

const SA: &str = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: fine\n  namespace: ok\n";

#[test]
fn bad_manifests_are_named_and_the_scan_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "good.yaml", SA.as_bytes());
    write(
        dir,
        "broken.yaml",
        b"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: [unclosed\n  namespace: x\n",
    );
    write(
        dir,
        "odd-documents.yaml",
        b"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{image: x}]}\n---\njust a scalar\n---\n- a\n- list\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
    );
    let deep = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: deep\nspec: {}{}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    write(dir, "deep.yaml", deep.as_bytes());
    let mut bad_utf8 = b"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bytes".to_vec();
    bad_utf8.extend([0xff, 0xfe, 0x80]);
    bad_utf8.extend(b"\n  namespace: enc\n");
    write(dir, "bytes.yaml", &bad_utf8);
    write(
        dir,
        "helm.yaml",
        b"{{- if .Values.serviceAccount.create -}}\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {{ include \"x.fullname\" . }}\n{{- end }}\n",
    );
    let items: Vec<String> = (0..20_000)
        .map(|i| format!(r#"{{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {{"name": "sa-{i}", "namespace": "big"}}}}"#))
        .collect();
    let list = format!(
        r#"{{"apiVersion": "v1", "items": [{}], "kind": "List"}}"#,
        items.join(",")
    );
    write(dir, "big.json", list.as_bytes());

    let started = std::time::Instant::now();
    let r = scan_all_at(dir, NOW, 0);
    assert!(started.elapsed().as_secs() < 120);
    let inv = &r["inventory"];
    identity(&r, "k8s:sa:ok/fine");
    let ids: Vec<&str> = inv["identities"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(
        ids.iter().filter(|i| i.starts_with("k8s:sa:big/")).count(),
        20_000
    );
    assert!(
        ids.iter().any(|i| i.starts_with("k8s:sa:enc/bytes")),
        "{ids:?}"
    );
    let errors = r["errors"].as_array().unwrap();
    let warnings = inv["warnings"].as_array().unwrap();
    let at = |list: &[Value], prefix: &str| -> Vec<String> {
        list.iter()
            .filter(|e| e["location"].as_str().unwrap().contains(prefix))
            .map(|e| {
                format!(
                    "{} {}",
                    e["location"].as_str().unwrap(),
                    e["message"].as_str().unwrap()
                )
            })
            .collect()
    };
    let broken = at(errors, "broken.yaml:");
    assert_eq!(broken.len(), 1, "{errors:?}");
    assert!(
        broken[0].contains("broken.yaml:5:") && broken[0].contains("YAML"),
        "{broken:?}"
    );
    let deep = at(errors, "deep.yaml:");
    assert!(
        deep.len() == 1
            && (deep[0].contains("nested deeper") || deep[0].contains("recursion limit")),
        "{errors:?}"
    );
    let odd = at(warnings, "odd-documents.yaml:");
    assert_eq!(odd.len(), 2, "{warnings:?}");
    assert!(odd.iter().any(|w| w.contains("a scalar")) && odd.iter().any(|w| w.contains("a list")));
    let helm = at(warnings, "helm.yaml");
    assert_eq!(helm.len(), 1, "{warnings:?}");
    assert!(helm[0].contains("helm template"));
    assert!(at(errors, "helm.yaml").is_empty(), "{errors:?}");
    // The Pod of the odd file was read (it runs as `default`), the Widget was not.
    identity(&r, "k8s:sa:default/default");
    assert!(!r.to_string().contains("Widget"));
}

#[test]
fn a_secrets_data_never_reaches_a_report() {
    let tmp = tempfile::tempdir().unwrap();
    let value = "eyJhbGciOiJSUzI1NiIsImtpZCI6IkswVkVYQU1QTEUifQ.c2VjcmV0LXZhbHVlLW5ldmVyLXNob3du";
    let plain = "pl41n-t0ken-Zq8vW2xR7mK3nB9s";
    let text = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: agent-token\n  namespace: agents\n  annotations:\n    kubernetes.io/service-account.name: agent\ntype: kubernetes.io/service-account-token\ndata:\n  token: {value}\nstringData:\n  extra: {plain}\n"
    );
    write(tmp.path(), "secret.yaml", text.as_bytes());
    for format in ["json", "sarif", "table", "markdown"] {
        let out = bin()
            .arg("scan")
            .arg(tmp.path())
            .args(["--format", format, "--fail-on", "none", "--scope", "all"])
            .env("NHI_AUDIT_NOW", NOW)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        for stream in [&out.stdout, &out.stderr] {
            let s = String::from_utf8_lossy(stream);
            assert!(!s.contains(value) && !s.contains(plain), "{format}: {s}");
            assert!(!s.contains("c2VjcmV0LXZhbHVl"), "{format}: {s}");
        }
        if format == "json" {
            let r: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert!(
                r["inventory"]["credentials"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["id"] == "k8s:secret:agents/agent-token")
            );
        }
    }
}

/// The recogniser claims no workflow, MCP config or other file of the shared corpus,
/// nor of the other fixtures.
#[test]
fn the_recogniser_claims_nothing_else() {
    let mut roots = vec![
        crate_dir().join("fixtures/demo"),
        crate_dir().join("fixtures/scenario"),
    ];
    match crate::common::corpus("wild") {
        Some(wild) => roots.push(wild),
        None => return,
    }
    roots.extend(crate::common::corpus("mcp"));
    roots.extend(crate::common::corpus("workflows"));
    for root in roots {
        let r = scan_all_at(&root, NOW, 0);
        let text = r["inventory"].to_string();
        assert!(!text.contains("\"iac\""), "{}: iac items", root.display());
        assert!(
            !text.contains("k8s:"),
            "{}: kubernetes items",
            root.display()
        );
    }
}
