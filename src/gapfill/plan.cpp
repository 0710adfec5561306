// Planning of gap filling: recognizes a query grouped by time_bucket_gapfill(), works out the
// range to fill (the call's start/finish, or the WHERE clause's bounds on the bucketed column),
// and puts a GapFill custom scan over every path of the grouping rel.
#include "catalog/registry.hpp"
#include "gapfill/gapfill.hpp"
#include "gapfill/node.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/dependency.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/tlist.h"
#include "parser/parse_coerce.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"
}

namespace strata::gapfill {
namespace {

Plan* plan_gapfill(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist, List* clauses,
                   List* custom_plans);

const CustomPathMethods gapfill_path_methods = {
    "GapFill",
    pg::guarded<plan_gapfill>,
    nullptr,
};

enum class Marker { none, bucket, locf, interpolate };

// Which of strata's gap-filling functions funcid is, if any.
Marker marker_of(Oid funcid) {
  char* name = get_func_name(funcid);
  if (name == nullptr) return Marker::none;
  Marker m = Marker::none;
  if (strcmp(name, "time_bucket_gapfill") == 0)
    m = Marker::bucket;
  else if (strcmp(name, "locf") == 0)
    m = Marker::locf;
  else if (strcmp(name, "interpolate") == 0)
    m = Marker::interpolate;
  pfree(name);
  if (m == Marker::none) return m;
  const Oid ext = get_extension_oid("strata", true);
  if (!OidIsValid(ext) || getExtensionOfObject(ProcedureRelationId, funcid) != ext) return Marker::none;
  return m;
}

Marker expr_marker(Node* expr) {
  if (expr == nullptr || !IsA(expr, FuncExpr)) return Marker::none;
  return marker_of(((FuncExpr*)expr)->funcid);
}

bool contains_marker_walker(Node* node, void* context) {
  if (node == nullptr) return false;
  if (IsA(node, FuncExpr)) {
    const Marker m = expr_marker(node);
    if (m == Marker::locf || m == Marker::interpolate) return true;
  }
  return expression_tree_walker(node, (bool (*)())contains_marker_walker, context);
}

Const* null_const(Oid type) { return makeNullConst(type, -1, InvalidOid); }

bool is_null_const(Node* n) { return n != nullptr && IsA(n, Const) && ((Const*)n)->constisnull; }

bool same_column(Node* a, Node* b) {
  while (a != nullptr && IsA(a, RelabelType)) a = (Node*)((RelabelType*)a)->arg;
  while (b != nullptr && IsA(b, RelabelType)) b = (Node*)((RelabelType*)b)->arg;
  if (a == nullptr || b == nullptr) return false;
  if (IsA(a, Var) && IsA(b, Var)) {
    const Var* x = (const Var*)a;
    const Var* y = (const Var*)b;
    return x->varno == y->varno && x->varattno == y->varattno && x->varlevelsup == y->varlevelsup;
  }
  return equal(a, b);
}

// A bound usable as start or finish: computable before the scan, from constants, parameters and
// stable functions only. Returns it coerced to `type`, or nullptr.
Expr* usable_bound(Expr* value, Oid type) {
  if (contain_var_clause((Node*)value) || contain_volatile_functions((Node*)value) ||
      contain_subplans((Node*)value) || contain_agg_clause((Node*)value))
    return nullptr;
  const Oid vtype = exprType((Node*)value);
  if (vtype == type) return value;
  Node* coerced = coerce_to_target_type(nullptr, (Node*)value, vtype, type, -1, COERCION_IMPLICIT,
                                        COERCE_IMPLICIT_CAST, -1);
  return (Expr*)coerced;
}

struct Bounds {
  Expr* start;
  Expr* finish;
  bool finish_inclusive;
};

// Looks for `ts OP value` (either way round) among the top-level conjuncts of the WHERE clause.
void bounds_from_quals(Node* quals, Node* ts, Oid type, Bounds* b) {
  if (quals == nullptr) return;
  List* conjuncts = IsA(quals, List) ? (List*)quals
                    : (is_andclause(quals) ? ((BoolExpr*)quals)->args : list_make1(quals));
  ListCell* lc;
  foreach (lc, conjuncts) {
    Node* q = (Node*)lfirst(lc);
    if (is_andclause(q)) {
      bounds_from_quals(q, ts, type, b);
      continue;
    }
    if (!IsA(q, OpExpr) || list_length(((OpExpr*)q)->args) != 2) continue;
    OpExpr* op = (OpExpr*)q;
    Node* left = (Node*)linitial(op->args);
    Node* right = (Node*)lsecond(op->args);
    bool var_left;
    if (same_column(left, ts))
      var_left = true;
    else if (same_column(right, ts))
      var_left = false;
    else
      continue;
    List* interps = get_op_btree_interpretation(op->opno);
    if (interps == NIL) continue;
    int strategy = ((OpBtreeInterpretation*)linitial(interps))->strategy;
    if (!var_left) {
      if (strategy == BTLessStrategyNumber)
        strategy = BTGreaterStrategyNumber;
      else if (strategy == BTLessEqualStrategyNumber)
        strategy = BTGreaterEqualStrategyNumber;
      else if (strategy == BTGreaterStrategyNumber)
        strategy = BTLessStrategyNumber;
      else if (strategy == BTGreaterEqualStrategyNumber)
        strategy = BTLessEqualStrategyNumber;
    }
    Expr* value = usable_bound((Expr*)(var_left ? right : left), type);
    if (value == nullptr) continue;
    switch (strategy) {
      case BTGreaterStrategyNumber:
      case BTGreaterEqualStrategyNumber:
        if (b->start == nullptr) b->start = value;
        break;
      case BTLessStrategyNumber:
        if (b->finish == nullptr) {
          b->finish = value;
          b->finish_inclusive = false;
        }
        break;
      case BTLessEqualStrategyNumber:
        if (b->finish == nullptr) {
          b->finish = value;
          b->finish_inclusive = true;
        }
        break;
      case BTEqualStrategyNumber:
        if (b->start == nullptr) b->start = value;
        if (b->finish == nullptr) {
          b->finish = value;
          b->finish_inclusive = true;
        }
        break;
      default:
        break;
    }
  }
}

// prev/next expressions run in GapFill, where only the aggregation's output columns exist.
void check_column_references(Node* expr, List* target_exprs, const char* what) {
  List* vars = pull_var_clause(expr, PVC_RECURSE_AGGREGATES | PVC_RECURSE_WINDOWFUNCS | PVC_RECURSE_PLACEHOLDERS);
  ListCell* lc;
  foreach (lc, vars) {
    Node* var = (Node*)lfirst(lc);
    bool found = false;
    ListCell* lt;
    foreach (lt, target_exprs) {
      if (same_column(var, (Node*)lfirst(lt))) {
        found = true;
        break;
      }
    }
    if (!found)
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("%s may reference only grouping columns of the query", what)));
  }
}

