#!/usr/bin/env bash
# Time and peak memory of nhi-audit on a large Entra ID and Azure tenant export:
# scripts/gen-bench-azure.py writes it under bench-out/azure/ (git-ignored), reused
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
# shellcheck source=scripts/lib/bench-export.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bench-export.sh"
cd "$NHI_ROOT"

BENCH_APPS=${BENCH_APPS:-5000}
BENCH_ASSIGNMENTS=${BENCH_ASSIGNMENTS:-20000}
BENCH_SUBSCRIPTIONS=${BENCH_SUBSCRIPTIONS:-20}
BENCH_SEED=${BENCH_SEED:-1}
OUT="$NHI_ROOT/bench-out/azure"
bench_export "a generated Entra ID and Azure tenant export" "$OUT" \
    "$OUT/export-a${BENCH_APPS}-r${BENCH_ASSIGNMENTS}-s${BENCH_SUBSCRIPTIONS}-${BENCH_SEED}" \
    "$BENCH_APPS applications, $BENCH_ASSIGNMENTS Azure role assignments, $BENCH_SUBSCRIPTIONS subscriptions" \
    scripts/gen-bench-azure.py --apps "$BENCH_APPS" --assignments "$BENCH_ASSIGNMENTS" \
    --subscriptions "$BENCH_SUBSCRIPTIONS" --seed "$BENCH_SEED"
