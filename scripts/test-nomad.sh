#!/usr/bin/env bash
# The real-Nomad test tier (npm run test:nomad): the end-to-end suite test/e2e through
# dtle-compat against real Nomad dev agents of the pinned version (scripts/nomad.sh).
#
#   - gets the pinned nomad binary: on PATH, cached, or built with Go from the module proxy
#     (about 3.5 minutes the first time; then cached);
#   - for the real-dtle part (test/e2e/dtle*.test.ts): gets the pinned consul binary
#     (scripts/consul.sh: on PATH, cached, or built from the module proxy, about 4 minutes the
#     first time) and the real dtle plugin of each version the tier runs (scripts/dtle.sh: built
#     from dtle's source, DTLE_SRC or a shared/dtle folder beside the repository or its parent,
#     about 2.5 minutes per version the first time; then cached);
#   - runs jest with jest.e2e.config.js; its globalSetup (test/e2e/globalSetup.ts) starts, bound
#     to 127.0.0.1 on free ports with temporary data dirs, a `nomad agent -dev` with raw_exec, one
#     with ACLs, a `consul agent -dev`, and one `nomad agent -dev` per dtle version with the real
#     plugin in its plugin_dir; its globalTeardown stops them;
#   - whatever happens (failure, ctrl-C, kill), the trap below stops any agent still running and
#     removes the temporary folders.
#
# Without a pinned nomad binary and without Go to build one, this tier cannot run: it says so and
# exits 1, unless DTLE_COMPAT_SKIP_NOMAD=1 (then it says "skipped" and exits 0). Without dtle's
# source (or without Consul) the real-dtle part cannot run: it says so and exits 1, unless
# DTLE_COMPAT_SKIP_DTLE=1 (then the rest runs and the dtle tests are reported as skipped).
# Extra arguments go to jest (e.g. -t 'pause', or test/e2e/dtle to run only the dtle part).
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

# The real-dtle part cannot run: skipped when asked to, else an error.
cannot_run_dtle() {
  log "error: the real-dtle part of the tier cannot run: $1"
  log "point DTLE_SRC at dtle's source (see scripts/dtle.sh), or set DTLE_COMPAT_SKIP_DTLE=1 to skip the real-dtle part"
  exit 1
}
plugins=""
if [ "${DTLE_COMPAT_SKIP_DTLE:-}" = 1 ]; then
  log "SKIPPED: the real-dtle part (Consul and the dtle driver) will not run (DTLE_COMPAT_SKIP_DTLE=1)"
else
  consul="$(bash scripts/consul.sh path)" || cannot_run_dtle "scripts/consul.sh could not provide consul $(bash scripts/consul.sh version) (see its errors above)"
  out="$("$consul" version)"
  log "consul: $consul (${out%%$'\n'*})"
  for v in $(bash scripts/dtle.sh versions); do
    p="$(bash scripts/dtle.sh path "$v")" || cannot_run_dtle "scripts/dtle.sh could not provide the dtle plugin $v (see its errors above)"
    log "dtle $v: $p"
    plugins="${plugins:+$plugins,}$v=$p"
  done
  export DTLE_COMPAT_CONSUL_BIN="$consul" DTLE_COMPAT_DTLE_PLUGINS="$plugins"
fi

run_dir="$(mktemp -d -t dtle-compat-e2e.XXXXXX)"
cleanup() {
  local pidfile pid
  for pidfile in "$run_dir"/*/nomad.pid "$run_dir"/*/consul.pid; do
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping the agent $pid left running ($pidfile)"
      kill -INT "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  # what an agent could not clean up: its tasks' tmpfs mounts (Nomad makes them when it runs as root)
  if [ -r /proc/mounts ]; then
    awk -v d="$run_dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while IFS= read -r m; do
      umount "$m" 2>/dev/null || true
    done
  fi
  rm -rf "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# each agent leaves its log there when it stops (CI keeps test-output/)
logs_dir="${DTLE_COMPAT_E2E_LOGS:-test-output/e2e-logs}"
rm -rf "$logs_dir"
started="$(date +%s)"
status=0
DTLE_COMPAT_NOMAD_BIN="$bin" DTLE_COMPAT_E2E_DIR="$run_dir" DTLE_COMPAT_E2E_LOGS="$logs_dir" \
  npx jest -c jest.e2e.config.js --json --outputFile="$run_dir/jest.json" "$@" || status=$?
if [ -f "$run_dir/jest.json" ]; then
  # the count CI prints: every test of the tier, and how many ran against the real dtle driver
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const all = r.testResults.flatMap((f) => f.assertionResults.map((a) => ({ file: f.name, status: a.status })));
    const dtle = all.filter((a) => /\/dtle-[^/]*\.test\.ts$/.test(a.file));
    const n = (l, s) => l.filter((a) => a.status === s).length;
    console.error(`[test-nomad] ${all.length} tests: ${n(all, "passed")} passed, ${n(all, "failed")} failed, ${n(all, "pending")} skipped; in the real-dtle part (test/e2e/dtle-*): ${dtle.length} (${n(dtle, "passed")} passed, ${n(dtle, "pending")} skipped)`);
  ' "$run_dir/jest.json" || true
fi
log "finished in $(($(date +%s) - started)) s with status $status"
exit "$status"
