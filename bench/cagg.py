#!/usr/bin/env python3
"""Continuous aggregate benchmark (run by bench/cagg.sh, or directly against a cluster that
preloads strata): the fleet status table (bench/workloads/fleet's generate.sql and schema.sql,
sized by bench/workloads/cagg/workload.conf) with an hourly aggregate by account and status
(count), against plain PostgreSQL 15 in the same run. Figures are medians of --runs runs:

  full refresh            CALL refresh_continuous_aggregate(...) of a fresh aggregate, vs
                          REFRESH MATERIALIZED VIEW of the same aggregation on the plain table
  refresh after late rows 1% of the rows written late, in a few bursts at random points of the
                          range; the refresh that follows, as a share of the full refresh
  aggregate query         one account, 24 hours, from the aggregate vs from the plain matview
  full refresh, INSERT ... SELECT   the same with strata.cagg_refresh_parallel = off (the
                          aggregation as the SELECT of an INSERT ... SELECT, never parallel)
  full refresh from the columnstore   the raw chunks compressed (segmentby account_id, orderby
                          timestamp), a fresh aggregate refreshed whole, vs REFRESH MATERIALIZED VIEW
                          (at the end of the run; --skip-columnstore leaves it out)
  real-time query         the aggregate materialized up to the newest --tail_hours, real-time
                          aggregation above: one account, and the whole fleet, hourly; vs the
                          same aggregation of the raw rows on the plain table
  COPY                    into a hypertable with the aggregate defined vs without (rows/s)
  planning                the real-time view vs its materialization alone, with 1,000 raw chunks
"""

import argparse
import configparser
import datetime
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402  (psql helpers)
from harness import psql, psql_value, BenchError, log  # noqa: E402

BENCH = Path(__file__).resolve().parent
WL = BENCH / "workloads" / "cagg"
FLEET = BENCH / "workloads" / "fleet"
PLAIN_DB = "strata_bench_cagg_plain"
STRATA_DB = "strata_bench_cagg_strata"

AGG_SELECT = ("SELECT {bucket} AS bucket, account_id, status, count(*) AS n "
              "FROM {table} GROUP BY 1, 2, 3")


def load_vars(scale):
    conf = configparser.ConfigParser(inline_comment_prefixes=None)
    conf.read(WL / "workload.conf")
    v = dict(conf["common"])
    v.update(conf[scale])
    return v


def timed(db, sql, variables=None):
    """Runs `sql` in a fresh psql with \\timing; returns the milliseconds of its last statement."""
    out = psql(db, "\\timing on\n\\o /dev/null\n" + sql + "\n", variables)
    times = harness.timings_ms(out)
    if not times:
        raise BenchError(f"no timing for: {sql}")
    return times[-1]


# The backend's time on a CPU so far (ns), from Linux's /proc/self/schedstat (NULL elsewhere):
# on a machine shared with other jobs, wall-clock times vary by 2x between runs while the CPU
# time a statement takes varies far less, so the refresh figures give both.
CPU_NS = "SELECT 'cpu_ns=' || coalesce(split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1), '');"


def timed_cpu(db, sql, variables=None):
    """Like timed(), and the backend's CPU milliseconds over `sql` (None when not available)."""
    out = psql(db, CPU_NS + "\n\\timing on\n\\o /dev/null\n" + sql + "\n\\o\n\\timing off\n" + CPU_NS + "\n", variables)
    times = harness.timings_ms(out)
    if not times:
        raise BenchError(f"no timing for: {sql}")
    cpu = [int(x) for x in harness.re.findall(r"cpu_ns=([0-9]+)", out)]
    return times[-1], (cpu[1] - cpu[0]) / 1e6 if len(cpu) == 2 else None


def ratio_or_none(xs, ys):
    return med(xs) / med(ys) if xs and ys else None


def med(xs):
    return statistics.median(xs) if xs else None


def ensure_csv(v, data_dir):
    key = harness.hashlib.sha256((FLEET / "generate.sql").read_bytes() +
                                 json.dumps({k: v[k] for k in ("accounts", "devices", "hours", "start")},
                                            sort_keys=True).encode()).hexdigest()[:12]
    path = data_dir / f"cagg-{key}.csv"
    if not path.exists():
        log(f"generating data into {path}")
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as out:
            psql(PLAIN_DB, harness.include(FLEET / "generate.sql"), v, stdout=out)
        tmp.rename(path)
    with open(path) as f:
        rows = sum(1 for _ in f)
    return path, rows


