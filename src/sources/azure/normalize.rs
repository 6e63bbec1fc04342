//! The exports read → inventory: one identity per application (client) id — the
//! application registration and its service principal in the tenant together, as
//! `azure:app:<appId>` — and one per service principal whose application is not
//! registered in the tenant (`azure:sp:<objectId>`: another tenant's or Microsoft's
//! application, a managed identity); one credential per client secret and certificate;
//! one grant per application permission, directory role and Azure RBAC role.
//!
//! Levels: Graph application permissions by their value (`….ReadWrite.…` write, `….Read.…`
//! read; the three that let their holder grant itself anything admin); directory roles
//! by template id (the privileged ones Microsoft documents) or their actions; Azure
//! roles by their actions where `az role definition list` gives them, else by the
//! built-in names (Owner, User Access Administrator, Contributor, Reader).

use std::collections::BTreeMap;

use super::{
    Application, AzureInput, DirectoryRoleDefinition, FederatedIdentityCredential, KeyCredential,
    PasswordCredential, RbacDefinition, ServicePrincipal,
};
use crate::model::facts::{
    AzureAppPermission, AzureCredentialFacts, AzureDirectoryRole, AzureFederatedCredential,
    AzureIdentityFacts, AzureOwner, AzureRbacRole,
};
use crate::model::{
    AccessLevel, Confidence, Credential, CredentialKind, Edge, EdgeKind, Effect, Grant, Identity,
    IdentityKind, Inventory, Lifetime, Location, Provider, Storage,
};
use crate::policy::aws::eval::glob;
use crate::{text, timefmt};

/// Microsoft Graph's application id, the same in every tenant.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// The issuer of GitHub Actions OIDC tokens.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// Graph application permissions that let their holder grant itself any role or
/// permission, or add a secret to any application: tenant escalation.
pub const ESCALATING_PERMISSIONS: &[&str] = &[
    "RoleManagement.ReadWrite.Directory",
    "AppRoleAssignment.ReadWrite.All",
    "Application.ReadWrite.All",
];

/// Directory roles that administer the tenant, its role assignments or its
/// applications' credentials, by the template ids Microsoft documents
/// (<https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference>).
pub const PRIVILEGED_DIRECTORY_ROLES: &[(&str, &str)] = &[
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
    ),
    (
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
    ),
];

/// The action that assigns Azure roles.
const ROLE_ASSIGNMENT_WRITE: &str = "Microsoft.Authorization/roleAssignments/write";

/// A credential ending in this year or later never expires in practice (the portal and
/// `az` write 2299-12-31 for "never").
const NEVER_YEAR: i32 = 2299;

/// The inventory fragment of everything read, with ages at [`timefmt::now`].
pub fn normalize(input: &AzureInput) -> Inventory {
    normalize_at(input, timefmt::now())
}

/// One identity while the exports are read.
#[derive(Default)]
struct Entry<'a> {
    app: Option<&'a (Application, String)>,
    sp: Option<&'a (ServicePrincipal, String)>,
    permissions: Vec<AzureAppPermission>,
    directory_roles: Vec<AzureDirectoryRole>,
    rbac_roles: Vec<AzureRbacRole>,
    federated: Vec<AzureFederatedCredential>,
}

impl Entry<'_> {
    fn id(&self) -> String {
        let mut id = match (self.app, self.sp) {
            (Some((a, _)), _) => format!("azure:app:{}", a.app_id.to_ascii_lowercase()),
            (None, Some((s, _))) => format!("azure:sp:{}", s.id.to_ascii_lowercase()),
            (None, None) => String::new(),
        };
        text::make_safe_id(&mut id);
        id
    }

    fn kind(&self) -> IdentityKind {
        let managed = self
            .sp
            .is_some_and(|(s, _)| s.service_principal_type.as_deref() == Some("ManagedIdentity"));
        if managed {
            IdentityKind::AzureManagedIdentity
        } else if self.app.is_some() {
            IdentityKind::AzureApplication
        } else {
            IdentityKind::AzureServicePrincipal
        }
    }
}

