// Builds columnstore batches: accumulates the rows of one segment column by column, cuts them
// into batches of up to max_rows rows, and encodes each column with the codec core
// (codec::encode_column), with statistics and optional bloom filters.
//
// Use (the glue, reading a chunk's rows sorted by segmentby, orderby):
//   BatchBuilder b({{ColumnType::Timestamp}, {ColumnType::Varlen, /*bloom=*/true}, ...});
//   per row: for each column append_null / append_int / append_float4 / append_float8 /
//            append_bool / append_bytes (and add_bloom_hash for bloom columns), then end_row();
//            if (b.full()) write(b.finish());
//   at the end of a segment: if (b.rows()) write(b.finish());
// With a shared_dictionary column the batches of a segment can only be encoded once the whole
// segment is known: call finish_batch() where finish() would be, and finish_segment() at the end
// of the segment, which returns every batch of the segment and the dictionaries they use.
//
// A streaming writer (one that cannot hold a segment's batches until the segment ends) plans a
// column's shared dictionary instead from one pass over the values of a group of the segment's
// rows before appending them (DictionaryPlanner, at most kDictionaryGroupBatches batches a group),
// and has the group's batches encoded against it with set_dictionary().
//
// Buffers keep their capacity from batch to batch; once they have grown to a full batch,
// appending allocates nothing (the encoded blobs are new vectors from encode_column).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/codec.hpp"
#include "columnstore/bloom.hpp"
#include "columnstore/cell.hpp"

namespace strata::core::columnstore {

struct ColumnSpec {
  codec::ColumnType type = codec::ColumnType::Int64;
  bool bloom = false;              // build a bloom filter from the hashes given to add_bloom_hash
  bool shared_dictionary = false;  // Varlen/Uuid: try one dictionary for the whole segment
};

struct BatchBuilderOptions {
  size_t max_rows = 1000;                  // rows per batch, 1..codec::kMaxRows
  codec::EncodeOptions encode;             // its `dictionary` and `hint` are ignored (set per column)
  // One codec::CodecHint per column (column_count() of them, owned by the caller, who may share
  // them between builders that never encode at the same time): each column's batches then reuse
  // the codec the earlier batches chose instead of trying every codec (codec::CodecHint). nullptr:
  // every batch tries every codec.
  codec::CodecHint* hints = nullptr;
  BloomOptions bloom;
};

struct EncodedColumn {
  std::vector<uint8_t> data;    // codec::encode_column's output
  codec::ColumnStats stats;     // min/max (NaN ignored), null count, codec chosen
  bool has_nan = false;         // Float4/Float8: some value is NaN (not reflected in stats)
  bool has_bloom = false;
  std::vector<uint8_t> bloom;   // serialized BloomFilter when has_bloom
  // encoded against the segment's shared dictionary (Segment::dictionaries), which a reader
  // must pass to decode_column
  bool uses_shared_dictionary = false;
};

struct Batch {
  size_t rows = 0;
  std::vector<EncodedColumn> columns;  // in ColumnSpec order
};

struct SharedDictionary {
  size_t column = 0;
  codec::Dictionary dictionary;
  std::vector<uint8_t> serialized;  // Dictionary::serialize(), what the glue stores
};

struct Segment {
  std::vector<Batch> batches;
  // Dictionaries some batch of this segment was encoded against (a column is listed only when
  // encoding its batches against one was smaller overall, the dictionary's bytes included).
  std::vector<SharedDictionary> dictionaries;
  const SharedDictionary* dictionary_for(size_t column) const;
};

class BatchBuilder {
 public:
  explicit BatchBuilder(std::vector<ColumnSpec> columns, const BatchBuilderOptions& options = {});
  ~BatchBuilder();
  BatchBuilder(const BatchBuilder&) = delete;
  BatchBuilder& operator=(const BatchBuilder&) = delete;

  size_t column_count() const;
  size_t rows() const { return rows_; }  // rows ended in the current batch
  bool full() const { return rows_ >= options_.max_rows; }
  size_t max_rows() const { return options_.max_rows; }
  // bytes of variable-length values in the current batch (a caller can cut batches early)
  size_t varlen_bytes() const { return varlen_bytes_; }

  // Exactly one append per column per row, then end_row(). Errors (invalid_argument): a column
  // index out of range, a second value for the same row, a value of the wrong type, a full batch;
  // (out_of_range): an integer outside the column type's range.
  void append_null(size_t col);
  void append_int(size_t col, int64_t v);     // Int16, Int32, Int64, Timestamp, Date
  void append_float4(size_t col, float v);
  void append_float8(size_t col, double v);
  void append_bool(size_t col, bool v);
  void append_bytes(size_t col, std::string_view v);  // Varlen; Uuid (exactly 16 bytes)
  // A whole row at once, one value per column in column order (column_count() of them), then
  // end_row(): the same as an append per column and end_row(), with the same errors, in one call.
  void append_row(const CellValue* values);
  // One column's value given as a CellValue (the column's own type read from it), as the typed
  // appends above take it.
  void append_cell(size_t col, const CellValue& v);
  // Column by column: the values of the next n rows (rows() .. rows() + n - 1) of one column at
  // once, every column given its n values, then end_rows(n); the same batches as n append_row
  // calls, with the same errors (a type switch per column instead of one per value).
  void append_column(size_t col, const CellValue* values, size_t n);
  void end_rows(size_t n);
  // The hash of a non-NULL value of a bloom column (once per row or once per distinct value).
  void add_bloom_hash(size_t col, uint64_t hash);
  void end_row();

