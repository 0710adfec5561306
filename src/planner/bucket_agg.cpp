// BucketAggregate (see bucket_agg.hpp): the path, the plan and the executor node.
//
// Planned at UPPERREL_GROUP_AGG beside PostgreSQL's paths when the query groups by exactly one
// key, strata's time_bucket(const fixed width, a timestamp(tz) column) with the default origin,
// every output column is that key or a plain min / max / count aggregate (no FILTER, DISTINCT or
// ORDER BY in it) of a column of the same relation, there is no HAVING, and an input path is
// already ordered by the key (an ordered ChunkAppend; a projection computing the key above it is
// left out, this node computes the key). The node consumes its input in order, one group per
// output row, like a sorted GroupAggregate, and gives the same rows:
//   - the bucket of a group's first row is computed in 64 bits (time_bucket's own fast path;
//     otherwise, and for infinite timestamps, the SQL function itself is called) and the following
//     rows are in the group while they fall in [bucket, bucket + width);
//   - min and max compare as PostgreSQL's int*larger / float8larger / timestamp_larger ... do
//     (NaN above every number; on ties the later value, as the transition functions return their
//     second argument then), count counts;
//   - a child of the ChunkAppend that is a btree IndexScan of a heap chunk with no filter is read
//     directly when the statement is not instrumented and its snapshot is an MVCC one: TIDs come
//     from index_getnext_tid in batches (as a btree scan reads a leaf page's matches at once), each
//     run of TIDs on one heap page is looked up under one share lock of that buffer with
//     heap_hot_search_buffer (visibility, HOT chains and serializable conflicts as an index scan
//     checks them; an all-visible page's tuples as pg/heap_page.hpp trusts them), and only the
//     columns the node needs are deformed, before any varlena is touched beyond its length. No
//     content lock is held while the node calls into the index or returns a row. Other children
//     (sorts, compressed chunks, index scans with filters) are read through ExecProcNode. EXPLAIN
//     ANALYZE reads every child through ExecProcNode so that their counters are right.
#include "planner/bucket_agg.hpp"

#include <cstring>

#include "catalog/registry.hpp"
#include "pg/deform.hpp"
#include "pg/guard.hpp"
#include "pg/heap_page.hpp"
#include "pg/min_max.hpp"
#include "pg/pg.hpp"
#include "planner/chunk_append.hpp"
#include "planner/planner.hpp"
#include "time/time_bucket.hpp"

extern "C" {
#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_am.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "datatype/timestamp.h"
#include "executor/executor.h"
#include "executor/nodeIndexscan.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/prep.h"
#include "optimizer/paths.h"
#include "optimizer/tlist.h"
#include "storage/bufmgr.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
}

