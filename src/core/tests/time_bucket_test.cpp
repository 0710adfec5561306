// Tests of time_bucket arithmetic: integer, timestamp and month bucketing, the calendar helpers,
// origins, offsets and overflow at the edges of the types.
#include <gtest/gtest.h>

#include "error.hpp"
#include "time/time_bucket.hpp"

using namespace strata::core;

namespace {

constexpr int64_t kDay = INT64_C(86400000000);
constexpr int64_t kHour = INT64_C(3600000000);
constexpr int64_t kMinute = INT64_C(60000000);
constexpr int64_t kSecond = INT64_C(1000000);
// PostgreSQL's valid timestamp range: 4714-11-24 00:00 BC up to (excluding) 294277-01-01.
constexpr int64_t kMinTs = INT64_C(-211813488000000000);
constexpr int64_t kMaxTs = INT64_C(9223371331200000000) - 1;

// Microseconds since 2000-01-01 of a date and time of day.
int64_t ts(int64_t y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return days_from_civil(y, m, d) * kDay + hh * kHour + mm * kMinute + ss * kSecond;
}

int64_t tb(int64_t width, int64_t t, int64_t origin = kBucketDefaultOriginUsec) {
  return bucket_timestamp(width, t, origin, kMinTs, kMaxTs).value();
}

int64_t tbm(int64_t months, int64_t t, int64_t origin = 0) {
  return bucket_timestamp_months(months, t, origin, kMinTs, kMaxTs).value();
}

int64_t ib(int64_t width, int64_t v, int64_t offset = 0) {
  return bucket_aligned(width, v, offset, INT64_MIN, INT64_MAX).value();
}

}  // namespace

TEST(Calendar, KnownDates) {
  EXPECT_EQ(days_from_civil(2000, 1, 1), 0);
  EXPECT_EQ(days_from_civil(2000, 1, 3), 2);
  EXPECT_EQ(days_from_civil(1970, 1, 1), -10957);
  EXPECT_EQ(days_from_civil(2000, 3, 1), 60);  // 2000 is a leap year
  EXPECT_EQ(days_from_civil(2001, 1, 1), 366);
  EXPECT_EQ(days_from_civil(1900, 3, 1) - days_from_civil(1900, 2, 28), 1);  // 1900 is not
  EXPECT_EQ(days_from_civil(2024, 2, 29) + 1, days_from_civil(2024, 3, 1));
  // Julian day 0 (4714-11-24 BC proleptic Gregorian; year -4713) is PostgreSQL's first date.
  EXPECT_EQ(days_from_civil(-4713, 11, 24), -2451545);
  EXPECT_EQ((civil_from_days(0)), (CivilDate{2000, 1, 1}));
  EXPECT_EQ((civil_from_days(-1)), (CivilDate{1999, 12, 31}));
  EXPECT_EQ((civil_from_days(-2451545)), (CivilDate{-4713, 11, 24}));
}

TEST(Calendar, RoundTripsOverAWideRange) {
  for (int64_t d = -3000000; d <= 3000000; d += 17) {
    const CivilDate c = civil_from_days(d);
    ASSERT_GE(c.month, 1);
    ASSERT_LE(c.month, 12);
    ASSERT_GE(c.day, 1);
    ASSERT_LE(c.day, 31);
    ASSERT_EQ(days_from_civil(c.year, c.month, c.day), d) << d;
  }
  // Consecutive days advance the calendar by exactly one day.
  CivilDate prev = civil_from_days(-800000);
  for (int64_t d = -799999; d <= 800000; ++d) {
    const CivilDate c = civil_from_days(d);
    if (c.day != 1) {
      ASSERT_EQ(c.day, prev.day + 1);
      ASSERT_EQ(c.month, prev.month);
    } else {
      ASSERT_TRUE(c.month == prev.month % 12 + 1) << d;
    }
    prev = c;
  }
}

TEST(IntegerBucket, FloorsTowardMinusInfinity) {
  EXPECT_EQ(ib(10, 0), 0);
  EXPECT_EQ(ib(10, 9), 0);
  EXPECT_EQ(ib(10, 10), 10);
  EXPECT_EQ(ib(10, -1), -10);
  EXPECT_EQ(ib(10, -10), -10);
  EXPECT_EQ(ib(10, -11), -20);
  EXPECT_EQ(ib(1, 12345), 12345);
}

