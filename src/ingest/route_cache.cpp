// Per-statement chunk routing cache (see route_cache.hpp).
#include "ingest/route_cache.hpp"

#include "hypertable/chunk.hpp"

extern "C" {
#include "executor/executor.h"
#include "nodes/readfuncs.h"
}

namespace strata {

namespace {

bool holds(const RouteEntry& e, int64 v) { return v >= e.start && (e.end == PG_INT64_MAX || v < e.end); }

}  // namespace

void route_cache_init(RouteCache* cache) {
  cache->capacity = 16;
  cache->entries = static_cast<RouteEntry*>(palloc(sizeof(RouteEntry) * cache->capacity));
  cache->n = 0;
  cache->last = -1;
}

RouteEntry* route_cache_find(RouteCache* cache, int64 v) {
  if (cache->last >= 0 && holds(cache->entries[cache->last], v)) return &cache->entries[cache->last];
  int lo = 0, hi = cache->n - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    if (holds(cache->entries[mid], v)) {
      cache->last = mid;
      return &cache->entries[mid];
    }
    if (v < cache->entries[mid].start)
      hi = mid - 1;
    else
      lo = mid + 1;
  }
  return nullptr;
}

RouteEntry* route_cache_find_point(RouteCache* cache, int64 v, int64 h) {
  auto in_slice = [](const RouteEntry& e, int64 h) { return h >= e.space_start && h < e.space_end; };
  if (cache->last >= 0 && holds(cache->entries[cache->last], v) && in_slice(cache->entries[cache->last], h))
    return &cache->entries[cache->last];
  int lo = 0, hi = cache->n - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    const RouteEntry& e = cache->entries[mid];
    if (holds(e, v)) {
      if (in_slice(e, h)) {
        cache->last = mid;
        return &cache->entries[mid];
      }
      if (h < e.space_start)
        hi = mid - 1;
      else
        lo = mid + 1;
    } else if (v < e.start) {
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  return nullptr;
}

RouteEntry* route_cache_add(RouteCache* cache, const ChunkInfo* chunk, void* data) {
  return route_cache_add(cache, RouteEntry{chunk->range_start, chunk->range_end, chunk->relid, data, chunk->space_start,
                                           chunk->space_end});
}

RouteEntry* route_cache_add(RouteCache* cache, const RouteEntry& entry) {
  if (cache->n == cache->capacity) {
    cache->capacity *= 2;
    cache->entries = static_cast<RouteEntry*>(repalloc(cache->entries, sizeof(RouteEntry) * cache->capacity));
  }
  int pos = cache->n;
  while (pos > 0 && (cache->entries[pos - 1].start > entry.start ||
                     (cache->entries[pos - 1].start == entry.start && cache->entries[pos - 1].space_start > entry.space_start))) {
    cache->entries[pos] = cache->entries[pos - 1];
    --pos;
  }
  cache->entries[pos] = entry;
  cache->n++;
  cache->last = pos;
  return &cache->entries[pos];
}

}  // namespace strata
