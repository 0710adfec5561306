// Column statistics of a chunk from the rows compress_chunk holds in memory (sample_stats.hpp).
// C-style glue: no C++ object with a destructor lives in these frames.
#include "columnstore/sample_stats.hpp"

#include "pg/internal_user.hpp"

extern "C" {
#include "access/heapam.h"
#include "catalog/indexing.h"
#include "catalog/pg_index.h"
#include "catalog/pg_statistic.h"
#include "commands/vacuum.h"
#include "pgstat.h"
#include "utils/array.h"
#include "utils/attoptcache.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/sortsupport.h"
#include "parser/parse_oper.h"
#include "common/hashfn.h"
}

#include <algorithm>
#include <cmath>

namespace strata::columnstore {

bool guc_compression_statistics_from_rows = true;
bool guc_compression_statistics_presort = true;

struct SampleStats {
  Relation rel;
  MemoryContext cxt;     // everything of the analysis; deleted by sample_stats_end
  int ncols;
  VacAttrStats** cols;   // the columns to analyze
  int target_rows;
  void* run;             // a StatsRun between sample_stats_start and sample_stats_end
};

namespace {

// Whether ANALYZE computes more than column statistics for `rel`: extended statistics objects,
// or expression indexes (statistics of the expressions), both from its own sample.
bool needs_analyze_itself(Relation rel) {
  List* ext = RelationGetStatExtList(rel);
  const bool has_ext = ext != NIL;
  list_free(ext);
  if (has_ext) return true;
  List* indexes = RelationGetIndexList(rel);
  bool expressions = false;
  ListCell* lc;
  foreach (lc, indexes) {
    HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
    if (!HeapTupleIsValid(tup)) continue;
    expressions |= !heap_attisnull(tup, Anum_pg_index_indexprs, nullptr);
    ReleaseSysCache(tup);
  }
  list_free(indexes);
  return expressions;
}

// The analysis of column `attnum` as ANALYZE sets it up (its type's typanalyze function, or the
// standard one), or nullptr when the column is not analyzed (dropped, statistics target 0, or a
// type that declines).
VacAttrStats* column_stats(Relation rel, int attnum, MemoryContext cxt) {
  Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
  if (att->attisdropped || att->attstattarget == 0) return nullptr;
  VacAttrStats* st = (VacAttrStats*)palloc0(sizeof(VacAttrStats));
  st->attr = (Form_pg_attribute)palloc(ATTRIBUTE_FIXED_PART_SIZE);
  memcpy(st->attr, att, ATTRIBUTE_FIXED_PART_SIZE);
  st->attrtypid = att->atttypid;
  st->attrtypmod = att->atttypmod;
  st->attrcollid = att->attcollation;
  HeapTuple typtup = SearchSysCacheCopy1(TYPEOID, ObjectIdGetDatum(att->atttypid));
  if (!HeapTupleIsValid(typtup)) elog(ERROR, "cache lookup failed for type %u", att->atttypid);
  st->attrtype = (Form_pg_type)GETSTRUCT(typtup);
  st->anl_context = cxt;
  st->tupattnum = attnum;
  for (int k = 0; k < STATISTIC_NUM_SLOTS; ++k) {
    st->statypid[k] = st->attrtypid;
    st->statyplen[k] = st->attrtype->typlen;
    st->statypbyval[k] = st->attrtype->typbyval;
    st->statypalign[k] = st->attrtype->typalign;
  }
  const bool ok = OidIsValid(st->attrtype->typanalyze)
                      ? DatumGetBool(OidFunctionCall1(st->attrtype->typanalyze, PointerGetDatum(st)))
                      : std_typanalyze(st);
  if (!ok || st->compute_stats == nullptr || st->minrows <= 0) return nullptr;
  return st;
}

// The fetch function handed to compute_stats: the column's values were taken out of the sample
// rows into one array (exprvals / exprnulls, which only the code running the analysis uses), so
// the analysis reads them in order instead of deforming a scattered tuple per value.
Datum fetch_value(VacAttrStatsP st, int rownum, bool* isnull) {
  *isnull = st->exprnulls[rownum];
  return st->exprvals[rownum];
}

// The column's statistics into pg_statistic (stainherit false), replacing the row there.
void store_column_stats(Relation statrel, Oid relid, const VacAttrStats* st) {
  Datum values[Natts_pg_statistic];
  bool nulls[Natts_pg_statistic];
  bool replace[Natts_pg_statistic];
  for (int i = 0; i < Natts_pg_statistic; ++i) {
    nulls[i] = false;
    replace[i] = true;
  }
  values[Anum_pg_statistic_starelid - 1] = ObjectIdGetDatum(relid);
  values[Anum_pg_statistic_staattnum - 1] = Int16GetDatum(st->tupattnum);
  values[Anum_pg_statistic_stainherit - 1] = BoolGetDatum(false);
  values[Anum_pg_statistic_stanullfrac - 1] = Float4GetDatum(st->stanullfrac);
  values[Anum_pg_statistic_stawidth - 1] = Int32GetDatum(st->stawidth);
  values[Anum_pg_statistic_stadistinct - 1] = Float4GetDatum(st->stadistinct);
  for (int k = 0; k < STATISTIC_NUM_SLOTS; ++k) {
    values[Anum_pg_statistic_stakind1 - 1 + k] = Int16GetDatum(st->stakind[k]);
    values[Anum_pg_statistic_staop1 - 1 + k] = ObjectIdGetDatum(st->staop[k]);
    values[Anum_pg_statistic_stacoll1 - 1 + k] = ObjectIdGetDatum(st->stacoll[k]);
    const int nnum = st->numnumbers[k];
    if (nnum > 0) {
      Datum* nums = (Datum*)palloc(sizeof(Datum) * nnum);
      for (int i = 0; i < nnum; ++i) nums[i] = Float4GetDatum(st->stanumbers[k][i]);
      values[Anum_pg_statistic_stanumbers1 - 1 + k] =
          PointerGetDatum(construct_array(nums, nnum, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT));
    } else {
      nulls[Anum_pg_statistic_stanumbers1 - 1 + k] = true;
      values[Anum_pg_statistic_stanumbers1 - 1 + k] = (Datum)0;
    }
    const int nval = st->numvalues[k];
    if (nval > 0) {
      values[Anum_pg_statistic_stavalues1 - 1 + k] = PointerGetDatum(construct_array(
          st->stavalues[k], nval, st->statypid[k], st->statyplen[k], st->statypbyval[k], st->statypalign[k]));
    } else {
      nulls[Anum_pg_statistic_stavalues1 - 1 + k] = true;
      values[Anum_pg_statistic_stavalues1 - 1 + k] = (Datum)0;
    }
  }
  HeapTuple old = SearchSysCache3(STATRELATTINH, ObjectIdGetDatum(relid), Int16GetDatum(st->tupattnum),
                                  BoolGetDatum(false));
  if (HeapTupleIsValid(old)) {
    HeapTuple tup = heap_modify_tuple(old, RelationGetDescr(statrel), values, nulls, replace);
    ReleaseSysCache(old);
    CatalogTupleUpdate(statrel, &tup->t_self, tup);
    heap_freetuple(tup);
  } else {
    HeapTuple tup = heap_form_tuple(RelationGetDescr(statrel), values, nulls);
    CatalogTupleInsert(statrel, tup);
    heap_freetuple(tup);
  }
}

// ---- a column's values handed to compute_stats in sorted order ----
//
// ANALYZE's statistics of an ordered type (compute_scalar_stats: the standard analysis of a type
// with "=" and "<") sort the sample's values by the type's comparator, ties by their position
// among the non-NULL values, through a function pointer per comparison: for the 30,000 values
// of a sample and 15 columns that sort was a fifth of compress_chunk's backend time (devops;
// fleet's seven text columns under a locale more). Its sort checks for input already in order
// and then only compares neighbours, so the values are put in that same order first, cheaply:
// integer, date, timestamp and float columns by a sort on the plain numbers, other types by
// grouping equal bytes (tags, ids, statuses repeat) and ordering only the distinct values with
// the type's comparator. The sorted array is then the one ANALYZE's sort makes, so the MCVs, the
// histogram, n_distinct, null fraction and width are the same; only the correlation depends on
// the order the values came in (positions in the sample against positions in the sorted order),
// and it is computed from the values' original positions and put in place of the one
// compute_stats computed. Columns with another analysis (arrays, ranges, tsvector, custom
// typanalyze), with values ANALYZE would skip or detoast (over 1 kB, compressed or external) or
// cstrings keep the sample's order.

// ANALYZE leaves values wider than this out of the sort (analyze.c's WIDTH_THRESHOLD).
constexpr Size kAnalyzeWidthThreshold = 1024;

struct Presorted {
  Datum* values;   // the column's values in sorted order, then its NULLs
  bool* nulls;
  int32* rank;     // rank[i]: position among the non-NULL values of the sample of sorted value i
  int nvalues;     // the non-NULL values
};

// The arrays of the presorting, each allocated (for the sample's row count) by the first column
// that needs it and reused by the next columns: a fresh ~0.5 MB array per column cost page faults.
struct PresortScratch {
  MemoryContext cxt;
  int nrows;
  void* arrays[10];
};

enum ScratchArray { kValues, kNulls, kRank, kItems, kItems2, kByRank, kTable, kGroups, kGroupOf, kOrder };

void* scratch(PresortScratch* s, ScratchArray which, Size elem) {
  if (s->arrays[which] == nullptr)
    s->arrays[which] = MemoryContextAllocHuge(s->cxt, elem * (Size)Max(which == kTable ? 4 * s->nrows : s->nrows, 16));
  return s->arrays[which];
}

// How a column's values compare by its "<" operator's function: as signed integers, as floats
// (NaN above everything and equal to NaN, -0 equal to 0), or only through the comparator.
enum class OrderKind { Signed, Float, Comparator };

OrderKind order_kind(Oid ltfunc) {
  switch (ltfunc) {
    case F_INT2LT:
    case F_INT4LT:
    case F_INT8LT:
    case F_DATE_LT:
    case F_TIMESTAMP_LT:
    case F_TIMESTAMPTZ_LT:
      return OrderKind::Signed;
    case F_FLOAT4LT:
    case F_FLOAT8LT:
      return OrderKind::Float;
    default:
      return OrderKind::Comparator;
  }
}

struct SignedItem {
  int64 key;
  int32 rank;
};
// A float's place in the type's order as a signed integer: NaNs (all equal) above +Infinity,
// -0 equal to 0, negative values by their magnitude reversed.
inline int64 float_key(double d) {
  if (std::isnan(d)) return PG_INT64_MAX;
  if (d == 0) return 0;
  int64 bits;
  memcpy(&bits, &d, sizeof bits);
  return bits < 0 ? bits ^ PG_INT64_MAX : bits;
}

// Sorts items by key, equal keys kept in the order they come in (by rank): a least significant
// byte first radix sort, one counting pass per byte of the keys, skipping the bytes that are the
// same in every key (a third of std::sort's time on 30,000 float keys).
SignedItem* radix_sort(SignedItem* a, SignedItem* tmp, int n) {
  auto ukey = [](int64 k) { return (uint64)k ^ ((uint64)1 << 63); };
  const uint64 first = ukey(a[0].key);
  uint64 diff = 0;
  for (int i = 1; i < n; ++i) diff |= ukey(a[i].key) ^ first;
  SignedItem* src = a;
  SignedItem* dst = tmp;
  for (int shift = 0; shift < 64; shift += 8) {
    if (((diff >> shift) & 0xff) == 0) continue;
    uint32 start[256];
    memset(start, 0, sizeof start);
    for (int i = 0; i < n; ++i) start[(ukey(src[i].key) >> shift) & 0xff]++;
    uint32 sum = 0;
    for (int b = 0; b < 256; ++b) {
      const uint32 c = start[b];
      start[b] = sum;
      sum += c;
    }
    for (int i = 0; i < n; ++i) dst[start[(ukey(src[i].key) >> shift) & 0xff]++] = src[i];
    std::swap(src, dst);
  }
  return src;
}

// Distinct values (by their bytes) of a column, for the comparator path.
struct ValueGroup {
  Datum value;  // the first of the group in sample order
  int32 first;  // its rank
  int32 count;
  int32 start;  // where the group's values start in the sorted order
  uint32 hash;  // of its bytes
};

struct GroupSortArg {
  const ValueGroup* groups;
  SortSupport ssup;
};

int compare_groups(const void* a, const void* b, void* arg) {
  const GroupSortArg* g = (const GroupSortArg*)arg;
  const ValueGroup* x = &g->groups[*(const int32*)a];
  const ValueGroup* y = &g->groups[*(const int32*)b];
  const int c = ApplySortComparator(x->value, false, y->value, false, g->ssup);
  if (c != 0) return c;
  return x->first < y->first ? -1 : (x->first > y->first ? 1 : 0);
}

// The bytes that identify a value of the column: false when the column is not to be presorted
// (a value ANALYZE skips or detoasts, or a cstring).
inline bool value_bytes(const Form_pg_attribute att, const Datum* v, const char** p, Size* len) {
  if (att->attbyval) {
    *p = (const char*)v;
    *len = sizeof(Datum);
    return true;
  }
  if (att->attlen > 0) {
    *p = DatumGetPointer(*v);
    *len = att->attlen;
    return true;
  }
  if (att->attlen != -1) return false;
  const struct varlena* x = (const struct varlena*)DatumGetPointer(*v);
  if (VARATT_IS_EXTERNAL(x) || VARATT_IS_COMPRESSED(x)) return false;
  *p = VARDATA_ANY(x);
  *len = VARSIZE_ANY_EXHDR(x);
  return *len + VARHDRSZ <= kAnalyzeWidthThreshold;
}

// Puts the column's non-NULL values (`nonnull` of them, ranks 0.. in sample order) of
// vals/nulls into p in sorted order by the comparator. False when a value is not to be presorted.
bool presort_by_comparator(VacAttrStats* st, Oid ltopr, const Datum* vals, const bool* nulls, int nrows, int nonnull,
                           Presorted* p, PresortScratch* sc) {
  SortSupportData ssup;
  memset(&ssup, 0, sizeof ssup);
  ssup.ssup_cxt = CurrentMemoryContext;
  ssup.ssup_collation = st->attrcollid;
  ssup.ssup_nulls_first = false;
  ssup.abbreviate = false;
  PrepareSortSupportFromOrderingOp(ltopr, &ssup);
  // the groups of equal bytes, by an open-addressing hash table of group numbers
  uint32 cap = 16;
  while (cap < (uint32)nonnull * 2) cap <<= 1;
  int32* table = (int32*)scratch(sc, kTable, sizeof(int32));  // (4 x nrows >= cap)
  memset(table, 0xff, sizeof(int32) * cap);
  ValueGroup* groups = (ValueGroup*)scratch(sc, kGroups, sizeof(ValueGroup));
  int32* group_of = (int32*)scratch(sc, kGroupOf, sizeof(int32));
  int32 ngroups = 0;
  int32 rank = 0;
  for (int r = 0; r < nrows; ++r) {
    if (nulls[r]) continue;
    const char* bytes;
    Size len;
    if (!value_bytes(st->attr, &vals[r], &bytes, &len)) return false;
    const uint32 hash = hash_bytes((const unsigned char*)bytes, (int)len);
    for (uint32 h = hash;; h = (h + 1) & (cap - 1)) {
      const uint32 slot = h & (cap - 1);
      const int32 g = table[slot];
      if (g < 0) {
        table[slot] = ngroups;
        groups[ngroups] = ValueGroup{vals[r], rank, 1, 0, hash};
        group_of[rank] = ngroups++;
        break;
      }
      const char* gbytes = nullptr;
      Size glen = 0;
      if (groups[g].hash == hash && value_bytes(st->attr, &groups[g].value, &gbytes, &glen) && glen == len &&
          memcmp(gbytes, bytes, len) == 0) {
        groups[g].count++;
        group_of[rank] = g;
        break;
      }
      h = slot;
    }
    rank++;
  }
  // the distinct values in order
  int32* order = (int32*)scratch(sc, kOrder, sizeof(int32));
  for (int32 g = 0; g < ngroups; ++g) order[g] = g;
  GroupSortArg arg{groups, &ssup};
  qsort_arg(order, ngroups, sizeof(int32), compare_groups, &arg);
  int32 start = 0;
  for (int32 k = 0; k < ngroups; ++k) {
    groups[order[k]].start = start;
    start += groups[order[k]].count;
  }
  // every value at its group's next place: within a group in sample order
  rank = 0;
  for (int r = 0; r < nrows; ++r) {
    if (nulls[r]) continue;
    const int32 pos = groups[group_of[rank]].start++;
    p->values[pos] = vals[r];
    p->rank[pos] = rank++;
  }
  // Groups of different bytes that the comparator finds equal (numeric 1.0 and 1.00, intervals
  // '1 day' and '24 hours', case-insensitive collations) are one run in ANALYZE's sort, ordered by
  // rank: so is the run here.
  for (int32 k = 0; k + 1 < ngroups;) {
    int32 e = k + 1;
    while (e < ngroups &&
           ApplySortComparator(groups[order[k]].value, false, groups[order[e]].value, false, &ssup) == 0)
      e++;
    if (e > k + 1) {
      const int32 from = groups[order[k]].start - groups[order[k]].count;
      const int32 to = groups[order[e - 1]].start;
      // (value, rank) pairs of the run by rank
      struct Pair {
        Datum v;
        int32 r;
      };
      Pair* run = (Pair*)palloc(sizeof(Pair) * (to - from));
      for (int32 i = from; i < to; ++i) run[i - from] = Pair{p->values[i], p->rank[i]};
      std::sort(run, run + (to - from), [](const Pair& a, const Pair& b) { return a.r < b.r; });
      for (int32 i = from; i < to; ++i) {
        p->values[i] = run[i - from].v;
        p->rank[i] = run[i - from].r;
      }
      pfree(run);
    }
    k = e;
  }
  return true;
}

// The column's values (vals / nulls, nrows of them) in the order compute_scalar_stats sorts them
// into, when it is the column's analysis; false (p untouched) when the column keeps the sample's
// order.
bool presort_column(VacAttrStats* st, const Datum* vals, const bool* nulls, int nrows, Presorted* p,
                    PresortScratch* sc) {
  if (!guc_compression_statistics_presort || OidIsValid(st->attrtype->typanalyze)) return false;
  Oid ltopr, eqopr;
  get_sort_group_operators(st->attrtypid, false, false, false, &ltopr, &eqopr, nullptr, nullptr);
  if (!OidIsValid(ltopr) || !OidIsValid(eqopr)) return false;  // not compute_scalar_stats
  int nonnull = 0;
  for (int r = 0; r < nrows; ++r) nonnull += nulls[r] ? 0 : 1;
  if (nonnull < 2) return false;
  p->values = (Datum*)scratch(sc, kValues, sizeof(Datum));
  p->nulls = (bool*)scratch(sc, kNulls, sizeof(bool));
  p->rank = (int32*)scratch(sc, kRank, sizeof(int32));
  p->nvalues = nonnull;
  const OrderKind kind = order_kind(get_opcode(ltopr));
  const int16 len = st->attr->attlen;
  const bool ints = kind == OrderKind::Signed && st->attr->attbyval && (len == 2 || len == 4 || len == 8);
  const bool floats = kind == OrderKind::Float && st->attr->attbyval && (len == 4 || len == 8);
  if (ints || floats) {
    SignedItem* items = (SignedItem*)scratch(sc, kItems, sizeof(SignedItem));
    Datum* by_rank = (Datum*)scratch(sc, kByRank, sizeof(Datum));  // the values by rank
    int32 rank = 0;
    for (int r = 0; r < nrows; ++r) {
      if (nulls[r]) continue;
      const Datum v = vals[r];
      int64 k;
      if (floats)
        k = float_key(len == 8 ? DatumGetFloat8(v) : (double)DatumGetFloat4(v));
      else
        k = len == 8 ? DatumGetInt64(v) : len == 4 ? DatumGetInt32(v) : DatumGetInt16(v);
      by_rank[rank] = v;
      items[rank] = SignedItem{k, rank};
      rank++;
    }
    items = radix_sort(items, (SignedItem*)scratch(sc, kItems2, sizeof(SignedItem)), nonnull);
    for (int i = 0; i < nonnull; ++i) {
      p->values[i] = by_rank[items[i].rank];
      p->rank[i] = items[i].rank;
    }
  } else if (!presort_by_comparator(st, ltopr, vals, nulls, nrows, nonnull, p, sc)) {
    return false;
  }
  for (int i = 0; i < nrows; ++i) p->nulls[i] = i >= nonnull;
  for (int i = nonnull; i < nrows; ++i) p->values[i] = (Datum)0;
  return true;
}

// compute_scalar_stats's correlation of the sample's order with the sorted order, from the
// original positions (p->rank) of the sorted values: the Pearson coefficient of the pairs
// (i, rank[i]), both ranging over 0 .. n - 1, evaluated as compute_scalar_stats evaluates it.
void restore_correlation(VacAttrStats* st, const Presorted* p) {
  for (int k = 0; k < STATISTIC_NUM_SLOTS; ++k) {
    if (st->stakind[k] != STATISTIC_KIND_CORRELATION || st->numnumbers[k] != 1) continue;
    const int n = p->nvalues;
    double xy = 0;
    for (int i = 0; i < n; ++i) xy += ((double)i) * ((double)p->rank[i]);
    const double sx = ((double)(n - 1)) * ((double)n) / 2.0;
    const double sx2 = ((double)(n - 1)) * ((double)n) * (double)(2 * n - 1) / 6.0;
    st->stanumbers[k][0] = (float4)((n * xy - sx * sx) / (n * sx2 - sx * sx));
  }
}

}  // namespace

SampleStats* sample_stats_begin(Relation rel) {
  if (!guc_compression_statistics_from_rows || needs_analyze_itself(rel)) return nullptr;
  MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "columnstore statistics", ALLOCSET_DEFAULT_SIZES);
  MemoryContext old = MemoryContextSwitchTo(cxt);
  // The types' analysis functions (and the comparison operators they use) run as the chunk's
  // owner in a restricted operation, as in ANALYZE, not as whoever compresses the chunk.
  pg::InternalUser as;
  pg::owner_user_begin(&as, rel->rd_rel->relowner);
  SampleStats* ss = (SampleStats*)palloc0(sizeof(SampleStats));
  ss->rel = rel;
  ss->cxt = cxt;
  const int natts = RelationGetDescr(rel)->natts;
  ss->cols = (VacAttrStats**)palloc0(sizeof(VacAttrStats*) * (natts + 1));
  for (int a = 1; a <= natts; ++a) {
    VacAttrStats* st = column_stats(rel, a, cxt);
    if (st == nullptr) continue;
    ss->cols[ss->ncols++] = st;
    ss->target_rows = Max(ss->target_rows, st->minrows);
  }
  pg::owner_user_end(&as);
  MemoryContextSwitchTo(old);
  if (ss->ncols == 0) {
    MemoryContextDelete(cxt);
    return nullptr;
  }
  return ss;
}

