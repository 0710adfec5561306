// Catalog access: extension state, the per-backend hypertable cache, chunk lookups by time
// through the (hypertable_id, range_start) index, and direct-heap catalog writes.
#include "catalog/catalog.hpp"

#include "core/time/chunk_range.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/skey.h"
#include "catalog/indexing.h"
#include "commands/extension.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/timestamp.h"
}

namespace strata {

namespace {

enum class ExtState { unknown, inactive, active };

ExtState ext_state = ExtState::unknown;
CatalogOids oids;

struct HtCacheEntry {
  Oid relid;  // hash key
  bool is_hypertable;
  Hypertable ht;
};

HTAB* ht_cache = nullptr;
MemoryContext ht_cache_cxt = nullptr;

// Column numbers of the catalog tables (src/sql/10_catalog.sql).
enum { Anum_ht_id = 1, Anum_ht_schema, Anum_ht_table, Anum_ht_assoc_schema, Anum_ht_prefix,
       Anum_ht_compression_state, Natts_ht = Anum_ht_compression_state };
enum { Anum_dim_id = 1, Anum_dim_ht_id, Anum_dim_column, Anum_dim_type, Anum_dim_interval,
       Anum_dim_now_schema, Anum_dim_now_func, Natts_dim = Anum_dim_now_func };
enum { Anum_chunk_id = 1, Anum_chunk_ht_id, Anum_chunk_schema, Anum_chunk_table, Anum_chunk_start,
       Anum_chunk_end, Anum_chunk_created, Natts_chunk = Anum_chunk_created };
enum { Anum_ci_chunk_id = 1, Anum_ci_index_name, Anum_ci_ht_id, Anum_ci_ht_index_name,
       Natts_ci = Anum_ci_ht_index_name };

void reset_hypertable_cache() {
  if (ht_cache_cxt != nullptr) MemoryContextReset(ht_cache_cxt);
  ht_cache = nullptr;
}

void reset_all() {
  ext_state = ExtState::unknown;
  reset_hypertable_cache();
}

bool is_catalog_relid(Oid relid) {
  return ext_state == ExtState::active &&
         (relid == oids.hypertable || relid == oids.dimension || relid == oids.chunk ||
          relid == oids.chunk_index);
}

Oid rel_in(Oid nsp, const char* name) { return get_relname_relid(name, nsp); }

void lookup_extension_state() {
  ext_state = ExtState::inactive;
  Oid nsp = get_namespace_oid("_strata_catalog", true);
  if (!OidIsValid(nsp)) return;
  CatalogOids o{};
  o.catalog_namespace = nsp;
  o.internal_namespace = get_namespace_oid("_strata_internal", true);
  o.hypertable = rel_in(nsp, "hypertable");
  o.hypertable_name_idx = rel_in(nsp, "hypertable_schema_name_table_name_key");
  o.dimension = rel_in(nsp, "dimension");
  o.dimension_ht_idx = rel_in(nsp, "dimension_hypertable_id_column_name_key");
  o.chunk = rel_in(nsp, "chunk");
  o.chunk_pkey = rel_in(nsp, "chunk_pkey");
  o.chunk_name_idx = rel_in(nsp, "chunk_schema_name_table_name_key");
  o.chunk_range_idx = rel_in(nsp, "chunk_hypertable_id_range_start_idx");
  o.chunk_index = rel_in(nsp, "chunk_index");
  o.chunk_index_pkey = rel_in(nsp, "chunk_index_pkey");
  o.chunk_index_ht_idx = rel_in(nsp, "chunk_index_hypertable_idx");
  const Oid all[] = {o.internal_namespace, o.hypertable, o.hypertable_name_idx, o.dimension,
                     o.dimension_ht_idx, o.chunk, o.chunk_pkey, o.chunk_name_idx,
                     o.chunk_range_idx, o.chunk_index, o.chunk_index_pkey, o.chunk_index_ht_idx};
  for (Oid x : all)
    if (!OidIsValid(x)) return;  // partially created or being dropped
  oids = o;
  ext_state = ExtState::active;
}

void name_datum(NameData* storage, const char* s) { namestrcpy(storage, s); }

const char* name_at(HeapTuple tup, TupleDesc desc, int attno) {
  bool isnull;
  Datum d = heap_getattr(tup, attno, desc, &isnull);
  return isnull ? nullptr : NameStr(*DatumGetName(d));
}

int64 int8_at(HeapTuple tup, TupleDesc desc, int attno) {
  bool isnull;
  Datum d = heap_getattr(tup, attno, desc, &isnull);
  return isnull ? 0 : DatumGetInt64(d);
}

int32 int4_at(HeapTuple tup, TupleDesc desc, int attno) {
  bool isnull;
  Datum d = heap_getattr(tup, attno, desc, &isnull);
  return isnull ? 0 : DatumGetInt32(d);
}

// Reads the hypertable row and its first dimension into *ht. Returns false if not found.
bool load_hypertable(ScanKeyData* keys, int nkeys, Oid index, Hypertable* ht) {
  Relation rel = table_open(oids.hypertable, AccessShareLock);
  SysScanDesc scan = systable_beginscan(rel, index, true, nullptr, nkeys, keys);
  HeapTuple tup = systable_getnext(scan);
  bool found = HeapTupleIsValid(tup);
  if (found) {
    TupleDesc desc = RelationGetDescr(rel);
    memset(ht, 0, sizeof(*ht));
    ht->id = int4_at(tup, desc, Anum_ht_id);
    namestrcpy(&ht->schema_name, name_at(tup, desc, Anum_ht_schema));
    namestrcpy(&ht->table_name, name_at(tup, desc, Anum_ht_table));
    bool isnull;
    ht->compression_state = DatumGetInt16(heap_getattr(tup, Anum_ht_compression_state, desc, &isnull));
  }
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
  if (!found) return false;

  Oid nsp = get_namespace_oid(NameStr(ht->schema_name), true);
  ht->relid = OidIsValid(nsp) ? get_relname_relid(NameStr(ht->table_name), nsp) : InvalidOid;

  ScanKeyData dkey;
  ScanKeyInit(&dkey, Anum_dim_ht_id, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(ht->id));
  Relation drel = table_open(oids.dimension, AccessShareLock);
  SysScanDesc dscan = systable_beginscan(drel, oids.dimension_ht_idx, true, nullptr, 1, &dkey);
  HeapTuple dtup = systable_getnext(dscan);
  if (HeapTupleIsValid(dtup)) {
    TupleDesc desc = RelationGetDescr(drel);
    ht->dimension_id = int4_at(dtup, desc, Anum_dim_id);
    namestrcpy(&ht->time_column, name_at(dtup, desc, Anum_dim_column));
    ht->interval = int8_at(dtup, desc, Anum_dim_interval);
    const char* ns = name_at(dtup, desc, Anum_dim_now_schema);
    const char* fn = name_at(dtup, desc, Anum_dim_now_func);
    if (ns != nullptr && fn != nullptr) {
      namestrcpy(&ht->integer_now_schema, ns);
      namestrcpy(&ht->integer_now_func, fn);
    }
  }
  systable_endscan(dscan);
  table_close(drel, AccessShareLock);

  if (OidIsValid(ht->relid) && NameStr(ht->time_column)[0] != '\0') {
    ht->time_attno = get_attnum(ht->relid, NameStr(ht->time_column));
    if (ht->time_attno != InvalidAttrNumber) {
      ht->time_type = get_atttype(ht->relid, ht->time_attno);
      time_type_supported(ht->time_type, &ht->kind);
    }
  }
  return true;
}

HtCacheEntry* cache_lookup(Oid relid) {
  if (ht_cache == nullptr) {
    if (ht_cache_cxt == nullptr)
      ht_cache_cxt = AllocSetContextCreate(CacheMemoryContext, "strata hypertable cache",
                                           ALLOCSET_SMALL_SIZES);
    HASHCTL ctl;
    memset(&ctl, 0, sizeof ctl);
    ctl.keysize = sizeof(Oid);
    ctl.entrysize = sizeof(HtCacheEntry);
    ctl.hcxt = ht_cache_cxt;
    ht_cache = hash_create("strata hypertables", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
  }
  bool found;
  auto* entry = static_cast<HtCacheEntry*>(hash_search(ht_cache, &relid, HASH_FIND, &found));
  if (found) return entry;

  // Resolve outside the hash entry: the lookups below may process invalidations that reset the
  // cache.
  Hypertable ht;
  bool is_ht = false;
  if (get_rel_relkind(relid) == RELKIND_RELATION) {
    char* relname = get_rel_name(relid);
    char* nspname = relname ? get_namespace_name(get_rel_namespace(relid)) : nullptr;
    if (relname != nullptr && nspname != nullptr) {
      ScanKeyData keys[2];
      NameData n1, n2;
      namestrcpy(&n1, nspname);
      namestrcpy(&n2, relname);
      ScanKeyInit(&keys[0], Anum_ht_schema, BTEqualStrategyNumber, F_NAMEEQ, NameGetDatum(&n1));
      ScanKeyInit(&keys[1], Anum_ht_table, BTEqualStrategyNumber, F_NAMEEQ, NameGetDatum(&n2));
      is_ht = load_hypertable(keys, 2, oids.hypertable_name_idx, &ht) && ht.relid == relid;
    }
  }
  if (ht_cache == nullptr) return cache_lookup(relid);  // reset while loading: start over
  entry = static_cast<HtCacheEntry*>(hash_search(ht_cache, &relid, HASH_ENTER, &found));
  entry->is_hypertable = is_ht;
  if (is_ht) entry->ht = ht;
  return entry;
}

Oid seq_oid(const char* name) { return get_relname_relid(name, oids.catalog_namespace); }

void fill_chunk(HeapTuple tup, TupleDesc desc, ChunkInfo* out) {
  memset(out, 0, sizeof(*out));
  out->id = int4_at(tup, desc, Anum_chunk_id);
  out->hypertable_id = int4_at(tup, desc, Anum_chunk_ht_id);
  namestrcpy(&out->schema_name, name_at(tup, desc, Anum_chunk_schema));
  namestrcpy(&out->table_name, name_at(tup, desc, Anum_chunk_table));
  out->range_start = int8_at(tup, desc, Anum_chunk_start);
  out->range_end = int8_at(tup, desc, Anum_chunk_end);
  Oid nsp = get_namespace_oid(NameStr(out->schema_name), true);
  out->relid = OidIsValid(nsp) ? get_relname_relid(NameStr(out->table_name), nsp) : InvalidOid;
}

bool chunk_scan_one(Oid index, ScanKeyData* keys, int nkeys, ChunkInfo* out) {
  Relation rel = table_open(oids.chunk, AccessShareLock);
  SysScanDesc scan = systable_beginscan(rel, index, true, nullptr, nkeys, keys);
  HeapTuple tup = systable_getnext(scan);
  bool found = HeapTupleIsValid(tup);
  if (found) fill_chunk(tup, RelationGetDescr(rel), out);
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
  return found;
}

bool overlaps(int64 start, int64 end, int64 lo) { return end == core::kOpenEnd || end > lo; }

}  // namespace

void catalog_relcache_invalidated(Oid relid) {
  if (relid == InvalidOid || is_catalog_relid(relid)) {
    reset_all();
    return;
  }
  if (ht_cache != nullptr) hash_search(ht_cache, &relid, HASH_REMOVE, nullptr);
}

void catalog_namespace_invalidated(int, uint32) { reset_all(); }

bool extension_is_active() {
  if (!IsNormalProcessingMode() || !IsTransactionState()) return false;
  if (ext_state == ExtState::unknown) lookup_extension_state();
  if (ext_state != ExtState::active) return false;
  // Inside CREATE/ALTER EXTENSION strata's own script the catalog is not ready for use.
  if (creating_extension && CurrentExtensionObject == get_extension_oid("strata", true)) return false;
  return true;
}

const CatalogOids& catalog_oids() {
  if (!extension_is_active())
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("the strata extension is not installed in this database")));
  return oids;
}

