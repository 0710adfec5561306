// Decoding into flat arrays (internal part): the fixed-width values of a column, shared by
// decode_column_into (decode.cpp) and the aggregates (kernels.cpp).
#pragma once

#include <cstdint>
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

}  // namespace strata::core::codec
