//! The GitHub organisation audit log, as `GET /orgs/{org}/audit-log` returns it (a JSON
//! array of entries), as the organisation settings export it (the same entries as a
//! JSON array, or a CSV file whose header row names the same fields), and as a crawl
//! with `--github-audit-log` reads it live.
//!
//! The fields read are those of the `audit-log-event` schema of GitHub's OpenAPI
//! description and of GitHub's *About token data in the audit log* page: `@timestamp`
//! (Unix milliseconds; `created_at` when it is absent), `action`, `actor`, `actor_ip`,
//! `user_agent`, `org`, `repo` (or `repository`), `programmatic_access_type`,
//! `token_id`, `hashed_token` (base64 of the SHA-256 of the token) and `integration`.
//!
//! Who acted (the record's principal):
//! - a GitHub App token (`programmatic_access_type` "GitHub App server-to-server token"
//!   or "GitHub App user-to-server token", or an `integration` without a token id):
//!   the app in its organisation, `github:app:ORG/INTEGRATION` — installation tokens
//!   live an hour, so the app, not each token, is what acted;
//! - any other token (a classic or fine-grained PAT, an OAuth token):
//!   `github:token:TOKEN_ID`, or `github:hashed-token:HASH` when only the hash is given;
//! - otherwise the person: `github:user:ACTOR`.
//!
//! The hashed token, when given, is the record's key: what joins it to a token the
//! secret detector found in a config.

use std::borrow::Cow;
use std::io::BufRead;

use serde_json::Value;

use super::{Aggregator, Event, FileRead, LogProvider, Tally, parse_time};
use crate::model::{AccessLevel, SourceKind};

/// The access level of an audit-log action, from its category (the part before the
/// first `.`) and, for a few categories, the action itself. The categories are those of
/// GitHub's *Audit log events for your organization*; the levels are this project's
/// reading of them, kept small on purpose:
///
/// - read: Git reads (`git.clone`, `git.fetch`);
/// - write: Git pushes, creating repositories, and changes to a repository's content
///   (`git.push`, `repo.create`, `pull_request.*`, `issue*`, `release.*`, `workflows.*`,
///   `packages.*`, `discussion*`);
/// - admin: what changes who may do what, or removes things (`org.*`, `team.*`,
///   `protected_branch.*`, `repository_ruleset.*`, `hook.*`, `integration_installation.*`,
///   `oauth_application.*`, `personal_access_token.*`, `deploy_key.*`,
///   `members_can_create_*`, `business.*`, and `repo.destroy`, `repo.access`,
///   `repo.transfer`, `repo.rename`, `repo.archived`, `repo.add_member`,
///   `repo.remove_member`, `repo.update_member`);
/// - anything else: no level (kept by name, as an unknown CloudTrail event is).
pub fn level_of(action: &str) -> Option<AccessLevel> {
    let (category, verb) = action.split_once('.').unwrap_or((action, ""));
    match (category, verb) {
        ("git", "clone" | "fetch") => Some(AccessLevel::Read),
        ("git", "push") => Some(AccessLevel::Write),
        (
            "repo",
            "destroy" | "access" | "transfer" | "transfer_start" | "rename" | "archived"
            | "unarchived" | "add_member" | "remove_member" | "update_member",
        ) => Some(AccessLevel::Admin),
        ("repo", v) if v.ends_with("create") => Some(AccessLevel::Write),
        (
            "org"
            | "team"
            | "protected_branch"
            | "repository_ruleset"
            | "hook"
            | "integration_installation"
            | "oauth_application"
            | "personal_access_token"
            | "deploy_key"
            | "business"
            | "org_credential_authorization",
            _,
        ) => Some(AccessLevel::Admin),
        (c, _) if c.starts_with("members_can_create") => Some(AccessLevel::Admin),
        (
            "pull_request"
            | "pull_request_review"
            | "pull_request_review_comment"
            | "issue"
            | "issues"
            | "issue_comment"
            | "release"
            | "workflows"
            | "packages"
            | "discussion"
            | "discussion_comment",
            _,
        ) => Some(AccessLevel::Write),
        _ => None,
    }
}

/// One entry, whatever it was read from: a field by name, as text.
trait Entry {
    fn text(&self, name: &str) -> Option<Cow<'_, str>>;
}

impl Entry for serde_json::Map<String, Value> {
    fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        match self.get(name)? {
            Value::String(s) if !s.is_empty() => Some(Cow::Borrowed(s)),
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            _ => None,
        }
    }
}

/// A CSV row, by the header's names.
struct Row<'a> {
    header: &'a [String],
    fields: &'a [String],
}

impl Entry for Row<'_> {
    fn text(&self, name: &str) -> Option<Cow<'_, str>> {
        let i = self.header.iter().position(|h| h == name)?;
        let v = self.fields.get(i)?.as_str();
        (!v.is_empty()).then_some(Cow::Borrowed(v))
    }
}

