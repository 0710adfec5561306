// Row routing for INSERT into a hypertable.
//
// The plan `ModifyTable(INSERT hypertable) <- subplan` becomes
//   ModifyTable <- ChunkDispatch (CustomScan) <- subplan
// ChunkDispatch passes each row through and appends a junk "tableoid" column naming the chunk the
// row belongs to (creating the chunk when missing). PostgreSQL's ModifyTable already selects its
// result relation by a "tableoid" junk column (the mechanism of inherited UPDATE/DELETE), so it
// inserts into the chunk with all its native behaviour: constraints, indexes, triggers, RETURNING,
// ON CONFLICT. ChunkDispatch adds a ResultRelInfo for each chunk to the ModifyTableState as the
// chunk is first seen; an ExecutorStart handler (link_chunk_dispatch) hands it that
// ModifyTableState once the plan's state tree exists. A single row (INSERT ... VALUES with one row,
// the prepared statement of an application inserting row by row) has no subplan: ChunkDispatch
// computes it itself (see absorbed_result), so a statement starts two executor nodes, as
// PostgreSQL's own plan for a table does (ModifyTable and Result).
#include "ingest/dispatch.hpp"

#include "caggs/caggs.hpp"
#include "columnstore/direct.hpp"
#include "columnstore/dml.hpp"
#include "hypertable/chunk.hpp"
#include "ingest/ingest.hpp"
#include "ingest/route_cache.hpp"
#include "ingest/row_move.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/attmap.h"
#include "access/transam.h"
#include "access/tupconvert.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_am.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "executor/nodeCustom.h"
#include "executor/nodeModifyTable.h"
#include "jit/jit.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "rewrite/rewriteManip.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
}

