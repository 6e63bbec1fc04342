#!/usr/bin/env python3
"""Generate a large, deterministic AWS IAM export for scripts/bench-aws.sh.

    scripts/gen-bench-gaad.py OUT.json [--roles N] [--users N] [--policies N]
                              [--groups N] [--seed S] [--now YYYY-MM-DD]

OUT.json is what `aws iam get-account-authorization-details` writes for one
account (UserDetailList, GroupDetailList, RoleDetailList, Policies with their
PolicyVersionList, four-space indented like the CLI), and
OUT.credential-report.csv is the matching credential report (the CSV that
`aws iam get-credential-report` returns base64-encoded, with AWS's columns and
a `<root_account>` row). OUT.manifest.json beside them records the parameters
and what was planted, so a benchmark can tell whether a file is still current.

The account looks like a large organisation's:

  * customer managed policies (--policies) of 1-5 versions each, exactly one the
    default (mostly the newest, sometimes a rolled-back one), version ids that
    do not always start at v1; about 12% grow from read-only to write access
    between versions; actions are real ones (data/aws-actions.txt) on
    realistic resource ARNs, with wildcards, NotAction, Deny statements and
    conditions (dates, MFA, source IP, tags);
  * AWS managed policies with their documents, among them AdministratorAccess,
    ReadOnlyAccess, PowerUserAccess, IAMFullAccess and service-linked ones;
  * roles (--roles) trusting services (lambda, ec2, ecs-tasks, glue, bedrock,
    bedrock-agentcore, sagemaker, ...; with and without aws:SourceAccount),
    the account root, other accounts (with and without sts:ExternalId),
    specific roles and users, GitHub OIDC (good `sub` conditions and bad ones:
    none, `*`, `repo:org/*`, no `aud`, ForAllValues), SAML, and `Principal: "*"`
    (with and without aws:PrincipalOrgID); instance profiles for EC2 roles;
    service-linked roles; permission boundaries; RoleLastUsed of all ages;
  * users (--users) in groups (--groups, default users/20), with inline and
    managed policies and keys of all ages in the credential report;
  * assume-role chains of 2-5 roles (each trusts the one before and is allowed
    to be assumed by it) ending at admin, starting from users or services;
  * privilege escalation set-ups after Rhino Security Labs / iam-vulnerable:
    PassRole with Lambda, EC2, Glue, CloudFormation, CodeBuild, SageMaker,
    Data Pipeline and ECS; CreatePolicyVersion and SetDefaultPolicyVersion on a
    policy the principal holds; CreateAccessKey and Create/UpdateLoginProfile on
    admin users; Attach/Put User/Group/Role policy on itself; AddUserToGroup;
    UpdateAssumeRolePolicy; UpdateFunctionCode; SSM SendCommand; NotAction
    grants; and the same set-ups made unexploitable (Deny statements, resources
    that lead nowhere, expired date conditions) as false-positive bait;
  * tags: `nhi:agent=true` on about 5% of users and roles, owner tags on most;
  * policy documents as objects and, for about 10%, URL-encoded JSON strings
    (as the IAM API returns them); dates in both of the forms exports use
    (`2023-03-09 10:41:45+00:00` and `2023-03-09T10:41:45+00:00`).

The same arguments give the same bytes: every choice comes from one seeded
generator and every date is relative to --now (not the clock).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import random
import string
import sys
import urllib.parse
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACTIONS_FILE = ROOT / "data" / "aws-actions.txt"

ACCOUNT = "123456789012"
OTHER_ACCOUNTS = ["210987654321", "345678901234", "464622532012", "777788889999"]
ORG_ID = "o-a1b2c3d4e5"
REGIONS = ["us-east-1", "us-east-1", "us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
GITHUB_OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
SAML_IDP = f"arn:aws:iam::{ACCOUNT}:saml-provider/Okta"
B32 = string.ascii_uppercase + "234567"
HEX = "0123456789abcdef"

TEAMS = ["platform", "payments", "search", "data", "ml", "growth", "identity", "billing", "infra",
         "mobile", "web", "security", "analytics", "support", "risk", "ledger", "catalog", "fraud"]
APPS = ["api", "worker", "ingest", "etl", "batch", "gateway", "indexer", "scheduler", "notifier",
        "exporter", "reporter", "crawler", "router", "cache", "auth", "sync", "stream", "backup",
        "renderer", "pricing", "checkout", "inventory", "feeds", "ranker", "embedder", "chat"]
ENVS = ["prod", "staging", "dev", "sandbox", "qa"]
PEOPLE = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
          "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yuki"]
AGENT_WORDS = ["agent", "copilot", "assistant", "llm", "bot", "autopilot"]

# Common services, with the resource ARNs their policies name (None: "*" only).
SERVICE_RESOURCES: dict[str, list[str] | None] = {
    "s3": ["arn:aws:s3:::{team}-{app}-{env}", "arn:aws:s3:::{team}-{app}-{env}/*"],
    "dynamodb": ["arn:aws:dynamodb:{region}:{acct}:table/{team}-{app}-{env}",
                 "arn:aws:dynamodb:{region}:{acct}:table/{team}-{app}-{env}/index/*"],
    "sqs": ["arn:aws:sqs:{region}:{acct}:{team}-{app}-{env}"],
    "sns": ["arn:aws:sns:{region}:{acct}:{team}-{app}-{env}"],
    "lambda": ["arn:aws:lambda:{region}:{acct}:function:{team}-{app}-{env}"],
    "logs": ["arn:aws:logs:{region}:{acct}:log-group:/aws/{team}/{app}:*"],
    "kms": ["arn:aws:kms:{region}:{acct}:key/{uuid}"],
    "secretsmanager": ["arn:aws:secretsmanager:{region}:{acct}:secret:{team}/{app}/{env}-*"],
    "ssm": ["arn:aws:ssm:{region}:{acct}:parameter/{team}/{app}/{env}/*"],
    "kinesis": ["arn:aws:kinesis:{region}:{acct}:stream/{team}-{app}-{env}"],
    "states": ["arn:aws:states:{region}:{acct}:stateMachine:{team}-{app}-{env}"],
    "ecr": ["arn:aws:ecr:{region}:{acct}:repository/{team}/{app}"],
    "rds": ["arn:aws:rds:{region}:{acct}:db:{team}-{app}-{env}"],
    "ec2": None,
    "cloudwatch": None,
    "xray": None,
    "bedrock": ["arn:aws:bedrock:{region}::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
                "arn:aws:bedrock:{region}::foundation-model/amazon.titan-embed-text-v2:0",
                "arn:aws:bedrock:{region}:{acct}:knowledge-base/*"],
    "sagemaker": ["arn:aws:sagemaker:{region}:{acct}:endpoint/{team}-{app}-{env}"],
    "glue": None,
    "athena": ["arn:aws:athena:{region}:{acct}:workgroup/{team}"],
    "events": ["arn:aws:events:{region}:{acct}:rule/{team}-{app}-*"],
    "ecs": None,
    "elasticloadbalancing": None,
    "cloudformation": ["arn:aws:cloudformation:{region}:{acct}:stack/{team}-{app}-{env}/*"],
    "codebuild": ["arn:aws:codebuild:{region}:{acct}:project/{team}-{app}"],
    "route53": ["arn:aws:route53:::hostedzone/Z{zone}"],
    "codecommit": ["arn:aws:codecommit:{region}:{acct}:{team}-{app}"],
    "execute-api": ["arn:aws:execute-api:{region}:{acct}:{zone}/*"],
}
# How often each service turns up in an application's policy.
SERVICE_WEIGHTS = {
    "s3": 20, "dynamodb": 10, "sqs": 8, "sns": 5, "lambda": 6, "logs": 10, "kms": 6,
    "secretsmanager": 6, "ssm": 6, "kinesis": 3, "states": 2, "ecr": 3, "rds": 2, "ec2": 5,
    "cloudwatch": 5, "xray": 3, "bedrock": 3, "sagemaker": 2, "glue": 2, "athena": 2,
    "events": 2, "ecs": 2, "elasticloadbalancing": 1, "cloudformation": 1, "codebuild": 1,
    "route53": 1, "codecommit": 1, "execute-api": 2,
}

# Service principals a role may trust, with weights; the escalation targets below
# use the PassRole-able ones.
TRUST_SERVICES = {
    "lambda.amazonaws.com": 30, "ec2.amazonaws.com": 16, "ecs-tasks.amazonaws.com": 12,
    "glue.amazonaws.com": 3, "states.amazonaws.com": 4, "codebuild.amazonaws.com": 3,
    "cloudformation.amazonaws.com": 2, "events.amazonaws.com": 3, "apigateway.amazonaws.com": 2,
    "bedrock.amazonaws.com": 4, "bedrock-agentcore.amazonaws.com": 1, "sagemaker.amazonaws.com": 4,
    "datapipeline.amazonaws.com": 1, "elasticmapreduce.amazonaws.com": 1, "firehose.amazonaws.com": 1,
    "scheduler.amazonaws.com": 1,
}
AGENT_SERVICES = {"bedrock.amazonaws.com", "bedrock-agentcore.amazonaws.com", "sagemaker.amazonaws.com"}


def load_actions() -> dict[str, dict[str, list[str]]]:
    """service prefix -> access level letter (L R W P T) -> action names."""
    out: dict[str, dict[str, list[str]]] = {}
    for line in ACTIONS_FILE.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        prefix, _, rest = line.partition("\t")
        levels: dict[str, list[str]] = {}
        for item in rest.split(","):
            name, _, level = item.partition("=")
            levels.setdefault(level, []).append(name)
        out[prefix] = levels
    return out


class Clock:
    """Dates relative to a fixed --now, in either export form."""

    def __init__(self, now: datetime, rng: random.Random):
        self.now = now
        self.rng = rng

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days, seconds=self.rng.randrange(86400))

    @staticmethod
    def iso(t: datetime) -> str:
        return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")

    @staticmethod
    def spaced(t: datetime) -> str:
        return t.strftime("%Y-%m-%d %H:%M:%S+00:00")

    def fmt(self, t: datetime, spaced: bool) -> str:
        return self.spaced(t) if spaced else self.iso(t)


class Gen:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.rng = random.Random(args.seed)
        self.clock = Clock(datetime.strptime(args.now, "%Y-%m-%d").replace(tzinfo=timezone.utc), self.rng)
        self.actions = load_actions()
        self.stats: Counter[str] = Counter()
        self.scenarios: Counter[str] = Counter()
        self.holders: dict[str, list[str]] = {}  # escalation set-up -> holders' ARNs
        self.used_names: set[str] = set()
        # Each export object picks its date form: a mixed file exercises both parsers.
        self.policies: list[dict] = []          # customer managed, in order
        self.policy_by_arn: dict[str, dict] = {}
        self.aws_policies: dict[str, dict] = {}  # arn -> detail, only those attached
        self.aws_catalogue = self._aws_managed_catalogue()

    # --- small helpers -------------------------------------------------------------
    def ident(self, prefix: str) -> str:
        return prefix + "".join(self.rng.choice(B32) for _ in range(17))

    def uuid(self) -> str:
        h = "".join(self.rng.choice(HEX) for _ in range(32))
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def unique(self, base: str) -> str:
        name, n = base, 2
        while name in self.used_names:
            name, n = f"{base}-{n}", n + 1
        self.used_names.add(name)
        return name

    def spaced(self) -> bool:
        return self.rng.random() < 0.5

    def wchoice(self, weights: dict[str, int]) -> str:
        keys = list(weights)
        return self.rng.choices(keys, weights=[weights[k] for k in keys])[0]

    def ctx(self) -> dict[str, str]:
        r = self.rng
        return dict(team=r.choice(TEAMS), app=r.choice(APPS), env=r.choice(ENVS), region=r.choice(REGIONS),
                    acct=ACCOUNT, uuid=self.uuid(), zone="".join(r.choice(B32) for _ in range(10)))

    def doc_out(self, doc: dict) -> dict | str:
        """A policy document as exported: an object, or ~10% of the time the
        URL-encoded JSON string the IAM API returns."""
        if self.rng.random() < 0.10:
            self.stats["documents_url_encoded"] += 1
            return urllib.parse.quote(json.dumps(doc, separators=(",", ":")), safe="")
        self.stats["documents_object"] += 1
        return doc

    def tags(self, agent: bool, kind: str) -> list[dict]:
        r = self.rng
        tags = []
        if agent:
            tags.append({"Key": "nhi:agent", "Value": "true"})
        if r.random() < 0.75:
            tags.append({"Key": r.choice(["owner", "owner", "Owner", "team"]),
                         "Value": r.choice(PEOPLE) + "@example.com" if r.random() < 0.6 else r.choice(TEAMS)})
        if r.random() < 0.6:
            tags.append({"Key": "env", "Value": r.choice(ENVS)})
        if r.random() < 0.3:
            tags.append({"Key": "cost-center", "Value": f"cc-{r.randrange(1000, 9999)}"})
        if r.random() < 0.1:
            tags.append({"Key": "managed-by", "Value": r.choice(["terraform", "cdk", "cloudformation"])})
        if any(t["Key"] in ("owner", "Owner", "team") for t in tags):
            self.stats[f"{kind}_with_owner_tag"] += 1
        return tags

    # --- statements ------------------------------------------------------------------
    def pick_actions(self, svc: str, levels: str, lo: int, hi: int) -> list[str]:
        pool = [a for lv in levels for a in self.actions.get(svc, {}).get(lv, [])]
        if not pool:
            return [f"{svc}:*"]
        k = min(len(pool), self.rng.randint(lo, hi))
        return sorted(f"{svc}:{a}" for a in self.rng.sample(pool, k))

    def resources(self, svc: str, c: dict) -> list[str] | str:
        tmpl = SERVICE_RESOURCES.get(svc)
        if not tmpl:
            return "*"
        res = [t.format(**c) for t in tmpl]
        return res[0] if len(res) == 1 else res

    def read_stmt(self, svc: str, c: dict) -> dict:
        r = self.rng
        if r.random() < 0.25:
            acts = [f"{svc}:Get*", f"{svc}:List*", f"{svc}:Describe*"][: r.randint(1, 3)]
        else:
            acts = self.pick_actions(svc, "RL", 2, 8)
        return {"Sid": f"Read{svc.title().replace('-', '')}", "Effect": "Allow",
                "Action": acts if len(acts) > 1 else acts[0], "Resource": self.resources(svc, c)}

    def write_stmt(self, svc: str, c: dict) -> dict:
        acts = self.pick_actions(svc, "W", 1, 6)
        return {"Sid": f"Write{svc.title().replace('-', '')}", "Effect": "Allow",
                "Action": acts if len(acts) > 1 else acts[0], "Resource": self.resources(svc, c)}

    def condition(self) -> dict:
        r = self.rng
        kind = r.randrange(6)
        if kind == 0:
            return {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
        if kind == 1:
            return {"IpAddress": {"aws:SourceIp": [f"203.0.113.0/24", f"198.51.100.{r.randrange(255)}/32"]}}
        if kind == 2:  # still valid
            return {"DateLessThan": {"aws:CurrentTime": Clock.iso(self.clock.now + timedelta(days=r.randint(30, 700))).replace("+00:00", "Z")}}
        if kind == 3:  # expired
            return {"DateLessThan": {"aws:CurrentTime": Clock.iso(self.clock.ago(r.randint(30, 900))).replace("+00:00", "Z")}}
        if kind == 4:
            return {"StringEquals": {"aws:ResourceTag/team": r.choice(TEAMS)}}
        return {"StringEquals": {"aws:RequestedRegion": r.choice(REGIONS)}}

    def app_document(self, kind: str, c: dict) -> dict:
        """An ordinary application policy. kind: read | readwrite | wildcard | exfil | mixed."""
        r = self.rng
        svcs = []
        for _ in range(r.randint(1, 4)):
            s = self.wchoice(SERVICE_WEIGHTS)
            if s not in svcs:
                svcs.append(s)
        stmts = []
        for s in svcs:
            stmts.append(self.read_stmt(s, c))
            if kind in ("readwrite", "mixed") and r.random() < 0.8:
                stmts.append(self.write_stmt(s, c))
        if kind == "wildcard":
            s = r.choice(svcs)
            stmts.append({"Sid": "ServiceWildcard", "Effect": "Allow", "Action": f"{s}:*",
                          "Resource": "*" if r.random() < 0.6 else self.resources(s, c)})
        if kind == "exfil":
            stmts.append({"Effect": "Allow", "Action": r.sample(
                ["s3:GetObject", "secretsmanager:GetSecretValue", "ssm:GetParameter", "ssm:GetParameters",
                 "kms:Decrypt", "dynamodb:Scan"], r.randint(1, 3)), "Resource": "*"})
        if r.random() < 0.12:
            stmts[-1]["Condition"] = self.condition()
        if r.random() < 0.06:
            stmts.append({"Sid": "DenyOutsideRegions", "Effect": "Deny", "NotAction": ["iam:*", "sts:*", "cloudfront:*"],
                          "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}})
        if r.random() < 0.05:
            stmts.append({"Effect": "Deny", "Action": r.choice(["s3:DeleteBucket", "kms:ScheduleKeyDeletion", "iam:*", "dynamodb:DeleteTable"]),
                          "Resource": "*"})
        if r.random() < 0.04:
            stmts.append({"Effect": "Allow", "Action": "logs:*", "NotResource": "arn:aws:logs:*:*:log-group:/security/*"})
        return {"Version": "2012-10-17", "Statement": stmts}

    # --- AWS managed policies -----------------------------------------------------------
    def _aws_managed_catalogue(self) -> dict[str, tuple[str, str, dict]]:
        """name -> (path, version id, document): real AWS managed policies (documents
        as published, long ones shortened to representative statements)."""
        ro_services = ["acm", "apigateway", "athena", "autoscaling", "cloudformation", "cloudfront", "cloudtrail",
                       "cloudwatch", "codebuild", "codecommit", "dynamodb", "ec2", "ecr", "ecs", "eks",
                       "elasticache", "elasticloadbalancing", "es", "events", "firehose", "glue", "iam", "kinesis",
                       "kms", "lambda", "logs", "organizations", "rds", "redshift", "route53", "s3", "sagemaker",
                       "secretsmanager", "sns", "sqs", "ssm", "states", "sts", "tag", "xray"]
        def ro(svcs):
            return [f"{s}:{v}*" for s in svcs for v in ("Describe", "Get", "List")]
        doc = lambda *stmts: {"Version": "2012-10-17", "Statement": list(stmts)}
        allow = lambda a, res="*", **kw: {"Effect": "Allow", "Action": a, "Resource": res, **kw}
        return {
            "AdministratorAccess": ("/", "v1", doc(allow("*"))),
            "ReadOnlyAccess": ("/", "v118", doc(allow(ro(ro_services)))),
            "ViewOnlyAccess": ("/job-function/", "v52", doc(allow(sorted(f"{s}:List*" for s in ro_services)))),
            "PowerUserAccess": ("/", "v5", doc(
                {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
                allow(["account:GetAccountInformation", "account:GetPrimaryEmail", "account:ListRegions",
                       "iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
                       "organizations:DescribeOrganization"]))),
            "IAMFullAccess": ("/", "v2", doc(allow(["iam:*", "organizations:DescribeAccount",
                                                    "organizations:DescribeOrganization",
                                                    "organizations:DescribeOrganizationalUnit",
                                                    "organizations:DescribePolicy",
                                                    "organizations:ListChildren", "organizations:ListParents",
                                                    "organizations:ListPoliciesForTarget", "organizations:ListRoots",
                                                    "organizations:ListPolicies", "organizations:ListTargetsForPolicy"]))),
            "IAMReadOnlyAccess": ("/", "v4", doc(allow(["iam:GenerateCredentialReport", "iam:GenerateServiceLastAccessedDetails",
                                                        "iam:Get*", "iam:List*", "iam:SimulateCustomPolicy",
                                                        "iam:SimulatePrincipalPolicy"]))),
            "SecurityAudit": ("/", "v40", doc(allow(ro(["acm", "cloudtrail", "config", "ec2", "iam", "kms", "s3",
                                                         "guardduty", "securityhub", "lambda", "rds"])))),
            "AmazonS3FullAccess": ("/", "v2", doc(allow(["s3:*", "s3-object-lambda:*"]))),
            "AmazonS3ReadOnlyAccess": ("/", "v3", doc(allow(["s3:Get*", "s3:List*", "s3:Describe*",
                                                              "s3-object-lambda:Get*", "s3-object-lambda:List*"]))),
            "AmazonDynamoDBFullAccess": ("/", "v23", doc(allow(["dynamodb:*", "dax:*", "application-autoscaling:*",
                                                                 "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms",
                                                                 "cloudwatch:PutMetricAlarm", "kms:DescribeKey",
                                                                 "kms:ListAliases", "sns:CreateTopic", "sns:ListTopics"]),
                                                           allow("iam:PassRole", "*", Condition={"StringLike": {"iam:PassedToService": ["application-autoscaling.amazonaws.com", "dax.amazonaws.com"]}}))),
            "AmazonEC2ReadOnlyAccess": ("/", "v3", doc(allow(["ec2:Describe*", "elasticloadbalancing:Describe*",
                                                               "cloudwatch:ListMetrics", "cloudwatch:GetMetricStatistics",
                                                               "cloudwatch:Describe*", "autoscaling:Describe*"]))),
            "AmazonEC2FullAccess": ("/", "v5", doc(allow(["ec2:*", "elasticloadbalancing:*", "cloudwatch:*", "autoscaling:*"]),
                                                   allow("iam:CreateServiceLinkedRole", "*", Condition={"StringEquals": {"iam:AWSServiceName": ["autoscaling.amazonaws.com", "ec2scheduled.amazonaws.com", "elasticloadbalancing.amazonaws.com"]}}))),
            "AWSLambda_FullAccess": ("/", "v10", doc(allow(["cloudformation:DescribeStacks", "cloudwatch:ListMetrics",
                                                             "ec2:DescribeSubnets", "ec2:DescribeVpcs", "iam:GetRole",
                                                             "iam:ListRoles", "kms:ListAliases", "lambda:*", "logs:DescribeLogGroups",
                                                             "s3:ListAllMyBuckets", "states:DescribeStateMachine"]),
                                                       allow("iam:PassRole", "*", Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}))),
            "AWSLambdaBasicExecutionRole": ("/service-role/", "v1", doc(allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]))),
            "AWSLambdaVPCAccessExecutionRole": ("/service-role/", "v3", doc(allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                                                                                   "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces",
                                                                                   "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface",
                                                                                   "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]))),
            "AmazonECSTaskExecutionRolePolicy": ("/service-role/", "v1", doc(allow(["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
                                                                                    "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
                                                                                    "logs:CreateLogStream", "logs:PutLogEvents"]))),
            "AmazonSSMManagedInstanceCore": ("/", "v2", doc(allow(["ssm:DescribeAssociation", "ssm:GetDeployablePatchSnapshotForInstance",
                                                                   "ssm:GetDocument", "ssm:DescribeDocument", "ssm:GetManifest",
                                                                   "ssm:GetParameter", "ssm:GetParameters", "ssm:ListAssociations",
                                                                   "ssm:ListInstanceAssociations", "ssm:PutInventory",
                                                                   "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult",
                                                                   "ssm:UpdateAssociationStatus", "ssm:UpdateInstanceAssociationStatus",
                                                                   "ssm:UpdateInstanceInformation"]),
                                                             allow(["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
                                                                    "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]),
                                                             allow(["ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage",
                                                                    "ec2messages:FailMessage", "ec2messages:GetEndpoint",
                                                                    "ec2messages:GetMessages", "ec2messages:SendReply"]))),
            "CloudWatchAgentServerPolicy": ("/", "v2", doc(allow(["cloudwatch:PutMetricData", "ec2:DescribeVolumes", "ec2:DescribeTags",
                                                                  "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:DescribeLogGroups",
                                                                  "logs:CreateLogStream", "logs:CreateLogGroup"]),
                                                            allow("ssm:GetParameter", "arn:aws:ssm:*:*:parameter/AmazonCloudWatch-*"))),
            "AmazonBedrockFullAccess": ("/", "v4", doc(allow(["bedrock:*", "kms:DescribeKey", "iam:ListRoles", "ec2:DescribeVpcs",
                                                               "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"]),
                                                         allow("iam:PassRole", "arn:aws:iam::*:role/*AmazonBedrock*",
                                                               Condition={"StringEquals": {"iam:PassedToService": ["bedrock.amazonaws.com"]}}))),
            "AmazonBedrockReadOnly": ("/", "v2", doc(allow(["bedrock:Get*", "bedrock:List*"]))),
            "AmazonSageMakerFullAccess": ("/", "v26", doc(allow(["sagemaker:*", "application-autoscaling:DescribeScalableTargets",
                                                                  "cloudwatch:PutMetricData", "ecr:GetAuthorizationToken",
                                                                  "ecr:BatchGetImage", "logs:CreateLogGroup", "logs:PutLogEvents",
                                                                  "s3:ListAllMyBuckets"]),
                                                            allow("iam:PassRole", "*", Condition={"StringEquals": {"iam:PassedToService": ["sagemaker.amazonaws.com", "glue.amazonaws.com"]}}),
                                                            allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], ["arn:aws:s3:::*SageMaker*", "arn:aws:s3:::*Sagemaker*", "arn:aws:s3:::*sagemaker*"]))),
            "AmazonSQSFullAccess": ("/", "v2", doc(allow("sqs:*"))),
            "AmazonSNSFullAccess": ("/", "v1", doc(allow("sns:*"))),
            "SecretsManagerReadWrite": ("/", "v5", doc(allow(["secretsmanager:*", "cloudformation:CreateChangeSet",
                                                              "cloudformation:DescribeChangeSet", "kms:DescribeKey",
                                                              "kms:ListAliases", "lambda:ListFunctions", "rds:DescribeDBInstances",
                                                              "tag:GetResources"]),
                                                         allow(["lambda:AddPermission", "lambda:CreateFunction", "lambda:GetFunction",
                                                                "lambda:InvokeFunction", "lambda:UpdateFunctionConfiguration"],
                                                               "arn:aws:lambda:*:*:function:SecretsManager*"))),
            "AWSCodeBuildAdminAccess": ("/", "v14", doc(allow(["codebuild:*", "codecommit:GetBranch", "codecommit:ListRepositories",
                                                               "ecr:DescribeRepositories", "logs:GetLogEvents", "s3:GetBucketLocation",
                                                               "s3:ListAllMyBuckets"]))),
            "AWSGlueServiceRole": ("/service-role/", "v6", doc(allow(["glue:*", "s3:GetBucketLocation", "s3:ListBucket",
                                                                       "s3:ListAllMyBuckets", "s3:GetBucketAcl", "ec2:DescribeVpcEndpoints",
                                                                       "ec2:DescribeRouteTables", "ec2:CreateNetworkInterface",
                                                                       "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces",
                                                                       "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets",
                                                                       "ec2:DescribeVpcAttribute", "iam:ListRolePolicies",
                                                                       "iam:GetRole", "iam:GetRolePolicy", "cloudwatch:PutMetricData"]),
                                                                allow(["s3:GetObject", "s3:PutObject"], ["arn:aws:s3:::aws-glue-*/*", "arn:aws:s3:::*/*aws-glue-*/*"]))),
            # service-linked role policies live under /aws-service-role/
            "AWSServiceRoleForAutoScaling": ("/aws-service-role/", "v9", doc(allow(["ec2:AttachClassicLinkVpc", "ec2:CancelSpotInstanceRequests",
                                                                                    "ec2:CreateFleet", "ec2:CreateTags", "ec2:DeleteTags",
                                                                                    "ec2:Describe*", "ec2:RunInstances", "ec2:TerminateInstances",
                                                                                    "elasticloadbalancing:Register*", "elasticloadbalancing:Deregister*"]),
                                                                              allow("iam:PassRole", "*", Condition={"StringLike": {"iam:PassedToService": "ec2.amazonaws.com*"}}))),
            "AmazonECSServiceRolePolicy": ("/aws-service-role/", "v7", doc(allow(["ec2:AttachNetworkInterface", "ec2:CreateNetworkInterface",
                                                                                  "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface",
                                                                                  "ec2:Describe*", "elasticloadbalancing:Describe*",
                                                                                  "elasticloadbalancing:RegisterTargets", "route53:CreateHealthCheck",
                                                                                  "servicediscovery:RegisterInstance"]))),
            "AWSSupportServiceRolePolicy": ("/aws-service-role/", "v30", doc(allow(ro(["ec2", "iam", "s3", "rds", "lambda", "cloudtrail", "support"])))),
        }

    def aws_policy(self, name: str) -> str:
        """The ARN of an AWS managed policy, adding it to the export when first named
        (only attached ones are named, as GAAD lists only those)."""
        path, vid, document = self.aws_catalogue[name]
        arn = f"arn:aws:iam::aws:policy{path}{name}"
        if arn not in self.aws_policies:
            created = self.clock.ago(self.rng.randint(1500, 3500))
            updated = self.clock.ago(self.rng.randint(20, 1400))
            sp = self.spaced()
            self.aws_policies[arn] = {
                "PolicyName": name, "PolicyId": self.ident("ANPA"), "Arn": arn, "Path": path,
                "DefaultVersionId": vid, "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 0,
                "IsAttachable": True, "CreateDate": self.clock.fmt(created, sp), "UpdateDate": self.clock.fmt(updated, sp),
                "PolicyVersionList": [{"Document": self.doc_out(document), "VersionId": vid, "IsDefaultVersion": True,
                                       "CreateDate": self.clock.fmt(updated, sp)}],
            }
        return arn

    # --- customer managed policies ---------------------------------------------------------
    def new_policy(self, name: str, versions: list[dict], default_index: int | None = None,
                   path: str = "/") -> dict:
        """Add a customer managed policy with these version documents (oldest first)."""
        r = self.rng
        sp = self.spaced()
        first = r.choice([1, 1, 1, 1, 2, 3, 4, 7])  # older versions get deleted (max 5 kept)
        age = r.randint(30, 2200)
        times = sorted((self.clock.ago(r.uniform(0, age)) for _ in versions[1:]))
        times = [self.clock.ago(age)] + times
        if default_index is None:
            default_index = len(versions) - 1 if r.random() < 0.85 else r.randrange(len(versions))
        vlist = []
        for i, (document, t) in enumerate(zip(versions, times)):
            vlist.append({"Document": self.doc_out(document), "VersionId": f"v{first + i}",
                          "IsDefaultVersion": i == default_index, "CreateDate": self.clock.fmt(t, sp)})
        vlist.reverse()  # the API lists the newest first
        arn = f"arn:aws:iam::{ACCOUNT}:policy{path}{name}"
        detail = {
            "PolicyName": name, "PolicyId": self.ident("ANPA"), "Arn": arn, "Path": path,
            "DefaultVersionId": f"v{first + default_index}", "AttachmentCount": 0,
            "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
            "CreateDate": self.clock.fmt(times[0], sp), "UpdateDate": self.clock.fmt(times[default_index], sp),
            "PolicyVersionList": vlist,
        }
        self.policies.append(detail)
        self.policy_by_arn[arn] = detail
        self.stats["policy_versions"] += len(versions)
        return detail

    def evolve(self, base: dict, c: dict, n: int, creep: bool) -> list[dict]:
        """n versions of a document. creep: v1 read-only, later ones add write access."""
        r = self.rng
        versions = [base]
        for _ in range(n - 1):
            doc = json.loads(json.dumps(versions[-1]))
            stmts = doc["Statement"]
            if creep:
                svc = next((s["Action"][0] if isinstance(s["Action"], list) else s["Action"]).split(":")[0]
                           for s in stmts if "Action" in s)
                stmts.append(self.write_stmt(svc, c))
                if r.random() < 0.3:
                    stmts.append({"Effect": "Allow", "Action": f"{svc}:*", "Resource": "*"})
            else:
                choice = r.randrange(3)
                if choice == 0:
                    stmts.append(self.read_stmt(self.wchoice(SERVICE_WEIGHTS), self.ctx()))
                elif choice == 1 and len(stmts) > 1:
                    stmts.pop(r.randrange(len(stmts)))
                else:
                    s = stmts[r.randrange(len(stmts))]
                    s["Sid"] = s.get("Sid", "Stmt") + str(r.randrange(10))
            versions.append(doc)
        return versions

    def bulk_policy(self) -> dict:
        r = self.rng
        c = self.ctx()
        kind = self.wchoice({"read": 40, "readwrite": 38, "wildcard": 9, "exfil": 6, "mixed": 7})
        n = r.choices([1, 2, 3, 4, 5], weights=[30, 25, 22, 13, 10])[0]
        creep = n > 1 and r.random() < 0.12 / 0.7
        if creep:
            kind = "read"
            self.stats["policies_read_to_write_creep"] += 1
        base = self.app_document(kind, c)
        name = self.unique(f"{c['team']}-{c['app']}-{c['env']}-{kind}")
        path = r.choice(["/", "/", "/", "/", f"/{c['team']}/", "/app/"])
        return self.new_policy(name, self.evolve(base, c, n, creep), path=path)

    # --- principals ----------------------------------------------------------------------------
    def principal(self, kind: str, name: str, path: str = "/") -> dict:
        prefix = {"user": "AIDA", "role": "AROA", "group": "AGPA"}[kind]
        p = {"Path": path, f"{kind.title()}Name": name, f"{kind.title()}Id": self.ident(prefix),
             "Arn": f"arn:aws:iam::{ACCOUNT}:{kind}{path}{name}",
             "CreateDate": self.clock.fmt(self.clock.ago(self.rng.randint(5, 2500)), self.spaced())}
        return p

    def attach(self, p: dict, arn: str) -> None:
        lst = p.setdefault("AttachedManagedPolicies", [])
        if any(a["PolicyArn"] == arn for a in lst):
            return
        (self.policy_by_arn.get(arn) or self.aws_policies[arn])["AttachmentCount"] += 1
        lst.append({"PolicyName": arn.rsplit("/", 1)[1], "PolicyArn": arn})

    def inline(self, p: dict, key: str, name: str, doc: dict) -> None:
        p.setdefault(key, []).append({"PolicyName": name, "PolicyDocument": self.doc_out(doc)})
        self.stats["inline_policies"] += 1

    def trust(self, statements: list[dict]) -> dict:
        return {"Version": "2012-10-17", "Statement": statements}

    def service_trust(self, services: list[str]) -> dict:
        r = self.rng
        st = {"Effect": "Allow", "Principal": {"Service": services[0] if len(services) == 1 else services},
              "Action": "sts:AssumeRole"}
        if r.random() < 0.4:
            st["Condition"] = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
            if r.random() < 0.5:
                st["Condition"]["ArnLike"] = {"aws:SourceArn": f"arn:aws:{services[0].split('.')[0]}:{r.choice(REGIONS)}:{ACCOUNT}:*"}
            self.stats["trust_service_with_source_condition"] += 1
        else:
            self.stats["trust_service_without_source_condition"] += 1
        return self.trust([st])

    def github_trust(self) -> dict:
        r = self.rng
        org = r.choice(["acme", "acme-labs", "example-corp"])
        repo = f"{org}/{r.choice(TEAMS)}-{r.choice(APPS)}"
        kind = self.wchoice({"good-branch": 35, "good-env": 15, "no-sub": 12, "star-sub": 8, "org-wildcard": 12,
                             "no-aud": 8, "forallvalues": 5, "pull-request": 5})
        self.stats[f"trust_github_oidc_{kind}"] += 1
        aud = {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
        cond: dict = {}
        if kind == "good-branch":
            cond = {"StringEquals": {**aud, "token.actions.githubusercontent.com:sub": f"repo:{repo}:ref:refs/heads/main"}}
        elif kind == "good-env":
            cond = {"StringEquals": aud, "StringLike": {"token.actions.githubusercontent.com:sub": f"repo:{repo}:environment:prod"}}
        elif kind == "no-sub":
            cond = {"StringEquals": aud}
        elif kind == "star-sub":
            cond = {"StringEquals": aud, "StringLike": {"token.actions.githubusercontent.com:sub": "*"}}
        elif kind == "org-wildcard":
            cond = {"StringEquals": aud, "StringLike": {"token.actions.githubusercontent.com:sub": f"repo:{org}/*"}}
        elif kind == "no-aud":
            cond = {"StringLike": {"token.actions.githubusercontent.com:sub": f"repo:{repo}:*"}}
        elif kind == "forallvalues":
            cond = {"StringEquals": aud, "ForAllValues:StringLike": {"token.actions.githubusercontent.com:sub": [f"repo:{repo}:ref:refs/heads/main"]}}
        elif kind == "pull-request":
            cond = {"StringEquals": aud, "StringLike": {"token.actions.githubusercontent.com:sub": f"repo:{repo}:pull_request"}}
        return self.trust([{"Effect": "Allow", "Principal": {"Federated": GITHUB_OIDC},
                            "Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond}])

    def random_trust(self, role_arns: list[str], user_arns: list[str]) -> tuple[dict, str]:
        r = self.rng
        kind = self.wchoice({"service": 62, "root": 8, "cross-account-extid": 4, "cross-account": 2, "principal-arn": 5,
                             "github": 8, "saml": 3, "anyone-org": 1, "anyone": 1, "multi": 3, "service-and-root": 3})
        self.stats[f"trust_{kind}"] += 1
        if kind == "service":
            svc = self.wchoice(TRUST_SERVICES)
            return self.service_trust([svc]), svc
        if kind == "multi":
            svcs = sorted(set(self.wchoice(TRUST_SERVICES) for _ in range(2)))
            return self.service_trust(svcs), svcs[0]
        if kind == "service-and-root":
            svc = self.wchoice(TRUST_SERVICES)
            t = self.service_trust([svc])
            t["Statement"].append({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"})
            return t, svc
        if kind == "root":
            return self.trust([{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                "Action": ["sts:AssumeRole", "sts:TagSession"]}]), ""
        if kind == "cross-account-extid":
            return self.trust([{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{r.choice(OTHER_ACCOUNTS)}:root"},
                                "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"sts:ExternalId": self.uuid()}}}]), ""
        if kind == "cross-account":
            return self.trust([{"Effect": "Allow", "Principal": {"AWS": r.choice(OTHER_ACCOUNTS)},
                                "Action": "sts:AssumeRole"}]), ""
        if kind == "principal-arn":
            pool = role_arns if role_arns and r.random() < 0.6 else user_arns
            arns = sorted(set(r.choice(pool) for _ in range(r.randint(1, 3))))
            return self.trust([{"Effect": "Allow", "Principal": {"AWS": arns if len(arns) > 1 else arns[0]},
                                "Action": "sts:AssumeRole"}]), ""
        if kind == "github":
            return self.github_trust(), ""
        if kind == "saml":
            return self.trust([{"Effect": "Allow", "Principal": {"Federated": SAML_IDP},
                                "Action": "sts:AssumeRoleWithSAML",
                                "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]), ""
        if kind == "anyone-org":
            return self.trust([{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}]), ""
        return self.trust([{"Effect": "Allow", "Principal": {"AWS": "*"} if r.random() < 0.5 else "*",
                            "Action": "sts:AssumeRole"}]), ""

    def role_last_used(self) -> dict:
        r = self.rng
        x = r.random()
        if x < 0.15:
            return {}
        days = r.choice([r.randint(0, 30), r.randint(0, 30), r.randint(30, 120), r.randint(90, 800)])
        return {"LastUsedDate": Clock.iso(self.clock.ago(days)), "Region": r.choice(REGIONS)}

    # --- the account ---------------------------------------------------------------------------
    def build(self) -> dict:
        a, r = self.args, self.rng
        n_roles, n_users, n_policies = a.roles, a.users, a.policies
        n_groups = a.groups if a.groups is not None else max(3, n_users // 20)

        # Names first: escalation set-ups and trust policies refer to each other.
        def name(kind: str, i: int, agent: bool) -> str:
            team, app = r.choice(TEAMS), r.choice(APPS)
            if kind == "user":
                if agent:
                    return self.unique(f"{r.choice(AGENT_WORDS)}-{team}-{app}")
                if r.random() < 0.35:
                    return self.unique(f"{r.choice(PEOPLE)}.{r.choice(TEAMS)}{i}")
                return self.unique(f"svc-{team}-{app}-{r.choice(ENVS)}")
            if agent and r.random() < 0.6:
                return self.unique(f"{team}-{r.choice(AGENT_WORDS)}-{app}-role")
            return self.unique(f"{team}-{app}-{r.choice(ENVS)}-{r.choice(['role', 'exec', 'task', 'svc', 'runner'])}")

        users = []
        for i in range(n_users):
            agent = r.random() < 0.05
            u = self.principal("user", name("user", i, agent), r.choice(["/", "/", "/", "/svc/", "/humans/"]))
            u["_agent"] = agent
            users.append(u)
        roles = []
        for i in range(n_roles):
            agent = r.random() < 0.05
            path = r.choice(["/", "/", "/", "/", "/service-role/", "/app/", f"/{r.choice(TEAMS)}/"])
            rl = self.principal("role", name("role", i, agent), path)
            rl["_agent"] = agent
            roles.append(rl)
        groups = [self.principal("group", self.unique(f"{TEAMS[i % len(TEAMS)]}-{['developers', 'readonly', 'operators', 'admins', 'deployers', 'analysts'][(i // len(TEAMS)) % 6]}"))
                  for i in range(n_groups)]
        # Roles and users reserved for chains, set-ups and targets, drawn at random.
        taken: set[int] = set()
        # fixed: the principal holds only what its set-up gives it (no random policies,
        # boundaries or Deny statements that would change the expected outcome).
        def take_roles(k: int, fixed: bool = True) -> list[dict]:
            out = []
            while len(out) < k and len(taken) < len(roles):
                i = r.randrange(len(roles))
                if i not in taken:
                    taken.add(i)
                    roles[i]["_fixed"] = fixed
                    out.append(roles[i])
            return out
        taken_users: set[int] = set()
        def take_users(k: int) -> list[dict]:
            out = []
            while len(out) < k and len(taken_users) < len(users):
                i = r.randrange(len(users))
                if i not in taken_users:
                    taken_users.add(i)
                    users[i]["_fixed"] = True
                    out.append(users[i])
            return out

        # Service-linked roles (named and placed by AWS).
        n_slr = max(1, n_roles // 100)
        for rl in take_roles(n_slr):  # service-linked roles
            svc, pol = r.choice([("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling"),
                                 ("ecs.amazonaws.com", "AmazonECSServiceRolePolicy"),
                                 ("support.amazonaws.com", "AWSSupportServiceRolePolicy")])
            rl["Path"] = f"/aws-service-role/{svc}/"
            rl["RoleName"] = self.unique("AWSServiceRoleFor" + svc.split(".")[0].title())
            rl["Arn"] = f"arn:aws:iam::{ACCOUNT}:role{rl['Path']}{rl['RoleName']}"
            rl["AssumeRolePolicyDocument"] = self.trust([{"Effect": "Allow", "Principal": {"Service": svc}, "Action": "sts:AssumeRole"}])
            rl["_service"] = svc
            rl["_agent"] = False
            self.attach(rl, self.aws_policy(pol))
            self.stats["service_linked_roles"] += 1

        user_arns = [u["Arn"] for u in users]
        role_arns = [x["Arn"] for x in roles]

        # Bulk customer managed policies (the escalation set-ups add a few more below).
        for _ in range(n_policies):
            self.bulk_policy()
        bulk = list(self.policies)
        popular = bulk[: max(1, len(bulk) // 20)]

        def some_policy() -> str:
            return (r.choice(popular) if r.random() < 0.4 else r.choice(bulk))["Arn"]

        # Admin targets: roles that services can be handed (PassRole targets), admin users,
        # an admin group.
        admin_policy = self.new_policy(self.unique("break-glass-admin"), [
            {"Version": "2012-10-17", "Statement": [{"Sid": "ReadAll", "Effect": "Allow", "Action": ["*:Get*", "*:List*", "*:Describe*"], "Resource": "*"}]},
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}], default_index=1)
        iam_admin = self.new_policy(self.unique("iam-administration"), [
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
                                                    {"Effect": "Allow", "Action": ["organizations:Describe*", "organizations:List*"], "Resource": "*"}]}])
        pass_targets: dict[str, list[dict]] = {}
        passable = ["lambda.amazonaws.com", "ec2.amazonaws.com", "glue.amazonaws.com", "cloudformation.amazonaws.com",
                    "codebuild.amazonaws.com", "sagemaker.amazonaws.com", "datapipeline.amazonaws.com", "ecs-tasks.amazonaws.com"]
        k_targets = max(1, n_roles // 2000)
        for svc in passable:
            for rl in take_roles(k_targets):
                rl["AssumeRolePolicyDocument"] = self.service_trust([svc] if svc != "datapipeline.amazonaws.com"
                                                                    else [svc, "elasticmapreduce.amazonaws.com"])
                rl["_service"] = svc
                self.attach(rl, self.aws_policy("AdministratorAccess") if r.random() < 0.5 else admin_policy["Arn"])
                pass_targets.setdefault(svc, []).append(rl)
                self.stats["escalation_target_roles"] += 1
        low_roles = take_roles(max(1, n_roles // 2000))
        for rl in low_roles:
            rl["AssumeRolePolicyDocument"] = self.service_trust(["lambda.amazonaws.com"])
            rl["_service"] = "lambda.amazonaws.com"
            self.attach(rl, self.aws_policy("AWSLambdaBasicExecutionRole"))
        admin_users = take_users(max(2, n_users // 250))
        for u in admin_users:
            self.attach(u, self.aws_policy("AdministratorAccess") if r.random() < 0.7 else admin_policy["Arn"])
            self.stats["admin_users"] += 1
        admin_groups = [g for g in groups if g["GroupName"].endswith("-admins")] or groups[:1]
        for g in admin_groups:
            self.attach(g, self.aws_policy("AdministratorAccess"))

        # Assume-role chains: role_i+1 trusts role_i, role_i may assume role_i+1, the last is admin.
        n_chains = max(2, n_roles // 40)
        for ci in range(n_chains):
            length = r.choice([2, 2, 3, 3, 4, 5])
            chain = take_roles(length, fixed=False)
            if len(chain) < 2:
                break
            start = r.random()
            if start < 0.4:  # a user at the start, allowed to assume the first role
                starter = r.choice(users)
                chain[0]["AssumeRolePolicyDocument"] = self.trust([{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}])
                self.inline(starter, "UserPolicyList", f"assume-{chain[0]['RoleName']}",
                            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": chain[0]["Arn"]}]})
            else:
                svc = r.choice(["lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "ec2.amazonaws.com", "bedrock.amazonaws.com", "codebuild.amazonaws.com"])
                chain[0]["AssumeRolePolicyDocument"] = self.service_trust([svc])
                chain[0]["_service"] = svc
            for prev, nxt in zip(chain, chain[1:]):
                nxt["AssumeRolePolicyDocument"] = self.trust([{"Effect": "Allow", "Principal": {"AWS": prev["Arn"]}, "Action": "sts:AssumeRole"}])
                how = r.random()
                if how < 0.7:
                    self.inline(prev, "RolePolicyList", "assume-next",
                                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": nxt["Arn"]}]})
                elif how < 0.9:
                    self.inline(prev, "RolePolicyList", "assume-team-roles",
                                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
                                                                         "Resource": f"arn:aws:iam::{ACCOUNT}:role{nxt['Path']}*"}]})
                # else: only the trust policy names it (same account: that is enough)
            last = chain[-1]
            self.attach(last, r.choice([self.aws_policy("AdministratorAccess"), admin_policy["Arn"], iam_admin["Arn"],
                                        self.aws_policy("IAMFullAccess")]))
            if r.random() < 0.2:  # a broken chain: a Deny on the hop
                self.inline(chain[0], "RolePolicyList", "deny-assume",
                            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": "*"}]})
                self.stats["chains_broken_by_deny"] += 1
            self.stats[f"chains_length_{len(chain)}"] += 1
            self.stats["chains"] += 1

        # Escalation set-ups. Each is a customer managed policy (sometimes inline), held by
        # a user or role taken for it; "fp" variants must not be reported as exploitable.
        n_each = max(1, (n_roles + n_users) // 600)

        def holder(prefer_user: bool = False) -> tuple[str, dict]:
            if prefer_user or r.random() < 0.4:
                got = take_users(1)
                if got:
                    return "user", got[0]
            return "role", take_roles(1)[0]

        def give(kind: str, p: dict, scenario: str, stmts: list[dict], self_ref: bool = False) -> None:
            pname = self.unique(f"{scenario}-{r.choice(TEAMS)}-{r.choice(APPS)}")
            arn = f"arn:aws:iam::{ACCOUNT}:policy/{pname}"
            stmts = json.loads(json.dumps(stmts).replace("__SELF_POLICY__", arn).replace("__SELF__", p["Arn"]))
            doc = {"Version": "2012-10-17", "Statement": stmts}
            if r.random() < 0.25 and not self_ref:
                self.used_names.discard(pname)
                self.inline(p, "UserPolicyList" if kind == "user" else "RolePolicyList", pname, doc)
            else:
                pol = self.new_policy(pname, [doc])
                self.attach(p, pol["Arn"])
            self.scenarios[scenario] += 1
            self.holders.setdefault(scenario, []).append(p["Arn"])

        def target(svc: str) -> str:
            return r.choice(pass_targets[svc])["Arn"] if pass_targets.get(svc) else f"arn:aws:iam::{ACCOUNT}:role/*"

        allow = lambda a, res="*", **kw: {"Effect": "Allow", "Action": a, "Resource": res, **kw}
        passrole = lambda svc: allow("iam:PassRole", target(svc) if r.random() < 0.7 else f"arn:aws:iam::{ACCOUNT}:role/*")
        setups = {
            "privesc-lambda-passrole": lambda: [passrole("lambda.amazonaws.com"), allow(["lambda:CreateFunction", "lambda:InvokeFunction"])],
            "privesc-lambda-eventsource": lambda: [passrole("lambda.amazonaws.com"), allow(["lambda:CreateFunction", "lambda:CreateEventSourceMapping", "dynamodb:CreateTable", "dynamodb:PutItem"])],
            "privesc-ec2-passrole": lambda: [passrole("ec2.amazonaws.com"), allow(["ec2:RunInstances", "ec2:AssociateIamInstanceProfile", "ec2:DescribeInstances"])],
            "privesc-glue-passrole": lambda: [passrole("glue.amazonaws.com"), allow(["glue:CreateDevEndpoint", "glue:GetDevEndpoint"])],
            "privesc-cloudformation-passrole": lambda: [passrole("cloudformation.amazonaws.com"), allow(["cloudformation:CreateStack", "cloudformation:DescribeStacks"])],
            "privesc-codebuild-passrole": lambda: [passrole("codebuild.amazonaws.com"), allow(["codebuild:CreateProject", "codebuild:StartBuild"])],
            "privesc-sagemaker-passrole": lambda: [passrole("sagemaker.amazonaws.com"), allow(["sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"])],
            "privesc-datapipeline-passrole": lambda: [passrole("datapipeline.amazonaws.com"), allow(["datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"])],
            "privesc-ecs-passrole": lambda: [passrole("ecs-tasks.amazonaws.com"), allow(["ecs:RegisterTaskDefinition", "ecs:RunTask"])],
            "privesc-create-policy-version": lambda: [allow("iam:CreatePolicyVersion", "__SELF_POLICY__")],
            "privesc-set-default-policy-version": lambda: [allow(["iam:SetDefaultPolicyVersion", "iam:ListPolicyVersions"], "__SELF_POLICY__")],
            "privesc-create-access-key": lambda: [allow("iam:CreateAccessKey", r.choice([r.choice(admin_users)["Arn"], f"arn:aws:iam::{ACCOUNT}:user/*"]))],
            "privesc-create-login-profile": lambda: [allow("iam:CreateLoginProfile", r.choice(admin_users)["Arn"])],
            "privesc-update-login-profile": lambda: [allow("iam:UpdateLoginProfile", f"arn:aws:iam::{ACCOUNT}:user/*")],
            "privesc-attach-self-policy": lambda: [allow(["iam:AttachUserPolicy", "iam:AttachRolePolicy"], "__SELF__")],
            "privesc-put-self-policy": lambda: [allow(["iam:PutUserPolicy", "iam:PutRolePolicy"], "__SELF__")],
            "privesc-put-group-policy": lambda: [allow("iam:PutGroupPolicy", "*")],
            "privesc-attach-group-policy": lambda: [allow("iam:AttachGroupPolicy", f"arn:aws:iam::{ACCOUNT}:group/*")],
            "privesc-add-user-to-group": lambda: [allow("iam:AddUserToGroup", admin_groups[0]["Arn"])],
            "privesc-update-assume-role-policy": lambda: [allow(["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"], target(r.choice(passable)))],
            "privesc-update-function-code": lambda: [allow(["lambda:UpdateFunctionCode", "lambda:InvokeFunction"], f"arn:aws:lambda:*:{ACCOUNT}:function:*")],
            "privesc-ssm-send-command": lambda: [allow(["ssm:SendCommand", "ssm:StartSession"], [f"arn:aws:ec2:*:{ACCOUNT}:instance/*", "arn:aws:ssm:*:*:document/AWS-RunShellScript"])],
            "privesc-notaction": lambda: [{"Effect": "Allow", "NotAction": ["s3:*", "cloudfront:*"], "Resource": "*"}],
            # sideways: passes a role that holds little (CloudWatch Logs writes) to Lambda
            "lateral-passrole-to-low-role": lambda: [allow("iam:PassRole", r.choice(low_roles)["Arn"]), allow(["lambda:CreateFunction", "lambda:InvokeFunction"])],
            # false-positive bait: the same set-ups, not exploitable
            "fp-deny-overrides": lambda: [allow(["iam:CreateAccessKey", "iam:CreatePolicyVersion", "iam:AttachUserPolicy"]),
                                          {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}],
            "fp-passrole-without-service": lambda: [allow("iam:PassRole", target("lambda.amazonaws.com")), allow(["lambda:GetFunction", "lambda:ListFunctions"])],
            "fp-expired-date-condition": lambda: [allow(["iam:AttachUserPolicy", "iam:PutUserPolicy"], "__SELF__",
                                                        Condition={"DateLessThan": {"aws:CurrentTime": Clock.iso(self.clock.ago(400)).replace("+00:00", "Z")}})],
            "fp-create-access-key-nonexistent-user": lambda: [allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/decommissioned-nobody")],
            # PowerUser-like: NotAction leaves out IAM and the usual code-running services;
            # whatever else it grants (other services that run code as a role) decides.
            "notaction-poweruser": lambda: [{"Effect": "Allow", "NotAction": ["iam:*", "sts:*", "lambda:*", "ec2:*", "glue:*", "cloudformation:*",
                                                                                    "codebuild:*", "sagemaker:*", "datapipeline:*", "ecs:*", "ssm:*", "organizations:*"],
                                                   "Resource": "*"}],
        }
        for scenario, make in setups.items():
            for _ in range(n_each):
                kind, p = holder(prefer_user=scenario in ("privesc-add-user-to-group", "privesc-put-group-policy",
                                                                 "privesc-attach-group-policy", "privesc-create-access-key"))
                if kind == "user" and scenario in ("privesc-put-group-policy", "privesc-attach-group-policy"):
                    users_group = r.choice(groups)
                    p.setdefault("GroupList", []).append(users_group["GroupName"])
                give(kind, p, scenario, make(), self_ref=scenario in ("privesc-create-policy-version", "privesc-set-default-policy-version"))

        # Permission boundaries: a few per team.
        boundaries = [self.new_policy(self.unique(f"boundary-{t}"), [{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:*", "dynamodb:*", "sqs:*", "sns:*", "logs:*", "lambda:*", "kms:Decrypt", "xray:*", "cloudwatch:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}]}]) for t in TEAMS[:6]]

        # Everything else about each principal.
        aws_for_service = {
            "lambda.amazonaws.com": ["AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole"],
            "ecs-tasks.amazonaws.com": ["AmazonECSTaskExecutionRolePolicy"],
            "ec2.amazonaws.com": ["AmazonSSMManagedInstanceCore", "CloudWatchAgentServerPolicy", "AmazonS3ReadOnlyAccess"],
            "glue.amazonaws.com": ["AWSGlueServiceRole"],
            "sagemaker.amazonaws.com": ["AmazonSageMakerFullAccess"],
            "bedrock.amazonaws.com": ["AmazonBedrockReadOnly", "AmazonBedrockFullAccess"],
            "bedrock-agentcore.amazonaws.com": ["AmazonBedrockFullAccess"],
            "codebuild.amazonaws.com": ["AWSCodeBuildAdminAccess"],
        }
        human_aws = ["ReadOnlyAccess", "ViewOnlyAccess", "PowerUserAccess", "IAMReadOnlyAccess", "SecurityAudit",
                     "AmazonS3FullAccess", "AmazonDynamoDBFullAccess", "AmazonEC2FullAccess", "AWSLambda_FullAccess",
                     "SecretsManagerReadWrite", "AmazonSQSFullAccess", "AmazonSNSFullAccess", "AmazonEC2ReadOnlyAccess"]

        for rl in roles:
            if "AssumeRolePolicyDocument" not in rl:
                t, svc = self.random_trust(role_arns, user_arns)
                rl["AssumeRolePolicyDocument"] = t
                rl["_service"] = svc
            svc = rl.get("_service", "")
            if svc in AGENT_SERVICES:
                self.stats["roles_trusting_agent_services"] += 1
            if rl["Path"].startswith("/aws-service-role/") or rl.pop("_fixed", False):
                continue
            for _ in range(r.choices([0, 1, 2, 3], weights=[10, 45, 30, 15])[0]):
                self.attach(rl, some_policy())
            if svc in aws_for_service and r.random() < 0.8:
                self.attach(rl, self.aws_policy(r.choice(aws_for_service[svc])))
            elif r.random() < 0.08:
                self.attach(rl, self.aws_policy(r.choice(human_aws)))
            for k in range(r.choices([0, 1, 2], weights=[40, 45, 15])[0]):
                c = self.ctx()
                self.inline(rl, "RolePolicyList", f"{c['app']}-{['access', 'inline', 'extra'][k]}",
                            self.app_document(self.wchoice({"read": 5, "readwrite": 4, "wildcard": 1}), c))
            if r.random() < 0.04:
                rl["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": r.choice(boundaries)["Arn"]}
                self.policy_by_arn[rl["PermissionsBoundary"]["PermissionsBoundaryArn"]]["PermissionsBoundaryUsageCount"] += 1
                self.stats["roles_with_permissions_boundary"] += 1

        for u in users:
            if u.pop("_fixed", False):
                continue
            if r.random() < 0.6 and groups:
                for g in r.sample(groups, r.choices([1, 2, 3], weights=[60, 30, 10])[0]):
                    if g["GroupName"] not in u.get("GroupList", []) and g not in admin_groups:
                        u.setdefault("GroupList", []).append(g["GroupName"])
            for _ in range(r.choices([0, 1, 2], weights=[45, 40, 15])[0]):
                self.attach(u, some_policy())
            if r.random() < 0.1:
                self.attach(u, self.aws_policy(r.choice(human_aws)))
            if r.random() < 0.2:
                c = self.ctx()
                self.inline(u, "UserPolicyList", f"{c['app']}-inline", self.app_document("readwrite", c))
            if r.random() < 0.02:
                u["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": r.choice(boundaries)["Arn"]}
                self.policy_by_arn[u["PermissionsBoundary"]["PermissionsBoundaryArn"]]["PermissionsBoundaryUsageCount"] += 1
        for u in admin_users[:1]:  # one admin in the admins group too
            u.setdefault("GroupList", []).append(admin_groups[0]["GroupName"])

        for g in groups:
            for _ in range(r.choices([0, 1, 2, 3], weights=[10, 40, 35, 15])[0]):
                self.attach(g, some_policy())
            if r.random() < 0.3:
                self.attach(g, self.aws_policy(r.choice(human_aws)))
            if r.random() < 0.25:
                c = self.ctx()
                self.inline(g, "GroupPolicyList", f"{c['team']}-shared", self.app_document("read", c))

        # Serialise in the CLI's field order.
        out_users = []
        for u in users:
            agent = u.pop("_agent")
            self.stats["agent_tagged_users"] += agent
            out_users.append({"Path": u["Path"], "UserName": u["UserName"], "UserId": u["UserId"], "Arn": u["Arn"],
                              "CreateDate": u["CreateDate"], **({"UserPolicyList": u["UserPolicyList"]} if "UserPolicyList" in u else {}),
                              "GroupList": u.get("GroupList", []), "AttachedManagedPolicies": u.get("AttachedManagedPolicies", []),
                              **({"PermissionsBoundary": u["PermissionsBoundary"]} if "PermissionsBoundary" in u else {}),
                              "Tags": self.tags(agent, "users")})
        out_groups = [{"Path": g["Path"], "GroupName": g["GroupName"], "GroupId": g["GroupId"], "Arn": g["Arn"],
                       "CreateDate": g["CreateDate"], "GroupPolicyList": g.get("GroupPolicyList", []),
                       "AttachedManagedPolicies": g.get("AttachedManagedPolicies", [])} for g in groups]
        out_roles = []
        for rl in roles:
            agent = rl.pop("_agent")
            self.stats["agent_tagged_roles"] += agent
            trust = rl["AssumeRolePolicyDocument"]
            profiles = []
            if rl.get("_service") == "ec2.amazonaws.com" or (r.random() < 0.03 and not rl["Path"].startswith("/aws-service-role/")):
                profiles.append({"Path": "/", "InstanceProfileName": rl["RoleName"], "InstanceProfileId": self.ident("AIPA"),
                                 "Arn": f"arn:aws:iam::{ACCOUNT}:instance-profile/{rl['RoleName']}", "CreateDate": rl["CreateDate"],
                                 "Roles": [{"Path": rl["Path"], "RoleName": rl["RoleName"], "RoleId": rl["RoleId"], "Arn": rl["Arn"],
                                            "CreateDate": rl["CreateDate"], "AssumeRolePolicyDocument": trust}]})
                self.stats["instance_profiles"] += 1
            role = {"Path": rl["Path"], "RoleName": rl["RoleName"], "RoleId": rl["RoleId"], "Arn": rl["Arn"],
                    "CreateDate": rl["CreateDate"], "AssumeRolePolicyDocument": self.doc_out(trust),
                    "InstanceProfileList": profiles, "RolePolicyList": rl.get("RolePolicyList", []),
                    "AttachedManagedPolicies": rl.get("AttachedManagedPolicies", [])}
            if "PermissionsBoundary" in rl:
                role["PermissionsBoundary"] = rl["PermissionsBoundary"]
            role["Tags"] = self.tags(agent, "roles")
            role["RoleLastUsed"] = self.role_last_used()
            out_roles.append(role)

        self.users_out = out_users
        policies = self.policies + [self.aws_policies[k] for k in sorted(self.aws_policies)]
        return {"UserDetailList": out_users, "GroupDetailList": out_groups, "RoleDetailList": out_roles, "Policies": policies}

    # --- credential report ----------------------------------------------------------------------
    def credential_report(self) -> str:
        r = self.rng
        cols = ["user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
                "password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
                "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
                "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
                "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active",
                "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        iso = Clock.iso
        now = self.clock.now
        root_key = r.random() < 0.5
        w.writerow(["<root_account>", f"arn:aws:iam::{ACCOUNT}:root", iso(self.clock.ago(3000)), "not_supported",
                    iso(self.clock.ago(40)), "not_supported", "not_supported", "true",
                    "true" if root_key else "false", iso(self.clock.ago(1200)) if root_key else "N/A",
                    iso(self.clock.ago(300)) if root_key else "N/A", "us-east-1" if root_key else "N/A",
                    "s3" if root_key else "N/A", "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A"])
        services = ["s3", "sts", "dynamodb", "sqs", "lambda", "ec2", "iam", "bedrock", "secretsmanager", "logs"]

        def key(created: datetime, active_share: float) -> list[str]:
            if r.random() > active_share:
                return ["false", "N/A", "N/A", "N/A", "N/A"]
            age = r.choice([r.randint(1, 90), r.randint(30, 365), r.randint(180, 900), r.randint(365, 2400)])
            rotated = max(created, now - timedelta(days=age, seconds=r.randrange(86400)))
            self.stats["access_keys"] += 1
            self.stats[f"access_keys_age_{'0-90' if age <= 90 else '91-365' if age <= 365 else '366+'}_days"] += 1
            if r.random() < 0.08:
                self.stats["access_keys_never_used"] += 1
                return ["true", iso(rotated), "N/A", "N/A", "N/A"]
            used = rotated + (now - rotated) * r.random()
            return ["true", iso(rotated), iso(used), r.choice(REGIONS), r.choice(services)]

        for u in self.users_out:
            created = datetime.strptime(u["CreateDate"].replace("T", " "), "%Y-%m-%d %H:%M:%S+00:00").replace(tzinfo=timezone.utc)
            console = u["UserName"].count(".") == 1 or r.random() < 0.1
            pw = ["true", iso(self.clock.ago(r.randint(0, 400))) if r.random() < 0.9 else "no_information",
                  iso(self.clock.ago(r.randint(0, 700))), "N/A"] if console else ["false", "N/A", "N/A", "N/A"]
            mfa = "true" if console and r.random() < 0.8 else "false"
            k1 = key(created, 0.7)
            k2 = key(created, 0.22 if k1[0] == "true" else 0.05)
            if k1[0] == "true" and k2[0] == "true":
                self.stats["users_with_two_active_keys"] += 1
            w.writerow([u["UserName"], u["Arn"], iso(created), *pw, mfa, *k1, *k2, "false", "N/A", "false", "N/A"])
        return buf.getvalue()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="the GAAD JSON to write (OUT.credential-report.csv and OUT.manifest.json go beside it)")
    ap.add_argument("--roles", type=int, default=10000)
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--policies", type=int, default=20000, help="customer managed policies (set-ups add a few more)")
    ap.add_argument("--groups", type=int, default=None, help="default: users / 20")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--now", default="2026-11-01", help="the date every age is measured back from")
    args = ap.parse_args()
    if args.roles < 200 or args.users < 10 or args.policies < 10:
        ap.error("need at least 200 roles, 10 users and 10 policies")

    g = Gen(args)
    gaad = g.build()
    stem = args.out.name[:-5] if args.out.name.endswith(".json") else args.out.name
    csv_path = args.out.with_name(stem + ".credential-report.csv")
    manifest_path = args.out.with_name(stem + ".manifest.json")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w") as f:
        json.dump(gaad, f, indent=4)
        f.write("\n")
    report = g.credential_report()
    csv_path.write_text(report)

    customer = sum(1 for p in gaad["Policies"] if ":iam::aws:" not in p["Arn"])
    counts = {
        "users": len(gaad["UserDetailList"]), "roles": len(gaad["RoleDetailList"]), "groups": len(gaad["GroupDetailList"]),
        "customer_managed_policies": customer, "aws_managed_policies": len(gaad["Policies"]) - customer,
        "principals": len(gaad["UserDetailList"]) + len(gaad["RoleDetailList"]) + len(gaad["GroupDetailList"]),
        "bytes": args.out.stat().st_size, "credential_report_bytes": csv_path.stat().st_size,
        **dict(sorted(g.stats.items())),
    }
    manifest = {
        "params": {"roles": args.roles, "users": args.users, "policies": args.policies, "groups": args.groups,
                   "seed": args.seed, "now": args.now,
                   # regenerate when the generator or its action table changes
                   "generator_sha256": hashlib.sha256(Path(__file__).read_bytes() + ACTIONS_FILE.read_bytes()).hexdigest()[:16]},
        "account": ACCOUNT, "counts": counts, "escalation_setups": dict(sorted(g.scenarios.items())),
        "escalation_holders": dict(sorted(g.holders.items())),
        "gaad": args.out.name, "credential_report": csv_path.name,
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")

    print(f"wrote {args.out} ({counts['bytes'] / 1e6:.1f} MB) and {csv_path.name}; manifest {manifest_path.name}", file=sys.stderr)
    for k in ("principals", "users", "roles", "groups", "customer_managed_policies", "aws_managed_policies", "policy_versions",
              "inline_policies", "documents_object", "documents_url_encoded", "chains", "agent_tagged_users",
              "agent_tagged_roles", "roles_trusting_agent_services", "access_keys", "users_with_two_active_keys"):
        print(f"  {k:32} {counts.get(k, 0)}")
    print(f"  {'escalation set-ups':32} {sum(g.scenarios.values())} ({len(g.scenarios)} kinds, "
          f"{sum(v for k, v in g.scenarios.items() if k.startswith('fp-'))} of them not exploitable)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