def copy_into(db, schema, csv_path, rows):
    start = time.monotonic()
    psql(db, f"SET search_path = {schema}, public;\n\\copy device_state FROM '{csv_path}' WITH (FORMAT csv)\n")
    seconds = time.monotonic() - start
    n = int(psql_value(db, f"SELECT count(*) FROM {schema}.device_state"))
    if n != rows:
        raise BenchError(f"{schema}: {n} rows after COPY, expected {rows}")
    return rows / seconds


def create_cagg(db, schema, materialized_only=True):
    select = AGG_SELECT.format(bucket="time_bucket(interval '1 hour', \"timestamp\")", table="device_state")
    psql(db, f"""SET client_min_messages = warning;
SET search_path = {schema}, public;
DROP MATERIALIZED VIEW IF EXISTS fleet_hourly;
CREATE MATERIALIZED VIEW fleet_hourly WITH (timescaledb.continuous,
  timescaledb.materialized_only = {str(materialized_only).lower()}) AS
  {select}
  WITH NO DATA;
""")


def late_rows_sql(v, total_rows, rnd, run):
    """Bursts of late reports: copies of existing reports, one second later (never a duplicate
    key: a device reports every 2 minutes), of every device within a few minutes at random points."""
    per_batch = int(total_rows * float(v["late_share"])) // int(v["late_batches"])
    per_minute = int(v["devices"]) / 2
    minutes = max(1, round(per_batch / per_minute))
    hours = int(v["hours"])
    stmts = []
    for _ in range(int(v["late_batches"])):
        at = rnd.randrange(0, hours * 60 - minutes)
        stmts.append(
            f"INSERT INTO device_state SELECT \"timestamp\" + interval '{run} second', account_id, device_id, colo,"
            f" status, mode, client_version, client_platform FROM device_state"
            f" WHERE \"timestamp\" >= '{v['start']}'::timestamptz + interval '{at} minutes'"
            f" AND \"timestamp\" < '{v['start']}'::timestamptz + interval '{at + minutes} minutes';")
    return "\n".join(stmts) + "\n"


def run_query_pair(variables, q_strata, q_plain, runs):
    """Each query once per round on each side (alternating order); results compared once."""
    sessions = {"strata": harness.Session(STRATA_DB, variables), "plain": harness.Session(PLAIN_DB, variables)}
    preamble = (WL / "queries.sql").read_text()
    times = {"strata": [], "plain": []}
    try:
        outs = {}
        for name, s in sessions.items():
            s.run("\\pset format unaligned\n\\pset pager off\n" + preamble)
            outs[name] = s.run((q_strata if name == "strata" else q_plain) + "\n")
        same = outs["strata"] == outs["plain"]
        for i in range(runs):
            order = ["strata", "plain"] if i % 2 == 0 else ["plain", "strata"]
            for name in order:
                q = q_strata if name == "strata" else q_plain
                out = sessions[name].run(f"\\o /dev/null\n\\timing on\n{q}\n\\timing off\n\\o\n")
                times[name] += harness.timings_ms(out)
    finally:
        for s in sessions.values():
            s.close()
    return med(times["strata"]), med(times["plain"]), same


