// Extraction of time-column bounds from a hypertable's restriction clauses (see restrict.hpp).
#include "planner/restrict.hpp"

#include "pg/pg.hpp"
#include "core/time/chunk_range.hpp"

extern "C" {
#include "access/nbtree.h"
#include "catalog/pg_am.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_proc.h"
#include "commands/defrem.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
}

namespace strata {

namespace {

using core::TimeInterval;

// Extra room on each side for comparisons whose conversion depends on the time zone.
constexpr int64 kTimeZoneMargin = 2 * INT64CONST(86400000000);

TimeSet make_set(int n) {
  TimeSet s{false, n, nullptr};
  s.iv = static_cast<TimeInterval*>(palloc(sizeof(TimeInterval) * (n > 0 ? n : 1)));
  return s;
}

}  // namespace

TimeSet time_set_all() { return TimeSet{true, 0, nullptr}; }

TimeSet time_set_empty() { return make_set(0); }

TimeSet time_set_intersect(TimeSet a, TimeSet b) {
  if (a.all) return b;
  if (b.all) return a;
  TimeSet r = make_set(a.n + b.n);
  r.n = static_cast<int>(core::intersect(a.iv, a.n, b.iv, b.n, r.iv));
  return r;
}

TimeSet time_set_union(const TimeSet* sets, int n) {
  int total = 0;
  for (int i = 0; i < n; ++i) {
    if (sets[i].all) return time_set_all();
    total += sets[i].n;
  }
  TimeSet r = make_set(total);
  int k = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < sets[i].n; ++j) r.iv[k++] = sets[i].iv[j];
  r.n = static_cast<int>(core::normalize(r.iv, total));
  return r;
}

bool time_set_overlaps(TimeSet s, int64 range_start, int64 range_end) {
  if (s.all) return true;
  return core::overlaps_range(s.iv, s.n, range_start, range_end);
}

namespace {

bool is_integer_type(Oid t) { return t == INT2OID || t == INT4OID || t == INT8OID; }
bool is_time_type(Oid t) { return t == DATEOID || t == TIMESTAMPOID || t == TIMESTAMPTZOID; }

// Whether values of `value_type` compared with a column of `column_type` can be mapped onto the
// column's axis.
bool value_type_supported(Oid value_type, Oid column_type) {
  if (is_integer_type(column_type)) return is_integer_type(value_type);
  if (is_time_type(column_type)) return is_time_type(value_type);
  return false;
}

int64 overflow_to_axis(int overflow) { return overflow > 0 ? INT64_MAX : INT64_MIN; }

// Maps one non-null value onto the column's axis the way PostgreSQL's cross-type comparison
// operators relate it to the column. *margin is set when the mapping is only approximate.
int64 value_to_axis(Datum value, Oid value_type, Oid column_type, int64* margin) {
  *margin = 0;
  switch (value_type) {
    case INT2OID: return DatumGetInt16(value);
    case INT4OID: return DatumGetInt32(value);
    case INT8OID: return DatumGetInt64(value);
    default: break;
  }
  if (column_type == TIMESTAMPTZOID) {
    // timestamptz vs timestamp/date: PostgreSQL converts the value to timestamptz.
    int overflow = 0;
    if (value_type == TIMESTAMPOID) {
      TimestampTz t = timestamp2timestamptz_opt_overflow(DatumGetTimestamp(value), &overflow);
      if (overflow != 0) return overflow_to_axis(overflow);
      return time_datum_to_internal(TimestampTzGetDatum(t), TIMESTAMPTZOID);
    }
    if (value_type == DATEOID) {
      TimestampTz t = date2timestamptz_opt_overflow(DatumGetDateADT(value), &overflow);
      if (overflow != 0) return overflow_to_axis(overflow);
      return time_datum_to_internal(TimestampTzGetDatum(t), TIMESTAMPTZOID);
    }
    return time_datum_to_internal(value, TIMESTAMPTZOID);
  }
  // timestamp and date columns share the "local time as if UTC" axis with timestamp and date
  // values. A timestamptz value is compared after converting the column value to timestamptz in
  // the session time zone: its UTC axis value is within a day of the local one.
  if (value_type == TIMESTAMPTZOID) {
    *margin = kTimeZoneMargin;
    return time_datum_to_internal(value, TIMESTAMPTZOID);
  }
  return time_datum_to_internal(value, value_type);
}

TimeSet set_for_scalar(int strategy, Datum value, Oid value_type, Oid column_type) {
  int64 margin = 0;
  const int64 x = value_to_axis(value, value_type, column_type, &margin);
  TimeInterval iv{};
  if (!core::interval_for_comparison(static_cast<core::CmpStrategy>(strategy), x, &iv))
    return time_set_all();
  if (margin != 0) iv = core::widen(iv, margin);
  // Dates sit on whole days of the axis: `date_col > '2020-01-03'` starts at the next day.
  if (column_type == DATEOID) iv = core::snap_to_multiples(iv, core::kUsecPerDay);
  TimeSet s = make_set(1);
  s.iv[0] = iv;
  s.n = static_cast<int>(core::normalize(s.iv, 1));
  return s;
}

}  // namespace

