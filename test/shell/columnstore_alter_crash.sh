#!/usr/bin/env bash
# kill -9 the server in the middle of ALTER COLUMN TYPE on a hypertable with compressed chunks
# (while batches are being converted): after restart the column has its old type everywhere
# (hypertable, companions' metadata), the chunks are still compressed, every row is there exactly
# once with its value, and the ALTER then works.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55494
source "$(dirname "$0")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT" "fsync = on" "synchronous_commit = on"
sql -c "CREATE EXTENSION strata" >/dev/null
sql <<'SQL' >/dev/null || { echo FAIL; exit 1; }
CREATE TABLE ev (time timestamptz NOT NULL, dev int NOT NULL, id int NOT NULL, v int, note text);
SELECT create_hypertable('ev', by_range('time', INTERVAL '2 days'));
ALTER TABLE ev SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev',
                    timescaledb.compress_index = 'minmax(v)');
INSERT INTO ev SELECT '2024-01-01'::timestamptz + g * interval '1 second', g % 100, g, g % 100000, 'n' || (g % 1000)
  FROM generate_series(1, 1500000) g;
SELECT count(compress_chunk(c)) FROM show_chunks('ev') c;
CREATE TABLE ev_before AS SELECT md5(string_agg(e::text, '' ORDER BY id)) AS h, count(*) AS n FROM ev e;
-- The conversion, slowed down at a few values spread over every batch (~3 s in all), so that the
-- kill lands while the batches are being converted.
CREATE FUNCTION slow_widen(x int) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  IF x % 10000 = 0 THEN PERFORM pg_sleep(0.02); END IF;
  RETURN x;
END $$;
SQL
nchunks=$(sql -c "SELECT count(*) FROM show_chunks('ev')")
check "compressed chunks" "$nchunks" "$(sql -c "SELECT count(*) FROM _strata_catalog.compressed_chunk")"

( sql -c "ALTER TABLE ev ALTER COLUMN v TYPE bigint USING slow_widen(v)" >/dev/null 2>&1 ) &
job=$!
wait_for_activity "the ALTER was seen in progress" "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'ALTER TABLE ev%' AND state = 'active'"
crash_and_restart $job "${CRASH_DELAY:-1}"

type=$(sql -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'ev'::regclass AND attname = 'v'")
# Killed before the ALTER committed: the old type everywhere.
check "the old type after recovery" integer "$type"
check "chunks still compressed" "$nchunks" "$(sql -c "SELECT count(*) FROM show_chunks('ev') c WHERE _strata_internal.chunk_status(c) = 1")"
check "companion metadata of the same type" "$type" "$(sql -c "SELECT DISTINCT format_type(a.atttypid, a.atttypmod) FROM _strata_catalog.compressed_chunk cc JOIN pg_attribute a ON a.attrelid = format('%I.%I', cc.schema_name, cc.table_name)::regclass WHERE a.attname IN ('_strata_min_2', '_strata_max_2') AND NOT a.attisdropped")"
check "every row exactly once, same values" "$(sql -c "SELECT h || ' ' || n FROM ev_before")" \
  "$(sql -c "SELECT md5(string_agg(e::text, '' ORDER BY id)) || ' ' || count(*) FROM ev e")"
check "no duplicate ids" 0 "$(sql -c "SELECT count(*) - count(DISTINCT id) FROM ev")"
check "minmax filter" 15 "$(sql -c "SELECT count(*) FROM ev WHERE v = 4242")"
# The ALTER works after recovery.
sql -c "ALTER TABLE ev ALTER COLUMN v TYPE bigint" >/dev/null || { echo FAIL; exit 1; }
check "the new type" bigint "$(sql -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'ev'::regclass AND attname = 'v'")"
check "rows after the ALTER" "$(sql -c "SELECT h || ' ' || n FROM ev_before")" \
  "$(sql -c "SELECT md5(string_agg(e::text, '' ORDER BY id)) || ' ' || count(*) FROM ev e")"
check "minmax filter after the ALTER" 15 "$(sql -c "SELECT count(*) FROM ev WHERE v = 4242")"
echo PASS
