// Refresh policies: the C side of add_continuous_aggregate_policy (its offsets are "any": an
// interval, or an integer for integer time) and the policy job itself, a procedure that refreshes
// the window [now - start_offset, now - end_offset) in committed batches.
#include "caggs/internal.hpp"

#include "core/time/chunk_range.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "nodes/parsenodes.h"
#include "utils/guc.h"
}

using namespace strata;
using namespace strata::caggs;

namespace {

// An "any" argument as (text, type); NULL stays NULL.
void any_arg(FunctionCallInfo fcinfo, int n, Datum* text, char* null, Datum* type) {
  Oid t = get_fn_expr_argtype(fcinfo->flinfo, n);
  *type = ObjectIdGetDatum(OidIsValid(t) ? t : UNKNOWNOID);
  if (PG_ARGISNULL(n) || !OidIsValid(t)) {
    *null = 'n';
    *text = (Datum)0;
    return;
  }
  Oid out;
  bool varlena;
  getTypeOutputInfo(t, &out, &varlena);
  *text = CStringGetTextDatum(OidOutputFunctionCall(out, PG_GETARG_DATUM(n)));
}

// Evaluates `sql` (one value, or NULL) through SPI with a safe search_path.
// `user_path`: keep the caller's search_path (for calling the user's integer now function, whose
// body may rely on it).
bool eval(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls, Datum* out,
          bool user_path = false) {
  int nest = NewGUCNestLevel();
  if (!user_path)
    (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true,
                            0, false);
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  int rc = SPI_execute_with_args(sql, nargs, types, values, nulls, true, 1);
  if (rc != SPI_OK_SELECT || SPI_processed != 1) elog(ERROR, "policy statement failed: %s", sql);
  bool isnull;
  Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
  if (!isnull) {
    Form_pg_attribute att = TupleDescAttr(SPI_tuptable->tupdesc, 0);
    d = SPI_datumTransfer(d, att->attbyval, att->attlen);
  }
  SPI_finish();
  AtEOXact_GUC(true, nest);
  *out = d;
  return !isnull;
}

}  // namespace

// add_continuous_aggregate_policy(continuous_aggregate, start_offset "any", end_offset "any",
//   schedule_interval, if_not_exists, initial_start, timezone, buckets_per_batch,
//   max_batches_per_execution, refresh_newest_first)
STRATA_FUNCTION(strata_add_continuous_aggregate_policy) {
  Datum values[12];
  char nulls[13] = "            ";
  Oid types[12] = {REGCLASSOID, TEXTOID,    REGTYPEOID, TEXTOID, REGTYPEOID, INTERVALOID,
                   BOOLOID,     TIMESTAMPTZOID, TEXTOID, INT4OID, INT4OID,   BOOLOID};
  values[0] = PG_ARGISNULL(0) ? (Datum)0 : PG_GETARG_DATUM(0);
  if (PG_ARGISNULL(0)) nulls[0] = 'n';
  any_arg(fcinfo, 1, &values[1], &nulls[1], &values[2]);
  any_arg(fcinfo, 2, &values[3], &nulls[3], &values[4]);
  for (int i = 3; i < 10; i++) {
    values[i + 2] = PG_ARGISNULL(i) ? (Datum)0 : PG_GETARG_DATUM(i);
    if (PG_ARGISNULL(i)) nulls[i + 2] = 'n';
  }
  // Runs as the caller (the implementation checks ownership).
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  int rc = SPI_execute_with_args(
      "SELECT _strata_internal.add_continuous_aggregate_policy($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
      12, types, values, nulls, false, 1);
  if (rc != SPI_OK_SELECT || SPI_processed != 1)
    elog(ERROR, "add_continuous_aggregate_policy failed: %s", SPI_result_code_string(rc));
  bool isnull;
  Datum id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
  SPI_finish();
  PG_RETURN_DATUM(id);
}

