#!/usr/bin/env bash
# Provides a pinned, real HashiCorp Nomad 1.x agent binary for the end-to-end
# test tier (the dtle plugin comes from scripts/dtle.sh, Consul from
# scripts/consul.sh).
#
# Usage:
#   scripts/nomad.sh path          print the absolute path of a nomad binary of
#                                  the pinned version (built and cached if needed)
#   scripts/nomad.sh dtle-plugin   the same as `scripts/dtle.sh path`: the dtle
#                                  plugin built from dtle's source (see there)
#   scripts/nomad.sh check         start a throw-away `nomad agent -dev` bound to
#                                  127.0.0.1 (with the dtle plugin if it is
#                                  already cached), query it, stop it
#   scripts/nomad.sh version       print the pinned Nomad version
#
# Only the requested path goes to stdout; all progress goes to stderr.
#
# Pinned version: Nomad 1.11.3 — the newest 1.x release (the next release line
# is 2.0). It builds with Go 1.26 from the Go module proxy, with CGO_ENABLED=0,
# through a generated wrapper module (see build_nomad). Nomad's go.mod replaces
# github.com/hashicorp/nomad/api with ./api, which a module download lacks,
# and the proxy does not serve the api pseudo-version of the 1.11.3 release
# commit (173ab08a0210), so the wrapper falls back to the nearest published
# pseudo-version whose api/ tree differs from the release's only by one extra,
# unused struct field (License.NonProduction) and a test file. Nothing newer
# was tried because nothing newer is 1.x: the next tags are v2.0.0..v2.0.5.
# A cold build takes about 3.5 minutes on 2 cores (wall clock, module
# downloads included) and gives a static, stripped binary of about 107 MB;
# later calls reuse it from the cache and return at once.
#
# The pseudo-versions below come from the tagged commits' UTC commit times and
# hashes; the proxy answers only for versions it has already published, so
# listing (`go list -m -versions`) and tag or commit queries are refused.
#
# CGO is not needed: with CGO_ENABLED=0 the build is static and faster, and
# the agent keeps the raw_exec, docker, java and qemu drivers; only the
# isolating `exec` driver (libcontainer/nsenter) is left out, exactly as in
# Nomad's own no-cgo builds. Set DTLE_COMPAT_NOMAD_CGO=1 to build with cgo
# (needs a C compiler; adds the exec driver) — that is a separate cache entry.
#
# A dev agent for tests: pass `-bind 127.0.0.1`, and deny the cloud
# fingerprinters (see check_agent): with AWS_CA_BUNDLE set, env_aws makes
# the agent exit at start-up.
#
# Environment:
#   DTLE_COMPAT_NOMAD_VERSION      Nomad version to provide (default below)
#   DTLE_COMPAT_NOMAD_API_VERSION  version of github.com/hashicorp/nomad/api to
#                                  build against (default: the release commit's
#                                  pseudo-version, else a known fallback)
#   DTLE_COMPAT_NOMAD_CGO          1 to build with cgo (default 0)
#   DTLE_COMPAT_DTLE_VERSION       dtle version for `dtle-plugin` and `check`
#   DTLE_COMPAT_CACHE              cache folder (default $HOME/.cache/dtle-compat)
set -euo pipefail

LOG_TAG=nomad.sh
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

NOMAD_VERSION="1.11.3"
DTLE_VERSION="4.23.04.3"

NOMAD_VERSION="${DTLE_COMPAT_NOMAD_VERSION:-$NOMAD_VERSION}"
NOMAD_VERSION="${NOMAD_VERSION#v}"
DTLE_VERSION="${DTLE_COMPAT_DTLE_VERSION:-$DTLE_VERSION}"
DTLE_VERSION="${DTLE_VERSION#v}"
NOMAD_CGO="${DTLE_COMPAT_NOMAD_CGO:-0}"

# Published pseudo-versions of github.com/hashicorp/nomad/api to use when the
# proxy lacks the one of the release commit itself. Chosen by comparing the
# api/ trees: the fallback must match the release's api/ (superset at most).
nomad_api_fallback() {
  case "$1" in
    # main at b27b0c2e019a (2026-03-24): api/ = v1.11.3's api/ plus the
    # License.NonProduction field; api/go.mod identical.
    1.11.3) echo "v0.0.0-20260324203407-b27b0c2e019a" ;;
    # exact release commits, published on the proxy
    1.11.2) echo "v0.0.0-20260211190147-f876384fe3ab" ;;
    1.10.5) echo "v0.0.0-20250909143645-a3b86c697f38" ;;
    *) return 1 ;;
  esac
}

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
}

