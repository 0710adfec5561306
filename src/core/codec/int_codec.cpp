#include "codec/int_codec.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "codec/bitpack.hpp"
#include "codec/internal.hpp"

namespace strata::core::codec {

namespace {

constexpr int kMaxEncodeDepth = 3;  // DELTA/RLE/patches only below this depth
constexpr int kMaxDecodeDepth = 8;  // decoder accepts a little more than we write

// Working arrays the encoder fills completely before reading: not zeroed on allocation.
using I64Buf = std::vector<int64_t, UninitializedAllocator<int64_t>>;
using U64Buf = std::vector<uint64_t, UninitializedAllocator<uint64_t>>;

struct ForPlan;

// The choices made while estimating a block's children, kept for the encoding that follows
// (encoding a DELTA block encodes the deltas estimated a moment before, and so on). An entry is
// found by the exact values, so a hit gives the same choice as computing it again. Lives for one
// top-level encode_ints / estimate_ints call.
struct Memo;
size_t estimate_impl(std::span<const int64_t> v, const IntEncodeOptions& o, int depth, Memo* memo);
void encode_impl(ByteWriter& w, std::span<const int64_t> v, const IntEncodeOptions& o, int depth, Memo* memo,
                 const IntShape* hint = nullptr, IntShape* chosen = nullptr);

unsigned align_width(unsigned w, bool byte_aligned) {
  if (!byte_aligned || w == 0) return w;
  if (w <= 8) return 8;
  if (w <= 16) return 16;
  if (w <= 32) return 32;
  return 64;
}

struct ForPlan {
  int64_t base = 0;
  uint64_t gcd = 1;
  unsigned width = 0;
  uint64_t lo = 0;        // window start in u-space ((v - min) / gcd)
  bool patched = false;   // values outside [lo, lo + 2^width) are exceptions
  bool bitmap = false;    // patched, exceptions marked in a row bitmap (kind FORBM) not by position
  size_t exceptions = 0;
  size_t est = 0;
};

// Exact division by a constant d of values that are multiples of it: a shift by d's trailing zero
// bits, then a multiplication by the inverse of its odd part modulo 2^64 (no division per value).
struct ExactDivisor {
  unsigned shift = 0;
  uint64_t inverse = 1;
  uint64_t limit = ~uint64_t{0};  // divisible(x): (x >> shift) * inverse <= limit, and no low bits
  uint64_t low_mask = 0;
  explicit ExactDivisor(uint64_t d) {
    shift = static_cast<unsigned>(__builtin_ctzll(d));
    low_mask = shift == 0 ? 0 : (uint64_t{1} << shift) - 1;
    const uint64_t odd = d >> shift;
    uint64_t x = odd;  // Newton's iteration: 5 steps give 64 correct bits
    for (int i = 0; i < 5; ++i) x *= 2 - odd * x;
    inverse = x;
    limit = ~uint64_t{0} / odd;
  }
  uint64_t divide(uint64_t x) const { return (x >> shift) * inverse; }
  bool divisible(uint64_t x) const { return (x & low_mask) == 0 && (x >> shift) * inverse <= limit; }
};

// The distinct values of a multiset of offsets in ascending order, each with the number of values
// below it (`below`, one more entry: the total).
struct Groups {
  std::vector<uint64_t> value;
  std::vector<size_t> below;
};

// Groups of `u` (each <= range): a counting pass when the range is small against the number of
// values (dictionary codes, digits of a random walk, deltas), else a sort.
void group_offsets(U64Buf& u, uint64_t range, Groups& g) {
  const size_t n = u.size();
  g.value.clear();
  g.below.clear();
  if (range < 4 * n + 256) {
    std::vector<uint32_t> count(static_cast<size_t>(range) + 1, 0);
    for (uint64_t x : u) ++count[static_cast<size_t>(x)];
    size_t k = 0;
    for (size_t x = 0; x <= range; ++x) {
      if (count[x] == 0) continue;
      g.value.push_back(x);
      g.below.push_back(k);
      k += count[x];
    }
    g.below.push_back(k);
    return;
  }
  std::sort(u.begin(), u.end());
  for (size_t i = 0; i < n; ++i) {
    if (i > 0 && u[i] == u[i - 1]) continue;
    g.value.push_back(u[i]);
    g.below.push_back(i);
  }
  g.below.push_back(n);
}

ForPlan plan_for(std::span<const int64_t> v, const IntEncodeOptions& o, int depth, Memo* memo) {
  ForPlan p;
  const size_t n = v.size();
  if (n == 0) return p;
  int64_t mn = v[0], mx = v[0];
  for (int64_t x : v) {
    mn = std::min(mn, x);
    mx = std::max(mx, x);
  }
  uint64_t g = 0;
  {
    ExactDivisor div(1);
    for (int64_t x : v) {
      // most offsets are multiples of the GCD found so far: a multiplication instead of a full gcd
      const uint64_t d = static_cast<uint64_t>(x) - static_cast<uint64_t>(mn);
      if (g != 0 && div.divisible(d)) continue;
      g = std::gcd(g, d);
      if (g == 1) break;
      if (g != 0) div = ExactDivisor(g);
    }
  }
  if (g == 0) g = 1;
  const uint64_t range = (static_cast<uint64_t>(mx) - static_cast<uint64_t>(mn)) / g;
  const unsigned full_w = align_width(bit_width_u64(range), o.byte_aligned);
  p.base = mn;
  p.gcd = g;
  p.width = full_w;
  const size_t hdr = 1 + varint_size(zigzag(mn)) + varint_size(g) + 1 + 1;
  p.est = hdr + packed_size(n, full_w);
  if (depth + 1 >= kMaxEncodeDepth || n < 32 || full_w == 0) return p;

  // the offsets in row order (kept for the refinement below) and their distinct values
  U64Buf rows(n);
  if (g == 1) {
    for (size_t i = 0; i < n; ++i) rows[i] = static_cast<uint64_t>(v[i]) - static_cast<uint64_t>(mn);
  } else {
    const ExactDivisor div(g);
    for (size_t i = 0; i < n; ++i) rows[i] = div.divide(static_cast<uint64_t>(v[i]) - static_cast<uint64_t>(mn));
  }
  U64Buf u(rows);
  Groups gr;
  group_offsets(u, range, gr);
  const size_t ng = gr.value.size();
  // Widths whose best window holds fewer than half the values give no candidate (both kinds need
  // exceptions <= n / 2); the narrowest window holding ceil(n / 2) sorted values bounds them.
  // (Over the sorted values, a window starting at the first value of a group is the narrowest of
  // those starting with that value.)
  const size_t half = n - n / 2;
  uint64_t min_span = ~uint64_t{0};
  for (size_t a = 0, e = 0; a < ng; ++a) {
    const size_t last = gr.below[a] + half - 1;  // index of the window's last value
    if (last >= n) break;
    if (e < a) e = a;
    while (gr.below[e + 1] <= last) ++e;
    min_span = std::min(min_span, gr.value[e] - gr.value[a]);
  }
  // an exception costs its gap-coded position (about log2(n / exceptions) + 1 bits) and its value
  const unsigned value_bits = bit_width_u64(range);
  struct Cand {
    size_t est;
    unsigned b;
    uint64_t lo;
    size_t exc;
    bool bitmap;
  };
  std::vector<Cand> cands;
  const size_t bitmap_bytes = (n + 7) / 8;
  for (unsigned b = 0; b < full_w; ++b) {
    if (o.byte_aligned && align_width(b, true) != b) continue;
    const uint64_t span_w = b >= 64 ? ~uint64_t{0} : (uint64_t{1} << b) - 1;
    if (span_w < min_span) continue;
    // the window [value, value + span_w] holding the most values, the lowest such on ties
    size_t best_cnt = 0, best_a = 0, e = 0;
    for (size_t a = 0; a < ng && n - gr.below[a] > best_cnt; ++a) {
      if (e < a) e = a;
      while (e + 1 < ng && gr.value[e + 1] - gr.value[a] <= span_w) ++e;
      const size_t cnt = gr.below[e + 1] - gr.below[a];
      if (cnt > best_cnt) {
        best_cnt = cnt;
        best_a = a;
      }
    }
    const uint64_t lo = gr.value[best_a];
    const size_t exc = n - best_cnt;
    // positions: for outliers (at most a quarter of the block); bitmap: for up to half of it
    if (exc * 4 <= n) {
      const size_t exc_cost_bits = exc ? bit_width_u64(n / exc) + 1 + value_bits : 0;
      const size_t est = hdr + varint_size(exc) + packed_size(n, b) + (exc * exc_cost_bits + 7) / 8 + 6;
      cands.push_back({est, b, lo, exc, false});
    }
    if (exc > 0 && exc * 2 <= n) {
      const size_t est = hdr + bitmap_bytes + packed_size(n, b) + (exc * value_bits + 7) / 8 + 3;
      cands.push_back({est, b, lo, exc, true});
    }
  }
  // refine the two most promising candidates with estimates of the real exception blocks
  std::sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) { return a.est < b.est; });
  I64Buf pos, val;  // the exceptions of the last window refined
  const Cand* refined = nullptr;
  size_t exc_est = 0;
  for (size_t k = 0; k < std::min<size_t>(2, cands.size()); ++k) {
    const Cand& c = cands[k];
    if (c.est >= p.est + p.est / 2) break;
    IntEncodeOptions child = o;
    child.byte_aligned = false;
    // The two candidates are often the two ways of marking the exceptions of one window (by
    // position, by bitmap): collect and estimate its exceptions once.
    if (refined == nullptr || refined->b != c.b || refined->lo != c.lo) {
      const uint64_t span_w = c.b >= 64 ? ~uint64_t{0} : (uint64_t{1} << c.b) - 1;
      const uint64_t lo = c.lo;
      // collected without a branch (the slot after the last one takes the writes of the rows
      // that are not exceptions)
      pos.resize(n + 1);
      val.resize(n + 1);
      int64_t* pp = pos.data();
      int64_t* vp = val.data();
      const uint64_t* rp = rows.data();
      size_t k2 = 0;
      for (size_t i = 0; i < n; ++i) {
        pp[k2] = static_cast<int64_t>(i);
        vp[k2] = v[i];
        k2 += (rp[i] < lo) | (rp[i] - lo > span_w);
      }
      pos.resize(k2);
      val.resize(k2);
      exc_est = pos.empty() ? 0 : estimate_impl(val, child, depth + 1, memo);
      refined = &c;
    }
    const size_t est = c.bitmap ? hdr - 1 + bitmap_bytes + packed_size(n, c.b) + exc_est
                                : hdr + varint_size(c.exc) + packed_size(n, c.b) +
                                      (pos.empty() ? 0 : estimate_impl(pos, child, depth + 1, memo) + exc_est);
    if (est < p.est) {
      p.est = est;
      p.width = c.b;
      p.lo = c.lo;
      p.patched = true;
      p.bitmap = c.bitmap;
      p.exceptions = c.exc;
    }
  }
  if (p.patched) p.base = static_cast<int64_t>(static_cast<uint64_t>(mn) + p.lo * g);
  return p;
}

