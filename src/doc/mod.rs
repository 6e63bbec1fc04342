//! Structured documents with positions: JSON (with comments), YAML and TOML parsed into
//! one tree whose every node knows its line and column, so findings point at the exact
//! place in the user's file.

pub mod data;
mod json;
mod lines;
mod toml;
mod yaml;

pub use lines::LineIndex;

/// A parse failure with the position it happened at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct ParseError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// A node of a parsed document.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line of the node's first character.
    pub line: u32,
    /// 1-based column of the node's first character.
    pub column: u32,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Seq(Vec<Node>),
    /// Entries in document order; the key keeps its own position.
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub line: u32,
    pub column: u32,
}

/// The formats we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
    Toml,
}

/// A key given twice in one JSON object: the later one is what clients read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub key: String,
    /// The line of the occurrence that was dropped.
    pub first_line: u32,
    /// The line of the occurrence that was kept.
    pub line: u32,
}

/// Parses like [`parse`], and reports the duplicated keys of JSON objects (YAML and
/// TOML refuse duplicates: those are parse errors).
pub fn parse_with_duplicates(
    text: &str,
    format: Format,
) -> Result<(Node, Vec<Duplicate>), ParseError> {
    match format {
        Format::Json => json::parse_with_duplicates(text),
        other => parse(text, other).map(|n| (n, Vec::new())),
    }
}

/// Parses our own data (catalogues, rules, settings) as YAML: like [`parse`], but mapping
/// keys are kept as written instead of being made safe to show
/// ([`crate::text::display_key`], which needs the secret catalogue parsed first).
pub fn parse_trusted_yaml(text: &str) -> Result<Node, ParseError> {
    yaml::parse_trusted(text)
}

/// Parses `text` as `format`. A YAML stream yields its first document. Mapping keys are
/// made safe to show as they are read: a credential in a key becomes its preview and
/// fingerprint before any id or message is built from it.
pub fn parse(text: &str, format: Format) -> Result<Node, ParseError> {
    match format {
        Format::Json => json::parse(text),
        Format::Yaml => yaml::parse(text),
        Format::Toml => toml::parse(text),
    }
}

/// Every document of a YAML stream (a Kubernetes manifest holds many), keys made safe to
/// show as in [`parse`].
pub fn parse_yaml_stream(text: &str) -> Result<Vec<Node>, ParseError> {
    yaml::parse_stream(text)
}

impl Node {
    pub fn new(line: u32, column: u32, value: Value) -> Self {
        Node {
            line,
            column,
            value,
        }
    }

    /// The value under `key` when this is a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key and value under `key` when this is a map.
    pub fn entry(&self, key: &str) -> Option<(&Key, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.name == key)
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// Follows a path of keys.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// A scalar rendered as text (numbers and booleans too), for values that are
    /// strings to the program that reads them (environment variables, inputs).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(format_number(*n)),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(Key, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// A string, or each string of a sequence: the forms `on:` and `runs-on:` take.
    pub fn strings(&self) -> Vec<&str> {
        match &self.value {
            Value::String(s) => vec![s.as_str()],
            Value::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// Escapes a key for a JSON pointer (RFC 6901).
pub fn pointer_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Why a JSON file could not be read as the type expected: where (line, column, and the
/// field as a path such as `UserDetailList[3].UserName`) and what kind of problem, never
/// the value (serde's own message can quote it: `invalid type: string "ghp_…"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub line: usize,
    pub column: usize,
    /// The field path, when the problem is in a value (empty for syntax errors).
    pub field: String,
    pub kind: &'static str,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if self.line > 0 {
            parts.push(format!("line {}, column {}", self.line, self.column));
        }
        if !self.field.is_empty() && self.field != "." {
            parts.push(format!("field `{}`", self.field));
        }
        if parts.is_empty() {
            f.write_str(self.kind)
        } else {
            write!(f, "{}: {}", parts.join(", "), self.kind)
        }
    }
}

impl std::error::Error for JsonError {}

/// Whether JSON text is a list (after a byte-order mark and white space).
pub fn is_json_list(text: &str) -> bool {
    text.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('[')
}

/// Reads JSON into `T`, with an error that names the place and never a value. A leading
/// byte-order mark (as Windows tools write one) is skipped.
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, JsonError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = result.map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        JsonError {
            line: inner.line(),
            column: inner.column(),
            field,
            kind: json_error_kind(&inner),
        }
    })?;
    de.end().map_err(|e| JsonError {
        line: e.line(),
        column: e.column(),
        field: String::new(),
        kind: "text follows the JSON document",
    })?;
    Ok(value)
}

