// The view of a real-time continuous aggregate (src/caggs/query.cpp, user_view_sql) is
//
//   (SELECT cols FROM mat WHERE bucket < cagg_watermark(id, NULL::type))
//   UNION ALL (SELECT time_bucket(...), aggregates FROM raw WHERE time >= cagg_watermark(...) GROUP BY ...)
//
// PostgreSQL flattens a UNION ALL into an appendrel whose members are planned at the outer query's
// level, but pulls up a member sub-query only when it has no WHERE clause (prepjointree.c,
// is_safe_append_member: an appendrel has no place for a member's quals). So the materialized
// branch, with its watermark clause, was planned as a sub-query of its own (a second
// subquery_planner, its plan copied by set_plan_references, a Subquery Scan and a Result per row
// when executed). Before planning, its WHERE clause moves into the materialization hypertable's range
// table entry as a security qual, PostgreSQL's own place for a member's restrictions (row-level
// security on a UNION ALL member's table, inherit.c apply_child_basequals): the branch is then
// pulled up, and the clause is still enforced by PostgreSQL, as part of the hypertable rel's
// restrictions, where strata's expansion finds it as before (restrict.cpp,
// cagg_watermark_upper_bound). The stored view is unchanged.
//
// A security qual raises the query level's qual_security_level: the outer quals get a higher
// level than the watermark clause, which matters only for quals that are not leakproof (they may
// not be used as index quals on a rel with a lower-level qual, nor as equivalence classes, and are
// evaluated after it). So the move is made only when no qual that can end up at the view's level
// can leak (contain_leaked_vars): the quals of every query level but the view's own branches,
// the target lists of sub-queries (pulled up, their expressions replace Vars in outer quals), and
// no SQL function in FROM (inlined later, bringing its quals along); otherwise the view is planned
// as before. With only leakproof quals the security levels change almost no planning decision:
// index quals and equivalence classes are used as before; but order_qual_clauses puts the
// watermark clause ahead of a leakproof qual of a higher level that costs 10 operators or more
// (the order in which a scan evaluates its quals, not which rows it returns), where
// level_realtime_member_quals has not set the member's levels to 0.
#include "planner/realtime_union.hpp"

#include "catalog/hypertables.hpp"
#include "catalog/registry.hpp"
#include "planner/planner.hpp"
#include "planner/restrict.hpp"

extern "C" {
#include "catalog/pg_language.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"
#include "utils/syscache.h"
}