namespace strata {

bool guc_enable_bucket_agg = true;

namespace {

// Output columns.
enum ColKind { kBucket = 0, kMax, kMin, kCountStar, kCount };
// How a min / max argument compares (its Datum representation).
enum ValType { kNone = 0, kInt2, kInt4, kInt8, kFloat4, kFloat8 };

// custom_private of the plan: list_make2(IntList meta, Const width); meta is the time column's
// position in the child's output, the time_bucket function, the number of output columns, then per
// output column its kind, its argument's position in the child's output (0 for none) and ValType.
enum { kMetaTimePos = 0, kMetaFunc, kMetaNCols, kMetaFirstCol, kMetaPerCol = 3 };

// Index TIDs fetched from a btree at a time.
constexpr int kTidBatch = 256;

Plan* plan_bucket_agg(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist,
                      List* clauses, List* custom_plans);
Node* create_bucket_agg_state(CustomScan* cscan);

const CustomPathMethods path_methods = {
    "BucketAggregate",
    pg::guarded<plan_bucket_agg>,
    nullptr,
};

const CustomScanMethods scan_methods = {
    "BucketAggregate",
    pg::guarded<create_bucket_agg_state>,
};

// ---------------------------------------------------------------------------------------------
// Paths.

// Whether funcid is strata's C time_bucket(interval, timestamp[tz]) (the SQL functions of both
// types call the same C function; other schemas' functions of that name are not it).
bool is_strata_time_bucket_ts(Oid funcid) {
  HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
  if (!HeapTupleIsValid(tup)) return false;
  Form_pg_proc proc = (Form_pg_proc)GETSTRUCT(tup);
  bool ok = proc->prolang == ClanguageId && proc->pronargs == 2;
  if (ok) {
    bool isnull = false;
    Datum src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
    ok = !isnull && strcmp(TextDatumGetCString(src), "strata_time_bucket_ts") == 0;
    if (ok) {
      Datum bin = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);
      ok = !isnull && strcmp(TextDatumGetCString(bin), "$libdir/strata") == 0;
    }
  }
  ReleaseSysCache(tup);
  return ok;
}

bool is_column_of(Node* n, Index relid) {
  if (n == nullptr || !IsA(n, Var)) return false;
  Var* v = (Var*)n;
  return v->varno == (int)relid && v->varlevelsup == 0 && v->varattno > 0;
}

// The group key time_bucket(const interval, time column): its width in microseconds.
bool bucket_key(Expr* key, Index relid, int64* width) {
  if (key == nullptr || !IsA(key, FuncExpr)) return false;
  FuncExpr* f = (FuncExpr*)key;
  if (list_length(f->args) != 2 || f->funcretset) return false;
  Node* w = (Node*)linitial(f->args);
  Node* t = (Node*)lsecond(f->args);
  if (!IsA(w, Const) || ((Const*)w)->constisnull || ((Const*)w)->consttype != INTERVALOID) return false;
  if (!is_column_of(t, relid)) return false;
  const Oid type = ((Var*)t)->vartype;
  if ((type != TIMESTAMPTZOID && type != TIMESTAMPOID) || f->funcresulttype != type) return false;
  const Interval* iv = DatumGetIntervalP(((Const*)w)->constvalue);
  int64 days_usec;
  int64 usec;
  if (iv->month != 0 || __builtin_mul_overflow((int64)iv->day, USECS_PER_DAY, &days_usec) ||
      __builtin_add_overflow(days_usec, iv->time, &usec) || usec <= 0)
    return false;  // month widths, and the errors the function reports itself
  if (!is_strata_time_bucket_ts(f->funcid)) return false;
  *width = usec;
  return true;
}

ValType val_type_of(Oid type) {
  switch (type) {
    case INT2OID:
      return kInt2;
    case INT4OID:
    case DATEOID:
      return kInt4;
    case INT8OID:
    case TIMESTAMPOID:
    case TIMESTAMPTZOID:
      return kInt8;
    case FLOAT4OID:
      return kFloat4;
    case FLOAT8OID:
      return kFloat8;
    default:
      return kNone;
  }
}

// The kind of an aggregate this node computes (kBucket for none).
ColKind agg_kind(Aggref* a, Index relid) {
  if (a->aggfilter != nullptr || a->aggdistinct != NIL || a->aggorder != NIL || a->agglevelsup != 0 ||
      a->aggkind != AGGKIND_NORMAL || a->aggsplit != AGGSPLIT_SIMPLE || a->aggvariadic)
    return kBucket;
  if (a->aggfnoid == F_COUNT_) return a->aggstar ? kCountStar : kBucket;
  if (list_length(a->args) != 1) return kBucket;
  Node* arg = (Node*)((TargetEntry*)linitial(a->args))->expr;
  if (!is_column_of(arg, relid)) return kBucket;
  if (a->aggfnoid == F_COUNT_ANY) return kCount;
  const pg::MinMax mm = pg::by_value_min_max(a->aggfnoid);
  if (mm == pg::MinMax::kNeither || val_type_of(exprType(arg)) == kNone) return kBucket;
  return mm == pg::MinMax::kMin ? kMin : kMax;
}

bool has_column(PathTarget* target, Var* var) {
  ListCell* lc;
  foreach (lc, target->exprs) {
    Node* e = (Node*)lfirst(lc);
    if (IsA(e, Var) && ((Var*)e)->varno == var->varno && ((Var*)e)->varattno == var->varattno) return true;
  }
  return false;
}

// Whether `path` outputs the time column and every aggregate's argument (the plan reads them by
// position in its output).
bool outputs_columns(Path* path, Expr* key, PathTarget* outputs) {
  if (!has_column(path->pathtarget, (Var*)lsecond(((FuncExpr*)key)->args))) return false;
  ListCell* lc;
  foreach (lc, outputs->exprs) {
    Node* e = (Node*)lfirst(lc);
    if (!IsA(e, Aggref) || ((Aggref*)e)->args == NIL) continue;
    if (!has_column(path->pathtarget, (Var*)((TargetEntry*)linitial(((Aggref*)e)->args))->expr)) return false;
  }
  return true;
}

}  // namespace

