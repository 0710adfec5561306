// The write side of a refresh batch: the aggregation's rows written straight into the chunks of
// the materialization hypertable (heap_multi_insert through table_multi_insert with a
// BulkInsertState, the indexes of existing chunks maintained row by row in index order, the
// indexes of chunks this transaction created built once from their heap after the rows), instead
// of INSERT statements through the executor. See "Data flow: refresh" in docs/ARCHITECTURE.md.
// C-style glue.
#include "caggs/internal.hpp"

#include "core/caggs/ranges.hpp"
#include "core/time/chunk_range.hpp"
#include "hypertable/chunk.hpp"
#include "pg/compat.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/hio.h"
#include "access/tableam.h"
#include "access/tupconvert.h"
#include "catalog/pg_class.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "storage/bufmgr.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

namespace strata {
bool guc_cagg_refresh_bulk_write = true;
}

namespace strata::caggs {

namespace {

constexpr int kMaxBufferedRows = 1000;  // per chunk, per table_multi_insert
// An automatic batch extended over materialization chunks that do not exist yet (fresh_batch)
// covers at most this many automatic batches.
constexpr int64 kMaxFreshBatches = 32;

struct MatChunk {
  ChunkInfo info;
  ResultRelInfo* rri;
  TupleConversionMap* map;  // materialization layout -> chunk layout, or nullptr when identical
  BulkInsertState bistate;
  TupleTableSlot** slots;
  // The slots' descriptor: a copy of the chunk's without reference counting, so that a slot pins
  // nothing in the resource owner (a thousand pins a chunk cost more than the rows' heap writes).
  TupleDesc slot_desc;
  int nused;
  int nslots;  // slots created
  bool build_indexes;  // its rows skip the indexes, which are built from the heap at the end
  bool check_constraints;  // rows need ExecConstraints (routed_row_needs_constraints)
  // With build_indexes, per index: its rows collected as they are written, for a build without
  // a heap scan (nullptr: the build scans the heap). Only the first such chunk of a write.
  PresortRows** rows;
  MatChunk* next;
};

struct MatWrite {
  const Hypertable* mat;
  Relation mat_rel;
  EState* estate;
  CommandId cid;
  MatChunk* chunks;
  MatChunk* last;  // the chunk of the previous row
  bool collecting;  // a chunk's rows are collected for its index builds
};

// Whether the hypertable or one of the chunks has triggers other than the hypertable's insert
// blocker (which fires only on the hypertable itself).
bool has_other_triggers(Relation rel) {
  TriggerDesc* td = rel->trigdesc;
  if (td == nullptr) return false;
  for (int i = 0; i < td->numtriggers; i++)
    if (strcmp(td->triggers[i].tgname, "_strata_insert_blocker") != 0) return true;
  return false;
}

bool rel_has_triggers(Oid relid) {
  HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
  if (!HeapTupleIsValid(tup)) return true;  // (dropped meanwhile: let the executor path say so)
  bool has = reinterpret_cast<Form_pg_class>(GETSTRUCT(tup))->relhastriggers;
  ReleaseSysCache(tup);
  return has;
}

MatChunk* open_chunk(MatWrite* w, int64 value) {
  MemoryContext old = MemoryContextSwitchTo(w->estate->es_query_cxt);
  // (a chunk created here gets its indexes unbuilt: they are built below or after the rows)
  ChunkInfo* info = chunk_get_or_create(w->mat, value, 0, true);
  Relation rel = table_open(info->relid, NoLock);  // chunk_get_or_create locked it
  auto* c = static_cast<MatChunk*>(palloc0(sizeof(MatChunk)));
  c->info = *info;
  c->rri = makeNode(ResultRelInfo);
  InitResultRelInfo(c->rri, rel, 0, nullptr, 0);
  // (the chunk's range CHECK holds: rows are routed by that range, as INSERT's and COPY's are)
  const bool skipped = skip_routed_range_check(c->rri, w->estate, false);
  c->check_constraints =
      routed_row_needs_constraints(c->rri, skipped, get_attnum(info->relid, NameStr(w->mat->time_column)));
  ExecOpenIndices(c->rri, false);
  c->map = convert_tuples_by_name(RelationGetDescr(w->mat_rel), RelationGetDescr(rel));
  c->bistate = GetBulkInsertState();
  c->slots = static_cast<TupleTableSlot**>(palloc0(sizeof(TupleTableSlot*) * kMaxBufferedRows));
  // (its rows may skip the indexes: no unique ones, which a per-row insert checks as it goes)
  c->build_indexes = chunk_indexes_can_wait(c->rri, false);
  if (!c->build_indexes) {
    for (int i = 0; i < c->rri->ri_NumIndices; i++)
      if (chunk_index_unbuilt(c->rri->ri_IndexRelationDescs[i]))
        chunk_build_unbuilt_index(rel, c->rri->ri_IndexRelationDescs[i], nullptr);  // (empty, before the rows)
  } else {
    // Its pages are read back at once by the index builds: not through the bulk-write ring.
    FreeAccessStrategy(c->bistate->strategy);
    c->bistate->strategy = nullptr;
    if (!w->collecting) {
      // (maintenance_work_mem shared by the indexes, as the builds one after the other would each have it)
      const Size budget = static_cast<Size>(maintenance_work_mem) * 1024 / c->rri->ri_NumIndices;
      c->rows = static_cast<PresortRows**>(palloc0(sizeof(PresortRows*) * c->rri->ri_NumIndices));
      for (int i = 0; i < c->rri->ri_NumIndices; i++)
        c->rows[i] = presort_rows_begin(c->rri->ri_IndexRelationDescs[i], c->rri->ri_IndexRelationInfo[i], budget);
      w->collecting = true;
    }
  }
  c->next = w->chunks;
  w->chunks = c;
  MemoryContextSwitchTo(old);
  return c;
}

MatChunk* chunk_for(MatWrite* w, int64 value) {
  if (w->last != nullptr && value >= w->last->info.range_start &&
      (w->last->info.range_end == core::kOpenEnd || value < w->last->info.range_end))
    return w->last;
  for (MatChunk* c = w->chunks; c != nullptr; c = c->next)
    if (value >= c->info.range_start && (c->info.range_end == core::kOpenEnd || value < c->info.range_end))
      return w->last = c;
  return w->last = open_chunk(w, value);
}

void flush_chunk(MatWrite* w, MatChunk* c) {
  if (c->nused == 0) return;
  MemoryContext old = MemoryContextSwitchTo(GetPerTupleMemoryContext(w->estate));
  // Into a chunk the batch created, pages are only appended (not the free space of earlier ones,
  // where a short row would leave the rows' order): its heap keeps the order the rows came in.
  table_multi_insert(c->rri->ri_RelationDesc, c->slots, c->nused, w->cid, c->build_indexes ? TABLE_INSERT_SKIP_FSM : 0,
                     c->bistate);
  for (int i = 0; i < c->nused; i++) {
    if (!c->build_indexes && c->rri->ri_NumIndices > 0)
      list_free(compat::insert_index_tuples(c->rri, c->slots[i], w->estate));
    if (c->rows != nullptr)
      for (int j = 0; j < c->rri->ri_NumIndices; j++)
        if (c->rows[j] != nullptr && !presort_rows_add(c->rows[j], c->slots[i])) {
          presort_rows_free(c->rows[j]);
          c->rows[j] = nullptr;
        }
    ExecClearTuple(c->slots[i]);
    ResetPerTupleExprContext(w->estate);
  }
  MemoryContextSwitchTo(old);
  c->nused = 0;
}

void add_row(MatWrite* w, TupleTableSlot* row) {
  bool isnull;
  Datum t = slot_getattr(row, w->mat->time_attno, &isnull);
  if (isnull)
    ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
                    errmsg("NULL value in column \"%s\" of a materialization hypertable", NameStr(w->mat->time_column))));
  MatChunk* c = chunk_for(w, time_datum_to_internal(t, w->mat->time_type));
  Relation rel = c->rri->ri_RelationDesc;
  if (c->slots[c->nused] == nullptr) {
    MemoryContext old = MemoryContextSwitchTo(w->estate->es_query_cxt);
    if (c->slot_desc == nullptr) c->slot_desc = CreateTupleDescCopy(RelationGetDescr(rel));
    c->slots[c->nused] = MakeSingleTupleTableSlot(c->slot_desc, table_slot_callbacks(rel));
    c->nslots++;
    MemoryContextSwitchTo(old);
  }
  TupleTableSlot* slot = c->slots[c->nused];
  if (c->map != nullptr) {
    slot_getallattrs(row);
    execute_attr_map_slot(c->map->attrMap, row, slot);
  } else {
    ExecCopySlot(slot, row);
  }
  slot->tts_tableOid = RelationGetRelid(rel);
  // (its time is not NULL, checked above, and within the chunk's range: routed by it)
  if (c->check_constraints) ExecConstraints(c->rri, slot, w->estate);
  if (++c->nused == kMaxBufferedRows) flush_chunk(w, c);
}

