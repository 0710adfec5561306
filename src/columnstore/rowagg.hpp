// Aggregation of rowstore (heap) chunks by strata instead of PostgreSQL's Partial Aggregate
// (docs/ARCHITECTURE.md, "Aggregating rowstore chunks"): the RowstoreAggregate custom scan reads
// the rows of its child scan of the chunk (PostgreSQL's own scan with its quals, so visibility and
// restrictions are PostgreSQL's), groups them by a time_bucket() with constant arguments and by
// columns whose equality is byte equality (integers, dates, timestamps, bool, and text, varchar
// and bytea under a deterministic collation) in a hash table keyed by 64-bit words, accumulates
// count(*), count, sum and avg of integers and min / max of integers, dates, timestamps and floats
// natively (agg_exec.hpp's accumulators) and emits PostgreSQL's partial states, which the Finalize
// Aggregate of the columnstore pushdown's plan (agg_plan.cpp) combines. C-style glue.
#pragma once

#include "pg/pg.hpp"

extern "C" {
#include "nodes/extensible.h"
#include "nodes/pathnodes.h"
}

namespace strata::columnstore {

// Setting strata.enable_rowstore_agg (registered by src/hooks/init.cpp).
extern bool guc_enable_rowstore_agg;
// Setting strata.rowstore_agg_direct_scan: RowstoreAggregate reads a heap chunk's pages itself
// (rowagg_exec.cpp, direct_setup) when its child is a SeqScan without quals.
extern bool guc_rowstore_agg_direct_scan;
// Setting strata.rowstore_agg_parallel: parallel workers share RowstoreAggregate's direct scans.
extern bool guc_rowstore_agg_parallel;
// Setting strata.rowstore_agg_realtime: the real-time tail of a continuous aggregate (the chunks
// read under `time >= cagg_watermark(...)`) aggregated by parallel RowstoreAggregates whatever
// strata.enable_rowstore_agg says (agg_plan.cpp, add_rowagg_tail_path).
extern bool guc_rowstore_agg_realtime;

// Whether the aggregation `partial` (the partial grouping target over the hypertable rel
// `parent`) can be computed by RowstoreAggregate: checked once per query, before any chunk.
bool rowagg_query_supported(PlannerInfo* root, RelOptInfo* parent, PathTarget* partial);

// The RowstoreAggregate path over `sub` (a path of the uncompressed chunk, or of a compressed
// chunk's row part) computing `target` (the partial target translated to the chunk), or NULL.
Path* rowagg_path(PlannerInfo* root, RelOptInfo* child, Path* sub, PathTarget* target, double groups);

// The parallel-aware RowstoreAggregate of the chunk `child` for a partial plan of `workers` workers
// under a Gather: each participant reads a share of the chunk's heap blocks (claimed from shared
// memory) and emits the partial groups of its rows; or NULL (a filter on the chunk, not a plain
// relation, settings off).
Path* rowagg_partial_path(PlannerInfo* root, RelOptInfo* child, PathTarget* target, double groups, int workers);

// The parallel-aware RowstoreAggregate of the chunk `child` of the real-time tail: like
// rowagg_partial_path, with the chunk's restrictions all `time >= cagg_watermark(...)` (or >),
// which the node drops at executor start when the chunk's range lies at or above the watermark
// (then it reads the heap directly) and otherwise leaves to its child's scan, read whole by one
// participant; with `workers` 0, the serial node over the chunk's sequential scan. NULL otherwise,
// or with strata.rowstore_agg_realtime off.
Path* rowagg_tail_partial_path(PlannerInfo* root, RelOptInfo* child, PathTarget* target, double groups, int workers);

// The groups a chunk `child` can hold when `target` (translated to the chunk) groups by a
// time_bucket() of constant width of the hypertable's time column: its buckets times the groups
// of the other grouping columns; infinity when that cannot be said (also used by agg_plan.cpp).
double bucketed_groups(PlannerInfo* root, RelOptInfo* child, AppendRelInfo* appinfo, PathTarget* target, double rows);

// Registers the custom scan methods; once, from agg_init.
void rowagg_init();

// Setting strata.rowstore_agg_tail (src/hooks/init.cpp): add_rowagg_tail_paths on.
extern bool guc_rowstore_agg_tail;

// The partial grouping target of an aggregation (agg_plan.cpp), NULL when it has none.
PathTarget* make_partial_target(PlannerInfo* root, PathTarget* grouping_target, Node* having);

// The RowstoreAggregate path over `append`, a ChunkAppend path of the hypertable rel `rel`,
// computing `target` (rel's partial target): the node reads the children the ChunkAppend keeps at
// executor start itself (rowagg_exec.cpp); NULL when the target cannot be computed natively.
Path* rowagg_append_path(PlannerInfo* root, RelOptInfo* rel, Path* append, PathTarget* target, double groups);

// create_upper_paths_hook handler (rowagg_tail.cpp): at UPPERREL_GROUP_AGG over a hypertable read
// by a ChunkAppend with bitmap heap scan children (a filtered real-time tail), a Finalize
// Aggregate over a RowstoreAggregate over that ChunkAppend.
void add_rowagg_tail_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel, RelOptInfo* output_rel,
                           void* extra);

}  // namespace strata::columnstore
