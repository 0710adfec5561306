// Format stability: encodings produced by each format version are checked in
// (src/core/tests/golden/codec_v<version>.txt) and must keep decoding to the same values. The inputs are
// rebuilt here deterministically. Regenerate (only when deliberately adding cases) with
//   STRATA_REGEN_GOLDEN=1 ./codec_golden_test
// which appends new cases to the golden file (existing lines are never rewritten) and refreshes
// the fuzz seed corpora under src/core/fuzz/corpus/.
// Also: every truncation and many byte corruptions of every golden encoding must either decode
// or throw strata::core::Error (run under ASan/UBSan by scripts/core-checks.sh).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <sstream>

#include "codec/byte_io.hpp"
#include "codec/codec.hpp"
#include "codec_test_util.hpp"
#include "error.hpp"

using namespace strata::core;
using namespace strata::core::codec;
using namespace strata::core::codec::testing;

namespace {

struct Case {
  std::string name;
  TestColumn col;
  Codec codec;
  bool zstd;
  bool ext_dict;
  uint8_t version;  // format version whose golden file holds the encoding
};

std::string uuid_of(int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012x", i * 2654435761u, i & 0xffff, i % 4096, (i * 7) % 4096,
                i * 40503u);
  return buf;
}

std::vector<Case> cases() {
  std::vector<Case> v;
  auto add = [&](std::string name, TestColumn c, Codec codec, bool z = false, bool ext = false) {
    v.push_back({std::move(name), std::move(c), codec, z, ext, 1});
  };
  auto add_v2 = [&](std::string name, TestColumn c, Codec codec, bool z = false, bool ext = false) {
    v.push_back({std::move(name), std::move(c), codec, z, ext, 2});
  };
  auto add_v3 = [&](std::string name, TestColumn c, Codec codec) {
    v.push_back({std::move(name), std::move(c), codec, false, false, 3});
  };
  auto nulls_every = [](TestColumn c, int k) {
    std::vector<bool> n(c.rows);
    for (size_t i = 0; i < c.rows; ++i) n[i] = i % k == 0;
    c.set_nulls(n);
    return c;
  };
  std::vector<int64_t> ts, walk, runs, outl, cst(50, -7), extremes = {INT64_MIN, INT64_MAX, 0, -1, 1, INT64_MIN};
  for (int i = 0; i < 200; ++i) ts.push_back(INT64_C(1704067200000000) + INT64_C(10000000) * i);
  int64_t x = 0;
  for (int i = 0; i < 200; ++i) walk.push_back(x += (i * 7 % 5) - 2);
  for (int i = 0; i < 300; ++i) runs.push_back(i / 60);
  for (int i = 0; i < 200; ++i) outl.push_back(i % 37 == 0 ? INT64_C(1) << 50 : i % 9);
  add("int64_const", make_fixed(ColumnType::Int64, cst), Codec::Integer);
  add("ts_regular", make_fixed(ColumnType::Timestamp, ts), Codec::Integer);
  add("int64_walk", make_fixed(ColumnType::Int64, walk), Codec::Integer);
  add("int64_runs", make_fixed(ColumnType::Int64, runs), Codec::Integer);
  add("int64_outliers", make_fixed(ColumnType::Int64, outl), Codec::Integer);
  add("int64_extremes", make_fixed(ColumnType::Int64, extremes), Codec::Integer);
  add("int64_walk_zstd", make_fixed(ColumnType::Int64, walk), Codec::Integer, true);
  add("int64_nulls_sparse", nulls_every(make_fixed(ColumnType::Int64, walk), 10), Codec::Integer);
  add("int64_nulls_dense", nulls_every(make_fixed(ColumnType::Int64, walk), 2), Codec::Integer);
  {
    TestColumn c = make_fixed(ColumnType::Int64, walk);
    std::vector<bool> n(c.rows);
    for (size_t i = 0; i < c.rows; ++i) n[i] = i % 10 != 0;
    c.set_nulls(n);
    add("int64_nulls_mostly", c, Codec::Integer);
  }
  std::vector<int16_t> i16;
  std::vector<int32_t> i32, dates;
  std::vector<uint8_t> bools;
  for (int i = 0; i < 100; ++i) {
    i16.push_back(static_cast<int16_t>(i * 331 - 16000));
    i32.push_back(i * 100003 - 5000000);
    dates.push_back(19000 + i / 3);
    bools.push_back(static_cast<uint8_t>((i / 7) % 2));
  }
  add("int16", make_fixed(ColumnType::Int16, i16), Codec::Integer);
  add("int32", make_fixed(ColumnType::Int32, i32), Codec::Integer);
  add("date", make_fixed(ColumnType::Date, dates), Codec::Integer);
  add("bool", nulls_every(make_fixed(ColumnType::Bool, bools), 5), Codec::Integer);
  std::vector<double> dec, full, special = {0.0, -0.0, std::numeric_limits<double>::infinity(),
                                            -std::numeric_limits<double>::infinity(),
                                            std::numeric_limits<double>::quiet_NaN(),
                                            std::numeric_limits<double>::denorm_min(), 1.5, 2.25};
  for (int i = 0; i < 150; ++i) {
    dec.push_back(std::round(50 + 20 * std::sin(i * 0.1)) + (i % 4) * 0.25);
    full.push_back(std::sin(i * 0.37) * 1234.5678);
  }
  uint64_t nan_payload = 0x7ff8000000000badull;
  double np;
  std::memcpy(&np, &nan_payload, 8);
  special.push_back(np);
  add("f64_alp", make_fixed(ColumnType::Float8, dec), Codec::Alp);
  add("f64_alp_zstd", make_fixed(ColumnType::Float8, dec), Codec::Alp, true);
  add("f64_alp_special", make_fixed(ColumnType::Float8, special), Codec::Alp);
  add("f64_xor", make_fixed(ColumnType::Float8, full), Codec::FloatXor);
  add("f64_plain", make_fixed(ColumnType::Float8, full), Codec::Plain);
  add("f64_split_zstd", make_fixed(ColumnType::Float8, full), Codec::ByteSplit, true);
  add("f64_nulls", nulls_every(make_fixed(ColumnType::Float8, dec), 3), Codec::Alp);
  std::vector<float> f32;
  for (int i = 0; i < 100; ++i) f32.push_back(static_cast<float>(i % 17) * 0.5f);
  f32.push_back(-0.0f);
  f32.push_back(std::numeric_limits<float>::quiet_NaN());
  add("f32_alp", make_fixed(ColumnType::Float4, f32), Codec::Alp);
  add("f32_xor", make_fixed(ColumnType::Float4, f32), Codec::FloatXor);
  std::vector<std::string> status, uu, mixed, odd;
  const char* st[] = {"online", "offline", "idle", ""};
  for (int i = 0; i < 120; ++i) {
    status.push_back(st[(i / 3) % 4]);
    uu.push_back(uuid_of(i));
    mixed.push_back(i % 10 == 0 ? "NOT-A-UUID" : (i % 10 == 1 ? std::string("a\0b", 3) : uuid_of(i)));
    odd.push_back(std::string(static_cast<size_t>(i % 5), static_cast<char>('a' + i % 26)) + std::string(i % 2, '\0'));
  }
  for (auto& s : mixed)
    if (s.size() == 36 && s[0] == '0') s[1] = 'F';  // upper-case hex: kept exactly as an exception
  add("text_dict", make_strings(status), Codec::Dictionary);
  add("text_dict_zstd", make_strings(status), Codec::Dictionary, true);
  add("text_dict_nulls", nulls_every(make_strings(status), 4), Codec::Dictionary);
  add("text_uuid", make_strings(mixed), Codec::UuidText);
  add("text_plain", make_strings(odd), Codec::VarPlain);
  add("text_plain_zstd", make_strings(odd), Codec::VarPlain, true);
  add("text_extdict", make_strings(uu), Codec::ExtDictionary, false, true);
  add("text_const", make_strings(std::vector<std::string>(100, "us-east-1")), Codec::Dictionary);
  TestColumn uc;
  uc.type = ColumnType::Uuid;
  uc.rows = 64;
  for (int i = 0; i < 64; ++i)
    for (int b = 0; b < 16; ++b) uc.fixed.push_back(static_cast<uint8_t>(i * 31 + b * (i % 3)));
  add("uuid_plain", uc, Codec::Plain);
  add("uuid_dict", uc, Codec::Dictionary);
  add("const_int32_nulls", nulls_every(make_fixed(ColumnType::Int32, std::vector<int32_t>(100, -42)), 7), Codec::Constant);
  add("const_f64", make_fixed(ColumnType::Float8, std::vector<double>(100, 37.5)), Codec::Constant);
  add("const_text", make_strings(std::vector<std::string>(100, "eu-west-1")), Codec::Constant);
  {
    TestColumn u1 = uc;
    for (size_t i = 16; i < u1.fixed.size(); ++i) u1.fixed[i] = u1.fixed[i % 16];
    add("const_uuid", u1, Codec::Constant);
  }
  {
    TestColumn an = make_fixed(ColumnType::Int32, std::vector<int32_t>(10, 0));
    an.set_nulls(std::vector<bool>(10, true));
    add("all_null", an, Codec::Auto);
    add("empty", make_fixed(ColumnType::Int64, std::vector<int64_t>{}), Codec::Auto);
  }
  // version 2: FOR with an exception bitmap (kind 4), LZ (kind 5), frequency-ordered dictionaries
  {
    std::vector<int64_t> skew, per;
    std::vector<int32_t> per32;
    std::vector<std::string> cyc;
    uint64_t lcg = 12345;
    auto next = [&]() { return (lcg = lcg * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
    int64_t table[29];
    for (int64_t& t : table) t = static_cast<int64_t>(next() * 2654435761ull);
    for (int i = 0; i < 400; ++i) {
      skew.push_back(next() % 10 < 7 ? 1000 : 1000 + static_cast<int64_t>(next() % 40));
      per.push_back(i % 150 == 149 ? -5 : table[i % 29]);
      per32.push_back(static_cast<int32_t>(table[i % 31 % 29] % 65521));
      cyc.push_back(st[(i % 23) % 7 < 5 ? 0 : (i % 23) % 4]);
    }
    add_v2("int64_skewed_forbm", make_fixed(ColumnType::Int64, skew), Codec::Integer);
    add_v2("int64_periodic_lz", make_fixed(ColumnType::Int64, per), Codec::Integer);
    add_v2("int32_periodic_lz_nulls", nulls_every(make_fixed(ColumnType::Int32, per32), 9), Codec::Integer);
    add_v2("text_dict_periodic", make_strings(cyc), Codec::Dictionary);
  }
  // version 3: Rice-coded validity positions, of the NULL rows (form 3) and of the value rows
  // (form 4), for independent NULLs
  {
    uint64_t lcg = 99;
    auto next = [&]() { return (lcg = lcg * 6364136223846793005ull + 1442695040888963407ull) >> 33; };
    std::vector<int32_t> vals;
    std::vector<bool> some_null, mostly_null;
    std::vector<std::string> msgs;
    for (int i = 0; i < 700; ++i) {
      vals.push_back(3700 - i / 50);
      some_null.push_back(next() % 10 == 0);
      mostly_null.push_back(next() % 100 >= 3);
      msgs.push_back(next() % 2 ? "sensor fault" : "low battery");
    }
    TestColumn a = make_fixed(ColumnType::Int32, vals), b = make_strings(msgs);
    a.set_nulls(some_null);
    b.set_nulls(mostly_null);
    add_v3("int32_nulls_rice3", a, Codec::Integer);
    add_v3("text_mostly_null_rice4", b, Codec::Dictionary);
  }
  return v;
}

std::string to_hex(const std::vector<uint8_t>& b) {
  static const char* h = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) {
    s += h[x >> 4];
    s += h[x & 15];
  }
  return s;
}

std::vector<uint8_t> from_hex(const std::string& s) {
  std::vector<uint8_t> b;
  for (size_t i = 0; i + 1 < s.size(); i += 2) b.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  return b;
}

Dictionary dict_for(TestColumn& c) {
  std::vector<std::string_view> vals(c.strings.begin(), c.strings.end());
  return Dictionary::build(ColumnType::Varlen, vals);
}

std::string golden_file(int version) {
  return std::string(STRATA_SOURCE_DIR) + "/src/core/tests/golden/codec_v" + std::to_string(version) + ".txt";
}
const std::string kGolden = golden_file(1);

// golden files: "<name> <hex>" lines; a line "<name>.dict <hex>" holds a serialized dictionary.
std::map<std::string, std::vector<uint8_t>> load() {
  std::map<std::string, std::vector<uint8_t>> m;
  for (int version = kMinFormatVersion; version <= kFormatVersion; ++version) {
    std::ifstream in(golden_file(version));
    std::string name, hex;
    while (in >> name >> hex) m[name] = from_hex(hex);
  }
  return m;
}

}  // namespace

