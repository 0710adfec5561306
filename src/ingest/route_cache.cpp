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

bool skip_routed_range_check(ResultRelInfo* rri, EState* estate, bool may_change_row) {
  Relation rel = rri->ri_RelationDesc;
  TupleConstr* constr = RelationGetDescr(rel)->constr;
  if (may_change_row || constr == nullptr || constr->num_check == 0 || rri->ri_ConstraintExprs != nullptr)
    return false;
  if (rri->ri_TrigDesc != nullptr && (rri->ri_TrigDesc->trig_insert_before_row || rri->ri_TrigDesc->trig_insert_instead_row))
    return false;
  const int ncheck = constr->num_check;
  int range = -1;
  for (int i = 0; i < ncheck; i++)
    if (strcmp(constr->check[i].ccname, kChunkRangeConstraint) == 0) range = i;
  if (range < 0) return false;
  MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
  auto* exprs = static_cast<ExprState**>(palloc0(sizeof(ExprState*) * ncheck));
  for (int i = 0; i < ncheck; i++)
    if (i != range) exprs[i] = ExecPrepareExpr(static_cast<Expr*>(stringToNode(constr->check[i].ccbin)), estate);
  rri->ri_ConstraintExprs = exprs;
  MemoryContextSwitchTo(old);
  return true;
}

bool routed_row_needs_constraints(ResultRelInfo* rri, bool range_skipped, AttrNumber time_attno) {
  TupleDesc desc = RelationGetDescr(rri->ri_RelationDesc);
  TupleConstr* constr = desc->constr;
  if (constr == nullptr) return false;
  // (without the skip, a trigger or ON CONFLICT can change the row, say set its time to NULL,
  // after routing; with it, every CHECK but the range's is prepared)
  if (!range_skipped || constr->num_check > 1) return true;
  if (constr->has_not_null)
    for (int a = 0; a < desc->natts; a++)
      if (TupleDescAttr(desc, a)->attnotnull && a + 1 != time_attno) return true;
  return false;
}

}  // namespace strata
