//! Is a config value a secret written in the file, a reference to one held elsewhere, or a
//! placeholder someone left for the reader to fill in?

use std::sync::LazyLock;

use regex::Regex;

/// What a config value is, as far as secrets go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueClass<'a> {
    /// Nothing there (empty or whitespace).
    Empty,
    /// Points at a value held elsewhere. `name` is the variable, input or secret name (for
    /// [`RefSyntax::Other`], the expression inside the template braces).
    Reference { syntax: RefSyntax, name: &'a str },
    /// Left for someone to fill in: `your-key-here`, `<API_KEY>`, `xxx`, `sk-...`, `changeme`.
    Placeholder,
    /// Anything else: the value itself is written in the file.
    Literal,
}

/// The syntax of a reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefSyntax {
    /// The process environment: `${VAR}`, `$VAR`, `${env:VAR}`, `${VAR:-default}`, `%VAR%`,
    /// `$(VAR)`, `{env:VAR}`, and a workflow's `${{ env.VAR }}`.
    Env,
    /// Prompted from the user at start: VS Code `${input:id}`.
    Input,
    /// A GitHub Actions secret: `${{ secrets.NAME }}`. `secrets.GITHUB_TOKEN` is the
    /// workflow token, but keeps this syntax and its name: callers decide what it means.
    GithubSecret,
    /// A GitHub Actions variable `${{ vars.NAME }}`, or the workflow token
    /// `${{ github.token }}` (name `GITHUB_TOKEN`).
    GithubVar,
    /// Another template or lookup: `${user_config.api_key}`, `{{ .Values.x }}`,
    /// `${{ steps.x.outputs.token }}`, `${workspaceFolder}`, `op://vault/item/field`.
    Other,
}

/// Classifies a config value. A reference anywhere in the value wins (`Bearer ${TOKEN}` is a
/// reference to `TOKEN`); then placeholders; everything else is a literal.
pub fn classify_value(value: &str) -> ValueClass<'_> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return ValueClass::Empty;
    }
    if let Some((syntax, name)) = find_reference(trimmed) {
        return ValueClass::Reference { syntax, name };
    }
    if is_placeholder(trimmed) {
        return ValueClass::Placeholder;
    }
    ValueClass::Literal
}

/// One scan for every reference syntax; the leftmost wins.
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?x)
          \$\{\{(?P<gh>.*?)\}\}                              # ${{ github expression }}
        | \$\{(?P<brace>[^{}]*)\}                            # ${VAR}, ${env:X}, ${input:x}, ${a.b}
        | \$\((?P<paren>[A-Za-z_][A-Za-z0-9_]*)\)            # $(VAR)
        | \{\{(?P<tpl>.*?)\}\}                               # {{ template }}
        | \{env:(?P<ocenv>[A-Za-z_][A-Za-z0-9_]*)\}          # {env:VAR}
        | %(?P<win>[A-Za-z_][A-Za-z0-9_]{2,})%               # %VAR%
        | (?:^|[\s"'=:/@,;(\[])\$(?P<bare>[A-Z_][A-Z0-9_]*)\b  # $VAR after a separator
        | (?P<op>\bop://[^\s"']+)                            # 1Password secret reference
        "#,
    )
    .expect("reference regex is valid")
});

static GH_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\bsecrets\s*(?:\.\s*(?P<a>[A-Za-z_][A-Za-z0-9_-]*)|\[\s*['"](?P<b>[^'"]+)['"]\s*\])"#,
    )
    .expect("secrets regex is valid")
});
static GH_VAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bvars\s*\.\s*(?P<a>[A-Za-z_][A-Za-z0-9_-]*)").expect("vars regex is valid")
});
static GH_TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bgithub\s*\.\s*token\b").expect("token regex is valid"));
static GH_ENV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\benv\s*\.\s*(?P<a>[A-Za-z_][A-Za-z0-9_]*)").expect("env regex is valid")
});

