// Planning of ColumnarScan (scan.hpp): paths for compressed chunks, and the plan, which sorts the
// chunk's restrictions into segment quals (evaluated once per batch on the companion row),
// batch filters (min/max, NULL counts and bloom filters: whole batches skipped before any data
// column is detoasted), predicates for the filter kernels (evaluated on decoded arrays) and the
// rest (PostgreSQL's quals on the formed tuples).
#include "columnstore/scan.hpp"

#include "columnstore/agg.hpp"
#include "columnstore/dml.hpp"

#include <algorithm>
#include <cmath>

#include "columnstore/storage.hpp"
#include "columnstore/scan_bridge.hpp"
#include "pg/guard.hpp"
#include "pg/pg.hpp"
#include "planner/planner.hpp"
#include "catalog/hypertables.hpp"
#include "catalog/time_types.hpp"
#include "core/time/chunk_range.hpp"

extern "C" {
#include "access/hash.h"
#include "access/nbtree.h"
#include "access/sysattr.h"
#include "catalog/pg_collation.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "utils/catcache.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"
#include "utils/selfuncs.h"
#include "utils/typcache.h"
}

namespace strata::columnstore {

bool guc_enable_columnar_pushdown = true;

namespace {

using namespace scanplan;

// codec::ColumnType values (src/core/codec/codec.hpp); the glue does not include the core.
enum : int { kInt16 = 1, kInt32, kInt64, kTimestamp, kDate, kFloat4, kFloat8, kBool, kUuid, kVarlen };
// core::columnstore::FilterOp values.
enum : int { kOpEq, kOpNe, kOpLt, kOpLe, kOpGt, kOpGe, kOpIsNull, kOpIsNotNull, kOpIn };
// Strategy used for "not equal" in batch filters (btree strategies are 1..5).
constexpr int kStrategyNe = 6;

Plan* plan_columnar(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist, List* clauses,
                    List* custom_plans);

const CustomPathMethods path_methods = {
    "ColumnarScan",
    pg::guarded<plan_columnar>,
    nullptr,
};

// ---------------------------------------------------------------------------------------------
// The chunk's layout: per chunk attribute its role in the companion table and its metadata.

// A segmentby or orderby column of the chunk as its pathkeys need it (attno 0: the chunk has no
// such live column).
struct KeyColumn {
  AttrNumber attno;
  Oid typid;
  int32 typmod;
  Oid collation;
};

// The ordering of an orderby column in one direction (index 0 ascending, 1 descending), looked up
// once per layout: planning an ordered query read the catalogs for it at every chunk and query.
struct KeyOrdering {
  Oid sortop;  // InvalidOid: the type has no such ordering
  Oid opfamily;
  Oid opcintype;
  List* eq_opfamilies;  // the btree opfamilies of the equality operator (NIL: none)
};

struct Layout {
  Oid companion;
  int natts;
  int* attrs;  // kAttrFields per attribute, attribute k at (k - 1) * kAttrFields
  AttrNumber count_attno;
  AttrNumber seq_attno;
  double batches;  // companion rows (estimate)
  double rows;     // rows in the batches (estimate)
  BlockNumber pages;
  CompressedChunk cc;
  AttrNumber first_orderby;  // the chunk attribute of the first orderby column, or 0
  bool first_is_time;        // ... which is the hypertable's time column
  int64 range_start, range_end;  // the chunk's range on the time axis
  // Per query (read_fractions): the share of the batches that pass the segment quals (found
  // through the companion's index), and the share read and decoded after the min/max filter
  // on the first orderby column too.
  double seg_fraction;
  double read_fraction;
  KeyColumn* segment_cols;    // per segmentby column of the settings
  KeyColumn* orderby_cols;    // per orderby column
  KeyOrdering* orderings;     // per orderby column, ascending then descending
};

// The number of a relation's live column `name` (0 when it has none), from the list of its
// attributes (`attrs`, one syscache list search: a first planning in a session reads them with
// one catalog index scan, not one per name).
AttrNumber attno_in(const CatCList* attrs, const char* name) {
  for (int i = 0; i < attrs->n_members; ++i) {
    const Form_pg_attribute a = (Form_pg_attribute)GETSTRUCT(&attrs->members[i]->tuple);
    if (a->attnum > 0 && !a->attisdropped && strcmp(NameStr(a->attname), name) == 0) return a->attnum;
  }
  return 0;
}

// The chunk's columns `names` (from the list of its attributes).
KeyColumn* key_columns(const CatCList* attrs, char* const* names, int n, int natts) {
  KeyColumn* out = (KeyColumn*)palloc0(sizeof(KeyColumn) * (n > 0 ? n : 1));
  for (int i = 0; i < n; ++i) {
    for (int m = 0; m < attrs->n_members; ++m) {
      const Form_pg_attribute a = (Form_pg_attribute)GETSTRUCT(&attrs->members[m]->tuple);
      if (a->attnum < 1 || a->attnum > natts || a->attisdropped || strcmp(NameStr(a->attname), names[i]) != 0) continue;
      out[i] = KeyColumn{a->attnum, a->atttypid, a->atttypmod, a->attcollation};
      break;
    }
  }
  return out;
}

// The ordering operator of type `typid` in a direction and what its pathkey needs.
void key_ordering(Oid typid, bool desc, KeyOrdering* out) {
  TypeCacheEntry* tce = lookup_type_cache(typid, TYPECACHE_LT_OPR | TYPECACHE_GT_OPR);
  const Oid sortop = desc ? tce->gt_opr : tce->lt_opr;
  int16 strategy;
  if (!OidIsValid(sortop) || !get_ordering_op_properties(sortop, &out->opfamily, &out->opcintype, &strategy)) return;
  // The equivalence class is identified by every btree opfamily of the equality operator (text's
  // = is in text_ops and text_pattern_ops), as PostgreSQL builds it for ORDER BY.
  const Oid eqop = get_equality_op_for_ordering_op(sortop, nullptr);
  if (!OidIsValid(eqop)) return;
  out->eq_opfamilies = get_mergejoin_opfamilies(eqop);
  out->sortop = sortop;
}

void build_layout(Oid chunk_relid, const ChunkInfo* chunk, int natts, Layout* out) {
  if (!storage_chunk_settings(chunk->id, &out->cc))
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                    errmsg("compressed chunk \"%s.%s\" has no compression catalog row", NameStr(chunk->schema_name),
                           NameStr(chunk->table_name))));
  out->companion = storage_companion_relid(&out->cc);
  if (!OidIsValid(out->companion))
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                    errmsg("companion table \"%s.%s\" of compressed chunk \"%s\" is missing",
                           NameStr(out->cc.schema_name), NameStr(out->cc.table_name), NameStr(chunk->table_name))));
  const CompressionSettings* s = &out->cc.settings;
  out->natts = natts;
  out->attrs = (int*)palloc0(sizeof(int) * kAttrFields * (natts > 0 ? natts : 1));
  CatCList* comp = SearchSysCacheList1(ATTNUM, ObjectIdGetDatum(out->companion));
  out->count_attno = attno_in(comp, kCountColumn);
  out->seq_attno = attno_in(comp, kSeqColumn);
  if (out->count_attno == 0)
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("companion table \"%s\" has no column %s", NameStr(out->cc.table_name), kCountColumn)));
  // The chunk's attributes by number (one list search as well).
  CatCList* chunk_attrs = SearchSysCacheList1(ATTNUM, ObjectIdGetDatum(chunk_relid));
  Form_pg_attribute* by_attno = (Form_pg_attribute*)palloc0(sizeof(Form_pg_attribute) * (natts + 1));
  for (int i = 0; i < chunk_attrs->n_members; ++i) {
    const Form_pg_attribute att = (Form_pg_attribute)GETSTRUCT(&chunk_attrs->members[i]->tuple);
    if (att->attnum >= 1 && att->attnum <= natts) by_attno[att->attnum] = att;
  }
  char buf[NAMEDATALEN];
  for (int attno = 1; attno <= natts; ++attno) {
    int* a = &out->attrs[(attno - 1) * kAttrFields];
    const Form_pg_attribute att = by_attno[attno];
    if (att == nullptr || att->attisdropped) continue;
    const char* name = NameStr(att->attname);
    StorageType st;
    storage_type(att->atttypid, &st);
    a[kCodecType] = st.codec_type;
    a[kCompAttno] = attno_in(comp, name);
    if (a[kCompAttno] != 0)
      a[kRole] = storage_name_index(s->segmentby, s->nsegmentby, name) >= 0 ? kRoleSegment : kRoleData;
    const int mm = storage_name_index(s->minmax, s->nminmax, name);
    if (mm >= 0 && a[kRole] == kRoleData) {
      storage_min_column(mm + 1, buf);
      a[kMinAttno] = attno_in(comp, buf);
      storage_max_column(mm + 1, buf);
      a[kMaxAttno] = attno_in(comp, buf);
      storage_nulls_column(mm + 1, buf);
      a[kNullsAttno] = attno_in(comp, buf);
    }
    const int bl = storage_name_index(s->bloom, s->nbloom, name);
    if (bl >= 0 && a[kRole] == kRoleData) {
      storage_bloom_column(bl + 1, buf);
      a[kBloomAttno] = attno_in(comp, buf);
    }
  }
  out->segment_cols = key_columns(chunk_attrs, s->segmentby, s->nsegmentby, natts);
  out->orderby_cols = key_columns(chunk_attrs, s->orderby, s->norderby, natts);
  out->orderings = (KeyOrdering*)palloc0(sizeof(KeyOrdering) * 2 * (s->norderby > 0 ? s->norderby : 1));
  for (int i = 0; i < s->norderby; ++i)
    if (out->orderby_cols[i].attno != 0)
      for (int desc = 0; desc < 2; ++desc) key_ordering(out->orderby_cols[i].typid, desc != 0, &out->orderings[2 * i + desc]);
  out->first_orderby = s->norderby > 0 ? attno_in(chunk_attrs, s->orderby[0]) : InvalidAttrNumber;
  if (out->first_orderby < 1 || out->first_orderby > natts) out->first_orderby = InvalidAttrNumber;
  pfree(by_attno);
  ReleaseSysCacheList(chunk_attrs);
  ReleaseSysCacheList(comp);
  const Hypertable* ht = out->first_orderby != InvalidAttrNumber ? hypertable_get_by_id(chunk->hypertable_id) : nullptr;
  out->first_is_time = ht != nullptr && strcmp(NameStr(ht->time_column), s->orderby[0]) == 0 &&
                       chunk->range_start != core::kOpenStart && chunk->range_end != core::kOpenEnd &&
                       chunk->range_end > chunk->range_start;
  out->range_start = chunk->range_start;
  out->range_end = chunk->range_end;
}

