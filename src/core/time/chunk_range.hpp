// Chunk range arithmetic: aligned [start, end) ranges over the internal int64 time axis.
//
// Time columns are mapped onto one int64 axis before any range arithmetic:
//   timestamptz / timestamp: microseconds since the Unix epoch,
//   date:                    days since the Unix epoch times 86,400,000,000,
//   smallint / int / bigint: the value itself.
// Chunk k of interval I covers [k*I, (k+1)*I), which is TimescaleDB's alignment, so the same data
// gives the same chunk boundaries. A range whose lower end would fall below the type's domain is
// open below (start == kOpenStart); one whose upper end would pass it is open above
// (end == kOpenEnd).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace strata::core {

inline constexpr int64_t kOpenStart = INT64_MIN;
inline constexpr int64_t kOpenEnd = INT64_MAX;

// Microseconds between 1970-01-01 (Unix epoch) and 2000-01-01 (PostgreSQL epoch).
inline constexpr int64_t kPgEpochOffsetUsec = INT64_C(946684800000000);
inline constexpr int64_t kUsecPerDay = INT64_C(86400000000);

struct ChunkRange {
  int64_t start;  // inclusive; kOpenStart means unbounded below
  int64_t end;    // exclusive; kOpenEnd means unbounded above (and then includes INT64_MAX)

  bool contains(int64_t v) const { return v >= start && (end == kOpenEnd || v < end); }
  bool operator==(const ChunkRange&) const = default;
};

// The domain of a time column on the internal axis (inclusive bounds).
struct Domain {
  int64_t min;
  int64_t max;
};

inline constexpr Domain kDomainInt16{INT16_MIN, INT16_MAX};
inline constexpr Domain kDomainInt32{INT32_MIN, INT32_MAX};
inline constexpr Domain kDomainInt64{INT64_MIN, INT64_MAX};
inline constexpr Domain kDomainTime{INT64_MIN, INT64_MAX};

// The aligned range of `interval` (> 0) holding `value`, clipped to the domain: a range that
// reaches past the domain's minimum or maximum is open on that side.
ChunkRange chunk_range_for(int64_t value, int64_t interval, Domain domain = kDomainInt64);

// Shrinks `r` (which holds `value`) so that it overlaps none of `existing`, ranges of chunks
// created earlier (possibly with another interval): the new chunk gets what remains around
// `value`. Throws if `value` itself lies inside one of the existing ranges.
ChunkRange cut_range(ChunkRange r, int64_t value, const ChunkRange* existing, size_t n);

// Floor division and modulo for a positive divisor (C++ truncates toward zero).
int64_t floor_div(int64_t a, int64_t b);

// PostgreSQL timestamp (microseconds since 2000-01-01, +-infinity at INT64_MIN/MAX) to the
// Unix-microsecond axis and back, saturating at the ends. Infinities map to the open ends.
int64_t pg_timestamp_to_unix_usec(int64_t pg_ts);
int64_t unix_usec_to_pg_timestamp(int64_t unix_usec);

// PostgreSQL date (days since 2000-01-01, +-infinity at INT32_MIN/MAX) to the axis.
int64_t pg_date_to_unix_usec(int32_t pg_date);
// The smallest date whose axis value is >= unix_usec (ceiling), saturated to the date range.
int32_t unix_usec_to_pg_date_ceil(int64_t unix_usec);

// Saturating arithmetic on the axis.
int64_t sat_add(int64_t a, int64_t b);
int64_t sat_sub(int64_t a, int64_t b);

}  // namespace strata::core