/// [`normalize`] with ages at `now`.
pub fn normalize_at(input: &AzureInput, now: time::OffsetDateTime) -> Inventory {
    let mut inv = Inventory::default();
    // By application (client) id, lower-cased.
    let mut entries: BTreeMap<String, Entry<'_>> = BTreeMap::new();
    for app in &input.applications {
        entries
            .entry(app.0.app_id.to_ascii_lowercase())
            .or_default()
            .app = Some(app);
    }
    for sp in &input.service_principals {
        entries
            .entry(sp.0.app_id.to_ascii_lowercase())
            .or_default()
            .sp = Some(sp);
    }
    // Object ids → application ids.
    let by_sp: BTreeMap<String, String> = input
        .service_principals
        .iter()
        .map(|(s, _)| (s.id.to_ascii_lowercase(), s.app_id.to_ascii_lowercase()))
        .collect();
    let by_app_object: BTreeMap<String, String> = input
        .applications
        .iter()
        .map(|(a, _)| (a.id.to_ascii_lowercase(), a.app_id.to_ascii_lowercase()))
        .collect();
    let sps: BTreeMap<String, &ServicePrincipal> = input
        .service_principals
        .iter()
        .map(|(s, _)| (s.id.to_ascii_lowercase(), s))
        .collect();
    let ids: BTreeMap<String, String> = entries.iter().map(|(k, e)| (k.clone(), e.id())).collect();
    let mut grants = Vec::new();
    let grant = |identity: &str, action: &str, resource: &str, level, source: &str, at: &str| {
        let mut action = action.to_string();
        text::make_safe_id(&mut action);
        let mut resource = resource.to_string();
        text::make_safe_id(&mut resource);
        Grant {
            identity: identity.to_string(),
            action,
            resource,
            effect: Effect::Allow,
            access_level: level,
            source: source.to_string(),
            location: Some(Location::at_listing(at)),
        }
    };

    for (a, at) in &input.app_role_assignments {
        let Some(key) = by_sp.get(&a.principal_id.to_ascii_lowercase()) else {
            continue;
        };
        let resource_sp = sps.get(&a.resource_id.to_ascii_lowercase());
        let role = resource_sp.and_then(|r| {
            r.app_roles
                .iter()
                .find(|role| role.id.eq_ignore_ascii_case(&a.app_role_id))
        });
        // The default role (all zeros) grants no permission.
        if role.is_none() && a.app_role_id.bytes().all(|b| b == b'0' || b == b'-') {
            continue;
        }
        let value = role.and_then(|r| r.value.clone());
        let resolved = value.is_some();
        let permission = value.unwrap_or_else(|| a.app_role_id.clone());
        let resource = a
            .resource_display_name
            .clone()
            .or_else(|| resource_sp.and_then(|r| r.display_name.clone()))
            .unwrap_or_else(|| a.resource_id.clone());
        let on_graph = resource_sp.map_or(resource == "Microsoft Graph", |r| {
            r.app_id.eq_ignore_ascii_case(GRAPH_APP_ID)
        });
        let escalates = on_graph && ESCALATING_PERMISSIONS.contains(&permission.as_str());
        let level = if escalates {
            AccessLevel::Admin
        } else if resolved {
            permission_level(&permission)
        } else {
            // An unresolved role may change anything its resource holds.
            AccessLevel::Write
        };
        let safe = |s: String| {
            let mut s = s;
            text::make_safe_id(&mut s);
            s
        };
        let facts = AzureAppPermission {
            permission: Some(safe(permission.clone())),
            resource: Some(safe(resource.clone())),
            access_level: Some(level),
            escalates: Some(escalates),
            resolved: Some(resolved),
        };
        grants.push(grant(
            &ids[key],
            &permission,
            &resource,
            level,
            "application permission (app role assignment)",
            at,
        ));
        if let Some(e) = entries.get_mut(key) {
            e.permissions.push(facts);
        }
    }

    let definitions: Vec<&DirectoryRoleDefinition> =
        input.directory_definitions.iter().map(|(d, _)| d).collect();
    for (a, at) in &input.directory_assignments {
        let Some(key) = by_sp.get(&a.principal_id.to_ascii_lowercase()) else {
            continue;
        };
        let role = directory_role(&a.role_definition_id, &definitions);
        let scope = a.directory_scope_id.clone().unwrap_or_else(|| "/".into());
        grants.push(grant(
            &ids[key],
            role.role.as_deref().unwrap_or(""),
            &scope,
            role.access_level.unwrap_or(AccessLevel::Write),
            "directory role assignment",
            at,
        ));
        if let Some(e) = entries.get_mut(key) {
            e.directory_roles.push(AzureDirectoryRole {
                scope: Some(safe_string(&scope)),
                ..role
            });
        }
    }

    let rbac: Vec<&RbacDefinition> = input.rbac_definitions.iter().map(|(d, _)| d).collect();
    for (a, at) in &input.rbac_assignments {
        let Some(key) = by_sp.get(&a.principal_id.to_ascii_lowercase()) else {
            continue;
        };
        let role = rbac_role(
            a.role_definition_name.as_deref(),
            &a.role_definition_id,
            &rbac,
        );
        if let Some(def) = rbac_definition(&a.role_definition_id, &rbac) {
            // What the role allows, keyed as its grant names it, for comparing what the
            // identity used with what it holds.
            let mut name = role.role.clone().unwrap_or_default();
            text::make_safe_id(&mut name);
            inv.role_contents
                .entry(format!("azure:{name}"))
                .or_insert_with(|| crate::model::RoleContents {
                    allow: def
                        .permissions
                        .iter()
                        .flat_map(|p| p.actions.clone())
                        .collect(),
                    deny: def
                        .permissions
                        .iter()
                        .flat_map(|p| p.not_actions.clone())
                        .collect(),
                });
        }
        grants.push(grant(
            &ids[key],
            role.role.as_deref().unwrap_or(""),
            &a.scope,
            role.access_level.unwrap_or(AccessLevel::Write),
            if role.inferred == Some(true) {
                "Azure role assignment (level inferred from the role's name)"
            } else {
                "Azure role assignment"
            },
            at,
        ));
        if let Some(e) = entries.get_mut(key) {
            e.rbac_roles.push(AzureRbacRole {
                scope: Some(safe_string(&a.scope)),
                ..role
            });
        }
    }

    for (f, app, _) in &input.federated {
        if let Some(e) = by_app_object
            .get(&app.to_ascii_lowercase())
            .and_then(|k| entries.get_mut(k))
        {
            e.federated.push(federated(f));
        }
    }

    // An owner that is a service principal of the export can add a secret to the
    // application, and so act as it.
    for (key, entry) in &entries {
        let Some((a, at)) = entry.app else { continue };
        for owner in &a.owners {
            let Some(from) = by_sp.get(&owner.id.to_ascii_lowercase()) else {
                continue;
            };
            if from == key {
                continue;
            }
            inv.edges.push(Edge {
                kind: EdgeKind::Assumes,
                from: ids[from].clone(),
                to: ids[key].clone(),
                evidence: "owns the application: it can add a client secret to it".into(),
                location: Some(Location::at_listing(at)),
            });
        }
    }

    for entry in entries.values() {
        let (identity, credentials) = identity(entry, &grants, now);
        inv.credentials.extend(credentials);
        inv.identities.push(identity);
    }
    inv.grants = grants;
    inv
}

