// Reads and writes of the columnstore's catalog tables (_strata_catalog.compression_settings,
// _strata_catalog.compressed_chunk) and of hypertable.compression_state, through the scan helper.
#include "catalog/catalog.hpp"
#include "catalog/scan.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "storage/lmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

namespace strata {

namespace {

// name[] of `n` strings.
Datum name_array(char* const* names, int n) {
  Datum* elems = (Datum*)palloc(sizeof(Datum) * (n > 0 ? n : 1));
  for (int i = 0; i < n; ++i) {
    Name nm = (Name)palloc0(NAMEDATALEN);
    namestrcpy(nm, names[i]);
    elems[i] = NameGetDatum(nm);
  }
  return PointerGetDatum(construct_array(elems, n, NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR));
}

Datum bool_array(const bool* values, int n) {
  Datum* elems = (Datum*)palloc(sizeof(Datum) * (n > 0 ? n : 1));
  for (int i = 0; i < n; ++i) elems[i] = BoolGetDatum(values[i]);
  return PointerGetDatum(construct_array(elems, n, BOOLOID, 1, true, TYPALIGN_CHAR));
}

int read_names(const CatalogScan* scan, AttrNumber attno, char*** out) {
  bool isnull;
  Datum d = catalog_scan_datum(scan, attno, &isnull);
  *out = nullptr;
  if (isnull) return 0;
  Datum* elems;
  bool* nulls;
  int n;
  deconstruct_array(DatumGetArrayTypeP(d), NAMEOID, NAMEDATALEN, false, TYPALIGN_CHAR, &elems, &nulls, &n);
  *out = (char**)palloc(sizeof(char*) * (n > 0 ? n : 1));
  for (int i = 0; i < n; ++i) (*out)[i] = pstrdup(nulls[i] ? "" : NameStr(*DatumGetName(elems[i])));
  return n;
}

bool* read_bools(const CatalogScan* scan, AttrNumber attno, int expect) {
  bool isnull;
  Datum d = catalog_scan_datum(scan, attno, &isnull);
  bool* out = (bool*)palloc0(sizeof(bool) * (expect > 0 ? expect : 1));
  if (isnull) return out;
  Datum* elems;
  bool* nulls;
  int n;
  deconstruct_array(DatumGetArrayTypeP(d), BOOLOID, 1, true, TYPALIGN_CHAR, &elems, &nulls, &n);
  for (int i = 0; i < n && i < expect; ++i) out[i] = !nulls[i] && DatumGetBool(elems[i]);
  return out;
}

// The settings columns start at `first` (segmentby) in both tables, in the same order.
void read_settings(const CatalogScan* scan, AttrNumber first, CompressionSettings* s) {
  s->nsegmentby = read_names(scan, first, &s->segmentby);
  s->norderby = read_names(scan, first + 1, &s->orderby);
  s->orderby_desc = read_bools(scan, first + 2, s->norderby);
  s->orderby_nullsfirst = read_bools(scan, first + 3, s->norderby);
  s->nminmax = read_names(scan, first + 4, &s->minmax);
  s->nbloom = read_names(scan, first + 5, &s->bloom);
}

void fill_settings(Datum* values, AttrNumber first, const CompressionSettings* s) {
  values[first - 1] = name_array(s->segmentby, s->nsegmentby);
  values[first] = name_array(s->orderby, s->norderby);
  values[first + 1] = bool_array(s->orderby_desc, s->norderby);
  values[first + 2] = bool_array(s->orderby_nullsfirst, s->norderby);
  values[first + 3] = name_array(s->minmax, s->nminmax);
  values[first + 4] = name_array(s->bloom, s->nbloom);
}

}  // namespace

bool catalog_get_compression_settings(int32 hypertable_id, CompressionSettings* out) {
  CatalogScan scan;
  catalog_scan_init(&scan, CatalogIndex::compression_settings_pkey, AccessShareLock);
  catalog_scan_key_int4(&scan, col::compression_settings::hypertable_id, hypertable_id);
  catalog_scan_begin(&scan);
  bool found = catalog_scan_next(&scan);
  if (found) read_settings(&scan, col::compression_settings::segmentby, out);
  catalog_scan_end(&scan);
  return found;
}

void catalog_set_compression_settings(int32 hypertable_id, const CompressionSettings* settings) {
  Datum values[col::compression_settings::natts] = {};
  bool nulls[col::compression_settings::natts] = {};
  bool repl[col::compression_settings::natts];
  values[col::compression_settings::hypertable_id - 1] = Int32GetDatum(hypertable_id);
  fill_settings(values, col::compression_settings::segmentby, settings);
  for (bool& r : repl) r = true;
  if (catalog_update_where_int4(CatalogIndex::compression_settings_pkey, col::compression_settings::hypertable_id,
                                hypertable_id, values, nulls, repl) == 0)
    catalog_insert_row(CatalogTable::compression_settings, values, nulls);
  catalog_invalidate();
}

void catalog_delete_compression_settings(int32 hypertable_id) {
  catalog_delete_where_int4(CatalogIndex::compression_settings_pkey, col::compression_settings::hypertable_id,
                    hypertable_id);
  catalog_invalidate();
}

void catalog_set_compression_state(int32 hypertable_id, int16 state) {
  Datum values[col::hypertable::natts] = {};
  bool nulls[col::hypertable::natts] = {};
  bool repl[col::hypertable::natts] = {};
  values[col::hypertable::compression_state - 1] = Int16GetDatum(state);
  repl[col::hypertable::compression_state - 1] = true;
  catalog_update_where_int4(CatalogIndex::hypertable_pkey, col::hypertable::id, hypertable_id, values, nulls, repl);
  catalog_invalidate();
}

bool catalog_get_compressed_chunk(int32 chunk_id, CompressedChunk* out) {
  CatalogScan scan;
  catalog_scan_init(&scan, CatalogIndex::compressed_chunk_pkey, AccessShareLock);
  catalog_scan_key_int4(&scan, col::compressed_chunk::chunk_id, chunk_id);
  catalog_scan_begin(&scan);
  bool found = catalog_scan_next(&scan);
  if (found) {
    namespace c = col::compressed_chunk;
    out->chunk_id = chunk_id;
    out->hypertable_id = catalog_scan_int4(&scan, c::hypertable_id);
    namestrcpy(&out->schema_name, catalog_scan_name(&scan, c::schema_name));
    namestrcpy(&out->table_name, catalog_scan_name(&scan, c::table_name));
    read_settings(&scan, c::segmentby, &out->settings);
    out->format_version = catalog_scan_int2(&scan, c::format_version);
    bool isnull;
    out->compression_time = DatumGetTimestampTz(catalog_scan_datum(&scan, c::compression_time, &isnull));
    out->sizes.uncompressed_heap = catalog_scan_int8(&scan, c::uncompressed_heap_size);
    out->sizes.uncompressed_toast = catalog_scan_int8(&scan, c::uncompressed_toast_size);
    out->sizes.uncompressed_index = catalog_scan_int8(&scan, c::uncompressed_index_size);
    out->sizes.uncompressed_rows = catalog_scan_int8(&scan, c::uncompressed_rows);
    out->sizes.compressed_heap = catalog_scan_int8(&scan, c::compressed_heap_size);
    out->sizes.compressed_toast = catalog_scan_int8(&scan, c::compressed_toast_size);
    out->sizes.compressed_index = catalog_scan_int8(&scan, c::compressed_index_size);
    out->sizes.compressed_rows = catalog_scan_int8(&scan, c::compressed_rows);
    // (the column is NOT NULL DEFAULT true; a NULL is read as "may have some" only defensively)
    const Datum dicts = catalog_scan_datum(&scan, c::has_dictionaries, &isnull);
    out->has_dictionaries = isnull || DatumGetBool(dicts);
  }
  catalog_scan_end(&scan);
  return found;
}

void catalog_insert_compressed_chunk(const CompressedChunk* cc) {
  namespace c = col::compressed_chunk;
  Datum values[c::natts] = {};
  bool nulls[c::natts] = {};
  NameData schema = cc->schema_name, table = cc->table_name;
  values[c::chunk_id - 1] = Int32GetDatum(cc->chunk_id);
  values[c::hypertable_id - 1] = Int32GetDatum(cc->hypertable_id);
  values[c::schema_name - 1] = NameGetDatum(&schema);
  values[c::table_name - 1] = NameGetDatum(&table);
  fill_settings(values, c::segmentby, &cc->settings);
  values[c::format_version - 1] = Int16GetDatum(cc->format_version);
  values[c::compression_time - 1] = TimestampTzGetDatum(cc->compression_time);
  values[c::uncompressed_heap_size - 1] = Int64GetDatum(cc->sizes.uncompressed_heap);
  values[c::uncompressed_toast_size - 1] = Int64GetDatum(cc->sizes.uncompressed_toast);
  values[c::uncompressed_index_size - 1] = Int64GetDatum(cc->sizes.uncompressed_index);
  values[c::uncompressed_rows - 1] = Int64GetDatum(cc->sizes.uncompressed_rows);
  values[c::compressed_heap_size - 1] = Int64GetDatum(cc->sizes.compressed_heap);
  values[c::compressed_toast_size - 1] = Int64GetDatum(cc->sizes.compressed_toast);
  values[c::compressed_index_size - 1] = Int64GetDatum(cc->sizes.compressed_index);
  values[c::compressed_rows - 1] = Int64GetDatum(cc->sizes.compressed_rows);
  values[c::has_dictionaries - 1] = BoolGetDatum(cc->has_dictionaries);
  catalog_insert_row(CatalogTable::compressed_chunk, values, nulls);
  catalog_invalidate();
}

void catalog_delete_compressed_chunk(int32 chunk_id) {
  catalog_delete_where_int4(CatalogIndex::compressed_chunk_pkey, col::compressed_chunk::chunk_id, chunk_id);
  catalog_invalidate();
}

bool catalog_hypertable_has_compressed_chunks(int32 hypertable_id) {
  CatalogScan scan;
  catalog_scan_init(&scan, CatalogIndex::compressed_chunk_hypertable, AccessShareLock);
  catalog_scan_key_int4(&scan, col::compressed_chunk::hypertable_id, hypertable_id);
  catalog_scan_begin(&scan);
  bool found = catalog_scan_next(&scan);
  catalog_scan_end(&scan);
  return found;
}

void catalog_delete_compression_of_hypertable(int32 hypertable_id) {
  catalog_delete_where_int4(CatalogIndex::compressed_chunk_hypertable, col::compressed_chunk::hypertable_id,
                    hypertable_id);
  catalog_delete_where_int4(CatalogIndex::compression_settings_pkey, col::compression_settings::hypertable_id,
                    hypertable_id);
}

void chunk_note_rows_in_row_part(const ChunkInfo* chunk) {
  // The caller's ChunkInfo was read before its lock; a compression that committed while it
  // waited is seen by reading again (taking the lock processed the invalidation). A cache hit.
  ChunkInfo fresh;
  if (!chunk_get_by_id(chunk->id, &fresh)) return;
  if ((fresh.status & kChunkStatusCompressed) == 0 || (fresh.status & kChunkStatusPartial) != 0) return;
  LockRelationOid(chunk->relid, ShareUpdateExclusiveLock);
  if (!chunk_get_by_id(chunk->id, &fresh)) return;
  if ((fresh.status & kChunkStatusCompressed) == 0 || (fresh.status & kChunkStatusPartial) != 0) return;
  catalog_update_chunk_status(chunk->id, fresh.status | kChunkStatusPartial);
}

}  // namespace strata
