//! Bad input never stops a scan (DESIGN.md §1, §5).
//!
//! A tree holds one valid agent config next to every kind of file a scanner meets in
//! the wild and cannot use: malformed JSON, JSONC, YAML and TOML, a binary file named
//! like a config, files over the size limit (one of them a sparse 1 GiB file), symbolic
//! link loops and a dangling link. What is proven:
//!
//! - the scan completes with exit code 0, and the valid config's agent is still found;
//! - every bad file gets its own `errors[]` entry whose `location` names the file (with
//!   `LINE:COL` for parse errors) and whose message says what went wrong;
//! - the default table output prints those errors too;
//! - a requested path that does not exist gives exit code 3 and an error naming it,
//!   while the other paths are still scanned and the report is still written.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// Not a speed assertion: only a guard so that a walker stuck in a symlink loop fails
/// the test instead of hanging the whole suite.
const HANG_GUARD: Duration = Duration::from_secs(600);

/// The valid config that must survive its broken neighbours.
const VALID_MCP: &str = r#"{
  "mcpServers": {
    "github": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github"],
      "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_TOKEN}" }
    }
  }
}
"#;

/// What an `errors[]` entry for a bad file must look like.
struct Expected {
    /// The file, relative to the scanned root.
    path: &'static str,
    /// Parse errors carry `path:LINE:COL`.
    positioned: bool,
    /// The message (lower-cased) contains at least one of these.
    says: &'static [&'static str],
}

const PARSE: &[&str] = &["parse"];
const BINARY: &[&str] = &["binary"];
const TOO_BIG: &[&str] = &["limit", "too large", "max-file-size"];
const LOOP: &[&str] = &["symbolic link", "symlink", "loop"];
const UNREADABLE: &[&str] = &["cannot read", "no such file", "not found", "dangling"];

const EXPECTED: &[Expected] = &[
    Expected {
        path: "sub/.mcp.json",
        positioned: true,
        says: PARSE,
    },
    Expected {
        path: ".vscode/mcp.json",
        positioned: true,
        says: PARSE,
    },
    Expected {
        path: ".github/workflows/broken.yml",
        positioned: true,
        says: PARSE,
    },
    Expected {
        path: ".codex/config.toml",
        positioned: true,
        says: PARSE,
    },
    Expected {
        path: ".env",
        positioned: false,
        says: BINARY,
    },
    Expected {
        path: "large/.mcp.json",
        positioned: false,
        says: TOO_BIG,
    },
    Expected {
        path: "a/loop",
        positioned: false,
        says: LOOP,
    },
    Expected {
        path: "ping",
        positioned: false,
        says: LOOP,
    },
    Expected {
        path: "pong",
        positioned: false,
        says: LOOP,
    },
    Expected {
        path: ".env.local",
        positioned: false,
        says: UNREADABLE,
    },
];

/// `--max-file-size` for the main tree: the 2 MB file is over it, the valid config under.
const SMALL_LIMIT: &str = "1000000";

#[test]
fn bad_files_are_reported_and_the_scan_completes() {
    let tmp = bad_tree();
    let root = tmp.path();
    let out = nhi(root)
        .args([
            "scan",
            ".",
            "--format",
            "json",
            "--scope",
            "all",
            "--fail-on",
            "none",
        ])
        .args(["--max-file-size", SMALL_LIMIT])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the scan must complete: {}",
        describe(&out)
    );
    let report = json_of(&out.stdout);

    assert!(
        agent_ids(&report)
            .iter()
            .any(|id| id.contains(".mcp.json") && !id.contains("sub/")),
        "the valid .mcp.json agent is missing: {:?}",
        agent_ids(&report)
    );
    let errors = errors_of(&report, root);
    for want in EXPECTED {
        check_error(&errors, want, root);
    }
}

#[test]
fn table_output_prints_the_errors() {
    let tmp = bad_tree();
    let out = nhi(tmp.path())
        .args(["scan", ".", "--scope", "all", "--fail-on", "none"])
        .args(["--max-file-size", SMALL_LIMIT])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // The table prints `error: LOCATION: MESSAGE` lines; today on stdout, but either
    // stream is fine for a human at a terminal.
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for want in EXPECTED {
        let shown = text
            .lines()
            .any(|line| line.to_ascii_lowercase().contains("error") && mentions(line, want.path));
        assert!(
            shown,
            "no error line for {} in the table output:\n{text}",
            want.path
        );
    }
}