// The policy job: _strata_internal.policy_refresh_continuous_aggregate(job_id, config).
STRATA_FUNCTION(strata_policy_refresh_continuous_aggregate) {
  bool nonatomic = fcinfo->context != nullptr && IsA(fcinfo->context, CallContext) &&
                   !castNode(CallContext, fcinfo->context)->atomic;
  if (PG_ARGISNULL(1))
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("continuous aggregate policy config is NULL")));
  if (SPI_connect_ext(nonatomic ? SPI_OPT_NONATOMIC : 0) != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  Datum config = PG_GETARG_DATUM(1);
  Oid jtype[1] = {JSONBOID};
  Datum v;
  if (!eval("SELECT ($1->>'mat_hypertable_id')::integer", 1, jtype, &config, nullptr, &v))
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("continuous aggregate policy config must contain \"mat_hypertable_id\"")));
  Cagg* cagg = cagg_get_by_mat_id(DatumGetInt32(v));
  if (cagg == nullptr)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                    errmsg("continuous aggregate with materialization hypertable id %d does not exist",
                           DatumGetInt32(v))));
  QueryInfo qi;
  load_query(cagg, &qi);
  Oid type = qi.time_type;
  bool int_time = type == INT2OID || type == INT4OID || type == INT8OID;
  int64 bounds[2] = {core::kOpenStart, core::kOpenEnd};
  const char* keys[2] = {"start_offset", "end_offset"};
  int64 now_value = 0;
  if (int_time) {
    Hypertable* raw = qi.raw_ht;
    if (NameStr(raw->integer_now_func)[0] == '\0')
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("integer_now function not set on hypertable \"%s\"", NameStr(raw->table_name)),
                      errhint("Set it with set_integer_now_func().")));
    const char* sql = psprintf("SELECT %s()::pg_catalog.int8",
                               quote_qualified_identifier(NameStr(raw->integer_now_schema), NameStr(raw->integer_now_func)));
    if (!eval(sql, 0, nullptr, nullptr, nullptr, &v, true))
      ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("the integer now function returned NULL")));
    now_value = DatumGetInt64(v);
  }
  for (int i = 0; i < 2; i++) {
    Datum args[2] = {config, CStringGetTextDatum(keys[i])};
    Oid types[2] = {JSONBOID, TEXTOID};
    if (int_time) {
      if (eval("SELECT ($1->>$2)::int8", 2, types, args, nullptr, &v)) bounds[i] = now_value - DatumGetInt64(v);
    } else {
      const char* sql = psprintf("SELECT (now() - ($1->>$2)::interval)::%s", format_type_be_qualified(type));
      if (eval(sql, 2, types, args, nullptr, &v)) bounds[i] = time_datum_to_internal(v, type);
    }
  }
  Datum args[1] = {config};
  RefreshOptions opt{false, nonatomic, false, 0, 0, true};
  // buckets_per_batch 0 or 1: batches of the automatic size (strata.cagg_refresh_batch_buckets,
  // or one raw chunk interval's worth of buckets).
  if (eval("SELECT ($1->>'buckets_per_batch')::integer", 1, jtype, args, nullptr, &v) && DatumGetInt32(v) > 1)
    opt.batch_buckets = DatumGetInt32(v);
  if (eval("SELECT ($1->>'max_batches_per_execution')::integer", 1, jtype, args, nullptr, &v) && DatumGetInt32(v) > 0)
    opt.max_batches = DatumGetInt32(v);
  if (eval("SELECT ($1->>'refresh_newest_first')::boolean", 1, jtype, args, nullptr, &v))
    opt.newest_first = DatumGetBool(v);
  int64 s = bounds[0], e = bounds[1];
  auto floor = [&qi](int64 x) { return bucket_floor(&qi.bucket, x); };
  core::Bucketing<decltype(floor)> bk{floor, qi.bucket.nominal};
  core::round_window_in(bk, &s, &e);
  if (s < e) refresh_window(cagg, s, e, &opt, &qi);
  SPI_finish();
  PG_RETURN_VOID();
}
