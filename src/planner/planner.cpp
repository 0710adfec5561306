// Query planning over hypertables: the planner handler that takes hypertable scans away from
// PostgreSQL's inheritance expansion, and the set_rel_pathlist handler that expands them to only
// the chunks their time predicates can match, with Append / ChunkAppend paths over them.
#include "planner/planner.hpp"

#include <algorithm>
#include <cmath>

#include "catalog/chunks.hpp"
#include "core/time/chunk_range.hpp"
#include "pg/guard.hpp"
#include "pg/pg.hpp"
#include "planner/bitmap_cost.hpp"
#include "planner/chunk_append.hpp"
#include "planner/chunk_merge.hpp"
#include "planner/dml.hpp"
#include "planner/realtime_union.hpp"
#include "planner/restrict.hpp"
#include "planner/skip_scan.hpp"

extern "C" {
#include "access/nbtree.h"
#include "catalog/dependency.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/plancat.h"
#include "optimizer/planner.h"
#include "optimizer/prep.h"
#include "rewrite/rewriteManip.h"
#include "parser/parsetree.h"
#include "optimizer/tlist.h"
#include "utils/fmgroids.h"
#include "utils/selfuncs.h"
#include "utils/timestamp.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
}

namespace strata {

bool guc_enable_chunk_exclusion = true;
bool guc_enable_ordered_append = true;
bool guc_enable_runtime_exclusion = true;
bool guc_enable_parallel_chunk_append = true;
bool guc_enable_chunk_index_sharing = true;
bool guc_enable_chunk_path_cloning = true;
bool guc_enable_chunk_plan_copies = true;
CompressedChunkPathsFn compressed_chunk_paths = nullptr;
CompressedChunkRelFn compressed_chunk_rel = nullptr;
CompressedChunkDmlFn compressed_chunk_dml = nullptr;
CompressedCopyTemplateFn compressed_copy_template = nullptr;
CompressedCopyMatchFn compressed_copy_match = nullptr;
CompressedPlanCopyFn compressed_plan_copy = nullptr;

namespace {

// RTEs of hypertables whose expansion strata took over carry this in ctename (unused for
// RTE_RELATION entries; copied along with the RTE).
const char kExpandMarker[] = "strata_expand_hypertable";

// ... and those left to PostgreSQL's expansion on purpose (row-locking cursors) carry this one, so
// that take_over_late_rte does not take them after all.
const char kLeaveMarker[] = "strata_leave_hypertable";

// Hypertables read alone by a SELECT level without row marks carry this one and keep `inh` until
// get_relation_info has built their rel as an inheritance parent (see take_over_late_rte), which
// then takes them over like a marked one.
const char kDeferMarker[] = "strata_expand_hypertable_deferred";

bool rte_is_deferred(const RangeTblEntry* rte) {
  return rte->rtekind == RTE_RELATION && rte->ctename != nullptr && strcmp(rte->ctename, kDeferMarker) == 0;
}

// Whether the join tree reads nothing but relation `relid` (FromExprs of one item each, as a view
// or another sub-query pulled up into a query of its own leaves them).
bool jointree_reads_only(Node* node, Index relid) {
  while (node != nullptr && IsA(node, FromExpr) && list_length(((FromExpr*)node)->fromlist) == 1)
    node = (Node*)linitial(((FromExpr*)node)->fromlist);
  return node != nullptr && IsA(node, RangeTblRef) && (Index)((RangeTblRef*)node)->rtindex == relid;
}

bool rte_is_left(const RangeTblEntry* rte) {
  return rte->rtekind == RTE_RELATION && rte->ctename != nullptr && strcmp(rte->ctename, kLeaveMarker) == 0;
}

bool rte_is_marked(const RangeTblEntry* rte) {
  return rte->rtekind == RTE_RELATION && rte->ctename != nullptr &&
         strcmp(rte->ctename, kExpandMarker) == 0;
}

// ---------------------------------------------------------------------------------------------
// Planner handler: marking.

// Walks the sub-queries of `q`. Without sublinks, sub-queries can only be range-table subqueries
// and CTEs, so the expressions (e.g. the rows of a 1,000-row VALUES list) are not walked at all.
bool walk_subqueries(Query* q, bool (*walker)(Node*, void*), void* context) {
  if (q->hasSubLinks) return query_tree_walker(q, (bool (*)())walker, context, 0);
  ListCell* lc;
  foreach (lc, q->rtable) {
    RangeTblEntry* rte = (RangeTblEntry*)lfirst(lc);
    if (rte->rtekind == RTE_SUBQUERY && walker((Node*)rte->subquery, context)) return true;
  }
  foreach (lc, q->cteList) {
    CommonTableExpr* cte = (CommonTableExpr*)lfirst(lc);
    if (walker(cte->ctequery, context)) return true;
  }
  return false;
}

// True if some query level locks rows (FOR UPDATE/SHARE).
bool has_row_marks_walker(Node* node, void* context) {
  if (node == nullptr) return false;
  if (IsA(node, Query)) {
    Query* q = (Query*)node;
    if (q->rowMarks != NIL) return true;
    return walk_subqueries(q, has_row_marks_walker, context);
  }
  return expression_tree_walker(node, (bool (*)())has_row_marks_walker, context);
}

void mark_query_rtes(Query* q, bool leave) {
  ListCell* lc;
  int rti = 0;
  foreach (lc, q->rtable) {
    RangeTblEntry* rte = (RangeTblEntry*)lfirst(lc);
    ++rti;
    if (rte->rtekind != RTE_RELATION || !rte->inh || rte->relkind != RELKIND_RELATION) continue;
    if (rte->tablesample != nullptr) continue;
    // INSERT into a hypertable goes through ChunkDispatch (src/ingest); the target of UPDATE,
    // DELETE and MERGE is expanded like any other hypertable, its chunks becoming the result
    // relations (dml.hpp).
    if (rti == q->resultRelation && q->commandType == CMD_INSERT) continue;
    if (!is_hypertable(rte->relid)) continue;
    if (leave) {
      rte->ctename = pstrdup(kLeaveMarker);
      continue;
    }
    if (q->commandType == CMD_SELECT && q->rowMarks == NIL && jointree_reads_only((Node*)q->jointree, (Index)rti)) {
      rte->ctename = pstrdup(kDeferMarker);
      continue;
    }
    rte->inh = false;
    rte->ctename = pstrdup(kExpandMarker);
  }
}

bool mark_walker(Node* node, void* context) {
  if (node == nullptr) return false;
  if (IsA(node, Query)) {
    Query* q = (Query*)node;
    mark_query_rtes(q, *(bool*)context);
    return walk_subqueries(q, mark_walker, context);
  }
  return expression_tree_walker(node, (bool (*)())mark_walker, context);
}

}  // namespace

bool rte_is_taken_over_hypertable(const RangeTblEntry* rte) { return rte_is_marked(rte); }

void mark_hypertable_rtes(const pg::PlannerCall* call) {
  Query* parse = call->parse;
  if (!guc_enable_chunk_exclusion || parse->commandType == CMD_UTILITY || !extension_is_active()) return;
  // A cursor that locks rows (DECLARE ... FOR UPDATE, PL/pgSQL cursors: CURSOR_OPT_FAST_PLAN) may
  // be the target of UPDATE/DELETE ... WHERE CURRENT OF, which PostgreSQL resolves through the
  // cursor's row mark of each chunk the DML plans; only PostgreSQL's inheritance expansion gives
  // it a mark on every chunk, so such cursors keep it.
  bool leave = (call->cursor_options & CURSOR_OPT_FAST_PLAN) != 0 && has_row_marks_walker((Node*)parse, nullptr);
  mark_walker((Node*)parse, &leave);
}

// PostgreSQL plans a marked hypertable's own table (empty: its rows are in its chunks) like any
// table before set_rel_pathlist hands the rel to expansion, which throws those paths away: for
// each of the hypertable's indexes the index paths, with btree cost estimates from statistics it
// does not have, about as much work as planning one more chunk. The indexes are hidden from it
// (`rel->indexlist`, kept in `rel->fdw_private`, which only foreign tables use) from
// get_relation_info until expand_hypertable_rel puts them back, so that joins planned afterwards
// still prove uniqueness from them. Only in SELECTs whose join tree (at this query level) has no
// join but inner joins: join removal and semi-join reduction, which run in between, prove
// uniqueness of the inner side of LEFT and SEMI joins from those indexes.
namespace {

const char kHiddenIndexesMarker[] = "strata_hidden_indexes";

bool jointree_has_non_inner_join(Node* node) {
  if (node == nullptr) return false;
  if (IsA(node, FromExpr)) {
    ListCell* lc;
    foreach (lc, ((FromExpr*)node)->fromlist)
      if (jointree_has_non_inner_join((Node*)lfirst(lc))) return true;
    return false;
  }
  if (IsA(node, JoinExpr)) {
    JoinExpr* j = (JoinExpr*)node;
    return j->jointype != JOIN_INNER || jointree_has_non_inner_join(j->larg) ||
           jointree_has_non_inner_join(j->rarg);
  }
  return false;
}

void hide_hypertable_indexes(PlannerInfo* root, RelOptInfo* rel) {
  if (rel->indexlist == NIL || rel->fdw_private != nullptr || rel->fdwroutine != nullptr) return;
  if (root->parse->commandType != CMD_SELECT || jointree_has_non_inner_join((Node*)root->parse->jointree))
    return;
  rel->fdw_private = list_make2(makeString(pstrdup(kHiddenIndexesMarker)), rel->indexlist);
  rel->indexlist = NIL;
}

void restore_hypertable_indexes(PlannerInfo* root, RelOptInfo* rel) {
  List* stash = (List*)rel->fdw_private;
  if (stash == nullptr || !IsA(stash, List) || list_length(stash) != 2 || !IsA(linitial(stash), String) ||
      strcmp(strVal(linitial(stash)), kHiddenIndexesMarker) != 0)
    return;
  rel->indexlist = (List*)lsecond(stash);
  rel->fdw_private = nullptr;
  // (partial indexes: whether the restrictions imply their predicates, as set_plain_rel_size
  // would have found)
  check_index_predicates(root, rel);
}

}  // namespace

namespace {

// Whether the hypertable's own table, built as an inheritance parent (no index list, no size
// estimate), is all the query needs of it: a SELECT of this one relation, without joins (whose
// uniqueness proofs and foreign-key estimates use the parent's indexes and keys) and without row
// marks, on a hypertable without a one-column unique index (which makes estimates of that column
// take it as distinct: has_unique_index; kept with the hypertable cache's entry).
bool parent_needs_no_indexes(PlannerInfo* root, Oid relid, RelOptInfo* rel) {
  Query* parse = root->parse;
  if (rel->reloptkind != RELOPT_BASEREL || parse->commandType != CMD_SELECT || parse->rowMarks != NIL ||
      root->rowMarks != NIL || !jointree_reads_only((Node*)parse->jointree, rel->relid))
    return false;
  return !has_one_column_unique_index(relid);
}

// The column widths set_rel_width would find for the hypertable's own table, filled in before it
// asks: with no statistics of that (empty) table, the types' average widths, kept in the
// hypertable cache. set_rel_width then looks up neither pg_statistic nor the type of each column
// of the parent, whose widths the expansion replaces with its chunks' (set_parent_size) anyway.
// Not with a get_attavgwidth_hook (another extension's widths), and a parent that kept statistics
// of rows it held before create_hypertable(migrate_data => true) moved them out gets the types'
// widths instead of those stale ones (they matter only when every chunk is excluded).
void prefill_parent_widths(Oid relid, RelOptInfo* rel) {
  if (get_attavgwidth_hook != nullptr) return;
  int natts = 0;
  const int32* widths = hypertable_type_widths(relid, &natts);
  if (widths == nullptr) return;
  for (int a = 1; a <= natts && a <= rel->max_attr; ++a)
    if (rel->attr_widths[a - rel->min_attr] == 0) rel->attr_widths[a - rel->min_attr] = widths[a - 1];
}

}  // namespace

// Hypertable RTEs that appear only during planning (bodies of inlined SQL functions) escape the
// walk above; they are taken over when their rel is built, which is still before PostgreSQL
// expands inheritance (add_other_rels_to_query). Every taken-over hypertable that is a DML target
// or row-locked gets its junk columns here, before PostgreSQL builds the rels' target lists.
// Deferred RTEs (SELECT levels) arrive here as inheritance parents: get_relation_info skipped the
// hypertable's indexes (index_open, IndexOptInfo, a size lookup per index) and its size estimate,
// which the expansion throws away. When the query needs the indexes after all
// (parent_needs_no_indexes), the rel is built again as a plain relation.
void take_over_late_rte(PlannerInfo* root, Oid relid, bool inhparent, RelOptInfo* rel) {
  if (rel->reloptkind != RELOPT_BASEREL && rel->reloptkind != RELOPT_OTHER_MEMBER_REL) return;
  RangeTblEntry* rte = root->simple_rte_array[rel->relid];
  if (rte == nullptr || rte->rtekind != RTE_RELATION) return;
  if (rte_is_deferred(rte)) {
    rte->ctename = pstrdup(kExpandMarker);
    if (inhparent) {
      rte->inh = false;
      if (!parent_needs_no_indexes(root, relid, rel) && !realtime_member_needs_no_indexes(root, relid, rel))
        get_relation_info(root, relid, false, rel);
      prefill_parent_widths(relid, rel);
      return;
    }
    // (no chunks: subquery_planner cleared inh, and the rel was built as a plain relation)
  }
  if (rte_is_marked(rte)) {
    if (!rte->inh && rel->reloptkind == RELOPT_BASEREL) prepare_dml_hypertable_rel(root, rel->relid);
    if (!rte->inh) hide_hypertable_indexes(root, rel);
    return;
  }
  if (!inhparent || !guc_enable_chunk_exclusion) return;
  if (!rte->inh || rte->relkind != RELKIND_RELATION || rte->tablesample != nullptr || rte_is_left(rte)) return;
  Query* parse = root->parse;
  if (parse->commandType == CMD_INSERT && (int)rel->relid == parse->resultRelation) return;
  if (!extension_is_active() || !is_hypertable(relid)) return;
  rte->inh = false;
  rte->ctename = pstrdup(kExpandMarker);
  if (rel->reloptkind == RELOPT_BASEREL) prepare_dml_hypertable_rel(root, rel->relid);
  hide_hypertable_indexes(root, rel);
}

namespace {

// ---------------------------------------------------------------------------------------------
// Expansion.

struct ChildRel {
  RelOptInfo* rel;    // nullptr for a chunk planned as a copy of another's plan
  int64 range_start;
  int64 range_end;
  int64 space_start;  // the chunk's hash slice
  int64 space_end;
  const ChunkPlanCopy* copy = nullptr;
};

// The chunks the plan-time set allows, ascending by range and without duplicates. (The catalog
// returns descending order cheapest; Lists are arrays, so walking one backwards is free.) A set of
// many intervals (a long IN list) is looked up as its hull in one catalog scan and filtered.
constexpr int kMaxLookupsPerSet = 16;

List* chunks_for_set(const Hypertable* ht, TimeSet set) {
  const bool hull = set.all || set.n > kMaxLookupsPerSet;
  const int nlookups = hull ? (set.all || set.n > 0 ? 1 : 0) : set.n;
  List* result = NIL;
  const ChunkInfo* last = nullptr;
  for (int i = 0; i < nlookups; ++i) {
    int64 lo, hi;
    if (set.all) {
      lo = INT64_MIN;
      hi = INT64_MAX;
    } else if (hull) {
      lo = set.iv[0].lo;
      hi = set.iv[set.n - 1].hi;
    } else {
      lo = set.iv[i].lo;
      hi = set.iv[i].hi;
    }
    List* part = chunk_list_overlapping(ht, lo, hi, false);
    for (int k = list_length(part) - 1; k >= 0; --k) {
      ChunkInfo* c = (ChunkInfo*)list_nth(part, k);
      if (hull && !time_set_overlaps(set, c->range_start, c->range_end)) continue;
      // Intervals are sorted and disjoint, so a chunk met twice is met after the last one taken
      // (or is that one), in (range start, hash slice) order.
      if (last != nullptr && (c->range_start < last->range_start ||
                              (c->range_start == last->range_start && c->space_start <= last->space_start)))
        continue;
      result = lappend(result, c);
      last = c;
    }
  }
  return result;
}

// Locks the chunks (in range order, like PostgreSQL locks inheritance children) and drops any
// that disappeared before we got the lock.
List* lock_chunks(List* chunks, LOCKMODE lockmode) {
  List* live = NIL;
  ListCell* lc;
  foreach (lc, chunks) {
    ChunkInfo* c = (ChunkInfo*)lfirst(lc);
    if (!OidIsValid(c->relid)) continue;
    LockRelationOid(c->relid, lockmode);
    if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(c->relid))) {
      UnlockRelationOid(c->relid, lockmode);
      continue;
    }
    live = lappend(live, c);
  }
  return live;
}

