// The ColumnstoreAggregate executor node (agg.hpp): reads the batches of its ColumnarScan child
// (which applies the segment quals, batch filters and kernel predicates), splits each batch into
// groups (its segment values, and runs of rows with the same time_bucket() when grouped by one),
// accumulates the aggregates on the decoded arrays or from the batch metadata, and emits one row of
// PostgreSQL's partial aggregate states per group (consecutive batches of the same group share a
// row). Grouping by decoded values is in agg_hash.cpp. The rows go through a tuplestore. C-style glue.
#include "columnstore/agg_exec.hpp"

#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

#include "columnstore/scan.hpp"
#include "pg/guard.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "commands/explain.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/instrument.h"
#include "libpq/pqformat.h"
#include "nodes/makefuncs.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/numeric.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
}

namespace strata::columnstore::aggexec {

namespace {

bool float_type(Oid t) { return t == FLOAT4OID || t == FLOAT8OID; }

uint64 count_selected(const uint64* sel, uint64 from, uint64 to) {
  uint64 n = 0;
  for (uint64 i = from; i < to;) {
    if ((i & 63) == 0 && i + 64 <= to) {
      n += (uint64)__builtin_popcountll(sel[i >> 6]);
      i += 64;
    } else {
      n += row_selected(sel, i) ? 1 : 0;
      ++i;
    }
  }
  return n;
}

template <typename T>
void accumulate_array(Acc* a, const SpecState* s, const T* vals, const uint8* validity, const uint64* sel, uint64 from,
                      uint64 to) {
  if constexpr (!std::is_floating_point_v<T>) {
    if (s->agg == kSumInt8 || s->agg == kAvgInt8) {
      __int128 sum = 0;
      int64 n = 0;
      for (uint64 i = from; i < to; ++i) {
        if (!row_selected(sel, i) || !row_valid(validity, i)) continue;
        sum += (int64)vals[i];
        n++;
      }
      wide_add(a, sum);
      a->n += n;
      return;
    }
  }
  for (uint64 i = from; i < to; ++i) {
    if (!row_selected(sel, i) || !row_valid(validity, i)) continue;
    if constexpr (std::is_floating_point_v<T>)
      accumulate_value(a, s, 0, (double)vals[i]);
    else
      accumulate_value(a, s, (int64)vals[i], (double)vals[i]);
  }
}

// ---------------------------------------------------------------------------------------------
// numeric values, read from a compressed column's bytes (the varlena's data: PostgreSQL's stored
// numeric form, a 2-byte header (short form) or a sign/dscale word and an int16 weight (long
// form), then base-10000 digits).

constexpr uint16 kNumSignMask = 0xC000, kNumNeg = 0x4000, kNumShort = 0x8000, kNumSpecial = 0xC000;
constexpr uint16 kNumExtMask = 0xF000, kNumNaN = 0xC000, kNumPinf = 0xD000;
constexpr uint16 kNumShortSign = 0x2000, kNumShortDscaleMask = 0x1F80, kNumShortWeightSign = 0x0040,
                 kNumShortWeightMask = 0x003F;
constexpr int kNumShortDscaleShift = 7;
constexpr uint16 kNumDscaleMask = 0x3FFF;

const __int128 kPow10[] = {
    (__int128)1,
    (__int128)10,
    (__int128)100,
    (__int128)1000,
    (__int128)10000,
    (__int128)100000,
    (__int128)1000000,
    (__int128)10000000,
    (__int128)100000000,
    (__int128)1000000000,
    (__int128)10000000000LL,
    (__int128)100000000000LL,
    (__int128)1000000000000LL,
    (__int128)10000000000000LL,
    (__int128)100000000000000LL,
    (__int128)1000000000000000LL,
    (__int128)10000000000000000LL,
    (__int128)100000000000000000LL,
    (__int128)1000000000000000000LL,
};
// Sums are kept below 10^36 in absolute value (an __int128 holds 1.7 * 10^38).
const __int128 kNumLimit = kPow10[18] * kPow10[18];

__int128 abs128(__int128 v) { return v < 0 ? -v : v; }

// v * 10^k, false when the result would reach kNumLimit.
bool scale_up(__int128* v, int k) {
  while (k > 0) {
    const int step = k > 18 ? 18 : k;
    if (abs128(*v) >= kNumLimit / kPow10[step]) return false;
    *v *= kPow10[step];
    k -= step;
  }
  return true;
}

Numeric numeric_of_bytes(const uint8* data, size_t len) {
  struct varlena* v = (struct varlena*)palloc(len + VARHDRSZ);
  SET_VARSIZE(v, len + VARHDRSZ);
  memcpy(VARDATA(v), data, len);
  return (Numeric)v;
}

// The Numeric of an __int128 scaled by 10^scale (dscale = scale), through its text form.
Numeric numeric_of_scaled(__int128 v, int scale) {
  char buf[64];
  char* p = buf + sizeof buf;
  *--p = '\0';
  const bool neg = v < 0;
  unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
  int digits = 0;
  do {
    *--p = (char)('0' + (int)(u % 10));
    u /= 10;
    ++digits;
    if (digits == scale) *--p = '.';
  } while (u != 0 || digits < scale);
  if (scale > 0 && *p == '.') *--p = '0';
  if (neg) *--p = '-';
  return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(p), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
}

void numeric_add_slow(AggScanState* st, Acc* a, Numeric n);

}  // namespace

// One numeric value (its stored bytes) into a sum/avg(numeric) accumulator, as PostgreSQL's
// numeric_avg_accum counts it.
void accumulate_numeric(AggScanState* st, Acc* a, const uint8* data, size_t len) {
  if (len < 2) ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("compressed numeric value too short")));
  uint16 h;
  memcpy(&h, data, 2);
  if ((h & kNumSignMask) == kNumSpecial) {
    const uint16 ext = h & kNumExtMask;
    if (ext == kNumNaN)
      a->nan++;
    else if (ext == kNumPinf)
      a->pinf++;
    else
      a->ninf++;
    return;
  }
  bool neg;
  int dscale, weight;
  size_t off;
  if ((h & kNumSignMask) == kNumShort) {
    neg = (h & kNumShortSign) != 0;
    dscale = (h & kNumShortDscaleMask) >> kNumShortDscaleShift;
    weight = (h & kNumShortWeightSign) ? (int)(int16)(~kNumShortWeightMask | (h & kNumShortWeightMask))
                                        : (int)(h & kNumShortWeightMask);
    off = 2;
  } else {
    if (len < 4) ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("compressed numeric value too short")));
    neg = (h & kNumSignMask) == kNumNeg;
    dscale = h & kNumDscaleMask;
    int16 w;
    memcpy(&w, data + 2, 2);
    weight = w;
    off = 4;
  }
  const int ndigits = (int)((len - off) / 2);
  if (dscale > a->max_scale) {
    a->max_scale = dscale;
    a->max_scale_count = 1;
  } else if (dscale == a->max_scale) {
    a->max_scale_count++;
  }
  a->n++;
  // The value times 10^dscale as an integer: digits * 10^(4 * (weight - ndigits + 1) + dscale).
  // (dscale <= 36 also bounds the accumulator's scale, and so numeric_of_scaled's text.)
  bool fast = ndigits <= 9 && dscale <= 36 && a->big == nullptr;
  __int128 v = 0;
  if (fast) {
    for (int i = 0; i < ndigits; ++i) {
      int16 d;
      memcpy(&d, data + off + 2 * i, 2);
      v = v * 10000 + d;
    }
    const int e = 4 * (weight - ndigits + 1) + dscale;
    if (e >= 0) {
      fast = scale_up(&v, e);
    } else if (-e > 36) {
      fast = v == 0;
      v = 0;
    } else {
      const __int128 div = -e > 18 ? kPow10[18] * kPow10[-e - 18] : kPow10[-e];
      fast = v % div == 0;
      v /= div;
    }
    if (neg) v = -v;
  }
  if (fast) {
    __int128 sum = wide_get(a);
    if (dscale > a->nscale) {
      fast = scale_up(&sum, dscale - a->nscale);
      if (fast) a->nscale = dscale;
    } else {
      fast = scale_up(&v, a->nscale - dscale);
    }
    if (fast && abs128(sum + v) < kNumLimit) {
      sum += v;
      memcpy(a->wsum, &sum, sizeof sum);
      return;
    }
  }
  numeric_add_slow(st, a, numeric_of_bytes(data, len));
}

