//! Git history of the scanned repositories (`--history`): the commits that touched an
//! agent config (workflows, MCP client configs), with each changed file analysed before
//! and after by the same format analysers as the working tree. Read through the git CLI.
//!
//! Only the changes of agents are taken from history: the secret scanner does not run on
//! old versions, their literals are not fingerprinted, and their text stays in this
//! process and is dropped, so a credential that lived only in old commits is not reported.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::PermissionSites;
use super::detect::{self, FileKind};
use super::roots::ScanRoots;
use crate::model::{Inventory, SourceError, SourceKind};

/// How much history to read.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// The most recent commits that touched an agent config, per scanned path.
    pub depth: usize,
    /// Blobs larger than this are skipped (and reported), like files of the working tree.
    pub max_file_size: u64,
    /// How long git may take, per scanned path (every git process it starts); past it
    /// git is stopped and the history is reported missing.
    pub timeout: std::time::Duration,
}

impl Default for HistoryOptions {
    fn default() -> Self {
        HistoryOptions {
            depth: DEFAULT_DEPTH,
            max_file_size: 64 * 1024 * 1024,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// The default of `--history-timeout`.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

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
    /// Where the newer version writes each agent's token permissions, by agent id: to
    /// point at the scope that rose. Never serialised.
    pub after_permissions: BTreeMap<String, PermissionSites>,
}

/// A Terraform module (one folder's `.tf` files) before and after a commit that changed
/// one of them: a policy in one file and its attachment in another are judged together.
/// Only judged for what its agents hold (see [`crate::analysis::creep`]); its secrets
/// are not scanned and its text is dropped after.
#[derive(Debug)]
pub struct ModuleRevision {
    pub commit: String,
    /// The author date, RFC 3339.
    pub author_date: String,
    /// The folder as the scan shows it.
    pub dir: String,
    /// The module before the commit: an index into [`History::module_versions`]; `None`
    /// when the folder had no `.tf` file before.
    pub before: Option<usize>,
    /// The module after it.
    pub after: usize,
}

/// One version of a module: its files as `(shown path, text)`. A version is the newer
/// side of one commit and the older side of the next, read and judged once.
pub type ModuleFiles = Vec<(String, String)>;

/// What reading the history gave.
#[derive(Debug, Default)]
pub struct History {
    /// Newest first within each scanned path.
    pub revisions: Vec<Revision>,
    /// The Terraform modules commits changed, newest first within each scanned path.
    pub modules: Vec<ModuleRevision>,
    /// The versions of those modules, each once.
    pub module_versions: Vec<ModuleFiles>,
    pub errors: Vec<SourceError>,
    /// What was read with a caveat: a shallow clone, a version skipped as too large.
    pub warnings: Vec<SourceError>,
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
    &[".claude", "settings.json"],
    &[".cursor", "cli.json"],
    &[".cursor", "permissions.json"],
    &[".vscode", "settings.json"],
    &["opencode.json"],
    &["opencode.jsonc"],
    // Terraform: each changed file's module (its folder's `.tf` files) is read whole.
    &["*.tf"],
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
    for dir in [
        "node_modules",
        ".venv",
        "venv",
        "site-packages",
        ".terraform",
    ] {
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
        let deadline = std::time::Instant::now() + options.timeout;
        let mut notes = Notes::default();
        let result = read_one(path, options, names, deadline, &mut out, &mut notes);
        let location = names.shown_root(path);
        let note = |message: String| SourceKind::Repo.error(location.clone(), message);
        out.failed |= !notes.errors.is_empty();
        out.errors.extend(notes.errors.into_iter().map(&note));
        out.warnings.extend(notes.warnings.into_iter().map(&note));
        if let Err(e) = result {
            out.failed |= e.failed;
            out.errors.push(note(e.message));
        }
    }
    out
}

struct GitError {
    message: String,
    failed: bool,
}

/// What one path's history left unread: errors make the history partial.
#[derive(Default)]
struct Notes {
    errors: Vec<String>,
    warnings: Vec<String>,
}

fn read_one(
    path: &Path,
    options: &HistoryOptions,
    names: &ScanRoots,
    deadline: std::time::Instant,
    out: &mut History,
    notes: &mut Notes,
) -> Result<(), GitError> {
    let git = |dir: &Path, args: &[&str]| git(dir, args, deadline);
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
    if git(&dir, &["rev-parse", "--is-shallow-repository"]).is_ok_and(|o| o.trim() == "true") {
        notes.warnings.push(
            "--history: a shallow clone: commits before its depth are not there to read (fetch with --unshallow)"
                .into(),
        );
    }
    let pathspecs = match &file {
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
    let (modules, entries): (Vec<LogEntry>, Vec<LogEntry>) =
        parse_log(&log, &dir).into_iter().partition(|e| e.terraform);
    read_modules(
        &dir,
        file.as_deref(),
        &modules,
        options,
        names,
        deadline,
        out,
        notes,
    )?;

    let mut wanted: Vec<&str> = entries
        .iter()
        .flat_map(|e| [e.old_blob.as_deref(), Some(e.new_blob.as_str())])
        .flatten()
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let blobs =
        cat_blobs(&dir, &wanted, options.max_file_size, deadline).map_err(GitError::from)?;

    // A version is the newer side of one commit and the older side of the next.
    let mut analysed: HashMap<(String, String), (Inventory, BTreeMap<String, PermissionSites>)> =
        HashMap::new();
    let mut analyse = |blob: &str, shown: &str, text: &str| {
        analysed
            .entry((blob.to_string(), shown.to_string()))
            .or_insert_with(|| super::analyse_revision(shown, text))
            .clone()
    };
    let short = |c: &str| c.get(..12).unwrap_or(c).to_string();
    for e in &entries {
        let shown = names.shown(&dir.join(&e.path));
        let after_text = match blobs.get(e.new_blob.as_str()) {
            Some(Blob::Text(t)) => t,
            other => {
                note_blob(notes, other, &short(&e.commit), &shown, "new");
                continue;
            }
        };
        let before = match &e.old_blob {
            None => None,
            Some(old) => match blobs.get(old.as_str()) {
                Some(Blob::Text(text)) => Some(analyse(old, &shown, text).0),
                // Nothing to compare with: the change is not read, and that is said.
                other => {
                    note_blob(notes, other, &short(&e.commit), &shown, "old");
                    continue;
                }
            },
        };
        let (after, after_permissions) = analyse(&e.new_blob, &shown, after_text);
        out.revisions.push(Revision {
            commit: e.commit.clone(),
            author_date: e.author_date.clone(),
            after,
            before,
            path: shown,
            after_permissions,
        });
    }
    Ok(())
}

/// Reads the Terraform modules the commits in `entries` changed: each folder's `.tf`
/// files at the commit and at its parent (one `git cat-file --batch-check` for the
/// folders' trees, one `git ls-tree` per distinct tree, one `git cat-file --batch` for
/// the files). With `only` (a scan of one file) the module is that file alone, as the
/// walk reads it.
#[allow(clippy::too_many_arguments)]
fn read_modules(
    dir: &Path,
    only: Option<&str>,
    entries: &[LogEntry],
    options: &HistoryOptions,
    names: &ScanRoots,
    deadline: std::time::Instant,
    out: &mut History,
    notes: &mut Notes,
) -> Result<(), GitError> {
    // (commit, date, folder relative to `dir`), in log order, each once.
    let mut changed: Vec<(&str, &str, String)> = Vec::new();
    for e in entries {
        let folder = match e.path.rsplit_once('/') {
            Some((folder, _)) => folder.to_string(),
            None => String::new(),
        };
        if folder.contains('\n') {
            notes.warnings.push(format!(
                "--history: commit {}: a Terraform folder whose name holds a line break was not read",
                short_id(&e.commit)
            ));
            continue;
        }
        let item = (e.commit.as_str(), e.author_date.as_str(), folder);
        if !changed.contains(&item) {
            changed.push(item);
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    let spec = |commit: &str, parent: bool, folder: &str| {
        format!("{commit}{}:./{folder}", if parent { "^" } else { "" })
    };
    let specs: Vec<String> = changed
        .iter()
        .flat_map(|(c, _, f)| [spec(c, false, f), spec(c, true, f)])
        .collect();
    let input: String = specs.iter().map(|s| format!("{s}\n")).collect();
    let answer = git_with_input(dir, &["cat-file", "--batch-check"], input, deadline)?;
    // `<id> tree <size>` or `<spec> missing`, one line per spec, in order.
    let trees: Vec<Option<String>> = answer
        .lines()
        .map(|l| match l.split(' ').collect::<Vec<_>>()[..] {
            [id, "tree", _] => Some(id.to_string()),
            _ => None,
        })
        .collect();
    let tree_of = |spec_index: usize| trees.get(spec_index).cloned().flatten();

    // Each distinct tree's `.tf` files: (name, blob id).
    let mut listings: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for tree in trees.iter().flatten() {
        if listings.contains_key(tree) {
            continue;
        }
        let listing = git(
            dir,
            &["ls-tree", "--full-tree", "-z", tree.as_str()],
            deadline,
        )?;
        let files = listing
            .split('\0')
            .filter_map(|entry| {
                let (meta, name) = entry.split_once('\t')?;
                let [mode, "blob", id] = meta.split(' ').collect::<Vec<_>>()[..] else {
                    return None;
                };
                let wanted = mode.starts_with("100")
                    && crate::sources::iac::named_like_terraform(Path::new(name))
                    && only.is_none_or(|o| o == name);
                wanted.then(|| (name.to_string(), id.to_string()))
            })
            .collect();
        listings.insert(tree.clone(), files);
    }
    let mut wanted: Vec<&str> = listings
        .values()
        .flatten()
        .map(|(_, id)| id.as_str())
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let blobs = cat_blobs(dir, &wanted, options.max_file_size, deadline)?;

    // Each (folder, tree) is one version, read once: the index of its files in
    // `out.module_versions`, or `None` when it could not be read or has no `.tf` file.
    let mut versions: HashMap<(&str, String), Option<usize>> = HashMap::new();
    for (i, (commit, date, folder)) in changed.iter().enumerate() {
        let shown_dir = names.shown(&dir.join(folder));
        let mut version = |tree: Option<String>, side: &str, notes: &mut Notes| -> Option<usize> {
            let tree = tree?;
            if let Some(known) = versions.get(&(folder.as_str(), tree.clone())) {
                return *known;
            }
            let files = listings.get(&tree)?;
            let mut texts = Vec::new();
            for (name, id) in files {
                let shown = names.shown(&dir.join(folder).join(name));
                match blobs.get(id.as_str()) {
                    Some(Blob::Text(t)) => texts.push((shown, t.clone())),
                    other => {
                        // Not remembered: the note names this commit and side.
                        note_blob(notes, other, &short_id(commit), &shown, side);
                        return None;
                    }
                }
            }
            let index = (!texts.is_empty()).then(|| {
                out.module_versions.push(texts);
                out.module_versions.len() - 1
            });
            versions.insert((folder.as_str(), tree), index);
            index
        };
        let after_tree = tree_of(2 * i);
        let Some(after) = version(after_tree.clone(), "new", notes) else {
            continue; // the folder's last `.tf` file was removed: nothing is granted
        };
        let before_tree = tree_of(2 * i + 1);
        if before_tree.is_some() && before_tree == after_tree {
            continue; // only another folder's files changed under this name
        }
        let before = version(before_tree, "old", notes);
        out.modules.push(ModuleRevision {
            commit: commit.to_string(),
            author_date: date.to_string(),
            dir: shown_dir,
            before,
            after,
        });
    }
    Ok(())
}

fn short_id(commit: &str) -> String {
    commit.get(..12).unwrap_or(commit).to_string()
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
    /// A Terraform file (`.tf`): its module is read, not the file alone. A deletion is
    /// kept for these (the module changed).
    terraform: bool,
}

/// Parses `git log --raw -z --format=%x1e%H%x1f%aI`; keeps regular files whose names
/// are agent configs, and drops deletions (a removed config grants nothing), and the
/// Terraform files changed in any way.
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
            let terraform = crate::sources::iac::named_like_terraform(Path::new(path))
                && !path.split('/').any(|s| s == ".terraform");
            if terraform {
                // A rename changes both folders' modules.
                let paths = if two_paths && first != path {
                    vec![first, path]
                } else {
                    vec![path]
                };
                for path in paths {
                    out.push(LogEntry {
                        commit: commit.to_string(),
                        author_date: date.to_string(),
                        path: path.to_string(),
                        old_blob: None,
                        new_blob: String::new(),
                        terraform,
                    });
                }
                continue;
            }
            let kind = detect::classify_by_name(&dir.join(path));
            if !regular
                || status.starts_with('D')
                || !matches!(
                    kind,
                    FileKind::Workflow | FileKind::Mcp(_) | FileKind::AgentSettings(_)
                )
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
                terraform,
            });
        }
    }
    out
}

