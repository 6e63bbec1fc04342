//! Finding credentials in text. One multi-pattern keyword search runs over the whole text;
//! a pattern's regex then runs only on the lines where one of its keywords occurs. Text
//! without keywords costs one SIMD-accelerated pass and nothing else.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, Input, MatchKind};

use super::catalog::{BUILTIN, Pattern};
use super::classify::{ValueClass, classify_value, is_low_entropy};

/// How far past its keyword a multi-line match (a private key block) may reach. An 8192-bit
/// RSA key in PEM is about 6.5 KB.
const MULTILINE_REACH: usize = 16 * 1024;

/// A credential found in a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SecretMatch<'t> {
    pub pattern: &'static Pattern,
    /// Byte offset of the secret part (the `secret` group, else the whole match).
    pub start: usize,
    /// Byte offset just past the secret part.
    pub end: usize,
    /// The secret part itself: `&text[start..end]`.
    pub value: &'t str,
}

/// Scans text for the credential formats of a pattern catalogue.
pub struct SecretScanner {
    patterns: &'static [Pattern],
    /// Every distinct keyword of every pattern.
    keywords: AhoCorasick,
    /// For each keyword (by its index in `keywords`), the patterns it triggers.
    triggers: Vec<Vec<usize>>,
}

static BUILTIN_SCANNER: LazyLock<SecretScanner> = LazyLock::new(|| {
    SecretScanner::new(&BUILTIN.patterns).expect("builtin secret patterns are valid")
});

impl SecretScanner {
    /// The scanner for the built-in patterns (`data/secret-patterns.yaml`), compiled once.
    pub fn builtin() -> &'static SecretScanner {
        &BUILTIN_SCANNER
    }

    fn new(patterns: &'static [Pattern]) -> Result<SecretScanner, aho_corasick::BuildError> {
        let mut keywords: Vec<&str> = Vec::new();
        let mut triggers: Vec<Vec<usize>> = Vec::new();
        for (index, pattern) in patterns.iter().enumerate() {
            for keyword in &pattern.keywords {
                match keywords.iter().position(|k| k == keyword) {
                    Some(k) => triggers[k].push(index),
                    None => {
                        keywords.push(keyword);
                        triggers.push(vec![index]);
                    }
                }
            }
        }
        // Leftmost-first, case-sensitive keywords are what the packed SIMD (Teddy) searcher
        // accepts; standard or case-insensitive matching would fall back to a byte-at-a-time
        // automaton, several times slower. `windows` restarts the search one byte after each
        // hit, so every start position is seen; only a keyword that is a prefix of another
        // can hide it (both start at the same byte), so such pairs share their patterns.
        for i in 0..keywords.len() {
            for j in 0..keywords.len() {
                if i != j && keywords[j].starts_with(keywords[i]) {
                    let extra = triggers[j].clone();
                    triggers[i].extend(extra);
                    let extra = triggers[i].clone();
                    triggers[j].extend(extra);
                }
            }
        }
        for t in &mut triggers {
            t.sort_unstable();
            t.dedup();
        }
        let keywords = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&keywords)?;
        Ok(SecretScanner {
            patterns,
            keywords,
            triggers,
        })
    }

    /// The patterns this scanner looks for.
    pub fn patterns(&self) -> &'static [Pattern] {
        self.patterns
    }

    /// Every credential in `text`, sorted by start, without overlaps (where two patterns
    /// claim the same bytes, the more confident, then the longer, match wins). Matches whose
    /// secret part is a placeholder or a reference (`sk-...`, `${DB_PASSWORD}`, a
    /// low-entropy body such as `ghp_0000…`) are skipped.
    pub fn scan<'t>(&self, text: &'t str) -> Vec<SecretMatch<'t>> {
        let mut found = Vec::new();
        for (index, start, end) in self.windows(text) {
            let pattern = &self.patterns[index];
            // Windows start at a line start, so `\b` and `^` see the same context in the
            // slice as in the whole text. Their bounds are char boundaries by construction;
            // `get` keeps a mistake there from ever becoming a panic on input.
            let Some(window) = text.get(start..end) else {
                continue;
            };
            for caps in pattern.regex.captures_iter(window) {
                let Some(m) = caps.name("secret").or_else(|| caps.get(0)) else {
                    continue;
                };
                let value = m.as_str();
                if value.is_empty()
                    || classify_value(value) != ValueClass::Literal
                    || is_low_entropy(value)
                {
                    continue;
                }
                found.push(SecretMatch {
                    pattern,
                    start: start + m.start(),
                    end: start + m.end(),
                    value,
                });
            }
        }
        resolve_overlaps(found)
    }

    /// The pattern a whole config value matches, if any (the first match by position).
    pub fn match_value(&self, value: &str) -> Option<&'static Pattern> {
        self.scan(value).first().map(|m| m.pattern)
    }

    /// `(pattern, start, end)` byte windows to run regexes on: the line of each keyword hit
    /// (further for multi-line patterns), merged per pattern so each byte is searched at
    /// most once per pattern.
    fn windows(&self, text: &str) -> Vec<(usize, usize, usize)> {
        let mut windows = Vec::new();
        // The line of the previous hit. Hits arrive in text order, so on a long minified
        // line the line bounds are found once, not once per hit. The search restarts one
        // byte after each hit (not after its end) so that overlapping keywords all count.
        let mut line: Option<(usize, usize)> = None;
        let mut from = 0;
        while let Some(hit) = self.keywords.find(Input::new(text).span(from..text.len())) {
            let at = hit.start();
            from = at + 1;
            let (line_start, line_end) = match line {
                Some((s, e)) if s <= at && at < e => (s, e),
                _ => {
                    // A keyword is UTF-8, so a hit starts on a char boundary; `get` makes
                    // that an assumption that cannot panic.
                    let s = text
                        .get(..at)
                        .and_then(|t| t.rfind('\n'))
                        .map_or(0, |i| i + 1);
                    let e = text
                        .get(at..)
                        .and_then(|t| t.find('\n'))
                        .map_or(text.len(), |i| at + i);
                    line = Some((s, e));
                    (s, e)
                }
            };
            for &index in &self.triggers[hit.pattern().as_usize()] {
                let end = if self.patterns[index].multiline {
                    floor_char_boundary(text, hit.end().saturating_add(MULTILINE_REACH))
                        .max(line_end)
                } else {
                    line_end
                };
                windows.push((index, line_start, end));
            }
        }
        windows.sort_unstable();
        let mut merged: Vec<(usize, usize, usize)> = Vec::with_capacity(windows.len());
        for w in windows {
            match merged.last_mut() {
                Some(last) if last.0 == w.0 && w.1 <= last.2 => last.2 = last.2.max(w.2),
                _ => merged.push(w),
            }
        }
        merged
    }
}

