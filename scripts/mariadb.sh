#!/usr/bin/env bash
# A throw-away MariaDB server for the MySQL pre-flight tier (npm run test:mysql).
#
# Usage:
#   scripts/mariadb.sh start DIR   initialise a datadir under DIR (mariadb-install-db), start
#                                  mariadbd bound to 127.0.0.1 on a free port with the binary log
#                                  on (ROW) and server_id 1, create the test users, and write
#                                  DIR/env (KEY=VALUE lines, see below); the path of DIR/env goes
#                                  to stdout
#   scripts/mariadb.sh stop DIR    stop the server started in DIR (SIGTERM, then SIGKILL after 15 s)
#   scripts/mariadb.sh test [ARGS] the tier: start in a temporary folder, run jest with
#                                  jest.mysql.config.js (ARGS go to jest), stop and remove the
#                                  folder whatever happens (failure, ctrl-C, kill)
#
# Users (passwords are random per run, made here; they exist only in DIR/env, mode 600):
#   dtle_repl      SUPER, REPLICATION SLAVE, REPLICATION CLIENT, SELECT on *.*   (passes 2.x's checks)
#   dtle_monitor   REPLICATION SLAVE, REPLICATION CLIENT, SELECT on *.*          (no SUPER: MariaDB
#                  shows REPLICATION CLIENT as BINLOG MONITOR, which 2.x's text match does not know)
#   dtle_plain     SELECT on *.*                                                 (no replication grant)
#   dtle_nodb      REPLICATION SLAVE on *.* only                                 (cannot `use mysql`)
#   dtle_empty     no password, no grant
#   dtle_admin     ALL on *.* WITH GRANT OPTION      (for the tests' own set-up: SET GLOBAL ...)
#
# DIR/env: DTLE_COMPAT_MARIADB_HOST, _PORT, _CLOSED_PORT (a loopback port nothing listens on),
# _VERSION, and _<USER>_USER / _<USER>_PASSWORD for REPL, MONITOR, PLAIN, NODB, ADMIN (and
# _EMPTY_USER).
#
# Needs mariadbd, mariadb-install-db and the mariadb client (Debian: apt-get install -y
# mariadb-server; the package's own service is not used), from PATH or /usr/sbin, or as given by
# DTLE_COMPAT_MARIADBD, DTLE_COMPAT_MARIADB_INSTALL_DB, DTLE_COMPAT_MARIADB_CLIENT. Without them
# `test` fails saying so, unless DTLE_COMPAT_SKIP_MARIADB=1 (then it says "skipped" and exits 0).
# Nothing listens beyond 127.0.0.1; the server writes only under DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[mariadb] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# find_bin OVERRIDE_VAR NAME...: $OVERRIDE_VAR when set (it must be executable), else the first
# NAME on PATH or in /usr/sbin
find_bin() {
  local override="${!1:-}" name
  shift
  if [ -n "$override" ]; then
    [ -x "$override" ] && { echo "$override"; return 0; }
    return 1
  fi
  for name in "$@"; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
    if [ -x "/usr/sbin/$name" ]; then echo "/usr/sbin/$name"; return 0; fi
  done
  return 1
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"
}

random_password() {
  node -e "process.stdout.write(require('crypto').randomBytes(18).toString('base64url'))"
}

# mariadb client on the server's socket as root (installed with password-less root on the socket)
sql() {
  "$client" --no-defaults --protocol=socket --socket="$dir/mysqld.sock" -uroot --batch --skip-column-names -e "$1"
}

