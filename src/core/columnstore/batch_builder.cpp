// Columnstore batch builder (see batch_builder.hpp).
#include "columnstore/batch_builder.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "error.hpp"

namespace strata::core::columnstore {

using codec::ColumnType;

namespace {

[[noreturn]] void bad(const std::string& what) { throw Error(Errc::invalid_argument, what); }

bool is_int(ColumnType t) {
  return t == ColumnType::Int16 || t == ColumnType::Int32 || t == ColumnType::Int64 || t == ColumnType::Timestamp ||
         t == ColumnType::Date;
}
bool is_float4(ColumnType t) { return t == ColumnType::Float4; }
bool is_float8(ColumnType t) { return t == ColumnType::Float8; }
bool is_bool(ColumnType t) { return t == ColumnType::Bool; }
bool is_bytes(ColumnType t) { return t == ColumnType::Varlen || t == ColumnType::Uuid; }
bool any_type(ColumnType) { return true; }

// A column's Varlen bytes: a growable buffer whose append is a capacity check and a copy (a
// std::vector<char>'s range insert was half of a Varlen value's cost in put; docs/BENCHMARKS.md,
// branch f-compress8). resize leaves the new bytes for the caller to write.
class ByteArena {
 public:
  ByteArena() = default;
  // (a moved-from arena is empty: its size and capacity go with the buffer)
  ByteArena(ByteArena&& o) noexcept : buf_(std::move(o.buf_)), size_(o.size_), cap_(o.cap_) { o.size_ = o.cap_ = 0; }
  ByteArena& operator=(ByteArena&& o) noexcept {
    if (this == &o) return *this;
    buf_ = std::move(o.buf_);
    size_ = o.size_;
    cap_ = o.cap_;
    o.size_ = o.cap_ = 0;
    return *this;
  }
  ByteArena(const ByteArena&) = delete;
  ByteArena& operator=(const ByteArena&) = delete;
  char* data() { return buf_.get(); }
  const char* data() const { return buf_.get(); }
  size_t size() const { return size_; }
  void clear() { size_ = 0; }
  void resize(size_t n) {
    if (n > cap_) grow(n);
    size_ = n;
  }
  void append(const char* p, size_t n) {
    if (n > cap_ - size_) grow(size_ + n);
    if (n != 0) std::memcpy(buf_.get() + size_, p, n);
    size_ += n;
  }

 private:
  void grow(size_t need) {
    const size_t cap = std::max(need, std::max<size_t>(cap_ * 2, 256));
    std::unique_ptr<char[]> b(new char[cap]);
    if (size_ != 0) std::memcpy(b.get(), buf_.get(), size_);
    buf_ = std::move(b);
    cap_ = cap;
  }
  std::unique_ptr<char[]> buf_;
  size_t size_ = 0;
  size_t cap_ = 0;
};

}  // namespace

struct BatchBuilder::Column {
  ColumnSpec spec;
  size_t width = 0;  // bytes per value in `fixed`, 0 for Varlen
  size_t count = 0;  // values (NULLs included) appended to the current batch
  size_t nulls = 0;
  std::vector<uint8_t> fixed;     // max_rows * width bytes
  std::vector<uint8_t> validity;  // LSB-first, bit set = not NULL; ceil(max_rows / 8) bytes
  ByteArena arena;                // Varlen bytes
  std::vector<uint32_t> offsets;  // Varlen: count + 1 offsets into arena
  std::vector<std::string_view> views;
  std::vector<uint64_t> hashes;
  bool has_nan = false;
  BloomFilter bloom;
  const codec::Dictionary* dictionary = nullptr;  // set_dictionary (streaming shared dictionary)

  // Segment mode, shared_dictionary columns: every row of the segment's closed batches (NULL
  // rows empty), and each batch's validity bitmap (empty when it had no NULLs)
  std::vector<char> seg_arena;
  std::vector<size_t> seg_offsets{0};
  std::vector<std::vector<uint8_t>> seg_validity;