/// [`from_json`] for a value already parsed (a part of a larger document).
pub fn from_json_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, JsonError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        JsonError {
            line: 0,
            column: 0,
            field,
            kind: json_error_kind(&inner),
        }
    })
}

/// What went wrong in a `serde_json` error, without the input's values: its message can
/// quote them (`invalid type: string "ghp_…"`), so it never leaves the process whole.
pub fn json_error_kind(e: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match e.classify() {
        Category::Io => "the file could not be read",
        Category::Syntax => "not valid JSON",
        Category::Data => "a field is missing or has the wrong type",
        Category::Eof => "the file ends early (truncated?)",
    }
}

/// The keys of a JSON object's top level seen in `head` (the start of a file, perhaps
/// cut short), each with its value when that is a string; `None` when the text is not a
/// JSON object. What recognising an export by content asks, so that a source file or a
/// document that merely mentions an export's keys is not taken for one.
pub fn json_top_level_keys(head: &str) -> Option<Vec<(String, Option<String>)>> {
    let text = head.trim_start_matches('\u{feff}').trim_start();
    let mut chars = text.char_indices().peekable();
    if chars.next().map(|(_, c)| c) != Some('{') {
        return None;
    }
    let mut keys = Vec::new();
    let mut depth = 1usize;
    // At depth 1: a string is a key when it is where a key goes.
    let mut expect_key = true;
    let mut pending_key: Option<String> = None;
    let read_string = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
        let mut s = String::new();
        while let Some((_, c)) = chars.next() {
            match c {
                '"' => return Some(s),
                '\\' => {
                    if let Some((_, e)) = chars.next() {
                        s.push(e);
                    }
                }
                c => s.push(c),
            }
        }
        None
    };
    while let Some((_, c)) = chars.next() {
        match c {
            '"' => {
                let Some(s) = read_string(&mut chars) else {
                    break;
                };
                if depth == 1 {
                    if expect_key {
                        pending_key = Some(s);
                    } else if let Some(k) = pending_key.take() {
                        keys.push((k, Some(s)));
                    }
                }
            }
            ':' if depth == 1 => expect_key = false,
            ',' if depth == 1 => {
                if let Some(k) = pending_key.take() {
                    keys.push((k, None));
                }
                expect_key = true;
            }
            '{' | '[' => {
                if depth == 1
                    && let Some(k) = pending_key.take()
                {
                    keys.push((k, None));
                }
                depth += 1;
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    if let Some(k) = pending_key.take()
        && !expect_key
    {
        keys.push((k, None));
    }
    Some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_name_the_field_not_the_value() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct T {
            list: Vec<String>,
        }
        let e =
            from_json::<T>(r#"{"list": "ghp_0123456789abcdefghij0123456789abcdef"}"#).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("field `list`"), "{text}");
        assert!(!text.contains("ghp_"), "{text}");
        assert_eq!(e.line, 1);
    }

    #[test]
    fn top_level_keys_only() {
        let keys = json_top_level_keys(
            r#"{"schema": "x/v1", "UserDetailList": [{"RoleDetailList": 1}], "n": 3"#,
        )
        .unwrap();
        let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["schema", "UserDetailList", "n"]);
        assert_eq!(keys[0].1.as_deref(), Some("x/v1"));
        assert_eq!(json_top_level_keys("# \"UserDetailList\": []"), None);
        assert_eq!(json_top_level_keys("[{\"a\": 1}]"), None);
        // A nested mention is not a top-level key.
        let keys = json_top_level_keys(r#"{"doc": {"UserDetailList": []}}"#).unwrap();
        assert_eq!(keys.len(), 1);
    }
}
