//! Dates as providers write them, normalised to RFC 3339 UTC; ages in whole days.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime, macros::format_description};

/// Parses `2023-03-09T10:41:45Z`, `2023-03-09T10:41:45+00:00`, `2023-03-09 10:41:45+00:00`
/// (the AWS CLI's text form) and `2023-03-09`. `N/A`, `no_information`, `not_supported`
/// and empty strings are no date.
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    let t = text.trim();
    if t.is_empty() || matches!(t, "N/A" | "no_information" | "not_supported" | "null") {
        return None;
    }
    if let Ok(d) = OffsetDateTime::parse(t, &Rfc3339) {
        return Some(d);
    }
    let with_t = t.replacen(' ', "T", 1);
    if let Ok(d) = OffsetDateTime::parse(&with_t, &Rfc3339) {
        return Some(d);
    }
    // Fractional seconds or no offset: read as UTC.
    let plain = with_t.trim_end_matches('Z');
    let plain = plain.split(['+']).next().unwrap_or(plain);
    let plain = plain.split('.').next().unwrap_or(plain);
    if let Ok(d) = PrimitiveDateTime::parse(
        plain,
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
    ) {
        return Some(d.assume_utc());
    }
    time::Date::parse(t, format_description!("[year]-[month]-[day]"))
        .ok()
        .map(|d| d.midnight().assume_utc())
}

/// RFC 3339 in UTC, or `None` if unparseable.
pub fn normalize(text: &str) -> Option<String> {
    parse(text).and_then(|d| d.to_offset(time::UtcOffset::UTC).format(&Rfc3339).ok())
}

/// The reference time for ages: now, or `NHI_AUDIT_NOW` (RFC 3339) for reproducible
/// reports and tests.
pub fn now() -> OffsetDateTime {
    std::env::var("NHI_AUDIT_NOW")
        .ok()
        .and_then(|s| parse(&s))
        .unwrap_or_else(OffsetDateTime::now_utc)
}

/// Whole days from `then` to `now` (never negative).
pub fn days_since(then: OffsetDateTime, now: OffsetDateTime) -> i64 {
    (now - then).whole_days().max(0)
}

/// RFC 3339 in UTC, as reports write dates.
pub fn format(t: OffsetDateTime) -> Option<String> {
    t.to_offset(time::UtcOffset::UTC).format(&Rfc3339).ok()
}

/// A key's or secret's validity window, read from its start and end dates at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub created: Option<OffsetDateTime>,
    /// The end, unless it never expires.
    pub expires: Option<OffsetDateTime>,
    /// No end date, or one in `never_year` or later (how a provider writes "never":
    /// Google 9999-12-31, Entra 2299-12-31).
    pub never_expires: bool,
    pub expired: bool,
    /// Days since its start; `None` without one.
    pub age_days: Option<i64>,
}

impl Validity {
    pub fn of(
        start: Option<&str>,
        end: Option<&str>,
        never_year: i32,
        now: OffsetDateTime,
    ) -> Validity {
        let created = start.and_then(parse);
        let until = end.and_then(parse);
        let never_expires = until.is_none_or(|t| t.year() >= never_year);
        let expires = until.filter(|_| !never_expires);
        Validity {
            created,
            expires,
            never_expires,
            expired: expires.is_some_and(|t| t <= now),
            age_days: created.map(|c| days_since(c, now)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_of_a_key() {
        let now = parse("2026-12-01T00:00:00Z").unwrap();
        let v = Validity::of(
            Some("2026-11-01T00:00:00Z"),
            Some("2026-11-21T00:00:00Z"),
            9999,
            now,
        );
        assert_eq!(
            (v.never_expires, v.expired, v.age_days),
            (false, true, Some(30))
        );
        assert_eq!(
            format(v.expires.unwrap()).as_deref(),
            Some("2026-11-21T00:00:00Z")
        );
        let never = Validity::of(
            Some("2026-01-01T00:00:00Z"),
            Some("2299-12-31T00:00:00Z"),
            2299,
            now,
        );
        assert!(never.never_expires && !never.expired && never.expires.is_none());
        let open = Validity::of(None, None, 9999, now);
        assert!(open.never_expires && open.age_days.is_none());
    }

    #[test]
    fn forms() {
        let a = parse("2023-03-09T10:41:45Z").unwrap();
        assert_eq!(parse("2023-03-09 10:41:45+00:00"), Some(a));
        assert_eq!(parse("2023-03-09T10:41:45+00:00"), Some(a));
        assert_eq!(parse("2023-03-09T10:41:45.000Z"), Some(a));
        assert!(parse("2023-03-09").is_some());
        assert_eq!(parse("N/A"), None);
        assert_eq!(
            normalize("2018-08-12T17:20:55+00:00").as_deref(),
            Some("2018-08-12T17:20:55Z")
        );
        assert_eq!(
            days_since(parse("2023-03-01").unwrap(), parse("2023-03-11").unwrap()),
            10
        );
    }
}