TimeSet time_set_for_value(int strategy, bool is_array, bool use_or, Datum value, bool isnull,
                           Oid value_type, Oid column_type) {
  // The comparison operators are strict: a NULL never matches.
  if (isnull) return time_set_empty();
  if (!is_array) return set_for_scalar(strategy, value, value_type, column_type);

  ArrayType* arr = DatumGetArrayTypeP(value);
  int16 elmlen;
  bool elmbyval;
  char elmalign;
  get_typlenbyvalalign(value_type, &elmlen, &elmbyval, &elmalign);
  Datum* elems;
  bool* nulls;
  int n;
  deconstruct_array(arr, value_type, elmlen, elmbyval, elmalign, &elems, &nulls, &n);
  // OP ANY: the union over the elements (empty for an empty array); OP ALL: the intersection
  // (everything for an empty array). A NULL element never makes ANY true, and makes ALL at best
  // NULL, so it allows nothing there.
  if (use_or) {  // one union of all the elements' sets: linear in the array, not quadratic
    TimeSet* parts = static_cast<TimeSet*>(palloc(sizeof(TimeSet) * (n > 0 ? n : 1)));
    int np = 0;
    for (int i = 0; i < n; ++i)
      if (!nulls[i]) parts[np++] = set_for_scalar(strategy, elems[i], value_type, column_type);
    return time_set_union(parts, np);
  }
  TimeSet acc = time_set_all();
  for (int i = 0; i < n; ++i) {
    if (nulls[i]) return time_set_empty();
    acc = time_set_intersect(acc, set_for_scalar(strategy, elems[i], value_type, column_type));
  }
  return acc;
}

