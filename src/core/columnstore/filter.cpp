// Batch filter kernels and batch skipping (see filter.hpp).
#include "columnstore/filter.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string_view>

#include "error.hpp"

namespace strata::core::columnstore {

using codec::ColumnType;
using codec::DecodedColumn;

namespace {

[[noreturn]] void bad(const std::string& what) { throw Error(Errc::invalid_argument, what); }

enum class Kind { integer, floating, bytes };

Kind kind_of(ColumnType t) {
  switch (t) {
    case ColumnType::Float4:
    case ColumnType::Float8:
      return Kind::floating;
    case ColumnType::Uuid:
    case ColumnType::Varlen:
      return Kind::bytes;
    default:
      return Kind::integer;
  }
}

bool is_comparison(FilterOp op) { return op <= FilterOp::Ge; }

// 64 flags (bytes 0/1) to a word, flag i -> bit i. Per 8 bytes b0..b7 (b_i at bit 8i), the
// product with sum(2^(56-7i)) puts b_i at bit 56 + i and nothing else in the top byte.
inline uint64_t pack64(const uint8_t* t) {
  uint64_t m = 0;
  for (int k = 0; k < 8; ++k) {
    uint64_t x;
    std::memcpy(&x, t + 8 * k, 8);
    m |= ((x * 0x0102040810204080ULL) >> 56) << (8 * k);
  }
  return m;
}

// ANDs pred(v[i]) into the selection, 64 rows at a time (blocks already empty are skipped).
template <class T, class Pred>
inline void kernel(const T* v, size_t rows, uint64_t* sel, Pred pred) {
  alignas(64) uint8_t tmp[64];
  const size_t full = rows / 64;
  for (size_t w = 0; w < full; ++w) {
    if (!sel[w]) continue;
    const T* p = v + w * 64;
    for (size_t j = 0; j < 64; ++j) tmp[j] = pred(p[j]);
    sel[w] &= pack64(tmp);
  }
  const size_t rest = rows - full * 64;
  if (rest && sel[full]) {
    const T* p = v + full * 64;
    for (size_t j = 0; j < 64; ++j) tmp[j] = j < rest ? pred(p[j]) : 0;
    sel[full] &= pack64(tmp);
  }
}

void clear_all(uint64_t* sel, size_t rows) { std::fill(sel, sel + (rows + 63) / 64, 0); }

// validity bits (1 = not NULL) of rows [64w, 64w + 64)
inline uint64_t valid_word(const DecodedColumn& c, size_t w) {
  uint64_t x = 0;
  const size_t off = w * 8;
  std::memcpy(&x, c.validity.data() + off, std::min<size_t>(8, c.validity.size() - off));
  return x;
}

template <class T>
void int_compare(const T* v, size_t rows, uint64_t* sel, FilterOp op, int64_t c) {
  constexpr int64_t lo = std::numeric_limits<T>::min(), hi = std::numeric_limits<T>::max();
  if (c < lo || c > hi) {
    // the constant is outside the type: every value compares the same way
    const bool above = c > hi;
    bool all = false;
    switch (op) {
      case FilterOp::Eq: all = false; break;
      case FilterOp::Ne: all = true; break;
      case FilterOp::Lt: case FilterOp::Le: all = above; break;
      default: all = !above; break;
    }
    if (!all) clear_all(sel, rows);
    return;
  }
  const T k = static_cast<T>(c);
  switch (op) {
    case FilterOp::Eq: return kernel(v, rows, sel, [k](T x) { return x == k; });
    case FilterOp::Ne: return kernel(v, rows, sel, [k](T x) { return x != k; });
    case FilterOp::Lt: return kernel(v, rows, sel, [k](T x) { return x < k; });
    case FilterOp::Le: return kernel(v, rows, sel, [k](T x) { return x <= k; });
    case FilterOp::Gt: return kernel(v, rows, sel, [k](T x) { return x > k; });
    case FilterOp::Ge: return kernel(v, rows, sel, [k](T x) { return x >= k; });
    default: break;
  }
}

template <class T>
void int_in(const T* v, size_t rows, uint64_t* sel, const std::vector<int64_t>& list) {
  std::vector<T> ks;  // constants the type can hold (small: an IN list)
  for (int64_t c : list)
    if (c >= std::numeric_limits<T>::min() && c <= std::numeric_limits<T>::max()) ks.push_back(static_cast<T>(c));
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  if (ks.empty()) return clear_all(sel, rows);
  if (ks.size() == 1) return int_compare<T>(v, rows, sel, FilterOp::Eq, ks[0]);
  if (ks.size() <= 16) {
    // OR of equalities, constant by constant over a block
    alignas(64) uint8_t tmp[64];
    for (size_t w = 0; w * 64 < rows; ++w) {
      if (!sel[w]) continue;
      const size_t n = std::min<size_t>(64, rows - w * 64);
      const T* p = v + w * 64;
      std::memset(tmp, 0, 64);
      for (T k : ks)
        for (size_t j = 0; j < n; ++j) tmp[j] |= p[j] == k;
      sel[w] &= pack64(tmp);
    }
    return;
  }
  const T lo = ks.front(), hi = ks.back();
  kernel(v, rows, sel, [&](T x) { return x >= lo && x <= hi && std::binary_search(ks.begin(), ks.end(), x); });
}

// PostgreSQL's float order (utils/float.h): NaN = NaN, NaN > everything else.
template <class T>
void float_compare(const T* v, size_t rows, uint64_t* sel, FilterOp op, double c) {
  if (std::isnan(c)) {
    switch (op) {
      case FilterOp::Eq: case FilterOp::Ge: return kernel(v, rows, sel, [](T x) { return x != x; });
      case FilterOp::Ne: case FilterOp::Lt: return kernel(v, rows, sel, [](T x) { return x == x; });
      case FilterOp::Le: return;
      case FilterOp::Gt: return clear_all(sel, rows);
      default: return;
    }
  }
  // with c a number: NaN fails ==, <, <= and passes their negations, as PostgreSQL orders it
  switch (op) {
    case FilterOp::Eq: return kernel(v, rows, sel, [c](T x) { return static_cast<double>(x) == c; });
    case FilterOp::Ne: return kernel(v, rows, sel, [c](T x) { return !(static_cast<double>(x) == c); });
    case FilterOp::Lt: return kernel(v, rows, sel, [c](T x) { return static_cast<double>(x) < c; });
    case FilterOp::Le: return kernel(v, rows, sel, [c](T x) { return static_cast<double>(x) <= c; });
    case FilterOp::Gt: return kernel(v, rows, sel, [c](T x) { return !(static_cast<double>(x) <= c); });
    case FilterOp::Ge: return kernel(v, rows, sel, [c](T x) { return !(static_cast<double>(x) < c); });
    default: return;
  }
}

template <class T>
void float_in(const T* v, size_t rows, uint64_t* sel, const std::vector<double>& list) {
  bool nan = false;
  std::vector<double> ks;
  for (double c : list) {
    if (std::isnan(c))
      nan = true;
    else
      ks.push_back(c);
  }
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());  // -0 and 0 are one value here
  alignas(64) uint8_t tmp[64];
  for (size_t w = 0; w * 64 < rows; ++w) {
    if (!sel[w]) continue;
    const size_t n = std::min<size_t>(64, rows - w * 64);
    const T* p = v + w * 64;
    std::memset(tmp, 0, 64);
    if (nan)
      for (size_t j = 0; j < n; ++j) tmp[j] |= p[j] != p[j];
    if (ks.size() <= 16) {
      for (double k : ks)
        for (size_t j = 0; j < n; ++j) tmp[j] |= static_cast<double>(p[j]) == k;
    } else {
      // (a NaN key would be "equivalent" to any element under <)
      for (size_t j = 0; j < n; ++j)
        tmp[j] |= p[j] == p[j] && std::binary_search(ks.begin(), ks.end(), static_cast<double>(p[j]));
    }
    sel[w] &= pack64(tmp);
  }
}

// bytewise comparison result of a value against the constant(s)
struct BytesTest {
  FilterOp op;
  const std::vector<std::string>* list;  // sorted, for In
  std::string_view c;
  bool operator()(std::string_view x) const {
    if (op == FilterOp::In) return std::binary_search(list->begin(), list->end(), x);
    const int r = x.compare(c);
    switch (op) {
      case FilterOp::Eq: return r == 0;
      case FilterOp::Ne: return r != 0;
      case FilterOp::Lt: return r < 0;
      case FilterOp::Le: return r <= 0;
      case FilterOp::Gt: return r > 0;
      default: return r >= 0;
    }
  }
};

void bytes_predicate(const DecodedColumn& col, const FilterPredicate& p, uint64_t* sel, std::vector<uint8_t>& scratch) {
  const size_t rows = col.rows;
  if (col.type != ColumnType::Uuid && col.dictionary_form() && col.external &&
      (p.op == FilterOp::Eq || p.op == FilterOp::In)) {
    // A shared dictionary (hundreds of device ids, say) has a lookup table: the constants' codes
    // from it (its entries are distinct, so each constant is at most one entry; no sorted list).
    scratch.assign(std::max<size_t>(col.external->size(), 1), 0);  // (NULL rows hold code 0)
    for (const std::string& c : p.bytes)
      if (const std::optional<uint32_t> code = col.external->find(c)) scratch[*code] = 1;
    const uint8_t* m = scratch.data();
    return kernel(col.codes.data(), rows, sel, [m](uint32_t code) { return m[code] != 0; });
  }
  std::vector<std::string> sorted;
  const std::vector<std::string>* list = &p.bytes;
  if (p.op == FilterOp::In && !std::is_sorted(p.bytes.begin(), p.bytes.end())) {
    sorted = p.bytes;
    std::sort(sorted.begin(), sorted.end());
    list = &sorted;
  }
  const BytesTest test{p.op, list, p.op == FilterOp::In ? std::string_view() : std::string_view(p.bytes[0])};
  if (col.type == ColumnType::Uuid) {
    struct U {
      uint8_t b[16];
    };
    static_assert(sizeof(U) == 16);
    const U* v = reinterpret_cast<const U*>(col.fixed.data());
    return kernel(v, rows, sel, [&](const U& x) { return test(std::string_view(reinterpret_cast<const char*>(x.b), 16)); });
  }
  if (col.dictionary_form()) {
    // once per dictionary entry, then a lookup per row
    const size_t entries = col.external ? col.external->size() : col.dict_offsets.size() - 1;
    scratch.assign(std::max<size_t>(entries, 1), 0);  // (NULL rows hold code 0)
    for (size_t e = 0; e < entries; ++e) {
      const std::string_view s =
          col.external ? col.external->entry(e)
                       : std::string_view(reinterpret_cast<const char*>(col.dict_data.data()) + col.dict_offsets[e],
                                          col.dict_offsets[e + 1] - col.dict_offsets[e]);
      scratch[e] = test(s);
    }
    const uint8_t* m = scratch.data();
    return kernel(col.codes.data(), rows, sel, [m](uint32_t code) { return m[code] != 0; });
  }
  const uint32_t* off = col.offsets.data();
  const char* data = reinterpret_cast<const char*>(col.data.data());
  alignas(64) uint8_t tmp[64];
  if (p.op == FilterOp::Eq || p.op == FilterOp::Ne) {
    // (equality: the length, then the last byte, decide most rows without a comparison call;
    // keys such as device ids share a prefix and a length)
    const bool eq = p.op == FilterOp::Eq;
    const char* cd = test.c.data();
    const size_t cl = test.c.size();
    for (size_t w = 0; w * 64 < rows; ++w) {
      if (!sel[w]) continue;
      const size_t n = std::min<size_t>(64, rows - w * 64);
      std::memset(tmp, 0, 64);
      for (size_t j = 0; j < n; ++j) {
        const size_t r = w * 64 + j;
        const char* x = data + off[r];
        const bool same = off[r + 1] - off[r] == cl && (cl == 0 || (x[cl - 1] == cd[cl - 1] && std::memcmp(x, cd, cl) == 0));
        tmp[j] = same == eq;
      }
      sel[w] &= pack64(tmp);
    }
    return;
  }
  for (size_t w = 0; w * 64 < rows; ++w) {
    if (!sel[w]) continue;
    const size_t n = std::min<size_t>(64, rows - w * 64);
    std::memset(tmp, 0, 64);
    for (size_t j = 0; j < n; ++j) {
      const size_t r = w * 64 + j;
      tmp[j] = test(std::string_view(data + off[r], off[r + 1] - off[r]));
    }
    sel[w] &= pack64(tmp);
  }
}

}  // namespace

