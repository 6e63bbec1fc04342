//! The secrets a job receives: `secrets.X` (and `github.token`) where it is passed on,
//! not where it is only tested.

use super::*;

/// The secrets a job receives: every `secrets.X` in the job and the workflow env, not
/// the ones only tested (`if: secrets.X != ''`). In a called workflow, `secrets.X` is
/// only what the caller hands over: its `secrets:` map and `with:` (already the
/// caller's names), and with `secrets: inherit` the callee's own references by name.
pub(super) fn job_refs(ctx: &JobCtx<'_>) -> Vec<SecretRef> {
    let mut refs = Vec::new();
    collect_refs_in(&ctx.file, ctx.job, &mut refs);
    if let Some(env) = ctx.wf.env {
        collect_refs_in(&ctx.file, env, &mut refs);
    }
    let Some(c) = ctx.caller else { return refs };
    let mut out = Vec::new();
    collect_refs_in(c.file, c.job, &mut out);
    out.extend(
        refs.into_iter()
            .filter(|r| r.name == "GITHUB_TOKEN" || c.inherit),
    );
    out
}

/// A `secrets.NAME` (or `github.token`) found in a job, with where and under which key.
pub(super) struct SecretRef {
    pub file: String,
    pub name: String,
    pub assigned_to: Option<String>,
    pub line: u32,
    pub column: u32,
}

static SECRET_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_-]*)|\[\s*['"]([A-Za-z_][A-Za-z0-9_-]*)['"]\s*\])|\bgithub\.token\b"#)
        .expect("static regex")
});

/// `secrets.X` compared with something (`secrets.X != ''`) is tested, not passed on.
static TESTED_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*(?:[!=]=|&&|\|\|)|^\s*\)\s*(?:[!=]=)"#).expect("static regex")
});

pub(super) fn collect_refs(node: &Node, out: &mut Vec<SecretRef>) {
    collect_refs_in("", node, out);
}

pub(super) fn collect_refs_in(file: &str, node: &Node, out: &mut Vec<SecretRef>) {
    walk_strings(node, None, &mut |key, n, text| {
        if !text.contains("secrets") && !text.contains("github.token") {
            return;
        }
        // `if:` conditions only test secrets.
        if key == Some("if") {
            return;
        }
        for c in SECRET_RE.captures_iter(text) {
            let end = c.get(0).map_or(0, |m| m.end());
            let start = c.get(0).map_or(0, |m| m.start());
            let before = text[..start].trim_end();
            if TESTED_RE.is_match(&text[end..]) || before.ends_with("==") || before.ends_with("!=")
            {
                continue;
            }
            let name = c
                .get(1)
                .or_else(|| c.get(2))
                .map_or("GITHUB_TOKEN", |m| m.as_str());
            out.push(SecretRef {
                file: file.to_string(),
                name: name.to_string(),
                assigned_to: key.map(str::to_string),
                line: n.line,
                column: n.column,
            });
        }
    });
}

pub(super) fn walk_strings<'n>(
    node: &'n Node,
    key: Option<&'n str>,
    f: &mut dyn FnMut(Option<&'n str>, &'n Node, &'n str),
) {
    match &node.value {
        Value::String(s) => f(key, node, s),
        Value::Seq(items) => items.iter().for_each(|i| walk_strings(i, key, f)),
        Value::Map(entries) => entries
            .iter()
            .for_each(|(k, v)| walk_strings(v, Some(k.name.as_str()), f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tested_secrets_are_not_held() {
        let doc = crate::doc::parse(
            "if: secrets.A != ''\nenv:\n  HAS: ${{ secrets.B != '' }}\n  KEY: ${{ secrets.C }}\n",
            Format::Yaml,
        )
        .unwrap();
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        let names: Vec<&str> = refs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["C"]);
    }
}
