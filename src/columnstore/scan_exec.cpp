// The ColumnarScan executor node (scan.hpp): reads a compressed chunk's companion table batch by
// batch, skips batches by their segment values and metadata, detoasts and decodes the columns the
// query needs (through the C++ bridge, scan_bridge.hpp), filters rows on the decoded arrays and
// forms tuples (in the chunk's layout) only for the surviving rows.
#include "columnstore/scan.hpp"

#include <algorithm>

#include "columnstore/scan_bridge.hpp"
#include "columnstore/storage.hpp"
#include "pg/guard.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "access/detoast.h"
#include "access/genam.h"
#include "access/heaptoast.h"
#include "access/toast_internals.h"
#include "access/nbtree.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "utils/rel.h"
#include "lib/binaryheap.h"
#include "utils/sortsupport.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/ruleutils.h"
#include "utils/uuid.h"
}

namespace strata::columnstore {

namespace {

using namespace scanplan;

// codec::ColumnType values (src/core/codec/codec.hpp).
enum : int { kInt16 = 1, kInt32, kInt64, kTimestamp, kDate, kFloat4, kFloat8, kBool, kUuid, kVarlen };
enum : int { kOpEq, kOpNe, kOpLt, kOpLe, kOpGt, kOpGe, kOpIsNull, kOpIsNotNull, kOpIn };
constexpr int kStrategyNe = 6;

struct AttrState {
  int role;
  AttrNumber comp_attno;
  int codec_type;
  AttrNumber min_attno, max_attno, nulls_attno, bloom_attno;
  bool needed;
  int bridge_col;  // -1 unless a decoded data column
  Oid typid;
  int16 typlen;
  bool typbyval;
};

struct FilterState {
  int kind;
  AttrNumber attno;  // chunk attribute
  int strategy;
  int const_index;
  bool is_array;
  FmgrInfo proc;
  Oid collation;
  // set when the scan starts
  int nvalues;
  Datum* values;
  uint64* hashes;
};

struct Entry {
  bool opened;
  bool unknown;  // not opened, and no metadata bounds its first key: it comes first
  int bslot;
  int32 count;
  int32 rank;  // the order of its values of the trailing segment keys among all entries (nsuffix > 0)
  int64 row;
  int64 sel_rank;  // row's place among the batch's selected rows (its row in a dense column)
  ItemPointerData tid;
  Datum* keys;  // the segment keys, then (not opened) the first orderby key's bound, then the trailing segment keys
  bool* key_nulls;
};

struct ColumnarScanState {
  CustomScanState css;
  Relation companion;
  TableScanDesc scan;
  // the companion's index, when restrictions give it scan keys (sorted by index column)
  Relation index;
  IndexScanDesc iscan;
  int nkeys_index;
  ScanKeyData* index_keys;
  int* index_key_const;  // the constant of each key
  bool* index_key_array;
  TupleTableSlot* comp_slot;
  AttrNumber count_attno;
  int natts;
  AttrState* attrs;  // index attno - 1
  int nneeded;
  AttrNumber* needed;  // chunk attnos of the attributes a tuple carries
  int ncols;           // bridge columns: decoded data columns, predicate columns first
  AttrNumber* col_attnos;
  int npred_cols;
  ExprState* seg_qual;
  int nfilters;
  FilterState* filters;
  int npreds;
  int* preds;  // kPredFields each
  int nconsts;
  ExprState** consts;
  Oid* const_types;  // the constant's (element) type, per const index
  // per scan (from the first fetch after begin or rescan)
  bool started;
  bool never;  // some pushed-down clause compares with NULL: no row can match
  MemoryContext scan_cxt;  // the bridge and the constants; reset on rescan
  ScanBridge* bridge;
  MemoryContext batch_cxt;  // detoasted data of the current batch
  MemoryContext row_cxt;    // by-reference datums of the current tuple
  // current batch
  uint64 batch_rows;
  uint64 next_row;
  uint64 next_rank;  // the selected rows before next_row (the next one's row in a dense column)
  BridgeColumn* cols;  // the decoded columns of bridge slot 0 (unordered scans), filled per batch
  const uint64* selection;
  Datum* seg_values;  // per chunk attribute
  bool* seg_isnull;
  Datum* missing_values;  // per chunk attribute not in the companion
  bool* missing_isnull;
  // ordered scans (kOrdered: 1 rows as stored, 2 reversed): every batch is an entry of a binary
  // heap, first keyed by its first row's first orderby key from the batch metadata (opened, that
  // is decoded, only when it reaches the top), then by its current row's keys
  int ordered;
  int nkeys;
  int nseg;        // the first nseg keys are segmentby columns (from the companion row)
  int nsuffix;     // so are the last nsuffix keys (after every orderby column: they break its ties)
  bool distinct;   // only the first row of each segment (DISTINCT ON the segment keys)
  bool defer_text_bounds;  // an ordered scan checks by-reference min/max at a batch's opening (FilterSet)
  bool emitted;    // the row of `pending` passed the quals and was returned
  AttrNumber* key_attnos;
  SortSupportData* keys;
  bool* key_nulls_first;
  MemoryContext order_cxt;  // entries and bounds; reset at each scan start
  struct Entry* entries;
  int nentries;
  binaryheap* heap;
  int pending;  // the entry whose current row was returned last (advanced at the next call)
  int nslots;
  int* free_slots;
  int nfree;
  MemoryContext* slot_cxt;  // per bridge slot: segment values and keys of the batch it holds
  BridgeColumn** slot_cols;  // per bridge slot: its decoded columns, filled when a batch is opened
  Datum** slot_seg_values;
  bool** slot_seg_isnull;
  // EXPLAIN ANALYZE counters
  int64 batches_total;
  int64 batches_skipped;
  int64 batches_decoded;
  int64 rows_filtered;
  // parallel-aware scans: this participant's share of the batches (scan_parallel.cpp)
  ColumnarParallel* par;
  // TOAST reads (toast_read): the companion's TOAST table, its index, an index scan over it and
  // the buffer values are read into, opened at the first value and kept to the end of the scan
  Relation toast_rel;
  Relation toast_idx;
  IndexScanDesc toast_scan;
  TupleTableSlot* toast_slot;
  SnapshotData toast_snap;
  char* toast_buf;
  Size toast_cap;
};

// ---------------------------------------------------------------------------------------------
// Scan start: constants, predicates and the bridge.

void free_bridge(void* arg) { bridge_destroy((ScanBridge*)arg); }

int64 int_of(Datum d, Oid type) {
  switch (type) {
    case INT2OID:
      return DatumGetInt16(d);
    case INT4OID:
    case DATEOID:
      return DatumGetInt32(d);
    case BOOLOID:
      return DatumGetBool(d) ? 1 : 0;
    default:
      return DatumGetInt64(d);
  }
}

// The values of a constant (one, or an IN list's non-NULL elements), in the scan context.
// Returns false when the constant is NULL or the list has no non-NULL element.
bool const_values(ColumnarScanState* st, int index, bool is_array, Datum** values, int* n) {
  ExprContext* econtext = st->css.ss.ps.ps_ExprContext;
  bool isnull = false;
  Datum d = ExecEvalExprSwitchContext(st->consts[index], econtext, &isnull);
  if (isnull) return false;
  const Oid type = st->const_types[index];
  int16 typlen;
  bool typbyval;
  char typalign;
  get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
  MemoryContext old = MemoryContextSwitchTo(st->scan_cxt);
  if (!is_array) {
    *values = (Datum*)palloc(sizeof(Datum));
    (*values)[0] = datumCopy(d, typbyval, typlen);
    *n = 1;
  } else {
    ArrayType* arr = DatumGetArrayTypePCopy(d);
    Datum* elems;
    bool* nulls;
    int nelems;
    deconstruct_array(arr, type, typlen, typbyval, typalign, &elems, &nulls, &nelems);
    *values = (Datum*)palloc(sizeof(Datum) * (nelems > 0 ? nelems : 1));
    *n = 0;
    for (int i = 0; i < nelems; ++i)
      if (!nulls[i]) (*values)[(*n)++] = elems[i];
  }
  MemoryContextSwitchTo(old);
  return *n > 0;
}

void open_companion(ColumnarScanState* st);

void start_scan(ColumnarScanState* st) {
  open_companion(st);
  MemoryContextReset(st->scan_cxt);  // frees the previous bridge (its reset callback)
  st->never = false;
  MemoryContext old = MemoryContextSwitchTo(st->scan_cxt);

  for (int i = 0; i < st->nfilters; ++i) {
    FilterState* f = &st->filters[i];
    f->nvalues = 0;
    f->values = nullptr;
    f->hashes = nullptr;
    if (f->kind == kFilterNullTest) continue;
    if (!const_values(st, f->const_index, f->is_array, &f->values, &f->nvalues)) {
      st->never = true;
      continue;
    }
    if (f->kind == kFilterBloom) {
      f->hashes = (uint64*)palloc(sizeof(uint64) * f->nvalues);
      for (int k = 0; k < f->nvalues; ++k)
        f->hashes[k] = DatumGetUInt64(FunctionCall2Coll(&f->proc, f->collation, f->values[k], Int64GetDatum(0)));
    }
  }

  BridgePredicate* preds = (BridgePredicate*)palloc0(sizeof(BridgePredicate) * (st->npreds > 0 ? st->npreds : 1));
  for (int i = 0; i < st->npreds; ++i) {
    const int* p = &st->preds[i * kPredFields];
    const AttrState* a = &st->attrs[p[kPredAttno] - 1];
    BridgePredicate* bp = &preds[i];
    bp->column = a->bridge_col;
    bp->type = a->codec_type;
    bp->op = p[kPredOp];
    if (bp->op == kOpIsNull || bp->op == kOpIsNotNull) continue;
    Datum* values;
    int n;
    if (!const_values(st, p[kPredConst], p[kPredIsArray] != 0, &values, &n)) {
      st->never = true;
      bp->op = kOpIsNotNull;  // placeholder; the scan returns nothing
      continue;
    }
    const Oid ctype = st->const_types[p[kPredConst]];
    bp->nvalues = n;
    switch (a->codec_type) {
      case kFloat4:
      case kFloat8: {
        double* fl = (double*)palloc(sizeof(double) * n);
        for (int k = 0; k < n; ++k)
          fl[k] = ctype == FLOAT4OID ? (double)DatumGetFloat4(values[k]) : DatumGetFloat8(values[k]);
        bp->floats = fl;
        break;
      }
      case kUuid:
      case kVarlen: {
        const uint8** bytes = (const uint8**)palloc(sizeof(uint8*) * n);
        uint32* lens = (uint32*)palloc(sizeof(uint32) * n);
        for (int k = 0; k < n; ++k) {
          if (a->codec_type == kUuid) {
            bytes[k] = (const uint8*)DatumGetUUIDP(values[k])->data;
            lens[k] = UUID_LEN;
          } else {
            struct varlena* v = pg_detoast_datum_packed((struct varlena*)DatumGetPointer(values[k]));
            bytes[k] = (const uint8*)VARDATA_ANY(v);
            lens[k] = VARSIZE_ANY_EXHDR(v);
          }
        }
        bp->bytes = bytes;
        bp->lens = lens;
        break;
      }
      default: {
        int64* ints = (int64*)palloc(sizeof(int64) * n);
        for (int k = 0; k < n; ++k) ints[k] = int_of(values[k], ctype);
        bp->ints = (const int64_t*)ints;
        break;
      }
    }
  }
  if (st->iscan != nullptr) {
    for (int i = 0; i < st->nkeys_index; ++i) {
      if (st->index_key_const[i] < 0) continue;  // IS NOT NULL
      ExprContext* econtext = st->css.ss.ps.ps_ExprContext;
      bool isnull = false;
      Datum d = ExecEvalExprSwitchContext(st->consts[st->index_key_const[i]], econtext, &isnull);
      const Oid type = exprType((Node*)st->consts[st->index_key_const[i]]->expr);
      int16 typlen;
      bool typbyval;
      get_typlenbyval(type, &typlen, &typbyval);
      if (isnull) {
        st->never = true;
        d = (Datum)0;
      } else {
        d = datumCopy(d, typbyval, typlen);
      }
      st->index_keys[i].sk_argument = d;
    }
    if (!st->never) index_rescan(st->iscan, st->index_keys, st->nkeys_index, nullptr, 0);
  }
  int* types = (int*)palloc(sizeof(int) * (st->ncols > 0 ? st->ncols : 1));
  for (int i = 0; i < st->ncols; ++i) types[i] = st->attrs[st->col_attnos[i] - 1].codec_type;
  st->bridge = bridge_create(st->ncols, types, 1, st->never ? 0 : st->npreds, preds);
  pg::call_at_reset(st->scan_cxt, pg::guarded<free_bridge>, st->bridge);
  bridge_set_relation(st->bridge, RelationGetRelid(st->companion));
  MemoryContextSwitchTo(old);
  st->started = true;
  st->batch_rows = 0;
  st->next_row = 0;
  st->next_rank = 0;
  columnar_parallel_restart(st->par);
}

// ---------------------------------------------------------------------------------------------
// Batches.

// Which of the batch filters a check runs: every one; those an ordered scan runs as it reads the
// batches' metadata (kLoad); or the others, when its merge reaches a batch (kOpen). An ordered
// LIMIT opens few of the batches it loads, so the costly checks wait: bloom filters (deserialized
// and checksummed each time) and, under a LIMIT or DISTINCT ON (defer_text_bounds), min/max of a
// type passed by reference (text: two detoasted values compared through the btree support
// function, ~1.5k instructions a batch in fleet device-recent-rows, for batches never opened).
// Without them a scan reads most batches, and a batch a text bound excludes is better kept out
// of the merge (else it is fetched again by TID when reached). By-value min/max (a time range)
// and NULL counts stay at load, where they keep batches out of the merge.
enum class FilterSet { kAll, kLoad, kOpen };

// Whether a filter waits for the batch's opening in an ordered scan (FilterSet::kOpen).
inline bool filter_at_open(const ColumnarScanState* st, const FilterState* f) {
  return f->kind == kFilterBloom ||
         (f->kind == kFilterMinMax && st->defer_text_bounds && !st->attrs[f->attno - 1].typbyval);
}

bool batch_passes_filters(ColumnarScanState* st, int32 count, FilterSet which = FilterSet::kAll) {
  TupleTableSlot* cs = st->comp_slot;
  for (int i = 0; i < st->nfilters; ++i) {
    const FilterState* f = &st->filters[i];
    if (which != FilterSet::kAll && filter_at_open(st, f) != (which == FilterSet::kOpen)) continue;
    const AttrState* a = &st->attrs[f->attno - 1];
    bool isnull;
    if (f->kind == kFilterNullTest) {
      Datum nd = slot_getattr(cs, a->nulls_attno, &isnull);
      if (isnull) continue;
      const int32 nulls = DatumGetInt32(nd);
      if (f->strategy == 1 ? nulls == 0 : nulls >= count) return false;
      continue;
    }
    if (f->kind == kFilterBloom) {
      Datum bd = slot_getattr(cs, a->bloom_attno, &isnull);
      if (isnull) continue;
      struct varlena* v = pg_detoast_datum_packed((struct varlena*)DatumGetPointer(bd));
      const bool may = bridge_bloom_may_contain((const uint8*)VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), f->nvalues,
                                                (const uint64_t*)f->hashes);
      if ((Pointer)v != DatumGetPointer(bd)) pfree(v);
      if (!may) return false;
      continue;
    }
    bool minnull, maxnull;
    Datum mn = slot_getattr(cs, a->min_attno, &minnull);
    Datum mx = slot_getattr(cs, a->max_attno, &maxnull);
    if (minnull || maxnull) return false;  // every value NULL: no comparison is true
    bool may = false;
    for (int k = 0; k < f->nvalues && !may; ++k) {
      const Datum c = f->values[k];
      switch (f->strategy) {
        case BTLessStrategyNumber:
          may = DatumGetInt32(FunctionCall2Coll((FmgrInfo*)&f->proc, f->collation, mn, c)) < 0;
          break;
        case BTLessEqualStrategyNumber:
          may = DatumGetInt32(FunctionCall2Coll((FmgrInfo*)&f->proc, f->collation, mn, c)) <= 0;
          break;
        case BTEqualStrategyNumber:
          may = DatumGetInt32(FunctionCall2Coll((FmgrInfo*)&f->proc, f->collation, mn, c)) <= 0 &&
                DatumGetInt32(FunctionCall2Coll((FmgrInfo*)&f->proc, f->collation, mx, c)) >= 0;
          break;
        case BTGreaterEqualStrategyNumber:
          may = DatumGetInt32(FunctionCall2Coll((FmgrInfo*)&f->proc, f->collation, mx, c)) >= 0;
          break;
        case BTGreaterStrategyNumber:
          may = DatumGetInt32(FunctionCall2Coll((FmgrInfo*)&f->proc, f->collation, mx, c)) > 0;
          break;
        default:  // <>: only a batch whose every value equals the constant cannot match
          may = DatumGetInt32(FunctionCall2Coll((FmgrInfo*)&f->proc, f->collation, mn, c)) != 0 ||
                DatumGetInt32(FunctionCall2Coll((FmgrInfo*)&f->proc, f->collation, mx, c)) != 0;
          break;
      }
    }
    if (!may) return false;
  }
  return true;
}

void toast_corrupted(ColumnarScanState* st, const struct varatt_external* ptr, const char* what) {
  ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                  errmsg("%s in TOAST value %u of companion table \"%s\"", what, ptr->va_valueid,
                         RelationGetRelationName(st->companion))));
}

