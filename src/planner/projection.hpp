// A SELECT's projection above chunk scans, moved into the scans. PostgreSQL pushes a query's
// target list (`date_trunc('minute', time)`, ...) into the children of a partitioned table but not
// into those of an inheritance parent, so over a hypertable it leaves a Result node that projects
// every row again above the Append of the chunks' scans (or above the one scan, once it removed
// a single-child Append): one more node, slot copy and expression evaluation per row.
#pragma once

#include "pg/handlers.hpp"

extern "C" {
#include "nodes/plannodes.h"
}

namespace strata {

// Setting strata.enable_chunk_projection (registered by src/hooks/init.cpp).
extern bool guc_enable_chunk_projection;

// planner, after planning (SELECT without row marks or data-modifying WITH queries, whose
// ModifyTable sub-plans keep their shape): a Result without quals or init plans
// whose input is a chunk's SeqScan / IndexScan / IndexOnlyScan / BitmapHeapScan returning plain
// columns is replaced by that scan computing the Result's target list; over an Append (not
// parallel-aware, no partition pruning) of such scans, each scan computes it and the Append
// returns its columns. Each expression is evaluated once per row either way.
void fold_chunk_projections(const pg::PlannerCall* call, PlannedStmt* stmt);

}  // namespace strata