// Whether every chunk (ChunkInfo*) of the list ends at or below `end`.
bool all_chunks_end_by(List* chunks, int64 end) {
  ListCell* lc;
  foreach (lc, chunks)
    if (((ChunkInfo*)lfirst(lc))->range_end > end) return false;
  return true;
}

// Whether the chunk's columns are the hypertable's in the same places (names, types, typmods and
// collations, none dropped): make_append_rel_info's translation would be the identity.
bool same_column_places(TupleDesc parent, TupleDesc chunk) {
  if (parent->natts != chunk->natts) return false;
  for (int i = 0; i < parent->natts; ++i) {
    const Form_pg_attribute p = TupleDescAttr(parent, i);
    const Form_pg_attribute c = TupleDescAttr(chunk, i);
    if (p->attisdropped || c->attisdropped || p->atttypid != c->atttypid || p->atttypmod != c->atttypmod ||
        p->attcollation != c->attcollation || strcmp(NameStr(p->attname), NameStr(c->attname)) != 0)
      return false;
  }
  return true;
}

bool selects_whole_row(const RangeTblEntry* rte) {
  const int whole_row = InvalidAttrNumber - FirstLowInvalidHeapAttributeNumber;
  return bms_is_member(whole_row, rte->selectedCols) || bms_is_member(whole_row, rte->insertedCols) ||
         bms_is_member(whole_row, rte->updatedCols) || bms_is_member(whole_row, rte->extraUpdatedCols);
}

// Adds the range table entry and AppendRelInfo for one chunk; returns its RT index. With
// `defer_appinfo` (chunks an ordered LIMIT may plan as copies, which need no AppendRelInfo), a
// chunk whose columns are the hypertable's in the same places gets none yet: ensure_chunk_appinfo
// adds it if the chunk is planned after all.
Index add_chunk_rte(PlannerInfo* root, RangeTblEntry* parent_rte, Index parent_rti,
                    Relation parent_rel, Oid chunk_relid, bool defer_appinfo) {
  Relation child_rel = table_open(chunk_relid, NoLock);
  RangeTblEntry* rte = makeNode(RangeTblEntry);
  memcpy(rte, parent_rte, sizeof(RangeTblEntry));
  rte->relid = chunk_relid;
  rte->relkind = RELKIND_RELATION;
  rte->inh = false;
  rte->ctename = nullptr;
  // Permissions (and row security) are checked on the hypertable only; the column sets stay
  // for the executor's use (UPDATE OF triggers, generated columns).
  compat::rte_clear_required_perms(rte);
  rte->securityQuals = NIL;
  root->parse->rtable = lappend(root->parse->rtable, rte);
  Index rti = list_length(root->parse->rtable);

  if (defer_appinfo && !selects_whole_row(parent_rte) &&
      same_column_places(RelationGetDescr(parent_rel), RelationGetDescr(child_rel))) {
    translate_chunk_columns(parent_rte, rte, nullptr, true);
    rte->alias = rte->eref = parent_rte->eref;
    root->simple_rte_array[rti] = rte;
    table_close(child_rel, NoLock);
    return rti;
  }
  AppendRelInfo* appinfo = make_append_rel_info(parent_rel, child_rel, parent_rti, rti);
  root->append_rel_list = lappend(root->append_rel_list, appinfo);
  // Column aliases as the query named the hypertable's columns, so EXPLAIN prints the same
  // names for the chunk's columns; the table alias is the hypertable's. A chunk whose columns
  // are the hypertable's in the same places (the usual case) shares the hypertable's aliases.
  TupleDesc desc = RelationGetDescr(child_rel);
  List* parent_colnames = parent_rte->eref->colnames;
  bool same_places = desc->natts == list_length(parent_colnames);
  for (int i = 0; same_places && i < desc->natts; ++i) same_places = appinfo->parent_colnos[i] == i + 1;
  translate_chunk_columns(parent_rte, rte, appinfo, same_places);
  if (same_places) {
    rte->alias = rte->eref = parent_rte->eref;
    root->simple_rte_array[rti] = rte;
    root->append_rel_array[rti] = appinfo;
    table_close(child_rel, NoLock);
    return rti;
  }
  List* colnames = NIL;
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    const char* name;
    if (att->attisdropped)
      name = "";
    else if (appinfo->parent_colnos[i] > 0 &&
             appinfo->parent_colnos[i] <= list_length(parent_colnames))
      name = strVal(list_nth(parent_colnames, appinfo->parent_colnos[i] - 1));
    else
      name = NameStr(att->attname);
    colnames = lappend(colnames, makeString(pstrdup(name)));
  }
  rte->alias = rte->eref = makeAlias(parent_rte->eref->aliasname, colnames);

  root->simple_rte_array[rti] = rte;
  root->append_rel_array[rti] = appinfo;
  table_close(child_rel, NoLock);
  return rti;
}

// The chunk's target list: the hypertable's translated. When every entry is a plain column of the
// hypertable (a user column, the usual case), each is the chunk's translated Var copied, as
// adjust_appendrel_attrs makes it, without its mutator's walk; anything else goes through it.
List* translate_child_target(PlannerInfo* root, RelOptInfo* parent, AppendRelInfo* appinfo) {
  List* exprs = parent->reltarget->exprs;
  ListCell* lc;
  foreach (lc, exprs) {
    const Var* v = (const Var*)lfirst(lc);
    if (!IsA(v, Var) || v->varno != (int)appinfo->parent_relid || v->varlevelsup != 0 || v->varattno <= 0 ||
        v->varattno > list_length(appinfo->translated_vars) || list_nth(appinfo->translated_vars, v->varattno - 1) == nullptr)
      return (List*)adjust_appendrel_attrs(root, (Node*)exprs, 1, &appinfo);
  }
  List* out = NIL;
  foreach (lc, exprs)
    out = lappend(out, copyObjectImpl(list_nth(appinfo->translated_vars, ((const Var*)lfirst(lc))->varattno - 1)));
  return out;
}

// The AppendRelInfo add_chunk_rte deferred, for a chunk planned after all.
void ensure_chunk_appinfo(PlannerInfo* root, Index parent_rti, Relation parent_rel, Index rti) {
  if (root->append_rel_array[rti] != nullptr) return;
  Relation child_rel = table_open(root->simple_rte_array[rti]->relid, NoLock);
  AppendRelInfo* appinfo = make_append_rel_info(parent_rel, child_rel, parent_rti, rti);
  table_close(child_rel, NoLock);
  root->append_rel_list = lappend(root->append_rel_list, appinfo);
  root->append_rel_array[rti] = appinfo;
}

// The chunk's restrictions: the hypertable's (`quals`) translated to the chunk's columns, as
// build_simple_rel's apply_child_basequals gives an inheritance child, but without its per-clause
// eval_const_expressions and make_restrictinfo (a third of building the chunk's rel): the
// RestrictInfos translated as PostgreSQL translates a child's join clauses (adjust_appendrel_attrs),
// then their join-only markings cleared as make_restrictinfo leaves them. The hypertable's clauses
// were folded already; a chunk's Var translation (other column numbers, a whole-row conversion)
// gives nothing more to fold. A constant clause (contradicting equalities, say) acts as there: a
// false or null one makes the chunk empty (dummy), a true one is dropped. Each RestrictInfo keeps
// the hypertable clause's security_level and leakproof: for a whole-row reference that becomes a
// ConvertRowtypeExpr, PostgreSQL would recompute it as leaky (contain_leaked_vars does not know the
// node), but a row-type conversion calls no user function, so leakproof stays true to what runs.
// baserestrict_min_security is the minimum over all the clauses; drop_clauses_covering_chunk may
// drop some later (leakproof covering clauses of any level), leaving it lower than the kept
// clauses' minimum: only more conservative (fewer index clauses count as securely promotable).
void translate_child_quals(PlannerInfo* root, List* quals, RelOptInfo* child) {
  AppendRelInfo* appinfo = root->append_rel_array[child->relid];
  List* kept = quals;
  ListCell* lc;
  foreach (lc, quals) {
    const Const* c = (const Const*)((RestrictInfo*)lfirst(lc))->clause;
    if (!IsA(c, Const)) continue;
    if (c->constisnull || !DatumGetBool(c->constvalue)) {
      child->baserestrictinfo = NIL;
      mark_dummy_rel(child);
      return;
    }
    if (kept == quals) kept = list_copy(quals);
    kept = list_delete_ptr(kept, lfirst(lc));
  }
  List* translated = (List*)adjust_appendrel_attrs(root, (Node*)kept, 1, &appinfo);
  Index min_security = UINT_MAX;
  foreach (lc, translated) {
    RestrictInfo* rinfo = (RestrictInfo*)lfirst(lc);
    rinfo->parent_ec = nullptr;
    rinfo->left_ec = nullptr;
    rinfo->right_ec = nullptr;
    rinfo->outer_is_left = false;
    rinfo->mergeopfamilies = NIL;
    rinfo->hashjoinoperator = InvalidOid;
    rinfo->left_hasheqoperator = InvalidOid;
    rinfo->right_hasheqoperator = InvalidOid;
    min_security = std::min(min_security, rinfo->security_level);
  }
  child->baserestrictinfo = translated;
  child->baserestrict_min_security = min_security;
}

// Sizes and paths for one chunk, as set_append_rel_size / set_plain_rel_pathlist do for an
// inheritance child. Returns false if the chunk turned out empty (dummy).
[[noreturn]] void refuse_compressed_chunk(const ChunkInfo* chunk) {
  ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                  errmsg("chunk \"%s.%s\" is compressed and cannot be read by this build yet",
                         NameStr(chunk->schema_name), NameStr(chunk->table_name)),
                  errdetail("Its rows are in its columnstore companion table; a plain scan would miss them."),
                  errhint("Decompress it first with decompress_chunk().")));
}

// `time_order` (NIL or one pathkey on the time column, see time_order_for_bucket_keys) stands in
// for the query's ordering while the chunk's index paths are built, so that indexes on time keep
// their order although the query orders by a time_bucket() of time.
// Sibling chunks share index choices. A hypertable's chunks carry clones of the same indexes and
// usually hold similar data, so the indexes whose paths survive on one fully planned chunk (the
// template: the first row-store chunk planned) are the ones worth costing on its siblings. A sibling
// whose restrictions are the template's (same clauses, same column layout) and whose size is within
// a factor of two of the template's gets no index paths for the indexes of the same definition as
// a template index that no surviving template path uses (they keep their place in its index list;
// indexes the template has no copy of are costed as usual; `strata.enable_chunk_index_sharing`).
// Selectivity and costs remain each chunk's own.
// Restrictions on the time column that stay on a chunk (stable expressions, parameters, a range
// that cuts the chunk) select a different share of each chunk's rows: the oldest chunk of `time >
// now() - interval '150 minutes'` holds a few of its rows, the chunks after it all of theirs. So a
// sibling must also have about the template's selectivity of those clauses, estimated from its own
// statistics (within a factor of two); a chunk that differs is planned on its own and becomes the
// template of the chunks after it (chunks are planned in range order, so each run of chunks in the
// same position relative to the bounds, cut or covered, shares one template).
struct ChunkPlanTemplate {
  RelOptInfo* rel;  // nullptr until a chunk qualifies
  List* used;       // the template's IndexOptInfos that some surviving path uses
  bool clonable;    // its surviving paths can be rebuilt on a sibling (template_paths_clonable)
  List* time_positions;  // positions in its baserestrictinfo of the clauses on the time column
  Selectivity time_selectivity;  // their selectivity on the template
  bool last = false;  // the chunk being planned is the last: it is no template for any
};