# --- Nomad ---------------------------------------------------------------

nomad_cache_dir() {
  if [ "$NOMAD_CGO" = 1 ]; then
    echo "$CACHE_DIR/nomad-$NOMAD_VERSION-cgo"
  else
    echo "$CACHE_DIR/nomad-$NOMAD_VERSION"
  fi
}

# Local-path replacement callback for Nomad: github.com/hashicorp/nomad/api.
nomad_local_replace() {
  local old="$1" json="$2" hash time pv candidates c
  [ "$old" = "github.com/hashicorp/nomad/api" ] || return 1
  if [ -n "${DTLE_COMPAT_NOMAD_API_VERSION:-}" ]; then
    echo "$old@$DTLE_COMPAT_NOMAD_API_VERSION"
    return 0
  fi
  # The pseudo-version of the release commit: v0.0.0-<UTC time>-<12 hex>.
  hash="$(json_field Hash <"$json")"
  time="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$(json_field Info <"$json")")"
  candidates=()
  if [ -n "$hash" ] && [ -n "$time" ]; then
    time="$(printf '%s' "$time" | tr -d -- '-:TZ' | cut -c1-14)"
    candidates+=("v0.0.0-$time-${hash:0:12}")
  fi
  if pv="$(nomad_api_fallback "$NOMAD_VERSION")"; then
    candidates+=("$pv")
  fi
  for c in "${candidates[@]}"; do
    if go mod download "$old@$c" >/dev/null 2>&1; then
      echo "$old@$c"
      return 0
    fi
    log "$old@$c is not available from the module proxy"
  done
  log "set DTLE_COMPAT_NOMAD_API_VERSION to a published pseudo-version of $old matching Nomad $NOMAD_VERSION"
  return 1
}

nomad_version_ok() {
  # `nomad version` prints e.g. "Nomad v1.11.3" on its first line. Read all of it: with
  # `| head -n 1` under pipefail, nomad can die of SIGPIPE writing its later lines, and a good
  # binary would then be taken for a bad one (and rebuilt).
  local out
  out="$("$1" version 2>/dev/null)" || return 1
  [ "${out%%$'\n'*}" = "Nomad v$NOMAD_VERSION" ]
}

build_nomad() {
  local dest_dir="$1" work tmp_out hash ldflags start
  have go || die "Nomad $NOMAD_VERSION is not on PATH and Go is not installed: install Go (>= the version in Nomad's go.mod) or put nomad $NOMAD_VERSION on PATH"
  mkdir -p "$dest_dir"
  work="$(mktemp -d -t dtle-compat-nomad.XXXXXX)"
  tmp_out="$(mktemp -d "$dest_dir/.build.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work' '$tmp_out'" EXIT
  start="$(date +%s)"
  log "building Nomad $NOMAD_VERSION from the Go module proxy ($(go version | cut -d' ' -f3), CGO_ENABLED=$NOMAD_CGO); this takes several minutes"
  make_wrapper "$work" github.com/hashicorp/nomad "v$NOMAD_VERSION" nomad_local_replace
  hash="$(json_field Hash <"$work/module.json")"
  ldflags="-s -w"
  [ -n "$hash" ] && ldflags="$ldflags -X github.com/hashicorp/nomad/version.GitCommit=${hash:0:12}"
  (
    cd "$work"
    export GOFLAGS="-mod=mod ${GOFLAGS:-}" CGO_ENABLED="$NOMAD_CGO" GOWORK=off
    # codegen_generated: use the pre-generated msgpack codecs, as releases
    # do; release: leave out test-only hooks. (No `ui`: the web UI assets
    # are not part of the module download.)
    go build -trimpath -tags "codegen_generated release" -ldflags "$ldflags" \
      -o "$tmp_out/nomad" github.com/hashicorp/nomad
  ) || die "building Nomad $NOMAD_VERSION failed (see the errors above)"
  nomad_version_ok "$tmp_out/nomad" || die "the built binary does not report Nomad v$NOMAD_VERSION"
  mv -f "$tmp_out/nomad" "$dest_dir/nomad"
  rm -rf "$work" "$tmp_out"
  trap - EXIT
  log "built $dest_dir/nomad in $(elapsed "$start")s ($(du -h "$dest_dir/nomad" | cut -f1))"
}

nomad_path() {
  binary_path nomad nomad_version_ok "$(nomad_cache_dir)/nomad" "$CACHE_DIR/.nomad-$NOMAD_VERSION.lock" ensure_nomad
}

