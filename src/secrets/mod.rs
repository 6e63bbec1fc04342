//! Credentials in text and in config values: which provider formats occur
//! ([`SecretScanner`]), whether a config value is a literal, a reference or a placeholder
//! ([`classify_value`]), what a variable name carries ([`hint_for_name`]), and how to name a
//! secret in output without showing it ([`fingerprint`], [`redact`]).
//!
//! The patterns and the name table are data: `data/secret-patterns.yaml`, embedded in the
//! binary. Each pattern carries positive and negative examples that the unit tests run.
//!
//! A secret value never leaves this module's callers' process: use [`fingerprint`] and
//! [`redact`] for anything that is printed or stored.

mod catalog;
mod classify;
mod detect;
mod fingerprint;
mod names;
mod scanner;
mod spelling;

pub use catalog::{CatalogError, Pattern};
pub use classify::{RefSyntax, ValueClass, classify_value};
pub use detect::{
    DATABASE_URL_PATTERN_ID, Detection, SECRET_NAME_PATTERN_ID, URL_PASSWORD_PATTERN_ID,
    detect_literal, url_password,
};
pub use fingerprint::{FINGERPRINT_KEY_ENV, fingerprint, redact};
pub use names::{NameHint, hint_for_name, is_secret_name};
pub use scanner::{SecretMatch, SecretScanner};
