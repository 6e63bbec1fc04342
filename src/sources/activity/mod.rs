//! Activity logs: what identities did, read from the logs users already export, and
//! summed per acting principal while they stream past ([`Aggregator`]). A month of one
//! account's CloudTrail is gigabytes; no log is ever held whole, and no event is kept —
//! only counts, first and last use, and a few distinct values of each open field.
//!
//! Formats, told apart by content, never by name alone (a `.gz` is unpacked first):
//! - CloudTrail as delivered to S3 (`{"Records": [...]}`, `.json` or `.json.gz`), records
//!   one per line (JSON Lines, as Athena and CloudWatch Logs export them), `aws
//!   cloudtrail lookup-events` output (`{"Events": [...]}`), and CloudTrail Lake query
//!   results (`{"QueryResultRows": [...]}`): [`cloudtrail`].
//! - A JSON array of entries, each claimed by the first reader that knows its shape
//!   ([`ARRAY_READERS`]): the GitHub audit log, Cloud Audit Logs as `gcloud logging read
//!   --format=json` prints them ([`gcp`]), the Azure activity log and Entra sign-ins
//!   ([`azure`]); a Graph page (`{"value": [...]}`) and one entry per line read the same.

pub mod azure;
mod clients;
pub mod cloudtrail;
pub mod gcp;
pub mod github;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::{
    AccessLevel, ActionUse, Activity, ActivityWindow, KEPT, Provider, SourceError, SourceKind,
};

pub use clients::agent_client;

/// The default window of `--activity-window`.
pub const DEFAULT_WINDOW_DAYS: u32 = 90;

/// What to read: log files or folders of them (`--activity`), and the window.
#[derive(Debug, Clone)]
pub struct Request {
    pub paths: Vec<PathBuf>,
    pub window_days: u32,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            paths: Vec::new(),
            window_days: DEFAULT_WINDOW_DAYS,
        }
    }
}

/// Which provider's log an event is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogProvider {
    Aws,
    Github,
    Gcp,
    Azure,
}

impl LogProvider {
    pub fn provider(self) -> Provider {
        match self {
            LogProvider::Aws => Provider::Aws,
            LogProvider::Github => Provider::Github,
            LogProvider::Gcp => Provider::Gcp,
            LogProvider::Azure => Provider::Azure,
        }
    }
}

/// A role session (or a minted token): its name, when it began, and the identity that
/// ties it to whoever started it.
#[derive(Debug, Clone, Copy)]
pub struct Session<'a> {
    pub name: &'a str,
    pub started: &'a str,
    pub attributed: bool,
}

/// One event, as every reader hands it to the [`Aggregator`]: borrowed from the record
/// it was read from.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub provider: LogProvider,
    /// The join key (see [`Activity::principal`]).
    pub principal: &'a str,
    /// An access key id, token id or hashed token.
    pub key: Option<&'a str>,
    pub action: &'a str,
    pub level: Option<AccessLevel>,
    pub resources: &'a [&'a str],
    /// Unix seconds.
    pub time: i64,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// The provider refused the call.
    pub denied: bool,
    pub session: Option<Session<'a>>,
    /// How it authenticated, as the log says (the GitHub audit log's
    /// `programmatic_access_type`: `Personal access token (classic)`, …).
    pub access_type: Option<&'a str>,
}

/// What one principal did, while the logs stream.
#[derive(Debug, Default)]
struct Acc {
    keys: BTreeMap<String, ()>,
    events: u64,
    first: i64,
    last: i64,
    actions: FxHashMap<String, ActionAcc>,
    ips: Capped,
    user_agents: Capped,
    clients: BTreeMap<&'static str, ()>,
    /// (name, start) of each session, and whether it was attributed.
    /// Each session (by a hash of its name and start): whether it was attributed, and
    /// its name's index in `names`.
    sessions: FxHashMap<u64, (bool, u32)>,
    sessions_over: u64,
    /// Session names, at most [`NAMES_KEPT`], and their indexes.
    names: Vec<String>,
    name_ix: FxHashMap<String, u32>,
    access_types: BTreeMap<String, ()>,
}