namespace {

struct MatchContext {
  Index relid;
  AttrNumber time_attno;
  Oid time_type;
  Oid opfamily;         // btree family of the time column's type
  Relids outer_relids;  // rels whose Vars a value may use (join clauses of a parameterized scan)
};

bool is_time_var(const MatchContext& m, Node* node) {
  while (node != nullptr && IsA(node, RelabelType)) node = (Node*)((RelabelType*)node)->arg;
  if (node == nullptr || !IsA(node, Var)) return false;
  Var* var = (Var*)node;
  return var->varno == (int)m.relid && var->varattno == m.time_attno && var->varlevelsup == 0;
}

// Walks a comparison value: `bad` for anything not computable without a row (row values,
// sub-selects, aggregates), `exec_param` for executor parameters (initplan results, values from
// an outer query level), which are known only once the node runs.
struct ValueCheck {
  Relids outer_relids;  // Vars of these rels become executor parameters (nestloop parameters)
  bool bad;
  bool exec_param;
};

bool value_check_walker(Node* node, void* context) {
  if (node == nullptr) return false;
  ValueCheck* check = (ValueCheck*)context;
  switch (nodeTag(node)) {
    case T_Var: {
      Var* var = (Var*)node;
      if (var->varlevelsup == 0 && bms_is_member(var->varno, check->outer_relids)) {
        check->exec_param = true;
        return false;
      }
      check->bad = true;
      return true;
    }
    case T_PlaceHolderVar:
    case T_SubLink:
    case T_SubPlan:
    case T_AlternativeSubPlan:
    case T_Aggref:
    case T_WindowFunc:
    case T_GroupingFunc:
    case T_CurrentOfExpr:
    case T_NextValueExpr:
      check->bad = true;
      return true;
    case T_Param:
      if (((Param*)node)->paramkind == PARAM_EXEC)
        check->exec_param = true;
      else if (((Param*)node)->paramkind != PARAM_EXTERN)
        check->bad = true;
      return check->bad;
    default:
      break;
  }
  return expression_tree_walker(node, (bool (*)())value_check_walker, context);
}

struct ClauseMatch {
  int strategy;
  bool is_array;
  bool use_or;
  Oid value_type;
  Expr* value;
  bool constant;  // value is a Const and the operator immutable: usable at plan time
  bool exec_time;  // value needs executor parameters: usable once the scan runs
};

// A clause for ChunkAppend to evaluate once the scan runs (palloc'd).
RuntimeClause* runtime_clause(const ClauseMatch& cm, bool exec_time) {
  RuntimeClause* rc = (RuntimeClause*)palloc(sizeof(RuntimeClause));
  rc->strategy = cm.strategy;
  rc->is_array = cm.is_array;
  rc->use_or = cm.use_or;
  rc->value_type = cm.value_type;
  rc->value = cm.value;
  rc->exec_time = exec_time;
  rc->hash_proc = InvalidOid;
  rc->hash_collation = InvalidOid;
  return rc;
}

// What match_clause asks the catalogs about an operator of the time column's btree family: its
// strategy and input types there (pg_amop) and whether it is immutable (pg_operator, pg_proc):
// four syscache lookups, asked for every time clause several times per query (the analysis, the
// covering check of each chunk). Remembered in a few slots, all forgotten at any invalidation of
// those caches (planner_op_cache_invalidated).
struct OpFacts {
  Oid opno;
  Oid opfamily;
  int strategy;  // 0: not in the family
  Oid lefttype;
  Oid righttype;
  bool immutable;
};
constexpr int kOpFactSlots = 16;
OpFacts op_facts[kOpFactSlots];
int op_facts_used = 0;
int op_facts_next = 0;
uint64 op_facts_generation = 0;  // moved by every invalidation

OpFacts op_facts_of(Oid opno, Oid opfamily) {
  for (int i = 0; i < op_facts_used; ++i)
    if (op_facts[i].opno == opno && op_facts[i].opfamily == opfamily) return op_facts[i];
  const uint64 generation = op_facts_generation;
  OpFacts f{opno, opfamily, get_op_opfamily_strategy(opno, opfamily), InvalidOid, InvalidOid, false};
  if (f.strategy != 0) {
    int op_strategy;
    get_op_opfamily_properties(opno, opfamily, false, &op_strategy, &f.lefttype, &f.righttype);
    f.immutable = op_volatile(opno) == PROVOLATILE_IMMUTABLE;
  }
  // (kept unless an invalidation processed by the lookups above came after a part was read)
  if (generation == op_facts_generation)
    op_facts[op_facts_used < kOpFactSlots ? op_facts_used++ : (op_facts_next++ % kOpFactSlots)] = f;
  return f;
}

// Recognizes `time_col OP value`, `value OP time_col` and `time_col OP ANY/ALL (array)` with OP a
// btree comparison of the time column's operator family.
bool match_clause(const MatchContext& m, Node* clause, ClauseMatch* out) {
  Oid opno;
  Node* left;
  Node* right;
  bool is_array = false;
  bool use_or = false;
  if (IsA(clause, OpExpr)) {
    OpExpr* op = (OpExpr*)clause;
    if (list_length(op->args) != 2) return false;
    opno = op->opno;
    left = (Node*)linitial(op->args);
    right = (Node*)lsecond(op->args);
  } else if (IsA(clause, ScalarArrayOpExpr)) {
    ScalarArrayOpExpr* saop = (ScalarArrayOpExpr*)clause;
    opno = saop->opno;
    left = (Node*)linitial(saop->args);
    right = (Node*)lsecond(saop->args);
    is_array = true;
    use_or = saop->useOr;
  } else {
    return false;
  }

  bool var_on_left;
  if (is_time_var(m, left))
    var_on_left = true;
  else if (!is_array && is_time_var(m, right))
    var_on_left = false;
  else
    return false;
  Node* other = var_on_left ? right : left;

  const OpFacts facts = op_facts_of(opno, m.opfamily);
  int strategy = facts.strategy;
  if (strategy < BTLessStrategyNumber || strategy > BTGreaterStrategyNumber) return false;
  Oid value_type = var_on_left ? facts.righttype : facts.lefttype;
  if (!value_type_supported(value_type, m.time_type)) return false;
  if (is_array) {
    Oid elem = get_element_type(exprType(other));
    if (elem != value_type) return false;
  } else if (exprType(other) != value_type) {
    return false;
  }
  if (!var_on_left) strategy = BTCommuteStrategyNumber(strategy);

  out->strategy = strategy;
  out->is_array = is_array;
  out->use_or = use_or;
  out->value_type = value_type;
  out->value = (Expr*)other;
  out->constant = IsA(other, Const) && facts.immutable;
  out->exec_time = false;
  if (!out->constant && !runtime_value_usable(other, m.outer_relids, &out->exec_time)) return false;
  return true;
}

// The set a clause allows, from its constant parts only (anything else allows everything).
TimeSet plan_time_set(const MatchContext& m, Node* clause) {
  if (clause == nullptr) return time_set_all();
  if (IsA(clause, RestrictInfo)) return plan_time_set(m, (Node*)((RestrictInfo*)clause)->clause);
  if (IsA(clause, BoolExpr)) {
    BoolExpr* b = (BoolExpr*)clause;
    if (b->boolop == AND_EXPR) {
      TimeSet acc = time_set_all();
      ListCell* lc;
      foreach (lc, b->args) acc = time_set_intersect(acc, plan_time_set(m, (Node*)lfirst(lc)));
      return acc;
    }
    if (b->boolop == OR_EXPR) {
      TimeSet* parts = static_cast<TimeSet*>(palloc(sizeof(TimeSet) * list_length(b->args)));
      int np = 0;
      ListCell* lc;
      foreach (lc, b->args) {
        parts[np] = plan_time_set(m, (Node*)lfirst(lc));
        if (parts[np++].all) return time_set_all();
      }
      return time_set_union(parts, np);
    }
    return time_set_all();
  }
  ClauseMatch cm;
  if (!match_clause(m, clause, &cm) || !cm.constant) return time_set_all();
  Const* c = (Const*)cm.value;
  return time_set_for_value(cm.strategy, cm.is_array, cm.use_or, c->constvalue, c->constisnull,
                            cm.value_type, m.time_type);
}

}  // namespace

