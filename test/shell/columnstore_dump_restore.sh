#!/usr/bin/env bash
# pg_dump / pg_restore of a database with a compressed hypertable: the companion tables, their
# catalog rows and the chunk statuses come back; decompressing in the restored database gives
# the same rows, bit for bit; compress/decompress and inserts work there.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55472
source "$(dirname "$0")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT"
sql -c "CREATE DATABASE src" >/dev/null
sql -d src <<'SQL' >/dev/null || { echo FAIL; exit 1; }
CREATE EXTENSION strata;
CREATE TABLE metrics (time timestamptz NOT NULL, host text NOT NULL, cpu float8, tags jsonb, n numeric,
                      UNIQUE (host, time));
SELECT create_hypertable('metrics', by_range('time', INTERVAL '5 days'));
INSERT INTO metrics SELECT t, 'h' || (extract(epoch FROM t)::int % 7), extract(epoch FROM t) / 1000,
                           jsonb_build_object('k', extract(epoch FROM t)::int % 5), extract(epoch FROM t) / 3
  FROM generate_series('2024-01-01'::timestamptz, '2024-01-20', INTERVAL '5 minutes') t;
ALTER TABLE metrics SET (timescaledb.compress, timescaledb.compress_index = 'bloom(tags)');
SELECT compress_chunk(c) FROM show_chunks('metrics') c LIMIT 3;
SQL
before=$(sql -d src -c "SELECT count(*) FROM _strata_catalog.compressed_chunk")
check "three chunks compressed" 3 "$before"
state=$(sql -d src -c "SELECT string_agg(c.table_name || ':' || c.status || ':' || coalesce(cc.table_name, '-') || ':' || coalesce(cc.compressed_rows::text, '-'), ',' ORDER BY c.id) FROM _strata_catalog.chunk c LEFT JOIN _strata_catalog.compressed_chunk cc ON cc.chunk_id = c.id")
settings=$(sql -d src -c "SELECT row(s.*)::text FROM _strata_catalog.compression_settings s")
batches=$(sql -d src -c "SELECT md5(string_agg(b::text, '' ORDER BY b::text)) FROM _strata_internal._hyper_1_1_cs b")
as_pg "$SYS_BINDIR/pg_dump" -h "$TEST_DATA.sock" -p "$TEST_PORT" -U postgres -Fc -f "$TEST_DIR/src.dump" src || { echo FAIL; exit 1; }
sql -c "CREATE DATABASE dst" >/dev/null
as_pg "$SYS_BINDIR/pg_restore" -h "$TEST_DATA.sock" -p "$TEST_PORT" -U postgres -d dst --exit-on-error "$TEST_DIR/src.dump" || { echo FAIL; exit 1; }

check "chunk statuses and compressed_chunk rows restored" "$state" "$(sql -d dst -c "SELECT string_agg(c.table_name || ':' || c.status || ':' || coalesce(cc.table_name, '-') || ':' || coalesce(cc.compressed_rows::text, '-'), ',' ORDER BY c.id) FROM _strata_catalog.chunk c LEFT JOIN _strata_catalog.compressed_chunk cc ON cc.chunk_id = c.id")"
check "settings restored" "$settings" "$(sql -d dst -c "SELECT row(s.*)::text FROM _strata_catalog.compression_settings s")"
check "companion rows restored" "$batches" "$(sql -d dst -c "SELECT md5(string_agg(b::text, '' ORDER BY b::text)) FROM _strata_internal._hyper_1_1_cs b")"
check "storage of the data columns" "e" "$(sql -d dst -c "SELECT string_agg(DISTINCT attstorage::text, '') FROM pg_attribute WHERE attrelid = '_strata_internal._hyper_1_1_cs'::regclass AND attname IN ('time', 'cpu', 'tags', 'n')")"
check "is_compressed in the views" "3" "$(sql -d dst -c "SELECT count(*) FROM strata_information.chunks WHERE is_compressed")"

# The restored companion depends on its chunk again: dropping a restored compressed chunk drops it.
check "restored companion depends on its chunk" "a" "$(sql -d dst -c "SELECT string_agg(deptype::text, '') FROM pg_depend WHERE classid = 'pg_class'::regclass AND objid = '_strata_internal._hyper_1_1_cs'::regclass AND refobjid = '_strata_internal._hyper_1_1_chunk'::regclass")"
sql -d dst -c "CREATE DATABASE dst2 TEMPLATE dst" >/dev/null || { echo FAIL; exit 1; }
sql -d dst2 -c "DROP TABLE _strata_internal._hyper_1_1_chunk" >/dev/null || { echo FAIL; exit 1; }
check "dropping a restored chunk drops its companion and catalog row" "0 0" "$(sql -d dst2 -c "SELECT (SELECT count(*) FROM pg_class WHERE relname = '_hyper_1_1_cs') || ' ' || (SELECT count(*) FROM _strata_catalog.compressed_chunk WHERE table_name = '_hyper_1_1_cs')")"

# Decompress everything on both sides and compare the rows.
for db in src dst; do
  sql -d "$db" -c "SELECT count(decompress_chunk(c)) FROM show_chunks('metrics') c" >/dev/null || { echo FAIL; exit 1; }
done
rows_src=$(sql -d src -c "SELECT md5(string_agg(m::text, '' ORDER BY time, host)) || count(*) FROM metrics m")
check "same rows after decompression" "$rows_src" "$(sql -d dst -c "SELECT md5(string_agg(m::text, '' ORDER BY time, host)) || count(*) FROM metrics m")"
check "no companion left" 0 "$(sql -d dst -c "SELECT count(*) FROM pg_class WHERE relname LIKE '%\_cs' AND relnamespace = '_strata_internal'::regnamespace")"
# Compression works in the restored database, and inserts route.
sql -d dst -c "SELECT count(compress_chunk(c)) FROM show_chunks('metrics') c" >/dev/null || { echo FAIL; exit 1; }
check "compressed in the restored database" "$(sql -d dst -c "SELECT count(*) FROM show_chunks('metrics')")" "$(sql -d dst -c "SELECT count(*) FROM _strata_catalog.compressed_chunk")"
sql -d dst -c "INSERT INTO metrics VALUES ('2024-01-02 00:00:01+00', 'new', 1, '{}', 1)" >/dev/null || { echo FAIL; exit 1; }
check "insert into a compressed chunk marks it partial" 3 "$(sql -d dst -c "SELECT max(status) FROM _strata_catalog.chunk")"
echo PASS
