#!/usr/bin/env bash
# strata_timescaledb_compat refuses to install in a database where the timescaledb extension is
# installed (it would shadow TimescaleDB's own schemas), with SQLSTATE 55000 and nothing created,
# and installs once timescaledb is gone. TimescaleDB itself cannot be installed here: a stand-in
# extension named timescaledb is added to this checkout's private staged server for the test.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55476
source "$(dirname "$0")/lib/common.sh"

EXTDIR=$STAGE$SYS_SHAREDIR/extension
cat >"$EXTDIR/timescaledb.control" <<'CONTROL'
comment = 'stand-in for TimescaleDB in strata tests'
default_version = '0.0.0'
relocatable = true
CONTROL
echo "CREATE FUNCTION stand_in_timescaledb() RETURNS integer LANGUAGE sql AS 'SELECT 1';" >"$EXTDIR/timescaledb--0.0.0.sql"
trap 'rm -f "$EXTDIR/timescaledb.control" "$EXTDIR/timescaledb--0.0.0.sql"; cleanup' EXIT

cluster_start "$TEST_DATA" "$TEST_PORT"
sql -q -c "CREATE EXTENSION strata" -c "CREATE EXTENSION timescaledb"
out=$(sql -v VERBOSITY=verbose -c "CREATE EXTENSION strata_timescaledb_compat" 2>&1 || true)
check "refused where timescaledb is installed" 1 \
  "$(grep -c 'ERROR:  55000: strata_timescaledb_compat cannot be installed in a database with the timescaledb extension' <<<"$out")"
check "the refusal says why" 1 "$(grep -c 'DETAIL:  The timescaledb extension provides the timescaledb_information' <<<"$out")"
check "nothing was created" "0|0" \
  "$(sql -c "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'timescaledb\_%'), (SELECT count(*) FROM pg_extension WHERE extname = 'strata_timescaledb_compat')" | tr -d ' ')"
sql -q -c "DROP EXTENSION timescaledb"
sql -q -c "CREATE EXTENSION strata_timescaledb_compat" || { echo FAIL; exit 1; }
check "installs without timescaledb" 2 "$(sql -c "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'timescaledb\_%'")"
echo PASS