Hypertable* hypertable_get(Oid relid) {
  if (!OidIsValid(relid) || !extension_is_active()) return nullptr;
  HtCacheEntry* e = cache_lookup(relid);
  if (!e->is_hypertable) return nullptr;
  auto* copy = static_cast<Hypertable*>(palloc(sizeof(Hypertable)));
  *copy = e->ht;
  return copy;
}

bool is_hypertable(Oid relid) {
  if (!OidIsValid(relid) || !extension_is_active()) return false;
  return cache_lookup(relid)->is_hypertable;
}

Hypertable* hypertable_get_by_id(int32 id) {
  catalog_oids();
  ScanKeyData key;
  ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(id));
  auto* ht = static_cast<Hypertable*>(palloc0(sizeof(Hypertable)));
  Oid pkey = get_relname_relid("hypertable_pkey", oids.catalog_namespace);
  if (!load_hypertable(&key, 1, pkey, ht)) return nullptr;
  return ht;
}

List* hypertable_list_all() {
  catalog_oids();
  List* ids = NIL;
  Relation rel = table_open(oids.hypertable, AccessShareLock);
  SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, nullptr, 0, nullptr);
  HeapTuple tup;
  while (HeapTupleIsValid(tup = systable_getnext(scan)))
    ids = lappend_int(ids, int4_at(tup, RelationGetDescr(rel), Anum_ht_id));
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
  List* result = NIL;
  ListCell* lc;
  foreach (lc, ids) {
    Hypertable* ht = hypertable_get_by_id(lfirst_int(lc));
    if (ht != nullptr) result = lappend(result, ht);
  }
  return result;
}

