#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 server for tests and benchmarks, and stops it on exit.
# Source it, then call `start_throwaway_postgres`; it exports THROWAWAY_PG_URL.
#   PG_BIN   PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
#   PG_PORT  port on 127.0.0.1 (default: a free one)
#   PG_EXTRA_CONF  lines appended to postgresql.conf (diagnosis, e.g. shared_preload_libraries)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

_pg_as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u "$PG_OWNER" -- "$@"; else "$@"; fi
}

_free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

stop_throwaway_postgres() {
  if [ -n "${THROWAWAY_PG_DIR:-}" ] && [ -d "$THROWAWAY_PG_DIR" ]; then
    _pg_as_owner "$PG_BIN/pg_ctl" -D "$THROWAWAY_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$THROWAWAY_PG_DIR"
  fi
}

start_throwaway_postgres() {
  if [ ! -x "$PG_BIN/initdb" ]; then
    echo "PostgreSQL binaries not found in $PG_BIN; installing postgresql-15" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
  fi
  # initdb refuses to run as root: use the postgres account (or a dedicated one) when we are root.
  PG_OWNER=$(id -un)
  if [ "$(id -u)" = "0" ]; then
    PG_OWNER=postgres
    id -u "$PG_OWNER" >/dev/null 2>&1 || useradd --system --no-create-home "$PG_OWNER"
  fi
  THROWAWAY_PG_DIR=$(mktemp -d /tmp/leadgate-pg.XXXXXX)
  chown "$PG_OWNER" "$THROWAWAY_PG_DIR"
  PG_PORT=${PG_PORT:-$(_free_port)}
  trap stop_throwaway_postgres EXIT
  _pg_as_owner "$PG_BIN/initdb" -D "$THROWAWAY_PG_DIR/data" -U leadgate --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  # Settings go into the config file, so a plain `pg_ctl start` (the fault tests restart the
  # server) brings it back exactly as it was.
  cat >> "$THROWAWAY_PG_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$THROWAWAY_PG_DIR'
max_connections = 300
shared_buffers = 256MB
${PG_EXTRA_CONF:-}
CONF
  _pg_as_owner "$PG_BIN/pg_ctl" -D "$THROWAWAY_PG_DIR/data" -l "$THROWAWAY_PG_DIR/server.log" -w -t 60 start >/dev/null
  export THROWAWAY_PG_URL="postgres://leadgate@127.0.0.1:$PG_PORT/postgres"
  export THROWAWAY_PG_DIR PG_PORT PG_BIN PG_OWNER
  echo "throwaway PostgreSQL on 127.0.0.1:$PG_PORT ($THROWAWAY_PG_DIR)" >&2
}
