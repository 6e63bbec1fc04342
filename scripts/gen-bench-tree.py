#!/usr/bin/env python3
"""Generate a large, deterministic tree of fake repositories for scripts/bench.sh.

    scripts/gen-bench-tree.py OUT_DIR [--files N] [--mb M] [--seed S]

The tree looks like a folder of many checkouts: mostly ordinary source, docs,
JSON, YAML and the odd binary, of varied sizes (log-normal, a few files of
several MB), with AI-agent configs and credentials sprinkled in:

  * `.mcp.json`, `.cursor/mcp.json`, `claude_desktop_config.json`,
    `.codex/config.toml`, `OAI_CONFIG_LIST` with literal keys or `${VAR}`
    references;
  * `.github/workflows/*.yml` running `anthropics/claude-code-action@v1` or
    `openai/codex-action@v1` with `secrets.*` and various permissions;
  * `.env` files with AWS key pairs, GitHub PATs, Anthropic/OpenAI/Slack/Stripe
    keys, database URLs; `.env.example` files with placeholders only;
  * PEM private keys, and keys hard-coded in source files;

plus `node_modules/` and `.git/` folders that scanners should skip (nothing is
planted there). Every secret is random and only *shaped* like a real one.

Exactly N files and about M MB (10^6 bytes) are written. The same arguments
give the same bytes: every random choice comes from one seeded generator. A
manifest with the parameters and statistics is written beside the tree, to
`OUT_DIR.manifest.json` (outside it, so scanners never see it).
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import random
import string
import sys
import zlib
from collections import Counter
from pathlib import Path

ALNUM = string.ascii_letters + string.digits
UPPER32 = string.ascii_uppercase + "234567"  # AWS key ids are base32
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

WORDS = (
    "account agent alpha api app archive auth batch billing blob bridge buffer "
    "build cache catalog channel client cloud cluster config connector context "
    "core cursor data debug deploy digest driver engine event export feature "
    "fetch filter flow gateway graph handler health index infra ingest invoice "
    "job kernel ledger loader logger mapper merge metrics model monitor node "
    "notify order parser payment pipeline policy pool portal queue record "
    "registry render report request router runtime sample schema search "
    "service session shard signal socket store stream sync task template "
    "tenant token tracker transform user util vault worker"
).split()


class Gen:
    """All randomness of one run, from a single seeded generator."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def chars(self, alphabet: str, n: int) -> str:
        return "".join(self.r.choices(alphabet, k=n))

    def ident(self, parts: int = 2) -> str:
        return "_".join(self.pick(WORDS) for _ in range(parts))

    # --- credentials, shaped like the real ones --------------------------------
    def aws_key_id(self) -> str:
        return "AKIA" + self.chars(UPPER32, 16)

    def aws_secret(self) -> str:
        return self.chars(ALNUM + "+/", 40)

    def github_pat(self) -> str:
        # Classic PAT: ghp_ + 30 random + 6-char base62 CRC32 checksum, so
        # checksum-aware scanners accept it too.
        body = self.chars(ALNUM, 30)
        n, ck = zlib.crc32(body.encode()), ""
        while n:
            n, d = divmod(n, 62)
            ck = B62[d] + ck
        return "ghp_" + body + ck.rjust(6, "0")

    def anthropic_key(self) -> str:
        return "sk-ant-api03-" + self.chars(ALNUM + "_-", 93) + "AA"

    def openai_key(self) -> str:
        return "sk-proj-" + self.chars(ALNUM + "_-", 74) + "T3BlbkFJ" + self.chars(ALNUM + "_-", 74)

    def slack_token(self) -> str:
        return f"xoxb-{self.chars(string.digits, 12)}-{self.chars(string.digits, 13)}-{self.chars(ALNUM, 24)}"

    def stripe_key(self) -> str:
        return "sk_live_" + self.chars(ALNUM, 24)

    def db_url(self) -> str:
        return f"postgresql://app:{self.chars(ALNUM, 16)}@db-{self.pick(WORDS)}.internal:5432/{self.pick(WORDS)}"

    def private_key(self) -> str:
        lines = [base64.b64encode(self.r.randbytes(48)).decode() for _ in range(25)]
        return "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END RSA PRIVATE KEY-----\n"