void collect_bitmap_indexes(Path* bitmapqual, List** used) {
  if (IsA(bitmapqual, IndexPath)) {
    *used = list_append_unique_ptr(*used, ((IndexPath*)bitmapqual)->indexinfo);
  } else if (IsA(bitmapqual, BitmapAndPath)) {
    ListCell* lc;
    foreach (lc, ((BitmapAndPath*)bitmapqual)->bitmapquals) collect_bitmap_indexes((Path*)lfirst(lc), used);
  } else if (IsA(bitmapqual, BitmapOrPath)) {
    ListCell* lc;
    foreach (lc, ((BitmapOrPath*)bitmapqual)->bitmapquals) collect_bitmap_indexes((Path*)lfirst(lc), used);
  }
}

void collect_path_indexes(List* paths, List** used) {
  ListCell* lc;
  foreach (lc, paths) {
    Path* p = (Path*)lfirst(lc);
    if (IsA(p, IndexPath))
      *used = list_append_unique_ptr(*used, ((IndexPath*)p)->indexinfo);
    else if (IsA(p, BitmapHeapPath))
      collect_bitmap_indexes(((BitmapHeapPath*)p)->bitmapqual, used);
  }
}

// Same definition: access method, key columns (by attribute number: the layouts were compared),
// operator families and orderings, uniqueness; indexes with expressions or predicates never match.
bool same_index_definition(const IndexOptInfo* a, const IndexOptInfo* b) {
  if (a->relam != b->relam || a->ncolumns != b->ncolumns || a->nkeycolumns != b->nkeycolumns ||
      a->unique != b->unique || a->indexprs != NIL || b->indexprs != NIL || a->indpred != NIL ||
      b->indpred != NIL)
    return false;
  for (int i = 0; i < a->ncolumns; ++i)
    if (a->indexkeys[i] != b->indexkeys[i]) return false;
  for (int i = 0; i < a->nkeycolumns; ++i) {
    if (a->opfamily[i] != b->opfamily[i] || a->opcintype[i] != b->opcintype[i]) return false;
    if ((a->reverse_sort == nullptr) != (b->reverse_sort == nullptr)) return false;
    if (a->reverse_sort != nullptr &&
        (a->reverse_sort[i] != b->reverse_sort[i] || a->nulls_first[i] != b->nulls_first[i]))
      return false;
  }
  return true;
}

bool same_layout_and_restrictions(PlannerInfo* root, RelOptInfo* t, RelOptInfo* child);

// Whether `child` may take the template's index choices: same column layout, the same
// restrictions (up to the range table index) and a similar size.
bool sibling_of_template(PlannerInfo* root, const ChunkPlanTemplate* tmpl, RelOptInfo* child) {
  RelOptInfo* t = tmpl->rel;
  if (t == nullptr) return false;
  if (t->tuples <= 0 || child->tuples < 0.5 * t->tuples || child->tuples > 2.0 * t->tuples) return false;
  if (child->pages < 0.5 * t->pages || child->pages > 2.0 * t->pages) return false;
  return same_layout_and_restrictions(root, t, child);
}

bool same_layout_and_restrictions(PlannerInfo* root, RelOptInfo* t, RelOptInfo* child) {
  AppendRelInfo* ta = root->append_rel_array[t->relid];
  AppendRelInfo* ca = root->append_rel_array[child->relid];
  if (list_length(ta->translated_vars) != list_length(ca->translated_vars)) return false;
  ListCell* a;
  ListCell* b;
  forboth (a, ta->translated_vars, b, ca->translated_vars) {
    Var* va = (Var*)lfirst(a);
    Var* vb = (Var*)lfirst(b);
    if ((va == nullptr) != (vb == nullptr)) return false;
    if (va != nullptr && (!IsA(va, Var) || !IsA(vb, Var) || va->varattno != vb->varattno)) return false;
  }
  if (list_length(t->baserestrictinfo) != list_length(child->baserestrictinfo)) return false;
  forboth (a, t->baserestrictinfo, b, child->baserestrictinfo) {
    Node* tc = (Node*)copyObjectImpl(((RestrictInfo*)lfirst(a))->clause);
    ChangeVarNodes(tc, t->relid, child->relid, 0);
    if (!equal(tc, ((RestrictInfo*)lfirst(b))->clause)) return false;
  }
  return true;
}

// Whether the expression reads the column `attno` of rel `relid` (at this query level).
struct ReadsColumn {
  Index relid;
  AttrNumber attno;
};

bool reads_column_walker(Node* node, void* context) {
  if (node == nullptr) return false;
  if (IsA(node, Var)) {
    const ReadsColumn* rc = (const ReadsColumn*)context;
    const Var* v = (const Var*)node;
    return v->varno == (int)rc->relid && v->varlevelsup == 0 && (v->varattno == rc->attno || v->varattno == 0);
  }
  return expression_tree_walker(node, (bool (*)())reads_column_walker, context);
}

// The child's restrictions on its time column (`time_attno`: the chunk's attribute number), as
// positions in its baserestrictinfo.
List* time_clause_positions(RelOptInfo* child, AttrNumber time_attno) {
  ReadsColumn rc{child->relid, time_attno};
  List* positions = NIL;
  int pos = 0;
  ListCell* lc;
  foreach (lc, child->baserestrictinfo) {
    if (reads_column_walker((Node*)((RestrictInfo*)lfirst(lc))->clause, &rc)) positions = lappend_int(positions, pos);
    ++pos;
  }
  return positions;
}

Selectivity time_clause_selectivity(PlannerInfo* root, RelOptInfo* child, List* positions) {
  List* clauses = NIL;
  ListCell* lc;
  foreach (lc, positions) clauses = lappend(clauses, list_nth(child->baserestrictinfo, lfirst_int(lc)));
  return clauselist_selectivity(root, clauses, child->relid, JOIN_INNER, nullptr);
}

// Whether the sibling's time clauses (those at the template's positions: the restrictions are
// the same) keep about the same share of its rows as the template's keep of the template's.
bool same_time_coverage(PlannerInfo* root, const ChunkPlanTemplate* tmpl, RelOptInfo* child) {
  if (tmpl->time_positions == NIL) return true;
  const Selectivity mine = time_clause_selectivity(root, child, tmpl->time_positions);
  const Selectivity theirs = tmpl->time_selectivity;
  return mine <= 2.0 * theirs && theirs <= 2.0 * mine;
}

// Compressed chunks share the selectivity of the clauses that are not on the time column. The
// columnstore's paths of a compressed chunk without rows in its row part (rowpart_unread) are
// costed from the selectivity of the chunk's restrictions, estimated from the chunk's statistics
// like a row-store chunk's (about a fifth of planning such a chunk), although the chunks of a
// hypertable usually hold alike data. A chunk with the same column layout and restrictions as the
// first such chunk planned (the compressed template) takes the template's selectivity of each
// clause that does not read the time column, and its widths; its time clauses, which may cover it
// differently, are estimated for it. (Its paths stay its own: they carry the chunk's layout.)
struct CompressedTemplate {
  RelOptInfo* rel;       // nullptr until a chunk qualifies
  List* time_positions;  // positions in its baserestrictinfo of the clauses on the time column
};

bool estimate_from_compressed_template(PlannerInfo* root, CompressedTemplate* ct, RelOptInfo* child) {
  RelOptInfo* t = ct->rel;
  if (t == nullptr || t->max_attr != child->max_attr || t->min_attr != child->min_attr ||
      !same_layout_and_restrictions(root, t, child))
    return false;
  int pos = 0;
  ListCell* a;
  ListCell* b;
  forboth (a, t->baserestrictinfo, b, child->baserestrictinfo) {
    const RestrictInfo* from = (const RestrictInfo*)lfirst(a);
    if (from->norm_selec >= 0 && !list_member_int(ct->time_positions, pos))
      ((RestrictInfo*)lfirst(b))->norm_selec = from->norm_selec;
    ++pos;
  }
  child->rows = clamp_row_est(child->tuples * clauselist_selectivity(root, child->baserestrictinfo, 0, JOIN_INNER, nullptr));
  child->baserestrictcost = t->baserestrictcost;
  child->reltarget->width = t->reltarget->width;
  child->reltarget->cost = t->reltarget->cost;
  memcpy(child->attr_widths, t->attr_widths, sizeof(int32) * (t->max_attr - t->min_attr + 1));
  return true;
}

// The sibling's indexes that get paths: all but those of the same definition as a template index
// that no surviving template path uses (an index the template does not have is costed as usual).
List* shared_index_choice(const ChunkPlanTemplate* tmpl, RelOptInfo* child) {
  List* keep = NIL;
  ListCell* lc;
  foreach (lc, child->indexlist) {
    IndexOptInfo* index = (IndexOptInfo*)lfirst(lc);
    bool useless = false;
    ListCell* tc;
    foreach (tc, tmpl->rel->indexlist) {
      IndexOptInfo* t = (IndexOptInfo*)lfirst(tc);
      if (same_index_definition(t, index)) {
        useless = !list_member_ptr(tmpl->used, t);
        break;
      }
    }
    if (!useless) keep = lappend(keep, index);
  }
  return keep;
}

// Sibling chunks take the template's paths (`strata.enable_chunk_path_cloning`). A sibling (as
// above: same restrictions and layout, size within 2x) of a template whose surviving paths are
// all plain (unparameterized) index, bitmap-over-one-index and sequential scans gets no estimate
// of its own: its row count is its tuple count times the template's selectivity, its widths and
// restriction costs are the template's, and its index and bitmap paths are the template's,
// rebuilt on the sibling's own index and restriction clauses, with costs scaled by the ratio of
// the sizes (its sequential scans are costed as usual). This skips the selectivity estimates
// from the chunk's statistics and the index path search with its btree cost estimates, about two
// thirds of planning a chunk. Only the estimates are shared: every chunk still evaluates all of
// its own restrictions. Plain SELECTs only.
// The index clause is the restriction itself (not derived from it) and one of `rel`'s
// restrictions: its position there.
int plain_index_clause_position(RelOptInfo* rel, const IndexClause* ic) {
  if (ic->lossy || ic->indexcols != NIL || list_length(ic->indexquals) != 1 ||
      linitial(ic->indexquals) != ic->rinfo)
    return -1;
  int pos = 0;
  ListCell* lc;
  foreach (lc, rel->baserestrictinfo) {
    if (lfirst(lc) == ic->rinfo) return pos;
    ++pos;
  }
  return -1;
}

bool index_path_clonable(RelOptInfo* rel, const IndexPath* ip) {
  if (ip->path.param_info != nullptr || ip->path.parent != rel || ip->indexorderbys != NIL ||
      ip->indexinfo->indpred != NIL || list_member_ptr(rel->indexlist, ip->indexinfo) == false)
    return false;
  ListCell* lc;
  foreach (lc, ip->indexclauses)
    if (plain_index_clause_position(rel, (const IndexClause*)lfirst(lc)) < 0) return false;
  return true;
}

// A plain sequential scan, an index scan or a bitmap heap scan over one index, unparameterized.
bool path_clonable(RelOptInfo* t, Path* p) {
  if (p->param_info != nullptr) return false;
  if (IsA(p, IndexPath)) return index_path_clonable(t, (IndexPath*)p);
  if (IsA(p, BitmapHeapPath)) {
    Path* q = ((BitmapHeapPath*)p)->bitmapqual;
    return IsA(q, IndexPath) && index_path_clonable(t, (IndexPath*)q);
  }
  return p->type == T_Path && p->pathtype == T_SeqScan;
}

bool template_paths_clonable(RelOptInfo* t) {
  if (t->joininfo != NIL || t->lateral_relids != nullptr || t->rows <= 0 || t->tuples <= 0 ||
      t->pages <= 0)
    return false;
  ListCell* lc;
  foreach (lc, t->pathlist)
    if (!path_clonable(t, (Path*)lfirst(lc))) return false;
  foreach (lc, t->partial_pathlist)
    if (!path_clonable(t, (Path*)lfirst(lc))) return false;
  return true;
}

// The sibling's index of the same position and definition as the template's `index`.
IndexOptInfo* sibling_index(RelOptInfo* t, RelOptInfo* child, IndexOptInfo* index) {
  if (list_length(t->indexlist) != list_length(child->indexlist)) return nullptr;
  ListCell* a;
  ListCell* b;
  forboth (a, t->indexlist, b, child->indexlist) {
    if (lfirst(a) != index) continue;
    IndexOptInfo* mine = (IndexOptInfo*)lfirst(b);
    return same_index_definition(index, mine) ? mine : nullptr;
  }
  return nullptr;
}

// Whether every index the template's paths use has its counterpart on the sibling.
bool sibling_has_template_indexes(RelOptInfo* t, RelOptInfo* child) {
  for (List* paths : {t->pathlist, t->partial_pathlist}) {
    ListCell* lc;
    foreach (lc, paths) {
      Path* p = (Path*)lfirst(lc);
      if (IsA(p, BitmapHeapPath)) p = ((BitmapHeapPath*)p)->bitmapqual;
      if (IsA(p, IndexPath) && sibling_index(t, child, ((IndexPath*)p)->indexinfo) == nullptr) return false;
    }
  }
  return true;
}

// Costs of a template path carried over to the sibling: the start-up cost as is, the rest scaled
// by the ratio of the sizes; rows (a partial path's are per participant) by the ratio of the
// rels' row estimates.
void scale_path_costs(RelOptInfo* t, RelOptInfo* child, Path* path, const Path* from, double ratio) {
  path->rows = clamp_row_est(from->rows * (child->rows / t->rows));
  path->startup_cost = from->startup_cost;
  path->total_cost = scaled_total_cost(from->startup_cost, from->total_cost, ratio);
}

