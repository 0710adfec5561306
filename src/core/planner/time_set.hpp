// Sets of closed intervals on the internal time axis, used to decide which chunks a query's time
// predicates can match. Pure functions over caller-owned arrays, so the PostgreSQL glue can keep
// the intervals in palloc'd memory.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata::core {

// The closed interval [lo, hi] of internal axis values. Empty when lo > hi.
struct TimeInterval {
  int64_t lo;
  int64_t hi;
  bool operator==(const TimeInterval&) const = default;
};

inline constexpr TimeInterval kWholeAxis{INT64_MIN, INT64_MAX};

// btree strategy numbers (access/stratnum.h): <, <=, =, >=, >.
enum class CmpStrategy : int { lt = 1, le = 2, eq = 3, ge = 4, gt = 5 };

// The strategy of `x OP col` written as `col OP' x`.
CmpStrategy commute(CmpStrategy s);

// The axis values v with `v OP x`. The ends of the axis (INT64_MIN / INT64_MAX) may stand for
// values that saturated on conversion, so strict comparisons against them keep the end value
// itself (a harmless superset). Returns false when no value can match.
bool interval_for_comparison(CmpStrategy s, int64_t x, TimeInterval* out);

// [lo - margin, hi + margin], saturating.
TimeInterval widen(TimeInterval in, int64_t margin);

// Narrows [lo, hi] to the multiples of step (> 0) it contains, for columns whose axis values are
// all multiples of step (dates). The axis ends stand for infinities and are kept.
TimeInterval snap_to_multiples(TimeInterval in, int64_t step);

// Sorts v, drops empty intervals and merges overlapping or adjacent ones; returns the new count.
size_t normalize(TimeInterval* v, size_t n);

// The intersection of two normalized sets into out (capacity na + nb); returns the count. The
// result is normalized.
size_t intersect(const TimeInterval* a, size_t na, const TimeInterval* b, size_t nb,
                 TimeInterval* out);

// Whether a normalized set meets the chunk range [start, end) (end == INT64_MAX means unbounded
// above, INT64_MAX included).
bool overlaps_range(const TimeInterval* v, size_t n, int64_t start, int64_t end);

}  // namespace strata::core
