#!/usr/bin/env bash
# Aggregation pushdown over compressed chunks (docs/BENCHMARKS.md, "Aggregates over compressed
# chunks"): a devops-like cpu table (hosts reporting every interval) as a plain PostgreSQL table
# and as a strata hypertable with every chunk compressed (segmentby hostname, orderby time DESC);
# count/sum/avg/max queries by nothing, by hostname and by time_bucket('1 hour'), each timed
# --runs times on the plain table and on the compressed hypertable with
# strata.enable_columnstore_agg_pushdown on and off, in one run on a throwaway cluster; prints the
# medians (ms) and the ratios plain / pushdown and off / pushdown (higher is better).
#
#   bench/columnstore_agg.sh [--hosts N] [--hours N] [--interval-s N] [--runs N] [--port N]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
hosts=100
hours=48
interval=30
runs=5
port=${BENCH_PORT:-55481}
while [ $# -gt 0 ]; do
  case $1 in
    --hosts) hosts=$2; shift ;;
    --hours) hours=$2; shift ;;
    --interval-s) interval=$2; shift ;;
    --runs) runs=$2; shift ;;
    --port) port=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=../scripts/lib.sh
source "$HERE/../scripts/lib.sh"
data=/tmp/strata-csaggbench-$port-data
stage_install
cluster_stop "$data"
rm -rf "$data" "$data.sock" "$data.log"
cluster_start "$data" "$port" "shared_buffers = 512MB" "work_mem = 64MB" "jit = off" "autovacuum = off"
trap 'cluster_stop "$data"; rm -rf "$data" "$data.sock"' EXIT
q() { psql_at "$data" "$port" -d postgres -qAt "$@"; }

q <<SQL
CREATE EXTENSION strata;
CREATE TABLE cpu_plain (time timestamptz NOT NULL, hostname text NOT NULL, usage_user float8,
                        usage_system float8, usage_idle float8, usage_iowait int8);
INSERT INTO cpu_plain
SELECT '2024-01-01'::timestamptz + s * interval '$interval seconds', 'host_' || h,
       round((50 + 40 * sin(s / 50.0 + h))::numeric, 2), round((random() * 30)::numeric, 2),
       round((random() * 100)::numeric, 2), (random() * 1000)::int8
FROM generate_series(0, $hours * 3600 / $interval - 1) s, generate_series(0, $hosts - 1) h;
CREATE INDEX ON cpu_plain (hostname, time DESC);
CREATE INDEX ON cpu_plain (time DESC);
CREATE TABLE cpu (LIKE cpu_plain);
SELECT count(*) FROM create_hypertable('cpu', by_range('time', interval '12 hours'));
CREATE INDEX ON cpu (hostname, time DESC);
INSERT INTO cpu SELECT * FROM cpu_plain;
ALTER TABLE cpu SET (timescaledb.compress, timescaledb.compress_segmentby = 'hostname',
                     timescaledb.compress_orderby = 'time DESC');
SELECT count(compress_chunk(c)) FROM show_chunks('cpu') c;
VACUUM ANALYZE cpu_plain;
VACUUM ANALYZE cpu;
SQL
log "$(q -c "SELECT count(*) FROM cpu_plain") rows, $hosts hosts"

q <<'SQL'
CREATE TABLE queries (id int, name text, q text);
INSERT INTO queries VALUES
  (1, 'count(*)', 'SELECT count(*) FROM %s'),
  (2, 'max-all', 'SELECT max(usage_user), min(usage_system), max(time) FROM %s'),
  (3, 'by hostname', 'SELECT hostname, count(*), sum(usage_user), avg(usage_user), max(usage_system) FROM %s GROUP BY hostname'),
  (4, 'by hour', 'SELECT time_bucket(''1 hour'', time) b, count(*), avg(usage_user), max(usage_user) FROM %s GROUP BY b'),
  (5, 'by hostname, hour', 'SELECT hostname, time_bucket(''1 hour'', time) b, avg(usage_user), max(usage_iowait) FROM %s GROUP BY 1, 2'),
  (6, 'one host', 'SELECT count(*), avg(usage_user), max(time) FROM %s WHERE hostname = ''host_7'''),
  (7, 'last 12 h by hour', 'SELECT time_bucket(''1 hour'', time) b, avg(usage_user), sum(usage_iowait) FROM %s WHERE time > ''2024-01-02 12:00+00'' GROUP BY b');
CREATE FUNCTION median_ms(q text, runs int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; ts float8[] := '{}';
BEGIN
  EXECUTE q;  -- warm
  FOR i IN 1..runs LOOP
    t0 := clock_timestamp();
    EXECUTE q;
    ts := ts || extract(epoch FROM clock_timestamp() - t0) * 1000;
  END LOOP;
  RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(ts) x);
END $$;
SQL

q <<'SQL'
CREATE FUNCTION bench(runs int) RETURNS TABLE (query text, plain_ms numeric, off_ms numeric, push_ms numeric,
                                              plain_over_push text, off_over_push text)
LANGUAGE plpgsql AS $$
DECLARE r record; p float8; o float8; c float8;
BEGIN
  PERFORM set_config('max_parallel_workers_per_gather', '0', false);
  FOR r IN SELECT * FROM queries ORDER BY id LOOP
    p := median_ms(format(r.q, 'cpu_plain'), runs);
    PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'off', false);
    o := median_ms(format(r.q, 'cpu'), runs);
    PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'on', false);
    c := median_ms(format(r.q, 'cpu'), runs);
    query := r.name; plain_ms := round(p::numeric, 1); off_ms := round(o::numeric, 1); push_ms := round(c::numeric, 1);
    plain_over_push := round((p / c)::numeric, 2) || 'x'; off_over_push := round((o / c)::numeric, 2) || 'x';
    RETURN NEXT;
  END LOOP;
END $$;
SQL
psql_at "$data" "$port" -d postgres -P pager=off -c "SELECT * FROM bench($runs)"
