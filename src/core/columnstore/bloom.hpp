// Per-batch bloom filter over 64-bit value hashes, for skipping columnstore batches on equality
// (and IN) predicates: a batch whose filter says "no" for every constant cannot contain a match.
//
// The caller hashes each value (the glue: the type's extended hash function with seed 0, so equal
// values hash equal); the filter remixes the hash itself, so a weak input hash (an identity-like
// integer hash) is fine. Classic bloom filter with k probes by double hashing; serialized form in
// docs/FORMAT.md ("Bloom filter"), checked by a CRC-32C on deserialize.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace strata::core::columnstore {

struct BloomOptions {
  // Bits of filter per distinct value; the number of probes is round(bits_per_value * ln 2).
  // 10 gives about 0.8% false positives (docs/FORMAT.md has the measured rates). 1..64.
  double bits_per_value = 10.0;
};

class BloomFilter {
 public:
  static constexpr uint8_t kVersion = 1;
  static constexpr uint32_t kMaxWords = uint32_t{1} << 20;  // 8 MiB of bits
  static constexpr uint8_t kMaxProbes = 16;

  BloomFilter() = default;
  // An empty filter sized for `distinct` values (at least one 64-bit word).
  explicit BloomFilter(size_t distinct, const BloomOptions& options = {});
  // Resizes and clears this filter for `distinct` values, reusing its storage.
  void reset(size_t distinct, const BloomOptions& options = {});

  void insert(uint64_t hash);
  // false: no value with this hash was inserted. true: probably one was.
  bool might_contain(uint64_t hash) const;

  size_t bits() const { return words_.size() * 64; }
  unsigned probes() const { return probes_; }
  bool empty() const;  // nothing inserted (every bit clear)

  std::vector<uint8_t> serialize() const;
  void serialize_into(std::vector<uint8_t>& out) const;  // replaces out's contents
  size_t serialized_size() const { return 10 + 8 * words_.size(); }
  // Corrupt, truncated or over-long input throws Error(data_corrupted).
  static BloomFilter deserialize(std::span<const uint8_t> bytes);

 private:
  std::vector<uint64_t> words_;
  uint8_t probes_ = 1;
};

// CRC-32C (Castagnoli), as stored at the end of a serialized filter.
uint32_t crc32c(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace strata::core::columnstore