void apply_predicate(const DecodedColumn& col, const FilterPredicate& p, uint64_t* sel, std::vector<uint8_t>& scratch) {
  if (col.type != p.type)
    bad(std::string("filter on a ") + codec::type_name(p.type) + " column given a " + codec::type_name(col.type) +
        " column");
  const size_t rows = col.rows;
  const size_t words = (rows + 63) / 64;
  if (col.null_count && col.validity.size() < (rows + 7) / 8) bad("decoded column without its validity bitmap");
  if (p.op == FilterOp::IsNull || p.op == FilterOp::IsNotNull) {
    if (col.null_count == 0) {
      if (p.op == FilterOp::IsNull) clear_all(sel, rows);
      return;
    }
    if (col.null_count == rows && p.op == FilterOp::IsNull) return;
    for (size_t w = 0; w < words; ++w) sel[w] &= p.op == FilterOp::IsNull ? ~valid_word(col, w) : valid_word(col, w);
    if (rows % 64) sel[words - 1] &= (uint64_t{1} << (rows % 64)) - 1;
    return;
  }
  if (col.null_count == rows) return clear_all(sel, rows);
  const bool in = p.op == FilterOp::In;
  switch (col.type) {
    case ColumnType::Int16: {
      const int16_t* v = col.values<int16_t>();
      in ? int_in(v, rows, sel, p.ints) : int_compare(v, rows, sel, p.op, p.ints[0]);
      break;
    }
    case ColumnType::Int32:
    case ColumnType::Date: {
      const int32_t* v = col.values<int32_t>();
      in ? int_in(v, rows, sel, p.ints) : int_compare(v, rows, sel, p.op, p.ints[0]);
      break;
    }
    case ColumnType::Int64:
    case ColumnType::Timestamp: {
      const int64_t* v = col.values<int64_t>();
      in ? int_in(v, rows, sel, p.ints) : int_compare(v, rows, sel, p.op, p.ints[0]);
      break;
    }
    case ColumnType::Bool: {
      const uint8_t* v = col.values<uint8_t>();
      in ? int_in(v, rows, sel, p.ints) : int_compare(v, rows, sel, p.op, p.ints[0]);
      break;
    }
    case ColumnType::Float4: {
      const float* v = col.values<float>();
      in ? float_in(v, rows, sel, p.floats) : float_compare(v, rows, sel, p.op, p.floats[0]);
      break;
    }
    case ColumnType::Float8: {
      const double* v = col.values<double>();
      in ? float_in(v, rows, sel, p.floats) : float_compare(v, rows, sel, p.op, p.floats[0]);
      break;
    }
    case ColumnType::Uuid:
    case ColumnType::Varlen:
      bytes_predicate(col, p, sel, scratch);
      break;
  }
  if (col.null_count)
    for (size_t w = 0; w < words; ++w) sel[w] &= valid_word(col, w);
}

