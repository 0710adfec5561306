#!/usr/bin/env bash
# kill -9 the server in the middle of a COPY into a hypertable: after restart every committed row
# is there, the interrupted COPY left nothing, and the catalog matches the chunk tables.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55461
source "$(dirname "$0")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT" "fsync = on" "synchronous_commit = on"
sql -c "CREATE EXTENSION strata" >/dev/null
sql -c "CREATE TABLE ev (time timestamptz NOT NULL, dev int NOT NULL, v float8, PRIMARY KEY (dev, time))" >/dev/null
sql -c "SELECT create_hypertable('ev', by_range('time', INTERVAL '1 hour'))" >/dev/null

# Committed batches: 20 x 5,000 rows, each batch a COPY of its own spanning new chunks.
gen() {  # gen BATCH ROWS: rows of one batch, 1 s apart, batch b starts at b hours
  awk -v b="$1" -v n="$2" 'BEGIN { for (i = 0; i < n; i++) { t = 1704067200 + b * 3600 * 2 + i; printf "%s,%d,%d\n", strftime("%Y-%m-%d %H:%M:%S+00", t, 1), i % 50, i } }'
}
for b in $(seq 0 19); do
  gen "$b" 5000 | sql -c "COPY ev FROM STDIN WITH (FORMAT csv)" >/dev/null || { echo FAIL; exit 1; }
done
check "committed rows before the crash" 100000 "$(sql -c 'SELECT count(*) FROM ev')"

# A large COPY in flight, killed with the whole server.
# The COPY reads from a program that sends 200,000 rows and then stalls, so the statement is
# certainly in progress (rows written to many chunks, nothing committed) when the server dies.
gen 100 200000 > "$TEST_DIR/big.csv"
chmod 644 "$TEST_DIR/big.csv"
( sql -c "COPY ev FROM PROGRAM 'cat $TEST_DIR/big.csv; exec sleep 119.75' WITH (FORMAT csv)" >/dev/null 2>&1 ) &
copy_pid=$!
seen=0
deadline=$((SECONDS + 100))  # (a deadline, not a number of polls: a loaded machine polls slower)
while [ "$SECONDS" -lt "$deadline" ]; do
  p=$(sql -c "SELECT coalesce(max(tuples_processed), 0) FROM pg_stat_progress_copy" 2>/dev/null)
  if [ "${p:-0}" -ge 150000 ]; then seen=1; break; fi
  sleep 0.1
done
check "the interrupted COPY was seen in progress" 1 "$seen"
kill_server
pkill -9 -f 'sleep 119.75' || true
wait $copy_pid 2>/dev/null || true
# The killed postmaster may linger as a zombie (no init reaping in some containers): clear its lock files.
rm -f "$TEST_DATA/postmaster.pid" "$TEST_DATA.sock"/.s.PGSQL.*.lock
cluster_start "$TEST_DATA" "$TEST_PORT" || { tail -20 "$TEST_DATA.log"; echo FAIL; exit 1; }

check "committed rows after recovery" 100000 "$(sql -c 'SELECT count(*) FROM ev')"
check "no row from the interrupted COPY" 0 "$(sql -c "SELECT count(*) FROM ev WHERE time >= '2024-01-09'")"
check "parent holds no rows" 0 "$(sql -c 'SELECT count(*) FROM ONLY ev')"
check "every catalog chunk has its table" 0 "$(sql -c "SELECT count(*) FROM _strata_catalog.chunk c WHERE to_regclass(format('%I.%I', c.schema_name, c.table_name)) IS NULL")"
check "every chunk table is in the catalog" 0 "$(sql -c "SELECT count(*) FROM pg_inherits i WHERE i.inhparent = 'ev'::regclass AND NOT EXISTS (SELECT 1 FROM _strata_catalog.chunk c WHERE format('%I.%I', c.schema_name, c.table_name)::regclass = i.inhrelid)")"
check "rows sit in the chunk of their range" 0 "$(sql -c "SELECT count(*) FROM ev e JOIN _strata_catalog.chunk c ON format('%I.%I', c.schema_name, c.table_name)::regclass = e.tableoid WHERE extract(epoch FROM e.time) * 1000000 < c.range_start OR extract(epoch FROM e.time) * 1000000 >= c.range_end")"
gen 100 1000 | sql -c "COPY ev FROM STDIN WITH (FORMAT csv)" >/dev/null
check "inserts work after recovery" 101000 "$(sql -c 'SELECT count(*) FROM ev')"
echo PASS