TEST(CodecGolden, RegenerateWhenAsked) {
  if (!std::getenv("STRATA_REGEN_GOLDEN")) GTEST_SKIP() << "set STRATA_REGEN_GOLDEN=1 to rewrite the golden file";
  std::filesystem::create_directories(std::filesystem::path(kGolden).parent_path());
  // existing encodings are kept as they are (they are the stability record); only new cases are
  // appended
  const auto existing = load();
  std::map<int, std::ofstream> outs;
  for (int version = 1; version <= kFormatVersion; ++version) outs[version].open(golden_file(version), std::ios::app);
  const std::string corpus = std::string(STRATA_SOURCE_DIR) + "/src/core/fuzz/corpus/";
  auto seed = [&](const std::string& dir, const std::string& name, const std::vector<uint8_t>& bytes, uint8_t sel) {
    std::filesystem::create_directories(corpus + dir);
    std::ofstream f(corpus + dir + "/" + name, std::ios::binary);
    f.put(static_cast<char>(sel));  // fuzz input: selector byte, then the encoding
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  };
  for (Case& c : cases()) {
    std::ofstream& out = outs.at(c.version);
    EncodeOptions o;
    o.force_codec = c.codec;
    o.allow_zstd = c.zstd;
    Dictionary d;
    if (c.ext_dict) {
      d = dict_for(c.col);
      o.dictionary = &d;
      const bool known_dict = existing.count(c.name + ".dict") > 0;
      auto ser = known_dict ? existing.at(c.name + ".dict") : d.serialize();
      if (!known_dict) out << c.name << ".dict " << to_hex(ser) << "\n";
      seed("codec_dictionary_fuzz", c.name, ser, 0);
    }
    // existing cases keep their recorded bytes (today's encoder may choose differently)
    const bool known = existing.count(c.name) > 0;
    auto bytes = known ? existing.at(c.name) : encode_column(c.col.type, c.col.view(), o);
    ColumnInfo info = inspect_column(bytes);
    ASSERT_EQ(info.zstd, c.zstd) << c.name;
    if (!known) out << c.name << " " << to_hex(bytes) << "\n";
    const uint8_t sel = static_cast<uint8_t>(c.col.type);
    if (c.col.type == ColumnType::Float4 || c.col.type == ColumnType::Float8) seed("codec_float_fuzz", c.name, bytes, sel);
    else if (c.col.type == ColumnType::Varlen || c.col.type == ColumnType::Uuid) seed("codec_string_fuzz", c.name, bytes, sel);
    else seed("codec_int_fuzz", c.name, bytes, sel);
  }
}