namespace strata {

namespace {

struct DispatchState {
  CustomScanState css;
  ModifyTableState* mtstate;
  Hypertable* ht;
  int natts;             // columns of the subplan's output (excluding our junk column)
  RouteCache routes;     // chunks this statement has routed rows to
  int rri_capacity;      // allocated length of mtstate->resultRelInfo
  List* opened;          // chunk Relations we opened (closed at end; their indexes are closed
                         // by ExecCloseResultRelations)
  CaggTracker* cagg;     // continuous aggregate invalidations, or nullptr when there are none
  FmgrInfo* space_hash;  // the hash dimension's hash function, or nullptr when there is none
  bool columnstore;      // the hypertable's columnstore is enabled: unique checks across batches
  CommandId move_cid;    // batch moves' command id (columnstore/dml.hpp)
  bool direct_decided;   // whether rows may be written as compressed batches was decided
  columnstore::DirectCopy* direct;  // rows written as compressed batches (columnstore/direct.hpp)
  TupleTableSlot* parent_slot;      // a row of the hypertable's layout, for direct writes
  // The output slot's descriptor is the hypertable's row (without the junk column), so that
  // ModifyTable inserts that slot into a chunk of the same layout as it is (see bypass_insert_projection).
  TupleDesc out_desc;  // the output slot's own descriptor while it has the row's (restored at the end)
  // The node computes the one row of a subplan it took in (absorbed_result): no subplan state.
  bool own_row;
  bool row_done;  // that row was returned
  ProjectionInfo* row_proj;  // computes that row into the output slot (row_projection_begin)
  MemoryContextCallback target_release;  // gives the kept target back (take_kept_target)
  MemoryContextCallback row_release;     // gives the kept row back (take_row_projection)
};

// A chunk's columnstore state (RouteEntry data), or no entry data when it has none.
struct ChunkWrite {
  columnstore::DmlChunk* dml;        // unique checks across the batches, or nullptr
  columnstore::DirectChunk* direct;  // its rows written as batches, or nullptr
  ResultRelInfo* rri;                // the chunk's own (direct writes)
  TupleConversionMap* map;           // hypertable layout -> chunk layout, or nullptr
  TupleTableSlot* slot;              // a row of the chunk's layout
  bool check_constraints;            // rows need ExecConstraints (routed_row_needs_constraints)
};

CustomScanMethods dispatch_plan_methods;
CustomExecMethods dispatch_exec_methods;

OnConflictAction on_conflict(ModifyTableState* mt) {
  return reinterpret_cast<ModifyTable*>(mt->ps.plan)->onConflictAction;
}

bool same_layout(TupleDesc a, TupleDesc b) {
  if (a->natts != b->natts) return false;
  for (int i = 0; i < a->natts; i++) {
    Form_pg_attribute x = TupleDescAttr(a, i), y = TupleDescAttr(b, i);
    if (x->attisdropped != y->attisdropped || x->atttypid != y->atttypid || x->attlen != y->attlen ||
        x->attalign != y->attalign || x->attbyval != y->attbyval)
      return false;
  }
  return true;
}

// Grows mtstate->resultRelInfo, keeping every pointer into the array valid.
void grow_result_rels(DispatchState* ds, EState* estate) {
  ModifyTableState* mt = ds->mtstate;
  int newcap = ds->rri_capacity * 2;
  ResultRelInfo* old = mt->resultRelInfo;
  // (the entries past mt_nrels are set by InitResultRelInfo as they are taken: not zeroed here)
  auto* fresh = static_cast<ResultRelInfo*>(MemoryContextAlloc(estate->es_query_cxt, sizeof(ResultRelInfo) * newcap));
  memcpy(fresh, old, sizeof(ResultRelInfo) * mt->mt_nrels);
  auto remap = [&](ResultRelInfo* p) -> ResultRelInfo* {
    if (p >= old && p < old + mt->mt_nrels) return fresh + (p - old);
    return p;
  };
  ListCell* lc;
  foreach (lc, estate->es_opened_result_relations)
    lfirst(lc) = remap(static_cast<ResultRelInfo*>(lfirst(lc)));
  for (Index i = 0; i < estate->es_range_table_size; i++)
    if (estate->es_result_relations != nullptr && estate->es_result_relations[i] != nullptr)
      estate->es_result_relations[i] = remap(estate->es_result_relations[i]);
  mt->rootResultRelInfo = remap(mt->rootResultRelInfo);
  for (int i = 0; i < mt->mt_nrels; i++) fresh[i].ri_RootResultRelInfo = remap(fresh[i].ri_RootResultRelInfo);
  mt->resultRelInfo = fresh;
  ds->rri_capacity = newcap;
  mt->mt_lastResultOid = InvalidOid;  // ExecModifyTable's cached pointer must be looked up again
  mt->mt_lastResultIndex = 0;
}

void add_to_oid_hash(ModifyTableState* mt, Oid relid, int index) {
  if (mt->mt_resultOidHash == nullptr) {
    if (mt->mt_nrels < 32) return;  // a linear search is fine below this
    HASHCTL ctl;
    memset(&ctl, 0, sizeof ctl);
    ctl.keysize = sizeof(Oid);
    ctl.entrysize = sizeof(compat::MTTargetRelLookup);
    ctl.hcxt = CurrentMemoryContext;
    mt->mt_resultOidHash = hash_create("strata chunk result relations", 256, &ctl,
                                       HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
    for (int i = 0; i < mt->mt_nrels; i++) {
      Oid r = RelationGetRelid(mt->resultRelInfo[i].ri_RelationDesc);
      bool found;
      auto* e = static_cast<compat::MTTargetRelLookup*>(hash_search(mt->mt_resultOidHash, &r, HASH_ENTER, &found));
      e->relationIndex = i;
    }
    return;
  }
  bool found;
  auto* e = static_cast<compat::MTTargetRelLookup*>(hash_search(mt->mt_resultOidHash, &relid, HASH_ENTER, &found));
  e->relationIndex = index;
}

// ---------------------------------------------------------------------------------------------
// Chunk routes kept across statements. An application inserting row by row into a hypertable
// runs one statement per row, each routing its row to one of a few recent chunks: each would look
// the chunk up in the chunk cache (and copy its catalog entry with its names), then open the
// chunk's indexes and build their IndexInfo and prepare its CHECK constraints, as ExecOpenIndices
// does for a table (where PostgreSQL pays it once per statement too, but for one relation). The
// kept hypertable's (KeptTarget) routes keep, per chunk: its range and relid, its indexes' OIDs
// and IndexInfo, and the prepared (empty) constraint checks of a routed row. A later plain INSERT
// (no ON CONFLICT) routing to such a chunk (one without compressed rows) locks it (the lock is
// still needed) and opens its indexes (with their locks), and takes the rest from here.
//
// Validity. The routes are stamped with the chunk cache's generation (bumped by every catalog
// change: a chunk created, dropped or compressed, the hypertable altered) and relid epoch (bumped
// by every relcache invalidation naming a relation: a DROP, a rename, an index, constraint or
// trigger added or removed, an ALTER of a column, ANALYZE): a route is used only when both are
// unchanged after its chunk's lock was taken, which processes the invalidations that other
// sessions committed before (as lock_found_chunk relies on; a lock this transaction held already
// excludes their DDL, and its own DDL processes its invalidations at once). A route is kept only
// when nothing was invalidated while it was built, and only for indexes whose IndexInfo an INSERT
// reads and never writes: btree, without expressions, predicate, exclusion or opclass options.
struct KeptChunk {
  int nindexes;
  Oid* index_oids;           // in RelationGetIndexList's order, as ExecOpenIndices opens them
  IndexInfo** index_infos;   // read-only, shared by the statements
  ExprState** checks;        // ri_ConstraintExprs of a routed row (all skipped), or nullptr
  bool identical;            // the chunk's row has the hypertable's layout (same_layout)
};

struct KeptStamp {
  uint64 generation;
  uint32 epoch;
  bool operator==(const KeptStamp& o) const { return generation == o.generation && epoch == o.epoch; }
};

struct KeptRoutes {
  Oid ht_relid;       // the hypertable the routes are of (InvalidOid: none)
  KeptStamp stamp;    // the caches' state the routes were built in
  MemoryContext cxt;  // holds the routes and their KeptChunks
  RouteCache routes;  // data: KeptChunk*
};
KeptRoutes kept_routes;
constexpr int kKeptRoutes = 64;  // chunks kept (the first ones routed to since the stamp)

KeptStamp kept_stamp_now() { return KeptStamp{chunk_cache_generation(), chunk_relid_epoch()}; }

bool uses_kept_target(const DispatchState* ds);

// Whether this statement may use and keep routes: a plain INSERT (no ON CONFLICT) into the kept
// hypertable, its rows written one by one. (Only chunks without compressed rows are kept: their
// status is current when the route is, as compression locks the chunk against writers and changes
// the catalog, so a kept chunk's rows need no unique checks across batches, dml_open_for_insert.)
bool may_keep_routes(const DispatchState* ds) {
  return uses_kept_target(ds) && ds->direct == nullptr && ds->mtstate != nullptr &&
         on_conflict(ds->mtstate) == ONCONFLICT_NONE;
}

// The kept route of the chunk holding (v, h), its chunk locked; nullptr when there is none (or it
// is no longer valid: then nothing is locked).
const RouteEntry* kept_route(const DispatchState* ds, int64 v, int64 h) {
  KeptRoutes& k = kept_routes;
  if (k.ht_relid != ds->ht->relid || !(k.stamp == kept_stamp_now())) return nullptr;
  const RouteEntry* e = ds->space_hash == nullptr ? route_cache_find(&k.routes, v) : route_cache_find_point(&k.routes, v, h);
  if (e == nullptr) return nullptr;
  const Oid relid = e->relid;
  LockRelationOid(relid, RowExclusiveLock);
  if (k.stamp == kept_stamp_now()) return e;  // (the entries are as they were: nothing reset them)
  UnlockRelationOid(relid, RowExclusiveLock);
  return nullptr;
}

// Opens the kept chunk's indexes into `rri` as ExecOpenIndices(rri, false) would.
void open_kept_indexes(ResultRelInfo* rri, const KeptChunk* kept) {
  rri->ri_NumIndices = kept->nindexes;
  if (kept->nindexes == 0) return;
  auto* descs = static_cast<RelationPtr>(palloc(sizeof(Relation) * kept->nindexes));
  for (int i = 0; i < kept->nindexes; i++) descs[i] = index_open(kept->index_oids[i], RowExclusiveLock);
  rri->ri_IndexRelationDescs = descs;
  rri->ri_IndexRelationInfo = kept->index_infos;
}

// Whether an INSERT only reads the index's IndexInfo (see KeptRoutes).
bool index_info_shareable(Relation index, const IndexInfo* ii) {
  return index->rd_rel->relam == BTREE_AM_OID && ii->ii_Expressions == NIL && ii->ii_Predicate == NIL &&
         ii->ii_ExclusionOps == nullptr && ii->ii_UniqueOps == nullptr && ii->ii_OpclassOptions == nullptr &&
         ii->ii_AmCache == nullptr;
}

// Keeps the route of `chunk`, just opened into `rri` by the statement (which looked the chunk up
// after `stamp` was taken), when nothing was invalidated since and it qualifies.
void keep_route(const DispatchState* ds, const ChunkInfo* chunk, const ResultRelInfo* rri, KeptStamp stamp) {
  if (chunk->status != kChunkStatusNormal || !(stamp == kept_stamp_now())) return;
  for (int i = 0; i < rri->ri_NumIndices; i++)
    if (!index_info_shareable(rri->ri_IndexRelationDescs[i], rri->ri_IndexRelationInfo[i])) return;
  const TupleConstr* constr = RelationGetDescr(rri->ri_RelationDesc)->constr;
  const int ncheck = constr != nullptr ? constr->num_check : 0;
  bool checks_skipped = rri->ri_ConstraintExprs != nullptr;  // (set only when there are checks)
  for (int i = 0; checks_skipped && i < ncheck; i++) checks_skipped = rri->ri_ConstraintExprs[i] == nullptr;
  KeptRoutes& k = kept_routes;
  if (k.cxt != nullptr && (k.ht_relid != ds->ht->relid || !(k.stamp == stamp))) {
    // The old routes go, but not their memory: result relations of this very statement may still
    // point at their IndexInfo and checks (a route taken before the stamp moved, its chunk routed
    // to again later). They are freed with the statement's memory.
    k.ht_relid = InvalidOid;
    MemoryContextSetParent(k.cxt, ds->css.ss.ps.state->es_query_cxt);
    k.cxt = nullptr;
  }
  if (k.cxt == nullptr) {
    k.cxt = AllocSetContextCreate(CacheMemoryContext, "strata INSERT chunk routes", ALLOCSET_SMALL_SIZES);
    MemoryContext old = MemoryContextSwitchTo(k.cxt);
    route_cache_init(&k.routes);
    MemoryContextSwitchTo(old);
    k.stamp = stamp;
    k.ht_relid = ds->ht->relid;
  }
  if (k.routes.n >= kKeptRoutes) return;  // (a new chunk, which changes the stamp, starts them afresh)
  if ((ds->space_hash == nullptr ? route_cache_find(&k.routes, chunk->range_start)
                                 : route_cache_find_point(&k.routes, chunk->range_start, chunk->space_start)) != nullptr)
    return;
  MemoryContext old = MemoryContextSwitchTo(k.cxt);
  auto* kc = static_cast<KeptChunk*>(palloc0(sizeof(KeptChunk)));
  kc->nindexes = rri->ri_NumIndices;
  if (kc->nindexes > 0) {
    kc->index_oids = static_cast<Oid*>(palloc(sizeof(Oid) * kc->nindexes));
    kc->index_infos = static_cast<IndexInfo**>(palloc(sizeof(IndexInfo*) * kc->nindexes));
    for (int i = 0; i < kc->nindexes; i++) {
      kc->index_oids[i] = RelationGetRelid(rri->ri_IndexRelationDescs[i]);
      auto* ii = static_cast<IndexInfo*>(palloc(sizeof(IndexInfo)));
      memcpy(ii, rri->ri_IndexRelationInfo[i], sizeof(IndexInfo));
      ii->ii_Context = k.cxt;
      kc->index_infos[i] = ii;
    }
  }
  if (checks_skipped) kc->checks = static_cast<ExprState**>(palloc0(sizeof(ExprState*) * ncheck));
  kc->identical = same_layout(RelationGetDescr(ds->mtstate->resultRelInfo[0].ri_RelationDesc),
                              RelationGetDescr(rri->ri_RelationDesc));
  route_cache_add(&k.routes, chunk, kc);
  MemoryContextSwitchTo(old);
}

// Arbiter indexes of the hypertable, translated to the chunk's indexes.
List* chunk_arbiters(const ChunkInfo* chunk, List* ht_arbiters) {
  List* result = NIL;
  ListCell* lc;
  foreach (lc, ht_arbiters) {
    char* name = get_rel_name(lfirst_oid(lc));
    char* chunk_index = name ? catalog_chunk_index_for(chunk->id, name) : nullptr;
    Oid idx = chunk_index ? get_relname_relid(chunk_index, get_rel_namespace(chunk->relid)) : InvalidOid;
    if (!OidIsValid(idx))
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                      errmsg("chunk \"%s\" has no index implementing \"%s\"", NameStr(chunk->table_name),
                             name ? name : "?"),
                      errhint("Recreate the index on the hypertable.")));
    result = lappend_oid(result, idx);
  }
  return result;
}

// Projection from the dispatch output (hypertable layout) to a chunk whose physical layout
// differs (the hypertable had dropped columns when the chunk was created).
void build_mapped_projection(ModifyTableState* mt, ResultRelInfo* rri, Relation parent, EState* estate) {
  TupleDesc cdesc = RelationGetDescr(rri->ri_RelationDesc);
  AttrMap* map = build_attrmap_by_name(RelationGetDescr(parent), cdesc);  // chunk attno -> parent attno
  List* tlist = NIL;
  for (int i = 0; i < cdesc->natts; i++) {
    Form_pg_attribute att = TupleDescAttr(cdesc, i);
    Expr* e;
    if (att->attisdropped || map->attnums[i] == 0)
      e = reinterpret_cast<Expr*>(makeNullConst(att->attisdropped ? INT4OID : att->atttypid, -1, InvalidOid));
    else
      e = reinterpret_cast<Expr*>(makeVar(OUTER_VAR, map->attnums[i], att->atttypid, att->atttypmod, att->attcollation, 0));
    tlist = lappend(tlist, makeTargetEntry(e, i + 1, nullptr, false));
  }
  if (mt->ps.ps_ExprContext == nullptr) ExecAssignExprContext(estate, &mt->ps);
  rri->ri_newTupleSlot = table_slot_create(rri->ri_RelationDesc, &estate->es_tupleTable);
  rri->ri_projectNew = ExecBuildProjectionInfo(tlist, mt->ps.ps_ExprContext, rri->ri_newTupleSlot, &mt->ps, cdesc);
  rri->ri_projectNewInfoValid = true;
}

// A chunk of the hypertable's layout inserts ChunkDispatch's output slot as it is. Without this,
// ModifyTable would build a projection per chunk and statement (ExecInitInsertProjection) to drop
// the junk tableoid column and evaluate it per row. The output slot's descriptor is the
// hypertable's row without the junk column (which ModifyTable still reads, as attribute natts + 1,
// through slot_getattr: the slot's arrays have room for it and tts_nvalid counts it), and
// ExecGetInsertNewTuple returns the plan's slot itself when ri_newTupleSlot is of the same slot
// type and there is no projection.
void bypass_insert_projection(DispatchState* ds, ResultRelInfo* rri) {
  rri->ri_newTupleSlot = ds->css.ss.ss_ScanTupleSlot;  // unused otherwise; virtual, as the output slot
  rri->ri_projectNew = nullptr;
  rri->ri_projectNewInfoValid = true;
}

// ON CONFLICT, RETURNING and row-level security checks of a chunk's result relation (kept out of
// add_chunk_result_rel, whose plain-INSERT path runs at every statement of a row-by-row load).
[[gnu::cold, gnu::noinline]] void chunk_on_conflict(ModifyTableState* mt, ResultRelInfo* rri, const ChunkInfo* chunk,
                                                   bool identical, EState* estate) {
  ResultRelInfo* root = &mt->resultRelInfo[0];
  Relation parent = root->ri_RelationDesc;
  Relation rel = rri->ri_RelationDesc;
  rri->ri_onConflictArbiterIndexes = chunk_arbiters(chunk, root->ri_onConflictArbiterIndexes);
  if (on_conflict(mt) == ONCONFLICT_UPDATE) {
    OnConflictSetState* oc = makeNode(OnConflictSetState);
    oc->oc_Existing = table_slot_create(rel, &estate->es_tupleTable);
    if (identical) {
      // Same layout: the hypertable's projection and WHERE work on the chunk's slots.
      oc->oc_ProjSlot = root->ri_onConflict->oc_ProjSlot;
      oc->oc_ProjInfo = root->ri_onConflict->oc_ProjInfo;
      oc->oc_WhereClause = root->ri_onConflict->oc_WhereClause;
    } else {
      // The SET list and WHERE refer to the existing row (the result relation's varno) and to
      // EXCLUDED (INNER_VAR), both rows of the chunk: renumber their attributes for its layout.
      auto* plan = reinterpret_cast<ModifyTable*>(mt->ps.plan);
      AttrMap* map = build_attrmap_by_name(RelationGetDescr(rel), RelationGetDescr(parent));
      Oid rowtype = RelationGetForm(rel)->reltype;  // a whole-row reference reads the chunk's row, converted back
      auto remap = [&](Node* n) -> Node* {
        bool whole_row;
        n = map_variable_attnos(n, root->ri_RangeTableIndex, 0, map, rowtype, &whole_row);
        return map_variable_attnos(n, INNER_VAR, 0, map, rowtype, &whole_row);
      };
      List* set = reinterpret_cast<List*>(remap(reinterpret_cast<Node*>(plan->onConflictSet)));
      List* cols = NIL;
      ListCell* lc;
      foreach (lc, plan->onConflictCols) cols = lappend_int(cols, map->attnums[lfirst_int(lc) - 1]);
      if (mt->ps.ps_ExprContext == nullptr) ExecAssignExprContext(estate, &mt->ps);
      oc->oc_ProjSlot = table_slot_create(rel, &estate->es_tupleTable);
      oc->oc_ProjInfo = ExecBuildUpdateProjection(set, true, cols, RelationGetDescr(rel), mt->ps.ps_ExprContext,
                                                  oc->oc_ProjSlot, &mt->ps);
      if (plan->onConflictWhere != nullptr)
        oc->oc_WhereClause = ExecInitQual(reinterpret_cast<List*>(remap(plan->onConflictWhere)), &mt->ps);
    }
    rri->ri_onConflict = oc;
    guard_on_conflict_range(rri, estate);  // a move out of the chunk: 0A000, as for partitions
  }
}

[[gnu::cold, gnu::noinline]] void chunk_returning_and_checks(ModifyTableState* mt, ResultRelInfo* rri, bool identical) {
  ResultRelInfo* root = &mt->resultRelInfo[0];
  Relation parent = root->ri_RelationDesc;
  Relation rel = rri->ri_RelationDesc;
  if (root->ri_returningList != NIL) {
    if (identical) {
      rri->ri_returningList = root->ri_returningList;
      rri->ri_projectReturning = root->ri_projectReturning;
    } else {
      AttrMap* map = build_attrmap_by_name(RelationGetDescr(rel), RelationGetDescr(parent));
      bool found_whole_row;
      Index rti = root->ri_RangeTableIndex;
      List* rlist = reinterpret_cast<List*>(map_variable_attnos(reinterpret_cast<Node*>(root->ri_returningList), rti, 0,
                                                                map, RelationGetForm(rel)->reltype, &found_whole_row));
      rri->ri_returningList = rlist;
      rri->ri_projectReturning = ExecBuildProjectionInfo(rlist, root->ri_projectReturning->pi_exprContext,
                                                         mt->ps.ps_ResultTupleSlot, &mt->ps, RelationGetDescr(rel));
    }
  }
  if (root->ri_WithCheckOptions != NIL) {
    if (identical) {
      rri->ri_WithCheckOptions = root->ri_WithCheckOptions;
      rri->ri_WithCheckOptionExprs = root->ri_WithCheckOptionExprs;
    } else {
      // Row-level security checks refer to the new row: renumber them for the chunk's layout.
      AttrMap* map = build_attrmap_by_name(RelationGetDescr(rel), RelationGetDescr(parent));
      bool whole_row;
      auto* wcos = reinterpret_cast<List*>(map_variable_attnos(reinterpret_cast<Node*>(root->ri_WithCheckOptions),
                                                               root->ri_RangeTableIndex, 0, map,
                                                               RelationGetForm(rel)->reltype, &whole_row));
      List* exprs = NIL;
      ListCell* lc;
      foreach (lc, wcos)
        exprs = lappend(exprs, ExecInitQual(reinterpret_cast<List*>(lfirst_node(WithCheckOption, lc)->qual), &mt->ps));
      rri->ri_WithCheckOptions = wcos;
      rri->ri_WithCheckOptionExprs = exprs;
    }
  }
}

// The chunk's result relation (`relid`, locked by the caller), added to ModifyTable's; `chunk` is
// its catalog entry (ON CONFLICT's arbiters need it), `kept` its indexes and checks kept from an
// earlier statement (see KeptRoutes; a plain INSERT only), or nullptr. Returns the result relation
// (valid until the next one is added).
ResultRelInfo* add_chunk_result_rel(DispatchState* ds, Oid relid, const ChunkInfo* chunk, const KeptChunk* kept,
                                    EState* estate) {
  ModifyTableState* mt = ds->mtstate;
  if (mt == nullptr) elog(ERROR, "chunk dispatch is not under a strata ModifyTable");
  if (mt->mt_nrels == ds->rri_capacity) grow_result_rels(ds, estate);
  ResultRelInfo* root = &mt->resultRelInfo[0];
  Relation parent = root->ri_RelationDesc;
  Relation rel = table_open(relid, NoLock);  // chunk_get_or_create (or kept_route) locked it
  ds->opened = lappend(ds->opened, rel);
  ResultRelInfo* rri = &mt->resultRelInfo[mt->mt_nrels];
  InitResultRelInfo(rri, rel, 0, root, estate->es_instrument);
  if (kept != nullptr) {
    open_kept_indexes(rri, kept);
    rri->ri_ConstraintExprs = kept->checks;  // (nullptr: prepared below, as without it)
  } else {
    ExecOpenIndices(rri, on_conflict(mt) != ONCONFLICT_NONE);
  }
  if (ds->cagg != nullptr) caggs_capture_chunk(ds->cagg, rel);
  estate->es_opened_result_relations = lappend(estate->es_opened_result_relations, rri);
  skip_routed_range_check(rri, estate, on_conflict(mt) == ONCONFLICT_UPDATE);

  // (a kept route's layout is current: a change of either relation's columns moves the stamp)
  const bool identical = kept != nullptr ? kept->identical : same_layout(RelationGetDescr(parent), RelationGetDescr(rel));
  if (!identical)
    build_mapped_projection(mt, rri, parent, estate);
  else if (ds->out_desc != nullptr)
    bypass_insert_projection(ds, rri);

  if (on_conflict(mt) != ONCONFLICT_NONE) chunk_on_conflict(mt, rri, chunk, identical, estate);
  if (root->ri_returningList != NIL || root->ri_WithCheckOptions != NIL) chunk_returning_and_checks(mt, rri, identical);
  int index = mt->mt_nrels++;
  add_to_oid_hash(mt, relid, index);
  mt->mt_lastResultOid = InvalidOid;
  return rri;
}

// The chunk for time value `v` (and partition hash `h`), creating it (and its ResultRelInfo) on
// first use. Its data is the chunk's columnstore write state when its rows need unique checks
// across batches.
RouteEntry* route(DispatchState* ds, int64 v, int64 h) {
  RouteEntry* e = ds->space_hash == nullptr ? route_cache_find(&ds->routes, v) : route_cache_find_point(&ds->routes, v, h);
  if (e != nullptr) return e;
  EState* estate = ds->css.ss.ps.state;
  MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
  const bool keep = may_keep_routes(ds);
  if (keep) {
    const RouteEntry* k = kept_route(ds, v, h);  // locked, or nullptr
    if (k != nullptr) {
      add_chunk_result_rel(ds, k->relid, nullptr, static_cast<const KeptChunk*>(k->data), estate);
      e = route_cache_add(&ds->routes, RouteEntry{k->start, k->end, k->relid, nullptr, k->space_start, k->space_end});
      MemoryContextSwitchTo(old);
      return e;
    }
  }
  const KeptStamp stamp = kept_stamp_now();
  ChunkInfo* chunk = chunk_get_or_create(ds->ht, v, h);
  ResultRelInfo* chunk_rri = add_chunk_result_rel(ds, chunk->relid, chunk, nullptr, estate);
  Relation rel = static_cast<Relation>(llast(ds->opened));
  Relation parent = ds->mtstate->resultRelInfo[0].ri_RelationDesc;
  columnstore::DirectChunk* direct = nullptr;
  ResultRelInfo* rri = nullptr;
  bool range_skipped = false;
  if (ds->direct != nullptr) {
    // Its own result relation (ModifyTable's array of them may move as chunks are added).
    rri = makeNode(ResultRelInfo);
    InitResultRelInfo(rri, rel, 0, &ds->mtstate->resultRelInfo[0], 0);
    ExecOpenIndices(rri, false);
    estate->es_opened_result_relations = lappend(estate->es_opened_result_relations, rri);
    range_skipped = skip_routed_range_check(rri, estate, false);
    direct = columnstore::direct_copy_chunk(ds->direct, chunk, rri);
  }
  // A compressed chunk's row part gets rows: it becomes partial (the status is current: see
  // chunk_get_or_create).
  if (direct == nullptr && (chunk->status & kChunkStatusCompressed) != 0 && (chunk->status & kChunkStatusPartial) == 0)
    chunk_note_rows_in_row_part(chunk);
  columnstore::DmlChunk* dc = nullptr;
  if (ds->columnstore) dc = columnstore::dml_open_for_insert(rel, chunk, RelationGetDescr(parent), ds->move_cid);
  ChunkWrite* w = nullptr;
  if (dc != nullptr || direct != nullptr) {
    w = static_cast<ChunkWrite*>(palloc0(sizeof(ChunkWrite)));
    w->dml = dc;
    w->direct = direct;
    if (direct != nullptr) {
      w->rri = rri;
      w->map = convert_tuples_by_name(RelationGetDescr(parent), RelationGetDescr(rel));
      w->slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsVirtual);
      w->check_constraints = routed_row_needs_constraints(
          rri, range_skipped, get_attnum(chunk->relid, NameStr(ds->ht->time_column)));
    }
  }
  // (kept when nothing was invalidated since `stamp`, also by the columnstore's lookups above)
  if (keep && w == nullptr) keep_route(ds, chunk, chunk_rri, stamp);
  e = route_cache_add(&ds->routes, chunk, w);
  MemoryContextSwitchTo(old);
  return e;
}