bool time_type_supported(Oid type, TimeKind* kind) {
  TimeKind k;
  switch (type) {
    case TIMESTAMPTZOID: k = TimeKind::timestamptz; break;
    case TIMESTAMPOID: k = TimeKind::timestamp; break;
    case DATEOID: k = TimeKind::date; break;
    case INT2OID: k = TimeKind::int16; break;
    case INT4OID: k = TimeKind::int32; break;
    case INT8OID: k = TimeKind::int64; break;
    default: return false;
  }
  if (kind != nullptr) *kind = k;
  return true;
}

int64 time_datum_to_internal(Datum value, Oid type) {
  switch (type) {
    case TIMESTAMPTZOID:
    case TIMESTAMPOID:
      return core::pg_timestamp_to_unix_usec(DatumGetInt64(value));
    case DATEOID:
      return core::pg_date_to_unix_usec(DatumGetDateADT(value));
    case INT2OID:
      return DatumGetInt16(value);
    case INT4OID:
      return DatumGetInt32(value);
    case INT8OID:
      return DatumGetInt64(value);
    default:
      ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                      errmsg("unsupported time type %s", format_type_be(type))));
  }
  pg_unreachable();
}

Datum internal_to_time_datum(int64 value, Oid type) {
  switch (type) {
    case TIMESTAMPTZOID:
      return TimestampTzGetDatum(core::unix_usec_to_pg_timestamp(value));
    case TIMESTAMPOID:
      return TimestampGetDatum(core::unix_usec_to_pg_timestamp(value));
    case DATEOID:
      return DateADTGetDatum(core::unix_usec_to_pg_date_ceil(value));
    case INT2OID:
      return Int16GetDatum(static_cast<int16>(Max(Min(value, (int64)PG_INT16_MAX), (int64)PG_INT16_MIN)));
    case INT4OID:
      return Int32GetDatum(static_cast<int32>(Max(Min(value, (int64)PG_INT32_MAX), (int64)PG_INT32_MIN)));
    case INT8OID:
      return Int64GetDatum(value);
    default:
      ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                      errmsg("unsupported time type %s", format_type_be(type))));
  }
  pg_unreachable();
}

