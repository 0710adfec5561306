#!/usr/bin/env bash
# Without shared_preload_libraries, CREATE EXTENSION works (with a warning that jobs won't run), and
# hypertables work: a fresh session that has not loaded the library yet still keeps rows out of the
# parent (the safety-net trigger routes them), and sessions that have loaded it route as usual.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55464
source "$(dirname "$0")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT" "shared_preload_libraries = ''"
warning=$(sql -c "CREATE EXTENSION strata" 2>&1)
check "CREATE EXTENSION warns about the missing preload" 1 "$(echo "$warning" | grep -c 'strata is not in shared_preload_libraries')"
sql -c "CREATE TABLE t (time timestamptz NOT NULL, v int)" >/dev/null
sql -c "SELECT create_hypertable('t', by_range('time', INTERVAL '1 day'))" >/dev/null
# Each psql -c is a fresh session: the library is not loaded when the INSERT is planned.
sql -c "INSERT INTO t VALUES ('2024-01-01', 1), ('2024-01-02', 2)" >/dev/null || { echo FAIL; exit 1; }
printf '2024-01-03 00:00:00+00,3\n2024-01-04 00:00:00+00,4\n' | sql -c "COPY t FROM STDIN WITH (FORMAT csv)" >/dev/null || { echo FAIL; exit 1; }
check "rows arrive" 4 "$(sql -c 'SELECT count(*) FROM t')"
check "the parent holds no rows" 0 "$(sql -c 'SELECT count(*) FROM ONLY t')"
check "one chunk per day" 4 "$(sql -c 'SELECT count(DISTINCT tableoid) FROM t')"
# Once loaded (any strata function call loads it), the session routes through the planner.
check "loaded session routes" "_strata_internal._hyper_1_5_chunk" \
  "$(sql -c "SELECT count(*) FROM show_chunks('t')" -c "INSERT INTO t VALUES ('2024-01-05', 5) RETURNING tableoid::regclass" | sed -n 2p)"
check "queries see every row" 15 "$(sql -c 'SELECT sum(v) FROM t')"
echo PASS