// ---------------------------------------------------------------------------------------------
// The one row of an absorbed Result (INSERT ... VALUES of one row), computed by ChunkDispatch.
//
// PostgreSQL builds a Result's projection (its output descriptor, one type lookup per column, and
// the compiled expressions) at every executor start, also for a generic plan run again and again
// (a prepared statement of an application inserting row by row): a fifth of such an INSERT's
// server work. ChunkDispatch keeps the compiled row of a generic plan across its executions
// instead: the second execution of a plan (its custom_private carries an id unique in the backend)
// builds the projection and the output descriptor in a memory context of their own, and later
// executions of that plan take them over, rebinding the output slot, the expression context and
// the plan state. Only expressions whose compiled form holds nothing of one execution are kept:
// constants, external parameters (without a parameter compile hook, as PL/pgSQL's), and calls of
// built-in (internal language) functions with relabellings; others, a plan executed inside its own
// execution (the entry is busy) and EXPLAIN build the projection per execution, as before. The
// function calls' EXECUTE privilege is checked when the entry is built and again at every later
// execution (a role membership can change without touching pg_proc); entries belong to the user
// who built them and are dropped at any pg_proc invalidation (a GRANT or REVOKE included).
struct RowProjection {
  int64 plan_id;  // 0: a free slot
  Oid userid;
  MemoryContext cxt;
  ProjectionInfo* proj;
  TupleDesc desc;  // the output slot's: the row's columns and the junk chunk OID
  List* funcs;     // the functions the row calls (OIDs): EXECUTE is checked again at every take
  uint64 last_use;
  bool busy;   // taken by a running execution (given back when its query context goes)
  bool stale;  // dropped while busy: freed when given back
};

