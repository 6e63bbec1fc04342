//! `terraform show -json` output: a plan (`resource_changes`, each resource's values
//! after the change and which are known only after apply) or a state (`values`).
//! <https://developer.hashicorp.com/terraform/internals/json-format>

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::{Mode, Resource};
use crate::doc::LineIndex;
use crate::model::{Location, SourceError, SourceKind};

/// Child modules nested deeper than this are not read (and reported).
const MAX_MODULE_DEPTH: usize = 64;

/// The resources a plan creates or keeps (after the change), or a state holds.
pub fn read(text: &str, shown: &str, errors: &mut Vec<SourceError>) -> Option<Vec<Resource>> {
    let doc: Value = match crate::doc::from_json(text) {
        Ok(doc) => doc,
        Err(e) => {
            errors.push(SourceKind::Iac.json_error(
                shown,
                &e,
                "not valid `terraform show -json` output",
            ));
            return None;
        }
    };
    let mut places = Places::new(text, shown);
    // The organisation the GitHub provider is configured for, when written literally.
    places.providers.github_owner = doc
        .pointer("/configuration/provider_config/github/expressions/owner/constant_value")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut out = Vec::new();
    if let Some(changes) = doc.get("resource_changes").and_then(Value::as_array) {
        for change in changes {
            let Some(address) = change.get("address").and_then(Value::as_str) else {
                continue;
            };
            let actions = change.pointer("/change/actions").and_then(Value::as_array);
            let deleted = actions.is_some_and(|a| {
                a.iter()
                    .all(|x| x.as_str() == Some("delete") || x.as_str() == Some("forget"))
            });
            let after = change.pointer("/change/after").and_then(Value::as_object);
            let (Some(after), false) = (after, deleted) else {
                continue;
            };
            let mut unknown = BTreeSet::new();
            if let Some(u) = change.pointer("/change/after_unknown") {
                unknown_paths(u, "", &mut unknown, 0);
            }
            out.extend(resource(change, address, after.clone(), unknown, &places));
        }
        return Some(out);
    }
    let root = doc
        .pointer("/planned_values/root_module")
        .or_else(|| doc.pointer("/values/root_module"));
    // An empty state (`terraform show -json` before the first apply) has no values.
    if let Some(root) = root {
        module(root, &places, &mut out, 0, errors);
    }
    Some(out)
}

fn module(
    m: &Value,
    places: &Places<'_>,
    out: &mut Vec<Resource>,
    depth: usize,
    errors: &mut Vec<SourceError>,
) {
    if depth > MAX_MODULE_DEPTH {
        errors.push(SourceKind::Iac.error(
            places.shown,
            format!(
                "child modules nested deeper than {MAX_MODULE_DEPTH}: the deeper ones are not read"
            ),
        ));
        return;
    }
    for r in m
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(address), Some(values)) = (
            r.get("address").and_then(Value::as_str),
            r.get("values").and_then(Value::as_object),
        ) else {
            continue;
        };
        out.extend(resource(
            r,
            address,
            values.clone(),
            BTreeSet::new(),
            places,
        ));
    }
    for child in m
        .get("child_modules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        module(child, places, out, depth + 1, errors);
    }
}

fn resource(
    r: &Value,
    address: &str,
    values: Map<String, Value>,
    unknown: BTreeSet<String>,
    places: &Places<'_>,
) -> Option<Resource> {
    let kind = r.get("type").and_then(Value::as_str)?;
    let name = r.get("name").and_then(Value::as_str)?;
    let mode = match r.get("mode").and_then(Value::as_str) {
        Some("data") => Mode::Data,
        _ => Mode::Managed,
    };
    let mut values = values;
    if mode == Mode::Managed {
        super::derive(kind, address, &mut values, &places.providers);
    }
    Some(Resource {
        mode,
        kind: kind.to_string(),
        name: name.to_string(),
        address: address.to_string(),
        values,
        unknown,
        location: places.of(address),
        arguments: Default::default(),
    })
}

/// `after_unknown`'s `true` leaves, as dotted paths.
fn unknown_paths(v: &Value, prefix: &str, out: &mut BTreeSet<String>, depth: usize) {
    if depth > MAX_MODULE_DEPTH {
        return;
    }
    match v {
        Value::Bool(true) => {
            out.insert(prefix.trim_end_matches('.').to_string());
        }
        Value::Object(map) => {
            for (k, v) in map {
                unknown_paths(v, &format!("{prefix}{k}."), out, depth + 1);
            }
        }
        Value::Array(items) => {
            for v in items {
                unknown_paths(v, prefix, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// Where each address is first written in the file: a plan has no lines of its own, so a
/// finding points at the resource's entry.
struct Places<'a> {
    shown: &'a str,
    first: HashMap<String, (u32, u32)>,
    /// What the plan's provider configurations pin.
    providers: super::Providers,
}

impl<'a> Places<'a> {
    fn new(text: &str, shown: &'a str) -> Self {
        let lines = LineIndex::new(text);
        let mut first = HashMap::new();
        let pattern = "\"address\"";
        let mut from = 0;
        while let Some(i) = text[from..].find(pattern) {
            let at = from + i;
            from = at + pattern.len();
            let rest = text[from..].trim_start();
            let Some(rest) = rest.strip_prefix(':') else {
                continue;
            };
            let rest = rest.trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            let Some(end) = rest.find('"') else {
                continue;
            };
            first
                .entry(rest[..end].to_string())
                .or_insert_with(|| lines.position(at));
        }
        Places {
            shown,
            first,
            providers: Default::default(),
        }
    }

    fn of(&self, address: &str) -> Location {
        let (line, column) = self.first.get(address).copied().unwrap_or((1, 1));
        Location::file(self.shown, line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_gives_what_is_created_and_what_is_unknown() {
        let text = r#"{
  "format_version": "1.2",
  "resource_changes": [
    {
      "address": "aws_iam_role.agent",
      "mode": "managed", "type": "aws_iam_role", "name": "agent",
      "change": {"actions": ["create"], "after": {"name": "agent"}, "after_unknown": {"arn": true, "tags_all": {}}}
    },
    {
      "address": "aws_iam_user.gone",
      "mode": "managed", "type": "aws_iam_user", "name": "gone",
      "change": {"actions": ["delete"], "before": {"name": "gone"}, "after": null}
    }
  ]
}"#;
        let mut errors = Vec::new();
        let resources = read(text, "plan.json", &mut errors).unwrap();
        assert_eq!(resources.len(), 1);
        assert_eq!(resources[0].location, Location::file("plan.json", 5, 7));
        assert!(resources[0].unknown.contains("arn"));
        assert!(read("{\"format_version\": [", "plan.json", &mut errors).is_none());
        assert!(errors[0].location.starts_with("plan.json:1:"), "{errors:?}");
    }
}