namespace {

// Adds a Numeric to the accumulator's `big` part (first moving the __int128 part there).
void numeric_add_slow(AggScanState* st, Acc* a, Numeric n) {
  MemoryContext old = MemoryContextSwitchTo(st->num_cxt);
  if (a->big == nullptr) {
    a->big = numeric_of_scaled(wide_get(a), a->nscale);
    memset(a->wsum, 0, sizeof a->wsum);
    a->nscale = 0;
  }
  a->big = numeric_add_opt_error(a->big, n, nullptr);
  MemoryContextSwitchTo(old);
}

}  // namespace

// One numeric value (its stored bytes) into a min/max(numeric) accumulator.
void numeric_min_max(AggScanState* st, Acc* a, const SpecState* sp, const uint8* data, size_t len) {
  if (len > MaxAllocSize - VARHDRSZ)
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("compressed value too large")));
  if (len + VARHDRSZ > st->nbuf_cap) {
    MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(st->specs));
    if (st->nbuf != nullptr) pfree(st->nbuf);
    st->nbuf_cap = Max(len + VARHDRSZ, (size_t)64);
    st->nbuf = (struct varlena*)palloc(st->nbuf_cap);
    MemoryContextSwitchTo(old);
  }
  SET_VARSIZE(st->nbuf, len + VARHDRSZ);
  memcpy(VARDATA(st->nbuf), data, len);
  if (a->has) {
    const int cmp = DatumGetInt32(DirectFunctionCall2(numeric_cmp, PointerGetDatum(st->nbuf), PointerGetDatum(a->nmm)));
    // Equal values (1.5 and 1.50) keep the later one, as numeric_smaller / numeric_larger do.
    if (sp->agg == kMin ? cmp > 0 : cmp < 0) return;
    pfree(a->nmm);
  }
  a->nmm = (Numeric)MemoryContextAlloc(st->num_cxt, len + VARHDRSZ);
  memcpy(a->nmm, st->nbuf, len + VARHDRSZ);
  a->has = true;
}

