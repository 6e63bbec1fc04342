//! Cloud Audit Logs as `gcloud logging read --format=json` prints them: a JSON array of
//! `LogEntry` (or one entry per line, as a sink to Cloud Storage writes them), each
//! carrying an `AuditLog` in `protoPayload`
//! (<https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry>,
//! <https://cloud.google.com/logging/docs/reference/audit/auditlog/rest/Shared.Types/AuditLog>).
//!
//! Fields read: `timestamp`; `protoPayload.authenticationInfo` (`principalEmail`, else
//! `principalSubject`; `serviceAccountKeyName`; `serviceAccountDelegationInfo[0]`, who
//! really acted through an impersonated account); `methodName`, `resourceName`;
//! `authorizationInfo[]` (`permission`, `granted`, `resource`); `requestMetadata`
//! (`callerIp`, `callerSuppliedUserAgent`); `status.code`.
//!
//! Each permission checked is one event (`storage.objects.get`), refused when IAM did
//! not grant it (`granted` is absent when false: proto3 JSON leaves false out) or when
//! the call ended `PERMISSION_DENIED` (7) or `UNAUTHENTICATED` (16). An entry that
//! names no permission is one event named by its method, with no level.

use serde_json::Value;

use super::{Aggregator, Event, LogProvider, Session, Tally, parse_time};

const AUDIT_LOG: &str = "type.googleapis.com/google.cloud.audit.AuditLog";

/// `google.rpc.Code`: the call was refused, not made.
const PERMISSION_DENIED: i64 = 7;
const UNAUTHENTICATED: i64 = 16;

/// How many distinct permissions one entry may give events for; past it the entry is
/// counted once by its method (an entry listing thousands is not a thousand calls).
const PERMISSIONS_PER_ENTRY: usize = 64;

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str().filter(|s| !s.is_empty())
}

/// Whether a JSON value is a `LogEntry`: what `gcloud logging read` prints.
fn is_log_entry(v: &Value) -> bool {
    v.get("protoPayload").is_some()
        || (v.get("logName").is_some()
            && (v.get("insertId").is_some() || v.get("timestamp").is_some()))
}

