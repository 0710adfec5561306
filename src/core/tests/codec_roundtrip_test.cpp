// Round-trip property tests: random and adversarial columns of every type through every codec
// (forced and automatic), with and without zstd, and predicate / aggregate results checked
// against a naive evaluation of the decoded rows.
#include <gtest/gtest.h>

#include <map>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "codec/bitpack.hpp"
#include "codec/bitstream.hpp"
#include "codec/codec.hpp"
#include "codec_test_util.hpp"
#include "error.hpp"

using namespace strata::core;
using namespace strata::core::codec;
using namespace strata::core::codec::testing;

namespace {

std::vector<Codec> codecs_for(ColumnType t) {
  switch (t) {
    case ColumnType::Float4:
    case ColumnType::Float8:
      return {Codec::Auto, Codec::Alp, Codec::FloatXor, Codec::Plain, Codec::ByteSplit, Codec::Constant};
    case ColumnType::Varlen:
      return {Codec::Auto, Codec::Dictionary, Codec::UuidText, Codec::VarPlain, Codec::ExtDictionary, Codec::Constant};
    case ColumnType::Uuid:
      return {Codec::Auto, Codec::Dictionary, Codec::Plain, Codec::ExtDictionary, Codec::Constant};
    default:
      return {Codec::Auto, Codec::Integer, Codec::Constant};
  }
}

int64_t value_as_int(const TestColumn& c, size_t i) {
  switch (c.type) {
    case ColumnType::Int16: { int16_t x; std::memcpy(&x, c.fixed.data() + 2 * i, 2); return x; }
    case ColumnType::Int32: case ColumnType::Date: { int32_t x; std::memcpy(&x, c.fixed.data() + 4 * i, 4); return x; }
    case ColumnType::Bool: return c.fixed[i];
    default: { int64_t x; std::memcpy(&x, c.fixed.data() + 8 * i, 8); return x; }
  }
}

double value_as_double(const TestColumn& c, size_t i) {
  if (c.type == ColumnType::Float4) { float f; std::memcpy(&f, c.fixed.data() + 4 * i, 4); return f; }
  double d; std::memcpy(&d, c.fixed.data() + 8 * i, 8); return d;
}

std::string value_as_bytes(const TestColumn& c, size_t i) {
  if (c.type == ColumnType::Uuid) return std::string(reinterpret_cast<const char*>(c.fixed.data()) + 16 * i, 16);
  return c.strings[i];
}

bool is_int_like(ColumnType t) {
  return t != ColumnType::Float4 && t != ColumnType::Float8 && t != ColumnType::Uuid && t != ColumnType::Varlen;
}

void check_predicates(TestColumn& c, const std::vector<uint8_t>& blob, const Dictionary* dict, std::mt19937_64& rng) {
  if (c.rows == 0) return;
  const CmpOp ops[] = {CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge};
  // pick a constant from the data (or arbitrary) for each op
  for (CmpOp op : ops) {
    size_t pick = rng() % c.rows;
    Predicate p;
    p.op = op;
    if (is_int_like(c.type)) p.int_value = static_cast<int64_t>(static_cast<uint64_t>(value_as_int(c, pick)) + rng() % 3 - 1);
    else if (c.type == ColumnType::Float4 || c.type == ColumnType::Float8) p.float_value = value_as_double(c, pick);
    else p.bytes_value = value_as_bytes(c, pick);
    std::vector<uint64_t> got = evaluate_predicate(blob, c.type, p, dict);
    ASSERT_EQ(got.size(), (c.rows + 63) / 64);
    for (size_t i = 0; i < c.rows; ++i) {
      bool expect = false;
      if (c.valid(i)) {
        if (is_int_like(c.type)) {
          int64_t a = value_as_int(c, i), k = p.int_value;
          switch (op) {
            case CmpOp::Eq: expect = a == k; break;
            case CmpOp::Ne: expect = a != k; break;
            case CmpOp::Lt: expect = a < k; break;
            case CmpOp::Le: expect = a <= k; break;
            case CmpOp::Gt: expect = a > k; break;
            case CmpOp::Ge: expect = a >= k; break;
          }
        } else if (c.type == ColumnType::Float4 || c.type == ColumnType::Float8) {
          double a = value_as_double(c, i), k = p.float_value;
          switch (op) {
            case CmpOp::Eq: expect = a == k; break;
            case CmpOp::Ne: expect = a != k && !std::isnan(a) && !std::isnan(k); break;
            case CmpOp::Lt: expect = a < k; break;
            case CmpOp::Le: expect = a <= k; break;
            case CmpOp::Gt: expect = a > k; break;
            case CmpOp::Ge: expect = a >= k; break;
          }
        } else {
          int x = value_as_bytes(c, i).compare(p.bytes_value);
          switch (op) {
            case CmpOp::Eq: expect = x == 0; break;
            case CmpOp::Ne: expect = x != 0; break;
            case CmpOp::Lt: expect = x < 0; break;
            case CmpOp::Le: expect = x <= 0; break;
            case CmpOp::Gt: expect = x > 0; break;
            case CmpOp::Ge: expect = x >= 0; break;
          }
        }
      }
      ASSERT_EQ(((got[i >> 6] >> (i & 63)) & 1) != 0, expect) << "row " << i << " op " << int(op);
    }
  }
}

void check_aggregates(const TestColumn& c, const std::vector<uint8_t>& blob) {
  if (c.type == ColumnType::Uuid || c.type == ColumnType::Varlen) return;
  Aggregates a = aggregate_column(blob, c.type);
  uint64_t count = 0;
  if (is_int_like(c.type)) {
    int64_t mn = 0, mx = 0;
    __int128 sum = 0;
    for (size_t i = 0; i < c.rows; ++i) {
      if (!c.valid(i)) continue;
      int64_t v = value_as_int(c, i);
      if (count == 0 || v < mn) mn = v;
      if (count == 0 || v > mx) mx = v;
      sum += v;
      ++count;
    }
    ASSERT_EQ(a.count, count);
    if (count) {
      ASSERT_EQ(a.min_int, mn);
      ASSERT_EQ(a.max_int, mx);
      ASSERT_TRUE(a.sum_int == sum);
    }
  } else {
    for (size_t i = 0; i < c.rows; ++i) count += c.valid(i);
    ASSERT_EQ(a.count, count);
  }
}

// Encodes c with every applicable codec, with and without zstd, and checks everything.
DecodedColumn g_reused;  // decode_column_into target shared by all round trips

void roundtrip_all(TestColumn& c, std::mt19937_64& rng, bool with_predicates = true) {
  std::vector<std::string_view> dict_values;
  for (size_t i = 0; i < c.rows; ++i) {
    if (!c.valid(i)) continue;
    if (c.type == ColumnType::Varlen) dict_values.push_back(c.strings[i]);
    if (c.type == ColumnType::Uuid)
      dict_values.emplace_back(reinterpret_cast<const char*>(c.fixed.data()) + 16 * i, 16);
  }
  Dictionary dict;
  if (c.type == ColumnType::Varlen || c.type == ColumnType::Uuid) {
    dict = Dictionary::build(c.type, dict_values);
    // and through its serialized form
    dict = Dictionary::deserialize(dict.serialize());
  }
  for (Codec codec : codecs_for(c.type)) {
    for (bool z : {false, true}) {
      EncodeOptions o;
      o.force_codec = codec;
      o.allow_zstd = z;
      if (codec == Codec::ExtDictionary || (codec == Codec::Auto && (rng() & 1))) o.dictionary = c.type == ColumnType::Varlen || c.type == ColumnType::Uuid ? &dict : nullptr;
      ColumnStats st;
      std::vector<uint8_t> blob;
      bool all_null = true;
      for (size_t i = 0; i < c.rows; ++i) all_null &= !c.valid(i);
      if (all_null && codec != Codec::Auto) {
        // forced codecs on an all-null column fall back to AllNull
      }
      if (codec == Codec::Constant) {
        bool constant = true;
        size_t first = SIZE_MAX;
        for (size_t i = 0; i < c.rows; ++i) {
          if (!c.valid(i)) continue;
          if (first == SIZE_MAX) first = i;
          else if (c.type == ColumnType::Varlen ? c.strings[i] != c.strings[first]
                   : std::memcmp(&c.fixed[i * fixed_width(c.type)], &c.fixed[first * fixed_width(c.type)], fixed_width(c.type)) != 0)
            constant = false;
        }
        if (!constant) {
          EXPECT_THROW(encode_column(c.type, c.view(), o, &st), Error);
          continue;
        }
      }
      ASSERT_NO_THROW(blob = encode_column(c.type, c.view(), o, &st)) << codec_name(codec);
      SCOPED_TRACE(std::string("codec=") + codec_name(codec) + " chosen=" + codec_name(st.codec) +
                   " zstd=" + std::to_string(z) + " rows=" + std::to_string(c.rows));
      ColumnInfo info = inspect_column(blob);
      ASSERT_EQ(info.rows, c.rows);
      ASSERT_EQ(info.codec, st.codec);
      ASSERT_EQ(info.null_count, st.null_count);
      if (!all_null && codec != Codec::Auto) {
        ASSERT_EQ(st.codec, codec);
      }
      const Dictionary* dp = st.codec == Codec::ExtDictionary ? &dict : nullptr;
      DecodedColumn d = decode_column(blob, c.type, dp);
      expect_same(c, d);
      // and into a column object reused across every round trip of the test binary, so it holds
      // whatever type, form and size the previous decode left
      decode_column_into(blob, c.type, g_reused, dp);
      expect_same(c, g_reused);
      expect_selected_rows(blob, c.type, dp, d, g_reused, rng);
      if (::testing::Test::HasFatalFailure()) return;
      if (c.type == ColumnType::Varlen) {
        DecodeOptions mo;
        mo.materialize_strings = true;
        DecodedColumn dm = decode_column(blob, c.type, dp, mo);
        ASSERT_FALSE(dm.dictionary_form());
        expect_same(c, dm);
        decode_column_into(blob, c.type, g_reused, dp, mo);
        ASSERT_FALSE(g_reused.dictionary_form());
        expect_same(c, g_reused);
      }
      if (with_predicates) {
        check_predicates(c, blob, dp, rng);
        check_aggregates(c, blob);
      }
    }
  }
}

TestColumn random_ints(ColumnType t, size_t n, std::mt19937_64& rng, int shape) {
  std::vector<int64_t> v(n);
  int64_t x = static_cast<int64_t>(rng());
  for (size_t i = 0; i < n; ++i) {
    switch (shape) {
      case 0: v[i] = static_cast<int64_t>(rng()); break;                       // full range
      case 1: v[i] = static_cast<int64_t>(rng() % 7) - 3; break;              // tiny
      case 2: x += 10000000; v[i] = x; break;                                 // regular steps
      case 3: x += (rng() % 2) * 1000000; v[i] = x; break;                    // 0/1 s steps
      case 4: v[i] = (i / 100) % 3; break;                                    // runs
      case 5: v[i] = (rng() % 50 == 0) ? static_cast<int64_t>(rng()) : static_cast<int64_t>(rng() % 16); break;  // outliers
      case 6: v[i] = (i % 2) ? INT64_MIN : INT64_MAX; break;                   // extremes
      case 7: v[i] = static_cast<int64_t>(rng() % 1000) * 86400; break;        // common factor
      case 9: v[i] = rng() % 10 < 7 ? 5 : static_cast<int64_t>(rng() % 12); break;  // skewed: bitmap exceptions
      case 10: v[i] = static_cast<int64_t>((i % 37) * 7919 % 101); break;    // periodic: LZ
      case 11:                                                                // periodic, wide, with drops
        if (i > 0 && rng() % 50 == 0) { v[i] = v[i - 1]; break; }
        v[i] = static_cast<int64_t>(((i % 23) + 1) * 0x9E3779B97F4A7C15ull);
        break;
      default: v[i] = 42;
    }
  }
  TestColumn c;
  c.type = t;
  c.rows = n;
  const size_t w = fixed_width(t);
  c.fixed.resize(n * w);
  for (size_t i = 0; i < n; ++i) {
    int64_t y = v[i];
    if (t == ColumnType::Bool) y = static_cast<int64_t>(static_cast<uint64_t>(y) & 1);
    if (w == 2) { int16_t z = static_cast<int16_t>(y); std::memcpy(&c.fixed[2 * i], &z, 2); }
    else if (w == 4) { int32_t z = static_cast<int32_t>(y); std::memcpy(&c.fixed[4 * i], &z, 4); }
    else if (w == 1) c.fixed[i] = static_cast<uint8_t>(y);
    else std::memcpy(&c.fixed[8 * i], &y, 8);
  }
  return c;
}

void maybe_nulls(TestColumn& c, std::mt19937_64& rng, int mode) {
  if (mode == 0) return;
  std::vector<bool> isnull(c.rows);
  for (size_t i = 0; i < c.rows; ++i) {
    if (mode == 1) isnull[i] = rng() % 10 == 0;
    else if (mode == 2) isnull[i] = rng() % 10 != 0;
    else if (mode == 3) isnull[i] = true;
    else isnull[i] = (i / 37) % 2;
  }
  c.set_nulls(isnull);
}

const size_t kSizes[] = {0, 1, 2, 63, 64, 65, 999, 1000, 1001, 4097};

}  // namespace

