//! The facts rules read, one record per kind of agent and per identity provider, with
//! what each field means and its type. The rule vocabulary and `nhi-audit rules fields`
//! are generated from these structs.
//!
//! For now they describe what the sources write rather than what they build: the
//! sources still fill `Agent::facts` and `Identity::facts` as JSON maps, and
//! `tests/it/rules.rs` proves that every record written on the fixtures and the shared
//! corpus reads back as its struct. Building these structs in the sources is a later
//! step.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AccessLevel;
use super::kinds::AgentKind;

/// Permissions as a workflow writes them: `read-all` or `write-all`, or a level per scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum WorkflowPermissions {
    /// `read-all` or `write-all`.
    All(String),
    /// Scope → level (`contents: write`).
    Scopes(BTreeMap<String, String>),
}

/// A GitHub grant's permissions: scope → level (an app installation), or per resource
/// (`organization`, `repository`, `other`), scope → level (a fine-grained PAT).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum GithubPermissions {
    /// Scope → level.
    Scopes(BTreeMap<String, String>),
    /// Resource → scope → level.
    ByResource(BTreeMap<String, BTreeMap<String, String>>),
}

/// A step that runs the agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentStep {
    /// The agent product (`Claude Code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The model provider it talks to, when known (`anthropic`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The action or workflow it uses (`anthropics/claude-code-action@v1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uses: Option<String>,
    /// Whether `uses` is pinned to a commit (or is local).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    /// The file of the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Its line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// Untrusted text that reaches the agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UntrustedInput {
    /// The context it comes from (`github.event.issue.body`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Where it goes, in words (`the \`prompt\` input of Claude Code`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub into: Option<String>,
    /// Who writes that text, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_by: Option<String>,
    /// The file where it is passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Its line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// `agent.facts.exposure`: the three legs of an agent's exposure, each a list of
/// sentences saying why (empty when the leg is absent). All three at once is the lethal
/// trifecta: whoever writes its input can make it send its data out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exposure {
    /// What outsiders write that reaches it: a trigger any GitHub user fires, issue or
    /// comment text in its prompt, an MCP server that reads the web, email or an issue
    /// tracker, an A2A card without authentication.
    #[serde(default)]
    pub untrusted_input: Vec<String>,
    /// What it can read that an attacker wants: the job's secrets, an MCP server that
    /// reads private data or is given a credential, a cloud or GitHub identity it acts as.
    #[serde(default)]
    pub private_data: Vec<String>,
    /// How it can change things or send data out: write access it reaches, an MCP server
    /// that writes or sends.
    #[serde(default)]
    pub outbound: Vec<String>,
    /// How many of the three legs are present (0–3).
    #[serde(default)]
    pub legs: u8,
    /// All three legs at once.
    #[serde(default)]
    pub trifecta: bool,
}

/// A gh-aw safe output the agent may ask for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SafeOutput {
    /// Its kind (`create-pull-request`, `add-comment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Its `max:`, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// The token scopes applying it needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Its line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

/// An access key of an IAM user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwsAccessKey {
    /// The key id (`AKIA…`), when the export has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The key's name in the export (`key1`, `key2`, or its id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<String>,
    /// Whether it is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// When it was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When it was last used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used: Option<String>,
    /// Its age, in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i64>,
    /// Days since it was last used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_days: Option<i64>,
    /// Whether it was never used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub never_used: Option<bool>,
}

/// A way into other principals, one per method.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwsEscalation {
    /// The method's short name (`iam:CreatePolicyVersion`, `PassRole+lambda`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// What the method does, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The first few principals it reaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<String>>,
    /// How many principals it reaches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_count: Option<u64>,
    /// Whether one of them is the principal itself (it rewrites its own permissions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_modification: Option<bool>,
    /// Whether every way depends on a condition that could not be decided offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional: Option<bool>,
}

/// A principal another can change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwsPowerOver {
    /// The principal's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// `user` or `role`.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub kind: Option<String>,
    /// Each way (`iam:PutRolePolicy`, `iam:CreatePolicyVersion on policy/NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Vec<String>>,
    /// Whether every way depends on a condition that could not be decided offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional: Option<bool>,
    /// Whether it is already reported as an escalation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<bool>,
}

/// A customer policy whose versions raised its level.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwsPolicyCreep {
    /// The policy's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Its first version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_version: Option<String>,
    /// The first version's level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_level: Option<AccessLevel>,
    /// The version with the highest level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_version: Option<String>,
    /// That version's level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_level: Option<AccessLevel>,
    /// When that version was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The version in force.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_version: Option<String>,
}

/// The secrets a caller hands a called workflow: `inherit`, or their names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SecretsPassed {
    /// `inherit`: every secret of the caller.
    Inherit(String),
    /// The names of the secrets passed.
    Names(Vec<String>),
}

/// Who could start a workflow job without its environment's reviewers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartWithoutEnvironment {
    /// `anyone`, `contributors`, `writers`, `maintainers` or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// The sentence that decides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The caller of a job in a called (reusable) workflow.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CalledBy {
    /// The caller's workflow file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The calling job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// The called workflow file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// The job of the called workflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub called_job: Option<String>,
    /// The secrets the caller hands over: `inherit`, or their names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_passed: Option<SecretsPassed>,
}

/// A call to a reusable workflow that was not read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnresolvedCall {
    /// The called workflow (`org/repo/.github/workflows/x.yml@ref`, `./…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The permissions the call hands over; null for the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<WorkflowPermissions>,
    /// The secrets it hands over: `inherit`, or their names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<SecretsPassed>,
}

/// A gh-aw workflow's Markdown source and compiled lock.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GhAw {
    /// The Markdown source, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The lock file (`*.lock.yml`); null on the Markdown source itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
    /// The job's role in the lock: `agent` or `threat detection`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The engine the source names (`claude`, `codex`, `copilot`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// The repository roles allowed to start it (`roles:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The tools the source gives the agent (`tools:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<String>>,
    /// The lock's job that applies the safe outputs with a write token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer_job: Option<String>,
}

/// What a role's trust policy lets in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwsTrust {
    /// The AWS services it trusts (`bedrock.amazonaws.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
    /// The AWS principals it trusts (accounts, roles, users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<Vec<String>>,
    /// The identity providers it trusts (OIDC, SAML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federated: Option<Vec<String>>,
    /// Whether it lets in any principal (`"*"`) with no condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_principal: Option<bool>,
    /// Trusted services with no `aws:SourceAccount`, `aws:SourceArn` or `aws:SourceOrgID`
    /// condition (a confused deputy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confused_deputy_services: Option<Vec<String>>,
    /// Each statement trusting GitHub's OIDC provider: its `sub` and `aud` and their issues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_oidc: Option<Vec<GithubOidcTrust>>,
    /// Every issue of those statements (a `sub` any repository matches, no `aud`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_oidc_issues: Option<Vec<String>>,
    /// Each statement trusting an EKS cluster's OIDC provider (IRSA): its provider and
    /// the `sub` and `aud` it requires. Absent when no statement does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eks_oidc: Option<Vec<EksOidcTrust>>,
}

