// Tests of chunk range alignment and time-axis conversions.
#include <gtest/gtest.h>

#include "error.hpp"
#include "time/chunk_range.hpp"

using namespace strata::core;

TEST(ChunkRange, AlignsToMultiplesOfTheInterval) {
  EXPECT_EQ(chunk_range_for(0, 10), (ChunkRange{0, 10}));
  EXPECT_EQ(chunk_range_for(9, 10), (ChunkRange{0, 10}));
  EXPECT_EQ(chunk_range_for(10, 10), (ChunkRange{10, 20}));
  EXPECT_EQ(chunk_range_for(-1, 10), (ChunkRange{-10, 0}));
  EXPECT_EQ(chunk_range_for(-10, 10), (ChunkRange{-10, 0}));
  EXPECT_EQ(chunk_range_for(-11, 10), (ChunkRange{-20, -10}));
}

TEST(ChunkRange, SevenDayChunksMatchTimescaleAlignment) {
  // 2024-01-01 00:00:00 UTC in Unix microseconds; 7-day chunks start on Thursdays.
  const int64_t week = 7 * kUsecPerDay;
  const int64_t t = INT64_C(1704067200000000);
  ChunkRange r = chunk_range_for(t, week);
  EXPECT_EQ(r.start % week, 0);
  EXPECT_LE(r.start, t);
  EXPECT_GT(r.end, t);
  EXPECT_EQ(r.start, INT64_C(1703721600000000));  // 2023-12-28 00:00 UTC, a Thursday
}

TEST(ChunkRange, ClipsAtTheDomainEdges) {
  ChunkRange lo = chunk_range_for(INT16_MIN, 1000, kDomainInt16);
  EXPECT_EQ(lo.start, kOpenStart);
  EXPECT_EQ(lo.end, -32000);
  ChunkRange hi = chunk_range_for(INT16_MAX, 1000, kDomainInt16);
  EXPECT_EQ(hi.start, 32000);
  EXPECT_EQ(hi.end, kOpenEnd);
  EXPECT_TRUE(hi.contains(INT16_MAX));

  ChunkRange top = chunk_range_for(INT64_MAX, 10);
  EXPECT_EQ(top.end, kOpenEnd);
  EXPECT_TRUE(top.contains(INT64_MAX));
  ChunkRange bottom = chunk_range_for(INT64_MIN, 10);
  EXPECT_EQ(bottom.start, kOpenStart);
  EXPECT_TRUE(bottom.contains(INT64_MIN));
  EXPECT_FALSE(bottom.contains(bottom.end));
}

TEST(ChunkRange, RejectsBadInput) {
  EXPECT_THROW(chunk_range_for(1, 0), Error);
  EXPECT_THROW(chunk_range_for(1, -5), Error);
  EXPECT_THROW(chunk_range_for(40000, 10, kDomainInt16), Error);
}

TEST(ChunkRange, EveryValueFallsInExactlyItsRange) {
  const int64_t intervals[] = {1, 3, 7, 1000, kUsecPerDay, INT64_C(1) << 62};
  const int64_t values[] = {INT64_MIN, INT64_MIN + 1, -1000001, -1, 0, 1, 999999, INT64_MAX - 1, INT64_MAX};
  for (int64_t iv : intervals)
    for (int64_t v : values) {
      ChunkRange r = chunk_range_for(v, iv);
      EXPECT_TRUE(r.contains(v)) << v << " / " << iv;
      if (r.start != kOpenStart) {
        EXPECT_EQ(floor_div(r.start, iv) * iv, r.start);
      }
      if (r.start != kOpenStart && r.end != kOpenEnd) {
        EXPECT_EQ(r.end - r.start, iv);
      }
    }
}

TEST(TimeAxis, TimestampConversionsRoundTripAndSaturate) {
  EXPECT_EQ(pg_timestamp_to_unix_usec(0), kPgEpochOffsetUsec);
  EXPECT_EQ(unix_usec_to_pg_timestamp(kPgEpochOffsetUsec), 0);
  EXPECT_EQ(pg_timestamp_to_unix_usec(INT64_MAX), INT64_MAX);
  EXPECT_EQ(pg_timestamp_to_unix_usec(INT64_MIN), INT64_MIN);
  EXPECT_EQ(pg_timestamp_to_unix_usec(INT64_MAX - 5), INT64_MAX);
  for (int64_t v : {INT64_C(-1), INT64_C(0), INT64_C(123456789), INT64_C(-9876543210)})
    EXPECT_EQ(unix_usec_to_pg_timestamp(pg_timestamp_to_unix_usec(v)), v);
}

TEST(TimeAxis, DateConversions) {
  EXPECT_EQ(pg_date_to_unix_usec(0), kPgEpochOffsetUsec);
  EXPECT_EQ(pg_date_to_unix_usec(-10957), 0);  // 1970-01-01
  EXPECT_EQ(unix_usec_to_pg_date_ceil(0), -10957);
  EXPECT_EQ(unix_usec_to_pg_date_ceil(1), -10956);
  EXPECT_EQ(unix_usec_to_pg_date_ceil(-1), -10957);
  EXPECT_EQ(unix_usec_to_pg_date_ceil(-kUsecPerDay), -10958);
  EXPECT_EQ(pg_date_to_unix_usec(INT32_MAX), INT64_MAX);
  EXPECT_EQ(pg_date_to_unix_usec(INT32_MIN), INT64_MIN);
}

TEST(ChunkRange, CutAroundChunksOfAnEarlierInterval) {
  // Chunks of 10 existed; the interval is now 100: the new range fills the gap only.
  const ChunkRange existing[] = {{40, 50}, {60, 70}};
  EXPECT_EQ(cut_range(chunk_range_for(55, 100), 55, existing, 2), (ChunkRange{50, 60}));
  EXPECT_EQ(cut_range(chunk_range_for(10, 100), 10, existing, 2), (ChunkRange{0, 40}));
  EXPECT_EQ(cut_range(chunk_range_for(75, 100), 75, existing, 2), (ChunkRange{70, 100}));
  const ChunkRange open_above[] = {{120, kOpenEnd}};
  EXPECT_EQ(cut_range(chunk_range_for(110, 100), 110, open_above, 1), (ChunkRange{100, 120}));
  EXPECT_THROW(cut_range(chunk_range_for(45, 100), 45, existing, 2), Error);
}
