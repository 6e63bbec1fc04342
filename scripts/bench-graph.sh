#!/usr/bin/env bash
# Privilege-chain analysis on a synthetic identity graph (benches/graph_chains.rs):
# BENCH_NODES agents and identities (default 100,000) and BENCH_EDGES edges (default
# 1,000,000) from a fixed seed. Prints nodes, edges, chains, the seconds the analysis
# took and the peak RSS before and after it, as a Markdown table also saved to
# bench-out/graph.md.
#
#   scripts/bench-graph.sh
#   BENCH_NODES=10000 BENCH_EDGES=100000 scripts/bench-graph.sh   # a quick run
#   BENCH_OUTSIDE=10 scripts/bench-graph.sh   # the outside steers 10% of the agents
#
# Benchmarks measure; nothing here asserts on time.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$NHI_ROOT"

BENCH_NODES=${BENCH_NODES:-100000}
BENCH_EDGES=${BENCH_EDGES:-1000000}
BENCH_OUTSIDE=${BENCH_OUTSIDE:-0}
mkdir -p bench-out

log "building the benchmark (release)"
quietly "$NHI_ROOT/bench-out/graph-build.log" cargo bench --bench graph_chains --no-run
log "analysing a graph of $BENCH_NODES nodes and $BENCH_EDGES edges"
cargo bench --bench graph_chains -- --bench --nodes "$BENCH_NODES" --edges "$BENCH_EDGES" \
    --outside "$BENCH_OUTSIDE" \
    | tee bench-out/graph.md
