//! The one step every string taken from input passes before it is shown: control
//! characters escaped (no terminal escape sequence, forged line or bidirectional trick
//! reaches a table, a Markdown file or a log), and in values, credentials redacted (a
//! URL's password, a secret query parameter, anything the secret scanner recognises).

use std::borrow::Cow;

/// Escapes what a terminal or a Markdown viewer would act on: C0 and C1 controls, DEL,
/// bidirectional overrides and isolates, zero-width characters and the BOM, each as
/// `\u{…}` (`\n`, `\r`, `\t` as themselves escaped).
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// A value from a config file made safe to show: credentials in it redacted, then
/// control characters escaped.
pub fn display_value(s: &str) -> String {
    match redacted(s, false) {
        Some(r) => escape_controls(&r).into_owned(),
        None => escape_controls(s).into_owned(),
    }
}

/// [`display_value`] in place, allocating only when something changes.
pub fn make_safe(s: &mut String) {
    if let Some(r) = redacted(s, false) {
        *s = r;
    }
    if let Cow::Owned(o) = escape_controls(s) {
        *s = o;
    }
}

/// An id made safe in place: like [`make_safe`], but a credential in it becomes its
/// preview and fingerprint, so ids that differ only in a secret stay different.
pub fn make_safe_id(s: &mut String) {
    if let Some(r) = redacted(s, true) {
        *s = r;
    }
    if let Cow::Owned(o) = escape_controls(s) {
        *s = o;
    }
}

/// A mapping key made safe where it is read, before any id, name or message is built
/// from it: a credential in it becomes its preview and fingerprint (so two keys holding
/// different secrets stay two keys). Keys without one come back unchanged.
pub fn display_key(s: String) -> String {
    redacted(&s, true).unwrap_or(s)
}

/// Shorter than any credential the scanner or the URL rules recognise.
const SHORTEST_SECRET: usize = 8;

/// `s` with its credentials redacted, or `None` when it holds none (the common case,
/// decided without allocating).
fn redacted(s: &str, with_fingerprint: bool) -> Option<String> {
    if s.len() < SHORTEST_SECRET {
        return None;
    }
    let mut out: Option<String> = None;
    if s.contains("://") {
        let r = redact_url_password(s);
        if r != s {
            out = Some(r);
        }
    }
    if s.contains('=') {
        let cur = out.as_deref().unwrap_or(s);
        let r = redact_secret_params(cur);
        if r != cur {
            out = Some(r);
        }
    }
    let cur = out.as_deref().unwrap_or(s);
    let found = crate::secrets::SecretScanner::builtin().scan(cur);
    if !found.is_empty() {
        let mut r = cur.to_string();
        for m in found {
            let shown = if with_fingerprint {
                format!(
                    "{} {}",
                    crate::secrets::redact(m.value),
                    crate::secrets::fingerprint(m.value)
                )
            } else {
                crate::secrets::redact(m.value)
            };
            r = r.replace(m.value, &shown);
        }
        out = Some(r);
    }
    let cur = out.as_deref().unwrap_or(s);
    if let Some(r) = redact_random_tokens(cur) {
        out = Some(r);
    }
    out
}

/// A token this long, of upper and lower case letters and digits, with this much
/// entropy per character, is taken for a secret even when no rule knows its shape (a
/// key cut in two by a damaged file, an unknown provider's token). Random base-62
/// text of 40 characters scores about 5 bits; words in camel case about 4; hex ids and
/// UUIDs lack a case and are left alone.
const RANDOM_TOKEN_LEN: usize = 40;
const RANDOM_TOKEN_ENTROPY: f64 = 4.5;