#[test]
fn sparse_gigabyte_file_is_skipped_under_the_default_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, ".mcp.json", VALID_MCP.as_bytes());
    // `set_len` makes a sparse file: 1 GiB in size, no disk blocks. The default limit is
    // 64 MiB, so it is reported and skipped without reading it.
    let big = fs::File::create(root.join("big.json")).unwrap();
    big.set_len(1 << 30).unwrap();
    drop(big);

    let out = nhi(root)
        .args([
            "scan",
            ".",
            "--format",
            "json",
            "--scope",
            "all",
            "--fail-on",
            "none",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let report = json_of(&out.stdout);
    assert!(
        !agent_ids(&report).is_empty(),
        "the valid config was not scanned"
    );
    let errors = errors_of(&report, root);
    check_error(
        &errors,
        &Expected {
            path: "big.json",
            positioned: false,
            says: TOO_BIG,
        },
        root,
    );
}

#[test]
fn unreadable_root_exits_3_and_still_writes_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "repo/.mcp.json", VALID_MCP.as_bytes());
    // A root that is there but cannot be read: a link to nowhere. (A root that is not
    // there at all is a typo: exit 2, see tests/it/paths.rs.)
    std::os::unix::fs::symlink(root.join("gone"), root.join("dangling")).unwrap();
    let report_path = root.join("report.json");

    let out = nhi(root)
        .args([
            "scan", "repo", "dangling", "--format", "json", "--scope", "all",
        ])
        .args(["--fail-on", "none", "--output"])
        .arg(&report_path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "an unreadable path is a failed source: {}",
        describe(&out)
    );

    let report =
        json_of(&fs::read(&report_path).expect("the report is written despite the failure"));
    assert!(
        agent_ids(&report)
            .iter()
            .any(|id| id.ends_with(".mcp.json")),
        "the other path was not scanned: {:?}",
        agent_ids(&report)
    );
    let errors = errors_of(&report, root);
    assert!(
        errors.iter().any(|(loc, _)| mentions(loc, "dangling")),
        "no error names the unreadable path: {errors:?}"
    );
    assert_eq!(report["partial"], Value::Bool(true));
}

// ---- the tree ---------------------------------------------------------------------------

