// Column-level codec: header, validity, codec selection, float codecs, decode, predicates and
// aggregates. Format: docs/FORMAT.md.
#include "codec/codec.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cwchar>
#include <iterator>
#include <limits>
#include <numeric>
#include <type_traits>

#include "codec/bitpack.hpp"
#include "codec/int_codec.hpp"
#include "codec/internal.hpp"
#include "codec/rice.hpp"

namespace strata::core::codec {

const char* codec_name(Codec c) {
  switch (c) {
    case Codec::Auto: return "auto";
    case Codec::Integer: return "integer";
    case Codec::Alp: return "alp";
    case Codec::FloatXor: return "xor";
    case Codec::Plain: return "plain";
    case Codec::ByteSplit: return "bytesplit";
    case Codec::Dictionary: return "dictionary";
    case Codec::ExtDictionary: return "extdictionary";
    case Codec::UuidText: return "uuidtext";
    case Codec::VarPlain: return "varplain";
    case Codec::AllNull: return "allnull";
    case Codec::Constant: return "constant";
  }
  return "?";
}

const char* type_name(ColumnType t) {
  switch (t) {
    case ColumnType::Int16: return "int16";
    case ColumnType::Int32: return "int32";
    case ColumnType::Int64: return "int64";
    case ColumnType::Timestamp: return "timestamp";
    case ColumnType::Date: return "date";
    case ColumnType::Float4: return "float4";
    case ColumnType::Float8: return "float8";
    case ColumnType::Bool: return "bool";
    case ColumnType::Uuid: return "uuid";
    case ColumnType::Varlen: return "varlen";
  }
  return "?";
}

size_t fixed_width(ColumnType t) {
  switch (t) {
    case ColumnType::Int16: return 2;
    case ColumnType::Int32: case ColumnType::Date: case ColumnType::Float4: return 4;
    case ColumnType::Int64: case ColumnType::Timestamp: case ColumnType::Float8: return 8;
    case ColumnType::Bool: return 1;
    case ColumnType::Uuid: return 16;
    case ColumnType::Varlen: return 0;
  }
  return 0;
}

namespace {

enum Flags : uint8_t { kHasNulls = 1, kZstd = 2 };
constexpr uint8_t kKnownFlags = kHasNulls | kZstd;

bool valid_type(uint8_t t) { return t >= 1 && t <= 10; }
bool int_like(ColumnType t) {
  return t == ColumnType::Int16 || t == ColumnType::Int32 || t == ColumnType::Int64 ||
         t == ColumnType::Timestamp || t == ColumnType::Date || t == ColumnType::Bool;
}
bool float_like(ColumnType t) { return t == ColumnType::Float4 || t == ColumnType::Float8; }

// The values an integer-like type can hold.
struct IntRange {
  int64_t lo, hi;
};
IntRange int_range(ColumnType t) {
  switch (t) {
    case ColumnType::Int16: return {INT16_MIN, INT16_MAX};
    case ColumnType::Int32: case ColumnType::Date: return {INT32_MIN, INT32_MAX};
    case ColumnType::Bool: return {0, 1};
    default: return {INT64_MIN, INT64_MAX};
  }
}
bool string_like(ColumnType t) { return t == ColumnType::Varlen || t == ColumnType::Uuid; }

bool codec_allowed(ColumnType t, Codec c) {
  switch (c) {
    case Codec::Integer: return int_like(t);
    case Codec::Alp: case Codec::FloatXor: case Codec::ByteSplit: return float_like(t);
    case Codec::Plain: return float_like(t) || t == ColumnType::Uuid;
    case Codec::Dictionary: case Codec::ExtDictionary: return string_like(t);
    case Codec::UuidText: case Codec::VarPlain: return t == ColumnType::Varlen;
    case Codec::AllNull: case Codec::Constant: return true;
    case Codec::Auto: return false;
  }
  return false;
}

inline bool bit_at(const uint8_t* bm, size_t i) { return (bm[i >> 3] >> (i & 7)) & 1; }

// ---------------------------------------------------------------- floats
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                             1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
constexpr int kMaxExp = 18;

inline double bits_to_double(uint64_t b, bool is_float) {
  if (is_float) {
    float f;
    uint32_t u = static_cast<uint32_t>(b);
    std::memcpy(&f, &u, 4);
    return f;
  }
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

// ALP-style: digits = round(v * 10^e); decode v' = digits / 10^e (correctly rounded division),
// narrowed to float for Float4. A value is an exception unless v' has exactly v's bits.
inline bool alp_encode_one(uint64_t bits, bool is_float, int e, int64_t* digits) {
  const double v = bits_to_double(bits, is_float);
  const double scaled = v * kPow10[e];
  if (!(std::fabs(scaled) < 9007199254740992.0)) return false;  // also rejects NaN/Inf
  const double r = std::nearbyint(scaled);
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

int alp_choose_exponent(const std::vector<uint64_t>& bits, bool is_float, size_t* sample_fail,
                        size_t* sample_n) {
  const size_t n = bits.size();
  const size_t step = std::max<size_t>(1, n / 64);
  int best_e = 0;
  double best_cost = std::numeric_limits<double>::infinity();
  const int max_e = is_float ? 10 : kMaxExp;
  for (int e = 0; e <= max_e; ++e) {
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

// Alp body: u8 exponent, varint exceptions, int block digits, [int block positions, raw bits].
bool body_alp(ByteWriter& w, const std::vector<uint64_t>& bits, bool is_float, bool byte_aligned, bool forced) {
  size_t sf = 0, sn = 0;
  const int e = alp_choose_exponent(bits, is_float, &sf, &sn);
  if (!forced && sf * 4 > sn) return false;  // mostly not decimal-like
  const size_t n = bits.size();
  std::vector<int64_t> digits(n), pos;
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
  encode_ints(w, digits, IntEncodeOptions{byte_aligned});
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

class BitWriter {
 public:
  void put(uint64_t v, unsigned nbits) {  // nbits <= 64, v < 2^nbits
    for (unsigned done = 0; done < nbits;) {
      unsigned take = std::min(nbits - done, 64 - fill_);
      uint64_t part = (take == 64 ? v : (v >> done) & ((uint64_t{1} << take) - 1));
      if (take == 64) part = v;
      acc_ |= fill_ == 64 ? 0 : part << fill_;
      fill_ += take;
      done += take;
      if (fill_ == 64) flush();
    }
  }
  std::vector<uint8_t> finish() {
    for (unsigned b = 0; b < (fill_ + 7) / 8; ++b) out_.push_back(static_cast<uint8_t>(acc_ >> (8 * b)));
    acc_ = 0;
    fill_ = 0;
    return std::move(out_);
  }

 private:
  void flush() {
    for (int b = 0; b < 8; ++b) out_.push_back(static_cast<uint8_t>(acc_ >> (8 * b)));
    acc_ = 0;
    fill_ = 0;
  }
  std::vector<uint8_t> out_;
  uint64_t acc_ = 0;
  unsigned fill_ = 0;
};

class BitReader {
 public:
  BitReader(const uint8_t* p, size_t n) : p_(p), nbits_(n * 8) {}
  uint64_t get(unsigned nbits) {
    if (nbits > nbits_ - pos_) corrupt("truncated bit stream");
    uint64_t v = 0;
    for (unsigned done = 0; done < nbits;) {
      const size_t byte = pos_ >> 3;
      const unsigned off = pos_ & 7;
      const unsigned take = std::min(8 - off, nbits - done);
      const uint64_t bits = (p_[byte] >> off) & ((1u << take) - 1);
      v |= bits << done;
      done += take;
      pos_ += take;
    }
    return v;
  }

 private:
  const uint8_t* p_;
  size_t nbits_;
  size_t pos_ = 0;
};

// FloatXor body: varint byte length, bit stream (see FORMAT.md).
void body_xor(ByteWriter& w, const std::vector<uint64_t>& bits, unsigned W) {
  BitWriter bw;
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
  std::vector<uint8_t> s = bw.finish();
  w.varint(s.size());
  w.bytes(s.data(), s.size());
}

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
      cur = br.get(W);
    } else if (br.get(1) == 0) {
      cur = prev;
    } else if (br.get(1) == 0) {
      if (!window) corrupt("xor window used before set");
      cur = prev ^ (br.get(W - wl - wt) << wt);
    } else {
      const unsigned lz = static_cast<unsigned>(br.get(5));
      const unsigned l = static_cast<unsigned>(br.get(6)) + 1;
      if (lz + l > W) corrupt("bad xor window");
      wl = lz;
      wt = W - lz - l;
      window = true;
      cur = prev ^ (br.get(l) << wt);
    }
    prev = cur;
    std::memcpy(out + i * width, &cur, width);
  }
}

void body_split(ByteWriter& w, const std::vector<uint64_t>& bits, size_t width) {
  const size_t n = bits.size();
  uint8_t* o = w.grow(n * width);
  for (size_t k = 0; k < width; ++k)
    for (size_t i = 0; i < n; ++i) o[k * n + i] = static_cast<uint8_t>(bits[i] >> (8 * k));
}

void decode_split(ByteReader& r, size_t n, size_t width, uint8_t* out) {
  const uint8_t* p = r.bytes(n * width);
  for (size_t k = 0; k < width; ++k)
    for (size_t i = 0; i < n; ++i) out[i * width + k] = p[k * n + i];
}

// ---------------------------------------------------------------- strings
struct Codes {
  std::vector<int64_t> codes;
  std::vector<std::string_view> entries;
};

// Batch-local dictionary with entries in descending order of frequency (ties: first appearance),
// so the frequent values get the small codes that a narrow frame of reference covers, with the
// rare ones as exceptions.
Codes local_codes(const std::vector<std::string_view>& v) {
  Codes c;
  std::unordered_map<std::string_view, int64_t> m;
  m.reserve(v.size());
  c.codes.resize(v.size());
  std::vector<size_t> count;
  for (size_t i = 0; i < v.size(); ++i) {
    auto [it, fresh] = m.emplace(v[i], static_cast<int64_t>(c.entries.size()));
    if (fresh) {
      c.entries.push_back(v[i]);
      count.push_back(0);
    }
    c.codes[i] = it->second;
    ++count[static_cast<size_t>(it->second)];
  }
  if (c.entries.size() > 2) {
    std::vector<uint32_t> order(c.entries.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return count[a] > count[b]; });
    std::vector<int64_t> rank(order.size());
    std::vector<std::string_view> sorted(order.size());
    for (size_t k = 0; k < order.size(); ++k) {
      rank[order[k]] = static_cast<int64_t>(k);
      sorted[k] = c.entries[order[k]];
    }
    c.entries = std::move(sorted);
    for (int64_t& x : c.codes) x = rank[static_cast<size_t>(x)];
  }
  return c;
}

// ---------------------------------------------------------------- gather
struct Gathered {
  size_t rows = 0, m = 0;
  std::vector<int64_t> ints;
  std::vector<uint64_t> bits;
  std::vector<std::string_view> strs;
  std::vector<int64_t> valid01;  // only when there are nulls
};

Gathered gather(ColumnType type, const ColumnView& col, ColumnStats& st) {
  Gathered g;
  g.rows = col.rows;
  const bool has_validity = col.validity != nullptr;
  auto is_valid = [&](size_t i) { return !has_validity || bit_at(col.validity, i); };
  size_t valid = 0;
  if (has_validity) {
    g.valid01.resize(col.rows);
    for (size_t i = 0; i < col.rows; ++i) valid += (g.valid01[i] = is_valid(i));
  } else {
    valid = col.rows;
  }
  g.m = valid;
  st.rows = col.rows;
  st.null_count = col.rows - valid;
  if (int_like(type)) {
    g.ints.reserve(valid);
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    for (size_t i = 0; i < col.rows; ++i) {
      if (!is_valid(i)) continue;
      int64_t v = 0;
      switch (type) {
        case ColumnType::Int16: { int16_t x; std::memcpy(&x, static_cast<const uint8_t*>(col.fixed) + 2 * i, 2); v = x; break; }
        case ColumnType::Int32: case ColumnType::Date: { int32_t x; std::memcpy(&x, static_cast<const uint8_t*>(col.fixed) + 4 * i, 4); v = x; break; }
        case ColumnType::Bool: {
          uint8_t x = static_cast<const uint8_t*>(col.fixed)[i];
          if (x > 1) bad_arg("bool values must be 0 or 1");
          v = x;
          break;
        }
        default: std::memcpy(&v, static_cast<const uint8_t*>(col.fixed) + 8 * i, 8);
      }
      mn = std::min(mn, v);
      mx = std::max(mx, v);
      g.ints.push_back(v);
    }
    if (valid) {
      st.has_minmax = true;
      st.min_int = mn;
      st.max_int = mx;
    }
  } else if (float_like(type)) {
    const bool f4 = type == ColumnType::Float4;
    g.bits.reserve(valid);
    for (size_t i = 0; i < col.rows; ++i) {
      if (!is_valid(i)) continue;
      uint64_t b = 0;
      std::memcpy(&b, static_cast<const uint8_t*>(col.fixed) + (f4 ? 4 : 8) * i, f4 ? 4 : 8);
      g.bits.push_back(b);
      const double d = bits_to_double(b, f4);
      if (!std::isnan(d)) {
        if (!st.has_minmax || d < st.min_float) st.min_float = d;
        if (!st.has_minmax || d > st.max_float) st.max_float = d;
        st.has_minmax = true;
      }
    }
  } else {
    g.strs.reserve(valid);
    std::string_view mn, mx;
    uint64_t total_bytes = 0;
    for (size_t i = 0; i < col.rows; ++i) {
      if (!is_valid(i)) continue;
      std::string_view s;
      if (type == ColumnType::Uuid) {
        s = std::string_view(static_cast<const char*>(col.fixed) + 16 * i, 16);
      } else {
        s = col.varlen[i];
        total_bytes += s.size();
        if (total_bytes > kMaxValueBytes) bad_arg("batch column larger than kMaxValueBytes");
      }
      if (g.strs.empty() || s < mn) mn = s;
      if (g.strs.empty() || s > mx) mx = s;
      g.strs.push_back(s);
    }
    if (valid) {
      st.has_minmax = true;
      st.min_bytes = std::string(mn);
      st.max_bytes = std::string(mx);
    }
  }
  return g;
}

// Validity section: u8 form, then an integer block. Form 0: one 0/1 flag per row (1 = not
// NULL); form 1: positions of the NULL rows; form 2: positions of the non-NULL rows.
void write_validity(ByteWriter& w, const std::vector<int64_t>& valid01, size_t nulls) {
  ByteWriter flags_form;
  flags_form.u8(0);
  encode_ints(flags_form, valid01, IntEncodeOptions{});
  const bool want_nulls = nulls * 2 <= valid01.size();
  std::vector<int64_t> pos;
  for (size_t i = 0; i < valid01.size(); ++i)
    if ((valid01[i] == 0) == want_nulls) pos.push_back(static_cast<int64_t>(i));
  ByteWriter pos_form;
  pos_form.u8(want_nulls ? 1 : 2);
  encode_ints(pos_form, pos, IntEncodeOptions{});
  // version 3: the gaps Rice-coded (random NULLs: near the entropy, no block headers)
  std::vector<uint32_t> pos32(pos.begin(), pos.end());
  ByteWriter rice_form;
  rice_form.u8(want_nulls ? 3 : 4);
  write_rice_positions(rice_form, pos32);
  ByteWriter* best = pos_form.size() < flags_form.size() ? &pos_form : &flags_form;
  if (rice_form.size() < best->size()) best = &rice_form;
  w.bytes(best->buf().data(), best->size());
}

void read_validity(ByteReader& r, uint64_t rows, uint64_t nulls, bool want_bitmap, std::vector<uint8_t>& bitmap) {
  const uint8_t form = r.u8();
  if (want_bitmap) bitmap.assign((rows + 7) / 8, 0);
  if (form == 0) {
    // fast path: a plain 1-bit frame of reference block is the bitmap itself
    ByteReader probe = r;
    if (probe.u8() == kIntFor && probe.svarint() == 0 && probe.varint() == 1 && probe.u8() == 1 &&
        probe.varint() == 0) {
      const uint8_t* b = probe.bytes(packed_size(rows, 1));
      uint64_t ones = 0;
      for (size_t i = 0; i < rows / 8; ++i) ones += static_cast<uint64_t>(__builtin_popcount(b[i]));
      for (size_t i = rows / 8 * 8; i < rows; ++i) ones += (b[i >> 3] >> (i & 7)) & 1;
      if (rows % 8 && (b[rows / 8] >> (rows % 8))) corrupt("validity padding bits set");
      if (rows - ones != nulls) corrupt("validity does not match null count");
      if (want_bitmap) std::memcpy(bitmap.data(), b, packed_size(rows, 1));
      r = probe;
      return;
    }
    std::vector<int64_t> v(rows);
    decode_ints(r, rows, v.data());
    uint64_t zeros = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] != 0 && v[i] != 1) corrupt("bad validity value");
      zeros += v[i] == 0;
      if (want_bitmap && v[i]) bitmap[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
    }
    if (zeros != nulls) corrupt("validity does not match null count");
    return;
  }
  // forms 1-4 list positions: of the NULL rows (1, 3) or of the value rows (2, 4), as an integer
  // block (1, 2) or Rice-coded gaps (3, 4)
  if (form < 1 || form > 4) corrupt("unknown validity form");
  const bool of_nulls = form == 1 || form == 3;
  const uint64_t count = of_nulls ? nulls : rows - nulls;  // >= 1 here
  if (want_bitmap && of_nulls) {  // start from every row present, padding bits 0
    std::fill(bitmap.begin(), bitmap.end(), 0xff);
    if (rows % 8) bitmap.back() = static_cast<uint8_t>((1u << (rows % 8)) - 1);
  }
  auto mark = [&](auto each_position) {
    uint8_t* b = bitmap.data();
    if (!want_bitmap) each_position([](uint32_t) {});
    else if (of_nulls) each_position([b](uint32_t q) { b[q >> 3] &= static_cast<uint8_t>(~(1u << (q & 7))); });
    else each_position([b](uint32_t q) { b[q >> 3] |= static_cast<uint8_t>(1u << (q & 7)); });
  };
  if (form >= 3) {
    mark([&](auto&& f) { read_rice_positions(r, count, rows, f); });
    return;
  }
  uint32_t stack_pos[1024];  // the usual batch needs no heap buffer
  std::vector<uint32_t, UninitializedAllocator<uint32_t>> heap_pos;
  uint32_t* pos = stack_pos;
  if (count > std::size(stack_pos)) {
    heap_pos.resize(count);
    pos = heap_pos.data();
  }
  decode_ints_narrow(r, count, pos, 0, static_cast<int64_t>(rows) - 1);  // rows >= 1 here
  for (size_t i = 1; i < count; ++i)
    if (pos[i] <= pos[i - 1]) corrupt("bad validity position");
  mark([&](auto&& f) {
    for (size_t i = 0; i < count; ++i) f(pos[i]);
  });
}

struct Candidate {
  Codec codec;
  std::vector<uint8_t> body;
  bool byte_aligned_for_zstd;  // body built for the zstd stage only
};

// Builds a body for codec c, or returns false when c does not apply to these values.
bool build_body(ColumnType type, Codec c, const Gathered& g, const EncodeOptions& o, bool byte_aligned,
                bool forced, ByteWriter& w) {
  const bool f4 = type == ColumnType::Float4;
  const size_t width = fixed_width(type);
  switch (c) {
    case Codec::Integer:
      encode_ints(w, g.ints, IntEncodeOptions{byte_aligned});
      return true;
    case Codec::Alp:
      return body_alp(w, g.bits, f4, byte_aligned, forced);
    case Codec::FloatXor:
      body_xor(w, g.bits, f4 ? 32 : 64);
      return true;
    case Codec::Plain:
      if (type == ColumnType::Uuid) {
        for (auto s : g.strs) w.bytes(s.data(), 16);
      } else {
        for (uint64_t b : g.bits) w.bytes(&b, width);
      }
      return true;
    case Codec::ByteSplit:
      body_split(w, g.bits, width);
      return true;
    case Codec::Dictionary: {
      Codes cd = local_codes(g.strs);
      if (!forced && cd.entries.size() * 2 > g.m) return false;
      w.varint(cd.entries.size());
      if (type == ColumnType::Uuid) {
        for (auto s : cd.entries) w.bytes(s.data(), 16);
      } else {
        write_string_list(w, cd.entries);
      }
      if (cd.entries.size() > 1) encode_ints(w, cd.codes, IntEncodeOptions{byte_aligned});
      return true;
    }
    case Codec::ExtDictionary: {
      if (!o.dictionary) {
        if (forced) bad_arg("ExtDictionary needs EncodeOptions::dictionary");
        return false;
      }
      if (o.dictionary->type() != type) bad_arg("dictionary type does not match column type");
      std::vector<int64_t> codes(g.m);
      for (size_t i = 0; i < g.m; ++i) {
        auto code = o.dictionary->find(g.strs[i]);
        if (!code) {
          if (forced) bad_arg("value missing from the external dictionary");
          return false;
        }
        codes[i] = *code;
      }
      encode_ints(w, codes, IntEncodeOptions{byte_aligned});
      return true;
    }
    case Codec::UuidText: {
      uint8_t u[16];
      size_t canonical = 0;
      for (auto s : g.strs) canonical += parse_canonical_uuid(s, u);
      if (!forced && canonical * 2 < g.m) return false;
      write_string_list(w, g.strs);  // picks UuidText form when half or more are canonical
      return true;
    }
    case Codec::VarPlain: {
      std::vector<int64_t> lens(g.m);
      for (size_t i = 0; i < g.m; ++i) lens[i] = static_cast<int64_t>(g.strs[i].size());
      encode_ints(w, lens, IntEncodeOptions{});
      for (auto s : g.strs) w.bytes(s.data(), s.size());
      return true;
    }
    case Codec::Constant: {
      // applies only when every value is identical (forced or not)
      if (int_like(type)) {
        for (int64_t x : g.ints)
          if (x != g.ints[0]) return forced ? (bad_arg("Constant codec needs identical values"), false) : false;
        w.svarint(g.ints[0]);
      } else if (float_like(type)) {
        for (uint64_t x : g.bits)
          if (x != g.bits[0]) return forced ? (bad_arg("Constant codec needs identical values"), false) : false;
        w.bytes(&g.bits[0], width);
      } else {
        for (auto x : g.strs)
          if (x != g.strs[0]) return forced ? (bad_arg("Constant codec needs identical values"), false) : false;
        if (type == ColumnType::Varlen) w.varint(g.strs[0].size());
        w.bytes(g.strs[0].data(), g.strs[0].size());
      }
      return true;
    }
    case Codec::Auto:
    case Codec::AllNull:
      break;
  }
  return false;
}

std::vector<Codec> candidates_for(ColumnType t) {
  if (int_like(t)) return {Codec::Constant, Codec::Integer};
  if (float_like(t)) return {Codec::Constant, Codec::Alp, Codec::FloatXor, Codec::Plain, Codec::ByteSplit};
  if (t == ColumnType::Uuid) return {Codec::Constant, Codec::ExtDictionary, Codec::Dictionary, Codec::Plain};
  return {Codec::Constant, Codec::ExtDictionary, Codec::Dictionary, Codec::UuidText, Codec::VarPlain};
}

// Codecs whose packed integers feed zstd better when byte-aligned.
bool has_aligned_variant(Codec c) {
  return c == Codec::Integer || c == Codec::Alp || c == Codec::Dictionary || c == Codec::ExtDictionary;
}

}  // namespace

