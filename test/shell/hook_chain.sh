#!/usr/bin/env bash
# strata's hooks chain to the hooks of other modules, whichever is loaded first: with
# pg_stat_statements before and after strata in shared_preload_libraries, both work (its shared
# memory, planner, executor and utility hooks; strata's chunk exclusion, INSERT routing, COPY,
# DDL propagation and job scheduler).
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55473
source "$(dirname "$0")/lib/common.sh"

for order in "pg_stat_statements, strata" "strata, pg_stat_statements"; do
  rm -rf "$TEST_DATA"
  cluster_start "$TEST_DATA" "$TEST_PORT" "shared_preload_libraries = '$order'" "pg_stat_statements.track_planning = on"
  sql -q <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION pg_stat_statements;
CREATE EXTENSION strata;
CREATE TABLE t (time timestamptz NOT NULL, v int);
SELECT create_hypertable('t', by_range('time', INTERVAL '1 day'));
INSERT INTO t SELECT '2024-01-01'::timestamptz + i * interval '1 hour', i FROM generate_series(0, 71) i;
SQL
  printf '2024-01-04 00:00:00+00,100\n' | sql -c "COPY t FROM STDIN WITH (FORMAT csv)" >/dev/null
  sql -c "CREATE INDEX t_v ON t (v)" >/dev/null
  sql -c "SELECT pg_stat_statements_reset()" >/dev/null
  sql -c "SELECT count(*) FROM t WHERE time >= '2024-01-02' AND time < '2024-01-03'" >/dev/null
  check "[$order] rows routed to one chunk per day (INSERT and COPY)" "4|4|73" \
    "$(sql -c "SELECT count(DISTINCT tableoid), (SELECT count(*) FROM show_chunks('t')), count(*) FROM t")"
  check "[$order] chunk exclusion plans one chunk" 1 \
    "$(sql -c "EXPLAIN (COSTS OFF) SELECT * FROM t WHERE time >= '2024-01-02' AND time < '2024-01-03'" | grep -c 'Seq Scan on _hyper')"
  check "[$order] CREATE INDEX reached every chunk" 4 \
    "$(sql -c "SELECT count(*) FROM pg_indexes WHERE schemaname = '_strata_internal' AND indexdef LIKE '%(v)'")"
  check "[$order] pg_stat_statements saw the planning and the execution" "1|1" \
    "$(sql -c "SELECT plans, calls FROM pg_stat_statements WHERE query LIKE 'SELECT count(*) FROM t WHERE%'")"
  sql -c "CREATE TABLE plain (a int)" >/dev/null
  check "[$order] pg_stat_statements saw a utility statement" 1 \
    "$(sql -c "SELECT calls FROM pg_stat_statements WHERE query = 'CREATE TABLE plain (a int)'")"
  for _ in $(seq 1 50); do
    launchers=$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'strata job launcher'")
    [ "$launchers" = 1 ] && break
    sleep 0.2
  done
  check "[$order] the job launcher runs" 1 "$launchers"
  cluster_stop "$TEST_DATA"
done
echo PASS
