// The per-backend hypertable cache and the reads of the hypertable and dimension catalog tables.
#include "catalog/hypertables.hpp"
#include "catalog/scan.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_index.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
}

namespace strata {

namespace {

struct HtCacheEntry {
  Oid relid;  // hash key
  bool is_hypertable;
  int8 unique_column_index;  // has_one_column_unique_index: -1 until asked, then 0 or 1
  int type_widths_natts;      // hypertable_type_widths: its array (nullptr until asked)
  int32* type_widths;
  Hypertable ht;
};

HTAB* ht_cache = nullptr;
MemoryContext ht_cache_cxt = nullptr;
uint64 ht_cache_generation = 0;
// Bumped by every hypertable_cache_reset and by a hypertable_cache_forget of the relation being
// loaded (ht_cache_loading): cache_lookup loads an entry outside the hash table, and a forget
// processed during that load finds nothing to remove, so the load compares this counter and
// starts over rather than store what it read before the invalidation. (Forgets of other
// relations, frequent under DDL elsewhere, do not make it start over.)
uint64 ht_cache_changes = 0;
Oid ht_cache_loading = InvalidOid;

// Reads the hypertable row the scan is positioned on and its time dimension into *ht.
void read_hypertable(const CatalogScan* scan, Hypertable* ht) {
  memset(ht, 0, sizeof(*ht));
  ht->id = catalog_scan_int4(scan, col::hypertable::id);
  namestrcpy(&ht->schema_name, catalog_scan_name(scan, col::hypertable::schema_name));
  namestrcpy(&ht->table_name, catalog_scan_name(scan, col::hypertable::table_name));
  ht->compression_state = catalog_scan_int2(scan, col::hypertable::compression_state);
}

bool catalog_scan_isnull_safe(const CatalogScan* scan, AttrNumber attno) {
  bool isnull;
  catalog_scan_datum(scan, attno, &isnull);
  return isnull;
}

void load_dimension(Hypertable* ht) {
  Oid nsp = get_namespace_oid(NameStr(ht->schema_name), true);
  ht->relid = OidIsValid(nsp) ? get_relname_relid(NameStr(ht->table_name), nsp) : InvalidOid;

  CatalogScan scan;
  catalog_scan_init(&scan, CatalogIndex::dimension_hypertable, AccessShareLock);
  catalog_scan_heap_when_small(&scan);
  catalog_scan_key_int4(&scan, col::dimension::hypertable_id, ht->id);
  catalog_scan_begin(&scan);
  while (catalog_scan_next(&scan)) {
    if (!catalog_scan_isnull_safe(&scan, col::dimension::num_slices)) {
      // A hash dimension (at most one: add_dimension refuses a second).
      ht->space_dimension_id = catalog_scan_int4(&scan, col::dimension::id);
      ht->num_partitions = catalog_scan_int2(&scan, col::dimension::num_slices);
      namestrcpy(&ht->space_column, catalog_scan_name(&scan, col::dimension::column_name));
      continue;
    }
    ht->dimension_id = catalog_scan_int4(&scan, col::dimension::id);
    namestrcpy(&ht->time_column, catalog_scan_name(&scan, col::dimension::column_name));
    ht->interval = catalog_scan_int8(&scan, col::dimension::interval_length);
    const char* ns = catalog_scan_name(&scan, col::dimension::integer_now_func_schema);
    const char* fn = catalog_scan_name(&scan, col::dimension::integer_now_func);
    if (ns != nullptr && fn != nullptr) {
      namestrcpy(&ht->integer_now_schema, ns);
      namestrcpy(&ht->integer_now_func, fn);
    }
  }
  catalog_scan_end(&scan);

  if (OidIsValid(ht->relid) && NameStr(ht->time_column)[0] != '\0') {
    ht->time_attno = get_attnum(ht->relid, NameStr(ht->time_column));
    if (ht->time_attno != InvalidAttrNumber) {
      ht->time_type = get_atttype(ht->relid, ht->time_attno);
      time_type_supported(ht->time_type, &ht->kind);
    }
  }
  if (OidIsValid(ht->relid) && ht->num_partitions > 0) {
    ht->space_attno = get_attnum(ht->relid, NameStr(ht->space_column));
    if (ht->space_attno != InvalidAttrNumber) {
      int32 typmod;
      get_atttypetypmodcoll(ht->relid, ht->space_attno, &ht->space_type, &typmod, &ht->space_collation);
    }
  }
}

// The hypertable found through `scan` (keys set, not begun), or false.
bool load_hypertable(CatalogScan* scan, Hypertable* ht) {
  catalog_scan_begin(scan);
  const bool found = catalog_scan_next(scan);
  if (found) read_hypertable(scan, ht);
  catalog_scan_end(scan);
  if (found) load_dimension(ht);
  return found;
}

// One try of cache_lookup: false in *loaded when the cache was reset, or an entry forgotten,
// while the entry was being read (`changes` is ht_cache_changes before the try).
HtCacheEntry* cache_lookup_once(Oid relid, uint64 changes, bool* loaded) {
  *loaded = true;
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
      CatalogScan scan;
      catalog_scan_init(&scan, CatalogIndex::hypertable_name, AccessShareLock);
      catalog_scan_heap_when_small(&scan);
      catalog_scan_key_name(&scan, col::hypertable::schema_name, nspname);
      catalog_scan_key_name(&scan, col::hypertable::table_name, relname);
      is_ht = load_hypertable(&scan, &ht) && ht.relid == relid;
    }
  }
  if (ht_cache == nullptr || ht_cache_changes != changes) {  // reset or forgotten while loading
    *loaded = false;
    return nullptr;
  }
  entry = static_cast<HtCacheEntry*>(hash_search(ht_cache, &relid, HASH_ENTER, &found));
  entry->is_hypertable = is_ht;
  entry->unique_column_index = -1;
  entry->type_widths_natts = 0;
  entry->type_widths = nullptr;
  if (is_ht) entry->ht = ht;
  return entry;
}

