// The ChunkAppend custom path, plan and executor node (see chunk_append.hpp).
#include "planner/chunk_append.hpp"

#include <cmath>

#include "pg/guard.hpp"
#include "catalog/hypertables.hpp"
#include "pg/pg.hpp"
#include "planner/lazy_locks.hpp"
#include "planner/planner.hpp"

extern "C" {
#include "commands/explain.h"
#include "executor/executor.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/readfuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "rewrite/rewriteManip.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/lsyscache.h"
}

namespace strata {

bool guc_enable_lazy_chunk_plan_copies = true;

namespace {

// Same share of cpu_tuple_cost that PostgreSQL charges for passing a tuple through an Append.
constexpr double kAppendCpuCostMultiplier = 0.5;

// custom_private of the path: list_make3(ranges, runtime values, meta), and a fourth element when
// some children are plan copies: per child nullptr (a child with a path, in custom_paths) or its
// ChunkPlanCopy (an extensible node); of the plan:
// list_make2(meta, ranges) with the runtime values in custom_exprs, and a third element when
// chunks' locks are deferred (lazy_locks.hpp): per child an IntList of RT indexes to lock (and a
// fourth, in a copy that executor start made for one execution, lazy_dml.cpp: the number of
// children it left out, with the third possibly NIL). ranges
// is an IntList of four int64s per child (time start, end, hash slice start, end), each as two ints
// (high and low half: range_at); meta is an IntList:
// time type, clause count, then per clause strategy, is_array, use_or, value type, exec_time,
// hash function and collation (both 0 for a clause on time; see RuntimeClause), then, with lazy
// plan copies only, two ints per child (see "Lazy plan copies").
enum { kMetaTimeType = 0, kMetaClauseCount = 1, kMetaFirstClause = 2, kMetaPerClause = 7 };
enum { kClauseExecTime = 4, kClauseHashProc = 5, kClauseHashCollation = 6 };
constexpr int kRangesPerChild = 4;

// PostgreSQL calls the methods below through pg::guarded, inside cpp_entry (src/pg/guard.hpp).
Plan* plan_chunk_append(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist,
                        List* clauses, List* custom_plans);
Node* create_chunk_append_state(CustomScan* cscan);

const CustomPathMethods path_methods = {
    "ChunkAppend",
    pg::guarded<plan_chunk_append>,
    nullptr,
};

const CustomScanMethods scan_methods = {
    "ChunkAppend",
    pg::guarded<create_chunk_append_state>,
};

void append_range(List** ranges, int64 v) {
  *ranges = lappend_int(lappend_int(*ranges, (int)(uint32)((uint64)v >> 32)), (int)(uint32)(uint64)v);
}

// The i-th int64 of ranges (kRangesPerChild per child).
int64 range_at(List* ranges, int i) {
  return (int64)(((uint64)(uint32)list_nth_int(ranges, 2 * i) << 32) | (uint64)(uint32)list_nth_int(ranges, 2 * i + 1));
}

// A scan's target list for the same columns of another range table entry: `from`'s plain Vars
// (a `SELECT *`: most entries) copied flat with the new number, any other entry copied and
// renumbered as ChangeVarNodes does.
List* copy_scan_tlist(List* tlist, Index from, Index rti) {
  List* out = NIL;
  ListCell* lc;
  foreach (lc, tlist) {
    const TargetEntry* te = (const TargetEntry*)lfirst(lc);
    TargetEntry* copy = (TargetEntry*)palloc(sizeof(TargetEntry));
    memcpy(copy, te, sizeof(TargetEntry));
    const Var* var = (const Var*)te->expr;
    if (var != nullptr && IsA(var, Var) && var->varno == (int)from && var->varlevelsup == 0) {
      copy->expr = (Expr*)renumbered_var(var, (int)from, (int)rti);
    } else {
      copy->expr = (Expr*)copyObjectImpl(te->expr);
      ChangeVarNodes((Node*)copy->expr, (int)from, (int)rti, 0);
    }
    out = lappend(out, copy);
  }
  return out;
}

// The parts of a scan's copy for another chunk (ChunkPlanCopy) every scan node has, once the node
// was copied flat onto `scan`: the filter, parameters and target list moved to the chunk's range
// table entry `rti`, the rows and costs scaled. Returns the range table index copied from.
Index copy_scan_base(Scan* scan, const Scan* from_scan, Index rti, double ratio) {
  Plan* plan = &scan->plan;
  const Plan* from_plan = &from_scan->plan;
  plan->qual = (List*)copyObjectImpl(from_plan->qual);
  plan->lefttree = (Plan*)copyObjectImpl(from_plan->lefttree);
  plan->righttree = (Plan*)copyObjectImpl(from_plan->righttree);
  plan->initPlan = (List*)copyObjectImpl(from_plan->initPlan);
  plan->extParam = bms_copy(from_plan->extParam);
  plan->allParam = bms_copy(from_plan->allParam);
  const Index from = from_scan->scanrelid;
  scan->scanrelid = rti;
  // (the target list, the biggest part, is copied flat)
  plan->targetlist = copy_scan_tlist(from_plan->targetlist, from, rti);
  ChangeVarNodes((Node*)plan->qual, (int)from, (int)rti, 0);
  plan->plan_rows = clamp_row_est(plan->plan_rows * ratio);
  plan->total_cost = scaled_total_cost(plan->startup_cost, plan->total_cost, ratio);
  return from;
}

// A copy of the index scan `source` for another chunk (ChunkPlanCopy): the same quals and target
// list on the chunk's range table entry, its index of the same definition, the costs scaled.
// (A compressed chunk's copy of a ColumnarScan is the columnstore's: `indexoid` is its companion.
// The tiny real-time tail's copies, planner.cpp, are of a sequential scan: the same filter and
// target list on the chunk's range table entry, the costs scaled.)
Plan* copy_child_plan(PlannerInfo* root, Plan* source, Index rti, Oid indexoid, double ratio) {
  if (IsA(source, CustomScan) && compressed_plan_copy != nullptr)
    if (Plan* p = compressed_plan_copy(root, source, rti, indexoid, ratio)) return p;
  if (IsA(source, SeqScan)) {
    SeqScan* scan = makeNode(SeqScan);
    memcpy(scan, source, sizeof(SeqScan));
    copy_scan_base(&scan->scan, &((const SeqScan*)source)->scan, rti, ratio);
    return &scan->scan.plan;
  }
  if (!IsA(source, IndexScan))
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                    errmsg("strata: a chunk plan copy needs an index or sequential scan to copy, not node type %d",
                           (int)nodeTag(source))));
  // (field by field)
  const IndexScan* from_scan = (const IndexScan*)source;
  IndexScan* scan = makeNode(IndexScan);
  memcpy(scan, from_scan, sizeof(IndexScan));
  const Index from = copy_scan_base(&scan->scan, &from_scan->scan, rti, ratio);
  // (indexqual refers to the index's columns only, INDEX_VAR, and nothing changes it in place
  // but set_plan_references' fixes, which are the same for every copy: shared)
  scan->indexqualorig = (List*)copyObjectImpl(from_scan->indexqualorig);
  scan->indexorderby = (List*)copyObjectImpl(from_scan->indexorderby);
  scan->indexorderbyorig = (List*)copyObjectImpl(from_scan->indexorderbyorig);
  scan->indexorderbyops = list_copy(from_scan->indexorderbyops);
  scan->indexid = indexoid;
  // (indexorderby refers to the index's columns, INDEX_VAR, the same on both)
  ChangeVarNodes((Node*)scan->indexqualorig, (int)from, (int)rti, 0);
  ChangeVarNodes((Node*)scan->indexorderbyorig, (int)from, (int)rti, 0);
  return &scan->scan.plan;
}

