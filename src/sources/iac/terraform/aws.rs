//! The AWS provider's IAM resources as the account export they will make: roles, users,
//! groups and policies into a GAAD, access keys into a key listing, OIDC providers into
//! theirs. The AWS source's normaliser then judges them exactly as it judges an account;
//! only their locations change, from ARNs to the `file:line` of the resource.
//!
//! An ARN is made from the name as AWS makes it; the account is the one the provider is
//! pinned to (`allowed_account_ids`) or a plan shows, and otherwise left empty
//! (`arn:aws:iam:::role/agent`), never guessed.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use super::{Mode, Resource};
use crate::model::{
    Agent, AgentKind, Confidence, Edge, EdgeKind, Evidence, Inventory, Location, SourceKind,
};
use crate::sources::Context;
use crate::sources::aws::gaad::{
    AttachedPolicy, Document, GroupDetail, InlinePolicy, ManagedPolicyDetail, PermissionsBoundary,
    PolicyVersion, RoleDetail, Tag, UserDetail,
};
use crate::sources::aws::{AccessKeyMetadata, AwsInput, Gaad, OidcProvider};

/// Adds the identifiers AWS derives from a resource's name (`arn`, `id`), unless they
/// are given (a plan or state has them once the resource exists).
pub fn derive(kind: &str, address: &str, attrs: &mut Map<String, Value>, account: Option<&str>) {
    let account = account.unwrap_or("");
    if matches!(
        kind,
        "aws_iam_role" | "aws_iam_user" | "aws_iam_group" | "aws_iam_policy"
    ) && !attrs.contains_key("name")
    {
        // Generated at apply (`name_prefix`, or no name at all): the prefix, then the
        // part Terraform makes up.
        let prefix = attrs
            .get("name_prefix")
            .and_then(Value::as_str)
            .unwrap_or("");
        let name = format!("{prefix}${{{address}.name}}");
        attrs.insert("name".into(), Value::String(name));
    }
    let path = attrs
        .get("path")
        .and_then(Value::as_str)
        .unwrap_or("/")
        .to_string();
    let name = attrs
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string);
    let arn = |what: &str, name: &str| format!("arn:aws:iam::{account}:{what}{path}{name}");
    let (arn, id) = match (kind, name) {
        ("aws_iam_role", Some(n)) => (arn("role", &n), n),
        ("aws_iam_user", Some(n)) => (arn("user", &n), n),
        ("aws_iam_group", Some(n)) => (arn("group", &n), n),
        ("aws_iam_policy", Some(n)) => {
            let a = arn("policy", &n);
            (a.clone(), a)
        }
        ("aws_iam_openid_connect_provider", _) => {
            let Some(url) = attrs.get("url").and_then(Value::as_str) else {
                return;
            };
            let host = url.trim_start_matches("https://");
            let a = format!("arn:aws:iam::{account}:oidc-provider/{host}");
            (a.clone(), a)
        }
        _ => return,
    };
    attrs.entry("arn").or_insert(Value::String(arn));
    attrs.entry("id").or_insert(Value::String(id));
}

