// Continuous aggregate catalog access: OIDs of the catalog relations, reading rows, the
// per-backend "which hypertables have aggregates" cache, the threshold / refresh locks, the
// invalidation log writer and the SPI statement helpers.
#include "caggs/internal.hpp"

#include "core/time/chunk_range.hpp"
#include "pg/internal_user.hpp"

extern "C" {
#include "access/skey.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "storage/lmgr.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/snapmgr.h"
}

namespace strata::caggs {

namespace {

bool oids_valid = false;
CaggOids oids;
HTAB* exists_cache = nullptr;  // hypertable id -> has aggregates
uint64 exists_generation = 0;  // bumped at every reset of exists_cache
Oid ht_catalog_oid = InvalidOid;  // _strata_catalog.hypertable: its invalidations reset the cache

struct ExistsEntry {
  int32 ht_id;
  bool exists;
};

void fill_cagg(HeapTuple tup, TupleDesc desc, Cagg* c) {
  memset(c, 0, sizeof(*c));
  bool isnull;
  c->mat_id = DatumGetInt32(heap_getattr(tup, Anum_ca_mat_id, desc, &isnull));
  c->raw_id = DatumGetInt32(heap_getattr(tup, Anum_ca_raw_id, desc, &isnull));
  Datum d = heap_getattr(tup, Anum_ca_parent_id, desc, &isnull);
  c->parent_mat_id = isnull ? 0 : DatumGetInt32(d);
  namestrcpy(&c->user_schema, NameStr(*DatumGetName(heap_getattr(tup, Anum_ca_user_schema, desc, &isnull))));
  namestrcpy(&c->user_name, NameStr(*DatumGetName(heap_getattr(tup, Anum_ca_user_name, desc, &isnull))));
  namestrcpy(&c->direct_schema, NameStr(*DatumGetName(heap_getattr(tup, Anum_ca_direct_schema, desc, &isnull))));
  namestrcpy(&c->direct_name, NameStr(*DatumGetName(heap_getattr(tup, Anum_ca_direct_name, desc, &isnull))));
  c->materialized_only = DatumGetBool(heap_getattr(tup, Anum_ca_mat_only, desc, &isnull));
  c->bucket_width = TextDatumGetCString(heap_getattr(tup, Anum_ca_bucket_width, desc, &isnull));
  c->threshold = DatumGetInt64(heap_getattr(tup, Anum_ca_threshold, desc, &isnull));
  c->watermark = DatumGetInt64(heap_getattr(tup, Anum_ca_watermark, desc, &isnull));
  Oid nsp = get_namespace_oid(NameStr(c->user_schema), true);
  c->user_view = OidIsValid(nsp) ? get_relname_relid(NameStr(c->user_name), nsp) : InvalidOid;
  nsp = get_namespace_oid(NameStr(c->direct_schema), true);
  c->direct_view = OidIsValid(nsp) ? get_relname_relid(NameStr(c->direct_name), nsp) : InvalidOid;
}

// Visits the rows of continuous_agg matching `keys` on `index`; visit returns false to stop.
template <typename Visit>
void scan_caggs(Oid index, ScanKeyData* keys, int nkeys, Snapshot snapshot, Visit visit) {
  const CaggOids& o = cagg_oids();
  Relation rel = table_open(o.cagg, AccessShareLock);
  SysScanDesc scan = systable_beginscan(rel, index, true, snapshot, nkeys, keys);
  HeapTuple tup;
  while (HeapTupleIsValid(tup = systable_getnext(scan)))
    if (!visit(tup, RelationGetDescr(rel))) break;
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
}

Cagg* get_one(Oid index, ScanKeyData* keys, int nkeys) {
  Cagg* result = nullptr;
  scan_caggs(index, keys, nkeys, nullptr, [&](HeapTuple tup, TupleDesc desc) {
    result = static_cast<Cagg*>(palloc(sizeof(Cagg)));
    fill_cagg(tup, desc, result);
    return false;
  });
  return result;
}

}  // namespace

void reset_caches() {
  oids_valid = false;
  if (exists_cache != nullptr) hash_destroy(exists_cache);
  exists_cache = nullptr;
  ++exists_generation;
}

}  // namespace strata::caggs

