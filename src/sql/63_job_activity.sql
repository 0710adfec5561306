-- Running jobs and their current step. A job worker's pg_stat_activity row shows the statement
-- it runs (the CALL of the job's procedure) until the procedure reports a step with
-- job_report_step (the policies report each chunk or batch they work on). pg_stat_activity shows
-- the text only to the job's owner and to roles with pg_read_all_stats.
CREATE FUNCTION _strata_internal.job_report_step(step text) RETURNS void
  AS 'MODULE_PATHNAME', 'strata_job_report_step' LANGUAGE C VOLATILE;

CREATE VIEW strata_information.job_activity AS
  SELECT j.job_id, j.application_name, j.proc_schema, j.proc_name, j.hypertable_schema, j.hypertable_name,
         a.pid, a.backend_start AS started_at, a.query AS current_step, a.state_change AS step_started_at,
         a.wait_event_type, a.wait_event
    FROM pg_catalog.pg_stat_activity a
    JOIN strata_information.jobs j ON a.application_name = 'strata job ' || j.job_id
   WHERE a.backend_type = 'strata job'
     AND a.datid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database());
GRANT SELECT ON strata_information.job_activity TO PUBLIC;