# Builds the cached binary $1 unless another process built it while we were
# waiting for the lock.
ensure_nomad() {
  if [ -x "$1" ] && nomad_version_ok "$1"; then
    log "using $1 (built meanwhile by another process)"
    return 0
  fi
  build_nomad "$(dirname "$1")"
}

# --- check ---------------------------------------------------------------

free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  die "no free port found"
}

check_agent() {
  local nomad dir http rpc serf nats consul pid plugin_line="" i leader node_id
  have curl || die "curl is needed for check"
  nomad="$(nomad_path)"
  dir="$(mktemp -d -t dtle-compat-agent.XXXXXX)"
  mkdir -p "$dir/data" "$dir/plugins"
  if [ -x "$CACHE_DIR/dtle-$DTLE_VERSION/dtle" ]; then
    cp "$CACHE_DIR/dtle-$DTLE_VERSION/dtle" "$dir/plugins/dtle"
    log "loading the cached dtle plugin"
  fi
  http="$(free_port)"; rpc="$(free_port)"; serf="$(free_port)"
  if [ -x "$dir/plugins/dtle" ]; then
    # dtle's defaults bind NATS to 0.0.0.0:8193: keep everything on loopback.
    # Nothing listens at the consul address; dtle only needs it for jobs.
    nats="$(free_port)"; consul="$(free_port)"
    mkdir -p "$dir/dtle"
    cat >"$dir/dtle.hcl" <<EOF
plugin "dtle" {
  config {
    nats_bind      = "127.0.0.1:$nats"
    nats_advertise = "127.0.0.1:$nats"
    api_addr       = ""
    nomad_addr     = "127.0.0.1:$http"
    consul         = "127.0.0.1:$consul"
    data_dir       = "$dir/dtle"
  }
}
EOF
    plugin_line="-config $dir/dtle.hcl"
  fi
  cat >"$dir/agent.hcl" <<EOF
data_dir   = "$dir/data"
plugin_dir = "$dir/plugins"
bind_addr  = "127.0.0.1"
ports {
  http = $http
  rpc  = $rpc
  serf = $serf
}
client {
  enabled = true
  options {
    # The cloud fingerprinters probe metadata endpoints off this host, and
    # env_aws makes the agent exit when AWS_CA_BUNDLE is set ("unable to add
    # custom RootCAs HTTPClient"): keep them out.
    "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean"
  }
}
EOF
  # shellcheck disable=SC2086
  "$nomad" agent -dev -bind 127.0.0.1 -config "$dir/agent.hcl" $plugin_line >"$dir/agent.log" 2>&1 &
  pid=$!
  # shellcheck disable=SC2064
  trap "kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf '$dir'" EXIT
  leader=""
  for i in $(seq 1 60); do
    leader="$(curl -fsS "http://127.0.0.1:$http/v1/status/leader" 2>/dev/null || true)"
    [ -n "$leader" ] && [ "$leader" != '""' ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/agent.log" >&2; die "the agent exited"; }
    sleep 1
  done
  [ -n "$leader" ] && [ "$leader" != '""' ] || { cat "$dir/agent.log" >&2; die "no leader was elected"; }
  log "leader: $leader"
  node_id=""
  for i in $(seq 1 60); do
    node_id="$(curl -fsS "http://127.0.0.1:$http/v1/nodes" 2>/dev/null |
      sed -n 's/.*"ID":"\([0-9a-f-]\{36\}\)".*/\1/p' | head -n 1)"
    [ -n "$node_id" ] && break
    sleep 1
  done
  [ -n "$node_id" ] || { cat "$dir/agent.log" >&2; die "no client node registered"; }
  log "node: $node_id"
  # Drivers are fingerprinted asynchronously: give them a moment.
  sleep 5
  curl -fsS "http://127.0.0.1:$http/v1/node/$node_id" >"$dir/node.json"
  if have python3; then
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["Drivers"]
for name in sorted(d):
    v = d[name]
    print("%-10s detected=%-5s healthy=%-5s %s" % (name, v["Detected"], v["Healthy"], v.get("HealthDescription", "")))
' "$dir/node.json" >&2
  else
    cat "$dir/node.json" >&2
  fi
  echo "ok"
}

case "${1:-}" in
  path) nomad_path ;;
  dtle-plugin) exec bash "$(dirname "$0")/dtle.sh" path "$DTLE_VERSION" ;;
  check) check_agent ;;
  version) echo "$NOMAD_VERSION" ;;
  -h | --help | help) usage ;;
  *) usage; exit 2 ;;
esac