fn is_null_id(id: &str) -> bool {
    id.bytes().all(|b| b == b'0')
}

/// A version of a file read from history.
#[derive(Debug)]
enum Blob {
    Text(String),
    Binary,
    TooLarge(u64),
}

/// Records a version that could not be compared: missing (corrupt or partial clone) is
/// an error, binary or oversized a warning.
fn note_blob(notes: &mut Notes, blob: Option<&Blob>, commit: &str, shown: &str, side: &str) {
    match blob {
        None => notes.errors.push(format!(
            "--history: commit {commit}: the {side} version of {shown} is missing from the repository (corrupt, or a partial clone); that change was not read"
        )),
        Some(Blob::TooLarge(size)) => notes.warnings.push(format!(
            "--history: commit {commit}: the {side} version of {shown} is {size} bytes, over the --max-file-size limit; that change was not read"
        )),
        Some(Blob::Binary) => notes.warnings.push(format!(
            "--history: commit {commit}: the {side} version of {shown} holds binary data; that change was not read"
        )),
        Some(Blob::Text(_)) => {}
    }
}

/// Reads blobs through one `git cat-file --batch`. A blob over the size limit is not
/// held in memory (its bytes are skipped); a missing one is absent from the map.
fn cat_blobs(
    dir: &Path,
    ids: &[&str],
    max_size: u64,
    deadline: std::time::Instant,
) -> Result<HashMap<String, Blob>, RunError> {
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
    let stderr = child.stderr.take().map(drain);
    let supervised = Supervised::start(child, deadline);
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
        if size > max_size {
            // The content and its trailing newline, read past without keeping them.
            std::io::copy(&mut (&mut reader).take(size + 1), &mut std::io::sink())
                .map_err(|e| RunError::io(what, &e.to_string()))?;
            blobs.insert(id.to_string(), Blob::TooLarge(size));
            continue;
        }
        let mut buf = Vec::with_capacity(size as usize);
        (&mut reader)
            .take(size + 1) // the content and its trailing newline
            .read_to_end(&mut buf)
            .map_err(|e| RunError::io(what, &e.to_string()))?;
        buf.truncate(size as usize);
        let blob = if buf.contains(&0) {
            Blob::Binary
        } else {
            Blob::Text(String::from_utf8_lossy(&buf).into_owned())
        };
        blobs.insert(id.to_string(), blob);
    }
    drop(reader);
    let _ = writer.join();
    let (status, killed) = supervised.finish();
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    if killed {
        return Err(RunError::timed_out(what));
    }
    let status = status.map_err(|e| RunError::io(what, &e.to_string()))?;
    if !status.success() {
        return Err(RunError::failed(what, &stderr));
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

    fn timed_out(what: &str) -> Self {
        RunError {
            message: format!(
                "--history: `{what}` did not finish within the --history-timeout and was stopped; the history of this path is incomplete"
            ),
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
    // The log is parsed as UTF-8, whatever the repository asks for.
    "-c",
    "i18n.logOutputEncoding=UTF-8",
    "-c",
    "log.follow=false",
    "-c",
    "color.ui=false",
];

/// A child process run to its end or to a deadline on a thread of its own, where it is
/// killed (git blocked on a FIFO, a hung filesystem). Its pipes are taken before.
struct Supervised {
    thread: std::thread::JoinHandle<(std::io::Result<std::process::ExitStatus>, bool)>,
}

impl Supervised {
    fn start(mut child: std::process::Child, deadline: std::time::Instant) -> Self {
        let thread = std::thread::spawn(move || {
            loop {
                match child.try_wait() {
                    Ok(Some(status)) => return (Ok(status), false),
                    Ok(None) if std::time::Instant::now() >= deadline => {
                        let _ = child.kill();
                        return (child.wait(), true);
                    }
                    Ok(None) => std::thread::sleep(std::time::Duration::from_millis(10)),
                    Err(e) => return (Err(e), false),
                }
            }
        });
        Supervised { thread }
    }

    /// The exit status, and whether the deadline stopped it.
    fn finish(self) -> (std::io::Result<std::process::ExitStatus>, bool) {
        self.thread
            .join()
            .unwrap_or_else(|_| (Err(std::io::Error::other("the watcher panicked")), false))
    }
}

/// Reads a pipe to its end on a thread (so the other pipe cannot fill and block git).
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// Runs `git -C dir ARGS` and returns its standard output, stopped at the deadline.
fn git(dir: &Path, args: &[&str], deadline: std::time::Instant) -> Result<String, RunError> {
    git_with_input(dir, args, String::new(), deadline)
}

/// [`git`] with `input` written to its standard input (from a thread: git answers while
/// it is written, and both pipes are bounded).
fn git_with_input(
    dir: &Path,
    args: &[&str],
    input: String,
    deadline: std::time::Instant,
) -> Result<String, RunError> {
    let shown: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !a.starts_with(":("))
        .collect();
    let what = format!("git {}", shown.join(" "));
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(HARDENING)
        .args(args)
        .stdin(if input.is_empty() {
            Stdio::null()
        } else {
            Stdio::piped()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| RunError::spawn(&what, &e))?;
    let writer = child.stdin.take().map(|mut stdin| {
        std::thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        })
    });
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let (status, killed) = Supervised::start(child, deadline).finish();
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    let stdout = stdout.and_then(|t| t.join().ok()).unwrap_or_default();
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    if killed {
        return Err(RunError::timed_out(&what));
    }
    let status = status.map_err(|e| RunError::io(&what, &e.to_string()))?;
    if !status.success() {
        return Err(RunError::failed(&what, &stderr));
    }
    Ok(String::from_utf8_lossy(&stdout).into_owned())
}

