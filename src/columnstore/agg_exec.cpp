// The ColumnstoreAggregate executor node (agg.hpp): reads the batches of its ColumnarScan child
// (which applies the segment quals, batch filters and kernel predicates), splits each batch into
// groups (its segment values, and runs of rows with the same time_bucket() when grouped by one),
// accumulates the aggregates on the decoded arrays or from the batch metadata, and emits one row of
// PostgreSQL's partial aggregate states per group (consecutive batches of the same group share a
// row). The rows go through a tuplestore. C-style glue.
#include "columnstore/agg.hpp"

#include <cmath>
#include <limits>
#include <type_traits>

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
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/numeric.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"
}

namespace strata::columnstore {

namespace {

using namespace aggplan;

enum : int { kInt16 = 1, kInt32, kInt64, kTimestamp, kDate, kFloat4, kFloat8, kBool, kUuid, kVarlen };

struct SpecState {
  int kind;
  int agg;
  int codec;
  AttrNumber attno;
  AttrNumber comp_attno, min_attno, max_attno, nulls_attno;
  bool use_meta;
  bool is_float;  // min/max kept as double
  bool is_numeric;  // min/max of numeric (compared as numerics)
  Oid typid;
  int16 typlen;
  bool typbyval;
  FmgrInfo fn;  // kSpecBucket
  Datum width;
  Datum origin;
  int nconsts;
};

struct Acc {
  int64 n;
  uint64 isum;  // two's complement wrap, as int8 arithmetic without a check
  uint8 wsum[16];  // an __int128, unaligned (palloc aligns to 8 bytes only): wide_get / wide_add
  double fsum;
  float fsum4;
  bool nonfinite;
  double N, Sx, Sxx;
  bool has;
  int64 imm;
  double fmm;
  // sum/avg(numeric): the sum as an __int128 in wsum scaled by 10^nscale (nscale: the largest
  // dscale seen), or, once that would overflow, `big` (a Numeric in num_cxt) plus wsum;
  // PostgreSQL's state also counts the largest dscale and the NaN and infinite inputs.
  int32 nscale;
  int32 max_scale;
  int64 max_scale_count;
  int64 nan, pinf, ninf;
  Numeric big;
  Numeric nmm;  // min/max(numeric), in num_cxt
};

struct AggScanState {
  CustomScanState css;
  CustomScanState* child;
  int nspecs;
  SpecState* specs;
  Acc* acc;
  bool meta_only;
  bool decodes;  // some aggregate (or the bucket) reads decoded columns
  int bucket;    // the kSpecBucket spec, or -1
  bool open;
  Datum* key;
  bool* key_null;
  Datum* seg;
  bool* seg_null;
  MemoryContext key_cxt;
  MemoryContext num_cxt;  // numeric sums beyond the __int128 range, numeric min/max (reset with each flush)
  struct varlena* nbuf;   // a numeric value being compared (query lifetime)
  size_t nbuf_cap;
  // Grouped by decoded values (kSpecValue specs): the groups of the current segment in a hash
  // table keyed by nkey words (a NULL mask, the bucket, one word per value column: the value itself
  // or, for text and uuid, its number in that column's interner), flushed when the segment changes
  // or the table grows past kMaxHashGroups.
  bool hashed;
  int nvals;
  int* val_spec;        // spec index of each value column
  int nkey;
  MemoryContext hash_cxt;  // everything below (reset on each flush)
  struct Interner* interns;  // one per value column
  int ngroups;
  int cap_groups;
  uint64* gkeys;        // ngroups * nkey
  Acc* gacc;            // ngroups * nspecs
  int32* table;
  uint32 table_mask;
  // Per-batch scratch (query lifetime): selected rows, their key words and groups.
  uint64 scratch_rows;
  uint32* sel_rows;
  uint64* row_keys;
  uint32* row_gid;
  int64* code_ids;      // dictionary code -> interned number (-1 between batches)
  uint64 code_cap;
  uint32* touched;      // the codes a batch set in code_ids (reset after it)
  Tuplestorestate* store;
  TupleTableSlot* store_slot;  // minimal tuples read back from the store
  bool filled;
  int64 batches_meta;
  int64 batches_decoded;
  int64 groups;
};

// ---------------------------------------------------------------------------------------------
// Values.

bool float_type(Oid t) { return t == FLOAT4OID || t == FLOAT8OID; }

int64 int_of_datum(Datum d, Oid t) {
  switch (t) {
    case INT2OID:
      return DatumGetInt16(d);
    case INT4OID:
    case DATEOID:
      return DatumGetInt32(d);
    default:
      return DatumGetInt64(d);
  }
}

double float_of_datum(Datum d, Oid t) { return t == FLOAT4OID ? (double)DatumGetFloat4(d) : DatumGetFloat8(d); }

Datum datum_of_int(int64 v, Oid t) {
  switch (t) {
    case INT2OID:
      return Int16GetDatum((int16)v);
    case INT4OID:
    case DATEOID:
      return Int32GetDatum((int32)v);
    default:
      return Int64GetDatum(v);
  }
}

// PostgreSQL's float order: NaN equal to itself and above every other value.
bool float_less(double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a < b;
}

void update_min_max(Acc* a, const SpecState* s, int64 iv, double fv) {
  const bool is_min = s->agg == kMin;
  if (s->is_float) {
    if (!a->has || (is_min ? float_less(fv, a->fmm) : float_less(a->fmm, fv))) a->fmm = fv;
  } else {
    if (!a->has || (is_min ? iv < a->imm : iv > a->imm)) a->imm = iv;
  }
  a->has = true;
}

__int128 wide_get(const Acc* a) {
  __int128 v;
  memcpy(&v, a->wsum, sizeof v);
  return v;
}

void wide_add(Acc* a, __int128 d) {
  const __int128 v = wide_get(a) + d;
  memcpy(a->wsum, &v, sizeof v);
}

// One value into an accumulator (sum, avg, count of a column; min and max).
inline void accumulate_value(Acc* a, const SpecState* s, int64 iv, double fv) {
  switch (s->agg) {
    case kCount:
      a->n++;
      break;
    case kSumInt:
    case kAvgInt:
      a->isum += (uint64)iv;
      a->n++;
      break;
    case kSumInt8:
    case kAvgInt8:
      wide_add(a, iv);
      a->n++;
      break;
    case kSumFloat4:
      a->nonfinite |= !std::isfinite(fv);
      a->fsum4 = a->fsum4 + (float)fv;
      a->n++;
      break;
    case kSumFloat8:
      a->nonfinite |= !std::isfinite(fv);
      a->fsum += fv;
      a->n++;
      break;
    case kAvgFloat: {
      // Youngs-Cramer, as float8_accum computes N, Sx and Sxx.
      const double oldN = a->N;
      const double oldSx = a->Sx;
      a->N += 1.0;
      a->Sx += fv;
      if (oldN > 0.0) {
        const double tmp = fv * a->N - a->Sx;
        a->Sxx += tmp * tmp / (a->N * oldN);
        if (std::isinf(a->Sx) || std::isinf(a->Sxx)) {
          if (!std::isinf(oldSx) && !std::isinf(fv)) float_overflow_error();
          a->Sxx = get_float8_nan();
        }
      } else if (std::isnan(fv) || std::isinf(fv)) {
        a->Sxx = get_float8_nan();
      }
      break;
    }
    default:
      update_min_max(a, s, iv, fv);
      break;
  }
}

inline bool row_selected(const uint64* sel, uint64 i) { return (sel[i >> 6] >> (i & 63)) & 1; }
inline bool row_valid(const uint8* validity, uint64 i) {
  return validity == nullptr || ((validity[i >> 3] >> (i & 7)) & 1);
}

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

int64 decoded_int(int codec, const uint8* fixed, uint64 i) {
  switch (codec) {
    case kInt16:
      return ((const int16*)fixed)[i];
    case kInt32:
    case kDate:
      return ((const int32*)fixed)[i];
    default:
      return ((const int64*)fixed)[i];
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
        if (sp->is_numeric)
          numeric_min_max(st, a, sp, data, len);
        else
          accumulate_numeric(st, a, data, len);
      }
      continue;
    }
    uint64 rows;
    const uint8* validity;
    const uint8* fixed;
    if (!columnar_batch_column(st->child, sp->attno, &rows, &validity, &fixed) || rows < to)
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("column %d of the batch is not decoded", (int)sp->attno)));
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