// The companion's size estimates (from pg_class, through the syscache).
void layout_stats(Layout* out) {
  HeapTuple ctup = SearchSysCache1(RELOID, ObjectIdGetDatum(out->companion));
  out->batches = 0;
  out->pages = 0;
  if (HeapTupleIsValid(ctup)) {
    Form_pg_class c = (Form_pg_class)GETSTRUCT(ctup);
    out->batches = c->reltuples > 0 ? c->reltuples : 0;
    out->pages = c->relpages;
    ReleaseSysCache(ctup);
  }
  if (out->cc.sizes.compressed_rows > 0 && out->batches <= 0) out->batches = (double)out->cc.sizes.compressed_rows;
  if (out->batches <= 0) out->batches = 1;
  out->rows = out->cc.sizes.uncompressed_rows > 0 ? (double)out->cc.sizes.uncompressed_rows : out->batches * kBatchRows;
  out->seg_fraction = 1.0;
  out->read_fraction = 1.0;
}

// Whether every column the clause references is a segmentby column of the layout (and there is one).
bool layout_segment_clause(Node* clause, Index relid, const Layout* layout) {
  Bitmapset* cols = nullptr;
  pull_varattnos(clause, relid, &cols);
  if (bms_is_empty(cols)) return false;
  int k = -1;
  while ((k = bms_next_member(cols, k)) >= 0) {
    const AttrNumber attno = (AttrNumber)(k + FirstLowInvalidHeapAttributeNumber);
    if (attno <= 0 || attno > layout->natts || layout->attrs[(attno - 1) * kAttrFields + kRole] != kRoleSegment)
      return false;
  }
  return true;
}

// (below)
void read_fractions(PlannerInfo* root, RelOptInfo* rel, Layout* layout);
Selectivity scan_selectivity(PlannerInfo* root, RelOptInfo* rel, const Layout* layout);

// ---------------------------------------------------------------------------------------------
// The layout cache: chunk relid -> layout, so planning a query on compressed chunks reads no
// catalog table (only the syscache for the companion's size). Entries live in a context under
// CacheMemoryContext. An invalidation (strata's catalog, a cached chunk, or everything) only marks
// the cache stale, and the next lookup empties it: a catalog read inside a lookup may process
// invalidations, which must not free what the lookup is building.

struct LayoutCacheEntry {
  Oid chunk_relid;  // hash key
  int32 chunk_id;
  Layout layout;
};

HTAB* layout_cache = nullptr;
MemoryContext layout_cxt = nullptr;
bool layout_cache_stale = false;
Oid layout_catalog_oid = InvalidOid;  // strata's catalog invalidation target, once known

Layout* cached_layout(Oid chunk_relid, const ChunkInfo* chunk, int natts) {
  if (layout_cache_stale && layout_cxt != nullptr) {
    MemoryContextDelete(layout_cxt);
    layout_cxt = nullptr;
    layout_cache = nullptr;
  }
  layout_cache_stale = false;
  if (layout_cxt == nullptr) {
    layout_cxt = AllocSetContextCreate(CacheMemoryContext, "strata columnar layouts", ALLOCSET_DEFAULT_SIZES);
    HASHCTL ctl;
    memset(&ctl, 0, sizeof ctl);
    ctl.keysize = sizeof(Oid);
    ctl.entrysize = sizeof(LayoutCacheEntry);
    ctl.hcxt = layout_cxt;
    layout_cache = hash_create("strata columnar layouts", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
  }
  if (!OidIsValid(layout_catalog_oid)) layout_catalog_oid = catalog_plan_dependency_oid();
  LayoutCacheEntry* e = (LayoutCacheEntry*)hash_search(layout_cache, &chunk_relid, HASH_FIND, nullptr);
  if (e != nullptr && e->chunk_id == chunk->id && e->layout.natts == natts) return &e->layout;
  HTAB* cache = layout_cache;
  MemoryContext old = MemoryContextSwitchTo(layout_cxt);
  Layout built;
  build_layout(chunk_relid, chunk, natts, &built);
  MemoryContextSwitchTo(old);
  if (cache != layout_cache || layout_cache_stale) {
    // Invalidated meanwhile: use what was built now (the context is emptied only at the next
    // lookup), keep nothing.
    Layout* copy = (Layout*)palloc(sizeof(Layout));
    *copy = built;
    return copy;
  }
  bool found;
  e = (LayoutCacheEntry*)hash_search(layout_cache, &chunk_relid, HASH_ENTER, &found);
  e->chunk_id = chunk->id;
  e->layout = built;
  return &e->layout;
}

List* int_array_list(const int* v, int n) {
  List* l = NIL;
  for (int i = 0; i < n; ++i) l = lappend_int(l, v[i]);
  return l;
}

// ---------------------------------------------------------------------------------------------
// Paths.

// `attrs`: the layout's attribute fields as a List (int_array_list), built once per chunk and
// shared by its paths (read only: plan_columnar copies it).
CustomPath* make_columnar_path(PlannerInfo* root, RelOptInfo* rel, const Layout* layout, double rows, List* attrs) {
  CustomPath* path = makeNode(CustomPath);
  path->path.pathtype = T_CustomScan;
  path->path.parent = rel;
  path->path.pathtarget = rel->reltarget;
  path->path.param_info = nullptr;
  path->path.parallel_aware = false;
  path->path.parallel_safe = rel->consider_parallel;
  path->path.parallel_workers = 0;
  path->path.pathkeys = NIL;
  path->flags = 0;
  path->methods = &path_methods;
  path->path.rows = rows;
  // Reading the companion's pages (those of the selected segments), checking the batches'
  // metadata, detoasting and decoding the batches read, forming the rows.
  const double toast_pages = (double)(layout->cc.sizes.compressed_toast / BLCKSZ);
  path->path.startup_cost = 0;
  path->path.total_cost = seq_page_cost * (layout->pages * layout->seg_fraction + toast_pages * layout->read_fraction) +
                          cpu_tuple_cost * layout->batches * layout->seg_fraction +
                          cpu_operator_cost * layout->rows * layout->read_fraction + cpu_tuple_cost * rows;
  int meta[kMetaLen] = {};
  meta[kCompanion] = (int)layout->companion;
  meta[kCountAttno] = layout->count_attno;
  meta[kSeqAttno] = layout->seq_attno;
  meta[kOrdered] = 0;
  meta[kChunkRelid] = (int)planner_rt_fetch(rel->relid, root)->relid;
  meta[kBatches] = (int)std::min(layout->batches, 1e9);
  path->custom_private = list_make2(int_array_list(meta, kMetaLen), attrs);
  return path;
}

Path* cheapest_unparameterized(List* paths) {
  Path* best = nullptr;
  ListCell* lc;
  foreach (lc, paths) {
    Path* p = (Path*)lfirst(lc);
    if (p->param_info != nullptr) continue;
    if (best == nullptr || p->total_cost < best->total_cost) best = p;
  }
  return best;
}

}  // namespace

