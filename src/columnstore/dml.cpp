// Writes into compressed chunks (dml.hpp, docs/COLUMNSTORE.md "Writes into compressed chunks"):
// finding the batches a write can touch from the companion's metadata, and moving them into the
// chunk's row part. C-style glue.
//
// Command ids. A batch move deletes the companion row and inserts its rows into the row part
// with one command id; which one decides who sees the moved rows:
// - INSERT / COPY (unique checks, ON CONFLICT): the statement's command id X is reserved for
//   moves at executor start, the counter advanced, and the statement writes its own rows with
//   X+1 while its snapshot stays at X. Its scans (INSERT ... SELECT from the same hypertable)
//   see neither the moves nor its own rows (cmin >= X); ON CONFLICT locks tuples with X+1, so
//   it can update a moved row (cmin X) but still refuses a row the statement itself inserted
//   ("cannot affect row a second time"), exactly as on the rowstore.
// - UPDATE / DELETE / MERGE / row locks: the batches that can match are moved at executor start
//   with the statement's id X, the counter advanced, and both the snapshot's curcid and
//   es_output_cid set to X+1: the statement's scans see the moved rows and the companion rows
//   gone, and do not see the rows the statement writes (X+1), so there is no Halloween problem.
#include "columnstore/dml.hpp"

#include "columnstore/scan.hpp"
#include "columnstore/scan_bridge.hpp"
#include "columnstore/storage.hpp"
#include "pg/compat.hpp"
#include "pg/guard.hpp"
#include "pg/pg.hpp"
#include "planner/planner.hpp"

extern "C" {
#include "access/genam.h"
#include "access/heapam.h"
#include "access/nbtree.h"
#include "access/relscan.h"
#include "access/tupdesc_details.h"
#include "parser/parse_relation.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "catalog/pg_opclass.h"
#include "commands/defrem.h"
#include "commands/explain.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"
}

namespace strata::columnstore {

namespace {

enum Role { kNone = 0, kSegment = 1, kData = 2 };

struct AttrInfo {
  int role;
  AttrNumber comp;  // companion attno (0 when the column is not there)
  AttrNumber min_att, max_att, nulls_att, bloom_att;
  StorageType type;
  Oid collation;
  int decoder;  // data columns: index into decoders
  FmgrInfo hash;  // bloom columns: the extended hash the compressor used
  bool have_hash;
};

// A restriction `column <strategy> value` (btree strategy of the column type's default family).
struct Cond {
  AttrNumber attno;
  int strategy;
  Datum value;
  Oid valtype;
  Oid collation;
  FmgrInfo cmp;  // (column type, value type) order proc
};

struct UniqueKey {
  int nkeys;
  AttrNumber* attnos;  // chunk attnos; 0 = expression column
  FmgrInfo* cmp;       // the index's own order procs
  Oid* colls;
  bool usable_metadata[INDEX_MAX_KEYS];  // the index's family is the column's default btree family
  bool nulls_not_distinct;
  bool expression;  // some key is an expression: every batch is a candidate
};

}  // namespace

struct DmlChunk {
  Relation chunk;
  ChunkInfo info;
  CompressedChunk cc;
  Relation companion;
  Relation index;  // the companion's btree (segmentby..., _strata_min_1), or nullptr
  AttrNumber count_att;
  int natts;
  AttrInfo* attrs;
  int ndecoders;
  bridge::Decoder** decoders;
  EState* estate;
  ResultRelInfo* rri;
  TupleTableSlot* out;
  TupleTableSlot* bslot;
  CommandId cid;
  Snapshot snapshot;
  bool dml_mode;  // a batch moved concurrently is a serialization failure (else skipped)
  MemoryContext cxt;
  MemoryContext row_cxt;
  MemoryContext check_cxt;  // one unique check's scans (reset after each row)
  AttrNumber* parent_attno;  // chunk attno - 1 -> attno in the caller's layout
  int nuniq;
  UniqueKey* uniq;
  bool marked_partial;
  int64 moved;
  int64 deleted;
  int64 deleted_rows;
  // The segments whose batches were moved or deleted (UPDATE / DELETE / MERGE: their dictionary
  // rows go when no batch is left): nseg values and null flags each, in dc->cxt.
  bool note_segments;
  int nseg;
  AttrNumber* seg_atts;  // the companion's segmentby columns
  int ntouched;
  int touched_cap;
  Datum* touched_values;
  bool* touched_nulls;
};

namespace {

// ---- opening ------------------------------------------------------------------------------------

AttrNumber comp_att(Relation rel, const char* name) { return attnameAttNum(rel, name, false); }

DmlChunk* open_chunk(Relation chunk, const ChunkInfo* info, CommandId cid, Snapshot snapshot, bool dml_mode) {
  ChunkInfo fresh;
  if (!chunk_get_by_id(info->id, &fresh) || (fresh.status & kChunkStatusCompressed) == 0) return nullptr;
  MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "columnstore dml", ALLOCSET_DEFAULT_SIZES);
  MemoryContext old = MemoryContextSwitchTo(cxt);
  DmlChunk* dc = (DmlChunk*)palloc0(sizeof(DmlChunk));
  dc->cxt = cxt;
  dc->chunk = chunk;
  dc->info = fresh;
  dc->cid = cid;
  dc->snapshot = snapshot;
  dc->dml_mode = dml_mode;
  if (!storage_chunk_settings(fresh.id, &dc->cc)) {
    MemoryContextSwitchTo(old);
    MemoryContextDelete(cxt);
    return nullptr;
  }
  Oid comp_relid = storage_companion_relid(&dc->cc);
  if (!OidIsValid(comp_relid))
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("companion table %s.%s of chunk \"%s\" is missing", NameStr(dc->cc.schema_name),
                           NameStr(dc->cc.table_name), NameStr(fresh.table_name))));
  dc->companion = table_open(comp_relid, RowExclusiveLock);
  dc->count_att = comp_att(dc->companion, kCountColumn);
  const CompressionSettings* s = &dc->cc.settings;
  TupleDesc desc = RelationGetDescr(chunk);
  dc->natts = desc->natts;
  dc->attrs = (AttrInfo*)palloc0(sizeof(AttrInfo) * (desc->natts + 1));
  char buf[NAMEDATALEN];
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    AttrInfo* a = &dc->attrs[i];
    if (att->attisdropped) continue;
    storage_type(att->atttypid, &a->type);
    a->collation = att->attcollation;
    a->comp = comp_att(dc->companion, NameStr(att->attname));
    if (a->comp == InvalidAttrNumber) continue;
    const char* name = NameStr(att->attname);
    if (storage_name_index(s->segmentby, s->nsegmentby, name) >= 0) {
      a->role = kSegment;
      continue;
    }
    a->role = kData;
    a->decoder = dc->ndecoders++;
    int k = storage_name_index(s->minmax, s->nminmax, name);
    if (k >= 0) {
      storage_min_column(k + 1, buf);
      a->min_att = comp_att(dc->companion, buf);
      storage_max_column(k + 1, buf);
      a->max_att = comp_att(dc->companion, buf);
      storage_nulls_column(k + 1, buf);
      a->nulls_att = comp_att(dc->companion, buf);
    }
    k = storage_name_index(s->bloom, s->nbloom, name);
    if (k >= 0) {
      storage_bloom_column(k + 1, buf);
      a->bloom_att = comp_att(dc->companion, buf);
      TypeCacheEntry* tc = lookup_type_cache(att->atttypid, TYPECACHE_HASH_EXTENDED_PROC_FINFO);
      if (OidIsValid(tc->hash_extended_proc_finfo.fn_oid)) {
        fmgr_info_copy(&a->hash, &tc->hash_extended_proc_finfo, cxt);
        a->have_hash = true;
      }
    }
  }
  dc->decoders = (bridge::Decoder**)palloc0(sizeof(bridge::Decoder*) * (dc->ndecoders + 1));
  for (int i = 0; i < dc->ndecoders; ++i) dc->decoders[i] = storage_decoder_create();
  // The companion's btree on (segmentby..., _strata_min_1).
  List* indexes = RelationGetIndexList(dc->companion);
  if (indexes != NIL) dc->index = index_open(linitial_oid(indexes), RowExclusiveLock);
  dc->estate = CreateExecutorState();
  dc->rri = makeNode(ResultRelInfo);
  InitResultRelInfo(dc->rri, chunk, 0, nullptr, 0);
  ExecOpenIndices(dc->rri, false);
  dc->out = table_slot_create(chunk, nullptr);
  dc->bslot = table_slot_create(dc->companion, nullptr);
  dc->row_cxt = AllocSetContextCreate(cxt, "columnstore dml row", ALLOCSET_DEFAULT_SIZES);
  dc->check_cxt = AllocSetContextCreate(cxt, "columnstore dml check", ALLOCSET_DEFAULT_SIZES);
  MemoryContextSwitchTo(old);
  return dc;
}

