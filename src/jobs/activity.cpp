// What a running job is doing: _strata_internal.job_report_step(text) puts a step description in
// the backend's pg_stat_activity.query, which strata_information.job_activity shows for every job
// worker (src/sql/63_job_activity.sql). Policies call it between their steps.
#include "jobs/jobs.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "utils/backend_status.h"
#include "utils/builtins.h"
}

STRATA_FUNCTION(strata_job_report_step) {
  if (!PG_ARGISNULL(0)) pgstat_report_activity(STATE_RUNNING, text_to_cstring(PG_GETARG_TEXT_PP(0)));
  PG_RETURN_VOID();
}
