// Tests of the batch filter kernels and batch skipping: differential against a naive per-row
// evaluation with PostgreSQL's semantics, over random batches of every type with NULLs and NaNs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "codec/codec.hpp"
#include "columnstore/filter.hpp"
#include "error.hpp"

using namespace strata::core;
using namespace strata::core::codec;
using namespace strata::core::columnstore;

namespace {

struct Cell {
  bool null = false;
  int64_t i = 0;
  double f = 0;
  std::string s;
};

const ColumnType kTypes[] = {ColumnType::Int16, ColumnType::Int32,  ColumnType::Int64, ColumnType::Timestamp,
                             ColumnType::Date,  ColumnType::Float4, ColumnType::Float8, ColumnType::Bool,
                             ColumnType::Uuid,  ColumnType::Varlen};

bool is_float(ColumnType t) { return t == ColumnType::Float4 || t == ColumnType::Float8; }
bool is_bytes(ColumnType t) { return t == ColumnType::Uuid || t == ColumnType::Varlen; }

const double kSpecial[] = {std::numeric_limits<double>::quiet_NaN(), -0.0, 0.0, INFINITY, -INFINITY, 1.5, -2.5};

Cell random_cell(ColumnType t, std::mt19937_64& rng, int null_pct, int style) {
  Cell c;
  if (static_cast<int>(rng() % 100) < null_pct) {
    c.null = true;
    return c;
  }
  switch (t) {
    case ColumnType::Int16:
      c.i = style ? static_cast<int16_t>(rng()) : static_cast<int64_t>(rng() % 5) - 2;
      break;
    case ColumnType::Int32:
    case ColumnType::Date:
      c.i = style ? static_cast<int32_t>(rng()) : static_cast<int64_t>(rng() % 9);
      break;
    case ColumnType::Int64:
    case ColumnType::Timestamp:
      c.i = style == 2 ? (rng() % 2 ? INT64_MIN : INT64_MAX) : style ? static_cast<int64_t>(rng()) : static_cast<int64_t>(rng() % 7);
      break;
    case ColumnType::Bool:
      c.i = static_cast<int64_t>(rng() % 2);
      break;
    case ColumnType::Float4:
    case ColumnType::Float8:
      c.f = rng() % 4 == 0 ? kSpecial[rng() % 7] : static_cast<double>(static_cast<int64_t>(rng() % 200) - 100) / 4;
      if (t == ColumnType::Float4) c.f = static_cast<float>(c.f);
      break;
    case ColumnType::Uuid:
      c.s.assign(16, '\0');
      for (auto& ch : c.s) ch = static_cast<char>(style ? rng() : rng() % 2 * 0xf0);
      break;
    case ColumnType::Varlen: {
      static const char* words[] = {"", "a", "ab", "abc", "b", "\xff", "\xff\x01", "zz", "online", "offline"};
      c.s = style ? std::to_string(rng() % 1000) : words[rng() % 10];
      break;
    }
  }
  return c;
}

// PostgreSQL's semantics, row by row
bool naive(const Cell& x, const FilterPredicate& p) {
  if (p.op == FilterOp::IsNull) return x.null;
  if (p.op == FilterOp::IsNotNull) return !x.null;
  if (x.null) return false;
  auto cmp = [&](int r, FilterOp op) {
    switch (op) {
      case FilterOp::Eq: return r == 0;
      case FilterOp::Ne: return r != 0;
      case FilterOp::Lt: return r < 0;
      case FilterOp::Le: return r <= 0;
      case FilterOp::Gt: return r > 0;
      default: return r >= 0;
    }
  };
  auto one = [&](size_t k, FilterOp op) {
    if (is_float(p.type)) {
      const double a = x.f, b = p.floats[k];
      // float8_cmp_internal: NaN sorts above everything and equals itself
      const int r = std::isnan(a) ? (std::isnan(b) ? 0 : 1) : std::isnan(b) ? -1 : a < b ? -1 : a > b ? 1 : 0;
      return cmp(r, op);
    }
    if (is_bytes(p.type)) {
      const int r = x.s.compare(p.bytes[k]);  // std::string compares bytes as unsigned char
      return cmp(r < 0 ? -1 : r > 0 ? 1 : 0, op);
    }
    return cmp(x.i < p.ints[k] ? -1 : x.i > p.ints[k] ? 1 : 0, op);
  };
  if (p.op != FilterOp::In) return one(0, p.op);
  const size_t n = is_float(p.type) ? p.floats.size() : is_bytes(p.type) ? p.bytes.size() : p.ints.size();
  for (size_t k = 0; k < n; ++k)
    if (one(k, FilterOp::Eq)) return true;
  return false;
}

std::vector<uint8_t> encode(ColumnType t, const std::vector<Cell>& cells, const Dictionary* dict = nullptr,
                            ColumnStats* st = nullptr) {
  const size_t n = cells.size();
  std::vector<uint8_t> validity((n + 7) / 8, 0);
  for (size_t r = 0; r < n; ++r)
    if (!cells[r].null) validity[r / 8] |= static_cast<uint8_t>(1u << (r % 8));
  std::vector<uint8_t> fixed(n * std::max<size_t>(1, fixed_width(t)));
  std::vector<std::string_view> views(n);
  for (size_t r = 0; r < n; ++r) {
    const Cell& c = cells[r];
    uint8_t* p = fixed.data() + r * fixed_width(t);
    switch (t) {
      case ColumnType::Int16: { int16_t v = static_cast<int16_t>(c.i); std::memcpy(p, &v, 2); break; }
      case ColumnType::Int32:
      case ColumnType::Date: { int32_t v = static_cast<int32_t>(c.i); std::memcpy(p, &v, 4); break; }
      case ColumnType::Int64:
      case ColumnType::Timestamp: std::memcpy(p, &c.i, 8); break;
      case ColumnType::Bool: *p = static_cast<uint8_t>(c.i); break;
      case ColumnType::Float4: { float v = static_cast<float>(c.f); std::memcpy(p, &v, 4); break; }
      case ColumnType::Float8: std::memcpy(p, &c.f, 8); break;
      case ColumnType::Uuid: if (!c.null) std::memcpy(p, c.s.data(), 16); break;
      case ColumnType::Varlen: views[r] = c.s; break;
    }
  }
  EncodeOptions o;
  o.dictionary = dict;
  const ColumnView v = t == ColumnType::Varlen ? ColumnView::of_varlen(views.data(), n, validity.data())
                                               : ColumnView::of_fixed(fixed.data(), n, validity.data());
  return encode_column(t, v, o, st);
}

FilterPredicate random_predicate(size_t col, ColumnType t, const std::vector<Cell>& cells, std::mt19937_64& rng) {
  FilterPredicate p;
  p.column = col;
  p.type = t;
  p.op = static_cast<FilterOp>(rng() % 9);
  if (p.op == FilterOp::IsNull || p.op == FilterOp::IsNotNull) return p;
  const size_t n = p.op == FilterOp::In ? 1 + rng() % (rng() % 4 == 0 ? 40 : 5) : 1;
  for (size_t k = 0; k < n; ++k) {
    // mostly a value of the batch (so rows match), sometimes another or an extreme
    const Cell c = !cells.empty() && rng() % 3 ? cells[rng() % cells.size()] : random_cell(t, rng, 0, static_cast<int>(rng() % 3));
    if (is_float(t)) {
      p.floats.push_back(rng() % 8 == 0 ? kSpecial[rng() % 7] : c.f);
    } else if (is_bytes(t)) {
      p.bytes.push_back(c.null ? std::string(t == ColumnType::Uuid ? 16 : 0, 'x') : c.s);
    } else {
      const int64_t extremes[] = {INT64_MIN, INT64_MAX, 40000, -40000, 3'000'000'000LL, -1, 2};
      p.ints.push_back(rng() % 6 == 0 ? extremes[rng() % 7] : c.i);
    }
  }
  return p;
}

}  // namespace

TEST(ColumnstoreFilter, DifferentialAgainstNaiveEvaluation) {
  std::mt19937_64 rng(11);
  const size_t sizes[] = {0, 1, 7, 63, 64, 65, 130, 1000};
  size_t checked_rows = 0, selected = 0, skipped = 0;
  BatchFilter empty({});
  for (int round = 0; round < 60; ++round) {
    const size_t rows = sizes[rng() % 8];
    const int null_pct = static_cast<int>(rng() % 3) * 15;  // 0, 15 or 30% NULLs
    std::vector<std::vector<Cell>> cells(std::size(kTypes));
    std::vector<DecodedColumn> cols(std::size(kTypes) * 3);
    std::vector<ColumnStats> stats(std::size(kTypes));
    std::vector<Dictionary> dicts(std::size(kTypes));
    for (size_t c = 0; c < std::size(kTypes); ++c) {
      const ColumnType t = kTypes[c];
      const int style = static_cast<int>(rng() % 3);
      for (size_t r = 0; r < rows; ++r) cells[c].push_back(random_cell(t, rng, rng() % 10 == 0 ? 100 : null_pct, style));
      const std::vector<uint8_t> blob = encode(t, cells[c], nullptr, &stats[c]);
      cols[c] = decode_column(blob, t);  // dictionary codecs: codes
      DecodeOptions mat;
      mat.materialize_strings = true;
      cols[std::size(kTypes) + c] = decode_column(blob, t, nullptr, mat);
      // and against an external dictionary
      std::vector<std::string_view> vals;
      for (const Cell& x : cells[c])
        if (!x.null) vals.push_back(x.s);
      if (is_bytes(t) && !vals.empty()) {
        dicts[c] = Dictionary::build(t, vals);
        cols[2 * std::size(kTypes) + c] = decode_column(encode(t, cells[c], &dicts[c]), t, &dicts[c]);
      } else {
        cols[2 * std::size(kTypes) + c] = cols[c];
      }
    }
    for (int q = 0; q < 40; ++q) {
      // a conjunction of 1-3 predicates on random columns (in one of the three decoded forms)
      const size_t form = rng() % 3;
      std::vector<FilterPredicate> preds;
      const size_t np = 1 + rng() % 3;
      for (size_t k = 0; k < np; ++k) {
        const size_t c = rng() % std::size(kTypes);
        preds.push_back(random_predicate(form * std::size(kTypes) + c, kTypes[c], cells[c], rng));
      }
      std::vector<const DecodedColumn*> ptrs;
      for (const DecodedColumn& d : cols) ptrs.push_back(&d);
      BatchFilter f(preds);
      const std::vector<uint64_t>& sel = f.evaluate(ptrs);
      ASSERT_EQ(sel.size(), (rows + 63) / 64);
      std::vector<uint32_t> idx;
      selected_rows(sel, idx);
      size_t k = 0;
      for (size_t r = 0; r < rows; ++r) {
        bool want = true;
        for (const FilterPredicate& p : preds) want = want && naive(cells[p.column % std::size(kTypes)][r], p);
        const bool got = (sel[r / 64] >> (r % 64)) & 1;
        ASSERT_EQ(got, want) << "round " << round << " query " << q << " row " << r << " type "
                             << type_name(preds[0].type) << " op " << static_cast<int>(preds[0].op);
        if (want) {
          ASSERT_LT(k, idx.size());
          ASSERT_EQ(idx[k++], r);
        }
        selected += want;
      }
      ASSERT_EQ(k, idx.size());
      if (rows % 64) {
        ASSERT_EQ(sel.back() >> (rows % 64), 0u);  // nothing past the last row
      }
      checked_rows += rows;
      // batch skipping never skips a batch with a match
      for (const FilterPredicate& p : preds) {
        const size_t c = p.column % std::size(kTypes);
        bool any = false, nan = false;
        for (const Cell& x : cells[c]) {
          any = any || naive(x, p);
          nan = nan || (!x.null && is_float(p.type) && std::isnan(x.f));
        }
        const bool may = batch_may_match(stats[c], p, nan);
        if (any) {
          ASSERT_TRUE(may) << "skipped a batch with a match, type " << type_name(p.type);
          ASSERT_TRUE(batch_may_match(stats[c], p));
        }
        skipped += !may;
      }
    }
  }
  EXPECT_GT(checked_rows, 100000u);
  EXPECT_GT(selected, 1000u);
  EXPECT_GT(skipped, 100u);  // the check is not vacuous
}

TEST(ColumnstoreFilter, FloatOrderAsPostgres) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> v = {nan, -0.0, 0.0, 1.0, INFINITY, -INFINITY};
  DecodedColumn d = decode_column(encode_column(ColumnType::Float8, ColumnView::of_fixed(v.data(), v.size())),
                                  ColumnType::Float8);
  auto rows_of = [&](FilterOp op, double c) {
    BatchFilter f({FilterPredicate::cmp_float(0, ColumnType::Float8, op, c)});
    const DecodedColumn* p = &d;
    return f.evaluate(std::span(&p, 1))[0];
  };
  EXPECT_EQ(rows_of(FilterOp::Eq, nan), 0b000001u);
  EXPECT_EQ(rows_of(FilterOp::Ne, nan), 0b111110u);
  EXPECT_EQ(rows_of(FilterOp::Lt, nan), 0b111110u);
  EXPECT_EQ(rows_of(FilterOp::Ge, nan), 0b000001u);
  EXPECT_EQ(rows_of(FilterOp::Gt, nan), 0u);
  EXPECT_EQ(rows_of(FilterOp::Le, nan), 0b111111u);
  EXPECT_EQ(rows_of(FilterOp::Eq, 0.0), 0b000110u);  // -0 = 0
  EXPECT_EQ(rows_of(FilterOp::Gt, INFINITY), 0b000001u);  // NaN > Infinity
  EXPECT_EQ(rows_of(FilterOp::Ge, 1.0), 0b011001u);
  EXPECT_EQ(rows_of(FilterOp::Lt, 0.0), 0b100000u);
  EXPECT_EQ(rows_of(FilterOp::Ne, 1.0), 0b110111u);
}