TEST(CodecRoundTrip, IntegerTypesAllShapesAndNulls) {
  std::mt19937_64 rng(1);
  for (ColumnType t : {ColumnType::Int16, ColumnType::Int32, ColumnType::Int64, ColumnType::Timestamp,
                       ColumnType::Date, ColumnType::Bool}) {
    for (size_t n : kSizes) {
      for (int shape = 0; shape < 12; ++shape) {
        for (int nulls : {0, 1, 3, 4}) {
          if (n > 1000 && (shape % 3) != 0) continue;
          TestColumn c = random_ints(t, n, rng, shape);
          maybe_nulls(c, rng, nulls);
          SCOPED_TRACE(std::string(type_name(t)) + " n=" + std::to_string(n) + " shape=" + std::to_string(shape) +
                       " nulls=" + std::to_string(nulls));
          roundtrip_all(c, rng);
          if (HasFatalFailure()) return;
        }
      }
    }
  }
}

TEST(CodecRoundTrip, FloatCornerCases) {
  std::mt19937_64 rng(2);
  const double specials[] = {0.0, -0.0, std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::min(),
                             std::numeric_limits<double>::max(), -std::numeric_limits<double>::max(),
                             1e300, 0.1, 0.3, 123.45, 9007199254740993.0, -1.5};
  for (size_t n : kSizes) {
    for (int shape = 0; shape < 5; ++shape) {
      for (int nulls : {0, 1, 3}) {
        std::vector<double> v(n);
        double walk = 50;
        for (size_t i = 0; i < n; ++i) {
          switch (shape) {
            case 0: { uint64_t b = rng(); std::memcpy(&v[i], &b, 8); break; }  // any bits incl. NaN payloads
            case 1: walk += static_cast<double>(static_cast<int>(rng() % 5) - 2); v[i] = walk; break;
            case 2: v[i] = static_cast<double>(rng() % 100000) / 100.0; break;
            case 3: v[i] = specials[rng() % std::size(specials)]; break;
            default: v[i] = std::sin(static_cast<double>(i)) * 1000; break;
          }
        }
        TestColumn c = make_fixed(ColumnType::Float8, v);
        maybe_nulls(c, rng, nulls);
        SCOPED_TRACE("float8 n=" + std::to_string(n) + " shape=" + std::to_string(shape));
        roundtrip_all(c, rng);
        if (HasFatalFailure()) return;
        std::vector<float> f(n);
        for (size_t i = 0; i < n; ++i) f[i] = static_cast<float>(v[i]);
        if (shape == 0)
          for (size_t i = 0; i < n; ++i) { uint32_t b = static_cast<uint32_t>(rng()); std::memcpy(&f[i], &b, 4); }
        TestColumn cf = make_fixed(ColumnType::Float4, f);
        maybe_nulls(cf, rng, nulls);
        SCOPED_TRACE("float4");
        roundtrip_all(cf, rng);
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST(CodecRoundTrip, NaNPayloadsAndSignedZeroAreBitExact) {
  std::vector<uint64_t> bits = {0x7ff8000000000001ull, 0xfff0000000000123ull, 0x8000000000000000ull, 0,
                                0x0000000000000001ull, 0x7ff0000000000000ull, 0x7ff4000000000000ull};
  std::vector<double> v(bits.size());
  std::memcpy(v.data(), bits.data(), bits.size() * 8);
  TestColumn c = make_fixed(ColumnType::Float8, v);
  std::mt19937_64 rng(3);
  roundtrip_all(c, rng);
}

TEST(CodecRoundTrip, StringsCornerCases) {
  std::mt19937_64 rng(4);
  const std::string lower_hex = "0123456789abcdef", upper_hex = "0123456789ABCDEF";
  auto uuid_text = [&](bool upper) {
    const std::string& digits = upper ? upper_hex : lower_hex;
    std::string s;
    for (int i = 0; i < 32; ++i) {
      if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
      s += digits[static_cast<size_t>(rng() % 16)];
    }
    return s;
  };
  for (size_t n : kSizes) {
    for (int shape = 0; shape < 6; ++shape) {
      for (int nulls : {0, 1, 3, 4}) {
        std::vector<std::string> v(n);
        for (size_t i = 0; i < n; ++i) {
          switch (shape) {
            case 0: v[i] = std::string(rng() % 20, static_cast<char>('a' + rng() % 26)); break;
            case 1: { static const char* st[] = {"online", "offline", "error", "", "maintenance"}; v[i] = st[rng() % 5]; break; }
            case 2: v[i] = rng() % 10 == 0 ? uuid_text(true) : uuid_text(false); break;  // UUIDs, some upper-case
            case 3: {  // embedded zeros, odd near-UUIDs, empty
              int k = static_cast<int>(rng() % 4);
              if (k == 0) v[i] = std::string("a\0b\0", 4);
              else if (k == 1) v[i] = uuid_text(false).substr(0, 35) + "g";
              else if (k == 2) v[i] = "";
              else v[i] = "{" + uuid_text(false) + "}";
              break;
            }
            case 4: v[i] = std::string(static_cast<size_t>(rng() % (n > 1001 ? 50 : 3000)), static_cast<char>(rng())); break;  // long
            default: v[i] = "dev-" + std::to_string(i % 13); break;
          }
        }
        TestColumn c = make_strings(v);
        maybe_nulls(c, rng, nulls);
        SCOPED_TRACE("varlen n=" + std::to_string(n) + " shape=" + std::to_string(shape));
        roundtrip_all(c, rng);
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST(CodecRoundTrip, UuidType) {
  std::mt19937_64 rng(5);
  for (size_t n : kSizes) {
    for (int shape = 0; shape < 2; ++shape) {
      for (int nulls : {0, 1, 3}) {
        TestColumn c;
        c.type = ColumnType::Uuid;
        c.rows = n;
        c.fixed.resize(16 * n);
        for (size_t i = 0; i < n; ++i) {
          uint64_t a = shape == 0 ? rng() : (i % 7), b = shape == 0 ? rng() : 99;
          std::memcpy(&c.fixed[16 * i], &a, 8);
          std::memcpy(&c.fixed[16 * i + 8], &b, 8);
        }
        maybe_nulls(c, rng, nulls);
        SCOPED_TRACE("uuid n=" + std::to_string(n));
        roundtrip_all(c, rng);
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST(CodecRoundTrip, RandomFuzzishColumns) {
  std::mt19937_64 rng(6);
  for (int iter = 0; iter < 300; ++iter) {
    size_t n = rng() % 1500;
    ColumnType t = static_cast<ColumnType>(1 + rng() % 10);
    TestColumn c;
    if (t == ColumnType::Varlen) {
      std::vector<std::string> v(n);
      size_t card = 1 + rng() % 40;
      for (size_t i = 0; i < n; ++i) {
        v[i] = std::to_string(rng() % card);
        v[i].append(rng() % 3, 'x');
      }
      c = make_strings(v);
    } else {
      c.type = t;
      c.rows = n;
      c.fixed.resize(n * fixed_width(t));
      int mode = static_cast<int>(rng() % 3);
      for (size_t i = 0; i < c.fixed.size(); ++i) c.fixed[i] = static_cast<uint8_t>(mode == 0 ? rng() : (mode == 1 ? rng() % 3 : (i % fixed_width(t) == 0 ? i / 37 : 0)));
      if (t == ColumnType::Bool)
        for (auto& b : c.fixed) b &= 1;
    }
    maybe_nulls(c, rng, static_cast<int>(rng() % 5));
    SCOPED_TRACE("iter " + std::to_string(iter) + " type " + type_name(t));
    roundtrip_all(c, rng, iter % 4 == 0);
    if (HasFatalFailure()) return;
  }
}

// The version-2 integer kinds pay where version 1 could only bit-pack every value: a skewed
// column (exception bitmap) and a periodic one (LZ).
TEST(CodecApi, SkewedAndPeriodicBlocksBeatPlainPacking) {
  std::mt19937_64 rng(7);
  std::vector<int64_t> skewed(1000), periodic(1000);
  for (size_t i = 0; i < 1000; ++i) {
    skewed[i] = rng() % 10 < 7 ? 0 : 1 + static_cast<int64_t>(rng() % 11);  // 4-bit packing: 500+ bytes
    periodic[i] = static_cast<int64_t>((i % 41) * 2654435761u % 65536);     // 16-bit packing: 2000+ bytes
  }
  for (int64_t& x : periodic)
    if (rng() % 60 == 0) x = 1;  // occasional breaks
  EncodeOptions o;
  o.allow_zstd = false;
  auto size_of = [&](const std::vector<int64_t>& v) {
    TestColumn c = make_fixed(ColumnType::Int64, v);
    auto blob = encode_column(ColumnType::Int64, c.view(), o);
    expect_same(c, decode_column(blob, ColumnType::Int64));
    return blob.size();
  };
  EXPECT_LT(size_of(skewed), 330u);
  EXPECT_LT(size_of(periodic), 700u);
  // text codes too: a batch-local dictionary of 12 values, 70% one of them, repeating per cycle
  std::vector<std::string> s(1000);
  for (size_t i = 0; i < 1000; ++i) s[i] = std::string(1, 'v').append(std::to_string((i % 97) % 10 < 7 ? 0 : (i % 97) % 12));
  TestColumn c = make_strings(s);
  auto blob = encode_column(ColumnType::Varlen, c.view(), o);
  EXPECT_EQ(inspect_column(blob).codec, Codec::Dictionary);
  EXPECT_LT(blob.size(), 120u);
  expect_same(c, decode_column(blob, ColumnType::Varlen));
}

// int16/int32/date/bool columns and dictionary codes decode straight into the narrow type; every
// block shape must still refuse a value the type cannot hold (here: int64 encodings relabelled
// as int32 or bool columns), with data_corrupted, never a silent truncation.
TEST(CodecApi, NarrowTypesRejectOutOfRangeValuesInEveryBlockShape) {
  std::mt19937_64 rng(11);
  const int64_t big = int64_t{1} << 31;  // INT32_MAX + 1
  std::map<std::string, std::vector<int64_t>> shapes;
  std::vector<int64_t> table(29);
  for (int64_t& t : table) t = static_cast<int64_t>(rng() % (int64_t{1} << 35));
  for (int i = 0; i < 400; ++i) {
    shapes["constant"].push_back(big);
    shapes["for_checked"].push_back(big - 3 + static_cast<int64_t>(rng() % 7));  // base in range, top not
    shapes["for_wide"].push_back(static_cast<int64_t>(rng() % (int64_t{1} << 40)));
    shapes["rle"].push_back((i / 50) * (int64_t{1} << 30));
    shapes["forbm"].push_back(rng() % 10 < 7 ? 0 : static_cast<int64_t>(rng() % (int64_t{1} << 33)));
    shapes["lz"].push_back(table[static_cast<size_t>(i % 29)]);
  }
  const std::map<std::string, int> kind = {{"for_checked", 1}, {"rle", 3}, {"forbm", 4}, {"lz", 5}};
  EncodeOptions o;
  o.allow_zstd = false;
  for (auto& [name, v] : shapes) {
    SCOPED_TRACE(name);
    TestColumn c = make_fixed(ColumnType::Int64, v);
    std::vector<uint8_t> blob = encode_column(ColumnType::Int64, c.view(), o);
    expect_same(c, decode_column(blob, ColumnType::Int64));
    if (kind.count(name)) {
      ASSERT_EQ(blob[4], kind.at(name)) << "the block shape under test";  // after the 4-byte header
    }
    for (ColumnType narrow : {ColumnType::Int32, ColumnType::Bool}) {
      std::vector<uint8_t> relabelled = blob;
      relabelled[1] = static_cast<uint8_t>(static_cast<uint8_t>(narrow) << 4 | (blob[1] & 15));
      try {
        decode_column(relabelled, narrow);
        ADD_FAILURE() << "accepted out-of-range values as " << type_name(narrow);
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::data_corrupted) << e.what();
      }
    }
  }
}

TEST(CodecApi, StatsComputedDuringEncoding) {
  std::vector<int64_t> v = {5, -3, 9, 100, 7};
  TestColumn c = make_fixed(ColumnType::Int64, v);
  c.set_nulls({false, false, false, true, false});
  ColumnStats st;
  encode_column(c.type, c.view(), {}, &st);
  EXPECT_EQ(st.null_count, 1u);
  EXPECT_TRUE(st.has_minmax);
  EXPECT_EQ(st.min_int, -3);
  EXPECT_EQ(st.max_int, 9);

  std::vector<double> f = {1.5, std::nan(""), -2.25};
  TestColumn cf = make_fixed(ColumnType::Float8, f);
  encode_column(cf.type, cf.view(), {}, &st);
  EXPECT_EQ(st.min_float, -2.25);
  EXPECT_EQ(st.max_float, 1.5);

  TestColumn cs = make_strings({"b", "a", "c"});
  encode_column(cs.type, cs.view(), {}, &st);
  EXPECT_EQ(st.min_bytes, "a");
  EXPECT_EQ(st.max_bytes, "c");
}

// Float min/max: NaN never a bound, infinities are, the first of -0.0 / 0.0 is kept, all-NaN has
// no bounds, and NULL rows are skipped.
TEST(CodecApi, FloatStatsCornerCases) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  struct Case {
    std::vector<double> v;
    bool has;
    double mn, mx;
  } cases[] = {{{nan, 3, nan, -1}, true, -1, 3},    {{nan, nan}, false, 0, 0},
               {{inf, inf}, true, inf, inf},        {{-inf, 2}, true, -inf, 2},
               {{-0.0, 0.0}, true, -0.0, -0.0},     {{0.0, -0.0}, true, 0.0, 0.0},
               {{7}, true, 7, 7}};
  for (const Case& c : cases) {
    for (ColumnType t : {ColumnType::Float8, ColumnType::Float4}) {
      ColumnStats st;
      if (t == ColumnType::Float8) {
        encode_column(t, ColumnView::of_fixed(c.v.data(), c.v.size()), {}, &st);
      } else {
        std::vector<float> f(c.v.begin(), c.v.end());
        encode_column(t, ColumnView::of_fixed(f.data(), f.size()), {}, &st);
      }
      ASSERT_EQ(st.has_minmax, c.has) << c.v.size();
      if (!c.has) continue;
      EXPECT_EQ(st.min_float, c.mn);
      EXPECT_EQ(st.max_float, c.mx);
      EXPECT_EQ(std::signbit(st.min_float), std::signbit(c.mn));
      EXPECT_EQ(std::signbit(st.max_float), std::signbit(c.mx));
    }
  }
  // a NULL row's value is not a bound
  std::vector<double> v = {5, -100, 6};
  TestColumn c = make_fixed(ColumnType::Float8, v);
  c.set_nulls({false, true, false});
  ColumnStats st;
  encode_column(c.type, c.view(), {}, &st);
  EXPECT_EQ(st.min_float, 5);
  EXPECT_EQ(st.max_float, 6);
}

TEST(CodecApi, AllNullAndNoNullColumnsAreTiny) {
  std::vector<int64_t> v(1000, 0);
  TestColumn c = make_fixed(ColumnType::Int64, v);
  c.set_nulls(std::vector<bool>(1000, true));
  auto blob = encode_column(c.type, c.view());
  EXPECT_LE(blob.size(), 10u);
  EXPECT_EQ(inspect_column(blob).codec, Codec::AllNull);
  TestColumn k = make_fixed(ColumnType::Int64, std::vector<int64_t>(1000, 7));
  EXPECT_LE(encode_column(k.type, k.view()).size(), 10u);
}

TEST(CodecApi, BadArgumentsThrow) {
  std::vector<uint8_t> b = {0, 2, 1};
  TestColumn c = make_fixed(ColumnType::Bool, b);
  EXPECT_THROW(encode_column(c.type, c.view()), Error);
  TestColumn i = make_fixed(ColumnType::Int64, std::vector<int64_t>{1, 2});
  EncodeOptions o;
  o.force_codec = Codec::Dictionary;
  EXPECT_THROW(encode_column(i.type, i.view(), o), Error);
  TestColumn s = make_strings({"x", "y"});
  o.force_codec = Codec::ExtDictionary;
  EXPECT_THROW(encode_column(s.type, s.view(), o), Error);  // no dictionary given
  std::vector<std::string_view> dv = {"x"};
  Dictionary d = Dictionary::build(ColumnType::Varlen, dv);
  o.dictionary = &d;
  EXPECT_THROW(encode_column(s.type, s.view(), o), Error);  // "y" missing
  // decoding against the wrong dictionary
  std::vector<std::string_view> dv2 = {"x", "y"}, dv3 = {"y", "x"};
  Dictionary d2 = Dictionary::build(ColumnType::Varlen, dv2), d3 = Dictionary::build(ColumnType::Varlen, dv3);
  o.dictionary = &d2;
  auto blob = encode_column(s.type, s.view(), o);
  EXPECT_THROW(decode_column(blob, s.type, &d3), Error);
  EXPECT_THROW(decode_column(blob, s.type, nullptr), Error);
  EXPECT_THROW(decode_column(blob, ColumnType::Int64), Error);
}

TEST(CodecApi, ExternalDictionaryFirstAppearanceOrderMakesCodesCheap) {
  // 1000 devices reporting in the same order every cycle: codes repeat 0..999, so a batch of
  // codes costs almost nothing beyond the header.
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back("device-" + std::to_string(i * 7919 % 1000));
  std::vector<std::string_view> all;
  for (int cyc = 0; cyc < 3; ++cyc)
    for (auto& s : ids) all.push_back(s);
  Dictionary d = Dictionary::build(ColumnType::Varlen, all);
  EXPECT_EQ(d.size(), 1000u);
  std::vector<std::string> batch(all.begin() + 500, all.begin() + 1500);
  TestColumn c = make_strings(batch);
  EncodeOptions o;
  o.dictionary = &d;
  ColumnStats st;
  auto blob = encode_column(c.type, c.view(), o, &st);
  EXPECT_EQ(st.codec, Codec::ExtDictionary);
  EXPECT_LT(blob.size(), 60u);
  expect_same(c, decode_column(blob, c.type, &d));
}

TEST(CodecApi, DictionaryCopiesAndMovesKeepWorkingLookups) {
  std::vector<std::string> owned;
  for (int i = 0; i < 50; ++i) {  // short strings: SSO-sized, so moving them would move bytes
    std::string v = std::to_string(i);
    v.insert(v.begin(), 'v');  // (not "v" + ...: g++ 12 -O3 gives a false -Wrestrict there)
    owned.push_back(v);
  }
  std::vector<std::string_view> vals(owned.begin(), owned.end());
  Dictionary copy;
  {
    Dictionary d = Dictionary::build(ColumnType::Varlen, vals);
    copy = d;
    Dictionary moved = std::move(d);
    EXPECT_EQ(moved.find("v7"), 7u);
  }
  owned.clear();
  EXPECT_EQ(copy.size(), 50u);
  EXPECT_EQ(copy.find("v49"), 49u);
  EXPECT_FALSE(copy.find("nope").has_value());
  EXPECT_EQ(copy.entry(3), "v3");
  Dictionary round = Dictionary::deserialize(copy.serialize());
  EXPECT_EQ(round.id(), copy.id());
}

TEST(CodecApi, DecodeRefusesOutputBeyondTheLimit) {
  std::vector<std::string> v(100, std::string(1000, 'x'));
  v[0] = "y";
  TestColumn c = make_strings(v);
  EncodeOptions o;
  o.force_codec = Codec::VarPlain;
  auto blob = encode_column(c.type, c.view(), o);
  DecodeOptions small;
  small.max_output_bytes = 50000;
  EXPECT_THROW(decode_column(blob, c.type, nullptr, small), Error);
  small.max_output_bytes = 200000;
  expect_same(c, decode_column(blob, c.type, nullptr, small));
  std::vector<int64_t> big(100000, 5);
  TestColumn ci = make_fixed(ColumnType::Int64, big);
  auto b2 = encode_column(ci.type, ci.view());
  small.max_output_bytes = 100000;
  EXPECT_THROW(decode_column(b2, ci.type, nullptr, small), Error);
}

TEST(CodecApi, PredicatesOnPackedValuesWithCommonFactor) {
  // FOR with base and gcd: every threshold around and between the stored values
  std::vector<int64_t> v;
  for (int i = 0; i < 300; ++i) v.push_back(-1000 + 7 * ((i * 37) % 50));
  TestColumn c = make_fixed(ColumnType::Int64, v);
  EncodeOptions o;
  o.allow_zstd = false;
  auto blob = encode_column(c.type, c.view(), o);
  for (int64_t k = -1010; k <= -640; ++k) {
    for (CmpOp op : {CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge}) {
      auto bits = evaluate_predicate(blob, c.type, Predicate::int_cmp(op, k));
      for (size_t i = 0; i < v.size(); ++i) {
        bool e = op == CmpOp::Eq ? v[i] == k : op == CmpOp::Ne ? v[i] != k : op == CmpOp::Lt ? v[i] < k
               : op == CmpOp::Le ? v[i] <= k : op == CmpOp::Gt ? v[i] > k : v[i] >= k;
        ASSERT_EQ(((bits[i / 64] >> (i % 64)) & 1) != 0, e) << k << " op " << int(op) << " row " << i;
      }
    }
  }
  Aggregates a = aggregate_column(blob, c.type);
  EXPECT_EQ(a.min_int, -1000);
  EXPECT_EQ(a.max_int, -1000 + 7 * 49);
}

// A decode into a reused column that fails leaves an empty column, not the previous batch or a
// half-decoded one; the object decodes the next good batch normally.
TEST(CodecApi, DecodeIntoAfterCorruptInputLeavesEmptyColumn) {
  std::vector<int32_t> v(1000);
  std::vector<uint8_t> validity(125, 0xff);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int32_t>(i * 7 % 1000);
  validity[3] = 0x0f;
  const std::vector<uint8_t> blob =
      encode_column(ColumnType::Int32, ColumnView::of_fixed(v.data(), v.size(), validity.data()));
  DecodedColumn d;
  decode_column_into(blob, ColumnType::Int32, d);
  ASSERT_EQ(d.rows, 1000u);
  ASSERT_EQ(d.null_count, 4u);
  std::vector<uint8_t> cut(blob.begin(), blob.end() - 3);
  EXPECT_THROW(decode_column_into(cut, ColumnType::Int32, d), Error);
  EXPECT_EQ(d.rows, 0u);
  EXPECT_EQ(d.null_count, 0u);
  EXPECT_TRUE(d.fixed.empty() && d.validity.empty());
  decode_column_into(blob, ColumnType::Int32, d);
  ASSERT_EQ(d.rows, 1000u);
  for (size_t i = 0; i < v.size(); ++i) {
    const bool null = i >= 28 && i < 32;
    ASSERT_EQ(d.is_null(i), null) << i;
    ASSERT_EQ(d.values<int32_t>()[i], null ? 0 : v[i]) << i;
  }
}

// DecodeOptions::max_output_bytes above kMaxValueBytes is capped: a tiny column that would
// materialise 4 GiB (one 4 KB value, constant over 2^20 rows) is refused, not decoded into uint32
// offsets that wrap.
TEST(CodecApi, OutputLimitIsCappedAtMaxValueBytes) {
  std::vector<uint8_t> blob = {static_cast<uint8_t>(kFormatVersion << 4),
                               static_cast<uint8_t>((static_cast<uint8_t>(ColumnType::Varlen) << 4) |
                                                    static_cast<uint8_t>(Codec::Constant)),
                               0x80, 0x80, 0x40,  // rows = 2^20
                               0x80, 0x20};       // value length 4096
  blob.insert(blob.end(), 4096, 'x');
  ASSERT_EQ(inspect_column(blob).rows, uint64_t{1} << 20);
  DecodeOptions o;
  o.materialize_strings = true;
  o.max_output_bytes = UINT64_MAX;
  EXPECT_THROW(decode_column(blob, ColumnType::Varlen, nullptr, o), Error);
  o.materialize_strings = false;  // the coded form is small and fine
  DecodedColumn d = decode_column(blob, ColumnType::Varlen, nullptr, o);
  EXPECT_EQ(d.string_at((1u << 20) - 1).size(), 4096u);
}

// bitpack (64 values at a time, specialised per width) writes exactly the bits of the bit writer
// putting one value after the other, masks values to the width, and unpacks to the values.
TEST(CodecApi, BitpackMatchesTheBitWriter) {
  std::mt19937_64 rng(64);
  for (unsigned width = 0; width <= 64; ++width) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{130}, size_t{1000}}) {
      std::vector<uint64_t> v(n);
      for (auto& x : v) x = rng();  // high bits beyond the width set: masked
      ByteWriter packed;
      packed.u8(0xab);  // appends after what the writer holds
      bitpack(packed, v.data(), n, width);
      std::vector<uint8_t> ref{0xab};
      BitWriter bw(ref);
      for (uint64_t x : v) bw.put(x, width);
      bw.finish();
      ASSERT_EQ(packed.buf(), ref) << width << " " << n;
      std::vector<uint64_t> back(n);
      bitunpack(packed.buf().data() + 1, n, width, back.data());
      const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(back[i], v[i] & mask) << width << " " << n << " " << i;
    }
  }
}
