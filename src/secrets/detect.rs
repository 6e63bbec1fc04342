//! Is a config value under a given name a credential written in the file?

use std::ops::Range;

use super::catalog::Pattern;
use super::classify::{ValueClass, classify_value, is_low_entropy};
use super::names::{name_forms, name_rule};
use super::scanner::SecretScanner;
use crate::model::{Confidence, Lifetime};

/// `pattern_id` of a detection made from the name alone (`GRAFANA_PASSWORD: admin`).
pub const SECRET_NAME_PATTERN_ID: &str = "secret-name";
/// `pattern_id` of a URL with a password whose scheme is not a database's.
pub const URL_PASSWORD_PATTERN_ID: &str = "url-with-password";
/// `pattern_id` (and kind) of a database or broker URL with a password.
pub const DATABASE_URL_PATTERN_ID: &str = "database-url";

/// A credential found in a config value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The catalogue pattern's id, or [`SECRET_NAME_PATTERN_ID`],
    /// [`URL_PASSWORD_PATTERN_ID`], [`DATABASE_URL_PATTERN_ID`].
    pub pattern_id: String,
    pub kind: String,
    pub provider: String,
    pub lifetime: Lifetime,
    pub confidence: Confidence,
    /// The byte range of the value that is secret (a URL's password, a header's token).
    pub secret_range: Range<usize>,
}

impl Detection {
    /// The secret part of `value`, the string this detection was made on.
    pub fn secret<'v>(&self, value: &'v str) -> &'v str {
        value.get(self.secret_range.clone()).unwrap_or("")
    }

    fn from_pattern(pattern: &Pattern, secret_range: Range<usize>) -> Detection {
        Detection {
            pattern_id: pattern.id.clone(),
            kind: pattern.kind.clone(),
            provider: pattern.provider.clone(),
            lifetime: pattern.lifetime,
            confidence: pattern.confidence,
            secret_range,
        }
    }
}

/// Decides whether `value`, found under the key or variable `name`, is a hard-coded
/// credential, and which part of it is secret. In order:
///
/// 1. a provider pattern anywhere in the value (`sk-ant-api03-…`, `Bearer ghp_…`);
/// 2. a bare value a pattern knows by its name (40 base64 characters under
///    `AWS_SECRET_ACCESS_KEY`);
/// 3. a URL with `user:password@` (the password is the secret): kind `database-url` for
///    database and broker schemes or database-URL names, else `url-with-password`;
/// 4. a secret-like name ([`super::is_secret_name`]) holding a literal that is not a
///    placeholder, reference, boolean, path or URL: a generic detection with the name's
///    kind and lower confidence. A leading `Bearer `/`Basic `/`token ` is not part of the
///    secret.
pub fn detect_literal(name: Option<&str>, value: &str) -> Option<Detection> {
    let scanner = SecretScanner::builtin();
    if let Some(m) = scanner.scan(value).first() {
        return Some(Detection::from_pattern(m.pattern, m.start..m.end));
    }
    let trimmed = trim_range(value, 0..value.len());
    let text = value.get(trimmed.clone()).unwrap_or("");
    if let Some(name) = name {
        let forms = name_forms(name);
        let bare = scanner.patterns().iter().find(|p| {
            forms.iter().any(|f| p.value_names.contains(f))
                && p.value_regex.as_ref().is_some_and(|r| r.is_match(text))
        });
        if let Some(pattern) = bare
            && classify_value(text) == ValueClass::Literal
            && !is_low_entropy(text)
        {
            return Some(Detection::from_pattern(pattern, trimmed));
        }
    }
    let rule = name.and_then(name_rule);
    if let Some((scheme, password)) = url_password(value) {
        let literal = value
            .get(password.clone())
            .is_some_and(|p| classify_value(p) == ValueClass::Literal);
        if !literal {
            return None;
        }
        let database = is_database_scheme(scheme)
            || rule.is_some_and(|r| r.url_password || r.kind == DATABASE_URL_PATTERN_ID);
        let id = if database {
            DATABASE_URL_PATTERN_ID
        } else {
            URL_PASSWORD_PATTERN_ID
        };
        return Some(Detection {
            pattern_id: id.to_string(),
            kind: id.to_string(),
            provider: "generic".to_string(),
            lifetime: Lifetime::Static,
            confidence: Confidence::Medium,
            secret_range: password,
        });
    }
    let rule = rule?;
    if !rule.secret || rule.url_password || classify_value(value) != ValueClass::Literal {
        return None;
    }
    let secret_range = trim_range(value, skip_auth_scheme(value, trimmed));
    let secret = value.get(secret_range.clone()).unwrap_or("");
    let password = rule.kind == "password";
    if secret.is_empty()
        || classify_value(secret) != ValueClass::Literal
        || is_boolean(secret)
        || looks_like_path(secret)
        || secret.contains("://")
        || (!password && (secret.chars().any(char::is_whitespace) || is_number(secret)))
    {
        return None;
    }
    // The name makes it a credential; only the value's shape says how sure we are. Any
    // literal password is a password, however weak.
    let confidence = if password || secret.chars().count() >= 8 {
        Confidence::Medium
    } else {
        Confidence::Low
    };
    Some(Detection {
        pattern_id: SECRET_NAME_PATTERN_ID.to_string(),
        kind: rule.kind.clone(),
        provider: rule.provider.clone(),
        lifetime: rule.lifetime,
        confidence,
        secret_range,
    })
}