  bool varlen() const { return spec.type == ColumnType::Varlen; }
  void mark_valid() { validity[count >> 3] |= static_cast<uint8_t>(1u << (count & 7)); }
};

const SharedDictionary* Segment::dictionary_for(size_t column) const {
  for (const SharedDictionary& d : dictionaries)
    if (d.column == column) return &d;
  return nullptr;
}

BatchBuilder::BatchBuilder(std::vector<ColumnSpec> specs, const BatchBuilderOptions& options) : options_(options) {
  if (options_.max_rows < 1 || options_.max_rows > codec::kMaxRows)
    bad("batch size must be between 1 and " + std::to_string(codec::kMaxRows) + " rows");
  columns_.resize(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    Column& c = columns_[i];
    c.spec = specs[i];
    const uint8_t t = static_cast<uint8_t>(c.spec.type);
    if (t < static_cast<uint8_t>(ColumnType::Int16) || t > static_cast<uint8_t>(ColumnType::Varlen))
      bad("column " + std::to_string(i) + " has an unknown type");
    if (c.spec.shared_dictionary && !is_bytes(c.spec.type))
      bad("column " + std::to_string(i) + ": a shared dictionary needs a varlen or uuid column");
    segment_mode_ |= c.spec.shared_dictionary;
    c.width = codec::fixed_width(c.spec.type);
    c.fixed.resize(options_.max_rows * c.width);
    c.validity.assign((options_.max_rows + 7) / 8, 0);
    if (c.varlen()) {
      c.offsets.reserve(options_.max_rows + 1);
      c.offsets.push_back(0);
    }
  }
  batch_.columns.resize(columns_.size());
}

BatchBuilder::~BatchBuilder() = default;

size_t BatchBuilder::column_count() const { return columns_.size(); }

BatchBuilder::Column& BatchBuilder::column(size_t col, bool (*type_ok)(ColumnType), const char* what) {
  if (col >= columns_.size()) bad("column index " + std::to_string(col) + " out of range");
  Column& c = columns_[col];
  if (!type_ok(c.spec.type))
    bad(std::string("column ") + std::to_string(col) + " is of type " + codec::type_name(c.spec.type) + ", not " +
        what);
  if (c.count != rows_) bad("column " + std::to_string(col) + " already has a value for this row");
  if (rows_ >= options_.max_rows) bad("the batch is full");
  return c;
}

void BatchBuilder::append_null(size_t col) {
  Column& c = column(col, any_type, "");
  if (c.width) std::memset(c.fixed.data() + c.count * c.width, 0, c.width);
  if (c.varlen()) c.offsets.push_back(c.offsets.back());
  ++c.nulls;
  ++c.count;
}

void BatchBuilder::append_int(size_t col, int64_t v) {
  Column& c = column(col, is_int, "an integer type");
  uint8_t* p = c.fixed.data() + c.count * c.width;
  switch (c.spec.type) {
    case ColumnType::Int16: {
      if (v < INT16_MIN || v > INT16_MAX) throw Error(Errc::out_of_range, "value out of range for int16");
      const int16_t x = static_cast<int16_t>(v);
      std::memcpy(p, &x, 2);
      break;
    }
    case ColumnType::Int32:
    case ColumnType::Date: {
      if (v < INT32_MIN || v > INT32_MAX) throw Error(Errc::out_of_range, "value out of range for int32");
      const int32_t x = static_cast<int32_t>(v);
      std::memcpy(p, &x, 4);
      break;
    }
    default:
      std::memcpy(p, &v, 8);
      break;
  }
  c.mark_valid();
  ++c.count;
}

void BatchBuilder::append_float4(size_t col, float v) {
  Column& c = column(col, is_float4, "float4");
  std::memcpy(c.fixed.data() + c.count * 4, &v, 4);
  c.has_nan |= v != v;
  c.mark_valid();
  ++c.count;
}

void BatchBuilder::append_float8(size_t col, double v) {
  Column& c = column(col, is_float8, "float8");
  std::memcpy(c.fixed.data() + c.count * 8, &v, 8);
  c.has_nan |= v != v;
  c.mark_valid();
  ++c.count;
}

void BatchBuilder::append_bool(size_t col, bool v) {
  Column& c = column(col, is_bool, "bool");
  c.fixed[c.count] = v ? 1 : 0;
  c.mark_valid();
  ++c.count;
}

void BatchBuilder::append_bytes(size_t col, std::string_view v) {
  Column& c = column(col, is_bytes, "varlen or uuid");
  if (c.varlen()) {
    if (v.size() > codec::kMaxValueBytes - std::min<uint64_t>(c.arena.size(), codec::kMaxValueBytes))
      throw Error(Errc::out_of_range, "values of the batch exceed 1 GiB");
    c.arena.append(v.data(), v.size());
    c.offsets.push_back(static_cast<uint32_t>(c.arena.size()));
    varlen_bytes_ += v.size();
  } else {
    if (v.size() != 16) bad("a uuid value must be 16 bytes");
    std::memcpy(c.fixed.data() + c.count * 16, v.data(), 16);
  }
  c.mark_valid();
  ++c.count;
}

void BatchBuilder::put(Column& c, const CellValue& v) {
  if (v.null) {
    if (c.width) std::memset(c.fixed.data() + c.count * c.width, 0, c.width);
    if (c.varlen()) c.offsets.push_back(c.offsets.back());
    ++c.nulls;
    ++c.count;
    return;
  }
  uint8_t* p = c.fixed.data() + c.count * c.width;
  switch (c.spec.type) {
    case ColumnType::Int16: {
      const int64_t x = static_cast<int64_t>(v.bits);
      if (x < INT16_MIN || x > INT16_MAX) throw Error(Errc::out_of_range, "value out of range for int16");
      const int16_t y = static_cast<int16_t>(x);
      std::memcpy(p, &y, 2);
      break;
    }
    case ColumnType::Int32:
    case ColumnType::Date: {
      const int64_t x = static_cast<int64_t>(v.bits);
      if (x < INT32_MIN || x > INT32_MAX) throw Error(Errc::out_of_range, "value out of range for int32");
      const int32_t y = static_cast<int32_t>(x);
      std::memcpy(p, &y, 4);
      break;
    }
    case ColumnType::Int64:
    case ColumnType::Timestamp:
      std::memcpy(p, &v.bits, 8);
      break;
    case ColumnType::Float4: {
      const uint32_t b = static_cast<uint32_t>(v.bits);
      std::memcpy(p, &b, 4);
      c.has_nan |= (b & 0x7fffffffu) > 0x7f800000u;
      break;
    }
    case ColumnType::Float8:
      std::memcpy(p, &v.bits, 8);
      c.has_nan |= (v.bits & 0x7fffffffffffffffull) > 0x7ff0000000000000ull;
      break;
    case ColumnType::Bool:
      *p = v.bits != 0 ? 1 : 0;
      break;
    case ColumnType::Uuid:
      if (v.len != 16) bad("a uuid value must be 16 bytes");
      std::memcpy(p, v.data, 16);
      break;
    case ColumnType::Varlen: {
      if (v.len > codec::kMaxValueBytes - std::min<uint64_t>(c.arena.size(), codec::kMaxValueBytes))
        throw Error(Errc::out_of_range, "values of the batch exceed 1 GiB");
      const char* d = static_cast<const char*>(v.data);
      c.arena.append(d, v.len);
      c.offsets.push_back(static_cast<uint32_t>(c.arena.size()));
      varlen_bytes_ += v.len;
      break;
    }
  }
  c.mark_valid();
  ++c.count;
}

void BatchBuilder::append_cell(size_t col, const CellValue& v) { put(column(col, any_type, ""), v); }

void BatchBuilder::append_row(const CellValue* values) {
  if (rows_ >= options_.max_rows) bad("the batch is full");
  for (size_t i = 0; i < columns_.size(); ++i) {
    Column& c = columns_[i];
    if (c.count != rows_) bad("column " + std::to_string(i) + " already has a value for this row");
    put(c, values[i]);
  }
  ++rows_;
}

void BatchBuilder::append_column(size_t col, const CellValue* values, size_t n) {
  if (col >= columns_.size()) bad("column index " + std::to_string(col) + " out of range");
  Column& c = columns_[col];
  if (c.count != rows_) bad("column " + std::to_string(col) + " already has a value for this row");
  if (n > options_.max_rows - rows_) bad("the batch is full");
  if (c.varlen()) {
    // The column's bytes grow once for the n values (put grows them value by value).
    size_t total = 0;
    for (size_t i = 0; i < n; ++i) total += values[i].null ? 0 : values[i].len;
    if (total > codec::kMaxValueBytes - std::min<uint64_t>(c.arena.size(), codec::kMaxValueBytes))
      throw Error(Errc::out_of_range, "values of the batch exceed 1 GiB");
    size_t at = c.arena.size();
    c.arena.resize(at + total);
    const size_t first = c.offsets.size();
    c.offsets.resize(first + n);
    for (size_t i = 0; i < n; ++i) {
      const CellValue& v = values[i];
      if (v.null) {
        ++c.nulls;
      } else {
        if (v.len != 0) std::memcpy(c.arena.data() + at, v.data, v.len);
        at += v.len;
        const size_t k = c.count + i;
        c.validity[k >> 3] |= static_cast<uint8_t>(1u << (k & 7));
      }
      c.offsets[first + i] = static_cast<uint32_t>(at);
    }
    c.count += n;
    varlen_bytes_ += total;
    return;
  }
  // The 8-byte types in one loop each (the widest share of a row); the others value by value.
  const bool int8 = c.spec.type == ColumnType::Int64 || c.spec.type == ColumnType::Timestamp;
  if (!int8 && c.spec.type != ColumnType::Float8) {
    for (size_t i = 0; i < n; ++i) put(c, values[i]);
    return;
  }
  uint8_t* p = c.fixed.data() + c.count * 8;
  bool nan = false;
  for (size_t i = 0; i < n; ++i, p += 8) {
    const CellValue& v = values[i];
    const size_t k = c.count + i;
    if (v.null) {
      std::memset(p, 0, 8);
      ++c.nulls;
      continue;
    }
    std::memcpy(p, &v.bits, 8);
    nan |= (v.bits & 0x7fffffffffffffffull) > 0x7ff0000000000000ull;
    c.validity[k >> 3] |= static_cast<uint8_t>(1u << (k & 7));
  }
  if (!int8) c.has_nan |= nan;
  c.count += n;
}

void BatchBuilder::end_rows(size_t n) {
  if (n > options_.max_rows - rows_) bad("the batch is full");
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].count != rows_ + n) bad("column " + std::to_string(i) + " has no value for this row");
  rows_ += n;
}

