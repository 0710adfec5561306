// _PG_init: strata's settings, each subsystem's one-time setup, and the hook dispatcher.
#include "caggs/caggs.hpp"
#include "columnstore/agg.hpp"
#include "columnstore/columnstore.hpp"
#include "columnstore/compress_parallel.hpp"
#include "columnstore/direct.hpp"
#include "columnstore/rowagg.hpp"
#include "columnstore/sample_stats.hpp"
#include "columnstore/scan.hpp"
#include "columnstore/scan_bridge.hpp"
#include "columnstore/storage.hpp"
#include "gapfill/gapfill.hpp"
#include "hooks/hooks.hpp"
#include "hypertable/chunk.hpp"
#include "ingest/copy_input.hpp"
#include "ingest/copy_split.hpp"
#include "ingest/ingest.hpp"
#include "ingest/row_move.hpp"
#include "jobs/jobs.hpp"
#include "pg/guard.hpp"
#include "pg/module.hpp"
#include "pg/summary.hpp"
#include "planner/bitmap_cost.hpp"
#include "planner/chunk_append.hpp"
#include "planner/lazy_locks.hpp"
#include "planner/planner.hpp"
#include "planner/projection.hpp"
#include "planner/realtime_union.hpp"

extern "C" {
#include "utils/guc.h"
PG_MODULE_MAGIC;
void _PG_init(void);
}

