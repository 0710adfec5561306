// UPDATE that moves a row's time into another chunk: the row is deleted from its chunk and
// inserted into the chunk of its new time, as PostgreSQL moves a row between partitions.
#pragma once

#include "pg/handlers.hpp"

namespace strata {

// planner, after planning: an UPDATE of a hypertable that sets the time column becomes
//   StrataUpdate <- ModifyTable <- ChunkRowMove <- subplan
// (see "Data flow: UPDATE that moves rows" in docs/ARCHITECTURE.md).
void move_rows_across_chunks(const pg::PlannerCall* call, PlannedStmt* stmt);

// Registers the StrataUpdate / ChunkRowMove custom scan methods; once, from _PG_init.
void row_move_init();

}  // namespace strata