TEST(ColumnstoreFilter, DictionaryFormEvaluatedPerEntry) {
  // 1,000 rows over 3 values: encoded as a dictionary, decoded as codes
  std::vector<std::string> s;
  const char* words[] = {"offline", "online", "error"};
  for (int r = 0; r < 1000; ++r) s.push_back(words[r % 3]);
  std::vector<std::string_view> v(s.begin(), s.end());
  DecodedColumn d = decode_column(encode_column(ColumnType::Varlen, ColumnView::of_varlen(v.data(), v.size())),
                                  ColumnType::Varlen);
  ASSERT_TRUE(d.dictionary_form());
  const DecodedColumn* p = &d;
  BatchFilter f({FilterPredicate::cmp_bytes(0, ColumnType::Varlen, FilterOp::Eq, "online")});
  std::vector<uint32_t> idx;
  EXPECT_EQ(selected_rows(f.evaluate(std::span(&p, 1)), idx), 333u);
  EXPECT_EQ(idx[0], 1u);
  EXPECT_EQ(idx[1], 4u);
  FilterPredicate in{0, ColumnType::Varlen, FilterOp::In, {}, {}, {"error", "nope", "offline"}};
  BatchFilter g({in});
  EXPECT_EQ(count_selected(g.evaluate(std::span(&p, 1))), 667u);
}