std::vector<uint8_t> encode_column(ColumnType type, const ColumnView& col, const EncodeOptions& o,
                                   ColumnStats* stats_out) {
  if (!valid_type(static_cast<uint8_t>(type))) bad_arg("unknown column type");
  if (col.rows > kMaxRows) bad_arg("too many rows in one batch");
  if (col.rows > 0) {
    if (type == ColumnType::Varlen ? col.varlen == nullptr : col.fixed == nullptr) bad_arg("missing values");
  }
  if (o.force_codec != Codec::Auto && !codec_allowed(type, o.force_codec))
    bad_arg("codec not applicable to this column type");
  if (o.dictionary && o.dictionary->type() != type) bad_arg("dictionary type does not match column type");
  ColumnStats st;
  Gathered g = gather(type, col, st);
  if (o.force_codec == Codec::AllNull && g.m > 0) bad_arg("AllNull codec needs a column with no values");

  Codec best_codec = Codec::AllNull;
  std::vector<uint8_t> best_body;
  bool best_z = false;
  size_t best_raw = 0;
  std::unique_ptr<CodecContext> local;
  CodecContext::Impl* ctx = nullptr;
  if (o.context) ctx = o.context->impl();
  auto zctx = [&]() -> CodecContext::Impl& {
    if (!ctx) {
      local = std::make_unique<CodecContext>();
      ctx = local->impl();
    }
    return *ctx;
  };

  if (g.m > 0 && o.force_codec != Codec::AllNull) {
    std::vector<Codec> cands = o.force_codec == Codec::Auto ? candidates_for(type)
                                                            : std::vector<Codec>{o.force_codec};
    const bool forced = o.force_codec != Codec::Auto;
    size_t best_size = SIZE_MAX;
    auto consider = [&](Codec c, std::vector<uint8_t>&& body, bool z, size_t raw) {
      const size_t size = body.size() + (z ? varint_size(raw) + varint_size(body.size()) : 0);
      // A zstd stage costs a fixed decompression overhead, so it must save zstd_min_gain of the
      // bytes to be chosen. Auto (< 0): dictionary codes decode at memory speed, so there zstd must
      // save 40%; elsewhere any saving counts.
      const double gain = o.zstd_min_gain >= 0
                              ? std::min(o.zstd_min_gain, 0.9)
                              : (c == Codec::Dictionary || c == Codec::ExtDictionary ? 0.4 : 0.0);
      const size_t score = z ? static_cast<size_t>(static_cast<double>(size) / (1.0 - gain)) : size;
      if (score < best_size) {
        best_size = score;
        best_codec = c;
        best_body = std::move(body);
        best_z = z;
        best_raw = raw;
      }
    };
    for (Codec c : cands) {
      if (best_codec == Codec::Constant) break;  // nothing beats storing the value once
      for (int aligned = 0; aligned < 2; ++aligned) {
        if (aligned && (!o.allow_zstd || !has_aligned_variant(c))) continue;
        ByteWriter w;
        if (!build_body(type, c, g, o, aligned != 0, forced, w)) break;
        std::vector<uint8_t> body = std::move(w.buf());
        const size_t raw = body.size();
        // zstd last stage, kept only where it pays
        if (o.allow_zstd && raw >= 32) {
          std::vector<uint8_t> z = zstd_compress(zctx(), body.data(), raw, o.zstd_level);
          if (!z.empty() && z.size() + varint_size(raw) + varint_size(z.size()) < raw) {
            consider(c, std::move(z), true, raw);
            if (aligned) continue;
          }
        }
        if (!aligned) consider(c, std::move(body), false, raw);
        if (c == Codec::ByteSplit && !aligned) {
          // split layout only makes sense with zstd; plain already covers the raw case
        }
      }
    }
    if (best_size == SIZE_MAX) {
      if (forced) bad_arg("forced codec cannot encode these values");
      throw Error(Errc::internal, "no codec could encode the column");
    }
  }

  ByteWriter w;
  uint8_t flags = 0;
  if (st.null_count) flags |= kHasNulls;
  if (best_z) flags |= kZstd;
  w.u8(static_cast<uint8_t>(kFormatVersion << 4 | flags));
  w.u8(static_cast<uint8_t>(static_cast<uint8_t>(type) << 4 | static_cast<uint8_t>(best_codec)));
  w.varint(g.rows);
  if (st.null_count) {
    w.varint(st.null_count);
    if (g.m > 0) write_validity(w, g.valid01, st.null_count);
  }
  if (best_codec == Codec::ExtDictionary) w.u64le(o.dictionary->id());
  if (best_z) {
    w.varint(best_raw);
    w.varint(best_body.size());
  }
  w.bytes(best_body.data(), best_body.size());
  st.codec = best_codec;
  st.zstd = best_z;
  if (stats_out) *stats_out = std::move(st);
  return std::move(w.buf());
}

