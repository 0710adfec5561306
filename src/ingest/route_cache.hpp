// Per-statement map from time values to the chunks a statement has routed rows to: the last chunk
// used, then a binary search over the chunks seen so far (sorted by range start). Shared by INSERT
// (ChunkDispatch) and COPY. Allocated in the caller's memory context.
#pragma once

#include "catalog/catalog.hpp"

extern "C" {
#include "nodes/execnodes.h"
}

namespace strata {

struct RouteEntry {
  int64 start;
  int64 end;    // PG_INT64_MAX: open above (and then holds PG_INT64_MAX itself)
  Oid relid;
  void* data;   // the caller's per-chunk state; stable while the cache lives
  int64 space_start;  // the chunk's hash slice (the whole axis without a hash dimension)
  int64 space_end;
};

struct RouteCache {
  RouteEntry* entries;
  int n;
  int capacity;
  int last;
};

void route_cache_init(RouteCache* cache);
// The entry holding `value`, or nullptr (hypertables without a hash dimension).
RouteEntry* route_cache_find(RouteCache* cache, int64 value);
// The entry holding `value` and partition hash `hash`, or nullptr (with a hash dimension: entries
// are ordered by time range, then hash slice).
RouteEntry* route_cache_find_point(RouteCache* cache, int64 value, int64 hash);
// Adds the chunk (which must not overlap any entry) and returns its entry.
RouteEntry* route_cache_add(RouteCache* cache, const ChunkInfo* chunk, void* data);
// Adds a copy of `entry` (of another cache) and returns it.
RouteEntry* route_cache_add(RouteCache* cache, const RouteEntry& entry);
// Every entry, for iteration: entries[0 .. n).
inline RouteEntry* route_cache_begin(RouteCache* cache) { return cache->entries; }
inline RouteEntry* route_cache_end(RouteCache* cache) { return cache->entries + cache->n; }

}  // namespace strata
