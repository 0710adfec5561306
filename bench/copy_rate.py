#!/usr/bin/env python3
"""COPY rate of a strata hypertable against a plain PostgreSQL table with the same indexes
(driven by bench/copy.sh): the devops and fleet workloads' data (bench/workloads/, the CSV that
bench/run.sh generates), loaded with `\\copy ... FROM` (CSV) into an empty table that already has
its indexes, several rounds rotating which target goes first; the figure is the median
rows/s of each target and their ratio (strata / plain, higher is better for strata).

Each round drops and recreates the table (the workload's schema.sql) and runs CHECKPOINT before
the timed COPY, so every COPY starts from the same state.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402


def backend_cpu(stat):
    """utime + stime of a /proc/<pid>/stat line, in seconds."""
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu(stat):
    """cutime + cstime of a /proc/<pid>/stat line (the postmaster's: its exited children, such as
    the parallel workers of an index build), in seconds."""
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def load(w, target, db, csv_path, env=None):
    """Times one COPY: (wall seconds, CPU seconds of the backend during the COPY, CPU seconds of
    the parallel workers that ended during it: a hypertable's deferred index builds may use them)."""
    variables = dict(w.vars, hypertable="true" if target.hypertable else "false")
    table = w.vars["table"]
    harness.psql(db, f"SET client_min_messages = warning;\nDROP TABLE IF EXISTS {table} CASCADE;\n"
                 + harness.include(w.file("schema.sql")) + "CHECKPOINT;\n", variables)
    # The backend's own CPU time before and after (the machine may be loaded: CPU time varies less
    # than wall time), read from /proc by the backend itself.
    stat = ("SELECT replace(pg_read_file('/proc/' || pg_backend_pid() || '/stat'), E'\\n', '') || '#' || "
            "replace(pg_read_file('/proc/' || split_part(pg_read_file('postmaster.pid'), E'\\n', 1) || '/stat'), "
            "E'\\n', '')")
    script = (f"\\pset tuples_only on\n\\pset format unaligned\n{stat};\n"
              f"\\copy {table} FROM '{csv_path}' WITH (FORMAT csv)\n{stat};\n")
    start = time.monotonic()
    out = harness.psql(db, script, env=env).strip().splitlines()
    wall = time.monotonic() - start
    (before, pm_before), (after, pm_after) = out[0].split("#"), out[-1].split("#")
    return wall, backend_cpu(after) - backend_cpu(before), children_cpu(pm_after) - children_cpu(pm_before)


def main():
    parser = argparse.ArgumentParser(description="COPY rate, strata hypertable vs plain table.")
    parser.add_argument("--scale", default="small", choices=["tiny", "small", "full"])
    parser.add_argument("--workload", default="all", choices=harness.DATA_WORKLOADS + ["all"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=harness.BENCH / "data")
    parser.add_argument("--json", type=Path, help="write every timing here")
    parser.add_argument("--per-row", action="store_true",
                        help="also time the hypertable with strata.copy_bulk_index_build = off")
    parser.add_argument("--split-off", action="store_true",
                        help="also time the hypertable with strata.copy_fast_split = off (PostgreSQL splits lines)")
    parser.add_argument("--presort-off", action="store_true",
                        help="also time the hypertable with strata.presorted_index_build = off (PostgreSQL's build sorts)")
    args = parser.parse_args()
    args.data_dir.mkdir(parents=True, exist_ok=True)
    targets = [t for t in harness.TARGETS if t.name in ("plain", "strata")]
    envs = {}
    if args.per_row:
        targets.append(harness.Target("per_row", "strata hypertable, per-row index inserts",
                                      extension=True, hypertable=True))
        envs["per_row"] = dict(os.environ, PGOPTIONS="-c strata.copy_bulk_index_build=off")
    if args.split_off:
        targets.append(harness.Target("split_off", "strata hypertable, PostgreSQL's line splitting",
                                      extension=True, hypertable=True))
        envs["split_off"] = dict(os.environ, PGOPTIONS="-c strata.copy_fast_split=off")
    if args.presort_off:
        targets.append(harness.Target("presort_off", "strata hypertable, index builds sorting for themselves",
                                      extension=True, hypertable=True))
        envs["presort_off"] = dict(os.environ, PGOPTIONS="-c strata.presorted_index_build=off")
    names = harness.DATA_WORKLOADS if args.workload == "all" else [args.workload]
    doc = {"scale": args.scale, "rounds": args.rounds, "workloads": {}}
    head = "| workload | rows | plain rows/s | strata rows/s | strata/plain |"
    if args.per_row:
        head += " strata per-row index inserts rows/s | per-row/plain |"
    if args.split_off:
        head += " strata split off rows/s | split off/plain |"
    if args.presort_off:
        head += " strata presort off rows/s | presort off/plain |"
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    chead = "| workload | plain backend CPU s | strata backend CPU s | plain/strata | strata parallel workers CPU s |"
    if args.per_row:
        chead += " per-row backend CPU s | plain/per-row |"
    if args.split_off:
        chead += " split off backend CPU s | plain/split off |"
    if args.presort_off:
        chead += " presort off backend CPU s | plain/presort off | presort off workers CPU s |"
    cpu_lines = [chead, "|---" * (chead.count("|") - 1) + "|"]
    for name in names:
        w = harness.Workload(name, args.scale)
        dbs = {t.name: f"strata_bench_copy_{name}_{t.name}" for t in targets}
        for t in targets:
            harness.recreate_database(dbs[t.name], t)
        csv_path, rows = harness.ensure_csv(w, dbs["plain"], args.data_dir)
        secs = {t.name: [] for t in targets}
        cpu = {t.name: [] for t in targets}
        workers = {t.name: [] for t in targets}
        for r in range(args.rounds):
            order = targets[r % len(targets):] + targets[:r % len(targets)]
            for t in order:
                s, c, wc = load(w, t, dbs[t.name], csv_path, envs.get(t.name))
                secs[t.name].append(s)
                cpu[t.name].append(c)
                workers[t.name].append(wc)
                harness.log(f"{name} round {r + 1} {t.name}: {rows / s:,.0f} rows/s, "
                            f"backend CPU {c:.2f} s, parallel workers' CPU {wc:.2f} s")
        rates = {k: [rows / s for s in v] for k, v in secs.items()}
        med = {k: statistics.median(v) for k, v in rates.items()}
        cmed = {k: statistics.median(v) for k, v in cpu.items()}
        doc["workloads"][name] = {"rows": rows, "rows_per_s": rates, "median": med,
                                  "ratio": med["strata"] / med["plain"], "backend_cpu_s": cpu,
                                  "backend_cpu_median": cmed, "workers_cpu_s": workers,
                                  "workers_cpu_median": {k: statistics.median(v) for k, v in workers.items()},
                                  "cpu_ratio": cmed["plain"] / cmed["strata"]}
        cpu_lines.append(f"| {name} | {cmed['plain']:.2f} | {cmed['strata']:.2f} | "
                         f"{cmed['plain'] / cmed['strata']:.2f} | "
                         f"{statistics.median(workers['strata']):.2f} |"
                         + (f" {cmed['per_row']:.2f} | {cmed['plain'] / cmed['per_row']:.2f} |"
                            if args.per_row else "")
                         + (f" {cmed['split_off']:.2f} | {cmed['plain'] / cmed['split_off']:.2f} |"
                            if args.split_off else "")
                         + (f" {cmed['presort_off']:.2f} | {cmed['plain'] / cmed['presort_off']:.2f} |"
                            f" {statistics.median(workers['presort_off']):.2f} |"
                            if args.presort_off else ""))
        line = (f"| {name} | {rows:,} | {med['plain']:,.0f} | {med['strata']:,.0f} | "
                f"{med['strata'] / med['plain']:.2f} |")
        if args.per_row:
            line += f" {med['per_row']:,.0f} | {med['per_row'] / med['plain']:.2f} |"
        if args.split_off:
            line += f" {med['split_off']:,.0f} | {med['split_off'] / med['plain']:.2f} |"
        if args.presort_off:
            line += f" {med['presort_off']:,.0f} | {med['presort_off'] / med['plain']:.2f} |"
        lines.append(line)
    if args.json:
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
    print("\n".join(lines))
    print()
    print("\n".join(cpu_lines))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except harness.BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
