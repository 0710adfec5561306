// Continuous aggregate arithmetic: invalidated ranges on the internal time axis (merging, cutting
// by a refresh window, splitting into batches) and rounding of refresh windows to whole buckets.
// Pure C++ with no allocation: callers own the arrays (the glue keeps them in memory contexts).
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata::core {

// A closed range [lo, hi] on the internal axis (lo <= hi). INT64_MIN / INT64_MAX stand for the
// open ends.
struct TimeRange {
  int64_t lo;
  int64_t hi;
  bool operator==(const TimeRange&) const = default;
};

// Sorts ranges[0..n) by lo and merges overlapping or adjacent ones (hi + 1 == next lo) in place.
// Returns the new count. O(n log n).
size_t merge_ranges(TimeRange* ranges, size_t n);

// Intersects `r` with the half-open window [start, end) (start == INT64_MIN: open below, end ==
// INT64_MAX: open above and then including INT64_MAX). Returns false when nothing is left.
bool clip_to_window(TimeRange r, int64_t start, int64_t end, TimeRange* out);

// The parts of `r` outside [start, end) (0, 1 or 2 ranges, written to out[]); returns the count.
size_t cut_window(TimeRange r, int64_t start, int64_t end, TimeRange out[2]);

// Bucket boundaries. A bucketing is given by `floor(x)`: the start of the bucket holding x (a
// non-decreasing step function whose steps are the bucket starts), and `nominal`: an upper bound
// on the distance from a bucket start to the next one (say 31 days per month, or the width plus
// a DST shift for buckets in local time). Both work on the internal axis.
template <typename Floor>
struct Bucketing {
  Floor floor;
  int64_t nominal;
};

// The first bucket start strictly after bucket start `s` (INT64_MAX when there is none before the
// axis' end). floor() is called at most a few times: at s + nominal (at or past the next start),
// then backwards over at most the starts it overshot.
template <typename Floor>
int64_t next_bucket_start(const Bucketing<Floor>& b, int64_t s) {
  if (s > INT64_MAX - b.nominal) return INT64_MAX;
  int64_t next = b.floor(s + b.nominal);
  if (next <= s) return INT64_MAX;  // floor saturated at the end of the type's range
  for (;;) {
    int64_t before = b.floor(next - 1);
    if (before <= s) return next;
    next = before;
  }
}

// Rounds the half-open window [start, end) outwards to whole buckets: start down to its bucket's
// start, end up to a bucket start (end itself when it is one). Open ends stay open.
template <typename Floor>
void round_window_out(const Bucketing<Floor>& b, int64_t* start, int64_t* end) {
  if (*start != INT64_MIN) *start = b.floor(*start);
  if (*end != INT64_MAX) {
    int64_t s = b.floor(*end);
    if (s != *end) *end = next_bucket_start(b, s);
  }
}

// Rounds the half-open window [start, end) inwards to whole buckets: start up to a bucket start,
// end down to its bucket's start. The result may be empty (*start >= *end).
template <typename Floor>
void round_window_in(const Bucketing<Floor>& b, int64_t* start, int64_t* end) {
  if (*start != INT64_MIN) {
    int64_t s = b.floor(*start);
    if (s != *start) *start = next_bucket_start(b, s);
  }
  if (*end != INT64_MAX) *end = b.floor(*end);
}

// The end of the next batch of a refresh: from bucket start `start`, the bucket start at most
// `max_buckets` buckets later, never past `end` (a bucket start or INT64_MAX).
template <typename Floor>
int64_t batch_end(const Bucketing<Floor>& b, int64_t start, int64_t end, int64_t max_buckets) {
  int64_t e = start;
  for (int64_t i = 0; i < max_buckets && e < end; ++i) e = next_bucket_start(b, e);
  return e < end ? e : end;
}

// The start of a batch that ends at bucket start `end`, for refreshing newest first: the bucket
// start at most `max_buckets` buckets before `end`, never before `start` (a bucket start).
template <typename Floor>
int64_t batch_start(const Bucketing<Floor>& b, int64_t start, int64_t end, int64_t max_buckets) {
  int64_t s = end;
  for (int64_t i = 0; i < max_buckets && s > start; ++i) s = b.floor(s - 1);
  return s > start ? s : start;
}

}  // namespace strata::core
