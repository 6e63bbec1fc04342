#!/usr/bin/env bash
# Analysis time and peak memory of nhi-audit on a large AWS IAM export, next to
# cloudsplaining (the open-source IAM least-privilege scanner) on the same file.
#
#   scripts/bench-aws.sh                                                # full size
#   BENCH_ROLES=1000 BENCH_USERS=200 BENCH_POLICIES=2000 scripts/bench-aws.sh  # a quick run
#
# Env: BENCH_ROLES (10000), BENCH_USERS (2000), BENCH_POLICIES (20000: customer
# managed policies, several versions each), BENCH_SEED (1), BENCH_CS_TIMEOUT
# (seconds cloudsplaining may run before it is stopped and reported as a lower
# bound; default 5400), BENCH_NHI_TIMEOUT (default 3600).
# The export is made by scripts/gen-bench-gaad.py into bench-out/aws/ (git-ignored)
# and reused while the parameters and the generator are unchanged; the report is
# bench-out/aws/results.md. Benchmarks measure; nothing here asserts on time.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$NHI_ROOT"

BENCH_ROLES=${BENCH_ROLES:-10000}
BENCH_USERS=${BENCH_USERS:-2000}
BENCH_POLICIES=${BENCH_POLICIES:-20000}
BENCH_SEED=${BENCH_SEED:-1}
BENCH_CS_TIMEOUT=${BENCH_CS_TIMEOUT:-5400}
BENCH_NHI_TIMEOUT=${BENCH_NHI_TIMEOUT:-3600}
CLOUDSPLAINING_VERSION=0.9.1
POLICY_SENTRY_VERSION=0.15.2  # its action database; pinned so the work it does is fixed
OUT="$NHI_ROOT/bench-out/aws"
VENV="$NHI_ROOT/.venv-bench-aws"
NHI="$NHI_ROOT/target/release/nhi-audit"
REPORT="$NHI_ROOT/scripts/lib/bench_aws_report.py"
mkdir -p "$OUT"
LOAD_AT_START="$(cut -d' ' -f1-3 /proc/loadavg)"

# --- tools -------------------------------------------------------------------------
[[ -x /usr/bin/time ]] || quietly "$OUT/apt.log" apt-get install -y time  # GNU time: %e %M
log "cargo build --release"
quietly "$OUT/cargo-build.log" cargo build --release
ensure_venv "$VENV" "cloudsplaining==$CLOUDSPLAINING_VERSION" "policy_sentry==$POLICY_SENTRY_VERSION"
CLOUDSPLAINING="$VENV/bin/cloudsplaining"
"$CLOUDSPLAINING" --version | grep -q "$CLOUDSPLAINING_VERSION" || die "unexpected cloudsplaining: $("$CLOUDSPLAINING" --version)"

# --- the export --------------------------------------------------------------------
GAAD="$OUT/gaad.json"
CSV="$OUT/gaad.credential-report.csv"
MANIFEST="$OUT/gaad.manifest.json"
# cloudsplaining reads policy documents as objects only (it fails on the URL-encoded
# strings the IAM API returns, which nhi-audit reads): it gets a copy with every
# document decoded, made outside the timed run. Same content, same principals.
DECODED="$OUT/gaad-decoded.json"
if python3 "$REPORT" current "$MANIFEST" "$BENCH_ROLES" "$BENCH_USERS" "$BENCH_POLICIES" "$BENCH_SEED" \
    && [[ -f "$GAAD" && -f "$CSV" && -f "$DECODED" && "$DECODED" -nt "$GAAD" ]]; then
    log "reusing $GAAD ($BENCH_ROLES roles, $BENCH_USERS users, $BENCH_POLICIES policies)"
else
    log "generating $GAAD ($BENCH_ROLES roles, $BENCH_USERS users, $BENCH_POLICIES policies)"
    rm -f "$GAAD" "$CSV" "$MANIFEST" "$DECODED"
    python3 scripts/gen-bench-gaad.py "$GAAD" --roles "$BENCH_ROLES" --users "$BENCH_USERS" \
        --policies "$BENCH_POLICIES" --seed "$BENCH_SEED" >&2
    python3 "$REPORT" decode "$GAAD" "$DECODED"
fi
# Read the inputs once so the first tool timed does not pay for a cold page cache.
cat "$GAAD" "$CSV" "$DECODED" >/dev/null