IndexPath* clone_index_path(RelOptInfo* t, RelOptInfo* child, const IndexPath* from, double ratio) {
  IndexPath* ip = makeNode(IndexPath);
  memcpy(ip, from, sizeof(IndexPath));
  ip->path.parent = child;
  ip->path.pathtarget = child->reltarget;
  ip->path.parallel_safe = from->path.parallel_safe && child->consider_parallel;
  ip->indexinfo = sibling_index(t, child, from->indexinfo);
  Assert(ip->indexinfo != nullptr);  // (sibling_has_template_indexes)
  ip->indexclauses = NIL;
  ListCell* lc;
  foreach (lc, from->indexclauses) {
    const IndexClause* fc = (const IndexClause*)lfirst(lc);
    IndexClause* ic = makeNode(IndexClause);
    memcpy(ic, fc, sizeof(IndexClause));
    ic->rinfo = (RestrictInfo*)list_nth(child->baserestrictinfo, plain_index_clause_position(t, fc));
    ic->indexquals = list_make1(ic->rinfo);
    ip->indexclauses = lappend(ip->indexclauses, ic);
  }
  scale_path_costs(t, child, &ip->path, &from->path, ratio);
  ip->indextotalcost = from->indextotalcost * ratio;
  return ip;
}

// Sizes and index paths of a sibling from the template's (see above); the caller adds the
// sequential scan paths.
void clone_template_estimates(RelOptInfo* t, RelOptInfo* child) {
  child->rows = clamp_row_est(child->tuples * (t->rows / t->tuples));
  child->baserestrictcost = t->baserestrictcost;
  child->reltarget->width = t->reltarget->width;
  child->reltarget->cost = t->reltarget->cost;
  memcpy(child->attr_widths, t->attr_widths, sizeof(int32) * (t->max_attr - t->min_attr + 1));
}

Path* clone_path(RelOptInfo* t, RelOptInfo* child, Path* p, double ratio) {
  if (IsA(p, IndexPath)) return (Path*)clone_index_path(t, child, (IndexPath*)p, ratio);
  if (!IsA(p, BitmapHeapPath)) return nullptr;  // sequential scans: costed for the sibling itself
  const BitmapHeapPath* from = (const BitmapHeapPath*)p;
  BitmapHeapPath* bp = makeNode(BitmapHeapPath);
  memcpy(bp, from, sizeof(BitmapHeapPath));
  bp->path.parent = child;
  bp->path.pathtarget = child->reltarget;
  bp->path.parallel_safe = from->path.parallel_safe && child->consider_parallel;
  bp->bitmapqual = (Path*)clone_index_path(t, child, (IndexPath*)from->bitmapqual, ratio);
  scale_path_costs(t, child, &bp->path, &from->path, ratio);
  return &bp->path;
}

void clone_template_index_paths(RelOptInfo* t, RelOptInfo* child) {
  const double ratio = child->tuples / t->tuples;
  ListCell* lc;
  foreach (lc, t->pathlist)
    if (Path* p = clone_path(t, child, (Path*)lfirst(lc), ratio)) add_path(child, p);
  if (!child->consider_parallel) return;
  foreach (lc, t->partial_pathlist)
    if (Path* p = clone_path(t, child, (Path*)lfirst(lc), ratio)) add_partial_path(child, p);
}
// Whether the columnstore's paths for a compressed chunk leave out its row part (the chunk's
// heap): no rows there (not partial) and a statement that neither writes nor locks rows (a writing
// one may move batches into the row part at executor start, see add_columnar_paths). The row
// part's index and TID paths are then not built: add_columnar_paths would throw them away.
bool rowpart_unread(PlannerInfo* root, const ChunkInfo* chunk, bool dml) {
  if ((chunk->status & kChunkStatusCompressed) == 0 || (chunk->status & kChunkStatusPartial) != 0 || dml)
    return false;
  PlannerInfo* top = root;
  while (top->parent_root != nullptr) top = top->parent_root;
  return top->parse->commandType == CMD_SELECT && top->parse->rowMarks == NIL && !top->parse->hasModifyingCTE;
}

bool plan_chunk_rel(PlannerInfo* root, RelOptInfo* parent, RelOptInfo* child, bool allow_parallel,
                    const ChunkInfo* chunk, bool dml, List* time_order, AttrNumber time_attno,
                    ChunkPlanTemplate* tmpl, CompressedTemplate* ctmpl) {
  if (IS_DUMMY_REL(child)) return false;
  AppendRelInfo* appinfo = root->append_rel_array[child->relid];
  child->joininfo = (List*)adjust_appendrel_attrs(root, (Node*)parent->joininfo, 1, &appinfo);
  child->reltarget->exprs = translate_child_target(root, parent, appinfo);
  if (parent->has_eclass_joins || has_useful_pathkeys(root, parent))
    add_child_rel_equivalences(root, appinfo, parent, child);
  child->has_eclass_joins = parent->has_eclass_joins;
  child->consider_parallel = allow_parallel && parent->consider_parallel;

  check_index_predicates(root, child);
  const bool rowstore = (chunk->status & kChunkStatusCompressed) == 0;
  const bool similar = guc_enable_chunk_index_sharing && rowstore && sibling_of_template(root, tmpl, child);
  // (a chunk that differs from the template only in how the time clauses cover it starts a new run)
  const bool other_coverage = similar && !same_time_coverage(root, tmpl, child);
  const bool sibling = similar && !other_coverage;
  const bool cloned = sibling && guc_enable_chunk_path_cloning && tmpl->clonable && !dml &&
                      root->parse->commandType == CMD_SELECT && child->joininfo == NIL &&
                      child->lateral_relids == nullptr && child->max_attr == tmpl->rel->max_attr &&
                      child->min_attr == tmpl->rel->min_attr &&
                      child->consider_parallel == tmpl->rel->consider_parallel &&
                      sibling_has_template_indexes(tmpl->rel, child);
  const bool skip_rowpart = rowpart_unread(root, chunk, dml);
  const bool shares_compressed = skip_rowpart && guc_enable_chunk_path_cloning && child->joininfo == NIL &&
                                 child->lateral_relids == nullptr;
  if (cloned) {
    clone_template_estimates(tmpl->rel, child);
  } else if (shares_compressed && estimate_from_compressed_template(root, ctmpl, child)) {
    // (a compressed sibling: the template's selectivities of its clauses off the time column)
  } else {
    set_baserel_size_estimates(root, child);
    if (shares_compressed && ctmpl->rel == nullptr) {
      ctmpl->rel = child;
      ctmpl->time_positions = time_clause_positions(child, time_attno);
    }
  }
  // Index cost estimates share effective_cache_size among all tables of the query.
  root->total_table_pages += child->pages;

  Relids required_outer = child->lateral_relids;
  add_path(child, create_seqscan_path(root, child, required_outer, 0));
  if (child->consider_parallel && required_outer == nullptr) {
    int workers = compute_parallel_worker(child, child->pages, -1, max_parallel_workers_per_gather);
    if (workers > 0) add_partial_path(child, create_seqscan_path(root, child, nullptr, workers));
  }
  List* all_indexes = child->indexlist;
  if (sibling && !cloned) child->indexlist = shared_index_choice(tmpl, child);
  if (skip_rowpart) {
    // (the columnstore's paths below replace the sequential scan)
  } else if (cloned) {
    clone_template_index_paths(tmpl->rel, child);
  } else if (time_order != NIL) {
    List* query_pathkeys = root->query_pathkeys;
    root->query_pathkeys = time_order;
    create_index_paths(root, child);
    if (rowstore) add_time_ordered_bitmap_paths(root, child, time_attno);
    root->query_pathkeys = query_pathkeys;
  } else {
    create_index_paths(root, child);
    if (rowstore) add_time_ordered_bitmap_paths(root, child, time_attno);
  }
  child->indexlist = all_indexes;
  if (!skip_rowpart) create_tidscan_paths(root, child);
  if ((chunk->status & kChunkStatusCompressed) && dml) {
    // A DML target or row-locked chunk: its rows must be found by ctid, which the companion's
    // rows do not have; the columnstore's DML hook point plans that.
    if (compressed_chunk_dml == nullptr) refuse_compressed_chunk(chunk);
    compressed_chunk_dml(root, child, child->relid, chunk);
  } else if (chunk->status & kChunkStatusCompressed) {
    // The columnstore's hook point: without the scan node the companion's rows would be missed.
    if (compressed_chunk_paths == nullptr) refuse_compressed_chunk(chunk);
    // (with the same stand-in ordering as the index paths: its ordered scans then come too)
    List* query_pathkeys = root->query_pathkeys;
    if (time_order != NIL) root->query_pathkeys = time_order;
    compressed_chunk_paths(root, parent, child, chunk);
    root->query_pathkeys = query_pathkeys;
  }
  set_cheapest(child);
  if (guc_enable_chunk_index_sharing && rowstore && !tmpl->last && (tmpl->rel == nullptr || other_coverage) &&
      child->tuples > 0 && child->indexlist != NIL) {
    tmpl->rel = child;
    tmpl->used = NIL;
    collect_path_indexes(child->pathlist, &tmpl->used);
    collect_path_indexes(child->partial_pathlist, &tmpl->used);
    tmpl->clonable = template_paths_clonable(child);
    tmpl->time_positions = time_clause_positions(child, time_attno);
    tmpl->time_selectivity =
        tmpl->time_positions != NIL ? time_clause_selectivity(root, child, tmpl->time_positions) : 1.0;
  }
  return true;
}

// Row count and widths of the parent from its live children (as set_append_rel_size does).
// Unlike set_append_rel_size, the parent's raw tuple count is that of its live chunks, not its
// row estimate: estimate_num_groups scales a column's distinct count (from the hypertable's
// inherited statistics) by the fraction of the tuples the restrictions keep, as it does for a
// plain table. With tuples equal to rows, every row of "GROUP BY date_trunc('minute', time)"
// over one hour looked like its own group, and strata sorted all rows for a GroupAggregate where
// a plain table hashes them into 61 groups.
void set_parent_size(RelOptInfo* rel, ChildRel* kids, int n) {
  double rows = 0;
  double tuples = 0;
  double size = 0;
  const int nattrs = rel->max_attr - rel->min_attr + 1;
  double* attr_sizes = (double*)palloc0(sizeof(double) * nattrs);
  for (int i = 0; i < n; ++i) {
    RelOptInfo* child = kids[i].rel;
    rows += child->rows;
    tuples += child->tuples;
    size += child->reltarget->width * child->rows;
    ListCell* pv;
    ListCell* cv;
    forboth (pv, rel->reltarget->exprs, cv, child->reltarget->exprs) {
      Var* pvar = (Var*)lfirst(pv);
      Node* cnode = (Node*)lfirst(cv);
      if (!IsA(pvar, Var) || pvar->varno != (int)rel->relid) continue;
      int32 width = 0;
      if (IsA(cnode, Var) && ((Var*)cnode)->varno == (int)child->relid)
        width = child->attr_widths[((Var*)cnode)->varattno - child->min_attr];
      if (width <= 0) width = get_typavgwidth(exprType(cnode), exprTypmod(cnode));
      attr_sizes[pvar->varattno - rel->min_attr] += width * child->rows;
    }
  }
  rows = clamp_row_est(rows);
  rel->rows = rows;
  rel->tuples = std::max(tuples, rows);
  rel->reltarget->width = (int32)std::rint(size / rows);
  for (int i = 0; i < nattrs; ++i) rel->attr_widths[i] = (int32)std::rint(attr_sizes[i] / rows);
}

ChildRel* find_child(ChildRel* kids, int n, Index relid) {
  for (int i = 0; i < n; ++i)
    if (kids[i].rel->relid == relid) return &kids[i];
  return nullptr;
}

// Replaces the unordered Append paths with ChunkAppend paths when there are clauses to exclude
// chunks with at executor start or at each (re)scan: `runtime` from the restrictions, and for
// parameterized paths the join clauses on time.
void use_chunk_append_for_appends(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht,
                                  ChildRel* kids, int n, List* runtime) {
  ListCell* lc;
  foreach (lc, rel->pathlist) {
    Path* path = (Path*)lfirst(lc);
    if (!IsA(path, AppendPath)) continue;
    AppendPath* ap = (AppendPath*)path;
    const int nsub = list_length(ap->subpaths);
    if (nsub == 0 || ap->path.parallel_aware) continue;
    List* clauses = runtime;
    if (ap->path.param_info != nullptr)
      clauses = list_concat_copy(runtime, time_join_clauses(root, rel, ht, PATH_REQ_OUTER(path)));
    if (clauses == NIL) continue;
    ChunkAppendChild* children = (ChunkAppendChild*)palloc(sizeof(ChunkAppendChild) * nsub);
    bool ok = true;
    int i = 0;
    ListCell* sc;
    foreach (sc, ap->subpaths) {
      Path* sub = (Path*)lfirst(sc);
      ChildRel* kid = find_child(kids, n, sub->parent->relid);
      if (kid == nullptr) {
        ok = false;
        break;
      }
      children[i++] = ChunkAppendChild{sub, kid->range_start, kid->range_end, kid->space_start, kid->space_end};
    }
    if (!ok) continue;
    lfirst(lc) = chunk_append_path_create(root, rel, children, nsub, clauses, ht->time_type,
                                          ap->path.pathkeys, ap->path.param_info, &ap->path);
  }
}

// Whether chunks that `runtime` excludes at executor start may also be read by parallel workers
// (strata.enable_parallel_chunk_append): every clause is evaluated at startup (none on executor
// parameters, which workers are not sent) and is parallel safe, so every participant of the Gather
// evaluates them alike (the same parameters, snapshot and statement time) and keeps the same
// children. They must: the leader sets up the shared state of the children it keeps, and a
// worker's parallel-aware scan looks its own up there.
bool runtime_allows_parallel(PlannerInfo* root, List* runtime) {
  if (!guc_enable_parallel_chunk_append) return false;
  ListCell* lc;
  foreach (lc, runtime) {
    const RuntimeClause* rc = (const RuntimeClause*)lfirst(lc);
    if (rc->exec_time || !is_parallel_safe(root, (Node*)rc->value)) return false;
  }
  return true;
}

