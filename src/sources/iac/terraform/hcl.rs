//! A module's `.tf` files: parsed with `hcl-edit` (which keeps where each block is) and
//! evaluated with `hcl-rs` as far as they are literal.
//!
//! What is evaluated: variable defaults, locals (in any order), `jsonencode`, `tolist`,
//! `toset`, `concat`, `merge`, `lower`, `upper`, templates over those, the JSON of
//! `aws_iam_policy_document` data sources, and references to other resources' names and
//! the ARNs and emails those names make. Anything else (a resource attribute known only
//! at apply, a variable without a default, a function not listed) is kept as the
//! expression written, `${aws_s3_bucket.logs.arn}`, and its argument marked unknown.

use std::collections::{BTreeMap, BTreeSet};

use ::hcl::eval::{Context as Eval, Evaluate, FuncArgs, FuncDef, ParamType};
use ::hcl::{Body, Expression, ObjectKey, TemplateExpr};
use hcl_edit::Span;
use serde_json::{Map, Value};

use super::{Mode, Resource};
use crate::doc::LineIndex;
use crate::model::{Location, SourceError, SourceKind};

/// Brackets nested deeper than this are refused before parsing: the parser and the
/// evaluator recurse, and no configuration nests anywhere near it.
const MAX_DEPTH: usize = 128;

/// A top-level block of one file, with where it starts.
struct Block {
    ident: String,
    labels: Vec<String>,
    body: Body,
    location: Location,
    /// Where each of its arguments is written.
    arguments: BTreeMap<String, Location>,
}

/// The resources and data sources of one module (one folder's `.tf` files), evaluated.
pub fn read_module(
    files: &[(String, String)],
    errors: &mut Vec<SourceError>,
    warnings: &mut Vec<SourceError>,
) -> Vec<Resource> {
    let mut blocks = Vec::new();
    for (shown, text) in files {
        parse_file(shown, text, &mut blocks, errors);
    }
    let mut module = Module::default();
    for block in &blocks {
        module.declare(block);
    }
    module.resources(&blocks, warnings)
}

fn parse_file(shown: &str, text: &str, out: &mut Vec<Block>, errors: &mut Vec<SourceError>) {
    if let Some(offset) = too_deep(text) {
        let (line, column) = LineIndex::new(text).position(offset);
        errors.push(SourceKind::Iac.error(
            format!("{shown}:{line}:{column}"),
            format!("brackets nested deeper than {MAX_DEPTH}: not read"),
        ));
        return;
    }
    let body = match hcl_edit::parser::parse_body(text) {
        Ok(body) => body,
        Err(e) => {
            let at = e.location();
            errors.push(SourceKind::Iac.error(
                format!("{shown}:{}:{}", at.line(), at.column()),
                format!("not valid Terraform (HCL): {}", e.message()),
            ));
            return;
        }
    };
    let lines = LineIndex::new(text);
    for structure in body {
        let hcl_edit::structure::Structure::Block(block) = structure else {
            continue;
        };
        let (line, column) = lines.position(block.span().map_or(0, |s| s.start));
        let arguments = block
            .body
            .iter()
            .filter_map(|s| s.as_attribute())
            .map(|a| {
                let (line, column) = lines.position(a.span().map_or(0, |s| s.start));
                (
                    a.key.as_str().to_string(),
                    Location::file(shown, line, column),
                )
            })
            .collect();
        out.push(Block {
            ident: block.ident.as_str().to_string(),
            labels: block
                .labels
                .iter()
                .map(|l| l.as_str().to_string())
                .collect(),
            body: block.body.into(),
            location: Location::file(shown, line, column),
            arguments,
        });
    }
}