  // Streaming shared dictionary: the batches encoded from now on (finish / finish_batch) encode
  // Varlen/Uuid column `col` against `dictionary` where that is their smallest form (a batch
  // holding a value the dictionary lacks, or one that is smaller on its own, is encoded without
  // it: EncodedColumn::uses_shared_dictionary says which). nullptr: batch-local again. The
  // dictionary is the caller's and must outlive the encoding of those batches. Not for a
  // shared_dictionary (segment mode) column. Errors (invalid_argument): a column out of range or
  // of another type, a dictionary of another type.
  void set_dictionary(size_t col, const codec::Dictionary* dictionary);
  const codec::Dictionary* dictionary(size_t col) const;

  // Encodes the current batch and starts the next one. Only without shared_dictionary columns;
  // the result stays valid until the next call.
  const Batch& finish();
  // Segment mode: closes the current batch (if it has rows) into the segment ...
  void finish_batch();
  // ... and encodes the segment's batches, returning them. Valid until the next call.
  const Segment& finish_segment();

 private:
  struct Column;
  Column& column(size_t col, bool (*type_ok)(codec::ColumnType), const char* what);
  void put(Column& c, const CellValue& v);  // append_row's and append_cell's store of one value
  void encode_batch(Batch& out);
  void reset_batch();

  std::vector<Column> columns_;
  BatchBuilderOptions options_;
  size_t rows_ = 0;
  size_t varlen_bytes_ = 0;
  bool segment_mode_ = false;
  bool segment_done_ = false;  // segment_ was returned; the next batch starts a new one
  Batch batch_;
  Segment segment_;
  codec::CodecContext context_;
};

// Rows of one segment that a streaming writer plans one shared dictionary for (a bound on the
// planner's memory and on the rows a dictionary entry must be useful to): 64 batches of 1,000 rows.
inline constexpr size_t kDictionaryGroupBatches = 64;

// Decides, from one pass over a Varlen/Uuid column's values in a group of a segment's rows (in the
// order they will be appended, NULLs included so that batch boundaries fall where the builder will
// cut them: every batch_rows rows), whether a dictionary shared by the group's batches makes the
// column smaller, and builds it. The estimate: each batch's own dictionary holds the distinct
// values it meets (their bytes once a batch), a shared one holds each distinct value of the group
// once and costs every batch its 8-byte id and codes wide enough for the group's distinct values
// rather than the batch's; the shared dictionary is taken when it saves at least min_gain of the
// batch-local entries' bytes and the group spans at least two batches. An estimate only: a batch
// encoded against the dictionary still picks its smallest form (set_dictionary).
//   DictionaryPlanner p(ColumnType::Varlen);
//   for each row of the group: v is NULL ? p.add_null() : p.add(v);
//   if (auto d = p.finish()) { b.set_dictionary(col, &*d); store d->serialize(); }
//   ... append the group's rows ...; p.reset() for the next group.
class DictionaryPlanner {
 public:
  explicit DictionaryPlanner(codec::ColumnType type, size_t batch_rows = 1000, double min_gain = 0.25);
  void add(std::string_view value);  // the next row's value (Uuid: 16 bytes)
  void add_null();                   // the next row is NULL
  size_t rows() const { return rows_; }
  size_t distinct() const { return values_store_.size(); }
  // The estimated bytes of the batch-local dictionaries' entries, and of the shared dictionary
  // with its per-batch costs (ids and wider codes), for the rows given so far.
  size_t local_bytes() const { return local_bytes_; }
  size_t shared_bytes() const;
  // The shared dictionary of the rows given (entries in order of first appearance), or nothing
  // when it would not pay. The planner keeps its rows until reset().
  std::optional<codec::Dictionary> finish() const;
  void reset();

 private:
  codec::ColumnType type_;
  size_t batch_rows_;
  double min_gain_;
  size_t rows_ = 0;
  size_t local_bytes_ = 0;     // sum over batches of the bytes of the distinct values they meet
  size_t dict_bytes_ = 0;      // bytes of the distinct values of the group
  size_t batch_distinct_ = 0;  // distinct values met by the current batch
  size_t batch_values_ = 0;    // non-NULL rows of the current batch
  size_t values_ = 0;          // non-NULL rows of the group
  size_t code_bits_local_ = 0; // sum over closed batches of values * bit width of the batch's codes
  // The distinct values in order of first appearance (a deque: its strings never move), the
  // last batch that met each and its hash; past kLinearValues of them, slots_ (open addressing,
  // a value's position + 1, 0 empty, at most half full) finds a value's position without a copy
  // (a std::unordered_map's lookup was a third of the planning pass: docs/BENCHMARKS.md, branch
  // f-compress8).
  static constexpr size_t kLinearValues = 16;
  static constexpr size_t kMaxSharedBytes = size_t{16} << 20;  // of a shared dictionary's values
  std::deque<std::string> values_store_;
  std::vector<size_t> last_batch_;
  std::vector<uint64_t> hashes_;
  std::vector<uint32_t> slots_;
  void index_value(size_t pos);
  void end_batch();
};

}  // namespace strata::core::columnstore