bool runtime_value_usable(Node* value, Relids outer_relids, bool* exec_param) {
  ValueCheck check{outer_relids, false, false};
  value_check_walker(value, &check);
  if (check.bad || contain_volatile_functions(value)) return false;
  *exec_param = check.exec_param;
  return true;
}

namespace {

// now(), CURRENT_TIMESTAMP, statement_timestamp(), and those plus or minus constant intervals:
// values that never decrease from one transaction to the next (as long as the system clock does
// not step back). Sets *lower to a bound on the internal axis that the value reaches now and
// never falls below later, whatever the session's time zone then, and returns true; false when
// expr is not of that form. `now() - interval '1 hour'` is exact (the value now, less the clock
// margin); intervals with days or months are computed in local time, where a day may last 23 or
// 25 hours (or skip, when a zone changes its offset) and a month 28 to 31 days, so their bound
// takes the shortest month and one more day off.
constexpr int64 kUsecPerHour = INT64CONST(3600000000);
constexpr int64 kUsecPerDay = 24 * kUsecPerHour;
// Room for the system clock stepping back between planning and a later execution of a cached
// plan. (Planning and executing in one transaction see the same now().)
constexpr int64 kClockMargin = INT64CONST(60000000);

bool monotonic_now_lower_bound(PlannerInfo* root, Node* expr, int64* lower, bool* local_time) {
  if (expr == nullptr) return false;
  bool leaf = false;
  if (IsA(expr, SQLValueFunction)) {
    SQLValueFunctionOp op = ((SQLValueFunction*)expr)->op;
    leaf = op == SVFOP_CURRENT_TIMESTAMP || op == SVFOP_CURRENT_TIMESTAMP_N;
  } else if (IsA(expr, FuncExpr)) {
    Oid f = ((FuncExpr*)expr)->funcid;
    leaf = (f == F_NOW || f == F_TRANSACTION_TIMESTAMP || f == F_STATEMENT_TIMESTAMP) &&
           ((FuncExpr*)expr)->args == NIL;
  }
  if (leaf) {
    // Its value now (rounding CURRENT_TIMESTAMP(n) is monotonic too).
    Node* est = estimate_expression_value(root, expr);
    if (!IsA(est, Const) || ((Const*)est)->constisnull) return false;
    *lower = time_datum_to_internal(((Const*)est)->constvalue, TIMESTAMPTZOID);
    return true;
  }
  if (!IsA(expr, OpExpr)) return false;
  OpExpr* op = (OpExpr*)expr;
  const bool plus = op->opfuncid == F_TIMESTAMPTZ_PL_INTERVAL;
  if ((!plus && op->opfuncid != F_TIMESTAMPTZ_MI_INTERVAL) || list_length(op->args) != 2) return false;
  Node* arg = (Node*)lsecond(op->args);
  if (!IsA(arg, Const) || ((Const*)arg)->constisnull) return false;
  if (!monotonic_now_lower_bound(root, (Node*)linitial(op->args), lower, local_time)) return false;
  const Interval* iv = DatumGetIntervalP(((Const*)arg)->constvalue);
  // x - interval is x + (-interval), as PostgreSQL computes it.
  const int64 sign = plus ? 1 : -1;
  const int64 months = sign * iv->month;
  const int64 days = sign * iv->day;
  const int64 usecs = iv->time;
  // The least the interval can add: months of 28 days when adding (less three days for the end of
  // month clamp), of 31 days when subtracting.
  const int64 least_days = days + (months > 0 ? 28 * months - 3 : 31 * months);
  int64 delta = plus ? usecs : core::sat_sub(0, usecs);
  if (months != 0 || days != 0) {
    *local_time = true;
    int64 day_part = 0;
    if (__builtin_mul_overflow(least_days, kUsecPerDay, &day_part)) return false;
    delta = core::sat_add(delta, day_part);
  }
  *lower = core::sat_add(*lower, delta);
  return true;
}

}  // namespace

// _strata_internal.cagg_watermark(...) (the raw side of a real-time continuous aggregate): the
// watermark never decreases (src/caggs), so its value now is a plan-time lower bound for every
// later execution of the plan too.
// (The function found last is remembered until a pg_proc invalidation, planner_op_cache_invalidated:
// two catalog lookups less per call.)
static Oid known_cagg_watermark = InvalidOid;