#[derive(Debug, Default)]
struct ActionAcc {
    level: Option<AccessLevel>,
    count: u64,
    denied: u64,
    first: i64,
    last: i64,
    resources: Capped,
    unscoped: u64,
}

/// Up to [`KEPT`] distinct values, and how many others there were.
#[derive(Debug, Default)]
struct Capped {
    kept: Vec<String>,
    more: u64,
    /// Hashes of the values past the cap, so that `more` counts distinct values (bounded:
    /// past a million, `more` counts occurrences).
    over: FxHashSet<u64>,
}

impl Capped {
    /// Adds `value`; true when it was not seen before (or can no longer be told apart).
    fn add(&mut self, value: &str) -> bool {
        if self.kept.iter().any(|k| k == value) {
            return false;
        }
        if self.kept.len() < KEPT {
            self.kept.push(value.to_string());
            return true;
        }
        use std::hash::{BuildHasher, Hasher};
        let mut h = rustc_hash::FxBuildHasher.build_hasher();
        h.write(value.as_bytes());
        if self.over.len() < 1_000_000 {
            let new = self.over.insert(h.finish());
            self.more += u64::from(new);
            new
        } else {
            self.more += 1;
            true
        }
    }

    fn into_sorted(mut self) -> (Vec<String>, u64) {
        self.kept.sort();
        (self.kept, self.more)
    }
}

/// How many role sessions one principal's record tells apart; past it they are counted
/// but not remembered.
const SESSIONS_KEPT: usize = 20_000;

/// How many session names one principal's record remembers (to tell a name that served
/// several sessions).
const NAMES_KEPT: usize = 1_000;

/// A session name's index when past [`NAMES_KEPT`].
const NO_NAME: u32 = u32::MAX;

/// Events dated more than this after the clock are not believed as the newest event.
const SKEW_SECS: i64 = 24 * 3600;

/// Sums events per principal. One per file read in parallel; [`Aggregator::merge`]
/// joins them.
#[derive(Debug, Default)]
pub struct Aggregator {
    /// By provider ([`LogProvider`] as index), then principal.
    by: [FxHashMap<String, Acc>; 4],
    /// The newest event not dated in the future, Unix seconds.
    newest: Option<i64>,
    now: i64,
    pub events: u64,
    pub files: u64,
    /// Events dated more than a day after the clock: (count, the first such file).
    future: (u64, Option<String>),
}

impl Aggregator {
    pub fn new(now: i64) -> Self {
        Aggregator {
            now,
            ..Default::default()
        }
    }

    pub fn add(&mut self, e: &Event<'_>, file: &str) {
        self.events += 1;
        if e.time > self.now + SKEW_SECS {
            self.future.0 += 1;
            self.future.1.get_or_insert_with(|| file.to_string());
        } else {
            self.newest = Some(self.newest.map_or(e.time, |n| n.max(e.time)));
        }
        let by = &mut self.by[e.provider as usize];
        let acc = match by.get_mut(e.principal) {
            Some(acc) => acc,
            None => by.entry(e.principal.to_string()).or_insert_with(|| Acc {
                first: e.time,
                last: e.time,
                ..Default::default()
            }),
        };
        acc.events += 1;
        acc.first = acc.first.min(e.time);
        acc.last = acc.last.max(e.time);
        if let Some(k) = e.key
            && !acc.keys.contains_key(k)
            && acc.keys.len() < KEPT
        {
            acc.keys.insert(k.to_string(), ());
        }
        if let Some(k) = e.access_type
            && !acc.access_types.contains_key(k)
            && acc.access_types.len() < KEPT
        {
            acc.access_types.insert(k.to_string(), ());
        }
        if let Some(ip) = e.ip {
            acc.ips.add(ip);
        }
        // Each distinct user agent is matched against the agent clients once.
        if let Some(ua) = e.user_agent
            && acc.user_agents.add(ua)
            && let Some(client) = agent_client(ua)
        {
            acc.clients.insert(client, ());
        }
        if let Some(s) = e.session {
            acc.add_session(s.name, s.started, s.attributed);
        }
        let action = match acc.actions.get_mut(e.action) {
            Some(a) => a,
            None => acc
                .actions
                .entry(e.action.to_string())
                .or_insert_with(|| ActionAcc {
                    level: e.level,
                    first: e.time,
                    last: e.time,
                    ..Default::default()
                }),
        };
        if e.denied {
            action.denied += 1;
            return;
        }
        // The first and last *use*: a refused call is not one.
        if action.count == 0 {
            (action.first, action.last) = (e.time, e.time);
        }
        action.count += 1;
        action.first = action.first.min(e.time);
        action.last = action.last.max(e.time);
        if e.resources.is_empty() {
            action.unscoped += 1;
        }
        for r in e.resources {
            action.resources.add(r);
        }
    }