void add_bucket_agg_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                          RelOptInfo* output_rel, void* extra) {
  if (stage != UPPERREL_GROUP_AGG || !guc_enable_bucket_agg || extra == nullptr) return;
  Query* parse = root->parse;
  if (!parse->hasAggs || parse->groupingSets != NIL || parse->hasTargetSRFs || root->hasHavingQual) return;
  if (list_length(parse->groupClause) != 1 || list_length(root->group_pathkeys) != 1) return;
  if (input_rel->reloptkind != RELOPT_BASEREL || output_rel->pathlist == NIL) return;
  if (!extension_is_active()) return;
  SortGroupClause* sgc = (SortGroupClause*)linitial(parse->groupClause);
  Expr* key = (Expr*)get_sortgroupclause_expr(sgc, parse->targetList);
  int64 width = 0;
  if (!bucket_key(key, input_rel->relid, &width)) return;
  ListCell* lc;
  foreach (lc, output_rel->reltarget->exprs) {
    Expr* e = (Expr*)lfirst(lc);
    if (equal(e, key)) continue;
    if (!IsA(e, Aggref) || agg_kind((Aggref*)e, input_rel->relid) == kBucket) return;
  }

  AggClauseCosts costs;
  memset(&costs, 0, sizeof costs);
  get_agg_clause_costs(root, AGGSPLIT_SIMPLE, &costs);
  const double groups = ((Path*)linitial(output_rel->pathlist))->rows;
  List* added = NIL;
  foreach (lc, input_rel->pathlist) {
    Path* path = (Path*)lfirst(lc);
    if (path->param_info != nullptr || path->pathkeys == NIL ||
        !pathkeys_contained_in(root->group_pathkeys, path->pathkeys))
      continue;
    // The projection that computes the key (and passes the columns on): this node computes the
    // key from the time column of the path below.
    if (IsA(path, ProjectionPath)) path = ((ProjectionPath*)path)->subpath;
    if (!outputs_columns(path, key, output_rel->reltarget)) continue;
    Path* ref = (Path*)create_agg_path(root, output_rel, path, output_rel->reltarget, AGG_SORTED,
                                       AGGSPLIT_SIMPLE, parse->groupClause, NIL, &costs, groups);
    CustomPath* cp = makeNode(CustomPath);
    cp->path.pathtype = T_CustomScan;
    cp->path.parent = output_rel;
    cp->path.pathtarget = output_rel->reltarget;
    cp->path.param_info = nullptr;
    cp->path.parallel_aware = false;
    cp->path.parallel_safe = false;
    cp->path.parallel_workers = 0;
    cp->path.pathkeys = ref->pathkeys;
    cp->path.rows = ref->rows;
    // The grouping and aggregation work costs half of what PostgreSQL's Agg charges for it.
    cp->path.startup_cost = ref->startup_cost;
    cp->path.total_cost = ref->total_cost - 0.5 * (ref->total_cost - path->total_cost);
    cp->flags = 0;
    cp->custom_paths = list_make1(path);
    cp->custom_private = list_make2((Expr*)copyObjectImpl(key), makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
                                                               Int64GetDatum(width), false, true));
    cp->methods = &path_methods;
    added = lappend(added, cp);
  }
  foreach (lc, added) add_path(output_rel, (Path*)lfirst(lc));
}

namespace {

// Position (1-based) of `var` in a plan's target list, 0 when absent.
int tlist_position(List* tlist, Var* var) {
  ListCell* lc;
  foreach (lc, tlist) {
    TargetEntry* te = (TargetEntry*)lfirst(lc);
    if (IsA(te->expr, Var) && ((Var*)te->expr)->varno == var->varno && ((Var*)te->expr)->varattno == var->varattno)
      return te->resno;
  }
  return 0;
}

[[noreturn]] void unexpected_plan() {
  ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("bucket aggregation over an unexpected plan")));
  pg_unreachable();
}

Plan* plan_bucket_agg(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist,
                      List* clauses, List* custom_plans) {
  Plan* child = (Plan*)linitial(custom_plans);
  Expr* key = (Expr*)linitial(best_path->custom_private);
  Var* time_var = (Var*)lsecond(((FuncExpr*)key)->args);
  const int time_pos = tlist_position(child->targetlist, time_var);
  if (time_pos == 0) unexpected_plan();
  List* meta = list_make3_int(time_pos, (int)((FuncExpr*)key)->funcid, list_length(tlist));
  Index relid = (Index)time_var->varno;
  ListCell* lc;
  foreach (lc, tlist) {
    TargetEntry* te = (TargetEntry*)lfirst(lc);
    ColKind kind = kBucket;
    int pos = 0;
    ValType vt = kNone;
    if (!equal(te->expr, key)) {
      if (!IsA(te->expr, Aggref)) unexpected_plan();
      Aggref* a = (Aggref*)te->expr;
      kind = agg_kind(a, relid);
      if (kind == kBucket) unexpected_plan();
      if (kind != kCountStar) {
        Var* arg = (Var*)((TargetEntry*)linitial(a->args))->expr;
        pos = tlist_position(child->targetlist, arg);
        if (pos == 0) unexpected_plan();
        vt = val_type_of(arg->vartype);
      }
    }
    meta = lappend_int(meta, kind);
    meta = lappend_int(meta, pos);
    meta = lappend_int(meta, vt);
  }
  CustomScan* cscan = makeNode(CustomScan);
  cscan->scan.plan.targetlist = tlist;
  cscan->scan.plan.qual = NIL;
  cscan->scan.scanrelid = 0;
  cscan->flags = best_path->flags;
  cscan->custom_plans = custom_plans;
  cscan->custom_scan_tlist = (List*)copyObjectImpl(tlist);
  cscan->custom_exprs = NIL;
  cscan->custom_private = list_make2(meta, copyObjectImpl(lsecond(best_path->custom_private)));
  cscan->methods = &scan_methods;
  return &cscan->scan.plan;
}