namespace {

// The pathkeys of the chunk's orderby columns in the order the node returns rows (forward: as
// stored, or reversed), as far as the query has equivalence classes for them; the keys' layout
// for the executor in *orderby. NIL when nothing useful.
// Whether query pathkey `qpk` orders by a segmentby column of the chunk (and is not in `pathkeys`
// yet): then it goes to `pathkeys` and its key to `orderby`.
bool add_segment_pathkey(PlannerInfo* root, RelOptInfo* rel, const Layout* layout, PathKey* qpk,
                         List** pathkeys, List** orderby) {
  const CompressionSettings* s = &layout->cc.settings;
  for (int i = 0; i < s->nsegmentby; ++i) {
    const AttrNumber attno = layout->segment_cols[i].attno;
    if (attno <= 0 || attno > layout->natts || layout->attrs[(attno - 1) * kAttrFields + kRole] != kRoleSegment)
      continue;
    const Oid typid = layout->segment_cols[i].typid, collation = layout->segment_cols[i].collation;
    const int32 typmod = layout->segment_cols[i].typmod;
    const Oid sortop = get_opfamily_member(qpk->pk_opfamily, typid, typid, qpk->pk_strategy);
    if (!OidIsValid(sortop)) continue;
    Oid opfamily, opcintype;
    int16 strategy;
    if (!get_ordering_op_properties(sortop, &opfamily, &opcintype, &strategy)) continue;
    const Oid eqop = get_equality_op_for_ordering_op(sortop, nullptr);
    List* opfamilies = OidIsValid(eqop) ? get_mergejoin_opfamilies(eqop) : NIL;
    if (opfamilies == NIL) continue;
    Var* var = makeVar(rel->relid, attno, typid, typmod, collation, 0);
    EquivalenceClass* ec = get_eclass_for_sort_expr(root, (Expr*)var, nullptr, opfamilies, opcintype, collation, 0,
                                                    rel->relids, false);
    if (ec != qpk->pk_eclass || list_member_ptr(*pathkeys, qpk)) continue;
    *pathkeys = lappend(*pathkeys, qpk);
    const int k[kOrderFields] = {attno, (int)sortop, (int)qpk->pk_eclass->ec_collation, qpk->pk_nulls_first ? 1 : 0};
    for (int v : k) *orderby = lappend_int(*orderby, v);
    return true;
  }
  return false;
}

List* orderby_pathkeys(PlannerInfo* root, RelOptInfo* rel, const Layout* layout, bool reverse,
                       List** orderby, int* nseg, int* nsuffix) {
  const CompressionSettings* s = &layout->cc.settings;
  List* pathkeys = NIL;
  *orderby = NIL;
  *nseg = 0;
  *nsuffix = 0;
  // Segmentby columns the query orders by first (in its direction): batches of one segment are
  // merged, the segments come in the order of their values (ORDER BY host, time DESC).
  ListCell* qlc;
  foreach (qlc, root->query_pathkeys) {
    if (!add_segment_pathkey(root, rel, layout, (PathKey*)lfirst(qlc), &pathkeys, orderby)) break;
    ++*nseg;
  }
  bool every_orderby = true;
  for (int i = 0; i < s->norderby; ++i) {
    every_orderby = false;
    const KeyColumn* kc = &layout->orderby_cols[i];
    const AttrNumber attno = kc->attno;
    if (attno <= 0 || attno > layout->natts) break;
    if (layout->attrs[(attno - 1) * kAttrFields + kRole] != kRoleData) break;
    const Oid collation = kc->collation;
    const bool desc = s->orderby_desc[i] != reverse;
    const bool nulls_first = s->orderby_nullsfirst[i] != reverse;
    const KeyOrdering* ko = &layout->orderings[2 * i + (desc ? 1 : 0)];
    const Oid sortop = ko->sortop;
    if (!OidIsValid(sortop) || ko->eq_opfamilies == NIL) break;
    Var* var = makeVar(rel->relid, attno, kc->typid, kc->typmod, collation, 0);
    // (get_eclass_for_sort_expr keeps the opfamilies list in a new class: it gets a copy)
    EquivalenceClass* ec = get_eclass_for_sort_expr(root, (Expr*)var, nullptr, list_copy(ko->eq_opfamilies),
                                                    ko->opcintype, collation, 0, rel->relids, false);
    if (ec == nullptr) break;
    PathKey* pk = make_canonical_pathkey(root, ec, ko->opfamily, desc ? BTGreaterStrategyNumber : BTLessStrategyNumber,
                                         nulls_first);
    if (!list_member_ptr(pathkeys, pk)) pathkeys = lappend(pathkeys, pk);
    const int k[kOrderFields] = {attno, (int)sortop, (int)collation, nulls_first ? 1 : 0};
    for (int v : k) *orderby = lappend_int(*orderby, v);
    every_orderby = true;
  }
  // (Only the segment prefix: without an orderby key the batches' rows would not be in order.)
  if (list_length(*orderby) / kOrderFields == *nseg) {
    *orderby = NIL;
    return NIL;
  }
  // Segmentby columns the query orders by after every orderby column (ORDER BY time, host): a
  // segment's value is the same for every row of a batch, so the merge breaks ties of the orderby
  // keys by them and no Sort is needed above the scan. Only when the query's pathkeys start with
  // exactly the ones so far.
  if (every_orderby && list_length(root->query_pathkeys) > list_length(pathkeys)) {
    bool prefix = true;
    for (int i = 0; i < list_length(pathkeys) && prefix; ++i)
      prefix = list_nth(root->query_pathkeys, i) == list_nth(pathkeys, i);
    for (int i = list_length(pathkeys); prefix && i < list_length(root->query_pathkeys); ++i) {
      if (!add_segment_pathkey(root, rel, layout, (PathKey*)list_nth(root->query_pathkeys, i), &pathkeys,
                               orderby))
        break;
      ++*nsuffix;
    }
  }
  List* useful = truncate_useless_pathkeys(root, rel, pathkeys);
  if (useful == NIL) *orderby = NIL;
  return useful;
}

// The row part's path delivering `pathkeys`: a presorted one, or a sort of the cheapest.
Path* ordered_rowpart(PlannerInfo* root, RelOptInfo* rel, List* rowpart_paths, Path* cheapest, List* pathkeys) {
  Path* presorted = get_cheapest_path_for_pathkeys(rowpart_paths, pathkeys, nullptr, TOTAL_COST, false);
  Path* sorted = (Path*)create_sort_path(root, rel, cheapest, pathkeys, -1.0);
  if (presorted != nullptr && presorted->total_cost <= sorted->total_cost) return presorted;
  return sorted;
}

// Whether the statement being planned writes or locks rows (its top level is not a plain SELECT).
bool statement_writes(PlannerInfo* root) {
  while (root->parent_root != nullptr) root = root->parent_root;
  return root->parse->commandType != CMD_SELECT || root->parse->rowMarks != NIL || root->parse->hasModifyingCTE;
}

}  // namespace