bool is_cagg_watermark(Node* expr) {
  if (expr == nullptr || !IsA(expr, FuncExpr)) return false;
  Oid f = ((FuncExpr*)expr)->funcid;
  if (f == known_cagg_watermark) return true;
  if (get_func_namespace(f) != internal_namespace_oid() || strcmp(get_func_name(f), "cagg_watermark") != 0)
    return false;
  known_cagg_watermark = f;
  return true;
}

namespace {

// The planning-time value of a cagg_watermark(...) call (is_cagg_watermark), false when it is NULL
// or not computable now. With constant arguments (always so in a real-time aggregate's view) the
// function is called directly: estimate_expression_value would build an executor state for the
// one call (about 5,000 instructions each time).
bool cagg_watermark_estimate(PlannerInfo* root, Node* call, Datum* value) {
  FuncExpr* f = (FuncExpr*)call;
  if (list_length(f->args) == 2 && IsA(linitial(f->args), Const) && IsA(lsecond(f->args), Const)) {
    FmgrInfo flinfo;
    fmgr_info(f->funcid, &flinfo);
    fmgr_info_set_expr(call, &flinfo);  // (its result type is that of its anyelement argument)
    LOCAL_FCINFO(fcinfo, 2);
    InitFunctionCallInfoData(*fcinfo, &flinfo, 2, f->inputcollid, nullptr, nullptr);
    for (int i = 0; i < 2; ++i) {
      const Const* c = (const Const*)list_nth(f->args, i);
      if (c->constisnull && flinfo.fn_strict) return false;
      fcinfo->args[i].value = c->constvalue;
      fcinfo->args[i].isnull = c->constisnull;
    }
    Datum r = FunctionCallInvoke(fcinfo);
    if (fcinfo->isnull) return false;
    *value = r;
    return true;
  }
  Node* est = estimate_expression_value(root, call);
  if (!IsA(est, Const) || ((Const*)est)->constisnull) return false;
  *value = ((Const*)est)->constvalue;
  return true;
}

// The btree operator family of the time column's type's default opclass, from the type cache
// (GetDefaultOpClass scans pg_opclass on every call: a tenth of a small query's planning time).
Oid time_btree_opfamily(Oid type) { return lookup_type_cache(type, TYPECACHE_BTREE_OPFAMILY)->btree_opf; }
}  // namespace

void time_restriction_analyze(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht,
                              TimeRestriction* out) {
  out->plan_set = time_set_all();
  out->runtime = NIL;
  const Oid opfamily = time_btree_opfamily(ht->time_type);
  if (!OidIsValid(opfamily)) return;
  MatchContext m{rel->relid, ht->time_attno, ht->time_type, opfamily, nullptr};
  ListCell* lc;
  foreach (lc, rel->baserestrictinfo) {
    RestrictInfo* rinfo = (RestrictInfo*)lfirst(lc);
    if (rinfo->pseudoconstant) continue;
    ClauseMatch cm;
    if (match_clause(m, (Node*)rinfo->clause, &cm) && !cm.constant) {
      out->runtime = lappend(out->runtime, runtime_clause(cm, cm.exec_time));
      // `time > now() - interval` (or >=): the bound only grows as time passes, so its value
      // now, less the margins above, is a safe plan-time lower bound for every later execution
      // of the plan; chunks created later invalidate the plan. The exact bound is applied at
      // startup. A continuous aggregate's watermark never decreases either (src/caggs): its value
      // now is a plan-time lower bound too.
      const bool lower_strategy = (cm.strategy == BTGreaterStrategyNumber || cm.strategy == BTGreaterEqualStrategyNumber) &&
                                  !cm.is_array;
      int64 lower = 0;
      bool local_time = false;
      if (lower_strategy && ht->time_type == TIMESTAMPTZOID && cm.value_type == TIMESTAMPTZOID &&
          monotonic_now_lower_bound(root, (Node*)cm.value, &lower, &local_time)) {
        lower = core::sat_sub(lower, kClockMargin);
        if (local_time) lower = core::sat_sub(lower, kUsecPerDay);
        TimeSet bound = make_set(1);
        bound.iv[0] = core::TimeInterval{lower, INT64_MAX};
        out->plan_set = time_set_intersect(out->plan_set, bound);
      } else if (lower_strategy && cm.value_type == ht->time_type && is_cagg_watermark((Node*)cm.value)) {
        Datum wm;
        if (cagg_watermark_estimate(root, (Node*)cm.value, &wm)) {
          TimeSet bound = make_set(1);
          bound.iv[0] = core::TimeInterval{time_datum_to_internal(wm, cm.value_type), INT64_MAX};
          out->plan_set = time_set_intersect(out->plan_set, bound);
        }
      }
      continue;
    }
    out->plan_set = time_set_intersect(out->plan_set, plan_time_set(m, (Node*)rinfo->clause));
  }
}

}  // namespace strata

