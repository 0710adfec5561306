// Tests of the interval-set arithmetic used for chunk exclusion.
#include <gtest/gtest.h>

#include <vector>

#include "planner/time_set.hpp"

using namespace strata::core;

static std::vector<TimeInterval> norm(std::vector<TimeInterval> v) {
  v.resize(normalize(v.data(), v.size()));
  return v;
}

static std::vector<TimeInterval> inter(const std::vector<TimeInterval>& a,
                                       const std::vector<TimeInterval>& b) {
  std::vector<TimeInterval> out(a.size() + b.size());
  out.resize(intersect(a.data(), a.size(), b.data(), b.size(), out.data()));
  return out;
}

TEST(TimeSet, ComparisonsGiveClosedIntervals) {
  TimeInterval r{};
  ASSERT_TRUE(interval_for_comparison(CmpStrategy::lt, 10, &r));
  EXPECT_EQ(r, (TimeInterval{INT64_MIN, 9}));
  ASSERT_TRUE(interval_for_comparison(CmpStrategy::le, 10, &r));
  EXPECT_EQ(r, (TimeInterval{INT64_MIN, 10}));
  ASSERT_TRUE(interval_for_comparison(CmpStrategy::eq, 10, &r));
  EXPECT_EQ(r, (TimeInterval{10, 10}));
  ASSERT_TRUE(interval_for_comparison(CmpStrategy::ge, 10, &r));
  EXPECT_EQ(r, (TimeInterval{10, INT64_MAX}));
  ASSERT_TRUE(interval_for_comparison(CmpStrategy::gt, 10, &r));
  EXPECT_EQ(r, (TimeInterval{11, INT64_MAX}));
}

TEST(TimeSet, AxisEndsAreKeptForStrictComparisons) {
  TimeInterval r{};
  ASSERT_TRUE(interval_for_comparison(CmpStrategy::gt, INT64_MAX, &r));
  EXPECT_EQ(r, (TimeInterval{INT64_MAX, INT64_MAX}));
  ASSERT_TRUE(interval_for_comparison(CmpStrategy::lt, INT64_MIN, &r));
  EXPECT_EQ(r, (TimeInterval{INT64_MIN, INT64_MIN}));
}

TEST(TimeSet, CommuteSwapsDirection) {
  EXPECT_EQ(commute(CmpStrategy::lt), CmpStrategy::gt);
  EXPECT_EQ(commute(CmpStrategy::ge), CmpStrategy::le);
  EXPECT_EQ(commute(CmpStrategy::eq), CmpStrategy::eq);
}

TEST(TimeSet, WidenSaturates) {
  EXPECT_EQ(widen({0, 10}, 5), (TimeInterval{-5, 15}));
  EXPECT_EQ(widen({INT64_MIN + 1, INT64_MAX - 1}, 5), kWholeAxis);
}

TEST(TimeSet, NormalizeSortsMergesAndDropsEmpty) {
  EXPECT_EQ(norm({{20, 30}, {5, 1}, {0, 10}, {11, 15}, {40, 50}, {45, 46}}),
            (std::vector<TimeInterval>{{0, 15}, {20, 30}, {40, 50}}));
  EXPECT_EQ(norm({{3, 3}, {3, 3}, {1, 1}}), (std::vector<TimeInterval>{{1, 1}, {3, 3}}));
  EXPECT_EQ(norm({{0, INT64_MAX}, {5, 7}}), (std::vector<TimeInterval>{{0, INT64_MAX}}));
  EXPECT_TRUE(norm({{2, 1}}).empty());
}

TEST(TimeSet, IntersectIsPairwiseOverlap) {
  EXPECT_EQ(inter({{0, 10}, {20, 30}}, {{5, 25}}),
            (std::vector<TimeInterval>{{5, 10}, {20, 25}}));
  EXPECT_EQ(inter({{0, 10}}, {{11, 20}}), (std::vector<TimeInterval>{}));
  EXPECT_EQ(inter({kWholeAxis}, {{1, 1}, {7, 9}}), (std::vector<TimeInterval>{{1, 1}, {7, 9}}));
  EXPECT_EQ(inter({}, {kWholeAxis}), (std::vector<TimeInterval>{}));
}

TEST(TimeSet, OverlapsHalfOpenChunkRanges) {
  const std::vector<TimeInterval> v{{10, 19}, {40, 40}};
  EXPECT_TRUE(overlaps_range(v.data(), v.size(), 0, 11));
  EXPECT_FALSE(overlaps_range(v.data(), v.size(), 0, 10));
  EXPECT_FALSE(overlaps_range(v.data(), v.size(), 20, 40));
  EXPECT_TRUE(overlaps_range(v.data(), v.size(), 20, 41));
  EXPECT_TRUE(overlaps_range(v.data(), v.size(), 40, INT64_MAX));
  EXPECT_FALSE(overlaps_range(v.data(), v.size(), 41, INT64_MAX));
  EXPECT_TRUE(overlaps_range(v.data(), v.size(), INT64_MIN, 11));
  const std::vector<TimeInterval> top{{INT64_MAX, INT64_MAX}};
  EXPECT_TRUE(overlaps_range(top.data(), top.size(), 100, INT64_MAX));
  EXPECT_FALSE(overlaps_range(top.data(), top.size(), 100, 200));
}

TEST(TimeSet, SnapNarrowsToMultiples) {
  EXPECT_EQ(snap_to_multiples({1, 19}, 10), (TimeInterval{10, 10}));
  EXPECT_EQ(snap_to_multiples({-19, -1}, 10), (TimeInterval{-10, -10}));
  EXPECT_EQ(snap_to_multiples({10, 20}, 10), (TimeInterval{10, 20}));
  EXPECT_EQ(snap_to_multiples({11, 19}, 10), (TimeInterval{20, 10}));  // empty
  EXPECT_EQ(snap_to_multiples({-5, 5}, 10), (TimeInterval{0, 0}));
  EXPECT_EQ(snap_to_multiples(kWholeAxis, 10), kWholeAxis);
  EXPECT_EQ(snap_to_multiples({INT64_MAX - 1, INT64_MAX}, 1000), (TimeInterval{INT64_MAX, INT64_MAX}));
}
