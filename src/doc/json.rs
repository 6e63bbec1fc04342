//! JSON and JSONC (comments, trailing commas: VS Code's `mcp.json`, AutoGen's `OAI_CONFIG_LIST`).

use jsonc_parser::ast;
use jsonc_parser::{CollectOptions, ParseOptions};

use super::{Key, LineIndex, Node, ParseError, Value};

pub fn parse(text: &str) -> Result<Node, ParseError> {
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
    match parsed.value {
        Some(value) => Ok(convert(value, &lines)),
        None => Err(ParseError {
            line: 1,
            column: 1,
            message: "the file holds no JSON value".into(),
        }),
    }
}

fn convert(value: ast::Value<'_>, lines: &LineIndex<'_>) -> Node {
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
            let items = a.elements.into_iter().map(|v| convert(v, lines)).collect();
            Node::new(l, c, Value::Seq(items))
        }
        ast::Value::Object(o) => {
            let (l, c) = at(o.range.start);
            let entries = o
                .properties
                .into_iter()
                .map(|p| {
                    let (kl, kc) = at(p.range.start);
                    let key = Key {
                        name: p.name.into_string(),
                        line: kl,
                        column: kc,
                    };
                    (key, convert(p.value, lines))
                })
                .collect();
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
