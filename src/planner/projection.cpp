// Projections of chunk scans: a SELECT's target list computed in the chunks' scans rather than in
// a Result above them (see projection.hpp).
#include "planner/projection.hpp"

#include "catalog/catalog.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
}

namespace strata {

bool guc_enable_chunk_projection = true;

namespace {

struct Fold {
  List* rtable;
};

// A scan node of a chunk that can project and whose output is plain columns (what PostgreSQL puts
// under a projection it could not push into an inheritance child).
bool plain_chunk_scan(const Fold* f, Plan* plan) {
  switch (nodeTag(plan)) {
    case T_SeqScan:
    case T_IndexScan:
    case T_IndexOnlyScan:
    case T_BitmapHeapScan:
      break;
    default:
      return false;
  }
  const Index scanrelid = ((Scan*)plan)->scanrelid;
  if (scanrelid == 0 || scanrelid > (Index)list_length(f->rtable)) return false;
  RangeTblEntry* rte = rt_fetch(scanrelid, f->rtable);
  if (rte->rtekind != RTE_RELATION || get_rel_namespace(rte->relid) != internal_namespace_oid()) return false;
  ListCell* lc;
  foreach (lc, plan->targetlist) {
    Expr* e = ((TargetEntry*)lfirst(lc))->expr;
    if (!IsA(e, Var) || ((Var*)e)->varlevelsup != 0) return false;
  }
  return true;
}

// Whether every Var of the Result's target list is a column of its input (OUTER_VAR) within
// `natts`.
bool only_outer_vars_walker(Node* node, int* natts) {
  if (node == nullptr) return false;
  if (IsA(node, Var)) {
    Var* v = (Var*)node;
    return v->varno != OUTER_VAR || v->varlevelsup != 0 || v->varattno < 1 || v->varattno > *natts;
  }
  return expression_tree_walker(node, (bool (*)())only_outer_vars_walker, natts);
}

Node* substitute_mutator(Node* node, List* child_tlist) {
  if (node == nullptr) return nullptr;
  if (IsA(node, Var) && ((Var*)node)->varno == OUTER_VAR)
    return (Node*)copyObjectImpl(((TargetEntry*)list_nth(child_tlist, ((Var*)node)->varattno - 1))->expr);
  return expression_tree_mutator(node, (Node * (*)()) substitute_mutator, child_tlist);
}

// The Result's target list in terms of the child scan's columns.
List* projected_tlist(List* result_tlist, List* child_tlist) {
  List* out = NIL;
  ListCell* lc;
  foreach (lc, result_tlist) {
    TargetEntry* tle = (TargetEntry*)lfirst(lc);
    TargetEntry* copy = flatCopyTargetEntry(tle);
    copy->expr = (Expr*)substitute_mutator((Node*)tle->expr, child_tlist);
    out = lappend(out, copy);
  }
  return out;
}

void take_projection(Plan* into, const Plan* result) {
  into->startup_cost = result->startup_cost;
  into->total_cost = result->total_cost;
  into->plan_width = result->plan_width;
  into->extParam = bms_union(into->extParam, result->extParam);
  into->allParam = bms_union(into->allParam, result->allParam);
}

// The plan that replaces `plan` if it is a Result that only projects a chunk scan, or an Append
// of chunk scans; `plan` itself otherwise.
Plan* fold_result(const Fold* f, Plan* plan) {
  if (!IsA(plan, Result)) return plan;
  Result* r = (Result*)plan;
  Plan* child = plan->lefttree;
  if (r->resconstantqual != nullptr || plan->qual != NIL || plan->initPlan != NIL || plan->righttree != nullptr ||
      child == nullptr)
    return plan;
  int natts = list_length(child->targetlist);
  if (only_outer_vars_walker((Node*)plan->targetlist, &natts)) return plan;
  if (plain_chunk_scan(f, child)) {
    child->targetlist = projected_tlist(plan->targetlist, child->targetlist);
    take_projection(child, plan);
    return child;
  }
  if (!IsA(child, Append) || child->parallel_aware || ((Append*)child)->part_prune_info != nullptr) return plan;
  Append* append = (Append*)child;
  if (append->appendplans == NIL) return plan;
  ListCell* lc;
  foreach (lc, append->appendplans) {
    Plan* sub = (Plan*)lfirst(lc);
    if (!plain_chunk_scan(f, sub) || list_length(sub->targetlist) != natts) return plan;
  }
  foreach (lc, append->appendplans) {
    Plan* sub = (Plan*)lfirst(lc);
    sub->targetlist = projected_tlist(plan->targetlist, sub->targetlist);
    sub->plan_width = plan->plan_width;
    sub->extParam = bms_union(sub->extParam, plan->extParam);
    sub->allParam = bms_union(sub->allParam, plan->allParam);
  }
  List* tlist = NIL;
  foreach (lc, plan->targetlist) {
    TargetEntry* tle = (TargetEntry*)lfirst(lc);
    Var* var = makeVar(OUTER_VAR, tle->resno, exprType((Node*)tle->expr), exprTypmod((Node*)tle->expr),
                       exprCollation((Node*)tle->expr), 0);
    TargetEntry* copy = flatCopyTargetEntry(tle);
    copy->expr = (Expr*)var;
    tlist = lappend(tlist, copy);
  }
  child->targetlist = tlist;
  take_projection(child, plan);
  return child;
}

Plan* fold_plan(const Fold* f, Plan* plan);

void fold_list(const Fold* f, List* plans) {
  ListCell* lc;
  foreach (lc, plans) lfirst(lc) = fold_plan(f, (Plan*)lfirst(lc));
}

Plan* fold_plan(const Fold* f, Plan* plan) {
  if (plan == nullptr) return nullptr;
  plan->lefttree = fold_plan(f, plan->lefttree);
  plan->righttree = fold_plan(f, plan->righttree);
  switch (nodeTag(plan)) {
    case T_Append:
      fold_list(f, ((Append*)plan)->appendplans);
      break;
    case T_MergeAppend:
      fold_list(f, ((MergeAppend*)plan)->mergeplans);
      break;
    case T_SubqueryScan:
      ((SubqueryScan*)plan)->subplan = fold_plan(f, ((SubqueryScan*)plan)->subplan);
      break;
    case T_CustomScan:
      fold_list(f, ((CustomScan*)plan)->custom_plans);
      break;
    default:
      break;
  }
  return fold_result(f, plan);
}

}  // namespace

void fold_chunk_projections(const pg::PlannerCall*, PlannedStmt* stmt) {
  if (!guc_enable_chunk_projection || stmt == nullptr || stmt->commandType != CMD_SELECT ||
      stmt->rowMarks != NIL || stmt->hasModifyingCTE || !extension_is_active())
    return;
  Fold f{stmt->rtable};
  stmt->planTree = fold_plan(&f, stmt->planTree);
  fold_list(&f, stmt->subplans);
}

}  // namespace strata