void add_columnar_paths(PlannerInfo* root, RelOptInfo* hypertable_rel, RelOptInfo* rel, const ChunkInfo* chunk) {
  RangeTblEntry* rte = planner_rt_fetch(rel->relid, root);
  Layout layout = *cached_layout(rte->relid, chunk, rel->max_attr);
  layout_stats(&layout);
  read_fractions(root, rel, &layout);

  // A statement that writes (or locks rows) may move batches into the row part at executor
  // start (dml.cpp), after this plan was made: it reads the row part too.
  const bool writes = statement_writes(root);
  const bool partial = (chunk->status & kChunkStatusPartial) != 0 || writes;
  List* rowpart_paths = rel->pathlist;
  if (writes) {
    // A bitmap heap scan sizes the relation when the executor initializes it, which for a
    // sub-plan is before the batch moves: it would miss the blocks they add.
    List* kept = NIL;
    ListCell* plc;
    foreach (plc, rowpart_paths)
      if (!IsA(lfirst(plc), BitmapHeapPath)) kept = lappend(kept, lfirst(plc));
    rowpart_paths = kept;
    if (cheapest_unparameterized(rowpart_paths) == nullptr)
      rowpart_paths = lappend(rowpart_paths, create_seqscan_path(root, rel, nullptr, 0));
  }
  Path* rowpart = partial ? cheapest_unparameterized(rowpart_paths) : nullptr;
  const double rowpart_rows = rowpart != nullptr ? rowpart->rows : 0;

  const double rows = clamp_row_est(layout.rows * scan_selectivity(root, rel, &layout));
  rel->rows = clamp_row_est(rows + rowpart_rows);
  rel->tuples = layout.rows + (partial ? rel->tuples : 0);

  // The row part's own paths (a scan of the chunk's heap) would miss the batches: they go, and
  // come back only inside an Append with the ColumnarScan.
  List* rowpart_partial = rel->partial_pathlist;
  rel->pathlist = NIL;
  rel->partial_pathlist = NIL;
  rel->cheapest_parameterized_paths = NIL;
  List* attrs = int_array_list(layout.attrs, layout.natts * kAttrFields);
  Path* columnar = &make_columnar_path(root, rel, &layout, rows, attrs)->path;
  if (rowpart == nullptr) {
    add_path(rel, columnar);
  } else {
    AppendPath* ap = create_append_path(root, rel, list_make2(columnar, rowpart), NIL, NIL, nullptr, 0, false, -1);
    add_path(rel, &ap->path);
  }
  // Parallel scans (scan_parallel.cpp): the batches divided among the participants.
  if (!writes)
    add_columnar_partial_path(root, rel, make_columnar_path(root, rel, &layout, rows, attrs),
                              (double)layout.cc.sizes.uncompressed_heap,
                              seq_page_cost * (layout.pages + (double)(layout.cc.sizes.compressed_toast / BLCKSZ)),
                              rowpart, rowpart_partial);

  // Ordered scans: batches merged in the orderby order (or its reverse).
  if (root->query_pathkeys == NIL && !rel->has_eclass_joins) return;
  for (int reverse = 0; reverse < 2; ++reverse) {
    List* orderby;
    int nseg, nsuffix;
    List* pathkeys = orderby_pathkeys(root, rel, &layout, reverse != 0, &orderby, &nseg, &nsuffix);
    if (pathkeys == NIL) continue;
    CustomPath* cp = make_columnar_path(root, rel, &layout, rows, attrs);
    cp->path.pathkeys = pathkeys;
    list_nth_cell((List*)linitial(cp->custom_private), kOrdered)->int_value = reverse ? 2 : 1;
    list_nth_cell((List*)linitial(cp->custom_private), kSegKeys)->int_value = nseg;
    list_nth_cell((List*)linitial(cp->custom_private), kSegSuffix)->int_value = nsuffix;
    list_nth_cell((List*)linitial(cp->custom_private), kLimited)->int_value = root->limit_tuples >= 0 ? 1 : 0;
    cp->custom_private = lappend(cp->custom_private, orderby);
    // Reading every batch's metadata first, then a heap merge of the batches' rows.
    cp->path.startup_cost =
        seq_page_cost * layout.pages * layout.seg_fraction + cpu_tuple_cost * layout.batches * layout.seg_fraction;
    cp->path.total_cost += cpu_operator_cost * rows * std::log2(layout.batches * layout.seg_fraction + 1);
    if (rowpart == nullptr) {
      add_path(rel, &cp->path);
    } else {
      Path* rp = ordered_rowpart(root, rel, rowpart_paths, rowpart, pathkeys);
      add_path(rel, (Path*)create_merge_append_path(root, rel, list_make2(&cp->path, rp), pathkeys, nullptr));
    }
  }
}

