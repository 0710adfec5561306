#!/usr/bin/env bash
# compress_chunk A/B in one cluster (issue 14's compression time): for each of --runs rounds, a
# COPY of the workload's rows into a plain table (the baseline), then, for each configuration (in
# an order that alternates per round), the same rows COPYed into a fresh hypertable and every
# chunk compressed, timed, with that configuration's settings. Prints per configuration the
# median of compress time / plain COPY time (each round's own COPY), the backend's CPU time
# during the compression (all its threads), the encoded bytes of the batches' data columns (sum
# of octet_length, exact) and the total size of the hypertable.
#
#   bench/compress_ab.sh [--workload devops|fleet] [--scale tiny|small|full] [--runs N] [--port N]
#                        [--configs "after fresh_memory ..."] [--as-harness]
# --as-harness compresses right after the COPY, as bench/harness.py does (no VACUUM ANALYZE and no
# CHECKPOINT first: the chunks were never analyzed and their rows carry no hint bits).
# Configurations: "before" = strata.compression_encode_thread and strata.compression_reuse_codecs
# off (every batch encoded by the backend, every codec tried), "reuse" = only the codec reuse,
# "after" = both on (the defaults), "fresh_memory" = the defaults but
# strata.compression_reuse_memory off (each chunk's compression gathers its rows in fresh memory),
# "analyze" = the defaults but strata.compression_statistics_from_rows off (a chunk never analyzed
# is analyzed by ANALYZE of its heap before it is compressed), "nopresort" = the defaults but
# strata.compression_statistics_presort off (the statistics' analysis sorts each column itself),
# "nodict" = the defaults but strata.compression_shared_dictionaries off (every batch keeps its own
# dictionaries), "noprefault" = the defaults but strata.compression_prefault_memory off (the backend faults in its
# fresh row memory itself), "noparallel" = the defaults but strata.compression_parallel_read off (the
# backend reads every page itself), "f-compress4" = both off (as before the 2026-12-07 11:15 session).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
workload=devops
scale=small
runs=3
configs_arg="before reuse after"
as_harness=0
port=${BENCH_PORT:-55473}
while [ $# -gt 0 ]; do
  case $1 in
    --workload) workload=$2; shift ;;
    --scale) scale=$2; shift ;;
    --runs) runs=$2; shift ;;
    --port) port=$2; shift ;;
    --configs) configs_arg=$2; shift ;;
    --as-harness) as_harness=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case $workload in
  devops) table=cpu; segmentby=hostname; orderby='time DESC' ;;
  fleet) table=device_state; segmentby=account_id; orderby='"timestamp", device_id' ;;
  *) echo "unknown workload $workload" >&2; exit 2 ;;
esac

# shellcheck source=lib.sh
source "$HERE/lib.sh"
data=/tmp/strata-csab-$port-data
bench_setup "$workload" "$scale" "$data" "$port"
log "$workload/$scale: $(wc -l <"$data.csv") rows"
q -c "CREATE FUNCTION public.cs_data_bytes() RETURNS bigint LANGUAGE plpgsql AS \$\$
DECLARE r record; n bigint; total bigint := 0;
BEGIN
  FOR r IN SELECT c.schema_name, c.table_name, a.attname
             FROM _strata_catalog.compressed_chunk c
             JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.schema_name, c.table_name)::regclass
            WHERE a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'bytea'::regtype
              AND (a.attname NOT LIKE '\\_strata\\_%' OR a.attname = '_strata_dict')
  LOOP
    EXECUTE format('SELECT coalesce(sum(octet_length(%I)), 0) FROM %I.%I', r.attname, r.schema_name, r.table_name) INTO n;
    total := total + n;
  END LOOP;
  RETURN total;
END \$\$" >/dev/null

