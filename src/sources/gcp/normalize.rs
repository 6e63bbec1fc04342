//! The exports read → inventory: one identity per service account (listed, or named by
//! a key or a binding), one credential per user-managed key, one grant per role a
//! service account holds on a resource, and `assumes` edges for impersonation.
//!
//! Role levels: the basic roles by what Google documents (`roles/owner` admin,
//! `roles/editor` write, `roles/viewer` read); every other role, predefined or custom,
//! by its name's suffix (`…Admin`, `…Editor`/`Writer`/`User`, `…Viewer`/`Reader`),
//! marked inferred, since no export here carries a role's permissions.

use std::collections::BTreeMap;

use super::{GcpInput, ResourcePolicy, ServiceAccount, ServiceAccountKey};
use crate::model::facts::{GcpIdentityFacts, GcpKey, GcpMemberGrant, GcpRoleBinding};
use crate::model::{
    AccessLevel, Confidence, Credential, CredentialKind, Edge, EdgeKind, Effect, Grant, Identity,
    IdentityKind, Inventory, Lifetime, Location, Provider, Storage,
};
use crate::{text, timefmt};

/// Roles that let a member act as a service account: on the account, or on its project
/// (which covers every account of the project).
pub const IMPERSONATION_ROLES: &[&str] = &[
    "roles/iam.serviceAccountTokenCreator",
    "roles/iam.serviceAccountUser",
    "roles/iam.workloadIdentityUser",
];

/// The basic roles, which span every service of a project.
pub const BASIC_ROLES: &[&str] = &["roles/owner", "roles/editor"];

/// The level a role gives, and whether that is inferred from its name.
pub fn role_level(role: &str) -> (AccessLevel, bool) {
    match role {
        "roles/owner" => return (AccessLevel::Admin, false),
        "roles/editor" => return (AccessLevel::Write, false),
        "roles/viewer" => return (AccessLevel::Read, false),
        _ => {}
    }
    // `roles/storage.objectViewer` → `objectViewer`; `projects/p/roles/agentRunner` →
    // `agentRunner`.
    let last = role.rsplit(['/', '.']).next().unwrap_or(role);
    let lower = last.to_ascii_lowercase();
    let level = if lower.ends_with("admin") || lower.ends_with("owner") {
        AccessLevel::Admin
    } else if lower.ends_with("viewer")
        || lower.ends_with("reader")
        || lower.ends_with("reviewer")
        || lower == "browser"
    {
        AccessLevel::Read
    } else {
        // `…Editor`, `…Writer`, `…User`, and any name that says nothing: a role may
        // change what it reaches until its permissions are read.
        AccessLevel::Write
    };
    (level, true)
}

/// What an email says about its account: its type, its project (id or number) and, for
/// a Google service agent, its service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailKind {
    pub kind: &'static str,
    pub project_id: Option<String>,
    pub project_number: Option<String>,
    pub service_agent: Option<String>,
}

pub fn email_kind(email: &str) -> EmailKind {
    let (local, domain) = email.rsplit_once('@').unwrap_or((email, ""));
    let domain = domain.to_ascii_lowercase();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mut out = EmailKind {
        kind: "user-managed",
        project_id: None,
        project_number: None,
        service_agent: None,
    };
    if domain == "developer.gserviceaccount.com"
        && let Some(n) = local.strip_suffix("-compute")
        && digits(n)
    {
        out.kind = "default-compute";
        out.project_number = Some(n.to_string());
    } else if domain == "appspot.gserviceaccount.com" {
        out.kind = "default-app-engine";
        out.project_id = Some(local.to_string());
    } else if domain == "cloudservices.gserviceaccount.com" && digits(local) {
        out.kind = "service-agent";
        out.project_number = Some(local.to_string());
        out.service_agent = Some("cloudservices".into());
    } else if let Some(sub) = domain.strip_suffix(".iam.gserviceaccount.com") {
        let number = local.strip_prefix("service-").filter(|n| digits(n));
        if let Some(service) = sub.strip_prefix("gcp-sa-") {
            out.kind = "service-agent";
            out.service_agent = Some(service.to_string());
            out.project_number = number.map(str::to_string);
        } else if let Some(n) = number {
            // `service-N@compute-system.iam.gserviceaccount.com` and the like.
            out.kind = "service-agent";
            out.service_agent = Some(sub.to_string());
            out.project_number = Some(n.to_string());
        } else {
            out.project_id = Some(sub.to_string());
        }
    } else if domain.ends_with(".gserviceaccount.com") {
        out.kind = "service-agent";
        out.service_agent = Some(domain.trim_end_matches(".gserviceaccount.com").into());
    }
    out
}

