#!/usr/bin/env bash
# strata_information.job_activity shows a running job worker and the step its procedure reported
# last (job_report_step), and nothing once the job has finished.
# Usage: test/shell/jobs_activity.sh   (prints PASS or FAIL; exit status 0 on PASS)
DATA=/tmp/strata-jobs-activity-data
PORT=55493
source "$(dirname "${BASH_SOURCE[0]}")/lib/jobs_common.sh"
trap 'cluster_stop "$DATA"' EXIT
start_test_cluster

q -d postgres >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION strata;
CREATE TABLE gate (step int);
CREATE PROCEDURE batches(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..2 LOOP
    PERFORM _strata_internal.job_report_step(format('loading batch %s of 2', i));
    -- Wait until the test has seen this step (at most 30 s).
    FOR k IN 1..300 LOOP
      EXIT WHEN EXISTS (SELECT 1 FROM gate WHERE step = i);
      PERFORM pg_sleep(0.1);
      -- a fresh snapshot for the next look at gate
      COMMIT;
    END LOOP;
  END LOOP;
END $$;
SQL
job=$(q -d postgres -c "SELECT add_job('batches', '1 hour', initial_start => now())")
for i in 1 2; do
  if poll postgres "SELECT current_step = 'loading batch $i of 2' FROM strata_information.job_activity WHERE job_id = $job" 30; then
    ok "step $i is shown while the job runs"
  else
    fail "step $i: $(q -d postgres -c "SELECT current_step FROM strata_information.job_activity")"
  fi
  expect postgres "SELECT proc_name || ' ' || (pid > 0) || ' ' || (started_at <= step_started_at) FROM strata_information.job_activity WHERE job_id = $job" \
    "batches true true" "step $i: the procedure, its worker and when the step started"
  q -d postgres -c "INSERT INTO gate VALUES ($i)" >/dev/null
done
if poll postgres "SELECT count(*) = 0 FROM strata_information.job_activity" 30; then
  ok "nothing is shown once the job finished"
else
  fail "job_activity after the job: $(q -d postgres -c "SELECT * FROM strata_information.job_activity")"
fi
expect postgres "SELECT last_run_status FROM strata_information.job_stats WHERE job_id = $job" "Success" "the job succeeded"
finish
