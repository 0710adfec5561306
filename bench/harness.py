#!/usr/bin/env python3
"""Benchmark harness of strata (driven by bench/run.sh): loads each workload of
bench/workloads/ into every target (a plain PostgreSQL table and a strata hypertable), times
COPY, batched INSERTs, the workload's queries and planning, checks that every target returns the
same query results, prints the figures and writes them as JSON.

Everything a workload is (tables, data, queries, parameters per scale) lives in its directory;
this file only knows how to run them. Targets are listed in TARGETS: a later variant (compressed
chunks, continuous aggregates) is one more entry there, and shows up in every table of figures
with its ratio to the plain table.
"""

import argparse
import configparser
import csv
import datetime
import difflib
import hashlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORKLOADS = BENCH / "workloads"
DATA_WORKLOADS = ["devops", "fleet"]
ALL_WORKLOADS = DATA_WORKLOADS + ["insert", "planning"]
INSERT_BATCH_ROWS = 1000
INSERT_CLIENTS = 2
INSERT_SCHEMA = "bench_insert"


def pg_bindir():
    pg_config = os.environ.get("PG_CONFIG", "/usr/lib/postgresql/15/bin/pg_config")
    try:
        return subprocess.run([pg_config, "--bindir"], check=True, capture_output=True,
                              text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "/usr/lib/postgresql/15/bin"


PSQL = os.environ.get("PSQL") or os.path.join(pg_bindir(), "psql")
PGBENCH = os.environ.get("PGBENCH") or os.path.join(pg_bindir(), "pgbench")


@dataclass
class Target:
    """One way of storing a workload's table. The first target is the baseline of ratios."""
    name: str
    description: str
    extension: bool   # CREATE EXTENSION strata in its database
    hypertable: bool  # passed to schema.sql as :hypertable
    columnstore: bool = False  # after COPY, the workload's compress.sql compresses every chunk


TARGETS = [
    Target("plain", "PostgreSQL table", extension=False, hypertable=False),
    Target("strata", "strata hypertable", extension=True, hypertable=True),
    Target("columnstore", "strata hypertable, every chunk compressed", extension=True,
           hypertable=True, columnstore=True),
]


class BenchError(Exception):
    pass


def log(msg):
    print(f"==> {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# psql

def psql(db, script, variables=None, stdout=None, env=None):
    """Runs `script` (psql input) in database `db`; returns stdout as text unless redirected."""
    cmd = [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", "-"]
    for key, value in (variables or {}).items():
        cmd += ["-v", f"{key}={value}"]
    proc = subprocess.run(cmd, input=script, text=True, env=env,
                          stdout=stdout if stdout is not None else subprocess.PIPE,
                          stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise BenchError(f"psql failed in database {db}:\n{proc.stderr.strip()}")
    return proc.stdout if stdout is None else None


def psql_value(db, sql):
    return psql(db, f"\\pset tuples_only on\n\\pset format unaligned\n{sql};\n").strip()


def recreate_database(db, target):
    psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE);\nCREATE DATABASE "{db}";\n')
    if target.extension:
        psql(db, "SET client_min_messages = error;\nCREATE EXTENSION strata;\n")


def include(path):
    return f"\\i '{path}'\n"


# ---------------------------------------------------------------------------------------------
# workloads

class Workload:
    def __init__(self, name, scale):
        self.name = name
        self.scale = scale
        self.dir = WORKLOADS / name
        conf = configparser.ConfigParser(inline_comment_prefixes=None)
        conf.read(self.dir / "workload.conf")
        if scale not in conf:
            raise BenchError(f"workload {name} has no scale {scale}")
        self.vars = dict(conf["common"])
        self.vars.update(conf[scale])

    def file(self, name):
        return self.dir / name

    def queries(self, filename="queries.sql"):
        """(preamble, [(name, text)]) of a queries file: a "-- query: NAME" line starts each."""
        parts = re.split(r"^-- query: *(\S+)[ \t]*$", self.file(filename).read_text(), flags=re.M)
        return parts[0], [(parts[i], parts[i + 1].strip() + "\n") for i in range(1, len(parts), 2)]

    def data_key(self):
        """Identifies the generated data: changes with generate.sql or the scale's settings."""
        digest = hashlib.sha256(self.file("generate.sql").read_bytes())
        digest.update(json.dumps(self.vars, sort_keys=True).encode())
        return digest.hexdigest()[:12]


def timings_ms(output):
    return [float(m) for m in re.findall(r"^Time: ([0-9.]+) ms", output, flags=re.M)]


def median(values):
    return statistics.median(values) if values else None


def ratio(value, base):
    return value / base if value is not None and base else None


# ---------------------------------------------------------------------------------------------
# data workloads: devops, fleet

def ensure_csv(w, db, data_dir):
    path = data_dir / f"{w.name}-{w.scale}-{w.data_key()}.csv"
    if not path.exists():
        log(f"{w.name}: generating data into {path}")
        tmp = path.with_suffix(".tmp")
        start = time.monotonic()
        with open(tmp, "w") as out:
            psql(db, include(w.file("generate.sql")), w.vars, stdout=out)
        tmp.rename(path)
        log(f"{w.name}: generated in {time.monotonic() - start:.1f} s")
    with open(path) as f:
        rows = sum(1 for _ in f)
    return path, rows


def sql_literal(value):
    return "NULL" if value == "" else "'" + value.replace("'", "''") + "'"


def ensure_insert_files(w, csv_path, data_dir):
    """One file per client of 1,000-row multi-row INSERT statements (literal VALUES), taken from
    the start of the data in time order; client c gets batches c, c + 2, ..."""
    batches = int(w.vars["insert_batches"])
    files = [data_dir / f"{w.name}-{w.scale}-{w.data_key()}-insert-{c}.sql"
             for c in range(INSERT_CLIENTS)]
    if all(f.exists() for f in files):
        return files, sum(f.read_text().count("\n(") for f in files)
    outs = [open(f.with_suffix(".tmp"), "w") for f in files]
    total = 0
    try:
        with open(csv_path, newline="") as f:
            reader = csv.reader(f)
            for batch in range(batches * INSERT_CLIENTS):
                rows = []
                for row in reader:
                    rows.append("(" + ",".join(sql_literal(v) for v in row) + ")")
                    if len(rows) == INSERT_BATCH_ROWS:
                        break
                if not rows:
                    break
                outs[batch % INSERT_CLIENTS].write(
                    f"INSERT INTO {w.vars['table']} VALUES\n" + ",\n".join(rows) + ";\n")
                total += len(rows)
    finally:
        for out in outs:
            out.close()
    for f in files:  # complete files only: an interrupted run leaves .tmp files behind
        f.with_suffix(".tmp").rename(f)
    return files, total


def table_size_sql(table):
    # The table and every table inheriting from it (a hypertable's chunks), indexes and TOAST.
    return (f"WITH RECURSIVE tree(relid) AS (SELECT '{table}'::regclass::oid "
            "UNION ALL SELECT i.inhrelid FROM pg_inherits AS i JOIN tree ON i.inhparent = tree.relid) "
            "SELECT sum(pg_total_relation_size(relid))::bigint FROM tree")


def load_target(w, target, db, csv_path, expected_rows):
    variables = dict(w.vars, hypertable="true" if target.hypertable else "false")
    psql(db, "SET client_min_messages = warning;\n" + include(w.file("schema.sql")), variables)
    table = w.vars["table"]
    start = time.monotonic()
    psql(db, f"\\copy {table} FROM '{csv_path}' WITH (FORMAT csv)\n")
    copy_s = time.monotonic() - start
    compress = {}
    if target.columnstore:
        # The workload's compression settings, then compress_chunk on every chunk (timed).
        psql(db, "SET client_min_messages = warning;\n" + include(w.file("compress.sql")), w.vars)
        start = time.monotonic()
        compressed = int(psql_value(db, f"SELECT count(compress_chunk(c)) FROM show_chunks('{table}') AS c"))
        compress = {"compress_seconds": time.monotonic() - start, "compressed_chunks": compressed}
    start = time.monotonic()
    psql(db, "VACUUM (ANALYZE);\n")
    vacuum_s = time.monotonic() - start
    rows = int(psql_value(db, f"SELECT count(*) FROM {table}"))
    if rows != expected_rows:
        raise BenchError(f"{w.name}/{target.name}: {rows} rows after COPY, expected {expected_rows}")
    # Compressed chunks keep their rows in companion tables outside the inheritance tree:
    # hypertable_detailed_size counts them (and the chunks' emptied row parts).
    size_sql = (f"SELECT total_bytes FROM hypertable_detailed_size('{table}')" if target.columnstore
                else table_size_sql(table))
    return dict(compress, **{
        "copy_seconds": copy_s,
        "copy_rows_per_s": expected_rows / copy_s,
        "vacuum_analyze_seconds": vacuum_s,
        "total_bytes": int(psql_value(db, size_sql)),
        "chunks": int(psql_value(db, f"SELECT count(*) FROM pg_inherits WHERE inhparent = '{table}'::regclass")),
    })


class Session:
    """A psql session kept open across queries, so that timed runs of several targets can be
    interleaved without reconnecting (psql flushes stdout before reading each input line)."""
    DONE = "@@bench-session-done@@"

    def __init__(self, db, variables):
        self.db = db
        self.err = tempfile.TemporaryFile(mode="w+")
        cmd = [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db]
        for key, value in variables.items():
            cmd += ["-v", f"{key}={value}"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True)

    def run(self, script):
        self.proc.stdin.write(script + f"\n\\echo {self.DONE}\n")
        self.proc.stdin.flush()
        lines = []
        for line in self.proc.stdout:
            if line.rstrip("\n") == self.DONE:
                return "".join(lines)
            lines.append(line)
        self.proc.wait()
        self.err.seek(0)
        raise BenchError(f"psql failed in database {self.db}:\n{self.err.read().strip()}")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()
        self.err.close()


def run_queries(w, targets, dbs, runs, out_dir):
    """Per query: one run per target with its output saved (the warm-up), then `runs` timed
    rounds, each running the query once on every target (alternating which goes first)."""
    preamble, queries = w.queries()
    sessions = {t.name: Session(dbs[t.name], w.vars) for t in targets}
    figures = {t.name: {} for t in targets}
    outputs = {}
    try:
        for t in targets:
            sessions[t.name].run("\\pset format unaligned\n\\pset pager off\n" + preamble)
        for name, query in queries:
            outputs[name] = {}
            for t in targets:
                out_path = out_dir / f"{name}.{t.name}.out"
                sessions[t.name].run(f"\\o '{out_path}'\n{query}\\o\n")
                outputs[name][t.name] = out_path.read_text()
            times = {t.name: [] for t in targets}
            for i in range(runs):
                order = targets if i % 2 == 0 else list(reversed(targets))
                for t in order:
                    out = sessions[t.name].run(f"\\o /dev/null\n\\timing on\n{query}"
                                               "\\timing off\n\\o\n")
                    timing = timings_ms(out)
                    if len(timing) != 1:
                        raise BenchError(f"{w.name}: {name}: no timing in psql output: {out!r}")
                    times[t.name] += timing
            for t in targets:
                figures[t.name][name] = {"median_ms": median(times[t.name]),
                                         "runs_ms": times[t.name]}
    finally:
        for session in sessions.values():
            session.close()
    return queries, figures, outputs


def insert_target(w, target, db, files, expected_rows):
    variables = dict(w.vars, hypertable="true" if target.hypertable else "false")
    psql(db, f"SET client_min_messages = warning;\nCREATE SCHEMA {INSERT_SCHEMA};\n"
             f"SET search_path = {INSERT_SCHEMA}, public;\n" + include(w.file("schema.sql")),
         variables)
    env = dict(os.environ, PGOPTIONS=f"-c search_path={INSERT_SCHEMA},public")
    cmd = [PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-o", "/dev/null", "-f"]
    start = time.monotonic()
    procs = [subprocess.Popen(cmd + [str(f)], env=env, stderr=subprocess.PIPE, text=True)
             for f in files]
    errors = [p.communicate()[1] for p in procs]
    seconds = time.monotonic() - start
    for p, err in zip(procs, errors):
        if p.returncode != 0:
            raise BenchError(f"{w.name}/{target.name}: batched INSERT failed:\n{err.strip()}")
    rows = int(psql_value(db, f"SELECT count(*) FROM {INSERT_SCHEMA}.{w.vars['table']}"))
    if rows != expected_rows:
        raise BenchError(f"{w.name}/{target.name}: {rows} rows after INSERT, expected {expected_rows}")
    return {"insert_seconds": seconds, "insert_rows_per_s": expected_rows / seconds,
            "insert_rows": expected_rows}


def run_data_workload(w, targets, args, data_dir):
    dbs = {t.name: f"strata_bench_{w.name}_{t.name}" for t in targets}
    for t in targets:
        recreate_database(dbs[t.name], t)
    base_db = dbs[targets[0].name]
    csv_path, rows = ensure_csv(w, base_db, data_dir)
    insert_files, insert_rows = ensure_insert_files(w, csv_path, data_dir)
    figures = {t.name: {} for t in targets}

    for t in targets:
        log(f"{w.name}/{t.name}: COPY of {rows} rows")
        figures[t.name].update(load_target(w, t, dbs[t.name], csv_path, rows))

    out_dir = data_dir / f"results-{w.name}-{w.scale}"
    out_dir.mkdir(exist_ok=True)
    queries, query_figures, outputs = run_queries(w, targets, dbs, args.runs, out_dir)
    identical = {}
    for name, _ in queries:
        base = outputs[name][targets[0].name]
        identical[name] = all(o == base for o in outputs[name].values())
        result_rows = base.count("\n") - 2  # header and footer lines
        for t in targets:
            query_figures[t.name][name]["result_rows"] = result_rows
        if not identical[name]:
            for t in targets[1:]:
                diff = difflib.unified_diff(base.splitlines(), outputs[name][t.name].splitlines(),
                                            targets[0].name, t.name, lineterm="", n=1)
                log(f"{w.name}: {name}: results differ between {targets[0].name} and {t.name}:\n"
                    + "\n".join(list(diff)[:30]))
        log(f"{w.name}: {name}: " + ", ".join(
            f"{t.name} {query_figures[t.name][name]['median_ms']:.2f} ms" for t in targets)
            + ("" if identical[name] else "  RESULTS DIFFER"))
    for t in targets:
        figures[t.name]["queries"] = query_figures[t.name]

    if not args.skip_insert:
        # (The batched INSERT lands in uncompressed chunks: the columnstore target would measure
        # the row store again.)
        for t in (t for t in targets if not t.columnstore):
            log(f"{w.name}/{t.name}: batched INSERT of {insert_rows} rows")
            figures[t.name].update(insert_target(w, t, dbs[t.name], insert_files, insert_rows))

    base = figures[targets[0].name]
    ratios = {}
    for t in targets[1:]:
        f = figures[t.name]
        ratios[t.name] = {
            key: ratio(f.get(key), base.get(key))
            for key in ("copy_rows_per_s", "insert_rows_per_s", "total_bytes")
        }
        if "compress_seconds" in f:
            # compressing every chunk, relative to COPYing the same rows into the plain table
            ratios[t.name]["compress_seconds"] = ratio(f["compress_seconds"], base.get("copy_seconds"))
        ratios[t.name]["queries"] = {
            name: ratio(f["queries"][name]["median_ms"], base["queries"][name]["median_ms"])
            for name, _ in queries
        }
    return {
        "rows": rows,
        "parameters": w.vars,
        "targets": figures,
        "ratios": ratios,
        "results_identical": identical,
    }


# ---------------------------------------------------------------------------------------------
# insert workload: single-row INSERTs through a prepared statement (pgbench -M prepared)

def proc_stat(pid):
    """The fields of /proc/PID/stat after the command name (index 0 is the state), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def machine_ticks():
    """(busy, steal) clock ticks of all CPUs since boot from /proc/stat, or None."""
    try:
        f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal ...
    return f[0] + f[1] + f[2] + f[5] + f[6], f[7] if len(f) > 7 else 0


def postmaster_pid(db):
    """The server's postmaster process when it runs on this machine (its reaped children's CPU
    times are the backends' CPU), or None."""
    try:
        line = psql_value(db, "SELECT split_part(pg_read_file('postmaster.pid'), E'\\n', 1)")
        pid = int(line)
    except (BenchError, ValueError):
        return None
    return pid if proc_stat(pid) is not None else None


def backends_of(postmaster, db=None):
    """The pids of the postmaster's children serving database `db` (by their process titles), or
    every client's backend when `db` is None, zombies included."""
    tag = f" {db} ".encode() if db is not None else None
    pids = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        st = proc_stat(entry.name)
        if st is None or st[1] != str(postmaster):
            continue
        try:
            cmd = Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ") + b" "
        except OSError:
            continue
        if st[0] == "Z" or (tag in cmd if tag is not None else
                            re.match(rb"postgres: \S+ \S+ (\[local\]|\S+\(\d+\)) ", cmd) is not None):
            pids.add(int(entry.name))
    return pids


def reaped_ticks(postmaster, pids, deadline_s=10.0):
    """The postmaster's reaped children's CPU ticks (cutime + cstime), once the processes `pids`
    are reaped (a backend's times count for its parent when it is)."""
    end = time.monotonic() + deadline_s
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < end:
        time.sleep(0.02)
    st = proc_stat(postmaster)
    return int(st[13]) + int(st[14]) if st else None


def sched_sample(pids):
    """{pid: (last CPU, migrations)} of the processes (or threads) `pids` that still run."""
    out = {}
    for pid in pids:
        st = proc_stat(pid)
        try:
            sched = Path(f"/proc/{pid}/sched").read_text()
            mig = int(re.search(r"^se\.nr_migrations\s*:\s*(\d+)", sched, flags=re.M).group(1))
        except (OSError, AttributeError):
            mig = None
        if st is not None and len(st) > 36:
            out[pid] = (int(st[36]), mig, int(st[11]) + int(st[12]))
    return out


class Placement:
    """Where the run's backends and pgbench's threads ran, sampled while it runs: the share of
    samples in which the two backends (and the two client threads) were last on different CPUs, and
    their CPU migrations per thousand transactions. Two clients on two CPUs run best as two
    client-backend pairs, one per CPU (each wake-up local); a run whose processes share or swap
    CPUs pays cross-CPU wake-ups, which cost much more in a virtual machine."""

    def __init__(self):
        self.samples = {"backends": [], "clients": []}
        self.first = {}
        self.last = {}
        self.ticks = {}  # the last CPU ticks seen of each process

    def add(self, kind, pids):
        cur = sched_sample(pids)
        if len(cur) == 2:
            self.samples[kind].append(len({cpu for cpu, _, _ in cur.values()}) == 2)
        for pid, (_, mig, ticks) in cur.items():
            self.ticks[(kind, pid)] = ticks
            if mig is not None:
                self.first.setdefault((kind, pid), mig)
                self.last[(kind, pid)] = mig

    def figures(self, tx):
        res = {}
        for kind, seen in self.samples.items():
            if seen:
                res[f"{kind}_apart"] = sum(seen) / len(seen)
            migs = [self.last[k] - self.first[k] for k in self.last if k[0] == kind]
            if migs and tx:
                res[f"{kind}_migrations_per_1000_tx"] = 1000 * sum(migs) / tx
        return res


def checkpoints(db):
    """(checkpoints started, WAL bytes, full-page images) of the cluster so far."""
    row = psql_value(db, "SELECT b.checkpoints_timed + b.checkpoints_req, w.wal_bytes, w.wal_fpi "
                         "FROM pg_stat_bgwriter b, pg_stat_wal w")
    return tuple(int(x) for x in row.split("|"))


def pgbench_run(db, script, variables, clients, seconds, postmaster=None, pin=False):
    """Runs `script` for `seconds` with `clients` clients. Returns a dict: tps, and, when the
    server runs on this machine, the CPU microseconds per transaction of its backends (the
    postmaster's reaped children: the pgbench connections' backends), of pgbench itself, and of
    everything else on the machine in the meantime (other processes, WAL writer, interrupts: a
    load indicator), the steal time, and whether a checkpoint ran during it.

    With `pin` (the server on this machine), each client is a pgbench process of its own (-c 1),
    pinned with its backend to a CPU of its own: client i and its backend on the i-th CPU this
    process may use, so that the scheduler's placement of the processes, which differs from run to
    run, does not move the rate; the rate is the sum of the processes' rates."""
    base = [PGBENCH, "-n", "-M", "prepared", "-T", str(seconds), "-f", str(script)]
    for key, value in variables.items():
        base += ["-D", f"{key}={value}"]
    cpus = sorted(os.sched_getaffinity(0)) if pin else []
    if pin and (postmaster is None or len(cpus) < clients):
        raise BenchError("pinned insert runs need the server on this machine and a CPU per client")
    ckpt0 = checkpoints(db)
    tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
    # (every client's backend gone first: the psql sessions just before, say the database copy's)
    back0 = reaped_ticks(postmaster, backends_of(postmaster)) if postmaster else None
    mach0 = machine_ticks()
    self0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs, pids = [], set()
    if pin:
        for i in range(clients):
            cpu = cpus[i]
            procs.append(subprocess.Popen(base + ["-c", "1", "-j", "1", db], stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True,
                                          preexec_fn=lambda cpu=cpu: os.sched_setaffinity(0, {cpu})))
            # its backend: the new backend of the database that stays (pgbench first opens and
            # closes a connection of its own), pinned to the same CPU
            deadline = time.monotonic() + 5.0
            new, gone = set(), set()
            while not new and time.monotonic() < deadline and procs[-1].poll() is None:
                time.sleep(0.01)
                seen = backends_of(postmaster, db) - pids - gone
                time.sleep(0.2)
                alive = {pid for pid in seen if (proc_stat(pid) or ["Z"])[0] != "Z"}
                gone |= seen - alive
                new = alive
            for pid in new:
                try:
                    os.sched_setaffinity(pid, {cpu})
                except OSError as e:
                    for p in procs:
                        p.kill()
                    raise BenchError(f"cannot pin backend {pid} to CPU {cpu} (run as root or as the server's user): {e}")
            pids |= new
    else:
        procs.append(subprocess.Popen(base + ["-c", str(clients), "-j", str(clients), db], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    if postmaster:
        # the run's backends, once all have started (the connections come first)
        deadline = time.monotonic() + min(2.0, seconds / 2)
        while len(pids) < clients and time.monotonic() < deadline and procs[0].poll() is None:
            time.sleep(0.05)
            pids = backends_of(postmaster, db)
        place = Placement()
        while all(p.poll() is None for p in procs) and len(pids) == clients == 2:
            place.add("backends", pids)
            try:
                place.add("clients", [int(t) for p in procs for t in os.listdir(f"/proc/{p.pid}/task")])
            except OSError:
                pass
            time.sleep(0.25)
    outs = [p.communicate() for p in procs]
    self1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    back1 = reaped_ticks(postmaster, pids) if postmaster and len(pids) == clients else None
    mach1 = machine_ticks()
    results = [subprocess.CompletedProcess(base, p.returncode, o, e) for p, (o, e) in zip(procs, outs)]
    for proc in results:
        if proc.returncode != 0:
            raise BenchError(f"pgbench failed in database {db}:\n{proc.stderr.strip()}")
    tps, tx = 0.0, 0
    for proc in results:
        m = re.search(r"^tps = ([0-9.]+) \(without initial connection time\)", proc.stdout, flags=re.M)
        failed = re.search(r"^number of failed transactions: ([0-9]+)", proc.stdout, flags=re.M)
        done = re.search(r"^number of transactions actually processed: ([0-9]+)", proc.stdout, flags=re.M)
        if m is None or done is None or (failed and int(failed.group(1)) > 0):
            raise BenchError(f"pgbench in database {db}: no tps or failed transactions:\n{proc.stdout}")
        tps += float(m.group(1))
        tx += int(done.group(1))
    ckpt1 = checkpoints(db)
    run = {"tps": tps, "transactions": tx, "checkpoint": ckpt1[0] != ckpt0[0], "pinned": pin,
           "wal_bytes_per_tx": (ckpt1[1] - ckpt0[1]) / tx, "wal_fpi_per_tx": (ckpt1[2] - ckpt0[2]) / tx}
    client_us = ((self1.ru_utime + self1.ru_stime) - (self0.ru_utime + self0.ru_stime)) * 1e6
    run["client_cpu_us_per_tx"] = client_us / tx
    if postmaster and len(pids) == clients == 2:
        run.update(place.figures(tx))
    if back0 is not None and back1 is not None:
        backend_us = (back1 - back0) * tick_us
        # Other backends of the cluster that ended meanwhile count in the reaped times too: not a
        # figure of the run when they are well above the run's backends' own times seen last (the
        # last sample misses at most a sampling interval of each).
        seen = sum(v for k, v in place.ticks.items() if k[0] == "backends") * tick_us if len(pids) == 2 else None
        if seen is not None and backend_us > 1.15 * seen + clients * 0.3e6:
            run["backend_cpu_other_backends_us"] = backend_us - seen
            back1 = None
    if back0 is not None and back1 is not None:
        run["backend_cpu_us_per_tx"] = backend_us / tx
        if mach0 and mach1:
            busy_us = (mach1[0] - mach0[0]) * tick_us
            run["other_cpu_us_per_tx"] = max(0.0, busy_us - backend_us - client_us) / tx
            run["steal_ticks"] = mach1[1] - mach0[1]
    return run


def run_insert(w, targets, args):
    """Per target: the table with its indexes and :days days of data; then `runs` rounds, each
    running the prepared single-row INSERT for `seconds` on every target (alternating which goes
    first). The figures are the median rows/s of each target, the median of the per-round ratios
    (each round's targets ran within the same half minute, so a slow minute of the machine moves
    both), and, when the server runs on this machine, the median backend CPU per transaction.

    A CHECKPOINT before the rounds: afterwards a timed checkpoint is checkpoint_timeout away, and
    no round starts with some targets' pages needing full-page images and others' not. A round in
    which a checkpoint ran anyway (the first write of each page after it logs the whole page, so
    the target running then pays for it) is run again, at most `runs` times in all.

    Each run inserts into a fresh copy of the loaded database (unless --insert-keep-rows): a run
    adds hundreds of thousands of rows on an idle machine, and without the copy, every round would
    measure bigger tables than the one before, by as much as the machine was fast (the chunks'
    indexes gain a btree level at about 75,000 rows each, the plain table's much later)."""
    dbs = {t.name: f"strata_bench_insert_{t.name}" for t in targets}
    setup = {}
    for t in targets:
        recreate_database(dbs[t.name], t)
        variables = dict(w.vars, hypertable="true" if t.hypertable else "false")
        start = time.monotonic()
        psql(dbs[t.name], "SET client_min_messages = warning;\n" + include(w.file("schema.sql")), variables)
        psql(dbs[t.name], "VACUUM (ANALYZE);\n")
        setup[t.name] = {"setup_seconds": time.monotonic() - start,
                         "chunks": int(psql_value(dbs[t.name], f"SELECT count(*) FROM pg_inherits WHERE inhparent = '{w.vars['table']}'::regclass"))}
    bench_vars = {k: w.vars[k] for k in ("start", "days", "devices")}
    clients, seconds, runs = int(w.vars["clients"]), int(w.vars["seconds"]), int(w.vars["runs"])
    postmaster = postmaster_pid(dbs[targets[0].name])
    fresh = not args.insert_keep_rows
    run_db = {t.name: dbs[t.name] + "_run" if fresh else dbs[t.name] for t in targets}

    def one_run(t):
        if fresh:
            # (DROP DATABASE checkpoints; CREATE DATABASE ... TEMPLATE logs every page it copies,
            # so no page of the copy needs a full-page image in the run that follows)
            psql("postgres", f'DROP DATABASE IF EXISTS "{run_db[t.name]}" WITH (FORCE);\n')
            psql("postgres", f'CREATE DATABASE "{run_db[t.name]}" TEMPLATE "{dbs[t.name]}";\n')
        return pgbench_run(run_db[t.name], w.file("insert.pgbench"), bench_vars, clients, seconds, postmaster,
                           args.pin_insert)

    psql(dbs[targets[0].name], "CHECKPOINT;\n")
    rounds, repeated = [], 0
    while len(rounds) < runs:
        order = targets if len(rounds) % 2 == 0 else list(reversed(targets))
        this = {t.name: one_run(t) for t in order}
        note = ""
        if any(r["checkpoint"] for r in this.values()) and repeated < runs:
            repeated += 1
            note = " (a checkpoint ran: round repeated)"
        log(f"insert: round {len(rounds) + 1}: " + ", ".join(
            f"{t.name} {this[t.name]['tps']:,.0f} rows/s" +
            (f" ({this[t.name]['backend_cpu_us_per_tx']:.1f} us backend CPU a row" +
             (f", backends apart {this[t.name]['backends_apart']:.2f}" if "backends_apart" in this[t.name] else "") + ")"
             if "backend_cpu_us_per_tx" in this[t.name] else "")
            for t in targets) + note)
        if not note:
            rounds.append(this)
    figures = {}
    for t in targets:
        mine = [r[t.name] for r in rounds]
        figures[t.name] = dict(setup[t.name], insert_rows_per_s=median([r["tps"] for r in mine]),
                               runs_rows_per_s=[r["tps"] for r in mine], runs=mine)
        for key in ("backend_cpu_us_per_tx", "client_cpu_us_per_tx", "other_cpu_us_per_tx", "wal_bytes_per_tx",
                    "wal_fpi_per_tx", "backends_apart",
                    "clients_apart", "backends_migrations_per_1000_tx"):
            if any(key in r for r in mine):  # (a run may lack it: see pgbench_run)
                figures[t.name][key] = median([r[key] for r in mine if key in r])
    base = targets[0].name
    ratios = {}
    for t in targets[1:]:
        per_round = [ratio(r[t.name]["tps"], r[base]["tps"]) for r in rounds]
        ratios[t.name] = {"insert_rows_per_s": ratio(figures[t.name]["insert_rows_per_s"], figures[base]["insert_rows_per_s"]),
                          "insert_rows_per_s_rounds": per_round,
                          "insert_rows_per_s_round_median": median(per_round)}
        if "backend_cpu_us_per_tx" in figures[t.name] and "backend_cpu_us_per_tx" in figures[base]:
            per_round_cpu = [ratio(r[t.name]["backend_cpu_us_per_tx"], r[base]["backend_cpu_us_per_tx"]) for r in rounds
                             if "backend_cpu_us_per_tx" in r[t.name] and "backend_cpu_us_per_tx" in r[base]]
            ratios[t.name]["backend_cpu_round_median"] = median(per_round_cpu)
    return {"parameters": w.vars, "targets": figures, "ratios": ratios, "rounds_repeated": repeated,
            "pinned": bool(args.pin_insert), "fresh_copy_per_run": fresh}


# ---------------------------------------------------------------------------------------------
# planning workload

PLANNING_KINDS = [
    # (kind, which target's database, setup file)
    ("hypertable", "strata", "hypertable.sql"),
    ("inheritance", "plain", "inheritance.sql"),
    ("declarative", "plain", "declarative.sql"),
]


def run_planning(w, targets, args):
    by_name = {t.name: t for t in targets}
    dbs = {name: f"strata_bench_planning_{name}" for name in ("plain", "strata")}
    for name, db in dbs.items():
        recreate_database(db, by_name[name])
    kinds = [k for k in PLANNING_KINDS if k[0] != "hypertable" or by_name["strata"].extension]
    preamble, queries = w.queries("query.sql")
    (_, query), = queries
    runs = int(w.vars["runs"])
    figures = {}
    for n in [int(x) for x in w.vars["chunks"].split()]:
        row = {}
        for kind, target_name, setup in kinds:
            db = dbs[target_name]
            variables = dict(w.vars, n=n, name=f"{kind}_{n}")
            start = time.monotonic()
            psql(db, "SET client_min_messages = warning;\n\\o /dev/null\n" +
                 include(w.file(setup)), variables)
            setup_s = time.monotonic() - start
            psql(db, f"ANALYZE {kind}_{n};\n")
            output = psql(db, "\\pset format unaligned\n\\pset pager off\n" + preamble + "\n" +
                          query * (runs + 1), variables)
            plans = [p for p in output.split("QUERY PLAN\n") if p.strip()]
            times = [float(m) for m in re.findall(r"^Planning Time: ([0-9.]+) ms", output, flags=re.M)]
            if len(times) != runs + 1:
                raise BenchError(f"planning {kind}_{n}: expected {runs + 1} timings:\n{output}")
            scanned = len(re.findall(r"Scan on ", plans[-1]))
            row[kind] = {"setup_seconds": setup_s, "median_ms": median(times[1:]),
                         "runs_ms": times[1:], "relations_scanned": scanned}
            log(f"planning: {kind} of {n} chunks: created in {setup_s:.1f} s, planning "
                f"{row[kind]['median_ms']:.3f} ms, {scanned} relation(s) scanned")
        figures[str(n)] = row
    return {"parameters": w.vars, "chunks": figures}


# ---------------------------------------------------------------------------------------------
# reporting

def machine_info(targets):
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    settings = {}
    for line in psql_value("postgres", """
        SELECT string_agg(name || '=' || current_setting(name), E'\\n' ORDER BY name)
        FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'maintenance_work_mem',
          'effective_cache_size', 'max_parallel_workers_per_gather', 'max_worker_processes',
          'jit', 'fsync', 'synchronous_commit', 'full_page_writes', 'max_wal_size',
          'checkpoint_timeout', 'random_page_cost', 'shared_preload_libraries')""").splitlines():
        key, _, value = line.partition("=")
        settings[key] = value
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": mem_gb, "os": platform.platform(),
        "postgresql": psql_value("postgres", "SELECT version()"),
        "settings": settings, "strata_commit": commit,
        "targets": {t.name: t.description for t in targets},
    }


def fmt(value, digits=2):
    if value is None:
        return "-"
    if isinstance(value, float) and digits == 2 and abs(value) < 0.1:
        return f"{value:.2g}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def markdown_data(name, scale, result, targets):
    names = [t.name for t in targets]
    others = names[1:]
    head = ["figure"] + names + [f"{o}/{names[0]}" for o in others]
    lines = [f"**{name}** ({scale} scale, {result['rows']:,} rows)", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    figs, ratios = result["targets"], result["ratios"]

    def row(label, key, scale_by=1.0, digits=0):
        cells = [fmt(figs[n].get(key) and figs[n][key] / scale_by, digits) for n in names]
        cells += [fmt(ratios[o].get(key), 2) for o in others]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("COPY (rows/s)", "copy_rows_per_s")
    row("batched INSERT, 1,000-row statements, 2 clients (rows/s)", "insert_rows_per_s")
    row("total size with indexes (MB)", "total_bytes", 1024 * 1024, 1)
    if any("compress_seconds" in figs[n] for n in names):
        cells = [fmt(figs[n].get("compress_seconds"), 2) for n in names]
        cells += [fmt(ratios[o].get("compress_seconds"), 2) for o in others]
        lines.append("| compress every chunk (s; ratio: to the plain COPY) | " + " | ".join(cells) + " |")
    for q in figs[names[0]]["queries"]:
        cells = [fmt(figs[n]["queries"][q]["median_ms"], 2) for n in names]
        cells += [fmt(ratios[o]["queries"][q], 2) for o in others]
        same = "" if result["results_identical"][q] else " (RESULTS DIFFER)"
        lines.append(f"| {q} (ms){same} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def markdown_insert(scale, result, targets):
    names = [t.name for t in targets]
    others = names[1:]
    p = result["parameters"]
    head = ["figure"] + names + [f"{o}/{names[0]}" for o in others]
    figs = result["targets"]
    rounds = len(figs[names[0]]["runs_rows_per_s"])
    label = (f"prepared single-row INSERT, {p['clients']} clients, {p['seconds']} s, into "
             f"{p['days']} existing daily chunks (rows/s, median of {rounds}"
             f"{'; each client and its backend pinned to a CPU' if result.get('pinned') else ''}"
             f"{'; each run into a fresh copy of the loaded tables' if result.get('fresh_copy_per_run') else ''})")
    cells = [fmt(figs[n]["insert_rows_per_s"], 0) for n in names]
    cells += [fmt(result["ratios"][o]["insert_rows_per_s"], 2) for o in others]
    lines = [f"**insert** ({scale} scale, {int(p['days']) * int(p['rows_per_day']):,} rows loaded first)", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head),
             f"| {label} | " + " | ".join(cells) + " |"]
    per_round = {o: result["ratios"][o].get("insert_rows_per_s_rounds") for o in others}
    if all(per_round.values()):
        cells = ["-"] * len(names)
        cells += [f"{fmt(result['ratios'][o]['insert_rows_per_s_round_median'], 2)} "
                  f"({fmt(min(per_round[o]), 2)}-{fmt(max(per_round[o]), 2)})" for o in others]
        lines.append("| the same, median of the per-round ratios (lowest-highest) | " + " | ".join(cells) + " |")
    if all("wal_bytes_per_tx" in figs[n] for n in names):
        cells = [f"{fmt(figs[n]['wal_bytes_per_tx'], 0)} / {fmt(figs[n].get('wal_fpi_per_tx'), 3)}" for n in names]
        lines.append("| WAL bytes / full-page images a row (median) | " + " | ".join(cells + ["-"] * len(others)) + " |")
    for key, what in (("backend_cpu_us_per_tx", "server backends"), ("client_cpu_us_per_tx", "pgbench"),
                      ("other_cpu_us_per_tx", "rest of the machine (load)")):
        if all(key in figs[n] for n in names):
            cells = [fmt(figs[n][key], 1) for n in names]
            cells += [fmt(result["ratios"][o].get("backend_cpu_round_median"), 3)
                      if key == "backend_cpu_us_per_tx" else "-" for o in others]
            lines.append(f"| CPU us a row, {what} (median; ratio: median of the rounds') | " + " | ".join(cells) + " |")
    if all("backends_apart" in figs[n] for n in names):
        cells = [f"{fmt(figs[n]['backends_apart'], 2)} / {fmt(figs[n].get('clients_apart'), 2)}" for n in names]
        lines.append("| share of samples with the 2 backends / the 2 pgbench threads on different CPUs (median) | " +
                     " | ".join(cells + ["-"] * len(others)) + " |")
    if result.get("rounds_repeated"):
        lines.append(f"\n({result['rounds_repeated']} round(s) run again: a checkpoint ran during them)")
    return "\n".join(lines) + "\n"


def markdown_planning(scale, result):
    kinds = ("hypertable", "inheritance", "declarative")
    lines = [f"**planning time of a 1-chunk query** ({scale} scale, median ms)", "",
             "| chunks | strata hypertable | inheritance + CHECK | declarative partitioning "
             "| hypertable/declarative | hypertable/inheritance | relations scanned |",
             "|---|---|---|---|---|---|---|"]
    for n, row in result["chunks"].items():
        ht, inh, decl = (row[k]["median_ms"] if k in row else None for k in kinds)
        scanned = " / ".join(str(row[k]["relations_scanned"]) if k in row else "-" for k in kinds)
        lines.append(f"| {int(n):,} | {fmt(ht, 3)} | {fmt(inh, 3)} | {fmt(decl, 3)} "
                     f"| {fmt(ratio(ht, decl))} | {fmt(ratio(ht, inh))} | {scanned} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description="Benchmark harness of strata (see bench/run.sh).")
    parser.add_argument("--scale", default="small", choices=["tiny", "small", "full"])
    parser.add_argument("--workload", default="all", choices=ALL_WORKLOADS + ["all"])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query (after a warm-up)")
    parser.add_argument("--results-dir", type=Path, default=BENCH / "results")
    parser.add_argument("--data-dir", type=Path, default=BENCH / "data",
                        help="where generated CSV and INSERT files are kept between runs")
    parser.add_argument("--skip-insert", action="store_true", help="skip the batched INSERT figure")
    parser.add_argument("--insert-keep-rows", action="store_true",
                        help="insert workload: every run inserts into the tables as the earlier runs left them "
                             "(by default each run gets a fresh copy of the loaded database)")
    parser.add_argument("--pin-insert", action="store_true",
                        help="insert workload: each client a pgbench process pinned with its backend to a CPU "
                             "of its own (the server on this machine)")
    parser.add_argument("--no-extension", action="store_true",
                        help="make the strata target a plain table (to test the harness itself)")
    parser.add_argument("--targets", default=",".join(t.name for t in TARGETS),
                        help="comma-separated targets, plain first (default: all)")
    parser.add_argument("--report", type=Path, nargs="+", metavar="JSON",
                        help="only print the tables of figures of earlier runs")
    args = parser.parse_args()
    if args.report:
        for path in args.report:
            doc = json.loads(path.read_text())
            targets = [Target(n, d, False, False) for n, d in doc["machine"]["targets"].items()]
            if doc["workload"] == "planning":
                print(markdown_planning(doc["scale"], doc))
            elif doc["workload"] == "insert":
                print(markdown_insert(doc["scale"], doc, [t for t in targets if t.name in doc["targets"]]))
            else:
                print(markdown_data(doc["workload"], doc["scale"], doc, targets))
        return 0

    targets = [t for t in TARGETS if t.name in args.targets.split(",")]
    if not targets or targets[0].name != "plain" or len(targets) != len(args.targets.split(",")):
        parser.error(f"--targets: plain first, then some of {', '.join(t.name for t in TARGETS[1:])}")
    if args.no_extension:
        targets = [Target(t.name, t.description + " (no extension: plain table)", False, False)
                   for t in targets if not t.columnstore]
    args.data_dir.mkdir(parents=True, exist_ok=True)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    workloads = ALL_WORKLOADS if args.workload == "all" else [args.workload]
    now = datetime.datetime.now(datetime.timezone.utc)
    machine = machine_info(targets)
    failed = False
    report = []
    for name in workloads:
        w = Workload(name, args.scale)
        log(f"workload {name}, scale {args.scale}")
        started = time.monotonic()
        if name == "planning":
            result = run_planning(w, [t for t in targets if not t.columnstore], args)
            report.append(markdown_planning(args.scale, result))
        elif name == "insert":
            row_targets = [t for t in targets if not t.columnstore]
            result = run_insert(w, row_targets, args)
            report.append(markdown_insert(args.scale, result, row_targets))
        else:
            result = run_data_workload(w, targets, args, args.data_dir)
            report.append(markdown_data(name, args.scale, result, targets))
            if not all(result["results_identical"].values()):
                failed = True
        doc = {"workload": name, "scale": args.scale, "date": now.isoformat(timespec="seconds"),
               "seconds": round(time.monotonic() - started, 1), "machine": machine}
        doc.update(result)
        suffix = "" if args.scale == "full" else f"-{args.scale}"
        out = args.results_dir / f"{now.date().isoformat()}-{name}{suffix}.json"
        out.write_text(json.dumps(doc, indent=2) + "\n")
        log(f"{name}: figures written to {out}")
    print()
    print("\n".join(report))
    if failed:
        print("FAILED: query results differ between targets", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