    /// Joins another file's sums into these.
    pub fn merge(&mut self, other: Aggregator) {
        self.events += other.events;
        self.files += other.files;
        self.newest = match (self.newest, other.newest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.future.0 += other.future.0;
        if self.future.1.is_none() {
            self.future.1 = other.future.1;
        }
        for (mine, theirs) in self.by.iter_mut().zip(other.by) {
            for (key, acc) in theirs {
                match mine.get_mut(&key) {
                    None => {
                        mine.insert(key, acc);
                    }
                    Some(m) => m.merge(acc),
                }
            }
        }
    }

    /// The records, by principal, and the window ending at the newest event.
    pub fn finish(self, window_days: u32) -> (Vec<Activity>, Option<ActivityWindow>) {
        let window = self.newest.map(|end| ActivityWindow {
            days: window_days,
            start: rfc3339(end - i64::from(window_days) * 86_400),
            end: rfc3339(end),
            files: self.files,
            events: self.events,
        });
        let providers = [
            LogProvider::Aws,
            LogProvider::Github,
            LogProvider::Gcp,
            LogProvider::Azure,
        ];
        let mut out: Vec<Activity> = self
            .by
            .into_iter()
            .zip(providers)
            .flat_map(|(by, provider)| {
                by.into_iter()
                    .map(move |(principal, acc)| acc.into_activity(principal, provider))
            })
            .collect();
        out.sort_by(|a, b| a.principal.cmp(&b.principal));
        (out, window)
    }

    /// A warning about events dated after the clock, if there were any.
    pub fn skew_warning(&self) -> Option<SourceError> {
        let (n, file) = (&self.future.0, &self.future.1);
        (*n > 0).then(|| {
            SourceKind::Activity.error(
                file.clone().unwrap_or_default(),
                format!(
                    "{n} event(s) dated more than a day after the clock (clock skew?): \
                     counted, but not taken as the end of the activity window"
                ),
            )
        })
    }
}

impl Acc {
    fn session_key(name: &str, started: &str) -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = rustc_hash::FxBuildHasher.build_hasher();
        h.write(name.as_bytes());
        h.write_u8(0);
        h.write(started.as_bytes());
        h.finish()
    }

    fn name_index(&mut self, name: &str) -> u32 {
        if let Some(ix) = self.name_ix.get(name) {
            return *ix;
        }
        if self.names.len() >= NAMES_KEPT {
            return NO_NAME;
        }
        let ix = self.names.len() as u32;
        self.names.push(name.to_string());
        self.name_ix.insert(name.to_string(), ix);
        ix
    }

    fn add_session(&mut self, name: &str, started: &str, attributed: bool) {
        let key = Self::session_key(name, started);
        self.merge_session(key, Some(name), attributed);
    }

