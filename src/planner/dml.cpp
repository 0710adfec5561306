// Result relations, row marks and junk columns for UPDATE, DELETE, MERGE and row locks on
// hypertables that strata expands (see dml.hpp).
#include "planner/dml.hpp"

extern "C" {
#include "access/sysattr.h"
#include "nodes/makefuncs.h"
#include "optimizer/planner.h"
#include "optimizer/prep.h"
#include "parser/parsetree.h"
}

namespace strata {

namespace {

bool has_junk_column(PlannerInfo* root, const char* name) {
  ListCell* lc;
  foreach (lc, root->processed_tlist) {
    TargetEntry* tle = (TargetEntry*)lfirst(lc);
    if (tle->resjunk && tle->resname != nullptr && strcmp(tle->resname, name) == 0) return true;
  }
  return false;
}

void add_tableoid_junk_column(PlannerInfo* root, Index rti, const char* name) {
  if (has_junk_column(root, name)) return;
  Var* var = makeVar(rti, TableOidAttributeNumber, OIDOID, -1, InvalidOid, 0);
  TargetEntry* tle = makeTargetEntry((Expr*)var, list_length(root->processed_tlist) + 1, pstrdup(name), true);
  root->processed_tlist = lappend(root->processed_tlist, tle);
}

bool is_dml(CmdType cmd) { return cmd == CMD_UPDATE || cmd == CMD_DELETE || cmd == CMD_MERGE; }

// One column set of the parent renumbered for the child: system columns keep their numbers; a
// whole-row reference stands for every inherited column. (`same_places`: every column of the
// child is the parent's of the same number.)
Bitmapset* translate_columns(const Bitmapset* parent_cols, const AppendRelInfo* appinfo, bool same_places) {
  if (parent_cols == nullptr) return nullptr;
  constexpr int kOffset = FirstLowInvalidHeapAttributeNumber;
  const bool whole_row = bms_is_member(InvalidAttrNumber - kOffset, parent_cols);
  if (same_places && !whole_row) return bms_copy(parent_cols);
  Bitmapset* out = nullptr;
  int m = -1;
  while ((m = bms_next_member(parent_cols, m)) >= 0 && m + kOffset < 0) out = bms_add_member(out, m);
  AttrNumber parent_attno = 0;
  ListCell* lc;
  foreach (lc, appinfo->translated_vars) {
    ++parent_attno;
    Var* var = (Var*)lfirst(lc);
    if (var == nullptr) continue;  // dropped in the parent
    if (whole_row || bms_is_member(parent_attno - kOffset, parent_cols))
      out = bms_add_member(out, var->varattno - kOffset);
  }
  return out;
}

}  // namespace

void prepare_dml_hypertable_rel(PlannerInfo* root, Index rti) {
  Query* parse = root->parse;
  if (is_dml(parse->commandType) && (int)rti == parse->resultRelation)
    add_tableoid_junk_column(root, rti, "tableoid");
  PlanRowMark* rc = get_plan_rowmark(root->rowMarks, rti);
  if (rc != nullptr && rc->rti == rti && !rc->isParent) {
    // The executor ignores a parent's mark (it locks and rechecks through the chunks' marks),
    // and finds each row's chunk by this column.
    rc->isParent = true;
    char name[32];
    snprintf(name, sizeof(name), "tableoid%u", rc->rowmarkId);
    add_tableoid_junk_column(root, rti, name);
  }
}

bool register_dml_chunk(PlannerInfo* root, Index parent_rti, Index chunk_rti, RangeTblEntry* chunk_rte) {
  bool dml = false;
  if (bms_is_member(parent_rti, root->all_result_relids) && is_dml(root->parse->commandType)) {
    // grouping_planner makes a ModifyTable with these as its result relations (translating
    // update_colnos, WITH CHECK OPTIONs, RETURNING and MERGE actions through the AppendRelInfo),
    // and the hypertable as its root relation (statement triggers). The hypertable itself, which
    // subquery_planner took for a leaf since it had no inheritance then, is no leaf: its table is
    // always empty (a trigger routes what reaches it), and expansion does not scan it.
    root->all_result_relids = bms_add_member(root->all_result_relids, chunk_rti);
    root->leaf_result_relids = bms_del_member(root->leaf_result_relids, parent_rti);
    root->leaf_result_relids = bms_add_member(root->leaf_result_relids, chunk_rti);
    dml = true;
  }
  PlanRowMark* parent_rc = get_plan_rowmark(root->rowMarks, parent_rti);
  if (parent_rc != nullptr) {
    PlanRowMark* rc = makeNode(PlanRowMark);
    rc->rti = chunk_rti;
    rc->prti = parent_rti;
    rc->rowmarkId = parent_rc->rowmarkId;
    rc->markType = select_rowmark_type(chunk_rte, parent_rc->strength);
    rc->allMarkTypes = 1 << rc->markType;
    rc->strength = parent_rc->strength;
    rc->waitPolicy = parent_rc->waitPolicy;
    rc->isParent = false;
    parent_rc->allMarkTypes |= rc->allMarkTypes;
    root->rowMarks = lappend(root->rowMarks, rc);
    dml = true;
  }
  return dml;
}

void translate_chunk_columns(const RangeTblEntry* parent, RangeTblEntry* chunk, const AppendRelInfo* appinfo,
                             bool same_places) {
  chunk->selectedCols = translate_columns(parent->selectedCols, appinfo, same_places);
  chunk->insertedCols = translate_columns(parent->insertedCols, appinfo, same_places);
  chunk->updatedCols = translate_columns(parent->updatedCols, appinfo, same_places);
  chunk->extraUpdatedCols = translate_columns(parent->extraUpdatedCols, appinfo, same_places);
}

}  // namespace strata
