// Rice-coded gaps of strictly increasing positions: the validity section's forms 3 and 4
// (docs/FORMAT.md, "Validity section", format version 3).
//
// Independent NULLs make the gaps between NULL rows (or between value rows) geometrically
// distributed, and a Rice code (unary quotient, k-bit remainder) spends within a few percent of
// the entropy on them, where a bit-packed frame of reference must fit the largest gap: about one
// bit a gap less at 10% density, plus no block headers. Decoding is a count-trailing-zeros and
// a shift per position.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "codec/bitstream.hpp"
#include "codec/byte_io.hpp"

namespace strata::core::codec {

inline constexpr unsigned kMaxRiceK = 20;  // gaps are < kMaxRows = 2^20

// Appends u8 k, then the Rice bit stream of the gaps of `pos` (strictly increasing), choosing
// the k that gives the fewest bits.
void write_rice_positions(ByteWriter& w, std::span<const uint32_t> pos);

// Reads `count` (>= 1) positions written by write_rice_positions, each checked to be strictly
// increasing and < limit, and calls on_position(p) for each in order. Consumes exactly the
// section's bytes; corrupt or truncated input throws Error(data_corrupted).
template <class F>
void read_rice_positions(ByteReader& r, size_t count, uint64_t limit, F&& on_position) {
  const unsigned k = r.u8();
  if (k > kMaxRiceK) corrupt("bad rice parameter");
  BitReader br(r.bytes(0), r.remaining());
  const uint64_t mask = (uint64_t{1} << k) - 1;
  uint64_t next = 0;  // smallest value the next position may take
  for (size_t i = 0; i < count; ++i) {
    if (br.avail() < 32) br.refill();  // a gap usually takes far fewer bits
    // (bits of the buffer at and above avail() may be stream bits loaded ahead: they are the
    // start of the next byte, loaded again by the next refill)
    uint64_t q = 0;
    unsigned z;
    while (br.bits() == 0 || (z = static_cast<unsigned>(__builtin_ctzll(br.bits()))) >= br.avail()) [[unlikely]] {
      q += br.avail();  // the quotient's zeros run past the buffered bits
      br.skip(br.avail());
      br.refill();
      if (br.avail() == 0) corrupt("truncated input");
    }
    q += z;
    br.skip(z + 1);
    if (br.avail() < k) [[unlikely]] {
      br.refill();
      if (br.avail() < k) corrupt("truncated input");
    }
    const uint64_t gap = (q << k) | (br.bits() & mask);
    br.skip(k);
    // no overflow: q counts stream bits (< 2^33), so every gap and their sum stay below 2^54
    const uint64_t pos = next + gap;
    if (pos >= limit) corrupt("bad validity position");
    on_position(static_cast<uint32_t>(pos));
    next = pos + 1;
  }
  // consumed: the bytes holding read bits; the partial byte's unused bits are 0
  if (!br.padding_zero()) corrupt("rice padding bits set");
  r.bytes(br.bytes_used());
}

}  // namespace strata::core::codec