/// Redacts every token of [`RANDOM_TOKEN_LEN`] or more characters (letters, digits,
/// `-`, `_`, `+`, `=`) that looks random; `None` when there is none.
fn redact_random_tokens(s: &str) -> Option<String> {
    if s.len() < RANDOM_TOKEN_LEN {
        return None;
    }
    let is_token = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '=');
    // Most text has no such token: look before building anything.
    if !s.split(|c: char| !is_token(c)).any(looks_random) {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    let mut rest = s;
    while let Some(start) = rest.find(is_token) {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail.find(|c: char| !is_token(c)).unwrap_or(tail.len());
        let token = &tail[..end];
        if looks_random(token) {
            out.push_str(&crate::secrets::redact(token));
            changed = true;
        } else {
            out.push_str(token);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

fn looks_random(token: &str) -> bool {
    if token.len() < RANDOM_TOKEN_LEN
        || !token.bytes().any(|b| b.is_ascii_uppercase())
        || !token.bytes().any(|b| b.is_ascii_lowercase())
        || !token.bytes().any(|b| b.is_ascii_digit())
    {
        return false;
    }
    let mut counts = [0usize; 128];
    for b in token.bytes() {
        counts[usize::from(b & 0x7f)] += 1;
    }
    let len = token.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = n as f64 / len;
            -p * p.log2()
        })
        .sum();
    entropy >= RANDOM_TOKEN_ENTROPY
}

/// `scheme://user:password@host` → `scheme://user:***@host`, wherever it appears.
fn redact_url_password(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let authority_end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == '"' || c == '\''
            })
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority
            .rfind('@')
            .and_then(|at| authority[..at].find(':').map(|colon| (colon, at)))
        {
            Some((colon, at)) if at > colon + 1 => {
                out.push_str(&authority[..=colon]);
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            _ => out.push_str(authority),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

/// `?api_key=…&token=…` → the values of secret-named parameters as `***`.
fn redact_secret_params(s: &str) -> String {
    if !s.contains('=') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut start = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            // The name before `=`: back to a separator.
            let name_start = s[..i]
                .rfind(|c: char| matches!(c, '?' | '&' | ';' | ' ' | ',') || c.is_whitespace())
                .map_or(0, |p| p + 1);
            let name = &s[name_start..i];
            let value_end = s[i + 1..]
                .find(|c: char| {
                    matches!(c, '&' | ';' | ' ' | ',' | '"' | '\'') || c.is_whitespace()
                })
                .map_or(s.len(), |p| i + 1 + p);
            if !name.is_empty() && value_end > i + 1 && crate::secrets::is_secret_name(name) {
                out.push_str(&s[start..=i]);
                out.push_str("***");
                start = value_end;
                i = value_end;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&s[start..]);
    out
}

/// A path made safe to show, losslessly: bytes that are not UTF-8 become `\xNN` (so two
/// paths that differ only there stay two), controls are escaped, and a backslash written
/// in a name is doubled, so that no name can spell another's escape.
pub fn display_path(p: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = p.as_os_str().as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        if valid.contains('\\') {
            out.push_str(&escape_controls(&valid.replace('\\', "\\\\")));
        } else {
            out.push_str(&escape_controls(valid));
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// An error and its causes on one line, each said once (a cause whose text an earlier
/// part already holds is left out; line breaks become `; `). Bounded: nothing here
/// loops on a cyclic or endless chain.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(err);
    for _ in 0..16 {
        let Some(e) = cur else { break };
        let text = e
            .to_string()
            .replace(":\n  ", ": ")
            .replace("\n  ", "; ")
            .replace('\n', "; ");
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn random_looking_tokens_are_redacted_words_and_ids_are_not() {
        // A generated body: 48 random base-62 characters, as a key cut in two leaves it.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let alphabet = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let body: String = (0..48)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                alphabet[(x % alphabet.len() as u64) as usize] as char
            })
            .collect();
        let mut text = format!("mcp-remote j-{body} --flag");
        super::make_safe(&mut text);
        assert!(!text.contains(&body[..16]), "{text}");
        assert!(
            text.starts_with("mcp-remote ") && text.ends_with(" --flag"),
            "{text}"
        );
        for kept in [
            "projects/example-project/serviceAccounts/support-agent@example-project.iam.gserviceaccount.com",
            "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
            "123e4567-e89b-12d3-a456-426614174000",
            "ThisIsAVeryLongCamelCaseIdentifierName2024",
            "arn:aws:iam::111122223333:role/warehouse-reader",
        ] {
            let mut t = kept.to_string();
            super::make_safe(&mut t);
            assert_eq!(t, kept);
        }
    }

    use super::*;

    #[test]
    fn controls_and_tricks_are_escaped() {
        assert_eq!(escape_controls("plain"), "plain");
        assert_eq!(escape_controls("a\x1b[31mred"), "a\\u{1b}[31mred");
        assert_eq!(escape_controls("x\ny"), "x\\ny");
        assert_eq!(escape_controls("ab\u{202e}cd"), "ab\\u{202e}cd");
    }

    #[test]
    fn values_lose_their_credentials() {
        let v =
            display_value("postgresql://app:s3cr3t-pw@db:5432/x?sslmode=require&password=hunter22");
        assert!(!v.contains("s3cr3t-pw") && !v.contains("hunter22"), "{v}");
        assert!(v.contains("app:***@db"), "{v}");
        // A token of the classic PAT shape, made up here (no literal key in the source).
        let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let body: String = (0..36)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                alphabet[(x % alphabet.len() as u64) as usize] as char
            })
            .collect();
        let v = display_value(&format!("npx server --token ghp_{body}"));
        assert!(!v.contains(&body), "{v}");
        assert_eq!(
            display_value("npx -y @scope/server"),
            "npx -y @scope/server"
        );
    }

    #[test]
    fn paths_keep_invalid_bytes_apart() {
        use std::os::unix::ffi::OsStrExt;
        let a = std::path::Path::new(std::ffi::OsStr::from_bytes(b"x/\xff.env"));
        let b = std::path::Path::new(std::ffi::OsStr::from_bytes(b"x/\xfe.env"));
        assert_ne!(display_path(a), display_path(b));
        assert_eq!(display_path(a), "x/\\xFF.env");
    }
}
