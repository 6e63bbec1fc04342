//! Git history of the scanned repositories (`--history`): the commits that touched an
//! agent config (workflows, MCP client configs), with each changed file analysed before
//! and after by the same format analysers as the working tree. Read through the git CLI.
//!
//! Only the changes of agents are taken from history: the secret scanner does not run on
//! old versions, their literals are not fingerprinted, and their text stays in this
//! process and is dropped, so a credential that lived only in old commits is not reported.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::detect::{self, FileKind};
use super::roots::ScanRoots;
use crate::model::{Inventory, SourceError, SourceKind};

/// How much history to read.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// The most recent commits that touched an agent config, per scanned path.
    pub depth: usize,
    /// Blobs larger than this are skipped, like files of the working tree.
    pub max_file_size: u64,
}

impl Default for HistoryOptions {
    fn default() -> Self {
        HistoryOptions {
            depth: DEFAULT_DEPTH,
            max_file_size: 64 * 1024 * 1024,
        }
    }
}

/// The default of `--history-depth`.
pub const DEFAULT_DEPTH: usize = 500;

/// One file changed by one commit, analysed before and after.
#[derive(Debug)]
pub struct Revision {
    /// The full commit id.
    pub commit: String,
    /// The author date, RFC 3339.
    pub author_date: String,
    /// The file as the scan shows it (its newer path, for a rename).
    pub path: String,
    /// The file before the commit, analysed as if it were at `path` (so agent ids match
    /// across a rename); `None` when the commit added the file. Format analysers only:
    /// credentials in it carry no fingerprint and are never reported.
    pub before: Option<Inventory>,
    pub after: Inventory,
    /// The newer text, to point at the line that changed. Never serialised.
    pub after_text: String,
}

/// What reading the history gave.
#[derive(Debug, Default)]
pub struct History {
    /// Newest first within each scanned path.
    pub revisions: Vec<Revision>,
    pub errors: Vec<SourceError>,
    /// True when git could not be run or failed on a repository: the history asked for
    /// is missing (a path outside any repository is an error, but not a failure).
    pub failed: bool,
}

/// Where agent configs live, as path tails (glob segments) under any folder: what git
/// history is asked about. The names are checked again with [`detect::classify_by_name`].
const CONFIG_TAILS: &[&[&str]] = &[
    &[".github", "workflows", "*.yml"],
    &[".github", "workflows", "*.yaml"],
    &["*mcp.json"],
    &["claude_desktop_config.json"],
    &["cline_mcp_settings.json"],
    &["mcp_config.json"],
    &[".gemini", "settings.json"],
    &[".codex", "config.toml"],
];

/// Git pathspecs (relative to the folder git runs in) for the agent configs under a
/// folder whose path in the repository is `prefix` (`git rev-parse --show-prefix`): the
/// tails under any sub-folder, and the rest of a tail the folder is already inside (a
/// scan of `.github/workflows` asks for `*.yml`).
fn pathspecs(prefix: &str) -> Vec<String> {
    let folders: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
    let mut out = Vec::new();
    for tail in CONFIG_TAILS {
        out.push(format!(":(glob)**/{}", tail.join("/")));
        for k in 1..tail.len() {
            if folders.ends_with(&tail[..k]) {
                out.push(format!(":(glob){}", tail[k..].join("/")));
            }
        }
    }
    // Other people's code, as the walk skips it.
    for dir in ["node_modules", ".venv", "venv", "site-packages"] {
        out.push(format!(":(glob,exclude)**/{dir}/**"));
    }
    out
}

/// Reads the history of the repository each path is in, limited to the path's subtree.
pub fn read(paths: &[PathBuf], options: &HistoryOptions, names: &ScanRoots) -> History {
    let mut out = History::default();
    for path in paths {
        if !path.exists() {
            continue; // the walk already reported it
        }
        if let Err(e) = read_one(path, options, names, &mut out.revisions) {
            out.failed |= e.failed;
            out.errors.push(SourceError {
                source: SourceKind::Repo,
                location: names.shown(path),
                message: e.message,
            });
        }
    }
    out
}

struct GitError {
    message: String,
    failed: bool,
}