namespace strata {

bool guc_enable_realtime_pullup = true;

namespace {

bool target_list_leaks(List* tlist);

// The materialized branch of a real-time aggregate's view: the left leaf of a UNION ALL whose
// query reads one table (not ONLY, no row security) under exactly one comparison of a column with
// cagg_watermark(...) (the view writes `bucket < cagg_watermark(...)`), with a select list that cannot
// leak. Returns the leaf's query, or nullptr.
Query* realtime_materialized_leaf(Query* q) {
  auto* op = (SetOperationStmt*)q->setOperations;
  if (!IsA(op, SetOperationStmt) || op->op != SETOP_UNION || !op->all || !IsA(op->larg, RangeTblRef)) return nullptr;
  RangeTblEntry* leaf_rte = (RangeTblEntry*)list_nth(q->rtable, ((RangeTblRef*)op->larg)->rtindex - 1);
  if (leaf_rte->rtekind != RTE_SUBQUERY || leaf_rte->security_barrier || leaf_rte->lateral) return nullptr;
  Query* leaf = leaf_rte->subquery;
  if (leaf->commandType != CMD_SELECT || leaf->setOperations != nullptr || leaf->hasAggs || leaf->hasWindowFuncs ||
      leaf->hasTargetSRFs || leaf->hasSubLinks || leaf->hasRowSecurity || leaf->groupClause != NIL ||
      leaf->groupingSets != NIL || leaf->havingQual != nullptr || leaf->distinctClause != NIL ||
      leaf->sortClause != NIL || leaf->limitCount != nullptr || leaf->limitOffset != nullptr ||
      leaf->rowMarks != NIL || leaf->cteList != NIL || list_length(leaf->rtable) != 1)
    return nullptr;
  FromExpr* jt = leaf->jointree;
  if (jt == nullptr || list_length(jt->fromlist) != 1 || !IsA(linitial(jt->fromlist), RangeTblRef) ||
      ((RangeTblRef*)linitial(jt->fromlist))->rtindex != 1 || jt->quals == nullptr || !IsA(jt->quals, OpExpr))
    return nullptr;
  RangeTblEntry* rte = (RangeTblEntry*)linitial(leaf->rtable);
  if (rte->rtekind != RTE_RELATION || rte->relkind != RELKIND_RELATION || !rte->inh || rte->tablesample != nullptr ||
      rte->securityQuals != NIL)
    return nullptr;
  OpExpr* cmp = (OpExpr*)jt->quals;
  if (list_length(cmp->args) != 2 || !IsA(linitial(cmp->args), Var)) return nullptr;
  Var* var = (Var*)linitial(cmp->args);
  if (var->varno != 1 || var->varlevelsup != 0 || var->varattno <= 0) return nullptr;
  if (!is_cagg_watermark((Node*)lsecond(cmp->args))) return nullptr;
  // (the view's select list holds plain columns; a hand-written one that can leak would put its
  // expressions into the outer quals at a level above the watermark clause's)
  if (target_list_leaks(leaf->targetList)) return nullptr;
  return leaf;
}

struct Scan {
  List* leaves;      // Query* of materialized branches to pull up
  bool leaky;        // some qual that may reach a view's level can leak
  bool top;          // at the statement's own level (its target list is not a qual)
  bool check_leaks;  // (a first walk only looks for views: a statement without one pays no leak checks)
};

bool scan_walker(Node* node, void* context);

// (contain_leaked_vars takes a TargetEntry for leaky: each entry's expression is checked)
bool target_list_leaks(List* tlist) {
  ListCell* lc;
  foreach (lc, tlist)
    if (contain_leaked_vars((Node*)((TargetEntry*)lfirst(lc))->expr)) return true;
  return false;
}

bool jointree_quals_leak(Node* node) {
  if (node == nullptr) return false;
  if (IsA(node, FromExpr)) {
    FromExpr* f = (FromExpr*)node;
    ListCell* lc;
    foreach (lc, f->fromlist)
      if (jointree_quals_leak((Node*)lfirst(lc))) return true;
    return f->quals != nullptr && contain_leaked_vars(f->quals);
  }
  if (IsA(node, JoinExpr)) {
    JoinExpr* j = (JoinExpr*)node;
    return jointree_quals_leak(j->larg) || jointree_quals_leak(j->rarg) ||
           (j->quals != nullptr && contain_leaked_vars(j->quals));
  }
  return false;
}

// A set-returning SQL function in FROM is inlined during planning: its query's quals join the level.
bool inlinable_function_rte(const RangeTblEntry* rte) {
  ListCell* lc;
  foreach (lc, rte->functions) {
    Node* expr = ((RangeTblFunction*)lfirst(lc))->funcexpr;
    if (!IsA(expr, FuncExpr)) continue;
    HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(((FuncExpr*)expr)->funcid));
    if (!HeapTupleIsValid(tup)) return true;
    const bool sql = ((Form_pg_proc)GETSTRUCT(tup))->prolang == SQLlanguageId;
    ReleaseSysCache(tup);
    if (sql) return true;
  }
  return false;
}

// Checks one query level's quals (and, below the top, its target list) and goes on to its
// sub-queries. A real-time view's branches are not checked: the materialized one's only qual is the
// watermark clause (leakproof: no Var under its function), the aggregated one is planned as a
// sub-query of its own; the aggregated one is searched for views only to keep them as they are
// (its own level's quals are not checked here).
void scan_query(Query* q, Scan* s) {
  const bool top = s->top;
  s->top = false;
  if (s->check_leaks && !s->leaky && (jointree_quals_leak((Node*)q->jointree) ||
                    (q->havingQual != nullptr && contain_leaked_vars(q->havingQual)) ||
                    (!top && target_list_leaks(q->targetList))))
    s->leaky = true;
  Query* mat_leaf = q->setOperations != nullptr ? realtime_materialized_leaf(q) : nullptr;
  if (mat_leaf != nullptr) s->leaves = lappend(s->leaves, mat_leaf);
  ListCell* lc;
  foreach (lc, q->rtable) {
    RangeTblEntry* rte = (RangeTblEntry*)lfirst(lc);
    if (rte->rtekind == RTE_FUNCTION && s->check_leaks && !s->leaky && inlinable_function_rte(rte)) s->leaky = true;
    if (rte->rtekind != RTE_SUBQUERY || rte->subquery == mat_leaf) continue;
    if (mat_leaf != nullptr) {
      // the aggregated branch (and anything else under the view): leave its views alone
      Scan inner{NIL, true, false, false};
      scan_query(rte->subquery, &inner);
      continue;
    }
    scan_query(rte->subquery, s);
  }
  foreach (lc, q->cteList) scan_query((Query*)((CommonTableExpr*)lfirst(lc))->ctequery, s);
  if (q->hasSubLinks) {
    // sub-queries in expressions (all of them: query_tree_walker without recursing into rtable
    // sub-queries, done above)
    query_tree_walker(q, (bool (*)())scan_walker, s, QTW_IGNORE_RT_SUBQUERIES | QTW_IGNORE_CTE_SUBQUERIES);
  }
}

bool scan_walker(Node* node, void* context) {
  if (node == nullptr) return false;
  if (IsA(node, Query)) {
    scan_query((Query*)node, (Scan*)context);
    return false;
  }
  return expression_tree_walker(node, (bool (*)())scan_walker, context);
}

// Whether some query level of the tree is a UNION (the only place a view's branches can be): a
// walk of the range tables and CTEs only, unless there are sub-links.
bool has_set_operations(Query* q) {
  if (q->setOperations != nullptr) return true;
  if (q->hasSubLinks) return true;  // (not walked: the full scan decides)
  ListCell* lc;
  foreach (lc, q->rtable) {
    RangeTblEntry* rte = (RangeTblEntry*)lfirst(lc);
    if (rte->rtekind == RTE_SUBQUERY && has_set_operations(rte->subquery)) return true;
  }
  foreach (lc, q->cteList)
    if (has_set_operations((Query*)((CommonTableExpr*)lfirst(lc))->ctequery)) return true;
  return false;
}

// Whether the range table entry carries the watermark clause that pull_up_realtime_materialized_side
// moved (its only security qual; preprocess_expression makes it an implicit-AND list). Only a
// hypertable strata has taken over can be one: a user table with a row security policy of the same
// shape (`col = f()`) is left alone, and in a database without the extension nothing is looked up.
bool is_realtime_member_rte(const RangeTblEntry* rte) {
  if (rte->rtekind != RTE_RELATION || list_length(rte->securityQuals) != 1 || !rte_is_taken_over_hypertable(rte) ||
      !extension_is_active())
    return false;
  Node* qual = (Node*)linitial(rte->securityQuals);
  if (IsA(qual, List)) {
    if (list_length((List*)qual) != 1) return false;
    qual = (Node*)linitial((List*)qual);
  }
  return IsA(qual, OpExpr) && list_length(((OpExpr*)qual)->args) == 2 &&
         is_cagg_watermark((Node*)lsecond(((OpExpr*)qual)->args));
}

}  // namespace

