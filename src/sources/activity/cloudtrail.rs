//! CloudTrail, in every shape users hold it: the files CloudTrail delivers to S3
//! (`{"Records": [...]}`), one record per line, `aws cloudtrail lookup-events` output
//! (`{"Events": [{"CloudTrailEvent": "<record as a string>", …}]}`) and CloudTrail Lake
//! query results (`{"QueryResultRows": [[{"eventName": "…"}, …], …]}`). Arrays stream:
//! one record is held at a time.
//!
//! The record fields read are those of AWS's *CloudTrail record contents* reference:
//! `eventTime`, `eventSource`, `eventName`, `userIdentity` (`type`, `arn`, `accessKeyId`,
//! `sessionContext.sessionIssuer.arn`, `sessionContext.sourceIdentity`,
//! `sessionContext.attributes.creationDate`), `sourceIPAddress`, `userAgent`,
//! `errorCode` and `resources[].ARN`. Anything else is skipped unread.

use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{Aggregator, Event, LogProvider, Session, Tally, parse_time};
use crate::policy::aws::actions::table;

/// The top of a log file: a document with one of the known arrays, a JSON array of
/// entries, or a single entry (one line of JSON Lines).
pub struct Top<'a> {
    pub agg: &'a mut Aggregator,
    pub file: &'a str,
    pub tally: &'a mut Tally,
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CloudTrail log, a JSON array of log entries, or one entry")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            self.tally.seen += 1;
            dispatch(&v, self.agg, self.file, self.tally);
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut rest = serde_json::Map::new();
        let mut container = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Records" => {
                    container = true;
                    map.next_value_seed(Records {
                        agg: &mut *self.agg,
                        file: self.file,
                        tally: &mut *self.tally,
                    })?;
                }
                "Events" | "QueryResultRows" | "value" => {
                    container = true;
                    map.next_value_seed(Entries {
                        agg: &mut *self.agg,
                        file: self.file,
                        tally: &mut *self.tally,
                        lake: key == "QueryResultRows",
                    })?;
                }
                _ if container => {
                    map.next_value::<IgnoredAny>()?;
                }
                _ => {
                    rest.insert(key, map.next_value()?);
                }
            }
        }
        if !container {
            self.tally.seen += 1;
            dispatch(
                &serde_json::Value::Object(rest),
                self.agg,
                self.file,
                self.tally,
            );
        }
        Ok(())
    }
}

/// One entry of a JSON array: the first reader that knows its shape takes it.
fn dispatch(v: &serde_json::Value, agg: &mut Aggregator, file: &str, tally: &mut Tally) {
    if !super::ARRAY_READERS.iter().any(|r| r(v, agg, file, tally)) {
        tally.unknown += 1;
    }
}

/// `Records`: typed records, one at a time.
struct Records<'a> {
    agg: &'a mut Aggregator,
    file: &'a str,
    tally: &'a mut Tally,
}

impl<'de> DeserializeSeed<'de> for Records<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Records<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of CloudTrail records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut scratch = Scratch::default();
        while let Some(rec) = seq.next_element::<Record>()? {
            self.tally.seen += 1;
            add(&rec, self.agg, self.file, self.tally, &mut scratch);
        }
        Ok(())
    }
}

/// `Events` (lookup-events), `QueryResultRows` (Lake) or `value` (a Graph page): entries
/// read as values, one at a time.
struct Entries<'a> {
    agg: &'a mut Aggregator,
    file: &'a str,
    tally: &'a mut Tally,
    lake: bool,
}

impl<'de> DeserializeSeed<'de> for Entries<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Entries<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of log entries")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut scratch = Scratch::default();
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            self.tally.seen += 1;
            if self.lake {
                match lake_row(&v) {
                    Some(rec) => add(&rec, self.agg, self.file, self.tally, &mut scratch),
                    None => self
                        .tally
                        .skip("a Lake result row that is not a list of columns"),
                }
            } else {
                dispatch(&v, self.agg, self.file, self.tally);
            }
        }
        Ok(())
    }
}