void BatchBuilder::add_bloom_hash(size_t col, uint64_t hash) {
  if (col >= columns_.size()) bad("column index " + std::to_string(col) + " out of range");
  Column& c = columns_[col];
  if (!c.spec.bloom) bad("column " + std::to_string(col) + " has no bloom filter");
  c.hashes.push_back(hash);
}

void BatchBuilder::end_row() {
  if (rows_ >= options_.max_rows) bad("the batch is full");
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].count != rows_ + 1) bad("column " + std::to_string(i) + " has no value for this row");
  ++rows_;
}

void BatchBuilder::set_dictionary(size_t col, const codec::Dictionary* dictionary) {
  if (col >= columns_.size()) bad("column index " + std::to_string(col) + " out of range");
  Column& c = columns_[col];
  if (!is_bytes(c.spec.type)) bad("column " + std::to_string(col) + ": a shared dictionary needs a varlen or uuid column");
  if (c.spec.shared_dictionary) bad("column " + std::to_string(col) + " plans its own shared dictionary (segment mode)");
  if (dictionary != nullptr && dictionary->type() != c.spec.type)
    bad("column " + std::to_string(col) + ": the dictionary is of another type");
  c.dictionary = dictionary;
}

const codec::Dictionary* BatchBuilder::dictionary(size_t col) const {
  if (col >= columns_.size()) bad("column index " + std::to_string(col) + " out of range");
  return columns_[col].dictionary;
}