/// The offset where brackets first nest deeper than [`MAX_DEPTH`], if they do.
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// What the module's expressions can refer to, built up in order: variables, locals,
/// resources' names and identifiers, data sources.
#[derive(Default)]
struct Module {
    vars: Map<String, Value>,
    locals: Vec<(String, Expression)>,
    local: Map<String, Value>,
    /// `type → name → attributes` of the managed resources.
    resources: BTreeMap<String, Map<String, Value>>,
    /// `type → name → attributes` of the data sources.
    data: BTreeMap<String, Map<String, Value>>,
    /// What the provider blocks pin (the AWS account, the GitHub owner).
    providers: super::Providers,
}

impl Module {
    fn declare(&mut self, block: &Block) {
        match (block.ident.as_str(), block.labels.as_slice()) {
            ("variable", [name]) => {
                if let Some(default) = attribute(&block.body, "default")
                    && let Ok(value) = default.evaluate(&functions())
                {
                    self.vars.insert(name.clone(), json_of(&value));
                }
            }
            ("locals", []) => {
                for a in block.body.attributes() {
                    self.locals.push((a.key.to_string(), a.expr.clone()));
                }
            }
            ("provider", [name]) if name == "aws" => {
                let ids = attribute(&block.body, "allowed_account_ids")
                    .and_then(|e| e.evaluate(&functions()).ok())
                    .map(|v| json_of(&v));
                if let Some(Value::Array(ids)) = ids
                    && let [Value::String(id)] = ids.as_slice()
                {
                    self.providers.aws_account = Some(id.clone());
                }
            }
            ("provider", [name]) if name == "github" => {
                // `organization` is the provider's deprecated spelling of `owner`.
                let owner = attribute(&block.body, "owner")
                    .or_else(|| attribute(&block.body, "organization"))
                    .and_then(|e| e.evaluate(&self.context()).ok())
                    .map(|v| json_of(&v));
                if let Some(Value::String(owner)) = owner {
                    self.providers.github_owner = Some(owner);
                }
            }
            _ => {}
        }
    }

    /// Evaluates the locals, whatever their order; those that never evaluate stay out.
    fn evaluate_locals(&mut self) {
        let mut pending = std::mem::take(&mut self.locals);
        while !pending.is_empty() {
            let ctx = self.context();
            let before = pending.len();
            let mut evaluated = Vec::new();
            pending.retain(|(name, expr)| match expr.evaluate(&ctx) {
                Ok(value) => {
                    evaluated.push((name.clone(), json_of(&value)));
                    false
                }
                Err(_) => true,
            });
            drop(ctx);
            self.local.extend(evaluated);
            if pending.len() == before {
                break;
            }
        }
    }

