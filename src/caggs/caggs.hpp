// Continuous aggregates: what the rest of strata calls. Everything else of the feature (catalog,
// CREATE / ALTER / DROP, refresh, invalidation log, real-time watermark, policies) lives in
// src/caggs. C-style glue: nothing here owns an object with a destructor.
#pragma once

#include "catalog/catalog.hpp"
#include "core/caggs/ranges.hpp"
#include "pg/handlers.hpp"

extern "C" {
#include "access/xact.h"
#include "nodes/params.h"
#include "nodes/plannodes.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
}

namespace strata {

// ---- Handlers, run by the hook dispatcher (src/hooks) ----------------------------------------

// Defines the feature's settings. Called once from _PG_init.
void caggs_init();

// ProcessUtility: CREATE MATERIALIZED VIEW ... WITH (timescaledb.continuous), ALTER / DROP /
// RENAME of continuous aggregates, and refusals (REFRESH MATERIALIZED VIEW, DROP VIEW of one).
// Returns true when it handled the statement (the standard processing must then not run).
bool caggs_process_utility(PlannedStmt* pstmt, const char* query_string, bool read_only_tree,
                           ProcessUtilityContext context, ParamListInfo params,
                           QueryEnvironment* query_env, DestReceiver* dest, QueryCompletion* qc);

// ProcessUtility wrap handler (outside ddl's): runs caggs_process_utility, and the rest of the
// chain when it did not handle the statement.
void caggs_wrap_utility(const pg::UtilityCall* call);

// Transaction event handler: writes the ranges this transaction modified in hypertables with
// continuous aggregates to their invalidation logs (at pre-commit / pre-prepare), and forgets
// them at the end of the transaction.
void caggs_xact_event(XactEvent event);

// Cache invalidation handlers (which hypertables have aggregates, catalog OIDs).
void caggs_relcache_invalidated(Oid relid);
void caggs_namespace_invalidated(int cacheid, uint32 hashvalue);

// ---- drop_chunks on a hypertable with continuous aggregates ----------------------------------

// Called by drop_chunks before it locks the chunks: takes the refresh lock of every aggregate on
// `ht` (the order a refresh takes them in), so a refresh batch never runs between the drop and
// its log update.
void caggs_chunks_dropping(const Hypertable* ht);
// Called after chunk [start, end) of `ht` was dropped: removes the whole buckets of that range
// from the invalidation logs of its aggregates, so a refresh does not recompute (empty) buckets
// whose raw data is gone; the materialized buckets outlive the raw data.
void caggs_chunk_dropped(const Hypertable* ht, int64 start, int64 end);

// ---- Invalidation tracking on the write paths (INSERT through ChunkDispatch, COPY) ---------

// Per transaction and hypertable: the time values written, as one [min, max] per chunk-interval
// slot (plus the slots already left). Kept in TopTransactionContext.
struct CaggTracker {
  int64 slot_lo;  // the current slot [slot_lo, slot_hi); empty until the first value
  int64 slot_hi;
  int64 min;
  int64 max;
  // private to src/caggs
  int32 hypertable_id;
  int64 interval;
  int nranges;
  int capacity;
  core::TimeRange* ranges;
};

// The transaction's tracker for rows written to `ht`, or nullptr when no continuous aggregate is
// built on it (the common case: a cached hash lookup). Call once per statement.
CaggTracker* caggs_tracker_for(const Hypertable* ht);

void caggs_track_slow(CaggTracker* t, int64 value);

// Records that a row with time `value` (internal axis) was written. One or two comparisons in
// the common case (same chunk slot as the previous row).
inline void caggs_track(CaggTracker* t, int64 value) {
  if (value >= t->slot_lo && value < t->slot_hi) {
    if (value < t->min) t->min = value;
    if (value > t->max) t->max = value;
    return;
  }
  caggs_track_slow(t, value);
}

}  // namespace strata