/// A valid `.mcp.json` at the root, and one bad file of each kind in [`EXPECTED`].
/// A `gcloud` export that is recognised (its start has the structure) but is bad further
/// on: a service-account listing whose `disabled` is a string holding a credential-like
/// value, and a JSON-lines asset export with a truncated line. Each is an error at its
/// `file:LINE:COL` naming the field, never the value; the other lines and files are read
/// and the report is marked partial (exit code 3).
#[test]
fn a_bad_gcloud_export_is_named_at_its_line_and_the_rest_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, ".mcp.json", VALID_MCP.as_bytes());
    write(
        root,
        "gcp/service-accounts.json",
        b"[\n  {\n    \"email\": \"bot@example-project.iam.gserviceaccount.com\",\n    \"uniqueId\": \"1\",\n    \"disabled\": \"sk-proj-NOTAREALVALUE\"\n  }\n]\n",
    );
    write(
        root,
        "gcp/assets.json",
        concat!(
            r#"{"name": "//cloudresourcemanager.googleapis.com/projects/example-project", "assetType": "cloudresourcemanager.googleapis.com/Project", "iamPolicy": {"bindings": [{"role": "roles/owner", "members": ["serviceAccount:ops-agent@example-project.iam.gserviceaccount.com"]}]}}"#,
            "\n",
            r#"{"name": "//iam.googleapis.com/projects/example-project/serviceAccounts/x", "iamPolicy": {"bindings": [{"#,
            "\n"
        )
        .as_bytes(),
    );
    let out = nhi(root)
        .args([
            "scan",
            ".",
            "--format",
            "json",
            "--scope",
            "all",
            "--fail-on",
            "none",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    let report = json_of(&out.stdout);
    assert_eq!(report["partial"], true);
    let errors = errors_of(&report, root);
    let listing = errors
        .iter()
        .find(|(loc, _)| loc.starts_with("gcp/service-accounts.json:5:"))
        .unwrap_or_else(|| panic!("{errors:#?}"));
    assert!(listing.1.contains("`[0].disabled`"), "{listing:?}");
    let line = errors
        .iter()
        .find(|(loc, _)| loc.starts_with("gcp/assets.json:2:"))
        .unwrap_or_else(|| panic!("{errors:#?}"));
    assert!(line.1.contains("truncated"), "{line:?}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("NOTAREALVALUE"));
    // The rest went on: the MCP config's agent and the account line 1 names.
    let ids = agent_ids(&report);
    assert!(ids.iter().any(|id| id.contains(".mcp.json")), "{ids:?}");
    assert!(
        ids.iter()
            .any(|id| id
                == "agent:gcp:serviceAccount:ops-agent@example-project.iam.gserviceaccount.com"),
        "{ids:?}"
    );
}

fn bad_tree() -> TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, ".mcp.json", VALID_MCP.as_bytes());
    // JSON: the server object is never closed.
    write(
        root,
        "sub/.mcp.json",
        b"{\n  \"mcpServers\": {\n    \"x\": { \"command\": \"npx\",\n",
    );
    // JSONC: comments are fine, a doubled comma is not.
    write(
        root,
        ".vscode/mcp.json",
        b"{\n  // servers\n  \"servers\": {\n    \"x\": { \"command\": \"npx\" ,, }\n  }\n}\n",
    );
    // YAML: an unclosed flow sequence.
    write(
        root,
        ".github/workflows/broken.yml",
        b"name: broken\non: push\njobs:\n  a:\n    runs-on: [ubuntu-latest\n    steps:\n      - run: echo hi\n",
    );
    // TOML: an unclosed array.
    write(
        root,
        ".codex/config.toml",
        b"[mcp_servers.x]\ncommand = \"npx\"\nargs = [\"a\",\n",
    );
    // Binary data under a config name.
    write(root, ".env", b"KEY=\0\0\0\x01\x02\xff\xfebinary\0");
    // 2 MB, over `--max-file-size 1000000`.
    let mut large = b"{}".to_vec();
    large.resize(2_000_000, b' ');
    write(root, "large/.mcp.json", &large);
    // A link back to its own parent, and two links pointing at each other.
    fs::create_dir_all(root.join("a")).unwrap();
    symlink("..", root.join("a/loop")).unwrap();
    symlink("pong", root.join("ping")).unwrap();
    symlink("ping", root.join("pong")).unwrap();
    // A dangling link: the path exists in the listing but cannot be read.
    symlink("no-such-target", root.join(".env.local")).unwrap();
    tmp
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

// ---- running and reading ----------------------------------------------------------------

/// `nhi-audit` run from `dir`, so locations come out relative as a user sees them.
fn nhi(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("nhi-audit").unwrap();
    cmd.current_dir(dir)
        .env("RUST_BACKTRACE", "1")
        .timeout(HANG_GUARD);
    cmd
}

fn describe(out: &std::process::Output) -> String {
    format!(
        "status {:?}\nstderr:\n{}\nstdout (head):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
            .chars()
            .take(4000)
            .collect::<String>()
    )
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", String::from_utf8_lossy(bytes)))
}

fn agent_ids(report: &Value) -> Vec<String> {
    report["inventory"]["agents"]
        .as_array()
        .expect("inventory.agents[]")
        .iter()
        .filter_map(|a| a["id"].as_str().map(str::to_string))
        .collect()
}

/// `(location, message)` of every `errors[]` entry, locations relative to `root`.
fn errors_of(report: &Value, root: &Path) -> Vec<(String, String)> {
    report["errors"]
        .as_array()
        .expect("errors[]")
        .iter()
        .map(|e| {
            let loc = e["location"].as_str().expect("errors[].location");
            let msg = e["message"].as_str().expect("errors[].message");
            (relative(loc, root), msg.to_string())
        })
        .collect()
}

/// Strips the scanned root and a leading `./` from a location.
fn relative(location: &str, root: &Path) -> String {
    let mut loc = location;
    for prefix in [
        root.to_string_lossy().into_owned(),
        root.canonicalize().unwrap().to_string_lossy().into_owned(),
    ] {
        if let Some(rest) = loc.strip_prefix(prefix.as_str()) {
            loc = rest.trim_start_matches('/');
        }
    }
    loc.trim_start_matches("./").to_string()
}

/// True when `text` names `path` itself: the path followed by the end, `:` (a position
/// or the message) or a space, and preceded by a start, a space or `/`.
fn mentions(text: &str, path: &str) -> bool {
    text.match_indices(path).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + path.len()..].chars().next();
        matches!(before, None | Some(' ' | '/' | '\t'))
            && matches!(after, None | Some(':' | ' ' | ','))
    })
}

/// Asserts an error entry for `want` exists, positioned and worded as it should be.
fn check_error(errors: &[(String, String)], want: &Expected, root: &Path) {
    let hits: Vec<&(String, String)> = errors
        .iter()
        .filter(|(loc, _)| loc == want.path || loc.starts_with(&format!("{}:", want.path)))
        .collect();
    assert!(
        !hits.is_empty(),
        "no errors[] entry names {}: {errors:#?}",
        want.path
    );
    let ok = hits.iter().any(|(loc, msg)| {
        let msg = msg.to_ascii_lowercase();
        let worded = want.says.iter().any(|w| msg.contains(w));
        let placed = !want.positioned || position_in_file(loc, want.path, root).is_some();
        worded && placed
    });
    assert!(
        ok,
        "the error for {} should {}say one of {:?}: {hits:#?}",
        want.path,
        if want.positioned {
            "carry `path:LINE:COL` inside the file and "
        } else {
            ""
        },
        want.says
    );
}

/// The `(line, column)` of a `path:LINE:COL` location, if the line lies in the file.
fn position_in_file(location: &str, path: &str, root: &Path) -> Option<(usize, usize)> {
    let rest = location.strip_prefix(path)?.strip_prefix(':')?;
    let (line, column) = rest.split_once(':')?;
    let (line, column): (usize, usize) = (line.parse().ok()?, column.parse().ok()?);
    let lines = fs::read_to_string(root.join(path)).ok()?.lines().count();
    (line >= 1 && column >= 1 && line <= lines + 1).then_some((line, column))
}