// ---------------------------------------------------------------------------------------------
// Execution.

struct Col {
  int kind;
  int pos;
  int vt;
  Datum value;  // min / max so far
  bool has;
  int64 count;
};

struct BucketAggState {
  CustomScanState css;
  PlanState* input;
  CustomScanState* append;  // the input, when it is a ChunkAppend
  bool fast_ok;             // children may be read directly
  int nchildren;
  int next_child;
  PlanState* cur;           // the child being read, nullptr between children
  // The child being read directly.
  bool cur_fast;
  IndexScanDesc scan;
  Relation heap;
  ScanDirection dir;
  int16* attno_of_pos;      // per position of the child's output: the chunk's attribute (0: unused)
  int maxatt;
  Datum* att_values;        // deformed attributes 1..maxatt
  bool* att_nulls;
  pg::AttStep* layout;      // the chunk's attributes 1..maxatt (need: read, a by-value column)
  bool all_visible_ok;      // an all-visible page's tuples need no visibility check
  bool page_all_visible;    // the locked page is all-visible (and all_visible_ok)
  ItemPointerData* tids;
  int ntids;
  int tidpos;
  bool index_done;
  Buffer buf;
  BlockNumber block;
  bool locked;
  // The current row, by position in the child's output.
  int npos;
  int maxpos;               // the highest position the node reads
  bool* needed;
  Datum* vals;
  bool* nulls;
  bool pending;             // the current row is the first of the next group
  bool done;
  // The key.
  int time_pos;
  Oid bucket_func;
  int64 width;
  FmgrInfo bucket_fn;
  bool bucket_fn_ready;
  // The aggregates.
  int ncols;
  Col* cols;
};

// Releases the content lock of the current heap page (keeping the pin).
void unlock_page(BucketAggState* s) {
  if (s->locked) {
    LockBuffer(s->buf, BUFFER_LOCK_UNLOCK);
    s->locked = false;
  }
}

void end_direct_child(BucketAggState* s) {
  unlock_page(s);
  if (BufferIsValid(s->buf)) ReleaseBuffer(s->buf);
  s->buf = InvalidBuffer;
  s->block = InvalidBlockNumber;
  s->cur_fast = false;
}