namespace {

// The serialized NumericAggState (numeric_avg_serialize's form, compat.hpp).
Datum numeric_state(const Acc* a) {
  Numeric sum = numeric_of_scaled(wide_get(a), a->nscale);
  if (a->big != nullptr) sum = numeric_add_opt_error(a->big, sum, nullptr);
  StringInfoData buf;
  pq_begintypsend(&buf);
  bytea* wire = DatumGetByteaPP(DirectFunctionCall1(numeric_send, NumericGetDatum(sum)));
  compat::serialize_numeric_avg_state(&buf, a->n, (const uint8*)VARDATA_ANY(wire), VARSIZE_ANY_EXHDR(wire),
                                      a->max_scale, a->max_scale_count, a->nan, a->pinf, a->ninf);
  return PointerGetDatum(pq_endtypsend(&buf));
}

// ---------------------------------------------------------------------------------------------
// Partial states, in the form PostgreSQL's Finalize Aggregate deserializes.

// An int128 as a numeric.
Numeric numeric_of_int128(__int128 v) {
  if (v >= (__int128)PG_INT64_MIN && v <= (__int128)PG_INT64_MAX) return int64_to_numeric((int64)v);
  const int64 base = 1000000000000000000LL;
  const __int128 hi = v / base;
  const int64 lo = (int64)(v % base);
  if (hi < (__int128)PG_INT64_MIN || hi > (__int128)PG_INT64_MAX)
    ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("sum out of range")));
  Numeric r = numeric_mul_opt_error(int64_to_numeric((int64)hi), int64_to_numeric(base), nullptr);
  return numeric_add_opt_error(r, int64_to_numeric(lo), nullptr);
}

// The serialized state of sum(int8) / avg(int8) (int8_avg_serialize's format): the count, then
// the sum as a numeric variable (compat::serialize_numeric_var, the PostgreSQL version's layout).
Datum int128_state(int64 n, __int128 sum) {
  StringInfoData buf;
  pq_begintypsend(&buf);
  pq_sendint64(&buf, n);
  bytea* wire = DatumGetByteaPP(DirectFunctionCall1(numeric_send, NumericGetDatum(numeric_of_int128(sum))));
  compat::serialize_numeric_var(&buf, (const uint8*)VARDATA_ANY(wire), VARSIZE_ANY_EXHDR(wire));
  return PointerGetDatum(pq_endtypsend(&buf));
}

