//! Access keys: from the access key listing when the export has one, else from the
//! credential report; and the users only the credential report knows.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;
use serde_json::{Value, json};

use super::{Principal, account_of};
use crate::model::{
    AccessLevel, Confidence, Credential, CredentialKind, Identity, IdentityKind, Lifetime,
    Location, Provider, Storage,
};
use crate::sources::aws::credential_report::Row;
use crate::sources::aws::{AccessKeyMetadata, AwsInput};
use crate::timefmt;

/// The account's credential report rows and listed keys, looked up by principal.
pub(super) struct KeySources<'a> {
    rows: HashMap<&'a str, &'a Row>,
    listed: HashMap<&'a str, Vec<&'a AccessKeyMetadata>>,
}

/// A user's keys: their facts, and the ids of the credentials made of them.
#[derive(Default)]
pub(super) struct UserKeys {
    pub facts: Vec<Value>,
    pub credentials: Vec<String>,
}

impl<'a> KeySources<'a> {
    pub fn new(input: &'a AwsInput) -> Self {
        let rows = input
            .credential_report
            .iter()
            .flat_map(|r| r.rows.iter())
            .map(|r| (r.arn.as_str(), r))
            .collect();
        let mut listed: HashMap<&str, Vec<&AccessKeyMetadata>> = HashMap::default();
        for k in &input.access_keys {
            listed.entry(k.user_name.as_str()).or_default().push(k);
        }
        KeySources { rows, listed }
    }

    /// The credential report's row of principal `arn`.
    pub fn row(&self, arn: &str) -> Option<&'a Row> {
        self.rows.get(arn).copied()
    }

    /// A user's keys, in slot order: from the access key listing when it names the user,
    /// else from the credential report. Each becomes a credential in `out`.
    pub fn user_keys(
        &self,
        p: &Principal,
        id: &str,
        loc: &Location,
        now: time::OffsetDateTime,
        out: &mut Vec<Credential>,
    ) -> UserKeys {
        let mut slots: Vec<KeyFacts> = match self.listed.get(p.name.as_str()) {
            Some(list) => list
                .iter()
                .map(|k| KeyFacts::from_listing(k, now))
                .collect(),
            None => self
                .row(&p.arn)
                .map(|r| KeyFacts::from_report(r, now))
                .unwrap_or_default(),
        };
        slots.sort_by(|a, b| a.name.cmp(&b.name));
        let mut keys = UserKeys::default();
        for k in slots {
            let cid = match &k.key_id {
                Some(kid) => format!("aws-key:{kid}"),
                None => format!("aws-key:{}#{}", p.arn, k.name),
            };
            out.push(Credential {
                name: Some(
                    k.key_id
                        .clone()
                        .unwrap_or_else(|| format!("{} {}", p.name, k.name)),
                ),
                identity: Some(id.to_string()),
                locations: vec![loc.clone()],
                created_at: k.created.clone(),
                last_used_at: k.last_used.clone(),
                key_id: k.key_id.clone(),
                ..Credential::new(
                    cid.clone(),
                    CredentialKind::AwsAccessKey,
                    Provider::Aws,
                    Lifetime::Static,
                    Storage::Issued,
                    Confidence::High,
                )
            });
            keys.credentials.push(cid);
            keys.facts.push(k.to_json());
        }
        keys
    }

    /// Users the credential report knows and the export does not (the root user always,
    /// and users of an export taken at another time): keys and use, permissions unknown.
    pub fn report_only(
        &self,
        input: &AwsInput,
        known: &HashMap<&str, usize>,
        now: time::OffsetDateTime,
    ) -> Vec<(Identity, Vec<Credential>)> {
        input
            .credential_report
            .iter()
            .flat_map(|r| r.rows.iter())
            .filter(|row| !row.arn.is_empty() && !known.contains_key(row.arn.as_str()))
            .map(|row| report_only_identity(row, now))
            .collect()
    }
}

