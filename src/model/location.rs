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

    /// Where an item of a listing is: `shown` is the listing's name, or the `path:line:col`
    /// of the item when the listing is a file of code (a Terraform resource); line 1 of
    /// the file otherwise.
    pub fn at_listing(shown: &str) -> Self {
        let position = shown.rsplit_once(':').and_then(|(rest, column)| {
            let (path, line) = rest.rsplit_once(':')?;
            Some(Location::file(
                path,
                line.parse().ok()?,
                column.parse().ok()?,
            ))
        });
        position.unwrap_or_else(|| Location::file(shown, 1, 1))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_place_keeps_a_position_when_it_has_one() {
        assert_eq!(
            Location::at_listing("infra/main.tf:33:1"),
            Location::file("infra/main.tf", 33, 1)
        );
        assert_eq!(
            Location::at_listing("az/role-assignments.json"),
            Location::file("az/role-assignments.json", 1, 1)
        );
        // A colon that is not a position stays part of the name.
        assert_eq!(
            Location::at_listing("C:\\exports\\x.json"),
            Location::file("C:\\exports\\x.json", 1, 1)
        );
    }
}
