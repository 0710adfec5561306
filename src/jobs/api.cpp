// Background jobs: the C side of the SQL API. Catalog writers that check the calling role and
// write as the extension owner, and add_retention_policy's "any" argument.
#include "jobs/jobs.hpp"

extern "C" {
#include "utils/acl.h"
}

namespace strata::jobs {

static void spi_exec(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls, int expected) {
  const int rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
  if (rc != expected) elog(ERROR, "strata jobs: catalog write failed: %s", SPI_result_code_string(rc));
}

// The owner of a hypertable's table, by hypertable id; InvalidOid if there is none.
static Oid hypertable_owner(int32 hypertable_id) {
  Oid types[1] = {INT4OID};
  Datum values[1] = {Int32GetDatum(hypertable_id)};
  const int rc = SPI_execute_with_args(
      "SELECT c.relowner FROM _strata_catalog.hypertable h"
      "  JOIN pg_catalog.pg_namespace n ON n.nspname = h.schema_name"
      "  JOIN pg_catalog.pg_class c ON c.relname = h.table_name AND c.relnamespace = n.oid"
      " WHERE h.id = $1",
      1, types, values, nullptr, true, 1);
  if (rc != SPI_OK_SELECT || SPI_processed != 1) return InvalidOid;
  bool isnull;
  return DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

}  // namespace strata::jobs

using namespace strata::jobs;

// job_insert(application_name, proc_schema, proc_name, schedule_interval, max_runtime,
//   max_retries, retry_period, scheduled, fixed_schedule, initial_start, hypertable_id, config,
//   check_schema, check_name, timezone, next_start): the job is owned by the calling role.
STRATA_FUNCTION(strata_job_insert) {
  constexpr int kArgs = 16;
  for (int i : {0, 1, 2, 3, 4, 5, 6, 7, 8, 15})
    if (PG_ARGISNULL(i))
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("job argument %d cannot be NULL", i + 1)));
  const Oid caller = GetUserId();
  if (!PG_ARGISNULL(10)) {
    // Policies on a hypertable belong to its owner.
    CatalogContext cx;
    catalog_spi_begin(&cx);
    const Oid owner = hypertable_owner(PG_GETARG_INT32(10));
    catalog_spi_end(&cx);
    if (!OidIsValid(owner))
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("hypertable with id %d does not exist", PG_GETARG_INT32(10))));
    if (!has_privs_of_role(caller, owner))
      ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("must be owner of the hypertable")));
  }
  Oid types[kArgs + 1] = {TEXTOID,     NAMEOID,        NAMEOID, INTERVALOID, INTERVALOID, INT4OID,
                          INTERVALOID, BOOLOID,        BOOLOID, TIMESTAMPTZOID, INT4OID,  JSONBOID,
                          NAMEOID,     NAMEOID,        TEXTOID, TIMESTAMPTZOID, OIDOID};
  Datum values[kArgs + 1];
  char nulls[kArgs + 2];
  for (int i = 0; i < kArgs; i++) {
    values[i] = PG_ARGISNULL(i) ? (Datum)0 : PG_GETARG_DATUM(i);
    nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
  }
  values[kArgs] = ObjectIdGetDatum(caller);
  nulls[kArgs] = ' ';
  nulls[kArgs + 1] = '\0';
  CatalogContext cx;
  catalog_spi_begin(&cx);
  const int rc = SPI_execute_with_args(
      "WITH j AS ("
      "  INSERT INTO _strata_catalog.bgw_job (id, application_name, proc_schema, proc_name,"
      "    schedule_interval, max_runtime, max_retries, retry_period, scheduled, fixed_schedule,"
      "    initial_start, hypertable_id, config, check_schema, check_name, timezone, owner)"
      "  SELECT i.id, pg_catalog.format('%s [%s]', $1, i.id), $2, $3, $4, $5, $6, $7, $8, $9,"
      "    $10, $11, $12, $13, $14, $15, $17::regrole"
      "    FROM (SELECT pg_catalog.nextval('_strata_catalog.bgw_job_id_seq')::integer AS id) i"
      "  RETURNING id)"
      "INSERT INTO _strata_catalog.bgw_job_stat (job_id, next_start) SELECT j.id, $16 FROM j"
      " RETURNING job_id",
      kArgs + 1, types, values, nulls, false, 0);
  if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
    elog(ERROR, "strata jobs: inserting a job failed: %s", SPI_result_code_string(rc));
  bool isnull;
  const int32 id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
  catalog_spi_end(&cx);
  PG_RETURN_INT32(id);
}

