// The columnstore's storage and API half (docs/COLUMNSTORE.md): columnstore settings through
// ALTER TABLE ... SET (settings.cpp), compressing and decompressing chunks (compress.cpp), and
// the storage layout helpers the scan node shares (storage.hpp). C-style glue.
#pragma once

#include "catalog/catalog.hpp"
#include "pg/handlers.hpp"

namespace strata::columnstore {

// ProcessUtility, wrapping phase (run by the hook dispatcher, src/hooks): takes the columnstore
// options out of ALTER TABLE ... SET (...) on a hypertable, validates and stores them, and passes
// the rest of the statement on.
void wrap_utility(const pg::UtilityCall* call);

// Compresses a chunk (docs/COLUMNSTORE.md, "Compressing a chunk"); a partial chunk is
// recompressed (decompressed and compressed again). With `if_not_compressed` a chunk that is
// already compressed (and not partial) is a NOTICE, otherwise an error. When `nowait`, a chunk
// whose lock is not free at once is skipped: returns false (the policy reports it).
bool compress_chunk(Oid chunk_relid, bool if_not_compressed, bool nowait);
// Setting strata.compression_progress (registered by src/hooks/init.cpp): compress_chunk reports
// its progress as NOTICEs (the sort, then each tenth of the rows encoded).
extern bool guc_compression_progress;
// Setting strata.compression_index_scan (src/hooks/init.cpp): compress_chunk reads the rows of a
// chunk in the order of a btree index that matches segmentby and orderby instead of sorting them.
extern bool guc_compression_index_scan;
extern bool guc_compression_sort_in_memory;
// Setting strata.compression_copy_rows (src/hooks/init.cpp): with the rows gathered in memory,
// their tuples are copied out of a ring of buffers instead of every page staying pinned.
extern bool guc_compression_copy_rows;
// Setting strata.compression_prefault_memory: compress_chunk's large row memory faulted in on a
// second thread (compress.cpp).
extern bool guc_compression_prefault_memory;
// Setting strata.compression_skip_repeats (src/hooks/init.cpp): compress_chunk skips the min/max
// comparisons and bloom hashing of values their batch already holds (compress.cpp SeenValues).
extern bool guc_compression_skip_repeats;
// Setting strata.compression_column_appends (src/hooks/init.cpp): compress_chunk hands a batch's
// rows to the batch builder column by column (compress.cpp add_row_pending) and deforms rows
// without NULLs from a compact plan (deform_plain: the main pass, sort keys, dictionary planning).
extern bool guc_compression_column_appends;
// Setting strata.compression_statistics_overlap (src/hooks/init.cpp): the column statistics
// compress_chunk computes from the rows in memory are computed column by column while the
// encoding thread is busy (compress.cpp compress_memrows); off, all after the last batch.
extern bool guc_compression_statistics_overlap;
// Setting strata.compression_reuse_memory (src/hooks/init.cpp): the large arrays of a compression
// (tuple copies, row and key arrays) are kept for the next compression of the same transaction.
extern bool guc_compression_reuse_memory;
// Setting strata.compression_encode_thread (src/hooks/init.cpp): compress_chunk encodes batches
// on a worker thread (pure C++ data, docs/ARCHITECTURE.md rule 6) while it reads the next rows.
extern bool guc_compression_encode_thread;
extern int guc_compression_test_encode_delay;  // ms, for tests (bridge::builder_test_encode_delay)
// Setting strata.compression_shared_dictionaries (src/hooks/init.cpp): compress_chunk plans a
// dictionary shared by a segment's batches for text/uuid columns that gain from it.
extern bool guc_compression_shared_dictionaries;
// Setting strata.compression_format_version (src/hooks/init.cpp): the companion layout version
// new compressed chunks get (storage.hpp kStorageFormatVersion; 1 for tests of older chunks).
extern int guc_compression_format_version;
// Setting strata.compression_reuse_codecs (src/hooks/init.cpp): each column's batches reuse the
// codec the chunk's earlier batches chose (codec::CodecHint) instead of trying every codec.
extern bool guc_compression_reuse_codecs;
// Decompresses a chunk: every row back into its row part, companion dropped, status cleared.
// With `if_compressed` a chunk that is not compressed is a NOTICE, otherwise an error.
void decompress_chunk(Oid chunk_relid, bool if_compressed);

// Records the companion table's dependency on its chunk for a compressed_chunk row that SQL
// inserted (pg_restore), when both tables exist.
void restore_companion_dependency(int32 chunk_id, const char* schema, const char* table);

}  // namespace strata::columnstore
