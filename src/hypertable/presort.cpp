// The index build of a chunk whose rows were just written (chunk_rebuild_index, chunk.hpp) with its
// input already in index order. PostgreSQL's btree build scans the heap, hands every row's key to a
// tuplesort and sorts: for a text key under a non-C collation every comparison goes through the
// collation, and each tie on the first key reads the next keys out of both index tuples
// (nocache_index_getattr): about 40% of a devops COPY's instructions. PostgreSQL's quicksort first
// checks whether its input is sorted already and then stops after n - 1 comparisons.
//
// So for a btree whose key columns are integers, dates and timestamps (default operator classes)
// or text under a collation that orders by bytes (C, POSIX, or a libc C.UTF-8 default), the build's
// heap scan is taken over for the duration of index_build: the heap's rows are read by PostgreSQL's
// own scan (visibility, partial-index predicates and expressions as always) into memory, each with
// a byte string whose memcmp order is the index's (key columns with their DESC and NULLS FIRST
// options, then the heap TID, which btree builds sort on last), sorted in C++ and handed to the
// build in that order. The result is the same index: the sort that follows only confirms the order
// (and finds duplicates of a unique index, adjacent now, as before). Should the order differ from
// the operator class's after all, PostgreSQL sorts as it always does. A heap with more rows than
// maintenance_work_mem holds at 128 bytes each is left to PostgreSQL's build; rows beyond
// maintenance_work_mem of copies go to the build unsorted, in heap order (PostgreSQL sorts them).
// The build is serial (its parallel workers would scan the heap themselves).
//
// The heap scan is taken over by pointing the chunk's relcache entry at a copy of its table access
// method whose index_build_range_scan puts the heap's own back (heap_getnext checks it) and collects
// first; it is restored also when the build fails before (a relcache rebuild in between restores it
// too: then PostgreSQL's scan runs as usual). C-style glue.
#include "hypertable/chunk.hpp"

#include <algorithm>
#include <clocale>
#include <cstring>
#include <strings.h>

extern "C" {
#include "access/nbtree.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "port/pg_bswap.h"
#include "storage/bufmgr.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_locale.h"
#include "utils/rel.h"
}

