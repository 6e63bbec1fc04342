#!/usr/bin/env python3
"""Recall and precision of nhi-audit's secret scanner on labelled samples.

    scripts/eval-secrets.py DIR [--bin PATH] [--project NAME]... [--misses]

DIR holds one folder per source of samples, each laid out as

    DIR/<project>/positive/<kind>/<any file>   a file holding one credential of <kind>
    DIR/<project>/negative/<kind>/<any file>   a look-alike of <kind> that is not one

where <kind> is the credential kind nhi-audit reports (`github-classic-pat`,
`slack-webhook-url`, ...). Each project folder is scanned once with
`nhi-audit scan <folder> --scope all --format json --fail-on none`; a file counts as
detected when the report has a credential located in it.

Per file: a positive is a true positive when a credential of its kind is reported in it,
"mislabelled" when only credentials of other kinds are, else a miss; a negative is a
false positive when anything is reported in it. Recall = TP / positives; precision =
TP / (TP + false positives + mislabelled), and per kind the false positives count against
the kind that was reported. `--misses` lists the files behind every miss and false
positive (paths only: this script never prints a sample's content).

The samples live outside the repository (they are other projects' test data); this script
holds none.
"""

import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def default_binary():
    for profile in ("release", "debug"):
        path = os.path.join(ROOT, "target", profile, "nhi-audit")
        if os.access(path, os.X_OK):
            return path
    return "nhi-audit"


def sample_files(project_dir):
    """(relative path, polarity, kind) of every sample file under a project folder."""
    for polarity in ("positive", "negative"):
        base = os.path.join(project_dir, polarity)
        if not os.path.isdir(base):
            continue
        for kind in sorted(os.listdir(base)):
            kind_dir = os.path.join(base, kind)
            if not os.path.isdir(kind_dir):
                continue
            for dirpath, _, files in os.walk(kind_dir):
                for name in sorted(files):
                    full = os.path.join(dirpath, name)
                    yield os.path.relpath(full, project_dir), polarity, kind


def scan(binary, project_dir):
    """Credential kinds reported per file (paths relative to the project folder)."""
    proc = subprocess.run(
        [binary, "scan", project_dir, "--scope", "all", "--format", "json", "--fail-on", "none"],
        capture_output=True,
        text=True,
    )
    if proc.returncode not in (0, 1):
        sys.exit(f"nhi-audit failed on {project_dir} (exit {proc.returncode}):\n{proc.stderr}")
    report = json.loads(proc.stdout)
    found = defaultdict(set)
    for cred in report.get("inventory", {}).get("credentials", []):
        for loc in cred.get("locations") or []:
            path = loc.get("path")
            if path:
                found[os.path.normpath(path)].add(cred.get("kind", "?"))
    return found, report.get("errors", [])


class Tally:
    def __init__(self):
        self.positives = 0
        self.tp = 0
        self.mislabelled = 0
        self.negatives = 0
        self.fp_on_negatives = 0
        # Detections reported with this kind that were wrong (counted against precision).
        self.wrong_reports = 0

    def recall(self):
        return self.tp / self.positives if self.positives else None

    def precision(self):
        reported = self.tp + self.wrong_reports
        return self.tp / reported if reported else None


def pct(x):
    return "   -  " if x is None else f"{100 * x:5.1f}%"


def evaluate(binary, project_dir, misses):
    found, errors = scan(binary, project_dir)
    by_kind = defaultdict(Tally)
    total = Tally()
    problems = []
    for path, polarity, kind in sample_files(project_dir):
        kinds = found.get(os.path.normpath(path), set())
        t = by_kind[kind]
        if polarity == "positive":
            t.positives += 1
            total.positives += 1
            if kind in kinds:
                t.tp += 1
                total.tp += 1
            elif kinds:
                t.mislabelled += 1
                total.mislabelled += 1
                total.wrong_reports += 1
                for k in kinds:
                    by_kind[k].wrong_reports += 1
                problems.append(("mislabelled", path, sorted(kinds)))
            else:
                problems.append(("missed", path, []))
        else:
            t.negatives += 1
            total.negatives += 1
            if kinds:
                t.fp_on_negatives += 1
                total.fp_on_negatives += 1
                total.wrong_reports += 1
                for k in kinds:
                    by_kind[k].wrong_reports += 1
                problems.append(("false positive", path, sorted(kinds)))
    return by_kind, total, problems, errors


def print_table(title, by_kind, total):
    print(f"\n## {title}\n")
    print(f"{'kind':36} {'pos':>4} {'TP':>4} {'recall':>7} {'neg':>4} {'FP':>4} {'precision':>9}")
    for kind in sorted(by_kind):
        t = by_kind[kind]
        if not (t.positives or t.negatives or t.wrong_reports):
            continue
        print(
            f"{kind:36} {t.positives:4} {t.tp:4} {pct(t.recall()):>7} {t.negatives:4} "
            f"{t.fp_on_negatives:4} {pct(t.precision()):>9}"
        )
    print(
        f"{'TOTAL':36} {total.positives:4} {total.tp:4} {pct(total.recall()):>7} "
        f"{total.negatives:4} {total.fp_on_negatives:4} {pct(total.precision()):>9}"
        f"   (mislabelled: {total.mislabelled})"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="folder of <project>/{positive,negative}/<kind>/ samples")
    ap.add_argument("--bin", default=os.environ.get("NHI_AUDIT", default_binary()),
                    help="the nhi-audit binary (default: target/release, else target/debug)")
    ap.add_argument("--project", action="append", help="only these project folders")
    ap.add_argument("--misses", action="store_true", help="list missed and false-positive files")
    args = ap.parse_args()

    projects = args.project or sorted(
        p for p in os.listdir(args.dir) if os.path.isdir(os.path.join(args.dir, p))
    )
    grand = Tally()
    print(f"nhi-audit: {args.bin}")
    for project in projects:
        by_kind, total, problems, errors = evaluate(
            args.bin, os.path.join(args.dir, project), args.misses
        )
        print_table(project, by_kind, total)
        if errors:
            print(f"({len(errors)} read errors in the report)")
        if args.misses:
            for what, path, kinds in problems:
                extra = f" (reported as {', '.join(kinds)})" if kinds else ""
                print(f"  {what}: {project}/{path}{extra}")
        for field in vars(grand):
            setattr(grand, field, getattr(grand, field) + getattr(total, field))
    print(
        f"\nAll projects: {grand.positives} positives, recall {pct(grand.recall()).strip()}; "
        f"{grand.negatives} negatives, {grand.fp_on_negatives} false positives, "
        f"{grand.mislabelled} mislabelled; precision {pct(grand.precision()).strip()}"
    )


if __name__ == "__main__":
    main()
