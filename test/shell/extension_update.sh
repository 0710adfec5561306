#!/usr/bin/env bash
# ALTER EXTENSION strata UPDATE from every earlier numbered version (test/update/strata--<v>.sql,
# each the install script as released, copied into this checkout's private staged server for the
# test): a database filled under the old version (hypertables of both time kinds, chunks, indexes,
# a retention policy and a user job) answers the same after the update, keeps routing, planning
# and running jobs, gains the new functions, and has exactly the objects, definitions and catalog
# columns of a fresh install of the current version.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55477
source "$(dirname "$0")/lib/common.sh"

EXTDIR=$STAGE$SYS_SHAREDIR/extension
CURRENT=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$ROOT/strata.control")
copied=()
for f in "$ROOT"/test/update/strata--*.sql; do
  cp "$f" "$EXTDIR/" && copied+=("$EXTDIR/$(basename "$f")")
done
trap 'rm -f "${copied[@]}"; cleanup' EXIT
[ ${#copied[@]} -gt 0 ] || { echo "no earlier versions in test/update"; echo FAIL; exit 1; }

cluster_start "$TEST_DATA" "$TEST_PORT"

# Everything strata owns, as text that names objects (never OIDs): members with their definitions,
# catalog columns and constraints, configuration tables.
objects() {
  sql -d "$1" <<'SQL'
WITH m AS (
  SELECT d.classid, d.objid, d.objsubid FROM pg_depend d
   WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
     AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'strata'))
SELECT pg_describe_object(m.classid, m.objid, m.objsubid) || ' | ' || coalesce(
  CASE m.classid
    WHEN 'pg_proc'::regclass THEN
      (SELECT CASE WHEN p.prokind = 'a'
                   THEN format('agg %s %s %s %s %s %s %s %s', a.aggtransfn, a.aggfinalfn, a.aggcombinefn,
                               a.aggserialfn, a.aggdeserialfn, a.aggtranstype::regtype, a.aggfinalextra,
                               p.proparallel)
                   ELSE md5(pg_get_functiondef(p.oid)) END
         FROM pg_proc p LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid WHERE p.oid = m.objid)
    WHEN 'pg_class'::regclass THEN
      (SELECT CASE WHEN c.relkind = 'v' THEN md5(pg_get_viewdef(c.oid))
                   ELSE (SELECT string_agg(format('%s %s %s %s', a.attname, format_type(a.atttypid, a.atttypmod),
                                                  a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid)), ', ' ORDER BY a.attnum)
                           FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)
                        || ' ' || coalesce((SELECT string_agg(pg_get_constraintdef(k.oid), ', ' ORDER BY k.conname)
                                              FROM pg_constraint k WHERE k.conrelid = c.oid), '')
                        || ' ' || coalesce((SELECT string_agg(pg_get_indexdef(i.indexrelid), ', ' ORDER BY 1)
                                              FROM pg_index i WHERE i.indrelid = c.oid), '')
                        || ' ' || coalesce((SELECT string_agg(pg_get_triggerdef(t.oid), ', ' ORDER BY t.tgname)
                                              FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), '')
              END FROM pg_class c WHERE c.oid = m.objid)
    WHEN 'pg_event_trigger'::regclass THEN
      (SELECT format('%s %s %s', e.evtevent, e.evtfoid::regproc, e.evttags) FROM pg_event_trigger e WHERE e.oid = m.objid)
  END, '')
  FROM m
UNION ALL
SELECT 'config ' || c::text FROM pg_extension e, unnest(e.extconfig::regclass[]) c WHERE e.extname = 'strata'
ORDER BY 1;
SQL
}

# What users see: data, chunks, catalog views, plans.
answers() {
  sql -d "$1" <<'SQL'
SELECT count(*), sum(v), count(DISTINCT tableoid) FROM metrics;
SELECT count(*), sum(v) FROM metrics WHERE time >= '2024-01-03' AND time < '2024-01-05';
SELECT string_agg(c::text, ',' ORDER BY c::text) FROM show_chunks('metrics', older_than => '2024-01-05'::timestamptz) c;
SELECT hypertable_name, num_chunks, primary_dimension FROM strata_information.hypertables ORDER BY 1;
SELECT hypertable_name, chunk_name, range_start, range_end, range_start_integer FROM strata_information.chunks ORDER BY 1, 2;
SELECT hypertable_name, column_name, time_interval, integer_interval, integer_now_func FROM strata_information.dimensions ORDER BY 1;
SELECT job_id, application_name, proc_name, schedule_interval, config, hypertable_name FROM strata_information.jobs ORDER BY 1;
SELECT count(*), sum(id) FROM events WHERE id < 2500;
EXPLAIN (COSTS OFF) SELECT * FROM metrics WHERE time >= '2024-01-03' AND time < '2024-01-04';
SQL
}