namespace strata {

bool guc_presorted_index_build = true;

namespace {

enum KeyKind : uint8 { kKeyInt16, kKeyInt32, kKeyInt64, kKeyText };

constexpr int kMaxKeyBytes = 1024;  // longer keys: the build sorts as usual
constexpr Size kArenaBlock = 1024 * 1024;
constexpr double kRowEstimate = 128;  // bytes a row takes here with short keys (entry, record, copies)

// One heap row as the build's callback received it: TID, liveness, the sort key, then the index
// columns' values (by-reference ones copied behind them).
struct Record {
  ItemPointerData tid;
  bool alive;
  uint16 keylen;
  // followed by: key bytes, then (MAXALIGNed) Datum values[natts], bool isnull[natts], copies
};

struct Entry {
  uint64 k0, k1;  // the key's first 16 bytes, big-endian (zero-padded): most comparisons end here,
  Record* rec;    // without reading the record
};

struct Presort {
  Relation heap;
  Relation index;
  const TableAmRoutine* real_am;
  TableAmRoutine am;  // real_am with index_build_range_scan taken over
  int nkeys;
  int natts;
  KeyKind kind[INDEX_MAX_KEYS];
  bool desc[INDEX_MAX_KEYS];
  bool nulls_first[INDEX_MAX_KEYS];
  bool byval[INDEX_MAX_KEYS];
  int16 typlen[INDEX_MAX_KEYS];
  MemoryContext cxt;
  Size budget;  // bytes of copies, maintenance_work_mem
  Size used;
  char* block;
  Size block_left;
  Entry* entries;
  int64 n;
  int64 cap;
  bool given_up;
  bool sorted;
  bool in_order;  // the heap was in index order already: no sort
  // Every row's key columns distinct from the others': the build skips deduplication (it would
  // find nothing to merge), with `options` in the index's relcache entry for the build's duration.
  bool distinct;
  bytea* options;  // the entry's own, put back after the build
  bytea* mine;
  // The rows were handed over by the heap's writer as it wrote them (presort_rows_add): the
  // build's heap scan is skipped.
  bool given;
  int64 given_rows;
  AttrNumber attnos[INDEX_MAX_KEYS];  // the index columns' heap attributes
  AttrNumber max_attno;
  IndexBuildCallback callback;
  void* callback_state;
};

Presort* current = nullptr;

bool collation_orders_by_bytes(Oid coll) {
  if (lc_collate_is_c(coll)) return true;
  if (coll != DEFAULT_COLLATION_OID || default_locale.provider != COLLPROVIDER_LIBC) return false;
  // (glibc's C.UTF-8 collates by code point, which is the byte order of UTF-8)
  const char* name = setlocale(LC_COLLATE, nullptr);
  return name != nullptr && GetDatabaseEncoding() == PG_UTF8 &&
         (strcasecmp(name, "C.UTF-8") == 0 || strcasecmp(name, "C.utf8") == 0);
}

// Whether index `idx` can be given presorted input, and its key layout into *p.
bool eligible(Relation idx, Presort* p) {
  if (!guc_presorted_index_build || idx->rd_rel->relam != BTREE_AM_OID) return false;
  TupleDesc desc = RelationGetDescr(idx);
  p->natts = IndexRelationGetNumberOfAttributes(idx);
  p->nkeys = IndexRelationGetNumberOfKeyAttributes(idx);
  for (int i = 0; i < p->natts; i++) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    p->byval[i] = att->attbyval;
    p->typlen[i] = att->attlen;
    if (i >= p->nkeys) continue;
    const Oid type = att->atttypid;
    switch (type) {
      case INT2OID:
        p->kind[i] = kKeyInt16;
        break;
      case INT4OID:
      case DATEOID:
        p->kind[i] = kKeyInt32;
        break;
      case INT8OID:
      case TIMESTAMPOID:
      case TIMESTAMPTZOID:
        p->kind[i] = kKeyInt64;
        break;
      case TEXTOID:
      case VARCHAROID:
        if (!collation_orders_by_bytes(idx->rd_indcollation[i])) return false;
        p->kind[i] = kKeyText;
        break;
      default:
        return false;
    }
    const Oid opclass = GetDefaultOpClass(type, BTREE_AM_OID);
    if (!OidIsValid(opclass) || get_opclass_family(opclass) != idx->rd_opfamily[i]) return false;
    p->desc[i] = (idx->rd_indoption[i] & INDOPTION_DESC) != 0;
    p->nulls_first[i] = (idx->rd_indoption[i] & INDOPTION_NULLS_FIRST) != 0;
  }
  return true;
}

void put_be64(char* out, uint64 v) {
  v = pg_hton64(v);
  memcpy(out, &v, 8);
}

uint64 get_be64(const unsigned char* in) {
  uint64 v;
  memcpy(&v, in, 8);
  return pg_ntoh64(v);
}

// The row's sort key into `out` (kMaxKeyBytes): its length, or -1 when it cannot be made (a key too
// long, a compressed or external text value).
int make_key(const Presort* p, ItemPointer tid, const Datum* values, const bool* isnull, char* out) {
  int len = 0;
  for (int i = 0; i < p->nkeys; i++) {
    if (len + 1 + 8 + 6 > kMaxKeyBytes) return -1;
    if (isnull[i]) {
      out[len++] = p->nulls_first[i] ? 0 : 2;
      continue;
    }
    out[len++] = 1;
    if (p->kind[i] == kKeyText) {
      const struct varlena* v = reinterpret_cast<const struct varlena*>(DatumGetPointer(values[i]));
      if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v)) return -1;
      const int n = static_cast<int>(VARSIZE_ANY_EXHDR(v));
      if (len + n + 1 + 6 > kMaxKeyBytes) return -1;
      const auto* s = reinterpret_cast<const unsigned char*>(VARDATA_ANY(v));
      // bytes, then a 0 (text holds no 0 byte: a shorter string sorts first); all inverted for DESC
      if (p->desc[i]) {
        for (int b = 0; b < n; b++) out[len + b] = static_cast<char>(~s[b]);
        out[len + n] = static_cast<char>(0xff);
      } else {
        memcpy(out + len, s, n);
        out[len + n] = 0;
      }
      len += n + 1;
      continue;
    }
    const int64 v = p->kind[i] == kKeyInt16   ? DatumGetInt16(values[i])
                    : p->kind[i] == kKeyInt32 ? DatumGetInt32(values[i])
                                              : DatumGetInt64(values[i]);
    uint64 u = static_cast<uint64>(v) ^ (uint64{1} << 63);
    if (p->desc[i]) u = ~u;
    put_be64(out + len, u);
    len += 8;
  }
  const uint32 block = pg_hton32(ItemPointerGetBlockNumberNoCheck(tid));
  const uint16 offset = pg_hton16(ItemPointerGetOffsetNumberNoCheck(tid));
  memcpy(out + len, &block, 4);
  memcpy(out + len + 4, &offset, 2);
  return len + 6;
}