void write_for(ByteWriter& w, std::span<const int64_t> v, const ForPlan& p, const IntEncodeOptions& o,
               int depth, Memo* memo) {
  const size_t n = v.size();
  w.u8(p.bitmap ? kIntForBitmap : kIntFor);
  w.svarint(p.base);
  w.varint(p.gcd);
  w.u8(static_cast<uint8_t>(p.width));
  U64Buf packed(n);
  I64Buf exc_pos, exc_val;
  const uint64_t limit = p.width >= 64 ? ~uint64_t{0} : (uint64_t{1} << p.width) - 1;
  // Every value at or above base is base plus a multiple of gcd (the plan's gcd divides every
  // offset from the minimum, and a patched base is the minimum plus a multiple of it): exact
  // division by multiplication.
  const ExactDivisor div(p.gcd);
  if (!p.patched) {
    if (p.gcd == 1) {
      for (size_t i = 0; i < n; ++i) packed[i] = static_cast<uint64_t>(v[i]) - static_cast<uint64_t>(p.base);
    } else {
      for (size_t i = 0; i < n; ++i) packed[i] = div.divide(static_cast<uint64_t>(v[i]) - static_cast<uint64_t>(p.base));
    }
  } else {
    // collected without a branch (the slot after the last one takes the writes of the rows that
    // are not exceptions)
    exc_pos.resize(n + 1);
    exc_val.resize(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; ++i) {
      const uint64_t q = div.divide(static_cast<uint64_t>(v[i]) - static_cast<uint64_t>(p.base));
      // below base (wraps to huge) or above the window: an exception
      const bool exc = (v[i] < p.base) | (q > limit);
      exc_pos[k] = static_cast<int64_t>(i);
      exc_val[k] = v[i];
      packed[i] = exc ? 0 : q;
      k += exc;
    }
    exc_pos.resize(k);
    exc_val.resize(k);
  }
  IntEncodeOptions child = o;
  child.byte_aligned = false;
  if (p.bitmap) {
    uint8_t* bm = w.grow((n + 7) / 8);
    std::fill(bm, bm + (n + 7) / 8, uint8_t{0});
    for (int64_t q : exc_pos) bm[q >> 3] |= static_cast<uint8_t>(1u << (q & 7));
    bitpack(w, packed.data(), n, p.width);
    encode_impl(w, exc_val, child, depth + 1, memo);
    return;
  }
  w.varint(exc_pos.size());
  bitpack(w, packed.data(), n, p.width);
  if (!exc_pos.empty()) {
    encode_impl(w, exc_pos, child, depth + 1, memo);
    encode_impl(w, exc_val, child, depth + 1, memo);
  }
}

