// Continuous aggregates: what the rest of strata calls. Everything else of the feature (catalog,
// CREATE / ALTER / DROP, refresh, invalidation log, real-time watermark, policies) lives in
// src/caggs. C-style glue: nothing here owns an object with a destructor.
#pragma once

#include "catalog/catalog.hpp"
#include "core/caggs/ranges.hpp"
#include "pg/handlers.hpp"

extern "C" {
#include "access/htup.h"
#include "access/tupdesc.h"
#include "access/xact.h"
#include "nodes/params.h"
#include "nodes/plannodes.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/relcache.h"
}

namespace strata {

// ---- Handlers, run by the hook dispatcher (src/hooks) ----------------------------------------

// Defines the feature's settings. Called once from _PG_init.
void caggs_init();

// shmem_request_hook / shmem_startup_hook (when preloaded): the newest raw time of each
// aggregate (src/caggs/newest.cpp).
void caggs_request_shmem();
void caggs_startup_shmem();

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
  // Rows with a time below this are captured whole (incremental maintenance, caggs_track_row);
  // kOpenStart (nothing is below it) unless the running statement called caggs_capture_begin.
  int64 capture_below;
  // private to src/caggs
  int32 hypertable_id;
  int64 interval;
  int nranges;
  int capacity;
  core::TimeRange* ranges;
  Oid relid;                  // the hypertable
  bool capture_off;           // for the rest of the transaction (a statement that cannot capture ran)
  bool threshold_known;       // capture_threshold read in this transaction
  int64 capture_threshold;    // the highest invalidation threshold of the aggregates
  MemoryContext capture_cxt;  // the captured rows (MinimalTuples), or nullptr
  TupleDesc capture_desc;     // the hypertable's row layout
  MinimalTuple* captured;
  int64* captured_times;      // their times
  int64 ncaptured;
  int64 captured_cap;
  int64 captured_bytes;
};

// The transaction's tracker for rows written to `ht`, or nullptr when no continuous aggregate is
// built on it (the common case: a cached hash lookup). Call once per statement.
CaggTracker* caggs_tracker_for(const Hypertable* ht);
// Bumped whenever the cache of which hypertables have continuous aggregates is dropped: while it
// stays unchanged, caggs_tracker_for(ht) keeps returning nullptr for a hypertable it returned
// nullptr for.
uint64 caggs_exists_generation();

void caggs_track_slow(CaggTracker* t, int64 value);

// Called by an INSERT or COPY statement into hypertable `rel` once before its first row (after
// caggs_tracker_for), with `plain_insert` false for an INSERT ... ON CONFLICT: whether its rows
// may be captured for incremental maintenance, i.e. every row it hands to caggs_track_row is
// written as it is (no ON CONFLICT, no BEFORE ROW trigger, no stored generated column). Rows
// are captured only at the top level of the transaction (not in a subtransaction), and only
// below the invalidation threshold of an aggregate.
void caggs_capture_begin(CaggTracker* t, Relation rel, bool plain_insert);
// Called for each chunk a statement that called caggs_capture_begin opens for its rows: a chunk
// whose rows may not be stored as given (a BEFORE ROW INSERT trigger of its own) ends capturing.
void caggs_capture_chunk(CaggTracker* t, Relation chunk);

void caggs_capture_slow(CaggTracker* t, int64 value, const Datum* values, const bool* isnull);

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

// The same for INSERT and COPY, with the row itself (in the hypertable's layout): a row below
// capture_below (a late row) is kept for incremental maintenance instead (one comparison more).
inline void caggs_track_row(CaggTracker* t, int64 value, const Datum* values, const bool* isnull) {
  if (value < t->capture_below) {
    caggs_capture_slow(t, value, values, isnull);
    return;
  }
  caggs_track(t, value);
}

}  // namespace strata
