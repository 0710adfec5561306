// The catalog table registry: resolves the OIDs of strata's catalog tables and indexes once per
// extension state, and checks their columns against the numbers in registry.hpp.
#include "catalog/registry.hpp"

extern "C" {
#include "commands/extension.h"
#include "utils/inval.h"
}

namespace strata {

namespace {

struct TableDef {
  const char* name;
  const char* const* columns;  // natts names, in attribute number order
  int natts;
  // Columns every supported catalog version has: the ones after them were added by update
  // scripts, and a catalog not yet updated (the library is installed before ALTER EXTENSION
  // UPDATE runs) may lack them; they read as NULL and writes leave them out.
  int min_natts;
  // A table that an update script adds (0.2.0 on): a catalog not yet updated lacks it, and
  // using it then is an error asking for ALTER EXTENSION strata UPDATE.
  bool added_by_update = false;
};

constexpr const char* kHypertableCols[] = {"id", "schema_name", "table_name", "associated_schema_name",
                                           "associated_table_prefix", "compression_state"};
constexpr const char* kDimensionCols[] = {"id", "hypertable_id", "column_name", "column_type",
                                          "interval_length", "integer_now_func_schema", "integer_now_func",
                                          "num_slices"};
constexpr const char* kChunkCols[] = {"id", "hypertable_id", "schema_name", "table_name", "range_start",
                                      "range_end", "creation_time", "status", "space_start", "space_end"};
constexpr const char* kChunkIndexCols[] = {"chunk_id", "index_name", "hypertable_id", "hypertable_index_name"};
constexpr const char* kBgwJobCols[] = {"id", "application_name", "schedule_interval", "max_runtime",
                                       "max_retries", "retry_period", "proc_schema", "proc_name", "owner",
                                       "scheduled", "fixed_schedule", "initial_start", "hypertable_id",
                                       "config", "check_schema", "check_name", "timezone"};
constexpr const char* kBgwJobStatCols[] = {"job_id", "next_start", "last_start", "last_finish",
                                           "last_successful_finish", "last_run_success", "total_runs",
                                           "total_successes", "total_failures", "total_crashes",
                                           "consecutive_failures", "last_run_duration"};
constexpr const char* kJobErrorsCols[] = {"job_id", "proc_schema", "proc_name", "pid", "start_time",
                                          "finish_time", "sqlerrcode", "err_message"};
constexpr const char* kCompressionSettingsCols[] = {"hypertable_id", "segmentby", "orderby", "orderby_desc",
                                                    "orderby_nullsfirst", "minmax", "bloom"};
constexpr const char* kCompressedChunkCols[] = {
    "chunk_id", "hypertable_id", "schema_name", "table_name", "segmentby", "orderby", "orderby_desc",
    "orderby_nullsfirst", "minmax", "bloom", "format_version", "compression_time", "uncompressed_heap_size",
    "uncompressed_toast_size", "uncompressed_index_size", "uncompressed_rows", "compressed_heap_size",
    "compressed_toast_size", "compressed_index_size", "compressed_rows", "has_dictionaries"};

static_assert(sizeof kHypertableCols / sizeof *kHypertableCols == col::hypertable::natts);
static_assert(sizeof kDimensionCols / sizeof *kDimensionCols == col::dimension::natts);
static_assert(sizeof kChunkCols / sizeof *kChunkCols == col::chunk::natts);
static_assert(sizeof kChunkIndexCols / sizeof *kChunkIndexCols == col::chunk_index::natts);
static_assert(sizeof kBgwJobCols / sizeof *kBgwJobCols == col::bgw_job::natts);
static_assert(sizeof kBgwJobStatCols / sizeof *kBgwJobStatCols == col::bgw_job_stat::natts);
static_assert(sizeof kJobErrorsCols / sizeof *kJobErrorsCols == col::job_errors::natts);
static_assert(sizeof kCompressionSettingsCols / sizeof *kCompressionSettingsCols == col::compression_settings::natts);
static_assert(sizeof kCompressedChunkCols / sizeof *kCompressedChunkCols == col::compressed_chunk::natts);

// Indexed by CatalogTable.
constexpr TableDef kTables[kCatalogTableCount] = {
    {"hypertable", kHypertableCols, col::hypertable::natts, col::hypertable::natts},
    {"dimension", kDimensionCols, col::dimension::natts, 7},
    {"chunk", kChunkCols, col::chunk::natts, 7},
    {"chunk_index", kChunkIndexCols, col::chunk_index::natts, col::chunk_index::natts},
    {"bgw_job", kBgwJobCols, col::bgw_job::natts, col::bgw_job::natts},
    {"bgw_job_stat", kBgwJobStatCols, col::bgw_job_stat::natts, col::bgw_job_stat::natts},
    {"job_errors", kJobErrorsCols, col::job_errors::natts, col::job_errors::natts},
    {"compression_settings", kCompressionSettingsCols, col::compression_settings::natts,
     col::compression_settings::natts, true},
    {"compressed_chunk", kCompressedChunkCols, col::compressed_chunk::natts, col::compressed_chunk::natts, true},
};

struct IndexDef {
  const char* name;
  CatalogTable table;
};

// Indexed by CatalogIndex.
constexpr IndexDef kIndexes[kCatalogIndexCount] = {
    {"hypertable_pkey", CatalogTable::hypertable},
    {"hypertable_schema_name_table_name_key", CatalogTable::hypertable},
    {"dimension_pkey", CatalogTable::dimension},
    {"dimension_hypertable_id_column_name_key", CatalogTable::dimension},
    {"chunk_pkey", CatalogTable::chunk},
    {"chunk_schema_name_table_name_key", CatalogTable::chunk},
    {"chunk_hypertable_id_range_start_idx", CatalogTable::chunk},
    {"chunk_index_pkey", CatalogTable::chunk_index},
    {"chunk_index_hypertable_idx", CatalogTable::chunk_index},
    {"bgw_job_pkey", CatalogTable::bgw_job},
    {"bgw_job_hypertable_id_idx", CatalogTable::bgw_job},
    {"bgw_job_stat_pkey", CatalogTable::bgw_job_stat},
    {"job_errors_job_id_idx", CatalogTable::job_errors},
    {"compression_settings_pkey", CatalogTable::compression_settings},
    {"compressed_chunk_pkey", CatalogTable::compressed_chunk},
    {"compressed_chunk_hypertable_id_idx", CatalogTable::compressed_chunk},
};

enum class ExtState { unknown, inactive, active };

struct Registry {
  Oid catalog_namespace;
  Oid internal_namespace;
  Oid tables[kCatalogTableCount];
  Oid indexes[kCatalogIndexCount];
  bool checked[kCatalogTableCount];
};

ExtState ext_state = ExtState::unknown;
Registry registry;

void lookup_extension_state() {
  ext_state = ExtState::inactive;
  Oid nsp = get_namespace_oid("_strata_catalog", true);
  if (!OidIsValid(nsp)) return;
  Registry r{};
  r.catalog_namespace = nsp;
  r.internal_namespace = get_namespace_oid("_strata_internal", true);
  if (!OidIsValid(r.internal_namespace)) return;
  for (int i = 0; i < kCatalogTableCount; ++i) {
    r.tables[i] = get_relname_relid(kTables[i].name, nsp);
    // partially created or being dropped (or, for a table added by an update, not updated yet)
    if (!OidIsValid(r.tables[i]) && !kTables[i].added_by_update) return;
  }
  // (the indexes are looked up when first used, catalog_index_oid: each lookup is a pg_class
  // index scan in a fresh session, and a query needs three or four of the sixteen)
  registry = r;
  ext_state = ExtState::active;
}

void require_active() {
  if (!extension_is_active())
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("the strata extension is not installed in this database")));
}

}  // namespace

