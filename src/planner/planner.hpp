// Query planning over hypertables: the settings and the hook handlers of src/planner (run by
// the hook dispatcher, src/hooks).
#pragma once

#include "catalog/catalog.hpp"
#include "pg/handlers.hpp"

extern "C" {
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"
}

namespace strata {

// Settings strata.enable_chunk_exclusion, strata.enable_ordered_append and
// strata.enable_runtime_exclusion (registered as settings by src/hooks/init.cpp).
extern bool guc_enable_chunk_exclusion;
extern bool guc_enable_ordered_append;
extern bool guc_enable_chunk_index_sharing;
extern bool guc_enable_chunk_path_cloning;
// Setting strata.enable_chunk_plan_copies (chunks an ordered LIMIT will not reach, planner.cpp).
extern bool guc_enable_chunk_plan_copies;
extern bool guc_enable_runtime_exclusion;
// Setting strata.enable_parallel_chunk_append (partial ChunkAppend paths, planner.cpp).
extern bool guc_enable_parallel_chunk_append;
// Setting strata.enable_skipscan (src/planner/skip_scan.cpp).
extern bool guc_enable_skipscan;
// Setting strata.enable_bucket_agg (src/planner/bucket_agg.cpp).
extern bool guc_enable_bucket_agg;

// Registers ChunkAppend's custom scan methods; once, from _PG_init.
void planner_init();

// planner, before planning: marks the hypertable RTEs of every query level (not an INSERT's
// target, not ONLY, not TABLESAMPLE) so that PostgreSQL
// does not expand their inheritance tree (expand_hypertable_rel does, with chunk exclusion).
void mark_hypertable_rtes(const pg::PlannerCall* call);
// get_relation_info: marks hypertable RTEs that appear only during planning (inlined SQL
// function bodies), before PostgreSQL expands inheritance, and those that a SELECT level reads alone,
// which mark_hypertable_rtes left `inh` so that their rel is built without the hypertable's own
// indexes; for every taken-over hypertable that is the target of UPDATE/DELETE/MERGE or row-locked,
// adds the junk columns its chunks need (dml.hpp).
void take_over_late_rte(PlannerInfo* root, Oid relid, bool inhparent, RelOptInfo* rel);
// Whether the range table entry is a hypertable that strata has taken over (marked by
// mark_hypertable_rtes or take_over_late_rte; only in a database with the extension active).
bool rte_is_taken_over_hypertable(const RangeTblEntry* rte);
// set_rel_pathlist: plans a marked hypertable as an append of the chunks its restrictions can
// match (Append, MergeAppend or ChunkAppend paths).
void expand_hypertable_rel(PlannerInfo* root, RelOptInfo* rel, Index rti, RangeTblEntry* rte);
// create_upper_paths: for DISTINCT / DISTINCT ON on one column that leads a btree index (of a
// plain table, or of every chunk under a MergeAppend), a Unique over SkipScan nodes that seek the
// next distinct value instead of reading every entry (src/planner/skip_scan.cpp).
void add_skip_scan_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                         RelOptInfo* output_rel, void* extra);
// create_upper_paths: for GROUP BY time_bucket(const width, time) with min / max / count over an
// input ordered by that bucket, a BucketAggregate node in place of PostgreSQL's GroupAggregate
// (src/planner/bucket_agg.cpp).
// create_upper_paths: GROUP BY time_bucket(fixed width, time) over a partial ChunkAppend. PostgreSQL
// estimates the partial aggregation's groups at a tenth of its input, which makes the Gather above it
// look dear; the chunks' ranges hold at most so many buckets per group of the other keys. With that
// estimate, a Finalize HashAggregate over a Gather of PostgreSQL's Partial HashAggregate (copied,
// with the lower row count) is offered beside its paths (planner.cpp).
void add_bucket_capped_gather_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                                    RelOptInfo* output_rel, void* extra);
void add_bucket_agg_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                          RelOptInfo* output_rel, void* extra);

// ---- the columnstore's hook points (docs/COLUMNSTORE.md, "Scanning a compressed chunk") --------
// A compressed chunk (status & kChunkStatusCompressed) keeps most of its rows in its companion
// table, which a plain scan of the chunk (its row part) would silently miss. The scan node
// (src/columnstore/scan*) fills these in from its init function; while they are unset, planning
// a query that reads a compressed chunk raises 0A000 instead of returning wrong answers.
//
// Hypertable expansion: called for each compressed chunk after its rel got its size estimates
// and the row part's paths, before set_cheapest. It replaces or extends the chunk rel's paths
// (ColumnarScan; with the row part's paths in an Append when the chunk is partial).
using CompressedChunkPathsFn = void (*)(PlannerInfo* root, RelOptInfo* hypertable_rel, RelOptInfo* chunk_rel,
                                        const ChunkInfo* chunk);
