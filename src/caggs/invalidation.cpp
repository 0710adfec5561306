// The invalidation log's writers: INSERT (ChunkDispatch) and COPY note the time of each row in
// the transaction's tracker of the hypertable (caggs_track); UPDATE, DELETE and TRUNCATE reach
// it through triggers. At pre-commit the ranges are merged, one per chunk-interval slot, and
// written once per aggregate, below the aggregate's invalidation threshold only.
#include "caggs/internal.hpp"

#include "core/time/chunk_range.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "commands/trigger.h"
#include "utils/hsearch.h"
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

// Writes the transaction's ranges to the logs of the aggregates of each hypertable it wrote.
void write_logs() {
  if (trackers == nullptr || !extension_is_active()) return;
  HASH_SEQ_STATUS status;
  hash_seq_init(&status, trackers);
  TrackerEntry* e;
  while ((e = static_cast<TrackerEntry*>(hash_seq_search(&status))) != nullptr) {
    CaggTracker* t = &e->tracker;
    flush_slot(t);
    if (t->nranges == 0) continue;
    size_t n = core::merge_ranges(t->ranges, t->nranges);
    ListCell* lc;
    foreach (lc, cagg_list_by_raw(t->hypertable_id)) {
      auto* c = static_cast<Cagg*>(lfirst(lc));
      // Ordered against a refresh moving the threshold: see refresh_window.
      lock_threshold(c->mat_id, ShareLock);
      int64 threshold = read_threshold(c->mat_id);
      for (size_t i = 0; i < n; i++) {
        const core::TimeRange& r = t->ranges[i];
        if (r.lo >= threshold) continue;
        log_invalidation(c->mat_id, r.lo, Min(r.hi, threshold - 1));
      }
    }
    t->nranges = 0;
  }
}

}  // namespace

}  // namespace strata::caggs

namespace strata {

using namespace caggs;

CaggTracker* caggs_tracker_for(const Hypertable* ht) {
  if (!cagg_exists_on(ht->id)) return nullptr;
  return tracker_for_id(ht->id, ht->interval);
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