/// A trust statement for an EKS cluster's OIDC provider (IAM roles for service accounts).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EksOidcTrust {
    /// The provider (`oidc.eks.REGION.amazonaws.com/id/ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The `sub` values it allows (`system:serviceaccount:NS:NAME`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<Vec<String>>,
    /// Whether a `sub` value is matched as a pattern (`StringLike`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_like: Option<bool>,
    /// The `aud` values it allows (`sts.amazonaws.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Vec<String>>,
    /// Whether it allows `sts:AssumeRoleWithWebIdentity`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_identity: Option<bool>,
}

/// A trust statement for GitHub's OIDC provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubOidcTrust {
    /// The `sub` values it allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<Vec<String>>,
    /// The `aud` values it allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Vec<String>>,
    /// What lets too much in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issues: Option<Vec<String>>,
}

/// `agent.facts` of a GitHub Actions job that runs an AI agent (`github-workflow`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowAgentFacts {
    /// The workflow's name (or its file when it has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    /// The workflow file the job is in (the caller's, for a called workflow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_file: Option<String>,
    /// The job's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// The agent product the job runs (`Claude Code`, `Codex`, `AI agent` when unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The gh-aw engine (`claude`, `codex`, `copilot`, …), on gh-aw Markdown workflows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// The steps that run the agent: `agent`, `provider`, `uses`, `pinned`, `file`, `line`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_steps: Option<Vec<AgentStep>>,
    /// The events that start the workflow (`issue_comment`, `pull_request_target`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggers: Option<Vec<String>>,
    /// The triggers any outsider can fire (issues, comments, forks' pull requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub untrusted_triggers: Option<Vec<String>>,
    /// The workflows whose completion starts this one (`workflow_run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_workflows: Option<Vec<String>>,
    /// Where the token's permissions come from: `job`, `workflow`, `caller`, `front
    /// matter` or `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_source: Option<String>,
    /// The token's permissions as written: `read-all`, `write-all` or scope → level;
    /// null for the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<WorkflowPermissions>,
    /// The token's highest level: `read`, `write`, … or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_access_level: Option<String>,
    /// Token scopes at write or above (`contents`, `pull-requests`), from the job's
    /// effective permissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_scopes: Option<Vec<String>>,
    /// The repository's default token permission (`read` or `write`), when the job has
    /// no `permissions:` block and the GitHub source read the setting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_workflow_permissions: Option<String>,
    /// Whose setting the default is: `repository org/name` or `organization org`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_permissions_from: Option<String>,
    /// Whether the default token may approve pull requests (the GitHub setting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_approve_pull_request_reviews: Option<bool>,
    /// The id of the job's `GITHUB_TOKEN` identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Whether the job may mint an OIDC token (`id-token: write`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<bool>,
    /// The federation inputs set on the agent's steps (`role-to-assume`, `use_bedrock`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federation: Option<Vec<String>>,
    /// The cloud roles the job assumes (`role-to-assume`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_to_assume: Option<Vec<String>>,
    /// The Google Cloud service accounts the job signs in as
    /// (`google-github-actions/auth` `service_account`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcp_service_accounts: Option<Vec<String>>,
    /// The workload identity providers the job's OIDC token is exchanged at
    /// (`google-github-actions/auth` `workload_identity_provider`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcp_workload_identity_providers: Option<Vec<String>>,
    /// The Microsoft Entra applications the job signs in to Azure as (`azure/login`
    /// `client-id`, when literal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_client_ids: Option<Vec<String>>,
    /// Static cloud keys the job gets: secrets named like one and inputs
    /// (`aws-access-key-id`, `credentials_json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_cloud_keys: Option<Vec<String>>,
    /// A sentence of what the job holds (write scopes, secrets, roles, static keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holds: Option<String>,
    /// The names of the secrets the job receives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<String>>,
    /// The secrets it receives that are not a model provider's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_model_secrets: Option<Vec<String>>,
    /// Whether the job gets every secret of its caller (`secrets: inherit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_inherit: Option<bool>,
    /// Secrets passed as the agent's GitHub token (`github_token`, `GH_TOKEN`) with no app
    /// token minted: a PAT in place of `GITHUB_TOKEN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_token_override: Option<Vec<String>>,
    /// Whether the job mints a GitHub App token (`create-github-app-token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_token: Option<bool>,
    /// The `permission-*` inputs of the app token step (`contents: write`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_token_permissions: Option<Vec<String>>,
    /// The literal app ids the app token step names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_token_apps: Option<Vec<String>>,
    /// The job's deployment environment, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The agent's `allowed_non_write_users` input, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_non_write_users: Option<String>,
    /// The agent's `allowed_bots` input, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_bots: Option<String>,
    /// Flags that turn off the agent's own safeguards (`--dangerously-skip-permissions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dangerous_flags: Option<Vec<String>>,
    /// Whether a `run:` script of the job calls a model provider's API endpoint itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls_llm_api: Option<bool>,
    /// The reusable workflow the job calls (`uses:`), or the called file it runs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls: Option<String>,
    /// A call to a workflow that was not read: `target`, the `permissions` and the
    /// `secrets` it hands over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unresolved_call: Option<UnresolvedCall>,
    /// For a job of a called workflow, its caller: `file`, `job`, `workflow`,
    /// `called_job`, `secrets_passed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub called_by: Option<CalledBy>,
    /// Untrusted text that reaches the agent (`source`, `into`, `written_by`, `file`,
    /// `line`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub untrusted_inputs: Option<Vec<UntrustedInput>>,
    /// The gh-aw source and lock of the workflow: `source`, `lock`, `role`, `engine`,
    /// `roles`, `tools`, `writer_job`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gh_aw: Option<GhAw>,
    /// The gh-aw safe outputs the agent may ask for (`kind`, `max`, `scopes`, `line`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safe_outputs: Option<Vec<SafeOutput>>,
    /// Write scopes of the job that applies the safe outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writes_through_safe_outputs: Option<Vec<String>>,
    /// Who can start a run: `anyone`, `contributors`, `writers`, `maintainers` or
    /// `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who_can_start: Option<String>,
    /// The sentence that decides `who_can_start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who_can_start_reason: Option<String>,
    /// The line that decides `who_can_start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who_can_start_line: Option<u64>,
    /// Who could start it without the environment's reviewers (`level`, `reason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who_can_start_without_environment: Option<StartWithoutEnvironment>,
    /// The repository (`org/name`), when the GitHub source read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The highest level the agent reaches through every path (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_level: Option<AccessLevel>,
    /// What the agent reaches, highest level per domain (`write on contents in GitHub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_access: Option<Vec<String>>,
    /// Who can steer it and what follows: the three legs (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
}

