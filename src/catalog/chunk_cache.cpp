// The per-backend chunk cache: for each hypertable, its chunks (id, range, status, names and a
// lazily resolved relid) in an array sorted by range start, loaded through the (hypertable_id,
// range_start) index on first use and dropped by every catalog invalidation. Lookups by time are
// binary searches; lookups by relid and by id go through two small hash tables of known answers.
//
// Validity. Every catalog write sends a relcache invalidation of _strata_catalog.hypertable, whose
// callback calls chunk_cache_reset: the cache context is reset and `generation` bumped. Each lookup
// first processes pending invalidations (AcceptInvalidationMessages, a few instructions when there
// are none), so a statement sees chunks that other sessions committed before it started, as a
// fresh catalog scan would. Loading scans the catalog, which may process invalidations itself: a
// set is built in a context of its own under the caller's context and only moved under the cache
// context if `generation` did not change meanwhile (otherwise it is thrown away and loaded again),
// so an invalidation during a load never leaves a stale array behind, and an error during a load
// leaks nothing into CacheMemoryContext.
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

struct CachedChunk {
  int64 range_start;
  int64 range_end;
  int32 id;
  int32 status;
  Oid relid;           // valid when relid_epoch == the current epoch
  uint32 relid_epoch;  // 0: never resolved
  uint32 schema_off;   // offsets of the names in ChunkSet::names
  uint32 table_off;
};

struct ChunkSet {
  int32 hypertable_id;  // hash key
  int n;
  CachedChunk* chunks;  // sorted by range_start; ranges do not overlap
  char* names;
  int* by_id;           // positions sorted by chunk id, built on the first lookup by id
  MemoryContext cxt;    // holds chunks, names and by_id
};

struct RelidEntry {
  Oid relid;  // hash key
  bool is_chunk;
  int32 chunk_id;
  int32 hypertable_id;
};

struct IdEntry {
  int32 chunk_id;  // hash key
  int32 hypertable_id;  // 0 when there is no such chunk
};

MemoryContext cache_cxt = nullptr;
HTAB* sets = nullptr;    // hypertable id -> ChunkSet
HTAB* relids = nullptr;  // relid -> RelidEntry
HTAB* ids = nullptr;     // chunk id -> IdEntry
uint64 generation = 0;
uint32 relid_epoch = 1;

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

// Processes pending invalidations (so the cache reflects every commit that happened before now)
// and makes sure the hash tables exist.
void begin_lookup() {
  AcceptInvalidationMessages();
  ensure_tables();
}

// ---- loading ------------------------------------------------------------------------------------

struct Loader {
  MemoryContext cxt;
  CachedChunk* chunks;
  int n;
  int capacity;
  char* names;
  uint32 names_len;
  uint32 names_capacity;
};

uint32 add_name(Loader* ld, const char* name) {
  const uint32 len = static_cast<uint32>(strlen(name)) + 1;
  if (ld->names_len + len > ld->names_capacity) {
    uint32 cap = Max(ld->names_capacity * 2, ld->names_len + len);
    cap = Max(cap, 1024u);
    ld->names = ld->names == nullptr ? static_cast<char*>(MemoryContextAlloc(ld->cxt, cap))
                                     : static_cast<char*>(repalloc(ld->names, cap));
    ld->names_capacity = cap;
  }
  const uint32 off = ld->names_len;
  memcpy(ld->names + off, name, len);
  ld->names_len += len;
  return off;
}

void load_row(const ChunkRow* row, void* arg) {
  auto* ld = static_cast<Loader*>(arg);
  if (ld->n == ld->capacity) {
    const int cap = Max(ld->capacity * 2, 16);
    ld->chunks = ld->chunks == nullptr
                     ? static_cast<CachedChunk*>(MemoryContextAlloc(ld->cxt, sizeof(CachedChunk) * cap))
                     : static_cast<CachedChunk*>(repalloc(ld->chunks, sizeof(CachedChunk) * cap));
    ld->capacity = cap;
  }
  CachedChunk* c = &ld->chunks[ld->n++];
  c->range_start = row->range_start;
  c->range_end = row->range_end;
  c->id = row->id;
  c->status = row->status;
  c->relid = InvalidOid;
  c->relid_epoch = 0;
  c->schema_off = add_name(ld, row->schema_name);
  c->table_off = add_name(ld, row->table_name);
}