/// The JSON an `aws_iam_policy_document` renders: its `statement` blocks, after those of
/// its `source_policy_documents` (`override_policy_documents` replace by `Sid`).
pub fn policy_document_json(values: &Map<String, Value>) -> String {
    let mut statements: Vec<Value> = Vec::new();
    let documents = |key: &str| -> Vec<Value> {
        let list = match values.get(key) {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        };
        list.iter()
            .filter_map(Value::as_str)
            .filter_map(|s| serde_json::from_str::<Value>(s).ok())
            .flat_map(|doc| match doc.get("Statement") {
                Some(Value::Array(st)) => st.clone(),
                Some(st @ Value::Object(_)) => vec![st.clone()],
                _ => Vec::new(),
            })
            .collect()
    };
    statements.extend(documents("source_policy_documents"));
    for block in values
        .get("statement")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
    {
        statements.push(statement_json(block));
    }
    for over in documents("override_policy_documents") {
        let sid = over.get("Sid").cloned();
        match statements
            .iter_mut()
            .find(|s| sid.is_some() && s.get("Sid") == sid.as_ref())
        {
            Some(existing) => *existing = over,
            None => statements.push(over),
        }
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

fn statement_json(block: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    if let Some(sid) = block.get("sid") {
        out.insert("Sid".into(), sid.clone());
    }
    let effect = block.get("effect").cloned().unwrap_or(json!("Allow"));
    out.insert("Effect".into(), effect);
    for (from, to) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        if let Some(v) = block.get(from) {
            out.insert(to.into(), v.clone());
        }
    }
    for (from, to) in [
        ("principals", "Principal"),
        ("not_principals", "NotPrincipal"),
    ] {
        let Some(Value::Array(blocks)) = block.get(from) else {
            continue;
        };
        let mut principals = Map::new();
        for p in blocks.iter().filter_map(Value::as_object) {
            let kind = p.get("type").and_then(Value::as_str).unwrap_or("AWS");
            let ids = p.get("identifiers").cloned().unwrap_or(json!([]));
            if kind == "*" {
                out.insert(to.into(), json!("*"));
                continue;
            }
            merge_list(&mut principals, kind, ids);
        }
        if !principals.is_empty() {
            out.insert(to.into(), Value::Object(principals));
        }
    }
    if let Some(Value::Array(blocks)) = block.get("condition") {
        let mut conditions = Map::new();
        for c in blocks.iter().filter_map(Value::as_object) {
            let (Some(test), Some(variable)) = (
                c.get("test").and_then(Value::as_str),
                c.get("variable").and_then(Value::as_str),
            ) else {
                continue;
            };
            let values = c.get("values").cloned().unwrap_or(json!([]));
            let entry = conditions
                .entry(test.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = entry {
                merge_list(m, variable, values);
            }
        }
        out.insert("Condition".into(), Value::Object(conditions));
    }
    Value::Object(out)
}

fn merge_list(map: &mut Map<String, Value>, key: &str, values: Value) {
    let values = match values {
        Value::Array(v) => v,
        other => vec![other],
    };
    match map.get_mut(key) {
        Some(Value::Array(existing)) => existing.extend(values),
        _ => {
            map.insert(key.to_string(), Value::Array(values));
        }
    }
}

/// The IAM of `resources` (one module or plan), normalised as an account export and
/// located at the resources.
pub fn judge(resources: &[Resource], origin: &str, ctx: &Context<'_>) -> Inventory {
    let mut build = Build::default();
    for r in resources.iter().filter(|r| r.mode == Mode::Managed) {
        build.add(r);
    }
    let (input, places, granted, warnings) = build.finish(origin);
    let mut inventory = crate::sources::aws::normalize(&input, ctx.judged);
    relocate(&mut inventory, &places, &granted);
    inventory.warnings.extend(warnings);
    inventory.extend(bedrock_agents(resources, &places));
    inventory
}

/// The principals and policies being assembled, by name.
#[derive(Default)]
struct Build {
    roles: BTreeMap<String, RoleDetail>,
    users: BTreeMap<String, UserDetail>,
    groups: BTreeMap<String, GroupDetail>,
    policies: Vec<ManagedPolicyDetail>,
    keys: Vec<AccessKeyMetadata>,
    oidc: Vec<OidcProvider>,
    /// ARN → where the resource defining it is written.
    places: HashMap<String, Location>,
    /// Attachments and memberships whose principal is not defined here.
    dangling: Vec<(Location, String)>,
    warnings: Vec<(Location, String)>,
    /// (principal ARN, policy ARN or `inline:NAME`) → where the resource granting it is.
    granted: Granted,
    /// Policies and memberships to join once every principal is known.
    links: Vec<(Location, String, Pending)>,
}

fn tags(r: &Resource) -> Vec<Tag> {
    r.string_map("tags")
        .into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect()
}

fn document(text: &str) -> Option<Document> {
    Document::from_value(&Value::String(text.to_string()))
}

fn attached(arn: &str) -> AttachedPolicy {
    AttachedPolicy {
        policy_name: arn.rsplit('/').next().unwrap_or(arn).to_string(),
        policy_arn: arn.to_string(),
    }
}

impl Build {
    fn add(&mut self, r: &Resource) {
        let arn = r.str("arn").unwrap_or_default().to_string();
        let path = r.str("path").unwrap_or("/").to_string();
        let name = r.str("name").unwrap_or(&r.address).to_string();
        match r.kind.as_str() {
            "aws_iam_role" => {
                let trust = r.str("assume_role_policy");
                if trust.is_none() {
                    self.warn(
                        r,
                        "has no trust policy known before apply: who can assume it is unknown",
                    );
                }
                let mut role = RoleDetail {
                    path,
                    role_name: name.clone(),
                    arn: arn.clone(),
                    assume_role_policy_document: trust.and_then(document),
                    tags: tags(r),
                    max_session_duration: r
                        .values
                        .get("max_session_duration")
                        .and_then(Value::as_i64),
                    permissions_boundary: r.str("permissions_boundary").map(|b| {
                        PermissionsBoundary {
                            permissions_boundary_type: Some("Policy".into()),
                            permissions_boundary_arn: b.to_string(),
                        }
                    }),
                    ..Default::default()
                };
                for inline in r.blocks("inline_policy") {
                    if let (Some(n), Some(p)) = (
                        inline.get("name").and_then(Value::as_str),
                        inline.get("policy").and_then(Value::as_str),
                    ) {
                        role.role_policy_list.push(InlinePolicy {
                            policy_name: n.to_string(),
                            policy_document: document(p),
                        });
                    }
                }
                for p in r.strs("managed_policy_arns") {
                    role.attached_managed_policies.push(attached(&p));
                }
                self.places.insert(arn, r.location.clone());
                self.roles.insert(name, role);
            }
            "aws_iam_user" => {
                self.places.insert(arn.clone(), r.location.clone());
                self.users.insert(
                    name.clone(),
                    UserDetail {
                        path,
                        user_name: name,
                        arn,
                        tags: tags(r),
                        permissions_boundary: r.str("permissions_boundary").map(|b| {
                            PermissionsBoundary {
                                permissions_boundary_type: Some("Policy".into()),
                                permissions_boundary_arn: b.to_string(),
                            }
                        }),
                        ..Default::default()
                    },
                );
            }
            "aws_iam_group" => {
                self.places.insert(arn.clone(), r.location.clone());
                self.groups.insert(
                    name.clone(),
                    GroupDetail {
                        path,
                        group_name: name,
                        arn,
                        ..Default::default()
                    },
                );
            }
            "aws_iam_policy" => {
                self.places.insert(arn.clone(), r.location.clone());
                self.policies.push(ManagedPolicyDetail {
                    policy_name: name,
                    arn,
                    path,
                    default_version_id: Some("v1".into()),
                    attachment_count: Some(1),
                    policy_version_list: vec![PolicyVersion {
                        document: r.str("policy").and_then(document),
                        version_id: "v1".into(),
                        is_default_version: true,
                        create_date: None,
                    }],
                    ..Default::default()
                });
            }
            "aws_iam_access_key" => {
                let Some(user) = r.str("user") else { return };
                let id = r
                    .str("id")
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("${{{}.id}}", r.address));
                self.keys.push(AccessKeyMetadata {
                    user_name: user.to_string(),
                    access_key_id: id.clone(),
                    status: r.str("status").unwrap_or("Active").to_string(),
                    create_date: r.str("create_date").map(str::to_string),
                    ..Default::default()
                });
                self.places.insert(id, r.location.clone());
            }
            "aws_iam_openid_connect_provider" => {
                self.oidc.push(OidcProvider {
                    arn,
                    url: r.str("url").unwrap_or_default().to_string(),
                    client_id_list: r.strs("client_id_list"),
                });
            }
            _ => self.link(r),
        }
    }

    /// The resources that join a policy to a principal or a user to a group; they come
    /// after the principals, whatever the order they are written in ([`Self::finish`]).
    fn link(&mut self, r: &Resource) {
        let kind = r.kind.as_str();
        let inline = |r: &Resource| InlinePolicy {
            policy_name: r.str("name").unwrap_or(&r.address).to_string(),
            policy_document: r.str("policy").and_then(document),
        };
        let pending = match kind {
            "aws_iam_role_policy" => Pending::Inline(Principal::Role, r.strs("role"), inline(r)),
            "aws_iam_user_policy" => Pending::Inline(Principal::User, r.strs("user"), inline(r)),
            "aws_iam_group_policy" => Pending::Inline(Principal::Group, r.strs("group"), inline(r)),
            "aws_iam_role_policy_attachment" => {
                Pending::Attach(Principal::Role, r.strs("role"), r.strs("policy_arn"))
            }
            "aws_iam_role_policy_attachments_exclusive" => {
                Pending::Attach(Principal::Role, r.strs("role_name"), r.strs("policy_arns"))
            }
            "aws_iam_user_policy_attachment" => {
                Pending::Attach(Principal::User, r.strs("user"), r.strs("policy_arn"))
            }
            "aws_iam_group_policy_attachment" => {
                Pending::Attach(Principal::Group, r.strs("group"), r.strs("policy_arn"))
            }
            "aws_iam_policy_attachment" => {
                let arns = r.strs("policy_arn");
                self.pending(
                    r,
                    Pending::Attach(Principal::Role, r.strs("roles"), arns.clone()),
                );
                self.pending(
                    r,
                    Pending::Attach(Principal::User, r.strs("users"), arns.clone()),
                );
                Pending::Attach(Principal::Group, r.strs("groups"), arns)
            }
            "aws_iam_group_membership" => Pending::Member(r.strs("users"), r.strs("group")),
            "aws_iam_user_group_membership" => Pending::Member(r.strs("user"), r.strs("groups")),
            _ => return,
        };
        self.pending(r, pending);
    }

    fn pending(&mut self, r: &Resource, pending: Pending) {
        self.links
            .push((r.location.clone(), r.address.clone(), pending));
    }

    fn warn(&mut self, r: &Resource, what: &str) {
        self.warnings
            .push((r.location.clone(), format!("{} {what}", r.address)));
    }

    fn finish(
        mut self,
        origin: &str,
    ) -> (
        AwsInput,
        HashMap<String, Location>,
        Granted,
        Vec<crate::model::SourceError>,
    ) {
        for (location, address, link) in std::mem::take(&mut self.links) {
            self.apply(&location, &address, link);
        }
        let mut warnings: Vec<_> = self
            .warnings
            .into_iter()
            .chain(self.dangling)
            .map(|(loc, message)| SourceKind::Iac.error(loc.to_string(), message))
            .collect();
        warnings.sort();
        let input = AwsInput {
            gaad: Gaad {
                user_detail_list: Some(self.users.into_values().collect()),
                group_detail_list: Some(self.groups.into_values().collect()),
                role_detail_list: Some(self.roles.into_values().collect()),
                policies: Some(self.policies),
            },
            credential_report: None,
            last_accessed: Default::default(),
            access_keys: self.keys,
            oidc_providers: self.oidc,
            origin: origin.to_string(),
        };
        (input, self.places, self.granted, warnings)
    }

    fn apply(&mut self, location: &Location, address: &str, link: Pending) {
        match link {
            Pending::Inline(kind, names, policy) => {
                for name in names {
                    match self.principal(kind, &name) {
                        Some(p) => {
                            let arn = p.arn();
                            p.inline().push(policy.clone());
                            let source = format!("inline:{}", policy.policy_name);
                            self.granted.insert((arn, source), location.clone());
                        }
                        None => self.dangle(location, address, kind, &name),
                    }
                }
            }
            Pending::Attach(kind, names, arns) => {
                for name in names {
                    match self.principal(kind, &name) {
                        Some(p) => {
                            let arn = p.arn();
                            p.attached().extend(arns.iter().map(|a| attached(a)));
                            for policy in &arns {
                                self.granted
                                    .insert((arn.clone(), policy.clone()), location.clone());
                            }
                        }
                        None => self.dangle(location, address, kind, &name),
                    }
                }
            }
            Pending::Member(users, groups) => {
                for user in users {
                    let Some(u) = self.users.get_mut(&user) else {
                        self.dangle(location, address, Principal::User, &user);
                        continue;
                    };
                    u.group_list.extend(groups.iter().cloned());
                }
                for g in groups {
                    if !self.groups.contains_key(&g) {
                        self.dangle(location, address, Principal::Group, &g);
                    }
                }
            }
        }
    }

    fn principal(&mut self, kind: Principal, name: &str) -> Option<PrincipalMut<'_>> {
        match kind {
            Principal::Role => self.roles.get_mut(name).map(PrincipalMut::Role),
            Principal::User => self.users.get_mut(name).map(PrincipalMut::User),
            Principal::Group => self.groups.get_mut(name).map(PrincipalMut::Group),
        }
    }

    fn dangle(&mut self, location: &Location, address: &str, kind: Principal, name: &str) {
        let what = match kind {
            Principal::Role => "role",
            Principal::User => "user",
            Principal::Group => "group",
        };
        self.dangling.push((
            location.clone(),
            format!("{address} names the {what} `{name}`, which is not defined in this module: it is judged where it is defined"),
        ));
    }
}

