// Bitmap heap scans of a chunk whose heap is in time order (issue 16 section 2).
//
// PostgreSQL costs the heap pages of a bitmap heap scan as if the rows its index conditions keep
// were spread at random over all of the table's pages (compute_bitmap_pages: Mackert-Lohman over
// the table's page count, each page dearer the smaller the share of the table read). A chunk is
// filled in time order (COPY and inserts of current readings), so its time column's correlation
// is near 1, and rows that its index conditions bound in time lie in that range's share of the
// pages, which the scan then reads in order. Take `hostname IN (8 hosts) AND time in 8 hours`
// over a (hostname, time) index: PostgreSQL costs its bitmap scan as reading most of the chunk at
// random and prefers an index scan of the time index that filters 12 rows for each one it keeps
// (devops cpu-max-all-8: 4x the backend CPU of the bitmap scan, or a parallel plan that spreads
// that work over three processes).
//
// After the chunk's index paths are built, when its cheapest path is not already a bitmap scan of
// such an index, the bitmap heap scans of the indexes that lead with another column and have the
// time column among their keys are built again (create_index_paths over those indexes alone, into
// an empty path list, so that the scan the first pass threw away comes back) and costed with the
// pages that the time conditions among their index conditions select: PostgreSQL's own costing
// with the chunk's page count taken as that share of it, blended with its uniform estimate by the
// square of the time column's correlation, as cost_index blends an index scan's I/O (nothing is
// done below a correlation of 0.1 in magnitude). One scan per index (its bitmap scan, else one
// built from its index scan) is then offered beside the chunk's paths
// (`strata.enable_time_ordered_bitmap_costs`).
#include "planner/bitmap_cost.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/sysattr.h"
#include "catalog/pg_am_d.h"
#include "catalog/pg_statistic.h"
#include "nodes/makefuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/selfuncs.h"
}

#include <cmath>
#include <initializer_list>

