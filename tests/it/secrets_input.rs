//! Secret scanning on input nobody here wrote (issue 11).
//!
//! A `.env` value such as `URL=“https://bot:PASSWORD@host/x”` — any non-ASCII character
//! just before `scheme://user:password@` — used to panic inside the URL parser (a byte
//! slice inside a character): exit code 101, no report, and a panic message that printed
//! the value, password included. The same text is planted in a `.env`, in a VS Code
//! `mcp.json` (JSON with comments) and in a plain text file, next to other non-ASCII text
//! around `://`. What is proven, for the JSON report and the table alike:
//!
//! - the scan finishes (exit code 0 with `--fail-on none`), with no read errors;
//! - each password is reported, by kind, file and line, with a fingerprint;
//! - no password appears in stdout or stderr, and nothing panicked.

use std::fs;
use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

use crate::common::bin;

/// Passwords built at run time (so the repository holds none), one per planted URL.
fn password(n: u32) -> String {
    format!("Kq{}vT{}xW{}zR", n * 7 + 3, n * 13 + 5, n * 31 + 11)
}

/// Writes the inputs; returns `(password, file, line, kinds)` for each planted URL.
fn plant(root: &Path) -> Vec<(String, &'static str, u64, &'static [&'static str])> {
    let (p1, p2, p3, p4) = (password(1), password(2), password(3), password(4));
    fs::write(
        root.join(".env"),
        format!(
            "# bot credentials\n\
             URL=“https://bot:{p1}@host/x”\n\
             NOTE=é://ü:ö@ä\n\
             DATABASE_URL=«postgres://svc:{p2}@db.internal:5432/app»\n\
             EMPTY=“”\n"
        ),
    )
    .expect("write .env");
    fs::create_dir_all(root.join(".vscode")).expect("mkdir");
    fs::write(
        root.join(".vscode/mcp.json"),
        format!(
            "{{\n  // pasted from a chat, typographic quotes and all\n  \"servers\": {{\n    \
             \"docs\": {{ \"type\": \"http\", \"url\": \"“https://agent:{p3}@mcp.internal/sse”\" }}\n  \
             }}\n}}\n"
        ),
    )
    .expect("write mcp.json");
    fs::write(
        root.join("notes.txt"),
        format!("connexion : ‹redis://:{p4}@cache.internal:6379/0›\n"),
    )
    .expect("write notes");
    vec![
        (p1, ".env", 2, &["url-with-password"]),
        (p2, ".env", 4, &["database-url"]),
        (
            p3,
            ".vscode/mcp.json",
            4,
            &["url-with-password", "password"],
        ),
        (p4, "notes.txt", 1, &["database-url"]),
    ]
}

fn run(root: &Path, format: &str) -> (Option<i32>, String, String) {
    let out = bin()
        .env("RUST_BACKTRACE", "1")
        .arg("scan")
        .arg(root)
        .args(["--scope", "all", "--format", format, "--fail-on", "none"])
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn non_ascii_before_a_url_password_is_reported_not_a_panic() {
    let dir = TempDir::new().expect("tempdir");
    let planted = plant(dir.path());

    let (code, stdout, stderr) = run(dir.path(), "json");
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("the report is JSON");
    assert_eq!(
        report["errors"],
        Value::Array(vec![]),
        "{}",
        report["errors"]
    );
    let credentials = report["inventory"]["credentials"]
        .as_array()
        .expect("credentials");
    for (secret, file, line, kinds) in &planted {
        let found = credentials.iter().find(|c| {
            kinds.contains(&c["kind"].as_str().unwrap_or(""))
                && c["locations"].as_array().is_some_and(|ls| {
                    ls.iter()
                        .any(|l| l["path"] == *file && l["line"].as_u64() == Some(*line))
                })
        });
        let found = found.unwrap_or_else(|| {
            panic!("no {kinds:?} credential at {file}:{line} in {credentials:#?}")
        });
        assert!(
            found["fingerprint"]
                .as_str()
                .is_some_and(|f| f.starts_with("fp1:")),
            "{found}"
        );
        assert!(
            !stdout.contains(secret.as_str()),
            "{file}: password in the report"
        );
        assert!(
            !stderr.contains(secret.as_str()),
            "{file}: password on stderr"
        );
    }

    for format in ["table", "sarif", "markdown"] {
        let (code, stdout, stderr) = run(dir.path(), format);
        assert_eq!(code, Some(0), "{format}: {stderr}");
        assert!(!stderr.contains("panicked"), "{format}: {stderr}");
        for (secret, file, _, _) in &planted {
            assert!(
                !stdout.contains(secret.as_str()),
                "{format}: {file} on stdout"
            );
            assert!(
                !stderr.contains(secret.as_str()),
                "{format}: {file} on stderr"
            );
        }
    }
}