    fn context(&self) -> Eval<'_> {
        let mut ctx = functions();
        ctx.declare_var("var", hcl_of(&Value::Object(self.vars.clone())));
        ctx.declare_var("local", hcl_of(&Value::Object(self.local.clone())));
        for (kind, byname) in &self.resources {
            ctx.declare_var(kind.as_str(), hcl_of(&Value::Object(byname.clone())));
        }
        let data: Map<String, Value> = self
            .data
            .iter()
            .map(|(k, v)| (k.clone(), Value::Object(v.clone())))
            .collect();
        ctx.declare_var("data", hcl_of(&Value::Object(data)));
        ctx
    }

    fn resources(mut self, blocks: &[Block], warnings: &mut Vec<SourceError>) -> Vec<Resource> {
        self.evaluate_locals();
        let candidates: Vec<(&Block, Mode, &str, &str)> = blocks
            .iter()
            .filter_map(|b| match (b.ident.as_str(), b.labels.as_slice()) {
                ("resource", [kind, name]) => {
                    Some((b, Mode::Managed, kind.as_str(), name.as_str()))
                }
                ("data", [kind, name]) => Some((b, Mode::Data, kind.as_str(), name.as_str())),
                _ => None,
            })
            .collect();
        // What other resources can refer to: their written arguments and the
        // identifiers those make (an ARN from a role's name).
        let ctx = self.context();
        let mut referable = BTreeMap::<String, Map<String, Value>>::new();
        for (block, mode, kind, name) in &candidates {
            if *mode != Mode::Managed {
                continue;
            }
            let mut unknown = BTreeSet::new();
            let values = body_json(&block.body, &ctx, &mut unknown, "", 0);
            let mut attrs: Map<String, Value> = values
                .into_iter()
                .filter(|(k, _)| !unknown.contains(k))
                .collect();
            super::derive(kind, &format!("{kind}.{name}"), &mut attrs, &self.providers);
            referable
                .entry(kind.to_string())
                .or_default()
                .insert(name.to_string(), Value::Object(attrs));
        }
        drop(ctx);
        for (kind, byname) in referable {
            self.resources.insert(kind, byname);
        }
        self.evaluate_policy_documents(&candidates);
        let ctx = self.context();
        let mut out = Vec::new();
        for (block, mode, kind, name) in candidates {
            if count_is_zero(&block.body, &ctx) {
                continue;
            }
            let mut unknown = BTreeSet::new();
            let mut values = body_json(&block.body, &ctx, &mut unknown, "", 0);
            let prefix = if mode == Mode::Data { "data." } else { "" };
            let address = format!("{prefix}{kind}.{name}");
            if mode == Mode::Managed {
                super::derive(kind, &address, &mut values, &self.providers);
            }
            if attribute(&block.body, "for_each").is_some()
                || attribute(&block.body, "count").is_some()
            {
                warnings.push(SourceKind::Iac.error(
                    block.location.to_string(),
                    format!("{address} has `count` or `for_each`: read as one instance, with the per-instance values as written"),
                ));
            }
            out.push(Resource {
                mode,
                kind: kind.to_string(),
                name: name.to_string(),
                address,
                values,
                unknown,
                location: block.location.clone(),
                arguments: block.arguments.clone(),
            });
        }
        out
    }

    /// Renders every `aws_iam_policy_document` to the JSON Terraform would, in as many
    /// passes as documents refer to each other (`source_policy_documents`).
    fn evaluate_policy_documents(&mut self, candidates: &[(&Block, Mode, &str, &str)]) {
        let docs: Vec<(&Block, &str)> = candidates
            .iter()
            .filter(|(_, mode, kind, _)| *mode == Mode::Data && *kind == "aws_iam_policy_document")
            .map(|(b, _, _, name)| (*b, *name))
            .collect();
        for _ in 0..docs.len().clamp(1, 8) {
            let ctx = self.context();
            let mut rendered = Map::new();
            for (block, name) in &docs {
                let mut unknown = BTreeSet::new();
                let values = body_json(&block.body, &ctx, &mut unknown, "", 0);
                let json = super::aws::policy_document_json(&values);
                let mut attrs = Map::new();
                attrs.insert("json".into(), Value::String(json.clone()));
                attrs.insert("minified_json".into(), Value::String(json));
                rendered.insert(name.to_string(), Value::Object(attrs));
            }
            drop(ctx);
            let changed = self.data.get("aws_iam_policy_document") != Some(&rendered);
            self.data.insert("aws_iam_policy_document".into(), rendered);
            if !changed {
                break;
            }
        }
    }
}

fn attribute<'b>(body: &'b Body, key: &str) -> Option<&'b Expression> {
    body.attributes()
        .find(|a| a.key.as_str() == key)
        .map(|a| &a.expr)
}

/// `count = 0` (or a literal false condition giving 0): the resource is not created.
fn count_is_zero(body: &Body, ctx: &Eval<'_>) -> bool {
    attribute(body, "count")
        .and_then(|e| e.evaluate(ctx).ok())
        .is_some_and(|v| json_of(&v).as_f64() == Some(0.0))
}