    fn merge_session(&mut self, key: u64, name: Option<&str>, attributed: bool) {
        if let Some((a, _)) = self.sessions.get_mut(&key) {
            *a |= attributed;
            return;
        }
        if self.sessions.len() >= SESSIONS_KEPT {
            self.sessions_over += 1;
            return;
        }
        let ix = name.map_or(NO_NAME, |n| self.name_index(n));
        self.sessions.insert(key, (attributed, ix));
    }

    fn merge(&mut self, other: Acc) {
        self.events += other.events;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        for (k, ()) in other.keys {
            if self.keys.len() < KEPT {
                self.keys.insert(k, ());
            }
        }
        for (k, ()) in other.access_types {
            if self.access_types.len() < KEPT {
                self.access_types.insert(k, ());
            }
        }
        merge_capped(&mut self.ips, other.ips);
        merge_capped(&mut self.user_agents, other.user_agents);
        self.clients.extend(other.clients);
        for (k, (attributed, ix)) in other.sessions {
            let name = other.names.get(ix as usize).map(String::as_str);
            self.merge_session(k, name, attributed);
        }
        self.sessions_over += other.sessions_over;
        for (name, a) in other.actions {
            match self.actions.get_mut(&name) {
                None => {
                    self.actions.insert(name, a);
                }
                Some(mine) => {
                    match (mine.count, a.count) {
                        (_, 0) => {}
                        (0, _) => (mine.first, mine.last) = (a.first, a.last),
                        _ => {
                            mine.first = mine.first.min(a.first);
                            mine.last = mine.last.max(a.last);
                        }
                    }
                    if mine.count == 0 && a.count == 0 {
                        mine.first = mine.first.min(a.first);
                        mine.last = mine.last.max(a.last);
                    }
                    mine.count += a.count;
                    mine.denied += a.denied;
                    mine.unscoped += a.unscoped;
                    mine.level = mine.level.or(a.level);
                    merge_capped(&mut mine.resources, a.resources);
                }
            }
        }
    }

    fn into_activity(self, principal: String, provider: LogProvider) -> Activity {
        let mut actions: Vec<ActionUse> = self
            .actions
            .into_iter()
            .map(|(action, a)| {
                let (resources, resources_more) = a.resources.into_sorted();
                ActionUse {
                    action,
                    level: a.level,
                    count: a.count,
                    denied: a.denied,
                    first: rfc3339(a.first),
                    last: rfc3339(a.last),
                    resources,
                    resources_more,
                    unscoped: a.unscoped,
                }
            })
            .collect();
        actions.sort_by(|a, b| a.action.cmp(&b.action));
        let sessions = self.sessions.len() as u64 + self.sessions_over;
        let sessions_attributed = self.sessions.values().filter(|(a, _)| *a).count() as u64;
        let mut per_name = vec![0u64; self.names.len()];
        for (_, ix) in self.sessions.values() {
            if let Some(n) = per_name.get_mut(*ix as usize) {
                *n += 1;
            }
        }
        let session_names_reused = per_name.iter().any(|n| *n > 1);
        let mut names = self.names;
        names.sort();
        let session_names = names.into_iter().take(KEPT).collect();
        let (source_ips, _) = self.ips.into_sorted();
        let (user_agents, _) = self.user_agents.into_sorted();
        Activity {
            keys: self.keys.into_keys().collect(),
            events: self.events,
            first: rfc3339(self.first),
            last: rfc3339(self.last),
            actions,
            source_ips,
            user_agents,
            agent_clients: self.clients.keys().map(|c| c.to_string()).collect(),
            sessions,
            sessions_attributed,
            session_names,
            session_names_reused,
            access_types: self.access_types.into_keys().collect(),
            ..Activity::new(principal, provider.provider())
        }
    }
}

fn merge_capped(into: &mut Capped, from: Capped) {
    for v in &from.kept {
        into.add(v);
    }
    into.more += from.more;
}

/// RFC 3339 (UTC, whole seconds) of Unix seconds.
pub fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(crate::timefmt::format)
        .unwrap_or_default()
}

