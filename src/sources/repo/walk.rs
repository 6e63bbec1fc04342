//! Walking the scanned paths and reading files, in parallel.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::{DirEntry, WalkBuilder, WalkState};

use super::builder::Fragment;
use super::detect::{self, FileKind};
use super::roots::ScanRoots;
use super::suppress::{self, InlineIgnore};
use crate::model::{Inventory, SourceError, SourceKind};

/// Options of the repo source.
#[derive(Debug, Clone)]
pub struct RepoOptions {
    /// Honour `.gitignore`: off by default, because a `.env` that git ignores still leaks
    /// when the laptop, the image or the backup does.
    pub respect_gitignore: bool,
    /// Files larger than this are reported and skipped.
    pub max_file_size: u64,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    /// Show a spinner with the file count on stderr (for terminals, never for CI logs).
    pub progress: bool,
    /// Also read the git history of the scanned paths (`--history`).
    pub history: Option<super::history::HistoryOptions>,
    /// Follow symbolic links that lead out of the scanned folders (off: a link to
    /// `/proc/self/environ` or `~/.aws/credentials` is recorded, not read).
    pub follow_links_out: bool,
}

impl Default for RepoOptions {
    fn default() -> Self {
        RepoOptions {
            respect_gitignore: false,
            max_file_size: 64 * 1024 * 1024,
            threads: 0,
            progress: false,
            history: None,
            follow_links_out: false,
        }
    }
}

/// What the repo source found.
#[derive(Debug, Default)]
pub struct RepoScan {
    pub inventory: Inventory,
    pub inline_ignores: Vec<InlineIgnore>,
    /// Other sources' exports found among the files (recognised by content, see
    /// [`crate::sources::RECOGNISERS`]), for those sources to read.
    pub exports: Vec<crate::sources::FoundExport>,
    /// Workflows, gh-aw sources and actions, analysed after the walk with each other in
    /// reach (a job's local actions and reusable workflows).
    pub(super) deferred: Vec<(super::workflow::WorkflowFile, FileKind)>,
}

/// Buffer capacity a worker keeps between files.
const KEEP_BUFFER: usize = 1 << 20;

/// Folders that hold other people's code or build output, never agent configs of ours.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    "target",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    ".terraform",
    "site-packages",
];

/// Walks `paths` and analyses every file; `names` says how each file is shown.
pub fn scan(paths: &[PathBuf], options: &RepoOptions, names: &ScanRoots) -> RepoScan {
    let mut out = RepoScan::default();
    let mut roots = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(_) => roots.push(path.clone()),
            Err(e) => out.inventory.errors.push(
                SourceKind::Repo.error(names.shown(path), format!("cannot read the path: {e}")),
            ),
        }
    }
    let Some((first, rest)) = roots.split_first() else {
        return out;
    };

    let mut builder = WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    builder
        .hidden(false)
        .follow_links(true)
        .git_ignore(options.respect_gitignore)
        .git_global(options.respect_gitignore)
        .git_exclude(options.respect_gitignore)
        .ignore(options.respect_gitignore)
        .parents(options.respect_gitignore)
        .require_git(false)
        .threads(options.threads);
    // Links out of the scanned folders are not followed (nor their targets read) unless
    // asked; each is recorded.
    let outside: Arc<Mutex<Vec<SourceError>>> = Arc::default();
    {
        let inside = Arc::new(names.canonical_roots());
        let outside = Arc::clone(&outside);
        let follow_out = options.follow_links_out;
        let shown_names = names.clone();
        builder.filter_entry(move |entry| {
            if is_skipped_dir(entry) {
                return false;
            }
            if follow_out || !entry.path_is_symlink() {
                return true;
            }
            match std::fs::canonicalize(entry.path()) {
                Ok(target) if !inside.iter().any(|r| target.starts_with(r)) => {
                    if let Ok(mut o) = outside.lock() {
                        o.push(SourceKind::Repo.error(shown_names.shown(entry.path()), "a symbolic link out of the scanned folders: not followed (--follow-links-out follows it)"));
                    }
                    false
                }
                // Dangling or looping links: the walk reports them.
                _ => true,
            }
        });
    }

    let progress = if options.progress {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_message("files read");
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        pb
    } else {
        indicatif::ProgressBar::hidden()
    };
    let results: Mutex<Vec<RepoScan>> = Mutex::new(Vec::new());
    builder.build_parallel().run(|| {
        let progress = progress.clone();
        let mut worker = Worker {
            options,
            names,
            local: RepoScan::default(),
            buf: Vec::new(),
            sink: &results,
        };
        Box::new(move |entry| {
            progress.inc(1);
            match entry {
                Ok(entry) => worker.visit(&entry),
                Err(err) => worker.walk_error(err),
            }
            WalkState::Continue
        })
    });

    progress.finish_and_clear();
    if let Ok(mut o) = outside.lock() {
        out.inventory.warnings.append(&mut o);
    }
    for part in results.into_inner().unwrap_or_else(|p| p.into_inner()) {
        out.inventory.extend(part.inventory);
        out.inline_ignores.extend(part.inline_ignores);
        out.exports.extend(part.exports);
        out.deferred.extend(part.deferred);
    }
    out.deferred.sort_by(|a, b| a.0.shown.cmp(&b.0.shown));
    out.inventory.extend(super::analyse_deferred(&out.deferred));
    out.deferred = Vec::new();
    out.exports.sort();
    // One agent per `.claude` folder, whose settings files each gave a part of its scope.
    super::toolscope::merge(&mut out.inventory.agents);
    out.inventory.normalize();
    out.inline_ignores.sort();
    out
}

