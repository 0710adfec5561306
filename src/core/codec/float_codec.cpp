// Float codecs: ALP-style decimal floats, Gorilla-style XOR, byte split. Format: docs/FORMAT.md,
// "Codecs".
#include "codec/float_codec.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "codec/bitpack.hpp"
#include "codec/bitstream.hpp"
#include "codec/int_codec.hpp"

namespace strata::core::codec {

namespace {

constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                             1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
constexpr int kMaxExp = 18;

// std::nearbyint in the default rounding mode (ties to even) for |x| < 2^53, without the library
// call: adding and subtracting 2^52 rounds away the fraction (values of 2^52 and more have none).
inline double round_to_integer(double x) {
  constexpr double k = 4503599627370496.0;  // 2^52
  if (!(std::fabs(x) < k)) return x;
  return x >= 0 ? (x + k) - k : (x - k) + k;
}

// ALP-style: digits = round(v * 10^e); decode v' = digits / 10^e (correctly rounded division),
// narrowed to float for Float4. A value is an exception unless v' has exactly v's bits.
inline bool alp_encode_one(uint64_t bits, bool is_float, int e, int64_t* digits) {
  const double v = bits_to_double(bits, is_float);
  const double scaled = v * kPow10[e];
  if (!(std::fabs(scaled) < 9007199254740992.0)) return false;  // also rejects NaN/Inf
  const double r = round_to_integer(scaled);
  const int64_t d = static_cast<int64_t>(r);
  const double back = static_cast<double>(d) / kPow10[e];
  uint64_t bb;
  if (is_float) {
    float f = static_cast<float>(back);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    bb = u;
  } else {
    std::memcpy(&bb, &back, 8);
  }
  if (bb != bits) return false;
  *digits = d;
  return true;
}

// The exponent with the lowest sampled cost; near >= 0: only the exponents next to it (a column's
// earlier batches chose it; its values keep their number of decimals from batch to batch).
int alp_choose_exponent(std::span<const uint64_t> bits, bool is_float, size_t* sample_fail,
                        size_t* sample_n, int near) {
  const size_t n = bits.size();
  const size_t step = std::max<size_t>(1, n / 64);
  int best_e = 0;
  double best_cost = std::numeric_limits<double>::infinity();
  const int max_e = is_float ? 10 : kMaxExp;
  const int from = near >= 0 ? std::max(0, near - 1) : 0;
  const int to = near >= 0 ? std::min(max_e, near + 1) : max_e;
  for (int e = from; e <= to; ++e) {
    size_t fails = 0, cnt = 0;
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    for (size_t i = 0; i < n; i += step) {
      int64_t d;
      ++cnt;
      if (alp_encode_one(bits[i], is_float, e, &d)) {
        mn = std::min(mn, d);
        mx = std::max(mx, d);
      } else {
        ++fails;
      }
    }
    const double w = mx >= mn ? bit_width_u64(static_cast<uint64_t>(mx) - static_cast<uint64_t>(mn)) : 0;
    const double cost = static_cast<double>(fails) * (is_float ? 48 : 80) + static_cast<double>(cnt) * w;
    if (cost < best_cost) {
      best_cost = cost;
      best_e = e;
      *sample_fail = fails;
      *sample_n = cnt;
    }
  }
  return best_e;
}

}  // namespace

bool encode_alp(ByteWriter& w, std::span<const uint64_t> bits, bool is_float, bool byte_aligned, bool forced,
                const IntShape* plan_only, IntShape* chosen, int exponent_near, int* exponent_out) {
  size_t sf = 0, sn = 0;
  const int max_e = is_float ? 10 : kMaxExp;
  const int e = alp_choose_exponent(bits, is_float, &sf, &sn, exponent_near <= max_e ? exponent_near : -1);
  if (exponent_out) *exponent_out = e;
  if (!forced && sf * 4 > sn) return false;  // mostly not decimal-like
  const size_t n = bits.size();
  std::vector<int64_t, UninitializedAllocator<int64_t>> digits(n);  // every slot written below
  std::vector<int64_t> pos;
  std::vector<uint64_t> exc;
  int64_t last = 0;
  for (size_t i = 0; i < n; ++i) {
    int64_t d;
    if (alp_encode_one(bits[i], is_float, e, &d)) {
      digits[i] = last = d;
    } else {
      digits[i] = last;
      pos.push_back(static_cast<int64_t>(i));
      exc.push_back(bits[i]);
    }
  }
  if (!forced && exc.size() * 4 > n) return false;
  w.u8(static_cast<uint8_t>(e));
  w.varint(exc.size());
  IntEncodeOptions io{byte_aligned};
  io.plan_only = plan_only;
  io.chosen = chosen;
  encode_ints(w, digits, io);
  if (!exc.empty()) {
    encode_ints(w, pos, IntEncodeOptions{});
    const size_t width = is_float ? 4 : 8;
    for (uint64_t b : exc) w.bytes(&b, width);
  }
  return true;
}

void decode_alp(ByteReader& r, size_t n, bool is_float, uint8_t* out) {
  const unsigned e = r.u8();
  if (e > static_cast<unsigned>(is_float ? 10 : kMaxExp)) corrupt("bad ALP exponent");
  const uint64_t ne = r.count(n, "too many ALP exceptions");
  const double p = kPow10[e];
  if (!is_float) {
    int64_t* d = reinterpret_cast<int64_t*>(out);
    decode_ints(r, n, d);
    double* o = reinterpret_cast<double*>(out);
    for (size_t i = 0; i < n; ++i) o[i] = static_cast<double>(d[i]) / p;
  } else {
    std::vector<int64_t> d(n);
    decode_ints(r, n, d.data());
    float* o = reinterpret_cast<float*>(out);
    for (size_t i = 0; i < n; ++i) o[i] = static_cast<float>(static_cast<double>(d[i]) / p);
  }
  if (ne) {
    std::vector<int64_t> pos(ne);
    decode_ints(r, ne, pos.data());
    const size_t width = is_float ? 4 : 8;
    const uint8_t* raw = r.bytes(ne * width);
    int64_t prev = -1;
    for (size_t k = 0; k < ne; ++k) {
      if (pos[k] <= prev || static_cast<uint64_t>(pos[k]) >= n) corrupt("bad ALP exception position");
      prev = pos[k];
      std::memcpy(out + static_cast<size_t>(pos[k]) * width, raw + k * width, width);
    }
  }
}

void encode_xor(ByteWriter& w, std::span<const uint64_t> bits, unsigned W) {
  ByteWriter s;
  BitWriter bw(s.buf());
  uint64_t prev = 0;
  unsigned wl = 0, wt = 0;
  bool window = false;
  for (size_t i = 0; i < bits.size(); ++i) {
    const uint64_t cur = bits[i];
    if (i == 0) {
      bw.put(cur, W);
      prev = cur;
      continue;
    }
    const uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      bw.put(0, 1);
      continue;
    }
    bw.put(1, 1);
    unsigned lz = static_cast<unsigned>(__builtin_clzll(x)) - (64 - W);
    if (lz > 31) lz = 31;
    const unsigned tz = static_cast<unsigned>(__builtin_ctzll(x));
    if (window && lz >= wl && tz >= wt) {
      bw.put(0, 1);
      bw.put(x >> wt, W - wl - wt);
    } else {
      const unsigned len = W - lz - tz;
      bw.put(1, 1);
      bw.put(lz, 5);
      bw.put(len - 1, 6);
      bw.put(x >> tz, len);
      wl = lz;
      wt = tz;
      window = true;
    }
  }
  bw.finish();
  w.varint(s.size());
  w.bytes(s.buf().data(), s.size());
}