extern CompressedChunkPathsFn compressed_chunk_paths;
// DISTINCT ON over a compressed chunk (skip_scan.cpp): given a ColumnarScan path (a CustomPath)
// under DISTINCT's Unique whose order starts with the DISTINCT key `key`, a path returning only
// the first row of each value of the key, or nullptr. Unset: no such paths.
using CompressedDistinctPathFn = Path* (*)(PlannerInfo* root, Path* path, PathKey* key);
extern CompressedDistinctPathFn compressed_distinct_path;
// Any other planning of a compressed chunk's table (a SELECT naming the chunk; DML targets and
// row-locked chunks go to compressed_chunk_dml): called from get_relation_info; unset, an error.
using CompressedChunkRelFn = void (*)(PlannerInfo* root, Oid relid, RelOptInfo* rel, const ChunkInfo* chunk);
extern CompressedChunkRelFn compressed_chunk_rel;

// A compressed chunk that is a target of UPDATE/DELETE/MERGE (or row-locked), called once its rel has its
// size estimates, quals (baserestrictinfo) and the row part's paths, before set_cheapest.
// Unset: planning refuses with 0A000.
using CompressedChunkDmlFn = void (*)(PlannerInfo* root, RelOptInfo* chunk_rel, Index rti, const ChunkInfo* chunk);
extern CompressedChunkDmlFn compressed_chunk_dml;

// Compressed chunks an ordered LIMIT will not reach (plan copies, see planner.cpp): the planned
// compressed chunk's ordered path `path` may be copied onto the compressed chunks read after it:
// an opaque description of the template (palloc'd), or nullptr when it may not. Then, per further
// compressed chunk, whether it takes a copy (the same layout and settings in its companion table):
// its companion and its size relative to the template's in *companion and *ratio. ChunkAppend's
// plan (chunk_append.cpp): the copy of the template's plan `source` for the chunk at `rti`, or
// nullptr when `source` is not the columnstore's. Unset: compressed chunks are never copies.
using CompressedCopyTemplateFn = void* (*)(PlannerInfo* root, RelOptInfo* chunk_rel, const ChunkInfo* chunk,
                                           Path* path);
extern CompressedCopyTemplateFn compressed_copy_template;
using CompressedCopyMatchFn = bool (*)(const void* tmpl, const ChunkInfo* chunk, Oid* companion, double* ratio);
extern CompressedCopyMatchFn compressed_copy_match;
using CompressedPlanCopyFn = Plan* (*)(PlannerInfo* root, Plan* source, Index rti, Oid companion, double ratio);
extern CompressedPlanCopyFn compressed_plan_copy;
// The total cost of a copy of a path or plan (of startup and total cost) onto `ratio` times its
// rows: the start-up cost as is, the rest scaled.
inline Cost scaled_total_cost(Cost startup, Cost total, double ratio) { return startup + (total - startup) * ratio; }
// A flat copy of a Var for another range table entry: moved (and its varnosyn with it) from
// `from` to `to` when it is a Var of `from` at this query level (ChangeVarNodes's rule for Vars).
inline Var* renumbered_var(const Var* var, int from, int to) {
  Var* v = (Var*)palloc(sizeof(Var));
  *v = *var;
  if (v->varlevelsup == 0 && (int)v->varno == from) {
    v->varno = to;
    if ((int)v->varnosyn == from) v->varnosyn = to;
  }
  return v;
}

// get_relation_info: a compressed chunk planned outside hypertable expansion goes to
// compressed_chunk_rel (or is refused); a DML target or row-locked one is left to
// plan_compressed_chunk_dml_target.
void check_compressed_chunk_rel(PlannerInfo* root, Oid relid, bool inhparent, RelOptInfo* rel);
// set_rel_pathlist: a compressed chunk that is a target of UPDATE/DELETE/MERGE or row-locked
// (PostgreSQL's inheritance expansion, or the chunk named itself) goes to compressed_chunk_dml.
void plan_compressed_chunk_dml_target(PlannerInfo* root, RelOptInfo* rel, Index rti, RangeTblEntry* rte);

}  // namespace strata