TEST(IntegerBucket, OffsetShiftsTheBuckets) {
  // TimescaleDB: time_bucket(10, 7, 2) = 2; time_bucket(10, 1, 2) = -8.
  EXPECT_EQ(ib(10, 7, 2), 2);
  EXPECT_EQ(ib(10, 1, 2), -8);
  EXPECT_EQ(ib(10, 12, 2), 12);
  EXPECT_EQ(ib(10, 11, -2), 8);
  // Offsets larger than the width are equivalent modulo the width.
  EXPECT_EQ(ib(10, 7, 32), 2);
  EXPECT_EQ(ib(10, 7, -28), 2);
}

TEST(IntegerBucket, RejectsNonPositiveWidths) {
  EXPECT_THROW(bucket_aligned(0, 5, 0, INT64_MIN, INT64_MAX), Error);
  EXPECT_THROW(bucket_aligned(-3, 5, 0, INT64_MIN, INT64_MAX), Error);
  try {
    bucket_aligned(0, 5, 0, INT64_MIN, INT64_MAX);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::invalid_argument);
  }
}

TEST(IntegerBucket, OverflowIsReportedNotWrapped) {
  // int16: the bucket of -32768 by 10 starts at -32770, below the type.
  EXPECT_FALSE(bucket_aligned(10, INT16_MIN, 0, INT16_MIN, INT16_MAX).has_value());
  EXPECT_EQ(bucket_aligned(10, INT16_MIN + 8, 0, INT16_MIN, INT16_MAX), INT16_MIN + 8);  // -32760
  EXPECT_EQ(bucket_aligned(10, INT16_MAX, 0, INT16_MIN, INT16_MAX), 32760);
  // int64 extremes.
  EXPECT_FALSE(bucket_aligned(10, INT64_MIN, 0, INT64_MIN, INT64_MAX).has_value());
  EXPECT_EQ(bucket_aligned(1, INT64_MIN, 0, INT64_MIN, INT64_MAX), INT64_MIN);
  EXPECT_EQ(bucket_aligned(INT64_MAX, INT64_MAX, 0, INT64_MIN, INT64_MAX), INT64_MAX);
  EXPECT_EQ(bucket_aligned(INT64_MAX, -1, 0, INT64_MIN, INT64_MAX), -INT64_MAX);
  EXPECT_FALSE(bucket_aligned(INT64_MAX, INT64_MIN, 0, INT64_MIN, INT64_MAX).has_value());
  // Offsets near the ends: the shifted bucket may leave the type.
  EXPECT_FALSE(bucket_aligned(10, INT64_MIN, 5, INT64_MIN, INT64_MAX).has_value());
  EXPECT_EQ(bucket_aligned(10, INT64_MAX, INT64_MAX, INT64_MIN, INT64_MAX), INT64_MAX);
  // INT64_MIN is 2 modulo 10, so buckets aligned to it start at ...2.
  EXPECT_EQ(bucket_aligned(10, INT64_MAX, INT64_MIN, INT64_MIN, INT64_MAX), INT64_MAX - 5);
}

TEST(IntegerBucket, ResultIsAlwaysTheLargestAlignedValueNotAbove) {
  const int64_t widths[] = {1, 2, 3, 7, 10, 1000, INT64_C(1) << 40};
  const int64_t values[] = {INT64_MIN + 1000000000000000, -1000001, -7, -1, 0, 1, 6, 999999, INT64_MAX / 2};
  const int64_t offsets[] = {0, 1, -1, 5, -12345, INT64_C(1) << 41};
  for (int64_t w : widths)
    for (int64_t v : values)
      for (int64_t o : offsets) {
        const int64_t r = ib(w, v, o);
        EXPECT_LE(r, v);
        EXPECT_GT(static_cast<__int128>(r) + w, v);
        EXPECT_EQ((static_cast<__int128>(r) - o) % w, 0);
      }
}

