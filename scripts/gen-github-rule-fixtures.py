#!/usr/bin/env python3
"""Writes fixtures/rules/NHI-GH-*/{match,no-match}/github-export.json: GitHub exports
(the `nhi-audit/github-export/v1` bundle) built from GitHub's documented example
responses in fixtures/github-api/, changed only where the rule looks.

"Fresh" dates lie in the future on purpose, so the no-match fixtures never age past a
limit; "old" ones lie far in the past."""
import copy
import json
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
API = os.path.join(ROOT, "fixtures", "github-api")
OUT = os.path.join(ROOT, "fixtures", "rules")
OLD, FUTURE = "2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z"


def example(name):
    with open(os.path.join(API, name)) as f:
        return json.load(f)


INSTALLATION = example("installation-paginated.json")["installations"][0]
REPO = example("minimal-repository-items.json")[0]
PAT = example("org-pat-grant-paginated.json")[0]
KEY = example("deploy-key-items.json")[0]
SECRET = example("actions-secret-paginated.json")["secrets"][0]
WORKFLOW = example("workflow-paginated.json")["workflows"][0]
DEFAULTS = example("actions-default-workflow-permissions.json")

CLAUDE_WORKFLOW = """name: Claude
on:
  issue_comment:
    types: [created]
jobs:
  claude:
    runs-on: ubuntu-latest
%s    steps:
      - uses: anthropics/claude-code-action@v1
        with:
          anthropic_api_key: ${{ secrets.ANTHROPIC_API_KEY }}
"""


def installation(slug, selection, **perms):
    i = copy.deepcopy(INSTALLATION)
    i["app_slug"] = slug
    i["repository_selection"] = selection
    i["permissions"] = dict({"metadata": "read"}, **perms)
    return i


def pat(name, granted, expires, last_used):
    p = copy.deepcopy(PAT)
    p["token_name"] = name
    p["access_granted_at"] = granted
    p["token_expires_at"] = expires
    p["token_last_used_at"] = last_used
    p["permissions"]["repository"] = {"metadata": "read", "contents": "write"}
    return p


def repo(name="Hello-World", keys=None, secrets=None, workflow=None, defaults=None):
    r = copy.deepcopy(REPO)
    r["name"] = name
    r["full_name"] = f"octo-org/{name}"
    r["owner"]["login"] = "octo-org"
    r["html_url"] = f"https://github.com/octo-org/{name}"
    out = {
        "repository": r,
        "deploy_keys": keys or [],
        "actions_secrets": secrets or [],
        "workflow_permissions": defaults,
        "workflows": [],
    }
    if workflow:
        w = copy.deepcopy(WORKFLOW)
        w["name"], w["path"] = "Claude", ".github/workflows/claude.yml"
        out["workflows"] = [{"workflow": w, "content": workflow}]
    return out


def key(title, read_only, id=1):
    k = copy.deepcopy(KEY)
    k["id"], k["title"], k["read_only"] = id, title, read_only
    return k


def secret(name, updated):
    s = copy.deepcopy(SECRET)
    s["name"], s["created_at"], s["updated_at"] = name, OLD, updated
    return s


def export(installations=(), pats=(), repos=(), org_defaults=None):
    return {
        "schema": "nhi-audit/github-export/v1",
        "api_url": "https://api.github.com",
        "orgs": [
            {
                "org": "octo-org",
                "installations": list(installations),
                "actions_secrets": [],
                "workflow_permissions": org_defaults or DEFAULTS,
                "personal_access_tokens": list(pats),
                "repositories": list(repos),
                "errors": [],
            }
        ],
    }


def put(rule, kind, data):
    d = os.path.join(OUT, rule, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "github-export.json"), "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


put("NHI-GH-001", "match", export([installation("claude", "all", contents="write", pull_requests="write")]))
put("NHI-GH-001", "no-match", export([installation("claude", "selected", contents="write"), installation("dependabot-like", "all", contents="write")]))
put("NHI-GH-002", "match", export(pats=[pat("release-automation", OLD, None, FUTURE)]))
put("NHI-GH-002", "no-match", export(pats=[pat("release-automation", FUTURE, "2099-02-01T00:00:00Z", FUTURE)]))
put("NHI-GH-003", "match", export(pats=[pat("release-automation", OLD, "2099-02-01T00:00:00Z", None)]))
put("NHI-GH-003", "no-match", export(pats=[pat("release-automation", OLD, "2099-02-01T00:00:00Z", FUTURE)]))
put("NHI-GH-004", "match", export(pats=[pat("claude-bot", FUTURE, "2099-02-01T00:00:00Z", FUTURE)]))
put("NHI-GH-004", "no-match", export(pats=[pat("release-automation", FUTURE, "2099-02-01T00:00:00Z", FUTURE)]))
put("NHI-GH-005", "match", export(repos=[repo(keys=[key("devin-deploy", False)])]))
put("NHI-GH-005", "no-match", export(repos=[repo(keys=[key("devin-deploy", True), key("octocat@octomac", False, 2)])]))
pinned = "    permissions:\n      contents: read\n"
put("NHI-GH-006", "match", export(repos=[repo(secrets=[secret("ANTHROPIC_API_KEY", OLD)], workflow=CLAUDE_WORKFLOW % pinned)]))
put("NHI-GH-006", "no-match", export(repos=[repo(secrets=[secret("ANTHROPIC_API_KEY", FUTURE), secret("GIST_ID", OLD)], workflow=CLAUDE_WORKFLOW % pinned)]))
write = {"default_workflow_permissions": "write", "can_approve_pull_request_reviews": True}
put("NHI-GH-007", "match", export(repos=[repo(workflow=CLAUDE_WORKFLOW % "")], org_defaults=write))
put("NHI-GH-007", "no-match", export(repos=[repo(workflow=CLAUDE_WORKFLOW % "", defaults=DEFAULTS), repo("Other", workflow=CLAUDE_WORKFLOW % pinned, defaults=write)], org_defaults=write))
