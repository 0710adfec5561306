// Hypertables: the per-backend hypertable cache (relid -> hypertable, negative entries included, so
// that planning a query on an ordinary table costs one hash lookup) and the writes of the
// hypertable and dimension catalog tables. C-style glue.
#pragma once

#include "catalog/registry.hpp"
#include "catalog/time_types.hpp"

namespace strata {

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
  // The hash (closed) dimension, when num_partitions > 0 (space partitioning): its column, the
  // number of slices new chunks divide [0, kHashAxisEnd) into.
  int32 space_dimension_id;
  int16 num_partitions;
  NameData space_column;
  AttrNumber space_attno;
  Oid space_type;
  Oid space_collation;
};

// The partition hash of a value of the hash dimension's type (`hash_proc`: the type's extended
// hash function, see space_hash_proc): on [0, kHashAxisEnd), also for NULL (0).
Oid space_hash_proc(Oid type);
inline int64 space_hash_value(FmgrInfo* hash_proc, Oid collation, Datum value, bool isnull) {
  if (isnull) return 0;
  const uint64 h = DatumGetUInt64(FunctionCall2Coll(hash_proc, collation, value, Int64GetDatum(0)));
  return static_cast<int64>(h & UINT64CONST(0x7fffffff));
}

// The hypertable whose table is `relid`, or nullptr. The result is a palloc'd copy in the
// current memory context (the cache behind it can be reset by any invalidation).
Hypertable* hypertable_get(Oid relid);
bool is_hypertable(Oid relid);
// Whether the table `relid` has a unique index of one key column (which makes estimates take that
// column as distinct). For a hypertable the answer is kept with its cache entry until the table's
// next relcache invalidation (creating or dropping one of its indexes sends one); for any other
// table it is looked up each time.
bool has_one_column_unique_index(Oid relid);
// The type's average width (get_typavgwidth) of each column of hypertable `relid`, by attribute
// number - 1 (0 for a dropped column), with their number in *natts; nullptr if `relid` is not a
// hypertable. Kept with its cache entry until the table's next relcache invalidation (ALTER TABLE
// sends one); valid until the next invalidation is processed.
const int32* hypertable_type_widths(Oid relid, int* natts);
// By catalog id (not cached: a scan of the hypertable catalog), or nullptr.
Hypertable* hypertable_get_by_id(int32 id);
// All hypertables (palloc'd copies), for views and jobs.
List* hypertable_list_all();

// Catalog writes (direct heap access; callers check permissions). Each sends the catalog
// invalidation.
int32 catalog_insert_hypertable(Oid relid, const char* time_column, Oid time_type, int64 interval);
// Adds a hash dimension; returns its id.
int32 catalog_insert_hash_dimension(int32 hypertable_id, const char* column, Oid type, int16 num_slices);
void catalog_update_num_slices(int32 dimension_id, int16 num_slices);
void catalog_rename_space_column(const Hypertable* ht, const char* new_name);
void catalog_update_interval(int32 dimension_id, int64 interval);
void catalog_update_integer_now(int32 dimension_id, const char* schema, const char* func);
void catalog_rename_hypertable(int32 hypertable_id, const char* schema, const char* table);
void catalog_rename_time_column(const Hypertable* ht, const char* new_name);
void catalog_set_time_type(const Hypertable* ht, Oid new_type);
// Deletes the hypertable's rows: its chunk indexes, chunks, dimensions and itself.
void catalog_delete_hypertable(int32 hypertable_id);

// Bumped whenever the cache drops an entry (hypertable_cache_reset, hypertable_cache_forget of a cached relation): a
// copy of a Hypertable taken while it stays unchanged is still what hypertable_get would return.
uint64 hypertable_cache_generation();

// Internal to src/catalog (the invalidation callbacks): drop everything, or one relation's entry.
void hypertable_cache_reset();
void hypertable_cache_forget(Oid relid);

}  // namespace strata
