//! No input can crash, hang, flood or leak through a scan: real files (the demo, the
//! shared corpus when it is there) mutated the way disks, editors and attackers mutate
//! them — truncated, bits flipped, bytes inserted, invalid UTF-8, UTF-16 with a BOM, NUL
//! bytes, deep nesting, alias bombs, duplicated keys, wrong types, huge numbers, megabyte
//! lines — each with a fake credential planted in it. A fixed seed and a bounded count,
//! so the run is the same every time.
//!
//! For every case: the scan returns (no panic, within a deadline), memory stays bounded,
//! every file is accounted for (read, counted as binary, or named in `errors[]` /
//! warnings), and the planted value appears in no output format.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nhi_audit::config::Config;
use nhi_audit::pipeline::{self, AwsRequest, GithubRequest, ScanRequest};
use nhi_audit::report::{self, Format, term::Term};
use nhi_audit::sources::repo::{RepoOptions, ScanRoots};

use crate::common::{Rng, corpus, crate_dir};

/// The base files: the GCP scenario's `gcloud` exports first (so the case limit never
/// leaves them out), then the demo's, and the corpus's when it is beside the checkout.
fn base_files() -> Vec<PathBuf> {
    let mut gcp = Vec::new();
    collect(&crate_dir().join("fixtures/scenario/gcp"), &mut gcp);
    gcp.sort();
    let mut roots = vec![crate_dir().join("fixtures/demo")];
    for sub in ["mcp", "agents", "workflows", "wild"] {
        roots.extend(corpus(sub));
    }
    let mut out = Vec::new();
    for root in roots {
        collect(&root, &mut out);
    }
    out.sort();
    gcp.extend(out);
    gcp
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if std::fs::metadata(&p).is_ok_and(|m| m.len() < 256 * 1024) {
            out.push(p);
        }
    }
}

/// A fake credential made here (the OpenAI project-key shape), never a literal.
fn planted(rng: &mut Rng) -> String {
    const A: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let body: String = (0..48).map(|_| A[rng.below(A.len())] as char).collect();
    format!("sk-proj-{body}T3BlbkFJ{}", &body[..20])
}

/// The mutations, by name, with how many random variants of each a base file gets; each
/// turns a file's bytes (with the credential planted) into a damaged version.
const MUTATIONS: &[(&str, usize)] = &[
    ("truncate", 5),
    ("bitflip", 5),
    ("insert", 5),
    ("invalid-utf8", 3),
    ("utf16", 1),
    ("nul", 3),
    ("deep-nesting", 1),
    ("alias-bomb", 1),
    ("duplicate-keys", 1),
    ("wrong-types", 9),
    ("huge-number", 3),
    ("megabyte-line", 1),
];

/// Cases per base file.
fn per_file() -> usize {
    MUTATIONS.iter().map(|(_, n)| n).sum()
}

fn mutate(name: &str, text: &[u8], secret: &str, rng: &mut Rng) -> Vec<u8> {
    // The credential goes where a config keeps one, and at a random place.
    let mut bytes = text.to_vec();
    let at = rng.below(bytes.len() + 1);
    let plant = format!("\nOPENAI_API_KEY={secret}\n");
    bytes.splice(at..at, plant.bytes());
    match name {
        "truncate" => {
            let keep = rng.below(bytes.len() + 1);
            bytes.truncate(keep.max(at + plant.len()).min(bytes.len()));
        }
        "bitflip" => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(bytes.len());
                if let Some(b) = bytes.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
        }
        "insert" => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(bytes.len() + 1);
                let b = (rng.next() & 0xff) as u8;
                bytes.insert(i, b);
            }
        }
        "invalid-utf8" => {
            let i = rng.below(bytes.len() + 1);
            bytes.splice(i..i, [0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82]);
        }
        "utf16" => {
            let s = String::from_utf8_lossy(&bytes).into_owned();
            let mut out = vec![0xff, 0xfe];
            for u in s.encode_utf16() {
                out.extend(u.to_le_bytes());
            }
            bytes = out;
        }
        "nul" => {
            let i = rng.below(bytes.len().min(4096) + 1);
            bytes.insert(i, 0);
        }
        "deep-nesting" => {
            let depth = 20_000;
            let mut out = "[".repeat(depth).into_bytes();
            out.extend(&bytes);
            out.extend("]".repeat(depth).bytes());
            let mut yaml = "- ".repeat(depth).into_bytes();
            yaml.extend(out);
            bytes = yaml;
        }
        "alias-bomb" => {
            let mut bomb =
                String::from("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
            for i in 1..10 {
                let p = (b'a' + i - 1) as char;
                let c = (b'a' + i) as char;
                bomb.push_str(&format!(
                    "{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
                ));
            }
            let mut out = bomb.into_bytes();
            out.extend(&bytes);
            bytes = out;
        }
        "duplicate-keys" => {
            // The first key-looking line (`"x":` or `x:`) given again right after itself.
            let s = String::from_utf8_lossy(&bytes).into_owned();
            if let Some(line) = s.lines().find(|l| l.contains(':')) {
                let dup = format!("{line}\n{line}\n");
                bytes = s.replacen(line, dup.trim_end(), 1).into_bytes();
            }
        }
        "wrong-types" => {
            // One field's value, chosen at random, swapped for a value of another type.
            let s = String::from_utf8_lossy(&bytes).into_owned();
            let fields: Vec<usize> = s.match_indices(": ").map(|(i, _)| i + 2).collect();
            if !fields.is_empty() {
                let at = fields[rng.below(fields.len())];
                let end = s[at..].find(['\n', ',']).map_or(s.len(), |e| at + e);
                let other = [
                    "[1, {}]",
                    "7",
                    "{\"a\": []}",
                    "null",
                    "true",
                    "\"\"",
                    "-1.5e308",
                ];
                let with = other[rng.below(other.len())];
                bytes = format!("{}{with}{}", &s[..at], &s[end..]).into_bytes();
            }
        }
        "huge-number" => {
            let i = rng.below(bytes.len() + 1);
            bytes.splice(
                i..i,
                b" 1e999999999 -99999999999999999999999999999 "
                    .iter()
                    .copied(),
            );
        }
        "megabyte-line" => {
            let i = rng.below(bytes.len() + 1);
            let line = "x".repeat(1 << 20);
            bytes.splice(i..i, line.into_bytes());
        }
        other => unreachable!("mutation {other}"),
    }
    bytes
}

