#!/usr/bin/env bash
# Smoke test of the benchmark harness: runs bench/run.sh at the tiny scale on a throwaway
# cluster and fails if anything errors or if strata and plain PostgreSQL return different
# query results. Not a timed test: the figures it produces are ignored.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PORT=${BENCH_SMOKE_PORT:-55432}
DATA=/tmp/strata-bench-smoke-data
OUT=$(mktemp -d /tmp/strata-bench-smoke.XXXXXX)

fail() { echo "bench_smoke: $*" >&2; echo FAIL; exit 1; }

# shellcheck source=../../scripts/lib.sh
source "$ROOT/scripts/lib.sh" || fail "cannot source scripts/lib.sh"
set +e
cleanup() { cluster_stop "$DATA"; rm -rf "$DATA" "$DATA.sock" "$DATA.log" "$OUT"; }
trap cleanup EXIT

(set -e; stage_install)
[ $? = 0 ] || fail "build failed"
cluster_stop "$DATA"
rm -rf "$DATA" "$DATA.sock" "$DATA.log"
cluster_start "$DATA" "$PORT" "autovacuum = off" "jit = off" || fail "cluster did not start"

PGHOST=$DATA.sock PGPORT=$PORT PGUSER=postgres \
  "$ROOT/bench/run.sh" --scale tiny --workload all --runs 1 \
    --results-dir "$OUT/results" --data-dir "$OUT/data" >"$OUT/report.txt" 2>"$OUT/log.txt"
status=$?
if [ $status != 0 ]; then
  cat "$OUT/log.txt" >&2
  fail "bench/run.sh exited with status $status"
fi

# Every workload wrote its JSON, and every query returned the same rows on every target.
python3 - "$OUT/results" <<'PY' || fail "results check failed"
import json, pathlib, sys
files = {p.name.split("-")[3]: json.loads(p.read_text())
         for p in pathlib.Path(sys.argv[1]).glob("*.json")}
problems = [f"no results for {w}" for w in ("devops", "fleet", "planning") if w not in files]
for name, doc in files.items():
    for query, same in doc.get("results_identical", {}).items():
        if not same:
            problems.append(f"{name}: {query}: results differ between targets")
    for query, figures in doc.get("targets", {}).get("plain", {}).get("queries", {}).items():
        if figures["result_rows"] <= 0:
            problems.append(f"{name}: {query}: returned no rows")
    for n, row in doc.get("chunks", {}).items():
        if "hypertable" not in row:
            problems.append(f"planning: no hypertable figure for {n} chunks")
print("\n".join(problems), file=sys.stderr)
sys.exit(1 if problems else 0)
PY
echo PASS
