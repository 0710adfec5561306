// Lazy chunk locking: a plan lists the chunks under a ChunkAppend with startup exclusion (or a
// ChunkMergeAppend, chunk_merge.hpp, which always has it) so that PostgreSQL does not lock them
// before execution (AcquireExecutorLocks locks only RTE_RELATION entries), and the node locks only
// the chunks that survive exclusion (see
// "Generic plans and chunk locks" in docs/ARCHITECTURE.md).
#include "planner/lazy_locks.hpp"

#include "pg/pg.hpp"
#include "planner/chunk_append.hpp"
#include "planner/chunk_merge.hpp"
#include "planner/lazy_dml.hpp"
#include "planner/planner.hpp"
#include "planner/skip_scan.hpp"

extern "C" {
#include "catalog/pg_class.h"
#include "executor/executor.h"
#include "nodes/plannodes.h"
#include "parser/parsetree.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
}

namespace strata {

bool guc_enable_lazy_chunk_locking = true;

namespace {

// A deferred chunk's range table entry is an RTE_RESULT (which nothing locks, opens or checks)
// that keeps its relid, relkind and rellockmode, with one of these in ctename (unused for
// RTE_RESULT; copied with the entry): kPlanMarker in the plan as the planner made and the plan
// cache keeps it, kPrivateMarker in the copy that one execution owns (prepare_lazy_chunk_rtes).
const char kPlanMarker[] = "strata_lazy_chunk";
const char kPrivateMarker[] = "strata_lazy_chunk_private";

bool has_marker(const RangeTblEntry* rte, const char* marker) {
  return rte->rtekind == RTE_RESULT && OidIsValid(rte->relid) && rte->ctename != nullptr &&
         strcmp(rte->ctename, marker) == 0;
}

// Who references each range table entry of a plan, found by walking every plan node: nobody
// (0), exactly one child of one ChunkAppend with startup exclusion or ChunkMergeAppend (its
// slot, from 1), or anything else (kShared: a scan outside such a child, two children, a result
// relation, a row mark, a foreign or custom scan's relids).
constexpr int kShared = -1;

struct Walk {
  int* owner;       // indexed by RT index, 1-based
  int nrtable;
  int nslots;
  List* slot_scan;  // per slot: the ChunkAppend (or ChunkMergeAppend)
  List* slot_child; // per slot: the child's index
  // Generic UPDATE / DELETE (lazy_dml.hpp): the ModifyTables whose result relations may be
  // deferred, the ChunkAppends their executor-start pruning reaches, and per RT index whether it
  // is a result relation of one of them (such a reference does not count as kShared).
  List* dml_mts;
  List* dml_reach;
  bool* dml_result;
};

// register_child_scoped_scan's methods (a handful, registered at load).
constexpr int kMaxChildScoped = 4;
const CustomScanMethods* child_scoped[kMaxChildScoped];
int nchild_scoped = 0;

bool is_child_scoped(const CustomScan* cscan) {
  if (is_skip_scan_plan(cscan)) return true;
  for (int i = 0; i < nchild_scoped; ++i)
    if (cscan->methods == child_scoped[i]) return true;
  return false;
}

void ref(Walk* w, int rti, int slot) {
  if (rti <= 0 || rti > w->nrtable) return;
  const int o = slot > 0 ? slot : kShared;
  if (w->owner[rti] == 0)
    w->owner[rti] = o;
  else if (w->owner[rti] != o)
    w->owner[rti] = kShared;
}

void ref_set(Walk* w, Bitmapset* relids, int slot) {
  int x = -1;
  while ((x = bms_next_member(relids, x)) >= 0) ref(w, x, slot);
}

void walk_plan(Walk* w, Plan* plan, int slot);

void walk_list(Walk* w, List* plans, int slot) {
  ListCell* lc;
  foreach (lc, plans) walk_plan(w, (Plan*)lfirst(lc), slot);
}

void walk_plan(Walk* w, Plan* plan, int slot) {
  if (plan == nullptr) return;
  switch (nodeTag(plan)) {
    case T_SeqScan:
    case T_SampleScan:
    case T_IndexScan:
    case T_IndexOnlyScan:
    case T_BitmapIndexScan:
    case T_BitmapHeapScan:
    case T_TidScan:
    case T_TidRangeScan:
    case T_FunctionScan:
    case T_TableFuncScan:
    case T_ValuesScan:
    case T_CteScan:
    case T_NamedTuplestoreScan:
    case T_WorkTableScan:
      ref(w, (int)((Scan*)plan)->scanrelid, slot);
      break;
    case T_SubqueryScan:
      ref(w, (int)((Scan*)plan)->scanrelid, slot);
      walk_plan(w, ((SubqueryScan*)plan)->subplan, slot);
      break;
    case T_ForeignScan:
      ref(w, (int)((Scan*)plan)->scanrelid, kShared);
      ref_set(w, ((ForeignScan*)plan)->fs_relids, kShared);
      break;
    case T_CustomScan: {
      CustomScan* cscan = (CustomScan*)plan;
      ref(w, (int)cscan->scan.scanrelid, slot);
      if ((is_chunk_append_plan(cscan) && chunk_append_excludes_at_startup(cscan)) || is_chunk_merge_plan(cscan)) {
        // Each child of this node gets its own slot: it is initialized only if it survives.
        ListCell* lc;
        int i = 0;
        foreach (lc, cscan->custom_plans) {
          w->nslots++;
          w->slot_scan = lappend(w->slot_scan, cscan);
          w->slot_child = lappend_int(w->slot_child, i++);
          walk_plan(w, (Plan*)lfirst(lc), w->nslots);
        }
      } else {
        // A SkipScan's relids are its child index scan's relation, which only that child opens (a
        // RowstoreAggregate's likewise: register_child_scoped_scan).
        ref_set(w, cscan->custom_relids, is_child_scoped(cscan) ? slot : kShared);
        walk_list(w, cscan->custom_plans, slot);
      }
      // A wrapper whose child is both its custom plan and its lefttree (ChunkRowMove, for
      // EXPLAIN) is walked once: a second walk would see each ChunkAppend child twice.
      if (plan->lefttree != nullptr && list_member_ptr(cscan->custom_plans, plan->lefttree)) {
        walk_plan(w, plan->righttree, slot);
        return;
      }
      break;
    }
    case T_Append:
      walk_list(w, ((Append*)plan)->appendplans, slot);
      break;
    case T_MergeAppend:
      walk_list(w, ((MergeAppend*)plan)->mergeplans, slot);
      break;
    case T_BitmapAnd:
      walk_list(w, ((BitmapAnd*)plan)->bitmapplans, slot);
      break;
    case T_BitmapOr:
      walk_list(w, ((BitmapOr*)plan)->bitmapplans, slot);
      break;
    case T_ModifyTable: {
      ModifyTable* mt = (ModifyTable*)plan;
      ListCell* lc;
      const bool prunable = list_member_ptr(w->dml_mts, mt);
      foreach (lc, mt->resultRelations) {
        const int rti = lfirst_int(lc);
        if (prunable && rti != (int)mt->rootRelation && rti > 0 && rti <= w->nrtable)
          w->dml_result[rti] = true;
        else
          ref(w, rti, kShared);
      }
      ref(w, (int)mt->rootRelation, kShared);
      ref(w, (int)mt->nominalRelation, kShared);
      break;
    }
    default:
      break;
  }
  walk_plan(w, plan->lefttree, slot);
  walk_plan(w, plan->righttree, slot);
}

}  // namespace

void register_child_scoped_scan(const CustomScanMethods* methods) {
  for (int i = 0; i < nchild_scoped; ++i)
    if (child_scoped[i] == methods) return;
  if (nchild_scoped == kMaxChildScoped)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("too many child-scoped custom scans")));
  child_scoped[nchild_scoped++] = methods;
}