/// A block's arguments as JSON, evaluated in place as far as they go; nested blocks as
/// lists of objects. The arguments (by dotted path) that stay partly unevaluated are
/// added to `unknown`.
fn body_json(
    body: &Body,
    ctx: &Eval<'_>,
    unknown: &mut BTreeSet<String>,
    prefix: &str,
    depth: usize,
) -> Map<String, Value> {
    let mut out = Map::new();
    for a in body.attributes() {
        let key = a.key.to_string();
        let mut expr = a.expr.clone();
        let _ = expr.evaluate_in_place(ctx);
        let mut partial = false;
        out.insert(key.clone(), to_json(&expr, &mut partial, 0));
        if partial {
            unknown.insert(format!("{prefix}{key}"));
        }
    }
    if depth >= MAX_DEPTH {
        return out;
    }
    for b in body.blocks() {
        let (ident, inner) = match (b.identifier(), b.labels.first()) {
            // One instance of what a `dynamic` block generates, with its iterator's
            // values as written.
            ("dynamic", Some(label)) => {
                let label = label.as_str().to_string();
                unknown.insert(format!("{prefix}{label}"));
                let content = b.body.blocks().find(|c| c.identifier() == "content");
                match content {
                    Some(c) => (label, &c.body),
                    None => continue,
                }
            }
            (ident, _) => (ident.to_string(), &b.body),
        };
        let nested = body_json(inner, ctx, unknown, &format!("{prefix}{ident}."), depth + 1);
        // An argument and a block of one name: the block is not read.
        if let Value::Array(list) = out.entry(ident).or_insert_with(|| Value::Array(Vec::new())) {
            list.push(Value::Object(nested));
        }
    }
    out
}

/// An expression evaluated in place as JSON: what is literal as itself, the rest as the
/// expression written in `${…}` (and `partial` set).
fn to_json(expr: &Expression, partial: &mut bool, depth: usize) -> Value {
    if depth > MAX_DEPTH {
        *partial = true;
        return Value::String("${…}".into());
    }
    match expr {
        Expression::Null => Value::Null,
        Expression::Bool(b) => Value::Bool(*b),
        Expression::Number(n) => serde_json::to_value(n).unwrap_or(Value::Null),
        Expression::String(s) => Value::String(s.clone()),
        Expression::Array(items) => Value::Array(
            items
                .iter()
                .map(|e| to_json(e, partial, depth + 1))
                .collect(),
        ),
        Expression::Object(object) => Value::Object(
            object
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Identifier(id) => id.to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.clone(),
                        ObjectKey::Expression(e) => match to_json(e, partial, depth + 1) {
                            Value::String(s) => s,
                            other => other.to_string(),
                        },
                        _ => {
                            *partial = true;
                            "${…}".to_string()
                        }
                    };
                    (key, to_json(v, partial, depth + 1))
                })
                .collect(),
        ),
        Expression::Parenthesis(inner) => to_json(inner, partial, depth + 1),
        Expression::FuncCall(call)
            if call.name.namespace.is_empty()
                && call.name.name.as_str() == "jsonencode"
                && call.args.len() == 1 =>
        {
            let inner = to_json(&call.args[0], partial, depth + 1);
            Value::String(inner.to_string())
        }
        Expression::TemplateExpr(template) => {
            *partial = true;
            Value::String(match template.as_ref() {
                TemplateExpr::QuotedString(s) => s.clone(),
                TemplateExpr::Heredoc(h) => h.template.clone(),
            })
        }
        other => {
            *partial = true;
            let written = ::hcl::format::to_string(other).unwrap_or_else(|_| "…".into());
            Value::String(format!("${{{written}}}"))
        }
    }
}

fn json_of(value: &::hcl::Value) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn hcl_of(value: &Value) -> ::hcl::Value {
    ::hcl::to_value(value).unwrap_or(::hcl::Value::Null)
}

