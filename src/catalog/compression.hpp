// The columnstore's catalog tables (_strata_catalog.compression_settings and
// _strata_catalog.compressed_chunk, docs/COLUMNSTORE.md): reads and direct writes, and the
// hypertable's compression_state. C-style glue; results are palloc'd in the current context.
#pragma once

#include "catalog/chunks.hpp"

namespace strata {

// A set of columnstore settings: a hypertable's current ones, or the copy a compressed chunk was
// compressed with. Arrays are palloc'd; names are column names (NAMEDATALEN-bounded).
struct CompressionSettings {
  int nsegmentby;
  char** segmentby;
  int norderby;
  char** orderby;
  bool* orderby_desc;
  bool* orderby_nullsfirst;
  int nminmax;
  char** minmax;
  int nbloom;
  char** bloom;
};

// The hypertable's settings, or false when it has none (compression was never enabled).
bool catalog_get_compression_settings(int32 hypertable_id, CompressionSettings* out);
// Inserts or replaces the hypertable's settings row.
void catalog_set_compression_settings(int32 hypertable_id, const CompressionSettings* settings);
void catalog_delete_compression_settings(int32 hypertable_id);
// Sets _strata_catalog.hypertable.compression_state (1: compression enabled, 0: not).
void catalog_set_compression_state(int32 hypertable_id, int16 state);

// Sizes of a chunk before and after compression (bytes; rows = tuples, batches after).
struct CompressionSizes {
  int64 uncompressed_heap;
  int64 uncompressed_toast;
  int64 uncompressed_index;
  int64 uncompressed_rows;
  int64 compressed_heap;
  int64 compressed_toast;
  int64 compressed_index;
  int64 compressed_rows;
};

struct CompressedChunk {
  int32 chunk_id;
  int32 hypertable_id;
  NameData schema_name;  // the companion table
  NameData table_name;
  CompressionSettings settings;  // as the chunk was compressed
  int16 format_version;
  TimestampTz compression_time;
  CompressionSizes sizes;
  // The companion may hold shared-dictionary rows: set by compress_chunk when it writes one, kept
  // by the writers that copy the row (segment-wise recompression, direct COPY and ALTER write
  // batch-local dictionaries only; whole recompression works it out again; DML that deletes dictionary rows leaves it set). False: none to look for.
  bool has_dictionaries;
};

// The compressed_chunk row of a chunk, or false.
bool catalog_get_compressed_chunk(int32 chunk_id, CompressedChunk* out);
void catalog_insert_compressed_chunk(const CompressedChunk* cc);
void catalog_delete_compressed_chunk(int32 chunk_id);
// Whether any chunk of the hypertable is compressed.
bool catalog_hypertable_has_compressed_chunks(int32 hypertable_id);
// Deletes every compressed_chunk row of a hypertable and its settings (catalog_delete_hypertable).
void catalog_delete_compression_of_hypertable(int32 hypertable_id);

// Called by the ingest paths once per statement and chunk, after the chunk was opened with
// RowExclusiveLock: when the chunk is compressed and not yet marked partial, marks it partial
// (its row part now receives rows). Takes ShareUpdateExclusiveLock on the chunk for the status
// change (self-conflicting: concurrent inserters mark it once; compress_chunk's ExclusiveLock
// waits for them).
void chunk_note_rows_in_row_part(const ChunkInfo* chunk);

}  // namespace strata