void defer_chunk_locks(const pg::PlannerCall*, PlannedStmt* stmt) {
  if (!guc_enable_lazy_chunk_locking || stmt == nullptr || stmt->commandType == CMD_UTILITY) return;
  const int n = list_length(stmt->rtable);
  if (n == 0) return;
  Walk w{(int*)palloc0(sizeof(int) * (n + 1)), n, 0, NIL, NIL, NIL, NIL, (bool*)palloc0(sizeof(bool) * (n + 1))};
  // ModifyTables that executor start can prune (lazy_dml.cpp), and what their pruning reaches.
  {
    ModifyTable* mt = dml_prunable_modify_table(stmt->planTree, &w.dml_reach);
    if (mt != nullptr) w.dml_mts = lappend(w.dml_mts, mt);
    ListCell* sp;
    foreach (sp, stmt->subplans) {
      mt = dml_prunable_modify_table((Plan*)lfirst(sp), &w.dml_reach);
      if (mt != nullptr) w.dml_mts = lappend(w.dml_mts, mt);
    }
  }
  walk_plan(&w, stmt->planTree, kShared);
  // Sub-plans are all initialized at executor start (their nodes reference their relations
  // whether or not a chunk survives), but a ChunkAppend there defers its children as anywhere
  // (a data-modifying WITH query's ModifyTable is a sub-plan).
  walk_list(&w, stmt->subplans, kShared);
  if (w.nslots == 0) return;
  // Everything initialized whether or not a chunk survives: result relations and row marks
  // (opened by InitPlan / ModifyTable).
  ListCell* lc;
  foreach (lc, stmt->resultRelations)
    if (!w.dml_result[lfirst_int(lc)]) ref(&w, lfirst_int(lc), kShared);
  foreach (lc, stmt->rowMarks) {
    PlanRowMark* rc = (PlanRowMark*)lfirst(lc);
    ref(&w, (int)rc->rti, kShared);
    ref(&w, (int)rc->prti, kShared);
  }

  // Per ChunkAppend: a List with one IntList of deferred RT indexes per child.
  List* scans = NIL;
  List* lazy_lists = NIL;
  for (int rti = 1; rti <= n; ++rti) {
    const int slot = w.owner[rti];
    if (slot <= 0) continue;
    RangeTblEntry* rte = rt_fetch(rti, stmt->rtable);
    if (rte->rtekind != RTE_RELATION || rte->relkind != RELKIND_RELATION || rte->inh) continue;
    CustomScan* cscan = (CustomScan*)list_nth(w.slot_scan, slot - 1);
    const int child = list_nth_int(w.slot_child, slot - 1);
    // A result relation is deferred only where executor start prunes it with its scan.
    if (w.dml_result[rti] && !list_member_ptr(w.dml_reach, cscan)) continue;
    int k = -1;
    for (int i = 0; i < list_length(scans) && k < 0; ++i)
      if (list_nth(scans, i) == cscan) k = i;
    List* per_child;
    if (k >= 0) {
      per_child = (List*)list_nth(lazy_lists, k);
    } else {
      per_child = NIL;
      for (int i = 0; i < list_length(cscan->custom_plans); ++i) per_child = lappend(per_child, NIL);
      scans = lappend(scans, cscan);
      lazy_lists = lappend(lazy_lists, per_child);
    }
    ListCell* cell = list_nth_cell(per_child, child);
    lfirst(cell) = lappend_int((List*)lfirst(cell), rti);
    rte->rtekind = RTE_RESULT;
    rte->ctename = pstrdup(kPlanMarker);
  }
  ListCell* sc;
  ListCell* lz;
  forboth (sc, scans, lz, lazy_lists) {
    CustomScan* cscan = (CustomScan*)lfirst(sc);
    if (is_chunk_merge_plan(cscan))
      chunk_merge_set_deferred(cscan, (List*)lfirst(lz));
    else
      chunk_append_set_deferred(cscan, (List*)lfirst(lz));
  }
}

