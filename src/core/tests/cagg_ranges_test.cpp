// Tests of continuous aggregate range arithmetic: merging invalidated ranges, clipping and cutting
// them by a refresh window, and rounding windows and batches to whole buckets (fixed, monthly and
// irregular DST-like buckets).
#include <gtest/gtest.h>

#include <vector>

#include "caggs/ranges.hpp"

using namespace strata::core;

namespace {

std::vector<TimeRange> merged(std::vector<TimeRange> v) {
  v.resize(merge_ranges(v.data(), v.size()));
  return v;
}

TEST(CaggRanges, MergeEmptyAndSingle) {
  EXPECT_TRUE(merged({}).empty());
  EXPECT_EQ(merged({{5, 7}}), (std::vector<TimeRange>{{5, 7}}));
}

TEST(CaggRanges, MergeOverlappingAdjacentAndSeparate) {
  EXPECT_EQ(merged({{10, 20}, {1, 3}, {4, 6}, {15, 30}, {40, 41}, {32, 35}}),
            (std::vector<TimeRange>{{1, 6}, {10, 30}, {32, 35}, {40, 41}}));
}

TEST(CaggRanges, MergeContainedAndDuplicates) {
  EXPECT_EQ(merged({{0, 100}, {5, 6}, {0, 100}, {50, 60}}), (std::vector<TimeRange>{{0, 100}}));
}

TEST(CaggRanges, MergeAtTheAxisEnds) {
  EXPECT_EQ(merged({{INT64_MIN, 0}, {1, 5}, {100, INT64_MAX}, {INT64_MAX, INT64_MAX}}),
            (std::vector<TimeRange>{{INT64_MIN, 5}, {100, INT64_MAX}}));
  EXPECT_EQ(merged({{INT64_MIN, INT64_MAX}, {3, 4}}), (std::vector<TimeRange>{{INT64_MIN, INT64_MAX}}));
}

TEST(CaggRanges, MergeManySmallRanges) {
  std::vector<TimeRange> v;
  for (int64_t i = 999; i >= 0; --i) v.push_back({i * 10, i * 10 + 9});  // adjacent, reversed
  v.push_back({20000, 20001});
  EXPECT_EQ(merged(v), (std::vector<TimeRange>{{0, 9999}, {20000, 20001}}));
}

TEST(CaggRanges, ClipToWindow) {
  TimeRange out{};
  ASSERT_TRUE(clip_to_window({0, 100}, 10, 20, &out));
  EXPECT_EQ(out, (TimeRange{10, 19}));
  EXPECT_FALSE(clip_to_window({0, 9}, 10, 20, &out));
  EXPECT_FALSE(clip_to_window({20, 30}, 10, 20, &out));
  ASSERT_TRUE(clip_to_window({INT64_MIN, INT64_MAX}, INT64_MIN, INT64_MAX, &out));
  EXPECT_EQ(out, (TimeRange{INT64_MIN, INT64_MAX}));
  ASSERT_TRUE(clip_to_window({5, INT64_MAX}, INT64_MIN, 7, &out));
  EXPECT_EQ(out, (TimeRange{5, 6}));
  EXPECT_FALSE(clip_to_window({5, 6}, 0, INT64_MIN, &out));
}

TEST(CaggRanges, CutWindow) {
  TimeRange out[2];
  ASSERT_EQ(cut_window({0, 100}, 10, 20, out), 2u);
  EXPECT_EQ(out[0], (TimeRange{0, 9}));
  EXPECT_EQ(out[1], (TimeRange{20, 100}));
  EXPECT_EQ(cut_window({10, 19}, 10, 20, out), 0u);
  ASSERT_EQ(cut_window({15, 25}, 10, 20, out), 1u);
  EXPECT_EQ(out[0], (TimeRange{20, 25}));
  ASSERT_EQ(cut_window({INT64_MIN, INT64_MAX}, INT64_MIN, 0, out), 1u);
  EXPECT_EQ(out[0], (TimeRange{0, INT64_MAX}));
  EXPECT_EQ(cut_window({INT64_MIN, INT64_MAX}, INT64_MIN, INT64_MAX, out), 0u);
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct FixedFloor {
  int64_t width;
  int64_t origin;
  int64_t operator()(int64_t x) const { return origin + floor_div(x - origin, width) * width; }
};

TEST(CaggBuckets, FixedWidthNextAndRounding) {
  Bucketing<FixedFloor> b{{10, 3}, 10};
  EXPECT_EQ(next_bucket_start(b, 3), 13);
  EXPECT_EQ(next_bucket_start(b, -7), 3);
  int64_t s = 5, e = 24;
  round_window_out(b, &s, &e);
  EXPECT_EQ(s, 3);
  EXPECT_EQ(e, 33);
  s = 13, e = 23;  // already aligned: unchanged
  round_window_out(b, &s, &e);
  EXPECT_EQ(s, 13);
  EXPECT_EQ(e, 23);
  s = 5, e = 24;
  round_window_in(b, &s, &e);
  EXPECT_EQ(s, 13);
  EXPECT_EQ(e, 23);
  s = 5, e = 9;  // no whole bucket inside
  round_window_in(b, &s, &e);
  EXPECT_GE(s, e);
  s = INT64_MIN, e = INT64_MAX;
  round_window_out(b, &s, &e);
  EXPECT_EQ(s, INT64_MIN);
  EXPECT_EQ(e, INT64_MAX);
}

// Buckets with irregular starts (as months, or days in a zone with DST): the starts are listed.
struct ListFloor {
  const std::vector<int64_t>* starts;
  int64_t operator()(int64_t x) const {
    int64_t r = INT64_MIN;
    for (int64_t s : *starts)
      if (s <= x) r = s;
    return r;
  }
};

TEST(CaggBuckets, IrregularBuckets) {
  std::vector<int64_t> starts{0, 31, 59, 90, 120, 151, 181};  // month-like lengths
  Bucketing<ListFloor> b{{&starts}, 31};
  EXPECT_EQ(next_bucket_start(b, 0), 31);
  EXPECT_EQ(next_bucket_start(b, 31), 59);  // 28-day bucket: 31 + 31 overshoots to 59's bucket
  EXPECT_EQ(next_bucket_start(b, 59), 90);
  int64_t s = 40, e = 91;
  round_window_out(b, &s, &e);
  EXPECT_EQ(s, 31);
  EXPECT_EQ(e, 120);
  s = 40, e = 91;
  round_window_in(b, &s, &e);
  EXPECT_EQ(s, 59);
  EXPECT_EQ(e, 90);
  EXPECT_EQ(batch_end(b, 0, 181, 2), 59);
  EXPECT_EQ(batch_end(b, 120, 151, 5), 151);
  // Newest first: backwards from the end.
  EXPECT_EQ(batch_start(b, 0, 181, 2), 120);
  EXPECT_EQ(batch_start(b, 59, 181, 1), 151);
  EXPECT_EQ(batch_start(b, 90, 151, 5), 90);
  EXPECT_EQ(batch_start(b, 59, 59, 3), 59);
}

TEST(CaggBuckets, NominalOvershootWalksBack) {
  // 23- and 25-hour "days" with a 26-hour bound: the probe may land two buckets ahead.
  std::vector<int64_t> starts{0, 23, 48, 72, 95, 120};
  Bucketing<ListFloor> b{{&starts}, 50};
  EXPECT_EQ(next_bucket_start(b, 0), 23);
  EXPECT_EQ(next_bucket_start(b, 23), 48);
  EXPECT_EQ(next_bucket_start(b, 95), 120);
}

TEST(CaggBuckets, EndOfAxis) {
  Bucketing<FixedFloor> b{{10, 0}, 10};
  EXPECT_EQ(next_bucket_start(b, INT64_MAX - 5), INT64_MAX);
  EXPECT_EQ(batch_end(b, 0, INT64_MAX, 3), 30);
  Bucketing<FixedFloor> c{{10, 0}, 10};
  EXPECT_EQ(batch_start(c, 0, 100, 3), 70);
  EXPECT_EQ(batch_start(c, 85, 100, 3), 85);  // never before the start
}

}  // namespace
