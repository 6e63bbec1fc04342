#!/usr/bin/env python3
"""Writes a month of generated CloudTrail for the activity benchmark
(scripts/bench-activity.sh): gzipped delivery files `{"Records": [...]}` laid out as
CloudTrail writes them to S3, records shaped as AWS's "CloudTrail record contents"
reference documents them (assumed-role sessions with their issuer, IAM users,
resources on data events, some refused calls).

    gen-bench-cloudtrail.py OUT --records 10000000 --files 1000 --seed 1

Writes OUT/AWSLogs/... and OUT.manifest.json (what was generated, for the report).
"""
import argparse
import gzip
import json
import os
import random

ACCOUNT = "111122223333"
ACTIONS = [
    ("s3", n) for n in ["GetObject", "PutObject", "ListObjects", "HeadObject", "DeleteObject",
                        "GetBucketLocation", "ListBuckets", "GetBucketPolicy"]
] + [
    ("dynamodb", n) for n in ["Query", "GetItem", "PutItem", "UpdateItem", "Scan", "DescribeTable"]
] + [
    ("sqs", n) for n in ["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueUrl"]
] + [
    ("bedrock", n) for n in ["InvokeModel", "InvokeModelWithResponseStream", "ListFoundationModels"]
] + [
    ("sts", n) for n in ["AssumeRole", "GetCallerIdentity"]
] + [
    ("kms", n) for n in ["Decrypt", "GenerateDataKey", "Encrypt"]
] + [
    ("logs", n) for n in ["PutLogEvents", "CreateLogStream", "DescribeLogGroups"]
] + [
    ("iam", n) for n in ["GetRole", "ListRoles", "CreateUser", "AttachRolePolicy"]
] + [
    ("ec2", n) for n in ["DescribeInstances", "RunInstances", "DescribeSecurityGroups"]
]
AGENTS = ["aws-cli/2.15.30 Python/3.11.8 Linux/6.1 app/claude-code",
          "Boto3/1.34.0 Python/3.12.1 Botocore/1.34.0 awslabs/mcp/aws-api-mcp-server/0.2.1",
          "aws-sdk-js/3.600.0 ua/2.0 os/linux lang/js md/nodejs#20.11.0 api/s3#3.600.0",
          "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--roles", type=int, default=200)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    per_file = max(1, a.records // a.files)
    sessions = [f"session-{i}" for i in range(500)]
    written = 0
    for f in range(a.files):
        n = per_file if f < a.files - 1 else a.records - written
        if n <= 0:
            break
        day = 1 + f * 30 // a.files
        hour = (f * 24 * 30 // a.files) % 24
        folder = os.path.join(a.out, "AWSLogs", ACCOUNT, "CloudTrail", "us-east-1", "2024", "09",
                              f"{day:02d}")
        os.makedirs(folder, exist_ok=True)
        name = f"{ACCOUNT}_CloudTrail_us-east-1_202409{day:02d}T{hour:02d}00Z_{f:06d}.json.gz"
        recs = []
        for i in range(n):
            src, ev = ACTIONS[rnd.randrange(len(ACTIONS))]
            minute, second = rnd.randrange(60), rnd.randrange(60)
            t = f"2024-09-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"
            if rnd.random() < 0.8:
                role = f"agent-role-{rnd.randrange(a.roles)}"
                k = rnd.randrange(len(sessions))
                sess = sessions[k]
                # A session begins once (its creationDate), and its calls follow.
                started = f"2024-09-{day:02d}T{hour:02d}:00:{k % 60:02d}Z"
                who = ('{"type":"AssumedRole","principalId":"AROAEXAMPLE:%s","arn":"arn:aws:sts::%s:assumed-role/%s/%s",'
                       '"accountId":"%s","accessKeyId":"ASIAEXAMPLE%09d","sessionContext":{"sessionIssuer":{"type":"Role",'
                       '"principalId":"AROAEXAMPLE","arn":"arn:aws:iam::%s:role/%s","accountId":"%s","userName":"%s"},'
                       '"attributes":{"creationDate":"%s","mfaAuthenticated":"false"}}}'
                       % (sess, ACCOUNT, role, sess, ACCOUNT, i, ACCOUNT, role, ACCOUNT, role, started))
            else:
                user = f"svc-user-{rnd.randrange(a.users)}"
                who = ('{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::%s:user/%s",'
                       '"accountId":"%s","accessKeyId":"AKIDEXAMPLE%09d","userName":"%s"}'
                       % (ACCOUNT, user, ACCOUNT, i % 1000, user))
            res = ""
            if src == "s3":
                res = (',"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::data-%d/k/%d"}]'
                       % (rnd.randrange(20), rnd.randrange(1000)))
            err = ',"errorCode":"AccessDenied","errorMessage":"not authorized"' if rnd.random() < 0.02 else ""
            recs.append(
                '{"eventVersion":"1.09","userIdentity":%s,"eventTime":"%s","eventSource":"%s.amazonaws.com",'
                '"eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.%d","userAgent":"%s",'
                '"requestParameters":{"key":"value-%d"},"responseElements":null,"requestID":"%08x",'
                '"eventID":"%08x-0000-4000-8000-000000000000","readOnly":true,"eventType":"AwsApiCall",'
                '"managementEvent":true,"recipientAccountId":"%s"%s%s}'
                % (who, t, src, ev, rnd.randrange(256), AGENTS[rnd.randrange(len(AGENTS))], i,
                   rnd.getrandbits(32), rnd.getrandbits(32), ACCOUNT, res, err))
        with open(os.path.join(folder, name), "wb") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0) as gz:
                gz.write(b'{"Records":[')
                gz.write(",".join(recs).encode())
                gz.write(b"]}")
        written += n
    with open(a.out + ".manifest.json", "w") as m:
        json.dump({"records": written, "files": a.files, "roles": a.roles, "users": a.users,
                   "seed": a.seed}, m)


if __name__ == "__main__":
    main()
