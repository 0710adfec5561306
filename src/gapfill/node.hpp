// The GapFill plan node's layout, shared by planning (plan.cpp) and execution (exec.cpp), and the
// bucket function both use (functions.cpp).
#pragma once

extern "C" {
#include "postgres.h"

#include "nodes/extensible.h"
#include "nodes/pg_list.h"
}

namespace strata::gapfill {

// custom_private of the plan: one IntList.
//   [kTimeType]      type of the bucket (int2, int4, int8, date, timestamp, timestamptz)
//   [kBucketCol]     0-based position of the bucket in the target list
//   [kHasTimezone]   the time zone form of time_bucket_gapfill
//   [kFinishInclusive] finish came from `time <= x` (or `=`): buckets up to and including it
//   [kGroupCount]    n, then n triples (position, equality function, collation)
//   then the locf count m and m pairs (position, treat_null_as_missing),
//   then the interpolate count k and k positions.
// custom_exprs: width, start, finish, time zone (a NULL constant when absent), then per locf
// column its prev expression, then per interpolate column prev and next (NULL constants when
// absent). Expressions of the group's columns reference the node's scan tuple (INDEX_VAR).
enum {
  kTimeType = 0,
  kBucketCol = 1,
  kHasTimezone = 2,
  kFinishInclusive = 3,
  kGroupCount = 4,
};
enum { kExprWidth = 0, kExprStart = 1, kExprFinish = 2, kExprTimezone = 3, kExprFirstColumn = 4 };

// The plan node's methods (exec.cpp).
extern const CustomScanMethods gapfill_scan_methods;

// The bucket of `ts` as time_bucket_gapfill computes it, for a bucket of type `type`.
Datum bucket_of(Oid type, Datum width, Datum ts, bool has_timezone, Datum timezone);

}  // namespace strata::gapfill
