#!/usr/bin/env bash
# Runs the Node client tests (node --test, TAP output) against a running cluster, directly and
# through a PgBouncer (transaction pooling) that this script starts as the postgres user on a
# private unix socket and stops at the end. Usage (scripts/test.sh does this):
#   PGHOST=<cluster socket dir> PGPORT=<port> bash test/clients/run.sh [test files...]
# Installs the pinned npm packages (package-lock.json) into test/clients/node_modules first when
# they are missing or stale; the npm cache is test/clients/.npm-cache, so a second install works
# offline.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
: "${PGHOST:?PGHOST must be the socket directory of the cluster}" "${PGPORT:?PGPORT must be set}"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "node or npm is missing (scripts/install-deps.sh installs them)" >&2
  exit 1
fi
if [ ! -f "$HERE/node_modules/.package-lock.json" ] || [ "$HERE/package-lock.json" -nt "$HERE/node_modules/.package-lock.json" ]; then
  echo "# installing npm packages (npm ci)"
  (cd "$HERE" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error --cache "$HERE/.npm-cache") >&2
fi

BOUNCER_DIR=$(mktemp -d /tmp/strata-pgbouncer.XXXXXX)
chmod 755 "$BOUNCER_DIR"
BOUNCER_PORT=${BOUNCER_PORT:-$((PGPORT + 1000))}
cat >"$BOUNCER_DIR/pgbouncer.ini" <<INI
[databases]
* = host=$PGHOST port=$PGPORT

[pgbouncer]
listen_addr =
listen_port = $BOUNCER_PORT
unix_socket_dir = $BOUNCER_DIR
auth_type = trust
auth_file = $BOUNCER_DIR/users.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile = $BOUNCER_DIR/pgbouncer.log
pidfile = $BOUNCER_DIR/pgbouncer.pid
INI
echo '"postgres" ""' >"$BOUNCER_DIR/users.txt"
chown -R postgres "$BOUNCER_DIR" 2>/dev/null || true

run_as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_bouncer() {
  if [ -f "$BOUNCER_DIR/pgbouncer.pid" ]; then
    kill "$(cat "$BOUNCER_DIR/pgbouncer.pid")" 2>/dev/null || true
    for _ in $(seq 50); do [ -f "$BOUNCER_DIR/pgbouncer.pid" ] || break; sleep 0.1; done
  fi
  rm -rf "$BOUNCER_DIR"
}
trap stop_bouncer EXIT
run_as_postgres /usr/sbin/pgbouncer -d -q "$BOUNCER_DIR/pgbouncer.ini"
for _ in $(seq 50); do [ -S "$BOUNCER_DIR/.s.PGSQL.$BOUNCER_PORT" ] && break; sleep 0.1; done
if [ ! -S "$BOUNCER_DIR/.s.PGSQL.$BOUNCER_PORT" ]; then
  echo "pgbouncer did not start:" >&2; cat "$BOUNCER_DIR/pgbouncer.log" >&2 || true; exit 1
fi

cd "$HERE"
if [ $# -eq 0 ]; then set -- *.test.js; fi
rc=0
BOUNCER_HOST=$BOUNCER_DIR BOUNCER_PORT=$BOUNCER_PORT node --test --test-reporter=tap "$@" || rc=$?
exit $rc