void close_chunk(DmlChunk* dc) {
  if (dc == nullptr) return;
  ExecDropSingleTupleTableSlot(dc->out);
  ExecDropSingleTupleTableSlot(dc->bslot);
  ExecCloseIndices(dc->rri);
  FreeExecutorState(dc->estate);
  if (dc->index != nullptr) index_close(dc->index, NoLock);
  table_close(dc->companion, NoLock);
  MemoryContextDelete(dc->cxt);
}

// ---- metadata -----------------------------------------------------------------------------------

int cmp(const Cond* c, Datum a) { return DatumGetInt32(FunctionCall2Coll((FmgrInfo*)&c->cmp, c->collation, a, c->value)); }

bool strategy_holds(int strategy, int r) {
  switch (strategy) {
    case BTLessStrategyNumber:
      return r < 0;
    case BTLessEqualStrategyNumber:
      return r <= 0;
    case BTEqualStrategyNumber:
      return r == 0;
    case BTGreaterEqualStrategyNumber:
      return r >= 0;
    default:
      return r > 0;
  }
}

// Whether some row of the batch in `b` may satisfy every condition (never false for one that does).
// A dictionary row holds no rows.
bool batch_may_match(DmlChunk* dc, TupleTableSlot* b, const Cond* conds, int n) {
  bool count_null;
  const Datum count = slot_getattr(b, dc->count_att, &count_null);
  if (!count_null && storage_is_dictionary_row(DatumGetInt32(count))) return false;
  for (int i = 0; i < n; ++i) {
    const Cond* c = &conds[i];
    const AttrInfo* a = &dc->attrs[c->attno - 1];
    bool isnull;
    if (a->role == kSegment) {
      Datum v = slot_getattr(b, a->comp, &isnull);
      if (isnull || !strategy_holds(c->strategy, cmp(c, v))) return false;
      continue;
    }
    if (a->role != kData) {
      // A column added after compression: its value in the batch is the column's missing value.
      continue;
    }
    if (a->min_att != InvalidAttrNumber) {
      Datum mn = slot_getattr(b, a->min_att, &isnull);
      if (isnull) return false;  // every value NULL: no strict comparison holds
      Datum mx = slot_getattr(b, a->max_att, &isnull);
      if (isnull) return false;
      switch (c->strategy) {
        case BTLessStrategyNumber:
          if (cmp(c, mn) >= 0) return false;
          break;
        case BTLessEqualStrategyNumber:
          if (cmp(c, mn) > 0) return false;
          break;
        case BTEqualStrategyNumber:
          if (cmp(c, mn) > 0 || cmp(c, mx) < 0) return false;
          break;
        case BTGreaterEqualStrategyNumber:
          if (cmp(c, mx) < 0) return false;
          break;
        default:
          if (cmp(c, mx) <= 0) return false;
          break;
      }
    }
    if (c->strategy == BTEqualStrategyNumber && a->bloom_att != InvalidAttrNumber && a->have_hash &&
        c->valtype == a->type.typid && c->collation == a->collation) {
      Datum bd = slot_getattr(b, a->bloom_att, &isnull);
      if (!isnull) {
        bytea* f = DatumGetByteaPP(bd);
        uint64 h = (uint64)DatumGetInt64(
            FunctionCall2Coll((FmgrInfo*)&a->hash, a->collation, c->value, Int64GetDatum(0)));
        if (!bridge_bloom_may_contain((const uint8*)VARDATA_ANY(f), VARSIZE_ANY_EXHDR(f), 1, &h)) return false;
      }
    }
  }
  return true;
}