// With run-time clauses, the partial Append paths that add_paths_to_append_rel made from the
// chunks' partial paths (which exclude nothing) are replaced by one partial ChunkAppend over each
// chunk's cheapest partial path. It is not parallel-aware: every participant evaluates the clauses
// at its startup and reads the surviving children one after the other, and each child's
// parallel-aware scan shares out its blocks among them (PostgreSQL's non-parallel-aware Append over
// partial paths, with enable_parallel_append off, does the same). The real-time aggregate's raw
// tail is the case: one chunk at or above the watermark, aggregated in parallel.
void use_partial_chunk_append(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht, ChildRel* kids,
                              int n, List* runtime) {
  rel->partial_pathlist = NIL;
  if (!rel->consider_parallel || rel->lateral_relids != nullptr) return;
  ChunkAppendChild* children = (ChunkAppendChild*)palloc(sizeof(ChunkAppendChild) * n);
  int workers = 0;
  for (int i = 0; i < n; ++i) {
    if (kids[i].rel == nullptr || kids[i].rel->partial_pathlist == NIL) return;
    Path* sub = (Path*)linitial(kids[i].rel->partial_pathlist);
    workers = std::max(workers, sub->parallel_workers);
    children[i] = ChunkAppendChild{sub, kids[i].range_start, kids[i].range_end, kids[i].space_start, kids[i].space_end};
  }
  if (workers == 0) return;
  CustomPath* path = chunk_append_path_create(root, rel, children, n, runtime, ht->time_type, NIL, nullptr, nullptr);
  path->path.parallel_safe = true;
  path->path.parallel_workers = workers;
  add_partial_path(rel, &path->path);
}

bool expr_is_time_var(Expr* expr, Index relid, AttrNumber attno) {
  while (expr != nullptr && IsA(expr, RelabelType)) expr = ((RelabelType*)expr)->arg;
  return expr != nullptr && IsA(expr, Var) && ((Var*)expr)->varno == (int)relid &&
         ((Var*)expr)->varattno == attno && ((Var*)expr)->varlevelsup == 0;
}

// How a pathkey orders by the time column: not at all, by the column itself, or by a
// time_bucket() of it (monotonic: non-overlapping chunks read in range order are ordered by it).
enum class TimeOrder { none, column, bucket };

// Whether funcid is strata's time_bucket. Planning asks this for every pathkey it considers, and
// the extension lookups scan pg_extension and pg_depend (about 15,000 instructions each time), so
// answers are remembered per function, each with the identity of the pg_proc row it was found
// for (a dropped and recreated function, even under a reused OID, is another row).
struct TimeBucketAnswer {
  Oid funcid;
  TransactionId xmin;
  ItemPointerData tid;
  bool is_time_bucket;
};
constexpr int kTimeBucketAnswers = 16;
TimeBucketAnswer time_bucket_answers[kTimeBucketAnswers];
int time_bucket_answers_next = 0;

bool is_strata_time_bucket(Oid funcid) {
  HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
  if (!HeapTupleIsValid(tup)) return false;
  const TransactionId xmin = HeapTupleHeaderGetRawXmin(tup->t_data);
  ItemPointerData tid = tup->t_self;
  const bool named = strcmp(NameStr(((Form_pg_proc)GETSTRUCT(tup))->proname), "time_bucket") == 0;
  ReleaseSysCache(tup);
  for (TimeBucketAnswer& a : time_bucket_answers)
    if (a.funcid == funcid && OidIsValid(funcid) && a.xmin == xmin && ItemPointerEquals(&a.tid, &tid))
      return a.is_time_bucket;
  bool answer = false;
  if (named) {
    const Oid ext = get_extension_oid("strata", true);
    answer = OidIsValid(ext) && getExtensionOfObject(ProcedureRelationId, funcid) == ext;
  }
  TimeBucketAnswer& slot = time_bucket_answers[time_bucket_answers_next];
  time_bucket_answers_next = (time_bucket_answers_next + 1) % kTimeBucketAnswers;
  slot = TimeBucketAnswer{funcid, xmin, tid, answer};
  return answer;
}

// Whether expr is time_bucket(const width, time_col [, const origin/offset]) from strata's own
// schema, or PostgreSQL's date_bin(const stride, time_col, const origin) or date_trunc(const unit,
// time_col) of a timestamp without time zone. The forms that bucket in local time (time_bucket
// with a time zone, date_trunc of a timestamptz) are left out: they are not monotonic across DST
// changes.
bool is_time_bucket_of_time(Expr* expr, Index relid, const Hypertable* ht) {
  if (!IsA(expr, FuncExpr)) return false;
  FuncExpr* f = (FuncExpr*)expr;
  const int nargs = list_length(f->args);
  if (nargs < 2 || nargs > 3) return false;
  if (!IsA(linitial(f->args), Const)) return false;
  if (!expr_is_time_var((Expr*)lsecond(f->args), relid, ht->time_attno)) return false;
  if (nargs == 3 && (!IsA(lthird(f->args), Const) || exprType((Node*)lthird(f->args)) == TEXTOID))
    return false;
  switch (f->funcid) {
    case F_DATE_BIN_INTERVAL_TIMESTAMP_TIMESTAMP:
    case F_DATE_BIN_INTERVAL_TIMESTAMPTZ_TIMESTAMPTZ:
      return nargs == 3;
    case F_DATE_TRUNC_TEXT_TIMESTAMP:
      return nargs == 2;
    default:
      break;
  }
  return is_strata_time_bucket(f->funcid);
}

TimeOrder pathkey_time_order(PathKey* pk, RelOptInfo* rel, const Hypertable* ht) {
  if (pk->pk_eclass->ec_has_volatile) return TimeOrder::none;
  if (pk->pk_strategy != BTLessStrategyNumber && pk->pk_strategy != BTGreaterStrategyNumber)
    return TimeOrder::none;
  TimeOrder found = TimeOrder::none;
  ListCell* lc;
  foreach (lc, pk->pk_eclass->ec_members) {
    EquivalenceMember* em = (EquivalenceMember*)lfirst(lc);
    if (em->em_is_child) continue;
    if (expr_is_time_var(em->em_expr, rel->relid, ht->time_attno)) return TimeOrder::column;
    if (is_time_bucket_of_time(em->em_expr, rel->relid, ht)) found = TimeOrder::bucket;
  }
  return found;
}

bool pathkey_is_time(PathKey* pk, RelOptInfo* rel, const Hypertable* ht) {
  return pathkey_time_order(pk, rel, ht) == TimeOrder::column;
}

bool pathkey_computable_by(PathKey* pk, RelOptInfo* rel) {
  if (pk->pk_eclass->ec_has_volatile) return false;
  ListCell* lc;
  foreach (lc, pk->pk_eclass->ec_members) {
    EquivalenceMember* em = (EquivalenceMember*)lfirst(lc);
    if (em->em_is_child || em->em_is_const) continue;
    if (!bms_is_empty(em->em_relids) && bms_is_subset(em->em_relids, rel->relids)) return true;
  }
  return false;
}

// The child path delivering `pathkeys`: for total cost the cheaper of a presorted path and a
// sort of the cheapest path; for startup cost a presorted path when there is one. When the only
// key is a time_bucket() of the time column, a path ordered by the column itself (an index scan)
// in the same direction delivers it too.
Path* ordered_child_path(PlannerInfo* root, RelOptInfo* parent, const Hypertable* ht,
                         RelOptInfo* child, List* pathkeys, CostSelector criterion) {
  Path* cheapest = child->cheapest_total_path;
  if (pathkeys_contained_in(pathkeys, cheapest->pathkeys)) return cheapest;
  Path* presorted = get_cheapest_path_for_pathkeys(child->pathlist, pathkeys, nullptr, criterion, false);
  PathKey* first = (PathKey*)linitial(pathkeys);
  if (presorted == nullptr && list_length(pathkeys) == 1 &&
      pathkey_time_order(first, parent, ht) == TimeOrder::bucket) {
    ListCell* lc;
    foreach (lc, child->pathlist) {
      Path* p = (Path*)lfirst(lc);
      if (p->param_info != nullptr || p->pathkeys == NIL) continue;
      PathKey* pk = (PathKey*)linitial(p->pathkeys);
      if (pk->pk_strategy != first->pk_strategy || !pathkey_is_time(pk, parent, ht)) continue;
      if (presorted == nullptr || compare_path_costs(p, presorted, criterion) < 0) presorted = p;
    }
  }
  if (presorted != nullptr && criterion == STARTUP_COST) return presorted;
  Path* sorted = (Path*)create_sort_path(root, child, cheapest, pathkeys, -1.0);
  if (presorted != nullptr && presorted->total_cost <= sorted->total_cost) return presorted;
  return sorted;
}

// Replaces MergeAppend paths ordered by time first (PostgreSQL builds them for every ordering
// the chunks' indexes provide, e.g. for merge joins) with ordered ChunkAppend paths over the same
// children: the chunks do not overlap, so reading them one after another in range order gives the
// same order without merging, and lets a LIMIT stop early.
void merge_appends_to_chunk_appends(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht,
                                    ChildRel* kids, int n, List* runtime) {
  List* keep = NIL;
  List* replacements = NIL;
  ListCell* lc;
  foreach (lc, rel->pathlist) {
    Path* path = (Path*)lfirst(lc);
    if (!IsA(path, MergeAppendPath) || path->param_info != nullptr || path->pathkeys == NIL ||
        !pathkey_is_time((PathKey*)linitial(path->pathkeys), rel, ht)) {
      keep = lappend(keep, path);
      continue;
    }
    MergeAppendPath* map = (MergeAppendPath*)path;
    const int nsub = list_length(map->subpaths);
    const bool descending =
        ((PathKey*)linitial(path->pathkeys))->pk_strategy == BTGreaterStrategyNumber;
    ChunkAppendChild* children = (ChunkAppendChild*)palloc(sizeof(ChunkAppendChild) * (nsub + 1));
    int k = 0;
    // kids are in ascending range order; pick each one's subpath in the wanted direction.
    for (int i = 0; i < n; ++i) {
      ChildRel* kid = &kids[descending ? n - 1 - i : i];
      ListCell* sc;
      foreach (sc, map->subpaths) {
        Path* sub = (Path*)lfirst(sc);
        if (sub->parent != kid->rel) continue;
        if (!pathkeys_contained_in(path->pathkeys, sub->pathkeys))
          sub = (Path*)create_sort_path(root, kid->rel, sub, path->pathkeys, -1.0);
        children[k++] = ChunkAppendChild{sub, kid->range_start, kid->range_end, kid->space_start, kid->space_end};
        break;
      }
    }
    if (k != nsub) {
      keep = lappend(keep, path);
      continue;
    }
    replacements = lappend(replacements,
                           chunk_append_path_create(root, rel, children, k, runtime, ht->time_type,
                                                    path->pathkeys, nullptr, nullptr));
  }
  rel->pathlist = keep;
  foreach (lc, replacements) add_path(rel, (Path*)lfirst(lc));
}

// Ordered ChunkAppend paths when the query wants rows ordered by time: the chunks do not overlap,
// so reading them one after the other in range order is ordered.
void add_ordered_paths(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht, ChildRel* kids,
                       int n, List* runtime) {
  if (!guc_enable_ordered_append || root->query_pathkeys == NIL) return;
  if (n == 1 && runtime == NIL) return;  // a plain one-child Append keeps the child's order
  if (rel->lateral_relids != nullptr) return;
  PathKey* first = (PathKey*)linitial(root->query_pathkeys);
  if (pathkey_time_order(first, rel, ht) == TimeOrder::none) return;
  for (int i = 0; i < n; ++i)
    if (kids[i].rel->cheapest_total_path == nullptr ||
        kids[i].rel->cheapest_total_path->param_info != nullptr)
      return;
  const bool descending = first->pk_strategy == BTGreaterStrategyNumber;

  // Candidate orderings: the time key alone, and the longest prefix of the query's ordering that
  // this rel can produce.
  List* candidates = list_make1(list_make1(first));
  List* prefix = NIL;
  ListCell* lc;
  foreach (lc, root->query_pathkeys) {
    PathKey* pk = (PathKey*)lfirst(lc);
    if (!pathkey_computable_by(pk, rel)) break;
    prefix = lappend(prefix, pk);
  }
  if (list_length(prefix) > 1) candidates = lappend(candidates, prefix);

  ChunkAppendChild* children = (ChunkAppendChild*)palloc(sizeof(ChunkAppendChild) * n);
  foreach (lc, candidates) {
    List* pathkeys = (List*)lfirst(lc);
    for (int pass = 0; pass < 2; ++pass) {
      const CostSelector criterion = pass == 0 ? TOTAL_COST : STARTUP_COST;
      for (int i = 0; i < n; ++i) {
        ChildRel* kid = &kids[descending ? n - 1 - i : i];
        children[i] = ChunkAppendChild{ordered_child_path(root, rel, ht, kid->rel, pathkeys, criterion),
                                       kid->range_start, kid->range_end, kid->space_start,
                                       kid->space_end};
      }
      add_path(rel, (Path*)chunk_append_path_create(root, rel, children, n, runtime, ht->time_type,
                                                    pathkeys, nullptr, nullptr));
    }
  }
}

// A hypertable that is itself a member of an append relation (a UNION ALL leaf) is expanded after
// PostgreSQL summed its members' sizes into the parents: correct the parents' row counts.
void propagate_rows_to_appendrel_parents(PlannerInfo* root, RelOptInfo* rel, double old_rows) {
  const double delta = rel->rows - old_rows;
  Index relid = rel->relid;
  while (rel->reloptkind == RELOPT_OTHER_MEMBER_REL && root->append_rel_array != nullptr &&
         root->append_rel_array[relid] != nullptr) {
    relid = root->append_rel_array[relid]->parent_relid;
    rel = find_base_rel(root, relid);
    if (IS_DUMMY_REL(rel)) break;
    rel->rows = clamp_row_est(rel->rows + delta);
    rel->tuples = rel->rows;
  }
}

