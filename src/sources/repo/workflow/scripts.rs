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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_writes() {
        assert!(writes_file("echo \"$BODY\" > prompt.txt"));
        assert!(writes_file("printf '%s' x | tee /tmp/p"));
        assert!(!writes_file("echo hi 2>&1"));
    }
}
