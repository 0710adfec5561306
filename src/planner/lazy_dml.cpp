// Lazy chunk locking for generic UPDATE, DELETE and MERGE plans (see lazy_dml.hpp and "Generic plans and
// chunk locks" in docs/ARCHITECTURE.md).
//
// PostgreSQL 15's ExecInitModifyTable opens every result relation before it initializes its
// subplan, trusting that each is locked. So the decision ChunkAppend takes at its startup is taken
// here, before the executor starts: the startup clauses are evaluated with the execution's
// parameters, the survivors are locked, and the execution gets copies of the ModifyTable (its
// result relations and every list parallel to them), of the ChunkAppend (only the surviving
// children) and of the nodes in between. ChunkAppend evaluates the same clauses again at its
// startup; it can only keep fewer children (never one whose result relation was left out).
#include "planner/lazy_dml.hpp"

#include "pg/pg.hpp"
#include "planner/chunk_append.hpp"
#include "planner/lazy_locks.hpp"

extern "C" {
#include "nodes/bitmapset.h"
#include "nodes/extensible.h"
#include "parser/parsetree.h"
}

namespace strata {

namespace {

bool is_custom_named(const Plan* plan, const char* name) {
  if (plan == nullptr || !IsA(plan, CustomScan)) return false;
  const CustomScan* cscan = (const CustomScan*)plan;
  return cscan->methods != nullptr && strcmp(cscan->methods->CustomName, name) == 0;
}

// The size of a node between a ModifyTable and a ChunkAppend that pruning may copy (a shallow
// copy with new children), 0 for any other node (pruning does not look below it).
size_t copyable_size(const Plan* plan) {
  switch (nodeTag(plan)) {
    case T_Result:
      return sizeof(Result);
    case T_ProjectSet:
      return sizeof(ProjectSet);
    case T_Material:
      return sizeof(Material);
    case T_Memoize:
      return sizeof(Memoize);
    case T_Sort:
      return sizeof(Sort);
    case T_IncrementalSort:
      return sizeof(IncrementalSort);
    case T_Hash:
      return sizeof(Hash);
    case T_NestLoop:
      return sizeof(NestLoop);
    case T_HashJoin:
      return sizeof(HashJoin);
    case T_MergeJoin:
      return sizeof(MergeJoin);
    case T_CustomScan:
      // ChunkRowMove (an UPDATE that sets the time column): its child is its custom plan, and
      // also its lefttree for EXPLAIN (a copy of it once the plan cache copied the plan).
      if (is_custom_named(plan, "ChunkRowMove") && list_length(((const CustomScan*)plan)->custom_plans) == 1 &&
          plan->righttree == nullptr)
        return sizeof(CustomScan);
      return 0;
    default:
      return 0;
  }
}

bool is_startup_chunk_append(const Plan* plan) {
  return plan != nullptr && IsA(plan, CustomScan) && is_chunk_append_plan((const CustomScan*)plan) &&
         chunk_append_excludes_at_startup((const CustomScan*)plan);
}

void reach_chunk_appends(Plan* plan, List** reach) {
  if (plan == nullptr) return;
  if (is_startup_chunk_append(plan)) {
    *reach = lappend(*reach, plan);
    return;
  }
  if (copyable_size(plan) == 0) return;
  if (IsA(plan, CustomScan)) {
    reach_chunk_appends((Plan*)linitial(((CustomScan*)plan)->custom_plans), reach);
    return;
  }
  reach_chunk_appends(plan->lefttree, reach);
  reach_chunk_appends(plan->righttree, reach);
}

// The ModifyTable at `top` (or under StrataUpdate) that may be pruned, or nullptr.
ModifyTable* prunable_at(Plan* top) {
  Plan* plan = top;
  if (is_custom_named(plan, "StrataUpdate") && list_length(((CustomScan*)plan)->custom_plans) == 1)
    plan = (Plan*)linitial(((CustomScan*)plan)->custom_plans);
  if (plan == nullptr || !IsA(plan, ModifyTable)) return nullptr;
  ModifyTable* mt = (ModifyTable*)plan;
  // MERGE too: its execution keeps the plan's first result relation (see prune_modify_table).
  if (mt->operation != CMD_UPDATE && mt->operation != CMD_DELETE && mt->operation != CMD_MERGE) return nullptr;
  if (mt->rootRelation == 0 || outerPlan(mt) == nullptr) return nullptr;
  return mt;
}

// The subtree `plan` for this execution: a copy in which each ChunkAppend with startup clauses
// keeps only the children that survive them (their deferred chunks locked), and each node above
// it is copied; `plan` itself when nothing below changed. Walks exactly what reach_chunk_appends
// walks.
Plan* prune_subtree(Plan* plan, List* rtable, ParamListInfo params, Bitmapset** reached) {
  if (plan == nullptr) return nullptr;
  if (is_startup_chunk_append(plan)) {
    CustomScan* cscan = (CustomScan*)plan;
    List* deferred = chunk_append_deferred(cscan);
    if (deferred == NIL) return plan;
    ListCell* lc;
    foreach (lc, deferred) {
      ListCell* rc;
      foreach (rc, (List*)lfirst(lc)) *reached = bms_add_member(*reached, lfirst_int(rc));
    }
    bool* keep = chunk_append_startup_survivors(cscan, params);
    for (int i = 0; i < list_length(cscan->custom_plans); ++i)
      // A chunk dropped since the plan was checked has no rows left (skipped, as ChunkAppend does).
      if (keep[i] && !lock_deferred_rtes(rtable, (List*)list_nth(deferred, i))) keep[i] = false;
    return (Plan*)chunk_append_copy_keeping(cscan, keep);
  }
  const size_t size = copyable_size(plan);
  if (size == 0) return plan;
  if (IsA(plan, CustomScan)) {  // ChunkRowMove: the pruned child is its custom plan and lefttree
    Plan* child = (Plan*)linitial(((CustomScan*)plan)->custom_plans);
    Plan* pruned = prune_subtree(child, rtable, params, reached);
    if (pruned == child) return plan;
    CustomScan* copy = (CustomScan*)palloc(size);
    memcpy(copy, plan, size);
    copy->custom_plans = list_make1(pruned);
    copy->scan.plan.lefttree = pruned;
    return &copy->scan.plan;
  }
  Plan* left = prune_subtree(plan->lefttree, rtable, params, reached);
  Plan* right = prune_subtree(plan->righttree, rtable, params, reached);
  if (left == plan->lefttree && right == plan->righttree) return plan;
  Plan* copy = (Plan*)palloc(size);
  memcpy(copy, plan, size);
  copy->lefttree = left;
  copy->righttree = right;
  return copy;
}

List* keep_nth(List* list, const bool* keep) {
  if (list == NIL) return NIL;
  List* out = NIL;
  for (int i = 0; i < list_length(list); ++i)
    if (keep[i]) out = lappend(out, list_nth(list, i));
  return out;
}

ModifyTable* prune_modify_table(ModifyTable* mt, List* rtable, ParamListInfo params) {
  const int n = list_length(mt->resultRelations);
  bool any = false;
  ListCell* lc;
  foreach (lc, mt->resultRelations)
    any |= is_deferred_for_execution(rt_fetch(lfirst_int(lc), rtable));
  if (!any) return mt;

  Bitmapset* reached = nullptr;
  Plan* sub = prune_subtree(outerPlan(mt), rtable, params, &reached);
  // The result relations this execution keeps: those never deferred, and those whose ChunkAppend
  // child survived (prune_subtree made their entries relations again). Rows come only from the
  // surviving children, so the others can receive none.
  bool* keep = (bool*)palloc0(sizeof(bool) * n);
  int kept = 0;
  for (int i = 0; i < n; ++i) {
    const int rti = list_nth_int(mt->resultRelations, i);
    // A deferred result relation under a ChunkAppend that pruning did not reach (the planner
    // defers only those it reaches: not expected) is kept and locked, as without deferral.
    if (is_deferred_for_execution(rt_fetch(rti, rtable)) && !bms_is_member(rti, reached) &&
        !lock_deferred_rtes(rtable, list_make1_int(rti)))
      ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                      errmsg("could not run a cached UPDATE or DELETE: a chunk it lists was dropped concurrently"),
                      errhint("Retry the statement.")));
    keep[i] = !is_deferred_for_execution(rt_fetch(rti, rtable));
    // MERGE: PostgreSQL 15 runs the NOT MATCHED actions through the first result relation's state
    // (its INSERT projection is built for that relation's slot and layout), so the execution keeps
    // the plan's first one, locked even when its chunk was excluded (it receives no matched row).
    if (i == 0 && !keep[i] && mt->operation == CMD_MERGE) {
      if (!lock_deferred_rtes(rtable, list_make1_int(rti)))
        ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                        errmsg("could not run a cached MERGE: a chunk it lists was dropped concurrently"),
                        errhint("Retry the statement.")));
      keep[i] = true;
    }
    kept += keep[i] ? 1 : 0;
  }
  // ModifyTable needs a result relation (the shape of RETURNING, its state's first entry):
  // without a survivor, the first deferred chunk that still exists, locked and never read.
  for (int i = 0; i < n && kept == 0; ++i) {
    if (lock_deferred_rtes(rtable, list_make1_int(list_nth_int(mt->resultRelations, i)))) {
      keep[i] = true;
      kept = 1;
    }
  }
  if (kept == 0)
    ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                    errmsg("could not run a cached UPDATE or DELETE: every chunk it lists was dropped concurrently"),
                    errhint("Retry the statement.")));

  ModifyTable* copy = makeNode(ModifyTable);
  memcpy(copy, mt, sizeof(ModifyTable));
  copy->plan.lefttree = sub;
  copy->resultRelations = keep_nth(mt->resultRelations, keep);
  copy->updateColnosLists = keep_nth(mt->updateColnosLists, keep);
  copy->withCheckOptionLists = keep_nth(mt->withCheckOptionLists, keep);
  copy->returningLists = keep_nth(mt->returningLists, keep);
  copy->fdwPrivLists = keep_nth(mt->fdwPrivLists, keep);
  copy->mergeActionLists = keep_nth(mt->mergeActionLists, keep);
  Bitmapset* direct = nullptr;
  for (int i = 0, j = 0; i < n; ++i) {
    if (!keep[i]) continue;
    if (bms_is_member(i, mt->fdwDirectModifyPlans)) direct = bms_add_member(direct, j);
    ++j;
  }
  copy->fdwDirectModifyPlans = direct;
  return copy;
}