void* arena_alloc(Presort* p, Size size) {
  size = MAXALIGN(size);
  if (size > p->block_left) {
    const Size block = Max(kArenaBlock, size);
    p->block = static_cast<char*>(MemoryContextAlloc(p->cxt, block));
    p->block_left = block;
    p->used += block;
  }
  void* r = p->block;
  p->block += size;
  p->block_left -= size;
  return r;
}

Datum* record_values(const Presort* p, Record* r) {
  return reinterpret_cast<Datum*>(reinterpret_cast<char*>(r) + MAXALIGN(sizeof(Record) + r->keylen));
}

bool* record_isnull(const Presort* p, Record* r) { return reinterpret_cast<bool*>(record_values(p, r) + p->natts); }

void replay(Presort* p) {
  for (int64 i = 0; i < p->n; i++) {
    if ((i & 4095) == 0) CHECK_FOR_INTERRUPTS();
    Record* r = p->entries[i].rec;
    p->callback(p->index, &r->tid, record_values(p, r), record_isnull(p, r), r->alive, p->callback_state);
  }
  p->n = 0;
}

// The rows collected so far go to the build in heap order, and so do the following ones.
void give_up(Presort* p) {
  replay(p);
  p->given_up = true;
}

// The row into the collection: false (nothing done) when its key cannot be made or it would pass
// the budget.
bool collect_row(Presort* p, ItemPointer tid, Datum* values, bool* isnull, bool alive) {
  char key[kMaxKeyBytes];
  const int keylen = make_key(p, tid, values, isnull, key);
  Size copies = 0;
  Size sizes[INDEX_MAX_KEYS];
  for (int i = 0; i < p->natts; i++) {
    sizes[i] = isnull[i] || p->byval[i] ? 0 : datumGetSize(values[i], false, p->typlen[i]);
    copies += MAXALIGN(sizes[i]);
  }
  const Size size = MAXALIGN(sizeof(Record) + Max(keylen, 0)) + MAXALIGN(p->natts * (sizeof(Datum) + sizeof(bool))) + copies;
  const Size array = (p->n == p->cap ? 2 * p->cap : p->cap) * sizeof(Entry);
  if (keylen < 0 || p->used + size + array > p->budget) return false;
  if (p->n == p->cap) {
    p->cap *= 2;
    p->entries = static_cast<Entry*>(repalloc_huge(p->entries, p->cap * sizeof(Entry)));
  }
  auto* r = static_cast<Record*>(arena_alloc(p, size));
  r->tid = *tid;
  r->alive = alive;
  r->keylen = static_cast<uint16>(keylen);
  auto* k = reinterpret_cast<char*>(r + 1);
  memcpy(k, key, keylen);
  Datum* vals = record_values(p, r);
  bool* nulls = record_isnull(p, r);
  char* copy = reinterpret_cast<char*>(vals) + MAXALIGN(p->natts * (sizeof(Datum) + sizeof(bool)));
  for (int i = 0; i < p->natts; i++) {
    nulls[i] = isnull[i];
    vals[i] = values[i];
    if (isnull[i] || p->byval[i]) continue;
    memcpy(copy, DatumGetPointer(values[i]), sizes[i]);
    vals[i] = PointerGetDatum(copy);
    copy += MAXALIGN(sizes[i]);
  }
  unsigned char first[16] = {0};
  memcpy(first, key, Min(keylen, 16));
  p->entries[p->n++] = Entry{get_be64(first), get_be64(first + 8), r};
  return true;
}

void collect(Relation index, ItemPointer tid, Datum* values, bool* isnull, bool alive, void* arg) {
  auto* p = static_cast<Presort*>(arg);
  if (!p->given_up && collect_row(p, tid, values, isnull, alive)) return;
  if (!p->given_up) give_up(p);
  p->callback(index, tid, values, isnull, alive, p->callback_state);
}

// Whether two sorted neighbours have the same key columns (their keys end in the 6 bytes of the
// TID, and the key bytes of equal values are equal).
bool same_key_columns(const Entry& a, const Entry& b) {
  const int la = a.rec->keylen, lb = b.rec->keylen;
  return la == lb && memcmp(a.rec + 1, b.rec + 1, la - 6) == 0;
}

