// Internal to the ColumnstoreAggregate executor (agg.hpp): its state, the accumulators and the
// helpers shared by agg_exec.cpp (the node, groups in batch order, partial states) and
// agg_hash.cpp (grouping by decoded values in a hash table). C-style glue.
#pragma once

#include <cmath>
#include <cstring>

#include "columnstore/agg.hpp"
#include "columnstore/scan.hpp"

extern "C" {
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "utils/float.h"
#include "utils/numeric.h"
#include "utils/tuplestore.h"
}

namespace strata::columnstore::aggexec {

using namespace aggplan;

// Distinct byte strings of one value column (text, varchar, bytea, uuid), numbered in order of
// first appearance, in an open-addressing table (agg_hash.cpp; the rowstore aggregation,
// rowagg_exec.cpp, uses it too).
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
  int32 last;  // for the caller: the previous row's value (-1: none)
};
void interner_init(Interner* in);
// The number of `data`, added (its bytes copied into `cxt`) when it is new.
int32 interner_lookup(Interner* in, MemoryContext cxt, const uint8* data, uint32 len);
// A 64-bit finalizer (murmur3's) for hashing group keys.
inline uint64 mix64(uint64 h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

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
  int zone;  // aggplan::BucketZone
  int zone_margin;  // seconds
  int64 run_width;  // aggplan::kSpecRunConst's width (0: none)
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
  Interner* interns;  // one per value column
  int ngroups;
  int cap_groups;
  uint64* gkeys;        // ngroups * nkey
  Acc* gacc;            // ngroups * nacc: an accumulator per aggregate spec (acc_index)
  int nacc;
  int* acc_index;       // spec -> its accumulator's index in a group's nacc (aggregate specs)
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
  int32* code_gid;      // one dictionary-form grouping column: code (or NULL) -> group, per bucket run
  uint64 gid_cap;
  uint32* code_cnt;     // the same column, count(*) only: code (or NULL) -> rows in the bucket run
  uint64 cnt_cap;
  // Final mode (kFinal, agg_plan.cpp add_final_path): the hash table keeps every group of the
  // chunk, the segment values as key words after the value columns (0 for NULL, else 1 + their
  // number in that segment column's interner), and the groups are emitted as final rows from it
  // (emit_next) instead of through the tuplestore.
  bool final_rows;
  int nsegs;
  int* seg_spec;        // spec index of each segment column
  Interner* seg_interns;  // one per segment column (in hash_cxt)
  uint64* seg_words;    // the current batch's segment words
  uint64* slot_key;     // nkey words of scratch (slot_group)
  int emit_next;
  Tuplestorestate* store;
  TupleTableSlot* store_slot;  // minimal tuples read back from the store
  bool filled;
  int64 batches_meta;
  int64 batches_decoded;
  int64 batches_one_bucket;  // grouped by a bucket: batches found in one bucket from their metadata
  int64 batches_counted;     // hash mode, count(*) only: batches counted per dictionary code
  int64 groups;
};

// ---------------------------------------------------------------------------------------------
// Values and accumulators.

inline int64 int_of_datum(Datum d, Oid t) {
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

inline double float_of_datum(Datum d, Oid t) { return t == FLOAT4OID ? (double)DatumGetFloat4(d) : DatumGetFloat8(d); }

inline Datum datum_of_int(int64 v, Oid t) {
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
inline bool float_less(double a, double b) {
  if (std::isnan(a)) return false;
  if (std::isnan(b)) return true;
  return a < b;
}

inline void update_min_max(Acc* a, const SpecState* s, int64 iv, double fv) {
  const bool is_min = s->agg == kMin;
  if (s->is_float) {
    if (!a->has || (is_min ? float_less(fv, a->fmm) : float_less(a->fmm, fv))) a->fmm = fv;
  } else {
    if (!a->has || (is_min ? iv < a->imm : iv > a->imm)) a->imm = iv;
  }
  a->has = true;
}

inline __int128 wide_get(const Acc* a) {
  __int128 v;
  memcpy(&v, a->wsum, sizeof v);
  return v;
}

inline void wide_add(Acc* a, __int128 d) {
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

inline int64 decoded_int(int codec, const uint8* fixed, uint64 i) {
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

// One numeric value (its stored bytes) into a sum/avg(numeric) accumulator, or into a
// min/max(numeric) one (agg_exec.cpp).
void accumulate_numeric(AggScanState* st, Acc* a, const uint8* data, size_t len);
void numeric_min_max(AggScanState* st, Acc* a, const SpecState* sp, const uint8* data, size_t len);
// Either, as spec `sp` aggregates.
inline void accumulate_numeric_spec(AggScanState* st, Acc* a, const SpecState* sp, const uint8* data, size_t len) {
  if (sp->is_numeric)
    numeric_min_max(st, a, sp, data, len);
  else
    accumulate_numeric(st, a, data, len);
}

// The decoded column of spec `sp` in the child's current batch (its validity bitmap and
// fixed-width values), which must hold at least `need` rows: an internal error otherwise.
inline void decoded_column(AggScanState* st, const SpecState* sp, uint64 need, const uint8** validity,
                           const uint8** fixed) {
  uint64 rows;
  if (!columnar_batch_column(st->child, sp->attno, &rows, validity, fixed) || rows < need)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("column %d of the batch is not decoded", (int)sp->attno)));
}

// An accumulator's partial state, in the form PostgreSQL's Finalize Aggregate deserializes.
Datum partial_state(const SpecState* s, const Acc* a, bool* isnull);

// The decoded bucketed column of the batch and whether it is sorted (either way) without NULLs.
struct BucketColumn {
  const uint8* validity;
  const uint8* fixed;
  uint64 n;
  bool sorted;
};

BucketColumn bucket_column(AggScanState* st, const ColumnarBatch* b);

// Whether every row of the batch lies in one bucket, known from the batch metadata of the bucketed
// column (no NULLs, the bucket of its min equal to that of its max, since the bucketing never
// decreases: bucket_monotonic); then *bv is that bucket.
bool batch_one_bucket(AggScanState* st, const ColumnarBatch* b, Datum* bv);

// The run of rows of the same bucket starting at row i: its end, bucket value and NULLness.
uint64 bucket_run(AggScanState* st, const BucketColumn& c, uint64 i, Datum* bv_out, bool* null_out);

// ---------------------------------------------------------------------------------------------
// Grouping by decoded values (hash mode, agg_hash.cpp).

// The hash table is flushed (its groups emitted) when it holds more groups than this.
constexpr int kMaxHashGroups = 65536;

// The accumulator of aggregate spec s in group g.
inline Acc* group_acc(AggScanState* st, uint64 g, int s) { return &st->gacc[g * st->nacc + st->acc_index[s]]; }

// Empties the hash table (and the interners); emits its groups first (flush_hash).
void hash_reset(AggScanState* st);
void flush_hash(AggScanState* st);
// Final mode: the output row of group g (values in the current memory context).
void group_values(AggScanState* st, int g, Datum* values, bool* nulls);
// Makes the batch's segment values the current ones (flushing the groups of the previous
// segment when they differ).
void enter_segment(AggScanState* st);
// The groups of the batch's selected rows, then the aggregates into them.
void accumulate_hashed(AggScanState* st, const ColumnarBatch* b);

}  // namespace strata::columnstore::aggexec