/// `agent.facts` of an MCP client configuration (`mcp-client`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct McpAgentFacts {
    /// The client the file configures (`Claude Code`, `VS Code`, `Cursor`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// The configured servers, each: `name`; `transport` (`stdio`, `http`, `sse`, …);
    /// `command`; `launcher` (`npx`, `pnpx`, `bunx`, `npm`, `pnpm`, `yarn`, `bun`,
    /// `uvx`, `uv`, `pipx`, `dnx`, `docker`, `podman`; null when the command is none of
    /// them); `package` (what the launcher pulls, as written: `pkg@1.2.3`, `pkg==1.0`,
    /// `git+https://…`, an image `ghcr.io/o/i:tag`); `pinned` (`pinned`: an exact version,
    /// an image digest or a full commit id; `tag`: a reference that can move — an image
    /// tag other than `latest`, an npm dist-tag or range, a pip range, a git branch;
    /// `unpinned`: no version or `latest`; null for local code and servers no launcher
    /// pulls); `url` (the configured URL, or the one a bridge such as `mcp-remote`
    /// connects to; without userinfo or query); `host` (that URL's host, lower-cased);
    /// `remote` (the URL is not loopback); `catalog` (the name of the
    /// `data/mcp-servers.yaml` entry that knows the package, image or host, else null);
    /// `capabilities` (that entry's, from `untrusted-input`, `private-data`, `outbound`;
    /// empty when the catalogue does not know the server — never guessed from a name);
    /// `credentials` (ids); `auto_approve`; `disabled`; `trust`; `line`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub servers: Option<Vec<Value>>,
    /// How many servers it configures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_count: Option<u64>,
    /// The enabled servers a launcher pulls without a pinned version or digest (`pinned`
    /// is `unpinned` or `tag`), as `name (package)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unpinned_servers: Option<Vec<String>>,
    /// The enabled remote servers reached over plain `http://`, as `name (url)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plain_http_servers: Option<Vec<String>>,
    /// The ids of the `inputs` the client prompts for as passwords.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_inputs: Option<Vec<String>>,
    /// The ids of the model provider keys the config sets (`options.apiKey`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_keys: Option<Vec<String>>,
    /// What the client may use without a person approving (see [`ToolScope`]), when the
    /// file also holds permission settings (Gemini CLI, Codex, VS Code, opencode, Goose).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_scope: Option<ToolScope>,
    /// The highest level the agent reaches through every path (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_level: Option<AccessLevel>,
    /// What the agent reaches, highest level per domain (`write on contents in GitHub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_access: Option<Vec<String>>,
    /// Who can steer it and what follows: the three legs (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
}

/// `agent.facts` of a coding agent's settings file that configures no MCP server
/// (`coding-agent`): Claude Code `.claude/settings.json`, Cursor `.cursor/cli.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodingAgentFacts {
    /// The product the settings are for (`Claude Code`, `Cursor`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// What it may use without a person approving, from every settings file that applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_scope: Option<ToolScope>,
    /// The highest level the agent reaches through every path (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_level: Option<AccessLevel>,
    /// What the agent reaches, highest level per domain (`write on contents in GitHub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_access: Option<Vec<String>>,
    /// Who can steer it and what follows: the three legs (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
}

/// Which settings file a value comes from, lowest precedence first: the user's own, the
/// project's (checked in), the developer's local one for the project, the managed one.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ScopeLevel {
    User,
    Project,
    Local,
    Managed,
}

/// What a permission rule says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScopeDecision {
    /// Runs without asking.
    Allow,
    /// Asks a person each time.
    Ask,
    /// Never runs.
    Deny,
}

/// The kind of tool a permission rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ScopeTool {
    /// Shell commands (`Bash`, `Shell`, `run_shell_command`, the terminal).
    Shell,
    /// Reading files.
    Read,
    /// Editing or writing files.
    Write,
    /// Fetching URLs (`WebFetch`).
    Network,
    /// Web search.
    Search,
    /// MCP tools.
    Mcp,
    /// Every tool at once (opencode's `"permission": "allow"`).
    All,
    /// Any other tool (`Skill`, `Task`).
    Other,
}

/// One permission rule as a file writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeRule {
    /// The rule as written (`Bash(git push:*)`, `chat.tools.terminal.autoApprove: git`).
    pub rule: String,
    pub decision: ScopeDecision,
    pub tool: ScopeTool,
    /// The command, path, domain or MCP tool it names; empty for every use of the tool.
    pub target: String,
    /// Whether it also matches whatever follows the target (`git push:*`).
    pub open: bool,
    pub level: ScopeLevel,
    /// `file:line:column` of the rule.
    pub at: String,
}

/// One setting that changes what runs without approval, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeSetting {
    /// Its dotted name (`permissions.defaultMode`, `sandbox_mode`,
    /// `profiles.ci.approval_policy`).
    pub name: String,
    /// Its value as text.
    pub value: String,
    pub level: ScopeLevel,
    /// `file:line:column` of the value.
    pub at: String,
}

/// What grants a capability: the rule or setting, why, and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeGrant {
    /// The rule or setting as written.
    pub rule: String,
    /// Why it grants the capability (`an interpreter`, `pushes to the remote`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// `file:line:column` of the rule or setting.
    pub at: String,
}

/// A hook: a command the agent runs by itself on an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeHook {
    /// The event (`PreToolUse`, `SessionStart`, Codex's `notify`).
    pub event: String,
    /// The tools it runs for (`Bash`, `Edit|Write`), when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
    /// The program it runs (the command's first word, never its arguments).
    pub program: String,
    pub level: ScopeLevel,
    /// `file:line:column` of the command.
    pub at: String,
}

/// A settings file that went into a tool scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeSource {
    pub file: String,
    pub level: ScopeLevel,
}

/// `agent.facts.tool_scope`: what a coding agent may use without a person approving,
/// the effective result of every settings file of the product that applies (deny and
/// ask beat allow; a setting from a higher level wins). Each `*_by` list names the rules
/// or settings that grant the capability, where they are written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolScope {
    /// The product (`Claude Code`, `Codex`, `Gemini CLI`, `Cursor`, `VS Code`, `opencode`,
    /// `Goose`).
    pub product: String,
    /// The files read, with their level.
    pub sources: Vec<ScopeSource>,
    /// The approval mode in effect (`bypassPermissions`, `acceptEdits`, Codex's
    /// `approval_policy`, Gemini's `defaultApprovalMode`, `GOOSE_MODE`), when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Whether every tool runs without approval (permissions bypassed; Codex with no
    /// sandbox and approval `never`).
    pub bypass: bool,
    /// What turns approval off: the settings, and Codex profiles one `--profile` away.
    pub bypass_by: Vec<ScopeGrant>,
    /// Shell commands it runs without asking: `any`, `listed` or `none`.
    pub shell: String,
    /// The auto-approved commands (`git add`, `npm test`), as the rules name them.
    pub shell_commands: Vec<String>,
    /// The rules that auto-approve any command: all of the shell, a shell or interpreter,
    /// a runner of any package (`npx`, `uv run`), a wrapper (`sudo`, `xargs`, `find`).
    pub shell_any_by: Vec<ScopeGrant>,
    /// Hosts it reaches without asking: `any`, `listed` or `none` (`any` too when any
    /// shell command or every tool is approved).
    pub network: String,
    /// The domains `WebFetch`-style rules approve.
    pub network_domains: Vec<String>,
    /// The rules that approve reaching any host: fetch with no domain, `curl`, `wget`.
    pub network_any_by: Vec<ScopeGrant>,
    /// The rules that approve writing to a code host or a registry (`git push`,
    /// `gh pr create`, `gh api`, `npm publish`).
    pub code_host_write_by: Vec<ScopeGrant>,
    /// The rules that approve a cloud or cluster CLI beyond reading (`aws`, `gcloud`,
    /// `az`, `kubectl apply`).
    pub cloud_by: Vec<ScopeGrant>,
    /// Whether it edits files without asking.
    pub writes_files: bool,
    /// The rules or settings that let it edit files without asking.
    pub writes_by: Vec<ScopeGrant>,
    /// The MCP tools or servers it calls without asking (`mcp__github__create_issue`).
    pub mcp_tools: Vec<String>,
    /// Whether every MCP server of the project's `.mcp.json` is started without asking
    /// (`enableAllProjectMcpServers`).
    pub all_project_mcp_servers: bool,
    /// Where that is set.
    pub all_project_mcp_servers_by: Vec<ScopeGrant>,
    /// The project MCP servers enabled by name (`enabledMcpjsonServers`).
    pub mcp_servers_enabled: Vec<String>,
    /// Commands it runs by itself on events.
    pub hooks: Vec<ScopeHook>,
    /// The names of the environment variables the settings set (never their values).
    pub env: Vec<String>,
    /// Every permission rule read, from every file.
    pub rules: Vec<ScopeRule>,
    /// Every setting read, from every file.
    pub settings: Vec<ScopeSetting>,
}

