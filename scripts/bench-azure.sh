#!/usr/bin/env bash
# Time and peak memory of nhi-audit on a large Entra ID and Azure tenant export:
# scripts/gen-bench-azure.py writes it into bench-out/azure/export-*/ (git-ignored), reused
# while the parameters are unchanged; the numbers go to bench-out/azure/results.md.
#
#   scripts/bench-azure.sh                                  # 5,000 applications, 20,000 assignments
#   BENCH_APPS=500 BENCH_ASSIGNMENTS=2000 scripts/bench-azure.sh   # a quick run
#
# Env: BENCH_APPS (5000), BENCH_ASSIGNMENTS (20000), BENCH_SUBSCRIPTIONS (20),
# BENCH_SEED (1), BENCH_RUNS (3). Benchmarks measure; nothing here asserts on time.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$NHI_ROOT"

BENCH_APPS=${BENCH_APPS:-5000}
BENCH_ASSIGNMENTS=${BENCH_ASSIGNMENTS:-20000}
BENCH_SUBSCRIPTIONS=${BENCH_SUBSCRIPTIONS:-20}
BENCH_SEED=${BENCH_SEED:-1}
BENCH_RUNS=${BENCH_RUNS:-3}
OUT="$NHI_ROOT/bench-out/azure"
EXPORT="$OUT/export-a${BENCH_APPS}-r${BENCH_ASSIGNMENTS}-s${BENCH_SUBSCRIPTIONS}-${BENCH_SEED}"
NHI="$NHI_ROOT/target/release/nhi-audit"
mkdir -p "$OUT"

[[ -x /usr/bin/time ]] || quietly "$OUT/apt.log" apt-get install -y time  # GNU time: %e %U %M
log "cargo build --release"
quietly "$OUT/cargo-build.log" cargo build --release

if [[ ! -f "$EXPORT.manifest.json" || scripts/gen-bench-azure.py -nt "$EXPORT.manifest.json" ]]; then
    log "generating $EXPORT"
    rm -rf "$EXPORT"
    python3 scripts/gen-bench-azure.py "$EXPORT" --apps "$BENCH_APPS" \
        --assignments "$BENCH_ASSIGNMENTS" --subscriptions "$BENCH_SUBSCRIPTIONS" --seed "$BENCH_SEED"
fi
files=$(find "$EXPORT" -type f | wc -l)
bytes=$(du -sb "$EXPORT" | cut -f1)

{
    echo "# nhi-audit on a generated Entra ID and Azure tenant export"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load at start $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "export: $BENCH_APPS applications, $BENCH_ASSIGNMENTS Azure role assignments, $BENCH_SUBSCRIPTIONS subscriptions, $files files, $bytes bytes"
    echo
    echo "| run | elapsed s | user s | peak RSS MB | identities | grants | findings |"
    echo "|---|---|---|---|---|---|---|"
} >"$OUT/results.md"
for run in $(seq 1 "$BENCH_RUNS"); do
    NHI_AUDIT_NOW=2026-12-01T00:00:00Z /usr/bin/time -f '%e %U %M' -o "$OUT/time.txt" \
        "$NHI" scan "$EXPORT" --scope all --format json --fail-on none -o "$OUT/report.json"
    read -r elapsed user rss <"$OUT/time.txt"
    counts=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); i=r["inventory"]; print(len(i["identities"]), len(i["grants"]), len(r["findings"]))' "$OUT/report.json")
    read -r ids grants findings <<<"$counts"
    echo "| $run | $elapsed | $user | $((rss / 1024)) | $ids | $grants | $findings |" >>"$OUT/results.md"
done
cat "$OUT/results.md"