// ---------------------------------------------------------------- decode
namespace {

// Loads validity bits [64 * word, 64 * word + 64) (bits past the bitmap's end read as 0).
inline uint64_t bitmap_word(const uint8_t* bitmap, size_t bytes, size_t word) {
  uint64_t bits = 0;
  const size_t at = word * 8;
  if (at + 8 <= bytes) {
    std::memcpy(&bits, bitmap + at, 8);
  } else {
    for (size_t b = at; b < bytes; ++b) bits |= static_cast<uint64_t>(bitmap[b]) << (8 * (b - at));
  }
  return bits;
}

// Moves the m compact values at the front of buf (W bytes each) onto the rows whose validity bit
// is set and zeroes the NULL rows. Two ways, both without heap allocation:
//  - mostly NULL (and small): copy the values aside on the stack, zero the whole buffer with one
//    memset, then scatter them a 64-row word at a time;
//  - otherwise in place, walking from the last row back: the k-th value goes to a row i >= k, so
//    a move or a zeroed slot never lands on a value not yet moved.
// The bitmap has exactly m bits set: read_validity establishes that for every form (counted
// flags, or exactly m / rows - m strictly increasing positions below rows).
template <size_t W>
void expand_in_place(const uint8_t* bitmap, size_t rows, size_t m, uint8_t* buf) {
  using T = std::conditional_t<W == 1, uint8_t,
                               std::conditional_t<W == 2, uint16_t, std::conditional_t<W == 4, uint32_t, uint64_t>>>;
  static_assert(sizeof(T) == W);
  const size_t bytes = (rows + 7) / 8;
  const size_t words = (rows + 63) / 64;
  constexpr size_t kStack = 8192;
  if (m * W <= kStack && (rows - m) * 4 >= rows) {
    alignas(8) uint8_t tmp[kStack];
    std::memcpy(tmp, buf, m * W);
    std::memset(buf, 0, rows * W);
    size_t k = 0;
    for (size_t word = 0; word < words; ++word) {
      for (uint64_t bits = bitmap_word(bitmap, bytes, word); bits; bits &= bits - 1) {
        const size_t i = word * 64 + static_cast<size_t>(__builtin_ctzll(bits));
        std::memcpy(buf + i * W, tmp + k * W, W);
        ++k;
      }
    }
    return;
  }
  size_t k = m;
  size_t end = rows;  // rows [i + 1, end) are NULL rows still to zero
  for (size_t word = words; word-- > 0;) {
    uint64_t bits = bitmap_word(bitmap, bytes, word);
    while (bits) {
      const size_t i = word * 64 + 63 - static_cast<size_t>(__builtin_clzll(bits));
      bits &= ~(uint64_t{1} << (i & 63));
      if (end - i - 1 > 4) {
        std::memset(buf + (i + 1) * W, 0, (end - i - 1) * W);
      } else {
        for (size_t j = i + 1; j < end; ++j) std::memset(buf + j * W, 0, W);  // a typed store
      }
      --k;
      T v;
      std::memcpy(&v, buf + k * W, W);
      std::memcpy(buf + i * W, &v, W);
      end = i;
    }
  }
  if (end) std::memset(buf, 0, end * W);  // NULL rows before the first value
}

struct Parsed {
  ColumnInfo info;
  std::vector<uint8_t> bitmap;  // rows bits when null_count > 0
  ByteBuffer zbody;             // decompressed body storage
  const uint8_t* body = nullptr;
  size_t body_len = 0;
  uint64_t m = 0;
};

// Parses the header into p (whose bitmap buffer may be reused: it is overwritten when wanted).
void parse_into(Parsed& p, std::span<const uint8_t> bytes, ColumnType expect, const DecodeOptions& opt,
                bool want_bitmap) {
  ByteReader r(bytes);
  const uint8_t b0 = r.u8();
  p.info.version = b0 >> 4;
  if (p.info.version < kMinFormatVersion || p.info.version > kFormatVersion) corrupt("unsupported format version");
  const uint8_t flags = b0 & 15;
  if (flags & ~kKnownFlags) corrupt("unknown flags");
  const uint8_t b1 = r.u8();
  const uint8_t t = b1 >> 4;
  if (!valid_type(t)) corrupt("unknown column type");
  p.info.type = static_cast<ColumnType>(t);
  if (p.info.type != expect) corrupt("column type does not match");
  const uint8_t c = b1 & 15;
  if (c < 1 || c > 11) corrupt("unknown codec");
  p.info.codec = static_cast<Codec>(c);
  if (!codec_allowed(p.info.type, p.info.codec)) corrupt("codec not valid for type");
  p.info.zstd = flags & kZstd;
  p.info.rows = r.count(kMaxRows, "too many rows");
  const size_t width = fixed_width(p.info.type);
  if (width && p.info.rows * width > opt.max_output_bytes) corrupt("output exceeds size limit");
  if (flags & kHasNulls) {
    p.info.null_count = r.count(p.info.rows, "null count exceeds rows");
    if (p.info.null_count == 0) corrupt("null flag without nulls");
  }
  p.m = p.info.rows - p.info.null_count;
  if (p.info.null_count && p.m > 0) {
    read_validity(r, p.info.rows, p.info.null_count, want_bitmap, p.bitmap);
  } else if (p.info.null_count && want_bitmap) {
    p.bitmap.assign((p.info.rows + 7) / 8, 0);
  }
  if ((p.m == 0) != (p.info.codec == Codec::AllNull)) corrupt("AllNull codec mismatch");
  if (p.info.codec == Codec::AllNull && flags & kZstd) corrupt("AllNull with zstd");
  if (p.info.codec == Codec::ExtDictionary) {
    p.info.dictionary_id = r.u64le();
  }
  if (p.info.zstd) {
    const uint64_t raw = r.count(opt.max_output_bytes, "zstd body exceeds size limit");
    const uint64_t comp = r.count(r.remaining(), "truncated zstd body");
    const uint8_t* src = r.bytes(comp);
    r.expect_end("trailing bytes after column");
    p.zbody.resize(raw);
    std::unique_ptr<CodecContext> local;
    CodecContext::Impl* ctx = opt.context ? opt.context->impl() : nullptr;
    if (!ctx) {
      local = std::make_unique<CodecContext>();
      ctx = local->impl();
    }
    zstd_decompress(*ctx, src, comp, p.zbody.data(), raw);
    p.body = p.zbody.data();
    p.body_len = raw;
  } else {
    p.body_len = r.remaining();
    p.body = r.bytes(p.body_len);
  }
}

Parsed parse(std::span<const uint8_t> bytes, ColumnType expect, const DecodeOptions& opt, bool want_bitmap) {
  Parsed p;
  parse_into(p, bytes, expect, opt, want_bitmap);
  return p;
}

void check_dictionary(const Parsed& p, const Dictionary* dict) {
  if (!dict) throw Error(Errc::invalid_argument, "column was encoded with an external dictionary; pass it");
  if (dict->id() != p.info.dictionary_id) corrupt("external dictionary id does not match");
  if (dict->type() != p.info.type) corrupt("external dictionary type does not match");
}

// Dictionary body: varint k, entries (16 bytes each for Uuid, a string list for Varlen), then
// codes as an integer block unless k == 1.
uint64_t read_local_dictionary(ByteReader& r, ColumnType type, uint64_t m, const DecodeOptions& opt,
                               std::vector<uint8_t>& edata, std::vector<uint32_t>& eoffs) {
  const uint64_t k = r.count(m, "dictionary larger than batch");
  if (k == 0) corrupt("empty dictionary");
  eoffs.assign(1, 0);
  if (type == ColumnType::Uuid) {
    const uint8_t* b = r.bytes(k * 16);
    edata.assign(b, b + k * 16);
    for (size_t i = 1; i <= k; ++i) eoffs.push_back(static_cast<uint32_t>(i * 16));
  } else {
    read_string_list(r, k, edata, eoffs, opt.max_output_bytes);
  }
  return k;
}

using CodeBuffer = std::vector<uint32_t, UninitializedAllocator<uint32_t>>;

// Reads m codes, each checked to be < k (k >= 1), into codes (resized to m). present = false:
// the body stores no codes (a one-entry dictionary), every code is 0.
void read_codes(ByteReader& r, uint64_t m, uint64_t k, bool present, CodeBuffer& codes) {
  codes.resize(m);  // not zeroed: every value is written below
  if (!present) {
    std::fill(codes.begin(), codes.end(), 0u);
    return;
  }
  decode_ints_narrow(r, m, codes.data(), 0, static_cast<int64_t>(std::min<uint64_t>(k, uint64_t{1} << 32) - 1));
}

struct Strings {
  // materialised form (m compact values)
  std::vector<uint8_t> data;
  std::vector<uint32_t> offsets;
  // coded form
  bool coded = false;
  CodeBuffer codes;  // m codes, each < k
  uint64_t k = 0;
  std::vector<uint8_t> edata;
  std::vector<uint32_t> eoffs;
  const Dictionary* ext = nullptr;
};

// Decodes the m compact values of a string-like column.
void decode_strings(const Parsed& p, ByteReader& r, const Dictionary* dict, const DecodeOptions& opt, Strings& out) {
  const size_t m = p.m;
  auto& data = out.data;
  auto& offsets = out.offsets;
  const bool materialize = opt.materialize_strings || p.info.type == ColumnType::Uuid;
  const bool has_codes = p.info.codec == Codec::Dictionary || p.info.codec == Codec::ExtDictionary ||
                         p.info.codec == Codec::Constant;
  if (materialize || !has_codes) {  // the coded form has no per-row offsets
    offsets.reserve(m + 1);
    offsets.push_back(0);
  }
  auto expand = [&](auto entry) {
    uint64_t total = 0;
    for (uint32_t c : out.codes) {
      total += entry(c).size();
      if (total > opt.max_output_bytes) corrupt("output exceeds size limit");
    }
    data.reserve(total);
    for (uint32_t c : out.codes) {
      std::string_view s = entry(c);
      data.insert(data.end(), s.begin(), s.end());
      offsets.push_back(static_cast<uint32_t>(data.size()));
    }
  };
  switch (p.info.codec) {
    case Codec::Plain: {  // Uuid only
      if (m * 16 > opt.max_output_bytes) corrupt("output exceeds size limit");
      const uint8_t* b = r.bytes(m * 16);
      data.assign(b, b + m * 16);
      for (size_t i = 1; i <= m; ++i) offsets.push_back(static_cast<uint32_t>(i * 16));
      return;
    }
    case Codec::Dictionary: {
      const uint64_t k = read_local_dictionary(r, p.info.type, m, opt, out.edata, out.eoffs);
      read_codes(r, m, k, k > 1, out.codes);
      if (!materialize) {
        out.coded = true;
        out.k = k;
        return;
      }
      expand([&](size_t c) {
        return std::string_view(reinterpret_cast<const char*>(out.edata.data()) + out.eoffs[c],
                                out.eoffs[c + 1] - out.eoffs[c]);
      });
      return;
    }
    case Codec::ExtDictionary: {
      check_dictionary(p, dict);
      if (dict->size() == 0) corrupt("codes into an empty dictionary");
      read_codes(r, m, dict->size(), true, out.codes);
      if (!materialize) {
        out.coded = true;
        out.k = dict->size();
        out.ext = dict;
        return;
      }
      expand([&](size_t c) { return dict->entry(c); });
      return;
    }
    case Codec::Constant: {
      const uint64_t len = p.info.type == ColumnType::Uuid ? 16 : r.count(opt.max_output_bytes, "value too large");
      const uint8_t* b = r.bytes(len);
      out.edata.assign(b, b + len);
      out.eoffs = {0, static_cast<uint32_t>(len)};
      out.codes.assign(m, 0);
      if (!materialize) {
        out.coded = true;
        out.k = 1;
        return;
      }
      expand([&](size_t) { return std::string_view(reinterpret_cast<const char*>(out.edata.data()), len); });
      return;
    }
    case Codec::UuidText:
      read_string_list(r, m, data, offsets, opt.max_output_bytes);
      return;
    case Codec::VarPlain: {
      std::vector<int64_t> lens(m);
      decode_ints(r, m, lens.data());
      uint64_t total = 0;
      for (int64_t l : lens) {
        if (l < 0 || static_cast<uint64_t>(l) > opt.max_output_bytes) corrupt("bad value length");
        total += static_cast<uint64_t>(l);
        if (total > opt.max_output_bytes) corrupt("output exceeds size limit");
      }
      const uint8_t* b = r.bytes(total);
      data.assign(b, b + total);
      uint32_t off = 0;
      for (int64_t l : lens) offsets.push_back(off += static_cast<uint32_t>(l));
      return;
    }
    default:
      corrupt("codec not valid for string column");
  }
}

// Decodes the m compact fixed-width values into out (m * width bytes).
void decode_fixed(const Parsed& p, ByteReader& r, uint8_t* out) {
  const ColumnType t = p.info.type;
  const size_t m = p.m;
  const size_t width = fixed_width(t);
  if (p.info.codec == Codec::Constant) {
    uint8_t v[8] = {};  // width <= 8: uuid columns take the string path
    if (int_like(t)) {
      const int64_t x = r.svarint();
      const IntRange range = int_range(t);
      if (x < range.lo || x > range.hi) corrupt("value out of range for type");
      std::memcpy(v, &x, 8);  // little-endian: the low bytes are the narrow value
    } else {
      std::memcpy(v, r.bytes(width), width);
    }
    auto fill = [&](auto tag) {
      using T = decltype(tag);
      T x;
      std::memcpy(&x, v, sizeof(T));
      // typed stores for the first 256 bytes, then the C library's memcpy (which uses the CPU's
      // widest stores) doubles the filled prefix
      const size_t head = std::min<size_t>(m, 256 / sizeof(T));
      std::fill(reinterpret_cast<T*>(out), reinterpret_cast<T*>(out) + head, x);
      for (size_t done = head; done < m;) {
        const size_t n = std::min(done, m - done);
        std::memcpy(out + done * sizeof(T), out, n * sizeof(T));
        done += n;
      }
    };
    switch (width) {
      case 1: std::memset(out, v[0], m); return;
      case 2: fill(uint16_t{}); return;
      case 4:
        if constexpr (sizeof(wchar_t) == 4) {  // the C library's wide fill picks the CPU's widest stores
          wchar_t x;
          std::memcpy(&x, v, 4);
          std::wmemset(reinterpret_cast<wchar_t*>(out), x, m);
        } else {
          fill(uint32_t{});
        }
        return;
      default: fill(uint64_t{}); return;
    }
  }
  if (int_like(t)) {
    const IntRange range = int_range(t);
    switch (width) {
      case 8: decode_ints(r, m, reinterpret_cast<int64_t*>(out)); return;
      case 4: decode_ints_narrow(r, m, reinterpret_cast<int32_t*>(out), range.lo, range.hi); return;
      case 2: decode_ints_narrow(r, m, reinterpret_cast<int16_t*>(out), range.lo, range.hi); return;
      default: decode_ints_narrow(r, m, out, range.lo, range.hi); return;
    }
  }
  const bool f4 = t == ColumnType::Float4;
  switch (p.info.codec) {
    case Codec::Alp: decode_alp(r, m, f4, out); return;
    case Codec::FloatXor: decode_xor(r, m, f4 ? 32 : 64, out); return;
    case Codec::Plain: {
      const uint8_t* b = r.bytes(m * width);
      std::memcpy(out, b, m * width);
      return;
    }
    case Codec::ByteSplit: decode_split(r, m, width, out); return;
    default: corrupt("codec not valid for float column");
  }
}

}  // namespace

