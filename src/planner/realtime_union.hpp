// The materialized branch of a real-time continuous aggregate's view planned as an appendrel
// member of the outer query instead of a sub-query of its own (src/planner/realtime_union.cpp).
#pragma once

#include "pg/handlers.hpp"

extern "C" {
#include "nodes/pathnodes.h"
}

namespace strata {

// Setting strata.enable_realtime_pullup (registered by src/hooks/init.cpp).
extern bool guc_enable_realtime_pullup;

// planner, before planning: in each real-time aggregate's view that the statement reads, moves the
// materialized branch's watermark clause into its table's range table entry (securityQuals), so that
// PostgreSQL pulls the branch up into the UNION ALL's appendrel; not when a qual that may reach the
// view's query level is not leakproof.
void pull_up_realtime_materialized_side(const pg::PlannerCall* call);

// get_relation_info of the deferred materialization hypertable (take_over_late_rte): a member of the
// view's UNION ALL needs no index list of its own (no join above proves uniqueness from a member's
// indexes; the expansion plans its chunks), so it stays built as an inheritance parent.
bool realtime_member_needs_no_indexes(PlannerInfo* root, Oid relid, RelOptInfo* rel);

// set_rel_pathlist, before the expansion: the materialization hypertable of a pulled-up branch has
// the watermark clause at security level 0 and the query's clauses at level 1; when those are all
// leakproof (always so when the branch was pulled up, but for clauses derived later) the levels
// decide nothing, and they are set to 0, so that the chunks' copies of them are made without
// PostgreSQL's leakproofness check per clause and chunk (make_restrictinfo).
void level_realtime_member_quals(PlannerInfo* root, RelOptInfo* rel, Index rti, RangeTblEntry* rte);

// set_rel_pathlist, after the expansion: as a sub-query of its own the materialized side could be
// read in parallel under a Gather of its own (PostgreSQL gathers base rels only, and the view's
// Append cannot be parallel: its aggregated branch has a Gather of its own or is not parallel-safe);
// as a member it gets the same Gather paths, so that its plan is as good as before.
void gather_realtime_member(PlannerInfo* root, RelOptInfo* rel, Index rti, RangeTblEntry* rte);

}  // namespace strata
