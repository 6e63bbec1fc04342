//! How scanned files are named in reports: the same name wherever the scan runs and
//! however its path was spelled, so that ids, fingerprints, baselines and ignores match
//! across runs, working directories and machines.
//!
//! Each scanned path is resolved (`canonicalize`) and given a *base*: the top of the git
//! work tree it lies in, else the path itself (a folder) or its folder (a file). A file is
//! named by its path relative to its base, so scanning `fixtures/demo`, `/abs/fixtures/demo`
//! or `./fixtures/../fixtures/demo` from anywhere names `.mcp.json` in it
//! `fixtures/demo/.mcp.json` (inside this repository) or `.mcp.json` (a copy outside any
//! repository). This is also the path GitHub code scanning expects in SARIF. When the
//! scanned paths have different bases, names start with the base's path relative to the
//! bases' common ancestor (`a/.env`, `b/.env`), which is again independent of the
//! working directory.

use std::path::{Component, Path, PathBuf};

/// One scanned path.
#[derive(Debug, Clone)]
struct Root {
    /// As given on the command line (the walker yields paths under this spelling).
    given: PathBuf,
    /// Resolved, absolute.
    canonical: PathBuf,
    /// What names are relative to: `prefix` is prepended to the path from here.
    base: PathBuf,
}

/// The scanned paths and the name each file under them gets.
#[derive(Debug, Clone, Default)]
pub struct ScanRoots {
    roots: Vec<Root>,
    /// The common ancestor of the bases (equal to the single base when there is one).
    top: PathBuf,
}

impl ScanRoots {
    /// Resolves the paths that exist; the others are left out (the walk reports them).
    pub fn new(paths: &[PathBuf]) -> Self {
        let mut roots: Vec<Root> = paths
            .iter()
            .filter_map(|given| {
                let canonical = std::fs::canonicalize(given).ok()?;
                let base = base_of(&canonical);
                Some(Root {
                    given: given.clone(),
                    canonical,
                    base,
                })
            })
            .collect();
        let top = common_ancestor(roots.iter().map(|r| r.base.as_path()));
        // Longest spelling first, so that a nested root wins over its parent.
        roots.sort_by_key(|r| std::cmp::Reverse(r.given.components().count()));
        ScanRoots { roots, top }
    }

    /// The scanned paths, resolved: what a symbolic link may lead into.
    pub fn canonical_roots(&self) -> Vec<PathBuf> {
        self.roots.iter().map(|r| r.canonical.clone()).collect()
    }

    /// The name of a file given on its own (an export named by a flag), as if scanned.
    pub fn name_of_file(path: &Path) -> String {
        ScanRoots::new(&[path.to_path_buf()]).shown(path)
    }

    /// The folder every shown path is relative to (`file://` root of SARIF).
    pub fn top(&self) -> Option<&Path> {
        (!self.roots.is_empty()).then_some(self.top.as_path())
    }

    /// The name of a file the walk yielded (a path under one of the roots as given).
    pub fn shown(&self, walked: &Path) -> String {
        for root in &self.roots {
            if let Ok(rest) = walked.strip_prefix(&root.given) {
                return self.name_in(root, rest);
            }
        }
        // Not under a root as spelled: resolve it (a path handed over from elsewhere).
        if let Ok(abs) = std::fs::canonicalize(walked)
            && let Some(rel) = lexical_relative(&abs, &self.top)
        {
            return slash(&rel);
        }
        slash(walked)
    }

    /// A scanned path itself, named as in reports (`.` for the top).
    pub fn shown_root(&self, given: &Path) -> String {
        match self.roots.iter().find(|r| r.given == given) {
            Some(root) => {
                let s = self.name_in(root, Path::new(""));
                if s.is_empty() { ".".into() } else { s }
            }
            None => slash(given),
        }
    }

