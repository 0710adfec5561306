// Tests of job schedule arithmetic: fixed and drifting schedules, calendar months, a
// daylight-saving zone and retry backoff.
#include <gtest/gtest.h>

#include <stdexcept>

#include "error.hpp"
#include "jobs/schedule.hpp"

using namespace strata::core;

namespace {

constexpr int64_t kHour = INT64_C(3600000000);
constexpr int64_t kDay = 24 * kHour;

// Proleptic Gregorian calendar on Unix microseconds (UTC), for month arithmetic in tests.
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}
void civil_from_days(int64_t z, int64_t* y, int64_t* m, int64_t* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp + (mp < 10 ? 3 : -9);
  *y = yoe + era * 400 + (*m <= 2);
}
int64_t utc(int64_t y, int64_t m, int64_t d, int64_t h = 0, int64_t min = 0) {
  return days_from_civil(y, m, d) * kDay + h * kHour + min * 60 * kUsecPerSecond;
}
bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int64_t mdays(int64_t y, int64_t m) {
  static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : n[m - 1];
}
// Wall-clock addition in a zone with fixed `offset(t)`: months, then days, then microseconds,
// as PostgreSQL does (day of month clamped to the month's length).
int64_t add_local(int64_t t, const JobInterval& iv, const std::function<int64_t(int64_t)>& offset) {
  int64_t local = t + offset(t);
  int64_t days = local >= 0 ? local / kDay : (local - kDay + 1) / kDay;
  int64_t tod = local - days * kDay;
  int64_t y, m, d;
  civil_from_days(days, &y, &m, &d);
  int64_t mi = y * 12 + (m - 1) + iv.months;
  y = mi >= 0 ? mi / 12 : (mi - 11) / 12;
  m = mi - y * 12 + 1;
  d = std::min(d, mdays(y, m));
  local = (days_from_civil(y, m, d) + iv.days) * kDay + tod;
  // Back to UTC with the offset in force at the result (good enough away from the gap).
  int64_t guess = local - offset(local);
  guess = local - offset(guess);
  return guess + iv.usec;
}
int64_t add_utc(int64_t t, const JobInterval& iv) {
  return add_local(t, iv, [](int64_t) { return int64_t{0}; });
}
// A zone at UTC+1 in winter and UTC+2 from 2024-03-31 01:00 UTC to 2024-10-27 01:00 UTC.
int64_t cet_offset(int64_t t) {
  return (t >= utc(2024, 3, 31, 1) && t < utc(2024, 10, 27, 1)) ? 2 * kHour : kHour;
}
int64_t add_cet(int64_t t, const JobInterval& iv) { return add_local(t, iv, cet_offset); }

}  // namespace

TEST(JobSchedule, ApproxLengthAndScale) {
  EXPECT_EQ(approx_usec({0, 1, 0}), kDay);
  EXPECT_EQ(approx_usec({1, 0, 0}), 30 * kDay);
  EXPECT_EQ(scale({1, 2, 3}, 4), (JobInterval{4, 8, 12}));
  EXPECT_THROW(scale({INT32_MAX, 0, 0}, 2), Error);
  EXPECT_THROW(scale({0, 0, 1}, -1), Error);
  EXPECT_EQ(add_usec_saturating(INT64_MAX - 1, 10), INT64_MAX);
}

TEST(JobSchedule, AlignedStartIsStrictlyAfter) {
  const JobInterval sec{0, 0, kUsecPerSecond};
  const int64_t t0 = utc(2024, 1, 1);
  EXPECT_EQ(next_aligned_start(t0, sec, t0 - 1, add_utc), t0);
  EXPECT_EQ(next_aligned_start(t0, sec, t0, add_utc), t0 + kUsecPerSecond);
  EXPECT_EQ(next_aligned_start(t0, sec, t0 + 1, add_utc), t0 + kUsecPerSecond);
  EXPECT_EQ(next_aligned_start(t0, sec, t0 + 5 * kUsecPerSecond + 7, add_utc),
            t0 + 6 * kUsecPerSecond);
  // Far from the origin the estimate is corrected, not iterated from the start.
  EXPECT_EQ(next_aligned_start(t0, {0, 0, kHour}, utc(2030, 6, 1, 5, 30), add_utc),
            utc(2030, 6, 1, 6));
  EXPECT_THROW(next_aligned_start(t0, {0, 0, 0}, t0, add_utc), Error);
}

TEST(JobSchedule, MonthlyScheduleFollowsTheCalendar) {
  const JobInterval month{1, 0, 0};
  const int64_t origin = utc(2024, 1, 31, 12);
  // Jan 31 + 1 month is Feb 29 (2024 is a leap year), + 2 months is Mar 31.
  EXPECT_EQ(next_aligned_start(origin, month, utc(2024, 2, 10), add_utc), utc(2024, 2, 29, 12));
  EXPECT_EQ(next_aligned_start(origin, month, utc(2024, 3, 1), add_utc), utc(2024, 3, 31, 12));
  EXPECT_EQ(next_aligned_start(origin, month, utc(2025, 4, 30, 13), add_utc), utc(2025, 5, 31, 12));
}

