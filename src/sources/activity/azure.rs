//! Azure's logs of what identities did:
//!
//! - the activity log as `az monitor activity-log list` prints it: a JSON array of
//!   `EventData` (`authorization.action`, `authorization.scope`, `caller`, `claims`,
//!   `eventTimestamp`, `operationName.value`, `status.value`, `subStatus.value`,
//!   `httpRequest.clientIpAddress`, `resourceId`),
//!   <https://learn.microsoft.com/azure/azure-monitor/essentials/activity-log-schema>;
//! - Entra sign-ins as Graph's `GET /auditLogs/signIns` pages them (`{"value": [...]}`;
//!   service principal and managed identity sign-ins from the beta endpoint filtered on
//!   `signInEventTypes`): `createdDateTime`, `appId`, `servicePrincipalId`,
//!   `userPrincipalName`, `resourceDisplayName`, `resourceId`, `ipAddress`,
//!   `userAgent`, `status.errorCode`, `signInEventTypes`,
//!   <https://learn.microsoft.com/graph/api/resources/signin>.
//!
//! The principal is a service principal's object id (the `oid` claim, a sign-in's
//! `servicePrincipalId`), lower-cased, or a person's user principal name; the analysis
//! joins either to the inventory. Activity log operations are written as `Started`,
//! then `Succeeded` or `Failed`: only the outcome counts, once.

use serde_json::Value;

use super::{Aggregator, Event, LogProvider, Tally, parse_time};
use crate::model::AccessLevel;

const OBJECT_ID_CLAIM: &str = "http://schemas.microsoft.com/identity/claims/objectidentifier";

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str().filter(|s| !s.is_empty())
}

/// `{"value": "Succeeded", "localizedValue": "…"}` → `Succeeded`; a plain string too
/// (the REST API's and some exports' shape).
fn value_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    let f = v.get(key)?;
    f.as_str()
        .or_else(|| f.get("value").and_then(Value::as_str))
        .filter(|s| !s.is_empty())
}

/// The level of an Azure operation, from the form Microsoft documents for them
/// (`{Company}.{Provider}/{resourceType}/{read|write|delete|action}`): reads read; role
/// assignments, role definitions and policies written or deleted manage permissions;
/// the rest write.
pub fn operation_level(action: &str) -> Option<AccessLevel> {
    let lower = action.to_ascii_lowercase();
    let (_, verb) = lower.rsplit_once('/')?;
    let level = match verb {
        "read" => AccessLevel::Read,
        "write" | "delete" if lower.starts_with("microsoft.authorization/") => {
            AccessLevel::PermissionsManagement
        }
        "write" | "delete" | "action" => AccessLevel::Write,
        _ => return None,
    };
    Some(level)
}

fn is_activity_entry(v: &Value) -> bool {
    v.get("eventTimestamp").is_some()
        && (v.get("operationName").is_some() || v.get("authorization").is_some())
}

fn is_sign_in(v: &Value) -> bool {
    let who = ["appId", "servicePrincipalId", "userPrincipalName"]
        .iter()
        .any(|k| v.get(*k).is_some());
    let what = ["signInEventTypes", "resourceDisplayName", "ipAddress"]
        .iter()
        .filter(|k| v.get(**k).is_some())
        .count();
    who && (v.get("signInEventTypes").is_some() || what >= 2)
        && v.get("servicePrincipalType").is_none()
}

/// An activity log entry or a sign-in; false for anything else.
pub fn read_value(v: &Value, agg: &mut Aggregator, file: &str, tally: &mut Tally) -> bool {
    if !v.is_object() {
        return false;
    }
    if is_activity_entry(v) {
        activity_entry(v, agg, file, tally);
        return true;
    }
    if is_sign_in(v) {
        sign_in(v, agg, file, tally);
        return true;
    }
    false
}