/// `agent.facts` of a CrewAI agent definition (`crewai`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CrewAiAgentFacts {
    /// Always `crewai`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    /// The tools the agent is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<String>>,
    /// What its tools can do at most: `none`, `read` or `write`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_access: Option<String>,
    /// Whether it may hand work to the other agents of its crew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_delegation: Option<bool>,
    /// Whether it may run code it writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_code_execution: Option<bool>,
    /// The model it names (`llm:`), if written as text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<String>,
    /// The highest level the agent reaches through every path (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_level: Option<AccessLevel>,
    /// What the agent reaches, highest level per domain (`write on contents in GitHub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_access: Option<Vec<String>>,
    /// Who can steer it and what follows: the three legs (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
}

/// `agent.facts` of a LangGraph graph (`langgraph`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LangGraphAgentFacts {
    /// Always `langgraph`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    /// The `.env` file the config loads (`env:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_file: Option<String>,
    /// The highest level the agent reaches through every path (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_level: Option<AccessLevel>,
    /// What the agent reaches, highest level per domain (`write on contents in GitHub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_access: Option<Vec<String>>,
    /// Who can steer it and what follows: the three legs (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
}

/// `agent.facts` of an AutoGen `OAI_CONFIG_LIST` (`autogen`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoGenAgentFacts {
    /// Always `autogen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    /// The models the list names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<String>>,
    /// The highest level the agent reaches through every path (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_level: Option<AccessLevel>,
    /// What the agent reaches, highest level per domain (`write on contents in GitHub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_access: Option<Vec<String>>,
    /// Who can steer it and what follows: the three legs (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
}

/// `agent.facts` of an A2A agent card (`a2a`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct A2aAgentFacts {
    /// Always `a2a`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework: Option<String>,
    /// The agent's endpoint (`url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The authentication schemes the card declares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_schemes: Option<Vec<String>>,
    /// Whether it declares any authentication scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticated: Option<bool>,
    /// Whether it sends push notifications to URLs its callers give.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_notifications: Option<bool>,
    /// How many skills the card lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skills: Option<u64>,
    /// The highest level the agent reaches through every path (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_level: Option<AccessLevel>,
    /// What the agent reaches, highest level per domain (`write on contents in GitHub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_access: Option<Vec<String>>,
    /// Who can steer it and what follows: the three legs (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
}

/// `agent.facts` of an AI product's GitHub App installation (`github-app`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubAppAgentFacts {
    /// The organization it is installed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// The app's slug (`claude`, `copilot-swe-agent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_slug: Option<String>,
    /// The id of the installation identity (`github:installation:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation: Option<String>,
    /// The AI product the app is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// Who makes the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Whether the installation is suspended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended: Option<bool>,
    /// The highest level the agent reaches through every path (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_level: Option<AccessLevel>,
    /// What the agent reaches, highest level per domain (`write on contents in GitHub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_access: Option<Vec<String>>,
    /// Who can steer it and what follows: the three legs (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
}

/// `agent.facts` of a GitHub credential whose name says an AI product uses it
/// (`named-credential`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedCredentialAgentFacts {
    /// The organization of the credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// The repository of a deploy key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The AI product its name points at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// The id of the credential's identity (`github:pat:…`, `github:deploy-key:…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// The highest level the agent reaches through every path (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_level: Option<AccessLevel>,
    /// What the agent reaches, highest level per domain (`write on contents in GitHub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_access: Option<Vec<String>>,
    /// Who can steer it and what follows: the three legs (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
}

/// `agent.facts` of the kinds whose sources write none, only the analysis
/// (`aws-principal`, `aws-service-agent`, `declared`): the principal's own facts are on
/// its identity (`identity.facts.aws`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalysedAgentFacts {
    /// The highest level the agent reaches through every path (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_level: Option<AccessLevel>,
    /// What the agent reaches, highest level per domain (`write on contents in GitHub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_access: Option<Vec<String>>,
    /// Who can steer it and what follows: the three legs (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
}

/// `identity.facts.aws`: an IAM user, role or root from the AWS source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AwsIdentityFacts {
    /// The principal's ARN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// Its account id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// `user`, `role` or `root`.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub kind: Option<String>,
    /// Its IAM path (`/`, `/aws-service-role/…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Whether it is a service-linked role (AWS owns its policies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_linked: Option<bool>,
    /// The highest level its policies allow; null when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_level: Option<AccessLevel>,
    /// Whether its policies allow everything (`*` on `*`), or it is the root user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<bool>,
    /// Services it has every action of (`s3:*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wildcard_services: Option<Vec<String>>,
    /// Actions it has that change permissions (`iam:PutRolePolicy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_management: Option<Vec<String>>,
    /// Service → its highest level there (`s3: write`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<BTreeMap<String, String>>,
    /// Ways to gain more access, one per method: `method`, `description`, `targets`,
    /// `target_count`, `self_modification`, `conditional`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalations: Option<Vec<AwsEscalation>>,
    /// One line per escalation method, with how many targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation_summary: Option<Vec<String>>,
    /// Ways into other principals that add no access (same shape as `escalations`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lateral_moves: Option<Vec<AwsEscalation>>,
    /// Principals it can change: `principal`, `type`, `via`, `escalation`, `conditional`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_over: Option<Vec<AwsPowerOver>>,
    /// How many principals it can change; null when it can change every one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_over_count: Option<u64>,
    /// Whether it can change every principal of its account (an administrator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_over_everyone: Option<bool>,
    /// How many of the principals it can change are not already an escalation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_over_unreported: Option<u64>,
    /// The first few principals it can change, with how, then how many more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_over_summary: Option<String>,
    /// Its access keys: `id`, `slot`, `active`, `created`, `age_days`, `last_used`,
    /// `last_used_days`, `never_used`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<AwsAccessKey>>,
    /// How many of its access keys are active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_keys: Option<u64>,
    /// Whether it can sign in to the console with a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_enabled: Option<bool>,
    /// Whether it has an MFA device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_active: Option<bool>,
    /// Whether it is the account's root user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<bool>,
    /// Days since it, or one of its keys, was last used (or created, if never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_days: Option<i64>,
    /// Who its trust policy lets in: `services`, `aws`, `federated`, `any_principal`,
    /// `confused_deputy_services`, `github_oidc`, `github_oidc_issues`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<AwsTrust>,
    /// A role's maximum session length, in hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_session_hours: Option<u64>,
    /// Its `owner`, `nhi:owner` or `team` tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Customer policies whose versions raised their level: `policy`, `from_version`,
    /// `from_level`, `to_version`, `to_level`, `default_version`, `date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_creep: Option<Vec<AwsPolicyCreep>>,
    /// One line per policy that crept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_creep_summary: Option<Vec<String>>,
    /// IAM's last-accessed data (`--aws-last-accessed`, or its export): how many services
    /// its policies allow, those it has not authenticated to in IAM's tracking period,
    /// and its last authentication to any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services_allowed: Option<u64>,
    /// The allowed services it has not authenticated to in IAM's tracking period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services_not_accessed: Option<Vec<String>>,
    /// Its last authentication to any service (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services_last_accessed: Option<String>,
    /// Set on a user only the credential report names (not in the IAM export).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_in_credential_report: Option<bool>,
}