// With every key distinct, btree deduplication (on unless the index's deduplicate_items is off)
// would only compare each index tuple with the one before, column by column, and merge nothing:
// the build goes without it (the index is the same; later inserts deduplicate per the index's
// setting, which is left as it is). Not for INCLUDE columns (no deduplication then anyway).
void skip_deduplication(Presort* p, Relation index) {
  if (p->nkeys != p->natts || !BTGetDeduplicateItems(index)) return;
  for (int64 i = 1; i < p->n; i++)
    if (same_key_columns(p->entries[i - 1], p->entries[i])) return;
  auto* o = static_cast<BTOptions*>(MemoryContextAllocZero(p->cxt, sizeof(BTOptions)));
  if (index->rd_options != nullptr)
    memcpy(o, index->rd_options, Min(sizeof(BTOptions), VARSIZE(index->rd_options)));
  else
    o->fillfactor = BTREE_DEFAULT_FILLFACTOR;
  SET_VARSIZE(o, sizeof(BTOptions));
  o->deduplicate_items = false;
  p->distinct = true;
  p->options = index->rd_options;
  p->mine = reinterpret_cast<bytea*>(o);
  index->rd_options = p->mine;
}

double presorted_scan(Relation table_rel, Relation index_rel, IndexInfo* info, bool allow_sync, bool anyvisible,
                      bool progress, BlockNumber start_blockno, BlockNumber numblocks, IndexBuildCallback callback,
                      void* callback_state, TableScanDesc scan) {
  Presort* p = current;
  if (p == nullptr || index_rel != p->index || scan != nullptr || start_blockno != 0 || numblocks != InvalidBlockNumber)
    return (p != nullptr ? p->real_am : GetHeapamTableAmRoutine())
        ->index_build_range_scan(table_rel, index_rel, info, allow_sync, anyvisible, progress, start_blockno,
                                 numblocks, callback, callback_state, scan);
  p->callback = callback;
  p->callback_state = callback_state;
  // (heap_getnext insists on the heap's own routine; the one scan of the build is under way now)
  table_rel->rd_tableam = p->real_am;
  const double rows = p->given ? static_cast<double>(p->given_rows)
                               : p->real_am->index_build_range_scan(table_rel, index_rel, info, allow_sync, anyvisible,
                                                                    progress, start_blockno, numblocks, collect, p, scan);
  if (!p->given_up) {
    auto less = [](const Entry& a, const Entry& b) {
      if (a.k0 != b.k0) return a.k0 < b.k0;
      if (a.k1 != b.k1) return a.k1 < b.k1;
      const int la = a.rec->keylen, lb = b.rec->keylen;
      if (la <= 16 || lb <= 16) return la < lb;  // (equal first 16 bytes: the shorter key sorts first)
      const int c = memcmp(reinterpret_cast<const char*>(a.rec + 1) + 16, reinterpret_cast<const char*>(b.rec + 1) + 16,
                           Min(la, lb) - 16);
      return c != 0 ? c < 0 : la < lb;
    };
    // A heap written in the index's order (a refresh's new materialization chunk, a COPY of
    // sorted rows) needs no sort: one pass says so.
    p->in_order = std::is_sorted(p->entries, p->entries + p->n, less);
    if (!p->in_order) std::sort(p->entries, p->entries + p->n, less);
    p->sorted = true;
    skip_deduplication(p, index_rel);
    replay(p);
  }
  return rows;
}

Presort* presort_new(Relation idx) {
  Presort* p = static_cast<Presort*>(palloc0(sizeof(Presort)));
  if (current != nullptr || !eligible(idx, p)) {
    pfree(p);
    return nullptr;
  }
  p->budget = static_cast<Size>(maintenance_work_mem) * 1024;
  p->index = idx;
  p->cxt = AllocSetContextCreate(CurrentMemoryContext, "strata presorted index build", ALLOCSET_DEFAULT_SIZES);
  p->cap = 1024;
  p->entries = static_cast<Entry*>(MemoryContextAllocHuge(p->cxt, p->cap * sizeof(Entry)));
  return p;
}

// After the build (also when it failed): the heap's routine and the index's options back.
void restore_after_build() {
  Presort* p = current;
  if (p->heap->rd_tableam == &p->am) p->heap->rd_tableam = p->real_am;
  // (a relcache reload in between gave the entry its own options again)
  if (p->mine != nullptr && p->index->rd_options == p->mine) p->index->rd_options = p->options;
  current = nullptr;
}

