//! The live crawl of one AWS account's IAM, through `aws-sdk-iam`.
//!
//! It rebuilds what the offline exports hold — the GAAD JSON as the AWS CLI writes it,
//! the credential report CSV, the access key listing — so the one normaliser serves
//! both, and [`export`] can write exactly what was read for later, offline analysis.
//!
//! Calls: `GetAccountAuthorizationDetails` (every page), the credential report
//! (`GenerateCredentialReport`, polled, then `GetCredentialReport`), `ListAccessKeys` and
//! `GetAccessKeyLastUsed` per user, `GetRole` per role (the maximum session duration,
//! which GAAD lacks), and the OIDC providers. Per-principal calls run with bounded
//! concurrency; every call retries with backoff on throttling and transient network
//! errors. A call that still fails becomes a [`SourceError`] naming the IAM operation
//! (and the principal) and why, and the crawl goes on; only a failure of
//! `GetAccountAuthorizationDetails` itself yields no input at all.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_iam::Client;
use aws_sdk_iam::config::Region;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::primitives::DateTime;
use aws_sdk_iam::types::{self as sdk, EntityType, ReportStateType};
use futures::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

use super::gaad::{self, Gaad};
use super::{
    AccessKeyList, AccessKeyMetadata, AwsInput, LiveOptions, OidcProvider, credential_report,
};
use crate::model::{SourceError, SourceKind};

/// Attempts per call (the first plus retries), with exponential backoff and jitter.
pub const MAX_ATTEMPTS: u32 = 6;
/// Per-principal requests in flight when the options leave it at 0.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// IAM is global; its requests are signed for us-east-1 unless told otherwise.
const DEFAULT_REGION: &str = "us-east-1";
/// `GenerateCredentialReport` polls before giving up on the report (about two minutes).
const REPORT_POLLS: u32 = 40;

/// Crawls the account. Returns the input (unless `GetAccountAuthorizationDetails`
/// failed outright) and what could not be read.
pub fn crawl(opts: &LiveOptions) -> (Option<AwsInput>, Vec<SourceError>) {
    crate::sources::block_on(
        || crawl_async(opts),
        |why| (None, vec![SourceKind::Aws.error("iam", why)]),
    )
}

/// Writes what a crawl read into `dir`, as files the offline source recognises by
/// content:
/// - `gaad.json` — the `get-account-authorization-details` JSON (policy documents kept
///   as the URL-encoded strings the API returns; `RoleDetailList[].MaxSessionDuration`
///   added from `GetRole`);
/// - `credential-report.csv` — the report as IAM generated it (when it could be read);
/// - `access-keys.json` — `{"AccessKeyMetadata": [...]}`, the `list-access-keys` shape
///   with `LastUsedDate`/`LastUsedService` added from `GetAccessKeyLastUsed`;
/// - `oidc-providers.json` — `{"OpenIDConnectProviderList": [{"Arn", "Url",
///   "ClientIDList"}]}`, the `list-open-id-connect-providers` shape with each
///   provider's `get-open-id-connect-provider` details merged in.
///
/// Returns the paths written.
pub fn export(input: &AwsInput, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut write = |name: &str, text: String| -> std::io::Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        written.push(path);
        Ok(())
    };
    write("gaad.json", crate::sources::pretty_json(&input.gaad)?)?;
    if !input.last_accessed.is_empty() {
        let export = super::LastAccessedExport {
            by_arn: input.last_accessed.clone(),
        };
        write(
            "service-last-accessed.json",
            crate::sources::pretty_json(&export)?,
        )?;
    }
    if let Some(report) = &input.credential_report {
        write("credential-report.csv", report.csv.clone())?;
    }
    let keys = AccessKeyList {
        access_key_metadata: input.access_keys.clone(),
    };
    write("access-keys.json", crate::sources::pretty_json(&keys)?)?;
    let oidc = OidcProviderList {
        open_id_connect_provider_list: input
            .oidc_providers
            .iter()
            .map(|p| OidcProviderOut {
                arn: &p.arn,
                url: &p.url,
                client_id_list: &p.client_id_list,
            })
            .collect(),
    };
    write("oidc-providers.json", crate::sources::pretty_json(&oidc)?)?;
    Ok(written)
}

/// `oidc-providers.json`, spelled as IAM spells it (`ClientIDList`).
#[derive(serde::Serialize)]
struct OidcProviderList<'a> {
    #[serde(rename = "OpenIDConnectProviderList")]
    open_id_connect_provider_list: Vec<OidcProviderOut<'a>>,
}

#[derive(serde::Serialize)]
struct OidcProviderOut<'a> {
    #[serde(rename = "Arn")]
    arn: &'a str,
    #[serde(rename = "Url")]
    url: &'a str,
    #[serde(rename = "ClientIDList")]
    client_id_list: &'a [String],
}