BatchFilter::BatchFilter(std::vector<FilterPredicate> predicates) : predicates_(std::move(predicates)) {
  for (const FilterPredicate& p : predicates_) {
    if (p.op > FilterOp::In) bad("unknown filter operator");
    if (p.op == FilterOp::IsNull || p.op == FilterOp::IsNotNull) continue;
    const Kind k = kind_of(p.type);
    const size_t n = k == Kind::integer ? p.ints.size() : k == Kind::floating ? p.floats.size() : p.bytes.size();
    const size_t others = p.ints.size() + p.floats.size() + p.bytes.size() - n;
    if (others) bad(std::string("filter constant of the wrong kind for a ") + codec::type_name(p.type) + " column");
    if (is_comparison(p.op) ? n != 1 : n == 0) bad("a comparison needs one constant, an IN list at least one");
    if (p.type == ColumnType::Uuid)
      for (const std::string& s : p.bytes)
        if (s.size() != 16) bad("a uuid constant must be 16 bytes");
  }
}

const std::vector<uint64_t>& BatchFilter::evaluate(std::span<const DecodedColumn* const> columns,
                                                   std::span<const uint8_t> applied,
                                                   std::span<const std::vector<uint64_t>> matches) {
  auto done = [&](size_t column) { return column < applied.size() && applied[column] != 0; };
  rows_ = 0;
  bool have_rows = false;
  for (const FilterPredicate& p : predicates_) {
    if (p.column >= columns.size() || !columns[p.column]) bad("filter column " + std::to_string(p.column) + " missing");
    const size_t r = columns[p.column]->rows;
    if (have_rows && r != rows_) bad("filter columns of different row counts");
    rows_ = r;
    have_rows = true;
  }
  if (!have_rows)
    for (const DecodedColumn* c : columns)
      if (c) {
        rows_ = c->rows;
        break;
      }
  const size_t words = (rows_ + 63) / 64;
  selection_.assign(words, ~uint64_t{0});
  if (rows_ % 64) selection_[words - 1] = (uint64_t{1} << (rows_ % 64)) - 1;
  for (size_t c = 0; c < applied.size(); ++c) {
    if (!done(c)) continue;
    if (c >= matches.size() || matches[c].size() != words) bad("filter matches of a different row count");
    for (size_t w = 0; w < words; ++w) selection_[w] &= matches[c][w];
  }
  for (const FilterPredicate& p : predicates_) {
    if (done(p.column)) continue;
    apply_predicate(*columns[p.column], p, selection_.data(), entry_match_);
    if (count_selected(selection_) == 0) break;
  }
  return selection_;
}