// Reads an uncompressed TOAST value of the companion (how batches' columns are stored, STORAGE
// EXTERNAL) into the scan's buffer, through its TOAST table, index and an index scan opened once
// per scan: detoasting opens and locks them and begins a scan for every value. False for any
// other value (inline, compressed, of another relation): the caller detoasts it as usual. The
// bytes are valid until the next call.
bool toast_read(ColumnarScanState* st, struct varlena* attr, const uint8** data, size_t* len) {
  if (!VARATT_IS_EXTERNAL_ONDISK(attr)) return false;
  struct varatt_external ptr;
  VARATT_EXTERNAL_GET_POINTER(ptr, attr);
  const int32 size = (int32)VARATT_EXTERNAL_GET_EXTSIZE(ptr);
  if (size < ptr.va_rawsize - (int32)VARHDRSZ) return false;  // compressed (VARATT_EXTERNAL_IS_COMPRESSED)
  const Oid toastrelid = st->companion->rd_rel->reltoastrelid;
  if (!OidIsValid(toastrelid) || ptr.va_toastrelid != toastrelid) return false;
  if (size <= 0 || (Size)size > MaxAllocSize) return false;
  if (st->toast_rel == nullptr) {
    MemoryContext old = MemoryContextSwitchTo(st->css.ss.ps.state->es_query_cxt);
    st->toast_rel = table_open(toastrelid, AccessShareLock);
    st->toast_idx = index_open(toast_get_valid_index(toastrelid, AccessShareLock), AccessShareLock);
    init_toast_snapshot(&st->toast_snap);
    st->toast_slot = table_slot_create(st->toast_rel, nullptr);
    st->toast_scan = index_beginscan(st->toast_rel, st->toast_idx, &st->toast_snap, 1, 0);
    MemoryContextSwitchTo(old);
  }
  if ((Size)size > st->toast_cap) {
    const Size cap = std::min((Size)MaxAllocSize, std::max((Size)size, st->toast_cap * 2));
    char* buf = (char*)MemoryContextAlloc(st->css.ss.ps.state->es_query_cxt, cap);
    if (st->toast_buf != nullptr) pfree(st->toast_buf);
    st->toast_buf = buf;
    st->toast_cap = cap;
  }
  ScanKeyData key;
  ScanKeyInit(&key, (AttrNumber)1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(ptr.va_valueid));
  index_rescan(st->toast_scan, &key, 1, nullptr, 0);
  const int32 totalchunks = ((size - 1) / TOAST_MAX_CHUNK_SIZE) + 1;
  int32 expected = 0;
  // The index is on (chunk_id, chunk_seq): the chunks come in order.
  while (index_getnext_slot(st->toast_scan, ForwardScanDirection, st->toast_slot)) {
    bool seqnull, datanull;
    const int32 seq = DatumGetInt32(slot_getattr(st->toast_slot, 2, &seqnull));
    Pointer chunk = DatumGetPointer(slot_getattr(st->toast_slot, 3, &datanull));
    if (seqnull || datanull) toast_corrupted(st, &ptr, "null chunk");
    int32 chunksize;
    const char* chunkdata;
    if (!VARATT_IS_EXTENDED(chunk)) {
      chunksize = VARSIZE(chunk) - VARHDRSZ;
      chunkdata = VARDATA(chunk);
    } else if (VARATT_IS_SHORT(chunk)) {
      chunksize = VARSIZE_SHORT(chunk) - VARHDRSZ_SHORT;
      chunkdata = VARDATA_SHORT(chunk);
    } else {
      toast_corrupted(st, &ptr, "unexpected chunk form");
      pg_unreachable();
    }
    if (seq != expected || seq >= totalchunks) toast_corrupted(st, &ptr, "unexpected chunk number");
    const int32 want = seq < totalchunks - 1 ? (int32)TOAST_MAX_CHUNK_SIZE : size - seq * (int32)TOAST_MAX_CHUNK_SIZE;
    if (chunksize != want) toast_corrupted(st, &ptr, "unexpected chunk size");
    memcpy(st->toast_buf + (Size)seq * TOAST_MAX_CHUNK_SIZE, chunkdata, chunksize);
    expected++;
  }
  ExecClearTuple(st->toast_slot);
  if (expected != totalchunks) toast_corrupted(st, &ptr, "missing chunk");
  *data = (const uint8*)st->toast_buf;
  *len = (size_t)size;
  return true;
}