Datum bucket_of(AggScanState* st, const SpecState* sp, int64 v) {
  const Datum d = datum_of_int(v, sp->codec == kInt16 ? INT2OID : sp->codec == kInt32 ? INT4OID : sp->codec == kDate ? DATEOID : INT8OID);
  if (sp->nconsts == 2) return FunctionCall3Coll((FmgrInfo*)&sp->fn, InvalidOid, sp->width, d, sp->origin);
  return FunctionCall2Coll((FmgrInfo*)&sp->fn, InvalidOid, sp->width, d);
}

// The decoded bucketed column of the batch and whether it is sorted (either way) without NULLs.
struct BucketColumn {
  const uint8* validity;
  const uint8* fixed;
  uint64 n;
  bool sorted;
};

BucketColumn bucket_column(AggScanState* st, const ColumnarBatch* b) {
  const SpecState* sp = &st->specs[st->bucket];
  uint64 rows;
  BucketColumn c;
  if (!columnar_batch_column(st->child, sp->attno, &rows, &c.validity, &c.fixed) || rows < b->rows)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("bucketed column of the batch is not decoded")));
  c.n = b->rows;
  bool asc = true, desc = true;
  if (c.validity == nullptr) {
    for (uint64 i = 1; i < c.n && (asc || desc); ++i) {
      const int64 p = decoded_int(sp->codec, c.fixed, i - 1), v = decoded_int(sp->codec, c.fixed, i);
      asc &= p <= v;
      desc &= p >= v;
    }
  }
  c.sorted = c.validity == nullptr && (asc || desc);
  return c;
}

