#!/usr/bin/env python3
"""Recall and precision of agent recognition on the wild corpus.

Rebuilds the repositories of ../shared/corpus/wild at their source paths (from
MANIFEST.md) in a temporary folder, scans it with each binary given, and compares the
agents found with the hand labels in tests/it/wild-labels.tsv: an agent is (file, job or
client). Prints, per binary, recall and precision, and what was missed or extra.

    scripts/eval-agents.py target/debug/nhi-audit [other/nhi-audit ...]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "..", "shared", "corpus")


def rebuild(into):
    manifest = open(os.path.join(CORPUS, "MANIFEST.md"), encoding="utf-8").read()
    section = manifest.split("## wild/")[1]
    n = 0
    for line in section.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 5 or not cells[1].startswith("`wild/"):
            continue
        name = cells[1].strip("`")[len("wild/"):]
        dest = os.path.join(into, cells[2], cells[4].strip("`"))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy(os.path.join(CORPUS, "wild", name), dest)
        n += 1
    return n


def labels():
    out = set()
    for line in open(os.path.join(ROOT, "tests", "it", "wild-labels.tsv"), encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        cells = line.rstrip("\n").split("\t")
        out.add((cells[0], cells[1]))
    return out


def found(binary, root):
    run = subprocess.run(
        [binary, "scan", root, "--format", "json", "--fail-on", "none", "--scope", "all"],
        capture_output=True, text=True, check=False)
    report = json.loads(run.stdout)
    got = set()
    for a in report["inventory"]["agents"]:
        f = a["facts"]
        got.add((a["locations"][0].get("path", ""), f.get("job") or f.get("client") or "-"))
    return got


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if not os.path.isdir(CORPUS):
        sys.exit(f"{CORPUS} is absent")
    truth = labels()
    with tempfile.TemporaryDirectory() as tmp:
        files = rebuild(tmp)
        print(f"{files} wild files, {len(truth)} labelled agents")
        for binary in sys.argv[1:]:
            got = found(binary, tmp)
            hit = got & truth
            print(f"{binary}: found {len(got)}, correct {len(hit)}; "
                  f"recall {len(hit)}/{len(truth)} = {len(hit) / len(truth):.2f}, "
                  f"precision {len(hit)}/{max(1, len(got))} = {len(hit) / max(1, len(got)):.2f}")
            for x in sorted(truth - got):
                print("   missed", *x)
            for x in sorted(got - truth):
                print("   extra ", *x)


if __name__ == "__main__":
    main()
