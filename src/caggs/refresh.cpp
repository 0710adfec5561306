// refresh_continuous_aggregate: recomputes the buckets of a window that the invalidation log
// marks, in batches of whole buckets each committed in its own transaction (when the procedure
// is called non-atomically), consuming the log for each batch before recomputing it. See
// "Data flow: refresh" in docs/ARCHITECTURE.md.
#include "caggs/internal.hpp"

#include <algorithm>

#include "core/time/chunk_range.hpp"
#include "pg/guard.hpp"
#include "pg/internal_user.hpp"
#include "pg/probe_table.hpp"
#include "pg/summary.hpp"

extern "C" {
#include "access/skey.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_type.h"
#include "executor/tstoreReceiver.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "optimizer/optimizer.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/snapmgr.h"
#include "utils/sortsupport.h"
#include "utils/tuplesort.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"
}

namespace strata {
int guc_cagg_refresh_batch_buckets = 0;
bool guc_cagg_refresh_parallel = true;
bool guc_cagg_refresh_rowstore_agg = true;
}

namespace strata::caggs {

namespace {

using core::TimeRange;

// Updates the threshold and / or the watermark of a catalog row in place (direct heap access:
// no statement triggers, so the backends' caches are not reset for a refresh).
void update_bounds(int32 mat_id, const int64* threshold, const int64* watermark) {
  ScanKeyData key;
  ScanKeyInit(&key, Anum_ca_mat_id, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(mat_id));
  Relation rel = table_open(cagg_oids().cagg, RowExclusiveLock);
  SysScanDesc scan = systable_beginscan(rel, cagg_oids().cagg_pkey, true, nullptr, 1, &key);
  HeapTuple tup = systable_getnext(scan);
  if (HeapTupleIsValid(tup)) {
    Datum values[Natts_ca] = {};
    bool nulls[Natts_ca] = {};
    bool repl[Natts_ca] = {};
    if (threshold != nullptr) {
      values[Anum_ca_threshold - 1] = Int64GetDatum(*threshold);
      repl[Anum_ca_threshold - 1] = true;
    }
    if (watermark != nullptr) {
      values[Anum_ca_watermark - 1] = Int64GetDatum(*watermark);
      repl[Anum_ca_watermark - 1] = true;
    }
    HeapTuple newtup = heap_modify_tuple(tup, RelationGetDescr(rel), values, nulls, repl);
    CatalogTupleUpdate(rel, &tup->t_self, newtup);
  }
  systable_endscan(scan);
  table_close(rel, RowExclusiveLock);
}

}  // namespace

// The invalidation log of an aggregate, as an array of ranges (palloc'd).
TimeRange* read_log(int32 mat_id, int* n) {
  ScanKeyData key;
  ScanKeyInit(&key, Anum_inv_mat_id, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(mat_id));
  Relation rel = table_open(cagg_oids().invalidation, AccessShareLock);
  SysScanDesc scan = systable_beginscan(rel, cagg_oids().invalidation_idx, true, nullptr, 1, &key);
  int cap = 16;
  *n = 0;
  auto* r = static_cast<TimeRange*>(palloc(sizeof(TimeRange) * cap));
  HeapTuple tup;
  while (HeapTupleIsValid(tup = systable_getnext(scan))) {
    bool isnull;
    if (*n == cap) {
      cap *= 2;
      r = static_cast<TimeRange*>(repalloc(r, sizeof(TimeRange) * cap));
    }
    r[*n].lo = DatumGetInt64(heap_getattr(tup, Anum_inv_lowest, RelationGetDescr(rel), &isnull));
    r[*n].hi = DatumGetInt64(heap_getattr(tup, Anum_inv_greatest, RelationGetDescr(rel), &isnull));
    (*n)++;
  }
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
  return r;
}

void consume_log(int32 mat_id, int64 start, int64 end) {
  ScanKeyData key;
  ScanKeyInit(&key, Anum_inv_mat_id, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(mat_id));
  Relation rel = table_open(cagg_oids().invalidation, RowExclusiveLock);
  SysScanDesc scan = systable_beginscan(rel, cagg_oids().invalidation_idx, true, nullptr, 1, &key);
  HeapTuple tup;
  List* keep = NIL;
  while (HeapTupleIsValid(tup = systable_getnext(scan))) {
    bool isnull;
    TimeRange r{DatumGetInt64(heap_getattr(tup, Anum_inv_lowest, RelationGetDescr(rel), &isnull)),
                DatumGetInt64(heap_getattr(tup, Anum_inv_greatest, RelationGetDescr(rel), &isnull))};
    TimeRange in;
    if (!core::clip_to_window(r, start, end, &in)) continue;
    CatalogTupleDelete(rel, &tup->t_self);
    TimeRange out[2];
    size_t k = core::cut_window(r, start, end, out);
    for (size_t i = 0; i < k; i++) {
      auto* copy = static_cast<TimeRange*>(palloc(sizeof(TimeRange)));
      *copy = out[i];
      keep = lappend(keep, copy);
    }
  }
  systable_endscan(scan);
  table_close(rel, RowExclusiveLock);
  ListCell* lc;
  foreach (lc, keep) {
    auto* r = static_cast<TimeRange*>(lfirst(lc));
    log_invalidation(mat_id, r->lo, r->hi);
  }
}

namespace {

// Runs `sql` with $1, $2 = [start, end) as values of the time type, as the owner of the
// materialization.
uint64 run_as_owner(Oid owner, const char* sql, Oid type, int64 start, int64 end, bool want_value, Datum* value,
                    bool* isnull, Snapshot snapshot = InvalidSnapshot) {
  pg::InternalUser as;  // the materialization's owner (REFRESH MATERIALIZED VIEW's rights)
  pg::owner_user_begin(&as, owner);
  Oid types[2] = {type, type};
  Datum values[2] = {internal_to_time_datum(start, type), internal_to_time_datum(end, type)};
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  int rc;
  if (snapshot != InvalidSnapshot) {
    // Under the given snapshot (the one whose delta rows the refresh discards).
    SPIPlanPtr plan = SPI_prepare(sql, 2, types);
    if (plan == nullptr) elog(ERROR, "refresh statement failed to plan (%s): %s", SPI_result_code_string(SPI_result), sql);
    rc = SPI_execute_snapshot(plan, values, nullptr, snapshot, InvalidSnapshot, false, true, 0);
  } else {
    // (A statement without $1 / $2 ignores them.)
    rc = strstr(sql, "$1") != nullptr ? SPI_execute_with_args(sql, 2, types, values, nullptr, false, 0)
                                      : SPI_execute(sql, false, 0);
  }
  if (rc < 0) elog(ERROR, "refresh statement failed (%s): %s", SPI_result_code_string(rc), sql);
  uint64 processed = SPI_processed;
  if (want_value) {
    *isnull = true;
    if (SPI_processed > 0) {
      Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
      *value = *isnull ? 0 : d;  // a pass-by-value time type
    }
  }
  SPI_finish();
  pg::owner_user_end(&as);
  return processed;
}

struct Refresh {
  Cagg* cagg;
  QueryInfo qi;
  Hypertable* mat;
  Oid owner;
  const char* raw_q;
  const char* time_col;
  const char* bucket_col;
  const char* mat_q;
  char* insert_sql;  // (insert_sql and select_sql: built by the first batch, in cxt)
  char* select_sql;
  char* delete_sql;
  MemoryContext cxt;
  int64 max_buckets;
  // The order of the materialization's index on (group columns, bucket DESC): rows are written
  // sorted so, one sweep over each index's leaf pages instead of inserts at random places.
  // Output column numbers; nsort = 0 when unknown.
  int nsort;
  AttrNumber* sort_cols;
  bool* sort_desc;
};

// Rowstore chunks aggregated by RowstoreAggregate (src/columnstore/rowagg*) in the statements
// planned and run until rowstore_agg_restore(nest) (or the abort), when
// strata.cagg_refresh_rowstore_agg is on.
int rowstore_agg_on() {
  const int nest = NewGUCNestLevel();
  if (guc_cagg_refresh_rowstore_agg)
    (void)set_config_option("strata.enable_rowstore_agg", "on", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
                            false);
  return nest;
}

void rowstore_agg_restore(int nest) { AtEOXact_GUC(true, nest); }

// min / max of the raw time column over [start, end) in one query; false when there are no rows.
// (A chunk inside the range is read by RowstoreAggregate: its time column deformed from the page.)
bool raw_extreme_in(Refresh* r, bool max, int64 start, int64 end, int64* out) {
  const char* sql = psprintf("SELECT %s(%s) FROM %s WHERE %s OPERATOR(pg_catalog.>=) $1 AND %s OPERATOR(pg_catalog.<) $2",
                             max ? "pg_catalog.max" : "pg_catalog.min", r->time_col, r->raw_q, r->time_col, r->time_col);
  Datum v = 0;
  bool isnull = true;
  const int nest = rowstore_agg_on();
  run_as_owner(r->owner, sql, r->qi.time_type, start, end, true, &v, &isnull);
  rowstore_agg_restore(nest);
  if (isnull) return false;
  *out = time_datum_to_internal(v, r->qi.time_type);
  return true;
}

// min / max of the raw time column over [start, end); false when there are no rows. On a
// hypertable, chunk by chunk from the oldest (newest) one, so that without an index on the time
// column only the chunks up to the first one with rows are read, not the whole hypertable.
bool raw_extreme(Refresh* r, bool max, int64 start, int64 end, int64* out) {
  if (r->qi.parent != nullptr || start >= end)  // a continuous aggregate below: its real-time part too
    return raw_extreme_in(r, max, start, end, out);
  List* chunks = chunk_list_overlapping(r->qi.raw_ht, start, end == core::kOpenEnd ? end : end - 1, !max);
  ListCell* lc;
  foreach (lc, chunks) {
    auto* c = static_cast<ChunkInfo*>(lfirst(lc));
    int64 lo = Max(c->range_start, start), hi = Min(c->range_end, end);
    // The newest time of a whole plain chunk (the only one of its range) through an index.
    bool found;
    if (max && lo == c->range_start && hi == c->range_end && c->status == kChunkStatusNormal &&
        r->qi.raw_ht->num_partitions == 0 && chunk_newest_by_index(c->relid, r->qi.raw_ht, &found, out)) {
      if (found) return true;
      continue;
    }
    if (lo < hi && raw_extreme_in(r, max, lo, hi, out)) return true;
  }
  // Rows outside every chunk (none, unless the catalog is being changed under us): one query.
  return chunks == NIL ? raw_extreme_in(r, max, start, end, out) : false;
}

// A lower bound of the oldest raw time in [start, end), false when there is nothing there: on a
// hypertable, the start of its oldest chunk there (false without a chunk), without reading the
// chunk's rows (buckets before the oldest row only widen the first batch, whose aggregation finds
// nothing in them; a chunk left empty costs batches that find nothing).
bool raw_oldest_bound(Refresh* r, int64 start, int64 end, int64* out) {
  if (r->qi.parent != nullptr || start >= end) return raw_extreme(r, false, start, end, out);
  List* chunks = chunk_list_overlapping(r->qi.raw_ht, start, end == core::kOpenEnd ? end : end - 1, true);
  if (chunks == NIL || static_cast<ChunkInfo*>(linitial(chunks))->range_start == core::kOpenStart)
    return raw_extreme(r, false, start, end, out);
  *out = Max(static_cast<ChunkInfo*>(linitial(chunks))->range_start, start);
  return true;
}

// The newest raw time at or after `start` (false when there is none). Taken from the newest raw
// time that writers record (newest.cpp) when it is known: then it may lie after the newest row
// still there (rows deleted, chunks dropped), which only ends the window later. Otherwise read
// from the raw rows, and recorded when the read covered them all. Under READ COMMITTED only: a
// transaction's snapshot (REPEATABLE READ) may miss rows that the value holds (their buckets would
// end below the threshold unread), or rows committed before the aggregate existed (a value too small).
bool raw_newest(Refresh* r, int64 start, int64* out) {
  // (an aggregate below: its real-time part too)
  const bool cacheable = r->qi.parent == nullptr && !IsolationUsesXactSnapshot();
  int64 cached;
  if (cacheable && newest_lookup(r->cagg, &cached)) {
    if (cached == core::kOpenStart || cached < start) return false;
    *out = cached;
    return true;
  }
  bool found = raw_extreme(r, true, start, core::kOpenEnd, out);
  if (cacheable && (found || start == core::kOpenStart)) newest_found(r->cagg, found ? *out : core::kOpenStart);
  return found;
}

// Rows of the aggregation written per INSERT by materialize_by_select().
constexpr int kRowsPerInsert = 10000;

// Writes the rows of `ts` (of descriptor `desc`) into the materialization, kRowsPerInsert rows per
// `INSERT INTO mat SELECT * FROM ROWS FROM (unnest($1), ..., unnest($n))` (one array per column):
// the hypertable's own insert path (chunk routing, indexes, invalidations for aggregates above,
// writes into compressed chunks), one statement per block rather than one per row.
// A batch's rows (the tuplestore's own, in memory) in the order of the index on (group columns, bucket DESC)
// (see rank_rows).
struct RankedRows {
  MinimalTuple* tuples;
  int* order;
  int n;
  int next;
};

// The rows to write: from the tuplestore, or in index order from a tuplesort or RankedRows.
struct RowSource {
  Tuplestorestate* ts;
  Tuplesortstate* sort;  // when not nullptr, read instead of ts
  RankedRows* ranked;    // when not nullptr, read instead of ts
  bool next(TupleTableSlot* slot) {
    if (ranked != nullptr) {
      if (ranked->next >= ranked->n) return false;
      ExecStoreMinimalTuple(ranked->tuples[ranked->order[ranked->next++]], slot, false);
      return true;
    }
    return sort != nullptr ? tuplesort_gettupleslot(sort, true, false, slot, nullptr)
                           : tuplestore_gettupleslot(ts, true, false, slot);
  }
  static bool next_row(void* arg, TupleTableSlot* slot) { return static_cast<RowSource*>(arg)->next(slot); }
};

uint64 insert_rows(Refresh* r, RowSource* src, TupleDesc desc, const Oid* array_types) {
  int n = desc->natts;
  StringInfoData sql;
  initStringInfo(&sql);
  appendStringInfo(&sql, "INSERT INTO %s SELECT * FROM ROWS FROM (", r->mat_q);
  for (int i = 0; i < n; i++) appendStringInfo(&sql, "%spg_catalog.unnest($%d)", i > 0 ? ", " : "", i + 1);
  appendStringInfoChar(&sql, ')');
  SPIPlanPtr plan = SPI_prepare(sql.data, n, const_cast<Oid*>(array_types));
  if (plan == nullptr)
    elog(ERROR, "refresh insert failed to plan (%s): %s", SPI_result_code_string(SPI_result), sql.data);
  TupleTableSlot* slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
  auto** values = static_cast<Datum**>(palloc(sizeof(Datum*) * n));
  auto** nulls = static_cast<bool**>(palloc(sizeof(bool*) * n));
  for (int i = 0; i < n; i++) {
    values[i] = static_cast<Datum*>(palloc(sizeof(Datum) * kRowsPerInsert));
    nulls[i] = static_cast<bool*>(palloc(sizeof(bool) * kRowsPerInsert));
  }
  auto* args = static_cast<Datum*>(palloc(sizeof(Datum) * n));
  MemoryContext block_cxt = AllocSetContextCreate(CurrentMemoryContext, "strata refresh rows", ALLOCSET_DEFAULT_SIZES);
  uint64 written = 0;
  bool more = true;
  while (more) {
    MemoryContext old = MemoryContextSwitchTo(block_cxt);
    int rows = 0;
    while (rows < kRowsPerInsert && (more = src->next(slot))) {
      slot_getallattrs(slot);
      for (int i = 0; i < n; i++) {
        Form_pg_attribute a = TupleDescAttr(desc, i);
        nulls[i][rows] = slot->tts_isnull[i];
        values[i][rows] = slot->tts_isnull[i] ? 0 : datumCopy(slot->tts_values[i], a->attbyval, a->attlen);
      }
      rows++;
    }
    if (rows > 0) {
      for (int i = 0; i < n; i++) {
        Form_pg_attribute a = TupleDescAttr(desc, i);
        int dims[1] = {rows};
        int lbs[1] = {1};
        args[i] = PointerGetDatum(
            construct_md_array(values[i], nulls[i], 1, dims, lbs, a->atttypid, a->attlen, a->attbyval, a->attalign));
      }
      int rc = SPI_execute_plan(plan, args, nullptr, false, 0);
      if (rc != SPI_OK_INSERT) elog(ERROR, "refresh insert failed (%s): %s", SPI_result_code_string(rc), sql.data);
      written += SPI_processed;
    }
    ExecClearTuple(slot);
    MemoryContextSwitchTo(old);
    MemoryContextReset(block_cxt);
  }
  MemoryContextDelete(block_cxt);
  ExecDropSingleTupleTableSlot(slot);
  SPI_freeplan(plan);
  return written;
}

// The sort operator of sort key i of the materialization's index order (see prepare), or
// InvalidOid when the column has none.
Oid sort_operator(const Refresh* r, TupleDesc desc, int i) {
  if (r->sort_cols[i] < 1 || r->sort_cols[i] > desc->natts) return InvalidOid;
  Form_pg_attribute a = TupleDescAttr(desc, r->sort_cols[i] - 1);
  TypeCacheEntry* tc = lookup_type_cache(a->atttypid, TYPECACHE_LT_OPR | TYPECACHE_GT_OPR);
  return r->sort_desc[i] ? tc->gt_opr : tc->lt_opr;
}

// The rows of `ts` sorted in the order of the materialization's index on (group columns, bucket
// DESC), or nullptr (rows written as they come) when there is at most one row or a column has no
// ordering operator.
Tuplesortstate* sort_rows(Refresh* r, Tuplestorestate* ts, TupleDesc desc) {
  if (r->nsort == 0 || tuplestore_tuple_count(ts) < 2) return nullptr;
  auto* ops = static_cast<Oid*>(palloc(sizeof(Oid) * r->nsort));
  auto* colls = static_cast<Oid*>(palloc(sizeof(Oid) * r->nsort));
  auto* nulls_first = static_cast<bool*>(palloc(sizeof(bool) * r->nsort));
  for (int i = 0; i < r->nsort; i++) {
    ops[i] = sort_operator(r, desc, i);
    if (!OidIsValid(ops[i])) return nullptr;
    colls[i] = TupleDescAttr(desc, r->sort_cols[i] - 1)->attcollation;
    nulls_first[i] = r->sort_desc[i];  // the index's defaults: ASC NULLS LAST, DESC NULLS FIRST
  }
  Tuplesortstate* sort = tuplesort_begin_heap(desc, r->nsort, r->sort_cols, ops, colls, nulls_first, work_mem, nullptr,
                                              TUPLESORT_NONE);
  TupleTableSlot* slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
  tuplestore_rescan(ts);
  while (tuplestore_gettupleslot(ts, true, false, slot)) tuplesort_puttupleslot(sort, slot);
  ExecDropSingleTupleTableSlot(slot);
  tuplesort_performsort(sort);
  return sort;
}

// Ranking one sort key: the distinct images of its values (an open-addressing table of their
// numbers), sorted with the key's comparator.
struct KeyRanks {
  Datum* values;  // distinct images
  int n, cap;
  int32* table;
  uint32 mask;
  bool byval;
  int16 len;
  SortSupportData ssup;
};

int key_distinct(KeyRanks* k, Datum v) {
  uint32 idx = datum_image_hash(v, k->byval, k->len) & k->mask;
  for (int32 e; (e = k->table[idx]) >= 0; idx = (idx + 1) & k->mask)
    if (datum_image_eq(k->values[e], v, k->byval, k->len)) return e;
  k->values[k->n] = v;  // (cap rows: never full)
  k->table[idx] = k->n;
  return k->n++;
}

int cmp_distinct(const void* a, const void* b, void* arg) {
  auto* k = static_cast<KeyRanks*>(arg);
  return ApplySortComparator(k->values[*static_cast<const int*>(a)], false, k->values[*static_cast<const int*>(b)],
                             false, &k->ssup);
}

// The bits of x (0 for 0).
int bit_width(uint64 x) { return x == 0 ? 0 : 64 - __builtin_clzll(x); }

struct RankCmp {
  const int32* ranks;  // nsort per row
  int nsort;
};

int cmp_ranked_rows(const void* a, const void* b, void* arg) {
  auto* c = static_cast<RankCmp*>(arg);
  const int x = *static_cast<const int*>(a), y = *static_cast<const int*>(b);
  const int32* rx = &c->ranks[(size_t)x * c->nsort];
  const int32* ry = &c->ranks[(size_t)y * c->nsort];
  for (int i = 0; i < c->nsort; i++)
    if (rx[i] != ry[i]) return rx[i] < ry[i] ? -1 : 1;
  return x < y ? -1 : (x > y ? 1 : 0);
}

// The rows of `ts` in the order of the materialization's index on (group columns, bucket DESC),
// held in memory, or nullptr (the caller sorts with a tuplesort) when the tuplestore spilled to
// disk or a key has no ordering operator. The key's comparator runs only between the distinct
// values of each key (a batch has few accounts, statuses, buckets: far fewer than rows); the rows
// are sorted by their values' ranks. Rows written in this order into a chunk the batch creates
// give its index build a presorted input, which PostgreSQL's sort checks for first.
RankedRows* rank_rows(Refresh* r, Tuplestorestate* ts, TupleDesc desc) {
  const int64 count = tuplestore_tuple_count(ts);
  if (r->nsort == 0 || count < 2 || count > INT_MAX / (r->nsort + 1) || !tuplestore_in_memory(ts)) return nullptr;
  // (its largest arrays, ranks and packed keys, within one palloc; a larger batch, with a huge
  // work_mem, goes to the tuplesort)
  if ((Size)count * Max(sizeof(uint64), sizeof(int32) * (Size)r->nsort) > MaxAllocSize) return nullptr;
  int n = (int)count;
  const int nsort = r->nsort;
  auto* keys = static_cast<KeyRanks*>(palloc0(sizeof(KeyRanks) * nsort));
  for (int i = 0; i < nsort; i++) {
    Oid op = sort_operator(r, desc, i);
    if (!OidIsValid(op)) return nullptr;
    Form_pg_attribute a = TupleDescAttr(desc, r->sort_cols[i] - 1);
    KeyRanks* k = &keys[i];
    k->byval = a->attbyval;
    k->len = a->attlen;
    k->ssup.ssup_cxt = CurrentMemoryContext;
    k->ssup.ssup_collation = a->attcollation;
    k->ssup.ssup_nulls_first = r->sort_desc[i];
    PrepareSortSupportFromOrderingOp(op, &k->ssup);
    k->values = static_cast<Datum*>(palloc(sizeof(Datum) * n));
    k->mask = 15;
    while (k->mask < (uint32)n * 2) k->mask = k->mask * 2 + 1;
    k->table = pg::probe_table_alloc(CurrentMemoryContext, k->mask);
  }
  auto* rr = static_cast<RankedRows*>(palloc(sizeof(RankedRows)));
  rr->tuples = static_cast<MinimalTuple*>(palloc(sizeof(MinimalTuple) * n));
  rr->order = static_cast<int*>(palloc(sizeof(int) * n));
  rr->n = n;
  rr->next = 0;
  // Per row and key: the number of its distinct value (-1: NULL), then its rank.
  auto* ranks = static_cast<int32*>(palloc(sizeof(int32) * (size_t)n * nsort));
  auto* max_rank = static_cast<int32*>(palloc(sizeof(int32) * nsort));
  TupleTableSlot* in = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
  tuplestore_rescan(ts);
  int m = 0;
  while (m < n && tuplestore_gettupleslot(ts, true, false, in)) {
    // The tuplestore's own tuple, not a copy: held in memory and left unchanged (nothing more is
    // written to it, nothing trimmed) until tuplestore_end, after the rows are written.
    bool should_free;
    rr->tuples[m] = ExecFetchSlotMinimalTuple(in, &should_free);
    Assert(!should_free);
    for (int i = 0; i < nsort; i++) {
      bool isnull;
      Datum v = slot_getattr(in, r->sort_cols[i], &isnull);
      ranks[(size_t)m * nsort + i] = isnull ? -1 : key_distinct(&keys[i], v);
    }
    rr->order[m] = m;
    m++;
  }
  ExecDropSingleTupleTableSlot(in);
  rr->n = n = m;
  for (int i = 0; i < nsort; i++) {
    KeyRanks* k = &keys[i];
    // The distinct values in key order; values that compare equal (different images of one
    // value) share a rank. NULLs rank before or after all of them, as the index puts them.
    auto* sorted = static_cast<int*>(palloc(sizeof(int) * (k->n > 0 ? k->n : 1)));
    for (int d = 0; d < k->n; d++) sorted[d] = d;
    qsort_arg(sorted, k->n, sizeof(int), cmp_distinct, k);
    auto* rank_of = static_cast<int32*>(palloc(sizeof(int32) * (k->n > 0 ? k->n : 1)));
    int32 rank = 1;
    for (int d = 0; d < k->n; d++) {
      if (d > 0 && cmp_distinct(&sorted[d - 1], &sorted[d], k) != 0) rank++;
      rank_of[sorted[d]] = rank;
    }
    const int32 null_rank = k->ssup.ssup_nulls_first ? 0 : rank + 1;
    max_rank[i] = rank + 1;
    for (int row = 0; row < n; row++) {
      int32* x = &ranks[(size_t)row * nsort + i];
      *x = *x < 0 ? null_rank : rank_of[*x];
    }
  }
  // The ranks and the row number packed into one word when they fit (the usual case: a few
  // dozen values per key), sorted as integers; otherwise rows compared rank by rank.
  int bits = bit_width((uint64)n);
  for (int i = 0; i < nsort; i++) bits += bit_width((uint64)max_rank[i]);
  if (bits <= 64) {
    auto* packed = static_cast<uint64*>(palloc(sizeof(uint64) * n));
    const int row_bits = bit_width((uint64)n);
    for (int row = 0; row < n; row++) {
      uint64 w = 0;
      for (int i = 0; i < nsort; i++) w = (w << bit_width((uint64)max_rank[i])) | (uint64)ranks[(size_t)row * nsort + i];
      packed[row] = (row_bits == 64 ? 0 : w << row_bits) | (uint64)row;
    }
    std::sort(packed, packed + n);
    const uint64 row_mask = row_bits == 64 ? ~(uint64)0 : ((uint64)1 << row_bits) - 1;
    for (int row = 0; row < n; row++) rr->order[row] = (int)(packed[row] & row_mask);
    return rr;
  }
  RankCmp cmp{ranks, nsort};
  qsort_arg(rr->order, n, sizeof(int), cmp_ranked_rows, &cmp);
  return rr;
}

// The aggregation of [start, end) as a SELECT of its own, which PostgreSQL may run with parallel
// workers (it does not for the SELECT of an INSERT ... SELECT), into a tuplestore (spilling to
// disk past work_mem); then its rows into the materialization. False, having done nothing, when
// a column's type has no array type to write it with (the caller runs INSERT ... SELECT).
bool materialize_by_select(Refresh* r, int64 start, int64 end, Snapshot snapshot, uint64* written) {
  pg::InternalUser as;
  pg::owner_user_begin(&as, r->owner);
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  Oid type = r->qi.time_type;
  Oid types[2] = {type, type};
  SPIPlanPtr plan = SPI_prepare_cursor(r->select_sql, 2, types, CURSOR_OPT_PARALLEL_OK);
  if (plan == nullptr)
    elog(ERROR, "refresh query failed to plan (%s): %s", SPI_result_code_string(SPI_result), r->select_sql);
  auto* src = static_cast<CachedPlanSource*>(linitial(SPI_plan_get_plan_sources(plan)));
  TupleDesc desc = src->resultDesc;
  bool ok = desc != nullptr;
  Oid* array_types = ok ? static_cast<Oid*>(palloc(sizeof(Oid) * desc->natts)) : nullptr;
  for (int i = 0; ok && i < desc->natts; i++) {
    Oid t = TupleDescAttr(desc, i)->atttypid;
    char tt = get_typtype(t);
    array_types[i] = get_array_type(t);
    ok = OidIsValid(array_types[i]) && tt != TYPTYPE_PSEUDO && tt != TYPTYPE_COMPOSITE;
  }
  if (ok) {
    desc = CreateTupleDescCopy(desc);
    ParamListInfo params = makeParamList(2);
    for (int i = 0; i < 2; i++) {
      params->params[i].value = internal_to_time_datum(i == 0 ? start : end, type);
      params->params[i].isnull = false;
      params->params[i].pflags = PARAM_FLAG_CONST;
      params->params[i].ptype = type;
    }
    Tuplestorestate* ts = tuplestore_begin_heap(false, false, work_mem);
    DestReceiver* dest = CreateDestReceiver(DestTuplestore);
    SetTuplestoreDestReceiverParams(dest, ts, CurrentMemoryContext, false, nullptr, nullptr);
    SPIExecuteOptions opt{};
    opt.params = params;
    opt.read_only = true;  // under `snapshot`, the active one
    opt.dest = dest;
    PushActiveSnapshot(snapshot);
    int rc = SPI_execute_plan_extended(plan, &opt);
    PopActiveSnapshot();
    if (rc != SPI_OK_SELECT) elog(ERROR, "refresh query failed (%s): %s", SPI_result_code_string(rc), r->select_sql);
    dest->rDestroy(dest);
    SPI_freeplan(plan);
    // Straight into the materialization's chunks (mat_write.cpp) when it can; rows that all go into
    // chunks the batch creates need no index order (their indexes are built after them).
    const bool direct = mat_write_possible(r->mat, desc);
    RowSource rows{ts, nullptr, rank_rows(r, ts, desc)};
    if (rows.ranked == nullptr && !(direct && mat_write_fresh_range(r->mat, start, end)))
      rows.sort = sort_rows(r, ts, desc);
    *written = UINT64_MAX;
    if (direct) {
      if (rows.sort == nullptr && rows.ranked == nullptr) tuplestore_rescan(ts);
      PushActiveSnapshot(snapshot);
      *written = mat_write(r->mat, RowSource::next_row, &rows, desc, start, end);
      PopActiveSnapshot();
    }
    if (*written == UINT64_MAX) *written = insert_rows(r, &rows, desc, array_types);
    if (rows.sort != nullptr) tuplesort_end(rows.sort);
    tuplestore_end(ts);
  }
  SPI_finish();
  pg::owner_user_end(&as);
  return ok;
}

// Returns the number of rows written.
uint64 materialize(Refresh* r, int64 start, int64 end) {
  if (r->select_sql == nullptr) {  // (a refresh that only merges late rows needs neither)
    MemoryContext old = MemoryContextSwitchTo(r->cxt);
    r->select_sql = restricted_query_sql(&r->qi);
    r->insert_sql = psprintf("INSERT INTO %s %s", r->mat_q, r->select_sql);
    MemoryContextSwitchTo(old);
  }
  run_as_owner(r->owner, r->delete_sql, r->qi.time_type, start, end, false, nullptr, nullptr);
  // The delta rows of late rows that the aggregation sees are discarded: exactly those its
  // snapshot sees (a delta row commits with its raw rows).
  CommandCounterIncrement();
  Snapshot snapshot = RegisterSnapshot(GetTransactionSnapshot());
  inc_discard_deltas(r->cagg->mat_id, start, end, snapshot);
  uint64 written = 0;
  // Rowstore chunks aggregated by RowstoreAggregate while the batch's aggregation is planned and run.
  const int nest = rowstore_agg_on();
  if (!(guc_cagg_refresh_parallel && materialize_by_select(r, start, end, snapshot, &written)))
    written = run_as_owner(r->owner, r->insert_sql, r->qi.time_type, start, end, false, nullptr, nullptr, snapshot);
  rowstore_agg_restore(nest);
  UnregisterSnapshot(snapshot);
  return written;
}

// The watermark is the end of the newest materialized bucket (the start of time when there is
// none): real-time aggregation reads the raw rows from there on.
void update_watermark(Refresh* r) {
  const char* sql = psprintf("SELECT pg_catalog.max(%s) FROM %s", r->bucket_col, r->mat_q);
  Datum v = 0;
  bool isnull = true;
  run_as_owner(r->owner, sql, r->qi.time_type, core::kOpenStart, core::kOpenEnd, true, &v, &isnull);
  int64 wm = isnull ? core::kOpenStart : bucket_next(&r->qi.bucket, time_datum_to_internal(v, r->qi.time_type));
  // Never lower: the planner excludes raw chunks below the watermark it sees when planning, for
  // every later execution of the plan (buckets emptied at the top stay below the watermark, as
  // empty materialized buckets; rows written there later are logged).
  Cagg* now = cagg_get_by_mat_id(r->cagg->mat_id);
  if (now != nullptr && now->watermark > wm) return;
  update_bounds(r->cagg->mat_id, nullptr, &wm);
}

// After delta rows were merged into buckets that end at or before `merged_end` (the end of the
// newest of them): the newest materialized bucket is the newer of the one before and the newest
// merged, so the watermark (never lowered) is the greater of its value and merged_end.
void raise_watermark(Refresh* r, int64 merged_end) {
  Cagg* now = cagg_get_by_mat_id(r->cagg->mat_id);
  if (now != nullptr && now->watermark >= merged_end) return;
  update_bounds(r->cagg->mat_id, nullptr, &merged_end);
}

// The next region to recompute in [start, end): the lowest (or with `newest`, the highest)
// invalidated range of the log inside the window, rounded out to whole buckets and clipped to the
// window. False when none is left.
bool next_region(Refresh* r, int64 start, int64 end, bool newest, int64* lo, int64* hi) {
  int n;
  TimeRange* log = read_log(r->cagg->mat_id, &n);
  int m = 0;
  for (int i = 0; i < n; i++) {
    TimeRange c;
    if (core::clip_to_window(log[i], start, end, &c)) log[m++] = c;
  }
  m = static_cast<int>(core::merge_ranges(log, m));
  if (m == 0) return false;
  const TimeRange& g = log[newest ? m - 1 : 0];
  int64 a = bucket_floor(&r->qi.bucket, g.lo);
  int64 b = g.hi == core::kOpenEnd ? core::kOpenEnd : bucket_next(&r->qi.bucket, bucket_floor(&r->qi.bucket, g.hi));
  *lo = Max(a, start);
  *hi = Min(b, end);
  return *lo < *hi;
}

int64 batch_buckets(const Refresh* r, int64 requested) {
  if (requested > 0) return requested;
  if (guc_cagg_refresh_batch_buckets > 0) return guc_cagg_refresh_batch_buckets;
  // One raw chunk interval's worth of buckets (at least one) per batch.
  int64 n = r->qi.raw_ht->interval / Max(r->qi.bucket.nominal, (int64)1);
  return Max(n, (int64)1);
}

void prepare(Refresh* r, Cagg* cagg, int64 requested_batch, const QueryInfo* qi) {
  memset(r, 0, sizeof(*r));
  r->cagg = cagg;
  if (qi != nullptr)
    r->qi = *qi;
  else
    load_query(cagg, &r->qi);
  r->mat = hypertable_get_by_id(cagg->mat_id);
  if (r->mat == nullptr || !OidIsValid(r->mat->relid))
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                    errmsg("the materialization hypertable of continuous aggregate \"%s\" is missing",
                           NameStr(cagg->user_name))));
  HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(r->mat->relid));
  r->owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tup))->relowner;
  ReleaseSysCache(tup);
  r->raw_q = quote_qualified_identifier(get_namespace_name(get_rel_namespace(r->qi.raw_relid)),
                                        get_rel_name(r->qi.raw_relid));
  r->time_col = quote_identifier(get_attname(r->qi.raw_relid, r->qi.time_attno, false));
  r->bucket_col = quote_identifier(NameStr(r->mat->time_column));
  r->mat_q = quote_qualified_identifier(NameStr(r->mat->schema_name), NameStr(r->mat->table_name));
  r->delete_sql = psprintf("DELETE FROM %s WHERE %s OPERATOR(pg_catalog.>=) $1 AND %s OPERATOR(pg_catalog.<) $2",
                           r->mat_q, r->bucket_col, r->bucket_col);
  r->cxt = CurrentMemoryContext;
  r->max_buckets = batch_buckets(r, requested_batch);
  // Sort keys: the group columns in the order of the query, then the bucket descending.
  Query* q = r->qi.query;
  int n = list_length(q->targetList);
  r->sort_cols = static_cast<AttrNumber*>(palloc(sizeof(AttrNumber) * (n + 1)));
  r->sort_desc = static_cast<bool*>(palloc(sizeof(bool) * (n + 1)));
  AttrNumber attno = 0, bucket_attno = 0;
  ListCell* lc;
  foreach (lc, q->targetList) {
    auto* tle = static_cast<TargetEntry*>(lfirst(lc));
    if (tle->resjunk) continue;
    attno++;
    if (tle == r->qi.bucket_tle) {
      bucket_attno = attno;
    } else if (tle->ressortgroupref != 0 && get_sortgroupref_clause_noerr(tle->ressortgroupref, q->groupClause) != nullptr) {
      r->sort_cols[r->nsort] = attno;
      r->sort_desc[r->nsort++] = false;
    }
  }
  if (bucket_attno == 0) {
    r->nsort = 0;
  } else {
    r->sort_cols[r->nsort] = bucket_attno;
    r->sort_desc[r->nsort++] = true;
  }
}

