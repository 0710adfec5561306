// time_bucket arithmetic (see time_bucket.hpp).
#include "time/time_bucket.hpp"

#include "error.hpp"
#include "time/chunk_range.hpp"

namespace strata::core {

namespace {

using i128 = __int128;

i128 floor_div128(i128 a, i128 b) {
  i128 q = a / b;
  if ((a % b) != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

std::optional<int64_t> fit(i128 v, int64_t min, int64_t max) {
  if (v < static_cast<i128>(min) || v > static_cast<i128>(max)) return std::nullopt;
  return static_cast<int64_t>(v);
}

void check_width(int64_t width) {
  if (width <= 0) throw Error(Errc::invalid_argument, "bucket width must be greater than 0");
}

}  // namespace

std::optional<int64_t> bucket_aligned(int64_t width, int64_t value, int64_t origin, int64_t min,
                                      int64_t max) {
  check_width(width);
  const i128 k = floor_div128(static_cast<i128>(value) - origin, width);
  return fit(static_cast<i128>(origin) + k * width, min, max);
}

// Howard Hinnant's well-known civil-calendar algorithms, written here for days since
// 2000-01-01 (an era is 400 years = 146097 days; eras start on March 1).
int64_t days_from_civil(int64_t year, int month, int day) {
  const int64_t y = year - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                      // [0, 399]
  const int64_t mp = (month + 9) % 12;                                    // March = 0
  const int64_t doy = (153 * mp + 2) / 5 + day - 1;                       // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;              // [0, 146096]
  // 0000-03-01 is 730425 days before 2000-01-01.
  return era * 146097 + doe - 730425;
}

CivilDate civil_from_days(int64_t days) {
  const int64_t z = days + 730425;  // days since 0000-03-01
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                   // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                 // [0, 11]
  CivilDate d{};
  d.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  d.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  d.year = yoe + era * 400 + (d.month <= 2 ? 1 : 0);
  return d;
}

std::optional<int64_t> bucket_months(int64_t width_months, int64_t days, int64_t origin_days,
                                     int64_t min_days, int64_t max_days) {
  check_width(width_months);
  const CivilDate d = civil_from_days(days);
  const CivilDate o = civil_from_days(origin_days);
  const int64_t month_index = d.year * 12 + (d.month - 1);
  const int64_t origin_index = o.year * 12 + (o.month - 1);
  // Month indexes of representable dates are far from the int64 limits.
  const std::optional<int64_t> bucket =
      bucket_aligned(width_months, month_index, origin_index, INT64_MIN, INT64_MAX);
  const int64_t year = floor_div(*bucket, 12);
  const int month = static_cast<int>(*bucket - year * 12) + 1;
  return fit(days_from_civil(year, month, 1), min_days, max_days);
}

std::optional<int64_t> bucket_timestamp(int64_t width_usec, int64_t ts, int64_t origin_ts,
                                        int64_t min_ts, int64_t max_ts) {
  return bucket_aligned(width_usec, ts, origin_ts, min_ts, max_ts);
}

std::optional<int64_t> bucket_timestamp_months(int64_t width_months, int64_t ts, int64_t origin_ts,
                                               int64_t min_ts, int64_t max_ts) {
  const int64_t days = floor_div(ts, kUsecPerDay);
  const int64_t origin_days = floor_div(origin_ts, kUsecPerDay);
  const std::optional<int64_t> first =
      bucket_months(width_months, days, origin_days, INT64_MIN / kUsecPerDay, INT64_MAX / kUsecPerDay);
  if (!first) return std::nullopt;
  return fit(static_cast<i128>(*first) * kUsecPerDay, min_ts, max_ts);
}

}  // namespace strata::core