/// A key of a Google Cloud service account, as `gcp iam service-accounts keys list`
/// describes it (never the key material).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GcpKey {
    /// The key id (the last part of its resource name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Whether it is user-managed (`USER_MANAGED`: its holder keeps the private key);
    /// false for a key Google manages and rotates (`SYSTEM_MANAGED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_managed: Option<bool>,
    /// Its algorithm (`KEY_ALG_RSA_2048`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// When it became valid (its creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When it stops being valid; absent when it never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Whether it never expires (`validBeforeTime` 9999-12-31, or none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub never_expires: Option<bool>,
    /// Whether it has expired already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired: Option<bool>,
    /// Its age, in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i64>,
    /// Whether it is disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Whether it can be used: not disabled and not expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// When Google last saw the key authenticate (Activity Analyzer), when an export
    /// says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_authenticated: Option<String>,
    /// Days since then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_days: Option<i64>,
}

/// A role a Google Cloud member holds on a resource, from an IAM policy binding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GcpRoleBinding {
    /// The role (`roles/editor`, `roles/storage.objectViewer`, `projects/P/roles/custom`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The full resource name the binding is on
    /// (`//cloudresourcemanager.googleapis.com/projects/example-project`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The level the role gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_level: Option<AccessLevel>,
    /// Whether the level is inferred from the role's name (no permissions were read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inferred: Option<bool>,
    /// Whether the binding has an IAM condition (it may not always apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditional: Option<bool>,
}

/// A member that can act as a service account (impersonation), or a public member of a
/// binding on it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GcpMemberGrant {
    /// The member as the policy names it (`serviceAccount:…`, `user:…`, `allUsers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The role it holds (`roles/iam.serviceAccountTokenCreator`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Where the binding is: the account itself or its project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// A permission a Google Cloud identity holds that changes who can do what: acting as
/// another account, creating its keys, setting IAM policies, editing roles.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct GcpPower {
    /// The permission (`iam.serviceAccountKeys.create`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// The role that gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Where the binding is (an account, project, folder or organisation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Whether the permission is known from the role's name, not its permission list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inferred: Option<bool>,
}

/// `identity.facts.gcp.workload_identity_provider`: a workload identity pool provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GcpProviderFacts {
    /// Its pool (`projects/N/locations/global/workloadIdentityPools/POOL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// The OIDC issuer whose tokens it accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Whether the issuer is GitHub Actions (`https://token.actions.githubusercontent.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github: Option<bool>,
    /// The CEL condition a token must meet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_condition: Option<String>,
    /// What the condition leaves open, for a GitHub provider in use (empty when it
    /// checks the repository or its owner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition_issues: Option<Vec<String>>,
    /// Disabled or deleted: it issues no tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// The roles its pool's principals hold: `member`, `role`, `resource`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted: Option<Vec<GcpMemberGrant>>,
    /// Those held by members any token of the pool can match (`…/POOL/*`, or an attribute
    /// that is not the repository, its owner or the subject).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_wide: Option<Vec<GcpMemberGrant>>,
}

/// `identity.facts.gcp`: a Google Cloud service account or workload identity provider
/// from the GCP source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GcpIdentityFacts {
    /// The account's email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The id of the project that owns it (from its email or the listing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Its numeric unique id, when listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_id: Option<String>,
    /// Its display name, when listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Its description, when listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether it is disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// `user-managed`, `default-compute`, `default-app-engine` or `service-agent` (by
    /// its email).
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub kind: Option<String>,
    /// A Google service agent's service (`aiplatform-re` for
    /// `@gcp-sa-aiplatform-re.iam.gserviceaccount.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_agent: Option<String>,
    /// Whether a service-account listing names it (else only policy bindings do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed: Option<bool>,
    /// Its keys: `id`, `user_managed`, `algorithm`, `created`, `expires`, `never_expires`,
    /// `expired`, `age_days`, `disabled`, `active`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<GcpKey>>,
    /// How many of its user-managed keys can be used (not disabled, not expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_user_managed_keys: Option<u64>,
    /// The roles it holds: `role`, `resource`, `access_level`, `inferred`, `conditional`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<GcpRoleBinding>>,
    /// The basic roles it holds (`roles/owner`, `roles/editor`), each once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_roles: Option<Vec<String>>,
    /// The highest level of its roles; null when it holds none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_level: Option<AccessLevel>,
    /// Who can act as it: `member`, `role`, `resource` (token creator, service account
    /// user or workload identity user on it or on its project).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonated_by: Option<Vec<GcpMemberGrant>>,
    /// `allUsers` / `allAuthenticatedUsers` bindings on it or on its project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_members: Option<Vec<GcpMemberGrant>>,
    /// Its permissions over identities and policies: acting as accounts, creating their
    /// keys, setting IAM policies (`iam.*`, `resourcemanager.*.setIamPolicy`), editing
    /// roles; each with the role and resource that give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam_powers: Option<Vec<GcpPower>>,
    /// When Google last saw the account authenticate (Activity Analyzer,
    /// `serviceAccountLastAuthentication`), when an export says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_authenticated: Option<String>,
    /// Days since then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_days: Option<i64>,
    /// Set on a workload identity pool provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_identity_provider: Option<GcpProviderFacts>,
}

/// A client secret or certificate of an Entra application or service principal, as
/// Graph lists it (never its value nor its hint).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzureCredentialFacts {
    /// Its key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// `client-secret` or `certificate`.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub kind: Option<String>,
    /// Where it is registered: `application` or `service-principal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on: Option<String>,
    /// Its display name (a description its creator wrote).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// When it became valid (its creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When it stops being valid; absent when it never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Whether it never expires (no end date, or one in the year 2299 or later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub never_expires: Option<bool>,
    /// Whether it has expired already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired: Option<bool>,
    /// Its age, in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i64>,
    /// Whether it can be used now: started and not expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// An application permission (app role) granted to a service principal.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzureAppPermission {
    /// The permission (`Mail.Read`, `RoleManagement.ReadWrite.Directory`), or the app
    /// role id when the resource's app roles were not in the export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// The resource it is on (`Microsoft Graph`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// The level it gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_level: Option<AccessLevel>,
    /// Whether it lets its holder grant itself (or anyone) any role or permission in the
    /// tenant (`RoleManagement.ReadWrite.Directory`, `AppRoleAssignment.ReadWrite.All`,
    /// `Application.ReadWrite.All` on Microsoft Graph).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalates: Option<bool>,
    /// Whether the app role id was resolved to its value through the resource's
    /// `appRoles`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<bool>,
}