TEST(ColumnstoreFilter, SharedDictionaryEqualityByLookup) {
  // codes into an external dictionary of 600 ids: = and IN find their codes in its lookup table
  std::vector<std::string> ids;
  for (int i = 0; i < 600; ++i) ids.push_back("dev_" + std::to_string(100000 + i));
  std::vector<std::string_view> entries(ids.begin(), ids.end());
  const Dictionary dict = Dictionary::build(ColumnType::Varlen, entries);
  std::vector<std::string_view> v;
  for (int r = 0; r < 1000; ++r) v.push_back(entries[(r * 7) % 600]);
  EncodeOptions eo;
  eo.dictionary = &dict;
  DecodedColumn d = decode_column(encode_column(ColumnType::Varlen, ColumnView::of_varlen(v.data(), v.size()), eo),
                                  ColumnType::Varlen, &dict);
  ASSERT_TRUE(d.dictionary_form());
  ASSERT_EQ(d.external, &dict);
  const DecodedColumn* p = &d;
  std::vector<uint32_t> idx;
  BatchFilter eq({FilterPredicate::cmp_bytes(0, ColumnType::Varlen, FilterOp::Eq, "dev_100007")});
  EXPECT_EQ(selected_rows(eq.evaluate(std::span(&p, 1)), idx), 2u);  // rows 1 and 601
  EXPECT_EQ(idx[0], 1u);
  EXPECT_EQ(idx[1], 601u);
  BatchFilter none({FilterPredicate::cmp_bytes(0, ColumnType::Varlen, FilterOp::Eq, "dev_0")});
  EXPECT_EQ(count_selected(none.evaluate(std::span(&p, 1))), 0u);
  FilterPredicate in{0, ColumnType::Varlen, FilterOp::In, {}, {}, {"dev_100000", "nope", "dev_100007", "dev_100000"}};
  BatchFilter g({in});
  EXPECT_EQ(count_selected(g.evaluate(std::span(&p, 1))), 4u);  // rows 0, 600, 1, 601
  BatchFilter ne({FilterPredicate::cmp_bytes(0, ColumnType::Varlen, FilterOp::Ne, "dev_100007")});
  EXPECT_EQ(count_selected(ne.evaluate(std::span(&p, 1))), 998u);
}

