// The SQL functions of gap filling: time_bucket_gapfill() computes time_bucket()'s bucket (GapFill
// adds the missing ones), locf() and interpolate() return their value (GapFill fills them in).
#include "gapfill/node.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/timestamp.h"

// time_bucket()'s implementations (src/functions/time_bucket.cpp).
Datum strata_time_bucket_ts(PG_FUNCTION_ARGS);
Datum strata_time_bucket_tz(PG_FUNCTION_ARGS);
Datum strata_time_bucket_date(PG_FUNCTION_ARGS);
Datum strata_time_bucket_int16(PG_FUNCTION_ARGS);
Datum strata_time_bucket_int32(PG_FUNCTION_ARGS);
Datum strata_time_bucket_int64(PG_FUNCTION_ARGS);
}

namespace strata::gapfill {

Datum bucket_of(Oid type, Datum width, Datum ts, bool has_timezone, Datum timezone) {
  switch (type) {
    case TIMESTAMPTZOID:
      if (has_timezone) {
        LOCAL_FCINFO(fcinfo, 3);
        InitFunctionCallInfoData(*fcinfo, nullptr, 3, InvalidOid, nullptr, nullptr);
        fcinfo->args[0] = {width, false};
        fcinfo->args[1] = {ts, false};
        fcinfo->args[2] = {timezone, false};
        Datum result = strata_time_bucket_tz(fcinfo);
        if (fcinfo->isnull) elog(ERROR, "time_bucket returned NULL");
        return result;
      }
      return DirectFunctionCall2(strata_time_bucket_ts, width, ts);
    case TIMESTAMPOID:
      return DirectFunctionCall2(strata_time_bucket_ts, width, ts);
    case DATEOID:
      return DirectFunctionCall2(strata_time_bucket_date, width, ts);
    case INT2OID:
      return DirectFunctionCall2(strata_time_bucket_int16, width, ts);
    case INT4OID:
      return DirectFunctionCall2(strata_time_bucket_int32, width, ts);
    case INT8OID:
      return DirectFunctionCall2(strata_time_bucket_int64, width, ts);
    default:
      ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                      errmsg("time_bucket_gapfill does not support type %s", format_type_be(type))));
  }
  return (Datum)0;
}

}  // namespace strata::gapfill

// time_bucket_gapfill(width, ts [, timezone], start, finish): the bucket of ts. start and finish
// are read by the GapFill node, not here.
STRATA_FUNCTION(strata_time_bucket_gapfill) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1)) PG_RETURN_NULL();
  const Oid type = get_fn_expr_argtype(fcinfo->flinfo, 1);
  const bool has_timezone = PG_NARGS() == 5;
  if (has_timezone && PG_ARGISNULL(2)) PG_RETURN_NULL();
  PG_RETURN_DATUM(strata::gapfill::bucket_of(type, PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), has_timezone,
                                             has_timezone ? PG_GETARG_DATUM(2) : (Datum)0));
}

// locf(value, ...) and interpolate(value, ...): the value itself.
STRATA_FUNCTION(strata_gapfill_marker) {
  if (PG_ARGISNULL(0)) PG_RETURN_NULL();
  PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}
