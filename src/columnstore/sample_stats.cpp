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
}

namespace strata::columnstore {

bool guc_compression_statistics_from_rows = true;

struct SampleStats {
  Relation rel;
  MemoryContext cxt;     // everything of the analysis; deleted by sample_stats_finish
  int ncols;
  VacAttrStats** cols;   // the columns to analyze
  int target_rows;
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

void sample_stats_finish(SampleStats* ss, HeapTuple rows, int nrows, double totalrows) {
  MemoryContext old = MemoryContextSwitchTo(ss->cxt);
  Relation rel = ss->rel;
  TupleDesc desc = RelationGetDescr(rel);
  const int natts = desc->natts;
  // The sample's values column by column (one deform per row).
  Datum* values = (Datum*)MemoryContextAllocHuge(ss->cxt, sizeof(Datum) * (Size)Max(nrows, 1) * natts);
  bool* isnull = (bool*)MemoryContextAllocHuge(ss->cxt, sizeof(bool) * (Size)Max(nrows, 1) * natts);
  Datum* rowvals = (Datum*)palloc(sizeof(Datum) * natts);
  bool* rownulls = (bool*)palloc(sizeof(bool) * natts);
  for (int r = 0; r < nrows; ++r) {
    heap_deform_tuple(&rows[r], desc, rowvals, rownulls);
    for (int a = 0; a < natts; ++a) {
      values[(Size)a * nrows + r] = rowvals[a];
      isnull[(Size)a * nrows + r] = rownulls[a];
    }
  }
  Relation statrel = table_open(StatisticRelationId, RowExclusiveLock);
  pg::InternalUser as;  // (as in sample_stats_begin)
  pg::owner_user_begin(&as, rel->rd_rel->relowner);
  MemoryContext colcxt = AllocSetContextCreate(ss->cxt, "columnstore statistics column", ALLOCSET_DEFAULT_SIZES);
  for (int i = 0; i < ss->ncols; ++i) {
    VacAttrStats* st = ss->cols[i];
    st->exprvals = values + (Size)(st->tupattnum - 1) * nrows;
    st->exprnulls = isnull + (Size)(st->tupattnum - 1) * nrows;
    st->rowstride = 1;
    st->tupDesc = desc;
    st->rows = nullptr;
    MemoryContextSwitchTo(colcxt);
    st->compute_stats(st, fetch_value, nrows, totalrows);
    // ALTER TABLE ... ALTER COLUMN ... SET (n_distinct = ...) overrides the estimate, as in ANALYZE.
    AttributeOpts* aopt = get_attribute_options(RelationGetRelid(rel), st->tupattnum);
    if (aopt != nullptr && aopt->n_distinct != 0.0) st->stadistinct = (float4)aopt->n_distinct;
    if (st->stats_valid) store_column_stats(statrel, RelationGetRelid(rel), st);
    MemoryContextSwitchTo(ss->cxt);
    MemoryContextReset(colcxt);
    CHECK_FOR_INTERRUPTS();
  }
  pg::owner_user_end(&as);
  table_close(statrel, RowExclusiveLock);
  pgstat_report_analyze(rel, (PgStat_Counter)totalrows, 0, true);
  MemoryContextSwitchTo(old);
  MemoryContextDelete(ss->cxt);
  CommandCounterIncrement();
}

}  // namespace strata::columnstore
