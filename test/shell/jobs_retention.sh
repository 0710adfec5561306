#!/usr/bin/env bash
# Retention policy on a private cluster: the job (run by the scheduler as the hypertable's owner)
# drops exactly the chunks entirely older than drop_after and nothing else, for timestamptz time
# (relative to now()) and for integer time (relative to the integer now function).
# Usage: test/shell/jobs_retention.sh   (prints PASS or FAIL; exit status 0 on PASS)
DATA=/tmp/strata-jobs-ret-data
PORT=55424
source "$(dirname "${BASH_SOURCE[0]}")/lib/jobs_common.sh"
trap 'cluster_stop "$DATA"' EXIT
start_test_cluster

q -d postgres -c "CREATE DATABASE retdb" -c "CREATE ROLE ret_owner LOGIN"
q -d retdb >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION strata;
GRANT CREATE ON SCHEMA public TO ret_owner;
SET ROLE ret_owner;
CREATE TABLE m (time timestamptz NOT NULL, v int);
SELECT create_hypertable('m', by_range('time', interval '1 day'));
-- Old chunks (10 to 6 days ago), one that holds the threshold's neighbourhood, recent ones.
INSERT INTO m SELECT now() - d * interval '1 day', d FROM generate_series(6, 10) d;
INSERT INTO m VALUES (now() - interval '3 days' + interval '2 hours', 3);
INSERT INTO m SELECT now() + d * interval '1 day', -d FROM generate_series(-1, 2) d;
CREATE TABLE r (t bigint NOT NULL, v int);
SELECT create_hypertable('r', by_range('t', 10));
INSERT INTO r SELECT g, g FROM generate_series(0, 99) g;
CREATE FUNCTION r_now() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT 100::bigint';
SELECT set_integer_now_func('r', 'r_now');
SQL
expect retdb "SELECT count(*) FROM show_chunks('m')" 10 "timestamptz hypertable has 10 chunks"
expect retdb "SELECT count(*) FROM show_chunks('r')" 10 "integer hypertable has 10 chunks"
# The chunks that must survive, named before the policy runs.
keep_m=$(q -d retdb -c "SELECT string_agg(c::text, ',' ORDER BY c::text) FROM show_chunks('m', newer_than => now() - interval '5 days') c")

q -d retdb -c "SET ROLE ret_owner" -c "SELECT add_retention_policy('m', drop_after => interval '3 days')" \
  -c "SELECT add_retention_policy('r', drop_after => 35)" >/dev/null
if poll retdb "SELECT count(*) = 2 FROM strata_information.job_stats WHERE total_successes >= 1" 15; then ok "both policies ran"; else
  fail "policies did not run: $(q -d retdb -c "SELECT job_id, sqlerrcode, err_message FROM strata_information.job_errors")"; fi
expect retdb "SELECT string_agg(c::text, ',' ORDER BY c::text) FROM show_chunks('m') c" "$keep_m" "exactly the old timestamptz chunks were dropped"
expect retdb "SELECT count(*), min(v), max(v) FROM m" "5|-2|3" "every row newer than the threshold is kept"
expect retdb "SELECT count(*), min(t) FROM r" "40|60" "integer chunks ending at or before now - 35 dropped, [60, 70) kept"
expect retdb "SELECT count(*) FROM show_chunks('r')" 4 "four integer chunks left"
expect retdb "SELECT DISTINCT owner::text FROM strata_information.jobs" "ret_owner" "policies are owned by the hypertable owner"
expect retdb "SELECT count(*) FROM strata_information.job_errors" 0 "no errors"
finish