// When the query is ordered by a time_bucket() of the time column first (GROUP BY bucket ORDER
// BY bucket DESC LIMIT n), the chunks' indexes on time deliver that order, but PostgreSQL keeps
// index orderings only when they match the query's (and it has no equivalence class for the time
// column at all): the index scans would come without order and every chunk would be sorted. This
// returns the pathkey "time" in the bucket's direction (creating its equivalence class), for
// plan_chunk_rel to build the chunks' index paths with; NIL otherwise.
List* time_order_for_bucket_keys(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht) {
  if (!guc_enable_ordered_append || root->query_pathkeys == NIL || rel->lateral_relids != nullptr)
    return NIL;
  PathKey* first = (PathKey*)linitial(root->query_pathkeys);
  if (pathkey_time_order(first, rel, ht) != TimeOrder::bucket) return NIL;
  Oid type;
  int32 typmod;
  Oid collation;
  get_atttypetypmodcoll(ht->relid, ht->time_attno, &type, &typmod, &collation);
  TypeCacheEntry* tc = lookup_type_cache(type, TYPECACHE_LT_OPR | TYPECACHE_GT_OPR);
  const Oid opno = first->pk_strategy == BTGreaterStrategyNumber ? tc->gt_opr : tc->lt_opr;
  if (!OidIsValid(opno)) return NIL;
  Var* var = makeVar(rel->relid, ht->time_attno, type, typmod, collation, 0);
  List* keys = build_expression_pathkey(root, (Expr*)var, nullptr, opno, rel->relids, true);
  // NULLS FIRST / LAST does not matter: the time column is NOT NULL.
  return keys;
}

// The hypertable's own paths (of its empty table) are dropped: the chunks' append replaces them.
void forget_paths(RelOptInfo* rel) {
  rel->pathlist = NIL;
  rel->partial_pathlist = NIL;
  rel->cheapest_startup_path = nullptr;
  rel->cheapest_total_path = nullptr;
  rel->cheapest_unique_path = nullptr;
  rel->cheapest_parameterized_paths = NIL;
}

// Chunks a LIMIT will not reach (`strata.enable_chunk_plan_copies`). `SELECT ... ORDER BY time
// DESC LIMIT 10` over one hypertable reads the newest chunk and, most of the time, stops there;
// planning the other chunks (each a RelOptInfo with its indexes and statistics, index paths and
// cost estimates) costs more than the query. So in a plain SELECT of one hypertable (no join),
// ordered by its time column alone, with a LIMIT of at most kPlanCopyMaxLimit rows, the chunks are
// planned in reading order until one's ordered path is a plain index scan (no partial index, the
// chunk's restrictions exactly the hypertable's: none dropped as covering it); that chunk is the
// template (as a plain table's one index choice serves all its rows), and each further
// row-store chunk with the same column layout and an index of the same definition gets no
// RelOptInfo at all: its plan is a copy of the template's index scan on its own range table entry
// and index (made when ChunkAppend's plan is created, chunk_append.cpp), rows and costs scaled
// by the sizes in pg_class. Every chunk still evaluates all the hypertable's restrictions, so
// only estimates are shared; a chunk that does not qualify (another layout, no such index) is
// planned as usual. Compressed chunks alike: when the template is a compressed chunk whose ordered
// path is the columnstore's ordered scan, each further compressed chunk (no row part) with the
// same layout in its companion table gets a copy of that scan (the columnstore's hook points,
// planner.hpp), with its own companion. The hypertable then has the one ordered ChunkAppend path.
constexpr double kPlanCopyMaxLimit = 10000;
constexpr int kPlanCopyAttempts = 2;

// What both kinds of plan copies need: a plain SELECT (no row marks, no modifying CTE) in which the
// hypertable, without space partitions, is alone in its query level, with no lateral references,
// join clauses or sub-plans in its restrictions.
bool copies_query_allowed(PlannerInfo* root, RelOptInfo* rel, RangeTblEntry* rte, const Hypertable* ht) {
  if (!guc_enable_chunk_plan_copies) return false;
  if (rel->reloptkind != RELOPT_BASEREL || bms_membership(root->all_baserels) != BMS_SINGLETON) return false;
  if (rel->lateral_relids != nullptr || rel->joininfo != NIL || ht->num_partitions > 0 ||
      rte->rellockmode != AccessShareLock || root->parse->rowMarks != NIL)
    return false;
  PlannerInfo* top = root;
  while (top->parent_root != nullptr) top = top->parent_root;
  if (top->parse->commandType != CMD_SELECT || top->parse->rowMarks != NIL || top->parse->hasModifyingCTE)
    return false;
  ListCell* lc;
  foreach (lc, rel->baserestrictinfo)
    if (contain_subplans((Node*)((RestrictInfo*)lfirst(lc))->clause)) return false;
  return true;
}

bool plan_copies_allowed(PlannerInfo* root, RelOptInfo* rel, RangeTblEntry* rte, const Hypertable* ht,
                         List* time_order) {
  if (!guc_enable_ordered_append || time_order != NIL) return false;
  if (root->limit_tuples <= 0 || root->limit_tuples > kPlanCopyMaxLimit || list_length(root->query_pathkeys) != 1)
    return false;
  return copies_query_allowed(root, rel, rte, ht) &&
         pathkey_is_time((PathKey*)linitial(root->query_pathkeys), rel, ht);
}

// The planned chunk's ordered path if other chunks may copy its plan: a plain index scan, or for
// a compressed chunk an ordered ColumnarScan the columnstore accepts (its description in
// *compressed). *covering: the hypertable's restrictions its range covers (dropped from it).
// Whether the planned chunk's plan may be copied onto its siblings as far as its restrictions and
// columns go: exactly the hypertable's restrictions but those covering its range (*covering, see
// clauses_covering_chunk), and no whole-row Var (which has the chunk's row type).
bool copyable_restrictions(RelOptInfo* parent, const Hypertable* ht, RelOptInfo* child, const ChunkInfo* chunk,
                           Bitmapset** covering) {
  *covering = clauses_covering_chunk(parent, ht, chunk->range_start, chunk->range_end);
  if (list_length(child->baserestrictinfo) != list_length(parent->baserestrictinfo) - bms_num_members(*covering))
    return false;
  // (a walk for a whole-row Var, attno 0, without collecting every column read)
  ReadsColumn whole_row{child->relid, InvalidAttrNumber};
  ListCell* lc;
  foreach (lc, child->reltarget->exprs)
    if (reads_column_walker((Node*)lfirst(lc), &whole_row)) return false;
  foreach (lc, child->baserestrictinfo)
    if (reads_column_walker((Node*)((RestrictInfo*)lfirst(lc))->clause, &whole_row)) return false;
  return true;
}

Path* plan_copy_template(PlannerInfo* root, RelOptInfo* parent, const Hypertable* ht, RelOptInfo* child,
                         const ChunkInfo* chunk, int nchunks, void** compressed, Bitmapset** covering) {
  *compressed = nullptr;
  const bool columnar = chunk->status == kChunkStatusCompressed && compressed_copy_template != nullptr;
  if ((chunk->status != kChunkStatusNormal && !columnar) || child->tuples <= 0) return nullptr;
  if (!copyable_restrictions(parent, ht, child, chunk, covering)) return nullptr;
  Path* p = ordered_child_path(root, parent, ht, child, root->query_pathkeys, STARTUP_COST);
  if (p == nullptr || p->param_info != nullptr) return nullptr;
  if (!columnar && (!IsA(p, IndexPath) || p->pathtype != T_IndexScan)) return nullptr;
  // add_ordered_paths would also offer the children's best ordered paths by total cost (a sort
  // of a small chunk's sequential scan): the LIMIT picks between the two appends by their cost
  // for its fraction of the rows. Estimated as if every chunk were like this one.
  Path* t = ordered_child_path(root, parent, ht, child, root->query_pathkeys, TOTAL_COST);
  if (t != p) {
    const double fraction = std::min(1.0, root->limit_tuples / std::max(1.0, child->rows * nchunks));
    auto limited = [&](const Path* q) {
      return q->startup_cost + fraction * (q->total_cost * nchunks - q->startup_cost);
    };
    if (limited(t) < limited(p)) return nullptr;
  }
  if (columnar) {
    *compressed = compressed_copy_template(root, child, chunk, p);
    return *compressed != nullptr ? p : nullptr;
  }
  IndexPath* ip = (IndexPath*)p;
  if (ip->indexorderbys != NIL || ip->indexinfo->indpred != NIL || ip->indexinfo->indexprs != NIL) return nullptr;
  return &ip->path;
}

// The tiny real-time tail (`strata.enable_chunk_plan_copies`): the raw side of a real-time
// continuous aggregate, `time >= cagg_watermark(...)` (src/caggs/query.cpp), reads the few chunks at
// or above the watermark, usually a handful of small ones. Planning each of them (a RelOptInfo with
// its indexes and statistics, the selectivity of the watermark clause evaluated per chunk, paths)
// costs more than the rest of the view's planning. So when the first chunk planned is tiny and read
// best by a plain sequential scan (no index), it is the template, and each further
// row-store chunk with the same column layout and the same restrictions gets a copy of that scan
// on its own range table entry (the filter renumbered, rows and costs scaled by the sizes in
// pg_class), as for the chunks a LIMIT will not reach. Only while the whole tail is estimated at no
// more than kTailCopyMaxRows rows (tail_chunk_tuples): a bigger tail keeps its chunks planned one by
// one, which the real-time aggregation paths of the columnstore (RowstoreAggregate per chunk, in
// parallel or not) and parallel plans mostly need (a tiny tail is aggregated by PostgreSQL over the
// ChunkAppend).
constexpr double kTailCopyMaxRows = 1000;

// Each tail chunk's rows as the planner would estimate them (pg_class's density times the current
// number of pages, as estimate_rel_size), into tuples[] in the order of `chunks`; false when their
// sum passes kTailCopyMaxRows or a chunk's size is unknown (never analyzed or vacuumed, as the
// newest chunk, still filling, often is; or no pages then but some now): no tail copies then.
bool tail_chunk_tuples(List* chunks, double* tuples) {
  double total = 0;
  for (int k = 0; k < list_length(chunks); ++k) {
    Relation r = table_open(((ChunkInfo*)list_nth(chunks, k))->relid, NoLock);
    const double reltuples = r->rd_rel->reltuples;
    const double relpages = r->rd_rel->relpages;
    const double pages = RelationGetNumberOfBlocks(r);
    table_close(r, NoLock);
    if (reltuples < 0 || (relpages <= 0 && pages > 0)) return false;
    tuples[k] = pages > 0 ? std::floor(reltuples / relpages * pages + 0.5) : 0;
    total += tuples[k];
    if (total > kTailCopyMaxRows) return false;
  }
  return true;
}

bool tail_copies_allowed(PlannerInfo* root, RelOptInfo* rel, RangeTblEntry* rte, const Hypertable* ht,
                         List* runtime) {
  return has_cagg_watermark_lower_bound(runtime, ht) && copies_query_allowed(root, rel, rte, ht);
}

// The planned chunk's sequential scan if the tail's other chunks may copy it (see above).
Path* tail_copy_template(RelOptInfo* parent, const Hypertable* ht, RelOptInfo* child, const ChunkInfo* chunk,
                         Bitmapset** covering) {
  if (chunk->status != kChunkStatusNormal || child->tuples <= 0 || child->cheapest_total_path == nullptr)
    return nullptr;
  Path* p = child->cheapest_total_path;
  if (p->pathtype != T_SeqScan || !IsA(p, Path) || p->param_info != nullptr || p->parallel_aware) return nullptr;
  if (!copyable_restrictions(parent, ht, child, chunk, covering)) return nullptr;
  return p;
}

// Whether two indexes have the same definition: their pg_index rows equal but for the index's
// and the table's OIDs (key columns by number, operator classes, options, collations, flags),
// neither with expressions or a predicate. (Compared as bytes: a flag that differs, say
// indisclustered, only means no match, and the chunk is planned as usual.)
bool same_pg_index(Oid a, Oid b) {
  HeapTuple ta = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(a));
  if (!HeapTupleIsValid(ta)) return false;
  HeapTuple tb = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(b));
  if (!HeapTupleIsValid(tb)) {
    ReleaseSysCache(ta);
    return false;
  }
  const HeapTupleHeader ha = ta->t_data;
  const HeapTupleHeader hb = tb->t_data;
  const Form_pg_index fb = (Form_pg_index)GETSTRUCT(tb);
  constexpr uint32 kOids = 2 * sizeof(Oid);  // indexrelid, indrelid
  const bool same = ta->t_len == tb->t_len && ha->t_hoff == hb->t_hoff &&
                    HeapTupleHeaderGetNatts(ha) == HeapTupleHeaderGetNatts(hb) &&
                    (ha->t_infomask & HEAP_HASNULL) == (hb->t_infomask & HEAP_HASNULL) &&
                    memcmp(ha->t_bits, hb->t_bits, ha->t_hoff - offsetof(HeapTupleHeaderData, t_bits)) == 0 &&
                    fb->indisvalid && fb->indisready && fb->indislive &&
                    // (an index built over broken HOT chains is usable only by snapshots newer
                    // than its pg_index row, which get_relation_info checks: not copied onto)
                    !fb->indcheckxmin &&
                    heap_attisnull(tb, Anum_pg_index_indexprs, nullptr) &&
                    heap_attisnull(tb, Anum_pg_index_indpred, nullptr) &&
                    memcmp((char*)ha + ha->t_hoff + kOids, (char*)hb + hb->t_hoff + kOids,
                           ta->t_len - ha->t_hoff - kOids) == 0;
  ReleaseSysCache(tb);
  ReleaseSysCache(ta);
  return same;
}

