#!/usr/bin/env bash
# pg_dump / pg_restore of a hypertable whose indexes, constraints, triggers and privileges were
# propagated to its chunks: the restore must succeed without errors (no double cloning) and give
# every chunk exactly what it had before. Uses a private cluster (test/shell/lib/common.sh).
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
TEST_PORT=55471
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

SRC=ddl_dump_src
DST=ddl_dump_dst
DUMP=$TEST_DIR/ddl.dump
q() { sql -q "$@"; }
conn=(-h "$TEST_DATA.sock" -p "$TEST_PORT" -U postgres)

cluster_start "$TEST_DATA" "$TEST_PORT"
q -d postgres -c "CREATE DATABASE $SRC" -c "CREATE DATABASE $DST" -c "CREATE ROLE ddl_dump_reader"
(q -d $SRC <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION strata;
CREATE TABLE devices (id int PRIMARY KEY);
INSERT INTO devices SELECT generate_series(1, 5);
CREATE TABLE m (time timestamptz NOT NULL, device int REFERENCES devices (id), value float8 CHECK (value >= 0));
SELECT create_hypertable('m', 'time', chunk_time_interval => interval '1 day');
INSERT INTO m SELECT t, 1 + (extract(hour FROM t)::int % 5), 1 FROM
  generate_series('2024-01-01'::timestamptz, '2024-01-04', '1 hour') t;
CREATE INDEX m_device_idx ON m (device, time DESC);
ALTER TABLE m ADD CONSTRAINT m_pkey PRIMARY KEY (time, device);
ALTER TABLE m ADD CONSTRAINT m_device_fk2 FOREIGN KEY (device) REFERENCES devices (id);
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER a_row BEFORE INSERT ON m FOR EACH ROW EXECUTE FUNCTION noop();
CREATE TRIGGER z_row BEFORE UPDATE ON m FOR EACH ROW EXECUTE FUNCTION noop();
GRANT SELECT ON m TO ddl_dump_reader;
-- pg_dump orders objects by schema name: "Early" sorts before _strata_internal, so here the
-- hypertable's indexes, constraints and triggers are restored before the chunks' own.
CREATE SCHEMA "Early";
CREATE TABLE "Early".e (time timestamptz NOT NULL, device int REFERENCES devices (id));
SELECT create_hypertable('"Early".e', 'time', chunk_time_interval => interval '1 day');
INSERT INTO "Early".e SELECT t, 1 FROM generate_series('2024-01-01'::timestamptz, '2024-01-03', '1 day') t;
CREATE UNIQUE INDEX e_key ON "Early".e (device, time);
ALTER TABLE "Early".e ADD CONSTRAINT e_fk FOREIGN KEY (device) REFERENCES devices (id);
CREATE TRIGGER e_row BEFORE INSERT ON "Early".e FOR EACH ROW EXECUTE FUNCTION noop();
SQL
) >/dev/null

# What every chunk carries, with chunk names masked; identical before and after the restore.
summary() {
  q -d "$1" <<'SQL'
SELECT 'index ' || regexp_replace(pg_get_indexdef(i.indexrelid), 'INDEX \S+ ON \S+', 'INDEX ON tbl'), count(*)
  FROM _strata_catalog.chunk c JOIN pg_index i ON i.indrelid = format('%I.%I', c.schema_name, c.table_name)::regclass
 GROUP BY 1
UNION ALL
SELECT 'constraint ' || pg_get_constraintdef(k.oid), count(*)
  FROM _strata_catalog.chunk c JOIN pg_constraint k ON k.conrelid = format('%I.%I', c.schema_name, c.table_name)::regclass
 WHERE k.contype <> 'c' OR k.coninhcount > 0 GROUP BY 1
UNION ALL
SELECT 'trigger ' || t.tgname, count(*)
  FROM _strata_catalog.chunk c JOIN pg_trigger t ON t.tgrelid = format('%I.%I', c.schema_name, c.table_name)::regclass
 WHERE NOT t.tgisinternal GROUP BY 1
UNION ALL
SELECT 'acl ' || coalesce(relacl::text, ''), count(*)
  FROM _strata_catalog.chunk c JOIN pg_class r ON r.oid = format('%I.%I', c.schema_name, c.table_name)::regclass
 GROUP BY 1
UNION ALL
SELECT 'mapping ' || hypertable_index_name, count(*) FROM _strata_catalog.chunk_index GROUP BY 1
UNION ALL
SELECT 'rows', count(*) FROM m
UNION ALL
SELECT 'rows early', count(*) FROM "Early".e
ORDER BY 1;
SQL
}

before=$(summary $SRC)
"$SYS_BINDIR/pg_dump" "${conn[@]}" -Fc -d $SRC -f "$DUMP"
"$SYS_BINDIR/pg_restore" "${conn[@]}" --exit-on-error -d $DST "$DUMP"
after=$(summary $DST)
if [ "$before" != "$after" ]; then
  echo "FAIL: chunks differ after pg_restore" >&2
  diff <(echo "$before") <(echo "$after") >&2
  exit 1
fi
# The restored hypertable keeps working: new chunks get the indexes, constraints and triggers.
q -d $DST -c "INSERT INTO m VALUES ('2024-02-01', 1, 1)" >/dev/null
[ "$(q -d $DST -c "SELECT count(*) FROM _strata_catalog.chunk_index WHERE hypertable_index_name = 'm_device_idx'")" = \
  "$(q -d $DST -c "SELECT count(*) FROM _strata_catalog.chunk c JOIN _strata_catalog.hypertable h
                     ON h.id = c.hypertable_id WHERE h.table_name = 'm'")" ] || { echo "FAIL: new chunk lacks indexes" >&2; exit 1; }
echo "ok: pg_dump / pg_restore keeps chunk DDL ($(echo "$before" | wc -l) properties checked)"
