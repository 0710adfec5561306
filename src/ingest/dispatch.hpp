// INSERT into a hypertable: plan rewriting and the executor nodes that route rows to chunks.
#pragma once

#include "catalog/catalog.hpp"

extern "C" {
#include "nodes/plannodes.h"
}

namespace strata {

// Rewrites every INSERT into a hypertable in `stmt` (top level and CTEs) to route rows to chunks.
void dispatch_rewrite_plan(PlannedStmt* stmt);
void dispatch_register_methods();

}  // namespace strata
