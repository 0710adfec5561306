// Direct-to-columnstore COPY and INSERT (direct.hpp; docs/COLUMNSTORE.md, "Direct-to-columnstore
// COPY and INSERT"):
// per chunk, the COPY's rows go into a tuplesort by segmentby and orderby; every
// kChunkFlushRows rows (or kTotalFlushRows across chunks) the sort is written as batches, a
// segment's rows cut every kBatchRows rows, and a segment's last rows that do not fill a batch are
// kept for the next round; at the end of the COPY everything is written. C-style glue.
#include "columnstore/direct.hpp"

#include "columnstore/batch_writer.hpp"
#include "columnstore/storage.hpp"
#include "pg/compat.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/genam.h"
#include "access/heapam.h"
#include "access/nbtree.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/tuplesort.h"
}

namespace strata::columnstore {

bool guc_enable_direct_compress_copy = false;
bool guc_enable_direct_compress_copy_tsdb = false;
int guc_direct_compress_copy_min_rows = 1000;

namespace {

// A chunk's buffered rows are sorted and written at kChunkFlushRows rows; when most of them were
// kept (many segments, each with less than a batch), the chunk's limit doubles up to
// kMaxChunkFlushRows, past which everything is written. Every chunk's rows are written when the
// COPY buffers kTotalFlushRows in all. Memory is bounded: a tuplesort spills to disk past
// maintenance_work_mem.
constexpr int64 kChunkFlushRows = 100000;
constexpr int64 kMaxChunkFlushRows = 1600000;
constexpr int64 kTotalFlushRows = 2000000;

}  // namespace

// A unique index of a chunk written as batches: each row's key is checked against the row part
// (an index probe, after dml_check_unique moved the batches holding an equal key there) when it
// is added, and kept in a sort of the COPY's keys, checked for duplicates at the end.
struct UniqueCheck {
  Relation index;
  IndexInfo* info;
  List* arbiter;  // the index's oid alone
  int nkeys;
  bool nulls_not_distinct;
  TupleDesc keydesc;
  TupleTableSlot* keyslot;
  Tuplesortstate* keys;  // the COPY's keys for this chunk, or nullptr
  FmgrInfo* cmp;
  Oid* colls;
};

struct DirectChunk {
  ChunkInfo chunk;
  UniqueCheck* uniq;
  int nuniq;
  ResultRelInfo* rri;
  Relation companion;
  BatchWriter* writer;
  Tuplesortstate* sort;  // buffered rows, or nullptr
  int64 buffered;
  int64 limit;           // rows buffered before they are written
  int64 rows;            // written as batches
  bool automatic;        // written as batches only once min_rows rows are buffered
  bool row_part;         // automatic, too few rows: they (and later ones) go to the row part
  bool converted;        // this COPY made the chunk a compressed one
  BulkInsertState bistate;
};

struct DirectCopy {
  bool asked;
  int min_rows;
  EState* estate;
  CommandId cid;
  MemoryContext cxt;
  List* chunks;  // DirectChunk*
  int64 buffered;
};

namespace {

// Why the hypertable's rows cannot be written as batches, or nullptr.
const char* hypertable_refusal(Relation rel, bool transition_capture) {
  TriggerDesc* td = rel->trigdesc;
  for (int i = 0; td != nullptr && i < td->numtriggers; ++i) {
    const Trigger* t = &td->triggers[i];
    // strata's own (the insert blocker) do not fire for rows routed to chunks.
    if (!TRIGGER_FOR_ROW(t->tgtype) || !TRIGGER_FOR_INSERT(t->tgtype) || strncmp(t->tgname, "_strata_", 8) == 0)
      continue;
    return "The hypertable has row triggers on INSERT (or foreign keys), which fire on the row path.";
  }
  if (transition_capture) return "The hypertable has triggers with transition tables.";
  List* indexes = RelationGetIndexList(rel);
  ListCell* lc;
  const char* why = nullptr;
  foreach (lc, indexes) {
    HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
    if (!HeapTupleIsValid(tup)) continue;
    Form_pg_index ix = (Form_pg_index)GETSTRUCT(tup);
    if (ix->indisexclusion)
      why = "The hypertable has an exclusion constraint, checked on the row path.";
    else if (ix->indisunique && !ix->indimmediate)
      why = "The hypertable has a deferrable unique constraint, checked on the row path.";
    else if (ix->indisunique && (!heap_attisnull(tup, Anum_pg_index_indpred, nullptr) ||
                                 !heap_attisnull(tup, Anum_pg_index_indexprs, nullptr)))
      why = "The hypertable has a unique index with a predicate or expressions, checked on the row path.";
    ReleaseSysCache(tup);
    if (why != nullptr) break;
  }
  list_free(indexes);
  return why;
}

bool chunk_refuses(ResultRelInfo* rri) {
  TriggerDesc* td = rri->ri_TrigDesc;
  if (td != nullptr && (td->trig_insert_before_row || td->trig_insert_after_row || td->trig_insert_instead_row))
    return true;
  for (int i = 0; i < rri->ri_NumIndices; ++i) {
    IndexInfo* ii = rri->ri_IndexRelationInfo[i];
    Relation ix = rri->ri_IndexRelationDescs[i];
    if (ii->ii_ExclusionOps != nullptr) return true;
    if (ii->ii_Unique && (ii->ii_Expressions != NIL || ii->ii_Predicate != NIL || !ix->rd_index->indimmediate ||
                          ix->rd_rel->relam != BTREE_AM_OID || !ii->ii_ReadyForInserts))
      return true;
  }
  return false;
}

// The chunk's unique indexes, for checking the keys of rows written as batches.
void open_unique_checks(DirectChunk* ch) {
  ResultRelInfo* rri = ch->rri;
  int n = 0;
  for (int i = 0; i < rri->ri_NumIndices; ++i) n += rri->ri_IndexRelationInfo[i]->ii_Unique ? 1 : 0;
  if (n == 0) return;
  ch->uniq = (UniqueCheck*)palloc0(sizeof(UniqueCheck) * n);
  for (int i = 0; i < rri->ri_NumIndices; ++i) {
    IndexInfo* ii = rri->ri_IndexRelationInfo[i];
    if (!ii->ii_Unique) continue;
    Relation ix = rri->ri_IndexRelationDescs[i];
    // The probe compares with the index's equality operators (as ON CONFLICT's pre-check).
    if (ii->ii_UniqueOps == nullptr) BuildSpeculativeIndexInfo(ix, ii);
    UniqueCheck* u = &ch->uniq[ch->nuniq++];
    u->index = ix;
    u->info = ii;
    u->arbiter = list_make1_oid(RelationGetRelid(ix));
    u->nkeys = ii->ii_NumIndexKeyAttrs;
    u->nulls_not_distinct = ii->ii_NullsNotDistinct;
    u->keydesc = CreateTemplateTupleDesc(u->nkeys);
    for (int k = 0; k < u->nkeys; ++k)
      TupleDescCopyEntry(u->keydesc, (AttrNumber)(k + 1), RelationGetDescr(ix), (AttrNumber)(k + 1));
    u->keyslot = MakeSingleTupleTableSlot(u->keydesc, &TTSOpsVirtual);
    u->cmp = (FmgrInfo*)palloc0(sizeof(FmgrInfo) * u->nkeys);
    u->colls = (Oid*)palloc0(sizeof(Oid) * u->nkeys);
    for (int k = 0; k < u->nkeys; ++k) {
      Oid proc = get_opfamily_proc(ix->rd_opfamily[k], ix->rd_opcintype[k], ix->rd_opcintype[k], BTORDER_PROC);
      if (!OidIsValid(proc)) elog(ERROR, "missing support function 1 for index \"%s\"", RelationGetRelationName(ix));
      fmgr_info(proc, &u->cmp[k]);
      u->colls[k] = ix->rd_indcollation[k];
    }
  }
}

void raise_duplicate(ResultRelInfo* rri, Relation index, Datum* values, bool* isnull) {
  char* key = BuildIndexValueDescription(index, values, isnull);
  ereport(ERROR, (errcode(ERRCODE_UNIQUE_VIOLATION),
                  errmsg("duplicate key value violates unique constraint \"%s\"", RelationGetRelationName(index)),
                  key != nullptr ? errdetail("Key %s already exists.", key) : 0,
                  errtableconstraint(rri->ri_RelationDesc, RelationGetRelationName(index))));
}

// A row's keys: none may equal a row of the row part (where dml_check_unique moved the batches
// holding an equal key); each is kept for the check among the COPY's own rows.
void check_unique(DirectCopy* dc, DirectChunk* ch, TupleTableSlot* slot) {
  ExprContext* econtext = GetPerTupleExprContext(dc->estate);
  econtext->ecxt_scantuple = slot;
  for (int i = 0; i < ch->nuniq; ++i) {
    UniqueCheck* u = &ch->uniq[i];
    Datum values[INDEX_MAX_KEYS];
    bool isnull[INDEX_MAX_KEYS];
    FormIndexDatum(u->info, slot, dc->estate, values, isnull);
    bool has_null = false;
    for (int k = 0; k < u->nkeys; ++k) has_null |= isnull[k];
    if (has_null && !u->nulls_not_distinct) continue;  // NULLs are distinct: never a conflict
    ItemPointerData conflict;
    if (!ExecCheckIndexConstraints(ch->rri, slot, dc->estate, &conflict, u->arbiter))
      raise_duplicate(ch->rri, u->index, values, isnull);
    MemoryContext old = MemoryContextSwitchTo(dc->cxt);
    if (u->keys == nullptr) {
      AttrNumber attnums[INDEX_MAX_KEYS];
      Oid ops[INDEX_MAX_KEYS];
      bool nulls_first[INDEX_MAX_KEYS];
      for (int k = 0; k < u->nkeys; ++k) {
        attnums[k] = (AttrNumber)(k + 1);
        ops[k] = get_opfamily_member(u->index->rd_opfamily[k], u->index->rd_opcintype[k],
                                     u->index->rd_opcintype[k], BTLessStrategyNumber);
        if (!OidIsValid(ops[k]))
          elog(ERROR, "missing operator < for index \"%s\"", RelationGetRelationName(u->index));
        nulls_first[k] = false;
      }
      u->keys = tuplesort_begin_heap(u->keydesc, u->nkeys, attnums, ops, u->colls, nulls_first, work_mem, nullptr,
                                     TUPLESORT_NONE);
    }
    ExecClearTuple(u->keyslot);
    memcpy(u->keyslot->tts_values, values, sizeof(Datum) * u->nkeys);
    memcpy(u->keyslot->tts_isnull, isnull, sizeof(bool) * u->nkeys);
    ExecStoreVirtualTuple(u->keyslot);
    tuplesort_puttupleslot(u->keys, u->keyslot);
    MemoryContextSwitchTo(old);
  }
}

// The COPY's own keys of the chunk: sorted, equal neighbours are duplicates.
void check_copy_keys(DirectCopy* dc, DirectChunk* ch) {
  for (int i = 0; i < ch->nuniq; ++i) {
    UniqueCheck* u = &ch->uniq[i];
    if (u->keys == nullptr) continue;
    MemoryContext old = MemoryContextSwitchTo(dc->cxt);
    tuplesort_performsort(u->keys);
    TupleTableSlot* prev = MakeSingleTupleTableSlot(u->keydesc, &TTSOpsMinimalTuple);
    TupleTableSlot* cur = MakeSingleTupleTableSlot(u->keydesc, &TTSOpsMinimalTuple);
    bool have_prev = false;
    while (tuplesort_gettupleslot(u->keys, true, true, cur, nullptr)) {
      CHECK_FOR_INTERRUPTS();
      slot_getallattrs(cur);
      if (have_prev) {
        bool equal = true;
        for (int k = 0; k < u->nkeys && equal; ++k) {
          if (prev->tts_isnull[k] || cur->tts_isnull[k])
            equal = prev->tts_isnull[k] && cur->tts_isnull[k];  // NULLS NOT DISTINCT
          else
            equal = DatumGetInt32(FunctionCall2Coll(&u->cmp[k], u->colls[k], prev->tts_values[k],
                                                    cur->tts_values[k])) == 0;
        }
        if (equal) raise_duplicate(ch->rri, u->index, cur->tts_values, cur->tts_isnull);
      }
      ExecCopySlot(prev, cur);
      slot_getallattrs(prev);
      have_prev = true;
    }
    ExecDropSingleTupleTableSlot(prev);
    ExecDropSingleTupleTableSlot(cur);
    tuplesort_end(u->keys);
    u->keys = nullptr;
    MemoryContextSwitchTo(old);
  }
}

void insert_row_part(DirectCopy* dc, DirectChunk* ch, TupleTableSlot* slot) {
  if (ch->bistate == nullptr) {
    chunk_note_rows_in_row_part(&ch->chunk);
    ch->bistate = GetBulkInsertState();
  }
  table_tuple_insert(ch->rri->ri_RelationDesc, slot, dc->cid, 0, ch->bistate);
  if (ch->rri->ri_NumIndices > 0) list_free(compat::insert_index_tuples(ch->rri, slot, dc->estate));
  ResetPerTupleExprContext(dc->estate);
}

// Writes the chunk's buffered rows as batches; with `carry` a segment's last rows that do not
// fill a batch stay buffered.
void flush_chunk(DirectCopy* dc, DirectChunk* ch, bool carry) {
  if (ch->sort == nullptr || ch->buffered == 0) return;
  MemoryContext old = MemoryContextSwitchTo(dc->cxt);
  if (ch->automatic && ch->rows == 0 && ch->buffered < dc->min_rows) {
    // Too few rows for batches: the row part, as without direct compression.
    tuplesort_performsort(ch->sort);
    TupleTableSlot* slot = MakeSingleTupleTableSlot(RelationGetDescr(ch->rri->ri_RelationDesc), &TTSOpsMinimalTuple);
    while (tuplesort_gettupleslot(ch->sort, true, false, slot, nullptr)) {
      insert_row_part(dc, ch, slot);
      CHECK_FOR_INTERRUPTS();
    }
    ExecDropSingleTupleTableSlot(slot);
    tuplesort_end(ch->sort);
    ch->sort = nullptr;
    dc->buffered -= ch->buffered;
    ch->buffered = 0;
    ch->row_part = true;
    MemoryContextSwitchTo(old);
    return;
  }
  Tuplesortstate* next = carry ? batch_writer_begin_sort(ch->writer) : nullptr;
  const int64 written = batch_writer_write(ch->writer, ch->sort, next);
  tuplesort_end(ch->sort);
  ch->sort = next;
  ch->rows += written;
  dc->buffered -= written;
  ch->buffered -= written;
  MemoryContextSwitchTo(old);
}

void flush_all(DirectCopy* dc, bool carry) {
  ListCell* lc;
  foreach (lc, dc->chunks) flush_chunk(dc, (DirectChunk*)lfirst(lc), carry);
}

}  // namespace

namespace {

DirectCopy* direct_begin(Relation ht_rel, const Hypertable* ht, DirectMode mode, bool transition_capture,
                         EState* estate, CommandId cid, const char* statement) {
  if (mode == kDirectOff) return nullptr;
  const bool asked =
      mode == kDirectOn || guc_enable_direct_compress_copy || guc_enable_direct_compress_copy_tsdb;
  if (!asked && guc_direct_compress_copy_min_rows <= 0) return nullptr;
  if (ht->compression_state == 0) {
    if (asked)
      ereport(NOTICE, (errmsg("direct compression is not used for %s into \"%s\"", statement, RelationGetRelationName(ht_rel)),
                       errdetail("The hypertable's columnstore is not enabled."),
                       errhint("Enable it with ALTER TABLE %s SET (timescaledb.compress).",
                               RelationGetRelationName(ht_rel))));
    return nullptr;
  }
  const char* why = hypertable_refusal(ht_rel, transition_capture);
  if (why != nullptr) {
    if (asked)
      ereport(NOTICE, (errmsg("direct compression is not used for %s into \"%s\"", statement, RelationGetRelationName(ht_rel)),
                       errdetail("%s", why), errhint("The rows are written to the chunks' row parts.")));
    return nullptr;
  }
  auto* dc = (DirectCopy*)palloc0(sizeof(DirectCopy));
  dc->asked = asked;
  dc->min_rows = asked ? 0 : guc_direct_compress_copy_min_rows;
  dc->estate = estate;
  dc->cid = cid;
  dc->cxt = AllocSetContextCreate(CurrentMemoryContext, "direct compression", ALLOCSET_DEFAULT_SIZES);
  return dc;
}

}  // namespace

DirectCopy* direct_copy_begin(Relation ht_rel, const Hypertable* ht, DirectMode mode, bool transition_capture,
                              EState* estate, CommandId cid) {
  return direct_begin(ht_rel, ht, mode, transition_capture, estate, cid, "COPY");
}

DirectCopy* direct_insert_begin(Relation ht_rel, const Hypertable* ht, double estimated_rows, bool transition_capture,
                                EState* estate, CommandId cid) {
  const bool asked = guc_enable_direct_compress_copy || guc_enable_direct_compress_copy_tsdb;
  if (asked ? estimated_rows < 2
            : guc_direct_compress_copy_min_rows <= 0 || estimated_rows < guc_direct_compress_copy_min_rows)
    return nullptr;
  return direct_begin(ht_rel, ht, kDirectDefault, transition_capture, estate, cid, "INSERT");
}

DirectChunk* direct_copy_chunk(DirectCopy* dc, const ChunkInfo* chunk, ResultRelInfo* rri) {
  if (dc == nullptr || chunk_refuses(rri) || (chunk->status & kChunkStatusFrozen) != 0) return nullptr;
  MemoryContext old = MemoryContextSwitchTo(dc->cxt);
  ChunkInfo info = *chunk;
  bool converted = false;
  if ((info.status & kChunkStatusCompressed) == 0) {
    if (!dc->asked || !convert_chunk_for_batches(&info)) {
      MemoryContextSwitchTo(old);
      return nullptr;
    }
    converted = (chunk->status & kChunkStatusCompressed) == 0 && (info.status & kChunkStatusCompressed) != 0;
  }
  CompressedChunk cc;
  Oid companion_relid = InvalidOid;
  if (catalog_get_compressed_chunk(info.id, &cc) && cc.format_version == kStorageFormatVersion)
    companion_relid = storage_companion_relid(&cc);
  if (!OidIsValid(companion_relid)) {
    MemoryContextSwitchTo(old);
    return nullptr;
  }
  // Unique keys are checked against the row part and the batches as they are once no other
  // transaction can write the chunk (rows written as batches have no index entries that another
  // writer's check would find): later writers of the chunk wait for this transaction, readers do
  // not. When another transaction writes the chunk now, its rows take the row path (waiting
  // could deadlock with another statement doing the same).
  bool has_unique = false;
  for (int i = 0; i < rri->ri_NumIndices; ++i) has_unique |= rri->ri_IndexRelationInfo[i]->ii_Unique;
  if (has_unique && !ConditionalLockRelationOid(info.relid, ShareRowExclusiveLock)) {
    MemoryContextSwitchTo(old);
    return nullptr;
  }
  Relation companion = table_open(companion_relid, RowExclusiveLock);
  if (!batch_writer_fits(rri->ri_RelationDesc, companion, &cc.settings)) {
    table_close(companion, NoLock);
    MemoryContextSwitchTo(old);
    return nullptr;
  }
  auto* ch = (DirectChunk*)palloc0(sizeof(DirectChunk));
  ch->chunk = info;
  ch->rri = rri;
  ch->companion = companion;
  ch->writer = batch_writer_open(rri->ri_RelationDesc, companion, &cc.settings);
  ch->automatic = !dc->asked;
  ch->limit = kChunkFlushRows;
  ch->converted = converted;
  open_unique_checks(ch);
  dc->chunks = lappend(dc->chunks, ch);
  MemoryContextSwitchTo(old);
  return ch;
}

void direct_copy_add(DirectCopy* dc, DirectChunk* ch, TupleTableSlot* slot) {
  if (ch->nuniq > 0) check_unique(dc, ch, slot);
  if (ch->row_part) {
    insert_row_part(dc, ch, slot);
    return;
  }
  if (ch->sort == nullptr) {
    MemoryContext old = MemoryContextSwitchTo(dc->cxt);
    ch->sort = batch_writer_begin_sort(ch->writer);
    MemoryContextSwitchTo(old);
  }
  tuplesort_puttupleslot(ch->sort, slot);
  ch->buffered++;
  dc->buffered++;
  if (ch->buffered >= ch->limit) {
    flush_chunk(dc, ch, true);
    // Mostly incomplete batches kept (many segments): buffer more, up to a point.
    if (ch->buffered >= ch->limit / 2) {
      if (ch->limit < kMaxChunkFlushRows)
        ch->limit *= 2;
      else
        flush_chunk(dc, ch, false);
    }
  }
  if (dc->buffered >= kTotalFlushRows) {
    flush_all(dc, true);
    if (dc->buffered >= kTotalFlushRows / 2) flush_all(dc, false);
  }
}

void direct_copy_finish(DirectCopy* dc) {
  if (dc == nullptr) return;
  ListCell* lc;
  foreach (lc, dc->chunks) check_copy_keys(dc, (DirectChunk*)lfirst(lc));
  flush_all(dc, false);
  foreach (lc, dc->chunks) {
    auto* ch = (DirectChunk*)lfirst(lc);
    const int64 batches = batch_writer_batches(ch->writer);
    if (ch->converted) compressed_chunk_note_batches(ch->chunk.id, ch->rows, batches);
    ereport(DEBUG1, (errmsg("direct compression: %lld rows of chunk \"%s\" in %lld batches", (long long)ch->rows,
                            NameStr(ch->chunk.table_name), (long long)batches)));
    batch_writer_close(ch->writer);
    ch->writer = nullptr;
    for (int i = 0; i < ch->nuniq; ++i) ExecDropSingleTupleTableSlot(ch->uniq[i].keyslot);
    table_close(ch->companion, NoLock);
    if (ch->bistate != nullptr) {
      table_finish_bulk_insert(ch->rri->ri_RelationDesc, 0);
      FreeBulkInsertState(ch->bistate);
    }
  }
  MemoryContextDelete(dc->cxt);
}

}  // namespace strata::columnstore
