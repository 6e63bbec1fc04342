import json, os
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "rules")
ACCT = "111122223333"
def user(name, policies=(), tags=(), groups=()):
    return {"Path": "/", "UserName": name, "UserId": "AIDA" + name.upper()[:12], "Arn": f"arn:aws:iam::{ACCT}:user/{name}",
            "CreateDate": "2024-01-02T00:00:00Z", "GroupList": list(groups), "AttachedManagedPolicies": [],
            "UserPolicyList": [{"PolicyName": f"p{i}", "PolicyDocument": d} for i, d in enumerate(policies)],
            "Tags": [{"Key": k, "Value": v} for k, v in tags]}
def role(name, trust, policies=(), tags=(), attached=(), last_used=None, profile=False):
    r = {"Path": "/", "RoleName": name, "RoleId": "AROA" + name.upper()[:12], "Arn": f"arn:aws:iam::{ACCT}:role/{name}",
         "CreateDate": "2024-01-02T00:00:00Z", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": trust},
         "InstanceProfileList": [{"InstanceProfileName": name, "Arn": f"arn:aws:iam::{ACCT}:instance-profile/{name}"}] if profile else [],
         "RolePolicyList": [{"PolicyName": f"p{i}", "PolicyDocument": d} for i, d in enumerate(policies)],
         "AttachedManagedPolicies": [{"PolicyName": a.split('/')[-1], "PolicyArn": a} for a in attached],
         "Tags": [{"Key": k, "Value": v} for k, v in tags]}
    if last_used: r["RoleLastUsed"] = {"LastUsedDate": last_used, "Region": "us-east-1"}
    return r
def doc(*stmts): return {"Version": "2012-10-17", "Statement": list(stmts)}
def allow(actions, resource="*", **kw): return dict({"Effect": "Allow", "Action": actions, "Resource": resource}, **kw)
def svc(s, cond=None):
    st = {"Effect": "Allow", "Principal": {"Service": s}, "Action": "sts:AssumeRole"}
    if cond: st["Condition"] = cond
    return st
def put(rule, kind, users=(), roles=(), policies=(), groups=(), report=None):
    d = os.path.join(root, rule, kind); os.makedirs(d, exist_ok=True)
    gaad = {"UserDetailList": list(users), "GroupDetailList": list(groups), "RoleDetailList": list(roles), "Policies": list(policies)}
    json.dump(gaad, open(os.path.join(d, "gaad.json"), "w"), indent=2)
    if report:
        hdr = "user,arn,user_creation_time,password_enabled,password_last_used,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date"
        open(os.path.join(d, "credential-report.csv"), "w").write(hdr + "\n" + "\n".join(report) + "\n")
