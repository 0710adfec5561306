// Chunk range arithmetic on the internal int64 time axis (see chunk_range.hpp).
#include "time/chunk_range.hpp"

#include "error.hpp"

namespace strata::core {

int64_t floor_div(int64_t a, int64_t b) {
  if (b <= 0) throw Error(Errc::invalid_argument, "divisor must be positive");
  int64_t q = a / b;
  if ((a % b) != 0 && a < 0) --q;
  return q;
}

ChunkRange chunk_range_for(int64_t value, int64_t interval, Domain domain) {
  if (interval <= 0) throw Error(Errc::invalid_argument, "chunk interval must be positive");
  if (value < domain.min || value > domain.max)
    throw Error(Errc::out_of_range, "time value outside the column's domain");
  const __int128 k = floor_div(value, interval);
  const __int128 start = k * interval;
  const __int128 end = start + interval;
  ChunkRange r{};
  r.start = start <= static_cast<__int128>(domain.min) ? kOpenStart : static_cast<int64_t>(start);
  r.end = end > static_cast<__int128>(domain.max) ? kOpenEnd : static_cast<int64_t>(end);
  return r;
}

ChunkRange cut_range(ChunkRange r, int64_t value, const ChunkRange* existing, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const ChunkRange& e = existing[i];
    if (e.contains(value)) throw Error(Errc::internal, "value already covered by a chunk");
    if (e.start > value) {
      if (e.start < r.end || r.end == kOpenEnd) r.end = e.start;
    } else if (e.end != kOpenEnd && e.end > r.start) {
      r.start = e.end;
    }
  }
  return r;
}

int64_t sat_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

int64_t sat_sub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? INT64_MAX : INT64_MIN;
  return r;
}

int64_t pg_timestamp_to_unix_usec(int64_t pg_ts) {
  if (pg_ts == INT64_MIN || pg_ts == INT64_MAX) return pg_ts;
  return sat_add(pg_ts, kPgEpochOffsetUsec);
}

int64_t unix_usec_to_pg_timestamp(int64_t unix_usec) {
  if (unix_usec == INT64_MIN || unix_usec == INT64_MAX) return unix_usec;
  return sat_sub(unix_usec, kPgEpochOffsetUsec);
}

int64_t pg_date_to_unix_usec(int32_t pg_date) {
  if (pg_date == INT32_MIN) return INT64_MIN;
  if (pg_date == INT32_MAX) return INT64_MAX;
  // |days| < 2^31 and 86400e6 < 2^37: the product fits in int64 with room for the offset.
  return static_cast<int64_t>(pg_date) * kUsecPerDay + kPgEpochOffsetUsec;
}

int32_t unix_usec_to_pg_date_ceil(int64_t unix_usec) {
  if (unix_usec == INT64_MIN) return INT32_MIN;
  if (unix_usec == INT64_MAX) return INT32_MAX;
  const __int128 rel = static_cast<__int128>(unix_usec) - kPgEpochOffsetUsec;
  __int128 days = rel / kUsecPerDay;
  if (rel % kUsecPerDay != 0 && rel > 0) ++days;
  if (days <= INT32_MIN) return INT32_MIN + 1;
  if (days >= INT32_MAX) return INT32_MAX - 1;
  return static_cast<int32_t>(days);
}

}  // namespace strata::core
