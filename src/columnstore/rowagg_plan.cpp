// Planning of RowstoreAggregate (rowagg.hpp): the partial aggregation of one rowstore chunk (or a
// compressed chunk's row part) over PostgreSQL's own scan path of it, offered by the columnstore
// pushdown's create_upper_paths handler (agg_plan.cpp) in place of PostgreSQL's Partial Aggregate
// when every grouping column and aggregate can be computed natively.
#include "columnstore/rowagg.hpp"

#include <algorithm>
#include <limits>

#include "catalog/chunks.hpp"
#include "catalog/hypertables.hpp"
#include "catalog/registry.hpp"
#include "columnstore/agg.hpp"
#include "columnstore/rowagg_exec.hpp"
#include "core/time/chunk_range.hpp"
#include "pg/guard.hpp"
#include "pg/pg.hpp"
#include "planner/chunk_append.hpp"
#include "planner/lazy_locks.hpp"

extern "C" {
#include "catalog/dependency.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/plancat.h"
#include "optimizer/appendinfo.h"
#include "optimizer/planmain.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/tlist.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/selfuncs.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "access/stratnum.h"
}

namespace strata::columnstore {

bool guc_enable_rowstore_agg = false;
bool guc_rowstore_agg_direct_scan = true;
bool guc_rowstore_agg_parallel = true;
bool guc_rowstore_agg_realtime = true;

namespace {

using namespace rowaggplan;
using aggplan::default_equality;
using aggplan::is_time_bucket;
using aggplan::plain_aggref;
using aggplan::plain_var;

Plan* plan_rowagg(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist, List* clauses,
                  List* custom_plans);

const CustomPathMethods rowagg_path_methods = {
    "RowstoreAggregate",
    pg::guarded<plan_rowagg>,
    nullptr,
};

// Types whose values are grouped by their Datum word: equality of the word is the type's default
// equality.
bool word_type(Oid t) {
  return t == INT2OID || t == INT4OID || t == INT8OID || t == DATEOID || t == TIMESTAMPOID || t == TIMESTAMPTZOID ||
         t == BOOLOID;
}

// The spec of one output column; its input Var (NULL for count(*)) in *var, the time_bucket's
// constants appended to *consts. False when it cannot be computed natively.
bool analyze_column(PlannerInfo* root, Expr* expr, Index sgref, Index relid, List** consts, int* spec, Var** var) {
  memset(spec, 0, sizeof(int) * kRSpecFields);
  *var = nullptr;
  if (sgref != 0) {
    if (!default_equality(root, expr, sgref)) return false;
    if (Var* v = plain_var((Node*)expr, relid)) {
      spec[kRSpecKind] = aggplan::kSpecValue;
      spec[kRSpecTypid] = (int)v->vartype;
      if (word_type(v->vartype)) {
        spec[kRSpecVarlen] = 0;
      } else if (v->vartype == TEXTOID || v->vartype == VARCHAROID || v->vartype == BYTEAOID) {
        if (OidIsValid(v->varcollid) && !get_collation_isdeterministic(v->varcollid)) return false;
        spec[kRSpecVarlen] = 1;
      } else {
        return false;
      }
      *var = v;
      return true;
    }
    if (!IsA(expr, FuncExpr) || !is_time_bucket((FuncExpr*)expr)) return false;
    FuncExpr* f = (FuncExpr*)expr;
    Var* v = plain_var((Node*)lsecond(f->args), relid);
    if (v == nullptr) return false;
    const Oid t = v->vartype;
    if (t != INT2OID && t != INT4OID && t != INT8OID && t != DATEOID && t != TIMESTAMPOID && t != TIMESTAMPTZOID)
      return false;
    if (!get_typbyval(f->funcresulttype)) return false;
    spec[kRSpecKind] = aggplan::kSpecBucket;
    spec[kRSpecTypid] = (int)t;
    spec[kRSpecResultType] = (int)f->funcresulttype;
    spec[kRSpecFunc] = (int)f->funcid;
    spec[kRSpecFirstConst] = list_length(*consts);
    spec[kRSpecNConsts] = list_length(f->args) - 1;
    *consts = lappend(*consts, copyObjectImpl(linitial(f->args)));
    if (list_length(f->args) == 3) *consts = lappend(*consts, copyObjectImpl(lthird(f->args)));
    *var = v;
    return true;
  }
  if (!IsA(expr, Aggref)) return false;
  Aggref* a = (Aggref*)expr;
  if (!plain_aggref(a)) return false;
  const int kind = aggplan::agg_kind(a->aggfnoid, true);
  if (kind < 0) return false;
  spec[kRSpecKind] = aggplan::kSpecAgg;
  spec[kRSpecAggKind] = kind;
  if (kind == aggplan::kCountStar) return true;
  if (list_length(a->args) != 1) return false;
  Var* v = plain_var((Node*)((TargetEntry*)linitial(a->args))->expr, relid);
  if (v == nullptr) return false;
  spec[kRSpecTypid] = (int)v->vartype;
  *var = v;
  return true;
}

// Specs (ints) and input Vars of the target, or false.
bool analyze_target(PlannerInfo* root, PathTarget* target, Index relid, List** specs, List** vars, List** consts,
                    int* nbucket) {
  int spec[kRSpecFields];
  int i = 0;
  *nbucket = 0;
  ListCell* lc;
  foreach (lc, target->exprs) {
    Var* v;
    if (!analyze_column(root, (Expr*)lfirst(lc), get_pathtarget_sortgroupref(target, i), relid, consts, spec, &v))
      return false;
    *nbucket += spec[kRSpecKind] == aggplan::kSpecBucket ? 1 : 0;
    for (int x : spec) *specs = lappend_int(*specs, x);
    *vars = lappend(*vars, v);
    ++i;
  }
  // One bucket at most (its cache is per node); 62 key columns at most (the NULL mask word).
  return *nbucket <= 1 && i <= 62;
}

// The position of `var` in the child plan's target list (adding it when missing).
int tlist_position(Plan* child, Var* var) {
  TargetEntry* tle = tlist_member((Expr*)var, child->targetlist);
  if (tle != nullptr) return tle->resno;
  // The child's target list is the chunk rel's, which holds every Var the aggregation reads.
  if (!is_projection_capable_plan(child))
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("rowstore aggregation input lacks column %d", var->varattno)));
  tle = makeTargetEntry((Expr*)copyObjectImpl(var), list_length(child->targetlist) + 1, nullptr, false);
  child->targetlist = lappend(child->targetlist, tle);
  return tle->resno;
}

