#!/usr/bin/env bash
# Time and peak memory of nhi-audit on a large Terraform estate: scripts/gen-bench-terraform.py
# writes it under bench-out/terraform/ (git-ignored), reused while the parameters are
# unchanged; the numbers go to bench-out/terraform/results.md.
#
#   scripts/bench-terraform.sh                          # 10,000 resources in 50 modules
#   BENCH_RESOURCES=1000 scripts/bench-terraform.sh     # a quick run
#
# Env: BENCH_RESOURCES (10000), BENCH_MODULES (50), BENCH_SEED (1), BENCH_RUNS (3).
# Benchmarks measure; nothing here asserts on time.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=scripts/lib/bench-export.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bench-export.sh"
cd "$NHI_ROOT"

BENCH_RESOURCES=${BENCH_RESOURCES:-10000}
BENCH_MODULES=${BENCH_MODULES:-50}
BENCH_SEED=${BENCH_SEED:-1}
OUT="$NHI_ROOT/bench-out/terraform"
bench_export "a generated Terraform estate" "$OUT" \
    "$OUT/tf-r${BENCH_RESOURCES}-m${BENCH_MODULES}-${BENCH_SEED}" \
    "about $BENCH_RESOURCES AWS IAM resources in $BENCH_MODULES modules" \
    scripts/gen-bench-terraform.py --resources "$BENCH_RESOURCES" --modules "$BENCH_MODULES" \
    --seed "$BENCH_SEED"