#[derive(Clone, Copy)]
enum Principal {
    Role,
    User,
    Group,
}

enum Pending {
    Inline(Principal, Vec<String>, InlinePolicy),
    Attach(Principal, Vec<String>, Vec<String>),
    /// Users, groups.
    Member(Vec<String>, Vec<String>),
}

enum PrincipalMut<'a> {
    Role(&'a mut RoleDetail),
    User(&'a mut UserDetail),
    Group(&'a mut GroupDetail),
}

impl<'a> PrincipalMut<'a> {
    fn arn(&self) -> String {
        match self {
            PrincipalMut::Role(r) => r.arn.clone(),
            PrincipalMut::User(u) => u.arn.clone(),
            PrincipalMut::Group(g) => g.arn.clone(),
        }
    }

    fn inline(self) -> &'a mut Vec<InlinePolicy> {
        match self {
            PrincipalMut::Role(r) => &mut r.role_policy_list,
            PrincipalMut::User(u) => &mut u.user_policy_list,
            PrincipalMut::Group(g) => &mut g.group_policy_list,
        }
    }

    fn attached(self) -> &'a mut Vec<AttachedPolicy> {
        match self {
            PrincipalMut::Role(r) => &mut r.attached_managed_policies,
            PrincipalMut::User(u) => &mut u.attached_managed_policies,
            PrincipalMut::Group(g) => &mut g.attached_managed_policies,
        }
    }
}

