#!/usr/bin/env bash
# Builds the real dtle Nomad task-driver plugin from dtle's own source, for the real-dtle test
# tier, and caches it beside Nomad.
#
# Usage:
#   scripts/dtle.sh path [VERSION]   print the absolute path of the dtle plugin binary of VERSION
#                                    (default: the newest below), built and cached if needed
#   scripts/dtle.sh source [VERSION] print where the source of VERSION comes from (or fail saying
#                                    why there is none)
#   scripts/dtle.sh versions         print the dtle versions the tier runs, newest last
#
# Only the requested path goes to stdout; all progress goes to stderr.
#
# Versions: 4.22.07.2 (the last with the per-task config layout: ConnectionConfig on src and on
# dest) and 4.23.04.3 (the src-only layout: SrcConnectionConfig/DestConnectionConfig on src, dest
# has DestType). dtle's tags are not semantic versions, so the Go module proxy cannot serve them:
# the plugin is built from a source tree, never from the proxy.
#
# Where the source comes from (the first that exists):
#   1. DTLE_SRC: one or more (colon-separated) of
#        - a dtle source tree (a checkout, or an unpacked release: go.mod says
#          `module github.com/actiontech/dtle`, with vendor/); its version comes from
#          `git describe --tags --exact-match`, else from a folder name `dtle-<version>`;
#        - a tarball dtle-<version>.tar.gz of such a tree (top folder dtle-<version>/);
#        - a folder holding such tarballs;
#   2. a folder `shared/dtle` holding the tarballs beside the repository (`<repo>/../shared/dtle`)
#      or beside the repository's parent folder (`<repo>/../../shared/dtle`).
# The tree is unpacked or copied into a temporary folder, never into the repository, and never
# changed in place.
#
# Generated files: a source copy may lack five large generated files under vendor/ (tidb's
# parser/parser.go, base64Captcha's bindata.go, three swaggo/files *.js.map.go). Each missing one
# is taken from the Go module proxy at the module version vendor/modules.txt names (with its
# replacement, e.g. github.com/actiontech/tidb/parser for github.com/pingcap/tidb/parser).
#
# Build: `go build -mod=vendor` of ./cmd/nomad-plugin with cgo (dtle links the Oracle driver, so
# a C compiler is needed) and -ldflags "-s -w -checklinkname=0 -X .../g.Version=<version>
# -X .../g.GitCommit=<commit> -X .../g.GitBranch=HEAD" (-checklinkname=0 because tidb's
# util/printer links to runtime.buildVersion, which Go >= 1.23 refuses). From empty Go caches the
# first version took 10.5 minutes of CPU (14 wall on a 2-core machine shared with other builds),
# the second 3.5 (8 wall) as it shares most of the build cache; a stripped binary of 90 MB in
# $DTLE_COMPAT_CACHE/dtle-<version>/dtle, reused when present.
#
# Environment:
#   DTLE_SRC            where the source is (above)
#   DTLE_COMPAT_CACHE   cache folder (default $HOME/.cache/dtle-compat)
set -euo pipefail

LOG_TAG=dtle.sh
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

REPO="$(cd "$(dirname "$0")/.." && pwd)"
VERSIONS="4.22.07.2 4.23.04.3"
DEFAULT_VERSION="4.23.04.3"

# Files a source copy may lack (generated, large), relative to the tree.
GENERATED_FILES="
vendor/github.com/pingcap/tidb/parser/parser.go
vendor/github.com/mojocn/base64Captcha/bindata.go
vendor/github.com/swaggo/files/b0xfile__swagger-ui-bundle.js.map.go
vendor/github.com/swaggo/files/b0xfile__swagger-ui-standalone-preset.js.map.go
vendor/github.com/swaggo/files/b0xfile__swagger-ui.js.map.go
"

# The release commits of the tags (g.GitCommit when the source is not a git checkout).
release_commit() {
  case "$1" in
    4.22.07.2) echo "a1532de8e94faa84c715e17f0951bd449aa2135f" ;;
    4.23.04.3) echo "0645b247ac54413b21a7b637c3ab412d394d4b6b" ;;
    *) return 1 ;;
  esac
}

usage() {
  sed -n '5,10p' "$0" | sed 's/^# \{0,1\}//' >&2
}

