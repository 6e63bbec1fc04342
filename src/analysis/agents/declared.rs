//! Agents declared in the config (`agents:` with a name, the paths of its files and the
//! patterns of the cloud principals it acts as: AWS ARNs, Entra identity ids).

use crate::config::Config;
use crate::model::{Agent, AgentKind, Confidence, EdgeKind, Evidence, Inventory, SourceKind};

/// Agents declared in the config hold the credentials found under their paths.
pub fn declare(inv: &mut Inventory, config: &Config) {
    if config.agents.is_empty() {
        return;
    }
    for declared in &config.agents {
        let id = format!("declared:{}", declared.name);
        let mut edges = Vec::new();
        // Cloud principals declared by pattern: an AWS principal by its ARN, an Entra
        // identity by its id (`azure:app:APP_ID`, `azure:sp:OBJECT_ID`).
        for identity in &inv.identities {
            let Some(arn) = identity.id.strip_prefix("aws:").or_else(|| {
                identity
                    .id
                    .starts_with("azure:")
                    .then_some(identity.id.as_str())
            }) else {
                continue;
            };
            if declared.principals.iter().any(|g| g.is_match(arn)) {
                edges.push(crate::model::Edge {
                    kind: EdgeKind::Holds,
                    from: id.clone(),
                    to: identity.id.clone(),
                    evidence: format!(
                        "declared in {} as acting as {arn}",
                        config.file.as_deref().unwrap_or("the config")
                    ),
                    location: identity.locations.first().cloned(),
                });
            }
        }
        for cred in &inv.credentials {
            if let Some(loc) = cred.locations.iter().find(|l| {
                l.path()
                    .is_some_and(|p| declared.paths.iter().any(|g| g.is_match(p)))
            }) {
                edges.push(crate::model::Edge {
                    kind: EdgeKind::Holds,
                    from: id.clone(),
                    to: cred.identity.clone().unwrap_or_else(|| cred.id.clone()),
                    evidence: format!(
                        "declared in {} as used by {}",
                        config.file.as_deref().unwrap_or("the config"),
                        declared.name
                    ),
                    location: Some(loc.clone()),
                });
            }
        }
        inv.agents.push(Agent {
            id,
            name: declared.name.clone(),
            kind: AgentKind::Declared,
            confidence: Confidence::High,
            evidence: vec![Evidence::new(
                format!(
                    "declared in {}",
                    config.file.as_deref().unwrap_or("the config")
                ),
                None,
            )],
            source: SourceKind::Repo,
            locations: Vec::new(),
            facts: Default::default(),
        });
        inv.edges.extend(edges);
    }
    inv.normalize();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Credential, Identity, Lifetime, Location, Storage};

    #[test]
    fn a_declared_agent_holds_its_principals_and_the_credentials_under_its_paths() {
        let config = Config::parse(
            ".nhi-audit.yaml",
            "agents:\n  - name: support-bot\n    paths: ['bot/**']\n    principals: ['arn:aws:iam::*:role/support-*', 'azure:app:1111*']\n",
        )
        .expect("a config");
        let mut inv = Inventory::default();
        for arn in [
            "arn:aws:iam::111122223333:role/support-triage",
            "arn:aws:iam::111122223333:role/billing",
        ] {
            inv.identities
                .push(Identity::new(format!("aws:{arn}"), "aws-role", "aws", arn));
        }
        for id in [
            "azure:app:11112222-0000-4000-8000-000000000001",
            "azure:app:9999",
        ] {
            inv.identities
                .push(Identity::new(id, "azure-application", "azure", id));
        }
        for (id, path) in [("key-a", "bot/.env"), ("key-b", "web/.env")] {
            let mut c = Credential::new(
                id,
                "llm-api-key",
                "openai",
                Lifetime::Static,
                Storage::Hardcoded,
                Confidence::High,
            );
            c.locations = vec![Location::File {
                path: path.into(),
                line: 1,
                column: 1,
            }];
            inv.credentials.push(c);
        }
        declare(&mut inv, &config);
        assert_eq!(inv.agents.len(), 1);
        assert_eq!(inv.agents[0].id, "declared:support-bot");
        assert_eq!(inv.agents[0].kind, "declared");
        let held: Vec<&str> = inv.edges.iter().map(|e| e.to.as_str()).collect();
        assert_eq!(
            held,
            [
                "aws:arn:aws:iam::111122223333:role/support-triage",
                "azure:app:11112222-0000-4000-8000-000000000001",
                "key-a"
            ]
        );
        assert!(
            inv.edges
                .iter()
                .all(|e| e.kind == EdgeKind::Holds && e.from == "declared:support-bot")
        );
    }

    #[test]
    fn no_declared_agents_change_nothing() {
        let mut inv = Inventory::default();
        inv.identities.push(Identity::new(
            "aws:arn:aws:iam::1:role/x",
            "aws-role",
            "aws",
            "x",
        ));
        declare(&mut inv, &Config::default());
        assert!(inv.agents.is_empty());
        assert!(inv.edges.is_empty());
    }
}