// (an index unbuilt since the chunk's creation is built in its storage; one built empty then gets
// new storage)
void build_indexes(MatChunk* c) {
  Relation heap = c->rri->ri_RelationDesc;
  for (int i = 0; i < c->rri->ri_NumIndices; i++) {
    Relation idx = c->rri->ri_IndexRelationDescs[i];
    PresortRows* rows = c->rows != nullptr ? c->rows[i] : nullptr;
    if (c->rows != nullptr) c->rows[i] = nullptr;
    if (chunk_index_unbuilt(idx))
      chunk_build_unbuilt_index(heap, idx, rows);
    else if (rows != nullptr)
      chunk_rebuild_index_from(heap, idx, rows);
    else
      chunk_rebuild_index(heap, idx, false);
  }
}

}  // namespace

bool mat_write_possible(const Hypertable* mat, TupleDesc desc) {
  if (!guc_cagg_refresh_bulk_write || mat->compression_state != 0 || mat->num_partitions > 0 ||
      cagg_exists_on(mat->id))  // aggregates above: their invalidations go through the executor path
    return false;
  Relation rel = table_open(mat->relid, AccessShareLock);
  TupleDesc md = RelationGetDescr(rel);
  bool ok = !has_other_triggers(rel) && md->natts == desc->natts && mat->time_attno >= 1 &&
            mat->time_attno <= desc->natts;
  for (int i = 0; ok && i < md->natts; i++) {
    Form_pg_attribute a = TupleDescAttr(md, i), b = TupleDescAttr(desc, i);
    ok = !a->attisdropped && a->attgenerated == '\0' && a->atttypid == b->atttypid;
  }
  table_close(rel, AccessShareLock);
  return ok;
}

