//! What shell scripts in `run:` steps do, as far as the analysis needs it.

use super::*;

/// A shell script that writes to a file (`>`, `>>`, `tee`) other than the runner's
/// step outputs and summary (step outputs are followed as such).
pub(super) fn writes_file(script: &str) -> bool {
    static WRITE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?:^|[^0-9&>])>>?\s*"?([$A-Za-z0-9_./~{}-]+)|\btee\s+(?:-a\s+)?"?([$A-Za-z0-9_./~{}-]+)"#)
            .expect("static regex")
    });
    WRITE.captures_iter(script).any(|c| {
        let target = c.get(1).or_else(|| c.get(2)).map_or("", |m| m.as_str());
        !(target.contains("GITHUB_OUTPUT")
            || target.contains("GITHUB_STEP_SUMMARY")
            || target.starts_with("/dev/"))
    })
}

/// gh-aw's `GH_AW_REQUIRED_ROLES=admin,maintainer,write` in a gate step.
pub(super) fn roles_required(text: &str) -> Option<Vec<String>> {
    let i = text.find("GH_AW_REQUIRED_ROLES=")?;
    let rest = &text[i + "GH_AW_REQUIRED_ROLES=".len()..];
    let value = rest
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches(['"', '\'']);
    Some(
        value
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

/// Flags and inputs that let the agent act without asking (`--yolo`, an unsafe sandbox),
/// in its inputs (`claude_args`, `safety-strategy`, `sandbox`) or any `run:` script.
pub(super) fn dangerous_flags(
    inputs: &BTreeMap<String, String>,
    scripts: &[String],
) -> Vec<String> {
    let input = |k: &str| inputs.get(k).map(String::as_str);
    let claude_args = input("claude_args").unwrap_or_default();
    let mut dangerous = Vec::new();
    for flag in [
        "--dangerously-skip-permissions",
        "--dangerously-bypass-approvals-and-sandbox",
        "--yolo",
        "--full-auto",
        "--allow-all-tools",
    ] {
        if claude_args.contains(flag) || scripts.iter().any(|s| s.contains(flag)) {
            dangerous.push(flag.to_string());
        }
    }
    if let Some(s) = input("safety-strategy").filter(|s| *s == "unsafe") {
        dangerous.push(format!("safety-strategy: {s}"));
    }
    if let Some(s) = input("sandbox").filter(|s| s.contains("danger")) {
        dangerous.push(format!("sandbox: {s}"));
    }
    dangerous
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_writes() {
        assert!(writes_file("echo \"$BODY\" > prompt.txt"));
        assert!(writes_file("printf '%s' x | tee /tmp/p"));
        assert!(!writes_file("echo hi 2>&1"));
        assert!(!writes_file("echo x >> \"$GITHUB_OUTPUT\""));
        assert!(!writes_file("cmd > /dev/null"));
    }

    #[test]
    fn flags_that_skip_asking() {
        let inputs: BTreeMap<String, String> = [
            ("claude_args", "--model x --dangerously-skip-permissions"),
            ("sandbox", "danger-full-access"),
            ("safety-strategy", "drop-sudo"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let scripts = ["codex exec --full-auto \"$PROMPT\"".to_string()];
        assert_eq!(
            dangerous_flags(&inputs, &scripts),
            [
                "--dangerously-skip-permissions",
                "--full-auto",
                "sandbox: danger-full-access"
            ]
        );
        assert!(dangerous_flags(&BTreeMap::new(), &[]).is_empty());
    }

    #[test]
    fn required_roles() {
        assert_eq!(
            roles_required("export GH_AW_REQUIRED_ROLES=\"admin, Maintainer,write\"\nnext"),
            Some(vec!["admin".into(), "maintainer".into(), "write".into()])
        );
        assert_eq!(roles_required("echo hi"), None);
    }
}
