// COPY FROM into a hypertable: PostgreSQL parses the input (BeginCopyFrom/NextCopyFrom, every
// format and option), strata routes each row to its chunk and writes per-chunk batches with
// table_multi_insert, then maintains indexes and fires triggers as PostgreSQL's own COPY does.
// The indexes of a chunk that this COPY creates are built in bulk at the end instead (see
// can_defer_indexes).
#include "ingest/ingest.hpp"

#include "caggs/caggs.hpp"
#include "columnstore/direct.hpp"
#include "columnstore/dml.hpp"
#include "hypertable/chunk.hpp"
#include "ingest/copy_input.hpp"
#include "ingest/route_cache.hpp"
#include "pg/guard.hpp"

#include <sys/stat.h>

extern "C" {
#include "access/heapam.h"
#include "access/hio.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "commands/copy.h"
#include "commands/copyfrom_internal.h"
#include "commands/defrem.h"
#include "commands/progress.h"
#include "pgstat.h"
#include "commands/trigger.h"
#include "catalog/pg_authid.h"
#include "executor/executor.h"
#include "executor/nodeModifyTable.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_relation.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/memutils.h"
#include "utils/relcache.h"
#include "storage/bufmgr.h"
}

namespace strata {

bool guc_copy_bulk_index_build = true;
bool guc_copy_keep_heap_in_buffers = true;

namespace {

constexpr int kMaxBufferedRows = 1000;             // per chunk
constexpr int64 kMaxBufferedBytes = 1024 * 1024;   // per chunk
constexpr int kMaxBufferedTotal = 10000;           // across chunks

struct CopyChunk {
  Oid relid;
  ResultRelInfo* rri;
  TupleConversionMap* map;   // hypertable layout -> chunk layout, or NULL when identical
  bool single;               // BEFORE/INSTEAD row triggers: insert row by row
  TupleTableSlot* single_slot;
  BulkInsertState bistate;
  TupleTableSlot** slots;
  uint64* linenos;
  int nused;
  int64 bytes;
  columnstore::DmlChunk* dml;  // unique checks across a compressed chunk's batches, or nullptr
  columnstore::DirectChunk* direct;  // rows written as compressed batches (direct.hpp), or nullptr
  TupleTableSlot* direct_slot;
  bool check_constraints;  // rows need ExecConstraints (routed_row_needs_constraints)
  bool defer_indexes;  // rows are not inserted into the indexes: build_deferred_indexes builds them
  BlockNumber ringless_blocks;  // heap blocks written without the bulk-write ring (keep_heap_in_buffers)
};

struct CopyRun {
  EState* estate;
  ResultRelInfo* root;
  CopyFromState cstate;
  TransitionCaptureState* tcs;
  CommandId cid;
  bool columnstore;     // the hypertable's columnstore is enabled
  CommandId move_cid;   // batch moves' command id (columnstore/dml.hpp)
  columnstore::DirectCopy* direct;  // direct compression (columnstore/direct.hpp), or nullptr
  CaggTracker* cagg;  // the continuous aggregates' tracker of the hypertable (src/caggs), or nullptr
  RouteCache routes;  // data: CopyChunk*
  int total_buffered;
  BlockNumber ringless_blocks;  // sum of the chunks' ringless_blocks
  uint64 processed;
  uint64 excluded;
  const CopyStmt* stmt;
};

void after_insert(CopyRun* run, CopyChunk* c, TupleTableSlot* slot) {
  ResultRelInfo* rri = c->rri;
  List* recheck = NIL;
  if (rri->ri_NumIndices > 0 && !c->defer_indexes) recheck = compat::insert_index_tuples(rri, slot, run->estate);
  if ((rri->ri_TrigDesc != nullptr && rri->ri_TrigDesc->trig_insert_after_row) || run->tcs != nullptr)
    ExecARInsertTriggers(run->estate, rri, slot, recheck, run->tcs);
  list_free(recheck);
}

// The heap pages of a chunk whose indexes are built at the end of the COPY (defer_indexes) are read
// again at once by that build (a heap scan per index). PostgreSQL's COPY writes through a small ring of
// buffers (BAS_BULKWRITE, 16 MB), so that a large load does not push the rest of shared_buffers out;
// for such a chunk the ring meant writing each page out to the kernel during the COPY and reading it
// back for the build. Such a chunk's heap is written without the ring while the COPY's ringless pages
// stay within a quarter of shared_buffers (the size above which PostgreSQL's own scans, the build's
// too, use a ring); past it every chunk goes back to the ring. The pages stay dirty in shared_buffers
// for the checkpointer or background writer, as a plain table's index pages do after its COPY.
BlockNumber ringless_budget() { return static_cast<BlockNumber>(NBuffers / 4); }

void keep_heap_in_buffers(CopyRun* run, CopyChunk* c) {
  if (!guc_copy_keep_heap_in_buffers || !c->defer_indexes || run->ringless_blocks >= ringless_budget()) return;
  FreeAccessStrategy(c->bistate->strategy);
  c->bistate->strategy = nullptr;
}

void note_ringless_blocks(CopyRun* run, CopyChunk* c) {
  const Buffer buf = c->bistate->current_buf;
  if (!BufferIsValid(buf)) return;
  const BlockNumber n = BufferGetBlockNumber(buf) + 1;
  if (n <= c->ringless_blocks) return;
  run->ringless_blocks += n - c->ringless_blocks;
  c->ringless_blocks = n;
  if (run->ringless_blocks < ringless_budget()) return;
  MemoryContext old = MemoryContextSwitchTo(run->estate->es_query_cxt);  // (flush_chunk runs per tuple)
  for (RouteEntry* e = route_cache_begin(&run->routes); e != route_cache_end(&run->routes); ++e) {
    auto* other = static_cast<CopyChunk*>(e->data);
    if (other->bistate->strategy == nullptr) other->bistate->strategy = GetAccessStrategy(BAS_BULKWRITE);
  }
  MemoryContextSwitchTo(old);
}

void flush_chunk(CopyRun* run, CopyChunk* c) {
  if (c->nused == 0) return;
  MemoryContext old = MemoryContextSwitchTo(GetPerTupleMemoryContext(run->estate));
  uint64 save_lineno = run->cstate->cur_lineno;
  // (as PostgreSQL's COPY: an error of a buffered row names its line, not the line read last)
  const bool save_valid = run->cstate->line_buf_valid;
  run->cstate->line_buf_valid = false;
  table_multi_insert(c->rri->ri_RelationDesc, c->slots, c->nused, run->cid, 0, c->bistate);
  if (c->defer_indexes && c->bistate->strategy == nullptr) note_ringless_blocks(run, c);
  for (int i = 0; i < c->nused; i++) {
    run->cstate->cur_lineno = c->linenos[i];
    after_insert(run, c, c->slots[i]);
    ExecClearTuple(c->slots[i]);
    ResetPerTupleExprContext(run->estate);
  }
  run->cstate->cur_lineno = save_lineno;
  run->cstate->line_buf_valid = save_valid;
  MemoryContextSwitchTo(old);
  run->total_buffered -= c->nused;
  c->nused = 0;
  c->bytes = 0;
}

void flush_all(CopyRun* run) {
  for (RouteEntry* e = route_cache_begin(&run->routes); e != route_cache_end(&run->routes); ++e)
    flush_chunk(run, static_cast<CopyChunk*>(e->data));
}

// Creating a chunk builds its indexes, and CREATE INDEX reports its own progress, which replaces
// this backend's COPY progress: report the COPY again afterwards.
void restore_progress(CopyRun* run, const CopyStmt* stmt) {
  pgstat_progress_start_command(PROGRESS_COMMAND_COPY, RelationGetRelid(run->root->ri_RelationDesc));
  struct stat st;
  int64 bytes_total = 0;
  if (stmt->filename != nullptr && !stmt->is_program && stat(stmt->filename, &st) == 0) bytes_total = st.st_size;
  const int cols[] = {PROGRESS_COPY_COMMAND, PROGRESS_COPY_TYPE, PROGRESS_COPY_BYTES_PROCESSED,
                      PROGRESS_COPY_TUPLES_PROCESSED, PROGRESS_COPY_TUPLES_EXCLUDED, PROGRESS_COPY_BYTES_TOTAL};
  const int64 vals[] = {PROGRESS_COPY_COMMAND_FROM,
                        stmt->filename == nullptr ? PROGRESS_COPY_TYPE_PIPE
                        : stmt->is_program       ? PROGRESS_COPY_TYPE_PROGRAM
                                                 : PROGRESS_COPY_TYPE_FILE,
                        static_cast<int64>(run->cstate->bytes_processed),
                        static_cast<int64>(run->processed), static_cast<int64>(run->excluded), bytes_total};
  pgstat_progress_update_multi_param(6, cols, vals);
}

// Whether the rows of a chunk that COPY has just opened may skip its indexes, which
// build_deferred_indexes then builds from the chunk's heap at the end of the COPY (PostgreSQL's index
// build: one sort and a sequential write per index, instead of one btree descent, page lock and WAL
// record per row and index). Only for a chunk this transaction created (rd_createSubid) that holds
// nothing yet, open only by this COPY: no other session can see it before commit, no other scan of
// this session reads it, and the build, which indexes every live row of the heap, then indexes
// exactly the rows of this COPY.
// Not when something could read the chunk through an index while the COPY runs or expect a per-row
// check: BEFORE/INSTEAD row triggers (the row-by-row path), volatile column defaults, the columnstore
// (its unique checks and batch moves read the chunk's indexes), deferrable unique constraints (the
// build would check at once, not at commit), exclusion constraints, indexes not ready.
// A unique violation is raised by the build, at the end of the COPY, with 23505 as a per-row insert
// gives it (build_deferred_indexes words it the same); the COPY fails as a whole either way.
bool can_defer_indexes(const CopyRun* run, const CopyChunk* c) {
  return guc_copy_bulk_index_build && !c->single && c->direct == nullptr && !run->columnstore &&
         !run->cstate->volatile_defexprs && chunk_indexes_can_wait(c->rri, true);
}

void build_index_error_context(void* arg) {
  auto* idx = static_cast<Relation>(arg);
  errcontext("COPY building index \"%s\" of a chunk it created", RelationGetRelationName(idx));
}

// Builds the indexes of a chunk whose rows skipped them (can_defer_indexes), as REINDEX does: new
// empty storage (the old, holding only the metapage of the empty index, is dropped at commit), then
// index_build over the heap, which checks uniqueness. Its duplicate-key error is reworded as a
// per-row insert words it (same SQLSTATE 23505, constraint and key).
void build_deferred_index(Relation heap, Relation idx) {
  ErrorContextCallback errcallback;
  errcallback.callback = build_index_error_context;
  errcallback.arg = idx;
  errcallback.previous = error_context_stack;
  error_context_stack = &errcallback;
  MemoryContext cxt = CurrentMemoryContext;
  PG_TRY();
  {
    // (parallel: a btree build uses up to max_parallel_maintenance_workers workers, as REINDEX and
    // CREATE INDEX do, when plan_create_index_workers finds the heap large enough)
    chunk_rebuild_index(heap, idx, true);
  }
  PG_CATCH();
  {
    MemoryContextSwitchTo(cxt);
    ErrorData* edata = CopyErrorData();
    if (edata->sqlerrcode != ERRCODE_UNIQUE_VIOLATION) PG_RE_THROW();
    FlushErrorState();
    edata->message = psprintf("duplicate key value violates unique constraint \"%s\"",
                              RelationGetRelationName(idx));
    const char* dup = " is duplicated.";
    size_t n = edata->detail != nullptr ? strlen(edata->detail) : 0;
    if (n > strlen(dup) && strcmp(edata->detail + n - strlen(dup), dup) == 0)
      edata->detail = psprintf("%.*s already exists.", static_cast<int>(n - strlen(dup)), edata->detail);
    ReThrowError(edata);
  }
  PG_END_TRY();
  error_context_stack = errcallback.previous;
}

void build_deferred_indexes(CopyChunk* c) {
  for (int i = 0; i < c->rri->ri_NumIndices; i++)
    build_deferred_index(c->rri->ri_RelationDesc, c->rri->ri_IndexRelationDescs[i]);
}

CopyChunk* open_chunk(CopyRun* run, const Hypertable* ht, int64 v, int64 h) {
  MemoryContext old = MemoryContextSwitchTo(run->estate->es_query_cxt);
  ChunkInfo* info = chunk_get_or_create(ht, v, h);
  restore_progress(run, run->stmt);
  Relation rel = table_open(info->relid, NoLock);  // chunk_get_or_create locked it
  if (run->cagg != nullptr) caggs_capture_chunk(run->cagg, rel);
  auto* rri = makeNode(ResultRelInfo);
  InitResultRelInfo(rri, rel, 0, run->root, 0);
  ExecOpenIndices(rri, false);
  run->estate->es_opened_result_relations = lappend(run->estate->es_opened_result_relations, rri);
  const bool range_skipped = skip_routed_range_check(rri, run->estate, false);
  columnstore::DirectChunk* direct =
      run->direct != nullptr ? columnstore::direct_copy_chunk(run->direct, info, rri) : nullptr;
  // A compressed chunk's row part gets rows: it becomes partial (the status is current: see
  // chunk_get_or_create).
  if (direct == nullptr && (info->status & kChunkStatusCompressed) != 0 && (info->status & kChunkStatusPartial) == 0)
    chunk_note_rows_in_row_part(info);

  auto* c = static_cast<CopyChunk*>(palloc0(sizeof(CopyChunk)));
  c->relid = info->relid;
  c->rri = rri;
  c->direct = direct;
  c->map = convert_tuples_by_name(RelationGetDescr(run->root->ri_RelationDesc), RelationGetDescr(rel));
  c->check_constraints =
      routed_row_needs_constraints(rri, range_skipped, get_attnum(info->relid, NameStr(ht->time_column)));
  c->single = rri->ri_TrigDesc != nullptr &&
              (rri->ri_TrigDesc->trig_insert_before_row || rri->ri_TrigDesc->trig_insert_instead_row);
  c->bistate = GetBulkInsertState();
  c->slots = static_cast<TupleTableSlot**>(palloc0(sizeof(TupleTableSlot*) * kMaxBufferedRows));
  c->linenos = static_cast<uint64*>(palloc0(sizeof(uint64) * kMaxBufferedRows));
  // (also for rows written as batches: the batches holding a key equal to a new row's move into
  // the row part, where direct.cpp's unique check finds them; not when every batch of the chunk
  // is this COPY's own)
  if (run->columnstore && (direct == nullptr || !columnstore::direct_copy_chunk_converted(direct)))
    c->dml = columnstore::dml_open_for_insert(rel, info, RelationGetDescr(run->root->ri_RelationDesc), run->move_cid);
  c->defer_indexes = can_defer_indexes(run, c);
  keep_heap_in_buffers(run, c);
  route_cache_add(&run->routes, info, c);
  MemoryContextSwitchTo(old);
  return c;
}

CopyChunk* find_chunk(CopyRun* run, const Hypertable* ht, int64 v) {
  RouteEntry* e = route_cache_find(&run->routes, v);
  return e != nullptr ? static_cast<CopyChunk*>(e->data) : open_chunk(run, ht, v, 0);
}

// With a hash dimension: the chunk of time value `v` and partition hash `h`.
CopyChunk* find_chunk_point(CopyRun* run, const Hypertable* ht, int64 v, int64 h) {
  RouteEntry* e = route_cache_find_point(&run->routes, v, h);
  return e != nullptr ? static_cast<CopyChunk*>(e->data) : open_chunk(run, ht, v, h);
}

// Fills `slot` (the chunk's) from the parsed row in `row` (hypertable layout).
void store_row(CopyChunk* c, TupleTableSlot* row, TupleTableSlot* slot) {
  if (c->map != nullptr) {
    execute_attr_map_slot(c->map->attrMap, row, slot);
  } else {
    ExecClearTuple(slot);
    int natts = slot->tts_tupleDescriptor->natts;
    memcpy(slot->tts_values, row->tts_values, sizeof(Datum) * natts);
    memcpy(slot->tts_isnull, row->tts_isnull, sizeof(bool) * natts);
    ExecStoreVirtualTuple(slot);
  }
  slot->tts_tableOid = c->relid;
}

bool check_row(CopyRun* run, CopyChunk* c, TupleTableSlot* slot) {
  Relation rel = c->rri->ri_RelationDesc;
  if (rel->rd_att->constr != nullptr && rel->rd_att->constr->has_generated_stored)
    ExecComputeStoredGenerated(c->rri, run->estate, slot, CMD_INSERT);
  if (c->check_constraints) ExecConstraints(c->rri, slot, run->estate);
  return true;
}

Node* transform_where(ParseState* pstate, ParseNamespaceItem* nsitem, Relation rel, Node* where) {
  addNSItemToQuery(pstate, nsitem, false, true, true);
  Node* expr = transformExpr(pstate, where, EXPR_KIND_COPY_WHERE);
  expr = coerce_to_boolean(pstate, expr, "WHERE");
  assign_expr_collations(pstate, expr);
  Bitmapset* attrs = nullptr;
  pull_varattnos(expr, 1, &attrs);
  int i = -1;
  while ((i = bms_next_member(attrs, i)) >= 0) {
    AttrNumber attno = i + FirstLowInvalidHeapAttributeNumber;
    if (attno > 0 && TupleDescAttr(RelationGetDescr(rel), attno - 1)->attgenerated)
      ereport(ERROR, (errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
                      errmsg("generated columns are not supported in COPY FROM WHERE conditions")));
  }
  expr = eval_const_expressions(nullptr, expr);
  expr = reinterpret_cast<Node*>(canonicalize_qual(reinterpret_cast<Expr*>(expr), false));
  return reinterpret_cast<Node*>(make_ands_implicit(reinterpret_cast<Expr*>(expr)));
}

}  // namespace

uint64 copy_from_hypertable(ParseState* pstate, CopyStmt* stmt, Oid relid) {
  PreventCommandIfReadOnly("COPY FROM");
  PreventCommandIfParallelMode("COPY FROM");
  PreventCommandDuringRecovery("COPY FROM");
  if (stmt->filename != nullptr) {
    if (stmt->is_program && !has_privs_of_role(GetUserId(), ROLE_PG_EXECUTE_SERVER_PROGRAM))
      ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                      errmsg("must be superuser or have privileges of the pg_execute_server_program role to COPY from an external program"),
                      errhint("Anyone can COPY from stdin. psql's \\copy command also works for anyone.")));
    if (!stmt->is_program && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
      ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
                      errmsg("must be superuser or have privileges of the pg_read_server_files role to COPY from a file"),
                      errhint("Anyone can COPY from stdin. psql's \\copy command also works for anyone.")));
  }
  Relation rel = table_open(relid, RowExclusiveLock);
  Hypertable* ht = hypertable_get(relid);
  if (ht == nullptr) elog(ERROR, "relation %u is not a hypertable", relid);
  ParseNamespaceItem* nsitem = addRangeTableEntryForRelation(pstate, rel, RowExclusiveLock, nullptr, false, false);
  RangeTblEntry* rte = nsitem->p_rte;
  rte->requiredPerms = ACL_INSERT;
  Node* where = stmt->whereClause ? transform_where(pstate, nsitem, rel, stmt->whereClause) : nullptr;
  List* attnums = CopyGetAttnums(RelationGetDescr(rel), rel, stmt->attlist);
  ListCell* lc;
  foreach (lc, attnums) rte->insertedCols = bms_add_member(rte->insertedCols, lfirst_int(lc) - FirstLowInvalidHeapAttributeNumber);
  ExecCheckRTPerms(pstate->p_rtable, true);
  if (check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("COPY FROM not supported with row-level security"),
                    errhint("Use INSERT statements instead.")));

  CopyRun run{};
  run.estate = CreateExecutorState();
  run.cid = GetCurrentCommandId(true);
  run.columnstore = ht->compression_state != 0;
  if (run.columnstore) run.cid = columnstore::dml_reserve_move_cid(nullptr, &run.move_cid);
  route_cache_init(&run.routes);
  run.stmt = stmt;
  ExecInitRangeTable(run.estate, pstate->p_rtable);
  run.root = makeNode(ResultRelInfo);
  ExecInitResultRelation(run.estate, run.root, 1);
  run.estate->es_output_cid = run.cid;

  // The COPY option direct_compress [boolean] is strata's (columnstore/direct.hpp), not PostgreSQL's.
  columnstore::DirectMode direct_mode = columnstore::kDirectDefault;
  List* options = NIL;
  foreach (lc, stmt->options) {
    auto* opt = lfirst_node(DefElem, lc);
    if (strcmp(opt->defname, "direct_compress") == 0) {
      if (direct_mode != columnstore::kDirectDefault)
        ereport(ERROR, (errcode(ERRCODE_SYNTAX_ERROR), errmsg("conflicting or redundant options"),
                        parser_errposition(pstate, opt->location)));
      direct_mode = defGetBoolean(opt) ? columnstore::kDirectOn : columnstore::kDirectOff;
      continue;
    }
    options = lappend(options, opt);
  }
  run.cstate = BeginCopyFrom(pstate, rel, where, stmt->filename, stmt->is_program, nullptr, stmt->attlist, options);
  if (run.cstate->opts.freeze)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("COPY FREEZE is not supported on hypertables")));
  ExprState* qual = where != nullptr ? ExecInitQual(castNode(List, where), nullptr) : nullptr;

  run.tcs = MakeTransitionCaptureState(rel->trigdesc, relid, CMD_INSERT);
  run.direct = columnstore::direct_copy_begin(rel, ht, direct_mode, run.tcs != nullptr, run.estate, run.cid);
  // Plain forms of common types converted without their input functions (ingest/copy_input.hpp).
  CopyInput* input = copy_input_begin(run.cstate);
  AfterTriggerBeginQuery();
  ExecBSInsertTriggers(run.estate, run.root);

  ErrorContextCallback errcallback;
  errcallback.callback = CopyFromErrorCallback;
  errcallback.arg = run.cstate;
  errcallback.previous = error_context_stack;
  error_context_stack = &errcallback;

  ExprContext* econtext = GetPerTupleExprContext(run.estate);
  TupleTableSlot* row = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsVirtual);
  MemoryContext query_cxt = CurrentMemoryContext;
  AttrNumber tattno = ht->time_attno;
  CaggTracker* cagg = caggs_tracker_for(ht);
  if (cagg != nullptr) caggs_capture_begin(cagg, rel, true);  // late rows captured (src/caggs)
  run.cagg = cagg;
  FmgrInfo* space_hash = nullptr;
  const AttrNumber sattno = ht->space_attno;
  if (ht->num_partitions > 0) {
    if (sattno == InvalidAttrNumber)
      elog(ERROR, "hash dimension column \"%s\" of hypertable \"%s\" is missing", NameStr(ht->space_column),
           NameStr(ht->table_name));
    space_hash = static_cast<FmgrInfo*>(palloc(sizeof(FmgrInfo)));
    fmgr_info(space_hash_proc(ht->space_type), space_hash);
  }
  for (;;) {
    CHECK_FOR_INTERRUPTS();
    ResetPerTupleExprContext(run.estate);
    MemoryContextSwitchTo(GetPerTupleMemoryContext(run.estate));
    ExecClearTuple(row);
    bool more = input != nullptr ? copy_input_next(input, run.cstate, econtext, row->tts_values, row->tts_isnull)
                                 : NextCopyFrom(run.cstate, econtext, row->tts_values, row->tts_isnull);
    MemoryContextSwitchTo(query_cxt);
    if (!more) break;
    ExecStoreVirtualTuple(row);
    row->tts_tableOid = relid;
    if (qual != nullptr) {
      econtext->ecxt_scantuple = row;
      if (!ExecQual(qual, econtext)) {
        pgstat_progress_update_param(PROGRESS_COPY_TUPLES_EXCLUDED, static_cast<int64>(++run.excluded));
        continue;
      }
    }
    if (row->tts_isnull[tattno - 1])
      ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
                      errmsg("NULL value in column \"%s\" violates not-null constraint", NameStr(ht->time_column)),
                      errhint("Columns used for time partitioning cannot be NULL.")));
    int64 v = time_datum_to_internal(row->tts_values[tattno - 1], ht->time_type);
    if (cagg != nullptr) caggs_track_row(cagg, v, row->tts_values, row->tts_isnull);
    CopyChunk* c;
    if (space_hash == nullptr) {
      c = find_chunk(&run, ht, v);
    } else {
      // (hash functions may allocate, say to detoast: in the per-row context)
      MemoryContextSwitchTo(GetPerTupleMemoryContext(run.estate));
      const int64 h = space_hash_value(space_hash, ht->space_collation, row->tts_values[sattno - 1],
                                       row->tts_isnull[sattno - 1]);
      MemoryContextSwitchTo(query_cxt);
      c = find_chunk_point(&run, ht, v, h);
    }
    if (c->dml != nullptr) columnstore::dml_check_unique(c->dml, row->tts_values, row->tts_isnull);

    if (c->single) {
      if (c->single_slot == nullptr)
        c->single_slot = table_slot_create(c->rri->ri_RelationDesc, &run.estate->es_tupleTable);
      TupleTableSlot* slot = c->single_slot;
      store_row(c, row, slot);
      if (!ExecBRInsertTriggers(run.estate, c->rri, slot)) continue;
      check_row(&run, c, slot);
      table_tuple_insert(c->rri->ri_RelationDesc, slot, run.cid, 0, c->bistate);
      after_insert(&run, c, slot);
      run.processed++;
      pgstat_progress_update_param(PROGRESS_COPY_TUPLES_PROCESSED, static_cast<int64>(run.processed));
      continue;
    }
    if (c->direct != nullptr) {
      if (c->direct_slot == nullptr)
        c->direct_slot = MakeSingleTupleTableSlot(RelationGetDescr(c->rri->ri_RelationDesc), &TTSOpsVirtual);
      TupleTableSlot* slot = c->direct_slot;
      store_row(c, row, slot);
      check_row(&run, c, slot);
      columnstore::direct_copy_add(run.direct, c->direct, slot);
      run.processed++;
      pgstat_progress_update_param(PROGRESS_COPY_TUPLES_PROCESSED, static_cast<int64>(run.processed));
      continue;
    }
    if (c->slots[c->nused] == nullptr) {
      MemoryContext old = MemoryContextSwitchTo(run.estate->es_query_cxt);
      c->slots[c->nused] = table_slot_create(c->rri->ri_RelationDesc, &run.estate->es_tupleTable);
      MemoryContextSwitchTo(old);
    }
    TupleTableSlot* slot = c->slots[c->nused];
    store_row(c, row, slot);
    check_row(&run, c, slot);
    ExecMaterializeSlot(slot);
    c->linenos[c->nused] = run.cstate->cur_lineno;
    c->nused++;
    c->bytes += run.cstate->line_buf.len;
    run.total_buffered++;
    run.processed++;
    pgstat_progress_update_param(PROGRESS_COPY_TUPLES_PROCESSED, static_cast<int64>(run.processed));
    if (c->nused == kMaxBufferedRows || c->bytes >= kMaxBufferedBytes) flush_chunk(&run, c);
    if (run.total_buffered >= kMaxBufferedTotal) flush_all(&run);
  }
  flush_all(&run);
  columnstore::direct_copy_finish(run.direct);
  error_context_stack = errcallback.previous;
  // (before the AFTER ROW triggers, queued until AfterTriggerEndQuery, can read the chunks)
  for (RouteEntry* e = route_cache_begin(&run.routes); e != route_cache_end(&run.routes); ++e) {
    auto* c = static_cast<CopyChunk*>(e->data);
    if (c->defer_indexes) build_deferred_indexes(c);
  }

  ExecASInsertTriggers(run.estate, run.root, run.tcs);
  AfterTriggerEndQuery(run.estate);
  ExecDropSingleTupleTableSlot(row);
  for (RouteEntry* e = route_cache_begin(&run.routes); e != route_cache_end(&run.routes); ++e) {
    auto* c = static_cast<CopyChunk*>(e->data);
    table_finish_bulk_insert(c->rri->ri_RelationDesc, 0);
    FreeBulkInsertState(c->bistate);
    columnstore::dml_close(c->dml);
    if (c->direct_slot != nullptr) ExecDropSingleTupleTableSlot(c->direct_slot);
  }
  EndCopyFrom(run.cstate);
  ExecResetTupleTable(run.estate->es_tupleTable, false);
  ExecCloseResultRelations(run.estate);  // the chunks' indexes; the chunk tables are closed here:
  for (RouteEntry* e = route_cache_begin(&run.routes); e != route_cache_end(&run.routes); ++e)
    table_close(static_cast<CopyChunk*>(e->data)->rri->ri_RelationDesc, NoLock);
  ExecCloseRangeTableRelations(run.estate);
  FreeExecutorState(run.estate);
  table_close(rel, NoLock);
  return run.processed;
}

}  // namespace strata
