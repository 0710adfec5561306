// ChunkMergeAppend: a custom scan that merges its children's ordered outputs (as MergeAppend
// does) and, like ChunkAppend, excludes chunks at executor start from predicates on parameters,
// now() and other stable expressions, so that a generic plan neither initializes nor (with
// lazy_locks.hpp) locks the chunks it excludes. Planned for merges whose order is not the chunks'
// order: the per-chunk SkipScans under DISTINCT ON (skip_scan.cpp), and a hypertable's other
// MergeAppend paths (planner.cpp, merge_appends_to_chunk_merges).
#pragma once

extern "C" {
#include "postgres.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"
}

namespace strata {

// A ChunkMergeAppend path over `merge` (a MergeAppendPath of the hypertable rel `rel`, with
// `subpaths` as its children, each ordered by merge's pathkeys), excluding chunks at executor start
// with the startup clauses of the rel's restrictions; nullptr when there are none, or when a
// child is not a chunk of the hypertable, or a sort key is not a column of the output. Rows and
// costs are merge's.
Path* chunk_merge_path_create(PlannerInfo* root, MergeAppendPath* merge, List* subpaths);

// Whether `path` is a ChunkMergeAppend path (its children are its custom_paths).
bool is_chunk_merge_path(const Path* path);

// Replaces the hypertable rel's MergeAppend paths (chunks merged in an order that is not time
// first, which ChunkAppend cannot give) by ChunkMergeAppend paths with the same rows and costs,
// when the rel's restrictions have clauses known only at executor start; a child that is not in
// the merge's order is sorted below it, as MergeAppend would sort it.
void merge_appends_to_chunk_merges(PlannerInfo* root, RelOptInfo* rel);

// For the plan (lazy_locks.cpp): whether `cscan` is a ChunkMergeAppend (it always excludes at
// startup), and the RT indexes of each child's chunks that it locks itself (one IntList per child).
bool is_chunk_merge_plan(const CustomScan* cscan);
void chunk_merge_set_deferred(CustomScan* cscan, List* per_child);

// Registers the custom scan methods (called once, from skip_scan_register).
void chunk_merge_register();

}  // namespace strata
