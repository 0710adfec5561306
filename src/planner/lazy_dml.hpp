// Lazy chunk locking for generic UPDATE, DELETE and MERGE plans: the chunks that are result relations
// of a ModifyTable over a ChunkAppend with startup exclusion are locked at executor start for the
// survivors only, and this execution's ModifyTable lists only those (see "Generic plans and chunk
// locks" in docs/ARCHITECTURE.md).
#pragma once

extern "C" {
#include "postgres.h"

#include "nodes/params.h"
#include "nodes/plannodes.h"
}

namespace strata {

// Planner (lazy_locks.cpp): when `top` (a plan tree or a sub-plan's top) is an UPDATE, DELETE or
// MERGE ModifyTable, directly or under StrataUpdate, returns it and appends to `reach` the ChunkAppends
// that prune_deferred_result_relations reaches below it (through nodes it can copy); only their
// children's result relations may be deferred. nullptr otherwise.
ModifyTable* dml_prunable_modify_table(Plan* top, List** reach);

// ExecutorStart, on the execution's own copy of the plan whose deferred entries are its own:
// for each such ModifyTable with deferred result relations, evaluates the startup clauses of the
// ChunkAppends below it with `params`, locks the surviving chunks and makes their entries
// relations again, and replaces the ModifyTable and the nodes down to the ChunkAppends by copies
// that list only the survivors (one result relation is kept when none survives; MERGE always
// keeps the plan's first one). The cached plan is never changed.
void prune_deferred_result_relations(PlannedStmt* stmt, ParamListInfo params);

}  // namespace strata
