// Job schedule arithmetic (see schedule.hpp).
#include "jobs/schedule.hpp"

#include <algorithm>
#include <cstdio>
#include <exception>

#include "error.hpp"

namespace strata::core {

int64_t approx_usec(const JobInterval& iv) {
  __int128 v = static_cast<__int128>(iv.months) * 30 * kUsecPerDayJobs +
               static_cast<__int128>(iv.days) * kUsecPerDayJobs + iv.usec;
  if (v > INT64_MAX) return INT64_MAX;
  if (v < INT64_MIN) return INT64_MIN;
  return static_cast<int64_t>(v);
}

JobInterval scale(const JobInterval& iv, int64_t k) {
  if (k < 0) throw Error(Errc::invalid_argument, "negative interval multiplier");
  __int128 m = static_cast<__int128>(iv.months) * k;
  __int128 d = static_cast<__int128>(iv.days) * k;
  __int128 u = static_cast<__int128>(iv.usec) * k;
  if (m > INT32_MAX || m < INT32_MIN || d > INT32_MAX || d < INT32_MIN || u > INT64_MAX ||
      u < INT64_MIN)
    throw Error(Errc::out_of_range, "schedule out of range");
  return JobInterval{static_cast<int32_t>(m), static_cast<int32_t>(d), static_cast<int64_t>(u)};
}

int64_t add_usec_saturating(int64_t t, int64_t usec) {
  int64_t r;
  if (__builtin_add_overflow(t, usec, &r)) return usec > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

int64_t next_aligned_start(int64_t initial, const JobInterval& interval, int64_t after,
                           const AddFn& add) {
  const int64_t len = approx_usec(interval);
  if (len <= 0) throw Error(Errc::invalid_argument, "schedule interval must be positive");
  if (initial > after) return initial;
  // Estimate k from the nominal length, then correct: calendar months and zone offsets make the
  // true slot differ from the estimate by at most a few steps.
  int64_t k = static_cast<int64_t>((static_cast<__int128>(after) - initial) / len);
  k = std::max<int64_t>(k - 1, 0);
  int64_t t = add(initial, scale(interval, k));
  while (t > after && k > 0) {
    --k;
    t = add(initial, scale(interval, k));
  }
  while (t <= after) {
    ++k;
    int64_t next = add(initial, scale(interval, k));
    if (next <= t) throw Error(Errc::invalid_argument, "schedule interval does not advance time");
    t = next;
  }
  return t;
}

int64_t next_start_after_success(const JobSchedule& s, int64_t finish, const AddFn& add) {
  if (s.fixed_schedule) return next_aligned_start(s.initial_start, s.schedule_interval, finish, add);
  return add(finish, s.schedule_interval);
}

int64_t retry_backoff_usec(const JobSchedule& s, int32_t consecutive_failures) {
  const int64_t retry = std::max<int64_t>(approx_usec(s.retry_period), 0);
  const int32_t doublings = std::clamp(consecutive_failures - 1, 0, 40);
  __int128 delay = static_cast<__int128>(retry) << doublings;
  const __int128 cap =
      std::max<__int128>(static_cast<__int128>(approx_usec(s.schedule_interval)) * 5, retry);
  delay = std::min(delay, cap);
  if (delay > INT64_MAX) delay = INT64_MAX;
  return static_cast<int64_t>(delay);
}

int64_t next_start_after_failure(const JobSchedule& s, int64_t finish, int32_t consecutive_failures,
                                 const AddFn& add) {
  if (consecutive_failures < 1) consecutive_failures = 1;
  const int64_t regular = next_start_after_success(s, finish, add);
  if (s.max_retries >= 0 && consecutive_failures > s.max_retries) return regular;
  const int64_t retry = add_usec_saturating(finish, retry_backoff_usec(s, consecutive_failures));
  if (s.fixed_schedule) return std::min(retry, regular);
  return retry;
}

bool try_next_start(const JobSchedule& s, int32_t consecutive_failures, int64_t finish, AddFnPtr add,
                    void* context, int64_t* next, char* why, size_t why_size) noexcept {
  if (why_size > 0) why[0] = '\0';
  try {
    const AddFn calendar = [add, context](int64_t t, const JobInterval& iv) { return add(context, t, iv); };
    *next = consecutive_failures == 0 ? next_start_after_success(s, finish, calendar)
                                      : next_start_after_failure(s, finish, consecutive_failures, calendar);
    return true;
  } catch (const std::exception& e) {
    if (why_size > 0) snprintf(why, why_size, "%s", e.what());
  } catch (...) {
    if (why_size > 0) snprintf(why, why_size, "%s", "unknown error");
  }
  return false;
}

}  // namespace strata::core