/// A Microsoft Entra directory role assigned to an identity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzureDirectoryRole {
    /// The role's display name (or its definition id when not known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Its template id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// The directory scope (`/` for the whole tenant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The level it gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_level: Option<AccessLevel>,
    /// Whether it administers the tenant, its roles or its applications' credentials
    /// (Global, Privileged Role, Application, Cloud Application Administrator, or a
    /// custom role with such actions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
}

/// An Azure RBAC role assigned to an identity at a scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzureRbacRole {
    /// The role's name (`Owner`, `Reader`, a custom role's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The scope (`/subscriptions/S/resourceGroups/G`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The level it gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_level: Option<AccessLevel>,
    /// Whether it can assign roles (`Microsoft.Authorization/roleAssignments/write`):
    /// Owner, User Access Administrator, or a role whose actions allow it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigns_roles: Option<bool>,
    /// Whether it is a custom role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<bool>,
    /// Whether the level is inferred from the role's name (its actions were not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inferred: Option<bool>,
}

/// A federated identity credential of an application: the tokens it accepts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzureFederatedCredential {
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The issuer whose tokens it accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The subject a token must have (`repo:ORG/REPO:environment:prod`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The audiences a token must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audiences: Option<Vec<String>>,
    /// A flexible credential's claims matching expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims_matching_expression: Option<String>,
    /// Whether the issuer is GitHub Actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github: Option<bool>,
    /// The repository (`ORG/REPO`) its GitHub subject names, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// What the subject or expression leaves open, for a GitHub credential (empty when
    /// it pins a repository and a branch, tag or environment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issues: Option<Vec<String>>,
}

/// An owner of an Entra application: it can add secrets to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzureOwner {
    /// `user`, `service-principal` or another directory object type.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub kind: Option<String>,
    /// Its object id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Its display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// `identity.facts.azure`: a Microsoft Entra application, service principal or managed
/// identity from the Azure source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzureIdentityFacts {
    /// The application (client) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The application registration's object id, when it is registered in the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// The service principal's object id, when the export has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_id: Option<String>,
    /// Its display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The service principal's type (`Application`, `ManagedIdentity`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_type: Option<String>,
    /// The tenant that owns the application (of its service principal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_owner_organization_id: Option<String>,
    /// Who may sign in to the application (`AzureADMyOrg`, `AzureADMultipleOrgs`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_audience: Option<String>,
    /// The tags of the application and its service principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// A managed identity's Azure resource id (from `alternativeNames`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_identity_resource: Option<String>,
    /// Whether the service principal is disabled (`accountEnabled: false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Its client secrets and certificates: `key_id`, `type`, `on`, `display_name`,
    /// `created`, `expires`, `never_expires`, `expired`, `age_days`, `active`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Vec<AzureCredentialFacts>>,
    /// How many of its client secrets can be used now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_client_secrets: Option<u64>,
    /// How many of its certificates can be used now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_certificates: Option<u64>,
    /// The application permissions granted to it: `permission`, `resource`,
    /// `access_level`, `escalates`, `resolved`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_permissions: Option<Vec<AzureAppPermission>>,
    /// The Graph permissions among them that escalate (`escalates`), each once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalating_permissions: Option<Vec<String>>,
    /// Its directory roles: `role`, `template_id`, `scope`, `access_level`, `privileged`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_roles: Option<Vec<AzureDirectoryRole>>,
    /// The privileged directory roles among them, each once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged_directory_roles: Option<Vec<String>>,
    /// Both, in words (`the Graph permission RoleManagement.ReadWrite.Directory`, `the
    /// directory role Global Administrator`): what lets it take over the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_escalation: Option<Vec<String>>,
    /// Its Azure RBAC roles: `role`, `scope`, `access_level`, `assigns_roles`, `custom`,
    /// `inferred`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rbac_roles: Option<Vec<AzureRbacRole>>,
    /// The application's owners (when the listing expanded them): `type`, `id`,
    /// `display_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owners: Option<Vec<AzureOwner>>,
    /// Its federated identity credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub federated_credentials: Option<Vec<AzureFederatedCredential>>,
    /// The highest level of what it is granted; null when it holds nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_level: Option<AccessLevel>,
}

/// `identity.facts.github`: an app installation, fine-grained PAT, deploy key or Actions
/// secret from the GitHub source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubIdentityFacts {
    /// The organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// The repository of a deploy key or secret (for an organization secret, the one it
    /// reaches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// The app's slug (an installation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_slug: Option<String>,
    /// The app's id (an installation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<u64>,
    /// The installation's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation_id: Option<u64>,
    /// `all` or `selected` repositories (an installation, a PAT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_selection: Option<String>,
    /// Whether an installation reaches every repository of the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_repositories: Option<bool>,
    /// Scope → level (an installation), or per resource, scope → level (a PAT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<GithubPermissions>,
    /// An installation's scopes at write or above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_permissions: Option<Vec<String>>,
    /// The webhook events an installation receives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    /// Whether an installation is suspended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended: Option<bool>,
    /// When it was last updated (an installation, a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// The AI product an installation is, if recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// A PAT's grant id in the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<u64>,
    /// A PAT's token id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_id: Option<u64>,
    /// A PAT's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_name: Option<String>,
    /// The person who owns a PAT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Whether a PAT has expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired: Option<bool>,
    /// Whether a PAT has an expiry date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<bool>,
    /// A PAT's lifetime from grant to expiry, in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_days: Option<i64>,
    /// Days until a PAT expires (negative once it has).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<i64>,
    /// Whether a PAT was never used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub never_used: Option<bool>,
    /// Days since it was last used (or created, if never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_days: Option<i64>,
    /// A deploy key's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<u64>,
    /// Whether a deploy key is read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    /// Whether a deploy key is verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// Whether a deploy key is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// A deploy key's age, in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_days: Option<i64>,
    /// Set on an Actions secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions_secret: Option<bool>,
    /// Where an Actions secret is set: `organization` or `repository`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// An organization secret's visibility (`all`, `private`, `selected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    /// When an Actions secret was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Days since an Actions secret's value was last replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated_days: Option<i64>,
}

/// A role a Kubernetes service account is bound to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesRoleRef {
    /// `Role` or `ClusterRole`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The role's name (`cluster-admin`, `pod-reader`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The binding that binds it (`RoleBinding ci/read-pods`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
    /// Where the binding applies: `cluster` or `namespace NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Whether it is one of Kubernetes' user-facing roles (`cluster-admin`, `admin`,
    /// `edit`, `view`) read by its documented meaning, not from the files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub built_in: Option<bool>,
    /// Whether its rules are known (in the scanned files, or built in); an unknown role's
    /// power is never guessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<bool>,
}

