// Append over synchronous subplans, run without the asynchronous-subplan checks per row.
// PostgreSQL's ExecAppend asks on every row whether an asynchronous subplan has a tuple ready
// (a bitmapset test through a function call, and its loop's other bookkeeping): about 46
// instructions a row of its own, where the chunks' Append of a hypertable query returns every row
// of its chunk scans (devops double-groupby-1: 432,000 rows, 1.4% of the query's instructions).
#pragma once

extern "C" {
#include "postgres.h"
#include "executor/execdesc.h"
}

namespace strata {

// Setting strata.enable_sync_append (registered by src/hooks/init.cpp).
extern bool guc_enable_sync_append;

// ExecutorStart, after the executor state exists (SELECTs): every AppendState without
// asynchronous subplans runs the same loop as ExecAppend minus the asynchronous parts once it has
// begun (ExecAppend itself starts it, and is asked again after a rescan).
void use_sync_append(QueryDesc* query_desc, int eflags);

}  // namespace strata