// The chunk's index of the template index's definition (first tried at the same position).
// Answers are kept across queries (finding one opens the chunk and compares pg_index rows, about
// 2,500 instructions a chunk) while the chunk cache's generation and relid epoch stay as they were
// (the stamp kept INSERT routes use): creating, dropping or changing an index (its pg_index row)
// sends a relcache invalidation naming its table and itself, which moves the epoch, and a dropped
// relation's reused OID comes after that.
struct IndexMatchKey {
  Oid index;  // the template's index
  Oid chunk;
};
struct IndexMatchEntry {
  IndexMatchKey key;
  Oid match;  // the chunk's index of that definition, or InvalidOid
};
HTAB* index_matches = nullptr;
uint64 index_matches_generation = 0;  // the stamp the answers were found in
uint32 index_matches_epoch = 0;

Oid find_matching_chunk_index(Oid chunk_relid, const IndexOptInfo* index, int position);

Oid matching_chunk_index(Oid chunk_relid, const IndexOptInfo* index, int position) {
  const IndexMatchKey key{index->indexoid, chunk_relid};
  const uint64 generation = chunk_cache_generation();
  const uint32 epoch = chunk_relid_epoch();
  if (index_matches != nullptr && (index_matches_generation != generation || index_matches_epoch != epoch)) {
    hash_destroy(index_matches);
    index_matches = nullptr;
  }
  if (index_matches != nullptr) {
    if (auto* e = (IndexMatchEntry*)hash_search(index_matches, &key, HASH_FIND, nullptr)) return e->match;
  }
  const Oid match = find_matching_chunk_index(chunk_relid, index, position);
  // (kept only when nothing was invalidated while looking)
  if (generation != chunk_cache_generation() || epoch != chunk_relid_epoch()) return match;
  if (index_matches == nullptr) {
    index_matches_generation = generation;
    index_matches_epoch = epoch;
    HASHCTL ctl;
    ctl.keysize = sizeof(IndexMatchKey);
    ctl.entrysize = sizeof(IndexMatchEntry);
    ctl.hcxt = CacheMemoryContext;
    index_matches = hash_create("strata chunk index matches", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
  }
  auto* e = (IndexMatchEntry*)hash_search(index_matches, &key, HASH_ENTER, nullptr);
  e->match = match;
  return match;
}

Oid find_matching_chunk_index(Oid chunk_relid, const IndexOptInfo* index, int position) {
  Relation r = table_open(chunk_relid, NoLock);
  List* indexes = RelationGetIndexList(r);
  table_close(r, NoLock);
  if (position < list_length(indexes) && same_pg_index(index->indexoid, list_nth_oid(indexes, position)))
    return list_nth_oid(indexes, position);
  ListCell* lc;
  foreach (lc, indexes)
    if (same_pg_index(index->indexoid, lfirst_oid(lc))) return lfirst_oid(lc);
  return InvalidOid;
}

// The copy of the template's plan for the chunk at `rti`, or nullptr when it does not qualify.
struct PlanCopySource {
  RelOptInfo* rel;  // the template chunk
  Path* path;       // an IndexPath, or (compressed) the columnstore's ordered scan
  int position;     // the template's position among the children with paths
  Bitmapset* covering;  // the hypertable's restrictions its range covers (dropped from it)
  void* compressed;     // a compressed template: the columnstore's description of it
  // (the parent's restrictions' bounds, computed for the first chunk asked about)
  mutable CoveringClauses* covering_cache = nullptr;
};

// The copy of the template's plan on the chunk at `rti` with its index (or companion table),
// rows and costs scaled by `ratio`.
const ChunkPlanCopy* new_plan_copy(Index rti, Oid indexoid, const PlanCopySource& src, double ratio) {
  ChunkPlanCopy* c = new_chunk_plan_copy();
  c->rti = rti;
  c->indexoid = indexoid;
  c->source = src.position;
  c->ratio = ratio;
  c->rows = clamp_row_est(src.path->rows * ratio);
  c->startup_cost = src.path->startup_cost;
  c->total_cost = scaled_total_cost(src.path->startup_cost, src.path->total_cost, ratio);
  return c;
}

// (`tuples`: the tail chunk's rows from tail_chunk_tuples; `lazy`: an ordered LIMIT's copy, made
// when the executor first reads it if it is a row-store index scan's)
const ChunkPlanCopy* plan_copy_for(PlannerInfo* root, RelOptInfo* parent, const Hypertable* ht,
                                   const PlanCopySource& src, Index rti, const ChunkInfo* chunk, double tuples,
                                   bool lazy) {
  if (chunk->status != (src.compressed != nullptr ? kChunkStatusCompressed : kChunkStatusNormal) ||
      !bms_equal(src.covering,
                 clauses_covering_chunk(parent, ht, chunk->range_start, chunk->range_end, &src.covering_cache)))
    return nullptr;
  const List* tv = root->append_rel_array[src.rel->relid]->translated_vars;
  if (root->append_rel_array[rti] == nullptr) {
    // (the chunk's columns are the hypertable's in the same places, add_chunk_rte: the template's
    // must be too)
    for (int i = 0; i < list_length(tv); ++i) {
      const Var* a = (const Var*)list_nth(tv, i);
      if (a == nullptr || a->varattno != i + 1) return nullptr;
    }
  } else {
    const List* cv = root->append_rel_array[rti]->translated_vars;
    if (list_length(tv) != list_length(cv)) return nullptr;
    for (int i = 0; i < list_length(tv); ++i) {
      const Var* a = (const Var*)list_nth(tv, i);
      const Var* b = (const Var*)list_nth(cv, i);
      if ((a == nullptr) != (b == nullptr) || (a != nullptr && a->varattno != b->varattno)) return nullptr;
    }
  }
  Oid companion;
  double cratio;
  if (src.compressed != nullptr) {
    if (!compressed_copy_match(src.compressed, chunk, &companion, &cratio)) return nullptr;
    return new_plan_copy(rti, companion, src, cratio);
  }
  if (src.path->pathtype == T_SeqScan)  // (the tiny tail's: no index)
    return new_plan_copy(rti, InvalidOid, src, std::max(tuples, 1.0) / src.rel->tuples);
  HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(chunk->relid));
  if (!HeapTupleIsValid(tup)) return nullptr;
  const double reltuples = ((Form_pg_class)GETSTRUCT(tup))->reltuples;
  ReleaseSysCache(tup);
  const IndexOptInfo* indexinfo = ((IndexPath*)src.path)->indexinfo;
  int position = 0;
  ListCell* lc;
  foreach (lc, src.rel->indexlist) {
    if (lfirst(lc) == indexinfo) break;
    position++;
  }
  const Oid index = matching_chunk_index(chunk->relid, indexinfo, position);
  if (!OidIsValid(index)) return nullptr;
  // (never analyzed or vacuumed: as big as the template)
  ChunkPlanCopy* copy =
      (ChunkPlanCopy*)new_plan_copy(rti, index, src, reltuples >= 0 ? std::max(reltuples, 1.0) / src.rel->tuples : 1.0);
  copy->lazy = lazy;
  return copy;
}

// The hypertable's one path when some chunks are plan copies: the ordered ChunkAppend over the
// children in reading order (`kids`); its size from the planned chunks and the copies' estimates.
// (The template's ordered path is src's.)
// (`ordered` false: the tiny tail's unordered ChunkAppend over each planned chunk's cheapest path.)
void add_path_with_plan_copies(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht, ChildRel* kids, int n,
                               List* runtime, const PlanCopySource& src, bool ordered = true) {
  ChildRel* planned = (ChildRel*)palloc(sizeof(ChildRel) * n);
  int nplanned = 0;
  double copy_rows = 0;
  double copy_tuples = 0;
  for (int i = 0; i < n; ++i) {
    if (kids[i].rel != nullptr) {
      planned[nplanned++] = kids[i];
    } else {
      copy_rows += kids[i].copy->rows;
      copy_tuples += kids[i].copy->ratio * planned[kids[i].copy->source].rel->tuples;
    }
  }
  set_parent_size(rel, planned, nplanned);
  rel->rows = clamp_row_est(rel->rows + copy_rows);
  rel->tuples += copy_tuples;
  ChunkAppendChild* children = (ChunkAppendChild*)palloc(sizeof(ChunkAppendChild) * n);
  for (int i = 0; i < n; ++i) {
    ChildRel* kid = &kids[i];
    Path* path = kid->rel == nullptr ? nullptr
                 : kid->rel == src.rel ? src.path
                 : !ordered            ? kid->rel->cheapest_total_path
                                       : ordered_child_path(root, rel, ht, kid->rel, root->query_pathkeys, STARTUP_COST);
    children[i] = ChunkAppendChild{path, kid->range_start, kid->range_end, kid->space_start, kid->space_end,
                                   kid->copy};
  }
  forget_paths(rel);
  add_path(rel, (Path*)chunk_append_path_create(root, rel, children, n, runtime, ht->time_type,
                                                ordered ? root->query_pathkeys : NIL, nullptr, nullptr));
}

void expand_hypertable(PlannerInfo* root, RelOptInfo* rel, Index rti, RangeTblEntry* rte,
                       const Hypertable* ht) {
  // The plan depends on the chunk catalog: every catalog change (a new chunk, a dropped one, a
  // changed range or status) sends a relcache invalidation of this relation, which invalidates
  // cached plans that list it, whether or not PostgreSQL itself noticed a change of the hypertable.
  root->glob->relationOids = lappend_oid(root->glob->relationOids, catalog_plan_dependency_oid());

  TimeRestriction restriction;
  time_restriction_analyze(root, rel, ht, &restriction);
  List* runtime = guc_enable_runtime_exclusion ? restriction.runtime : NIL;
  if (guc_enable_runtime_exclusion && ht->num_partitions > 0)
    runtime = list_concat(runtime, space_runtime_clauses(root, rel, ht));

  List* candidates = chunks_for_set(ht, restriction.plan_set);
  if (ht->num_partitions > 0) candidates = space_filter_chunks(root, rel, ht, candidates);
  List* chunks = lock_chunks(candidates, rte->rellockmode);
  List* time_order = time_order_for_bucket_keys(root, rel, ht);
  WatermarkBound watermark{0, nullptr, 0, nullptr};
  const bool below_watermark = cagg_watermark_upper_bound(root, rel, ht, &watermark);
  // (the materialized side of a real-time aggregate whose chunks all end at or below the watermark's
  // planning-time value: its clause excludes none of them at any later execution, since the watermark
  // never decreases and a new chunk invalidates the plan, so it is no run-time clause: without
  // other ones the chunks are read by a plain Append, as when the materialization is read alone)
  if (below_watermark && runtime != NIL && all_chunks_end_by(chunks, watermark.value))
    runtime = runtime_without_watermark(runtime, watermark);
  const bool parallel_runtime = runtime != NIL && runtime_allows_parallel(root, runtime);
  const int nchunks = list_length(chunks);
  ChildRel* kids = (ChildRel*)palloc(sizeof(ChildRel) * (nchunks > 0 ? nchunks : 1));
  int n = 0;
  ChunkPlanTemplate tmpl{nullptr, NIL, false, NIL, 1.0};
  CompressedTemplate ctmpl{nullptr, NIL};
  // Chunks a LIMIT will not reach (see plan_copies_allowed): planned in reading order.
  const bool copies_allowed = nchunks > 1 && !below_watermark && plan_copies_allowed(root, rel, rte, ht, time_order);
  const bool reverse = copies_allowed &&
                       ((PathKey*)linitial(root->query_pathkeys))->pk_strategy == BTGreaterStrategyNumber;
  // The tiny real-time tail (see tail_copies_allowed): planned in range order.
  double* tail_tuples = nullptr;
  bool tail_copies = nchunks > 1 && !copies_allowed && !below_watermark &&
                     tail_copies_allowed(root, rel, rte, ht, runtime);
  PlanCopySource copy_src{nullptr, nullptr, 0, nullptr, nullptr};
  int ncopies = 0;
  int template_attempts = 0;
  List* unwatermarked = NIL;
  bool have_unwatermarked = false;
  if (nchunks > 0) {
    expand_planner_arrays(root, nchunks);
    Relation parent_rel = table_open(rte->relid, NoLock);
    // (range table entries in range order, whatever the order of planning)
    Index* rtis = (Index*)palloc(sizeof(Index) * nchunks);
    bool* dmls = (bool*)palloc(sizeof(bool) * nchunks);
    for (int k = 0; k < nchunks; ++k) {
      rtis[k] = add_chunk_rte(root, rte, rti, parent_rel, ((ChunkInfo*)list_nth(chunks, k))->relid, copies_allowed);
      dmls[k] = register_dml_chunk(root, rti, rtis[k], root->simple_rte_array[rtis[k]]);
    }
    if (tail_copies) {
      tail_tuples = (double*)palloc(sizeof(double) * nchunks);
      tail_copies = tail_chunk_tuples(chunks, tail_tuples);
    }
    for (int k = 0; k < nchunks; ++k) {
      const int at = reverse ? nchunks - 1 - k : k;
      ChunkInfo* c = (ChunkInfo*)list_nth(chunks, at);
      const Index child_rti = rtis[at];
      const bool dml = dmls[at];
      if (copy_src.path != nullptr) {
        if (const ChunkPlanCopy* copy = plan_copy_for(root, rel, ht, copy_src, child_rti, c,
                                                            tail_copies ? tail_tuples[at] : -1,
                                                            copies_allowed && guc_enable_lazy_chunk_plan_copies)) {
          kids[n++] = ChildRel{nullptr, c->range_start, c->range_end, c->space_start, c->space_end, copy};
          ncopies++;
          continue;
        }
      }
      // (a chunk below the watermark is built without the parent's watermark clause, which holds for
      // all its rows at every execution)
      const bool satisfied = below_watermark && c->range_end <= watermark.value;
      if (satisfied && !have_unwatermarked) {
        unwatermarked = quals_without_watermark(rel, watermark);
        have_unwatermarked = true;
      }
      List* const parent_quals = rel->baserestrictinfo;
      // (built without the parent's restrictions, which translate_child_quals gives it; an error
      // while building ends planning, which discards the rel: no need to restore it then)
      rel->baserestrictinfo = NIL;
      ensure_chunk_appinfo(root, rti, parent_rel, child_rti);
      RelOptInfo* child = build_simple_rel(root, child_rti, rel);
      rel->baserestrictinfo = parent_quals;
      translate_child_quals(root, satisfied ? unwatermarked : parent_quals, child);
      drop_clauses_covering_chunk(child, ht, c->range_start, c->range_end,
                                  root->append_rel_array[child_rti]->translated_vars);
      // With run-time clauses, ChunkAppend (which is not parallel-aware) must get the chance to
      // exclude chunks: the chunks' partial paths are made only for a partial ChunkAppend
      // (use_partial_chunk_append), never for an Append that would compete with it.
      Var* time_var = (Var*)list_nth(root->append_rel_array[child_rti]->translated_vars, ht->time_attno - 1);
      tmpl.last = k == nchunks - 1;
      if (!plan_chunk_rel(root, rel, child, runtime == NIL || parallel_runtime, c, dml, time_order, time_var->varattno,
                          &tmpl, &ctmpl))
        continue;
      // (the chunks are alike: when the first two row-store chunks read do not make a template,
      // the others are not asked, which costs about a sort path per chunk)
      if (copies_allowed && copy_src.path == nullptr && template_attempts < kPlanCopyAttempts) {
        template_attempts++;
        void* compressed;
        Bitmapset* covering = nullptr;
        if (Path* p = plan_copy_template(root, rel, ht, child, c, nchunks, &compressed, &covering))
          copy_src = PlanCopySource{child, p, n - ncopies, covering, compressed};
      } else if (tail_copies && copy_src.path == nullptr && template_attempts == 0) {
        // (one attempt: the tail's first chunk)
        template_attempts++;
        Bitmapset* covering = nullptr;
        if (Path* p = tail_copy_template(rel, ht, child, c, &covering))
          copy_src = PlanCopySource{child, p, n - ncopies, covering, nullptr};
      }
      kids[n++] = ChildRel{child, c->range_start, c->range_end, c->space_start, c->space_end};
    }
    table_close(parent_rel, NoLock);
  }
  if (ncopies > 0) {
    rte->inh = true;
    const double old_rows = rel->rows;
    add_path_with_plan_copies(root, rel, ht, kids, n, runtime, copy_src, !tail_copies);
    propagate_rows_to_appendrel_parents(root, rel, old_rows);
    return;
  }
  // (the rest wants the chunks in range order)
  if (reverse) std::reverse(kids, kids + n);
  // From here on the hypertable is an append relation (statistics lookups use the inherited
  // statistics).
  rte->inh = true;

  const double old_rows = rel->rows;
  if (n == 0) {
    mark_dummy_rel(rel);
    propagate_rows_to_appendrel_parents(root, rel, old_rows);
    return;
  }
  set_parent_size(rel, kids, n);
  propagate_rows_to_appendrel_parents(root, rel, old_rows);

  forget_paths(rel);
  List* live = NIL;
  for (int i = 0; i < n; ++i) live = lappend(live, kids[i].rel);
  add_paths_to_append_rel(root, rel, live);
  if (guc_enable_runtime_exclusion) use_chunk_append_for_appends(root, rel, ht, kids, n, runtime);
  if (runtime != NIL) {
    if (parallel_runtime)
      use_partial_chunk_append(root, rel, ht, kids, n, runtime);
    else
      rel->partial_pathlist = NIL;
  }
  // Reading chunks one after the other in range order is ordered only when no two of them share
  // a time range (with a hash dimension, several do unless a hash restriction left one slice):
  // otherwise PostgreSQL's MergeAppend paths stay.
  bool shared_ranges = false;
  for (int i = 1; i < n; ++i)
    if (kids[i].range_start == kids[i - 1].range_start) shared_ranges = true;
  if (!shared_ranges) {
    if (guc_enable_ordered_append && (n > 1 || runtime != NIL))
      merge_appends_to_chunk_appends(root, rel, ht, kids, n, runtime);
    add_ordered_paths(root, rel, ht, kids, n, runtime);
  }
  // The MergeAppends left (not time first, or chunks sharing time ranges) exclude chunks at
  // executor start, and lock only those they read, as ChunkMergeAppends (in SELECTs without row
  // marks: ChunkMergeAppend is not made for ModifyTable's or EvalPlanQual's re-reads).
  bool startup_clauses = false;
  if (root->parse->commandType != CMD_SELECT || root->rowMarks != NIL) runtime = NIL;
  ListCell* lc;
  foreach (lc, runtime)
    if (!((RuntimeClause*)lfirst(lc))->exec_time) startup_clauses = true;
  if (startup_clauses) merge_appends_to_chunk_merges(root, rel);
}

}  // namespace

