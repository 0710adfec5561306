// Direct-to-columnstore COPY and INSERT (direct.hpp; docs/COLUMNSTORE.md, "Direct-to-columnstore
// COPY and INSERT"):
// per chunk, the rows are kept per segment (segmentby values) in columns of Datums (values of
// types passed by reference copied into the segment's byte buffer); when a segment holds
// kBatchRows rows they are put in orderby order and written as one batch, and its buffers are
// reused. At the end of the statement (or when the buffers would pass maintenance_work_mem) every
// segment's rows are written. C-style glue.
#include "columnstore/direct.hpp"

#include "columnstore/batch_writer.hpp"
#include "columnstore/columnstore.hpp"
#include "columnstore/storage.hpp"
#include "pg/compat.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/detoast.h"
#include "access/genam.h"
#include "access/heapam.h"
#include "access/nbtree.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "catalog/pg_trigger.h"
#include "common/hashfn.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "parser/parse_relation.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/snapmgr.h"
#include "utils/sortsupport.h"
#include "utils/syscache.h"
#include "utils/tuplesort.h"
#include "utils/typcache.h"
}

namespace strata::columnstore {

bool guc_enable_direct_compress_copy = false;
bool guc_enable_direct_compress_copy_tsdb = false;
int guc_direct_compress_copy_min_rows = 1000;

namespace {

// Initial row capacity of a segment's buffer (doubled up to kBatchRows as rows come).
constexpr int kFirstRows = 64;
// A chunk that got no row while this many rows (or its own buffered rows, if more) went to other
// chunks is taken as done with (rows that come in time order leave a chunk for good): its
// segments' last rows are written as batches while the COPY reads on, not after the input.
constexpr int64 kIdleRows = 32 * (int64)kBatchRows;
// Paced writing looks at the chunk's queue every kPaceRows rows (a power of two) and at the
// other chunks every kOtherRows rows.
constexpr int kPaceRows = 32;
constexpr int kOtherRows = 128;
// At the end of the input, a chunk with at least this many rows left writes them through two
// writers (write_chunk).
constexpr int64 kSplitRows = 4 * (int64)kBatchRows;

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

// One segment's buffered rows: row r's value of attribute a at [r * natts + a - 1]; a value of a
// type passed by reference is stored as its offset into `bytes` (which may move as it grows).
struct Segment {
  Datum* key;      // the segmentby values (copies), in the order of DirectChunk::segatt
  bool* keynull;
  uint32 hash;
  Datum* values;
  bool* nulls;
  int n, cap;
  char* bytes;
  Size nbytes, capbytes;
  int32 seq;       // batches of the segment written so far
  bool queued;     // in its chunk's queue of segments holding a whole batch
  Segment* next;   // the segment of the row that came after this segment's latest row
};

struct DirectChunk {
  ChunkInfo chunk;
  UniqueCheck* uniq;
  int nuniq;
  ResultRelInfo* rri;
  Relation companion;
  BatchWriter* writer;
  BatchWriter* writer2;  // direct_copy_finish: a second writer for the rows left (write_chunk)
  CompressionSettings settings;
  MemoryContext cxt;     // the segments and their buffers
  int natts;
  bool* byval;           // per attribute
  int16* typlen;
  bool* is_seg;          // a segmentby column (not stored per row)
  int nref;
  int* refatt;           // attributes (0-based) stored per row by reference: into a segment's `bytes`
  int nseg;
  AttrNumber* segatt;
  int nord;
  AttrNumber* ordatt;
  SortSupportData* ord;  // orderby comparators, as compress_chunk sorts
  // One orderby column of a type passed by value and compared as a signed integer (int8,
  // timestamp[tz]: ssup_datum_signed_cmp): compared inline, direction and NULLS placement from ord[0].
  bool ord_signed;
  Segment** table;       // open addressing by hash, size a power of two
  int tsize;
  Segment** segs;        // in creation order
  int nsegs, capsegs;
  Segment* last;         // the segment of the previous row
  bool last_missed;      // the previous row was not of its predecessor's segment (rows come round-robin)
  // Segments holding at least a whole batch, oldest first: one batch is written whenever the
  // chunk's encoding worker has finished the one before (looked at every kPaceRows rows; one per
  // kBatchRows / 2 rows, the worker busy or not, once the buffers hold half of their limit; a
  // segment that reaches 2 * kBatchRows rows at once), so that batches are handed to the worker
  // as fast as it encodes them rather than all segments' at the same row (rows that come
  // round-robin over the segments fill them together), each encoded while the next rows are read,
  // and the backend does not encode a batch itself because the worker had not got to it yet.
  Segment** queue;       // a ring of capsegs entries
  int qhead, qlen;
  int64 last_seen;       // DirectCopy::seen at the chunk's latest row
  int flush_next;        // an idle chunk: the next segment whose last rows are written
  TupleTableSlot* wslot; // a buffered row, for the writer
  int64 buffered;
  int64 rows;            // written as batches
  int64 rows_read;       // written as batches while the input was read
  bool automatic;        // written as batches only once min_rows rows are buffered
  bool decided;          // automatic: enough rows came, batches are written
  bool row_part;         // automatic, too few rows: they (and later ones) go to the row part
  bool converted;        // this COPY made the chunk a compressed one
  // Converted with an empty row part: no other writer adds rows to it before this transaction
  // ends (the unique check's lock), nor does this statement, so a key is not probed there.
  bool row_part_empty;
  BulkInsertState bistate;
};

struct DirectCopy {
  bool asked;
  int min_rows;
  EState* estate;
  CommandId cid;
  MemoryContext cxt;
  List* chunks;  // DirectChunk*
  Size held;     // bytes of the segments' buffers
  Size limit;    // past which every chunk's rows are written
  // Paced writing (DirectChunk::queue) over all chunks: a batch of the chunk the rows go to, else
  // (every kOtherRows rows) of another chunk: its queued batches, or the last rows of an idle one.
  int64 seen;         // rows buffered so far
  int64 since_write;  // rows buffered since the last paced batch
  int since_check;    // pacing checks since other chunks were looked at
  bool finishing;     // the input is read (direct_copy_finish)
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
    if (!ch->row_part_empty && !ExecCheckIndexConstraints(ch->rri, slot, dc->estate, &conflict, u->arbiter))
      raise_duplicate(ch->rri, u->index, values, isnull);
    MemoryContext old = MemoryContextSwitchTo(dc->cxt);
    if (u->keys == nullptr) {
      // Any order of the key columns puts equal keys side by side: those of types passed by value
      // first (a timestamp is the sort's first datum, compared inline; many rows share the
      // leading text columns' first bytes), then the others, each in the index's order.
      AttrNumber attnums[INDEX_MAX_KEYS];
      Oid ops[INDEX_MAX_KEYS];
      Oid colls[INDEX_MAX_KEYS];
      bool nulls_first[INDEX_MAX_KEYS];
      int n = 0;
      for (int pass = 0; pass < 2; ++pass)
        for (int k = 0; k < u->nkeys; ++k) {
          if (TupleDescAttr(u->keydesc, k)->attbyval != (pass == 0)) continue;
          attnums[n] = (AttrNumber)(k + 1);
          ops[n] = get_opfamily_member(u->index->rd_opfamily[k], u->index->rd_opcintype[k],
                                       u->index->rd_opcintype[k], BTLessStrategyNumber);
          if (!OidIsValid(ops[n]))
            elog(ERROR, "missing operator < for index \"%s\"", RelationGetRelationName(u->index));
          colls[n] = u->colls[k];
          nulls_first[n] = false;
          n++;
        }
      u->keys = tuplesort_begin_heap(u->keydesc, u->nkeys, attnums, ops, colls, nulls_first, work_mem, nullptr,
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

// Whether the chunk's row part holds a row, committed or written by a transaction in progress
// (this one included), with the index key values in `keys` (as check_exclusion_or_unique_constraint
// looks with a dirty snapshot).
bool row_part_has_key(DirectChunk* ch, UniqueCheck* u, TupleTableSlot* keys) {
  ScanKeyData sk[INDEX_MAX_KEYS];
  for (int k = 0; k < u->nkeys; ++k) {
    if (keys->tts_isnull[k])
      ScanKeyEntryInitialize(&sk[k], SK_ISNULL | SK_SEARCHNULL, (AttrNumber)(k + 1), InvalidStrategy, InvalidOid,
                             InvalidOid, InvalidOid, (Datum)0);
    else
      ScanKeyEntryInitialize(&sk[k], 0, (AttrNumber)(k + 1), u->info->ii_UniqueStrats[k],
                             u->index->rd_opcintype[k], u->colls[k], u->info->ii_UniqueProcs[k],
                             keys->tts_values[k]);
  }
  SnapshotData dirty;
  InitDirtySnapshot(dirty);
  Relation heap = ch->rri->ri_RelationDesc;
  IndexScanDesc scan = index_beginscan(heap, u->index, &dirty, u->nkeys, 0);
  index_rescan(scan, sk, u->nkeys, nullptr, 0);
  TupleTableSlot* slot = table_slot_create(heap, nullptr);
  const bool found = index_getnext_slot(scan, ForwardScanDirection, slot);
  index_endscan(scan);
  ExecDropSingleTupleTableSlot(slot);
  return found;
}

// The COPY's own keys of the chunk: sorted, equal neighbours are duplicates. When check_unique
// skipped the row part (empty when this COPY converted the chunk) and rows reached it since without
// this COPY putting them there (a function its WHERE, defaults or checks call that inserts into the
// hypertable), every key is looked up there once.
void check_copy_keys(DirectCopy* dc, DirectChunk* ch) {
  const bool probe = ch->nuniq > 0 && ch->row_part_empty && !ch->row_part &&
                     RelationGetNumberOfBlocks(ch->rri->ri_RelationDesc) > 0;
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
      if (probe && row_part_has_key(ch, u, cur)) raise_duplicate(ch->rri, u->index, cur->tts_values, cur->tts_isnull);
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

// Row r of `seg` as the chunk's row in ch->wslot.
TupleTableSlot* segment_row(DirectChunk* ch, Segment* seg, int r) {
  TupleTableSlot* slot = ch->wslot;
  ExecClearTuple(slot);
  const Datum* v = &seg->values[(Size)r * ch->natts];
  const bool* nl = &seg->nulls[(Size)r * ch->natts];
  memcpy(slot->tts_values, v, sizeof(Datum) * ch->natts);
  memcpy(slot->tts_isnull, nl, sizeof(bool) * ch->natts);
  for (int i = 0; i < ch->nref; ++i) {
    const int a = ch->refatt[i];
    if (!nl[a]) slot->tts_values[a] = PointerGetDatum(seg->bytes + v[a]);
  }
  for (int k = 0; k < ch->nseg; ++k) {
    slot->tts_values[ch->segatt[k] - 1] = seg->key[k];
    slot->tts_isnull[ch->segatt[k] - 1] = seg->keynull[k];
  }
  ExecStoreVirtualTuple(slot);
  slot->tts_tableOid = RelationGetRelid(ch->rri->ri_RelationDesc);
  return slot;
}

Datum segment_value(DirectChunk* ch, Segment* seg, int r, AttrNumber att, bool* isnull) {
  if (ch->is_seg[att - 1]) {
    for (int k = 0; k < ch->nseg; ++k)
      if (ch->segatt[k] == att) return *isnull = seg->keynull[k], seg->key[k];
  }
  const Size i = (Size)r * ch->natts + att - 1;
  *isnull = seg->nulls[i];
  if (seg->nulls[i] || ch->byval[att - 1]) return seg->values[i];
  return PointerGetDatum(seg->bytes + seg->values[i]);
}

struct OrderArg {
  DirectChunk* ch;
  Segment* seg;
};

// compare_rows for DirectChunk::ord_signed: PostgreSQL's inline comparison of signed integers.
inline int compare_signed(DirectChunk* ch, const Segment* seg, int a, int b) {
  const Size i = (Size)a * ch->natts + ch->ordatt[0] - 1, j = (Size)b * ch->natts + ch->ordatt[0] - 1;
  return ApplySignedSortComparator(seg->values[i], seg->nulls[i], seg->values[j], seg->nulls[j], &ch->ord[0]);
}

int compare_rows(DirectChunk* ch, Segment* seg, int a, int b) {
  if (ch->ord_signed) return compare_signed(ch, seg, a, b);
  for (int k = 0; k < ch->nord; ++k) {
    bool na, nb;
    const Datum va = segment_value(ch, seg, a, ch->ordatt[k], &na);
    const Datum vb = segment_value(ch, seg, b, ch->ordatt[k], &nb);
    const int c = ApplySortComparator(va, na, vb, nb, &ch->ord[k]);
    if (c != 0) return c;
  }
  return 0;
}

int compare_order(const void* a, const void* b, void* arg) {
  const OrderArg* o = (const OrderArg*)arg;
  const int ra = *(const int*)a, rb = *(const int*)b;
  const int c = compare_rows(o->ch, o->seg, ra, rb);
  return c != 0 ? c : (ra < rb ? -1 : ra > rb ? 1 : 0);
}

// The segment's first n rows in orderby order (rows that came in that order or in its reverse
// need no sort).
int* segment_order(DirectChunk* ch, Segment* seg, int n) {
  int* order = (int*)palloc(sizeof(int) * (n + 1));
  bool ascending = true, descending = true;
  for (int i = 1; i < n && (ascending || descending); ++i) {
    const int c = compare_rows(ch, seg, i - 1, i);
    ascending &= c <= 0;
    descending &= c >= 0;
  }
  if (ascending || !descending) {
    for (int i = 0; i < n; ++i) order[i] = i;
    if (!ascending) {
      OrderArg arg{ch, seg};
      qsort_arg(order, n, sizeof(int), compare_order, &arg);
    }
  } else {
    for (int i = 0; i < n; ++i) order[i] = n - 1 - i;
  }
  return order;
}

Size row_bytes(const DirectChunk* ch) { return (Size)ch->natts * (sizeof(Datum) + sizeof(bool)); }

// Frees the segment's buffers.
void segment_release(DirectCopy* dc, DirectChunk* ch, Segment* seg) {
  if (seg->values != nullptr) {
    dc->held -= (Size)seg->cap * row_bytes(ch) + seg->capbytes;
    pfree(seg->values);
    pfree(seg->nulls);
    if (seg->bytes != nullptr) pfree(seg->bytes);
  }
  seg->values = nullptr;
  seg->nulls = nullptr;
  seg->bytes = nullptr;
  seg->n = seg->cap = 0;
  seg->nbytes = seg->capbytes = 0;
}

// Rows order[0 .. n) of the segment (n <= kBatchRows) as one batch: handed to the writer column
// by column from the segment's buffers (row by row when its values by reference could pass the
// batch's byte limit, where the writer would cut the batch early).
void write_batch(DirectChunk* ch, Segment* seg, const int* order, int n) {
  batch_writer_begin_segment(ch->writer, segment_row(ch, seg, order[0]), seg->seq);
  if (seg->nbytes <= kBatchMaxVarlenBytes) {
    const BatchRows rows{seg->values, seg->nulls, ch->natts, seg->bytes, seg->nbytes, order, n};
    batch_writer_add_rows(ch->writer, &rows);
  } else {
    for (int j = 0; j < n; ++j) batch_writer_add_row(ch->writer, segment_row(ch, seg, order[j]));
  }
  seg->seq = batch_writer_end_segment(ch->writer);
}

// Writes the segment's rows as batches in orderby order: with `all` every row, else whole
// batches only (the rows left over stay buffered, in order).
void write_segment(DirectCopy* dc, DirectChunk* ch, Segment* seg, bool all) {
  if (seg->n == 0) return;
  const int nwrite = all ? seg->n : seg->n / kBatchRows * kBatchRows;
  if (nwrite == 0) return;
  MemoryContext old = MemoryContextSwitchTo(ch->cxt);
  int* order = segment_order(ch, seg, seg->n);
  for (int i = 0; i < nwrite; i += kBatchRows) {
    const int end = Min(nwrite, i + kBatchRows);
    write_batch(ch, seg, order + i, end - i);
    CHECK_FOR_INTERRUPTS();
  }
  ExecClearTuple(ch->wslot);
  ch->rows += nwrite;
  ch->buffered -= nwrite;
  if (nwrite == seg->n) {
    seg->n = 0;
    seg->nbytes = 0;
  } else {
    // The rest, in order, to the front (their values by reference into a fresh buffer).
    const int rest = seg->n - nwrite;
    const int natts = ch->natts;
    Datum* values = (Datum*)palloc(sizeof(Datum) * (Size)seg->cap * natts);
    bool* nulls = (bool*)palloc(sizeof(bool) * (Size)seg->cap * natts);
    char* bytes = seg->capbytes > 0 ? (char*)palloc(seg->capbytes) : nullptr;
    Size nbytes = 0;
    for (int i = 0; i < rest; ++i) {
      const int r = order[nwrite + i];
      for (int a = 0; a < natts; ++a) {
        const Size from = (Size)r * natts + a, to = (Size)i * natts + a;
        nulls[to] = seg->nulls[from];
        values[to] = seg->values[from];
        if (seg->nulls[from] || ch->byval[a] || ch->is_seg[a]) continue;
        const char* p = seg->bytes + seg->values[from];
        const Size len = ch->typlen[a] == -1 ? VARSIZE_ANY(p) : ch->typlen[a] == -2 ? strlen(p) + 1 : ch->typlen[a];
        memcpy(bytes + nbytes, p, len);
        values[to] = (Datum)nbytes;
        nbytes += MAXALIGN(len);
      }
    }
    pfree(seg->values);
    pfree(seg->nulls);
    if (seg->bytes != nullptr) pfree(seg->bytes);
    seg->values = values;
    seg->nulls = nulls;
    seg->bytes = bytes;
    seg->nbytes = nbytes;
    seg->n = rest;
  }
  pfree(order);
  MemoryContextSwitchTo(old);
}

// Writes the segment's first kBatchRows rows (in the order they came: for rows that come in time
// order, the batch holds the oldest ones and the batches of a segment do not overlap) as one
// batch, and moves the rest to the front of its buffers.
void write_first_batch(DirectChunk* ch, Segment* seg) {
  Assert(seg->n >= kBatchRows);
  MemoryContext old = MemoryContextSwitchTo(ch->cxt);
  int* order = segment_order(ch, seg, kBatchRows);
  write_batch(ch, seg, order, kBatchRows);
  ExecClearTuple(ch->wslot);
  pfree(order);
  MemoryContextSwitchTo(old);
  ch->rows += kBatchRows;
  ch->buffered -= kBatchRows;
  const int natts = ch->natts;
  const int rest = seg->n - kBatchRows;
  const Size first = (Size)kBatchRows * natts;
  // The rest's values by reference were appended after the written rows' ones: the first of them
  // starts the bytes that stay.
  Size from = seg->nbytes;
  for (int r = kBatchRows; r < seg->n && from == seg->nbytes; ++r)
    for (int i = 0; i < ch->nref; ++i) {
      const Size at = (Size)r * natts + ch->refatt[i];
      if (!seg->nulls[at]) {
        from = (Size)seg->values[at];
        break;
      }
    }
  memmove(seg->values, seg->values + first, sizeof(Datum) * (Size)rest * natts);
  memmove(seg->nulls, seg->nulls + first, sizeof(bool) * (Size)rest * natts);
  if (from > 0 && from < seg->nbytes) {
    memmove(seg->bytes, seg->bytes + from, seg->nbytes - from);
    for (int r = 0; r < rest; ++r)
      for (int i = 0; i < ch->nref; ++i) {
        const Size at = (Size)r * natts + ch->refatt[i];
        if (!seg->nulls[at]) seg->values[at] -= from;
      }
  }
  seg->nbytes -= from;
  seg->n = rest;
  CHECK_FOR_INTERRUPTS();
}

// Paced writing (DirectChunk::queue): the segment has a whole batch now.
void queue_segment(DirectChunk* ch, Segment* seg) {
  if (seg->queued) return;
  seg->queued = true;
  ch->queue[(ch->qhead + ch->qlen++) % ch->capsegs] = seg;
}

// Writes one batch of the oldest queued segment.
void write_queued(DirectChunk* ch) {
  if (ch->qlen == 0) return;
  Segment* seg = ch->queue[ch->qhead];
  ch->qhead = (ch->qhead + 1) % ch->capsegs;
  ch->qlen--;
  seg->queued = false;
  write_first_batch(ch, seg);
  if (seg->n >= kBatchRows) queue_segment(ch, seg);
}

void clear_queue(DirectChunk* ch) {
  for (int i = 0; i < ch->qlen; ++i) ch->queue[(ch->qhead + i) % ch->capsegs]->queued = false;
  ch->qhead = ch->qlen = 0;
}

// Paced writing of the chunks the rows do not go to: one batch of another chunk whose worker is
// free, its oldest queued one, or the last rows of one segment of a chunk that no longer gets
// rows (as write_chunk writes them at the end; a row that comes for it later starts a new batch).
// Whether a batch was written.
bool write_other(DirectCopy* dc, DirectChunk* cur) {
  ListCell* lc;
  foreach (lc, dc->chunks) {
    auto* ch = (DirectChunk*)lfirst(lc);
    if (ch == cur || ch->buffered == 0 || ch->row_part || (ch->automatic && !ch->decided) ||
        batch_writer_busy(ch->writer))
      continue;
    if (ch->qlen > 0) {
      write_queued(ch);
      return true;
    }
    if (dc->seen - ch->last_seen < Max(kIdleRows, ch->buffered)) continue;
    // Idle, and no segment holds a whole batch (it would be queued).
    for (; ch->flush_next < ch->nsegs; ch->flush_next++) {
      Segment* seg = ch->segs[ch->flush_next];
      if (seg->n == 0) continue;
      write_segment(dc, ch, seg, true);
      segment_release(dc, ch, seg);
      ch->flush_next++;
      return true;
    }
    ch->flush_next = 0;  // (not reached: buffered rows are in some segment)
  }
  return false;
}

// Writes the chunk's buffered rows (`all`: every row, else whole batches); an automatic chunk
// with fewer than min_rows rows sends them to its row part instead.
void write_chunk(DirectCopy* dc, DirectChunk* ch, bool all) {
  if (ch->buffered == 0) return;
  if (ch->automatic && !ch->decided) {
    if (ch->buffered >= dc->min_rows) {
      ch->decided = true;
    } else if (all) {
      // Too few rows for batches: the row part, as without direct compression.
      for (int i = 0; i < ch->nsegs; ++i) {
        Segment* seg = ch->segs[i];
        for (int r = 0; r < seg->n; ++r) {
          insert_row_part(dc, ch, segment_row(ch, seg, r));
          CHECK_FOR_INTERRUPTS();
        }
        segment_release(dc, ch, seg);
      }
      ExecClearTuple(ch->wslot);
      ch->buffered = 0;
      ch->row_part = true;
      return;
    } else {
      return;
    }
  }
  // The rows left when the input is read are written through two writers in turn, a segment at a
  // time (its batches' _strata_seq continue whichever writer writes them), so that their batches
  // are encoded by two workers side by side while the backend fills the next, not one batch at a
  // time.
  BatchWriter* writers[2] = {ch->writer, nullptr};
  if (all && dc->finishing && guc_compression_encode_thread && ch->buffered >= kSplitRows) {
    if (ch->writer2 == nullptr) {
      MemoryContext old = MemoryContextSwitchTo(dc->cxt);
      ch->writer2 = batch_writer_open(ch->rri->ri_RelationDesc, ch->companion, &ch->settings);
      MemoryContextSwitchTo(old);
    }
    writers[1] = ch->writer2;
  }
  int w = 0;
  // The queued whole batches first, in the order they came (as if written when they filled).
  while (ch->qlen > 0) {
    ch->writer = writers[w];
    if (writers[1] != nullptr) w ^= 1;
    write_queued(ch);
  }
  clear_queue(ch);
  for (int i = 0; i < ch->nsegs; ++i) {
    if (ch->segs[i]->n == 0) continue;
    ch->writer = writers[w];
    if (writers[1] != nullptr) w ^= 1;
    write_segment(dc, ch, ch->segs[i], all);
    if (all) segment_release(dc, ch, ch->segs[i]);
  }
  ch->writer = writers[0];
}

void write_all(DirectCopy* dc) {
  ListCell* lc;
  foreach (lc, dc->chunks) write_chunk(dc, (DirectChunk*)lfirst(lc), true);
}

// A varlena stored inline and uncompressed (its bytes are its value's image).
inline bool plain_varlena(const char* p) { return !VARATT_IS_EXTERNAL(p) && !VARATT_IS_COMPRESSED(p); }

// The hash of a segmentby value's image (equal images, equal hashes; only compared within a COPY).
uint32 value_hash(Datum v, bool byval, int16 typlen) {
  if (typlen == -1 && plain_varlena(DatumGetPointer(v))) {
    const char* p = DatumGetPointer(v);
    return hash_bytes((const unsigned char*)VARDATA_ANY(p), (int)VARSIZE_ANY_EXHDR(p));
  }
  if (typlen == -1) {
    struct varlena* d = pg_detoast_datum_packed((struct varlena*)DatumGetPointer(v));
    const uint32 h = hash_bytes((const unsigned char*)VARDATA_ANY(d), (int)VARSIZE_ANY_EXHDR(d));
    if ((Pointer)d != DatumGetPointer(v)) pfree(d);
    return h;
  }
  return datum_image_hash(v, byval, typlen);
}

uint32 segment_hash(DirectChunk* ch, const Datum* values, const bool* isnull) {
  uint32 h = 0;
  for (int k = 0; k < ch->nseg; ++k) {
    const int a = ch->segatt[k] - 1;
    const uint32 v = isnull[a] ? 0x9e3779b9u : value_hash(values[a], ch->byval[a], ch->typlen[a]);
    h = (h ^ v) * 0x01000193u + (uint32)k;
  }
  return h;
}

// Whether the row's segmentby values are the segment's (their exact bytes, as compress_chunk
// tells segments apart).
bool segment_matches(DirectChunk* ch, Segment* seg, const Datum* values, const bool* isnull) {
  for (int k = 0; k < ch->nseg; ++k) {
    const int a = ch->segatt[k] - 1;
    if (isnull[a] != seg->keynull[k]) return false;
    if (!isnull[a] && !storage_segment_value_eq(values[a], seg->key[k], ch->byval[a], ch->typlen[a])) return false;
  }
  return true;
}

void table_put(DirectChunk* ch, Segment* seg) {
  int i = (int)(seg->hash & (uint32)(ch->tsize - 1));
  while (ch->table[i] != nullptr) i = (i + 1) & (ch->tsize - 1);
  ch->table[i] = seg;
}

// The row's segment, created when new.
Segment* find_segment(DirectChunk* ch, const Datum* values, const bool* isnull) {
  // The previous row's segment is tried first unless it was not the one before it (rows that
  // come round-robin over the segments would compare with a wrong segment every time), then the
  // segment that followed it before, then the hash table.
  Segment* prev = ch->last;
  if (prev != nullptr && !ch->last_missed && segment_matches(ch, prev, values, isnull)) return prev;
  if (prev != nullptr && prev->next != nullptr && prev->next != prev &&
      segment_matches(ch, prev->next, values, isnull)) {
    ch->last_missed = true;
    return ch->last = prev->next;
  }
  const uint32 h = segment_hash(ch, values, isnull);
  int i = (int)(h & (uint32)(ch->tsize - 1));
  for (; ch->table[i] != nullptr; i = (i + 1) & (ch->tsize - 1)) {
    Segment* seg = ch->table[i];
    if (seg->hash == h && segment_matches(ch, seg, values, isnull)) {
      ch->last_missed = seg != prev;
      if (prev != nullptr) prev->next = seg;
      return ch->last = seg;
    }
  }
  ch->last_missed = true;
  MemoryContext old = MemoryContextSwitchTo(ch->cxt);
  Segment* seg = (Segment*)palloc0(sizeof(Segment));
  seg->hash = h;
  seg->key = (Datum*)palloc0(sizeof(Datum) * (ch->nseg + 1));
  seg->keynull = (bool*)palloc0(sizeof(bool) * (ch->nseg + 1));
  for (int k = 0; k < ch->nseg; ++k) {
    const int a = ch->segatt[k] - 1;
    seg->keynull[k] = isnull[a];
    if (!isnull[a]) {
      Datum v = values[a];
      if (ch->typlen[a] == -1 && VARATT_IS_EXTERNAL(DatumGetPointer(v)))
        v = PointerGetDatum(detoast_external_attr((struct varlena*)DatumGetPointer(v)));
      seg->key[k] = datumCopy(v, ch->byval[a], ch->typlen[a]);
    }
  }
  if (ch->nsegs == ch->capsegs) {
    const int cap = ch->capsegs == 0 ? 64 : ch->capsegs * 2;
    ch->segs = ch->segs == nullptr ? (Segment**)palloc(sizeof(Segment*) * cap)
                                   : (Segment**)repalloc(ch->segs, sizeof(Segment*) * cap);
    // The queue's ring, unrolled into the larger one.
    Segment** queue = (Segment**)palloc(sizeof(Segment*) * cap);
    for (int j = 0; j < ch->qlen; ++j) queue[j] = ch->queue[(ch->qhead + j) % ch->capsegs];
    if (ch->queue != nullptr) pfree(ch->queue);
    ch->queue = queue;
    ch->qhead = 0;
    ch->capsegs = cap;
  }
  ch->segs[ch->nsegs++] = seg;
  if (prev != nullptr) prev->next = seg;
  if (ch->nsegs * 2 > ch->tsize) {
    const int size = ch->tsize * 2;
    pfree(ch->table);
    ch->tsize = size;
    ch->table = (Segment**)palloc0(sizeof(Segment*) * size);
    for (int j = 0; j < ch->nsegs; ++j) table_put(ch, ch->segs[j]);
  } else {
    ch->table[i] = seg;
  }
  MemoryContextSwitchTo(old);
  return ch->last = seg;
}

// Appends the row (all attributes of `slot`'s layout deformed) to its segment.
void buffer_row(DirectCopy* dc, DirectChunk* ch, TupleTableSlot* slot) {
  slot_getallattrs(slot);
  const Datum* values = slot->tts_values;
  const bool* isnull = slot->tts_isnull;
  Segment* seg = find_segment(ch, values, isnull);
  const int natts = ch->natts;
  if (seg->n == seg->cap) {
    const int cap = seg->cap == 0 ? kFirstRows : seg->cap * 2;
    MemoryContext old = MemoryContextSwitchTo(ch->cxt);
    if (seg->values == nullptr) {
      seg->values = (Datum*)palloc(sizeof(Datum) * (Size)cap * natts);
      seg->nulls = (bool*)palloc(sizeof(bool) * (Size)cap * natts);
    } else {
      seg->values = (Datum*)repalloc(seg->values, sizeof(Datum) * (Size)cap * natts);
      seg->nulls = (bool*)repalloc(seg->nulls, sizeof(bool) * (Size)cap * natts);
    }
    MemoryContextSwitchTo(old);
    dc->held += (Size)(cap - seg->cap) * row_bytes(ch);
    seg->cap = cap;
  }
  Datum* v = &seg->values[(Size)seg->n * natts];
  bool* nl = &seg->nulls[(Size)seg->n * natts];
  memcpy(nl, isnull, sizeof(bool) * natts);
  memcpy(v, values, sizeof(Datum) * natts);
  for (int i = 0; i < ch->nref; ++i) {
    const int a = ch->refatt[i];
    if (isnull[a]) continue;
    const char* p = DatumGetPointer(values[a]);
    if (ch->typlen[a] == -1 && VARATT_IS_EXTERNAL(p)) p = (const char*)detoast_external_attr((struct varlena*)p);
    const Size len = ch->typlen[a] == -1 ? VARSIZE_ANY(p) : ch->typlen[a] == -2 ? strlen(p) + 1 : (Size)ch->typlen[a];
    if (seg->nbytes + MAXALIGN(len) > seg->capbytes) {
      Size cap = seg->capbytes == 0 ? 4096 : seg->capbytes * 2;
      while (cap < seg->nbytes + MAXALIGN(len)) cap *= 2;
      MemoryContext old = MemoryContextSwitchTo(ch->cxt);
      seg->bytes = seg->bytes == nullptr ? (char*)MemoryContextAllocHuge(ch->cxt, cap)
                                         : (char*)repalloc_huge(seg->bytes, cap);
      MemoryContextSwitchTo(old);
      dc->held += cap - seg->capbytes;
      seg->capbytes = cap;
    }
    memcpy(seg->bytes + seg->nbytes, p, len);
    v[a] = (Datum)seg->nbytes;
    seg->nbytes += MAXALIGN(len);
  }
  seg->n++;
  ch->buffered++;
  ch->last_seen = ++dc->seen;
  ch->flush_next = 0;
  if (ch->automatic && !ch->decided) {
    if (seg->n >= kBatchRows && ch->buffered >= dc->min_rows) {
      ch->decided = true;
      write_chunk(dc, ch, false);
    }
  } else {
    if (seg->n >= kBatchRows) queue_segment(ch, seg);
    if (seg->n >= 2 * kBatchRows) {
      write_first_batch(ch, seg);  // stays queued (it still holds a whole batch)
    } else if ((++dc->since_write & (kPaceRows - 1)) == 0) {
      bool wrote = false;
      if (ch->qlen > 0 &&
          (!batch_writer_busy(ch->writer) || (dc->since_write >= kBatchRows / 2 && dc->held > dc->limit / 2))) {
        write_queued(ch);
        wrote = true;
      }
      // (every chunk has its own worker)
      if (++dc->since_check == kOtherRows / kPaceRows) {
        dc->since_check = 0;
        if (list_length(dc->chunks) > 1) wrote |= write_other(dc, ch);
      }
      if (wrote) dc->since_write = 0;
    }
  }
  if (dc->held > dc->limit) write_all(dc);
}

// The chunk's layout for the segments: attribute types, segmentby and orderby columns.
void open_layout(DirectChunk* ch, const CompressionSettings* s) {
  Relation rel = ch->rri->ri_RelationDesc;
  TupleDesc desc = RelationGetDescr(rel);
  ch->natts = desc->natts;
  ch->byval = (bool*)palloc0(sizeof(bool) * (desc->natts + 1));
  ch->typlen = (int16*)palloc0(sizeof(int16) * (desc->natts + 1));
  ch->is_seg = (bool*)palloc0(sizeof(bool) * (desc->natts + 1));
  for (int a = 0; a < desc->natts; ++a) {
    ch->byval[a] = TupleDescAttr(desc, a)->attbyval;
    ch->typlen[a] = TupleDescAttr(desc, a)->attlen;
  }
  ch->nseg = s->nsegmentby;
  ch->segatt = (AttrNumber*)palloc0(sizeof(AttrNumber) * (s->nsegmentby + 1));
  for (int k = 0; k < s->nsegmentby; ++k) {
    ch->segatt[k] = attnameAttNum(rel, s->segmentby[k], false);
    if (ch->segatt[k] <= 0) elog(ERROR, "columnstore: segmentby column \"%s\" missing", s->segmentby[k]);
    ch->is_seg[ch->segatt[k] - 1] = true;
  }
  ch->refatt = (int*)palloc0(sizeof(int) * (desc->natts + 1));
  for (int a = 0; a < desc->natts; ++a)
    if (!ch->byval[a] && !ch->is_seg[a]) ch->refatt[ch->nref++] = a;
  ch->nord = s->norderby;
  ch->ordatt = (AttrNumber*)palloc0(sizeof(AttrNumber) * (s->norderby + 1));
  ch->ord = (SortSupportData*)palloc0(sizeof(SortSupportData) * (s->norderby + 1));
  for (int k = 0; k < s->norderby; ++k) {
    const AttrNumber att = attnameAttNum(rel, s->orderby[k], false);
    if (att <= 0) elog(ERROR, "columnstore: orderby column \"%s\" missing", s->orderby[k]);
    Form_pg_attribute fa = TupleDescAttr(desc, att - 1);
    TypeCacheEntry* tc = lookup_type_cache(fa->atttypid, TYPECACHE_LT_OPR | TYPECACHE_GT_OPR);
    const Oid op = s->orderby_desc[k] ? tc->gt_opr : tc->lt_opr;
    if (!OidIsValid(op))
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                      errmsg("could not identify an ordering operator for type %s", format_type_be(fa->atttypid))));
    ch->ordatt[k] = att;
    SortSupport ss = &ch->ord[k];
    ss->ssup_cxt = ch->cxt;
    ss->ssup_collation = fa->attcollation;
    ss->ssup_nulls_first = s->orderby_nullsfirst[k];
    ss->ssup_attno = att;
    ss->abbreviate = false;
    PrepareSortSupportFromOrderingOp(op, ss);
  }
  ch->ord_signed = ch->nord == 1 && !ch->is_seg[ch->ordatt[0] - 1] && ch->byval[ch->ordatt[0] - 1] &&
                   ch->typlen[ch->ordatt[0] - 1] == 8 && ch->ord[0].comparator == ssup_datum_signed_cmp;
  ch->tsize = 64;
  ch->table = (Segment**)palloc0(sizeof(Segment*) * ch->tsize);
  ch->wslot = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
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
  dc->limit = (Size)maintenance_work_mem * 1024;
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
  if (catalog_get_compressed_chunk(info.id, &cc) && storage_format_writable(cc.format_version))
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
  ch->settings = cc.settings;
  ch->automatic = !dc->asked;
  ch->converted = converted;
  ch->row_part_empty = converted && has_unique && RelationGetNumberOfBlocks(rri->ri_RelationDesc) == 0;
  ch->cxt = AllocSetContextCreate(dc->cxt, "direct compression segments", ALLOCSET_DEFAULT_SIZES);
  open_layout(ch, &cc.settings);
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
  buffer_row(dc, ch, slot);
}

bool direct_copy_chunk_converted(const DirectChunk* ch) { return ch->converted; }

void direct_copy_finish(DirectCopy* dc) {
  if (dc == nullptr) return;
  ListCell* lc;
  foreach (lc, dc->chunks) {
    auto* ch = (DirectChunk*)lfirst(lc);
    check_copy_keys(dc, ch);
    ch->rows_read = ch->rows;
  }
  dc->finishing = true;
  write_all(dc);
  foreach (lc, dc->chunks) {
    auto* ch = (DirectChunk*)lfirst(lc);
    batch_writer_drain(ch->writer);
    int64 batches = batch_writer_batches(ch->writer);
    int64 taken_back = batch_writer_taken_back(ch->writer);
    if (ch->writer2 != nullptr) {
      batch_writer_drain(ch->writer2);
      batches += batch_writer_batches(ch->writer2);
      taken_back += batch_writer_taken_back(ch->writer2);
      batch_writer_close(ch->writer2);
      ch->writer2 = nullptr;
    }
    if (ch->converted) compressed_chunk_note_batches(ch->chunk.id, ch->rows, batches);
    ereport(DEBUG1, (errmsg("direct compression: %lld rows of chunk \"%s\" in %lld batches (%lld encoded by the "
                            "backend, the worker had not started them), %lld rows written after the input was read",
                            (long long)ch->rows, NameStr(ch->chunk.table_name), (long long)batches,
                            (long long)taken_back, (long long)(ch->rows - ch->rows_read))));
    batch_writer_close(ch->writer);
    ch->writer = nullptr;
    for (int i = 0; i < ch->nuniq; ++i) ExecDropSingleTupleTableSlot(ch->uniq[i].keyslot);
    ExecDropSingleTupleTableSlot(ch->wslot);
    table_close(ch->companion, NoLock);
    if (ch->bistate != nullptr) {
      table_finish_bulk_insert(ch->rri->ri_RelationDesc, 0);
      FreeBulkInsertState(ch->bistate);
    }
  }
  MemoryContextDelete(dc->cxt);
}

}  // namespace strata::columnstore