// Lazy plan copies (strata.enable_lazy_chunk_plan_copies). A row-store chunk planned as a copy of
// another child's index scan (ChunkPlanCopy.lazy: an ordered LIMIT's chunks after the first) gets
// in the plan only a stand-in: a SeqScan of its range table entry without target list or filter,
// carrying the copy's estimates, which set_plan_references renumbers (its scanrelid) and numbers
// (plan_node_id) at almost no cost, and which the plan's walkers see as a scan of the chunk (the
// deferred locks of lazy_locks.cpp). The ChunkAppend makes the real copy from its source's finished
// plan (renumbered from the source's entry to the stand-in's) when the executor first reads the
// child (once per backend for a cached plan, see child_plan), so the chunks the LIMIT never reaches
// cost neither the copy nor set_plan_references' pass over it; whenever every child is initialized at executor start (EXPLAIN, instrumented runs,
// statements other than plain SELECT: see begin_chunk_append) the copies are made then. Where
// the stand-ins are: the plan's meta list, after the clauses, holds two ints per child (the
// source's position among the children and the copy's index; -1 and 0 for other children).
Plan* lazy_copy_stand_in(const Plan* source, Index rti, double ratio) {
  SeqScan* stand_in = makeNode(SeqScan);
  stand_in->scan.scanrelid = rti;
  Plan* plan = &stand_in->scan.plan;
  plan->plan_rows = clamp_row_est(source->plan_rows * ratio);
  plan->startup_cost = source->startup_cost;
  plan->total_cost = scaled_total_cost(source->startup_cost, source->total_cost, ratio);
  plan->plan_width = source->plan_width;
  return plan;
}

// The position in meta of the lazy copies' ints, and whether there are any.
int lazy_copies_at(List* meta) { return kMetaFirstClause + list_nth_int(meta, kMetaClauseCount) * kMetaPerClause; }

bool has_lazy_copies(const CustomScan* cscan) {
  List* meta = (List*)linitial(cscan->custom_private);
  return list_length(meta) > lazy_copies_at(meta);
}

// Child i's source position if it is a lazy copy's stand-in (and its index in *indexoid), else -1.
int lazy_copy_source(const CustomScan* cscan, int i, Oid* indexoid) {
  List* meta = (List*)linitial(cscan->custom_private);
  const int at = lazy_copies_at(meta);
  if (list_length(meta) <= at) return -1;
  *indexoid = (Oid)list_nth_int(meta, at + 2 * i + 1);
  return list_nth_int(meta, at + 2 * i);
}

// A cached plan's lazy copies, made once per backend: a plan the plan cache built (a prepared
// statement's generic or custom plan, in its own "CachedPlan" memory context, which the plan cache
// only ever deletes as a whole) is executed again and again, and without this every execution
// reading past the first chunk would copy the scan again (about 5,000 instructions a chunk). Such a
// copy is made in the plan's context and found again by its stand-in's address; a reset callback in
// that context forgets it when the plan goes. The copy is as read-only as the plan. Plans elsewhere
// (a simple query's, a one-shot SPI plan's) run once: their copies go in the current context.
struct CachedCopy {
  const Plan* stand_in;  // hash key
  Plan* copy;
};
struct CachedCopyForget {
  MemoryContextCallback callback;
  const Plan* stand_in;
};
HTAB* cached_copies = nullptr;

