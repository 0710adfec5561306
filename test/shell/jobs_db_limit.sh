#!/usr/bin/env bash
# More databases with strata than the launcher has entries (strata.max_job_databases = 2 here): a
# database without scheduled jobs gives its entry back, so the jobs of every database run as long
# as at most two databases have jobs; a job change in a database that finds no free entry warns,
# shows its job as Waiting and runs as soon as an entry is given back; the launcher's scan at
# server start hands out entries as they are given back (databases past the first two are not
# dropped); and a restore (pg_restore, also --data-only --disable-triggers) makes the restored
# jobs run.
# Usage: test/shell/jobs_db_limit.sh   (prints PASS or FAIL; exit status 0 on PASS)
DATA=/tmp/strata-jobs-dblimit-data
PORT=55427
source "$(dirname "${BASH_SOURCE[0]}")/lib/jobs_common.sh"
DUMP=$DATA.dump
trap 'cluster_stop "$DATA"; rm -f "$DUMP"' EXIT
# (strata.cagg_refresh_batch_buckets: a setting a subsystem defines after the hook module's own,
# which the server must keep from postgresql.conf too)
start_test_cluster "strata.max_job_databases = 2" "strata.cagg_refresh_batch_buckets = 7"

schedulers() {
  q -d postgres -c "SELECT coalesce(string_agg(datname, ',' ORDER BY datname), '') FROM pg_stat_activity WHERE backend_type = 'strata job scheduler'"
}
runs() { q -d "$1" -c "SELECT count(*) FROM runs"; }

expect postgres "SHOW strata.max_job_databases" 2 "the setting"
expect postgres "SHOW strata.cagg_refresh_batch_buckets" 7 "a continuous aggregate setting from postgresql.conf"
q -d postgres -c "CREATE DATABASE plain"   # no strata: comes first in the startup scan
q -d postgres -c "CREATE DATABASE tpl"
install_tick tpl
for db in d1 d2 d3 d4; do q -d postgres -c "CREATE DATABASE $db TEMPLATE tpl" 2>/dev/null; done

# Five databases with strata and no job: their entries are given back, no scheduler stays.
if poll postgres "SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'strata job scheduler'" 10; then
  ok "no scheduler stays in databases without jobs"; else fail "schedulers: $(schedulers)"; fi

# Jobs in the 4th and 5th database with strata run.
for db in d3 d4; do q -d "$db" -c "SELECT add_job('tick', '1 second')" >/dev/null; done
if poll d3 "SELECT count(*) >= 2 FROM runs" 10 && poll d4 "SELECT count(*) >= 2 FROM runs" 10; then
  ok "jobs run in two databases of five with strata"; else fail "runs: d3 $(runs d3), d4 $(runs d4); schedulers: $(schedulers)"; fi

# A third database with jobs finds no free entry: a WARNING, the job waits, and runs once d3 has
# no job left.
out=$(q -d d1 -c "SELECT add_job('tick', '1 second')" 2>&1 >/dev/null)
case "$out" in *"too many databases with strata jobs"*) ok "a database past the limit gets a WARNING" ;;
  *) fail "no WARNING past the limit: '$out'" ;; esac
if poll d1 "SELECT job_status = 'Waiting' FROM strata_information.job_stats WHERE job_id = 1000" 5; then
  ok "its job is shown as Waiting"; else fail "job_status: $(q -d d1 -c "SELECT job_status FROM strata_information.job_stats")"; fi
expect d1 "SELECT count(*) FROM runs" 0 "its job does not run while both entries are held"
q -d d3 -c "SELECT delete_job(1000)" >/dev/null
if poll d1 "SELECT count(*) >= 2 FROM runs" 10; then ok "it runs once d3 gives its entry back"; else
  fail "d1 runs: $(runs d1); schedulers: $(schedulers)"; fi
if poll postgres "SELECT string_agg(datname, ',' ORDER BY datname) = 'd1,d4' FROM pg_stat_activity WHERE backend_type = 'strata job scheduler'" 10; then
  ok "schedulers in d1 and d4 only"; else fail "schedulers: $(schedulers)"; fi

# Restart: the startup scan meets postgres, plain, tpl and d2, d3 (no jobs) besides d1 and d4.
cluster_stop "$DATA"
cluster_start "$DATA" "$PORT"
b1=$(runs d1); b4=$(runs d4)
if poll d1 "SELECT count(*) >= $b1 + 2 FROM runs" 15 && poll d4 "SELECT count(*) >= $b4 + 2 FROM runs" 15; then
  ok "after a restart the jobs of both databases run"; else fail "after restart: d1 $(runs d1) (was $b1), d4 $(runs d4) (was $b4); schedulers: $(schedulers)"; fi

# pg_restore of d4 into d5 (d1 gives its entry back first): the restored job runs.
q -d d1 -c "SELECT delete_job(1000)" >/dev/null
as_pg "$SYS_BINDIR/pg_dump" -h "$DATA.sock" -p "$PORT" -U postgres -Fc -f "$DUMP" d4
q -d postgres -c "CREATE DATABASE d5 TEMPLATE template0"
as_pg "$SYS_BINDIR/pg_restore" -h "$DATA.sock" -p "$PORT" -U postgres -d d5 --exit-on-error "$DUMP" || fail "pg_restore into d5"
b5=$(runs d5)
if poll d5 "SELECT count(*) >= $b5 + 2 FROM runs" 10; then ok "the job restored by pg_restore runs"; else
  fail "d5 runs: $(runs d5) (restored $b5); schedulers: $(schedulers)"; fi

# A data-only restore with the triggers disabled into d2 (strata installed, no job; d5 gives its
# entry back first): the restored job runs.
q -d d5 -c "SELECT delete_job(1000)" >/dev/null
as_pg "$SYS_BINDIR/pg_restore" -h "$DATA.sock" -p "$PORT" -U postgres -d d2 --data-only --disable-triggers --exit-on-error "$DUMP" \
  || fail "pg_restore --data-only --disable-triggers into d2"
expect d2 "SELECT count(*) FROM strata_information.jobs WHERE job_id = 1000" 1 "the job is restored into d2"
b2=$(runs d2)
if poll d2 "SELECT count(*) >= $b2 + 2 FROM runs" 10; then ok "the job restored with disabled triggers runs"; else
  fail "d2 runs: $(runs d2) (restored $b2); schedulers: $(schedulers)"; fi
finish
