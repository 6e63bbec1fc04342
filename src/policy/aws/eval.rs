//! Evaluating identity policies the way IAM does: an explicit `Deny` wins, then an
//! `Allow` is needed, and a permissions boundary must allow too. Conditions that decide
//! exploitability here are evaluated (dates against the token issue time and now, MFA);
//! others leave the outcome *conditional*.

use time::OffsetDateTime;

use super::document::{Condition, Effect, Patterns, Statement};

/// A statement and the policy it came from.
#[derive(Debug, Clone)]
pub struct Sourced {
    /// Shared: a managed policy's statements serve every principal it is attached to.
    pub statement: std::sync::Arc<Statement>,
    /// `inline:NAME`, the managed policy ARN, or `group:NAME/inline:NAME`.
    pub source: String,
}

/// Everything that decides what one principal may do.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    pub statements: Vec<Sourced>,
    /// `may_allow` answers, remembered: escalation checks ask the same few actions for
    /// every principal of the account. Behind a lock (uncontended: one principal is
    /// worked out by one thread) so that principals are analysed in parallel.
    pub may_allow_memo: Memo,
    /// The permissions boundary, when one is attached.
    pub boundary: Option<Vec<Statement>>,
}

/// Remembered answers, shareable across threads; a clone starts from the same answers.
#[derive(Debug, Default)]
pub struct Memo(std::sync::Mutex<rustc_hash::FxHashMap<String, bool>>);

impl Memo {
    fn lock(&self) -> std::sync::MutexGuard<'_, rustc_hash::FxHashMap<String, bool>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clone for Memo {
    fn clone(&self) -> Self {
        Memo(std::sync::Mutex::new(self.lock().clone()))
    }
}

/// The request context an attacker would present: a fresh session, now.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub now: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Allowed; `conditional` when a condition could not be decided offline.
    Allowed { conditional: bool, via: String },
    /// An explicit deny applies.
    Denied { via: String },
    /// No statement allows it.
    NotAllowed,
}

impl Access {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Access::Allowed { .. })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    True,
    False,
    Unknown,
}

/// IAM resource matching: `*` and `?` wildcards, case-sensitive.
pub fn resource_matches(pattern: &str, arn: &str) -> bool {
    glob(pattern.as_bytes(), arn.as_bytes(), false)
}