void registry_reset() { ext_state = ExtState::unknown; }

bool registry_catalog_table_of(Oid relid, CatalogTable* table) {
  if (ext_state != ExtState::active) return false;
  for (int i = 0; i < kCatalogTableCount; ++i) {
    if (registry.tables[i] == relid) {
      *table = static_cast<CatalogTable>(i);
      return true;
    }
  }
  return false;
}

bool extension_is_active() {
  if (!IsNormalProcessingMode() || !IsTransactionState()) return false;
  if (ext_state == ExtState::unknown) lookup_extension_state();
  if (ext_state != ExtState::active) return false;
  // Inside CREATE/ALTER EXTENSION strata's own script the catalog is not ready for use.
  if (creating_extension && CurrentExtensionObject == get_extension_oid("strata", true)) return false;
  return true;
}

Oid catalog_namespace_oid() {
  require_active();
  return registry.catalog_namespace;
}

Oid internal_namespace_oid() {
  require_active();
  return registry.internal_namespace;
}

namespace {

void require_table(int t) {
  if (!OidIsValid(registry.tables[t]))
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("the strata catalog of this database has no table _strata_catalog.%s", kTables[t].name),
                    errhint("Update the extension with ALTER EXTENSION strata UPDATE.")));
}

}  // namespace

Oid catalog_table_oid(CatalogTable table) {
  require_active();
  require_table(static_cast<int>(table));
  return registry.tables[static_cast<int>(table)];
}