fn read_one(
    path: &Path,
    options: &HistoryOptions,
    names: &ScanRoots,
    out: &mut Vec<Revision>,
) -> Result<(), GitError> {
    // A single file: its folder's history, limited to that file.
    let (dir, file): (PathBuf, Option<String>) = if path.is_file() {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        (dir, Some(name))
    } else {
        (path.to_path_buf(), None)
    };

    let inside = git(&dir, &["rev-parse", "--is-inside-work-tree"]);
    match inside {
        Ok(o) if o.trim() == "true" => {}
        Ok(_) => {
            return Err(GitError {
                message: "--history: not inside a git work tree (a bare repository or a .git \
                          folder); there is no history of these files to read"
                    .into(),
                failed: false,
            });
        }
        Err(e) if e.not_a_repo => {
            return Err(GitError {
                message: "--history: not inside a git repository; there is no history to read \
                          (the files were scanned as they are)"
                    .into(),
                failed: false,
            });
        }
        Err(e) => return Err(e.into()),
    }
    // An empty repository has no commits: nothing to read.
    if git(&dir, &["rev-parse", "--verify", "--quiet", "HEAD"]).is_err() {
        return Ok(());
    }
    let pathspecs = match file {
        Some(name) => vec![format!(":(literal){name}")],
        None => pathspecs(git(&dir, &["rev-parse", "--show-prefix"])?.trim()),
    };

    let depth = format!("--max-count={}", options.depth.max(1));
    let mut args = vec![
        "log",
        "--no-abbrev",
        "--raw",
        "-M",
        "--relative",
        "-z",
        "--no-color",
        "--format=%x1e%H%x1f%aI",
        depth.as_str(),
        "--",
    ];
    args.extend(pathspecs.iter().map(String::as_str));
    let log = git(&dir, &args).map_err(GitError::from)?;
    let entries = parse_log(&log, &dir);

    let mut wanted: Vec<&str> = entries
        .iter()
        .flat_map(|e| [e.old_blob.as_deref(), Some(e.new_blob.as_str())])
        .flatten()
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let blobs = cat_blobs(&dir, &wanted, options.max_file_size).map_err(GitError::from)?;

    // A version is the newer side of one commit and the older side of the next.
    let mut analysed: HashMap<(String, String), Inventory> = HashMap::new();
    let mut analyse = |blob: &str, shown: &str, text: &str| {
        analysed
            .entry((blob.to_string(), shown.to_string()))
            .or_insert_with(|| super::analyse_revision(shown, text))
            .clone()
    };
    for e in &entries {
        let shown = names.shown(&dir.join(&e.path));
        let Some(Some(after_text)) = blobs.get(e.new_blob.as_str()) else {
            continue;
        };
        let before = match &e.old_blob {
            None => None,
            Some(old) => match blobs.get(old.as_str()) {
                Some(Some(text)) => Some(analyse(old, &shown, text)),
                // A binary or oversized old version: nothing to compare with.
                _ => continue,
            },
        };
        out.push(Revision {
            commit: e.commit.clone(),
            author_date: e.author_date.clone(),
            after: analyse(&e.new_blob, &shown, after_text),
            before,
            path: shown,
            after_text: after_text.clone(),
        });
    }
    Ok(())
}

/// One file a commit added, changed, renamed or copied.
#[derive(Debug, PartialEq)]
struct LogEntry {
    commit: String,
    author_date: String,
    /// The newer path, relative to the folder git ran in.
    path: String,
    /// `None` when the file is new in this commit (added, or a copy of another file).
    old_blob: Option<String>,
    new_blob: String,
}

/// Parses `git log --raw -z --format=%x1e%H%x1f%aI`; keeps regular files whose names
/// are agent configs, and drops deletions (a removed config grants nothing).
fn parse_log(log: &str, dir: &Path) -> Vec<LogEntry> {
    let mut out = Vec::new();
    for chunk in log.split('\u{1e}').filter(|c| !c.is_empty()) {
        let (header, rest) = chunk.split_once('\0').unwrap_or((chunk, ""));
        let Some((commit, date)) = header.split_once('\u{1f}') else {
            continue;
        };
        let mut tokens = rest.split('\0').map(|t| t.trim_start_matches('\n'));
        while let Some(meta) = tokens.next() {
            let Some(meta) = meta.strip_prefix(':') else {
                continue;
            };
            // `:100644 100644 <old> <new> M`, then one path (two for renames and copies).
            let fields: Vec<&str> = meta.split(' ').collect();
            let [_, new_mode, old_blob, new_blob, status] = fields[..] else {
                continue;
            };
            let two_paths = status.starts_with('R') || status.starts_with('C');
            let first = tokens.next().unwrap_or_default();
            let path = if two_paths {
                tokens.next().unwrap_or_default()
            } else {
                first
            };
            let regular = new_mode.starts_with("100");
            let kind = detect::classify_by_name(&dir.join(path));
            if !regular
                || status.starts_with('D')
                || !matches!(kind, FileKind::Workflow | FileKind::Mcp(_))
            {
                continue;
            }
            let new_file = status.starts_with('A') || status.starts_with('C');
            out.push(LogEntry {
                commit: commit.to_string(),
                author_date: date.to_string(),
                path: path.to_string(),
                old_blob: (!new_file && !is_null_id(old_blob)).then(|| old_blob.to_string()),
                new_blob: new_blob.to_string(),
            });
        }
    }
    out
}

