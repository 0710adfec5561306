// The RowstoreAggregate executor node (rowagg.hpp): pulls the rows of its child scan (a
// PostgreSQL scan of the chunk, whose target list is the table's physical one where possible, so
// no projection), reads the grouping columns and aggregate arguments from the scan slot, finds
// each row's group in an open-addressing hash table keyed by 64-bit words (a NULL mask, then per
// grouping column its Datum, its time_bucket() or, for varlena values, its number in that
// column's interner) and accumulates the aggregates with the columnstore aggregation's
// accumulators (agg_exec.hpp). When the table holds kMaxHashGroups groups, or the child is
// exhausted, the groups are emitted as rows of PostgreSQL's partial states (a group may be emitted
// more than once: the Finalize Aggregate above combines them). C-style glue.
#include "columnstore/rowagg_exec.hpp"

#include <algorithm>

#include "catalog/time_types.hpp"
#include "columnstore/agg_exec.hpp"
#include "columnstore/rowagg.hpp"
#include "core/time/chunk_range.hpp"
#include "pg/deform.hpp"
#include "pg/guard.hpp"
#include "pg/heap_page.hpp"
#include "pg/pg.hpp"
#include "pg/probe_table.hpp"
#include "planner/chunk_append.hpp"

extern "C" {
#include "access/amapi.h"
#include "access/genam.h"
#include "access/heapam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/parallel.h"
#include "access/xact.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "commands/explain.h"
#include "executor/instrument.h"
#include "nodes/tidbitmap.h"
#include "storage/bufmgr.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/spccache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

namespace strata::columnstore::rowaggexec {

namespace {

using namespace aggexec;
using namespace rowaggplan;

// An entry of a grouping column's cache of short values (see intern).
struct ShortSlot {
  uint64 w0, w1;
  uint32 len;  // UINT32_MAX: empty
  int32 id;
};
constexpr int kShortBits = 8;
constexpr int kShortSlots = 1 << kShortBits;

// In the dynamic shared memory of a parallel query, one per parallel-aware RowstoreAggregate: the
// participants (the leader and each worker) claim ranges of the chunk's blocks from `next`, each
// reads its blocks directly and emits its own partial groups (the Finalize Aggregate above the
// Gather combines them). `nblocks` is the leader's count at the scan's start.
//
// The leader claims blocks only until a worker has started (`workers`): a participant emits its
// groups only after its share of a chunk, and while the leader reads its share it does not read the
// workers' tuple queues, which fill up (a chunk's groups are more than a queue holds) and stop the
// workers. From then on the leader reads their rows and the workers share the blocks (every
// worker runs every chunk's node to its end, so the blocks left are all read).
struct RowAggShared {
  pg_atomic_uint32 next;
  pg_atomic_uint32 workers;  // the workers that have started
  uint32 nblocks;
  // Without the direct scan (a chunk that is not a heap), the one participant that set it reads
  // the child's whole scan and the others nothing.
  pg_atomic_uint32 serial;
};
// Blocks claimed at a time: few atomic operations, and a small imbalance at the end.
constexpr uint32 kClaimBlocks = 16;

struct RowAggState {
  CustomScanState css;
  PlanState* child;
  int nspecs;
  SpecState* specs;
  int* pos;       // per spec: input position in the child's output (0: none)
  bool* varlen;   // per spec: a varlena grouping column
  int maxpos;
  int nkeycols;   // grouping columns
  int* key_spec;  // spec of each grouping column
  int* spec_key;  // grouping column of each spec (-1 for aggregates)
  int nkey;       // key words: the NULL mask, then one per grouping column
  int bucket;     // the kSpecBucket spec, or -1
  // The bucket of the inputs in [blo, bhi] is bval (known by monotonicity, see bucket_word).
  bool bvalid;
  int64 blo, bhi;
  uint64 bval;
  int64 bwidth;   // the constant width in the input's units when it has one (0: unknown)
  int64 bprobe_limit;
  MemoryContext hash_cxt;  // groups, table, interners (reset after each emission)
  MemoryContext detoast_cxt;
  Interner* interns;  // per grouping column (used by varlena columns)
  ShortSlot* short_cache;  // kShortSlots per grouping column
  // Per grouping column k (in key order): how its key word is made, and its input position.
  uint8* kkind;  // kKeyByval, kKeyBucket, kKeyVarlen
  int* kpos;     // values[kpos[k]]
  int naggs;     // the kSpecAgg specs
  int* agg_spec;
  bool count_only;  // every aggregate is count(*): one count per group in gcount, no Acc
  int64* gcount;
  int ngroups;
  int cap;
  uint64* gkeys;
  Acc* gacc;
  int32* table;
  uint32 mask;
  int32 last_group;  // the previous row's group (-1: none)
  bool child_done;
  bool emitting;
  int emit_next;
  int64 rows_in;
  int64 groups_out;
  // The direct scan of a heap chunk (dscan non-NULL; see begin_rowagg) in place of the child's.
  bool direct;         // the node reads the heap itself (dscan is set unless EXPLAIN only)
  int bounds_dropped;  // the child's quals found satisfied by the chunk's range (bounds_setup)
  // Otherwise, for an integer, date or timestamp column, the direct scan checks them per row: the
  // time attribute's index dtime (in dvalues), its Datum within [dlo, dhi] (bounds_setup).
  bool dcheck;
  int dtime;
  int64 dlo, dhi;
  TableScanDesc dscan;
  TupleDesc ddesc;
  BlockNumber dblock;  // the next block to read
  BlockNumber dend;    // the end of the claimed blocks (all of them when not parallel)
  bool parallel;       // parallel-aware: the blocks are shared with the other participants
  RowAggShared* shared;  // set when run in a parallel query (nullptr: all blocks are this node's)
  bool serial_checked;   // (without the direct scan) whether this participant tried `serial`
  int dindex, dcount;  // the next of the current page's visible tuples, and their number
  // The current page: read by heapgetpage() (dbuf invalid: the scan's rs_cbuf and rs_vistuples)
  // or, when all-visible, by the node itself (dbuf pinned, dlines its normal line pointers).
  Buffer dbuf;
  const OffsetNumber* dcur;
  OffsetNumber dlines[MaxHeapTuplesPerPage];
  Datum* dvalues;      // per attribute 1 .. maxpos
  bool* disnull;
  bool disnull_dirty;  // disnull may hold a true (from a row with NULLs)
  int dprefix;         // attributes 1 .. dprefix at cached offsets (doff) when a row has no NULLs
  uint32 dprefix_end;  // the end of the last of them
  int dnfixed;         // the prefix's attributes that are read (their indexes in dfixed)
  int* dfixed;
  bool dtail_varlena;  // every attribute after the prefix (up to maxpos) is a varlena
  bool* dneed;         // read by a spec
  int* doff;           // the attribute's offset when no earlier one is NULL or varlena (-1: none)
  pg::AttStep* datt;   // per attribute 1 .. maxpos (see deform)
  // The child is a ChunkAppend (rowagg_tail.cpp): the node reads the children it keeps itself
  // (tail_append non-NULL; see "Bitmap heap scan children" below).
  CustomScanState* tail_append;
  int tail_nchildren;   // the ChunkAppend's children (-1: not asked yet)
  int tail_next;        // the next child to read
  PlanState* tail_cur;  // the child being read (NULL between children)
  bool tail_bitmap;     // tail_cur is a bitmap heap scan read by the node
  int* tail_pos;        // per spec: its input's position in the ChunkAppend's output (0: none)
  int tail_maxpos;
  bool tail_all_visible_ok;  // an all-visible page's tuples need no visibility check
  TIDBitmap* tail_tbm;
  TBMIterator* tail_iter;
  bool tail_iter_done;
  // The pages read ahead (see "Pages read ahead"): a ring of kAhead, the oldest at tail_head.
  struct AheadPage* tail_ahead;
  int tail_head, tail_count;
  // The pages prefetched beyond the ring (see "Pages read ahead"): a second iterator of the bitmap
  // (or a position in the TIDs) up to tail_pf_max pages ahead of the last page pinned, and a queue
  // of the prefetched pages' buffers, read with ReadRecentBuffer when they enter the ring.
  TBMIterator* tail_pf_iter;
  int64 tail_pf_pos;
  bool tail_pf_done;
  int tail_pf_max;
  int64 tail_pages_in, tail_pf_pages;
  int tail_pf_hits;  // the last prefetches that found their page in shared buffers, in a row
  struct PrefetchedPage* tail_pfq;
  int tail_pfq_head, tail_pfq_count;
  // Without a TIDBitmap (see collect_tids): the index's TIDs as (block << 16 | offset), in order.
  uint64* tail_tids;
  int64 tail_ntids, tail_tidpos, tail_tidcap;
  // The child whose layout the direct reads have (direct_layout, once per child, not per rescan),
  // and its specs' attributes.
  PlanState* tail_layout_ps;
  int* tail_attnos;
  int tail_maxatt;
  int64 tail_direct_reads;  // children read as bitmap heap scans by the node (EXPLAIN ANALYZE)
  int64 tail_tid_lists;     // of which read from TIDs in an array (collect_tids), no TIDBitmap
};

// A page of the bitmap read ahead: its bitmap entry (copied: the iterator reuses its own), and for
// a page the node reads itself (exact, no recheck) its pinned buffer; once prepared, its visible
// tuples' offsets (or `am`: read through the table AM).
constexpr int kAhead = 6;  // with the pins of one being read, within PostgreSQL's 8 fast private refcounts
struct AheadPage {
  Buffer buf;
  bool prepared;
  bool am;
  int nlines;
  OffsetNumber lines[MaxHeapTuplesPerPage];
  TBMIterateResult* r;  // with room for MaxHeapTuplesPerPage offsets
};

// A page prefetched beyond the ring: its buffer when it was in shared buffers already.
struct PrefetchedPage {
  BlockNumber block;
  Buffer recent;
};
constexpr int kPrefetchMax = 64;  // (effective_io_concurrency beyond this: 64 pages ahead)
constexpr int kPrefetchQueue = 128;  // the queue's room (a power of two, above kPrefetchMax + 1)
// After kPrefetchHits prefetches in a row found their pages in shared buffers, one page in
// kPrefetchSample is looked up until one is not there (the others are read by ReadBuffer as
// without prefetching): a lookup ahead of every cached page cost ~5% of the backend's CPU.
constexpr int kPrefetchHits = 32;
constexpr int64 kPrefetchSample = 8;

enum KeyKind : uint8 { kKeyByval, kKeyBucket, kKeyVarlen };

// A value of at most kShortLen bytes as two words and its length, which identify it: the first
// and the last 8 bytes (overlapping when shorter than 16), or for fewer than 8 bytes the first and
// last 4, or the first, middle and last byte.
constexpr uint32 kShortLen = 16;
inline void short_words(const uint8* d, uint32 len, uint64* w0, uint64* w1) {
  uint64 a = 0, b = 0;
  if (len >= 8) {
    memcpy(&a, d, 8);
    memcpy(&b, d + len - 8, 8);
  } else if (len >= 4) {
    uint32 x, y;
    memcpy(&x, d, 4);
    memcpy(&y, d + len - 4, 4);
    a = (uint64)x | ((uint64)y << 32);
  } else if (len > 0) {
    a = (uint64)d[0] | ((uint64)d[len / 2] << 8) | ((uint64)d[len - 1] << 16);
  }
  *w0 = a;
  *w1 = b;
}

// The number of a grouping column's value in its interner. Values of at most kShortLen bytes are
// looked up first in a direct-mapped cache of the column's recent values (kShortSlots, reset with
// the interner), compared as words; others are compared with the previous row's value first.
inline __attribute__((always_inline)) int32 intern(RowAggState* st, int k, const uint8* data, uint32 len) {
  Interner* in = &st->interns[k];
  if (len <= kShortLen) {
    uint64 w0, w1;
    short_words(data, len, &w0, &w1);
    uint64 h = w0 * 0x9e3779b97f4a7c15ULL + w1 * 0xc2b2ae3d27d4eb4fULL + len;
    h ^= h >> 29;  // values differing only in high bytes (a last digit) must reach other slots
    h *= 0xbf58476d1ce4e5b9ULL;
    ShortSlot* c = &st->short_cache[(size_t)k * kShortSlots + (h >> (64 - kShortBits))];
    if (c->w0 == w0 && c->w1 == w1 && c->len == len) return c->id;
    const int32 id = interner_lookup(in, st->hash_cxt, data, len);
    *c = ShortSlot{w0, w1, len, id};
    return id;
  }
  if (in->last >= 0) {
    const Interned* it = &in->items[in->last];
    if (it->len == len && memcmp(it->data, data, len) == 0) return in->last;
  }
  const int32 id = interner_lookup(in, st->hash_cxt, data, len);
  in->last = id;
  return id;
}

void hash_reset(RowAggState* st) {
  MemoryContextReset(st->hash_cxt);
  MemoryContext old = MemoryContextSwitchTo(st->hash_cxt);
  st->interns = (Interner*)palloc(sizeof(Interner) * (st->nkeycols > 0 ? st->nkeycols : 1));
  for (int k = 0; k < st->nkeycols; ++k) interner_init(&st->interns[k]);
  const size_t slots = (size_t)kShortSlots * (st->nkeycols > 0 ? st->nkeycols : 1);
  st->short_cache = (ShortSlot*)palloc(sizeof(ShortSlot) * slots);
  for (size_t i = 0; i < slots; ++i) st->short_cache[i] = ShortSlot{0, 0, UINT32_MAX, -1};
  st->ngroups = 0;
  st->last_group = -1;
  st->cap = 64;
  st->gkeys = (uint64*)palloc(sizeof(uint64) * st->nkey * st->cap);
  st->gacc = nullptr;
  st->gcount = nullptr;
  if (st->count_only)
    st->gcount = (int64*)palloc0(sizeof(int64) * st->cap);
  else
    st->gacc = (Acc*)palloc0(sizeof(Acc) * (st->nspecs > 0 ? st->nspecs : 1) * st->cap);
  st->mask = 127;
  st->table = pg::probe_table_alloc(CurrentMemoryContext, st->mask);
  MemoryContextSwitchTo(old);
}

// Each word times an odd constant (independent multiplications), summed, then one finalizer.
// NKEY > 0: the number of words known at compile time (the loops unrolled); 0: `nkey` words.
template <int NKEY>
inline uint64 key_hash(const uint64* key, int nkey) {
  static constexpr uint64 kMul[4] = {0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL, 0x165667b19e3779f9ULL,
                                     0xd6e8feb86659fd93ULL};
  const int n = NKEY > 0 ? NKEY : nkey;
  uint64 h = (uint64)n;
  for (int w = 0; w < n; ++w) h += key[w] * kMul[w & 3];
  return mix64(h);
}

template <int NKEY>
inline bool key_equal(const uint64* a, const uint64* b, int nkey) {
  const int n = NKEY > 0 ? NKEY : nkey;
  uint64 diff = 0;
  if constexpr (NKEY > 0) {
    for (int w = 0; w < n; ++w) diff |= a[w] ^ b[w];
    return diff == 0;
  }
  for (int w = 0; w < n; ++w)
    if (a[w] != b[w]) return false;
  return true;
}

int32 new_group(RowAggState* st, const uint64* key, uint32 idx);

// The group of `key` (created when new); the previous row's group is tried first.
template <int NKEY>
inline __attribute__((always_inline)) int32 find_group(RowAggState* st, const uint64* key) {
  const int nkey = st->nkey;
  if (st->last_group >= 0 && key_equal<NKEY>(&st->gkeys[(size_t)st->last_group * nkey], key, nkey))
    return st->last_group;
  uint32 idx = (uint32)key_hash<NKEY>(key, nkey) & st->mask;
  int32 g;
  for (; (g = st->table[idx]) >= 0; idx = (idx + 1) & st->mask)
    if (key_equal<NKEY>(&st->gkeys[(size_t)g * nkey], key, nkey)) break;
  if (g < 0) g = new_group(st, key, idx);
  st->last_group = g;
  return g;
}

// A new group for `key`, whose slot in the table is idx.
int32 new_group(RowAggState* st, const uint64* key, uint32 idx) {
  const int nkey = st->nkey;
  MemoryContext old = MemoryContextSwitchTo(st->hash_cxt);
  if (st->ngroups == st->cap) {
    const int ns = st->nspecs > 0 ? st->nspecs : 1;
    st->gkeys = (uint64*)repalloc(st->gkeys, sizeof(uint64) * nkey * st->cap * 2);
    if (st->count_only) {
      st->gcount = (int64*)repalloc(st->gcount, sizeof(int64) * st->cap * 2);
      memset(st->gcount + st->cap, 0, sizeof(int64) * st->cap);
    } else {
      st->gacc = (Acc*)repalloc(st->gacc, sizeof(Acc) * ns * st->cap * 2);
      memset(st->gacc + (size_t)ns * st->cap, 0, sizeof(Acc) * ns * st->cap);
    }
    st->cap *= 2;
  }
  const int32 g = st->ngroups++;
  memcpy(&st->gkeys[(size_t)g * nkey], key, sizeof(uint64) * nkey);
  st->table[idx] = g;
  pg::probe_table_grow_if_half_full(st->hash_cxt, &st->table, &st->mask, st->ngroups,
                                    [st, nkey](int32 e) { return key_hash<0>(&st->gkeys[(size_t)e * nkey], nkey); });
  MemoryContextSwitchTo(old);
  return g;
}

Datum bucket_call(RowAggState* st, const SpecState* sp, int64 v) {
  const Datum d = datum_of_int(v, sp->typid);
  if (sp->nconsts == 2) return FunctionCall3Coll((FmgrInfo*)&sp->fn, InvalidOid, sp->width, d, sp->origin);
  return FunctionCall2Coll((FmgrInfo*)&sp->fn, InvalidOid, sp->width, d);
}

// The bucket of v. time_bucket() never decreases as its argument grows, so once two inputs are
// known to have the same bucket, so has every input between them: the node remembers the range
// [blo, bhi] of inputs known to map to the last bucket, widened on each new bucket by asking the
// function for the bucket's first value (the bucket itself, when the function returns the input's
// type) and for the last value of a bucket of the constant width. Values outside it are computed.
uint64 bucket_word_slow(RowAggState* st, const SpecState* sp, int64 v);

inline __attribute__((always_inline)) uint64 bucket_word(RowAggState* st, const SpecState* sp, int64 v) {
  if (st->bvalid && v >= st->blo && v <= st->bhi) return st->bval;
  return bucket_word_slow(st, sp, v);
}

uint64 bucket_word_slow(RowAggState* st, const SpecState* sp, int64 v) {
  const uint64 b = (uint64)bucket_call(st, sp, v);
  st->bvalid = true;
  st->bval = b;
  st->blo = st->bhi = v;
  // Probes stay well inside the type's range, so that they cannot fail where the rows' own
  // values do not.
  if (st->bprobe_limit > 0) {
    const int64 lo = int_of_datum((Datum)b, sp->typid);
    const int64 lim = st->bprobe_limit;
    if (lo <= v && lo > -lim && lo < lim && (uint64)bucket_call(st, sp, lo) == b) {
      st->blo = lo;
      if (st->bwidth > 0 && st->bwidth < lim) {
        const int64 hi = lo + st->bwidth - 1;
        if (hi >= v && hi < lim && (uint64)bucket_call(st, sp, hi) == b) st->bhi = hi;
      }
    }
  }
  return b;
}

// Groups one row whose input values are values[pos - 1] / isnull[pos - 1] (the positions of the
// specs) and accumulates its aggregates. NKEY: the key words, when known at compile time.
template <int NKEY>
inline __attribute__((always_inline)) void add_row_n(RowAggState* st, const Datum* values, const bool* isnull) {
  const int nkeycols = NKEY > 0 ? NKEY - 1 : st->nkeycols;
  uint64 key[64];
  st->rows_in++;
  bool detoasted = false;
  uint64 nullmask = 0;
  for (int k = 0; k < nkeycols; ++k) {
    const int p = st->kpos[k];
    if (isnull[p]) {
      nullmask |= (uint64)1 << k;
      key[k + 1] = 0;
      continue;
    }
    switch (st->kkind[k]) {
      case kKeyBucket: {
        const SpecState* sp = &st->specs[st->key_spec[k]];
        key[k + 1] = bucket_word(st, sp, int_of_datum(values[p], sp->typid));
        break;
      }
      case kKeyVarlen: {
        struct varlena* v = (struct varlena*)DatumGetPointer(values[p]);
        if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v)) {
          MemoryContext old = MemoryContextSwitchTo(st->detoast_cxt);
          v = pg_detoast_datum_packed(v);
          MemoryContextSwitchTo(old);
          detoasted = true;
        }
        key[k + 1] = (uint64)intern(st, k, (const uint8*)VARDATA_ANY(v), (uint32)VARSIZE_ANY_EXHDR(v));
        break;
      }
      default:
        key[k + 1] = (uint64)values[p];
        break;
    }
  }
  key[0] = nullmask;
  if (detoasted) MemoryContextReset(st->detoast_cxt);
  const int32 g = find_group<NKEY>(st, key);
  if (st->count_only) {
    st->gcount[g]++;
    return;
  }
  Acc* accs = &st->gacc[(size_t)g * st->nspecs];
  for (int i = 0; i < st->naggs; ++i) {
    const int s = st->agg_spec[i];
    const SpecState* sp = &st->specs[s];
    Acc* a = &accs[s];
    if (sp->agg == kCountStar) {
      a->n++;
      continue;
    }
    const int p = st->pos[s] - 1;
    if (isnull[p]) continue;
    if (sp->agg == kCount) {
      a->n++;
    } else if (sp->is_float) {
      accumulate_value(a, sp, 0, float_of_datum(values[p], sp->typid));
    } else {
      accumulate_value(a, sp, int_of_datum(values[p], sp->typid), 0);
    }
  }
}

inline void add_row(RowAggState* st, const Datum* values, const bool* isnull) {
  switch (st->nkey) {
    case 2:
      add_row_n<2>(st, values, isnull);
      break;
    case 3:
      add_row_n<3>(st, values, isnull);
      break;
    case 4:
      add_row_n<4>(st, values, isnull);
      break;
    default:
      add_row_n<0>(st, values, isnull);
      break;
  }
}

// Reads rows from the child into the groups until it is exhausted or the table is full.
void fill(RowAggState* st) {
  if (st->shared != nullptr && !st->serial_checked) {
    st->serial_checked = true;
    if (pg_atomic_exchange_u32(&st->shared->serial, 1) != 0) {
      st->child_done = true;  // another participant reads the child
      return;
    }
  }
  while (st->ngroups < kMaxHashGroups) {
    TupleTableSlot* slot = ExecProcNode(st->child);
    if (TupIsNull(slot)) {
      st->child_done = true;
      return;
    }
    if (st->maxpos > 0) slot_getsomeattrs(slot, st->maxpos);
    add_row(st, slot->tts_values, slot->tts_isnull);
  }
}

// Reads the attributes 1 .. st->maxpos of the heap tuple `td` (of length `len`) into st->dvalues /
// st->disnull, as slot_deform_heap_tuple() does, storing only the ones the specs read (st->dneed);
// the values of varlena attributes point into the tuple (the page stays pinned while they are used).
inline __attribute__((always_inline)) void deform(RowAggState* st, HeapTupleHeader td, uint32 len) {
  const int natts = HeapTupleHeaderGetNatts(td);
  const int maxatt = st->maxpos;
  Datum* values = st->dvalues;
  bool* isnull = st->disnull;
  if (natts < maxatt) {
    // Attributes added after the row was written (their default, or NULL): PostgreSQL's way.
    HeapTupleData tup;
    tup.t_len = len;
    tup.t_data = td;
    ItemPointerSetInvalid(&tup.t_self);
    tup.t_tableOid = InvalidOid;
    st->disnull_dirty = true;
    for (int a = 0; a < maxatt; ++a)
      if (st->dneed[a]) values[a] = heap_getattr(&tup, a + 1, st->ddesc, &isnull[a]);
    return;
  }
  const char* tp = (const char*)td + td->t_hoff;
  const pg::AttStep* datt = st->datt;
  if ((td->t_infomask & HEAP_HASNULL) == 0) {
    // No NULLs: the prefix at cached offsets, then the rest walked (a varlena's one-byte header
    // needs no alignment: a pad byte is zero).
    if (st->disnull_dirty) {
      memset(isnull, 0, maxatt);
      st->disnull_dirty = false;
    }
    for (int i = 0; i < st->dnfixed; ++i) {
      const int a = st->dfixed[i];
      values[a] = fetch_att(tp + st->doff[a], datt[a].byval, datt[a].len);
    }
    const int prefix = st->dprefix;
    uint32 off = st->dprefix_end;
    if (st->dtail_varlena) {
      // Only varlenas after the prefix (text columns, say): each one's start stored (read or not).
      for (int a = prefix; a < maxatt; ++a) {
        const char* p = tp + off;
        if (!VARATT_NOT_PAD_BYTE(p)) {
          off = TYPEALIGN(datt[a].align, off);
          p = tp + off;
        }
        values[a] = PointerGetDatum(p);
        off += VARSIZE_ANY(p);
      }
      return;
    }
    for (int a = prefix; a < maxatt; ++a) {
      const pg::AttStep d = datt[a];
      const char* p = pg::step_over_att(tp, &off, d);
      if (d.need) values[a] = d.byval ? fetch_att(p, true, d.len) : PointerGetDatum(p);
    }
    return;
  }
  const bits8* bp = td->t_bits;
  st->disnull_dirty = true;
  uint32 off = 0;
  bool slow = false;  // an earlier attribute was NULL or of variable length: no cached offsets
  for (int a = 0; a < maxatt; ++a) {
    const pg::AttStep d = datt[a];
    if (att_isnull(a, bp)) {
      isnull[a] = true;
      values[a] = (Datum)0;
      slow = true;
      continue;
    }
    isnull[a] = false;
    if (!slow && st->doff[a] >= 0) {
      off = (uint32)st->doff[a];
    } else if (d.len == -1) {
      if (!VARATT_NOT_PAD_BYTE(tp + off)) off = TYPEALIGN(d.align, off);
      slow = true;
    } else {
      off = TYPEALIGN(d.align, off);
    }
    if (d.need) values[a] = d.len == -1 || d.len == -2 || !d.byval ? PointerGetDatum(tp + off) : fetch_att(tp + off, true, d.len);
    off += d.len > 0 ? (uint32)d.len : d.len == -1 ? VARSIZE_ANY(tp + off) : (uint32)strlen(tp + off) + 1;
    if (d.len <= 0) slow = true;
  }
}

// The direct scan (see begin_rowagg): the visible rows of each page, as heapgetpage() finds them
// under one buffer lock, read straight from the pinned page until the table is full or the heap
// is exhausted.
void fill_direct_pages(RowAggState* st, HeapScanDesc hs);

void fill_direct(RowAggState* st) {
  HeapScanDesc hs = (HeapScanDesc)st->dscan;
  Instrumentation* instr = st->child->instrument;
  const int64 before = st->rows_in;
  if (instr != nullptr) InstrStartNode(instr);
  fill_direct_pages(st, hs);
  if (instr != nullptr) InstrStopNode(instr, (double)(st->rows_in - before));
}

template <int NKEY>
void fill_direct_pages_n(RowAggState* st, HeapScanDesc hs);

// The next range of blocks of a parallel scan into [dblock, dend); false when none is left (and
// always false outside a parallel query, where the node's range was every block).
bool claim_blocks(RowAggState* st, HeapScanDesc hs) {
  if (st->shared == nullptr) return false;
  if (!IsParallelWorker() && pg_atomic_read_u32(&st->shared->workers) > 0) return false;
  const uint32 nblocks = Min(st->shared->nblocks, hs->rs_nblocks);
  const uint32 first = pg_atomic_fetch_add_u32(&st->shared->next, kClaimBlocks);
  if (first >= nblocks) return false;
  st->dblock = first;
  st->dend = Min(first + kClaimBlocks, nblocks);
  return true;
}

void release_page(RowAggState* st) {
  if (BufferIsValid(st->dbuf)) ReleaseBuffer(st->dbuf);
  st->dbuf = InvalidBuffer;
}

// Reads block st->dblock (then the next): an all-visible page (outside recovery and SERIALIZABLE)
// by the node itself, every normal line pointer visible to the MVCC snapshot as heapgetpage()
// would find it, without its per-tuple work (and without pruning the page); other pages through
// heapgetpage(), which checks each tuple's visibility.
void read_page(RowAggState* st, HeapScanDesc hs) {
  CHECK_FOR_INTERRUPTS();
  const BlockNumber block = st->dblock++;
  release_page(st);
  st->dindex = 0;
  if (pg::heap_all_visible_trusted(hs->rs_base.rs_snapshot)) {
    st->dbuf = pg::heap_read_all_visible_page(hs->rs_base.rs_rd, block, hs->rs_strategy, st->dlines, &st->dcount);
    if (BufferIsValid(st->dbuf)) {
      st->dcur = st->dlines;
      return;
    }
  }
  heapgetpage(&hs->rs_base, block);  // pins, visibility
  st->dcur = hs->rs_vistuples;
  st->dcount = hs->rs_ntuples;
}

void fill_direct_pages(RowAggState* st, HeapScanDesc hs) {
  switch (st->nkey) {
    case 2:
      fill_direct_pages_n<2>(st, hs);
      break;
    case 3:
      fill_direct_pages_n<3>(st, hs);
      break;
    case 4:
      fill_direct_pages_n<4>(st, hs);
      break;
    default:
      fill_direct_pages_n<0>(st, hs);
      break;
  }
}

template <int NKEY>
void fill_direct_pages_n(RowAggState* st, HeapScanDesc hs) {
  while (st->ngroups < kMaxHashGroups) {
    if (st->dindex >= st->dcount) {
      if (st->dblock >= st->dend && !claim_blocks(st, hs)) {
        st->child_done = true;
        return;
      }
      read_page(st, hs);
      continue;
    }
    const Page page = BufferGetPage(BufferIsValid(st->dbuf) ? st->dbuf : hs->rs_cbuf);
    const OffsetNumber* lines = st->dcur;
    while (st->dindex < st->dcount && st->ngroups < kMaxHashGroups) {
      const ItemId lp = PageGetItemId(page, lines[st->dindex++]);
      deform(st, (HeapTupleHeader)PageGetItem(page, lp), ItemIdGetLength(lp));
      if (__builtin_expect(st->dcheck, 0)) {  // the child's quals on the time column (bounds_setup)
        const int64 t = DatumGetInt64(st->dvalues[st->dtime]);
        if (st->disnull[st->dtime] || t < st->dlo || t > st->dhi) continue;
      }
      add_row_n<NKEY>(st, st->dvalues, st->disnull);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Bitmap heap scan children (rowagg_tail.cpp plans them): the child is a ChunkAppend, and the node
// reads the children it keeps after its exclusion itself. A BitmapHeapScan of a heap chunk without
// a filter is read from its TIDs (collect_tids: a lone btree index scan's TIDs in an array; else
// the bitmap its bitmap quals build through MultiExecProcNode, as BitmapHeapNext runs them), its
// pages read a few ahead ("Pages read ahead"): an exact page without recheck that is all-visible
// (outside recovery and SERIALIZABLE) has its listed tuples deformed straight from the page, a line
// pointer that is not a plain tuple (a HOT chain's redirect) followed by heap_hot_search_buffer
// under the same share lock, as the heap AM does; other pages (lossy, to recheck, not all-visible)
// go through the table AM's bitmap functions and the scan's recheck quals. Other children are
// pulled through ExecProcNode. The children's instrumentation (and the ChunkAppend's) counts the
// rows read.

void direct_layout(RowAggState* st, TupleDesc desc, const int* attnos, int maxatt);

// The ChunkAppend child's setup (from begin_rowagg): a plain MVCC read, no row locks.
void tail_setup(RowAggState* st, EState* estate, int eflags) {
  st->tail_append = nullptr;
  Plan* plan = st->child->plan;
  if (!IsA(plan, CustomScan) || !is_chunk_append_plan((CustomScan*)plan)) return;
  if (!IsMVCCSnapshot(estate->es_snapshot) || estate->es_epq_active != nullptr ||
      (estate->es_plannedstmt != nullptr && estate->es_plannedstmt->rowMarks != NIL))
    return;
  st->tail_append = (CustomScanState*)st->child;
  const int n = st->nspecs > 0 ? st->nspecs : 1;
  st->tail_pos = (int*)palloc(sizeof(int) * n);
  memcpy(st->tail_pos, st->pos, sizeof(int) * n);
  st->tail_maxpos = st->maxpos;
  st->tail_attnos = (int*)palloc0(sizeof(int) * n);
  st->tail_nchildren = -1;  // (the other tail_ fields start zeroed: create_state's newNode)
  st->tail_all_visible_ok = pg::heap_all_visible_trusted(estate->es_snapshot);
}

void set_key_positions(RowAggState* st) {
  for (int k = 0; k < st->nkeycols; ++k) st->kpos[k] = st->pos[st->key_spec[k]] - 1;
}

// The bitmap of a lone btree BitmapIndexScan (no array keys run by the node) is not built: its
// TIDs are fetched with index_getnext_tid into an array, sorted by page when they are not in
// order already (an index on (account, time) of rows written in time order lists them in page
// order), and read a page's run at a time (next_tid_page), as a TIDBitmap's exact pages would be.
// This saves the bitmap's hash table, its sort of page entries and a cache miss per page of its
// iteration. Past work_mem of TIDs (8 bytes each) they go into a TIDBitmap after all, which may
// turn lossy as PostgreSQL's would. The index scan node's instrumentation counts the TIDs.
bool collect_tids(RowAggState* st, PlanState* outer) {
  if (!IsA(outer, BitmapIndexScanState)) return false;
  BitmapIndexScanState* bis = (BitmapIndexScanState*)outer;
  IndexScanDesc scan = bis->biss_ScanDesc;
  if (scan == nullptr || bis->biss_NumArrayKeys != 0 || bis->biss_RelationDesc->rd_rel->relam != BTREE_AM_OID ||
      bis->biss_RelationDesc->rd_indam->amgettuple == nullptr)
    return false;
  // (as MultiExecProcNode: a rescan for changed parameters, and the run-time keys' values, before
  // the node's instrumentation starts: ExecReScan ends its loop, an error while its timer runs)
  if (outer->chgParam != nullptr) ExecReScan(outer);
  if (!bis->biss_RuntimeKeysReady && bis->biss_NumRuntimeKeys != 0) ExecReScan(outer);
  if (outer->instrument != nullptr) InstrStartNode(outer->instrument);
  // (at most half of a palloc's 1 GB: the array doubles by repalloc)
  const int64 limit = Min(Max((int64)work_mem * 1024 / (int64)sizeof(uint64), (int64)1024),
                          (int64)(MaxAllocSize / sizeof(uint64) / 2));
  if (st->tail_tids == nullptr) {
    st->tail_tidcap = 1024;
    st->tail_tids = (uint64*)MemoryContextAlloc(st->css.ss.ps.state->es_query_cxt, sizeof(uint64) * st->tail_tidcap);
  }
  int64 n = 0;
  int64 fetched = 0;
  bool sorted = true;
  uint64 prev = 0;
  TIDBitmap* tbm = nullptr;
  for (;;) {
    CHECK_FOR_INTERRUPTS();
    ItemPointer tid = index_getnext_tid(scan, ForwardScanDirection);
    if (tid == nullptr) break;
    fetched++;
    if (tbm != nullptr) {
      tbm_add_tuples(tbm, tid, 1, scan->xs_recheck);
      continue;
    }
    if (scan->xs_recheck || n == limit) {
      tbm = tbm_create(work_mem * 1024L, nullptr);
      for (int64 i = 0; i < n; ++i) {
        ItemPointerData t;
        ItemPointerSet(&t, (BlockNumber)(st->tail_tids[i] >> 16), (OffsetNumber)(st->tail_tids[i] & 0xffff));
        tbm_add_tuples(tbm, &t, 1, false);
      }
      // (not kept beside the bitmap: both would hold up to work_mem)
      pfree(st->tail_tids);
      st->tail_tids = nullptr;
      st->tail_tidcap = 0;
      n = 0;
      tbm_add_tuples(tbm, tid, 1, scan->xs_recheck);
      continue;
    }
    const uint64 key = ((uint64)ItemPointerGetBlockNumber(tid) << 16) | ItemPointerGetOffsetNumber(tid);
    sorted &= key > prev || n == 0;
    prev = key;
    if (n == st->tail_tidcap) {
      st->tail_tidcap *= 2;
      st->tail_tids = (uint64*)repalloc(st->tail_tids, sizeof(uint64) * st->tail_tidcap);
    }
    st->tail_tids[n++] = key;
  }
  if (outer->instrument != nullptr) InstrStopNode(outer->instrument, (double)fetched);
  if (tbm != nullptr) {
    st->tail_tbm = tbm;
    return true;
  }
  if (!sorted) {
    std::sort(st->tail_tids, st->tail_tids + n);
    n = std::unique(st->tail_tids, st->tail_tids + n) - st->tail_tids;
  }
  st->tail_ntids = n;
  st->tail_tidpos = 0;
  return true;
}

// The next page's run of the sorted TIDs as an exact bitmap entry in *r; false at the end.
bool next_tid_page(RowAggState* st, TBMIterateResult* r) {
  if (st->tail_tidpos >= st->tail_ntids) return false;
  const uint64* t = st->tail_tids;
  int64 i = st->tail_tidpos;
  const uint64 block = t[i] >> 16;
  int n = 0;
  for (; i < st->tail_ntids && (t[i] >> 16) == block && n < MaxHeapTuplesPerPage; ++i)
    r->offsets[n++] = (OffsetNumber)(t[i] & 0xffff);
  st->tail_tidpos = i;
  r->blockno = (BlockNumber)block;
  r->ntuples = n;
  r->recheck = false;
  return true;
}

// Whether the child `ps` is a bitmap heap scan the node reads itself; if so, the specs read the
// chunk's attributes (bitmap_begin then builds its bitmap).
bool bitmap_usable(RowAggState* st, PlanState* ps) {
  if (!IsA(ps, BitmapHeapScanState) || st->tail_maxpos <= 0) return false;
  BitmapHeapScanState* bs = (BitmapHeapScanState*)ps;
  Plan* plan = ps->plan;
  Relation rel = bs->ss.ss_currentRelation;
  if (ps->qual != nullptr || plan->parallel_aware || bs->pstate != nullptr || plan->initPlan != NIL ||
      rel == nullptr || rel->rd_rel->relam != HEAP_TABLE_AM_OID || bs->ss.ss_currentScanDesc == nullptr ||
      outerPlanState(ps) == nullptr)
    return false;
  if (ps != st->tail_layout_ps) {
    // The chunk's attribute of each spec's input (a Var of the scanned relation in the child's
    // target list, at the position the ChunkAppend's output has it).
    const Index scanrelid = ((Scan*)plan)->scanrelid;
    TupleDesc desc = RelationGetDescr(rel);
    int* attnos = st->tail_attnos;
    memset(attnos, 0, sizeof(int) * (st->nspecs > 0 ? st->nspecs : 1));
    int maxatt = 0;
    for (int s = 0; s < st->nspecs; ++s) {
      const int p = st->tail_pos[s];
      if (p == 0) continue;
      if (p > list_length(plan->targetlist)) return false;
      const Var* v = (const Var*)((TargetEntry*)list_nth(plan->targetlist, p - 1))->expr;
      if (v == nullptr || !IsA(v, Var) || v->varno != (int)scanrelid || v->varattno <= 0 || v->varlevelsup != 0 ||
          v->varattno > desc->natts)
        return false;
      attnos[s] = v->varattno;
      maxatt = Max(maxatt, (int)v->varattno);
    }
    if (maxatt <= 0) return false;
    // (the previous child's layout freed: rescans come back here)
    for (void* p : {(void*)st->dvalues, (void*)st->disnull, (void*)st->dneed, (void*)st->doff, (void*)st->datt,
                    (void*)st->dfixed})
      if (p != nullptr) pfree(p);
    direct_layout(st, desc, attnos, maxatt);
    st->tail_layout_ps = ps;
    st->tail_maxatt = maxatt;
  } else {
    memcpy(st->pos, st->tail_attnos, sizeof(int) * st->nspecs);
    st->maxpos = st->tail_maxatt;
  }
  set_key_positions(st);
  return true;
}

// The bitmap of the bitmap heap scan child `ps` (bitmap_usable) built, its pages not read yet.
void bitmap_begin(RowAggState* st, PlanState* ps) {
  st->tail_ntids = st->tail_tidpos = 0;
  st->tail_tbm = nullptr;
  st->tail_iter = nullptr;
  if (collect_tids(st, outerPlanState(ps))) {
    st->tail_tid_lists += st->tail_tbm == nullptr ? 1 : 0;
  } else {
    Node* bitmap = MultiExecProcNode(outerPlanState(ps));
    if (bitmap == nullptr || !IsA(bitmap, TIDBitmap))
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("unrecognized result from subplan")));
    st->tail_tbm = (TIDBitmap*)bitmap;
  }
  if (st->tail_tbm != nullptr) st->tail_iter = tbm_begin_iterate(st->tail_tbm);
  st->tail_iter_done = false;
  // (as BitmapHeapScan prefetches: up to the tablespace's effective_io_concurrency pages)
  Relation rel = ((ScanState*)ps)->ss_currentRelation;
  st->tail_pf_max = Min(get_tablespace_io_concurrency(rel->rd_rel->reltablespace), kPrefetchMax);
  st->tail_pf_pos = st->tail_pages_in = st->tail_pf_pages = 0;
  st->tail_pf_hits = 0;
  st->tail_pf_done = st->tail_pf_max <= 0;
  st->tail_pfq_head = st->tail_pfq_count = 0;
  if (!st->tail_pf_done && st->tail_tbm != nullptr) st->tail_pf_iter = tbm_begin_iterate(st->tail_tbm);
  if (!st->tail_pf_done && st->tail_pfq == nullptr)
    st->tail_pfq = (PrefetchedPage*)MemoryContextAlloc(st->css.ss.ps.state->es_query_cxt,
                                                       sizeof(PrefetchedPage) * kPrefetchQueue);
  if (st->tail_ahead == nullptr) {
    MemoryContext cxt = st->css.ss.ps.state->es_query_cxt;
    st->tail_ahead = (AheadPage*)MemoryContextAllocZero(cxt, sizeof(AheadPage) * kAhead);
    for (int i = 0; i < kAhead; ++i)
      st->tail_ahead[i].r = (TBMIterateResult*)MemoryContextAlloc(
          cxt, offsetof(TBMIterateResult, offsets) + sizeof(OffsetNumber) * MaxHeapTuplesPerPage);
  }
  st->tail_head = st->tail_count = 0;
  st->dindex = st->dcount = 0;
  st->dbuf = InvalidBuffer;
}

void bitmap_end(RowAggState* st) {
  release_page(st);
  for (int i = 0; i < st->tail_count; ++i) {
    AheadPage* a = &st->tail_ahead[(st->tail_head + i) % kAhead];
    if (BufferIsValid(a->buf)) ReleaseBuffer(a->buf);
    a->buf = InvalidBuffer;
  }
  st->tail_count = 0;
  if (st->tail_iter != nullptr) tbm_end_iterate(st->tail_iter);
  if (st->tail_pf_iter != nullptr) tbm_end_iterate(st->tail_pf_iter);
  if (st->tail_tbm != nullptr) tbm_free(st->tail_tbm);
  st->tail_iter = nullptr;
  st->tail_pf_iter = nullptr;
  st->tail_pf_done = true;
  st->tail_pfq_count = 0;
  st->tail_tbm = nullptr;
  if (st->tail_cur != nullptr && st->tail_bitmap) ExecClearTuple(((ScanState*)st->tail_cur)->ss_ScanTupleSlot);
}

// Pages read ahead. The per-page cost of a bitmap heap scan whose pages hold a row or two each is
// memory latency (the bitmap's entry, the buffer mapping, the buffer header, the page's header, line
// pointer and tuple, each a cache miss), so the node reads kAhead pages ahead of the one it
// aggregates: a page entering the ring is pinned and its header and listed line pointers
// prefetched; the next page to aggregate is prepared one step ahead (locked once, all-visible
// checked, its tuples' offsets listed, their data prefetched) while the current one is aggregated.

// Prefetches the bitmap's pages up to tail_pf_max beyond the last one taken into the ring (the
// pages of the ring are pinned, that is read, as they enter it), as BitmapHeapScan prefetches:
// the kernel reads them while the node aggregates the ring's. A page already in shared buffers
// costs a buffer mapping lookup (which ReadRecentBuffer then saves, in part): while they all are,
// only a sample of the pages is looked up (kPrefetchHits).
void tail_prefetch(RowAggState* st, HeapScanDesc hs) {
  if (st->tail_pf_done) return;
  const int64 target = st->tail_pages_in + st->tail_pf_max;
  int64 pages = st->tail_pf_pages;
  int count = st->tail_pfq_count;
  while (pages < target && count < kPrefetchQueue) {
    BlockNumber block;
    if (st->tail_pf_iter != nullptr) {
      const TBMIterateResult* r = tbm_iterate(st->tail_pf_iter);
      if (r == nullptr) {
        st->tail_pf_done = true;
        break;
      }
      block = r->blockno;
    } else {
      const uint64* t = st->tail_tids;
      const int64 n = st->tail_ntids;
      int64 pos = st->tail_pf_pos;
      if (pos >= n) {
        st->tail_pf_done = true;
        break;
      }
      const uint64 b = t[pos] >> 16;
      do ++pos;
      while (pos < n && (t[pos] >> 16) == b);
      st->tail_pf_pos = pos;
      block = (BlockNumber)b;
    }
    pages++;
    PrefetchedPage* q = &st->tail_pfq[(st->tail_pfq_head + count) & (kPrefetchQueue - 1)];
    q->block = block;
    q->recent = InvalidBuffer;
    if (block < hs->rs_nblocks && (st->tail_pf_hits < kPrefetchHits || pages % kPrefetchSample == 0)) {
      q->recent = PrefetchBuffer(hs->rs_base.rs_rd, MAIN_FORKNUM, block).recent_buffer;
      st->tail_pf_hits = BufferIsValid(q->recent) ? st->tail_pf_hits + 1 : 0;
    }
    count++;
  }
  st->tail_pf_pages = pages;
  st->tail_pfq_count = count;
}

// The buffer that prefetching found for the page `block` entering the ring, or InvalidBuffer. (The
// queue's pages come in the ring's order; a page split in two runs of TIDs is queued once.)
Buffer tail_prefetched(RowAggState* st, BlockNumber block) {
  if (st->tail_pfq_count == 0) return InvalidBuffer;
  const PrefetchedPage* q = &st->tail_pfq[st->tail_pfq_head];
  if (q->block != block) return InvalidBuffer;
  st->tail_pfq_head = (st->tail_pfq_head + 1) & (kPrefetchQueue - 1);
  st->tail_pfq_count--;
  return q->recent;
}

// Pins a new page of the ring (an exact page without recheck, when the node may read pages itself).
void ahead_read(RowAggState* st, HeapScanDesc hs, AheadPage* a) {
  st->tail_pages_in++;
  tail_prefetch(st, hs);
  const Buffer recent = tail_prefetched(st, a->r->blockno);
  const TBMIterateResult* r = a->r;
  a->buf = InvalidBuffer;
  a->prepared = false;
  a->am = r->ntuples < 0 || r->recheck || !st->tail_all_visible_ok;
  if (a->am) return;
  if (r->blockno >= hs->rs_nblocks) {  // added after the scan started (as the heap AM skips it)
    a->prepared = true;
    a->nlines = 0;
    return;
  }
  Relation rel = hs->rs_base.rs_rd;
  if (BufferIsValid(recent) && ReadRecentBuffer(rel->rd_node, MAIN_FORKNUM, r->blockno, recent)) {
    a->buf = recent;
    pgstat_count_buffer_read(rel);  // (as ReadBuffer counts a hit)
    pgstat_count_buffer_hit(rel);
  } else
    a->buf = ReadBuffer(rel, r->blockno);
  const char* page = (const char*)BufferGetPage(a->buf);
  __builtin_prefetch(page);
  for (int i = 0; i < r->ntuples && i < 4; ++i)
    __builtin_prefetch(page + offsetof(PageHeaderData, pd_linp) + (r->offsets[i] - 1) * sizeof(ItemIdData));
}

// Lists the visible tuples of a pinned page when it is all-visible (else it goes to the table AM),
// and prefetches their data.
void ahead_prepare(HeapScanDesc hs, AheadPage* a) {
  a->prepared = true;
  if (a->am || !BufferIsValid(a->buf)) return;
  const TBMIterateResult* r = a->r;
  Relation rel = hs->rs_base.rs_rd;
  LockBuffer(a->buf, BUFFER_LOCK_SHARE);
  const Page page = BufferGetPage(a->buf);
  if (!PageIsAllVisible(page)) {
    LockBuffer(a->buf, BUFFER_LOCK_UNLOCK);
    ReleaseBuffer(a->buf);
    a->buf = InvalidBuffer;
    a->am = true;
    return;
  }
  // (a normal line pointer's tuple is checked for being a chain's start when it is read)
  const int n =
      pg::heap_all_visible_lines(rel, a->buf, r->blockno, r->offsets, r->ntuples, hs->rs_base.rs_snapshot, a->lines);
  LockBuffer(a->buf, BUFFER_LOCK_UNLOCK);
  a->nlines = n;
  for (int i = 0; i < n && i < 4; ++i) {
    const char* t = (const char*)pg::heap_line_tuple(page, a->lines[i]);
    __builtin_prefetch(t);
    __builtin_prefetch(t + 64);
  }
}

// The page of `r` through the table AM (visibility per tuple, lossy pages), with the scan's
// recheck quals where the bitmap asks for them, as BitmapHeapNext reads it.
void bitmap_page_am(RowAggState* st, BitmapHeapScanState* bs, TBMIterateResult* r) {
  release_page(st);
  st->dindex = st->dcount = 0;
  TableScanDesc scan = bs->ss.ss_currentScanDesc;
  // (counted as BitmapHeapNext counts them, also a page past the scan's end)
  const bool valid = table_scan_bitmap_next_block(scan, r);
  if (r->ntuples >= 0)
    bs->exact_pages++;
  else
    bs->lossy_pages++;
  if (!valid) return;
  TupleTableSlot* slot = bs->ss.ss_ScanTupleSlot;
  ExprContext* econtext = bs->ss.ps.ps_ExprContext;
  while (table_scan_bitmap_next_tuple(scan, r, slot)) {
    if (r->recheck) {
      econtext->ecxt_scantuple = slot;
      if (!ExecQualAndReset(bs->bitmapqualorig, econtext)) continue;
    }
    slot_getsomeattrs(slot, st->maxpos);
    add_row(st, slot->tts_values, slot->tts_isnull);
  }
}

// Rows of the bitmap heap scan child into the groups until the table is full (true) or the
// child's bitmap is exhausted (false), a page at a time.
template <int NKEY>
bool bitmap_fill_n(RowAggState* st, BitmapHeapScanState* bs) {
  HeapScanDesc hs = (HeapScanDesc)bs->ss.ss_currentScanDesc;
  while (st->ngroups < kMaxHashGroups) {
    while (!st->tail_iter_done && st->tail_count < kAhead) {
      AheadPage* a = &st->tail_ahead[(st->tail_head + st->tail_count) % kAhead];
      if (st->tail_iter == nullptr) {
        if (!next_tid_page(st, a->r)) {
          st->tail_iter_done = true;
          break;
        }
      } else {
        const TBMIterateResult* r = tbm_iterate(st->tail_iter);
        if (r == nullptr) {
          st->tail_iter_done = true;
          break;
        }
        memcpy(a->r, r, offsetof(TBMIterateResult, offsets) + sizeof(OffsetNumber) * Max(r->ntuples, 0));
      }
      st->tail_count++;
      ahead_read(st, hs, a);
    }
    if (st->tail_count == 0) return false;
    CHECK_FOR_INTERRUPTS();
    AheadPage* a = &st->tail_ahead[st->tail_head];
    if (!a->prepared) ahead_prepare(hs, a);
    if (st->tail_count > 1) {
      AheadPage* next = &st->tail_ahead[(st->tail_head + 1) % kAhead];
      if (!next->prepared) ahead_prepare(hs, next);
    }
    st->tail_head = (st->tail_head + 1) % kAhead;
    st->tail_count--;
    if (a->am) {
      bitmap_page_am(st, bs, a->r);
      continue;
    }
    if (a->nlines > 0) {
      const Page page = BufferGetPage(a->buf);
      for (int i = 0; i < a->nlines; ++i) {
        const ItemId lp = PageGetItemId(page, a->lines[i] & ~pg::kHeapLineFound);
        const HeapTupleHeader t = (HeapTupleHeader)PageGetItem(page, lp);
        // (pg::heap_line_heads_chain, written out: that call here cost 1.5% more instructions in
        // callgrind on a bitmap tail, the loop around it compiled worse; read without the lock)
        if ((a->lines[i] & pg::kHeapLineFound) == 0 && HeapTupleHeaderIsHeapOnly(t)) continue;
        deform(st, t, ItemIdGetLength(lp));
        add_row_n<NKEY>(st, st->dvalues, st->disnull);
      }
    }
    bs->exact_pages++;  // (also one without visible tuples, as BitmapHeapNext counts it)
    if (BufferIsValid(a->buf)) ReleaseBuffer(a->buf);
    a->buf = InvalidBuffer;
  }
  return true;
}

bool bitmap_fill(RowAggState* st, BitmapHeapScanState* bs) {
  switch (st->nkey) {
    case 2:
      return bitmap_fill_n<2>(st, bs);
    case 3:
      return bitmap_fill_n<3>(st, bs);
    case 4:
      return bitmap_fill_n<4>(st, bs);
    default:
      return bitmap_fill_n<0>(st, bs);
  }
}

// Rows of the child `ps` pulled through its node until the table is full (true) or it is
// exhausted (false); the specs read the ChunkAppend's output positions.
bool pull_fill(RowAggState* st, PlanState* ps) {
  while (st->ngroups < kMaxHashGroups) {
    TupleTableSlot* slot = ExecProcNode(ps);
    if (TupIsNull(slot)) return false;
    if (st->maxpos > 0) slot_getsomeattrs(slot, st->maxpos);
    add_row(st, slot->tts_values, slot->tts_isnull);
  }
  return true;
}

void fill_tail(RowAggState* st) {
  Instrumentation* ainstr = st->child->instrument;
  if (st->tail_nchildren < 0) {
    st->tail_nchildren = chunk_append_nchildren(st->tail_append);
    // (the ChunkAppend counts as run even when its exclusion left it nothing to read)
    if (ainstr != nullptr) {
      InstrStartNode(ainstr);
      InstrStopNode(ainstr, 0);
    }
  }
  while (st->ngroups < kMaxHashGroups) {
    if (st->tail_cur == nullptr) {
      if (st->tail_next >= st->tail_nchildren) {
        st->child_done = true;
        return;
      }
      PlanState* ps = chunk_append_child(st->tail_append, st->tail_next++);
      if (ps == nullptr) continue;
      st->tail_cur = ps;
      // (the child's layout, its bitmap and the pages' ring live as long as the query)
      MemoryContext old = MemoryContextSwitchTo(st->css.ss.ps.state->es_query_cxt);
      st->tail_bitmap = bitmap_usable(st, ps);
      if (st->tail_bitmap) {
        // What ExecProcNode does before the node's instrumentation starts (ExecReScan ends the
        // node's loop, an error while its timer runs): a rescan for changed parameters.
        if (ps->chgParam != nullptr) ExecReScan(ps);
        // (the bitmap index scans run in bitmap_begin: their time and buffers count in the heap
        // scan's and the ChunkAppend's, as PostgreSQL's nodes count their children's)
        if (ainstr != nullptr) InstrStartNode(ainstr);
        if (ps->instrument != nullptr) InstrStartNode(ps->instrument);
        bitmap_begin(st, ps);
        st->tail_direct_reads++;
        if (ps->instrument != nullptr) InstrStopNode(ps->instrument, 0);
        if (ainstr != nullptr) InstrStopNode(ainstr, 0);
      } else {
        memcpy(st->pos, st->tail_pos, sizeof(int) * st->nspecs);
        st->maxpos = st->tail_maxpos;
        set_key_positions(st);
      }
      MemoryContextSwitchTo(old);
    }
    const int64 before = st->rows_in;
    Instrumentation* instr = st->tail_bitmap ? st->tail_cur->instrument : nullptr;
    if (ainstr != nullptr) InstrStartNode(ainstr);
    if (instr != nullptr) InstrStartNode(instr);
    const bool more =
        st->tail_bitmap ? bitmap_fill(st, (BitmapHeapScanState*)st->tail_cur) : pull_fill(st, st->tail_cur);
    if (instr != nullptr) InstrStopNode(instr, (double)(st->rows_in - before));
    if (ainstr != nullptr) InstrStopNode(ainstr, (double)(st->rows_in - before));
    if (!more) {
      bitmap_end(st);
      st->tail_cur = nullptr;
      st->tail_bitmap = false;
    }
  }
}

void tail_rescan(RowAggState* st) {
  bitmap_end(st);
  st->tail_nchildren = -1;
  st->tail_next = 0;
  st->tail_cur = nullptr;
  st->tail_bitmap = false;
  // At once, not at the ChunkAppend's next ExecProcNode, which the node's reads bypass.
  if (st->css.ss.ps.chgParam != nullptr) UpdateChangedParamSet(st->child, st->css.ss.ps.chgParam);
}

// The next group as a row of the scan slot, or false when all are emitted.
bool emit(RowAggState* st, TupleTableSlot* slot) {
  if (st->emit_next >= st->ngroups) return false;
  const int g = st->emit_next++;
  ExprContext* econtext = st->css.ss.ps.ps_ExprContext;
  ResetExprContext(econtext);
  MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
  ExecClearTuple(slot);
  const uint64* key = &st->gkeys[(size_t)g * st->nkey];
  const Acc* accs = st->count_only ? nullptr : &st->gacc[(size_t)g * st->nspecs];
  for (int s = 0; s < st->nspecs; ++s) {
    const SpecState* sp = &st->specs[s];
    if (sp->kind == kSpecAgg) {
      if (accs == nullptr) {  // count(*) only
        Acc a{};
        a.n = st->gcount[g];
        slot->tts_values[s] = partial_state(sp, &a, &slot->tts_isnull[s]);
      } else {
        slot->tts_values[s] = partial_state(sp, &accs[s], &slot->tts_isnull[s]);
      }
      continue;
    }
    const int k = st->spec_key[s];
    if ((key[0] >> k) & 1) {
      slot->tts_values[s] = (Datum)0;
      slot->tts_isnull[s] = true;
      continue;
    }
    slot->tts_isnull[s] = false;
    if (st->varlen[s]) {
      const Interned* it = &st->interns[k].items[key[k + 1]];
      struct varlena* v = (struct varlena*)palloc(it->len + VARHDRSZ);
      SET_VARSIZE(v, it->len + VARHDRSZ);
      memcpy(VARDATA(v), it->data, it->len);
      slot->tts_values[s] = PointerGetDatum(v);
    } else {
      slot->tts_values[s] = (Datum)key[k + 1];
    }
  }
  MemoryContextSwitchTo(old);
  ExecStoreVirtualTuple(slot);
  st->groups_out++;
  return true;
}

TupleTableSlot* rowagg_next(ScanState* node) {
  RowAggState* st = (RowAggState*)node;
  TupleTableSlot* slot = node->ss_ScanTupleSlot;
  for (;;) {
    if (st->emitting) {
      if (emit(st, slot)) return slot;
      st->emitting = false;
      hash_reset(st);
    }
    if (st->child_done) return ExecClearTuple(slot);
    CHECK_FOR_INTERRUPTS();
    if (st->dscan != nullptr)
      fill_direct(st);
    else if (st->tail_append != nullptr)
      fill_tail(st);
    else
      fill(st);
    st->emitting = true;
    st->emit_next = 0;
  }
}

bool rowagg_recheck(ScanState* node, TupleTableSlot* slot) { return true; }

TupleTableSlot* exec_rowagg(CustomScanState* node) {
  return ExecScan(&node->ss, (ExecScanAccessMtd)pg::guarded<rowagg_next>,
                  (ExecScanRecheckMtd)pg::guarded<rowagg_recheck>);
}

// The probe limit and constant width of the bucket, in the input type's units (see bucket_word).
void bucket_setup(RowAggState* st, const SpecState* sp, Oid result_type, Oid width_type) {
  st->bwidth = 0;
  st->bprobe_limit = 0;
  // Probing needs the bucket in the input's own type (the bucket's first value is the bucket).
  if (result_type != sp->typid) return;
  switch (sp->typid) {
    case INT2OID:
      st->bprobe_limit = (int64)1 << 12;
      break;
    case INT4OID:
      st->bprobe_limit = (int64)1 << 28;
      break;
    case DATEOID:
      st->bprobe_limit = (int64)1 << 26;
      break;
    default:
      st->bprobe_limit = (int64)1 << 58;
      break;
  }
  if (width_type == INTERVALOID) {
    const Interval* iv = DatumGetIntervalP(sp->width);
    if (iv->month != 0) return;
    if (sp->typid == DATEOID) {
      if (iv->time == 0 && iv->day > 0) st->bwidth = iv->day;
    } else if (sp->typid == TIMESTAMPOID || sp->typid == TIMESTAMPTZOID) {
      const __int128 w = (__int128)iv->day * USECS_PER_DAY + iv->time;
      if (w > 0 && w < ((__int128)1 << 58)) st->bwidth = (int64)w;
    }
  } else if (width_type == INT2OID || width_type == INT4OID || width_type == INT8OID) {
    const int64 w = int_of_datum(sp->width, width_type);
    if (w > 0) st->bwidth = w;
  }
}

// Whether the time column's type is one the direct scan checks per row: every time type
// (time_types.hpp: integers, date, timestamps), whose Datum as deform() reads it (fetch_att
// sign-extends) is the value as an int64.
bool row_checkable_time_type(Oid type) { return time_type_supported(type, nullptr); }

// Whether the direct scan can stand in for the child scan's quals, all of them bounds on its time
// column recorded by the plan (rowagg_exec.hpp, kRBounds): each bound evaluated now (the real-time
// tail's `time >= cagg_watermark(...)`). When the chunk's range satisfies every one, they are
// dropped (bounds_dropped); otherwise, for an integer, date or timestamp column, the direct scan
// checks each row's time against them (dcheck). False leaves them to the child's scan.
bool bounds_setup(RowAggState* st, int nquals) {
  CustomScan* cscan = (CustomScan*)st->css.ss.ps.plan;
  if (list_length(cscan->custom_private) < 3) return false;
  List* b = (List*)lthird(cscan->custom_private);
  const int first = list_nth_int(b, kRBoundsFirstExpr);
  const int n = list_nth_int(b, kRBoundsCount);
  const Oid type = (Oid)list_nth_int(b, kRBoundsTimeType);
  if (n != nquals || n <= 0) return false;
  const int64 start = DatumGetInt64(((Const*)list_nth(cscan->custom_exprs, first + n))->constvalue);
  const int64 end = DatumGetInt64(((Const*)list_nth(cscan->custom_exprs, first + n + 1))->constvalue);
  // The times every qual admits, [lo, hi] on the internal axis (has_lo, has_hi: bounded at all).
  int64 lo = PG_INT64_MIN;
  int64 hi = PG_INT64_MAX;
  bool has_lo = false;
  bool has_hi = false;
  // The same in the column's own values (a timestamp's Datum, whose epoch is not the axis's).
  const bool checkable = row_checkable_time_type(type);
  int64 rlo = PG_INT64_MIN;
  int64 rhi = PG_INT64_MAX;
  ExprContext* econtext = st->css.ss.ps.ps_ExprContext;
  for (int i = 0; i < n; ++i) {
    ExprState* es = ExecInitExpr((Expr*)list_nth(cscan->custom_exprs, first + i), &st->css.ss.ps);
    bool isnull = false;
    const Datum d = ExecEvalExprSwitchContext(es, econtext, &isnull);
    const int64 v = isnull ? 0 : time_datum_to_internal(d, type);
    const int64 r = isnull || !checkable ? 0 : int_of_datum(d, type);
    ResetExprContext(econtext);
    if (isnull) return false;
    switch (list_nth_int(b, kRBounds + i)) {
      case BTGreaterEqualStrategyNumber:
        lo = Max(lo, v);
        rlo = Max(rlo, r);
        has_lo = true;
        break;
      case BTGreaterStrategyNumber:
        if (v == PG_INT64_MAX || r == PG_INT64_MAX) return false;
        lo = Max(lo, v + 1);
        rlo = Max(rlo, r + 1);
        has_lo = true;
        break;
      case BTLessStrategyNumber:
        if (v == PG_INT64_MIN || r == PG_INT64_MIN) return false;
        hi = Min(hi, v - 1);
        rhi = Min(rhi, r - 1);
        has_hi = true;
        break;
      case BTLessEqualStrategyNumber:
        hi = Min(hi, v);
        rhi = Min(rhi, r);
        has_hi = true;
        break;
      default:
        return false;
    }
  }
  if ((!has_lo || (start != core::kOpenStart && start >= lo)) &&
      (!has_hi || (end != core::kOpenEnd && end - 1 <= hi))) {
    st->bounds_dropped = n;
    return true;
  }
  if (!checkable) return false;
  st->dcheck = true;
  st->dtime = list_nth_int(b, kRBoundsTimeAttno) - 1;
  st->dlo = rlo;
  st->dhi = rhi;
  return st->dtime >= 0;
}

// The layout of the direct reads of relation `desc` (the deform's arrays and offsets): the
// specs read attribute attnos[s] (0: none), maxatt the last.
void direct_layout(RowAggState* st, TupleDesc desc, const int* attnos, int maxatt) {
  // From here on the specs read attributes (values[attno - 1]) instead of the child's columns.
  for (int s = 0; s < st->nspecs; ++s) st->pos[s] = attnos[s];
  st->maxpos = maxatt;
  const int n = maxatt;
  st->ddesc = desc;
  st->dvalues = (Datum*)palloc0(sizeof(Datum) * n);
  st->disnull = (bool*)palloc0(sizeof(bool) * n);
  st->dneed = (bool*)palloc0(sizeof(bool) * n);
  st->doff = (int*)palloc(sizeof(int) * n);
  st->datt = (pg::AttStep*)palloc0(sizeof(pg::AttStep) * n);
  for (int s = 0; s < st->nspecs; ++s)
    if (st->pos[s] > 0) st->dneed[st->pos[s] - 1] = true;
  if (st->dcheck) st->dneed[st->dtime] = true;
  for (int a = 0; a < n; ++a) st->datt[a] = pg::att_step(TupleDescAttr(desc, a), st->dneed[a]);
  int off = 0;
  st->dprefix = 0;
  st->dprefix_end = 0;
  st->disnull_dirty = false;
  for (int a = 0; a < n; ++a) {
    const Form_pg_attribute att = TupleDescAttr(desc, a);
    if (off < 0 || att->attlen <= 0) {
      st->doff[a] = -1;
      off = -1;
      continue;
    }
    off = att_align_nominal(off, att->attalign);
    st->doff[a] = off;
    off += att->attlen;
    st->dprefix = a + 1;
    st->dprefix_end = (uint32)off;
  }
  st->dfixed = (int*)palloc0(sizeof(int) * n);
  st->dnfixed = 0;
  for (int a = 0; a < st->dprefix; ++a)
    if (st->dneed[a]) st->dfixed[st->dnfixed++] = a;
  st->dtail_varlena = true;
  for (int a = st->dprefix; a < n; ++a)
    if (TupleDescAttr(desc, a)->attlen != -1) st->dtail_varlena = false;
}

// Whether the node reads the heap itself instead of pulling the rows of its child (a SeqScan of a
// heap chunk without quals whose target list holds the columns read as plain Vars): page by page, the
// visible rows as heapgetpage() lists them, deforming only up to the last attribute it reads,
// with no slot per row. The child stays initialized (its relation opened and locked by the
// executor) but is never run; its instrumentation counts the rows read.
void direct_setup(RowAggState* st, EState* estate, int eflags) {
  Plan* plan = st->child->plan;
  if (!IsA(plan, SeqScan) || (plan->qual != NIL && !bounds_setup(st, list_length(plan->qual))) ||
      plan->parallel_aware || plan->initPlan != NIL || st->maxpos <= 0)
    return;
  // The attribute of each spec's input (a Var of the scanned relation in the child's target list).
  const Index scanrelid = ((Scan*)plan)->scanrelid;
  int* attnos = (int*)palloc0(sizeof(int) * (st->nspecs > 0 ? st->nspecs : 1));
  int maxatt = 0;
  for (int s = 0; s < st->nspecs; ++s) {
    const int p = st->pos[s];
    if (p == 0) continue;
    if (p > list_length(plan->targetlist)) return;
    const TargetEntry* tle = (TargetEntry*)list_nth(plan->targetlist, p - 1);
    const Var* v = (const Var*)tle->expr;
    if (v == nullptr || !IsA(v, Var) || v->varno != (int)scanrelid || v->varattno <= 0 || v->varlevelsup != 0) return;
    attnos[s] = v->varattno;
    maxatt = Max(maxatt, (int)v->varattno);
  }
  Relation rel = ((ScanState*)st->child)->ss_currentRelation;
  Snapshot snapshot = estate->es_snapshot;
  if (rel == nullptr || rel->rd_rel->relam != HEAP_TABLE_AM_OID || snapshot == nullptr || !IsMVCCSnapshot(snapshot))
    return;
  TupleDesc desc = RelationGetDescr(rel);
  if (st->dcheck) {  // (the time attribute is read too, for the quals' check per row)
    if (st->dtime >= desc->natts) return;
    const Form_pg_attribute ta = TupleDescAttr(desc, st->dtime);
    if (ta->attisdropped || !ta->attbyval || !row_checkable_time_type(ta->atttypid)) return;
    maxatt = Max(maxatt, st->dtime + 1);
  }
  if (maxatt <= 0 || maxatt > desc->natts) return;
  direct_layout(st, desc, attnos, maxatt);
  st->direct = true;
  if ((eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0) return;
  // No synchronized scan (the node reads the blocks in order from the first); the bulk-read
  // buffer strategy as a SeqScan would use it.
  st->dscan = table_beginscan_strat(rel, snapshot, 0, nullptr, true, false);
  if ((st->dscan->rs_flags & SO_ALLOW_PAGEMODE) == 0) {  // not an MVCC snapshot after all
    table_endscan(st->dscan);
    st->dscan = nullptr;
    st->direct = false;
    return;
  }
  st->dblock = 0;
  st->dend = ((HeapScanDesc)st->dscan)->rs_nblocks;
  st->dindex = st->dcount = 0;
  st->dbuf = InvalidBuffer;
}

void begin_rowagg(CustomScanState* node, EState* estate, int eflags) {
  RowAggState* st = (RowAggState*)node;
  CustomScan* cscan = (CustomScan*)node->ss.ps.plan;
  st->child = ExecInitNode((Plan*)linitial(cscan->custom_plans), estate, eflags);
  node->custom_ps = list_make1(st->child);
  List* meta = (List*)linitial(cscan->custom_private);
  List* specs = (List*)lsecond(cscan->custom_private);
  st->nspecs = linitial_int(meta);
  st->maxpos = lsecond_int(meta);
  const int n = st->nspecs > 0 ? st->nspecs : 1;
  st->specs = (SpecState*)palloc0(sizeof(SpecState) * n);
  st->pos = (int*)palloc0(sizeof(int) * n);
  st->varlen = (bool*)palloc0(sizeof(bool) * n);
  st->key_spec = (int*)palloc0(sizeof(int) * n);
  st->spec_key = (int*)palloc0(sizeof(int) * n);
  st->bucket = -1;
  st->nkeycols = 0;
  for (int s = 0; s < st->nspecs; ++s) {
    SpecState* sp = &st->specs[s];
    const int base = s * kRSpecFields;
    sp->kind = list_nth_int(specs, base + kRSpecKind);
    sp->agg = list_nth_int(specs, base + kRSpecAggKind);
    sp->typid = (Oid)list_nth_int(specs, base + kRSpecTypid);
    st->pos[s] = list_nth_int(specs, base + kRSpecPos);
    st->varlen[s] = list_nth_int(specs, base + kRSpecVarlen) != 0;
    sp->is_float = sp->kind == kSpecAgg && (sp->typid == FLOAT4OID || sp->typid == FLOAT8OID) &&
                   (sp->agg == kMin || sp->agg == kMax);
    if (OidIsValid(sp->typid)) get_typlenbyval(sp->typid, &sp->typlen, &sp->typbyval);
    st->spec_key[s] = -1;
    if (sp->kind != kSpecAgg) {
      st->spec_key[s] = st->nkeycols;
      st->key_spec[st->nkeycols++] = s;
    }
    if (sp->kind == kSpecBucket) {
      st->bucket = s;
      fmgr_info((Oid)list_nth_int(specs, base + kRSpecFunc), &sp->fn);
      const int first = list_nth_int(specs, base + kRSpecFirstConst);
      sp->nconsts = list_nth_int(specs, base + kRSpecNConsts);
      Const* w = (Const*)list_nth(cscan->custom_exprs, first);
      sp->width = w->constvalue;
      if (sp->nconsts == 2) sp->origin = ((Const*)list_nth(cscan->custom_exprs, first + 1))->constvalue;
      bucket_setup(st, sp, (Oid)list_nth_int(specs, base + kRSpecResultType), w->consttype);
    }
  }
  st->nkey = 1 + st->nkeycols;
  st->agg_spec = (int*)palloc0(sizeof(int) * n);
  st->naggs = 0;
  st->count_only = true;
  for (int s = 0; s < st->nspecs; ++s) {
    if (st->specs[s].kind != kSpecAgg) continue;
    st->agg_spec[st->naggs++] = s;
    if (st->specs[s].agg != kCountStar) st->count_only = false;
  }
  st->bvalid = false;
  st->hash_cxt = AllocSetContextCreate(CurrentMemoryContext, "RowstoreAggregate groups", ALLOCSET_DEFAULT_SIZES);
  st->detoast_cxt = AllocSetContextCreate(CurrentMemoryContext, "RowstoreAggregate detoast", ALLOCSET_SMALL_SIZES);
  hash_reset(st);
  st->child_done = false;
  st->emitting = false;
  st->dscan = nullptr;
  st->direct = false;
  st->bounds_dropped = 0;
  st->dcheck = false;
  st->parallel = cscan->scan.plan.parallel_aware;
  st->shared = nullptr;
  st->serial_checked = false;
  // (a parallel-aware node was planned for the direct scan: it reads the heap itself whatever the
  // setting says by now)
  if (guc_rowstore_agg_direct_scan || st->parallel) direct_setup(st, estate, eflags);
  tail_setup(st, estate, eflags);
  // The grouping columns' kinds and input positions (after direct_setup, which renumbers them).
  st->kkind = (uint8*)palloc0(n);
  st->kpos = (int*)palloc0(sizeof(int) * n);
  for (int k = 0; k < st->nkeycols; ++k) {
    const int s = st->key_spec[k];
    st->kkind[k] = st->specs[s].kind == kSpecBucket ? kKeyBucket : st->varlen[s] ? kKeyVarlen : kKeyByval;
    st->kpos[k] = st->pos[s] - 1;
  }
}

void end_rowagg(CustomScanState* node) {
  RowAggState* st = (RowAggState*)node;
  if (st->tail_append != nullptr) bitmap_end(st);
  release_page(st);
  if (st->dscan != nullptr) table_endscan(st->dscan);
  st->dscan = nullptr;
  ExecEndNode(st->child);
}

void rescan_rowagg(CustomScanState* node) {
  RowAggState* st = (RowAggState*)node;
  hash_reset(st);
  st->child_done = false;
  st->emitting = false;
  st->bvalid = false;
  if (st->dscan != nullptr) {
    release_page(st);
    table_rescan(st->dscan, nullptr);
    st->dblock = 0;
    st->dend = st->shared != nullptr ? 0 : ((HeapScanDesc)st->dscan)->rs_nblocks;
    st->dindex = st->dcount = 0;
  }
  st->serial_checked = false;
  if (st->tail_append != nullptr) tail_rescan(st);
  ExecReScan(st->child);
}

// Parallel query (RowAggShared): the leader sets the shared state up after its own start, so
// that the number of blocks is its scan's; every participant then claims its blocks from it.
Size estimate_dsm_rowagg(CustomScanState* node, ParallelContext* pcxt) { return MAXALIGN(sizeof(RowAggShared)); }

void attach_shared(RowAggState* st, RowAggShared* shared) {
  st->shared = shared;
  st->dblock = st->dend = 0;  // nothing claimed yet
  st->serial_checked = false;
}

// Also on a rescan of the Gather (the workers are gone; the block count is the rescanned scan's).
void initialize_dsm_rowagg(CustomScanState* node, ParallelContext* pcxt, void* coordinate) {
  RowAggState* st = (RowAggState*)node;
  RowAggShared* shared = (RowAggShared*)coordinate;
  pg_atomic_init_u32(&shared->next, 0);
  pg_atomic_init_u32(&shared->workers, 0);
  pg_atomic_init_u32(&shared->serial, 0);
  shared->nblocks = st->dscan != nullptr ? ((HeapScanDesc)st->dscan)->rs_nblocks : 0;
  attach_shared(st, shared);
}

void initialize_worker_rowagg(CustomScanState* node, shm_toc* toc, void* coordinate) {
  RowAggShared* shared = (RowAggShared*)coordinate;
  attach_shared((RowAggState*)node, shared);
  pg_atomic_fetch_add_u32(&shared->workers, 1);
}

// Whether one of the ChunkAppend's children is a bitmap heap scan the node may read itself (the
// plan's side of bitmap_usable).
bool tail_has_bitmap_child(RowAggState* st) {
  ListCell* lc;
  foreach (lc, ((CustomScan*)st->child->plan)->custom_plans) {
    const Plan* p = (const Plan*)lfirst(lc);
    if (IsA(p, BitmapHeapScan) && p->qual == NIL && !p->parallel_aware && p->initPlan == NIL) return true;
  }
  return false;
}

void explain_rowagg(CustomScanState* node, List* ancestors, ExplainState* es) {
  RowAggState* st = (RowAggState*)node;
  ExplainPropertyText("Grouped By", st->nkeycols == 0 ? "nothing" : "hashed row values", es);
  if (st->direct) ExplainPropertyText("Heap Pages", "read directly", es);
  if (st->tail_append != nullptr && tail_has_bitmap_child(st))
    ExplainPropertyText("Bitmap Heap Scans", "read directly", es);
  if (st->direct && st->bounds_dropped > 0)
    ExplainPropertyText("Time Filter", "dropped (the chunk's range satisfies it)", es);
  if (st->direct && st->dcheck) ExplainPropertyText("Time Filter", "the time column checked per row", es);
  if (!es->analyze) return;
  ExplainPropertyInteger("Rows Aggregated", nullptr, st->rows_in, es);
  ExplainPropertyInteger("Partial Groups", nullptr, st->groups_out, es);
  if (st->tail_append != nullptr) {
    ExplainPropertyInteger("Bitmap Heap Scans Read Directly", nullptr, st->tail_direct_reads, es);
    ExplainPropertyInteger("Bitmap Heap Scans Read From TID Lists", nullptr, st->tail_tid_lists, es);
  }
}

const CustomExecMethods exec_methods = {
    "RowstoreAggregate",
    pg::guarded<begin_rowagg>,
    pg::guarded<exec_rowagg>,
    pg::guarded<end_rowagg>,
    pg::guarded<rescan_rowagg>,
    nullptr,
    nullptr,
    pg::guarded<estimate_dsm_rowagg>,
    pg::guarded<initialize_dsm_rowagg>,
    pg::guarded<initialize_dsm_rowagg>,
    pg::guarded<initialize_worker_rowagg>,
    nullptr,
    pg::guarded<explain_rowagg>,
};

Node* create_state(CustomScan* cscan) {
  auto* st = (RowAggState*)newNode(sizeof(RowAggState), T_CustomScanState);
  st->css.methods = &exec_methods;
  return (Node*)st;
}

}  // namespace

}  // namespace strata::columnstore::rowaggexec

namespace strata::columnstore {

const CustomScanMethods rowagg_scan_methods = {
    "RowstoreAggregate",
    pg::guarded<rowaggexec::create_state>,
};

}  // namespace strata::columnstore