// The chunk's own Var of the hypertable's time column, its hypertable (and, when `chunk` is given,
// the chunk's catalog row), or NULL.
Var* chunk_time_var(PlannerInfo* root, RelOptInfo* child, const Hypertable** ht_out, ChunkInfo* chunk) {
  AppendRelInfo* appinfo = root->append_rel_array != nullptr ? root->append_rel_array[child->relid] : nullptr;
  if (appinfo == nullptr || child->rtekind != RTE_RELATION) return nullptr;
  RangeTblEntry* prte = root->simple_rte_array[appinfo->parent_relid];
  RangeTblEntry* crte = root->simple_rte_array[child->relid];
  if (prte == nullptr || crte == nullptr || prte->rtekind != RTE_RELATION) return nullptr;
  const Hypertable* ht = hypertable_get(prte->relid);
  if (ht == nullptr || ht->time_attno <= 0 || ht->time_attno > list_length(appinfo->translated_vars)) return nullptr;
  Var* v = (Var*)list_nth(appinfo->translated_vars, ht->time_attno - 1);
  if (v == nullptr || !IsA(v, Var) || v->vartype != ht->time_type) return nullptr;
  if (chunk != nullptr && !chunk_get_by_relid(crte->relid, chunk)) return nullptr;
  *ht_out = ht;
  return v;
}