/// Scans `dir` in-process and renders every format; the texts and the report.
fn scan_all_formats(dir: &Path) -> (nhi_audit::report::Report, Vec<String>) {
    let paths = vec![dir.to_path_buf()];
    let names = ScanRoots::new(&paths);
    let config = Config::default();
    let rules = nhi_audit::rules::builtin_rules().expect("the built-in rules load");
    let report = pipeline::scan(&ScanRequest {
        paths,
        names: &names,
        aws: AwsRequest::default(),
        github: GithubRequest::default(),
        gcp: Default::default(),
        azure: Default::default(),
        activity: Default::default(),
        repo: RepoOptions {
            threads: 1,
            ..RepoOptions::default()
        },
        config: &config,
        rules: &rules,
        scope_all: true,
        baseline: None,
    });
    let term = Term::default();
    let texts = [Format::Table, Format::Json, Format::Sarif, Format::Markdown]
        .into_iter()
        .map(|f| report::render(&report, f, &term))
        .collect();
    (report, texts)
}

/// Peak resident memory of this process, from `/proc/self/status` (kB).
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn mutated_real_files_never_crash_hang_drop_or_leak() {
    let files = base_files();
    assert!(!files.is_empty());
    let mut rng = Rng(0x005e_ed0f_a111_dea5);
    let secret = planted(&mut rng);
    // Bounded: every mutation of every base file up to this many cases.
    const MAX_CASES: usize = 5000;
    let per_batch = per_file();
    let mut cases = 0;
    let started = Instant::now();
    let mut failures = Vec::new();
    for (n, base) in files.iter().enumerate() {
        if cases >= MAX_CASES {
            break;
        }
        let Ok(original) = std::fs::read(base) else {
            continue;
        };
        let name = base.file_name().expect("a file name").to_os_string();
        // Keep the folders that give a file its meaning (`.github/workflows`, `.cursor`).
        let rel: PathBuf = base
            .strip_prefix(crate_dir().join("fixtures/demo"))
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| PathBuf::from(&name));
        let tmp = tempfile::tempdir().expect("temp dir");
        for (m, variants) in MUTATIONS {
            for v in 0..*variants {
                let case_dir = tmp.path().join(format!("{m}-{v}"));
                let dest = case_dir.join(&rel);
                std::fs::create_dir_all(dest.parent().expect("a parent")).expect("mkdir");
                std::fs::write(&dest, mutate(m, &original, &secret, &mut rng)).expect("write");
            }
        }
        cases += per_batch;
        // Every mutation of one file in one scan, on a thread with a deadline: a hang
        // fails the test instead of stalling it.
        let (tx, rx) = mpsc::channel();
        let dir = tmp.path().to_path_buf();
        std::thread::spawn(move || {
            let result = std::panic::catch_unwind(|| scan_all_formats(&dir));
            let _ = tx.send(result);
        });
        let outcome = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => {
                failures.push(format!("{}: the scan panicked", base.display()));
                continue;
            }
            Err(_) => panic!("{}: the scan did not finish within 60 s", base.display()),
        };
        let (report, texts) = outcome;
        for (text, format) in texts.iter().zip(["table", "json", "sarif", "markdown"]) {
            let part = &secret[8..40];
            if let Some(line) = text.lines().find(|l| l.contains(part)) {
                // Say where, without printing the value (it is fake, but the habit matters).
                let line = line
                    .replace(&secret, "<PLANTED>")
                    .replace(part, "<PLANTED>");
                let line: String = line.chars().take(300).collect();
                failures.push(format!(
                    "{}: the planted key is in the {format} output: {line}",
                    base.display()
                ));
            }
        }
        // Nothing silently dropped: each file was read, counted as binary, or named.
        let stats = &report.inventory.stats;
        let named = report
            .errors
            .iter()
            .chain(&report.inventory.warnings)
            .filter(|e| e.message.starts_with("skipped"))
            .count() as u64;
        if stats.files_seen != per_batch as u64
            || stats.files_parsed + stats.files_binary + named < stats.files_seen
        {
            failures.push(format!(
                "{}: {} files seen, {} read, {} binary, {} skipped with a reason",
                base.display(),
                stats.files_seen,
                stats.files_parsed,
                stats.files_binary,
                named
            ));
        }
        let rss = peak_rss_kb();
        assert!(
            rss < 3 * 1024 * 1024,
            "{}: peak memory {rss} kB",
            base.display()
        );
        if n % 25 == 0 {
            eprintln!(
                "mutation: {cases} cases, {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    eprintln!(
        "mutation: {cases} cases over {} base files in {:.1} s",
        files.len().min(cases / per_batch),
        started.elapsed().as_secs_f64()
    );
    // Without the corpus the demo's files alone still give every mutation many times.
    assert!(cases >= per_batch * 20, "only {cases} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
