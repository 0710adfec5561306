// Rice-coded validity positions (format version 3, validity forms 3 and 4): exact round trips at
// every density and parameter, and refusal of every malformed stream.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "codec/rice.hpp"
#include "error.hpp"

using namespace strata::core;
using namespace strata::core::codec;

namespace {

std::vector<uint32_t> read_all(const std::vector<uint8_t>& bytes, size_t count, uint64_t limit, size_t* consumed) {
  ByteReader r(bytes);
  std::vector<uint32_t> out;
  read_rice_positions(r, count, limit, [&](uint32_t p) { out.push_back(p); });
  if (consumed) *consumed = r.position();
  return out;
}

std::vector<uint8_t> write(const std::vector<uint32_t>& pos) {
  ByteWriter w;
  write_rice_positions(w, pos);
  return w.buf();
}

}  // namespace

TEST(CodecRice, RoundTripsAtEveryDensity) {
  std::mt19937_64 rng(11);
  for (double density : {0.0005, 0.01, 0.03, 0.1, 0.3, 0.5, 0.9, 1.0}) {
    for (size_t rows : {1u, 7u, 64u, 1000u, 4096u}) {
      std::vector<uint32_t> pos;
      for (uint32_t i = 0; i < rows; ++i)
        if (std::uniform_real_distribution<double>(0, 1)(rng) < density) pos.push_back(i);
      if (pos.empty()) pos.push_back(static_cast<uint32_t>(rows - 1));
      std::vector<uint8_t> bytes = write(pos);
      bytes.push_back(0xAB);  // a following section: must be left unread
      size_t consumed = 0;
      EXPECT_EQ(read_all(bytes, pos.size(), rows, &consumed), pos) << density << " " << rows;
      EXPECT_EQ(consumed, bytes.size() - 1) << density << " " << rows;
    }
  }
}

TEST(CodecRice, ExtremeGapsAndParameters) {
  // one position at the very end of the largest batch (k near its maximum), every row (k = 0),
  // a long unary run crossing several 64-bit refills
  const uint32_t last = (1u << 20) - 1;
  for (const std::vector<uint32_t>& pos : {std::vector<uint32_t>{last}, std::vector<uint32_t>{0, last},
                                           std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8},
                                           std::vector<uint32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 900}}) {
    std::vector<uint8_t> bytes = write(pos);
    size_t consumed = 0;
    EXPECT_EQ(read_all(bytes, pos.size(), uint64_t{1} << 20, &consumed), pos);
    EXPECT_EQ(consumed, bytes.size());
  }
  // k is chosen by exact bit count: dense positions use k = 0, one bit a row
  std::vector<uint32_t> all(1000);
  for (uint32_t i = 0; i < 1000; ++i) all[i] = i;
  EXPECT_EQ(write(all).size(), 1u + 125u);
}

TEST(CodecRice, MalformedStreamsThrow) {
  std::vector<uint32_t> pos = {3, 40, 41, 200, 777};
  const std::vector<uint8_t> good = write(pos);
  // every truncation
  for (size_t len = 0; len < good.size(); ++len) {
    std::vector<uint8_t> t(good.begin(), good.begin() + static_cast<long>(len));
    EXPECT_THROW(read_all(t, pos.size(), 1000, nullptr), Error) << len;
  }
  // a position at or past the row count
  EXPECT_THROW(read_all(good, pos.size(), 777, nullptr), Error);
  EXPECT_NO_THROW(read_all(good, pos.size(), 778, nullptr));
  // parameter out of range
  std::vector<uint8_t> bad_k = good;
  bad_k[0] = kMaxRiceK + 1;
  EXPECT_THROW(read_all(bad_k, pos.size(), 1000, nullptr), Error);
  // a set padding bit after the last code
  ByteWriter w;
  write_rice_positions(w, std::vector<uint32_t>{5});  // k = 2: 1 + 1 + 2 bits = 4 bits
  std::vector<uint8_t> pad = w.buf();
  ASSERT_EQ(pad.size(), 2u);
  pad[1] |= 0x80;
  EXPECT_THROW(read_all(pad, 1, 1000, nullptr), Error);
  // an endless unary run (all zero bytes) stops at the limit, it does not loop or overrun
  std::vector<uint8_t> zeros(64, 0);
  EXPECT_THROW(read_all(zeros, 1, 1000, nullptr), Error);
  zeros[0] = kMaxRiceK;
  EXPECT_THROW(read_all(zeros, 1, uint64_t{1} << 20, nullptr), Error);
}

TEST(CodecRice, NearTheEntropyForRandomNulls) {
  // independent 10% density: entropy H(0.1) / 0.1 = 4.69 bits a position; Rice spends < 5.3,
  // a bit-packed frame of reference of the gaps needs the largest gap's width (6-7 bits here)
  std::mt19937_64 rng(5);
  std::vector<uint32_t> pos;
  for (uint32_t i = 0; i < 100000; ++i)
    if (rng() % 10 == 0) pos.push_back(i);
  const double bits = 8.0 * static_cast<double>(write(pos).size()) / static_cast<double>(pos.size());
  EXPECT_LT(bits, 5.3);
  EXPECT_GT(bits, 4.69);
}