    /// The absolute path of a folder (a config file's), as a prefix of shown names:
    /// `Some("")` for the top, `Some("sub/dir/")` below it, `None` outside it.
    pub fn shown_prefix_of(&self, dir: &Path) -> Option<String> {
        let dir = std::fs::canonicalize(dir).ok()?;
        let rel = lexical_relative(&dir, &self.top)?;
        let s = slash(&rel);
        Some(if s.is_empty() { s } else { s + "/" })
    }

    fn name_in(&self, root: &Root, rest: &Path) -> String {
        let full = root.canonical.join(rest);
        let rel = lexical_relative(&full, &self.top).unwrap_or(full);
        slash(&rel)
    }
}

/// The top of the git work tree holding `path` (a folder with `.git`), else the path
/// itself for a folder and its parent for a file.
fn base_of(canonical: &Path) -> PathBuf {
    let start = if canonical.is_dir() {
        canonical
    } else {
        canonical.parent().unwrap_or(canonical)
    };
    for dir in start.ancestors() {
        if dir.join(".git").exists() {
            return dir.to_path_buf();
        }
    }
    start.to_path_buf()
}

fn common_ancestor<'a>(mut paths: impl Iterator<Item = &'a Path>) -> PathBuf {
    let Some(first) = paths.next() else {
        return PathBuf::new();
    };
    let mut common: Vec<Component<'a>> = first.components().collect();
    for p in paths {
        let n = common
            .iter()
            .zip(p.components())
            .take_while(|(a, b)| *a == b)
            .count();
        common.truncate(n);
    }
    common.iter().collect()
}

/// `path` relative to `base` when it lies under it (both absolute, already resolved).
fn lexical_relative(path: &Path, base: &Path) -> Option<PathBuf> {
    path.strip_prefix(base).ok().map(Path::to_path_buf)
}

/// No leading `./` or trailing `/`; bytes that are not UTF-8 and control characters
/// escaped (see [`crate::text::display_path`]). Paths are Unix paths: their separator
/// is already `/`, and a backslash is part of a name.
fn slash(p: &Path) -> String {
    let s = crate::text::display_path(p);
    let s = s.trim_start_matches("./");
    s.strip_suffix('/').unwrap_or(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_do_not_depend_on_the_spelling() {
        let dir = tempfile::tempdir().unwrap();
        let x = dir.path().join("x");
        std::fs::create_dir_all(x.join(".github/workflows")).unwrap();
        let file = x.join(".github/workflows/a.yml");
        std::fs::write(&file, "on: push\n").unwrap();
        let spellings = [
            x.clone(),
            x.join("..").join("x"),
            x.join(".").join(".github").join(".."),
        ];
        for given in spellings {
            let roots = ScanRoots::new(std::slice::from_ref(&given));
            let walked = given.join(".github/workflows/a.yml");
            assert_eq!(roots.shown(&walked), ".github/workflows/a.yml", "{given:?}");
            assert_eq!(roots.shown_root(&given), ".");
        }
    }

    #[test]
    fn a_git_work_tree_is_the_base() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("repo/.git")).unwrap();
        std::fs::create_dir_all(dir.path().join("repo/sub")).unwrap();
        std::fs::write(dir.path().join("repo/sub/.env"), "A=1\n").unwrap();
        let given = dir.path().join("repo/sub");
        let roots = ScanRoots::new(std::slice::from_ref(&given));
        assert_eq!(roots.shown(&given.join(".env")), "sub/.env");
        assert_eq!(roots.shown_root(&given), "sub");
        // A single file is named from the same base.
        let file = given.join(".env");
        let roots = ScanRoots::new(std::slice::from_ref(&file));
        assert_eq!(roots.shown(&file), "sub/.env");
    }

    #[test]
    fn different_bases_are_told_apart_from_their_common_ancestor() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["a", "b"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
            std::fs::write(dir.path().join(d).join(".env"), "A=1\n").unwrap();
        }
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let roots = ScanRoots::new(&[a.clone(), b.clone()]);
        assert_eq!(roots.shown(&a.join(".env")), "a/.env");
        assert_eq!(roots.shown(&b.join(".env")), "b/.env");
        assert_eq!(roots.shown_prefix_of(&a).as_deref(), Some("a/"));
    }
}
