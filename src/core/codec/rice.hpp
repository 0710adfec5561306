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
#include <cstring>
#include <span>

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
  const size_t size = r.remaining();
  const uint8_t* const start = r.bytes(0);
  const uint8_t* p = start;
  const uint8_t* const end = start + size;
  uint64_t buf = 0;  // unread bits, LSB first, `avail` of them counted
  unsigned avail = 0;
  auto refill = [&] {
    if (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      buf |= word << avail;  // little-endian load (as everywhere in the format)
      p += (63 - avail) >> 3;
      avail |= 56;
    } else {
      while (avail <= 55 && p < end) {
        buf |= static_cast<uint64_t>(*p++) << avail;
        avail += 8;
      }
    }
  };
  const uint64_t mask = (uint64_t{1} << k) - 1;
  uint64_t next = 0;  // smallest value the next position may take
  for (size_t i = 0; i < count; ++i) {
    if (avail < 32) refill();  // a gap usually takes far fewer bits
    // (bits of buf at and above `avail` are the start of the next, partly loaded byte: real
    // stream bits, loaded again by the next refill)
    uint64_t q = 0;
    unsigned z;
    while (buf == 0 || (z = static_cast<unsigned>(__builtin_ctzll(buf))) >= avail) {
      q += avail;  // the quotient's zeros run past the buffered bits
      buf >>= avail;  // avail <= 63
      avail = 0;
      refill();
      if (avail == 0) corrupt("truncated input");
    }
    q += z;
    buf >>= z + 1;
    avail -= z + 1;
    if (avail < k) {
      refill();
      if (avail < k) corrupt("truncated input");
    }
    const uint64_t gap = (q << k) | (buf & mask);
    buf >>= k;
    avail -= k;
    // no overflow: q counts stream bits (< 2^33), so every gap and their sum stay below 2^54
    const uint64_t pos = next + gap;
    if (pos >= limit) corrupt("bad validity position");
    on_position(static_cast<uint32_t>(pos));
    next = pos + 1;
  }
  // consumed: whole bytes read minus those still buffered; the partial byte's unused bits are 0
  if (buf & ((uint64_t{1} << (avail & 7)) - 1)) corrupt("rice padding bits set");
  r.bytes(static_cast<size_t>(p - start) - avail / 8);
}

}  // namespace strata::core::codec