/// The crawl itself.
async fn crawl_async(opts: &LiveOptions) -> (Option<AwsInput>, Vec<SourceError>) {
    let started = std::time::Instant::now();
    let ctx = Ctx::new(opts).await;
    let mut errors = Vec::new();

    ctx.bar.set_message("iam:GetAccountAuthorizationDetails");
    let mut gaad = match authorization_details(&ctx, &mut errors).await {
        Some(g) => g,
        None => {
            ctx.bar.finish_and_clear();
            return (None, errors);
        }
    };

    let users: Vec<String> = gaad
        .user_detail_list
        .iter()
        .flatten()
        .map(|u| u.user_name.clone())
        .collect();
    let roles: Vec<String> = gaad
        .role_detail_list
        .iter()
        .flatten()
        .map(|r| r.role_name.clone())
        .collect();
    ctx.bar.set_length((users.len() + roles.len() + 1) as u64);
    ctx.bar.set_position(0);

    ctx.bar.set_message("iam:GenerateCredentialReport");
    let credential_report = credential_report(&ctx, &mut errors).await;
    ctx.bar.inc(1);

    ctx.bar
        .set_message("iam:ListAccessKeys, iam:GetAccessKeyLastUsed");
    let access_keys = access_keys(&ctx, &users, &mut errors).await;

    ctx.bar.set_message("iam:GetRole");
    role_details(&ctx, &mut gaad, &mut errors).await;

    ctx.bar.set_message("iam:ListOpenIDConnectProviders");
    let oidc_providers = oidc_providers(&ctx, &mut errors).await;
    let last_accessed = if opts.last_accessed {
        ctx.bar
            .set_message("iam:GenerateServiceLastAccessedDetails");
        let arns = principal_arns(&gaad);
        service_last_accessed(&ctx, &arns, Duration::from_millis(200), &mut errors).await
    } else {
        Default::default()
    };
    ctx.bar.finish_and_clear();

    let origin = match account_id(&gaad) {
        Some(id) => format!("live:{id}"),
        None => "live".to_string(),
    };
    #[allow(
        clippy::print_stderr,
        reason = "the live crawl's summary line, asked for with the progress bar"
    )]
    if opts.progress {
        eprintln!(
            "aws: read {} users, {} roles, {} groups, {} managed policies, {} access keys in {:.1}s",
            users.len(),
            roles.len(),
            gaad.group_detail_list.as_ref().map_or(0, Vec::len),
            gaad.policies.as_ref().map_or(0, Vec::len),
            access_keys.len(),
            started.elapsed().as_secs_f64()
        );
    }
    (
        Some(AwsInput {
            gaad,
            credential_report,
            access_keys,
            oidc_providers,
            last_accessed,
            origin,
        }),
        errors,
    )
}

/// Every user's and role's ARN in the export.
fn principal_arns(gaad: &Gaad) -> Vec<String> {
    let users = gaad
        .user_detail_list
        .iter()
        .flatten()
        .map(|u| u.arn.clone());
    let roles = gaad
        .role_detail_list
        .iter()
        .flatten()
        .map(|r| r.arn.clone());
    users.chain(roles).collect()
}

/// How often one principal's last-accessed job is polled before giving up on it.
const LAST_ACCESSED_POLLS: u32 = 20;

/// IAM's last-accessed data per principal: a `GenerateServiceLastAccessedDetails` job
/// each, polled with `GetServiceLastAccessedDetails` until it completes (every page),
/// `concurrency` principals at once. A job that fails or does not complete is an error
/// naming the call and the principal; the others go on.
async fn service_last_accessed(
    ctx: &Ctx,
    arns: &[String],
    poll_wait: Duration,
    errors: &mut Vec<SourceError>,
) -> std::collections::BTreeMap<String, Vec<super::ServiceLastAccessed>> {
    let client = &ctx.client;
    let results: Vec<_> = stream::iter(arns)
        .map(|arn| async move {
            let job = match client
                .generate_service_last_accessed_details()
                .arn(arn)
                .send()
                .await
            {
                Ok(r) => r.job_id().unwrap_or_default().to_string(),
                Err(e) => {
                    return Err(SourceKind::Aws.error(
                        format!("iam:GenerateServiceLastAccessedDetails {arn}"),
                        ctx.describe("GenerateServiceLastAccessedDetails", &e),
                    ));
                }
            };
            let mut wait = poll_wait;
            let mut services = Vec::new();
            let mut marker: Option<String> = None;
            let mut polls = 0;
            loop {
                polls += 1;
                let r = match client
                    .get_service_last_accessed_details()
                    .job_id(&job)
                    .set_marker(marker.clone())
                    .send()
                    .await
                {
                    Ok(r) => r,
                    Err(e) => {
                        return Err(SourceKind::Aws.error(
                            format!("iam:GetServiceLastAccessedDetails {arn}"),
                            ctx.describe("GetServiceLastAccessedDetails", &e),
                        ));
                    }
                };
                match r.job_status() {
                    sdk::JobStatusType::Completed => {}
                    sdk::JobStatusType::Failed => {
                        let why = r
                            .error()
                            .map(|e| e.message().to_string())
                            .unwrap_or_else(|| "no reason given".into());
                        return Err(SourceKind::Aws.error(
                            format!("iam:GetServiceLastAccessedDetails {arn}"),
                            format!("the job failed: {}", crate::text::display_value(&why)),
                        ));
                    }
                    _ if polls < LAST_ACCESSED_POLLS => {
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(5));
                        continue;
                    }
                    _ => {
                        return Err(SourceKind::Aws.error(
                            format!("iam:GetServiceLastAccessedDetails {arn}"),
                            format!("the job had not completed after {polls} polls"),
                        ));
                    }
                }
                services.extend(r.services_last_accessed().iter().map(|s| {
                    super::ServiceLastAccessed {
                        service_namespace: s.service_namespace().to_string(),
                        service_name: Some(s.service_name().to_string()),
                        last_authenticated: date_opt(s.last_authenticated()),
                        last_authenticated_entity: s
                            .last_authenticated_entity()
                            .map(str::to_string),
                        total_authenticated_entities: s
                            .total_authenticated_entities()
                            .map(i64::from),
                    }
                }));
                match (r.is_truncated(), r.marker()) {
                    (true, Some(m)) if marker.as_deref() != Some(m) => marker = Some(m.to_string()),
                    _ => break,
                }
            }
            Ok((arn.clone(), services))
        })
        .buffer_unordered(ctx.concurrency.max(1))
        .collect()
        .await;
    let mut out = std::collections::BTreeMap::new();
    let mut errs = Vec::new();
    for r in results {
        match r {
            Ok((arn, services)) => {
                out.insert(arn, services);
            }
            Err(e) => errs.push(e),
        }
    }
    errs.sort();
    errors.extend(errs);
    out
}

