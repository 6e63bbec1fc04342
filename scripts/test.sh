#!/usr/bin/env bash
# The project's test command: everything CI runs except fmt and clippy
# (.ci/run adds those). Installs what the tests need into git-ignored folders,
# then runs `cargo test --all-targets` and prints one summary line.
set -euo pipefail
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$NHI_ROOT"

# --- Microsoft SARIF Multitool ------------------------------------------------
# tests/it/sarif_validator.rs validates our SARIF with it. The npm package
# @microsoft/sarif-multitool is only a node shim; the real tool is a self-contained
# .NET executable in the platform package @microsoft/sarif-multitool-linux, which
# we call directly (no node in between, and no `shell: true` quoting surprises).
SARIF_MULTITOOL_VERSION=5.7.0
SARIF_DIR="$NHI_ROOT/.tools/sarif-multitool"
SARIF_EXE="$SARIF_DIR/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"

install_sarif_multitool() {
    npm_tool @microsoft/sarif-multitool "$SARIF_MULTITOOL_VERSION" "$SARIF_DIR" \
        @microsoft/sarif-multitool-linux
    [[ -f "$SARIF_EXE" ]] || die "npm installed no $SARIF_EXE (not linux-x64?)"
    # The package's postinstall is only `chmod u+x`; newer npm skips install
    # scripts unless approved, so do it ourselves.
    chmod u+x "$SARIF_EXE"
    # .NET needs ICU for globalization unless told to run without it; a slim
    # machine may lack libicu, and validation needs no culture data.
    if ! ldconfig -p 2>/dev/null | grep -q 'libicuuc\.so'; then
        export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
    fi
    quietly "$NHI_ROOT/.tools/sarif-multitool-check.log" "$SARIF_EXE" validate --help
    export NHI_SARIF_MULTITOOL="$SARIF_EXE"
}

# --- GitHub's OpenAPI description -------------------------------------------------
# tests/it/github_live.rs checks every request the GitHub crawl sends against the paths
# and query parameters of GitHub's REST API description, from the npm package
# @octokit/openapi (built from github/rest-api-description).
OCTOKIT_OPENAPI_VERSION=23.0.2
OCTOKIT_DIR="$NHI_ROOT/.tools/octokit-openapi"
OCTOKIT_PKG="$OCTOKIT_DIR/node_modules/@octokit/openapi"

install_octokit_openapi() {
    npm_tool @octokit/openapi "$OCTOKIT_OPENAPI_VERSION" "$OCTOKIT_DIR"
    [[ -f "$OCTOKIT_PKG/generated/api.github.com.json" ]] \
        || die "npm installed no $OCTOKIT_PKG/generated/api.github.com.json"
    export NHI_GITHUB_OPENAPI="$OCTOKIT_PKG/generated/api.github.com.json"
}

# --- Graphviz ----------------------------------------------------------------------
# tests/it/graph.rs lays out `nhi-audit graph --format dot` output with Graphviz itself,
# compiled to WebAssembly (npm @hpcc-js/wasm-graphviz), through scripts/lib/graphviz-check.mjs.
GRAPHVIZ_VERSION=1.29.2
GRAPHVIZ_DIR="$NHI_ROOT/.tools/graphviz"
GRAPHVIZ_PKG="$GRAPHVIZ_DIR/node_modules/@hpcc-js/wasm-graphviz"

install_graphviz() {
    npm_tool @hpcc-js/wasm-graphviz "$GRAPHVIZ_VERSION" "$GRAPHVIZ_DIR"
    [[ -f "$GRAPHVIZ_PKG/dist/index.js" ]] || die "npm installed no $GRAPHVIZ_PKG/dist/index.js"
    export NHI_GRAPHVIZ_DIR="$GRAPHVIZ_DIR"
}

# --- moto_server (AWS IAM) -------------------------------------------------------
# tests/it/aws_live.rs creates users, keys, roles and policy versions through the
# real IAM API and crawls them with the live AWS source. moto_server answers on
# loopback only, on a free port, and is stopped when this script exits.
MOTO_REQUIREMENT="moto[server]==5.2.5"
MOTO_VENV="$NHI_ROOT/.tools/moto"

install_moto() {
    ensure_venv "$MOTO_VENV" "$MOTO_REQUIREMENT"
    # IAM's service model as botocore ships it: the requests of the last-accessed calls
    # (which moto does not emulate) are checked against it.
    NHI_BOTOCORE_IAM="$("$MOTO_VENV/bin/python" -c 'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data", "iam", "2010-05-08", "service-2.json.gz"))')"
    [[ -f "$NHI_BOTOCORE_IAM" ]] || die "botocore ships no IAM service model at $NHI_BOTOCORE_IAM"
    export NHI_BOTOCORE_IAM
}

start_moto() {
    local port pid logfile="$NHI_ROOT/.tools/moto-server.log"
    port="$(free_port)"
    log "starting moto_server on 127.0.0.1:$port"
    # AWS managed policies exist, as in a real account (the tests attach some); no
    # account or auth settings from the caller's environment leak in.
    env -u MOTO_ACCOUNT_ID -u INITIAL_NO_AUTH_ACTION_COUNT MOTO_IAM_LOAD_MANAGED_POLICIES=true \
        "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$logfile" 2>&1 &
    pid=$!
    at_exit "stop_pid $pid"
    wait_for_http "http://127.0.0.1:$port/moto-api/" 60 "$pid" "$logfile" \
        || die "moto_server did not answer on port $port (log: $logfile)"
    export NHI_MOTO_ENDPOINT="http://127.0.0.1:$port"
}