// Whether the metadata proves that every row of the batch satisfies every condition.
bool batch_all_match(DmlChunk* dc, TupleTableSlot* b, const Cond* conds, int n) {
  for (int i = 0; i < n; ++i) {
    const Cond* c = &conds[i];
    const AttrInfo* a = &dc->attrs[c->attno - 1];
    bool isnull;
    if (a->role == kSegment) {
      Datum v = slot_getattr(b, a->comp, &isnull);
      if (isnull || !strategy_holds(c->strategy, cmp(c, v))) return false;
      continue;
    }
    if (a->role != kData || a->min_att == InvalidAttrNumber) return false;
    Datum nn = slot_getattr(b, a->nulls_att, &isnull);
    if (isnull || DatumGetInt32(nn) != 0) return false;
    Datum mn = slot_getattr(b, a->min_att, &isnull);
    if (isnull) return false;
    Datum mx = slot_getattr(b, a->max_att, &isnull);
    if (isnull) return false;
    switch (c->strategy) {
      case BTLessStrategyNumber:
        if (cmp(c, mx) >= 0) return false;
        break;
      case BTLessEqualStrategyNumber:
        if (cmp(c, mx) > 0) return false;
        break;
      case BTEqualStrategyNumber:
        if (cmp(c, mn) != 0 || cmp(c, mx) != 0) return false;
        break;
      case BTGreaterEqualStrategyNumber:
        if (cmp(c, mn) < 0) return false;
        break;
      default:
        if (cmp(c, mn) <= 0) return false;
        break;
    }
  }
  return true;
}

// ---- candidates ---------------------------------------------------------------------------------

// Scan keys on the companion's btree from the conditions: equality on its leading segmentby
// columns, then an upper bound on its _strata_min_1 column. Only same-type comparisons.
int index_keys(DmlChunk* dc, const Cond* conds, int n, ScanKey keys) {
  if (dc->index == nullptr) return 0;
  Form_pg_index ix = dc->index->rd_index;
  int nkeys = 0;
  for (int k = 0; k < ix->indnkeyatts; ++k) {
    AttrNumber catt = ix->indkey.values[k];
    const Cond* found = nullptr;
    bool is_min = false;
    for (int i = 0; i < n && found == nullptr; ++i) {
      const AttrInfo* a = &dc->attrs[conds[i].attno - 1];
      if (conds[i].valtype != a->type.typid) continue;
      if (a->role == kSegment && a->comp == catt && conds[i].strategy == BTEqualStrategyNumber) {
        found = &conds[i];
      } else if (a->role == kData && a->min_att == catt &&
                 (conds[i].strategy == BTEqualStrategyNumber || conds[i].strategy == BTLessEqualStrategyNumber ||
                  conds[i].strategy == BTLessStrategyNumber)) {
        found = &conds[i];
        is_min = true;
      }
    }
    if (found == nullptr) break;
    const int strategy = is_min && found->strategy != BTLessStrategyNumber ? BTLessEqualStrategyNumber
                                                                           : found->strategy;
    // A btree search key's function is the operator's (boolean), of the index column's family.
    Oid opno = get_opfamily_member(dc->index->rd_opfamily[k], dc->index->rd_opcintype[k], found->valtype, strategy);
    if (!OidIsValid(opno)) break;
    ScanKeyEntryInitialize(&keys[nkeys], 0, k + 1, strategy, found->valtype, found->collation, get_opcode(opno),
                           found->value);
    nkeys++;
    if (is_min) break;
  }
  return nkeys;
}

// Calls fn(dc, batch slot, arg) for every visible batch that may match; fn may delete the batch.
template <typename Fn>
void for_each_candidate(DmlChunk* dc, const Cond* conds, int n, Fn fn) {
  ScanKeyData keys[INDEX_MAX_KEYS];
  const int nkeys = index_keys(dc, conds, n, keys);
  if (nkeys > 0) {
    IndexScanDesc scan = index_beginscan(dc->companion, dc->index, dc->snapshot, nkeys, 0);
    index_rescan(scan, keys, nkeys, nullptr, 0);
    while (index_getnext_slot(scan, ForwardScanDirection, dc->bslot)) {
      if (batch_may_match(dc, dc->bslot, conds, n)) fn(dc->bslot);
      CHECK_FOR_INTERRUPTS();
    }
    index_endscan(scan);
  } else {
    TableScanDesc scan = table_beginscan(dc->companion, dc->snapshot, 0, nullptr);
    while (table_scan_getnextslot(scan, ForwardScanDirection, dc->bslot)) {
      if (batch_may_match(dc, dc->bslot, conds, n)) fn(dc->bslot);
      CHECK_FOR_INTERRUPTS();
    }
    table_endscan(scan);
  }
}

// ---- moving -------------------------------------------------------------------------------------

void decode_column(DmlChunk* dc, TupleTableSlot* b, int attno, int32 rows) {
  const AttrInfo* a = &dc->attrs[attno - 1];
  bool isnull;
  Datum d = slot_getattr(b, a->comp, &isnull);
  if (isnull)
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("batch without data for column \"%s\"",
                           NameStr(TupleDescAttr(RelationGetDescr(dc->chunk), attno - 1)->attname))));
  bytea* v = DatumGetByteaPP(d);
  storage_decode(dc->decoders[a->decoder], (const uint8*)VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), a->type.codec_type,
                 dc->companion, dc->cc.settings.segmentby, dc->cc.settings.nsegmentby, b, dc->snapshot);
  if (bridge::decoder_rows(dc->decoders[a->decoder]) != (size_t)rows)
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("batch column has %zu rows instead of %d",
                                                            bridge::decoder_rows(dc->decoders[a->decoder]), rows)));
}

int32 batch_rows(TupleTableSlot* b, AttrNumber count_att) {
  bool isnull;
  Datum d = slot_getattr(b, count_att, &isnull);
  if (isnull) ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("batch without row count")));
  return DatumGetInt32(d);
}

