//! Message templates: `{{ credential.id }}` filled from the facts a rule was judged on.

use serde_json::Value;

/// The variable paths a template uses, in order.
pub fn variables(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        out.push(after[..end].trim().to_string());
        rest = &after[end + 2..];
    }
    out
}

/// Fills a template; a missing value renders as `-`. `agent.…` paths read `agent`, the
/// others `context`.
pub fn render(template: &str, context: &Value, agent: Option<&Value>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let path = after[..end].trim();
        let (root, tail) = path.split_once('.').unwrap_or((path, ""));
        let text = match (root, agent) {
            ("agent", Some(a)) if tail.is_empty() => lookup_value(Some(a)),
            ("agent", Some(a)) => lookup(a, tail),
            ("agent", None) => "-".to_string(),
            _ => lookup(context, path),
        };
        out.push_str(&text);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The text values at a template path (`agent.facts.x.*.at`), each once, in order: what a
/// rule's `locations` reads.
pub fn values(path: &str, context: &Value, agent: Option<&Value>) -> Vec<String> {
    let (root, tail) = path.split_once('.').unwrap_or((path, ""));
    let (base, rest) = match (root, agent) {
        ("agent", Some(a)) => (a, tail),
        ("agent", None) => return Vec::new(),
        _ => (context, path),
    };
    let mut out = Vec::new();
    collect(base, rest, &mut out);
    out
}

fn collect(value: &Value, path: &str, out: &mut Vec<String>) {
    if let Some((list, field)) = path.split_once(".*.") {
        if let Some(Value::Array(items)) = find(value, list) {
            for item in items {
                collect(item, field, out);
            }
        }
        return;
    }
    let found = if path.is_empty() {
        Some(value)
    } else {
        find(value, path)
    };
    let mut push = |s: &str| {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    };
    match found {
        Some(Value::String(s)) => push(s),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).for_each(push),
        _ => {}
    }
}

fn lookup(context: &Value, path: &str) -> String {
    // `list.*.name`: the name of every item, each once, in order.
    if let Some((list, field)) = path.split_once(".*.") {
        let mut seen = Vec::new();
        if let Some(Value::Array(items)) = find(context, list) {
            for item in items {
                let text = lookup(item, field);
                if text != "-" && !seen.contains(&text) {
                    seen.push(text);
                }
            }
        }
        return if seen.is_empty() {
            "-".into()
        } else {
            seen.join(", ")
        };
    }
    lookup_value(find(context, path))
}

/// The value at a dotted path; numbers index arrays (`list.0.name`).
fn find<'v>(context: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(context, |v, key| match (v, key.parse::<usize>()) {
            (Value::Array(items), Ok(i)) => items.get(i),
            _ => v.get(key),
        })
}

fn lookup_value(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "-".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_paths_lists_and_missing_values() {
        let agent = json!({"name": "a", "facts": {"t": ["x", "y"]}});
        let ctx = json!({"credential": null, "chain": {"hops": ["h1", "h2"]}});
        assert_eq!(
            render(
                "{{ agent.name }} on {{agent.facts.t}}; {{ credential.id }}; {{ chain.hops.1 }}",
                &ctx,
                Some(&agent)
            ),
            "a on x, y; -; h2"
        );
        assert_eq!(render("{{ agent.name }}", &ctx, None), "-");
        let ctx = json!({"p": [{"n": "a", "r": 1}, {"n": "b"}, {"n": "a"}], "e": []});
        assert_eq!(
            render("{{ p.*.n }}; {{ p.*.r }}; {{ e.*.n }}", &ctx, None),
            "a, b; 1; -"
        );
        assert_eq!(variables("{{ a.b }} and {{c}}"), vec!["a.b", "c"]);
    }
}