Path* columnar_distinct_path(PlannerInfo* root, Path* path, PathKey* key) {
  if (!IsA(path, CustomPath) || ((CustomPath*)path)->methods != &path_methods) return nullptr;
  CustomPath* cp = (CustomPath*)path;
  List* meta = (List*)linitial(cp->custom_private);
  if (list_nth_int(meta, kOrdered) == 0 || list_nth_int(meta, kSegKeys) < 1 || path->param_info != nullptr ||
      path->pathkeys == NIL || (PathKey*)linitial(path->pathkeys) != key)
    return nullptr;
  // The DISTINCT key is the first segmentby key of the scan's order: the rows of one segment come
  // together, and the first of them is DISTINCT ON's row. The scan returns that one and skips the
  // rest of the segment's batches (the Unique above still drops what other chunks return).
  CustomPath* dp = makeNode(CustomPath);
  memcpy(dp, cp, sizeof(CustomPath));
  List* meta_out = list_copy(meta);
  list_nth_cell(meta_out, kDistinct)->int_value = 1;
  dp->custom_private = lcons(meta_out, list_copy_tail(cp->custom_private, 1));
  // Segments: the number of values of the key in the chunk (its own column's statistics when it
  // has some), at most one per batch. Per segment, one batch decoded instead of all of them; the
  // metadata of every batch is still read (the startup cost).
  Expr* chunk_expr = nullptr;
  ListCell* lc;
  foreach (lc, key->pk_eclass->ec_members) {
    EquivalenceMember* em = (EquivalenceMember*)lfirst(lc);
    if (bms_equal(em->em_relids, path->parent->relids)) chunk_expr = em->em_expr;
  }
  if (chunk_expr == nullptr) return nullptr;
  const double batches = std::max(1, list_nth_int(meta, kBatches));
  double segments = estimate_num_groups(root, list_make1(chunk_expr), batches, nullptr, nullptr);
  segments = std::clamp(segments, 1.0, batches);
  // (never costed above the full ordered scan: it decodes a subset of the same batches)
  const double fraction = std::min(segments / batches, 0.9);
  dp->path.rows = clamp_row_est(std::min(segments, path->rows));
  dp->path.total_cost = path->startup_cost + (path->total_cost - path->startup_cost) * fraction;
  return &dp->path;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Plan: sorting the clauses.

struct AttrFields {
  int v[kAttrFields];
  int operator[](int k) const { return v[k]; }
};

AttrFields attr_of(List* attrs, AttrNumber attno) {
  AttrFields f{};
  const int base = (attno - 1) * kAttrFields;
  if (attno < 1 || base + kAttrFields > list_length(attrs)) return f;
  for (int k = 0; k < kAttrFields; ++k) f.v[k] = list_nth_int(attrs, base + k);  // Lists are arrays
  return f;
}

using aggplan::plain_var;  // (agg_common.cpp)

// A value known when the scan starts: no Vars, nothing volatile, no sub-plans.
bool is_scan_constant(Node* n) {
  if (IsA(n, Const)) return true;
  return !contain_var_clause(n) && !contain_volatile_functions(n) && !contain_subplans(n);
}

struct SegmentRewrite {
  Index relid;
  List* attrs;
};

Node* rewrite_segment_vars(Node* node, void* context) {
  if (node == nullptr) return nullptr;
  SegmentRewrite* rw = (SegmentRewrite*)context;
  if (IsA(node, Var) && ((Var*)node)->varno == (int)rw->relid && ((Var*)node)->varlevelsup == 0) {
    Var* v = (Var*)copyObjectImpl(node);
    v->varattno = (AttrNumber)attr_of(rw->attrs, v->varattno)[kCompAttno];
    v->varattnosyn = v->varattno;
    return (Node*)v;
  }
  return expression_tree_mutator(node, (Node * (*)()) rewrite_segment_vars, context);
}

// Whether every column the clause references is a segmentby column (and there is one).
bool references_only_segments(Node* clause, Index relid, List* attrs) {
  Bitmapset* cols = nullptr;
  pull_varattnos(clause, relid, &cols);
  if (bms_is_empty(cols)) return false;
  int k = -1;
  while ((k = bms_next_member(cols, k)) >= 0) {
    const AttrNumber attno = (AttrNumber)(k + FirstLowInvalidHeapAttributeNumber);
    if (attno <= 0 || attr_of(attrs, attno)[kRole] != kRoleSegment) return false;
  }
  return true;
}

// A comparison of a data column with a scan constant, as the btree strategy of the column's
// default opfamily (kStrategyNe for <>).
struct Comparison {
  Var* var;
  Node* value;       // the constant side (the array of an IN)
  bool is_array;     // x = ANY (array)
  int strategy;      // BTLessStrategyNumber .. BTGreaterStrategyNumber, or kStrategyNe
  Oid opno;          // with the column on the left
  Oid righttype;     // the constant's (element) type
  Oid collation;     // the operator's input collation
};

bool analyze_comparison(Node* clause, Index relid, Comparison* out) {
  Node* left;
  Node* right;
  Oid opno;
  bool is_array = false;
  if (IsA(clause, OpExpr) && list_length(((OpExpr*)clause)->args) == 2) {
    OpExpr* op = (OpExpr*)clause;
    left = (Node*)linitial(op->args);
    right = (Node*)lsecond(op->args);
    opno = op->opno;
    out->collation = op->inputcollid;
  } else if (IsA(clause, ScalarArrayOpExpr) && ((ScalarArrayOpExpr*)clause)->useOr) {
    ScalarArrayOpExpr* sa = (ScalarArrayOpExpr*)clause;
    left = (Node*)linitial(sa->args);
    right = (Node*)lsecond(sa->args);
    opno = sa->opno;
    out->collation = sa->inputcollid;
    is_array = true;
  } else {
    return false;
  }
  Var* var = plain_var(left, relid);
  Node* value = right;
  if (var == nullptr && !is_array) {
    var = plain_var(right, relid);
    value = left;
    if (var == nullptr) return false;
    opno = get_commutator(opno);
    if (!OidIsValid(opno)) return false;
  }
  if (var == nullptr || !is_scan_constant(value)) return false;
  TypeCacheEntry* tce = lookup_type_cache(getBaseType(var->vartype), TYPECACHE_BTREE_OPFAMILY);
  if (!OidIsValid(tce->btree_opf)) return false;
  int strategy = 0;
  Oid lefttype, righttype;
  if (op_in_opfamily(opno, tce->btree_opf)) {
    get_op_opfamily_properties(opno, tce->btree_opf, false, &strategy, &lefttype, &righttype);
  } else {
    Oid neg = get_negator(opno);
    if (!OidIsValid(neg) || !op_in_opfamily(neg, tce->btree_opf)) return false;
    get_op_opfamily_properties(neg, tce->btree_opf, false, &strategy, &lefttype, &righttype);
    if (strategy != BTEqualStrategyNumber) return false;
    strategy = kStrategyNe;
  }
  if (is_array && strategy != BTEqualStrategyNumber) return false;
  out->var = var;
  out->value = value;
  out->is_array = is_array;
  out->strategy = strategy;
  out->opno = opno;
  out->righttype = righttype;
  return true;
}

// Whether the filter kernels evaluate the comparison exactly as PostgreSQL would.
bool kernel_compatible(const Comparison* c, int codec_type) {
  const Oid base = getBaseType(c->var->vartype);
  const Oid rt = c->righttype;
  switch (codec_type) {
    case kInt16:
    case kInt32:
    case kInt64:
      return rt == INT2OID || rt == INT4OID || rt == INT8OID;
    case kDate:
      return rt == DATEOID;
    case kTimestamp:
      return rt == base;
    case kFloat4:
    case kFloat8:
      return rt == FLOAT4OID || rt == FLOAT8OID;
    case kBool:
      return rt == BOOLOID;
    case kUuid:
      return rt == UUIDOID;
    case kVarlen:
      if (base == BYTEAOID) return rt == BYTEAOID;
      if (base == TEXTOID || base == VARCHAROID) {
        if (rt != TEXTOID || !OidIsValid(c->collation)) return false;
        // Bytewise order is the "C" collation's; equality is bytewise in every deterministic one.
        if (lc_collate_is_c(c->collation)) return true;
        return (c->strategy == BTEqualStrategyNumber || c->strategy == kStrategyNe) &&
               get_collation_isdeterministic(c->collation);
      }
      return false;
    default:
      return false;
  }
}

int filter_op(int strategy, bool is_array) {
  if (is_array) return kOpIn;
  switch (strategy) {
    case BTLessStrategyNumber:
      return kOpLt;
    case BTLessEqualStrategyNumber:
      return kOpLe;
    case BTEqualStrategyNumber:
      return kOpEq;
    case BTGreaterEqualStrategyNumber:
      return kOpGe;
    case BTGreaterStrategyNumber:
      return kOpGt;
    default:
      return kOpNe;
  }
}

// The column's collation, for checking that min/max and bloom hashes (computed with it) answer
// for the query's operator.
bool collation_matches(Oid relid, AttrNumber attno, Oid vartype, Oid opcollation) {
  if (!type_is_collatable(vartype)) return true;
  Oid typid, attcoll;
  int32 typmod;
  get_atttypetypmodcoll(relid, attno, &typid, &typmod, &attcoll);
  return attcoll == opcollation;
}

struct Sorted {
  List* seg_quals = NIL;
  List* seg_display = NIL;
  List* pushed_display = NIL;
  List* consts = NIL;
  List* preds = NIL;    // IntList
  List* filters = NIL;  // IntList
  List* keys = NIL;     // IntList
  List* remaining = NIL;
  Bitmapset* needed = nullptr;  // by pull_varattnos offsets
};

int add_const(Sorted* s, Node* value) {
  s->consts = lappend(s->consts, value);
  return list_length(s->consts) - 1;
}

void add_filter(Sorted* s, int kind, AttrNumber attno, int strategy, int const_index, bool is_array, Oid proc,
                Oid collation) {
  const int f[kFilterFields] = {kind, attno, strategy, const_index, is_array ? 1 : 0, (int)proc, (int)collation};
  for (int v : f) s->filters = lappend_int(s->filters, v);
}

void add_key(Sorted* s, AttrNumber comp_attno, int strategy, int const_index, bool is_array, Oid proc, Oid subtype,
             Oid collation) {
  const int k[kKeyFields] = {comp_attno, strategy, const_index, is_array ? 1 : 0, (int)proc, (int)subtype, (int)collation};
  for (int v : k) s->keys = lappend_int(s->keys, v);
}

// A comparison usable as a scan key on the companion's index: on a segmentby column itself, or
// (for <, <=, =) on the first min column, whose batches can match only if min <= the value.
void add_index_key(Sorted* s, const Comparison* c, Index relid, Oid chunk_relid, List* attrs) {
  const AttrFields a = attr_of(attrs, c->var->varattno);
  if (c->strategy == kStrategyNe) return;
  if (!collation_matches(chunk_relid, c->var->varattno, c->var->vartype, c->collation)) return;
  const Oid coltype = getBaseType(c->var->vartype);
  TypeCacheEntry* tce = lookup_type_cache(coltype, TYPECACHE_BTREE_OPFAMILY);
  if (!OidIsValid(tce->btree_opf)) return;
  if (a[kRole] == kRoleSegment) {
    const Oid op = get_opfamily_member(tce->btree_opf, coltype, c->righttype, c->strategy);
    if (!OidIsValid(op)) return;
    add_key(s, a[kCompAttno], c->strategy, add_const(s, c->value), c->is_array, get_opcode(op), c->righttype,
            c->collation);
  } else if (a[kMinAttno] != 0 && !c->is_array &&
             (c->strategy == BTLessStrategyNumber || c->strategy == BTLessEqualStrategyNumber ||
              c->strategy == BTEqualStrategyNumber)) {
    const int strategy = c->strategy == BTLessStrategyNumber ? BTLessStrategyNumber : BTLessEqualStrategyNumber;
    const Oid op = get_opfamily_member(tce->btree_opf, coltype, c->righttype, strategy);
    if (!OidIsValid(op)) return;
    add_key(s, a[kMinAttno], strategy, add_const(s, c->value), false, get_opcode(op), c->righttype, c->collation);
  }
}

void sort_clause(Sorted* s, Expr* clause, Index relid, Oid chunk_relid, List* attrs, bool may_push) {
  Node* n = (Node*)clause;
  if (may_push && references_only_segments(n, relid, attrs) && !contain_volatile_functions(n) &&
      !contain_subplans(n)) {
    Comparison c;
    if (analyze_comparison(n, relid, &c)) add_index_key(s, &c, relid, chunk_relid, attrs);
    SegmentRewrite rw{relid, attrs};
    s->seg_quals = lappend(s->seg_quals, rewrite_segment_vars(n, &rw));
    s->seg_display = lappend(s->seg_display, n);
    return;
  }
  if (!may_push) {
    s->remaining = lappend(s->remaining, clause);
    return;
  }
  // IS [NOT] NULL on a data column.
  if (IsA(n, NullTest) && !((NullTest*)n)->argisrow) {
    NullTest* nt = (NullTest*)n;
    Var* var = plain_var((Node*)nt->arg, relid);
    if (var != nullptr && attr_of(attrs, var->varattno)[kRole] == kRoleData) {
      const AttrFields a = attr_of(attrs, var->varattno);
      const bool is_null = nt->nulltesttype == IS_NULL;
      if (a[kNullsAttno] != 0) add_filter(s, kFilterNullTest, var->varattno, is_null ? 1 : 0, -1, false, InvalidOid, InvalidOid);
      const int p[kPredFields] = {var->varattno, is_null ? kOpIsNull : kOpIsNotNull, -1, 0};
      for (int v : p) s->preds = lappend_int(s->preds, v);
      s->pushed_display = lappend(s->pushed_display, n);
      pull_varattnos(n, relid, &s->needed);
      return;
    }
  }
  Comparison c;
  if (analyze_comparison(n, relid, &c) && attr_of(attrs, c.var->varattno)[kRole] == kRoleData) {
    const AttrFields a = attr_of(attrs, c.var->varattno);
    const AttrNumber attno = c.var->varattno;
    const int codec_type = a[kCodecType];
    const bool coll_ok = collation_matches(chunk_relid, attno, c.var->vartype, c.collation);
    const bool kernel = kernel_compatible(&c, codec_type);
    const int ci = add_const(s, c.value);
    add_index_key(s, &c, relid, chunk_relid, attrs);
    if (a[kMinAttno] != 0 && a[kMaxAttno] != 0 && coll_ok) {
      TypeCacheEntry* tce = lookup_type_cache(getBaseType(c.var->vartype), TYPECACHE_BTREE_OPFAMILY);
      Oid proc = get_opfamily_proc(tce->btree_opf, getBaseType(c.var->vartype), c.righttype, BTORDER_PROC);
      if (OidIsValid(proc))
        add_filter(s, kFilterMinMax, attno, c.strategy, ci, c.is_array, proc, c.collation);
    }
    if (a[kBloomAttno] != 0 && coll_ok && c.strategy == BTEqualStrategyNumber) {
      TypeCacheEntry* tce = lookup_type_cache(getBaseType(c.var->vartype), TYPECACHE_HASH_OPFAMILY);
      if (OidIsValid(tce->hash_opf) && op_in_opfamily(c.opno, tce->hash_opf)) {
        Oid proc = get_opfamily_proc(tce->hash_opf, c.righttype, c.righttype, HASHEXTENDED_PROC);
        if (OidIsValid(proc)) add_filter(s, kFilterBloom, attno, c.strategy, ci, c.is_array, proc, c.collation);
      }
    }
    if (kernel) {
      const int p[kPredFields] = {attno, filter_op(c.strategy, c.is_array), ci, c.is_array ? 1 : 0};
      for (int v : p) s->preds = lappend_int(s->preds, v);
      s->pushed_display = lappend(s->pushed_display, n);
      pull_varattnos(n, relid, &s->needed);
      return;
    }
  }
  s->remaining = lappend(s->remaining, clause);
}

// The share of the chunk's rows that restrictions on its first orderby column select. When that
// column is the time column, comparisons with values known at planning time cut the chunk's
// range (the rows are spread over it about evenly); the rest go by their selectivity (there are
// often no statistics on a compressed chunk's columns: a default then).
double range_share(PlannerInfo* root, RelOptInfo* rel, const Layout* layout, List* range) {
  if (!layout->first_is_time) return clauselist_selectivity(root, range, rel->relid, JOIN_INNER, nullptr);
  double lo = (double)layout->range_start;
  double hi = (double)layout->range_end;
  List* rest = NIL;
  ListCell* lc;
  foreach (lc, range) {
    RestrictInfo* ri = (RestrictInfo*)lfirst(lc);
    Comparison c;
    bool used = false;
    if (analyze_comparison((Node*)ri->clause, rel->relid, &c) && !c.is_array && c.strategy != kStrategyNe &&
        c.righttype == c.var->vartype) {
      Node* value = estimate_expression_value(root, c.value);
      TimeKind kind;
      if (IsA(value, Const) && !((Const*)value)->constisnull && ((Const*)value)->consttype == c.var->vartype &&
          time_type_supported(c.var->vartype, &kind)) {
        const Datum d = ((Const*)value)->constvalue;
        const bool finite = (c.var->vartype != TIMESTAMPTZOID && c.var->vartype != TIMESTAMPOID) ||
                            !TIMESTAMP_NOT_FINITE(DatumGetTimestamp(d));
        if (finite && (c.var->vartype != DATEOID || !DATE_NOT_FINITE(DatumGetDateADT(d)))) {
          const double v = (double)time_datum_to_internal(d, c.var->vartype);
          switch (c.strategy) {
            case BTLessStrategyNumber:
            case BTLessEqualStrategyNumber:
              hi = std::min(hi, v);
              break;
            case BTGreaterStrategyNumber:
            case BTGreaterEqualStrategyNumber:
              lo = std::max(lo, v);
              break;
            default:  // =
              lo = std::max(lo, v);
              hi = std::min(hi, v + 1);
              break;
          }
          used = true;
        }
      }
    }
    if (!used) rest = lappend(rest, ri);
  }
  const double width = (double)layout->range_end - (double)layout->range_start;
  double share = std::clamp((hi - lo) / width, 0.0, 1.0);
  if (rest != NIL) share *= clauselist_selectivity(root, rest, rel->relid, JOIN_INNER, nullptr);
  return share;
}

// The shares of the chunk's batches a scan with the rel's restrictions reads: the segment quals
// select whole segments (the companion's index finds their batches), and within a segment the
// batches are sorted by the first orderby column, so a range on it (checked on the batches'
// min/max) selects a proportional share of them, at least one batch per segment read. Without
// this a lookup of one segment cost as much as reading the whole chunk, and such queries got
// parallel plans whose start-up costs many times the scan (issue 14, fleet one-device lookup).
void read_fractions(PlannerInfo* root, RelOptInfo* rel, Layout* layout) {
  layout->seg_fraction = 1.0;
  layout->read_fraction = 1.0;
  if (!guc_enable_columnar_pushdown || rel->baserestrictinfo == NIL) return;
  AttrNumber first = layout->first_orderby;
  if (first != InvalidAttrNumber && (layout->attrs[(first - 1) * kAttrFields + kMinAttno] == 0 ||
                                     layout->attrs[(first - 1) * kAttrFields + kMaxAttno] == 0))
    first = InvalidAttrNumber;
  List* seg = NIL;
  List* range = NIL;
  ListCell* lc;
  foreach (lc, rel->baserestrictinfo) {
    RestrictInfo* ri = (RestrictInfo*)lfirst(lc);
    if (ri->pseudoconstant || ri->security_level > 0 || contain_volatile_functions((Node*)ri->clause)) continue;
    if (layout_segment_clause((Node*)ri->clause, rel->relid, layout)) {
      seg = lappend(seg, ri);
      continue;
    }
    if (first == InvalidAttrNumber) continue;
    Bitmapset* cols = nullptr;
    pull_varattnos((Node*)ri->clause, rel->relid, &cols);
    if (bms_membership(cols) == BMS_SINGLETON &&
        bms_singleton_member(cols) == first - FirstLowInvalidHeapAttributeNumber)
      range = lappend(range, ri);
  }
  if (seg == NIL && range == NIL) return;
  const double batches = std::max(layout->batches, 1.0);
  const double seg_sel = seg != NIL ? clauselist_selectivity(root, seg, rel->relid, JOIN_INNER, nullptr) : 1.0;
  const double seg_batches = std::clamp(batches * seg_sel, 1.0, batches);
  // Every segment ends with one batch that is not full: about half a batch per segment beyond
  // rows / kBatchRows.
  const double segments = std::clamp(2.0 * (batches - layout->rows / kBatchRows), 1.0, batches);
  const double seg_read = std::clamp(segments * seg_sel, 1.0, seg_batches);
  double read = seg_batches;
  if (range != NIL) {
    const double range_sel = range_share(root, rel, layout, range);
    read = std::clamp(seg_batches * range_sel + seg_read, 1.0, seg_batches);
  }
  layout->seg_fraction = seg_batches / batches;
  layout->read_fraction = read / batches;
}

// Whether the clause is an equality (an operator estimated by eqsel) of a column with a bloom
// filter and a value without Vars of the rel.
bool bloom_key_clause(const RestrictInfo* ri, Index relid, const Layout* layout) {
  const Expr* clause = ri->clause;
  if (ri->pseudoconstant || !IsA(clause, OpExpr) || list_length(((const OpExpr*)clause)->args) != 2) return false;
  const OpExpr* op = (const OpExpr*)clause;
  for (int side = 0; side < 2; ++side) {
    const Node* arg = (const Node*)list_nth(op->args, side);
    while (IsA(arg, RelabelType)) arg = (const Node*)((const RelabelType*)arg)->arg;
    if (!IsA(arg, Var)) continue;
    const Var* v = (const Var*)arg;
    if (v->varno != (int)relid || v->varattno <= 0 || v->varattno > layout->natts ||
        layout->attrs[(v->varattno - 1) * kAttrFields + kRole] != kRoleData ||
        layout->attrs[(v->varattno - 1) * kAttrFields + kBloomAttno] == 0)
      continue;
    Node* other = (Node*)list_nth(op->args, 1 - side);
    return !contain_var_clause(other) && !contain_volatile_functions(other) && get_oprrest(op->opno) == F_EQSEL;
  }
  return false;
}

// The share of the chunk's rows the rel's restrictions select. PostgreSQL multiplies the
// selectivities of independent-looking clauses; but a column with a bloom filter is the lookup key
// the settings declare (a device id), and such a key usually lies within one segment (a device
// reports under one account): equality on it with a constant together with equality on the
// segmentby columns selects the key's rows, not the product of both shares (fleet one device in
// its account: 3 rows a chunk estimated against 180 real, and the aggregation pushdown's path was
// not chosen). So there the smaller of the two shares counts, times the other clauses' share
// (the key's rows are at most the segment's). A key that is not in the segment overestimates:
// the bloom filters then skip its batches.
Selectivity scan_selectivity(PlannerInfo* root, RelOptInfo* rel, const Layout* layout) {
  List* all = rel->baserestrictinfo;
  if (!guc_enable_columnar_pushdown || list_length(all) < 2)
    return clauselist_selectivity(root, all, 0, JOIN_INNER, nullptr);
  List* seg = NIL;
  List* key = NIL;
  List* rest = NIL;
  ListCell* lc;
  foreach (lc, all) {
    RestrictInfo* ri = (RestrictInfo*)lfirst(lc);
    if (bloom_key_clause(ri, rel->relid, layout)) key = lappend(key, ri);
  }
  if (key == NIL) return clauselist_selectivity(root, all, 0, JOIN_INNER, nullptr);
  foreach (lc, all) {
    RestrictInfo* ri = (RestrictInfo*)lfirst(lc);
    if (list_member_ptr(key, ri)) continue;
    if (!ri->pseudoconstant && !contain_volatile_functions((Node*)ri) &&
        layout_segment_clause((Node*)ri->clause, rel->relid, layout))
      seg = lappend(seg, ri);
    else
      rest = lappend(rest, ri);
  }
  if (seg == NIL) return clauselist_selectivity(root, all, 0, JOIN_INNER, nullptr);
  const Selectivity s_seg = clauselist_selectivity(root, seg, 0, JOIN_INNER, nullptr);
  const Selectivity s_key = clauselist_selectivity(root, key, 0, JOIN_INNER, nullptr);
  const Selectivity s_rest = rest != NIL ? clauselist_selectivity(root, rest, 0, JOIN_INNER, nullptr) : 1.0;
  return std::min(s_seg, s_key) * s_rest;
}

Plan* plan_columnar(PlannerInfo* root, RelOptInfo* rel, CustomPath* best_path, List* tlist, List* clauses,
                    List* custom_plans) {
  List* meta = (List*)linitial(best_path->custom_private);
  List* attrs = (List*)lsecond(best_path->custom_private);
  const Index relid = rel->relid;
  const Oid chunk_relid = planner_rt_fetch(relid, root)->relid;

  // Row-level security: a clause that could leak values is not evaluated before the security
  // quals, so it stays with PostgreSQL (which orders quals by security level).
  bool rls = false;
  ListCell* lc;
  foreach (lc, clauses) rls |= ((RestrictInfo*)lfirst(lc))->security_level > 0;

  Sorted s;
  foreach (lc, clauses) {
    RestrictInfo* ri = (RestrictInfo*)lfirst(lc);
    if (ri->pseudoconstant) continue;
    const bool may_push = guc_enable_columnar_pushdown && (!rls || !contain_leaked_vars((Node*)ri->clause));
    sort_clause(&s, ri->clause, relid, chunk_relid, attrs, may_push);
  }

  // The columns to decode: what the rel's target needs, what the remaining quals read, and the
  // kernel predicates' columns. Segment quals and batch filters read only the companion row.
  pull_varattnos((Node*)rel->reltarget->exprs, relid, &s.needed);
  pull_varattnos((Node*)s.remaining, relid, &s.needed);
  List* orderby = list_length(best_path->custom_private) > 2 ? (List*)lthird(best_path->custom_private) : NIL;
  for (int i = 0; i < list_length(orderby); i += kOrderFields)
    s.needed = bms_add_member(s.needed, list_nth_int(orderby, i + kOrderAttno) - FirstLowInvalidHeapAttributeNumber);
  List* attrs_out = list_copy(attrs);
  const int natts = list_length(attrs) / kAttrFields;
  const bool whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, s.needed);
  for (int attno = 1; attno <= natts; ++attno) {
    const bool needed = whole_row || bms_is_member(attno - FirstLowInvalidHeapAttributeNumber, s.needed);
    list_nth_cell(attrs_out, (attno - 1) * kAttrFields + kNeeded)->int_value = needed ? 1 : 0;
  }
  List* meta_out = list_copy(meta);
  list_nth_cell(meta_out, kNSegQuals)->int_value = list_length(s.seg_quals);

  CustomScan* cscan = makeNode(CustomScan);
  cscan->scan.plan.targetlist = tlist;
  cscan->scan.plan.qual = s.remaining;
  cscan->scan.scanrelid = relid;
  cscan->flags = best_path->flags;
  cscan->custom_plans = NIL;
  cscan->custom_scan_tlist = NIL;
  cscan->custom_exprs = list_make4(s.seg_quals, s.seg_display, s.pushed_display, s.consts);
  cscan->custom_private = lappend(list_make5(meta_out, attrs_out, s.preds, s.filters, orderby), s.keys);
  cscan->methods = &columnar_scan_methods;
  return &cscan->scan.plan;
}

