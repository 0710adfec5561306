// Ingest: INSERT routing through a planner handler and COPY FROM through a ProcessUtility
// handler (both run by the hook dispatcher, src/hooks).
#pragma once

#include "catalog/catalog.hpp"
#include "pg/handlers.hpp"

extern "C" {
#include "executor/execdesc.h"
#include "nodes/parsenodes.h"
#include "parser/parse_node.h"
}

namespace strata {

// Registers the ChunkDispatch / StrataModify custom scan methods; once, from _PG_init.
void ingest_init();

// planner, after planning: rewrites every INSERT into a hypertable in the plan to route its rows
// to chunks (ChunkDispatch).
void route_inserts_to_chunks(const pg::PlannerCall* call, PlannedStmt* stmt);

// ExecutorStart, after the executor state exists: hands each ChunkDispatch of the plan the
// ModifyTableState above it, which it adds the chunks' result relations to (ingest/dispatch.cpp).
void link_chunk_dispatch(QueryDesc* query_desc, int eflags);

// Syscache invalidation of pg_proc: drops the one-row INSERTs' compiled rows kept across
// executions (their functions' privileges were checked when they were compiled; ingest/dispatch.cpp).
void dispatch_proc_invalidated(int cache_id, uint32 hash_value);


// ProcessUtility, take-over phase: runs COPY FROM into a hypertable (true), or leaves any
// other statement alone (false).
bool take_over_copy_from(const pg::UtilityCall* call);

// Setting strata.copy_bulk_index_build (src/ingest/copy.cpp): COPY builds the indexes of the
// chunks it creates in bulk at its end instead of inserting every row into them.
extern bool guc_copy_bulk_index_build;
extern bool guc_copy_keep_heap_in_buffers;

// COPY FROM into hypertable `relid`; returns the number of rows inserted.
uint64 copy_from_hypertable(ParseState* pstate, CopyStmt* stmt, Oid relid);

}  // namespace strata
