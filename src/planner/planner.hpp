// Query planning over hypertables: the settings and the hook handlers of src/planner (run by
// the hook dispatcher, src/hooks).
#pragma once

#include "pg/handlers.hpp"

extern "C" {
#include "nodes/pathnodes.h"
}

namespace strata {

// Settings strata.enable_chunk_exclusion, strata.enable_ordered_append and
// strata.enable_runtime_exclusion (registered as settings by src/hooks/init.cpp).
extern bool guc_enable_chunk_exclusion;
extern bool guc_enable_ordered_append;
extern bool guc_enable_runtime_exclusion;

// Registers ChunkAppend's custom scan methods; once, from _PG_init.
void planner_init();

// planner, before planning: marks the hypertable RTEs of a SELECT or INSERT so that PostgreSQL
// does not expand their inheritance tree (expand_hypertable_rel does, with chunk exclusion).
void mark_hypertable_rtes(const pg::PlannerCall* call);
// get_relation_info: marks hypertable RTEs that appear only during planning (inlined SQL
// function bodies), before PostgreSQL expands inheritance.
void take_over_late_rte(PlannerInfo* root, Oid relid, bool inhparent, RelOptInfo* rel);
// set_rel_pathlist: plans a marked hypertable as an append of the chunks its restrictions can
// match (Append, MergeAppend or ChunkAppend paths).
void expand_hypertable_rel(PlannerInfo* root, RelOptInfo* rel, Index rti, RangeTblEntry* rte);

}  // namespace strata