namespace strata {

uint64 caggs_exists_generation() { return caggs::exists_generation; }

// The catalog_changed trigger on continuous_agg (as on every catalog table) sends a relcache
// invalidation of _strata_catalog.hypertable.
void caggs_relcache_invalidated(Oid relid) {
  if (relid == InvalidOid || (OidIsValid(caggs::ht_catalog_oid) && relid == caggs::ht_catalog_oid))
    caggs::reset_caches();
}

void caggs_namespace_invalidated(int, uint32) { caggs::reset_caches(); }

}  // namespace strata

namespace strata::caggs {

const CaggOids& cagg_oids() {
  if (oids_valid) return oids;
  Oid nsp = catalog_namespace_oid();
  CaggOids o{};
  o.cagg = get_relname_relid("continuous_agg", nsp);
  o.cagg_pkey = get_relname_relid("continuous_agg_pkey", nsp);
  o.cagg_raw_idx = get_relname_relid("continuous_agg_raw_hypertable_id_idx", nsp);
  o.cagg_name_idx = get_relname_relid("continuous_agg_user_view_schema_user_view_name_key", nsp);
  o.invalidation = get_relname_relid("continuous_agg_invalidation", nsp);
  o.invalidation_idx = get_relname_relid("continuous_agg_invalidation_idx", nsp);
  if (!OidIsValid(o.cagg) || !OidIsValid(o.cagg_pkey) || !OidIsValid(o.cagg_raw_idx) ||
      !OidIsValid(o.cagg_name_idx) || !OidIsValid(o.invalidation) || !OidIsValid(o.invalidation_idx))
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("the continuous aggregate catalog of strata is missing"),
                    errhint("Update the extension with ALTER EXTENSION strata UPDATE.")));
  oids = o;
  oids_valid = true;
  return oids;
}

Cagg* cagg_get_by_mat_id(int32 mat_id) {
  ScanKeyData key;
  ScanKeyInit(&key, Anum_ca_mat_id, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(mat_id));
  return get_one(cagg_oids().cagg_pkey, &key, 1);
}

Cagg* cagg_get_by_view(Oid relid) {
  if (!extension_is_active()) return nullptr;
  char relkind = get_rel_relkind(relid);
  if (relkind != RELKIND_VIEW) return nullptr;
  NameData s, n;
  namestrcpy(&s, get_namespace_name(get_rel_namespace(relid)));
  namestrcpy(&n, get_rel_name(relid));
  ScanKeyData keys[2];
  ScanKeyInit(&keys[0], Anum_ca_user_schema, BTEqualStrategyNumber, F_NAMEEQ, NameGetDatum(&s));
  ScanKeyInit(&keys[1], Anum_ca_user_name, BTEqualStrategyNumber, F_NAMEEQ, NameGetDatum(&n));
  return get_one(cagg_oids().cagg_name_idx, keys, 2);
}

Cagg* cagg_get_by_mat_relid(Oid relid) {
  Hypertable* ht = hypertable_get(relid);
  return ht != nullptr ? cagg_get_by_mat_id(ht->id) : nullptr;
}

List* cagg_list_by_raw(int32 raw_id) {
  ScanKeyData key;
  ScanKeyInit(&key, Anum_ca_raw_id, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(raw_id));
  List* result = NIL;
  scan_caggs(cagg_oids().cagg_raw_idx, &key, 1, nullptr, [&](HeapTuple tup, TupleDesc desc) {
    auto* c = static_cast<Cagg*>(palloc(sizeof(Cagg)));
    fill_cagg(tup, desc, c);
    result = lappend(result, c);
    return true;
  });
  return result;
}

