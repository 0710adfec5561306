// Internal helpers shared by the codec translation units: column type classes, comparisons,
// zstd contexts and the string lists of varlen.cpp. The codec's files are listed in
// docs/ARCHITECTURE.md, "Columnstore codecs".
#pragma once

#include <zstd.h>

#include <compare>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "codec/byte_io.hpp"
#include "codec/codec.hpp"

namespace strata::core::codec {

struct CodecContext::Impl {
  ZSTD_CCtx* cctx = nullptr;
  ZSTD_DCtx* dctx = nullptr;
  ~Impl() {
    ZSTD_freeCCtx(cctx);
    ZSTD_freeDCtx(dctx);
  }
  ZSTD_CCtx* c() {
    if (!cctx) cctx = ZSTD_createCCtx();
    if (!cctx) throw Error(Errc::internal, "out of memory creating zstd context");
    return cctx;
  }
  ZSTD_DCtx* d() {
    if (!dctx) dctx = ZSTD_createDCtx();
    if (!dctx) throw Error(Errc::internal, "out of memory creating zstd context");
    return dctx;
  }
};

// The caller's zstd contexts (EncodeOptions/DecodeOptions::context), or contexts of its own,
// made on first use.
class ContextRef {
 public:
  explicit ContextRef(CodecContext* given) : impl_(given ? given->impl() : nullptr) {}
  CodecContext::Impl& get() {
    if (!impl_) {
      own_ = std::make_unique<CodecContext>();
      impl_ = own_->impl();
    }
    return *impl_;
  }

 private:
  CodecContext::Impl* impl_;
  std::unique_ptr<CodecContext> own_;
};

// ---- column types (codec.cpp)
inline bool valid_type(uint8_t t) { return t >= 1 && t <= 10; }
inline bool int_like(ColumnType t) {
  return t == ColumnType::Int16 || t == ColumnType::Int32 || t == ColumnType::Int64 ||
         t == ColumnType::Timestamp || t == ColumnType::Date || t == ColumnType::Bool;
}
inline bool float_like(ColumnType t) { return t == ColumnType::Float4 || t == ColumnType::Float8; }
inline bool string_like(ColumnType t) { return t == ColumnType::Varlen || t == ColumnType::Uuid; }

// The values an integer-like type can hold.
struct IntRange {
  int64_t lo, hi;
};
inline IntRange int_range(ColumnType t) {
  switch (t) {
    case ColumnType::Int16: return {INT16_MIN, INT16_MAX};
    case ColumnType::Int32: case ColumnType::Date: return {INT32_MIN, INT32_MAX};
    case ColumnType::Bool: return {0, 1};
    default: return {INT64_MIN, INT64_MAX};
  }
}

// Whether codec c may encode a column of type t (Auto: no).
bool codec_allowed(ColumnType t, Codec c);

// Whether every value of v equals the first (true when v is empty).
template <class T>
bool all_equal(std::span<const T> v) {
  for (size_t i = 1; i < v.size(); ++i)
    if (!(v[i] == v[0])) return false;
  return true;
}

// Bit i of an LSB-first bitmap.
inline bool bit_at(const uint8_t* bm, size_t i) { return (bm[i >> 3] >> (i & 7)) & 1; }

// `a op c`: integers and bytewise strings by their order, floats by IEEE comparison (a NaN
// satisfies no operator, Ne included).
template <class T>
bool compare(const T& a, CmpOp op, const T& c) {
  const auto x = a <=> c;
  switch (op) {
    case CmpOp::Eq: return x == 0;
    case CmpOp::Ne: return x < 0 || x > 0;
    case CmpOp::Lt: return x < 0;
    case CmpOp::Le: return x <= 0;
    case CmpOp::Gt: return x > 0;
    case CmpOp::Ge: return x >= 0;
  }
  return false;
}

// ---- varlen.cpp
// Compact zstd frame (no content size, no checksum); empty result if compression failed.
std::vector<uint8_t> zstd_compress(CodecContext::Impl& ctx, const uint8_t* src, size_t n, int level);
// Decompresses exactly `raw_len` bytes or throws data_corrupted.
void zstd_decompress(CodecContext::Impl& ctx, const uint8_t* src, size_t n, uint8_t* dst, size_t raw_len);

// Plain strings (the VarPlain body): an integer block of the n lengths, then the bytes.
void write_plain_strings(ByteWriter& w, std::span<const std::string_view> v);
// Appends n values to data/offsets (offsets already holds the start offset); the values of
// data and the new ones together at most max_bytes.
void read_plain_strings(ByteReader& r, size_t n, std::vector<uint8_t>& data, std::vector<uint32_t>& offsets,
                        uint64_t max_bytes);
// n raw 16-byte values (uuid columns and dictionaries), appended to data/offsets the same way.
void read_uuid_values(ByteReader& r, size_t n, std::vector<uint8_t>& data, std::vector<uint32_t>& offsets);

// String list: u8 form (VarPlain or UuidText) + body; used for dictionary entries.
void write_string_list(ByteWriter& w, std::span<const std::string_view> values);
// Appends values to data/offsets (offsets already holds the start offset).
void read_string_list(ByteReader& r, size_t n, std::vector<uint8_t>& data, std::vector<uint32_t>& offsets,
                      uint64_t max_bytes);

bool parse_canonical_uuid(std::string_view s, uint8_t out[16]);
void format_uuid(const uint8_t in[16], char out[36]);

uint64_t hash_entries(std::span<const std::string_view> values, ColumnType type);

// The options every decoder works with: max_output_bytes never above kMaxValueBytes, so every
// size, offset and length fits the uint32 offsets of decoded strings.
inline DecodeOptions capped(const DecodeOptions& o) {
  DecodeOptions c = o;
  if (c.max_output_bytes > kMaxValueBytes) c.max_output_bytes = kMaxValueBytes;
  return c;
}

}  // namespace strata::core::codec