// `top` for this execution (a copy when its ModifyTable was pruned).
Plan* prune_top(Plan* top, List* rtable, ParamListInfo params) {
  ModifyTable* mt = prunable_at(top);
  if (mt == nullptr) return top;
  ModifyTable* pruned = prune_modify_table(mt, rtable, params);
  if (pruned == mt) return top;
  if (top == &mt->plan) return &pruned->plan;
  CustomScan* wrapper = makeNode(CustomScan);  // StrataUpdate
  memcpy(wrapper, top, sizeof(CustomScan));
  wrapper->custom_plans = list_make1(pruned);
  return &wrapper->scan.plan;
}

}  // namespace

ModifyTable* dml_prunable_modify_table(Plan* top, List** reach) {
  ModifyTable* mt = prunable_at(top);
  if (mt == nullptr) return nullptr;
  List* found = NIL;
  reach_chunk_appends(outerPlan(mt), &found);
  if (found == NIL) return nullptr;
  *reach = list_concat(*reach, found);
  return mt;
}

void prune_deferred_result_relations(PlannedStmt* stmt, ParamListInfo params) {
  stmt->planTree = prune_top(stmt->planTree, stmt->rtable, params);
  // Data-modifying WITH queries: their ModifyTables are sub-plans (a new list: the cached plan's
  // is shared).
  List* subplans = NIL;
  bool changed = false;
  ListCell* lc;
  foreach (lc, stmt->subplans) {
    Plan* sub = (Plan*)lfirst(lc);
    Plan* pruned = prune_top(sub, stmt->rtable, params);
    changed |= pruned != sub;
    subplans = lappend(subplans, pruned);
  }
  if (changed) stmt->subplans = subplans;
  // The statement's list of result relations, without those left out.
  List* results = NIL;
  foreach (lc, stmt->resultRelations)
    if (!is_deferred_for_execution(rt_fetch(lfirst_int(lc), stmt->rtable)))
      results = lappend_int(results, lfirst_int(lc));
  stmt->resultRelations = results;
}

}  // namespace strata