/// A CloudTrail record, or a `lookup-events` entry carrying one as a string; false for
/// anything else.
pub fn read_value(
    v: &serde_json::Value,
    agg: &mut Aggregator,
    file: &str,
    tally: &mut Tally,
) -> bool {
    let mut scratch = Scratch::default();
    if let Some(inner) = v.get("CloudTrailEvent") {
        // lookup-events: the record is a JSON string inside the entry.
        match inner
            .as_str()
            .and_then(|s| serde_json::from_str::<Record>(s).ok())
        {
            Some(rec) => add(&rec, agg, file, tally, &mut scratch),
            None => tally.skip("a lookup-events entry whose CloudTrailEvent is not a record"),
        }
        return true;
    }
    let is_record = v.get("eventSource").is_some()
        || (v.get("eventVersion").is_some() && v.get("userIdentity").is_some());
    if !is_record {
        return false;
    }
    match Record::deserialize(v) {
        Ok(rec) => add(&rec, agg, file, tally, &mut scratch),
        Err(_) => tally.skip("a record whose fields are not CloudTrail's"),
    }
    true
}

/// A Lake result row: a list of one-column objects (`{"eventName": "GetObject"}`), with
/// nested fields as dotted columns (`userIdentity.arn`) — the query has to select them so.
fn lake_row(v: &serde_json::Value) -> Option<Record> {
    let cols = v.as_array()?;
    let mut rec = Record::default();
    let mut identity = UserIdentity::default();
    let mut context = SessionContext::default();
    let mut any = false;
    for col in cols {
        for (k, v) in col.as_object()? {
            let s = || Text(v.as_str().map(str::to_string));
            any = true;
            match k.as_str() {
                "eventTime" => rec.event_time = s(),
                "eventSource" => rec.event_source = s(),
                "eventName" => rec.event_name = s(),
                "sourceIPAddress" => rec.source_ip_address = s(),
                "userAgent" => rec.user_agent = s(),
                "errorCode" => rec.error_code = s(),
                "userIdentity.type" => identity.kind = s(),
                "userIdentity.arn" => identity.arn = s(),
                "userIdentity.accessKeyId" => identity.access_key_id = s(),
                "userIdentity.sessionContext.sessionIssuer.arn" => {
                    context.session_issuer = Lenient(Some(Issuer { arn: s() }));
                }
                "userIdentity.sessionContext.sourceIdentity" => context.source_identity = s(),
                _ => {}
            }
        }
    }
    identity.session_context = Lenient(Some(context));
    rec.user_identity = Lenient(Some(identity));
    any.then_some(rec)
}