fn safe_string(s: &str) -> String {
    let mut s = s.to_string();
    text::make_safe(&mut s);
    s
}

/// The level of a Graph permission by its value (`Resource.Operation.Constraint`):
/// reading operations read, any other operation (`ReadWrite`, `Send`, `Manage`) write.
pub fn permission_level(value: &str) -> AccessLevel {
    let mut parts = value.split('.').skip(1);
    match parts.next() {
        Some(op) if op.starts_with("Read") && !op.contains("Write") => AccessLevel::Read,
        _ => AccessLevel::Write,
    }
}

/// A directory role by its definition id (or template id): its name, template and
/// level, from the definitions export where it has the role, else from the documented
/// template ids.
fn directory_role(
    definition_id: &str,
    definitions: &[&DirectoryRoleDefinition],
) -> AzureDirectoryRole {
    let def = definitions.iter().find(|d| {
        d.id.eq_ignore_ascii_case(definition_id)
            || d.template_id
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(definition_id))
    });
    let template = def
        .and_then(|d| d.template_id.clone())
        .unwrap_or_else(|| definition_id.to_string())
        .to_ascii_lowercase();
    let documented = PRIVILEGED_DIRECTORY_ROLES
        .iter()
        .find(|(t, _)| *t == template)
        .map(|(_, name)| *name);
    let name = def
        .and_then(|d| d.display_name.clone())
        .or_else(|| documented.map(str::to_string));
    let by_name = name.as_deref().is_some_and(|n| {
        PRIVILEGED_DIRECTORY_ROLES
            .iter()
            .any(|(_, p)| p.eq_ignore_ascii_case(n))
    });
    let actions: Vec<String> = def
        .into_iter()
        .flat_map(|d| &d.role_permissions)
        .flat_map(|p| &p.allowed_resource_actions)
        .map(|a| a.to_ascii_lowercase())
        .collect();
    let privileged_action = actions.iter().any(|a| {
        (a.starts_with("microsoft.directory/roleassignments/") && !a.ends_with("/read"))
            || a.ends_with("/credentials/update")
            || a == "microsoft.directory/applications/allproperties/alltasks"
            || a == "microsoft.directory/serviceprincipals/allproperties/alltasks"
    });
    let privileged = documented.is_some() || by_name || privileged_action;
    let reads = if actions.is_empty() {
        name.as_deref().is_some_and(|n| n.contains("Reader"))
    } else {
        actions
            .iter()
            .all(|a| a.ends_with("/read") || a.contains("/read/"))
    };
    let level = if privileged {
        AccessLevel::Admin
    } else if reads {
        AccessLevel::Read
    } else {
        AccessLevel::Write
    };
    AzureDirectoryRole {
        role: Some(safe_string(name.as_deref().unwrap_or(definition_id))),
        template_id: Some(safe_string(&template)),
        scope: None,
        access_level: Some(level),
        privileged: Some(privileged),
    }
}

/// The definition an assignment's `roleDefinitionId` names (by guid or full id).
fn rbac_definition<'d>(
    definition_id: &str,
    definitions: &[&'d RbacDefinition],
) -> Option<&'d RbacDefinition> {
    let guid = definition_id.rsplit('/').next().unwrap_or(definition_id);
    definitions
        .iter()
        .find(|d| {
            d.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(guid))
                || d.id
                    .as_deref()
                    .is_some_and(|i| i.eq_ignore_ascii_case(definition_id))
        })
        .copied()
}

