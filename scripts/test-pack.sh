#!/usr/bin/env bash
# The packaged artifact (npm run test:pack): what `npm pack` makes installs into a fresh project and
# runs with npx.
#
#   1. copies the package's sources and the simulator's (sim/) into a temporary folder (the
#      checkout's own dist/ and sim/dist/ are left alone) and runs `npm pack` there: prepack removes
#      dist/, bundles the simulator into sim/dist/index.js and builds dist/ from src/;
#   2. checks the tarball ships dist/ (no source maps), config/default.json, deploy/, docs/, the
#      README and the simulator's bundle as its bundled dependency @dtle-compat/sim, and no tests,
#      sources (the service's or the simulator's), benchmarks or scripts; and that dist/ holds no
#      simulator code;
#   3. installs the tarball into a fresh project (`npm install ./dtle-compat-<version>.tgz`, from the
#      npm cache when it has the dependencies);
#   4. runs `npx dtle-compat --version`, `--help`, `--demo --check`, then starts `npx dtle-compat --demo`
#      on a free loopback port, reads /-/ready, /v1/jobs and /ui/, stops it with SIGTERM (exit 0);
#   5. removes everything it made, whatever happens (the trap below).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
started=$(date +%s)

log() { printf '[test-pack] %s\n' "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

WORK=$(mktemp -d -t dtle-compat-pack.XXXXXX)
server_pid=''
cleanup() {
  # the service this script started (npx and the node process under it, found by the unique temp path)
  local pids
  pids="$server_pid $(pgrep -f "^node $WORK/app/node_modules/.bin/dtle-compat " || true)"
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.5
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

version=$(node -p "require('./package.json').version")
name=$(node -p "require('./package.json').name")

# 1. pack from a copy of the sources
log "packing $name $version"
stage="$WORK/stage"
mkdir -p "$stage" "$WORK/out"
cp -R package.json package-lock.json tsconfig.json tsconfig.build.json README.md src config deploy docs "$stage/"
mkdir "$stage/sim"
cp -R sim/package.json sim/src "$stage/sim/"
# the checkout's dependencies, but the workspace link of @dtle-compat/sim points at the staged copy
mkdir -p "$stage/node_modules/@dtle-compat"
for entry in "$ROOT"/node_modules/* "$ROOT"/node_modules/.bin; do
  [ "$(basename "$entry")" = @dtle-compat ] || ln -s "$entry" "$stage/node_modules/"
done
ln -s ../../sim "$stage/node_modules/@dtle-compat/sim"
(cd "$stage" && npm pack --silent --pack-destination "$WORK/out" >/dev/null)
tarball="$WORK/out/$name-$version.tgz"
[ -f "$tarball" ] || fail "npm pack made no $name-$version.tgz"

# 2. what the tarball holds
tar -tzf "$tarball" | sort >"$WORK/files.txt"
count=$(wc -l <"$WORK/files.txt" | tr -d ' ')
bytes=$(wc -c <"$tarball" | tr -d ' ')
for need in package/package.json package/README.md package/config/default.json package/dist/cli.js package/dist/index.js \
  package/dist/app.js package/dist/routes/ui/index.js package/dist/demo.js package/deploy/dtle-compat.service \
  package/node_modules/@dtle-compat/sim/package.json package/node_modules/@dtle-compat/sim/dist/index.js \
  package/deploy/dtle-compat.nomad.hcl package/deploy/Dockerfile package/docs/api.md package/docs/operations.md package/docs/migration.md; do
  grep -qx "$need" "$WORK/files.txt" || fail "the tarball lacks $need"
done
if grep -Ev '^package/(package\.json|README\.md|config/default\.json|dist/.+\.js|deploy/[^/]+|docs/[^/]+\.md|node_modules/@dtle-compat/sim/(package\.json|dist/index\.js))$' "$WORK/files.txt" >"$WORK/extra.txt"; then
  fail "the tarball holds files it should not: $(tr '\n' ' ' <"$WORK/extra.txt")"
fi
# the service's own code holds no simulator: its demo loads the bundled @dtle-compat/sim
mkdir "$WORK/unpacked"
tar -xzf "$tarball" -C "$WORK/unpacked"
if grep -lE '(class |var )(SimNomad|SimServer|SimState)\b|function canonicalJob' -r "$WORK/unpacked/package/dist" >"$WORK/simcode.txt"; then
  fail "dist/ holds simulator code: $(tr '\n' ' ' <"$WORK/simcode.txt")"
fi
grep -qE 'var SimNomad = class|class SimNomad' "$WORK/unpacked/package/node_modules/@dtle-compat/sim/dist/index.js" || fail "the bundled @dtle-compat/sim holds no SimNomad"
log "tarball: $(basename "$tarball"), $bytes bytes, $count files"

# 3. a fresh project that installs it
app="$WORK/app"
mkdir -p "$app"
cp "$tarball" "$app/"
cd "$app"
npm init -y >/dev/null
log "npm install ./$(basename "$tarball")"
npm install --no-audit --no-fund --prefer-offline --loglevel=error "./$(basename "$tarball")" >/dev/null
[ -x node_modules/.bin/dtle-compat ] || fail "the install put no dtle-compat in node_modules/.bin"

# 4. run it (with none of this shell's Nomad or dtle-compat settings)
run() { env -u NOMAD_ADDR -u NOMAD_TOKEN -u NOMAD_REGION -u NOMAD_NAMESPACE -u DTLE_API_ADDR "$@"; }

got=$(run npx --no-install dtle-compat --version)
[ "$got" = "dtle-compat $version" ] || fail "--version printed '$got', not 'dtle-compat $version'"
log "npx dtle-compat --version: $got"
run npx --no-install dtle-compat --help | grep -q '^Usage: dtle-compat \[options\]$' || fail "--help printed no usage"
port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
check=$(run DTLE_API_ADDR="127.0.0.1:$port" npx --no-install dtle-compat --demo --check 2>/dev/null) || fail "--demo --check exited non-zero: $check"
printf '%s\n' "$check" | grep -qx 'dtle jobs: 4' || fail "--demo --check did not find the 4 demo jobs: $check"
printf '%s\n' "$check" | grep -qx 'check: ok' || fail "--demo --check did not say ok: $check"
log "npx dtle-compat --help, --demo --check: ok"

port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
base="http://127.0.0.1:$port"
log "npx dtle-compat --demo on $base"
# env execs npx, so $! is npm's own process
env -u NOMAD_ADDR -u NOMAD_TOKEN -u NOMAD_REGION -u NOMAD_NAMESPACE DTLE_API_ADDR="127.0.0.1:$port" \
  npx --no-install dtle-compat --demo --log-format text >"$WORK/server.log" 2>&1 &
server_pid=$!
ready=''
for _ in $(seq 1 100); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/-/ready" || true)" = 200 ]; then
    ready=yes
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$ready" ] || fail "the service did not become ready: $(cat "$WORK/server.log")"
[ "$(curl -sS "$base/-/ready")" = OK ] || fail "/-/ready did not answer OK"
curl -sS -o "$WORK/jobs.json" -w '%{http_code}' "$base/v1/jobs" | grep -qx 200 || fail "GET /v1/jobs did not answer 200"
node -e "
const jobs = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8'));
const ids = jobs.map((j) => j.ID).sort().join(',');
if (ids !== 'billing-migration,events-to-kafka,inventory-sync,orders-sync') throw new Error('unexpected jobs: ' + ids);
const text = JSON.stringify(jobs);
if (text.includes('demo-password') || !text.includes('\"Password\":\"*\"')) throw new Error('passwords are not masked');
" "$WORK/jobs.json" || fail "GET /v1/jobs: $(head -c 300 "$WORK/jobs.json")"
curl -sS "$base/ui/" | grep -q '<tr data-job="orders-sync">' || fail "GET /ui/ does not list orders-sync"
log "GET /-/ready, /v1/jobs (4 demo jobs, passwords \"*\"), /ui/: ok"

# npx runs the bin through `sh -c`, which does not pass signals on: SIGTERM goes to the service's
# own process (as systemd or Nomad send it to the bin), and npx ends with its exit code
service_pid=$(pgrep -f "^node $app/node_modules/.bin/dtle-compat " | head -1 || true)
[ -n "$service_pid" ] || fail "cannot find the service's process"
kill -TERM "$service_pid"
code=0
wait "$server_pid" || code=$?
server_pid=''
[ "$code" = 0 ] || fail "the service exited $code after SIGTERM: $(tail -5 "$WORK/server.log")"
grep -q 'dtle-compat stopped' "$WORK/server.log" || fail "no 'dtle-compat stopped' in the log"
if pgrep -f "$app/node_modules/.bin/dtle-compat" >/dev/null; then fail "a dtle-compat process outlived npx"; fi
log "stopped by SIGTERM, exit 0"

log "ok in $(($(date +%s) - started)) s ($bytes bytes, $count files)"