Datum float8_array(const double* v, int n) {
  Datum d[3];
  for (int i = 0; i < n; ++i) d[i] = Float8GetDatum(v[i]);
  return PointerGetDatum(construct_array(d, n, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

}  // namespace

Datum partial_state(const SpecState* s, const Acc* a, bool* isnull) {
  *isnull = false;
  switch (s->agg) {
    case kCountStar:
    case kCount:
      return Int64GetDatum(a->n);
    case kSumInt:
      *isnull = a->n == 0;
      return Int64GetDatum((int64)a->isum);
    case kAvgInt: {
      Datum d[2] = {Int64GetDatum(a->n), Int64GetDatum((int64)a->isum)};
      return PointerGetDatum(construct_array(d, 2, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
    }
    case kSumInt8:
    case kAvgInt8:
      if (a->n == 0) {
        *isnull = true;
        return (Datum)0;
      }
      return int128_state(a->n, wide_get(a));
    case kSumNumeric:
    case kAvgNumeric:
      if (a->n + a->nan + a->pinf + a->ninf == 0) {
        *isnull = true;
        return (Datum)0;
      }
      return numeric_state(a);
    case kSumFloat4:
      *isnull = a->n == 0;
      if (!*isnull && std::isinf(a->fsum4) && !a->nonfinite) float_overflow_error();
      return Float4GetDatum(a->fsum4);
    case kSumFloat8:
      *isnull = a->n == 0;
      if (!*isnull && std::isinf(a->fsum) && !a->nonfinite) float_overflow_error();
      return Float8GetDatum(a->fsum);
    case kAvgFloat: {
      const double v[3] = {a->N, a->Sx, a->Sxx};
      return float8_array(v, 3);
    }
    default:
      if (!a->has) {
        *isnull = true;
        return (Datum)0;
      }
      if (s->is_numeric) return PointerGetDatum(a->nmm);
      if (s->is_float)
        return s->typid == FLOAT4OID ? Float4GetDatum((float4)a->fmm) : Float8GetDatum(a->fmm);
      return datum_of_int(a->imm, s->typid);
  }
}

namespace {

// ---------------------------------------------------------------------------------------------
// Groups.

void flush_group(AggScanState* st) {
  TupleTableSlot* slot = st->css.ss.ss_ScanTupleSlot;
  ExprContext* econtext = st->css.ss.ps.ps_ExprContext;
  MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
  Datum* values = (Datum*)palloc(sizeof(Datum) * (st->nspecs > 0 ? st->nspecs : 1));
  bool* nulls = (bool*)palloc(sizeof(bool) * (st->nspecs > 0 ? st->nspecs : 1));
  for (int s = 0; s < st->nspecs; ++s) {
    if (st->specs[s].kind == kSpecAgg) {
      values[s] = partial_state(&st->specs[s], &st->acc[s], &nulls[s]);
    } else {
      values[s] = st->key[s];
      nulls[s] = st->key_null[s];
    }
  }
  tuplestore_putvalues(st->store, slot->tts_tupleDescriptor, values, nulls);
  MemoryContextSwitchTo(old);
  ResetExprContext(econtext);
  MemoryContextReset(st->num_cxt);
  st->groups++;
  st->open = false;
}

// Makes the group of the given segment values and bucket the current one (flushing the previous
// one when it differs).
void enter_group(AggScanState* st, Datum bucket, bool bucket_null) {
  if (st->open) {
    bool same = true;
    for (int s = 0; s < st->nspecs && same; ++s) {
      const SpecState* sp = &st->specs[s];
      if (sp->kind == kSpecSegment) {
        if (st->key_null[s] != st->seg_null[s])
          same = false;
        else if (!st->key_null[s])
          same = datumIsEqual(st->key[s], st->seg[s], sp->typbyval, sp->typlen);
      } else if (sp->kind == kSpecBucket) {
        same = st->key_null[s] == bucket_null && (bucket_null || st->key[s] == bucket);
      }
    }
    if (same) return;
    flush_group(st);
  }
  MemoryContextReset(st->key_cxt);
  MemoryContext old = MemoryContextSwitchTo(st->key_cxt);
  for (int s = 0; s < st->nspecs; ++s) {
    const SpecState* sp = &st->specs[s];
    if (sp->kind == kSpecSegment) {
      st->key_null[s] = st->seg_null[s];
      st->key[s] = st->seg_null[s] ? (Datum)0 : datumCopy(st->seg[s], sp->typbyval, sp->typlen);
    } else if (sp->kind == kSpecBucket) {
      st->key_null[s] = bucket_null;
      st->key[s] = bucket;
    }
  }
  MemoryContextSwitchTo(old);
  memset(st->acc, 0, sizeof(Acc) * st->nspecs);
  st->open = true;
}

// Rows [from, to) of the current batch (at least one selected) into the current group.
void accumulate_rows(AggScanState* st, const ColumnarBatch* b, uint64 from, uint64 to) {
  const uint64 nsel = st->meta_only ? to - from : count_selected(b->selection, from, to);
  for (int s = 0; s < st->nspecs; ++s) {
    const SpecState* sp = &st->specs[s];
    if (sp->kind != kSpecAgg) continue;
    Acc* a = &st->acc[s];
    if (sp->agg == kCountStar) {
      a->n += (int64)nsel;
      continue;
    }
    bool isnull;
    if (sp->comp_attno != 0) {  // a segment column: one value for the batch
      Datum v = slot_getattr(b->companion, sp->comp_attno, &isnull);
      if (isnull) continue;
      if (sp->agg == kCount)
        a->n += (int64)nsel;
      else
        update_min_max(a, sp, sp->is_float ? 0 : int_of_datum(v, sp->typid),
                       sp->is_float ? float_of_datum(v, sp->typid) : 0);
      continue;
    }
    if (sp->use_meta) {  // the whole batch, every row selected
      if (sp->agg == kCount) {
        Datum nd = slot_getattr(b->companion, sp->nulls_attno, &isnull);
        if (isnull)
          ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("batch without a NULL count in its metadata")));
        a->n += (int64)nsel - DatumGetInt32(nd);
      } else {
        Datum v = slot_getattr(b->companion, sp->agg == kMin ? sp->min_attno : sp->max_attno, &isnull);
        if (!isnull)
          update_min_max(a, sp, sp->is_float ? 0 : int_of_datum(v, sp->typid),
                         sp->is_float ? float_of_datum(v, sp->typid) : 0);
      }
      continue;
    }
    if (sp->agg == kSumNumeric || sp->agg == kAvgNumeric || sp->is_numeric) {
      for (uint64 i = from; i < to; ++i) {
        const uint8* data;
        size_t len;
        if (!row_selected(b->selection, i) || !columnar_batch_bytes(st->child, sp->attno, i, &data, &len)) continue;
        accumulate_numeric_spec(st, a, sp, data, len);
      }
      continue;
    }
    const uint8* validity;
    const uint8* fixed;
    decoded_column(st, sp, to, &validity, &fixed);
    if (sp->agg == kCount) {
      for (uint64 i = from; i < to; ++i)
        if (row_selected(b->selection, i) && row_valid(validity, i)) a->n++;
      continue;
    }
    switch (sp->codec) {
      case kInt16:
        accumulate_array(a, sp, (const int16*)fixed, validity, b->selection, from, to);
        break;
      case kInt32:
      case kDate:
        accumulate_array(a, sp, (const int32*)fixed, validity, b->selection, from, to);
        break;
      case kInt64:
      case kTimestamp:
        accumulate_array(a, sp, (const int64*)fixed, validity, b->selection, from, to);
        break;
      case kFloat4:
        accumulate_array(a, sp, (const float4*)fixed, validity, b->selection, from, to);
        break;
      case kFloat8:
        accumulate_array(a, sp, (const float8*)fixed, validity, b->selection, from, to);
        break;
      default:
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("unexpected column type in columnstore aggregation")));
    }
  }
}

// Whether no v[i - 1] > v[i] in v[0, n): four pairs at a time, one branch for the four.
template <typename T>
bool never_decreases(const T* v, uint64 n) {
  uint64 i = 1;
  for (; i + 4 <= n; i += 4)
    if ((v[i - 1] > v[i]) | (v[i] > v[i + 1]) | (v[i + 1] > v[i + 2]) | (v[i + 2] > v[i + 3])) return false;
  for (; i < n; ++i)
    if (v[i - 1] > v[i]) return false;
  return true;
}

template <typename T>
bool never_increases(const T* v, uint64 n) {
  uint64 i = 1;
  for (; i + 4 <= n; i += 4)
    if ((v[i - 1] < v[i]) | (v[i] < v[i + 1]) | (v[i + 1] < v[i + 2]) | (v[i + 2] < v[i + 3])) return false;
  for (; i < n; ++i)
    if (v[i - 1] < v[i]) return false;
  return true;
}

// Whether v[0, n) never decreases or never increases (only the direction from the first value to
// the last can hold; with equal ends, every value is equal).
template <typename T>
bool monotonic(const T* v, uint64 n) {
  if (n < 2) return true;
  return v[0] <= v[n - 1] ? never_decreases(v, n) : never_increases(v, n);
}

Datum bucket_of(AggScanState* st, const SpecState* sp, int64 v) {
  const Datum d = datum_of_int(v, sp->codec == kInt16 ? INT2OID : sp->codec == kInt32 ? INT4OID : sp->codec == kDate ? DATEOID : INT8OID);
  if (sp->nconsts == 2) return FunctionCall3Coll((FmgrInfo*)&sp->fn, InvalidOid, sp->width, d, sp->origin);
  return FunctionCall2Coll((FmgrInfo*)&sp->fn, InvalidOid, sp->width, d);
}

// Whether the bucketing never decreases over the values [lo, hi] (as instants): always, except
// for date_trunc of a timestamptz, which truncates in the session's time zone. Below a day it
// keeps each value's own UTC offset (t minus (t + offset) modulo the unit), so it never decreases
// where the offset does not change: no offset transition of the session zone in (lo, hi]. A day
// up to a year truncates the local time and takes the offset of the local midnight it lands on
// (ambiguous across a fall-back): with one offset from a unit and a day before lo (the margin) to
// a day after hi, that is truncation at a fixed offset too. Decided per batch, at execution, so
// a kept generic plan follows the session's zone.
bool bucket_monotonic(const SpecState* sp, int64 lo, int64 hi) {
  if (sp->zone == kZoneNone) return true;
  if (sp->zone != kZoneSteady || session_timezone == nullptr) return false;
  if (lo > hi) std::swap(lo, hi);
  if (TIMESTAMP_NOT_FINITE(lo) || TIMESTAMP_NOT_FINITE(hi)) return false;
  if (sp->zone_margin > 0) {
    const int64 margin = (int64)sp->zone_margin * USECS_PER_SEC;
    if (lo < MIN_TIMESTAMP + margin || hi > END_TIMESTAMP - USECS_PER_DAY) return false;
    lo -= margin;
    hi += USECS_PER_DAY;
  }
  // Whole seconds since the Unix epoch, rounded down as timestamp2tm does.
  constexpr int64 kEpochShift = (int64)(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
  auto secs = [](int64 t) { return (t >= 0 ? t / USECS_PER_SEC : -((-t + USECS_PER_SEC - 1) / USECS_PER_SEC)) + kEpochShift; };
  const pg_time_t from = secs(lo);
  const pg_time_t to = secs(hi);
  long before_off = 0;
  long after_off = 0;
  int before_dst = 0;
  int after_dst = 0;
  pg_time_t boundary = 0;
  const int r = pg_next_dst_boundary(&from, &before_off, &before_dst, &boundary, &after_off, &after_dst, session_timezone);
  if (r == 0) return true;
  return r == 1 && boundary > from && boundary > to;
}

}  // namespace

BucketColumn bucket_column(AggScanState* st, const ColumnarBatch* b) {
  const SpecState* sp = &st->specs[st->bucket];
  uint64 rows;
  BucketColumn c;
  if (!columnar_batch_column(st->child, sp->attno, &rows, &c.validity, &c.fixed) || rows < b->rows)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("bucketed column of the batch is not decoded")));
  c.n = b->rows;
  c.sorted = false;
  if (c.validity == nullptr) {
    switch (sp->codec) {
      case kInt16:
        c.sorted = monotonic((const int16*)c.fixed, c.n);
        break;
      case kInt32:
      case kDate:
        c.sorted = monotonic((const int32*)c.fixed, c.n);
        break;
      default:
        c.sorted = monotonic((const int64*)c.fixed, c.n);
        break;
    }
    // Sorted, the column's extremes are its ends.
    if (c.sorted && c.n > 0 && sp->zone != kZoneNone)
      c.sorted = bucket_monotonic(sp, decoded_int(sp->codec, c.fixed, 0), decoded_int(sp->codec, c.fixed, c.n - 1));
  }
  return c;
}

