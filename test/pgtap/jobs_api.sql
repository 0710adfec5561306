-- pgTAP: the job API keeps TimescaleDB's names, argument names and view columns.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS strata;
BEGIN;
SELECT plan(9);

SELECT has_function('add_job', ARRAY['regproc', 'interval', 'jsonb', 'timestamp with time zone', 'boolean',
                                     'regproc', 'boolean', 'text']);
SELECT has_function('alter_job', ARRAY['integer', 'interval', 'interval', 'integer', 'interval', 'boolean', 'jsonb',
                                       'timestamp with time zone', 'boolean', 'regproc', 'boolean',
                                       'timestamp with time zone', 'text']);
SELECT has_function('delete_job', ARRAY['integer']);
SELECT is((SELECT prokind::text FROM pg_proc WHERE proname = 'run_job'), 'p', 'run_job is a procedure');
SELECT is((SELECT pg_get_function_arguments(oid) FROM pg_proc WHERE proname = 'add_retention_policy'
                                                  AND pronamespace = 'public'::regnamespace),
          'relation regclass, drop_after "any" DEFAULT NULL::unknown, if_not_exists boolean DEFAULT false, '
          'schedule_interval interval DEFAULT NULL::interval, initial_start timestamp with time zone DEFAULT NULL::timestamp with time zone, '
          'timezone text DEFAULT NULL::text, drop_created_before interval DEFAULT NULL::interval',
          'add_retention_policy arguments');
SELECT has_function('remove_retention_policy', ARRAY['regclass', 'boolean']);

SELECT columns_are('strata_information', 'jobs',
  ARRAY['job_id', 'application_name', 'schedule_interval', 'max_runtime', 'max_retries', 'retry_period',
        'proc_schema', 'proc_name', 'owner', 'scheduled', 'fixed_schedule', 'config', 'next_start',
        'initial_start', 'hypertable_schema', 'hypertable_name', 'check_schema', 'check_name', 'timezone']);
SELECT columns_are('strata_information', 'job_stats',
  ARRAY['hypertable_schema', 'hypertable_name', 'job_id', 'last_run_started_at', 'last_successful_finish',
        'last_run_status', 'job_status', 'last_run_duration', 'next_start', 'total_runs', 'total_successes',
        'total_failures']);
SELECT columns_are('strata_information', 'job_errors',
  ARRAY['job_id', 'proc_schema', 'proc_name', 'pid', 'start_time', 'finish_time', 'sqlerrcode', 'err_message']);

SELECT * FROM finish();
ROLLBACK;
