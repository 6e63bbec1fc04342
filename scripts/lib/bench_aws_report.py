#!/usr/bin/env python3
"""Helpers for scripts/bench-aws.sh, in Python because they read JSON.

    bench_aws_report.py current MANIFEST ROLES USERS POLICIES SEED
        exit 0 when the export beside MANIFEST was made with these parameters by
        the current generator (and its action table), 1 otherwise
    bench_aws_report.py decode IN.json OUT.json
        copy a GAAD export with every URL-encoded policy document decoded to an
        object (cloudsplaining reads objects only)
    bench_aws_report.py describe MANIFEST       -> one line about the export
    bench_aws_report.py count TOOL FILE         -> "findings<TAB>escalation findings"
    bench_aws_report.py table RESULTS_TSV MANIFEST -> the Markdown table on stdout

RESULTS_TSV rows: tool, seconds, peak RSS KB, findings, escalation findings,
status ("ok", or a failure or time-out note), timed-out flag (1 or 0).
"""

from __future__ import annotations

import hashlib
import json
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "scripts" / "gen-bench-gaad.py"
ACTIONS = ROOT / "data" / "aws-actions.txt"

CS_RISKS = ("PrivilegeEscalation", "DataExfiltration", "ResourceExposure", "ServiceWildcard",
            "CredentialsExposure", "InfrastructureModification")
CS_TRUST = ("AssumableByComputeServices", "AssumableByCrossAccountPrincipal", "AssumableByAnyPrincipal",
            "AssumableByAnyPrincipalWithConditions")


def current(manifest: str, roles: str, users: str, policies: str, seed: str) -> int:
    try:
        m = json.load(open(manifest))
    except (OSError, ValueError):
        return 1
    p = m.get("params", {})
    sha = hashlib.sha256(GENERATOR.read_bytes() + ACTIONS.read_bytes()).hexdigest()[:16]
    want = {"roles": int(roles), "users": int(users), "policies": int(policies), "seed": int(seed),
            "generator_sha256": sha}
    return 0 if all(p.get(k) == v for k, v in want.items()) else 1


def _doc(d):
    return json.loads(urllib.parse.unquote(d)) if isinstance(d, str) else d


def decode(src: str, dst: str) -> None:
    g = json.load(open(src))
    for key, lst in (("UserPolicyList", "UserDetailList"), ("GroupPolicyList", "GroupDetailList"),
                     ("RolePolicyList", "RoleDetailList")):
        for p in g.get(lst, []):
            for pol in p.get(key, []):
                pol["PolicyDocument"] = _doc(pol["PolicyDocument"])
            if "AssumeRolePolicyDocument" in p:
                p["AssumeRolePolicyDocument"] = _doc(p["AssumeRolePolicyDocument"])
    for pol in g.get("Policies", []):
        for v in pol.get("PolicyVersionList", []):
            v["Document"] = _doc(v["Document"])
    with open(dst, "w") as f:
        json.dump(g, f, indent=4)


def describe(manifest: str) -> None:
    m = json.load(open(manifest))
    c, p = m["counts"], m["params"]
    chains = ", ".join(f"{c.get(f'chains_length_{n}', 0)}×{n}" for n in range(2, 6))
    print(f"{c['roles']} roles, {c['users']} users, {c['groups']} groups; {c['customer_managed_policies']} customer "
          f"managed policies ({c['policy_versions']} versions) and {c['aws_managed_policies']} AWS managed; "
          f"{c['inline_policies']} inline policies; {c['documents_url_encoded']} of "
          f"{c['documents_url_encoded'] + c['documents_object']} documents URL-encoded; {c['chains']} assume-role "
          f"chains ({chains} roles); {sum(m['escalation_setups'].values())} escalation set-ups of "
          f"{len(m['escalation_setups'])} kinds; {c['agent_tagged_users'] + c['agent_tagged_roles']} principals "
          f"tagged nhi:agent; {c['access_keys']} access keys. {c['bytes'] / 1e6:.0f} MB of JSON (seed {p['seed']})")


def count(tool: str, path: str) -> None:
    d = json.load(open(path))
    if tool == "nhi-audit":
        findings = d["findings"]
        chains = sum(1 for f in findings if f.get("category") == "privilege-chain")
        print(f"{len(findings)}\t{chains}")
    elif tool == "cloudsplaining":
        # What its report counts: each policy (AWS managed, customer managed, inline)
        # with findings in a risk category is one finding; each role whose trust
        # policy is flagged is one more. Its privilege escalation is per policy.
        total = esc = 0
        for section in ("aws_managed_policies", "customer_managed_policies", "inline_policies"):
            for pol in d.get(section, {}).values():
                for risk in CS_RISKS:
                    if (pol.get(risk) or {}).get("findings"):
                        total += 1
                        esc += risk == "PrivilegeEscalation"
        for role in d.get("roles", {}).values():
            total += sum(1 for t in CS_TRUST if (role.get(t) or {}).get("findings"))
        print(f"{total}\t{esc}")
    else:
        raise SystemExit(f"unknown tool {tool}")


def table(tsv: str, manifest: str) -> None:
    c = json.load(open(manifest))["counts"]
    principals = c["users"] + c["roles"] + c["groups"]
    policies = c["customer_managed_policies"] + c["aws_managed_policies"]
    rows = []
    for line in open(tsv):
        tool, secs, rss, findings, esc, status, timed_out = line.rstrip("\n").split("\t")
        rows.append(dict(tool=tool, secs=float(secs) if secs else None, rss=int(rss) / 1024 if rss else None,
                         findings=findings, esc=esc, status=status, timed_out=timed_out == "1"))
    nhi = next((r for r in rows if r["tool"] == "nhi-audit"), None)
    # nhi-audit's time is the baseline; a timed-out run is a lower bound, so the
    # ratios against it become upper bounds (and a timed-out rival's lower bounds).
    base = nhi["secs"] if nhi and (nhi["status"] == "ok" or nhi["timed_out"]) else None
    print("| tool | principals | managed policies | seconds | peak RSS MB | findings | escalation / chain findings | nhi-audit speed-up |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        if r["secs"] is None:
            print(f"| {r['tool']} | {principals} | {policies} | – | – | – | – | {r['status']} |")
            continue
        secs = f"> {r['secs']:.0f} ({r['status']})" if r["timed_out"] else f"{r['secs']:.2f}"
        if r is nhi:
            ratio = "1×"
        elif base and (r["status"] == "ok" or r["timed_out"]) and not (r["timed_out"] and nhi["timed_out"]):
            # GNU time reports 10 ms steps; a 0.00 s run counts as 10 ms.
            bound = "≥ " if r["timed_out"] else "≤ " if nhi["timed_out"] else ""
            ratio = f"{bound}{r['secs'] / max(base, 0.01):.{2 if r['secs'] < base else 1}f}×"
        else:
            ratio = "–"
        print(f"| {r['tool']} | {principals} | {policies} | {secs} | {r['rss']:.0f} | {r['findings'] or '–'} | "
              f"{r['esc'] or '–'} | {ratio} |")


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    if cmd == "current":
        sys.exit(current(*args))
    elif cmd == "decode":
        decode(*args)
    elif cmd == "describe":
        describe(*args)
    elif cmd == "count":
        count(*args)
    elif cmd == "table":
        table(*args)
    else:
        raise SystemExit(f"unknown command {cmd}")
