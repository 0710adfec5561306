// Time values <-> the internal int64 axis (see time_types.hpp).
#include "catalog/time_types.hpp"

#include "core/time/chunk_range.hpp"

extern "C" {
#include "utils/date.h"
#include "utils/timestamp.h"
}

namespace strata {

bool time_type_supported(Oid type, TimeKind* kind) {
  TimeKind k;
  switch (type) {
    case TIMESTAMPTZOID: k = TimeKind::timestamptz; break;
    case TIMESTAMPOID: k = TimeKind::timestamp; break;
    case DATEOID: k = TimeKind::date; break;
    case INT2OID: k = TimeKind::int16; break;
    case INT4OID: k = TimeKind::int32; break;
    case INT8OID: k = TimeKind::int64; break;
    default: return false;
  }
  if (kind != nullptr) *kind = k;
  return true;
}

int64 time_datum_to_internal(Datum value, Oid type) {
  switch (type) {
    case TIMESTAMPTZOID:
    case TIMESTAMPOID:
      return core::pg_timestamp_to_unix_usec(DatumGetInt64(value));
    case DATEOID:
      return core::pg_date_to_unix_usec(DatumGetDateADT(value));
    case INT2OID:
      return DatumGetInt16(value);
    case INT4OID:
      return DatumGetInt32(value);
    case INT8OID:
      return DatumGetInt64(value);
    default:
      ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                      errmsg("unsupported time type %s", format_type_be(type))));
  }
  pg_unreachable();
}

Datum internal_to_time_datum(int64 value, Oid type) {
  switch (type) {
    case TIMESTAMPTZOID:
      return TimestampTzGetDatum(core::unix_usec_to_pg_timestamp(value));
    case TIMESTAMPOID:
      return TimestampGetDatum(core::unix_usec_to_pg_timestamp(value));
    case DATEOID:
      return DateADTGetDatum(core::unix_usec_to_pg_date_ceil(value));
    case INT2OID:
      return Int16GetDatum(static_cast<int16>(Max(Min(value, (int64)PG_INT16_MAX), (int64)PG_INT16_MIN)));
    case INT4OID:
      return Int32GetDatum(static_cast<int32>(Max(Min(value, (int64)PG_INT32_MAX), (int64)PG_INT32_MIN)));
    case INT8OID:
      return Int64GetDatum(value);
    default:
      ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                      errmsg("unsupported time type %s", format_type_be(type))));
  }
  pg_unreachable();
}

void time_type_domain(Oid type, int64* min, int64* max) {
  switch (type) {
    case INT2OID: *min = PG_INT16_MIN; *max = PG_INT16_MAX; return;
    case INT4OID: *min = PG_INT32_MIN; *max = PG_INT32_MAX; return;
    default: *min = PG_INT64_MIN; *max = PG_INT64_MAX; return;
  }
}

}  // namespace strata
