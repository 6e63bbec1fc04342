//! Microsoft's side of the REST client ([`crate::sources::rest`]): the error object
//! Microsoft Graph and Azure Resource Manager share (`{"error": {"code", "message"}}`),
//! `429` with `Retry-After` as their throttling answer (a `403` is never a quota here),
//! and paging by next link — `@odata.nextLink` on Graph, `nextLink` on Resource Manager.

use serde_json::Value;

use crate::sources::rest::{Dialect, Next, clean_message};

/// How Microsoft Graph and Azure Resource Manager answer.
pub struct Microsoft;

impl Dialect for Microsoft {
    fn error_body(&self, body: &[u8], secret: Option<&str>) -> (String, String) {
        error_body(body, secret)
    }

    fn is_quota(&self, _word: &str) -> bool {
        false
    }

    fn next_page(&self, page: &Value) -> Option<Next> {
        ["@odata.nextLink", "nextLink"]
            .iter()
            .find_map(|k| page.get(*k)?.as_str())
            .filter(|l| !l.is_empty())
            .map(|l| Next::Url(l.to_string()))
    }
}

/// Microsoft's error object: its code (`Authorization_RequestDenied`,
/// `AuthorizationFailed`) and its message, cut short, on one line, without the token.
fn error_body(body: &[u8], secret: Option<&str>) -> (String, String) {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return (String::new(), String::new());
    };
    let error = &value["error"];
    let word = error["code"]
        .as_str()
        .filter(|w| {
            w.len() <= 60
                && w.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.'))
        })
        .unwrap_or_default()
        .to_string();
    let message = clean_message(error["message"].as_str().unwrap_or_default(), secret);
    (word, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microsoft_error_bodies_give_their_code_and_a_clean_message() {
        let graph = br#"{"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation.", "innerError": {"date": "2026-12-01T00:00:00", "request-id": "x"}}}"#;
        assert_eq!(
            error_body(graph, None),
            (
                "Authorization_RequestDenied".to_string(),
                "Insufficient privileges to complete the operation.".to_string()
            )
        );
        let arm = br#"{"error":{"code":"AuthorizationFailed","message":"The client 'x' with object id 'y' does not have authorization to perform action\n'Microsoft.Authorization/roleAssignments/read'"}}"#;
        let (word, message) = error_body(arm, Some("eyJ0"));
        assert_eq!(word, "AuthorizationFailed");
        assert!(!message.contains('\n'), "{message}");
        let (word, message) = error_body(
            br#"{"error": {"code": "a b", "message": "token eyJ0.x"}}"#,
            Some("eyJ0.x"),
        );
        assert_eq!((word.as_str(), message.as_str()), ("", "token [redacted]"));
        assert_eq!(error_body(b"<html/>", None), (String::new(), String::new()));
    }

    #[test]
    fn both_next_link_spellings_are_followed() {
        let d = Microsoft;
        let graph = serde_json::json!({"value": [], "@odata.nextLink": "https://graph.microsoft.com/v1.0/applications?$skiptoken=X"});
        assert!(matches!(d.next_page(&graph), Some(Next::Url(u)) if u.ends_with("skiptoken=X")));
        let arm = serde_json::json!({"value": [], "nextLink": "https://management.azure.com/x?$skiptoken=Y"});
        assert!(matches!(d.next_page(&arm), Some(Next::Url(u)) if u.ends_with("skiptoken=Y")));
        assert_eq!(
            d.next_page(&serde_json::json!({"value": [], "nextLink": ""})),
            None
        );
        assert_eq!(d.next_page(&serde_json::json!({"value": []})), None);
    }
}