/// A field of the wrong type reads as absent, so that one odd record is counted as
/// skipped rather than ending the file.
#[derive(Debug, Default)]
struct Lenient<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Objects and arrays are read in place (their own fields are lenient too); a
        // value of any other type is skipped.
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Lenient<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object or an array")
            }
            fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<Lenient<T>, A::Error> {
                let d = serde::de::value::MapAccessDeserializer::new(a);
                Ok(Lenient(T::deserialize(d).ok()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<Lenient<T>, A::Error> {
                let d = serde::de::value::SeqAccessDeserializer::new(a);
                Ok(Lenient(T::deserialize(d).ok()))
            }
            fn visit_str<E>(self, _: &str) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_unit<E>(self) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_none<E>(self) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Lenient<T>, E> {
                Ok(Lenient(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A string field; any other type (a number, an object) reads as absent without being
/// buffered.
#[derive(Debug, Default)]
struct Text(Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E>(self, s: &str) -> Result<Text, E> {
                Ok(Text(Some(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> Result<Text, E> {
                Ok(Text(Some(s)))
            }
            fn visit_unit<E>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_none<E>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Text, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Text, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Text, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl Text {
    fn text(&self) -> Option<&str> {
        self.0.as_deref().filter(|s| !s.is_empty())
    }
}

impl<T> Lenient<T> {
    fn get(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Record {
    event_time: Text,
    event_source: Text,
    event_name: Text,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: Text,
    user_agent: Text,
    error_code: Text,
    user_identity: Lenient<UserIdentity>,
    resources: Lenient<Vec<Lenient<Resource>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct UserIdentity {
    #[serde(rename = "type")]
    kind: Text,
    arn: Text,
    access_key_id: Text,
    /// Web-identity and SAML users: the provider and the subject.
    identity_provider: Text,
    user_name: Text,
    session_context: Lenient<SessionContext>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct SessionContext {
    session_issuer: Lenient<Issuer>,
    source_identity: Text,
    attributes: Lenient<Attributes>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Issuer {
    arn: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Attributes {
    creation_date: Text,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Resource {
    #[serde(rename = "ARN")]
    arn: Text,
}

/// Buffers reused from record to record.
#[derive(Default)]
struct Scratch {
    principal: String,
    action: String,
}

/// Error codes that mean IAM refused the call (it was tried, not allowed). Any other
/// error (`NoSuchKey`, throttling) came after authorisation: the permission was used.
fn refused(code: &str) -> bool {
    code.contains("AccessDenied")
        || code.contains("Unauthorized")
        || code.contains("Forbidden")
        || code == "InvalidClientTokenId"
        || code == "ExpiredToken"
}

/// An IAM service prefix for a CloudTrail event source where the two differ; the rest
/// are the host's first label (`s3.amazonaws.com` → `s3`). From the Service
/// Authorization Reference's prefixes and the sources CloudTrail's documentation lists.
fn service_prefix(source: &str) -> &str {
    let host = source.strip_suffix(".amazonaws.com").unwrap_or(source);
    match host {
        "monitoring" => "cloudwatch",
        "email" => "ses",
        "bedrock-runtime" => "bedrock",
        "runtime.sagemaker" => "sagemaker",
        "api.ecr" => "ecr",
        "elasticfilesystem" => "elasticfilesystem",
        "es" => "es",
        "lex" | "runtime.lex" | "models.lex" => "lex",
        "sso-directory" => "sso-directory",
        _ => host,
    }
}

/// `s3:GetObject` with its level, from an event's source and name; `None` when the
/// table does not know it (the name is then kept as `prefix:Name`, without a level).
///
/// Where CloudTrail's name is not the action's: API versions appended to the name
/// (Lambda's `UpdateFunctionCode20150331v2`, CloudFront's
/// `UpdateDistribution2016_11_25`), API Gateway's control plane (IAM authorises it by
/// HTTP verb: `CreateRestApi` is `apigateway:POST`), S3's `Delete…` configuration calls
/// that IAM authorises with the `Put…` action, and Lambda's `Invoke` data event.
fn action_of(source: &str, name: &str, buf: &mut String) -> Option<crate::model::AccessLevel> {
    let t = table();
    let prefix = service_prefix(source);
    let try_name = |n: &str, buf: &mut String| {
        buf.clear();
        buf.push_str(prefix);
        buf.push(':');
        buf.push_str(n);
        let c = t.canonical(buf)?;
        let level = t.level(c);
        *buf = c.to_string();
        level
    };
    if let Some(level) = try_name(name, buf) {
        return Some(level);
    }
    let unversioned = strip_api_version(name);
    if unversioned.len() < name.len()
        && let Some(level) = try_name(unversioned, buf)
    {
        return Some(level);
    }
    let mapped = match prefix {
        "apigateway" => ["Create", "Update", "Delete", "Get", "Put", "Import"]
            .iter()
            .zip(["POST", "PATCH", "DELETE", "GET", "PUT", "PUT"])
            .find(|(verb, _)| unversioned.starts_with(**verb))
            .map(|(_, method)| method.to_string()),
        "s3" => unversioned
            .strip_prefix("Delete")
            .filter(|rest| rest.starts_with("Bucket"))
            .map(|rest| format!("Put{rest}")),
        "lambda" if unversioned == "Invoke" => Some("InvokeFunction".to_string()),
        _ => None,
    };
    if let Some(m) = mapped
        && let Some(level) = try_name(&m, buf)
    {
        return Some(level);
    }
    buf.clear();
    buf.push_str(prefix);
    buf.push(':');
    buf.push_str(name);
    None
}

/// A name without an API version at its end: `…20150331`, `…20150331v2`,
/// `…2016_11_25`.
fn strip_api_version(name: &str) -> &str {
    let b = name.as_bytes();
    let mut end = b.len();
    // `v2`
    if end >= 2 && b[end - 2] == b'v' && b[end - 1].is_ascii_digit() {
        end -= 2;
    }
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    if end >= 8 && digits(end - 8..end) {
        return &name[..end - 8];
    }
    if end >= 10
        && digits(end - 10..end - 6)
        && b[end - 6] == b'_'
        && digits(end - 5..end - 3)
        && b[end - 3] == b'_'
        && digits(end - 2..end)
    {
        return &name[..end - 10];
    }
    name
}

/// The role a session belongs to, from its assumed-role ARN
/// (`arn:aws:sts::1:assumed-role/Name/session` → `arn:aws:iam::1:role/Name`), when the
/// record has no `sessionIssuer` (which also carries the role's path).
fn role_of_session(arn: &str) -> Option<(String, &str)> {
    let (head, rest) = arn.split_once(":assumed-role/")?;
    let (role, session) = rest.split_once('/')?;
    let head = head.replacen(":sts:", ":iam:", 1);
    Some((format!("{head}:role/{role}"), session))
}

fn add(rec: &Record, agg: &mut Aggregator, file: &str, tally: &mut Tally, s: &mut Scratch) {
    let Some(name) = rec.event_name.text() else {
        return tally.skip("no eventName");
    };
    let Some(source) = rec.event_source.text() else {
        return tally.skip("no eventSource");
    };
    let Some(time) = rec.event_time.text().and_then(parse_time) else {
        return tally.skip("no eventTime, or not a date");
    };
    let Some(who) = rec.user_identity.get() else {
        return tally.skip("no userIdentity");
    };
    let kind = who.kind.text().unwrap_or("");
    if matches!(kind, "AWSService" | "AWSAccount") {
        // A service or another account acting: not a principal of this account.
        return tally.skip("made by an AWS service or another account, not a principal");
    }
    let context = who.session_context.get();
    let issuer = context
        .and_then(|c| c.session_issuer.get())
        .and_then(|i| i.arn.text());
    let arn = who.arn.text();
    let mut session = None;
    s.principal.clear();
    match (kind, arn) {
        ("AssumedRole", Some(arn)) | ("", Some(arn)) if arn.contains(":assumed-role/") => {
            let derived = role_of_session(arn);
            let session_name = derived.as_ref().map_or("", |(_, n)| *n);
            match (issuer, &derived) {
                (Some(issuer), _) => s.principal.push_str(issuer),
                (None, Some((role, _))) => s.principal.push_str(role),
                (None, None) => s.principal.push_str(arn),
            }
            let started = context
                .and_then(|c| c.attributes.get())
                .and_then(|a| a.creation_date.text())
                .unwrap_or("");
            session = Some((session_name, started));
        }
        (_, Some(arn)) => s
            .principal
            .push_str(issuer.filter(|_| kind == "FederatedUser").unwrap_or(arn)),
        (_, None) => match (who.identity_provider.text(), who.user_name.text()) {
            // AssumeRoleWithWebIdentity / WithSAML: the federated subject asked.
            (Some(idp), Some(sub)) => {
                s.principal.push_str("federated:");
                s.principal.push_str(idp);
                s.principal.push(':');
                s.principal.push_str(sub);
            }
            _ => return tally.skip("no userIdentity.arn"),
        },
    }
    let level = action_of(source, name, &mut s.action);
    let resources: Vec<&str> = rec
        .resources
        .get()
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r.get().and_then(|r| r.arn.text()))
                .collect()
        })
        .unwrap_or_default();
    let attributed = context.and_then(|c| c.source_identity.text()).is_some();
    let event = Event {
        provider: LogProvider::Aws,
        principal: &s.principal,
        key: who.access_key_id.text(),
        action: &s.action,
        level,
        resources: &resources,
        time,
        ip: rec.source_ip_address.text(),
        user_agent: rec.user_agent.text(),
        denied: rec.error_code.text().is_some_and(refused),
        session: session.map(|(name, started)| Session {
            name,
            started,
            attributed,
        }),
        access_type: None,
    };
    tally.read += 1;
    agg.add(&event, file);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_belong_to_their_role() {
        assert_eq!(
            role_of_session("arn:aws:sts::123456789012:assumed-role/agent/run-42"),
            Some(("arn:aws:iam::123456789012:role/agent".to_string(), "run-42"))
        );
        assert_eq!(role_of_session("arn:aws:iam::1:user/bob"), None);
    }

    #[test]
    fn event_names_become_iam_actions() {
        let mut buf = String::new();
        assert!(action_of("s3.amazonaws.com", "GetObject", &mut buf).is_some());
        assert_eq!(buf, "s3:GetObject");
        action_of(
            "lambda.amazonaws.com",
            "UpdateFunctionCode20150331v2",
            &mut buf,
        );
        assert_eq!(buf, "lambda:UpdateFunctionCode");
        action_of("monitoring.amazonaws.com", "PutMetricData", &mut buf);
        assert_eq!(buf, "cloudwatch:PutMetricData");
        action_of(
            "cloudfront.amazonaws.com",
            "UpdateDistribution2016_11_25",
            &mut buf,
        );
        assert_eq!(buf, "cloudfront:UpdateDistribution");
        action_of("apigateway.amazonaws.com", "CreateRestApi", &mut buf);
        assert_eq!(buf, "apigateway:POST");
        action_of("s3.amazonaws.com", "DeleteBucketCors", &mut buf);
        assert_eq!(buf, "s3:PutBucketCORS");
        action_of("lambda.amazonaws.com", "Invoke", &mut buf);
        assert_eq!(buf, "lambda:InvokeFunction");
        assert_eq!(
            action_of("example.amazonaws.com", "DoThing", &mut buf),
            None
        );
        assert_eq!(buf, "example:DoThing");
    }
}