/// Unix seconds of a date as logs write it: RFC 3339 with or without fractions
/// (`2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.123+02:00`), read fast in the common
/// shape and through [`crate::timefmt::parse`] otherwise.
pub fn parse_time(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = b.get(r)?;
        s.iter().try_fold(0i64, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    if b.len() == 20 && b[4] == b'-' && b[10] == b'T' && b[19] == b'Z' {
        let (y, mo, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        let (h, mi, s) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
        if (1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && s < 61 {
            return Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s);
        }
        return None;
    }
    crate::timefmt::parse(text).map(|t| t.unix_timestamp())
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Everything read from the logs.
#[derive(Debug, Default)]
pub struct LogRead {
    pub activity: Vec<Activity>,
    pub window: Option<ActivityWindow>,
    pub errors: Vec<SourceError>,
    pub warnings: Vec<SourceError>,
    /// A requested path could not be read at all.
    pub failed: bool,
}

/// What reading one file gave.
#[derive(Debug, Default)]
pub struct FileRead {
    pub errors: Vec<SourceError>,
    pub warnings: Vec<SourceError>,
}

/// Reads every log under `paths` (files, or folders walked without following links),
/// files in parallel. `shown` names a file in messages.
pub fn read(
    paths: &[PathBuf],
    window_days: u32,
    shown: &(dyn Fn(&Path) -> String + Sync),
) -> LogRead {
    use rayon::prelude::*;
    let mut out = LogRead::default();
    let mut files = Vec::new();
    for p in paths {
        collect_files(p, shown, &mut files, &mut out);
    }
    files.sort();
    files.dedup();
    let now = crate::timefmt::now().unix_timestamp();
    let (agg, reads) = files
        .par_iter()
        .map(|path| {
            let mut agg = Aggregator::new(now);
            let name = shown(path);
            let read = read_file(path, &name, &mut agg);
            agg.files += 1;
            (agg, vec![read])
        })
        .reduce(
            || (Aggregator::new(now), Vec::new()),
            |(mut a, mut ra), (b, rb)| {
                a.merge(b);
                ra.extend(rb);
                (a, ra)
            },
        );
    for r in reads {
        out.errors.extend(r.errors);
        out.warnings.extend(r.warnings);
    }
    out.warnings.extend(agg.skew_warning());
    let (activity, window) = agg.finish(window_days);
    out.activity = activity;
    out.window = window;
    out
}

/// The files under `path`: itself, or what a folder holds (hidden files too; links and
/// special files are reported, not read).
fn collect_files(
    path: &Path,
    shown: &(dyn Fn(&Path) -> String + Sync),
    files: &mut Vec<PathBuf>,
    out: &mut LogRead,
) {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) => {
            out.failed = true;
            out.errors
                .push(SourceKind::Activity.error(shown(path), format!("cannot read: {e}")));
            return;
        }
    };
    if meta.is_file() || (meta.file_type().is_symlink() && path.is_file()) {
        // A file named on the command line is read even through a link: the user chose it.
        files.push(path.to_path_buf());
        return;
    }
    if !meta.is_dir() && !path.is_dir() {
        out.warnings.push(SourceKind::Activity.error(
            shown(path),
            "skipped: not a regular file or folder; not opened".to_string(),
        ));
        return;
    }
    let walk = ignore::WalkBuilder::new(path)
        .standard_filters(false)
        .follow_links(false)
        .build();
    for entry in walk {
        match entry {
            Err(e) => out.errors.push(
                SourceKind::Activity
                    .error(shown(path), format!("cannot walk the activity folder: {e}")),
            ),
            Ok(entry) => {
                let Some(ft) = entry.file_type() else {
                    continue;
                };
                if ft.is_dir() {
                    continue;
                }
                if ft.is_file() {
                    files.push(entry.into_path());
                } else {
                    let what = if ft.is_symlink() {
                        "a symbolic link (not followed in an activity folder)"
                    } else {
                        "not a regular file"
                    };
                    out.warnings.push(
                        SourceKind::Activity.error(shown(entry.path()), format!("skipped: {what}")),
                    );
                }
            }
        }
    }
}

/// The first bytes of a gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads one log file into `agg`: gzip or not, by its first bytes.
pub fn read_file(path: &Path, shown: &str, agg: &mut Aggregator) -> FileRead {
    let mut out = FileRead::default();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            out.errors
                .push(SourceKind::Activity.error(shown, format!("cannot read: {e}")));
            return out;
        }
    };
    let mut raw = BufReader::with_capacity(256 * 1024, file);
    let gz = match raw.fill_buf() {
        Ok(head) => head.starts_with(&GZIP_MAGIC),
        Err(e) => {
            out.errors
                .push(SourceKind::Activity.error(shown, format!("cannot read: {e}")));
            return out;
        }
    };
    if gz {
        let decoded = flate2::bufread::MultiGzDecoder::new(raw);
        read_stream(
            BufReader::with_capacity(256 * 1024, decoded),
            shown,
            true,
            agg,
            &mut out,
        );
    } else {
        read_stream(raw, shown, false, agg, &mut out);
    }
    out
}

