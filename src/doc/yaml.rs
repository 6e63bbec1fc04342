//! YAML through `saphyr` (maintained; `serde_yaml` is archived), keeping marks.

use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};

use super::{Key, Node, ParseError, Value};

pub fn parse(text: &str) -> Result<Node, ParseError> {
    parse_keys(text, true)
}

/// Parses our own data (the catalogues, rules and settings): keys as written.
pub fn parse_trusted(text: &str) -> Result<Node, ParseError> {
    parse_keys(text, false)
}

fn parse_keys(text: &str, safe_keys: bool) -> Result<Node, ParseError> {
    Ok(documents(text, safe_keys)?
        .into_iter()
        .next()
        .unwrap_or_else(|| Node::new(1, 1, Value::Null)))
}

/// Every document of a YAML stream (`---` between them), keys made safe to show.
pub fn parse_stream(text: &str) -> Result<Vec<Node>, ParseError> {
    documents(text, true)
}

fn documents(text: &str, safe_keys: bool) -> Result<Vec<Node>, ParseError> {
    if let Some(line) = too_deep(text) {
        return Err(ParseError {
            line,
            column: 1,
            message: format!("nested deeper than {MAX_NESTING} levels; not read"),
        });
    }
    let docs = MarkedYaml::load_from_str(text).map_err(|e| ParseError {
        line: e.marker().line() as u32,
        column: e.marker().col() as u32 + 1,
        message: e.info().to_string(),
    })?;
    Ok(docs
        .into_iter()
        .map(|doc| convert(doc, 0, safe_keys))
        .collect())
}

/// Deeper than any real config; stops stack exhaustion on hostile input.
const MAX_DEPTH: usize = 256;

/// The parser recurses once per level of block nesting (`- - - -`, deeper and deeper
/// indentation) before its own limits apply: a file nested this deep is refused first.
const MAX_NESTING: usize = 1000;

/// The first line whose nesting (indentation, `- ` items opened on it, flow brackets
/// still open) passes [`MAX_NESTING`]. Generous: it only has to stop hostile input.
fn too_deep(text: &str) -> Option<u32> {
    let mut flow: usize = 0;
    for (i, line) in text.lines().enumerate() {
        let rest = line.trim_start_matches(' ');
        let mut depth = line.len() - rest.len();
        let mut rest = rest;
        while let Some(r) = rest
            .strip_prefix("- ")
            .or_else(|| (rest == "-").then_some(""))
        {
            depth += 1;
            rest = r.trim_start_matches(' ');
            if rest.is_empty() {
                break;
            }
        }
        let mut quote: Option<char> = None;
        for c in rest.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => flow += 1,
                (None, ']' | '}') => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
        if depth + flow > MAX_NESTING {
            return Some(i as u32 + 1);
        }
    }
    None
}

fn convert(node: MarkedYaml<'_>, depth: usize, safe_keys: bool) -> Node {
    let line = node.span.start.line() as u32;
    let column = node.span.start.col() as u32 + 1;
    let value = if depth > MAX_DEPTH {
        Value::Null
    } else {
        convert_data(node.data, depth, safe_keys)
    };
    Node::new(line.max(1), column, value)
}

fn convert_data<'a>(data: YamlData<'a, MarkedYaml<'a>>, depth: usize, safe_keys: bool) -> Value {
    match data {
        YamlData::Value(s) => scalar(s),
        YamlData::Representation(text, _, _) => Value::String(text.into_owned()),
        YamlData::Sequence(items) => Value::Seq(
            items
                .into_iter()
                .map(|n| convert(n, depth + 1, safe_keys))
                .collect(),
        ),
        YamlData::Mapping(map) => Value::Map(
            map.into_iter()
                .map(|(k, v)| {
                    let key = Key {
                        line: (k.span.start.line() as u32).max(1),
                        column: k.span.start.col() as u32 + 1,
                        name: if safe_keys {
                            crate::text::display_key(key_text(k.data))
                        } else {
                            key_text(k.data)
                        },
                    };
                    (key, convert(v, depth + 1, safe_keys))
                })
                .collect(),
        ),
        YamlData::Tagged(_, inner) => convert_data(inner.data, depth + 1, safe_keys),
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
mod depth_tests {
    #[test]
    fn hostile_nesting_is_refused_not_a_crash() {
        let deep = format!("{}x\n", "- ".repeat(50_000));
        let e = super::parse(&deep).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(super::parse("a:\n  - b: [1, {c: d}]\n").is_ok());
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
