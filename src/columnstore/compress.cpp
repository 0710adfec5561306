// Compressing and decompressing chunks (docs/COLUMNSTORE.md, "Compressing a chunk"): rows sorted
// by PostgreSQL's tuplesort, encoded batch by batch through the bridge's BatchBuilder into the
// companion table, the row part emptied under AccessExclusiveLock at the end; and back. Also the
// SQL functions compress_chunk / decompress_chunk. C-style glue.
#include "columnstore/batch_writer.hpp"
#include "columnstore/columnstore.hpp"
#include "columnstore/compress_parallel.hpp"
#include "columnstore/sample_stats.hpp"
#include "columnstore/storage.hpp"
#include "hypertable/chunk.hpp"
#include "pg/compat.hpp"
#include "pg/guard.hpp"
#include "pg/pg.hpp"
#include "pg/summary.hpp"

extern "C" {
#include "access/genam.h"
#include "access/heapam.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "access/tupdesc_details.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/tablecmds.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "parser/parse_relation.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/sortsupport.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/tuplesort.h"
#include "utils/typcache.h"
}

#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <pthread.h>

namespace strata::columnstore {

bool guc_compression_progress = false;
bool guc_compression_index_scan = true;
bool guc_compression_sort_in_memory = true;
bool guc_compression_encode_thread = true;
int guc_compression_test_encode_delay = 0;
bool guc_compression_reuse_codecs = true;
bool guc_compression_shared_dictionaries = true;
int guc_compression_format_version = kStorageFormatVersion;
bool guc_compression_copy_rows = true;
bool guc_compression_prefault_memory = true;
bool guc_compression_reuse_memory = true;
bool guc_compression_skip_repeats = true;
bool guc_compression_column_appends = true;
bool guc_compression_statistics_overlap = true;

namespace {

// ---- shared ---------------------------------------------------------------------------------

struct ChunkTarget {
  ChunkInfo chunk;
  Hypertable* ht;
};

// The chunk behind `relid` and its hypertable, or an error; checks ownership.
void resolve_chunk(Oid relid, const char* func, ChunkTarget* out) {
  if (!extension_is_active())
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("the strata extension is not active in this database")));
  const char* relname = get_rel_name(relid);
  if (relname == nullptr)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", relid)));
  if (!chunk_get_by_relid(relid, &out->chunk))
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("\"%s\" is not a chunk", relname),
                    errhint("%s works on chunks; list a hypertable's chunks with show_chunks().", func)));
  out->ht = hypertable_get_by_id(out->chunk.hypertable_id);
  if (out->ht == nullptr) elog(ERROR, "hypertable %d of chunk \"%s\" not found", out->chunk.hypertable_id, relname);
  if (!compat::is_table_owner(out->ht->relid, GetUserId()))
    aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(out->ht->relid));
}

// Takes `mode` on the chunk (false when `nowait` and it is not free) and reads its status again:
// what another transaction committed while this one waited counts.
bool lock_chunk(ChunkTarget* t, LOCKMODE mode, bool nowait) {
  if (nowait) {
    if (!ConditionalLockRelationOid(t->chunk.relid, mode)) return false;
  } else {
    LockRelationOid(t->chunk.relid, mode);
  }
  if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(t->chunk.relid)) || !chunk_get_by_id(t->chunk.id, &t->chunk))
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("the chunk was dropped concurrently")));
  return true;
}

// Sizes of a table: heap (main, fsm, vm), TOAST (with its index) and indexes.
void table_sizes(Oid relid, int64* heap, int64* toast, int64* indexes) {
  int64 table = DatumGetInt64(DirectFunctionCall1(pg_table_size, ObjectIdGetDatum(relid)));
  *indexes = DatumGetInt64(DirectFunctionCall1(pg_indexes_size, ObjectIdGetDatum(relid)));
  Oid toastrel = InvalidOid;
  HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
  if (HeapTupleIsValid(tup)) {
    toastrel = ((Form_pg_class)GETSTRUCT(tup))->reltoastrelid;
    ReleaseSysCache(tup);
  }
  *toast = OidIsValid(toastrel) ? DatumGetInt64(DirectFunctionCall1(pg_total_relation_size, ObjectIdGetDatum(toastrel)))
                                : 0;
  *heap = table - *toast;
}

// Whether PostgreSQL has column statistics of the chunk's own rows (not those of its inheritance
// tree, which a chunk has none of).
bool has_column_statistics(Oid relid) {
  HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
  if (!HeapTupleIsValid(tup)) return false;
  const int natts = ((Form_pg_class)GETSTRUCT(tup))->relnatts;
  ReleaseSysCache(tup);
  for (int att = 1; att <= natts; ++att)
    if (SearchSysCacheExists3(STATRELATTINH, ObjectIdGetDatum(relid), Int16GetDatum(att), BoolGetDatum(false)))
      return true;
  return false;
}

// ANALYZE of the relation, in this transaction.
void analyze_relation(Oid relid) {
  run_internal_ddl(psprintf("ANALYZE %s", pg::qualified_relname(relid)));
  CommandCounterIncrement();
}

// ---- compression ----------------------------------------------------------------------------

// One column of the chunk as the compressor sees it.
struct SourceColumn {
  AttrNumber attno;  // in the chunk
  const char* name;
  Oid typid;
  int32 typmod;
  Oid collation;
  StorageType type;
};

struct MinMax {
  SourceColumn* col;
  int data_col;    // the builder column of `col`, -1 when it has none (a segmentby column)
  bool int_order;  // a built-in integer-like type (int2/4/8, date, timestamp[tz]): compared as integers
  FmgrInfo cmp;
  AttrNumber min_att, max_att, nulls_att;  // in the companion
  bool has;
  Datum min, max;
  int32 nulls;
};

// The values of one data column that the current batch already holds, by their bytes (an
// open-addressing set, emptied per batch by moving to the next generation). A value met again
// changes neither the batch's min/max nor its bloom filter (the builder keeps each hash once),
// so add_row skips their comparisons and hashing: two text comparisons and a hash per row
// were ~1/8 of the backend's instructions on fleet's device_id (docs/BENCHMARKS.md, branch
// f-compress8). A column whose batches repeat few values is left out for a while.
// The slots are allocated at the set's first value (a compressor made for direct COPY's
// column-wise path, one per chunk it touches, never uses them), and each batch's copies are
// bounded by kSeenBatchBytes: values met after that are compared and hashed like the others.
constexpr uint32 kSeenSlots = 2048;           // a power of 2, at least 2 x kBatchRows
constexpr uint32 kSeenOffBatches = 16;        // batches a column with few repeats is left out
constexpr size_t kSeenMaxBytes = 1024;        // longer values are not remembered (nor copied)
constexpr size_t kSeenBatchBytes = 64 * 1024;  // copies remembered per batch and column
static_assert(kSeenSlots >= 2 * kBatchRows && (kSeenSlots & (kSeenSlots - 1)) == 0,
              "kSeenSlots: a power of 2, at least 2 x kBatchRows (the set stops at half full)");
struct SeenSlot {
  uint32 gen;  // the batch generation that filled it (others: empty)
  uint32 hash;
  uint32 len;
  const char* data;  // a copy in the compressor's batch_cxt
};
struct SeenValues {
  SeenSlot* slots;  // kSeenSlots, allocated in `cxt` at the first value (nullptr before)
  MemoryContext cxt;
  uint32 gen;    // the current batch's generation (from 1)
  uint32 used;   // values inserted in the current batch
  size_t bytes;  // bytes of their copies
  uint32 hits;  // values found in the current batch
  uint32 off;   // batches left during which the set is not used
};

struct Bloom {
  int builder_col;
  FmgrInfo hash;
  Oid collation;
  AttrNumber att;  // in the companion
};

struct Compressor {
  Relation companion;
  TupleDesc cdesc;
  BulkInsertState bistate;
  CommandId cid;
  bridge::Builder* builder;
  int nsegment;
  SourceColumn* segment;      // segmentby columns
  AttrNumber* segment_att;    // in the companion
  Datum* segment_value;       // the current segment (copies in segment_cxt)
  bool* segment_null;
  bool have_segment;
  int ndata;
  SourceColumn* data;         // builder columns, in chunk order
  AttrNumber* data_att;       // in the companion
  int nminmax;
  MinMax* minmax;
  int nbloom;
  Bloom* bloom;
  AttrNumber max_attno;       // the last chunk attribute add_row reads
  AttrNumber count_att, seq_att;
  int32 seq;
  int64 batches;
  int64 dict_rows;
  bridge::RowValue* cells;    // add_row: the row's data column values (ndata)
  SeenValues** seen;          // per data column: values of the current batch (nullptr: not kept)
  int nseen;
  int* seen_cols;             // the data columns that have one
  bool* repeat;               // add_row: per data column, the row's value is in its `seen`
  void** cell_copies;         // add_row: detoasted copies the row's values point into (ndata)
  // Rows added by add_row_pending and not yet handed to the builder: per data column the cells of
  // those rows (kPendingRows each, allocated at the first such row), handed over column by column
  // (append_pending) every kPendingRows rows, when the batch is cut and when a dictionary group starts.
  MemoryContext cxt;          // the compression's (the pending cells and copies' array)
  bridge::RowValue** pend_cells;
  int npending;
  size_t pend_varlen;         // bytes of their Varlen values (the builder's varlen_bytes counts them)
  bool* value_is_datum;       // per data column: storage_value_is_datum
  int16* data_idx;            // per data column: its attribute's index (attno - 1)
  bool* varlen_col;           // per data column: codec type Varlen
  bool* plain_varlena;        // per data column: codec type Varlen and a varlena type (row_value)
  void** pend_copies;         // detoasted copies the pending cells point into
  int npend_copies, cap_pend_copies;
  MemoryContext batch_cxt;    // min/max copies of the current batch
  MemoryContext segment_cxt;  // the current segment's values
  Datum* values;              // companion row
  bool* nulls;
  // Recompression writes into a companion that has its index: entries are inserted per batch.
  ResultRelInfo* rri;
  EState* estate;
  TupleTableSlot* cslot;
  // Encoding on the builder's worker thread (compressor_encode_async): batch N is written after
  // batch N+1 has been handed to the worker. pending[k] holds a submitted batch's companion row
  // without its data columns (copies in its own context); pending_next is the slot the next
  // submitted batch takes, the other one belongs to the batch in flight.
  // Shared dictionaries (compress_memrows only: a group's rows are read once more to plan them):
  // the builder columns planned (Varlen/Uuid data columns, dropped from the list once their
  // batches' own dictionaries prove small), the companion's _strata_dict, the position in the
  // rows' order where the next group starts, and a slot for the planning pass.
  int ndict;
  int* dict_cols;
  int* dict_kept;   // per candidate: groups since its kept dictionary was planned (-1: planned per group)
  bool* dict_plan;  // per candidate: planned in the current group
  AttrNumber dict_att;
  int64 group_end;
  TupleTableSlot* plan_slot;
  struct DeformAtt* plan_deform;  // the planning pass's deforming (deform_plain), up to max_attno
  Datum* plan_values;
  bool* plan_isnull;
  bool async;
  struct Pending {
    MemoryContext cxt;
    Datum* values;
    bool* nulls;
  } pending[2];
  int pending_next;
};

SourceColumn* find_source(SourceColumn* cols, int n, const char* name) {
  for (int i = 0; i < n; ++i)
    if (strcmp(cols[i].name, name) == 0) return &cols[i];
  return nullptr;
}

// The data (builder) column of chunk attribute `attno`, or -1 (a segmentby column).
int data_index(const Compressor* c, AttrNumber attno) {
  for (int i = 0; i < c->ndata; ++i)
    if (c->data[i].attno == attno) return i;
  return -1;
}

AttrNumber companion_att(Relation rel, const char* name) {
  AttrNumber a = attnameAttNum(rel, name, false);
  if (a == InvalidAttrNumber) elog(ERROR, "columnstore: companion column \"%s\" missing", name);
  return a;
}

// The companion row of the current batch without its data columns, into values / nulls: the
// segment, count, seq and min/max (copied into the current memory context when `copy`).
void batch_metadata(Compressor* c, int rows, Datum* values, bool* nulls, bool copy) {
  for (int i = 0; i < c->cdesc->natts; ++i) nulls[i] = true;
  for (int i = 0; i < c->nsegment; ++i) {
    const SourceColumn* col = &c->segment[i];
    values[c->segment_att[i] - 1] = copy && !c->segment_null[i]
                                        ? datumCopy(c->segment_value[i], col->type.typbyval, col->type.typlen)
                                        : c->segment_value[i];
    nulls[c->segment_att[i] - 1] = c->segment_null[i];
  }
  c->seq++;
  values[c->count_att - 1] = Int32GetDatum(rows);
  nulls[c->count_att - 1] = false;
  values[c->seq_att - 1] = Int32GetDatum(c->seq);
  nulls[c->seq_att - 1] = false;
  for (int k = 0; k < c->nminmax; ++k) {
    MinMax* m = &c->minmax[k];
    const bool byval = m->col->type.typbyval;
    const int16 len = m->col->type.typlen;
    values[m->min_att - 1] = copy && m->has ? datumCopy(m->min, byval, len) : m->min;
    nulls[m->min_att - 1] = !m->has;
    values[m->max_att - 1] = copy && m->has ? datumCopy(m->max, byval, len) : m->max;
    nulls[m->max_att - 1] = !m->has;
    values[m->nulls_att - 1] = Int32GetDatum(m->nulls);
    nulls[m->nulls_att - 1] = false;
  }
}

// Whether the current batch already holds the value `v` (not NULL, by its bytes); if not, it is
// remembered (a copy in `cxt`) unless the set is full, over its bytes or left out.
bool seen_values_add(SeenValues* s, const bridge::RowValue* v, MemoryContext cxt) {
  if (s->off > 0 || s->used >= kSeenSlots / 2 || v->len > kSeenMaxBytes) return false;
  if (s->slots == nullptr) s->slots = (SeenSlot*)MemoryContextAllocZero(s->cxt, sizeof(SeenSlot) * kSeenSlots);
  const uint32 len = (uint32)v->len;
  const uint32 h = hash_bytes((const unsigned char*)v->data, (int)len);
  for (uint32 i = h & (kSeenSlots - 1);; i = (i + 1) & (kSeenSlots - 1)) {
    SeenSlot* e = &s->slots[i];
    if (e->gen != s->gen) {
      if (s->bytes + len > kSeenBatchBytes) return false;  // (not remembered: compared and hashed)
      s->bytes += len;
      char* copy = (char*)MemoryContextAlloc(cxt, Max(len, 1));
      memcpy(copy, v->data, len);
      *e = SeenSlot{s->gen, h, len, copy};
      s->used++;
      return false;
    }
    if (e->hash == h && e->len == len && memcmp(e->data, v->data, len) == 0) {
      s->hits++;
      return true;
    }
  }
}

// Empties the set for the next batch; a set whose batch repeated less than a quarter of its
// values is left out for the next kSeenOffBatches batches.
void seen_values_reset(SeenValues* s) {
  if (s->off > 0) {
    s->off--;
  } else if (s->used + s->hits >= 64 && s->hits * 4 < s->used + s->hits) {
    s->off = kSeenOffBatches;
  }
  s->gen++;
  if (s->gen == 0) {  // wrapped: slots of generation 0 would look filled
    if (s->slots != nullptr) memset(s->slots, 0, sizeof(SeenSlot) * kSeenSlots);
    s->gen = 1;
  }
  s->used = 0;
  s->bytes = 0;
  s->hits = 0;
}

// Forgets the current batch's min/max and values met (their copies live in batch_cxt).
void batch_metadata_reset(Compressor* c) {
  MemoryContextReset(c->batch_cxt);
  for (int k = 0; k < c->nminmax; ++k) {
    c->minmax[k].has = false;
    c->minmax[k].nulls = 0;
  }
  for (int j = 0; j < c->nseen; ++j) seen_values_reset(c->seen[c->seen_cols[j]]);
}

// Inserts a companion row (and, when recompressing, its index entries).
void insert_companion_row(Compressor* c, HeapTuple tup) {
  heap_insert(c->companion, tup, c->cid, 0, c->bistate);
  if (c->rri != nullptr && c->rri->ri_NumIndices > 0) {
    ExecStoreHeapTuple(tup, c->cslot, false);
    compat::insert_index_tuples(c->rri, c->cslot, c->estate);
    ExecClearTuple(c->cslot);
  }
}

// Adds the data columns of the builder's finished batch to values / nulls (bytea in the current
// memory context) and inserts the row (and its index entries).
void write_batch_row(Compressor* c, Datum* values, bool* nulls) {
  for (int i = 0; i < c->ndata; ++i) {
    const uint8* data;
    size_t len;
    const uint8* bloom;
    size_t bloom_len;
    bridge::builder_column(c->builder, i, &data, &len, &bloom, &bloom_len);
    if (len > MaxAllocSize - VARHDRSZ)
      ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("compressed batch column too large")));
    bytea* b = (bytea*)palloc(len + VARHDRSZ);
    SET_VARSIZE(b, len + VARHDRSZ);
    memcpy(VARDATA(b), data, len);
    values[c->data_att[i] - 1] = PointerGetDatum(b);
    nulls[c->data_att[i] - 1] = false;
    for (int k = 0; k < c->nbloom; ++k) {
      if (c->bloom[k].builder_col != i || bloom == nullptr) continue;
      bytea* f = (bytea*)palloc(bloom_len + VARHDRSZ);
      SET_VARSIZE(f, bloom_len + VARHDRSZ);
      memcpy(VARDATA(f), bloom, bloom_len);
      values[c->bloom[k].att - 1] = PointerGetDatum(f);
      nulls[c->bloom[k].att - 1] = false;
    }
  }
  insert_companion_row(c, heap_form_tuple(c->cdesc, values, nulls));
  c->batches++;
}

// Writes a dictionary row of the current segment holding one serialized shared dictionary.
void write_dictionary_row(Compressor* c, const uint8* data, size_t len) {
  Datum* values = (Datum*)palloc0(sizeof(Datum) * c->cdesc->natts);
  bool* nulls = (bool*)palloc(sizeof(bool) * c->cdesc->natts);
  for (int i = 0; i < c->cdesc->natts; ++i) nulls[i] = true;
  for (int i = 0; i < c->nsegment; ++i) {
    values[c->segment_att[i] - 1] = c->segment_value[i];
    nulls[c->segment_att[i] - 1] = c->segment_null[i];
  }
  values[c->count_att - 1] = Int32GetDatum(0);
  nulls[c->count_att - 1] = false;
  values[c->seq_att - 1] = Int32GetDatum(0);
  nulls[c->seq_att - 1] = false;
  if (len > MaxAllocSize - VARHDRSZ)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("shared dictionary too large")));
  bytea* b = (bytea*)palloc(len + VARHDRSZ);
  SET_VARSIZE(b, len + VARHDRSZ);
  memcpy(VARDATA(b), data, len);
  values[c->dict_att - 1] = PointerGetDatum(b);
  nulls[c->dict_att - 1] = false;
  HeapTuple tup = heap_form_tuple(c->cdesc, values, nulls);
  insert_companion_row(c, tup);
  heap_freetuple(tup);
  pfree(b);
  c->dict_rows++;
  pfree(values);
  pfree(nulls);
}

// Writes the batch in flight on the worker (if any) once it is encoded.
void compressor_drain(Compressor* c) {
  if (!c->async || !bridge::builder_in_flight(c->builder)) return;
  bridge::builder_collect(c->builder);
  Compressor::Pending* p = &c->pending[1 - c->pending_next];
  MemoryContext old = MemoryContextSwitchTo(p->cxt);
  write_batch_row(c, p->values, p->nulls);
  MemoryContextSwitchTo(old);
  MemoryContextReset(p->cxt);
}

// From here on, batches are encoded on the builder's worker thread, overlapping the reading of
// the next batch's rows (compressor_drain writes the last one).
void compressor_encode_async(Compressor* c, MemoryContext work) {
  if (!guc_compression_encode_thread) return;
  c->async = true;
  bridge::builder_test_encode_delay(c->builder, guc_compression_test_encode_delay);
  for (int k = 0; k < 2; ++k) {
    c->pending[k].cxt = AllocSetContextCreate(work, "columnstore pending batch", ALLOCSET_DEFAULT_SIZES);
    c->pending[k].values = (Datum*)MemoryContextAllocZero(work, sizeof(Datum) * c->cdesc->natts);
    c->pending[k].nulls = (bool*)MemoryContextAllocZero(work, sizeof(bool) * c->cdesc->natts);
  }
  c->pending_next = 0;
}

void append_pending(Compressor* c);