namespace strata {

List* time_join_clauses(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht,
                        Relids required_outer) {
  if (bms_is_empty(required_outer)) return NIL;
  const Oid opfamily = time_btree_opfamily(ht->time_type);
  if (!OidIsValid(opfamily)) return NIL;
  MatchContext m{rel->relid, ht->time_attno, ht->time_type, opfamily, required_outer};
  // The join clauses a scan of rel parameterized by required_outer enforces, as
  // get_baserel_parampathinfo collects them.
  Relids join_relids = bms_union(rel->relids, required_outer);
  List* clauses = generate_join_implied_equalities(root, join_relids, required_outer, rel);
  ListCell* lc;
  foreach (lc, rel->joininfo) {
    RestrictInfo* rinfo = (RestrictInfo*)lfirst(lc);
    if (join_clause_is_movable_into(rinfo, rel->relids, join_relids))
      clauses = lappend(clauses, rinfo);
  }
  List* result = NIL;
  foreach (lc, clauses) {
    RestrictInfo* rinfo = (RestrictInfo*)lfirst(lc);
    ClauseMatch cm;
    if (rinfo->pseudoconstant || !match_clause(m, (Node*)rinfo->clause, &cm) || cm.constant)
      continue;
    result = lappend(result, runtime_clause(cm, true));
  }
  return result;
}

}  // namespace strata