void BatchBuilder::encode_batch(Batch& out) {
  out.rows = rows_;
  out.columns.resize(columns_.size());
  codec::EncodeOptions eo = options_.encode;
  eo.dictionary = nullptr;
  if (!eo.context) eo.context = &context_;
  for (size_t i = 0; i < columns_.size(); ++i) {
    Column& c = columns_[i];
    EncodedColumn& e = out.columns[i];
    const uint8_t* validity = c.nulls ? c.validity.data() : nullptr;
    codec::ColumnView view;
    if (c.varlen()) {
      c.views.resize(rows_);
      for (size_t r = 0; r < rows_; ++r) c.views[r] = std::string_view(c.arena.data() + c.offsets[r], c.offsets[r + 1] - c.offsets[r]);
      view = codec::ColumnView::of_varlen(c.views.data(), rows_, validity);
    } else {
      view = codec::ColumnView::of_fixed(c.fixed.data(), rows_, validity);
    }
    e.stats = codec::ColumnStats{};
    eo.hint = options_.hints ? &options_.hints[i] : nullptr;
    eo.dictionary = c.dictionary;
    e.data = codec::encode_column(c.spec.type, view, eo, &e.stats);
    e.has_nan = c.has_nan;
    e.uses_shared_dictionary = c.dictionary != nullptr && e.stats.codec == codec::Codec::ExtDictionary;
    e.has_bloom = c.spec.bloom;
    if (c.spec.bloom) {
      std::sort(c.hashes.begin(), c.hashes.end());
      c.hashes.erase(std::unique(c.hashes.begin(), c.hashes.end()), c.hashes.end());
      c.bloom.reset(c.hashes.size(), options_.bloom);
      for (uint64_t h : c.hashes) c.bloom.insert(h);
      c.bloom.serialize_into(e.bloom);
    } else {
      e.bloom.clear();
    }
  }
}