/// The client and what the calls share.
struct Ctx {
    client: Client,
    /// Where requests go, for error messages.
    endpoint: String,
    concurrency: usize,
    bar: ProgressBar,
}

impl Ctx {
    async fn new(opts: &LiveOptions) -> Ctx {
        let region = region(opts).await;
        let retry = RetryConfig::standard()
            .with_max_attempts(MAX_ATTEMPTS)
            .with_initial_backoff(Duration::from_millis(500))
            .with_max_backoff(Duration::from_secs(20));
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(Duration::from_secs(120))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region))
            .retry_config(retry)
            .timeout_config(timeouts);
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
        }
        if let Some(u) = &opts.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        let conf = loader.load().await;
        let bar = if opts.progress {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} aws {msg} [{bar:30}] {pos}/{len} principals",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        } else {
            ProgressBar::hidden()
        };
        Ctx {
            client: Client::new(&conf),
            endpoint: opts
                .endpoint_url
                .clone()
                .unwrap_or_else(|| "the IAM endpoint".to_string()),
            concurrency: if opts.concurrency == 0 {
                DEFAULT_CONCURRENCY
            } else {
                opts.concurrency
            },
            bar,
        }
    }

    /// A clear message for a call that failed after its retries.
    fn describe<E>(
        &self,
        op: &str,
        err: &SdkError<E, aws_sdk_iam::config::http::HttpResponse>,
    ) -> String
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let full = crate::text::error_chain(err);
        match err {
            SdkError::ServiceError(se) => {
                let e = se.err();
                let code = e.code().unwrap_or("an unnamed error");
                let msg = e.message().map(|m| format!(": {m}")).unwrap_or_default();
                match code {
                    "AccessDenied"
                    | "AccessDeniedException"
                    | "UnauthorizedOperation"
                    | "AuthorizationError" => {
                        format!("access denied: the caller needs `iam:{op}` ({code}{msg})")
                    }
                    "Throttling"
                    | "ThrottlingException"
                    | "Throttled"
                    | "RequestLimitExceeded"
                    | "TooManyRequestsException"
                    | "RequestThrottled"
                    | "RequestThrottledException" => format!(
                        "throttled by IAM after {MAX_ATTEMPTS} attempts with backoff; run again later or with lower concurrency ({code}{msg})"
                    ),
                    "InvalidClientTokenId"
                    | "SignatureDoesNotMatch"
                    | "ExpiredToken"
                    | "ExpiredTokenException"
                    | "UnrecognizedClientException"
                    | "IncompleteSignature"
                    | "InvalidAccessKeyId" => format!(
                        "the credentials were rejected ({code}{msg}); check --aws-profile or the AWS_* environment"
                    ),
                    _ => format!("{code}{msg}"),
                }
            }
            SdkError::TimeoutError(_) => {
                format!(
                    "no answer from {} in time, after {MAX_ATTEMPTS} attempts: {full}",
                    self.endpoint
                )
            }
            SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => {
                format!(
                    "cannot reach {} (network error, after {MAX_ATTEMPTS} attempts): {full}",
                    self.endpoint
                )
            }
            SdkError::ResponseError(_) => {
                format!("unreadable response from {}: {full}", self.endpoint)
            }
            _ if full.contains("credentials") => {
                format!("no usable AWS credentials (the default chain, or --aws-profile): {full}")
            }
            _ => format!("the request to {} failed: {full}", self.endpoint),
        }
    }
}

/// The signing region: the option, the environment, the profile, else us-east-1. The
/// instance metadata service is deliberately not asked: IAM is global, and a laptop or
/// CI runner must not wait on (or probe) a metadata endpoint for a region.
async fn region(opts: &LiveOptions) -> String {
    if let Some(r) = opts.region.as_deref().filter(|r| !r.is_empty()) {
        return r.to_string();
    }
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Ok(r) = std::env::var(var)
            && !r.trim().is_empty()
        {
            return r.trim().to_string();
        }
    }
    let mut profile = aws_config::profile::ProfileFileRegionProvider::builder();
    if let Some(p) = &opts.profile {
        profile = profile.profile_name(p);
    }
    use aws_config::meta::region::ProvideRegion;
    match profile.build().region().await {
        Some(r) => r.to_string(),
        None => DEFAULT_REGION.to_string(),
    }
}

