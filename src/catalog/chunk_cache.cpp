// The per-backend chunk cache. For each hypertable: its known chunks (id, range, status, names and
// a lazily resolved relid) in an array sorted by range start (then by hash slice: the chunks of a
// hypertable with a hash dimension share time ranges, which are either equal or disjoint, so range
// ends are sorted too), and the intervals of the internal time axis the array is known to cover
// completely. Lookups by time are binary searches once their
// interval is covered; lookups by relid and id go through two hash tables of known answers.
//
// Loading. A lookup of an interval the cache does not cover reads just the chunks overlapping it
// through the (hypertable_id, range_start) index (as a catalog lookup without a cache would) and
// merges them in. After kMaxPartialLoads such reads, or for a lookup of the whole axis, the whole
// set is read once and the hypertable is covered for good. So the first query of a session on a
// hypertable with thousands of chunks touches only the catalog pages it needs (in a fresh backend,
// touching a shared buffer page for the first time costs a page fault), and later queries cost a
// binary search and the copies they return.
//
// Validity. Every catalog write sends a relcache invalidation of _strata_catalog.hypertable, whose
// callback calls chunk_cache_reset: the cache context is reset and `generation` bumped. Each lookup
// first processes pending invalidations (AcceptInvalidationMessages, a few instructions when there
// are none), so a statement sees the chunks that other sessions' committed transactions created
// or dropped, as a fresh catalog scan would. Reading the catalog may process invalidations itself:
// rows are read into temporary memory, and merged (or, for a whole-set load, the new context moved
// under the cache context) only if `generation` did not change meanwhile; otherwise the read is
// thrown away and done again. So an invalidation during a load never leaves stale rows behind, and
// an error during a load leaks nothing into CacheMemoryContext.
//
// Relids. Resolving thousands of chunk names (two syscache lookups each, each a pg_class index scan
// the first time in a session) would make the first query of a session on a big hypertable slow,
// so a chunk's relid is resolved when a lookup first returns that chunk, and kept with the
// `relid_epoch` it was resolved in. Any relation-specific relcache invalidation bumps the epoch,
// so a rename or drop that did not go through the catalog cannot leave a wrong relid cached.
#include "catalog/chunks.hpp"
#include "core/time/chunk_range.hpp"

extern "C" {
#include "utils/hsearch.h"
#include "utils/inval.h"
}