// A clause `time op bound` (or `bound op time`) on the time column `tv` with op a comparison of
// the btree operator family of its type and `bound` of the same type, free of Vars, executor
// parameters, subplans and volatile functions (evaluated once at executor start): its btree
// strategy with the time column on the left, and the bound; false otherwise.
bool time_bound_clause(Expr* clause, const Var* tv, int* strategy, Expr** bound) {
  if (!IsA(clause, OpExpr) || list_length(((OpExpr*)clause)->args) != 2) return false;
  OpExpr* op = (OpExpr*)clause;
  Node* l = (Node*)linitial(op->args);
  Node* r = (Node*)lsecond(op->args);
  const auto is_time = [tv](Node* n) {
    return IsA(n, Var) && ((Var*)n)->varno == tv->varno && ((Var*)n)->varattno == tv->varattno &&
           ((Var*)n)->varlevelsup == 0;
  };
  bool commuted = false;
  if (!is_time(l)) {
    if (!is_time(r)) return false;
    std::swap(l, r);
    commuted = true;
  }
  if (exprType(r) != tv->vartype || contain_var_clause(r) || contain_volatile_functions(r) ||
      contain_exec_param(r, NIL) || contain_subplans(r))
    return false;
  const Oid opf = lookup_type_cache(tv->vartype, TYPECACHE_BTREE_OPFAMILY)->btree_opf;
  if (!OidIsValid(opf)) return false;
  int s = get_op_opfamily_strategy(op->opno, opf);
  if (s == 0 || s == BTEqualStrategyNumber) return false;
  if (commuted) s = BTMaxStrategyNumber + 1 - s;  // (<, <=, >=, > reversed)
  *strategy = s;
  *bound = (Expr*)r;
  return true;
}

// A call of _strata_internal.cagg_watermark() (the real-time tail's bound, src/caggs/query.cpp).
bool is_watermark_call(const Expr* e) {
  if (e == nullptr || !IsA(e, FuncExpr)) return false;
  const Oid f = ((const FuncExpr*)e)->funcid;
  const char* name = get_func_name(f);
  return name != nullptr && strcmp(name, "cagg_watermark") == 0 && get_func_namespace(f) == internal_namespace_oid();
}

// The time bounds of the child scan's quals (rowagg_exec.hpp, kRBounds) when every qual is one
// (time_bound_clause): appended to the node's custom_exprs with the chunk's range; NIL otherwise.
List* record_time_bounds(PlannerInfo* root, RelOptInfo* rel, Plan* child, List** custom_exprs) {
  if (!IsA(child, SeqScan) || child->qual == NIL) return NIL;
  const Hypertable* ht = nullptr;
  ChunkInfo chunk;
  Var* tv = chunk_time_var(root, rel, &ht, &chunk);
  if (tv == nullptr) return NIL;
  List* meta = list_make4_int(list_length(*custom_exprs), list_length(child->qual), (int)ht->time_type, tv->varattno);
  List* bounds = NIL;
  ListCell* lc;
  foreach (lc, child->qual) {
    int strategy;
    Expr* bound;
    if (!time_bound_clause((Expr*)lfirst(lc), tv, &strategy, &bound)) return NIL;
    meta = lappend_int(meta, strategy);
    bounds = lappend(bounds, copyObjectImpl(bound));
  }
  *custom_exprs = list_concat(*custom_exprs, bounds);
  for (int64 edge : {chunk.range_start, chunk.range_end})
    *custom_exprs = lappend(*custom_exprs, makeConst(INT8OID, -1, InvalidOid, 8, Int64GetDatum(edge), false, true));
  return meta;
}

