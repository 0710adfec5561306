// SQL wrappers of time_bucket (TimescaleDB-compatible); the arithmetic is in core/time/time_bucket.
#include "pg/guard.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "datatype/timestamp.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"
}

#include "time/time_bucket.hpp"

namespace {

using strata::core::kBucketDefaultOriginDays;
using strata::core::kBucketDefaultOriginUsec;

constexpr int64 kMaxTimestamp = END_TIMESTAMP - 1;
constexpr int64 kMinDate = DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE;
constexpr int64 kMaxDate = DATE_END_JULIAN - POSTGRES_EPOCH_JDATE - 1;

// A bucket width given as an interval: either whole months or a fixed length of time.
struct Width {
  int32 months;  // > 0 for month buckets, 0 otherwise
  int64 usec;    // > 0 for sub-month buckets
};

Width interval_width(const Interval* w) {
  Width r{0, 0};
  if (w->month != 0) {
    if (w->day != 0 || w->time != 0)
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("month intervals cannot have day or time component"),
                      errhint("Use a width of whole months or years, or one of days and time.")));
    if (w->month < 0)
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("time_bucket width must be greater than 0")));
    r.months = w->month;
    return r;
  }
  int64 days_usec;
  if (__builtin_mul_overflow(static_cast<int64>(w->day), USECS_PER_DAY, &days_usec) ||
      __builtin_add_overflow(days_usec, w->time, &r.usec))
    ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
                    errmsg("time_bucket width out of range")));
  if (r.usec <= 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("time_bucket width must be greater than 0")));
  return r;
}

// Dates are bucketed by whole days (or months).
int64 interval_width_days(const Interval* w, Width* width) {
  *width = interval_width(w);
  if (width->months != 0) return 0;
  if (width->usec % USECS_PER_DAY != 0)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("time_bucket width for a date must be a whole number of days"),
                    errdetail("The width is %s.",
                              DatumGetCString(DirectFunctionCall1(interval_out,
                                                                  IntervalPGetDatum(w))))));
  return width->usec / USECS_PER_DAY;
}

void check_finite_origin(int64 origin, bool finite) {
  (void)origin;
  if (!finite)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("time_bucket origin must be finite")));
}

[[noreturn]] void timestamp_overflow() {
  ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("timestamp out of range"),
                  errdetail("The time bucket starts outside the range of the timestamp type.")));
  pg_unreachable();
}

// The bucket of a finite (local or UTC) timestamp; origin is a timestamp of the same kind.
int64 bucket_ts(const Width& w, int64 ts, int64 origin) {
  // Fixed widths, the common case (a query evaluates this once per row): ts less ts - origin
  // modulo the width, in 64 bits, when nothing can overflow and the bucket starts within the
  // type's range; otherwise the exact 128-bit computation below (which also reports the errors).
  if (w.months == 0) {
    int64 diff;
    if (!__builtin_sub_overflow(ts, origin, &diff)) {
      int64 rem = diff % w.usec;
      if (rem < 0) rem += w.usec;
      int64 start;
      if (!__builtin_sub_overflow(ts, rem, &start) && start >= MIN_TIMESTAMP && start <= kMaxTimestamp)
        return start;
    }
  }
  std::optional<int64_t> r =
      w.months != 0 ? strata::core::bucket_timestamp_months(w.months, ts, origin, MIN_TIMESTAMP, kMaxTimestamp)
                    : strata::core::bucket_timestamp(w.usec, ts, origin, MIN_TIMESTAMP, kMaxTimestamp);
  if (!r) timestamp_overflow();
  return *r;
}

// The bucket of a finite date: whole-day or month widths, aligned to `origin` (a date).
DateADT bucket_date(const Width& w, int64 width_days, int64 date, int64 origin) {
  std::optional<int64_t> r = w.months != 0
                                 ? strata::core::bucket_months(w.months, date, origin, kMinDate, kMaxDate)
                                 : strata::core::bucket_aligned(width_days, date, origin, kMinDate, kMaxDate);
  if (!r)
    ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("date out of range"),
                    errdetail("The time bucket starts outside the range of the date type.")));
  return static_cast<DateADT>(*r);
}

// ts + sign * iv for a timestamp without time zone (calendar arithmetic, as PostgreSQL's '+').
int64 timestamp_add(int64 ts, Interval* iv, bool subtract) {
  return DatumGetTimestamp(DirectFunctionCall2(subtract ? timestamp_mi_interval : timestamp_pl_interval,
                                               TimestampGetDatum(ts), IntervalPGetDatum(iv)));
}