constexpr int kRowProjections = 8;   // plans kept
constexpr int kSeenPlans = 16;       // plans executed once (built per execution the first time)
RowProjection row_projections[kRowProjections];
RowProjection* last_taken_row = &row_projections[0];  // (a free entry's plan_id is 0, no plan's)
int64 seen_plans[kSeenPlans];
int seen_next;
uint64 row_projection_clock;
int64 last_row_plan_id;

void free_row_projection(RowProjection* e) {
  if (e->cxt != nullptr) MemoryContextDelete(e->cxt);
  *e = RowProjection{};
}

// At the end of the execution that took the entry (its query context is reset or deleted, also
// when it fails). Frees nothing but a stale entry's memory; cannot fail.
void release_row_projection(void* arg) {
  auto* e = static_cast<RowProjection*>(arg);
  e->busy = false;
  if (e->stale) free_row_projection(e);
}

bool internal_function(Oid fn) {
  if (fn >= FirstNormalObjectId) return false;
  HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
  if (!HeapTupleIsValid(tup)) return false;
  auto* p = reinterpret_cast<Form_pg_proc>(GETSTRUCT(tup));
  const bool ok = p->prolang == INTERNALlanguageId && !p->proretset;
  ReleaseSysCache(tup);
  return ok;
}

bool not_keepable(Node* node, void* context) {
  if (node == nullptr) return false;
  switch (nodeTag(node)) {
    case T_Const:
      return false;
    case T_Param:
      return reinterpret_cast<Param*>(node)->paramkind != PARAM_EXTERN;
    case T_RelabelType:
    case T_List:
      break;
    case T_FuncExpr:
    case T_OpExpr: {
      const Oid fn = IsA(node, FuncExpr) ? reinterpret_cast<FuncExpr*>(node)->funcid
                                         : reinterpret_cast<OpExpr*>(node)->opfuncid;
      if (!internal_function(fn)) return true;
      auto* funcs = static_cast<List**>(context);
      *funcs = list_append_unique_oid(*funcs, fn);
      break;
    }
    default:
      return true;
  }
  return expression_tree_walker(node, reinterpret_cast<bool (*)()>(not_keepable), context);
}

