#!/usr/bin/env bash
# Time and peak memory of reading CloudTrail: scripts/gen-bench-cloudtrail.py writes a
# month of gzipped delivery files under bench-out/activity/ (git-ignored, reused while
# the parameters are unchanged); nhi-audit sums them per principal and action
# (`inventory --activity`), and jq does the same grouping over the same files, for
# comparison. The numbers go to bench-out/activity/results.md.
#
#   scripts/bench-activity.sh                          # 10,000,000 records in 1,000 files
#   BENCH_RECORDS=1000000 scripts/bench-activity.sh    # a quick run
#
# Env: BENCH_RECORDS (10000000), BENCH_FILES (1000), BENCH_SEED (1), BENCH_RUNS (1),
# BENCH_JQ (1: also time jq). Benchmarks measure; nothing here asserts on time.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$NHI_ROOT"

BENCH_RECORDS=${BENCH_RECORDS:-10000000}
BENCH_FILES=${BENCH_FILES:-1000}
BENCH_SEED=${BENCH_SEED:-1}
BENCH_RUNS=${BENCH_RUNS:-1}
BENCH_JQ=${BENCH_JQ:-1}
OUT="$NHI_ROOT/bench-out/activity"
LOGS="$OUT/trail-r${BENCH_RECORDS}-f${BENCH_FILES}-${BENCH_SEED}"
GEN=scripts/gen-bench-cloudtrail.py
nhi="$NHI_ROOT/target/release/nhi-audit"

mkdir -p "$OUT"
[[ -x /usr/bin/time ]] || quietly "$OUT/apt.log" apt-get install -y time
log "cargo build --release"
quietly "$OUT/cargo-build.log" cargo build --release
if [[ ! -f "$LOGS.manifest.json" || "$GEN" -nt "$LOGS.manifest.json" ]]; then
    log "generating $LOGS ($BENCH_RECORDS records in $BENCH_FILES files)"
    rm -rf "$LOGS"
    python3 "$GEN" "$LOGS" --records "$BENCH_RECORDS" --files "$BENCH_FILES" --seed "$BENCH_SEED"
fi
gz_bytes=$(du -sb "$LOGS" | cut -f1)
empty="$OUT/empty"
mkdir -p "$empty"
{
    echo "# Reading CloudTrail: nhi-audit and jq"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load at start $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "logs: $BENCH_RECORDS records in $BENCH_FILES gzipped delivery files, $gz_bytes bytes compressed"
    echo
    echo "| tool | run | elapsed s | user s | peak RSS MB | principals | records/s |"
    echo "|---|---|---|---|---|---|---|"
} >"$OUT/results.md"
for run in $(seq 1 "$BENCH_RUNS"); do
    /usr/bin/time -f '%e %U %M' -o "$OUT/time.txt" \
        "$nhi" inventory "$empty" --scope all --format json --activity "$LOGS" -o "$OUT/inventory.json"
    read -r elapsed user rss <"$OUT/time.txt"
    principals=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["inventory"]["activity"]))' "$OUT/inventory.json")
    rate=$(python3 -c "print(int($BENCH_RECORDS / max($elapsed, 0.001)))")
    echo "| nhi-audit | $run | $elapsed | $user | $((rss / 1024)) | $principals | $rate |" >>"$OUT/results.md"
done
if [[ "$BENCH_JQ" == 1 ]] && command -v jq >/dev/null; then
    # The same grouping: events per principal (a session's role, else the caller) and
    # action. One file's document at a time, as jq reads a stream of inputs.
    /usr/bin/time -f '%e %U %M' -o "$OUT/time.txt" bash -c '
        find "$1" -name "*.json.gz" -print0 | sort -z | xargs -0 zcat | jq -n "
            reduce (inputs | .Records[]) as \$r ({};
                .[\$r.userIdentity.sessionContext.sessionIssuer.arn // \$r.userIdentity.arn]
                 [\$r.eventSource + \":\" + \$r.eventName] += 1)" >"$2"' _ "$LOGS" "$OUT/jq.json"
    read -r elapsed user rss <"$OUT/time.txt"
    principals=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$OUT/jq.json")
    rate=$(python3 -c "print(int($BENCH_RECORDS / max($elapsed, 0.001)))")
    echo "| jq 1.6 (zcat \| jq reduce) | 1 | $elapsed | $user | $((rss / 1024)) | $principals | $rate |" >>"$OUT/results.md"
fi
cat "$OUT/results.md"
