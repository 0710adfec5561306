#!/usr/bin/env bash
# Per-segment shared dictionaries (issue 14, storage), the query side: the fleet workload's rows
# compressed twice in one cluster, into `device_state` with strata.compression_shared_dictionaries
# on and into `device_state_nodict` with it off; then each fleet query (bench/workloads/fleet/
# queries.sql) is run --reps times in one session per table, the tables alternating per round,
# and the backend's CPU time (utime + stime of /proc/PID/stat) per execution is printed as medians
# over --rounds rounds, with the companions' sizes. Results are checked equal.
#
#   bench/shared_dict_queries.sh [--scale tiny|small|full] [--rounds N] [--reps N] [--port N]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scale=small
rounds=3
reps=20
port=${BENCH_PORT:-55475}
while [ $# -gt 0 ]; do
  case $1 in
    --scale) scale=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --reps) reps=$2; shift ;;
    --port) port=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=lib.sh
source "$HERE/lib.sh"
data=/tmp/strata-csdict-$port-data
bench_setup fleet "$scale" "$data" "$port"
log "fleet/$scale: $(wc -l <"$data.csv") rows"
# (the second table is created under the schema's names once the first has been renamed)
for t in dict nodict; do
  q -v hypertable=true -f "$HERE/workloads/fleet/schema.sql" >/dev/null
  q -c "ALTER TABLE device_state SET (timescaledb.compress, timescaledb.compress_segmentby = 'account_id',
        timescaledb.compress_orderby = '\"timestamp\", device_id')" >/dev/null
  q -c "\\copy device_state FROM '$data.csv' WITH (FORMAT csv)" >/dev/null
  setting=on
  [ "$t" = nodict ] && setting=off
  q -c "SET strata.compression_shared_dictionaries = $setting" \
    -c "SELECT count(compress_chunk(c)) FROM show_chunks('device_state') c" >/dev/null
  q -c "ALTER TABLE device_state RENAME TO device_state_$t" \
    -c "ALTER INDEX device_state_device_account_time_idx RENAME TO device_state_${t}_device_account_time_idx" \
    -c "ALTER INDEX device_state_account_time_idx RENAME TO device_state_${t}_account_time_idx" \
    -c "VACUUM ANALYZE device_state_$t" >/dev/null
done
for t in device_state_dict device_state_nodict; do
  log "$t: $(q -c "SELECT total_bytes FROM hypertable_detailed_size('$t')") bytes in all"
done

# The queries, split at "-- query:" lines; the text before the first one is the prelude.
qdir=$(mktemp -d)
python3 - "$HERE/workloads/fleet/queries.sql" "$qdir" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
parts = re.split(r'^-- query: (\S+)\n', text, flags=re.M)
open(f"{sys.argv[2]}/prelude.sql", "w").write(parts[0])
names = []
for i in range(1, len(parts), 2):
    names.append(parts[i])
    open(f"{sys.argv[2]}/{parts[i]}.sql", "w").write(parts[i + 1])
open(f"{sys.argv[2]}/names", "w").write("\n".join(names) + "\n")
PY
results=$(mktemp)
run_query() {  # table query -> "cpu_ms_per_execution md5"
  local t=$1 name=$2 body
  body=$(sed "s/\\bdevice_state\\b/$t/g" "$qdir/$name.sql")
  q -f "$qdir/prelude.sql" -f - <<SQL | awk '/^cpu/ {v[n++] = $2} /^md5/ {m = $2} END {printf "%.2f %s\n", (v[1] - v[0]) * 10 / '"$reps"', m}'
SELECT pg_backend_pid() AS pid \gset
\setenv PID :pid
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE r AS $body
SELECT 'md5 ' || md5(string_agg(r::text, ';')) FROM r;
\! awk '{print "cpu", \$14 + \$15}' /proc/\$PID/stat
$(for _ in $(seq 1 "$reps"); do echo "$body"; done | sed 's/^/ /')
\! awk '{print "cpu", \$14 + \$15}' /proc/\$PID/stat
SQL
}
while read -r name; do
  [ -n "$name" ] || continue
  for r in $(seq 1 "$rounds"); do
    order=(device_state_dict device_state_nodict)
    [ $((r % 2)) = 0 ] && order=(device_state_nodict device_state_dict)
    for t in "${order[@]}"; do echo "$name $t $(run_query "$t" "$name")" >>"$results"; done
  done
done <"$qdir/names"
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 4]
names = list(dict.fromkeys(r[0] for r in rows))
for n in names:
    d = [float(r[2]) for r in rows if r[0] == n and r[1] == "device_state_dict"]
    o = [float(r[2]) for r in rows if r[0] == n and r[1] == "device_state_nodict"]
    same = len({r[3] for r in rows if r[0] == n}) == 1
    md, mo = statistics.median(d), statistics.median(o)
    print(f"{n}: backend CPU ms per execution, dictionaries {md:.2f} / without {mo:.2f} = "
          f"{(md / mo if mo else float('nan')):.2f}; results {'equal' if same else 'DIFFER'}")
PY
