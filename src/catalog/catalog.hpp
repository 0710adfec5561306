// The strata catalog (_strata_catalog.*): cached hypertable lookups, chunk lookups by time, and
// catalog writes. Everything here is C-style glue: frames own nothing with a destructor, so
// PostgreSQL errors may propagate through them.
#pragma once

#include "pg/pg.hpp"

namespace strata {

// How a time column maps onto the internal int64 axis (see core/time/chunk_range.hpp).
enum class TimeKind : uint8 { timestamptz, timestamp, date, int16, int32, int64 };

struct Hypertable {
  int32 id;
  Oid relid;
  NameData schema_name;
  NameData table_name;
  int32 dimension_id;
  NameData time_column;
  AttrNumber time_attno;
  Oid time_type;
  TimeKind kind;
  int64 interval;                  // on the internal axis: microseconds for time types
  NameData integer_now_schema;     // empty when no integer now function is set
  NameData integer_now_func;
  int16 compression_state;
};

struct ChunkInfo {
  int32 id;
  int32 hypertable_id;
  NameData schema_name;
  NameData table_name;
  int64 range_start;  // inclusive; core::kOpenStart when open below
  int64 range_end;    // exclusive; core::kOpenEnd when open above
  Oid relid;          // InvalidOid if the table is missing
};

// OIDs of the catalog relations; valid while extension_is_active().
struct CatalogOids {
  Oid catalog_namespace;
  Oid internal_namespace;
  Oid hypertable;
  Oid hypertable_name_idx;  // (schema_name, table_name)
  Oid dimension;
  Oid dimension_ht_idx;     // (hypertable_id, column_name)
  Oid chunk;
  Oid chunk_pkey;           // (id)
  Oid chunk_name_idx;       // (schema_name, table_name)
  Oid chunk_range_idx;      // (hypertable_id, range_start)
  Oid chunk_index;
  Oid chunk_index_pkey;     // (chunk_id, index_name)
  Oid chunk_index_ht_idx;   // (hypertable_id, hypertable_index_name)
};

// True when the extension is installed in this database and not being created, updated or
// dropped. Every hook checks this first and does nothing otherwise. Cheap: cached, invalidated
// by catalog and namespace invalidations.
bool extension_is_active();
const CatalogOids& catalog_oids();

// Invalidation handlers that keep the cache right (run by the hook dispatcher, src/hooks): a
// relcache invalidation of `relid` (InvalidOid: all), and a syscache invalidation of a namespace.
void catalog_relcache_invalidated(Oid relid);
void catalog_namespace_invalidated(int cacheid, uint32 hashvalue);

// The hypertable whose table is `relid`, or nullptr. The result is a palloc'd copy in the
// current memory context (the cache behind it can be reset by any invalidation).
Hypertable* hypertable_get(Oid relid);
bool is_hypertable(Oid relid);
Hypertable* hypertable_get_by_id(int32 id);
// All hypertables (palloc'd copies), for views and jobs.
List* hypertable_list_all();

// Time values <-> the internal axis.
bool time_type_supported(Oid type, TimeKind* kind);
int64 time_datum_to_internal(Datum value, Oid type);
Datum internal_to_time_datum(int64 value, Oid type);
// The domain of the type on the internal axis, as {min, max}.
void time_type_domain(Oid type, int64* min, int64* max);

// Chunk lookups through the (hypertable_id, range_start) index.
bool chunk_find_by_value(const Hypertable* ht, int64 value, ChunkInfo* out);
// Chunks overlapping the closed interval [lo, hi] on the internal axis, as a List of palloc'd
// ChunkInfo*, ordered by range_start ascending (or descending). Cost is proportional to the
// number of chunks returned.
List* chunk_list_overlapping(const Hypertable* ht, int64 lo, int64 hi, bool ascending);
List* chunk_list_all(const Hypertable* ht);
bool chunk_get_by_relid(Oid relid, ChunkInfo* out);
bool chunk_get_by_id(int32 id, ChunkInfo* out);

// Catalog writes (direct heap access; callers check permissions).
int32 catalog_insert_hypertable(Oid relid, const char* time_column, Oid time_type, int64 interval);
int32 catalog_next_chunk_id();
void catalog_insert_chunk(int32 chunk_id, int32 hypertable_id, const char* schema, const char* table,
                          int64 range_start, int64 range_end);
void catalog_insert_chunk_index(int32 chunk_id, const char* index_name, int32 hypertable_id,
                                const char* hypertable_index_name);
void catalog_delete_chunk(int32 chunk_id);
void catalog_update_interval(int32 dimension_id, int64 interval);
void catalog_update_integer_now(int32 dimension_id, const char* schema, const char* func);
void catalog_rename_hypertable(int32 hypertable_id, const char* schema, const char* table);
// The chunk index implementing hypertable index `ht_index_name` on chunk `chunk_id`, or NULL.
char* catalog_chunk_index_for(int32 chunk_id, const char* ht_index_name);
// List of palloc'd char* chunk index names implementing ht index (across all chunks), paired with
// chunk ids in *chunk_ids (an int list).
List* catalog_chunk_indexes_of(int32 hypertable_id, const char* ht_index_name, List** chunk_ids);
void catalog_rename_hypertable_index(int32 hypertable_id, const char* old_name, const char* new_name);
void catalog_delete_chunk_indexes_of(int32 hypertable_id, const char* ht_index_name);

// Tell every backend that the catalog changed (at commit; at once for this backend).
void catalog_invalidate();

}  // namespace strata