/// `range` without leading and trailing whitespace (an empty range if `range` is not one
/// of `value`'s char ranges).
fn trim_range(value: &str, range: Range<usize>) -> Range<usize> {
    let Some(part) = value.get(range.clone()) else {
        return 0..0;
    };
    let start = range.start + (part.len() - part.trim_start().len());
    let end = range.end - (part.len() - part.trim_end().len());
    start..end.max(start)
}

/// Skips an HTTP auth scheme word: `Bearer abc` → `abc`.
fn skip_auth_scheme(value: &str, range: Range<usize>) -> Range<usize> {
    let Some(part) = value.get(range.clone()) else {
        return range;
    };
    let Some((word, rest)) = part.split_once(char::is_whitespace) else {
        return range;
    };
    let scheme = ["bearer", "basic", "token", "bot", "apikey", "digest"]
        .iter()
        .any(|s| word.eq_ignore_ascii_case(s));
    if scheme && !rest.trim().is_empty() {
        (range.end - rest.len())..range.end
    } else {
        range
    }
}

/// The scheme and the byte range of the password of the first `scheme://user:password@host`
/// in `value`. Any text may surround the URL (`“https://u:p@h”` with typographic quotes):
/// every index is a char boundary, and each byte is looked at a bounded number of times.
pub fn url_password(value: &str) -> Option<(&str, Range<usize>)> {
    let mut from = 0;
    while let Some(i) = value.get(from..)?.find("://").map(|i| from + i) {
        let before = value.get(..i)?;
        // The scheme is the run of scheme characters just before `://`.
        let scheme_start = before
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-')))
            .map_or(0, |(j, c)| j + c.len_utf8());
        let scheme = before.get(scheme_start..)?;
        let authority_start = i + 3;
        let after = value.get(authority_start..)?;
        let authority_len = after
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(after.len());
        let authority = after.get(..authority_len)?;
        // The next `://` cannot start before the authority's last character (the authority
        // holds no `/`), so the search resumes there: the whole scan stays linear.
        from = authority
            .char_indices()
            .last()
            .map_or(authority_start, |(j, _)| authority_start + j);
        if !scheme.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let Some(at) = authority.rfind('@') else {
            continue;
        };
        let Some(colon) = authority.get(..at).and_then(|userinfo| userinfo.find(':')) else {
            continue;
        };
        if colon + 1 < at {
            return Some((
                scheme,
                (authority_start + colon + 1)..(authority_start + at),
            ));
        }
    }
    None
}

fn is_database_scheme(scheme: &str) -> bool {
    let base = scheme
        .split('+')
        .next()
        .unwrap_or(scheme)
        .to_ascii_lowercase();
    let base = base.strip_prefix("jdbc:").unwrap_or(&base);
    [
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "mongodb",
        "redis",
        "rediss",
        "amqp",
        "amqps",
        "mssql",
        "sqlserver",
        "oracle",
        "clickhouse",
        "cockroachdb",
        "neo4j",
        "cassandra",
        "couchbase",
        "memcached",
        "nats",
        "kafka",
    ]
    .contains(&base)
}

fn is_boolean(s: &str) -> bool {
    ["true", "false", "yes", "no", "on", "off"]
        .iter()
        .any(|b| s.eq_ignore_ascii_case(b))
}

fn is_number(s: &str) -> bool {
    s.parse::<f64>().is_ok()
}