// Writes the current batch as one companion row (with async encoding: hands it to the worker and
// writes the batch before it).
void flush_batch(Compressor* c) {
  append_pending(c);
  const int rows = (int)bridge::builder_rows(c->builder);
  if (rows == 0) return;
  if (!c->async) {
    bridge::builder_finish(c->builder);
    MemoryContext old = MemoryContextSwitchTo(c->batch_cxt);
    batch_metadata(c, rows, c->values, c->nulls, false);
    write_batch_row(c, c->values, c->nulls);
    MemoryContextSwitchTo(old);
    batch_metadata_reset(c);
    return;
  }
  const bool ready = bridge::builder_in_flight(c->builder);
  if (ready) bridge::builder_collect(c->builder);
  Compressor::Pending* p = &c->pending[c->pending_next];
  MemoryContext old = MemoryContextSwitchTo(p->cxt);
  batch_metadata(c, rows, p->values, p->nulls, true);
  MemoryContextSwitchTo(old);
  batch_metadata_reset(c);
  bridge::builder_submit(c->builder);
  c->pending_next = 1 - c->pending_next;
  if (ready) {
    Compressor::Pending* w = &c->pending[c->pending_next];
    old = MemoryContextSwitchTo(w->cxt);
    write_batch_row(c, w->values, w->nulls);
    MemoryContextSwitchTo(old);
    MemoryContextReset(w->cxt);
  }
}

bool same_segment(Compressor* c, TupleTableSlot* slot) {
  if (!c->have_segment) return false;
  for (int i = 0; i < c->nsegment; ++i) {
    bool isnull;
    Datum v = slot_getattr(slot, c->segment[i].attno, &isnull);
    if (isnull != c->segment_null[i]) return false;
    // Segments are told apart by their exact bytes: numeric 1.0 and 1.00 sort together but are
    // stored as the values they are.
    if (!isnull &&
        !storage_segment_value_eq(v, c->segment_value[i], c->segment[i].type.typbyval, c->segment[i].type.typlen))
      return false;
  }
  return true;
}

void start_segment(Compressor* c, TupleTableSlot* slot) {
  MemoryContextReset(c->segment_cxt);
  MemoryContext old = MemoryContextSwitchTo(c->segment_cxt);
  for (int i = 0; i < c->nsegment; ++i) {
    bool isnull;
    Datum v = slot_getattr(slot, c->segment[i].attno, &isnull);
    c->segment_null[i] = isnull;
    c->segment_value[i] = isnull ? (Datum)0 : datumCopy(v, c->segment[i].type.typbyval, c->segment[i].type.typlen);
  }
  MemoryContextSwitchTo(old);
  c->have_segment = true;
  c->seq = 0;
}

int64 int_datum(Datum v, int16 len) {
  return len == 2 ? (int64)DatumGetInt16(v) : len == 4 ? (int64)DatumGetInt32(v) : DatumGetInt64(v);
}

// A non-NULL value into the current batch's min/max of `m`. The comparisons are strict (< and >):
// among values that compare equal with different bytes (a nondeterministic collation, numeric
// 1.0 / 1.00) the FIRST stays, which SeenValues relies on: a later repeat it skips could not
// have replaced the min or max (columnstore_skip_repeats checks it).
inline __attribute__((always_inline)) void minmax_add(Compressor* c, MinMax* m, Datum v) {
  const bool byval = m->col->type.typbyval;
  const int16 len = m->col->type.typlen;
  if (m->int_order) {
    // by value, ordered as the integers they hold (what their btree comparison functions do)
    if (!m->has) {
      m->min = m->max = v;
      m->has = true;
    } else if (int_datum(v, len) < int_datum(m->min, len)) {
      m->min = v;
    } else if (int_datum(v, len) > int_datum(m->max, len)) {
      m->max = v;
    }
    return;
  }
  if (!m->has) {
    MemoryContext old = MemoryContextSwitchTo(c->batch_cxt);
    m->min = datumCopy(v, byval, len);
    m->max = m->min;
    MemoryContextSwitchTo(old);
    m->has = true;
    return;
  }
  if (DatumGetInt32(FunctionCall2Coll(&m->cmp, m->col->collation, v, m->min)) < 0) {
    MemoryContext old = MemoryContextSwitchTo(c->batch_cxt);
    m->min = datumCopy(v, byval, len);
    MemoryContextSwitchTo(old);
  }
  if (DatumGetInt32(FunctionCall2Coll(&m->cmp, m->col->collation, v, m->max)) > 0) {
    MemoryContext old = MemoryContextSwitchTo(c->batch_cxt);
    m->max = datumCopy(v, byval, len);
    MemoryContextSwitchTo(old);
  }
}

// The row's min/max, bloom hashes and repeat sets, from its deformed values in `slot` and its
// cells (cell of data column i at cells[i * stride]).
inline __attribute__((always_inline)) void row_metadata(Compressor* c, const Datum* values, const bool* isnull,
                                                        const bridge::RowValue* cells, size_t stride) {
  // (repeat stays false for the columns without a set)
  for (int j = 0; j < c->nseen; ++j) {
    const int i = c->seen_cols[j];
    const bridge::RowValue* v = &cells[(size_t)i * stride];
    c->repeat[i] = !v->null && seen_values_add(c->seen[i], v, c->batch_cxt);
  }
  for (int k = 0; k < c->nbloom; ++k) {
    const int i = c->bloom[k].builder_col;
    // (a value the batch holds already: its hash is in the bloom filter's)
    if (i < 0 || cells[(size_t)i * stride].null || c->repeat[i]) continue;
    const Datum v = values[c->data[i].attno - 1];
    Datum h = FunctionCall2Coll(&c->bloom[k].hash, c->bloom[k].collation, v, Int64GetDatum(0));
    bridge::builder_add_bloom_hash(c->builder, i, (uint64)DatumGetInt64(h));
  }
  for (int k = 0; k < c->nminmax; ++k) {
    MinMax* m = &c->minmax[k];
    if (isnull[m->col->attno - 1])
      m->nulls++;
    else if (m->data_col < 0 || !c->repeat[m->data_col])  // (a repeat is within min/max already)
      minmax_add(c, m, values[m->col->attno - 1]);
  }
}

void add_row(Compressor* c, TupleTableSlot* slot) {
  // Every attribute read below deformed at once (slot_getattr, one column at a time, resumed the
  // deforming in a call per column). The row's values go to the builder in one call
  // (builder_append_row): a bridge call, a type dispatch and the builder's checks per value were
  // a tenth of the backend's time (docs/BENCHMARKS.md, branch f-compress3). Detoasted copies are
  // freed once the row is appended.
  slot_getsomeattrs(slot, c->max_attno);
  int ncopies = 0;
  for (int i = 0; i < c->ndata; ++i) {
    const bool isnull = slot->tts_isnull[c->data[i].attno - 1];
    const Datum v = slot->tts_values[c->data[i].attno - 1];
    void* copy = storage_row_value(&c->data[i].type, v, isnull, &c->cells[i]);
    if (copy != nullptr) c->cell_copies[ncopies++] = copy;
  }
  row_metadata(c, slot->tts_values, slot->tts_isnull, c->cells, 1);
  bridge::builder_append_row(c->builder, c->cells);
  for (int i = 0; i < ncopies; ++i) pfree(c->cell_copies[i]);
}

// storage_row_value's cell, the call saved for a text-like value stored plainly in the row.
inline __attribute__((always_inline)) void* row_value(const Compressor* c, int i, Datum v, bool isnull,
                                                      bridge::RowValue* cell) {
  if (!isnull && c->plain_varlena[i]) {
    const struct varlena* p = (const struct varlena*)DatumGetPointer(v);
    if (!VARATT_IS_EXTERNAL(p) && !VARATT_IS_COMPRESSED(p)) {
      cell->null = false;
      cell->data = VARDATA_ANY(p);
      cell->len = VARSIZE_ANY_EXHDR(p);
      return nullptr;
    }
  }
  return storage_row_value(&c->data[i].type, v, isnull, cell);
}

// ---- rows handed to the builder column by column ----
//
// add_row hands each row to the builder as it comes (a type dispatch, checks and a store per
// value: ~60 instructions a value, plus the cell's conversion: a third of the backend's main
// thread on devops, docs/BENCHMARKS.md, branch f-compress10). compress_memrows instead keeps the
// batch's cells column by column (add_row_pending: the row deformed once, its min/max, bloom
// hashes and repeat sets as add_row keeps them) and hands each column's cells over in one call
// every kPendingRows rows and when the batch is cut (append_pending: BatchBuilder::append_column,
// a tight loop per column).
// The batch is cut where add_row's would be (pending_full: the builder's rows and varlen bytes
// with the pending rows counted in), so the batches are the same bytes.
// strata.compression_column_appends.

constexpr int kPendingRows = 128;

// Whether the batch (the builder's rows and the pending ones) is full, as builder_full and
// builder_varlen_bytes tell it for add_row.
bool pending_full(const Compressor* c) {
  return bridge::builder_rows(c->builder) + (size_t)c->npending >= (size_t)kBatchRows ||
         bridge::builder_varlen_bytes(c->builder) + c->pend_varlen > kBatchMaxVarlenBytes;
}

// Hands the pending rows to the builder, column by column.
void append_pending(Compressor* c) {
  if (c->npending == 0) return;
  for (int i = 0; i < c->ndata; ++i) bridge::builder_append_column(c->builder, i, c->pend_cells[i], (size_t)c->npending);
  bridge::builder_end_rows(c->builder, (size_t)c->npending);
  for (int k = 0; k < c->npend_copies; ++k) pfree(c->pend_copies[k]);
  c->npend_copies = 0;
  c->npending = 0;
  c->pend_varlen = 0;
}

// add_row of a row deformed into values / isnull (at least c->max_attno of them), with the row's
// cells kept for append_pending (the caller cuts batches with pending_full, which also keeps the
// pending rows within kBatchRows).
void add_row_pending(Compressor* c, const Datum* values, const bool* isnull) {
  if (c->pend_cells == nullptr) {
    // (one block: the cells of data column i from (i * kPendingRows))
    bridge::RowValue* block =
        (bridge::RowValue*)MemoryContextAlloc(c->cxt, sizeof(bridge::RowValue) * kPendingRows * Max(c->ndata, 1));
    c->pend_cells = (bridge::RowValue**)MemoryContextAlloc(c->cxt, sizeof(bridge::RowValue*) * (c->ndata + 1));
    for (int i = 0; i < Max(c->ndata, 1); ++i) c->pend_cells[i] = block + (size_t)i * kPendingRows;
  }
  const int j = c->npending;
  for (int i = 0; i < c->ndata; ++i) {
    const int a = c->data_idx[i];
    bridge::RowValue* cell = &c->pend_cells[i][j];
    if (c->value_is_datum[i]) {
      cell->null = isnull[a];
      cell->bits = (uint64)values[a];
      continue;
    }
    void* copy = row_value(c, i, values[a], isnull[a], cell);
    if (copy != nullptr) {
      if (c->npend_copies == c->cap_pend_copies) {
        c->cap_pend_copies = c->cap_pend_copies == 0 ? 64 : c->cap_pend_copies * 2;
        c->pend_copies = c->pend_copies == nullptr
                             ? (void**)MemoryContextAlloc(c->cxt, sizeof(void*) * c->cap_pend_copies)
                             : (void**)repalloc(c->pend_copies, sizeof(void*) * c->cap_pend_copies);
      }
      c->pend_copies[c->npend_copies++] = copy;
    }
    if (c->varlen_col[i] && !cell->null) c->pend_varlen += cell->len;
  }
  row_metadata(c, values, isnull, &c->pend_cells[0][j], kPendingRows);
  // (handed over every kPendingRows rows: a batch's cells, 32 bytes a value, would leave the
  // core's caches before they are read back)
  if (++c->npending == kPendingRows) append_pending(c);
}

// The companion goes when its chunk is dropped (DROP TABLE, drop_chunks, retention, DROP TABLE of
// the hypertable): an AUTO dependency of the companion on the chunk.
void record_companion_dependency(Oid companion_relid, Oid chunk_relid) {
  ObjectAddress companion_addr, chunk_addr;
  ObjectAddressSet(companion_addr, RelationRelationId, companion_relid);
  ObjectAddressSet(chunk_addr, RelationRelationId, chunk_relid);
  recordDependencyOn(&companion_addr, &chunk_addr, DEPENDENCY_AUTO);
}

// Creates the companion table (empty, without its index) and returns its relid.
Oid create_companion(const ChunkTarget* t, const CompressionSettings* s, SourceColumn* cols, int ncols,
                     const char* name) {
  StringInfoData sql;
  initStringInfo(&sql);
  appendStringInfo(&sql, "CREATE TABLE %s.%s (", quote_identifier(get_namespace_name(internal_namespace_oid())),
                   quote_identifier(name));
  for (int i = 0; i < s->nsegmentby; ++i) {
    SourceColumn* col = find_source(cols, ncols, s->segmentby[i]);
    appendStringInfo(&sql, "%s %s, ", quote_identifier(col->name),
                     storage_type_sql(col->typid, col->typmod, col->collation));
  }
  appendStringInfo(&sql, "%s integer NOT NULL, %s integer NOT NULL", kCountColumn, kSeqColumn);
  char buf[NAMEDATALEN];
  for (int k = 0; k < s->nminmax; ++k) {
    SourceColumn* col = find_source(cols, ncols, s->minmax[k]);
    const char* ts = storage_type_sql(col->typid, col->typmod, col->collation);
    storage_min_column(k + 1, buf);
    appendStringInfo(&sql, ", %s %s", buf, ts);
    storage_max_column(k + 1, buf);
    appendStringInfo(&sql, ", %s %s", buf, ts);
    storage_nulls_column(k + 1, buf);
    appendStringInfo(&sql, ", %s integer", buf);
  }
  for (int k = 0; k < s->nbloom; ++k) {
    storage_bloom_column(k + 1, buf);
    appendStringInfo(&sql, ", %s bytea", buf);
  }
  StringInfoData storage;
  initStringInfo(&storage);
  // Dictionary rows' shared dictionaries (NULL in batch rows), after the metadata: a batch row's
  // NULL costs a bit of its null bitmap.
  if (guc_compression_format_version >= 2) {  // (version 1 has none)
    appendStringInfo(&sql, ", %s bytea", kDictColumn);
    appendStringInfo(&storage, "ALTER COLUMN %s SET STORAGE EXTERNAL", kDictColumn);
  }
  for (int i = 0; i < ncols; ++i) {
    if (storage_name_index(s->segmentby, s->nsegmentby, cols[i].name) >= 0) continue;
    appendStringInfo(&sql, ", %s bytea", quote_identifier(cols[i].name));
    appendStringInfo(&storage, "%sALTER COLUMN %s SET STORAGE EXTERNAL", storage.len > 0 ? ", " : "",
                     quote_identifier(cols[i].name));
  }
  // A batch row stays whole on its heap page when it fits (toast_tuple_target at its maximum): a
  // value moved out of line costs a TOAST tuple header, a TOAST index entry, an 18-byte pointer and
  // the free space left on TOAST pages, 17% of a devops chunk's bytes (docs/BENCHMARKS.md, branch
  // f-size). Rows that do not fit still have their largest values TOASTed, uncompressed (EXTERNAL).
  appendStringInfo(&sql, ") WITH (toast_tuple_target = %d)", kCompanionToastTarget);
  Oid owner = InvalidOid;
  HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(t->chunk.relid));
  if (HeapTupleIsValid(tup)) {
    owner = ((Form_pg_class)GETSTRUCT(tup))->relowner;
    ReleaseSysCache(tup);
  }
  const char* qname = psprintf("%s.%s", quote_identifier(get_namespace_name(internal_namespace_oid())),
                               quote_identifier(name));
  run_internal_ddl(sql.data);
  if (storage.len > 0) run_internal_ddl(psprintf("ALTER TABLE %s %s", qname, storage.data));
  if (OidIsValid(owner))
    run_internal_ddl(psprintf("ALTER TABLE %s OWNER TO %s", qname, quote_identifier(GetUserNameFromId(owner, false))));
  CommandCounterIncrement();
  Oid relid = get_relname_relid(name, internal_namespace_oid());
  if (!OidIsValid(relid)) elog(ERROR, "columnstore: companion table %s was not created", name);
  record_companion_dependency(relid, t->chunk.relid);
  CommandCounterIncrement();
  return relid;
}

void create_companion_index(const CompressionSettings* s, const char* name) {
  if (s->nsegmentby == 0 && s->nminmax == 0) return;
  StringInfoData sql;
  initStringInfo(&sql);
  appendStringInfo(&sql, "CREATE INDEX ON %s.%s (", quote_identifier(get_namespace_name(internal_namespace_oid())),
                   quote_identifier(name));
  for (int i = 0; i < s->nsegmentby; ++i) appendStringInfo(&sql, "%s%s", i > 0 ? ", " : "", quote_identifier(s->segmentby[i]));
  if (s->nminmax > 0) {
    char buf[NAMEDATALEN];
    storage_min_column(1, buf);
    appendStringInfo(&sql, "%s%s", s->nsegmentby > 0 ? ", " : "", buf);
  }
  appendStringInfoString(&sql, ")");
  run_internal_ddl(sql.data);
  CommandCounterIncrement();
}

// Empties the chunk's row part as TRUNCATE does: new relfilenodes for the heap and its TOAST
// table, indexes rebuilt empty. Transactional; the caller holds AccessExclusiveLock.
void empty_row_part(Oid relid) {
  Relation rel = table_open(relid, AccessExclusiveLock);
  RelationSetNewRelfilenode(rel, rel->rd_rel->relpersistence);
  Oid toast = rel->rd_rel->reltoastrelid;
  if (OidIsValid(toast)) {
    Relation toastrel = relation_open(toast, AccessExclusiveLock);
    RelationSetNewRelfilenode(toastrel, toastrel->rd_rel->relpersistence);
    table_close(toastrel, NoLock);
  }
  table_close(rel, NoLock);
  ReindexParams params = {0};
  reindex_relation(relid, REINDEX_REL_PROCESS_TOAST, &params);
  CommandCounterIncrement();
}

// The chunk's live columns, and a check that every column the settings name is one of them.
SourceColumn* chunk_columns(Relation rel, const CompressionSettings* s, int* ncols_out) {
  TupleDesc desc = RelationGetDescr(rel);
  SourceColumn* cols = (SourceColumn*)palloc0(sizeof(SourceColumn) * (desc->natts > 0 ? desc->natts : 1));
  int ncols = 0;
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (att->attisdropped) continue;
    SourceColumn* c = &cols[ncols++];
    c->attno = att->attnum;
    c->name = pstrdup(NameStr(att->attname));
    c->typid = att->atttypid;
    c->typmod = att->atttypmod;
    c->collation = att->attcollation;
    storage_type(att->atttypid, &c->type);
  }
  // Settings name columns of the hypertable; each must be a column of the chunk.
  for (int i = 0; i < s->nsegmentby + s->norderby + s->nminmax + s->nbloom; ++i) {
    const char* n = i < s->nsegmentby ? s->segmentby[i]
                    : i < s->nsegmentby + s->norderby ? s->orderby[i - s->nsegmentby]
                    : i < s->nsegmentby + s->norderby + s->nminmax ? s->minmax[i - s->nsegmentby - s->norderby]
                                                                   : s->bloom[i - s->nsegmentby - s->norderby - s->nminmax];
    if (find_source(cols, ncols, n) == nullptr)
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                      errmsg("column \"%s\" of the columnstore settings does not exist in chunk \"%s\"", n,
                             RelationGetRelationName(rel)),
                      errhint("Change the hypertable's settings with ALTER TABLE ... SET (timescaledb.compress_...).")));
  }
  *ncols_out = ncols;
  return cols;
}

