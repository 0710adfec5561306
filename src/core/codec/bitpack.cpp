#include "codec/bitpack.hpp"

#include <array>
#include <cstring>
#include <utility>

#include "codec/bitstream.hpp"

// Sanitizer builds keep the same code but skip the full unroll, which makes instrumented
// compilation of the 65 specialisations very slow.
#if defined(__SANITIZE_ADDRESS__)
#define STRATA_UNROLL_64
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STRATA_UNROLL_64
#endif
#endif
#ifndef STRATA_UNROLL_64
#define STRATA_UNROLL_64 _Pragma("GCC unroll 64")
#endif

namespace strata::core::codec {

namespace {

template <unsigned W, class Out>
inline void unpack64(const uint8_t* in, Out* out) {
  if constexpr (W == 0) {
    for (unsigned i = 0; i < 64; ++i) out[i] = 0;
  } else {
    uint64_t w[W];
    std::memcpy(w, in, W * 8);
    constexpr uint64_t mask = W == 64 ? ~uint64_t{0} : (uint64_t{1} << W) - 1;
    STRATA_UNROLL_64
    for (unsigned i = 0; i < 64; ++i) {
      const unsigned bit = i * W;
      const unsigned wi = bit >> 6, sh = bit & 63;
      uint64_t v = w[wi] >> sh;
      if (sh + W > 64) v |= w[wi + 1] << (64 - sh);
      out[i] = static_cast<Out>(v & mask);
    }
  }
}

template <unsigned W, class Out>
void unpack_n(const uint8_t* in, size_t n, Out* out) {
  size_t groups = n / 64;
  for (size_t g = 0; g < groups; ++g) unpack64<W>(in + g * W * 8, out + g * 64);
  size_t rest = n - groups * 64;
  if (rest) {
    uint8_t tail[W * 8 + 8] = {};
    std::memcpy(tail, in + groups * W * 8, (rest * W + 7) / 8);
    Out tmp[64];
    unpack64<W>(tail, tmp);
    std::memcpy(out + groups * 64, tmp, rest * sizeof(Out));
  }
}

template <class Out>
using UnpackFn = void (*)(const uint8_t*, size_t, Out*);

template <class Out, size_t... I>
constexpr auto make_table(std::index_sequence<I...>) {
  return std::array<UnpackFn<Out>, sizeof...(I)>{&unpack_n<static_cast<unsigned>(I), Out>...};
}

constexpr auto kUnpack = make_table<uint64_t>(std::make_index_sequence<65>{});
constexpr auto kUnpack32 = make_table<uint32_t>(std::make_index_sequence<33>{});
}

void bitunpack(const uint8_t* in, size_t n, unsigned width, uint64_t* out) {
  kUnpack[width](in, n, out);
}

void bitunpack32(const uint8_t* in, size_t n, unsigned width, uint32_t* out) {
  kUnpack32[width](in, n, out);
}

void bitpack(ByteWriter& w, const uint64_t* in, size_t n, unsigned width) {
  w.buf().reserve(w.size() + packed_size(n, width));
  BitWriter bw(w.buf());
  for (size_t i = 0; i < n; ++i) bw.put(in[i], width);
  bw.finish();
}

}  // namespace strata::core::codec