void time_type_domain(Oid type, int64* min, int64* max) {
  switch (type) {
    case INT2OID: *min = PG_INT16_MIN; *max = PG_INT16_MAX; return;
    case INT4OID: *min = PG_INT32_MIN; *max = PG_INT32_MAX; return;
    default: *min = PG_INT64_MIN; *max = PG_INT64_MAX; return;
  }
}

namespace {

// Chunks of `ht` with range_start <= upto, newest first, through the (hypertable_id,
// range_start) index. `visit` returns false to stop.
template <typename Visit>
void scan_chunks_backward(const Hypertable* ht, int64 upto, Visit visit) {
  catalog_oids();
  ScanKeyData keys[2];
  ScanKeyInit(&keys[0], Anum_chunk_ht_id, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(ht->id));
  ScanKeyInit(&keys[1], Anum_chunk_start, BTLessEqualStrategyNumber, F_INT8LE, Int64GetDatum(upto));
  Relation rel = table_open(oids.chunk, AccessShareLock);
  Relation idx = index_open(oids.chunk_range_idx, AccessShareLock);
  SysScanDesc scan = systable_beginscan_ordered(rel, idx, nullptr, 2, keys);
  HeapTuple tup;
  while (HeapTupleIsValid(tup = systable_getnext_ordered(scan, BackwardScanDirection)))
    if (!visit(tup, RelationGetDescr(rel))) break;
  systable_endscan_ordered(scan);
  index_close(idx, AccessShareLock);
  table_close(rel, AccessShareLock);
}

}  // namespace