bool is_strata_time_bucket_function(Oid funcid) { return is_strata_time_bucket(funcid); }

void expand_hypertable_rel(PlannerInfo* root, RelOptInfo* rel, Index rti, RangeTblEntry* rte) {
  if (!rte_is_marked(rte) || rte->inh) return;
  restore_hypertable_indexes(root, rel);
  if (rel->reloptkind != RELOPT_BASEREL && rel->reloptkind != RELOPT_OTHER_MEMBER_REL) return;
  if (IS_DUMMY_REL(rel)) return;
  Hypertable* ht = hypertable_get(rte->relid);
  if (ht == nullptr) {
    // Not a hypertable any more (dropped between marking and planning cannot happen under our
    // lock, but be safe): the parent's own scan is all there is.
    return;
  }
  expand_hypertable(root, rel, rti, rte, ht);
}

namespace {

// Whether the rel (a chunk, or a member of an inheritance tree) is a result relation of the
// query or is row-locked (FOR UPDATE/SHARE; UPDATE/DELETE/MERGE mark every other relation too).
bool is_dml_target_rel(PlannerInfo* root, Index relid) {
  Index parent = relid;
  if (root->append_rel_array != nullptr && root->append_rel_array[relid] != nullptr)
    parent = root->append_rel_array[relid]->parent_relid;
  Query* parse = root->parse;
  if (parse->resultRelation > 0 && ((Index)parse->resultRelation == parent || (Index)parse->resultRelation == relid))
    return true;
  return get_plan_rowmark(root->rowMarks, parent) != nullptr || get_plan_rowmark(root->rowMarks, relid) != nullptr;
}

}  // namespace

void plan_compressed_chunk_dml_target(PlannerInfo* root, RelOptInfo* rel, Index rti, RangeTblEntry* rte) {
  if (rte->rtekind != RTE_RELATION || rte->inh || rte->relkind != RELKIND_RELATION) return;
  if (rel->reloptkind != RELOPT_BASEREL && rel->reloptkind != RELOPT_OTHER_MEMBER_REL) return;
  if (IS_DUMMY_REL(rel) || !extension_is_active()) return;
  if (get_rel_namespace(rte->relid) != internal_namespace_oid()) return;
  if (!is_dml_target_rel(root, rti)) return;
  ChunkInfo chunk;
  if (!chunk_get_by_relid(rte->relid, &chunk) || (chunk.status & kChunkStatusCompressed) == 0) return;
  if (compressed_chunk_dml == nullptr) refuse_compressed_chunk(&chunk);
  compressed_chunk_dml(root, rel, rti, &chunk);
}

void check_compressed_chunk_rel(PlannerInfo* root, Oid relid, bool inhparent, RelOptInfo* rel) {
  if (inhparent || !extension_is_active()) return;
  // Hypertable expansion (the parent is a marked hypertable) calls compressed_chunk_paths itself,
  // so its chunks need no lookup here (checked first: this runs for every chunk planned).
  AppendRelInfo* ai = root->append_rel_array != nullptr ? root->append_rel_array[rel->relid] : nullptr;
  if (ai != nullptr && rte_is_marked(planner_rt_fetch(ai->parent_relid, root))) return;
  // Chunks live in the internal schema; anything else costs one syscache lookup.
  if (get_rel_namespace(relid) != internal_namespace_oid()) return;
  ChunkInfo chunk;
  if (!chunk_get_by_relid(relid, &chunk) || (chunk.status & kChunkStatusCompressed) == 0) return;
  // UPDATE/DELETE/MERGE targets and row-locked chunks: plan_compressed_chunk_dml_target.
  if (compressed_chunk_dml != nullptr && is_dml_target_rel(root, rel->relid)) return;
  if (compressed_chunk_rel == nullptr) refuse_compressed_chunk(&chunk);
  compressed_chunk_rel(root, relid, rel, &chunk);
}

namespace {

// The number of time_bucket(width, time) buckets that the ranges of a ChunkAppend path's children
// can hold (width in microseconds, the internal axis of timestamps), or -1.
double chunk_append_buckets(const CustomPath* path, double width) {
  List* ranges = (List*)linitial(path->custom_private);
  double buckets = 0;
  int64 prev_start = 0;
  const int n = chunk_append_range_children(ranges);
  for (int i = 0; i < n; ++i) {
    int64 start, end;
    chunk_append_child_range(ranges, i, &start, &end);
    if (end <= start || start == core::kOpenStart || end == core::kOpenEnd) return -1;
    if (i > 0 && start == prev_start) continue;  // (a hash slice of the same range)
    prev_start = start;
    // (+1: a chunk's range need not start on a bucket boundary)
    buckets += std::ceil(((double)end - (double)start) / width) + 1;
  }
  return buckets;
}

// The partial ChunkAppend under `path` (through a projection), or nullptr.
const CustomPath* partial_chunk_append_below(const Path* path) {
  if (IsA(path, ProjectionPath)) path = ((const ProjectionPath*)path)->subpath;
  return is_chunk_append_path(path) && path->parallel_safe ? (const CustomPath*)path : nullptr;
}

// At most how many groups GROUP BY yields over the chunks of `append`: the buckets of its first
// time_bucket(fixed interval, time) key times the other keys' groups; -1 when there is none.
double capped_bucket_groups(PlannerInfo* root, RelOptInfo* input_rel, const CustomPath* append) {
  const Hypertable* ht = hypertable_get(planner_rt_fetch(input_rel->relid, root)->relid);
  if (ht == nullptr || (ht->time_type != TIMESTAMPTZOID && ht->time_type != TIMESTAMPOID)) return -1;
  List* others = NIL;
  double buckets = -1;
  ListCell* lc;
  foreach (lc, get_sortgrouplist_exprs(root->parse->groupClause, root->processed_tlist)) {
    Node* e = (Node*)lfirst(lc);
    if (buckets < 0 && IsA(e, FuncExpr) && list_length(((FuncExpr*)e)->args) == 2 &&
        is_strata_time_bucket(((FuncExpr*)e)->funcid)) {
      const Node* w = (const Node*)linitial(((FuncExpr*)e)->args);
      if (IsA(w, Const) && !((const Const*)w)->constisnull && ((const Const*)w)->consttype == INTERVALOID &&
          expr_is_time_var((Expr*)lsecond(((FuncExpr*)e)->args), input_rel->relid, ht->time_attno)) {
        const Interval* iv = DatumGetIntervalP(((const Const*)w)->constvalue);
        // (in double: a width of millions of days would overflow int64 microseconds)
        const double width = iv->month == 0 ? (double)iv->time + (double)iv->day * (double)USECS_PER_DAY : 0;
        if (width > 0) buckets = chunk_append_buckets(append, width);
        if (buckets >= 0) continue;
      }
    }
    others = lappend(others, e);
  }
  if (buckets < 0) return -1;
  return buckets * (others == NIL ? 1.0 : estimate_num_groups(root, others, input_rel->rows, nullptr, nullptr));
}

}  // namespace

void add_bucket_capped_gather_paths(PlannerInfo* root, UpperRelationKind stage, RelOptInfo* input_rel,
                                    RelOptInfo* output_rel, void* extra) {
  if (stage != UPPERREL_GROUP_AGG || extra == nullptr || !guc_enable_parallel_chunk_append) return;
  const GroupPathExtraData* ex = (const GroupPathExtraData*)extra;
  if (input_rel->reloptkind != RELOPT_BASEREL || root->parse->groupingSets != NIL ||
      root->parse->groupClause == NIL || root->hasHavingQual || (ex->flags & GROUPING_CAN_PARTIAL_AGG) == 0 ||
      (ex->flags & GROUPING_CAN_USE_HASH) == 0 || ex->patype != PARTITIONWISE_AGGREGATE_NONE ||
      output_rel->pathlist == NIL)
    return;
  RelOptInfo* partial_rel = find_base_rel(root, input_rel->relid) == input_rel
                                ? fetch_upper_rel(root, UPPERREL_PARTIAL_GROUP_AGG, output_rel->relids)
                                : nullptr;
  if (partial_rel == nullptr) return;
  AggPath* best = nullptr;
  ListCell* lc;
  foreach (lc, partial_rel->partial_pathlist) {
    Path* p = (Path*)lfirst(lc);
    if (!IsA(p, AggPath) || ((AggPath*)p)->aggstrategy != AGG_HASHED ||
        ((AggPath*)p)->aggsplit != AGGSPLIT_INITIAL_SERIAL || partial_chunk_append_below(((AggPath*)p)->subpath) == nullptr)
      continue;
    if (best == nullptr || p->total_cost < best->path.total_cost) best = (AggPath*)p;
  }
  if (best == nullptr) return;
  const double groups = capped_bucket_groups(root, input_rel, partial_chunk_append_below(best->subpath));
  if (groups < 0 || groups >= best->path.rows) return;
  AggPath* partial = makeNode(AggPath);
  memcpy(partial, best, sizeof(AggPath));
  partial->path.rows = clamp_row_est(groups);
  partial->numGroups = (Cardinality)partial->path.rows;
  double gathered = partial->path.rows * partial->path.parallel_workers;
  Path* gather = (Path*)create_gather_path(root, partial_rel, &partial->path, partial_rel->reltarget, nullptr, &gathered);
  const double final_groups = std::min(gathered, ((Path*)linitial(output_rel->pathlist))->rows);
  add_path(output_rel, (Path*)create_agg_path(root, output_rel, gather, output_rel->reltarget, AGG_HASHED,
                                              AGGSPLIT_FINAL_DESERIAL, root->parse->groupClause, NIL,
                                              &ex->agg_final_costs, final_groups));
}

void planner_init() {
  chunk_append_register();
  skip_scan_register();
}

}  // namespace strata
