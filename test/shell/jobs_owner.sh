#!/usr/bin/env bash
# A background job runs as its owner with the settings the owner gets on a connection to the
# database (search_path from ALTER ROLE / ALTER DATABASE ... SET), so a job written with
# unqualified names works in the background as it does under run_job; and it gains no privilege
# its owner lacks (a non-superuser's job cannot read a table it has no rights on, nor SET ROLE to
# a superuser, nor change a superuser-only setting): each refusal is recorded with SQLSTATE 42501.
# Usage: test/shell/jobs_owner.sh   (prints PASS or FAIL; exit status 0 on PASS)
DATA=/tmp/strata-jobs-owner-data
PORT=55425
source "$(dirname "${BASH_SOURCE[0]}")/lib/jobs_common.sh"
trap 'cluster_stop "$DATA"' EXIT
start_test_cluster

q -d postgres -c "CREATE DATABASE ownerdb" -c "CREATE ROLE alice LOGIN" -c "CREATE ROLE bob LOGIN" >/dev/null
q -d ownerdb >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION strata;
-- A table in public, found through the default search_path ("$user", public).
CREATE TABLE log (job int, who text, path text);
GRANT INSERT, SELECT ON log TO alice, bob;
-- A table in bob's own schema, found only through bob's ALTER ROLE ... IN DATABASE search_path.
CREATE SCHEMA bob_data AUTHORIZATION bob;
CREATE TABLE bob_data.bob_log (job int, path text);
ALTER TABLE bob_data.bob_log OWNER TO bob;
-- A table alice may not read, and a superuser-only setting.
CREATE TABLE secret (s text);
INSERT INTO secret VALUES ('top secret');
GRANT CREATE ON SCHEMA public TO alice, bob;

-- Jobs written as TimescaleDB's documentation writes them: unqualified names.
SET ROLE alice;
CREATE PROCEDURE plain_insert(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO log VALUES (job_id, current_user, current_setting('search_path'));
END $$;
CREATE PROCEDURE read_secret(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO log SELECT job_id, s, 'read' FROM secret;
END $$;
CREATE PROCEDURE become_postgres(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
  SET ROLE postgres;
  INSERT INTO log VALUES (job_id, current_user, 'became');
END $$;
CREATE PROCEDURE superuser_setting(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
  SET session_replication_role = replica;
  INSERT INTO log VALUES (job_id, current_user, 'set');
END $$;
CREATE PROCEDURE set_session_authorization(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
  SET SESSION AUTHORIZATION postgres;
  INSERT INTO log VALUES (job_id, current_user, 'authorized');
END $$;
SELECT add_job('plain_insert', '1 hour', scheduled => false);     -- 1000
SELECT add_job('read_secret', '1 hour', scheduled => false);      -- 1001
SELECT add_job('become_postgres', '1 hour', scheduled => false);  -- 1002
SELECT add_job('superuser_setting', '1 hour', scheduled => false); -- 1003
SELECT add_job('set_session_authorization', '1 hour', scheduled => false); -- 1004
SET ROLE bob;
CREATE PROCEDURE bob_insert(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bob_log VALUES (job_id, current_setting('search_path'));
END $$;
SELECT add_job('bob_insert', '1 hour', scheduled => false);       -- 1005
RESET ROLE;
ALTER ROLE bob IN DATABASE ownerdb SET search_path = bob_data, public;
SQL

# The same jobs succeed under run_job in the owner's own session (the background must match).
expect ownerdb "SET ROLE alice; CALL run_job(1000); SELECT count(*) FROM log WHERE job = 1000" 1 "run_job of the unqualified job works"
q -d ownerdb -c "DELETE FROM log" >/dev/null

# Start them all now in the background.
q -d ownerdb -c "SELECT alter_job(id, scheduled => true, next_start => now()) FROM generate_series(1000, 1005) id" >/dev/null
if poll ownerdb "SELECT count(*) = 6 FROM strata_information.job_stats WHERE last_run_status IS NOT NULL" 20; then
  ok "every job ran once"; else fail "not every job ran: $(q -d ownerdb -c "SELECT job_id, last_run_status FROM strata_information.job_stats")"; fi

expect ownerdb "SELECT last_run_status FROM strata_information.job_stats WHERE job_id = 1000" Success \
  "a job with unqualified names works in the background"
expect ownerdb "SELECT who || ' ' || path FROM log WHERE job = 1000" 'alice "$user", public' \
  "it ran as its owner with the default search_path"
expect ownerdb "SELECT last_run_status FROM strata_information.job_stats WHERE job_id = 1005" Success \
  "a job finds its table through ALTER ROLE ... IN DATABASE ... SET search_path"
expect ownerdb "SELECT path FROM bob_data.bob_log WHERE job = 1005" "bob_data, public" \
  "it ran with the owner's per-database search_path"

expect ownerdb "SELECT sqlerrcode || ' ' || err_message FROM strata_information.job_errors WHERE job_id = 1001" \
  "42501 permission denied for table secret" "a job cannot read a table its owner may not read"
expect ownerdb "SELECT sqlerrcode FROM strata_information.job_errors WHERE job_id = 1002" 42501 \
  "a job cannot SET ROLE to a superuser"
expect ownerdb "SELECT sqlerrcode FROM strata_information.job_errors WHERE job_id = 1003" 42501 \
  "a job cannot change a superuser-only setting"
expect ownerdb "SELECT sqlerrcode FROM strata_information.job_errors WHERE job_id = 1004" 42501 \
  "a job cannot SET SESSION AUTHORIZATION to a superuser"
expect ownerdb "SELECT count(*) FROM log WHERE job IN (1001, 1002, 1003, 1004)" 0 "none of the refused jobs did anything"
expect ownerdb "SELECT count(*) FROM strata_information.job_errors WHERE job_id IN (1000, 1005)" 0 "no errors for the jobs that may run"
finish
