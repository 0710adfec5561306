// The defining query of a continuous aggregate: validation (the errors of CREATE MATERIALIZED
// VIEW), finding its raw relation, time column and time_bucket, bucket arithmetic on the internal
// axis through that very time_bucket function, and the derived queries (restricted to a time
// range, or to the raw rows at or above the watermark) deparsed with schema-qualified names.
#include "caggs/internal.hpp"

#include "core/time/chunk_range.hpp"

extern "C" {
#include "catalog/dependency.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "datatype/timestamp.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_func.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteHandler.h"
#include "utils/date.h"
#include "utils/guc.h"
#include "utils/ruleutils.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
}

namespace strata::caggs {

namespace {

[[noreturn]] void refuse(const char* construct) {
  ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                  errmsg("%s are not supported in continuous aggregates", construct)));
  pg_unreachable();
}

bool is_extension_function(Oid funcid, const char* name) {
  HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
  if (!HeapTupleIsValid(tup)) return false;
  auto* proc = reinterpret_cast<Form_pg_proc>(GETSTRUCT(tup));
  bool result = strcmp(NameStr(proc->proname), name) == 0;
  ReleaseSysCache(tup);
  return result && getExtensionOfObject(ProcedureRelationId, funcid) == get_extension_oid("strata", false);
}

// The raw relation of the query: one hypertable or continuous aggregate; plain tables may be
// joined to it.
void find_raw_relation(Query* q, QueryInfo* out) {
  ListCell* lc;
  Index rti = 0;
  foreach (lc, q->rtable) {
    auto* rte = static_cast<RangeTblEntry*>(lfirst(lc));
    ++rti;
    switch (rte->rtekind) {
      case RTE_RELATION: {
        // A stored view query also holds the view's OLD and NEW entries (not in FROM).
        if (!rte->inFromCl) break;
        Hypertable* ht = nullptr;
        Cagg* parent = nullptr;
        if (rte->relkind == RELKIND_VIEW) {
          parent = cagg_get_by_view(rte->relid);
          if (parent == nullptr)
            ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                            errmsg("views other than continuous aggregates are not supported in continuous aggregates"),
                            errdetail("\"%s\" is a view.", get_rel_name(rte->relid)),
                            errhint("Build the continuous aggregate on the view's hypertable.")));
          ht = hypertable_get_by_id(parent->mat_id);
        } else if (rte->relkind == RELKIND_RELATION) {
          ht = hypertable_get(rte->relid);
        }
        if (ht == nullptr) break;  // a plain table joined to the hypertable
        if (out->raw_rti != 0)
          ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                          errmsg("a continuous aggregate can read only one hypertable or continuous aggregate"),
                          errdetail("The query reads \"%s\" and \"%s\".", get_rel_name(out->raw_relid),
                                    get_rel_name(rte->relid))));
        if (!rte->inh)
          ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                          errmsg("FROM ONLY is not supported in continuous aggregates")));
        out->raw_rti = rti;
        out->raw_relid = rte->relid;
        out->raw_ht = ht;
        out->parent = parent;
        break;
      }
      case RTE_JOIN:
        break;
      case RTE_SUBQUERY:
        refuse("subqueries in FROM");
      case RTE_FUNCTION:
      case RTE_TABLEFUNC:
        refuse("functions in FROM");
      case RTE_VALUES:
        refuse("VALUES lists");
      default:
        refuse("this kind of FROM item");
    }
  }
  if (out->raw_rti == 0)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("a continuous aggregate must read a hypertable or a continuous aggregate"),
                    errhint("Name a hypertable (or another continuous aggregate) in the FROM clause.")));
  // The time column as the query sees the raw relation.
  const char* column = NameStr(out->raw_ht->time_column);
  out->time_attno = get_attnum(out->raw_relid, column);
  if (out->time_attno == InvalidAttrNumber) elog(ERROR, "time column \"%s\" not found", column);
  out->time_type = get_atttype(out->raw_relid, out->time_attno);
}

bool is_time_var(const QueryInfo* qi, Node* n) {
  if (n == nullptr || !IsA(n, Var)) return false;
  Var* v = castNode(Var, n);
  return v->varno == static_cast<int>(qi->raw_rti) && v->varattno == qi->time_attno && v->varlevelsup == 0;
}