// Whether child `ps` can be read directly; if so, prepares it (its index scan started as
// IndexNext would start it, and kept in the IndexScanState so that its end and rescans close and
// restart it).
bool begin_direct_child(BucketAggState* s, PlanState* ps) {
  if (!s->fast_ok || !IsA(ps, IndexScanState)) return false;
  IndexScanState* iss = (IndexScanState*)ps;
  IndexScan* plan = (IndexScan*)ps->plan;
  if (plan->scan.plan.qual != NIL || plan->indexorderby != NIL || iss->iss_NumOrderByKeys != 0) return false;
  Relation heap = iss->ss.ss_currentRelation;
  Relation index = iss->iss_RelationDesc;
  if (heap == nullptr || index == nullptr || heap->rd_rel->relam != HEAP_TABLE_AM_OID ||
      index->rd_rel->relam != BTREE_AM_OID)
    return false;
  // Every position the node reads is a plain column of the chunk.
  memset(s->attno_of_pos, 0, sizeof(int16) * (s->npos + 1));
  int maxatt = 0;
  for (int pos = 1; pos <= s->npos; ++pos) {
    if (!s->needed[pos]) continue;
    TargetEntry* te = (TargetEntry*)list_nth(plan->scan.plan.targetlist, pos - 1);
    if (te == nullptr || !IsA(te->expr, Var)) return false;
    Var* v = (Var*)te->expr;
    if (v->varno != (int)plan->scan.scanrelid || v->varattno <= 0 ||
        v->varattno > RelationGetDescr(heap)->natts || !TupleDescAttr(RelationGetDescr(heap), v->varattno - 1)->attbyval)
      return false;  // only plain by-value columns are read (the key and the arguments are)
    s->attno_of_pos[pos] = v->varattno;
    if (v->varattno > maxatt) maxatt = v->varattno;
  }
  // What ExecProcNode and ExecIndexScan would do first: a rescan for changed parameters, the
  // run-time keys' values.
  if (ps->chgParam != nullptr || (iss->iss_NumRuntimeKeys != 0 && !iss->iss_RuntimeKeysReady)) ExecReScan(ps);
  if (iss->iss_ScanDesc == nullptr) {
    EState* estate = ps->state;
    iss->iss_ScanDesc = index_beginscan(heap, index, estate->es_snapshot, iss->iss_NumScanKeys, 0);
    if (iss->iss_NumRuntimeKeys == 0 || iss->iss_RuntimeKeysReady)
      index_rescan(iss->iss_ScanDesc, iss->iss_ScanKeys, iss->iss_NumScanKeys, nullptr, 0);
  }
  if (maxatt > s->maxatt) {
    MemoryContext cxt = s->css.ss.ps.state->es_query_cxt;
    s->att_values = (Datum*)MemoryContextAlloc(cxt, sizeof(Datum) * (maxatt + 1));
    s->att_nulls = (bool*)MemoryContextAlloc(cxt, sizeof(bool) * (maxatt + 1));
    s->layout = (pg::AttStep*)MemoryContextAlloc(cxt, sizeof(pg::AttStep) * (maxatt + 1));
  }
  s->maxatt = maxatt;
  TupleDesc desc = RelationGetDescr(heap);
  for (int att = 1; att <= maxatt; ++att) s->layout[att] = pg::att_step(TupleDescAttr(desc, att - 1), false);
  for (int pos = 1; pos <= s->npos; ++pos) {
    const int att = s->attno_of_pos[pos];
    if (att == 0) continue;
    s->layout[att].need = true;
  }
  s->scan = iss->iss_ScanDesc;
  s->heap = heap;
  s->dir = ScanDirectionIsBackward(plan->indexorderdir) ? BackwardScanDirection : ForwardScanDirection;
  s->ntids = 0;
  s->tidpos = 0;
  s->index_done = false;
  s->buf = InvalidBuffer;
  s->block = InvalidBlockNumber;
  s->locked = false;
  // Serializable transactions need the predicate locks and conflict checks of heap_hot_search_buffer.
  s->all_visible_ok = pg::heap_all_visible_trusted(s->scan->xs_snapshot);
  s->page_all_visible = false;
  s->cur_fast = true;
  return true;
}

// The attributes 1..natts of a heap tuple that layout marks as needed (as heap_deform_tuple
// steps over them: alignment, varlena headers, NULL bitmap, attributes missing from an older
// tuple; pg::step_over_att's steps, written out: see deform.hpp).
void deform_prefix(HeapTupleHeader tup, TupleDesc desc, const pg::AttStep* layout, int natts, Datum* values,
                   bool* nulls) {
  const bool hasnulls = (tup->t_infomask & HEAP_HASNULL) != 0;
  bits8* bp = tup->t_bits;
  const char* tp = (const char*)tup + tup->t_hoff;
  const int tupnatts = HeapTupleHeaderGetNatts(tup);
  uintptr_t off = 0;
  for (int att = 1; att <= natts; ++att) {
    const pg::AttStep& a = layout[att];
    if (att > tupnatts) {
      values[att] = getmissingattr(desc, att, &nulls[att]);
      continue;
    }
    if (hasnulls && att_isnull(att - 1, bp)) {
      values[att] = (Datum)0;
      nulls[att] = true;
      continue;
    }
    if (a.len == -1) {
      // A varlena is aligned unless it starts with a 1-byte header (no pad byte is zero there).
      if (!VARATT_NOT_PAD_BYTE(tp + off)) off = TYPEALIGN(a.align, off);
      off += VARSIZE_ANY(tp + off);
      continue;
    }
    off = TYPEALIGN(a.align, off);
    if (a.len == -2) {
      off += strlen(tp + off) + 1;
      continue;
    }
    if (a.need) {
      nulls[att] = false;
      values[att] = fetch_att(tp + off, true, a.len);
    }
    off += a.len;
  }
}