I64Buf deltas_of(std::span<const int64_t> v) {
  I64Buf d(v.size() > 0 ? v.size() - 1 : 0);
  for (size_t i = 1; i < v.size(); ++i)
    d[i - 1] = static_cast<int64_t>(static_cast<uint64_t>(v[i]) - static_cast<uint64_t>(v[i - 1]));
  return d;
}

void runs_of(std::span<const int64_t> v, std::vector<int64_t>& vals, std::vector<int64_t>& lens) {
  for (size_t i = 0; i < v.size();) {
    size_t j = i + 1;
    while (j < v.size() && v[j] == v[i]) ++j;
    vals.push_back(v[i]);
    lens.push_back(static_cast<int64_t>(j - i - 1));
    i = j;
  }
}

size_t count_runs(std::span<const int64_t> v) {
  size_t r = v.empty() ? 0 : 1;
  for (size_t i = 1; i < v.size(); ++i) r += v[i] != v[i - 1];
  return r;
}

// ---- LZ (kind 5): repeats of earlier sequences of values, for periodic blocks (a batch that
// spans several report cycles of the same devices repeats their attributes in the same order).
constexpr size_t kLzMinMatch = 2;   // format: a match copies at least this many values
constexpr size_t kLzMinBlock = 64;  // encoder: smaller blocks are not worth a parse
constexpr int kLzChain = 32;        // encoder: candidates examined per position
constexpr size_t kLzWindow = 8;     // encoder: values hashed per position (shortest match found)

struct LzParse {
  std::vector<int64_t> lit_runs, match_lens, dists;  // per match: literals before it, length - min, distance - 1
  std::vector<int64_t> literals;
};

// Greedy parse with a hash chain over kLzWindow-value windows (long enough that the frequent
// short patterns of skewed codes do not crowd the chains). A match is taken only when it saves bits
// against packing its values as literals (`lit_bits` each) after paying for its token.
bool lz_parse(std::span<const int64_t> v, LzParse& out) {
  const size_t n = v.size();
  if (n < kLzMinBlock) return false;
  int64_t mn = v[0], mx = v[0];
  for (int64_t x : v) {
    mn = std::min(mn, x);
    mx = std::max(mx, x);
  }
  const unsigned lit_bits = std::max(1u, bit_width_u64(static_cast<uint64_t>(mx) - static_cast<uint64_t>(mn)));
  const unsigned hash_bits = std::clamp(bit_width_u64(n) + 1, 7u, 16u);  // about 2-4 slots a value
  std::vector<int32_t> head(size_t{1} << hash_bits, -1), prev(n, -1);
  // every window's hash, computed once (independent chains of multiplications: they overlap)
  std::vector<uint32_t> hashes(n - kLzWindow + 1);
  for (size_t i = 0; i + kLzWindow <= n; ++i) {
    uint64_t h = 0;
    for (size_t k = 0; k < kLzWindow; ++k) h = (h ^ static_cast<uint64_t>(v[i + k])) * 0x9E3779B97F4A7C15ull;
    hashes[i] = static_cast<uint32_t>(h >> (64 - hash_bits));
  }
  auto hash_at = [&](size_t i) { return static_cast<size_t>(hashes[i]); };
  auto insert = [&](size_t i) {
    if (i + kLzWindow > n) return;
    const size_t h = hash_at(i);
    prev[i] = head[h];
    head[h] = static_cast<int32_t>(i);
  };
  size_t lit_start = 0;
  for (size_t i = 0; i < n;) {
    size_t best_len = 0, best_dist = 0;
    if (i + kLzWindow <= n) {
      int32_t cand = head[hash_at(i)];
      for (int chain = 0; cand >= 0 && chain < kLzChain; ++chain, cand = prev[static_cast<size_t>(cand)]) {
        const size_t c = static_cast<size_t>(cand);
        size_t len = 0;
        while (i + len < n && v[c + len] == v[i + len]) ++len;
        if (len > best_len) {
          best_len = len;
          best_dist = i - c;
        }
      }
    }
    const size_t token_bits = 8 + bit_width_u64(best_dist) + bit_width_u64(best_len);
    if (best_len >= kLzWindow && best_len * lit_bits > token_bits + lit_bits) {
      out.lit_runs.push_back(static_cast<int64_t>(i - lit_start));
      out.match_lens.push_back(static_cast<int64_t>(best_len - kLzMinMatch));
      out.dists.push_back(static_cast<int64_t>(best_dist - 1));
      for (size_t k = 0; k < best_len; ++k) insert(i + k);
      i += best_len;
      lit_start = i;
    } else {
      out.literals.push_back(v[i]);
      insert(i);
      ++i;
    }
  }
  return !out.match_lens.empty();
}

size_t lz_estimate(const LzParse& z, const IntEncodeOptions& o, int depth, Memo* memo) {
  return 1 + varint_size(z.match_lens.size()) + estimate_impl(z.lit_runs, o, depth + 1, memo) +
         estimate_impl(z.match_lens, o, depth + 1, memo) + estimate_impl(z.dists, o, depth + 1, memo) +
         estimate_impl(z.literals, o, depth + 1, memo);
}

enum class Choice { Const, For, Delta, Rle, Lz };

// The cheapest shape for v by estimate; plan_out / lz_out receive the FOR plan and, when LZ wins,
// the parse, so encoding does not redo them.
struct Memo {
  struct Entry {
    int depth;
    bool byte_aligned;
    std::vector<int64_t> values;
    Choice choice;
    size_t est;
    ForPlan plan;
  };
  std::vector<Entry> entries;
  static constexpr size_t kMaxEntries = 64;