int sample_stats_target_rows(const SampleStats* ss) { return ss->target_rows; }

namespace {

// The analysis between sample_stats_start and sample_stats_end.
struct StatsRun {
  Datum* values;  // the sample's values, column by column
  bool* isnull;
  int nrows;
  double totalrows;
  Relation statrel;
  MemoryContext colcxt;
  PresortScratch scratch;
  int next;  // the next column to analyze
};

}  // namespace

void sample_stats_start(SampleStats* ss, HeapTuple rows, int nrows, double totalrows) {
  MemoryContext old = MemoryContextSwitchTo(ss->cxt);
  Relation rel = ss->rel;
  TupleDesc desc = RelationGetDescr(rel);
  const int natts = desc->natts;
  StatsRun* run = (StatsRun*)palloc0(sizeof(StatsRun));
  // The sample's values column by column (one deform per row).
  run->values = (Datum*)MemoryContextAllocHuge(ss->cxt, sizeof(Datum) * (Size)Max(nrows, 1) * natts);
  run->isnull = (bool*)MemoryContextAllocHuge(ss->cxt, sizeof(bool) * (Size)Max(nrows, 1) * natts);
  Datum* rowvals = (Datum*)palloc(sizeof(Datum) * natts);
  bool* rownulls = (bool*)palloc(sizeof(bool) * natts);
  for (int r = 0; r < nrows; ++r) {
    heap_deform_tuple(&rows[r], desc, rowvals, rownulls);
    for (int a = 0; a < natts; ++a) {
      run->values[(Size)a * nrows + r] = rowvals[a];
      run->isnull[(Size)a * nrows + r] = rownulls[a];
    }
  }
  run->nrows = nrows;
  run->totalrows = totalrows;
  run->statrel = table_open(StatisticRelationId, RowExclusiveLock);
  run->colcxt = AllocSetContextCreate(ss->cxt, "columnstore statistics column", ALLOCSET_DEFAULT_SIZES);
  run->scratch.cxt = ss->cxt;
  run->scratch.nrows = nrows;
  ss->run = run;
  MemoryContextSwitchTo(old);
}

