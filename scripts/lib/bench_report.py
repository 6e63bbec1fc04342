#!/usr/bin/env python3
"""Helpers for scripts/bench.sh, kept in Python because they read JSON and do
arithmetic that bash does badly.

    bench_report.py describe MANIFEST           -> one line about a generated tree
    bench_report.py subset MANIFEST PERCENT     -> top-level folders, one a line
    bench_report.py count-findings TOOL FILE    -> number of findings in a report
    bench_report.py table RESULTS_TSV           -> the Markdown report on stdout

RESULTS_TSV rows: tool, input label, files, bytes, seconds, peak RSS KB,
findings, status ("ok" or a failure note). MB are 10^6 bytes.
"""

from __future__ import annotations

import json
import sys


def describe(manifest_path: str) -> None:
    m = json.load(open(manifest_path))
    print(f"{m['files']} files, {m['bytes'] / 1e6:.1f} MB in {m['repos']} repos "
          f"(seed {m['params']['seed']}), of which {m['skippable']['files']} files / "
          f"{m['skippable']['bytes'] / 1e6:.1f} MB under node_modules/ and .git/; "
          f"{m['planted_secrets']} planted secrets ("
          + ", ".join(f"{k} {v}" for k, v in m["planted_by_kind"].items()) + ")")


def subset(manifest_path: str, percent: float) -> None:
    """The first top-level folders (in name order) that make up PERCENT of the bytes."""
    m = json.load(open(manifest_path))
    want, acc = m["bytes"] * percent / 100, 0
    for name, stats in sorted(m["top_level"].items()):
        if acc >= want:
            break
        print(name)
        acc += stats["bytes"]


def count_findings(tool: str, path: str) -> None:
    d = json.load(open(path))
    if tool in ("nhi-audit", "kingfisher"):
        n = len(d.get("findings", []))
    elif tool == "detect-secrets":
        n = sum(len(v) for v in d.get("results", {}).values())
    else:
        raise SystemExit(f"unknown tool {tool}")
    print(n)


def table(tsv_path: str) -> None:
    rows = []
    for line in open(tsv_path):
        tool, label, files, nbytes, secs, rss_kb, findings, status = line.rstrip("\n").split("\t")
        rows.append(dict(tool=tool, label=label, files=int(files), mb=int(nbytes) / 1e6,
                         secs=float(secs) if secs else None, rss_mb=int(rss_kb) / 1024 if rss_kb else None,
                         findings=findings, status=status))
    for r in rows:
        # GNU time reports 10 ms steps; a 0.00 s run is "under 10 ms".
        r["mbps"] = r["mb"] / max(r["secs"], 0.01) if r["status"] == "ok" else None
    # The first nhi-audit row (the whole tree) is the baseline for the ratios.
    base_row = next((r for r in rows if r["tool"] == "nhi-audit" and r["mbps"]), None)
    base = base_row["mbps"] if base_row else None

    print("| tool | input | files | MB | seconds | MB/s | peak RSS MB | findings | nhi-audit speed-up |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        if r["mbps"] is None:
            print(f"| {r['tool']} | {r['label']} | {r['files']} | {r['mb']:.1f} | – | – | – | – | {r['status']} |")
            continue
        ratio = f"{base / r['mbps']:.2f}×" if base and (r is base_row or r["tool"] != "nhi-audit") else "–"
        print(f"| {r['tool']} | {r['label']} | {r['files']} | {r['mb']:.1f} | {r['secs']:.2f} | "
              f"{r['mbps']:.2f} | {r['rss_mb']:.0f} | {r['findings']} | {ratio} |")


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    if cmd == "describe":
        describe(args[0])
    elif cmd == "subset":
        subset(args[0], float(args[1]))
    elif cmd == "count-findings":
        count_findings(*args)
    elif cmd == "table":
        table(args[0])
    else:
        raise SystemExit(f"unknown command {cmd}")