ColumnInfo inspect_column(std::span<const uint8_t> bytes) {
  if (bytes.size() < 2) corrupt("truncated header");
  const uint8_t t = bytes[1] >> 4;
  if (!valid_type(t)) corrupt("unknown column type");
  DecodeOptions opt;
  return parse(bytes, static_cast<ColumnType>(t), opt, false).info;
}

namespace {

// No rows and every buffer empty (capacity kept).
void make_empty(DecodedColumn& out) {
  out.rows = out.null_count = 0;
  out.validity.clear();
  out.fixed.clear();
  out.offsets.clear();
  out.data.clear();
  out.codes.clear();
  out.dict_offsets.clear();
  out.dict_data.clear();
  out.external = nullptr;
}

void decode_into(std::span<const uint8_t> bytes, ColumnType type, DecodedColumn& out, const Dictionary* dict,
                 const DecodeOptions& opt) {
  // Every buffer of `out` is taken over with its capacity and emptied first, so a decode never
  // leaves a field of the previous batch behind and, once the buffers have grown, allocates
  // nothing.
  make_empty(out);
  out.type = type;
  Parsed p;
  p.bitmap.swap(out.validity);
  p.zbody.swap(out.scratch);
  struct GiveBack {  // the zstd body buffer goes back to `out` however this returns
    ByteBuffer& a;
    ByteBuffer& b;
    ~GiveBack() { a.swap(b); }
  } give_back{p.zbody, out.scratch};
  parse_into(p, bytes, type, opt, true);
  out.validity.swap(p.bitmap);
  out.rows = p.info.rows;
  out.null_count = p.info.null_count;
  ByteReader r(p.body, p.body_len);
  const size_t rows = p.info.rows;
  const bool nulls = p.info.null_count > 0;
  if (string_like(type)) {
    Strings st;
    st.data.swap(out.data);
    st.offsets.swap(out.offsets);
    st.codes.swap(out.codes);
    st.edata.swap(out.dict_data);
    st.eoffs.swap(out.dict_offsets);
    if (p.m > 0) {
      decode_strings(p, r, dict, opt, st);
      r.expect_end("trailing bytes in column body");
    } else {
      st.offsets.push_back(0);
    }
    if (type == ColumnType::Uuid) {
      out.fixed.resize(rows * 16);
      size_t k = 0;
      for (size_t i = 0; i < rows; ++i) {
        if (nulls && !bit_at(out.validity.data(), i)) {
          std::memset(out.fixed.data() + 16 * i, 0, 16);
          continue;
        }
        if (st.offsets[k + 1] - st.offsets[k] != 16) corrupt("uuid value not 16 bytes");
        std::memcpy(out.fixed.data() + 16 * i, st.data.data() + st.offsets[k], 16);
        ++k;
      }
      st.coded = false;
      st.data.clear();
      st.offsets.clear();
    } else if (st.coded) {  // codes already range-checked
      if (nulls) {
        st.codes.resize(rows);
        expand_in_place<4>(out.validity.data(), rows, p.m, reinterpret_cast<uint8_t*>(st.codes.data()));
      }
      out.external = st.ext;
      if (st.ext) {
        st.edata.clear();
        st.eoffs.clear();
      }
    } else if (nulls) {
      // offsets[i + 1] = compact offset of the values before and at row i, filled from the end so
      // that every read index (<= the write index) is still unwritten
      st.offsets.resize(rows + 1);
      size_t k = p.m;
      for (size_t i = rows; i-- > 0;) {
        st.offsets[i + 1] = st.offsets[k];
        k -= bit_at(out.validity.data(), i);
      }
    }
    if (!st.coded) {  // emptied, handed back for their capacity only
      st.codes.clear();
      st.edata.clear();
      st.eoffs.clear();
    }
    out.data.swap(st.data);
    out.offsets.swap(st.offsets);
    out.codes.swap(st.codes);
    out.dict_data.swap(st.edata);
    out.dict_offsets.swap(st.eoffs);
    return;
  }
  const size_t width = fixed_width(type);
  out.fixed.resize(rows * width);  // not zeroed: written below
  if (p.m == 0) {
    if (!out.fixed.empty()) std::memset(out.fixed.data(), 0, out.fixed.size());
    return;
  }
  // the m values are decoded to the front of the buffer, then moved onto their rows in place
  decode_fixed(p, r, out.fixed.data());
  if (nulls) {
    switch (width) {
      case 1: expand_in_place<1>(out.validity.data(), rows, p.m, out.fixed.data()); break;
      case 2: expand_in_place<2>(out.validity.data(), rows, p.m, out.fixed.data()); break;
      case 4: expand_in_place<4>(out.validity.data(), rows, p.m, out.fixed.data()); break;
      default: expand_in_place<8>(out.validity.data(), rows, p.m, out.fixed.data()); break;
    }
  }
  r.expect_end("trailing bytes in column body");
}

}  // namespace