/// RFC 3339 in UTC, whole seconds (as the AWS CLI and the credential report write them).
fn date(d: &DateTime) -> String {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::from_unix_timestamp(d.secs())
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| d.to_string())
}

fn date_opt(d: Option<&DateTime>) -> Option<String> {
    d.map(date)
}

/// `GetAccountAuthorizationDetails`, every page. `None` when not even the first page
/// could be read; a later page failing keeps what was read and says it is partial.
async fn authorization_details(ctx: &Ctx, errors: &mut Vec<SourceError>) -> Option<Gaad> {
    const OP: &str = "GetAccountAuthorizationDetails";
    let mut out = Gaad {
        user_detail_list: Some(Vec::new()),
        group_detail_list: Some(Vec::new()),
        role_detail_list: Some(Vec::new()),
        policies: Some(Vec::new()),
    };
    let mut marker: Option<String> = None;
    let mut pages = 0u32;
    loop {
        let resp = ctx
            .client
            .get_account_authorization_details()
            .filter(EntityType::User)
            .filter(EntityType::Role)
            .filter(EntityType::Group)
            .filter(EntityType::LocalManagedPolicy)
            .filter(EntityType::AwsManagedPolicy)
            .max_items(1000)
            .set_marker(marker.clone())
            .send()
            .await;
        let page = match resp {
            Ok(p) => p,
            Err(e) => {
                let why = ctx.describe(OP, &e);
                if pages == 0 {
                    errors.push(SourceKind::Aws.error(format!("iam:{OP}"), why));
                    return None;
                }
                errors.push(SourceKind::Aws.error(
                    format!("iam:{OP}"),
                    format!(
                        "page {} failed, so users, roles, groups and policies are partial: {why}",
                        pages + 1
                    ),
                ));
                return Some(out);
            }
        };
        pages += 1;
        ctx.bar.set_message(format!("iam:{OP} (page {pages})"));
        out.user_detail_list
            .get_or_insert_with(Vec::new)
            .extend(page.user_detail_list().iter().map(user));
        out.group_detail_list
            .get_or_insert_with(Vec::new)
            .extend(page.group_detail_list().iter().map(group));
        out.role_detail_list
            .get_or_insert_with(Vec::new)
            .extend(page.role_detail_list().iter().map(role));
        out.policies
            .get_or_insert_with(Vec::new)
            .extend(page.policies().iter().map(managed_policy));
        match page.marker() {
            Some(m) if page.is_truncated() && !m.is_empty() && marker.as_deref() != Some(m) => {
                marker = Some(m.to_string());
            }
            _ => break,
        }
    }
    Some(out)
}

fn doc(d: Option<&str>) -> Option<gaad::Document> {
    d.and_then(|s| gaad::Document::from_value(&Value::String(s.to_string())))
}

fn inline(p: &sdk::PolicyDetail) -> gaad::InlinePolicy {
    gaad::InlinePolicy {
        policy_name: p.policy_name().unwrap_or_default().to_string(),
        policy_document: doc(p.policy_document()),
    }
}

fn attached(p: &sdk::AttachedPolicy) -> gaad::AttachedPolicy {
    gaad::AttachedPolicy {
        policy_name: p.policy_name().unwrap_or_default().to_string(),
        policy_arn: p.policy_arn().unwrap_or_default().to_string(),
    }
}

fn boundary(b: &sdk::AttachedPermissionsBoundary) -> gaad::PermissionsBoundary {
    gaad::PermissionsBoundary {
        permissions_boundary_type: b
            .permissions_boundary_type()
            .map(|t| t.as_str().to_string()),
        permissions_boundary_arn: b.permissions_boundary_arn().unwrap_or_default().to_string(),
    }
}

fn tag(t: &sdk::Tag) -> gaad::Tag {
    gaad::Tag {
        key: t.key().to_string(),
        value: t.value().to_string(),
    }
}

fn user(u: &sdk::UserDetail) -> gaad::UserDetail {
    gaad::UserDetail {
        path: u.path().unwrap_or_default().to_string(),
        user_name: u.user_name().unwrap_or_default().to_string(),
        user_id: u.user_id().unwrap_or_default().to_string(),
        arn: u.arn().unwrap_or_default().to_string(),
        create_date: date_opt(u.create_date()),
        user_policy_list: u.user_policy_list().iter().map(inline).collect(),
        group_list: u.group_list().to_vec(),
        attached_managed_policies: u.attached_managed_policies().iter().map(attached).collect(),
        permissions_boundary: u.permissions_boundary().map(boundary),
        tags: u.tags().iter().map(tag).collect(),
    }
}

fn group(g: &sdk::GroupDetail) -> gaad::GroupDetail {
    gaad::GroupDetail {
        path: g.path().unwrap_or_default().to_string(),
        group_name: g.group_name().unwrap_or_default().to_string(),
        group_id: g.group_id().unwrap_or_default().to_string(),
        arn: g.arn().unwrap_or_default().to_string(),
        create_date: date_opt(g.create_date()),
        group_policy_list: g.group_policy_list().iter().map(inline).collect(),
        attached_managed_policies: g.attached_managed_policies().iter().map(attached).collect(),
    }
}