// Deletes the batch's companion row. False when another transaction moved or deleted it first
// (an error in DML mode and under REPEATABLE READ or SERIALIZABLE: the statement's snapshot
// cannot see where its rows went).
bool delete_batch_row(DmlChunk* dc, TupleTableSlot* b) {
  TM_FailureData tmfd;
  ItemPointerData tid = b->tts_tid;
  TM_Result r = table_tuple_delete(dc->companion, &tid, dc->cid, dc->snapshot, InvalidSnapshot, true, &tmfd, false);
  switch (r) {
    case TM_Ok:
      return true;
    case TM_SelfModified:
      return false;  // moved already by this transaction
    case TM_Updated:
    case TM_Deleted:
      if (dc->dml_mode || IsolationUsesXactSnapshot())
        ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                        errmsg("could not serialize access due to concurrent update of a compressed batch"),
                        errdetail("Another transaction moved rows of chunk \"%s\" out of the columnstore.",
                                  NameStr(dc->info.table_name)),
                        errhint("Retry the statement.")));
      return false;
    default:
      elog(ERROR, "unexpected result %d deleting a compressed batch", (int)r);
  }
  return false;
}

// Remembers the segment of batch `b` (moved or deleted) for drop_orphan_dictionaries. Only the
// latest noted segment is compared: the scans meet a segment's batches together (the index is on
// the segmentby columns; compression writes them in a run), and a segment noted twice costs one
// more lookup that finds nothing to delete.
void note_segment(DmlChunk* dc, TupleTableSlot* b) {
  if (!dc->note_segments) return;
  TupleDesc cdesc = RelationGetDescr(dc->companion);
  const int nseg = dc->nseg;
  if (dc->ntouched > 0) {
    const Datum* v = &dc->touched_values[(dc->ntouched - 1) * nseg];
    const bool* nl = &dc->touched_nulls[(dc->ntouched - 1) * nseg];
    bool same = true;
    for (int i = 0; i < nseg && same; ++i) {
      const AttrNumber att = dc->seg_atts[i];
      Form_pg_attribute a = TupleDescAttr(cdesc, att - 1);
      const bool n2 = b->tts_isnull[att - 1];
      same = nl[i] == n2 && (n2 || storage_segment_value_eq(v[i], b->tts_values[att - 1], a->attbyval, a->attlen));
    }
    if (same) return;
  }
  MemoryContext old = MemoryContextSwitchTo(dc->cxt);
  if (dc->ntouched == dc->touched_cap) {
    dc->touched_cap = Max(8, dc->touched_cap * 2);
    const Size nv = (Size)dc->touched_cap * Max(nseg, 1);
    dc->touched_values = dc->touched_values == nullptr ? (Datum*)palloc(sizeof(Datum) * nv)
                                                       : (Datum*)repalloc(dc->touched_values, sizeof(Datum) * nv);
    dc->touched_nulls = dc->touched_nulls == nullptr ? (bool*)palloc(sizeof(bool) * nv)
                                                     : (bool*)repalloc(dc->touched_nulls, sizeof(bool) * nv);
  }
  Datum* v = &dc->touched_values[dc->ntouched * nseg];
  bool* nl = &dc->touched_nulls[dc->ntouched * nseg];
  for (int i = 0; i < nseg; ++i) {
    const AttrNumber att = dc->seg_atts[i];
    Form_pg_attribute a = TupleDescAttr(cdesc, att - 1);
    nl[i] = b->tts_isnull[att - 1];
    v[i] = nl[i] ? (Datum)0 : datumCopy(b->tts_values[att - 1], a->attbyval, a->attlen);
  }
  dc->ntouched++;
  MemoryContextSwitchTo(old);
}

// Deletes the dictionary rows of the remembered segments that have no batch left (`snapshot`
// must not see the batches the statement removed); the deletes use the statement's move command id.
void drop_orphan_dictionaries(DmlChunk* dc, Snapshot snapshot) {
  if (dc->ntouched == 0) return;
  TupleDesc cdesc = RelationGetDescr(dc->companion);
  TupleTableSlot* row = MakeSingleTupleTableSlot(cdesc, &TTSOpsVirtual);
  for (int t = 0; t < dc->ntouched; ++t) {
    ExecClearTuple(row);
    for (int i = 0; i < cdesc->natts; ++i) row->tts_isnull[i] = true;
    for (int i = 0; i < dc->nseg; ++i) {
      const AttrNumber att = dc->seg_atts[i];
      row->tts_values[att - 1] = dc->touched_values[t * dc->nseg + i];
      row->tts_isnull[att - 1] = dc->touched_nulls[t * dc->nseg + i];
    }
    ExecStoreVirtualTuple(row);
    (void)storage_drop_orphan_dictionaries(dc->companion, dc->seg_atts, dc->nseg, row, snapshot, dc->cid);
    CHECK_FOR_INTERRUPTS();
  }
  ExecDropSingleTupleTableSlot(row);
  dc->ntouched = 0;
}

void mark_partial(DmlChunk* dc) {
  if (dc->marked_partial) return;
  chunk_note_rows_in_row_part(&dc->info);
  dc->marked_partial = true;
}