void add_to_bridge(void* arg, const uint8* data, size_t len) { bridge_add_dictionary((ScanBridge*)arg, data, len); }

// Hands the bridge the shared dictionaries of the segment of the batch in comp_slot.
void load_segment_dictionaries(ColumnarScanState* st) {
  AttrNumber* seg_atts = (AttrNumber*)palloc(sizeof(AttrNumber) * (st->natts + 1));
  int nseg = 0;
  for (int i = 0; i < st->natts; ++i)
    if (st->attrs[i].role == kRoleSegment && st->attrs[i].comp_attno != InvalidAttrNumber)
      seg_atts[nseg++] = st->attrs[i].comp_attno;
  storage_segment_dictionaries(st->companion, seg_atts, nseg, st->comp_slot, st->css.ss.ps.state->es_snapshot,
                               add_to_bridge, st->bridge);
  pfree(seg_atts);
}

// bridge_decode (or bridge_decode_selected), with the segment's shared dictionaries loaded when the
// column needs one.
struct BridgeCall {
  ColumnarScanState* st;
  int bslot, col;
  const uint8* data;
  size_t len;
  bool selected;
  uint64 rows;
};

bool bridge_call(void* arg) {
  BridgeCall* c = (BridgeCall*)arg;
  c->rows = (c->selected ? bridge_decode_selected : bridge_decode)(c->st->bridge, c->bslot, c->col, c->data, c->len);
  return c->rows != kMissingDictionary;
}

void bridge_load(void* arg) { load_segment_dictionaries(((BridgeCall*)arg)->st); }

uint64 decode_bytes(ColumnarScanState* st, int bslot, int col, const uint8* data, size_t len, bool selected) {
  BridgeCall call{st, bslot, col, data, len, selected, 0};
  storage_decode_with_dictionaries(st->companion, bridge_call, bridge_load, &call);
  return call.rows;
}

// How decode_column reads a column: every row; only the rows the slot's filter kept
// (bridge_decode_selected); or, for a predicate column, filtered on its encoded bytes where the
// bridge can (bridge_prefilter: the column then holds the values of the rows it matched), else
// every row.
enum class Decode { kWhole, kSelected, kFilterFirst };

void check_rows(ColumnarScanState* st, uint64 rows, int32 count) {
  if (rows != (uint64)count)
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("batch of companion table \"%s\" has %d rows but a column with %llu",
                           RelationGetRelationName(st->companion), count, (unsigned long long)rows)));
}

// Decodes column `col` of the current companion row's batch into bridge slot `bslot`.
void decode_column(ColumnarScanState* st, int bslot, int col, int32 count, Decode how = Decode::kWhole) {
  const AttrState* a = &st->attrs[st->col_attnos[col] - 1];
  bool isnull;
  Datum d = slot_getattr(st->comp_slot, a->comp_attno, &isnull);
  if (isnull)
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("batch of companion table \"%s\" has no data for column %d", RelationGetRelationName(st->companion),
                           (int)st->col_attnos[col])));
  struct varlena* raw = (struct varlena*)DatumGetPointer(d);
  const uint8* bytes;
  size_t nbytes;
  uint64 rows = 0;
  struct varlena* v = nullptr;
  if (!toast_read(st, raw, &bytes, &nbytes)) {
    v = pg_detoast_datum_packed(raw);
    bytes = (const uint8*)VARDATA_ANY(v);
    nbytes = VARSIZE_ANY_EXHDR(v);
  }
  if (how != Decode::kFilterFirst || !bridge_prefilter(st->bridge, bslot, col, bytes, nbytes, &rows))
    rows = decode_bytes(st, bslot, col, bytes, nbytes, how == Decode::kSelected);
  if (v != nullptr && (Pointer)v != (Pointer)raw) pfree(v);  // the bridge holds the decoded copy
  check_rows(st, rows, count);
}

// The next companion row (batch) into comp_slot: through the index with the scan keys, or a heap scan;
// in a parallel scan, the next one this participant takes.
bool fetch_companion(ColumnarScanState* st) {
  if (st->never) return false;  // (the index scan has no keys then)
  for (;;) {
    const bool got = st->iscan != nullptr ? index_getnext_slot(st->iscan, ForwardScanDirection, st->comp_slot)
                                          : table_scan_getnextslot(st->scan, ForwardScanDirection, st->comp_slot);
    if (!got || columnar_parallel_take(st->par)) return got;
    CHECK_FOR_INTERRUPTS();
  }
}

// Whether a batch's other columns are decoded only at the rows its filter kept: when it kept
// few of them (a device's rows of its account's batch, say), random access into the encoded
// values costs less than decoding every row.
inline bool decode_selected_only(uint64 selected, int32 count) { return selected * 4 <= (uint64)count; }