// Sets up a compressor writing batches into `companion` (opened by the caller), in `work`.
void compressor_init(Compressor* c, Relation companion, const CompressionSettings* s, SourceColumn* cols, int ncols,
                     MemoryContext work) {
  memset(c, 0, sizeof *c);
  c->cxt = work;
  c->companion = companion;
  c->cdesc = RelationGetDescr(c->companion);
  c->bistate = GetBulkInsertState();
  c->cid = GetCurrentCommandId(true);
  c->values = (Datum*)palloc0(sizeof(Datum) * c->cdesc->natts);
  c->nulls = (bool*)palloc0(sizeof(bool) * c->cdesc->natts);
  c->count_att = companion_att(c->companion, kCountColumn);
  c->seq_att = companion_att(c->companion, kSeqColumn);
  c->batch_cxt = AllocSetContextCreate(work, "columnstore batch", ALLOCSET_DEFAULT_SIZES);
  c->segment_cxt = AllocSetContextCreate(work, "columnstore segment", ALLOCSET_SMALL_SIZES);

  c->nsegment = s->nsegmentby;
  c->segment = (SourceColumn*)palloc0(sizeof(SourceColumn) * (s->nsegmentby + 1));
  c->segment_att = (AttrNumber*)palloc0(sizeof(AttrNumber) * (s->nsegmentby + 1));
  c->segment_value = (Datum*)palloc0(sizeof(Datum) * (s->nsegmentby + 1));
  c->segment_null = (bool*)palloc0(sizeof(bool) * (s->nsegmentby + 1));
  for (int i = 0; i < s->nsegmentby; ++i) {
    c->segment[i] = *find_source(cols, ncols, s->segmentby[i]);
    c->segment_att[i] = companion_att(c->companion, s->segmentby[i]);
  }
  c->data = (SourceColumn*)palloc0(sizeof(SourceColumn) * (ncols + 1));
  c->data_att = (AttrNumber*)palloc0(sizeof(AttrNumber) * (ncols + 1));
  c->cells = (bridge::RowValue*)palloc0(sizeof(bridge::RowValue) * (ncols + 1));
  c->cell_copies = (void**)palloc0(sizeof(void*) * (ncols + 1));
  c->seen = (SeenValues**)palloc0(sizeof(SeenValues*) * (ncols + 1));
  c->repeat = (bool*)palloc0(sizeof(bool) * (ncols + 1));
  c->seen_cols = (int*)palloc0(sizeof(int) * (ncols + 1));
  uint8* types = (uint8*)palloc0(ncols + 1);
  bool* bloomflags = (bool*)palloc0(ncols + 1);
  for (int i = 0; i < ncols; ++i) {
    if (storage_name_index(s->segmentby, s->nsegmentby, cols[i].name) >= 0) continue;
    types[c->ndata] = cols[i].type.codec_type;
    bloomflags[c->ndata] = storage_name_index(s->bloom, s->nbloom, cols[i].name) >= 0;
    c->data_att[c->ndata] = companion_att(c->companion, cols[i].name);
    c->data[c->ndata++] = cols[i];
  }
  c->nminmax = s->nminmax;
  c->minmax = (MinMax*)palloc0(sizeof(MinMax) * (s->nminmax + 1));
  char buf[NAMEDATALEN];
  for (int k = 0; k < s->nminmax; ++k) {
    MinMax* m = &c->minmax[k];
    m->col = find_source(cols, ncols, s->minmax[k]);
    TypeCacheEntry* tc = lookup_type_cache(m->col->typid, TYPECACHE_CMP_PROC_FINFO);
    if (!OidIsValid(tc->cmp_proc_finfo.fn_oid))
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                      errmsg("could not identify a comparison function for type %s", format_type_be(m->col->typid))));
    fmgr_info_copy(&m->cmp, &tc->cmp_proc_finfo, work);
    const Oid t = m->col->typid;
    m->int_order = t == INT2OID || t == INT4OID || t == INT8OID || t == DATEOID || t == TIMESTAMPOID ||
                   t == TIMESTAMPTZOID;
    m->data_col = data_index(c, m->col->attno);
    storage_min_column(k + 1, buf);
    m->min_att = companion_att(c->companion, buf);
    storage_max_column(k + 1, buf);
    m->max_att = companion_att(c->companion, buf);
    storage_nulls_column(k + 1, buf);
    m->nulls_att = companion_att(c->companion, buf);
  }
  c->nbloom = s->nbloom;
  c->bloom = (Bloom*)palloc0(sizeof(Bloom) * (s->nbloom + 1));
  for (int k = 0; k < s->nbloom; ++k) {
    Bloom* b = &c->bloom[k];
    SourceColumn* col = find_source(cols, ncols, s->bloom[k]);
    b->builder_col = data_index(c, col->attno);
    TypeCacheEntry* tc = lookup_type_cache(col->typid, TYPECACHE_HASH_EXTENDED_PROC_FINFO);
    if (!OidIsValid(tc->hash_extended_proc_finfo.fn_oid))
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                      errmsg("could not identify an extended hash function for type %s", format_type_be(col->typid))));
    fmgr_info_copy(&b->hash, &tc->hash_extended_proc_finfo, work);
    b->collation = col->collation;
    storage_bloom_column(k + 1, buf);
    b->att = companion_att(c->companion, buf);
  }
  // Values met per batch for the columns whose repeats cost comparisons (min/max by a comparison
  // function) or hashing (bloom), when the builder gets their bytes (not by-value types).
  for (int i = 0; i < c->ndata; ++i) {
    bool wanted = false;
    for (int k = 0; k < c->nminmax; ++k) wanted |= c->minmax[k].data_col == i && !c->minmax[k].int_order;
    for (int k = 0; k < c->nbloom; ++k) wanted |= c->bloom[k].builder_col == i;
    if (!wanted || c->data[i].type.typbyval || !guc_compression_skip_repeats) continue;
    c->seen[i] = (SeenValues*)palloc0(sizeof(SeenValues));
    c->seen[i]->cxt = CurrentMemoryContext;
    c->seen[i]->gen = 1;
    c->seen_cols[c->nseen++] = i;
  }
  c->value_is_datum = (bool*)palloc0(ncols + 1);
  c->varlen_col = (bool*)palloc0(ncols + 1);
  c->plain_varlena = (bool*)palloc0(ncols + 1);
  c->data_idx = (int16*)palloc0(sizeof(int16) * (ncols + 1));
  for (int i = 0; i < c->ndata; ++i) {
    c->data_idx[i] = (int16)(c->data[i].attno - 1);
    c->value_is_datum[i] = storage_value_is_datum(&c->data[i].type);
    c->varlen_col[i] = storage_dictionary_type(&c->data[i].type) && c->data[i].type.basetype != UUIDOID;
    c->plain_varlena[i] = c->varlen_col[i] && c->data[i].type.typlen == -1;
  }
  c->max_attno = 1;
  for (int i = 0; i < c->ndata; ++i) c->max_attno = Max(c->max_attno, c->data[i].attno);
  for (int k = 0; k < c->nminmax; ++k) c->max_attno = Max(c->max_attno, c->minmax[k].col->attno);
  c->builder = storage_builder_create(types, bloomflags, c->ndata);
  if (guc_compression_reuse_codecs) bridge::builder_reuse_codecs(c->builder, true);
}

// A tuplesort of the chunk's rows by segmentby (ascending, NULLS LAST), then the orderby keys;
// nullptr when there are no keys at all.
Tuplesortstate* begin_sort(TupleDesc desc, const CompressionSettings* s, SourceColumn* cols, int ncols) {
  const int nkeys = s->nsegmentby + s->norderby;
  if (nkeys == 0) return nullptr;
  AttrNumber* keys = (AttrNumber*)palloc0(sizeof(AttrNumber) * (nkeys + 1));
  Oid* ops = (Oid*)palloc0(sizeof(Oid) * (nkeys + 1));
  Oid* colls = (Oid*)palloc0(sizeof(Oid) * (nkeys + 1));
  bool* nulls_first = (bool*)palloc0(sizeof(bool) * (nkeys + 1));
  for (int i = 0; i < nkeys; ++i) {
    const bool seg = i < s->nsegmentby;
    SourceColumn* col = find_source(cols, ncols, seg ? s->segmentby[i] : s->orderby[i - s->nsegmentby]);
    const bool desc_order = !seg && s->orderby_desc[i - s->nsegmentby];
    TypeCacheEntry* tc = lookup_type_cache(col->typid, TYPECACHE_LT_OPR | TYPECACHE_GT_OPR);
    ops[i] = desc_order ? tc->gt_opr : tc->lt_opr;
    if (!OidIsValid(ops[i]))
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                      errmsg("could not identify an ordering operator for type %s", format_type_be(col->typid))));
    keys[i] = col->attno;
    colls[i] = col->collation;
    // Segments only need to be grouped, not put in the collation's order: text segment keys sort
    // by their bytes (C collation: no strcoll, abbreviated keys), which groups exactly the values
    // same_segment tells apart.
    if (seg && OidIsValid(col->collation) &&
        (col->type.basetype == TEXTOID || col->type.basetype == VARCHAROID || col->type.basetype == BPCHAROID))
      colls[i] = C_COLLATION_OID;
    nulls_first[i] = !seg && s->orderby_nullsfirst[i - s->nsegmentby];
  }
  return tuplesort_begin_heap(desc, nkeys, keys, ops, colls, nulls_first, maintenance_work_mem, nullptr,
                              TUPLESORT_NONE);
}

// Progress of one compression (strata.compression_progress): a NOTICE when the rows start coming
// (sorted, or read in index order: then the total is the planner's estimate) and one at each tenth
// of the rows encoded.
struct Progress {
  const char* relname;
  int64 total;
  int64 done;
  int64 next;  // rows at which the next tenth is reported
  int tenth;
};

void progress_start(Progress* p, const char* relname, int64 total, bool sorting) {
  p->relname = relname;
  p->total = total;
  p->done = 0;
  p->tenth = total > 0 ? 1 : 11;
  p->next = (total + 9) / 10;
  if (guc_compression_progress && total > 0) {
    if (sorting)
      ereport(NOTICE, (errmsg("compressing chunk \"%s\": sorting %lld rows", relname, (long long)total)));
    else
      ereport(NOTICE, (errmsg("compressing chunk \"%s\": reading about %lld rows in index order", relname,
                              (long long)total)));
  }
}

void progress_row(Progress* p) {
  ++p->done;
  if (p->done % 1000000 == 0)
    ereport(DEBUG1, (errmsg("compressing chunk \"%s\": %lld of %lld rows", p->relname, (long long)p->done,
                            (long long)p->total)));
  if (!guc_compression_progress || p->tenth > 10 || p->done < p->next) return;
  // (several tenths at once on chunks of fewer than ten rows: the last one reached is reported)
  while (p->tenth <= 10 && p->done >= (p->total * p->tenth + 9) / 10) p->tenth++;
  ereport(NOTICE, (errmsg("compressing chunk \"%s\": %d%% (%lld of %lld rows)", p->relname, (p->tenth - 1) * 10,
                          (long long)p->done, (long long)p->total)));
  p->next = p->tenth <= 10 ? (p->total * p->tenth + 9) / 10 : INT64_MAX;
}

// A btree index of the chunk that returns its rows in the order the sort would put them: its
// leading key columns are the segmentby columns (any direction: segments only need grouping, with
// a deterministic collation) then the orderby columns, each with the type's default btree operator
// family, the orderby direction, NULLS order and collation. InvalidOid when there is none, or when
// the chunk's heap is larger than half of shared_buffers (reading it in index order would then
// cost random reads; the sort reads it sequentially).
Oid ordering_index(Relation rel, const CompressionSettings* s, SourceColumn* cols, int ncols) {
  const int nkeys = s->nsegmentby + s->norderby;
  if (nkeys == 0 || !guc_compression_index_scan) return InvalidOid;
  if (RelationGetNumberOfBlocks(rel) > (BlockNumber)(NBuffers / 2)) return InvalidOid;
  List* indexes = RelationGetIndexList(rel);
  Oid found = InvalidOid;
  ListCell* lc;
  foreach (lc, indexes) {
    Relation idx = index_open(lfirst_oid(lc), AccessShareLock);
    Form_pg_index form = idx->rd_index;
    bool ok = idx->rd_rel->relam == BTREE_AM_OID && form->indisvalid && form->indisready && form->indislive &&
              form->indnkeyatts >= nkeys && heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, nullptr);
    for (int i = 0; ok && i < nkeys; ++i) {
      const bool seg = i < s->nsegmentby;
      SourceColumn* col = find_source(cols, ncols, seg ? s->segmentby[i] : s->orderby[i - s->nsegmentby]);
      const int16 opt = idx->rd_indoption[i];
      TypeCacheEntry* tc = lookup_type_cache(col->typid, TYPECACHE_BTREE_OPFAMILY);
      ok = form->indkey.values[i] == col->attno && OidIsValid(tc->btree_opf) && idx->rd_opfamily[i] == tc->btree_opf &&
           idx->rd_opcintype[i] == tc->btree_opintype;
      if (!ok) break;
      if (seg) {
        ok = !OidIsValid(idx->rd_indcollation[i]) || get_collation_isdeterministic(idx->rd_indcollation[i]);
      } else {
        const int k = i - s->nsegmentby;
        ok = ((opt & INDOPTION_DESC) != 0) == s->orderby_desc[k] &&
             ((opt & INDOPTION_NULLS_FIRST) != 0) == s->orderby_nullsfirst[k] && idx->rd_indcollation[i] == col->collation;
      }
    }
    index_close(idx, AccessShareLock);
    if (ok) {
      found = lfirst_oid(lc);
      break;
    }
  }
  list_free(indexes);
  return found;
}

// Streams the sorted rows into batches (performs the sort first).
void compress_sorted(Compressor* c, Tuplesortstate* sort, TupleTableSlot* slot, const char* relname, int64 nrows) {
  Progress progress;
  progress_start(&progress, relname, nrows, true);
  tuplesort_performsort(sort);
  while (tuplesort_gettupleslot(sort, true, false, slot, nullptr)) {
    if (!same_segment(c, slot)) {
      flush_batch(c);
      start_segment(c, slot);
    } else if (bridge::builder_full(c->builder) || bridge::builder_varlen_bytes(c->builder) > kBatchMaxVarlenBytes) {
      flush_batch(c);
    }
    add_row(c, slot);
    progress_row(&progress);
    CHECK_FOR_INTERRUPTS();
  }
  flush_batch(c);
}

// ---- rows deformed without the slot ----
//
// compress_memrows deforms every row once for its batch; through the slot that was a fifth of
// the main thread (slot_getsomeattrs: a call chain per row, and per attribute the tuple
// descriptor's wide entries, the cached offsets' upkeep and fetchatt's branches). A row without
// NULLs that holds every attribute read (the common row of a loaded chunk) is deformed from a
// compact plan of the attributes instead, with the same offsets and values as
// slot_deform_heap_tuple; other rows go through the slot.

struct DeformAtt {
  int16 len;    // attlen
  uint8 align;  // attalign in bytes
  bool byval;
};

// The plan of the first natts attributes of `desc` (dropped ones included: their bytes are skipped).
DeformAtt* deform_plan(TupleDesc desc, int natts) {
  DeformAtt* plan = (DeformAtt*)palloc0(sizeof(DeformAtt) * (natts + 1));
  for (int a = 0; a < natts; ++a) {
    const Form_pg_attribute att = TupleDescAttr(desc, a);
    plan[a].len = att->attlen;
    plan[a].align = att->attalign == TYPALIGN_DOUBLE ? ALIGNOF_DOUBLE
                    : att->attalign == TYPALIGN_INT  ? ALIGNOF_INT
                    : att->attalign == TYPALIGN_SHORT ? ALIGNOF_SHORT
                                                      : 1;
    plan[a].byval = att->attbyval;
  }
  return plan;
}

// The first natts attributes of `tup` into values / isnull; false (nothing done) when the tuple
// has NULLs or fewer attributes (added columns' missing values): the caller uses the slot then.
inline __attribute__((always_inline)) bool deform_plain(const DeformAtt* plan, int natts, HeapTupleHeader tup,
                                                        Datum* values, bool* isnull) {
  if ((tup->t_infomask & HEAP_HASNULL) || HeapTupleHeaderGetNatts(tup) < natts) return false;
  const char* tp = (const char*)tup + tup->t_hoff;
  uintptr_t off = 0;
  for (int a = 0; a < natts; ++a) {
    const DeformAtt d = plan[a];
    if (d.len == -1) {
      // (att_align_pointer: a short varlena is not aligned; a pad byte is zero)
      if (*(const uint8*)(tp + off) == 0) off = TYPEALIGN(d.align, off);
      values[a] = PointerGetDatum(tp + off);
      off += VARSIZE_ANY(tp + off);
    } else if (d.len > 0) {
      off = TYPEALIGN(d.align, off);
      const char* p = tp + off;
      if (!d.byval)
        values[a] = PointerGetDatum(p);
      else if (d.len == 8)
        values[a] = *(const Datum*)p;
      else if (d.len == 4)
        values[a] = Int32GetDatum(*(const int32*)p);
      else if (d.len == 2)
        values[a] = Int16GetDatum(*(const int16*)p);
      else
        values[a] = CharGetDatum(*p);
      off += (uintptr_t)d.len;
    } else {  // a cstring
      off = TYPEALIGN(d.align, off);
      values[a] = PointerGetDatum(tp + off);
      off += strlen(tp + off) + 1;
    }
    isnull[a] = false;
  }
  return true;
}

// ---- rows held in memory --------------------------------------------------------------------
//
// When a chunk's heap is small against shared_buffers (a quarter of it at most) and its rows'
// keys fit in maintenance_work_mem, its pages are read with one sequential pass (each page once,
// no syncscan) and kept pinned to the end, and its rows put in the compression's order by
// reference: by the TIDs of the btree index in that order when there is one (the index is read,
// the heap is not fetched through it), else by a sort of row numbers (segments grouped by their
// exact bytes with a hash table and ranked by the sort's comparator, then each segment's rows
// sorted by the orderby keys, which is a single pass when they are already in order or in reverse
// order, as rows loaded in time order are). A pinned page's tuples stay where they are.
//
// When the heap's pages fit in maintenance_work_mem beside the row arrays, its tuples are copied
// instead ("copy mode"): the scan reads the pages through a small ring of buffers (BAS_BULKREAD),
// so it touches 256 kB of shared_buffers rather than one buffer per page of the chunk, and the
// copies and the row arrays go to large allocations that ask the kernel for huge pages. Touching
// memory for the first time is what a fresh backend pays most for on a virtualised machine (a
// page fault per 4 kB; shared_buffers is never backed by transparent huge pages): pinning every
// page of a 65 MB chunk cost a fifth of compress_chunk's backend time (docs/BENCHMARKS.md, "Where
// compress_chunk's time goes").

struct MemRows {
  MemoryContext cxt;
  HeapTupleHeader* tup;  // per row: the tuple in its pinned page, or its copy
  uint32* len;
  ItemPointerData* tid;
  int64 n, cap;
  Size bytes, limit;
  Buffer* pins;  // one extra pin per page read (pin mode)
  int64 npins, cappins;
  bool copy;        // copy mode: tuples copied into blocks, no pins
  char* block;      // the current block of tuple copies
  Size block_used, block_size;
  Size block_next;  // size of the next block
  int64 cap_first;  // capacity of the row arrays at the first row
  BlockNumber nblocks;  // of the heap when the scan began
  TupleDesc desc;   // the chunk's (copy mode: keys read from the copies)
  // sort keys: segmentby then orderby, as begin_sort sorts them
  int nkeys, nseg;
  SortSupportData* ssup;
  AttrNumber* keyatt;
  SourceColumn** keycol;
  // copy mode: the attributes up to the last key's, deformed at once (deform_plain)
  AttrNumber maxkeyatt;
  DeformAtt* keyplan;
  Datum* keyvals;
  bool* keynulls;
  Datum* key;  // n * nkeys
  bool* keynull;
  int64* order;  // the rows in compression order
  bool* seg_start;  // per position in order: a segment starts there (memrows_sort; else nullptr)
  bool cached;   // the large allocations come from the transaction's row memory (row_memory_take)
  struct Prefault* prefaults;  // threads faulting in large allocations (memrows_prefault)
  ParallelRead* pread;  // the parallel read whose shared memory holds the upper pages' rows, if any
};

constexpr Size kRowBytes = sizeof(HeapTupleHeader) + sizeof(uint32) + sizeof(ItemPointerData) + 2 * sizeof(int64);