TEST(ColumnstoreFilter, AppliedColumnsUseTheirMatches) {
  // column 0's predicate already applied elsewhere: its matches are ANDed in, not evaluated again
  std::vector<int64_t> a(130), b(130);
  for (int r = 0; r < 130; ++r) a[r] = r % 2, b[r] = r % 3;
  DecodedColumn da = decode_column(encode_column(ColumnType::Int64, ColumnView::of_fixed(a.data(), a.size())),
                                   ColumnType::Int64);
  DecodedColumn db = decode_column(encode_column(ColumnType::Int64, ColumnView::of_fixed(b.data(), b.size())),
                                   ColumnType::Int64);
  const DecodedColumn* cols[] = {&da, &db};
  BatchFilter f({FilterPredicate::cmp_int(0, ColumnType::Int64, FilterOp::Eq, 1),
                 FilterPredicate::cmp_int(1, ColumnType::Int64, FilterOp::Eq, 0)});
  EXPECT_EQ(count_selected(f.evaluate(cols)), 22u);  // odd multiples of 3 below 130
  std::vector<std::vector<uint64_t>> matches(2);
  matches[0] = {0x5, 0, 0};  // rows 0 and 2 (even: column 0's predicate would reject them)
  const std::vector<uint8_t> applied = {1, 0};
  std::vector<uint32_t> idx;
  EXPECT_EQ(selected_rows(f.evaluate(cols, applied, matches), idx), 1u);
  EXPECT_EQ(idx[0], 0u);
  matches[0] = {~uint64_t{0}};  // one word for 130 rows
  EXPECT_THROW(f.evaluate(cols, applied, matches), Error);
}

