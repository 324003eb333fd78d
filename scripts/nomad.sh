#!/usr/bin/env bash
# Provides a pinned, real HashiCorp Nomad 1.x agent binary (and, optionally,
# the dtle task-driver plugin) for the end-to-end test tier.
#
# Usage:
#   scripts/nomad.sh path          print the absolute path of a nomad binary of
#                                  the pinned version (built and cached if needed)
#   scripts/nomad.sh dtle-plugin   print the absolute path of the dtle Nomad
#                                  plugin binary (built and cached if needed)
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
# dtle-plugin: dtle's tags are not semantic versions, so the plugin can only
# come from the proxy as a v0.0.0 pseudo-version, and the proxy here serves
# none (403 "This module version is not available" for every tag's commit):
# the subcommand then exits non-zero. Where the module is served, the build
# needs cgo and -checklinkname=0 (see build_dtle).
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
#   DTLE_COMPAT_DTLE_VERSION       dtle version for `dtle-plugin`
#   DTLE_COMPAT_CACHE              cache folder (default $HOME/.cache/dtle-compat)
set -euo pipefail

NOMAD_VERSION="1.11.3"
DTLE_VERSION="4.23.04.3"

NOMAD_VERSION="${DTLE_COMPAT_NOMAD_VERSION:-$NOMAD_VERSION}"
NOMAD_VERSION="${NOMAD_VERSION#v}"
DTLE_VERSION="${DTLE_COMPAT_DTLE_VERSION:-$DTLE_VERSION}"
DTLE_VERSION="${DTLE_VERSION#v}"
NOMAD_CGO="${DTLE_COMPAT_NOMAD_CGO:-0}"
CACHE_DIR="${DTLE_COMPAT_CACHE:-$HOME/.cache/dtle-compat}"

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

log() { printf '[nomad.sh] %s\n' "$*" >&2; }
die() { printf '[nomad.sh] error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
}

have() { command -v "$1" >/dev/null 2>&1; }

# Value of a string field in `go mod download -json` output (stdin).
json_field() {
  sed -n "s/^[[:space:]]*\"$1\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p" | head -n 1
}

# Downloads module@version; prints the -json document on stdout.
go_mod_download() {
  local out
  if ! out="$(go mod download -json "$1@$2" 2>&1)"; then
    printf '%s\n' "$out" >&2
    return 1
  fi
  printf '%s\n' "$out"
}

# Prints the replace directives of a go.mod file, one per line, in the
# `old[@v]=new[@v]` form that `go mod edit -replace` takes.
gomod_replaces() {
  awk '
    { sub(/[ \t]*\/\/.*/, "") }
    /^[ \t]*replace[ \t]*\([ \t]*$/ { inblock = 1; next }
    inblock && /^[ \t]*\)/ { inblock = 0; next }
    inblock && /=>/ { emit($0); next }
    /^[ \t]*replace[ \t]/ && /=>/ { line = $0; sub(/^[ \t]*replace[ \t]+/, "", line); emit(line) }
    function emit(s,    parts, l, r, nl, nr) {
      split(s, parts, "=>")
      nl = split(parts[1], l, /[ \t]+/); nr = split(parts[2], r, /[ \t]+/)
      # split() on a leading blank gives an empty first field; compact them
      s = ""; for (i = 1; i <= nl; i++) if (l[i] != "") s = s (s == "" ? "" : "@") l[i]
      t = ""; for (i = 1; i <= nr; i++) if (r[i] != "") t = t (t == "" ? "" : "@") r[i]
      gsub(/"/, "", s); gsub(/"/, "", t)
      print s "=" t
    }
  ' "$1"
}

# Prints the `go` directive of a go.mod file.
gomod_go_version() {
  sed -n 's/^go[[:space:]]\{1,\}\([0-9][0-9.]*\).*/\1/p' "$1" | head -n 1
}