  const Entry* find(std::span<const int64_t> v, const IntEncodeOptions& o, int depth) const {
    for (const Entry& e : entries)
      if (e.depth == depth && e.byte_aligned == o.byte_aligned && e.values.size() == v.size() &&
          std::equal(v.begin(), v.end(), e.values.begin()))
        return &e;
    return nullptr;
  }
};

Choice choose(std::span<const int64_t> v, const IntEncodeOptions& o, int depth, size_t* est_out,
              ForPlan* plan_out, Memo* memo, LzParse* lz_out = nullptr, int hint = -1, int child_hint = -1) {
  if (v.empty() || all_equal(v)) {
    if (est_out) *est_out = 1 + varint_size(zigzag(v.empty() ? 0 : v[0]));
    return Choice::Const;
  }
  // Children (depth > 0) are estimated while choosing their parent, then encoded: remember them.
  // (LZ is considered at depth 0 only, so a remembered choice never needs its parse.)
  if (depth > 0 && memo != nullptr) {
    if (const Memo::Entry* e = memo->find(v, o, depth)) {
      if (est_out) *est_out = e->est;
      if (plan_out) *plan_out = e->plan;
      return e->choice;
    }
  }
  // A remembered shape (IntEncodeOptions::plan_only): plan only that one where it applies.
  if (hint >= 0) {
    const Choice h = static_cast<Choice>(hint);
    ForPlan fp;
    size_t e = 0;
    bool ok = false;
    if (h == Choice::For) {
      fp = plan_for(v, o, depth, memo);
      e = fp.est;
      ok = true;
    } else if (h == Choice::Delta && depth < kMaxEncodeDepth - 1 && v.size() >= 3) {
      I64Buf d = deltas_of(v);
      size_t ce = 0;
      choose(d, o, depth + 1, &ce, nullptr, memo, nullptr, child_hint);
      e = 1 + varint_size(zigzag(v[0])) + ce;
      ok = true;
    } else if (h == Choice::Rle && depth < kMaxEncodeDepth - 1) {
      const size_t runs = count_runs(v);
      if (runs * 4 <= v.size()) {
        std::vector<int64_t> vals, lens;
        runs_of(v, vals, lens);
        e = 1 + varint_size(runs) + estimate_impl(vals, o, depth + 1, memo) + estimate_impl(lens, o, depth + 1, memo);
        ok = true;
      }
    } else if (h == Choice::Lz && depth == 0 && !o.byte_aligned) {
      LzParse z;
      if (lz_parse(v, z)) {
        e = lz_estimate(z, o, depth, memo);
        ok = true;
        if (lz_out) *lz_out = std::move(z);
      }
    }
    if (ok) {
      if (est_out) *est_out = e;
      if (plan_out) *plan_out = fp;
      if (depth > 0 && memo != nullptr && memo->entries.size() < Memo::kMaxEntries)
        memo->entries.push_back({depth, o.byte_aligned, std::vector<int64_t>(v.begin(), v.end()), h, e, fp});
      return h;
    }
  }
  ForPlan fp = plan_for(v, o, depth, memo);
  size_t best = fp.est;
  Choice c = Choice::For;
  // (a patched FOR can have width 0: one value plus exceptions)
  const bool varied = fp.width > 0 || fp.patched;
  if (depth < kMaxEncodeDepth - 1 && varied) {
    if (v.size() >= 3) {
      I64Buf d = deltas_of(v);
      size_t e = 1 + varint_size(zigzag(v[0])) + estimate_impl(d, o, depth + 1, memo);
      if (e < best) {
        best = e;
        c = Choice::Delta;
      }
    }
    size_t runs = count_runs(v);
    if (runs * 4 <= v.size()) {
      std::vector<int64_t> vals, lens;
      runs_of(v, vals, lens);
      size_t e = 1 + varint_size(runs) + estimate_impl(vals, o, depth + 1, memo) + estimate_impl(lens, o, depth + 1, memo);
      if (e < best) {
        best = e;
        c = Choice::Rle;
      }
    }
  }
  if (depth == 0 && varied && !o.byte_aligned) {
    LzParse z;
    if (lz_parse(v, z)) {
      const size_t e = lz_estimate(z, o, depth, memo);
      if (e < best) {
        best = e;
        c = Choice::Lz;
        if (lz_out) *lz_out = std::move(z);
      }
    }
  }
  if (est_out) *est_out = best;
  if (plan_out) *plan_out = fp;
  if (depth > 0 && memo != nullptr && memo->entries.size() < Memo::kMaxEntries)
    memo->entries.push_back({depth, o.byte_aligned, std::vector<int64_t>(v.begin(), v.end()), c, best, fp});
  return c;
}

size_t estimate_impl(std::span<const int64_t> v, const IntEncodeOptions& o, int depth, Memo* memo) {
  size_t est = 0;
  choose(v, o, depth, &est, nullptr, memo);
  return est;
}

void encode_impl(ByteWriter& w, std::span<const int64_t> v, const IntEncodeOptions& o, int depth, Memo* memo,
                 const IntShape* hint, IntShape* chosen) {
  ForPlan fp;
  LzParse z;
  const Choice c = choose(v, o, depth, nullptr, &fp, memo, &z, hint ? hint->top : -1, hint ? hint->child : -1);
  I64Buf d;  // the deltas, computed once for the shape and the encoding
  if (c == Choice::Delta) d = deltas_of(v);
  if (chosen) {
    chosen->top = static_cast<int8_t>(c);
    chosen->child = -1;
    // the deltas' choice, as estimated a moment ago (a memo hit)
    if (c == Choice::Delta) chosen->child = static_cast<int8_t>(choose(d, o, depth + 1, nullptr, nullptr, memo));
  }
  switch (c) {
    case Choice::Const:
      w.u8(kIntConst);
      w.svarint(v.empty() ? 0 : v[0]);
      return;
    case Choice::For:
      write_for(w, v, fp, o, depth, memo);
      return;
    case Choice::Delta: {
      w.u8(kIntDelta);
      w.svarint(v[0]);
      encode_impl(w, d, o, depth + 1, memo);
      return;
    }
    case Choice::Rle: {
      std::vector<int64_t> vals, lens;
      runs_of(v, vals, lens);
      w.u8(kIntRle);
      w.varint(vals.size());
      encode_impl(w, vals, o, depth + 1, memo);
      encode_impl(w, lens, o, depth + 1, memo);
      return;
    }
    case Choice::Lz: {
      w.u8(kIntLz);
      w.varint(z.match_lens.size());
      encode_impl(w, z.lit_runs, o, depth + 1, memo);
      encode_impl(w, z.match_lens, o, depth + 1, memo);
      encode_impl(w, z.dists, o, depth + 1, memo);
      encode_impl(w, z.literals, o, depth + 1, memo);
      return;
    }
  }
}

}  // namespace

