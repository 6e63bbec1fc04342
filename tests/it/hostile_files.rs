//! Files written to hurt a scanner: special files, links out of the scanned folders,
//! other encodings, duplicated keys, wrong types, and names built to collide or to forge
//! output. Each case checks what the README's "Bad input" section promises: a warning
//! or an error naming the file (and line, and field), the rest of the scan going on, and
//! nothing read that should not be.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::common::bin;

/// Not a speed assertion: a scan that opens a FIFO or `/dev/zero` blocks or reads
/// forever, and this turns that hang into a failure.
const HANG_GUARD: Duration = Duration::from_secs(120);

const GITHUB_MCP: &str =
    r#"{"mcpServers":{"gh":{"command":"npx","args":["@modelcontextprotocol/server-github"]}}}"#;

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    fs::write(path, bytes).expect("write");
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// `scan ARGS --format json` from `dir`; the exit code, the report and stderr.
fn scan(dir: &Path, args: &[&str]) -> (Option<i32>, Value, String) {
    let out = bin()
        .current_dir(dir)
        .arg("scan")
        .args(args)
        .args(["--format", "json", "--fail-on", "none"])
        .timeout(HANG_GUARD)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}); stderr:\n{stderr}"));
    (out.status.code(), report, stderr)
}

fn agent_ids(report: &Value) -> Vec<String> {
    report["inventory"]["agents"]
        .as_array()
        .expect("agents[]")
        .iter()
        .map(|a| a["id"].as_str().expect("an id").to_string())
        .collect()
}

/// `(location, message)` of each entry of `inventory.warnings` (`which = "warnings"`)
/// or `errors`.
fn entries(report: &Value, which: &str) -> Vec<(String, String)> {
    let list = if which == "errors" {
        &report["errors"]
    } else {
        &report["inventory"]["warnings"]
    };
    list.as_array()
        .map(|l| {
            l.iter()
                .map(|e| {
                    (
                        e["location"].as_str().unwrap_or_default().to_string(),
                        e["message"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn assert_entry(report: &Value, which: &str, location: &str, says: &str) {
    let all = entries(report, which);
    assert!(
        all.iter()
            .any(|(l, m)| l.starts_with(location) && m.contains(says)),
        "no {which} entry at {location} saying {says:?}; {which}: {all:#?}"
    );
}

#[test]
fn special_files_are_not_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "ok/.mcp.json", GITHUB_MCP.as_bytes());
    fs::create_dir_all(root.join("a")).unwrap();
    mkfifo(&root.join("a/.mcp.json"));
    fs::create_dir_all(root.join("b")).unwrap();
    symlink("../a/.mcp.json", root.join("b/.mcp.json")).unwrap();
    symlink("/dev/zero", root.join("b/zero.json")).unwrap();

    let (code, report, _) = scan(root, &["."]);
    assert_eq!(code, Some(0), "a skipped special file is not a failure");
    assert_eq!(agent_ids(&report), ["repo:ok/.mcp.json"]);
    assert_entry(
        &report,
        "warnings",
        "a/.mcp.json",
        "FIFO (named pipe), not a regular file; not opened",
    );
    assert_entry(
        &report,
        "warnings",
        "b/.mcp.json",
        "not a regular file; not opened",
    );
    assert_entry(
        &report,
        "warnings",
        "b/zero.json",
        "a symbolic link out of the scanned folders",
    );

    // Followed out of the scanned folders, the link reaches a device: still not opened.
    let (_, report, _) = scan(root, &[".", "--follow-links-out"]);
    assert_entry(
        &report,
        "warnings",
        "b/zero.json",
        "not a regular file; not opened",
    );
    assert_eq!(agent_ids(&report), ["repo:ok/.mcp.json"]);
}

#[test]
fn links_out_of_the_scanned_folders_are_followed_only_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "outside/.mcp.json", GITHUB_MCP.as_bytes());
    fs::create_dir_all(tmp.path().join("in")).unwrap();
    symlink("../outside/.mcp.json", tmp.path().join("in/.mcp.json")).unwrap();
    let root = tmp.path().join("in");

    let (_, report, _) = scan(&root, &["."]);
    assert!(agent_ids(&report).is_empty(), "{:?}", agent_ids(&report));
    assert_entry(
        &report,
        "warnings",
        ".mcp.json",
        "a symbolic link out of the scanned folders: not followed (--follow-links-out follows it)",
    );

    let (_, report, _) = scan(&root, &[".", "--follow-links-out"]);
    assert_eq!(agent_ids(&report), ["repo:.mcp.json"]);
}

#[test]
fn utf16_configs_are_read_and_binary_files_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(GITHUB_MCP.encode_utf16().flat_map(u16::to_le_bytes));
    write(tmp.path(), "win/.mcp.json", &utf16);
    write(tmp.path(), "blob.dat", &b"ELF\0\0\x01\x02".repeat(64));

    let (code, report, _) = scan(tmp.path(), &["."]);
    assert_eq!(code, Some(0));
    assert_eq!(agent_ids(&report), ["repo:win/.mcp.json"]);
    let servers = &report["inventory"]["agents"][0]["facts"]["servers"];
    assert_eq!(servers[0]["package"], "@modelcontextprotocol/server-github");
    assert!(report["inventory"]["stats"]["files_binary"].as_u64() >= Some(1));
    assert!(
        entries(&report, "errors").is_empty(),
        "a binary file is not an error"
    );
}

#[test]
fn a_duplicated_key_is_read_as_the_client_reads_it_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        ".mcp.json",
        b"{\"mcpServers\":{\"a\":{\"command\":\"npx\"}},\n\"mcpServers\":{\"b\":{\"command\":\"uvx\"}}}",
    );
    let (_, report, _) = scan(tmp.path(), &["."]);
    let servers = &report["inventory"]["agents"][0]["facts"]["servers"];
    assert_eq!(servers.as_array().map(Vec::len), Some(1), "{servers}");
    assert_eq!(
        servers[0]["name"], "b",
        "the last one wins, as in JSON.parse"
    );
    assert_entry(
        &report,
        "warnings",
        ".mcp.json:2:1",
        "`mcpServers` is given twice (also at line 1)",
    );
}

