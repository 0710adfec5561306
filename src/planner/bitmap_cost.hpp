// Bitmap heap scans of a chunk costed for a heap in time order (src/planner/bitmap_cost.cpp).
#pragma once

extern "C" {
#include "postgres.h"

#include "nodes/pathnodes.h"
}

namespace strata {

// Setting strata.enable_time_ordered_bitmap_costs (registered by src/hooks/init.cpp).
extern bool guc_enable_time_ordered_bitmap_costs;

// After a row-store chunk's index paths are built (before set_cheapest): offers the bitmap heap
// scans of its indexes led by another column with `time_attno` (the chunk's time column) among their
// keys, costed for rows that the scans' time conditions confine to a share of the chunk's pages.
void add_time_ordered_bitmap_paths(PlannerInfo* root, RelOptInfo* rel, AttrNumber time_attno);

}  // namespace strata
