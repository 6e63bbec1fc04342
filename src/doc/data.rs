//! Reading the data files shipped in the binary (`data/*.yaml`): one parse, required
//! fields, and errors that name the file and line. What both catalogues share.

use super::Node;

/// A data file that does not say what its reader needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct DataError {
    pub file: &'static str,
    pub line: u32,
    pub message: String,
}

/// A parsed data file, and its name for errors.
pub struct DataFile {
    pub file: &'static str,
    pub root: Node,
}

impl DataFile {
    pub fn parse(file: &'static str, text: &str) -> Result<Self, DataError> {
        let root = super::parse_trusted_yaml(text).map_err(|e| DataError {
            file,
            line: e.line,
            message: e.message,
        })?;
        Ok(DataFile { file, root })
    }

    pub fn error(&self, line: u32, message: impl Into<String>) -> DataError {
        DataError {
            file: self.file,
            line,
            message: message.into(),
        }
    }

    /// The items of the top-level list `key` (none when it is absent).
    pub fn items(&self, key: &str) -> &[Node] {
        self.root.get(key).map(Node::items).unwrap_or_default()
    }

    /// `key` of `node` as text (a string, number or boolean), or an error naming it.
    pub fn field(&self, node: &Node, key: &str) -> Result<String, DataError> {
        node.get(key)
            .and_then(Node::scalar_text)
            .ok_or_else(|| self.error(node.line, format!("`{key}` is missing")))
    }
}

/// The scalar items of list `key` of `node`, as text (none when it is absent).
pub fn strings(node: &Node, key: &str) -> Vec<String> {
    node.get(key)
        .map(|n| n.items().iter().filter_map(Node::scalar_text).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_field_names_the_file_and_the_line_of_its_item() {
        let data = DataFile::parse("data/x.yaml", "apps:\n  - slug: a\n  - product: b\n").unwrap();
        let items = data.items("apps");
        assert_eq!(data.field(&items[0], "slug").unwrap(), "a");
        let err = data.field(&items[1], "slug").unwrap_err();
        assert_eq!(err.to_string(), "data/x.yaml:3: `slug` is missing");
    }

    #[test]
    fn a_file_that_is_not_yaml_names_the_file() {
        let Err(err) = DataFile::parse("data/x.yaml", "a: [\n") else {
            panic!("parsed");
        };
        assert!(err.to_string().starts_with("data/x.yaml:"), "{err}");
    }
}