fn role(r: &sdk::RoleDetail) -> gaad::RoleDetail {
    gaad::RoleDetail {
        path: r.path().unwrap_or_default().to_string(),
        role_name: r.role_name().unwrap_or_default().to_string(),
        role_id: r.role_id().unwrap_or_default().to_string(),
        arn: r.arn().unwrap_or_default().to_string(),
        create_date: date_opt(r.create_date()),
        assume_role_policy_document: doc(r.assume_role_policy_document()),
        instance_profile_list: r
            .instance_profile_list()
            .iter()
            .map(|p| gaad::InstanceProfile {
                instance_profile_name: p.instance_profile_name().to_string(),
                arn: p.arn().to_string(),
            })
            .collect(),
        role_policy_list: r.role_policy_list().iter().map(inline).collect(),
        attached_managed_policies: r.attached_managed_policies().iter().map(attached).collect(),
        permissions_boundary: r.permissions_boundary().map(boundary),
        tags: r.tags().iter().map(tag).collect(),
        role_last_used: r.role_last_used().map(role_last_used),
        max_session_duration: None,
    }
}

fn role_last_used(l: &sdk::RoleLastUsed) -> gaad::RoleLastUsed {
    gaad::RoleLastUsed {
        last_used_date: date_opt(l.last_used_date()),
        region: l.region().map(str::to_string),
    }
}

fn managed_policy(p: &sdk::ManagedPolicyDetail) -> gaad::ManagedPolicyDetail {
    let arn = p.arn().unwrap_or_default();
    // IAM always names the policy; an emulator may not (moto leaves it out of GAAD), and
    // the name is the ARN's last segment (`arn:aws:iam::123:policy/path/name`).
    let name = match p.policy_name().filter(|n| !n.is_empty()) {
        Some(n) => n,
        None => arn
            .rsplit('/')
            .next()
            .filter(|_| arn.contains(":policy/"))
            .unwrap_or_default(),
    };
    gaad::ManagedPolicyDetail {
        policy_name: name.to_string(),
        policy_id: p.policy_id().unwrap_or_default().to_string(),
        arn: arn.to_string(),
        path: p.path().unwrap_or_default().to_string(),
        default_version_id: p.default_version_id().map(str::to_string),
        attachment_count: p.attachment_count().map(i64::from),
        create_date: date_opt(p.create_date()),
        update_date: date_opt(p.update_date()),
        policy_version_list: p
            .policy_version_list()
            .iter()
            .map(|v| gaad::PolicyVersion {
                document: doc(v.document()),
                version_id: v.version_id().unwrap_or_default().to_string(),
                is_default_version: v.is_default_version(),
                create_date: date_opt(v.create_date()),
            })
            .collect(),
    }
}

/// Generate, poll until complete, fetch and parse the credential report.
async fn credential_report(
    ctx: &Ctx,
    errors: &mut Vec<SourceError>,
) -> Option<credential_report::CredentialReport> {
    let mut wait = Duration::from_millis(200);
    let mut polls = 0;
    loop {
        polls += 1;
        match ctx.client.generate_credential_report().send().await {
            Ok(r) if r.state() == Some(&ReportStateType::Complete) => break,
            Ok(_) if polls < REPORT_POLLS => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            Ok(_) => {
                errors.push(SourceKind::Aws.error(
                    "iam:GenerateCredentialReport",
                    format!("the credential report was not ready after {polls} polls; reading the last one, if any"),
                ));
                break;
            }
            Err(e) => {
                // Without permission to generate, a recent report may still be readable.
                errors.push(SourceKind::Aws.error(
                    "iam:GenerateCredentialReport",
                    ctx.describe("GenerateCredentialReport", &e),
                ));
                break;
            }
        }
    }
    let resp = match ctx.client.get_credential_report().send().await {
        Ok(r) => r,
        Err(e) => {
            let why = match e.as_service_error().and_then(|s| s.code()) {
                Some("ReportNotPresent") => {
                    "there is no credential report (it could not be generated)".to_string()
                }
                Some("ReportExpired") => {
                    "the credential report has expired and could not be regenerated".to_string()
                }
                Some("ReportInProgress") => {
                    "the credential report is still being generated".to_string()
                }
                _ => ctx.describe("GetCredentialReport", &e),
            };
            errors.push(SourceKind::Aws.error("iam:GetCredentialReport", why));
            return None;
        }
    };
    let Some(content) = resp.content() else {
        errors.push(SourceKind::Aws.error(
            "iam:GetCredentialReport",
            "the response has no report content",
        ));
        return None;
    };
    let text = match String::from_utf8(content.as_ref().to_vec()) {
        Ok(t) => t,
        Err(_) => {
            errors.push(
                SourceKind::Aws.error("iam:GetCredentialReport", "the report is not UTF-8 text"),
            );
            return None;
        }
    };
    match credential_report::parse(&text) {
        Ok((mut report, problems)) => {
            errors.extend(
                problems
                    .into_iter()
                    .map(|p| SourceKind::Aws.error("iam:GetCredentialReport", p)),
            );
            report.generated_time = date_opt(resp.generated_time());
            Some(report)
        }
        Err(e) => {
            errors.push(SourceKind::Aws.error(
                "iam:GetCredentialReport",
                format!("not a credential report: {e}"),
            ));
            None
        }
    }
}