# --- Google's discovery documents ---------------------------------------------------
# tests/it/gcp_live.rs checks every request the Google Cloud crawl sends against the
# methods of Google's published discovery documents for Cloud Asset and IAM, and the
# answers it serves against their schemas; the PyPI package google-api-python-client
# ships them as static files.
GAPI_REQUIREMENT="google-api-python-client==2.202.0"
GAPI_VENV="$NHI_ROOT/.tools/google-api"

install_google_discovery() {
    ensure_venv "$GAPI_VENV" "$GAPI_REQUIREMENT"
    local docs
    docs="$("$GAPI_VENV/bin/python" -c 'import googleapiclient, os; print(os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents"))')"
    [[ -f "$docs/cloudasset.v1.json" && -f "$docs/iam.v1.json" ]] \
        || die "google-api-python-client installed no discovery documents in $docs"
    export NHI_GCP_DISCOVERY="$docs"
}

# --- Microsoft's SDK URL templates ---------------------------------------------------
# tests/it/azure_live.rs checks every request the Entra ID and Azure crawl sends against
# the URL templates Microsoft generates its SDKs from its published API descriptions:
# msgraph-sdk for Microsoft Graph v1.0, azure-mgmt-authorization and
# azure-mgmt-resource-subscriptions for Resource Manager. Only their source is read, so
# they are unpacked without their dependencies.
AZURE_API_REQUIREMENTS=(msgraph-sdk==1.65.0 azure-mgmt-authorization==4.0.0 azure-mgmt-resource-subscriptions==1.0.0)
AZURE_API_DIR="$NHI_ROOT/.tools/azure-api"

install_azure_api() {
    local stamp="$AZURE_API_DIR/.installed" want="${AZURE_API_REQUIREMENTS[*]}"
    if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
        log "installing Microsoft's SDK sources ($want) into $AZURE_API_DIR"
        rm -rf "$AZURE_API_DIR"
        mkdir -p "$NHI_ROOT/.tools"
        quietly "$NHI_ROOT/.tools/azure-api-install.log" python3 -m pip install --disable-pip-version-check --no-deps \
            --target "$AZURE_API_DIR" "${AZURE_API_REQUIREMENTS[@]}"
        echo "$want" >"$stamp"
    fi
    [[ -d "$AZURE_API_DIR/msgraph/generated" ]] \
        || die "msgraph-sdk installed no request builders in $AZURE_API_DIR"
    export NHI_AZURE_API_DIR="$AZURE_API_DIR"
}

# --- other projects' CloudTrail test data ------------------------------------------
# tests/it/activity.rs reads the CloudTrail delivery file trailscraper publishes as its
# test data (in its PyPI source distribution) and compares what nhi-audit makes of it
# with the policy trailscraper's own tests expect.
TRAILSCRAPER_VERSION=0.10.0
TRAILSCRAPER_DIR="$NHI_ROOT/.tools/trailscraper"

install_trailscraper_data() {
    local data="$TRAILSCRAPER_DIR/trailscraper-$TRAILSCRAPER_VERSION/tests/cloudtrail/data"
    if [[ ! -d "$data" ]]; then
        log "downloading trailscraper $TRAILSCRAPER_VERSION's test data (PyPI sdist) into $TRAILSCRAPER_DIR"
        rm -rf "$TRAILSCRAPER_DIR"
        mkdir -p "$TRAILSCRAPER_DIR"
        quietly "$NHI_ROOT/.tools/trailscraper-download.log" python3 -m pip download --disable-pip-version-check \
            --no-deps --no-binary :all: -d "$TRAILSCRAPER_DIR" "trailscraper==$TRAILSCRAPER_VERSION"
        tar -xzf "$TRAILSCRAPER_DIR/trailscraper-$TRAILSCRAPER_VERSION.tar.gz" -C "$TRAILSCRAPER_DIR"
    fi
    [[ -d "$data" ]] || die "the trailscraper sdist holds no tests/cloudtrail/data"
    export NHI_TRAILSCRAPER_DATA="$data"
}

# --- the shared corpus -----------------------------------------------------------
# Tests that read ../shared/corpus (real public inputs) skip when it is absent, each
# with a line naming the folder; say so once here, where it is seen.
report_corpus() {
    local corpus="$NHI_ROOT/../shared/corpus"
    if [[ -d "$corpus" ]]; then
        log "corpus: $(cd "$corpus" && pwd) (the tests that read it run)"
    else
        log "corpus: $corpus is absent; the tests that read it are skipped"
    fi
}

# --- cargo test -----------------------------------------------------------------
# The build first, with cargo's own progress (a crate per line: a cold build takes
# minutes), in the same profile as the README's first command, so one build serves
# both. Then the tests: -q keeps passing tests to one dot each; failures still print in
# full, with the per-binary "test result:" lines. The log is kept only to count them.
run_cargo_tests() {
    local out rc=0
    out="$(mktemp)"
    at_exit "rm -f '$out'"
    log "cargo test --all-targets --no-run (build)"
    cargo test --all-targets --no-run
    log "cargo test --all-targets"
    cargo test --all-targets -q 2>&1 | tee "$out" || rc=$?
    # One closing line over all test binaries: "tests: N passed, N failed, N skipped".
    awk '/^test result:/ {
            for (i = 1; i <= NF; i++) {
                if ($(i+1) ~ /^passed/)  p += $i
                if ($(i+1) ~ /^failed/)  f += $i
                if ($(i+1) ~ /^ignored/) s += $i
            }
            n++
         }
         END { printf "\n%d test binaries\ntests: %d passed, %d failed, %d skipped\n", n, p, f, s }' "$out"
    return "$rc"
}

report_corpus
install_sarif_multitool
install_octokit_openapi
install_graphviz
install_google_discovery
install_azure_api
install_trailscraper_data
install_moto
start_moto
run_cargo_tests