/// An Azure role by its definition (from `az role definition list`, matched by guid or
/// name) or, without one, by the built-in role's name.
fn rbac_role(
    name: Option<&str>,
    definition_id: &str,
    definitions: &[&RbacDefinition],
) -> AzureRbacRole {
    let guid = definition_id.rsplit('/').next().unwrap_or(definition_id);
    let def = rbac_definition(definition_id, definitions);
    let role = def
        .map(|d| d.role_name.clone())
        .or_else(|| name.map(str::to_string))
        .unwrap_or_else(|| guid.to_string());
    let custom = def.map(|d| d.role_type.as_deref() == Some("CustomRole"));
    let (level, assigns, inferred) = match def {
        Some(d) => {
            let (level, assigns) = rbac_level(d);
            (level, assigns, false)
        }
        None => {
            let (level, assigns) = match role.as_str() {
                "Owner"
                | "User Access Administrator"
                | "Role Based Access Control Administrator" => (AccessLevel::Admin, true),
                "Contributor" => (AccessLevel::Write, false),
                "Reader" => (AccessLevel::Read, false),
                r if r.ends_with("Reader") => (AccessLevel::Read, false),
                _ => (AccessLevel::Write, false),
            };
            let documented = matches!(
                role.as_str(),
                "Owner" | "User Access Administrator" | "Contributor" | "Reader"
            );
            (level, assigns, !documented)
        }
    };
    AzureRbacRole {
        role: Some(safe_string(&role)),
        scope: None,
        access_level: Some(level),
        assigns_roles: Some(assigns),
        custom,
        inferred: Some(inferred),
    }
}

/// A role's level from its actions, and whether it can assign roles: an action that
/// covers `Microsoft.Authorization/roleAssignments/write` (and no not-action taking it
/// away) assigns roles; one that writes, deletes or acts writes; else it reads.
pub fn rbac_level(def: &RbacDefinition) -> (AccessLevel, bool) {
    let covers = |patterns: &[String], action: &str| {
        patterns
            .iter()
            .any(|p| glob(p.as_bytes(), action.as_bytes(), true))
    };
    let assigns = def.permissions.iter().any(|p| {
        covers(&p.actions, ROLE_ASSIGNMENT_WRITE) && !covers(&p.not_actions, ROLE_ASSIGNMENT_WRITE)
    });
    let writes = def.permissions.iter().any(|p| {
        p.actions.iter().chain(&p.data_actions).any(|a| {
            let a = a.to_ascii_lowercase();
            a.ends_with('*')
                || a.ends_with("/write")
                || a.ends_with("/delete")
                || a.ends_with("/action")
        })
    });
    let any = def
        .permissions
        .iter()
        .any(|p| !p.actions.is_empty() || !p.data_actions.is_empty());
    let level = if assigns {
        AccessLevel::Admin
    } else if writes {
        AccessLevel::Write
    } else if any {
        AccessLevel::Read
    } else {
        AccessLevel::None
    };
    (level, assigns)
}

/// A federated credential's facts: for a GitHub issuer, the repository its subject
/// names and what the subject or expression leaves open.
fn federated(f: &FederatedIdentityCredential) -> AzureFederatedCredential {
    let issuer = f.issuer.as_deref().map(|i| i.trim_end_matches('/'));
    let github = issuer == Some(GITHUB_ISSUER);
    let subject = f
        .subject
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let expression = f.expression();
    let mut issues = Vec::new();
    let mut repository = None;
    if github {
        match (subject, expression) {
            (_, Some(e)) if e.contains('*') => issues.push(format!(
                "the claims matching expression `{e}` accepts subjects by wildcard"
            )),
            (None, None) => issues.push("no subject: any workflow on GitHub".into()),
            (Some(s), _) => {
                let rest = s.strip_prefix("repo:").unwrap_or(s);
                let (repo, context) = rest.split_once(':').unwrap_or((rest, ""));
                if !repo.contains('*') && repo.contains('/') {
                    repository = Some(repo.to_string());
                }
                if s.contains('*') {
                    issues.push(match repo.split_once('/') {
                        Some((org, r)) if r.starts_with('*') => format!(
                            "the subject `{s}` has a wildcard: every repository of {org} can sign in"
                        ),
                        _ => format!("the subject `{s}` has a wildcard"),
                    });
                } else if context == "pull_request" {
                    issues.push(format!(
                        "the subject `{s}` accepts pull_request runs: workflows of any pull request to {repo} can sign in"
                    ));
                } else if s.starts_with("repo:") && context.is_empty() {
                    issues.push(format!(
                        "the subject `{s}` names no branch, tag or environment"
                    ));
                }
            }
            (None, Some(_)) => {}
        }
    }
    let safe = |s: &str| safe_string(s);
    AzureFederatedCredential {
        name: f.name.as_deref().map(safe),
        issuer: issuer.map(safe),
        subject: subject.map(safe),
        audiences: Some(f.audiences.iter().map(|a| safe(a)).collect()),
        claims_matching_expression: expression.map(safe),
        github: Some(github),
        repository: repository.map(|r| safe(&r)),
        issues: Some(issues.iter().map(|i| safe(i)).collect()),
    }
}

/// What one secret or certificate is, from its dates: its facts.
#[allow(clippy::too_many_arguments)]
fn credential_facts(
    key_id: Option<&str>,
    kind: &str,
    on: &str,
    display_name: Option<&str>,
    start: Option<&str>,
    end: Option<&str>,
    now: time::OffsetDateTime,
) -> AzureCredentialFacts {
    let v = timefmt::Validity::of(start, end, NEVER_YEAR, now);
    let started = v.created.is_none_or(|c| c <= now);
    AzureCredentialFacts {
        key_id: key_id.map(|k| {
            let mut k = k.to_string();
            text::make_safe_id(&mut k);
            k
        }),
        kind: Some(kind.into()),
        on: Some(on.into()),
        display_name: display_name.map(safe_string),
        created: v.created.and_then(timefmt::format),
        expires: v.expires.and_then(timefmt::format),
        never_expires: Some(v.never_expires),
        expired: Some(v.expired),
        age_days: v.age_days,
        active: Some(started && !v.expired),
    }
}