void end_transaction(bool batched) {
  if (batched) {
    SPI_commit();
  } else {
    CommandCounterIncrement();
  }
}

}  // namespace

void refresh_window(Cagg* cagg, int64 start, int64 end, const RefreshOptions* opt, const QueryInfo* qi) {
  const TimestampTz started = pg::summary_start();
  Refresh r;
  prepare(&r, cagg, opt->batch_buckets, qi);
  int32 id = cagg->mat_id;
  BucketFn* b = &r.qi.bucket;
  bool batched = opt->batched;

  // An open end: up to the end of the bucket holding the newest raw row. When the newest raw
  // chunk ends at or below the invalidation threshold, every raw row lies below it and nothing is
  // to be moved: the window ends at the threshold, without reading the newest chunk (it has no
  // index on time in general) for its newest row. Otherwise the newest raw time comes from
  // what writers recorded (raw_newest).
  // Everything below the threshold is materialized or logged, so an open end reaches at least
  // the threshold: ranges logged between the newest raw row and the threshold (the newest rows
  // deleted, a TRUNCATE) are recomputed too, without moving the threshold (not with `force`,
  // which would recompute every bucket up to it).
  if (end == core::kOpenEnd) {
    int64 threshold = read_threshold(id);
    const bool below = threshold > start && threshold != core::kOpenEnd;
    int64 at_least = below && !opt->force ? threshold : core::kOpenStart;
    if (r.qi.parent == nullptr && below) {
      List* top = chunk_list_overlapping(r.qi.raw_ht, start, core::kOpenEnd, false);
      if (top != NIL && static_cast<ChunkInfo*>(linitial(top))->range_end <= threshold) end = threshold;
    }
    if (end == core::kOpenEnd) {
      int64 newest;
      if (raw_newest(&r, start, &newest)) {
        end = bucket_next(b, bucket_floor(b, newest));
      } else {
        end = start == core::kOpenStart ? core::kOpenStart : start;
      }
      if (at_least != core::kOpenStart) end = Max(end, at_least);
    }
  }
  if (start >= end) {
    if (opt->verbose)
      ereport(NOTICE, (errmsg("continuous aggregate \"%s\" is already up-to-date", NameStr(cagg->user_name))));
    return;
  }

  // Move the invalidation threshold to the window's end first, in a transaction of its own:
  // writers that logged against the old threshold commit before it does (they hold the share
  // lock from their pre-commit on), so the materialization below sees their rows; later writers
  // log against the new threshold.
  lock_threshold(id, ExclusiveLock);
  int64 threshold = read_threshold(id);
  bool moved = end > threshold;
  if (moved) update_bounds(id, &end, nullptr);
  if (opt->force) log_invalidation(id, start, end == core::kOpenEnd ? end : end - 1);
  if (moved || opt->force) {
    end_transaction(batched);
  } else {
    unlock_threshold(id);
  }

  // Late rows captured as delta rows: added into the buckets that nothing else invalidated.
  bool merged = false;
  if (!opt->force) {
    lock_refresh(id);
    int64 merged_end;
    merged = inc_apply_deltas(cagg, &r.qi, r.mat_q, start, end, &merged_end);
    if (merged) raise_watermark(&r, merged_end);
    end_transaction(batched);
  }

  int64 batches = 0;
  uint64 rows = 0;
  MemoryContext batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "strata refresh batch", ALLOCSET_DEFAULT_SIZES);
  for (;;) {
    CHECK_FOR_INTERRUPTS();
    if (opt->max_batches > 0 && batches >= opt->max_batches) break;
    MemoryContext old = MemoryContextSwitchTo(batch_cxt);
    lock_refresh(id);
    int64 lo, hi;
    if (!next_region(&r, start, end, opt->newest_first, &lo, &hi)) {
      MemoryContextSwitchTo(old);
      break;
    }
    // A region open below starts with the oldest raw row in it (one batch covers what is
    // below: nothing to aggregate there).
    int64 from = lo;
    if (lo == core::kOpenStart) {
      int64 oldest;
      from = raw_oldest_bound(&r, lo, hi, &oldest) ? bucket_floor(b, oldest) : hi;
    }
    auto floor = [b](int64 x) { return bucket_floor(b, x); };
    core::Bucketing<decltype(floor)> bk{floor, b->nominal};
    int64 batch_lo, batch_hi;
    if (opt->newest_first) {
      // From the top of the region down; the batch that reaches its bottom covers it all.
      batch_hi = hi;
      batch_lo = from >= hi ? lo : core::batch_start(bk, from, hi, r.max_buckets);
      if (batch_lo <= from) batch_lo = lo;
    } else {
      batch_lo = lo;
      batch_hi = from >= hi ? hi : core::batch_end(bk, from, hi, r.max_buckets);
    }
    // Automatic batches over materialization chunks that do not exist yet: a chunk per batch.
    if (opt->batch_buckets == 0 && guc_cagg_refresh_batch_buckets == 0 && opt->max_batches == 0)
      mat_fresh_batch(r.mat, b, r.max_buckets, opt->newest_first, from, lo, hi, &batch_lo, &batch_hi);
    // Consume the log for the batch before recomputing it: a writer that commits in between
    // leaves its entry in the log (and its rows for the next refresh).
    consume_log(id, batch_lo, batch_hi);
    CommandCounterIncrement();
    rows += materialize(&r, batch_lo, batch_hi);
    update_watermark(&r);
    batches++;
    MemoryContextSwitchTo(old);
    MemoryContextReset(batch_cxt);
    end_transaction(batched);
  }
  MemoryContextDelete(batch_cxt);
  if (batches == 0 && !merged && opt->verbose)
    ereport(NOTICE, (errmsg("continuous aggregate \"%s\" is already up-to-date", NameStr(cagg->user_name))));
  else if (batches > 0 && opt->verbose && pg::summary_due(started))
    ereport(NOTICE, (errmsg_plural("refreshed continuous aggregate \"%s\": %llu rows materialized in %lld batch",
                                   "refreshed continuous aggregate \"%s\": %llu rows materialized in %lld batches",
                                   batches, NameStr(cagg->user_name), (unsigned long long)rows, (long long)batches)));
}

}  // namespace strata::caggs

