# shellcheck shell=bash
# The body shared by the benchmarks of a generated cloud export (bench-gcp.sh,
# bench-azure.sh). Source it after common.sh; then call
#
#   bench_export TITLE OUT EXPORT DESCRIPTION GENERATOR [GENERATOR ARGS...]
#
# which builds the release binary, (re)generates EXPORT with GENERATOR when it is missing
# or older than the generator, scans it BENCH_RUNS times (`--scope all`, JSON) and writes
# elapsed, user time, peak memory and counts to OUT/results.md. Nothing asserts on time.

bench_export() {
    local title=$1 out=$2 export=$3 description=$4 generator=$5
    shift 5
    local nhi="$NHI_ROOT/target/release/nhi-audit" runs=${BENCH_RUNS:-3}
    mkdir -p "$out"
    [[ -x /usr/bin/time ]] || quietly "$out/apt.log" apt-get install -y time  # GNU time: %e %U %M
    log "cargo build --release"
    quietly "$out/cargo-build.log" cargo build --release
    if [[ ! -f "$export.manifest.json" || "$generator" -nt "$export.manifest.json" ]]; then
        log "generating $export"
        rm -rf "$export"
        python3 "$generator" "$export" "$@"
    fi
    local files bytes
    files=$(find "$export" -type f | wc -l)
    bytes=$(du -sb "$export" | cut -f1)
    {
        echo "# nhi-audit on $title"
        echo
        echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load at start $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "export: $description, $files files, $bytes bytes"
        echo
        echo "| run | elapsed s | user s | peak RSS MB | identities | grants | findings |"
        echo "|---|---|---|---|---|---|---|"
    } >"$out/results.md"
    local run elapsed user rss counts ids grants findings
    for run in $(seq 1 "$runs"); do
        NHI_AUDIT_NOW=2026-12-01T00:00:00Z /usr/bin/time -f '%e %U %M' -o "$out/time.txt" \
            "$nhi" scan "$export" --scope all --format json --fail-on none -o "$out/report.json"
        read -r elapsed user rss <"$out/time.txt"
        counts=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); i=r["inventory"]; print(len(i["identities"]), len(i["grants"]), len(r["findings"]))' "$out/report.json")
        read -r ids grants findings <<<"$counts"
        echo "| $run | $elapsed | $user | $((rss / 1024)) | $ids | $grants | $findings |" >>"$out/results.md"
    done
    cat "$out/results.md"
}
