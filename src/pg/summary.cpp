// Summaries of long operations (see summary.hpp).
#include "pg/summary.hpp"

namespace strata::pg {

int guc_summary_min_duration = 1000;

bool summary_due(TimestampTz started) {
  if (guc_summary_min_duration < 0) return false;
  if (guc_summary_min_duration == 0) return true;
  return TimestampDifferenceExceeds(started, GetCurrentTimestamp(), guc_summary_min_duration);
}

char* size_pretty(int64 bytes) {
  return text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty, Int64GetDatum(bytes))));
}

}  // namespace strata::pg