namespace strata {

namespace {

constexpr int kMaxPartialLoads = 8;

struct CachedChunk {
  int64 range_start;
  int64 range_end;
  int64 space_start;
  int64 space_end;
  int32 id;
  int32 status;
  Oid relid;           // valid when relid_epoch == the current epoch
  uint32 relid_epoch;  // 0: not resolved
  uint32 schema_off;   // offsets of the names in the owner's name buffer
  uint32 table_off;
};

// Closed interval of the internal axis.
struct Interval {
  int64 lo;
  int64 hi;
};

// A growable array of chunks with their names, in some memory context.
struct ChunkArray {
  MemoryContext cxt;
  CachedChunk* chunks;
  int n;
  int capacity;
  char* names;
  uint32 names_len;
  uint32 names_capacity;
};

struct ChunkSet {
  int32 hypertable_id;  // hash key
  MemoryContext cxt;    // holds everything below
  ChunkArray known;     // sorted by (range_start, space_start); ranges are equal or disjoint
  Interval* covered;    // sorted, disjoint: every chunk overlapping them is in `known`
  int ncovered;
  int partial_loads;
};

struct RelidEntry {
  Oid relid;  // hash key
  bool is_chunk;
  int32 chunk_id;
};

struct IdEntry {
  int32 chunk_id;  // hash key
  bool exists;
  int32 hypertable_id;
  int64 range_start;
  int64 space_start;
};

MemoryContext cache_cxt = nullptr;
HTAB* sets = nullptr;    // hypertable id -> ChunkSet
HTAB* relids = nullptr;  // relid -> RelidEntry
HTAB* ids = nullptr;     // chunk id -> IdEntry
uint64 generation = 0;
uint32 relid_epoch = 1;
// The set get_set returned last (an INSERT's statements look up one hypertable again and again);
// sets are dropped only by chunk_cache_reset, which clears this.
ChunkSet* last_set = nullptr;

void ensure_tables() {
  if (sets != nullptr) return;
  if (cache_cxt == nullptr)
    cache_cxt = AllocSetContextCreate(CacheMemoryContext, "strata chunk cache", ALLOCSET_SMALL_SIZES);
  HASHCTL ctl;
  memset(&ctl, 0, sizeof ctl);
  ctl.hcxt = cache_cxt;
  ctl.keysize = sizeof(int32);
  ctl.entrysize = sizeof(ChunkSet);
  sets = hash_create("strata chunk sets", 16, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
  ctl.keysize = sizeof(Oid);
  ctl.entrysize = sizeof(RelidEntry);
  relids = hash_create("strata chunk relids", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
  ctl.keysize = sizeof(int32);
  ctl.entrysize = sizeof(IdEntry);
  ids = hash_create("strata chunk ids", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

// Processes pending invalidations (so the cache reflects every commit whose invalidation has
// arrived) and makes sure the hash tables exist.
void begin_lookup() {
  AcceptInvalidationMessages();
  ensure_tables();
}

ChunkSet* get_set(int32 hypertable_id) {
  if (last_set != nullptr && last_set->hypertable_id == hypertable_id) return last_set;
  bool found;
  auto* set = static_cast<ChunkSet*>(hash_search(sets, &hypertable_id, HASH_ENTER, &found));
  if (!found) {
    set->cxt = AllocSetContextCreate(cache_cxt, "strata chunk set", ALLOCSET_SMALL_SIZES);
    memset(&set->known, 0, sizeof set->known);
    set->known.cxt = set->cxt;
    set->covered = nullptr;
    set->ncovered = 0;
    set->partial_loads = 0;
  }
  last_set = set;
  return set;
}

// ---- arrays -------------------------------------------------------------------------------------

void* grow(MemoryContext cxt, void* p, Size size) {
  return p == nullptr ? MemoryContextAlloc(cxt, size) : repalloc(p, size);
}

uint32 add_name(ChunkArray* a, const char* name) {
  const uint32 len = static_cast<uint32>(strlen(name)) + 1;
  if (a->names_len + len > a->names_capacity) {
    const uint32 cap = Max(Max(a->names_capacity * 2, a->names_len + len), 256u);
    a->names = static_cast<char*>(grow(a->cxt, a->names, cap));
    a->names_capacity = cap;
  }
  const uint32 off = a->names_len;
  memcpy(a->names + off, name, len);
  a->names_len += len;
  return off;
}

// Appends a chunk; `names` is the buffer its offsets refer to (nullptr: the array's own).
CachedChunk* append(ChunkArray* a, const CachedChunk* c, const char* schema, const char* table) {
  if (a->n == a->capacity) {
    a->capacity = Max(a->capacity * 2, 8);
    a->chunks = static_cast<CachedChunk*>(grow(a->cxt, a->chunks, sizeof(CachedChunk) * a->capacity));
  }
  CachedChunk* out = &a->chunks[a->n++];
  *out = *c;
  out->schema_off = add_name(a, schema);
  out->table_off = add_name(a, table);
  return out;
}

bool collect_row(const ChunkRow* row, void* arg) {
  CachedChunk c{row->range_start, row->range_end, row->space_start, row->space_end, row->id, row->status,
                InvalidOid, 0, 0, 0};
  append(static_cast<ChunkArray*>(arg), &c, row->schema_name, row->table_name);
  return true;
}

bool overlaps(const CachedChunk* c, int64 lo, int64 hi) {
  return c->range_start <= hi && (c->range_end == core::kOpenEnd || c->range_end > lo);
}

// The last point of a chunk's range.
int64 range_last(const CachedChunk* c) {
  return c->range_end == core::kOpenEnd ? PG_INT64_MAX : c->range_end - 1;
}

// Chunk order in the arrays: by range start, then by hash slice.
bool before(const CachedChunk* a, const CachedChunk* b) {
  return a->range_start < b->range_start || (a->range_start == b->range_start && a->space_start < b->space_start);
}

// Merges `rows` (ascending, from one catalog read) into the set: known chunks that overlap the
// region the read was authoritative for ([lo, hi] widened to the rows' ranges, and the hash slice
// [slo, shi)) are replaced.
void merge(ChunkSet* set, const ChunkArray* rows, int64 lo, int64 hi, int64 slo = 0, int64 shi = kHashAxisEnd) {
  if (rows->n > 0) {
    lo = Min(lo, rows->chunks[0].range_start);
    hi = Max(hi, range_last(&rows->chunks[rows->n - 1]));
  }
  ChunkArray* known = &set->known;
  CachedChunk* old = known->chunks;
  const int nold = known->n;
  known->chunks = nullptr;
  known->n = known->capacity = 0;
  int i = 0, j = 0;
  while (i < nold || j < rows->n) {
    if (i < nold && overlaps(&old[i], lo, hi) && old[i].space_start < shi && old[i].space_end > slo) {
      // replaced by what the read found
      ++i;
      continue;
    }
    if (j == rows->n || (i < nold && before(&old[i], &rows->chunks[j]))) {
      // Names stay where they are in the set's buffer: re-append the offsets unchanged.
      if (known->n == known->capacity) {
        known->capacity = Max(known->capacity * 2, Max(nold + rows->n, 8));
        known->chunks = static_cast<CachedChunk*>(grow(known->cxt, known->chunks, sizeof(CachedChunk) * known->capacity));
      }
      known->chunks[known->n++] = old[i++];
    } else {
      const CachedChunk* r = &rows->chunks[j++];
      append(known, r, rows->names + r->schema_off, rows->names + r->table_off);
    }
  }
  if (old != nullptr) pfree(old);
}

// ---- coverage -----------------------------------------------------------------------------------

bool is_covered(const ChunkSet* set, int64 lo, int64 hi) {
  int a = 0, b = set->ncovered - 1;  // the last interval starting at or before lo
  int found = -1;
  while (a <= b) {
    const int mid = a + (b - a) / 2;
    if (set->covered[mid].lo <= lo) {
      found = mid;
      a = mid + 1;
    } else {
      b = mid - 1;
    }
  }
  return found >= 0 && set->covered[found].hi >= hi;
}

void add_covered(ChunkSet* set, int64 lo, int64 hi) {
  auto* out = static_cast<Interval*>(MemoryContextAlloc(set->cxt, sizeof(Interval) * (set->ncovered + 1)));
  int n = 0;
  bool placed = false;
  auto push = [&](Interval iv) {
    // Coalesce with the previous interval when they overlap or touch.
    if (n > 0 && (out[n - 1].hi == PG_INT64_MAX || iv.lo <= out[n - 1].hi + 1)) {
      out[n - 1].hi = Max(out[n - 1].hi, iv.hi);
    } else {
      out[n++] = iv;
    }
  };
  for (int i = 0; i < set->ncovered; ++i) {
    if (!placed && lo < set->covered[i].lo) {
      push(Interval{lo, hi});
      placed = true;
    }
    push(set->covered[i]);
  }
  if (!placed) push(Interval{lo, hi});
  if (set->covered != nullptr) pfree(set->covered);
  set->covered = out;
  set->ncovered = n;
}

struct PartialRead {
  ChunkArray* rows;
  int64 lo;
};

// Backward from the last chunk starting at or before hi, while chunks overlap lo.
bool collect_overlapping(const ChunkRow* row, void* arg) {
  auto* pr = static_cast<PartialRead*>(arg);
  if (row->range_end != core::kOpenEnd && row->range_end <= pr->lo) return false;
  return collect_row(row, pr->rows);
}

// The hypertable's set with [lo, hi] covered, reading the catalog as needed. The pointer is valid
// until the next call that may process invalidations (a catalog or syscache access).
ChunkSet* covered_set(int32 hypertable_id, int64 lo, int64 hi) {
  for (;;) {
    ensure_tables();
    ChunkSet* set = get_set(hypertable_id);
    if (is_covered(set, lo, hi)) return set;
    const uint64 gen = generation;
    const bool whole = (lo == PG_INT64_MIN && hi == PG_INT64_MAX) || set->partial_loads >= kMaxPartialLoads;
    MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "strata chunk set", ALLOCSET_SMALL_SIZES);
    ChunkArray rows;
    memset(&rows, 0, sizeof rows);
    rows.cxt = cxt;
    if (whole) {
      catalog_scan_chunks_of(hypertable_id, PG_INT64_MAX, false, collect_row, &rows);
    } else {
      PartialRead pr{&rows, lo};
      catalog_scan_chunks_of(hypertable_id, hi, true, collect_overlapping, &pr);
      // Read newest first: make it ascending.
      for (int a = 0, b = rows.n - 1; a < b; ++a, --b) {
        const CachedChunk t = rows.chunks[a];
        rows.chunks[a] = rows.chunks[b];
        rows.chunks[b] = t;
      }
    }
    if (gen != generation) {  // invalidated while reading: what we read may be stale
      MemoryContextDelete(cxt);
      continue;
    }
    set = get_set(hypertable_id);  // (the same entry: nothing was reset)
    if (whole) {
      MemoryContextDelete(set->cxt);
      MemoryContextSetParent(cxt, cache_cxt);
      set->cxt = cxt;
      set->known = rows;
      set->covered = static_cast<Interval*>(MemoryContextAlloc(cxt, sizeof(Interval)));
      set->covered[0] = Interval{PG_INT64_MIN, PG_INT64_MAX};
      set->ncovered = 1;
    } else {
      merge(set, &rows, lo, hi);
      add_covered(set, lo, hi);
      ++set->partial_loads;
      MemoryContextDelete(cxt);
    }
    return set;
  }
}

// ---- searching ----------------------------------------------------------------------------------

// The position of the last chunk starting at or before v, or -1.
int last_starting_at_or_before(const ChunkSet* set, int64 v) {
  int lo = 0, hi = set->known.n;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (set->known.chunks[mid].range_start <= v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo - 1;
}

// The position of the chunk starting at `range_start` in hash slice `space_start`, or -1.
int position_of(const ChunkSet* set, int64 range_start, int64 space_start) {
  int lo = 0, hi = set->known.n - 1;
  while (lo <= hi) {
    const int mid = lo + (hi - lo) / 2;
    const CachedChunk* c = &set->known.chunks[mid];
    if (c->range_start == range_start && c->space_start == space_start) return mid;
    if (c->range_start < range_start || (c->range_start == range_start && c->space_start < space_start))
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

// The position of the first chunk ending after v (ranges are equal or disjoint, so ends are
// sorted too).
int first_ending_after(const ChunkSet* set, int64 v) {
  int lo = 0, hi = set->known.n;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (overlaps(&set->known.chunks[mid], v, PG_INT64_MAX))
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

// ---- results ------------------------------------------------------------------------------------

// Copies chunk `pos` of the set into *out; false when its relid still has to be resolved.
bool copy_out(const ChunkSet* set, int pos, ChunkInfo* out) {
  const CachedChunk* c = &set->known.chunks[pos];
  out->id = c->id;
  out->hypertable_id = set->hypertable_id;
  namestrcpy(&out->schema_name, set->known.names + c->schema_off);
  namestrcpy(&out->table_name, set->known.names + c->table_off);
  out->range_start = c->range_start;
  out->range_end = c->range_end;
  out->status = c->status;
  out->space_start = c->space_start;
  out->space_end = c->space_end;
  const bool resolved = c->relid_epoch == relid_epoch;
  out->relid = resolved ? c->relid : InvalidOid;
  return resolved;
}

// Resolves the relids of the copied chunks out[i] that need it, and records them in the cache
// unless it was reset meanwhile (name lookups may process invalidations).
void resolve_relids(int32 hypertable_id, ChunkInfo* out, const bool* resolved, int n) {
  const uint64 gen = generation;
  const uint32 epoch = relid_epoch;
  bool any = false;
  for (int i = 0; i < n; ++i) {
    if (resolved[i]) continue;
    const Oid nsp = get_namespace_oid(NameStr(out[i].schema_name), true);
    out[i].relid = OidIsValid(nsp) ? get_relname_relid(NameStr(out[i].table_name), nsp) : InvalidOid;
    any = true;
  }
  if (!any || gen != generation) return;
  bool found;
  auto* set = static_cast<ChunkSet*>(hash_search(sets, &hypertable_id, HASH_FIND, &found));
  if (!found) return;
  for (int i = 0; i < n; ++i) {
    if (resolved[i] || !OidIsValid(out[i].relid)) continue;  // a missing table is looked up again
    const int pos = position_of(set, out[i].range_start, out[i].space_start);
    if (pos < 0 || set->known.chunks[pos].id != out[i].id) continue;
    set->known.chunks[pos].relid = out[i].relid;
    set->known.chunks[pos].relid_epoch = epoch;
  }
}

// Copies positions [first, last] of the set (ascending or descending) into a List of ChunkInfo*
// backed by one array.
List* copy_range(ChunkSet* set, int first, int last, bool ascending) {
  const int n = last - first + 1;
  if (n <= 0) return NIL;
  auto* out = static_cast<ChunkInfo*>(palloc(sizeof(ChunkInfo) * n));
  bool* resolved = static_cast<bool*>(palloc(sizeof(bool) * n));
  for (int i = 0; i < n; ++i) resolved[i] = copy_out(set, ascending ? first + i : last - i, &out[i]);
  resolve_relids(set->hypertable_id, out, resolved, n);  // `set` may be gone after this
  List* result = NIL;
  for (int i = 0; i < n; ++i) result = lappend(result, &out[i]);
  pfree(resolved);
  return result;
}

void copy_one(ChunkSet* set, int pos, ChunkInfo* out) {
  const bool resolved = copy_out(set, pos, out);
  if (!resolved) resolve_relids(set->hypertable_id, out, &resolved, 1);
}

// ---- lookups by id and relid ---------------------------------------------------------------------

// Reads one chunk row (by id or name) into temporary memory; learns it if the cache was not reset
// meanwhile. Returns false if it must be read again (reset); *exists says whether there is a row.
struct OneRead {
  ChunkArray rows;
  int32 hypertable_id;
};

bool collect_one(const ChunkRow* row, void* arg) {
  auto* one = static_cast<OneRead*>(arg);
  one->hypertable_id = row->hypertable_id;
  collect_row(row, &one->rows);
  return false;
}

// Records a chunk row read by id or name: in its hypertable's set (not as coverage) and in the id
// table. Nothing in here processes invalidations.
void learn_row(const OneRead* one) {
  const CachedChunk* c = &one->rows.chunks[0];
  merge(get_set(one->hypertable_id), &one->rows, c->range_start, range_last(c), c->space_start, c->space_end);
  bool found;
  auto* e = static_cast<IdEntry*>(hash_search(ids, &c->id, HASH_ENTER, &found));
  e->exists = true;
  e->hypertable_id = one->hypertable_id;
  e->range_start = c->range_start;
  e->space_start = c->space_start;
}

// The set position of a chunk known to the id table, or -1 (then the id entry is dropped).
int known_position(IdEntry* e, ChunkSet** set_out) {
  bool found;
  auto* set = static_cast<ChunkSet*>(hash_search(sets, &e->hypertable_id, HASH_FIND, &found));
  if (found) {
    const int pos = position_of(set, e->range_start, e->space_start);
    if (pos >= 0 && set->known.chunks[pos].id == e->chunk_id) {
      *set_out = set;
      return pos;
    }
  }
  // A later read replaced it: forget the entry (looked up again).
  const int32 id = e->chunk_id;
  hash_search(ids, &id, HASH_REMOVE, nullptr);
  return -1;
}

}  // namespace

void chunk_cache_reset() {
  if (cache_cxt != nullptr) MemoryContextReset(cache_cxt);
  sets = relids = ids = nullptr;
  last_set = nullptr;
  ++generation;
}

uint64 chunk_cache_generation() { return generation; }

uint32 chunk_relid_epoch() { return relid_epoch; }

void chunk_cache_relation_changed(Oid relid) {
  if (++relid_epoch == 0) relid_epoch = 1;
  if (relids != nullptr) hash_search(relids, &relid, HASH_REMOVE, nullptr);
}

bool chunk_find_by_value(const Hypertable* ht, int64 value, ChunkInfo* out, int64 hash) {
  begin_lookup();
  ChunkSet* set = covered_set(ht->id, value, value);
  // The chunks holding `value` are the last ones starting at or before it (one time range).
  for (int pos = last_starting_at_or_before(set, value); pos >= 0; --pos) {
    const CachedChunk* c = &set->known.chunks[pos];
    if (!overlaps(c, value, value)) return false;
    if (hash >= c->space_start && hash < c->space_end) {
      copy_one(set, pos, out);
      return true;
    }
  }
  return false;
}

List* chunk_list_overlapping(const Hypertable* ht, int64 lo, int64 hi, bool ascending) {
  if (lo > hi) return NIL;
  begin_lookup();
  ChunkSet* set = covered_set(ht->id, lo, hi);
  return copy_range(set, first_ending_after(set, lo), last_starting_at_or_before(set, hi), ascending);
}

List* chunk_list_all(const Hypertable* ht) {
  return chunk_list_overlapping(ht, PG_INT64_MIN, PG_INT64_MAX, true);
}

bool chunk_get_by_id(int32 id, ChunkInfo* out) {
  if (!extension_is_active()) return false;
  begin_lookup();
  for (;;) {
    ensure_tables();  // (again after a reset during the catalog read below: the tables are gone)
    bool found;
    auto* e = static_cast<IdEntry*>(hash_search(ids, &id, HASH_FIND, &found));
    if (!found) {
      const uint64 gen = generation;
      MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "strata chunk row", ALLOCSET_SMALL_SIZES);
      OneRead one;
      memset(&one, 0, sizeof one);
      one.rows.cxt = cxt;
      const bool exists = catalog_scan_chunk_by_id(id, collect_one, &one);
      if (gen != generation) {
        MemoryContextDelete(cxt);
        continue;
      }
      ensure_tables();
      if (exists) {
        learn_row(&one);
      } else {
        e = static_cast<IdEntry*>(hash_search(ids, &id, HASH_ENTER, &found));
        e->exists = false;
      }
      MemoryContextDelete(cxt);
      continue;
    }
    if (!e->exists) return false;
    ChunkSet* set;
    const int pos = known_position(e, &set);
    if (pos < 0) continue;
    copy_one(set, pos, out);
    return true;
  }
}

bool chunk_get_by_relid(Oid relid, ChunkInfo* out) {
  if (!OidIsValid(relid) || !extension_is_active()) return false;
  begin_lookup();
  for (;;) {
    ensure_tables();  // (again after a reset during the catalog read below: the tables are gone)
    bool found;
    auto* r = static_cast<RelidEntry*>(hash_search(relids, &relid, HASH_FIND, &found));
    if (!found) {
      const uint64 gen = generation;
      MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "strata chunk row", ALLOCSET_SMALL_SIZES);
      OneRead one;
      memset(&one, 0, sizeof one);
      one.rows.cxt = cxt;
      bool exists = false;
      char* relname = get_rel_name(relid);
      char* nspname = relname != nullptr ? get_namespace_name(get_rel_namespace(relid)) : nullptr;
      if (nspname != nullptr) exists = catalog_scan_chunk_by_name(nspname, relname, collect_one, &one);
      if (gen != generation) {
        MemoryContextDelete(cxt);
        continue;
      }
      ensure_tables();
      if (exists) learn_row(&one);
      r = static_cast<RelidEntry*>(hash_search(relids, &relid, HASH_ENTER, &found));
      r->is_chunk = exists;
      r->chunk_id = exists ? one.rows.chunks[0].id : 0;
      MemoryContextDelete(cxt);
    }
    if (!r->is_chunk) return false;
    const int32 chunk_id = r->chunk_id;
    auto* e = static_cast<IdEntry*>(hash_search(ids, &chunk_id, HASH_FIND, &found));
    ChunkSet* set;
    const int pos = found && e->exists ? known_position(e, &set) : -1;
    if (pos < 0) {  // forgotten meanwhile: read it again
      hash_search(relids, &relid, HASH_REMOVE, nullptr);
      continue;
    }
    copy_out(set, pos, out);
    // The lookup by name found this relation under the chunk's name: that is its relid.
    set->known.chunks[pos].relid = relid;
    set->known.chunks[pos].relid_epoch = relid_epoch;
    out->relid = relid;
    return true;
  }
}

}  // namespace strata