/// The identity id of the account with `email`.
pub fn account_id(email: &str) -> String {
    let mut id = format!("gcp:serviceAccount:{}", email.to_ascii_lowercase());
    text::make_safe_id(&mut id);
    id
}

/// One account while the exports are read.
#[derive(Default)]
struct Account<'a> {
    email: String,
    listed: Option<&'a ServiceAccount>,
    keys: Vec<&'a ServiceAccountKey>,
    roles: Vec<GcpRoleBinding>,
    impersonated_by: Vec<GcpMemberGrant>,
    public_members: Vec<GcpMemberGrant>,
}

impl Account<'_> {
    fn project_id(&self) -> Option<String> {
        self.listed
            .and_then(|a| a.project_id.clone())
            .or_else(|| email_kind(&self.email).project_id)
    }

    /// Whether `project` (`example-project` or `123456`) is this account's project.
    fn in_project(&self, project: &str, numbers: &BTreeMap<String, String>) -> bool {
        let kind = email_kind(&self.email);
        let id = self.project_id();
        id.as_deref() == Some(project)
            || kind.project_number.as_deref() == Some(project)
            || id.is_some_and(|id| numbers.get(&id).map(String::as_str) == Some(project))
            || kind
                .project_number
                .is_some_and(|n| numbers.iter().any(|(id, num)| *num == n && id == project))
    }
}

/// The service account a member names (`serviceAccount:EMAIL`), lower-cased.
fn member_account(member: &str) -> Option<String> {
    let email = member.strip_prefix("serviceAccount:")?;
    email.contains('@').then(|| email.to_ascii_lowercase())
}

/// What a full resource name is, for impersonation.
enum Target<'r> {
    /// `//iam.googleapis.com/projects/P/serviceAccounts/EMAIL_OR_UNIQUE_ID`
    Account(&'r str),
    /// `//cloudresourcemanager.googleapis.com/projects/P`
    Project(&'r str),
    Other,
}

fn target(resource: &str) -> Target<'_> {
    if let Some(rest) = resource.strip_prefix("//iam.googleapis.com/projects/")
        && let Some((_, account)) = rest.split_once("/serviceAccounts/")
        && !account.is_empty()
        && !account.contains('/')
    {
        return Target::Account(account);
    }
    if let Some(p) = resource.strip_prefix("//cloudresourcemanager.googleapis.com/projects/")
        && !p.is_empty()
        && !p.contains('/')
    {
        return Target::Project(p);
    }
    Target::Other
}

/// The inventory fragment of everything read, with ages at [`timefmt::now`].
pub fn normalize(input: &GcpInput) -> Inventory {
    normalize_at(input, timefmt::now())
}

/// [`normalize`] with ages at `now`.
pub fn normalize_at(input: &GcpInput, now: time::OffsetDateTime) -> Inventory {
    let mut inv = Inventory::default();
    let mut accounts: BTreeMap<String, Account<'_>> = BTreeMap::new();
    let entry = |accounts: &mut BTreeMap<String, Account<'_>>, email: &str| {
        let key = email.to_ascii_lowercase();
        accounts.entry(key.clone()).or_insert_with(|| Account {
            email: key,
            ..Default::default()
        });
    };
    for (account, _) in &input.accounts {
        entry(&mut accounts, &account.email);
        if let Some(a) = accounts.get_mut(&account.email.to_ascii_lowercase()) {
            a.listed = Some(account);
        }
    }
    for (key, _) in &input.keys {
        if let Some((email, _)) = key.account_and_id() {
            entry(&mut accounts, email);
            if let Some(a) = accounts.get_mut(&email.to_ascii_lowercase()) {
                a.keys.push(key);
            }
        }
    }
    // Project ids to numbers, from the search results that say both.
    let mut numbers: BTreeMap<String, String> = BTreeMap::new();
    for p in &input.policies {
        if let (Target::Project(id), Some(number)) = (target(&p.resource), &p.project)
            && let Some(n) = number.strip_prefix("projects/")
            && id != n
        {
            numbers.insert(id.to_string(), n.to_string());
        }
        for b in &p.bindings {
            for m in &b.members {
                if let Some(email) = member_account(m) {
                    entry(&mut accounts, &email);
                }
            }
        }
    }
    let unique_ids: BTreeMap<String, String> = accounts
        .values()
        .filter_map(|a| Some((a.listed?.unique_id.clone()?, a.email.clone())))
        .collect();

    for policy in &input.policies {
        bind(policy, &mut accounts, &unique_ids, &numbers, &mut inv);
    }

    for account in accounts.values() {
        let (identity, credentials) = identity(account, &numbers, now);
        inv.credentials.extend(credentials);
        inv.identities.push(identity);
    }
    inv
}