// The next visible row of the child read directly; false at its end. May return with the heap
// page's content lock held (the caller only reads by-value columns of it into s->vals).
bool next_direct_row(BucketAggState* s) {
  Snapshot snapshot = s->scan->xs_snapshot;
  for (;;) {
    if (s->tidpos == s->ntids) {
      unlock_page(s);
      if (s->index_done) return false;
      CHECK_FOR_INTERRUPTS();
      s->ntids = 0;
      s->tidpos = 0;
      while (s->ntids < kTidBatch) {
        ItemPointer tid = index_getnext_tid(s->scan, s->dir);
        if (tid == nullptr) {
          s->index_done = true;
          break;
        }
        if (s->scan->xs_recheck)
          ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("bucket aggregation over a lossy index scan")));
        s->tids[s->ntids++] = *tid;
      }
      if (s->ntids == 0) return false;
    }
    ItemPointerData tid = s->tids[s->tidpos++];
    const BlockNumber block = ItemPointerGetBlockNumber(&tid);
    if (block != s->block) {
      unlock_page(s);
      s->buf = ReleaseAndReadBuffer(s->buf, s->heap, block);
      s->block = block;
      heap_page_prune_opt(s->heap, s->buf);
    }
    Page page = BufferGetPage(s->buf);
    if (!s->locked) {
      LockBuffer(s->buf, BUFFER_LOCK_SHARE);
      s->locked = true;
      s->page_all_visible = s->all_visible_ok && PageIsAllVisible(page);
    }
    // On an all-visible page (as a sequential scan trusts it) a normal line pointer that an index
    // entry names is the visible tuple; anything else goes through heap_hot_search_buffer.
    const OffsetNumber off = ItemPointerGetOffsetNumber(&tid);
    const OffsetNumber line = s->page_all_visible ? pg::heap_all_visible_line(s->heap, s->buf, page, block, off, snapshot)
                                                  : pg::heap_chain_line(s->heap, s->buf, block, off, snapshot);
    if (line == InvalidOffsetNumber) continue;
    const HeapTupleHeader data = pg::heap_line_tuple(page, line);
    if (!pg::heap_line_heads_chain(line, data)) continue;
    deform_prefix(data, RelationGetDescr(s->heap), s->layout, s->maxatt, s->att_values, s->att_nulls);
    for (int pos = 1; pos <= s->maxpos; ++pos) {
      const int att = s->attno_of_pos[pos];
      if (att == 0) continue;
      s->vals[pos] = s->att_values[att];
      s->nulls[pos] = s->att_nulls[att];
    }
    return true;
  }
}

// The next row of the input into s->vals / s->nulls; false at its end.
bool next_row(BucketAggState* s) {
  for (;;) {
    if (s->cur == nullptr) {
      if (s->next_child >= s->nchildren) return false;
      const int i = s->next_child++;
      PlanState* ps = s->append != nullptr ? chunk_append_child(s->append, i) : s->input;
      if (ps == nullptr) continue;
      s->cur = ps;
      s->cur_fast = begin_direct_child(s, ps);
    }
    if (s->cur_fast) {
      if (next_direct_row(s)) return true;
      end_direct_child(s);
      s->cur = nullptr;
      continue;
    }
    TupleTableSlot* slot = ExecProcNode(s->cur);
    if (TupIsNull(slot)) {
      s->cur = nullptr;
      continue;
    }
    slot_getsomeattrs(slot, s->maxpos);
    for (int pos = 1; pos <= s->maxpos; ++pos) {
      if (!s->needed[pos]) continue;
      s->vals[pos] = slot->tts_values[pos - 1];
      s->nulls[pos] = slot->tts_isnull[pos - 1];
    }
    return true;
  }
}

constexpr int64 kMaxTimestamp = END_TIMESTAMP - 1;

// time_bucket(width, t) for the group's first row: time_bucket's 64-bit fast path, else the
// function itself (infinite timestamps, buckets near the type's limits, its errors).
int64 bucket_of(BucketAggState* s, int64 t, bool* ranged) {
  *ranged = false;
  if (!TIMESTAMP_NOT_FINITE(t)) {
    int64 diff;
    if (!__builtin_sub_overflow(t, core::kBucketDefaultOriginUsec, &diff)) {
      int64 rem = diff % s->width;
      if (rem < 0) rem += s->width;
      int64 start;
      int64 end;
      if (!__builtin_sub_overflow(t, rem, &start) && start >= MIN_TIMESTAMP && start <= kMaxTimestamp &&
          !__builtin_add_overflow(start, s->width, &end)) {
        *ranged = true;
        return start;
      }
    }
  }
  if (!s->bucket_fn_ready) {
    fmgr_info_cxt(s->bucket_func, &s->bucket_fn, s->css.ss.ps.state->es_query_cxt);
    s->bucket_fn_ready = true;
  }
  Interval iv;
  iv.time = s->width;
  iv.day = 0;
  iv.month = 0;
  return DatumGetInt64(FunctionCall2(&s->bucket_fn, IntervalPGetDatum(&iv), Int64GetDatum(t)));
}