void BatchBuilder::reset_batch() {
  for (Column& c : columns_) {
    c.count = 0;
    c.nulls = 0;
    c.has_nan = false;
    std::memset(c.validity.data(), 0, c.validity.size());
    c.hashes.clear();
    if (c.varlen()) {
      c.arena.clear();
      c.offsets.resize(1);
    }
  }
  rows_ = 0;
  varlen_bytes_ = 0;
}

const Batch& BatchBuilder::finish() {
  if (segment_mode_) bad("finish() with a shared dictionary column: use finish_batch() and finish_segment()");
  // a half-appended row is an error, not a silent drop
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].count != rows_) bad("column " + std::to_string(i) + " has a value for an unfinished row");
  encode_batch(batch_);
  reset_batch();
  return batch_;
}

void BatchBuilder::finish_batch() {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].count != rows_) bad("column " + std::to_string(i) + " has a value for an unfinished row");
  if (segment_done_) {
    segment_.batches.clear();
    segment_.dictionaries.clear();
    segment_done_ = false;
  }
  if (rows_ == 0) return;
  segment_.batches.emplace_back();
  encode_batch(segment_.batches.back());
  for (Column& c : columns_) {
    if (!c.spec.shared_dictionary) continue;
    for (size_t r = 0; r < rows_; ++r) {
      const bool null = !((c.validity[r >> 3] >> (r & 7)) & 1);
      if (c.varlen()) {
        c.seg_arena.insert(c.seg_arena.end(), c.arena.data() + c.offsets[r], c.arena.data() + c.offsets[r + 1]);
      } else if (!null) {
        c.seg_arena.insert(c.seg_arena.end(), c.fixed.data() + r * 16, c.fixed.data() + (r + 1) * 16);
      }
      c.seg_offsets.push_back(c.seg_arena.size());
    }
    if (c.nulls)
      c.seg_validity.emplace_back(c.validity.begin(), c.validity.begin() + static_cast<long>((rows_ + 7) / 8));
    else
      c.seg_validity.emplace_back();
  }
  reset_batch();
}

