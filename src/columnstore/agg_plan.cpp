// Planning of the aggregation pushdown over compressed chunks (agg.hpp). At UPPERREL_GROUP_AGG
// over a hypertable whose Append reads compressed chunks, the grouping is split as PostgreSQL's
// partitionwise aggregation splits it: a Finalize Aggregate (PostgreSQL's) over an Append of one
// partial aggregation per chunk. A compressed chunk's part is a ColumnstoreAggregate over its
// ColumnarScan (partial states from the decoded batches and their metadata); its row part and
// every uncompressed chunk get PostgreSQL's Partial Aggregate. The path is offered only when every
// aggregate, grouping column and restriction can be handled on the batches; otherwise PostgreSQL's
// plans are left alone.
#include "columnstore/agg.hpp"

#include <algorithm>
#include <limits>

#include "catalog/chunks.hpp"
#include "catalog/hypertables.hpp"
#include "columnstore/rowagg.hpp"
#include "core/time/chunk_range.hpp"
#include "columnstore/scan.hpp"
#include "planner/chunk_append.hpp"
#include "pg/guard.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "catalog/dependency.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/prep.h"
#include "optimizer/tlist.h"
#include "parser/parsetree.h"
#include "utils/syscache.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"
}

namespace strata::columnstore {

bool guc_enable_columnstore_agg_pushdown = true;
bool guc_enable_columnstore_agg_final = true;

namespace {

using namespace aggplan;

// codec::ColumnType values (src/core/codec/codec.hpp); the glue does not include the core.
enum : int { kInt16 = 1, kInt32, kInt64, kTimestamp, kDate, kFloat4, kFloat8, kBool, kUuid, kVarlen };

Plan* plan_agg(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist, List* clauses,
               List* custom_plans);

const CustomPathMethods agg_path_methods = {
    "ColumnstoreAggregate",
    pg::guarded<plan_agg>,
    nullptr,
};

bool numeric_codec(int codec) { return codec >= kInt16 && codec <= kFloat8; }

int attr_field(List* attrs, AttrNumber attno, int field) {
  const int i = (attno - 1) * scanplan::kAttrFields + field;
  if (attno < 1 || i >= list_length(attrs)) return 0;
  return list_nth_int(attrs, i);
}

// A grouping column that is a data column of the chunk: grouped by its decoded values (hashed by
// their bytes), so only types whose default equality is equality of those bytes (after folding
// -0 and NaN of floats): integers, dates, timestamps, bool, floats, uuid, and text, varchar and
// bytea under a deterministic collation.
bool value_group_column(Var* v, List* attrs, int* spec) {
  const int codec = attr_field(attrs, v->varattno, scanplan::kCodecType);
  switch (codec) {
    case kInt16:
    case kInt32:
    case kInt64:
    case kTimestamp:
    case kDate:
    case kFloat4:
    case kFloat8:
    case kBool:
    case kUuid:
      break;
    case kVarlen:
      if (v->vartype != TEXTOID && v->vartype != VARCHAROID && v->vartype != BYTEAOID) return false;
      if (OidIsValid(v->varcollid) && !get_collation_isdeterministic(v->varcollid)) return false;
      break;
    default:
      return false;
  }
  spec[kSpecKind] = kSpecValue;
  spec[kSpecAttno] = v->varattno;
  spec[kSpecTypid] = (int)v->vartype;
  spec[kSpecCodec] = codec;
  return true;
}

// The width of every bucket of bucketing function f (is_bucket_function's `width`) in the units of
// a column of codec `codec` when each bucket is [start, start + width): time_bucket and date_bin
// of constant width, date_trunc up to a week (of a timestamptz, where the zone's offset is
// constant: bucket_monotonic); 0 otherwise. The executor finds a run's end by comparing values
// with it, then checks the run's last row with the function.
int64 run_width(FuncExpr* f, int codec, int64 width) {
  if (width <= 0) return 0;
  if ((f->funcid == F_DATE_TRUNC_TEXT_TIMESTAMP || f->funcid == F_DATE_TRUNC_TEXT_TIMESTAMPTZ) &&
      width > USECS_PER_HOUR && width != USECS_PER_DAY && width != 7 * USECS_PER_DAY)
    return 0;
  if (codec == kDate) {
    if (exprType((Node*)linitial(f->args)) != INTERVALOID || width % USECS_PER_DAY != 0) return 0;
    return width / USECS_PER_DAY;
  }
  if (codec == kTimestamp) return exprType((Node*)linitial(f->args)) == INTERVALOID || f->funcid == F_DATE_TRUNC_TEXT_TIMESTAMP ||
                                         f->funcid == F_DATE_TRUNC_TEXT_TIMESTAMPTZ
                                     ? width
                                     : 0;
  return exprType((Node*)linitial(f->args)) == INTERVALOID ? 0 : width;
}

// The spec of one output column of a ColumnstoreAggregate over a chunk with layout `attrs`;
// false when it cannot be computed on the batches.
bool analyze_column(Expr* expr, bool is_group, Index relid, List* attrs, List** consts, int* spec) {
  memset(spec, 0, sizeof(int) * kSpecFields);
  if (is_group) {
    if (Var* v = plain_var((Node*)expr, relid)) {
      const int role = attr_field(attrs, v->varattno, scanplan::kRole);
      if (role == scanplan::kRoleData) return value_group_column(v, attrs, spec);
      if (role != scanplan::kRoleSegment) return false;
      spec[kSpecKind] = kSpecSegment;
      spec[kSpecAttno] = v->varattno;
      spec[kSpecTypid] = (int)v->vartype;
      spec[kSpecCompAttno] = attr_field(attrs, v->varattno, scanplan::kCompAttno);
      return true;
    }
    int zone = kZoneNone;
    int64 width = 0;
    if (!IsA(expr, FuncExpr) || !is_bucket_function((FuncExpr*)expr, &zone, &width)) return false;
    FuncExpr* f = (FuncExpr*)expr;
    Var* v = plain_var((Node*)lsecond(f->args), relid);
    if (v == nullptr || attr_field(attrs, v->varattno, scanplan::kRole) != scanplan::kRoleData) return false;
    const int codec = attr_field(attrs, v->varattno, scanplan::kCodecType);
    if (codec != kInt16 && codec != kInt32 && codec != kInt64 && codec != kTimestamp && codec != kDate) return false;
    if (!get_typbyval(f->funcresulttype)) return false;
    spec[kSpecKind] = kSpecBucket;
    spec[kSpecAttno] = v->varattno;
    spec[kSpecTypid] = (int)v->vartype;
    spec[kSpecCodec] = codec;
    spec[kSpecFunc] = (int)f->funcid;
    spec[kSpecZone] = zone;
    // A local midnight up to a unit (a month: up to 31 days, a quarter 92) and a day before.
    if (zone == kZoneSteady && width >= USECS_PER_DAY)
      spec[kSpecZoneMargin] = (int)((width + width / 8) / USECS_PER_SEC + 2 * SECS_PER_DAY);
    // The column's batch metadata, when it has some: a batch whose min and max share a bucket is
    // one run (agg_exec.cpp, batch_one_bucket).
    spec[kSpecMinAttno] = attr_field(attrs, v->varattno, scanplan::kMinAttno);
    spec[kSpecMaxAttno] = attr_field(attrs, v->varattno, scanplan::kMaxAttno);
    spec[kSpecNullsAttno] = attr_field(attrs, v->varattno, scanplan::kNullsAttno);
    spec[kSpecFirstConst] = list_length(*consts);
    spec[kSpecNConsts] = list_length(f->args) - 1;
    *consts = lappend(*consts, copyObjectImpl(linitial(f->args)));
    if (list_length(f->args) == 3) *consts = lappend(*consts, copyObjectImpl(lthird(f->args)));
    const int64 run = run_width(f, codec, width);
    if (run > 0) {
      *consts = lappend(*consts, makeConst(INT8OID, -1, InvalidOid, 8, Int64GetDatum(run), false, true));
      spec[kSpecRunConst] = list_length(*consts);
    }
    return true;
  }
  if (!IsA(expr, Aggref)) return false;
  Aggref* a = (Aggref*)expr;
  if (!plain_aggref(a)) return false;
  const int kind = agg_kind(a->aggfnoid, false);
  if (kind < 0) return false;
  spec[kSpecKind] = kSpecAgg;
  spec[kSpecAggKind] = kind;
  if (kind == kCountStar) return true;
  if (list_length(a->args) != 1) return false;
  Var* v = plain_var((Node*)((TargetEntry*)linitial(a->args))->expr, relid);
  if (v == nullptr) return false;
  spec[kSpecAttno] = v->varattno;
  spec[kSpecTypid] = (int)v->vartype;
  const int role = attr_field(attrs, v->varattno, scanplan::kRole);
  const int codec = attr_field(attrs, v->varattno, scanplan::kCodecType);
  spec[kSpecCodec] = codec;
  if (role == scanplan::kRoleSegment) {
    // A segment value is the same for every row of the batch: count, min and max only.
    if (kind != kCount && kind != kMin && kind != kMax) return false;
    if (kind != kCount && !numeric_codec(codec) && codec != kTimestamp && codec != kDate) return false;
    spec[kSpecCompAttno] = attr_field(attrs, v->varattno, scanplan::kCompAttno);
    return true;
  }
  if (role != scanplan::kRoleData) return false;
  if (kind == kSumNumeric || kind == kAvgNumeric) {
    // numeric values are stored as their varlena's bytes.
    if (codec != kVarlen || v->vartype != NUMERICOID) return false;
  } else if ((kind == kMin || kind == kMax) && v->vartype == NUMERICOID) {
    // min/max(numeric): compared as numerics, never from the batch metadata.
    if (codec != kVarlen) return false;
    return true;
  } else if (kind != kCount && !numeric_codec(codec)) {
    return false;
  }
  spec[kSpecMinAttno] = attr_field(attrs, v->varattno, scanplan::kMinAttno);
  spec[kSpecMaxAttno] = attr_field(attrs, v->varattno, scanplan::kMaxAttno);
  spec[kSpecNullsAttno] = attr_field(attrs, v->varattno, scanplan::kNullsAttno);
  return true;
}

}  // namespace

// The partial grouping target, as PostgreSQL's make_partial_grouping_target builds it: the
// grouping expressions, then the Aggrefs (and Vars) of the other columns and of HAVING, each
// Aggref marked partial. NULL when a column outside the aggregates is not a grouping expression.
PathTarget* make_partial_target(PlannerInfo* root, PathTarget* grouping_target, Node* having) {
  Query* parse = root->parse;
  PathTarget* partial = create_empty_pathtarget();
  List* non_group = NIL;
  int i = 0;
  ListCell* lc;
  foreach (lc, grouping_target->exprs) {
    Expr* expr = (Expr*)lfirst(lc);
    const Index sgref = get_pathtarget_sortgroupref(grouping_target, i);
    if (sgref != 0 && parse->groupClause != NIL && get_sortgroupref_clause_noerr(sgref, parse->groupClause) != nullptr)
      add_column_to_pathtarget(partial, expr, sgref);
    else
      non_group = lappend(non_group, expr);
    ++i;
  }
  if (having != nullptr) non_group = lappend(non_group, having);
  List* exprs = pull_var_clause((Node*)non_group, PVC_INCLUDE_AGGREGATES | PVC_RECURSE_WINDOWFUNCS |
                                                      PVC_INCLUDE_PLACEHOLDERS);
  add_new_columns_to_pathtarget(partial, exprs);
  i = 0;
  foreach (lc, partial->exprs) {
    Expr* expr = (Expr*)lfirst(lc);
    if (IsA(expr, Aggref)) {
      Aggref* agg = (Aggref*)copyObjectImpl(expr);
      mark_partial_aggref(agg, AGGSPLIT_INITIAL_SERIAL);
      lfirst(lc) = agg;
    } else if (get_pathtarget_sortgroupref(partial, i) == 0) {
      return nullptr;  // a Var or PlaceHolderVar outside the grouping columns
    }
    ++i;
  }
  return set_pathtarget_cost_width(root, partial);
}

namespace {

PathTarget* translate_target(PlannerInfo* root, PathTarget* target, AppendRelInfo* appinfo) {
  PathTarget* t = copy_pathtarget(target);
  t->exprs = (List*)adjust_appendrel_attrs(root, (Node*)t->exprs, 1, &appinfo);
  return t;
}

// rowagg_plan.cpp's bucketed_groups() (the chunk's buckets times the other grouping columns'
// groups) when every function among the grouping expressions is a bucketing function with
// constant arguments (time_bucket, date_trunc, date_bin: is_bucket_function); infinity otherwise.
double chunk_bucket_groups(PlannerInfo* root, RelOptInfo* child, AppendRelInfo* appinfo, PathTarget* target,
                           double rows) {
  if (appinfo == nullptr) return std::numeric_limits<double>::infinity();
  return bucketed_groups(root, child, appinfo, target, rows);
}

// The ColumnstoreAggregate path over a chunk's ColumnarScan path, or NULL when some restriction
// stays with PostgreSQL (rows would be filtered after tuple formation) or some column cannot be
// computed on the batches.
Path* make_agg_scan_path(PlannerInfo* root, RelOptInfo* child, AppendRelInfo* appinfo, CustomPath* columnar,
                         PathTarget* target, double groups) {
  List* meta = (List*)linitial(columnar->custom_private);
  List* attrs = (List*)lsecond(columnar->custom_private);
  if (list_nth_int(meta, scanplan::kOrdered) != 0 || columnar->path.param_info != nullptr) return nullptr;
  // What ColumnarScan would leave to PostgreSQL's quals: it must be nothing.
  Plan* trial = columnar->methods->PlanCustomPath(root, child, columnar, make_tlist_from_pathtarget(child->reltarget),
                                                  child->baserestrictinfo, NIL);
  if (trial->qual != NIL) return nullptr;
  List* consts = NIL;
  List* specs = NIL;
  int spec[kSpecFields];
  int i = 0;
  bool grouped_by_bucket = false;
  bool grouped_by_value = false;
  ListCell* lc;
  foreach (lc, target->exprs) {
    const Index sgref = get_pathtarget_sortgroupref(target, i);
    const bool is_group = sgref != 0;
    if (!analyze_column((Expr*)lfirst(lc), is_group, child->relid, attrs, &consts, spec)) return nullptr;
    if (spec[kSpecKind] == kSpecValue && !default_equality(root, (Expr*)lfirst(lc), sgref)) return nullptr;
    grouped_by_bucket |= spec[kSpecKind] == kSpecBucket;
    grouped_by_value |= spec[kSpecKind] == kSpecValue;
    for (int v : spec) specs = lappend_int(specs, v);
    ++i;
  }
  CustomPath* path = makeNode(CustomPath);
  path->path.pathtype = T_CustomScan;
  path->path.parent = child;
  path->path.pathtarget = target;
  path->path.param_info = nullptr;
  path->path.parallel_aware = false;
  path->path.parallel_safe = false;
  path->path.parallel_workers = 0;
  path->path.pathkeys = NIL;
  path->flags = 0;
  path->custom_paths = list_make1(columnar);
  path->custom_private = list_make2(specs, consts);
  path->methods = &agg_path_methods;
  // Groups: about one per batch (more when grouped by buckets), at most one per row.
  const double batches = clamp_row_est(columnar->path.rows / 1000.0);
  // Grouped by values: per segment, about as many groups as the whole aggregation has; by a
  // bucket too, at most the chunk's buckets times the groups of the other columns in it (the
  // Finalize Aggregate sizes its hash table by the sum of these).
  double rows = grouped_by_value ? std::max(batches, groups) : batches * (grouped_by_bucket ? 4 : 1);
  if (grouped_by_value && grouped_by_bucket)
    rows = std::min(rows, chunk_bucket_groups(root, child, appinfo, target, columnar->path.rows));
  path->path.rows = clamp_row_est(std::min(columnar->path.rows, rows));
  // The scan's cost without forming tuples, plus a little per decoded value and per group.
  const double naggs = list_length(target->exprs);
  path->path.startup_cost = columnar->path.startup_cost;
  path->path.total_cost = columnar->path.total_cost - cpu_tuple_cost * columnar->path.rows +
                          0.1 * cpu_operator_cost * naggs * columnar->path.rows + cpu_tuple_cost * path->path.rows;
  if (path->path.total_cost < path->path.startup_cost) path->path.total_cost = path->path.startup_cost;
  return &path->path;
}

// PostgreSQL's Partial Aggregate over a row-store path of a chunk.
Path* partial_agg_path(PlannerInfo* root, RelOptInfo* child, AppendRelInfo* appinfo, Path* sub,
                       PathTarget* input_target, PathTarget* partial_target, const AggClauseCosts* costs,
                       double groups) {
  Query* parse = root->parse;
  Path* input = (Path*)create_projection_path(root, child, sub, input_target);
  // Grouped by a bucket: at most the chunk's buckets times the other columns' groups.
  const double ngroups =
      clamp_row_est(std::min({groups, sub->rows, chunk_bucket_groups(root, child, appinfo, partial_target, sub->rows)}));
  return (Path*)create_agg_path(root, child, input, partial_target, parse->groupClause != NIL ? AGG_HASHED : AGG_PLAIN,
                                AGGSPLIT_INITIAL_SERIAL, parse->groupClause, NIL, costs, ngroups);
}

AppendPath* find_append(RelOptInfo* rel) {
  ListCell* lc;
  foreach (lc, rel->pathlist) {
    Path* p = (Path*)lfirst(lc);
    if (IsA(p, ProjectionPath)) p = ((ProjectionPath*)p)->subpath;
    if (!IsA(p, AppendPath) || p->param_info != nullptr || p->parallel_aware || p->pathkeys != NIL) continue;
    AppendPath* ap = (AppendPath*)p;
    if (ap->subpaths == NIL || ap->first_partial_path < list_length(ap->subpaths)) continue;
    return ap;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Plan.

Plan* plan_agg(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist, List* clauses,
               List* custom_plans) {
  Plan* child = (Plan*)linitial(custom_plans);
  // A gating Result (pseudo-constant restrictions) above the ColumnarScan: this node has the same
  // one above it.
  if (IsA(child, Result) && child->qual == NIL && child->lefttree != nullptr) child = child->lefttree;
  if (!IsA(child, CustomScan) || ((CustomScan*)child)->methods != &columnar_scan_methods || child->qual != NIL)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("columnstore aggregation over an unexpected plan")));
  CustomScan* scan = (CustomScan*)child;
  List* specs = (List*)linitial(best_path->custom_private);
  List* consts = (List*)lsecond(best_path->custom_private);
  List* preds = (List*)lthird(scan->custom_private);
  const int nspecs = list_length(specs) / kSpecFields;
  bool bucket = false;
  for (int s = 0; s < nspecs; ++s) {
    const int kind = list_nth_int(specs, s * kSpecFields + kSpecKind);
    bucket |= kind == kSpecBucket || kind == kSpecValue;
  }
  // Without kernel predicates every row of a batch that passes the segment quals and the batch
  // filters is selected; without buckets or value groups a batch is one group: count(col), min and max then come
  // from the batch metadata where there is some.
  const bool meta_only = preds == NIL && !bucket;
  List* specs_out = list_copy(specs);
  List* attrs = (List*)lsecond(scan->custom_private);
  const int natts = list_length(attrs) / scanplan::kAttrFields;
  bool* decode = (bool*)palloc0(sizeof(bool) * (natts + 1));
  for (int s = 0; s < nspecs; ++s) {
    const int base = s * kSpecFields;
    const int kind = list_nth_int(specs, base + kSpecKind);
    const int attno = list_nth_int(specs, base + kSpecAttno);
    if (kind == kSpecSegment || attno <= 0 || attno > natts) continue;
    if (list_nth_int(specs, base + kSpecCompAttno) != 0) continue;  // a segment column argument
    const int agg = list_nth_int(specs, base + kSpecAggKind);
    bool use_meta = false;
    if (kind == kSpecAgg && meta_only) {
      if (agg == kCount) use_meta = list_nth_int(specs, base + kSpecNullsAttno) != 0;
      if (agg == kMin || agg == kMax)
        use_meta = list_nth_int(specs, base + kSpecMinAttno) != 0 && list_nth_int(specs, base + kSpecMaxAttno) != 0;
    }
    list_nth_cell(specs_out, base + kSpecUseMeta)->int_value = use_meta ? 1 : 0;
    if (!use_meta) decode[attno] = true;
  }
  // The scan decodes only what the aggregates read (and its predicates' columns).
  for (int attno = 1; attno <= natts; ++attno) {
    const int base = (attno - 1) * scanplan::kAttrFields;
    if (list_nth_int(attrs, base + scanplan::kRole) != scanplan::kRoleData) continue;
    list_nth_cell(attrs, base + scanplan::kNeeded)->int_value = decode[attno] ? 1 : 0;
  }
  const bool final_rows = list_length(best_path->custom_private) > 2;  // (add_final_path)
  const int meta[kMetaLen] = {meta_only ? 1 : 0, nspecs, final_rows ? 1 : 0};
  List* meta_list = NIL;
  for (int v : meta) meta_list = lappend_int(meta_list, v);

  return &agg_custom_scan(best_path, tlist, &scan->scan.plan, consts, list_make2(meta_list, specs_out), &agg_scan_methods)
              ->scan.plan;
}


// ---------------------------------------------------------------------------------------------
// Final groups per chunk.

// Whether aggregate `a` (of the final target) has a final value equal to the partial state the
// node computes (no final function, the state its result: count, sum of int2/int4, by-value min
// and max), and the node computes it.
bool final_is_state(const Aggref* a) {
  if (!plain_aggref(a)) return false;
  const int kind = agg_kind(a->aggfnoid, false);
  if (kind != kCountStar && kind != kCount && kind != kSumInt && kind != kMin && kind != kMax) return false;
  if ((kind == kMin || kind == kMax) && a->aggtype == NUMERICOID) return false;
  HeapTuple tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(a->aggfnoid));
  if (!HeapTupleIsValid(tup)) return false;
  Form_pg_aggregate agg = (Form_pg_aggregate)GETSTRUCT(tup);
  const bool ok = !OidIsValid(agg->aggfinalfn) && agg->aggtranstype == a->aggtype;
  ReleaseSysCache(tup);
  return ok;
}

// A grouping column whose equal values are equal bytes (as value_group_column's and segment
// values are compared by the node): integers, dates, timestamps, bool, uuid, and text, varchar and
// bytea under a deterministic collation.
bool bytes_grouping_type(Oid type, Oid coll) {
  switch (type) {
    case INT2OID:
    case INT4OID:
    case INT8OID:
    case DATEOID:
    case TIMESTAMPOID:
    case TIMESTAMPTZOID:
    case BOOLOID:
    case UUIDOID:
      return true;
    case TEXTOID:
    case VARCHAROID:
    case BYTEAOID:
      return !OidIsValid(coll) || get_collation_isdeterministic(coll);
    default:
      return false;
  }
}

// The final plan: when every chunk of the Append is compressed (no row part) and each group lies in
// one chunk, each chunk's ColumnstoreAggregate keeps all its groups (segment values as key words,
// no flush per segment) and emits final rows; a plain Append of them is the aggregation, without
// the partial rows' round trip through a Finalize Aggregate. A group lies in one chunk when the
// query groups by a bucket (time_bucket, date_trunc, date_bin: floor functions of their value)
// of the hypertable's time column that does not depend on the session's TimeZone, the hypertable
// has no space dimension, and the bucket of each chunk's start is that start: rows of a chunk
// ending at e have buckets below e, rows of later chunks buckets at or above e. Every other
// output column is a grouping column grouped by its bytes or an aggregate whose final value is
// its state (final_is_state). No HAVING (the Finalize Aggregate's).
// Bytes a group is reckoned to take in the node's table beyond its key and state words (the
// estimate that decides whether a chunk's groups fit in hash memory, see add_final_path).
constexpr double kFinalGroupOverhead = 64;

bool add_final_path(PlannerInfo* root, RelOptInfo* input_rel, RelOptInfo* output_rel, AppendPath* append,
                    GroupPathExtraData* ex, double groups) {
  if (!guc_enable_columnstore_agg_final || !guc_enable_columnstore_agg_pushdown || ex->havingQual != nullptr ||
      root->parse->groupClause == NIL)
    return false;
  RangeTblEntry* rte = planner_rt_fetch(input_rel->relid, root);
  if (rte->rtekind != RTE_RELATION || rte->inh == false) return false;
  Hypertable* ht = hypertable_get(rte->relid);
  if (ht == nullptr || ht->num_partitions > 0) return false;
  PathTarget* target = output_rel->reltarget;
  FuncExpr* bucket = nullptr;
  int i = 0;
  ListCell* lc;
  foreach (lc, target->exprs) {
    Expr* e = (Expr*)lfirst(lc);
    const Index sgref = get_pathtarget_sortgroupref(target, i++);
    if (sgref == 0) {
      if (!IsA(e, Aggref) || !final_is_state((Aggref*)e)) return false;
      continue;
    }
    if (plain_var((Node*)e, input_rel->relid) != nullptr) {
      // (the expression's collation: a COLLATE clause on the column is a RelabelType over it)
      if (!bytes_grouping_type(exprType((Node*)e), exprCollation((Node*)e))) return false;
      continue;
    }
    int zone = kZoneNone;
    int64 width = 0;
    if (bucket != nullptr || !IsA(e, FuncExpr) || !is_bucket_function((FuncExpr*)e, &zone, &width) || zone != kZoneNone)
      return false;
    Var* v = plain_var((Node*)lsecond(((FuncExpr*)e)->args), input_rel->relid);
    if (v == nullptr || v->varattno != ht->time_attno || v->vartype != ht->time_type) return false;
    bucket = (FuncExpr*)e;
  }
  if (bucket == nullptr) return false;
  List* subpaths = NIL;
  foreach (lc, append->subpaths) {
    Path* sub = (Path*)lfirst(lc);
    RelOptInfo* child = sub->parent;
    if (!is_columnar_path(sub) || child->reloptkind != RELOPT_OTHER_MEMBER_REL || sub->param_info != nullptr) return false;
    AppendRelInfo* appinfo = root->append_rel_array[child->relid];
    if (appinfo == nullptr || appinfo->parent_relid != input_rel->relid) return false;
    ChunkInfo chunk;
    if (!chunk_get_by_relid(planner_rt_fetch(child->relid, root)->relid, &chunk) || chunk.hypertable_id != ht->id)
      return false;
    if (chunk.range_start != core::kOpenStart) {
      // bucket(start) == start, computed as PostgreSQL would (the function is immutable here).
      FuncExpr* f = (FuncExpr*)copyObjectImpl(bucket);
      lsecond(f->args) = makeConst(ht->time_type, -1, InvalidOid, get_typlen(ht->time_type),
                                   internal_to_time_datum(chunk.range_start, ht->time_type), false, true);
      Node* folded = eval_const_expressions(root, (Node*)f);
      if (!IsA(folded, Const) || ((Const*)folded)->constisnull ||
          time_datum_to_internal(((Const*)folded)->constvalue, ht->time_type) != chunk.range_start)
        return false;
    }
    PathTarget* child_target = translate_target(root, target, appinfo);
    Path* p = make_agg_scan_path(root, child, appinfo, (CustomPath*)sub, child_target, groups);
    // (its table holds all the chunk's groups, never flushed: only when they are expected to fit
    // in hash memory, as PostgreSQL's hash aggregation plans; the partial plan's node flushes)
    if (p == nullptr ||
        p->rows * (child_target->width + kFinalGroupOverhead) > static_cast<double>(get_hash_memory_limit()))
      return false;
    CustomPath* cp = (CustomPath*)p;
    // Every grouping column of the chunk must be a segment, bucket or value column (not a
    // metadata-only plan) for the node's hash mode: at least one value column.
    List* specs = (List*)linitial(cp->custom_private);
    bool value = false;
    for (int s = 0; s < list_length(specs) / kSpecFields; ++s)
      value |= list_nth_int(specs, s * kSpecFields + kSpecKind) == kSpecValue;
    if (!value) return false;
    cp->custom_private = lappend(cp->custom_private, list_make1_int(1));  // kFinal (plan_agg)
    subpaths = lappend(subpaths, p);
  }
  if (subpaths == NIL) return false;
  AppendPath* ap = create_append_path(root, output_rel, subpaths, NIL, NIL, nullptr, 0, false, -1);
  add_path(output_rel, &ap->path);
  return true;
}
}  // namespace