/// The functions evaluated: those that only reshape literal values.
fn functions() -> Eval<'static> {
    let mut ctx = Eval::new();
    let any = || FuncDef::builder().param(ParamType::Any);
    ctx.declare_func(
        "jsonencode",
        any().build(|args| Ok(::hcl::Value::String(json_of(&args[0]).to_string()))),
    );
    ctx.declare_func("tolist", any().build(|args| Ok(args[0].clone())));
    ctx.declare_func("toset", any().build(|args| Ok(args[0].clone())));
    ctx.declare_func(
        "lower",
        FuncDef::builder().param(ParamType::String).build(|args| {
            Ok(::hcl::Value::String(
                args[0].as_str().unwrap_or_default().to_lowercase(),
            ))
        }),
    );
    ctx.declare_func(
        "upper",
        FuncDef::builder().param(ParamType::String).build(|args| {
            Ok(::hcl::Value::String(
                args[0].as_str().unwrap_or_default().to_uppercase(),
            ))
        }),
    );
    ctx.declare_func(
        "concat",
        FuncDef::builder()
            .variadic_param(ParamType::array_of(ParamType::Any))
            .build(concat),
    );
    ctx.declare_func(
        "merge",
        FuncDef::builder()
            .variadic_param(ParamType::object_of(ParamType::Any))
            .build(merge),
    );
    ctx
}

fn concat(args: FuncArgs) -> Result<::hcl::Value, String> {
    let mut out = Vec::new();
    for list in args.variadic_args() {
        out.extend(list.as_array().into_iter().flatten().cloned());
    }
    Ok(::hcl::Value::Array(out))
}

fn merge(args: FuncArgs) -> Result<::hcl::Value, String> {
    let mut out = ::hcl::Map::new();
    for object in args.variadic_args() {
        for (k, v) in object.as_object().into_iter().flatten() {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(::hcl::Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<Resource>, Vec<SourceError>) {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let files = [("main.tf".to_string(), text.to_string())];
        (read_module(&files, &mut errors, &mut warnings), errors)
    }

    #[test]
    fn literals_locals_and_references_evaluate_and_the_rest_is_written() {
        let (resources, errors) = read(
            r#"
locals {
  role = "${local.prefix}-role"
  prefix = "agent"
}
variable "bucket" {}
resource "aws_iam_role" "agent" {
  name = local.role
  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "bedrock.amazonaws.com" } }] })
}
resource "aws_iam_role_policy" "p" {
  role = aws_iam_role.agent.name
  policy = data.aws_iam_policy_document.p.json
}
data "aws_iam_policy_document" "p" {
  statement {
    actions   = ["s3:PutObject"]
    resources = ["${var.bucket}/*", aws_s3_bucket.logs.arn]
  }
}
"#,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let role = resources
            .iter()
            .find(|r| r.address == "aws_iam_role.agent")
            .unwrap();
        assert_eq!(role.str("name"), Some("agent-role"));
        assert_eq!(role.location, Location::file("main.tf", 7, 1));
        assert!(role.unknown.is_empty());
        assert!(
            role.str("assume_role_policy")
                .unwrap()
                .contains("bedrock.amazonaws.com")
        );
        let policy = resources
            .iter()
            .find(|r| r.address == "aws_iam_role_policy.p")
            .unwrap();
        assert_eq!(policy.str("role"), Some("agent-role"));
        let doc: Value = serde_json::from_str(policy.str("policy").unwrap()).unwrap();
        let resources = &doc["Statement"][0]["Resource"];
        assert_eq!(
            resources,
            &serde_json::json!(["${var.bucket}/*", "${aws_s3_bucket.logs.arn}"])
        );
    }

    #[test]
    fn bad_and_hostile_files_are_errors_naming_the_line() {
        let (_, errors) = read("resource \"aws_iam_role\" \"x\" {\n  name = \n}\n");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].location.starts_with("main.tf:2:"), "{errors:?}");
        let deep = format!("locals {{ x = {}{} }}", "[".repeat(5000), "]".repeat(5000));
        let (_, errors) = read(&deep);
        assert!(errors[0].message.contains("nested deeper"), "{errors:?}");
    }

    #[test]
    fn count_zero_is_not_created() {
        let (resources, _) =
            read("resource \"aws_iam_user\" \"u\" {\n  count = 0\n  name = \"u\"\n}\n");
        assert!(resources.is_empty());
    }
}
