// The ingest handlers: the planner handler that rewrites INSERT into hypertables and the
// ProcessUtility handler that takes over COPY FROM into hypertables.
#include "ingest/ingest.hpp"

#include "ingest/dispatch.hpp"

namespace strata {

void ingest_init() { dispatch_register_methods(); }

void route_inserts_to_chunks(const pg::PlannerCall*, PlannedStmt* stmt) {
  if (extension_is_active()) dispatch_rewrite_plan(stmt);
}

bool take_over_copy_from(const pg::UtilityCall* call) {
  Node* node = call->pstmt->utilityStmt;
  if (!IsA(node, CopyStmt) || !extension_is_active()) return false;
  auto* copy = reinterpret_cast<CopyStmt*>(node);
  if (!copy->is_from || copy->relation == nullptr) return false;
  Oid relid = RangeVarGetRelid(copy->relation, NoLock, true);
  if (!OidIsValid(relid) || !is_hypertable(relid)) return false;
  ParseState* pstate = make_parsestate(nullptr);
  pstate->p_sourcetext = call->query_string;
  pstate->p_queryEnv = call->query_env;
  uint64 processed = copy_from_hypertable(pstate, copy, relid);
  free_parsestate(pstate);
  if (call->qc != nullptr) SetQueryCompletion(call->qc, CMDTAG_COPY, processed);
  return true;
}

}  // namespace strata
