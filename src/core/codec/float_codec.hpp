// Float codecs (internal): the bodies of Alp, FloatXor and ByteSplit columns (docs/FORMAT.md,
// "Codecs"). Values travel as their IEEE bits, Float4 in the low 32 bits of a uint64_t;
// decoders write n values of 4 (Float4) or 8 bytes to `out`.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>

#include "codec/byte_io.hpp"
#include "codec/int_codec.hpp"

namespace strata::core::codec {

inline double bits_to_double(uint64_t b, bool is_float) {
  if (is_float) {
    float f;
    uint32_t u = static_cast<uint32_t>(b);
    std::memcpy(&f, &u, 4);
    return f;
  }
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

// Alp: u8 exponent, varint exception count, integer block of the digits, then (with exceptions)
// an integer block of their positions and their raw bits. Returns false, writing nothing, when
// the values are mostly not decimal-like (unless forced).
// plan_only / chosen: the integer tree's shape for the digits (IntEncodeOptions). exponent_near >= 0:
// try only the decimal exponents next to it (the one earlier batches of the column chose) instead
// of all of them; exponent_out receives the exponent chosen (also when returning false).
bool encode_alp(ByteWriter& w, std::span<const uint64_t> bits, bool is_float, bool byte_aligned, bool forced,
                const IntShape* plan_only = nullptr, IntShape* chosen = nullptr, int exponent_near = -1,
                int* exponent_out = nullptr);
void decode_alp(ByteReader& r, size_t n, bool is_float, uint8_t* out);

// FloatXor: varint byte length, then the bit stream of XORs of consecutive values (W = 32 or 64).
void encode_xor(ByteWriter& w, std::span<const uint64_t> bits, unsigned W);
void decode_xor(ByteReader& r, size_t n, unsigned W, uint8_t* out);

// ByteSplit: byte k of every value stored together, for k = 0 .. width - 1.
void encode_byte_split(ByteWriter& w, std::span<const uint64_t> bits, size_t width);
void decode_byte_split(ByteReader& r, size_t n, size_t width, uint8_t* out);

}  // namespace strata::core::codec