type Granted = HashMap<(String, String), Location>;

/// Moves what the normaliser located at ARNs to the resources that define them, and each
/// grant to the resource that grants it (an attachment, a role policy): the line a
/// reviewer changes. A principal's own location comes first, then those of what grants
/// it power.
fn relocate(inventory: &mut Inventory, places: &HashMap<String, Location>, granted: &Granted) {
    let mut granting: HashMap<String, Vec<Location>> = HashMap::new();
    for g in &mut inventory.grants {
        let arn = g.identity.strip_prefix("aws:").unwrap_or(&g.identity);
        if let Some(place) = granted.get(&(arn.to_string(), g.source.clone())) {
            g.location = Some(place.clone());
            granting
                .entry(g.identity.clone())
                .or_default()
                .push(place.clone());
        }
    }
    super::locate(inventory, places);
    for i in &mut inventory.identities {
        for place in granting.remove(i.id.as_str()).into_iter().flatten() {
            if !i.locations.contains(&place) {
                i.locations.push(place);
            }
        }
    }
    // A policy AWS manages is not in the code: not an error of the code, but what it
    // grants is unknown here.
    let (unknown, errors): (Vec<_>, Vec<_>) = std::mem::take(&mut inventory.errors)
        .into_iter()
        .partition(|e| e.message.contains("not in the export's Policies"));
    inventory.errors = errors;
    for e in unknown {
        let arn = e
            .location
            .rsplit(": ")
            .next()
            .unwrap_or_default()
            .to_string();
        let mut places: Vec<&Location> = granted
            .iter()
            .filter(|((_, policy), _)| *policy == arn)
            .map(|(_, place)| place)
            .collect();
        places.sort();
        places.dedup();
        let Some(first) = places.first() else {
            continue;
        };
        let also = match places.len() {
            1 => String::new(),
            n => format!(" (attached here and at {} other places)", n - 1),
        };
        inventory.warnings.push(SourceKind::Iac.error(
            first.to_string(),
            format!("{arn} is not defined in the code and not one nhi-audit knows: what it grants is unknown{also}; scan the account's authorization details with the code to judge it"),
        ));
    }
    for e in inventory
        .errors
        .iter_mut()
        .chain(inventory.warnings.iter_mut())
    {
        if let Some((arn, place)) = places
            .iter()
            .filter(|(arn, _)| e.location.contains(arn.as_str()))
            .max_by_key(|(arn, _)| arn.len())
        {
            e.message = format!("{arn}: {}", e.message);
            e.location = place.to_string();
        }
    }
}

