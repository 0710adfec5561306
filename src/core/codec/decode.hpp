// Decoding into flat arrays (internal part): the fixed-width values of a column, shared by
// decode_column_into (decode.cpp) and the aggregates (kernels.cpp).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "codec/byte_io.hpp"
#include "codec/frame.hpp"

namespace strata::core::codec {

// Decodes the p.m compact values of a fixed-width column from its body into out (p.m * width
// bytes; NULL rows are not expanded).
void decode_fixed(const Parsed& p, ByteReader& r, uint8_t* out);

// Spreads a bitmap over the p.m non-null values onto row positions (kernels.cpp).
std::vector<uint64_t> scatter(const Parsed& p, const std::vector<uint64_t>& vbits);

// No rows and every buffer of `out` empty (capacity kept).
void make_empty(DecodedColumn& out);

// A column parsed for decoding into `out`: `out` is emptied (capacity kept) and typed, and lends
// `p` its validity and scratch buffers (the bitmap is read through p and handed back by the
// decoder; the scratch, the decompressed body, goes back to `out` when this is destroyed).
struct ParsedFor {
  ParsedFor(DecodedColumn& out, std::span<const uint8_t> bytes, ColumnType type, const DecodeOptions& opt);
  ~ParsedFor();
  ParsedFor(const ParsedFor&) = delete;
  ParsedFor& operator=(const ParsedFor&) = delete;
  Parsed p;

 private:
  DecodedColumn& out_;
};

}  // namespace strata::core::codec
