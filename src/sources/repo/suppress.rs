//! Inline suppressions: `nhi-audit:ignore[RULE-ID, …] reason` in a comment, on the line
//! of the finding or the line above it.

pub use crate::model::InlineIgnore;

const MARKER: &str = "nhi-audit:ignore[";

pub fn find_inline_ignores(path: &str, text: &str) -> Vec<InlineIgnore> {
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(start) = line.find(MARKER) else {
            continue;
        };
        let rest = &line[start + MARKER.len()..];
        let Some(end) = rest.find(']') else {
            continue;
        };
        let rules = rest[..end]
            .split(',')
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .collect();
        let reason = rest[end + 1..]
            .trim()
            .trim_end_matches("-->")
            .trim_end_matches("*/")
            .trim()
            .to_string();
        out.push(InlineIgnore {
            path: path.to_string(),
            line: i as u32 + 1,
            rules,
            reason,
        });
    }
    out
}

impl InlineIgnore {
    /// Whether this comment covers a finding of `rule` at `path:line`.
    pub fn covers(&self, rule: &str, path: &str, line: u32) -> bool {
        self.path == path
            && (line == self.line || line == self.line + 1)
            && self.rules.iter().any(|r| r == rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules_and_reason() {
        let text =
            "a: 1\n# nhi-audit:ignore[NHI-REPO-001, NHI-REPO-002] rotated weekly by vault\nb: 2\n";
        let found = find_inline_ignores("f.yml", text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 2);
        assert_eq!(found[0].rules, vec!["NHI-REPO-001", "NHI-REPO-002"]);
        assert_eq!(found[0].reason, "rotated weekly by vault");
        assert!(found[0].covers("NHI-REPO-002", "f.yml", 3));
        assert!(!found[0].covers("NHI-REPO-003", "f.yml", 3));
        assert!(!found[0].covers("NHI-REPO-001", "f.yml", 4));
    }
}
