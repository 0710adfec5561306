#!/usr/bin/env bash
# Smoke test of the benchmark harness: runs bench/run.sh at the tiny scale on a throwaway
# cluster and fails if anything errors or if the targets (plain PostgreSQL, strata's rowstore and
# columnstore) return different query results. Not a timed test: the figures it produces are ignored.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55432
source "$(dirname "$0")/lib/common.sh"
set +e

fail() { echo "bench_smoke: $*"; echo FAIL; exit 1; }

cluster_start "$TEST_DATA" "$TEST_PORT" "jit = off" || fail "cluster did not start"
PGHOST=$TEST_DATA.sock PGPORT=$TEST_PORT PGUSER=postgres \
  "$ROOT/bench/run.sh" --scale tiny --workload all --runs 1 \
    --results-dir "$TEST_DIR/results" --data-dir "$TEST_DIR/data" \
    >"$TEST_DIR/report.txt" 2>"$TEST_DIR/log.txt"
status=$?
if [ $status != 0 ]; then
  tail -40 "$TEST_DIR/log.txt"
  fail "bench/run.sh exited with status $status"
fi

# Every workload wrote its JSON, every query returned rows and the same rows on every target,
# and the planning workload measured the hypertable.
python3 - "$TEST_DIR/results" <<'PY' || fail "results check failed"
import json, pathlib, sys
files = {p.name.split("-")[3]: json.loads(p.read_text())
         for p in pathlib.Path(sys.argv[1]).glob("*.json")}
problems = [f"no results for {w}" for w in ("devops", "fleet", "insert", "planning") if w not in files]
for name, doc in files.items():
    for query, same in doc.get("results_identical", {}).items():
        if not same:
            problems.append(f"{name}: {query}: results differ between targets")
    for query, figures in doc.get("targets", {}).get("plain", {}).get("queries", {}).items():
        if figures["result_rows"] <= 0:
            problems.append(f"{name}: {query}: returned no rows")
    if name != "planning" and doc["targets"]["strata"]["chunks"] < 2:
        problems.append(f"{name}: the strata target has no chunks")
    if name in ("devops", "fleet") and doc["targets"].get("columnstore", {}).get("compressed_chunks", 0) < 2:
        problems.append(f"{name}: the columnstore target has no compressed chunks")
    if name == "insert" and not all(t["insert_rows_per_s"] > 0 for t in doc["targets"].values()):
        problems.append("insert: no rows/s figure")
    if name == "insert" and doc["ratios"]["strata"].get("insert_rows_per_s_round_median") is None:
        problems.append("insert: no median of the per-round ratios")
    if name == "insert" and not all(t.get("backend_cpu_us_per_tx", 0) > 0 for t in doc["targets"].values()):
        problems.append("insert: no backend CPU figure (the server runs on this machine)")
    for n, row in doc.get("chunks", {}).items():
        if "hypertable" not in row:
            problems.append(f"planning: no hypertable figure for {n} chunks")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
echo PASS