# --- ordinary content ------------------------------------------------------------
# Text files are slices of per-kind pools built once, so 300 MB takes seconds,
# not minutes; a random offset per file keeps neighbouring files different.


def build_pools(g: Gen) -> dict[str, bytes]:
    def code(fmt_fn, n_bytes=600_000):
        out, size = [], 0
        while size < n_bytes:
            chunk = fmt_fn()
            out.append(chunk)
            size += len(chunk)
        return "".join(out).encode()

    def py():
        f, a, b = g.ident(), g.ident(1), g.ident(1)
        return (
            f"def {f}({a}, {b}=None):\n    \"\"\"Return the {g.pick(WORDS)} for {a}.\"\"\"\n"
            f"    if {b} is None:\n        {b} = {g.r.randrange(1000)}\n"
            f"    result = [{a}.get('{g.pick(WORDS)}') for _ in range({b})]\n"
            f"    logger.debug('{f}: %s', len(result))\n    return result\n\n\n"
        )

    def js():
        f, a = g.ident(1) + g.pick(WORDS).title(), g.ident(1)
        return (
            f"export async function {f}({a}, options = {{}}) {{\n"
            f"  const {g.pick(WORDS)} = await fetch(`/api/{g.pick(WORDS)}/${{{a}.id}}`);\n"
            f"  // {g.pick(WORDS)} {g.pick(WORDS)} {g.pick(WORDS)}\n"
            f"  if (!options.{g.pick(WORDS)}) return null;\n"
            f"  return {{ ...{a}, {g.pick(WORDS)}: {g.r.randrange(10**6)} }};\n}}\n\n"
        )

    def rs():
        f, t = g.ident(), g.pick(WORDS).title()
        return (
            f"/// Builds the {g.pick(WORDS)} {g.pick(WORDS)}.\n"
            f"pub fn {f}(input: &{t}) -> Result<Vec<u64>, Error> {{\n"
            f"    let mut out = Vec::with_capacity({g.r.randrange(64)});\n"
            f"    for item in input.{g.pick(WORDS)}.iter() {{\n"
            f"        out.push(item.{g.pick(WORDS)} * {g.r.randrange(100)});\n    }}\n    Ok(out)\n}}\n\n"
        )

    def go():
        f, t = g.pick(WORDS).title() + g.pick(WORDS).title(), g.pick(WORDS).title()
        return (
            f"// {f} handles the {g.pick(WORDS)} {g.pick(WORDS)}.\n"
            f"func {f}(ctx context.Context, in *{t}) (*{t}, error) {{\n"
            f"\tif in == nil {{\n\t\treturn nil, fmt.Errorf(\"{g.pick(WORDS)}: nil input\")\n\t}}\n"
            f"\tin.{g.pick(WORDS).title()} += {g.r.randrange(1000)}\n\treturn in, nil\n}}\n\n"
        )

    def java():
        f, t = g.pick(WORDS) + g.pick(WORDS).title(), g.pick(WORDS).title()
        return (
            f"    /** Returns the {g.pick(WORDS)} of the given {g.pick(WORDS)}. */\n"
            f"    public {t} {f}(final {t} input) {{\n"
            f"        Objects.requireNonNull(input, \"{g.pick(WORDS)}\");\n"
            f"        return input.with{g.pick(WORDS).title()}({g.r.randrange(1000)});\n    }}\n\n"
        )

    def prose():
        words = [g.pick(WORDS) for _ in range(g.r.randrange(8, 30))]
        head = "## " + " ".join(words[:3]).title() + "\n\n" if g.r.random() < 0.1 else ""
        return head + " ".join(words).capitalize() + ".\n" + ("\n" if g.r.random() < 0.3 else "")

    def toml():
        return f"[{g.ident(1)}.{g.ident(1)}]\nenabled = {str(g.r.random() < 0.5).lower()}\nlimit = {g.r.randrange(10**4)}\nname = \"{g.ident()}\"\n\n"

    def csv():
        return ",".join(str(g.r.randrange(10**6)) if i % 2 else g.pick(WORDS) for i in range(8)) + "\n"

    def html():
        return f"<div class=\"{g.pick(WORDS)}\">\n  <h2>{g.pick(WORDS).title()}</h2>\n  <p>{' '.join(g.pick(WORDS) for _ in range(12))}</p>\n</div>\n"

    pools = {
        "py": code(py), "js": code(js), "rs": code(rs), "go": code(go), "java": code(java),
        "md": code(prose), "toml": code(toml), "csv": code(csv), "html": code(html),
    }
    pools["ts"] = pools["js"]
    pools["txt"] = pools["md"]
    return pools