void decode_column_into(std::span<const uint8_t> bytes, ColumnType type, DecodedColumn& out,
                        const Dictionary* dict, const DecodeOptions& opt) {
  try {
    decode_into(bytes, type, out, dict, capped(opt));
  } catch (...) {
    make_empty(out);  // an empty column, not a half-decoded one
    throw;
  }
}

DecodedColumn decode_column(std::span<const uint8_t> bytes, ColumnType type, const Dictionary* dict,
                            const DecodeOptions& opt) {
  DecodedColumn out;
  decode_column_into(bytes, type, out, dict, opt);
  return out;
}

// ---------------------------------------------------------------- predicates / aggregates
namespace {

bool bytes_cmp(std::string_view a, CmpOp op, std::string_view c) {
  const int x = a.compare(c);
  switch (op) {
    case CmpOp::Eq: return x == 0;
    case CmpOp::Ne: return x != 0;
    case CmpOp::Lt: return x < 0;
    case CmpOp::Le: return x <= 0;
    case CmpOp::Gt: return x > 0;
    case CmpOp::Ge: return x >= 0;
  }
  return false;
}

bool float_cmp(double a, CmpOp op, double c) {
  switch (op) {
    case CmpOp::Eq: return a == c;
    case CmpOp::Ne: return a != c && !std::isnan(a) && !std::isnan(c);
    case CmpOp::Lt: return a < c;
    case CmpOp::Le: return a <= c;
    case CmpOp::Gt: return a > c;
    case CmpOp::Ge: return a >= c;
  }
  return false;
}

// Spreads a bitmap over the m non-null values onto row positions.
std::vector<uint64_t> scatter(const Parsed& p, const std::vector<uint64_t>& vbits) {
  if (p.info.null_count == 0) return vbits;
  std::vector<uint64_t> out((p.info.rows + 63) / 64, 0);
  size_t k = 0;
  for (size_t i = 0; i < p.info.rows; ++i) {
    if (!bit_at(p.bitmap.data(), i)) continue;
    if ((vbits[k >> 6] >> (k & 63)) & 1) out[i >> 6] |= uint64_t{1} << (i & 63);
    ++k;
  }
  return out;
}

}  // namespace