// Whether the row's compiled expressions may be kept across executions (see RowProjection); the
// functions it calls into *funcs (in the current memory context).
bool keepable_row(List* row, List** funcs) {
  ListCell* lc;
  foreach (lc, row)
    if (not_keepable(reinterpret_cast<Node*>(lfirst_node(TargetEntry, lc)->expr), funcs)) return false;
  return true;
}

// Whether the user may still execute every function of a kept row.
bool may_execute(const List* funcs, Oid user) {
  ListCell* lc;
  foreach (lc, funcs)
    if (pg_proc_aclcheck(lfirst_oid(lc), user, ACL_EXECUTE) != ACLCHECK_OK) return false;
  return true;
}

// Builds the projection computing `row` (without the junk column) into `slot`, in the current
// memory context, never JIT-compiled when `keep` (compiled code belongs to the execution).
ProjectionInfo* build_row_projection(CustomScanState* node, List* row, TupleTableSlot* slot, bool keep) {
  EState* estate = node->ss.ps.state;
  List* exprs = list_copy_head(row, list_length(row) - 1);
  const int jit = estate->es_jit_flags;
  if (keep) estate->es_jit_flags = PGJIT_NONE;
  ProjectionInfo* proj = ExecBuildProjectionInfo(exprs, node->ss.ps.ps_ExprContext, slot, &node->ss.ps, nullptr);
  estate->es_jit_flags = jit;
  return proj;
}

// Drops every kept row (not the busy ones: they go when given back).
void drop_row_projections() {
  for (RowProjection& e : row_projections) {
    if (e.plan_id == 0) continue;
    if (e.busy)
      e.stale = true;
    else
      free_row_projection(&e);
  }
}