/// A dangerous power a Kubernetes service account's bindings give it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesPower {
    /// The power: `cluster-admin`, `wildcard`, `secrets-read`, `pods-exec`,
    /// `impersonate`, `escalate`, `bind`, `rbac-write`, `create-pods`, `create-tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<String>,
    /// The role whose rule gives it (`ClusterRole secret-reader`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The binding that binds that role (`RoleBinding ci/read-secrets`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<String>,
    /// Where it applies: `cluster` or `namespace NAME`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// A cloud identity a Kubernetes service account is annotated to act as (workload
/// identity), and what its trust says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesWorkloadIdentity {
    /// `aws` (IRSA), `gcp` (GKE Workload Identity) or `azure` (Azure Workload Identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    /// The annotation's value: a role ARN, a service account email, a client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The id of the cloud identity it was joined to, when that is in the inventory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joined: Option<String>,
    /// Whether the cloud identity's trust names this service account
    /// (`system:serviceaccount:NS:NAME`); null when that trust was not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_names_subject: Option<bool>,
    /// What is wrong with that trust, in words (no `sub` condition, a pattern).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_issue: Option<String>,
}

/// `identity.facts.kubernetes`: a Kubernetes service account from manifests.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesIdentityFacts {
    /// Its namespace (`default` when the manifest names none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Whether a `ServiceAccount` object defines it in the files (else a binding or a
    /// workload only names it, as every namespace's `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defined: Option<bool>,
    /// Its `automountServiceAccountToken`; null when not written (Kubernetes mounts it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automount_token: Option<bool>,
    /// IRSA: its `eks.amazonaws.com/role-arn` annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_role_arn: Option<String>,
    /// GKE Workload Identity: its `iam.gke.io/gcp-service-account` annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcp_service_account: Option<String>,
    /// Azure Workload Identity: its `azure.workload.identity/client-id` annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_client_id: Option<String>,
    /// Each cloud identity it is annotated to act as: `cloud`, `target`, `joined`,
    /// `trust_names_subject`, `trust_issue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_identity: Option<Vec<KubernetesWorkloadIdentity>>,
    /// The roles bound to it: `kind`, `name`, `binding`, `scope`, `built_in`, `known`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<KubernetesRoleRef>>,
    /// Roles bound to it that are neither in the files nor built in (`ClusterRole x`):
    /// their power is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_roles: Option<Vec<String>>,
    /// The dangerous powers its bindings give, each once (`secrets-read`, `pods-exec`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub powers: Option<Vec<String>>,
    /// Where each power comes from: `power`, `role`, `binding`, `scope`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_grants: Option<Vec<KubernetesPower>>,
    /// Whether it is bound to `cluster-admin`, or to `*` verbs on `*` resources in every
    /// API group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_admin: Option<bool>,
    /// Whether a rule bound to it has a `*` verb or resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wildcard: Option<bool>,
    /// Its long-lived token Secrets (`kubernetes.io/service-account-token`), by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_secrets: Option<Vec<String>>,
    /// Whether it has a long-lived token Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_lived_token: Option<bool>,
    /// The workloads that run as it (`Deployment ci/reviewer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workloads: Option<Vec<String>>,
}

/// `identity.facts.activity`: what the activity logs (`--activity`) saw the identity do,
/// against what it is granted. "Used" means a call that succeeded inside the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityIdentityFacts {
    /// Events seen (in the whole of the logs read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<u64>,
    /// The first event (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    /// The last event (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    /// The window's length in days (`--activity-window`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_days: Option<u32>,
    /// How many distinct actions were used in the window, and the first 20 of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_actions: Option<u64>,
    /// The first 20 actions used in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<Vec<String>>,
    /// Calls the provider refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied_calls: Option<u64>,
    /// Agent clients its user agents name (`claude-code`, `aws-mcp-server`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_clients: Option<Vec<String>>,
    /// Role sessions seen, those with a `SourceIdentity`, and those without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<u64>,
    /// Role sessions that carried a `SourceIdentity` (or a delegate that names who acted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_attributed: Option<u64>,
    /// Role sessions nothing ties to whoever started them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unattributed_sessions: Option<u64>,
    /// Whether one session name served several sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_names_reused: Option<bool>,
    /// One of its session names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// How many distinct source addresses it called from (up to 20 are kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ips: Option<u64>,
    /// Whether the identity is a person's (a console user, a classic PAT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<bool>,
    /// Whether only the logs know it: no source listed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_only_in_logs: Option<bool>,
    /// Actions its grants allow (AWS: the grants expanded against the action table;
    /// Google Cloud: the permissions of its roles, when every role's were read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_actions: Option<u64>,
    /// Granted actions not used in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unused_actions: Option<u64>,
    /// Granted write, permissions-management or admin actions not used, their count and
    /// the first 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unused_write_count: Option<u64>,
    /// The first 20 unused write, permissions-management or admin actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unused_write: Option<Vec<String>>,
    /// Services with granted actions none of which was used, their count and the first 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unused_services_count: Option<u64>,
    /// The first 20 services none of whose granted actions was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unused_services: Option<Vec<String>>,
    /// Roles it holds whose contents no export listed (Google Cloud roles without
    /// `gcloud iam roles describe`, Azure roles without `az role definition list`), the
    /// first 20: with any, nothing it holds is called unused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles_unread: Option<Vec<String>>,
    /// Azure role assignments (`role on scope`) none of whose actions it used in the
    /// window, among roles that allow more than reads (the activity log records no
    /// reads); their count and the first 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unused_roles_count: Option<u64>,
    /// The first 20 unused Azure role assignments (`role on scope`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unused_roles: Option<Vec<String>>,
    /// Write-creep in use: reads only for `read_only_days`, then `action` at
    /// `first_write`; null otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writes_began: Option<WritesBegan>,
}

/// The first write after a read-only stretch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WritesBegan {
    /// Days of reads only before the first write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_days: Option<i64>,
    /// When the first write came (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_write: Option<String>,
    /// The first write action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

/// `agent.facts` of a Kubernetes workload that runs an AI agent (`kubernetes-workload`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesWorkloadAgentFacts {
    /// Its namespace (`default` when the manifest names none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Its kind (`Deployment`, `CronJob`, `Pod`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_kind: Option<String>,
    /// The agent product or framework recognised (`Claude Code`, `crewai`), when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Its containers' images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<String>>,
    /// The service account it runs as (`serviceAccountName`, else `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    /// Whether the service account's token is mounted into its pods (the pod spec's
    /// `automountServiceAccountToken` over the account's; Kubernetes mounts it unless
    /// one says false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automount_token: Option<bool>,
    /// Environment variables naming an LLM provider's API key (`OPENAI_API_KEY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm_keys: Option<Vec<String>>,
    /// Mounted files an agent framework reads (`/app/.mcp.json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mounted_configs: Option<Vec<String>>,
    /// Always null: whether the agent calls the Kubernetes API cannot be told from a
    /// manifest, only that it could with a mounted token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls_kubernetes_api: Option<bool>,
    /// The highest level the agent reaches through every path (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_level: Option<AccessLevel>,
    /// What the agent reaches, highest level per domain (`write on contents in GitHub`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_access: Option<Vec<String>>,
    /// Who can steer it and what follows: the three legs (the analysis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure: Option<Exposure>,
}