// a > b as the type's comparison (for floats: NaN above everything, NaN equal to NaN).
bool greater(int vt, Datum a, Datum b) {
  switch (vt) {
    case kInt2:
      return DatumGetInt16(a) > DatumGetInt16(b);
    case kInt4:
      return DatumGetInt32(a) > DatumGetInt32(b);
    case kInt8:
      return DatumGetInt64(a) > DatumGetInt64(b);
    case kFloat4:
      return float4_gt(DatumGetFloat4(a), DatumGetFloat4(b));
    default:
      return float8_gt(DatumGetFloat8(a), DatumGetFloat8(b));
  }
}

bool less(int vt, Datum a, Datum b) {
  switch (vt) {
    case kInt2:
      return DatumGetInt16(a) < DatumGetInt16(b);
    case kInt4:
      return DatumGetInt32(a) < DatumGetInt32(b);
    case kInt8:
      return DatumGetInt64(a) < DatumGetInt64(b);
    case kFloat4:
      return float4_lt(DatumGetFloat4(a), DatumGetFloat4(b));
    default:
      return float8_lt(DatumGetFloat8(a), DatumGetFloat8(b));
  }
}

inline void accumulate(BucketAggState* s) {
  for (int c = 0; c < s->ncols; ++c) {
    Col& col = s->cols[c];
    switch (col.kind) {
      case kCountStar:
        col.count++;
        break;
      case kCount:
        if (!s->nulls[col.pos]) col.count++;
        break;
      case kMax:
        if (s->nulls[col.pos]) break;
        // max's transition function keeps the state only when it is greater (larger(a, b):
        // a > b ? a : b), so on a tie the new value is kept.
        if (!col.has || !greater(col.vt, col.value, s->vals[col.pos])) col.value = s->vals[col.pos];
        col.has = true;
        break;
      case kMin:
        if (s->nulls[col.pos]) break;
        if (!col.has || !less(col.vt, col.value, s->vals[col.pos])) col.value = s->vals[col.pos];
        col.has = true;
        break;
      default:
        break;
    }
  }
}

