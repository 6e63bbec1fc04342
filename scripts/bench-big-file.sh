#!/usr/bin/env bash
# Time and peak memory of nhi-audit on single hostile-sized files: one MCP config
# with thousands of servers (each with an env block and a planted, generated token),
# one workflow with thousands of jobs, and one minified line of a megabyte. What a
# scanner must not do on these is go quadratic.
#
#   scripts/bench-big-file.sh                    # 4k, 16k and 64k servers / jobs
#   BENCH_SIZES="1000 4000" scripts/bench-big-file.sh  # a quick run
#
# The files are generated into bench-out/big-file/ (git-ignored); the report is
# bench-out/big-file/results.md. Benchmarks measure; nothing here asserts on time.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$NHI_ROOT"

BENCH_SIZES=${BENCH_SIZES:-"4000 16000 64000"}
OUT="$NHI_ROOT/bench-out/big-file"
NHI="$NHI_ROOT/target/release/nhi-audit"
mkdir -p "$OUT"

[[ -x /usr/bin/time ]] || quietly "$OUT/apt.log" apt-get install -y time  # GNU time: %e %M
log "cargo build --release"
quietly "$OUT/cargo-build.log" cargo build --release

# gen KIND N DIR: one file of KIND (mcp, workflow, line) of size N in DIR.
gen() {
    python3 - "$1" "$2" "$3" <<'PY'
import json, os, random, string, sys
kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rng = random.Random(n)
alnum = string.ascii_letters + string.digits
token = lambda: "ghp_" + "".join(rng.choice(alnum) for _ in range(36))
os.makedirs(out, exist_ok=True)
if kind == "mcp":
    servers = {
        f"server-{i}": {
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-github"],
            "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": token() if i % 10 == 0 else "${GITHUB_TOKEN}"},
        }
        for i in range(n)
    }
    with open(os.path.join(out, ".mcp.json"), "w") as f:
        json.dump({"mcpServers": servers}, f, indent=2)
elif kind == "workflow":
    os.makedirs(os.path.join(out, ".github/workflows"), exist_ok=True)
    lines = ["name: big", "on: [pull_request_target]", "jobs:"]
    for i in range(n):
        lines += [
            f"  job{i}:",
            "    runs-on: ubuntu-latest",
            "    permissions:",
            "      contents: write",
            "    steps:",
            "      - uses: actions/checkout@v4",
            "        with:",
            "          ref: ${{ github.event.pull_request.head.sha }}",
            "      - uses: anthropics/claude-code-action@v1",
            "        with:",
            "          anthropic_api_key: ${{ secrets.ANTHROPIC_API_KEY }}",
            f"          prompt: review {i}",
        ]
    with open(os.path.join(out, ".github/workflows/big.yml"), "w") as f:
        f.write("\n".join(lines) + "\n")
else:  # one minified line: a JSON array of n objects
    with open(os.path.join(out, "servers.mcp.json"), "w") as f:
        json.dump({"mcpServers": {f"s{i}": {"url": f"https://mcp{i}.example.net/mcp"} for i in range(n)}},
                  f, separators=(",", ":"))
PY
}

RESULTS="$OUT/results.md"
{
    echo "# nhi-audit on single big files ($(date -u +%F), $(nproc) cores, load at start $(cut -d' ' -f1-3 /proc/loadavg))"
    echo
    echo "| file | size | bytes | agents | seconds | peak RSS (MB) |"
    echo "|---|---:|---:|---:|---:|---:|"
} >"$RESULTS"
for kind in mcp workflow line; do
    for n in $BENCH_SIZES; do
        dir="$OUT/$kind-$n"
        [[ -d "$dir" ]] || { log "generating $kind with $n entries"; gen "$kind" "$n" "$dir"; }
        bytes=$(find "$dir" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
        log "scanning $kind-$n ($bytes bytes)"
        /usr/bin/time -f '%e %M' -o "$OUT/time.txt" \
            "$NHI" scan "$dir" --format json --fail-on none --max-file-size 200000000 \
            >"$OUT/report.json" 2>"$OUT/stderr.txt" || true
        read -r secs kb <"$OUT/time.txt"
        agents=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["agents"])' "$OUT/report.json")
        echo "| $kind | $n | $bytes | $agents | $secs | $((kb / 1024)) |" >>"$RESULTS"
    done
done
cat "$RESULTS"
