// Append over synchronous subplans (see append_exec.hpp).
#include "planner/append_exec.hpp"

#include "pg/pg.hpp"

extern "C" {
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "nodes/nodeFuncs.h"
}

namespace strata {

bool guc_enable_sync_append = true;

namespace {

// PostgreSQL's ExecAppend (static in nodeAppend.c), as the first AppendState met carries it.
ExecProcNodeMtd pg_exec_append = nullptr;

// ExecAppend's loop for a node without asynchronous subplans (as_nasyncplans == 0: as_syncdone
// stays false, as_needrequest empty, as_nasyncremain 0), once it has begun; the start (and the
// start again after a rescan) is ExecAppend's. Called by PostgreSQL for every row without
// cpp_entry, whose cost per call (about 40 instructions) is that of the checks saved: it is C in
// all but name, calling nothing but PostgreSQL's executor (whose strata nodes run their own
// guard), owning nothing, so no C++ exception can start or pass here (scripts/check-boundary.sh
// finds no landing pad in it).
TupleTableSlot* exec_sync_append(PlanState* pstate) {
  AppendState* node = (AppendState*)pstate;
  if (!node->as_begun || node->as_whichplan < 0) return pg_exec_append(pstate);
  for (;;) {
    CHECK_FOR_INTERRUPTS();
    TupleTableSlot* slot = ExecProcNode(node->appendplans[node->as_whichplan]);
    if (!TupIsNull(slot)) return slot;
    if (!node->choose_next_subplan(node)) return ExecClearTuple(node->ps.ps_ResultTupleSlot);
  }
}

bool use_sync_append_walker(PlanState* ps, void* context) {
  if (ps == nullptr) return false;
  if (IsA(ps, AppendState) && ((AppendState*)ps)->as_nasyncplans == 0) {
    if (pg_exec_append == nullptr) pg_exec_append = ps->ExecProcNodeReal;
    // (ExecProcNodeFirst installs it, or ExecProcNodeInstr calls it under EXPLAIN ANALYZE)
    if (ps->ExecProcNodeReal == pg_exec_append) ps->ExecProcNodeReal = exec_sync_append;
  }
  return planstate_tree_walker(ps, (bool (*)())use_sync_append_walker, context);
}

}  // namespace

void use_sync_append(QueryDesc* query_desc, int eflags) {
  if (!guc_enable_sync_append || query_desc->operation != CMD_SELECT || (eflags & EXEC_FLAG_EXPLAIN_ONLY) ||
      query_desc->planstate == nullptr)
    return;
  use_sync_append_walker(query_desc->planstate, nullptr);
}

}  // namespace strata
