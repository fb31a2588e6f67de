#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: Debian's packages, a cluster in a temporary
# folder, listening on a free loopback port only, trusted local connections (nothing but this
# machine can reach it), stopped and deleted at the end.
#
# Sourced by .ci/run:            . .ci/postgres.sh; postgres_install; postgres_start; trap postgres_stop EXIT
#   postgres_start exports OMNIMEM_TEST_PG_URL (the tests skip their real-PostgreSQL part without it).
# Or by hand:                    eval "$(.ci/postgres.sh start)"   ...   .ci/postgres.sh stop "$OMNIMEM_TEST_PG_DIR"

postgres_install() {
  if postgres_bindir >/dev/null 2>&1; then return 0; fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

# The newest installed server's bin folder (Debian keeps them in /usr/lib/postgresql/<major>/bin).
postgres_bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$dir" ] && [ -x "$dir/initdb" ] || return 1
  echo "$dir"
}

# initdb and the server refuse to run as root: as root, run them as Debian's `postgres` user.
postgres_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_free_port() {
  node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

postgres_start() {
  local bin dir port
  bin="$(postgres_bindir)" || { echo "postgres.sh: no PostgreSQL server installed (postgres_install)" >&2; return 1; }
  dir="$(mktemp -d "${TMPDIR:-/tmp}/omnimem-pg.XXXXXX")"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  port="$(postgres_free_port)"
  postgres_as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
  # fsync off: the cluster is thrown away, and the tests should spend their time on queries.
  postgres_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  export OMNIMEM_TEST_PG_DIR="$dir"
  export OMNIMEM_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
}

postgres_stop() {
  local dir="${1:-${OMNIMEM_TEST_PG_DIR:-}}" bin
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  bin="$(postgres_bindir)" && postgres_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

# Run as a script: `start` prints the exports for eval, `stop DIR` stops and deletes.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    install) postgres_install ;;
    start)
      postgres_install
      postgres_start
      echo "export OMNIMEM_TEST_PG_DIR='$OMNIMEM_TEST_PG_DIR' OMNIMEM_TEST_PG_URL='$OMNIMEM_TEST_PG_URL'"
      ;;
    stop) postgres_stop "${2:-}" ;;
    *) echo "usage: $0 install | start | stop DIR" >&2; exit 64 ;;
  esac
fi