int sortgroupref_position(PathTarget* target, Index ref) {
  if (target->sortgrouprefs == nullptr) return -1;
  for (int i = 0; i < list_length(target->exprs); ++i)
    if (target->sortgrouprefs[i] == ref) return i;
  return -1;
}

Plan* plan_gapfill(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist, List* clauses,
                   List* custom_plans) {
  CustomScan* cscan = makeNode(CustomScan);
  Plan* child = (Plan*)linitial(custom_plans);
  cscan->scan.plan.targetlist = tlist;
  cscan->scan.plan.qual = NIL;
  cscan->scan.scanrelid = 0;
  cscan->flags = best_path->flags;
  cscan->custom_plans = custom_plans;
  // GapFill's scan tuple is the child's row (the aggregation's output, sorted).
  cscan->custom_scan_tlist = (List*)copyObjectImpl(child->targetlist);
  cscan->custom_exprs = (List*)lsecond(best_path->custom_private);
  cscan->custom_private = list_make1(linitial(best_path->custom_private));
  cscan->methods = &gapfill_scan_methods;
  return &cscan->scan.plan;
}

}  // namespace

void add_gapfill_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel, RelOptInfo* output_rel,
                       void* extra) {
  if (stage != UPPERREL_GROUP_AGG) return;
  Query* parse = root->parse;
  if (parse->groupClause == NIL || output_rel->pathlist == NIL || !extension_is_active()) return;

  // The time_bucket_gapfill() among the grouping keys.
  SortGroupClause* bucket_clause = nullptr;
  FuncExpr* bucket_call = nullptr;
  ListCell* lc;
  foreach (lc, parse->groupClause) {
    SortGroupClause* sgc = (SortGroupClause*)lfirst(lc);
    TargetEntry* tle = get_sortgroupclause_tle(sgc, root->processed_tlist);
    if (expr_marker((Node*)tle->expr) != Marker::bucket) continue;
    if (bucket_call != nullptr)
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("a query may group by only one time_bucket_gapfill() call")));
    bucket_clause = sgc;
    bucket_call = (FuncExpr*)tle->expr;
  }
  if (bucket_call == nullptr) return;
  if (parse->groupingSets != NIL)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("time_bucket_gapfill() is not supported with GROUPING SETS, ROLLUP or CUBE")));

  PathTarget* target = output_rel->reltarget;
  const Oid type = exprType((Node*)bucket_call);
  const int nargs = list_length(bucket_call->args);
  const bool has_timezone = nargs == 5;
  Expr* width = (Expr*)linitial(bucket_call->args);
  Node* ts = (Node*)lsecond(bucket_call->args);
  Expr* timezone = has_timezone ? (Expr*)lthird(bucket_call->args) : (Expr*)null_const(TEXTOID);
  if (usable_bound(width, exprType((Node*)width)) == nullptr ||
      usable_bound(timezone, exprType((Node*)timezone)) == nullptr)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("the bucket width and time zone of time_bucket_gapfill() must not depend on the rows")));

  Bounds bounds{nullptr, nullptr, false};
  Node* start_arg = (Node*)list_nth(bucket_call->args, nargs - 2);
  Node* finish_arg = (Node*)list_nth(bucket_call->args, nargs - 1);
  // Bounds are kept checked and coerced to the bucket's type (usable_bound), from the call or
  // from the WHERE clause.
  if (!is_null_const(start_arg) && (bounds.start = usable_bound((Expr*)start_arg, type)) == nullptr)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("the start of time_bucket_gapfill() must not depend on the rows")));
  if (!is_null_const(finish_arg) && (bounds.finish = usable_bound((Expr*)finish_arg, type)) == nullptr)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("the finish of time_bucket_gapfill() must not depend on the rows")));
  if (bounds.start == nullptr || bounds.finish == nullptr)
    bounds_from_quals(parse->jointree->quals, ts, type, &bounds);
  if (bounds.start == nullptr || bounds.finish == nullptr)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("could not determine the %s of the time_bucket_gapfill() range",
                           bounds.start == nullptr ? "start" : "finish"),
                    errhint("Pass start and finish to time_bucket_gapfill(), or bound the time column in the "
                            "WHERE clause with constants or parameters (time >= x AND time < y).")));

  const int bucket_col = sortgroupref_position(target, bucket_clause->tleSortGroupRef);
  if (bucket_col < 0) elog(ERROR, "time_bucket_gapfill() is not in the grouping target");

  // The other grouping columns, and the sort order GapFill needs: them, then the bucket.
  List* meta = NIL;
  List* group_meta = NIL;
  int ngroups = 0;
  List* sort_clauses = NIL;
  foreach (lc, parse->groupClause) {
    SortGroupClause* sgc = (SortGroupClause*)lfirst(lc);
    if (sgc == bucket_clause) continue;
    const int pos = sortgroupref_position(target, sgc->tleSortGroupRef);
    if (pos < 0) elog(ERROR, "grouping column missing from the grouping target");
    Node* expr = (Node*)list_nth(target->exprs, pos);
    if (!OidIsValid(sgc->eqop))
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("time_bucket_gapfill() needs grouping columns with an equality operator")));
    group_meta = lappend_int(group_meta, pos);
    group_meta = lappend_int(group_meta, (int)get_opcode(sgc->eqop));
    group_meta = lappend_int(group_meta, (int)exprCollation(expr));
    ngroups++;
    sort_clauses = lappend(sort_clauses, sgc);
  }
  // The bucket ascending (the grouping clause may have taken ORDER BY's direction).
  SortGroupClause* bucket_sort = (SortGroupClause*)copyObjectImpl(bucket_clause);
  bucket_sort->sortop = lookup_type_cache(type, TYPECACHE_LT_OPR)->lt_opr;
  bucket_sort->nulls_first = false;
  if (!OidIsValid(bucket_sort->sortop)) elog(ERROR, "no ordering operator for type %u", type);
  sort_clauses = lappend(sort_clauses, bucket_sort);
  List* pathkeys = make_pathkeys_for_sortclauses(root, sort_clauses, root->processed_tlist);

  // locf() and interpolate() columns: only at the top of a select-list column.
  List* locf_meta = NIL;
  List* interp_meta = NIL;
  List* locf_exprs = NIL;
  List* interp_exprs = NIL;
  int nlocf = 0;
  int ninterp = 0;
  for (int i = 0; i < list_length(target->exprs); ++i) {
    Node* expr = (Node*)list_nth(target->exprs, i);
    const Marker m = expr_marker(expr);
    FuncExpr* f = (FuncExpr*)expr;
    if (m == Marker::locf) {
      Node* prev = list_length(f->args) > 1 ? (Node*)lsecond(f->args) : nullptr;
      Node* treat = list_length(f->args) > 2 ? (Node*)lthird(f->args) : nullptr;
      bool treat_null_as_missing = false;
      if (treat != nullptr && !is_null_const(treat)) {
        if (!IsA(treat, Const))
          ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                          errmsg("treat_null_as_missing of locf() must be a constant")));
        treat_null_as_missing = DatumGetBool(((Const*)treat)->constvalue);
      }
      if (prev != nullptr && !is_null_const(prev))
        check_column_references(prev, target->exprs, "the prev expression of locf()");
      else
        prev = (Node*)null_const(exprType(expr));
      locf_meta = lappend_int(locf_meta, i);
      locf_meta = lappend_int(locf_meta, treat_null_as_missing ? 1 : 0);
      locf_exprs = lappend(locf_exprs, copyObjectImpl(prev));
      nlocf++;
      if (contains_marker_walker((Node*)linitial(f->args), nullptr))
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("locf() and interpolate() cannot be nested")));
      continue;
    }
    if (m == Marker::interpolate) {
      Node* prev = list_length(f->args) > 1 ? (Node*)lsecond(f->args) : nullptr;
      Node* next = list_length(f->args) > 2 ? (Node*)lthird(f->args) : nullptr;
      if (prev != nullptr && !is_null_const(prev))
        check_column_references(prev, target->exprs, "the prev expression of interpolate()");
      else
        prev = (Node*)null_const(RECORDOID);
      if (next != nullptr && !is_null_const(next))
        check_column_references(next, target->exprs, "the next expression of interpolate()");
      else
        next = (Node*)null_const(RECORDOID);
      interp_meta = lappend_int(interp_meta, i);
      interp_exprs = lappend(interp_exprs, copyObjectImpl(prev));
      interp_exprs = lappend(interp_exprs, copyObjectImpl(next));
      ninterp++;
      if (contains_marker_walker((Node*)linitial(f->args), nullptr))
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("locf() and interpolate() cannot be nested")));
      continue;
    }
    if (contains_marker_walker(expr, nullptr))
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("locf() and interpolate() must be the outermost function of a select-list column"),
                      errhint("Apply other functions inside them, e.g. locf(round(avg(x))).")));
  }

  meta = list_make5_int((int)type, bucket_col, has_timezone ? 1 : 0, bounds.finish_inclusive ? 1 : 0, ngroups);
  meta = list_concat(meta, group_meta);
  meta = lappend_int(meta, nlocf);
  meta = list_concat(meta, locf_meta);
  meta = lappend_int(meta, ninterp);
  meta = list_concat(meta, interp_meta);
  List* exprs = list_make4(copyObjectImpl(width), bounds.start, bounds.finish,
                           copyObjectImpl(timezone));
  exprs = list_concat(exprs, locf_exprs);
  exprs = list_concat(exprs, interp_exprs);

  // GapFill over every path of the grouping rel: the rows must come sorted by the groups, then
  // the bucket. Nothing may run in parallel above it.
  List* paths = output_rel->pathlist;
  output_rel->pathlist = NIL;
  output_rel->partial_pathlist = NIL;
  foreach (lc, paths) {
    Path* sub = (Path*)lfirst(lc);
    if (!pathkeys_contained_in(pathkeys, sub->pathkeys))
      sub = (Path*)create_sort_path(root, output_rel, sub, pathkeys, -1.0);
    CustomPath* path = makeNode(CustomPath);
    path->path.pathtype = T_CustomScan;
    path->path.parent = output_rel;
    path->path.pathtarget = sub->pathtarget;
    path->path.param_info = sub->param_info;
    path->path.parallel_aware = false;
    path->path.parallel_safe = false;
    path->path.parallel_workers = 0;
    path->path.rows = sub->rows;
    path->path.startup_cost = sub->startup_cost;
    path->path.total_cost = sub->total_cost + cpu_tuple_cost * sub->rows;
    path->path.pathkeys = pathkeys;
    path->flags = 0;
    path->custom_paths = list_make1(sub);
    path->custom_private = list_make2(meta, exprs);
    path->methods = &gapfill_path_methods;
    add_path(output_rel, &path->path);
  }
}

void gapfill_init() { RegisterCustomScanMethods(&gapfill_scan_methods); }

}  // namespace strata::gapfill