void fill_bucket(QueryInfo* qi, FuncExpr* f) {
  BucketFn* b = &qi->bucket;
  memset(b, 0, sizeof(*b));
  b->funcid = f->funcid;
  // Named arguments in call order and omitted defaults become the full positional list.
  HeapTuple proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(f->funcid));
  if (!HeapTupleIsValid(proc)) elog(ERROR, "cache lookup failed for function %u", f->funcid);
  List* args = expand_function_arguments(f->args, false, f->funcresulttype, proc);
  ReleaseSysCache(proc);
  b->nargs = list_length(args);
  if (b->nargs > 5) elog(ERROR, "unexpected time_bucket signature");
  b->type = qi->time_type;
  b->collation = f->inputcollid;
  int i = 0;
  ListCell* lc;
  foreach (lc, args) {
    Node* arg = static_cast<Node*>(lfirst(lc));
    if (i != 1) {
      arg = eval_const_expressions(nullptr, arg);
      if (!IsA(arg, Const))
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("the arguments of time_bucket() other than the time column must be constants "
                               "in continuous aggregates")));
      Const* c = castNode(Const, arg);
      b->args[i] = c->constvalue;
      b->argnull[i] = c->constisnull;
      if (c->consttype == TEXTOID && !c->constisnull) b->variable = true;  // a time zone
    }
    ++i;
  }
  if (b->argnull[0])
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("the bucket width cannot be NULL")));
  Oid width_type = exprType(static_cast<Node*>(linitial(args)));
  switch (width_type) {
    case INTERVALOID: {
      Interval* iv = DatumGetIntervalP(b->args[0]);
      if (iv->month != 0) {
        b->variable = true;
        b->nominal = static_cast<int64>(iv->month) * 31 * USECS_PER_DAY;
      } else {
        b->nominal = static_cast<int64>(iv->day) * USECS_PER_DAY + iv->time;
      }
      if (b->variable) b->nominal += 3 * USECS_PER_HOUR;  // daylight saving shifts
      break;
    }
    case INT2OID: b->nominal = DatumGetInt16(b->args[0]); break;
    case INT4OID: b->nominal = DatumGetInt32(b->args[0]); break;
    case INT8OID: b->nominal = DatumGetInt64(b->args[0]); break;
    default:
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("unsupported bucket width type %s", format_type_be(width_type))));
  }
  if (b->nominal <= 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("the bucket width must be positive")));
  fmgr_info(b->funcid, &b->flinfo);
}

void find_bucket(Query* q, QueryInfo* qi) {
  const char* column = NameStr(qi->raw_ht->time_column);
  if (q->groupClause == NIL)
    ereport(ERROR, (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
                    errmsg("a continuous aggregate must group by time_bucket() of the time column"),
                    errdetail("The query has no GROUP BY clause."),
                    errhint("Add GROUP BY time_bucket(<width>, %s).", quote_identifier(column))));
  ListCell* lc;
  foreach (lc, q->targetList) {
    auto* tle = static_cast<TargetEntry*>(lfirst(lc));
    if (tle->ressortgroupref == 0 || get_sortgroupref_clause_noerr(tle->ressortgroupref, q->groupClause) == nullptr)
      continue;
    if (!IsA(tle->expr, FuncExpr)) continue;
    auto* f = reinterpret_cast<FuncExpr*>(tle->expr);
    if (list_length(f->args) < 2 || !is_extension_function(f->funcid, "time_bucket")) continue;
    if (!is_time_var(qi, static_cast<Node*>(lsecond(f->args)))) continue;
    if (tle->resjunk)
      ereport(ERROR, (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
                      errmsg("the time_bucket() column of a continuous aggregate must be in its select list")));
    qi->bucket_tle = tle;
    fill_bucket(qi, f);
    return;
  }
  ereport(ERROR, (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
                  errmsg("a continuous aggregate must group by time_bucket() of the time column"),
                  errdetail("No GROUP BY item is time_bucket(<width>, %s) on %s.", quote_identifier(column),
                            get_rel_name(qi->raw_relid)),
                  errhint("Add time_bucket(<width>, %s) to the select list and to GROUP BY.", quote_identifier(column))));
}

