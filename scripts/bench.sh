#!/usr/bin/env bash
# Throughput (MB/s) and peak memory of nhi-audit against the secret scanners a
# user would otherwise run on the same tree: Kingfisher and detect-secrets.
#
#   scripts/bench.sh                              # full size: 100k files, 320 MB
#   BENCH_FILES=10000 BENCH_MB=32 scripts/bench.sh  # a quick run
#
# Env: BENCH_FILES, BENCH_MB (tree size; MB = 10^6 bytes), BENCH_SEED,
# BENCH_DS_PERCENT (share of the tree's bytes given to detect-secrets, default 5).
# Everything lands in bench-out/ (git-ignored); the report is bench-out/results.md.
# Benchmarks measure; nothing here asserts on time.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$NHI_ROOT"

BENCH_FILES=${BENCH_FILES:-100000}
BENCH_MB=${BENCH_MB:-320}
BENCH_SEED=${BENCH_SEED:-1}
BENCH_DS_PERCENT=${BENCH_DS_PERCENT:-5}
KINGFISHER_VERSION=2.14.0
DETECT_SECRETS_VERSION=1.5.0
OUT="$NHI_ROOT/bench-out"
VENV="$NHI_ROOT/.venv-bench"
NHI="$NHI_ROOT/target/release/nhi-audit"
REPORT="$NHI_ROOT/scripts/lib/bench_report.py"
mkdir -p "$OUT"
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- tools -------------------------------------------------------------------------
[[ -x /usr/bin/time ]] || quietly "$OUT/apt.log" apt-get install -y time  # GNU time: %e %M
log "cargo build --release"
quietly "$OUT/cargo-build.log" cargo build --release
ensure_venv "$VENV" "kingfisher-bin==$KINGFISHER_VERSION" "detect-secrets==$DETECT_SECRETS_VERSION"
# kingfisher-bin's bin/kingfisher is a Python shim that runs the bundled native
# binary as a child; time the binary itself, without the interpreter around it.
KINGFISHER="$("$VENV/bin/python" -c 'import kingfisher; print(kingfisher.get_binary_path())')"
DETECT_SECRETS="$VENV/bin/detect-secrets"
"$KINGFISHER" --version | grep -q "$KINGFISHER_VERSION" || die "unexpected kingfisher: $("$KINGFISHER" --version)"
[[ "$("$DETECT_SECRETS" --version)" == "$DETECT_SECRETS_VERSION" ]] || die "unexpected detect-secrets version"
# Kingfisher compiles its rules into a Vectorscan database on first use and caches
# it; keep that cache here and warm it, so the timed run measures scanning.
export KF_RULE_CACHE_DIR="$OUT/kingfisher-rule-cache"
# (Its exit code is not checked here: the timed run below reports any failure.)
mkdir -p "$OUT/kf-warmup" && echo "warm-up" >"$OUT/kf-warmup/README"
"$KINGFISHER" scan "$OUT/kf-warmup" --no-validate --no-update-check -q \
    --format json --output "$OUT/kf-warmup.json" >"$OUT/kingfisher-warmup.log" 2>&1 || true

# --- trees ---------------------------------------------------------------------------
# make_tree DIR FILES MB: generate DIR unless it already holds a tree made with
# the same parameters (the manifest beside it records them).
make_tree() {
    local dir=$1 files=$2 mb=$3
    if [[ -d "$dir" && -f "$dir.manifest.json" ]] && python3 - "$dir.manifest.json" "$files" "$mb" "$BENCH_SEED" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["params"]
sys.exit(0 if (p["files"], p["mb"], p["seed"]) == (int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])) else 1)
PY
    then
        log "reusing $dir ($files files, $mb MB)"
    else
        log "generating $dir ($files files, $mb MB)"
        rm -rf "$dir" "$dir.manifest.json"
        python3 scripts/gen-bench-tree.py "$dir" --files "$files" --mb "$mb" --seed "$BENCH_SEED" >&2
    fi
    # Read every file once so the first tool timed does not pay for a cold page cache.
    find "$dir" -type f -print0 | xargs -0 cat >/dev/null
}
manifest_get() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

FULL="$OUT/tree"
HALF="$OUT/tree-half"
make_tree "$FULL" "$BENCH_FILES" "$BENCH_MB"

# --- measuring -----------------------------------------------------------------------
RESULTS="$OUT/results.tsv"
: >"$RESULTS"
FAILED=0