/// VS Code's predefined variables: they look like `${VAR}` but are not the environment.
const VSCODE_VARIABLES: &[&str] = &[
    "workspaceFolder",
    "workspaceFolderBasename",
    "workspaceRoot",
    "userHome",
    "file",
    "fileWorkspaceFolder",
    "relativeFile",
    "relativeFileDirname",
    "fileBasename",
    "fileBasenameNoExtension",
    "fileExtname",
    "fileDirname",
    "fileDirnameBasename",
    "cwd",
    "lineNumber",
    "selectedText",
    "execPath",
    "defaultBuildTask",
    "pathSeparator",
    "/",
];

fn find_reference(value: &str) -> Option<(RefSyntax, &str)> {
    if let Some(name) = value.strip_prefix('$').filter(|n| is_identifier(n)) {
        // A whole value `$name` is a reference whatever its case; inside a longer value only
        // upper-case names count, so a literal password like `pa$word` stays a literal.
        return Some((RefSyntax::Env, name));
    }
    let caps = REFERENCE.captures(value)?;
    if let Some(m) = caps.name("gh") {
        return Some(github_expression(m.as_str()));
    }
    if let Some(m) = caps.name("brace") {
        return Some(brace_reference(m.as_str()));
    }
    for group in ["paren", "ocenv", "win", "bare"] {
        if let Some(m) = caps.name(group) {
            return Some((RefSyntax::Env, m.as_str()));
        }
    }
    if let Some(m) = caps.name("tpl") {
        return Some((RefSyntax::Other, m.as_str().trim()));
    }
    caps.name("op").map(|m| (RefSyntax::Other, m.as_str()))
}

/// `${{ … }}`: a secret wins over the workflow token, then variables, the environment, and
/// anything else (`steps.x.outputs.token || secrets.GITHUB_TOKEN` is the secret).
fn github_expression(inner: &str) -> (RefSyntax, &str) {
    if let Some(c) = GH_SECRET.captures(inner)
        && let Some(m) = c.name("a").or_else(|| c.name("b"))
    {
        return (RefSyntax::GithubSecret, m.as_str());
    }
    if GH_TOKEN.is_match(inner) {
        return (RefSyntax::GithubVar, "GITHUB_TOKEN");
    }
    if let Some(m) = GH_VAR.captures(inner).and_then(|c| c.name("a")) {
        return (RefSyntax::GithubVar, m.as_str());
    }
    if let Some(m) = GH_ENV.captures(inner).and_then(|c| c.name("a")) {
        return (RefSyntax::Env, m.as_str());
    }
    (RefSyntax::Other, inner.trim())
}