/// An iterative glob with backtracking on `*` (linear-time in practice, no recursion).
pub fn glob(pattern: &[u8], text: &[u8], ignore_case: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len()
            && (pattern[p] == b'?' || (pattern[p] != b'*' && eq(pattern[p], text[t])))
        {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

fn matches_action(st: &Statement, action: &str) -> bool {
    match &st.actions {
        Patterns::Only(p) => st.action_index.any_matches(p, action),
        Patterns::AllBut(p) => !st.action_index.any_matches(p, action),
    }
}

fn matches_resource(patterns: &Patterns, arn: &str) -> bool {
    match patterns {
        Patterns::Only(p) => p.iter().any(|p| resource_matches(p, arn)),
        Patterns::AllBut(p) => !p.iter().any(|p| resource_matches(p, arn)),
    }
}

fn condition(c: &Condition, ctx: &Context) -> Truth {
    let op = c.operator.trim_end_matches("IfExists");
    let key = c.key.to_ascii_lowercase();
    match key.as_str() {
        // A session minted now: issue time and current time are both `now`.
        "aws:tokenissuetime" | "aws:currenttime" => {
            let values: Vec<OffsetDateTime> = c
                .values
                .iter()
                .filter_map(|v| crate::timefmt::parse(v))
                .collect();
            if values.is_empty() {
                return Truth::Unknown;
            }
            let any = |f: &dyn Fn(&OffsetDateTime) -> bool| {
                if values.iter().any(f) {
                    Truth::True
                } else {
                    Truth::False
                }
            };
            match op {
                "DateLessThan" => any(&|v| ctx.now < *v),
                "DateLessThanEquals" => any(&|v| ctx.now <= *v),
                "DateGreaterThan" => any(&|v| ctx.now > *v),
                "DateGreaterThanEquals" => any(&|v| ctx.now >= *v),
                "DateEquals" => any(&|v| ctx.now == *v),
                "DateNotEquals" => any(&|v| ctx.now != *v),
                _ => Truth::Unknown,
            }
        }
        _ => Truth::Unknown,
    }
}

fn conditions(cs: &[Condition], ctx: &Context) -> Truth {
    let mut unknown = false;
    for c in cs {
        match condition(c, ctx) {
            Truth::False => return Truth::False,
            Truth::Unknown => unknown = true,
            Truth::True => {}
        }
    }
    if unknown { Truth::Unknown } else { Truth::True }
}

/// Whether `statements` allow the action (`names_action` says which statements name it)
/// on `resource`, ignoring denies.
fn allows<'s>(
    statements: impl IntoIterator<Item = (&'s Statement, &'s str)>,
    names_action: &impl Fn(&Statement) -> bool,
    resource: &str,
    ctx: &Context,
) -> Access {
    let mut conditional: Option<&str> = None;
    for (s, source) in statements {
        if s.effect != Effect::Allow
            || !names_action(s)
            || !matches_resource(&s.resources, resource)
        {
            continue;
        }
        match conditions(&s.conditions, ctx) {
            Truth::True => {
                return Access::Allowed {
                    conditional: false,
                    via: source.to_string(),
                };
            }
            Truth::Unknown => conditional = conditional.or(Some(source)),
            Truth::False => {}
        }
    }
    match conditional {
        Some(via) => Access::Allowed {
            conditional: true,
            via: via.to_string(),
        },
        None => Access::NotAllowed,
    }
}

/// Whether `st` is a deny that applies. A deny whose conditions cannot be decided is not
/// assumed to apply (an attacker picks the request that avoids it).
fn deny_applies(
    st: &Statement,
    names_action: &impl Fn(&Statement) -> bool,
    resource: &str,
    ctx: &Context,
) -> bool {
    st.effect == Effect::Deny
        && names_action(st)
        && matches_resource(&st.resources, resource)
        && conditions(&st.conditions, ctx) == Truth::True
}

/// One request decided the way IAM does: an explicit deny wins, then an allow is needed,
/// and the permissions boundary (when there is one) must allow it too.
fn decide<'s, S, B>(
    statements: S,
    boundary: Option<B>,
    names_action: impl Fn(&Statement) -> bool,
    resource: &str,
    ctx: &Context,
) -> Access
where
    S: Iterator<Item = (&'s Statement, &'s str)> + Clone,
    B: Iterator<Item = &'s Statement> + Clone,
{
    if let Some((_, via)) = statements
        .clone()
        .find(|(st, _)| deny_applies(st, &names_action, resource, ctx))
    {
        return Access::Denied {
            via: via.to_string(),
        };
    }
    let allowed = allows(statements, &names_action, resource, ctx);
    if !allowed.is_allowed() {
        return allowed;
    }
    if let Some(boundary) = boundary {
        if boundary
            .clone()
            .any(|st| deny_applies(st, &names_action, resource, ctx))
        {
            return Access::Denied {
                via: "permissions boundary".into(),
            };
        }
        if !allows(
            boundary.map(|s| (s, "permissions boundary")),
            &names_action,
            resource,
            ctx,
        )
        .is_allowed()
        {
            return Access::NotAllowed;
        }
    }
    allowed
}

/// The statements of a policy set that name one action: deciding that action on many
/// resources (every user of an account) then matches resources only.
pub struct ForAction<'p> {
    statements: Vec<(&'p Statement, &'p str)>,
    boundary: Option<Vec<&'p Statement>>,
}

impl<'p> ForAction<'p> {
    /// The same answer as [`PolicySet::check`] for this action.
    pub fn check(&self, resource: &str, ctx: &Context) -> Access {
        decide(
            self.statements.iter().copied(),
            self.boundary.as_ref().map(|b| b.iter().copied()),
            |_| true,
            resource,
            ctx,
        )
    }

    /// The only resources the action can be allowed on, when every allow names concrete
    /// resources (no wildcard, no `NotResource`): anything else is not allowed, without
    /// deciding it.
    pub fn only_on(&self) -> Option<Vec<&'p str>> {
        let mut out = Vec::new();
        for (s, _) in self
            .statements
            .iter()
            .filter(|(s, _)| s.effect == Effect::Allow)
        {
            match &s.resources {
                Patterns::Only(r) if r.iter().all(|r| !r.contains(['*', '?'])) => {
                    out.extend(r.iter().map(String::as_str));
                }
                _ => return None,
            }
        }
        Some(out)
    }

    /// Whether the answer is the same on every resource: each statement that names the
    /// action (the boundary's too) applies to `*`. Then one decision serves every target.
    pub fn same_everywhere(&self) -> bool {
        let everywhere =
            |s: &Statement| matches!(&s.resources, Patterns::Only(r) if r.iter().any(|r| r == "*"));
        self.statements.iter().all(|(s, _)| everywhere(s))
            && self
                .boundary
                .as_ref()
                .is_none_or(|b| b.iter().all(|s| everywhere(s)))
    }

    /// Whether no statement allows the action on any resource.
    pub fn never_allows(&self) -> bool {
        !self
            .statements
            .iter()
            .any(|(s, _)| s.effect == Effect::Allow)
    }
}

