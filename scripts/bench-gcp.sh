#!/usr/bin/env bash
# Time and peak memory of nhi-audit on a large Google Cloud organisation export:
# scripts/gen-bench-gcp.py writes it under bench-out/gcp/ (git-ignored), reused while
# the parameters are unchanged; the numbers go to bench-out/gcp/results.md.
#
#   scripts/bench-gcp.sh                                   # 2,000 accounts, 10,000 bindings
#   BENCH_ACCOUNTS=200 BENCH_BINDINGS=1000 scripts/bench-gcp.sh   # a quick run
#
# Env: BENCH_ACCOUNTS (2000), BENCH_BINDINGS (10000), BENCH_PROJECTS (50),
# BENCH_SEED (1), BENCH_RUNS (3). Benchmarks measure; nothing here asserts on time.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/bench-export.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bench-export.sh"
cd "$NHI_ROOT"

BENCH_ACCOUNTS=${BENCH_ACCOUNTS:-2000}
BENCH_BINDINGS=${BENCH_BINDINGS:-10000}
BENCH_PROJECTS=${BENCH_PROJECTS:-50}
BENCH_SEED=${BENCH_SEED:-1}
OUT="$NHI_ROOT/bench-out/gcp"
bench_export "a generated Google Cloud organisation export" "$OUT" \
    "$OUT/export-a${BENCH_ACCOUNTS}-b${BENCH_BINDINGS}-p${BENCH_PROJECTS}-s${BENCH_SEED}" \
    "$BENCH_ACCOUNTS accounts, $BENCH_BINDINGS bindings, $BENCH_PROJECTS projects" \
    scripts/gen-bench-gcp.py --accounts "$BENCH_ACCOUNTS" --bindings "$BENCH_BINDINGS" \
    --projects "$BENCH_PROJECTS" --seed "$BENCH_SEED"