/// `hashed_token` as GitHub writes it: the base64 (standard alphabet, padded) of the
/// SHA-256 of the token (*About token data in the audit log*: `echo -n TOKEN | openssl
/// dgst -sha256 -binary | base64`). Not reversible; what joins a token found in a config
/// to the audit-log entries it made.
pub fn hashed_token(token: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Whether a JSON entry is an audit-log entry: it carries `@timestamp` or
/// `_document_id`, the two keys every entry of GitHub's examples has and no other log
/// read here uses.
fn is_entry(m: &serde_json::Map<String, Value>) -> bool {
    m.contains_key("@timestamp") || m.contains_key("_document_id")
}

/// An entry of a JSON array (or of a `{"value": [...]}` page): false when it is not an
/// audit-log entry.
pub fn read_value(v: &Value, agg: &mut Aggregator, file: &str, tally: &mut Tally) -> bool {
    let Some(m) = v.as_object() else {
        return false;
    };
    if !is_entry(m) {
        return false;
    }
    add(m, agg, file, tally);
    true
}

/// Unix seconds of `@timestamp` (epoch milliseconds, as the API and the exports write
/// it; an RFC 3339 date is taken too), else of `created_at`.
fn time_of(e: &dyn Entry) -> Result<i64, &'static str> {
    let raw = e
        .text("@timestamp")
        .or_else(|| e.text("created_at"))
        .ok_or("no @timestamp")?;
    let raw = raw.trim();
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        let ms: i64 = raw
            .parse()
            .map_err(|_| "@timestamp is out of range (epoch milliseconds)")?;
        // Seconds would be a date in 1970; milliseconds are what GitHub writes.
        return Ok(ms / 1000);
    }
    parse_time(raw).ok_or("@timestamp is neither epoch milliseconds nor a date")
}

fn is_app_token(kind: Option<&str>) -> bool {
    kind.is_some_and(|k| k.starts_with("GitHub App"))
}

fn add(e: &dyn Entry, agg: &mut Aggregator, file: &str, tally: &mut Tally) {
    let Some(action) = e.text("action") else {
        return tally.skip("no action");
    };
    let time = match time_of(e) {
        Ok(t) => t,
        Err(why) => return tally.skip(why),
    };
    let access = e.text("programmatic_access_type");
    let token_id = e.text("token_id");
    let hashed = e.text("hashed_token");
    let integration = e.text("integration");
    let org = e.text("org");
    let principal = match (&integration, &token_id, &hashed, e.text("actor")) {
        (Some(app), _, _, _) if is_app_token(access.as_deref()) || token_id.is_none() => {
            format!("github:app:{}/{app}", org.as_deref().unwrap_or("-"))
        }
        (_, Some(id), _, _) => format!("github:token:{id}"),
        (_, None, Some(h), _) => format!("github:hashed-token:{h}"),
        (_, None, None, Some(actor)) => format!("github:user:{actor}"),
        _ => return tally.skip("no actor, token or app"),
    };
    let repo = e.text("repo").or_else(|| e.text("repository"));
    let resource = repo.as_deref().or(org.as_deref());
    let resources: Vec<&str> = resource.into_iter().collect();
    let key = hashed.as_deref().or(token_id.as_deref());
    let (ip, user_agent) = (e.text("actor_ip"), e.text("user_agent"));
    let event = Event {
        provider: LogProvider::Github,
        principal: &principal,
        key,
        action: &action,
        level: level_of(&action),
        resources: &resources,
        time,
        ip: ip.as_deref(),
        user_agent: user_agent.as_deref(),
        denied: false,
        session: None,
        access_type: access.as_deref(),
    };
    tally.read += 1;
    agg.add(&event, file);
}

/// The fields a CSV header must name to be an audit-log export.
fn is_csv_header(fields: &[String]) -> bool {
    let has = |n: &str| fields.iter().any(|f| f == n);
    has("action") && (has("@timestamp") || has("created_at")) && (has("actor") || has("org"))
}

/// Whether text starting a file (BOM and whitespace skipped) is a CSV audit-log export:
/// its first line is a header naming `action`, `@timestamp` and `actor`.
pub fn looks_like_csv(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let first = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
    if first.first().is_some_and(|b| matches!(b, b'{' | b'[')) {
        return false;
    }
    let Ok(line) = std::str::from_utf8(first) else {
        return false;
    };
    let fields: Vec<String> = line
        .trim_end_matches('\r')
        .split(',')
        .map(|f| f.trim().trim_matches('"').to_string())
        .collect();
    is_csv_header(&fields)
}

/// The longest CSV row read (all fields together): a quote never closed cannot make the
/// reader hold the rest of the file.
const MAX_ROW_BYTES: usize = 1 << 20;

