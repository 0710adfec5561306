// What the hook dispatcher (src/hooks) hands the subsystems' handlers: the arguments of one
// planner or ProcessUtility call. Subsystems include this, never src/hooks.
#pragma once

#include "pg/pg.hpp"

extern "C" {
#include "nodes/params.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "tcop/utility.h"
}

namespace strata::pg {

// One call of the planner hook. Handlers of the "before" phase may change the query tree;
// handlers of the "after" phase get the finished plan as well and may change it.
struct PlannerCall {
  Query* parse;
  const char* query_string;
  int cursor_options;
  ParamListInfo bound_params;
};

// One call of the ProcessUtility hook, and the rest of the chain after the handler it is given
// to. A handler that wraps the statement (work before and/or after it) calls utility_proceed()
// once; it may instead refuse the statement (raise an error) or skip it (return without).
struct UtilityCall {
  PlannedStmt* pstmt;
  const char* query_string;
  bool read_only_tree;
  ProcessUtilityContext context;
  ParamListInfo params;
  QueryEnvironment* query_env;
  DestReceiver* dest;
  QueryCompletion* qc;
  // Set by the dispatcher: runs the handlers after this one, then PostgreSQL's own processing.
  void (*proceed)(const UtilityCall* call);
  int next_handler;
};

// Runs the rest of the chain with `call`'s arguments. A handler may pass a copy of the call
// with a changed statement (VACUUM of a hypertable adds its chunks, say).
inline void utility_proceed(const UtilityCall* call) { call->proceed(call); }

}  // namespace strata::pg