TEST(ColumnstoreFilter, BatchSkippingFromMinMax) {
  ColumnStats st;
  st.rows = 1000;
  st.null_count = 10;
  st.has_minmax = true;
  st.min_int = 100;
  st.max_int = 200;
  auto may = [&](FilterOp op, int64_t c) { return batch_may_match(st, FilterPredicate::cmp_int(0, ColumnType::Int64, op, c)); };
  EXPECT_FALSE(may(FilterOp::Eq, 99));
  EXPECT_TRUE(may(FilterOp::Eq, 100));
  EXPECT_FALSE(may(FilterOp::Lt, 100));
  EXPECT_TRUE(may(FilterOp::Le, 100));
  EXPECT_FALSE(may(FilterOp::Gt, 200));
  EXPECT_TRUE(may(FilterOp::Ge, 200));
  EXPECT_TRUE(may(FilterOp::Ne, 150));
  EXPECT_TRUE(batch_may_match(st, FilterPredicate::null_test(0, ColumnType::Int64, true)));
  st.min_int = st.max_int = 7;
  EXPECT_FALSE(may(FilterOp::Ne, 7));
  EXPECT_FALSE(batch_may_match(st, FilterPredicate{0, ColumnType::Int64, FilterOp::In, {1, 2, 8}, {}, {}}));
  EXPECT_TRUE(batch_may_match(st, FilterPredicate{0, ColumnType::Int64, FilterOp::In, {1, 7}, {}, {}}));
  st.null_count = 0;
  EXPECT_FALSE(batch_may_match(st, FilterPredicate::null_test(0, ColumnType::Int64, true)));
  st.null_count = st.rows;
  st.has_minmax = false;
  EXPECT_FALSE(may(FilterOp::Ne, 7));
  EXPECT_FALSE(batch_may_match(st, FilterPredicate::null_test(0, ColumnType::Int64, false)));
  // floats: a NaN the statistics do not show matches x > c
  ColumnStats fs;
  fs.rows = 10;
  fs.has_minmax = true;
  fs.min_float = 1;
  fs.max_float = 2;
  const auto gt5 = FilterPredicate::cmp_float(0, ColumnType::Float8, FilterOp::Gt, 5);
  EXPECT_TRUE(batch_may_match(fs, gt5));
  EXPECT_FALSE(batch_may_match(fs, gt5, /*may_have_nan=*/false));
  EXPECT_FALSE(batch_may_match(fs, FilterPredicate::cmp_float(0, ColumnType::Float8, FilterOp::Lt, 1)));
  fs.has_minmax = false;  // every value NaN
  EXPECT_TRUE(batch_may_match(fs, gt5, false));
  EXPECT_FALSE(batch_may_match(fs, FilterPredicate::cmp_float(0, ColumnType::Float8, FilterOp::Lt, 5), false));
  // bytes
  ColumnStats bs;
  bs.rows = 3;
  bs.has_minmax = true;
  bs.min_bytes = "b";
  bs.max_bytes = "d";
  EXPECT_FALSE(batch_may_match(bs, FilterPredicate::cmp_bytes(0, ColumnType::Varlen, FilterOp::Eq, "a")));
  EXPECT_TRUE(batch_may_match(bs, FilterPredicate::cmp_bytes(0, ColumnType::Varlen, FilterOp::Eq, "c")));
  EXPECT_FALSE(batch_may_match(bs, FilterPredicate::cmp_bytes(0, ColumnType::Varlen, FilterOp::Gt, "d")));
  EXPECT_TRUE(batch_may_match(bs, FilterPredicate::cmp_bytes(0, ColumnType::Varlen, FilterOp::Gt, "c\xff")));
}