// Moves one batch into the row part: its companion row deleted, its rows inserted (heap and
// indexes) with the move command id.
void move_batch(DmlChunk* dc, TupleTableSlot* b) {
  slot_getallattrs(b);
  if (!delete_batch_row(dc, b)) return;
  note_segment(dc, b);
  mark_partial(dc);
  const int32 rows = batch_rows(b, dc->count_att);
  TupleDesc desc = RelationGetDescr(dc->chunk);
  for (int i = 0; i < desc->natts; ++i)
    if (dc->attrs[i].role == kData && !TupleDescAttr(desc, i)->attisdropped) decode_column(dc, b, i + 1, rows);
  TupleTableSlot* out = dc->out;
  for (int32 r = 0; r < rows; ++r) {
    MemoryContext old = MemoryContextSwitchTo(dc->row_cxt);
    ExecClearTuple(out);
    for (int i = 0; i < desc->natts; ++i) {
      Form_pg_attribute att = TupleDescAttr(desc, i);
      const AttrInfo* a = &dc->attrs[i];
      out->tts_isnull[i] = true;
      out->tts_values[i] = (Datum)0;
      if (att->attisdropped) continue;
      if (a->role == kSegment) {
        out->tts_values[i] = b->tts_values[a->comp - 1];
        out->tts_isnull[i] = b->tts_isnull[a->comp - 1];
      } else if (a->role == kData) {
        out->tts_values[i] = storage_decoded_datum(dc->decoders[a->decoder], (size_t)r, &a->type, &out->tts_isnull[i]);
      } else if (att->atthasmissing && desc->constr != nullptr && desc->constr->missing != nullptr &&
                 desc->constr->missing[i].am_present) {
        out->tts_values[i] = desc->constr->missing[i].am_value;
        out->tts_isnull[i] = false;
      }
    }
    ExecStoreVirtualTuple(out);
    table_tuple_insert(dc->chunk, out, dc->cid, 0, nullptr);
    if (dc->rri->ri_NumIndices > 0) compat::insert_index_tuples(dc->rri, out, dc->estate);
    MemoryContextSwitchTo(old);
    MemoryContextReset(dc->row_cxt);
    ResetPerTupleExprContext(dc->estate);
  }
  dc->moved++;
}

// ---- unique checks ------------------------------------------------------------------------------

void load_unique_keys(DmlChunk* dc) {
  MemoryContext old = MemoryContextSwitchTo(dc->cxt);
  List* indexes = RelationGetIndexList(dc->chunk);
  dc->uniq = (UniqueKey*)palloc0(sizeof(UniqueKey) * (list_length(indexes) + 1));
  ListCell* lc;
  foreach (lc, indexes) {
    Relation ix = index_open(lfirst_oid(lc), AccessShareLock);
    Form_pg_index form = ix->rd_index;
    if (form->indisunique || form->indisexclusion) {
      UniqueKey* u = &dc->uniq[dc->nuniq++];
      u->nkeys = form->indnkeyatts;
      u->attnos = (AttrNumber*)palloc0(sizeof(AttrNumber) * u->nkeys);
      u->cmp = (FmgrInfo*)palloc0(sizeof(FmgrInfo) * u->nkeys);
      u->colls = (Oid*)palloc0(sizeof(Oid) * u->nkeys);
      u->nulls_not_distinct = form->indnullsnotdistinct;
      // An exclusion constraint's operators are not equality: every batch is a candidate.
      u->expression = form->indisexclusion || ix->rd_rel->relam != BTREE_AM_OID;
      for (int k = 0; k < u->nkeys && !u->expression; ++k) {
        u->attnos[k] = form->indkey.values[k];
        if (u->attnos[k] == 0) {
          u->expression = true;
          break;
        }
        u->colls[k] = ix->rd_indcollation[k];
        Oid proc = get_opfamily_proc(ix->rd_opfamily[k], ix->rd_opcintype[k], ix->rd_opcintype[k], BTORDER_PROC);
        if (!OidIsValid(proc)) {
          u->expression = true;
          break;
        }
        fmgr_info_cxt(proc, &u->cmp[k], dc->cxt);
        Oid coltype = TupleDescAttr(RelationGetDescr(dc->chunk), u->attnos[k] - 1)->atttypid;
        TypeCacheEntry* tc = lookup_type_cache(coltype, TYPECACHE_BTREE_OPFAMILY);
        u->usable_metadata[k] = tc->btree_opf == ix->rd_opfamily[k] && u->colls[k] == dc->attrs[u->attnos[k] - 1].collation;
      }
    }
    index_close(ix, AccessShareLock);
  }
  MemoryContextSwitchTo(old);
}

// Whether some row of the batch equals the key (decoding only the key's data columns).
bool batch_has_key(DmlChunk* dc, TupleTableSlot* b, const UniqueKey* u, const Datum* key) {
  slot_getallattrs(b);
  const int32 rows = batch_rows(b, dc->count_att);
  for (int k = 0; k < u->nkeys; ++k)
    if (dc->attrs[u->attnos[k] - 1].role == kData) decode_column(dc, b, u->attnos[k], rows);
  MemoryContext old = MemoryContextSwitchTo(dc->row_cxt);
  bool found = false;
  for (int32 r = 0; r < rows && !found; ++r) {
    bool all = true;
    for (int k = 0; k < u->nkeys && all; ++k) {
      const AttrInfo* a = &dc->attrs[u->attnos[k] - 1];
      Datum v;
      bool isnull;
      if (a->role == kSegment) {
        v = b->tts_values[a->comp - 1];
        isnull = b->tts_isnull[a->comp - 1];
      } else if (a->role == kData) {
        v = storage_decoded_datum(dc->decoders[a->decoder], (size_t)r, &a->type, &isnull);
      } else {
        return true;  // a column added since compression: let the row part's index decide
      }
      if (isnull) {
        all = false;  // a NULL key (NULLS NOT DISTINCT handled by the caller) never equals a value
        break;
      }
      all = DatumGetInt32(FunctionCall2Coll(&((UniqueKey*)u)->cmp[k], u->colls[k], v, key[k])) == 0;
    }
    found = all;
    MemoryContextReset(dc->row_cxt);
  }
  MemoryContextSwitchTo(old);
  return found;
}

}  // namespace

CommandId dml_reserve_move_cid(EState* estate, CommandId* move_cid) {
  *move_cid = GetCurrentCommandId(true);
  CommandCounterIncrement();
  CommandId cid = GetCurrentCommandId(true);
  if (estate != nullptr) estate->es_output_cid = cid;
  return cid;
}