void begin_bucket_agg(CustomScanState* node, EState* estate, int eflags) {
  BucketAggState* s = (BucketAggState*)node;
  CustomScan* cscan = (CustomScan*)node->ss.ps.plan;
  List* meta = (List*)linitial(cscan->custom_private);
  s->width = DatumGetInt64(((Const*)lsecond(cscan->custom_private))->constvalue);
  s->time_pos = list_nth_int(meta, kMetaTimePos);
  s->bucket_func = (Oid)list_nth_int(meta, kMetaFunc);
  s->bucket_fn_ready = false;
  s->ncols = list_nth_int(meta, kMetaNCols);
  s->cols = (Col*)palloc0(sizeof(Col) * (s->ncols > 0 ? s->ncols : 1));
  Plan* child = (Plan*)linitial(cscan->custom_plans);
  s->npos = list_length(child->targetlist);
  s->needed = (bool*)palloc0(sizeof(bool) * (s->npos + 1));
  s->vals = (Datum*)palloc0(sizeof(Datum) * (s->npos + 1));
  s->nulls = (bool*)palloc0(sizeof(bool) * (s->npos + 1));
  s->attno_of_pos = (int16*)palloc0(sizeof(int16) * (s->npos + 1));
  s->needed[s->time_pos] = true;
  s->maxpos = s->time_pos;
  for (int c = 0; c < s->ncols; ++c) {
    s->cols[c].kind = list_nth_int(meta, kMetaFirstCol + c * kMetaPerCol);
    s->cols[c].pos = list_nth_int(meta, kMetaFirstCol + c * kMetaPerCol + 1);
    s->cols[c].vt = list_nth_int(meta, kMetaFirstCol + c * kMetaPerCol + 2);
    if (s->cols[c].pos > 0) {
      s->needed[s->cols[c].pos] = true;
      if (s->cols[c].pos > s->maxpos) s->maxpos = s->cols[c].pos;
    }
  }
  s->input = ExecInitNode(child, estate, eflags);
  node->custom_ps = list_make1(s->input);
  // Direct reads bypass the children's executor nodes: not when they are to count their rows
  // (EXPLAIN ANALYZE), nor under a snapshot other than an MVCC one (index scans then follow HOT
  // chains further), nor for statements that lock rows or recheck them.
  s->fast_ok = estate->es_instrument == 0 && (eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0 &&
               IsMVCCSnapshot(estate->es_snapshot) && estate->es_epq_active == nullptr &&
               estate->es_plannedstmt != nullptr && estate->es_plannedstmt->rowMarks == NIL;
  // Otherwise the input is read through its own node.
  s->append = s->fast_ok && IsA(child, CustomScan) && is_chunk_append_plan((CustomScan*)child)
                  ? (CustomScanState*)s->input
                  : nullptr;
  s->tids = (ItemPointerData*)palloc(sizeof(ItemPointerData) * kTidBatch);
  s->buf = InvalidBuffer;
  s->block = InvalidBlockNumber;
  s->maxatt = 0;
  s->nchildren = -1;
  s->next_child = 0;
  s->cur = nullptr;
  s->cur_fast = false;
  s->pending = false;
  s->done = false;
}

TupleTableSlot* exec_bucket_agg(CustomScanState* node) {
  BucketAggState* s = (BucketAggState*)node;
  TupleTableSlot* scan_slot = node->ss.ss_ScanTupleSlot;
  if (s->nchildren < 0) s->nchildren = s->append != nullptr ? chunk_append_nchildren(s->append) : 1;
  ExecClearTuple(scan_slot);
  if (s->done) return nullptr;
  if (!s->pending && !next_row(s)) {
    unlock_page(s);
    s->done = true;
    return nullptr;
  }
  s->pending = false;
  // time_bucket is strict: rows without a time (possible only outside hypertables) form a NULL
  // group, like any run of equal keys.
  const bool null_group = s->nulls[s->time_pos];
  int64 bucket = 0;
  int64 end = 0;
  bool ranged = false;
  if (!null_group) {
    bucket = bucket_of(s, DatumGetInt64(s->vals[s->time_pos]), &ranged);
    end = ranged ? bucket + s->width : bucket;
  }
  for (int c = 0; c < s->ncols; ++c) {
    s->cols[c].has = false;
    s->cols[c].count = 0;
  }
  accumulate(s);
  for (;;) {
    if (!next_row(s)) {
      s->done = true;
      break;
    }
    bool same;
    if (null_group || s->nulls[s->time_pos]) {
      same = null_group && s->nulls[s->time_pos];
    } else {
      const int64 t = DatumGetInt64(s->vals[s->time_pos]);
      bool unused;
      same = ranged ? (t >= bucket && t < end) : bucket_of(s, t, &unused) == bucket;
    }
    if (!same) {
      s->pending = true;
      break;
    }
    accumulate(s);
  }
  unlock_page(s);
  for (int c = 0; c < s->ncols; ++c) {
    const Col& col = s->cols[c];
    switch (col.kind) {
      case kBucket:
        scan_slot->tts_values[c] = Int64GetDatum(bucket);
        scan_slot->tts_isnull[c] = null_group;
        break;
      case kCountStar:
      case kCount:
        scan_slot->tts_values[c] = Int64GetDatum(col.count);
        scan_slot->tts_isnull[c] = false;
        break;
      default:
        scan_slot->tts_values[c] = col.value;
        scan_slot->tts_isnull[c] = !col.has;
        break;
    }
  }
  ExecStoreVirtualTuple(scan_slot);
  ProjectionInfo* proj = node->ss.ps.ps_ProjInfo;
  if (proj == nullptr) return scan_slot;
  node->ss.ps.ps_ExprContext->ecxt_scantuple = scan_slot;
  return ExecProject(proj);
}

void end_bucket_agg(CustomScanState* node) {
  BucketAggState* s = (BucketAggState*)node;
  end_direct_child(s);
  ExecEndNode(s->input);
}

void rescan_bucket_agg(CustomScanState* node) {
  BucketAggState* s = (BucketAggState*)node;
  end_direct_child(s);
  // At once, not at the input's next ExecProcNode, which direct reads of its children bypass.
  if (node->ss.ps.chgParam != nullptr) UpdateChangedParamSet(s->input, node->ss.ps.chgParam);
  ExecReScan(s->input);
  s->nchildren = -1;
  s->next_child = 0;
  s->cur = nullptr;
  s->pending = false;
  s->done = false;
}

const CustomExecMethods exec_methods = {
    "BucketAggregate",
    pg::guarded<begin_bucket_agg>,
    pg::guarded<exec_bucket_agg>,
    pg::guarded<end_bucket_agg>,
    pg::guarded<rescan_bucket_agg>,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

Node* create_bucket_agg_state(CustomScan* cscan) {
  BucketAggState* state = (BucketAggState*)newNode(sizeof(BucketAggState), T_CustomScanState);
  state->css.methods = &exec_methods;
  return (Node*)state;
}

}  // namespace

void bucket_agg_register() { RegisterCustomScanMethods(&scan_methods); }

}  // namespace strata