# The places searched, one per line: DTLE_SRC's entries, else the default folders that exist.
source_candidates() {
  local IFS=: entry d
  if [ -n "${DTLE_SRC:-}" ]; then
    for entry in $DTLE_SRC; do [ -n "$entry" ] && echo "$entry"; done
    return 0
  fi
  for d in "$REPO/../shared/dtle" "$REPO/../../shared/dtle"; do
    [ -d "$d" ] && (cd "$d" && pwd)
  done
  return 0
}

is_dtle_tree() {
  [ -f "$1/go.mod" ] && grep -q '^module github.com/actiontech/dtle[[:space:]]*$' "$1/go.mod"
}

# The dtle version of a source tree ($1), or nothing.
tree_version() {
  local v base
  if have git && v="$(git -C "$1" describe --tags --exact-match 2>/dev/null)"; then
    echo "${v#v}"
    return 0
  fi
  base="$(basename "$(cd "$1" && pwd)")"
  case "$base" in
    dtle-[0-9]*) echo "${base#dtle-}" ;;
  esac
}

# The top folder of a tarball ($1).
tarball_top() {
  tar -tzf "$1" 2>/dev/null | head -n 1 | cut -d/ -f1
}

# Prints `tree <dir>` or `tarball <file>` for dtle $1, or fails.
find_source() {
  local want="$1" c t
  while IFS= read -r c; do
    if [ -d "$c" ] && is_dtle_tree "$c"; then
      [ "$(tree_version "$c")" = "$want" ] && { echo "tree $(cd "$c" && pwd)"; return 0; }
    elif [ -d "$c" ]; then
      t="$c/dtle-$want.tar.gz"
      [ -f "$t" ] && [ "$(tarball_top "$t")" = "dtle-$want" ] && { echo "tarball $(cd "$c" && pwd)/dtle-$want.tar.gz"; return 0; }
    elif [ -f "$c" ]; then
      [ "$(tarball_top "$c")" = "dtle-$want" ] && { echo "tarball $(cd "$(dirname "$c")" && pwd)/$(basename "$c")"; return 0; }
    fi
  done < <(source_candidates)
  return 1
}

no_source_message() {
  local where
  where="$(source_candidates | paste -sd, - | sed 's/,/, /g')"
  if [ -n "${DTLE_SRC:-}" ]; then
    echo "no source of dtle $1 in DTLE_SRC ($where): point DTLE_SRC at a dtle $1 source tree, its tarball dtle-$1.tar.gz, or a folder holding that tarball"
  else
    echo "no source of dtle $1: DTLE_SRC is not set and no shared/dtle folder with dtle-$1.tar.gz is beside the repository or its parent${where:+ (looked in $where)}; point DTLE_SRC at a dtle $1 source tree, its tarball, or a folder holding dtle-$1.tar.gz"
  fi
}

# Module path and version of the vendored module holding vendor file $2, from modules.txt ($1),
# with its replacement if any: prints `module@version`.
vendored_module_of() {
  local modules="$1" rel="${2#vendor/}"
  awk -v rel="$rel" '
    /^# / {
      path = $2; ver = $3; target = path "@" ver
      if ($4 == "=>") { if (NF >= 6) target = $5 "@" $6; else target = "" }
      if (ver ~ /^v/ && target != "" && index(rel, path "/") == 1 && length(path) > best) {
        best = length(path); found = target
      }
    }
    END { if (found != "") print found; else exit 1 }
  ' "$modules"
}