// The chunk set of a hypertable, loaded if needed. The pointer is valid until the next call that
// may process invalidations (a catalog or syscache access): compare `generation` to know.
ChunkSet* get_set(int32 hypertable_id) {
  for (;;) {
    ensure_tables();
    bool found;
    auto* set = static_cast<ChunkSet*>(hash_search(sets, &hypertable_id, HASH_FIND, &found));
    if (found) return set;

    const uint64 gen = generation;
    MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "strata chunk set", ALLOCSET_SMALL_SIZES);
    Loader ld;
    memset(&ld, 0, sizeof ld);
    ld.cxt = cxt;
    catalog_scan_chunks_of(hypertable_id, load_row, &ld);
    if (gen != generation) {  // invalidated while loading: what we read may be stale
      MemoryContextDelete(cxt);
      continue;
    }
    ensure_tables();
    MemoryContextSetParent(cxt, cache_cxt);
    set = static_cast<ChunkSet*>(hash_search(sets, &hypertable_id, HASH_ENTER, &found));
    set->n = ld.n;
    set->chunks = ld.chunks;
    set->names = ld.names;
    set->by_id = nullptr;
    set->cxt = cxt;
    return set;
  }
}

// ---- searching ----------------------------------------------------------------------------------

bool ends_after(const CachedChunk* c, int64 v) { return c->range_end == core::kOpenEnd || c->range_end > v; }