// Reads companion rows until one whose batch has selected rows; false at the end. `all_rows`:
// the caller reads every row of the columns (with the selection), not only the selected ones.
bool next_batch(ColumnarScanState* st, bool all_rows = false) {
  ExprContext* econtext = st->css.ss.ps.ps_ExprContext;
  for (;;) {
    if (!fetch_companion(st)) return false;
    CHECK_FOR_INTERRUPTS();
    bool isnull;
    const int32 count = DatumGetInt32(slot_getattr(st->comp_slot, st->count_attno, &isnull));
    if (isnull || count <= 0) continue;  // (count 0: a dictionary row)
    st->batches_total++;
    MemoryContextReset(st->batch_cxt);
    if (st->never) {
      st->batches_skipped++;
      continue;
    }
    if (st->seg_qual != nullptr) {
      econtext->ecxt_scantuple = st->comp_slot;
      const bool pass = ExecQual(st->seg_qual, econtext);
      ResetExprContext(econtext);
      if (!pass) {
        st->batches_skipped++;
        continue;
      }
    }
    if (!batch_passes_filters(st, count)) {
      st->batches_skipped++;
      continue;
    }
    MemoryContext old = MemoryContextSwitchTo(st->batch_cxt);
    st->batches_decoded++;
    // (an aggregation reads every row of the columns: no prefilter for it)
    for (int c = 0; c < st->npred_cols; ++c)
      decode_column(st, 0, c, count, all_rows ? Decode::kWhole : Decode::kFilterFirst);
    uint64 selected = bridge_filter(st->bridge, 0, (uint64)count);
    st->rows_filtered += (int64)count - (int64)selected;
    if (selected == 0) {
      MemoryContextSwitchTo(old);
      continue;
    }
    const bool only = !all_rows && decode_selected_only(selected, count);
    for (int c = st->npred_cols; c < st->ncols; ++c) decode_column(st, 0, c, count, only ? Decode::kSelected : Decode::kWhole);
    for (int c = 0; c < st->ncols; ++c) bridge_column(st->bridge, 0, c, &st->cols[c]);
    for (int i = 0; i < st->nneeded; ++i) {
      const AttrState* a = &st->attrs[st->needed[i] - 1];
      if (a->role != kRoleSegment) continue;
      Datum d = slot_getattr(st->comp_slot, a->comp_attno, &st->seg_isnull[st->needed[i] - 1]);
      st->seg_values[st->needed[i] - 1] =
          st->seg_isnull[st->needed[i] - 1] ? (Datum)0 : datumCopy(d, a->typbyval, a->typlen);
    }
    MemoryContextSwitchTo(old);
    st->selection = (const uint64*)bridge_selection(st->bridge, 0);
    st->batch_rows = (uint64)count;
    st->next_row = 0;
    st->next_rank = 0;
    return true;
  }
}

// A datum of the attribute's type from row `row` of its decoded column, the selection's row `rank`
// when the column holds the selected rows alone (dense).
// `cols`: the slot's decoded columns (fill_columns).
Datum decoded_datum(ColumnarScanState* st, const AttrState* a, int bslot, const BridgeColumn* cols, uint64 row,
                    uint64 rank, bool* isnull) {
  const BridgeColumn& col = cols[a->bridge_col];
  if (col.dense) row = rank;
  if (col.validity != nullptr && !((col.validity[row >> 3] >> (row & 7)) & 1)) {
    *isnull = true;
    return (Datum)0;
  }
  *isnull = false;
  switch (a->codec_type) {
    case kInt16:
      return Int16GetDatum(((const int16*)col.fixed)[row]);
    case kInt32:
    case kDate:
      return Int32GetDatum(((const int32*)col.fixed)[row]);
    case kInt64:
    case kTimestamp:
      return Int64GetDatum(((const int64*)col.fixed)[row]);
    case kFloat4:
      return Float4GetDatum(((const float4*)col.fixed)[row]);
    case kFloat8:
      return Float8GetDatum(((const float8*)col.fixed)[row]);
    case kBool:
      return BoolGetDatum(col.fixed[row] != 0);
    case kUuid:
      return PointerGetDatum(col.fixed + row * UUID_LEN);
    default:
      break;
  }
  const uint8* data;
  size_t len;
  if (col.codes != nullptr) {  // (bridge_column's flat arrays: no call per value)
    const uint32 code = col.codes[row];
    data = col.bytes + col.entry_offsets[code];
    len = col.entry_offsets[code + 1] - col.entry_offsets[code];
  } else if (col.offsets != nullptr) {
    data = col.bytes + col.offsets[row];
    len = col.offsets[row + 1] - col.offsets[row];
  } else {
    bridge_bytes(st->bridge, bslot, a->bridge_col, row, &data, &len);
  }
  if (a->typlen == -1) {
    if (len > MaxAllocSize - VARHDRSZ)
      ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("compressed value too large")));
    struct varlena* v = (struct varlena*)palloc(len + VARHDRSZ);
    SET_VARSIZE(v, len + VARHDRSZ);
    if (len > 0) memcpy(VARDATA(v), data, len);
    return PointerGetDatum(v);
  }
  if (a->typlen == -2) {
    if (len == 0 || data[len - 1] != '\0')
      ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("compressed cstring is not terminated")));
    char* p = (char*)palloc(len);
    memcpy(p, data, len);
    return CStringGetDatum(p);
  }
  if (len != (size_t)a->typlen)
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("compressed value of type %s has %zu bytes instead of %d", format_type_be(a->typid), len,
                           a->typlen)));
  if (!a->typbyval) {
    char* p = (char*)palloc(len);
    memcpy(p, data, len);
    return PointerGetDatum(p);
  }
  switch (a->typlen) {
    case 1:
      return CharGetDatum(*(const char*)data);
    case 2: {
      int16 v;
      memcpy(&v, data, 2);
      return Int16GetDatum(v);
    }
    case 4: {
      int32 v;
      memcpy(&v, data, 4);
      return Int32GetDatum(v);
    }
    default: {
      int64 v;
      memcpy(&v, data, 8);
      return Int64GetDatum(v);
    }
  }
}

TupleTableSlot* form_tuple(ColumnarScanState* st, int bslot, const BridgeColumn* cols, uint64 row, uint64 rank,
                           const Datum* seg_values, const bool* seg_isnull) {
  TupleTableSlot* slot = st->css.ss.ss_ScanTupleSlot;
  ExecClearTuple(slot);
  MemoryContext old = MemoryContextSwitchTo(st->row_cxt);
  for (int i = 0; i < st->nneeded; ++i) {
    const AttrNumber attno = st->needed[i];
    const AttrState* a = &st->attrs[attno - 1];
    if (a->role == kRoleSegment) {
      slot->tts_values[attno - 1] = seg_values[attno - 1];
      slot->tts_isnull[attno - 1] = seg_isnull[attno - 1];
    } else if (a->bridge_col >= 0) {
      slot->tts_values[attno - 1] = decoded_datum(st, a, bslot, cols, row, rank, &slot->tts_isnull[attno - 1]);
    } else {
      slot->tts_values[attno - 1] = st->missing_values[attno - 1];
      slot->tts_isnull[attno - 1] = st->missing_isnull[attno - 1];
    }
  }
  MemoryContextSwitchTo(old);
  ExecStoreVirtualTuple(slot);
  slot->tts_tableOid = RelationGetRelid(st->css.ss.ss_currentRelation);
  return slot;
}

TupleTableSlot* ordered_next(ColumnarScanState* st);

TupleTableSlot* columnar_next(ScanState* node) {
  ColumnarScanState* st = (ColumnarScanState*)node;
  if (!st->started) start_scan(st);
  MemoryContextReset(st->row_cxt);
  if (st->ordered != 0) return ordered_next(st);
  for (;;) {
    while (st->next_row < st->batch_rows) {
      const uint64 row = st->next_row++;
      if (!((st->selection[row >> 6] >> (row & 63)) & 1)) continue;
      return form_tuple(st, 0, st->cols, row, st->next_rank++, st->seg_values, st->seg_isnull);
    }
    if (!next_batch(st)) return ExecClearTuple(node->ss_ScanTupleSlot);
  }
}

// ---------------------------------------------------------------------------------------------
// Ordered scans.

int compare_entries(Datum a, Datum b, void* arg) {
  ColumnarScanState* st = (ColumnarScanState*)arg;
  const Entry* x = &st->entries[DatumGetInt32(a)];
  const Entry* y = &st->entries[DatumGetInt32(b)];
  int c = 0;
  // Segment keys (known for every batch) first.
  for (int k = 0; c == 0 && k < st->nseg; ++k)
    c = ApplySortComparator(x->keys[k], x->key_nulls[k], y->keys[k], y->key_nulls[k], &st->keys[k]);
  if (c != 0) return -c;
  const int f = st->nseg;  // the first orderby key
  if (x->unknown || y->unknown) {
    c = x->unknown == y->unknown ? 0 : x->unknown ? -1 : 1;
  } else {
    c = ApplySortComparator(x->keys[f], x->key_nulls[f], y->keys[f], y->key_nulls[f], &st->keys[f]);
    // On a tie of the first key an unopened batch goes first: its rows may sort before the
    // opened one's on the later keys.
    if (c == 0 && x->opened != y->opened) c = x->opened ? 1 : -1;
    for (int k = f + 1; c == 0 && x->opened && k < st->nkeys - st->nsuffix; ++k)
      c = ApplySortComparator(x->keys[k], x->key_nulls[k], y->keys[k], y->key_nulls[k], &st->keys[k]);
    // Trailing segment keys: constant within a batch, ranked once over every entry.
    if (c == 0 && x->opened && st->nsuffix > 0) c = x->rank < y->rank ? -1 : x->rank > y->rank ? 1 : 0;
  }
  return -c;  // binaryheap keeps the largest first
}