Plan* plan_rowagg(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist, List* clauses,
                  List* custom_plans) {
  Plan* child = (Plan*)linitial(custom_plans);
  List* specs = list_copy((List*)linitial(best_path->custom_private));
  List* vars = (List*)lsecond(best_path->custom_private);
  List* consts = (List*)lthird(best_path->custom_private);
  // A plain scan of the chunk returns its rows as they are (no projection) when its target list
  // is the table's physical one: the values are then read straight from the scanned tuple.
  if (IsA(child, SeqScan) || IsA(child, IndexScan) || IsA(child, BitmapHeapScan))
    child->targetlist = build_physical_tlist(root, best_path->path.parent);
  // A parallel-aware node divides the chunk's blocks among the participants itself (its child,
  // planned from a partial path, is only opened, or read whole by one participant).
  if (best_path->path.parallel_aware) child->parallel_aware = false;
  const int nspecs = list_length(vars);
  int maxpos = 0;
  for (int s = 0; s < nspecs; ++s) {
    Var* v = (Var*)list_nth(vars, s);
    if (v == nullptr) continue;
    const int pos = tlist_position(child, v);
    list_nth_cell(specs, s * kRSpecFields + kRSpecPos)->int_value = pos;
    maxpos = std::max(maxpos, pos);
  }
  CustomScan* cscan = aggplan::agg_custom_scan(best_path, tlist, child, consts,
                                               list_make2(list_make2_int(nspecs, maxpos), specs), &rowagg_scan_methods);
  // Quals the chunk's range may satisfy whatever their bounds are by then (rowagg_exec.cpp drops
  // them at executor start, and the direct scan applies).
  if (List* bounds = record_time_bounds(root, rel, child, &cscan->custom_exprs))
    cscan->custom_private = lappend(cscan->custom_private, bounds);
  return &cscan->scan.plan;
}

}  // namespace

// Grouped by a time_bucket() (or date_trunc(), date_bin(): aggplan::is_bucket_function) of constant
// width of the hypertable's time column: the chunk holds at
// most (its range / the width + 1) buckets, times the groups of the other grouping columns in it.
// (PostgreSQL estimates a bucket's distinct values as the column's, every row its own group when
// times are unique.) Infinity when that cannot be said.
double bucketed_groups(PlannerInfo* root, RelOptInfo* child, AppendRelInfo* appinfo, PathTarget* target, double rows) {
  const double none = std::numeric_limits<double>::infinity();
  RangeTblEntry* crte = root->simple_rte_array[child->relid];
  RangeTblEntry* prte = root->simple_rte_array[appinfo->parent_relid];
  if (crte == nullptr || prte == nullptr || crte->rtekind != RTE_RELATION || prte->rtekind != RTE_RELATION) return none;
  Hypertable* ht = hypertable_get(prte->relid);
  ChunkInfo chunk;
  if (ht == nullptr || !chunk_get_by_relid(crte->relid, &chunk)) return none;
  if (chunk.range_start == core::kOpenStart || chunk.range_end == core::kOpenEnd) return none;
  List* others = NIL;
  double buckets = -1;
  int i = 0;
  ListCell* lc;
  foreach (lc, target->exprs) {
    Expr* e = (Expr*)lfirst(lc);
    if (get_pathtarget_sortgroupref(target, i++) == 0) continue;
    if (!IsA(e, FuncExpr)) {
      others = lappend(others, e);
      continue;
    }
    FuncExpr* f = (FuncExpr*)e;
    int zone;
    int64 width = 0;  // on the internal axis
    if (!aggplan::is_bucket_function(f, &zone, &width) || width <= 0) return none;
    Var* v = plain_var((Node*)lsecond(f->args), child->relid);
    if (v == nullptr || v->varattno > appinfo->num_child_cols ||
        appinfo->parent_colnos[v->varattno - 1] != ht->time_attno)
      return none;
    buckets = (double)(chunk.range_end - chunk.range_start) / (double)width + 1.0;
  }
  if (buckets < 0) return none;
  const double other = others == NIL ? 1.0 : estimate_num_groups(root, others, rows, nullptr, nullptr);
  return buckets * other;
}

