// The ColumnarScan custom scan (docs/COLUMNSTORE.md, "Scanning a compressed chunk"): planning
// (scan_plan.cpp) puts it in place of a compressed chunk's heap scan, the executor node
// (scan_exec.cpp) reads the companion table's batches, skips batches from their metadata, decodes
// only the columns the query needs (scan_bridge.cpp, pure C++) and filters rows before forming
// tuples. C-style glue.
#pragma once

#include "catalog/catalog.hpp"

extern "C" {
#include "nodes/extensible.h"
#include "nodes/pathnodes.h"
}

namespace strata::columnstore {

// Setting strata.enable_columnar_pushdown (registered by src/hooks/init.cpp): with it off,
// compressed chunks are still read by ColumnarScan (there is no other way to read them), but every
// restriction is evaluated by PostgreSQL on the formed rows: the reference the tests compare with.
extern bool guc_enable_columnar_pushdown;

// Registers ColumnarScan's custom scan methods and installs the planner's hook point for
// compressed chunks; once, from _PG_init.
void scan_init();

// Planner hook point (planner/planner.hpp, compressed_chunk_paths): replaces the paths of a
// compressed chunk's rel with ColumnarScan paths (an Append with the row part's cheapest path when
// the chunk is partial).
void add_columnar_paths(PlannerInfo* root, RelOptInfo* hypertable_rel, RelOptInfo* chunk_rel,
                        const ChunkInfo* chunk);

// Relcache invalidation handler (run by the hook dispatcher, src/hooks): the planner's cache of
// compressed chunks' layouts goes stale on a change of strata's catalog or of a cached chunk.
void columnar_relcache_invalidated(Oid relid);

// Planner hook point (planner/planner.hpp, compressed_distinct_path): an ordered ColumnarScan
// path whose order starts with a segmentby column that is DISTINCT ON's key, as a path that
// returns the first row of each segment value only (one batch decoded per segment).
Path* columnar_distinct_path(PlannerInfo* root, Path* path, PathKey* key);

// Plan layout shared by scan_plan.cpp and scan_exec.cpp.
namespace scanplan {
// custom_private = list_make6(meta, attrs, kernel preds, batch filters, orderby, index keys).
// kSegKeys: how many of the orderby keys (first) are segmentby columns; kDistinct: 1 when the scan
// returns only the first row of each value of those (DISTINCT ON them, see skip_scan.cpp);
// kBatches: the planner's estimate of the companion's rows (for costs); kSegSuffix: how many of the
// orderby keys (last, after every orderby column) are segmentby columns that break the ties of the
// orderby columns (ORDER BY time, host); kLimited: 1 when the query has a LIMIT the planner
// passes down (root->limit_tuples), so an ordered scan is likely to open few of its batches.
enum Meta { kCompanion, kCountAttno, kSeqAttno, kOrdered, kChunkRelid, kNSegQuals, kSegKeys, kDistinct, kBatches,
           kSegSuffix, kLimited, kMetaLen };
// attrs: kAttrFields ints per chunk attribute 1..natts.
enum Attr { kRole, kCompAttno, kCodecType, kMinAttno, kMaxAttno, kNullsAttno, kBloomAttno, kNeeded, kAttrFields };
enum Role { kRoleNone = 0, kRoleSegment = 1, kRoleData = 2 };
// kernel predicates: kPredFields ints each.
enum Pred { kPredAttno, kPredOp, kPredConst, kPredIsArray, kPredFields };
// batch filters (metadata): kFilterFields ints each.
enum FilterKind { kFilterMinMax = 0, kFilterNullTest = 1, kFilterBloom = 2 };
enum Filter { kFilterKind, kFilterAttno, kFilterStrategy, kFilterConst, kFilterIsArray, kFilterProc,
              kFilterCollation, kFilterFields };
// index keys (on the companion's btree over segmentby columns and the first min column): kKeyFields
// ints each; the value is a constant of custom_exprs (kConsts), an array for = ANY.
enum Key { kKeyCompAttno, kKeyStrategy, kKeyConst, kKeyIsArray, kKeyProc, kKeySubtype, kKeyCollation, kKeyFields };
// orderby (ordered scans): kOrderFields ints per key, in the order the node returns rows.
enum Order { kOrderAttno, kOrderSortOp, kOrderCollation, kOrderNullsFirst, kOrderFields };
// custom_exprs = list_make4(segment quals on companion columns, the same on chunk columns (for
// EXPLAIN), pushed-down clauses (for EXPLAIN), constants of predicates and filters).
enum Exprs { kSegQuals, kSegDisplay, kPushedDisplay, kConsts };
}  // namespace scanplan

// Executor side (scan_exec.cpp).
Node* columnar_create_state(CustomScan* cscan);
extern const CustomScanMethods columnar_scan_methods;

// Parallel scans (scan_parallel.cpp). Setting strata.enable_columnstore_parallel_scan (registered by
// src/hooks/init.cpp): with it off compressed chunks get no partial paths.
extern bool guc_enable_columnstore_parallel_scan;
// Planner: makes `path` (a fresh unordered ColumnarScan path of the chunk) parallel-aware and adds
// it to the rel's partial paths; with `rowpart` (the row part's cheapest path, when the chunk is
// partial) in a partial Append with a parallel scan of the row part (the cheapest of
// `rowpart_partial`, the rel's partial paths before the columnstore took over, or a parallel
// seq scan). `io_cost`: the part of the path's cost that workers do not divide.
void add_columnar_partial_path(PlannerInfo* root, RelOptInfo* rel, CustomPath* path, double uncompressed_bytes,
                               Cost io_cost, Path* rowpart, List* rowpart_partial);
// Executor: the share of one participant of a parallel-aware ColumnarScan. Every participant reads
// the companion's rows in the same order (same snapshot, same scan, no synchronized start) and
// takes the ones it claims from a shared counter, so each batch is decoded by exactly one of them.
struct ColumnarParallel;
// Whether the participant takes the companion row it just fetched (always when not parallel).
bool columnar_parallel_take(ColumnarParallel* par);
// At each scan start: the participant's position back to the first companion row.
void columnar_parallel_restart(ColumnarParallel* par);
// The CustomExecMethods callbacks.
Size columnar_estimate_dsm(CustomScanState* node, ParallelContext* pcxt);
void columnar_initialize_dsm(CustomScanState* node, ParallelContext* pcxt, void* coordinate);
void columnar_reinitialize_dsm(CustomScanState* node, ParallelContext* pcxt, void* coordinate);
void columnar_initialize_worker(CustomScanState* node, shm_toc* toc, void* coordinate);
void columnar_shutdown(CustomScanState* node);
// EXPLAIN ANALYZE counters (batches total, skipped, decoded, rows filtered) of the other
// participants, added to `counters` (the leader's own, after the workers have finished).
void columnar_parallel_counters(ColumnarParallel* par, int64 counters[4]);
// scan_exec.cpp: the node's parallel share (nullptr until the callbacks set it) and its counters.
ColumnarParallel** columnar_parallel_slot(CustomScanState* node);
void columnar_own_counters(CustomScanState* node, int64 counters[4]);

// For the aggregation node (agg_plan.cpp, agg_exec.cpp), which reads batches instead of rows.
// Whether a path is a ColumnarScan path (scan_plan.cpp).
bool is_columnar_path(const Path* path);
// The next batch of a ColumnarScan node with selected rows (after its segment quals, batch filters
// and kernel predicates), without forming tuples; false at the end. `selection` has bit i of word
// i/64 set for each surviving row; `companion` holds the batch's companion row (segment values,
// count and metadata).
struct ColumnarBatch {
  TupleTableSlot* companion;
  uint64 rows;
  const uint64* selection;
};
bool columnar_next_batch(CustomScanState* node, ColumnarBatch* out);
// The decoded column of chunk attribute `attno` in the current batch, as the bridge's flat arrays
// (scan_bridge.hpp, BridgeColumn: rows, validity, fixed); false when the node does not decode it.
bool columnar_batch_column(CustomScanState* node, AttrNumber attno, uint64* rows, const uint8** validity,
                           const uint8** fixed);
// The bytes of row `row` of a decoded Varlen or Uuid column (the varlena's data without its header;
// false when NULL).
bool columnar_batch_bytes(CustomScanState* node, AttrNumber attno, uint64 row, const uint8** data, size_t* len);
// A decoded Varlen column in dictionary form: a code per row and the number of entries (false when
// it is materialised); columnar_batch_entry gives an entry's bytes.
bool columnar_batch_codes(CustomScanState* node, AttrNumber attno, const uint32** codes, uint64* nentries);
void columnar_batch_entry(CustomScanState* node, AttrNumber attno, uint32 code, const uint8** data, size_t* len);

}  // namespace strata::columnstore