// The next selected row of the entry's batch from `from` on, in the scan's direction; -1 at the end.
int64 next_selected(ColumnarScanState* st, const Entry* e, int64 from) {
  const uint64* sel = bridge_selection(st->bridge, e->bslot);
  const int64 step = st->ordered == 2 ? -1 : 1;
  for (int64 r = from; r >= 0 && r < e->count; r += step)
    if ((sel[r >> 6] >> (r & 63)) & 1) return r;
  return -1;
}

void load_keys(ColumnarScanState* st, Entry* e) {
  MemoryContext old = MemoryContextSwitchTo(st->slot_cxt[e->bslot]);
  for (int k = st->nseg; k < st->nkeys - st->nsuffix; ++k)
    e->keys[k] = decoded_datum(st, &st->attrs[st->key_attnos[k] - 1], e->bslot, st->slot_cols[e->bslot], (uint64)e->row,
                              (uint64)e->sel_rank, &e->key_nulls[k]);
  MemoryContextSwitchTo(old);
}

void release_slot(ColumnarScanState* st, Entry* e) {
  st->free_slots[st->nfree++] = e->bslot;
  e->bslot = -1;
}

// Decodes the entry's batch; false when its bloom filters rule it out or no row of it survives the
// filters.
bool open_entry(ColumnarScanState* st, Entry* e) {
  if (!table_tuple_fetch_row_version(st->companion, &e->tid, st->css.ss.ps.state->es_snapshot, st->comp_slot))
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                    errmsg("batch of companion table \"%s\" disappeared during the scan",
                           RelationGetRelationName(st->companion))));
  if (!batch_passes_filters(st, e->count, FilterSet::kOpen)) {
    st->batches_skipped++;
    return false;
  }
  if (st->nfree == 0) {
    const int b = st->nslots++;
    bridge_reserve_slots(st->bridge, st->nslots);
    MemoryContext old = MemoryContextSwitchTo(st->order_cxt);
    st->slot_cxt = (MemoryContext*)repalloc(st->slot_cxt, sizeof(MemoryContext) * st->nslots);
    st->slot_seg_values = (Datum**)repalloc(st->slot_seg_values, sizeof(Datum*) * st->nslots);
    st->slot_seg_isnull = (bool**)repalloc(st->slot_seg_isnull, sizeof(bool*) * st->nslots);
    st->slot_cols = (BridgeColumn**)repalloc(st->slot_cols, sizeof(BridgeColumn*) * st->nslots);
    st->free_slots = (int*)repalloc(st->free_slots, sizeof(int) * st->nslots);
    st->slot_cxt[b] = AllocSetContextCreate(st->order_cxt, "ColumnarScan batch", ALLOCSET_SMALL_SIZES);
    st->slot_seg_values[b] = (Datum*)palloc0(sizeof(Datum) * (st->natts > 0 ? st->natts : 1));
    st->slot_seg_isnull[b] = (bool*)palloc0(sizeof(bool) * (st->natts > 0 ? st->natts : 1));
    st->slot_cols[b] = (BridgeColumn*)palloc0(sizeof(BridgeColumn) * (st->ncols > 0 ? st->ncols : 1));
    MemoryContextSwitchTo(old);
    st->free_slots[st->nfree++] = b;
  }
  e->bslot = st->free_slots[--st->nfree];
  MemoryContextReset(st->slot_cxt[e->bslot]);
  MemoryContext old = MemoryContextSwitchTo(st->slot_cxt[e->bslot]);
  st->batches_decoded++;
  for (int c = 0; c < st->npred_cols; ++c) decode_column(st, e->bslot, c, e->count, Decode::kFilterFirst);
  const uint64 selected = bridge_filter(st->bridge, e->bslot, (uint64)e->count);
  st->rows_filtered += (int64)e->count - (int64)selected;
  if (selected == 0) {
    MemoryContextSwitchTo(old);
    release_slot(st, e);
    return false;
  }
  const bool only = decode_selected_only(selected, e->count);
  for (int c = st->npred_cols; c < st->ncols; ++c)
    decode_column(st, e->bslot, c, e->count, only ? Decode::kSelected : Decode::kWhole);
  for (int c = 0; c < st->ncols; ++c) bridge_column(st->bridge, e->bslot, c, &st->slot_cols[e->bslot][c]);
  for (int i = 0; i < st->nneeded; ++i) {
    const AttrNumber attno = st->needed[i];
    const AttrState* a = &st->attrs[attno - 1];
    if (a->role != kRoleSegment) continue;
    bool isnull;
    Datum d = slot_getattr(st->comp_slot, a->comp_attno, &isnull);
    st->slot_seg_isnull[e->bslot][attno - 1] = isnull;
    st->slot_seg_values[e->bslot][attno - 1] = isnull ? (Datum)0 : datumCopy(d, a->typbyval, a->typlen);
  }
  MemoryContextSwitchTo(old);
  e->opened = true;
  e->unknown = false;
  e->row = next_selected(st, e, st->ordered == 2 ? e->count - 1 : 0);
  e->sel_rank = st->ordered == 2 ? (int64)selected - 1 : 0;
  load_keys(st, e);
  return true;
}

int compare_suffix(const void* a, const void* b, void* arg) {
  ColumnarScanState* st = (ColumnarScanState*)arg;
  const Entry* x = &st->entries[*(const int*)a];
  const Entry* y = &st->entries[*(const int*)b];
  int c = 0;
  for (int k = st->nkeys - st->nsuffix; c == 0 && k < st->nkeys; ++k)
    c = ApplySortComparator(x->keys[k], x->key_nulls[k], y->keys[k], y->key_nulls[k], &st->keys[k]);
  return c;
}

// Ranks the entries by their trailing segment keys (equal values, equal ranks), so that the
// merge compares two integers where it would compare the values (text, say) at each tie.
void rank_suffix(ColumnarScanState* st) {
  if (st->nentries == 0) return;
  int* order = (int*)palloc(sizeof(int) * st->nentries);
  for (int i = 0; i < st->nentries; ++i) order[i] = i;
  qsort_arg(order, st->nentries, sizeof(int), pg::guarded<compare_suffix>, st);
  int32 rank = 0;
  for (int i = 0; i < st->nentries; ++i) {
    if (i > 0 && compare_suffix(&order[i - 1], &order[i], st) != 0) ++rank;
    st->entries[order[i]].rank = rank;
  }
  pfree(order);
}

// Reads every batch's metadata (no data column is detoasted) into the heap's entries.
void load_entries(ColumnarScanState* st) {
  ExprContext* econtext = st->css.ss.ps.ps_ExprContext;
  MemoryContextReset(st->order_cxt);
  MemoryContext old = MemoryContextSwitchTo(st->order_cxt);
  int cap = 64;
  st->entries = (Entry*)palloc(sizeof(Entry) * cap);
  st->nentries = 0;
  st->nslots = 0;
  st->nfree = 0;
  st->slot_cxt = (MemoryContext*)palloc(sizeof(MemoryContext));
  st->slot_seg_values = (Datum**)palloc(sizeof(Datum*));
  st->slot_seg_isnull = (bool**)palloc(sizeof(bool*));
  st->slot_cols = (BridgeColumn**)palloc(sizeof(BridgeColumn*));
  st->free_slots = (int*)palloc(sizeof(int));
  st->pending = -1;
  const AttrState* first = &st->attrs[st->key_attnos[st->nseg] - 1];
  const bool first_desc = st->keys[st->nseg].ssup_reverse;
  const bool first_nulls_first = st->key_nulls_first[st->nseg];
  while (!st->never && fetch_companion(st)) {
    CHECK_FOR_INTERRUPTS();
    bool isnull;
    const int32 count = DatumGetInt32(slot_getattr(st->comp_slot, st->count_attno, &isnull));
    if (isnull || count <= 0) continue;  // (count 0: a dictionary row)
    st->batches_total++;
    if (st->seg_qual != nullptr) {
      econtext->ecxt_scantuple = st->comp_slot;
      const bool pass = ExecQual(st->seg_qual, econtext);
      ResetExprContext(econtext);
      if (!pass) {
        st->batches_skipped++;
        continue;
      }
    }
    if (!batch_passes_filters(st, count, FilterSet::kLoad)) {
      st->batches_skipped++;
      continue;
    }
    if (st->nentries == cap) {
      cap *= 2;
      st->entries = (Entry*)repalloc(st->entries, sizeof(Entry) * cap);
    }
    Entry* e = &st->entries[st->nentries++];
    e->opened = false;
    e->unknown = false;
    e->bslot = -1;
    e->count = count;
    e->row = -1;
    e->sel_rank = -1;
    e->tid = st->comp_slot->tts_tid;
    e->keys = (Datum*)palloc0(sizeof(Datum) * st->nkeys);
    e->key_nulls = (bool*)palloc0(sizeof(bool) * st->nkeys);
    e->rank = 0;
    for (int k = 0; k < st->nkeys; ++k) {
      if (k == st->nseg) k = st->nkeys - st->nsuffix;  // (the segment keys: first and last)
      if (k >= st->nkeys) break;
      const AttrState* a = &st->attrs[st->key_attnos[k] - 1];
      Datum d = slot_getattr(st->comp_slot, a->comp_attno, &e->key_nulls[k]);
      e->keys[k] = e->key_nulls[k] ? (Datum)0 : datumCopy(d, a->typbyval, a->typlen);
    }
    // The first row's first key: NULL when NULLs come first and the batch has some (or when every
    // value is NULL), otherwise its min or max.
    const int f = st->nseg;
    if (first->min_attno == 0 || first->max_attno == 0) {
      e->unknown = true;
      continue;
    }
    bool minnull, maxnull;
    Datum mn = slot_getattr(st->comp_slot, first->min_attno, &minnull);
    Datum mx = slot_getattr(st->comp_slot, first->max_attno, &maxnull);
    if (minnull || maxnull) {
      e->key_nulls[f] = true;
      continue;
    }
    if (first_nulls_first) {
      if (first->nulls_attno == 0) {
        e->unknown = true;
        continue;
      }
      const int32 nulls = DatumGetInt32(slot_getattr(st->comp_slot, first->nulls_attno, &isnull));
      if (isnull || nulls > 0) {
        e->key_nulls[f] = true;
        continue;
      }
    }
    e->keys[f] = datumCopy(first_desc ? mx : mn, first->typbyval, first->typlen);
  }
  if (st->nsuffix > 0) rank_suffix(st);
  st->heap = binaryheap_allocate(st->nentries > 0 ? st->nentries : 1, pg::guarded<compare_entries>, st);
  for (int i = 0; i < st->nentries; ++i) binaryheap_add_unordered(st->heap, Int32GetDatum(i));
  binaryheap_build(st->heap);
  MemoryContextSwitchTo(old);
}