bool rowagg_query_supported(PlannerInfo* root, RelOptInfo* parent, PathTarget* partial) {
  if (!guc_enable_rowstore_agg) return false;
  List* specs = NIL;
  List* vars = NIL;
  List* consts = NIL;
  int nbucket;
  return analyze_target(root, partial, parent->relid, &specs, &vars, &consts, &nbucket);
}

namespace {

Path* make_rowagg_path(PlannerInfo* root, RelOptInfo* child, Path* sub, PathTarget* target, double groups,
                       int workers) {
  List* specs = NIL;
  List* vars = NIL;
  List* consts = NIL;
  int nbucket;
  if (!analyze_target(root, target, child->relid, &specs, &vars, &consts, &nbucket)) return nullptr;
  CustomPath* path = makeNode(CustomPath);
  path->path.pathtype = T_CustomScan;
  path->path.parent = child;
  path->path.pathtarget = target;
  path->path.param_info = nullptr;
  path->path.parallel_aware = workers > 0;
  path->path.parallel_safe = workers > 0;
  path->path.parallel_workers = workers;
  path->path.pathkeys = NIL;
  path->flags = 0;
  path->custom_paths = list_make1(sub);
  path->custom_private = list_make3(specs, vars, consts);
  path->methods = &rowagg_path_methods;
  const double rows = sub->rows;
  // Grouped by a time_bucket(), a chunk holds about its share of the groups (chunks split the
  // time axis); otherwise every chunk may hold them all.
  double chunk_groups = std::max(groups, 1.0);
  AppendRelInfo* appinfo = root->append_rel_array != nullptr ? root->append_rel_array[child->relid] : nullptr;
  if (nbucket > 0 && appinfo != nullptr) {
    RelOptInfo* parent = root->simple_rel_array[appinfo->parent_relid];
    if (parent != nullptr && parent->rows > 0) chunk_groups *= std::min(1.0, rows / parent->rows);
  }
  if (nbucket > 0 && appinfo != nullptr) chunk_groups = std::min(chunk_groups, bucketed_groups(root, child, appinfo, target, rows));
  path->path.rows = clamp_row_est(std::min(rows, chunk_groups));
  // The child's cost, then a little per row and aggregate (no expression evaluation, no fmgr
  // call per value) and the emitted groups.
  const double ncols = list_length(target->exprs);
  path->path.startup_cost = sub->total_cost;
  path->path.total_cost = sub->total_cost + 0.25 * cpu_operator_cost * ncols * rows + cpu_tuple_cost * path->path.rows;
  return &path->path;
}

}  // namespace

Path* rowagg_path(PlannerInfo* root, RelOptInfo* child, Path* sub, PathTarget* target, double groups) {
  if (!guc_enable_rowstore_agg || sub->param_info != nullptr || sub->parallel_aware) return nullptr;
  return make_rowagg_path(root, child, sub, target, groups, 0);
}

constexpr int kTailCapChunks = 16;

