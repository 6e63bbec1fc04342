#!/usr/bin/env python3
"""Regenerate data/mcp-servers.yaml: well-known MCP servers and what they can do.

    scripts/gen-mcp-catalog.py [--in PATH] [--out PATH]

The input, data/mcp-servers.in.yaml, is hand-judged: each server's name, its
capabilities (untrusted-input, private-data, outbound) with a one-line reason, and
how a config names it (npm and PyPI packages, container images, remote hosts).

Every npm package is looked up with the npm client (`npm view PKG --json`) and every
PyPI package with PyPI's JSON API (https://pypi.org/pypi/PKG/json): the output
records the registry's latest version, description and repository URL, and a package
the registry does not know is dropped with a message on stderr (a server left with
nothing to recognise it by is dropped too). Images and hosts have no registry to ask:
they are written as hand-judged, with the provider's page each was read from.

Output (read by src/sources/repo/mcp_catalog.rs): YAML with `#` header lines saying how
and when it was made, then `servers:`, in input order. Set SOURCE_DATE_EPOCH to fix
the date in the header. Needs PyYAML, npm, and network access to both registries.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CAPABILITIES = ("untrusted-input", "private-data", "outbound")


def fail(msg):
    sys.exit(f"gen-mcp-catalog: {msg}")


def npm_info(name):
    """The registry's record of an npm package, or None when it does not exist."""
    proc = subprocess.run(
        ["npm", "view", name, "name", "version", "description", "repository.url", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if proc.returncode != 0:
        if "E404" in proc.stderr or "404" in proc.stdout:
            return None
        fail(f"npm view {name} failed: {proc.stderr.strip()[:300]}")
    data = json.loads(proc.stdout or "{}")
    if not data.get("version"):
        return None  # a name with every version unpublished
    return {
        "version": data.get("version"),
        "description": data.get("description"),
        "repository": data.get("repository.url"),
    }


def pypi_info(name):
    """PyPI's record of a package, or None when it does not exist."""
    url = f"https://pypi.org/pypi/{name}/json"
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            data = json.load(resp)
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        fail(f"{url}: HTTP {e.code}")
    info = data.get("info", {})
    if not info.get("version"):
        return None
    urls = info.get("project_urls") or {}
    repo = next(
        (
            v
            for k, v in urls.items()
            if k.lower() in ("source", "source code", "repository", "code", "github", "homepage")
            and "github.com" in (v or "")
        ),
        None,
    ) or info.get("home_page") or next(iter(urls.values()), None)
    return {
        "version": info.get("version"),
        "description": info.get("summary"),
        "repository": repo or None,
    }


def q(value):
    """A YAML scalar: JSON's double-quoted string is valid YAML."""
    if value is None:
        return "null"
    return json.dumps(" ".join(str(value).split()), ensure_ascii=False)


def check_entry(i, entry):
    where = f"{ARGS.input}: server #{i + 1} ({entry.get('name', '?')})"
    known = {"name", "npm", "pypi", "images", "hosts", "capabilities", "reason"}
    unknown = set(entry) - known
    if unknown:
        fail(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("name", "reason"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            fail(f"{where}: `{key}` is missing")
    caps = entry.get("capabilities")
    if not isinstance(caps, list) or any(c not in CAPABILITIES for c in caps):
        fail(f"{where}: `capabilities` must be a list of {', '.join(CAPABILITIES)}")
    for key in ("images", "hosts"):
        for item in entry.get(key) or []:
            if not item.get("doc", "").startswith("https://"):
                fail(f"{where}: each of `{key}` needs the provider's `doc` page")


def main():
    spec = yaml.safe_load(Path(ARGS.input).read_text())
    servers = spec.get("servers") or []
    out = []
    dropped = 0
    names = set()
    for i, entry in enumerate(servers):
        check_entry(i, entry)
        if entry["name"] in names:
            fail(f"{ARGS.input}: server name {entry['name']!r} is used twice")
        names.add(entry["name"])
        packages = []
        for registry, lookup in (("npm", npm_info), ("pypi", pypi_info)):
            for name in entry.get(registry) or []:
                info = lookup(name)
                if info is None:
                    print(f"dropped: {registry} package {name} ({entry['name']}) is not in the registry", file=sys.stderr)
                    dropped += 1
                    continue
                packages.append((registry, name, info))
        images = entry.get("images") or []
        hosts = entry.get("hosts") or []
        if not (packages or images or hosts):
            print(f"dropped: server {entry['name']} has nothing left to recognise it by", file=sys.stderr)
            continue
        out.append((entry, packages, images, hosts))

    date = datetime.datetime.fromtimestamp(
        int(os.environ.get("SOURCE_DATE_EPOCH", datetime.datetime.now().timestamp())),
        datetime.timezone.utc,
    ).date()
    npm_n = sum(1 for _, p, _, _ in out for r, _, _ in p if r == "npm")
    pypi_n = sum(1 for _, p, _, _ in out for r, _, _ in p if r == "pypi")
    lines = [
        "# Well-known MCP servers and what they can do (untrusted-input, private-data, outbound).",
        f"# Generated {date} by scripts/gen-mcp-catalog.py from data/mcp-servers.in.yaml. Do not edit:",
        "# change the input and run the script again.",
        "# Capabilities and reasons are hand-judged from each server's documentation. Packages were",
        "# checked against their registry on that date (npm: `npm view`; PyPI: pypi.org/pypi/NAME/json),",
        "# with the latest version, description and repository the registry gave; packages it did not",
        "# know were dropped. Images and hosts have no registry: `source: hand-judged`, with the",
        "# provider's page (`doc`) they were read from.",
        f"# {len(out)} servers, {npm_n} npm packages, {pypi_n} PyPI packages.",
        "servers:",
    ]
    for entry, packages, images, hosts in out:
        lines.append(f"  - name: {q(entry['name'])}")
        lines.append(f"    capabilities: [{', '.join(entry['capabilities'])}]")
        lines.append(f"    reason: {q(entry['reason'])}")
        if packages:
            lines.append("    packages:")
            for registry, name, info in packages:
                lines.append(f"      - registry: {registry}")
                lines.append(f"        name: {q(name)}")
                lines.append(f"        version: {q(info['version'])}")
                lines.append(f"        description: {q(info['description'])}")
                lines.append(f"        repository: {q(info['repository'])}")
        for key, field in (("images", "image"), ("hosts", "host")):
            items = entry.get(key) or []
            if items:
                lines.append(f"    {key}:")
                for item in items:
                    lines.append(f"      - {field}: {q(item[field])}")
                    lines.append("        source: hand-judged")
                    lines.append(f"        doc: {q(item['doc'])}")
    Path(ARGS.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {ARGS.output}: {len(out)} servers ({dropped} packages dropped)", file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in", dest="input", default=str(ROOT / "data" / "mcp-servers.in.yaml"))
    parser.add_argument("--out", dest="output", default=str(ROOT / "data" / "mcp-servers.yaml"))
    ARGS = parser.parse_args()
    main()