namespace strata {

// Continuous aggregates (issue 15): the materialized side of a real-time view reads
// `bucket < cagg_watermark(...)`. The watermark never decreases (src/caggs), so a chunk whose
// range ends at or below its value when planning satisfies the clause at every later execution
// of the plan: the clause is dropped from that chunk's restrictions (no selectivity estimate, no
// watermark evaluation per chunk while planning, no filter per row).
bool cagg_watermark_upper_bound(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht, WatermarkBound* wm) {
  const Oid opfamily = time_btree_opfamily(ht->time_type);
  if (!OidIsValid(opfamily)) return false;
  MatchContext m{rel->relid, ht->time_attno, ht->time_type, opfamily, nullptr};
  ListCell* lc;
  foreach (lc, rel->baserestrictinfo) {
    RestrictInfo* rinfo = (RestrictInfo*)lfirst(lc);
    ClauseMatch cm;
    if (rinfo->pseudoconstant || !match_clause(m, (Node*)rinfo->clause, &cm) || cm.is_array ||
        (cm.strategy != BTLessStrategyNumber && cm.strategy != BTLessEqualStrategyNumber) ||
        cm.value_type != ht->time_type || !is_cagg_watermark((Node*)cm.value))
      continue;
    Datum value;
    if (!cagg_watermark_estimate(root, (Node*)cm.value, &value)) return false;
    *wm = WatermarkBound{time_datum_to_internal(value, cm.value_type), rinfo->clause, cm.strategy, cm.value};
    return true;
  }
  return false;
}

// A chunk's rows all lie in its range [range_start, range_end), so a constant comparison of the
// time column (same type on both sides: the mapping onto the axis is then exact) whose allowed
// interval contains the whole range holds for every row: `time >= '10:00' AND time < '22:00'` over
// a chunk of [12:00, 24:00) keeps only `time < '22:00'`, and a chunk the range covers entirely
// keeps neither. Such clauses are dropped from the chunk's restrictions: no selectivity estimate,
// no index clause matching and no evaluation per row. (Open-ended chunks keep them.)

// The same holds for a comparison of `time_bucket(width, time [, origin | offset])` of a fixed
// width (no months; strata's own time_bucket, without a time zone; an interval offset of neither
// months nor days): a row's bucket starts after
// time - width and at or before time, so the buckets of the chunk's rows lie in
// [range_start - width + 1, range_end - 1]. A query over a real-time aggregate pushes
// `bucket >= C` into the raw side as `time_bucket(..., time) >= C`; on the tail's chunks, well
// after C, it is dropped like `time >= C` (no estimate, no copies of it in the plan, no bucket
// computed per row to test it).

// Whether node is such a bucket of m's time column, and its width in the axis's units.
bool fixed_width_bucket_of_time(const MatchContext& m, Node* node, int64* width) {
  if (!IsA(node, FuncExpr)) return false;
  FuncExpr* f = (FuncExpr*)node;
  const int nargs = list_length(f->args);
  if (nargs < 2 || nargs > 3 || f->funcresulttype != m.time_type) return false;
  if (!IsA(linitial(f->args), Const) || !is_time_var(m, (Node*)lsecond(f->args))) return false;
  if (nargs == 3 && (!IsA(lthird(f->args), Const) || exprType((Node*)lthird(f->args)) == TEXTOID)) return false;
  // An interval offset is applied with calendar arithmetic (months clamp to a month's end, days
  // follow the session time zone's DST), so only a pure time offset keeps the bucket in
  // (time - width, time].
  if (nargs == 3 && exprType((Node*)lthird(f->args)) == INTERVALOID) {
    const Const* off = (const Const*)lthird(f->args);
    if (off->constisnull) return false;
    const Interval* oiv = DatumGetIntervalP(off->constvalue);
    if (oiv->month != 0 || oiv->day != 0) return false;
  }
  const Const* w = (const Const*)linitial(f->args);
  if (w->constisnull) return false;
  int64 units = 0;
  switch (m.time_type) {
    case TIMESTAMPOID:
    case TIMESTAMPTZOID: {
      if (w->consttype != INTERVALOID) return false;
      const Interval* iv = DatumGetIntervalP(w->constvalue);
      if (iv->month != 0 || iv->day < 0 || iv->time < 0 ||
          __builtin_mul_overflow(static_cast<int64>(iv->day), USECS_PER_DAY, &units) ||
          __builtin_add_overflow(units, iv->time, &units))
        return false;
      break;
    }
    case INT2OID:
      if (w->consttype != INT2OID) return false;
      units = DatumGetInt16(w->constvalue);
      break;
    case INT4OID:
      if (w->consttype != INT4OID) return false;
      units = DatumGetInt32(w->constvalue);
      break;
    case INT8OID:
      if (w->consttype != INT8OID) return false;
      units = DatumGetInt64(w->constvalue);
      break;
    default:
      return false;
  }
  if (units <= 0 || !is_strata_time_bucket_function(f->funcid)) return false;
  *width = units;
  return true;
}

// The interval [lo, hi] of values a constant comparison of the time column (m's), or of a
// fixed-width bucket of it (then `widen` is the width - 1, else 0), allows; false for any other
// restriction. A chunk of [range_start, range_end) satisfies it everywhere when
// lo <= range_start - widen and range_end - 1 <= hi (covers_range).
struct CoveringBound {
  int64 lo;
  int64 hi;
  int64 widen;
};

// (A clause above security level 0, below a table's row security or a security qual, counts when it
// is leakproof: it may be evaluated before those, or not at all. The materialized side of a
// real-time aggregate, realtime_union.cpp, gets the query's clauses at level 1.)
bool clause_covering_bound(const MatchContext& m, RestrictInfo* rinfo, const Hypertable* ht, CoveringBound* out) {
  if (rinfo->pseudoconstant || (rinfo->security_level != 0 && !rinfo->leakproof) || !IsA(rinfo->clause, OpExpr))
    return false;
  OpExpr* op = (OpExpr*)rinfo->clause;
  Node* clause = (Node*)op;
  // (a bucket comparison is matched as the same comparison of the time column itself, over the
  // interval its buckets can take)
  OpExpr of_time;
  int64 widen = 0;
  if (list_length(op->args) == 2) {
    for (int side = 0; side < 2; ++side) {
      int64 width;
      if (!fixed_width_bucket_of_time(m, (Node*)list_nth(op->args, side), &width)) continue;
      widen = width - 1;
      Node* time = (Node*)lsecond(((FuncExpr*)list_nth(op->args, side))->args);
      of_time = *op;
      of_time.args = side == 0 ? list_make2(time, lsecond(op->args)) : list_make2(linitial(op->args), time);
      clause = (Node*)&of_time;
      break;
    }
  }
  ClauseMatch cm;
  if (!match_clause(m, clause, &cm) || !cm.constant || cm.is_array || cm.value_type != ht->time_type) return false;
  // (plan_time_set of the clause, from the match made above; the sets' intervals are closed)
  const Const* c = (const Const*)cm.value;
  TimeSet allowed = time_set_for_value(cm.strategy, false, cm.use_or, c->constvalue, c->constisnull, cm.value_type,
                                       m.time_type);
  if (allowed.all || allowed.n != 1) return false;
  *out = CoveringBound{allowed.iv[0].lo, allowed.iv[0].hi, widen};
  return true;
}

// (the chunk's values are range_start .. range_end - 1)
bool covers_range(const CoveringBound& b, int64 range_start, int64 range_end) {
  int64 lowest;
  return !__builtin_sub_overflow(range_start, b.widen, &lowest) && b.lo <= lowest && range_end - 1 <= b.hi;
}

// Whether the restriction is a constant comparison of the time column (m's), or of a fixed-width
// bucket of it, that every value of [range_start, range_end) satisfies.
bool clause_covers_range(const MatchContext& m, RestrictInfo* rinfo, const Hypertable* ht, int64 range_start,
                         int64 range_end) {
  CoveringBound b;
  return clause_covering_bound(m, rinfo, ht, &b) && covers_range(b, range_start, range_end);
}

void drop_clauses_covering_chunk(RelOptInfo* child, const Hypertable* ht, int64 range_start,
                                 int64 range_end, List* translated_vars) {
  if (range_start == INT64_MIN || range_end == INT64_MAX || child->baserestrictinfo == NIL) return;
  if (ht->time_attno > list_length(translated_vars)) return;
  Node* tv = (Node*)list_nth(translated_vars, ht->time_attno - 1);
  if (tv == nullptr || !IsA(tv, Var)) return;
  const Oid opfamily = time_btree_opfamily(ht->time_type);
  if (!OidIsValid(opfamily)) return;
  MatchContext m{child->relid, ((Var*)tv)->varattno, ht->time_type, opfamily, nullptr};
  List* kept = NIL;
  bool dropped = false;
  ListCell* lc;
  foreach (lc, child->baserestrictinfo) {
    RestrictInfo* rinfo = (RestrictInfo*)lfirst(lc);
    if (clause_covers_range(m, rinfo, ht, range_start, range_end)) {
      dropped = true;
      continue;
    }
    kept = lappend(kept, rinfo);
  }
  if (dropped) child->baserestrictinfo = kept;
}

struct CoveringClauses {
  int n;
  int* positions;  // in the parent's restrictions
  CoveringBound* bounds;
};

Bitmapset* clauses_covering_chunk(RelOptInfo* parent, const Hypertable* ht, int64 range_start, int64 range_end,
                                  CoveringClauses** cache) {
  if (range_start == INT64_MIN || range_end == INT64_MAX || parent->baserestrictinfo == NIL) return nullptr;
  CoveringClauses* cc = cache != nullptr ? *cache : nullptr;
  if (cc == nullptr) {
    const Oid opfamily = time_btree_opfamily(ht->time_type);
    if (!OidIsValid(opfamily)) return nullptr;
    MatchContext m{parent->relid, ht->time_attno, ht->time_type, opfamily, nullptr};
    const int nclauses = list_length(parent->baserestrictinfo);
    cc = (CoveringClauses*)palloc(sizeof(CoveringClauses));
    cc->n = 0;
    cc->positions = (int*)palloc(sizeof(int) * nclauses);
    cc->bounds = (CoveringBound*)palloc(sizeof(CoveringBound) * nclauses);
    int i = 0;
    ListCell* lc;
    foreach (lc, parent->baserestrictinfo) {
      if (clause_covering_bound(m, (RestrictInfo*)lfirst(lc), ht, &cc->bounds[cc->n])) cc->positions[cc->n++] = i;
      i++;
    }
    if (cache != nullptr) *cache = cc;
  }
  Bitmapset* positions = nullptr;
  for (int k = 0; k < cc->n; ++k)
    if (covers_range(cc->bounds[k], range_start, range_end)) positions = bms_add_member(positions, cc->positions[k]);
  return positions;
}

List* quals_without_watermark(RelOptInfo* rel, const WatermarkBound& wm) {
  List* kept = NIL;
  ListCell* lc;
  foreach (lc, rel->baserestrictinfo) {
    RestrictInfo* rinfo = (RestrictInfo*)lfirst(lc);
    if (!equal(rinfo->clause, wm.clause)) kept = lappend(kept, rinfo);
  }
  return kept;
}

namespace {

// Whether the run-time clause compares the time column with cagg_watermark(...) by an operator of
// one of the two strategies.
bool is_watermark_clause(const RuntimeClause* rc, const Hypertable* ht, int strategy, int or_equal) {
  return !rc->is_array && !OidIsValid(rc->hash_proc) && (rc->strategy == strategy || rc->strategy == or_equal) &&
         rc->value_type == ht->time_type && is_cagg_watermark((Node*)rc->value);
}

}  // namespace

List* runtime_without_watermark(List* runtime, const WatermarkBound& wm) {
  List* kept = NIL;
  ListCell* lc;
  foreach (lc, runtime) {
    const RuntimeClause* rc = (const RuntimeClause*)lfirst(lc);
    if (!rc->is_array && !OidIsValid(rc->hash_proc) && rc->strategy == wm.strategy && equal(rc->value, wm.expr))
      continue;
    kept = lappend(kept, (void*)rc);
  }
  return kept;
}

bool has_cagg_watermark_lower_bound(List* runtime, const Hypertable* ht) {
  ListCell* lc;
  foreach (lc, runtime)
    if (is_watermark_clause((const RuntimeClause*)lfirst(lc), ht, BTGreaterStrategyNumber, BTGreaterEqualStrategyNumber))
      return true;
  return false;
}

void planner_op_cache_invalidated(int, uint32) {
  known_cagg_watermark = InvalidOid;
  op_facts_used = 0;
  op_facts_generation++;
}

}  // namespace strata