// index_build of `idx` with `current` taking over its heap scan.
void run_build(Relation heap, Relation idx, IndexInfo* info) {
  PG_TRY();
  {
    index_build(heap, idx, info, true, false);
  }
  PG_CATCH();
  {
    restore_after_build();
    PG_RE_THROW();
  }
  PG_END_TRY();
  restore_after_build();
}

// run_build of `p`, then `p` freed.
void build_with(Presort* p, Relation heap, Relation idx, IndexInfo* info) {
  p->index = idx;
  p->real_am = heap->rd_tableam;
  p->am = *heap->rd_tableam;
  p->am.index_build_range_scan = presorted_scan;
  p->heap = heap;
  current = p;
  heap->rd_tableam = &p->am;
  run_build(heap, idx, info);
  elog(DEBUG1, "index \"%s\" of chunk \"%s\" built from %s input%s%s%s", RelationGetRelationName(idx),
       RelationGetRelationName(heap), p->sorted ? "presorted" : "unsorted",
       p->sorted && p->in_order ? " (heap in index order)" : "", p->distinct ? ", keys distinct: no deduplication" : "",
       p->given ? ", rows from the writer: no heap scan" : "");
  MemoryContextDelete(p->cxt);
  pfree(p);
}

}  // namespace

bool index_build_presorted(Relation heap, Relation idx, IndexInfo* info) {
  Presort* p = presort_new(idx);
  if (p == nullptr) return false;
  // A heap whose rows would not fit (rows of its first page times its pages, at kRowEstimate bytes
  // each) is left to PostgreSQL's build, parallel if it likes: collecting a part of it in vain
  // would cost more than it saves.
  const BlockNumber blocks = RelationGetNumberOfBlocks(heap);
  if (blocks > 0) {
    Buffer buf = ReadBuffer(heap, 0);
    LockBuffer(buf, BUFFER_LOCK_SHARE);
    const double per_page = PageGetMaxOffsetNumber(BufferGetPage(buf));
    UnlockReleaseBuffer(buf);
    if (blocks * per_page * kRowEstimate > static_cast<double>(p->budget)) {
      MemoryContextDelete(p->cxt);
      pfree(p);
      return false;
    }
  }
  build_with(p, heap, idx, info);
  return true;
}

// (PresortRows is an opaque name for a Presort with rows given)
PresortRows* presort_rows_begin(Relation idx, const IndexInfo* info, Size budget) {
  if (info->ii_Expressions != NIL || info->ii_Predicate != NIL ||
      IndexRelationGetNumberOfAttributes(idx) != IndexRelationGetNumberOfKeyAttributes(idx))
    return nullptr;
  Presort* p = presort_new(idx);
  if (p == nullptr) return nullptr;
  p->given = true;
  p->budget = budget;
  for (int i = 0; i < p->natts; i++) {
    p->attnos[i] = info->ii_IndexAttrNumbers[i];
    if (p->attnos[i] <= 0) {  // (a system column: not a plain one)
      MemoryContextDelete(p->cxt);
      pfree(p);
      return nullptr;
    }
    p->max_attno = Max(p->max_attno, p->attnos[i]);
  }
  return reinterpret_cast<PresortRows*>(p);
}

bool presort_rows_add(PresortRows* rows, TupleTableSlot* slot) {
  auto* p = reinterpret_cast<Presort*>(rows);
  Datum values[INDEX_MAX_KEYS];
  bool isnull[INDEX_MAX_KEYS];
  slot_getsomeattrs(slot, p->max_attno);
  for (int i = 0; i < p->natts; i++) {
    values[i] = slot->tts_values[p->attnos[i] - 1];
    isnull[i] = slot->tts_isnull[p->attnos[i] - 1];
  }
  if (!collect_row(p, &slot->tts_tid, values, isnull, true)) return false;
  p->given_rows++;
  return true;
}

void presort_rows_free(PresortRows* rows) {
  auto* p = reinterpret_cast<Presort*>(rows);
  MemoryContextDelete(p->cxt);
  pfree(p);
}

void presort_build_from(Relation heap, Relation idx, IndexInfo* info, PresortRows* rows) {
  build_with(reinterpret_cast<Presort*>(rows), heap, idx, info);
}

void chunk_rebuild_index_from(Relation heap, Relation idx, PresortRows* rows) {
  RelationSetNewRelfilenode(idx, idx->rd_rel->relpersistence);
  presort_build_from(heap, idx, BuildIndexInfo(idx), rows);
}

}  // namespace strata
