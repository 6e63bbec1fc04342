//! A Google service-account key file (`gcloud iam service-accounts keys create` writes
//! one): a JSON object with `"type": "service_account"`, `private_key_id`,
//! `private_key` and `client_email`. It is one credential, a static key of the account
//! `client_email`, whose id is `private_key_id`: the key id is an identifier Google shows
//! in every key listing, so it is kept to join the file to the exported key. The private
//! key itself is only fingerprinted and redacted.

use super::builder::{Fragment, Site};
use crate::doc::{Format, Node};

/// Records the key file's credential. Returns the line of its `private_key`, so that the
/// secret scanner does not report the same key a second time.
pub(super) fn analyse(text: &str, fragment: &mut Fragment<'_>) -> Option<u32> {
    if !(text.contains("service_account") && text.contains("private_key_id")) {
        return None;
    }
    let doc = crate::doc::parse(text, Format::Json).ok()?;
    if doc.get("type").and_then(Node::as_str) != Some("service_account") {
        return None;
    }
    let key_node = doc.get("private_key")?;
    let key = key_node.as_str().filter(|k| !k.trim().is_empty())?;
    let key_id = doc
        .get("private_key_id")
        .and_then(Node::as_str)
        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit()))?;
    let email = doc
        .get("client_email")
        .and_then(Node::as_str)
        .filter(|e| e.contains('@'));
    fragment.add_gcp_key(Site::at(key_node, None), key, key_id, email);
    Some(key_node.line)
}

/// The prefix of a `holds` edge's target that names a key file rather than an identity:
/// the analysis points it at the credential found in that file (or drops it).
pub const KEY_FILE: &str = "key-file:";

/// `GOOGLE_APPLICATION_CREDENTIALS` in a config's environment: the key file it names,
/// as the scan shows it, when it is a relative path (resolved against the config's
/// folder, where the client starts the server).
pub(super) fn credentials_file(config: &str, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty()
        || value.starts_with('/')
        || value.starts_with('~')
        || value.contains('$')
        || value.contains('{')
    {
        return None;
    }
    let base = config.rsplit_once('/').map_or("", |(d, _)| d);
    Some(super::frameworks::normalize_join(base, value))
}

#[cfg(test)]
mod tests {
    use crate::model::{CredentialKind, Lifetime, Location, Provider, Storage};

    const KEY: &str = "-----BEGIN PRIVATE KEY-----\\nEXAMPLE\\n-----END PRIVATE KEY-----\\n";

    fn file(key: &str) -> String {
        format!(
            "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"example-project\",\n  \
             \"private_key_id\": \"0123456789abcdef0123456789abcdef01234567\",\n  \
             \"private_key\": \"{key}\",\n  \
             \"client_email\": \"Support-Agent@example-project.iam.gserviceaccount.com\",\n  \
             \"client_id\": \"100000000000000000001\"\n}}\n"
        )
    }

    #[test]
    fn a_key_file_is_one_credential_with_its_key_id_never_its_value() {
        let inv = super::super::analyse_text("repo/sa-key.json", &file(KEY));
        assert_eq!(inv.credentials.len(), 1, "{:?}", inv.credentials);
        let c = &inv.credentials[0];
        assert_eq!(c.kind, CredentialKind::GcpServiceAccountKey);
        assert_eq!(c.provider, Provider::Gcp);
        assert_eq!(c.lifetime, Lifetime::Static);
        assert_eq!(c.storage, Storage::Hardcoded);
        assert_eq!(
            c.key_id.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
        assert_eq!(
            c.name.as_deref(),
            Some("Support-Agent@example-project.iam.gserviceaccount.com")
        );
        assert!(c.fingerprint.is_some());
        assert!(c.id.starts_with("secret:"), "{}", c.id);
        assert_eq!(c.locations, [Location::file("repo/sa-key.json", 5, 18)]);
        let shown = serde_json::to_string(&inv).unwrap_or_default();
        assert!(!shown.contains("EXAMPLE"), "{shown}");
    }

    #[test]
    fn a_real_looking_key_is_not_counted_twice_by_the_scanner() {
        let body = "G9SLfnnAakJ5nUBnaqlq7G0exwftQ+7JjexTol2dUwWn+zeBUBanvr8go6SZG4bK";
        let key = format!("-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n");
        let inv = super::super::analyse_text("sa-key.json", &file(&key));
        let kinds: Vec<&str> = inv.credentials.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, ["gcp-service-account-key"]);
        let shown = serde_json::to_string(&inv).unwrap_or_default();
        assert!(!shown.contains(&body[..20]), "{shown}");
        // The same text outside a key file is still the scanner's private key.
        let inv = super::super::analyse_text("notes.txt", &format!("x = \"{key}\"\n"));
        let kinds: Vec<&str> = inv.credentials.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(kinds, ["private-key"]);
    }

    #[test]
    fn the_credentials_file_is_resolved_against_the_config_folder() {
        let f = |c, v| super::credentials_file(c, v);
        assert_eq!(
            f("repo/.mcp.json", "./sa-key.json").as_deref(),
            Some("repo/sa-key.json")
        );
        assert_eq!(
            f("repo/a/.mcp.json", "../k/sa.json").as_deref(),
            Some("repo/k/sa.json")
        );
        assert_eq!(f(".mcp.json", "sa.json").as_deref(), Some("sa.json"));
        assert_eq!(f("repo/.mcp.json", "/etc/sa.json"), None);
        assert_eq!(f("repo/.mcp.json", "${KEY_FILE}"), None);
    }

    #[test]
    fn other_json_is_not_a_key_file() {
        for text in [
            "{\"type\": \"authorized_user\", \"private_key_id\": \"ab\", \"private_key\": \"x\"}",
            "{\"type\": \"service_account\", \"private_key_id\": \"not hex!\", \"private_key\": \"x\"}",
            "{\"type\": \"service_account\", \"private_key_id\": \"ab\"}",
            "[\"service_account\", \"private_key_id\"]",
        ] {
            let inv = super::super::analyse_text("k.json", text);
            assert!(
                inv.credentials
                    .iter()
                    .all(|c| c.kind != CredentialKind::GcpServiceAccountKey),
                "{text}"
            );
        }
    }
}