namespace strata {

void caggs_chunks_dropping(const Hypertable* ht) {
  if (!caggs::cagg_exists_on(ht->id)) return;
  ListCell* lc;
  foreach (lc, caggs::cagg_list_by_raw(ht->id)) caggs::lock_refresh(static_cast<caggs::Cagg*>(lfirst(lc))->mat_id);
}

void caggs_chunk_dropped(const Hypertable* ht, int64 start, int64 end) {
  if (!caggs::cagg_exists_on(ht->id)) return;
  ListCell* lc;
  foreach (lc, caggs::cagg_list_by_raw(ht->id)) {
    auto* c = static_cast<caggs::Cagg*>(lfirst(lc));
    caggs::lock_refresh(c->mat_id);
    caggs::QueryInfo qi;
    caggs::load_query(c, &qi);
    // Whole buckets only: a bucket that also holds rows of a chunk still there is recomputed
    // from those.
    int64 s = start, e = end;
    auto floor = [&qi](int64 x) { return caggs::bucket_floor(&qi.bucket, x); };
    core::Bucketing<decltype(floor)> bk{floor, qi.bucket.nominal};
    core::round_window_in(bk, &s, &e);
    if (s < e) {
      caggs::consume_log(c->mat_id, s, e);
      caggs::inc_discard_deltas(c->mat_id, s, e, GetLatestSnapshot());
    }
  }
}

}  // namespace strata

