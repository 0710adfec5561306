// Background jobs: catalog access shared by the scheduler, the job workers and the SQL API
// (reading a job, recording the start and the end of a run, ownership checks).
#include <cstring>

#include "catalog/catalog.hpp"
#include "catalog/scan.hpp"
#include "core/jobs/schedule.hpp"
#include "jobs/jobs.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "commands/dbcommands.h"
#include "utils/acl.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
}

namespace strata::jobs {

void catalog_spi_begin(CatalogContext* saved) {
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "strata jobs: SPI_connect failed");
  pg::internal_user_begin(saved, false);
}

void catalog_spi_end(const CatalogContext* saved) {
  pg::internal_user_end(saved);
  SPI_finish();
}

static void spi_check(int rc, int expected, const char* what) {
  if (rc != expected) elog(ERROR, "strata jobs: %s failed: %s", what, SPI_result_code_string(rc));
}

static bool spi_isnull(int row, int col) {
  bool isnull = false;
  (void)SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);
  return isnull;
}

static Datum spi_datum(int row, int col) {
  bool isnull = false;
  return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, &isnull);
}

// The kind ('f' or 'p') of schema.name(integer, jsonb), or '\0' when there is none.
static char job_proc_kind(const char* schema, const char* name) {
  const Oid nsp = get_namespace_oid(schema, true);
  if (!OidIsValid(nsp)) return '\0';
  const Oid argtypes[2] = {INT4OID, JSONBOID};
  oidvector* args = buildoidvector(argtypes, 2);
  HeapTuple tup = SearchSysCache3(PROCNAMEARGSNSP, CStringGetDatum(name), PointerGetDatum(args),
                                  ObjectIdGetDatum(nsp));
  if (!HeapTupleIsValid(tup)) return '\0';
  const char kind = reinterpret_cast<Form_pg_proc>(GETSTRUCT(tup))->prokind;
  ReleaseSysCache(tup);
  return kind;
}

bool read_job(int32 job_id, JobRow* out) {
  memset(out, 0, sizeof *out);
  CatalogScan scan;
  catalog_scan_init(&scan, CatalogIndex::bgw_job_pkey, AccessShareLock);
  catalog_scan_key_int4(&scan, col::bgw_job::id, job_id);
  catalog_scan_begin(&scan);
  const bool found = catalog_scan_next(&scan);
  if (found) {
    out->id = job_id;
    out->owner = catalog_scan_oid(&scan, col::bgw_job::owner);
    namestrcpy(&out->proc_schema, catalog_scan_name(&scan, col::bgw_job::proc_schema));
    namestrcpy(&out->proc_name, catalog_scan_name(&scan, col::bgw_job::proc_name));
    bool isnull;
    Datum config = catalog_scan_datum(&scan, col::bgw_job::config, &isnull);
    if (!isnull) {
      Jsonb* jb = DatumGetJsonbP(config);
      out->config = JsonbToCString(nullptr, &jb->root, VARSIZE(jb));
    }
  }
  catalog_scan_end(&scan);
  if (found) out->prokind = job_proc_kind(NameStr(out->proc_schema), NameStr(out->proc_name));
  return found;
}

char* job_call_sql(const JobRow* job) {
  const char* config = job->config ? psprintf("%s::pg_catalog.jsonb", quote_literal_cstr(job->config))
                                   : "NULL::pg_catalog.jsonb";
  return psprintf("%s %s.%s(%d, %s)", job->prokind == 'p' ? "CALL" : "SELECT",
                  quote_identifier(NameStr(job->proc_schema)), quote_identifier(NameStr(job->proc_name)),
                  job->id, config);
}

void record_start(int32 job_id, TimestampTz start) {
  CatalogContext cx;
  catalog_spi_begin(&cx);
  Oid types[2] = {INT4OID, TIMESTAMPTZOID};
  Datum values[2] = {Int32GetDatum(job_id), TimestampTzGetDatum(start)};
  int rc = SPI_execute_with_args(
      "UPDATE _strata_catalog.bgw_job_stat SET last_start = $2, total_runs = total_runs + 1"
      " WHERE job_id = $1",
      2, types, values, nullptr, false, 0);
  spi_check(rc, SPI_OK_UPDATE, "recording a job start");
  catalog_spi_end(&cx);
}