TEST(CodecGolden, EncodingsOfEveryVersionStillDecode) {
  auto golden = load();
  ASSERT_FALSE(golden.empty()) << "missing " << kGolden;
  size_t checked = 0;
  for (Case& c : cases()) {
    SCOPED_TRACE(c.name);
    auto it = golden.find(c.name);
    ASSERT_NE(it, golden.end());
    Dictionary d;
    const Dictionary* dp = nullptr;
    if (c.ext_dict) {
      d = Dictionary::deserialize(golden.at(c.name + ".dict"));
      dp = &d;
    }
    DecodedColumn dc = decode_column(it->second, c.col.type, dp);
    expect_same(c.col, dc);
    EXPECT_EQ(inspect_column(it->second).version, c.version);
    // the version-2 integer kinds are really in their golden encodings (NULL-free Integer columns
    // of 400 rows: the block kind follows the 4-byte header)
    const bool forbm = c.name.ends_with("_forbm"), lz = c.name.ends_with("_lz");
    if (forbm || lz) {
      ASSERT_GT(it->second.size(), 4u);
      EXPECT_EQ(it->second[4], forbm ? 4 : 5);
    }
    // and the version-3 Rice validity forms in theirs (after the 2-byte header and the row and
    // NULL counts)
    const bool rice3 = c.name.ends_with("_rice3"), rice4 = c.name.ends_with("_rice4");
    if (rice3 || rice4) {
      ByteReader r(it->second);
      r.bytes(2);
      r.varint();
      r.varint();
      EXPECT_EQ(r.u8(), rice3 ? 3 : 4);
    }
    if (c.codec != Codec::Auto) {
      EXPECT_EQ(inspect_column(it->second).codec, c.codec);
    }
    ++checked;
  }
  EXPECT_EQ(checked, golden.size() - 1);  // minus the one dictionary line
}

