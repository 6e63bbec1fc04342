# shellcheck shell=bash
# Helpers shared by scripts/test.sh and scripts/bench.sh. Source it; do not run it.
#
# Everything a script installs goes into git-ignored folders under the repo root
# (.tools/, .venv*/), so a fresh clone — which is what CI gets — installs it again,
# and a second run on the same checkout reuses it.

# Repo root, whatever the caller's working directory.
NHI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# at_exit CMD: run CMD when the script exits, however it exits (success, failure,
# Ctrl-C). Commands run last-registered first, like a stack of defers, so a
# service started after its temp dir is stopped before that dir is removed.
_AT_EXIT=()
at_exit() { _AT_EXIT=("$1" "${_AT_EXIT[@]}"); }
_run_at_exit() {
    local rc=$? cmd
    for cmd in "${_AT_EXIT[@]}"; do eval "$cmd" || true; done
    exit "$rc"
}
trap _run_at_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# quietly LOGFILE CMD...: run CMD with its chatter sent to LOGFILE; if CMD fails,
# print the log and fail. Installs stay quiet when they work and loud when not.
quietly() {
    local logfile=$1; shift
    if ! "$@" >"$logfile" 2>&1; then
        printf 'error: command failed: %s\n--- output (%s) ---\n' "$*" "$logfile" >&2
        cat "$logfile" >&2
        exit 1
    fi
}

# npm_tool PACKAGE VERSION DIR [PROBE]: npm PACKAGE@VERSION installed into DIR (under
# the git-ignored .tools/), unless the package PROBE (default PACKAGE) is already there
# at that version. npm's output goes to DIR-install.log.
npm_tool() {
    local pkg=$1 version=$2 dir=$3 probe=${4:-$1} have="" manifest
    manifest="$dir/node_modules/$probe/package.json"
    if [[ -f "$manifest" ]]; then
        have="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$manifest")"
    fi
    if [[ "$have" != "$version" ]]; then
        log "installing $pkg@$version into .tools/"
        mkdir -p "$dir"
        quietly "$dir-install.log" \
            npm install --prefix "$dir" --no-audit --no-fund --save-exact "$pkg@$version"
    fi
}

# ensure_venv DIR REQUIREMENT...: a Python venv at DIR with exactly these pinned
# requirements (e.g. "detect-secrets==1.5.0"). A stamp file records what was
# installed, so an unchanged list costs nothing and a changed one reinstalls.
ensure_venv() {
    local dir=$1; shift
    local want stamp="$dir/.nhi-requirements"
    want="$(printf '%s\n' "$@")"
    if [[ -x "$dir/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    log "creating venv $dir ($*)"
    mkdir -p "$NHI_ROOT/.tools"
    rm -rf "$dir"
    quietly "$NHI_ROOT/.tools/venv-$(basename "$dir").log" python3 -m venv "$dir"
    quietly "$NHI_ROOT/.tools/venv-$(basename "$dir").log" \
        "$dir/bin/pip" install --disable-pip-version-check --no-input "$@"
    printf '%s\n' "$want" >"$stamp"
}

# free_port: print a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# wait_for_http URL SECONDS [PID [LOGFILE]]: wait until URL answers over HTTP (any
# status), at most SECONDS. Fails early, printing LOGFILE, if process PID dies.
wait_for_http() {
    local url=$1 seconds=$2 pid=${3:-} logfile=${4:-} deadline
    deadline=$(( $(date +%s) + seconds ))
    while (( $(date +%s) < deadline )); do
        if curl -s -o /dev/null --max-time 2 "$url"; then
            return 0
        fi
        if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
            [[ -n "$logfile" ]] && cat "$logfile" >&2
            return 1
        fi
        sleep 0.2
    done
    [[ -n "$logfile" ]] && cat "$logfile" >&2
    return 1
}

# stop_pid PID: stop a service this script started (TERM, then KILL after 5 s).
stop_pid() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
