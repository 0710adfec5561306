// Installs the ingest hooks: the planner hook that rewrites INSERT into hypertables and the
// ProcessUtility hook that takes over COPY FROM into hypertables.
#include "ingest/ingest.hpp"

#include "ingest/dispatch.hpp"
#include "pg/guard.hpp"
#include "pg/init.hpp"

extern "C" {
#include "optimizer/planner.h"
#include "tcop/utility.h"
}

namespace strata {

namespace {

planner_hook_type prev_planner = nullptr;
ProcessUtility_hook_type prev_utility = nullptr;

PlannedStmt* ingest_planner(Query* parse, const char* query_string, int cursor_options, ParamListInfo params) {
  PlannedStmt* stmt = prev_planner ? prev_planner(parse, query_string, cursor_options, params)
                                   : standard_planner(parse, query_string, cursor_options, params);
  if (extension_is_active()) dispatch_rewrite_plan(stmt);
  return stmt;
}

void ingest_utility(PlannedStmt* pstmt, const char* query_string, bool read_only_tree,
                    ProcessUtilityContext context, ParamListInfo params, QueryEnvironment* query_env,
                    DestReceiver* dest, QueryCompletion* qc) {
  Node* node = pstmt->utilityStmt;
  if (IsA(node, CopyStmt) && extension_is_active()) {
    auto* copy = reinterpret_cast<CopyStmt*>(node);
    if (copy->is_from && copy->relation != nullptr) {
      Oid relid = RangeVarGetRelid(copy->relation, NoLock, true);
      if (OidIsValid(relid) && is_hypertable(relid)) {
        ParseState* pstate = make_parsestate(nullptr);
        pstate->p_sourcetext = query_string;
        pstate->p_queryEnv = query_env;
        uint64 processed = copy_from_hypertable(pstate, copy, relid);
        free_parsestate(pstate);
        if (qc != nullptr) SetQueryCompletion(qc, CMDTAG_COPY, processed);
        return;
      }
    }
  }
  if (prev_utility != nullptr)
    prev_utility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc);
  else
    standard_ProcessUtility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc);
}

}  // namespace

void ingest_init() {
  dispatch_register_methods();
  prev_planner = planner_hook;
  planner_hook = ingest_planner;
  prev_utility = ProcessUtility_hook;
  ProcessUtility_hook = ingest_utility;
}

}  // namespace strata