// Asks the kernel to back the whole 2 MB pages inside [p, p + size) with transparent huge pages
// (in "madvise" mode it only does so when asked): a first touch of a large array then costs one
// fault per 2 MB instead of one per 4 kB. Advice only: failure or an unsupported kernel changes
// nothing else.
void advise_huge_pages(void* p, Size size) {
#ifdef MADV_HUGEPAGE
  constexpr uintptr_t kHuge = (uintptr_t)2 * 1024 * 1024;
  if (size < 2 * kHuge) return;
  const uintptr_t start = ((uintptr_t)p + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = ((uintptr_t)p + size) & ~(kHuge - 1);
  if (end > start) (void)madvise((void*)start, end - start, MADV_HUGEPAGE);
#else
  (void)p;
  (void)size;
#endif
}


// ---- row memory kept for the transaction's next compression ----
//
// The large arrays of a compression (the tuple copies, the row and key arrays, the sort's) cost
// more to touch the first time than to fill: the kernel zeroes every fresh page, and on this kind
// of virtualised machine that zeroing and the fault were about a fifth of compress_chunk's backend
// time (docs/BENCHMARKS.md, branch f-compress2). `SELECT compress_chunk(c) FROM show_chunks(...)`
// compresses chunks of similar sizes one after the other in one transaction, so a compression's
// blocks are kept (strata.compression_reuse_memory) in a context under TopTransactionContext and
// handed to the next compression of the same transaction; they go with the transaction (commit
// or abort). At most maintenance_work_mem is kept. A compression that ends with an error leaves
// its blocks marked in use: they are not handed out again, and go at the end of the transaction.

struct RowMemoryBlock {
  void* p;
  Size size;
  bool used;
};

struct RowMemoryCache {
  MemoryContext cxt;        // child of TopTransactionContext; nullptr when there is none
  bool busy;                // a compression is using the cache
  RowMemoryBlock* blocks;   // in cxt
  int nblocks, capblocks;
  Size kept;                // bytes of all blocks
  int64 reused;             // blocks handed out again (for the DEBUG1 message)
};

RowMemoryCache row_memory;

void row_memory_forget(void*) { memset(&row_memory, 0, sizeof row_memory); }

// Takes the cache for one compression: false when the setting is off or another compression of
// this transaction holds it (or failed holding it).
bool row_memory_acquire() {
  if (!guc_compression_reuse_memory) return false;
  if (row_memory.cxt == nullptr) {
    row_memory.cxt = AllocSetContextCreate(TopTransactionContext, "columnstore row memory", ALLOCSET_SMALL_SIZES);
    pg::call_at_reset(row_memory.cxt, row_memory_forget, nullptr);
  }
  if (row_memory.busy) return false;
  row_memory.busy = true;
  row_memory.reused = 0;
  return true;
}

// Releases the largest free blocks until at most `limit` bytes are kept (or none is free).
void row_memory_trim(Size limit) {
  while (row_memory.kept > limit) {
    int big = -1;
    for (int i = 0; i < row_memory.nblocks; ++i)
      if (!row_memory.blocks[i].used && (big < 0 || row_memory.blocks[i].size > row_memory.blocks[big].size)) big = i;
    if (big < 0) return;
    pfree(row_memory.blocks[big].p);
    row_memory.kept -= row_memory.blocks[big].size;
    row_memory.blocks[big] = row_memory.blocks[--row_memory.nblocks];
  }
}

// A block of at least `size` bytes: the smallest free one kept that is large enough, else a new one.
void* row_memory_take(Size size) {
  int best = -1;
  for (int i = 0; i < row_memory.nblocks; ++i) {
    const RowMemoryBlock* b = &row_memory.blocks[i];
    if (!b->used && b->size >= size && (best < 0 || b->size < row_memory.blocks[best].size)) best = i;
  }
  if (best >= 0) {
    row_memory.blocks[best].used = true;
    row_memory.reused++;
    return row_memory.blocks[best].p;
  }
  if (row_memory.nblocks == row_memory.capblocks) {
    const int cap = row_memory.capblocks == 0 ? 16 : row_memory.capblocks * 2;
    row_memory.blocks = row_memory.blocks == nullptr
                            ? (RowMemoryBlock*)MemoryContextAlloc(row_memory.cxt, sizeof(RowMemoryBlock) * cap)
                            : (RowMemoryBlock*)repalloc(row_memory.blocks, sizeof(RowMemoryBlock) * cap);
    row_memory.capblocks = cap;
  }
  // Free blocks too small for this one are released first when keeping them would go over
  // maintenance_work_mem (a larger chunk after a smaller one), so that the memory held stays
  // about what this compression uses.
  const Size limit = (Size)maintenance_work_mem * 1024;
  row_memory_trim(size < limit ? limit - size : 0);
  void* p = MemoryContextAllocHuge(row_memory.cxt, size);
  advise_huge_pages(p, size);
  row_memory.blocks[row_memory.nblocks++] = RowMemoryBlock{p, size, true};
  row_memory.kept += size;
  return p;
}

RowMemoryBlock* row_memory_block(void* p) {
  for (int i = 0; i < row_memory.nblocks; ++i)
    if (row_memory.blocks[i].p == p) return &row_memory.blocks[i];
  elog(ERROR, "columnstore: row memory block not found");
  return nullptr;
}

// Ends the compression's use of the cache: every block free again; beyond maintenance_work_mem
// the largest free blocks are released.
void row_memory_release() {
  for (int i = 0; i < row_memory.nblocks; ++i) row_memory.blocks[i].used = false;
  row_memory_trim((Size)maintenance_work_mem * 1024);
  row_memory.busy = false;
}

// ---- fresh memory faulted in on a second thread ----
//
// The kernel zeroes each fresh page on its first touch, in the thread that touches it: for the
// tuple copies and row arrays of a freshly loaded chunk (devops small: 65 MB of copies) that was
// 13% of the backend's time on this kind of virtualised machine, in the copying memmove of the heap
// scan. A large allocation is instead faulted in by a short-lived thread, front to back in 2 MB
// steps, with madvise(MADV_POPULATE_WRITE) (Linux 5.14), while the backend goes on scanning: the
// zeroing runs on the other core. POPULATE_WRITE only maps pages (zeroed when new) and never
// changes what the backend has written, so it may run beside the backend's own writes, and
// after an error has freed the memory it fails harmlessly; the thread is stopped and joined when
// the rows are let go (memrows_end) or their context goes (a reset callback: errors, spills).
// strata.compression_prefault_memory.

struct Prefault {
  pthread_t thread;
  char* start;
  Size size;
  std::atomic<bool> stop;
  Prefault* next;
};

constexpr Size kPrefaultMin = (Size)4 * 1024 * 1024;

void* prefault_main(void* arg) {
  Prefault* p = (Prefault*)arg;
  constexpr uintptr_t kPage = 4096;
  constexpr Size kStep = (Size)2 * 1024 * 1024;
  char* a = (char*)(((uintptr_t)p->start + kPage - 1) & ~(kPage - 1));
  char* end = (char*)(((uintptr_t)p->start + p->size) & ~(kPage - 1));
  while (a < end && !p->stop.load(std::memory_order_relaxed)) {
    const Size n = Min(kStep, (Size)(end - a));
#ifdef MADV_POPULATE_WRITE
    if (madvise(a, n, MADV_POPULATE_WRITE) != 0 && errno != EINTR && errno != EAGAIN) break;
#else
    break;
#endif
    a += n;
  }
  return nullptr;
}

void prefault_join_all(MemRows* m) {
  for (Prefault* p = m->prefaults; p != nullptr; p = p->next) p->stop.store(true, std::memory_order_relaxed);
  for (Prefault* p = m->prefaults; p != nullptr; p = p->next) pthread_join(p->thread, nullptr);
  m->prefaults = nullptr;
}

void prefault_reset_callback(void* arg) { prefault_join_all((MemRows*)arg); }

// Faults in [p, p + size) on a thread of its own (large allocations only; nothing when the
// thread cannot be created).
void memrows_prefault(MemRows* m, void* p, Size size) {
  if (!guc_compression_prefault_memory || size < kPrefaultMin) return;
  Prefault* pf = (Prefault*)MemoryContextAlloc(m->cxt, sizeof(Prefault));
  pf->start = (char*)p;
  pf->size = size;
  new (&pf->stop) std::atomic<bool>(false);
  if (m->prefaults == nullptr) pg::call_at_reset(m->cxt, prefault_reset_callback, m);
  // Every signal blocked while the thread is created, so that it inherits a full mask: the
  // backend's handlers must run on the backend's own thread.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  const int rc = pthread_create(&pf->thread, nullptr, prefault_main, pf);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) return;
  pf->next = m->prefaults;
  m->prefaults = pf;
}

// The large allocations of a MemRows: from the transaction's cache when it holds it, else in its
// own context (huge pages asked for either way), faulted in on a second thread.
void* memrows_alloc(MemRows* m, Size size) {
  void* p;
  if (m->cached) {
    p = row_memory_take(size);
  } else {
    p = MemoryContextAllocHuge(m->cxt, size);
    advise_huge_pages(p, size);
  }
  memrows_prefault(m, p, size);
  return p;
}

void memrows_free(MemRows* m, void* p) {
  if (m->cached)
    row_memory_block(p)->used = false;
  else
    pfree(p);
}

// (`old` holds `old_size` bytes)
void* memrows_realloc(MemRows* m, void* old, Size old_size, Size size) {
  if (!m->cached) {
    void* p = repalloc_huge(old, size);
    advise_huge_pages(p, size);
    if (size > old_size) memrows_prefault(m, (char*)p + old_size, size - old_size);
    return p;
  }
  void* p = row_memory_take(size);
  memcpy(p, old, Min(old_size, size));
  memrows_free(m, old);
  if (size > old_size) memrows_prefault(m, (char*)p + old_size, size - old_size);
  return p;
}

// How the chunk's rows are gathered in memory, if they are: 0 not at all, 1 pinned pages, 2 copies
// (estimates; memrows_add checks the real need).
int memrows_fit(Relation rel, int nkeys) {
  if (RelationUsesLocalBuffers(rel)) return 0;  // (temp_buffers is small)
  const BlockNumber blocks = RelationGetNumberOfBlocks(rel);
  if (blocks > (BlockNumber)(NBuffers / 4)) return 0;
  double rows = rel->rd_rel->reltuples;
  if (rows < 0) rows = (double)blocks * (BLCKSZ / 64);
  const double need = rows * (kRowBytes + nkeys * (sizeof(Datum) + sizeof(bool)));
  const double limit = (double)maintenance_work_mem * 1024.0;
  if (need > limit) return 0;
  // Copies need the heap's bytes at most (the tuples are MAXALIGNed in their pages too), beside
  // the row arrays as memrows_add first sizes them.
  const bool heap_am = rel->rd_tableam == GetHeapamTableAmRoutine();
  const double arrays = (rows * 1.02 + 1024) * (kRowBytes + nkeys * (sizeof(Datum) + sizeof(bool)));
  return heap_am && guc_compression_copy_rows && arrays + (double)blocks * BLCKSZ <= limit ? 2 : 1;
}

MemRows* memrows_begin(Relation rel, bool copy, const CompressionSettings* s, SourceColumn* cols, int ncols,
                       MemoryContext work) {
  MemRows* m = (MemRows*)palloc0(sizeof(MemRows));
  m->cxt = AllocSetContextCreate(work, "columnstore rows", ALLOCSET_DEFAULT_SIZES);
  m->limit = (Size)maintenance_work_mem * 1024;
  m->copy = copy;
  m->cached = row_memory_acquire();
  m->desc = RelationGetDescr(rel);
  m->nblocks = RelationGetNumberOfBlocks(rel);
  m->block_next = (Size)m->nblocks * BLCKSZ;
  // The row arrays sized for the rows ANALYZE counted (growing them copies and touches them again).
  const double rows = rel->rd_rel->reltuples;
  m->cap_first = rows > 0 && rows < 1e9 ? Max((int64)4096, (int64)(rows * 1.02) + 1024) : 4096;
  m->nkeys = s->nsegmentby + s->norderby;
  m->nseg = s->nsegmentby;
  m->ssup = (SortSupportData*)palloc0(sizeof(SortSupportData) * (m->nkeys + 1));
  m->keyatt = (AttrNumber*)palloc0(sizeof(AttrNumber) * (m->nkeys + 1));
  m->keycol = (SourceColumn**)palloc0(sizeof(SourceColumn*) * (m->nkeys + 1));
  for (int i = 0; i < m->nkeys; ++i) {
    const bool seg = i < s->nsegmentby;
    SourceColumn* col = find_source(cols, ncols, seg ? s->segmentby[i] : s->orderby[i - s->nsegmentby]);
    const bool desc_order = !seg && s->orderby_desc[i - s->nsegmentby];
    TypeCacheEntry* tc = lookup_type_cache(col->typid, TYPECACHE_LT_OPR | TYPECACHE_GT_OPR);
    const Oid op = desc_order ? tc->gt_opr : tc->lt_opr;
    if (!OidIsValid(op))
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                      errmsg("could not identify an ordering operator for type %s", format_type_be(col->typid))));
    SortSupport ss = &m->ssup[i];
    ss->ssup_cxt = work;
    // (as begin_sort: text segments compare by their bytes)
    ss->ssup_collation = col->collation;
    if (seg && OidIsValid(col->collation) &&
        (col->type.basetype == TEXTOID || col->type.basetype == VARCHAROID || col->type.basetype == BPCHAROID))
      ss->ssup_collation = C_COLLATION_OID;
    ss->ssup_nulls_first = !seg && s->orderby_nullsfirst[i - s->nsegmentby];
    ss->ssup_attno = col->attno;
    ss->abbreviate = false;
    PrepareSortSupportFromOrderingOp(op, ss);
    m->keyatt[i] = col->attno;
    m->keycol[i] = col;
    m->maxkeyatt = Max(m->maxkeyatt, col->attno);
  }
  // (only when a key follows a variable-length attribute: before one, heap_getattr finds the key at
  // its cached offset, which costs less; and with strata.compression_column_appends on)
  bool after_varlen = false;
  for (int a = 0; a + 1 < m->maxkeyatt; ++a) after_varlen |= TupleDescAttr(m->desc, a)->attlen < 0;
  if (after_varlen && guc_compression_column_appends) {
    m->keyplan = deform_plan(m->desc, m->maxkeyatt);
    m->keyvals = (Datum*)palloc(sizeof(Datum) * (m->maxkeyatt + 1));
    m->keynulls = (bool*)palloc(sizeof(bool) * (m->maxkeyatt + 1));
  }
  return m;
}

// Row r's tuple in the heap tuple slot `slot` (which must be cleared before the next call).
void memrows_store(MemRows* m, int64 r, HeapTupleData* h, TupleTableSlot* slot) {
  h->t_len = m->len[r];
  h->t_data = m->tup[r];
  h->t_self = m->tid[r];
  h->t_tableOid = InvalidOid;
  ExecStoreHeapTuple(h, slot, false);
}

// Room for one more row in the row arrays; false when that goes over the memory limit.
bool memrows_reserve(MemRows* m) {
  if (m->n == m->cap) {
    int64 cap = m->cap == 0 ? m->cap_first : m->cap * 2;
    const Size per_row = kRowBytes + m->nkeys * (sizeof(Datum) + sizeof(bool));
    if (m->cap > 0 && m->cap == m->cap_first) {
      // A chunk never analyzed (no reltuples): the first arrays were small; the next ones are sized
      // for the rows per page seen so far, so that they are not copied again and again.
      const double seen = (double)ItemPointerGetBlockNumber(&m->tid[m->n - 1]) + 1;
      const double projected = (double)m->n / seen * (double)m->nblocks * 1.02 + 1024;
      if (projected > (double)cap && m->bytes + (projected - (double)m->cap) * (double)per_row <= (double)m->limit)
        cap = (int64)projected;
    }
    if (m->cap == 0 && m->bytes + (Size)cap * per_row > m->limit) cap = 4096;  // (an estimate off the mark)
    const Size grow = (Size)(cap - m->cap) * per_row;
    if (m->bytes + grow > m->limit) return false;
    if (m->cap == 0) {
      m->tup = (HeapTupleHeader*)memrows_alloc(m, sizeof(HeapTupleHeader) * cap);
      m->len = (uint32*)memrows_alloc(m, sizeof(uint32) * cap);
      m->tid = (ItemPointerData*)memrows_alloc(m, sizeof(ItemPointerData) * cap);
      m->key = (Datum*)memrows_alloc(m, sizeof(Datum) * cap * (m->nkeys + 1));
      m->keynull = (bool*)memrows_alloc(m, sizeof(bool) * cap * (m->nkeys + 1));
    } else {
      const Size c0 = (Size)m->cap;
      m->tup = (HeapTupleHeader*)memrows_realloc(m, m->tup, sizeof(HeapTupleHeader) * c0, sizeof(HeapTupleHeader) * cap);
      m->len = (uint32*)memrows_realloc(m, m->len, sizeof(uint32) * c0, sizeof(uint32) * cap);
      m->tid = (ItemPointerData*)memrows_realloc(m, m->tid, sizeof(ItemPointerData) * c0, sizeof(ItemPointerData) * cap);
      m->key = (Datum*)memrows_realloc(m, m->key, sizeof(Datum) * c0 * (m->nkeys + 1), sizeof(Datum) * cap * (m->nkeys + 1));
      m->keynull = (bool*)memrows_realloc(m, m->keynull, sizeof(bool) * c0 * (m->nkeys + 1), sizeof(bool) * cap * (m->nkeys + 1));
    }
    m->bytes += grow;
    m->cap = cap;
  }
  return true;
}

// The next row (room reserved): tuple `data` (of t's length and TID), its keys read from it.
void memrows_set_row(MemRows* m, HeapTupleHeader data, const HeapTupleData* t) {
  const int64 r = m->n++;
  m->tup[r] = data;
  m->len[r] = t->t_len;
  m->tid[r] = t->t_self;
  // (the attributes up to the last key's at once when the row has no NULLs: heap_getattr of a key
  // after a varlena walked the row from its start for each key)
  if (m->keyplan != nullptr && deform_plain(m->keyplan, m->maxkeyatt, data, m->keyvals, m->keynulls)) {
    for (int k = 0; k < m->nkeys; ++k) {
      m->key[r * m->nkeys + k] = m->keyvals[m->keyatt[k] - 1];
      m->keynull[r * m->nkeys + k] = false;
    }
    return;
  }
  HeapTupleData h;
  h.t_len = m->len[r];
  h.t_data = data;
  h.t_self = m->tid[r];
  h.t_tableOid = InvalidOid;
  for (int k = 0; k < m->nkeys; ++k)
    m->key[r * m->nkeys + k] = heap_getattr(&h, m->keyatt[k], m->desc, &m->keynull[r * m->nkeys + k]);
}

// Copy mode: a copy of tuple `t` (whose page goes back to the ring) as the next row, its keys read
// from the copy; false when that goes over the memory limit (the row is not added).
bool memrows_add_copy(MemRows* m, const HeapTupleData* t) {
  if (!memrows_reserve(m)) return false;
  const Size need = MAXALIGN(t->t_len);
  if (m->block == nullptr || m->block_used + need > m->block_size) {
    const Size size = Max(Max(m->block_next, need), (Size)64 * 1024);
    if (m->bytes + size > m->limit) return false;
    m->block = (char*)memrows_alloc(m, size);
    m->block_size = size;
    m->block_used = 0;
    m->bytes += size;
    m->block_next = (Size)8 * 1024 * 1024;  // (not reached: the first block holds the whole heap)
  }
  HeapTupleHeader copy = (HeapTupleHeader)(m->block + m->block_used);
  memcpy(copy, t->t_data, t->t_len);
  m->block_used += need;
  memrows_set_row(m, copy, t);
  return true;
}

// Tuple `t`, which stays where it is until memrows_end (the parallel read's shared memory), as
// the next row; false when that goes over the memory limit (the row is not added).
bool memrows_add_ref(MemRows* m, const HeapTupleData* t) {
  if (!memrows_reserve(m)) return false;
  memrows_set_row(m, t->t_data, t);
  return true;
}

// Adds the row in `slot` (a heap scan's); false when that goes over the memory limit (the row
// is not added).
bool memrows_add(MemRows* m, TupleTableSlot* slot) {
  if (m->copy) {
    bool should_free;
    HeapTuple t = ExecFetchSlotHeapTuple(slot, false, &should_free);
    HeapTupleData h = *t;
    h.t_self = slot->tts_tid;
    const bool added = memrows_add_copy(m, &h);
    if (should_free) heap_freetuple(t);
    return added;
  }
  if (!memrows_reserve(m)) return false;
  // The page stays pinned (one extra pin per page), so the tuple and its key datums stay valid.
  const Buffer buf = ((BufferHeapTupleTableSlot*)slot)->buffer;
  if (!BufferIsValid(buf)) elog(ERROR, "columnstore: heap scan slot without a buffer");
  if (m->npins == 0 || m->pins[m->npins - 1] != buf) {
    if (m->npins == m->cappins) {
      m->cappins = m->cappins == 0 ? 1024 : m->cappins * 2;
      m->pins = m->npins == 0 ? (Buffer*)MemoryContextAllocHuge(m->cxt, sizeof(Buffer) * m->cappins)
                              : (Buffer*)repalloc_huge(m->pins, sizeof(Buffer) * m->cappins);
    }
    IncrBufferRefCount(buf);
    m->pins[m->npins++] = buf;
  }
  bool should_free;
  HeapTuple t = ExecFetchSlotHeapTuple(slot, false, &should_free);
  if (should_free) elog(ERROR, "columnstore: heap scan slot without its tuple in the page");
  const int64 r = m->n++;
  m->tup[r] = t->t_data;
  m->len[r] = t->t_len;
  m->tid[r] = slot->tts_tid;
  for (int k = 0; k < m->nkeys; ++k)
    m->key[r * m->nkeys + k] = slot_getattr(slot, m->keyatt[k], &m->keynull[r * m->nkeys + k]);
  return true;
}

// Puts every gathered row into `sort` and lets them go (the memory ran out).
void memrows_spill(MemRows* m, Tuplesortstate* sort, TupleDesc desc);

// Puts tuple `t` into the spill sort (through the slot *hslot, made on first use).
void spill_row(Tuplesortstate* spill, TupleTableSlot** hslot, TupleDesc desc, HeapTupleData* t) {
  if (*hslot == nullptr) *hslot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
  ExecStoreHeapTuple(t, *hslot, false);
  tuplesort_puttupleslot(spill, *hslot);
  ExecClearTuple(*hslot);
}

// The memory ran out: the rows gathered so far, and from now on every row, go into a tuplesort.
Tuplesortstate* start_spill(MemRows* m, Relation rel, const CompressionSettings* s, SourceColumn* cols, int ncols) {
  ereport(DEBUG1, (errmsg("compressing chunk \"%s\": more rows than maintenance_work_mem holds, sorting them with a tuplesort",
                          RelationGetRelationName(rel))));
  Tuplesortstate* spill = begin_sort(RelationGetDescr(rel), s, cols, ncols);
  memrows_spill(m, spill, RelationGetDescr(rel));
  return spill;
}

