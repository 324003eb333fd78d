#!/usr/bin/env bash
# Provides a pinned, real HashiCorp Consul 1.x agent binary for the real-dtle test tier: a dtle
# 4.x task keeps its replication state in Consul KV and cannot start without it.
#
# Usage:
#   scripts/consul.sh path       print the absolute path of a consul binary of the pinned version
#                                (on PATH, cached, or built with Go from the module proxy)
#   scripts/consul.sh version    print the pinned Consul version
#
# Only the requested path goes to stdout; all progress goes to stderr.
#
# Pinned version: Consul 1.22.6 (released 2026-03-25), the newest 1.x release that the Go module
# proxy serves and that builds here with Go 1.26 (CGO_ENABLED=0, a static binary). Consul has no
# 2.x line; 1.22 is its current release line, and dtle only needs the KV HTTP API, which every
# 1.x has. The build goes through a generated wrapper module requiring
# github.com/hashicorp/consul v1.22.6: Consul's go.mod replaces its five submodules (api, sdk,
# envoyextensions, proto-public, troubleshoot) with local folders that a module download lacks,
# so the wrapper requires each at the version Consul's go.mod names (published with the release),
# and GONOSUMDB names those five (the checksum database does not answer for them).
# A cold build (empty module and build caches) took 23 minutes wall on a 2-core machine shared with
# other builds (17 minutes of CPU, 2 GB of modules downloaded) and gives a stripped binary of
# 121 MB; later calls reuse it from the cache and return at once. (v1.22.5 and v1.22.6 are served;
# the proxy answers 403 for v1.23.0 and v1.24.0 (v1.22.4 too); Consul has no 2.x line.)
#
# A dev agent for tests (scripts/consul-agent.ts): `consul agent -dev -bind 127.0.0.1
# -client 127.0.0.1` with http, serf_lan, serf_wan and server on free ports, dns and grpc off,
# and a temporary data dir.
#
# Environment:
#   DTLE_COMPAT_CONSUL_VERSION   Consul version to provide (default below)
#   DTLE_COMPAT_CACHE            cache folder (default $HOME/.cache/dtle-compat)
set -euo pipefail

LOG_TAG=consul.sh
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

CONSUL_VERSION="1.22.6"
CONSUL_VERSION="${DTLE_COMPAT_CONSUL_VERSION:-$CONSUL_VERSION}"
CONSUL_VERSION="${CONSUL_VERSION#v}"

# Consul's submodules, replaced by local folders in its go.mod.
CONSUL_SUBMODULES="api sdk envoyextensions proto-public troubleshoot"

usage() {
  sed -n '5,9p' "$0" | sed 's/^# \{0,1\}//' >&2
}

consul_version_ok() {
  # `consul version` prints "Consul v1.22.6" on its first line (read all of it: see nomad.sh)
  local out
  out="$("$1" version 2>/dev/null)" || return 1
  [ "${out%%$'\n'*}" = "Consul v$CONSUL_VERSION" ]
}

# Local-path replacement callback: a submodule at the version Consul's go.mod requires.
consul_local_replace() {
  local old="$1" json="$2" gomod ver
  case " $CONSUL_SUBMODULES " in
    *" ${old#github.com/hashicorp/consul/} "*) ;;
    *) return 1 ;;
  esac
  gomod="$(json_field GoMod <"$json")"
  ver="$(gomod_required_version "$gomod" "$old")"
  [ -n "$ver" ] || return 1
  echo "$old@$ver"
}

build_consul() {
  local dest_dir="$1" work tmp_out hash start nosum="" m
  have go || die "Consul $CONSUL_VERSION is not on PATH and Go is not installed: install Go or put consul $CONSUL_VERSION on PATH"
  mkdir -p "$dest_dir"
  work="$(mktemp -d -t dtle-compat-consul.XXXXXX)"
  tmp_out="$(mktemp -d "$dest_dir/.build.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$work' '$tmp_out'" EXIT
  start="$(date +%s)"
  for m in $CONSUL_SUBMODULES; do nosum="${nosum:+$nosum,}github.com/hashicorp/consul/$m"; done
  export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}$nosum"
  log "building Consul $CONSUL_VERSION from the Go module proxy ($(go version | cut -d' ' -f3), CGO_ENABLED=0); this takes several minutes"
  make_wrapper "$work" github.com/hashicorp/consul "v$CONSUL_VERSION" consul_local_replace
  hash="$(json_field Hash <"$work/module.json")"
  (
    cd "$work"
    export GOFLAGS="-mod=mod ${GOFLAGS:-}" CGO_ENABLED=0 GOWORK=off
    go build -trimpath -ldflags "-s -w${hash:+ -X github.com/hashicorp/consul/version.GitCommit=${hash:0:12}}" \
      -o "$tmp_out/consul" github.com/hashicorp/consul
  ) || die "building Consul $CONSUL_VERSION failed (see the errors above)"
  consul_version_ok "$tmp_out/consul" || die "the built binary does not report Consul v$CONSUL_VERSION"
  mv -f "$tmp_out/consul" "$dest_dir/consul"
  rm -rf "$work" "$tmp_out"
  trap - EXIT
  log "built $dest_dir/consul in $(elapsed "$start")s ($(du -h "$dest_dir/consul" | cut -f1))"
}

ensure_consul() {
  if [ -x "$1" ] && consul_version_ok "$1"; then
    log "using $1 (built meanwhile by another process)"
    return 0
  fi
  build_consul "$(dirname "$1")"
}

consul_path() {
  binary_path consul consul_version_ok "$CACHE_DIR/consul-$CONSUL_VERSION/consul" "$CACHE_DIR/.consul-$CONSUL_VERSION.lock" ensure_consul
}

case "${1:-}" in
  path) consul_path ;;
  version) echo "$CONSUL_VERSION" ;;
  -h | --help | help) usage ;;
  *) usage; exit 2 ;;
esac
