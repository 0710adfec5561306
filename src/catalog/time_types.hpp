// Time columns on the internal int64 axis: which types a hypertable's time column may have and
// the conversions between their values and the axis (see core/time/chunk_range.hpp). C-style glue.
#pragma once

#include "pg/pg.hpp"

namespace strata {

// How a time column maps onto the internal int64 axis.
enum class TimeKind : uint8 { timestamptz, timestamp, date, int16, int32, int64 };

bool time_type_supported(Oid type, TimeKind* kind);
int64 time_datum_to_internal(Datum value, Oid type);
Datum internal_to_time_datum(int64 value, Oid type);
// The domain of the type on the internal axis, as {min, max}.
void time_type_domain(Oid type, int64* min, int64* max);

}  // namespace strata