std::vector<uint64_t> evaluate_predicate(std::span<const uint8_t> bytes, ColumnType type, const Predicate& pred,
                                         const Dictionary* dict, const DecodeOptions& requested) {
  const DecodeOptions opt = capped(requested);
  Parsed p = parse(bytes, type, opt, true);
  const size_t m = p.m;
  std::vector<uint64_t> vbits((m + 63) / 64, 0);
  if (m == 0) return std::vector<uint64_t>((p.info.rows + 63) / 64, 0);
  ByteReader r(p.body, p.body_len);
  if (p.info.codec == Codec::Constant) {  // one comparison for the whole batch
    bool hit;
    if (int_like(type)) {
      hit = int_cmp(r.svarint(), pred.op, pred.int_value);
    } else if (float_like(type)) {
      const size_t w = fixed_width(type);
      uint64_t b = 0;
      std::memcpy(&b, r.bytes(w), w);
      hit = float_cmp(bits_to_double(b, w == 4), pred.op, pred.float_value);
    } else {
      const uint64_t len = type == ColumnType::Uuid ? 16 : r.count(r.remaining(), "truncated value");
      hit = bytes_cmp(std::string_view(reinterpret_cast<const char*>(r.bytes(len)), len), pred.op, pred.bytes_value);
    }
    r.expect_end("trailing bytes in column body");
    if (hit)
      for (size_t i = 0; i < m; ++i) vbits[i >> 6] |= uint64_t{1} << (i & 63);
    return scatter(p, vbits);
  }
  if (p.info.codec == Codec::Integer) {
    predicate_ints(r, m, pred.op, pred.int_value, vbits);
    r.expect_end("trailing bytes in column body");
    return scatter(p, vbits);
  }
  if (p.info.codec == Codec::Dictionary || p.info.codec == Codec::ExtDictionary) {
    // evaluate once per dictionary entry, then per code
    std::vector<uint8_t> match;
    CodeBuffer codes;
    if (p.info.codec == Codec::ExtDictionary) {
      check_dictionary(p, dict);
      match.resize(dict->size());
      for (size_t c = 0; c < dict->size(); ++c) match[c] = bytes_cmp(dict->entry(c), pred.op, pred.bytes_value);
      read_codes(r, m, dict->size(), true, codes);
    } else {
      std::vector<uint8_t> edata;
      std::vector<uint32_t> eoffs;
      const uint64_t k = read_local_dictionary(r, type, m, opt, edata, eoffs);
      match.resize(k);
      for (size_t c = 0; c < k; ++c)
        match[c] = bytes_cmp(std::string_view(reinterpret_cast<const char*>(edata.data()) + eoffs[c],
                                              eoffs[c + 1] - eoffs[c]),
                             pred.op, pred.bytes_value);
      read_codes(r, m, k, k > 1, codes);
    }
    r.expect_end("trailing bytes in column body");
    for (size_t i = 0; i < m; ++i)
      vbits[i >> 6] |= static_cast<uint64_t>(match[static_cast<size_t>(codes[i])]) << (i & 63);
    return scatter(p, vbits);
  }
  // generic path: decode then compare
  DecodedColumn d = decode_column(bytes, type, dict, opt);
  std::vector<uint64_t> out((d.rows + 63) / 64, 0);
  for (size_t i = 0; i < d.rows; ++i) {
    if (d.is_null(i)) continue;
    bool hit = false;
    switch (type) {
      case ColumnType::Float4: hit = float_cmp(d.values<float>()[i], pred.op, pred.float_value); break;
      case ColumnType::Float8: hit = float_cmp(d.values<double>()[i], pred.op, pred.float_value); break;
      case ColumnType::Uuid:
        hit = bytes_cmp(std::string_view(reinterpret_cast<const char*>(d.fixed.data()) + 16 * i, 16), pred.op,
                        pred.bytes_value);
        break;
      case ColumnType::Varlen: hit = bytes_cmp(d.string_at(i), pred.op, pred.bytes_value); break;
      default: break;  // integer types always take the Integer codec path above
    }
    if (hit) out[i >> 6] |= uint64_t{1} << (i & 63);
  }
  return out;
}

