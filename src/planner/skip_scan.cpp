// SkipScan (see skip_scan.hpp): the paths under DISTINCT's Unique, the plan and the executor node.
//
// The node wraps an IndexScan or IndexOnlyScan of a btree whose leading column is the DISTINCT
// column. At executor start it adds one scan key on that column, in front of the child's keys
// (btree wants its keys ordered by column), and drives it through phases in the order in which
// the scan meets the values:
//   nulls      "col IS NULL"        the NULL group, if any (first or last, as the index places NULLs)
//   not null   "col IS NOT NULL"    the first non-NULL value
//   after v    "col > v" (or "<")   the next value after the last one returned
// After each row the key moves on and the child's index scan is restarted with index_rescan, so
// each distinct value costs one descent of the btree; the child's own index quals (a time range)
// and filter apply as usual. The Unique above stays: it is what makes the result right, the skip
// scan only leaves out rows it would have dropped.
#include "planner/skip_scan.hpp"

#include <cmath>

#include "catalog/catalog.hpp"
#include "planner/bucket_agg.hpp"
#include "pg/guard.hpp"
#include "pg/pg.hpp"
#include "planner/chunk_merge.hpp"
#include "planner/planner.hpp"

extern "C" {
#include "access/genam.h"
#include "access/relscan.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "catalog/pg_am.h"
#include "executor/executor.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "parser/parse_coerce.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/selfuncs.h"
}