void prepare_lazy_chunk_rtes(QueryDesc* query_desc, int) {
  PlannedStmt* stmt = query_desc->plannedstmt;
  if (stmt == nullptr || stmt->commandType == CMD_UTILITY) return;
  ListCell* lc;
  bool any = false;
  foreach (lc, stmt->rtable) {
    if (has_marker((RangeTblEntry*)lfirst(lc), kPlanMarker)) {
      any = true;
      break;
    }
  }
  if (!any) return;
  // The plan may be a cached one, shared by executions: never change it. This execution gets a
  // shallow copy whose deferred entries are its own, living as long as the QueryDesc.
  MemoryContext old = MemoryContextSwitchTo(GetMemoryChunkContext(query_desc));
  PlannedStmt* copy = makeNode(PlannedStmt);
  memcpy(copy, stmt, sizeof(PlannedStmt));
  List* rtable = NIL;
  foreach (lc, stmt->rtable) {
    RangeTblEntry* rte = (RangeTblEntry*)lfirst(lc);
    if (has_marker(rte, kPlanMarker)) {
      RangeTblEntry* own = (RangeTblEntry*)palloc(sizeof(RangeTblEntry));
      memcpy(own, rte, sizeof(RangeTblEntry));
      own->ctename = pstrdup(kPrivateMarker);
      rte = own;
    }
    rtable = lappend(rtable, rte);
  }
  copy->rtable = rtable;
  // Generic UPDATE / DELETE: the result relations that survive startup exclusion are locked now,
  // the others leave this execution's ModifyTable (lazy_dml.cpp).
  prune_deferred_result_relations(copy, query_desc->params);
  query_desc->plannedstmt = copy;
  MemoryContextSwitchTo(old);
}

bool is_deferred_for_execution(const RangeTblEntry* rte) { return has_marker(rte, kPrivateMarker); }

bool lock_deferred_chunks(EState* estate, List* rtis) { return lock_deferred_rtes(estate->es_range_table, rtis); }

bool lock_deferred_rtes(List* rtable, List* rtis) {
  ListCell* lc;
  foreach (lc, rtis) {
    RangeTblEntry* rte = rt_fetch((Index)lfirst_int(lc), rtable);
    if (rte->rtekind == RTE_RELATION) continue;  // restored already (EvalPlanQual starts again)
    if (!has_marker(rte, kPrivateMarker))
      elog(ERROR, "range table entry %d of a ChunkAppend was not prepared for execution", lfirst_int(lc));
    LockRelationOid(rte->relid, rte->rellockmode);
    // Dropped since the plan was checked (its invalidation replans the statement next time).
    if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(rte->relid))) {
      UnlockRelationOid(rte->relid, rte->rellockmode);
      return false;
    }
  }
  foreach (lc, rtis) {
    RangeTblEntry* rte = rt_fetch((Index)lfirst_int(lc), rtable);
    if (rte->rtekind == RTE_RELATION) continue;
    rte->rtekind = RTE_RELATION;
    rte->ctename = nullptr;
    // No permission check is skipped: chunks are planned without required permissions of their
    // own (add_chunk_rte), permissions are checked on the hypertable's entry.
  }
  return true;
}

}  // namespace strata
