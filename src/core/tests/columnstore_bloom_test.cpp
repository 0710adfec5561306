// Tests of the columnstore bloom filter: no false negatives, false-positive rate, serialized form.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "columnstore/bloom.hpp"
#include "error.hpp"

using namespace strata::core;
using namespace strata::core::columnstore;

namespace {

// Fraction of `queries` random hashes (not inserted) a filter of `n` random values accepts,
// over `filters` filters.
double measured_fpr(size_t n, double bpv, int filters, int queries, uint64_t seed) {
  std::mt19937_64 rng(seed);
  size_t fp = 0;
  for (int f = 0; f < filters; ++f) {
    BloomFilter b(n, BloomOptions{bpv});
    for (size_t i = 0; i < n; ++i) b.insert(rng());
    for (int q = 0; q < queries; ++q) fp += b.might_contain(rng());
  }
  return static_cast<double>(fp) / (static_cast<double>(filters) * queries);
}

}  // namespace

TEST(ColumnstoreBloom, NoFalseNegatives) {
  std::mt19937_64 rng(7);
  for (size_t n : {1, 2, 7, 64, 100, 999, 1000, 5000}) {
    for (double bpv : {1.0, 4.0, 10.0, 20.0}) {
      std::vector<uint64_t> h(n);
      for (auto& x : h) x = rng();
      BloomFilter b(n, BloomOptions{bpv});
      for (uint64_t x : h) b.insert(x);
      for (uint64_t x : h) ASSERT_TRUE(b.might_contain(x)) << n << " " << bpv;
      // the same after a serialization round trip
      BloomFilter c = BloomFilter::deserialize(b.serialize());
      for (uint64_t x : h) ASSERT_TRUE(c.might_contain(x));
    }
  }
  // identity-like input hashes (small integers): the filter remixes them
  BloomFilter b(1000);
  for (uint64_t i = 0; i < 1000; ++i) b.insert(i);
  for (uint64_t i = 0; i < 1000; ++i) ASSERT_TRUE(b.might_contain(i));
  size_t fp = 0;
  for (uint64_t i = 1000; i < 201000; ++i) fp += b.might_contain(i);
  EXPECT_LT(fp, 200000 * 0.015);
}

TEST(ColumnstoreBloom, SizingAndFalsePositiveRate) {
  BloomFilter b(1000);
  EXPECT_EQ(b.bits(), 10048u);  // 10 bits a value, rounded up to 64-bit words
  EXPECT_EQ(b.probes(), 7u);
  EXPECT_EQ(BloomFilter(0).bits(), 64u);
  EXPECT_EQ(BloomFilter(1000, BloomOptions{4.0}).probes(), 3u);
  // expected (1 - e^(-k/c))^k: 0.82% at 10 bits, 2.2% at 8, 0.31% at 12 (measured 0.8, 2.2, 0.3)
  const double at10 = measured_fpr(1000, 10, 100, 10000, 1);
  EXPECT_GT(at10, 0.005);
  EXPECT_LT(at10, 0.011);
  const double at8 = measured_fpr(1000, 8, 50, 10000, 2);
  EXPECT_GT(at8, 0.015);
  EXPECT_LT(at8, 0.029);
  const double at12 = measured_fpr(1000, 12, 50, 10000, 3);
  EXPECT_LT(at12, 0.0045);
  // small batches: rounding up to a word only lowers the rate
  EXPECT_LT(measured_fpr(10, 10, 2000, 1000, 4), 0.011);
  EXPECT_LT(measured_fpr(100, 10, 500, 1000, 5), 0.011);
}

TEST(ColumnstoreBloom, EmptyAndReset) {
  BloomFilter e;
  EXPECT_FALSE(e.might_contain(1));
  BloomFilter z(10);
  EXPECT_TRUE(z.empty());
  EXPECT_FALSE(z.might_contain(42));
  z.insert(42);
  EXPECT_FALSE(z.empty());
  EXPECT_TRUE(z.might_contain(42));
  z.reset(10);
  EXPECT_TRUE(z.empty());
  EXPECT_FALSE(z.might_contain(42));
  // a default-constructed filter serializes as an empty one-word filter
  BloomFilter d = BloomFilter::deserialize(BloomFilter().serialize());
  EXPECT_EQ(d.bits(), 64u);
  EXPECT_TRUE(d.empty());
  EXPECT_THROW(BloomFilter(10, BloomOptions{0.5}), Error);
  EXPECT_THROW(BloomFilter(10, BloomOptions{NAN}), Error);
  EXPECT_THROW(BloomFilter(size_t{1} << 40), Error);
}

TEST(ColumnstoreBloom, SerializedFormIsExact) {
  BloomFilter b(3);
  b.insert(1);
  b.insert(2);
  std::vector<uint8_t> s = b.serialize();
  ASSERT_EQ(s.size(), 10u + 8u);
  EXPECT_EQ(s[0], 1);  // version
  EXPECT_EQ(s[1], 7);  // probes
  EXPECT_EQ(s[2], 1);  // one word
  EXPECT_EQ(s[3] | s[4] | s[5], 0);
  EXPECT_EQ(b.serialized_size(), s.size());
  BloomFilter c = BloomFilter::deserialize(s);
  EXPECT_EQ(c.serialize(), s);
  EXPECT_EQ(c.probes(), b.probes());
  // CRC-32C check value
  const char* check = "123456789";
  EXPECT_EQ(crc32c(reinterpret_cast<const uint8_t*>(check), 9), 0xE3069283u);
}

TEST(ColumnstoreBloom, EveryTruncationAndCorruptionRejected) {
  std::mt19937_64 rng(9);
  BloomFilter b(50);
  for (int i = 0; i < 50; ++i) b.insert(rng());
  const std::vector<uint8_t> good = b.serialize();
  for (size_t len = 0; len < good.size(); ++len) {
    std::vector<uint8_t> t(good.begin(), good.begin() + static_cast<long>(len));
    try {
      BloomFilter::deserialize(t);
      FAIL() << "truncation to " << len << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::data_corrupted);
    }
  }
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  EXPECT_THROW(BloomFilter::deserialize(longer), Error);
  for (size_t i = 0; i < good.size(); ++i)
    for (uint8_t x : {uint8_t{1}, uint8_t{0x80}, uint8_t{0x5a}, uint8_t{0xff}}) {
      std::vector<uint8_t> c = good;
      c[i] ^= x;
      try {
        BloomFilter::deserialize(c);
        FAIL() << "corruption of byte " << i << " accepted";
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::data_corrupted);
      }
    }
  // well-checksummed but invalid headers
  auto with_crc = [](std::vector<uint8_t> v) {
    const uint32_t c = crc32c(v.data(), v.size() - 4);
    for (int i = 0; i < 4; ++i) v[v.size() - 4 + i] = static_cast<uint8_t>(c >> (8 * i));
    return v;
  };
  for (uint8_t probes : {0, 17, 255}) {
    std::vector<uint8_t> v = good;
    v[1] = probes;
    EXPECT_THROW(BloomFilter::deserialize(with_crc(v)), Error) << int{probes};
  }
  std::vector<uint8_t> v2 = good;
  v2[0] = 2;
  EXPECT_THROW(BloomFilter::deserialize(with_crc(v2)), Error);
  // a word count of 0, or one that does not match the length
  std::vector<uint8_t> zero = {1, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_THROW(BloomFilter::deserialize(with_crc(zero)), Error);
  std::vector<uint8_t> huge = good;
  huge[5] = 0x80;
  EXPECT_THROW(BloomFilter::deserialize(with_crc(huge)), Error);
}
