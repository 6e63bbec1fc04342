//! YAML through `saphyr` (maintained; `serde_yaml` is archived), keeping marks.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use super::{Key, Node, ParseError, Value};

pub fn parse(text: &str) -> Result<Node, ParseError> {
    let docs = MarkedYaml::load_from_str(text).map_err(|e| ParseError {
        line: e.marker().line() as u32,
        column: e.marker().col() as u32 + 1,
        message: e.info().to_string(),
    })?;
    Ok(match docs.into_iter().next() {
        Some(doc) => convert(doc, 0),
        None => Node::new(1, 1, Value::Null),
    })
}

/// Deeper than any real config; stops stack exhaustion on hostile input.
const MAX_DEPTH: usize = 256;

fn convert(node: MarkedYaml<'_>, depth: usize) -> Node {
    let line = node.span.start.line() as u32;
    let column = node.span.start.col() as u32 + 1;
    let value = if depth > MAX_DEPTH {
        Value::Null
    } else {
        convert_data(node.data, depth)
    };
    Node::new(line.max(1), column, value)
}

fn convert_data<'a>(data: YamlData<'a, MarkedYaml<'a>>, depth: usize) -> Value {
    match data {
        YamlData::Value(s) => scalar(s),
        YamlData::Representation(text, _, _) => Value::String(text.into_owned()),
        YamlData::Sequence(items) => {
            Value::Seq(items.into_iter().map(|n| convert(n, depth + 1)).collect())
        }
        YamlData::Mapping(map) => Value::Map(
            map.into_iter()
                .map(|(k, v)| {
                    let key = Key {
                        line: (k.span.start.line() as u32).max(1),
                        column: k.span.start.col() as u32 + 1,
                        name: key_text(k.data),
                    };
                    (key, convert(v, depth + 1))
                })
                .collect(),
        ),
        YamlData::Tagged(_, inner) => convert_data(inner.data, depth + 1),
        YamlData::Alias(_) | YamlData::BadValue => Value::Null,
    }
}

fn scalar(s: Scalar<'_>) -> Value {
    match s {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(b),
        Scalar::Integer(i) => Value::Number(i as f64),
        Scalar::FloatingPoint(f) => Value::Number(f.into_inner()),
        Scalar::String(s) => Value::String(s.into_owned()),
    }
}

/// Keys are read as text: `on:` is the key "on" to GitHub, not the boolean true.
fn key_text<'a>(data: YamlData<'a, MarkedYaml<'a>>) -> String {
    match data {
        YamlData::Value(Scalar::String(s)) => s.into_owned(),
        YamlData::Value(Scalar::Boolean(b)) => {
            if b {
                "on".into()
            } else {
                "off".into()
            }
        }
        YamlData::Value(Scalar::Integer(i)) => i.to_string(),
        YamlData::Value(Scalar::FloatingPoint(f)) => f.to_string(),
        YamlData::Value(Scalar::Null) => String::new(),
        YamlData::Representation(text, _, _) => text.into_owned(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions() {
        let doc = parse("on:\n  push:\njobs:\n  a:\n    runs-on: x\n").unwrap();
        let (k, jobs) = doc.entry("jobs").unwrap();
        assert_eq!((k.line, k.column), (3, 1));
        let runs = jobs.at(&["a", "runs-on"]).unwrap();
        assert_eq!((runs.line, runs.column), (5, 14));
        assert!(doc.get("on").is_some());
    }

    #[test]
    fn reports_syntax_errors_with_a_line() {
        let err = parse("a: [1, 2\nb: c\n").unwrap_err();
        assert!(err.line >= 1, "{err}");
    }
}
