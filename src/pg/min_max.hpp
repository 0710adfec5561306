// PostgreSQL's built-in min and max aggregates over types whose Datum holds the value itself (the
// integers, float4 and float8, date, timestamp and timestamptz): the ones strata's own aggregations
// compute natively (src/columnstore's aggregation pushdown and rowstore aggregation, src/planner's
// BucketAggregate), listed once here.
#pragma once

extern "C" {
#include "postgres.h"

#include "utils/fmgroids.h"
}

namespace strata::pg {

enum class MinMax { kNeither, kMin, kMax };

inline MinMax by_value_min_max(Oid fnoid) {
  switch (fnoid) {
    case F_MIN_INT2:
    case F_MIN_INT4:
    case F_MIN_INT8:
    case F_MIN_FLOAT4:
    case F_MIN_FLOAT8:
    case F_MIN_DATE:
    case F_MIN_TIMESTAMP:
    case F_MIN_TIMESTAMPTZ:
      return MinMax::kMin;
    case F_MAX_INT2:
    case F_MAX_INT4:
    case F_MAX_INT8:
    case F_MAX_FLOAT4:
    case F_MAX_FLOAT8:
    case F_MAX_DATE:
    case F_MAX_TIMESTAMP:
    case F_MAX_TIMESTAMPTZ:
      return MinMax::kMax;
    default:
      return MinMax::kNeither;
  }
}

}  // namespace strata::pg
