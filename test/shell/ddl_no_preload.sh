#!/usr/bin/env bash
# Without shared_preload_libraries, the first DDL statement of a session runs before strata's
# ProcessUtility hook is loaded; the ddl_command_end event trigger still carries what it adds to a
# hypertable (index, foreign key, row trigger, privileges) to every chunk, and refuses a unique
# index without the time column. Each sql call below is a fresh session.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
TEST_PORT=55472
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT" "shared_preload_libraries = ''"
sql -q -c "SET client_min_messages = error" -c "CREATE EXTENSION strata" >/dev/null
sql -q <<'SQL' >/dev/null
CREATE TABLE t (time timestamptz NOT NULL, device int, v int);
SELECT create_hypertable('t', 'time', chunk_time_interval => interval '1 day');
INSERT INTO t SELECT g, 1, 1 FROM generate_series('2024-01-01'::timestamptz, '2024-01-03', '1 day') g;
CREATE TABLE devices (id int PRIMARY KEY);
INSERT INTO devices VALUES (1);
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE ROLE ddl_np_reader;
SQL
chunks=$(sql -c "SELECT count(*) FROM _strata_catalog.chunk")
check "three chunks" 3 "$chunks"
loaded() { sql -c "SELECT count(*) FROM pg_settings WHERE name = 'strata.enable_chunk_exclusion'"; }
check "a fresh session has not loaded strata" 0 "$(loaded)"

sql -q -c "CREATE INDEX t_v_idx ON t (v)"
check "CREATE INDEX reaches every chunk" "$chunks" \
  "$(sql -c "SELECT count(*) FROM _strata_catalog.chunk_index WHERE hypertable_index_name = 't_v_idx'")"
sql -q -c "ALTER TABLE t ADD CONSTRAINT t_device_fk FOREIGN KEY (device) REFERENCES devices (id)"
check "ADD FOREIGN KEY reaches every chunk" "$chunks" \
  "$(sql -c "SELECT count(*) FROM pg_constraint WHERE conname = 't_device_fk' AND conrelid <> 't'::regclass")"
sql -q -c "CREATE TRIGGER t_row BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION noop()"
check "CREATE TRIGGER reaches every chunk" "$chunks" \
  "$(sql -c "SELECT count(*) FROM pg_trigger WHERE tgname = 't_row' AND tgrelid <> 't'::regclass")"
sql -q -c "GRANT SELECT ON t TO ddl_np_reader"
check "GRANT reaches every chunk" "$chunks" \
  "$(sql -c "SELECT count(*) FROM _strata_catalog.chunk c
               WHERE has_table_privilege('ddl_np_reader', format('%I.%I', c.schema_name, c.table_name), 'SELECT')")"
err=$(sql -c "CREATE UNIQUE INDEX t_device_key ON t (device)" 2>&1 || true)
check "a unique index without the time column is refused" 1 \
  "$(echo "$err" | grep -c 'cannot create a unique index without the column "time"')"
check "and leaves nothing behind" 0 "$(sql -c "SELECT count(*) FROM pg_class WHERE relname LIKE '%t_device_key%'")"
err=$(sql -c "ALTER TABLE t DROP COLUMN time" 2>&1 || true)
check "dropping the time column is refused" 1 "$(echo "$err" | grep -c 'cannot drop column "time"')"
# A session that has loaded strata goes through the hook as usual.
sql -q -c "SELECT count(*) FROM show_chunks('t')" -c "CREATE INDEX t_device_idx ON t (device)" >/dev/null
check "CREATE INDEX in a loaded session" "$chunks" \
  "$(sql -c "SELECT count(*) FROM _strata_catalog.chunk_index WHERE hypertable_index_name = 't_device_idx'")"
# DROP TABLE of the hypertable (the first statement of its session) drops the chunks first.
sql -q -c "DROP TABLE t"
sql -q -c "DROP ROLE ddl_np_reader"
check "DROP TABLE of the hypertable leaves no catalog rows" 0 "$(sql -c "SELECT count(*) FROM _strata_catalog.chunk")"
echo PASS