/// The credentials registered on the application and on its service principal.
fn all_credentials(e: &Entry<'_>, now: time::OffsetDateTime) -> Vec<AzureCredentialFacts> {
    let mut out = Vec::new();
    let mut add = |on: &str, passwords: &[PasswordCredential], keys: &[KeyCredential]| {
        for p in passwords {
            out.push(credential_facts(
                p.key_id.as_deref(),
                "client-secret",
                on,
                p.display_name.as_deref(),
                p.start_date_time.as_deref(),
                p.end_date_time.as_deref(),
                now,
            ));
        }
        for k in keys {
            out.push(credential_facts(
                k.key_id.as_deref(),
                "certificate",
                on,
                k.display_name.as_deref(),
                k.start_date_time.as_deref(),
                k.end_date_time.as_deref(),
                now,
            ));
        }
    };
    if let Some((a, _)) = e.app {
        add("application", &a.password_credentials, &a.key_credentials);
    }
    if let Some((s, _)) = e.sp {
        add(
            "service-principal",
            &s.password_credentials,
            &s.key_credentials,
        );
    }
    out
}

/// The identity of a service principal no export lists, only activity logs (by its
/// object id): the record a listed one without secrets or grants gets, so that rules
/// read the same facts.
pub fn unlisted_service_principal(object_id: &str) -> Identity {
    let sp = (
        ServicePrincipal {
            id: object_id.to_ascii_lowercase(),
            ..Default::default()
        },
        String::new(),
    );
    let e = Entry {
        sp: Some(&sp),
        ..Default::default()
    };
    let mut identity = identity(&e, &[], timefmt::now()).0;
    identity.name = object_id.to_ascii_lowercase();
    text::make_safe_id(&mut identity.name);
    identity
}