TupleTableSlot* ordered_next(ColumnarScanState* st) {
  if (st->heap == nullptr) load_entries(st);
  if (st->pending >= 0 && st->distinct && st->emitted) {
    // DISTINCT ON the segment: the segment's first row was returned; every batch of the segment
    // (all at the top of the heap) goes, opened or not.
    const Entry* done = &st->entries[st->pending];
    st->pending = -1;
    Datum* seg = done->keys;
    bool* seg_nulls = done->key_nulls;
    while (!binaryheap_empty(st->heap)) {
      Entry* e = &st->entries[DatumGetInt32(binaryheap_first(st->heap))];
      int c = 0;
      for (int k = 0; c == 0 && k < st->nseg; ++k)
        c = ApplySortComparator(e->keys[k], e->key_nulls[k], seg[k], seg_nulls[k], &st->keys[k]);
      if (c != 0) break;
      if (e->opened && e->bslot >= 0) release_slot(st, e);
      binaryheap_remove_first(st->heap);
    }
  }
  st->emitted = false;
  if (st->pending >= 0) {
    // The row returned last is consumed now: move its batch on.
    Entry* e = &st->entries[st->pending];
    st->pending = -1;
    e->row = next_selected(st, e, e->row + (st->ordered == 2 ? -1 : 1));
    e->sel_rank += st->ordered == 2 ? -1 : 1;
    if (e->row < 0) {
      release_slot(st, e);
      binaryheap_remove_first(st->heap);
    } else {
      load_keys(st, e);
      binaryheap_replace_first(st->heap, binaryheap_first(st->heap));
    }
  }
  while (!binaryheap_empty(st->heap)) {
    const int idx = DatumGetInt32(binaryheap_first(st->heap));
    Entry* e = &st->entries[idx];
    if (!e->opened) {
      if (open_entry(st, e))
        binaryheap_replace_first(st->heap, Int32GetDatum(idx));
      else
        binaryheap_remove_first(st->heap);
      continue;
    }
    st->pending = idx;
    return form_tuple(st, e->bslot, st->slot_cols[e->bslot], (uint64)e->row, (uint64)e->sel_rank,
                      st->slot_seg_values[e->bslot], st->slot_seg_isnull[e->bslot]);
  }
  return ExecClearTuple(st->css.ss.ss_ScanTupleSlot);
}

bool columnar_recheck(ScanState* node, TupleTableSlot* slot) { return true; }

// ---------------------------------------------------------------------------------------------
// Node methods.

void open_index(ColumnarScanState* st, List* keys, EState* estate);

void begin_columnar(CustomScanState* node, EState* estate, int eflags) {
  ColumnarScanState* st = (ColumnarScanState*)node;
  CustomScan* cscan = (CustomScan*)node->ss.ps.plan;
  List* meta = (List*)list_nth(cscan->custom_private, 0);
  List* attrs = (List*)list_nth(cscan->custom_private, 1);
  List* preds = (List*)list_nth(cscan->custom_private, 2);
  List* filters = (List*)list_nth(cscan->custom_private, 3);

  const Oid companion = (Oid)list_nth_int(meta, kCompanion);
  st->count_attno = (AttrNumber)list_nth_int(meta, kCountAttno);
  st->natts = list_length(attrs) / kAttrFields;
  TupleDesc desc = RelationGetDescr(node->ss.ss_currentRelation);
  // Every slot attribute not set below stays NULL (columns the query does not read).
  st->attrs = (AttrState*)palloc0(sizeof(AttrState) * (st->natts > 0 ? st->natts : 1));
  st->needed = (AttrNumber*)palloc0(sizeof(AttrNumber) * (st->natts > 0 ? st->natts : 1));
  st->col_attnos = (AttrNumber*)palloc0(sizeof(AttrNumber) * (st->natts > 0 ? st->natts : 1));
  st->seg_values = (Datum*)palloc0(sizeof(Datum) * (st->natts > 0 ? st->natts : 1));
  st->seg_isnull = (bool*)palloc0(sizeof(bool) * (st->natts > 0 ? st->natts : 1));
  st->missing_values = (Datum*)palloc0(sizeof(Datum) * (st->natts > 0 ? st->natts : 1));
  st->missing_isnull = (bool*)palloc0(sizeof(bool) * (st->natts > 0 ? st->natts : 1));
  for (int i = 0; i < st->natts; ++i) {
    AttrState* a = &st->attrs[i];
    a->role = list_nth_int(attrs, i * kAttrFields + kRole);
    a->comp_attno = (AttrNumber)list_nth_int(attrs, i * kAttrFields + kCompAttno);
    a->codec_type = list_nth_int(attrs, i * kAttrFields + kCodecType);
    a->min_attno = (AttrNumber)list_nth_int(attrs, i * kAttrFields + kMinAttno);
    a->max_attno = (AttrNumber)list_nth_int(attrs, i * kAttrFields + kMaxAttno);
    a->nulls_attno = (AttrNumber)list_nth_int(attrs, i * kAttrFields + kNullsAttno);
    a->bloom_attno = (AttrNumber)list_nth_int(attrs, i * kAttrFields + kBloomAttno);
    a->needed = list_nth_int(attrs, i * kAttrFields + kNeeded) != 0;
    a->bridge_col = -1;
    if (i < desc->natts) {
      Form_pg_attribute att = TupleDescAttr(desc, i);
      a->typid = att->atttypid;
      a->typlen = att->attlen;
      a->typbyval = att->attbyval;
      if (att->attisdropped) a->needed = false;
      // A column the companion does not have (added after compression): every row has the
      // column's missing value (ADD COLUMN ... DEFAULT), or NULL.
      if (a->needed && a->role == kRoleNone)
        st->missing_values[i] = getmissingattr(desc, i + 1, &st->missing_isnull[i]);
    } else {
      a->needed = false;
    }
    if (a->needed) st->needed[st->nneeded++] = (AttrNumber)(i + 1);
  }
  // Bridge columns: those of the kernel predicates first (decoded before the filter), then the
  // other needed data columns (decoded only for batches with selected rows).
  st->npreds = list_length(preds) / kPredFields;
  st->preds = (int*)palloc(sizeof(int) * (list_length(preds) > 0 ? list_length(preds) : 1));
  for (int i = 0; i < list_length(preds); ++i) st->preds[i] = list_nth_int(preds, i);
  for (int i = 0; i < st->npreds; ++i) {
    AttrState* a = &st->attrs[st->preds[i * kPredFields + kPredAttno] - 1];
    if (a->bridge_col < 0) {
      a->bridge_col = st->ncols;
      st->col_attnos[st->ncols++] = (AttrNumber)(st->preds[i * kPredFields + kPredAttno]);
    }
  }
  st->npred_cols = st->ncols;
  for (int i = 0; i < st->nneeded; ++i) {
    AttrState* a = &st->attrs[st->needed[i] - 1];
    if (a->role == kRoleData && a->bridge_col < 0) {
      a->bridge_col = st->ncols;
      st->col_attnos[st->ncols++] = st->needed[i];
    }
  }
  st->cols = (BridgeColumn*)palloc0(sizeof(BridgeColumn) * (st->ncols > 0 ? st->ncols : 1));

  List* seg_quals = (List*)list_nth(cscan->custom_exprs, kSegQuals);
  List* consts = (List*)list_nth(cscan->custom_exprs, kConsts);
  // Compiled without a parent: the node's scan slot is virtual (PostgreSQL 15 custom scans), and
  // with it as parent the expression would not deform the companion's heap tuples.
  st->seg_qual = seg_quals != NIL ? ExecInitQual(seg_quals, nullptr) : nullptr;
  st->nconsts = list_length(consts);
  st->consts = (ExprState**)palloc0(sizeof(ExprState*) * (st->nconsts > 0 ? st->nconsts : 1));
  st->const_types = (Oid*)palloc0(sizeof(Oid) * (st->nconsts > 0 ? st->nconsts : 1));
  for (int i = 0; i < st->nconsts; ++i) {
    Expr* e = (Expr*)list_nth(consts, i);
    st->consts[i] = ExecInitExpr(e, &node->ss.ps);
    Oid t = exprType((Node*)e);
    Oid elem = get_element_type(t);
    st->const_types[i] = OidIsValid(elem) ? elem : t;
  }
  st->nfilters = list_length(filters) / kFilterFields;
  st->filters = (FilterState*)palloc0(sizeof(FilterState) * (st->nfilters > 0 ? st->nfilters : 1));
  for (int i = 0; i < st->nfilters; ++i) {
    FilterState* f = &st->filters[i];
    const int base = i * kFilterFields;
    f->kind = list_nth_int(filters, base + kFilterKind);
    f->attno = (AttrNumber)list_nth_int(filters, base + kFilterAttno);
    f->strategy = list_nth_int(filters, base + kFilterStrategy);
    f->const_index = list_nth_int(filters, base + kFilterConst);
    f->is_array = list_nth_int(filters, base + kFilterIsArray) != 0;
    f->collation = (Oid)list_nth_int(filters, base + kFilterCollation);
    const Oid proc = (Oid)list_nth_int(filters, base + kFilterProc);
    if (OidIsValid(proc)) fmgr_info(proc, &f->proc);
  }

  List* orderby = (List*)list_nth(cscan->custom_private, 4);
  st->ordered = list_nth_int(meta, kOrdered);
  st->nkeys = list_length(orderby) / kOrderFields;
  st->nseg = list_nth_int(meta, kSegKeys);
  st->nsuffix = list_nth_int(meta, kSegSuffix);
  if (st->nkeys - st->nsuffix <= st->nseg) st->ordered = 0;
  st->distinct = st->ordered != 0 && st->nseg > 0 && list_nth_int(meta, kDistinct) != 0;
  st->defer_text_bounds = st->distinct || list_nth_int(meta, kLimited) != 0;
  st->emitted = false;
  st->key_attnos = (AttrNumber*)palloc0(sizeof(AttrNumber) * (st->nkeys > 0 ? st->nkeys : 1));
  st->keys = (SortSupportData*)palloc0(sizeof(SortSupportData) * (st->nkeys > 0 ? st->nkeys : 1));
  st->key_nulls_first = (bool*)palloc0(sizeof(bool) * (st->nkeys > 0 ? st->nkeys : 1));
  for (int k = 0; k < st->nkeys; ++k) {
    st->key_attnos[k] = (AttrNumber)list_nth_int(orderby, k * kOrderFields + kOrderAttno);
    SortSupport ssup = &st->keys[k];
    ssup->ssup_cxt = CurrentMemoryContext;
    ssup->ssup_collation = (Oid)list_nth_int(orderby, k * kOrderFields + kOrderCollation);
    ssup->ssup_nulls_first = list_nth_int(orderby, k * kOrderFields + kOrderNullsFirst) != 0;
    st->key_nulls_first[k] = ssup->ssup_nulls_first;
    ssup->ssup_attno = st->key_attnos[k];
    ssup->abbreviate = false;
    PrepareSortSupportFromOrderingOp((Oid)list_nth_int(orderby, k * kOrderFields + kOrderSortOp), ssup);
  }
  st->order_cxt = AllocSetContextCreate(CurrentMemoryContext, "ColumnarScan order", ALLOCSET_DEFAULT_SIZES);
  st->heap = nullptr;
  st->pending = -1;
  st->scan_cxt = AllocSetContextCreate(CurrentMemoryContext, "ColumnarScan scan", ALLOCSET_DEFAULT_SIZES);
  st->batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "ColumnarScan batch", ALLOCSET_DEFAULT_SIZES);
  st->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "ColumnarScan row", ALLOCSET_SMALL_SIZES);
  st->started = false;

  // The companion is opened when the scan starts (open_companion): a scan that never runs (a
  // chunk after a LIMIT was reached under ChunkAppend, say) does not open it and its index.
  (void)companion;
}