bool batch_one_bucket(AggScanState* st, const ColumnarBatch* b, Datum* bv) {
  const SpecState* sp = &st->specs[st->bucket];
  if (sp->min_attno == 0 || sp->max_attno == 0 || sp->nulls_attno == 0) return false;
  bool isnull;
  const Datum nulls = slot_getattr(b->companion, sp->nulls_attno, &isnull);
  if (isnull || DatumGetInt32(nulls) != 0) return false;
  const Datum lo = slot_getattr(b->companion, sp->min_attno, &isnull);
  if (isnull) return false;
  const Datum hi = slot_getattr(b->companion, sp->max_attno, &isnull);
  if (isnull) return false;
  if (!bucket_monotonic(sp, int_of_datum(lo, sp->typid), int_of_datum(hi, sp->typid))) return false;
  const Datum first = bucket_of(st, sp, int_of_datum(lo, sp->typid));
  if (bucket_of(st, sp, int_of_datum(hi, sp->typid)) != first) return false;
  *bv = first;
  st->batches_one_bucket++;
  return true;
}

// The first row from i on (rows i .. first-1 satisfying `in`, which holds for row i) where `in`
// fails, or n: doubling steps, then halving; `in` must hold on a prefix of the rows from i on.
template <typename In>
static uint64 first_outside(uint64 i, uint64 n, In in) {
  uint64 good = i;
  uint64 bad = n;
  for (uint64 step = 1; good + step < n; step *= 2) {
    if (!in(good + step)) {
      bad = good + step;
      break;
    }
    good += step;
  }
  while (bad - good > 1) {
    const uint64 mid = good + (bad - good) / 2;
    if (in(mid))
      good = mid;
    else
      bad = mid;
  }
  return bad;
}