fn activity_entry(v: &Value, agg: &mut Aggregator, file: &str, tally: &mut Tally) {
    let Some(time) = text(v, "eventTimestamp").and_then(parse_time) else {
        return tally.skip("no eventTimestamp, or not a date");
    };
    let authorization = v.get("authorization");
    let Some(action) = authorization
        .and_then(|a| text(a, "action"))
        .or_else(|| value_of(v, "operationName"))
    else {
        return tally.skip("no authorization.action or operationName");
    };
    let status = value_of(v, "status").unwrap_or("");
    let denied = match status {
        "Succeeded" => false,
        "Failed" => {
            let sub = value_of(v, "subStatus").unwrap_or("");
            let code = v
                .get("properties")
                .and_then(|p| text(p, "statusCode"))
                .unwrap_or("");
            matches!(sub, "Forbidden" | "AuthorizationFailed" | "Unauthorized")
                || matches!(code, "Forbidden" | "Unauthorized")
        }
        // `Started`, `Accepted`: the outcome is the entry that follows.
        _ => return tally.skip("not an outcome (Started, Accepted): its outcome is counted"),
    };
    let claims = v.get("claims");
    let caller = text(v, "caller");
    let principal = match (caller, claims.and_then(|c| text(c, OBJECT_ID_CLAIM))) {
        // A person: the activity log names users by their UPN.
        (Some(c), _) if c.contains('@') => c.to_ascii_lowercase(),
        (_, Some(oid)) => oid.to_ascii_lowercase(),
        (Some(c), None) => c.to_ascii_lowercase(),
        (None, None) => match claims.and_then(|c| text(c, "appid")) {
            Some(app) => app.to_ascii_lowercase(),
            None => return tally.skip("no caller and no object id claim"),
        },
    };
    let scope = authorization
        .and_then(|a| text(a, "scope"))
        .or_else(|| text(v, "resourceId"));
    let resources: Vec<&str> = scope.into_iter().collect();
    let e = Event {
        access_type: None,
        provider: LogProvider::Azure,
        principal: &principal,
        key: None,
        action,
        level: operation_level(action),
        resources: &resources,
        time,
        ip: v
            .get("httpRequest")
            .and_then(|h| text(h, "clientIpAddress")),
        user_agent: None,
        denied,
        session: None,
    };
    tally.read += 1;
    agg.add(&e, file);
}

fn sign_in(v: &Value, agg: &mut Aggregator, file: &str, tally: &mut Tally) {
    let Some(time) = text(v, "createdDateTime").and_then(parse_time) else {
        return tally.skip("a sign-in without createdDateTime, or not a date");
    };
    let types: Vec<&str> = v
        .get("signInEventTypes")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let upn = text(v, "userPrincipalName");
    let app_sign_in = types
        .iter()
        .any(|t| matches!(*t, "servicePrincipal" | "managedIdentity"))
        || (upn.is_none() && v.get("servicePrincipalId").is_some());
    let who = if app_sign_in {
        text(v, "servicePrincipalId").or_else(|| text(v, "appId"))
    } else {
        upn.or_else(|| text(v, "userId"))
    };
    let Some(who) = who else {
        return tally.skip("a sign-in naming no user or service principal");
    };
    let principal = who.to_ascii_lowercase();
    let target = text(v, "resourceDisplayName").or_else(|| text(v, "resourceId"));
    let action = match target {
        Some(t) => format!("signin:{t}"),
        None => "signin".to_string(),
    };
    let code = v
        .get("status")
        .and_then(|s| s.get("errorCode"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let resources: Vec<&str> = text(v, "resourceId").into_iter().collect();
    let e = Event {
        access_type: None,
        provider: LogProvider::Azure,
        principal: &principal,
        key: None,
        action: &action,
        level: None,
        resources: &resources,
        time,
        ip: text(v, "ipAddress"),
        user_agent: text(v, "userAgent"),
        denied: code != 0,
        session: None,
    };
    tally.read += 1;
    agg.add(&e, file);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_have_the_level_their_verb_says() {
        assert_eq!(
            operation_level("Microsoft.Storage/storageAccounts/read"),
            Some(AccessLevel::Read)
        );
        assert_eq!(
            operation_level("Microsoft.Storage/storageAccounts/listKeys/action"),
            Some(AccessLevel::Write)
        );
        assert_eq!(
            operation_level("Microsoft.Authorization/roleAssignments/write"),
            Some(AccessLevel::PermissionsManagement)
        );
        assert_eq!(operation_level("signin:Microsoft Graph"), None);
    }

    #[test]
    fn service_principal_objects_are_not_sign_ins() {
        assert!(!is_sign_in(&json!({
            "appId": "a", "servicePrincipalType": "Application", "createdDateTime": "x"
        })));
        assert!(is_sign_in(&json!({
            "appId": "a", "signInEventTypes": ["servicePrincipal"]
        })));
    }
}
