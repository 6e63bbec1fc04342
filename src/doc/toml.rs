//! TOML (Codex `config.toml`) with spans.

use toml::de::{DeTable, DeValue};

use super::{Key, LineIndex, Node, ParseError, Value};

pub fn parse(text: &str) -> Result<Node, ParseError> {
    let lines = LineIndex::new(text);
    let table = DeTable::parse(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| lines.position(s.start));
        ParseError {
            line,
            column,
            message: e.message().to_string(),
        }
    })?;
    let span = table.span();
    let (l, c) = lines.position(span.start);
    Ok(Node::new(l, c, convert_table(table.into_inner(), &lines)))
}

fn convert_table(table: DeTable<'_>, lines: &LineIndex<'_>) -> Value {
    let mut entries: Vec<(Key, Node)> = table
        .into_iter()
        .map(|(k, v)| {
            let (kl, kc) = lines.position(k.span().start);
            let key = Key {
                name: crate::text::display_key(k.into_inner().into_owned()),
                line: kl,
                column: kc,
            };
            let (vl, vc) = lines.position(v.span().start);
            (key, Node::new(vl, vc, convert_value(v.into_inner(), lines)))
        })
        .collect();
    entries.sort_by_key(|(k, _)| (k.line, k.column));
    Value::Map(entries)
}

fn convert_value(value: DeValue<'_>, lines: &LineIndex<'_>) -> Value {
    match value {
        DeValue::String(s) => Value::String(s.into_owned()),
        DeValue::Integer(i) => Value::Number(i.to_string().parse().unwrap_or(f64::NAN)),
        DeValue::Float(f) => Value::Number(f.to_string().parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Value::Bool(b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => Value::Seq(
            items
                .into_iter()
                .map(|v| {
                    let (l, c) = lines.position(v.span().start);
                    Node::new(l, c, convert_value(v.into_inner(), lines))
                })
                .collect(),
        ),
        DeValue::Table(t) => convert_table(t, lines),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_of_tables() {
        let doc = parse("a = 1\n\n[mcp_servers.x]\ncommand = \"npx\"\n").unwrap();
        let cmd = doc.at(&["mcp_servers", "x", "command"]).unwrap();
        assert_eq!(cmd.as_str(), Some("npx"));
        assert_eq!(cmd.line, 4);
    }
}
