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

}  // namespace strata::core::codec::testing