fn is_null_id(id: &str) -> bool {
    id.bytes().all(|b| b == b'0')
}

/// Reads blobs through one `git cat-file --batch`; `None` for a blob that is binary or
/// over the size limit.
fn cat_blobs(
    dir: &Path,
    ids: &[&str],
    max_size: u64,
) -> Result<HashMap<String, Option<String>>, RunError> {
    let mut blobs = HashMap::new();
    if ids.is_empty() {
        return Ok(blobs);
    }
    let what = "git cat-file --batch";
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(HARDENING)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| RunError::spawn(what, &e))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| RunError::io(what, "no stdin"))?;
    let request: String = ids.iter().map(|id| format!("{id}\n")).collect();
    // Written from a thread: git answers while we still write, and both pipes are bounded.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(request.as_bytes());
    });
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| RunError::io(what, "no stdout"))?;
    let mut reader = BufReader::new(stdout);
    let mut header = String::new();
    for _ in ids {
        header.clear();
        if reader
            .read_line(&mut header)
            .map_err(|e| RunError::io(what, &e.to_string()))?
            == 0
        {
            break;
        }
        let parts: Vec<&str> = header.split_whitespace().collect();
        let [id, "blob", size] = parts[..] else {
            continue; // `<id> missing`: a corrupt or shallow repository
        };
        let size: u64 = size
            .parse()
            .map_err(|_| RunError::io(what, &format!("unexpected answer {header:?}")))?;
        let mut buf = Vec::with_capacity(size.min(max_size) as usize);
        (&mut reader)
            .take(size + 1) // the content and its trailing newline
            .read_to_end(&mut buf)
            .map_err(|e| RunError::io(what, &e.to_string()))?;
        buf.truncate(size as usize);
        let text = (size <= max_size && !buf.contains(&0))
            .then(|| String::from_utf8_lossy(&buf).into_owned());
        blobs.insert(id.to_string(), text);
    }
    let _ = writer.join();
    let output = child
        .wait_with_output()
        .map_err(|e| RunError::io(what, &e.to_string()))?;
    if !output.status.success() {
        return Err(RunError::failed(what, &output.stderr));
    }
    Ok(blobs)
}

/// A git command that could not run or failed.
#[derive(Debug)]
struct RunError {
    message: String,
    /// git said the folder is not in a repository.
    not_a_repo: bool,
}

impl RunError {
    fn spawn(what: &str, e: &std::io::Error) -> Self {
        let why = if e.kind() == std::io::ErrorKind::NotFound {
            "git is not installed or not on PATH; --history needs the git CLI".to_string()
        } else {
            e.to_string()
        };
        RunError {
            message: format!("--history: cannot run `{what}`: {why}"),
            not_a_repo: false,
        }
    }

    fn io(what: &str, why: &str) -> Self {
        RunError {
            message: format!("--history: `{what}` failed: {why}"),
            not_a_repo: false,
        }
    }

    fn failed(what: &str, stderr: &[u8]) -> Self {
        let stderr = String::from_utf8_lossy(stderr);
        let first = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        RunError {
            message: format!("--history: `{what}` failed: {}", first.trim()),
            not_a_repo: stderr.contains("not a git repository"),
        }
    }
}

impl From<RunError> for GitError {
    fn from(e: RunError) -> Self {
        GitError {
            message: e.message,
            failed: true,
        }
    }
}

/// Settings of the scanned repository (or of the user) that must not change what git
/// prints or make it run programs: a repository under audit is not trusted.
const HARDENING: &[&str] = &[
    "-c",
    "core.fsmonitor=false",
    "-c",
    "log.showSignature=false",
    "-c",
    "diff.external=",
];

