// Bloom filter for columnstore batches (see bloom.hpp, docs/FORMAT.md "Bloom filter").
#include "columnstore/bloom.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>

#include "error.hpp"

namespace strata::core::columnstore {

namespace {

// MurmurHash3's 64-bit finalizer: every input bit affects every output bit.
inline uint64_t mix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

// bit position i of `nbits` for probe sequence g = h1 + i * h2 (mod 2^64), mapped to
// [0, nbits) by multiply-high
inline uint64_t reduce(uint64_t g, uint64_t nbits) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(g) * nbits) >> 64);
}

inline uint64_t h1_of(uint64_t hash) { return mix(hash); }
inline uint64_t h2_of(uint64_t hash) { return mix(hash ^ 0x9e3779b97f4a7c15ULL) | 1; }

const std::array<uint32_t, 256> kCrcTable = [] {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int b = 0; b < 8; ++b) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}();

[[noreturn]] void corrupt(const char* what) {
  throw Error(Errc::data_corrupted, std::string("corrupt bloom filter: ") + what);
}

uint32_t load32(const uint8_t* p) { return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24; }
void store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

uint32_t crc32c(const uint8_t* data, size_t size, uint32_t crc) {
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = kCrcTable[(crc ^ data[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

BloomFilter::BloomFilter(size_t distinct, const BloomOptions& options) { reset(distinct, options); }

void BloomFilter::reset(size_t distinct, const BloomOptions& options) {
  const double bpv = options.bits_per_value;
  if (!(bpv >= 1.0 && bpv <= 64.0)) throw Error(Errc::invalid_argument, "bloom filter bits per value must be in [1, 64]");
  const double bits = std::ceil(static_cast<double>(distinct) * bpv);
  const double words = std::max(1.0, std::ceil(bits / 64.0));
  if (words > kMaxWords) throw Error(Errc::invalid_argument, "bloom filter too large");
  words_.assign(static_cast<size_t>(words), 0);
  probes_ = static_cast<uint8_t>(std::clamp<long>(std::lround(bpv * 0.6931471805599453), 1, kMaxProbes));
}

void BloomFilter::insert(uint64_t hash) {
  if (words_.empty()) reset(1);
  const uint64_t nbits = bits();
  uint64_t g = h1_of(hash);
  const uint64_t d = h2_of(hash);
  for (unsigned i = 0; i < probes_; ++i, g += d) {
    const uint64_t b = reduce(g, nbits);
    words_[b >> 6] |= uint64_t{1} << (b & 63);
  }
}

bool BloomFilter::might_contain(uint64_t hash) const {
  if (words_.empty()) return false;
  const uint64_t nbits = bits();
  uint64_t g = h1_of(hash);
  const uint64_t d = h2_of(hash);
  for (unsigned i = 0; i < probes_; ++i, g += d) {
    const uint64_t b = reduce(g, nbits);
    if (!((words_[b >> 6] >> (b & 63)) & 1)) return false;
  }
  return true;
}

bool BloomFilter::empty() const {
  for (uint64_t w : words_)
    if (w) return false;
  return true;
}

std::vector<uint8_t> BloomFilter::serialize() const {
  std::vector<uint8_t> out;
  serialize_into(out);
  return out;
}

void BloomFilter::serialize_into(std::vector<uint8_t>& out) const {
  const size_t n = words_.empty() ? 1 : words_.size();
  out.resize(10 + 8 * n);
  uint8_t* p = out.data();
  p[0] = kVersion;
  p[1] = probes_;
  store32(p + 2, static_cast<uint32_t>(n));
  for (size_t i = 0; i < n; ++i) {
    const uint64_t w = words_.empty() ? 0 : words_[i];
    for (int b = 0; b < 8; ++b) p[6 + 8 * i + b] = static_cast<uint8_t>(w >> (8 * b));
  }
  store32(p + 6 + 8 * n, crc32c(p, 6 + 8 * n));
}

BloomFilter BloomFilter::deserialize(std::span<const uint8_t> bytes) {
  if (bytes.size() < 18) corrupt("too short");
  const uint8_t* p = bytes.data();
  if (p[0] != kVersion) corrupt("unsupported version");
  const uint32_t n = load32(p + 2);
  if (n == 0 || n > kMaxWords) corrupt("bad size");
  if (bytes.size() != 10 + 8 * size_t{n}) corrupt("length does not match its size");
  if (crc32c(p, bytes.size() - 4) != load32(p + bytes.size() - 4)) corrupt("checksum mismatch");
  if (p[1] < 1 || p[1] > kMaxProbes) corrupt("bad probe count");
  BloomFilter f;
  f.probes_ = p[1];
  f.words_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    uint64_t w = 0;
    for (int b = 0; b < 8; ++b) w |= uint64_t{p[6 + 8 * i + b]} << (8 * b);
    f.words_[i] = w;
  }
  return f;
}

}  // namespace strata::core::columnstore