static core::JobInterval to_job_interval(Datum d) {
  Interval* iv = DatumGetIntervalP(d);
  return core::JobInterval{iv->month, iv->day, iv->time};
}

static Datum interval_datum(const core::JobInterval& j) {
  Interval* iv = static_cast<Interval*>(palloc(sizeof(Interval)));
  iv->month = j.months;
  iv->day = j.days;
  iv->time = j.usec;
  return IntervalPGetDatum(iv);
}

// t + iv in the job's time zone (wall-clock arithmetic) or in the session's: the calendar of
// core::try_next_start (`tz` is the context). It runs in a subtransaction, so that past the end
// of the timestamp range its PostgreSQL error is rolled back and becomes a recovered PgError,
// which try_next_start may swallow while the transaction goes on (see PgError).
static int64_t add_interval(void* tz_arg, int64_t t, const core::JobInterval& j) {
  text* tz = static_cast<text*>(tz_arg);
  return pg::pg_call_in_subtransaction([&]() -> int64 {
    Datum iv = interval_datum(j);
    if (tz == nullptr)
      return DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval, TimestampTzGetDatum(t), iv));
    Datum local = DirectFunctionCall2(timestamptz_zone, PointerGetDatum(tz), TimestampTzGetDatum(t));
    Datum moved = DirectFunctionCall2(timestamp_pl_interval, local, iv);
    return DatumGetTimestampTz(DirectFunctionCall2(timestamp_zone, PointerGetDatum(tz), moved));
  });
}

// The next start after a run that ended at `finish`. False, with the reason in `why`, when the
// schedule cannot produce one (past the end of the timestamp range, or not advancing): then
// *next is 'infinity'. Never raises, so the scheduler can always record a run.
static bool compute_next_start(const core::JobSchedule* s, bool success, int32 failures, TimestampTz finish,
                               text* tz, TimestampTz* next, char (&why)[256]) {
  int64_t result = DT_NOEND;
  const bool ok = core::try_next_start(*s, success ? 0 : Max(failures, 1), finish, add_interval, tz, &result,
                                       why, sizeof why);
  *next = ok ? result : DT_NOEND;
  return ok;
}

