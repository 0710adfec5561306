// Bit-packing of unsigned integers, LSB-first, `width` bits per value (0..64).
// Layout: value i occupies bits [i*width, (i+1)*width) of the little-endian bit stream, so every
// group of 64 values fills exactly `width` 64-bit words. Decoding is specialised per width and
// fully unrolled over a 64-value group (compile-time shifts and masks, no branches).
#pragma once

#include <cstddef>
#include <cstdint>

#include "codec/byte_io.hpp"

namespace strata::core::codec {

inline size_t packed_size(size_t n, unsigned width) { return (n * width + 7) / 8; }
inline unsigned bit_width_u64(uint64_t v) { return v == 0 ? 0u : 64u - static_cast<unsigned>(__builtin_clzll(v)); }

// Appends packed_size(n, width) bytes to w (a BitWriter's stream, bitstream.hpp). Values must fit
// in width bits.
void bitpack(ByteWriter& w, const uint64_t* in, size_t n, unsigned width);
// Reads packed_size(n, width) bytes from in (never more).
void bitunpack(const uint8_t* in, size_t n, unsigned width, uint64_t* out);
// The same into 32-bit outputs, for width <= 32.
void bitunpack32(const uint8_t* in, size_t n, unsigned width, uint32_t* out);

}  // namespace strata::core::codec
