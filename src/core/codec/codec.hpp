// Columnstore codec core: lossless compression of one column of a row batch, and back.
//
// Pure C++20, no PostgreSQL headers. Every function here is re-entrant (no global state) and
// reports bad arguments and corrupt input by throwing strata::core::Error; nothing aborts.
// The byte format is specified in docs/FORMAT.md (format version kFormatVersion).
//
// Typical use by the columnstore:
//   ColumnStats st;
//   std::vector<uint8_t> blob = encode_column(ColumnType::Int64, ColumnView::of_fixed(vals, n, nulls),
//                                             EncodeOptions{}, &st);
//   DecodedColumn col = decode_column(blob, ColumnType::Int64);
//   decode_column_into(next_blob, ColumnType::Int64, col);  // a scan: reuses col's buffers
//   std::vector<uint64_t> sel = evaluate_predicate(blob, ColumnType::Int64,
//                                                  Predicate::int_cmp(CmpOp::Ge, 42));
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace strata::core::codec {

// Written by the encoder; decoders read every version from kMinFormatVersion on (docs/FORMAT.md,
// "Versions").
inline constexpr uint8_t kFormatVersion = 3;
inline constexpr uint8_t kMinFormatVersion = 1;
// Hard limits enforced by encoder and decoder (see docs/FORMAT.md, "Limits").
inline constexpr uint64_t kMaxRows = uint64_t{1} << 20;
inline constexpr uint64_t kMaxValueBytes = uint64_t{1} << 30;

// Logical column types. Timestamps are int64 microseconds and dates int32 days; both go through
// the integer codecs. Uuid is 16 raw bytes per value; Varlen is any variable-length binary value
// (text, bytea, numeric or any other type's binary form).
enum class ColumnType : uint8_t {
  Int16 = 1,
  Int32 = 2,
  Int64 = 3,
  Timestamp = 4,
  Date = 5,
  Float4 = 6,
  Float8 = 7,
  Bool = 8,
  Uuid = 9,
  Varlen = 10,
};

// Codec ids as stored in byte 2 of the header.
enum class Codec : uint8_t {
  Auto = 0,        // encoder option only: pick the smallest
  Integer = 1,     // integer tree: constant / frame of reference + GCD + patches / delta / run-length
  Alp = 2,         // decimal-like floats as scaled integers (ALP-style) with exceptions
  FloatXor = 3,    // Gorilla-style XOR of consecutive floats
  Plain = 4,       // fixed-width little-endian values
  ByteSplit = 5,   // fixed-width values with byte k of every value stored together
  Dictionary = 6,  // batch-local dictionary + integer codes
  ExtDictionary = 7,  // codes into an external shared Dictionary
  UuidText = 8,    // canonical UUID text as 16 bytes, other strings as exceptions
  VarPlain = 9,    // lengths (integer tree) + concatenated bytes
  AllNull = 10,    // no values at all (every row NULL)
  Constant = 11,   // every value identical: the value once
};

const char* codec_name(Codec c);
const char* type_name(ColumnType t);
size_t fixed_width(ColumnType t);  // bytes per value, 0 for Varlen

// A batch column to encode. `validity` is an LSB-first bitmap (bit i set = row i not NULL);
// nullptr means no NULLs. For fixed-width types `fixed` points at `rows` values of the type's C
// representation (int16_t, int32_t, int64_t, float, double, bool as uint8_t 0/1, 16-byte uuid);
// the values of NULL rows are ignored. For Varlen `varlen` points at `rows` string_views.
struct ColumnView {
  size_t rows = 0;
  const void* fixed = nullptr;
  const std::string_view* varlen = nullptr;
  const uint8_t* validity = nullptr;

  static ColumnView of_fixed(const void* values, size_t rows, const uint8_t* validity = nullptr) {
    return ColumnView{rows, values, nullptr, validity};
  }
  static ColumnView of_varlen(const std::string_view* values, size_t rows,
                              const uint8_t* validity = nullptr) {
    return ColumnView{rows, nullptr, values, validity};
  }
};

// Statistics computed while encoding (in the pass that gathers the non-null values).
struct ColumnStats {
  uint64_t rows = 0;
  uint64_t null_count = 0;
  bool has_minmax = false;  // false when all NULL (or, for floats, all NaN)
  int64_t min_int = 0, max_int = 0;  // integer-like types and bool
  double min_float = 0, max_float = 0;  // Float4/Float8 (NaN ignored)
  std::string min_bytes, max_bytes;  // Varlen/Uuid, bytewise order
  Codec codec = Codec::Auto;         // codec chosen
  bool zstd = false;                 // zstd last stage used
};

class Dictionary;

// Reusable zstd contexts; optional, pass one to avoid re-allocating contexts per call.
class CodecContext {
 public:
  CodecContext();
  ~CodecContext();
  CodecContext(const CodecContext&) = delete;
  CodecContext& operator=(const CodecContext&) = delete;
  struct Impl;
  Impl* impl() const { return impl_.get(); }

 private:
  std::unique_ptr<Impl> impl_;
};

// What encode_column chose for the earlier batches of one column (a chunk's batches, say), so that
// later batches need not try every codec: once the full trial of every candidate has picked the
// same codec and bit-packing alignment kAgree batches running, the next batches try only that
// one (and Constant, which is free to test), with a zstd stage when one of the last two trials
// used one (kept only where it pays, as in the trial); every (kRecheck + 1)-th batch runs
// the full trial again, and so does a batch the chosen codec cannot encode. A batch whose own best
// codec differs from the remembered one may come out larger than with the full trial (bounded by
// the re-checks; see docs/FORMAT.md, "Encoder"). Owned by the caller, one per column; not
// thread-safe (one encoder at a time).
struct CodecHint {
  static constexpr uint32_t kAgree = 2;
  static constexpr uint32_t kRecheck = 16;
  struct Choice {
    Codec codec = Codec::Auto;  // Auto: nothing learnt yet
    bool aligned = false;
    bool zstd = false;          // try a zstd stage
    bool last_zstd = false;     // the last full trial chose a zstd stage
    uint32_t agree = 0;         // consecutive full trials that chose codec / aligned
    uint32_t since_trial = 0;   // batches encoded from the hint since the last full trial
    // The integer tree's shape under the codec (Integer, Alp, the codes of Dictionary and
    // ExtDictionary: its top block's kind and, under a
    // delta block, the deltas' kind; -1 unknown), and how many full trials running chose it with
    // the codec. Once kAgree have, hinted batches plan only that shape (the block's parameters
    // still adapt to each batch).
    int8_t int_top = -1, int_child = -1;
    uint32_t shape_agree = 0;
    // Alp: the decimal exponent of the last batch (-1 unknown); hinted batches search only next to
    // it instead of trying every exponent.
    int8_t alp_exponent = -1;
  };
  // Batches without and with NULLs learn apart: gaps change the best shape (a periodic column
  // with gaps may need zstd where the same column without them does not).
  Choice by_nulls[2];
  uint64_t trials = 0, hinted = 0;  // counters, for tests and benchmarks
  uint64_t shaped = 0;              // hinted batches that planned only the remembered integer shape
  uint64_t alp_near = 0;            // hinted Alp batches that searched next to the remembered exponent
};

struct EncodeOptions {
  Codec force_codec = Codec::Auto;      // for tests; Error(invalid_argument) if not applicable
  CodecHint* hint = nullptr;            // see CodecHint (ignored with force_codec)
  const Dictionary* dictionary = nullptr;  // external shared dictionary (Varlen/Uuid)
  int zstd_level = 3;
  bool allow_zstd = true;               // zstd last stage where it pays
  // Fraction of the bytes the zstd stage must save to be used (a size / decode-speed trade-off).
  // Negative = automatic: 0.4 for dictionary codes, 0 for everything else.
  double zstd_min_gain = -1.0;
  CodecContext* context = nullptr;
};

struct DecodeOptions {
  uint64_t max_output_bytes = kMaxValueBytes;  // refuse to materialise more than this (at most kMaxValueBytes)
  bool materialize_strings = false;  // Varlen dictionary codecs: copy values per row instead of codes
  CodecContext* context = nullptr;
};

// Encodes one column of a batch. Throws Error(invalid_argument) on bad arguments.
std::vector<uint8_t> encode_column(ColumnType type, const ColumnView& column,
                                   const EncodeOptions& options = {}, ColumnStats* stats = nullptr);

// Allocator whose value-initialisation is a no-op, so decoders do not zero buffers they are about
// to overwrite.
template <class T>
struct UninitializedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using ByteBuffer = std::vector<uint8_t, UninitializedAllocator<uint8_t>>;

// A decoded batch column as flat arrays. NULL rows hold zero / empty values.
// Fixed-width types: `fixed` holds rows * fixed_width(type) bytes.
// Varlen: either materialised (`offsets`/`data`), or — for dictionary codecs unless
// DecodeOptions::materialize_strings — as one uint32 code per row (`codes`) into the batch-local
// entries (`dict_offsets`/`dict_data`) or into the external Dictionary (`external`, which must
// outlive this object). string_at() reads either form.
struct DecodedColumn {
  ColumnType type = ColumnType::Int64;
  uint64_t rows = 0;
  uint64_t null_count = 0;
  std::vector<uint8_t> validity;  // LSB-first bitmap, empty when null_count == 0
  ByteBuffer fixed;                // every byte written by the decoder (NULL slots zeroed)
  std::vector<uint32_t> offsets;  // materialised Varlen: rows + 1 offsets into data
  std::vector<uint8_t> data;
  std::vector<uint32_t, UninitializedAllocator<uint32_t>> codes;  // dictionary form: a code per row (0 if NULL)
  std::vector<uint32_t> dict_offsets;
  std::vector<uint8_t> dict_data;
  const Dictionary* external = nullptr;
  ByteBuffer scratch;  // the decoder's working storage (a decompressed zstd body), kept for reuse

  bool is_null(size_t row) const {
    return !validity.empty() && !((validity[row >> 3] >> (row & 7)) & 1);
  }
  bool dictionary_form() const { return !codes.empty(); }
  template <class T>
  const T* values() const { return reinterpret_cast<const T*>(fixed.data()); }
  std::string_view string_at(size_t row) const;
  // No rows and every buffer empty, their capacity kept (and no external dictionary pointed to).
  void clear() {
    rows = null_count = 0;
    validity.clear();
    fixed.clear();
    offsets.clear();
    data.clear();
    codes.clear();
    dict_offsets.clear();
    dict_data.clear();
    external = nullptr;
  }
};
// Decodes an encoded column. `dictionary` must be given when the column was encoded against an
// external dictionary (its id is checked). Corrupt or truncated input throws
// Error(data_corrupted); it never reads or writes out of bounds.
DecodedColumn decode_column(std::span<const uint8_t> bytes, ColumnType type,
                            const Dictionary* dictionary = nullptr,
                            const DecodeOptions& options = {});
// The same, into `out`, reusing the capacity of its buffers: a scan keeps one DecodedColumn per
// column and decodes batch after batch into it, allocating nothing once the buffers have grown
// to the largest batch. Every field of `out` is replaced. If it throws, `out` is left an empty
// column (rows == 0), never a half-decoded one.
void decode_column_into(std::span<const uint8_t> bytes, ColumnType type, DecodedColumn& out,
                        const Dictionary* dictionary = nullptr, const DecodeOptions& options = {});

// Decodes only the rows a scan will read: `selection` holds at least ceil(rows / 64) words, bit
// i of word i / 64 set for row i. `out` gets rows, null_count and validity as decode_column_into
// gives them, and every selected row the same value; each other row holds its value or zero /
// empty (dictionary forms: code 0). Random access where the encoding allows it (integer blocks of kind
// CONST, FOR, RLE and LZ, dictionary codes in those, Plain and ByteSplit floats, plain strings: only
// the selected values are read or copied); otherwise the body is decoded whole (a fixed-width
// column without NULLs straight into `out`, every row its value; else into scratch storage, only
// the selected values placed). For a batch filtered down to a few rows (an
// ordered LIMIT, a one-device lookup) before its other columns are decoded. Corrupt input
// throws as decode_column_into does (bytes of values not selected are not all checked); if it
// throws, `out` is left an empty column.
void decode_column_rows_into(std::span<const uint8_t> bytes, ColumnType type, DecodedColumn& out,
                             std::span<const uint64_t> selection, const Dictionary* dictionary = nullptr,
                             const DecodeOptions& options = {});

// The selected rows alone, in order: `out` becomes a column of as many rows as `selection` selects
// (within the column's rows), row j holding the j-th selected row's value, and nothing else is
// written (no batch-sized array zeroed). For a column without NULLs whose codec
// decode_column_rows_into reads by random access or decodes whole (not Uuid, not the string
// codecs Constant and UuidText): false otherwise, `out` untouched, and the caller uses
// decode_column_rows_into. A shorter selection throws invalid_argument; corrupt input throws as
// decode_column_rows_into does, leaving `out` an empty column.
bool decode_selected_rows(std::span<const uint8_t> bytes, ColumnType type, DecodedColumn& out,
                          std::span<const uint64_t> selection, const Dictionary* dictionary = nullptr,
                          const DecodeOptions& options = {});

// The rows of a Varlen column whose value equals one of `values` (bytewise; `col = v` or `col IN
// (...)`), as a bitmap of ceil(rows / 64) words into `bits`, for plain strings (VarPlain, the
// body's lengths and bytes): compared where they lie in the body (with one length for every
// value, 8 bytes at a time), no other value materialised. `out` becomes the column as
// decode_column_rows_into gives it for the selection `bits`: the matching rows' values, every
// other row empty, so a scan whose final selection lies within the matches reads the column
// without decoding it. Returns false, `bits` and `out` untouched, for every other codec: the
// caller decodes the column and filters it. Corrupt input throws data_corrupted (`out` left an
// empty column).
bool select_equal_strings(std::span<const uint8_t> bytes, std::span<const std::string_view> values,
                          std::vector<uint64_t>& bits, DecodedColumn& out, const DecodeOptions& options = {});

// Header facts readable without decoding.
struct ColumnInfo {
  uint8_t version = 0;
  ColumnType type = ColumnType::Int64;
  Codec codec = Codec::Auto;
  uint64_t rows = 0;
  uint64_t null_count = 0;  // exact
  bool zstd = false;
  uint64_t dictionary_id = 0;  // non-zero for ExtDictionary
};
ColumnInfo inspect_column(std::span<const uint8_t> bytes);

// ---- Predicates and aggregates on encoded data ----
enum class CmpOp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };
struct Predicate {
  CmpOp op = CmpOp::Eq;
  int64_t int_value = 0;       // integer-like types and Bool
  double float_value = 0;      // Float4/Float8 (IEEE comparison; NaN never matches)
  std::string bytes_value;     // Varlen/Uuid (bytewise comparison)