fn report_only_identity(row: &Row, now: time::OffsetDateTime) -> (Identity, Vec<Credential>) {
    let root = row.arn.ends_with(":root");
    let id = format!("aws:{}", row.arn);
    let loc = Location::Uri {
        uri: row.arn.clone(),
    };
    let keys = KeyFacts::from_report(row, now);
    let credentials: Vec<Credential> = keys
        .iter()
        .map(|k| Credential {
            name: Some(format!("{} {}", row.user, k.name)),
            identity: Some(id.clone()),
            locations: vec![loc.clone()],
            created_at: k.created.clone(),
            last_used_at: k.last_used.clone(),
            ..Credential::new(
                format!("aws-key:{}#{}", row.arn, k.name),
                CredentialKind::AwsAccessKey,
                Provider::Aws,
                Lifetime::Static,
                Storage::Issued,
                Confidence::High,
            )
        })
        .collect();
    let key_json: Vec<Value> = keys.iter().map(KeyFacts::to_json).collect();
    let created = row.get("user_creation_time").and_then(timefmt::normalize);
    let last_used = [row.get("password_last_used").and_then(timefmt::normalize)]
        .into_iter()
        .flatten()
        .chain(keys.iter().filter_map(|k| k.last_used.clone()))
        .max();
    let idle_days = last_used
        .as_deref()
        .or(created.as_deref())
        .and_then(timefmt::parse)
        .map(|d| timefmt::days_since(d, now));
    let mut facts = BTreeMap::new();
    facts.insert("aws".to_string(), json!({
        "arn": row.arn, "account": account_of(&row.arn), "type": if root { "root" } else { "user" },
        "path": "/", "service_linked": false, "access_level": null, "admin": root,
        "wildcard_services": [], "permissions_management": [], "escalations": [],
        "escalation_summary": [], "lateral_moves": [],
        "power_over": [], "power_over_count": if root { Value::Null } else { json!(0) },
        "power_over_everyone": root, "power_over_unreported": 0, "power_over_summary": "",
        "services": if root { json!({"*": "admin"}) } else { json!({}) },
        "keys": key_json, "active_keys": keys.iter().filter(|k| k.active).count(),
        "password_enabled": row.flag("password_enabled"), "mfa_active": row.flag("mfa_active"),
        "root": root, "idle_days": idle_days,
        "trust": {"services": [], "aws": [], "federated": [], "any_principal": false, "confused_deputy_services": [], "github_oidc": [], "github_oidc_issues": []},
        "max_session_hours": null, "owner": null, "policy_creep": [],
        "only_in_credential_report": true,
    }));
    let identity = Identity {
        id: id.clone(),
        kind: if root {
            IdentityKind::AwsRoot
        } else {
            IdentityKind::AwsUser
        },
        provider: Provider::Aws,
        name: row.user.clone(),
        agents: Vec::new(),
        access_level: root.then_some(AccessLevel::Admin),
        owner: None,
        human: root,
        created_at: created,
        last_used_at: last_used,
        expires_at: None,
        credentials: credentials.iter().map(|c| c.id.clone()).collect(),
        locations: vec![loc],
        tags: Default::default(),
        facts,
    };
    (identity, credentials)
}

/// One access key's facts.
#[derive(Default)]
struct KeyFacts {
    name: String,
    key_id: Option<String>,
    active: bool,
    created: Option<String>,
    last_used: Option<String>,
    age_days: Option<i64>,
    last_used_days: Option<i64>,
}

impl KeyFacts {
    fn new(
        name: String,
        key_id: Option<String>,
        active: bool,
        created: Option<String>,
        last_used: Option<String>,
        now: time::OffsetDateTime,
    ) -> Self {
        let days = |d: &Option<String>| {
            d.as_deref()
                .and_then(timefmt::parse)
                .map(|d| timefmt::days_since(d, now))
        };
        KeyFacts {
            name,
            key_id,
            active,
            age_days: days(&created),
            last_used_days: days(&last_used),
            created,
            last_used,
        }
    }

    fn from_listing(k: &AccessKeyMetadata, now: time::OffsetDateTime) -> Self {
        Self::new(
            k.access_key_id.clone(),
            Some(k.access_key_id.clone()),
            k.status.eq_ignore_ascii_case("Active"),
            k.create_date.as_deref().and_then(timefmt::normalize),
            k.last_used_date.as_deref().and_then(timefmt::normalize),
            now,
        )
    }

    fn from_report(r: &Row, now: time::OffsetDateTime) -> Vec<Self> {
        (1..=2)
            .filter_map(|n| {
                let active = r.flag(&format!("access_key_{n}_active"));
                let created = r
                    .get(&format!("access_key_{n}_last_rotated"))
                    .and_then(timefmt::normalize);
                if !active && created.is_none() {
                    return None;
                }
                let last_used = r
                    .get(&format!("access_key_{n}_last_used_date"))
                    .and_then(timefmt::normalize);
                Some(Self::new(
                    format!("key{n}"),
                    None,
                    active,
                    created,
                    last_used,
                    now,
                ))
            })
            .collect()
    }