int64 bucket_int(int64 width, int64 value, int64 offset, int64 min, int64 max, const char* type_name) {
  if (width <= 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("time_bucket width must be greater than 0")));
  std::optional<int64_t> r = strata::core::bucket_aligned(width, value, offset, min, max);
  if (!r)
    ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                    errmsg("time_bucket result out of range for type %s", type_name),
                    errdetail("The bucket of %lld starts outside the range of the type.",
                              static_cast<long long>(value))));
  return *r;
}

}  // namespace

// time_bucket(smallint, smallint [, offset smallint])
STRATA_FUNCTION(strata_time_bucket_int16) {
  const int64 offset = PG_NARGS() > 2 ? PG_GETARG_INT16(2) : 0;
  PG_RETURN_INT16(static_cast<int16>(
      bucket_int(PG_GETARG_INT16(0), PG_GETARG_INT16(1), offset, PG_INT16_MIN, PG_INT16_MAX, "smallint")));
}

// time_bucket(integer, integer [, offset integer])
STRATA_FUNCTION(strata_time_bucket_int32) {
  const int64 offset = PG_NARGS() > 2 ? PG_GETARG_INT32(2) : 0;
  PG_RETURN_INT32(static_cast<int32>(
      bucket_int(PG_GETARG_INT32(0), PG_GETARG_INT32(1), offset, PG_INT32_MIN, PG_INT32_MAX, "integer")));
}

// time_bucket(bigint, bigint [, offset bigint])
STRATA_FUNCTION(strata_time_bucket_int64) {
  const int64 offset = PG_NARGS() > 2 ? PG_GETARG_INT64(2) : 0;
  PG_RETURN_INT64(bucket_int(PG_GETARG_INT64(0), PG_GETARG_INT64(1), offset, PG_INT64_MIN, PG_INT64_MAX, "bigint"));
}

// time_bucket(interval, timestamp [, origin timestamp]) and the timestamptz form, which buckets
// in UTC (the values have the same representation).
STRATA_FUNCTION(strata_time_bucket_ts) {
  const Width w = interval_width(PG_GETARG_INTERVAL_P(0));
  const Timestamp ts = PG_GETARG_TIMESTAMP(1);
  Timestamp origin = kBucketDefaultOriginUsec;
  if (PG_NARGS() > 2) {
    origin = PG_GETARG_TIMESTAMP(2);
    check_finite_origin(origin, !TIMESTAMP_NOT_FINITE(origin));
  }
  if (TIMESTAMP_NOT_FINITE(ts)) PG_RETURN_TIMESTAMP(ts);
  PG_RETURN_TIMESTAMP(bucket_ts(w, ts, origin));
}

// time_bucket(interval, timestamp, "offset" interval) and the timestamptz form: the bucket of
// ts - offset, plus offset. For timestamptz the offset is applied in UTC, like the bucketing, so
// the result does not depend on the session time zone.
STRATA_FUNCTION(strata_time_bucket_ts_offset) {
  const Width w = interval_width(PG_GETARG_INTERVAL_P(0));
  const Timestamp ts = PG_GETARG_TIMESTAMP(1);
  Interval* offset = PG_GETARG_INTERVAL_P(2);
  if (TIMESTAMP_NOT_FINITE(ts)) PG_RETURN_TIMESTAMP(ts);
  const int64 shifted = timestamp_add(ts, offset, true);
  PG_RETURN_TIMESTAMP(timestamp_add(bucket_ts(w, shifted, kBucketDefaultOriginUsec), offset, false));
}

// time_bucket(interval, date [, origin date])
STRATA_FUNCTION(strata_time_bucket_date) {
  Width w;
  const int64 width_days = interval_width_days(PG_GETARG_INTERVAL_P(0), &w);
  const DateADT date = PG_GETARG_DATEADT(1);
  int64 origin = kBucketDefaultOriginDays;
  if (PG_NARGS() > 2) {
    origin = PG_GETARG_DATEADT(2);
    check_finite_origin(origin, !DATE_NOT_FINITE(origin));
  }
  if (DATE_NOT_FINITE(date)) PG_RETURN_DATEADT(date);
  PG_RETURN_DATEADT(bucket_date(w, width_days, date, origin));
}

// time_bucket(interval, date, "offset" interval): the bucket of date - offset, plus offset. The
// offset must be whole days (or months).
STRATA_FUNCTION(strata_time_bucket_date_offset) {
  Width w;
  const int64 width_days = interval_width_days(PG_GETARG_INTERVAL_P(0), &w);
  const DateADT date = PG_GETARG_DATEADT(1);
  Interval* offset = PG_GETARG_INTERVAL_P(2);
  if (offset->time % USECS_PER_DAY != 0)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("time_bucket offset for a date must be a whole number of days")));
  if (DATE_NOT_FINITE(date)) PG_RETURN_DATEADT(date);
  const Datum shifted_ts = DirectFunctionCall2(date_mi_interval, DateADTGetDatum(date), IntervalPGetDatum(offset));
  const DateADT shifted = DatumGetDateADT(DirectFunctionCall1(timestamp_date, shifted_ts));
  const DateADT r = bucket_date(w, width_days, shifted, kBucketDefaultOriginDays);
  const Datum back = DirectFunctionCall2(date_pl_interval, DateADTGetDatum(r),
                                         IntervalPGetDatum(offset));
  PG_RETURN_DATUM(DirectFunctionCall1(timestamp_date, back));
}

