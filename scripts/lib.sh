# Shared shell functions: staging an install of strata beside a private copy of PostgreSQL, and
# starting/stopping throwaway clusters as the postgres user. Sourced by the other scripts.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
SYS_BINDIR=$($PG_CONFIG --bindir)
SYS_PKGLIBDIR=$($PG_CONFIG --pkglibdir)
SYS_SHAREDIR=$($PG_CONFIG --sharedir)
# The staged server must be readable by the postgres user wherever the checkout lives (a checkout
# under /root is not), so it goes under /tmp, one directory per checkout.
STAGE=${STAGE:-/tmp/strata-stage-$(printf '%s' "$ROOT" | md5sum | cut -c1-10)}
STAGE_BINDIR=$STAGE$SYS_BINDIR
JOBS=${JOBS:-$(nproc)}

log() { printf '==> %s\n' "$*" >&2; }

# Runs a command as the postgres user (the server refuses to run as root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Builds the extension and installs it into $STAGE, a relocated copy of the server: PostgreSQL
# finds its lib and share directories relative to its binary, so the staged server loads the
# freshly built strata without touching the system installation.
stage_install() {
  log "building strata"
  make -C "$ROOT" -j"$JOBS" PG_CONFIG="$PG_CONFIG" >/dev/null || return 1
  if [ ! -x "$STAGE_BINDIR/postgres" ] || [ "$SYS_BINDIR/postgres" -nt "$STAGE_BINDIR/postgres" ]; then
    log "staging a private copy of PostgreSQL in $STAGE"
    rm -rf "$STAGE"
    mkdir -p "$STAGE$(dirname "$SYS_PKGLIBDIR")" "$STAGE$(dirname "$SYS_SHAREDIR")"
    cp -a "$(dirname "$SYS_PKGLIBDIR")/." "$STAGE$(dirname "$SYS_PKGLIBDIR")/"
    cp -a "$SYS_SHAREDIR" "$STAGE$(dirname "$SYS_SHAREDIR")/"
  fi
  # Extensions packaged after the stage was made (tdigest, hll, ...): copy what is missing.
  cp -an "$SYS_PKGLIBDIR/." "$STAGE$SYS_PKGLIBDIR/"
  cp -an "$SYS_SHAREDIR/extension/." "$STAGE$SYS_SHAREDIR/extension/"
  make -C "$ROOT" install DESTDIR="$STAGE" PG_CONFIG="$PG_CONFIG" >/dev/null || return 1
  chmod -R a+rX "$STAGE"
}

# cluster_start DATADIR PORT [extra postgresql.conf lines...]: initdb (if needed) and start a
# cluster from the staged server, listening on a private socket directory only.
cluster_start() {
  local data=$1 port=$2; shift 2
  local sock=$data.sock
  mkdir -p "$sock" && chown postgres "$sock" 2>/dev/null || true
  if [ ! -f "$data/PG_VERSION" ]; then
    mkdir -p "$data" && chown postgres "$data" 2>/dev/null || true
    as_pg "$STAGE_BINDIR/initdb" -D "$data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
    {
      echo "port = $port"
      echo "listen_addresses = ''"
      echo "unix_socket_directories = '$sock'"
      echo "shared_preload_libraries = 'strata'"
      echo "fsync = off"
      echo "full_page_writes = on"
      echo "max_worker_processes = 32"
      echo "max_parallel_workers = 24"  # tests side by side launch parallel workers; the default 8 can run out
      echo "log_min_messages = warning"
      echo "log_line_prefix = '%m [%p] '"
      echo "max_locks_per_transaction = 1024"
      echo "timezone = 'UTC'"
      echo "autovacuum = off"   # tests must not depend on when autovacuum happens to run
      # Summaries of long operations depend on how long they took: off, so that an operation slowed
      # down by a loaded machine does not change a test's output (test summaries sets it per session).
      echo "strata.summary_min_duration = -1"
      for line in "$@"; do echo "$line"; done
    } >>"$data/postgresql.conf"
  fi
  as_pg "$STAGE_BINDIR/pg_ctl" -D "$data" -l "$data.log" -w -t 60 start >/dev/null
}

cluster_stop() {
  local data=$1
  as_pg "$STAGE_BINDIR/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# psql against a cluster started by cluster_start: psql_at DATADIR PORT [args...]
psql_at() {
  local data=$1 port=$2; shift 2
  "$SYS_BINDIR/psql" -X -v ON_ERROR_STOP=1 -h "$data.sock" -p "$port" -U postgres "$@"
}

# server_crashes LOGFILE: the lines of a server log that tell of a crash: a server process or
# background worker ended by a signal other than the SIGKILL that crash tests send on purpose, a
# PANIC, a failed assertion. Empty when there was none (or there is no log).
server_crashes() {
  [ -f "$1" ] || return 0
  grep -E 'terminated by signal ([0-8]|1[0-9]|[2-9][0-9])\b|PANIC:|TRAP:' "$1" || true
}

# keep_crash_log LOGFILE NAME: copies a log that tells of a crash to /tmp/strata-crash-logs (the
# test's own files are removed when it ends) and prints where, with the crash lines.
keep_crash_log() {
  local dir=/tmp/strata-crash-logs kept
  mkdir -p "$dir"
  kept=$dir/$2-$(date +%Y%m%d-%H%M%S)-$$.log
  cp "$1" "$kept"
  echo "a server process crashed (log kept in $kept):"
  server_crashes "$1" | head -5
}