/// The largest char boundary of `text` at or below `at`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    // A char is at most 4 bytes, and 0 is always a boundary.
    (at.saturating_sub(3)..=at)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

/// Keeps the strongest of overlapping matches: by confidence, then length, then position.
fn resolve_overlaps(mut found: Vec<SecretMatch<'_>>) -> Vec<SecretMatch<'_>> {
    found.sort_by(|a, b| {
        b.pattern
            .confidence
            .cmp(&a.pattern.confidence)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
    });
    let mut taken: BTreeMap<usize, usize> = BTreeMap::new();
    let mut kept = Vec::with_capacity(found.len());
    for m in found {
        // Taken ranges are disjoint, so only the one starting last before `m.end` can
        // overlap `m`.
        let overlaps = taken
            .range(..m.end)
            .next_back()
            .is_some_and(|(_, &end)| end > m.start);
        if !overlaps {
            taken.insert(m.start, m.end);
            kept.push(m);
        }
    }
    kept.sort_by_key(|m| m.start);
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner() -> &'static SecretScanner {
        SecretScanner::builtin()
    }

    /// The catalogue's examples are its tests: adding a pattern adds its tests.
    #[test]
    fn every_pattern_matches_its_positive_examples() {
        for pattern in scanner().patterns() {
            assert!(
                !pattern.examples.positive.is_empty(),
                "{} has no positive example",
                pattern.id
            );
            for example in &pattern.examples.positive {
                let found = scanner().scan(example);
                let m = found
                    .iter()
                    .find(|m| m.pattern.id == pattern.id)
                    .unwrap_or_else(|| {
                        panic!("{}: no match in {example:?}: {found:?}", pattern.id)
                    });
                assert_eq!(m.pattern.kind, pattern.kind);
                assert_eq!(&example[m.start..m.end], m.value);
                assert!(!m.value.is_empty());
                assert!(
                    pattern
                        .keywords
                        .iter()
                        .any(|k| example.contains(k.as_str())),
                    "{}: example {example:?} holds none of the keywords",
                    pattern.id
                );
            }
        }
    }

    #[test]
    fn no_pattern_matches_its_negative_examples() {
        for pattern in scanner().patterns() {
            assert!(
                !pattern.examples.negative.is_empty(),
                "{} has no negative example",
                pattern.id
            );
            for example in &pattern.examples.negative {
                let found = scanner().scan(example);
                assert!(
                    found.iter().all(|m| m.pattern.id != pattern.id),
                    "{}: matched negative example {example:?}: {found:?}",
                    pattern.id
                );
            }
        }
    }

    #[test]
    fn the_patterns_the_brief_asks_for_exist() {
        for id in [
            "aws-access-key-id",
            "aws-temporary-access-key-id",
            "aws-secret-access-key",
            "github-classic-pat",
            "github-fine-grained-pat",
            "github-oauth-token",
            "github-app-installation-token",
            "github-app-user-token",
            "github-refresh-token",
            "openai-project-key",
            "openai-service-account-key",
            "openai-admin-key",
            "openai-legacy-key",
            "anthropic-api-key",
            "anthropic-admin-key",
            "anthropic-oauth-token",
            "google-api-key",
            "huggingface-token",
            "slack-bot-token",
            "slack-user-token",
            "slack-app-token",
            "slack-webhook-url",
            "stripe-secret-key",
            "stripe-restricted-key",
            "stripe-test-key",
            "groq-api-key",
            "private-key",
            "database-url",
            "gitlab-pat",
            "npm-access-token",
            "azure-storage-account-key",
            // Issue 10.
            "aws-sts-bearer-key-id",
            "aws-context-credential-key-id",
            "aws-bedrock-api-key",
            "aws-bedrock-short-term-api-key",
            "gitlab-oauth-app-secret",
            "gitlab-deploy-token",
            "gitlab-runner-token",
            "gitlab-ci-job-token",
            "gitlab-trigger-token",
            "gitlab-feed-token",
            "gitlab-incoming-mail-token",
            "gitlab-agent-token",
            "gitlab-scim-token",
            "gitlab-feature-flags-token",
            "gitlab-runner-registration-token",
            "gitlab-session-cookie",
            "slack-legacy-bot-token",
            "slack-legacy-token",
            "slack-config-access-token",
            "slack-config-refresh-token",
            "huggingface-org-token",
            "devin-api-key",
        ] {
            assert!(scanner().patterns().iter().any(|p| p.id == id), "{id}");
        }
        let short_lived: Vec<&str> = scanner()
            .patterns()
            .iter()
            .filter(|p| p.lifetime == crate::model::Lifetime::ShortLived)
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(
            short_lived,
            [
                "aws-temporary-access-key-id",
                "aws-sts-bearer-key-id",
                "aws-bedrock-short-term-api-key",
                "github-app-installation-token",
                "github-app-user-token",
                "slack-config-access-token",
                "gitlab-ci-job-token",
                "gitlab-session-cookie",
            ]
        );
    }

    /// aho-corasick's packed (Teddy) SIMD prefilter handles up to 64 literals; past that
    /// the keyword pass falls back to a slower automaton. Not a timing test: a guard on
    /// the design.
    #[test]
    fn keyword_set_fits_the_simd_prefilter() {
        assert!(
            scanner().keywords.patterns_len() <= 64,
            "{}",
            scanner().keywords.patterns_len()
        );
    }

    #[test]
    fn finds_several_secrets_with_byte_offsets() {
        let ghp = "ghp_z8A7HrXe0RSK88j4EXAMPLEzULqJXArzP5JI";
        let akia = "AKIACSRMR92TNG2UM8SD";
        let aws_secret = "BJuI+pEhEwP1oVC3qGId86ExR48VhzWVI8TAM4V7";
        let db_password = "Qm7vR2kxT9pLw4";
        let text = format!(
            "# é ü — non-ASCII before the secrets\n\
             [default]\n\
             aws_access_key_id = {akia}\n\
             aws_secret_access_key = {aws_secret}\n\
             GITHUB_TOKEN={ghp} # sk-ant- but no key\n\
             DATABASE_URL=postgres://agent:{db_password}@db.internal:5432/app\n\
             OPENAI_API_KEY=sk-...\n"
        );
        let found = scanner().scan(&text);
        let got: Vec<(&str, &str)> = found
            .iter()
            .map(|m| (m.pattern.id.as_str(), m.value))
            .collect();
        assert_eq!(
            got,
            [
                ("aws-access-key-id", akia),
                ("aws-secret-access-key", aws_secret),
                ("github-classic-pat", ghp),
                ("database-url", db_password),
            ]
        );
        for m in &found {
            assert_eq!(&text[m.start..m.end], m.value);
        }
        assert_eq!(found[2].start, text.find(ghp).unwrap());
        assert_eq!(found[3].end, text.find("@db.internal").unwrap());
    }

    #[test]
    fn keywords_without_a_match_find_nothing() {
        let text = "AKIA is a prefix; ghp_ too; sk-ant- and hf_ and AIza and \
                    -----BEGIN RSA PRIVATE KEY----- appear in docs.\n\
                    postgres://localhost/db redis://cache:6379 AccountKey=\n";
        assert_eq!(scanner().scan(text), []);
        assert_eq!(scanner().scan(""), []);
    }

    #[test]
    fn skips_placeholders_and_references() {
        let text = "a: AKIAIOSFODNN7EXAMPLE\n\
                    b: sk-proj-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n\
                    c: postgres://u:${DB_PASSWORD}@h/db\n\
                    d: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n";
        assert_eq!(scanner().scan(text), []);
    }

    #[test]
    fn private_key_spans_lines() {
        let body = "fKBqKWOVdI++lDtxLIGikoGQKz7Fax0JwJabs457hyVuZmlOikGBfUOPhO8BGdcZ\n\
                    n1LrERzlEQh8ZKscFn2mnt1Xh1ga8V9LtWR1XEF15UGhxdsGWa4FtPWoblB5laXj";
        let text = format!(
            "key: |\n  -----BEGIN EC PRIVATE KEY-----\n{body}\n  -----END EC PRIVATE KEY-----\nnext: 1\n"
        );
        let found = scanner().scan(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].pattern.id, "private-key");
        assert_eq!(found[0].value, body);
    }

    #[test]
    fn overlapping_matches_keep_the_strongest() {
        // The GitHub token sits inside a database URL's password: one finding, not two.
        let text = "redis://:ghp_z8A7HrXe0RSK88j4EXAMPLEzULqJXArzP5JI@cache:6379";
        let found = scanner().scan(text);
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn match_value_on_config_values() {
        let s = scanner();
        assert_eq!(
            s.match_value("sk-ant-api03-94xukrOYQDosQhATwabLPvCvEf0sgMCIKK1k5QkFrsfmuGhywoIJnktV4qRgvt3VYaxKeOgmmsVvkuR06mgNCNGMXLYpyAA")
                .map(|p| p.id.as_str()),
            Some("anthropic-api-key")
        );
        assert_eq!(
            s.match_value("Bearer ghp_z8A7HrXe0RSK88j4EXAMPLEzULqJXArzP5JI")
                .map(|p| p.kind.as_str()),
            Some("github-classic-pat")
        );
        assert_eq!(
            s.match_value("AKIANHIDEMOFAKE00001").map(|p| p.lifetime),
            Some(crate::model::Lifetime::Static)
        );
        assert!(s.match_value("ghp_dummy").is_none());
        assert!(s.match_value("${{ secrets.GITHUB_TOKEN }}").is_none());
        assert!(s.match_value("admin").is_none());
    }

    #[test]
    fn overlapping_keywords_all_count() {
        // `gsk_` and `sk_live_` overlap in `gsk_live_`: both patterns get a window.
        let ids: Vec<&str> = scanner()
            .windows("x gsk_live_ y")
            .iter()
            .map(|&(p, _, _)| scanner().patterns[p].id.as_str())
            .collect();
        assert!(
            ids.contains(&"groq-api-key") && ids.contains(&"stripe-secret-key"),
            "{ids:?}"
        );
        let text = "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 sk-ant-";
        assert_eq!(scanner().scan(text).len(), 1);
    }

    #[test]
    fn many_hits_on_one_long_line() {
        // A minified line with thousands of keyword hits: windows merge into one per pattern.
        let line = "AKIA ghp_ ".repeat(20_000);
        let windows = scanner().windows(&line);
        assert_eq!(windows.len(), 2, "{windows:?}");
        assert!(scanner().scan(&line).is_empty());
    }

    #[test]
    fn large_text_without_keywords() {
        // Prefilter-first: this is one keyword pass and no regex work (tests never time).
        let text = "lorem ipsum dolor sit amet, consectetur adipiscing elit 0123\n".repeat(20_000);
        assert!(scanner().windows(&text).is_empty());
        assert!(scanner().scan(&text).is_empty());
    }
}