// ---------------------------------------------------------------------------------------------
// Plan copies (planner.hpp, compressed_copy_template): in `SELECT ... ORDER BY time LIMIT n` the
// compressed chunks read after the first (which the LIMIT most likely never reaches) take a copy
// of its ordered ColumnarScan plan instead of being planned. The copy is the template's plan
// exactly when the chunk's layout (per attribute its role, companion column, codec type and
// metadata columns) and the settings the scan's order and keys come from are the template's:
// then only the range table entry, the companion table and the estimates differ.

struct CopyTemplate {
  int natts;
  const int* attrs;  // the template's layout (kAttrFields per attribute)
  AttrNumber count_attno;
  AttrNumber seq_attno;
  CompressionSettings settings;  // its segmentby and orderby (copied; no minmax or bloom lists)
  double batches;
};

bool same_names(char* const* a, char* const* b, int n) {
  for (int i = 0; i < n; ++i)
    if (strcmp(a[i], b[i]) != 0) return false;
  return true;
}

void* copy_template(PlannerInfo* root, RelOptInfo* rel, const ChunkInfo* chunk, Path* path) {
  if (!is_columnar_path(path) || path->parent != rel || path->param_info != nullptr || path->parallel_aware)
    return nullptr;
  List* meta = (List*)linitial(((CustomPath*)path)->custom_private);
  if (list_nth_int(meta, kOrdered) == 0 || list_nth_int(meta, kDistinct) != 0) return nullptr;
  const Layout* l = cached_layout(planner_rt_fetch(rel->relid, root)->relid, chunk, rel->max_attr);
  const CompressionSettings* s = &l->cc.settings;
  CopyTemplate* t = (CopyTemplate*)palloc0(sizeof(CopyTemplate));
  t->natts = l->natts;
  int* attrs = (int*)palloc(sizeof(int) * kAttrFields * (l->natts > 0 ? l->natts : 1));
  memcpy(attrs, l->attrs, sizeof(int) * kAttrFields * l->natts);
  t->attrs = attrs;
  t->count_attno = l->count_attno;
  t->seq_attno = l->seq_attno;
  CompressionSettings* ts = &t->settings;
  ts->nsegmentby = s->nsegmentby;
  ts->segmentby = (char**)palloc(sizeof(char*) * (s->nsegmentby + 1));
  for (int i = 0; i < s->nsegmentby; ++i) ts->segmentby[i] = pstrdup(s->segmentby[i]);
  ts->norderby = s->norderby;
  ts->orderby = (char**)palloc(sizeof(char*) * (s->norderby + 1));
  ts->orderby_desc = (bool*)palloc(sizeof(bool) * (s->norderby + 1));
  ts->orderby_nullsfirst = (bool*)palloc(sizeof(bool) * (s->norderby + 1));
  for (int i = 0; i < s->norderby; ++i) {
    ts->orderby[i] = pstrdup(s->orderby[i]);
    ts->orderby_desc[i] = s->orderby_desc[i];
    ts->orderby_nullsfirst[i] = s->orderby_nullsfirst[i];
  }
  t->batches = std::max(1, list_nth_int(meta, kBatches));
  return t;
}