DmlChunk* dml_open_for_insert(Relation chunk_rel, const ChunkInfo* chunk, TupleDesc parent_desc, CommandId move_cid) {
  if ((chunk->status & kChunkStatusCompressed) == 0) {
    // The caller's copy may predate a compression that committed before its lock.
    ChunkInfo fresh;
    if (!chunk_get_by_id(chunk->id, &fresh) || (fresh.status & kChunkStatusCompressed) == 0) return nullptr;
  }
  if (!RelationGetForm(chunk_rel)->relhasindex) return nullptr;
  // The latest snapshot, taken after the chunk's lock: every batch a compression committed.
  Snapshot snap = RegisterSnapshot(GetLatestSnapshot());
  DmlChunk* dc = open_chunk(chunk_rel, chunk, move_cid, snap, false);
  if (dc == nullptr) {
    UnregisterSnapshot(snap);
    return nullptr;
  }
  dc->marked_partial = true;  // the ingest path marked the chunk partial when it opened it
  load_unique_keys(dc);
  if (dc->nuniq == 0) {
    dml_close(dc);
    return nullptr;
  }
  MemoryContext old = MemoryContextSwitchTo(dc->cxt);
  TupleDesc cdesc = RelationGetDescr(chunk_rel);
  dc->parent_attno = (AttrNumber*)palloc0(sizeof(AttrNumber) * (cdesc->natts + 1));
  for (int i = 0; i < cdesc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(cdesc, i);
    if (att->attisdropped) continue;
    for (int j = 0; j < parent_desc->natts; ++j) {
      Form_pg_attribute p = TupleDescAttr(parent_desc, j);
      if (!p->attisdropped && strcmp(NameStr(p->attname), NameStr(att->attname)) == 0) {
        dc->parent_attno[i] = (AttrNumber)(j + 1);
        break;
      }
    }
  }
  MemoryContextSwitchTo(old);
  return dc;
}

void dml_check_unique(DmlChunk* dc, const Datum* values, const bool* isnull) {
  MemoryContext old = MemoryContextSwitchTo(dc->check_cxt);
  for (int u = 0; u < dc->nuniq; ++u) {
    UniqueKey* key = &dc->uniq[u];
    Cond conds[INDEX_MAX_KEYS];
    Datum keyvals[INDEX_MAX_KEYS];
    int n = 0;
    bool skip = false;
    if (!key->expression) {
      for (int k = 0; k < key->nkeys; ++k) {
        AttrNumber p = dc->parent_attno[key->attnos[k] - 1];
        if (p == 0 || isnull[p - 1]) {
          // NULLS DISTINCT: a NULL key never conflicts. NOT DISTINCT: no metadata condition for it.
          if (!key->nulls_not_distinct) skip = true;
          keyvals[k] = (Datum)0;
          continue;
        }
        keyvals[k] = values[p - 1];
        if (!key->usable_metadata[k]) continue;
        Cond* c = &conds[n++];
        const AttrInfo* a = &dc->attrs[key->attnos[k] - 1];
        c->attno = key->attnos[k];
        c->strategy = BTEqualStrategyNumber;
        c->value = values[p - 1];
        c->valtype = a->type.typid;
        c->collation = key->colls[k];
        c->cmp = key->cmp[k];
      }
    }
    if (skip) continue;
    bool has_null_key = false;
    for (int k = 0; k < key->nkeys && !key->expression; ++k)
      if (dc->parent_attno[key->attnos[k] - 1] == 0 || isnull[dc->parent_attno[key->attnos[k] - 1] - 1])
        has_null_key = true;
    for_each_candidate(dc, conds, n, [&](TupleTableSlot* b) {
      // Expression keys and NULLS NOT DISTINCT keys with a NULL: every candidate moves.
      if (key->expression || has_null_key || batch_has_key(dc, b, key, keyvals)) move_batch(dc, b);
    });
  }
  MemoryContextSwitchTo(old);
  MemoryContextReset(dc->check_cxt);
}

void dml_close(DmlChunk* dc) {
  if (dc == nullptr) return;
  Snapshot snap = dc->snapshot;
  close_chunk(dc);
  UnregisterSnapshot(snap);
}

// =================================================================================================
// UPDATE / DELETE / MERGE targets and row-locked scans: the CompressedDml node.