size_t estimate_ints(std::span<const int64_t> v, const IntEncodeOptions& o, int depth) {
  Memo memo;
  return estimate_impl(v, o, depth, &memo);
}

void encode_ints(ByteWriter& w, std::span<const int64_t> v, const IntEncodeOptions& o, int depth) {
  Memo memo;
  if (depth != 0 || (o.plan_only == nullptr && o.chosen == nullptr)) {
    encode_impl(w, v, o, depth, &memo);
    return;
  }
  IntEncodeOptions inner = o;  // the shape applies to the top level only
  inner.plan_only = nullptr;
  inner.chosen = nullptr;
  encode_impl(w, v, inner, depth, &memo, o.plan_only, o.chosen);
}

namespace {

struct ForHeader {
  int64_t base;
  uint64_t gcd;
  unsigned width;
  uint64_t exceptions;
};

// base, gcd, width: the start of both FOR kinds.
ForHeader read_for_base(ByteReader& r) {
  ForHeader h;
  h.base = r.svarint();
  h.gcd = r.varint();
  if (h.gcd == 0) corrupt("zero gcd");
  h.width = r.u8();
  if (h.width > 64) corrupt("bit width > 64");
  h.exceptions = 0;
  return h;
}

ForHeader read_for_header(ByteReader& r, size_t n) {
  ForHeader h = read_for_base(r);
  h.exceptions = r.count(n, "too many exceptions");
  return h;
}

// The header of a FOR (kind 1) or FORBM (kind 4) block. FORBM: base, gcd, width, then a bitmap of
// n bits marking the exceptions (padding bits zero, at least one set), returned in *bitmap (nullptr
// for FOR); h.exceptions is its population count.
ForHeader read_for_kind(ByteReader& r, size_t n, uint8_t kind, const uint8_t** bitmap) {
  *bitmap = nullptr;
  if (kind == kIntFor) return read_for_header(r, n);
  ForHeader h = read_for_base(r);
  const uint8_t* bm = r.bytes((n + 7) / 8);
  uint64_t e = 0;
  for (size_t i = 0; i < n / 8; ++i) e += static_cast<uint64_t>(__builtin_popcount(bm[i]));
  if (n % 8) {
    if (bm[n / 8] >> (n % 8)) corrupt("exception bitmap padding bits set");
    e += static_cast<uint64_t>(__builtin_popcount(bm[n / 8]));
  }
  if (e == 0) corrupt("exception bitmap without exceptions");
  h.exceptions = e;
  *bitmap = bm;
  return h;
}

// out[i] = vals[k] for the k-th set bit i of the n-bit bitmap.
template <class T>
void scatter_bitmap(const uint8_t* bm, size_t n, const T* vals, T* out) {
  size_t k = 0;
  for (size_t base = 0; base < n; base += 64) {
    uint64_t bits = 0;
    std::memcpy(&bits, bm + base / 8, std::min<size_t>(8, (n - base + 7) / 8));
    while (bits) {
      out[base + static_cast<size_t>(__builtin_ctzll(bits))] = vals[k++];
      bits &= bits - 1;
    }
  }
}

// LZ block after its kind byte: t matches, their literal-run lengths, lengths - kLzMinMatch and
// distances - 1 (each an integer block of t values), then the n - sum(lengths) literals, decoded
// by `lits` (which range-checks them). Every count, length and distance is checked.
using LzField = std::vector<uint32_t, UninitializedAllocator<uint32_t>>;

// The matches of an LZ block of n values (after its kind byte) into runs / lens / dists; returns
// the number of literals that follow.
size_t read_lz_matches(ByteReader& r, size_t n, int depth, LzField& runs, LzField& lens, LzField& dists) {
  const uint64_t t = r.count(n / kLzMinMatch, "too many LZ matches");
  if (t == 0) corrupt("LZ block without matches");
  runs.resize(t);
  lens.resize(t);
  dists.resize(t);
  const int64_t top = static_cast<int64_t>(n);
  decode_ints_narrow(r, t, runs.data(), 0, top, depth + 1);
  decode_ints_narrow(r, t, lens.data(), 0, top, depth + 1);
  decode_ints_narrow(r, t, dists.data(), 0, top, depth + 1);
  uint64_t matched = 0;
  for (uint32_t l : lens) matched += l + kLzMinMatch;
  if (matched > n) corrupt("LZ matches exceed block");
  return n - matched;
}

template <class T, class DecodeLiterals>
void decode_lz(ByteReader& r, size_t n, T* out, int depth, DecodeLiterals lits) {
  LzField runs, lens, dists;
  const size_t nlit = read_lz_matches(r, n, depth, runs, lens, dists);
  const size_t t = runs.size();
  std::vector<T, UninitializedAllocator<T>> lit(nlit);
  lits(r, nlit, lit.data());
  size_t at = 0, li = 0;
  for (size_t k = 0; k < t; ++k) {
    const size_t run = runs[k], len = lens[k] + kLzMinMatch, dist = size_t{dists[k]} + 1;
    if (run > nlit - li) corrupt("LZ literals exceed block");
    std::copy_n(lit.data() + li, run, out + at);  // (copy_n: lit may be empty, data() null)
    at += run;
    li += run;
    if (dist > at) corrupt("LZ distance before block start");
    const T* src = out + at - dist;
    for (size_t i = 0; i < len; ++i) out[at + i] = src[i];  // may overlap forward: element-wise
    at += len;
  }
  std::copy_n(lit.data() + li, n - at, out + at);  // n - at == nlit - li
}

void read_runs(ByteReader& r, size_t n, std::vector<int64_t>& vals, std::vector<int64_t>& lens,
               int depth) {
  const uint64_t runs = r.count(n, "too many runs");
  if (n > 0 && runs == 0) corrupt("no runs");
  vals.resize(runs);
  lens.resize(runs);
  decode_ints(r, runs, vals.data(), depth + 1);
  decode_ints(r, runs, lens.data(), depth + 1);
  uint64_t total = 0;
  for (int64_t l : lens) {
    if (l < 0 || static_cast<uint64_t>(l) >= n) corrupt("bad run length");
    total += static_cast<uint64_t>(l) + 1;
    if (total > n) corrupt("runs exceed block");
  }
  if (total != n) corrupt("runs do not cover block");
}

void apply_patches(ByteReader& r, size_t n, uint64_t count, int64_t* out, int depth) {
  std::vector<int64_t> pos(count), val(count);
  decode_ints(r, count, pos.data(), depth + 1);
  decode_ints(r, count, val.data(), depth + 1);
  int64_t prev = -1;
  for (size_t i = 0; i < count; ++i) {
    if (pos[i] <= prev || static_cast<uint64_t>(pos[i]) >= n) corrupt("bad exception position");
    prev = pos[i];
    out[pos[i]] = val[i];
  }
}

}  // namespace

