//! The AI product catalogue (`data/github-apps.yaml`): which app installations, PAT
//! names and deploy key titles point to an AI agent.

use std::sync::LazyLock;

use crate::doc::data::{DataError, DataFile};
use crate::model::Confidence;

struct App {
    slug: String,
    product: String,
    vendor: String,
}

struct Word {
    word: String,
    product: String,
}

struct Catalog {
    apps: Vec<App>,
    words: Vec<Word>,
}

/// An AI product recognised from a slug or a name, and how sure we are.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognised {
    pub product: String,
    pub vendor: Option<String>,
    pub confidence: Confidence,
    /// Why: `app slug claude is listed`, `the name contains "codex"`.
    pub why: String,
}

const SOURCE: &str = include_str!("../../../data/github-apps.yaml");

fn catalog() -> &'static Catalog {
    static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
        load(SOURCE).unwrap_or_else(|e| panic!("the built-in GitHub app catalogue is invalid: {e}"))
    });
    &CATALOG
}

fn load(text: &str) -> Result<Catalog, DataError> {
    let data = DataFile::parse("data/github-apps.yaml", text)?;
    let mut apps = Vec::new();
    for item in data.items("apps") {
        apps.push(App {
            slug: data.field(item, "slug")?.to_ascii_lowercase(),
            product: data.field(item, "product")?,
            vendor: data.field(item, "vendor")?,
        });
    }
    let mut words = Vec::new();
    for item in data.items("name_words") {
        words.push(Word {
            word: data.field(item, "word")?.to_ascii_lowercase(),
            product: data.field(item, "product")?,
        });
    }
    Ok(Catalog { apps, words })
}

/// The first catalogue word that is a whole word of `name`.
fn word_in(name: &str) -> Option<&'static Word> {
    let lower = name.to_ascii_lowercase();
    let parts: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .collect();
    catalog()
        .words
        .iter()
        .find(|w| parts.contains(&w.word.as_str()))
}

/// An app installation's slug: listed (high), or holding a product word (medium).
pub fn recognise_app(slug: &str) -> Option<Recognised> {
    let lower = slug.to_ascii_lowercase();
    if let Some(app) = catalog().apps.iter().find(|a| a.slug == lower) {
        return Some(Recognised {
            product: app.product.clone(),
            vendor: Some(app.vendor.clone()),
            confidence: Confidence::High,
            why: format!("the app `{slug}` is {} by {}", app.product, app.vendor),
        });
    }
    word_in(slug).map(|w| Recognised {
        product: w.product.clone(),
        vendor: None,
        confidence: Confidence::Medium,
        why: format!("the app slug `{slug}` names {} (\"{}\")", w.product, w.word),
    })
}

/// A token name or key title that points to an AI product (low: a name is only a hint).
pub fn recognise_name(what: &str, name: &str) -> Option<Recognised> {
    word_in(name).map(|w| Recognised {
        product: w.product.clone(),
        vendor: None,
        confidence: Confidence::Low,
        why: format!("the {what} `{name}` names {} (\"{}\")", w.product, w.word),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_and_names() {
        let claude = recognise_app("claude").unwrap();
        assert_eq!(claude.confidence, Confidence::High);
        assert_eq!(
            recognise_app("devin-ai-integration").unwrap().product,
            "Devin"
        );
        assert_eq!(
            recognise_app("acme-copilot-helper").unwrap().confidence,
            Confidence::Medium
        );
        assert!(recognise_app("github-actions").is_none());
        assert!(recognise_app("dependabot").is_none());
        assert_eq!(
            recognise_name("token", "codex-release-bot")
                .unwrap()
                .product,
            "Codex"
        );
        // Whole words only: `maintainer` holds "ai" but is not about AI.
        assert!(recognise_name("token", "maintainer deploy").is_none());
        assert!(recognise_name("key", "octocat@octomac").is_none());
    }
}
