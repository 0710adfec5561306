#!/usr/bin/env bash
# Instructions per repetition of a SQL script, counted by callgrind in a single-user backend
# (postgres --single), so start-up and one-time costs cancel out: the script runs N times in one
# backend, then 3N times in another, and the figure is (I(3N) - I(N)) / 2N.
#
#   bench/callgrind.sh DATADIR DBNAME SCRIPT.sql [N] [SETUP.sql]
#
# DATADIR must not be in use by a running server (copy a stopped cluster's data directory).
# SCRIPT.sql holds one or more statements, each ending with ";" at the end of a line (the
# backend runs with -j); SETUP.sql, if given, runs once first in both backends (PREPARE, SET).
# POSTGRES (default: the bin directory of pg_config) selects the server binary; run as the owner
# of DATADIR. With RESET_FROM=DIR, DATADIR is replaced by a copy of DIR before each of the two runs,
# so that a script that writes (INSERT, COPY) starts from the same data both times and can repeat
# its rows exactly (SELECT setseed(...) in SETUP.sql makes random() repeat). CALLGRIND_ARGS adds
# valgrind options, e.g. "--toggle-collect=PortalRun --toggle-collect=StartTransactionCommand
# --toggle-collect=CommitTransactionCommand" to count only the statements' execution and
# transactions (not the parsing of the script's text, which single-user mode does per line).
set -euo pipefail
data=$1 db=$2 script=$3 n=${4:-20} setup=${5:-}
POSTGRES=${POSTGRES:-$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir)/postgres}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
count() {  # count REPS -> total instructions
  local reps=$1 in=$tmp/in-$1.sql out=$tmp/cg-$1.out
  : >"$in"
  if [ -n "$setup" ]; then cat "$setup" >>"$in"; fi
  for _ in $(seq "$reps"); do cat "$script" >>"$in"; done
  if [ -n "${RESET_FROM:-}" ]; then rm -rf "$data" && cp -a "$RESET_FROM" "$data"; fi
  # shellcheck disable=SC2086
  valgrind --tool=callgrind ${CALLGRIND_ARGS:-} --callgrind-out-file="$out" \
    "$POSTGRES" --single -j -D "$data" "$db" <"$in" >/dev/null 2>"$tmp/err-$reps" ||
    { cat "$tmp/err-$reps" >&2; exit 1; }
  if grep -q 'ERROR' "$tmp/err-$reps"; then grep 'ERROR' "$tmp/err-$reps" >&2; exit 1; fi
  sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out"
}
a=$(count "$n")
b=$(count $((3 * n)))
echo $(( (b - a) / (2 * n) ))