// On a sorted column a bucket's rows are one run, found by binary search, since time_bucket() never
// decreases as its argument grows.
uint64 bucket_run(AggScanState* st, const BucketColumn& c, uint64 i, Datum* bv_out, bool* null_out) {
  const SpecState* sp = &st->specs[st->bucket];
  const uint64 n = c.n;
  const bool null = !row_valid(c.validity, i);
  const Datum bv = null ? (Datum)0 : bucket_of(st, sp, decoded_int(sp->codec, c.fixed, i));
  *bv_out = bv;
  *null_out = null;
  if (c.sorted && sp->run_width > 0) {
    // The bucket is [bv, bv + width): the run is the rows whose values lie in it (sorted either
    // way), confirmed by the bucket of its last row.
    const int64 lo = int_of_datum(bv, sp->typid);
    const int64 v0 = decoded_int(sp->codec, c.fixed, i);
    if (lo <= v0 && lo <= PG_INT64_MAX - sp->run_width && v0 < lo + sp->run_width) {
      const int64 hi = lo + sp->run_width;
      // On a monotonic column the rows from i on lie in [lo, hi) up to the run's end and never
      // after it.
      const uint64 end = first_outside(i, n, [&](uint64 j) {
        const int64 v = decoded_int(sp->codec, c.fixed, j);
        return v >= lo && v < hi;
      });
      if (end == i + 1 || bucket_of(st, sp, decoded_int(sp->codec, c.fixed, end - 1)) == bv) return end;
    }
  }
  if (c.sorted)
    return first_outside(i, n, [&](uint64 j) { return bucket_of(st, sp, decoded_int(sp->codec, c.fixed, j)) == bv; });
  uint64 end = i + 1;
  while (end < n) {
    const bool enull = !row_valid(c.validity, end);
    if (enull != null) break;
    if (!null && decoded_int(sp->codec, c.fixed, end) != decoded_int(sp->codec, c.fixed, end - 1) &&
        bucket_of(st, sp, decoded_int(sp->codec, c.fixed, end)) != bv)
      break;
    ++end;
  }
  return end;
}