#[test]
fn wrong_types_are_errors_naming_the_file_line_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "ok/.mcp.json", GITHUB_MCP.as_bytes());
    write(tmp.path(), "w1/.mcp.json", br#"{"mcpServers":["a","b"]}"#);
    write(
        tmp.path(),
        "w2/.mcp.json",
        br#"{"mcpServers":{"x":["npx"]}}"#,
    );
    write(tmp.path(), "w3/langgraph.json", br#"{"graphs": 7}"#);

    let (code, report, stderr) = scan(tmp.path(), &["."]);
    assert_eq!(code, Some(0), "a bad config is reported; the scan goes on");
    assert!(agent_ids(&report).contains(&"repo:ok/.mcp.json".to_string()));
    assert_entry(
        &report,
        "errors",
        "w1/.mcp.json:1:15",
        "`mcpServers` must be a map of servers by name",
    );
    assert_entry(
        &report,
        "errors",
        "w2/.mcp.json:1:20",
        "server `x` must be a map",
    );
    assert_entry(
        &report,
        "errors",
        "w3/langgraph.json:1:12",
        "`graphs` must be a map",
    );
    assert!(stderr.contains("error: w2/.mcp.json:1:20:"), "{stderr}");
}

#[test]
fn names_that_differ_only_in_bytes_stay_distinct() {
    let tmp = tempfile::tempdir().unwrap();
    // Two names that are not UTF-8, and one spelling the first one's escape in ASCII.
    for name in [&b"d\xff"[..], b"d\xfe", b"d\\xFF"] {
        let dir = tmp.path().join(std::ffi::OsStr::from_bytes(name));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(".mcp.json"), GITHUB_MCP).unwrap();
    }
    let (_, report, _) = scan(tmp.path(), &["."]);
    let mut ids = agent_ids(&report);
    ids.sort();
    assert_eq!(
        ids,
        [
            r"repo:d\\xFF/.mcp.json",
            r"repo:d\xFE/.mcp.json",
            r"repo:d\xFF/.mcp.json",
        ]
    );
}

#[test]
fn control_characters_in_names_cannot_forge_output() {
    let tmp = tempfile::tempdir().unwrap();
    let evil = "evil\x1b[31m\nCRITICAL forged finding\r";
    write(
        tmp.path(),
        &format!("{evil}/.mcp.json"),
        GITHUB_MCP.as_bytes(),
    );
    let mut env = serde_json::Map::new();
    env.insert(format!("KEY{evil}"), Value::String(format!("v{evil}")));
    let mcp = serde_json::json!({ "mcpServers": { evil: { "command": evil, "env": env } } });
    write(tmp.path(), "keys/.mcp.json", mcp.to_string().as_bytes());

    let runs: [&[&str]; 5] = [
        &["scan", ".", "--fail-on", "none", "--format", "table"],
        &["scan", ".", "--fail-on", "none", "--format", "markdown"],
        &["scan", ".", "--fail-on", "none", "--format", "json"],
        &["scan", ".", "--fail-on", "none", "--format", "sarif"],
        &["inventory", "."],
    ];
    for args in runs {
        let out = bin()
            .current_dir(tmp.path())
            .args(args)
            .timeout(HANG_GUARD)
            .output()
            .expect("runs");
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            assert!(
                !text.contains('\x1b'),
                "{args:?} {stream} holds an ESC:\n{text}"
            );
            assert!(
                !text.contains('\r'),
                "{args:?} {stream} holds a CR:\n{text}"
            );
            assert!(
                !text
                    .lines()
                    .any(|l| l.trim_start().starts_with("CRITICAL forged")),
                "{args:?} {stream} has a forged line:\n{text}"
            );
        }
        if args[0] == "inventory" {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                text.contains(r"evil\u{1b}[31m\nCRITICAL forged finding\r/.mcp.json"),
                "the name is shown, escaped:\n{text}"
            );
        }
    }
}

/// A key shared by many jobs: each job's finding points at the line where that job
/// receives it, not at every place the key is used (which made reports grow with the
/// square of the jobs).
#[test]
fn a_shared_key_finding_points_at_its_own_job() {
    let mut wf = String::from("name: many\non: [push]\njobs:\n");
    let mut lines = Vec::new();
    for i in 0..30 {
        wf.push_str(&format!(
            "  job{i}:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: anthropics/claude-code-action@v1\n        with:\n"
        ));
        lines.push(wf.lines().count() as u64 + 1);
        wf.push_str("          anthropic_api_key: ${{ secrets.ANTHROPIC_API_KEY }}\n");
    }
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), ".github/workflows/many.yml", wf.as_bytes());
    let (_, report, _) = scan(tmp.path(), &["."]);
    let found = crate::common::findings_of(&report, "NHI-REPO-004");
    assert_eq!(found.len(), 30, "one finding per job");
    for f in found {
        let job: usize = f["agent"]
            .as_str()
            .unwrap()
            .rsplit("job")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let locations = f["locations"].as_array().unwrap();
        assert_eq!(locations.len(), 1, "{f:#}");
        assert_eq!(locations[0]["line"], lines[job], "{f:#}");
    }
}