namespace strata {

bool guc_enable_skipscan = true;
CompressedDistinctPathFn compressed_distinct_path = nullptr;

namespace {

// custom_private of path and plan: an IntList.
enum {
  kColumn = 0,     // 1-based position of the skip column in the child's output
  kStrategy,       // BTGreaterStrategyNumber or BTLessStrategyNumber: "next" in scan order
  kOperator,       // the comparison operator of that strategy
  kSubtype,        // its right-hand type (the opclass input type)
  kCollation,      // the index column's collation
  kNullsFirst,     // the scan meets NULLs before the values
  kTypLen,         // the column's type
  kTypByVal,
  kPrivateCount
};

Plan* plan_skip_scan(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist,
                     List* clauses, List* custom_plans);
Node* create_skip_scan_state(CustomScan* cscan);

const CustomPathMethods path_methods = {
    "SkipScan",
    pg::guarded<plan_skip_scan>,
    nullptr,
};

const CustomScanMethods scan_methods = {
    "SkipScan",
    pg::guarded<create_skip_scan_state>,
};

// ---------------------------------------------------------------------------------------------
// Paths.

Expr* strip_relabel(Expr* e) {
  while (e != nullptr && IsA(e, RelabelType)) e = ((RelabelType*)e)->arg;
  return e;
}

bool is_column_of(Expr* e, Index relid, AttrNumber attno) {
  e = strip_relabel(e);
  return e != nullptr && IsA(e, Var) && ((Var*)e)->varno == (int)relid && ((Var*)e)->varattno == attno &&
         ((Var*)e)->varlevelsup == 0;
}

// A SkipScan path over an index path whose leading column is the DISTINCT key `key`, or nullptr.
Path* skip_scan_leaf(PlannerInfo* root, Path* path, PathKey* key) {
  if (!IsA(path, IndexPath)) return nullptr;
  IndexPath* ip = (IndexPath*)path;
  IndexOptInfo* index = ip->indexinfo;
  if (index->relam != BTREE_AM_OID || index->nkeycolumns < 1 || index->indexkeys[0] == 0) return nullptr;
  if (ip->indexorderbys != NIL || ip->path.param_info != nullptr || ip->path.parallel_aware) return nullptr;
  if (ip->indexscandir == NoMovementScanDirection) return nullptr;
  // The scan's order starts with the DISTINCT key, and that key is the index's first column (not
  // a later one whose leading columns are fixed by equality quals).
  if (ip->path.pathkeys == NIL || (PathKey*)linitial(ip->path.pathkeys) != key) return nullptr;
  const Index relid = index->rel->relid;
  const AttrNumber attno = index->indexkeys[0];
  bool in_class = false;
  ListCell* lc;
  foreach (lc, key->pk_eclass->ec_members) {
    EquivalenceMember* em = (EquivalenceMember*)lfirst(lc);
    if (is_column_of(em->em_expr, relid, attno)) in_class = true;
  }
  if (!in_class) return nullptr;
  // = ANY(array) quals make btree iterate over the array's values itself; leave those alone.
  foreach (lc, ip->indexclauses) {
    IndexClause* ic = (IndexClause*)lfirst(lc);
    ListCell* qc;
    foreach (qc, ic->indexquals) {
      RestrictInfo* ri = (RestrictInfo*)lfirst(qc);
      if (IsA(ri->clause, ScalarArrayOpExpr)) return nullptr;
    }
  }
  // The node reads the value from the child's output.
  int column = 0;
  int i = 0;
  Var* var = nullptr;
  foreach (lc, ip->path.pathtarget->exprs) {
    ++i;
    Expr* e = (Expr*)lfirst(lc);
    if (IsA(e, Var) && is_column_of(e, relid, attno)) {
      column = i;
      var = (Var*)e;
      break;
    }
  }
  if (column == 0) return nullptr;
  const Oid opcintype = index->opcintype[0];
  if (var->vartype != opcintype && !IsBinaryCoercible(var->vartype, opcintype)) return nullptr;

  const bool forward = ScanDirectionIsForward(ip->indexscandir);
  const bool increasing = index->reverse_sort[0] ? !forward : forward;
  const bool nulls_first = index->nulls_first[0] ? forward : !forward;
  const StrategyNumber strategy = increasing ? BTGreaterStrategyNumber : BTLessStrategyNumber;
  const Oid opno = get_opfamily_member(index->opfamily[0], opcintype, opcintype, strategy);
  if (!OidIsValid(opno)) return nullptr;
  int16 typlen;
  bool typbyval;
  get_typlenbyval(var->vartype, &typlen, &typbyval);

  // Costs: one descent of the btree per distinct value (plus the NULL probe), each landing on a
  // leaf page read at random, and the row it returns at the index scan's average cost per row.
  // A full scan wins when the values are many compared to the rows.
  const double rows = ip->path.rows > 1 ? ip->path.rows : 1;
  double ndistinct = estimate_num_groups(root, list_make1(var), rows, nullptr, nullptr);
  if (ndistinct < 1) ndistinct = 1;
  if (ndistinct > rows) ndistinct = rows;
  const double per_row = (ip->path.total_cost - ip->path.startup_cost) / rows;
  const double descents = ndistinct + 2;
  const double descent_cpu =
      (std::ceil(std::log2(index->tuples > 2 ? index->tuples : 2)) + (index->tree_height + 1) * 50.0) *
      cpu_operator_cost;
  const double leaf_pages = descents < index->pages ? descents : (index->pages > 1 ? index->pages : 1);

  CustomPath* cp = makeNode(CustomPath);
  cp->path.pathtype = T_CustomScan;
  cp->path.parent = ip->path.parent;
  cp->path.pathtarget = ip->path.pathtarget;
  cp->path.param_info = nullptr;
  cp->path.parallel_aware = false;
  cp->path.parallel_safe = ip->path.parallel_safe;
  cp->path.parallel_workers = 0;
  cp->path.pathkeys = ip->path.pathkeys;
  cp->path.rows = clamp_row_est(ndistinct);
  cp->path.startup_cost = ip->path.startup_cost;
  cp->path.total_cost = ip->path.startup_cost + ndistinct * per_row + descents * descent_cpu +
                        leaf_pages * random_page_cost;
  cp->flags = 0;
  cp->custom_paths = list_make1(ip);
  List* priv = NIL;
  priv = lappend_int(priv, column);
  priv = lappend_int(priv, strategy);
  priv = lappend_int(priv, (int)opno);
  priv = lappend_int(priv, (int)opcintype);
  priv = lappend_int(priv, (int)index->indexcollations[0]);
  priv = lappend_int(priv, nulls_first ? 1 : 0);
  priv = lappend_int(priv, typlen);
  priv = lappend_int(priv, typbyval ? 1 : 0);
  cp->custom_private = priv;
  cp->methods = &path_methods;
  return &cp->path;
}

// `path` (a path of DISTINCT's input) with its index scans turned into skip scans: an index
// path, a MergeAppend of index paths (a hypertable's chunks), a one-child Append, any of them
// under a projection; nullptr when that is not what it is.
Path* skip_scan_path(PlannerInfo* root, Path* path, PathKey* key) {
  switch (nodeTag(path)) {
    case T_ProjectionPath: {
      ProjectionPath* pp = (ProjectionPath*)path;
      Path* sub = skip_scan_path(root, pp->subpath, key);
      if (sub == nullptr) return nullptr;
      return (Path*)create_projection_path(root, pp->path.parent, sub, pp->path.pathtarget);
    }
    case T_IndexPath:
      return skip_scan_leaf(root, path, key);
    case T_CustomPath:
    case T_MergeAppendPath: {
      // A compressed chunk's ColumnarScan; a merge of the chunks (a MergeAppend, or a
      // ChunkMergeAppend when the restrictions have clauses known at executor start).
      const bool merge = IsA(path, MergeAppendPath) || is_chunk_merge_path(path);
      if (!merge)
        return compressed_distinct_path != nullptr ? compressed_distinct_path(root, path, key) : nullptr;
      List* children = IsA(path, MergeAppendPath) ? ((MergeAppendPath*)path)->subpaths
                                                  : ((CustomPath*)path)->custom_paths;
      List* subs = NIL;
      ListCell* lc;
      foreach (lc, children) {
        // (a partial compressed chunk is a MergeAppend of its ColumnarScan and its row part)
        // A child that is not in the merge's order would be sorted above its skip scan, which
        // has already dropped the rows that DISTINCT ON needs first.
        Path* child = (Path*)lfirst(lc);
        if (!pathkeys_contained_in(path->pathkeys, child->pathkeys)) return nullptr;
        Path* sub = skip_scan_path(root, child, key);
        if (sub == nullptr) return nullptr;
        subs = lappend(subs, sub);
      }
      MergeAppendPath* result = create_merge_append_path(root, path->parent, subs, path->pathkeys, nullptr);
      result->path.pathtarget = path->pathtarget;
      // A hypertable's chunks with clauses known only at executor start (a generic plan's
      // parameters, now()): a merge that excludes chunks then and locks only those it reads.
      Path* chunk_merge = chunk_merge_path_create(root, result, subs);
      if (chunk_merge != nullptr) return chunk_merge;
      return &result->path;
    }
    case T_AppendPath: {
      AppendPath* ap = (AppendPath*)path;
      if (list_length(ap->subpaths) != 1 || ap->path.parallel_aware || path->pathkeys == NIL) return nullptr;
      Path* sub = skip_scan_leaf(root, (Path*)linitial(ap->subpaths), key);
      if (sub == nullptr) return nullptr;
      AppendPath* result =
          create_append_path(root, path->parent, list_make1(sub), NIL, path->pathkeys, nullptr, 0, false, -1);
      result->path.pathtarget = path->pathtarget;
      return &result->path;
    }
    default:
      return nullptr;
  }
}

// ---------------------------------------------------------------------------------------------
// Plan.

Plan* plan_skip_scan(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist,
                     List* clauses, List* custom_plans) {
  Plan* child = (Plan*)linitial(custom_plans);
  CustomScan* cscan = makeNode(CustomScan);
  // The child (planned with an exact target list) evaluates the quals; this node passes its
  // tuples through unchanged, so it outputs exactly the child's target list (scanrelid 0: the
  // target list refers to custom_scan_tlist).
  cscan->custom_scan_tlist = (List*)copyObjectImpl(child->targetlist);
  cscan->scan.plan.targetlist = (List*)copyObjectImpl(child->targetlist);
  cscan->scan.plan.qual = NIL;
  cscan->scan.scanrelid = 0;
  cscan->flags = best_path->flags;
  cscan->custom_plans = custom_plans;
  cscan->custom_exprs = NIL;
  cscan->custom_private = (List*)copyObjectImpl(best_path->custom_private);
  cscan->methods = &scan_methods;
  return &cscan->scan.plan;
}

// ---------------------------------------------------------------------------------------------
// Executor.

enum class Phase { nulls, not_null, after, done };

struct SkipScanState {
  CustomScanState css;
  PlanState* child;
  // The child's index scan fields (IndexScanState or IndexOnlyScanState); skip_key is nullptr
  // when the child is something else (a gating Result): then every row passes through.
  ScanKey* keys;
  int* nkeys;
  ScanKey* orderby_keys;
  int* norderby_keys;
  IndexScanDesc* desc;
  ScanKey skip_key;
  FmgrInfo cmp;
  int column;
  StrategyNumber strategy;
  Oid subtype;
  Oid collation;
  bool nulls_first;
  int16 typlen;
  bool typbyval;
  Phase phase;
  bool key_changed;
  Datum last;                 // the last value returned, in value_cxt
  MemoryContext value_cxt;
};

Phase first_phase(const SkipScanState* s) { return s->nulls_first ? Phase::nulls : Phase::not_null; }

// The phase after the current one found no (more) rows.
Phase phase_after_empty(const SkipScanState* s) {
  switch (s->phase) {
    case Phase::nulls:
      return s->nulls_first ? Phase::not_null : Phase::done;
    case Phase::not_null:
    case Phase::after:
      return s->nulls_first ? Phase::done : Phase::nulls;
    case Phase::done:
      break;
  }
  return Phase::done;
}

void set_skip_key(SkipScanState* s) {
  switch (s->phase) {
    case Phase::nulls:
      ScanKeyEntryInitialize(s->skip_key, SK_ISNULL | SK_SEARCHNULL, 1, InvalidStrategy, InvalidOid,
                             s->collation, InvalidOid, (Datum)0);
      break;
    case Phase::not_null:
    case Phase::done:
      ScanKeyEntryInitialize(s->skip_key, SK_ISNULL | SK_SEARCHNOTNULL, 1, InvalidStrategy, InvalidOid,
                             s->collation, InvalidOid, (Datum)0);
      break;
    case Phase::after:
      ScanKeyEntryInitializeWithInfo(s->skip_key, 0, 1, s->strategy, s->subtype, s->collation, &s->cmp,
                                     s->last);
      break;
  }
}

// Points the key at the current phase and restarts the child's index scan there (when the scan
// has not begun yet, the child begins it with these keys).
void seek(SkipScanState* s) {
  set_skip_key(s);
  if (*s->desc != nullptr) index_rescan(*s->desc, *s->keys, *s->nkeys, *s->orderby_keys, *s->norderby_keys);
  s->key_changed = false;
}

void begin_skip_scan(CustomScanState* node, EState* estate, int eflags) {
  SkipScanState* s = (SkipScanState*)node;
  CustomScan* cscan = (CustomScan*)node->ss.ps.plan;
  s->child = ExecInitNode((Plan*)linitial(cscan->custom_plans), estate, eflags);
  node->custom_ps = list_make1(s->child);
  // The child's tuples pass through unchanged.
  node->ss.ps.resultopsset = true;
  node->ss.ps.resultopsfixed = false;
  s->skip_key = nullptr;
  if (eflags & EXEC_FLAG_EXPLAIN_ONLY) return;

  IndexRuntimeKeyInfo* runtime_keys;
  int nruntime;
  if (IsA(s->child, IndexScanState)) {
    IndexScanState* is = (IndexScanState*)s->child;
    s->keys = &is->iss_ScanKeys;
    s->nkeys = &is->iss_NumScanKeys;
    s->orderby_keys = &is->iss_OrderByKeys;
    s->norderby_keys = &is->iss_NumOrderByKeys;
    s->desc = &is->iss_ScanDesc;
    runtime_keys = is->iss_RuntimeKeys;
    nruntime = is->iss_NumRuntimeKeys;
  } else if (IsA(s->child, IndexOnlyScanState)) {
    IndexOnlyScanState* is = (IndexOnlyScanState*)s->child;
    s->keys = &is->ioss_ScanKeys;
    s->nkeys = &is->ioss_NumScanKeys;
    s->orderby_keys = &is->ioss_OrderByKeys;
    s->norderby_keys = &is->ioss_NumOrderByKeys;
    s->desc = &is->ioss_ScanDesc;
    runtime_keys = is->ioss_RuntimeKeys;
    nruntime = is->ioss_NumRuntimeKeys;
  } else {
    return;
  }
  // The index scan is begun with the number of keys it will always have (btree keeps the
  // count): end one begun already, so that the child begins it again with ours.
  if (*s->desc != nullptr) {
    index_endscan(*s->desc);
    *s->desc = nullptr;
  }
  const int n = *s->nkeys;
  ScanKey old_keys = *s->keys;
  ScanKey keys = (ScanKey)palloc0(sizeof(ScanKeyData) * (n + 1));
  if (n > 0) memcpy(keys + 1, old_keys, sizeof(ScanKeyData) * n);
  // Keys computed at run time are written through pointers into the array.
  for (int i = 0; i < nruntime; ++i) {
    ScanKey k = runtime_keys[i].scan_key;
    if (k >= old_keys && k < old_keys + n) runtime_keys[i].scan_key = keys + 1 + (k - old_keys);
  }
  *s->keys = keys;
  *s->nkeys = n + 1;
  s->skip_key = keys;

  List* priv = cscan->custom_private;
  s->column = list_nth_int(priv, kColumn);
  s->strategy = (StrategyNumber)list_nth_int(priv, kStrategy);
  s->subtype = (Oid)list_nth_int(priv, kSubtype);
  s->collation = (Oid)list_nth_int(priv, kCollation);
  s->nulls_first = list_nth_int(priv, kNullsFirst) != 0;
  s->typlen = (int16)list_nth_int(priv, kTypLen);
  s->typbyval = list_nth_int(priv, kTypByVal) != 0;
  fmgr_info(get_opcode((Oid)list_nth_int(priv, kOperator)), &s->cmp);
  s->value_cxt = AllocSetContextCreate(CurrentMemoryContext, "SkipScan value", ALLOCSET_SMALL_SIZES);
  s->last = (Datum)0;
  s->phase = first_phase(s);
  set_skip_key(s);
  s->key_changed = true;
}

TupleTableSlot* exec_skip_scan(CustomScanState* node) {
  SkipScanState* s = (SkipScanState*)node;
  if (s->skip_key == nullptr) {
    TupleTableSlot* slot = ExecProcNode(s->child);
    return TupIsNull(slot) ? ExecClearTuple(node->ss.ps.ps_ResultTupleSlot) : slot;
  }
  for (;;) {
    if (s->phase == Phase::done) return ExecClearTuple(node->ss.ps.ps_ResultTupleSlot);
    if (s->key_changed) seek(s);
    TupleTableSlot* slot = ExecProcNode(s->child);
    if (TupIsNull(slot)) {
      s->phase = phase_after_empty(s);
      s->key_changed = true;
      continue;
    }
    bool isnull;
    Datum value = slot_getattr(slot, s->column, &isnull);
    if (isnull) {
      s->phase = s->nulls_first ? Phase::not_null : Phase::done;
    } else {
      // The key's value must outlive the slot's buffer pin: copy it (the previous one is no
      // longer used by the scan, which is restarted before it fetches again).
      MemoryContextReset(s->value_cxt);
      MemoryContext old = MemoryContextSwitchTo(s->value_cxt);
      s->last = datumCopy(value, s->typbyval, s->typlen);
      MemoryContextSwitchTo(old);
      s->phase = Phase::after;
    }
    s->key_changed = true;
    return slot;
  }
}

void end_skip_scan(CustomScanState* node) {
  SkipScanState* s = (SkipScanState*)node;
  ExecEndNode(s->child);
}

void rescan_skip_scan(CustomScanState* node) {
  SkipScanState* s = (SkipScanState*)node;
  if (node->ss.ps.chgParam != nullptr) UpdateChangedParamSet(s->child, node->ss.ps.chgParam);
  if (s->child->chgParam == nullptr) ExecReScan(s->child);
  if (s->skip_key != nullptr) {
    s->phase = first_phase(s);
    s->key_changed = true;
  }
}

const CustomExecMethods exec_methods = {
    "SkipScan",
    pg::guarded<begin_skip_scan>,
    pg::guarded<exec_skip_scan>,
    pg::guarded<end_skip_scan>,
    pg::guarded<rescan_skip_scan>,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

Node* create_skip_scan_state(CustomScan* cscan) {
  SkipScanState* s = (SkipScanState*)newNode(sizeof(SkipScanState), T_CustomScanState);
  s->css.methods = &exec_methods;
  return (Node*)s;
}

}  // namespace

void add_skip_scan_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                         RelOptInfo* output_rel, void* extra) {
  if (stage != UPPERREL_DISTINCT || !guc_enable_skipscan) return;
  if (root->parse->hasTargetSRFs || list_length(root->distinct_pathkeys) != 1) return;
  if (output_rel->pathlist == NIL || !extension_is_active()) return;
  PathKey* key = (PathKey*)linitial(root->distinct_pathkeys);
  // As create_distinct_paths: DISTINCT ON's rows are the first of each group in ORDER BY order.
  List* needed = list_length(root->distinct_pathkeys) < list_length(root->sort_pathkeys)
                     ? root->sort_pathkeys
                     : root->distinct_pathkeys;
  const double groups = ((Path*)linitial(output_rel->pathlist))->rows;
  List* added = NIL;
  ListCell* lc;
  foreach (lc, input_rel->pathlist) {
    Path* path = (Path*)lfirst(lc);
    if (path->param_info != nullptr || !pathkeys_contained_in(needed, path->pathkeys)) continue;
    Path* sub = skip_scan_path(root, path, key);
    if (sub == nullptr) continue;
    added = lappend(added, create_upper_unique_path(root, output_rel, sub, 1, groups));
  }
  foreach (lc, added) add_path(output_rel, (Path*)lfirst(lc));
}

bool is_skip_scan_plan(const CustomScan* cscan) { return cscan->methods == &scan_methods; }

void skip_scan_register() {
  RegisterCustomScanMethods(&scan_methods);
  chunk_merge_register();
  bucket_agg_register();
}

}  // namespace strata
