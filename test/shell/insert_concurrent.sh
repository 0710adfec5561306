#!/usr/bin/env bash
# Eight clients insert at random times over 1,000 days into a hypertable of daily chunks with a
# unique (dev, ts) index, creating most of its ~1,000 chunks concurrently: four send single-row
# INSERTs and four send 4-row INSERTs spanning several days (so one statement routes to, and may
# create, several chunks). Nothing may fail, no row may be lost or land in the parent, every row
# must be in the chunk of its day, and no chunk may be created twice.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55493
source "$(dirname "$0")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT" "max_connections = 50"
sql -c "CREATE EXTENSION strata" >/dev/null
sql >/dev/null <<'SQL'
CREATE TABLE readings (ts timestamptz NOT NULL, dev int NOT NULL, v float8);
SELECT create_hypertable('readings', 'ts', chunk_time_interval => interval '1 day');
CREATE UNIQUE INDEX ON readings (dev, ts);
SQL

# ts: a random day of the 1,000 and a random microsecond in it; dev: the client (so (dev, ts)
# collides only if one client draws the same microsecond twice: about 1 in 10^9 per run).
cat >"$TEST_DIR/one.sql" <<'SQL'
\set d random(0, 999)
\set us random(0, 86399999999)
INSERT INTO readings VALUES ('2020-01-01 00:00:00+00'::timestamptz + :d * interval '1 day' + :us * interval '1 microsecond', :client_id, :d);
SQL
cat >"$TEST_DIR/four.sql" <<'SQL'
\set d1 random(0, 999)
\set d2 random(0, 999)
\set d3 random(0, 999)
\set d4 random(0, 999)
\set us random(0, 86399999999)
INSERT INTO readings VALUES
  ('2020-01-01 00:00:00+00'::timestamptz + :d1 * interval '1 day' + :us * interval '1 microsecond', 100 + :client_id, :d1),
  ('2020-01-01 00:00:00+00'::timestamptz + :d2 * interval '1 day' + :us * interval '1 microsecond', 200 + :client_id, :d2),
  ('2020-01-01 00:00:00+00'::timestamptz + :d3 * interval '1 day' + :us * interval '1 microsecond', 300 + :client_id, :d3),
  ('2020-01-01 00:00:00+00'::timestamptz + :d4 * interval '1 day' + :us * interval '1 microsecond', 400 + :client_id, :d4);
SQL
chmod a+r "$TEST_DIR"/*.sql
bench() {  # bench SCRIPT TRANSACTIONS_PER_CLIENT
  as_pg "$SYS_BINDIR/pgbench" -h "$TEST_DATA.sock" -p "$TEST_PORT" -U postgres -n -c 4 -j 4 -t "$2" \
    -M prepared -f "$1" postgres >"$1.out" 2>&1
}
t0=$(date +%s)
bench "$TEST_DIR/one.sql" 300 & p1=$!
bench "$TEST_DIR/four.sql" 100 & p2=$!
rc1=0; rc2=0
wait $p1 || rc1=$?
wait $p2 || rc2=$?
echo "inserted in $(( $(date +%s) - t0 )) s"
for f in one four; do
  grep -E "^(number of (transactions actually processed|failed transactions)|.*aborted|.*ERROR)" "$TEST_DIR/$f.sql.out" | sed "s/^/  $f: /"
done
check "pgbench single-row clients succeeded" "0" "$rc1"
check "pgbench 4-row clients succeeded" "0" "$rc2"
check "every row arrived" "2800" "$(sql -c "SELECT count(*) FROM readings")"
check "no row in the parent" "0" "$(sql -c "SELECT count(*) FROM ONLY readings")"
check "one chunk per day that has rows" "t" "$(sql -c "
  SELECT count(*) = (SELECT count(DISTINCT v) FROM readings) FROM _strata_catalog.chunk")"
check "no two chunks overlap" "0" "$(sql -c "
  SELECT count(*) FROM _strata_catalog.chunk a JOIN _strata_catalog.chunk b
    ON a.id < b.id AND a.range_start < b.range_end AND b.range_start < a.range_end")"
check "catalog rows match chunk tables" "t" "$(sql -c "
  SELECT count(*) = (SELECT count(*) FROM pg_inherits WHERE inhparent = 'readings'::regclass)
  FROM _strata_catalog.chunk")"
check "every row in the chunk of its day" "0" "$(sql -c "
  SELECT count(*) FROM readings r JOIN _strata_catalog.chunk c
    ON r.tableoid = format('%I.%I', c.schema_name, c.table_name)::regclass
  WHERE r.v <> (c.range_start / 86400000000 - 18262)")"
check "each chunk has its index" "0" "$(sql -c "
  SELECT count(*) FROM pg_inherits i WHERE inhparent = 'readings'::regclass
    AND (SELECT count(*) FROM pg_index x WHERE x.indrelid = i.inhrelid AND x.indisunique) <> 1")"
echo PASS