Aggregates aggregate_column(std::span<const uint8_t> bytes, ColumnType type, const DecodeOptions& requested) {
  if (string_like(type)) bad_arg("aggregates need a numeric column");
  const DecodeOptions opt = capped(requested);
  Parsed p = parse(bytes, type, opt, false);
  Aggregates a;
  if (p.m == 0) return a;
  ByteReader r(p.body, p.body_len);
  if (int_like(type)) {
    IntAgg ia;
    if (p.info.codec == Codec::Constant)
      ia.add_run(r.svarint(), p.m);
    else
      aggregate_ints(r, p.m, ia);
    r.expect_end("trailing bytes in column body");
    a.count = ia.count;
    a.has_minmax = ia.count > 0;
    a.min_int = ia.min;
    a.max_int = ia.max;
    a.sum_int = ia.sum;
    const IntRange range = int_range(type);
    if (a.min_int < range.lo || a.max_int > range.hi) corrupt("value out of range for type");
    return a;
  }
  const size_t width = fixed_width(type);
  std::vector<uint8_t> vals(p.m * width);
  decode_fixed(p, r, vals.data());
  r.expect_end("trailing bytes in column body");
  a.count = p.m;
  for (size_t i = 0; i < p.m; ++i) {
    double d;
    if (width == 4) {
      float f;
      std::memcpy(&f, vals.data() + 4 * i, 4);
      d = f;
    } else {
      std::memcpy(&d, vals.data() + 8 * i, 8);
    }
    a.sum_float += d;
    if (std::isnan(d)) continue;
    if (!a.has_minmax || d < a.min_float) a.min_float = d;
    if (!a.has_minmax || d > a.max_float) a.max_float = d;
    a.has_minmax = true;
  }
  return a;
}

}  // namespace strata::core::codec
