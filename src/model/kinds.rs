//! The vocabulary the inventory, the findings and the rules share: kinds of agents,
//! identities, credentials and providers, finding categories, kinds of change.
//!
//! Each is an enum the compiler checks, spelled in reports and rules exactly as before
//! (kebab-case strings). The *open* ones keep any other spelling in `Other`: the secret
//! catalogue and the agent catalogue are data files, and the kinds they name are theirs.

/// Defines a vocabulary enum: each variant with its spelling. `open` adds `Other(String)`
/// for spellings that data files bring; a closed one fails to parse anything else.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident open {
            $($(#[$vmeta:meta])* $variant:ident = $spelling:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A kind named by a data file rather than by the code.
            Other(String),
        }

        impl $name {
            /// The spellings the code knows.
            pub const KNOWN: &'static [&'static str] = &[$($spelling),*];

            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $spelling,)*
                    $name::Other(s) => s,
                }
            }

            pub fn parse(s: &str) -> Self {
                match s {
                    $($spelling => $name::$variant,)*
                    other => $name::Other(other.to_string()),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::parse(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match $name::parse(&s) {
                    $name::Other(_) => $name::Other(s),
                    known => known,
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map($name::from)
            }
        }

        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "description": format!(
                        "One of {}, or a kind that a data file names.",
                        $name::KNOWN.join(", ")
                    ),
                })
            }
        }

        $crate::model::vocabulary!(@common $name);
    };
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $spelling:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every spelling.
            pub const KNOWN: &'static [&'static str] = &[$($spelling),*];
            /// Every variant, in the order of [`Self::KNOWN`].
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $spelling,)*
                }
            }

            /// `None` for a spelling that is not one of [`Self::KNOWN`].
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($spelling => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "unknown {} `{s}` (one of: {})",
                        stringify!($name),
                        $name::KNOWN.join(", ")
                    ))
                })
            }
        }

        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": $name::KNOWN })
            }
        }

        $crate::model::vocabulary!(@common $name);
    };
    (@common $name:ident) => {
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // `pad`, so that widths and alignment (`{:<12}`) apply as to a string.
                f.pad(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        /// Ordered by spelling, as the strings they replace were: sorted output stays
        /// the same.
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

/// For the other closed vocabularies of the crate (the kinds of export a source
/// recognises).
pub(crate) use vocabulary;

vocabulary! {
    /// What kind of agent: how it was found and what runs it.
    pub enum AgentKind open {
        /// A GitHub Actions job that runs an AI agent.
        GithubWorkflow = "github-workflow",
        /// A GitHub App installation used by an agent.
        GithubApp = "github-app",
        /// An MCP client configuration (an IDE, a desktop app, a coding agent).
        McpClient = "mcp-client",
        /// A coding agent's settings (Claude Code `.claude/settings.json`, Cursor
        /// `.cursor/cli.json`): what it may use without a person approving.
        CodingAgent = "coding-agent",
        CrewAi = "crewai",
        A2a = "a2a",
        LangGraph = "langgraph",
        AutoGen = "autogen",
        /// An IAM principal tagged or trusted as an agent.
        AwsPrincipal = "aws-principal",
        /// An IAM role an AWS AI service (Bedrock, SageMaker, …) assumes.
        AwsServiceAgent = "aws-service-agent",
        /// A Google Cloud service account labelled or named as an agent's.
        GcpServiceAccount = "gcp-service-account",
        /// A Google service agent of an AI service (Vertex AI Agent Engine, Dialogflow, …).
        GcpServiceAgent = "gcp-service-agent",
        /// A Microsoft Entra service principal or application tagged or named as an agent's.
        AzureServicePrincipal = "azure-service-principal",
        /// The identity of an Azure AI service (Azure OpenAI, AI Foundry, Copilot Studio).
        AzureServiceAgent = "azure-service-agent",
        /// A Kubernetes workload (a pod, a Deployment, a Job, …) that runs an AI agent.
        KubernetesWorkload = "kubernetes-workload",
        /// A credential whose variable or secret name says an agent uses it.
        NamedCredential = "named-credential",
        /// Declared in the config.
        Declared = "declared",
    }
}

vocabulary! {
    /// What kind of principal or token an identity is.
    pub enum IdentityKind open {
        AwsRole = "aws-role",
        AwsUser = "aws-user",
        AwsRoot = "aws-root",
        /// Whoever administers an account (the target of `Principal: {"AWS": "<account>"}`).
        AwsAccountAdmin = "aws-account-admin",
        /// A trusted account outside the export.
        AwsAccountTrust = "aws-account-trust",
        /// The workflow `GITHUB_TOKEN`.
        GithubToken = "github-token",
        GithubAppInstallation = "github-app-installation",
        GithubClassicPat = "github-classic-pat",
        GithubFineGrainedPat = "github-fine-grained-pat",
        GithubDeployKey = "github-deploy-key",
        /// A Google Cloud service account (user-managed, default or a Google service agent).
        GcpServiceAccount = "gcp-service-account",
        /// A workload identity pool provider: tokens of another issuer (GitHub Actions)
        /// become Google Cloud principals.
        GcpWorkloadIdentityProvider = "gcp-workload-identity-provider",
        /// A Microsoft Entra application registered in the tenant, with its service
        /// principal there when it has one.
        AzureApplication = "azure-application",
        /// A service principal whose application is registered elsewhere (another
        /// tenant, Microsoft).
        AzureServicePrincipal = "azure-service-principal",
        /// A managed identity: Azure issues its tokens; it has no secrets.
        AzureManagedIdentity = "azure-managed-identity",
        /// A Kubernetes service account: what a pod acts as towards the cluster API, and
        /// through workload identity towards a cloud.
        KubernetesServiceAccount = "kubernetes-service-account",
    }
}

vocabulary! {
    /// Who issues an identity or credential.
    pub enum Provider open {
        Aws = "aws",
        Github = "github",
        OpenAi = "openai",
        Anthropic = "anthropic",
        Google = "google",
        /// Google Cloud IAM (service accounts and their keys).
        Gcp = "gcp",
        /// Microsoft Entra ID and Azure RBAC.
        Azure = "azure",
        /// A Kubernetes cluster's API (RBAC and service-account tokens).
        Kubernetes = "kubernetes",
        /// A secret of a known shape that no one provider issues (a password, a private key).
        Generic = "generic",
        /// A secret whose issuer nothing tells.
        Unknown = "unknown",
    }
}

vocabulary! {
    /// What kind of secret material a credential is.
    pub enum CredentialKind open {
        /// An IAM access key as IAM lists it.
        AwsAccessKey = "aws-access-key",
        AwsAccessKeyId = "aws-access-key-id",
        AwsSecretAccessKey = "aws-secret-access-key",
        GithubToken = "github-token",
        GithubClassicPat = "github-classic-pat",
        SshDeployKey = "ssh-deploy-key",
        /// A user-managed key of a Google Cloud service account, as IAM lists it.
        GcpServiceAccountKey = "gcp-service-account-key",
        /// A client secret of a Microsoft Entra application or service principal.
        AzureClientSecret = "azure-client-secret",
        /// A certificate of a Microsoft Entra application or service principal.
        AzureCertificate = "azure-certificate",
        /// A long-lived service-account token Secret (`kubernetes.io/service-account-token`).
        KubernetesServiceAccountToken = "kubernetes-service-account-token",
    }
}

vocabulary! {
    /// What a finding is about; every rule names one.
    pub enum Category {
        HardcodedSecret = "hardcoded-secret",
        LongLivedCredential = "long-lived-credential",
        StaleIdentity = "stale-identity",
        OverPrivilege = "over-privilege",
        WriteCreep = "write-creep",
        PrivilegeChain = "privilege-chain",
        SharedCredential = "shared-credential",
        WeakWorkloadIdentity = "weak-workload-identity",
        UnattributableAction = "unattributable-action",
        MissingOwnership = "missing-ownership",
        /// Who can steer an agent meets what it can reach: untrusted input with private
        /// data and a way out, or an outsider's path to write access.
        Exposure = "exposure",
        /// Code an agent loads at run time from a registry without a fixed version.
        SupplyChain = "supply-chain",
        /// Traffic, tokens among it, sent in clear.
        InsecureTransport = "insecure-transport",
    }
}

vocabulary! {
    /// How what an agent may do rose between two versions of a file.
    pub enum ChangeKind {
        /// A token scope's level rose (`contents: read` → `write`).
        PermissionRaised = "permission-raised",
        /// `permissions: write-all` replaced a narrower block.
        WriteAllAdded = "write-all-added",
        McpServerAdded = "mcp-server-added",
        /// A tool became auto-approved.
        ToolAdded = "tool-added",
        /// The agent itself appeared.
        AgentAdded = "agent-added",
        /// Infrastructure code raised what an identity an agent holds may do, or gave the
        /// agent an identity (`subject` is the identity).
        AccessRaised = "access-raised",
    }
}

vocabulary! {
    /// What accepted a finding.
    pub enum SuppressedBy {
        /// A `nhi-audit:ignore` comment beside the finding.
        Inline = "inline",
        /// An `ignore:` entry of the config.
        Config = "config",
        /// The fingerprint is in the `--baseline`.
        Baseline = "baseline",
    }
}

vocabulary! {
    /// What a privilege chain starts from.
    pub enum ChainStart {
        /// An agent, which gains what the path reaches.
        Agent = "agent",
        /// An identity no agent holds, which an agent that later holds it would inherit.
        Identity = "identity",
        /// Anyone on the internet, through the agents whose input they can write.
        Outside = "outside",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_spelling_is_its_variant_and_round_trips() {
        let k: AgentKind = serde_json::from_str("\"github-workflow\"").unwrap();
        assert_eq!(k, AgentKind::GithubWorkflow);
        assert_eq!(serde_json::to_string(&k).unwrap(), "\"github-workflow\"");
        assert_eq!(k, "github-workflow");
    }

    #[test]
    fn an_open_kind_keeps_what_a_data_file_names() {
        let k = CredentialKind::from("openrouter-api-key");
        assert_eq!(k, CredentialKind::Other("openrouter-api-key".into()));
        assert_eq!(serde_json::to_string(&k).unwrap(), "\"openrouter-api-key\"");
        assert_eq!(
            CredentialKind::from(String::from("aws-access-key")),
            CredentialKind::AwsAccessKey
        );
    }

    #[test]
    fn a_closed_kind_rejects_other_spellings() {
        assert_eq!(Category::parse("write-creep"), Some(Category::WriteCreep));
        assert_eq!(Category::parse("write_creep"), None);
        let err = serde_json::from_str::<ChangeKind>("\"raised\"").unwrap_err();
        assert!(
            err.to_string().contains("unknown ChangeKind `raised`"),
            "{err}"
        );
    }

    #[test]
    fn kinds_sort_by_spelling_as_the_strings_did() {
        let mut v = [
            AgentKind::McpClient,
            AgentKind::Other("zed".into()),
            AgentKind::A2a,
            AgentKind::GithubWorkflow,
        ];
        v.sort();
        let spelled: Vec<_> = v.iter().map(AgentKind::as_str).collect();
        assert_eq!(spelled, ["a2a", "github-workflow", "mcp-client", "zed"]);
    }
}
