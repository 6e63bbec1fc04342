//! `.env` files: `NAME=value` lines whose names or values carry credentials.

use super::builder::{Fragment, Site};

pub fn analyse(text: &str, fragment: &mut Fragment<'_>) {
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            continue;
        }
        let value = unquote(value.trim());
        let column = raw.len() - raw.trim_start().len() + 1;
        let site = Site {
            name: Some(name),
            line: i as u32 + 1,
            column: column as u32,
        };
        fragment.observe_value(None, site, value);
    }
}

/// `"value"`, `'value'`, or `value # comment`.
fn unquote(value: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(rest) = value.strip_prefix(q) {
            return rest.find(q).map_or(rest, |end| &rest[..end]);
        }
    }
    match value.find(" #") {
        Some(i) => value[..i].trim_end(),
        None => value,
    }
}

#[cfg(test)]
mod tests {
    use super::unquote;

    #[test]
    fn values() {
        assert_eq!(unquote("\"a b\" # c"), "a b");
        assert_eq!(unquote("'x'"), "x");
        assert_eq!(unquote("abc # comment"), "abc");
    }
}
