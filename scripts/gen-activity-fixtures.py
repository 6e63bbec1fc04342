#!/usr/bin/env python3
"""Writes the activity-log fixtures: the rule examples of NHI-ACT-001..006 and the
three-of-forty scenario (fixtures/activity/three-of-forty).

Records follow AWS's "CloudTrail record contents" and "userIdentity element" references
(the AssumedRole and IAMUser shapes, `sessionContext.sessionIssuer`,
`sessionContext.sourceIdentity`, `resources[].ARN`); the GAAD exports follow
`aws iam get-account-authorization-details`. Run from the repository root:

    python3 scripts/gen-activity-fixtures.py
"""
import gzip
import json
import os
from datetime import datetime, timedelta, timezone

ACCOUNT = "111122223333"
BASE = datetime(2024, 9, 1, 12, 0, 0, tzinfo=timezone.utc)


def ts(days=0, minutes=0):
    return (BASE + timedelta(days=days, minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def role(name, actions, tags=(("nhi:agent", "true"),), trust_service="bedrock.amazonaws.com"):
    return {
        "Path": "/",
        "RoleName": name,
        "RoleId": "AROA" + name.upper().replace("-", "")[:12].ljust(12, "X"),
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "CreateDate": "2024-01-02T00:00:00Z",
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": trust_service},
                           "Action": "sts:AssumeRole"}],
        },
        "InstanceProfileList": [],
        "RolePolicyList": [{
            "PolicyName": "agent-access",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": list(actions), "Resource": "*"}]},
        }],
        "AttachedManagedPolicies": [],
        "Tags": [{"Key": k, "Value": v} for k, v in tags],
    }


def user(name, actions):
    return {
        "Path": "/",
        "UserName": name,
        "UserId": "AIDA" + name.upper()[:12].ljust(12, "X"),
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "CreateDate": "2024-01-02T00:00:00Z",
        "UserPolicyList": [{
            "PolicyName": "work",
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": list(actions), "Resource": "*"}]},
        }],
        "GroupList": [],
        "AttachedManagedPolicies": [],
        "Tags": [],
    }


def gaad(roles=(), users=()):
    return {"UserDetailList": list(users), "GroupDetailList": [], "RoleDetailList": list(roles),
            "Policies": []}


def assumed(role_name, session, started, source_identity=None):
    ident = {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLEROLEID:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLESESSION01",
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEROLEID",
                              "arn": f"arn:aws:iam::{ACCOUNT}:role/{role_name}",
                              "accountId": ACCOUNT, "userName": role_name},
            "attributes": {"creationDate": started, "mfaAuthenticated": "false"},
        },
    }
    if source_identity:
        ident["sessionContext"]["sourceIdentity"] = source_identity
    return ident


def iam_user(name):
    return {"type": "IAMUser", "principalId": "AIDAEXAMPLEUSERID01",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}", "accountId": ACCOUNT,
            "userName": name}


def record(identity, source, name, when, resources=(), ua="aws-cli/2.15.30 Python/3.11.8",
           error=None, n=[0]):
    n[0] += 1
    rec = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": when,
        "eventSource": f"{source}.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": ua,
        "requestParameters": {"example": True},
        "responseElements": None,
        "requestID": f"req-{n[0]:06d}",
        "eventID": f"00000000-0000-4000-8000-{n[0]:012d}",
        "readOnly": name.startswith(("Get", "List", "Describe", "Query")),
        "eventType": "AwsApiCall",
        "managementEvent": source not in ("s3", "dynamodb", "sqs"),
        "recipientAccountId": ACCOUNT,
    }
    if resources:
        rec["resources"] = [{"accountId": ACCOUNT, "type": t, "ARN": a} for t, a in resources]
    if error:
        rec["errorCode"] = error
        rec["errorMessage"] = "User is not authorized to perform this action"
    return rec


