// Catalog invalidation: the handlers (run by the hook dispatcher, src/hooks) that reset the extension state, the hypertable cache and the
// chunk cache, and the statement trigger that sends the invalidation for SQL writes of the catalog.
#include "catalog/catalog.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "commands/trigger.h"
#include "utils/inval.h"
}

namespace strata {

namespace {

void reset_all() {
  registry_reset();
  hypertable_cache_reset();
  chunk_cache_reset();
}

}  // namespace

void catalog_relcache_invalidated(Oid relid) {
  CatalogTable table;
  if (relid == InvalidOid) {
    reset_all();
  } else if (registry_catalog_table_of(relid, &table)) {
    // catalog_invalidate's message, or DDL on a catalog table. The jobs tables only matter to the
    // registry (and autovacuum of bgw_job_stat should not empty every session's caches).
    if (table == CatalogTable::hypertable || table == CatalogTable::dimension || table == CatalogTable::chunk ||
        table == CatalogTable::chunk_index)
      reset_all();
    else
      registry_reset();
  } else {
    hypertable_cache_forget(relid);
    chunk_cache_relation_changed(relid);
  }
}

void catalog_namespace_invalidated(int, uint32) { reset_all(); }

}  // namespace strata

// Statement trigger on the catalog tables: any change, however made, resets every backend's cache.
STRATA_FUNCTION(strata_catalog_changed) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("strata_catalog_changed must be called as a trigger")));
  strata::catalog_invalidate();
  return PointerGetDatum(nullptr);
}