bool chunk_find_by_value(const Hypertable* ht, int64 value, ChunkInfo* out) {
  bool found = false;
  scan_chunks_backward(ht, value, [&](HeapTuple tup, TupleDesc desc) {
    fill_chunk(tup, desc, out);  // the chunk starting last at or before `value`
    found = out->range_end == core::kOpenEnd || value < out->range_end;
    return false;
  });
  return found;
}

List* chunk_list_overlapping(const Hypertable* ht, int64 lo, int64 hi, bool ascending) {
  if (lo > hi) return NIL;
  List* result = NIL;
  scan_chunks_backward(ht, hi, [&](HeapTuple tup, TupleDesc desc) {
    auto* c = static_cast<ChunkInfo*>(palloc(sizeof(ChunkInfo)));
    fill_chunk(tup, desc, c);
    if (!overlaps(c->range_start, c->range_end, lo)) {
      pfree(c);
      return false;  // chunks do not overlap: every earlier chunk ends before this one starts
    }
    result = ascending ? lcons(c, result) : lappend(result, c);
    return true;
  });
  return result;
}

List* chunk_list_all(const Hypertable* ht) {
  return chunk_list_overlapping(ht, PG_INT64_MIN, PG_INT64_MAX, true);
}

bool chunk_get_by_relid(Oid relid, ChunkInfo* out) {
  if (!extension_is_active()) return false;
  char* relname = get_rel_name(relid);
  if (relname == nullptr) return false;
  char* nspname = get_namespace_name(get_rel_namespace(relid));
  NameData n1, n2;
  namestrcpy(&n1, nspname);
  namestrcpy(&n2, relname);
  ScanKeyData keys[2];
  ScanKeyInit(&keys[0], Anum_chunk_schema, BTEqualStrategyNumber, F_NAMEEQ, NameGetDatum(&n1));
  ScanKeyInit(&keys[1], Anum_chunk_table, BTEqualStrategyNumber, F_NAMEEQ, NameGetDatum(&n2));
  return chunk_scan_one(oids.chunk_name_idx, keys, 2, out);
}

bool chunk_get_by_id(int32 id, ChunkInfo* out) {
  catalog_oids();
  ScanKeyData key;
  ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(id));
  return chunk_scan_one(oids.chunk_pkey, &key, 1, out);
}