namespace {

// Splits the batch into runs of rows of the same bucket and accumulates each.
void accumulate_buckets(AggScanState* st, const ColumnarBatch* b) {
  Datum one;
  if (batch_one_bucket(st, b, &one)) {
    if (st->meta_only || count_selected(b->selection, 0, b->rows) > 0) {
      enter_group(st, one, false);
      accumulate_rows(st, b, 0, b->rows);
    }
    return;
  }
  const BucketColumn c = bucket_column(st, b);
  uint64 i = 0;
  while (i < c.n) {
    Datum bv;
    bool null;
    const uint64 end = bucket_run(st, c, i, &bv, &null);
    if (st->meta_only || count_selected(b->selection, i, end) > 0) {
      enter_group(st, bv, null);
      accumulate_rows(st, b, i, end);
    }
    i = end;
  }
}

void fill(AggScanState* st) {
  // The child is driven batch by batch, not through ExecProcNode: its instrumentation (EXPLAIN
  // ANALYZE) is kept here, one "row" per batch.
  Instrumentation* instr = st->child->ss.ps.instrument;
  if (instr != nullptr) InstrStartNode(instr);
  int64 batches = 0;
  ColumnarBatch b;
  while (columnar_next_batch(st->child, &b)) {
    batches++;
    CHECK_FOR_INTERRUPTS();
    for (int s = 0; s < st->nspecs; ++s)
      if (st->specs[s].kind == kSpecSegment)
        st->seg[s] = slot_getattr(b.companion, st->specs[s].comp_attno, &st->seg_null[s]);
    if (st->decodes)
      st->batches_decoded++;
    else
      st->batches_meta++;
    if (st->hashed) {
      enter_segment(st);
      accumulate_hashed(st, &b);
      if (st->ngroups > kMaxHashGroups && !st->final_rows) flush_hash(st);
    } else if (st->bucket >= 0) {
      accumulate_buckets(st, &b);
    } else {
      enter_group(st, (Datum)0, false);
      accumulate_rows(st, &b, 0, b.rows);
    }
  }
  if (st->hashed) {
    if (st->open && !st->final_rows) flush_hash(st);  // (final mode: emitted from the table, agg_next)
    st->open = false;
  } else if (st->open) {
    flush_group(st);
  }
  if (instr != nullptr) InstrStopNode(instr, (double)batches);
}

// ---------------------------------------------------------------------------------------------
// Node methods.

void begin_agg(CustomScanState* node, EState* estate, int eflags) {
  AggScanState* st = (AggScanState*)node;
  CustomScan* cscan = (CustomScan*)node->ss.ps.plan;
  PlanState* child = ExecInitNode((Plan*)linitial(cscan->custom_plans), estate, eflags);
  node->custom_ps = list_make1(child);
  st->child = (CustomScanState*)child;
  List* meta = (List*)linitial(cscan->custom_private);
  List* specs = (List*)lsecond(cscan->custom_private);
  st->meta_only = list_nth_int(meta, kMetaOnly) != 0;
  st->nspecs = list_nth_int(meta, kNSpecs);
  st->final_rows = list_length(meta) > kFinal && list_nth_int(meta, kFinal) != 0;
  const int n = st->nspecs > 0 ? st->nspecs : 1;
  st->specs = (SpecState*)palloc0(sizeof(SpecState) * n);
  st->acc = (Acc*)palloc0(sizeof(Acc) * n);
  st->key = (Datum*)palloc0(sizeof(Datum) * n);
  st->key_null = (bool*)palloc0(sizeof(bool) * n);
  st->seg = (Datum*)palloc0(sizeof(Datum) * n);
  st->seg_null = (bool*)palloc0(sizeof(bool) * n);
  st->bucket = -1;
  st->decodes = !st->meta_only;  // kernel predicates decode their columns
  for (int s = 0; s < st->nspecs; ++s) {
    SpecState* sp = &st->specs[s];
    const int base = s * kSpecFields;
    sp->kind = list_nth_int(specs, base + kSpecKind);
    sp->agg = list_nth_int(specs, base + kSpecAggKind);
    sp->codec = list_nth_int(specs, base + kSpecCodec);
    sp->attno = (AttrNumber)list_nth_int(specs, base + kSpecAttno);
    sp->comp_attno = (AttrNumber)list_nth_int(specs, base + kSpecCompAttno);
    sp->min_attno = (AttrNumber)list_nth_int(specs, base + kSpecMinAttno);
    sp->max_attno = (AttrNumber)list_nth_int(specs, base + kSpecMaxAttno);
    sp->nulls_attno = (AttrNumber)list_nth_int(specs, base + kSpecNullsAttno);
    sp->use_meta = list_nth_int(specs, base + kSpecUseMeta) != 0;
    sp->typid = (Oid)list_nth_int(specs, base + kSpecTypid);
    sp->is_float = float_type(sp->typid);
    sp->is_numeric = sp->kind == kSpecAgg && (sp->agg == kMin || sp->agg == kMax) && sp->typid == NUMERICOID;
    if (OidIsValid(sp->typid)) get_typlenbyval(sp->typid, &sp->typlen, &sp->typbyval);
    if (sp->kind == kSpecBucket) {
      st->bucket = s;
      st->decodes = true;
      fmgr_info((Oid)list_nth_int(specs, base + kSpecFunc), &sp->fn);
      const int first = list_nth_int(specs, base + kSpecFirstConst);
      sp->nconsts = list_nth_int(specs, base + kSpecNConsts);
      sp->zone = list_nth_int(specs, base + kSpecZone);
      sp->zone_margin = list_nth_int(specs, base + kSpecZoneMargin);
      const int run = list_nth_int(specs, base + kSpecRunConst);
      sp->run_width = run > 0 ? DatumGetInt64(((Const*)list_nth(cscan->custom_exprs, run - 1))->constvalue) : 0;
      sp->width = ((Const*)list_nth(cscan->custom_exprs, first))->constvalue;
      if (sp->nconsts == 2) sp->origin = ((Const*)list_nth(cscan->custom_exprs, first + 1))->constvalue;
    }
  }
  st->nvals = 0;
  st->val_spec = (int*)palloc0(sizeof(int) * n);
  for (int s = 0; s < st->nspecs; ++s) {
    const SpecState* sp = &st->specs[s];
    if (sp->kind == kSpecAgg && sp->agg != kCountStar && sp->comp_attno == 0 && !sp->use_meta) st->decodes = true;
    if (sp->kind == kSpecValue) st->val_spec[st->nvals++] = s;
  }
  if (st->nvals > 62)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("too many grouping columns for columnstore aggregation")));
  st->hashed = st->nvals > 0;
  st->decodes |= st->hashed;
  st->final_rows &= st->hashed;
  st->nsegs = 0;
  st->seg_spec = (int*)palloc0(sizeof(int) * n);
  if (st->final_rows)
    for (int s = 0; s < st->nspecs; ++s)
      if (st->specs[s].kind == kSpecSegment) st->seg_spec[st->nsegs++] = s;
  st->seg_words = (uint64*)palloc0(sizeof(uint64) * (st->nsegs > 0 ? st->nsegs : 1));
  st->nkey = 2 + st->nvals + st->nsegs;
  st->nacc = 0;
  st->acc_index = (int*)palloc0(sizeof(int) * n);
  for (int s = 0; s < st->nspecs; ++s)
    if (st->specs[s].kind == kSpecAgg) st->acc_index[s] = st->nacc++;
  if (st->nacc == 0) st->nacc = 1;
  st->slot_key = (uint64*)palloc0(sizeof(uint64) * st->nkey);
  st->key_cxt = AllocSetContextCreate(CurrentMemoryContext, "ColumnstoreAggregate group", ALLOCSET_SMALL_SIZES);
  st->num_cxt = AllocSetContextCreate(CurrentMemoryContext, "ColumnstoreAggregate numeric", ALLOCSET_SMALL_SIZES);
  if (st->hashed) {
    st->hash_cxt = AllocSetContextCreate(CurrentMemoryContext, "ColumnstoreAggregate hash", ALLOCSET_DEFAULT_SIZES);
    hash_reset(st);
  }
  st->store = nullptr;
  st->store_slot = ExecInitExtraTupleSlot(estate, node->ss.ss_ScanTupleSlot->tts_tupleDescriptor, &TTSOpsMinimalTuple);
  st->filled = false;
}