void decode_ints(ByteReader& r, size_t n, int64_t* out, int depth) {
  if (depth > kMaxDecodeDepth) corrupt("integer block nested too deeply");
  const uint8_t kind = r.u8();
  switch (kind) {
    case kIntConst: {
      const int64_t v = r.svarint();
      std::fill(out, out + n, v);
      return;
    }
    case kIntFor:
    case kIntForBitmap: {
      const uint8_t* bm;
      const ForHeader h = read_for_kind(r, n, kind, &bm);
      const uint8_t* p = r.bytes(packed_size(n, h.width));
      uint64_t* u = reinterpret_cast<uint64_t*>(out);
      bitunpack(p, n, h.width, u);
      const uint64_t base = static_cast<uint64_t>(h.base);
      if (h.gcd == 1 && base == 0) {
        // already the values (dictionary codes, validity flags, ...)
      } else if (h.gcd == 1) {
        for (size_t i = 0; i < n; ++i) u[i] = base + u[i];
      } else {
        const uint64_t g = h.gcd;
        for (size_t i = 0; i < n; ++i) u[i] = base + u[i] * g;
      }
      if (bm) {
        std::vector<int64_t, UninitializedAllocator<int64_t>> val(h.exceptions);
        decode_ints(r, h.exceptions, val.data(), depth + 1);
        scatter_bitmap(bm, n, val.data(), out);
      } else if (h.exceptions) {
        apply_patches(r, n, h.exceptions, out, depth);
      }
      return;
    }
    case kIntDelta: {
      if (n == 0) corrupt("delta block with no values");
      const int64_t first = r.svarint();
      out[0] = first;
      decode_ints(r, n - 1, out + 1, depth + 1);
      uint64_t* u = reinterpret_cast<uint64_t*>(out);
      for (size_t i = 1; i < n; ++i) u[i] += u[i - 1];
      return;
    }
    case kIntLz:
      decode_lz(r, n, out, depth, [&](ByteReader& rr, size_t m, int64_t* o) { decode_ints(rr, m, o, depth + 1); });
      return;
    case kIntRle: {
      std::vector<int64_t> vals, lens;
      read_runs(r, n, vals, lens, depth);
      size_t at = 0;
      for (size_t k = 0; k < vals.size(); ++k) {
        const size_t len = static_cast<size_t>(lens[k]) + 1;
        std::fill(out + at, out + at + len, vals[k]);
        at += len;
      }
      return;
    }
    default:
      corrupt("unknown integer block kind");
  }
}

namespace {
template <class T>
void narrow_checked(const int64_t* v, size_t n, T* out, int64_t lo, int64_t hi) {
  int64_t mn = INT64_MAX, mx = INT64_MIN;
  for (size_t i = 0; i < n; ++i) {
    mn = std::min(mn, v[i]);
    mx = std::max(mx, v[i]);
  }
  if (n > 0 && (mn < lo || mx > hi)) corrupt("value out of range for type");
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<T>(v[i]);
}
}  // namespace

template <class T>
void decode_ints_narrow(ByteReader& r, size_t n, T* out, int64_t lo, int64_t hi, int depth) {
  static_assert(sizeof(T) <= 4);
  if (depth > kMaxDecodeDepth) corrupt("integer block nested too deeply");
  ByteReader probe = r;
  const uint8_t kind = probe.u8();
  if (kind == kIntConst) {
    const int64_t v = probe.svarint();
    if (n > 0 && (v < lo || v > hi)) corrupt("value out of range for type");
    std::fill(out, out + n, static_cast<T>(v));
    r = probe;
    return;
  }
  if (kind == kIntFor || kind == kIntForBitmap) {
    const uint8_t* bm;
    const ForHeader h = read_for_kind(probe, n, kind, &bm);
    // values are base + gcd * q with 0 <= q < 2^width; with base >= lo only the largest q can
    // leave the range, and that only when the header does not already exclude it
    if (h.width <= 32 && h.base >= lo && h.base <= hi) {
      const uint8_t* p = probe.bytes(packed_size(n, h.width));
      const __int128 room = static_cast<__int128>(hi) - h.base;  // >= 0
      const bool bounded = static_cast<__int128>(h.gcd) * ((static_cast<__int128>(1) << h.width) - 1) <= room;
      const uint32_t base = static_cast<uint32_t>(h.base), g = static_cast<uint32_t>(h.gcd);
      // modulo-2^32 arithmetic is exact: every result fits T (checked or bounded)
      uint32_t chunk[1024];
      for (size_t at = 0; at < n; at += 1024) {  // at is a multiple of 64: byte-aligned in p
        const size_t len = std::min<size_t>(1024, n - at);
        uint32_t* q = sizeof(T) == 4 ? reinterpret_cast<uint32_t*>(out + at) : chunk;
        bitunpack32(p + at * h.width / 8, len, h.width, q);
        if (!bounded) {
          uint32_t mq = 0;
          for (size_t i = 0; i < len; ++i) mq = std::max(mq, q[i]);
          if (static_cast<__int128>(h.gcd) * mq > room) corrupt("value out of range for type");
        }
        if (g == 1) {
          // (32-bit values unpacked in place with base 0, as dictionary codes are: already final)
          if (sizeof(T) != 4 || base != 0)
            for (size_t i = 0; i < len; ++i) out[at + i] = static_cast<T>(base + q[i]);
        } else {
          for (size_t i = 0; i < len; ++i) out[at + i] = static_cast<T>(base + g * q[i]);
        }
      }
      if (bm) {
        std::vector<T, UninitializedAllocator<T>> val(h.exceptions);
        decode_ints_narrow(probe, h.exceptions, val.data(), lo, hi, depth + 1);
        scatter_bitmap(bm, n, val.data(), out);
      } else if (h.exceptions) {  // patched values: positions strictly increasing and < n
        std::vector<uint32_t, UninitializedAllocator<uint32_t>> pos(h.exceptions);
        std::vector<T, UninitializedAllocator<T>> val(h.exceptions);
        decode_ints_narrow(probe, h.exceptions, pos.data(), 0, static_cast<int64_t>(n) - 1, depth + 1);
        decode_ints_narrow(probe, h.exceptions, val.data(), lo, hi, depth + 1);
        for (size_t k = 1; k < pos.size(); ++k)
          if (pos[k] <= pos[k - 1]) corrupt("bad exception position");
        for (size_t k = 0; k < pos.size(); ++k) out[pos[k]] = val[k];
      }
      r = probe;
      return;
    }
  }
  if (kind == kIntRle) {
    const uint64_t runs = probe.count(n, "too many runs");
    if (n > 0 && runs == 0) corrupt("no runs");
    std::vector<T, UninitializedAllocator<T>> vals(runs);
    std::vector<uint32_t, UninitializedAllocator<uint32_t>> lens(runs);
    decode_ints_narrow(probe, runs, vals.data(), lo, hi, depth + 1);
    decode_ints_narrow(probe, runs, lens.data(), 0, static_cast<int64_t>(n) - 1, depth + 1);
    size_t at = 0;
    for (size_t k = 0; k < runs; ++k) {
      const size_t len = static_cast<size_t>(lens[k]) + 1;
      if (len > n - at) corrupt("runs exceed block");
      std::fill(out + at, out + at + len, vals[k]);
      at += len;
    }
    if (at != n) corrupt("runs do not cover block");
    r = probe;
    return;
  }
  if (kind == kIntLz) {
    r = probe;
    decode_lz(r, n, out, depth, [&](ByteReader& rr, size_t m, T* o) { decode_ints_narrow(rr, m, o, lo, hi, depth + 1); });
    return;
  }
  std::vector<int64_t, UninitializedAllocator<int64_t>> v(n);
  decode_ints(r, n, v.data(), depth);
  narrow_checked(v.data(), n, out, lo, hi);
}