Oid btree_operator(Oid type, int16 strategy) {
  TypeCacheEntry* tc = lookup_type_cache(type, TYPECACHE_BTREE_OPFAMILY);
  Oid op = get_opfamily_member(tc->btree_opf, type, type, strategy);
  if (!OidIsValid(op)) elog(ERROR, "no btree operator for type %s", format_type_be(type));
  return op;
}

Expr* compare(Oid op, Expr* left, Expr* right) {
  auto* e = reinterpret_cast<OpExpr*>(make_opclause(op, BOOLOID, false, left, right, InvalidOid, InvalidOid));
  set_opfuncid(e);
  return reinterpret_cast<Expr*>(e);
}

// The query with `qual` added to its WHERE clause.
Query* with_qual(const QueryInfo* qi, Expr* qual) {
  auto* q = static_cast<Query*>(copyObjectImpl(qi->query));
  Node* old = q->jointree->quals;
  q->jointree->quals = old == nullptr ? reinterpret_cast<Node*>(qual)
                                      : reinterpret_cast<Node*>(make_andclause(list_make2(old, qual)));
  return q;
}

Expr* time_var(const QueryInfo* qi) {
  return static_cast<Expr*>(copyObjectImpl(lsecond(reinterpret_cast<FuncExpr*>(qi->bucket_tle->expr)->args)));
}

}  // namespace

void analyze_query(Query* q, QueryInfo* out) {
  memset(out, 0, sizeof(*out));
  out->query = q;
  if (q->commandType != CMD_SELECT || q->utilityStmt != nullptr)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("a continuous aggregate must be defined by a SELECT")));
  if (q->setOperations != nullptr) refuse("UNION, INTERSECT and EXCEPT");
  if (q->hasWindowFuncs) refuse("window functions");
  if (q->hasDistinctOn) refuse("DISTINCT ON clauses");
  if (q->distinctClause != NIL) refuse("DISTINCT clauses");
  if (q->sortClause != NIL) refuse("ORDER BY clauses");
  if (q->limitCount != nullptr || q->limitOffset != nullptr) refuse("LIMIT and OFFSET clauses");
  if (q->cteList != NIL) refuse("WITH clauses (common table expressions)");
  if (q->hasSubLinks) refuse("subqueries");
  if (q->hasTargetSRFs) refuse("set-returning functions");
  if (q->rowMarks != NIL) refuse("FOR UPDATE and FOR SHARE clauses");
  if (q->groupingSets != NIL) refuse("GROUPING SETS, ROLLUP and CUBE");
  if (contain_volatile_functions(reinterpret_cast<Node*>(q)))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("volatile functions are not supported in continuous aggregates"),
                    errdetail("The result of a volatile function could change between refreshes.")));
  find_raw_relation(q, out);
  find_bucket(q, out);
}

void load_query(const Cagg* cagg, QueryInfo* out) {
  if (!OidIsValid(cagg->direct_view))
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                    errmsg("the direct view %s.%s of continuous aggregate \"%s\" is missing",
                           NameStr(cagg->direct_schema), NameStr(cagg->direct_name), NameStr(cagg->user_name))));
  Relation rel = table_open(cagg->direct_view, AccessShareLock);
  auto* q = static_cast<Query*>(copyObjectImpl(get_view_query(rel)));
  table_close(rel, NoLock);
  analyze_query(q, out);
}

// ---- bucket arithmetic -----------------------------------------------------------------------

namespace {

Datum to_datum(int64 value, Oid type) {
  if (type == DATEOID) {
    int64 days = core::floor_div(value, core::kUsecPerDay) - core::kPgEpochOffsetUsec / core::kUsecPerDay;
    return DateADTGetDatum(static_cast<DateADT>(Max(Min(days, (int64)PG_INT32_MAX - 1), (int64)PG_INT32_MIN + 1)));
  }
  return internal_to_time_datum(value, type);
}

bool datum_finite(Datum d, Oid type) {
  switch (type) {
    case TIMESTAMPOID:
    case TIMESTAMPTZOID:
      return !TIMESTAMP_NOT_FINITE(DatumGetTimestamp(d));
    case DATEOID:
      return !DATE_NOT_FINITE(DatumGetDateADT(d));
    default:
      return true;
  }
}

}  // namespace

