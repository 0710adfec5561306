// Lazy chunk locking for generic plans: the chunks under a ChunkAppend with startup exclusion
// are locked by the ChunkAppend, for the survivors only, instead of by PostgreSQL for all of them
// before execution (see "Generic plans and chunk locks" in docs/ARCHITECTURE.md).
#pragma once

#include "pg/handlers.hpp"

extern "C" {
#include "executor/execdesc.h"
#include "nodes/extensible.h"
#include "nodes/execnodes.h"
}

namespace strata {

// Setting strata.enable_lazy_chunk_locking (registered by src/hooks/init.cpp).
extern bool guc_enable_lazy_chunk_locking;

// planner, after planning: the range table entries of chunks that only a child of a ChunkAppend
// with startup exclusion reads (and, for UPDATE and DELETE, lists as a result relation:
// lazy_dml.hpp) become entries that AcquireExecutorLocks skips; the ChunkAppend remembers them
// per child.
void defer_chunk_locks(const pg::PlannerCall* call, PlannedStmt* stmt);

// ExecutorStart, before the executor: a plan with deferred entries is replaced in `query_desc` by
// a shallow copy whose deferred entries this execution owns (the cached plan is never changed),
// with its UPDATE / DELETE result relations pruned (prune_deferred_result_relations).
void prepare_lazy_chunk_rtes(QueryDesc* query_desc, int eflags);

// ChunkAppend, for a child that survived startup exclusion: locks its deferred chunks and makes
// their entries relations again. False if one was dropped meanwhile (the child is skipped).
bool lock_deferred_chunks(EState* estate, List* rtis);

// The same on a range table that no executor uses yet (lazy_dml.cpp, at executor start); and
// whether an entry is one of this execution's deferred chunks not locked yet.
bool lock_deferred_rtes(List* rtable, List* rtis);
bool is_deferred_for_execution(const RangeTblEntry* rte);

// A custom scan whose custom_relids are only its child plans' relations, opened by those children
// (a columnstore RowstoreAggregate over a chunk's scan): under a ChunkAppend child it leaves the
// chunk deferrable, as a SkipScan does. Registered when the library loads.
void register_child_scoped_scan(const CustomScanMethods* methods);

}  // namespace strata