AGENT = [("nhi:agent", "true"), ("owner", "ml-platform")]
# "Fresh" dates lie in the future on purpose, so these fixtures never age past a limit.
OLD, FUTURE = "2020-01-01T00:00:00+00:00", "2099-01-01T00:00:00+00:00"
arn = lambda n: f"arn:aws:iam::{ACCT}:user/{n}"
put("NHI-AWS-001", "match", users=[user("bot")], report=[f"bot,{arn('bot')},{OLD},false,N/A,false,true,{OLD},{FUTURE},false,N/A,N/A"])
put("NHI-AWS-001", "no-match", users=[user("bot")], report=[f"bot,{arn('bot')},{OLD},false,N/A,false,true,{FUTURE},{FUTURE},false,N/A,N/A"])
put("NHI-AWS-002", "match", users=[user("bot")], report=[f"bot,{arn('bot')},{OLD},false,N/A,false,true,{FUTURE},{FUTURE},true,{FUTURE},{FUTURE}"])
put("NHI-AWS-002", "no-match", users=[user("bot")], report=[f"bot,{arn('bot')},{OLD},false,N/A,false,true,{FUTURE},{FUTURE},false,{OLD},N/A"])
lam = svc("lambda.amazonaws.com")
put("NHI-AWS-003", "match", roles=[role("old-job", [lam], last_used="2020-02-01T00:00:00Z")])
put("NHI-AWS-003", "no-match", roles=[role("new-job", [lam], last_used="2099-02-01T00:00:00Z")])
put("NHI-AWS-004", "match", users=[user("bot")], report=[f"bot,{arn('bot')},{OLD},false,N/A,false,true,{OLD},N/A,false,N/A,N/A"])
put("NHI-AWS-004", "no-match", users=[user("bot")], report=[f"bot,{arn('bot')},{OLD},false,N/A,false,true,{OLD},{FUTURE},false,N/A,N/A"])
bed = svc("bedrock.amazonaws.com", {"StringEquals": {"aws:SourceAccount": ACCT}})
put("NHI-AWS-005", "match", roles=[role("support-agent", [bed], [doc(allow("*"))], AGENT)])
put("NHI-AWS-005", "no-match", roles=[role("support-agent", [bed], [doc(allow(["s3:GetObject"], "arn:aws:s3:::kb/*"))], AGENT)])
put("NHI-AWS-006", "match", roles=[role("support-agent", [bed], [doc(allow(["iam:AttachRolePolicy", "s3:GetObject"]))], AGENT)])
put("NHI-AWS-006", "no-match", roles=[role("support-agent", [bed], [doc(allow(["s3:GetObject"]))], AGENT)])
put("NHI-AWS-007", "match", roles=[role("support-agent", [bed], [doc(allow("dynamodb:*"))], AGENT)])
put("NHI-AWS-007", "no-match", roles=[role("support-agent", [bed], [doc(allow(["dynamodb:GetItem", "dynamodb:Query"]))], AGENT)])
gh = lambda cond: {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond}
put("NHI-AWS-008", "match", roles=[role("deploy", [gh({"StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}, "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}})])])
put("NHI-AWS-008", "no-match", roles=[role("deploy", [gh({"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:acme/api:environment:prod", "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}})])])
put("NHI-AWS-009", "match", roles=[role("kb-agent", [svc("bedrock.amazonaws.com")], [doc(allow(["s3:GetObject"]))], AGENT)])
put("NHI-AWS-009", "no-match", roles=[role("kb-agent", [bed], [doc(allow(["s3:GetObject"]))], AGENT)])
r10 = role("kb-agent", [bed], [doc(allow(["s3:GetObject"]))], AGENT); r10["MaxSessionDuration"] = 43200
r10n = role("kb-agent", [bed], [doc(allow(["s3:GetObject"]))], AGENT); r10n["MaxSessionDuration"] = 3600
put("NHI-AWS-010", "match", roles=[r10]); put("NHI-AWS-010", "no-match", roles=[r10n])
put("NHI-AWS-011", "match", roles=[role("kb-agent", [bed], [doc(allow(["s3:GetObject"]))], [("nhi:agent", "true")])])
put("NHI-AWS-011", "no-match", roles=[role("kb-agent", [bed], [doc(allow(["s3:GetObject"]))], AGENT)])
pol = f"arn:aws:iam::{ACCT}:policy/kb-access"
def managed(versions, default):
    return {"PolicyName": "kb-access", "PolicyId": "ANPAKB", "Arn": pol, "Path": "/", "DefaultVersionId": default, "AttachmentCount": 1,
            "PolicyVersionList": [{"Document": d, "VersionId": v, "IsDefaultVersion": v == default, "CreateDate": c} for v, d, c in versions]}
ro = doc(allow(["s3:GetObject", "s3:ListBucket"], "arn:aws:s3:::kb/*")); rw = doc(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::kb/*"))
put("NHI-AWS-012", "match", roles=[role("kb-agent", [bed], attached=[pol], tags=AGENT)], policies=[managed([("v1", ro, "2024-01-01T00:00:00Z"), ("v2", rw, "2024-06-01T00:00:00Z")], "v2")])
put("NHI-AWS-012", "no-match", roles=[role("kb-agent", [bed], attached=[pol], tags=AGENT)], policies=[managed([("v1", ro, "2024-01-01T00:00:00Z"), ("v2", ro, "2024-06-01T00:00:00Z")], "v2")])
put("NHI-AWS-013", "match", users=[user("ci-bot", [doc(allow("iam:AttachUserPolicy", arn("ci-bot")))])])
put("NHI-AWS-013", "no-match", users=[user("ci-bot", [doc(allow("iam:AttachUserPolicy", arn("someone-else")))])])
acct_trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:role/start"}, "Action": "sts:AssumeRole"}
put("NHI-AWS-014", "match", roles=[role("start", [lam], [doc(allow("s3:GetObject"))]), role("admin", [acct_trust], [doc(allow("*"))])])
put("NHI-AWS-014", "no-match", roles=[role("start", [lam], [doc(allow("s3:GetObject"))]), role("admin", [dict(acct_trust, Principal={"AWS": f"arn:aws:iam::{ACCT}:role/other"})], [doc(allow("*"))])])
put("NHI-AWS-015", "match", roles=[role("shared", [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}])])
put("NHI-AWS-015", "no-match", roles=[role("shared", [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}])])
# A code update scoped to the account's functions (not `*`) still reaches a role Lambda runs as;
# a deny on the same functions takes it away.
fns = f"arn:aws:lambda:*:{ACCT}:function:*"
admin_fn = role("admin-fn", [lam], [doc(allow("*"))])
put("NHI-AWS-013", "match-resource-scoped", users=[user("ci-bot", [doc(allow("lambda:UpdateFunctionCode", fns))])], roles=[admin_fn])
put("NHI-AWS-013", "no-match-resource-scoped", users=[user("ci-bot", [doc(allow("lambda:UpdateFunctionCode", fns), {"Effect": "Deny", "Action": "lambda:*", "Resource": fns})])], roles=[admin_fn])
# Power over others: a role that can attach policies to the account's users (it cannot
# attach one to itself), and one that can write a new version of a policy attached to a
# user. Not reported: a user whose same power reaches itself (NHI-AWS-013 reports it), and
# the power taken away by a deny.
users_star = f"arn:aws:iam::{ACCT}:user/*"
put("NHI-AWS-017", "match", users=[user("alice"), user("bob")], roles=[role("ops-automation", [lam], [doc(allow("iam:AttachUserPolicy", users_star))])])
shared = f"arn:aws:iam::{ACCT}:policy/shared-data"
shared_policy = {"PolicyName": "shared-data", "PolicyId": "ANPASHARED", "Arn": shared, "Path": "/", "DefaultVersionId": "v1", "AttachmentCount": 1,
                 "PolicyVersionList": [{"Document": ro, "VersionId": "v1", "IsDefaultVersion": True, "CreateDate": "2024-01-01T00:00:00Z"}]}
alice_shared = dict(user("alice"), AttachedManagedPolicies=[{"PolicyName": "shared-data", "PolicyArn": shared}])
put("NHI-AWS-017", "match-policy-version", users=[alice_shared], roles=[role("policy-editor", [lam], [doc(allow("iam:CreatePolicyVersion", shared))])], policies=[shared_policy])
put("NHI-AWS-017", "no-match", users=[user("alice"), user("ops-bot", [doc(allow("iam:AttachUserPolicy", users_star))])])
put("NHI-AWS-017", "no-match-denied", users=[user("alice")], roles=[role("ops-automation", [lam], [doc(allow("iam:AttachUserPolicy"), {"Effect": "Deny", "Action": "iam:Attach*", "Resource": users_star})])])
print("ok")