/// A kind of fact record: where rules read it, which agents carry it, its struct.
pub struct FactRecord {
    /// Where rules read it: `agent.facts`, `identity.facts.aws`.
    pub path: &'static str,
    /// The agent kinds that carry it; empty for an identity record.
    pub kinds: &'static [&'static str],
    /// The struct's name, as in the schema's `$defs`.
    pub name: &'static str,
    /// The struct's JSON schema.
    pub schema: fn() -> schemars::Schema,
    /// Reads a record as the struct: `Err` names the key that is unlisted or of
    /// another type.
    pub check: fn(&Value) -> Result<(), String>,
    /// Adds the struct's schema to a generator's definitions.
    add_to: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
}

fn schema_of<T: JsonSchema>() -> schemars::Schema {
    schemars::schema_for!(T)
}

fn check_as<T: DeserializeOwned>(value: &Value) -> Result<(), String> {
    serde_path_to_error::deserialize::<_, T>(value)
        .map(drop)
        .map_err(|e| match e.path().to_string().as_str() {
            "." => e.inner().to_string(),
            path => format!("`{path}`: {}", e.inner()),
        })
}

fn add_to<T: JsonSchema>(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    generator.subschema_for::<T>()
}

macro_rules! record {
    ($path:literal, [$($kind:literal),*], $t:ty) => {
        FactRecord {
            path: $path,
            kinds: &[$($kind),*],
            name: stringify!($t),
            schema: schema_of::<$t>,
            check: check_as::<$t>,
            add_to: add_to::<$t>,
        }
    };
}

/// The fact records of agents, by kind.
pub const AGENT_FACT_RECORDS: &[FactRecord] = &[
    record!("agent.facts", ["github-workflow"], WorkflowAgentFacts),
    record!("agent.facts", ["mcp-client"], McpAgentFacts),
    record!("agent.facts", ["coding-agent"], CodingAgentFacts),
    record!("agent.facts", ["crewai"], CrewAiAgentFacts),
    record!("agent.facts", ["langgraph"], LangGraphAgentFacts),
    record!("agent.facts", ["autogen"], AutoGenAgentFacts),
    record!("agent.facts", ["a2a"], A2aAgentFacts),
    record!("agent.facts", ["github-app"], GithubAppAgentFacts),
    record!(
        "agent.facts",
        ["named-credential"],
        NamedCredentialAgentFacts
    ),
    record!(
        "agent.facts",
        ["kubernetes-workload"],
        KubernetesWorkloadAgentFacts
    ),
    record!(
        "agent.facts",
        [
            "aws-principal",
            "aws-service-agent",
            "gcp-service-account",
            "gcp-service-agent",
            "azure-service-principal",
            "azure-service-agent",
            "declared"
        ],
        AnalysedAgentFacts
    ),
];

/// The fact records of identities, one per provider (`identity.facts.<provider>`).
pub const IDENTITY_FACT_RECORDS: &[FactRecord] = &[
    record!("identity.facts.aws", [], AwsIdentityFacts),
    record!("identity.facts.github", [], GithubIdentityFacts),
    record!("identity.facts.gcp", [], GcpIdentityFacts),
    record!("identity.facts.azure", [], AzureIdentityFacts),
    record!("identity.facts.kubernetes", [], KubernetesIdentityFacts),
    record!("identity.facts.activity", [], ActivityIdentityFacts),
];

/// The record an agent of `kind` carries; `None` for a kind no code writes.
pub fn agent_record(kind: &AgentKind) -> Option<&'static FactRecord> {
    AGENT_FACT_RECORDS
        .iter()
        .find(|r| r.kinds.contains(&kind.as_str()))
}

/// The record of `identity.facts.<provider>`.
pub fn identity_record(provider: &str) -> Option<&'static FactRecord> {
    IDENTITY_FACT_RECORDS
        .iter()
        .find(|r| r.path.strip_prefix("identity.facts.") == Some(provider))
}

/// Every record's struct in one JSON schema: the structs under `$defs`, and under
/// `x-records` where rules read each and which agent kinds carry it.
pub fn schema() -> Value {
    let mut generator = schemars::SchemaGenerator::default();
    let records: Vec<Value> = AGENT_FACT_RECORDS
        .iter()
        .chain(IDENTITY_FACT_RECORDS)
        .map(|r| {
            let reference = (r.add_to)(&mut generator);
            serde_json::json!({"path": r.path, "kinds": r.kinds, "schema": reference})
        })
        .collect();
    let defs: serde_json::Map<String, Value> =
        generator.take_definitions(true).into_iter().collect();
    serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "nhi-audit facts",
        "description": "The facts rules read on agents (`agent.facts`, by agent kind) and identities (`identity.facts.<provider>`).",
        "$defs": defs,
        "x-records": records,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_agent_kind_has_a_record() {
        for kind in AgentKind::KNOWN {
            assert!(agent_record(&AgentKind::parse(kind)).is_some(), "{kind}");
        }
        for r in AGENT_FACT_RECORDS {
            for kind in r.kinds {
                assert!(AgentKind::KNOWN.contains(kind), "{kind}");
            }
        }
        assert!(identity_record("aws").is_some() && identity_record("github").is_some());
    }

    #[test]
    fn a_record_is_checked_against_its_struct() {
        let check = agent_record(&AgentKind::GithubWorkflow).unwrap().check;
        let ok = serde_json::json!({"write_scopes": ["contents"], "calls": null, "permissions": "read-all"});
        assert_eq!(check(&ok), Ok(()));
        let e = check(&serde_json::json!({"write_scope": []})).unwrap_err();
        assert!(e.contains("unknown field `write_scope`"), "{e}");
        let e = check(&serde_json::json!({"write_scopes": "contents"})).unwrap_err();
        assert!(
            e.contains("`write_scopes`") && e.contains("invalid type"),
            "{e}"
        );
        let e = check(&serde_json::json!({"effective_level": "writ"})).unwrap_err();
        assert!(e.contains("`effective_level`"), "{e}");
    }

    #[test]
    fn nested_records_are_checked_too() {
        let check = identity_record("aws").unwrap().check;
        let trust = |t| serde_json::json!({"trust": t});
        let ok = trust(
            serde_json::json!({"any_principal": false, "github_oidc": [{"sub": ["repo:o/r:*"], "aud": [], "issues": []}]}),
        );
        assert_eq!(check(&ok), Ok(()));
        let e = check(&trust(serde_json::json!({"any_principal": 1}))).unwrap_err();
        assert!(e.contains("`trust.any_principal`"), "{e}");
        let e = check(&trust(serde_json::json!({"github_oidc": [{"subs": []}]}))).unwrap_err();
        assert!(e.contains("unknown field `subs`"), "{e}");
        let check = agent_record(&AgentKind::GithubWorkflow).unwrap().check;
        let call = serde_json::json!({"unresolved_call": {"target": "./x.yml", "permissions": null, "secrets": "inherit"}});
        assert_eq!(check(&call), Ok(()));
    }

    #[test]
    fn the_schema_has_every_struct() {
        let s = schema();
        for r in AGENT_FACT_RECORDS.iter().chain(IDENTITY_FACT_RECORDS) {
            let def = &s["$defs"][r.name];
            assert!(def["properties"].is_object(), "{}", r.name);
        }
        let ws = &s["$defs"]["WorkflowAgentFacts"]["properties"]["write_scopes"];
        assert!(
            ws["description"]
                .as_str()
                .unwrap()
                .starts_with("Token scopes")
        );
    }
}