# measure NAME LABEL FILES BYTES REPORT_FILE OK_CODES -- CMD...: run CMD under GNU
# time (wall seconds, peak RSS of the largest process in KB), stdout+stderr to
# bench-out/NAME.log, and append a row to results.tsv. OK_CODES is a list like
# "0 200": the exit codes that mean the tool finished its scan.
measure() {
    local name=$1 label=$2 files=$3 bytes=$4 report=$5 ok=$6; shift 7
    local tool=${name%-half} rc=0 secs rss findings status
    log "timing $name on $label"
    rm -f "$report"
    /usr/bin/time -f '%e %M' -o "$OUT/$name.time" "$@" >"$OUT/$name.log" 2>&1 || rc=$?
    read -r secs rss < <(tail -n 1 "$OUT/$name.time")
    # A run counts only if it exited as expected *and* left a readable report.
    if [[ " $ok " != *" $rc "* ]]; then
        status="failed (exit $rc)"
    elif ! findings="$(python3 "$REPORT" count-findings "$tool" "$report" 2>>"$OUT/$name.log")"; then
        status="failed (no readable report)"
    else
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\tok\n' "$tool" "$label" "$files" "$bytes" "$secs" "$rss" "$findings" >>"$RESULTS"
        return 0
    fi
    printf 'error: %s %s; see %s\n' "$name" "$status" "$OUT/$name.log" >&2
    tail -n 5 "$OUT/$name.log" >&2
    printf '%s\t%s\t%s\t%s\t\t\t\t%s\n' "$tool" "$label" "$files" "$bytes" "$status" >>"$RESULTS"
    FAILED=1
}

full_files="$(manifest_get "$FULL.manifest.json" files)"
full_bytes="$(manifest_get "$FULL.manifest.json" bytes)"

measure nhi-audit "whole tree" "$full_files" "$full_bytes" "$OUT/nhi.json" "0" -- \
    "$NHI" scan "$FULL" --scope all --format json --output "$OUT/nhi.json" --fail-on none

# All rules (the default set, made explicit), no live validation, no git history
# (the tree's .git folders are stand-ins), JSON to a file; one job per core.
# Exit 200 is Kingfisher's "findings were reported".
measure kingfisher "whole tree" "$full_files" "$full_bytes" "$OUT/kingfisher.json" "0 200" -- \
    "$KINGFISHER" scan "$FULL" --rule all --no-validate --git-history none --jobs "$(nproc)" \
    --no-update-check -q --format json --output "$OUT/kingfisher.json"

# detect-secrets scans at well under 1 MB/s, so it gets the first top-level folders
# that make up BENCH_DS_PERCENT of the bytes; its MB/s is over that subset only.
mapfile -t ds_dirs < <(python3 "$REPORT" subset "$FULL.manifest.json" "$BENCH_DS_PERCENT")
read -r ds_files ds_bytes < <(python3 - "$FULL.manifest.json" "${ds_dirs[@]}" <<'PY'
import json, sys
top = json.load(open(sys.argv[1]))["top_level"]
print(sum(top[d]["files"] for d in sys.argv[2:]), sum(top[d]["bytes"] for d in sys.argv[2:]))
PY
)
# --all-files: walk the folders rather than ask git; -n: no network verification.
# It writes its baseline JSON to stdout and reads paths relative to the working
# directory, hence the inner sh (whose $0 $1 $@ are meant literally).
# shellcheck disable=SC2016
measure detect-secrets "first ${#ds_dirs[@]} folders (${BENCH_DS_PERCENT}% of bytes)" "$ds_files" "$ds_bytes" \
    "$OUT/detect-secrets.json" "0" -- \
    sh -c 'cd "$1" && shift && exec "$@" >"$0"' "$OUT/detect-secrets.json" "$FULL" \
    "$DETECT_SECRETS" scan --all-files -n "${ds_dirs[@]}"

# Memory must stay flat as the tree grows: the same run over half the tree (half
# the files and half the bytes, same generator and seed).
make_tree "$HALF" "$((BENCH_FILES / 2))" "$(python3 -c "print($BENCH_MB / 2)")"
measure nhi-audit-half "half tree" "$(manifest_get "$HALF.manifest.json" files)" \
    "$(manifest_get "$HALF.manifest.json" bytes)" "$OUT/nhi-half.json" "0" -- \
    "$NHI" scan "$HALF" --scope all --format json --output "$OUT/nhi-half.json" --fail-on none

# --- report --------------------------------------------------------------------------
{
    echo "## nhi-audit benchmark"
    echo
    echo "Tree: $(python3 "$REPORT" describe "$FULL.manifest.json")."
    echo "Machine: $(nproc) cores, load average $LOAD_AT_START at the start (anything else running skews the numbers)." \
        "MB = 10^6 bytes; MB/s = input bytes / wall seconds."
    echo
    python3 "$REPORT" table "$RESULTS"
    echo
    echo "Speed-up = nhi-audit's MB/s over the tool's (above 1: nhi-audit is faster)." \
        "Peak RSS is that of the largest single process (detect-secrets runs a pool of $(nproc) workers)." \
        "Kingfisher: --rule all --no-validate --git-history none; detect-secrets: --all-files -n."
    echo
    half_rss="$(awk -F'\t' '$2 == "half tree" && $8 == "ok" {printf "%.0f", $6 / 1024}' "$RESULTS")"
    full_rss="$(awk -F'\t' '$1 == "nhi-audit" && $2 == "whole tree" && $8 == "ok" {printf "%.0f", $6 / 1024}' "$RESULTS")"
    echo "nhi-audit peak RSS: half tree ${half_rss:-n/a} MB, whole tree ${full_rss:-n/a} MB."
} | tee "$OUT/results.md"

exit "$FAILED"