TEST(ColumnstoreFilter, BadPredicatesRefused) {
  using V = std::vector<FilterPredicate>;
  EXPECT_THROW(BatchFilter(V{{0, ColumnType::Int64, FilterOp::Eq, {}, {}, {}}}), Error);
  EXPECT_THROW(BatchFilter(V{{0, ColumnType::Int64, FilterOp::Eq, {1, 2}, {}, {}}}), Error);
  EXPECT_THROW(BatchFilter(V{{0, ColumnType::Int64, FilterOp::Eq, {}, {1.0}, {}}}), Error);
  EXPECT_THROW(BatchFilter(V{{0, ColumnType::Int64, FilterOp::In, {}, {}, {}}}), Error);
  EXPECT_THROW(BatchFilter(V{FilterPredicate::cmp_bytes(0, ColumnType::Uuid, FilterOp::Eq, "short")}), Error);
  BatchFilter f({FilterPredicate::cmp_int(1, ColumnType::Int64, FilterOp::Eq, 1)});
  const int64_t x = 1;
  DecodedColumn d = decode_column(encode_column(ColumnType::Int64, ColumnView::of_fixed(&x, 1)), ColumnType::Int64);
  const DecodedColumn* one[] = {&d};
  EXPECT_THROW(f.evaluate(one), Error);  // column 1 missing
  BatchFilter g({FilterPredicate::cmp_int(0, ColumnType::Int32, FilterOp::Eq, 1)});
  EXPECT_THROW(g.evaluate(one), Error);  // wrong type
}