bool cagg_exists_on(int32 ht_id) {
  if (exists_cache == nullptr) {
    ht_catalog_oid = catalog_table_oid(CatalogTable::hypertable);
    HASHCTL ctl;
    memset(&ctl, 0, sizeof ctl);
    ctl.keysize = sizeof(int32);
    ctl.entrysize = sizeof(ExistsEntry);
    ctl.hcxt = CacheMemoryContext;
    exists_cache = hash_create("strata continuous aggregates by hypertable", 16, &ctl,
                               HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
  }
  bool found;
  auto* e = static_cast<ExistsEntry*>(hash_search(exists_cache, &ht_id, HASH_FIND, &found));
  if (found) return e->exists;
  ScanKeyData key;
  ScanKeyInit(&key, Anum_ca_raw_id, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(ht_id));
  bool exists = false;
  // A catalog from before continuous aggregates (not yet ALTER EXTENSION UPDATEd) has none.
  if (!OidIsValid(get_relname_relid("continuous_agg", catalog_namespace_oid()))) return false;
  scan_caggs(cagg_oids().cagg_raw_idx, &key, 1, nullptr, [&](HeapTuple, TupleDesc) {
    exists = true;
    return false;
  });
  if (exists_cache == nullptr) return exists;  // reset while scanning: do not cache
  e = static_cast<ExistsEntry*>(hash_search(exists_cache, &ht_id, HASH_ENTER, &found));
  e->exists = exists;
  return exists;
}

void lock_threshold(int32 mat_id, LOCKMODE mode) {
  LockDatabaseObject(cagg_oids().cagg, static_cast<Oid>(mat_id), 0, mode);
}

void unlock_threshold(int32 mat_id) {
  UnlockDatabaseObject(cagg_oids().cagg, static_cast<Oid>(mat_id), 0, ExclusiveLock);
}

void lock_refresh(int32 mat_id) {
  LockDatabaseObject(cagg_oids().cagg, static_cast<Oid>(mat_id), 1, ExclusiveLock);
}

int64 read_threshold(int32 mat_id) {
  // Our catalog tables have no syscache, so a catalog snapshot taken now sees every commit that
  // happened before the lock was granted.
  Cagg* c = cagg_get_by_mat_id(mat_id);
  return c != nullptr ? c->threshold : core::kOpenEnd;
}

void log_invalidation(int32 mat_id, int64 lowest, int64 greatest) {
  Datum values[Natts_inv];
  bool nulls[Natts_inv] = {};
  values[Anum_inv_mat_id - 1] = Int32GetDatum(mat_id);
  values[Anum_inv_lowest - 1] = Int64GetDatum(lowest);
  values[Anum_inv_greatest - 1] = Int64GetDatum(greatest);
  Relation rel = table_open(cagg_oids().invalidation, RowExclusiveLock);
  HeapTuple tup = heap_form_tuple(RelationGetDescr(rel), values, nulls);
  CatalogTupleInsert(rel, tup);
  table_close(rel, RowExclusiveLock);
}

// ---- statements ----------------------------------------------------------------------------

int internal_depth = 0;

uint64 run_sql_args(const char* sql, int nargs, Oid* types, Datum* values, bool internal) {
  pg::InternalUser saved;
  int nest = 0;
  if (internal) {
    pg::internal_user_begin(&saved, false);
  } else {
    nest = NewGUCNestLevel();
    (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
                            true, 0, false);
  }
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  // Our own statements on the aggregate's objects are not intercepted again (the counter is
  // reset by an error: caggs_xact_callback on abort).
  internal_depth++;
  int rc = nargs > 0 ? SPI_execute_with_args(sql, nargs, types, values, nullptr, false, 0)
                     : SPI_execute(sql, false, 0);
  internal_depth--;
  if (rc < 0) elog(ERROR, "statement failed (%s): %s", SPI_result_code_string(rc), sql);
  uint64 processed = SPI_processed;
  SPI_finish();
  if (internal) {
    pg::internal_user_end(&saved);
  } else {
    AtEOXact_GUC(true, nest);
  }
  return processed;
}

void run_sql(const char* sql, bool internal) { run_sql_args(sql, 0, nullptr, nullptr, internal); }

const char* ext_schema_quoted() {
  Oid ext = get_extension_oid("strata", false);
  ScanKeyData key;
  ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(ext));
  Relation rel = table_open(ExtensionRelationId, AccessShareLock);
  SysScanDesc scan = systable_beginscan(rel, ExtensionOidIndexId, true, nullptr, 1, &key);
  HeapTuple tup = systable_getnext(scan);
  Oid nsp = HeapTupleIsValid(tup) ? reinterpret_cast<Form_pg_extension>(GETSTRUCT(tup))->extnamespace : InvalidOid;
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
  return quote_identifier(get_namespace_name(nsp));
}

}  // namespace strata::caggs
