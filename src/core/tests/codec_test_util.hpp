// Shared helpers for the codec tests: typed column builders and bit-exact comparison.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "codec/codec.hpp"

namespace strata::core::codec::testing {

// A column under test: rows, optional validity, fixed bytes or strings.
struct TestColumn {
  ColumnType type = ColumnType::Int64;
  size_t rows = 0;
  std::vector<uint8_t> validity;  // empty = no nulls
  std::vector<uint8_t> fixed;
  std::vector<std::string> strings;
  std::vector<std::string_view> views;

  bool valid(size_t i) const { return validity.empty() || ((validity[i >> 3] >> (i & 7)) & 1); }
  ColumnView view() {
    views.assign(strings.begin(), strings.end());
    ColumnView v;
    v.rows = rows;
    v.validity = validity.empty() ? nullptr : validity.data();
    if (type == ColumnType::Varlen)
      v.varlen = views.data();
    else
      v.fixed = fixed.data();
    return v;
  }
  void set_nulls(const std::vector<bool>& is_null) {
    validity.assign((rows + 7) / 8, 0);
    for (size_t i = 0; i < rows; ++i)
      if (!is_null[i]) validity[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
  }
};

template <class T>
TestColumn make_fixed(ColumnType type, const std::vector<T>& v) {
  TestColumn c;
  c.type = type;
  c.rows = v.size();
  c.fixed.resize(v.size() * sizeof(T));
  if (!v.empty()) std::memcpy(c.fixed.data(), v.data(), c.fixed.size());
  return c;
}

inline TestColumn make_strings(const std::vector<std::string>& v) {
  TestColumn c;
  c.type = ColumnType::Varlen;
  c.rows = v.size();
  c.strings = v;
  return c;
}

// Checks decode(encode(c)) == c bit for bit (NULL slots: zero / empty).
inline void expect_same(const TestColumn& c, const DecodedColumn& d) {
  ASSERT_EQ(d.rows, c.rows);
  size_t nulls = 0;
  for (size_t i = 0; i < c.rows; ++i) nulls += !c.valid(i);
  ASSERT_EQ(d.null_count, nulls);
  ASSERT_EQ(d.type, c.type);
  // the documented shape, and nothing left over (decode_column_into reuses objects)
  ASSERT_EQ(d.validity.size(), nulls ? (c.rows + 7) / 8 : 0);
  const size_t w = fixed_width(c.type);
  if (c.type == ColumnType::Varlen) {
    ASSERT_TRUE(d.fixed.empty());
    if (d.dictionary_form()) {
      ASSERT_EQ(d.codes.size(), c.rows);
      ASSERT_TRUE(d.offsets.empty() && d.data.empty());
      ASSERT_EQ(d.external == nullptr, !d.dict_offsets.empty());
    } else {
      ASSERT_EQ(d.offsets.size(), c.rows + 1);
      ASSERT_TRUE(d.dict_offsets.empty() && d.dict_data.empty() && d.external == nullptr);
      ASSERT_EQ(d.offsets.back(), d.data.size());
    }
  } else {
    ASSERT_EQ(d.fixed.size(), c.rows * w);
    ASSERT_TRUE(d.offsets.empty() && d.data.empty() && d.codes.empty() && d.dict_offsets.empty());
  }
  for (size_t i = 0; i < c.rows; ++i) {
    ASSERT_EQ(d.is_null(i), !c.valid(i)) << "row " << i;
    if (!c.valid(i)) {  // NULL rows hold zero / empty values
      if (c.type != ColumnType::Varlen) {
        for (size_t b = 0; b < w; ++b) ASSERT_EQ(d.fixed[i * w + b], 0) << "row " << i;
      } else if (d.dictionary_form()) {
        ASSERT_EQ(d.codes[i], 0u) << "row " << i;
      } else {
        ASSERT_EQ(d.offsets[i + 1], d.offsets[i]) << "row " << i;
      }
      continue;
    }
    if (c.type == ColumnType::Varlen) {
      ASSERT_EQ(d.string_at(i), c.strings[i]) << "row " << i;
    } else {
      ASSERT_EQ(0, std::memcmp(d.fixed.data() + i * w, c.fixed.data() + i * w, w)) << "row " << i;
    }
  }
}

// Checks decode_selected_rows of `sel` against the whole decode `full` of blob: false (`out`
// untouched) exactly for a column with NULLs, a Uuid column or a string codec without random
// access; otherwise as many rows as `sel` selects, row j the j-th selected row's value, no NULLs.
inline void expect_selected_dense(const std::vector<uint8_t>& blob, ColumnType type, const Dictionary* dict,
                                  const DecodedColumn& full, const std::vector<uint64_t>& sel, DecodedColumn& out) {
  const ColumnInfo info = inspect_column(blob);
  const bool expected = info.null_count == 0 && type != ColumnType::Uuid &&
                        (type != ColumnType::Varlen || info.codec == Codec::Dictionary ||
                         info.codec == Codec::ExtDictionary || info.codec == Codec::VarPlain);
  out.rows = 12345;  // (untouched when it declines)
  bool dense = false;
  ASSERT_NO_THROW(dense = decode_selected_rows(blob, type, out, sel, dict));
  ASSERT_EQ(dense, expected);
  if (!dense) {
    ASSERT_EQ(out.rows, 12345u);
    return;
  }
  std::vector<size_t> picked;
  for (size_t i = 0; i < full.rows; ++i)
    if ((sel[i >> 6] >> (i & 63)) & 1) picked.push_back(i);
  ASSERT_EQ(out.rows, picked.size());
  ASSERT_EQ(out.null_count, 0u);
  ASSERT_TRUE(out.validity.empty());
  const size_t w = fixed_width(type);
  if (type != ColumnType::Varlen) {
    ASSERT_EQ(out.fixed.size(), picked.size() * w);
  } else if (out.dictionary_form()) {
    ASSERT_EQ(out.codes.size(), picked.size());
  } else {
    ASSERT_EQ(out.offsets.size(), picked.size() + 1);
  }
  for (size_t j = 0; j < picked.size(); ++j) {
    if (type == ColumnType::Varlen) {
      ASSERT_EQ(out.string_at(j), full.string_at(picked[j])) << "selected row " << j;
    } else {
      ASSERT_EQ(std::memcmp(out.fixed.data() + j * w, full.fixed.data() + picked[j] * w, w), 0) << "selected row " << j;
    }
  }
}

// Checks decode_column_rows_into against the whole decode `full` of blob for a few selections
// (none, every row, every 7th, about 1 in 50, the last row): the same rows, NULLs and validity;
// each selected row's value; every other row its value or zero / empty. `reused` is decoded into each time.
// Then decode_selected_rows at the same selections (expect_selected_dense).
inline void expect_selected_rows(const std::vector<uint8_t>& blob, ColumnType type, const Dictionary* dict,
                                 const DecodedColumn& full, DecodedColumn& reused, std::mt19937_64& rng) {
  const size_t n = full.rows, words = (n + 63) / 64;
  for (int form = 0; form < 5; ++form) {
    std::vector<uint64_t> sel(words, 0);
    for (size_t i = 0; i < n; ++i) {
      const bool on = form == 1 || (form == 2 && i % 7 == 3) || (form == 3 && rng() % 50 == 0) || (form == 4 && i + 1 == n);
      if (on) sel[i >> 6] |= uint64_t{1} << (i & 63);
    }
    SCOPED_TRACE("selection form " + std::to_string(form));
    ASSERT_NO_THROW(decode_column_rows_into(blob, type, reused, sel, dict));
    ASSERT_EQ(reused.rows, n);
    ASSERT_EQ(reused.null_count, full.null_count);
    ASSERT_EQ(reused.validity, full.validity);
    const size_t w = fixed_width(type);
    if (type == ColumnType::Varlen && !reused.dictionary_form()) {
      ASSERT_EQ(reused.offsets.size(), n + 1);
    }
    if (type != ColumnType::Varlen) {
      ASSERT_EQ(reused.fixed.size(), n * w);
    }
    for (size_t i = 0; i < n; ++i) {
      const bool on = (sel[i >> 6] >> (i & 63)) & 1;
      ASSERT_EQ(reused.is_null(i), full.is_null(i)) << "row " << i;
      if (type == ColumnType::Varlen) {
        const std::string_view v = reused.string_at(i);
        const bool blank = reused.dictionary_form() ? reused.codes[i] == 0 : v.empty();
        if (on || !blank) {
          ASSERT_EQ(v, full.string_at(i)) << "row " << i;
        }
      } else {
        const std::vector<uint8_t> zero(w, 0);
        const bool same = std::memcmp(reused.fixed.data() + i * w, full.fixed.data() + i * w, w) == 0;
        ASSERT_TRUE(same || (!on && std::memcmp(reused.fixed.data() + i * w, zero.data(), w) == 0)) << "row " << i;
      }
    }
    expect_selected_dense(blob, type, dict, full, sel, reused);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace strata::core::codec::testing