TEST(TimestampBucket, TimescaleDocExamples) {
  // time_bucket('5 minutes', '2020-01-01 12:07:30') = 12:05.
  EXPECT_EQ(tb(5 * kMinute, ts(2020, 1, 1, 12, 7, 30)), ts(2020, 1, 1, 12, 5));
  // Weekly buckets start on Mondays: 2020-01-01 was a Wednesday, its week starts 2019-12-30.
  EXPECT_EQ(tb(7 * kDay, ts(2020, 1, 1, 12)), ts(2019, 12, 30));
  EXPECT_EQ(tb(7 * kDay, ts(2000, 1, 3)), ts(2000, 1, 3));
  EXPECT_EQ(tb(7 * kDay, ts(2000, 1, 2, 23, 59, 59)), ts(1999, 12, 27));
  // One-day buckets are midnight.
  EXPECT_EQ(tb(kDay, ts(2024, 7, 4, 18, 30)), ts(2024, 7, 4));
  // An offset of -2.5 minutes (applied as bucket(ts - offset) + offset) centres 5-minute buckets.
  const int64_t off = -(2 * kMinute + 30 * kSecond);
  EXPECT_EQ(tb(5 * kMinute, ts(2020, 1, 1, 12, 7, 30) - off) + off, ts(2020, 1, 1, 12, 7, 30));
  EXPECT_EQ(tb(5 * kMinute, ts(2020, 1, 1, 12, 7, 29) - off) + off, ts(2020, 1, 1, 12, 2, 30));
}

TEST(TimestampBucket, Origins) {
  // Buckets of 1 hour aligned to :30.
  EXPECT_EQ(tb(kHour, ts(2021, 6, 1, 10, 15), ts(2000, 1, 1, 0, 30)), ts(2021, 6, 1, 9, 30));
  // Origin after the timestamp works the same way.
  EXPECT_EQ(tb(kHour, ts(2021, 6, 1, 10, 15), ts(2100, 1, 1, 0, 30)), ts(2021, 6, 1, 9, 30));
  // Weekly buckets starting on Sunday.
  EXPECT_EQ(tb(7 * kDay, ts(2024, 3, 13, 8), ts(2000, 1, 2)), ts(2024, 3, 10));
  // Origin equal to the timestamp.
  EXPECT_EQ(tb(3 * kDay, ts(2024, 3, 13), ts(2024, 3, 13)), ts(2024, 3, 13));
}

TEST(TimestampBucket, BeforeTheEpochs) {
  EXPECT_EQ(tb(kDay, ts(1969, 12, 31, 23)), ts(1969, 12, 31));
  EXPECT_EQ(tb(kHour, -1), -kHour);
  const int64_t week = 7 * kDay;
  const int64_t r = tb(week, ts(1500, 6, 15));
  EXPECT_EQ(((r % week) + week) % week, ts(2000, 1, 3) % week);
  EXPECT_EQ(r, ts(1500, 6, 11));  // a Monday
}

TEST(TimestampBucket, OverflowAtTheEdgesOfTheTimestampRange) {
  // The first valid timestamp, 4714-11-24 BC, is a Monday: weekly buckets still fit.
  EXPECT_EQ(bucket_timestamp(7 * kDay, kMinTs, kBucketDefaultOriginUsec, kMinTs, kMaxTs), kMinTs);
  // Two-week buckets (or a later origin) would start before it.
  EXPECT_FALSE(bucket_timestamp(14 * kDay, kMinTs + kDay, kMinTs + 7 * kDay, kMinTs, kMaxTs).has_value());
  EXPECT_FALSE(bucket_timestamp(kDay, kMinTs, kHour, kMinTs, kMaxTs).has_value());
  // Near the top: buckets start inside the range.
  EXPECT_EQ(bucket_timestamp(kDay, kMaxTs, 0, kMinTs, kMaxTs), kMaxTs - kDay + 1);
  // Enormous widths and origins do not wrap.
  EXPECT_FALSE(bucket_timestamp(INT64_MAX, kMinTs, kMaxTs, kMinTs, kMaxTs).has_value());
  EXPECT_EQ(bucket_timestamp(INT64_MAX, 5, 0, kMinTs, kMaxTs), 0);
  EXPECT_THROW(bucket_timestamp(0, 5, 0, kMinTs, kMaxTs), Error);
  EXPECT_THROW(bucket_timestamp(-kDay, 5, 0, kMinTs, kMaxTs), Error);
}

