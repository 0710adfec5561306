// Job schedule arithmetic: when a background job should start next after a run, with drifting
// or fixed schedules and exponential retry backoff. Pure C++; calendar and time-zone arithmetic
// (adding a month-or-day interval in a given zone) is supplied by the caller as AddFn.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace strata::core {

// An interval as PostgreSQL stores it: months, days and microseconds kept apart, because their
// length depends on the calendar (and days on the time zone, across daylight-saving changes).
struct JobInterval {
  int32_t months = 0;
  int32_t days = 0;
  int64_t usec = 0;

  bool is_zero() const { return months == 0 && days == 0 && usec == 0; }
  bool operator==(const JobInterval&) const = default;
};

// Timestamps are microseconds on any fixed axis (the glue uses PostgreSQL timestamptz values).
// AddFn(t, iv) returns t + iv under the job's calendar and time zone.
using AddFn = std::function<int64_t(int64_t, const JobInterval&)>;

inline constexpr int64_t kUsecPerSecond = INT64_C(1000000);
inline constexpr int64_t kUsecPerDayJobs = INT64_C(86400000000);

// A nominal length (months as 30 days, days as 24 hours) used to estimate and to cap delays.
int64_t approx_usec(const JobInterval& iv);
// iv multiplied by k (k >= 0); throws out_of_range on overflow.
JobInterval scale(const JobInterval& iv, int64_t k);
// Adds microseconds, saturating instead of overflowing.
int64_t add_usec_saturating(int64_t t, int64_t usec);

// The schedule of a job, as stored in its catalog row.
struct JobSchedule {
  JobInterval schedule_interval;
  JobInterval retry_period;
  int32_t max_retries = -1;    // -1: retry without limit
  bool fixed_schedule = true;  // next start aligned to initial_start + k * schedule_interval
  int64_t initial_start = 0;   // origin of a fixed schedule
};

// The first start of initial + k * interval (k >= 0) that is strictly after `after`; `initial`
// itself if it is after `after`. The interval must have a positive nominal length.
int64_t next_aligned_start(int64_t initial, const JobInterval& interval, int64_t after,
                           const AddFn& add);

// The next start after a successful run that finished at `finish`: the next aligned slot for a
// fixed schedule, finish + schedule_interval otherwise.
int64_t next_start_after_success(const JobSchedule& s, int64_t finish, const AddFn& add);

// The retry delay after `consecutive_failures` (>= 1) failures in a row: retry_period doubled for
// each failure after the first, capped at five schedule intervals (and at least retry_period).
int64_t retry_backoff_usec(const JobSchedule& s, int32_t consecutive_failures);

// The next start after a failed run: finish + backoff while retries remain (never later than
// the next aligned slot of a fixed schedule); the regular schedule once max_retries retries in
// a row have failed.
int64_t next_start_after_failure(const JobSchedule& s, int64_t finish, int32_t consecutive_failures,
                                 const AddFn& add);

// The next start after a run (a success when consecutive_failures is 0, else the
// consecutive_failures-th failure in a row), for a caller that must not throw and holds no C++
// objects (the glue records every run of a job): `add(context, t, iv)` is the calendar. False,
// with the reason in `why` (cut to why_size bytes), when the schedule cannot produce one: the
// arithmetic or `add` threw. Whatever `add` throws is swallowed, so it must be safe to.
using AddFnPtr = int64_t (*)(void* context, int64_t t, const JobInterval& iv);
bool try_next_start(const JobSchedule& s, int32_t consecutive_failures, int64_t finish, AddFnPtr add,
                    void* context, int64_t* next, char* why, size_t why_size) noexcept;

}  // namespace strata::core