/// Reads JSON values one after another (one document, or JSON Lines).
fn read_stream<R: BufRead>(
    mut r: R,
    shown: &str,
    gz: bool,
    agg: &mut Aggregator,
    out: &mut FileRead,
) {
    // The GitHub audit log's CSV export, by its header; anything else is JSON.
    match r.fill_buf() {
        Ok(head) if github::looks_like_csv(head.trim_ascii_start()) => {
            return github::read_csv(r, shown, agg, out);
        }
        Ok(_) => {}
        Err(e) => {
            out.errors
                .push(read_error(shown, gz, &e, &Tally::default()));
            return;
        }
    }
    let mut tally = Tally::default();
    let mut values = 0u64;
    loop {
        match skip_whitespace(&mut r) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                out.errors.push(read_error(shown, gz, &e, &tally));
                break;
            }
        }
        let mut de = serde_json::Deserializer::from_reader(&mut r);
        let seed = cloudtrail::Top {
            agg: &mut *agg,
            file: shown,
            tally: &mut tally,
        };
        if let Err(e) = serde::de::DeserializeSeed::deserialize(seed, &mut de) {
            let (line, column) = (e.line(), e.column());
            let what = if e.is_io() {
                read_error(shown, gz, &std::io::Error::other(e.to_string()), &tally).message
            } else {
                // serde's own message can quote the input (`invalid type: string "…"`):
                // only its kind leaves the process.
                format!(
                    "not an activity log: {}{}",
                    crate::doc::json_error_kind(&e),
                    if tally.read > 0 {
                        format!(" (after {} events, which are counted)", tally.read)
                    } else {
                        String::new()
                    }
                )
            };
            let decoded = if gz { " (decompressed)" } else { "" };
            out.errors.push(
                SourceKind::Activity.error(format!("{shown}{decoded}:{line}:{column}"), what),
            );
            break;
        }
        values += 1;
    }
    if values == 0 && out.errors.is_empty() {
        out.warnings
            .push(SourceKind::Activity.error(shown, "empty: no activity in it".to_string()));
    }
    tally.report(shown, out);
}

fn read_error(shown: &str, gz: bool, e: &std::io::Error, tally: &Tally) -> SourceError {
    let what = if gz {
        "the gzip stream is truncated or corrupt"
    } else {
        "cannot read"
    };
    SourceKind::Activity.error(
        shown,
        format!(
            "{what} after {} events (those are counted; the rest of the file is not): {e}",
            tally.read
        ),
    )
}

/// Skips whitespace; false at the end of the input.
fn skip_whitespace<R: BufRead>(r: &mut R) -> std::io::Result<bool> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(false);
        }
        let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        let more = n < buf.len();
        r.consume(n);
        if more {
            return Ok(true);
        }
    }
}

