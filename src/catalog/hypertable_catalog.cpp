// Writes of the hypertable and dimension catalog tables (create_hypertable, set_chunk_time_interval,
// set_integer_now_func, renames).
#include "catalog/hypertables.hpp"
#include "catalog/compression.hpp"
#include "catalog/scan.hpp"

extern "C" {
#include "commands/sequence.h"
}

namespace strata {

namespace {

int32 next_id(const char* sequence) {
  return static_cast<int32>(nextval_internal(get_relname_relid(sequence, catalog_namespace_oid()), false));
}

// Replaces up to two columns of the dimension row `dimension_id`.
void update_dimension(int32 dimension_id, AttrNumber attno1, Datum v1, bool n1, AttrNumber attno2, Datum v2,
                      bool n2) {
  Datum values[col::dimension::natts] = {};
  bool nulls[col::dimension::natts] = {};
  bool repl[col::dimension::natts] = {};
  values[attno1 - 1] = v1;
  nulls[attno1 - 1] = n1;
  repl[attno1 - 1] = true;
  if (attno2 > 0) {
    values[attno2 - 1] = v2;
    nulls[attno2 - 1] = n2;
    repl[attno2 - 1] = true;
  }
  catalog_update_where_int4(CatalogIndex::dimension_pkey, col::dimension::id, dimension_id, values, nulls, repl);
  catalog_invalidate();
}

}  // namespace

int32 catalog_insert_hypertable(Oid relid, const char* time_column, Oid time_type, int64 interval) {
  const int32 id = next_id("hypertable_id_seq");
  NameData schema, table, assoc, prefix;
  namestrcpy(&schema, get_namespace_name(get_rel_namespace(relid)));
  namestrcpy(&table, get_rel_name(relid));
  namestrcpy(&assoc, "_strata_internal");
  char prefix_buf[NAMEDATALEN];
  snprintf(prefix_buf, sizeof prefix_buf, "_hyper_%d", id);
  namestrcpy(&prefix, prefix_buf);

  Datum values[col::hypertable::natts];
  bool nulls[col::hypertable::natts] = {};
  values[col::hypertable::id - 1] = Int32GetDatum(id);
  values[col::hypertable::schema_name - 1] = NameGetDatum(&schema);
  values[col::hypertable::table_name - 1] = NameGetDatum(&table);
  values[col::hypertable::associated_schema_name - 1] = NameGetDatum(&assoc);
  values[col::hypertable::associated_table_prefix - 1] = NameGetDatum(&prefix);
  values[col::hypertable::compression_state - 1] = Int16GetDatum(0);
  catalog_insert_row(CatalogTable::hypertable, values, nulls);

  const int32 dim_id = next_id("dimension_id_seq");
  NameData column;
  namestrcpy(&column, time_column);
  Datum dvalues[col::dimension::natts];
  bool dnulls[col::dimension::natts] = {};
  dvalues[col::dimension::id - 1] = Int32GetDatum(dim_id);
  dvalues[col::dimension::hypertable_id - 1] = Int32GetDatum(id);
  dvalues[col::dimension::column_name - 1] = NameGetDatum(&column);
  dvalues[col::dimension::column_type - 1] = ObjectIdGetDatum(time_type);
  dvalues[col::dimension::interval_length - 1] = Int64GetDatum(interval);
  dnulls[col::dimension::integer_now_func_schema - 1] = true;
  dnulls[col::dimension::integer_now_func - 1] = true;
  dnulls[col::dimension::num_slices - 1] = true;
  catalog_insert_row(CatalogTable::dimension, dvalues, dnulls);
  catalog_invalidate();
  return id;
}

int32 catalog_insert_hash_dimension(int32 hypertable_id, const char* column, Oid type, int16 num_slices) {
  const int32 dim_id = next_id("dimension_id_seq");
  NameData name;
  namestrcpy(&name, column);
  Datum values[col::dimension::natts];
  bool nulls[col::dimension::natts] = {};
  values[col::dimension::id - 1] = Int32GetDatum(dim_id);
  values[col::dimension::hypertable_id - 1] = Int32GetDatum(hypertable_id);
  values[col::dimension::column_name - 1] = NameGetDatum(&name);
  values[col::dimension::column_type - 1] = ObjectIdGetDatum(type);
  nulls[col::dimension::interval_length - 1] = true;
  nulls[col::dimension::integer_now_func_schema - 1] = true;
  nulls[col::dimension::integer_now_func - 1] = true;
  values[col::dimension::num_slices - 1] = Int16GetDatum(num_slices);
  catalog_insert_row(CatalogTable::dimension, values, nulls);
  catalog_invalidate();
  return dim_id;
}

void catalog_update_num_slices(int32 dimension_id, int16 num_slices) {
  update_dimension(dimension_id, col::dimension::num_slices, Int16GetDatum(num_slices), false, 0, 0, false);
}

void catalog_rename_space_column(const Hypertable* ht, const char* new_name) {
  NameData n;
  namestrcpy(&n, new_name);
  update_dimension(ht->space_dimension_id, col::dimension::column_name, NameGetDatum(&n), false, 0, 0, false);
}

void catalog_update_interval(int32 dimension_id, int64 interval) {
  update_dimension(dimension_id, col::dimension::interval_length, Int64GetDatum(interval), false, 0, 0, false);
}

void catalog_update_integer_now(int32 dimension_id, const char* schema, const char* func) {
  NameData s, f;
  if (schema != nullptr) namestrcpy(&s, schema);
  if (func != nullptr) namestrcpy(&f, func);
  update_dimension(dimension_id, col::dimension::integer_now_func_schema, NameGetDatum(&s), schema == nullptr,
                   col::dimension::integer_now_func, NameGetDatum(&f), func == nullptr);
}

void catalog_rename_hypertable(int32 hypertable_id, const char* schema, const char* table) {
  NameData s, t;
  namestrcpy(&s, schema);
  namestrcpy(&t, table);
  Datum values[col::hypertable::natts] = {};
  bool nulls[col::hypertable::natts] = {};
  bool repl[col::hypertable::natts] = {};
  values[col::hypertable::schema_name - 1] = NameGetDatum(&s);
  values[col::hypertable::table_name - 1] = NameGetDatum(&t);
  repl[col::hypertable::schema_name - 1] = repl[col::hypertable::table_name - 1] = true;
  catalog_update_where_int4(CatalogIndex::hypertable_pkey, col::hypertable::id, hypertable_id, values, nulls, repl);
  catalog_invalidate();
}

void catalog_rename_time_column(const Hypertable* ht, const char* new_name) {
  NameData n;
  namestrcpy(&n, new_name);
  update_dimension(ht->dimension_id, col::dimension::column_name, NameGetDatum(&n), false, 0, 0, false);
}

void catalog_set_time_type(const Hypertable* ht, Oid new_type) {
  update_dimension(ht->dimension_id, col::dimension::column_type, ObjectIdGetDatum(new_type), false, 0, 0, false);
}

void catalog_delete_hypertable(int32 hypertable_id) {
  // (Direct writes do not run the catalog's ON DELETE CASCADE foreign keys: every table here.)
  catalog_delete_compression_of_hypertable(hypertable_id);
  const struct {
    CatalogIndex index;
    AttrNumber hypertable_id;
  } parts[] = {
      {CatalogIndex::chunk_index_hypertable, col::chunk_index::hypertable_id},
      {CatalogIndex::chunk_range, col::chunk::hypertable_id},
      {CatalogIndex::dimension_hypertable, col::dimension::hypertable_id},
      {CatalogIndex::hypertable_pkey, col::hypertable::id},
  };
  for (const auto& part : parts) catalog_delete_where_int4(part.index, part.hypertable_id, hypertable_id);
  catalog_invalidate();
}

}  // namespace strata