/// `aws_bedrockagent_agent`: an agent that acts as the role it names.
fn bedrock_agents(resources: &[Resource], places: &HashMap<String, Location>) -> Inventory {
    let mut inventory = Inventory::default();
    for r in resources
        .iter()
        .filter(|r| r.mode == Mode::Managed && r.kind == "aws_bedrockagent_agent")
    {
        let name = r.str("agent_name").unwrap_or(&r.address).to_string();
        let id = format!(
            "iac:{}#{}",
            r.location.path().unwrap_or_default(),
            r.address
        );
        let mut agent = Agent {
            id: id.clone(),
            name,
            kind: AgentKind::AwsServiceAgent,
            confidence: Confidence::High,
            evidence: vec![Evidence::new(
                format!("{} defines an Amazon Bedrock agent", r.address),
                Some(r.location.clone()),
            )],
            source: SourceKind::Iac,
            locations: vec![r.location.clone()],
            facts: Default::default(),
        };
        if let Some(role) = r.str("agent_resource_role_arn") {
            inventory.edges.push(Edge {
                kind: EdgeKind::Holds,
                from: id,
                to: format!("aws:{role}"),
                evidence: format!("acts as {role}"),
                location: places
                    .get(role)
                    .cloned()
                    .or_else(|| Some(r.location.clone())),
            });
        } else {
            agent.confidence = Confidence::Medium;
        }
        inventory.agents.push(agent);
    }
    inventory
}
