#!/usr/bin/env bash
# pg_dump a database with a hypertable and restore it into a fresh database: the data, catalog and
# chunks come back, inserts still route to (new) chunks and queries still exclude chunks.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55462
source "$(dirname "$0")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT"
sql -c "CREATE DATABASE src" >/dev/null
sql -d src <<'SQL' >/dev/null || { echo FAIL; exit 1; }
CREATE EXTENSION strata;
CREATE TABLE metrics (time timestamptz NOT NULL, host text NOT NULL, cpu float8, UNIQUE (host, time));
SELECT create_hypertable('metrics', by_range('time', INTERVAL '1 day'));
CREATE INDEX metrics_host_idx ON metrics (host, time DESC);
INSERT INTO metrics SELECT t, 'h' || (extract(epoch FROM t)::int % 7), random() FROM generate_series('2024-01-01'::timestamptz, '2024-01-20', INTERVAL '5 minutes') t;
CREATE TABLE ints (t int NOT NULL, v text);
SELECT create_hypertable('ints', by_range('t', 100));
INSERT INTO ints SELECT i, 'v' || i FROM generate_series(1, 1000) i;
CREATE TABLE spaced (time timestamptz NOT NULL, device text, v int);
SELECT create_hypertable('spaced', by_range('time', INTERVAL '1 day'));
SELECT add_dimension('spaced', by_hash('device', 3));
INSERT INTO spaced SELECT t, 'd' || d, d FROM generate_series('2024-01-01'::timestamptz, '2024-01-02 23:00', INTERVAL '1 hour') t, generate_series(1, 6) d;
SQL
before=$(sql -d src -c "SELECT count(*), sum(cpu)::numeric(20,6), count(DISTINCT tableoid) FROM metrics")
catalog=$(sql -d src -c "SELECT string_agg(format('%s %s %s %s %s %s', h.table_name, c.table_name, c.range_start, c.range_end, c.space_start, c.space_end), ',' ORDER BY c.id) FROM _strata_catalog.chunk c JOIN _strata_catalog.hypertable h ON h.id = c.hypertable_id")
spaced_before=$(sql -d src -c "SELECT count(*), sum(v), count(DISTINCT tableoid) FROM spaced")
dimensions=$(sql -d src -c "SELECT string_agg(format('%s %s %s %s', hypertable_name, column_name, dimension_type, num_partitions), ',' ORDER BY hypertable_name, dimension_number) FROM strata_information.dimensions")
d3_chunk=$(sql -d src -c "SELECT DISTINCT tableoid::regclass FROM spaced WHERE device = 'd3' AND time < '2024-01-02'")
as_pg "$SYS_BINDIR/pg_dump" -h "$TEST_DATA.sock" -p "$TEST_PORT" -U postgres -Fc -f "$TEST_DIR/src.dump" src || { echo FAIL; exit 1; }
sql -c "CREATE DATABASE dst" >/dev/null
as_pg "$SYS_BINDIR/pg_restore" -h "$TEST_DATA.sock" -p "$TEST_PORT" -U postgres -d dst --exit-on-error "$TEST_DIR/src.dump" || { echo FAIL; exit 1; }

check "data restored" "$before" "$(sql -d dst -c "SELECT count(*), sum(cpu)::numeric(20,6), count(DISTINCT tableoid) FROM metrics")"
check "catalog restored" "$catalog" "$(sql -d dst -c "SELECT string_agg(format('%s %s %s %s %s %s', h.table_name, c.table_name, c.range_start, c.range_end, c.space_start, c.space_end), ',' ORDER BY c.id) FROM _strata_catalog.chunk c JOIN _strata_catalog.hypertable h ON h.id = c.hypertable_id")"
check "hypertables listed" "ints,metrics,spaced" "$(sql -d dst -c "SELECT string_agg(hypertable_name, ',' ORDER BY hypertable_name) FROM strata_information.hypertables")"
# the hash dimension: its rows, its catalog, routing into the existing chunk of a hash slice, exclusion
check "space-partitioned data restored" "$spaced_before" "$(sql -d dst -c "SELECT count(*), sum(v), count(DISTINCT tableoid) FROM spaced")"
check "hash dimension restored" "$dimensions" "$(sql -d dst -c "SELECT string_agg(format('%s %s %s %s', hypertable_name, column_name, dimension_type, num_partitions), ',' ORDER BY hypertable_name, dimension_number) FROM strata_information.dimensions")"
sql -d dst -c "INSERT INTO spaced VALUES ('2024-01-01 12:30', 'd3', 100)" >/dev/null || { echo FAIL; exit 1; }
check "insert routes by hash after restore" "$d3_chunk" "$(sql -d dst -c "SELECT tableoid::regclass FROM spaced WHERE v = 100")"
check "equality on the hash column scans one chunk" 1 "$(sql -d dst -c "EXPLAIN (COSTS OFF) SELECT * FROM spaced WHERE device = 'd3' AND time < '2024-01-02'" | grep -c '_hyper_')"
check "parent empty" 0 "$(sql -d dst -c "SELECT count(*) FROM ONLY metrics")"
# inserts route into existing and new chunks
sql -d dst -c "INSERT INTO metrics VALUES ('2024-01-05 00:00:01+00', 'new', 1), ('2024-03-01', 'new', 2)" >/dev/null || { echo FAIL; exit 1; }
check "insert into an existing chunk" "_strata_internal._hyper_1_5_chunk" "$(sql -d dst -c "SELECT tableoid::regclass FROM metrics WHERE host = 'new' AND time < '2024-02-01'")"
check "insert creates a new chunk" 1 "$(sql -d dst -c "SELECT count(*) FROM strata_information.chunks WHERE hypertable_name = 'metrics' AND range_start = '2024-03-01'")"
check "new chunk has the hypertable's indexes" 3 "$(sql -d dst -c "SELECT count(*) FROM pg_indexes i JOIN strata_information.chunks c ON c.chunk_name = i.tablename WHERE c.hypertable_name = 'metrics' AND c.range_start = '2024-03-01'")"
check "unique index enforced after restore" 1 "$(sql -d dst -c "INSERT INTO metrics VALUES ('2024-01-05 00:00:01+00', 'new', 1)" 2>&1 | grep -c 'duplicate key value violates unique constraint')"
copy_out=$(printf '2024-01-06 00:00:00+00,copy,1\n2024-04-01 00:00:00+00,copy,2\n' | sql -d dst -c "COPY metrics FROM STDIN WITH (FORMAT csv)")
check "COPY routes after restore" "COPY 2" "$copy_out"
# queries exclude chunks: one chunk scanned for a one-day range
scanned=$(sql -d dst -c "EXPLAIN (COSTS OFF) SELECT * FROM metrics WHERE time >= '2024-01-03' AND time < '2024-01-04'" | grep -c '_hyper_1_')
check "a one-day query scans one chunk" 1 "$scanned"
check "integer hypertable restored" 1000 "$(sql -d dst -c "SELECT count(*) FROM ints")"
sql -d dst -c "INSERT INTO ints VALUES (5000, 'x')" >/dev/null
check "integer chunk created after restore" 1 "$(sql -d dst -c "SELECT count(*) FROM strata_information.chunks WHERE hypertable_name = 'ints' AND range_start_integer = 5000")"
echo PASS