int32 catalog_insert_hypertable(Oid relid, const char* time_column, Oid time_type, int64 interval) {
  catalog_oids();
  int32 id = static_cast<int32>(nextval_internal(seq_oid("hypertable_id_seq"), false));
  NameData schema, table, assoc, prefix;
  name_datum(&schema, get_namespace_name(get_rel_namespace(relid)));
  name_datum(&table, get_rel_name(relid));
  name_datum(&assoc, "_strata_internal");
  char prefix_buf[NAMEDATALEN];
  snprintf(prefix_buf, sizeof prefix_buf, "_hyper_%d", id);
  name_datum(&prefix, prefix_buf);

  Datum values[Natts_ht];
  bool nulls[Natts_ht] = {};
  values[Anum_ht_id - 1] = Int32GetDatum(id);
  values[Anum_ht_schema - 1] = NameGetDatum(&schema);
  values[Anum_ht_table - 1] = NameGetDatum(&table);
  values[Anum_ht_assoc_schema - 1] = NameGetDatum(&assoc);
  values[Anum_ht_prefix - 1] = NameGetDatum(&prefix);
  values[Anum_ht_compression_state - 1] = Int16GetDatum(0);
  Relation rel = table_open(oids.hypertable, RowExclusiveLock);
  HeapTuple tup = heap_form_tuple(RelationGetDescr(rel), values, nulls);
  CatalogTupleInsert(rel, tup);
  table_close(rel, RowExclusiveLock);

  int32 dim_id = static_cast<int32>(nextval_internal(seq_oid("dimension_id_seq"), false));
  NameData col;
  name_datum(&col, time_column);
  Datum dvalues[Natts_dim];
  bool dnulls[Natts_dim] = {};
  dvalues[Anum_dim_id - 1] = Int32GetDatum(dim_id);
  dvalues[Anum_dim_ht_id - 1] = Int32GetDatum(id);
  dvalues[Anum_dim_column - 1] = NameGetDatum(&col);
  dvalues[Anum_dim_type - 1] = ObjectIdGetDatum(time_type);
  dvalues[Anum_dim_interval - 1] = Int64GetDatum(interval);
  dnulls[Anum_dim_now_schema - 1] = true;
  dnulls[Anum_dim_now_func - 1] = true;
  Relation drel = table_open(oids.dimension, RowExclusiveLock);
  HeapTuple dtup = heap_form_tuple(RelationGetDescr(drel), dvalues, dnulls);
  CatalogTupleInsert(drel, dtup);
  table_close(drel, RowExclusiveLock);
  catalog_invalidate();
  return id;
}

int32 catalog_next_chunk_id() {
  catalog_oids();
  return static_cast<int32>(nextval_internal(seq_oid("chunk_id_seq"), false));
}

void catalog_insert_chunk(int32 chunk_id, int32 hypertable_id, const char* schema, const char* table,
                          int64 range_start, int64 range_end) {
  catalog_oids();
  NameData s, t;
  name_datum(&s, schema);
  name_datum(&t, table);
  Datum values[Natts_chunk];
  bool nulls[Natts_chunk] = {};
  values[Anum_chunk_id - 1] = Int32GetDatum(chunk_id);
  values[Anum_chunk_ht_id - 1] = Int32GetDatum(hypertable_id);
  values[Anum_chunk_schema - 1] = NameGetDatum(&s);
  values[Anum_chunk_table - 1] = NameGetDatum(&t);
  values[Anum_chunk_start - 1] = Int64GetDatum(range_start);
  values[Anum_chunk_end - 1] = Int64GetDatum(range_end);
  values[Anum_chunk_created - 1] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
  Relation rel = table_open(oids.chunk, RowExclusiveLock);
  HeapTuple tup = heap_form_tuple(RelationGetDescr(rel), values, nulls);
  CatalogTupleInsert(rel, tup);
  table_close(rel, RowExclusiveLock);
  catalog_invalidate();
}

void catalog_insert_chunk_index(int32 chunk_id, const char* index_name, int32 hypertable_id,
                                const char* hypertable_index_name) {
  catalog_oids();
  NameData i1, i2;
  name_datum(&i1, index_name);
  name_datum(&i2, hypertable_index_name);
  Datum values[Natts_ci];
  bool nulls[Natts_ci] = {};
  values[Anum_ci_chunk_id - 1] = Int32GetDatum(chunk_id);
  values[Anum_ci_index_name - 1] = NameGetDatum(&i1);
  values[Anum_ci_ht_id - 1] = Int32GetDatum(hypertable_id);
  values[Anum_ci_ht_index_name - 1] = NameGetDatum(&i2);
  Relation rel = table_open(oids.chunk_index, RowExclusiveLock);
  HeapTuple tup = heap_form_tuple(RelationGetDescr(rel), values, nulls);
  CatalogTupleInsert(rel, tup);
  table_close(rel, RowExclusiveLock);
}

