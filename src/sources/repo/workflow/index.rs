//! The workflows, composite actions and gh-aw sources of the scanned repositories, parsed
//! once, so that a job that calls `./.github/actions/x`, `./.github/workflows/y.yml` or
//! (when the GitHub source fetched it) `org/repo/.github/workflows/y.yml@v1` is analysed
//! with what it calls.

use std::collections::{BTreeSet, HashMap};

use crate::doc::{self, Format, Node};

/// One file handed to the workflow analysis: its name in reports and its text.
#[derive(Debug, Clone)]
pub struct WorkflowFile {
    pub shown: String,
    pub text: String,
}

/// Parsed files by their shown name.
#[derive(Debug, Default)]
pub struct WorkflowIndex {
    docs: HashMap<String, Node>,
    /// Reusable workflows some indexed workflow calls (by shown name).
    called: BTreeSet<String>,
}

impl WorkflowIndex {
    /// Parses every YAML file (workflows, actions); files that do not parse are left out
    /// (their own analysis reports why). gh-aw sources are indexed by their front matter.
    pub fn new(files: &[WorkflowFile]) -> Self {
        let mut docs = HashMap::new();
        for f in files {
            let yaml = if f.shown.ends_with(".md") {
                match super::ghaw::front_matter(&f.text) {
                    Some((fm, _)) => fm,
                    None => continue,
                }
            } else {
                f.text.as_str()
            };
            if let Ok(node) = doc::parse(yaml, Format::Yaml) {
                docs.insert(f.shown.clone(), node);
            }
        }
        let mut index = WorkflowIndex {
            docs,
            called: BTreeSet::new(),
        };
        let mut called = BTreeSet::new();
        for (shown, doc) in &index.docs {
            for (_, job) in doc.get("jobs").map(Node::entries).unwrap_or_default() {
                if let Some(target) = job.get("uses").and_then(Node::as_str)
                    && let Some((callee, _)) = index.workflow(shown, target)
                {
                    called.insert(callee);
                }
            }
        }
        index.called = called;
        index
    }

    /// Whether an indexed workflow calls the reusable workflow `shown`.
    pub fn is_called(&self, shown: &str) -> bool {
        self.called.contains(shown)
    }

    /// The composite (or other) action a step's `uses: ./path` names, from the workflow
    /// or action at `from`: its shown name and parsed `action.yml`.
    pub fn action(&self, from: &str, uses: &str) -> Option<(String, &Node)> {
        let rel = uses.strip_prefix("./")?;
        let base = join(&repo_root(from)?, rel.trim_end_matches('/'));
        ["action.yml", "action.yaml"].iter().find_map(|f| {
            let key = format!("{base}/{f}");
            self.docs.get(&key).map(|d| (key, d))
        })
    }

    /// The reusable workflow a job's `uses:` names: `./.github/workflows/x.yml` in the
    /// same repository, or `owner/repo/.github/workflows/x.yml@ref` when the GitHub
    /// source fetched that repository (`github:owner/repo/…`).
    pub fn workflow(&self, from: &str, uses: &str) -> Option<(String, &Node)> {
        let target = uses.split_once('@').map_or(uses, |(t, _)| t);
        let key = match target.strip_prefix("./") {
            Some(rel) => join(&repo_root(from)?, rel),
            None => {
                let mut parts = target.splitn(3, '/');
                let (owner, repo, path) = (parts.next()?, parts.next()?, parts.next()?);
                let fetched = format!("github:{owner}/{repo}/{path}");
                if let Some(d) = self.docs.get(&fetched) {
                    return Some((fetched, d));
                }
                // Checkouts side by side in one scan: `owner/repo/…` or `repo/…`.
                let tails = [format!("{owner}/{repo}/{path}"), format!("{repo}/{path}")];
                let mut found: Vec<&String> = self
                    .docs
                    .keys()
                    .filter(|k| {
                        tails
                            .iter()
                            .any(|t| *k == t || k.ends_with(&format!("/{t}")))
                    })
                    .collect();
                found.sort();
                let key = found.first()?.to_string();
                return self.docs.get(&key).map(|d| (key, d));
            }
        };
        self.docs.get(&key).map(|d| (key, d))
    }

