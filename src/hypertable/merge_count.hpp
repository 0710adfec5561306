// The command tag of a MERGE into a hypertable: PostgreSQL 15 sends a MERGE's NOT MATCHED inserts
// to the hypertable's parent table, where the routing trigger (hypertable_api.cpp) puts each row
// into its chunk and drops it from the parent, so PostgreSQL does not count it; the trigger counts
// it here instead, in the running MERGE's executor state. C-style glue.
#pragma once

#include "catalog/catalog.hpp"

extern "C" {
#include "executor/execdesc.h"
}

namespace strata {

// ExecutorStart, after the executor state exists: remembers a MERGE into a hypertable for as
// long as its executor state lives, so the routing trigger can count the rows its NOT MATCHED
// actions insert (count_rows_routed_by_trigger).
void note_merge_into_hypertable(QueryDesc* query_desc, int eflags);

// The hypertable's routing trigger (src/hypertable) has put `rows` rows that reached the parent
// `relid` into chunks: they count in the command tag of the innermost running MERGE into it.
void count_rows_routed_by_trigger(Oid relid, uint64 rows);

}  // namespace strata
