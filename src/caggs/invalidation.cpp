// The invalidation log's writers: INSERT (ChunkDispatch) and COPY note the time of each row in
// the transaction's tracker of the hypertable (caggs_track); UPDATE, DELETE and TRUNCATE reach
// it through triggers. At pre-commit the ranges are merged, one per chunk-interval slot, and
// written once per aggregate, below the aggregate's invalidation threshold only.
#include "caggs/internal.hpp"

#include "core/time/chunk_range.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/detoast.h"
#include "access/htup_details.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
}

namespace strata::caggs {

namespace {

struct TrackerEntry {
  int32 ht_id;  // key
  CaggTracker tracker;
};

struct RelEntry {
  Oid relid;  // key: a chunk or hypertable that fired the trigger
  CaggTracker* tracker;
  AttrNumber time_attno;
  Oid time_type;
  bool is_chunk;
  int64 chunk_start;  // the chunk's range [chunk_start, chunk_end)
  int64 chunk_end;
};

HTAB* trackers = nullptr;  // in TopTransactionContext; nullptr outside a transaction that wrote
HTAB* rels = nullptr;

void init_hashes() {
  if (trackers != nullptr) return;
  HASHCTL ctl;
  memset(&ctl, 0, sizeof ctl);
  ctl.keysize = sizeof(int32);
  ctl.entrysize = sizeof(TrackerEntry);
  ctl.hcxt = TopTransactionContext;
  trackers = hash_create("strata cagg trackers", 8, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
  memset(&ctl, 0, sizeof ctl);
  ctl.keysize = sizeof(Oid);
  ctl.entrysize = sizeof(RelEntry);
  ctl.hcxt = TopTransactionContext;
  rels = hash_create("strata cagg trigger relations", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

CaggTracker* tracker_for_id(int32 ht_id, int64 interval) {
  init_hashes();
  bool found;
  auto* e = static_cast<TrackerEntry*>(hash_search(trackers, &ht_id, HASH_ENTER, &found));
  if (!found) {
    CaggTracker* t = &e->tracker;
    memset(t, 0, sizeof(*t));
    t->slot_lo = 1;  // empty slot: every value takes the slow path
    t->slot_hi = 0;
    t->hypertable_id = ht_id;
    t->interval = interval > 0 ? interval : 1;
    t->capture_below = core::kOpenStart;
  }
  return &e->tracker;
}

void add_range(CaggTracker* t, int64 lo, int64 hi) {
  if (t->nranges == t->capacity) {
    if (t->capacity >= 1024) {
      // Compact: merge, then one range per chunk-interval slot.
      size_t n = core::merge_ranges(t->ranges, t->nranges);
      size_t out = 0;
      for (size_t i = 0; i < n; i++) {
        if (out > 0 && core::floor_div(t->ranges[out - 1].lo, t->interval) == core::floor_div(t->ranges[i].hi, t->interval))
          t->ranges[out - 1].hi = t->ranges[i].hi;
        else
          t->ranges[out++] = t->ranges[i];
      }
      t->nranges = static_cast<int>(out);
    }
    if (t->nranges == t->capacity) {
      int cap = t->capacity == 0 ? 16 : t->capacity * 2;
      t->ranges = static_cast<core::TimeRange*>(
          t->ranges == nullptr ? MemoryContextAlloc(TopTransactionContext, sizeof(core::TimeRange) * cap)
                               : repalloc(t->ranges, sizeof(core::TimeRange) * cap));
      t->capacity = cap;
    }
  }
  t->ranges[t->nranges++] = core::TimeRange{lo, hi};
}

void flush_slot(CaggTracker* t) {
  if (t->slot_lo < t->slot_hi) add_range(t, t->min, t->max);
  t->slot_lo = 1;
  t->slot_hi = 0;
}

// The captured rows' time ranges, merged as the tracker merges the others (one per chunk-interval
// slot at most 1024 ranges), for aggregates that cannot take them as delta rows.
core::TimeRange* captured_ranges(CaggTracker* t, size_t* n) {
  CaggTracker tmp;
  memset(&tmp, 0, sizeof tmp);
  tmp.slot_lo = 1;
  tmp.slot_hi = 0;
  tmp.interval = t->interval;
  for (int64 i = 0; i < t->ncaptured; i++) caggs_track(&tmp, t->captured_times[i]);
  flush_slot(&tmp);
  *n = tmp.nranges == 0 ? 0 : core::merge_ranges(tmp.ranges, tmp.nranges);
  return tmp.ranges;
}

// Gives up capturing in this transaction: the rows captured so far become ranges.
void drop_captured(CaggTracker* t) {
  t->capture_off = true;
  t->capture_below = core::kOpenStart;
  if (t->ncaptured == 0) return;
  size_t n;
  core::TimeRange* r = captured_ranges(t, &n);
  flush_slot(t);
  for (size_t i = 0; i < n; i++) add_range(t, r[i].lo, r[i].hi);
  t->ncaptured = 0;
  MemoryContextDelete(t->capture_cxt);
  t->capture_cxt = nullptr;
  t->captured = nullptr;
  t->captured_times = nullptr;
}

// Writes the transaction's ranges to the logs of the aggregates of each hypertable it wrote, and
// its captured rows as delta rows (or, for aggregates that cannot take them, as ranges).
void write_logs() {
  if (trackers == nullptr || !extension_is_active()) return;
  HASH_SEQ_STATUS status;
  hash_seq_init(&status, trackers);
  TrackerEntry* e;
  while ((e = static_cast<TrackerEntry*>(hash_seq_search(&status))) != nullptr) {
    CaggTracker* t = &e->tracker;
    flush_slot(t);
    if (t->nranges == 0 && t->ncaptured == 0) continue;
    size_t n = t->nranges == 0 ? 0 : core::merge_ranges(t->ranges, t->nranges);
    // The greatest time written (a TRUNCATE's range ends at kOpenEnd: unknown).
    int64 newest = core::kOpenStart;
    if (n > 0) newest = t->ranges[n - 1].hi;  // merged: sorted, disjoint
    for (int64 i = 0; i < t->ncaptured; i++) newest = Max(newest, t->captured_times[i]);
    size_t ncap = 0;
    core::TimeRange* cap = nullptr;
    TupleTableSlot* slot = nullptr;
    ListCell* lc;
    foreach (lc, cagg_list_by_raw(t->hypertable_id)) {
      auto* c = static_cast<Cagg*>(lfirst(lc));
      // Ordered against a refresh moving the threshold: see refresh_window.
      lock_threshold(c->mat_id, ShareLock);
      int64 threshold = read_threshold(c->mat_id);
      newest_note_written(c, newest);
      for (size_t i = 0; i < n; i++) {
        const core::TimeRange& r = t->ranges[i];
        if (r.lo >= threshold) continue;
        log_invalidation(c->mat_id, r.lo, Min(r.hi, threshold - 1));
      }
      if (t->ncaptured == 0) continue;
      // The captured rows below this aggregate's threshold (the others are not logged, as above).
      if (slot == nullptr) slot = MakeSingleTupleTableSlot(t->capture_desc, &TTSOpsMinimalTuple);
      Tuplestorestate* rows = tuplestore_begin_heap(false, false, work_mem);
      int64 nrows = 0;
      for (int64 i = 0; i < t->ncaptured; i++) {
        if (t->captured_times[i] >= threshold) continue;
        ExecStoreMinimalTuple(t->captured[i], slot, false);
        tuplestore_puttupleslot(rows, slot);
        nrows++;
      }
      bool written = nrows == 0 || inc_write_deltas(c, rows, t->capture_desc, nrows);
      tuplestore_end(rows);
      if (written) continue;
      if (cap == nullptr) cap = captured_ranges(t, &ncap);
      for (size_t i = 0; i < ncap; i++)
        if (cap[i].lo < threshold) log_invalidation(c->mat_id, cap[i].lo, Min(cap[i].hi, threshold - 1));
    }
    if (slot != nullptr) ExecDropSingleTupleTableSlot(slot);
    t->nranges = 0;
    t->ncaptured = 0;
  }
}

}  // namespace

}  // namespace strata::caggs

namespace strata {

using namespace caggs;

CaggTracker* caggs_tracker_for(const Hypertable* ht) {
  if (!cagg_exists_on(ht->id)) return nullptr;
  CaggTracker* t = tracker_for_id(ht->id, ht->interval);
  t->relid = ht->relid;
  // Until the statement says that it may capture (another statement of the transaction that is
  // still running, a trigger's say, captures no more).
  t->capture_below = core::kOpenStart;
  return t;
}

// Whether the rows inserted into rel (the hypertable or a chunk) are stored as given: no BEFORE
// (or INSTEAD OF) ROW INSERT trigger may change or skip them (the hypertable's own insert blocker
// fires only for rows written into the hypertable itself, never for rows routed to chunks) and no
// stored generated column is computed.
static bool rows_written_as_given(Relation rel) {
  TriggerDesc* td = rel->trigdesc;
  for (int i = 0; td != nullptr && i < td->numtriggers; i++) {
    const Trigger* tg = &td->triggers[i];
    if (TRIGGER_FOR_ROW(tg->tgtype) && TRIGGER_FOR_INSERT(tg->tgtype) &&
        (TRIGGER_FOR_BEFORE(tg->tgtype) || TRIGGER_FOR_INSTEAD(tg->tgtype)) &&
        strcmp(tg->tgname, "_strata_insert_blocker") != 0 && tg->tgenabled != TRIGGER_DISABLED)
      return false;
  }
  return rel->rd_att->constr == nullptr || !rel->rd_att->constr->has_generated_stored;
}

void caggs_capture_chunk(CaggTracker* t, Relation chunk) {
  // (a trigger created on the chunk itself, not on the hypertable: the rows routed to it so far,
  // captured before routing, become ranges, and so do the rest of the transaction's)
  if (!t->capture_off && !rows_written_as_given(chunk)) drop_captured(t);
}

void caggs_capture_begin(CaggTracker* t, Relation rel, bool plain_insert) {
  t->capture_below = core::kOpenStart;
  if (t->capture_off) return;
  if (!plain_insert || !rows_written_as_given(rel) || GetCurrentTransactionNestLevel() != 1 ||
      !inc_capture_enabled()) {
    // From now on in this transaction: a statement still running that captured must not mix
    // with one whose rows may differ from what it saw (the ranges are exact either way).
    drop_captured(t);
    return;
  }
  if (!t->threshold_known) {
    // The highest threshold now (thresholds only grow: a row below it at commit is logged, as
    // a delta row or a range, for each aggregate whose threshold it is below then).
    int64 highest = core::kOpenStart;
    ListCell* lc;
    foreach (lc, cagg_list_by_raw(t->hypertable_id)) highest = Max(highest, static_cast<Cagg*>(lfirst(lc))->threshold);
    t->capture_threshold = highest;
    t->threshold_known = true;
  }
  t->capture_below = t->capture_threshold;
}

void caggs_capture_slow(CaggTracker* t, int64 value, const Datum* values, const bool* isnull) {
  if (t->capture_cxt == nullptr) {
    t->capture_cxt = AllocSetContextCreate(TopTransactionContext, "strata captured late rows", ALLOCSET_DEFAULT_SIZES);
    MemoryContext old = MemoryContextSwitchTo(t->capture_cxt);
    Relation rel = RelationIdGetRelation(t->relid);
    if (!RelationIsValid(rel)) elog(ERROR, "could not open relation with OID %u", t->relid);
    t->capture_desc = CreateTupleDescCopy(RelationGetDescr(rel));
    RelationClose(rel);
    t->captured_cap = 1024;
    t->captured = static_cast<MinimalTuple*>(palloc(sizeof(MinimalTuple) * t->captured_cap));
    t->captured_times = static_cast<int64*>(palloc(sizeof(int64) * t->captured_cap));
    t->ncaptured = 0;
    t->captured_bytes = 0;
    MemoryContextSwitchTo(old);
  }
  if (t->ncaptured == t->captured_cap) {
    t->captured_cap *= 2;
    t->captured = static_cast<MinimalTuple*>(repalloc_huge(t->captured, sizeof(MinimalTuple) * t->captured_cap));
    t->captured_times = static_cast<int64*>(repalloc_huge(t->captured_times, sizeof(int64) * t->captured_cap));
  }
  TupleDesc desc = t->capture_desc;
  MemoryContext old = MemoryContextSwitchTo(t->capture_cxt);
  // Values read from another table may be TOAST pointers into it: kept as values.
  Datum* v = const_cast<Datum*>(values);
  Datum* copy = nullptr;
  for (int i = 0; i < desc->natts; i++) {
    Form_pg_attribute a = TupleDescAttr(desc, i);
    if (a->attlen != -1 || isnull[i] || !VARATT_IS_EXTERNAL(DatumGetPointer(values[i]))) continue;
    if (copy == nullptr) {
      copy = static_cast<Datum*>(palloc(sizeof(Datum) * desc->natts));
      memcpy(copy, values, sizeof(Datum) * desc->natts);
      v = copy;
    }
    copy[i] = PointerGetDatum(detoast_external_attr(reinterpret_cast<struct varlena*>(DatumGetPointer(values[i]))));
  }
  MinimalTuple mt = heap_form_minimal_tuple(desc, v, const_cast<bool*>(isnull));
  MemoryContextSwitchTo(old);
  t->captured[t->ncaptured] = mt;
  t->captured_times[t->ncaptured++] = value;
  t->captured_bytes += mt->t_len;
  // Memory bounded: past it the transaction's late rows are logged as ranges.
  if (t->captured_bytes > Max(static_cast<int64>(work_mem), static_cast<int64>(64 * 1024)) * 1024) drop_captured(t);
}

void caggs_track_slow(CaggTracker* t, int64 value) {
  flush_slot(t);
  int64 k = core::floor_div(value, t->interval);
  __int128 lo = static_cast<__int128>(k) * t->interval;
  __int128 hi = lo + t->interval;
  t->slot_lo = lo < PG_INT64_MIN ? PG_INT64_MIN : static_cast<int64>(lo);
  t->slot_hi = hi > PG_INT64_MAX ? PG_INT64_MAX : static_cast<int64>(hi);
  t->min = t->max = value;
  if (!(value >= t->slot_lo && value < t->slot_hi)) {  // at the very end of the axis
    add_range(t, value, value);
    t->slot_lo = 1;
    t->slot_hi = 0;
  }
}

void caggs_xact_event(XactEvent event) {
  switch (event) {
    case XACT_EVENT_PRE_COMMIT:
    case XACT_EVENT_PRE_PREPARE:
      pg::cpp_entry([] { write_logs(); });
      break;
    case XACT_EVENT_COMMIT:
    case XACT_EVENT_ABORT:
    case XACT_EVENT_PREPARE:
    case XACT_EVENT_PARALLEL_COMMIT:
    case XACT_EVENT_PARALLEL_ABORT:
      // TopTransactionContext is gone (or going) with the hashes.
      caggs::internal_depth = 0;
      caggs::trackers = nullptr;
      caggs::rels = nullptr;
      break;
    default:
      break;
  }
}

}  // namespace strata

using namespace strata;

// AFTER UPDATE OR DELETE row trigger (on the hypertable, cloned onto its chunks) and AFTER
// TRUNCATE statement trigger of hypertables with continuous aggregates.
STRATA_FUNCTION(strata_cagg_invalidation_trigger) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("cagg_invalidation_trigger must be called as a trigger")));
  auto* td = reinterpret_cast<TriggerData*>(fcinfo->context);
  if (!extension_is_active()) return PointerGetDatum(nullptr);
  Relation rel = td->tg_relation;
  Oid relid = RelationGetRelid(rel);
  caggs::init_hashes();
  bool found;
  auto* e = static_cast<caggs::RelEntry*>(hash_search(caggs::rels, &relid, HASH_ENTER, &found));
  if (!found) {
    e->tracker = nullptr;
    e->is_chunk = false;
    Hypertable* ht = hypertable_get(relid);
    if (ht == nullptr) {
      ChunkInfo chunk;
      if (chunk_get_by_relid(relid, &chunk)) {
        ht = hypertable_get_by_id(chunk.hypertable_id);
        e->is_chunk = true;
        e->chunk_start = chunk.range_start;
        e->chunk_end = chunk.range_end;
      }
    }
    if (ht != nullptr && caggs::cagg_exists_on(ht->id)) {
      e->tracker = caggs::tracker_for_id(ht->id, ht->interval);
      e->time_attno = get_attnum(relid, NameStr(ht->time_column));
      e->time_type = ht->time_type;
    }
  }
  CaggTracker* t = e->tracker;
  if (t == nullptr) return PointerGetDatum(nullptr);
  if (TRIGGER_FIRED_BY_TRUNCATE(td->tg_event)) {
    // Every bucket may have changed.
    caggs::add_range(t, PG_INT64_MIN, PG_INT64_MAX);
    return PointerGetDatum(nullptr);
  }
  if (!TRIGGER_FIRED_FOR_ROW(td->tg_event)) {
    // INSERT or COPY into a chunk by name (MERGE's INSERT too): the chunk's whole range. Through
    // the hypertable, ChunkDispatch and COPY have tracked each row already.
    if (TRIGGER_FIRED_BY_INSERT(td->tg_event) && e->is_chunk)
      caggs::add_range(t, e->chunk_start, e->chunk_end == core::kOpenEnd ? e->chunk_end : e->chunk_end - 1);
    return PointerGetDatum(nullptr);
  }
  bool isnull;
  Datum v = heap_getattr(td->tg_trigtuple, e->time_attno, RelationGetDescr(rel), &isnull);
  if (!isnull) caggs_track(t, time_datum_to_internal(v, e->time_type));
  if (TRIGGER_FIRED_BY_UPDATE(td->tg_event) && td->tg_newtuple != nullptr) {
    v = heap_getattr(td->tg_newtuple, e->time_attno, RelationGetDescr(rel), &isnull);
    if (!isnull) caggs_track(t, time_datum_to_internal(v, e->time_type));
  }
  return PointerGetDatum(nullptr);
}