fn is_skipped_dir(entry: &DirEntry) -> bool {
    if entry.depth() == 0 || !entry.file_type().is_some_and(|t| t.is_dir()) {
        return false;
    }
    let name = entry.file_name().to_string_lossy();
    SKIPPED_DIRS.contains(&name.as_ref()) || entry.path().join("pyvenv.cfg").is_file()
}

/// One walker thread: analyses files into a local fragment, handed over when dropped.
struct Worker<'a> {
    options: &'a RepoOptions,
    names: &'a ScanRoots,
    local: RepoScan,
    buf: Vec<u8>,
    sink: &'a Mutex<Vec<RepoScan>>,
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        let local = std::mem::take(&mut self.local);
        match self.sink.lock() {
            Ok(mut sink) => sink.push(local),
            Err(poisoned) => poisoned.into_inner().push(local),
        }
    }
}

impl Worker<'_> {
    fn error(&mut self, location: String, message: String) {
        self.local
            .inventory
            .errors
            .push(SourceKind::Repo.error(location, message));
    }

    fn walk_error(&mut self, err: ignore::Error) {
        let (path, message) = describe_walk_error(&err, self.names);
        self.error(path, message);
    }

    fn warn(&mut self, location: String, message: String) {
        self.local
            .inventory
            .warnings
            .push(SourceKind::Repo.error(location, message));
    }

    fn visit(&mut self, entry: &DirEntry) {
        let Some(file_type) = entry.file_type() else {
            return;
        };
        if !file_type.is_file() {
            // Never opened: reading a FIFO or a device blocks or never ends.
            if let Some(what) = special_kind(&file_type) {
                let shown = self.names.shown(entry.path());
                self.local.inventory.stats.files_seen += 1;
                self.warn(
                    shown,
                    format!("skipped: {what}, not a regular file; not opened"),
                );
            }
            return;
        }
        let path = entry.path();
        let shown = self.names.shown(path);
        self.local.inventory.stats.files_seen += 1;
        let kind = detect::classify_by_name(path);
        if crate::sources::activity::named_like_cloudtrail(path) {
            // Streamed by the activity reader, whatever its size: never read whole here.
            self.local.exports.push(crate::sources::FoundExport {
                path: path.to_path_buf(),
                source: crate::model::SourceKind::Activity,
                kind: "cloudtrail",
            });
            return;
        }

        let size = match entry.metadata() {
            Ok(m) => m.len(),
            Err(e) => return self.error(shown, format!("cannot read metadata: {e}")),
        };
        if size > self.options.max_file_size {
            return self.error(
                shown,
                format!(
                    "skipped: the file is {} bytes, over the {} byte limit (--max-file-size)",
                    size, self.options.max_file_size
                ),
            );
        }
        match read_file(path, size, &mut self.buf) {
            Ok(true) => {}
            Ok(false) => {
                return self.warn(
                    shown,
                    "skipped: it was no longer a regular file when opened; not read".into(),
                );
            }
            Err(e) => return self.error(shown, format!("cannot read the file: {e}")),
        }
        self.local.inventory.stats.bytes_read += self.buf.len() as u64;
        let text = match decode(&self.buf) {
            Some(text) => text,
            None => {
                self.local.inventory.stats.files_binary += 1;
                let named = match kind {
                    FileKind::Other if crate::sources::iac::named_like_terraform(path) => {
                        Some("a Terraform file")
                    }
                    FileKind::Other => None,
                    kind => Some(kind.describe()),
                };
                if let Some(named) = named {
                    self.error(
                        shown,
                        format!("skipped: named like {named} but holds binary data"),
                    );
                }
                return;
            }
        };
        self.local.inventory.stats.files_parsed += 1;
        if kind == FileKind::Other
            && let Some((source, kind)) = crate::sources::recognise_export(path, &text)
        {
            self.local.exports.push(crate::sources::FoundExport {
                path: path.to_path_buf(),
                source,
                kind,
            });
            if source == crate::model::SourceKind::Iac {
                // Infrastructure code is written by hand, like configs: a literal secret
                // in it (a provider key, a Secret's data) is found by the same scanner,
                // and an inline `nhi-audit:ignore` applies to its lines.
                let mut fragment = Fragment::new(&shown);
                fragment.scan_text(&text);
                self.local.inventory.extend(fragment.finish());
                self.local
                    .inline_ignores
                    .extend(suppress::find_inline_ignores(&shown, &text));
            }
            return;
        }
        let kind = if kind == FileKind::Other {
            detect::classify_by_content(path, &text)
        } else {
            kind
        };
        let mut fragment = Fragment::new(&shown);
        if matches!(
            kind,
            FileKind::Workflow | FileKind::GhAwSource | FileKind::Action
        ) {
            // Its agents are read after the walk, with the files it calls.
            fragment.scan_text(&text);
            self.local.deferred.push((
                super::workflow::WorkflowFile {
                    shown: shown.clone(),
                    text: text.to_string(),
                },
                kind,
            ));
        } else {
            super::analyse(kind, &text, &mut fragment);
        }
        self.local
            .inline_ignores
            .extend(suppress::find_inline_ignores(&shown, &text));
        self.local.inventory.extend(fragment.finish());
        // A worker keeps its buffer between files, but not the memory of a rare huge one.
        if self.buf.capacity() > KEEP_BUFFER {
            self.buf = Vec::new();
        }
    }
}

