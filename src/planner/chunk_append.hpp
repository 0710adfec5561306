// ChunkAppend: a custom scan over a hypertable's chunks that reads them in time order (so ORDER BY
// time ... LIMIT stops early) and excludes chunks at executor start from predicates on
// parameters, now() and other stable expressions.
#pragma once

#include "planner/restrict.hpp"

extern "C" {
#include "nodes/execnodes.h"
#include "nodes/extensible.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"
}

namespace strata {

// A child planned without a RelOptInfo of its own (an ordered LIMIT's chunks past the first, see
// "Chunks a LIMIT will not reach" in docs/ARCHITECTURE.md): its plan is a copy of the plan of the
// child `source` (an index scan of a chunk with the same column layout and restrictions), made
// for the chunk's range table entry `rti` and its index of the same definition `indexoid`, with
// rows and costs scaled by `ratio` (the sizes' ratio); for a compressed chunk, a copy of the
// template's ColumnarScan with `indexoid` its companion table (planner.hpp, compressed_copy_*).
// A `lazy` copy (strata.enable_lazy_chunk_plan_copies; a row-store index scan's copy) is made
// only when the executor first reads the child: the plan holds a stand-in for it (see "Lazy plan
// copies" in chunk_append.cpp), so the chunks an ordered LIMIT never reaches cost neither the copy
// nor set_plan_references' pass over it.
// An extensible node ("StrataChunkPlanCopy", registered by chunk_append_register), so that the
// path's custom_private, which holds these, can be printed (nodeToString, OPTIMIZER_DEBUG, a
// debugger's pprint) and copied. Made by new_chunk_plan_copy.
struct ChunkPlanCopy {
  ExtensibleNode node;
  Index rti;
  Oid indexoid;
  int source;  // position of the child whose plan is copied (one with a path)
  double ratio;
  double rows;
  Cost startup_cost;
  Cost total_cost;
  bool lazy;
};

// A new ChunkPlanCopy, zeroed.
ChunkPlanCopy* new_chunk_plan_copy();

// Setting strata.enable_lazy_chunk_plan_copies (registered by src/hooks/init.cpp).
extern bool guc_enable_lazy_chunk_plan_copies;

// A child of the append: a path over one chunk (or, with `path` nullptr, a copy of another
// child's plan), the chunk's range on the internal axis and its slice of the hash dimension
// ([0, kHashAxisEnd) without one).
struct ChunkAppendChild {
  Path* path;
  int64 range_start;
  int64 range_end;
  int64 space_start;
  int64 space_end;
  const ChunkPlanCopy* copy = nullptr;
};

// Builds a ChunkAppend path over `children` (in the order they are to be read). `runtime` are the
// RuntimeClauses to evaluate at executor start (NIL for none). `pathkeys` is the ordering the
// children's concatenation delivers. When `costs_from` is given its rows and costs are used,
// otherwise they are computed from the children.
CustomPath* chunk_append_path_create(PlannerInfo* root, RelOptInfo* rel, ChunkAppendChild* children,
                                     int nchildren, List* runtime, Oid time_type, List* pathkeys,
                                     ParamPathInfo* param_info, Path* costs_from);

bool is_chunk_append_path(const Path* path);
// The children's ranges as a ChunkAppend path (and plan) carries them (the first element of the
// path's custom_private): how many children, and child i's time range on the internal axis.
int chunk_append_range_children(List* ranges);
void chunk_append_child_range(List* ranges, int i, int64* start, int64* end);
// Whether some children of the ChunkAppend path are plan copies (ChunkPlanCopy): such a path has no
// path for each child (chunk_append_path_over refuses it).
bool chunk_append_path_has_copies(const CustomPath* path);

// A ChunkAppend path like `from` (its children's ranges and clauses evaluated at executor start)
// over other paths of the same chunks, one per child of `from` in its order (a partial aggregation
// of each chunk, say), producing `target` for `rel` (an upper rel: the plan then reads its
// children's rows through a custom_scan_tlist), parallel safe as `from` is. NULL when `from` has
// children planned as plan copies.
CustomPath* chunk_append_path_over(const CustomPath* from, RelOptInfo* rel, PathTarget* target, List* children);

// For the plan: whether `cscan` is a ChunkAppend, whether it has clauses that exclude children
// at executor start, and (lazy_locks.cpp) the RT indexes of each child's chunks that it locks
// itself, for the children that survive (a List of IntLists, one per child).
bool is_chunk_append_plan(const CustomScan* cscan);
bool chunk_append_excludes_at_startup(const CustomScan* cscan);
void chunk_append_set_deferred(CustomScan* cscan, List* per_child);

// Before the executor runs (lazy_dml.cpp): which children survive the clauses that begin_chunk_append
// evaluates at startup, evaluated now with `params` (one bool per child, palloc'd); a copy of
// `cscan` with only the children `keep` names (the plan it came from is not changed); the
// per-child lists of deferred RT indexes (NIL when none were deferred).
bool* chunk_append_startup_survivors(const CustomScan* cscan, ParamListInfo params);
CustomScan* chunk_append_copy_keeping(const CustomScan* cscan, const bool* keep);
List* chunk_append_deferred(const CustomScan* cscan);

// For a parent that reads the children itself (bucket_agg.cpp) instead of through this node:
// the number of children that survived startup exclusion, and child i, initialized now if its
// initialization was deferred, or nullptr when the clauses on executor parameters (evaluated at
// the first call after a (re)start) exclude it.
int chunk_append_nchildren(CustomScanState* node);
PlanState* chunk_append_child(CustomScanState* node, int i);

// Registers the custom scan methods (called once from planner_init).
void chunk_append_register();

}  // namespace strata
