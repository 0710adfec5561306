// Chunks: lookups through the per-backend chunk cache (chunk_cache.cpp) and the scans and writes of
// the chunk and chunk_index catalog tables (chunk_catalog.cpp). C-style glue.
#pragma once

#include "catalog/hypertables.hpp"

namespace strata {

struct ChunkInfo {
  int32 id;
  int32 hypertable_id;
  NameData schema_name;
  NameData table_name;
  int64 range_start;  // inclusive; core::kOpenStart when open below
  int64 range_end;    // exclusive; core::kOpenEnd when open above
  Oid relid;          // InvalidOid if the table is missing
  int32 status;       // _strata_catalog.chunk.status (kChunkStatusNormal, or columnstore flags)
  int64 space_start;  // the chunk's slice [space_start, space_end) of the hash dimension's axis:
  int64 space_end;    // [0, kHashAxisEnd) when the hypertable has none
};

// ---- lookups (chunk cache) ---------------------------------------------------------------------
// The cache holds, per hypertable, its chunks sorted by range start; it is loaded through the
// (hypertable_id, range_start) index on first use in a backend and reset by every catalog
// invalidation. Results are copies in the current memory context. A chunk's relid is resolved from
// its name when it is first returned (and again after relcache invalidations), so callers that
// lock a chunk must still check that it exists (SearchSysCacheExists1(RELOID, ...)).

// The chunk holding `value` on the internal axis and partition hash `hash` (0 for a hypertable
// without a hash dimension).
bool chunk_find_by_value(const Hypertable* ht, int64 value, ChunkInfo* out, int64 hash = 0);
// Chunks overlapping the closed interval [lo, hi] on the internal axis, as a List of palloc'd
// ChunkInfo*, ordered by (range_start, space_start) ascending (or descending). Chunks of a
// hypertable with a hash dimension share time ranges: two chunks' ranges are either equal or
// disjoint. Cost: a binary search plus the chunks returned.
List* chunk_list_overlapping(const Hypertable* ht, int64 lo, int64 hi, bool ascending);
List* chunk_list_all(const Hypertable* ht);
bool chunk_get_by_relid(Oid relid, ChunkInfo* out);
bool chunk_get_by_id(int32 id, ChunkInfo* out);
// Changes whenever the cache is reset (by every catalog invalidation): a ChunkInfo returned while
// it had the same value is still what the catalog says.
uint64 chunk_cache_generation();
// Changes whenever a relcache invalidation names a relation (or all of them): a chunk relid found
// while it had the same value still names that table (a DROP or rename sends one).
uint32 chunk_relid_epoch();

// ---- catalog scans that bypass the cache --------------------------------------------------------
// The creation time of a chunk (not part of the cache), or false if there is no such chunk.
bool catalog_chunk_creation_time(int32 chunk_id, TimestampTz* out);

// ---- writes (direct heap access; callers check permissions) -------------------------------------
// Writes of chunk rows send the catalog invalidation; chunk_index rows are not cached.
int32 catalog_next_chunk_id();
void catalog_insert_chunk(int32 chunk_id, int32 hypertable_id, const char* schema, const char* table,
                          int64 range_start, int64 range_end, int64 space_start = 0,
                          int64 space_end = kHashAxisEnd);
void catalog_delete_chunk(int32 chunk_id);
void catalog_rename_chunk(int32 chunk_id, const char* schema, const char* table);
// Sets the status of a chunk (false if there is no such chunk).
bool catalog_update_chunk_status(int32 chunk_id, int32 status);
void catalog_insert_chunk_index(int32 chunk_id, const char* index_name, int32 hypertable_id,
                                const char* hypertable_index_name);
// The chunk index implementing hypertable index `ht_index_name` on chunk `chunk_id`, or NULL.
char* catalog_chunk_index_for(int32 chunk_id, const char* ht_index_name);
// List of palloc'd char* chunk index names implementing ht index (across all chunks), paired with
// chunk ids in *chunk_ids (an int list).
List* catalog_chunk_indexes_of(int32 hypertable_id, const char* ht_index_name, List** chunk_ids);
void catalog_rename_hypertable_index(int32 hypertable_id, const char* old_name, const char* new_name);
// Renames the chunk index `old_name` of chunk `chunk_id` in the mapping.
void catalog_rename_chunk_index(int32 chunk_id, const char* old_name, const char* new_name);
void catalog_delete_chunk_indexes_of(int32 hypertable_id, const char* ht_index_name);

// ---- internal to src/catalog ---------------------------------------------------------------------
// One chunk row as the cache reads it.
struct ChunkRow {
  int32 id;
  int32 hypertable_id;
  int32 status;
  int64 range_start;
  int64 range_end;
  int64 space_start;
  int64 space_end;
  const char* schema_name;  // pointers into the scanned tuple, valid during the visit
  const char* table_name;
};
// Returns false to stop the scan.
using ChunkRowVisitor = bool (*)(const ChunkRow* row, void* arg);
// Visits the chunks of a hypertable with range_start <= upto, in (range_start, space_start) order
// (descending when `backward`), through the (hypertable_id, range_start, space_start) index.
void catalog_scan_chunks_of(int32 hypertable_id, int64 upto, bool backward, ChunkRowVisitor visit, void* arg);
// Visits the chunk with this id / this name; false if there is none.
bool catalog_scan_chunk_by_id(int32 chunk_id, ChunkRowVisitor visit, void* arg);
bool catalog_scan_chunk_by_name(const char* schema, const char* table, ChunkRowVisitor visit, void* arg);
// Invalidation callbacks: drop everything; a relation changed (its relid may name another table).
void chunk_cache_reset();
void chunk_cache_relation_changed(Oid relid);

}  // namespace strata
