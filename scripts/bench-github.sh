#!/usr/bin/env bash
# The GitHub crawl against a local mock organisation (benches/github_crawl.rs): a
# wiremock server on loopback answers every call of the crawl for an org of
# BENCH_REPOS repositories (default 2,000: about 10,000 requests), and the crawl runs
# one request at a time and with several in flight, with no added latency and with a
# per-response delay standing in for the network. Prints requests, seconds and
# requests/s as a Markdown table, also saved to bench-out/github.md.
#
#   scripts/bench-github.sh
#   BENCH_REPOS=200 BENCH_LATENCY_MS=0 scripts/bench-github.sh   # a quick run
#
# Env: BENCH_REPOS, BENCH_LATENCY_MS (comma-separated, default 0,2),
# BENCH_CONCURRENCY (comma-separated requests in flight, default 1,8,32).
# Benchmarks measure; nothing here asserts on time.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$NHI_ROOT"

BENCH_REPOS=${BENCH_REPOS:-2000}
BENCH_LATENCY_MS=${BENCH_LATENCY_MS:-0,2}
BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-1,8,32}
mkdir -p bench-out

log "building the benchmark (release)"
quietly "$NHI_ROOT/bench-out/github-build.log" cargo bench --bench github_crawl --no-run
log "crawling an org of $BENCH_REPOS repositories (latency ${BENCH_LATENCY_MS} ms, in flight ${BENCH_CONCURRENCY})"
cargo bench --bench github_crawl -- --bench \
    --repos "$BENCH_REPOS" --latency-ms "$BENCH_LATENCY_MS" --concurrency "$BENCH_CONCURRENCY" \
    | tee bench-out/github.md
printf '\nmachine: %s cores, load at start %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    | tee -a bench-out/github.md