// Opens the companion table and begins its index or heap scan, once.
void open_companion(ColumnarScanState* st) {
  if (st->companion != nullptr) return;
  CustomScan* cscan = (CustomScan*)st->css.ss.ps.plan;
  EState* estate = st->css.ss.ps.state;
  const Oid companion = (Oid)list_nth_int((List*)list_nth(cscan->custom_private, 0), kCompanion);
  st->companion = table_open(companion, AccessShareLock);
  st->comp_slot = table_slot_create(st->companion, nullptr);
  List* keys = (List*)list_nth(cscan->custom_private, 5);
  if (keys != NIL) open_index(st, keys, estate);
  // (The participants of a parallel scan must see the companion's rows in the same order: no
  // synchronized start.)
  if (st->iscan == nullptr)
    st->scan = st->css.ss.ps.plan->parallel_aware
                   ? table_beginscan_strat(st->companion, estate->es_snapshot, 0, nullptr, true, false)
                   : table_beginscan(st->companion, estate->es_snapshot, 0, nullptr);
}

// Chooses the companion's btree index whose columns the plan's keys cover best (a key on a later
// column counts only after keys on every earlier one) and begins an index scan with the keys
// sorted by index column; their values are set when the scan starts.
// The segment's dictionary rows (count 0) lie in the companion's index beside its batches, their
// metadata NULL. When an index column after the keyed ones is the batch minimum of a NOT NULL
// column (the first orderby column, usually the time column), every batch has a value there: an
// `IS NOT NULL` key on it passes over the dictionary rows inside the index instead of fetching
// them from the heap, and, being required after equality keys on every earlier column of a NULLS
// LAST column, ends the segment's range at its first dictionary row. Only for a companion with
// dictionary rows (elsewhere it passes over nothing). It trusts the column's NOT NULL, which
// ALTER ... SET NOT NULL sets before its check reads the rows (alter.cpp check_not_null): that
// query has no index key, so its scan opens no index and reads every batch.
void add_not_null_min_key(ColumnarScanState* st, int first_col) {
  if (storage_dict_attno(st->companion) == InvalidAttrNumber) return;
  Form_pg_index ix = st->index->rd_index;
  TupleDesc desc = RelationGetDescr(st->css.ss.ss_currentRelation);
  for (int col = first_col; col < ix->indnkeyatts; ++col) {
    for (int i = 0; i < st->natts && i < desc->natts; ++i) {
      const AttrState* a = &st->attrs[i];
      if (a->min_attno == 0 || a->min_attno != ix->indkey.values[col] || !TupleDescAttr(desc, i)->attnotnull) continue;
      ScanKeyData* sk = &st->index_keys[st->nkeys_index];
      ScanKeyEntryInitialize(sk, SK_ISNULL | SK_SEARCHNOTNULL, (AttrNumber)(col + 1), InvalidStrategy, InvalidOid,
                             InvalidOid, InvalidOid, (Datum)0);
      st->index_key_const[st->nkeys_index] = -1;  // (no value to set when the scan starts)
      st->nkeys_index++;
      return;
    }
  }
}

void open_index(ColumnarScanState* st, List* keys, EState* estate) {
  const int nkeys = list_length(keys) / kKeyFields;
  List* indexes = RelationGetIndexList(st->companion);
  ListCell* lc;
  Oid best = InvalidOid;
  int best_cover = 0;
  foreach (lc, indexes) {
    const Oid indexoid = lfirst_oid(lc);
    HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
    if (!HeapTupleIsValid(tup)) continue;
    Form_pg_index ix = (Form_pg_index)GETSTRUCT(tup);
    int cover = 0;
    for (int col = 0; col < ix->indnkeyatts; ++col) {
      bool has = false;
      for (int k = 0; k < nkeys; ++k)
        has |= list_nth_int(keys, k * kKeyFields + kKeyCompAttno) == ix->indkey.values[col];
      if (!has) break;
      cover++;
    }
    bool btree = false;
    HeapTuple ctup = SearchSysCache1(RELOID, ObjectIdGetDatum(indexoid));
    if (HeapTupleIsValid(ctup)) {
      btree = ((Form_pg_class)GETSTRUCT(ctup))->relam == BTREE_AM_OID;
      ReleaseSysCache(ctup);
    }
    ReleaseSysCache(tup);
    if (btree && cover > best_cover) {
      best = indexoid;
      best_cover = cover;
    }
  }
  if (!OidIsValid(best)) return;
  st->index = index_open(best, AccessShareLock);
  Form_pg_index ix = st->index->rd_index;
  st->index_keys = (ScanKeyData*)palloc0(sizeof(ScanKeyData) * (nkeys + 1));
  st->index_key_const = (int*)palloc0(sizeof(int) * (nkeys + 1));
  st->index_key_array = (bool*)palloc0(sizeof(bool) * (nkeys + 1));
  st->nkeys_index = 0;
  for (int col = 0; col < best_cover; ++col) {
    for (int k = 0; k < nkeys; ++k) {
      const int* f = nullptr;
      int fk[kKeyFields];
      for (int i = 0; i < kKeyFields; ++i) fk[i] = list_nth_int(keys, k * kKeyFields + i);
      f = fk;
      if (f[kKeyCompAttno] != ix->indkey.values[col]) continue;
      ScanKeyData* sk = &st->index_keys[st->nkeys_index];
      ScanKeyEntryInitialize(sk, f[kKeyIsArray] ? SK_SEARCHARRAY : 0, (AttrNumber)(col + 1), (StrategyNumber)f[kKeyStrategy],
                             (Oid)f[kKeySubtype], st->index->rd_indcollation[col], (RegProcedure)f[kKeyProc], (Datum)0);
      st->index_key_const[st->nkeys_index] = f[kKeyConst];
      st->index_key_array[st->nkeys_index] = f[kKeyIsArray] != 0;
      st->nkeys_index++;
    }
  }
  add_not_null_min_key(st, best_cover);
  st->iscan = index_beginscan(st->companion, st->index, estate->es_snapshot, st->nkeys_index, 0);
}

