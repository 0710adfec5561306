// Bounds-checked little-endian byte reader and a growable writer. Every decoder reads through
// ByteReader; any attempt to read past the end throws Error(data_corrupted).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "error.hpp"

namespace strata::core::codec {

static_assert(std::endian::native == std::endian::little, "codec core assumes a little-endian host");

[[noreturn]] inline void corrupt(const char* what) {
  throw Error(Errc::data_corrupted, std::string("corrupt columnstore data: ") + what);
}
[[noreturn]] inline void bad_arg(const char* what) {
  throw Error(Errc::invalid_argument, std::string("columnstore codec: ") + what);
}

inline uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
inline int64_t unzigzag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

class ByteWriter {
 public:
  std::vector<uint8_t>& buf() { return buf_; }
  size_t size() const { return buf_.size(); }
  void u8(uint8_t v) { buf_.push_back(v); }
  void u64le(uint64_t v) {
    uint8_t b[8];
    std::memcpy(b, &v, 8);
    buf_.insert(buf_.end(), b, b + 8);
  }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      buf_.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    buf_.push_back(static_cast<uint8_t>(v));
  }
  void svarint(int64_t v) { varint(zigzag(v)); }
  void bytes(const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    buf_.insert(buf_.end(), b, b + n);
  }
  uint8_t* grow(size_t n) {
    size_t at = buf_.size();
    buf_.resize(at + n);
    return buf_.data() + at;
  }

 private:
  std::vector<uint8_t> buf_;
};

inline size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) { v >>= 7; ++n; }
  return n;
}

class ByteReader {
 public:
  ByteReader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
  explicit ByteReader(std::span<const uint8_t> s) : p_(s.data()), n_(s.size()) {}

  size_t remaining() const { return n_ - pos_; }
  size_t position() const { return pos_; }
  bool at_end() const { return pos_ == n_; }
  void expect_end(const char* what) const {
    if (!at_end()) corrupt(what);
  }

  uint8_t u8() {
    need(1);
    return p_[pos_++];
  }
  uint64_t u64le() {
    need(8);
    uint64_t v;
    std::memcpy(&v, p_ + pos_, 8);
    pos_ += 8;
    return v;
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = u8();
      if (shift == 63 && b > 1) corrupt("varint overflow");
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    corrupt("varint too long");
  }
  int64_t svarint() { return unzigzag(varint()); }
  // A count that must not exceed `limit`.
  uint64_t count(uint64_t limit, const char* what) {
    uint64_t v = varint();
    if (v > limit) corrupt(what);
    return v;
  }
  const uint8_t* bytes(size_t n) {
    need(n);
    const uint8_t* r = p_ + pos_;
    pos_ += n;
    return r;
  }

 private:
  void need(size_t n) const {
    if (n > n_ - pos_) corrupt("truncated input");
  }
  const uint8_t* p_;
  size_t n_;
  size_t pos_ = 0;
};

}  // namespace strata::core::codec