/// Runs `git -C dir ARGS` and returns its standard output.
fn git(dir: &Path, args: &[&str]) -> Result<String, RunError> {
    let shown: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with(":("))
        .collect();
    let what = format!("git {}", shown.join(" "));
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(HARDENING)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| RunError::spawn(&what, &e))?;
    if !output.status.success() {
        return Err(RunError::failed(&what, &output.stderr));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Builds a git repository in `into` from a folder of snapshots, one sub-folder per
/// commit in name order, each the whole tree at that commit; commit N is dated
/// 2026-01-N (N ≤ 31), with a fixed author. What rule examples of history rules are made of: readable text
/// files instead of a repository inside ours.
pub fn replay(snapshots: &Path, into: &Path) -> Result<(), String> {
    let mut commits: Vec<PathBuf> = std::fs::read_dir(snapshots)
        .map_err(|e| format!("{}: {e}", snapshots.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    commits.sort();
    std::fs::create_dir_all(into).map_err(|e| format!("{}: {e}", into.display()))?;
    let run = |args: &[&str], date: &str| -> Result<(), String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(into)
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .env("GIT_AUTHOR_NAME", "nhi-audit example")
            .env("GIT_AUTHOR_EMAIL", "example@nhi-audit.invalid")
            .env("GIT_COMMITTER_NAME", "nhi-audit example")
            .env("GIT_COMMITTER_EMAIL", "example@nhi-audit.invalid")
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "git {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    };
    run(&["init", "-q"], "2026-01-01T00:00:00Z")?;
    for (i, snapshot) in commits.iter().enumerate() {
        let date = format!("2026-01-{:02}T12:00:00Z", i + 1);
        clear_tree(into).map_err(|e| format!("{}: {e}", into.display()))?;
        copy_tree(snapshot, into).map_err(|e| format!("{}: {e}", snapshot.display()))?;
        let name = snapshot
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        run(&["add", "-A"], &date)?;
        run(&["commit", "-q", "--allow-empty", "-m", &name], &date)?;
    }
    Ok(())
}

/// A scratch folder, removed when dropped.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// For a rule example ending in `.history` (a folder of commit snapshots, see
/// [`replay`]): the repository replayed into a scratch folder. Other examples: `None`.
pub fn replay_example(example: &Path) -> Result<Option<Scratch>, String> {
    if !(example.is_dir() && example.extension().is_some_and(|e| e == "history")) {
        return Ok(None);
    }
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let scratch = Scratch(std::env::temp_dir().join(format!(
        "nhi-audit-history-{}-{n}-{nanos}",
        std::process::id()
    )));
    replay(example, scratch.path())?;
    Ok(Some(scratch))
}

/// Removes everything in `dir` but `.git`.
fn clear_tree(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name() == ".git" {
            continue;
        }
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_raw_log_with_renames_adds_and_deletes() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let log = format!(
            "\u{1e}c2\u{1f}2026-01-02T00:00:00Z\0\n\
             :100644 100644 {a} {b} R090\0.github/workflows/old.yml\0.github/workflows/new.yml\0\
             :100644 000000 {a} {z} D\0.mcp.json\0\
             :100644 100644 {a} {b} M\0README.md\0\
             \u{1e}c1\u{1f}2026-01-01T00:00:00Z\0\n\
             :000000 100644 {z} {a} A\0.cursor/mcp.json\0"
        );
        let entries = parse_log(&log, Path::new("."));
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].commit, "c2");
        assert_eq!(entries[0].path, ".github/workflows/new.yml");
        assert_eq!(entries[0].old_blob.as_deref(), Some(a.as_str()));
        assert_eq!(entries[1].path, ".cursor/mcp.json");
        assert_eq!(entries[1].old_blob, None);
        assert_eq!(entries[1].author_date, "2026-01-01T00:00:00Z");
    }

    #[test]
    fn pathspecs_cover_configs_below_and_around_the_folder() {
        let top = pathspecs("");
        assert!(top.contains(&":(glob)**/.github/workflows/*.yml".to_string()));
        assert!(!top.contains(&":(glob)*.yml".to_string()));
        let wf = pathspecs("svc/.github/workflows/");
        assert!(wf.contains(&":(glob)*.yml".to_string()));
        assert!(wf.contains(&":(glob)*.yaml".to_string()));
        let gh = pathspecs(".github/");
        assert!(gh.contains(&":(glob)workflows/*.yml".to_string()));
        assert!(pathspecs(".codex/").contains(&":(glob)config.toml".to_string()));
    }
}