/// A Cloud Audit Logs entry; false for anything that is not a `LogEntry`.
pub fn read_value(v: &Value, agg: &mut Aggregator, file: &str, tally: &mut Tally) -> bool {
    if !v.is_object() || !is_log_entry(v) {
        return false;
    }
    let Some(p) = v.get("protoPayload").filter(|p| p.is_object()) else {
        tally.skip("a log entry without protoPayload (not an audit log entry)");
        return true;
    };
    if text(p, "@type") != Some(AUDIT_LOG) {
        tally.skip("a log entry whose protoPayload is not an AuditLog");
        return true;
    }
    let Some(time) = text(v, "timestamp").and_then(parse_time) else {
        tally.skip("no timestamp, or not a date");
        return true;
    };
    let auth = p.get("authenticationInfo");
    let Some(who) =
        auth.and_then(|a| text(a, "principalEmail").or_else(|| text(a, "principalSubject")))
    else {
        tally.skip("no authenticationInfo.principalEmail (or principalSubject)");
        return true;
    };
    let principal = who.to_ascii_lowercase();
    // `//iam.googleapis.com/projects/P/serviceAccounts/EMAIL/keys/KEY` → `KEY`.
    let key = auth
        .and_then(|a| text(a, "serviceAccountKeyName"))
        .and_then(|k| k.rsplit('/').next())
        .filter(|k| !k.is_empty());
    // The first delegate is who really acted: the start of the impersonation chain.
    let delegate = auth
        .and_then(|a| a.get("serviceAccountDelegationInfo"))
        .and_then(Value::as_array)
        .and_then(|d| d.first())
        .and_then(|d| {
            d.get("firstPartyPrincipal")
                .and_then(|f| text(f, "principalEmail"))
                .or_else(|| text(d, "principalSubject"))
                .or_else(|| {
                    d.get("thirdPartyPrincipal")
                        .and_then(|t| t.get("thirdPartyClaims"))
                        .and_then(|c| text(c, "sub"))
                })
        });
    let meta = p.get("requestMetadata");
    let ip = meta.and_then(|m| text(m, "callerIp"));
    let user_agent = meta.and_then(|m| text(m, "callerSuppliedUserAgent"));
    let code = p
        .get("status")
        .and_then(|s| s.get("code"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let refused = code == PERMISSION_DENIED || code == UNAUTHENTICATED;
    let resource_name = text(p, "resourceName");
    let base = Event {
        access_type: None,
        provider: LogProvider::Gcp,
        principal: &principal,
        key,
        action: "",
        level: None,
        resources: &[],
        time,
        ip,
        user_agent,
        denied: refused,
        session: delegate.map(|name| Session {
            name,
            started: "",
            attributed: true,
        }),
    };
    // Permission → (granted, resources), in the order the entry lists them.
    let mut checked: Vec<(&str, bool, Vec<&str>)> = Vec::new();
    let mut too_many = false;
    if let Some(list) = p.get("authorizationInfo").and_then(Value::as_array) {
        for a in list {
            let Some(permission) = text(a, "permission") else {
                continue;
            };
            let granted = a.get("granted").and_then(Value::as_bool).unwrap_or(false);
            let resource = text(a, "resource").or(resource_name);
            if let Some((_, g, rs)) = checked.iter_mut().find(|(p, _, _)| *p == permission) {
                *g &= granted;
                if let Some(r) = resource
                    && !rs.contains(&r)
                    && rs.len() < crate::model::KEPT
                {
                    rs.push(r);
                }
            } else if checked.len() < PERMISSIONS_PER_ENTRY {
                checked.push((permission, granted, resource.into_iter().collect()));
            } else {
                too_many = true;
            }
        }
    }
    if checked.is_empty() || too_many {
        let Some(method) = text(p, "methodName") else {
            tally.skip("no authorizationInfo permission and no methodName");
            return true;
        };
        let resources: Vec<&str> = resource_name.into_iter().collect();
        let e = Event {
            action: method,
            resources: &resources,
            ..base
        };
        tally.read += 1;
        agg.add(&e, file);
        return true;
    }
    for (permission, granted, resources) in &checked {
        let e = Event {
            action: permission,
            level: Some(crate::sources::gcp::permission_level(permission)),
            resources,
            denied: refused || !granted,
            ..base.clone()
        };
        tally.read += 1;
        agg.add(&e, file);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_log_entry_is_told_from_other_json() {
        assert!(is_log_entry(&json!({"protoPayload": {}})));
        assert!(is_log_entry(
            &json!({"logName": "projects/p/logs/x", "insertId": "1"})
        ));
        assert!(!is_log_entry(&json!({"eventSource": "s3.amazonaws.com"})));
    }

    /// proto3 JSON leaves `granted: false` out: a permission without it was refused,
    /// even when the call's status says nothing.
    #[test]
    fn a_permission_not_granted_is_refused_and_one_granted_is_used() {
        let entry = json!({
            "logName": "projects/p/logs/cloudaudit.googleapis.com%2Fdata_access",
            "timestamp": "2024-05-01T12:00:00.5Z",
            "protoPayload": {
                "@type": AUDIT_LOG,
                "authenticationInfo": {
                    "principalEmail": "Agent@p.iam.gserviceaccount.com",
                    "serviceAccountKeyName": "//iam.googleapis.com/projects/p/serviceAccounts/agent@p.iam.gserviceaccount.com/keys/k1"
                },
                "authorizationInfo": [
                    {"permission": "storage.objects.get", "granted": true, "resource": "projects/_/buckets/b/objects/o"},
                    {"permission": "storage.objects.delete", "resource": "projects/_/buckets/b/objects/o"}
                ],
                "methodName": "storage.objects.get",
                "status": {}
            }
        });
        let mut agg = Aggregator::new(i64::MAX / 2);
        let mut tally = Tally::default();
        assert!(read_value(&entry, &mut agg, "f", &mut tally));
        let (records, _) = agg.finish(90);
        let a = &records[0];
        assert_eq!(a.principal, "agent@p.iam.gserviceaccount.com");
        assert_eq!(a.keys, ["k1"]);
        let got: Vec<(&str, u64, u64)> = a
            .actions
            .iter()
            .map(|x| (x.action.as_str(), x.count, x.denied))
            .collect();
        assert_eq!(
            got,
            [
                ("storage.objects.delete", 0, 1),
                ("storage.objects.get", 1, 0)
            ]
        );
    }
}