Path* rowagg_append_path(PlannerInfo* root, RelOptInfo* rel, Path* append, PathTarget* target, double groups) {
  if (append->param_info != nullptr || append->parallel_aware) return nullptr;
  Path* path = make_rowagg_path(root, rel, append, target, groups, 0);
  if (path == nullptr || !IsA(append, CustomPath)) return path;
  // The children other than bitmap heap scans are pulled through their nodes, a row at a time,
  // and aggregated from their slots: costed per row and column as PostgreSQL's aggregation is
  // (cpu_operator_cost, make_rowagg_path charged a quarter of it).
  {
    const double ncols = list_length(target->exprs);
    ListCell* lc;
    foreach (lc, ((CustomPath*)append)->custom_paths) {
      const Path* sub = (const Path*)lfirst(lc);
      if (!IsA(sub, BitmapHeapPath)) path->total_cost += 0.75 * cpu_operator_cost * ncols * sub->rows;
    }
  }
  // (a ChunkAppend with plan copies, a fourth private element, has children without paths)
  if (chunk_append_path_has_copies((CustomPath*)append)) return path;
  // Grouped by a bucket, the groups are at most the sum of the chunks' buckets times the other
  // grouping columns' groups (bucketed_groups), when every child has a path of its chunk.
  // (a few chunks only: estimate_num_groups per chunk is not free, and a real-time tail is a
  // chunk or two)
  double cap = 0;
  const List* subpaths = ((CustomPath*)append)->custom_paths;
  const int nchildren = list_length(subpaths);
  if (nchildren > kTailCapChunks) return path;
  ListCell* lc;
  foreach (lc, subpaths) {
    Path* sub = (Path*)lfirst(lc);
    RelOptInfo* child = sub->parent;
    AppendRelInfo* appinfo = root->append_rel_array != nullptr ? root->append_rel_array[child->relid] : nullptr;
    if (appinfo == nullptr || appinfo->parent_relid != rel->relid) return path;
    PathTarget* t = copy_pathtarget(target);
    t->exprs = (List*)adjust_appendrel_attrs(root, (Node*)t->exprs, 1, &appinfo);
    cap += bucketed_groups(root, child, appinfo, t, sub->rows);
  }
  if (nchildren == 0 || !(cap < path->rows)) return path;
  path->total_cost -= cpu_tuple_cost * (path->rows - clamp_row_est(cap));
  path->rows = clamp_row_est(cap);
  return path;
}

Path* rowagg_partial_path(PlannerInfo* root, RelOptInfo* child, PathTarget* target, double groups, int workers) {
  // Only where every participant reads its share of the heap directly (rowagg_exec.cpp's
  // direct_setup): a sequential scan of the chunk without a filter.
  if (!guc_enable_rowstore_agg || !guc_rowstore_agg_parallel || !guc_rowstore_agg_direct_scan || workers <= 0 ||
      !child->consider_parallel || child->baserestrictinfo != NIL || child->lateral_relids != nullptr ||
      child->rtekind != RTE_RELATION)
    return nullptr;
  // The partial scan path costs and sizes the participant's share.
  Path* sub = create_seqscan_path(root, child, nullptr, workers);
  if (!sub->parallel_safe) return nullptr;
  if (!is_parallel_safe(root, (Node*)target->exprs)) return nullptr;
  return make_rowagg_path(root, child, sub, target, groups, workers);
}

Path* rowagg_tail_partial_path(PlannerInfo* root, RelOptInfo* child, PathTarget* target, double groups, int workers) {
  if (!guc_rowstore_agg_realtime || !guc_rowstore_agg_direct_scan || workers < 0 ||
      (workers > 0 && (!guc_rowstore_agg_parallel || !child->consider_parallel)) || child->baserestrictinfo == NIL ||
      child->lateral_relids != nullptr || child->rtekind != RTE_RELATION)
    return nullptr;
  const Hypertable* ht = nullptr;
  ChunkInfo chunk;
  Var* tv = chunk_time_var(root, child, &ht, &chunk);
  if (tv == nullptr || (chunk.status & kChunkStatusCompressed) != 0) return nullptr;
  ListCell* lc;
  foreach (lc, child->baserestrictinfo) {
    RestrictInfo* ri = (RestrictInfo*)lfirst(lc);
    int strategy;
    Expr* bound;
    if (ri->pseudoconstant || !time_bound_clause(ri->clause, tv, &strategy, &bound) || !is_watermark_call(bound) ||
        (strategy != BTGreaterEqualStrategyNumber && strategy != BTGreaterStrategyNumber))
      return nullptr;
  }
  Path* sub = create_seqscan_path(root, child, nullptr, workers);
  if (workers > 0 && (!sub->parallel_safe || !is_parallel_safe(root, (Node*)target->exprs))) return nullptr;
  return make_rowagg_path(root, child, sub, target, groups, workers);
}

void rowagg_init() {
  RegisterCustomScanMethods(&rowagg_scan_methods);
  // Its chunk is opened by its child scan only (which a ChunkAppend's startup exclusion may skip).
  register_child_scoped_scan(&rowagg_scan_methods);
}

}  // namespace strata::columnstore
