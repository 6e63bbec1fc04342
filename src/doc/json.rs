//! JSON and JSONC (comments, trailing commas: VS Code's `mcp.json`, AutoGen's `OAI_CONFIG_LIST`).

use jsonc_parser::ast;
use jsonc_parser::{CollectOptions, ParseOptions};

use super::{Duplicate, Key, LineIndex, Node, ParseError, Value};

pub fn parse(text: &str) -> Result<Node, ParseError> {
    parse_with_duplicates(text).map(|(node, _)| node)
}

/// Parses, keeping the last of duplicated keys (as `JSON.parse` and Python's `json`,
/// which MCP clients use, do) and reporting each duplicate.
pub fn parse_with_duplicates(text: &str) -> Result<(Node, Vec<Duplicate>), ParseError> {
    let lines = LineIndex::new(text);
    let options = ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        ..ParseOptions::default()
    };
    let parsed =
        jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options).map_err(|e| {
            let (line, column) = lines.position(e.range().start);
            ParseError {
                line,
                column,
                message: e.kind().to_string(),
            }
        })?;
    let mut duplicates = Vec::new();
    match parsed.value {
        Some(value) => Ok((convert(value, &lines, &mut duplicates), duplicates)),
        None => Err(ParseError {
            line: 1,
            column: 1,
            message: "the file holds no JSON value".into(),
        }),
    }
}

fn convert(value: ast::Value<'_>, lines: &LineIndex<'_>, dups: &mut Vec<Duplicate>) -> Node {
    let at = |offset: usize| lines.position(offset);
    match value {
        ast::Value::StringLit(s) => {
            let (l, c) = at(s.range.start);
            Node::new(l, c, Value::String(s.value.into_owned()))
        }
        ast::Value::NumberLit(n) => {
            let (l, c) = at(n.range.start);
            let v = n.value.parse::<f64>().unwrap_or(f64::NAN);
            Node::new(l, c, Value::Number(v))
        }
        ast::Value::BooleanLit(b) => {
            let (l, c) = at(b.range.start);
            Node::new(l, c, Value::Bool(b.value))
        }
        ast::Value::NullKeyword(n) => {
            let (l, c) = at(n.range.start);
            Node::new(l, c, Value::Null)
        }
        ast::Value::Array(a) => {
            let (l, c) = at(a.range.start);
            let items = a
                .elements
                .into_iter()
                .map(|v| convert(v, lines, dups))
                .collect();
            Node::new(l, c, Value::Seq(items))
        }
        ast::Value::Object(o) => {
            let (l, c) = at(o.range.start);
            let mut entries: Vec<(Key, Node)> = Vec::with_capacity(o.properties.len());
            // Position of each key in `entries`, so duplicates cost no scan.
            let mut seen: std::collections::HashMap<String, usize> = Default::default();
            for p in o.properties {
                let (kl, kc) = at(p.range.start);
                let key = Key {
                    name: crate::text::display_key(p.name.into_string()),
                    line: kl,
                    column: kc,
                };
                let value = convert(p.value, lines, dups);
                match seen.get(&key.name) {
                    Some(&i) => {
                        dups.push(Duplicate {
                            key: key.name.clone(),
                            first_line: entries[i].0.line,
                            line: key.line,
                        });
                        entries[i] = (key, value);
                    }
                    None => {
                        seen.insert(key.name.clone(), entries.len());
                        entries.push((key, value));
                    }
                }
            }
            Node::new(l, c, Value::Map(entries))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_and_accepts_comments() {
        let doc = parse("{\n  // a comment\n  \"a\": {\"b\": [1, \"x\",],},\n}").unwrap();
        let (key, a) = doc.entry("a").unwrap();
        assert_eq!((key.line, key.column), (3, 3));
        let b = a.get("b").unwrap();
        assert_eq!(b.items()[1].as_str(), Some("x"));
        assert_eq!((b.items()[1].line, b.items()[1].column), (3, 18));
    }

    #[test]
    fn reports_the_position_of_a_syntax_error() {
        let err = parse("{\n  \"a\": 1\n  \"b\": 2\n}").unwrap_err();
        assert_eq!(err.line, 2, "the comma is missing at the end of line 2");
    }
}
