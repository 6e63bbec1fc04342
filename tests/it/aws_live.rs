//! The live AWS source against `moto_server` (started by `scripts/test.sh`, which sets
//! `NHI_MOTO_ENDPOINT`), and against small local stubs for failures moto cannot play.
//!
//! Every test works in an account of its own: the setup client sends moto's
//! `x-moto-account-id` header with a fresh account id, creates an auditor user with an
//! access key there, and the CLI then signs with that key, which moto maps back to the
//! same account. Tests therefore run in parallel and never see each other's principals.
//! Everything is created through the real IAM API with `aws-sdk-iam`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use aws_sdk_iam::Client;
use aws_sdk_iam::config::interceptors::BeforeTransmitInterceptorContextMut;
use aws_sdk_iam::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_iam::types::{StatusType, Tag};
use serde_json::Value;

use crate::common::{bin, findings_of};

/// The moto endpoint, or `None` (with a note) when moto is not running. Under CI a
/// missing moto is a failure, never a silent skip.
fn moto() -> Option<String> {
    match std::env::var("NHI_MOTO_ENDPOINT") {
        Ok(e) if !e.trim().is_empty() => Some(e.trim().trim_end_matches('/').to_string()),
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "NHI_MOTO_ENDPOINT is not set under CI: scripts/test.sh starts moto_server and sets it"
            )
        }
        _ => {
            eprintln!(
                "note: NHI_MOTO_ENDPOINT is not set; skipping a live AWS test (run scripts/test.sh)"
            );
            None
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A 12-digit account id no other test (or earlier run against the same moto) uses.
fn fresh_account_id() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let n = u64::from(N.fetch_add(1, Ordering::Relaxed));
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let v = (t / 1000)
        .wrapping_mul(31)
        .wrapping_add(u64::from(std::process::id()) * 7919 + n * 104_729);
    format!("{:012}", v % 900_000_000_000 + 100_000_000_000)
}

/// Puts every request of the setup client into one moto account.
#[derive(Debug)]
struct MotoAccountHeader(String);

impl Intercept for MotoAccountHeader {
    fn name(&self) -> &'static str {
        "MotoAccountHeader"
    }
    fn modify_before_signing(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        ctx.request_mut()
            .headers_mut()
            .insert("x-moto-account-id", self.0.clone());
        Ok(())
    }
}

/// A fresh moto account and the auditor's key in it.
struct Account {
    endpoint: String,
    id: String,
    key_id: String,
    secret: String,
    client: Client,
}

const AUDITOR: &str = "nhi-auditor";

/// Attaching an AWS managed policy needs moto to load them (as real accounts have them).
const AWS_MANAGED: &str = "AttachRolePolicy of an AWS managed policy: run moto_server with MOTO_IAM_LOAD_MANAGED_POLICIES=true, as scripts/test.sh does";

impl Account {
    async fn new(endpoint: &str) -> Account {
        let id = fresh_account_id();
        let conf = aws_sdk_iam::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
            .interceptor(MotoAccountHeader(id.clone()))
            .build();
        let client = Client::from_conf(conf);
        client
            .create_user()
            .user_name(AUDITOR)
            .send()
            .await
            .expect("CreateUser auditor");
        let key = client
            .create_access_key()
            .user_name(AUDITOR)
            .send()
            .await
            .expect("CreateAccessKey auditor");
        let key = key.access_key().expect("a key");
        Account {
            endpoint: endpoint.to_string(),
            id,
            key_id: key.access_key_id().to_string(),
            secret: key.secret_access_key().to_string(),
            client,
        }
    }

    fn arn(&self, what: &str) -> String {
        format!("arn:aws:iam::{}:{what}", self.id)
    }