bool copy_match(const void* tmpl, const ChunkInfo* chunk, Oid* companion, double* ratio) {
  const CopyTemplate* t = (const CopyTemplate*)tmpl;
  HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(chunk->relid));
  if (!HeapTupleIsValid(tup)) return false;
  const int natts = ((Form_pg_class)GETSTRUCT(tup))->relnatts;
  ReleaseSysCache(tup);
  if (natts != t->natts) return false;
  const Layout* l = cached_layout(chunk->relid, chunk, t->natts);
  const CompressionSettings* s = &l->cc.settings;
  if (l->natts != t->natts || l->count_attno != t->count_attno || l->seq_attno != t->seq_attno ||
      memcmp(l->attrs, t->attrs, sizeof(int) * kAttrFields * t->natts) != 0)
    return false;
  const CompressionSettings* ts = &t->settings;
  if (s->nsegmentby != ts->nsegmentby || s->norderby != ts->norderby ||
      !same_names(s->segmentby, ts->segmentby, ts->nsegmentby) || !same_names(s->orderby, ts->orderby, ts->norderby))
    return false;
  for (int i = 0; i < ts->norderby; ++i)
    if (s->orderby_desc[i] != ts->orderby_desc[i] || s->orderby_nullsfirst[i] != ts->orderby_nullsfirst[i]) return false;
  Layout sized = *l;
  layout_stats(&sized);
  *companion = sized.companion;
  *ratio = sized.batches / t->batches;
  return true;
}