    fn to_json(&self) -> Value {
        json!({
            "id": self.key_id, "slot": self.name, "active": self.active,
            "created": self.created, "last_used": self.last_used,
            "age_days": self.age_days, "last_used_days": self.last_used_days,
            "never_used": self.last_used.is_none(),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_input::{input, resolve};
    use super::*;
    use crate::sources::aws::CredentialReport;

    const USER: &str = "arn:aws:iam::111122223333:user/ci";

    fn gaad() -> Value {
        json!({"UserDetailList": [{"Path": "/", "UserName": "ci", "UserId": "U", "Arn": USER}]})
    }

    fn report(rows: &str) -> CredentialReport {
        let csv = format!(
            "user,arn,user_creation_time,password_enabled,password_last_used,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date\n{rows}"
        );
        let mut errors = Vec::new();
        crate::sources::aws::read_credential_report(&csv, "report.csv", &mut errors)
            .expect("a credential report")
    }

    fn key(id: &str, status: &str, last_used: Option<&str>) -> AccessKeyMetadata {
        AccessKeyMetadata {
            user_name: "ci".into(),
            access_key_id: id.into(),
            status: status.into(),
            create_date: Some("2024-01-01T00:00:00Z".into()),
            last_used_date: last_used.map(str::to_string),
            last_used_service: None,
        }
    }

    #[test]
    fn a_user_with_two_listed_keys_one_inactive() {
        let mut input = input(gaad());
        input.access_keys = vec![
            key("AKIAEXAMPLEBBBBBBBBB", "Inactive", None),
            key(
                "AKIAEXAMPLEAAAAAAAAA",
                "Active",
                Some("2024-06-01T00:00:00Z"),
            ),
        ];
        let (principals, _, _) = resolve(&input);
        let sources = KeySources::new(&input);
        let loc = Location::Uri { uri: USER.into() };
        let mut credentials = Vec::new();
        let now = crate::timefmt::now();
        let keys = sources.user_keys(&principals[0], "aws:u", &loc, now, &mut credentials);
        assert_eq!(
            keys.credentials,
            [
                "aws-key:AKIAEXAMPLEAAAAAAAAA",
                "aws-key:AKIAEXAMPLEBBBBBBBBB"
            ]
        );
        let active: Vec<bool> = keys.facts.iter().map(|k| k["active"] == true).collect();
        assert_eq!(active, [true, false]);
        assert_eq!(keys.facts[0]["last_used"], "2024-06-01T00:00:00Z");
        assert_eq!(keys.facts[1]["never_used"], true);
        assert_eq!(credentials.len(), 2);
        assert_eq!(credentials[0].identity.as_deref(), Some("aws:u"));
        assert_eq!(
            credentials[1].key_id.as_deref(),
            Some("AKIAEXAMPLEBBBBBBBBB")
        );
    }

    #[test]
    fn without_a_listing_the_credential_report_gives_the_key_slots() {
        let mut input = input(gaad());
        input.credential_report = Some(report(&format!(
            "ci,{USER},2024-01-01T00:00:00+00:00,false,N/A,false,true,2024-02-01T00:00:00+00:00,N/A,false,N/A,N/A\n\
             <root_account>,arn:aws:iam::111122223333:root,2020-01-01T00:00:00+00:00,true,N/A,true,false,N/A,N/A,false,N/A,N/A"
        )));
        let (principals, _, _) = resolve(&input);
        let sources = KeySources::new(&input);
        let loc = Location::Uri { uri: USER.into() };
        let mut credentials = Vec::new();
        let now = crate::timefmt::now();
        let keys = sources.user_keys(&principals[0], "aws:u", &loc, now, &mut credentials);
        assert_eq!(keys.credentials, [format!("aws-key:{USER}#key1")]);
        assert_eq!(keys.facts[0]["slot"], "key1");
        assert_eq!(keys.facts[0]["created"], "2024-02-01T00:00:00Z");
        assert_eq!(credentials[0].name.as_deref(), Some("ci key1"));

        // The root user is only in the report.
        let known: HashMap<&str, usize> = [(USER, 0)].into_iter().collect();
        let only = sources.report_only(&input, &known, now);
        assert_eq!(only.len(), 1);
        let (root, root_keys) = &only[0];
        assert_eq!(root.id, "aws:arn:aws:iam::111122223333:root");
        assert_eq!(root.kind, "aws-root");
        assert!(root.human);
        assert!(root_keys.is_empty());
        assert_eq!(root.facts["aws"]["only_in_credential_report"], true);
        assert_eq!(root.facts["aws"]["mfa_active"], true);
    }
}