namespace {

// An upper rel for the partially grouped rows of input_rel (target `partial`): PostgreSQL's own
// (if it made one) is left alone.
RelOptInfo* partial_group_rel(RelOptInfo* input_rel, PathTarget* partial, bool parallel) {
  RelOptInfo* partial_rel = makeNode(RelOptInfo);
  partial_rel->reloptkind = RELOPT_UPPER_REL;
  partial_rel->relids = bms_copy(input_rel->relids);
  partial_rel->reltarget = partial;
  partial_rel->consider_parallel = parallel;
  return partial_rel;
}

// The Finalize Aggregate of the query's grouping over `input`'s partial rows, added to output_rel.
void add_finalize_path(PlannerInfo* root, RelOptInfo* output_rel, Path* input, GroupPathExtraData* ex,
                       const AggClauseCosts* final_costs, double groups) {
  Query* parse = root->parse;
  add_path(output_rel, (Path*)create_agg_path(root, output_rel, input, output_rel->reltarget,
                                              parse->groupClause != NIL ? AGG_HASHED : AGG_PLAIN,
                                              AGGSPLIT_FINAL_DESERIAL, parse->groupClause, (List*)ex->havingQual,
                                              final_costs, groups));
}

// Rowstore chunks only: the same aggregation with the chunks' RowstoreAggregates shared by parallel
// workers (rowagg_partial_path): a Finalize Aggregate over a Gather of an Append of them, with as
// many workers as PostgreSQL gives the hypertable's own partial scan. Kept when it costs less.
void add_rowagg_parallel_path(PlannerInfo* root, RelOptInfo* input_rel, RelOptInfo* output_rel, AppendPath* append,
                              PathTarget* partial, GroupPathExtraData* ex, AggClauseCosts* final_costs, double groups) {
  if (!input_rel->consider_parallel || !output_rel->consider_parallel || input_rel->partial_pathlist == NIL) return;
  const int workers = ((Path*)linitial(input_rel->partial_pathlist))->parallel_workers;
  if (workers <= 0) return;
  List* subpaths = NIL;
  double partial_rows = 0;
  ListCell* lc;
  foreach (lc, append->subpaths) {
    RelOptInfo* child = ((Path*)lfirst(lc))->parent;
    AppendRelInfo* appinfo = root->append_rel_array[child->relid];
    Path* p = rowagg_partial_path(root, child, translate_target(root, partial, appinfo), groups, workers);
    if (p == nullptr) return;
    subpaths = lappend(subpaths, p);
    partial_rows += p->rows;
  }
  RelOptInfo* partial_rel = partial_group_rel(input_rel, partial, true);
  // Every participant runs each chunk's node in turn (a plain Append of partial paths).
  AppendPath* ap = create_append_path(root, partial_rel, NIL, subpaths, NIL, nullptr, workers, false, -1);
  double gathered = clamp_row_est(partial_rows * (workers + 1));  // each participant's groups
  Path* gather = (Path*)create_gather_path(root, partial_rel, &ap->path, partial, nullptr, &gathered);
  add_finalize_path(root, output_rel, gather, ex, final_costs, groups);
}

// The real-time tail of a continuous aggregate (the raw chunks read under `time >=
// cagg_watermark(...)`, src/caggs/query.cpp) read by a ChunkAppend: the same aggregation as a
// Finalize Aggregate over a ChunkAppend (`tail`'s ranges and startup exclusion, so chunks below the
// watermark are left out at executor start, generic plans too) of each chunk's RowstoreAggregate
// (rowagg_tail_partial_path), which computes the bucket itself and reads the heap directly when
// the chunk lies above the watermark; for a partial ChunkAppend (f-rtfull) parallel-aware ones
// under a Gather. Kept when it costs less.
void add_rowagg_tail_path(PlannerInfo* root, RelOptInfo* input_rel, RelOptInfo* output_rel, GroupPathExtraData* ex,
                          const CustomPath* tail, PathTarget* partial, double groups) {
  const bool parallel = tail->path.parallel_safe && tail->path.parallel_workers > 0;
  const int workers = parallel ? tail->path.parallel_workers : 0;
  List* subpaths = NIL;
  double partial_rows = 0;
  ListCell* lc;
  foreach (lc, tail->custom_paths) {
    // (a rowstore chunk's sequential scan: not a compressed chunk's plan)
    if (((Path*)lfirst(lc))->pathtype != T_SeqScan) return;
    RelOptInfo* child = ((Path*)lfirst(lc))->parent;
    AppendRelInfo* appinfo = root->append_rel_array[child->relid];
    if (child->reloptkind != RELOPT_OTHER_MEMBER_REL || appinfo == nullptr || appinfo->parent_relid != input_rel->relid)
      return;
    Path* p = rowagg_tail_partial_path(root, child, translate_target(root, partial, appinfo), groups, workers);
    if (p == nullptr) return;
    subpaths = lappend(subpaths, p);
    partial_rows += p->rows;
  }
  RelOptInfo* partial_rel = partial_group_rel(input_rel, partial, parallel);
  CustomPath* ca = chunk_append_path_over(tail, partial_rel, partial, subpaths);
  if (ca == nullptr) return;
  double gathered = clamp_row_est(partial_rows * (workers + 1));  // each participant's groups
  groups = clamp_row_est(std::min(groups, gathered));
  AggClauseCosts final_costs;
  memset(&final_costs, 0, sizeof final_costs);
  get_agg_clause_costs(root, AGGSPLIT_FINAL_DESERIAL, &final_costs);
  Path* input = parallel ? (Path*)create_gather_path(root, partial_rel, &ca->path, partial, nullptr, &gathered)
                         : &ca->path;
  add_finalize_path(root, output_rel, input, ex, &final_costs, groups);
}

// add_rowagg_tail_path for the ChunkAppends of input_rel: its partial one and its serial one.
void add_rowagg_tail_paths(PlannerInfo* root, RelOptInfo* input_rel, RelOptInfo* output_rel, GroupPathExtraData* ex) {
  if (!guc_rowstore_agg_realtime) return;
  const CustomPath* tails[2] = {nullptr, nullptr};
  ListCell* lc;
  for (int k = 0; k < 2; ++k) {
    foreach (lc, k == 0 ? input_rel->partial_pathlist : input_rel->pathlist) {
      Path* p = (Path*)lfirst(lc);
      if (IsA(p, ProjectionPath)) p = ((ProjectionPath*)p)->subpath;
      if (is_chunk_append_path(p) && p->param_info == nullptr && ((CustomPath*)p)->custom_paths != NIL &&
          !chunk_append_path_has_copies((CustomPath*)p) &&
          (k == 1 || (p->parallel_safe && p->parallel_workers > 0 && input_rel->consider_parallel &&
                      output_rel->consider_parallel))) {
        tails[k] = (const CustomPath*)p;
        break;
      }
    }
  }
  if (tails[0] == nullptr && tails[1] == nullptr) return;
  PathTarget* partial = make_partial_target(root, output_rel->reltarget, ex->havingQual);
  if (partial == nullptr) return;
  double groups = 1;
  foreach (lc, output_rel->pathlist) groups = std::max(groups, ((Path*)lfirst(lc))->rows);
  for (const CustomPath* tail : tails)
    if (tail != nullptr) add_rowagg_tail_path(root, input_rel, output_rel, ex, tail, partial, groups);
}

}  // namespace

