# Shell helpers shared by scripts/nomad.sh, scripts/consul.sh and scripts/dtle.sh: logging, the
# cache folder, a build lock, and a wrapper module that builds a published Go module (and its
# replace/exclude directives) from the Go module proxy. Source it after setting LOG_TAG.
# shellcheck shell=bash

CACHE_DIR="${DTLE_COMPAT_CACHE:-$HOME/.cache/dtle-compat}"

log() { printf '[%s] %s\n' "${LOG_TAG:-build}" "$*" >&2; }
die() { printf '[%s] error: %s\n' "${LOG_TAG:-build}" "$*" >&2; exit 1; }

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

# Prints the exclude directives of a go.mod file, one `module@version` per line.
gomod_excludes() {
  awk '
    { sub(/[ \t]*\/\/.*/, "") }
    /^[ \t]*exclude[ \t]*\([ \t]*$/ { inblock = 1; next }
    inblock && /^[ \t]*\)/ { inblock = 0; next }
    inblock && NF == 2 { print $1 "@" $2; next }
    /^[ \t]*exclude[ \t]/ && NF == 3 { print $2 "@" $3 }
  ' "$1"
}

# Prints the version that a go.mod file requires of module $2.
gomod_required_version() {
  awk -v mod="$2" '
    { sub(/[ \t]*\/\/.*/, "") }
    /^[ \t]*require[ \t]*\([ \t]*$/ { inblock = 1; next }
    inblock && /^[ \t]*\)/ { inblock = 0; next }
    inblock && $1 == mod { print $2; exit }
    /^[ \t]*require[ \t]/ && $2 == mod { print $3; exit }
  ' "$1"
}

# Prints the `go` directive of a go.mod file.
gomod_go_version() {
  sed -n 's/^go[[:space:]]\{1,\}\([0-9][0-9.]*\).*/\1/p' "$1" | head -n 1
}

# Builds a wrapper module in $1 that requires $2@$3 ($3 with its leading v) and carries the
# replace and exclude directives of that module's go.mod (a dependency's directives count only
# in the main module). Local-path replacements are handed to the function named by $4 (called
# with the old module path and the module's -json document file); it prints the published
# `module@version` to use instead, or fails.
make_wrapper() {
  local dir="$1" mod="$2" ver="$3" local_cb="$4"
  local json gomod gover rep old new target ex
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
        if [ "$target" = "${old%@*}@$(gomod_required_version "$gomod" "${old%@*}")" ]; then
          # the published module at the version the go.mod requires: a plain requirement
          go mod edit -require="$target" "$dir/go.mod"
        else
          go mod edit -replace="${old%@*}=$target" "$dir/go.mod"
        fi
        ;;
      *)
        go mod edit -replace="$old=$new" "$dir/go.mod"
        ;;
    esac
  done < <(gomod_replaces "$gomod")
  while IFS= read -r ex; do
    [ -n "$ex" ] && go mod edit -exclude="$ex" "$dir/go.mod"
  done < <(gomod_excludes "$gomod")
  log "wrapper go.mod:"
  sed 's/^/    /' "$dir/go.mod" >&2
}

# Runs "${@:2}" holding an exclusive lock on file $1 (when flock exists), so that concurrent
# callers wait for one build instead of racing.
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

# Prints the path of a usable binary: `$2` from PATH when `$1` names one (its check `$3` accepting it),
# else the cached `$4` when the check accepts it, else `$4` built by `$6 $4 ${@:7}` holding lock `$5`.
#   binary_path NAME_ON_PATH|"" CHECK CACHED_BIN LOCKFILE ENSURE [ENSURE_ARGS...]
binary_path() {
  local name="$1" check="$2" bin="$3" lock="$4" ensure="$5" onpath
  shift 5
  if [ -n "$name" ] && onpath="$(command -v "$name" 2>/dev/null)" && "$check" "$onpath"; then
    log "using $name from PATH: $onpath"
    realpath "$onpath"
    return 0
  fi
  if [ -x "$bin" ] && "$check" "$bin"; then
    log "using cached $bin"
  else
    with_lock "$lock" "$ensure" "$bin" "$@"
  fi
  realpath "$bin"
}

# Seconds since $1 (a `date +%s`).
elapsed() { echo "$(($(date +%s) - $1))"; }
