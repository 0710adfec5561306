#include "codec/rice.hpp"

#include <algorithm>
#include <bit>
#include <vector>

namespace strata::core::codec {

void write_rice_positions(ByteWriter& w, std::span<const uint32_t> pos) {
  // gaps: the first position itself, then the rows skipped between neighbours
  std::vector<uint32_t> gaps(pos.size());
  uint64_t sum = 0;
  for (size_t i = 0; i < pos.size(); ++i) {
    gaps[i] = i == 0 ? pos[0] : pos[i] - pos[i - 1] - 1;
    sum += gaps[i];
  }
  // the best k is near log2(mean gap): try a few around it, counting bits exactly
  const uint64_t mean = pos.empty() ? 0 : sum / pos.size();
  const unsigned guess = mean ? static_cast<unsigned>(std::bit_width(mean)) - 1 : 0;
  unsigned best_k = 0;
  uint64_t best_bits = UINT64_MAX;
  for (unsigned k = guess > 2 ? guess - 2 : 0; k <= std::min(guess + 2, kMaxRiceK); ++k) {
    uint64_t bits = pos.size() * (1 + uint64_t{k});
    for (uint32_t g : gaps) bits += g >> k;
    if (bits < best_bits) {
      best_bits = bits;
      best_k = k;
    }
  }
  w.u8(static_cast<uint8_t>(best_k));
  BitWriter bw(w.buf());
  for (uint32_t g : gaps) {
    bw.zeros(g >> best_k);  // quotient in unary: that many 0 bits, then a 1
    bw.put(1, 1);
    bw.put(g, best_k);  // remainder: the low k bits
  }
  bw.finish();  // best_bits bits: (best_bits + 7) / 8 bytes
}

}  // namespace strata::core::codec