// The run of rows of the same bucket starting at row i: its end, bucket value and NULLness. On a
// sorted column a bucket's rows are one run, found by binary search, since time_bucket() never
// decreases as its argument grows.
uint64 bucket_run(AggScanState* st, const BucketColumn& c, uint64 i, Datum* bv_out, bool* null_out) {
  const SpecState* sp = &st->specs[st->bucket];
  const uint64 n = c.n;
  const bool null = !row_valid(c.validity, i);
  const Datum bv = null ? (Datum)0 : bucket_of(st, sp, decoded_int(sp->codec, c.fixed, i));
  *bv_out = bv;
  *null_out = null;
  if (c.sorted) {
    uint64 good = i;
    uint64 step = 1;
    uint64 hi = n;
    for (;;) {
      const uint64 probe = good + step;
      if (probe >= n) break;
      if (bucket_of(st, sp, decoded_int(sp->codec, c.fixed, probe)) != bv) {
        hi = probe;
        break;
      }
      good = probe;
      step *= 2;
    }
    while (hi - good > 1) {
      const uint64 mid = good + (hi - good) / 2;
      if (bucket_of(st, sp, decoded_int(sp->codec, c.fixed, mid)) == bv)
        good = mid;
      else
        hi = mid;
    }
    return hi;
  }
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

// Splits the batch into runs of rows of the same bucket and accumulates each.
void accumulate_buckets(AggScanState* st, const ColumnarBatch* b) {
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

// ---------------------------------------------------------------------------------------------
// Grouping by decoded values (hash mode).

constexpr int kMaxHashGroups = 65536;

// Distinct byte strings of one value column (text, varchar, bytea, uuid), numbered in order of
// first appearance, in an open-addressing table; the bytes are copied into hash_cxt.
struct Interned {
  uint64 hash;
  const uint8* data;
  uint32 len;
};
struct Interner {
  Interned* items;
  int n;
  int cap;
  int32* table;
  uint32 mask;
};

uint64 mix64(uint64 h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

void interner_init(Interner* in) {
  in->n = 0;
  in->cap = 64;
  in->items = (Interned*)palloc(sizeof(Interned) * in->cap);
  in->mask = 127;
  in->table = (int32*)palloc(sizeof(int32) * (in->mask + 1));
  memset(in->table, 0xff, sizeof(int32) * (in->mask + 1));
}

int64 intern(AggScanState* st, Interner* in, const uint8* data, size_t len) {
  if (len > PG_UINT32_MAX)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("grouping value too large")));
  const uint64 h = hash_bytes_extended(data, (int)len, 0);
  uint32 idx = (uint32)h & in->mask;
  for (int32 e; (e = in->table[idx]) >= 0; idx = (idx + 1) & in->mask) {
    const Interned* it = &in->items[e];
    if (it->hash == h && it->len == len && memcmp(it->data, data, len) == 0) return e;
  }
  MemoryContext old = MemoryContextSwitchTo(st->hash_cxt);
  if (in->n == in->cap) {
    in->cap *= 2;
    in->items = (Interned*)repalloc(in->items, sizeof(Interned) * in->cap);
  }
  uint8* copy = (uint8*)palloc(len > 0 ? len : 1);
  memcpy(copy, data, len);
  const int32 id = in->n++;
  in->items[id] = Interned{h, copy, (uint32)len};
  in->table[idx] = id;
  if ((uint32)in->n * 2 > in->mask) {
    const uint32 mask = in->mask * 2 + 1;
    int32* table = (int32*)palloc(sizeof(int32) * (mask + 1));
    memset(table, 0xff, sizeof(int32) * (mask + 1));
    for (int32 e = 0; e < in->n; ++e) {
      uint32 k = (uint32)in->items[e].hash & mask;
      while (table[k] >= 0) k = (k + 1) & mask;
      table[k] = e;
    }
    pfree(in->table);
    in->table = table;
    in->mask = mask;
  }
  MemoryContextSwitchTo(old);
  return id;
}

void hash_reset(AggScanState* st) {
  MemoryContextReset(st->hash_cxt);
  MemoryContext old = MemoryContextSwitchTo(st->hash_cxt);
  st->interns = (Interner*)palloc(sizeof(Interner) * (st->nvals > 0 ? st->nvals : 1));
  for (int j = 0; j < st->nvals; ++j) interner_init(&st->interns[j]);
  st->ngroups = 0;
  st->cap_groups = 64;
  st->gkeys = (uint64*)palloc(sizeof(uint64) * st->nkey * st->cap_groups);
  st->gacc = (Acc*)palloc(sizeof(Acc) * st->nspecs * st->cap_groups);
  st->table_mask = 127;
  st->table = (int32*)palloc(sizeof(int32) * (st->table_mask + 1));
  memset(st->table, 0xff, sizeof(int32) * (st->table_mask + 1));
  MemoryContextSwitchTo(old);
}

uint64 key_hash(const uint64* key, int nkey) {
  uint64 h = 0x9e3779b97f4a7c15ULL;
  for (int w = 0; w < nkey; ++w) h = mix64(h ^ key[w]) + (uint64)w;
  return h;
}

inline bool keys_equal(const uint64* a, const uint64* b, int nkey) {
  for (int w = 0; w < nkey; ++w)
    if (a[w] != b[w]) return false;
  return true;
}

uint32 find_group(AggScanState* st, const uint64* key) {
  const int nkey = st->nkey;
  const uint64 h = key_hash(key, nkey);
  uint32 idx = (uint32)h & st->table_mask;
  for (int32 g; (g = st->table[idx]) >= 0; idx = (idx + 1) & st->table_mask)
    if (keys_equal(st->gkeys + (uint64)g * nkey, key, nkey)) return (uint32)g;
  MemoryContext old = MemoryContextSwitchTo(st->hash_cxt);
  if (st->ngroups == st->cap_groups) {
    st->cap_groups *= 2;
    st->gkeys = (uint64*)repalloc(st->gkeys, sizeof(uint64) * nkey * st->cap_groups);
    st->gacc = (Acc*)repalloc(st->gacc, sizeof(Acc) * st->nspecs * st->cap_groups);
  }
  const int32 g = st->ngroups++;
  memcpy(st->gkeys + (uint64)g * nkey, key, sizeof(uint64) * nkey);
  memset(st->gacc + (uint64)g * st->nspecs, 0, sizeof(Acc) * st->nspecs);
  st->table[idx] = g;
  if ((uint32)st->ngroups * 2 > st->table_mask) {
    const uint32 mask = st->table_mask * 2 + 1;
    int32* table = (int32*)palloc(sizeof(int32) * (mask + 1));
    memset(table, 0xff, sizeof(int32) * (mask + 1));
    for (int32 e = 0; e < st->ngroups; ++e) {
      uint32 k = (uint32)key_hash(st->gkeys + (uint64)e * nkey, nkey) & mask;
      while (table[k] >= 0) k = (k + 1) & mask;
      table[k] = e;
    }
    pfree(st->table);
    st->table = table;
    st->table_mask = mask;
  }
  MemoryContextSwitchTo(old);
  return (uint32)g;
}

// The datum of value column j from its key word.
Datum value_datum(AggScanState* st, int j, uint64 word) {
  const SpecState* sp = &st->specs[st->val_spec[j]];
  switch (sp->codec) {
    case kFloat4: {
      float4 f;
      const uint32 bits = (uint32)word;
      memcpy(&f, &bits, sizeof f);
      return Float4GetDatum(f);
    }
    case kFloat8: {
      float8 f;
      memcpy(&f, &word, sizeof f);
      return Float8GetDatum(f);
    }
    case kBool:
      return BoolGetDatum(word != 0);
    case kUuid:
    case kVarlen: {
      const Interned* it = &st->interns[j].items[word];
      if (sp->codec == kUuid) {
        uint8* p = (uint8*)palloc(UUID_LEN);
        memcpy(p, it->data, UUID_LEN);
        return PointerGetDatum(p);
      }
      struct varlena* v = (struct varlena*)palloc(it->len + VARHDRSZ);
      SET_VARSIZE(v, it->len + VARHDRSZ);
      memcpy(VARDATA(v), it->data, it->len);
      return PointerGetDatum(v);
    }
    default:
      return datum_of_int((int64)word, sp->typid);
  }
}

// Emits every group of the hash table (the segment values from st->key) and empties it.
void flush_hash(AggScanState* st) {
  TupleTableSlot* slot = st->css.ss.ss_ScanTupleSlot;
  ExprContext* econtext = st->css.ss.ps.ps_ExprContext;
  const int n = st->nspecs > 0 ? st->nspecs : 1;
  for (int g = 0; g < st->ngroups; ++g) {
    MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
    const uint64* key = st->gkeys + (uint64)g * st->nkey;
    Datum* values = (Datum*)palloc(sizeof(Datum) * n);
    bool* nulls = (bool*)palloc(sizeof(bool) * n);
    int j = 0;
    for (int s = 0; s < st->nspecs; ++s) {
      const SpecState* sp = &st->specs[s];
      nulls[s] = false;
      values[s] = (Datum)0;
      if (sp->kind == kSpecAgg) {
        values[s] = partial_state(sp, &st->gacc[(uint64)g * st->nspecs + s], &nulls[s]);
      } else if (sp->kind == kSpecSegment) {
        values[s] = st->key[s];
        nulls[s] = st->key_null[s];
      } else if (sp->kind == kSpecBucket) {
        nulls[s] = (key[0] & 1) != 0;
        values[s] = nulls[s] ? (Datum)0 : (Datum)key[1];
      } else {
        nulls[s] = ((key[0] >> (j + 1)) & 1) != 0;
        if (!nulls[s]) values[s] = value_datum(st, j, key[2 + j]);
        ++j;
      }
    }
    tuplestore_putvalues(st->store, slot->tts_tupleDescriptor, values, nulls);
    MemoryContextSwitchTo(old);
    ResetExprContext(econtext);
    st->groups++;
  }
  MemoryContextReset(st->num_cxt);
  hash_reset(st);
}

// Hash mode: makes the batch's segment values the current ones (flushing the groups of the
// previous segment when they differ).
void enter_segment(AggScanState* st) {
  if (st->open) {
    bool same = true;
    for (int s = 0; s < st->nspecs && same; ++s) {
      const SpecState* sp = &st->specs[s];
      if (sp->kind != kSpecSegment) continue;
      if (st->key_null[s] != st->seg_null[s])
        same = false;
      else if (!st->key_null[s])
        same = datumIsEqual(st->key[s], st->seg[s], sp->typbyval, sp->typlen);
    }
    if (same) return;
    flush_hash(st);
  }
  MemoryContextReset(st->key_cxt);
  MemoryContext old = MemoryContextSwitchTo(st->key_cxt);
  for (int s = 0; s < st->nspecs; ++s) {
    const SpecState* sp = &st->specs[s];
    if (sp->kind != kSpecSegment) continue;
    st->key_null[s] = st->seg_null[s];
    st->key[s] = st->seg_null[s] ? (Datum)0 : datumCopy(st->seg[s], sp->typbyval, sp->typlen);
  }
  MemoryContextSwitchTo(old);
  st->open = true;
}

// A fixed-width value as a key word: equal words for values the type's equality finds equal.
uint64 fixed_word(int codec, const uint8* fixed, uint64 i) {
  switch (codec) {
    case kFloat4: {
      float4 f = ((const float4*)fixed)[i];
      if (std::isnan(f)) f = std::numeric_limits<float4>::quiet_NaN();
      if (f == 0) f = 0;  // -0 = 0
      uint32 bits;
      memcpy(&bits, &f, sizeof bits);
      return bits;
    }
    case kFloat8: {
      float8 f = ((const float8*)fixed)[i];
      if (std::isnan(f)) f = std::numeric_limits<float8>::quiet_NaN();
      if (f == 0) f = 0;
      uint64 bits;
      memcpy(&bits, &f, sizeof bits);
      return bits;
    }
    case kBool:
      return fixed[i] != 0 ? 1 : 0;
    default:
      return (uint64)decoded_int(codec, fixed, i);
  }
}

template <typename T>
void accumulate_hashed_array(AggScanState* st, int s, const T* vals, const uint8* validity, uint64 m) {
  const SpecState* sp = &st->specs[s];
  for (uint64 k = 0; k < m; ++k) {
    const uint32 i = st->sel_rows[k];
    if (!row_valid(validity, i)) continue;
    Acc* a = &st->gacc[(uint64)st->row_gid[k] * st->nspecs + s];
    if constexpr (std::is_floating_point_v<T>)
      accumulate_value(a, sp, 0, (double)vals[i]);
    else
      accumulate_value(a, sp, (int64)vals[i], (double)vals[i]);
  }
}

// Hash mode: the groups of the batch's selected rows, then the aggregates into them.
void accumulate_hashed(AggScanState* st, const ColumnarBatch* b) {
  const uint64 n = b->rows;
  const int nkey = st->nkey;
  if (n > st->scratch_rows) {
    MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(st->specs));
    if (st->sel_rows != nullptr) {
      pfree(st->sel_rows);
      pfree(st->row_keys);
      pfree(st->row_gid);
      pfree(st->touched);
    }
    st->touched = (uint32*)palloc(sizeof(uint32) * n);
    st->sel_rows = (uint32*)palloc(sizeof(uint32) * n);
    st->row_keys = (uint64*)palloc(sizeof(uint64) * nkey * n);
    st->row_gid = (uint32*)palloc(sizeof(uint32) * n);
    st->scratch_rows = n;
    MemoryContextSwitchTo(old);
  }
  uint64 m = 0;
  for (uint64 i = 0; i < n; ++i)
    if (row_selected(b->selection, i)) st->sel_rows[m++] = (uint32)i;
  if (m == 0) return;
  uint64* keys = st->row_keys;
  // Word 0: NULL mask; word 1: bucket.
  for (uint64 k = 0; k < m; ++k) {
    keys[k * nkey] = 0;
    keys[k * nkey + 1] = 0;
  }
  if (st->bucket >= 0) {
    const BucketColumn c = bucket_column(st, b);
    uint64 k = 0;
    uint64 i = 0;
    while (k < m) {
      i = st->sel_rows[k];
      Datum bv;
      bool null;
      const uint64 end = bucket_run(st, c, i, &bv, &null);
      for (; k < m && st->sel_rows[k] < end; ++k) {
        keys[k * nkey] = null ? 1 : 0;
        keys[k * nkey + 1] = null ? 0 : (uint64)bv;
      }
    }
  }
  for (int j = 0; j < st->nvals; ++j) {
    const SpecState* sp = &st->specs[st->val_spec[j]];
    const int w = 2 + j;
    const uint64 nullbit = uint64{1} << (j + 1);
    if (sp->codec == kVarlen || sp->codec == kUuid) {
      const uint32* codes;
      uint64 nentries;
      uint64 rows;
      const uint8* validity;
      const uint8* fixed;
      if (!columnar_batch_column(st->child, sp->attno, &rows, &validity, &fixed) || rows < n)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("column %d of the batch is not decoded", (int)sp->attno)));
      if (sp->codec == kVarlen && columnar_batch_codes(st->child, sp->attno, &codes, &nentries)) {
        // Dictionary form: each code interned once per batch (a shared dictionary may be much
        // larger than a batch: only the codes the batch used are reset after it).
        if (nentries > st->code_cap) {
          MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(st->specs));
          if (st->code_ids != nullptr) pfree(st->code_ids);
          st->code_ids = (int64*)palloc(sizeof(int64) * nentries);
          for (uint64 e = 0; e < nentries; ++e) st->code_ids[e] = -1;
          st->code_cap = nentries;
          MemoryContextSwitchTo(old);
        }
        uint64 ntouched = 0;
        for (uint64 k = 0; k < m; ++k) {
          const uint32 i = st->sel_rows[k];
          if (!row_valid(validity, i)) {
            keys[k * nkey] |= nullbit;
            keys[k * nkey + w] = 0;
            continue;
          }
          const uint32 code = codes[i];
          if (code >= nentries)
            ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("dictionary code out of range in a compressed batch")));
          if (st->code_ids[code] < 0) {
            const uint8* data;
            size_t len;
            columnar_batch_entry(st->child, sp->attno, code, &data, &len);
            st->code_ids[code] = intern(st, &st->interns[j], data, len);
            st->touched[ntouched++] = code;
          }
          keys[k * nkey + w] = (uint64)st->code_ids[code];
        }
        for (uint64 t = 0; t < ntouched; ++t) st->code_ids[st->touched[t]] = -1;
        continue;
      }
      // Materialised values: interned row by row (a row equal to the previous one reuses its number).
      const uint8* prev = nullptr;
      size_t prev_len = 0;
      int64 prev_id = -1;
      for (uint64 k = 0; k < m; ++k) {
        const uint32 i = st->sel_rows[k];
        const uint8* data;
        size_t len;
        if (!columnar_batch_bytes(st->child, sp->attno, i, &data, &len)) {
          keys[k * nkey] |= nullbit;
          keys[k * nkey + w] = 0;
          continue;
        }
        if (prev_id < 0 || len != prev_len || memcmp(data, prev, len) != 0) {
          prev_id = intern(st, &st->interns[j], data, len);
          prev = data;
          prev_len = len;
        }
        keys[k * nkey + w] = (uint64)prev_id;
      }
      continue;
    }
    uint64 rows;
    const uint8* validity;
    const uint8* fixed;
    if (!columnar_batch_column(st->child, sp->attno, &rows, &validity, &fixed) || rows < n)
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("column %d of the batch is not decoded", (int)sp->attno)));
    for (uint64 k = 0; k < m; ++k) {
      const uint32 i = st->sel_rows[k];
      if (!row_valid(validity, i)) {
        keys[k * nkey] |= nullbit;
        keys[k * nkey + w] = 0;
      } else {
        keys[k * nkey + w] = fixed_word(sp->codec, fixed, i);
      }
    }
  }
  // Groups (a row with the key of the previous row is in its group).
  for (uint64 k = 0; k < m; ++k) {
    if (k > 0 && keys_equal(keys + k * nkey, keys + (k - 1) * nkey, nkey))
      st->row_gid[k] = st->row_gid[k - 1];
    else
      st->row_gid[k] = find_group(st, keys + k * nkey);
  }
  // Aggregates.
  for (int s = 0; s < st->nspecs; ++s) {
    const SpecState* sp = &st->specs[s];
    if (sp->kind != kSpecAgg) continue;
    if (sp->agg == kCountStar) {
      for (uint64 k = 0; k < m; ++k) st->gacc[(uint64)st->row_gid[k] * st->nspecs + s].n++;
      continue;
    }
    if (sp->comp_attno != 0) {  // a segment column: one value for the batch
      bool isnull;
      Datum v = slot_getattr(b->companion, sp->comp_attno, &isnull);
      if (isnull) continue;
      const int64 iv = sp->is_float ? 0 : int_of_datum(v, sp->typid);
      const double fv = sp->is_float ? float_of_datum(v, sp->typid) : 0;
      for (uint64 k = 0; k < m; ++k) {
        Acc* a = &st->gacc[(uint64)st->row_gid[k] * st->nspecs + s];
        if (sp->agg == kCount)
          a->n++;
        else
          update_min_max(a, sp, iv, fv);
      }
      continue;
    }
    if (sp->agg == kSumNumeric || sp->agg == kAvgNumeric || sp->is_numeric) {
      for (uint64 k = 0; k < m; ++k) {
        const uint8* data;
        size_t len;
        if (!columnar_batch_bytes(st->child, sp->attno, st->sel_rows[k], &data, &len)) continue;
        Acc* a = &st->gacc[(uint64)st->row_gid[k] * st->nspecs + s];
        if (sp->is_numeric)
          numeric_min_max(st, a, sp, data, len);
        else
          accumulate_numeric(st, a, data, len);
      }
      continue;
    }
    uint64 rows;
    const uint8* validity;
    const uint8* fixed;
    if (!columnar_batch_column(st->child, sp->attno, &rows, &validity, &fixed) || rows < n)
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("column %d of the batch is not decoded", (int)sp->attno)));
    if (sp->agg == kCount) {
      for (uint64 k = 0; k < m; ++k)
        if (row_valid(validity, st->sel_rows[k])) st->gacc[(uint64)st->row_gid[k] * st->nspecs + s].n++;
      continue;
    }
    switch (sp->codec) {
      case kInt16:
        accumulate_hashed_array(st, s, (const int16*)fixed, validity, m);
        break;
      case kInt32:
      case kDate:
        accumulate_hashed_array(st, s, (const int32*)fixed, validity, m);
        break;
      case kInt64:
      case kTimestamp:
        accumulate_hashed_array(st, s, (const int64*)fixed, validity, m);
        break;
      case kFloat4:
        accumulate_hashed_array(st, s, (const float4*)fixed, validity, m);
        break;
      case kFloat8:
        accumulate_hashed_array(st, s, (const float8*)fixed, validity, m);
        break;
      default:
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("unexpected column type in columnstore aggregation")));
    }
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
      if (st->ngroups > kMaxHashGroups) flush_hash(st);
    } else if (st->bucket >= 0) {
      accumulate_buckets(st, &b);
    } else {
      enter_group(st, (Datum)0, false);
      accumulate_rows(st, &b, 0, b.rows);
    }
  }
  if (st->hashed) {
    if (st->open) flush_hash(st);
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
  st->nkey = 2 + st->nvals;
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
    st->store = tuplestore_begin_heap(false, false, work_mem);
    st->open = false;
    fill(st);
    st->filled = true;
  }
  TupleTableSlot* slot = node->ss_ScanTupleSlot;
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
  if (!es->analyze) return;
  ExplainPropertyInteger("Batches from Metadata", nullptr, st->batches_meta, es);
  ExplainPropertyInteger("Batches Decoded", nullptr, st->batches_decoded, es);
  ExplainPropertyInteger("Partial Groups", nullptr, st->groups, es);
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

const CustomScanMethods agg_scan_methods = {
    "ColumnstoreAggregate",
    pg::guarded<agg_create_state>,
};

Node* agg_create_state(CustomScan* cscan) {
  AggScanState* st = (AggScanState*)newNode(sizeof(AggScanState), T_CustomScanState);
  st->css.methods = &exec_methods;
  return (Node*)st;
}

}  // namespace strata::columnstore