    /// The workflows of the repository `from` lies in whose `name:` is one of `names`
    /// (what `on: workflow_run: workflows:` names), with their triggers.
    pub fn workflows_named(&self, from: &str, names: &[String]) -> Vec<(String, Vec<String>)> {
        let Some(root) = repo_root(from) else {
            return Vec::new();
        };
        let prefix = join(&root, ".github/workflows/");
        let mut out: Vec<(String, Vec<String>)> = self
            .docs
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(_, d)| {
                let name = d.get("name").and_then(Node::scalar_text)?;
                names.contains(&name).then(|| {
                    let on = d.get("on");
                    let triggers = match on.map(|n| &n.value) {
                        Some(crate::doc::Value::Map(e)) => {
                            e.iter().map(|(k, _)| k.name.clone()).collect()
                        }
                        _ => on
                            .map(|n| n.strings().into_iter().map(str::to_string).collect())
                            .unwrap_or_default(),
                    };
                    (name, triggers)
                })
            })
            .collect();
        out.sort();
        out
    }

    /// The gh-aw source beside a compiled `x.lock.yml` (`x.md`), if indexed.
    pub fn ghaw_source_of(&self, lock: &str) -> Option<(String, &Node)> {
        let md = format!("{}.md", lock.strip_suffix(".lock.yml")?);
        self.docs.get(&md).map(|d| (md, d))
    }

    /// Whether the compiled `x.lock.yml` of a gh-aw source `x.md` is indexed.
    pub fn has_lock_of(&self, md: &str) -> bool {
        md.strip_suffix(".md")
            .is_some_and(|stem| self.docs.contains_key(&format!("{stem}.lock.yml")))
    }
}

/// The repository a shown path lies in: what precedes its `.github/` (`""` at the top,
/// `github:org/repo` for fetched files). `None` when the path has no `.github` folder.
pub fn repo_root(shown: &str) -> Option<String> {
    if shown.starts_with(".github/") {
        return Some(String::new());
    }
    shown.find("/.github/").map(|i| shown[..i].to_string())
}

fn join(root: &str, rel: &str) -> String {
    if root.is_empty() {
        rel.to_string()
    } else {
        format!("{root}/{rel}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(shown: &str, text: &str) -> WorkflowFile {
        WorkflowFile {
            shown: shown.into(),
            text: text.into(),
        }
    }

    #[test]
    fn resolves_local_and_fetched_calls() {
        let index = WorkflowIndex::new(&[
            file(
                "r/.github/workflows/a.yml",
                "jobs:\n  x:\n    uses: ./.github/workflows/b.yml\n",
            ),
            file("r/.github/workflows/b.yml", "on: workflow_call\njobs: {}\n"),
            file(
                "r/.github/actions/ai/action.yml",
                "runs:\n  using: composite\n  steps: []\n",
            ),
            file(
                "github:o/lib/.github/workflows/c.yml",
                "on: workflow_call\n",
            ),
        ]);
        assert!(index.is_called("r/.github/workflows/b.yml"));
        assert!(
            index
                .action("r/.github/workflows/a.yml", "./.github/actions/ai")
                .is_some()
        );
        assert!(
            index
                .action("r/.github/workflows/a.yml", "./.github/actions/none")
                .is_none()
        );
        assert!(
            index
                .workflow(
                    "x/.github/workflows/z.yml",
                    "o/lib/.github/workflows/c.yml@v1"
                )
                .is_some()
        );
        assert_eq!(repo_root(".github/workflows/a.yml").as_deref(), Some(""));
        assert_eq!(repo_root("flat__name.yml"), None);
    }
}