template void decode_ints_narrow<uint8_t>(ByteReader&, size_t, uint8_t*, int64_t, int64_t, int);
template void decode_ints_narrow<int16_t>(ByteReader&, size_t, int16_t*, int64_t, int64_t, int);
template void decode_ints_narrow<int32_t>(ByteReader&, size_t, int32_t*, int64_t, int64_t, int);
template void decode_ints_narrow<uint32_t>(ByteReader&, size_t, uint32_t*, int64_t, int64_t, int);

namespace {
inline void set_range(std::vector<uint64_t>& bits, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i) bits[i >> 6] |= uint64_t{1} << (i & 63);
}
__int128 floor_div(__int128 a, __int128 b) {
  __int128 q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
}  // namespace

namespace {

// Walks a block of n values by its shape, materialising it only where needed: on_run(v, at,
// len) for each run of CONST and RLE blocks, on_packed(header, packed values) for FOR blocks
// without exceptions, on_values(values) for any other block.
template <class OnRun, class OnPacked, class OnValues>
void visit_ints(ByteReader& r, size_t n, OnRun on_run, OnPacked on_packed, OnValues on_values) {
  ByteReader probe = r;
  const uint8_t kind = probe.u8();
  if (kind == kIntConst) {
    const int64_t v = probe.svarint();
    r = probe;
    on_run(v, 0, n);
    return;
  }
  if (kind == kIntRle) {
    std::vector<int64_t> vals, lens;
    read_runs(probe, n, vals, lens, 0);
    r = probe;
    size_t at = 0;
    for (size_t k = 0; k < vals.size(); ++k) {
      const size_t len = static_cast<size_t>(lens[k]) + 1;
      on_run(vals[k], at, len);
      at += len;
    }
    return;
  }
  if (kind == kIntFor) {
    ForHeader h = read_for_header(probe, n);
    if (h.exceptions == 0 && n > 0) {
      const uint8_t* p = probe.bytes(packed_size(n, h.width));
      r = probe;
      std::vector<uint64_t> u(n);
      bitunpack(p, n, h.width, u.data());
      on_packed(h, u);
      return;
    }
  }
  std::vector<int64_t> v(n);
  decode_ints(r, n, v.data());
  on_values(v);
}

}  // namespace

void predicate_ints(ByteReader& r, size_t n, CmpOp op, int64_t c, std::vector<uint64_t>& bits) {
  bits.assign((n + 63) / 64, 0);
  auto on_run = [&](int64_t v, size_t at, size_t len) {
    if (compare(v, op, c)) set_range(bits, at, at + len);
  };
  auto on_packed = [&](const ForHeader& h, const std::vector<uint64_t>& u) {
    // v = base + gcd * p with p unsigned: turn `v op c` into a test on p alone.
    const __int128 t = static_cast<__int128>(c) - static_cast<__int128>(h.base);
    const __int128 g = static_cast<__int128>(h.gcd);
    // p*g <= t  <=>  p <= floor(t/g);   p*g < t  <=>  p <= floor((t-1)/g)
    const __int128 le = floor_div(t, g), lt = floor_div(t - 1, g);
    const bool exact = t >= 0 && t % g == 0;
    for (size_t i = 0; i < n; ++i) {
      const __int128 pv = static_cast<__int128>(u[i]);
      bool m = false;
      switch (op) {
        case CmpOp::Eq: m = exact && pv == t / g; break;
        case CmpOp::Ne: m = !(exact && pv == t / g); break;
        case CmpOp::Lt: m = pv <= lt; break;
        case CmpOp::Le: m = pv <= le; break;
        case CmpOp::Gt: m = pv > le; break;
        case CmpOp::Ge: m = pv > lt; break;
      }
      bits[i >> 6] |= static_cast<uint64_t>(m) << (i & 63);
    }
  };
  auto on_values = [&](const std::vector<int64_t>& v) {
    for (size_t i = 0; i < n; ++i) bits[i >> 6] |= static_cast<uint64_t>(compare(v[i], op, c)) << (i & 63);
  };
  visit_ints(r, n, on_run, on_packed, on_values);
}

void aggregate_ints(ByteReader& r, size_t n, IntAgg& agg) {
  auto on_run = [&](int64_t v, size_t, size_t len) { agg.add_run(v, len); };
  auto on_packed = [&](const ForHeader& h, const std::vector<uint64_t>& u) {
    uint64_t pmin = u[0], pmax = u[0];
    unsigned __int128 psum = 0;
    for (size_t i = 0; i < n; ++i) {
      pmin = std::min(pmin, u[i]);
      pmax = std::max(pmax, u[i]);
      psum += u[i];
    }
    const int64_t vmin = static_cast<int64_t>(static_cast<uint64_t>(h.base) + pmin * h.gcd);
    const int64_t vmax = static_cast<int64_t>(static_cast<uint64_t>(h.base) + pmax * h.gcd);
    if (agg.count == 0 || vmin < agg.min) agg.min = vmin;
    if (agg.count == 0 || vmax > agg.max) agg.max = vmax;
    agg.count += n;
    // modular arithmetic: exact for valid data, no undefined behaviour for corrupt data
    const unsigned __int128 s = static_cast<unsigned __int128>(static_cast<__int128>(h.base)) * n + psum * h.gcd;
    agg.sum += static_cast<__int128>(s);
  };
  auto on_values = [&](const std::vector<int64_t>& v) {
    for (int64_t x : v) agg.add_run(x, 1);
  };
  visit_ints(r, n, on_run, on_packed, on_values);
}