bool catalog_table_present(CatalogTable table) {
  return extension_is_active() && OidIsValid(registry.tables[static_cast<int>(table)]);
}

Oid catalog_index_oid(CatalogIndex index) {
  require_active();
  const int i = static_cast<int>(index);
  require_table(static_cast<int>(kIndexes[i].table));
  if (!OidIsValid(registry.indexes[i])) {
    const Oid oid = get_relname_relid(kIndexes[i].name, registry.catalog_namespace);
    if (!OidIsValid(oid))
      ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                      errmsg("the strata catalog of this database has no index _strata_catalog.%s", kIndexes[i].name),
                      errhint("Update the extension with ALTER EXTENSION strata UPDATE.")));
    // (an invalidation processed by the lookup may have reset the registry: then the next use
    // looks everything up again, and this answer is only kept if the registry is still active)
    if (ext_state == ExtState::active) registry.indexes[i] = oid;
    return oid;
  }
  return registry.indexes[i];
}

const char* catalog_table_name(CatalogTable table) { return kTables[static_cast<int>(table)].name; }

CatalogTable catalog_index_table(CatalogIndex index) { return kIndexes[static_cast<int>(index)].table; }

void catalog_check_columns(CatalogTable table, Relation rel) {
  const int t = static_cast<int>(table);
  if (ext_state == ExtState::active && registry.checked[t]) return;
  const TableDef& def = kTables[t];
  TupleDesc desc = RelationGetDescr(rel);
  const int n = desc->natts >= def.min_natts && desc->natts < def.natts ? desc->natts : Max(def.natts, desc->natts);
  for (int i = 0; i < n; ++i) {
    const char* have = i < desc->natts && !TupleDescAttr(desc, i)->attisdropped
                           ? NameStr(TupleDescAttr(desc, i)->attname)
                           : "(none)";
    const char* want = i < def.natts ? def.columns[i] : "(none)";
    if (strcmp(have, want) != 0)
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                      errmsg("strata catalog table _strata_catalog.%s does not match the library", def.name),
                      errdetail("Column %d is \"%s\"; the library expects \"%s\".", i + 1, have, want),
                      errhint("Install the strata library that matches the extension version.")));
  }
  if (ext_state == ExtState::active) registry.checked[t] = true;
}

void catalog_invalidate() {
  // The caller's own table_open may have processed another backend's invalidation and reset the
  // state; look it up again rather than skip this write's invalidation.
  if (ext_state == ExtState::unknown && IsNormalProcessingMode() && IsTransactionState())
    lookup_extension_state();
  if (ext_state == ExtState::active)
    CacheInvalidateRelcacheByRelid(registry.tables[static_cast<int>(CatalogTable::hypertable)]);
}

Oid catalog_plan_dependency_oid() { return catalog_table_oid(CatalogTable::hypertable); }

}  // namespace strata