TupleTableSlot* agg_next(ScanState* node) {
  AggScanState* st = (AggScanState*)node;
  if (!st->filled) {
    if (!st->final_rows) st->store = tuplestore_begin_heap(false, false, work_mem);
    st->open = false;
    fill(st);
    st->filled = true;
  }
  TupleTableSlot* slot = node->ss_ScanTupleSlot;
  if (st->final_rows) {
    // The groups straight from the hash table, formed in the per-tuple memory (reset by ExecScan
    // before each call).
    ExecClearTuple(slot);
    if (st->emit_next >= st->ngroups) {
      // Done: the table's memory goes back before the next chunk's node fills its own.
      if (st->ngroups > 0) MemoryContextReset(st->hash_cxt);
      st->ngroups = 0;
      st->emit_next = 0;
      return slot;
    }
    MemoryContext old = MemoryContextSwitchTo(st->css.ss.ps.ps_ExprContext->ecxt_per_tuple_memory);
    group_values(st, st->emit_next++, slot->tts_values, slot->tts_isnull);
    MemoryContextSwitchTo(old);
    st->groups++;
    return ExecStoreVirtualTuple(slot);
  }
  if (!tuplestore_gettupleslot(st->store, true, false, st->store_slot)) return ExecClearTuple(slot);
  return ExecCopySlot(slot, st->store_slot);
}

bool agg_recheck(ScanState* node, TupleTableSlot* slot) { return true; }

TupleTableSlot* exec_agg(CustomScanState* node) {
  return ExecScan(&node->ss, (ExecScanAccessMtd)pg::guarded<agg_next>, (ExecScanRecheckMtd)pg::guarded<agg_recheck>);
}

void end_agg(CustomScanState* node) {
  AggScanState* st = (AggScanState*)node;
  if (st->store != nullptr) tuplestore_end(st->store);
  st->store = nullptr;
  ExecEndNode(&st->child->ss.ps);
}

void rescan_agg(CustomScanState* node) {
  AggScanState* st = (AggScanState*)node;
  if (st->store != nullptr) tuplestore_end(st->store);
  st->store = nullptr;
  st->filled = false;
  st->open = false;
  if (st->hashed) hash_reset(st);
  MemoryContextReset(st->num_cxt);
  ExecReScan(&st->child->ss.ps);
}

void explain_agg(CustomScanState* node, List* ancestors, ExplainState* es) {
  AggScanState* st = (AggScanState*)node;
  bool meta = false;
  for (int s = 0; s < st->nspecs; ++s) {
    const SpecState* sp = &st->specs[s];
    meta |= sp->kind == kSpecAgg && st->meta_only && (sp->agg == kCountStar || sp->use_meta);
  }
  bool decoded = st->bucket >= 0 || st->hashed || !st->meta_only;  // kernel predicates: counted from decoded columns
  for (int s = 0; s < st->nspecs; ++s) {
    const SpecState* sp = &st->specs[s];
    decoded |= sp->kind == kSpecAgg && sp->agg != kCountStar && sp->comp_attno == 0 && !sp->use_meta;
  }
  ExplainPropertyText("Aggregated From",
                      meta && decoded ? "batch metadata and decoded columns"
                      : meta          ? "batch metadata"
                      : decoded       ? "decoded columns"
                                      : "segment values",
                      es);
  if (st->hashed) ExplainPropertyText("Grouped By", "hashed decoded values", es);
  if (st->final_rows) ExplainPropertyText("Emits", "final groups", es);
  if (!es->analyze) return;
  ExplainPropertyInteger("Batches from Metadata", nullptr, st->batches_meta, es);
  ExplainPropertyInteger("Batches Decoded", nullptr, st->batches_decoded, es);
  if (st->bucket >= 0) ExplainPropertyInteger("Batches in One Bucket", nullptr, st->batches_one_bucket, es);
  if (st->batches_counted > 0) ExplainPropertyInteger("Batches Counted per Code", nullptr, st->batches_counted, es);
  ExplainPropertyInteger(st->final_rows ? "Groups" : "Partial Groups", nullptr, st->groups, es);
}

const CustomExecMethods exec_methods = {
    "ColumnstoreAggregate",
    pg::guarded<begin_agg>,
    pg::guarded<exec_agg>,
    pg::guarded<end_agg>,
    pg::guarded<rescan_agg>,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    pg::guarded<explain_agg>,
};

}  // namespace

}  // namespace strata::columnstore::aggexec

namespace strata::columnstore {

const CustomScanMethods agg_scan_methods = {
    "ColumnstoreAggregate",
    pg::guarded<agg_create_state>,
};

Node* agg_create_state(CustomScan* cscan) {
  auto* st = (aggexec::AggScanState*)newNode(sizeof(aggexec::AggScanState), T_CustomScanState);
  st->css.methods = &aggexec::exec_methods;
  return (Node*)st;
}

}  // namespace strata::columnstore