TEST(MonthBucket, AlignedTo2000January) {
  EXPECT_EQ(tbm(1, ts(2024, 2, 29, 13)), ts(2024, 2, 1));
  EXPECT_EQ(tbm(3, ts(2024, 5, 17)), ts(2024, 4, 1));  // quarters
  EXPECT_EQ(tbm(12, ts(2024, 12, 31, 23, 59, 59)), ts(2024, 1, 1));
  EXPECT_EQ(tbm(12, ts(1999, 12, 31)), ts(1999, 1, 1));
  EXPECT_EQ(tbm(5, ts(2000, 5, 31)), ts(2000, 1, 1));
  EXPECT_EQ(tbm(5, ts(2000, 6, 1)), ts(2000, 6, 1));
  EXPECT_EQ(tbm(5, ts(1999, 12, 1)), ts(1999, 8, 1));
  // 10-year buckets: 1990, 2000, 2010, 2020.
  EXPECT_EQ(tbm(120, ts(2023, 7, 1)), ts(2020, 1, 1));
  EXPECT_EQ(tbm(120, ts(1995, 7, 1)), ts(1990, 1, 1));
  // Before year 1 (year 0 is 1 BC).
  EXPECT_EQ(tbm(12, ts(-1, 6, 1)), ts(-1, 1, 1));
  EXPECT_EQ(tbm(1, ts(0, 3, 1) - 1), ts(0, 2, 1));
}

TEST(MonthBucket, OriginMonthMattersNotItsDay) {
  EXPECT_EQ(tbm(3, ts(2024, 5, 17), ts(2000, 2, 1)), ts(2024, 5, 1));
  EXPECT_EQ(tbm(3, ts(2024, 4, 30), ts(2000, 2, 1)), ts(2024, 2, 1));
  EXPECT_EQ(tbm(3, ts(2024, 4, 30), ts(2000, 2, 20, 12)), ts(2024, 2, 1));
  EXPECT_EQ(tbm(12, ts(2024, 4, 30), ts(2030, 7, 1)), ts(2023, 7, 1));
}

TEST(MonthBucket, DateForm) {
  EXPECT_EQ(bucket_months(1, days_from_civil(2021, 3, 31), 0, INT64_MIN, INT64_MAX),
            days_from_civil(2021, 3, 1));
  EXPECT_EQ(bucket_months(6, days_from_civil(2021, 12, 31), 0, INT64_MIN, INT64_MAX),
            days_from_civil(2021, 7, 1));
  // Result below the allowed range.
  EXPECT_FALSE(bucket_months(12, days_from_civil(-4713, 12, 1), 0, days_from_civil(-4713, 11, 24),
                             INT64_MAX)
                   .has_value());
  EXPECT_THROW(bucket_months(0, 0, 0, INT64_MIN, INT64_MAX), Error);
  EXPECT_THROW(bucket_months(-1, 0, 0, INT64_MIN, INT64_MAX), Error);
}

TEST(MonthBucket, EveryDayFallsInItsMonth) {
  for (int64_t d = -800; d < 800; ++d) {
    const int64_t first = bucket_months(1, d, 0, INT64_MIN, INT64_MAX).value();
    const CivilDate c = civil_from_days(d);
    EXPECT_EQ(first, days_from_civil(c.year, c.month, 1));
  }
}

TEST(MonthBucket, HugeWidthsDoNotOverflow) {
  // A width of INT32_MAX months: every date after the origin is in the first bucket, and the
  // bucket before the origin starts ~179 million years earlier, outside the timestamp range.
  EXPECT_EQ(tbm(INT32_MAX, ts(2024, 7, 1)), ts(2000, 1, 1));
  EXPECT_FALSE(bucket_timestamp_months(INT32_MAX, ts(1999, 12, 31), 0, kMinTs, kMaxTs).has_value());
  EXPECT_FALSE(bucket_months(INT32_MAX, -1, 0, -2451545, INT64_MAX).has_value());
  // The last representable month of the timestamp range (294276-12).
  EXPECT_EQ(tbm(1, kMaxTs), ts(294276, 12, 1));
  EXPECT_EQ(tbm(12, kMaxTs), ts(294276, 1, 1));
}