TupleTableSlot* exec_columnar(CustomScanState* node) {
  ColumnarScanState* st = (ColumnarScanState*)node;
  TupleTableSlot* slot = ExecScan(&node->ss, (ExecScanAccessMtd)pg::guarded<columnar_next>,
                                  (ExecScanRecheckMtd)pg::guarded<columnar_recheck>);
  // (a row the quals rejected does not end its segment)
  st->emitted = !TupIsNull(slot);
  return slot;
}

void end_columnar(CustomScanState* node) {
  ColumnarScanState* st = (ColumnarScanState*)node;
  if (st->toast_scan != nullptr) index_endscan(st->toast_scan);
  if (st->toast_slot != nullptr) ExecDropSingleTupleTableSlot(st->toast_slot);
  if (st->toast_idx != nullptr) index_close(st->toast_idx, NoLock);
  if (st->toast_rel != nullptr) table_close(st->toast_rel, NoLock);
  if (st->scan != nullptr) table_endscan(st->scan);
  if (st->iscan != nullptr) index_endscan(st->iscan);
  if (st->index != nullptr) index_close(st->index, NoLock);
  if (st->comp_slot != nullptr) ExecDropSingleTupleTableSlot(st->comp_slot);
  if (st->companion != nullptr) table_close(st->companion, NoLock);
  MemoryContextDelete(st->scan_cxt);  // frees the bridge
  st->bridge = nullptr;
}

void rescan_columnar(CustomScanState* node) {
  ColumnarScanState* st = (ColumnarScanState*)node;
  if (st->scan != nullptr) table_rescan(st->scan, nullptr);  // (an index scan is rescanned at start)
  st->started = false;
  st->batch_rows = 0;
  st->next_row = 0;
  st->next_rank = 0;
  st->heap = nullptr;  // in order_cxt, which load_entries resets
  st->pending = -1;
  st->emitted = false;
}

void explain_exprs(List* exprs, const char* label, CustomScanState* node, List* ancestors, ExplainState* es) {
  if (exprs == NIL) return;
  List* context = set_deparse_context_plan(es->deparse_cxt, node->ss.ps.plan, ancestors);
  const bool useprefix = es->verbose || list_length(es->rtable) > 1;
  char* text = deparse_expression((Node*)make_ands_explicit(exprs), context, useprefix, false);
  ExplainPropertyText(label, text, es);
}

void explain_columnar(CustomScanState* node, List* ancestors, ExplainState* es) {
  ColumnarScanState* st = (ColumnarScanState*)node;
  CustomScan* cscan = (CustomScan*)node->ss.ps.plan;
  explain_exprs((List*)list_nth(cscan->custom_exprs, kSegDisplay), "Segment Filter", node, ancestors, es);
  explain_exprs((List*)list_nth(cscan->custom_exprs, kPushedDisplay), "Vectorized Filter", node, ancestors, es);
  if (st->distinct) ExplainPropertyText("Rows Returned", "first of each segment", es);
  if (!es->analyze) return;
  // (a parallel scan: the totals of every participant)
  int64 c[4] = {st->batches_total, st->batches_skipped, st->batches_decoded, st->rows_filtered};
  columnar_parallel_counters(st->par, c);
  ExplainPropertyInteger("Batches", nullptr, c[0], es);
  ExplainPropertyInteger("Batches Skipped by Metadata", nullptr, c[1], es);
  ExplainPropertyInteger("Batches Decoded", nullptr, c[2], es);
  ExplainPropertyInteger("Rows Removed by Vectorized Filter", nullptr, c[3], es);
}

const CustomExecMethods exec_methods = {
    "ColumnarScan",
    pg::guarded<begin_columnar>,
    pg::guarded<exec_columnar>,
    pg::guarded<end_columnar>,
    pg::guarded<rescan_columnar>,
    nullptr,
    nullptr,
    pg::guarded<columnar_estimate_dsm>,
    pg::guarded<columnar_initialize_dsm>,
    pg::guarded<columnar_reinitialize_dsm>,
    pg::guarded<columnar_initialize_worker>,
    pg::guarded<columnar_shutdown>,
    pg::guarded<explain_columnar>,
};

// The batch accessors below address a column by row in the batch: a dense column (the selected
// rows alone, decoded for the row-by-row scan) is addressed by rank, so reading it here would
// read the wrong rows. columnar_next_batch decodes every column whole, so this is never reached.
void dense_batch_column(AttrNumber attno) {
  ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                  errmsg("column %d of the batch holds its selected rows alone, not addressable by row", (int)attno)));
}

}  // namespace

bool columnar_next_batch(CustomScanState* node, ColumnarBatch* out) {
  ColumnarScanState* st = (ColumnarScanState*)node;
  if (!st->started) start_scan(st);
  if (!next_batch(st, true)) return false;
  out->companion = st->comp_slot;
  out->rows = st->batch_rows;
  out->selection = st->selection;
  st->next_row = st->batch_rows;  // its rows are consumed by the caller
  return true;
}

bool columnar_batch_column(CustomScanState* node, AttrNumber attno, uint64* rows, const uint8** validity,
                           const uint8** fixed) {
  ColumnarScanState* st = (ColumnarScanState*)node;
  if (attno < 1 || attno > st->natts || st->attrs[attno - 1].bridge_col < 0) return false;
  BridgeColumn col;
  bridge_column(st->bridge, 0, st->attrs[attno - 1].bridge_col, &col);
  if (col.dense) dense_batch_column(attno);
  *rows = col.rows;
  *validity = col.validity;
  *fixed = col.fixed;
  return true;
}

ColumnarParallel** columnar_parallel_slot(CustomScanState* node) { return &((ColumnarScanState*)node)->par; }

void columnar_own_counters(CustomScanState* node, int64 counters[4]) {
  const ColumnarScanState* st = (const ColumnarScanState*)node;
  counters[0] = st->batches_total;
  counters[1] = st->batches_skipped;
  counters[2] = st->batches_decoded;
  counters[3] = st->rows_filtered;
}

bool columnar_batch_bytes(CustomScanState* node, AttrNumber attno, uint64 row, const uint8** data, size_t* len) {
  ColumnarScanState* st = (ColumnarScanState*)node;
  if (attno < 1 || attno > st->natts || st->attrs[attno - 1].bridge_col < 0)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("column %d of the batch is not decoded", (int)attno)));
  if (bridge_dense(st->bridge, 0, st->attrs[attno - 1].bridge_col)) dense_batch_column(attno);
  return bridge_bytes(st->bridge, 0, st->attrs[attno - 1].bridge_col, row, data, len);
}

bool columnar_batch_codes(CustomScanState* node, AttrNumber attno, const uint32** codes, uint64* nentries) {
  ColumnarScanState* st = (ColumnarScanState*)node;
  if (attno < 1 || attno > st->natts || st->attrs[attno - 1].bridge_col < 0) return false;
  return bridge_codes(st->bridge, 0, st->attrs[attno - 1].bridge_col, codes, nentries);
}

void columnar_batch_entry(CustomScanState* node, AttrNumber attno, uint32 code, const uint8** data, size_t* len) {
  ColumnarScanState* st = (ColumnarScanState*)node;
  if (attno < 1 || attno > st->natts || st->attrs[attno - 1].bridge_col < 0)
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("column %d of the batch is not decoded", (int)attno)));
  bridge_entry(st->bridge, 0, st->attrs[attno - 1].bridge_col, code, data, len);
}

Node* columnar_create_state(CustomScan* cscan) {
  ColumnarScanState* st = (ColumnarScanState*)newNode(sizeof(ColumnarScanState), T_CustomScanState);
  st->css.methods = &exec_methods;
  return (Node*)st;
}

}  // namespace strata::columnstore
