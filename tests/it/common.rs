//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("nhi-audit").expect("the binary is built");
    cmd.env_remove("NHI_AUDIT_FINGERPRINT_KEY");
    cmd
}

pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared corpus of real public inputs, beside the checkout (`../shared/corpus`).
/// `None`, with one line naming the folder, when it is absent (a clone elsewhere): the
/// test that asked skips. CI has it, so there these tests run.
pub fn corpus(sub: &str) -> Option<PathBuf> {
    let path = crate_dir().join("../shared/corpus").join(sub);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {} is absent (the shared corpus lives beside the checkout)",
            path.display()
        );
        None
    }
}

/// `scan DIR --scope all --format json` at the clock `now`, expecting exit `code`.
pub fn scan_all_at(dir: &Path, now: &str, code: i32) -> Value {
    let out = bin()
        .arg("scan")
        .arg(dir)
        .args(["--format", "json", "--fail-on", "none", "--scope", "all"])
        .env("NHI_AUDIT_NOW", now)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the report is JSON")
}

/// Runs `scan --format json` over `paths` and parses the report.
pub fn scan_json(paths: &[&Path], extra: &[&str]) -> Value {
    let mut cmd = bin();
    cmd.arg("scan")
        .args(paths)
        .args(["--format", "json", "--fail-on", "none"])
        .args(extra);
    let out = cmd.output().expect("runs");
    assert!(
        out.status.code() == Some(0),
        "scan failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the report is JSON")
}

/// The agent with `id` in a report's inventory.
pub fn agent<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["inventory"]["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .find(|a| a["id"] == id)
        .unwrap_or_else(|| panic!("no agent {id}"))
}

/// The identity with `id` in a report's inventory.
pub fn identity<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["inventory"]["identities"]
        .as_array()
        .expect("identities")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no identity {id}"))
}

/// The ids of a report's identities from `provider`.
pub fn identity_ids<'a>(report: &'a Value, provider: &str) -> std::collections::BTreeSet<&'a str> {
    report["inventory"]["identities"]
        .as_array()
        .expect("identities")
        .iter()
        .filter(|i| i["provider"] == provider)
        .map(|i| i["id"].as_str().expect("an id"))
        .collect()
}

pub fn findings_of<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule_id"] == rule)
        .collect()
}

/// xorshift64*: a small deterministic generator, so that what tests generate (fake
/// secrets, mutations) is the same on every run and none of it is stored in the
/// repository.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// `n` characters drawn from `alphabet`.
    pub fn take(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }
}

/// The activity record of `principal` in a report's inventory.
pub fn activity_of<'a>(report: &'a Value, principal: &str) -> &'a Value {
    report["inventory"]["activity"]
        .as_array()
        .expect("activity")
        .iter()
        .find(|a| a["principal"] == principal)
        .unwrap_or_else(|| {
            panic!(
                "no activity of {principal}: {:#}",
                report["inventory"]["activity"]
            )
        })
}

/// What a report says in `field` (`errors` or `warnings`), its own and its inventory's,
/// one line each (`location: message`, or a rule's warning sentence as it is).
pub fn said_in(report: &Value, field: &str) -> Vec<String> {
    let mut all = report[field].as_array().cloned().unwrap_or_default();
    all.extend(
        report["inventory"][field]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    );
    all.iter()
        .map(|e| match e.as_str() {
            Some(text) => text.to_string(),
            None => format!("{}: {}", e["location"].as_str().unwrap_or(""), e["message"]),
        })
        .collect()
}

/// `bytes`, gzipped.
pub fn gz(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}