  static Predicate int_cmp(CmpOp op, int64_t v) { Predicate p; p.op = op; p.int_value = v; return p; }
  static Predicate float_cmp(CmpOp op, double v) { Predicate p; p.op = op; p.float_value = v; return p; }
  static Predicate bytes_cmp(CmpOp op, std::string_view v) {
    Predicate p; p.op = op; p.bytes_value = std::string(v); return p;
  }
};

// Returns a bitmap of ceil(rows/64) words: bit i set when row i is not NULL and satisfies the
// predicate. Works on codes (dictionaries), per run (run-length) and on packed values (frame of
// reference) where the codec allows; otherwise decodes internally.
std::vector<uint64_t> evaluate_predicate(std::span<const uint8_t> bytes, ColumnType type,
                                         const Predicate& predicate,
                                         const Dictionary* dictionary = nullptr,
                                         const DecodeOptions& options = {});

struct Aggregates {
  uint64_t count = 0;  // non-null values
  bool has_minmax = false;
  int64_t min_int = 0, max_int = 0;
  __int128 sum_int = 0;  // integer-like types and Bool
  double min_float = 0, max_float = 0, sum_float = 0;  // floats (NaN ignored for min/max)
};
// count/min/max/sum of the non-null values of a numeric column (int, timestamp, date, bool,
// float). Constant and run-length columns are aggregated per run, frame-of-reference columns on
// packed values.
Aggregates aggregate_column(std::span<const uint8_t> bytes, ColumnType type,
                            const DecodeOptions& options = {});