/// One policy's bindings: grants and roles of the service accounts in them, who can act
/// as which account, and public members.
fn bind(
    policy: &ResourcePolicy,
    accounts: &mut BTreeMap<String, Account<'_>>,
    unique_ids: &BTreeMap<String, String>,
    numbers: &BTreeMap<String, String>,
    inv: &mut Inventory,
) {
    let loc = Location::file(policy.path.clone(), policy.line, 1);
    let mut resource = policy.resource.clone();
    text::make_safe_id(&mut resource);
    // The accounts a binding here covers, for impersonation and public members.
    let covered: Vec<String> = match target(&policy.resource) {
        Target::Account(a) => {
            let email = unique_ids
                .get(a)
                .cloned()
                .unwrap_or_else(|| a.to_ascii_lowercase());
            if !accounts.contains_key(&email) && email.contains('@') {
                accounts.insert(
                    email.clone(),
                    Account {
                        email: email.clone(),
                        ..Default::default()
                    },
                );
            }
            vec![email]
        }
        Target::Project(p) => accounts
            .values()
            .filter(|a| a.in_project(p, numbers))
            .map(|a| a.email.clone())
            .collect(),
        Target::Other => Vec::new(),
    };
    for binding in &policy.bindings {
        let mut role = binding.role.clone();
        text::make_safe_id(&mut role);
        let (level, inferred) = role_level(&binding.role);
        let conditional = binding.condition.is_some();
        let impersonation = IMPERSONATION_ROLES.contains(&binding.role.as_str());
        for member in &binding.members {
            let mut shown_member = member.clone();
            text::make_safe_id(&mut shown_member);
            let grant = || GcpMemberGrant {
                member: Some(shown_member.clone()),
                role: Some(role.clone()),
                resource: Some(resource.clone()),
            };
            if matches!(member.as_str(), "allUsers" | "allAuthenticatedUsers") {
                for email in &covered {
                    if let Some(a) = accounts.get_mut(email) {
                        a.public_members.push(grant());
                    }
                }
            }
            if impersonation {
                for email in &covered {
                    if let Some(a) = accounts.get_mut(email) {
                        a.impersonated_by.push(grant());
                    }
                    if let Some(from) = member_account(member)
                        && from != *email
                    {
                        inv.edges.push(Edge {
                            kind: EdgeKind::Assumes,
                            from: account_id(&from),
                            to: account_id(email),
                            evidence: format!("holds {role} on {resource}"),
                            location: Some(loc.clone()),
                        });
                    }
                }
            }
            let Some(email) = member_account(member) else {
                continue;
            };
            if let Some(a) = accounts.get_mut(&email) {
                a.roles.push(GcpRoleBinding {
                    role: Some(role.clone()),
                    resource: Some(resource.clone()),
                    access_level: Some(level),
                    inferred: Some(inferred),
                    conditional: conditional.then_some(true),
                });
            }
            let how = if inferred {
                " (level inferred from the role's name)"
            } else {
                ""
            };
            inv.grants.push(Grant {
                identity: account_id(&email),
                action: role.clone(),
                resource: resource.clone(),
                effect: Effect::Allow,
                access_level: level,
                source: format!("IAM policy binding{how}"),
                location: Some(loc.clone()),
            });
        }
    }
}