/// `${…}`: `env:X`, `input:x`, `VAR` with an optional shell default, or anything else.
fn brace_reference(inner: &str) -> (RefSyntax, &str) {
    let t = inner.trim();
    if let Some(rest) = t.strip_prefix("env:") {
        return (RefSyntax::Env, rest.trim());
    }
    if let Some(rest) = t.strip_prefix("input:") {
        return (RefSyntax::Input, rest.trim());
    }
    let end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(t.len());
    let (name, rest) = t.split_at(end);
    // `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`, `${VAR:=x}`, `${VAR:+x}`.
    let shell_operator = rest.is_empty()
        || [":-", ":?", ":=", ":+", "-", "?", "=", "+"]
            .iter()
            .any(|op| rest.starts_with(op));
    if is_identifier(name) && shell_operator && !VSCODE_VARIABLES.contains(&name) {
        (RefSyntax::Env, name)
    } else {
        (RefSyntax::Other, t)
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whole values that mean "nothing here yet".
const PLACEHOLDER_VALUES: &[&str] = &[
    "null",
    "none",
    "nil",
    "undefined",
    "n/a",
    "na",
    "-",
    "~",
    "\"\"",
    "''",
    "todo",
    "tbd",
    "fixme",
    "dummy",
    "placeholder",
    "redacted",
    "changeme",
    "change-me",
    "change_me",
    "replaceme",
    "replace-me",
    "replace_me",
    "secret-here",
];

/// Credentials that providers publish for everyone to use, which appear in countless
/// READMEs and test setups: AWS's documented example keys, and the account key of the
/// Azure storage emulator (Azurite's `devstoreaccount1`), which only opens local emulators.
const DOCUMENTED_EXAMPLES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AKIAI44QH8DHBEXAMPLE",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
];

/// Substrings (of the value lower-cased, without separators) that no real secret carries.
const PLACEHOLDER_FRAGMENTS: &[&str] = &[
    "dummy",
    "placeholder",
    "changeme",
    "replaceme",
    "redacted",
    "yourkey",
    "yourapi",
    "yourtoken",
    "yoursecret",
    "yourpassword",
];

/// Whole words (of the value split at non-alphanumerics) that mark a placeholder.
const PLACEHOLDER_WORDS: &[&str] = &["your", "todo", "fixme", "tbd"];

/// Random secrets essentially never contain 10 consecutive alphabet or digit characters,
/// while fake ones often do (`abcdefghij…`, `0123456789`).
const SEQUENTIAL_RUN: usize = 10;

/// Random secrets essentially never contain 6 `x` in a row; masked ones do.
const MASK_RUN_X: usize = 6;

/// True when `value` (already trimmed) is a placeholder rather than a real value.
///
/// The words "example", "test", "demo" and "fake" are deliberately NOT placeholder markers:
/// realistic fake keys in fixtures use them, and so do real test-mode credentials.
pub(super) fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if PLACEHOLDER_VALUES.contains(&lower.as_str()) || DOCUMENTED_EXAMPLES.contains(&value) {
        return true;
    }
    // `<APILLON_API_KEY>`, `<your OpenAI API key here>`, `{api_key}`.
    let braced = value
        .strip_prefix('{')
        .and_then(|v| v.strip_suffix('}'))
        .is_some_and(is_identifier);
    if (value.starts_with('<') && value.ends_with('>')) || braced {
        return true;
    }
    // `sk-...`, `AKIA…`: shortened for display, never a working value.
    if value.contains("...") || value.contains('…') {
        return true;
    }
    if has_mask_run(value) {
        return true;
    }
    let compact: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    if PLACEHOLDER_FRAGMENTS.iter().any(|f| compact.contains(f)) {
        return true;
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.iter().any(|w| PLACEHOLDER_WORDS.contains(w)) {
        return true;
    }
    // `API_KEY_HERE`, `insert-token-here`.
    if words.len() >= 2 && words.last() == Some(&"here") {
        return true;
    }
    // What follows a token prefix: `ghp_dummy` → `dummy`, `fdrl_xxx` → `xxx`.
    let body = strip_token_prefix(value);
    let body_lower = body.to_ascii_lowercase();
    if body.is_empty() || PLACEHOLDER_VALUES.contains(&body_lower.as_str()) {
        return true;
    }
    let significant: Vec<char> = body
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.' | ' ' | '/' | ':'))
        .collect();
    let mut distinct = significant.clone();
    distinct.sort_unstable();
    distinct.dedup();
    // One repeated character (`0000-0000`, `xxx`), or two over a longer value (`abab…`).
    // Very short bodies say nothing (`us-east-1` ends in `1`).
    if (distinct.len() <= 1 && significant.len() >= 3)
        || (distinct.len() == 2 && significant.len() >= 6)
    {
        return true;
    }
    if significant
        .iter()
        .all(|c| matches!(c, 'x' | 'X' | '*' | '•' | '#'))
    {
        return true;
    }
    longest_sequential_run(value) >= SEQUENTIAL_RUN
}

/// Runs of `x`/`X` (masking convention) or of `*`/`•` (masked display).
fn has_mask_run(value: &str) -> bool {
    let mut xs = 0;
    let mut stars = 0;
    for c in value.chars() {
        xs = if c == 'x' || c == 'X' { xs + 1 } else { 0 };
        stars = if c == '*' || c == '•' { stars + 1 } else { 0 };
        if xs >= MASK_RUN_X || stars >= 3 {
            return true;
        }
    }
    false
}

/// Drops leading short segments such as `sk-`, `sk-proj-`, `ghp_`, `fdrl_`.
fn strip_token_prefix(value: &str) -> &str {
    let mut rest = value;
    while let Some((head, tail)) = rest.split_once(['-', '_']) {
        let is_prefix = (1..=10).contains(&head.len())
            && head.starts_with(|c: char| c.is_ascii_alphabetic())
            && head.chars().all(|c| c.is_ascii_alphanumeric());
        if !is_prefix {
            break;
        }
        rest = tail;
    }
    rest
}

/// Below this many bits of Shannon entropy per character, a long token body is a
/// placeholder. Random bodies of 16 or more characters almost never score under it (16
/// base32 characters: 3.6 typically, 2.5 at the very least; 16 hex digits: under 1 in 200),
/// while `aaaa…`, `0000…1`, `abcabc…` or `1111222233334444…` score 2 or less.
const MIN_BODY_ENTROPY: f64 = 2.5;
/// Shorter bodies say too little about their randomness to judge.
const MIN_JUDGED_BODY: usize = 16;

/// True when a provider-pattern match is a placeholder in a real prefix: its body (without
/// the `ghp_`/`sk-proj-` prefix) is long and made of few distinct characters
/// (`sk-proj-aaaa…T3BlbkFJaaaa…`, `ghp_0000…`, `AKIAAAAAAAAAAAAAAAAB`).
pub(super) fn is_low_entropy(value: &str) -> bool {
    let body: Vec<char> = strip_token_prefix(value)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if body.len() < MIN_JUDGED_BODY {
        return false;
    }
    let mut counts: std::collections::HashMap<char, usize> = std::collections::HashMap::new();
    for c in &body {
        *counts.entry(*c).or_default() += 1;
    }
    let len = body.len() as f64;
    let entropy: f64 = counts
        .values()
        .map(|&n| {
            let p = n as f64 / len;
            -p * p.log2()
        })
        .sum();
    entropy < MIN_BODY_ENTROPY
}

/// The longest run of characters that each follow the previous one in the alphabet or in
/// the digits (`9` → `0` counts, for `1234567890`).
fn longest_sequential_run(value: &str) -> usize {
    let mut best = 0;
    let mut run = 0;
    let mut prev: Option<u8> = None;
    for b in value.bytes() {
        let follows = prev.is_some_and(|p| {
            (p.is_ascii_lowercase() && b == p + 1 && b.is_ascii_lowercase())
                || (p.is_ascii_uppercase() && b == p + 1 && b.is_ascii_uppercase())
                || (p.is_ascii_digit()
                    && b.is_ascii_digit()
                    && (b == p + 1 || (p == b'9' && b == b'0')))
        });
        run = if follows { run + 1 } else { 1 };
        best = best.max(run);
        prev = Some(b);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(value: &str) -> Option<(RefSyntax, &str)> {
        match classify_value(value) {
            ValueClass::Reference { syntax, name } => Some((syntax, name)),
            _ => None,
        }
    }

    #[test]
    fn empty_values() {
        assert_eq!(classify_value(""), ValueClass::Empty);
        assert_eq!(classify_value("   \t"), ValueClass::Empty);
    }

    #[test]
    fn environment_references() {
        use RefSyntax::Env;
        assert_eq!(
            reference("${OPENAI_API_KEY}"),
            Some((Env, "OPENAI_API_KEY"))
        );
        assert_eq!(reference("$OPENAI_API_KEY"), Some((Env, "OPENAI_API_KEY")));
        assert_eq!(reference("$token"), Some((Env, "token")));
        assert_eq!(
            reference("${env:GITHUB_TOKEN}"),
            Some((Env, "GITHUB_TOKEN"))
        );
        assert_eq!(reference("${API_KEY:-}"), Some((Env, "API_KEY")));
        assert_eq!(reference("${API_KEY:-fallback}"), Some((Env, "API_KEY")));
        assert_eq!(reference("${API_KEY:?set it}"), Some((Env, "API_KEY")));
        assert_eq!(reference("%OPENAI_API_KEY%"), Some((Env, "OPENAI_API_KEY")));
        assert_eq!(reference("$(API_TOKEN)"), Some((Env, "API_TOKEN")));
        assert_eq!(
            reference("{env:ANTHROPIC_API_KEY}"),
            Some((Env, "ANTHROPIC_API_KEY"))
        );
        assert_eq!(
            reference("${{ env.OPENAI_API_KEY }}"),
            Some((Env, "OPENAI_API_KEY"))
        );
        // Inside a larger value: the variable is the name.
        assert_eq!(reference("Bearer ${TOKEN}"), Some((Env, "TOKEN")));
        assert_eq!(reference("Bearer $TOKEN"), Some((Env, "TOKEN")));
        assert_eq!(reference("token=$GH_TOKEN&x=1"), Some((Env, "GH_TOKEN")));
        // Real strings: upstash/context7 .mcp.json.
        assert_eq!(
            reference("${CONTEXT7_API_KEY:-}"),
            Some((Env, "CONTEXT7_API_KEY"))
        );
        // Real string: run-gemini-cli's inline MCP settings.
        assert_eq!(reference("${GITHUB_TOKEN}"), Some((Env, "GITHUB_TOKEN")));
    }

    #[test]
    fn input_and_other_references() {
        assert_eq!(
            reference("${input:functions-mcp-extension-system-key}"),
            Some((RefSyntax::Input, "functions-mcp-extension-system-key"))
        );
        // Real string: Azure-Samples/remote-mcp-functions-python .vscode/mcp.json.
        assert_eq!(
            reference("https://${input:functionapp-name}.azurewebsites.net/runtime/webhooks/mcp"),
            Some((RefSyntax::Input, "functionapp-name"))
        );
        // Real string: prowler-cloud/prowler claude plugin .mcp.json.
        assert_eq!(
            reference("Bearer ${user_config.api_key}"),
            Some((RefSyntax::Other, "user_config.api_key"))
        );
        assert_eq!(
            reference("{{ .Values.openai.apiKey }}"),
            Some((RefSyntax::Other, ".Values.openai.apiKey"))
        );
        assert_eq!(
            reference("${workspaceFolder}/server.js"),
            Some((RefSyntax::Other, "workspaceFolder"))
        );
        assert_eq!(
            reference("op://Private/OpenAI/credential"),
            Some((RefSyntax::Other, "op://Private/OpenAI/credential"))
        );
    }

    #[test]
    fn github_references() {
        use RefSyntax::{GithubSecret, GithubVar, Other};
        assert_eq!(
            reference("${{ secrets.ANTHROPIC_API_KEY }}"),
            Some((GithubSecret, "ANTHROPIC_API_KEY"))
        );
        assert_eq!(
            reference("${{secrets.anthropic_api_key}}"),
            Some((GithubSecret, "anthropic_api_key"))
        );
        assert_eq!(
            reference("${{ secrets['MY_KEY'] }}"),
            Some((GithubSecret, "MY_KEY"))
        );
        assert_eq!(
            reference("${{ secrets.GITHUB_TOKEN }}"),
            Some((GithubSecret, "GITHUB_TOKEN"))
        );
        assert_eq!(
            reference("${{ vars.ANTHROPIC_FEDERATION_RULE_ID }}"),
            Some((GithubVar, "ANTHROPIC_FEDERATION_RULE_ID"))
        );
        assert_eq!(
            reference("${{ github.token }}"),
            Some((GithubVar, "GITHUB_TOKEN"))
        );
        // Real strings from google-gemini/gemini-cli and run-gemini-cli workflows.
        assert_eq!(
            reference("'${{ secrets.GEMINI_API_KEY }}'"),
            Some((GithubSecret, "GEMINI_API_KEY"))
        );
        assert_eq!(
            reference(
                "${{ steps.mint_identity_token.outputs.token || secrets.GITHUB_TOKEN || github.token }}"
            ),
            Some((GithubSecret, "GITHUB_TOKEN"))
        );
        assert_eq!(
            reference("${{ steps.generate_token.outputs.token }}"),
            Some((Other, "steps.generate_token.outputs.token"))
        );
        assert_eq!(
            reference("${{ inputs.api_key_env_name }}"),
            Some((Other, "inputs.api_key_env_name"))
        );
    }

    #[test]
    fn placeholders() {
        for value in [
            // Real strings from public MCP configs, agent configs and workflows.
            "YOUR_KLING_ACCESS_KEY_HERE",
            "YOUR_KLING_SECRET_KEY_HERE",
            "<APILLON_API_KEY>",
            "<APILLON_API_SECRET>",
            "<your OpenAI API key here>",
            "<your Azure OpenAI API key here>",
            "ghp_dummy",
            "fdrl_xxxxxxxxxxxx",
            "svac_xxxxxxxxxxxx",
            "wrkspc_xxxxxxxxxxxx",
            "00000000-0000-0000-0000-000000000000",
            "sk-proj-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "your-profile-name",
            // The usual suspects.
            "your-key-here",
            "your_api_key",
            "yourApiKey",
            "API_KEY_HERE",
            "xxx",
            "XXXXXXXXXXXXXXXX",
            "****",
            "...",
            "…",
            "changeme",
            "CHANGE_ME",
            "replace-me",
            "TODO",
            "TODO: add the key",
            "dummy",
            "sk-...",
            "sk-xxxxxxxxxxxxxxxxxxxx",
            "fdrl_xxx",
            "ghp_...",
            "aaaaaaaaaaaa",
            "0000",
            "null",
            "None",
            "\"\"",
            "''",
            "{api_key}",
            "sk-1234567890abcdef",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "sk-",
        ] {
            assert_eq!(classify_value(value), ValueClass::Placeholder, "{value:?}");
        }
    }

    #[test]
    fn literals() {
        for value in [
            // Real string: grafana/mcp-grafana tests/ageval/grafana.mcp.json (a default password).
            "admin",
            // Fixture-style fake keys must stay literals: "example", "test", "fake", "demo"
            // are not placeholder markers.
            "AKIANHIDEMOFAKE00001",
            "sk-test-EXAMPLE-4f9Qz7",
            "ghp_z8A7HrXe0RSK88j4EXAMPLEzULqJXArzP5JI",
            "BJuI+pEhEwP1oVC3qGId86ExR48VhzWVI8TAM4V7",
            "KT9vS8axqR0q8I",
            "password",
            "pa$word",
            "p%40ss%21word",
            "123456789",
            "Bearer abc123def456",
            "us-east-1",
            "true",
        ] {
            assert_eq!(classify_value(value), ValueClass::Literal, "{value:?}");
        }
    }

    #[test]
    fn low_entropy_bodies() {
        for value in [
            "sk-proj-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaT3BlbkFJaaaaaaaaaaaaaaaa",
            "ghp_000000000000000000000000000000000001",
            "ghp_abcabcabcabcabcabcabcabcabcabcabcabc",
            "AKIAAAAAAAAAAAAAAAAB",
            "glpat-1111222233334444111122223333",
        ] {
            assert!(is_low_entropy(value), "{value}");
        }
        for value in [
            // Fakes in the right shape, random around EXAMPLE, stay keys.
            "ghp_ry3eJzEXAMPLEb1MItVKVNzPbGbSMkP4LxZA",
            "AKIAHRTKJEXAMPLEGXGL",
            "AKIANHIDEMOFAKE00001",
            "glptt-4004483793ef7eaf4725db86e798a322f5a7bb44",
            "xoxp-706332686259-237410183918-9405937220562-fa4ec0de5eed1e55b0a710ad5ca1ab1e",
            // Too short to judge.
            "admin",
            "passwordpass",
        ] {
            assert!(!is_low_entropy(value), "{value}");
        }
    }

    #[test]
    fn documented_shared_keys_are_placeholders() {
        // Azurite's well-known key for `devstoreaccount1`, published by Microsoft.
        assert_eq!(
            classify_value(
                "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
            ),
            ValueClass::Placeholder
        );
    }

    #[test]
    fn non_ascii_values_do_not_panic() {
        for value in ["“$x”", "{é}", "$é", "«sk-…»", "é-ü_ghp_x", "\u{301}$A"] {
            let _ = classify_value(value);
            let _ = is_low_entropy(value);
        }
        assert_eq!(classify_value("{é}"), ValueClass::Literal);
    }

    #[test]
    fn sequential_runs() {
        assert_eq!(longest_sequential_run("abcdefghij"), 10);
        assert_eq!(longest_sequential_run("1234567890"), 10);
        assert_eq!(longest_sequential_run("aZbY"), 1);
        assert_eq!(longest_sequential_run(""), 0);
    }
}
