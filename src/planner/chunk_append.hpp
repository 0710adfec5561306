// ChunkAppend: a custom scan over a hypertable's chunks that reads them in time order (so ORDER BY
// time ... LIMIT stops early) and excludes chunks at executor start from predicates on
// parameters, now() and other stable expressions.
#pragma once

#include "planner/restrict.hpp"

extern "C" {
#include "nodes/pathnodes.h"
}

namespace strata {

// A child of the append: a path over one chunk and the chunk's range on the internal axis.
struct ChunkAppendChild {
  Path* path;
  int64 range_start;
  int64 range_end;
};

// Builds a ChunkAppend path over `children` (in the order they are to be read). `runtime` are the
// RuntimeClauses to evaluate at executor start (NIL for none). `pathkeys` is the ordering the
// children's concatenation delivers. When `costs_from` is given its rows and costs are used,
// otherwise they are computed from the children.
CustomPath* chunk_append_path_create(PlannerInfo* root, RelOptInfo* rel, ChunkAppendChild* children,
                                     int nchildren, List* runtime, Oid time_type, List* pathkeys,
                                     ParamPathInfo* param_info, Path* costs_from);

bool is_chunk_append_path(const Path* path);

// Registers the custom scan methods (called once from planner_init).
void chunk_append_register();

}  // namespace strata