size_t count_selected(std::span<const uint64_t> selection) {
  size_t n = 0;
  for (uint64_t w : selection) n += static_cast<size_t>(__builtin_popcountll(w));
  return n;
}

size_t selected_rows(std::span<const uint64_t> selection, std::vector<uint32_t>& out) {
  out.resize(count_selected(selection));
  size_t k = 0;
  for (size_t w = 0; w < selection.size(); ++w)
    for (uint64_t bits = selection[w]; bits; bits &= bits - 1)
      out[k++] = static_cast<uint32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits)));
  return k;
}

namespace {

// PostgreSQL float8 comparison
bool pg_float_cmp(double a, FilterOp op, double b) {
  const bool an = std::isnan(a), bn = std::isnan(b);
  const bool eq = an ? bn : (!bn && a == b);
  const bool lt = !an && (bn || a < b);
  switch (op) {
    case FilterOp::Eq: return eq;
    case FilterOp::Ne: return !eq;
    case FilterOp::Lt: return lt;
    case FilterOp::Le: return lt || eq;
    case FilterOp::Gt: return !lt && !eq;
    default: return !lt;
  }
}

// whether some value in [lo, hi] (lo <= hi, a total order) satisfies `x op c`
template <class T>
bool range_may_match(const T& lo, const T& hi, FilterOp op, const T& c) {
  switch (op) {
    case FilterOp::Eq: return !(c < lo) && !(hi < c);
    case FilterOp::Ne: return lo < hi || lo < c || c < lo;
    case FilterOp::Lt: return lo < c;
    case FilterOp::Le: return !(c < lo);
    case FilterOp::Gt: return c < hi;
    default: return !(hi < c);
  }
}

}  // namespace