start() {
  dir="$(cd "$1" && pwd)"
  local mariadbd install_db port closed_port version i
  mariadbd="$(find_bin DTLE_COMPAT_MARIADBD mariadbd mysqld)" || die "no mariadbd (apt-get install -y mariadb-server)"
  install_db="$(find_bin DTLE_COMPAT_MARIADB_INSTALL_DB mariadb-install-db mysql_install_db)" || die "no mariadb-install-db (apt-get install -y mariadb-server)"
  client="$(find_bin DTLE_COMPAT_MARIADB_CLIENT mariadb mysql)" || die "no mariadb client (apt-get install -y mariadb-client)"
  local user
  user="$(id -un)"
  mkdir -p "$dir/data" "$dir/binlog" "$dir/tmp"
  chmod 700 "$dir"
  log "initialising $dir/data"
  "$install_db" --no-defaults --user="$user" --datadir="$dir/data" --auth-root-authentication-method=normal \
    --skip-test-db > "$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; die "mariadb-install-db failed"; }

  port="$(free_port)"
  closed_port="$(free_port)"
  log "starting mariadbd on 127.0.0.1:$port"
  "$mariadbd" --no-defaults --user="$user" --datadir="$dir/data" --tmpdir="$dir/tmp" \
    --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" --log-error="$dir/error.log" \
    --bind-address=127.0.0.1 --port="$port" --skip-name-resolve \
    --log-bin="$dir/binlog/mariadb-bin" --binlog-format=ROW --server-id=1 \
    --innodb-buffer-pool-size=16M --performance-schema=OFF > "$dir/stdout.log" 2>&1 &
  echo $! > "$dir/mariadbd.launcher.pid"
  for i in $(seq 1 150); do
    if [ -S "$dir/mysqld.sock" ] && sql 'select 1' >/dev/null 2>&1; then break; fi
    if ! kill -0 "$(cat "$dir/mariadbd.launcher.pid")" 2>/dev/null; then
      cat "$dir/error.log" >&2 || true
      die "mariadbd exited during start-up"
    fi
    sleep 0.2
  done
  sql 'select 1' >/dev/null 2>&1 || { cat "$dir/error.log" >&2 || true; die "mariadbd did not answer within 30 s"; }
  version="$(sql 'select @@global.version')"

  local repl_pw monitor_pw plain_pw nodb_pw admin_pw
  repl_pw="$(random_password)"; monitor_pw="$(random_password)"; plain_pw="$(random_password)"
  nodb_pw="$(random_password)"; admin_pw="$(random_password)"
  sql "CREATE USER 'dtle_repl'@'127.0.0.1' IDENTIFIED BY '$repl_pw';
       GRANT SUPER, REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO 'dtle_repl'@'127.0.0.1';
       CREATE USER 'dtle_monitor'@'127.0.0.1' IDENTIFIED BY '$monitor_pw';
       GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO 'dtle_monitor'@'127.0.0.1';
       CREATE USER 'dtle_plain'@'127.0.0.1' IDENTIFIED BY '$plain_pw';
       GRANT SELECT ON *.* TO 'dtle_plain'@'127.0.0.1';
       CREATE USER 'dtle_nodb'@'127.0.0.1' IDENTIFIED BY '$nodb_pw';
       GRANT REPLICATION SLAVE ON *.* TO 'dtle_nodb'@'127.0.0.1';
       CREATE USER 'dtle_empty'@'127.0.0.1';
       CREATE USER 'dtle_admin'@'127.0.0.1' IDENTIFIED BY '$admin_pw';
       GRANT ALL PRIVILEGES ON *.* TO 'dtle_admin'@'127.0.0.1' WITH GRANT OPTION;"

  umask 077
  cat > "$dir/env" <<EOF
DTLE_COMPAT_MARIADB_HOST=127.0.0.1
DTLE_COMPAT_MARIADB_PORT=$port
DTLE_COMPAT_MARIADB_CLOSED_PORT=$closed_port
DTLE_COMPAT_MARIADB_VERSION=$version
DTLE_COMPAT_MARIADB_REPL_USER=dtle_repl
DTLE_COMPAT_MARIADB_REPL_PASSWORD=$repl_pw
DTLE_COMPAT_MARIADB_MONITOR_USER=dtle_monitor
DTLE_COMPAT_MARIADB_MONITOR_PASSWORD=$monitor_pw
DTLE_COMPAT_MARIADB_PLAIN_USER=dtle_plain
DTLE_COMPAT_MARIADB_PLAIN_PASSWORD=$plain_pw
DTLE_COMPAT_MARIADB_NODB_USER=dtle_nodb
DTLE_COMPAT_MARIADB_NODB_PASSWORD=$nodb_pw
DTLE_COMPAT_MARIADB_EMPTY_USER=dtle_empty
DTLE_COMPAT_MARIADB_ADMIN_USER=dtle_admin
DTLE_COMPAT_MARIADB_ADMIN_PASSWORD=$admin_pw
EOF
  log "MariaDB $version ready on 127.0.0.1:$port (binlog ROW, server_id 1)"
  echo "$dir/env"
}

stop() {
  local dir="$1" pid i
  for f in "$dir/mysqld.pid" "$dir/mariadbd.launcher.pid"; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    [ -n "$pid" ] || continue
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for i in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      if kill -0 "$pid" 2>/dev/null; then
        log "mariadbd $pid did not stop in 15 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  done
}

run_tier() {
  if ! find_bin DTLE_COMPAT_MARIADBD mariadbd mysqld >/dev/null ||
    ! find_bin DTLE_COMPAT_MARIADB_INSTALL_DB mariadb-install-db mysql_install_db >/dev/null ||
    ! find_bin DTLE_COMPAT_MARIADB_CLIENT mariadb mysql >/dev/null; then
    if [ "${DTLE_COMPAT_SKIP_MARIADB:-}" = 1 ]; then
      log "SKIPPED: the MariaDB tier did not run: no mariadbd, mariadb-install-db or mariadb client (DTLE_COMPAT_SKIP_MARIADB=1)"
      exit 0
    fi
    log "error: the MariaDB tier cannot run: no mariadbd, mariadb-install-db or mariadb client on PATH or in /usr/sbin"
    log "install it (apt-get install -y mariadb-server) or set DTLE_COMPAT_SKIP_MARIADB=1 to skip this tier"
    exit 1
  fi
  local run_dir started status=0 env_file
  run_dir="$(mktemp -d -t dtle-compat-mariadb.XXXXXX)"
  # shellcheck disable=SC2064
  trap "stop '$run_dir'; rm -rf '$run_dir'" EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  started="$(date +%s)"
  env_file="$(start "$run_dir")"
  set -a
  # shellcheck disable=SC1090
  . "$env_file"
  set +a
  npx jest -c jest.mysql.config.js "$@" || status=$?
  log "finished in $(($(date +%s) - started)) s with status $status"
  exit "$status"
}

case "${1:-}" in
  start) [ -n "${2:-}" ] || die "usage: $0 start DIR"; start "$2" ;;
  stop) [ -n "${2:-}" ] || die "usage: $0 stop DIR"; stop "$2" ;;
  test) shift; run_tier "$@" ;;
  *) die "usage: $0 start DIR | stop DIR | test [jest args]" ;;
esac