// ---- External shared dictionary ----
// Holds each distinct value once, in order of first appearance of the values it was built from
// (so codes of a batch in orderby order tend to repeat the same sequence and delta-encode well).
class Dictionary {
 public:
  Dictionary() = default;
  Dictionary(const Dictionary& o) : type_(o.type_), id_(o.id_), data_(o.data_), offsets_(o.offsets_) {
    index();
  }
  Dictionary& operator=(const Dictionary& o) {
    if (this != &o) { Dictionary t(o); *this = std::move(t); }
    return *this;
  }
  Dictionary(Dictionary&&) noexcept = default;  // vector moves keep the buffer, so views stay valid
  Dictionary& operator=(Dictionary&&) noexcept = default;
  // Builds from values (duplicates ignored). For Uuid each value must be 16 bytes.
  static Dictionary build(ColumnType type, std::span<const std::string_view> values);
  // Serialized form (docs/FORMAT.md, "External dictionary"); its id is a hash of the entries.
  std::vector<uint8_t> serialize(int zstd_level = 3) const;
  static Dictionary deserialize(std::span<const uint8_t> bytes, const DecodeOptions& options = {});
  // The id in a serialized dictionary's header, without decoding its entries (so a reader that
  // holds it already need not deserialize it again); throws Error(data_corrupted) when `bytes` is
  // too short or not of a version this build reads. deserialize() still checks the id.
  static uint64_t serialized_id(std::span<const uint8_t> bytes);