impl PolicySet {
    /// Decides one request.
    pub fn check(&self, action: &str, resource: &str, ctx: &Context) -> Access {
        decide(
            self.statements
                .iter()
                .map(|s| (&*s.statement, s.source.as_str())),
            self.boundary.as_ref().map(|b| b.iter()),
            |st| matches_action(st, action),
            resource,
            ctx,
        )
    }

    /// The statements that name `action`, for deciding it on many resources.
    pub fn for_action(&self, action: &str) -> ForAction<'_> {
        let names = |st: &Statement| matches_action(st, action);
        ForAction {
            statements: self
                .statements
                .iter()
                .filter(|s| names(&s.statement))
                .map(|s| (&*s.statement, s.source.as_str()))
                .collect(),
            boundary: self
                .boundary
                .as_ref()
                .map(|b| b.iter().filter(|s| names(s)).collect()),
        }
    }

    /// Whether any of `resources` may be acted on; returns the first that may.
    pub fn check_any<'r>(
        &self,
        action: &str,
        resources: impl IntoIterator<Item = &'r str>,
        ctx: &Context,
    ) -> Option<(&'r str, Access)> {
        resources.into_iter().find_map(|r| {
            let a = self.check(action, r, ctx);
            a.is_allowed().then_some((r, a))
        })
    }

    /// Whether any Allow statement names `action`, whatever its resource or conditions: a
    /// cheap filter before checking concrete resources.
    pub fn may_allow(&self, action: &str) -> bool {
        let mut memo = self.may_allow_memo.lock();
        if let Some(&known) = memo.get(action) {
            return known;
        }
        let answer = self
            .statements
            .iter()
            .any(|s| s.statement.effect == Effect::Allow && matches_action(&s.statement, action));
        memo.insert(action.to_string(), answer);
        answer
    }

    pub fn has_denies(&self) -> bool {
        self.statements
            .iter()
            .any(|s| s.statement.effect == Effect::Deny)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::policy::aws::document::parse;
    use serde_json::json;

    /// A policy set of one document's statements, for tests here and beside.
    pub(crate) fn set(doc: serde_json::Value) -> PolicySet {
        PolicySet {
            statements: parse(&doc)
                .unwrap()
                .into_iter()
                .map(|s| Sourced {
                    statement: std::sync::Arc::new(s),
                    source: "p".into(),
                })
                .collect(),
            boundary: None,
            may_allow_memo: Default::default(),
        }
    }

    #[test]
    fn an_action_on_star_is_decided_once_for_every_resource() {
        let everywhere = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:*", "Resource": ["arn:aws:iam::1:user/x", "*"]}
        ]}));
        assert!(
            everywhere
                .for_action("iam:CreateAccessKey")
                .same_everywhere()
        );
        // A named resource, or NotResource, makes the answer depend on the target.
        let named = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::1:user/admin"}
        ]}));
        assert!(!named.for_action("iam:CreateAccessKey").same_everywhere());
        let not_resource = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "iam:CreateAccessKey", "NotResource": "arn:aws:iam::1:user/admin"}
        ]}));
        assert!(
            !not_resource
                .for_action("iam:CreateAccessKey")
                .same_everywhere()
        );
        // Statements about other actions do not count.
        let other = set(json!({"Statement": [
            {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
        ]}));
        assert!(other.for_action("iam:CreateAccessKey").same_everywhere());
    }

    fn ctx() -> Context {
        Context {
            now: crate::timefmt::parse("2026-11-26T00:00:00Z").unwrap(),
        }
    }

    #[test]
    fn deny_wins_and_not_action_allows_the_rest() {
        let p = set(
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}, {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}),
        );
        assert!(matches!(
            p.check("iam:CreateAccessKey", "arn:aws:iam::1:user/x", &ctx()),
            Access::Denied { .. }
        ));
        let p = set(
            json!({"Statement": [{"Effect": "Allow", "NotAction": ["iam:Create*", "iam:Attach*"], "Resource": "*"}]}),
        );
        assert!(
            p.check("iam:PutUserPolicy", "arn:aws:iam::1:user/x", &ctx())
                .is_allowed()
        );
        assert!(
            !p.check("iam:CreateAccessKey", "arn:aws:iam::1:user/x", &ctx())
                .is_allowed()
        );
    }

    #[test]
    fn date_conditions_decide() {
        let old = set(
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*", "Condition": {"DateLessThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}}]}),
        );
        assert_eq!(
            old.check("iam:CreatePolicyVersion", "arn:aws:iam::1:policy/p", &ctx()),
            Access::NotAllowed
        );
        let new = set(
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}}]}),
        );
        assert_eq!(
            new.check("iam:CreatePolicyVersion", "arn:aws:iam::1:policy/p", &ctx()),
            Access::Allowed {
                conditional: false,
                via: "p".into()
            }
        );
        let other = set(
            json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x"}}}]}),
        );
        assert!(matches!(
            other.check("s3:GetObject", "arn:aws:s3:::b/k", &ctx()),
            Access::Allowed {
                conditional: true,
                ..
            }
        ));
    }

    #[test]
    fn one_action_decided_on_many_resources_answers_as_check_does() {
        let docs = [
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}, {"Effect": "Deny", "Action": "iam:Put*", "Resource": "arn:aws:iam::1:user/admin*"}]}),
            json!({"Statement": [{"Effect": "Allow", "NotAction": "iam:Attach*", "NotResource": "arn:aws:iam::1:role/*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:PutUserPolicy", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "x"}}}, {"Effect": "Allow", "Action": "iam:AttachUserPolicy", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}]}),
        ];
        let boundary = parse(&json!({"Statement": [{"Effect": "Allow", "Action": ["iam:PutUserPolicy", "iam:AttachRolePolicy"], "Resource": "*"}]})).unwrap();
        let actions = [
            "iam:PutUserPolicy",
            "iam:AttachUserPolicy",
            "iam:AttachRolePolicy",
            "s3:GetObject",
        ];
        let resources = [
            "arn:aws:iam::1:user/admin-1",
            "arn:aws:iam::1:user/bob",
            "arn:aws:iam::1:role/r",
            "*",
        ];
        let mut decided = std::collections::BTreeSet::new();
        for doc in docs {
            for with_boundary in [false, true] {
                let mut p = set(doc.clone());
                if with_boundary {
                    p.boundary = Some(boundary.clone());
                }
                for a in actions {
                    let view = p.for_action(a);
                    for r in resources {
                        let want = p.check(a, r, &ctx());
                        assert_eq!(view.check(r, &ctx()), want, "{a} on {r} ({doc})");
                        decided.insert(format!("{want:?}").split(' ').next().unwrap().to_string());
                    }
                }
            }
        }
        // Every outcome occurs, so the comparison covers each branch.
        assert_eq!(decided.len(), 3, "{decided:?}");
    }

    #[test]
    fn concrete_resources_bound_where_an_action_can_be_allowed() {
        let named = set(
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": ["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"]}, {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}),
        );
        assert_eq!(
            named.for_action("iam:PutRolePolicy").only_on(),
            Some(vec!["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"])
        );
        for doc in [
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "arn:aws:iam::1:role/a*"}]}),
            json!({"Statement": [{"Effect": "Allow", "Action": "iam:PutRolePolicy", "NotResource": "arn:aws:iam::1:role/a"}]}),
        ] {
            assert_eq!(set(doc).for_action("iam:PutRolePolicy").only_on(), None);
        }
    }

    #[test]
    fn resources_and_globs() {
        assert!(resource_matches(
            "arn:aws:iam::*:policy/fn2-*",
            "arn:aws:iam::2006:policy/fn2-x"
        ));
        assert!(!resource_matches(
            "arn:aws:iam::aws:policy/fp4-*",
            "arn:aws:iam::2006:policy/fp4-x"
        ));
        assert!(glob(b"a*b*c", b"axxbyyc", false));
        assert!(!glob(b"a*b", b"ab c", false));
        assert!(glob(b"IAM:get*", b"iam:GetUser", true));
    }
}
