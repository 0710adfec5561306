// Direct-to-columnstore COPY (direct.hpp; docs/COLUMNSTORE.md, "Direct-to-columnstore COPY"):
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
#include "access/heapam.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_index.h"
#include "catalog/pg_trigger.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/pg_list.h"
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

struct DirectChunk {
  ChunkInfo chunk;
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
    if (ix->indisunique || ix->indisexclusion)
      why = "The hypertable has a unique index or exclusion constraint, checked on the row path.";
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
    if (ii->ii_Unique || ii->ii_ExclusionOps != nullptr) return true;
  }
  return false;
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

DirectCopy* direct_copy_begin(Relation ht_rel, const Hypertable* ht, DirectMode mode, bool transition_capture,
                              EState* estate, CommandId cid) {
  if (mode == kDirectOff) return nullptr;
  const bool asked =
      mode == kDirectOn || guc_enable_direct_compress_copy || guc_enable_direct_compress_copy_tsdb;
  if (!asked && guc_direct_compress_copy_min_rows <= 0) return nullptr;
  if (ht->compression_state == 0) {
    if (asked)
      ereport(NOTICE, (errmsg("direct compression is not used for COPY into \"%s\"", RelationGetRelationName(ht_rel)),
                       errdetail("The hypertable's columnstore is not enabled."),
                       errhint("Enable it with ALTER TABLE %s SET (timescaledb.compress).",
                               RelationGetRelationName(ht_rel))));
    return nullptr;
  }
  const char* why = hypertable_refusal(ht_rel, transition_capture);
  if (why != nullptr) {
    if (asked)
      ereport(NOTICE, (errmsg("direct compression is not used for COPY into \"%s\"", RelationGetRelationName(ht_rel)),
                       errdetail("%s", why), errhint("The rows are written to the chunks' row parts.")));
    return nullptr;
  }
  auto* dc = (DirectCopy*)palloc0(sizeof(DirectCopy));
  dc->asked = asked;
  dc->min_rows = asked ? 0 : guc_direct_compress_copy_min_rows;
  dc->estate = estate;
  dc->cid = cid;
  dc->cxt = AllocSetContextCreate(CurrentMemoryContext, "direct compression COPY", ALLOCSET_DEFAULT_SIZES);
  return dc;
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
  dc->chunks = lappend(dc->chunks, ch);
  MemoryContextSwitchTo(old);
  return ch;
}

void direct_copy_add(DirectCopy* dc, DirectChunk* ch, TupleTableSlot* slot) {
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
  flush_all(dc, false);
  ListCell* lc;
  foreach (lc, dc->chunks) {
    auto* ch = (DirectChunk*)lfirst(lc);
    const int64 batches = batch_writer_batches(ch->writer);
    if (ch->converted) compressed_chunk_note_batches(ch->chunk.id, ch->rows, batches);
    ereport(DEBUG1, (errmsg("direct compression: %lld rows of chunk \"%s\" in %lld batches", (long long)ch->rows,
                            NameStr(ch->chunk.table_name), (long long)batches)));
    batch_writer_close(ch->writer);
    ch->writer = nullptr;
    table_close(ch->companion, NoLock);
    if (ch->bistate != nullptr) {
      table_finish_bulk_insert(ch->rri->ri_RelationDesc, 0);
      FreeBulkInsertState(ch->bistate);
    }
  }
  MemoryContextDelete(dc->cxt);
}

}  // namespace strata::columnstore