def json_records(g: Gen, n: int = 3000) -> list[bytes]:
    recs = []
    for i in range(n):
        rec = {
            "id": i,
            "name": g.ident(),
            "kind": g.pick(WORDS),
            "enabled": g.r.random() < 0.5,
            "tags": [g.pick(WORDS) for _ in range(g.r.randrange(4))],
            "count": g.r.randrange(10**6),
        }
        if g.r.random() < 0.2:  # lock-file style hashes: entropy noise, as in real trees
            rec["integrity"] = "sha512-" + base64.b64encode(g.r.randbytes(64)).decode()
        recs.append(json.dumps(rec, indent=2).replace("\n", "\n    ").encode())
    return recs


def yaml_records(g: Gen, n: int = 3000) -> list[bytes]:
    recs = []
    for _ in range(n):
        tags = "".join(f"\n      - {g.pick(WORDS)}" for _ in range(g.r.randrange(1, 4)))
        recs.append(
            (f"  - name: {g.ident()}\n    kind: {g.pick(WORDS)}\n    replicas: {g.r.randrange(1, 9)}\n"
             f"    labels:\n      tags:{tags}\n").encode()
        )
    return recs


class Content:
    def __init__(self, g: Gen) -> None:
        self.g = g
        self.pools = build_pools(g)
        self.json = json_records(g)
        self.yaml = yaml_records(g)

    def text(self, kind: str, size: int) -> bytes:
        pool = self.pools[kind]
        off = self.g.r.randrange(len(pool))
        reps = (off + size) // len(pool) + 1
        data = (pool * reps)[off : off + size] if reps > 1 else pool[off : off + size]
        if len(data) < size:
            data += pool[: size - len(data)]
        return data

    def minified(self, size: int) -> bytes:
        return self.text("js", size).replace(b"\n", b" ")

    def json_doc(self, size: int) -> bytes:
        parts, n = [], 40
        while n < size:
            rec = self.g.pick(self.json)
            parts.append(rec)
            n += len(rec) + 6
        body = b",\n    ".join(parts)
        return b'{\n  "version": 1,\n  "items": [\n    ' + body + b"\n  ]\n}\n"

    def yaml_doc(self, size: int) -> bytes:
        parts, n = [b"version: 1\nitems:\n"], 20
        while n < size:
            rec = self.g.pick(self.yaml)
            parts.append(rec)
            n += len(rec)
        return b"".join(parts)

    def binary(self, size: int, header: bytes) -> bytes:
        return header + self.g.r.randbytes(max(0, size - len(header)))


# --- the planted part -----------------------------------------------------------


