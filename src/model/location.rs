use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where a human goes to fix something: a file position, or a cloud object URI.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(untagged)]
pub enum Location {
    File {
        /// Path relative to the scanned root it was found under (or as given).
        path: String,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
    },
    Uri {
        /// An ARN, API URL or other identifier of a cloud object.
        uri: String,
    },
}

impl Location {
    pub fn file(path: impl Into<String>, line: u32, column: u32) -> Self {
        Location::File {
            path: path.into(),
            line,
            column,
        }
    }

    /// The line of a file position (0 for an object URI).
    pub fn line(&self) -> u32 {
        match self {
            Location::File { line, .. } => *line,
            Location::Uri { .. } => 0,
        }
    }

    pub fn path(&self) -> Option<&str> {
        match self {
            Location::File { path, .. } => Some(path),
            Location::Uri { .. } => None,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File { path, line, column } => write!(f, "{path}:{line}:{column}"),
            Location::Uri { uri } => f.write_str(uri),
        }
    }
}