const Segment& BatchBuilder::finish_segment() {
  finish_batch();
  segment_done_ = true;
  codec::EncodeOptions eo = options_.encode;
  eo.hint = nullptr;
  if (!eo.context) eo.context = &context_;
  std::vector<std::string_view> rows_views, values;
  std::vector<char> uuid_rows;
  for (size_t ci = 0; ci < columns_.size(); ++ci) {
    Column& c = columns_[ci];
    if (!c.spec.shared_dictionary) continue;
    const size_t nrows = c.seg_offsets.size() - 1;
    rows_views.resize(nrows);
    values.clear();
    size_t row = 0;
    for (size_t b = 0; b < segment_.batches.size(); ++b) {
      const std::vector<uint8_t>& v = c.seg_validity[b];
      for (size_t r = 0; r < segment_.batches[b].rows; ++r, ++row) {
        rows_views[row] = std::string_view(c.seg_arena.data() + c.seg_offsets[row], c.seg_offsets[row + 1] - c.seg_offsets[row]);
        if (v.empty() || ((v[r >> 3] >> (r & 7)) & 1)) values.push_back(rows_views[row]);
      }
    }
    if (!values.empty() && segment_.batches.size() > 1) {
      SharedDictionary sd{ci, codec::Dictionary::build(c.spec.type, values), {}};
      sd.serialized = sd.dictionary.serialize(eo.zstd_level);
      eo.dictionary = &sd.dictionary;
      size_t without = 0, with = sd.serialized.size();
      std::vector<EncodedColumn> encoded(segment_.batches.size());
      row = 0;
      for (size_t b = 0; b < segment_.batches.size(); ++b) {
        const size_t n = segment_.batches[b].rows;
        const uint8_t* validity = c.seg_validity[b].empty() ? nullptr : c.seg_validity[b].data();
        codec::ColumnView view;
        if (c.varlen()) {
          view = codec::ColumnView::of_varlen(rows_views.data() + row, n, validity);
        } else {
          // uuid: 16 bytes a row, NULL rows zeroed
          uuid_rows.assign(n * 16, 0);
          for (size_t r = 0; r < n; ++r)
            if (rows_views[row + r].size() == 16) std::memcpy(uuid_rows.data() + r * 16, rows_views[row + r].data(), 16);
          view = codec::ColumnView::of_fixed(uuid_rows.data(), n, validity);
        }
        EncodedColumn& e = encoded[b];
        e.data = codec::encode_column(c.spec.type, view, eo, &e.stats);
        e.uses_shared_dictionary = e.stats.codec == codec::Codec::ExtDictionary;
        without += segment_.batches[b].columns[ci].data.size();
        with += e.data.size();
        row += n;
      }
      eo.dictionary = nullptr;
      if (with < without) {
        for (size_t b = 0; b < segment_.batches.size(); ++b) {
          EncodedColumn& e = segment_.batches[b].columns[ci];
          e.data = std::move(encoded[b].data);
          e.stats = std::move(encoded[b].stats);
          e.uses_shared_dictionary = encoded[b].uses_shared_dictionary;
        }
        segment_.dictionaries.push_back(std::move(sd));
      }
    }
    c.seg_arena.clear();
    c.seg_offsets.resize(1);
    c.seg_validity.clear();
  }
  return segment_;
}

// ---- DictionaryPlanner ----

namespace {

size_t code_width(size_t entries) {  // bits of a code into `entries` entries
  size_t bits = 0;
  while (entries > (size_t{1} << bits)) ++bits;
  return bits;
}

}  // namespace

DictionaryPlanner::DictionaryPlanner(ColumnType type, size_t batch_rows, double min_gain)
    : type_(type), batch_rows_(batch_rows), min_gain_(min_gain) {
  if (!is_bytes(type)) bad("a shared dictionary needs a varlen or uuid column");
  if (batch_rows < 1 || batch_rows > codec::kMaxRows)
    bad("batch size must be between 1 and " + std::to_string(codec::kMaxRows) + " rows");
  if (!(min_gain >= 0 && min_gain < 1)) bad("min_gain must be in [0, 1)");
}

void DictionaryPlanner::end_batch() {
  code_bits_local_ += batch_values_ * code_width(batch_distinct_);
  batch_values_ = 0;
  batch_distinct_ = 0;
}

namespace {

// The planner's hash of a value: 8 bytes at a time, multiplied and folded.
uint64_t value_hash(std::string_view v) {
  const char* p = v.data();
  size_t n = v.size();
  uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
  }
  uint64_t w = 0;
  if (n != 0) std::memcpy(&w, p, n);
  h = (h ^ w) * 0x94d049bb133111ebull;
  return h ^ (h >> 32);
}

}  // namespace

