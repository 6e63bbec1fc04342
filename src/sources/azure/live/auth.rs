//! Where the Azure crawl's tokens come from: tokens the caller minted (`az account
//! get-access-token`), else the first credential of the standard chain that gives one,
//! through Microsoft's `azure_identity` crate — a service principal's secret in the
//! environment, workload identity federation (a federated token file, as on AKS and in
//! CI), the managed identity of an App Service / Functions / Container Apps host, the
//! Azure CLI and Azure Developer CLI logins, and last the managed identity of a virtual
//! machine (its metadata endpoint is only tried when nothing else answered, and only
//! for a few seconds, so a laptop is not kept waiting).
//!
//! Microsoft Graph and Azure Resource Manager are two audiences: each gets its own
//! token, cached until five minutes before it expires.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azure_core::cloud::CloudConfiguration;
use azure_core::credentials::{AccessToken, Secret, TokenCredential};
use azure_core::http::ClientOptions;
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, AzureDeveloperCliCredential,
    AzureDeveloperCliCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use octocrab::secrecy::{ExposeSecret, SecretString};

use super::Cloud;
use crate::sources::rest::{Tokens, clean_message};

/// The API a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    Graph,
    Arm,
}

impl Audience {
    fn name(self) -> &'static str {
        match self {
            Audience::Graph => "Microsoft Graph",
            Audience::Arm => "Azure Resource Manager",
        }
    }
}

/// The longest one credential of the chain may take to give its first token.
const TRY_TIMEOUT: Duration = Duration::from_secs(30);
/// A virtual machine's metadata endpoint answers at once or not at all.
const IMDS_TIMEOUT: Duration = Duration::from_secs(5);
/// A cached token is renewed this long before it expires.
const RENEW_BEFORE: time::Duration = time::Duration::minutes(5);

/// The crawl's credentials. Shows nothing of a token in `Debug`.
pub struct Auth {
    source: Source,
    cloud: Cloud,
    cache: Mutex<HashMap<Audience, (String, time::OffsetDateTime)>>,
    /// The credential of the chain that gave the first token.
    chosen: std::sync::OnceLock<(&'static str, Arc<dyn TokenCredential>)>,
}

enum Source {
    /// Tokens from the environment, one per audience; an audience without one is not read.
    Minted {
        graph: Option<SecretString>,
        arm: Option<SecretString>,
    },
    /// The standard chain, in order.
    Chain(Vec<Link>),
}

/// One credential of the chain: its name for messages, and how long its first try may take.
type Link = (&'static str, Arc<dyn TokenCredential>, Duration);

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Source::Minted { .. } => f.write_str("Auth(tokens from the environment)"),
            Source::Chain(_) => f.write_str("Auth(the Azure credential chain)"),
        }
    }
}

/// Tokens the caller passes instead of the chain.
#[derive(Debug, Clone, Default)]
pub struct MintedTokens {
    pub graph: Option<SecretString>,
    pub arm: Option<SecretString>,
}

impl MintedTokens {
    pub fn any(&self) -> bool {
        self.graph.is_some() || self.arm.is_some()
    }
}

impl Auth {
    /// The caller's tokens when it passed any, else the chain for `tenant`.
    pub fn new(tenant: Option<&str>, cloud: Cloud, minted: &MintedTokens) -> Result<Auth, String> {
        let source = if minted.any() {
            Source::Minted {
                graph: minted.graph.clone(),
                arm: minted.arm.clone(),
            }
        } else {
            Source::Chain(chain(tenant, cloud)?)
        };
        Ok(Auth {
            source,
            cloud,
            cache: Mutex::new(HashMap::new()),
            chosen: std::sync::OnceLock::new(),
        })
    }

    /// Whether there is a way to a token for `audience` (a minted Graph token alone does
    /// not reach Resource Manager).
    pub fn covers(&self, audience: Audience) -> bool {
        match &self.source {
            Source::Minted { graph, arm } => match audience {
                Audience::Graph => graph.is_some(),
                Audience::Arm => arm.is_some(),
            },
            Source::Chain(_) => true,
        }
    }

