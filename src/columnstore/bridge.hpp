// The columnstore's pure C++ bridge: the glue in src/columnstore (which includes server headers
// and owns nothing with a destructor) reaches the core's C++ objects (option parser, batch
// builder, codec decoder) only through these plain functions and opaque handles. This header and
// bridge.cpp include no PostgreSQL header. Functions may throw strata::core::Error (which the
// glue lets travel up to cpp_entry) except where they report errors through OptionFailure.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/columnstore/cell.hpp"  // (a plain struct)

namespace strata::columnstore::bridge {

// ---- settings (src/core/columnstore/options) -------------------------------------------------

// Which columnstore option a reloption name is (the values of core OptionName: 0 compress,
// 1 segmentby, 2 orderby, 3 sparse_index, 4 chunk_time_interval), or -1.
int option_id(const char* name);
const char* option_label(int id);

// What went wrong in a parse, for the glue's SQLSTATE: 1 syntax (42601), 2 invalid value,
// 3 duplicate, 4 unknown option (22023).
struct OptionFailure {
  int kind;
  char message[256];
};

inline constexpr size_t kMaxNameBytes = 128;
struct ListItem {
  char column[kMaxNameBytes];  // longer names are an error
  bool descending;             // orderby
  bool nulls_first;            // orderby
  bool bloom;                  // sparse_index: bloom(col) (else minmax(col))
};

// Each parses one option value into at most `capacity` items and returns their number, or -1
// with *failure filled in. kind: 1 segmentby, 2 orderby, 3 sparse_index.
int parse_list(int kind, const char* value, ListItem* items, int capacity, OptionFailure* failure);
// A boolean as parse_bool() takes it; false with *failure filled in when it is not one.
bool parse_bool(const char* value, bool* out, OptionFailure* failure);

// ---- building batches (src/core/columnstore/batch_builder) -------------------------------------

struct Builder;
// `types` are codec::ColumnType values, `bloom` whether a column gets a bloom filter.
Builder* builder_create(const uint8_t* types, const bool* bloom, int ncols);
void builder_destroy(Builder* b);
void builder_add_bloom_hash(Builder* b, int col, uint64_t hash);
// One value of a row for builder_append_row (core::columnstore::CellValue: `bits` an integer
// widened to int64, a float's IEEE bits or a bool; `data`/`len` uuid or varlen bytes; `null`).
using RowValue = core::columnstore::CellValue;
// A whole row, one value per column in column order, then the end of the row: one call instead
// of an append per column and builder_end_row.
void builder_append_row(Builder* b, const RowValue* values);
// One column's value of the current row (then builder_end_row when the row is complete).
void builder_append_cell(Builder* b, int col, const RowValue* value);
void builder_end_row(Builder* b);
// Column by column (BatchBuilder::append_column): n values of column `col` for the next n rows;
// once every column has them, builder_end_rows(n).
void builder_append_column(Builder* b, int col, const RowValue* values, size_t n);
void builder_end_rows(Builder* b, size_t n);
size_t builder_rows(const Builder* b);
bool builder_full(const Builder* b);
// Bytes of variable-length values in the current batch.
size_t builder_varlen_bytes(const Builder* b);
// Encodes the current batch (rows() > 0); its columns are then read with builder_column until
// the next append.
void builder_finish(Builder* b);
void builder_column(const Builder* b, int col, const uint8_t** data, size_t* len, const uint8_t** bloom,
                    size_t* bloom_len);

// Encoding on a second core (docs/ARCHITECTURE.md, boundary rule 6). builder_submit hands the
// current batch (rows() > 0, no batch in flight) to the builder's worker thread, which encodes it
// while the caller appends the next batch into a second set of buffers; builder_collect waits for
// it (re-throwing the worker's error, if any) and makes its columns readable with builder_column
// until the next builder_collect, also across one more builder_submit: the caller writes batch N
// after submitting batch N+1. The worker touches only this builder's C++ data (no PostgreSQL,
// no palloc, no ereport); it starts at the first submit with every signal blocked, so the
// backend's signal handlers run on the backend's thread only, and builder_destroy joins it. When
// no thread can be started, builder_submit encodes at once (same bytes).
void builder_submit(Builder* b);
// Whether each column's batches reuse the codec its earlier batches chose (codec::CodecHint; off
// when created). Only before the first row.
void builder_reuse_codecs(Builder* b, bool on);
bool builder_in_flight(const Builder* b);
// For tests (strata.compression_test_encode_delay): each batch submitted pauses `ms` before it is
// encoded (on the worker, or on the caller's thread when it encodes the batch itself), so that a
// cancel lands while a batch is being encoded. Before the first submit.
void builder_test_encode_delay(Builder* b, int ms) noexcept;
// Whether a batch is in flight and its encoding not finished yet (builder_collect would wait for
// the worker, or encode it on the caller's thread when the worker has not started it). Takes no
// mutex and cannot throw: glue calls it on its per-row paths (direct COPY's pacing).
bool builder_busy(const Builder* b) noexcept;
// How many submitted batches builder_collect encoded on the caller's thread (the worker had not
// started them).
int64_t builder_taken_back(const Builder* b);
void builder_collect(Builder* b);

// Shared dictionaries planned by a streaming writer (core DictionaryPlanner, docs/COLUMNSTORE.md
// "Per-segment shared dictionaries"): builder_plan_begin starts planning Varlen/Uuid column `col`
// over the rows that follow; builder_plan_add gives each of them (in the order they will be
// appended); builder_plan_end decides. True: the column's batches encoded from then on use the
// dictionary where it is their smallest form, and *data / *len is its serialized form for the
// caller to store (valid until the column's next plan). False: batch-local dictionaries again.
// *local_bytes: the estimated bytes of the batch-local dictionaries' entries of the planned rows
// (a caller may stop planning a column whose batches' dictionaries are small); *distinct: the
// planned rows' distinct values. builder_plan_keep: the next rows use the last planned dictionary
// again (`use`; false when there is none) or none, without planning (a column of a few values
// that recur from segment to segment); *data / *len as builder_plan_end gives them.
void builder_plan_begin(Builder* b, int col);
void builder_plan_add(Builder* b, int col, const uint8_t* data, size_t len, bool isnull);
bool builder_plan_end(Builder* b, int col, const uint8_t** data, size_t* len, size_t* local_bytes, size_t* distinct);
bool builder_plan_keep(Builder* b, int col, bool use, const uint8_t** data, size_t* len);

// ---- decoding (src/core/codec) -----------------------------------------------------------------

struct Decoder;  // one reusable DecodedColumn
Decoder* decoder_create();
void decoder_destroy(Decoder* d);
// Decodes an encoded batch column of codec type `type`; throws Error(data_corrupted) on bad input.
// False (nothing decoded) when the column needs a shared dictionary the decoder does not hold:
// the caller adds its segment's dictionaries and decodes again.
bool decoder_decode(Decoder* d, const uint8_t* data, size_t len, uint8_t type);
// Remembers a serialized shared dictionary; a later decode of a column encoded against it finds
// it by id (one already held is not decoded again).
void decoder_add_dictionary(Decoder* d, const uint8_t* data, size_t len);
size_t decoder_rows(const Decoder* d);
bool decoder_is_null(const Decoder* d, size_t row);
// The value of a non-NULL row in its C form: integer types widened, float4/float8, bool, and
// the bytes of Uuid (16) and Varlen values (valid until the next decode).
int64_t decoder_int(const Decoder* d, size_t row);
float decoder_float4(const Decoder* d, size_t row);
double decoder_float8(const Decoder* d, size_t row);
bool decoder_bool(const Decoder* d, size_t row);
void decoder_bytes(const Decoder* d, size_t row, const uint8_t** data, size_t* len);

}  // namespace strata::columnstore::bridge