// Copy mode's read of the heap: each page through a ring of buffers (BAS_BULKREAD), share-locked
// once, its visible tuples copied. A heap scan set the hint bits of every tuple of a freshly
// loaded chunk, which dirtied every page, and the ring then wrote each page back as it reused its
// buffer: 5% of the backend's time for pages whose rows leave the heap at the end of the
// compression (docs/BENCHMARKS.md, branch f-compress6); the rows, their order and the visibility
// are the scan's. Returns the rows read. When the memory runs out, the rows gathered so far and
// the rest go into a tuplesort (*spill). Not under SERIALIZABLE (a heap scan's predicate lock
// and conflict checks). A parallel worker may read the upper half of the pages
// (compress_parallel.hpp): its rows are taken after this backend's, in the same order.
int64 memrows_read_heap(MemRows* m, Relation rel, Snapshot snap, Tuplesortstate** spill, const CompressionSettings* s,
                        SourceColumn* cols, int ncols) {
  TupleDesc desc = RelationGetDescr(rel);
  BufferAccessStrategy strategy = GetAccessStrategy(BAS_BULKREAD);
  TupleTableSlot* hslot = nullptr;
  BlockNumber nblocks = m->nblocks;
  int64 nrows = 0;
  pgstat_count_heap_scan(rel);
  // A parallel worker copies the pages from `nblocks` on (strata.compression_parallel_read); this
  // backend's copies then need only its own pages' bytes.
  ParallelRead* pread = parallel_read_begin(rel, snap, m->nblocks, &nblocks);
  XminMemo memo;
  if (pread != nullptr && m->block == nullptr) m->block_next = (Size)nblocks * BLCKSZ;
  for (BlockNumber blk = 0; blk < nblocks; ++blk) {
    const Buffer buf = ReadBufferExtended(rel, MAIN_FORKNUM, blk, RBM_NORMAL, strategy);
    LockBuffer(buf, BUFFER_LOCK_SHARE);
    const Page page = BufferGetPage(buf);
    const bool all_visible = PageIsAllVisible(page) && !snap->takenDuringRecovery;
    const OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
    for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off = OffsetNumberNext(off)) {
      HeapTupleData t;
      if (!page_tuple_visible(rel, buf, blk, off, snap, all_visible, &t, &memo)) continue;
      nrows++;
      pgstat_count_heap_getnext(rel);
      if (*spill == nullptr && !memrows_add_copy(m, &t)) {
        // (the page stays pinned, and nothing else changes it: the chunk is ExclusiveLocked)
        LockBuffer(buf, BUFFER_LOCK_UNLOCK);
        // The tuplesort's comparators run outside parallel mode: the worker is waited for first.
        if (pread != nullptr) parallel_read_wait(pread);
        *spill = start_spill(m, rel, s, cols, ncols);
        LockBuffer(buf, BUFFER_LOCK_SHARE);
      }
      if (*spill != nullptr) spill_row(*spill, &hslot, desc, &t);
    }
    LockBuffer(buf, BUFFER_LOCK_UNLOCK);
    ReleaseBuffer(buf);
    CHECK_FOR_INTERRUPTS();
  }
  if (pread != nullptr) {
    // The worker's rows after this backend's, in page order: the serial read's order.
    parallel_read_wait(pread);
    ereport(guc_compression_progress ? NOTICE : DEBUG1,
            (errmsg("compressing chunk \"%s\": pages %u to %u read by a parallel worker",
                    RelationGetRelationName(rel), nblocks, m->nblocks - 1)));
    HeapTupleData t;
    while (parallel_read_next_row(pread, &t)) {
      nrows++;
      pgstat_count_heap_getnext(rel);
      if (*spill == nullptr && !memrows_add_ref(m, &t)) *spill = start_spill(m, rel, s, cols, ncols);
      if (*spill != nullptr) spill_row(*spill, &hslot, desc, &t);
      if ((nrows & 4095) == 0) CHECK_FOR_INTERRUPTS();
    }
    // The rows in memory point into the worker's shared memory: it goes with them (memrows_end).
    if (*spill == nullptr)
      m->pread = pread;
    else
      parallel_read_release(pread);
  }
  if (hslot != nullptr) ExecDropSingleTupleTableSlot(hslot);
  FreeAccessStrategy(strategy);
  return nrows;
}

// Releases the pins and the memory.
void memrows_end(MemRows* m) {
  prefault_join_all(m);
  if (m->pread != nullptr) parallel_read_release(m->pread);
  m->pread = nullptr;
  for (int64 i = 0; i < m->npins; ++i) ReleaseBuffer(m->pins[i]);
  m->npins = 0;
  if (m->cached) {
    if (row_memory.reused > 0)
      ereport(DEBUG1, (errmsg("compressing chunk: row memory of an earlier compression of this transaction reused")));
    row_memory_release();
    m->cached = false;
  }
  MemoryContextDelete(m->cxt);
  m->n = 0;
}

// Puts every gathered row into `sort` and lets them go (the memory ran out).
void memrows_spill(MemRows* m, Tuplesortstate* sort, TupleDesc desc) {
  TupleTableSlot* hslot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
  HeapTupleData h;
  for (int64 r = 0; r < m->n; ++r) {
    memrows_store(m, r, &h, hslot);
    tuplesort_puttupleslot(sort, hslot);
    ExecClearTuple(hslot);
    CHECK_FOR_INTERRUPTS();
  }
  ExecDropSingleTupleTableSlot(hslot);
  memrows_end(m);
}

int compare_keys(const MemRows* m, int64 a, int64 b, int from, int to) {
  for (int k = from; k < to; ++k) {
    const int64 ia = a * m->nkeys + k, ib = b * m->nkeys + k;
    const int c = ApplySortComparator(m->key[ia], m->keynull[ia], m->key[ib], m->keynull[ib], &m->ssup[k]);
    if (c != 0) return c;
  }
  return 0;
}

// qsort_arg comparators over row numbers: segments by their segmentby keys; rows by their
// orderby keys, ties in heap order.
int compare_segment_rows(const void* a, const void* b, void* arg) {
  const MemRows* m = (const MemRows*)arg;
  return compare_keys(m, *(const int64*)a, *(const int64*)b, 0, m->nseg);
}

int compare_order_rows(const void* a, const void* b, void* arg) {
  const MemRows* m = (const MemRows*)arg;
  const int64 ra = *(const int64*)a, rb = *(const int64*)b;
  const int c = compare_keys(m, ra, rb, m->nseg, m->nkeys);
  return c != 0 ? c : (ra < rb ? -1 : ra > rb ? 1 : 0);
}

// Whether rows a and b have the same segment (the same bytes: as same_segment tells them apart).
bool memrows_same_segment(const MemRows* m, int64 a, int64 b) {
  for (int k = 0; k < m->nseg; ++k) {
    const int64 ia = a * m->nkeys + k, ib = b * m->nkeys + k;
    if (m->keynull[ia] != m->keynull[ib]) return false;
    if (!m->keynull[ia] &&
        !storage_segment_value_eq(m->key[ia], m->key[ib], m->keycol[k]->type.typbyval, m->keycol[k]->type.typlen))
      return false;
  }
  return true;
}

// datum_image_hash's value, without its call and toast_raw_datum_size for a varlena stored
// plainly in the row (the segment values of most rows).
inline uint32 segment_value_hash(Datum v, const SourceColumn* col) {
  if (col->type.typlen == -1) {
    const struct varlena* p = (const struct varlena*)DatumGetPointer(v);
    if (!VARATT_IS_EXTERNAL(p) && !VARATT_IS_COMPRESSED(p))
      return hash_bytes((const unsigned char*)VARDATA_ANY(p), (int)VARSIZE_ANY_EXHDR(p));
  }
  return datum_image_hash(v, col->type.typbyval, col->type.typlen);
}

uint32 memrows_segment_hash(const MemRows* m, int64 r) {
  uint32 h = 0;
  for (int k = 0; k < m->nseg; ++k) {
    const int64 i = r * m->nkeys + k;
    const uint32 v = m->keynull[i] ? 0x9e3779b9u : segment_value_hash(m->key[i], m->keycol[k]);
    h = (h ^ v) * 0x01000193u + (uint32)k;
  }
  return h;
}

// The rows in compression order, by sorting (m->order).
void memrows_sort(MemRows* m) {
  const int64 n = m->n;
  m->order = (int64*)memrows_alloc(m, sizeof(int64) * (n + 1));
  // 1. A segment number per row (a hash table of the segments' first rows), and the segments in
  // the sort's order.
  int64* seg_of = (int64*)memrows_alloc(m, sizeof(int64) * (n + 1));
  int64 nsegs = 0;
  int64* first = nullptr;  // first row of each segment
  if (m->nseg == 0) {
    for (int64 r = 0; r < n; ++r) seg_of[r] = 0;
    first = (int64*)MemoryContextAlloc(m->cxt, sizeof(int64));
    first[0] = 0;
    nsegs = n > 0 ? 1 : 0;
  } else {
    int64 size = 1024, cap = 256;
    while (size < n * 2 && size < ((int64)1 << 40)) size *= 2;
    size = Min(size, (int64)(MaxAllocHugeSize / sizeof(int64)) / 2);
    int64* slots = (int64*)memrows_alloc(m, sizeof(int64) * size);  // segment + 1, 0 empty
    memset(slots, 0, sizeof(int64) * size);
    first = (int64*)MemoryContextAllocHuge(m->cxt, sizeof(int64) * cap);
    // Consecutive rows are often of one segment (rows loaded segment by segment), or almost
    // never (loaded in time order, the segments interleave: devops's hosts, fleet's accounts): after
    // a miss, the previous row's segment is tried again only every 64th row.
    bool try_previous = true;
    for (int64 r = 0; r < n; ++r) {
      if (r > 0 && (try_previous || (r & 63) == 0)) {
        try_previous = memrows_same_segment(m, r, first[seg_of[r - 1]]);
        if (try_previous) {
          seg_of[r] = seg_of[r - 1];
          continue;
        }
      }
      int64 i = memrows_segment_hash(m, r) & (size - 1);
      for (;; i = (i + 1) & (size - 1)) {
        if (slots[i] == 0) {
          if (nsegs == cap) {
            cap *= 2;
            first = (int64*)repalloc_huge(first, sizeof(int64) * cap);
          }
          first[nsegs] = r;
          slots[i] = ++nsegs;
          seg_of[r] = nsegs - 1;
          break;
        }
        if (memrows_same_segment(m, r, first[slots[i] - 1])) {
          seg_of[r] = slots[i] - 1;
          break;
        }
      }
      CHECK_FOR_INTERRUPTS();
    }
    memrows_free(m, slots);
  }
  // segments in the sort's order: their first rows sorted by the segment keys
  int64* seg_first = (int64*)MemoryContextAllocHuge(m->cxt, sizeof(int64) * (nsegs + 1));
  memcpy(seg_first, first, sizeof(int64) * nsegs);
  if (nsegs > 1) qsort_arg(seg_first, nsegs, sizeof(int64), compare_segment_rows, m);
  int64* rank = (int64*)MemoryContextAllocHuge(m->cxt, sizeof(int64) * (nsegs + 1));
  for (int64 k = 0; k < nsegs; ++k) rank[seg_of[seg_first[k]]] = k;
  // 2. The rows grouped by segment in that order, each segment's in heap order (a counting sort).
  int64* start = (int64*)MemoryContextAllocHuge(m->cxt, sizeof(int64) * (nsegs + 1));
  memset(start, 0, sizeof(int64) * (nsegs + 1));
  for (int64 r = 0; r < n; ++r) start[rank[seg_of[r]] + 1]++;
  for (int64 k = 0; k < nsegs; ++k) start[k + 1] += start[k];
  int64* fill = (int64*)MemoryContextAllocHuge(m->cxt, sizeof(int64) * (nsegs + 1));
  memcpy(fill, start, sizeof(int64) * (nsegs + 1));
  for (int64 r = 0; r < n; ++r) m->order[fill[rank[seg_of[r]]]++] = r;
  // Where the segments start in that order, so that streaming the rows need not compare each
  // row's segment values with the previous row's (the groups are told apart by their exact bytes,
  // as same_segment tells segments apart).
  m->seg_start = (bool*)memrows_alloc(m, n + 1);
  memset(m->seg_start, 0, n + 1);
  for (int64 k = 0; k < nsegs; ++k) m->seg_start[start[k]] = true;
  // 3. Each segment sorted by the orderby keys.
  if (m->nkeys > m->nseg) {
    for (int64 k = 0; k < nsegs; ++k) {
      int64* rows = m->order + start[k];
      const int64 cnt = start[k + 1] - start[k];
      if (cnt < 2) continue;
      bool ascending = true, descending = true;
      for (int64 i = 1; i < cnt && (ascending || descending); ++i) {
        const int c = compare_order_rows(&rows[i - 1], &rows[i], m);
        ascending &= c < 0;
        descending &= c > 0;
      }
      if (ascending) continue;
      if (descending) {
        for (int64 i = 0, j = cnt - 1; i < j; ++i, --j) {
          const int64 t = rows[i];
          rows[i] = rows[j];
          rows[j] = t;
        }
        continue;
      }
      // Rows already in order by the first orderby key (loaded in time order, ordered by time then
      // a device): only each run of rows with an equal first key is sorted (the order is total,
      // ties broken by heap order, so the result is the whole sort's).
      bool first_in_order = m->nkeys - m->nseg > 1;
      for (int64 i = 1; i < cnt && first_in_order; ++i)
        first_in_order = compare_keys(m, rows[i - 1], rows[i], m->nseg, m->nseg + 1) <= 0;
      if (first_in_order) {
        for (int64 a = 0, b; a < cnt; a = b) {
          for (b = a + 1; b < cnt && compare_keys(m, rows[a], rows[b], m->nseg, m->nseg + 1) == 0; ++b) {
          }
          if (b - a > 1) qsort_arg(rows + a, b - a, sizeof(int64), compare_order_rows, m);
        }
        CHECK_FOR_INTERRUPTS();
        continue;
      }
      qsort_arg(rows, cnt, sizeof(int64), compare_order_rows, m);
      CHECK_FOR_INTERRUPTS();
    }
  }
  memrows_free(m, seg_of);
  pfree(first);
  pfree(seg_first);
  pfree(rank);
  pfree(start);
  pfree(fill);
}

