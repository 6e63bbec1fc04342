#!/usr/bin/env python3
"""Writes fixtures/scenario: one estate seen by the three sources, with the links that
make privilege chains across them.

- workstation/.mcp.json: a Claude Code MCP server holding the access key of IAM user
  `warehouse-mcp`, who may assume role `warehouse-reader` (S3 and Glue reads);
- aws/: the account's authorization details and access-key listing;
- github/github-export.json: organisation octo-org, repository Hello-World (GitHub's
  documented example objects, taken from fixtures/rules/NHI-GH-006), with a triage agent
  that comments with a PAT (TRIAGE_PAT) and a coding agent that `issue_comment` starts,
  with `contents: write` and the OIDC role `app-deployer`;
- crew/: a read-only CrewAI agent that may delegate to one with write tools.

Every credential-shaped value is a fake made for this fixture.
`python3 scripts/gen-scenario.py` regenerates it; `tests/it/scenario.rs` also derives the
"links cut" variant from it.
"""

import copy
import json
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "scenario"
ACCOUNT = "111122223333"
KEY_ID = "AKIA2SCENAR1OWH0USE7"  # fake, 20 characters
assert len(KEY_ID) == 20
SECRET = "sCeNaRiOfAkE0wArEhOuSe0sEcReT0kEy0nLy0X"  # fake
SECRET = (SECRET + "x" * 40)[:40]

TRIAGE = """name: Issue triage
on:
  issues:
    types: [opened]
permissions:
  contents: read
  issues: read
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - uses: anthropics/claude-code-action@v1
        with:
          anthropic_api_key: ${{ secrets.ANTHROPIC_API_KEY }}
          github_token: ${{ secrets.TRIAGE_PAT }}
          prompt: Label the issue and ask @claude to fix it when it is a bug.
"""

CODER = """name: Coding agent
on:
  issue_comment:
    types: [created]
jobs:
  claude:
    if: contains(github.event.comment.body, '@claude')
    runs-on: ubuntu-latest
    permissions:
      contents: write
      pull-requests: write
      id-token: write
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/configure-aws-credentials@v4
        with:
          role-to-assume: arn:aws:iam::%s:role/app-deployer
          aws-region: eu-west-1
      - uses: anthropics/claude-code-action@v1
        with:
          anthropic_api_key: ${{ secrets.ANTHROPIC_API_KEY }}
""" % ACCOUNT


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions, resources, **extra):
    return dict({"Effect": "Allow", "Action": actions, "Resource": resources}, **extra)


def gaad():
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/warehouse-mcp"
    return {
        "UserDetailList": [
            {
                "Path": "/",
                "UserName": "warehouse-mcp",
                "UserId": "AIDASCENARIOWAREHOUSE",
                "Arn": user_arn,
                "CreateDate": "2025-03-01T09:00:00Z",
                "GroupList": [],
                "AttachedManagedPolicies": [],
                "UserPolicyList": [
                    {
                        "PolicyName": "assume-warehouse-reader",
                        "PolicyDocument": policy(
                            allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/warehouse-reader")
                        ),
                    }
                ],
                "Tags": [{"Key": "owner", "Value": "data-platform"}],
            }
        ],
        "GroupDetailList": [],
        "RoleDetailList": [
            {
                "Path": "/",
                "RoleName": "warehouse-reader",
                "RoleId": "AROASCENARIOREADER",
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/warehouse-reader",
                "CreateDate": "2025-03-01T09:00:00Z",
                "AssumeRolePolicyDocument": policy(
                    {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}
                ),
                "InstanceProfileList": [],
                "RolePolicyList": [
                    {
                        "PolicyName": "read-warehouse",
                        "PolicyDocument": policy(
                            allow(
                                ["s3:GetObject", "s3:ListBucket", "glue:GetTable"],
                                ["arn:aws:s3:::acme-warehouse", "arn:aws:s3:::acme-warehouse/*", "*"],
                            )
                        ),
                    }
                ],
                "AttachedManagedPolicies": [],
                "Tags": [{"Key": "owner", "Value": "data-platform"}],
            },
            {
                "Path": "/",
                "RoleName": "app-deployer",
                "RoleId": "AROASCENARIODEPLOYER",
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/app-deployer",
                "CreateDate": "2025-03-01T09:00:00Z",
                "AssumeRolePolicyDocument": policy(
                    {
                        "Effect": "Allow",
                        "Principal": {
                            "Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
                        },
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {
                            "StringEquals": {
                                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                                "token.actions.githubusercontent.com:sub": "repo:octo-org/Hello-World:ref:refs/heads/main",
                            }
                        },
                    }
                ),
                "InstanceProfileList": [],
                "RolePolicyList": [
                    {
                        "PolicyName": "deploy",
                        "PolicyDocument": policy(
                            allow(
                                ["lambda:UpdateFunctionCode", "s3:PutObject"],
                                [
                                    f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:app",
                                    "arn:aws:s3:::acme-artifacts/*",
                                ],
                            )
                        ),
                    }
                ],
                "AttachedManagedPolicies": [],
                "Tags": [{"Key": "owner", "Value": "app-team"}],
            },
        ],
        "Policies": [],
    }