void add_columnstore_agg_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                               RelOptInfo* output_rel, void* extra) {
  if ((!guc_enable_columnstore_agg_pushdown && !guc_enable_rowstore_agg && !guc_rowstore_agg_realtime) ||
      stage != UPPERREL_GROUP_AGG || extra == nullptr)
    return;
  Query* parse = root->parse;
  GroupPathExtraData* ex = (GroupPathExtraData*)extra;
  if (!parse->hasAggs || parse->groupingSets != NIL || parse->hasTargetSRFs) return;
  if (!(ex->flags & GROUPING_CAN_PARTIAL_AGG) || ex->patype != PARTITIONWISE_AGGREGATE_NONE) return;
  if (parse->groupClause != NIL && !(ex->flags & GROUPING_CAN_USE_HASH)) return;
  if (input_rel->reloptkind != RELOPT_BASEREL || output_rel->pathlist == NIL || root->append_rel_array == nullptr)
    return;
  AppendPath* append = find_append(input_rel);
  if (append == nullptr) {
    add_rowagg_tail_paths(root, input_rel, output_rel, ex);
    return;
  }
  if (!guc_enable_columnstore_agg_pushdown && !guc_enable_rowstore_agg) return;
  // Nothing to do (and nothing to spend planning time on) without a compressed chunk.
  bool has_columnar = false;
  ListCell* sc;
  foreach (sc, append->subpaths) {
    Path* sub = (Path*)lfirst(sc);
    has_columnar |= is_columnar_path(sub) || (IsA(sub, AppendPath) && ((AppendPath*)sub)->subpaths != NIL &&
                                              is_columnar_path((Path*)linitial(((AppendPath*)sub)->subpaths)));
  }
  if (!guc_enable_columnstore_agg_pushdown) has_columnar = false;
  // Rowstore chunks (and row parts) aggregated by RowstoreAggregate (rowagg.hpp) instead.
  bool rowagg = false;
  if (!has_columnar && !guc_enable_rowstore_agg) return;
  PathTarget* partial = make_partial_target(root, output_rel->reltarget, ex->havingQual);
  if (partial == nullptr) return;
  rowagg = rowagg_query_supported(root, input_rel, partial);
  if (!has_columnar && !rowagg) return;

  AggClauseCosts partial_costs;
  AggClauseCosts final_costs;
  memset(&partial_costs, 0, sizeof partial_costs);
  memset(&final_costs, 0, sizeof final_costs);
  get_agg_clause_costs(root, AGGSPLIT_INITIAL_SERIAL, &partial_costs);
  get_agg_clause_costs(root, AGGSPLIT_FINAL_DESERIAL, &final_costs);
  double groups = 1;
  ListCell* lc;
  foreach (lc, output_rel->pathlist) groups = std::max(groups, ((Path*)lfirst(lc))->rows);
  // (the final plan, when possible, is cheaper than the partial one: the same Append without the
  // Finalize Aggregate above it; not planned as well)
  if (has_columnar && add_final_path(root, input_rel, output_rel, append, ex, groups)) return;

  List* subpaths = NIL;
  bool any_columnar = false;
  foreach (lc, append->subpaths) {
    Path* sub = (Path*)lfirst(lc);
    RelOptInfo* child = sub->parent;
    if (child->reloptkind != RELOPT_OTHER_MEMBER_REL || sub->param_info != nullptr) return;
    AppendRelInfo* appinfo = root->append_rel_array[child->relid];
    if (appinfo == nullptr || appinfo->parent_relid != input_rel->relid) return;
    PathTarget* child_partial = translate_target(root, partial, appinfo);
    PathTarget* child_input = translate_target(root, input_rel->reltarget, appinfo);
    Path* columnar = nullptr;
    Path* rowpart = nullptr;
    if (!has_columnar) {
      rowpart = sub;
    } else if (is_columnar_path(sub)) {
      columnar = sub;
    } else if (IsA(sub, AppendPath) && list_length(((AppendPath*)sub)->subpaths) == 2 &&
               is_columnar_path((Path*)linitial(((AppendPath*)sub)->subpaths))) {
      columnar = (Path*)linitial(((AppendPath*)sub)->subpaths);
      rowpart = (Path*)lsecond(((AppendPath*)sub)->subpaths);
    } else {
      rowpart = sub;
    }
    if (columnar != nullptr) {
      // A chunk whose batches cannot answer (a restriction left to PostgreSQL, a column that is
      // not a segmentby column in this chunk's settings, ...) is aggregated by PostgreSQL.
      Path* p = make_agg_scan_path(root, child, appinfo, (CustomPath*)columnar, child_partial, groups);
      if (p == nullptr)
        p = partial_agg_path(root, child, appinfo, columnar, child_input, child_partial, &partial_costs, groups);
      else
        any_columnar = true;
      subpaths = lappend(subpaths, p);
    }
    if (rowpart != nullptr) {
      Path* p = rowagg ? rowagg_path(root, child, rowpart, child_partial, groups) : nullptr;
      if (p == nullptr)
        p = partial_agg_path(root, child, appinfo, rowpart, child_input, child_partial, &partial_costs, groups);
      else
        any_columnar = true;
      subpaths = lappend(subpaths, p);
    }
  }
  if (!any_columnar) return;
  // The final groups are at most the partial groups of all chunks (a bucketed aggregation's chunks
  // split the time axis): PostgreSQL's estimate of a time_bucket()'s distinct values is the time
  // column's, and the Finalize Aggregate's hash table is created (zeroed) at that size.
  double partial_groups = 0;
  foreach (lc, subpaths) partial_groups += ((Path*)lfirst(lc))->rows;
  groups = clamp_row_est(std::min(groups, partial_groups));

  // The partially grouped rel of the Append.
  RelOptInfo* partial_rel = partial_group_rel(input_rel, partial, false);
  AppendPath* ap = create_append_path(root, partial_rel, subpaths, NIL, NIL, nullptr, 0, false, -1);
  add_finalize_path(root, output_rel, &ap->path, ex, &final_costs, groups);
  if (!has_columnar) add_rowagg_parallel_path(root, input_rel, output_rel, append, partial, ex, &final_costs, groups);
}

void agg_init() {
  RegisterCustomScanMethods(&agg_scan_methods);
  rowagg_init();
}

}  // namespace strata::columnstore
