//! The exports read → inventory: one identity per service account (listed, or named by
//! a key or a binding) and per workload identity provider, one credential per
//! user-managed key, one grant per role an identity holds on a resource, `assumes`
//! edges for impersonation and federation, and `escalates` edges for key creation and
//! `setIamPolicy`.
//!
//! Role levels come from the role's permissions where an export carries them (`gcloud
//! iam roles describe|list`, the live crawl); otherwise the basic roles by what Google
//! documents (`roles/owner` admin, `roles/editor` write, `roles/viewer` read) and every
//! other role by its name's suffix (`…Admin`, `…Editor`/`Writer`/`User`,
//! `…Viewer`/`Reader`), marked inferred.
//!
//! A binding on an organisation or folder covers every project below it (by the
//! ancestry the policy exports give each project), and so every account of those
//! projects.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    GcpInput, ResourcePolicy, Role, ServiceAccount, ServiceAccountKey, WorkloadIdentityPoolProvider,
};
use crate::model::facts::{
    GcpIdentityFacts, GcpKey, GcpMemberGrant, GcpPower, GcpProviderFacts, GcpRoleBinding,
};
use crate::model::{
    AccessLevel, Confidence, Credential, CredentialKind, Edge, EdgeKind, Effect, Grant, Identity,
    IdentityKind, Inventory, Lifetime, Location, Provider, Storage,
};
use crate::{text, timefmt};

/// The basic roles, which span every service of a project.
pub const BASIC_ROLES: &[&str] = &["roles/owner", "roles/editor"];

/// The issuer of GitHub Actions OIDC tokens.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// What a permission lets its holder do to identities and policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Power {
    /// Mint the account's tokens or signatures (`getAccessToken`, `signBlob`, …).
    Impersonate,
    /// Attach the account to a resource that then runs as it (`actAs`, the GCP
    /// `PassRole`).
    ActAs,
    /// Create a key of the account (`iam.serviceAccountKeys.create`).
    CreateKey,
    /// Set the IAM policy of an account, project, folder or organisation.
    SetIamPolicy,
    /// Create or change roles (`iam.roles.create`, `iam.roles.update`).
    EditRoles,
}

/// The power a permission gives, if any.
pub fn power(permission: &str) -> Option<Power> {
    Some(match permission {
        "iam.serviceAccounts.getAccessToken"
        | "iam.serviceAccounts.getOpenIdToken"
        | "iam.serviceAccounts.signBlob"
        | "iam.serviceAccounts.signJwt"
        | "iam.serviceAccounts.implicitDelegation" => Power::Impersonate,
        "iam.serviceAccounts.actAs" => Power::ActAs,
        "iam.serviceAccountKeys.create" => Power::CreateKey,
        "iam.serviceAccounts.setIamPolicy"
        | "resourcemanager.projects.setIamPolicy"
        | "resourcemanager.folders.setIamPolicy"
        | "resourcemanager.organizations.setIamPolicy" => Power::SetIamPolicy,
        "iam.roles.create" | "iam.roles.update" => Power::EditRoles,
        _ => return None,
    })
}

/// The identity and policy permissions of predefined roles by their documented names,
/// for exports that carry no role permissions (marked inferred).
/// <https://cloud.google.com/iam/docs/understanding-roles>
const DOCUMENTED_POWERS: &[(&str, &[&str])] = &[
    (
        "roles/owner",
        &[
            "iam.serviceAccounts.actAs",
            "iam.serviceAccountKeys.create",
            "iam.serviceAccounts.setIamPolicy",
            "resourcemanager.projects.setIamPolicy",
            "iam.roles.create",
            "iam.roles.update",
        ],
    ),
    (
        "roles/editor",
        &["iam.serviceAccounts.actAs", "iam.serviceAccountKeys.create"],
    ),
    (
        "roles/iam.serviceAccountTokenCreator",
        &[
            "iam.serviceAccounts.getAccessToken",
            "iam.serviceAccounts.getOpenIdToken",
            "iam.serviceAccounts.implicitDelegation",
            "iam.serviceAccounts.signBlob",
            "iam.serviceAccounts.signJwt",
        ],
    ),
    (
        "roles/iam.serviceAccountUser",
        &["iam.serviceAccounts.actAs"],
    ),
    (
        "roles/iam.workloadIdentityUser",
        &["iam.serviceAccounts.getAccessToken"],
    ),
    (
        "roles/iam.serviceAccountKeyAdmin",
        &["iam.serviceAccountKeys.create"],
    ),
    (
        "roles/iam.serviceAccountAdmin",
        &["iam.serviceAccounts.setIamPolicy"],
    ),
    (
        "roles/iam.securityAdmin",
        &[
            "iam.serviceAccounts.setIamPolicy",
            "resourcemanager.projects.setIamPolicy",
            "resourcemanager.folders.setIamPolicy",
            "resourcemanager.organizations.setIamPolicy",
        ],
    ),
    (
        "roles/resourcemanager.projectIamAdmin",
        &["resourcemanager.projects.setIamPolicy"],
    ),
    (
        "roles/resourcemanager.folderIamAdmin",
        &["resourcemanager.folders.setIamPolicy"],
    ),
    (
        "roles/resourcemanager.folderAdmin",
        &[
            "resourcemanager.folders.setIamPolicy",
            "resourcemanager.projects.setIamPolicy",
        ],
    ),
    (
        "roles/resourcemanager.organizationAdmin",
        &[
            "resourcemanager.organizations.setIamPolicy",
            "resourcemanager.folders.setIamPolicy",
            "resourcemanager.projects.setIamPolicy",
        ],
    ),
    (
        "roles/iam.roleAdmin",
        &["iam.roles.create", "iam.roles.update"],
    ),
    (
        "roles/iam.organizationRoleAdmin",
        &["iam.roles.create", "iam.roles.update"],
    ),
];