    /// What signed in, for the log: `Azure CLI`, `tokens from the environment`.
    pub fn signed_in_with(&self) -> &'static str {
        match &self.source {
            Source::Minted { .. } => "tokens from the environment",
            Source::Chain(_) => self.chosen.get().map_or("the credential chain", |(n, _)| n),
        }
    }

    pub async fn token(&self, audience: Audience) -> Result<String, String> {
        if let Source::Minted { graph, arm } = &self.source {
            let token = match audience {
                Audience::Graph => graph,
                Audience::Arm => arm,
            };
            return token
                .as_ref()
                .map(|t| t.expose_secret().to_string())
                .ok_or_else(|| format!("no {} token was passed", audience.name()));
        }
        let now = time::OffsetDateTime::now_utc();
        if let Some((token, expires)) = self.cached().get(&audience)
            && *expires - RENEW_BEFORE > now
        {
            return Ok(token.clone());
        }
        let scope = self.cloud.scope(audience);
        let token = match self.chosen.get() {
            Some((_, credential)) => credential
                .get_token(&[&scope], None)
                .await
                .map_err(|e| credential_error(&e))?,
            None => self.first_token(&scope).await?,
        };
        let value = token.token.secret().to_string();
        self.cached()
            .insert(audience, (value.clone(), token.expires_on));
        Ok(value)
    }

    /// The last token handed out for `audience`, to scrub it from answers.
    pub fn last(&self, audience: Audience) -> Option<String> {
        match &self.source {
            Source::Minted { graph, arm } => match audience {
                Audience::Graph => graph.as_ref(),
                Audience::Arm => arm.as_ref(),
            }
            .map(|t| t.expose_secret().to_string()),
            Source::Chain(_) => self.cached().get(&audience).map(|(t, _)| t.clone()),
        }
    }

    fn cached(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<Audience, (String, time::OffsetDateTime)>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A token from the first credential of the chain that gives one; the rest are not
    /// tried again. The error lists why each failed.
    async fn first_token(&self, scope: &str) -> Result<AccessToken, String> {
        let Source::Chain(chain) = &self.source else {
            return Err("no credential chain".into());
        };
        let mut why = Vec::new();
        for (name, credential, limit) in chain {
            match tokio::time::timeout(*limit, credential.get_token(&[scope], None)).await {
                Ok(Ok(token)) => {
                    // Another request may have chosen first; either is a working one.
                    let _ = self.chosen.set((*name, credential.clone()));
                    return Ok(token);
                }
                Ok(Err(e)) => why.push(format!("{name}: {}", credential_error(&e))),
                Err(_) => why.push(format!("{name}: no answer within {limit:?}")),
            }
        }
        Err(format!(
            "no Azure credentials ({}): run `az login`, set AZURE_TENANT_ID, AZURE_CLIENT_ID \
             and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE), run on Azure with a \
             managed identity, or pass tokens with --azure-access-token-env and \
             --azure-arm-token-env",
            if why.is_empty() {
                "none of the chain is available here".to_string()
            } else {
                why.join("; ")
            }
        ))
    }
}

/// The credentials of the standard chain this environment makes possible, in order.
fn chain(tenant: Option<&str>, cloud: Cloud) -> Result<Vec<Link>, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let tenant = tenant
        .map(str::to_string)
        .or_else(|| var("AZURE_TENANT_ID"));
    let client_options = || ClientOptions {
        cloud: Some(Arc::new(cloud.configuration())),
        ..Default::default()
    };
    let fail = |what: &str, e: azure_core::Error| format!("{what}: {}", credential_error(&e));
    let mut out: Vec<Link> = Vec::new();
    if let (Some(t), Some(id), Some(secret)) = (
        tenant.as_deref(),
        var("AZURE_CLIENT_ID"),
        var("AZURE_CLIENT_SECRET"),
    ) {
        let c = ClientSecretCredential::new(
            t,
            id,
            Secret::new(secret),
            Some(ClientSecretCredentialOptions {
                client_options: client_options(),
            }),
        )
        .map_err(|e| fail("the client secret in the environment", e))?;
        out.push(("a client secret (AZURE_CLIENT_SECRET)", c, TRY_TIMEOUT));
    }
    if var("AZURE_FEDERATED_TOKEN_FILE").is_some() {
        let mut options = WorkloadIdentityCredentialOptions {
            tenant_id: tenant.clone(),
            ..Default::default()
        };
        options.credential_options.client_options = client_options();
        let c = WorkloadIdentityCredential::new(Some(options))
            .map_err(|e| fail("workload identity (AZURE_FEDERATED_TOKEN_FILE)", e))?;
        out.push(("workload identity", c, TRY_TIMEOUT));
    }
    let managed = || {
        ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
            client_options: client_options(),
            ..Default::default()
        }))
    };
    let hosted = var("IDENTITY_ENDPOINT").is_some() || var("MSI_ENDPOINT").is_some();
    if hosted {
        let c = managed().map_err(|e| fail("the managed identity", e))?;
        out.push(("the host's managed identity", c, TRY_TIMEOUT));
    }
    if let Ok(c) = AzureCliCredential::new(Some(AzureCliCredentialOptions {
        tenant_id: tenant.clone(),
        ..Default::default()
    })) {
        out.push(("the Azure CLI login", c, TRY_TIMEOUT));
    }
    if let Ok(c) = AzureDeveloperCliCredential::new(Some(AzureDeveloperCliCredentialOptions {
        tenant_id: tenant.clone(),
        ..Default::default()
    })) {
        out.push(("the Azure Developer CLI login", c, TRY_TIMEOUT));
    }
    if !hosted && let Ok(c) = managed() {
        out.push(("the virtual machine's managed identity", c, IMDS_TIMEOUT));
    }
    Ok(out)
}

/// An `azure_identity` error with its causes, on one line, cleaned (its messages name
/// tools, files and endpoints; a message quoting anything token-like is withheld).
fn credential_error(e: &azure_core::Error) -> String {
    clean_message(&crate::text::error_chain(e), None)
}

impl Cloud {
    fn configuration(self) -> CloudConfiguration {
        match self {
            Cloud::Public => CloudConfiguration::AzurePublic,
            Cloud::UsGovernment => CloudConfiguration::AzureGovernment,
            Cloud::China => CloudConfiguration::AzureChina,
        }
    }
}

/// The tokens of one audience, as the REST client takes them.
pub struct Scoped {
    pub auth: Arc<Auth>,
    pub audience: Audience,
}

impl Tokens for Scoped {
    fn token(&self) -> impl std::future::Future<Output = Result<String, String>> + Send {
        self.auth.token(self.audience)
    }

    fn secret(&self) -> Option<String> {
        self.auth.last(self.audience)
    }
}