// The kept row of plan `plan_id`, taken for this execution; nullptr when there is none to take
// (the plan's first execution, which is remembered, or one that may not keep it).
RowProjection* take_row_projection(DispatchState* ds, List* row, int64 plan_id, int eflags) {
  CustomScanState* node = &ds->css;
  EState* estate = node->ss.ps.state;
  if ((eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0) return nullptr;
  if (estate->es_param_list_info != nullptr && estate->es_param_list_info->paramCompile != nullptr) return nullptr;
  if (object_access_hook != nullptr) return nullptr;  // it is told of every function's execution
  const Oid user = GetUserId();
  // (the entry taken last first: a session running one statement over and over touches no other;
  // there is at most one entry of a plan and user that is not stale)
  RowProjection* e = last_taken_row;
  if (e->plan_id != plan_id || e->stale || e->userid != user) {
    e = nullptr;
    for (RowProjection& r : row_projections)
      if (r.plan_id == plan_id && !r.stale && r.userid == user) e = &r;
  }
  if (e == nullptr) {
    // The plan's first execution builds its row per execution; the second keeps it.
    bool seen = false;
    for (int64 id : seen_plans) seen |= id == plan_id;
    if (!seen) {
      seen_plans[seen_next] = plan_id;
      seen_next = (seen_next + 1) % kSeenPlans;
      return nullptr;
    }
    List* funcs = NIL;
    if (!keepable_row(row, &funcs)) return nullptr;
    RowProjection* victim = nullptr;
    for (RowProjection& r : row_projections)
      if (!r.busy && (victim == nullptr || r.last_use < victim->last_use)) victim = &r;
    if (victim == nullptr) return nullptr;
    // Built under the query context (an error frees it), moved out once complete; from a copy of
    // the row, so that no constant of the compiled row points into the plan, which may go first.
    MemoryContext cxt = AllocSetContextCreate(estate->es_query_cxt, "strata INSERT row", ALLOCSET_SMALL_SIZES);
    MemoryContext old = MemoryContextSwitchTo(cxt);
    row = static_cast<List*>(copyObjectImpl(row));
    TupleDesc desc = ExecTypeFromTL(row);
    TupleTableSlot* probe = MakeTupleTableSlot(desc, &TTSOpsVirtual);
    ProjectionInfo* proj = build_row_projection(node, row, probe, true);
    funcs = list_copy(funcs);
    MemoryContextSwitchTo(old);
    free_row_projection(victim);
    MemoryContextSetParent(cxt, TopMemoryContext);
    *victim = RowProjection{plan_id, user, cxt, proj, desc, funcs, 0, false, false};
    e = victim;
  } else if (e->busy) {
    return nullptr;  // the plan runs inside its own execution: a row of its own
  } else if (!may_execute(e->funcs, user)) {
    free_row_projection(e);  // built per execution, which reports the missing privilege
    return nullptr;
  }
  e->busy = true;
  e->last_use = ++row_projection_clock;
  last_taken_row = e;
  pg::call_at_reset(estate->es_query_cxt, release_row_projection, e, &ds->row_release);
  return e;
}

// The output slot and the projection of a node computing its own row.
void row_projection_begin(DispatchState* ds, CustomScanState* node, List* row, int64 plan_id, int eflags) {
  EState* estate = node->ss.ps.state;
  RowProjection* kept = take_row_projection(ds, row, plan_id, eflags);
  TupleDesc desc = kept != nullptr ? kept->desc : ExecTypeFromTL(row);
  TupleTableSlot* out = ExecAllocTableSlot(&estate->es_tupleTable, desc, &TTSOpsVirtual);
  node->ss.ps.ps_ResultTupleSlot = out;
  node->ss.ps.ps_ResultTupleDesc = desc;
  if (kept == nullptr) {
    ds->row_proj = build_row_projection(node, row, out, false);
    return;
  }
  ProjectionInfo* proj = kept->proj;
  proj->pi_exprContext = node->ss.ps.ps_ExprContext;
  proj->pi_state.resultslot = out;
  proj->pi_state.parent = &node->ss.ps;
  ds->row_proj = proj;
}

// ---------------------------------------------------------------------------------------------
// The hypertable of the last INSERT, kept across statements. An application inserting row by row
// runs one statement per row into the same hypertable; each would look the hypertable up in the
// hypertable cache and copy its Hypertable (hundreds of bytes, mostly names), and look up whether
// it has continuous aggregates: two hash lookups and a copy whose cache misses cost more than the
// instructions. The kept copy stands for both while neither cache dropped anything since it was
// taken (their generations), which is exactly when both lookups would give the same answer. Only
// a hypertable without continuous aggregates is kept (with them, the transaction's tracker is
// looked up as before). A statement running while another one into the same hypertable holds the
// copy (an INSERT from a trigger) makes its own, so a copy never changes under a running statement.
struct KeptTarget {
  Oid relid;  // InvalidOid: none
  uint64 ht_generation;
  uint64 cagg_generation;
  bool busy;  // held by a running statement (given back when its query context goes)
  Hypertable ht;
};
KeptTarget kept_target;

void release_kept_target(void*) { kept_target.busy = false; }

bool uses_kept_target(const DispatchState* ds) { return ds->ht == &kept_target.ht; }

// The statement's hypertable `relid` and its continuous aggregate tracker (see KeptTarget).
void take_kept_target(DispatchState* ds, Oid relid, EState* estate) {
  KeptTarget& k = kept_target;
  if (!k.busy && k.relid == relid && k.ht_generation == hypertable_cache_generation() &&
      k.cagg_generation == caggs_exists_generation() && extension_is_active()) {
    ds->ht = &k.ht;
    ds->cagg = nullptr;
  } else {
    const uint64 ht_generation = hypertable_cache_generation(), cagg_generation = caggs_exists_generation();
    ds->ht = hypertable_get(relid);
    if (ds->ht == nullptr) elog(ERROR, "relation %u is no longer a hypertable", relid);
    ds->cagg = caggs_tracker_for(ds->ht);
    if (k.busy) return;
    // Kept for the next statements when nothing was dropped while looking up (the answers are
    // current) and there is no tracker.
    k.relid = InvalidOid;
    if (ds->cagg != nullptr || ht_generation != hypertable_cache_generation() ||
        cagg_generation != caggs_exists_generation())
      return;
    k.ht = *ds->ht;
    k.ht_generation = ht_generation;
    k.cagg_generation = cagg_generation;
    k.relid = relid;
    ds->ht = &k.ht;
  }
  k.busy = true;
  pg::call_at_reset(estate->es_query_cxt, release_kept_target, nullptr, &ds->target_release);
}

Node* create_dispatch_state(CustomScan* cscan) {
  auto* ds = reinterpret_cast<DispatchState*>(newNode(sizeof(DispatchState), T_CustomScanState));
  ds->css.methods = &dispatch_exec_methods;
  return reinterpret_cast<Node*>(ds);
}

void dispatch_begin(CustomScanState* node, EState* estate, int eflags) {
  auto* ds = reinterpret_cast<DispatchState*>(node);
  auto* cscan = reinterpret_cast<CustomScan*>(node->ss.ps.plan);
  Oid ht_relid = static_cast<Oid>(intVal(linitial(cscan->custom_private)));
  take_kept_target(ds, ht_relid, estate);
  ds->own_row = cscan->custom_plans == NIL;
  List* row = ds->own_row ? static_cast<List*>(lsecond(cscan->custom_private)) : NIL;
  ds->natts = list_length(ds->own_row ? row : cscan->scan.plan.targetlist) - 1;
  route_cache_init(&ds->routes);
  ds->space_hash = nullptr;
  if (ds->ht->num_partitions > 0) {
    if (ds->ht->space_attno == InvalidAttrNumber || ds->ht->space_attno > ds->natts)
      elog(ERROR, "hash dimension column \"%s\" of hypertable \"%s\" is missing", NameStr(ds->ht->space_column),
           NameStr(ds->ht->table_name));
    ds->space_hash = static_cast<FmgrInfo*>(palloc(sizeof(FmgrInfo)));
    fmgr_info(space_hash_proc(ds->ht->space_type), ds->space_hash);
  }
  ds->rri_capacity = 1;  // ExecInitModifyTable allocated exactly one ResultRelInfo
  // Rows may go to compressed chunks: reserve a command id for moving batches (unique checks).
  ds->columnstore = ds->ht->compression_state != 0 && (eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0;
  if (ds->columnstore) columnstore::dml_reserve_move_cid(estate, &ds->move_cid);
  ds->row_done = false;
  if (ds->own_row)
    row_projection_begin(ds, node, row, DatumGetInt64(lthird_node(Const, cscan->custom_private)->constvalue), eflags);
  else
    node->custom_ps = list_make1(ExecInitNode(static_cast<Plan*>(linitial(cscan->custom_plans)), estate, eflags));
}

// Gives the output slot the hypertable's row descriptor (see bypass_insert_projection): when the
// subplan's columns are the hypertable's, in its layout. The slot keeps its arrays of natts + 1
// entries. The descriptor is the hypertable relation's own (open and locked for the whole
// statement); dispatch_end puts the slot's own back before the executor releases the slots'
// descriptors (an error leaves it: an aborted execution releases none).
void setup_row_out(DispatchState* ds, CustomScanState* node, ResultRelInfo* root) {
  TupleDesc parent = RelationGetDescr(root->ri_RelationDesc);
  TupleTableSlot* out = node->ss.ps.ps_ResultTupleSlot;
  if (parent->natts != ds->natts || out->tts_tupleDescriptor->natts != ds->natts + 1 || out->tts_ops != &TTSOpsVirtual ||
      node->ss.ss_ScanTupleSlot == nullptr || node->ss.ss_ScanTupleSlot->tts_ops != &TTSOpsVirtual)
    return;
  for (int i = 0; i < ds->natts; i++) {
    Form_pg_attribute a = TupleDescAttr(parent, i), b = TupleDescAttr(out->tts_tupleDescriptor, i);
    if (!a->attisdropped && a->atttypid != b->atttypid) return;
  }
  ds->out_desc = out->tts_tupleDescriptor;
  out->tts_tupleDescriptor = parent;
}

// Whether the statement's rows may be written as compressed batches (decided at the first row,
// once ModifyTable is initialized): a plain INSERT (no ON CONFLICT, RETURNING or row-level
// security checks) that the planner expects to bring enough rows (columnstore/direct.hpp).
void decide_direct(DispatchState* ds, CustomScanState* node) {
  ds->direct_decided = true;
  ModifyTableState* mt = ds->mtstate;
  EState* estate = node->ss.ps.state;
  if (mt != nullptr) setup_row_out(ds, node, &mt->resultRelInfo[0]);
  // Late rows are captured for incremental maintenance (src/caggs) when written as given.
  if (ds->cagg != nullptr && mt != nullptr)
    caggs_capture_begin(ds->cagg, mt->resultRelInfo[0].ri_RelationDesc, on_conflict(mt) == ONCONFLICT_NONE);
  if (!ds->columnstore || mt == nullptr || on_conflict(mt) != ONCONFLICT_NONE) return;
  ResultRelInfo* root = &mt->resultRelInfo[0];
  if (root->ri_returningList != NIL || root->ri_WithCheckOptions != NIL) return;
  auto* cscan = reinterpret_cast<CustomScan*>(node->ss.ps.plan);
  const double rows = cscan->scan.plan.plan_rows;  // the subplan's (copy_costs)
  ds->direct = columnstore::direct_insert_begin(root->ri_RelationDesc, ds->ht, rows, mt->mt_transition_capture != nullptr,
                                                estate, estate->es_output_cid);
  if (ds->direct != nullptr)
    ds->parent_slot = MakeSingleTupleTableSlot(RelationGetDescr(root->ri_RelationDesc), &TTSOpsVirtual);
}

// A row for a chunk written as batches: constraints checked as ModifyTable checks them, then
// buffered (columnstore/direct.hpp); counted as ModifyTable counts the rows it inserts.
void add_direct(DispatchState* ds, ChunkWrite* w, TupleTableSlot* in) {
  EState* estate = ds->css.ss.ps.state;
  TupleTableSlot* p = ds->parent_slot;
  ExecClearTuple(p);
  memcpy(p->tts_values, in->tts_values, sizeof(Datum) * ds->natts);
  memcpy(p->tts_isnull, in->tts_isnull, sizeof(bool) * ds->natts);
  ExecStoreVirtualTuple(p);
  TupleTableSlot* slot = w->slot;
  if (w->map != nullptr) {
    execute_attr_map_slot(w->map->attrMap, p, slot);
  } else {
    ExecClearTuple(slot);
    memcpy(slot->tts_values, p->tts_values, sizeof(Datum) * slot->tts_tupleDescriptor->natts);
    memcpy(slot->tts_isnull, p->tts_isnull, sizeof(bool) * slot->tts_tupleDescriptor->natts);
    ExecStoreVirtualTuple(slot);
  }
  slot->tts_tableOid = RelationGetRelid(w->rri->ri_RelationDesc);
  Relation rel = w->rri->ri_RelationDesc;
  if (rel->rd_att->constr != nullptr && rel->rd_att->constr->has_generated_stored)
    ExecComputeStoredGenerated(w->rri, estate, slot, CMD_INSERT);
  if (w->check_constraints) ExecConstraints(w->rri, slot, estate);
  columnstore::direct_copy_add(ds->direct, w->direct, slot);
  if (ds->mtstate->canSetTag) estate->es_processed++;
}

// At the end of the rows: ModifyTable looks up no more result relations, and EXPLAIN ANALYZE (which
// prints the plan after the run, before the executor ends) labels the targets of a ModifyTable with
// several result relations by their range table entries, which chunks added here do not have (index
// 0): it shows the hypertable alone, as for a plain table. The chunks' ResultRelInfos stay open in
// the executor's list of opened result relations, which AFTER ROW triggers and the executor's end
// use; ModifyTable's end reads the array only for foreign tables' callbacks.
void hide_chunk_result_rels(DispatchState* ds) {
  ModifyTableState* mt = ds->mtstate;
  if (mt == nullptr || mt->mt_nrels <= 1) return;
  mt->mt_nrels = 1;
  mt->mt_lastResultOid = InvalidOid;
  mt->mt_lastResultIndex = 0;
}

// The next row to route: the subplan's, or the node's own row (computed by its projection into the
// output slot, once).
TupleTableSlot* next_row(DispatchState* ds) {
  CustomScanState* node = &ds->css;
  if (!ds->own_row) return ExecProcNode(static_cast<PlanState*>(linitial(node->custom_ps)));
  if (ds->row_done) return nullptr;
  ds->row_done = true;
  ResetExprContext(node->ss.ps.ps_ExprContext);
  return ExecProject(ds->row_proj);
}

TupleTableSlot* dispatch_exec(CustomScanState* node) {
  auto* ds = reinterpret_cast<DispatchState*>(node);
  if (!ds->direct_decided) decide_direct(ds, node);
  TupleTableSlot* in;
  for (bool first = true;; first = false) {
    // (rows kept here: their per-row memory is freed as ModifyTable frees it between rows)
    if (!first) ResetPerTupleExprContext(node->ss.ps.state);
    in = next_row(ds);
    if (TupIsNull(in)) {
      if (ds->direct != nullptr) {
        columnstore::direct_copy_finish(ds->direct);
        ds->direct = nullptr;
      }
      hide_chunk_result_rels(ds);
      return nullptr;
    }
    slot_getallattrs(in);
    if (ds->direct == nullptr) break;
    // Rows of chunks written as batches are kept here; the others go on to ModifyTable.
    AttrNumber t = ds->ht->time_attno;
    if (t > ds->natts || in->tts_isnull[t - 1]) break;  // the error below
    int64 v = time_datum_to_internal(in->tts_values[t - 1], ds->ht->time_type);
    int64 h = 0;
    if (ds->space_hash != nullptr) {
      MemoryContext old = MemoryContextSwitchTo(GetPerTupleMemoryContext(node->ss.ps.state));
      h = space_hash_value(ds->space_hash, ds->ht->space_collation, in->tts_values[ds->ht->space_attno - 1],
                           in->tts_isnull[ds->ht->space_attno - 1]);
      MemoryContextSwitchTo(old);
    }
    RouteEntry* entry = route(ds, v, h);
    auto* w = static_cast<ChunkWrite*>(entry->data);
    if (w == nullptr || w->direct == nullptr) break;
    if (ds->cagg != nullptr) caggs_track_row(ds->cagg, v, in->tts_values, in->tts_isnull);
    if (w->dml != nullptr) columnstore::dml_check_unique(w->dml, in->tts_values, in->tts_isnull);
    add_direct(ds, w, in);
  }
  AttrNumber t = ds->ht->time_attno;
  if (t > ds->natts || in->tts_isnull[t - 1])
    ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
                    errmsg("NULL value in column \"%s\" violates not-null constraint", NameStr(ds->ht->time_column)),
                    errhint("Columns used for time partitioning cannot be NULL.")));
  int64 v = time_datum_to_internal(in->tts_values[t - 1], ds->ht->time_type);
  if (ds->cagg != nullptr) caggs_track_row(ds->cagg, v, in->tts_values, in->tts_isnull);
  int64 h = 0;
  if (ds->space_hash != nullptr) {
    const AttrNumber s = ds->ht->space_attno;
    // (hash functions may allocate, say to detoast: in the per-row context ModifyTable resets)
    MemoryContext old = MemoryContextSwitchTo(GetPerTupleMemoryContext(node->ss.ps.state));
    h = space_hash_value(ds->space_hash, ds->ht->space_collation, in->tts_values[s - 1], in->tts_isnull[s - 1]);
    MemoryContextSwitchTo(old);
  }
  RouteEntry* entry = route(ds, v, h);
  Oid chunk_relid = entry->relid;
  auto* w = static_cast<ChunkWrite*>(entry->data);
  if (w != nullptr && w->dml != nullptr) columnstore::dml_check_unique(w->dml, in->tts_values, in->tts_isnull);

  TupleTableSlot* out = node->ss.ps.ps_ResultTupleSlot;
  ExecClearTuple(out);  // (a virtual slot keeps its values: `in` may be `out`)
  if (in != out) {
    memcpy(out->tts_values, in->tts_values, sizeof(Datum) * ds->natts);
    memcpy(out->tts_isnull, in->tts_isnull, sizeof(bool) * ds->natts);
  }
  out->tts_values[ds->natts] = ObjectIdGetDatum(chunk_relid);
  out->tts_isnull[ds->natts] = false;
  ExecStoreVirtualTuple(out);
  out->tts_nvalid = static_cast<AttrNumber>(ds->natts + 1);  // the junk column, past the row's descriptor
  return out;
}

