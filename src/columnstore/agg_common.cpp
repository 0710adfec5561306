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
#include "parser/scansup.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/timestamp.h"
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

namespace {

bool non_null_const(Node* n, Oid type) {
  return n != nullptr && IsA(n, Const) && !((Const*)n)->constisnull && ((Const*)n)->consttype == type;
}

// A constant interval's length in microseconds, months counted as 30 days (0 when not positive).
int64 interval_width(const Interval* iv) {
  const double w = (double)iv->month * DAYS_PER_MONTH * USECS_PER_DAY + (double)iv->day * USECS_PER_DAY + (double)iv->time;
  return w > 0 && w < 9.0e18 ? (int64)w : 0;
}

// date_trunc's unit (as timestamp_trunc and timestamptz_trunc decode it): its width, or 0 when
// those functions would reject it.
int64 trunc_unit_width(Const* unit) {
  text* t = DatumGetTextPP(unit->constvalue);
  char* low = downcase_truncate_identifier(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), false);
  int val = 0;
  if (DecodeUnits(0, low, &val) != UNITS) return 0;
  switch (val) {
    case DTK_MICROSEC:
      return 1;
    case DTK_MILLISEC:
      return 1000;
    case DTK_SECOND:
      return USECS_PER_SEC;
    case DTK_MINUTE:
      return USECS_PER_MINUTE;
    case DTK_HOUR:
      return USECS_PER_HOUR;
    case DTK_DAY:
      return USECS_PER_DAY;
    case DTK_WEEK:
      return 7 * USECS_PER_DAY;
    case DTK_MONTH:
      return DAYS_PER_MONTH * USECS_PER_DAY;
    case DTK_QUARTER:
      return 3 * DAYS_PER_MONTH * USECS_PER_DAY;
    case DTK_YEAR:
      return 365 * USECS_PER_DAY;
    case DTK_DECADE:
      return 3650 * USECS_PER_DAY;
    case DTK_CENTURY:
      return 36500 * USECS_PER_DAY;
    case DTK_MILLENNIUM:
      return 365000 * USECS_PER_DAY;
    default:
      return 0;
  }
}

}  // namespace

bool is_bucket_function(FuncExpr* f, int* zone, int64* width) {
  *zone = kZoneNone;
  *width = 0;
  const int nargs = list_length(f->args);
  switch (f->funcid) {
    case F_DATE_TRUNC_TEXT_TIMESTAMP:
    case F_DATE_TRUNC_TEXT_TIMESTAMPTZ: {
      if (nargs != 2 || !non_null_const((Node*)linitial(f->args), TEXTOID)) return false;
      *width = trunc_unit_width((Const*)linitial(f->args));
      if (f->funcid == F_DATE_TRUNC_TEXT_TIMESTAMPTZ)
        *zone = *width <= 366 * USECS_PER_DAY ? kZoneSteady : kZoneAny;
      return *width > 0;
    }
    case F_DATE_BIN_INTERVAL_TIMESTAMP_TIMESTAMP:
    case F_DATE_BIN_INTERVAL_TIMESTAMPTZ_TIMESTAMPTZ: {
      // date_bin rejects strides with months and strides that are not positive.
      if (nargs != 3 || !non_null_const((Node*)linitial(f->args), INTERVALOID) ||
          !non_null_const((Node*)lthird(f->args), exprType((Node*)lsecond(f->args))))
        return false;
      const Interval* iv = DatumGetIntervalP(((Const*)linitial(f->args))->constvalue);
      if (iv->month != 0) return false;
      *width = interval_width(iv);
      return *width > 0;
    }
    default:
      break;
  }
  if (!is_time_bucket(f)) return false;
  const Const* w = (const Const*)linitial(f->args);
  if (w->consttype == INTERVALOID) {
    const Interval* iv = DatumGetIntervalP(w->constvalue);
    if (iv->month == 0) *width = interval_width(iv);
  } else if (w->consttype == INT2OID || w->consttype == INT4OID || w->consttype == INT8OID) {
    *width = w->consttype == INT2OID   ? DatumGetInt16(w->constvalue)
             : w->consttype == INT4OID ? DatumGetInt32(w->constvalue)
                                       : DatumGetInt64(w->constvalue);
  }
  return true;
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

CustomScan* agg_custom_scan(CustomPath* best_path, List* tlist, Plan* child, List* consts, List* priv,
                            const CustomScanMethods* methods) {
  CustomScan* cscan = makeNode(CustomScan);
  cscan->scan.plan.targetlist = tlist;
  cscan->scan.plan.qual = NIL;
  cscan->scan.scanrelid = 0;
  cscan->flags = best_path->flags;
  cscan->custom_plans = list_make1(child);
  cscan->custom_scan_tlist = (List*)copyObjectImpl(tlist);
  cscan->custom_exprs = (List*)copyObjectImpl(consts);
  cscan->custom_private = priv;
  cscan->methods = methods;
  return cscan;
}

}  // namespace strata::columnstore::aggplan