namespace {

// custom_private = list_make2(meta ints, cond ints); custom_exprs = the conditions' values.
enum Meta { kChunkRelid, kChunkId, kWholeDelete, kMetaLen };
enum CondField { kCondAttno, kCondStrategy, kCondProc, kCondCollation, kCondValType, kCondFields };

struct DmlScanState {
  CustomScanState css;
  int64 moved;
  int64 deleted;
  int64 deleted_rows;
  bool counted;
};

CustomPathMethods dml_path_methods;
CustomScanMethods dml_scan_methods;
CustomExecMethods dml_exec_methods;

// An expression whose value is known at executor start: no Vars, executor parameters,
// sub-plans or volatile functions.
bool not_start_evaluable_walker(Node* node, void*) {
  if (node == nullptr) return false;
  if (IsA(node, Var) || IsA(node, SubLink) || IsA(node, SubPlan) || IsA(node, AlternativeSubPlan) ||
      IsA(node, Aggref) || IsA(node, WindowFunc) || IsA(node, PlaceHolderVar) || IsA(node, CurrentOfExpr) ||
      IsA(node, GroupingFunc))
    return true;
  if (IsA(node, Param) && ((Param*)node)->paramkind != PARAM_EXTERN) return true;
  return expression_tree_walker(node, (bool (*)())not_start_evaluable_walker, nullptr);
}

Node* strip(Node* n) {
  while (n != nullptr && IsA(n, RelabelType)) n = (Node*)((RelabelType*)n)->arg;
  return n;
}

// A clause `column op value` the metadata can decide: appends its fields and value.
bool clause_to_cond(Expr* clause, Index rti, List** ints, List** exprs) {
  if (!IsA(clause, OpExpr) || list_length(((OpExpr*)clause)->args) != 2) return false;
  OpExpr* op = (OpExpr*)clause;
  Node* l = strip((Node*)linitial(op->args));
  Node* r = strip((Node*)lsecond(op->args));
  bool var_left;
  Var* var;
  Node* val;
  if (IsA(l, Var) && ((Var*)l)->varno == (int)rti && ((Var*)l)->varlevelsup == 0) {
    var = (Var*)l;
    val = (Node*)lsecond(op->args);
    var_left = true;
  } else if (IsA(r, Var) && ((Var*)r)->varno == (int)rti && ((Var*)r)->varlevelsup == 0) {
    var = (Var*)r;
    val = (Node*)linitial(op->args);
    var_left = false;
  } else {
    return false;
  }
  if (var->varattno <= 0) return false;
  if (not_start_evaluable_walker(val, nullptr) || contain_volatile_functions(val)) return false;
  TypeCacheEntry* tc = lookup_type_cache(var->vartype, TYPECACHE_BTREE_OPFAMILY);
  if (!OidIsValid(tc->btree_opf) || !op_in_opfamily(op->opno, tc->btree_opf)) return false;
  int strategy;
  Oid lefttype, righttype;
  get_op_opfamily_properties(op->opno, tc->btree_opf, false, &strategy, &lefttype, &righttype);
  if (strategy < BTLessStrategyNumber || strategy > BTGreaterStrategyNumber) return false;
  Oid coltype = var_left ? lefttype : righttype;
  Oid valtype = var_left ? righttype : lefttype;
  if (!var_left) strategy = BTMaxStrategyNumber + 1 - strategy;  // a < x  <=>  x > a
  Oid proc = get_opfamily_proc(tc->btree_opf, coltype, valtype, BTORDER_PROC);
  if (!OidIsValid(proc)) return false;
  *ints = lappend_int(*ints, var->varattno);
  *ints = lappend_int(*ints, strategy);
  *ints = lappend_int(*ints, (int)proc);
  *ints = lappend_int(*ints, (int)op->inputcollid);
  *ints = lappend_int(*ints, (int)exprType(val));
  *exprs = lappend(*exprs, val);
  return true;
}

Plan* plan_dml_path(PlannerInfo*, RelOptInfo* rel, CustomPath* path, List* tlist, List*, List* custom_plans) {
  CustomScan* cscan = makeNode(CustomScan);
  cscan->methods = &dml_scan_methods;
  cscan->scan.scanrelid = 0;
  cscan->scan.plan.targetlist = tlist;
  cscan->custom_scan_tlist = tlist;
  cscan->custom_plans = custom_plans;
  cscan->custom_private = (List*)linitial(path->custom_private);
  cscan->custom_exprs = (List*)lsecond(path->custom_private);
  (void)rel;
  return &cscan->scan.plan;
}

Node* create_dml_state(CustomScan*) {
  DmlScanState* st = (DmlScanState*)newNode(sizeof(DmlScanState), T_CustomScanState);
  st->css.methods = &dml_exec_methods;
  return (Node*)st;
}

bool chunk_has_delete_row_triggers(Relation rel) {
  TriggerDesc* t = rel->trigdesc;
  return t != nullptr && (t->trig_delete_before_row || t->trig_delete_after_row || t->trig_delete_instead_row ||
                          t->trig_delete_old_table);
}

void move_matching_batches(DmlScanState* st, CustomScan* cscan, EState* estate, int eflags);

void dml_begin(CustomScanState* node, EState* estate, int eflags) {
  DmlScanState* st = (DmlScanState*)node;
  CustomScan* cscan = (CustomScan*)node->ss.ps.plan;
  // The row part's scan is initialized after the moves: a heap scan sizes the relation when it
  // begins (a bitmap heap scan at init), and must see the blocks the moves added.
  move_matching_batches(st, cscan, estate, eflags);
  node->custom_ps = list_make1(ExecInitNode((Plan*)linitial(cscan->custom_plans), estate, eflags));
}

void move_matching_batches(DmlScanState* st, CustomScan* cscan, EState* estate, int eflags) {
  CustomScanState* node = &st->css;
  // EXPLAIN without ANALYZE does not run the statement; an EvalPlanQual recheck runs the plan
  // again in its own executor state after the moves were done.
  if ((eflags & EXEC_FLAG_EXPLAIN_ONLY) || estate->es_epq_active != nullptr) return;
  List* meta = (List*)linitial(cscan->custom_private);
  List* ints = (List*)lsecond(cscan->custom_private);
  const Oid relid = (Oid)list_nth_int(meta, kChunkRelid);
  ChunkInfo info;
  if (!chunk_get_by_id(list_nth_int(meta, kChunkId), &info) || (info.status & kChunkStatusCompressed) == 0) return;
  const int n = list_length(cscan->custom_exprs);
  Cond* conds = (Cond*)palloc0(sizeof(Cond) * (n + 1));
  ExprContext* econtext = CreateExprContext(estate);
  ListCell* lc;
  int i = 0;
  foreach (lc, cscan->custom_exprs) {
    ExprState* es = ExecInitExpr((Expr*)lfirst(lc), &node->ss.ps);
    bool isnull;
    Datum v = ExecEvalExprSwitchContext(es, econtext, &isnull);
    // A comparison with NULL is never true: no row of the chunk can match.
    if (isnull) {
      FreeExprContext(econtext, true);
      return;
    }
    Cond* c = &conds[i];
    c->attno = (AttrNumber)list_nth_int(ints, i * kCondFields + kCondAttno);
    c->strategy = list_nth_int(ints, i * kCondFields + kCondStrategy);
    fmgr_info((Oid)list_nth_int(ints, i * kCondFields + kCondProc), &c->cmp);
    c->collation = (Oid)list_nth_int(ints, i * kCondFields + kCondCollation);
    c->valtype = (Oid)list_nth_int(ints, i * kCondFields + kCondValType);
    int16 typlen;
    bool typbyval;
    get_typlenbyval(c->valtype, &typlen, &typbyval);
    c->value = datumCopy(v, typbyval, typlen);
    ++i;
  }
  FreeExprContext(econtext, true);
  Relation chunk = table_open(relid, RowExclusiveLock);
  const bool whole_delete = list_nth_int(meta, kWholeDelete) != 0 && !chunk_has_delete_row_triggers(chunk);
  DmlChunk* dc = open_chunk(chunk, &info, estate->es_output_cid, estate->es_snapshot, true);
  if (dc != nullptr && dc->cc.has_dictionaries && storage_dict_attno(dc->companion) != InvalidAttrNumber) {
    // (format version 1 companions have no dictionary rows; nor has one that compress_chunk wrote
    // none into: no segment's dictionaries to look for)
    dc->note_segments = true;
    dc->nseg = dc->cc.settings.nsegmentby;
    dc->seg_atts = storage_segment_attnos(dc->companion, dc->cc.settings.segmentby, dc->nseg);
  }
  if (dc != nullptr) {
    for_each_candidate(dc, conds, n, [&](TupleTableSlot* b) {
      if (whole_delete && batch_all_match(dc, b, conds, n)) {
        slot_getallattrs(b);
        const int32 rows = batch_rows(b, dc->count_att);
        if (delete_batch_row(dc, b)) {
          note_segment(dc, b);
          dc->deleted++;
          dc->deleted_rows += rows;
        }
        return;
      }
      move_batch(dc, b);
    });
    st->moved = dc->moved;
    st->deleted = dc->deleted;
    st->deleted_rows = dc->deleted_rows;
    if (st->moved > 0 || st->deleted > 0) {
      // The statement from here on sees the moves (and not what it writes itself).
      CommandCounterIncrement();
      const CommandId cid = GetCurrentCommandId(true);
      estate->es_output_cid = cid;
      estate->es_snapshot->curcid = cid;
      // A segment left without batches keeps no dictionary rows (deleted with the moves' id, so
      // the statement's scans do not see them either).
      drop_orphan_dictionaries(dc, estate->es_snapshot);
    }
    close_chunk(dc);
  }
  table_close(chunk, NoLock);
}

TupleTableSlot* dml_exec(CustomScanState* node) {
  DmlScanState* st = (DmlScanState*)node;
  if (!st->counted) {
    // Rows of batches deleted whole count in the statement's result (es_processed is reset when
    // the executor runs, after our begin).
    st->counted = true;
    node->ss.ps.state->es_processed += (uint64)st->deleted_rows;
  }
  return ExecProcNode((PlanState*)linitial(node->custom_ps));
}

void dml_end(CustomScanState* node) { ExecEndNode((PlanState*)linitial(node->custom_ps)); }

void dml_rescan(CustomScanState* node) { ExecReScan((PlanState*)linitial(node->custom_ps)); }

void dml_explain(CustomScanState* node, List*, ExplainState* es) {
  DmlScanState* st = (DmlScanState*)node;
  if (!es->analyze) return;
  ExplainPropertyInteger("Batches Moved to Row Part", nullptr, st->moved, es);
  ExplainPropertyInteger("Batches Deleted Whole", nullptr, st->deleted, es);
}

// The planner's hook point (planner/planner.hpp, compressed_chunk_dml): the chunk's paths read
// its row part under a CompressedDml node that first moves the batches the restrictions can
// match into it.
void plan_compressed_chunk_dml(PlannerInfo* root, RelOptInfo* rel, Index rti, const ChunkInfo* chunk) {
  List* ints = NIL;
  List* exprs = NIL;
  bool all = true;
  ListCell* lc;
  // MERGE moves every batch of its target chunks: its INSERT action's unique checks must see
  // every row, not only those its join can match.
  if (root->parse->commandType != CMD_MERGE) {
    foreach (lc, rel->baserestrictinfo) {
      RestrictInfo* ri = (RestrictInfo*)lfirst(lc);
      if (!clause_to_cond(ri->clause, rti, &ints, &exprs)) all = false;
    }
  }
  // A DELETE of this chunk's rows alone (no join, no RETURNING), every restriction decided by
  // the metadata: batches whose metadata proves every row matches are deleted without decoding.
  Query* parse = root->parse;
  Index parent = rti;
  if (root->append_rel_array != nullptr && root->append_rel_array[rti] != nullptr)
    parent = root->append_rel_array[rti]->parent_relid;
  bool whole_delete = all && parse->commandType == CMD_DELETE && (int)parent == parse->resultRelation &&
                      parse->returningList == NIL && bms_membership(root->all_baserels) == BMS_SINGLETON &&
                      root->parent_root == nullptr && parse->cteList == NIL;
  if (whole_delete && parent != rti) {
    // Row triggers and transition tables of the hypertable must see every deleted row.
    Relation prel = table_open(planner_rt_fetch(parent, root)->relid, NoLock);
    whole_delete = !chunk_has_delete_row_triggers(prel);
    table_close(prel, NoLock);
  }
  List* meta = NIL;
  meta = lappend_int(meta, (int)chunk->relid);
  meta = lappend_int(meta, chunk->id);
  meta = lappend_int(meta, whole_delete ? 1 : 0);
  List* priv = list_make2(list_make2(meta, ints), exprs);
  rel->partial_pathlist = NIL;
  foreach (lc, rel->pathlist) {
    Path* sub = (Path*)lfirst(lc);
    CustomPath* cp = makeNode(CustomPath);
    cp->path.pathtype = T_CustomScan;
    cp->path.parent = rel;
    cp->path.pathtarget = rel->reltarget;
    cp->path.param_info = sub->param_info;
    cp->path.parallel_aware = false;
    cp->path.parallel_safe = false;
    cp->path.parallel_workers = 0;
    cp->path.rows = sub->rows;
    cp->path.startup_cost = sub->startup_cost;
    cp->path.total_cost = sub->total_cost;
    cp->path.pathkeys = sub->pathkeys;
    cp->flags = 0;
    cp->custom_paths = list_make1(sub);
    cp->custom_private = priv;
    cp->methods = &dml_path_methods;
    lfirst(lc) = cp;
  }
  // Parameterized paths are kept in the same list; their cheapest ones are recomputed by
  // set_cheapest.
}

}  // namespace

void dml_init() {
  dml_path_methods.CustomName = "CompressedDml";
  dml_path_methods.PlanCustomPath = pg::guarded<plan_dml_path>;
  dml_scan_methods.CustomName = "CompressedDml";
  dml_scan_methods.CreateCustomScanState = pg::guarded<create_dml_state>;
  dml_exec_methods.CustomName = "CompressedDml";
  dml_exec_methods.BeginCustomScan = pg::guarded<dml_begin>;
  dml_exec_methods.ExecCustomScan = pg::guarded<dml_exec>;
  dml_exec_methods.EndCustomScan = pg::guarded<dml_end>;
  dml_exec_methods.ReScanCustomScan = pg::guarded<dml_rescan>;
  dml_exec_methods.ExplainCustomScan = pg::guarded<dml_explain>;
  RegisterCustomScanMethods(&dml_scan_methods);
  compressed_chunk_dml = plan_compressed_chunk_dml;
}

}  // namespace strata::columnstore