/// The roles read, by name (deleted ones left out).
pub struct Roles<'a>(BTreeMap<&'a str, &'a Role>);

impl<'a> Roles<'a> {
    pub fn of(input: &'a GcpInput) -> Self {
        Roles(
            input
                .roles
                .iter()
                .filter(|(r, _)| !r.deleted)
                .map(|(r, _)| (r.name.as_str(), r))
                .collect(),
        )
    }

    /// The role's permissions, when an export listed them.
    fn permissions(&self, role: &str) -> Option<&'a [String]> {
        self.0
            .get(role)
            .and_then(|r| r.included_permissions.as_deref())
    }

    /// The level a role gives, and whether that is inferred from its name.
    pub fn level(&self, role: &str) -> (AccessLevel, bool) {
        match self.permissions(role) {
            Some(perms) => (
                perms
                    .iter()
                    .map(|p| permission_level(p))
                    .max()
                    .unwrap_or(AccessLevel::None),
                false,
            ),
            None => role_level(role),
        }
    }

    /// The identity and policy permissions a role gives, each once, and whether they
    /// are known from its name rather than its permission list.
    pub fn powers(&self, role: &str) -> (Vec<(&'a str, Power)>, bool) {
        let (perms, inferred): (Vec<&'a str>, bool) = match self.permissions(role) {
            Some(perms) => (perms.iter().map(String::as_str).collect(), false),
            None => (
                DOCUMENTED_POWERS
                    .iter()
                    .find(|(r, _)| *r == role)
                    .map(|(_, p)| p.to_vec())
                    .unwrap_or_default(),
                true,
            ),
        };
        let mut out: Vec<(&'a str, Power)> = perms
            .into_iter()
            .filter_map(|p| Some((p, power(p)?)))
            .collect();
        out.sort();
        out.dedup();
        (out, inferred)
    }
}

/// The level of one permission (`service.resource.verb`): reading verbs read; setting a
/// policy, and changing anything else in IAM, admin; every other verb, and acting as an
/// account, write.
pub fn permission_level(permission: &str) -> AccessLevel {
    let verb = permission.rsplit('.').next().unwrap_or(permission);
    let reads = ["get", "list", "search", "read", "query", "export", "view"]
        .iter()
        .any(|r| verb.starts_with(r));
    // Acting as another account is what `assumes` edges carry; its level is that
    // account's, not this role's.
    if matches!(power(permission), Some(Power::Impersonate | Power::ActAs)) {
        AccessLevel::Write
    } else if verb == "setIamPolicy" || (permission.starts_with("iam.") && !reads) {
        AccessLevel::Admin
    } else if reads {
        AccessLevel::Read
    } else {
        AccessLevel::Write
    }
}

/// The level a role gives by its name, and whether that is inferred.
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

/// The identity of an account no export names, only activity logs: the record an
/// account only a binding names gets, so that rules read the same facts.
pub fn unlisted_account(email: &str) -> Identity {
    let a = Account {
        email: email.to_ascii_lowercase(),
        ..Default::default()
    };
    identity(&a, &BTreeMap::new(), timefmt::now()).0
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
    powers: Vec<GcpPower>,
    /// When the account, and each of its keys (by id), last authenticated.
    last_auth: Option<time::OffsetDateTime>,
    key_last_auth: BTreeMap<String, time::OffsetDateTime>,
}

impl Account<'_> {
    fn project_id(&self) -> Option<String> {
        self.listed
            .and_then(|a| a.project_id.clone())
            .or_else(|| email_kind(&self.email).project_id)
    }

    /// Its project's id and number, as far as known.
    fn project_keys(&self, numbers: &BTreeMap<String, String>) -> Vec<String> {
        let id = self.project_id();
        let number = email_kind(&self.email)
            .project_number
            .or_else(|| id.as_ref().and_then(|i| numbers.get(i).cloned()));
        id.into_iter().chain(number).collect()
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

/// What a full resource name is, for who a binding on it covers.
enum Target<'r> {
    /// `//iam.googleapis.com/projects/P/serviceAccounts/EMAIL_OR_UNIQUE_ID`
    Account(&'r str),
    /// `//cloudresourcemanager.googleapis.com/projects/P`
    Project(&'r str),
    /// `//cloudresourcemanager.googleapis.com/folders/F` or `…/organizations/O`: the
    /// ancestor as ancestry lists name it (`folders/F`).
    Ancestor(&'r str),
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
    if let Some(rm) = resource.strip_prefix("//cloudresourcemanager.googleapis.com/") {
        let one = |prefix: &str| {
            rm.strip_prefix(prefix)
                .is_some_and(|id| !id.is_empty() && !id.contains('/'))
        };
        if one("projects/") {
            return Target::Project(&rm["projects/".len()..]);
        }
        if one("folders/") || one("organizations/") {
            return Target::Ancestor(rm);
        }
    }
    Target::Other
}

/// A workload identity federation member
/// (`principalSet://iam.googleapis.com/projects/N/locations/L/workloadIdentityPools/POOL/…`
/// or `principal://…`): its pool and what of the pool it names (`*`,
/// `attribute.repository/ORG/REPO`, `subject/S`).
fn federated(member: &str) -> Option<(&str, &str)> {
    let rest = member
        .strip_prefix("principalSet://iam.googleapis.com/")
        .or_else(|| member.strip_prefix("principal://iam.googleapis.com/"))?;
    let parts: Vec<&str> = rest.splitn(7, '/').collect();
    match parts.as_slice() {
        [
            "projects",
            n,
            "locations",
            l,
            "workloadIdentityPools",
            p,
            which,
        ] if !n.is_empty() && !l.is_empty() && !p.is_empty() && !which.is_empty() => {
            let pool_len = rest.len() - which.len() - 1;
            Some((&rest[..pool_len], which))
        }
        _ => None,
    }
}

/// The GitHub token claims that say which repository a workflow runs in.
const REPOSITORY_CLAIMS: &[&str] = &[
    "repository",
    "repository_id",
    "repository_owner",
    "repository_owner_id",
];

/// Whether `cel` names `assertion.CLAIM` for one of `claims` (a whole name, not the
/// start of a longer one).
fn names_claim(cel: &str, claims: &[&str]) -> bool {
    claim_uses(
        cel,
        &claims
            .iter()
            .map(|c| format!("assertion.{c}"))
            .collect::<Vec<_>>(),
    )
    .next()
    .is_some()
}

/// Where each of `names` occurs in `cel` as a whole name: (start, end) byte offsets.
fn claim_uses<'c>(cel: &'c str, names: &'c [String]) -> impl Iterator<Item = (usize, usize)> + 'c {
    names.iter().flat_map(move |name| {
        cel.match_indices(name.as_str()).filter_map(move |(i, _)| {
            let end = i + name.len();
            let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
            let before_ok = !cel[..i].chars().next_back().is_some_and(word);
            let after_ok = !cel[end..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            (before_ok && after_ok).then_some((i, end))
        })
    })
}

/// The attributes a provider maps from the repository claims (`attribute.repository`),
/// and `google.subject` when it is mapped from `assertion.sub` or a repository claim.
fn repository_attributes(p: &WorkloadIdentityPoolProvider) -> Vec<String> {
    p.attribute_mapping
        .iter()
        .filter(|(_, cel)| names_claim(cel, REPOSITORY_CLAIMS) || names_claim(cel, &["sub"]))
        .map(|(attr, _)| attr.clone())
        .collect()
}

/// What a GitHub provider's attribute condition leaves open: nothing when it compares
/// the repository or its owner (`==`, `in`, `startsWith`) to a value.
fn condition_issues(p: &WorkloadIdentityPoolProvider) -> Vec<String> {
    let condition = p.attribute_condition.as_deref().unwrap_or("").trim();
    if condition.is_empty() {
        return vec![
            "no attribute condition: a workflow of any GitHub repository can get this pool's \
             tokens"
                .into(),
        ];
    }
    let mut names: Vec<String> = REPOSITORY_CLAIMS
        .iter()
        .map(|c| format!("assertion.{c}"))
        .collect();
    names.extend(
        repository_attributes(p)
            .into_iter()
            .filter(|a| a.starts_with("attribute.")),
    );
    let compared = claim_uses(condition, &names).any(|(i, end)| {
        let after = condition[end..].trim_start();
        let before = condition[..i].trim_end();
        after.starts_with("==")
            || after.starts_with("in ")
            || after.starts_with("in[")
            || after.starts_with(".startsWith(")
            || (before.ends_with("==") && !before.ends_with("!=="))
    });
    if compared {
        Vec::new()
    } else {
        vec![
            "the attribute condition does not compare the repository or its owner \
             (assertion.repository, assertion.repository_owner or their ids) to a value"
                .into(),
        ]
    }
}

/// Whether a federated member (`*`, `attribute.X/V`, `subject/S`, `group/G`) picks out
/// the provider's tokens by repository or subject, rather than any token of the pool.
fn narrow(which: &str, repo_attributes: &[String]) -> bool {
    if which.starts_with("subject/") || which.starts_with("group/") {
        return true;
    }
    match which.split_once('/') {
        Some((attr, value)) if attr.starts_with("attribute.") && !value.is_empty() => {
            repo_attributes.iter().any(|a| a == attr)
        }
        _ => false,
    }
}

/// The identity id of a workload identity pool provider.
pub fn provider_id(name: &str) -> String {
    let mut id = format!("gcp:workloadIdentityProvider:{name}");
    text::make_safe_id(&mut id);
    id
}

/// What the policies say about a project: its number, and what is above it.
#[derive(Default)]
struct Projects {
    /// Project id → number, from the search results that say both.
    numbers: BTreeMap<String, String>,
    /// Project number (or id) → its folders and organisation (`folders/F`,
    /// `organizations/O`).
    ancestry: BTreeMap<String, BTreeSet<String>>,
}

impl Projects {
    fn of(policies: &[ResourcePolicy]) -> Projects {
        let mut p = Projects::default();
        for policy in policies {
            let number = policy
                .project
                .as_deref()
                .and_then(|n| n.strip_prefix("projects/"));
            if let (Target::Project(id), Some(n)) = (target(&policy.resource), number)
                && id != n
            {
                p.numbers.insert(id.to_string(), n.to_string());
            }
            let above: BTreeSet<String> = policy
                .ancestors
                .iter()
                .filter(|a| a.starts_with("folders/") || a.starts_with("organizations/"))
                .cloned()
                .collect();
            let project = number.map(str::to_string).or_else(|| {
                policy
                    .ancestors
                    .iter()
                    .find_map(|a| a.strip_prefix("projects/").map(str::to_string))
            });
            if let Some(project) = project
                && !above.is_empty()
            {
                p.ancestry.entry(project).or_default().extend(above);
            }
        }
        p
    }

    /// Whether the project (`id` or number) is under `ancestor` (`folders/F`).
    fn under(&self, project: &str, ancestor: &str) -> bool {
        let number = self
            .numbers
            .get(project)
            .map(String::as_str)
            .unwrap_or(project);
        [number, project]
            .iter()
            .any(|p| self.ancestry.get(*p).is_some_and(|a| a.contains(ancestor)))
    }
}

/// The inventory fragment of everything read, with ages at [`timefmt::now`].
pub fn normalize(input: &GcpInput) -> Inventory {
    normalize_at(input, timefmt::now())
}

/// A power a member holds over accounts, kept until every account's level is known.
struct PowerUse {
    member: String,
    power: Power,
    permission: String,
    role: String,
    resource: String,
    /// The accounts the binding covers (shared by every member and power of its policy).
    covered: std::rc::Rc<[String]>,
    location: Location,
}

/// The providers read, by pool.
type Pools<'a> = BTreeMap<&'a str, Vec<&'a WorkloadIdentityPoolProvider>>;

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
    // A key's name may give its account by unique id rather than email.
    let by_unique_id: BTreeMap<&str, &str> = input
        .accounts
        .iter()
        .filter_map(|(a, _)| Some((a.unique_id.as_deref()?, a.email.as_str())))
        .collect();
    for (key, _) in &input.keys {
        if let Some((account, _)) = key.account_and_id() {
            // An id no listing names stays the account's name: the key is not dropped.
            let email = by_unique_id.get(account).copied().unwrap_or(account);
            entry(&mut accounts, email);
            if let Some(a) = accounts.get_mut(&email.to_ascii_lowercase()) {
                a.keys.push(key);
            }
        }
    }
    for p in &input.policies {
        for b in &p.bindings {
            for m in &b.members {
                if let Some(email) = member_account(m) {
                    entry(&mut accounts, &email);
                }
            }
        }
    }
    // Last authentications: the latest record of each account and key.
    for (a, _) in &input.activities {
        let (Some((account, key)), Some(at)) = (
            a.account_and_key(),
            a.activity
                .last_authenticated_time
                .as_deref()
                .and_then(timefmt::parse),
        ) else {
            continue;
        };
        let email = by_unique_id.get(account).copied().unwrap_or(account);
        entry(&mut accounts, email);
        if let Some(acc) = accounts.get_mut(&email.to_ascii_lowercase()) {
            let slot = match key {
                Some(k) => acc.key_last_auth.entry(k.to_string()).or_insert(at),
                None => acc.last_auth.get_or_insert(at),
            };
            *slot = (*slot).max(at);
        }
    }
    let projects = Projects::of(&input.policies);
    let roles = Roles::of(input);
    let mut pools: Pools<'_> = BTreeMap::new();
    for (p, _) in &input.providers {
        if let Some((pool, _)) = p.pool_and_id() {
            pools.entry(pool).or_default().push(p);
        }
    }
    let unique_ids: BTreeMap<String, String> = accounts
        .values()
        .filter_map(|a| Some((a.listed?.unique_id.clone()?, a.email.clone())))
        .collect();

    let mut uses = Vec::new();
    let mut federated_grants: BTreeMap<&str, Vec<(GcpMemberGrant, bool)>> = BTreeMap::new();
    for policy in &input.policies {
        let mut ctx = Bind {
            accounts: &mut accounts,
            unique_ids: &unique_ids,
            projects: &projects,
            roles: &roles,
            pools: &pools,
            inv: &mut inv,
            uses: &mut uses,
            federated: &mut federated_grants,
        };
        ctx.policy(policy);
    }
    let levels: BTreeMap<&str, AccessLevel> = accounts
        .iter()
        .map(|(e, a)| {
            let level = a
                .roles
                .iter()
                .filter_map(|r| r.access_level)
                .max()
                .unwrap_or(AccessLevel::None);
            (e.as_str(), level)
        })
        .collect();
    inv.edges.extend(power_edges(&uses, &levels, &pools));

    for account in accounts.values() {
        let (identity, credentials) = identity(account, &projects.numbers, now);
        inv.credentials.extend(credentials);
        inv.identities.push(identity);
    }
    for (p, _) in &input.providers {
        let identity = provider_identity(p, &federated_grants, &inv.grants);
        inv.identities.push(identity);
    }
    // What each role read allows, keyed as its grants name it: for comparing what an
    // account used with what it holds.
    for (role, _) in input.roles.iter().filter(|(r, _)| !r.deleted) {
        if let Some(perms) = &role.included_permissions {
            let mut name = role.name.clone();
            text::make_safe_id(&mut name);
            inv.role_contents.insert(
                format!("gcp:{name}"),
                crate::model::RoleContents {
                    allow: perms.clone(),
                    deny: Vec::new(),
                },
            );
        }
    }
    inv
}

/// Who a power's edges start from: the account a `serviceAccount:` member names, or
/// every provider of the pool a federated member names.
fn holders(member: &str, pools: &Pools<'_>) -> Vec<String> {
    if let Some(email) = member_account(member) {
        return vec![account_id(&email)];
    }
    match federated(member) {
        Some((pool, _)) => pools
            .get(pool)
            .into_iter()
            .flatten()
            .map(|p| provider_id(&p.name))
            .collect(),
        None => Vec::new(),
    }
}

/// The edges of the powers held: `assumes` to the accounts a member can act as,
/// `escalates` to those it can create keys of or grant itself; of the accounts one
/// binding covers, the three highest (by level, then email) per member and power, as
/// the AWS escalations are kept.
fn power_edges(
    uses: &[PowerUse],
    levels: &BTreeMap<&str, AccessLevel>,
    pools: &Pools<'_>,
) -> Vec<Edge> {
    let mut edges = Vec::new();
    for u in uses {
        let froms = holders(&u.member, pools);
        if froms.is_empty() {
            continue;
        }
        let own = member_account(&u.member);
        let mut targets: Vec<&String> = u
            .covered
            .iter()
            .filter(|e| own.as_ref() != Some(*e))
            .collect();
        let (kind, what) = match u.power {
            Power::Impersonate | Power::ActAs => (EdgeKind::Assumes, "holds"),
            Power::CreateKey => (EdgeKind::Escalates, "can create keys of it by"),
            Power::SetIamPolicy => (EdgeKind::Escalates, "can grant itself any role on it by"),
            Power::EditRoles => continue,
        };
        // A binding above the accounts (a project, folder or organisation) reaches each
        // of them; its three highest are kept, as for escalation, so that one editor
        // binding is not an edge to every account of the project.
        if targets.len() > 3 {
            let level = |e: &String| levels.get(e.as_str()).copied().unwrap_or(AccessLevel::None);
            targets.sort_by(|a, b| level(b).cmp(&level(a)).then(a.cmp(b)));
            targets.truncate(3);
        }
        for to in targets {
            for from in &froms {
                edges.push(Edge {
                    kind,
                    from: from.clone(),
                    to: account_id(to),
                    evidence: if kind == EdgeKind::Assumes {
                        format!("{} {} on {}", shown(&u.member), u.role, u.resource)
                    } else {
                        format!("{what} {} ({}) on {}", u.role, u.permission, u.resource)
                    },
                    location: Some(u.location.clone()),
                });
            }
        }
    }
    // Acting as and minting tokens of one account by one binding are one `assumes`.
    edges.sort();
    edges.dedup();
    edges
}

/// A member as reports show it.
fn shown(member: &str) -> String {
    let mut m = match member_account(member) {
        Some(_) => "holds".to_string(),
        None => format!("{member} holds"),
    };
    text::make_safe_id(&mut m);
    m
}

/// One policy's bindings read into the accounts, grants and power uses.
struct Bind<'b, 'a> {
    accounts: &'b mut BTreeMap<String, Account<'a>>,
    unique_ids: &'b BTreeMap<String, String>,
    projects: &'b Projects,
    roles: &'b Roles<'a>,
    pools: &'b Pools<'a>,
    inv: &'b mut Inventory,
    uses: &'b mut Vec<PowerUse>,
    /// Pool → the roles its principals hold, and whether the member is pool-wide.
    federated: &'b mut BTreeMap<&'a str, Vec<(GcpMemberGrant, bool)>>,
}

impl<'a> Bind<'_, 'a> {
    /// The accounts a binding on `resource` covers: the account itself, or every account
    /// of the project, or of every project under the folder or organisation.
    fn covered(&mut self, resource: &str) -> Vec<String> {
        match target(resource) {
            Target::Account(a) => {
                let email = self
                    .unique_ids
                    .get(a)
                    .cloned()
                    .unwrap_or_else(|| a.to_ascii_lowercase());
                if !email.contains('@') {
                    return Vec::new();
                }
                self.accounts
                    .entry(email.clone())
                    .or_insert_with(|| Account {
                        email: email.clone(),
                        ..Default::default()
                    });
                vec![email]
            }
            Target::Project(p) => self
                .accounts
                .values()
                .filter(|a| a.in_project(p, &self.projects.numbers))
                .map(|a| a.email.clone())
                .collect(),
            Target::Ancestor(above) => self
                .accounts
                .values()
                .filter(|a| {
                    a.project_keys(&self.projects.numbers)
                        .iter()
                        .any(|p| self.projects.under(p, above))
                })
                .map(|a| a.email.clone())
                .collect(),
            Target::Other => Vec::new(),
        }
    }

    fn policy(&mut self, policy: &'a ResourcePolicy) {
        let loc = Location::file(policy.path.clone(), policy.line, 1);
        let mut resource = policy.resource.clone();
        text::make_safe_id(&mut resource);
        let covered: std::rc::Rc<[String]> = self.covered(&policy.resource).into();
        for binding in &policy.bindings {
            let mut role = binding.role.clone();
            text::make_safe_id(&mut role);
            let (level, inferred) = self.roles.level(&binding.role);
            let (powers, powers_inferred) = self.roles.powers(&binding.role);
            let conditional = binding.condition.is_some();
            let acts_as = powers
                .iter()
                .any(|(_, p)| matches!(p, Power::Impersonate | Power::ActAs));
            for member in &binding.members {
                let mut shown_member = member.clone();
                text::make_safe_id(&mut shown_member);
                let grant = || GcpMemberGrant {
                    member: Some(shown_member.clone()),
                    role: Some(role.clone()),
                    resource: Some(resource.clone()),
                };
                if matches!(member.as_str(), "allUsers" | "allAuthenticatedUsers") {
                    for email in covered.iter() {
                        if let Some(a) = self.accounts.get_mut(email) {
                            a.public_members.push(grant());
                        }
                    }
                }
                if acts_as {
                    for email in covered.iter() {
                        if let Some(a) = self.accounts.get_mut(email) {
                            a.impersonated_by.push(grant());
                        }
                    }
                }
                // One use per power: the first of its permissions names it.
                let mut seen = BTreeSet::new();
                for &(permission, power) in &powers {
                    if !seen.insert(power) {
                        continue;
                    }
                    self.uses.push(PowerUse {
                        member: member.clone(),
                        power,
                        permission: permission.to_string(),
                        role: role.clone(),
                        resource: resource.clone(),
                        covered: std::rc::Rc::clone(&covered),
                        location: loc.clone(),
                    });
                }
                let how = if inferred {
                    " (level inferred from the role's name)"
                } else {
                    ""
                };
                let holder = if let Some(email) = member_account(member) {
                    if let Some(a) = self.accounts.get_mut(&email) {
                        a.roles.push(GcpRoleBinding {
                            role: Some(role.clone()),
                            resource: Some(resource.clone()),
                            access_level: Some(level),
                            inferred: Some(inferred),
                            conditional: conditional.then_some(true),
                        });
                        a.powers.extend(powers.iter().map(|(perm, _)| GcpPower {
                            permission: Some(perm.to_string()),
                            role: Some(role.clone()),
                            resource: Some(resource.clone()),
                            inferred: Some(powers_inferred),
                        }));
                    }
                    vec![account_id(&email)]
                } else if let Some((pool, which)) = federated(member) {
                    let Some((key, providers)) = self.pools.get_key_value(pool) else {
                        continue;
                    };
                    let wide = providers
                        .iter()
                        .any(|p| !narrow(which, &repository_attributes(p)));
                    self.federated.entry(key).or_default().push((grant(), wide));
                    providers.iter().map(|p| provider_id(&p.name)).collect()
                } else {
                    continue;
                };
                for identity in holder {
                    self.inv.grants.push(Grant {
                        identity,
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
    }
}

/// A provider's identity: what tokens it accepts, what its condition leaves open, and
/// what its pool's principals are granted.
fn provider_identity(
    p: &WorkloadIdentityPoolProvider,
    federated: &BTreeMap<&str, Vec<(GcpMemberGrant, bool)>>,
    grants: &[Grant],
) -> Identity {
    let mut name = p.name.clone();
    text::make_safe_id(&mut name);
    let mut identity = Identity::new(
        provider_id(&p.name),
        IdentityKind::GcpWorkloadIdentityProvider,
        Provider::Gcp,
        name.clone(),
    );
    identity.locations = vec![Location::Uri {
        uri: format!("//iam.googleapis.com/{name}"),
    }];
    identity.access_level = grants
        .iter()
        .filter(|g| g.identity == identity.id)
        .map(|g| g.access_level)
        .max();
    let pool = p.pool_and_id().map(|(pool, _)| pool).unwrap_or("");
    let issuer = p
        .oidc
        .as_ref()
        .and_then(|o| o.issuer_uri.as_deref())
        .map(|i| i.trim_end_matches('/').to_string());
    let github = issuer.as_deref() == Some(GITHUB_ISSUER);
    let disabled = p.disabled || p.state.as_deref() == Some("DELETED");
    let grants: Vec<&(GcpMemberGrant, bool)> = federated.get(pool).into_iter().flatten().collect();
    let mut granted: Vec<GcpMemberGrant> = grants.iter().map(|(g, _)| g.clone()).collect();
    let mut wide: Vec<GcpMemberGrant> = grants
        .iter()
        .filter(|(_, wide)| *wide)
        .map(|(g, _)| g.clone())
        .collect();
    for v in [&mut granted, &mut wide] {
        v.sort_by(|x, y| (&x.resource, &x.role, &x.member).cmp(&(&y.resource, &y.role, &y.member)));
        v.dedup();
    }
    let safe = |s: Option<&str>| {
        s.map(|s| {
            let mut s = s.to_string();
            text::make_safe(&mut s);
            s
        })
    };
    let facts = GcpIdentityFacts {
        disabled: Some(disabled),
        workload_identity_provider: Some(GcpProviderFacts {
            pool: safe(Some(pool)),
            issuer: safe(issuer.as_deref()),
            github: Some(github),
            attribute_condition: safe(p.attribute_condition.as_deref()),
            condition_issues: Some(if github && !disabled {
                condition_issues(p)
            } else {
                Vec::new()
            }),
            disabled: Some(disabled),
            granted: Some(granted),
            pool_wide: Some(wide),
        }),
        display_name: safe(p.display_name.as_deref()),
        ..Default::default()
    };
    if let Ok(value) = serde_json::to_value(&facts) {
        identity.facts.insert("gcp".into(), value);
    }
    identity
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
    // Google writes 9999-12-31T23:59:59Z for a key that never expires.
    let v = timefmt::Validity::of(
        k.valid_after_time.as_deref(),
        k.valid_before_time.as_deref(),
        9999,
        now,
    );
    let facts = GcpKey {
        id: Some(id.clone()),
        user_managed: Some(user_managed),
        algorithm: k.key_algorithm.clone().map(|mut a| {
            text::make_safe(&mut a);
            a
        }),
        created: v.created.and_then(timefmt::format),
        expires: v.expires.and_then(timefmt::format),
        never_expires: Some(v.never_expires),
        expired: Some(v.expired),
        age_days: v.age_days,
        disabled: Some(k.disabled),
        active: Some(!k.disabled && !v.expired),
        last_authenticated: None,
        idle_days: None,
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
        let (mut facts, mut credential) = key(k, &id, now);
        let last = k
            .account_and_id()
            .and_then(|(_, key_id)| a.key_last_auth.get(key_id));
        if let Some(&at) = last {
            facts.last_authenticated = timefmt::format(at);
            facts.idle_days = Some(timefmt::days_since(at, now));
            if let Some(c) = credential.as_mut() {
                c.last_used_at = facts.last_authenticated.clone();
            }
        }
        keys.push(facts);
        credentials.extend(credential);
    }
    if let Some(at) = a.last_auth {
        identity.last_used_at = timefmt::format(at);
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
        last_authenticated: a.last_auth.and_then(timefmt::format),
        idle_days: a.last_auth.map(|at| timefmt::days_since(at, now)),
        iam_powers: {
            let mut p = a.powers.clone();
            p.sort();
            p.dedup();
            Some(p)
        },
        workload_identity_provider: None,
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

#[cfg(test)]
mod deeper {
    use super::*;
    use crate::sources::gcp::{Binding, OidcProvider};

    fn account(email: &str, project: &str) -> (ServiceAccount, String) {
        (
            ServiceAccount {
                email: email.into(),
                project_id: Some(project.into()),
                ..Default::default()
            },
            "sa.json".into(),
        )
    }

    fn on(
        resource: &str,
        project: Option<&str>,
        ancestors: &[&str],
        role: &str,
        member: &str,
    ) -> ResourcePolicy {
        ResourcePolicy {
            resource: resource.into(),
            bindings: vec![Binding {
                role: role.into(),
                members: vec![member.into()],
                condition: None,
            }],
            project: project.map(str::to_string),
            path: "policies.json".into(),
            line: 1,
            ancestors: ancestors.iter().map(|a| a.to_string()).collect(),
        }
    }

    fn edges(inv: &Inventory, kind: EdgeKind) -> Vec<(String, String)> {
        let mut e: Vec<(String, String)> = inv
            .edges
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| (e.from.clone(), e.to.clone()))
            .collect();
        e.sort();
        e
    }

    const AGENT: &str = "agent@tools.iam.gserviceaccount.com";

    #[test]
    fn permissions_set_the_level_and_the_powers_not_the_name() {
        let input = GcpInput {
            roles: vec![(
                Role {
                    name: "projects/tools/roles/storageAdmin".into(),
                    included_permissions: Some(vec![
                        "storage.objects.get".into(),
                        "storage.objects.list".into(),
                    ]),
                    ..Default::default()
                },
                "roles.json".into(),
            )],
            ..Default::default()
        };
        let roles = Roles::of(&input);
        // Named admin, but only reads.
        assert_eq!(
            roles.level("projects/tools/roles/storageAdmin"),
            (AccessLevel::Read, false)
        );
        assert_eq!(
            roles.level("roles/storage.admin"),
            (AccessLevel::Admin, true)
        );
        assert_eq!(
            roles.powers("projects/tools/roles/storageAdmin"),
            (vec![], false)
        );
        let (powers, inferred) = roles.powers("roles/iam.serviceAccountKeyAdmin");
        assert_eq!(
            powers,
            [("iam.serviceAccountKeys.create", Power::CreateKey)]
        );
        assert!(inferred);
        assert_eq!(
            permission_level("bigquery.tables.getData"),
            AccessLevel::Read
        );
        assert_eq!(permission_level("bigquery.jobs.create"), AccessLevel::Write);
        assert_eq!(
            permission_level("iam.serviceAccounts.getAccessToken"),
            AccessLevel::Write
        );
        assert_eq!(
            permission_level("iam.serviceAccountKeys.create"),
            AccessLevel::Admin
        );
        assert_eq!(
            permission_level("storage.buckets.setIamPolicy"),
            AccessLevel::Admin
        );
        assert_eq!(permission_level("iam.roles.list"), AccessLevel::Read);
    }

    #[test]
    fn a_folder_binding_covers_the_accounts_of_the_projects_under_it_only() {
        let inside = "deployer@tools.iam.gserviceaccount.com";
        let outside = "other@elsewhere.iam.gserviceaccount.com";
        let rm = "//cloudresourcemanager.googleapis.com";
        let input = GcpInput {
            accounts: vec![
                account(AGENT, "tools"),
                account(inside, "tools"),
                account(outside, "elsewhere"),
            ],
            policies: vec![
                // The project's place in the hierarchy, from its own search result.
                on(
                    &format!("{rm}/projects/tools"),
                    Some("projects/222"),
                    &["projects/222", "folders/7", "organizations/1"],
                    "roles/viewer",
                    "group:g@example.com",
                ),
                on(
                    &format!("{rm}/projects/elsewhere"),
                    Some("projects/333"),
                    &["projects/333", "organizations/1"],
                    "roles/viewer",
                    "group:g@example.com",
                ),
                on(
                    &format!("{rm}/folders/7"),
                    None,
                    &["folders/7", "organizations/1"],
                    "roles/iam.serviceAccountTokenCreator",
                    &format!("serviceAccount:{AGENT}"),
                ),
                on(
                    &format!("{rm}/organizations/1"),
                    None,
                    &["organizations/1"],
                    "roles/iam.serviceAccountKeyAdmin",
                    &format!("serviceAccount:{inside}"),
                ),
            ],
            ..Default::default()
        };
        let inv = normalize(&input);
        assert_eq!(
            edges(&inv, EdgeKind::Assumes),
            [(account_id(AGENT), account_id(inside))]
        );
        // The organisation covers both projects' accounts.
        assert_eq!(
            edges(&inv, EdgeKind::Escalates),
            [
                (account_id(inside), account_id(AGENT)),
                (account_id(inside), account_id(outside)),
            ]
        );
        let f: GcpIdentityFacts =
            serde_json::from_value(inv.identity(&account_id(AGENT)).unwrap().facts["gcp"].clone())
                .unwrap();
        let powers: Vec<&str> = f
            .iam_powers
            .iter()
            .flatten()
            .filter_map(|p| p.permission.as_deref())
            .collect();
        assert_eq!(
            powers,
            [
                "iam.serviceAccounts.getAccessToken",
                "iam.serviceAccounts.getOpenIdToken",
                "iam.serviceAccounts.implicitDelegation",
                "iam.serviceAccounts.signBlob",
                "iam.serviceAccounts.signJwt"
            ]
        );
    }

    #[test]
    fn escalation_keeps_the_three_highest_targets() {
        let rm = "//cloudresourcemanager.googleapis.com/projects/tools";
        let mut accounts = vec![account(AGENT, "tools")];
        let mut policies = vec![on(
            rm,
            None,
            &[],
            "roles/iam.serviceAccountKeyAdmin",
            &format!("serviceAccount:{AGENT}"),
        )];
        for (i, role) in [
            "roles/viewer",
            "roles/owner",
            "roles/editor",
            "roles/viewer",
            "roles/run.admin",
        ]
        .iter()
        .enumerate()
        {
            let email = format!("sa{i}@tools.iam.gserviceaccount.com");
            policies.push(on(
                &format!("//storage.googleapis.com/bucket{i}"),
                None,
                &[],
                role,
                &format!("serviceAccount:{email}"),
            ));
            accounts.push(account(&email, "tools"));
        }
        // Acting as every account of the project through a project binding: the same
        // three are kept.
        policies.push(on(
            rm,
            None,
            &[],
            "roles/iam.serviceAccountUser",
            "serviceAccount:ci@other.iam.gserviceaccount.com",
        ));
        let inv = normalize(&GcpInput {
            accounts,
            policies,
            ..Default::default()
        });
        let want = ["sa1", "sa2", "sa4"]
            .map(|s| account_id(&format!("{s}@tools.iam.gserviceaccount.com")));
        let targets =
            |kind| -> Vec<String> { edges(&inv, kind).into_iter().map(|(_, t)| t).collect() };
        assert_eq!(targets(EdgeKind::Escalates), want);
        // The key admin (admin itself) now ranks first among the accounts ci acts as.
        let mut acted = vec![account_id(AGENT)];
        acted.extend(want[..1].iter().cloned());
        acted.push(want[2].clone());
        assert_eq!(targets(EdgeKind::Assumes), acted);
        // Every member that can act as an account is still in its facts.
        let f: GcpIdentityFacts = serde_json::from_value(
            inv.identity(&account_id("sa0@tools.iam.gserviceaccount.com"))
                .unwrap()
                .facts["gcp"]
                .clone(),
        )
        .unwrap();
        assert_eq!(f.impersonated_by.map(|v| v.len()), Some(1));
    }

    fn github_provider(condition: Option<&str>) -> WorkloadIdentityPoolProvider {
        WorkloadIdentityPoolProvider {
            name: "projects/222/locations/global/workloadIdentityPools/gh/providers/actions".into(),
            attribute_mapping: [
                ("google.subject", "assertion.sub"),
                ("attribute.repository", "assertion.repository"),
                ("attribute.ref", "assertion.ref"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            attribute_condition: condition.map(str::to_string),
            oidc: Some(OidcProvider {
                issuer_uri: Some("https://token.actions.githubusercontent.com/".into()),
                allowed_audiences: vec![],
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_github_condition_must_compare_the_repository_or_its_owner() {
        let issues = |c: Option<&str>| condition_issues(&github_provider(c)).len();
        assert_eq!(issues(None), 1);
        assert_eq!(issues(Some("  ")), 1);
        assert_eq!(issues(Some("assertion.ref == 'refs/heads/main'")), 1);
        assert_eq!(issues(Some("assertion.repository_owner != ''")), 1);
        // `repository_owner_id` is not `repository_owner`, nor is `repository` them.
        assert_eq!(
            issues(Some("assertion.repository_visibility == 'private'")),
            1
        );
        assert_eq!(
            issues(Some("assertion.repository_owner == 'example-org'")),
            0
        );
        assert_eq!(
            issues(Some("'example-org/agents' == assertion.repository")),
            0
        );
        assert_eq!(
            issues(Some("assertion.repository_owner_id in ['123', '456']")),
            0
        );
        assert_eq!(
            issues(Some("attribute.repository.startsWith('example-org/')")),
            0
        );
    }

    #[test]
    fn federated_members_grant_the_pools_providers_and_say_whether_pool_wide() {
        let pool = "principalSet://iam.googleapis.com/projects/222/locations/global/workloadIdentityPools/gh";
        let sa = |n: &str| format!("{n}@tools.iam.gserviceaccount.com");
        let on_account = |n: &str, member: String| {
            on(
                &format!(
                    "//iam.googleapis.com/projects/tools/serviceAccounts/{}",
                    sa(n)
                ),
                None,
                &[],
                "roles/iam.workloadIdentityUser",
                &member,
            )
        };
        let input = GcpInput {
            accounts: vec![account(&sa("wide"), "tools"), account(&sa("repo"), "tools"), account(&sa("ref"), "tools")],
            policies: vec![
                on_account("wide", format!("{pool}/*")),
                on_account("repo", format!("{pool}/attribute.repository/example-org/agents")),
                on_account("ref", format!("{pool}/attribute.ref/refs/heads/main")),
                on_account("ref", "principalSet://iam.googleapis.com/projects/222/locations/global/workloadIdentityPools/other/*".into()),
            ],
            providers: vec![(github_provider(None), "providers.json".into())],
            ..Default::default()
        };
        let inv = normalize(&input);
        let provider =
            provider_id("projects/222/locations/global/workloadIdentityPools/gh/providers/actions");
        assert_eq!(
            edges(&inv, EdgeKind::Assumes),
            [
                (provider.clone(), account_id(&sa("ref"))),
                (provider.clone(), account_id(&sa("repo"))),
                (provider.clone(), account_id(&sa("wide"))),
            ]
        );
        let identity = inv.identity(&provider).expect("the provider");
        assert_eq!(identity.kind, IdentityKind::GcpWorkloadIdentityProvider);
        assert_eq!(identity.access_level, Some(AccessLevel::Write));
        let f: GcpIdentityFacts = serde_json::from_value(identity.facts["gcp"].clone()).unwrap();
        let p = f.workload_identity_provider.expect("provider facts");
        assert_eq!(p.github, Some(true));
        assert_eq!(p.condition_issues.as_ref().map(Vec::len), Some(1));
        assert_eq!(p.granted.as_ref().map(Vec::len), Some(3));
        // The repository is narrow; the whole pool and a branch of any repository are not.
        let wide: Vec<&str> = p
            .pool_wide
            .iter()
            .flatten()
            .filter_map(|g| g.member.as_deref())
            .collect();
        assert_eq!(wide.len(), 2, "{wide:?}");
        assert!(
            wide.iter().all(|m| !m.contains("attribute.repository")),
            "{wide:?}"
        );
        // The other pool has no provider read: its member is kept on the account.
        let f: GcpIdentityFacts = serde_json::from_value(
            inv.identity(&account_id(&sa("ref"))).unwrap().facts["gcp"].clone(),
        )
        .unwrap();
        assert_eq!(f.impersonated_by.map(|v| v.len()), Some(2));
    }
}