bool realtime_member_needs_no_indexes(PlannerInfo* root, Oid relid, RelOptInfo* rel) {
  if (rel->reloptkind != RELOPT_OTHER_MEMBER_REL || root->append_rel_array == nullptr ||
      root->append_rel_array[rel->relid] == nullptr ||
      root->simple_rte_array[root->append_rel_array[rel->relid]->parent_relid]->rtekind != RTE_SUBQUERY ||
      root->parse->commandType != CMD_SELECT || root->rowMarks != NIL ||
      !is_realtime_member_rte(root->simple_rte_array[rel->relid]))
    return false;
  return !has_one_column_unique_index(relid);
}

void level_realtime_member_quals(PlannerInfo* root, RelOptInfo* rel, Index rti, RangeTblEntry* rte) {
  if (!guc_enable_realtime_pullup || rte->securityQuals == NIL || rel->reloptkind != RELOPT_OTHER_MEMBER_REL ||
      !is_realtime_member_rte(rte))
    return;
  ListCell* lc;
  foreach (lc, rel->baserestrictinfo) {
    RestrictInfo* rinfo = (RestrictInfo*)lfirst(lc);
    if (rinfo->security_level != 0 && !rinfo->leakproof) return;
  }
  foreach (lc, rel->baserestrictinfo) ((RestrictInfo*)lfirst(lc))->security_level = 0;
  rel->baserestrict_min_security = 0;
}

void gather_realtime_member(PlannerInfo* root, RelOptInfo* rel, Index rti, RangeTblEntry* rte) {
  if (!guc_enable_realtime_pullup || rte->securityQuals == NIL || rel->reloptkind != RELOPT_OTHER_MEMBER_REL ||
      rel->partial_pathlist == NIL || !rel->consider_parallel || !is_realtime_member_rte(rte))
    return;
  generate_useful_gather_paths(root, rel, false);
}

void pull_up_realtime_materialized_side(const pg::PlannerCall* call) {
  Query* parse = call->parse;
  if (!guc_enable_realtime_pullup || parse->commandType != CMD_SELECT || !has_set_operations(parse) ||
      !extension_is_active())
    return;
  Scan views{NIL, false, true, false};
  scan_query(parse, &views);
  if (views.leaves == NIL) return;
  Scan s{NIL, false, true, true};
  scan_query(parse, &s);
  if (s.leaky) return;
  ListCell* lc;
  foreach (lc, s.leaves) {
    Query* leaf = (Query*)lfirst(lc);
    if (leaf->jointree->quals == nullptr) continue;  // (reached twice)
    RangeTblEntry* rte = (RangeTblEntry*)linitial(leaf->rtable);
    rte->securityQuals = list_make1(leaf->jointree->quals);
    leaf->jointree->quals = nullptr;
  }
}

}  // namespace strata
