// Interval-set arithmetic on the internal time axis (see time_set.hpp).
#include "planner/time_set.hpp"

#include <algorithm>

namespace strata::core {

CmpStrategy commute(CmpStrategy s) {
  switch (s) {
    case CmpStrategy::lt: return CmpStrategy::gt;
    case CmpStrategy::le: return CmpStrategy::ge;
    case CmpStrategy::eq: return CmpStrategy::eq;
    case CmpStrategy::ge: return CmpStrategy::le;
    case CmpStrategy::gt: return CmpStrategy::lt;
  }
  return s;
}

bool interval_for_comparison(CmpStrategy s, int64_t x, TimeInterval* out) {
  switch (s) {
    case CmpStrategy::lt:
      *out = {INT64_MIN, x == INT64_MIN ? INT64_MIN : x - 1};
      return true;
    case CmpStrategy::le:
      *out = {INT64_MIN, x};
      return true;
    case CmpStrategy::eq:
      *out = {x, x};
      return true;
    case CmpStrategy::ge:
      *out = {x, INT64_MAX};
      return true;
    case CmpStrategy::gt:
      *out = {x == INT64_MAX ? INT64_MAX : x + 1, INT64_MAX};
      return true;
  }
  return false;
}

TimeInterval widen(TimeInterval in, int64_t margin) {
  TimeInterval r = in;
  if (__builtin_sub_overflow(in.lo, margin, &r.lo)) r.lo = INT64_MIN;
  if (__builtin_add_overflow(in.hi, margin, &r.hi)) r.hi = INT64_MAX;
  return r;
}

TimeInterval snap_to_multiples(TimeInterval in, int64_t step) {
  TimeInterval r = in;
  if (in.lo != INT64_MIN) {
    __int128 q = in.lo / step;
    if (in.lo % step != 0 && in.lo > 0) ++q;
    const __int128 lo = q * step;
    r.lo = lo > INT64_MAX ? INT64_MAX : static_cast<int64_t>(lo);
  }
  if (in.hi != INT64_MAX) {
    __int128 q = in.hi / step;
    if (in.hi % step != 0 && in.hi < 0) --q;
    const __int128 hi = q * step;
    r.hi = hi < INT64_MIN ? INT64_MIN : static_cast<int64_t>(hi);
  }
  return r;
}

size_t normalize(TimeInterval* v, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; ++i)
    if (v[i].lo <= v[i].hi) v[k++] = v[i];
  std::sort(v, v + k, [](const TimeInterval& a, const TimeInterval& b) {
    return a.lo < b.lo || (a.lo == b.lo && a.hi < b.hi);
  });
  size_t m = 0;
  for (size_t i = 0; i < k; ++i) {
    // Adjacent when the previous interval ends right before this one starts.
    if (m > 0 && (v[m - 1].hi == INT64_MAX || v[i].lo <= v[m - 1].hi + 1)) {
      v[m - 1].hi = std::max(v[m - 1].hi, v[i].hi);
    } else {
      v[m++] = v[i];
    }
  }
  return m;
}

size_t intersect(const TimeInterval* a, size_t na, const TimeInterval* b, size_t nb,
                 TimeInterval* out) {
  size_t i = 0, j = 0, k = 0;
  while (i < na && j < nb) {
    const int64_t lo = std::max(a[i].lo, b[j].lo);
    const int64_t hi = std::min(a[i].hi, b[j].hi);
    if (lo <= hi) out[k++] = {lo, hi};
    if (a[i].hi < b[j].hi)
      ++i;
    else
      ++j;
  }
  return k;
}

bool overlaps_range(const TimeInterval* v, size_t n, int64_t start, int64_t end) {
  if (end != INT64_MAX && end <= start) return false;
  const int64_t last = end == INT64_MAX ? INT64_MAX : end - 1;
  // The first interval whose upper end reaches the range's start.
  const TimeInterval* it = std::lower_bound(
      v, v + n, start, [](const TimeInterval& iv, int64_t s) { return iv.hi < s; });
  return it != v + n && it->lo <= last;
}

}  // namespace strata::core