// One try of cache_lookup with ht_cache_loading set to `relid`, and set back to what it was also
// when the try raises an error (a lock timeout or a cancel in the catalog scan, say): left set, every
// later forget of that relation would bump ht_cache_changes and make unrelated loads start over.
// (PG_TRY in a frame that owns nothing with a destructor, as the boundary rules allow.)
HtCacheEntry* cache_lookup_marked(Oid relid, uint64 changes, bool* loaded) {
  const Oid outer = ht_cache_loading;
  HtCacheEntry* volatile entry = nullptr;
  ht_cache_loading = relid;
  PG_TRY();
  {
    entry = cache_lookup_once(relid, changes, loaded);
  }
  PG_FINALLY();
  {
    ht_cache_loading = outer;
  }
  PG_END_TRY();
  return entry;
}

HtCacheEntry* cache_lookup(Oid relid) {
  if (ht_cache != nullptr) {  // (a hit needs no PG_TRY)
    auto* entry = static_cast<HtCacheEntry*>(hash_search(ht_cache, &relid, HASH_FIND, nullptr));
    if (entry != nullptr) return entry;
  }
  for (;;) {
    const uint64 changes = ht_cache_changes;
    bool loaded;
    HtCacheEntry* entry = cache_lookup_marked(relid, changes, &loaded);
    if (loaded) return entry;
  }
}

// Reads the table's pg_index rows from the syscache rather than building the indexes' relcache
// entries.
bool lookup_one_column_unique_index(Oid relid) {
  Relation relation = table_open(relid, NoLock);
  List* indexes = relation->rd_rel->relhasindex ? RelationGetIndexList(relation) : NIL;
  table_close(relation, NoLock);
  bool unique_column = false;
  ListCell* lc;
  foreach (lc, indexes) {
    HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
    if (!HeapTupleIsValid(tuple)) continue;
    Form_pg_index index = (Form_pg_index)GETSTRUCT(tuple);
    // (as PostgreSQL's has_unique_index: a valid index on a plain column, without a predicate)
    if (index->indisunique && index->indisvalid && index->indnkeyatts == 1 && index->indkey.values[0] != 0 &&
        heap_attisnull(tuple, Anum_pg_index_indpred, nullptr))
      unique_column = true;
    ReleaseSysCache(tuple);
  }
  list_free(indexes);
  return unique_column;
}

}  // namespace

Oid space_hash_proc(Oid type) {
  TypeCacheEntry* tc = lookup_type_cache(type, TYPECACHE_HASH_EXTENDED_PROC);
  if (!OidIsValid(tc->hash_extended_proc))
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                    errmsg("could not identify an extended hash function for type %s", format_type_be(type)),
                    errhint("Space partitioning needs a type with a default hash operator class.")));
  return tc->hash_extended_proc;
}

