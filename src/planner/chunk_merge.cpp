// ChunkMergeAppend (see chunk_merge.hpp): path, plan and executor node.
//
// The path is built with chunk_append_path_create (so the clauses and the children's ranges are
// encoded exactly as ChunkAppend encodes them) and then given this node's methods; the plan keeps
// ChunkAppend's first two custom_private elements, so chunk_append_startup_survivors evaluates
// its startup clauses, and adds the sort keys:
//   custom_private = (meta, ranges, sort keys [, deferred])
// with the sort keys an IntList: per key the output column, the ordering operator, the collation
// and nulls_first; and, when lazy_locks.cpp deferred the chunks' locks, per child an IntList of RT
// indexes to lock.
#include "planner/chunk_merge.hpp"

#include "catalog/chunks.hpp"
#include "catalog/hypertables.hpp"
#include "pg/guard.hpp"
#include "pg/pg.hpp"
#include "planner/chunk_append.hpp"
#include "planner/lazy_locks.hpp"
#include "planner/planner.hpp"
#include "planner/restrict.hpp"

extern "C" {
#include "commands/explain.h"
#include "executor/executor.h"
#include "lib/binaryheap.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "utils/lsyscache.h"
#include "utils/sortsupport.h"
}

namespace strata {

namespace {

enum { kMeta = 0, kRanges = 1, kSortKeys = 2, kDeferred = 3 };
constexpr int kPerSortKey = 4;

Plan* plan_chunk_merge(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist,
                       List* clauses, List* custom_plans);
Node* create_chunk_merge_state(CustomScan* cscan);

const CustomPathMethods path_methods = {
    "ChunkMergeAppend",
    pg::guarded<plan_chunk_merge>,
    nullptr,
};

const CustomScanMethods scan_methods = {
    "ChunkMergeAppend",
    pg::guarded<create_chunk_merge_state>,
};

// The sort keys of `pathkeys` as columns of `target` (1-based), or NIL when one is not a plain
// member of the output (MergeAppend would compute it as a junk column; not done here).
List* sort_keys_for(PathKey** keys, int nkeys, PathTarget* target, Relids relids) {
  List* out = NIL;
  for (int k = 0; k < nkeys; ++k) {
    PathKey* pk = keys[k];
    EquivalenceClass* ec = pk->pk_eclass;
    if (ec->ec_has_volatile) return NIL;
    int column = 0;
    Oid type = InvalidOid;
    int i = 0;
    ListCell* lc;
    foreach (lc, target->exprs) {
      ++i;
      EquivalenceMember* em = find_ec_member_matching_expr(ec, (Expr*)lfirst(lc), relids);
      if (em != nullptr) {
        column = i;
        type = em->em_datatype;
        break;
      }
    }
    if (column == 0) return NIL;
    const Oid sortop = get_opfamily_member(pk->pk_opfamily, type, type, pk->pk_strategy);
    if (!OidIsValid(sortop)) return NIL;
    out = lappend_int(out, column);
    out = lappend_int(out, (int)sortop);
    out = lappend_int(out, (int)ec->ec_collation);
    out = lappend_int(out, pk->pk_nulls_first ? 1 : 0);
  }
  return out;
}

Plan* plan_chunk_merge(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist,
                       List* clauses, List* custom_plans) {
  // The path's custom_private: ChunkAppend's (ranges, values, meta) and the sort keys.
  List* ranges = (List*)linitial(best_path->custom_private);
  List* values = (List*)lsecond(best_path->custom_private);
  List* meta = (List*)lthird(best_path->custom_private);
  List* sort_keys = (List*)lfourth(best_path->custom_private);
  CustomScan* cscan = makeNode(CustomScan);
  // As ChunkAppend: the children are planned with exact target lists (ours, translated) and
  // evaluate the restrictions; this node passes their tuples through.
  cscan->scan.plan.targetlist = tlist;
  cscan->scan.plan.qual = NIL;
  cscan->scan.scanrelid = rel->relid;
  cscan->flags = best_path->flags;
  cscan->custom_plans = custom_plans;
  cscan->custom_exprs = values;
  cscan->custom_private = list_make3(meta, ranges, sort_keys);
  cscan->custom_scan_tlist = NIL;
  cscan->methods = &scan_methods;
  return &cscan->scan.plan;
}

struct ChunkMergeState {
  CustomScanState css;
  PlanState** plans;  // the children that survived startup exclusion
  TupleTableSlot** slots;  // each one's current row
  int nplans;
  int excluded;
  int nkeys;
  SortSupport keys;
  binaryheap* heap;
  bool started;
};

int compare_children(Datum a, Datum b, void* arg) {
  ChunkMergeState* s = (ChunkMergeState*)arg;
  TupleTableSlot* x = s->slots[DatumGetInt32(a)];
  TupleTableSlot* y = s->slots[DatumGetInt32(b)];
  for (int k = 0; k < s->nkeys; ++k) {
    SortSupport key = &s->keys[k];
    bool xnull, ynull;
    Datum xv = slot_getattr(x, key->ssup_attno, &xnull);
    Datum yv = slot_getattr(y, key->ssup_attno, &ynull);
    const int c = ApplySortComparator(xv, xnull, yv, ynull, key);
    if (c != 0) return -c;  // binaryheap keeps the largest first
  }
  return 0;
}

void begin_chunk_merge(CustomScanState* node, EState* estate, int eflags) {
  ChunkMergeState* s = (ChunkMergeState*)node;
  CustomScan* cscan = (CustomScan*)node->ss.ps.plan;
  List* sort_keys = (List*)list_nth(cscan->custom_private, kSortKeys);
  List* deferred = list_length(cscan->custom_private) > kDeferred
                       ? (List*)list_nth(cscan->custom_private, kDeferred)
                       : NIL;
  // Children's tuples pass through unchanged, so our result slots are of varying types.
  node->ss.ps.resultopsset = true;
  node->ss.ps.resultopsfixed = false;

  // The clauses ChunkAppend evaluates at its startup (parameters, now(), stable functions).
  const bool* keep = chunk_append_startup_survivors(cscan, estate->es_param_list_info);
  const int nchildren = list_length(cscan->custom_plans);
  const int cap = nchildren > 0 ? nchildren : 1;
  s->plans = (PlanState**)palloc0(sizeof(PlanState*) * cap);
  s->slots = (TupleTableSlot**)palloc0(sizeof(TupleTableSlot*) * cap);
  s->nplans = 0;
  s->excluded = 0;
  node->custom_ps = NIL;
  for (int i = 0; i < nchildren; ++i) {
    if (!keep[i]) {
      s->excluded++;
      continue;
    }
    // A chunk dropped since the plan was checked has no rows left to read.
    if (deferred != NIL && !lock_deferred_chunks(estate, (List*)list_nth(deferred, i))) {
      s->excluded++;
      continue;
    }
    PlanState* ps = ExecInitNode((Plan*)list_nth(cscan->custom_plans, i), estate, eflags);
    s->plans[s->nplans++] = ps;
    node->custom_ps = lappend(node->custom_ps, ps);
  }

  s->nkeys = list_length(sort_keys) / kPerSortKey;
  s->keys = (SortSupport)palloc0(sizeof(SortSupportData) * (s->nkeys > 0 ? s->nkeys : 1));
  for (int k = 0; k < s->nkeys; ++k) {
    SortSupport key = &s->keys[k];
    key->ssup_cxt = CurrentMemoryContext;
    key->ssup_attno = (AttrNumber)list_nth_int(sort_keys, k * kPerSortKey);
    key->ssup_collation = (Oid)list_nth_int(sort_keys, k * kPerSortKey + 2);
    key->ssup_nulls_first = list_nth_int(sort_keys, k * kPerSortKey + 3) != 0;
    key->abbreviate = false;
    PrepareSortSupportFromOrderingOp((Oid)list_nth_int(sort_keys, k * kPerSortKey + 1), key);
  }
  s->heap = binaryheap_allocate(s->nplans > 0 ? s->nplans : 1, pg::guarded<compare_children>, s);
  s->started = false;
}

TupleTableSlot* exec_chunk_merge(CustomScanState* node) {
  ChunkMergeState* s = (ChunkMergeState*)node;
  if (!s->started) {
    // The first row of every child.
    for (int i = 0; i < s->nplans; ++i) {
      s->slots[i] = ExecProcNode(s->plans[i]);
      if (!TupIsNull(s->slots[i])) binaryheap_add_unordered(s->heap, Int32GetDatum(i));
    }
    binaryheap_build(s->heap);
    s->started = true;
  } else if (!binaryheap_empty(s->heap)) {
    // The child whose row was returned last moves on.
    const int i = DatumGetInt32(binaryheap_first(s->heap));
    s->slots[i] = ExecProcNode(s->plans[i]);
    if (!TupIsNull(s->slots[i]))
      binaryheap_replace_first(s->heap, Int32GetDatum(i));
    else
      (void)binaryheap_remove_first(s->heap);
  }
  if (binaryheap_empty(s->heap)) return ExecClearTuple(node->ss.ps.ps_ResultTupleSlot);
  return s->slots[DatumGetInt32(binaryheap_first(s->heap))];
}

void end_chunk_merge(CustomScanState* node) {
  ChunkMergeState* s = (ChunkMergeState*)node;
  for (int i = 0; i < s->nplans; ++i) ExecEndNode(s->plans[i]);
}

void rescan_chunk_merge(CustomScanState* node) {
  ChunkMergeState* s = (ChunkMergeState*)node;
  // Startup exclusion depends only on external parameters and stable functions, which do not
  // change between rescans; changed executor parameters are passed down to the children.
  for (int i = 0; i < s->nplans; ++i) {
    PlanState* child = s->plans[i];
    if (node->ss.ps.chgParam != nullptr) UpdateChangedParamSet(child, node->ss.ps.chgParam);
    if (child->chgParam == nullptr) ExecReScan(child);
  }
  binaryheap_reset(s->heap);
  s->started = false;
}

void explain_chunk_merge(CustomScanState* node, List* ancestors, ExplainState* es) {
  ChunkMergeState* s = (ChunkMergeState*)node;
  ExplainPropertyInteger("Chunks excluded during startup", nullptr, s->excluded, es);
}

const CustomExecMethods exec_methods = {
    "ChunkMergeAppend",
    pg::guarded<begin_chunk_merge>,
    pg::guarded<exec_chunk_merge>,
    pg::guarded<end_chunk_merge>,
    pg::guarded<rescan_chunk_merge>,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    pg::guarded<explain_chunk_merge>,
};

Node* create_chunk_merge_state(CustomScan* cscan) {
  ChunkMergeState* s = (ChunkMergeState*)newNode(sizeof(ChunkMergeState), T_CustomScanState);
  s->css.methods = &exec_methods;
  return (Node*)s;
}

}  // namespace

Path* chunk_merge_path_create(PlannerInfo* root, MergeAppendPath* merge, List* subpaths) {
  if (!guc_enable_runtime_exclusion) return nullptr;
  RelOptInfo* rel = merge->path.parent;
  if (rel->reloptkind != RELOPT_BASEREL && rel->reloptkind != RELOPT_OTHER_MEMBER_REL) return nullptr;
  if (merge->path.param_info != nullptr || merge->path.pathkeys == NIL || subpaths == NIL) return nullptr;
  RangeTblEntry* rte = root->simple_rte_array[rel->relid];
  if (rte->rtekind != RTE_RELATION || !rte->inh) return nullptr;
  Hypertable* ht = hypertable_get(rte->relid);
  if (ht == nullptr) return nullptr;
  // The clauses to exclude with at executor start (those on executor parameters, known only
  // when the node runs, are left to the children's index quals).
  TimeRestriction restriction;
  time_restriction_analyze(root, rel, ht, &restriction);
  List* runtime = restriction.runtime;
  if (ht->num_partitions > 0) runtime = list_concat(runtime, space_runtime_clauses(root, rel, ht));
  List* startup = NIL;
  ListCell* lc;
  foreach (lc, runtime) {
    RuntimeClause* rc = (RuntimeClause*)lfirst(lc);
    if (!rc->exec_time) startup = lappend(startup, rc);
  }
  if (startup == NIL) return nullptr;

  const int nkeys = list_length(merge->path.pathkeys);
  PathKey** keys = (PathKey**)palloc(sizeof(PathKey*) * nkeys);
  int k = 0;
  foreach (lc, merge->path.pathkeys) keys[k++] = (PathKey*)lfirst(lc);
  List* sort_keys = sort_keys_for(keys, nkeys, merge->path.pathtarget, rel->relids);
  if (sort_keys == NIL) return nullptr;

  const int n = list_length(subpaths);
  ChunkAppendChild* children = (ChunkAppendChild*)palloc(sizeof(ChunkAppendChild) * n);
  int i = 0;
  foreach (lc, subpaths) {
    Path* sub = (Path*)lfirst(lc);
    // Each child must deliver the merge's order itself (no Sort is added above it).
    if (!pathkeys_contained_in(merge->path.pathkeys, sub->pathkeys)) return nullptr;
    RangeTblEntry* crte = root->simple_rte_array[sub->parent->relid];
    ChunkInfo chunk;
    if (crte->rtekind != RTE_RELATION || !chunk_get_by_relid(crte->relid, &chunk) ||
        chunk.hypertable_id != ht->id)
      return nullptr;
    children[i++] = ChunkAppendChild{sub, chunk.range_start, chunk.range_end, chunk.space_start, chunk.space_end};
  }
  CustomPath* cp = chunk_append_path_create(root, rel, children, n, startup, ht->time_type,
                                            merge->path.pathkeys, nullptr, &merge->path);
  cp->methods = &path_methods;
  cp->path.pathtarget = merge->path.pathtarget;
  cp->custom_private = lappend(cp->custom_private, sort_keys);
  return &cp->path;
}

bool is_chunk_merge_path(const Path* path) {
  return IsA(path, CustomPath) && ((const CustomPath*)path)->methods == &path_methods;
}

void merge_appends_to_chunk_merges(PlannerInfo* root, RelOptInfo* rel) {
  ListCell* lc;
  foreach (lc, rel->pathlist) {
    Path* path = (Path*)lfirst(lc);
    if (!IsA(path, MergeAppendPath) || path->param_info != nullptr || path->pathkeys == NIL) continue;
    MergeAppendPath* map = (MergeAppendPath*)path;
    List* subs = NIL;
    ListCell* sc;
    foreach (sc, map->subpaths) {
      Path* sub = (Path*)lfirst(sc);
      if (!pathkeys_contained_in(path->pathkeys, sub->pathkeys))
        sub = (Path*)create_sort_path(root, sub->parent, sub, path->pathkeys, -1.0);
      subs = lappend(subs, sub);
    }
    // Same rows and costs as the merge: replaced in place, the path list's order stays right.
    Path* chunk_merge = chunk_merge_path_create(root, map, subs);
    if (chunk_merge != nullptr) lfirst(lc) = chunk_merge;
  }
}

bool is_chunk_merge_plan(const CustomScan* cscan) { return cscan->methods == &scan_methods; }

void chunk_merge_set_deferred(CustomScan* cscan, List* per_child) {
  Assert(list_length(cscan->custom_private) == kDeferred);
  cscan->custom_private = lappend(cscan->custom_private, per_child);
}

void chunk_merge_register() { RegisterCustomScanMethods(&scan_methods); }

}  // namespace strata
