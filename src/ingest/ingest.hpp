// Ingest hooks: INSERT routing through the planner hook and COPY FROM through ProcessUtility.
#pragma once

#include "catalog/catalog.hpp"

extern "C" {
#include "nodes/parsenodes.h"
#include "parser/parse_node.h"
}

namespace strata {

// COPY FROM into hypertable `relid`; returns the number of rows inserted.
uint64 copy_from_hypertable(ParseState* pstate, CopyStmt* stmt, Oid relid);

}  // namespace strata
