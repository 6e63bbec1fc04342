//! How variable names are compared: their UPPER_SNAKE spelling. Shared by the name
//! rules (`names.rs`) and the catalogue that declares them (`catalog.rs`).

/// UPPER_SNAKE form of a name: the last `.`/`/` segment, camelCase split, anything other
/// than letters and digits turned into single underscores.
pub(super) fn normalize(name: &str) -> String {
    let last = name
        .trim()
        .rsplit(['.', '/'])
        .find(|s| !s.trim().is_empty())
        .unwrap_or("");
    normalize_segment(last)
}

/// UPPER_SNAKE form of `text` as a whole (separators, `.` and `/` included, become `_`).
pub(super) fn normalize_segment(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            // `apiKey` → API_KEY; `OpenAIApiKey` → OPEN_AI_API_KEY.
            let boundary = c.is_ascii_uppercase()
                && prev.is_some_and(|p| {
                    p.is_ascii_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
                });
            if boundary && !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize("OPENAI_API_KEY"), "OPENAI_API_KEY");
        assert_eq!(normalize("openai-api-key"), "OPENAI_API_KEY");
        assert_eq!(normalize("apiKey"), "API_KEY");
        assert_eq!(normalize("OpenAIApiKey"), "OPEN_AI_API_KEY");
        assert_eq!(normalize("SecretAccessKey"), "SECRET_ACCESS_KEY");
        assert_eq!(normalize("x-api-key"), "X_API_KEY");
        assert_eq!(normalize("user_config.api_key"), "API_KEY");
        assert_eq!(normalize("env.GITHUB_TOKEN"), "GITHUB_TOKEN");
        assert_eq!(normalize(" Authorization "), "AUTHORIZATION");
        assert_eq!(normalize("--"), "");
    }
}
