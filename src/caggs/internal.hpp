// Continuous aggregates, shared between the files of src/caggs: the catalog row, the analysis of
// the defining query (its time_bucket, the raw relation and time column), bucket arithmetic on
// the internal axis and statement helpers. C-style glue.
#pragma once

#include "caggs/caggs.hpp"

extern "C" {
#include "executor/tuptable.h"
#include "nodes/parsenodes.h"
#include "utils/snapshot.h"
#include "utils/tuplestore.h"
}

namespace strata {
// strata.cagg_fillfactor (incremental.cpp)
extern int guc_cagg_fillfactor;
}  // namespace strata

namespace strata::caggs {

// Column numbers of the catalog tables (src/sql/70_caggs.sql).
enum { Anum_ca_mat_id = 1, Anum_ca_raw_id, Anum_ca_parent_id, Anum_ca_user_schema, Anum_ca_user_name,
       Anum_ca_direct_schema, Anum_ca_direct_name, Anum_ca_mat_only, Anum_ca_bucket_width,
       Anum_ca_threshold, Anum_ca_watermark, Natts_ca = Anum_ca_watermark };
enum { Anum_inv_mat_id = 1, Anum_inv_lowest, Anum_inv_greatest, Natts_inv = Anum_inv_greatest };

struct CaggOids {
  Oid cagg;              // _strata_catalog.continuous_agg
  Oid cagg_pkey;         // (mat_hypertable_id)
  Oid cagg_raw_idx;      // (raw_hypertable_id)
  Oid cagg_name_idx;     // (user_view_schema, user_view_name)
  Oid invalidation;      // _strata_catalog.continuous_agg_invalidation
  Oid invalidation_idx;  // (mat_hypertable_id, lowest)
};
// Valid while extension_is_active().
const CaggOids& cagg_oids();

// One row of _strata_catalog.continuous_agg, with the OIDs of its objects resolved.
struct Cagg {
  int32 mat_id;
  int32 raw_id;
  int32 parent_mat_id;  // 0: none
  NameData user_schema;
  NameData user_name;
  NameData direct_schema;
  NameData direct_name;
  bool materialized_only;
  char* bucket_width;
  int64 threshold;
  int64 watermark;
  Oid user_view;    // InvalidOid when missing
  Oid direct_view;
};

Cagg* cagg_get_by_mat_id(int32 mat_id);
// The continuous aggregate whose user view is `relid`, or nullptr.
Cagg* cagg_get_by_view(Oid relid);
// The continuous aggregates built on hypertable `raw_id` (a List of Cagg*).
List* cagg_list_by_raw(int32 raw_id);
// Whether hypertable `ht_id` has continuous aggregates (cached per backend).
bool cagg_exists_on(int32 ht_id);
// The continuous aggregate whose materialization hypertable is `relid`, or nullptr.
Cagg* cagg_get_by_mat_relid(Oid relid);

// Locks on a continuous aggregate, held to the end of the transaction. The threshold lock orders
// the writers that log invalidations (share) against a refresh moving the threshold (exclusive);
// the refresh lock serializes refreshes of one aggregate.
void lock_threshold(int32 mat_id, LOCKMODE mode);
void lock_refresh(int32 mat_id);
void unlock_threshold(int32 mat_id);  // an exclusive lock_threshold

// Reads the latest committed threshold (after lock_threshold).
int64 read_threshold(int32 mat_id);

// Catalog writes (direct heap access).
void log_invalidation(int32 mat_id, int64 lowest, int64 greatest);
// Removes [start, end) from the log of an aggregate: entries overlapping it are deleted and their
// parts outside it written back. Under the aggregate's refresh lock.
void consume_log(int32 mat_id, int64 start, int64 end);

// ---- The defining query ----------------------------------------------------------------------

struct BucketFn {
  Oid funcid;
  int nargs;
  Datum args[5];
  bool argnull[5];
  Oid type;        // type of the bucketed time value (and of the bucket)
  Oid collation;
  int64 nominal;   // upper bound on a bucket's length on the internal axis
  bool variable;   // months or a time zone: bucket lengths vary
  FmgrInfo flinfo;
};

struct QueryInfo {
  Query* query;           // the defining query
  Index raw_rti;          // range table index of the raw relation
  Oid raw_relid;          // the hypertable, or the user view of the aggregate below
  Hypertable* raw_ht;     // hypertable whose writes invalidate (the raw one, or the mat one below)
  Cagg* parent;           // the aggregate below, or nullptr
  AttrNumber time_attno;  // of the raw relation (as the query sees it)
  Oid time_type;
  TargetEntry* bucket_tle;
  BucketFn bucket;
};

// Analyzes (and validates, raising the errors of CREATE) a defining query.
void analyze_query(Query* query, QueryInfo* out);
// The defining query of an existing aggregate (its direct view), analyzed.
void load_query(const Cagg* cagg, QueryInfo* out);

// Bucket arithmetic on the internal axis (open ends stay open).
int64 bucket_floor(BucketFn* b, int64 value);
int64 bucket_next(BucketFn* b, int64 start);

// The query restricted to raw time values in [$1, $2) (parameters of the time type), as SQL text
// that names every object with its schema.
char* restricted_query_sql(const QueryInfo* qi);
// The query with raw time values at or above the watermark of `mat_id` (real-time part).
char* realtime_query_sql(const QueryInfo* qi, int32 mat_id);
// Deparses a query with every name schema-qualified.
char* deparse_query(Query* query);

// ---- Statements --------------------------------------------------------------------------------

// > 0 while run_sql runs a statement: the ProcessUtility handler leaves those alone.
extern int internal_depth;

// Runs `sql` through SPI with search_path = pg_catalog, pg_temp; as the bootstrap superuser when
// `internal`, else as the current user.
void run_sql(const char* sql, bool internal);
// The same with arguments; returns SPI_processed.
uint64 run_sql_args(const char* sql, int nargs, Oid* types, Datum* values, bool internal);

// The extension's schema, quoted.
const char* ext_schema_quoted();

struct RefreshOptions {
  bool force;             // recompute the whole window, logged or not
  bool batched;           // commit between batches (non-atomic procedure call)
  bool verbose;           // NOTICE when there is nothing to do
  int64 batch_buckets;    // buckets per batch; 0: strata.cagg_refresh_batch_buckets or automatic
  int64 max_batches;      // stop after this many batches (the rest stays logged); 0: no limit
  bool newest_first;      // recompute the newest invalidated buckets first
};

// Refreshes buckets [start, end) of the window. Used by refresh_continuous_aggregate, the
// refresh policy and CREATE ... WITH DATA. `qi`: the aggregate's query when the caller has
// loaded it already (nullptr: loaded here).
void refresh_window(Cagg* cagg, int64 start, int64 end, const RefreshOptions* opt, const QueryInfo* qi = nullptr);

// The invalidation log of an aggregate, as an array of ranges (palloc'd).
core::TimeRange* read_log(int32 mat_id, int* n);

// ---- The newest raw time, for refreshes with an open end (newest.cpp) ----------------------

// Called from caggs_init (in _PG_init).
void newest_init();
// Writer, at pre-commit, for each aggregate of a hypertable it wrote: the greatest time it wrote
// (kOpenEnd: unbounded, e.g. TRUNCATE: the value becomes unknown).
void newest_note_written(const Cagg* c, int64 newest);
// The newest raw time of the aggregate when known (kOpenStart: no row): never smaller than the
// time of any committed raw row, possibly larger. False: unknown (read the raw rows).
bool newest_lookup(const Cagg* c, int64* out);
// After reading all raw rows: their newest time (kOpenStart: none); the value becomes known.
void newest_found(const Cagg* c, int64 newest);
// CREATE of aggregate `mat_id`: forgets what an earlier aggregate of that id left.
void newest_reset(int32 mat_id);
// The newest time of the rows of plain raw chunk `chunk_relid` of `ht` (all of them), read through
// a btree index holding the time column (newest_index.cpp): *found false when it has none. False
// when no index qualifies or the scan gave up (then read the rows).
bool chunk_newest_by_index(Oid chunk_relid, const Hypertable* ht, bool* found, int64* out);

// ---- Incremental maintenance from late rows (incremental.cpp) ------------------------------

// Whether INSERT and COPY capture late rows (strata.cagg_incremental, and the delta table is
// there).
bool inc_capture_enabled();
// At pre-commit: the aggregate's query over the captured rows (`rows`, `nrows` rows of the
// hypertable's layout `desc`) written as delta rows of `c`. False, having written nothing, when
// the aggregate is not maintained incrementally (its caller logs the rows' ranges instead).
bool inc_write_deltas(Cagg* c, Tuplestorestate* rows, TupleDesc desc, int64 nrows);
// At refresh, under the refresh lock: adds the delta rows of buckets in [start, end) that no
// range of the log covers into the materialization (`mat_q`, quoted) and deletes them. When the
// aggregate is not maintained incrementally (the setting is off), logs their buckets instead.
// True when it changed the materialization; then *merged_end is the end of the newest bucket
// it merged delta rows into.
bool inc_apply_deltas(Cagg* cagg, QueryInfo* qi, const char* mat_q, int64 start, int64 end, int64* merged_end);
// Whether the aggregate of `qi` combines delta rows exactly (its refreshes merge late rows into
// the materialized rows in place).
bool inc_mergeable(const QueryInfo* qi);
// Deletes the delta rows of buckets in [start, end) that `snapshot` sees.
void inc_discard_deltas(int32 mat_id, int64 start, int64 end, Snapshot snapshot);

// ---- Writing a refresh batch's rows (mat_write.cpp) -------------------------------------------

// The next row to write into `slot` (of the aggregation's descriptor); false at the end.
using MatRowSource = bool (*)(void* arg, TupleTableSlot* slot);
// Whether rows of descriptor `desc` (the aggregation's output) may be written by mat_write into
// materialization hypertable `mat` (strata.cagg_refresh_bulk_write; no columnstore, no hash
// dimension, no aggregate above it, no trigger but its insert blocker, the same column types).
bool mat_write_possible(const Hypertable* mat, TupleDesc desc);
// Whether no chunk of `mat` overlaps [start, end) yet: every row of a batch there goes into a chunk
// that the batch creates, whose indexes mat_write builds after its rows (no need to sort them).
bool mat_write_fresh_range(const Hypertable* mat, int64 start, int64 end);
// Writes the rows of a batch over buckets [start, end) into the chunks of `mat` (created as
// needed), under the active snapshot; returns the number of rows, or UINT64_MAX, having written
// nothing, when an existing chunk there has triggers of its own (the caller writes with INSERT).
uint64 mat_write(const Hypertable* mat, MatRowSource next, void* arg, TupleDesc desc, int64 start, int64 end);
// An automatic batch [*batch_lo, *batch_hi) of region [lo, hi) (rows from bucket `from` on)
// extended over the materialization chunk that does not exist yet where it starts (newest first:
// ends), up to that chunk's end or the next existing chunk, at most kMaxFreshBatches batches of
// `max_buckets`: one transaction fills a new chunk and builds its indexes once.
void mat_fresh_batch(const Hypertable* mat, BucketFn* b, int64 max_buckets, bool newest_first, int64 from,
                     int64 lo, int64 hi, int64* batch_lo, int64* batch_hi);

// Builds the user view's SQL text (materialized only, or with real-time aggregation).
char* user_view_sql(const Cagg* cagg, const QueryInfo* qi, const char* mat_schema, const char* mat_table,
                    bool materialized_only);

}  // namespace strata::caggs
