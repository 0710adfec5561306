#!/usr/bin/env bash
# Server instructions per transaction of the insert workload's prepared single-row INSERT, as
# pgbench sends it (extended protocol, -M prepared, one client): the whole backend is counted
# (parse of the Bind parameters, plan cache, executor, commit, statistics), unlike
# bench/callgrind.sh's single-user EXECUTE, whose per-statement parsing and evaluation of the
# EXECUTE's own parameters (about 50k instructions) is the same on both sides and dilutes the ratio.
#
#   bench/insert_callgrind.sh DATADIR DBNAME [N]
#
# With KEEP=DIR, the two runs' callgrind files of the pgbench backend are copied to DIR
# (cg-N and cg-3N) for callgrind_annotate.
#
# With CACHE_SIM=1, callgrind also simulates the caches and the figure is every event per
# transaction, in callgrind's order: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw. With
# VALGRIND_OPTS=--LL=262144,8,64 as well, the last-level cache is shrunk to 256 KB so that its misses
# count the distinct lines a transaction brings in (as on a machine where other processes run between
# two transactions; docs/BENCHMARKS.md, f-prepins7).
#
# A second line gives the same figures without the cumulative statistics' flushes (the inclusive
# cost of pgstat_report_stat and pgstat_assoc_relation): a backend flushes its pending statistics
# at most once a second and then associates every relation it writes with a fresh entry; under
# callgrind a transaction takes milliseconds, so a flush (and, for a hypertable, the association of
# each chunk written next) falls every few dozen transactions instead of every few ten thousand as
# at full speed, which charged a hypertable's transaction about 600-1,200 instructions of work that
# a real run spreads over 30,000 transactions (a plain table's one relation about 100).
#
# DATADIR is a STOPPED cluster holding the insert workload's database DBNAME (bench/workloads/insert;
# copy the data directory of a stopped server). Two runs, of N and 3N transactions, each from a
# fresh copy of DATADIR, with the server (POSTGRES, default: pg_config's) under callgrind; the
# figure is the difference of the two backends' totals divided by 2N, so connection start-up and
# one-time costs (relcache loads of the chunks) cancel out. pgbench's random seed is fixed, so both
# runs insert the same rows. Run as root (the server runs as the postgres user) or as the owner of
# DATADIR.
set -euo pipefail
src=$1 db=$2 n=${3:-500}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BINDIR=$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir)
POSTGRES=${POSTGRES:-$BINDIR/postgres}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
tmp=$(mktemp -d)
chmod 777 "$tmp"
trap 'rm -rf "$tmp"' EXIT
port=$((56000 + $$ % 1000))
count() {  # count REPS -> instructions of the pgbench connection's backend
  local reps=$1 d=$tmp/data
  rm -rf "$d" "$tmp/sock" && cp -a "$src" "$d" && mkdir -p "$tmp/sock/$reps"
  chmod 700 "$d"
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$d" "$tmp/sock"; fi
  as_pg valgrind --tool=callgrind ${CACHE_SIM:+--cache-sim=yes} --trace-children=yes --callgrind-out-file="$tmp/cg-$reps.%p" \
    "$POSTGRES" -D "$d" -c port=$port -c listen_addresses= -c unix_socket_directories="$tmp/sock/$reps" \
    >"$tmp/log-$reps" 2>&1 &
  local server=$!
  for _ in $(seq 300); do "$BINDIR/pg_isready" -q -h "$tmp/sock/$reps" -p $port && break; sleep 1; done
  "$BINDIR/pgbench" -h "$tmp/sock/$reps" -p $port -U postgres -n -M prepared --random-seed=7 -c 1 -t "$reps" \
    -D start='2026-01-01 00:00:00+00' -D days=30 -D devices=1000 -f "$HERE/workloads/insert/insert.pgbench" "$db" \
    >"$tmp/pgbench-$reps" 2>&1 || { cat "$tmp/pgbench-$reps" >&2; exit 1; }
  as_pg "$(dirname "$POSTGRES")/pg_ctl" -D "$d" -m fast -w -t 600 stop >/dev/null
  wait $server || true
  # (the postmaster and the auxiliary processes run no portal)
  local f
  f=$(grep -l 'PortalRun' "$tmp"/cg-"$reps".* | while read -r f; do echo "$(sed -n 's/^totals: *//p' "$f" | cut -d' ' -f1) $f"; done |
    sort -n -k1,1 | tail -1 | cut -d' ' -f2)
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$f" "$KEEP/cg-$reps"; fi
  sed -n 's/^totals: *//p' "$f"
  # (the statistics' flushes and associations, inclusive, every event in the same order)
  callgrind_annotate --inclusive=yes --threshold=100 "$f" 2>/dev/null |
    grep -E ':(pgstat_report_stat|pgstat_assoc_relation) \[' | sed 's/([^)]*)//g; s/,//g' |
    awk '{ for (i = 1; i <= NF && $i ~ /^[0-9]+$/; i++) s[i] += $i; if (i - 1 > n) n = i - 1 }
         END { for (i = 1; i <= n; i++) printf "%s%d", (i > 1 ? " " : ""), s[i]; print "" }'
}
mapfile -t ra < <(count "$n")
mapfile -t rb < <(count $((3 * n)))
# per transaction: (3N run - N run) / 2N, event by event; integer instructions alone, two
# decimals with the cache events (whose misses are a few a transaction)
per_tx() {
  paste <(printf '%s\n' $1) <(printf '%s\n' $2) |
    awk -v n="$n" -v all="${CACHE_SIM:-}" '{ d = ($2 - $1) / (2 * n); printf "%s", (NR > 1 ? " " : ""); if (all != "") printf "%.2f", d; else printf "%d", d } END { print "" }'
}
per_tx "${ra[0]}" "${rb[0]}"
# the same without the statistics' flushes (see above)
net() { paste <(printf '%s\n' $1) <(printf '%s\n' ${2:-0}) | awk '{ printf "%s%d", (NR > 1 ? " " : ""), $1 - $2 } END { print "" }'; }
per_tx "$(net "${ra[0]}" "${ra[1]:-}")" "$(net "${rb[0]}" "${rb[1]:-}")"