TEST(JobSchedule, DailyScheduleKeepsLocalTimeAcrossDaylightSaving) {
  // 03:00 local (02:00 UTC in winter) every day: after the change it is 01:00 UTC.
  const JobSchedule s{{0, 1, 0}, {0, 0, 300 * kUsecPerSecond}, -1, true, utc(2024, 3, 29, 2)};
  EXPECT_EQ(next_start_after_success(s, utc(2024, 3, 30, 2, 5), add_cet), utc(2024, 3, 31, 1));
  EXPECT_EQ(next_start_after_success(s, utc(2024, 4, 2, 0), add_cet), utc(2024, 4, 2, 1));
  // In UTC the same schedule stays at 02:00 UTC.
  EXPECT_EQ(next_start_after_success(s, utc(2024, 4, 2, 0), add_utc), utc(2024, 4, 2, 2));
}

TEST(JobSchedule, DriftingScheduleFollowsTheEndOfTheRun) {
  JobSchedule s{{0, 0, 10 * kUsecPerSecond}, {0, 0, kUsecPerSecond}, -1, false, 0};
  const int64_t finish = utc(2024, 5, 1, 10, 0) + 3 * kUsecPerSecond;
  EXPECT_EQ(next_start_after_success(s, finish, add_utc), finish + 10 * kUsecPerSecond);
  s.fixed_schedule = true;
  s.initial_start = utc(2024, 5, 1);
  EXPECT_EQ(next_start_after_success(s, finish, add_utc), utc(2024, 5, 1, 10) + 10 * kUsecPerSecond);
}

TEST(JobSchedule, RetryBackoffDoublesAndIsCapped) {
  const JobSchedule s{{0, 0, 60 * kUsecPerSecond}, {0, 0, 5 * kUsecPerSecond}, -1, false, 0};
  EXPECT_EQ(retry_backoff_usec(s, 1), 5 * kUsecPerSecond);
  EXPECT_EQ(retry_backoff_usec(s, 2), 10 * kUsecPerSecond);
  EXPECT_EQ(retry_backoff_usec(s, 3), 20 * kUsecPerSecond);
  EXPECT_EQ(retry_backoff_usec(s, 10), 300 * kUsecPerSecond);  // 5 schedule intervals
  EXPECT_EQ(retry_backoff_usec(s, 1000), 300 * kUsecPerSecond);
  // A retry period longer than the cap is kept as is.
  const JobSchedule slow{{0, 0, kUsecPerSecond}, {0, 0, 60 * kUsecPerSecond}, -1, false, 0};
  EXPECT_EQ(retry_backoff_usec(slow, 3), 60 * kUsecPerSecond);
}

TEST(JobSchedule, FailureRetriesUntilMaxRetriesThenResumesTheSchedule) {
  const int64_t finish = utc(2024, 5, 1, 10);
  JobSchedule s{{0, 1, 0}, {0, 0, kUsecPerSecond}, 2, false, 0};
  EXPECT_EQ(next_start_after_failure(s, finish, 1, add_utc), finish + kUsecPerSecond);
  EXPECT_EQ(next_start_after_failure(s, finish, 2, add_utc), finish + 2 * kUsecPerSecond);
  EXPECT_EQ(next_start_after_failure(s, finish, 3, add_utc), finish + kDay);
  s.max_retries = -1;
  EXPECT_EQ(next_start_after_failure(s, finish, 3, add_utc), finish + 4 * kUsecPerSecond);
  s.max_retries = 0;
  EXPECT_EQ(next_start_after_failure(s, finish, 1, add_utc), finish + kDay);
}

TEST(JobSchedule, FixedScheduleRetryNeverPassesTheNextSlot) {
  const int64_t origin = utc(2024, 5, 1);
  JobSchedule s{{0, 0, 10 * kUsecPerSecond}, {0, 0, 8 * kUsecPerSecond}, -1, true, origin};
  const int64_t finish = origin + 5 * kUsecPerSecond;
  EXPECT_EQ(next_start_after_failure(s, finish, 1, add_utc), origin + 10 * kUsecPerSecond);
  s.retry_period = {0, 0, kUsecPerSecond};
  EXPECT_EQ(next_start_after_failure(s, finish, 1, add_utc), finish + kUsecPerSecond);
}

TEST(JobSchedule, TryNextStartReportsInsteadOfThrowing) {
  const int64_t finish = utc(2024, 5, 1, 10);
  const JobSchedule s{{0, 1, 0}, {0, 0, kUsecPerSecond}, -1, false, 0};
  auto utc_add = [](void*, int64_t t, const JobInterval& iv) { return add_utc(t, iv); };
  int64_t next = 0;
  char why[32];
  EXPECT_TRUE(try_next_start(s, 0, finish, utc_add, nullptr, &next, why, sizeof why));
  EXPECT_EQ(next, finish + kDay);
  EXPECT_TRUE(try_next_start(s, 1, finish, utc_add, nullptr, &next, why, sizeof why));
  EXPECT_EQ(next, finish + kUsecPerSecond);
  // The calendar's errors (the glue's: past the end of the timestamp range) and the arithmetic's
  // are reported, cut to the buffer.
  auto overflow = [](void*, int64_t, const JobInterval&) -> int64_t {
    throw std::runtime_error("timestamp out of range: a long explanation that does not fit");
  };
  EXPECT_FALSE(try_next_start(s, 0, finish, overflow, nullptr, &next, why, sizeof why));
  EXPECT_STREQ(why, "timestamp out of range: a long ");  // 31 bytes and the terminator
  const JobSchedule zero{{0, 0, 0}, {0, 0, 0}, -1, true, 0};
  EXPECT_FALSE(try_next_start(zero, 0, finish, utc_add, nullptr, &next, why, sizeof why));
  EXPECT_STREQ(why, "schedule interval must be posit");
}