namespace {

// Deletes (or updates through `update`) every tuple of `relid` matching the keys on `index`.
template <typename Update>
int for_each_matching(Oid relid, Oid index, ScanKeyData* keys, int nkeys, Update update) {
  Relation rel = table_open(relid, RowExclusiveLock);
  SysScanDesc scan = systable_beginscan(rel, index, true, nullptr, nkeys, keys);
  HeapTuple tup;
  int n = 0;
  while (HeapTupleIsValid(tup = systable_getnext(scan))) {
    update(rel, tup);
    ++n;
  }
  systable_endscan(scan);
  table_close(rel, RowExclusiveLock);
  return n;
}

void delete_tuple(Relation rel, HeapTuple tup) { CatalogTupleDelete(rel, &tup->t_self); }

}  // namespace

void catalog_delete_chunk(int32 chunk_id) {
  catalog_oids();
  ScanKeyData key;
  ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(chunk_id));
  for_each_matching(oids.chunk_index, oids.chunk_index_pkey, &key, 1, delete_tuple);
  ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(chunk_id));
  for_each_matching(oids.chunk, oids.chunk_pkey, &key, 1, delete_tuple);
  catalog_invalidate();
}

static void update_dimension(int32 dimension_id, int attno1, Datum v1, bool n1, int attno2, Datum v2,
                             bool n2) {
  catalog_oids();
  ScanKeyData key;
  ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(dimension_id));
  Oid pkey = get_relname_relid("dimension_pkey", oids.catalog_namespace);
  for_each_matching(oids.dimension, pkey, &key, 1, [&](Relation rel, HeapTuple tup) {
    Datum values[Natts_dim] = {};
    bool nulls[Natts_dim] = {};
    bool repl[Natts_dim] = {};
    values[attno1 - 1] = v1;
    nulls[attno1 - 1] = n1;
    repl[attno1 - 1] = true;
    if (attno2 > 0) {
      values[attno2 - 1] = v2;
      nulls[attno2 - 1] = n2;
      repl[attno2 - 1] = true;
    }
    HeapTuple newtup = heap_modify_tuple(tup, RelationGetDescr(rel), values, nulls, repl);
    CatalogTupleUpdate(rel, &tup->t_self, newtup);
  });
  catalog_invalidate();
}

void catalog_update_interval(int32 dimension_id, int64 interval) {
  update_dimension(dimension_id, Anum_dim_interval, Int64GetDatum(interval), false, 0, 0, false);
}

void catalog_update_integer_now(int32 dimension_id, const char* schema, const char* func) {
  NameData s, f;
  if (schema != nullptr) name_datum(&s, schema);
  if (func != nullptr) name_datum(&f, func);
  update_dimension(dimension_id, Anum_dim_now_schema, NameGetDatum(&s), schema == nullptr,
                   Anum_dim_now_func, NameGetDatum(&f), func == nullptr);
}

void catalog_rename_hypertable(int32 hypertable_id, const char* schema, const char* table) {
  catalog_oids();
  ScanKeyData key;
  ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(hypertable_id));
  Oid pkey = get_relname_relid("hypertable_pkey", oids.catalog_namespace);
  NameData s, t;
  name_datum(&s, schema);
  name_datum(&t, table);
  for_each_matching(oids.hypertable, pkey, &key, 1, [&](Relation rel, HeapTuple tup) {
    Datum values[Natts_ht] = {};
    bool nulls[Natts_ht] = {};
    bool repl[Natts_ht] = {};
    values[Anum_ht_schema - 1] = NameGetDatum(&s);
    values[Anum_ht_table - 1] = NameGetDatum(&t);
    repl[Anum_ht_schema - 1] = repl[Anum_ht_table - 1] = true;
    HeapTuple newtup = heap_modify_tuple(tup, RelationGetDescr(rel), values, nulls, repl);
    CatalogTupleUpdate(rel, &tup->t_self, newtup);
  });
  catalog_invalidate();
}

