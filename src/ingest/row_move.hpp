// UPDATE and MERGE that move a row's time into another chunk: the row is deleted from its chunk
// and inserted into the chunk of its new time, as PostgreSQL moves a row between partitions.
// INSERT ... ON CONFLICT DO UPDATE that would move a row fails as for partitions.
#pragma once

#include "pg/handlers.hpp"

extern "C" {
#include "nodes/execnodes.h"
}

namespace strata {

// planner, after planning: an UPDATE of a hypertable that sets the time column (or a MERGE with a
// WHEN MATCHED UPDATE action that does) becomes
//   StrataUpdate <- ModifyTable <- ChunkRowMove <- subplan
// (see "Data flow: UPDATE that moves rows" in docs/ARCHITECTURE.md).
void move_rows_across_chunks(const pg::PlannerCall* call, PlannedStmt* stmt);

// INSERT ... ON CONFLICT DO UPDATE into chunk `rri` (routed by ChunkDispatch, ri_onConflict set,
// its constraints not prepared yet): prepares its CHECK constraints so that an update that would
// put the row outside the chunk's time range (or hash range) fails as PostgreSQL fails it for a
// partition (0A000, "invalid ON UPDATE specification"), not on the range constraint (23514); rows
// inserted into it are checked as before.
void guard_on_conflict_range(ResultRelInfo* rri, EState* estate);

// Registers the StrataUpdate / ChunkRowMove custom scan methods; once, from _PG_init.
void row_move_init();

}  // namespace strata
