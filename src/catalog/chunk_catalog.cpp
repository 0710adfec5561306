// Scans and writes of the chunk and chunk_index catalog tables. Lookups by time go through the
// chunk cache (chunk_cache.cpp), which loads its rows with catalog_scan_chunks_of.
#include "catalog/chunks.hpp"
#include "catalog/compression.hpp"
#include "catalog/scan.hpp"

extern "C" {
#include "commands/sequence.h"
#include "utils/fmgroids.h"
#include "utils/timestamp.h"
}

namespace strata {

namespace {

void read_chunk_row(const CatalogScan* scan, ChunkRow* row) {
  row->id = catalog_scan_int4(scan, col::chunk::id);
  row->hypertable_id = catalog_scan_int4(scan, col::chunk::hypertable_id);
  row->status = catalog_scan_int4(scan, col::chunk::status);
  row->range_start = catalog_scan_int8(scan, col::chunk::range_start);
  row->range_end = catalog_scan_int8(scan, col::chunk::range_end);
  // (absent in a catalog not updated yet: the whole hash axis)
  row->space_start = catalog_scan_int8(scan, col::chunk::space_start);
  bool isnull;
  const Datum end = catalog_scan_datum(scan, col::chunk::space_end, &isnull);
  row->space_end = isnull ? kHashAxisEnd : DatumGetInt64(end);
  row->schema_name = catalog_scan_name(scan, col::chunk::schema_name);
  row->table_name = catalog_scan_name(scan, col::chunk::table_name);
}

// Visits the rows of a begun scan until the visitor says stop; ends the scan. True if any row.
bool visit_rows(CatalogScan* scan, ChunkRowVisitor visit, void* arg) {
  bool any = false;
  while (catalog_scan_next(scan)) {
    any = true;
    ChunkRow row;
    read_chunk_row(scan, &row);
    if (!visit(&row, arg)) break;
  }
  catalog_scan_end(scan);
  return any;
}

}  // namespace

void catalog_scan_chunks_of(int32 hypertable_id, int64 upto, bool backward, ChunkRowVisitor visit, void* arg) {
  CatalogScan scan;
  catalog_scan_init(&scan, CatalogIndex::chunk_range, AccessShareLock);
  catalog_scan_key_int4(&scan, col::chunk::hypertable_id, hypertable_id);
  if (upto != PG_INT64_MAX)
    catalog_scan_key(&scan, col::chunk::range_start, BTLessEqualStrategyNumber, F_INT8LE, Int64GetDatum(upto));
  catalog_scan_begin(&scan, true, backward ? BackwardScanDirection : ForwardScanDirection);
  visit_rows(&scan, visit, arg);
}

bool catalog_scan_chunk_by_id(int32 chunk_id, ChunkRowVisitor visit, void* arg) {
  CatalogScan scan;
  catalog_scan_init(&scan, CatalogIndex::chunk_pkey, AccessShareLock);
  catalog_scan_key_int4(&scan, col::chunk::id, chunk_id);
  catalog_scan_begin(&scan);
  return visit_rows(&scan, visit, arg);
}

bool catalog_scan_chunk_by_name(const char* schema, const char* table, ChunkRowVisitor visit, void* arg) {
  CatalogScan scan;
  catalog_scan_init(&scan, CatalogIndex::chunk_name, AccessShareLock);
  catalog_scan_key_name(&scan, col::chunk::schema_name, schema);
  catalog_scan_key_name(&scan, col::chunk::table_name, table);
  catalog_scan_begin(&scan);
  return visit_rows(&scan, visit, arg);
}

bool catalog_chunk_creation_time(int32 chunk_id, TimestampTz* out) {
  CatalogScan scan;
  catalog_scan_init(&scan, CatalogIndex::chunk_pkey, AccessShareLock);
  catalog_scan_key_int4(&scan, col::chunk::id, chunk_id);
  catalog_scan_begin(&scan);
  bool found = false;
  if (catalog_scan_next(&scan)) {
    bool isnull;
    const Datum d = catalog_scan_datum(&scan, col::chunk::creation_time, &isnull);
    if (!isnull) {
      *out = DatumGetTimestampTz(d);
      found = true;
    }
  }
  catalog_scan_end(&scan);
  return found;
}

int32 catalog_next_chunk_id() {
  return static_cast<int32>(nextval_internal(get_relname_relid("chunk_id_seq", catalog_namespace_oid()), false));
}

void catalog_insert_chunk(int32 chunk_id, int32 hypertable_id, const char* schema, const char* table,
                          int64 range_start, int64 range_end, int64 space_start, int64 space_end) {
  NameData s, t;
  namestrcpy(&s, schema);
  namestrcpy(&t, table);
  Datum values[col::chunk::natts];
  bool nulls[col::chunk::natts] = {};
  values[col::chunk::id - 1] = Int32GetDatum(chunk_id);
  values[col::chunk::hypertable_id - 1] = Int32GetDatum(hypertable_id);
  values[col::chunk::schema_name - 1] = NameGetDatum(&s);
  values[col::chunk::table_name - 1] = NameGetDatum(&t);
  values[col::chunk::range_start - 1] = Int64GetDatum(range_start);
  values[col::chunk::range_end - 1] = Int64GetDatum(range_end);
  values[col::chunk::creation_time - 1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
  values[col::chunk::status - 1] = Int32GetDatum(kChunkStatusNormal);
  values[col::chunk::space_start - 1] = Int64GetDatum(space_start);
  values[col::chunk::space_end - 1] = Int64GetDatum(space_end);
  catalog_insert_row(CatalogTable::chunk, values, nulls);
  catalog_invalidate();
}

void catalog_delete_chunk(int32 chunk_id) {
  catalog_delete_compressed_chunk(chunk_id);
  catalog_delete_where_int4(CatalogIndex::chunk_index_pkey, col::chunk_index::chunk_id, chunk_id);
  catalog_delete_where_int4(CatalogIndex::chunk_pkey, col::chunk::id, chunk_id);
  catalog_invalidate();
}

void catalog_rename_chunk(int32 chunk_id, const char* schema, const char* table) {
  NameData s, t;
  namestrcpy(&s, schema);
  namestrcpy(&t, table);
  Datum values[col::chunk::natts] = {};
  bool nulls[col::chunk::natts] = {};
  bool repl[col::chunk::natts] = {};
  values[col::chunk::schema_name - 1] = NameGetDatum(&s);
  values[col::chunk::table_name - 1] = NameGetDatum(&t);
  repl[col::chunk::schema_name - 1] = repl[col::chunk::table_name - 1] = true;
  catalog_update_where_int4(CatalogIndex::chunk_pkey, col::chunk::id, chunk_id, values, nulls, repl);
  catalog_invalidate();
}

bool catalog_update_chunk_status(int32 chunk_id, int32 status) {
  Datum values[col::chunk::natts] = {};
  bool nulls[col::chunk::natts] = {};
  bool repl[col::chunk::natts] = {};
  values[col::chunk::status - 1] = Int32GetDatum(status);
  repl[col::chunk::status - 1] = true;
  const bool found = catalog_update_where_int4(CatalogIndex::chunk_pkey, col::chunk::id, chunk_id, values, nulls, repl) > 0;
  if (found) catalog_invalidate();
  return found;
}

void catalog_insert_chunk_index(int32 chunk_id, const char* index_name, int32 hypertable_id,
                                const char* hypertable_index_name) {
  NameData i1, i2;
  namestrcpy(&i1, index_name);
  namestrcpy(&i2, hypertable_index_name);
  Datum values[col::chunk_index::natts];
  bool nulls[col::chunk_index::natts] = {};
  values[col::chunk_index::chunk_id - 1] = Int32GetDatum(chunk_id);
  values[col::chunk_index::index_name - 1] = NameGetDatum(&i1);
  values[col::chunk_index::hypertable_id - 1] = Int32GetDatum(hypertable_id);
  values[col::chunk_index::hypertable_index_name - 1] = NameGetDatum(&i2);
  catalog_insert_row(CatalogTable::chunk_index, values, nulls);
}

char* catalog_chunk_index_for(int32 chunk_id, const char* ht_index_name) {
  CatalogScan scan;
  catalog_scan_init(&scan, CatalogIndex::chunk_index_pkey, AccessShareLock);
  catalog_scan_key_int4(&scan, col::chunk_index::chunk_id, chunk_id);
  catalog_scan_begin(&scan);
  char* result = nullptr;
  while (catalog_scan_next(&scan)) {
    if (strcmp(catalog_scan_name(&scan, col::chunk_index::hypertable_index_name), ht_index_name) == 0) {
      result = pstrdup(catalog_scan_name(&scan, col::chunk_index::index_name));
      break;
    }
  }
  catalog_scan_end(&scan);
  return result;
}

namespace {

void init_ht_index_scan(CatalogScan* scan, LOCKMODE lockmode, int32 hypertable_id, const char* ht_index_name) {
  catalog_scan_init(scan, CatalogIndex::chunk_index_hypertable, lockmode);
  catalog_scan_key_int4(scan, col::chunk_index::hypertable_id, hypertable_id);
  catalog_scan_key_name(scan, col::chunk_index::hypertable_index_name, ht_index_name);
  catalog_scan_begin(scan);
}

}  // namespace

List* catalog_chunk_indexes_of(int32 hypertable_id, const char* ht_index_name, List** chunk_ids) {
  CatalogScan scan;
  init_ht_index_scan(&scan, AccessShareLock, hypertable_id, ht_index_name);
  List* names = NIL;
  if (chunk_ids != nullptr) *chunk_ids = NIL;
  while (catalog_scan_next(&scan)) {
    names = lappend(names, pstrdup(catalog_scan_name(&scan, col::chunk_index::index_name)));
    if (chunk_ids != nullptr)
      *chunk_ids = lappend_int(*chunk_ids, catalog_scan_int4(&scan, col::chunk_index::chunk_id));
  }
  catalog_scan_end(&scan);
  return names;
}

void catalog_rename_hypertable_index(int32 hypertable_id, const char* old_name, const char* new_name) {
  NameData n;
  namestrcpy(&n, new_name);
  Datum values[col::chunk_index::natts] = {};
  bool nulls[col::chunk_index::natts] = {};
  bool repl[col::chunk_index::natts] = {};
  values[col::chunk_index::hypertable_index_name - 1] = NameGetDatum(&n);
  repl[col::chunk_index::hypertable_index_name - 1] = true;
  CatalogScan scan;
  init_ht_index_scan(&scan, RowExclusiveLock, hypertable_id, old_name);
  while (catalog_scan_next(&scan)) catalog_scan_update(&scan, values, nulls, repl);
  catalog_scan_end(&scan);
}

void catalog_rename_chunk_index(int32 chunk_id, const char* old_name, const char* new_name) {
  NameData n;
  namestrcpy(&n, new_name);
  Datum values[col::chunk_index::natts] = {};
  bool nulls[col::chunk_index::natts] = {};
  bool repl[col::chunk_index::natts] = {};
  values[col::chunk_index::index_name - 1] = NameGetDatum(&n);
  repl[col::chunk_index::index_name - 1] = true;
  CatalogScan scan;
  catalog_scan_init(&scan, CatalogIndex::chunk_index_pkey, RowExclusiveLock);
  catalog_scan_key_int4(&scan, col::chunk_index::chunk_id, chunk_id);
  catalog_scan_key_name(&scan, col::chunk_index::index_name, old_name);
  catalog_scan_begin(&scan);
  while (catalog_scan_next(&scan)) catalog_scan_update(&scan, values, nulls, repl);
  catalog_scan_end(&scan);
}

void catalog_delete_chunk_indexes_of(int32 hypertable_id, const char* ht_index_name) {
  CatalogScan scan;
  init_ht_index_scan(&scan, RowExclusiveLock, hypertable_id, ht_index_name);
  while (catalog_scan_next(&scan)) catalog_scan_delete(&scan);
  catalog_scan_end(&scan);
}

}  // namespace strata