sql -q -c "CREATE DATABASE fresh"
sql -q -d fresh -c "CREATE EXTENSION strata"
check "a fresh install is version $CURRENT" "$CURRENT" "$(sql -d fresh -c "SELECT extversion FROM pg_extension WHERE extname = 'strata'")"
objects fresh >"$TEST_DIR/fresh.objects"

for f in "$ROOT"/test/update/strata--*.sql; do
  old=$(basename "$f" .sql); old=${old#strata--}
  db=from_${old//[.-]/_}
  sql -q -c "CREATE DATABASE $db"
  sql -q -d "$db" -c "CREATE EXTENSION strata VERSION '$old'"
  sql -q -d "$db" <<'SQL' >/dev/null
CREATE TABLE metrics (time timestamptz NOT NULL, device text, v double precision);
SELECT create_hypertable('metrics', by_range('time', INTERVAL '1 day'));
CREATE INDEX metrics_device_time ON metrics (device, time DESC);
INSERT INTO metrics SELECT '2024-01-01'::timestamptz + i * interval '10 minutes', 'd' || (i % 7), i
  FROM generate_series(0, 1439) i;
CREATE TABLE events (id bigint NOT NULL, payload text);
SELECT create_hypertable('events', 'id', chunk_time_interval => 1000);
INSERT INTO events SELECT i, 'e' || i FROM generate_series(1, 2499) i;
CREATE FUNCTION events_now() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT 2500::bigint $$;
SELECT set_integer_now_func('events', 'events_now');
SELECT add_retention_policy('metrics', drop_after => INTERVAL '100 years', initial_start => now() + INTERVAL '1 day');
CREATE TABLE ticks (at timestamptz);
CREATE PROCEDURE tick(job_id integer, config jsonb) LANGUAGE sql AS $$ INSERT INTO public.ticks VALUES (now()) $$;
SELECT add_job('tick', INTERVAL '1 hour', initial_start => now() + INTERVAL '1 day');
SQL
  answers "$db" >"$TEST_DIR/$db.before"
  sql -q -d "$db" -c "ALTER EXTENSION strata UPDATE" || { echo "FAIL: ALTER EXTENSION strata UPDATE from $old"; exit 1; }
  check "$old: updated to $CURRENT" "$CURRENT" "$(sql -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'strata'")"
  answers "$db" >"$TEST_DIR/$db.after"
  check "$old: every answer the same after the update" "" "$(diff "$TEST_DIR/$db.before" "$TEST_DIR/$db.after")"
  objects "$db" >"$TEST_DIR/$db.objects"
  check "$old: the same objects and definitions as a fresh $CURRENT install" "" \
    "$(diff "$TEST_DIR/fresh.objects" "$TEST_DIR/$db.objects")"
  # Still routes into new chunks, excludes at run time, and has the new functions.
  check "$old: new chunk after the update" "1" \
    "$(sql -d "$db" -c "INSERT INTO metrics VALUES ('2024-02-01', 'd1', 1)" -c "SELECT count(*) FROM show_chunks('metrics', newer_than => '2024-01-31'::timestamptz)" | tail -1)"
  check "$old: first/last after the update" "0|1439" \
    "$(sql -d "$db" -c "SELECT first(v, time)::int || '|' || last(v, time)::int FROM metrics WHERE time < '2024-01-31'")"
  check "$old: hypertable_index_size after the update" "t" \
    "$(sql -d "$db" -c "SELECT hypertable_index_size('metrics_device_time') > pg_relation_size('metrics_device_time')")"
  # The scheduler keeps running the database's jobs.
  sql -q -d "$db" -c "SELECT alter_job(job_id, next_start => now()) FROM strata_information.jobs WHERE proc_name = 'tick'" >/dev/null
  ran=f
  for _ in $(seq 100); do
    ran=$(sql -d "$db" -c "SELECT count(*) > 0 FROM ticks")
    [ "$ran" = t ] && break
    sleep 0.2
  done
  check "$old: a job runs after the update" t "$ran"
done
echo PASS