using namespace strata;
using namespace strata::caggs;

namespace {

// A window bound given as "any": NULL (open), a value of the aggregate's time type, an untyped
// literal read as that type, or (for integer time) any integer type.
bool window_arg(FunctionCallInfo fcinfo, int n, Oid time_type, int64* out) {
  if (PG_ARGISNULL(n)) return false;
  Oid type = get_fn_expr_argtype(fcinfo->flinfo, n);
  Datum value = PG_GETARG_DATUM(n);
  const char* name = n == 1 ? "window_start" : "window_end";
  if (type == UNKNOWNOID) {
    Oid input, ioparam;
    getTypeInputInfo(time_type, &input, &ioparam);
    value = OidInputFunctionCall(input, DatumGetCString(value), ioparam, -1);
    type = time_type;
  }
  bool int_time = time_type == INT2OID || time_type == INT4OID || time_type == INT8OID;
  bool int_arg = type == INT2OID || type == INT4OID || type == INT8OID;
  if (type != time_type && !(int_time && int_arg))
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("invalid type of %s: %s", name, format_type_be(type)),
                    errhint("Use a value of type %s, the time type of the continuous aggregate.",
                            format_type_be(time_type))));
  *out = time_datum_to_internal(value, type);
  return true;
}

}  // namespace