/// A folder of commit snapshots that could not be made a repository.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot run git: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("git {args}: {stderr}")]
    Git { args: String, stderr: String },
}

impl ReplayError {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| ReplayError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// Builds a git repository in `into` from a folder of snapshots, one sub-folder per
/// commit in name order, each the whole tree at that commit; commit N is dated
/// 2026-01-N (N ≤ 31), with a fixed author. What rule examples of history rules are made of: readable text
/// files instead of a repository inside ours.
pub fn replay(snapshots: &Path, into: &Path) -> Result<(), ReplayError> {
    let mut commits: Vec<PathBuf> = std::fs::read_dir(snapshots)
        .map_err(ReplayError::io(snapshots))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    commits.sort();
    std::fs::create_dir_all(into).map_err(ReplayError::io(into))?;
    let run = |args: &[&str], date: &str| -> Result<(), ReplayError> {
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
            .map_err(ReplayError::Spawn)?;
        if out.status.success() {
            Ok(())
        } else {
            Err(ReplayError::Git {
                args: args.join(" "),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            })
        }
    };
    run(&["init", "-q"], "2026-01-01T00:00:00Z")?;
    for (i, snapshot) in commits.iter().enumerate() {
        let date = format!("2026-01-{:02}T12:00:00Z", i + 1);
        clear_tree(into).map_err(ReplayError::io(into))?;
        copy_tree(snapshot, into).map_err(ReplayError::io(snapshot))?;
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
pub fn replay_example(example: &Path) -> Result<Option<Scratch>, ReplayError> {
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