/// `ListAccessKeys` per user and `GetAccessKeyLastUsed` per key, `concurrency` users at
/// once. Sorted by user and key id.
async fn access_keys(
    ctx: &Ctx,
    users: &[String],
    errors: &mut Vec<SourceError>,
) -> Vec<AccessKeyMetadata> {
    let per_user = stream::iter(users)
        .map(|name| async move {
            let mut errs = Vec::new();
            let mut keys = Vec::new();
            let mut pages = ctx
                .client
                .list_access_keys()
                .user_name(name)
                .into_paginator()
                .items()
                .send();
            while let Some(item) = pages.next().await {
                match item {
                    Ok(k) => keys.push(k),
                    Err(e) => {
                        errs.push(SourceKind::Aws.error(
                            format!("iam:ListAccessKeys {name}"),
                            ctx.describe("ListAccessKeys", &e),
                        ));
                        break;
                    }
                }
            }
            let mut out = Vec::with_capacity(keys.len());
            for k in keys {
                let id = k.access_key_id().unwrap_or_default().to_string();
                let mut meta = AccessKeyMetadata {
                    user_name: k.user_name().unwrap_or(name).to_string(),
                    access_key_id: id.clone(),
                    status: k
                        .status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                    create_date: date_opt(k.create_date()),
                    last_used_date: None,
                    last_used_service: None,
                };
                match ctx
                    .client
                    .get_access_key_last_used()
                    .access_key_id(&id)
                    .send()
                    .await
                {
                    Ok(r) => {
                        if let Some(used) = r.access_key_last_used() {
                            meta.last_used_date = date_opt(used.last_used_date());
                            meta.last_used_service = Some(used.service_name())
                                .filter(|s| !s.is_empty() && *s != "N/A")
                                .map(str::to_string);
                        }
                    }
                    Err(e) => errs.push(SourceKind::Aws.error(
                        format!("iam:GetAccessKeyLastUsed {name} {id}"),
                        ctx.describe("GetAccessKeyLastUsed", &e),
                    )),
                }
                out.push(meta);
            }
            ctx.bar.inc(1);
            (out, errs)
        })
        .buffer_unordered(ctx.concurrency);
    let results: Vec<_> = per_user.collect().await;
    let mut keys = Vec::new();
    let mut errs = Vec::new();
    for (k, e) in results {
        keys.extend(k);
        errs.extend(e);
    }
    keys.sort_by(|a, b| (&a.user_name, &a.access_key_id).cmp(&(&b.user_name, &b.access_key_id)));
    errs.sort_by(|a, b| a.location.cmp(&b.location));
    errors.extend(errs);
    keys
}

/// `GetRole` per role, for what GAAD lacks: the maximum session duration (and the last
/// use, when GAAD left it out).
async fn role_details(ctx: &Ctx, gaad: &mut Gaad, errors: &mut Vec<SourceError>) {
    let Some(roles) = gaad.role_detail_list.as_mut() else {
        return;
    };
    let names: Vec<String> = roles.iter().map(|r| r.role_name.clone()).collect();
    let results: Vec<_> = stream::iter(names.into_iter().enumerate())
        .map(|(i, name)| async move {
            let r = ctx.client.get_role().role_name(&name).send().await;
            ctx.bar.inc(1);
            (i, name, r)
        })
        .buffer_unordered(ctx.concurrency)
        .collect()
        .await;
    let mut errs = Vec::new();
    for (i, name, r) in results {
        match r {
            Ok(out) => {
                if let Some(role) = out.role() {
                    let detail = &mut roles[i];
                    detail.max_session_duration = role.max_session_duration().map(i64::from);
                    if detail
                        .role_last_used
                        .as_ref()
                        .is_none_or(|l| l.last_used_date.is_none())
                        && let Some(l) = role
                            .role_last_used()
                            .filter(|l| l.last_used_date().is_some())
                    {
                        detail.role_last_used = Some(role_last_used(l));
                    }
                }
            }
            Err(e) => errs.push(
                SourceKind::Aws.error(format!("iam:GetRole {name}"), ctx.describe("GetRole", &e)),
            ),
        }
    }
    errs.sort_by(|a, b| a.location.cmp(&b.location));
    errors.extend(errs);
}

