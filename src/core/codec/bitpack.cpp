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

// The inverse of unpack64: 64 values (masked to W bits) into W little-endian words.
template <unsigned W>
inline void pack64(const uint64_t* in, uint8_t* out) {
  if constexpr (W != 0) {
    uint64_t w[W] = {};
    constexpr uint64_t mask = W == 64 ? ~uint64_t{0} : (uint64_t{1} << W) - 1;
    STRATA_UNROLL_64
    for (unsigned i = 0; i < 64; ++i) {
      const unsigned bit = i * W;
      const unsigned wi = bit >> 6, sh = bit & 63;
      const uint64_t v = in[i] & mask;
      w[wi] |= v << sh;
      if (sh + W > 64) w[wi + 1] |= v >> (64 - sh);
    }
    std::memcpy(out, w, W * 8);  // little-endian host (byte_io.hpp)
  }
}

// packed_size(n, W) bytes; a last partial group is packed with zero values after it, so the
// padding bits are zero.
template <unsigned W>
void pack_n(const uint64_t* in, size_t n, uint8_t* out) {
  const size_t groups = n / 64;
  for (size_t g = 0; g < groups; ++g) pack64<W>(in + g * 64, out + g * W * 8);
  const size_t rest = n - groups * 64;
  if (rest && W != 0) {
    uint64_t tmp[64] = {};
    std::memcpy(tmp, in + groups * 64, rest * sizeof(uint64_t));
    uint8_t tail[W * 8 + 8];
    pack64<W>(tmp, tail);
    std::memcpy(out + groups * W * 8, tail, (rest * W + 7) / 8);
  }
}

using PackFn = void (*)(const uint64_t*, size_t, uint8_t*);
template <size_t... I>
constexpr auto make_pack_table(std::index_sequence<I...>) {
  return std::array<PackFn, sizeof...(I)>{&pack_n<static_cast<unsigned>(I)>...};
}
constexpr auto kPack = make_pack_table(std::make_index_sequence<65>{});

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
  if (width > 64) bad_arg("bit width > 64");
  const size_t bytes = packed_size(n, width);
  if (bytes == 0) return;
  kPack[width](in, n, w.grow(bytes));
}

}  // namespace strata::core::codec