class Tree:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = 0
        self.bytes = 0
        self.made_dirs: set[Path] = set()
        self.top_bytes: Counter[str] = Counter()
        self.top_files: Counter[str] = Counter()
        self.skippable = Counter()  # node_modules / .git: files and bytes
        self.planted: Counter[str] = Counter()
        self.agent_configs: Counter[str] = Counter()

    def write(self, rel: str, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        path = self.root / rel
        if path.parent not in self.made_dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.made_dirs.add(path.parent)
        path.write_bytes(data)
        self.files += 1
        self.bytes += len(data)
        top = rel.split("/", 1)[0]
        self.top_bytes[top] += len(data)
        self.top_files[top] += 1
        if "/node_modules/" in rel or "/.git/" in rel:
            self.skippable["files"] += 1
            self.skippable["bytes"] += len(data)


def secret(tree: Tree, kind: str, value: str) -> str:
    tree.planted[kind] += 1
    return value


def plant_env(g: Gen, t: Tree, repo: str) -> None:
    lines = ["NODE_ENV=production", f"PORT={g.r.randrange(3000, 9000)}", "LOG_LEVEL=info"]
    for kind in g.r.sample(["aws", "github", "anthropic", "openai", "slack", "stripe", "db"], g.r.randrange(1, 5)):
        if kind == "aws":
            lines += [f"AWS_ACCESS_KEY_ID={secret(t, 'aws-access-key', g.aws_key_id())}",
                      f"AWS_SECRET_ACCESS_KEY={g.aws_secret()}"]
        elif kind == "github":
            lines.append(f"GITHUB_TOKEN={secret(t, 'github-pat', g.github_pat())}")
        elif kind == "anthropic":
            lines.append(f"ANTHROPIC_API_KEY={secret(t, 'anthropic-key', g.anthropic_key())}")
        elif kind == "openai":
            lines.append(f"OPENAI_API_KEY={secret(t, 'openai-key', g.openai_key())}")
        elif kind == "slack":
            lines.append(f"SLACK_BOT_TOKEN={secret(t, 'slack-token', g.slack_token())}")
        elif kind == "stripe":
            lines.append(f"STRIPE_SECRET_KEY={secret(t, 'stripe-key', g.stripe_key())}")
        else:
            lines.append(f"DATABASE_URL={secret(t, 'db-url-password', g.db_url())}")
    t.write(f"{repo}/{g.pick(['.env', '.env', '.env.local', 'deploy/.env.production'])}", "\n".join(lines) + "\n")


def plant_env_example(g: Gen, t: Tree, repo: str) -> None:
    t.write(f"{repo}/.env.example",
            "ANTHROPIC_API_KEY=your-key-here\nGITHUB_TOKEN=<your token>\nAWS_ACCESS_KEY_ID=xxx\nPORT=3000\n")


def plant_mcp(g: Gen, t: Tree, repo: str) -> None:
    literal = g.r.random() < 0.5
    gh = secret(t, "github-pat", g.github_pat()) if literal else "${GITHUB_TOKEN}"
    servers = {
        "github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"],
                   "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": gh}},
        "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."]},
    }
    if g.r.random() < 0.4:
        url = secret(t, "db-url-password", g.db_url()) if literal else "${DATABASE_URL}"
        servers["postgres"] = {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-postgres", url]}
    if g.r.random() < 0.3:
        tok = secret(t, "slack-token", g.slack_token()) if literal else "${SLACK_BOT_TOKEN}"
        servers["slack"] = {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-slack"],
                            "env": {"SLACK_BOT_TOKEN": tok, "SLACK_TEAM_ID": "T" + g.chars(UPPER32, 8)}}
    name = g.pick([".mcp.json", ".mcp.json", ".cursor/mcp.json", "claude_desktop_config.json"])
    t.agent_configs[name] += 1
    t.write(f"{repo}/{name}", json.dumps({"mcpServers": servers}, indent=2) + "\n")


def plant_workflow(g: Gen, t: Tree, repo: str) -> None:
    claude = g.r.random() < 0.75
    trigger = g.pick([
        "issue_comment:\n    types: [created]\n  pull_request_review_comment:\n    types: [created]",
        "pull_request_target:\n    types: [opened, synchronize]",
        "workflow_dispatch:",
    ])
    perms = g.pick([
        "permissions:\n  contents: write\n  pull-requests: write\n  issues: write\n",
        "permissions:\n  contents: read\n  pull-requests: write\n  id-token: write\n",
        "permissions: write-all\n",
        "",
    ])
    aws = ""
    if g.r.random() < 0.3:
        aws = g.pick([
            "      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n"
            "          aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}\n"
            "          aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}\n          aws-region: us-east-1\n",
            "      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n"
            f"          role-to-assume: arn:aws:iam::{g.chars(string.digits, 12)}:role/{g.ident(1)}-agent\n"
            "          aws-region: us-east-1\n",
        ])
    if claude:
        name, step = "claude.yml", (
            "      - uses: anthropics/claude-code-action@v1\n        with:\n"
            "          anthropic_api_key: ${{ secrets.ANTHROPIC_API_KEY }}\n"
            + ("          github_token: ${{ secrets.PAT_TOKEN }}\n" if g.r.random() < 0.3 else ""))
    else:
        name, step = "codex.yml", (
            "      - uses: openai/codex-action@v1\n        with:\n"
            "          openai-api-key: ${{ secrets.OPENAI_API_KEY }}\n"
            "          prompt: Review this pull request.\n")
    t.agent_configs[f".github/workflows/{name}"] += 1
    t.write(f"{repo}/.github/workflows/{name}",
            f"name: {'Claude Code' if claude else 'Codex review'}\non:\n  {trigger}\n{perms}"
            "jobs:\n  agent:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: actions/checkout@v4\n" + aws + step)


def plant_ci_workflow(g: Gen, t: Tree, repo: str) -> None:
    t.write(f"{repo}/.github/workflows/ci.yml",
            "name: CI\non: [push, pull_request]\npermissions:\n  contents: read\njobs:\n  test:\n"
            "    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
            f"      - run: make test-{g.pick(WORDS)}\n")


def plant_private_key(g: Gen, t: Tree, repo: str) -> None:
    path = g.pick(["deploy/keys/deploy_key.pem", "config/certs/server.key", "ops/id_rsa"])
    t.write(f"{repo}/{path}", secret(t, "private-key", g.private_key()))


def plant_source_secret(g: Gen, t: Tree, repo: str) -> None:
    if g.r.random() < 0.5:
        key_id = secret(t, "aws-access-key", g.aws_key_id())
        t.write(f"{repo}/src/settings_{g.pick(WORDS)}.py",
                f"import os\n\nAWS_REGION = 'us-east-1'\nAWS_ACCESS_KEY_ID = '{key_id}'\n"
                f"AWS_SECRET_ACCESS_KEY = '{g.aws_secret()}'\nDEBUG = os.environ.get('DEBUG') == '1'\n")
    else:
        key = secret(t, "openai-key", g.openai_key())
        t.write(f"{repo}/src/llm_{g.pick(WORDS)}.ts",
                f"import OpenAI from 'openai';\n\nconst client = new OpenAI({{ apiKey: \"{key}\" }});\nexport default client;\n")


def plant_framework(g: Gen, t: Tree, repo: str) -> None:
    if g.r.random() < 0.5:
        t.agent_configs["OAI_CONFIG_LIST"] += 1
        key = secret(t, "openai-key", g.openai_key())
        t.write(f"{repo}/OAI_CONFIG_LIST", json.dumps([{"model": "gpt-4o", "api_key": key}], indent=2) + "\n")
    else:
        t.agent_configs[".codex/config.toml"] += 1
        tok = secret(t, "github-pat", g.github_pat())
        t.write(f"{repo}/.codex/config.toml",
                f"model = \"o4-mini\"\n\n[mcp_servers.github]\ncommand = \"npx\"\n"
                f"args = [\"-y\", \"@modelcontextprotocol/server-github\"]\nenv = {{ GITHUB_PERSONAL_ACCESS_TOKEN = \"{tok}\" }}\n")


def plant_node_modules(g: Gen, c: Content, t: Tree, repo: str) -> None:
    for _ in range(g.r.randrange(4, 12)):
        pkg = f"{repo}/node_modules/{g.pick(WORDS)}-{g.pick(WORDS)}"
        t.write(f"{pkg}/package.json", json.dumps({"name": pkg.rsplit('/', 1)[1], "version": "1.0.0", "main": "index.js"}) + "\n")
        t.write(f"{pkg}/index.js", c.text("js", int(g.r.lognormvariate(math.log(3000), 1.0))))
        t.write(f"{pkg}/README.md", c.text("md", int(g.r.lognormvariate(math.log(2000), 0.8))))


def plant_git(g: Gen, c: Content, t: Tree, repo: str) -> None:
    d = f"{repo}/.git"
    sha = g.chars("0123456789abcdef", 40)
    t.write(f"{d}/HEAD", "ref: refs/heads/main\n")
    t.write(f"{d}/config", "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n")
    t.write(f"{d}/description", "Unnamed repository; edit this file 'description' to name the repository.\n")
    t.write(f"{d}/refs/heads/main", sha + "\n")
    t.write(f"{d}/logs/HEAD", f"{'0' * 40} {sha} Dev <dev@example.com> 1700000000 +0000\tclone\n")
    t.write(f"{d}/hooks/pre-commit.sample", c.text("md", 1500))
    t.write(f"{d}/index", c.binary(g.r.randrange(2_000, 40_000), b"DIRC"))
    pack = g.chars("0123456789abcdef", 40)
    t.write(f"{d}/objects/pack/pack-{pack}.pack",
            c.binary(int(g.r.lognormvariate(math.log(60_000), 1.0)), b"PACK"))
    t.write(f"{d}/objects/pack/pack-{pack}.idx", c.binary(g.r.randrange(1_000, 20_000), b"\xfftOc"))


# --- ordinary files -------------------------------------------------------------

LANG_MIX = {
    "py": [("py", 55), ("md", 8), ("json", 9), ("yaml", 7), ("txt", 4), ("toml", 3), ("csv", 4), ("html", 3), ("js", 5), ("png", 2)],
    "js": [("js", 35), ("ts", 25), ("json", 12), ("md", 8), ("yaml", 5), ("html", 6), ("min.js", 2), ("csv", 2), ("png", 5)],
    "rs": [("rs", 60), ("toml", 6), ("md", 10), ("json", 8), ("yaml", 6), ("txt", 5), ("png", 5)],
    "go": [("go", 60), ("md", 10), ("json", 10), ("yaml", 10), ("txt", 5), ("png", 5)],
    "java": [("java", 60), ("md", 8), ("json", 8), ("yaml", 10), ("html", 6), ("txt", 4), ("png", 4)],
}
DIRS = {
    "py": ["src", "src/{w}", "src/{w}/{w}", "tests", "docs", "scripts", "config", "data"],
    "js": ["src", "src/components", "src/{w}", "lib", "test", "docs", "public", "config"],
    "rs": ["src", "src/{w}", "src/{w}/{w}", "tests", "benches", "docs", "examples"],
    "go": ["cmd/{w}", "internal/{w}", "internal/{w}/{w}", "pkg/{w}", "docs", "deploy"],
    "java": ["src/main/java/com/example/{w}", "src/test/java/com/example/{w}", "src/main/resources", "docs"],
}


def ordinary(g: Gen, c: Content, t: Tree, repo: str, lang: str, dirs: list[str], size: int, n: int) -> None:
    exts, weights = zip(*LANG_MIX[lang])
    ext = g.r.choices(exts, weights)[0]
    base = f"{repo}/{g.pick(dirs)}/{g.pick(WORDS)}_{n}"
    if ext in ("json",):
        data = c.json_doc(size)
    elif ext == "yaml":
        data = c.yaml_doc(size)
    elif ext == "min.js":
        data = c.minified(size)
    elif ext == "png":
        data = c.binary(size, b"\x89PNG\r\n\x1a\n")
    else:
        data = c.text(ext, size)
    t.write(f"{base}.{ext}", data)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--files", type=int, default=100_000, help="files to write (default 100000)")
    ap.add_argument("--mb", type=float, default=320, help="total size in MB of 10^6 bytes (default 320)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    out: Path = args.out_dir
    if out.exists() and any(out.iterdir()):
        print(f"error: {out} exists and is not empty", file=sys.stderr)
        return 2
    target = int(args.mb * 1_000_000)
    g = Gen(args.seed)
    c = Content(g)
    t = Tree(out)

    # Phase 1: the planted and skippable files, per repository (~200 files each).
    n_repos = max(1, args.files // 200)
    repos = []
    for i in range(n_repos):
        lang = g.pick(list(LANG_MIX))
        repo = f"r{i:04d}-{g.pick(WORDS)}-{g.pick(WORDS)}"
        repos.append((repo, lang))
        if g.r.random() < 0.60: plant_ci_workflow(g, t, repo)
        if g.r.random() < 0.30: plant_workflow(g, t, repo)
        if g.r.random() < 0.25: plant_mcp(g, t, repo)
        if g.r.random() < 0.25: plant_env(g, t, repo)
        if g.r.random() < 0.30: plant_env_example(g, t, repo)
        if g.r.random() < 0.05: plant_private_key(g, t, repo)
        if g.r.random() < 0.05: plant_source_secret(g, t, repo)
        if g.r.random() < 0.04: plant_framework(g, t, repo)
        if lang == "js" and g.r.random() < 0.5: plant_node_modules(g, c, t, repo)
        if g.r.random() < 0.40: plant_git(g, c, t, repo)

    # Phase 2: ordinary files fill the rest of the file and byte budgets.
    n_ord = args.files - t.files
    budget = target - t.bytes
    if n_ord <= 0 or budget <= n_ord * 64:
        print(f"error: --files/--mb too small for the planted part ({t.files} files, {t.bytes} bytes)", file=sys.stderr)
        return 2
    # Log-normal sizes (median ~1.2 KB, a long tail), rescaled to hit the byte budget.
    sizes = [min(g.r.lognormvariate(math.log(1200), 1.4), 4_000_000) for _ in range(n_ord)]
    for i in g.r.sample(range(n_ord), max(1, n_ord // 20_000)):  # a few bundles/dumps of several MB
        sizes[i] = g.r.uniform(4_000_000, 12_000_000)
    scale = budget / sum(sizes)
    sizes = [max(64, int(s * scale)) for s in sizes]
    weights = [g.r.lognormvariate(0, 0.7) for _ in repos]
    owners = g.r.choices(range(len(repos)), weights, k=n_ord)
    repo_dirs = {}
    for n, (size, owner) in enumerate(zip(sizes, owners)):
        repo, lang = repos[owner]
        if repo not in repo_dirs:
            repo_dirs[repo] = [d.replace("{w}", g.pick(WORDS), 1).replace("{w}", g.pick(WORDS)) for d in DIRS[lang] for _ in range(3)]
        ordinary(g, c, t, repo, lang, repo_dirs[repo], size, n)

    manifest = {
        "generator": "scripts/gen-bench-tree.py",
        "params": {"files": args.files, "mb": args.mb, "seed": args.seed},
        "files": t.files,
        "bytes": t.bytes,
        "repos": n_repos,
        "skippable": dict(t.skippable),
        "planted_secrets": sum(t.planted.values()),
        "planted_by_kind": dict(sorted(t.planted.items())),
        "agent_configs": dict(sorted(t.agent_configs.items())),
        "top_level": {k: {"files": t.top_files[k], "bytes": v} for k, v in sorted(t.top_bytes.items())},
    }
    Path(str(out) + ".manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{out}: {t.files} files, {t.bytes / 1e6:.1f} MB in {n_repos} repos; "
          f"{t.skippable['files']} files / {t.skippable['bytes'] / 1e6:.1f} MB under node_modules/.git")
    print(f"planted secrets: {manifest['planted_secrets']} "
          + " ".join(f"{k}={v}" for k, v in manifest["planted_by_kind"].items()))
    print("agent configs: " + " ".join(f"{k}={v}" for k, v in manifest["agent_configs"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