int64 bucket_floor(BucketFn* b, int64 value) {
  if (value == core::kOpenStart || value == core::kOpenEnd) return value;
  Datum d = to_datum(value, b->type);
  if (!datum_finite(d, b->type)) return value;
  LOCAL_FCINFO(fcinfo, 5);
  InitFunctionCallInfoData(*fcinfo, &b->flinfo, b->nargs, b->collation, nullptr, nullptr);
  for (int i = 0; i < b->nargs; i++) {
    fcinfo->args[i].value = i == 1 ? d : b->args[i];
    fcinfo->args[i].isnull = i == 1 ? false : b->argnull[i];
  }
  Datum r = FunctionCallInvoke(fcinfo);
  if (fcinfo->isnull) return value;
  return time_datum_to_internal(r, b->type);
}

int64 bucket_next(BucketFn* b, int64 start) {
  if (start == core::kOpenStart || start == core::kOpenEnd) return start;
  auto floor = [b](int64 x) { return bucket_floor(b, x); };
  core::Bucketing<decltype(floor)> bk{floor, b->nominal};
  return core::next_bucket_start(bk, start);
}

// ---- derived queries -------------------------------------------------------------------------

char* deparse_query(Query* query) {
  int nest = NewGUCNestLevel();
  (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true,
                          0, false);
  char* sql = pg_get_querydef(query, false);
  AtEOXact_GUC(true, nest);
  return sql;
}

char* restricted_query_sql(const QueryInfo* qi) {
  auto param = [&](int id) {
    Param* p = makeNode(Param);
    p->paramkind = PARAM_EXTERN;
    p->paramid = id;
    p->paramtype = qi->time_type;
    p->paramtypmod = -1;
    p->paramcollid = InvalidOid;
    p->location = -1;
    return reinterpret_cast<Expr*>(p);
  };
  Expr* ge = compare(btree_operator(qi->time_type, BTGreaterEqualStrategyNumber), time_var(qi), param(1));
  Expr* lt = compare(btree_operator(qi->time_type, BTLessStrategyNumber), time_var(qi), param(2));
  return deparse_query(with_qual(qi, make_andclause(list_make2(ge, lt))));
}

Expr* watermark_call(Oid type, int32 mat_id) {
  Oid argtypes[2] = {INT4OID, ANYELEMENTOID};
  Oid fn = LookupFuncName(list_make2(makeString(pstrdup("_strata_internal")), makeString(pstrdup("cagg_watermark"))), 2,
                          argtypes, false);
  List* args = list_make2(makeConst(INT4OID, -1, InvalidOid, 4, Int32GetDatum(mat_id), false, true),
                          makeNullConst(type, -1, InvalidOid));
  return reinterpret_cast<Expr*>(makeFuncExpr(fn, type, args, InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL));
}

char* realtime_query_sql(const QueryInfo* qi, int32 mat_id) {
  Expr* ge = compare(btree_operator(qi->time_type, BTGreaterEqualStrategyNumber), time_var(qi),
                     watermark_call(qi->time_type, mat_id));
  return deparse_query(with_qual(qi, ge));
}

char* user_view_sql(const Cagg* cagg, const QueryInfo* qi, const char* mat_schema, const char* mat_table,
                    bool materialized_only) {
  StringInfoData cols;
  initStringInfo(&cols);
  ListCell* lc;
  foreach (lc, qi->query->targetList) {
    auto* tle = static_cast<TargetEntry*>(lfirst(lc));
    if (tle->resjunk) continue;
    appendStringInfo(&cols, "%s%s", cols.len > 0 ? ", " : "", quote_identifier(tle->resname));
  }
  const char* mat = quote_qualified_identifier(mat_schema, mat_table);
  StringInfoData sql;
  initStringInfo(&sql);
  if (materialized_only) {
    appendStringInfo(&sql, "SELECT %s FROM %s", cols.data, mat);
    return sql.data;
  }
  appendStringInfo(&sql, "(SELECT %s FROM %s WHERE %s OPERATOR(pg_catalog.<) _strata_internal.cagg_watermark(%d, NULL::%s))"
                         " UNION ALL (%s)",
                   cols.data, mat, quote_identifier(qi->bucket_tle->resname), cagg->mat_id,
                   format_type_be_qualified(qi->time_type), realtime_query_sql(qi, cagg->mat_id));
  return sql.data;
}

}  // namespace strata::caggs