def planning_figure(runs, chunks=1000):
    psql(STRATA_DB, f"""SET client_min_messages = warning;
DROP SCHEMA IF EXISTS plan CASCADE;
CREATE SCHEMA plan;
SET search_path = plan, public;
CREATE TABLE m (time timestamptz NOT NULL, v int);
SELECT create_hypertable('m', by_range('time', interval '1 hour'));
INSERT INTO m SELECT '2026-01-01'::timestamptz + g * interval '1 hour', 1 FROM generate_series(0, {chunks - 1}) g;
CREATE MATERIALIZED VIEW rt WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('1 hour', time) AS bucket, count(*) AS n, sum(v) AS s FROM m GROUP BY 1 WITH NO DATA;
CALL refresh_continuous_aggregate('rt', NULL, '2026-01-01'::timestamptz + interval '{chunks - 6} hours');
ANALYZE;
""")
    mat = psql_value(STRATA_DB, "SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)"
                                " FROM strata_information.continuous_aggregates WHERE view_name = 'rt'")
    q_rt = "EXPLAIN (SUMMARY) SELECT * FROM plan.rt WHERE bucket >= '2026-01-20';\n"
    q_mat = f"EXPLAIN (SUMMARY) SELECT * FROM {mat} WHERE bucket >= '2026-01-20';\n"
    out = psql(STRATA_DB, (q_rt + q_mat) * (runs + 1))
    t = [float(x) for x in harness.re.findall(r"Planning Time: ([0-9.]+) ms", out)]
    rt, mt = t[2::2], t[3::2]
    return med(rt), med(mt)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", default="small", choices=["tiny", "small", "small_open", "full"])
    p.add_argument("--runs", type=int, default=3, help="runs of each refresh and COPY figure")
    p.add_argument("--query-runs", type=int, default=15, help="timed runs of each query")
    p.add_argument("--results-dir", type=Path, default=BENCH / "results")
    p.add_argument("--data-dir", type=Path, default=BENCH / "data")
    p.add_argument("--skip-planning", action="store_true")
    p.add_argument("--skip-columnstore", action="store_true", help="no full refresh from compressed raw chunks")
    p.add_argument("--refresh-only", action="store_true",
                   help="only the refresh figures (one COPY to load, no queries, no planning figure)")
    args = p.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    v = load_vars(args.scale)
    rnd = random.Random(15)
    started = time.monotonic()

    harness.recreate_database(PLAIN_DB, harness.Target("plain", "", False, False))
    harness.recreate_database(STRATA_DB, harness.Target("strata", "", True, True))
    csv_path, rows = ensure_csv(v, args.data_dir)
    log(f"{rows} rows")

    # Tables: plain.public; strata: public (with the aggregate) and nocagg (without).
    schema_sql = harness.include(FLEET / "schema.sql")
    psql(PLAIN_DB, "SET client_min_messages = warning;\n" + schema_sql, dict(v, hypertable="false"))
    psql(STRATA_DB, "SET client_min_messages = warning;\n" + schema_sql, dict(v, hypertable="true"))
    psql(STRATA_DB, "SET client_min_messages = warning;\nCREATE SCHEMA nocagg;\nSET search_path = nocagg, public;\n"
         + schema_sql, dict(v, hypertable="true"))
    create_cagg(STRATA_DB, "public")

    # COPY with and without the aggregate, alternating; the last round's rows stay.
    copy = {"with": [], "without": []}
    for r in range(1 if args.refresh_only else args.runs):
        kinds = ["without", "with"] if r % 2 == 0 else ["with", "without"]
        for kind in (["with"] if args.refresh_only else kinds):
            schema = "public" if kind == "with" else "nocagg"
            if r > 0:
                psql(STRATA_DB, f"TRUNCATE {schema}.device_state;\n")
            copy[kind].append(copy_into(STRATA_DB, schema, csv_path, rows))
            log(f"COPY {kind} aggregate: {copy[kind][-1]:,.0f} rows/s")
    psql(PLAIN_DB, f"\\copy device_state FROM '{csv_path}' WITH (FORMAT csv)\n")
    psql(STRATA_DB, "DROP SCHEMA nocagg CASCADE;\nVACUUM ANALYZE;\n")
    psql(PLAIN_DB, "VACUUM ANALYZE;\n")

    # Full refresh: a fresh aggregate refreshed whole, vs REFRESH MATERIALIZED VIEW.
    psql(PLAIN_DB, "CREATE MATERIALIZED VIEW fleet_hourly AS "
         + AGG_SELECT.format(bucket="date_trunc('hour', \"timestamp\")", table="device_state")
         + " WITH NO DATA;\nCREATE INDEX ON fleet_hourly (account_id, status, bucket DESC);\n")
    full = {"strata": [], "plain": [], "insert_select": []}
    full_cpu = {"strata": [], "plain": [], "insert_select": []}

    def measure(into, cpu_into, key, db, sql):
        ms, cpu = timed_cpu(db, sql)
        into[key].append(ms)
        if cpu is not None:
            cpu_into[key].append(cpu)

    for r in range(args.runs):
        create_cagg(STRATA_DB, "public")
        measure(full, full_cpu, "strata", STRATA_DB, "CALL refresh_continuous_aggregate('fleet_hourly', NULL, NULL);")
        measure(full, full_cpu, "plain", PLAIN_DB, "REFRESH MATERIALIZED VIEW fleet_hourly;")
        create_cagg(STRATA_DB, "public")
        measure(full, full_cpu, "insert_select", STRATA_DB, "SET strata.cagg_refresh_parallel = off;\n"
                "CALL refresh_continuous_aggregate('fleet_hourly', NULL, NULL);")
        log(f"full refresh: strata {full['strata'][-1]:.0f} ms, plain {full['plain'][-1]:.0f} ms,"
            f" strata with INSERT ... SELECT {full['insert_select'][-1]:.0f} ms; CPU ms {[x[-1] for x in full_cpu.values() if x]}")

    # Late rows, then a refresh (and the plain matview refreshed too, for the queries).
    late = []
    late_cpu = {"strata": []}
    late_rows = 0
    # What the refresh must re-read: the raw rows in the invalidated buckets (and in the raw
    # chunks holding them, which a time filter without an index on time scans whole).
    reread_sql = ("SELECT round(count(*) FILTER (WHERE EXISTS (SELECT FROM inv WHERE \"timestamp\" >= lo AND \"timestamp\" < hi))"
                  " / count(*)::numeric, 4), round(count(*) FILTER (WHERE EXISTS (SELECT FROM inv"
                  " WHERE \"timestamp\" >= time_bucket(:'chunk_interval'::interval, lo)"
                  " AND \"timestamp\" < time_bucket(:'chunk_interval'::interval, hi - interval '1 microsecond')"
                  " + :'chunk_interval'::interval)) / count(*)::numeric, 4) FROM device_state")
    inv_cte = ("WITH inv AS (SELECT time_bucket('1 hour', _strata_internal.to_timestamptz(lowest)) AS lo,"
               " time_bucket('1 hour', _strata_internal.to_timestamptz(greatest)) + interval '1 hour' AS hi"
               " FROM _strata_catalog.continuous_agg_invalidation) ")
    reread = []
    for r in range(args.runs):
        sql = late_rows_sql(v, rows, rnd, r + 1)
        psql(STRATA_DB, sql)
        psql(PLAIN_DB, sql)
        shares = psql(STRATA_DB, "\\pset tuples_only on\n\\pset format unaligned\n" + inv_cte + reread_sql + ";\n",
                      v).strip().split("|")
        reread.append([float(x) for x in shares])
        ms, cpu = timed_cpu(STRATA_DB, "CALL refresh_continuous_aggregate('fleet_hourly', NULL, NULL);")
        late.append(ms)
        if cpu is not None:
            late_cpu["strata"].append(cpu)
        log(f"refresh after late rows: {late[-1]:.0f} ms (CPU {cpu} ms) (rows in invalidated buckets: {shares[0]},"
            f" in their raw chunks: {shares[1]})")
    late_rows = int(psql_value(STRATA_DB, "SELECT count(*) FROM device_state")) - rows
    psql(PLAIN_DB, "REFRESH MATERIALIZED VIEW fleet_hourly;\nANALYZE;\n")
    psql(STRATA_DB, "ANALYZE;\n")

    figures = {}
    if args.refresh_only:
        args.skip_planning = True
    q_agg = ("SELECT bucket, status, n FROM fleet_hourly WHERE account_id = :account"
             " AND bucket >= :day_from AND bucket < :day_to ORDER BY 1, 2;")
    if not args.refresh_only:
        figures["aggregate_query"] = run_query_pair(v, q_agg, q_agg, args.query_runs)
        log(f"aggregate query: {figures['aggregate_query']}")

    # Real-time: materialized up to the newest tail_hours.
    create_cagg(STRATA_DB, "public", materialized_only=False)
    tail_start = f"'{v['start']}'::timestamptz + interval '{int(v['hours']) - int(v['tail_hours'])} hours'"
    psql(STRATA_DB, f"CALL refresh_continuous_aggregate('fleet_hourly', NULL, {tail_start});\nANALYZE;\n")
    raw_one = ("SELECT date_trunc('hour', \"timestamp\") AS bucket, status, count(*) AS n FROM device_state"
               " WHERE account_id = :account GROUP BY 1, 2 ORDER BY 1, 2;")
    rt_one = "SELECT bucket, status, n FROM fleet_hourly WHERE account_id = :account ORDER BY 1, 2;"
    raw_all = ("SELECT date_trunc('hour', \"timestamp\") AS bucket, status, count(*) AS n FROM device_state"
               " GROUP BY 1, 2 ORDER BY 1, 2;")
    rt_all = "SELECT bucket, status, sum(n)::bigint AS n FROM fleet_hourly GROUP BY 1, 2 ORDER BY 1, 2;"
    if not args.refresh_only:
        figures["realtime_one_account"] = run_query_pair(v, rt_one, raw_one, args.query_runs)
        log(f"real-time one account: {figures['realtime_one_account']}")
        figures["realtime_fleet"] = run_query_pair(v, rt_all, raw_all, max(3, args.query_runs // 3))
        log(f"real-time fleet: {figures['realtime_fleet']}")

    planning = (None, None) if args.skip_planning else planning_figure(args.query_runs)
    log(f"planning with 1,000 raw chunks: real-time {planning[0]} ms, materialization {planning[1]} ms")

    # Full refresh from the columnstore: the raw chunks compressed, a fresh aggregate each run
    # (its result compared with the plain matview's once).
    columnstore = {"strata": [], "plain": []}
    columnstore_cpu = {"strata": [], "plain": []}
    columnstore_same = None
    if not args.skip_columnstore:
        psql(STRATA_DB, "SET client_min_messages = warning;\n"
             "ALTER TABLE device_state SET (timescaledb.compress, timescaledb.compress_segmentby = 'account_id',"
             " timescaledb.compress_orderby = '\"timestamp\"');\n"
             "SELECT count(compress_chunk(c)) FROM show_chunks('device_state') c;\nANALYZE;\n")
        for r in range(args.runs):
            create_cagg(STRATA_DB, "public")
            measure(columnstore, columnstore_cpu, "strata", STRATA_DB,
                    "CALL refresh_continuous_aggregate('fleet_hourly', NULL, NULL);")
            measure(columnstore, columnstore_cpu, "plain", PLAIN_DB, "REFRESH MATERIALIZED VIEW fleet_hourly;")
            log(f"full refresh from the columnstore: strata {columnstore['strata'][-1]:.0f} ms,"
                f" plain {columnstore['plain'][-1]:.0f} ms; CPU ms {[x[-1] for x in columnstore_cpu.values() if x]}")
        check = "SELECT md5(string_agg(format('%s|%s|%s|%s', bucket, account_id, status, n), ',' ORDER BY bucket, account_id, status)) FROM fleet_hourly"
        columnstore_same = psql_value(STRATA_DB, check) == psql_value(PLAIN_DB, check)

    result = {
        "workload": "cagg", "scale": args.scale, "rows": rows, "late_rows": late_rows, "parameters": v,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.monotonic() - started, 1),
        "copy_rows_per_s": {k: med(x) for k, x in copy.items()},
        "copy_with_over_without": med(copy["with"]) / med(copy["without"]) if copy["without"] else None,
        "full_refresh_ms": {k: med(x) for k, x in full.items()},
        "full_refresh_over_plain": med(full["strata"]) / med(full["plain"]),
        "full_refresh_insert_select_over_plain": med(full["insert_select"]) / med(full["plain"]),
        "columnstore_full_refresh_ms": {k: med(x) for k, x in columnstore.items()},
        "columnstore_full_refresh_over_plain": (med(columnstore["strata"]) / med(columnstore["plain"])
                                                if columnstore["strata"] else None),
        "columnstore_results_identical": columnstore_same,
        "cpu_ms": {"full": {k: med(x) for k, x in full_cpu.items()}, "late": med(late_cpu["strata"]),
                   "columnstore": {k: med(x) for k, x in columnstore_cpu.items()}},
        "cpu_full_refresh_over_plain": ratio_or_none(full_cpu["strata"], full_cpu["plain"]),
        "cpu_late_refresh_over_full": ratio_or_none(late_cpu["strata"], full_cpu["strata"]),
        "cpu_columnstore_full_refresh_over_plain": ratio_or_none(columnstore_cpu["strata"], columnstore_cpu["plain"]),
        "late_refresh_ms": med(late),
        "late_refresh_over_full": med(late) / med(full["strata"]),
        "late_share_of_rows_in_invalidated_buckets": med([x[0] for x in reread]),
        "late_share_of_rows_in_their_chunks": med([x[1] for x in reread]),
        "queries": {k: {"strata_ms": s, "plain_ms": pl, "ratio": s / pl, "results_identical": same}
                    for k, (s, pl, same) in figures.items()},
        "planning_ms": {"realtime_view": planning[0], "materialization": planning[1],
                        "ratio": planning[0] / planning[1] if planning[0] else None},
        "runs": {"copy": copy, "full": full, "late": late, "columnstore": columnstore,
                 "cpu": {"full": full_cpu, "late": late_cpu, "columnstore": columnstore_cpu}},
    }
    suffix = "-refresh" if args.refresh_only else ""
    out = args.results_dir / f"{datetime.date.today().isoformat()}-cagg-{args.scale}{suffix}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    f = harness.fmt
    print(f"\n**continuous aggregates** ({args.scale} scale, {rows:,} rows, {late_rows:,} late rows)\n")
    print("| figure | strata | plain PostgreSQL | ratio |\n|---|---|---|---|")
    print(f"| full refresh (ms) | {f(result['full_refresh_ms']['strata'])} | {f(result['full_refresh_ms']['plain'])}"
          f" (REFRESH MATERIALIZED VIEW) | {f(result['full_refresh_over_plain'])} |")
    print(f"| full refresh with INSERT ... SELECT (strata.cagg_refresh_parallel = off) (ms) |"
          f" {f(result['full_refresh_ms']['insert_select'])} | {f(result['full_refresh_ms']['plain'])} |"
          f" {f(result['full_refresh_insert_select_over_plain'])} |")
    if columnstore["strata"]:
        print(f"| full refresh from the columnstore (ms){'' if columnstore_same else ' (RESULTS DIFFER)'} |"
              f" {f(result['columnstore_full_refresh_ms']['strata'])} |"
              f" {f(result['columnstore_full_refresh_ms']['plain'])} | {f(result['columnstore_full_refresh_over_plain'])} |")
    print(f"| refresh after 1% late rows (ms) | {f(result['late_refresh_ms'])} | - |"
          f" {f(result['late_refresh_over_full'])} of a full refresh |")
    if result["cpu_full_refresh_over_plain"] is not None:
        c = result["cpu_ms"]
        print(f"| backend CPU: full refresh (ms) | {f(c['full']['strata'])} | {f(c['full']['plain'])} |"
              f" {f(result['cpu_full_refresh_over_plain'])} |")
        print(f"| backend CPU: refresh after 1% late rows (ms) | {f(c['late'])} | - |"
              f" {f(result['cpu_late_refresh_over_full'])} of a full refresh |")
        if result["cpu_columnstore_full_refresh_over_plain"] is not None:
            print(f"| backend CPU: full refresh from the columnstore (ms) | {f(c['columnstore']['strata'])} |"
                  f" {f(c['columnstore']['plain'])} | {f(result['cpu_columnstore_full_refresh_over_plain'])} |")
    print(f"| rows in the invalidated buckets / in their raw chunks, share of all rows |"
          f" {f(result['late_share_of_rows_in_invalidated_buckets'], 4)} / {f(result['late_share_of_rows_in_their_chunks'], 4)} | - | - |")
    names = {"aggregate_query": "query over the aggregate, one account, 24 h (vs matview)",
             "realtime_one_account": f"real-time, {v['tail_hours']} h raw tail, one account (vs raw query)",
             "realtime_fleet": f"real-time, {v['tail_hours']} h raw tail, whole fleet hourly (vs raw query)"}
    for k, q in result["queries"].items():
        print(f"| {names[k]} (ms){'' if q['results_identical'] else ' (RESULTS DIFFER)'} | {f(q['strata_ms'])}"
              f" | {f(q['plain_ms'])} | {f(q['ratio'])} |")
    print(f"| COPY with one aggregate vs without (rows/s) | {f(result['copy_rows_per_s']['with'])} |"
          f" {f(result['copy_rows_per_s']['without'])} (strata, no aggregate) | {f(result['copy_with_over_without'])} |")
    pm = result["planning_ms"]
    if pm["realtime_view"] is not None:
        print(f"| planning, real-time view vs its materialization, 1,000 raw chunks (ms) | {f(pm['realtime_view'], 3)}"
              f" | {f(pm['materialization'], 3)} (materialization) | {f(pm['ratio'])} |")
    log(f"figures written to {out}")
    ok = all(q["results_identical"] for q in result["queries"].values()) and columnstore_same is not False
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