def write(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def trail(path, records):
    write(path, {"Records": records})


OBJ = [("AWS::S3::Object", "arn:aws:s3:::support-tickets/open.json")]
CLAUDE = "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64 app/claude-code"
MCP = "Boto3/1.34.0 Python/3.12.1 Botocore/1.34.0 awslabs/mcp/aws-api-mcp-server/0.2.1"


def rules():
    d = "fixtures/rules"
    agent = lambda *acts: gaad(roles=[role("support-agent", acts)])
    s = lambda days, session="run-1", **kw: assumed("support-agent", session, ts(days), **kw)

    # NHI-ACT-001: granted Get, Put, Delete; used Get only.
    write(f"{d}/NHI-ACT-001/match/gaad.json",
          agent("s3:GetObject", "s3:PutObject", "s3:DeleteObject"))
    trail(f"{d}/NHI-ACT-001/match/cloudtrail.json",
          [record(s(i), "s3", "GetObject", ts(i), OBJ) for i in range(3)])
    write(f"{d}/NHI-ACT-001/no-match/gaad.json", agent("s3:GetObject", "s3:PutObject"))
    trail(f"{d}/NHI-ACT-001/no-match/cloudtrail.json",
          [record(s(0), "s3", "GetObject", ts(0), OBJ),
           record(s(1), "s3", "PutObject", ts(1), OBJ)])

    # NHI-ACT-002: reads for 45 days, then a write; and a write from the second day.
    write(f"{d}/NHI-ACT-002/match/gaad.json", agent("s3:GetObject", "s3:PutObject"))
    trail(f"{d}/NHI-ACT-002/match/cloudtrail.json",
          [record(s(i), "s3", "GetObject", ts(i), OBJ) for i in range(0, 45, 5)]
          + [record(s(45), "s3", "PutObject", ts(45), OBJ)])
    write(f"{d}/NHI-ACT-002/no-match/gaad.json", agent("s3:GetObject", "s3:PutObject"))
    trail(f"{d}/NHI-ACT-002/no-match/cloudtrail.json",
          [record(s(i), "s3", "GetObject", ts(i), OBJ) for i in range(0, 45, 5)]
          + [record(s(1), "s3", "PutObject", ts(1), OBJ)])

    # NHI-ACT-003: three sessions all named GitHubActions, no source identity; and three
    # sessions named per run.
    write(f"{d}/NHI-ACT-003/match/gaad.json", agent("s3:GetObject"))
    trail(f"{d}/NHI-ACT-003/match/cloudtrail.json",
          [record(s(i, "GitHubActions"), "s3", "GetObject", ts(i), OBJ) for i in range(3)])
    write(f"{d}/NHI-ACT-003/no-match/gaad.json", agent("s3:GetObject"))
    trail(f"{d}/NHI-ACT-003/no-match/cloudtrail.json",
          [record(s(i, f"run-{1000 + i}", source_identity=f"gha-run-{1000 + i}"), "s3",
                  "GetObject", ts(i), OBJ) for i in range(3)])

    # NHI-ACT-004: a coding agent and an MCP server under one role; and one client only.
    write(f"{d}/NHI-ACT-004/match/gaad.json", agent("s3:GetObject"))
    trail(f"{d}/NHI-ACT-004/match/cloudtrail.json",
          [record(s(0), "s3", "GetObject", ts(0), OBJ, ua=CLAUDE),
           record(s(1, "run-2"), "s3", "GetObject", ts(1), OBJ, ua=MCP)])
    write(f"{d}/NHI-ACT-004/no-match/gaad.json", agent("s3:GetObject"))
    trail(f"{d}/NHI-ACT-004/no-match/cloudtrail.json",
          [record(s(0), "s3", "GetObject", ts(0), OBJ, ua=CLAUDE),
           record(s(1, "run-2"), "s3", "GetObject", ts(1), OBJ, ua=CLAUDE)])

    # NHI-ACT-005: Claude Code calling AWS with a console user's key; and with a
    # workload user's (no password).
    header = ("user,arn,user_creation_time,password_enabled,password_last_used,"
              "password_last_changed,password_next_rotation,mfa_active,access_key_1_active,"
              "access_key_1_last_rotated,access_key_1_last_used_date,"
              "access_key_1_last_used_region,access_key_1_last_used_service,"
              "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
              "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
              "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n")
    for case, password in (("match", "true"), ("no-match", "false")):
        base = f"{d}/NHI-ACT-005/{case}"
        write(f"{base}/gaad.json", gaad(users=[user("dana", ["s3:GetObject"])]))
        with open(f"{base}/credential-report.csv", "w") as f:
            f.write(header + f"dana,arn:aws:iam::{ACCOUNT}:user/dana,2024-01-02T00:00:00+00:00,"
                    f"{password},2024-09-01T00:00:00+00:00,N/A,N/A,true,true,"
                    "2024-01-02T00:00:00+00:00,2024-09-01T00:00:00+00:00,us-east-1,s3,"
                    "false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n")
        trail(f"{base}/cloudtrail.json",
              [record(iam_user("dana"), "s3", "GetObject", ts(i), OBJ, ua=CLAUDE)
               for i in range(2)])

    # NHI-ACT-005, on GitHub: the organisation audit log (the fields of GitHub's
    # `audit-log-event` schema and "About token data in the audit log") shows Claude Code
    # pushing with a classic PAT, a person's token; and, not a match, with a GitHub App's
    # installation token (the app acts, no person).
    ms = int(BASE.timestamp() * 1000)
    for case, kind in (("match", "Personal access token (classic)"),
                       ("no-match", "GitHub App server-to-server token")):
        entry = {
            "@timestamp": ms, "created_at": ms, "_document_id": f"nhi-fixture-{case}",
            "action": "git.push", "actor": "dana", "actor_ip": "198.51.100.7",
            "user_agent": "claude-code/1.0.30 git/2.43.0", "org": "example-org",
            "repo": "example-org/service", "programmatic_access_type": kind,
            "token_id": 4242, "hashed_token": "bmhpLWZpeHR1cmUtbm90LWEtcmVhbC10b2tlbg==",
        }
        if case == "no-match":
            entry["integration"] = "example-bot"
            entry["actor"] = "example-bot[bot]"
        write(f"{d}/NHI-ACT-005/{case}/github-audit-log.json", [entry])

    # NHI-ACT-006: only the logs know the role, and Gemini CLI used it; and plain CLI.
    trail(f"{d}/NHI-ACT-006/match/cloudtrail.json",
          [record(assumed("build-helper", "dev", ts(0)), "s3", "GetObject", ts(0), OBJ,
                  ua="gemini-cli/0.9.0 aws-sdk-js/3.600.0")])
    trail(f"{d}/NHI-ACT-006/no-match/cloudtrail.json",
          [record(assumed("build-helper", "dev", ts(0)), "s3", "GetObject", ts(0), OBJ)])


def last_accessed():
    """NHI-ACT-007: IAM's last-accessed data (the GetServiceLastAccessedDetails shape) with
    a service the role's policy allows and it never used; and none unused."""
    d = "fixtures/rules/NHI-ACT-007"
    arn = f"arn:aws:iam::{ACCOUNT}:role/support-agent"
    for case, never in (("match", True), ("no-match", False)):
        write(f"{d}/{case}/gaad.json",
              gaad(roles=[role("support-agent", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])]))
        services = [{"ServiceNamespace": "s3", "ServiceName": "Amazon S3",
                     "LastAuthenticated": "2024-09-01T12:00:00Z",
                     "LastAuthenticatedEntity": arn, "TotalAuthenticatedEntities": 1}]
        if never:
            services.append({"ServiceNamespace": "iam",
                             "ServiceName": "AWS Identity and Access Management",
                             "TotalAuthenticatedEntities": 0})
        write(f"{d}/{case}/service-last-accessed.json", {"ServiceLastAccessedByArn": {arn: services}})


