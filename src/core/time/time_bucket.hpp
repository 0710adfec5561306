// time_bucket arithmetic (TimescaleDB-compatible bucketing of integers, timestamps and dates).
//
// All timestamps here are PostgreSQL's representation: microseconds since 2000-01-01 00:00
// (no time zone handling; the glue converts to local time first). Dates are days since
// 2000-01-01. Functions return std::nullopt when the result does not fit in [min, max] (the
// caller reports the type-specific overflow error) and throw Error(invalid_argument) for a
// width that is not positive.
#pragma once

#include <cstdint>
#include <optional>

namespace strata::core {

// TimescaleDB's default origin: Monday 2000-01-03, so weekly buckets start on Mondays. Month
// buckets ignore the day, so their default origin is 2000-01-01.
inline constexpr int64_t kBucketDefaultOriginDays = 2;
inline constexpr int64_t kBucketDefaultOriginUsec = INT64_C(2) * INT64_C(86400000000);

// The bucket of `width` holding `value`, buckets being aligned to `origin`:
//   origin + floor((value - origin) / width) * width.
// Exact for every int64 input; nullopt when the result lies outside [min, max].
std::optional<int64_t> bucket_aligned(int64_t width, int64_t value, int64_t origin, int64_t min,
                                      int64_t max);

// A proleptic Gregorian calendar date; year 0 is 1 BC (as in PostgreSQL's internal arithmetic).
struct CivilDate {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
  bool operator==(const CivilDate&) const = default;
};

// Days since 2000-01-01 <-> calendar date.
int64_t days_from_civil(int64_t year, int month, int day);
CivilDate civil_from_days(int64_t days);

// Month buckets: the first day (days since 2000-01-01) of the bucket of `width_months` months
// holding date `days`, buckets being aligned to the month of `origin_days` (its day of month is
// ignored, as TimescaleDB does). Throws for width_months <= 0; nullopt when the result date lies
// outside [min_days, max_days].
std::optional<int64_t> bucket_months(int64_t width_months, int64_t days, int64_t origin_days,
                                     int64_t min_days, int64_t max_days);

// Timestamp (microseconds) convenience forms of the above.
// Sub-month widths: width_usec > 0.
std::optional<int64_t> bucket_timestamp(int64_t width_usec, int64_t ts, int64_t origin_ts,
                                        int64_t min_ts, int64_t max_ts);
// Month widths: the result is midnight of the first day of the bucket's month. Only the date
// of origin_ts matters.
std::optional<int64_t> bucket_timestamp_months(int64_t width_months, int64_t ts, int64_t origin_ts,
                                               int64_t min_ts, int64_t max_ts);

}  // namespace strata::core