# Builds a wrapper module in $1 that requires $2@$3 ($3 with its leading v)
# and carries the replace
# directives of that module's go.mod. Local-path replacements are handed to
# the function named by $4 (called with the old module path and the module's
# -json document file); it prints the published `module@version` to use
# instead, or fails.
make_wrapper() {
  local dir="$1" mod="$2" ver="$3" local_cb="$4"
  local json gomod gover rep old new target
  json="$dir/module.json"
  go_mod_download "$mod" "$ver" >"$json" || die "cannot download $mod@$ver from the Go module proxy"
  gomod="$(json_field GoMod <"$json")"
  [ -n "$gomod" ] && [ -f "$gomod" ] || die "no go.mod for $mod@$ver"
  gover="$(gomod_go_version "$gomod")"
  cat >"$dir/go.mod" <<EOF
module dtle-compat.local/build-wrapper

go ${gover:-1.21}

require $mod $ver
EOF
  while IFS= read -r rep; do
    [ -n "$rep" ] || continue
    old="${rep%%=*}"
    new="${rep#*=}"
    case "$new" in
      ./* | ../* | /*)
        target="$("$local_cb" "${old%@*}" "$json")" ||
          die "$mod@$ver replaces ${old%@*} with the local path $new, and no published version could stand in for it"
        log "replace ${old%@*} (local $new in $mod) => $target"
        go mod edit -replace="${old%@*}=$target" "$dir/go.mod"
        ;;
      *)
        go mod edit -replace="$old=$new" "$dir/go.mod"
        ;;
    esac
  done < <(gomod_replaces "$gomod")
  log "wrapper go.mod:"
  sed 's/^/    /' "$dir/go.mod" >&2
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
  log "built $dest_dir/nomad in $(($(date +%s) - start))s ($(du -h "$dest_dir/nomad" | cut -f1))"
}

nomad_path() {
  local onpath bin
  if onpath="$(command -v nomad 2>/dev/null)" && nomad_version_ok "$onpath"; then
    log "using nomad from PATH: $onpath"
    realpath "$onpath"
    return 0
  fi
  bin="$(nomad_cache_dir)/nomad"
  if [ -x "$bin" ] && nomad_version_ok "$bin"; then
    log "using cached $bin"
  else
    with_lock "$CACHE_DIR/.nomad-$NOMAD_VERSION.lock" ensure_nomad "$bin"
  fi
  realpath "$bin"
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

# Runs "${@:2}" holding an exclusive lock on file $1 (when flock exists), so
# that concurrent callers wait for one build instead of racing.
with_lock() {
  local lockfile="$1"
  shift
  mkdir -p "$(dirname "$lockfile")"
  if have flock; then
    exec 9>"$lockfile"
    flock 9
    "$@"
    exec 9>&-
  else
    "$@"
  fi
}

# --- dtle plugin ---------------------------------------------------------
#
# dtle's release tags (v4.23.04.3, ...) are not semantic versions and its
# module path has no /v4 suffix, so the Go module proxy can only serve its
# commits as v0.0.0 pseudo-versions. These are the pseudo-versions of the
# tagged commits (commit time in UTC, 12-hex commit prefix).
dtle_pseudo_version() {
  case "$1" in
    4.23.04.3) echo "v0.0.0-20230817061545-0645b247ac54" ;;
    4.22.11.4) echo "v0.0.0-20230224102020-6bba6dc9edf0" ;;
    4.22.07.2) echo "v0.0.0-20220906053642-a1532de8e94f" ;;
    *) return 1 ;;
  esac
}

# dtle's go.mod only replaces modules with published forks; a local-path
# replacement would have no published stand-in.
dtle_local_replace() {
  return 1
}

# Prints the module version of dtle $DTLE_VERSION that the proxy serves.
dtle_module_version() {
  local c out candidates=()
  case "$DTLE_VERSION" in
    0.0.0-*) candidates+=("v$DTLE_VERSION") ;;
    *)
      if out="$(dtle_pseudo_version "$DTLE_VERSION")"; then candidates+=("$out"); fi
      # a proxy that can reach the origin resolves the tag itself
      candidates+=("v$DTLE_VERSION")
      ;;
  esac
  for c in "${candidates[@]}"; do
    if out="$(go mod download -json "github.com/actiontech/dtle@$c" 2>&1)"; then
      printf '%s\n' "$out" | json_field Version
      return 0
    fi
    log "github.com/actiontech/dtle@$c: $(printf '%s\n' "$out" | json_field Error | head -c 300)"
  done
  return 1
}

build_dtle() {
  local dest_dir="$1" work tmp_out start modver
  have go || die "Go is not installed: cannot build the dtle plugin"
  modver="$(dtle_module_version)" ||
    die "the Go module proxy serves no version of github.com/actiontech/dtle for dtle $DTLE_VERSION, so the dtle plugin cannot be built here (set DTLE_COMPAT_DTLE_VERSION to another tag or to a published 0.0.0-<time>-<commit> pseudo-version)"
  mkdir -p "$dest_dir"
  work="$(mktemp -d -t dtle-compat-dtle.XXXXXX)"
  tmp_out="$(mktemp -d "$dest_dir/.build.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work' '$tmp_out'" EXIT
  start="$(date +%s)"
  log "building the dtle plugin $DTLE_VERSION ($modver) from the Go module proxy"
  make_wrapper "$work" github.com/actiontech/dtle "$modver" dtle_local_replace
  (
    cd "$work"
    # dtle links the Oracle driver (godror) through cgo.
    export GOFLAGS="-mod=mod ${GOFLAGS:-}" GOWORK=off CGO_ENABLED=1
    # -checklinkname=0: dtle's TiDB fork (util/printer) links to
    # runtime.buildVersion, which Go >= 1.23 refuses by default.
    go build -trimpath -ldflags "-s -w -checklinkname=0" -o "$tmp_out/dtle" github.com/actiontech/dtle/cmd/nomad-plugin
  ) || die "building the dtle plugin $DTLE_VERSION failed (see the errors above)"
  mv -f "$tmp_out/dtle" "$dest_dir/dtle"
  rm -rf "$work" "$tmp_out"
  trap - EXIT
  log "built $dest_dir/dtle in $(($(date +%s) - start))s ($(du -h "$dest_dir/dtle" | cut -f1))"
}

dtle_path() {
  local bin="$CACHE_DIR/dtle-$DTLE_VERSION/dtle"
  if [ -x "$bin" ]; then
    log "using cached $bin"
  else
    with_lock "$CACHE_DIR/.dtle-$DTLE_VERSION.lock" ensure_dtle "$bin"
  fi
  realpath "$bin"
}

ensure_dtle() {
  if [ -x "$1" ]; then
    log "using $1 (built meanwhile by another process)"
    return 0
  fi
  build_dtle "$(dirname "$1")"
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
  dtle-plugin) dtle_path ;;
  check) check_agent ;;
  version) echo "$NOMAD_VERSION" ;;
  -h | --help | help) usage ;;
  *) usage; exit 2 ;;
esac