bool mat_write_fresh_range(const Hypertable* mat, int64 start, int64 end) {
  if (start >= end) return false;
  return chunk_list_overlapping(mat, start, end == core::kOpenEnd ? end : end - 1, true) == NIL;
}

uint64 mat_write(const Hypertable* mat, MatRowSource next, void* arg, TupleDesc desc, int64 start, int64 end) {
  MatWrite w{};
  w.mat = mat;
  w.estate = CreateExecutorState();
  w.cid = GetCurrentCommandId(true);
  w.estate->es_output_cid = w.cid;
  w.mat_rel = table_open(mat->relid, RowExclusiveLock);
  // The existing chunks the rows may go to: a trigger created on one of them (not through the
  // hypertable) sends the batch through the executor path.
  ListCell* lc;
  foreach (lc, chunk_list_overlapping(mat, start, end == core::kOpenEnd ? end : end - 1, true)) {
    auto* ci = static_cast<ChunkInfo*>(lfirst(lc));
    if (!OidIsValid(ci->relid) || rel_has_triggers(ci->relid) || ci->status != 0) {
      table_close(w.mat_rel, NoLock);
      FreeExecutorState(w.estate);
      return UINT64_MAX;
    }
  }
  TupleTableSlot* row = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
  uint64 written = 0;
  while (next(arg, row)) {
    CHECK_FOR_INTERRUPTS();
    add_row(&w, row);
    written++;
  }
  ExecDropSingleTupleTableSlot(row);
  for (MatChunk* c = w.chunks; c != nullptr; c = c->next) {
    flush_chunk(&w, c);
    FreeBulkInsertState(c->bistate);
    if (c->build_indexes) build_indexes(c);
  }
  for (MatChunk* c = w.chunks; c != nullptr; c = c->next) {
    for (int i = 0; i < c->nslots; i++) ExecDropSingleTupleTableSlot(c->slots[i]);
    ExecCloseIndices(c->rri);
    table_close(c->rri->ri_RelationDesc, NoLock);
  }
  ExecResetTupleTable(w.estate->es_tupleTable, false);
  FreeExecutorState(w.estate);
  table_close(w.mat_rel, NoLock);
  return written;
}