  ColumnType type() const { return type_; }
  uint64_t id() const { return id_; }
  size_t size() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }
  std::string_view entry(size_t code) const {  // code < size()
    return std::string_view(data_.data() + offsets_[code], offsets_[code + 1] - offsets_[code]);
  }
  std::optional<uint32_t> find(std::string_view value) const;
  // The entries as flat arrays: entry k is entry_data()[entry_offsets()[k], entry_offsets()[k + 1]).
  const char* entry_data() const { return data_.data(); }
  const uint32_t* entry_offsets() const { return offsets_.data(); }

 private:
  void index();
  ColumnType type_ = ColumnType::Varlen;
  uint64_t id_ = 0;
  std::vector<char> data_;
  std::vector<uint32_t> offsets_;
  std::unordered_map<std::string_view, uint32_t> lookup_;
};

}  // namespace strata::core::codec

namespace strata::core::codec {
inline std::string_view DecodedColumn::string_at(size_t row) const {
  if (is_null(row)) return {};
  if (!codes.empty()) {
    const uint32_t c = codes[row];
    if (external) return external->entry(c);
    return std::string_view(reinterpret_cast<const char*>(dict_data.data()) + dict_offsets[c],
                            dict_offsets[c + 1] - dict_offsets[c]);
  }
  return std::string_view(reinterpret_cast<const char*>(data.data()) + offsets[row], offsets[row + 1] - offsets[row]);
}
}  // namespace strata::core::codec