// Enters the value at `pos` into slots_, which grows (and is filled again) to stay at most half
// full.
void DictionaryPlanner::index_value(size_t pos) {
  if ((values_store_.size() + 1) * 2 > slots_.size()) {
    const size_t size = std::max<size_t>(64, slots_.size() * 2);
    slots_.assign(size, 0);
    for (size_t i = 0; i < values_store_.size(); ++i) {
      size_t k = hashes_[i] & (size - 1);
      while (slots_[k] != 0) k = (k + 1) & (size - 1);
      slots_[k] = static_cast<uint32_t>(i + 1);
    }
    return;  // (pos is among them)
  }
  const size_t mask = slots_.size() - 1;
  size_t k = hashes_[pos] & mask;
  while (slots_[k] != 0) k = (k + 1) & mask;
  slots_[k] = static_cast<uint32_t>(pos + 1);
}

void DictionaryPlanner::add(std::string_view value) {
  if (type_ == ColumnType::Uuid && value.size() != 16) bad("uuid values must be 16 bytes");
  const size_t batch = rows_ / batch_rows_;
  // A few distinct values (a status column) are searched in order; the hash table is built once
  // there are more.
  size_t* last = nullptr;
  uint64_t h = 0;
  if (values_store_.size() <= kLinearValues) {
    for (size_t i = 0; i < values_store_.size(); ++i)
      if (values_store_[i].size() == value.size() && std::memcmp(values_store_[i].data(), value.data(), value.size()) == 0) {
        last = &last_batch_[i];
        break;
      }
    if (last == nullptr) h = value_hash(value);
  } else {
    if (slots_.empty()) index_value(0);  // (fills the table with every value)
    h = value_hash(value);
    const size_t mask = slots_.size() - 1;
    for (size_t k = h & mask; slots_[k] != 0; k = (k + 1) & mask) {
      const size_t pos = slots_[k] - 1;
      if (hashes_[pos] == h && values_store_[pos] == value) {
        last = &last_batch_[pos];
        break;
      }
    }
  }
  if (last == nullptr) {
    values_store_.emplace_back(value);
    last_batch_.push_back(batch);
    hashes_.push_back(h);
    if (!slots_.empty()) index_value(values_store_.size() - 1);
    dict_bytes_ += value.size();
    local_bytes_ += value.size();
    ++batch_distinct_;
  } else if (*last != batch) {
    *last = batch;
    local_bytes_ += value.size();
    ++batch_distinct_;
  }
  ++batch_values_;
  ++values_;
  if (++rows_ % batch_rows_ == 0) end_batch();
}

void DictionaryPlanner::add_null() {
  if (++rows_ % batch_rows_ == 0) end_batch();
}

size_t DictionaryPlanner::shared_bytes() const {
  const size_t batches = (rows_ + batch_rows_ - 1) / batch_rows_;
  const size_t local_code_bits = code_bits_local_ + batch_values_ * code_width(batch_distinct_);
  const size_t shared_code_bits = values_ * code_width(values_store_.size());
  const size_t wider = shared_code_bits > local_code_bits ? (shared_code_bits - local_code_bits + 7) / 8 : 0;
  return dict_bytes_ + batches * 8 + wider;
}

std::optional<codec::Dictionary> DictionaryPlanner::finish() const {
  // (past kMaxSharedBytes of distinct values: none, so that no group's values can make a shared
  // dictionary too large to build where the batches' own dictionaries would not be)
  if (rows_ <= batch_rows_ || values_store_.empty() || dict_bytes_ > kMaxSharedBytes) return std::nullopt;
  if (static_cast<double>(shared_bytes()) > static_cast<double>(local_bytes_) * (1.0 - min_gain_)) return std::nullopt;
  std::vector<std::string_view> values(values_store_.begin(), values_store_.end());
  return codec::Dictionary::build(type_, values);
}

void DictionaryPlanner::reset() {
  rows_ = local_bytes_ = dict_bytes_ = batch_distinct_ = batch_values_ = values_ = code_bits_local_ = 0;
  values_store_.clear();
  last_batch_.clear();
  hashes_.clear();
  slots_.clear();
}

}  // namespace strata::core::columnstore