/// What one file held besides the events read: records skipped and why, by reason, with
/// the first record each reason hit (counted from 1 within the file).
#[derive(Debug, Default)]
pub struct Tally {
    pub read: u64,
    pub seen: u64,
    skipped: BTreeMap<&'static str, (u64, u64)>,
    /// Entries no reader knows (a JSON array of something else).
    pub unknown: u64,
    /// What a position counts (`record` when unset; a CSV file counts lines).
    pub unit: Option<&'static str>,
    /// The position of the record being read, when it is not `seen` (a CSV row's line).
    pub at: Option<u64>,
}

impl Tally {
    /// Counts a record skipped because of `why` (`no eventName`, …).
    pub fn skip(&mut self, why: &'static str) {
        let n = self.at.unwrap_or(self.seen);
        let e = self.skipped.entry(why).or_insert((0, n));
        e.0 += 1;
    }

    pub fn report(self, shown: &str, out: &mut FileRead) {
        let unit = self.unit.unwrap_or("record");
        for (why, (n, first)) in self.skipped {
            out.warnings.push(SourceKind::Activity.error(
                shown,
                format!("{n} record(s) skipped: {why} (the first is {unit} {first})"),
            ));
        }
        if self.unknown > 0 && self.read == 0 {
            out.errors.push(SourceKind::Activity.error(
                shown,
                format!(
                    "not an activity log: {} entries of no known log format",
                    self.unknown
                ),
            ));
        } else if self.unknown > 0 {
            out.warnings.push(SourceKind::Activity.error(
                shown,
                format!("{} entries of no known log format skipped", self.unknown),
            ));
        }
    }
}

/// Readers of one entry of a JSON array log: each returns false when the entry is not
/// its format. Tried in order.
pub type ArrayReader = fn(&serde_json::Value, &mut Aggregator, &str, &mut Tally) -> bool;

pub const ARRAY_READERS: &[ArrayReader] = &[
    cloudtrail::read_value,
    github::read_value,
    gcp::read_value,
    azure::read_value,
];

/// Tells an activity log the repository walk meets by its first 4 KiB: which log it
/// is, or `None`. Only structure counts: the keys a log starts with, together.
pub fn recognise_export(text: &str) -> Option<&'static str> {
    let head = super::head(text);
    let t = head.trim_start();
    let has = |k: &str| head.contains(k);
    if t.starts_with('{')
        && has("\"Records\"")
        && (has("\"eventVersion\"") || has("\"eventSource\""))
    {
        return Some("cloudtrail");
    }
    if t.starts_with('{') && has("\"Events\"") && has("\"CloudTrailEvent\"") {
        return Some("cloudtrail-lookup-events");
    }
    if t.starts_with('{') && has("\"QueryResultRows\"") {
        return Some("cloudtrail-lake");
    }
    if t.starts_with('{')
        && has("\"eventVersion\"")
        && has("\"eventSource\"")
        && has("\"userIdentity\"")
    {
        return Some("cloudtrail-lines");
    }
    // The GitHub audit log: the API's array (or a `{"value": [...]}` page) of entries
    // with `@timestamp` and `action`, entries one per line (as audit-log streaming
    // writes them), or the CSV export's header row.
    if (t.starts_with('[') || t.starts_with('{'))
        && has("\"@timestamp\"")
        && has("\"action\"")
        && (has("\"actor\"") || has("\"_document_id\""))
    {
        return Some("github-audit-log");
    }
    if github::looks_like_csv(t.as_bytes()) {
        return Some("github-audit-log-csv");
    }
    let entries = t.starts_with('[') || t.starts_with('{');
    if entries && has("\"protoPayload\"") && has("google.cloud.audit.AuditLog") {
        return Some("gcp-audit-logs");
    }
    if entries
        && has("\"eventTimestamp\"")
        && has("\"operationName\"")
        && (has("\"authorization\"") || has("\"caller\"") || has("\"eventDataId\""))
    {
        return Some("azure-activity-log");
    }
    if entries
        && (has("$metadata#auditLogs/signIns")
            || (has("\"createdDateTime\"")
                && has("\"appId\"")
                && (has("\"signInEventTypes\"")
                    || (has("\"resourceDisplayName\"") && has("\"ipAddress\"")))))
    {
        return Some("entra-sign-ins");
    }
    None
}

