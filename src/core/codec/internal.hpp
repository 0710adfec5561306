// Internal helpers shared by the codec translation units.
#pragma once

#include <zstd.h>

#include <cstdint>
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

// Compact zstd frame (no content size, no checksum); empty result if compression failed.
std::vector<uint8_t> zstd_compress(CodecContext::Impl& ctx, const uint8_t* src, size_t n, int level);
// Decompresses exactly `raw_len` bytes or throws data_corrupted.
void zstd_decompress(CodecContext::Impl& ctx, const uint8_t* src, size_t n, uint8_t* dst, size_t raw_len);

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