void dispatch_end(CustomScanState* node) {
  auto* ds = reinterpret_cast<DispatchState*>(node);
  if (ds->out_desc != nullptr) {
    ExecClearTuple(node->ss.ps.ps_ResultTupleSlot);
    node->ss.ps.ps_ResultTupleSlot->tts_tupleDescriptor = ds->out_desc;
    ds->out_desc = nullptr;
  }
  if (node->custom_ps != NIL) ExecEndNode(static_cast<PlanState*>(linitial(node->custom_ps)));
  for (RouteEntry* e = route_cache_begin(&ds->routes); e != route_cache_end(&ds->routes); ++e) {
    auto* w = static_cast<ChunkWrite*>(e->data);
    if (w == nullptr) continue;
    columnstore::dml_close(w->dml);
    if (w->slot != nullptr) ExecDropSingleTupleTableSlot(w->slot);
  }
  if (ds->parent_slot != nullptr) ExecDropSingleTupleTableSlot(ds->parent_slot);
  ds->parent_slot = nullptr;
  ListCell* lc;
  foreach (lc, ds->opened) table_close(static_cast<Relation>(lfirst(lc)), NoLock);
  ds->opened = NIL;
}

// EXPLAIN VERBOSE: the row a node computes itself, where the executor shows a node's target list.
void dispatch_explain(CustomScanState* node, List* ancestors, ExplainState* es) {
  auto* ds = reinterpret_cast<DispatchState*>(node);
  if (!es->verbose || !ds->own_row) return;
  auto* cscan = reinterpret_cast<CustomScan*>(node->ss.ps.plan);
  List* context = set_deparse_context_plan(es->deparse_cxt, &cscan->scan.plan, ancestors);
  List* shown = NIL;
  ListCell* lc;
  foreach (lc, static_cast<List*>(lsecond(cscan->custom_private)))
    shown = lappend(shown, deparse_expression(reinterpret_cast<Node*>(lfirst_node(TargetEntry, lc)->expr), context,
                                              list_length(es->rtable) > 1, false));
  ExplainPropertyList("Output", shown, es);
}

void dispatch_rescan(CustomScanState* node) {
  auto* ds = reinterpret_cast<DispatchState*>(node);
  ds->row_done = false;
  if (node->custom_ps != NIL) ExecReScan(static_cast<PlanState*>(linitial(node->custom_ps)));
}

void copy_costs(Plan* to, const Plan* from) {
  to->startup_cost = from->startup_cost;
  to->total_cost = from->total_cost;
  to->plan_rows = from->plan_rows;
  to->plan_width = from->plan_width;
  to->parallel_aware = false;
  to->parallel_safe = false;
}