FORTY = [
    "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketPolicy",
    "s3:PutBucketPolicy", "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:GetBucketAcl",
    "s3:PutBucketAcl", "dynamodb:Query", "dynamodb:Scan", "dynamodb:GetItem",
    "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem", "dynamodb:DescribeTable", "dynamodb:DeleteTable",
    "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl",
    "sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:PurgeQueue", "sqs:DeleteQueue",
    "sqs:CreateQueue", "sqs:ListQueues", "logs:CreateLogGroup", "logs:CreateLogStream",
    "logs:PutLogEvents", "logs:DeleteLogGroup", "logs:DescribeLogGroups",
    "logs:FilterLogEvents", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey",
    "kms:ScheduleKeyDeletion",
]


def scenario():
    d = "fixtures/activity/three-of-forty"
    assert len(FORTY) == 40 and len(set(FORTY)) == 40
    write(f"{d}/gaad.json", gaad(roles=[role("report-agent", FORTY)]))
    reports = [("AWS::S3::Object", "arn:aws:s3:::quarterly-reports/2024/q3.csv")]
    table = [("AWS::DynamoDB::Table",
              f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/customers")]
    queue = [("AWS::SQS::Queue", f"arn:aws:sqs:us-east-1:{ACCOUNT}:report-ready")]
    for day in range(3):
        recs = []
        for i in range(4):
            sess = assumed("report-agent", f"report-{day}-{i}", ts(day, i * 10),
                           source_identity=f"report-job-{day}-{i}")
            recs.append(record(sess, "s3", "GetObject", ts(day, i * 10 + 1), reports, ua=CLAUDE))
            recs.append(record(sess, "dynamodb", "Query", ts(day, i * 10 + 2), table, ua=CLAUDE))
            recs.append(record(sess, "sqs", "SendMessage", ts(day, i * 10 + 3), queue, ua=CLAUDE))
        # Tried and refused: never part of what it needs.
        recs.append(record(sess, "iam", "CreateUser", ts(day, 50), ua=CLAUDE,
                           error="AccessDenied"))
        name = (f"{d}/AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2024/09/0{day + 1}/"
                f"{ACCOUNT}_CloudTrail_us-east-1_202409{day + 1:02d}T1200Z_example{day}.json.gz")
        os.makedirs(os.path.dirname(name), exist_ok=True)
        # mtime=0: the same bytes on every run.
        with open(name, "wb") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
                f.write(json.dumps({"Records": recs}).encode())


if __name__ == "__main__":
    rules()
    last_accessed()
    scenario()