    /// The CLI, signing as the auditor, isolated from the caller's AWS configuration.
    fn cli(&self) -> Command {
        let mut cmd = bin();
        isolate_aws_env(&mut cmd);
        cmd.env("AWS_ACCESS_KEY_ID", &self.key_id)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret);
        cmd
    }

    /// `scan --aws` of this account, `--scope all`, JSON.
    fn scan(&self) -> (Value, i32, String) {
        let out = self
            .cli()
            .args(["scan", "--aws", "--aws-endpoint-url", &self.endpoint])
            .args(["--scope", "all", "--format", "json", "--fail-on", "none"])
            .output()
            .expect("runs");
        let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "the report is JSON ({e}); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (
            report,
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn isolate_aws_env(cmd: &mut Command) {
    for var in [
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/nhi-audit-test/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/nhi-audit-test/credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

/// The agents' account: what the brief of the AWS issue describes, built through IAM.
///
/// - `agent-bot`: an agent user (`nhi:agent=true`, `owner`), two active access keys,
///   in group `agents` (inline policy `agents-read`);
/// - `ci-deployer`: a user with one key, no tags;
/// - `bedrock-agent`: trusts `bedrock.amazonaws.com` with no `aws:SourceAccount`, holds
///   the customer managed `agent-data` (v1 `s3:GetObject`, v2 adds `s3:PutObject`, v2
///   default) and an inline `self-manage` allowing `iam:CreatePolicyVersion`;
/// - `gh-deploy`: trusts GitHub's OIDC provider with `sub` = `repo:acme/*`;
/// - `downstream`: trusts the `bedrock-agent` role, with `ReadOnlyAccess`;
/// - the OIDC provider `token.actions.githubusercontent.com`.
async fn build_agents_account(a: &Account) {
    let c = &a.client;
    c.create_user()
        .user_name("agent-bot")
        .tags(tag("nhi:agent", "true"))
        .tags(tag("owner", "platform-team"))
        .send()
        .await
        .expect("CreateUser agent-bot");
    for _ in 0..2 {
        c.create_access_key()
            .user_name("agent-bot")
            .send()
            .await
            .expect("CreateAccessKey agent-bot");
    }
    c.create_group()
        .group_name("agents")
        .send()
        .await
        .expect("CreateGroup");
    c.add_user_to_group()
        .group_name("agents")
        .user_name("agent-bot")
        .send()
        .await
        .expect("AddUserToGroup");
    c.put_group_policy()
        .group_name("agents")
        .policy_name("agents-read")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#)
        .send()
        .await
        .expect("PutGroupPolicy");

    c.create_user()
        .user_name("ci-deployer")
        .send()
        .await
        .expect("CreateUser ci-deployer");
    let key = c
        .create_access_key()
        .user_name("ci-deployer")
        .send()
        .await
        .expect("CreateAccessKey ci-deployer");
    // An inactive second key: listed, but not "two active keys".
    let key2 = c
        .create_access_key()
        .user_name("ci-deployer")
        .send()
        .await
        .expect("CreateAccessKey ci-deployer");
    let _ = key;
    c.update_access_key()
        .user_name("ci-deployer")
        .access_key_id(key2.access_key().unwrap().access_key_id())
        .status(StatusType::Inactive)
        .send()
        .await
        .expect("UpdateAccessKey");

    let bedrock_trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    c.create_role()
        .role_name("bedrock-agent")
        .assume_role_policy_document(bedrock_trust)
        .max_session_duration(43_200)
        .tags(tag("nhi:agent", "true"))
        .send()
        .await
        .expect("CreateRole bedrock-agent");
    let v1 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::agent-data/*"}]}"#;
    let v2 = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::agent-data/*"}]}"#;
    let policy = c
        .create_policy()
        .policy_name("agent-data")
        .policy_document(v1)
        .send()
        .await
        .expect("CreatePolicy");
    let policy_arn = policy.policy().unwrap().arn().unwrap().to_string();
    c.create_policy_version()
        .policy_arn(&policy_arn)
        .policy_document(v2)
        .set_as_default(true)
        .send()
        .await
        .expect("CreatePolicyVersion");
    c.attach_role_policy()
        .role_name("bedrock-agent")
        .policy_arn(&policy_arn)
        .send()
        .await
        .expect("AttachRolePolicy");
    c.put_role_policy()
        .role_name("bedrock-agent")
        .policy_name("self-manage")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreatePolicyVersion","Resource":"*"}]}"#)
        .send()
        .await
        .expect("PutRolePolicy");

    let oidc = c
        .create_open_id_connect_provider()
        .url("https://token.actions.githubusercontent.com")
        .client_id_list("sts.amazonaws.com")
        .thumbprint_list("6938fd4d98bab03faadb97b34396831e3780aea1")
        .send()
        .await
        .expect("CreateOpenIDConnectProvider");
    let oidc_arn = oidc.open_id_connect_provider_arn().unwrap().to_string();
    let gh_trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{oidc_arn}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}},"StringLike":{{"token.actions.githubusercontent.com:sub":"repo:acme/*"}}}}}}]}}"#
    );
    c.create_role()
        .role_name("gh-deploy")
        .assume_role_policy_document(gh_trust)
        .tags(tag("owner", "platform-team"))
        .send()
        .await
        .expect("CreateRole gh-deploy");
    c.attach_role_policy()
        .role_name("gh-deploy")
        .policy_arn("arn:aws:iam::aws:policy/PowerUserAccess")
        .send()
        .await
        .expect(AWS_MANAGED);

    let downstream_trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"sts:AssumeRole"}}]}}"#,
        a.arn("role/bedrock-agent")
    );
    c.create_role()
        .role_name("downstream")
        .assume_role_policy_document(downstream_trust)
        .send()
        .await
        .expect("CreateRole downstream");
    c.attach_role_policy()
        .role_name("downstream")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .expect(AWS_MANAGED);
}

fn identities(report: &Value) -> BTreeMap<String, Value> {
    report["inventory"]["identities"]
        .as_array()
        .expect("inventory.identities")
        .iter()
        .map(|i| (i["id"].as_str().unwrap().to_string(), i.clone()))
        .collect()
}

fn credentials(report: &Value) -> Vec<Value> {
    report["inventory"]["credentials"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The live scan finds the account's principals, keys, tags and dates.
#[test]
fn live_scan_inventories_users_roles_keys_and_tags() {
    let Some(endpoint) = moto() else { return };
    let rt = runtime();
    let account = rt.block_on(async {
        let a = Account::new(&endpoint).await;
        build_agents_account(&a).await;
        a
    });
    let started = Instant::now();
    let (report, code, stderr) = account.scan();
    eprintln!(
        "live scan against moto: {:.2}s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        code, 0,
        "exit code; stderr: {stderr}; errors: {}",
        report["errors"]
    );
    assert_eq!(
        report["errors"].as_array().map(Vec::len),
        Some(0),
        "{}",
        report["errors"]
    );

    let ids = identities(&report);
    for (what, kind) in [
        ("user/agent-bot", "aws-user"),
        ("user/ci-deployer", "aws-user"),
        ("user/nhi-auditor", "aws-user"),
        ("role/bedrock-agent", "aws-role"),
        ("role/gh-deploy", "aws-role"),
        ("role/downstream", "aws-role"),
    ] {
        let arn = account.arn(what);
        let ident = ids
            .values()
            .find(|i| i["id"].as_str().unwrap().ends_with(&arn))
            .unwrap_or_else(|| {
                panic!(
                    "{arn} is in the inventory: {:?}",
                    ids.keys().collect::<Vec<_>>()
                )
            });
        assert_eq!(ident["kind"], kind, "{arn}");
        assert_eq!(ident["provider"], "aws", "{arn}");
        assert!(
            ident["created_at"]
                .as_str()
                .is_some_and(|d| d.ends_with('Z')),
            "{arn} has a creation date: {ident}"
        );
    }

    // Tags travel with the identity.
    let bot = ids
        .values()
        .find(|i| {
            i["id"]
                .as_str()
                .unwrap()
                .ends_with(&account.arn("user/agent-bot"))
        })
        .unwrap();
    let text = bot.to_string();
    assert!(
        text.contains("nhi:agent") && text.contains("platform-team"),
        "tags of agent-bot: {bot}"
    );

    // Every access key is a credential of its user, with its creation date (the age);
    // the key ids are identifiers, not secrets.
    let creds = credentials(&report);
    let keys_of = |user: &str| -> Vec<&Value> {
        let arn = account.arn(&format!("user/{user}"));
        creds
            .iter()
            .filter(|c| {
                c["kind"] == "aws-access-key"
                    && c["identity"].as_str().is_some_and(|i| i.ends_with(&arn))
            })
            .collect()
    };
    assert_eq!(keys_of("agent-bot").len(), 2, "{creds:#?}");
    assert_eq!(keys_of("ci-deployer").len(), 2, "{creds:#?}");
    assert_eq!(keys_of(AUDITOR).len(), 1, "{creds:#?}");
    for k in keys_of("agent-bot")
        .into_iter()
        .chain(keys_of("ci-deployer"))
    {
        assert!(
            k["key_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("AKIA")),
            "{k}"
        );
        assert!(
            k["created_at"].as_str().is_some_and(|d| d.ends_with('Z')),
            "a key has its creation date: {k}"
        );
        assert_eq!(k["last_used_at"], Value::Null, "never used: {k}");
    }
    // The auditor's own key was used by the crawl: GetAccessKeyLastUsed says so.
    assert!(
        keys_of(AUDITOR)[0]["last_used_at"].as_str().is_some(),
        "{:?}",
        keys_of(AUDITOR)
    );

    // The tagged user and the Bedrock-trusting role are agents.
    let agents: Vec<&str> = report["inventory"]["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    for held in ["user/agent-bot", "role/bedrock-agent"] {
        assert!(
            agents.iter().any(|a| a.ends_with(&account.arn(held))),
            "{held} is an agent: {agents:?}"
        );
    }
    assert!(
        !agents
            .iter()
            .any(|a| a.ends_with(&account.arn("user/ci-deployer"))),
        "{agents:?}"
    );

    // What the account was built to show, from the live crawl alone.
    let expect = [
        ("NHI-AWS-002", "user/agent-bot", "2 active access keys"),
        ("NHI-AWS-008", "role/gh-deploy", "repo:acme/*"),
        ("NHI-AWS-009", "role/bedrock-agent", "bedrock.amazonaws.com"),
        ("NHI-AWS-012", "role/bedrock-agent", "agent-data"),
        ("NHI-AWS-013", "role/bedrock-agent", "policy/agent-data"),
        // MaxSessionDuration comes from GetRole, not from GAAD.
        ("NHI-AWS-010", "role/bedrock-agent", "12-hour"),
    ];
    for (rule, subject, text) in expect {
        let arn = account.arn(subject);
        let hit = findings_of(&report, rule)
            .into_iter()
            .find(|f| f["subject"].as_str().is_some_and(|s| s.ends_with(&arn)))
            .unwrap_or_else(|| panic!("{rule} on {subject}: {:#?}", summary(&report)));
        let message = hit["message"].as_str().unwrap();
        assert!(message.contains(text), "{rule}: {message}");
    }
    let role = &ids[&format!("aws:{}", account.arn("role/bedrock-agent"))];
    assert!(
        role["facts"]["aws"]["escalations"]
            .as_array()
            .is_some_and(|e| e.iter().any(|m| m["method"] == "iam:CreatePolicyVersion")),
        "the escalation is iam:CreatePolicyVersion: {role:#}"
    );
    let creep = findings_of(&report, "NHI-AWS-012")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        creep.contains("v1") && creep.contains("v2") && creep.contains("write"),
        "{creep}"
    );
    // ... and not what it was built not to show.
    for (rule, subject) in [
        ("NHI-AWS-002", "user/ci-deployer"),
        ("NHI-AWS-009", "role/gh-deploy"),
    ] {
        let arn = account.arn(subject);
        assert!(
            !findings_of(&report, rule)
                .iter()
                .any(|f| f["subject"].as_str().is_some_and(|s| s.ends_with(&arn))),
            "{rule} must not fire on {subject}: {:#?}",
            summary(&report)
        );
    }
}

/// `rule_id subject` of every finding, for failure messages.
fn summary(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {} {}", f["rule_id"], f["subject"], f["message"]))
        .collect()
}

/// A crawl with one IAM call denied (through a proxy in front of moto) keeps the rest,
/// names the call and the permission, and exits 3.
#[test]
fn one_denied_call_is_a_source_error_and_the_rest_is_kept() {
    let Some(endpoint) = moto() else { return };
    let rt = runtime();
    let account = rt.block_on(async {
        let a = Account::new(&endpoint).await;
        build_agents_account(&a).await;
        a
    });
    let proxy = Stub::start(Reply::Proxy {
        throttle_first: 0,

        deny: vec!["GenerateCredentialReport", "GetCredentialReport"],
        upstream: upstream(&endpoint),
        answer: vec![],
    });
    let out = account
        .cli()
        .args(["scan", "--aws", "--aws-endpoint-url", &proxy.url()])
        .args(["--scope", "all", "--format", "json", "--fail-on", "none"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(3),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value =
        serde_json::from_slice(&out.stdout).expect("partial results are still written");
    let errors = report["errors"].as_array().unwrap();
    let denied = errors
        .iter()
        .find(|e| e["location"] == "iam:GenerateCredentialReport")
        .unwrap_or_else(|| panic!("the denied call is named: {errors:#?}"));
    assert!(
        denied["message"]
            .as_str()
            .unwrap()
            .contains("`iam:GenerateCredentialReport`"),
        "the message names the permission: {denied}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e["location"] == "iam:GetCredentialReport"),
        "{errors:#?}"
    );
    // The rest of the crawl went on: principals and keys are there.
    let ids = identities(&report);
    assert!(
        ids.keys()
            .any(|i| i.ends_with(&account.arn("role/gh-deploy"))),
        "{:?}",
        ids.keys()
    );
    assert!(
        credentials(&report)
            .iter()
            .any(|c| c.to_string().contains("AKIA"))
    );
}

/// Nothing listens: the first call fails after its retries, exit 3, and the error
/// names the IAM call and says the endpoint could not be reached.
#[test]
fn unreachable_endpoint_exits_3_naming_the_call() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cmd = bin();
    isolate_aws_env(&mut cmd);
    let out = cmd
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args([
            "scan",
            "--aws",
            "--aws-endpoint-url",
            &format!("http://127.0.0.1:{port}"),
        ])
        .args(["--format", "json", "--fail-on", "none"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(3),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("a report is still written");
    let errors = report["errors"].as_array().unwrap();
    let e = errors
        .iter()
        .find(|e| e["location"] == "iam:GetAccountAuthorizationDetails")
        .unwrap_or_else(|| panic!("{errors:#?}"));
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("cannot reach") && msg.contains(&port.to_string()),
        "{msg}"
    );
}

/// Access denied on the first call: exit 3 and the permission that is missing.
#[test]
fn access_denied_names_the_missing_permission() {
    let stub = Stub::start(Reply::Always {
        status: 403,
        code: "AccessDenied",
    });
    let mut cmd = bin();
    isolate_aws_env(&mut cmd);
    let out = cmd
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args([
            "scan",
            "--aws",
            "--aws-endpoint-url",
            &stub.url(),
            "--format",
            "json",
            "--fail-on",
            "none",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(3),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = &report["errors"][0];
    assert_eq!(
        e["location"], "iam:GetAccountAuthorizationDetails",
        "{report:#}"
    );
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("access denied") && msg.contains("`iam:GetAccountAuthorizationDetails`"),
        "{msg}"
    );
    assert_eq!(stub.hits(), 1, "access denied is not retried");
}

/// Throttling is retried with backoff, then reported as throttling.
#[test]
fn throttling_is_retried_then_reported() {
    let stub = Stub::start(Reply::Always {
        status: 400,
        code: "Throttling",
    });
    let mut cmd = bin();
    isolate_aws_env(&mut cmd);
    let out = cmd
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args([
            "scan",
            "--aws",
            "--aws-endpoint-url",
            &stub.url(),
            "--format",
            "json",
            "--fail-on",
            "none",
        ])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(3),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let msg = report["errors"][0]["message"].as_str().unwrap();
    assert!(msg.contains("throttled"), "{msg}");
    assert_eq!(
        stub.hits(),
        nhi_audit::sources::aws::live::MAX_ATTEMPTS as usize,
        "every attempt was made"
    );
}

/// IAM throttles the first requests; the crawl backs off, retries, and reads it all.
#[test]
fn throttled_calls_are_retried_until_they_succeed() {
    let Some(endpoint) = moto() else { return };
    let rt = runtime();
    let account = rt.block_on(Account::new(&endpoint));
    let proxy = Stub::start(Reply::Proxy {
        deny: vec![],
        throttle_first: 3,
        upstream: upstream(&endpoint),
        answer: vec![],
    });
    let out = account
        .cli()
        .args(["scan", "--aws", "--aws-endpoint-url", &proxy.url()])
        .args(["--scope", "all", "--format", "json", "--fail-on", "none"])
        .output()
        .expect("runs");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a report");
    assert_eq!(out.status.code(), Some(0), "{:#}", report["errors"]);
    assert!(
        identities(&report)
            .keys()
            .any(|i| i.ends_with(&account.arn(&format!("user/{AUDITOR}"))))
    );
    assert!(proxy.hits() > 3);
}

/// `export aws` writes the four files, in the shapes the AWS CLI writes; an account
/// with no roles or groups still has those lists, present and empty.
#[test]
fn export_writes_gaad_report_keys_and_oidc_providers() {
    let Some(endpoint) = moto() else { return };
    let rt = runtime();
    let account = rt.block_on(async {
        let a = Account::new(&endpoint).await;
        a.client
            .create_open_id_connect_provider()
            .url("https://token.actions.githubusercontent.com")
            .client_id_list("sts.amazonaws.com")
            .thumbprint_list("6938fd4d98bab03faadb97b34396831e3780aea1")
            .send()
            .await
            .expect("CreateOpenIDConnectProvider");
        a
    });
    let dir = tempfile::tempdir().unwrap();
    let out = account
        .cli()
        .args([
            "export",
            "aws",
            "--aws-endpoint-url",
            &account.endpoint,
            "--output",
        ])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let read = |name: &str| {
        std::fs::read_to_string(dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let gaad: Value = serde_json::from_str(&read("gaad.json")).unwrap();
    for list in [
        "UserDetailList",
        "GroupDetailList",
        "RoleDetailList",
        "Policies",
    ] {
        assert!(gaad[list].is_array(), "{list} is present: {gaad:#}");
    }
    assert_eq!(gaad["GroupDetailList"], serde_json::json!([]));
    assert_eq!(gaad["RoleDetailList"], serde_json::json!([]));
    let users = gaad["UserDetailList"].as_array().unwrap();
    assert_eq!(users.len(), 1, "{users:#?}");
    assert_eq!(users[0]["UserName"], AUDITOR);
    assert_eq!(users[0]["Arn"], account.arn(&format!("user/{AUDITOR}")));

    let report = read("credential-report.csv");
    assert!(
        report.starts_with("user,arn,user_creation_time,"),
        "{report}"
    );
    assert!(
        report.contains(&account.arn(&format!("user/{AUDITOR}"))),
        "{report}"
    );

    let keys: Value = serde_json::from_str(&read("access-keys.json")).unwrap();
    let keys = keys["AccessKeyMetadata"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{keys:#?}");
    assert_eq!(keys[0]["AccessKeyId"], account.key_id.as_str());
    assert_eq!(keys[0]["UserName"], AUDITOR);
    assert_eq!(keys[0]["Status"], "Active");
    assert!(
        keys[0]["LastUsedDate"].is_string(),
        "the export used the key: {:#}",
        keys[0]
    );
    // The secret never leaves moto: no export file holds it.
    for name in [
        "gaad.json",
        "credential-report.csv",
        "access-keys.json",
        "oidc-providers.json",
    ] {
        assert!(
            !read(name).contains(&account.secret),
            "{name} holds the secret key"
        );
    }

    let oidc: Value = serde_json::from_str(&read("oidc-providers.json")).unwrap();
    let providers = oidc["OpenIDConnectProviderList"].as_array().unwrap();
    assert_eq!(providers.len(), 1, "{oidc:#}");
    assert!(
        providers[0]["Url"]
            .as_str()
            .unwrap()
            .contains("token.actions.githubusercontent.com")
    );
    assert_eq!(
        providers[0]["ClientIDList"],
        serde_json::json!(["sts.amazonaws.com"])
    );
}

/// Identities and credentials by id (the fields compared), and (rule, subject) pairs.
type ScanView = (
    BTreeMap<String, Value>,
    BTreeMap<String, Value>,
    BTreeSet<(String, String)>,
);

/// The same account, crawled live and exported then scanned offline, gives the same
/// identities, credentials and findings.
#[test]
fn export_then_offline_scan_equals_the_live_scan() {
    let Some(endpoint) = moto() else { return };
    let rt = runtime();
    let account = rt.block_on(async {
        let a = Account::new(&endpoint).await;
        build_agents_account(&a).await;
        a
    });
    let (live, code, stderr) = account.scan();
    assert_eq!(code, 0, "stderr: {stderr}; errors: {}", live["errors"]);

    let dir = tempfile::tempdir().unwrap();
    let out = account
        .cli()
        .args([
            "export",
            "aws",
            "--aws-endpoint-url",
            &account.endpoint,
            "--output",
        ])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Offline: the folder alone, its files recognised by content.
    let mut cmd = bin();
    isolate_aws_env(&mut cmd);
    let out = cmd
        .arg("scan")
        .arg(dir.path())
        .args(["--scope", "all", "--format", "json", "--fail-on", "none"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let offline: Value = serde_json::from_slice(&out.stdout).unwrap();

    // The crawl itself uses the auditor's key, so its last use moves between the two
    // runs; every other date must be the same.
    let auditor = account.arn(&format!("user/{AUDITOR}"));
    let view = |report: &Value| -> ScanView {
        let ids = identities(report)
            .into_iter()
            .map(|(id, i)| {
                let used = if id.ends_with(&auditor) {
                    Value::Null
                } else {
                    i["last_used_at"].clone()
                };
                let v = serde_json::json!({
                    "kind": i["kind"], "provider": i["provider"], "access_level": i["access_level"],
                    "agents": i["agents"], "created_at": i["created_at"], "last_used_at": used,
                    "expires_at": i["expires_at"], "tags": i["tags"], "owner": i["owner"],
                });
                (id, v)
            })
            .collect();
        let creds = credentials(report)
            .into_iter()
            .map(|c| {
                let mine = c["identity"]
                    .as_str()
                    .is_some_and(|i| i.ends_with(&auditor));
                let v = serde_json::json!({
                    "kind": c["kind"], "identity": c["identity"], "lifetime": c["lifetime"],
                    "created_at": c["created_at"], "expires_at": c["expires_at"],
                    "last_used_at": if mine { Value::Null } else { c["last_used_at"].clone() },
                });
                (c["id"].as_str().unwrap().to_string(), v)
            })
            .collect();
        let findings = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule_id"].as_str().unwrap().to_string(),
                    f["subject"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        (ids, creds, findings)
    };
    let (live_ids, live_creds, live_findings) = view(&live);
    let (off_ids, off_creds, off_findings) = view(&offline);
    assert!(
        live_ids.len() >= 6 && live_creds.len() >= 5,
        "{live_ids:#?} {live_creds:#?}"
    );
    assert_eq!(
        live_ids, off_ids,
        "identities differ between live and offline"
    );
    assert_eq!(
        live_creds, off_creds,
        "credentials differ between live and offline"
    );
    assert_eq!(
        live_findings, off_findings,
        "findings differ between live and offline"
    );
    assert!(
        live_findings.iter().any(|(r, _)| r == "NHI-AWS-012"),
        "{live_findings:?}"
    );
}

/// IAM's last-accessed calls, which moto does not emulate, answered with the IAM API
/// Reference's example responses in front of moto: the agent role's facts say which
/// allowed services it never used, and NHI-ACT-007 judges them.
#[test]
fn last_accessed_data_marks_services_an_agent_never_used() {
    let Some(endpoint) = moto() else { return };
    let rt = runtime();
    let account = rt.block_on(async {
        let a = Account::new(&endpoint).await;
        build_agents_account(&a).await;
        a
    });
    let proxy = Stub::start(Reply::Proxy {
        throttle_first: 0,
        deny: vec![],
        upstream: upstream(&endpoint),
        answer: vec![
            ("GenerateServiceLastAccessedDetails", LAST_ACCESSED_JOB),
            ("GetServiceLastAccessedDetails", LAST_ACCESSED_DETAILS),
        ],
    });
    let out = account
        .cli()
        .args([
            "scan",
            "--aws",
            "--aws-last-accessed",
            "--aws-endpoint-url",
            &proxy.url(),
        ])
        .args(["--format", "json", "--fail-on", "none"])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stderr} {:#}",
        report["errors"]
    );
    let role = &identities(&report)[&format!("aws:{}", account.arn("role/bedrock-agent"))];
    assert_eq!(
        role["facts"]["aws"]["services_not_accessed"],
        serde_json::json!(["iam"])
    );
    assert_eq!(role["facts"]["aws"]["services_allowed"], 2);
    let found: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "NHI-ACT-007")
        .collect();
    assert!(
        found
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("bedrock-agent")),
        "{found:#?}"
    );
}

const LAST_ACCESSED_JOB: &str =
    include_str!("../../fixtures/aws-api/generate-service-last-accessed-details.xml");

const LAST_ACCESSED_DETAILS: &str =
    include_str!("../../fixtures/aws-api/get-service-last-accessed-details.xml");

// --- a tiny HTTP stub / proxy on loopback -------------------------------------------

enum Reply {
    /// Every request gets this IAM error.
    Always { status: u16, code: &'static str },
    /// A proxy in front of moto: the first `throttle_first` requests get `Throttling`,
    /// requests for the `deny` actions get `AccessDenied`, the rest go to moto.
    /// … and requests for the `answer` actions get that IAM response body.
    Proxy {
        deny: Vec<&'static str>,
        throttle_first: usize,
        upstream: String,
        answer: Vec<(&'static str, &'static str)>,
    },
}

struct Stub {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl Stub {
    fn start(reply: Reply) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let reply = Arc::new(reply);
        // Serves until the test process exits; each connection carries one request.
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let reply = reply.clone();
                let counter = counter.clone();
                std::thread::spawn(move || serve(conn, &reply, &counter));
            }
        });
        Stub { port, hits }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Reads one HTTP/1.1 request (head + Content-Length body).
fn read_request(conn: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    conn.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Some((head, buf[head_end..].to_vec()))
}

fn iam_error(status: u16, code: &str) -> Vec<u8> {
    let body = format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>stubbed {code}</Message></Error><RequestId>stub</RequestId></ErrorResponse>"
    );
    format!(
        "HTTP/1.1 {status} Stub\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn serve(mut conn: TcpStream, reply: &Reply, hits: &AtomicUsize) {
    let Some((head, body)) = read_request(&mut conn) else {
        return;
    };
    let n = hits.fetch_add(1, Ordering::SeqCst);
    let response = match reply {
        Reply::Always { status, code } => iam_error(*status, code),
        Reply::Proxy {
            deny,
            throttle_first,
            upstream,
            answer,
        } => {
            let text = String::from_utf8_lossy(&body);
            let action = text
                .split('&')
                .find_map(|kv| kv.strip_prefix("Action="))
                .unwrap_or("");
            if n < *throttle_first {
                iam_error(400, "Throttling")
            } else if deny.contains(&action) {
                iam_error(403, "AccessDenied")
            } else if let Some((_, body)) = answer.iter().find(|(a, _)| *a == action) {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes()
            } else {
                forward(upstream, &head, &body)
                    .unwrap_or_else(|| iam_error(502, "StubUpstreamFailed"))
            }
        }
    };
    let _ = conn.write_all(&response);
    let _ = conn.flush();
}

/// `host:port` of an `http://` endpoint.
fn upstream(endpoint: &str) -> String {
    endpoint.trim_start_matches("http://").to_string()
}

/// Relays one request to moto with `Connection: close`, returning its whole response.
fn forward(upstream: &str, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).ok()?;
    let mut lines: Vec<&str> = head
        .trim_end()
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("Connection: close");
    up.write_all(format!("{}\r\n\r\n", lines.join("\r\n")).as_bytes())
        .ok()?;
    up.write_all(body).ok()?;
    let mut resp = Vec::new();
    up.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    up.read_to_end(&mut resp).ok()?;
    Some(resp)
}
