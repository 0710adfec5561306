// SkipScan: a custom scan over one btree IndexScan / IndexOnlyScan that returns the first entry
// of each distinct value of the index's leading column and then re-seeks the btree past that
// value, so `SELECT DISTINCT ON (hostname) ... ORDER BY hostname, time DESC` reads O(distinct
// values) index pages instead of every entry. Planned by add_skip_scan_paths (planner.hpp)
// under the Unique that DISTINCT plans anyway.
#pragma once

extern "C" {
#include "postgres.h"
#include "nodes/plannodes.h"
}

namespace strata {

// Registers the custom scan methods (called once from planner_init).
void skip_scan_register();

// For the plan (lazy_locks.cpp): whether `cscan` is a SkipScan (it opens no relation itself).
bool is_skip_scan_plan(const CustomScan* cscan);

}  // namespace strata