void mat_fresh_batch(const Hypertable* mat, BucketFn* b, int64 max_buckets, bool newest_first, int64 from,
                     int64 lo, int64 hi, int64* batch_lo, int64* batch_hi) {
  // (not where mat_write_possible() will refuse: nothing to gain from larger batches)
  if (!guc_cagg_refresh_bulk_write || mat->num_partitions > 0 || mat->compression_state != 0 || from >= hi ||
      mat->interval <= 0 || (newest_first && hi == core::kOpenEnd) || cagg_exists_on(mat->id))
    return;
  auto floor = [b](int64 x) { return bucket_floor(b, x); };
  core::Bucketing<decltype(floor)> bk{floor, b->nominal};
  // The first bucket start at or after `x`.
  auto ceil = [&](int64 x) {
    if (x == core::kOpenStart || x == core::kOpenEnd) return x;
    int64 f = bucket_floor(b, x);
    return f == x ? x : core::next_bucket_start(bk, f);
  };
  const int64 most = max_buckets > INT64_MAX / kMaxFreshBatches ? INT64_MAX : max_buckets * kMaxFreshBatches;
  if (!newest_first) {
    // Up to the end of the (would-be) chunk holding `from`, or the start of the first existing
    // chunk after it.
    ChunkInfo ci;
    if (chunk_find_by_value(mat, from, &ci)) return;
    core::ChunkRange cr = core::chunk_range_for(from, mat->interval);
    int64 cap = Min(hi, ceil(cr.end));
    List* after = chunk_list_overlapping(mat, from, cap == core::kOpenEnd ? cap : cap - 1, true);
    if (after != NIL) cap = Min(cap, ceil(static_cast<ChunkInfo*>(linitial(after))->range_start));
    if (cap <= *batch_hi) return;
    *batch_hi = core::batch_end(bk, from, cap, most);
  } else {
    // Down to the start of the (would-be) chunk holding the newest bucket, or the end of the last
    // existing chunk below it.
    int64 top = bucket_floor(b, hi - 1);
    ChunkInfo ci;
    if (chunk_find_by_value(mat, top, &ci)) return;
    core::ChunkRange cr = core::chunk_range_for(top, mat->interval);
    int64 floor_to = Max(from, ceil(cr.start));
    List* below = chunk_list_overlapping(mat, floor_to, hi - 1, false);
    if (below != NIL) floor_to = Max(floor_to, ceil(static_cast<ChunkInfo*>(linitial(below))->range_end));
    if (floor_to >= *batch_lo) return;
    int64 s = core::batch_start(bk, floor_to, hi, most);
    *batch_lo = s <= from ? lo : s;
  }
}

}  // namespace strata::caggs
