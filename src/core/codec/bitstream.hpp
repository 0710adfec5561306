// LSB-first bit streams: bit i of a stream is bit i % 8 of its byte i / 8. The one bit writer
// and reader of the codec: BitWriter writes FloatXor (float_codec.cpp) and the Rice-coded
// validity positions (rice.cpp), BitReader reads them. Bit-packed blocks have the same layout but
// are packed and unpacked 64 values at a time by code specialised per width (bitpack.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "codec/byte_io.hpp"

namespace strata::core::codec {

// Appends a bit stream to a byte vector, a 64-bit word at a time; finish() writes the last,
// partly filled word's bytes, so the stream takes (bits + 7) / 8 bytes, padding bits 0.
class BitWriter {
 public:
  explicit BitWriter(std::vector<uint8_t>& out) : out_(out) {}

  // Appends the low n bits of v (n <= 64; v's higher bits are ignored).
  void put(uint64_t v, unsigned n) {
    if (n == 0) return;
    if (n < 64) v &= (uint64_t{1} << n) - 1;
    acc_ |= v << fill_;  // fill_ < 64
    if (fill_ + n >= 64) {
      word(acc_);
      acc_ = fill_ == 0 ? 0 : v >> (64 - fill_);
      fill_ = fill_ + n - 64;
    } else {
      fill_ += n;
    }
  }
  // Appends n 0 bits.
  void zeros(uint64_t n) {
    for (; n >= 64; n -= 64) put(0, 64);
    put(0, static_cast<unsigned>(n));
  }
  // Writes the bits still buffered; call once, at the end.
  void finish() {
    uint8_t b[8];
    std::memcpy(b, &acc_, 8);
    out_.insert(out_.end(), b, b + (fill_ + 7) / 8);
    acc_ = 0;
    fill_ = 0;
  }

 private:
  void word(uint64_t w) {
    uint8_t b[8];
    std::memcpy(b, &w, 8);  // little-endian host (byte_io.hpp)
    out_.insert(out_.end(), b, b + 8);
  }
  std::vector<uint8_t>& out_;
  uint64_t acc_ = 0;
  unsigned fill_ = 0;  // bits in acc_, < 64
};

// Reads a bit stream of n bytes, never past its end. The unread bits sit in a 64-bit buffer, the
// next one lowest: bits() and avail() expose it to decoders that scan it themselves (the Rice
// code's count of trailing zeros), get() reads a field.
class BitReader {
 public:
  BitReader(const uint8_t* p, size_t n) : start_(p), p_(p), end_(p + n) {}

  // Tops the buffer up to at least 56 bits, or with every bit left in the stream. Bits of
  // bits() at and above avail() are either 0 or stream bits loaded ahead (the next byte's low
  // bits, loaded again by the next refill).
  void refill() {
    if (end_ - p_ >= 8) {
      uint64_t word;
      std::memcpy(&word, p_, 8);
      buf_ |= word << avail_;  // little-endian load (as everywhere in the format)
      p_ += (63 - avail_) >> 3;
      avail_ |= 56;
    } else {
      while (avail_ <= 55 && p_ < end_) {
        buf_ |= static_cast<uint64_t>(*p_++) << avail_;
        avail_ += 8;
      }
    }
  }
  uint64_t bits() const { return buf_; }
  unsigned avail() const { return avail_; }
  // Drops n <= avail() buffered bits.
  void skip(unsigned n) {
    buf_ >>= n;  // n <= avail_ <= 63
    avail_ -= n;
  }
  // Reads an n-bit field (n <= 64); throws data_corrupted(`truncated`) when the stream has fewer.
  uint64_t get(unsigned n, const char* truncated) {
    if (n > 56) {
      const uint64_t lo = get(32, truncated);
      return lo | get(n - 32, truncated) << 32;
    }
    if (avail_ < n) {
      refill();
      if (avail_ < n) corrupt(truncated);
    }
    const uint64_t v = buf_ & ((uint64_t{1} << n) - 1);
    skip(n);
    return v;
  }
  // Bytes holding bits read so far (the last possibly in part).
  size_t bytes_used() const { return static_cast<size_t>(p_ - start_) - avail_ / 8; }
  // Whether the unread bits of the last, partly read byte are all 0.
  bool padding_zero() const { return !(buf_ & ((uint64_t{1} << (avail_ & 7)) - 1)); }

 private:
  const uint8_t* start_;
  const uint8_t* p_;
  const uint8_t* end_;
  uint64_t buf_ = 0;
  unsigned avail_ = 0;  // buffered bits, <= 63
};

}  // namespace strata::core::codec