/// A key's facts, and its credential when it is user-managed.
fn key(
    k: &ServiceAccountKey,
    holder: &str,
    now: time::OffsetDateTime,
) -> (GcpKey, Option<Credential>) {
    let (_, id) = k.account_and_id().unwrap_or(("", &k.name));
    let mut id = id.to_string();
    text::make_safe_id(&mut id);
    let user_managed = k.key_type.as_deref() != Some("SYSTEM_MANAGED");
    let created = k.valid_after_time.as_deref().and_then(timefmt::parse);
    let until = k.valid_before_time.as_deref().and_then(timefmt::parse);
    // Google writes 9999-12-31T23:59:59Z for a key that never expires.
    let never_expires = until.is_none_or(|t| t.year() >= 9999);
    let expires = until.filter(|_| !never_expires);
    let expired = expires.is_some_and(|t| t <= now);
    let rfc = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .ok()
    };
    let facts = GcpKey {
        id: Some(id.clone()),
        user_managed: Some(user_managed),
        algorithm: k.key_algorithm.clone().map(|mut a| {
            text::make_safe(&mut a);
            a
        }),
        created: created.and_then(rfc),
        expires: expires.and_then(rfc),
        never_expires: Some(never_expires),
        expired: Some(expired),
        age_days: created.map(|c| timefmt::days_since(c, now)),
        disabled: Some(k.disabled),
        active: Some(!k.disabled && !expired),
    };
    if !user_managed {
        return (facts, None);
    }
    let mut uri = format!("//iam.googleapis.com/{}", k.name);
    text::make_safe_id(&mut uri);
    let credential = Credential {
        identity: Some(holder.to_string()),
        locations: vec![Location::Uri { uri }],
        created_at: facts.created.clone(),
        expires_at: facts.expires.clone(),
        key_id: Some(id.clone()),
        ..Credential::new(
            format!("gcp:serviceAccountKey:{id}"),
            CredentialKind::GcpServiceAccountKey,
            Provider::Gcp,
            Lifetime::Static,
            Storage::Issued,
            Confidence::High,
        )
    };
    (facts, Some(credential))
}