TEST(CodecGolden, CorruptAndTruncatedInputThrowsOrDecodes) {
  auto golden = load();
  std::mt19937_64 rng(7);
  for (Case& c : cases()) {
    const auto& bytes = golden.at(c.name);
    Dictionary d;
    const Dictionary* dp = nullptr;
    if (c.ext_dict) {
      d = Dictionary::deserialize(golden.at(c.name + ".dict"));
      dp = &d;
    }
    auto attempt = [&](const std::vector<uint8_t>& b) {
      try {
        decode_column(b, c.col.type, dp);
      } catch (const Error&) {
      }
      try {
        evaluate_predicate(b, c.col.type, Predicate::int_cmp(CmpOp::Lt, 5), dp);
      } catch (const Error&) {
      }
      if (c.col.type != ColumnType::Varlen && c.col.type != ColumnType::Uuid) {
        try {
          aggregate_column(b, c.col.type);
        } catch (const Error&) {
        }
      }
    };
    for (size_t len = 0; len < bytes.size(); ++len) {
      std::vector<uint8_t> t(bytes.begin(), bytes.begin() + static_cast<long>(len));
      EXPECT_THROW(decode_column(t, c.col.type, dp), Error) << c.name << " truncated to " << len;
    }
    for (int k = 0; k < 300; ++k) {
      std::vector<uint8_t> b = bytes;
      int flips = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < flips; ++f) b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      attempt(b);
    }
    if (c.ext_dict) {
      auto ser = golden.at(c.name + ".dict");
      for (size_t len = 0; len < ser.size(); len += 7) {
        std::vector<uint8_t> t(ser.begin(), ser.begin() + static_cast<long>(len));
        EXPECT_THROW(Dictionary::deserialize(t), Error);
      }
      for (int k = 0; k < 200; ++k) {
        std::vector<uint8_t> b = ser;
        b[rng() % b.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
        try {
          Dictionary::deserialize(b);
        } catch (const Error&) {
        }
      }
    }
  }
}