// refresh_continuous_aggregate(continuous_aggregate regclass, window_start "any",
//                              window_end "any", force boolean = false): a procedure.
STRATA_FUNCTION(strata_refresh_continuous_aggregate) {
  if (fcinfo->context == nullptr || !IsA(fcinfo->context, CallContext) ||
      castNode(CallContext, fcinfo->context)->atomic)
    ereport(ERROR, (errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
                    errmsg("refresh_continuous_aggregate() cannot run inside a transaction block"),
                    errhint("Call it on its own (CALL refresh_continuous_aggregate(...)), outside BEGIN ... COMMIT "
                            "and not from a function.")));
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("continuous_aggregate cannot be NULL")));
  if (!extension_is_active())
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("the strata extension is not ready in this database")));
  Oid relid = PG_GETARG_OID(0);
  bool force = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
  if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  Cagg* cagg = cagg_get_by_view(relid);
  if (cagg == nullptr)
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                    errmsg("relation \"%s\" is not a continuous aggregate", get_rel_name(relid))));
  if (!compat::is_table_owner(relid, GetUserId()))
    aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_MATVIEW, get_rel_name(relid));
  QueryInfo qi;
  load_query(cagg, &qi);
  int64 start = core::kOpenStart, end = core::kOpenEnd;
  bool has_start = window_arg(fcinfo, 1, qi.time_type, &start);
  bool has_end = window_arg(fcinfo, 2, qi.time_type, &end);
  if (has_start && has_end && start >= end)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("invalid refresh window"),
                    errdetail("The start of the window must be before its end.")));
  // Only whole buckets inside the window are refreshed.
  int64 s = start, e = end;
  auto floor = [&qi](int64 x) { return bucket_floor(&qi.bucket, x); };
  core::Bucketing<decltype(floor)> bk{floor, qi.bucket.nominal};
  core::round_window_in(bk, &s, &e);
  if (s >= e)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("refresh window too small"),
                    errdetail("The refresh window must cover at least one bucket of %s.", cagg->bucket_width),
                    errhint("Use a larger refresh window.")));
  RefreshOptions opt{force, true, true, 0, 0, false};
  refresh_window(cagg, s, e, &opt, &qi);
  SPI_finish();
  PG_RETURN_VOID();
}