// The position of the last chunk starting at or before v, or -1.
int last_starting_at_or_before(const ChunkSet* set, int64 v) {
  int lo = 0, hi = set->n;  // answer + 1 is in [lo, hi]
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (set->chunks[mid].range_start <= v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo - 1;
}

// The position of the first chunk ending after v (ranges do not overlap, so ends are sorted too).
int first_ending_after(const ChunkSet* set, int64 v) {
  int lo = 0, hi = set->n;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (ends_after(&set->chunks[mid], v))
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

int compare_by_id(const void* a, const void* b, void* arg) {
  const auto* chunks = static_cast<const CachedChunk*>(arg);
  const int32 x = chunks[*static_cast<const int*>(a)].id, y = chunks[*static_cast<const int*>(b)].id;
  return x < y ? -1 : x > y ? 1 : 0;
}

int find_by_id(ChunkSet* set, int32 id) {
  if (set->by_id == nullptr && set->n > 0) {
    int* pos = static_cast<int*>(MemoryContextAlloc(set->cxt, sizeof(int) * set->n));
    for (int i = 0; i < set->n; ++i) pos[i] = i;
    qsort_arg(pos, set->n, sizeof(int), compare_by_id, set->chunks);
    set->by_id = pos;
  }
  int lo = 0, hi = set->n - 1;
  while (lo <= hi) {
    const int mid = lo + (hi - lo) / 2;
    const int32 have = set->chunks[set->by_id[mid]].id;
    if (have == id) return set->by_id[mid];
    if (have < id)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

// ---- results ------------------------------------------------------------------------------------

// Copies chunk `pos` of the set into *out; false when its relid still has to be resolved.
bool copy_out(const ChunkSet* set, int pos, ChunkInfo* out) {
  const CachedChunk* c = &set->chunks[pos];
  out->id = c->id;
  out->hypertable_id = set->hypertable_id;
  namestrcpy(&out->schema_name, set->names + c->schema_off);
  namestrcpy(&out->table_name, set->names + c->table_off);
  out->range_start = c->range_start;
  out->range_end = c->range_end;
  out->status = c->status;
  const bool resolved = c->relid_epoch == relid_epoch;
  out->relid = resolved ? c->relid : InvalidOid;
  return resolved;
}

// Resolves the relids of the copied chunks out[i] (from set positions pos[i]) that need it, and
// records them in the cache unless it was reset meanwhile (name lookups may process invalidations).
void resolve_relids(int32 hypertable_id, ChunkInfo* out, const int* pos, const bool* resolved, int n) {
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
    set->chunks[pos[i]].relid = out[i].relid;
    set->chunks[pos[i]].relid_epoch = epoch;
  }
}

// Copies positions [first, last] of the hypertable's set (ascending or descending) into a List of
// ChunkInfo* backed by one array.
List* copy_range(ChunkSet* set, int first, int last, bool ascending) {
  const int n = last - first + 1;
  if (n <= 0) return NIL;
  auto* out = static_cast<ChunkInfo*>(palloc(sizeof(ChunkInfo) * n));
  int* pos = static_cast<int*>(palloc(sizeof(int) * n));
  bool* resolved = static_cast<bool*>(palloc(sizeof(bool) * n));
  for (int i = 0; i < n; ++i) {
    pos[i] = ascending ? first + i : last - i;
    resolved[i] = copy_out(set, pos[i], &out[i]);
  }
  resolve_relids(set->hypertable_id, out, pos, resolved, n);  // `set` may be gone after this
  List* result = NIL;
  for (int i = 0; i < n; ++i) result = lappend(result, &out[i]);
  pfree(pos);
  pfree(resolved);
  return result;
}

bool copy_one(ChunkSet* set, int pos, ChunkInfo* out) {
  const bool resolved = copy_out(set, pos, out);
  resolve_relids(set->hypertable_id, out, &pos, &resolved, 1);
  return true;
}

}  // namespace

void chunk_cache_reset() {
  if (cache_cxt != nullptr) MemoryContextReset(cache_cxt);
  sets = relids = ids = nullptr;
  ++generation;
}

void chunk_cache_relation_changed(Oid relid) {
  ++relid_epoch;
  if (relid_epoch == 0) relid_epoch = 1;
  if (relids != nullptr) hash_search(relids, &relid, HASH_REMOVE, nullptr);
}

bool chunk_find_by_value(const Hypertable* ht, int64 value, ChunkInfo* out) {
  begin_lookup();
  ChunkSet* set = get_set(ht->id);
  const int pos = last_starting_at_or_before(set, value);
  if (pos < 0 || !ends_after(&set->chunks[pos], value)) return false;
  return copy_one(set, pos, out);
}

List* chunk_list_overlapping(const Hypertable* ht, int64 lo, int64 hi, bool ascending) {
  if (lo > hi) return NIL;
  begin_lookup();
  ChunkSet* set = get_set(ht->id);
  return copy_range(set, first_ending_after(set, lo), last_starting_at_or_before(set, hi), ascending);
}

List* chunk_list_all(const Hypertable* ht) {
  return chunk_list_overlapping(ht, PG_INT64_MIN, PG_INT64_MAX, true);
}

bool chunk_get_by_id(int32 id, ChunkInfo* out) {
  begin_lookup();
  for (;;) {
    bool found;
    auto* entry = static_cast<IdEntry*>(hash_search(ids, &id, HASH_FIND, &found));
    int32 hypertable_id = found ? entry->hypertable_id : 0;
    if (!found) {
      const uint64 gen = generation;
      if (!catalog_chunk_hypertable_id(id, &hypertable_id)) hypertable_id = 0;
      if (gen != generation) continue;
      entry = static_cast<IdEntry*>(hash_search(ids, &id, HASH_ENTER, &found));
      entry->hypertable_id = hypertable_id;
    }
    if (hypertable_id == 0) return false;
    const uint64 gen = generation;
    ChunkSet* set = get_set(hypertable_id);
    if (gen != generation) continue;  // reset while loading the set: the id entry is gone too
    const int pos = find_by_id(set, id);
    if (pos < 0) return false;
    return copy_one(set, pos, out);
  }
}

bool chunk_get_by_relid(Oid relid, ChunkInfo* out) {
  if (!OidIsValid(relid) || !extension_is_active()) return false;
  begin_lookup();
  for (;;) {
    bool found;
    auto* entry = static_cast<RelidEntry*>(hash_search(relids, &relid, HASH_FIND, &found));
    RelidEntry known;
    if (found) {
      known = *entry;
    } else {
      const uint64 gen = generation;
      memset(&known, 0, sizeof known);
      known.relid = relid;
      char* relname = get_rel_name(relid);
      char* nspname = relname != nullptr ? get_namespace_name(get_rel_namespace(relid)) : nullptr;
      known.is_chunk = nspname != nullptr &&
                       catalog_chunk_by_name(nspname, relname, &known.chunk_id, &known.hypertable_id);
      if (gen != generation) continue;
      entry = static_cast<RelidEntry*>(hash_search(relids, &relid, HASH_ENTER, &found));
      *entry = known;
    }
    if (!known.is_chunk) return false;
    const uint64 gen = generation;
    ChunkSet* set = get_set(known.hypertable_id);
    if (gen != generation) continue;
    const int pos = find_by_id(set, known.chunk_id);
    if (pos < 0) return false;
    copy_out(set, pos, out);
    // The name lookup above found this relation under the chunk's name: that is its relid.
    set->chunks[pos].relid = relid;
    set->chunks[pos].relid_epoch = relid_epoch;
    out->relid = relid;
    return true;
  }
}

}  // namespace strata
