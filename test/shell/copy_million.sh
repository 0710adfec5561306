#!/usr/bin/env bash
# One million rows arrive intact across about a thousand chunks through COPY: the same rows as in a
# plain table loaded from the same file, each in the chunk of its range.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55463
source "$(dirname "$0")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT"
sql -c "CREATE EXTENSION strata" >/dev/null
sql <<'SQL' >/dev/null || { echo FAIL; exit 1; }
CREATE TABLE plain (time timestamptz NOT NULL, dev int NOT NULL, v float8, s text);
CREATE TABLE ht (LIKE plain);
SELECT create_hypertable('ht', by_range('time', INTERVAL '1 hour'));
SQL
sql -c "COPY (SELECT '2024-01-01'::timestamptz + (i * 3.6) * INTERVAL '1 second', i % 1000, i / 7.0, md5(i::text) FROM generate_series(1, 1000000) i) TO '$TEST_DIR/rows.csv' WITH (FORMAT csv)" >/dev/null
sql -c "COPY plain FROM '$TEST_DIR/rows.csv' WITH (FORMAT csv)" >/dev/null
check "COPY into the hypertable" "COPY 1000000" "$(sql -c "COPY ht FROM '$TEST_DIR/rows.csv' WITH (FORMAT csv)")"
check "row count" 1000000 "$(sql -c 'SELECT count(*) FROM ht')"
check "chunks" 1001 "$(sql -c "SELECT count(*) FROM strata_information.chunks WHERE hypertable_name = 'ht'")"
check "identical rows (ht minus plain)" 0 "$(sql -c 'SELECT count(*) FROM (SELECT * FROM ht EXCEPT ALL SELECT * FROM plain) x')"
check "identical rows (plain minus ht)" 0 "$(sql -c 'SELECT count(*) FROM (SELECT * FROM plain EXCEPT ALL SELECT * FROM ht) x')"
check "rows in the chunk of their range" 0 "$(sql -c "SELECT count(*) FROM ht e JOIN _strata_catalog.chunk c ON format('%I.%I', c.schema_name, c.table_name)::regclass = e.tableoid WHERE extract(epoch FROM e.time) * 1000000 < c.range_start OR extract(epoch FROM e.time) * 1000000 >= c.range_end")"
check "parent empty" 0 "$(sql -c 'SELECT count(*) FROM ONLY ht')"
echo PASS