uint64 hypertable_cache_generation() { return ht_cache_generation; }

void hypertable_cache_reset() {
  if (ht_cache_cxt != nullptr) MemoryContextReset(ht_cache_cxt);
  ht_cache = nullptr;
  ++ht_cache_generation;
  ++ht_cache_changes;
}

void hypertable_cache_forget(Oid relid) {
  // (the generation moves only when an entry goes: any relation's invalidation comes here, and a
  // copy taken from the cache (hypertable_get) is current while its entry stays)
  bool found = false;
  HtCacheEntry* gone = nullptr;
  if (relid == ht_cache_loading) ++ht_cache_changes;
  if (ht_cache != nullptr) gone = static_cast<HtCacheEntry*>(hash_search(ht_cache, &relid, HASH_REMOVE, &found));
  if (found && gone->type_widths != nullptr) pfree(gone->type_widths);
  if (found) ++ht_cache_generation;
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

bool has_one_column_unique_index(Oid relid) {
  if (!is_hypertable(relid)) return lookup_one_column_unique_index(relid);
  HtCacheEntry* entry = static_cast<HtCacheEntry*>(hash_search(ht_cache, &relid, HASH_FIND, nullptr));
  if (entry != nullptr && entry->unique_column_index >= 0) return entry->unique_column_index == 1;
  const bool unique_column = lookup_one_column_unique_index(relid);
  // (the lookup may process invalidations that reset the cache or drop the entry)
  if (ht_cache != nullptr) {
    entry = static_cast<HtCacheEntry*>(hash_search(ht_cache, &relid, HASH_FIND, nullptr));
    if (entry != nullptr) entry->unique_column_index = unique_column ? 1 : 0;
  }
  return unique_column;
}

const int32* hypertable_type_widths(Oid relid, int* natts) {
  if (!OidIsValid(relid) || !extension_is_active()) return nullptr;
  HtCacheEntry* entry = cache_lookup(relid);
  if (!entry->is_hypertable) return nullptr;
  if (entry->type_widths != nullptr) {
    *natts = entry->type_widths_natts;
    return entry->type_widths;
  }
  Relation relation = relation_open(relid, NoLock);
  TupleDesc desc = RelationGetDescr(relation);
  const int n = desc->natts;
  int32* widths = static_cast<int32*>(palloc0(sizeof(int32) * (n > 0 ? n : 1)));
  for (int i = 0; i < n; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (!att->attisdropped) widths[i] = get_typavgwidth(att->atttypid, att->atttypmod);
  }
  relation_close(relation, NoLock);
  *natts = n;
  // (the lookups may process invalidations that reset the cache or drop the entry: then the
  // caller gets this query's array, and the next asks again)
  if (ht_cache == nullptr) return widths;
  entry = static_cast<HtCacheEntry*>(hash_search(ht_cache, &relid, HASH_FIND, nullptr));
  if (entry == nullptr || entry->type_widths != nullptr) return widths;
  entry->type_widths = static_cast<int32*>(MemoryContextAlloc(ht_cache_cxt, sizeof(int32) * (n > 0 ? n : 1)));
  memcpy(entry->type_widths, widths, sizeof(int32) * (n > 0 ? n : 1));
  entry->type_widths_natts = n;
  pfree(widths);
  return entry->type_widths;
}

Hypertable* hypertable_get_by_id(int32 id) {
  auto* ht = static_cast<Hypertable*>(palloc0(sizeof(Hypertable)));
  CatalogScan scan;
  catalog_scan_init(&scan, CatalogIndex::hypertable_pkey, AccessShareLock);
  catalog_scan_key_int4(&scan, col::hypertable::id, id);
  if (!load_hypertable(&scan, ht)) return nullptr;
  return ht;
}

List* hypertable_list_all() {
  List* ids = NIL;
  CatalogScan scan;
  catalog_scan_init(&scan, CatalogIndex::hypertable_pkey, AccessShareLock);
  catalog_scan_begin(&scan, true);
  while (catalog_scan_next(&scan)) ids = lappend_int(ids, catalog_scan_int4(&scan, col::hypertable::id));
  catalog_scan_end(&scan);
  List* result = NIL;
  ListCell* lc;
  foreach (lc, ids) {
    Hypertable* ht = hypertable_get_by_id(lfirst_int(lc));
    if (ht != nullptr) result = lappend(result, ht);
  }
  return result;
}

}  // namespace strata
