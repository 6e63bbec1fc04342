//! What a variable or key name says about the value under it. The table is the `names:`
//! section of `data/secret-patterns.yaml`.

use super::catalog::{BUILTIN, NameRule};
use super::spelling::normalize_segment;

/// What a name carries: `OPENAI_API_KEY` → kind `openai-api-key`, provider `openai`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameHint {
    pub kind: &'static str,
    pub provider: &'static str,
}

/// What credential a variable or key name carries, if any.
///
/// Names are normalised first, so `anthropic_api_key`, `anthropic-api-key`,
/// `anthropicApiKey` and `env.ANTHROPIC_API_KEY` all read as `ANTHROPIC_API_KEY`. A dotted
/// or slashed name is also read with the segments before the last, so `aws.secretKey` (the
/// AWS Java SDK's property) is `AWS_SECRET_KEY` and `openai.apiKey` is `OPENAI_API_KEY`; the
/// most specific reading wins.
/// Exact names beat generic shapes (`*_API_KEY` → `api-key`, `*_PASSWORD` → `password`,
/// `*_TOKEN` → `token`, `*_SECRET` → `secret`, `Authorization` → `bearer-token`).
/// Names that merely look credential-like (`key` of a cache step, `*_SORT_KEY`,
/// `MAX_TOKEN`, the workflow permission `id-token`) give `None`.
pub fn hint_for_name(name: &str) -> Option<NameHint> {
    name_rule(name).map(|rule| NameHint {
        kind: &rule.kind,
        provider: &rule.provider,
    })
}

/// True when the value under `name` is secret: [`hint_for_name`] knows the name and the
/// name does not carry a public part of a credential.
///
/// `AWS_ACCESS_KEY_ID` is *not* secret (the key ID names the key and appears in CloudTrail;
/// the secret access key is the secret), although [`hint_for_name`] reports it as an AWS
/// credential part. Names ending in `_PATH`, `_FILE`, `_URL`, `_ID`, `_NAME`, … never match
/// a secret shape in the first place, so `KEY_PATH` or `TOKEN_URL` are not secret either.
/// The same goes for public keys (`*_PUBLIC_KEY`, `*_PUBLISHABLE_KEY`, `*_ANON_KEY`).
pub fn is_secret_name(name: &str) -> bool {
    name_rule(name).is_some_and(|rule| rule.secret)
}

/// How many trailing `.`/`/` segments of a name are read together at most
/// (`a.b.aws.secretKey` is also read as `AWS_SECRET_KEY`, `B_AWS_SECRET_KEY`, …).
const MAX_JOINED_SEGMENTS: usize = 4;

/// The forms a name is compared in, normalised: its last `.`/`/` segment first, then the
/// last two, three and four segments read together.
pub(super) fn name_forms(name: &str) -> Vec<String> {
    let segments: Vec<&str> = name
        .trim()
        .split(['.', '/'])
        .filter(|s| !s.trim().is_empty())
        .collect();
    let mut forms: Vec<String> = Vec::new();
    for k in 1..=segments.len().min(MAX_JOINED_SEGMENTS) {
        let joined = segments[segments.len() - k..].join("_");
        let form = normalize_segment(&joined);
        if !form.is_empty() && !forms.contains(&form) {
            forms.push(form);
        }
    }
    if forms.is_empty() {
        forms.push(String::new());
    }
    forms
}