def github_export():
    base = json.loads((ROOT / "fixtures/rules/NHI-GH-006/match/github-export.json").read_text())
    org = base["orgs"][0]
    repo = org["repositories"][0]
    template = repo["workflows"][0]
    workflows = []
    for wid, (name, path, content) in enumerate(
        [("Issue triage", ".github/workflows/triage.yml", TRIAGE), ("Coding agent", ".github/workflows/coder.yml", CODER)]
    ):
        w = copy.deepcopy(template)
        w["workflow"]["id"] += wid
        w["workflow"]["name"] = name
        w["workflow"]["path"] = path
        w["content"] = content
        workflows.append(w)
    repo["workflows"] = workflows
    repo["actions_secrets"] = [
        {"name": "ANTHROPIC_API_KEY", "created_at": "2025-03-01T00:00:00Z", "updated_at": "2025-03-01T00:00:00Z"},
        {"name": "TRIAGE_PAT", "created_at": "2025-03-01T00:00:00Z", "updated_at": "2025-03-01T00:00:00Z"},
    ]
    org["repositories"] = [repo]
    return base


def main():
    files = {
        "workstation/.mcp.json": json.dumps(
            {
                "mcpServers": {
                    "warehouse": {
                        "command": "uvx",
                        "args": ["awslabs.aws-api-mcp-server@latest"],
                        "env": {
                            "AWS_ACCESS_KEY_ID": KEY_ID,
                            "AWS_SECRET_ACCESS_KEY": SECRET,
                            "AWS_REGION": "eu-west-1",
                        },
                    }
                }
            },
            indent=2,
        ),
        "aws/gaad.json": json.dumps(gaad(), indent=2),
        "aws/access-keys.json": json.dumps(
            {
                "AccessKeyMetadata": [
                    {
                        "UserName": "warehouse-mcp",
                        "AccessKeyId": KEY_ID,
                        "Status": "Active",
                        "CreateDate": "2025-03-01T09:05:00Z",
                        "LastUsedDate": "2026-11-20T08:00:00Z",
                        "LastUsedService": "s3",
                    }
                ]
            },
            indent=2,
        ),
        "github/github-export.json": json.dumps(github_export(), indent=1),
        "crew/config/agents.yaml": """reader:
  role: Support reader
  goal: Answer questions from the knowledge base
  backstory: Reads documents; never writes.
  tools: [SerperDevTool]
  allow_delegation: true

fixer:
  role: Fixer
  goal: Apply fixes to the documentation
  backstory: Edits files and commits them.
  tools: [FileWriterTool]
  allow_delegation: false
""",
    }
    for rel, text in files.items():
        path = OUT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text if text.endswith("\n") else text + "\n")
        print("wrote", path.relative_to(ROOT))


if __name__ == "__main__":
    main()
