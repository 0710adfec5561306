#!/usr/bin/env bash
# One command from a fresh Debian bookworm machine (as root): install dependencies, build and
# install strata, start a local cluster with strata preloaded (as the postgres user) and run the
# demo. Re-running it is safe: it rebuilds, reinstalls and restarts the cluster.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/scripts/install-deps.sh"
source "$ROOT/scripts/lib.sh"

log "building and installing strata into $($PG_CONFIG --pkglibdir)"
make -C "$ROOT" -j"$JOBS" PG_CONFIG="$PG_CONFIG" >/dev/null
make -C "$ROOT" install PG_CONFIG="$PG_CONFIG" >/dev/null

DATA=${STRATA_DATA:-/var/lib/postgresql/strata/data}
PORT=${STRATA_PORT:-5433}
SOCK=$DATA.sock
mkdir -p "$(dirname "$DATA")" && chown postgres "$(dirname "$DATA")"
if [ -f "$DATA/PG_VERSION" ]; then
  as_pg "$SYS_BINDIR/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
else
  log "creating a cluster in $DATA"
  as_pg mkdir -p "$DATA"
  as_pg "$SYS_BINDIR/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_pg mkdir -p "$SOCK"
  cat >>"$DATA/postgresql.conf" <<CONF
port = $PORT
listen_addresses = 'localhost'
unix_socket_directories = '$SOCK'
shared_preload_libraries = 'strata'
max_worker_processes = 32
max_locks_per_transaction = 512
timezone = 'UTC'
CONF
fi
log "starting the cluster (port $PORT, socket $SOCK)"
as_pg "$SYS_BINDIR/pg_ctl" -D "$DATA" -l "$DATA.log" -w start >/dev/null
"$SYS_BINDIR/psql" -X -h "$SOCK" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
  -c "DROP DATABASE IF EXISTS strata_demo" -c "CREATE DATABASE strata_demo"
log "running the demo (scripts/demo.sql)"
"$SYS_BINDIR/psql" -X -h "$SOCK" -p "$PORT" -U postgres -d strata_demo -v ON_ERROR_STOP=1 -f "$ROOT/scripts/demo.sql"
cat <<MSG

strata is running. Connect with:
  psql -h $SOCK -p $PORT -U postgres strata_demo      (or: psql -h localhost -p $PORT -U postgres strata_demo)
Stop it with:
  runuser -u postgres -- $SYS_BINDIR/pg_ctl -D $DATA stop
MSG
