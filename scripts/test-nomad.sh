#!/usr/bin/env bash
# The real-Nomad test tier (npm run test:nomad): the end-to-end suite test/e2e through
# dtle-compat against real Nomad dev agents of the pinned version (scripts/nomad.sh).
#
#   - gets the pinned nomad binary: on PATH, cached, or built with Go from the module proxy
#     (about 3.5 minutes the first time; then cached);
#   - runs jest with jest.e2e.config.js; its globalSetup (test/e2e/globalSetup.ts) starts two
#     `nomad agent -dev` bound to 127.0.0.1 on free ports with temporary data dirs (one with
#     raw_exec, one with ACLs), its globalTeardown stops them;
#   - whatever happens (failure, ctrl-C, kill), the trap below stops any agent still running and
#     removes the temporary folders.
#
# Without a pinned nomad binary and without Go to build one, this tier cannot run: it says so and
# exits 1, unless DTLE_COMPAT_SKIP_NOMAD=1 (then it says "skipped" and exits 0). Extra arguments
# go to jest (e.g. -t 'pause').
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test-nomad] %s\n' "$*" >&2; }

# Cannot run here: skipped when asked to, else an error.
cannot_run() {
  if [ "${DTLE_COMPAT_SKIP_NOMAD:-}" = 1 ]; then
    log "SKIPPED: the real-Nomad tier did not run: $1 (DTLE_COMPAT_SKIP_NOMAD=1)"
    exit 0
  fi
  log "error: the real-Nomad tier cannot run: $1"
  log "install Go or put nomad $version on PATH; or set DTLE_COMPAT_SKIP_NOMAD=1 to skip this tier"
  exit 1
}

version="$(bash scripts/nomad.sh version)"
cache="${DTLE_COMPAT_CACHE:-$HOME/.cache/dtle-compat}/nomad-$version/nomad"
have_binary=0
if [ -x "$cache" ]; then
  have_binary=1
elif command -v nomad >/dev/null 2>&1 && out="$(nomad version 2>/dev/null)" && [ "${out%%$'\n'*}" = "Nomad v$version" ]; then
  have_binary=1
fi
if [ "$have_binary" = 0 ] && ! command -v go >/dev/null 2>&1; then
  cannot_run "no nomad $version binary (neither on PATH nor in the cache) and no Go to build one"
fi
if ! bin="$(bash scripts/nomad.sh path)"; then
  cannot_run "scripts/nomad.sh could not provide nomad $version (see its errors above)"
fi
out="$("$bin" version)"
log "nomad: $bin (${out%%$'\n'*})"

run_dir="$(mktemp -d -t dtle-compat-e2e.XXXXXX)"
cleanup() {
  local pidfile pid
  for pidfile in "$run_dir"/*/nomad.pid; do
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping the Nomad agent $pid left running"
      kill -INT "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started="$(date +%s)"
status=0
DTLE_COMPAT_NOMAD_BIN="$bin" DTLE_COMPAT_E2E_DIR="$run_dir" \
  npx jest -c jest.e2e.config.js "$@" || status=$?
log "finished in $(($(date +%s) - started)) s with status $status"
exit "$status"