// job_update(job_id, schedule_interval, max_runtime, max_retries, retry_period, scheduled,
//   fixed_schedule, initial_start, config, check_schema, check_name, timezone, next_start).
STRATA_FUNCTION(strata_job_update) {
  constexpr int kArgs = 13;
  for (int i : {0, 1, 2, 3, 4, 5, 6})
    if (PG_ARGISNULL(i))
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("job argument %d cannot be NULL", i + 1)));
  (void)check_job_access(PG_GETARG_INT32(0), false);
  Oid types[kArgs] = {INT4OID,        INTERVALOID, INTERVALOID, INT4OID, INTERVALOID,
                      BOOLOID,        BOOLOID,     TIMESTAMPTZOID, JSONBOID, NAMEOID,
                      NAMEOID,        TEXTOID,     TIMESTAMPTZOID};
  Datum values[kArgs];
  char nulls[kArgs + 1];
  for (int i = 0; i < kArgs; i++) {
    values[i] = PG_ARGISNULL(i) ? (Datum)0 : PG_GETARG_DATUM(i);
    nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
  }
  nulls[kArgs] = '\0';
  CatalogContext cx;
  catalog_spi_begin(&cx);
  spi_exec(
      "UPDATE _strata_catalog.bgw_job SET schedule_interval = $2, max_runtime = $3,"
      "  max_retries = $4, retry_period = $5, scheduled = $6, fixed_schedule = $7,"
      "  initial_start = $8, config = $9, check_schema = $10, check_name = $11, timezone = $12"
      " WHERE id = $1",
      12, types, values, nulls, SPI_OK_UPDATE);
  if (!PG_ARGISNULL(12)) {
    Oid t2[2] = {INT4OID, TIMESTAMPTZOID};
    Datum v2[2] = {values[0], values[12]};
    spi_exec("UPDATE _strata_catalog.bgw_job_stat SET next_start = $2 WHERE job_id = $1", 2, t2, v2,
             nullptr, SPI_OK_UPDATE);
  }
  catalog_spi_end(&cx);
  PG_RETURN_VOID();
}

STRATA_FUNCTION(strata_job_delete) {
  const int32 job_id = PG_GETARG_INT32(0);
  (void)check_job_access(job_id, false, true);
  CatalogContext cx;
  catalog_spi_begin(&cx);
  Oid types[1] = {INT4OID};
  Datum values[1] = {Int32GetDatum(job_id)};
  spi_exec("DELETE FROM _strata_catalog.bgw_job WHERE id = $1", 1, types, values, nullptr, SPI_OK_DELETE);
  catalog_spi_end(&cx);
  // As in TimescaleDB, a run in progress is stopped (once the deletion commits).
  terminate_job_on_commit(job_id);
  PG_RETURN_VOID();
}

STRATA_FUNCTION(strata_job_check_access) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("job ID cannot be NULL")));
  const bool if_exists = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
  PG_RETURN_BOOL(check_job_access(PG_GETARG_INT32(0), if_exists));
}

// add_retention_policy(relation, drop_after "any", if_not_exists, schedule_interval,
//   initial_start, timezone, drop_created_before): passes drop_after on as text and its type.
STRATA_FUNCTION(strata_add_retention_policy) {
  Datum values[8];
  char nulls[9] = "        ";
  Oid types[8] = {REGCLASSOID, TEXTOID, REGTYPEOID, BOOLOID, INTERVALOID, TIMESTAMPTZOID, TEXTOID, INTERVALOID};
  values[0] = PG_ARGISNULL(0) ? (Datum)0 : PG_GETARG_DATUM(0);
  if (PG_ARGISNULL(0)) nulls[0] = 'n';
  Oid drop_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
  if (PG_ARGISNULL(1) || !OidIsValid(drop_type)) {
    nulls[1] = 'n';
    values[1] = (Datum)0;
  } else {
    Oid out;
    bool varlena;
    getTypeOutputInfo(drop_type, &out, &varlena);
    values[1] = CStringGetTextDatum(OidOutputFunctionCall(out, PG_GETARG_DATUM(1)));
  }
  values[2] = ObjectIdGetDatum(OidIsValid(drop_type) ? drop_type : UNKNOWNOID);
  values[3] = BoolGetDatum(!PG_ARGISNULL(2) && PG_GETARG_BOOL(2));
  for (int i = 3; i < 7; i++) {
    values[i + 1] = PG_ARGISNULL(i) ? (Datum)0 : PG_GETARG_DATUM(i);
    if (PG_ARGISNULL(i)) nulls[i + 1] = 'n';
  }
  // Runs as the caller (the implementation checks ownership).
  SPI_connect();
  const int rc = SPI_execute_with_args(
      "SELECT _strata_internal.add_retention_policy($1, $2, $3, $4, $5, $6, $7, $8)", 8, types,
      values, nulls, false, 1);
  if (rc != SPI_OK_SELECT || SPI_processed != 1)
    elog(ERROR, "strata jobs: add_retention_policy failed: %s", SPI_result_code_string(rc));
  bool isnull;
  const Datum id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
  SPI_finish();
  PG_RETURN_DATUM(id);
}