/// A CloudTrail file as CloudTrail names what it delivers to S3
/// (`123456789012_CloudTrail_us-east-1_20240501T1200Z_abcd.json.gz`): read by name,
/// being gzip.
pub fn named_like_cloudtrail(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.contains("_CloudTrail_") && n.ends_with(".json.gz"))
}

/// Reads whole-file text already in memory (a log the repository walk found), for tests
/// and small files.
pub fn read_text(text: &str, shown: &str, agg: &mut Aggregator) -> FileRead {
    let mut out = FileRead::default();
    read_stream(text.as_bytes(), shown, false, agg, &mut out);
    out
}

/// Reads everything `r` yields (a test's gzip bytes, a pipe).
pub fn read_reader(r: impl std::io::Read, shown: &str, agg: &mut Aggregator) -> FileRead {
    let mut out = FileRead::default();
    read_stream(BufReader::new(r), shown, false, agg, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_fast_agree_with_the_slow_path() {
        for t in [
            "2014-03-06T21:22:54Z",
            "2024-02-29T00:00:00Z",
            "1999-12-31T23:59:59Z",
        ] {
            let slow = crate::timefmt::parse(t).map(|d| d.unix_timestamp());
            assert_eq!(parse_time(t), slow, "{t}");
        }
        assert_eq!(
            parse_time("2014-03-06T21:22:54.123+01:00"),
            Some(parse_time("2014-03-06T20:22:54Z").unwrap_or_default())
        );
        assert_eq!(parse_time("2014-13-06T21:22:54Z"), None);
        assert_eq!(parse_time("not a date"), None);
    }

    #[test]
    fn cloud_audit_logs_activity_logs_and_sign_ins_are_recognised_as_activity() {
        let p = Path::new("logs.json");
        let gcp = r#"[{"insertId": "1", "logName": "projects/p/logs/cloudaudit.googleapis.com%2Fdata_access", "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "methodName": "storage.objects.get"}, "timestamp": "2024-05-01T12:00:00.123456789Z"}]"#;
        let azure = r#"[{"authorization": {"action": "Microsoft.Storage/storageAccounts/listKeys/action", "scope": "/subscriptions/s"}, "caller": "x", "eventDataId": "e", "eventTimestamp": "2024-05-01T12:00:00Z", "operationName": {"value": "Microsoft.Storage/storageAccounts/listKeys/action"}}]"#;
        let sign_ins = r#"{"@odata.context": "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns", "value": [{"appId": "a", "createdDateTime": "2024-05-01T12:00:00Z", "signInEventTypes": ["servicePrincipal"]}]}"#;
        for (text, kind) in [
            (gcp, "gcp-audit-logs"),
            (azure, "azure-activity-log"),
            (sign_ins, "entra-sign-ins"),
        ] {
            assert_eq!(
                crate::sources::recognise_export(p, text),
                Some((SourceKind::Activity, kind)),
                "{kind}"
            );
        }
        assert_eq!(recognise_export(r#"[{"protoPayload": 1}]"#), None);
    }

    #[test]
    fn nanosecond_timestamps_read() {
        assert_eq!(
            parse_time("2024-05-01T12:00:00.123456789Z"),
            parse_time("2024-05-01T12:00:00Z")
        );
        assert_eq!(
            parse_time("2024-05-01T12:00:00.1234567Z"),
            parse_time("2024-05-01T12:00:00Z")
        );
    }

    #[test]
    fn capped_keeps_twenty_and_counts_the_rest_once() {
        let mut c = Capped::default();
        for i in 0..30 {
            c.add(&format!("v{i}"));
            c.add(&format!("v{i}"));
        }
        let (kept, more) = c.into_sorted();
        assert_eq!((kept.len(), more), (KEPT, 10));
    }
}