# Restores the generated files missing from tree $1 from the Go module proxy.
restore_generated() {
  local tree="$1" f modver mod ver dir json inner
  for f in $GENERATED_FILES; do
    [ -f "$tree/$f" ] && continue
    modver="$(vendored_module_of "$tree/vendor/modules.txt" "$f")" ||
      die "$f is missing from the source and vendor/modules.txt names no module for it"
    mod="${modver%@*}"
    ver="${modver#*@}"
    json="$(go_mod_download "$mod" "$ver")" || die "cannot download $mod@$ver from the Go module proxy (needed for $f)"
    dir="$(printf '%s\n' "$json" | json_field Dir)"
    # the file's path inside the module: the vendor path less the vendored module's own path
    inner="$(awk -v rel="${f#vendor/}" '/^# / && index(rel, $2 "/") == 1 && length($2) > l { l = length($2); p = substr(rel, length($2) + 2) } END { print p }' "$tree/vendor/modules.txt")"
    [ -f "$dir/$inner" ] || die "$mod@$ver has no $inner"
    cp "$dir/$inner" "$tree/$f"
    chmod u+w "$tree/$f"
    log "restored $f from $mod@$ver"
  done
}

dtle_ok() {
  # the plugin binary runs as a Nomad plugin only; check it is an executable ELF of some size
  [ -x "$1" ] && [ "$(wc -c <"$1")" -gt 10000000 ]
}

build_dtle() {
  local version="$1" dest_dir="$2" src kind path work tree tmp_out start commit ldflags
  have go || die "Go is not installed: cannot build the dtle plugin $version"
  have gcc || have cc || die "no C compiler (gcc/cc): the dtle plugin builds with cgo (its Oracle driver)"
  src="$(find_source "$version")" || die "$(no_source_message "$version")"
  kind="${src%% *}"
  path="${src#* }"
  mkdir -p "$dest_dir"
  work="$(mktemp -d -t dtle-compat-dtle.XXXXXX)"
  tmp_out="$(mktemp -d "$dest_dir/.build.XXXXXX")"
  # shellcheck disable=SC2064
  trap "chmod -R u+w '$work' 2>/dev/null; rm -rf '$work' '$tmp_out'" EXIT
  start="$(date +%s)"
  log "building the dtle plugin $version from $kind $path ($(go version | cut -d' ' -f3), cgo)"
  commit=""
  if [ "$kind" = tarball ]; then
    tar -xzf "$path" -C "$work"
    tree="$work/dtle-$version"
  else
    tree="$work/dtle-$version"
    mkdir -p "$tree"
    # a copy without .git: the build must not touch the operator's tree
    tar -C "$path" --exclude=.git -cf - . | tar -C "$tree" -xf -
    if have git; then commit="$(git -C "$path" rev-parse HEAD 2>/dev/null || true)"; fi
  fi
  is_dtle_tree "$tree" || die "$path does not hold a dtle source tree (go.mod of github.com/actiontech/dtle)"
  [ -f "$tree/vendor/modules.txt" ] || die "$path has no vendor/ folder: a dtle source tree with vendor/ is needed"
  [ -n "$commit" ] || commit="$(release_commit "$version" || true)"
  restore_generated "$tree"
  ldflags="-s -w -checklinkname=0 -X github.com/actiontech/dtle/g.Version=$version"
  [ -n "$commit" ] && ldflags="$ldflags -X github.com/actiontech/dtle/g.GitCommit=${commit:0:7} -X github.com/actiontech/dtle/g.GitBranch=HEAD"
  (
    cd "$tree"
    export GOFLAGS="-mod=vendor" GOWORK=off CGO_ENABLED=1
    go build -trimpath -ldflags "$ldflags" -o "$tmp_out/dtle" ./cmd/nomad-plugin
  ) || die "building the dtle plugin $version failed (see the errors above)"
  dtle_ok "$tmp_out/dtle" || die "the build gave no plugin binary"
  mv -f "$tmp_out/dtle" "$dest_dir/dtle"
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work" "$tmp_out"
  trap - EXIT
  log "built $dest_dir/dtle in $(elapsed "$start")s ($(du -h "$dest_dir/dtle" | cut -f1))"
}

ensure_dtle() {
  if dtle_ok "$1"; then
    log "using $1 (built meanwhile by another process)"
    return 0
  fi
  build_dtle "$2" "$(dirname "$1")"
}

check_version() {
  case " $VERSIONS " in
    *" $1 "*) ;;
    *) log "note: dtle $1 is not one of the versions the tier is written for ($VERSIONS)" ;;
  esac
}

dtle_path() {
  local version="${1:-$DEFAULT_VERSION}"
  version="${version#v}"
  check_version "$version"
  # a plugin is never taken from PATH: Nomad loads it from its plugin_dir
  binary_path "" dtle_ok "$CACHE_DIR/dtle-$version/dtle" "$CACHE_DIR/.dtle-$version.lock" ensure_dtle "$version"
}

dtle_source() {
  local version="${1:-$DEFAULT_VERSION}" src
  version="${version#v}"
  src="$(find_source "$version")" || die "$(no_source_message "$version")"
  echo "${src#* }"
}

case "${1:-}" in
  path) dtle_path "${2:-}" ;;
  source) dtle_source "${2:-}" ;;
  versions) echo "$VERSIONS" ;;
  -h | --help | help) usage ;;
  *) usage; exit 2 ;;
esac