bool batch_may_match(const codec::ColumnStats& st, const FilterPredicate& p, bool may_have_nan) {
  if (p.op == FilterOp::IsNull) return st.null_count > 0;
  if (p.op == FilterOp::IsNotNull) return st.null_count < st.rows;
  if (st.null_count >= st.rows) return false;  // no values (or no rows)
  const bool in = p.op == FilterOp::In;
  const FilterOp op = in ? FilterOp::Eq : p.op;
  switch (kind_of(p.type)) {
    case Kind::integer:
      if (!st.has_minmax) return true;
      for (int64_t c : p.ints)
        if (range_may_match(st.min_int, st.max_int, op, c)) return true;
      return false;
    case Kind::floating:
      for (double c : p.floats) {
        // NaN values are not in min/max: without min/max every value is NaN
        if ((may_have_nan || !st.has_minmax) && pg_float_cmp(NAN, op, c)) return true;
        if (!st.has_minmax) continue;
        if (std::isnan(c)) {
          // some number x satisfies x op NaN: x <> NaN, x < NaN, x <= NaN
          if (op == FilterOp::Ne || op == FilterOp::Lt || op == FilterOp::Le) return true;
          continue;
        }
        if (range_may_match(st.min_float, st.max_float, op, c)) return true;
      }
      return false;
    case Kind::bytes: {
      if (!st.has_minmax) return true;
      const std::string_view lo = st.min_bytes, hi = st.max_bytes;
      for (const std::string& c : p.bytes)
        if (range_may_match(lo, hi, op, std::string_view(c))) return true;
      return false;
    }
  }
  return true;
}

}  // namespace strata::core::columnstore