char* catalog_chunk_index_for(int32 chunk_id, const char* ht_index_name) {
  catalog_oids();
  ScanKeyData key;
  ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(chunk_id));
  Relation rel = table_open(oids.chunk_index, AccessShareLock);
  SysScanDesc scan = systable_beginscan(rel, oids.chunk_index_pkey, true, nullptr, 1, &key);
  HeapTuple tup;
  char* result = nullptr;
  while (HeapTupleIsValid(tup = systable_getnext(scan))) {
    if (strcmp(name_at(tup, RelationGetDescr(rel), Anum_ci_ht_index_name), ht_index_name) == 0) {
      result = pstrdup(name_at(tup, RelationGetDescr(rel), Anum_ci_index_name));
      break;
    }
  }
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
  return result;
}

List* catalog_chunk_indexes_of(int32 hypertable_id, const char* ht_index_name, List** chunk_ids) {
  catalog_oids();
  NameData n;
  name_datum(&n, ht_index_name);
  ScanKeyData keys[2];
  ScanKeyInit(&keys[0], Anum_ci_ht_id, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(hypertable_id));
  ScanKeyInit(&keys[1], Anum_ci_ht_index_name, BTEqualStrategyNumber, F_NAMEEQ, NameGetDatum(&n));
  Relation rel = table_open(oids.chunk_index, AccessShareLock);
  SysScanDesc scan = systable_beginscan(rel, oids.chunk_index_ht_idx, true, nullptr, 2, keys);
  HeapTuple tup;
  List* names = NIL;
  if (chunk_ids != nullptr) *chunk_ids = NIL;
  while (HeapTupleIsValid(tup = systable_getnext(scan))) {
    names = lappend(names, pstrdup(name_at(tup, RelationGetDescr(rel), Anum_ci_index_name)));
    if (chunk_ids != nullptr)
      *chunk_ids = lappend_int(*chunk_ids, int4_at(tup, RelationGetDescr(rel), Anum_ci_chunk_id));
  }
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
  return names;
}

void catalog_rename_hypertable_index(int32 hypertable_id, const char* old_name, const char* new_name) {
  catalog_oids();
  NameData o, nn;
  name_datum(&o, old_name);
  name_datum(&nn, new_name);
  ScanKeyData keys[2];
  ScanKeyInit(&keys[0], Anum_ci_ht_id, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(hypertable_id));
  ScanKeyInit(&keys[1], Anum_ci_ht_index_name, BTEqualStrategyNumber, F_NAMEEQ, NameGetDatum(&o));
  for_each_matching(oids.chunk_index, oids.chunk_index_ht_idx, keys, 2, [&](Relation rel, HeapTuple tup) {
    Datum values[Natts_ci] = {};
    bool nulls[Natts_ci] = {};
    bool repl[Natts_ci] = {};
    values[Anum_ci_ht_index_name - 1] = NameGetDatum(&nn);
    repl[Anum_ci_ht_index_name - 1] = true;
    HeapTuple newtup = heap_modify_tuple(tup, RelationGetDescr(rel), values, nulls, repl);
    CatalogTupleUpdate(rel, &tup->t_self, newtup);
  });
}

void catalog_delete_chunk_indexes_of(int32 hypertable_id, const char* ht_index_name) {
  catalog_oids();
  NameData n;
  name_datum(&n, ht_index_name);
  ScanKeyData keys[2];
  ScanKeyInit(&keys[0], Anum_ci_ht_id, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(hypertable_id));
  ScanKeyInit(&keys[1], Anum_ci_ht_index_name, BTEqualStrategyNumber, F_NAMEEQ, NameGetDatum(&n));
  for_each_matching(oids.chunk_index, oids.chunk_index_ht_idx, keys, 2, delete_tuple);
}

void catalog_invalidate() {
  // The caller's own table_open may have processed another backend's invalidation and reset the
  // state (reset_all); look it up again rather than skip this write's invalidation.
  if (ext_state == ExtState::unknown && IsNormalProcessingMode() && IsTransactionState()) lookup_extension_state();
  if (ext_state == ExtState::active) CacheInvalidateRelcacheByRelid(oids.hypertable);
}

}  // namespace strata

// Statement trigger on the catalog tables: any change, however made, resets every backend's cache.
STRATA_FUNCTION(strata_catalog_changed) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("strata_catalog_changed must be called as a trigger")));
  strata::catalog_invalidate();
  return PointerGetDatum(nullptr);
}