/// `ListOpenIDConnectProviders` + `GetOpenIDConnectProvider` each.
async fn oidc_providers(ctx: &Ctx, errors: &mut Vec<SourceError>) -> Vec<OidcProvider> {
    let list = match ctx.client.list_open_id_connect_providers().send().await {
        Ok(l) => l,
        Err(e) => {
            errors.push(SourceKind::Aws.error(
                "iam:ListOpenIDConnectProviders",
                ctx.describe("ListOpenIDConnectProviders", &e),
            ));
            return Vec::new();
        }
    };
    let arns: Vec<String> = list
        .open_id_connect_provider_list()
        .iter()
        .filter_map(|p| p.arn().map(str::to_string))
        .collect();
    let results: Vec<_> = stream::iter(arns)
        .map(|arn| async move {
            let r = ctx
                .client
                .get_open_id_connect_provider()
                .open_id_connect_provider_arn(&arn)
                .send()
                .await;
            (arn, r)
        })
        .buffer_unordered(ctx.concurrency)
        .collect()
        .await;
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for (arn, r) in results {
        match r {
            Ok(p) => out.push(OidcProvider {
                arn,
                url: p.url().unwrap_or_default().to_string(),
                client_id_list: p.client_id_list().to_vec(),
            }),
            Err(e) => {
                errs.push(SourceKind::Aws.error(
                    format!("iam:GetOpenIDConnectProvider {arn}"),
                    ctx.describe("GetOpenIDConnectProvider", &e),
                ));
                out.push(OidcProvider {
                    arn,
                    ..Default::default()
                });
            }
        }
    }
    out.sort_by(|a, b| a.arn.cmp(&b.arn));
    errs.sort_by(|a, b| a.location.cmp(&b.location));
    errors.extend(errs);
    out
}

