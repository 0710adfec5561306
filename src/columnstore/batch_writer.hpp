// Writing compressed batches into a chunk's companion table for callers other than
// compress_chunk (direct-to-columnstore COPY, direct.cpp), with the same batch builder, metadata
// and companion layout compress_chunk uses (compress.cpp implements both). C-style glue: every
// function may ereport; memory lives in a context the writer owns (freed by batch_writer_close or
// with the caller's context on error).
#pragma once

#include "catalog/catalog.hpp"

extern "C" {
#include "utils/relcache.h"
#include "utils/tuplesort.h"
}

namespace strata::columnstore {

struct BatchWriter;

// Whether batches of `chunk_rel` written with settings `s` fit `companion` as it is (no column
// added to or dropped from the chunk since it was compressed, and at least one sort key).
bool batch_writer_fits(Relation chunk_rel, Relation companion, const CompressionSettings* s);

// A writer of batches of `chunk_rel`'s rows (its layout) into `companion` (open, at least
// RowExclusiveLock), with the chunk's settings `s` (the compressed_chunk row's); index entries of
// the companion are inserted per batch.
BatchWriter* batch_writer_open(Relation chunk_rel, Relation companion, const CompressionSettings* s);
// A tuplesort of rows of the chunk's layout by segmentby then orderby, as compress_chunk sorts.
Tuplesortstate* batch_writer_begin_sort(BatchWriter* w);
// Sorts `sort` and writes its rows as batches (a segment's rows cut every kBatchRows rows). With
// `carry`, the last rows of a segment that do not fill a whole batch are put into `carry` instead
// of being written. Returns the rows written. `sort` is left finished (the caller ends it).
int64 batch_writer_write(BatchWriter* w, Tuplesortstate* sort, Tuplesortstate* carry);
// Writing a segment's rows in the caller's order (direct.cpp): begin_segment with its first row
// (the segment's values are taken from it) and the number of the segment's batches written
// before (their `_strata_seq`), add_row for each row (a batch is cut every kBatchRows rows), then
// end_segment, which writes the last batch and returns the segment's batch count.
void batch_writer_begin_segment(BatchWriter* w, TupleTableSlot* row, int32 seq);
void batch_writer_add_row(BatchWriter* w, TupleTableSlot* row);
int32 batch_writer_end_segment(BatchWriter* w);
// Rows given column by column (direct.cpp's segment buffers): row j is row order[j] of the
// arrays, whose attribute a (1-based) is at values / nulls[order[j] * stride + a - 1]; non-NULL
// values of types passed by reference are offsets into `bytes` (nbytes of them in all). A
// segmentby column's value is the segment's.
struct BatchRows {
  const Datum* values;
  const bool* nulls;
  int stride;
  const char* bytes;
  Size nbytes;
  const int* order;
  int n;
};
// Instead of add_row for each of a batch's rows: right after begin_segment (or end_segment's
// batch), at most kBatchRows rows and kBatchMaxVarlenBytes of `bytes`; the same batch as add_row
// row by row.
void batch_writer_add_rows(BatchWriter* w, const BatchRows* rows);
// Batches are encoded on the builder's worker thread (strata.compression_encode_thread): the last
// one is written when the next is handed over, or here (also done by batch_writer_close).
void batch_writer_drain(BatchWriter* w);
// Whether the batch handed to the worker thread is still being encoded (handing over the next
// one would wait for it, or encode it on the caller's thread).
bool batch_writer_busy(BatchWriter* w);
// Batches the worker had not started when they were needed back, encoded on the caller's thread.
int64 batch_writer_taken_back(const BatchWriter* w);
// Batches written so far (call batch_writer_drain first for an exact count).
int64 batch_writer_batches(const BatchWriter* w);
// Frees the writer (the companion stays open).
void batch_writer_close(BatchWriter* w);

// Makes an uncompressed chunk a partially compressed one with an empty companion table (catalog
// row, companion and its index; status compressed | partial: its row part keeps its rows), so that
// batches can be written into it. Serialized with other conversions of the chunk
// (ShareUpdateExclusiveLock on the chunk, held to the end of the transaction); does not wait for
// writers of the row part. Returns false when the hypertable has no columnstore settings. Reads
// the chunk's status again under the lock: `chunk` is updated.
bool convert_chunk_for_batches(ChunkInfo* chunk);
// Adds `rows` rows in `batches` batches to the sizes of a compressed_chunk row this transaction
// inserted (convert_chunk_for_batches), with the companion's sizes measured again.
void compressed_chunk_note_batches(int32 chunk_id, int64 rows, int64 batches);

}  // namespace strata::columnstore