// The gathered row with TID `tid`, or -1: a binary search among the rows of its block, which
// `first` (per block, the first row at or after it; the scan returned the TIDs in ascending order)
// delimits.
int64 memrows_find(const MemRows* m, const int64* first, BlockNumber nblocks, ItemPointer tid) {
  const BlockNumber blk = ItemPointerGetBlockNumber(tid);
  if (blk >= nblocks) return -1;
  const OffsetNumber off = ItemPointerGetOffsetNumber(tid);
  int64 lo = first[blk], hi = first[blk + 1];
  while (lo < hi) {
    const int64 mid = lo + (hi - lo) / 2;
    const OffsetNumber o = ItemPointerGetOffsetNumber(&m->tid[mid]);
    if (o == off) return mid;
    if (o < off)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

// The rows in the order of `index` (m->order): its TIDs, each matched with the gathered row of
// that TID. False when that does not give every row exactly once (a heap-only tuple, whose TID the
// index does not hold): then the caller sorts.
bool memrows_index_order(MemRows* m, Relation rel, Oid index, Snapshot snap) {
  const int64 n = m->n;
  const BlockNumber nblocks = n > 0 ? ItemPointerGetBlockNumber(&m->tid[n - 1]) + 1 : 0;
  int64* first = (int64*)MemoryContextAllocHuge(m->cxt, sizeof(int64) * ((Size)nblocks + 1));
  for (int64 r = n - 1, b = (int64)nblocks; b >= 0; --b) {
    while (r >= 0 && (int64)ItemPointerGetBlockNumber(&m->tid[r]) >= b) --r;
    first[b] = r + 1;
  }
  m->order = (int64*)memrows_alloc(m, sizeof(int64) * (n + 1));
  bool* seen = (bool*)MemoryContextAllocHuge(m->cxt, n + 1);
  memset(seen, 0, n + 1);
  Relation idx = index_open(index, AccessShareLock);
  IndexScanDesc iscan = index_beginscan(rel, idx, snap, 0, 0);
  index_rescan(iscan, nullptr, 0, nullptr, 0);
  int64 k = 0;
  bool ok = true;
  ItemPointer tid;
  while ((tid = index_getnext_tid(iscan, ForwardScanDirection)) != nullptr) {
    const int64 r = memrows_find(m, first, nblocks, tid);
    if (r < 0) continue;  // not visible to the snapshot
    if (seen[r] || k == n) {
      ok = false;
      break;
    }
    seen[r] = true;
    m->order[k++] = r;
    if ((k & 0xffff) == 0) CHECK_FOR_INTERRUPTS();
  }
  index_endscan(iscan);
  index_close(idx, NoLock);
  pfree(seen);
  pfree(first);
  if (k != n) ok = false;
  if (!ok) memrows_free(m, m->order);
  return ok;
}

// How far ahead compress_memrows prefetches the rows it reads: the row arrays' entries of row
// i + kPrefetchRows, the tuple of row i + kPrefetchRows / 2 (whose address the first fetched).
constexpr int64 kPrefetchRows = 16;

// Rows of a segment one shared dictionary is planned for (core kDictionaryGroupBatches batches).
constexpr int64 kDictionaryGroupRows = 64 * (int64)kBatchRows;
// A column whose batches' own dictionaries take less than this many bytes a row, and for which a
// shared dictionary did not pay, is not planned again in this compression.
constexpr double kDictionaryMinBytesPerRow = 0.5;
// A column whose shared dictionary holds at most this many values (a status's few values recur in
// every segment) keeps it for the next groups without reading their rows: each group that spans
// more than one batch stores it again in a dictionary row of its segment (a batch holding a value
// it lacks keeps its own dictionary). It is planned again every kDictionaryReplanGroups groups.
constexpr size_t kDictionaryKeptValues = 16;
constexpr int kDictionaryReplanGroups = 32;

// Sets up shared dictionary planning for compress_memrows (strata.compression_shared_dictionaries;
// a companion with _strata_dict): every Varlen/Uuid data column is a candidate.
void compressor_plan_dictionaries(Compressor* c, TupleDesc desc) {
  c->ndict = 0;
  c->dict_att = storage_dict_attno(c->companion);
  if (!guc_compression_shared_dictionaries || c->dict_att == InvalidAttrNumber) return;
  c->dict_cols = (int*)palloc0(sizeof(int) * (c->ndata + 1));
  c->dict_kept = (int*)palloc0(sizeof(int) * (c->ndata + 1));
  c->dict_plan = (bool*)palloc0(sizeof(bool) * (c->ndata + 1));
  for (int i = 0; i < c->ndata; ++i) {
    if (!storage_dictionary_type(&c->data[i].type)) continue;
    c->dict_kept[c->ndict] = -1;
    c->dict_cols[c->ndict++] = i;
  }
  if (c->ndict > 0) {
    c->plan_slot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
    // (the planning pass deforms the rows' planned columns as compress_memrows does: deform_plain;
    // with strata.compression_column_appends off, through the slot only)
    c->plan_deform = guc_compression_column_appends ? deform_plan(desc, c->max_attno) : nullptr;
    c->plan_values = (Datum*)palloc(sizeof(Datum) * (c->max_attno + 1));
    c->plan_isnull = (bool*)palloc(sizeof(bool) * (c->max_attno + 1));
  }
  c->group_end = -1;
}

// Plans the shared dictionaries of the group of rows that starts at position `from` of m->order
// (the current segment's next kDictionaryGroupRows rows at most): one more pass over those rows
// reading only the columns planned (kept dictionaries need only the group's row count); each
// dictionary that pays is stored in a dictionary row and the builder encodes the group's batches
// against it.
void plan_dictionaries(Compressor* c, MemRows* m, int64 from) {
  int nplan = 0;
  AttrNumber max_attno = 0;
  for (int k = 0; k < c->ndict; ++k) {
    c->dict_plan[k] = c->dict_kept[k] < 0 || c->dict_kept[k] >= kDictionaryReplanGroups;
    if (!c->dict_plan[k]) continue;
    bridge::builder_plan_begin(c->builder, c->dict_cols[k]);
    max_attno = Max(max_attno, c->data[c->dict_cols[k]].attno);
    nplan++;
  }
  HeapTupleData h;
  int64 j = from;
  for (; j < m->n && j - from < kDictionaryGroupRows; ++j) {
    if (j > from && m->seg_start != nullptr && m->seg_start[j]) break;
    if (nplan == 0 && m->seg_start != nullptr) continue;  // (only counted)
    // (the slot only where the row is compared or deformed through it)
    bool stored = false;
    if (j > from && m->seg_start == nullptr) {
      memrows_store(m, m->order[j], &h, c->plan_slot);
      stored = true;
      if (!same_segment(c, c->plan_slot)) {
        ExecClearTuple(c->plan_slot);
        break;
      }
    }
    const Datum* values = c->plan_values;
    const bool* isnull = c->plan_isnull;
    if (nplan > 0 && (c->plan_deform == nullptr ||
                      !deform_plain(c->plan_deform, max_attno, m->tup[m->order[j]], c->plan_values, c->plan_isnull))) {
      if (!stored) memrows_store(m, m->order[j], &h, c->plan_slot);
      stored = true;
      slot_getsomeattrs(c->plan_slot, max_attno);
      values = c->plan_slot->tts_values;
      isnull = c->plan_slot->tts_isnull;
    }
    for (int k = 0; k < c->ndict; ++k) {
      if (!c->dict_plan[k]) continue;
      const int i = c->dict_cols[k];
      bridge::RowValue cell;
      void* copy = row_value(c, i, values[c->data_idx[i]], isnull[c->data_idx[i]], &cell);
      bridge::builder_plan_add(c->builder, i, (const uint8*)cell.data, cell.len, cell.null);
      if (copy != nullptr) pfree(copy);
    }
    if (stored) ExecClearTuple(c->plan_slot);
  }
  c->group_end = j;
  const int64 rows = j - from;
  for (int k = 0; k < c->ndict;) {
    const uint8* data;
    size_t len, local_bytes, distinct;
    if (!c->dict_plan[k]) {
      c->dict_kept[k]++;
      if (bridge::builder_plan_keep(c->builder, c->dict_cols[k], rows > kBatchRows, &data, &len))
        write_dictionary_row(c, data, len);
    } else if (bridge::builder_plan_end(c->builder, c->dict_cols[k], &data, &len, &local_bytes, &distinct)) {
      write_dictionary_row(c, data, len);
      c->dict_kept[k] = distinct <= kDictionaryKeptValues ? 0 : -1;
    } else if (rows >= kBatchRows && (double)local_bytes < kDictionaryMinBytesPerRow * (double)rows) {
      // not worth planning again: batch-local from here on (no dictionary is set for it now)
      --c->ndict;
      c->dict_cols[k] = c->dict_cols[c->ndict];
      c->dict_kept[k] = c->dict_kept[c->ndict];
      c->dict_plan[k] = c->dict_plan[c->ndict];
      continue;
    } else {
      c->dict_kept[k] = -1;
    }
    ++k;
  }
}

// Streams the gathered rows in m->order into batches. In that order consecutive rows are far
// apart in memory (rows loaded in time order interleave the segments: devops, 100 hosts, reads
// every 100th row), so each row's array entries and tuple were cache misses, a tenth of the
// backend's time (docs/BENCHMARKS.md, branch f-compress3): they are prefetched a few rows ahead.
void compress_memrows(Compressor* c, MemRows* m, TupleTableSlot* slot, Progress* progress, SampleStats* stats) {
  HeapTupleData h;
  // Column statistics started (memrows_sample_stats_start): a column's are computed whenever a
  // batch is cut while the encoding thread is still busy with the one before, when the backend
  // would otherwise wait for it (the encoding takes longer than the rest of the streaming), so
  // that on a machine with a second core few are left for sample_stats_end after the last batch
  // (where all of them are computed with the setting off).
  bool stats_left = stats != nullptr && guc_compression_statistics_overlap;
  int stats_overlapped = 0;
  // (rows handed to the builder column by column: add_row_pending, deformed by deform_plain
  // where they can be)
  const bool columns = guc_compression_column_appends;
  const DeformAtt* plan = columns ? deform_plan(slot->tts_tupleDescriptor, c->max_attno) : nullptr;
  Datum* values = columns ? (Datum*)palloc(sizeof(Datum) * (c->max_attno + 1)) : nullptr;
  bool* isnull = columns ? (bool*)palloc(sizeof(bool) * (c->max_attno + 1)) : nullptr;
  for (int64 i = 0; i < m->n; ++i) {
    if (i + kPrefetchRows < m->n) {
      const int64 r = m->order[i + kPrefetchRows];
      __builtin_prefetch(&m->tup[r]);
      __builtin_prefetch(&m->len[r]);
      __builtin_prefetch(&m->tid[r]);
    }
    if (i + kPrefetchRows / 2 < m->n) {
      const int64 r = m->order[i + kPrefetchRows / 2];
      const char* t = (const char*)m->tup[r];
      const uint32 len = m->len[r];
      for (uint32 off = 0; off < len; off += 64) __builtin_prefetch(t + off);
      if (len > 0) __builtin_prefetch(t + len - 1);
    }
    // (the row goes into the slot only where it is read through it: segment changes, rows
    // deform_plain leaves to the slot, the row-by-row path)
    bool stored = !columns || m->seg_start == nullptr || m->seg_start[i];
    if (stored) memrows_store(m, m->order[i], &h, slot);
    bool group = false;
    const bool segment = m->seg_start != nullptr ? m->seg_start[i] : !same_segment(c, slot);
    const bool cut = segment || (columns ? pending_full(c)
                                         : bridge::builder_full(c->builder) ||
                                               bridge::builder_varlen_bytes(c->builder) > kBatchMaxVarlenBytes);
    if (cut && stats_left && bridge::builder_busy(c->builder)) {
      stats_left = sample_stats_step(stats);
      stats_overlapped += stats_left ? 1 : 0;
    }
    if (segment) {
      flush_batch(c);
      start_segment(c, slot);
      group = true;
    } else if (cut) {
      flush_batch(c);
    }
    if (c->ndict > 0 && (group || i == c->group_end)) {
      append_pending(c);  // (a group may start inside a batch cut early by its bytes)
      plan_dictionaries(c, m, i);
    }
    if (!columns) {
      add_row(c, slot);
    } else if (deform_plain(plan, c->max_attno, m->tup[m->order[i]], values, isnull)) {
      add_row_pending(c, values, isnull);
    } else {
      if (!stored) memrows_store(m, m->order[i], &h, slot);
      stored = true;
      slot_getsomeattrs(slot, c->max_attno);
      add_row_pending(c, slot->tts_values, slot->tts_isnull);
    }
    if (stored) ExecClearTuple(slot);
    progress_row(progress);
    CHECK_FOR_INTERRUPTS();
  }
  flush_batch(c);
  // (DEBUG1 only: how many depends on the threads' timing)
  if (stats != nullptr)
    ereport(DEBUG1,
            (errmsg("compressing chunk \"%s\": statistics of %d columns computed while batches were encoded",
                    progress->relname, stats_overlapped)));
}

// Starts the column statistics of a chunk whose rows are all gathered (m) from a sample of them
// (sample_stats_start; compress_memrows runs the steps, sample_stats_end ends them before
// memrows_end), as ANALYZE would sample the heap: `target` rows chosen uniformly (selection sampling, so they stay
// in heap order, as ANALYZE's sample is), or every row when there are no more.
void memrows_sample_stats_start(MemRows* m, Relation rel, SampleStats* ss) {
  const int64 n = m->n;
  const int64 k = Min(n, (int64)sample_stats_target_rows(ss));
  HeapTupleData* rows = (HeapTupleData*)MemoryContextAllocHuge(m->cxt, sizeof(HeapTupleData) * (Size)Max(k, 1));
  // The k rows by Floyd's algorithm (every k-subset equally likely, k random numbers rather than
  // one per row: pg_prng_double per row was 2% of the main thread), marked in a bitmap so that
  // they are taken in heap order.
  uint64* taken = nullptr;
  if (k < n) {
    taken = (uint64*)MemoryContextAllocHuge(m->cxt, sizeof(uint64) * (Size)(n / 64 + 1));
    memset(taken, 0, sizeof(uint64) * (Size)(n / 64 + 1));
    for (int64 j = n - k; j < n; ++j) {
      const int64 t = (int64)pg_prng_uint64_range(&pg_global_prng_state, 0, (uint64)j);
      const int64 pick = (taken[t >> 6] >> (t & 63)) & 1 ? j : t;
      taken[pick >> 6] |= UINT64CONST(1) << (pick & 63);
    }
  }
  int64 got = 0;
  for (int64 r = 0; r < n && got < k; ++r) {
    if (taken != nullptr) {
      if (taken[r >> 6] == 0) {
        r |= 63;  // (none of these 64)
        continue;
      }
      if (!((taken[r >> 6] >> (r & 63)) & 1)) continue;
    }
    rows[got].t_len = m->len[r];
    rows[got].t_data = m->tup[r];
    rows[got].t_self = m->tid[r];
    rows[got].t_tableOid = RelationGetRelid(rel);
    got++;
  }
  sample_stats_start(ss, rows, (int)got, (double)n);
  pfree(rows);
  if (taken != nullptr) pfree(taken);
}

// Compresses the chunk. `need_stats`: the chunk has no column statistics (never analyzed, e.g.
// loaded and compressed at once). Once its rows are in batches, ANALYZE samples only the (empty)
// row part, which leaves the statistics as they are, and without them the planner estimates the
// chunk's quals with default selectivities (a range filter a third of the rows), which picks
// parallel and join plans for a few rows and the reverse. So they are computed while the rows are
// at hand: from the rows gathered in memory (sample_stats.hpp), else by ANALYZE of the heap.
void do_compress(ChunkTarget* t, const CompressionSettings* s, bool need_stats) {
  const TimestampTz started = pg::summary_start();
  MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "columnstore compress", ALLOCSET_DEFAULT_SIZES);
  MemoryContext old = MemoryContextSwitchTo(work);

  Relation rel = table_open(t->chunk.relid, NoLock);
  TupleDesc desc = RelationGetDescr(rel);
  int ncols;
  SourceColumn* cols = chunk_columns(rel, s, &ncols);

  CompressedChunk cc;
  memset(&cc, 0, sizeof cc);
  cc.chunk_id = t->chunk.id;
  cc.hypertable_id = t->ht->id;
  namestrcpy(&cc.schema_name, get_namespace_name(internal_namespace_oid()));
  char cname[NAMEDATALEN];
  storage_companion_name(t->ht->id, t->chunk.id, cname);
  namestrcpy(&cc.table_name, cname);
  cc.settings = *s;
  cc.format_version = (int16)guc_compression_format_version;
  cc.compression_time = GetCurrentTimestamp();
  table_sizes(t->chunk.relid, &cc.sizes.uncompressed_heap, &cc.sizes.uncompressed_toast,
              &cc.sizes.uncompressed_index);

  Oid companion_relid = create_companion(t, s, cols, ncols, cname);

  Compressor c;
  compressor_init(&c, table_open(companion_relid, AccessExclusiveLock), s, cols, ncols, work);
  compressor_encode_async(&c, work);

  TupleTableSlot* slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
  TupleTableSlot* scan_slot = table_slot_create(rel, nullptr);
  // A snapshot taken now, under the ExclusiveLock: every row committed before it, none after.
  Snapshot snap = RegisterSnapshot(GetLatestSnapshot());
  int64 nrows = 0;
  const Oid index = ordering_index(rel, s, cols, ncols);
  const int nkeys = s->nsegmentby + s->norderby;
  const int memmode = nkeys > 0 && guc_compression_sort_in_memory ? memrows_fit(rel, nkeys) : 0;
  SampleStats* stats = need_stats && memmode != 0 ? sample_stats_begin(rel) : nullptr;
  if (need_stats && stats == nullptr) analyze_relation(t->chunk.relid);
  if (memmode != 0) {
    // One sequential pass over the heap into memory, then the rows in order there.
    MemRows* m = memrows_begin(rel, memmode == 2, s, cols, ncols, work);
    Tuplesortstate* spill = nullptr;
    if (m->copy && !IsolationIsSerializable()) nrows = memrows_read_heap(m, rel, snap, &spill, s, cols, ncols);
    TableScanDesc scan = m->copy && !IsolationIsSerializable() ? nullptr
                                                                : table_beginscan_strat(rel, snap, 0, nullptr, false, false);
    // Copy mode: the pages through a ring of buffers. heapam uses a ring only for tables larger
    // than a quarter of shared_buffers (these chunks are smaller), so the scan is given one.
    if (scan != nullptr && m->copy && ((HeapScanDesc)scan)->rs_strategy == nullptr)
      ((HeapScanDesc)scan)->rs_strategy = GetAccessStrategy(BAS_BULKREAD);
    while (scan != nullptr && table_scan_getnextslot(scan, ForwardScanDirection, scan_slot)) {
      nrows++;
      if (spill == nullptr && !memrows_add(m, scan_slot)) spill = start_spill(m, rel, s, cols, ncols);
      if (spill != nullptr) tuplesort_puttupleslot(spill, scan_slot);
      CHECK_FOR_INTERRUPTS();
    }
    if (scan != nullptr) table_endscan(scan);
    if (stats != nullptr && spill != nullptr) analyze_relation(t->chunk.relid);  // (the rows are still in the heap)
    if (stats != nullptr && spill == nullptr) memrows_sample_stats_start(m, rel, stats);
    if (spill != nullptr) {
      UnregisterSnapshot(snap);
      compress_sorted(&c, spill, slot, RelationGetRelationName(rel), nrows);
      tuplesort_end(spill);
    } else {
      Progress progress;
      // Copy mode sorts rather than reading the index: with the rows in memory the sort is a pass
      // per segment when they are in (reverse) order, while the index's pages are read through
      // shared_buffers (devops small: 0.08 s of index reads per chunk against 0.01 s of sorting).
      if (!m->copy && OidIsValid(index) && memrows_index_order(m, rel, index, snap)) {
        progress_start(&progress, RelationGetRelationName(rel), (int64)Max(rel->rd_rel->reltuples, 0), false);
      } else {
        ereport(DEBUG1, (errmsg("compressing chunk \"%s\": sorting %lld rows in memory", RelationGetRelationName(rel),
                                (long long)nrows)));
        progress_start(&progress, RelationGetRelationName(rel), nrows, true);
        memrows_sort(m);
      }
      UnregisterSnapshot(snap);
      TupleTableSlot* hslot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
      compressor_plan_dictionaries(&c, desc);
      compress_memrows(&c, m, hslot, &progress, stats);
      if (stats != nullptr) sample_stats_end(stats);  // (the columns left, while the last batch encodes)
      ExecDropSingleTupleTableSlot(hslot);
      if (c.plan_slot != nullptr) ExecDropSingleTupleTableSlot(c.plan_slot);
      memrows_end(m);
    }
    snap = nullptr;
  } else if (OidIsValid(index)) {
    // The rows in segmentby and orderby order from the index: no sort, no copies.
    Relation idx = index_open(index, AccessShareLock);
    Progress progress;
    progress_start(&progress, RelationGetRelationName(rel), (int64)Max(rel->rd_rel->reltuples, 0), false);
    IndexScanDesc iscan = index_beginscan(rel, idx, snap, 0, 0);
    index_rescan(iscan, nullptr, 0, nullptr, 0);
    while (index_getnext_slot(iscan, ForwardScanDirection, scan_slot)) {
      nrows++;
      if (!same_segment(&c, scan_slot)) {
        flush_batch(&c);
        start_segment(&c, scan_slot);
      } else if (bridge::builder_full(c.builder) || bridge::builder_varlen_bytes(c.builder) > kBatchMaxVarlenBytes) {
        flush_batch(&c);
      }
      add_row(&c, scan_slot);
      progress_row(&progress);
      CHECK_FOR_INTERRUPTS();
    }
    index_endscan(iscan);
    index_close(idx, NoLock);
    UnregisterSnapshot(snap);
    snap = nullptr;
  }
  Tuplesortstate* sort = snap == nullptr ? nullptr : begin_sort(desc, s, cols, ncols);
  if (snap != nullptr && sort == nullptr) {
    // No keys at all: one segment, in the heap's order; still bounded by one batch.
    start_segment(&c, scan_slot);
  }
  TableScanDesc scan = snap == nullptr ? nullptr : table_beginscan(rel, snap, 0, nullptr);
  while (scan != nullptr && table_scan_getnextslot(scan, ForwardScanDirection, scan_slot)) {
    nrows++;
    if (sort != nullptr) {
      tuplesort_puttupleslot(sort, scan_slot);
    } else {
      if (bridge::builder_full(c.builder) || bridge::builder_varlen_bytes(c.builder) > kBatchMaxVarlenBytes)
        flush_batch(&c);
      add_row(&c, scan_slot);
    }
    CHECK_FOR_INTERRUPTS();
  }
  if (scan != nullptr) {
    table_endscan(scan);
    UnregisterSnapshot(snap);
  }
  if (sort != nullptr) {
    compress_sorted(&c, sort, slot, RelationGetRelationName(rel), nrows);
    tuplesort_end(sort);
  }
  flush_batch(&c);
  compressor_drain(&c);
  FreeBulkInsertState(c.bistate);
  ExecDropSingleTupleTableSlot(slot);
  ExecDropSingleTupleTableSlot(scan_slot);
  table_close(c.companion, NoLock);
  create_companion_index(s, cname);

  // The swap: readers of the row part wait from here to the end of the transaction.
  const char* chunk_name = pstrdup(RelationGetRelationName(rel));
  table_close(rel, NoLock);
  LockRelationOid(t->chunk.relid, AccessExclusiveLock);
  empty_row_part(t->chunk.relid);

  cc.sizes.uncompressed_rows = nrows;
  cc.sizes.compressed_rows = c.batches;
  cc.has_dictionaries = c.dict_rows > 0;
  table_sizes(companion_relid, &cc.sizes.compressed_heap, &cc.sizes.compressed_toast, &cc.sizes.compressed_index);
  catalog_insert_compressed_chunk(&cc);
  catalog_update_chunk_status(t->chunk.id, kChunkStatusCompressed);
  CommandCounterIncrement();
  const int64 before = cc.sizes.uncompressed_heap + cc.sizes.uncompressed_toast + cc.sizes.uncompressed_index;
  const int64 after = cc.sizes.compressed_heap + cc.sizes.compressed_toast + cc.sizes.compressed_index;
  ereport(pg::summary_due(started) ? NOTICE : DEBUG1,
          (errmsg("compressed chunk \"%s\": %lld rows into %lld batches, %s to %s", chunk_name, (long long)nrows,
                  (long long)c.batches, pg::size_pretty(before), pg::size_pretty(after))));
  MemoryContextSwitchTo(old);
  MemoryContextDelete(work);  // frees the builder (reset callback)
}

// ---- decompression --------------------------------------------------------------------------

struct TargetColumn {
  AttrNumber companion_att;  // data or segment column in the companion, 0 when missing
  bool segment;
  int decoder;               // index into decoders (data columns)
  StorageType type;
};

// Turns batch rows of a companion back into rows of the chunk.
struct BatchDecoder {
  TupleDesc desc;  // the chunk's
  TargetColumn* cols;
  int ndecoders;
  bridge::Decoder** decoders;
  AttrNumber count_att;
  Datum* values;
  bool* nulls;
  // for the shared dictionaries of a batch's segment (storage_decode)
  Relation companion;
  const CompressedChunk* cc;
  Snapshot snapshot;
};

void batch_decoder_init(BatchDecoder* d, Relation rel, Relation companion, const CompressedChunk* cc,
                        Snapshot snapshot) {
  TupleDesc desc = RelationGetDescr(rel);
  d->desc = desc;
  d->companion = companion;
  d->cc = cc;
  d->snapshot = snapshot;
  d->count_att = companion_att(companion, kCountColumn);
  d->cols = (TargetColumn*)palloc0(sizeof(TargetColumn) * (desc->natts + 1));
  d->ndecoders = 0;
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (att->attisdropped) continue;
    TargetColumn* tc = &d->cols[i];
    tc->companion_att = attnameAttNum(companion, NameStr(att->attname), false);
    tc->segment = storage_name_index(cc->settings.segmentby, cc->settings.nsegmentby, NameStr(att->attname)) >= 0;
    storage_type(att->atttypid, &tc->type);
    if (tc->companion_att != InvalidAttrNumber && !tc->segment) tc->decoder = d->ndecoders++;
  }
  d->decoders = (bridge::Decoder**)palloc0(sizeof(bridge::Decoder*) * (d->ndecoders + 1));
  for (int i = 0; i < d->ndecoders; ++i) d->decoders[i] = storage_decoder_create();
  d->values = (Datum*)palloc0(sizeof(Datum) * (desc->natts + 1));
  d->nulls = (bool*)palloc0(sizeof(bool) * (desc->natts + 1));
}