// A subplan that computes one row from nothing but its target list (INSERT ... VALUES of one row, or
// SELECT without FROM): a Result without input, conditions, init plans or sub-plans. ChunkDispatch
// computes that row with its own projection instead of starting a Result node for it.
bool absorbed_result(const Plan* sub) {
  if (!IsA(sub, Result) || sub->lefttree != nullptr || sub->righttree != nullptr || sub->qual != NIL ||
      reinterpret_cast<const Result*>(sub)->resconstantqual != nullptr || sub->initPlan != NIL || sub->targetlist == NIL)
    return false;
  return !contain_subplans(reinterpret_cast<Node*>(sub->targetlist));
}

Plan* wrap_insert(Plan* plan, PlannedStmt* stmt) {
  if (plan == nullptr || !IsA(plan, ModifyTable)) return plan;
  auto* mt = reinterpret_cast<ModifyTable*>(plan);
  if (mt->operation != CMD_INSERT || list_length(mt->resultRelations) != 1) return plan;
  Index rti = static_cast<Index>(linitial_int(mt->resultRelations));
  RangeTblEntry* rte = rt_fetch(rti, stmt->rtable);
  Hypertable* ht = hypertable_get(rte->relid);
  if (ht == nullptr) {
    // INSERT naming a compressed chunk would bypass the unique checks across its batches.
    ChunkInfo chunk;
    if (get_rel_namespace(rte->relid) == internal_namespace_oid() && chunk_get_by_relid(rte->relid, &chunk) &&
        (chunk.status & kChunkStatusCompressed) != 0)
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("cannot insert into compressed chunk \"%s\" directly", NameStr(chunk.table_name)),
                      errhint("Insert into the hypertable instead.")));
    return plan;
  }

  Plan* sub = outerPlan(mt);
  CustomScan* dispatch = makeNode(CustomScan);
  dispatch->methods = &dispatch_plan_methods;
  dispatch->custom_plans = list_make1(sub);
  dispatch->custom_private = list_make1(makeInteger(static_cast<int>(ht->relid)));
  copy_costs(&dispatch->scan.plan, sub);
  List* scan_tlist = NIL;
  ListCell* lc;
  foreach (lc, sub->targetlist) {
    auto* tle = static_cast<TargetEntry*>(lfirst(lc));
    Oid type = exprType(reinterpret_cast<Node*>(tle->expr));
    Expr* e;
    if (!tle->resjunk && get_attname(rte->relid, tle->resno, true) != nullptr)
      e = reinterpret_cast<Expr*>(makeVar(rti, tle->resno, type, exprTypmod(reinterpret_cast<Node*>(tle->expr)),
                                          exprCollation(reinterpret_cast<Node*>(tle->expr)), 0));
    else
      e = reinterpret_cast<Expr*>(makeNullConst(type, -1, InvalidOid));
    scan_tlist = lappend(scan_tlist, makeTargetEntry(e, tle->resno, tle->resname, tle->resjunk));
  }
  AttrNumber junk = static_cast<AttrNumber>(list_length(sub->targetlist) + 1);
  scan_tlist = lappend(scan_tlist, makeTargetEntry(reinterpret_cast<Expr*>(makeVar(rti, TableOidAttributeNumber, OIDOID, -1, InvalidOid, 0)),
                                                   junk, pstrdup("tableoid"), true));
  const bool absorb = absorbed_result(sub);
  dispatch->custom_scan_tlist = absorb ? NIL : scan_tlist;
  // Output columns are OUTER_VAR references to the subplan's output: ModifyTable builds its insert
  // projection from these expressions, evaluated against our output slot as the outer tuple. The
  // subplan is also set as lefttree (never initialised from there) so EXPLAIN VERBOSE can resolve
  // them; the junk tableoid column comes from custom_scan_tlist.
  List* tlist = NIL;
  if (absorb) {
    // The row's own expressions, and a placeholder for the chunk's OID (set by dispatch_exec). They
    // go in custom_private, not in the node's target list: ChunkDispatch computes the row with its
    // own projection (RowProjection), which a generic plan keeps across executions, where the
    // executor would build one from the target list at every start (see row_projection_begin).
    foreach (lc, sub->targetlist) tlist = lappend(tlist, copyObjectImpl(lfirst(lc)));
    tlist = lappend(tlist, makeTargetEntry(reinterpret_cast<Expr*>(makeNullConst(OIDOID, -1, InvalidOid)), junk,
                                           pstrdup("tableoid"), true));
    dispatch->custom_plans = NIL;
    dispatch->scan.plan.targetlist = NIL;
    dispatch->custom_private = lappend(dispatch->custom_private, tlist);
    dispatch->custom_private = lappend(dispatch->custom_private, makeConst(INT8OID, -1, InvalidOid, sizeof(int64),
                                                                           Int64GetDatum(++last_row_plan_id), false,
                                                                           FLOAT8PASSBYVAL));
    mt->plan.lefttree = &dispatch->scan.plan;
    return plan;
  }
  foreach (lc, sub->targetlist) {
    auto* tle = static_cast<TargetEntry*>(lfirst(lc));
    Node* e = reinterpret_cast<Node*>(tle->expr);
    // Constants stay (ExecCheckPlanOutput wants a NULL Const for a dropped column).
    Expr* out = IsA(e, Const) ? static_cast<Expr*>(copyObjectImpl(e))
                              : reinterpret_cast<Expr*>(makeVar(OUTER_VAR, tle->resno, exprType(e), exprTypmod(e), exprCollation(e), 0));
    tlist = lappend(tlist, makeTargetEntry(out, tle->resno, tle->resname, tle->resjunk));
  }
  tlist = lappend(tlist, makeTargetEntry(reinterpret_cast<Expr*>(makeVar(INDEX_VAR, junk, OIDOID, -1, InvalidOid, 0)),
                                         junk, pstrdup("tableoid"), true));
  dispatch->scan.plan.targetlist = tlist;
  dispatch->scan.plan.lefttree = sub;
  mt->plan.lefttree = &dispatch->scan.plan;
  return plan;
}

}  // namespace

// PostgreSQL calls these methods through pg::guarded, inside cpp_entry (src/pg/guard.hpp).
void dispatch_register_methods() {
  dispatch_plan_methods.CustomName = "ChunkDispatch";
  dispatch_plan_methods.CreateCustomScanState = pg::guarded<create_dispatch_state>;
  dispatch_exec_methods.CustomName = "ChunkDispatch";
  dispatch_exec_methods.BeginCustomScan = pg::guarded<dispatch_begin>;
  dispatch_exec_methods.ExecCustomScan = pg::guarded<dispatch_exec>;
  dispatch_exec_methods.EndCustomScan = pg::guarded<dispatch_end>;
  dispatch_exec_methods.ReScanCustomScan = pg::guarded<dispatch_rescan>;
  dispatch_exec_methods.ExplainCustomScan = pg::guarded<dispatch_explain>;
  RegisterCustomScanMethods(&dispatch_plan_methods);
}

namespace {

void link_modify_table(PlanState* ps) {
  if (ps == nullptr || !IsA(ps, ModifyTableState)) return;
  PlanState* sub = outerPlanState(ps);
  if (sub == nullptr || !IsA(sub, CustomScanState) || reinterpret_cast<CustomScanState*>(sub)->methods != &dispatch_exec_methods)
    return;
  auto* ds = reinterpret_cast<DispatchState*>(sub);
  auto* mt = castNode(ModifyTableState, ps);
  ds->mtstate = mt;
  // A node computing its own row has no target list for ModifyTable to find the junk column in.
  if (ds->own_row) mt->mt_resultOidAttno = static_cast<AttrNumber>(ds->natts + 1);
}

}  // namespace

void link_chunk_dispatch(QueryDesc* query_desc, int) {
  PlannedStmt* stmt = query_desc->plannedstmt;
  if (stmt->commandType != CMD_INSERT && !stmt->hasModifyingCTE) return;
  // A ModifyTable is the top of the plan or of a data-modifying CTE's subplan.
  link_modify_table(query_desc->planstate);
  ListCell* lc;
  foreach (lc, query_desc->estate->es_subplanstates) link_modify_table(static_cast<PlanState*>(lfirst(lc)));
}

void dispatch_proc_invalidated(int, uint32) { drop_row_projections(); }

void dispatch_rewrite_plan(PlannedStmt* stmt) {
  if (stmt->commandType == CMD_UTILITY) return;
  stmt->planTree = wrap_insert(stmt->planTree, stmt);
  ListCell* lc;
  foreach (lc, stmt->subplans) lfirst(lc) = wrap_insert(static_cast<Plan*>(lfirst(lc)), stmt);
}

}  // namespace strata