bool record_finish(int32 job_id, bool success, bool crashed, const char* sqlstate,
                   const char* message, int pid) {
  CatalogContext cx;
  catalog_spi_begin(&cx);
  Oid types1[1] = {INT4OID};
  Datum values1[1] = {Int32GetDatum(job_id)};
  int rc = SPI_execute_with_args(
      "SELECT j.schedule_interval, j.retry_period, j.max_retries, j.fixed_schedule,"
      "       j.initial_start, j.timezone, j.proc_schema, j.proc_name, s.consecutive_failures,"
      "       s.last_start"
      "  FROM _strata_catalog.bgw_job j"
      "  JOIN _strata_catalog.bgw_job_stat s ON s.job_id = j.id"
      " WHERE j.id = $1 FOR UPDATE OF s",
      1, types1, values1, nullptr, false, 1);
  spi_check(rc, SPI_OK_SELECT, "reading a job's schedule");
  if (SPI_processed != 1) {
    catalog_spi_end(&cx);
    return false;
  }
  core::JobSchedule sched;
  sched.schedule_interval = to_job_interval(spi_datum(0, 1));
  sched.retry_period = to_job_interval(spi_datum(0, 2));
  sched.max_retries = DatumGetInt32(spi_datum(0, 3));
  sched.fixed_schedule = DatumGetBool(spi_datum(0, 4));
  const TimestampTz finish = GetCurrentTimestamp();
  sched.initial_start = spi_isnull(0, 5) ? finish : DatumGetTimestampTz(spi_datum(0, 5));
  text* tz = spi_isnull(0, 6) ? nullptr : DatumGetTextPCopy(spi_datum(0, 6));
  Datum proc_schema = spi_datum(0, 7);
  Datum proc_name = spi_datum(0, 8);
  const int32 failures = success ? 0 : DatumGetInt32(spi_datum(0, 9)) + 1;
  Datum last_start = spi_datum(0, 10);
  const bool last_start_null = spi_isnull(0, 10);

  TimestampTz next;
  char why[256];
  if (!compute_next_start(&sched, success, failures, finish, tz, &next, why))
    ereport(WARNING, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("job %d will not run again: its next start cannot be computed: %s", job_id, why),
                      errhint("Change its schedule with alter_job.")));

  Oid types2[6] = {INT4OID, TIMESTAMPTZOID, BOOLOID, BOOLOID, INT4OID, TIMESTAMPTZOID};
  Datum values2[6] = {Int32GetDatum(job_id), TimestampTzGetDatum(finish), BoolGetDatum(success),
                      BoolGetDatum(crashed), Int32GetDatum(failures), TimestampTzGetDatum(next)};
  rc = SPI_execute_with_args(
      "UPDATE _strata_catalog.bgw_job_stat SET last_finish = $2, last_run_success = $3,"
      "  last_successful_finish = CASE WHEN $3 THEN $2 ELSE last_successful_finish END,"
      "  total_successes = total_successes + $3::int, total_failures = total_failures + (NOT $3)::int,"
      "  total_crashes = total_crashes + $4::int, consecutive_failures = $5,"
      "  last_run_duration = $2 - last_start, next_start = $6"
      " WHERE job_id = $1",
      6, types2, values2, nullptr, false, 0);
  spi_check(rc, SPI_OK_UPDATE, "recording a job result");
  if (!success) {
    Oid types3[8] = {INT4OID, NAMEOID, NAMEOID, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, TEXTOID};
    Datum values3[8] = {Int32GetDatum(job_id), proc_schema, proc_name, Int32GetDatum(pid), last_start,
                        TimestampTzGetDatum(finish), CStringGetTextDatum(sqlstate ? sqlstate : "XX000"),
                        CStringGetTextDatum(message ? message : "unknown error")};
    char nulls3[9] = "        ";
    if (last_start_null) nulls3[4] = 'n';
    rc = SPI_execute_with_args(
        "INSERT INTO _strata_catalog.job_errors (job_id, proc_schema, proc_name, pid, start_time,"
        "  finish_time, sqlerrcode, err_message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        8, types3, values3, nulls3, false, 0);
    spi_check(rc, SPI_OK_INSERT, "recording a job error");
    // Keep a month of errors per job.
    rc = SPI_execute_with_args(
        "DELETE FROM _strata_catalog.job_errors WHERE job_id = $1"
        "   AND finish_time < $2 - interval '1 month'",
        2, types2, values2, nullptr, false, 0);
    spi_check(rc, SPI_OK_DELETE, "pruning old job errors");
  }
  catalog_spi_end(&cx);
  return true;
}

bool owner_can_run(Oid owner, const char** sqlstate, const char** message) {
  HeapTuple tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(owner));
  if (!HeapTupleIsValid(tup)) {
    *sqlstate = "42704";
    *message = psprintf("the owner of the job (role with OID %u) no longer exists", owner);
    return false;
  }
  Form_pg_authid role = reinterpret_cast<Form_pg_authid>(GETSTRUCT(tup));
  bool ok = role->rolcanlogin;
  if (!ok) {
    *sqlstate = "28000";
    *message = psprintf("role \"%s\" that owns the job is not permitted to log in", NameStr(role->rolname));
  } else if (!role->rolsuper && pg_database_aclcheck(MyDatabaseId, owner, ACL_CONNECT) != ACLCHECK_OK) {
    ok = false;
    *sqlstate = "42501";
    *message = psprintf("role \"%s\" that owns the job may not connect to database \"%s\"",
                        NameStr(role->rolname), get_database_name(MyDatabaseId));
  }
  ReleaseSysCache(tup);
  return ok;
}