/// A file path, not the secret itself (`~/.ssh/id_rsa`, `./key.pem`, `C:\keys\a.pfx`).
fn looks_like_path(s: &str) -> bool {
    let windows_drive = matches!(
        s.as_bytes(),
        [drive, b':', b'\\' | b'/', ..] if drive.is_ascii_alphabetic()
    );
    if windows_drive
        || ["/", "~/", "./", "../", "file:"]
            .iter()
            .any(|p| s.starts_with(p))
    {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    !s.contains(char::is_whitespace)
        && [
            ".pem",
            ".key",
            ".p12",
            ".pfx",
            ".json",
            ".crt",
            ".cer",
            ".der",
            ".jks",
            ".ppk",
            ".txt",
            ".env",
            ".yaml",
            ".yml",
            ".keystore",
        ]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(name: Option<&str>, value: &str) -> Option<(String, String, Confidence, String)> {
        detect_literal(name, value).map(|d| {
            let secret = d.secret(value).to_string();
            (d.pattern_id, d.kind, d.confidence, secret)
        })
    }

    #[test]
    fn provider_patterns_come_first() {
        let key = "sk-ant-api03-94xukrOYQDosQhATwabLPvCvEf0sgMCIKK1k5QkFrsfmuGhywoIJnktV4qRgvt3VYaxKeOgmmsVvkuR06mgNCNGMXLYpyAA";
        let d = detect_literal(Some("OPENAI_API_KEY"), key).unwrap();
        assert_eq!(
            (d.pattern_id.as_str(), d.kind.as_str(), d.provider.as_str()),
            ("anthropic-api-key", "anthropic-api-key", "anthropic")
        );
        assert_eq!(d.confidence, Confidence::High);
        assert_eq!(d.secret(key), key);
        // Without a name too.
        assert!(detect_literal(None, "AKIANHIDEMOFAKE00001").is_some());
        let header = "Bearer ghp_z8A7HrXe0RSK88j4EXAMPLEzULqJXArzP5JI";
        let d = detect_literal(Some("Authorization"), header).unwrap();
        assert_eq!(d.kind, "github-classic-pat");
        assert_eq!(d.secret(header), &header[7..]);
        let d = detect_literal(Some("AWS_SESSION_TOKEN"), "ASIAEGIJN27YAQHI8LD6").unwrap();
        assert_eq!(d.lifetime, Lifetime::ShortLived);
    }

    #[test]
    fn bare_aws_secret_key_by_name() {
        let v = "BJuI+pEhEwP1oVC3qGId86ExR48VhzWVI8TAM4V7";
        let d = detect_literal(Some("AWS_SECRET_ACCESS_KEY"), v).unwrap();
        assert_eq!(
            (d.pattern_id.as_str(), d.confidence),
            ("aws-secret-access-key", Confidence::High)
        );
        assert_eq!(d.secret(v), v);
        assert!(detect_literal(None, v).is_none());
        // The same key under names without "access" (Java SDK property, JSON field).
        for name in [
            "aws.secretKey",
            "aws.secretkey",
            "awsSecretKey",
            "AWS_SECRET_KEY",
        ] {
            let d = detect_literal(Some(name), v).unwrap();
            assert_eq!(d.pattern_id, "aws-secret-access-key", "{name}");
            assert_eq!(d.confidence, Confidence::High, "{name}");
        }
        // A low-entropy value under the name is a placeholder, not a key.
        assert_eq!(
            detect_literal(
                Some("AWS_SECRET_ACCESS_KEY"),
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"
            ),
            None
        );
        assert!(
            detect_literal(
                Some("AWS_SECRET_ACCESS_KEY"),
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
            )
            .is_none()
        );
    }

    #[test]
    fn urls_with_passwords() {
        assert_eq!(
            detect(
                Some("DATABASE_URL"),
                "postgres://agent:Qm7vR2kxT9pLw4@db/app"
            ),
            Some((
                "database-url".into(),
                "database-url".into(),
                Confidence::High,
                "Qm7vR2kxT9pLw4".into()
            ))
        );
        assert_eq!(
            detect(
                Some("DATABASE_URL"),
                "sqlserver://sa:Qm7vR2kxT9pLw4@db:1433"
            ),
            Some((
                "database-url".into(),
                "database-url".into(),
                Confidence::Medium,
                "Qm7vR2kxT9pLw4".into()
            ))
        );
        assert_eq!(
            detect(
                Some("UPSTREAM"),
                " https://bot:Qm7vR2kxT9pLw4@git.internal/repo.git "
            ),
            Some((
                "url-with-password".into(),
                "url-with-password".into(),
                Confidence::Medium,
                "Qm7vR2kxT9pLw4".into()
            ))
        );
        assert_eq!(
            detect(Some("DATABASE_URL"), "postgres://db.internal/app"),
            None
        );
        assert_eq!(
            detect(Some("DATABASE_URL"), "postgres://u:${DB_PASSWORD}@db/app"),
            None
        );
        assert_eq!(
            detect(Some("DATABASE_URL"), "postgres://u:<password>@db/app"),
            None
        );
        assert_eq!(detect(None, "https://example.net/a?b=c"), None);
        assert_eq!(detect(None, "https://user@example.net/"), None);
    }

    #[test]
    fn secret_names_with_literals() {
        // Real string: grafana/mcp-grafana tests/ageval/grafana.mcp.json.
        assert_eq!(
            detect(Some("GRAFANA_PASSWORD"), "admin"),
            Some((
                "secret-name".into(),
                "password".into(),
                Confidence::Medium,
                "admin".into()
            ))
        );
        assert_eq!(
            detect(Some("OPENAI_API_KEY"), "sk-live-4f9Qz7TmWcX2hLpK"),
            Some((
                "secret-name".into(),
                "openai-api-key".into(),
                Confidence::Medium,
                "sk-live-4f9Qz7TmWcX2hLpK".into()
            ))
        );
        assert_eq!(
            detect(Some("x-api-key"), "  q7Wm2"),
            Some((
                "secret-name".into(),
                "api-key".into(),
                Confidence::Low,
                "q7Wm2".into()
            ))
        );
        assert_eq!(
            detect(Some("Authorization"), "Bearer 4f9Qz7TmWcX2hLpK"),
            Some((
                "secret-name".into(),
                "bearer-token".into(),
                Confidence::Medium,
                "4f9Qz7TmWcX2hLpK".into()
            ))
        );
        let d = detect_literal(
            Some("AWS_SESSION_TOKEN"),
            "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH",
        )
        .unwrap();
        assert_eq!(d.lifetime, Lifetime::ShortLived);
    }

    #[test]
    fn not_detected() {
        for (name, value) in [
            // Real strings from public MCP configs and workflows.
            ("KLING_ACCESS_KEY", "YOUR_KLING_ACCESS_KEY_HERE"),
            ("APILLON_API_KEY", "<APILLON_API_KEY>"),
            ("api_key", "<your OpenAI API key here>"),
            ("GITHUB_PERSONAL_ACCESS_TOKEN", "ghp_dummy"),
            ("Authorization", "Bearer ${user_config.api_key}"),
            ("Authorization", "${CONTEXT7_API_KEY:-}"),
            ("anthropic_api_key", "${{ secrets.ANTHROPIC_API_KEY }}"),
            ("GH_TOKEN", "${{ github.token }}"),
            ("GITHUB_TOKEN", ""),
            (
                "x-functions-key",
                "${input:functions-mcp-extension-system-key}",
            ),
            ("anthropic_federation_rule_id", "fdrl_xxxxxxxxxxxx"),
            (
                "openai-api-key",
                "sk-proj-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
            ),
            // Not secrets by name or by shape.
            ("AWS_REGION", "us-east-1"),
            ("AWS_PROFILE", "production"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("LOG_LEVEL", "debug"),
            ("USE_API_KEY", "true"),
            ("SSH_PRIVATE_KEY", "~/.ssh/id_ed25519"),
            ("GOOGLE_API_KEY", "./secrets/google.json"),
            ("API_TOKEN", "https://auth.example.net/token"),
            ("API_KEY", "12345"),
            ("API_KEY", "set me please"),
            ("id-token", "write"),
            ("key", "${{ runner.os }}-cargo"),
            ("CACHE_KEY", "v1-deps"),
        ] {
            assert_eq!(detect(Some(name), value), None, "{name}: {value}");
        }
        assert_eq!(detect(None, "admin"), None);
    }

    #[test]
    fn url_password_on_any_text() {
        // Issue 11: a character of several bytes just before the scheme.
        let v = "“https://bot:Qm7vR2kxT9pLw4@host/x”";
        let (scheme, r) = url_password(v).unwrap();
        assert_eq!((scheme, &v[r]), ("https", "Qm7vR2kxT9pLw4"));
        for v in [
            "é://",
            "://é",
            "a://é:ü@ö",
            "ü://x:y@z",
            "x://\u{301}:p@h",
            "«://»",
            "é",
        ] {
            let _ = url_password(v);
            let _ = detect_literal(Some("URL"), v);
        }
        // Many `://` in one value: each byte is looked at a bounded number of times.
        let many = "a://b".repeat(50_000);
        assert_eq!(url_password(&many), None);
        let (_, r) = url_password("x://y z://u:pw@h").unwrap();
        assert_eq!(r, 12..14);
    }

    #[test]
    fn url_password_ranges() {
        let v = "x=mysql://root:pw1@h,y=https://u:pw2@h2/";
        let (scheme, r) = url_password(v).unwrap();
        assert_eq!((scheme, &v[r]), ("mysql", "pw1"));
        assert_eq!(url_password("https://u:@h/"), None);
        assert_eq!(url_password("://:x@h"), None);
        let (_, r) = url_password("redis://:p%40ss@cache").unwrap();
        assert_eq!(r, 9..15);
    }
}