void forget_cached_copy(void* arg) {
  if (cached_copies != nullptr)
    hash_search(cached_copies, &((CachedCopyForget*)arg)->stand_in, HASH_REMOVE, nullptr);
}

// The plan cache's context holding the plan node, or nullptr.
MemoryContext cached_plan_context(const Plan* plan) {
  MemoryContext cxt = GetMemoryChunkContext((void*)plan);
  return cxt->name != nullptr && strcmp(cxt->name, "CachedPlan") == 0 ? cxt : nullptr;
}

Plan* make_lazy_copy(const CustomScan* cscan, const Plan* plan, int source, Oid indexoid) {
  Plan* copy = copy_child_plan(nullptr, (Plan*)list_nth(cscan->custom_plans, source),
                               ((const Scan*)plan)->scanrelid, indexoid, 1.0);
  copy->plan_rows = plan->plan_rows;
  copy->startup_cost = plan->startup_cost;
  copy->total_cost = plan->total_cost;
  copy->plan_node_id = plan->plan_node_id;
  return copy;
}

// The plan of child i: the copy of its source's finished plan if it is a lazy copy's stand-in
// (in the current memory context, or kept with a cached plan, see above), the child's plan otherwise.
Plan* child_plan(const CustomScan* cscan, int i) {
  Plan* plan = (Plan*)list_nth(cscan->custom_plans, i);
  Oid indexoid = InvalidOid;
  const int source = lazy_copy_source(cscan, i, &indexoid);
  if (source < 0) return plan;
  MemoryContext plan_cxt = cached_plan_context(plan);
  if (plan_cxt == nullptr) return make_lazy_copy(cscan, plan, source, indexoid);
  if (cached_copies == nullptr) {
    HASHCTL ctl;
    ctl.keysize = sizeof(const Plan*);
    ctl.entrysize = sizeof(CachedCopy);
    ctl.hcxt = TopMemoryContext;
    cached_copies = hash_create("strata cached plan copies", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
  }
  const Plan* key = plan;
  CachedCopy* found = (CachedCopy*)hash_search(cached_copies, &key, HASH_FIND, nullptr);
  if (found != nullptr) return found->copy;
  MemoryContext old = MemoryContextSwitchTo(plan_cxt);
  Plan* copy = make_lazy_copy(cscan, plan, source, indexoid);
  CachedCopyForget* forget = (CachedCopyForget*)palloc(sizeof(CachedCopyForget));
  MemoryContextSwitchTo(old);
  forget->stand_in = plan;
  forget->callback.func = forget_cached_copy;
  forget->callback.arg = forget;
  // The entry first (hash_search can fail on memory), then the callback that removes it.
  CachedCopy* entry = (CachedCopy*)hash_search(cached_copies, &key, HASH_ENTER, nullptr);
  entry->copy = copy;
  MemoryContextRegisterResetCallback(plan_cxt, &forget->callback);
  return copy;
}

Plan* plan_chunk_append(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist,
                        List* clauses, List* custom_plans) {
  CustomScan* cscan = makeNode(CustomScan);
  List* ranges = (List*)linitial(best_path->custom_private);
  List* values = (List*)lsecond(best_path->custom_private);
  List* meta = (List*)lthird(best_path->custom_private);
  if (chunk_append_path_has_copies(best_path)) {
    // Children planned as copies of another child's plan get theirs now, in reading order (a lazy
    // copy a stand-in, see "Lazy plan copies" below).
    List* planned = custom_plans;
    custom_plans = NIL;
    int* position = (int*)palloc(sizeof(int) * (list_length(planned) > 0 ? list_length(planned) : 1));
    List* lazy = NIL;  // per child: the source's position and the index, or (-1, 0)
    bool any_lazy = false;
    int next = 0;
    ListCell* lc;
    foreach (lc, (List*)lfourth(best_path->custom_private)) {
      const ChunkPlanCopy* c = (const ChunkPlanCopy*)lfirst(lc);
      if (c == nullptr) {
        position[next] = list_length(custom_plans);
        custom_plans = lappend(custom_plans, list_nth(planned, next++));
        lazy = lappend_int(lappend_int(lazy, -1), 0);
        continue;
      }
      const int source_at = c->source;
      Plan* source = (Plan*)list_nth(planned, source_at);
      const Index rti = c->rti;
      const Oid indexoid = c->indexoid;
      const double ratio = c->ratio;
      if (c->lazy && IsA(source, IndexScan)) {
        custom_plans = lappend(custom_plans, lazy_copy_stand_in(source, rti, ratio));
        lazy = lappend_int(lappend_int(lazy, position[source_at]), (int)indexoid);
        any_lazy = true;
        continue;
      }
      custom_plans = lappend(custom_plans, copy_child_plan(root, source, rti, indexoid, ratio));
      lazy = lappend_int(lappend_int(lazy, -1), 0);
    }
    if (any_lazy) meta = list_concat(list_copy(meta), lazy);
  }

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
  // Over children that are not scans of the rel (chunk_append_path_over): no relation of its
  // own, its rows described by its target list.
  if (rel->reloptkind == RELOPT_UPPER_REL) {
    cscan->scan.scanrelid = 0;
    cscan->custom_scan_tlist = (List*)copyObjectImpl(tlist);
  }
  cscan->methods = &scan_methods;
  return &cscan->scan.plan;
}

// Executor state.
struct ChunkAppendState {
  CustomScanState css;
  PlanState** plans;  // the children that survived startup exclusion, in reading order (NULL
                      // until first read when their initialization is deferred)
  Plan** subplans;    // their plans (a lazy copy's stand-in until it is initialized)
  int* lazy_child;    // with lazy copies: each one's child number in the plan, else nullptr
  EState* estate;     // for deferred initialization
  int eflags;
  bool defer_init;    // initialize each child when it is first read
  int64* starts;      // their ranges
  int64* ends;
  int64* space_starts;  // and hash slices
  int64* space_ends;
  bool* active;       // not excluded by the clauses on executor parameters
  int nplans;
  int current;
  int excluded;       // at startup
  bool has_startup;   // there are clauses evaluated at startup
  // Clauses on executor parameters, evaluated when the scan first runs after (re)start.
  int nexec;
  ExprState** exec_states;
  int* exec_meta;     // kMetaPerClause ints per clause
  FmgrInfo* exec_hash;  // per clause: its hash function (space clauses)
  bool exec_done;
  int64 exec_excluded;  // summed over evaluations
  int64 exec_evaluations;
  MemoryContext eval_cxt;  // reset at each evaluation
  Oid time_type;
};

// The set allowed by one clause evaluated now; the result is in the caller's memory context.
TimeSet eval_clause(ExprState* es, ExprContext* econtext, const int* meta, Oid time_type) {
  bool isnull = false;
  Datum d = ExecEvalExprSwitchContext(es, econtext, &isnull);
  MemoryContext caller = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
  TimeSet one = time_set_for_value(meta[0], meta[1] != 0, meta[2] != 0, d, isnull, (Oid)meta[3],
                                   time_type);
  MemoryContextSwitchTo(caller);
  if (!one.all) {
    TimeSet copy{false, one.n, (core::TimeInterval*)palloc(sizeof(core::TimeInterval) *
                                                           (one.n > 0 ? one.n : 1))};
    for (int k = 0; k < one.n; ++k) copy.iv[k] = one.iv[k];
    one = copy;
  }
  ResetExprContext(econtext);
  return one;
}

// A set of partition hashes (space clauses); `all` when unrestricted.
struct HashSet {
  bool all;
  int n;
  int64* h;
};

HashSet hash_set_intersect(HashSet a, HashSet b) {
  if (a.all) return b;
  if (b.all) return a;
  HashSet r{false, 0, (int64*)palloc(sizeof(int64) * (a.n > 0 ? a.n : 1))};
  for (int i = 0; i < a.n; ++i)
    for (int j = 0; j < b.n; ++j)
      if (a.h[i] == b.h[j]) {
        r.h[r.n++] = a.h[i];
        break;
      }
  return r;
}

bool hash_set_overlaps(HashSet s, int64 start, int64 end) {
  if (s.all) return true;
  for (int i = 0; i < s.n; ++i)
    if (s.h[i] >= start && s.h[i] < end) return true;
  return false;
}

// The hashes a space clause (`col = value`, `col = ANY (array)`) allows for its value evaluated
// now, in the caller's memory context. NULL (or an array of NULLs) allows nothing, as the clause
// matches no row then.
HashSet eval_space_clause(ExprState* es, ExprContext* econtext, const int* meta, FmgrInfo* hash) {
  bool isnull = false;
  Datum d = ExecEvalExprSwitchContext(es, econtext, &isnull);
  const Oid collation = (Oid)meta[kClauseHashCollation];
  HashSet s{false, 0, nullptr};
  if (isnull) {
    s.h = (int64*)palloc(sizeof(int64));
  } else if (meta[1] == 0) {
    s.h = (int64*)palloc(sizeof(int64));
    s.h[s.n++] = space_hash_value(hash, collation, d, false);
  } else {
    ArrayType* arr = DatumGetArrayTypeP(d);
    int16 typlen;
    bool typbyval;
    char typalign;
    get_typlenbyvalalign(ARR_ELEMTYPE(arr), &typlen, &typbyval, &typalign);
    Datum* values;
    bool* nulls;
    int n;
    deconstruct_array(arr, ARR_ELEMTYPE(arr), typlen, typbyval, typalign, &values, &nulls, &n);
    s.h = (int64*)palloc(sizeof(int64) * (n > 0 ? n : 1));
    for (int i = 0; i < n; ++i)
      if (!nulls[i]) s.h[s.n++] = space_hash_value(hash, collation, values[i], false);
  }
  return s;
}

bool is_space_clause(const int* meta) { return meta[kClauseHashProc] != 0; }

// The metadata of clause i (see custom_private above).
void clause_meta(List* meta, int i, int* m) {
  for (int k = 0; k < kMetaPerClause; ++k) m[k] = list_nth_int(meta, kMetaFirstClause + i * kMetaPerClause + k);
}

// The time ranges and hash slices the clauses evaluated so far allow; a child survives when its
// range and slice overlap them.
struct Allowed {
  TimeSet times = time_set_all();
  HashSet hashes{true, 0, nullptr};

  void narrow(ExprState* es, ExprContext* econtext, const int* m, FmgrInfo* hash, Oid time_type) {
    if (is_space_clause(m)) {
      hashes = hash_set_intersect(hashes, eval_space_clause(es, econtext, m, hash));
      ResetExprContext(econtext);
    } else {
      times = time_set_intersect(times, eval_clause(es, econtext, m, time_type));
    }
  }
  bool admits(int64 start, int64 end, int64 space_start, int64 space_end) const {
    return time_set_overlaps(times, start, end) && hash_set_overlaps(hashes, space_start, space_end);
  }
};

// Children that a copy made before the executor started left out (chunk_append_copy_keeping).
int excluded_before(const CustomScan* cscan) {
  return list_length(cscan->custom_private) > 3 ? intVal(list_nth(cscan->custom_private, 3)) : 0;
}

void begin_chunk_append(CustomScanState* node, EState* estate, int eflags) {
  ChunkAppendState* state = (ChunkAppendState*)node;
  CustomScan* cscan = (CustomScan*)node->ss.ps.plan;
  List* meta = (List*)linitial(cscan->custom_private);
  List* ranges = (List*)lsecond(cscan->custom_private);
  List* deferred = list_length(cscan->custom_private) > 2 ? (List*)lthird(cscan->custom_private) : NIL;
  const int nclauses = list_nth_int(meta, kMetaClauseCount);
  state->time_type = (Oid)list_nth_int(meta, kMetaTimeType);

  // Children's tuples pass through unchanged, so our result slots are of varying types.
  node->ss.ps.resultopsset = true;
  node->ss.ps.resultopsfixed = false;

  ExprContext* econtext = node->ss.ps.ps_ExprContext;
  Allowed allowed;
  state->has_startup = false;
  state->nexec = 0;
  state->exec_states = (ExprState**)palloc0(sizeof(ExprState*) * (nclauses > 0 ? nclauses : 1));
  state->exec_meta = (int*)palloc0(sizeof(int) * kMetaPerClause * (nclauses > 0 ? nclauses : 1));
  state->exec_hash = (FmgrInfo*)palloc0(sizeof(FmgrInfo) * (nclauses > 0 ? nclauses : 1));
  for (int i = 0; i < nclauses; ++i) {
    int m[kMetaPerClause];
    clause_meta(meta, i, m);
    ExprState* es = ExecInitExpr((Expr*)list_nth(cscan->custom_exprs, i), &node->ss.ps);
    if (m[kClauseExecTime] != 0) {
      state->exec_states[state->nexec] = es;
      for (int k = 0; k < kMetaPerClause; ++k) state->exec_meta[state->nexec * kMetaPerClause + k] = m[k];
      if (is_space_clause(m)) fmgr_info((Oid)m[kClauseHashProc], &state->exec_hash[state->nexec]);
      state->nexec++;
      continue;
    }
    state->has_startup = true;
    FmgrInfo hash;
    if (is_space_clause(m)) fmgr_info((Oid)m[kClauseHashProc], &hash);
    allowed.narrow(es, econtext, m, &hash, state->time_type);
  }

  const int nchildren = list_length(cscan->custom_plans);
  const int cap = nchildren > 0 ? nchildren : 1;
  state->plans = (PlanState**)palloc0(sizeof(PlanState*) * cap);
  state->subplans = (Plan**)palloc0(sizeof(Plan*) * cap);
  state->estate = estate;
  state->eflags = eflags;
  // Children are read one after the other, and a LIMIT above often stops in the first: each is
  // initialized (its relation and indexes opened, its scan keys and projections built) only when
  // it is first read. EXPLAIN and instrumented runs (EXPLAIN ANALYZE, auto_explain) initialize
  // every child at once, so that they show the children never read; so do statements other than
  // plain SELECT (row locks, EvalPlanQual rechecks and DML keep PostgreSQL's order of things).
  // So does a partial ChunkAppend (under a Gather, the only ChunkAppend marked parallel safe): the
  // leader sets up the shared state of its children's parallel-aware scans, and each worker
  // attaches to it, when the executor starts.
  state->defer_init = (eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0 && estate->es_instrument == 0 &&
                      !cscan->scan.plan.parallel_safe &&
                      estate->es_plannedstmt != nullptr &&
                      estate->es_plannedstmt->commandType == CMD_SELECT &&
                      estate->es_plannedstmt->rowMarks == NIL && estate->es_epq_active == nullptr;
  state->starts = (int64*)palloc0(sizeof(int64) * cap);
  state->ends = (int64*)palloc0(sizeof(int64) * cap);
  state->space_starts = (int64*)palloc0(sizeof(int64) * cap);
  state->space_ends = (int64*)palloc0(sizeof(int64) * cap);
  state->active = (bool*)palloc0(sizeof(bool) * cap);
  state->lazy_child = state->defer_init && has_lazy_copies(cscan) ? (int*)palloc(sizeof(int) * cap) : nullptr;
  state->nplans = 0;
  state->excluded = excluded_before(cscan);
  state->current = 0;
  state->exec_done = false;
  state->exec_excluded = 0;
  state->exec_evaluations = 0;
  if (state->nexec > 0)
    state->eval_cxt = AllocSetContextCreate(CurrentMemoryContext, "ChunkAppend exclusion",
                                            ALLOCSET_SMALL_SIZES);
  node->custom_ps = NIL;
  for (int i = 0; i < nchildren; ++i) {
    const int64 start = range_at(ranges, kRangesPerChild * i);
    const int64 end = range_at(ranges, kRangesPerChild * i + 1);
    const int64 space_start = range_at(ranges, kRangesPerChild * i + 2);
    const int64 space_end = range_at(ranges, kRangesPerChild * i + 3);
    if (state->has_startup &&
        !allowed.admits(start, end, space_start, space_end)) {
      state->excluded++;
      continue;
    }
    // A chunk dropped since the plan was checked has no rows left to read.
    if (deferred != NIL && !lock_deferred_chunks(estate, (List*)list_nth(deferred, i))) {
      state->excluded++;
      continue;
    }
    Plan* child = state->defer_init ? (Plan*)list_nth(cscan->custom_plans, i) : child_plan(cscan, i);
    state->subplans[state->nplans] = child;
    state->plans[state->nplans] = nullptr;
    if (state->lazy_child != nullptr) state->lazy_child[state->nplans] = i;
    if (!state->defer_init) {
      PlanState* ps = ExecInitNode(child, estate, eflags);
      state->plans[state->nplans] = ps;
      node->custom_ps = lappend(node->custom_ps, ps);
    }
    state->starts[state->nplans] = start;
    state->ends[state->nplans] = end;
    state->space_starts[state->nplans] = space_start;
    state->space_ends[state->nplans] = space_end;
    state->active[state->nplans] = true;
    state->nplans++;
  }
}

// A child whose initialization was deferred, initialized now (in the query's memory context).
PlanState* child_state(ChunkAppendState* state, int i) {
  if (state->plans[i] == nullptr) {
    MemoryContext old = MemoryContextSwitchTo(state->estate->es_query_cxt);
    if (state->lazy_child != nullptr)
      state->subplans[i] = child_plan((CustomScan*)state->css.ss.ps.plan, state->lazy_child[i]);
    PlanState* ps = ExecInitNode(state->subplans[i], state->estate, state->eflags);
    state->plans[i] = ps;
    state->css.custom_ps = lappend(state->css.custom_ps, ps);
    MemoryContextSwitchTo(old);
  }
  return state->plans[i];
}

// Evaluates the clauses on executor parameters (now that initplans and outer values are
// available) and deactivates the children they rule out.
void exclude_at_run_time(ChunkAppendState* state) {
  ExprContext* econtext = state->css.ss.ps.ps_ExprContext;
  MemoryContextReset(state->eval_cxt);
  MemoryContext old = MemoryContextSwitchTo(state->eval_cxt);
  Allowed allowed;
  for (int i = 0; i < state->nexec; ++i)
    allowed.narrow(state->exec_states[i], econtext, &state->exec_meta[i * kMetaPerClause], &state->exec_hash[i],
                   state->time_type);
  state->exec_evaluations++;
  for (int i = 0; i < state->nplans; ++i) {
    state->active[i] = allowed.admits(state->starts[i], state->ends[i], state->space_starts[i], state->space_ends[i]);
    if (!state->active[i]) state->exec_excluded++;
  }
  MemoryContextSwitchTo(old);
  state->exec_done = true;
}

TupleTableSlot* exec_chunk_append(CustomScanState* node) {
  ChunkAppendState* state = (ChunkAppendState*)node;
  if (state->nexec > 0 && !state->exec_done) exclude_at_run_time(state);
  while (state->current < state->nplans) {
    if (!state->active[state->current]) {
      state->current++;
      continue;
    }
    TupleTableSlot* slot = ExecProcNode(child_state(state, state->current));
    if (!TupIsNull(slot)) return slot;
    state->current++;
  }
  return ExecClearTuple(node->ss.ps.ps_ResultTupleSlot);
}

void end_chunk_append(CustomScanState* node) {
  ChunkAppendState* state = (ChunkAppendState*)node;
  for (int i = 0; i < state->nplans; ++i)
    if (state->plans[i] != nullptr) ExecEndNode(state->plans[i]);
}

void rescan_chunk_append(CustomScanState* node) {
  ChunkAppendState* state = (ChunkAppendState*)node;
  // Startup exclusion depends only on external parameters and stable functions, which do not
  // change between rescans; changed executor parameters are passed down to the children.
  for (int i = 0; i < state->nplans; ++i) {
    PlanState* child = state->plans[i];
    if (child == nullptr) continue;  // not initialized yet: it starts afresh when first read
    if (node->ss.ps.chgParam != nullptr) UpdateChangedParamSet(child, node->ss.ps.chgParam);
    if (child->chgParam == nullptr) ExecReScan(child);
  }
  state->current = 0;
  // Executor parameters may have changed: evaluate their clauses again on the next run.
  state->exec_done = false;
}

void explain_chunk_append(CustomScanState* node, List* ancestors, ExplainState* es) {
  ChunkAppendState* state = (ChunkAppendState*)node;
  if (state->has_startup)
    ExplainPropertyInteger("Chunks excluded during startup", nullptr, state->excluded, es);
  // Per run of the scan, like PostgreSQL's "Rows Removed by Filter".
  if (state->nexec > 0 && es->analyze && state->exec_evaluations > 0)
    ExplainPropertyInteger("Chunks excluded during runtime", nullptr,
                           (int64)std::llround((double)state->exec_excluded /
                                               (double)state->exec_evaluations),
                           es);
}

const CustomExecMethods exec_methods = {
    "ChunkAppend",
    pg::guarded<begin_chunk_append>,
    pg::guarded<exec_chunk_append>,
    pg::guarded<end_chunk_append>,
    pg::guarded<rescan_chunk_append>,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    pg::guarded<explain_chunk_append>,
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
  List* copies = NIL;  // per child: nullptr, or its ChunkPlanCopy
  bool any_copy = false;
  double rows = 0;
  Cost total = 0;
  for (int i = 0; i < nchildren; ++i) {
    append_range(&ranges, children[i].range_start);
    append_range(&ranges, children[i].range_end);
    append_range(&ranges, children[i].space_start);
    append_range(&ranges, children[i].space_end);
    if (const ChunkPlanCopy* c = children[i].copy) {
      copies = lappend(copies, (void*)c);
      any_copy = true;
      rows += c->rows;
      total += c->total_cost;
      continue;
    }
    copies = lappend(copies, nullptr);
    subpaths = lappend(subpaths, children[i].path);
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
    meta = lappend_int(meta, rc->exec_time ? 1 : 0);
    meta = lappend_int(meta, (int)rc->hash_proc);
    meta = lappend_int(meta, (int)rc->hash_collation);
    values = lappend(values, rc->value);
  }
  path->custom_private = list_make3(ranges, values, meta);
  if (any_copy) path->custom_private = lappend(path->custom_private, copies);

  if (costs_from != nullptr) {
    path->path.rows = costs_from->rows;
    path->path.startup_cost = costs_from->startup_cost;
    path->path.total_cost = costs_from->total_cost;
  } else {
    path->path.rows = clamp_row_est(rows);
    path->path.startup_cost = nchildren == 0 ? 0
                              : children[0].path != nullptr ? children[0].path->startup_cost
                                                            : children[0].copy->startup_cost;
    path->path.total_cost = total + cpu_tuple_cost * kAppendCpuCostMultiplier * rows;
  }
  return path;
}

CustomPath* chunk_append_path_over(const CustomPath* from, RelOptInfo* rel, PathTarget* target, List* children) {
  if (chunk_append_path_has_copies(from) || list_length(children) != list_length(from->custom_paths)) return nullptr;
  CustomPath* path = makeNode(CustomPath);
  memcpy(path, from, sizeof(CustomPath));
  path->path.parent = rel;
  path->path.pathtarget = target;
  path->path.param_info = nullptr;
  path->path.pathkeys = NIL;
  path->custom_paths = children;
  path->custom_private = list_copy(from->custom_private);
  double rows = 0;
  Cost total = 0;
  ListCell* lc;
  foreach (lc, children) {
    rows += ((Path*)lfirst(lc))->rows;
    total += ((Path*)lfirst(lc))->total_cost;
  }
  path->path.rows = clamp_row_est(rows);
  path->path.startup_cost = children != NIL ? ((Path*)linitial(children))->startup_cost : 0;
  path->path.total_cost = total + cpu_tuple_cost * kAppendCpuCostMultiplier * rows;
  return path;
}

bool is_chunk_append_plan(const CustomScan* cscan) { return cscan->methods == &scan_methods; }

int chunk_append_range_children(List* ranges) { return list_length(ranges) / (2 * kRangesPerChild); }

void chunk_append_child_range(List* ranges, int i, int64* start, int64* end) {
  *start = range_at(ranges, kRangesPerChild * i);
  *end = range_at(ranges, kRangesPerChild * i + 1);
}

bool chunk_append_path_has_copies(const CustomPath* path) { return list_length(path->custom_private) > 3; }

bool chunk_append_excludes_at_startup(const CustomScan* cscan) {
  List* meta = (List*)linitial(cscan->custom_private);
  const int nclauses = list_nth_int(meta, kMetaClauseCount);
  for (int i = 0; i < nclauses; ++i)
    if (list_nth_int(meta, kMetaFirstClause + i * kMetaPerClause + kClauseExecTime) == 0) return true;
  return false;
}

void chunk_append_set_deferred(CustomScan* cscan, List* per_child) {
  Assert(list_length(cscan->custom_private) == 2);
  cscan->custom_private = lappend(cscan->custom_private, per_child);
}

bool* chunk_append_startup_survivors(const CustomScan* cscan, ParamListInfo params) {
  List* meta = (List*)linitial(cscan->custom_private);
  List* ranges = (List*)lsecond(cscan->custom_private);
  const int nclauses = list_nth_int(meta, kMetaClauseCount);
  const Oid time_type = (Oid)list_nth_int(meta, kMetaTimeType);
  const int nchildren = list_length(cscan->custom_plans);
  bool* keep = (bool*)palloc(sizeof(bool) * (nchildren > 0 ? nchildren : 1));
  ExprContext* econtext = CreateStandaloneExprContext();
  econtext->ecxt_param_list_info = params;
  Allowed allowed;
  // The same clauses begin_chunk_append evaluates at startup (never those on executor
  // parameters, which are not known before the executor runs).
  for (int i = 0; i < nclauses; ++i) {
    int m[kMetaPerClause];
    clause_meta(meta, i, m);
    if (m[kClauseExecTime] != 0) continue;
    ExprState* es = ExecInitExprWithParams((Expr*)list_nth(cscan->custom_exprs, i), params);
    FmgrInfo hash;
    if (is_space_clause(m)) fmgr_info((Oid)m[kClauseHashProc], &hash);
    allowed.narrow(es, econtext, m, &hash, time_type);
  }
  for (int i = 0; i < nchildren; ++i) {
    const int64 start = range_at(ranges, kRangesPerChild * i);
    const int64 end = range_at(ranges, kRangesPerChild * i + 1);
    const int64 space_start = range_at(ranges, kRangesPerChild * i + 2);
    const int64 space_end = range_at(ranges, kRangesPerChild * i + 3);
    keep[i] = allowed.admits(start, end, space_start, space_end);
  }
  FreeExprContext(econtext, true);
  return keep;
}

CustomScan* chunk_append_copy_keeping(const CustomScan* cscan, const bool* keep) {
  CustomScan* copy = makeNode(CustomScan);
  memcpy(copy, cscan, sizeof(CustomScan));
  List* ranges = (List*)lsecond(cscan->custom_private);
  List* deferred = list_length(cscan->custom_private) > 2 ? (List*)lthird(cscan->custom_private) : NIL;
  List* plans = NIL;
  List* kept_ranges = NIL;
  List* kept_deferred = NIL;
  int excluded = 0;
  for (int i = 0; i < list_length(cscan->custom_plans); ++i) {
    if (!keep[i]) {
      excluded++;
      continue;
    }
    plans = lappend(plans, child_plan(cscan, i));  // (a lazy copy made now: positions change)
    for (int k = 0; k < 2 * kRangesPerChild; ++k)
      kept_ranges = lappend_int(kept_ranges, list_nth_int(ranges, 2 * kRangesPerChild * i + k));
    if (deferred != NIL) kept_deferred = lappend(kept_deferred, list_nth(deferred, i));
  }
  copy->custom_plans = plans;
  // The children left out count as excluded at startup (EXPLAIN).
  List* meta = (List*)linitial(cscan->custom_private);
  if (has_lazy_copies(cscan)) meta = list_truncate(list_copy(meta), lazy_copies_at(meta));
  copy->custom_private = list_make4(meta, kept_ranges, kept_deferred,
                                    makeInteger(excluded + excluded_before(cscan)));
  return copy;
}

List* chunk_append_deferred(const CustomScan* cscan) {
  return list_length(cscan->custom_private) > 2 ? (List*)lthird(cscan->custom_private) : NIL;
}

int chunk_append_nchildren(CustomScanState* node) { return ((ChunkAppendState*)node)->nplans; }

PlanState* chunk_append_child(CustomScanState* node, int i) {
  ChunkAppendState* state = (ChunkAppendState*)node;
  if (state->nexec > 0 && !state->exec_done) exclude_at_run_time(state);
  if (i < 0 || i >= state->nplans || !state->active[i]) return nullptr;
  return child_state(state, i);
}

bool is_chunk_append_path(const Path* path) {
  return IsA(path, CustomPath) && ((const CustomPath*)path)->methods == &path_methods;
}

namespace {

// ChunkPlanCopy's extensible node methods: copy, equal, out, read.
constexpr const char* kPlanCopyNodeName = "StrataChunkPlanCopy";

void plan_copy_copy(ExtensibleNode* to, const ExtensibleNode* from) {
  ChunkPlanCopy* t = (ChunkPlanCopy*)to;
  const ChunkPlanCopy* f = (const ChunkPlanCopy*)from;
  t->rti = f->rti;
  t->indexoid = f->indexoid;
  t->source = f->source;
  t->ratio = f->ratio;
  t->rows = f->rows;
  t->startup_cost = f->startup_cost;
  t->total_cost = f->total_cost;
  t->lazy = f->lazy;
}

bool plan_copy_equal(const ExtensibleNode* a, const ExtensibleNode* b) {
  const ChunkPlanCopy* x = (const ChunkPlanCopy*)a;
  const ChunkPlanCopy* y = (const ChunkPlanCopy*)b;
  return x->rti == y->rti && x->indexoid == y->indexoid && x->source == y->source && x->ratio == y->ratio &&
         x->rows == y->rows && x->startup_cost == y->startup_cost && x->total_cost == y->total_cost &&
         x->lazy == y->lazy;
}

void plan_copy_out(StringInfo str, const ExtensibleNode* node) {
  const ChunkPlanCopy* c = (const ChunkPlanCopy*)node;
  appendStringInfo(str, " :rti %u :indexoid %u :source %d :ratio %.17g :rows %.17g :startup_cost %.17g",
                   c->rti, c->indexoid, c->source, c->ratio, c->rows, c->startup_cost);
  appendStringInfo(str, " :total_cost %.17g :lazy %d", c->total_cost, c->lazy ? 1 : 0);
}

// The next field's value token (after its name), NUL-terminated in `buf`.
const char* plan_copy_field(char* buf, size_t size) {
  int length;
  pg_strtok(&length);  // :name
  const char* token = pg_strtok(&length);
  if (token == nullptr || length <= 0 || (size_t)length >= size)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("malformed %s node", kPlanCopyNodeName)));
  memcpy(buf, token, length);
  buf[length] = '\0';
  return buf;
}

void plan_copy_read(ExtensibleNode* node) {
  ChunkPlanCopy* c = (ChunkPlanCopy*)node;
  char buf[64];
  c->rti = (Index)strtoul(plan_copy_field(buf, sizeof(buf)), nullptr, 10);
  c->indexoid = (Oid)strtoul(plan_copy_field(buf, sizeof(buf)), nullptr, 10);
  c->source = atoi(plan_copy_field(buf, sizeof(buf)));
  c->ratio = strtod(plan_copy_field(buf, sizeof(buf)), nullptr);
  c->rows = strtod(plan_copy_field(buf, sizeof(buf)), nullptr);
  c->startup_cost = strtod(plan_copy_field(buf, sizeof(buf)), nullptr);
  c->total_cost = strtod(plan_copy_field(buf, sizeof(buf)), nullptr);
  c->lazy = atoi(plan_copy_field(buf, sizeof(buf))) != 0;
}

const ExtensibleNodeMethods plan_copy_methods = {
    kPlanCopyNodeName,
    sizeof(ChunkPlanCopy),
    pg::guarded<plan_copy_copy>,
    pg::guarded<plan_copy_equal>,
    pg::guarded<plan_copy_out>,
    pg::guarded<plan_copy_read>,
};

}  // namespace

ChunkPlanCopy* new_chunk_plan_copy() {
  ChunkPlanCopy* c = (ChunkPlanCopy*)palloc0(sizeof(ChunkPlanCopy));
  c->node.type = T_ExtensibleNode;
  c->node.extnodename = kPlanCopyNodeName;
  return c;
}

void chunk_append_register() {
  RegisterCustomScanMethods(&scan_methods);
  RegisterExtensibleNodeMethods(&plan_copy_methods);
}

}  // namespace strata