/// The rule for `name`, after normalisation and the ignore list. An ignored last segment
/// (`steps.cache.key` → `KEY`) ignores the name whatever its other segments say.
pub(super) fn name_rule(name: &str) -> Option<&'static NameRule> {
    let catalog = &*BUILTIN;
    let ignored = |form: &String| catalog.ignore_names.iter().any(|g| g.score(form).is_some());
    let forms = name_forms(name);
    if forms.first().is_none_or(|f| f.is_empty() || ignored(f)) {
        return None;
    }
    let forms: Vec<&String> = forms.iter().filter(|f| !ignored(f)).collect();
    catalog
        .names
        .iter()
        .filter_map(|rule| {
            let score = rule
                .globs
                .iter()
                .flat_map(|g| forms.iter().filter_map(|f| g.score(f)))
                .max()?;
            Some((score, rule))
        })
        // Ties go to the earlier rule, so the table's order is the tie-breaker.
        .fold(
            None,
            |best: Option<(usize, &NameRule)>, (score, rule)| match best {
                Some((b, _)) if b >= score => best,
                _ => Some((score, rule)),
            },
        )
        .map(|(_, rule)| rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(name: &str) -> Option<(&'static str, &'static str)> {
        hint_for_name(name).map(|h| (h.kind, h.provider))
    }

    #[test]
    fn provider_names() {
        assert_eq!(hint("OPENAI_API_KEY"), Some(("openai-api-key", "openai")));
        assert_eq!(hint("openai_api_key"), Some(("openai-api-key", "openai")));
        assert_eq!(
            hint("ANTHROPIC_API_KEY"),
            Some(("anthropic-api-key", "anthropic"))
        );
        assert_eq!(
            hint("anthropic_api_key"),
            Some(("anthropic-api-key", "anthropic"))
        );
        assert_eq!(
            hint("CLAUDE_CODE_OAUTH_TOKEN"),
            Some(("anthropic-oauth-token", "anthropic"))
        );
        assert_eq!(hint("GEMINI_API_KEY"), Some(("google-api-key", "google")));
        assert_eq!(hint("GOOGLE_API_KEY"), Some(("google-api-key", "google")));
        assert_eq!(hint("HF_TOKEN"), Some(("huggingface-token", "huggingface")));
        for gh in [
            "GITHUB_TOKEN",
            "GH_TOKEN",
            "GITHUB_PERSONAL_ACCESS_TOKEN",
            "github-token",
        ] {
            assert_eq!(hint(gh), Some(("github-token", "github")), "{gh}");
        }
        assert_eq!(
            hint("AWS_ACCESS_KEY_ID"),
            Some(("aws-access-key-id", "aws"))
        );
        assert_eq!(
            hint("AWS_SECRET_ACCESS_KEY"),
            Some(("aws-secret-access-key", "aws"))
        );
        assert_eq!(
            hint("AWS_SESSION_TOKEN"),
            Some(("aws-session-token", "aws"))
        );
        assert_eq!(hint("SLACK_BOT_TOKEN"), Some(("slack-bot-token", "slack")));
        assert_eq!(
            hint("STRIPE_SECRET_KEY"),
            Some(("stripe-secret-key", "stripe"))
        );
        assert_eq!(hint("DATABASE_URL"), Some(("database-url", "generic")));
        assert_eq!(
            hint("ANALYTICS_DATABASE_URL"),
            Some(("database-url", "generic"))
        );
    }

    #[test]
    fn generic_names() {
        assert_eq!(hint("GRAFANA_PASSWORD"), Some(("password", "generic")));
        assert_eq!(hint("password"), Some(("password", "generic")));
        assert_eq!(
            hint("DEEPSEEK_API_KEY"),
            Some(("deepseek-api-key", "deepseek"))
        );
        assert_eq!(hint("BRAVE_API_KEY"), Some(("api-key", "generic")));
        assert_eq!(hint("x-api-key"), Some(("api-key", "generic")));
        assert_eq!(hint("apiKey"), Some(("api-key", "generic")));
        assert_eq!(hint("KLING_ACCESS_KEY"), Some(("api-key", "generic")));
        assert_eq!(hint("KLING_SECRET_KEY"), Some(("secret", "generic")));
        assert_eq!(hint("APILLON_API_SECRET"), Some(("secret", "generic")));
        assert_eq!(hint("SENTRY_AUTH_TOKEN"), Some(("token", "generic")));
        assert_eq!(hint("token"), Some(("token", "generic")));
        assert_eq!(hint("Authorization"), Some(("bearer-token", "generic")));
        assert_eq!(hint("private-key"), Some(("private-key", "generic")));
        assert_eq!(hint("APP_PRIVATE_KEY"), Some(("private-key", "generic")));
    }

    #[test]
    fn dotted_names_are_read_whole_too() {
        // The AWS Java SDK's system property and common JSON/YAML spellings.
        for name in [
            "aws.secretkey",
            "aws.secretKey",
            "awsSecretKey",
            "AWS_SECRET_KEY",
            "foo.backup.aws.secretkey",
        ] {
            assert_eq!(hint(name), Some(("aws-secret-access-key", "aws")), "{name}");
            assert!(is_secret_name(name), "{name}");
        }
        assert_eq!(hint("openai.apiKey"), Some(("openai-api-key", "openai")));
        // The last segment still decides when it is the more specific.
        assert_eq!(hint("env.GITHUB_TOKEN"), Some(("github-token", "github")));
        assert_eq!(hint("secretkey"), Some(("secret", "generic")));
        // An ignored last segment ignores the name.
        assert_eq!(hint("steps.cache.key"), None);
        assert_eq!(hint("aws.region"), None);
    }

    #[test]
    fn ai_provider_key_names() {
        for (name, provider) in [
            ("MINIMAX_API_KEY", "minimax"),
            ("DASHSCOPE_API_KEY", "dashscope"),
            ("QWEN_API_KEY", "dashscope"),
            ("MOONSHOT_API_KEY", "moonshot"),
            ("KIMI_API_KEY", "moonshot"),
            ("ZHIPU_API_KEY", "zhipu"),
            ("ZHIPUAI_API_KEY", "zhipu"),
            ("GLM_API_KEY", "zhipu"),
            ("BIGMODEL_API_KEY", "zhipu"),
            ("DEEPSEEK_API_KEY", "deepseek"),
            ("MISTRAL_API_KEY", "mistral"),
            ("COHERE_API_KEY", "cohere"),
            ("CO_API_KEY", "cohere"),
            ("XAI_API_KEY", "xai"),
            ("GROK_API_KEY", "xai"),
            ("TOGETHER_API_KEY", "together"),
            ("TOGETHERAI_API_KEY", "together"),
            ("FIREWORKS_API_KEY", "fireworks"),
            ("OPENROUTER_API_KEY", "openrouter"),
            ("AWS_BEARER_TOKEN_BEDROCK", "aws-bedrock"),
            ("BEDROCK_API_KEY", "aws-bedrock"),
            ("DEVIN_API_KEY", "devin"),
            ("AMP_API_KEY", "amp"),
            ("CURSOR_API_KEY", "cursor"),
            ("CONTINUE_API_KEY", "continue"),
            ("JULES_API_KEY", "jules"),
            ("CODERABBIT_API_KEY", "coderabbit"),
            ("QODO_API_KEY", "qodo"),
            // camelCase and kebab-case spellings of the same names.
            ("dashscopeApiKey", "dashscope"),
            ("zhipuai-api-key", "zhipu"),
        ] {
            let h = hint_for_name(name).unwrap_or_else(|| panic!("{name}: no hint"));
            assert_eq!(h.provider, provider, "{name}");
            assert_eq!(h.kind, format!("{provider}-api-key"), "{name}");
            assert!(is_secret_name(name), "{name}");
        }
        // The ids that were there before keep their kinds.
        assert_eq!(hint("OPENAI_API_KEY"), Some(("openai-api-key", "openai")));
        assert_eq!(hint("GROQ_API_KEY"), Some(("groq-api-key", "groq")));
        assert_eq!(hint("HF_TOKEN"), Some(("huggingface-token", "huggingface")));
    }

    #[test]
    fn names_that_are_not_credentials() {
        for name in [
            "KEY_PATH",
            "TOKEN_URL",
            "API_KEY_FILE",
            "OPENAI_BASE_URL",
            "AWS_REGION",
            "AWS_PROFILE",
            "key",
            "CACHE_KEY",
            "MAX_TOKEN",
            "max_tokens",
            "id-token",
            "PWD",
            "SECRET_NAME",
            "GITHUB_TOKEN_EXPIRY",
            "LOG_LEVEL",
            "",
        ] {
            assert_eq!(hint(name), None, "{name}");
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn secret_names() {
        for name in [
            "OPENAI_API_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "GRAFANA_PASSWORD",
            "DB_PASS",
            "GITHUB_TOKEN",
            "Authorization",
            "DATABASE_URL",
            "x-functions-key",
            "client_secret",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        // Known credential parts that are not secret themselves.
        for name in [
            "AWS_ACCESS_KEY_ID",
            "STRIPE_PUBLISHABLE_KEY",
            "SUPABASE_ANON_KEY",
            "SSH_PUBLIC_KEY",
        ] {
            assert!(hint_for_name(name).is_some(), "{name}");
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