constexpr const char* kXorTruncated = "truncated bit stream";

void decode_xor(ByteReader& r, size_t n, unsigned W, uint8_t* out) {
  const uint64_t len = r.count(r.remaining(), "truncated xor stream");
  BitReader br(r.bytes(len), len);
  uint64_t prev = 0;
  unsigned wl = 0, wt = 0;
  bool window = false;
  const size_t width = W / 8;
  for (size_t i = 0; i < n; ++i) {
    uint64_t cur;
    if (i == 0) {
      cur = br.get(W, kXorTruncated);
    } else if (br.get(1, kXorTruncated) == 0) {
      cur = prev;
    } else if (br.get(1, kXorTruncated) == 0) {
      if (!window) corrupt("xor window used before set");
      cur = prev ^ (br.get(W - wl - wt, kXorTruncated) << wt);
    } else {
      const unsigned lz = static_cast<unsigned>(br.get(5, kXorTruncated));
      const unsigned l = static_cast<unsigned>(br.get(6, kXorTruncated)) + 1;
      if (lz + l > W) corrupt("bad xor window");
      wl = lz;
      wt = W - lz - l;
      window = true;
      cur = prev ^ (br.get(l, kXorTruncated) << wt);
    }
    prev = cur;
    std::memcpy(out + i * width, &cur, width);
  }
}

void encode_byte_split(ByteWriter& w, std::span<const uint64_t> bits, size_t width) {
  const size_t n = bits.size();
  uint8_t* o = w.grow(n * width);
  for (size_t k = 0; k < width; ++k)
    for (size_t i = 0; i < n; ++i) o[k * n + i] = static_cast<uint8_t>(bits[i] >> (8 * k));
}

void decode_byte_split(ByteReader& r, size_t n, size_t width, uint8_t* out) {
  const uint8_t* p = r.bytes(n * width);
  for (size_t k = 0; k < width; ++k)
    for (size_t i = 0; i < n; ++i) out[i * width + k] = p[k * n + i];
}

}  // namespace strata::core::codec