/// The account id from the first ARN of the account's own principals or policies.
fn account_id(g: &Gaad) -> Option<String> {
    let arns = g
        .role_detail_list
        .iter()
        .flatten()
        .map(|r| r.arn.as_str())
        .chain(g.user_detail_list.iter().flatten().map(|u| u.arn.as_str()))
        .chain(g.group_detail_list.iter().flatten().map(|x| x.arn.as_str()))
        .chain(g.policies.iter().flatten().map(|p| p.arn.as_str()));
    arns.filter_map(|arn| arn.split(':').nth(4))
        .find(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two calls' example responses as the IAM API Reference documents them
    /// (`fixtures/aws-api/`).
    const GENERATED: &str =
        include_str!("../../../fixtures/aws-api/generate-service-last-accessed-details.xml");
    const DETAILS: &str =
        include_str!("../../../fixtures/aws-api/get-service-last-accessed-details.xml");

    fn test_ctx(endpoint: &str) -> Ctx {
        let conf = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "AKIDLOOPBACKTEST",
                "not-a-secret",
                None,
                None,
                "test",
            ))
            .endpoint_url(endpoint)
            .build();
        Ctx {
            client: Client::from_conf(conf),
            endpoint: endpoint.to_string(),
            concurrency: 2,
            bar: ProgressBar::hidden(),
        }
    }

    /// The form parameters of an IAM Query request.
    fn params(body: &[u8]) -> Vec<(String, String)> {
        String::from_utf8_lossy(body)
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// IAM's service model from botocore (`scripts/test.sh` sets `NHI_BOTOCORE_IAM`; CI
    /// requires it): every request names an operation IAM has, with its input members.
    fn check_against_model(requests: &[wiremock::Request]) {
        let model = match std::env::var("NHI_BOTOCORE_IAM") {
            Ok(p) => p,
            Err(_) if std::env::var_os("CI").is_some() => {
                panic!("NHI_BOTOCORE_IAM is not set under CI: scripts/test.sh sets it")
            }
            Err(_) => return,
        };
        let raw = std::fs::read(&model).expect("the botocore model reads");
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&raw[..]), &mut text)
            .expect("the model is gzipped JSON");
        let model: Value = serde_json::from_str(&text).expect("the model is JSON");
        for r in requests {
            let params = params(&r.body);
            let action = &params
                .iter()
                .find(|(k, _)| k == "Action")
                .expect("an Action")
                .1;
            let op = &model["operations"][action.as_str()];
            assert!(op.is_object(), "IAM has no operation {action}");
            let shape = op["input"]["shape"].as_str().expect("an input shape");
            let members = &model["shapes"][shape]["members"];
            for (k, _) in params
                .iter()
                .filter(|(k, _)| k != "Action" && k != "Version")
            {
                assert!(members.get(k).is_some(), "{action} has no member {k}");
            }
            for required in model["shapes"][shape]["required"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let required = required.as_str().unwrap_or_default();
                assert!(
                    params.iter().any(|(k, _)| k == required),
                    "{action} needs {required}"
                );
            }
        }
    }

    fn xml(body: &str) -> wiremock::ResponseTemplate {
        wiremock::ResponseTemplate::new(200).set_body_raw(body.to_string(), "text/xml")
    }

    async fn mount(server: &wiremock::MockServer) {
        use wiremock::Mock;
        use wiremock::matchers::{body_string_contains, method};
        Mock::given(method("POST"))
            .and(body_string_contains(
                "Action=GenerateServiceLastAccessedDetails",
            ))
            .respond_with(xml(GENERATED))
            .mount(server)
            .await;
        Mock::given(method("POST"))
            .and(body_string_contains("Action=GetServiceLastAccessedDetails"))
            .respond_with(xml(DETAILS))
            .mount(server)
            .await;
    }

    #[tokio::test]
    async fn last_accessed_jobs_are_generated_polled_and_read() {
        let server = wiremock::MockServer::start().await;
        mount(&server).await;
        let ctx = test_ctx(&server.uri());
        let arn = "arn:aws:iam::123456789012:role/agent".to_string();
        let mut errors = Vec::new();
        let got = service_last_accessed(
            &ctx,
            std::slice::from_ref(&arn),
            Duration::from_millis(1),
            &mut errors,
        )
        .await;
        assert!(errors.is_empty(), "{errors:?}");
        let services = &got[&arn];
        assert_eq!(services.len(), 2);
        assert_eq!(services[0].service_namespace, "s3");
        assert_eq!(
            services[0].last_authenticated.as_deref(),
            Some("2018-10-24T19:11:00Z")
        );
        assert_eq!(services[1].service_namespace, "iam");
        assert_eq!(services[1].last_authenticated, None);
        let requests = server.received_requests().await.unwrap_or_default();
        assert_eq!(requests.len(), 2);
        assert!(
            params(&requests[1].body)
                .iter()
                .any(|(k, v)| k == "JobId" && v == "examplef-1305-c245-eba4-71fe298bcda7")
        );
        check_against_model(&requests);
    }

    #[tokio::test]
    async fn a_refused_job_is_named_and_the_others_go_on() {
        use wiremock::matchers::{body_string_contains, method};
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        let denied = r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: iam:GenerateServiceLastAccessedDetails</Message></Error><RequestId>x</RequestId></ErrorResponse>"#;
        Mock::given(method("POST"))
            .and(body_string_contains("role%2Fdenied"))
            .respond_with(ResponseTemplate::new(403).set_body_raw(denied, "text/xml"))
            .mount(&server)
            .await;
        mount(&server).await;
        let ctx = test_ctx(&server.uri());
        let arns = [
            "arn:aws:iam::123456789012:role/denied".to_string(),
            "arn:aws:iam::123456789012:role/agent".to_string(),
        ];
        let mut errors = Vec::new();
        let got = service_last_accessed(&ctx, &arns, Duration::from_millis(1), &mut errors).await;
        assert_eq!(got.len(), 1);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .location
                .contains("GenerateServiceLastAccessedDetails")
        );
        assert!(errors[0].location.contains("role/denied"));
        assert!(
            errors[0].message.contains("access denied"),
            "{}",
            errors[0].message
        );
        check_against_model(&server.received_requests().await.unwrap_or_default());
    }

    #[test]
    fn dates_are_rfc3339_whole_seconds() {
        assert_eq!(
            date(&DateTime::from_secs(1_678_358_505)),
            "2023-03-09T10:41:45Z"
        );
        assert_eq!(
            date(&DateTime::from_fractional_secs(1_678_358_505, 0.25)),
            "2023-03-09T10:41:45Z"
        );
    }

    #[test]
    fn a_managed_policy_without_a_name_is_named_by_its_arn() {
        let p = sdk::ManagedPolicyDetail::builder()
            .arn("arn:aws:iam::123456789012:policy/team/agent-data")
            .build();
        assert_eq!(managed_policy(&p).policy_name, "agent-data");
        let p = sdk::ManagedPolicyDetail::builder()
            .policy_name("Named")
            .arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
            .build();
        assert_eq!(managed_policy(&p).policy_name, "Named");
    }

    #[test]
    fn account_from_arns_not_from_aws_managed_policies() {
        let g = Gaad {
            policies: Some(vec![gaad::ManagedPolicyDetail {
                arn: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
                ..Default::default()
            }]),
            role_detail_list: Some(vec![gaad::RoleDetail {
                arn: "arn:aws:iam::123456789012:role/agent".into(),
                ..Default::default()
            }]),
            ..Default::default()
        };
        assert_eq!(account_id(&g).as_deref(), Some("123456789012"));
        assert_eq!(account_id(&Gaad::default()), None);
    }

    #[test]
    fn export_writes_four_files_that_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let input = AwsInput {
            gaad: Gaad {
                user_detail_list: Some(vec![]),
                group_detail_list: Some(vec![]),
                role_detail_list: Some(vec![]),
                policies: Some(vec![]),
            },
            last_accessed: Default::default(),
            credential_report: Some(credential_report::CredentialReport {
                csv: "user,arn\n".into(),
                ..Default::default()
            }),
            access_keys: vec![AccessKeyMetadata {
                user_name: "bot".into(),
                access_key_id: "AKIAEXAMPLE".into(),
                status: "Active".into(),
                ..Default::default()
            }],
            oidc_providers: vec![],
            origin: "live:1".into(),
        };
        let files = export(&input, dir.path()).unwrap();
        assert_eq!(files.len(), 4);
        let gaad_text = std::fs::read_to_string(dir.path().join("gaad.json")).unwrap();
        assert_eq!(
            super::super::recognise(&gaad_text),
            Some(super::super::ExportKind::Gaad)
        );
        let back: Gaad = serde_json::from_str(&gaad_text).unwrap();
        assert_eq!(back, input.gaad);
        let keys = std::fs::read_to_string(dir.path().join("access-keys.json")).unwrap();
        let back: AccessKeyList = serde_json::from_str(&keys).unwrap();
        assert_eq!(back.access_key_metadata, input.access_keys);
        let oidc = std::fs::read_to_string(dir.path().join("oidc-providers.json")).unwrap();
        assert!(oidc.contains("\"OpenIDConnectProviderList\": []"));
    }
}