// Decodes the data columns of the batch in `bslot` (all attributes fetched); returns its rows (0:
// a dictionary row, nothing to decode).
int32 batch_decode(BatchDecoder* d, TupleTableSlot* bslot) {
  slot_getallattrs(bslot);
  if (bslot->tts_isnull[d->count_att - 1]) ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("batch without row count")));
  const int32 rows = DatumGetInt32(bslot->tts_values[d->count_att - 1]);
  if (storage_is_dictionary_row(rows)) return 0;
  for (int i = 0; i < d->desc->natts; ++i) {
    TargetColumn* tc = &d->cols[i];
    if (TupleDescAttr(d->desc, i)->attisdropped || tc->companion_att == InvalidAttrNumber || tc->segment) continue;
    if (bslot->tts_isnull[tc->companion_att - 1])
      ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                      errmsg("batch without data for column \"%s\"", NameStr(TupleDescAttr(d->desc, i)->attname))));
    bytea* b = DatumGetByteaPP(bslot->tts_values[tc->companion_att - 1]);
    storage_decode(d->decoders[tc->decoder], (const uint8*)VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), tc->type.codec_type,
                   d->companion, d->cc->settings.segmentby, d->cc->settings.nsegmentby, bslot, d->snapshot);
    if (bridge::decoder_rows(d->decoders[tc->decoder]) != (size_t)rows)
      ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                      errmsg("batch column \"%s\" has %zu rows instead of %d", NameStr(TupleDescAttr(d->desc, i)->attname),
                             bridge::decoder_rows(d->decoders[tc->decoder]), rows)));
  }
  return rows;
}

// Row `r` of the batch decoded last (from `bslot`) as a virtual tuple in `out` (datums palloc'd
// in the current memory context).
void batch_row(BatchDecoder* d, TupleTableSlot* bslot, int32 r, TupleTableSlot* out) {
  TupleDesc desc = d->desc;
  Datum* values = d->values;
  bool* nulls = d->nulls;
  ExecClearTuple(out);
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    TargetColumn* tc = &d->cols[i];
    if (att->attisdropped) {
      values[i] = (Datum)0;
      nulls[i] = true;
    } else if (tc->companion_att == InvalidAttrNumber) {
      // A column added after compression: the value its rows had then (ADD COLUMN's default).
      nulls[i] = true;
      values[i] = (Datum)0;
      if (att->atthasmissing && desc->constr != nullptr && desc->constr->missing != nullptr &&
          desc->constr->missing[i].am_present) {
        values[i] = desc->constr->missing[i].am_value;
        nulls[i] = false;
      }
    } else if (tc->segment) {
      values[i] = bslot->tts_values[tc->companion_att - 1];
      nulls[i] = bslot->tts_isnull[tc->companion_att - 1];
    } else {
      values[i] = storage_decoded_datum(d->decoders[tc->decoder], (size_t)r, &tc->type, &nulls[i]);
    }
  }
  memcpy(out->tts_values, values, sizeof(Datum) * desc->natts);
  memcpy(out->tts_isnull, nulls, sizeof(bool) * desc->natts);
  ExecStoreVirtualTuple(out);
}

void do_decompress(ChunkTarget* t) {
  const TimestampTz started = pg::summary_start();
  CompressedChunk cc;
  if (!catalog_get_compressed_chunk(t->chunk.id, &cc))
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("compressed chunk \"%s\" has no compressed_chunk catalog row", NameStr(t->chunk.table_name))));
  Oid companion_relid = storage_companion_relid(&cc);
  if (!OidIsValid(companion_relid))
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("companion table %s.%s of chunk \"%s\" is missing", NameStr(cc.schema_name),
                           NameStr(cc.table_name), NameStr(t->chunk.table_name))));

  MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "columnstore decompress", ALLOCSET_DEFAULT_SIZES);
  MemoryContext old = MemoryContextSwitchTo(work);
  MemoryContext row_cxt = AllocSetContextCreate(work, "columnstore row", ALLOCSET_DEFAULT_SIZES);

  Relation companion = table_open(companion_relid, ExclusiveLock);
  Relation rel = table_open(t->chunk.relid, NoLock);
  Snapshot snap = RegisterSnapshot(GetLatestSnapshot());
  BatchDecoder d;
  batch_decoder_init(&d, rel, companion, &cc, snap);

  EState* estate = CreateExecutorState();
  ResultRelInfo* rri = makeNode(ResultRelInfo);
  InitResultRelInfo(rri, rel, 0, nullptr, 0);
  ExecOpenIndices(rri, false);
  TupleTableSlot* out = table_slot_create(rel, nullptr);
  BulkInsertState bistate = GetBulkInsertState();
  const CommandId cid = GetCurrentCommandId(true);

  TableScanDesc scan = table_beginscan(companion, snap, 0, nullptr);
  TupleTableSlot* bslot = table_slot_create(companion, nullptr);
  int64 nrows = 0, nbatches = 0;
  while (table_scan_getnextslot(scan, ForwardScanDirection, bslot)) {
    const int32 rows = batch_decode(&d, bslot);
    if (rows == 0) continue;  // a dictionary row
    nrows += rows;
    nbatches++;
    for (int32 r = 0; r < rows; ++r) {
      MemoryContext rowold = MemoryContextSwitchTo(row_cxt);
      batch_row(&d, bslot, r, out);
      table_tuple_insert(rel, out, cid, 0, bistate);
      if (rri->ri_NumIndices > 0) compat::insert_index_tuples(rri, out, estate);
      MemoryContextSwitchTo(rowold);
      MemoryContextReset(row_cxt);
    }
    CHECK_FOR_INTERRUPTS();
  }
  table_endscan(scan);
  UnregisterSnapshot(snap);
  ExecDropSingleTupleTableSlot(bslot);
  ExecDropSingleTupleTableSlot(out);
  FreeBulkInsertState(bistate);
  ExecCloseIndices(rri);
  FreeExecutorState(estate);
  table_close(rel, NoLock);
  table_close(companion, NoLock);

  // The swap: the companion goes, the status is cleared.
  LockRelationOid(t->chunk.relid, AccessExclusiveLock);
  ObjectAddress addr;
  ObjectAddressSet(addr, RelationRelationId, companion_relid);
  performDeletion(&addr, DROP_RESTRICT, PERFORM_DELETION_INTERNAL);
  catalog_delete_compressed_chunk(t->chunk.id);
  catalog_update_chunk_status(t->chunk.id, t->chunk.status & ~(kChunkStatusCompressed | kChunkStatusPartial));
  t->chunk.status &= ~(kChunkStatusCompressed | kChunkStatusPartial);
  CommandCounterIncrement();
  ereport(pg::summary_due(started) ? NOTICE : DEBUG1,
          (errmsg("decompressed chunk \"%s\": %lld rows from %lld batches", NameStr(t->chunk.table_name),
                  (long long)nrows, (long long)nbatches)));
  MemoryContextSwitchTo(old);
  MemoryContextDelete(work);
}

// ---- segment-wise recompression ---------------------------------------------------------------

bool same_names(char* const* a, int na, char* const* b, int nb) {
  if (na != nb) return false;
  for (int i = 0; i < na; ++i)
    if (strcmp(a[i], b[i]) != 0) return false;
  return true;
}

bool same_settings(const CompressionSettings* a, const CompressionSettings* b) {
  if (!same_names(a->segmentby, a->nsegmentby, b->segmentby, b->nsegmentby) ||
      !same_names(a->orderby, a->norderby, b->orderby, b->norderby) ||
      !same_names(a->minmax, a->nminmax, b->minmax, b->nminmax) || !same_names(a->bloom, a->nbloom, b->bloom, b->nbloom))
    return false;
  for (int i = 0; i < a->norderby; ++i)
    if (a->orderby_desc[i] != b->orderby_desc[i] || a->orderby_nullsfirst[i] != b->orderby_nullsfirst[i]) return false;
  return true;
}

// Whether the companion has exactly the columns a compression of the chunk's columns `cols` with
// settings `s` would give it now (no column added to or dropped from the chunk since).
bool companion_matches(Relation companion, const CompressionSettings* s, SourceColumn* cols, int ncols) {
  TupleDesc cdesc = RelationGetDescr(companion);
  int live = 0;
  for (int i = 0; i < cdesc->natts; ++i)
    if (!TupleDescAttr(cdesc, i)->attisdropped) live++;
  const int want = ncols + 2 + 3 * s->nminmax + s->nbloom + (storage_dict_attno(companion) != InvalidAttrNumber ? 1 : 0);
  if (live != want) return false;
  for (int i = 0; i < ncols; ++i) {
    AttrNumber a = attnameAttNum(companion, cols[i].name, false);
    if (a == InvalidAttrNumber) return false;
    const bool seg = storage_name_index(s->segmentby, s->nsegmentby, cols[i].name) >= 0;
    const Oid want_type = seg ? cols[i].typid : BYTEAOID;
    if (TupleDescAttr(cdesc, a - 1)->atttypid != want_type) return false;
  }
  return true;
}

// The segment values of a row (slot attributes `attnos`) or of a batch (companion `attnos`).
struct SegmentKey {
  Datum* values;
  bool* nulls;
};

bool segment_key_eq(const SegmentKey* a, const SegmentKey* b, const SourceColumn* seg, int nseg) {
  for (int i = 0; i < nseg; ++i) {
    if (a->nulls[i] != b->nulls[i]) return false;
    if (!a->nulls[i] && !storage_segment_value_eq(a->values[i], b->values[i], seg[i].type.typbyval, seg[i].type.typlen))
      return false;
  }
  return true;
}

// The segments of dictionary rows that a segment-wise recompression does not touch, and whether
// its scan met a batch of each.
struct DictSegments {
  SegmentKey* keys;
  bool* has_batch;
  int n;
  int cap;
};

// Remembers the segment `k` of a dictionary row, copying its values, unless it is the latest
// entry's (a segment's dictionary rows are written together; one noted again later costs one more
// lookup in drop_orphan_dictionaries, which finds its batches or deletes nothing twice).
void note_dictionary_segment(DictSegments* d, const SegmentKey* k, const SourceColumn* seg, int nseg) {
  if (d->n > 0 && segment_key_eq(k, &d->keys[d->n - 1], seg, nseg)) return;
  if (d->n == d->cap) {
    d->cap = Max(16, d->cap * 2);
    d->keys = d->keys == nullptr ? (SegmentKey*)palloc(sizeof(SegmentKey) * d->cap)
                                 : (SegmentKey*)repalloc(d->keys, sizeof(SegmentKey) * d->cap);
    d->has_batch = d->has_batch == nullptr ? (bool*)palloc(sizeof(bool) * d->cap)
                                           : (bool*)repalloc(d->has_batch, sizeof(bool) * d->cap);
  }
  SegmentKey* c = &d->keys[d->n];
  c->values = (Datum*)palloc(sizeof(Datum) * (nseg + 1));
  c->nulls = (bool*)palloc(sizeof(bool) * (nseg + 1));
  for (int i = 0; i < nseg; ++i) {
    c->nulls[i] = k->nulls[i];
    c->values[i] = k->nulls[i] ? (Datum)0 : datumCopy(k->values[i], seg[i].type.typbyval, seg[i].type.typlen);
  }
  d->has_batch[d->n++] = false;
}

// A batch of an untouched segment: it has one when it is the latest dictionary row's segment
// (batches read before their segment's dictionary row are found by drop_orphan_dictionaries).
void note_batch_segment(DictSegments* d, const SegmentKey* k, const SourceColumn* seg, int nseg) {
  const int last = d->n - 1;
  if (last >= 0 && !d->has_batch[last] && segment_key_eq(k, &d->keys[last], seg, nseg)) d->has_batch[last] = true;
}

// Deletes the dictionary rows of the noted segments that `snap` shows without a batch
// (storage_drop_orphan_dictionaries; not asked for segments whose batch the scan met).
void drop_orphan_dictionaries(Relation companion, const AttrNumber* seg_catt, int nseg, const DictSegments* d,
                              Snapshot snap) {
  TupleDesc cdesc = RelationGetDescr(companion);
  TupleTableSlot* row = nullptr;
  const CommandId cid = GetCurrentCommandId(true);
  for (int j = 0; j < d->n; ++j) {
    if (d->has_batch[j]) continue;
    if (row == nullptr) row = MakeSingleTupleTableSlot(cdesc, &TTSOpsVirtual);
    ExecClearTuple(row);
    for (int i = 0; i < cdesc->natts; ++i) row->tts_isnull[i] = true;
    for (int i = 0; i < nseg; ++i) {
      row->tts_values[seg_catt[i] - 1] = d->keys[j].values[i];
      row->tts_isnull[seg_catt[i] - 1] = d->keys[j].nulls[i];
    }
    ExecStoreVirtualTuple(row);
    (void)storage_drop_orphan_dictionaries(companion, seg_catt, nseg, row, snap, cid);
  }
  if (row != nullptr) ExecDropSingleTupleTableSlot(row);
}

// Recompresses a partial chunk segment by segment: the rows of its row part are merged, in
// orderby order, with the decoded batches of the segments they belong to, and only those
// segments' batches are rewritten; batches of other segments stay as they are. Returns false
// (having changed nothing) when that is not possible: the hypertable's settings changed since
// the chunk was compressed, or columns were added or dropped (then the chunk is recompressed
// whole, with the current settings).
bool do_recompress_segments(ChunkTarget* t, const CompressionSettings* s) {
  const TimestampTz started = pg::summary_start();
  CompressedChunk cc;
  if (!catalog_get_compressed_chunk(t->chunk.id, &cc))
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("compressed chunk \"%s\" has no compressed_chunk catalog row", NameStr(t->chunk.table_name))));
  if (!same_settings(&cc.settings, s) || !storage_format_writable(cc.format_version)) return false;
  Oid companion_relid = storage_companion_relid(&cc);
  if (!OidIsValid(companion_relid))
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("companion table %s.%s of chunk \"%s\" is missing", NameStr(cc.schema_name),
                           NameStr(cc.table_name), NameStr(t->chunk.table_name))));

  MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "columnstore recompress", ALLOCSET_DEFAULT_SIZES);
  MemoryContext old = MemoryContextSwitchTo(work);
  Relation rel = table_open(t->chunk.relid, NoLock);
  TupleDesc desc = RelationGetDescr(rel);
  int ncols;
  SourceColumn* cols = chunk_columns(rel, s, &ncols);
  // The companion is locked like the chunk: readers go on, writers wait.
  Relation companion = table_open(companion_relid, ExclusiveLock);
  if (!companion_matches(companion, s, cols, ncols) || s->nsegmentby + s->norderby == 0) {
    table_close(companion, NoLock);
    table_close(rel, NoLock);
    MemoryContextSwitchTo(old);
    MemoryContextDelete(work);
    return false;
  }
  int64 row_heap, row_toast, row_index;
  table_sizes(t->chunk.relid, &row_heap, &row_toast, &row_index);

  // 1. The row part's rows, sorted; the segments they touch (adjacent in the sort).
  TupleTableSlot* slot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
  TupleTableSlot* scan_slot = table_slot_create(rel, nullptr);
  Tuplesortstate* rows_sort = begin_sort(desc, s, cols, ncols);
  Snapshot snap = RegisterSnapshot(GetLatestSnapshot());
  TableScanDesc scan = table_beginscan(rel, snap, 0, nullptr);
  int64 new_rows = 0;
  while (table_scan_getnextslot(scan, ForwardScanDirection, scan_slot)) {
    new_rows++;
    tuplesort_puttupleslot(rows_sort, scan_slot);
    CHECK_FOR_INTERRUPTS();
  }
  table_endscan(scan);
  tuplesort_performsort(rows_sort);

  const int nseg = s->nsegmentby;
  SourceColumn* seg = (SourceColumn*)palloc0(sizeof(SourceColumn) * (nseg + 1));
  AttrNumber* seg_catt = (AttrNumber*)palloc0(sizeof(AttrNumber) * (nseg + 1));
  for (int i = 0; i < nseg; ++i) {
    seg[i] = *find_source(cols, ncols, s->segmentby[i]);
    seg_catt[i] = companion_att(companion, s->segmentby[i]);
  }
  int ntouched = 0, cap = 16;
  SegmentKey* touched = (SegmentKey*)palloc(sizeof(SegmentKey) * cap);
  Tuplesortstate* sort = begin_sort(desc, s, cols, ncols);
  while (tuplesort_gettupleslot(rows_sort, true, false, slot, nullptr)) {
    SegmentKey k;
    k.values = (Datum*)palloc(sizeof(Datum) * (nseg + 1));
    k.nulls = (bool*)palloc(sizeof(bool) * (nseg + 1));
    for (int i = 0; i < nseg; ++i) k.values[i] = slot_getattr(slot, seg[i].attno, &k.nulls[i]);
    if (ntouched == 0 || !segment_key_eq(&k, &touched[ntouched - 1], seg, nseg)) {
      for (int i = 0; i < nseg; ++i)
        if (!k.nulls[i]) k.values[i] = datumCopy(k.values[i], seg[i].type.typbyval, seg[i].type.typlen);
      if (ntouched == cap) {
        cap *= 2;
        touched = (SegmentKey*)repalloc(touched, sizeof(SegmentKey) * cap);
      }
      touched[ntouched++] = k;
    } else {
      pfree(k.values);
      pfree(k.nulls);
    }
    tuplesort_puttupleslot(sort, slot);
    CHECK_FOR_INTERRUPTS();
  }
  tuplesort_end(rows_sort);

  // 2. The batches of those segments: decoded into the sort, then deleted. Every other batch is
  // left as it is.
  MemoryContext row_cxt = AllocSetContextCreate(work, "columnstore row", ALLOCSET_DEFAULT_SIZES);
  BatchDecoder d;
  batch_decoder_init(&d, rel, companion, &cc, snap);
  TupleTableSlot* out = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
  TupleTableSlot* bslot = table_slot_create(companion, nullptr);
  scan = table_beginscan(companion, snap, 0, nullptr);
  int64 rewritten = 0, old_rows = 0;
  SegmentKey bk;
  bk.values = (Datum*)palloc(sizeof(Datum) * (nseg + 1));
  bk.nulls = (bool*)palloc(sizeof(bool) * (nseg + 1));
  // Segments not touched that hold dictionary rows: those left without batches (by DML that
  // moved their batches, whose rows were deleted from the row part since) lose them below.
  // (none to look for when compress_chunk wrote no dictionary row: cc.has_dictionaries, as DML uses it)
  const bool has_dicts = cc.has_dictionaries && storage_dict_attno(companion) != InvalidAttrNumber;
  const AttrNumber count_att = companion_att(companion, kCountColumn);
  DictSegments dict_segs{};
  while (table_scan_getnextslot(scan, ForwardScanDirection, bslot)) {
    for (int i = 0; i < nseg; ++i) bk.values[i] = slot_getattr(bslot, seg_catt[i], &bk.nulls[i]);
    bool hit = false;
    for (int j = 0; j < ntouched && !hit; ++j) hit = segment_key_eq(&bk, &touched[j], seg, nseg);
    if (!hit) {
      bool isnull = true;
      const Datum count = has_dicts ? slot_getattr(bslot, count_att, &isnull) : (Datum)0;
      if (isnull) continue;  // (no dictionaries in a version 1 companion)
      if (storage_is_dictionary_row(DatumGetInt32(count)))
        note_dictionary_segment(&dict_segs, &bk, seg, nseg);
      else
        note_batch_segment(&dict_segs, &bk, seg, nseg);
      continue;
    }
    const int32 rows = batch_decode(&d, bslot);
    for (int32 r = 0; r < rows; ++r) {
      MemoryContext rowold = MemoryContextSwitchTo(row_cxt);
      batch_row(&d, bslot, r, out);
      tuplesort_puttupleslot(sort, out);
      MemoryContextSwitchTo(rowold);
      MemoryContextReset(row_cxt);
    }
    old_rows += rows;
    // (a dictionary row of the segment goes too: its batches are rewritten; `snap` still sees it
    // for the segment's batches decoded after it)
    simple_heap_delete(companion, &bslot->tts_tid);
    if (rows > 0) rewritten++;
    CHECK_FOR_INTERRUPTS();
  }
  table_endscan(scan);
  // (`snap` sees the untouched segments as they are: nothing of them was deleted above)
  drop_orphan_dictionaries(companion, seg_catt, nseg, &dict_segs, snap);
  UnregisterSnapshot(snap);
  ExecDropSingleTupleTableSlot(bslot);
  ExecDropSingleTupleTableSlot(out);

  // 3. The merged rows of the touched segments as new batches (with their index entries).
  Compressor c;
  compressor_init(&c, companion, s, cols, ncols, work);
  EState* estate = CreateExecutorState();
  ResultRelInfo* rri = makeNode(ResultRelInfo);
  InitResultRelInfo(rri, companion, 0, nullptr, 0);
  ExecOpenIndices(rri, false);
  c.rri = rri;
  c.estate = estate;
  c.cslot = MakeSingleTupleTableSlot(c.cdesc, &TTSOpsHeapTuple);
  compressor_encode_async(&c, work);
  compress_sorted(&c, sort, slot, RelationGetRelationName(rel), new_rows + old_rows);
  compressor_drain(&c);
  tuplesort_end(sort);
  FreeBulkInsertState(c.bistate);
  ExecDropSingleTupleTableSlot(c.cslot);
  ExecCloseIndices(rri);
  FreeExecutorState(estate);
  ExecDropSingleTupleTableSlot(slot);
  ExecDropSingleTupleTableSlot(scan_slot);
  table_close(companion, NoLock);

  // 4. The swap, as compress_chunk does it.
  const char* chunk_name = pstrdup(RelationGetRelationName(rel));
  table_close(rel, NoLock);
  LockRelationOid(t->chunk.relid, AccessExclusiveLock);
  empty_row_part(t->chunk.relid);
  catalog_delete_compressed_chunk(t->chunk.id);
  cc.sizes.uncompressed_heap += row_heap;
  cc.sizes.uncompressed_toast += row_toast;
  cc.sizes.uncompressed_rows += new_rows;
  cc.sizes.compressed_rows += c.batches - rewritten;
  cc.compression_time = GetCurrentTimestamp();
  table_sizes(companion_relid, &cc.sizes.compressed_heap, &cc.sizes.compressed_toast, &cc.sizes.compressed_index);
  catalog_insert_compressed_chunk(&cc);
  catalog_update_chunk_status(t->chunk.id, t->chunk.status & ~kChunkStatusPartial);
  t->chunk.status &= ~kChunkStatusPartial;
  CommandCounterIncrement();
  ereport(pg::summary_due(started) ? NOTICE : DEBUG1,
          (errmsg("recompressed chunk \"%s\": %lld new rows merged, segments touched: %d, batches rewritten: %lld as %lld",
                  chunk_name, (long long)new_rows, ntouched, (long long)rewritten, (long long)c.batches)));
  MemoryContextSwitchTo(old);
  MemoryContextDelete(work);
  return true;
}

}  // namespace