/// What a special file is, for the message: FIFOs, sockets and devices are never read.
fn special_kind(t: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if t.is_socket() {
        Some("a socket")
    } else if t.is_block_device() || t.is_char_device() {
        Some("a device")
    } else {
        None
    }
}

/// Reads a regular file whole. Opened without blocking and checked again once open, so
/// a file swapped for a FIFO after the walk saw it cannot hang the scan: `Ok(false)`.
fn read_file(path: &Path, size: u64, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    use std::os::unix::fs::OpenOptionsExt;
    buf.clear();
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Ok(false);
    }
    buf.reserve(size as usize);
    // `take` guards against a file that grows while we read it.
    file.take(size.saturating_add(1)).read_to_end(buf)?;
    Ok(true)
}

/// The text of a file: UTF-8 (a BOM dropped; invalid sequences replaced), or UTF-16 or
/// UTF-32 with a byte order mark, decoded. `None` for binary data: a NUL byte in the
/// first block of a file without such a mark.
pub(crate) fn decode(buf: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
    let units = |bytes: &[u8], width: usize, big: bool| -> String {
        let mut out = String::with_capacity(bytes.len() / width);
        if width == 2 {
            let it = bytes.chunks_exact(2).map(|c| {
                if big {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            });
            out.extend(char::decode_utf16(it).map(|r| r.unwrap_or('\u{fffd}')));
        } else {
            for c in bytes.chunks_exact(4) {
                let n = if big {
                    u32::from_be_bytes([c[0], c[1], c[2], c[3]])
                } else {
                    u32::from_le_bytes([c[0], c[1], c[2], c[3]])
                };
                out.push(char::from_u32(n).unwrap_or('\u{fffd}'));
            }
        }
        out
    };
    if let Some(rest) = buf.strip_prefix(&[0xFF, 0xFE, 0, 0]) {
        return Some(units(rest, 4, false).into());
    }
    if let Some(rest) = buf.strip_prefix(&[0, 0, 0xFE, 0xFF]) {
        return Some(units(rest, 4, true).into());
    }
    if let Some(rest) = buf.strip_prefix(&[0xFF, 0xFE]) {
        return Some(units(rest, 2, false).into());
    }
    if let Some(rest) = buf.strip_prefix(&[0xFE, 0xFF]) {
        return Some(units(rest, 2, true).into());
    }
    let buf = buf.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(buf);
    if buf[..buf.len().min(8192)].contains(&0) {
        return None;
    }
    Some(String::from_utf8_lossy(buf))
}

fn describe_walk_error(err: &ignore::Error, names: &ScanRoots) -> (String, String) {
    match err {
        ignore::Error::WithPath { path, err } => {
            (names.shown(path), describe_walk_error(err, names).1)
        }
        ignore::Error::WithDepth { err, .. } => describe_walk_error(err, names),
        ignore::Error::WithLineNumber { line, err } => {
            let (p, m) = describe_walk_error(err, names);
            (format!("{p}:{line}"), m)
        }
        ignore::Error::Loop { ancestor, child } => (
            names.shown(child),
            format!(
                "symbolic link loop: it points back to {}; not followed",
                names.shown(ancestor)
            ),
        ),
        ignore::Error::Io(e) => (String::from("(walk)"), format!("cannot read: {e}")),
        other => (String::from("(walk)"), other.to_string()),
    }
}
