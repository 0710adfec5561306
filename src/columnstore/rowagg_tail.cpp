// RowstoreAggregate over a ChunkAppend (rowagg.hpp, add_rowagg_tail_paths): the aggregation of a
// hypertable whose chunks are read by bitmap heap scans under a ChunkAppend that excludes chunks at
// executor start (the real-time tail of a continuous aggregate filtered on an indexed column, say
// one account: `time >= cagg_watermark(...) AND account_id = ...`). PostgreSQL's plan is a
// HashAggregate over a Result computing the bucket over the ChunkAppend; this one is a Finalize
// Aggregate over one RowstoreAggregate whose child is the ChunkAppend: the node asks the
// ChunkAppend for the children that survived its exclusion and reads each bitmap heap scan child's
// TID bitmap itself (rowagg_exec.cpp, "Bitmap heap scan children"): exact pages that are
// all-visible without per-tuple visibility checks, the tuples deformed straight from the page up
// to the last column it needs, no slot, no projection and no expression per row. C-style glue.
#include <algorithm>

#include "columnstore/agg.hpp"
#include "columnstore/rowagg.hpp"
#include "pg/pg.hpp"
#include "planner/chunk_append.hpp"

extern "C" {
#include "optimizer/pathnode.h"
#include "optimizer/prep.h"
#include "optimizer/optimizer.h"
}

namespace strata::columnstore {

bool guc_rowstore_agg_tail = true;

namespace {

// The ChunkAppend path of `rel` (below the projection that computes the grouping expressions)
// when most of its estimated rows come from bitmap heap scan children (which the node reads
// itself; it pulls the others' rows through their nodes, no faster than PostgreSQL's
// aggregation), or NULL. (Not one with plan copies, the tiny real-time tail's: its copies have no
// paths to count, and its few rows are aggregated by PostgreSQL.)
Path* bitmap_chunk_append(RelOptInfo* rel) {
  ListCell* lc;
  foreach (lc, rel->pathlist) {
    Path* p = (Path*)lfirst(lc);
    if (IsA(p, ProjectionPath)) p = ((ProjectionPath*)p)->subpath;
    if (!is_chunk_append_path(p) || p->param_info != nullptr || p->parallel_aware ||
        chunk_append_path_has_copies((CustomPath*)p))
      continue;
    double bitmap_rows = 0;
    double rows = 0;
    ListCell* sc;
    foreach (sc, ((CustomPath*)p)->custom_paths) {
      Path* sub = (Path*)lfirst(sc);
      rows += sub->rows;
      if (IsA(sub, BitmapHeapPath) && !sub->parallel_aware && sub->param_info == nullptr) bitmap_rows += sub->rows;
    }
    if (bitmap_rows > 0 && bitmap_rows >= 0.5 * rows) return p;
  }
  return nullptr;
}

}  // namespace

void add_rowagg_tail_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel, RelOptInfo* output_rel,
                           void* extra) {
  if (!guc_rowstore_agg_tail || stage != UPPERREL_GROUP_AGG || extra == nullptr) return;
  Query* parse = root->parse;
  GroupPathExtraData* ex = (GroupPathExtraData*)extra;
  if (!parse->hasAggs || parse->groupingSets != NIL || parse->hasTargetSRFs) return;
  if (!(ex->flags & GROUPING_CAN_PARTIAL_AGG) || ex->patype != PARTITIONWISE_AGGREGATE_NONE) return;
  if (parse->groupClause != NIL && !(ex->flags & GROUPING_CAN_USE_HASH)) return;
  if (input_rel->reloptkind != RELOPT_BASEREL || output_rel->pathlist == NIL) return;
  Path* append = bitmap_chunk_append(input_rel);
  if (append == nullptr) return;
  PathTarget* partial = make_partial_target(root, output_rel->reltarget, ex->havingQual);
  if (partial == nullptr) return;
  double groups = 1;
  ListCell* lc;
  foreach (lc, output_rel->pathlist) groups = std::max(groups, ((Path*)lfirst(lc))->rows);
  Path* agg = rowagg_append_path(root, input_rel, append, partial, groups);
  if (agg == nullptr) return;
  AggClauseCosts final_costs;
  memset(&final_costs, 0, sizeof final_costs);
  get_agg_clause_costs(root, AGGSPLIT_FINAL_DESERIAL, &final_costs);
  RelOptInfo* partial_rel = makeNode(RelOptInfo);
  partial_rel->reloptkind = RELOPT_UPPER_REL;
  partial_rel->relids = bms_copy(input_rel->relids);
  partial_rel->reltarget = partial;
  partial_rel->consider_parallel = false;
  agg->parent = partial_rel;
  add_path(output_rel, (Path*)create_agg_path(root, output_rel, agg, output_rel->reltarget,
                                              parse->groupClause != NIL ? AGG_HASHED : AGG_PLAIN,
                                              AGGSPLIT_FINAL_DESERIAL, parse->groupClause, (List*)ex->havingQual,
                                              &final_costs, std::min(groups, agg->rows)));
}

}  // namespace strata::columnstore