namespace {

// The local time in zone `tz` of the instant t.
Timestamp to_local(TimestampTz t, Datum tz) {
  return DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone, tz, TimestampTzGetDatum(t)));
}

// The instant at local time `local` in zone `tz` (for an ambiguous or skipped local time,
// PostgreSQL's rule: the later of two readings at a fall-back, standard time in a gap).
TimestampTz from_local(Timestamp local, Datum tz) {
  return DatumGetTimestampTz(DirectFunctionCall2(timestamp_zone, tz, TimestampGetDatum(local)));
}

// t + sign * iv with the months and days counted in the calendar of zone `tz` (as PostgreSQL's
// timestamptz + interval does in the session time zone) and the time part as elapsed time.
TimestampTz add_in_zone(TimestampTz t, const Interval* iv, Datum tz, bool subtract) {
  const int64 sign = subtract ? -1 : 1;
  if (iv->month != 0 || iv->day != 0) {
    Interval cal;
    cal.month = static_cast<int32>(sign * iv->month);
    cal.day = static_cast<int32>(sign * iv->day);
    cal.time = 0;
    const Timestamp local = DatumGetTimestamp(
        DirectFunctionCall2(timestamp_pl_interval, TimestampGetDatum(to_local(t, tz)), IntervalPGetDatum(&cal)));
    t = from_local(local, tz);
  }
  TimestampTz r;
  if (__builtin_add_overflow(t, sign * iv->time, &r) || !IS_VALID_TIMESTAMP(r)) timestamp_overflow();
  return r;
}

}  // namespace

// time_bucket(bucket_width interval, ts timestamptz, timezone text, origin timestamptz DEFAULT
// NULL, "offset" interval DEFAULT NULL): buckets in the local time of `timezone`, so that day,
// week and month buckets start at local midnight whatever the DST rules. Not STRICT: a NULL
// origin or offset means none.
STRATA_FUNCTION(strata_time_bucket_tz) {
  if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2)) PG_RETURN_NULL();
  const Width w = interval_width(PG_GETARG_INTERVAL_P(0));
  const TimestampTz ts = PG_GETARG_TIMESTAMPTZ(1);
  const Datum tz = PG_GETARG_DATUM(2);
  const bool have_origin = PG_NARGS() > 3 && !PG_ARGISNULL(3);
  const bool have_offset = PG_NARGS() > 4 && !PG_ARGISNULL(4);
  Timestamp origin_local = kBucketDefaultOriginUsec;
  if (have_origin) {
    const TimestampTz origin = PG_GETARG_TIMESTAMPTZ(3);
    check_finite_origin(origin, !TIMESTAMP_NOT_FINITE(origin));
    origin_local = to_local(origin, tz);
  }
  if (TIMESTAMP_NOT_FINITE(ts)) PG_RETURN_TIMESTAMPTZ(ts);
  const Interval* offset = have_offset ? PG_GETARG_INTERVAL_P(4) : nullptr;

  const TimestampTz shifted = offset != nullptr ? add_in_zone(ts, offset, tz, true) : ts;
  const Timestamp local = to_local(shifted, tz);
  const Timestamp bucket_local = bucket_ts(w, local, origin_local);
  TimestampTz result = from_local(bucket_local, tz);
  if (result > shifted) {
    // The bucket's local start is ambiguous (a fall-back hour) and PostgreSQL chose its later
    // reading, or it falls in a spring-forward gap: read it with the UTC offset in force at
    // `shifted`, which puts the bucket start at or before the value.
    const int64 utc_offset = local - shifted;
    result = bucket_local - utc_offset;
    if (to_local(result, tz) != bucket_local) {
      // A skipped local time: the bucket really starts at the end of the gap, the first instant
      // whose local time is not before the bucket's start. Local time is monotonic between
      // `result` (before the gap) and `shifted`, so bisect.
      TimestampTz lo = result, hi = shifted;  // to_local(lo) < bucket_local <= to_local(hi)
      while (hi - lo > 1) {
        const TimestampTz mid = lo + (hi - lo) / 2;
        if (to_local(mid, tz) >= bucket_local)
          hi = mid;
        else
          lo = mid;
      }
      result = hi;
    }
  }
  if (offset != nullptr) result = add_in_zone(result, offset, tz, false);
  PG_RETURN_TIMESTAMPTZ(result);
}
