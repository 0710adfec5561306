// libFuzzer target: bloom filter deserialization and queries (input: a serialized filter). A
// filter that deserializes must answer queries and serialize back to exactly the input bytes.
#include <cstdint>
#include <span>
#include <vector>

#include "columnstore/bloom.hpp"
#include "error.hpp"

using namespace strata::core;
using namespace strata::core::columnstore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    BloomFilter f = BloomFilter::deserialize(std::span<const uint8_t>(data, size));
    volatile bool sink = false;
    for (uint64_t h = 0; h < 64; ++h) sink = sink ^ f.might_contain(h * 0x9e3779b97f4a7c15ULL);
    (void)sink;
    const std::vector<uint8_t> again = f.serialize();
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) __builtin_trap();
    f.insert(12345);
    if (!f.might_contain(12345)) __builtin_trap();
  } catch (const Error& e) {
    if (e.code() != Errc::data_corrupted) __builtin_trap();
  }
  return 0;
}
