// The ChunkAppend custom path, plan and executor node (see chunk_append.hpp).
#include "planner/chunk_append.hpp"

#include "pg/pg.hpp"

extern "C" {
#include "commands/explain.h"
#include "executor/executor.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "utils/datum.h"
}

namespace strata {

namespace {

// Same share of cpu_tuple_cost that PostgreSQL charges for passing a tuple through an Append.
constexpr double kAppendCpuCostMultiplier = 0.5;

// custom_private of the path: list_make3(ranges, runtime values, meta); of the plan:
// list_make2(meta, ranges) with the runtime values in custom_exprs. ranges holds two int8 Consts
// per child (start, end); meta is an IntList: time type, clause count, then per clause strategy,
// is_array, use_or, value type.
enum { kMetaTimeType = 0, kMetaClauseCount = 1, kMetaFirstClause = 2, kMetaPerClause = 4 };

Plan* plan_chunk_append(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist,
                        List* clauses, List* custom_plans);
Node* create_chunk_append_state(CustomScan* cscan);

const CustomPathMethods path_methods = {
    "ChunkAppend",
    plan_chunk_append,
    nullptr,
};

const CustomScanMethods scan_methods = {
    "ChunkAppend",
    create_chunk_append_state,
};

Const* int8_const(int64 v) {
  return makeConst(INT8OID, -1, InvalidOid, sizeof(int64), Int64GetDatum(v), false, true);
}

int64 int8_of(Node* n) { return DatumGetInt64(castNode(Const, n)->constvalue); }

Plan* plan_chunk_append(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist,
                        List* clauses, List* custom_plans) {
  CustomScan* cscan = makeNode(CustomScan);
  List* ranges = (List*)linitial(best_path->custom_private);
  List* values = (List*)lsecond(best_path->custom_private);
  List* meta = (List*)lthird(best_path->custom_private);

  // The children evaluate the restriction clauses and produce exactly our target list (they are
  // planned with CP_EXACT_TLIST); this node only passes their tuples through.
  cscan->scan.plan.targetlist = tlist;
  cscan->scan.plan.qual = NIL;
  cscan->scan.scanrelid = rel->relid;
  cscan->flags = best_path->flags;
  cscan->custom_plans = custom_plans;
  cscan->custom_exprs = values;
  cscan->custom_private = list_make2(meta, ranges);
  cscan->custom_scan_tlist = NIL;
  cscan->methods = &scan_methods;
  return &cscan->scan.plan;
}

// Executor state.
struct ChunkAppendState {
  CustomScanState css;
  PlanState** plans;  // the children that survived startup exclusion, in reading order
  int nplans;
  int current;
  int excluded;
  bool has_runtime;
};

void begin_chunk_append(CustomScanState* node, EState* estate, int eflags) {
  ChunkAppendState* state = (ChunkAppendState*)node;
  CustomScan* cscan = (CustomScan*)node->ss.ps.plan;
  List* meta = (List*)linitial(cscan->custom_private);
  List* ranges = (List*)lsecond(cscan->custom_private);
  const Oid time_type = (Oid)list_nth_int(meta, kMetaTimeType);
  const int nclauses = list_nth_int(meta, kMetaClauseCount);

  // Children's tuples pass through unchanged, so our result slots are of varying types.
  node->ss.ps.resultopsset = true;
  node->ss.ps.resultopsfixed = false;

  TimeSet allowed = time_set_all();
  state->has_runtime = nclauses > 0;
  if (state->has_runtime) {
    ExprContext* econtext = node->ss.ps.ps_ExprContext;
    for (int i = 0; i < nclauses; ++i) {
      const int base = kMetaFirstClause + i * kMetaPerClause;
      Expr* value = (Expr*)list_nth(cscan->custom_exprs, i);
      ExprState* es = ExecInitExpr(value, &node->ss.ps);
      bool isnull = false;
      Datum d = ExecEvalExprSwitchContext(es, econtext, &isnull);
      MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
      TimeSet one = time_set_for_value(list_nth_int(meta, base), list_nth_int(meta, base + 1) != 0,
                                       list_nth_int(meta, base + 2) != 0, d, isnull,
                                       (Oid)list_nth_int(meta, base + 3), time_type);
      MemoryContextSwitchTo(old);
      // Copy the intersection out of the per-tuple context before it is reset.
      TimeSet merged = time_set_intersect(allowed, one);
      if (!merged.all) {
        TimeSet copy{false, merged.n, (core::TimeInterval*)palloc(sizeof(core::TimeInterval) *
                                                                   (merged.n > 0 ? merged.n : 1))};
        for (int k = 0; k < merged.n; ++k) copy.iv[k] = merged.iv[k];
        merged = copy;
      }
      allowed = merged;
      ResetExprContext(econtext);
    }
  }

  const int nchildren = list_length(cscan->custom_plans);
  state->plans = (PlanState**)palloc0(sizeof(PlanState*) * (nchildren > 0 ? nchildren : 1));
  state->nplans = 0;
  state->excluded = 0;
  state->current = 0;
  node->custom_ps = NIL;
  for (int i = 0; i < nchildren; ++i) {
    const int64 start = int8_of((Node*)list_nth(ranges, 2 * i));
    const int64 end = int8_of((Node*)list_nth(ranges, 2 * i + 1));
    if (state->has_runtime && !time_set_overlaps(allowed, start, end)) {
      state->excluded++;
      continue;
    }
    PlanState* ps = ExecInitNode((Plan*)list_nth(cscan->custom_plans, i), estate, eflags);
    state->plans[state->nplans++] = ps;
    node->custom_ps = lappend(node->custom_ps, ps);
  }
}

TupleTableSlot* exec_chunk_append(CustomScanState* node) {
  ChunkAppendState* state = (ChunkAppendState*)node;
  while (state->current < state->nplans) {
    TupleTableSlot* slot = ExecProcNode(state->plans[state->current]);
    if (!TupIsNull(slot)) return slot;
    state->current++;
  }
  return ExecClearTuple(node->ss.ps.ps_ResultTupleSlot);
}

void end_chunk_append(CustomScanState* node) {
  ChunkAppendState* state = (ChunkAppendState*)node;
  for (int i = 0; i < state->nplans; ++i) ExecEndNode(state->plans[i]);
}

void rescan_chunk_append(CustomScanState* node) {
  ChunkAppendState* state = (ChunkAppendState*)node;
  // Startup exclusion depends only on external parameters and stable functions, which do not
  // change between rescans; changed executor parameters are passed down to the children.
  for (int i = 0; i < state->nplans; ++i) {
    PlanState* child = state->plans[i];
    if (node->ss.ps.chgParam != nullptr) UpdateChangedParamSet(child, node->ss.ps.chgParam);
    if (child->chgParam == nullptr) ExecReScan(child);
  }
  state->current = 0;
}

void explain_chunk_append(CustomScanState* node, List* ancestors, ExplainState* es) {
  ChunkAppendState* state = (ChunkAppendState*)node;
  if (state->has_runtime)
    ExplainPropertyInteger("Chunks excluded during startup", nullptr, state->excluded, es);
}

const CustomExecMethods exec_methods = {
    "ChunkAppend",
    begin_chunk_append,
    exec_chunk_append,
    end_chunk_append,
    rescan_chunk_append,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    explain_chunk_append,
};

Node* create_chunk_append_state(CustomScan* cscan) {
  ChunkAppendState* state = (ChunkAppendState*)newNode(sizeof(ChunkAppendState), T_CustomScanState);
  state->css.methods = &exec_methods;
  return (Node*)state;
}

}  // namespace

CustomPath* chunk_append_path_create(PlannerInfo* root, RelOptInfo* rel, ChunkAppendChild* children,
                                     int nchildren, List* runtime, Oid time_type, List* pathkeys,
                                     ParamPathInfo* param_info, Path* costs_from) {
  CustomPath* path = makeNode(CustomPath);
  path->path.pathtype = T_CustomScan;
  path->path.parent = rel;
  path->path.pathtarget = rel->reltarget;
  path->path.param_info = param_info;
  path->path.parallel_aware = false;
  path->path.parallel_safe = false;
  path->path.parallel_workers = 0;
  path->path.pathkeys = pathkeys;
  path->flags = 0;
  path->methods = &path_methods;

  List* ranges = NIL;
  List* subpaths = NIL;
  double rows = 0;
  Cost total = 0;
  for (int i = 0; i < nchildren; ++i) {
    subpaths = lappend(subpaths, children[i].path);
    ranges = lappend(ranges, int8_const(children[i].range_start));
    ranges = lappend(ranges, int8_const(children[i].range_end));
    rows += children[i].path->rows;
    total += children[i].path->total_cost;
  }
  path->custom_paths = subpaths;

  List* meta = list_make2_int((int)time_type, list_length(runtime));
  List* values = NIL;
  ListCell* lc;
  foreach (lc, runtime) {
    RuntimeClause* rc = (RuntimeClause*)lfirst(lc);
    meta = lappend_int(meta, rc->strategy);
    meta = lappend_int(meta, rc->is_array ? 1 : 0);
    meta = lappend_int(meta, rc->use_or ? 1 : 0);
    meta = lappend_int(meta, (int)rc->value_type);
    values = lappend(values, rc->value);
  }
  path->custom_private = list_make3(ranges, values, meta);

  if (costs_from != nullptr) {
    path->path.rows = costs_from->rows;
    path->path.startup_cost = costs_from->startup_cost;
    path->path.total_cost = costs_from->total_cost;
  } else {
    path->path.rows = clamp_row_est(rows);
    path->path.startup_cost = nchildren > 0 ? children[0].path->startup_cost : 0;
    path->path.total_cost = total + cpu_tuple_cost * kAppendCpuCostMultiplier * rows;
  }
  return path;
}

bool is_chunk_append_path(const Path* path) {
  return IsA(path, CustomPath) && ((const CustomPath*)path)->methods == &path_methods;
}

void chunk_append_register() { RegisterCustomScanMethods(&scan_methods); }

}  // namespace strata