namespace {

// Value k of n bit-packed values of `width` bits (bitpack.hpp's layout) in the `size` bytes at p.
inline uint64_t packed_at(const uint8_t* p, size_t size, size_t k, unsigned width) {
  if (width == 0) return 0;
  const size_t bit = k * width;
  const size_t at = bit >> 3;
  const unsigned shift = static_cast<unsigned>(bit & 7);
  uint8_t buf[16] = {};
  std::memcpy(buf, p + at, std::min<size_t>(9, size - at));  // at < size: k < n
  uint64_t lo;
  std::memcpy(&lo, buf, 8);
  uint64_t v = lo >> shift;
  if (shift != 0 && width + shift > 64) v |= static_cast<uint64_t>(buf[8]) << (64 - shift);
  return width == 64 ? v : v & ((uint64_t{1} << width) - 1);
}

}  // namespace

bool gather_ints(ByteReader& r, size_t n, const uint32_t* idx, size_t cnt, int64_t* out, int depth) {
  if (depth > kMaxDecodeDepth) corrupt("integer block nested too deeply");
  ByteReader probe = r;
  const uint8_t kind = probe.u8();
  switch (kind) {
    case kIntConst: {
      const int64_t v = probe.svarint();
      std::fill(out, out + cnt, v);
      break;
    }
    case kIntFor:
    case kIntForBitmap: {
      const uint8_t* bm;
      const ForHeader h = read_for_kind(probe, n, kind, &bm);
      const size_t size = packed_size(n, h.width);
      const uint8_t* p = probe.bytes(size);
      const uint64_t base = static_cast<uint64_t>(h.base);
      for (size_t j = 0; j < cnt; ++j)
        out[j] = static_cast<int64_t>(base + packed_at(p, size, idx[j], h.width) * h.gcd);
      if (bm) {  // exception k is the value of the k-th set bit's position
        std::vector<int64_t, UninitializedAllocator<int64_t>> val(h.exceptions);
        decode_ints(probe, h.exceptions, val.data(), depth + 1);
        size_t rank = 0, counted = 0;  // rank = set bits of bm before position `counted`
        for (size_t j = 0; j < cnt; ++j) {
          const size_t i = idx[j];
          for (; counted + 8 <= i; counted += 8) rank += static_cast<size_t>(__builtin_popcount(bm[counted >> 3]));
          const unsigned below = static_cast<unsigned>(bm[counted >> 3]) & ((1u << (i - counted)) - 1);
          if ((bm[i >> 3] >> (i & 7)) & 1) out[j] = val[rank + static_cast<size_t>(__builtin_popcount(below))];
        }
      } else if (h.exceptions) {
        std::vector<int64_t> pos(h.exceptions), val(h.exceptions);
        decode_ints(probe, h.exceptions, pos.data(), depth + 1);
        decode_ints(probe, h.exceptions, val.data(), depth + 1);
        int64_t prev = -1;
        size_t e = 0;
        for (size_t k = 0; k < pos.size(); ++k) {
          if (pos[k] <= prev || static_cast<uint64_t>(pos[k]) >= n) corrupt("bad exception position");
          prev = pos[k];
        }
        for (size_t j = 0; j < cnt; ++j) {
          while (e < pos.size() && static_cast<uint64_t>(pos[e]) < idx[j]) ++e;
          if (e < pos.size() && static_cast<uint64_t>(pos[e]) == idx[j]) out[j] = val[e];
        }
      }
      break;
    }
    case kIntRle: {
      std::vector<int64_t> vals, lens;
      read_runs(probe, n, vals, lens, depth);
      size_t run = 0, end = vals.empty() ? 0 : static_cast<size_t>(lens[0]) + 1;  // rows [.., end) in run
      for (size_t j = 0; j < cnt; ++j) {
        while (idx[j] >= end) end += static_cast<size_t>(lens[++run]) + 1;  // idx < n = total length
        out[j] = vals[run];
      }
      break;
    }
    case kIntLz: {  // each position followed back through the matches to a literal
      LzField runs, lens, dists;
      const size_t nlit = read_lz_matches(probe, n, depth, runs, lens, dists);
      const size_t t = runs.size();
      std::vector<int64_t, UninitializedAllocator<int64_t>> lit(nlit);
      decode_ints(probe, nlit, lit.data(), depth + 1);
      // match k copies [mstart[k], mstart[k] + len) from dist back; the literals before it start
      // at row mstart[k] - runs[k], literal index lstart[k]
      std::vector<size_t> mstart(t), lstart(t);
      size_t at = 0, li = 0;
      for (size_t k = 0; k < t; ++k) {
        if (runs[k] > nlit - li) corrupt("LZ literals exceed block");
        lstart[k] = li;
        at += runs[k];
        li += runs[k];
        if (size_t{dists[k]} + 1 > at) corrupt("LZ distance before block start");
        mstart[k] = at;
        at += lens[k] + kLzMinMatch;
      }
      for (size_t j = 0; j < cnt; ++j) {
        size_t x = idx[j];
        for (;;) {
          // the last match starting at or before x (none: x is in the literals before the first)
          const size_t k = static_cast<size_t>(std::upper_bound(mstart.begin(), mstart.end(), x) - mstart.begin());
          if (k == 0) {
            out[j] = lit[x];
            break;
          }
          const size_t m = k - 1, s = mstart[m], len = lens[m] + kLzMinMatch, dist = size_t{dists[m]} + 1;
          if (x >= s + len) {  // in the literals after match m (those before match m + 1, or the last)
            out[j] = lit[(m + 1 < t ? lstart[m + 1] : li) + (x - s - len)];
            break;
          }
          x = s - dist + (x - s) % dist;  // (an overlapping copy repeats its first dist values)
        }
      }
      break;
    }
    default:
      return false;
  }
  r = probe;
  return true;
}

}  // namespace strata::core::codec
