// The registry of strata's catalog tables (_strata_catalog.*, src/sql/10_catalog.sql and
// src/sql/60_jobs.sql): their OIDs, their indexes' OIDs and their column numbers, resolved in one
// place, plus the extension state every hook checks first. C-style glue.
#pragma once

#include "pg/pg.hpp"

namespace strata {

enum class CatalogTable : uint8 {
  hypertable,
  dimension,
  chunk,
  chunk_index,
  bgw_job,
  bgw_job_stat,
  job_errors,
  compression_settings,
  compressed_chunk,
};
inline constexpr int kCatalogTableCount = 9;

enum class CatalogIndex : uint8 {
  hypertable_pkey,         // (id)
  hypertable_name,         // (schema_name, table_name)
  dimension_pkey,          // (id)
  dimension_hypertable,    // (hypertable_id, column_name)
  chunk_pkey,              // (id)
  chunk_name,              // (schema_name, table_name)
  chunk_range,             // (hypertable_id, range_start, space_start)
  chunk_index_pkey,        // (chunk_id, index_name)
  chunk_index_hypertable,  // (hypertable_id, hypertable_index_name)
  bgw_job_pkey,            // (id)
  bgw_job_hypertable,      // (hypertable_id)
  bgw_job_stat_pkey,       // (job_id)
  job_errors_job,          // (job_id, finish_time)
  compression_settings_pkey,      // (hypertable_id)
  compressed_chunk_pkey,          // (chunk_id)
  compressed_chunk_hypertable,    // (hypertable_id)
};
inline constexpr int kCatalogIndexCount = 16;

// Column numbers, in the order of the CREATE TABLE statements (checked against the tables'
// descriptors the first time a table is scanned in a backend).
namespace col {
namespace hypertable {
enum : AttrNumber { id = 1, schema_name, table_name, associated_schema_name, associated_table_prefix,
                    compression_state, natts = compression_state };
}
namespace dimension {
enum : AttrNumber { id = 1, hypertable_id, column_name, column_type, interval_length,
                    integer_now_func_schema, integer_now_func, num_slices, natts = num_slices };
}
namespace chunk {
enum : AttrNumber { id = 1, hypertable_id, schema_name, table_name, range_start, range_end,
                    creation_time, status, space_start, space_end, natts = space_end };
}
namespace chunk_index {
enum : AttrNumber { chunk_id = 1, index_name, hypertable_id, hypertable_index_name,
                    natts = hypertable_index_name };
}
namespace bgw_job {
enum : AttrNumber { id = 1, application_name, schedule_interval, max_runtime, max_retries, retry_period,
                    proc_schema, proc_name, owner, scheduled, fixed_schedule, initial_start,
                    hypertable_id, config, check_schema, check_name, timezone, natts = timezone };
}
namespace bgw_job_stat {
enum : AttrNumber { job_id = 1, next_start, last_start, last_finish, last_successful_finish,
                    last_run_success, total_runs, total_successes, total_failures, total_crashes,
                    consecutive_failures, last_run_duration, natts = last_run_duration };
}
namespace job_errors {
enum : AttrNumber { job_id = 1, proc_schema, proc_name, pid, start_time, finish_time, sqlerrcode,
                    err_message, natts = err_message };
}
namespace compression_settings {
enum : AttrNumber { hypertable_id = 1, segmentby, orderby, orderby_desc, orderby_nullsfirst, minmax, bloom,
                    natts = bloom };
}
namespace compressed_chunk {
enum : AttrNumber { chunk_id = 1, hypertable_id, schema_name, table_name, segmentby, orderby, orderby_desc,
                    orderby_nullsfirst, minmax, bloom, format_version, compression_time,
                    uncompressed_heap_size, uncompressed_toast_size, uncompressed_index_size,
                    uncompressed_rows, compressed_heap_size, compressed_toast_size, compressed_index_size,
                    compressed_rows, has_dictionaries, natts = has_dictionaries };
}
}  // namespace col

// Chunk status flags (_strata_catalog.chunk.status); 0 is a plain row-store chunk.
inline constexpr int32 kChunkStatusNormal = 0;
// The columnstore (docs/COLUMNSTORE.md): the chunk has a companion table holding compressed
// batches; its row part holds rows that arrived after compression; reserved.
inline constexpr int32 kChunkStatusCompressed = 1;
inline constexpr int32 kChunkStatusPartial = 2;
inline constexpr int32 kChunkStatusFrozen = 4;

// The axis of a hash dimension (space partitioning): partition hashes are in [0, kHashAxisEnd),
// and a chunk of a hypertable without a hash dimension covers all of it.
inline constexpr int64 kHashAxisEnd = INT64CONST(2147483648);

// True when the extension is installed in this database and not being created, updated or
// dropped. Every hook checks this first and does nothing otherwise. Cheap: cached, invalidated
// by catalog and namespace invalidations.
bool extension_is_active();

// The OIDs below raise 55000 when the extension is not active.
Oid catalog_namespace_oid();   // _strata_catalog
Oid internal_namespace_oid();  // _strata_internal
Oid catalog_table_oid(CatalogTable table);
// False for a table that an update script adds while the catalog is not updated yet.
bool catalog_table_present(CatalogTable table);
// (looked up when first asked for, then kept like the tables' OIDs; a missing index is 55000)
Oid catalog_index_oid(CatalogIndex index);
const char* catalog_table_name(CatalogTable table);
// The table an index belongs to.
CatalogTable catalog_index_table(CatalogIndex index);
// Raises XX000 unless the open relation of `table` has the columns the registry names (once per
// table and backend, until the next reset of the extension state).
void catalog_check_columns(CatalogTable table, Relation rel);

// Tell every backend that the catalog changed (at commit; at once for this backend): a relcache
// invalidation of _strata_catalog.hypertable, which resets the hypertable and chunk caches and
// invalidates every cached plan that expanded a hypertable (see catalog_plan_dependency_oid).
void catalog_invalidate();
// The relation whose relcache invalidation catalog_invalidate sends: a plan that depends on the
// chunk catalog lists it in its relationOids.
Oid catalog_plan_dependency_oid();

// Internal to src/catalog (the invalidation callbacks): forget the cached extension state; which
// catalog table `relid` is (false if none, or while the state is not known; never looks it up).
void registry_reset();
bool registry_catalog_table_of(Oid relid, CatalogTable* table);

}  // namespace strata