/// An entry's identity and credentials.
fn identity(
    e: &Entry<'_>,
    grants: &[Grant],
    now: time::OffsetDateTime,
) -> (Identity, Vec<Credential>) {
    let id = e.id();
    let app = e.app.map(|(a, _)| a);
    let sp = e.sp.map(|(s, _)| s);
    let app_id = app
        .map(|a| a.app_id.clone())
        .or_else(|| sp.map(|s| s.app_id.clone()))
        .unwrap_or_default();
    let display = app
        .and_then(|a| a.display_name.clone())
        .or_else(|| sp.and_then(|s| s.display_name.clone()));
    let mut name = display.clone().unwrap_or_else(|| app_id.clone());
    text::make_safe_id(&mut name);
    let mut identity = Identity::new(id.clone(), e.kind(), Provider::Azure, name);
    let mut uri = match app {
        Some(a) => format!("https://graph.microsoft.com/v1.0/applications/{}", a.id),
        None => format!(
            "https://graph.microsoft.com/v1.0/servicePrincipals/{}",
            sp.map(|s| s.id.as_str()).unwrap_or("")
        ),
    };
    text::make_safe_id(&mut uri);
    identity.locations = vec![Location::Uri { uri }];

    let credentials = all_credentials(e, now);
    let mut creds = Vec::new();
    for c in &credentials {
        let Some(key_id) = &c.key_id else { continue };
        let kind = if c.kind.as_deref() == Some("certificate") {
            CredentialKind::AzureCertificate
        } else {
            CredentialKind::AzureClientSecret
        };
        let mut uri = match identity.locations.first() {
            Some(Location::Uri { uri }) => uri.clone(),
            _ => String::new(),
        };
        uri.push_str(match c.on.as_deref() {
            Some("service-principal") => "#servicePrincipal",
            _ => "",
        });
        creds.push(Credential {
            identity: Some(id.clone()),
            locations: vec![Location::Uri { uri }],
            created_at: c.created.clone(),
            expires_at: c.expires.clone(),
            key_id: Some(key_id.clone()),
            ..Credential::new(
                format!("azure:credential:{key_id}"),
                kind,
                Provider::Azure,
                Lifetime::Static,
                Storage::Issued,
                Confidence::High,
            )
        });
    }
    creds.sort_by(|x, y| x.id.cmp(&y.id));
    creds.dedup_by(|x, y| x.id == y.id);
    identity.credentials = creds.iter().map(|c| c.id.clone()).collect();
    let active = |kind: &str| {
        credentials
            .iter()
            .filter(|c| c.kind.as_deref() == Some(kind) && c.active == Some(true))
            .count() as u64
    };
    let level = grants
        .iter()
        .filter(|g| g.identity == id)
        .map(|g| g.access_level)
        .max();
    identity.access_level = level;
    let mut tags: Vec<String> = app
        .into_iter()
        .flat_map(|a| &a.tags)
        .chain(sp.into_iter().flat_map(|s| &s.tags))
        .map(|t| safe_string(t))
        .collect();
    tags.sort();
    tags.dedup();
    let managed_resource = sp.and_then(|s| {
        s.alternative_names
            .iter()
            .find(|n| n.starts_with("/subscriptions/"))
            .map(|n| safe_string(n))
    });
    let mut permissions = e.permissions.clone();
    permissions.sort_by(|x, y| (&x.resource, &x.permission).cmp(&(&y.resource, &y.permission)));
    permissions.dedup();
    let mut directory_roles = e.directory_roles.clone();
    directory_roles.sort_by(|x, y| (&x.scope, &x.role).cmp(&(&y.scope, &y.role)));
    directory_roles.dedup();
    let mut rbac_roles = e.rbac_roles.clone();
    rbac_roles.sort_by(|x, y| (&x.scope, &x.role).cmp(&(&y.scope, &y.role)));
    rbac_roles.dedup();
    let owners: Vec<AzureOwner> = app
        .into_iter()
        .flat_map(|a| &a.owners)
        .map(|o| AzureOwner {
            kind: Some(
                match o.kind.as_deref() {
                    Some("#microsoft.graph.user") => "user",
                    Some("#microsoft.graph.servicePrincipal") => "service-principal",
                    Some(other) => other.trim_start_matches("#microsoft.graph."),
                    None => "unknown",
                }
                .to_string(),
            ),
            id: Some(safe_string(&o.id)),
            display_name: o.display_name.as_deref().map(safe_string),
        })
        .collect();
    let mut federated = e.federated.clone();
    federated.sort_by(|x, y| x.name.cmp(&y.name));
    let names = |v: Vec<Option<String>>| {
        let mut v: Vec<String> = v.into_iter().flatten().collect();
        v.sort();
        v.dedup();
        v
    };
    let escalating = names(
        permissions
            .iter()
            .filter(|p| p.escalates == Some(true))
            .map(|p| p.permission.clone())
            .collect(),
    );
    let privileged = names(
        directory_roles
            .iter()
            .filter(|r| r.privileged == Some(true))
            .map(|r| r.role.clone())
            .collect(),
    );
    let tenant_escalation = escalating
        .iter()
        .map(|p| format!("the Graph permission {p}"))
        .chain(privileged.iter().map(|r| format!("the directory role {r}")))
        .collect();
    let facts = AzureIdentityFacts {
        app_id: Some(safe_string(&app_id)),
        application_id: app.map(|a| safe_string(&a.id)),
        service_principal_id: sp.map(|s| safe_string(&s.id)),
        display_name: display.as_deref().map(safe_string),
        service_principal_type: sp
            .and_then(|s| s.service_principal_type.as_deref())
            .map(safe_string),
        app_owner_organization_id: sp
            .and_then(|s| s.app_owner_organization_id.as_deref())
            .map(safe_string),
        sign_in_audience: app
            .and_then(|a| a.sign_in_audience.as_deref())
            .map(safe_string),
        tags: Some(tags),
        managed_identity_resource: managed_resource,
        disabled: Some(sp.is_some_and(|s| s.account_enabled == Some(false))),
        active_client_secrets: Some(active("client-secret")),
        active_certificates: Some(active("certificate")),
        credentials: Some(credentials),
        app_permissions: Some(permissions),
        escalating_permissions: Some(escalating),
        directory_roles: Some(directory_roles),
        privileged_directory_roles: Some(privileged),
        tenant_escalation: Some(tenant_escalation),
        rbac_roles: Some(rbac_roles),
        owners: app.is_some().then_some(owners),
        federated_credentials: Some(federated),
        access_level: level,
    };
    if let Ok(value) = serde_json::to_value(&facts) {
        identity.facts.insert("azure".into(), value);
    }
    (identity, creds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::azure::{
        AppRole, AppRoleAssignment, DirectoryRoleAssignment, RbacAssignment, RbacPermission,
    };

    const AGENT_APP: &str = "11111111-1111-4111-8111-111111111111";
    const AGENT_SP: &str = "22222222-2222-4222-8222-222222222222";
    const GRAPH_SP: &str = "33333333-3333-4333-8333-333333333333";
    const ROLE_RW: &str = "44444444-4444-4444-8444-444444444444";
    const MAIL_READ: &str = "55555555-5555-4555-8555-555555555555";

    fn input() -> AzureInput {
        let secret = |id: &str, start: &str, end: Option<&str>| PasswordCredential {
            key_id: Some(id.into()),
            display_name: Some("ci".into()),
            start_date_time: Some(start.into()),
            end_date_time: end.map(str::to_string),
        };
        AzureInput {
            applications: vec![(
                Application {
                    id: "a0000000-0000-4000-8000-000000000001".into(),
                    app_id: AGENT_APP.into(),
                    display_name: Some("Support agent".into()),
                    password_credentials: vec![
                        secret("k1", "2026-01-01T00:00:00Z", Some("2299-12-31T00:00:00Z")),
                        secret("k2", "2026-11-01T00:00:00Z", Some("2026-11-20T00:00:00Z")),
                        secret("k3", "2026-11-01T00:00:00Z", Some("2027-05-01T00:00:00Z")),
                    ],
                    key_credentials: vec![KeyCredential {
                        key_id: Some("c1".into()),
                        kind: Some("AsymmetricX509Cert".into()),
                        usage: Some("Verify".into()),
                        start_date_time: Some("2026-06-01T00:00:00Z".into()),
                        end_date_time: Some("2027-06-01T00:00:00Z".into()),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                "apps.json".into(),
            )],
            service_principals: vec![
                (
                    ServicePrincipal {
                        id: AGENT_SP.into(),
                        app_id: AGENT_APP.into(),
                        service_principal_type: Some("Application".into()),
                        tags: vec!["nhi:agent".into()],
                        ..Default::default()
                    },
                    "sps.json".into(),
                ),
                (
                    ServicePrincipal {
                        id: GRAPH_SP.into(),
                        app_id: GRAPH_APP_ID.into(),
                        display_name: Some("Microsoft Graph".into()),
                        app_roles: vec![
                            AppRole {
                                id: ROLE_RW.into(),
                                value: Some("RoleManagement.ReadWrite.Directory".into()),
                                display_name: None,
                            },
                            AppRole {
                                id: MAIL_READ.into(),
                                value: Some("Mail.Read".into()),
                                display_name: None,
                            },
                        ],
                        ..Default::default()
                    },
                    "sps.json".into(),
                ),
            ],
            app_role_assignments: [ROLE_RW, MAIL_READ, "66666666-6666-4666-8666-666666666666"]
                .iter()
                .map(|r| {
                    (
                        AppRoleAssignment {
                            principal_id: AGENT_SP.into(),
                            resource_id: GRAPH_SP.into(),
                            app_role_id: r.to_string(),
                            resource_display_name: Some("Microsoft Graph".into()),
                        },
                        "assignments.json".into(),
                    )
                })
                .collect(),
            directory_assignments: vec![(
                DirectoryRoleAssignment {
                    principal_id: AGENT_SP.into(),
                    role_definition_id: "62e90394-69f5-4237-9190-012177145e10".into(),
                    directory_scope_id: Some("/".into()),
                },
                "dir.json".into(),
            )],
            rbac_assignments: vec![(
                RbacAssignment {
                    principal_id: AGENT_SP.into(),
                    principal_type: Some("ServicePrincipal".into()),
                    role_definition_id:
                        "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/r1"
                            .into(),
                    role_definition_name: Some("Owner".into()),
                    scope: "/subscriptions/s".into(),
                },
                "rbac.json".into(),
            )],
            ..Default::default()
        }
    }

    fn facts(inv: &Inventory, id: &str) -> AzureIdentityFacts {
        let i = inv
            .identities
            .iter()
            .find(|i| i.id == id)
            .expect("identity");
        serde_json::from_value(i.facts["azure"].clone()).expect("azure facts")
    }

    #[test]
    fn an_application_and_its_service_principal_are_one_identity_with_grants_and_secrets() {
        let now = timefmt::parse("2026-12-01T00:00:00Z").expect("a date");
        let inv = normalize_at(&input(), now);
        let id = format!("azure:app:{AGENT_APP}");
        let find = |id: &str| inv.identities.iter().find(|i| i.id == id);
        let agent = find(&id).expect("the agent's identity");
        assert_eq!(agent.kind, IdentityKind::AzureApplication);
        assert_eq!(agent.access_level, Some(AccessLevel::Admin));
        // Microsoft Graph's service principal, with no application here, is its own.
        let graph = format!("azure:sp:{GRAPH_SP}");
        assert_eq!(
            find(&graph).map(|i| i.kind.clone()),
            Some(IdentityKind::AzureServicePrincipal)
        );
        let f = facts(&inv, &id);
        assert_eq!(f.tags, Some(vec!["nhi:agent".to_string()]));
        assert_eq!(f.active_client_secrets, Some(2));
        assert_eq!(f.active_certificates, Some(1));
        let creds = f.credentials.expect("credentials");
        assert_eq!(creds[0].never_expires, Some(true));
        assert_eq!(creds[0].age_days, Some(334));
        assert_eq!(creds[1].expired, Some(true));
        assert_eq!(creds[1].active, Some(false));
        assert_eq!(creds[3].kind.as_deref(), Some("certificate"));
        let kinds: Vec<(&str, &CredentialKind)> = inv
            .credentials
            .iter()
            .map(|c| (c.id.as_str(), &c.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("azure:credential:c1", &CredentialKind::AzureCertificate),
                ("azure:credential:k1", &CredentialKind::AzureClientSecret),
                ("azure:credential:k2", &CredentialKind::AzureClientSecret),
                ("azure:credential:k3", &CredentialKind::AzureClientSecret),
            ]
        );
        let perms = f.app_permissions.expect("permissions");
        let shown: Vec<(&str, bool, bool, AccessLevel)> = perms
            .iter()
            .map(|p| {
                (
                    p.permission.as_deref().unwrap_or(""),
                    p.escalates.unwrap_or(false),
                    p.resolved.unwrap_or(false),
                    p.access_level.unwrap_or(AccessLevel::None),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "66666666-6666-4666-8666-666666666666",
                    false,
                    false,
                    AccessLevel::Write
                ),
                ("Mail.Read", false, true, AccessLevel::Read),
                (
                    "RoleManagement.ReadWrite.Directory",
                    true,
                    true,
                    AccessLevel::Admin
                ),
            ]
        );
        let dir = &f.directory_roles.expect("roles")[0];
        assert_eq!(dir.role.as_deref(), Some("Global Administrator"));
        assert_eq!(dir.privileged, Some(true));
        let rbac = &f.rbac_roles.expect("rbac")[0];
        assert_eq!(
            (rbac.role.as_deref(), rbac.assigns_roles, rbac.inferred),
            (Some("Owner"), Some(true), Some(false))
        );
        assert_eq!(inv.grants.len(), 5);
        assert!(inv.grants.iter().all(|g| g.identity == id));
    }

    #[test]
    fn a_service_principal_that_owns_an_application_assumes_it() {
        let mut input = input();
        input.applications[0].0.owners = vec![
            super::super::DirectoryObject {
                id: GRAPH_SP.into(),
                kind: Some("#microsoft.graph.servicePrincipal".into()),
                display_name: Some("Microsoft Graph".into()),
            },
            super::super::DirectoryObject {
                id: "u1".into(),
                kind: Some("#microsoft.graph.user".into()),
                display_name: Some("Dev".into()),
            },
        ];
        let inv = normalize_at(&input, timefmt::now());
        let edges: Vec<(&str, &str, EdgeKind)> = inv
            .edges
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str(), e.kind))
            .collect();
        let from = format!("azure:sp:{GRAPH_SP}");
        let to = format!("azure:app:{AGENT_APP}");
        assert_eq!(edges, [(from.as_str(), to.as_str(), EdgeKind::Assumes)]);
        let owners = facts(&inv, &to).owners.expect("owners");
        assert_eq!(owners[1].kind.as_deref(), Some("user"));
    }

    #[test]
    fn levels_of_permissions_and_roles() {
        assert_eq!(permission_level("Mail.Read"), AccessLevel::Read);
        assert_eq!(permission_level("User.ReadBasic.All"), AccessLevel::Read);
        assert_eq!(permission_level("Files.ReadWrite.All"), AccessLevel::Write);
        assert_eq!(permission_level("Mail.Send"), AccessLevel::Write);
        let def = |actions: &[&str], not: &[&str]| RbacDefinition {
            role_name: "r".into(),
            permissions: vec![RbacPermission {
                actions: actions.iter().map(|a| a.to_string()).collect(),
                not_actions: not.iter().map(|a| a.to_string()).collect(),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(rbac_level(&def(&["*"], &[])), (AccessLevel::Admin, true));
        assert_eq!(
            rbac_level(&def(&["*"], &["Microsoft.Authorization/*/Write"])),
            (AccessLevel::Write, false)
        );
        assert_eq!(
            rbac_level(&def(&["*/read", "Microsoft.Authorization/*"], &[])),
            (AccessLevel::Admin, true)
        );
        assert_eq!(
            rbac_level(&def(&["Microsoft.Storage/storageAccounts/*/write"], &[])),
            (AccessLevel::Write, false)
        );
        assert_eq!(
            rbac_level(&def(&["*/read"], &[])),
            (AccessLevel::Read, false)
        );
        let r = rbac_role(Some("Storage Blob Data Reader"), "/x/r", &[]);
        assert_eq!(
            (r.access_level, r.inferred),
            (Some(AccessLevel::Read), Some(true))
        );
        // A directory role by its display name when no template is documented.
        let d = directory_role("77777777-7777-4777-8777-777777777777", &[]);
        assert_eq!(d.privileged, Some(false));
        assert_eq!(d.access_level, Some(AccessLevel::Write));
    }

    #[test]
    fn github_federated_subjects_and_their_issues() {
        let fic = |sub: Option<&str>, expr: Option<&str>| {
            federated(&FederatedIdentityCredential {
                name: Some("gh".into()),
                issuer: Some(format!("{GITHUB_ISSUER}/")),
                subject: sub.map(str::to_string),
                audiences: vec!["api://AzureADTokenExchange".into()],
                claims_matching_expression: expr
                    .map(|e| serde_json::json!({"value": e, "languageVersion": 1})),
            })
        };
        let ok = fic(Some("repo:example-org/agents:environment:prod"), None);
        assert_eq!(ok.github, Some(true));
        assert_eq!(ok.repository.as_deref(), Some("example-org/agents"));
        assert_eq!(ok.issues, Some(vec![]));
        assert!(
            fic(Some("repo:example-org/agents:ref:refs/heads/main"), None)
                .issues
                .is_some_and(|i| i.is_empty())
        );
        let pr = fic(Some("repo:example-org/agents:pull_request"), None);
        assert!(pr.issues.unwrap()[0].contains("pull_request"));
        let bare = fic(Some("repo:example-org/agents"), None);
        assert!(bare.issues.unwrap()[0].contains("no branch"));
        let flexible = fic(None, Some("claims['sub'] matches 'repo:example-org/*'"));
        assert!(flexible.issues.unwrap()[0].contains("wildcard"));
        let wild = fic(Some("repo:example-org/*"), None);
        assert!(wild.issues.unwrap()[0].contains("every repository of example-org"));
        let other = federated(&FederatedIdentityCredential {
            issuer: Some("https://sts.windows.net/t/".into()),
            subject: Some("*".into()),
            ..Default::default()
        });
        assert_eq!((other.github, other.issues), (Some(false), Some(vec![])));
    }
}