/// A streaming CSV reader (RFC 4180: fields separated by commas, quoted with `"` when
/// they hold commas, quotes (doubled) or line breaks; rows end in LF or CRLF).
struct Csv<R> {
    r: R,
    /// The line the next row starts on (from 1).
    line: u64,
}

enum CsvError {
    Io(std::io::Error),
    /// A quoted field never closed, from this line.
    Unterminated(u64),
    TooLong(u64),
    /// Bytes that are not UTF-8, in the row starting on this line.
    NotUtf8(u64),
}

impl<R: BufRead> Csv<R> {
    /// The next row into `fields`; the line it starts on, or `None` at the end.
    fn next(&mut self, fields: &mut Vec<String>) -> Result<Option<u64>, CsvError> {
        fields.clear();
        let start = self.line;
        let mut field: Vec<u8> = Vec::new();
        let mut quoted = false;
        // A quote inside a quoted field: a doubled quote or the field's end, as the next
        // byte (perhaps in the next buffer) decides.
        let mut pending = false;
        // After a closing quote, until the next separator.
        let mut after_quote = false;
        let mut any = false;
        let mut total = 0usize;
        let finish = |field: &mut Vec<u8>, fields: &mut Vec<String>| {
            let bytes = std::mem::take(field);
            String::from_utf8(bytes)
                .map(|s| fields.push(s))
                .map_err(|_| CsvError::NotUtf8(start))
        };
        loop {
            let buf = self.r.fill_buf().map_err(CsvError::Io)?;
            if buf.is_empty() {
                if quoted && !pending {
                    return Err(CsvError::Unterminated(start));
                }
                if !any {
                    return Ok(None);
                }
                finish(&mut field, fields)?;
                return Ok(Some(start));
            }
            let mut used = 0;
            let mut done = false;
            for &b in buf {
                used += 1;
                any = true;
                total += 1;
                if total > MAX_ROW_BYTES {
                    return Err(CsvError::TooLong(start));
                }
                if pending {
                    pending = false;
                    if b == b'"' {
                        field.push(b'"');
                        continue;
                    }
                    quoted = false;
                    after_quote = true;
                }
                if quoted {
                    match b {
                        b'"' => pending = true,
                        b'\n' => {
                            self.line += 1;
                            field.push(b);
                        }
                        _ => field.push(b),
                    }
                    continue;
                }
                match b {
                    b',' => {
                        finish(&mut field, fields)?;
                        after_quote = false;
                    }
                    b'\n' => {
                        self.line += 1;
                        if field.last() == Some(&b'\r') && !after_quote {
                            field.pop();
                        }
                        finish(&mut field, fields)?;
                        done = true;
                        break;
                    }
                    b'"' if field.is_empty() && !after_quote => quoted = true,
                    b'\r' if after_quote => {}
                    // Text after a closing quote (`"a"b`): kept, as most readers do.
                    _ => field.push(b),
                }
            }
            self.r.consume(used);
            if done {
                return Ok(Some(start));
            }
        }
    }
}