bool sample_stats_step(SampleStats* ss) {
  StatsRun* run = (StatsRun*)ss->run;
  if (run->next >= ss->ncols) return false;
  MemoryContext old = MemoryContextSwitchTo(ss->cxt);
  Relation rel = ss->rel;
  const int nrows = run->nrows;
  pg::InternalUser as;  // (as in sample_stats_begin)
  pg::owner_user_begin(&as, rel->rd_rel->relowner);
  VacAttrStats* st = ss->cols[run->next++];
  st->exprvals = run->values + (Size)(st->tupattnum - 1) * nrows;
  st->exprnulls = run->isnull + (Size)(st->tupattnum - 1) * nrows;
  st->rowstride = 1;
  st->tupDesc = RelationGetDescr(rel);
  st->rows = nullptr;
  MemoryContextSwitchTo(run->colcxt);
  Presorted sorted;
  const bool presorted = presort_column(st, st->exprvals, st->exprnulls, nrows, &sorted, &run->scratch);
  if (presorted) {
    st->exprvals = sorted.values;
    st->exprnulls = sorted.nulls;
  }
  st->compute_stats(st, fetch_value, nrows, run->totalrows);
  if (presorted && st->stats_valid) restore_correlation(st, &sorted);
  // ALTER TABLE ... ALTER COLUMN ... SET (n_distinct = ...) overrides the estimate, as in ANALYZE.
  AttributeOpts* aopt = get_attribute_options(RelationGetRelid(rel), st->tupattnum);
  if (aopt != nullptr && aopt->n_distinct != 0.0) st->stadistinct = (float4)aopt->n_distinct;
  if (st->stats_valid) store_column_stats(run->statrel, RelationGetRelid(rel), st);
  MemoryContextSwitchTo(ss->cxt);
  MemoryContextReset(run->colcxt);
  pg::owner_user_end(&as);
  MemoryContextSwitchTo(old);
  CHECK_FOR_INTERRUPTS();
  return true;
}

void sample_stats_end(SampleStats* ss) {
  while (sample_stats_step(ss)) {
  }
  StatsRun* run = (StatsRun*)ss->run;
  table_close(run->statrel, RowExclusiveLock);
  pgstat_report_analyze(ss->rel, (PgStat_Counter)run->totalrows, 0, true);
  MemoryContextDelete(ss->cxt);
  CommandCounterIncrement();
}

}  // namespace strata::columnstore
