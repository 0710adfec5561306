// Invalidated range arithmetic for continuous aggregates (see ranges.hpp).
#include "caggs/ranges.hpp"

#include <algorithm>

namespace strata::core {

size_t merge_ranges(TimeRange* ranges, size_t n) {
  if (n == 0) return 0;
  std::sort(ranges, ranges + n, [](const TimeRange& a, const TimeRange& b) {
    return a.lo < b.lo || (a.lo == b.lo && a.hi < b.hi);
  });
  size_t out = 0;
  for (size_t i = 1; i < n; ++i) {
    TimeRange& cur = ranges[out];
    const TimeRange& r = ranges[i];
    // Overlapping or adjacent (cur.hi + 1 == r.lo, without overflowing at INT64_MAX).
    if (cur.hi == INT64_MAX || r.lo <= cur.hi + 1) {
      cur.hi = std::max(cur.hi, r.hi);
    } else {
      ranges[++out] = r;
    }
  }
  return out + 1;
}

bool clip_to_window(TimeRange r, int64_t start, int64_t end, TimeRange* out) {
  int64_t lo = std::max(r.lo, start);
  int64_t hi = r.hi;
  if (end != INT64_MAX) {
    if (end == INT64_MIN) return false;
    hi = std::min(hi, end - 1);
  }
  if (lo > hi) return false;
  *out = TimeRange{lo, hi};
  return true;
}

size_t cut_window(TimeRange r, int64_t start, int64_t end, TimeRange out[2]) {
  size_t n = 0;
  if (start != INT64_MIN && r.lo < start) out[n++] = TimeRange{r.lo, std::min(r.hi, start - 1)};
  if (end != INT64_MAX && r.hi >= end) out[n++] = TimeRange{std::max(r.lo, end), r.hi};
  return n;
}

}  // namespace strata::core