ms() { python3 -c 'import time; print(int(time.monotonic()*1000))'; }
declare -A settings=(
  [before]="SET strata.compression_encode_thread = off; SET strata.compression_reuse_codecs = off;"
  [reuse]="SET strata.compression_encode_thread = off; SET strata.compression_reuse_codecs = on;"
  [after]="SET strata.compression_encode_thread = on; SET strata.compression_reuse_codecs = on;"
  [fresh_memory]="SET strata.compression_reuse_memory = off;"
  [analyze]="SET strata.compression_statistics_from_rows = off;"
  [nopresort]="SET strata.compression_statistics_presort = off;"
  [noprefault]="SET strata.compression_prefault_memory = off;"
  [f-compress4]="SET strata.compression_statistics_presort = off; SET strata.compression_prefault_memory = off;"
  [nodict]="SET strata.compression_shared_dictionaries = off;"
  [noparallel]="SET strata.compression_parallel_read = off;"
)
read -r -a configs <<<"$configs_arg"
results=$(mktemp)
for r in $(seq 1 "$runs"); do
  q -c "DROP TABLE IF EXISTS $table CASCADE" >/dev/null
  q -v hypertable=false -f "$HERE/workloads/$workload/schema.sql" >/dev/null
  q -c "CHECKPOINT" >/dev/null
  # (the COPYing backend's CPU time too, as for the compression below)
  t0=$(ms)
  out=$(q <<SQL
SELECT pg_backend_pid() AS pid \gset
\setenv PID :pid
\! awk '{print "cpu", \$14 + \$15}' /proc/\$PID/stat
\copy $table FROM '$data.csv' WITH (FORMAT csv)
\! awk '{print "cpu", \$14 + \$15}' /proc/\$PID/stat
SQL
)
  t1=$(ms)
  copy_ms=$((t1 - t0))
  copy_cpu=$(echo "$out" | awk '/^cpu/ {v[n++] = $2} END {print (v[1] - v[0]) * 10}')
  q -c "DROP TABLE $table" >/dev/null
  order=("${configs[@]}")
  if [ $((r % 2)) = 0 ]; then
    order=()
    for ((i = ${#configs[@]} - 1; i >= 0; i--)); do order+=("${configs[i]}"); done
  fi
  for cfg in "${order[@]}"; do
    q -c "DROP TABLE IF EXISTS $table CASCADE" >/dev/null
    q -v hypertable=true -f "$HERE/workloads/$workload/schema.sql" >/dev/null
    q -c "ALTER TABLE $table SET (timescaledb.compress, timescaledb.compress_segmentby = '$segmentby',
          timescaledb.compress_orderby = '$orderby')" >/dev/null
    q -c "\\copy $table FROM '$data.csv' WITH (FORMAT csv)" >/dev/null
    if [ "$as_harness" = 0 ]; then
      q -c "VACUUM ANALYZE $table" >/dev/null
      q -c "CHECKPOINT" >/dev/null
    fi
    # the backend's CPU time (all its threads: utime + stime of /proc/PID/stat, in clock ticks)
    # before and after, read by psql's \! in the same session
    t0=$(ms)
    out=$(q <<SQL
SELECT pg_backend_pid() AS pid \gset
\setenv PID :pid
\! awk '{print "cpu", \$14 + \$15}' /proc/\$PID/stat; awk '{print "main", \$14 + \$15}' /proc/\$PID/task/\$PID/stat
${settings[$cfg]}
SELECT count(compress_chunk(c)) FROM show_chunks('$table') c;
\! awk '{print "cpu", \$14 + \$15}' /proc/\$PID/stat; awk '{print "main", \$14 + \$15}' /proc/\$PID/task/\$PID/stat
SQL
)
    t1=$(ms)
    comp_ms=$((t1 - t0))
    cpu=$(echo "$out" | awk '/^cpu/ {v[n++] = $2} END {print (v[1] - v[0]) * 10}')
    main_cpu=$(echo "$out" | awk '/^main/ {v[n++] = $2} END {print (v[1] - v[0]) * 10}')
    bytes=$(q -c "SELECT public.cs_data_bytes()")
    total=$(q -c "SELECT total_bytes FROM hypertable_detailed_size('$table')")
    log "run $r $cfg: plain COPY ${copy_ms} ms, compress ${comp_ms} ms (backend CPU ${cpu} ms, its main thread ${main_cpu} ms, plain COPY's ${copy_cpu} ms) ($(python3 -c "print(f'{$comp_ms / $copy_ms:.3f}')")x), data ${bytes} B, total ${total} B"
    echo "$cfg $copy_ms $comp_ms $bytes $total $cpu $copy_cpu $main_cpu" >>"$results"
  done
done
python3 - "$workload" "$scale" "$results" "${configs[@]}" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[3])]
for cfg in sys.argv[4:]:
    rs = [r for r in rows if r[0] == cfg]
    ratios = [int(r[2]) / int(r[1]) for r in rs]
    print(f"{sys.argv[1]}/{sys.argv[2]} {cfg}: compress / plain COPY median {statistics.median(ratios):.3f}x "
          f"(runs {[round(x, 3) for x in ratios]}; compress ms {[int(r[2]) for r in rs]}, COPY ms {[int(r[1]) for r in rs]}, "
          f"backend CPU ms median {statistics.median(int(r[5]) for r in rs)} (main thread {statistics.median(int(r[7]) for r in rs)}), "
          f"CPU compress / plain COPY median {statistics.median(int(r[5]) / int(r[6]) for r in rs):.3f}); "
          f"data bytes {sorted(set(int(r[3]) for r in rs))}, total bytes {sorted(set(int(r[4]) for r in rs))}")
PY
rm -f "$results"
