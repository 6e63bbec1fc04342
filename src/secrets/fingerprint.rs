//! Fingerprints and previews: how a secret is named in output without being shown.

use sha2::Sha256;

/// Domain separation: these fingerprints mean nothing outside nhi-audit, and `v1` leaves room
/// to change the scheme without old baselines silently matching new values.
const SALT: &str = "nhi-audit/fingerprint/v1";

/// Enough work per guess that brute-forcing a short password back from a published
/// fingerprint is slow, while fingerprinting the few secrets in a repository stays cheap.
const ITERATIONS: u32 = 20_000;

/// Environment variable with an organisation-wide pepper for fingerprints.
pub const FINGERPRINT_KEY_ENV: &str = "NHI_AUDIT_FINGERPRINT_KEY";

/// A stable, non-reversible fingerprint of a secret: `fp1:` + 16 hex digits.
///
/// PBKDF2-HMAC-SHA256 over the secret with the fixed salt `nhi-audit/fingerprint/v1` and
/// 20 000 iterations, truncated to 64 bits. The same secret gives the same fingerprint on
/// every run and machine, so baselines and cross-source joins ("the same key in two
/// configs") work, while the iterations make guessing a short password back expensive.
///
/// If `NHI_AUDIT_FINGERPRINT_KEY` is set (and not empty), its value is appended to the
/// salt: an organisation-wide pepper, so fingerprints published in reports cannot be
/// checked against guesses by anyone who lacks it. Every run that writes or reads a
/// baseline must then use the same pepper. Nothing is cached between calls.
pub fn fingerprint(secret: &str) -> String {
    let mut salt = SALT.as_bytes().to_vec();
    if let Ok(pepper) = std::env::var(FINGERPRINT_KEY_ENV) {
        salt.extend_from_slice(pepper.as_bytes());
    }
    fingerprint_with_salt(secret, &salt)
}

fn fingerprint_with_salt(secret: &str, salt: &[u8]) -> String {
    let mut out = [0u8; 8];
    pbkdf2::pbkdf2_hmac::<Sha256>(secret.as_bytes(), salt, ITERATIONS, &mut out);
    format!("fp1:{}", hex::encode(out))
}

/// Values shorter than this show no characters at all in a preview.
const MIN_SHOWN_LEN: usize = 12;
/// At most this many leading characters are shown.
const MAX_SHOWN: usize = 4;

/// A preview safe to print: a few leading characters and the length, e.g.
/// `sk-p…(51 chars)`. At most 4 characters and never more than a quarter of the value are
/// shown; values under 12 characters show none (`…(8 chars)`).
pub fn redact(secret: &str) -> String {
    let len = secret.chars().count();
    let shown = if len < MIN_SHOWN_LEN {
        0
    } else {
        MAX_SHOWN.min(len / 4)
    };
    // Control characters (a key block's line breaks) would break the one-line preview.
    let prefix: String = secret
        .chars()
        .take(shown)
        .map(|c| if c.is_control() { '·' } else { c })
        .collect();
    format!("{prefix}…({len} chars)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable() {
        // Computed once (and cross-checked with Python's `hashlib.pbkdf2_hmac`); baselines
        // written by earlier versions depend on these values.
        assert_eq!(
            fingerprint_with_salt("ghp_z8A7HrXe0RSK88j4EXAMPLEzULqJXArzP5JI", SALT.as_bytes()),
            "fp1:8162289ebe2bdc3d"
        );
        assert_eq!(
            fingerprint_with_salt("admin", SALT.as_bytes()),
            "fp1:8c46385e5561d65c"
        );
        // Without a pepper, the public function is the same computation.
        if std::env::var_os(FINGERPRINT_KEY_ENV).is_none() {
            assert_eq!(fingerprint("admin"), "fp1:8c46385e5561d65c");
        }
    }

    #[test]
    fn fingerprint_shape_and_separation() {
        let a = fingerprint_with_salt("admin", SALT.as_bytes());
        let b = fingerprint_with_salt("admin1", SALT.as_bytes());
        assert_ne!(a, b);
        assert!(a.starts_with("fp1:") && a.len() == 20, "{a}");
        assert!(a[4..].chars().all(|c| c.is_ascii_hexdigit()));
        assert!(!a.contains("admin"));
        // A pepper changes every fingerprint.
        let peppered = fingerprint_with_salt("admin", b"nhi-audit/fingerprint/v1org-pepper");
        assert_ne!(a, peppered);
    }

    #[test]
    fn fingerprint_never_contains_the_input() {
        for secret in [
            "admin",
            "deadbeef",
            "0123456789abcdef",
            "fp1:0000",
            "ghp_z8A7HrXe0RSK88j4EXAMPLEzULqJXArzP5JI",
        ] {
            let fp = fingerprint_with_salt(secret, SALT.as_bytes());
            assert!(!fp.contains(secret), "{secret} in {fp}");
        }
    }

    #[test]
    fn redact_shows_little() {
        assert_eq!(
            redact("sk-proj-0123456789012345678901234567890123456789abc"),
            "sk-p…(51 chars)"
        );
        assert_eq!(redact("hunter22"), "…(8 chars)");
        assert_eq!(redact(""), "…(0 chars)");
        assert_eq!(redact("abcdefghijk"), "…(11 chars)");
        assert_eq!(redact("abcdefghijkl"), "abc…(12 chars)");
        assert_eq!(redact("\nMIIEabcdefghijkl"), "·MII…(17 chars)");
        for len in 0..64 {
            let secret: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let shown = redact(&secret)
                .split('…')
                .next()
                .unwrap_or("")
                .chars()
                .count();
            assert!(shown <= 4 && shown * 4 <= len, "{len}: {}", redact(&secret));
        }
    }
}
