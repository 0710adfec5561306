// Planning helpers shared by the columnstore aggregation (agg_plan.cpp) and the rowstore
// aggregation (rowagg_plan.cpp): declared in agg.hpp. C-style glue.
#include "columnstore/agg.hpp"
#include "pg/min_max.hpp"

#include <cstring>

extern "C" {
#include "catalog/dependency.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"
}

namespace strata::columnstore::aggplan {

Var* plain_var(Node* n, Index relid) {
  while (n != nullptr && IsA(n, RelabelType)) n = (Node*)((RelabelType*)n)->arg;
  if (n == nullptr || !IsA(n, Var)) return nullptr;
  Var* v = (Var*)n;
  if (v->varno != (int)relid || v->varlevelsup != 0 || v->varattno <= 0) return nullptr;
  return v;
}

bool is_time_bucket(FuncExpr* f) {
  const int nargs = list_length(f->args);
  if (nargs < 2 || nargs > 3) return false;
  if (!IsA(linitial(f->args), Const) || ((Const*)linitial(f->args))->constisnull) return false;
  if (nargs == 3 && (!IsA(lthird(f->args), Const) || ((Const*)lthird(f->args))->constisnull ||
                     exprType((Node*)lthird(f->args)) == TEXTOID))
    return false;
  if (func_volatile(f->funcid) == PROVOLATILE_VOLATILE || f->funcretset) return false;
  char* name = get_func_name(f->funcid);
  if (name == nullptr || strcmp(name, "time_bucket") != 0) return false;
  const Oid ext = get_extension_oid("strata", true);
  return OidIsValid(ext) && getExtensionOfObject(ProcedureRelationId, f->funcid) == ext;
}

bool default_equality(PlannerInfo* root, Expr* expr, Index sgref) {
  SortGroupClause* sgc = get_sortgroupref_clause_noerr(sgref, root->parse->groupClause);
  if (sgc == nullptr) return false;
  TypeCacheEntry* tc = lookup_type_cache(exprType((Node*)expr), TYPECACHE_EQ_OPR);
  return OidIsValid(tc->eq_opr) && tc->eq_opr == sgc->eqop;
}

bool plain_aggref(const Aggref* a) {
  return a->aggfilter == nullptr && a->aggdistinct == NIL && a->aggorder == NIL && !a->aggvariadic &&
         a->agglevelsup == 0 && a->aggkind == AGGKIND_NORMAL;
}

int agg_kind(Oid fnoid, bool rowstore) {
  switch (pg::by_value_min_max(fnoid)) {
    case pg::MinMax::kMin:
      return kMin;
    case pg::MinMax::kMax:
      return kMax;
    case pg::MinMax::kNeither:
      break;
  }
  switch (fnoid) {
    case F_COUNT_:
      return kCountStar;
    case F_COUNT_ANY:
      return kCount;
    case F_SUM_INT2:
    case F_SUM_INT4:
      return kSumInt;
    case F_SUM_INT8:
      return kSumInt8;
    case F_AVG_INT2:
    case F_AVG_INT4:
      return kAvgInt;
    case F_AVG_INT8:
      return kAvgInt8;
    // (the rowstore leaves sum and avg of floats to PostgreSQL: their result depends on the order
    // in which the values are added, and a partial aggregation per chunk adds them in another order)
    case F_SUM_FLOAT4:
      return rowstore ? -1 : kSumFloat4;
    case F_SUM_FLOAT8:
      return rowstore ? -1 : kSumFloat8;
    case F_AVG_FLOAT4:
    case F_AVG_FLOAT8:
      return rowstore ? -1 : kAvgFloat;
    case F_SUM_NUMERIC:
      return rowstore ? -1 : kSumNumeric;
    case F_AVG_NUMERIC:
      return rowstore ? -1 : kAvgNumeric;
    case F_MIN_NUMERIC:
      return rowstore ? -1 : kMin;
    case F_MAX_NUMERIC:
      return rowstore ? -1 : kMax;
    default:
      return -1;
  }
}

}  // namespace strata::columnstore::aggplan