bool check_job_access(int32 job_id, bool if_exists, bool for_delete) {
  const Oid caller = GetUserId();
  CatalogScan scan;
  catalog_scan_init(&scan, CatalogIndex::bgw_job_pkey, AccessShareLock);
  catalog_scan_key_int4(&scan, col::bgw_job::id, job_id);
  catalog_scan_begin(&scan);
  const bool found = catalog_scan_next(&scan);
  Oid owner = InvalidOid, table_owner = InvalidOid;
  bool has_hypertable = false;
  int32 hypertable_id = 0;
  if (found) {
    owner = catalog_scan_oid(&scan, col::bgw_job::owner);
    has_hypertable = !catalog_scan_isnull(&scan, col::bgw_job::hypertable_id);
    hypertable_id = catalog_scan_int4(&scan, col::bgw_job::hypertable_id);
  }
  catalog_scan_end(&scan);
  if (has_hypertable) {
    Hypertable* ht = hypertable_get_by_id(hypertable_id);
    if (ht != nullptr && OidIsValid(ht->relid)) {
      HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(ht->relid));
      if (HeapTupleIsValid(tup)) {
        table_owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tup))->relowner;
        ReleaseSysCache(tup);
      }
    }
  }
  if (!found) {
    if (if_exists) return false;
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("job %d not found", job_id)));
  }
  if (superuser_arg(caller) || has_privs_of_role(caller, owner) ||
      (for_delete && OidIsValid(table_owner) && has_privs_of_role(caller, table_owner)))
    return true;
  ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                  errmsg("insufficient permissions to alter job %d", job_id),
                  errdetail("Only the owner of a job and superusers can change or run it.")));
  return false;
}

BackgroundWorkerHandle* start_dynamic_worker(const char* function, const char* name, const char* type,
                                             Datum arg, const void* extra, size_t extra_len) {
  BackgroundWorker w;
  memset(&w, 0, sizeof w);
  w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
  w.bgw_start_time = BgWorkerStart_RecoveryFinished;
  w.bgw_restart_time = BGW_NEVER_RESTART;
  strlcpy(w.bgw_library_name, "strata", BGW_MAXLEN);
  strlcpy(w.bgw_function_name, function, BGW_MAXLEN);
  strlcpy(w.bgw_name, name, BGW_MAXLEN);
  strlcpy(w.bgw_type, type, BGW_MAXLEN);
  w.bgw_main_arg = arg;
  w.bgw_notify_pid = MyProcPid;
  Assert(extra_len <= BGW_EXTRALEN);
  if (extra_len > 0) memcpy(w.bgw_extra, extra, extra_len);
  BackgroundWorkerHandle* handle = nullptr;
  if (!RegisterDynamicBackgroundWorker(&w, &handle)) return nullptr;
  return handle;
}

}  // namespace strata::jobs

// _strata_internal.job_next_start(initial_start, schedule_interval, retry_period, max_retries,
//   fixed_schedule, timezone, finish, consecutive_failures): the next start the scheduler would
//   record after a run that ended at `finish` (a success when consecutive_failures is 0).
STRATA_FUNCTION(strata_job_next_start) {
  for (int i : {1, 2, 3, 4, 6, 7})
    if (PG_ARGISNULL(i)) PG_RETURN_NULL();
  strata::core::JobSchedule s;
  const TimestampTz finish = PG_GETARG_TIMESTAMPTZ(6);
  s.initial_start = PG_ARGISNULL(0) ? finish : PG_GETARG_TIMESTAMPTZ(0);
  s.schedule_interval = strata::jobs::to_job_interval(PG_GETARG_DATUM(1));
  s.retry_period = strata::jobs::to_job_interval(PG_GETARG_DATUM(2));
  s.max_retries = PG_GETARG_INT32(3);
  s.fixed_schedule = PG_GETARG_BOOL(4);
  text* tz = PG_ARGISNULL(5) ? nullptr : PG_GETARG_TEXT_PP(5);
  const int32 failures = PG_GETARG_INT32(7);
  TimestampTz next;
  char why[256];
  if (!strata::jobs::compute_next_start(&s, failures == 0, failures, finish, tz, &next, why))
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("the job schedule has no next start: %s", why)));
  PG_RETURN_TIMESTAMPTZ(next);
}