namespace strata::hooks {
namespace {

// The settings. Each variable is defined by the subsystem that reads it.
void define_settings() {
  DefineCustomBoolVariable("strata.enable_chunk_exclusion",
                           "Plans only the chunks of a hypertable that its time predicates can match.",
                           nullptr, &guc_enable_chunk_exclusion, true, PGC_USERSET, 0, nullptr,
                           nullptr, nullptr);
  DefineCustomBoolVariable("strata.enable_ordered_append",
                           "Reads chunks in time order to satisfy ORDER BY time without a sort.",
                           nullptr, &guc_enable_ordered_append, true, PGC_USERSET, 0, nullptr,
                           nullptr, nullptr);
  DefineCustomBoolVariable("strata.enable_chunk_index_sharing",
                           "Builds a chunk's index paths only for the indexes a similar sibling chunk's plan uses.",
                           nullptr, &guc_enable_chunk_index_sharing, true, PGC_USERSET, 0, nullptr,
                           nullptr, nullptr);
  DefineCustomBoolVariable("strata.enable_time_ordered_bitmap_costs",
                           "Costs a chunk's bitmap scans bounded in time for a heap in time order.",
                           "Bitmap heap scans of indexes led by another column, whose conditions on the time column "
                           "confine the rows to a share of the chunk's pages when its time column is correlated.",
                           &guc_enable_time_ordered_bitmap_costs, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.enable_chunk_path_cloning",
                           "Gives a chunk similar to a sibling chunk the sibling's estimates and scan paths instead of its own.",
                           "Applies to plain SELECTs when strata.enable_chunk_index_sharing is on.",
                           &guc_enable_chunk_path_cloning, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.enable_chunk_plan_copies",
                           "Plans the chunks an ordered LIMIT reads after the first as copies of a planned chunk's index scan.",
                           "Applies to plain SELECTs of one hypertable ordered by its time column with a LIMIT.",
                           &guc_enable_chunk_plan_copies, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.enable_realtime_pullup",
                           "Plans the materialized side of a real-time continuous aggregate's view as a member of its UNION ALL.",
                           "Its watermark clause becomes a restriction of the materialization hypertable, so that "
                           "PostgreSQL pulls the branch up instead of planning it as a sub-query; not when the query "
                           "has quals that are not leakproof.",
                           &guc_enable_realtime_pullup, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.enable_lazy_chunk_plan_copies",
                           "Makes the copies of a planned chunk's index scan for the chunks an ordered LIMIT reads after the first only when the executor first reads them.",
                           "Applies with strata.enable_chunk_plan_copies; EXPLAIN and statements other than plain SELECT make them at executor start; a cached (prepared) plan keeps them for its later executions.",
                           &guc_enable_lazy_chunk_plan_copies, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.enable_chunk_projection",
                           "Computes a SELECT's projection in the chunks' scans instead of a Result above them.",
                           nullptr, &guc_enable_chunk_projection, true, PGC_USERSET, 0, nullptr,
                           nullptr, nullptr);
  DefineCustomBoolVariable("strata.enable_skipscan",
                           "Plans DISTINCT and DISTINCT ON over the leading column of a btree index as a skip scan.",
                           nullptr, &guc_enable_skipscan, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.enable_bucket_agg",
                           "Aggregates GROUP BY time_bucket() over input ordered by the bucket with strata's own node.",
                           "It computes min, max and count natively and reads heap chunks' time indexes directly.",
                           &guc_enable_bucket_agg, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.enable_runtime_exclusion",
                           "Excludes chunks at executor start for now()-relative and parameterized predicates.",
                           nullptr, &guc_enable_runtime_exclusion, true, PGC_USERSET, 0, nullptr,
                           nullptr, nullptr);
  DefineCustomBoolVariable("strata.enable_parallel_chunk_append",
                           "Plans chunks excluded at executor start also with parallel workers: a ChunkAppend over partial scans under a Gather.",
                           "Off, a query with such clauses (now()-relative, parameters, a real-time aggregate's watermark) reads its chunks serially.",
                           &guc_enable_parallel_chunk_append, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.enable_lazy_chunk_locking",
                           "Locks only the chunks that survive startup exclusion when a cached plan runs.",
                           "Off, plans list every chunk they may read and PostgreSQL locks them all before execution.",
                           &guc_enable_lazy_chunk_locking, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.copy_bulk_index_build",
                           "Builds the indexes of the chunks a COPY creates in bulk at the end of the COPY.",
                           "Off, every row is inserted into the chunk's indexes as it is written (for comparisons).",
                           &guc_copy_bulk_index_build, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.presorted_index_build",
                           "Hands the index build of a chunk that COPY or a refresh filled its rows in index order, for integer, date, timestamp and byte-ordered text keys.",
                           "Off, PostgreSQL's build sorts them (for comparisons).",
                           &guc_presorted_index_build, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.copy_keep_heap_in_buffers",
                           "Writes the heap of a chunk whose indexes COPY builds at its end without the bulk-write ring, up to a quarter of shared_buffers.",
                           "Off, those pages go through PostgreSQL's 16 MB ring and the index build reads them back from the kernel (for comparisons).",
                           &guc_copy_keep_heap_in_buffers, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.enable_columnar_pushdown",
                           "Evaluates restrictions on compressed chunks on batch metadata and decoded columns.",
                           "Off, every restriction is evaluated on the formed rows (for comparisons).",
                           &columnstore::guc_enable_columnar_pushdown, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.enable_direct_compress_copy",
                           "Writes the rows of COPY and multi-row INSERT into a hypertable with the columnstore enabled as compressed batches.",
                           "Chunks that are not compressed yet become compressed ones. The COPY option direct_compress asks per COPY.",
                           &columnstore::guc_enable_direct_compress_copy, false, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  // (Unless a loaded TimescaleDB defined it: redefining it would fail.)
  if (GetConfigOption("timescaledb.enable_direct_compress_copy", true, false) == nullptr ||
      (GetConfigOptionFlags("timescaledb.enable_direct_compress_copy", true) & GUC_CUSTOM_PLACEHOLDER) != 0)
    DefineCustomBoolVariable("timescaledb.enable_direct_compress_copy",
                             "TimescaleDB's spelling of strata.enable_direct_compress_copy (either one on turns it on).",
                             nullptr, &columnstore::guc_enable_direct_compress_copy_tsdb, false, PGC_USERSET, 0,
                             nullptr, nullptr, nullptr);
  DefineCustomIntVariable("strata.direct_compress_copy_min_rows",
                          "Rows one COPY (or multi-row INSERT) must bring to an already compressed chunk for them to be written as batches.",
                          "0 writes them to the chunk's row part, whatever their number.",
                          &columnstore::guc_direct_compress_copy_min_rows, 1000, 0, 100000, PGC_USERSET, 0, nullptr,
                          nullptr, nullptr);
  DefineCustomBoolVariable("strata.copy_fast_input",
                           "Converts COPY fields of common types in their plain forms without the types' input functions.",
                           "Off, every field goes through its type's input function (for comparisons).",
                           &guc_copy_fast_input, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.copy_fast_split",
                           "Splits COPY lines in text and CSV format into fields without PostgreSQL's parser where they are plain.",
                           "Off, PostgreSQL splits every line (for comparisons).",
                           &guc_copy_fast_split, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.copy_typed_lines",
                           "Converts plain COPY lines field by field where they lie in PostgreSQL's input buffer, without splitting them first.",
                           "Needs strata.copy_fast_split and strata.copy_fast_input; off, such lines are split, then converted (for comparisons).",
                           &guc_copy_typed_lines, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.enable_columnstore_agg_pushdown",
                           "Computes aggregates over compressed chunks on their batches (decoded columns and metadata).",
                           "Off, compressed chunks' rows are formed and aggregated by PostgreSQL (for comparisons).",
                           &columnstore::guc_enable_columnstore_agg_pushdown, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.enable_columnstore_agg_final",
                           "Compressed chunks' aggregation emits final groups when no group spans two chunks.",
                           "When every chunk is compressed, the query groups by a bucket of the time column whose boundaries fall on the chunks' and by columns grouped by their bytes, and every aggregate's final value is its state (count, sum of int2/int4, min, max), each chunk's ColumnstoreAggregate emits final rows under a plain Append, without a Finalize Aggregate. Off, the partial plan (for comparisons).",
                           &columnstore::guc_enable_columnstore_agg_final, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.enable_rowstore_agg",
                           "Computes aggregates over rowstore chunks natively (RowstoreAggregate) as partial aggregates.",
                           "Off (the default outside continuous aggregate refreshes, see strata.cagg_refresh_rowstore_agg), PostgreSQL aggregates the rows of uncompressed chunks.",
                           &columnstore::guc_enable_rowstore_agg, false, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.rowstore_agg_direct_scan",
                           "RowstoreAggregate reads the pages of a heap chunk itself when its scan has no filter.",
                           "Off, it pulls the rows of PostgreSQL's sequential scan (for comparisons).",
                           &columnstore::guc_rowstore_agg_direct_scan, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.rowstore_agg_parallel",
                           "Lets parallel workers share RowstoreAggregate's direct reads of heap chunks (a partial plan under a Gather).",
                           "Off, each chunk is aggregated by one process (for comparisons).",
                           &columnstore::guc_rowstore_agg_parallel, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.rowstore_agg_tail",
                           "Aggregates a hypertable read by a ChunkAppend of bitmap heap scans (a real-time tail filtered on "
                           "an indexed column) with one RowstoreAggregate that reads the scans' bitmaps and heap pages itself.",
                           "Off, PostgreSQL's aggregation over the ChunkAppend (for comparisons).",
                           &columnstore::guc_rowstore_agg_tail, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.rowstore_agg_realtime",
                           "Aggregates the real-time tail of continuous aggregates (raw chunks at or above the watermark) "
                           "with RowstoreAggregates.",
                           "Whatever strata.enable_rowstore_agg says; off, PostgreSQL's partial aggregation reads the tail "
                           "(for comparisons).",
                           &columnstore::guc_rowstore_agg_realtime, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.enable_columnstore_parallel_scan",
                           "Lets parallel workers share the scan of compressed chunks (their batches divided among them).",
                           "Off, compressed chunks are read by one process each (for comparisons).",
                           &columnstore::guc_enable_columnstore_parallel_scan, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.compression_progress",
                           "Reports the progress of compress_chunk as NOTICEs (the sort, then each tenth of the rows).",
                           nullptr, &columnstore::guc_compression_progress, false, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.compression_index_scan",
                           "Compresses a chunk reading its rows through a btree index on the segmentby and orderby "
                           "columns instead of sorting them.",
                           nullptr, &columnstore::guc_compression_index_scan, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.compression_sort_in_memory",
                           "Compresses a chunk whose rows fit in maintenance_work_mem by reading its heap once, in "
                           "order, and putting the rows in order in memory.",
                           "Off, the rows are read through the index or sorted by a tuplesort (for comparisons).",
                           &columnstore::guc_compression_sort_in_memory, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.compression_encode_thread",
                           "Compresses a chunk encoding its batches on a second thread while the next rows are read.",
                           "Off, every batch is encoded by the backend itself (the same bytes either way).",
                           &columnstore::guc_compression_encode_thread, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomIntVariable("strata.compression_test_encode_delay",
                          "For tests: each batch handed to the encode thread waits this long before it is encoded.",
                          "So that a cancel or timeout lands while compress_chunk is encoding.",
                          &columnstore::guc_compression_test_encode_delay, 0, 0, 10000, PGC_SUSET,
                          GUC_UNIT_MS | GUC_NOT_IN_SAMPLE | GUC_NO_SHOW_ALL, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.compression_shared_dictionaries",
                           "Compresses a text or uuid column whose batches repeat the same values (device ids) "
                           "against one dictionary per segment, stored once in the companion table.",
                           "Off, every batch keeps its own dictionary. Chunks whose rows are gathered in memory only.",
                           &columnstore::guc_compression_shared_dictionaries, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomIntVariable("strata.compression_format_version",
                          "The companion table layout version that compress_chunk writes for new compressed chunks.",
                          "For testing chunks compressed by older versions: 1 has no shared dictionaries "
                          "(docs/COLUMNSTORE.md). Chunks of either version are read, written and recompressed.",
                          &columnstore::guc_compression_format_version, columnstore::kStorageFormatVersion, 1,
                          columnstore::kStorageFormatVersion, PGC_SUSET, GUC_NOT_IN_SAMPLE, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.compression_copy_rows",
                           "Compresses a chunk whose heap fits in maintenance_work_mem by copying its rows through a "
                           "small ring of buffers instead of keeping every page of it pinned in shared_buffers.",
                           "Off, the pages stay pinned (the same batches either way).",
                           &columnstore::guc_compression_copy_rows, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.compression_parallel_read",
                           "Has a parallel worker copy the upper half of a chunk's pages while compress_chunk copies "
                           "the lower half (chunks whose rows are copied into memory).",
                           "Off, the backend reads every page itself (the same rows in the same order either way). "
                           "Needs max_parallel_maintenance_workers > 0.",
                           &columnstore::guc_compression_parallel_read, false, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomIntVariable("strata.compression_parallel_read_min_pages",
                          "Chunks with fewer heap pages are read by compress_chunk alone.", nullptr,
                          &columnstore::guc_compression_parallel_read_min_pages, 2048, 0, INT_MAX, PGC_USERSET,
                          GUC_UNIT_BLOCKS, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("strata.dictionary_cache_size",
                          "The most memory a session keeps decoded shared dictionaries of compressed chunks in, "
                          "for its later scans.",
                          "The companions used least recently are dropped first. 0 keeps none: each scan reads "
                          "and decodes its segments' dictionary rows.",
                          &columnstore::guc_dictionary_cache_size, 8192, 0, INT_MAX / 1024, PGC_USERSET,
                          GUC_UNIT_KB, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.compression_parallel_read_fail_memory",
                           "For tests: the parallel read's shared memory cannot be created, as when /dev/shm is full.",
                           "compress_chunk then reads every page itself.",
                           &columnstore::guc_compression_parallel_read_fail_memory, false, PGC_SUSET,
                           GUC_NOT_IN_SAMPLE | GUC_NO_SHOW_ALL, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.compression_prefault_memory",
                           "Has the fresh memory compress_chunk gathers a chunk's rows in faulted in (zeroed by the "
                           "kernel) by a second thread while the rows are read.",
                           "Off, the backend takes those page faults itself as it copies the rows (same result).",
                           &columnstore::guc_compression_prefault_memory, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.compression_skip_repeats",
                           "Has compression skip the min/max comparisons and bloom hashing of a value its batch "
                           "already holds (by its bytes).",
                           "Applies to compress_chunk, recompression and direct COPY's row-by-row path; by-reference "
                           "types, values up to 1 kB, at most 64 kB of them per column and batch. Off, every value is "
                           "compared and hashed (the same batches either way).",
                           &columnstore::guc_compression_skip_repeats, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.compression_column_appends",
                           "Has compress_chunk hand a batch's rows to the batch builder column by column.",
                           "Off, row by row, each row deformed through the slot, also in the shared dictionaries' "
                           "planning and for sort keys (the same batches either way).",
                           &columnstore::guc_compression_column_appends, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.compression_statistics_overlap",
                           "Has compress_chunk compute a never-analyzed chunk's column statistics column by column "
                           "while its encoding thread is busy, instead of after the last batch.",
                           "Off, every column is computed after the last batch (the same statistics either way).",
                           &columnstore::guc_compression_statistics_overlap, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.compression_reuse_memory",
                           "Keeps the memory a chunk's compression gathered its rows in for the next compression "
                           "of the same transaction (up to maintenance_work_mem), instead of returning it.",
                           "Off, every compression asks the kernel for fresh memory (the same batches either way).",
                           &columnstore::guc_compression_reuse_memory, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.compression_statistics_from_rows",
                           "Computes the column statistics of a chunk compressed before it was ever analyzed from "
                           "the rows the compression gathered in memory, instead of running ANALYZE on its heap.",
                           "Off, such a chunk is analyzed by ANALYZE before its rows are read (for comparisons).",
                           &columnstore::guc_compression_statistics_from_rows, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.compression_statistics_presort",
                           "Hands each column's values to the statistics of a chunk compressed before it was ever "
                           "analyzed already in sorted order (the same statistics, less sorting).",
                           "Off, the values come in the sample's order and the analysis sorts them itself (for "
                           "comparisons).",
                           &columnstore::guc_compression_statistics_presort, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomBoolVariable("strata.compression_reuse_codecs",
                           "Compresses a chunk choosing each column's codec on its first batches and reusing it, "
                           "with a full trial of every codec every 17th batch.",
                           "Off, every batch of every column tries every codec.",
                           &columnstore::guc_compression_reuse_codecs, true, PGC_USERSET, 0, nullptr, nullptr,
                           nullptr);
  DefineCustomIntVariable("strata.max_background_workers",
                          "Maximum number of strata jobs that run at the same time.", nullptr,
                          &guc_max_background_workers, 8, 0, 1000, PGC_SIGHUP, 0, nullptr, nullptr,
                          nullptr);
  // A server-start setting can only be defined at preload (jobs run only then anyway).
  if (process_shared_preload_libraries_in_progress)
    DefineCustomIntVariable("strata.max_job_databases",
                            "Maximum number of databases with scheduled strata jobs that the job launcher keeps "
                            "track of.",
                            "Databases with strata but no scheduled job take none. The jobs of a database past "
                            "the limit wait until one is free.",
                            &guc_max_job_databases, 512, 1, 10000, PGC_POSTMASTER, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("strata.summary_min_duration",
                          "Sends a NOTICE summarising drop_chunks, compress_chunk, decompress_chunk and "
                          "continuous aggregate refreshes that run at least this long.",
                          "-1 never summarises, 0 summarises every such operation.",
                          &pg::guc_summary_min_duration, 1000, -1, INT_MAX, PGC_USERSET, GUC_UNIT_MS, nullptr,
                          nullptr, nullptr);
}

}  // namespace
}  // namespace strata::hooks

void _PG_init(void) {
  strata::pg::cpp_entry([] {
    strata::pg::loaded_at_startup = process_shared_preload_libraries_in_progress;
    strata::hooks::define_settings();
    strata::planner_init();  // ChunkAppend's custom scan methods
    strata::columnstore::scan_init();  // ColumnarScan's, and the planner's hook point for compressed chunks
    strata::ingest_init();   // ChunkDispatch's and StrataModify's
    strata::gapfill::gapfill_init();  // GapFill's
    strata::row_move_init();  // StrataUpdate's and ChunkRowMove's
    strata::jobs_init();     // the launcher, when preloaded
    strata::caggs_init();    // its settings
    // After every subsystem defined its settings: reserving the prefix first would make the server
    // drop a later-defined strata.* value given in postgresql.conf ("invalid configuration parameter").
    MarkGUCPrefixReserved("strata");
    strata::hooks::install_hooks();
  });
}