/// Reads a CSV audit-log export: the header row, then each row as an entry. A row with
/// more or fewer fields than the header is skipped and counted, named by its line.
pub fn read_csv<R: BufRead>(r: R, shown: &str, agg: &mut Aggregator, out: &mut FileRead) {
    let mut csv = Csv { r, line: 1 };
    let mut tally = Tally {
        unit: Some("line"),
        ..Default::default()
    };
    let mut header = Vec::new();
    let fail = |e: CsvError, tally: &Tally, out: &mut FileRead| {
        let (at, what) = match e {
            CsvError::Io(e) => (None, format!("cannot read: {e}")),
            CsvError::Unterminated(l) => (Some(l), "a quoted field is never closed".into()),
            CsvError::TooLong(l) => (
                Some(l),
                format!("a row longer than {MAX_ROW_BYTES} bytes (an unclosed quote?)"),
            ),
            CsvError::NotUtf8(l) => (Some(l), "a row that is not UTF-8".into()),
        };
        let location = match at {
            Some(l) => format!("{shown}:{l}"),
            None => shown.to_string(),
        };
        out.errors.push(SourceKind::Activity.error(
            location,
            format!(
                "{what}; the rest of the file is not read (the {} events before it are counted)",
                tally.read
            ),
        ));
    };
    // The header: the first row that is not blank.
    loop {
        match csv.next(&mut header) {
            Ok(Some(_)) if header.len() == 1 && header[0].trim().is_empty() => {}
            Ok(Some(_)) => break,
            Ok(None) => {
                out.warnings.push(
                    SourceKind::Activity.error(shown, "empty: no activity in it".to_string()),
                );
                return;
            }
            Err(e) => return fail(e, &tally, out),
        }
    }
    if let Some(first) = header.first_mut()
        && let Some(rest) = first.strip_prefix('\u{feff}')
    {
        *first = rest.to_string();
    }
    for h in &mut header {
        *h = h.trim().to_string();
    }
    if !is_csv_header(&header) {
        out.errors.push(SourceKind::Activity.error(
            format!("{shown}:1"),
            "not an activity log: a CSV header without action, @timestamp and actor".to_string(),
        ));
        return;
    }
    let mut fields = Vec::new();
    loop {
        let line = match csv.next(&mut fields) {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                fail(e, &tally, out);
                break;
            }
        };
        if fields.len() == 1 && fields[0].trim().is_empty() {
            continue; // a blank line
        }
        tally.seen += 1;
        tally.at = Some(line);
        if fields.len() != header.len() {
            tally.skip("a row whose number of fields differs from the header's");
            continue;
        }
        let row = Row {
            header: &header,
            fields: &fields,
        };
        add(&row, agg, shown, &mut tally);
    }
    if tally.seen == 0 && out.errors.is_empty() {
        out.warnings
            .push(SourceKind::Activity.error(shown, "empty: a header and no activity".to_string()));
    }
    tally.report(shown, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, cap: usize) -> Vec<(u64, Vec<String>)> {
        let r = std::io::BufReader::with_capacity(cap, text.as_bytes());
        let mut csv = Csv { r, line: 1 };
        let mut out = Vec::new();
        let mut f = Vec::new();
        while let Ok(Some(l)) = csv.next(&mut f) {
            out.push((l, f.clone()));
        }
        out
    }

    #[test]
    fn csv_quotes_commas_and_line_breaks_at_any_buffer_size() {
        let text = "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\nplain,,end\n";
        for cap in [1, 2, 3, 5, 8, 64] {
            let got = rows(text, cap);
            assert_eq!(got.len(), 3, "cap {cap}: {got:?}");
            assert_eq!(got[0], (1, vec!["a".into(), "b".into(), "c".into()]));
            assert_eq!(
                got[1],
                (
                    2,
                    vec!["x, y".into(), "say \"hi\"".into(), "two\nlines".into()]
                ),
                "cap {cap}"
            );
            assert_eq!(got[2], (4, vec!["plain".into(), "".into(), "end".into()]));
        }
    }

    #[test]
    fn an_unclosed_quote_is_an_error_naming_its_line() {
        let r = std::io::BufReader::new("a,b\n\"open,x\nmore\n".as_bytes());
        let mut csv = Csv { r, line: 1 };
        let mut f = Vec::new();
        assert!(matches!(csv.next(&mut f), Ok(Some(1))));
        assert!(matches!(csv.next(&mut f), Err(CsvError::Unterminated(2))));
    }

    #[test]
    fn levels_from_categories() {
        assert_eq!(level_of("git.clone"), Some(AccessLevel::Read));
        assert_eq!(level_of("git.push"), Some(AccessLevel::Write));
        assert_eq!(level_of("repo.create"), Some(AccessLevel::Write));
        assert_eq!(level_of("repo.destroy"), Some(AccessLevel::Admin));
        assert_eq!(
            level_of("protected_branch.update"),
            Some(AccessLevel::Admin)
        );
        assert_eq!(level_of("team.add_member"), Some(AccessLevel::Admin));
        assert_eq!(level_of("pull_request.merge"), Some(AccessLevel::Write));
        assert_eq!(level_of("copilot.something"), None);
    }

    #[test]
    fn timestamps_are_milliseconds() {
        let m: serde_json::Map<String, Value> =
            serde_json::from_str(r#"{"@timestamp": 1606929874512}"#).unwrap_or_default();
        assert_eq!(time_of(&m), Ok(1_606_929_874));
        let m: serde_json::Map<String, Value> =
            serde_json::from_str(r#"{"@timestamp": "soon"}"#).unwrap_or_default();
        assert!(time_of(&m).is_err());
        assert!(looks_like_csv(
            b"\xef\xbb\xbf@timestamp,action,actor\n1,git.push,a\n"
        ));
        assert!(!looks_like_csv(b"[{\"action\": 1}]"));
    }

    #[test]
    fn the_walk_tells_audit_logs_by_their_start() {
        use super::super::recognise_export as r;
        let entry = r#"{"@timestamp": 1606929874512, "action": "git.push", "actor": "octocat"}"#;
        assert_eq!(r(&format!("[{entry}]")), Some("github-audit-log"));
        assert_eq!(r(&format!("{entry}\n{entry}\n")), Some("github-audit-log"));
        assert_eq!(
            r("@timestamp,action,actor,org\n1606929874512,git.push,octocat,o\n"),
            Some("github-audit-log-csv")
        );
        // A list that merely names the fields is not a log.
        assert_eq!(r("action,actor\nrun,me\n"), None);
        assert_eq!(r(r#"[{"action": "deploy", "actor": "ci"}]"#), None);
    }
}
