// Gap filling for dashboards: time_bucket_gapfill(), locf() and interpolate() (src/sql/48_gapfill.sql).
// A query that groups by time_bucket_gapfill(...) gets a GapFill custom scan above its aggregation:
// the aggregation's rows, sorted by the other grouping columns and then the bucket, pass through,
// and GapFill adds a row for every bucket of [start, finish) that a group lacks, with locf()
// columns carried forward, interpolate() columns interpolated and every other column NULL.
#pragma once

extern "C" {
#include "postgres.h"

#include "nodes/pathnodes.h"
#include "optimizer/planner.h"
}

namespace strata::gapfill {

// create_upper_paths_hook handler: at UPPERREL_GROUP_AGG, when the query groups by
// time_bucket_gapfill(), replaces the grouping rel's paths by GapFill over each of them (sorted
// as GapFill needs).
void add_gapfill_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel, RelOptInfo* output_rel,
                       void* extra);

// Registers the custom scan methods; once, from _PG_init.
void gapfill_init();

}  // namespace strata::gapfill