// ---- batches for other writers (batch_writer.hpp) --------------------------------------------

struct BatchWriter {
  MemoryContext work;
  Relation chunk;
  TupleDesc desc;
  CompressionSettings settings;
  SourceColumn* cols;
  int ncols;
  Compressor c;
  EState* estate;
  ResultRelInfo* rri;
  TupleTableSlot* slot;     // rows out of a sort
  TupleTableSlot* pslot;    // pending rows
  MemoryContext pending_cxt;
  MinimalTuple* pending;    // the current segment's rows not written yet (carry mode)
  int npending;
  bridge::RowValue* column_cells;  // batch_writer_add_rows: one column's values (kBatchRows)
  void** column_copies;            // and the detoasted copies they point into
};

bool batch_writer_fits(Relation chunk_rel, Relation companion, const CompressionSettings* s) {
  if (s->nsegmentby + s->norderby == 0) return false;
  MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "columnstore fits", ALLOCSET_SMALL_SIZES);
  MemoryContext old = MemoryContextSwitchTo(work);
  int ncols;
  SourceColumn* cols = chunk_columns(chunk_rel, s, &ncols);
  const bool fits = companion_matches(companion, s, cols, ncols);
  MemoryContextSwitchTo(old);
  MemoryContextDelete(work);
  return fits;
}

BatchWriter* batch_writer_open(Relation chunk_rel, Relation companion, const CompressionSettings* s) {
  MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "columnstore batch writer", ALLOCSET_DEFAULT_SIZES);
  MemoryContext old = MemoryContextSwitchTo(work);
  BatchWriter* w = (BatchWriter*)palloc0(sizeof(BatchWriter));
  w->work = work;
  w->chunk = chunk_rel;
  w->desc = RelationGetDescr(chunk_rel);
  w->settings = *s;
  w->cols = chunk_columns(chunk_rel, &w->settings, &w->ncols);
  compressor_init(&w->c, companion, &w->settings, w->cols, w->ncols, work);
  w->estate = CreateExecutorState();
  w->rri = makeNode(ResultRelInfo);
  InitResultRelInfo(w->rri, companion, 0, nullptr, 0);
  ExecOpenIndices(w->rri, false);
  w->c.rri = w->rri;
  w->c.estate = w->estate;
  w->c.cslot = MakeSingleTupleTableSlot(w->c.cdesc, &TTSOpsHeapTuple);
  // Batches encoded on the builder's worker thread while the caller reads on (batch_writer_drain
  // writes the last one).
  compressor_encode_async(&w->c, work);
  w->slot = MakeSingleTupleTableSlot(w->desc, &TTSOpsMinimalTuple);
  w->pslot = MakeSingleTupleTableSlot(w->desc, &TTSOpsMinimalTuple);
  w->pending_cxt = AllocSetContextCreate(work, "columnstore pending rows", ALLOCSET_DEFAULT_SIZES);
  w->pending = (MinimalTuple*)palloc0(sizeof(MinimalTuple) * kBatchRows);
  MemoryContextSwitchTo(old);
  return w;
}

Tuplesortstate* batch_writer_begin_sort(BatchWriter* w) {
  return begin_sort(w->desc, &w->settings, w->cols, w->ncols);
}

namespace {

// Writes the pending rows as one batch (carry mode: exactly a batch's worth).
void write_pending(BatchWriter* w) {
  for (int i = 0; i < w->npending; ++i) {
    if (bridge::builder_full(w->c.builder) || bridge::builder_varlen_bytes(w->c.builder) > kBatchMaxVarlenBytes)
      flush_batch(&w->c);
    ExecStoreMinimalTuple(w->pending[i], w->pslot, false);
    add_row(&w->c, w->pslot);
    ExecClearTuple(w->pslot);
  }
  flush_batch(&w->c);
  w->npending = 0;
  MemoryContextReset(w->pending_cxt);
}

// Puts the pending rows into `carry`.
void carry_pending(BatchWriter* w, Tuplesortstate* carry) {
  for (int i = 0; i < w->npending; ++i) {
    ExecStoreMinimalTuple(w->pending[i], w->pslot, false);
    tuplesort_puttupleslot(carry, w->pslot);
    ExecClearTuple(w->pslot);
  }
  w->npending = 0;
  MemoryContextReset(w->pending_cxt);
}

}  // namespace

int64 batch_writer_write(BatchWriter* w, Tuplesortstate* sort, Tuplesortstate* carry) {
  MemoryContext old = MemoryContextSwitchTo(w->work);
  Compressor* c = &w->c;
  c->have_segment = false;
  int64 written = 0;
  if (carry == nullptr) {
    tuplesort_performsort(sort);
    while (tuplesort_gettupleslot(sort, true, false, w->slot, nullptr)) {
      if (!same_segment(c, w->slot)) {
        flush_batch(c);
        start_segment(c, w->slot);
      } else if (bridge::builder_full(c->builder) || bridge::builder_varlen_bytes(c->builder) > kBatchMaxVarlenBytes) {
        flush_batch(c);
      }
      add_row(c, w->slot);
      written++;
      CHECK_FOR_INTERRUPTS();
    }
    flush_batch(c);
  } else {
    tuplesort_performsort(sort);
    while (tuplesort_gettupleslot(sort, true, false, w->slot, nullptr)) {
      if (!same_segment(c, w->slot)) {
        carry_pending(w, carry);
        start_segment(c, w->slot);
      }
      MemoryContext pold = MemoryContextSwitchTo(w->pending_cxt);
      w->pending[w->npending++] = ExecCopySlotMinimalTuple(w->slot);
      MemoryContextSwitchTo(pold);
      if (w->npending == kBatchRows) {
        written += w->npending;
        write_pending(w);
      }
      CHECK_FOR_INTERRUPTS();
    }
    carry_pending(w, carry);
  }
  MemoryContextSwitchTo(old);
  return written;
}

void batch_writer_begin_segment(BatchWriter* w, TupleTableSlot* row, int32 seq) {
  MemoryContext old = MemoryContextSwitchTo(w->work);
  start_segment(&w->c, row);
  w->c.seq = seq;
  MemoryContextSwitchTo(old);
}

void batch_writer_add_row(BatchWriter* w, TupleTableSlot* row) {
  MemoryContext old = MemoryContextSwitchTo(w->work);
  Compressor* c = &w->c;
  if (bridge::builder_full(c->builder) || bridge::builder_varlen_bytes(c->builder) > kBatchMaxVarlenBytes)
    flush_batch(c);
  add_row(c, row);
  MemoryContextSwitchTo(old);
}

namespace {

// Value j of chunk attribute `attno` of `rows` (a segmentby column's is the segment's).
inline Datum rows_value(const Compressor* c, const BatchRows* rows, int seg, const SourceColumn* col, int j,
                        bool* isnull) {
  if (seg >= 0) return *isnull = c->segment_null[seg], c->segment_value[seg];
  const Size i = (Size)rows->order[j] * rows->stride + col->attno - 1;
  *isnull = rows->nulls[i];
  if (*isnull || col->type.typbyval) return rows->values[i];
  return PointerGetDatum(rows->bytes + rows->values[i]);
}

// Which segmentby column `col` is, or -1.
int segment_index(const Compressor* c, const SourceColumn* col) {
  for (int k = 0; k < c->nsegment; ++k)
    if (c->segment[k].attno == col->attno) return k;
  return -1;
}

// Min/max of one column over `rows`, as add_row keeps them row by row.
void rows_minmax(Compressor* c, MinMax* m, const BatchRows* rows) {
  const int seg = segment_index(c, m->col);
  for (int j = 0; j < rows->n; ++j) {
    bool isnull;
    const Datum v = rows_value(c, rows, seg, m->col, j, &isnull);
    if (isnull)
      m->nulls++;
    else
      minmax_add(c, m, v);
  }
}

}  // namespace

void batch_writer_add_rows(BatchWriter* w, const BatchRows* rows) {
  Compressor* c = &w->c;
  if (rows->n <= 0) return;
  if (bridge::builder_rows(c->builder) != 0 || rows->n > kBatchRows || rows->nbytes > kBatchMaxVarlenBytes)
    elog(ERROR, "columnstore: batch_writer_add_rows needs an empty batch and at most one batch of rows");
  MemoryContext old = MemoryContextSwitchTo(w->work);
  if (w->column_cells == nullptr) {
    w->column_cells = (bridge::RowValue*)palloc(sizeof(bridge::RowValue) * kBatchRows);
    w->column_copies = (void**)palloc(sizeof(void*) * kBatchRows);
  }
  bridge::RowValue* cells = w->column_cells;
  const int n = rows->n;
  for (int i = 0; i < c->ndata; ++i) {
    const SourceColumn* col = &c->data[i];
    const int seg = segment_index(c, col);
    int ncopies = 0;
    if (seg < 0 && storage_value_is_datum(&col->type)) {
      for (int j = 0; j < n; ++j) {
        const Size at = (Size)rows->order[j] * rows->stride + col->attno - 1;
        cells[j].null = rows->nulls[at];
        cells[j].bits = (uint64)rows->values[at];
      }
    } else {
      for (int j = 0; j < n; ++j) {
        bool isnull;
        const Datum v = rows_value(c, rows, seg, col, j, &isnull);
        void* copy = storage_row_value(&col->type, v, isnull, &cells[j]);
        if (copy != nullptr) w->column_copies[ncopies++] = copy;
      }
    }
    for (int k = 0; k < c->nbloom; ++k) {
      if (c->bloom[k].builder_col != i) continue;
      for (int j = 0; j < n; ++j) {
        bool isnull;
        const Datum v = rows_value(c, rows, seg, col, j, &isnull);
        if (isnull) continue;
        Datum h = FunctionCall2Coll(&c->bloom[k].hash, c->bloom[k].collation, v, Int64GetDatum(0));
        bridge::builder_add_bloom_hash(c->builder, i, (uint64)DatumGetInt64(h));
      }
    }
    bridge::builder_append_column(c->builder, i, cells, (size_t)n);
    for (int k = 0; k < ncopies; ++k) pfree(w->column_copies[k]);
  }
  for (int k = 0; k < c->nminmax; ++k) rows_minmax(c, &c->minmax[k], rows);
  bridge::builder_end_rows(c->builder, (size_t)n);
  MemoryContextSwitchTo(old);
}

int32 batch_writer_end_segment(BatchWriter* w) {
  MemoryContext old = MemoryContextSwitchTo(w->work);
  flush_batch(&w->c);
  w->c.have_segment = false;
  MemoryContextSwitchTo(old);
  return w->c.seq;
}

void batch_writer_drain(BatchWriter* w) {
  MemoryContext old = MemoryContextSwitchTo(w->work);
  compressor_drain(&w->c);
  MemoryContextSwitchTo(old);
}

// (no C++ exception may come out of the bridge here: checked at compile time)
static_assert(noexcept(bridge::builder_busy(static_cast<const bridge::Builder*>(nullptr))));
bool batch_writer_busy(BatchWriter* w) { return w->c.async && bridge::builder_busy(w->c.builder); }

int64 batch_writer_taken_back(const BatchWriter* w) { return bridge::builder_taken_back(w->c.builder); }

int64 batch_writer_batches(const BatchWriter* w) { return w->c.batches; }

void batch_writer_close(BatchWriter* w) {
  if (w == nullptr) return;
  batch_writer_drain(w);
  FreeBulkInsertState(w->c.bistate);
  ExecDropSingleTupleTableSlot(w->c.cslot);
  ExecDropSingleTupleTableSlot(w->slot);
  ExecDropSingleTupleTableSlot(w->pslot);
  ExecCloseIndices(w->rri);
  FreeExecutorState(w->estate);
  MemoryContextDelete(w->work);  // frees the builder (reset callback)
}

bool convert_chunk_for_batches(ChunkInfo* chunk) {
  // Self-conflicting, and not in conflict with the row part's writers.
  LockRelationOid(chunk->relid, ShareUpdateExclusiveLock);
  if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(chunk->relid)) || !chunk_get_by_id(chunk->id, chunk))
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("the chunk was dropped concurrently")));
  if ((chunk->status & kChunkStatusCompressed) != 0) return true;
  ChunkTarget t;
  t.chunk = *chunk;
  t.ht = hypertable_get_by_id(chunk->hypertable_id);
  CompressionSettings s;
  if (t.ht == nullptr || t.ht->compression_state == 0 || !catalog_get_compression_settings(t.ht->id, &s)) return false;
  Relation rel = table_open(chunk->relid, NoLock);
  int ncols;
  SourceColumn* cols = chunk_columns(rel, &s, &ncols);
  table_close(rel, NoLock);

  CompressedChunk cc;
  memset(&cc, 0, sizeof cc);
  cc.chunk_id = chunk->id;
  cc.hypertable_id = t.ht->id;
  namestrcpy(&cc.schema_name, get_namespace_name(internal_namespace_oid()));
  char cname[NAMEDATALEN];
  storage_companion_name(t.ht->id, chunk->id, cname);
  namestrcpy(&cc.table_name, cname);
  cc.settings = s;
  cc.format_version = (int16)guc_compression_format_version;
  cc.compression_time = GetCurrentTimestamp();
  Oid companion_relid = create_companion(&t, &s, cols, ncols, cname);
  create_companion_index(&s, cname);
  table_sizes(companion_relid, &cc.sizes.compressed_heap, &cc.sizes.compressed_toast, &cc.sizes.compressed_index);
  catalog_insert_compressed_chunk(&cc);
  // Partial: writers of the row part that opened the chunk before this do not mark it.
  chunk->status |= kChunkStatusCompressed | kChunkStatusPartial;
  catalog_update_chunk_status(chunk->id, chunk->status);
  CommandCounterIncrement();
  return true;
}

void compressed_chunk_note_batches(int32 chunk_id, int64 rows, int64 batches) {
  CompressedChunk cc;
  if (!catalog_get_compressed_chunk(chunk_id, &cc)) return;
  Oid companion_relid = storage_companion_relid(&cc);
  if (!OidIsValid(companion_relid)) return;
  cc.sizes.uncompressed_rows += rows;
  cc.sizes.compressed_rows += batches;
  table_sizes(companion_relid, &cc.sizes.compressed_heap, &cc.sizes.compressed_toast, &cc.sizes.compressed_index);
  catalog_delete_compressed_chunk(chunk_id);
  catalog_insert_compressed_chunk(&cc);
  CommandCounterIncrement();
}

bool compress_chunk(Oid chunk_relid, bool if_not_compressed, bool nowait) {
  ChunkTarget t;
  resolve_chunk(chunk_relid, "compress_chunk", &t);
  // Readers go on; writers (and other compressions of this chunk) wait.
  LockRelationOid(t.ht->relid, AccessShareLock);
  if (!lock_chunk(&t, ExclusiveLock, nowait)) return false;
  Hypertable* ht = hypertable_get_by_id(t.ht->id);
  CompressionSettings s;
  if (ht == nullptr || ht->compression_state == 0 || !catalog_get_compression_settings(t.ht->id, &s))
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("columnstore not enabled on hypertable \"%s\"", get_rel_name(t.ht->relid)),
                    errhint("Enable it with ALTER TABLE %s SET (timescaledb.compress).", get_rel_name(t.ht->relid))));
  if (t.chunk.status & kChunkStatusCompressed) {
    if (!(t.chunk.status & kChunkStatusPartial)) {
      if (!if_not_compressed)
        ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT),
                        errmsg("chunk \"%s\" is already converted to columnstore", get_rel_name(chunk_relid))));
      ereport(NOTICE, (errmsg("chunk \"%s\" is already converted to columnstore", get_rel_name(chunk_relid))));
      return true;
    }
    // Recompression: rows arrived in the row part since. They are merged into the batches of
    // the segments they belong to; when the settings or the columns changed since the chunk was
    // compressed, the whole chunk is decompressed and compressed again. One transaction either way.
    if (do_recompress_segments(&t, &s)) return true;
    do_decompress(&t);
  }
  do_compress(&t, &s, !has_column_statistics(chunk_relid));
  return true;
}

void decompress_chunk(Oid chunk_relid, bool if_compressed) {
  ChunkTarget t;
  resolve_chunk(chunk_relid, "decompress_chunk", &t);
  LockRelationOid(t.ht->relid, AccessShareLock);
  lock_chunk(&t, ExclusiveLock, false);
  if (!(t.chunk.status & kChunkStatusCompressed)) {
    if (!if_compressed)
      ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                      errmsg("chunk \"%s\" is not converted to columnstore", get_rel_name(chunk_relid))));
    ereport(NOTICE, (errmsg("chunk \"%s\" is not converted to columnstore", get_rel_name(chunk_relid))));
    return;
  }
  do_decompress(&t);
}

void restore_companion_dependency(int32 chunk_id, const char* schema, const char* table) {
  ChunkInfo chunk;
  if (!chunk_get_by_id(chunk_id, &chunk) || !OidIsValid(chunk.relid)) return;
  Oid nsp = get_namespace_oid(schema, true);
  Oid companion = OidIsValid(nsp) ? get_relname_relid(table, nsp) : InvalidOid;
  if (!OidIsValid(companion)) return;
  record_companion_dependency(companion, chunk.relid);
}

}  // namespace strata::columnstore

// Row trigger AFTER INSERT on _strata_catalog.compressed_chunk. The library writes that table
// directly (no triggers), so this runs for rows inserted by SQL: pg_restore's. pg_dump does not
// carry the companion's dependency on its chunk; this records it again, so that dropping the
// restored chunk drops its companion too.
STRATA_FUNCTION(strata_compressed_chunk_restored) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("strata_compressed_chunk_restored must be called as a trigger")));
  TriggerData* td = (TriggerData*)fcinfo->context;
  if (!TRIGGER_FIRED_BY_INSERT(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
      !strata::extension_is_active())
    return PointerGetDatum(nullptr);
  namespace c = strata::col::compressed_chunk;
  TupleDesc desc = RelationGetDescr(td->tg_relation);
  bool n1, n2, n3;
  Datum id = heap_getattr(td->tg_trigtuple, c::chunk_id, desc, &n1);
  Datum schema = heap_getattr(td->tg_trigtuple, c::schema_name, desc, &n2);
  Datum table = heap_getattr(td->tg_trigtuple, c::table_name, desc, &n3);
  if (!n1 && !n2 && !n3)
    strata::columnstore::restore_companion_dependency(DatumGetInt32(id), NameStr(*DatumGetName(schema)),
                                                      NameStr(*DatumGetName(table)));
  return PointerGetDatum(nullptr);
}

namespace {

Oid chunk_arg(FunctionCallInfo fcinfo) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("the chunk cannot be NULL")));
  return PG_GETARG_OID(0);
}

bool bool_arg(FunctionCallInfo fcinfo, int n, bool dflt) {
  return PG_NARGS() > n && !PG_ARGISNULL(n) ? PG_GETARG_BOOL(n) : dflt;
}

}  // namespace

// compress_chunk(uncompressed_chunk regclass, if_not_compressed boolean = true,
//                recompress boolean = false) RETURNS regclass
STRATA_FUNCTION(strata_compress_chunk) {
  const Oid relid = chunk_arg(fcinfo);
  strata::columnstore::compress_chunk(relid, bool_arg(fcinfo, 1, true), false);
  PG_RETURN_OID(relid);
}

// decompress_chunk(uncompressed_chunk regclass, if_compressed boolean = true) RETURNS regclass
STRATA_FUNCTION(strata_decompress_chunk) {
  const Oid relid = chunk_arg(fcinfo);
  strata::columnstore::decompress_chunk(relid, bool_arg(fcinfo, 1, true));
  PG_RETURN_OID(relid);
}
