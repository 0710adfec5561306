// The command tag of a MERGE into a hypertable (merge_count.hpp). C-style glue.
#include "hypertable/merge_count.hpp"

#include "pg/pg.hpp"

extern "C" {
#include "nodes/plannodes.h"
#include "parser/parsetree.h"
#include "utils/memutils.h"
}

namespace strata {

namespace {

// A MERGE whose executor state is alive, newest first. PostgreSQL 15 runs a MERGE from executor
// start to end in one go (no cursors, no RETURNING), so a MERGE started inside another's run
// (from a trigger) ends before the outer one goes on: the newest entry for a relation is the
// MERGE that is running on it.
struct RunningMerge {
  EState* estate;
  Oid relid;
  RunningMerge* next;
  MemoryContextCallback on_end;
};
RunningMerge* running_merges = nullptr;

// The executor state's memory goes (ExecutorEnd, or an error's cleanup): forget the MERGE.
void forget_merge(void* arg) {
  for (RunningMerge** p = &running_merges; *p != nullptr; p = &(*p)->next)
    if (*p == arg) {
      *p = (*p)->next;
      return;
    }
}

}  // namespace

void note_merge_into_hypertable(QueryDesc* query_desc, int) {
  PlannedStmt* stmt = query_desc->plannedstmt;
  EState* estate = query_desc->estate;
  if (estate == nullptr || stmt == nullptr || stmt->commandType != CMD_MERGE || !stmt->canSetTag) return;
  // The ModifyTable, under strata's custom scans that may wrap it (StrataUpdate).
  Plan* plan = stmt->planTree;
  while (plan != nullptr && IsA(plan, CustomScan)) {
    auto* cscan = reinterpret_cast<CustomScan*>(plan);
    plan = list_length(cscan->custom_plans) == 1 ? static_cast<Plan*>(linitial(cscan->custom_plans)) : nullptr;
  }
  if (plan == nullptr || !IsA(plan, ModifyTable)) return;
  auto* mt = reinterpret_cast<ModifyTable*>(plan);
  Oid relid = rt_fetch(mt->nominalRelation, stmt->rtable)->relid;
  if (!extension_is_active() || !is_hypertable(relid)) return;
  auto* entry = static_cast<RunningMerge*>(MemoryContextAllocZero(estate->es_query_cxt, sizeof(RunningMerge)));
  entry->estate = estate;
  entry->relid = relid;
  pg::call_at_reset(estate->es_query_cxt, forget_merge, entry, &entry->on_end);
  entry->next = running_merges;
  running_merges = entry;
}

// PostgreSQL counts a MERGE's inserted row only when the BEFORE INSERT triggers keep it; the
// routing trigger drops it from the parent after putting it into its chunk, so it counts here.
void count_rows_routed_by_trigger(Oid relid, uint64 rows) {
  for (RunningMerge* m = running_merges; m != nullptr; m = m->next)
    if (m->relid == relid) {
      m->estate->es_processed += rows;
      return;
    }
}

}  // namespace strata