/// Account `a`'s identity and credentials; `numbers` maps project ids to numbers, so an
/// account known by its project's number (a service agent) is given the project's id.
fn identity(
    a: &Account<'_>,
    numbers: &BTreeMap<String, String>,
    now: time::OffsetDateTime,
) -> (Identity, Vec<Credential>) {
    let id = account_id(&a.email);
    let mut email = a.email.clone();
    text::make_safe_id(&mut email);
    let kind = email_kind(&a.email);
    let mut identity = Identity::new(
        id.clone(),
        IdentityKind::GcpServiceAccount,
        Provider::Gcp,
        email.clone(),
    );
    let by_number = kind.project_number.as_ref().and_then(|n| {
        numbers
            .iter()
            .find(|(_, num)| *num == n)
            .map(|(id, _)| id.clone())
    });
    let project = a
        .project_id()
        .or(by_number)
        .or(kind.project_number.clone())
        .map(|mut p| {
            text::make_safe_id(&mut p);
            p
        });
    let mut uri = format!(
        "//iam.googleapis.com/projects/{}/serviceAccounts/{email}",
        // A service agent lives in a project Google owns: `-` is IAM's any-project form.
        project
            .as_deref()
            .filter(|_| kind.kind != "service-agent")
            .unwrap_or("-")
    );
    text::make_safe_id(&mut uri);
    identity.locations = vec![Location::Uri { uri }];

    let mut keys = Vec::new();
    let mut credentials = Vec::new();
    for k in &a.keys {
        let (facts, credential) = key(k, &id, now);
        keys.push(facts);
        credentials.extend(credential);
    }
    keys.sort_by(|x, y| x.id.cmp(&y.id));
    credentials.sort_by(|x, y| x.id.cmp(&y.id));
    credentials.dedup_by(|x, y| x.id == y.id);
    identity.credentials = credentials.iter().map(|c| c.id.clone()).collect();
    let active_user_managed = keys
        .iter()
        .filter(|k| k.user_managed == Some(true) && k.active == Some(true))
        .count() as u64;

    let mut roles = a.roles.clone();
    roles.sort_by(|x, y| (&x.resource, &x.role).cmp(&(&y.resource, &y.role)));
    roles.dedup();
    let level = roles.iter().filter_map(|r| r.access_level).max();
    identity.access_level = level;
    let mut basic: Vec<String> = roles
        .iter()
        .filter_map(|r| r.role.clone())
        .filter(|r| BASIC_ROLES.contains(&r.as_str()))
        .collect();
    basic.sort();
    basic.dedup();
    let sorted = |mut v: Vec<GcpMemberGrant>| {
        v.sort_by(|x, y| (&x.member, &x.role, &x.resource).cmp(&(&y.member, &y.role, &y.resource)));
        v.dedup();
        (!v.is_empty()).then_some(v)
    };
    let safe = |s: &Option<String>| {
        s.clone().map(|mut s| {
            text::make_safe(&mut s);
            s
        })
    };
    let listed = a.listed;
    let facts = GcpIdentityFacts {
        email: Some(email),
        project,
        unique_id: listed.and_then(|l| safe(&l.unique_id)),
        display_name: listed.and_then(|l| safe(&l.display_name)),
        description: listed.and_then(|l| safe(&l.description)),
        disabled: Some(listed.is_some_and(|l| l.disabled)),
        kind: Some(kind.kind.into()),
        service_agent: kind.service_agent,
        listed: Some(listed.is_some()),
        keys: Some(keys),
        active_user_managed_keys: Some(active_user_managed),
        roles: Some(roles),
        basic_roles: Some(basic),
        access_level: level,
        impersonated_by: sorted(a.impersonated_by.clone()),
        public_members: sorted(a.public_members.clone()),
    };
    if let Ok(value) = serde_json::to_value(&facts) {
        identity.facts.insert("gcp".into(), value);
    }
    (identity, credentials)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::gcp::{Binding, ResourcePolicy};

    const SA: &str = "agent@example-project.iam.gserviceaccount.com";

    fn policy(resource: &str, bindings: &[(&str, &[&str])]) -> ResourcePolicy {
        ResourcePolicy {
            resource: resource.into(),
            bindings: bindings
                .iter()
                .map(|(role, members)| Binding {
                    role: role.to_string(),
                    members: members.iter().map(|m| m.to_string()).collect(),
                    condition: None,
                })
                .collect(),
            project: None,
            path: "policies.json".into(),
            line: 1,
            ancestors: Vec::new(),
        }
    }

    fn listed(email: &str) -> (ServiceAccount, String) {
        (
            ServiceAccount {
                email: email.into(),
                project_id: Some("example-project".into()),
                unique_id: Some("1000".into()),
                display_name: Some("Support agent".into()),
                ..Default::default()
            },
            "sa.json".into(),
        )
    }

    fn facts(inv: &Inventory, email: &str) -> GcpIdentityFacts {
        let i = inv
            .identities
            .iter()
            .find(|i| i.id == account_id(email))
            .expect("the identity");
        serde_json::from_value(i.facts["gcp"].clone()).expect("gcp facts")
    }

    #[test]
    fn role_levels_basic_documented_the_rest_inferred_from_the_name() {
        assert_eq!(role_level("roles/owner"), (AccessLevel::Admin, false));
        assert_eq!(role_level("roles/editor"), (AccessLevel::Write, false));
        assert_eq!(role_level("roles/viewer"), (AccessLevel::Read, false));
        assert_eq!(
            role_level("roles/storage.admin"),
            (AccessLevel::Admin, true)
        );
        assert_eq!(
            role_level("roles/iam.securityAdmin"),
            (AccessLevel::Admin, true)
        );
        assert_eq!(
            role_level("roles/storage.objectViewer"),
            (AccessLevel::Read, true)
        );
        assert_eq!(
            role_level("roles/bigquery.dataEditor"),
            (AccessLevel::Write, true)
        );
        assert_eq!(
            role_level("roles/aiplatform.user"),
            (AccessLevel::Write, true)
        );
        assert_eq!(role_level("roles/pubsub.reader"), (AccessLevel::Read, true));
        assert_eq!(
            role_level("roles/iam.securityReviewer"),
            (AccessLevel::Read, true)
        );
        assert_eq!(
            role_level("projects/example-project/roles/agentRunner"),
            (AccessLevel::Write, true)
        );
    }

    #[test]
    fn emails_say_default_accounts_and_service_agents() {
        let k = email_kind("123456789012-compute@developer.gserviceaccount.com");
        assert_eq!(k.kind, "default-compute");
        assert_eq!(k.project_number.as_deref(), Some("123456789012"));
        let k = email_kind("example-project@appspot.gserviceaccount.com");
        assert_eq!(k.kind, "default-app-engine");
        assert_eq!(k.project_id.as_deref(), Some("example-project"));
        let k = email_kind("service-123@gcp-sa-aiplatform-re.iam.gserviceaccount.com");
        assert_eq!(k.kind, "service-agent");
        assert_eq!(k.service_agent.as_deref(), Some("aiplatform-re"));
        assert_eq!(k.project_number.as_deref(), Some("123"));
        let k = email_kind(SA);
        assert_eq!(k.kind, "user-managed");
        assert_eq!(k.project_id.as_deref(), Some("example-project"));
        assert_eq!(
            email_kind("service-1@compute-system.iam.gserviceaccount.com").kind,
            "service-agent"
        );
    }

    #[test]
    fn keys_user_managed_are_credentials_with_age_and_expiry() {
        let key = |id: &str, kind: &str, after: &str, before: &str, disabled: bool| {
            (
                ServiceAccountKey {
                    name: format!("projects/example-project/serviceAccounts/{SA}/keys/{id}"),
                    key_type: Some(kind.into()),
                    key_algorithm: Some("KEY_ALG_RSA_2048".into()),
                    valid_after_time: Some(after.into()),
                    valid_before_time: Some(before.into()),
                    disabled,
                    ..Default::default()
                },
                "keys.json".to_string(),
            )
        };
        let input = GcpInput {
            accounts: vec![listed(SA)],
            keys: vec![
                key(
                    "aaa1",
                    "USER_MANAGED",
                    "2026-01-01T00:00:00Z",
                    "9999-12-31T23:59:59Z",
                    false,
                ),
                key(
                    "bbb2",
                    "USER_MANAGED",
                    "2026-11-01T00:00:00Z",
                    "2026-11-21T00:00:00Z",
                    false,
                ),
                key(
                    "ccc3",
                    "SYSTEM_MANAGED",
                    "2026-11-25T00:00:00Z",
                    "2026-12-11T00:00:00Z",
                    false,
                ),
                key(
                    "ddd4",
                    "USER_MANAGED",
                    "2026-11-25T00:00:00Z",
                    "2027-11-25T00:00:00Z",
                    true,
                ),
            ],
            policies: vec![],
            ..Default::default()
        };
        let now = timefmt::parse("2026-12-01T00:00:00Z").expect("a date");
        let inv = normalize_at(&input, now);
        let creds: Vec<(&str, Option<&str>, Option<&str>)> = inv
            .credentials
            .iter()
            .map(|c| (c.id.as_str(), c.key_id.as_deref(), c.expires_at.as_deref()))
            .collect();
        assert_eq!(
            creds,
            [
                ("gcp:serviceAccountKey:aaa1", Some("aaa1"), None),
                (
                    "gcp:serviceAccountKey:bbb2",
                    Some("bbb2"),
                    Some("2026-11-21T00:00:00Z")
                ),
                (
                    "gcp:serviceAccountKey:ddd4",
                    Some("ddd4"),
                    Some("2027-11-25T00:00:00Z")
                ),
            ]
        );
        assert!(
            inv.credentials
                .iter()
                .all(|c| c.kind == CredentialKind::GcpServiceAccountKey
                    && c.identity.as_deref() == Some(account_id(SA).as_str())
                    && c.preview.is_none()
                    && c.fingerprint.is_none())
        );
        let f = facts(&inv, SA);
        let keys = f.keys.expect("keys");
        assert_eq!(keys.len(), 4);
        assert_eq!(keys[0].never_expires, Some(true));
        assert_eq!(keys[0].created.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(keys[0].age_days, Some(334));
        assert_eq!(keys[1].never_expires, Some(false));
        assert_eq!(keys[1].expired, Some(true));
        assert_eq!(keys[1].active, Some(false));
        assert_eq!(keys[2].user_managed, Some(false));
        assert_eq!(keys[3].disabled, Some(true));
        assert_eq!(keys[3].active, Some(false));
        // Only the never-expiring key is user-managed and usable.
        assert_eq!(f.active_user_managed_keys, Some(1));
        assert_eq!(f.display_name.as_deref(), Some("Support agent"));
        assert_eq!(f.listed, Some(true));
    }

    #[test]
    fn bindings_give_grants_roles_basic_roles_and_public_members() {
        let project = "//cloudresourcemanager.googleapis.com/projects/example-project";
        let input = GcpInput {
            accounts: vec![listed(SA)],
            keys: vec![],
            policies: vec![
                policy(
                    project,
                    &[
                        (
                            "roles/editor",
                            &[&format!("serviceAccount:{SA}"), "user:a@example.com"],
                        ),
                        (
                            "roles/storage.objectViewer",
                            &[&format!("serviceAccount:{SA}")],
                        ),
                        ("roles/viewer", &["allAuthenticatedUsers"]),
                    ],
                ),
                policy(
                    "//storage.googleapis.com/projects/_/buckets/example-bucket",
                    &[("roles/storage.admin", &[&format!("serviceAccount:{SA}")])],
                ),
            ],
            ..Default::default()
        };
        let inv = normalize(&input);
        let grants: Vec<(&str, &str, AccessLevel, &str)> = inv
            .grants
            .iter()
            .map(|g| {
                (
                    g.action.as_str(),
                    g.resource.as_str(),
                    g.access_level,
                    g.source.as_str(),
                )
            })
            .collect();
        assert_eq!(
            grants,
            [
                (
                    "roles/editor",
                    project,
                    AccessLevel::Write,
                    "IAM policy binding"
                ),
                (
                    "roles/storage.objectViewer",
                    project,
                    AccessLevel::Read,
                    "IAM policy binding (level inferred from the role's name)"
                ),
                (
                    "roles/storage.admin",
                    "//storage.googleapis.com/projects/_/buckets/example-bucket",
                    AccessLevel::Admin,
                    "IAM policy binding (level inferred from the role's name)"
                ),
            ]
        );
        assert!(inv.grants.iter().all(|g| g.identity == account_id(SA)));
        // The user member is no identity: only service accounts are.
        assert_eq!(inv.identities.len(), 1);
        let f = facts(&inv, SA);
        assert_eq!(f.basic_roles, Some(vec!["roles/editor".to_string()]));
        assert_eq!(f.access_level, Some(AccessLevel::Admin));
        assert_eq!(f.roles.as_ref().map(Vec::len), Some(3));
        let public = f.public_members.expect("public members");
        assert_eq!(public[0].member.as_deref(), Some("allAuthenticatedUsers"));
        assert_eq!(public[0].role.as_deref(), Some("roles/viewer"));
    }

    #[test]
    fn impersonation_on_an_account_or_its_project_is_an_assumes_edge() {
        let ci = "ci@example-project.iam.gserviceaccount.com";
        let deployer = "deployer@example-project.iam.gserviceaccount.com";
        let other = "other@another-project.iam.gserviceaccount.com";
        let input = GcpInput {
            accounts: vec![listed(SA), listed(deployer)],
            keys: vec![],
            policies: vec![
                policy(
                    &format!(
                        "//iam.googleapis.com/projects/example-project/serviceAccounts/{deployer}"
                    ),
                    &[(
                        "roles/iam.serviceAccountTokenCreator",
                        &[&format!("serviceAccount:{SA}"), "user:dev@example.com"],
                    )],
                ),
                policy(
                    "//cloudresourcemanager.googleapis.com/projects/example-project",
                    &[(
                        "roles/iam.serviceAccountUser",
                        &[&format!("serviceAccount:{ci}")],
                    )],
                ),
                policy(
                    "//cloudresourcemanager.googleapis.com/projects/another-project",
                    &[(
                        "roles/iam.serviceAccountUser",
                        &[&format!("serviceAccount:{other}")],
                    )],
                ),
            ],
            ..Default::default()
        };
        let inv = normalize(&input);
        let mut edges: Vec<(String, String)> = inv
            .edges
            .iter()
            .filter(|e| e.kind == EdgeKind::Assumes)
            .map(|e| (e.from.clone(), e.to.clone()))
            .collect();
        edges.sort();
        // On the account: the agent's account to the deployer. On the project: ci to
        // every account of example-project but itself; none into another project.
        assert_eq!(
            edges,
            [
                (account_id(SA), account_id(deployer)),
                (account_id(ci), account_id(SA)),
                (account_id(ci), account_id(deployer)),
            ]
        );
        let f = facts(&inv, deployer);
        let by: Vec<&str> = f
            .impersonated_by
            .iter()
            .flatten()
            .filter_map(|g| g.member.as_deref())
            .collect();
        assert!(by.contains(&"user:dev@example.com"), "{by:?}");
        assert!(
            by.contains(&format!("serviceAccount:{SA}").as_str()),
            "{by:?}"
        );
        // The accounts only bindings name are still identities, marked not listed.
        assert_eq!(facts(&inv, ci).listed, Some(false));
        assert_eq!(inv.identities.len(), 4);
    }
}