namespace strata {

bool guc_enable_time_ordered_bitmap_costs = true;

namespace {

// The position of the time column among the index's key columns, or -1.
int time_key_position(const IndexOptInfo* index, AttrNumber time_attno) {
  for (int i = 0; i < index->nkeycolumns; ++i)
    if (index->indexkeys[i] == time_attno) return i;
  return -1;
}

// An index whose bitmap scans this file costs: a btree (whose conditions on a later key column
// bound the scan, unlike a BRIN or bloom index's), no predicate or expressions, led by another
// column, with the time column among its later keys.
bool candidate_index(const IndexOptInfo* index, AttrNumber time_attno) {
  return index->relam == BTREE_AM_OID && index->amhasgetbitmap && index->indpred == NIL && index->indexprs == NIL && index->nkeycolumns >= 2 &&
         index->indexkeys[0] != time_attno && time_key_position(index, time_attno) > 0;
}

// The index of an unparameterized bitmap heap scan over one index, or nullptr.
IndexPath* single_index_bitmap(Path* path) {
  if (!IsA(path, BitmapHeapPath) || path->param_info != nullptr) return nullptr;
  Path* qual = ((BitmapHeapPath*)path)->bitmapqual;
  return IsA(qual, IndexPath) ? (IndexPath*)qual : nullptr;
}

// The cheapest unparameterized path of the chunk (the path list is kept in order of total cost).
Path* cheapest_unparameterized(RelOptInfo* rel) {
  ListCell* lc;
  foreach (lc, rel->pathlist) {
    Path* p = (Path*)lfirst(lc);
    if (p->param_info == nullptr) return p;
  }
  return nullptr;
}

// Whether some restriction of the chunk reads the leading column of the index (and nothing else
// of the chunk): without one, the index's bitmap scan reads the whole time range.
bool restricts_leading_column(RelOptInfo* rel, const IndexOptInfo* index) {
  ListCell* lc;
  foreach (lc, rel->baserestrictinfo) {
    Bitmapset* attrs = nullptr;
    pull_varattnos((Node*)((RestrictInfo*)lfirst(lc))->clause, rel->relid, &attrs);
    const int lead = index->indexkeys[0] - FirstLowInvalidHeapAttributeNumber;
    const bool only_lead = bms_is_member(lead, attrs) && bms_num_members(attrs) == 1;
    bms_free(attrs);
    if (only_lead) return true;
  }
  return false;
}

// Whether some restriction of the chunk compares its time column (`Var op expr` or `expr op Var`),
// as an index condition on time would.
bool has_time_comparison(RelOptInfo* rel, AttrNumber time_attno) {
  ListCell* lc;
  foreach (lc, rel->baserestrictinfo) {
    Node* clause = (Node*)((RestrictInfo*)lfirst(lc))->clause;
    if (!IsA(clause, OpExpr) || list_length(((OpExpr*)clause)->args) != 2) continue;
    for (Node* arg : {(Node*)linitial(((OpExpr*)clause)->args), (Node*)lsecond(((OpExpr*)clause)->args)}) {
      while (IsA(arg, RelabelType)) arg = (Node*)((RelabelType*)arg)->arg;
      if (IsA(arg, Var) && ((Var*)arg)->varno == (int)rel->relid && ((Var*)arg)->varattno == time_attno &&
          ((Var*)arg)->varlevelsup == 0)
        return true;
    }
  }
  return false;
}

// The chunk's time column correlation (0 without statistics), as btcostestimate reads it:
// examine_variable asks get_relation_stats_hook first when one is set.
double time_correlation(PlannerInfo* root, RelOptInfo* rel, AttrNumber time_attno) {
  RangeTblEntry* rte = planner_rt_fetch(rel->relid, root);
  Oid type;
  int32 typmod;
  Oid collation;
  get_atttypetypmodcoll(rte->relid, time_attno, &type, &typmod, &collation);
  Var* var = makeVar(rel->relid, time_attno, type, typmod, collation, 0);
  VariableStatData vardata;
  examine_variable(root, (Node*)var, 0, &vardata);
  double correlation = 0;
  AttStatsSlot sslot;
  if (HeapTupleIsValid(vardata.statsTuple) &&
      get_attstatsslot(&sslot, vardata.statsTuple, STATISTIC_KIND_CORRELATION, InvalidOid, ATTSTATSSLOT_NUMBERS)) {
    if (sslot.nnumbers == 1) correlation = sslot.numbers[0];
    free_attstatsslot(&sslot);
  }
  ReleaseVariableStats(vardata);
  pfree(var);
  return correlation;
}

// Whether `clause` (`time op expr` or `expr op time`) compares time with a value known at planning:
// a constant, or one once parameters and stable functions are folded (a generic plan's `time >= $1`
// is not: PostgreSQL's default selectivity for it says nothing of the pages it reads).
bool bound_is_known(PlannerInfo* root, Node* clause, Index relid) {
  if (!IsA(clause, OpExpr) || list_length(((OpExpr*)clause)->args) != 2) return true;
  for (Node* arg : {(Node*)linitial(((OpExpr*)clause)->args), (Node*)lsecond(((OpExpr*)clause)->args)}) {
    Node* bare = arg;
    while (IsA(bare, RelabelType)) bare = (Node*)((RelabelType*)bare)->arg;
    if (IsA(bare, Var) && ((Var*)bare)->varno == (int)relid) continue;
    if (!IsA(estimate_expression_value(root, arg), Const)) return false;
  }
  return true;
}

// Selectivity of the index conditions of `ip` on the time column (1 when it has none, or when one
// of them compares with a value unknown at planning).
Selectivity time_condition_selectivity(PlannerInfo* root, RelOptInfo* rel, const IndexPath* ip,
                                       AttrNumber time_attno) {
  const int pos = time_key_position(ip->indexinfo, time_attno);
  List* rinfos = NIL;
  ListCell* lc;
  foreach (lc, ip->indexclauses) {
    const IndexClause* ic = (const IndexClause*)lfirst(lc);
    if (ic->indexcol != pos || ic->indexcols != NIL) continue;
    if (!bound_is_known(root, (Node*)ic->rinfo->clause, rel->relid)) return 1.0;
    rinfos = lappend(rinfos, ic->rinfo);
  }
  if (rinfos == NIL) return 1.0;
  return clauselist_selectivity(root, rinfos, rel->relid, JOIN_INNER, nullptr);
}

// Recosts the bitmap heap scan `bp` (costed by PostgreSQL) for a heap in time order; false when the
// scan's index conditions do not bound time.
bool recost_time_ordered(PlannerInfo* root, RelOptInfo* rel, BitmapHeapPath* bp, AttrNumber time_attno,
                         double correlation) {
  const IndexPath* ip = (const IndexPath*)bp->bitmapqual;
  const Selectivity share = time_condition_selectivity(root, rel, ip, time_attno);
  if (share >= 1.0) return false;
  const BlockNumber pages = rel->pages;
  BitmapHeapPath ordered = *bp;
  rel->pages = (BlockNumber)std::max(1.0, std::ceil(share * pages));
  cost_bitmap_heap_scan(&ordered.path, root, rel, nullptr, bp->bitmapqual, 1.0);
  rel->pages = pages;
  const double c2 = correlation * correlation;
  bp->path.startup_cost += c2 * (ordered.path.startup_cost - bp->path.startup_cost);
  bp->path.total_cost += c2 * (ordered.path.total_cost - bp->path.total_cost);
  return true;
}

}  // namespace

void add_time_ordered_bitmap_paths(PlannerInfo* root, RelOptInfo* rel, AttrNumber time_attno) {
  if (!guc_enable_time_ordered_bitmap_costs || rel->pages < 2 || rel->lateral_relids != nullptr ||
      rel->baserestrictinfo == NIL || time_attno <= 0 || !has_time_comparison(rel, time_attno))
    return;
  Path* cheapest = cheapest_unparameterized(rel);
  IndexPath* cheapest_bitmap = cheapest != nullptr ? single_index_bitmap(cheapest) : nullptr;
  List* candidates = NIL;
  ListCell* lc;
  foreach (lc, rel->indexlist) {
    IndexOptInfo* index = (IndexOptInfo*)lfirst(lc);
    if (!candidate_index(index, time_attno)) continue;
    if (cheapest_bitmap != nullptr && cheapest_bitmap->indexinfo == index) return;  // already chosen
    if (restricts_leading_column(rel, index)) candidates = lappend(candidates, index);
  }
  if (candidates == NIL) return;
  // (a shuffled heap's correlation is small but rarely 0: below 0.1 the blend moves the cost by
  // under 1%, not worth a second pass)
  const double correlation = time_correlation(root, rel, time_attno);
  if (correlation * correlation < 0.01) return;

  // The candidates' paths on their own (the first pass's bitmap scan lost to another path there).
  List* pathlist = rel->pathlist;
  List* partial_pathlist = rel->partial_pathlist;
  List* indexlist = rel->indexlist;
  rel->pathlist = NIL;
  rel->partial_pathlist = NIL;
  rel->indexlist = candidates;
  create_index_paths(root, rel);
  List* built = rel->pathlist;
  rel->pathlist = pathlist;
  rel->partial_pathlist = partial_pathlist;
  rel->indexlist = indexlist;

  // One path per index: its bitmap scan, else one built from its (forward or backward) index scan,
  // which beat the bitmap scan in the pass above. (Chosen before add_path, which frees the
  // bitmap paths it rejects.)
  List* indexes = NIL;
  List* chosen = NIL;
  for (const bool bitmap : {true, false}) {
    foreach (lc, built) {
      Path* p = (Path*)lfirst(lc);
      IndexPath* ip = bitmap ? single_index_bitmap(p) : nullptr;
      if (!bitmap && IsA(p, IndexPath) && p->pathtype == T_IndexScan && p->param_info == nullptr &&
          ((IndexPath*)p)->indexclauses != NIL)
        ip = (IndexPath*)p;
      if (ip == nullptr || list_member_ptr(indexes, ip->indexinfo)) continue;
      indexes = lappend(indexes, ip->indexinfo);
      chosen = lappend(chosen, p);
    }
  }
  foreach (lc, chosen) {
    Path* p = (Path*)lfirst(lc);
    BitmapHeapPath* bp = IsA(p, BitmapHeapPath) ? (BitmapHeapPath*)p
                                                 : create_bitmap_heap_path(root, rel, p, nullptr, 1.0, 0);
    if (recost_time_ordered(root, rel, bp, time_attno, correlation)) add_path(rel, &bp->path);
  }
  list_free(indexes);
  list_free(chosen);
}

}  // namespace strata