// The template's expressions for another range table entry in one pass: every node copied but the
// constants (shared: nothing writes into a plan's Consts), the template's Vars moved to `to`.
struct Renumber {
  int from, to;
};

Node* renumber_mutator(Node* node, void* arg) {
  const Renumber* r = (const Renumber*)arg;
  if (node == nullptr || IsA(node, Const)) return node;
  if (IsA(node, Var)) return (Node*)renumbered_var((const Var*)node, r->from, r->to);
  if (IsA(node, PlaceHolderVar) || IsA(node, CurrentOfExpr)) {  // (relids or a cvarno: ChangeVarNodes's rules)
    Node* c = (Node*)copyObjectImpl(node);
    ChangeVarNodes(c, r->from, r->to, 0);
    return c;
  }
  return expression_tree_mutator(node, (Node * (*)()) renumber_mutator, arg);
}

Plan* copy_plan(PlannerInfo* root, Plan* source, Index rti, Oid companion, double ratio) {
  if (!IsA(source, CustomScan) || ((CustomScan*)source)->methods != &columnar_scan_methods) return nullptr;
  const CustomScan* src = (const CustomScan*)source;
  // (plan_columnar makes none of these, and create_plan attaches no initPlan to a scan)
  Assert(src->custom_plans == NIL && src->custom_scan_tlist == NIL && source->lefttree == nullptr &&
         source->righttree == nullptr && source->initPlan == NIL);
  // A flat copy: the expressions that name the scan's relation are copied with its Vars renumbered
  // (segment quals on companion columns keep the chunk's range table index too), the lists of
  // integers that differ (meta) or that aggregation planning rewrites (attrs) copied, the others
  // (predicates, filters, order, index keys: read only) shared with the template.
  CustomScan* cs = makeNode(CustomScan);
  *cs = *src;
  Renumber r{(int)src->scan.scanrelid, (int)rti};
  cs->scan.scanrelid = rti;
  cs->custom_relids = bms_make_singleton((int)rti);  // (EXPLAIN names the scan's relation from it)
  cs->scan.plan.targetlist = (List*)renumber_mutator((Node*)src->scan.plan.targetlist, &r);
  cs->scan.plan.qual = (List*)renumber_mutator((Node*)src->scan.plan.qual, &r);
  cs->custom_exprs = (List*)renumber_mutator((Node*)src->custom_exprs, &r);
  cs->custom_private = list_copy(src->custom_private);
  list_nth_cell(cs->custom_private, 0)->ptr_value = list_copy((List*)linitial(src->custom_private));
  list_nth_cell(cs->custom_private, 1)->ptr_value = list_copy((List*)lsecond(src->custom_private));
  List* meta = (List*)linitial(cs->custom_private);
  list_nth_cell(meta, kCompanion)->int_value = (int)companion;
  list_nth_cell(meta, kChunkRelid)->int_value = (int)planner_rt_fetch(rti, root)->relid;
  list_nth_cell(meta, kBatches)->int_value = (int)std::clamp(list_nth_int(meta, kBatches) * ratio, 1.0, 1e9);
  Plan* plan = &cs->scan.plan;
  plan->plan_rows = clamp_row_est(plan->plan_rows * ratio);
  plan->total_cost = plan->startup_cost + (plan->total_cost - plan->startup_cost) * ratio;
  return plan;
}

}  // namespace

const CustomScanMethods columnar_scan_methods = {
    "ColumnarScan",
    pg::guarded<columnar_create_state>,
};

bool is_columnar_path(const Path* path) {
  return path != nullptr && IsA(path, CustomPath) && ((const CustomPath*)path)->methods == &path_methods;
}

void columnar_relcache_invalidated(Oid relid) {
  bridge_forget_dictionaries(relid);  // (the scans' decoded shared dictionaries of a companion)
  if (layout_cache == nullptr || layout_cache_stale) return;
  if (relid == InvalidOid || relid == layout_catalog_oid ||
      hash_search(layout_cache, &relid, HASH_FIND, nullptr) != nullptr)
    layout_cache_stale = true;
}

void scan_init() {
  RegisterCustomScanMethods(&columnar_scan_methods);
  compressed_chunk_paths = add_columnar_paths;
  compressed_distinct_path = columnar_distinct_path;
  compressed_copy_template = copy_template;
  compressed_copy_match = copy_match;
  compressed_plan_copy = copy_plan;
  dml_init();  // writes into compressed chunks (dml.cpp)
  agg_init();  // aggregation pushdown (agg_plan.cpp)
}

}  // namespace strata::columnstore