# Analyse everything: no policy, role, user or group excluded (cloudsplaining's
# default file skips AdministratorAccess and service roles), its default read-only
# data-exfiltration actions kept.
EXCLUSIONS="$OUT/cloudsplaining-exclusions.yml"
cat >"$EXCLUSIONS" <<'YAML'
policies: [""]
roles: [""]
users: [""]
groups: [""]
include-actions: ["s3:GetObject", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
                  "secretsmanager:GetSecretValue", "rds:CopyDBSnapshot", "rds:CreateDBSnapshot"]
exclude-actions: [""]
known-accounts: [""]
YAML

# --- measuring -----------------------------------------------------------------------
RESULTS="$OUT/results.tsv"
: >"$RESULTS"
FAILED=0

# measure NAME TIMEOUT REPORT_FILE -- CMD...: run CMD under GNU time (wall seconds,
# peak RSS of the largest process in KB) with a time limit, output to
# bench-out/aws/NAME.log, and append a row to results.tsv.
measure() {
    local name=$1 limit=$2 report=$3; shift 4
    local rc=0 secs rss counts status
    log "timing $name (limit ${limit}s)"
    rm -f "$report"
    /usr/bin/time -f '%e %M' -o "$OUT/$name.time" timeout "$limit" "$@" >"$OUT/$name.log" 2>&1 || rc=$?
    read -r secs rss < <(tail -n 1 "$OUT/$name.time")
    if [[ $rc == 124 ]]; then
        printf 'warning: %s stopped after %s s; its time is a lower bound\n' "$name" "$limit" >&2
        printf '%s\t%s\t%s\t\t\ttimed out\t1\n' "$name" "$secs" "$rss" >>"$RESULTS"
        return 0
    fi
    if [[ $rc != 0 ]]; then
        status="failed (exit $rc)"
    elif ! counts="$(python3 "$REPORT" count "$name" "$report" 2>>"$OUT/$name.log")"; then
        status="failed (no readable report)"
    else
        printf '%s\t%s\t%s\t%s\tok\t0\n' "$name" "$secs" "$rss" "$counts" >>"$RESULTS"
        return 0
    fi
    printf 'error: %s %s; see %s\n' "$name" "$status" "$OUT/$name.log" >&2
    tail -n 5 "$OUT/$name.log" >&2
    printf '%s\t\t\t\t\t%s\t0\n' "$name" "$status" >>"$RESULTS"
    FAILED=1
}

# Every principal (--scope all), the credential report joined in; findings never
# fail the run, and a partial analysis still writes its report.
measure nhi-audit "$BENCH_NHI_TIMEOUT" "$OUT/nhi.json" -- \
    "$NHI" scan --aws-gaad "$GAAD" --aws-credential-report "$CSV" --scope all --format json \
    --output "$OUT/nhi.json" --fail-on none --allow-partial

# All risky actions flagged even where resource constraints or conditions apply (-aR),
# trust policies flagged (-t), nothing excluded, no browser. It writes its JSON
# results and the HTML report into the output folder; both are part of its run.
rm -rf "$OUT/cs" && mkdir -p "$OUT/cs"
measure cloudsplaining "$BENCH_CS_TIMEOUT" "$OUT/cs/iam-findings-gaad-decoded.json" -- \
    "$CLOUDSPLAINING" scan --input-file "$DECODED" --exclusions-file "$EXCLUSIONS" --output "$OUT/cs" \
    --skip-open-report --flag-all-risky-actions --flag-trust-policies

# --- report --------------------------------------------------------------------------
{
    echo "## nhi-audit AWS benchmark"
    echo
    echo "Export: $(python3 "$REPORT" describe "$MANIFEST")."
    echo "Machine: $(nproc) cores, load average $LOAD_AT_START at the start (anything else running skews the numbers)."
    echo
    python3 "$REPORT" table "$RESULTS" "$MANIFEST"
    echo
    echo "nhi-audit $("$NHI" --version | awk '{print $2}'): \`scan --aws-gaad --aws-credential-report --scope all --format json\`;" \
        "findings are all rule findings, escalation / chain findings those of category privilege-chain" \
        "(escalation methods and assume-role paths, per principal, with the whole path)."
    echo "cloudsplaining $CLOUDSPLAINING_VERSION: \`scan -aR -t\` with nothing excluded, on the same export with" \
        "policy documents decoded; findings are (policy, risk category) pairs plus flagged trust policies, as its" \
        "report counts them; escalation findings are policies with PrivilegeEscalation findings (per policy, no paths)."
    echo "Speed-up = cloudsplaining's seconds over nhi-audit's. Peak RSS is that of the largest single process."
} | tee "$OUT/results.md"

exit "$FAILED"
