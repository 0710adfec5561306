// decode_column_rows_into: decoding only the selected rows of a column (every codec and shape is
// also checked against the whole decode by the round trips of codec_roundtrip_test.cpp).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "codec/codec.hpp"
#include "codec_test_util.hpp"
#include "error.hpp"

namespace strata::core::codec {
namespace {

using testing::make_fixed;
using testing::make_strings;
using testing::TestColumn;

std::vector<uint64_t> select_rows(size_t n, std::initializer_list<size_t> rows) {
  std::vector<uint64_t> sel((n + 63) / 64, 0);
  for (size_t r : rows) sel[r >> 6] |= uint64_t{1} << (r & 63);
  return sel;
}

// The fleet workload's shape: a batch ordered by time then device, 38 devices, a device's rows
// selected. Plain strings copy only the selected values' bytes; dictionary codes of the other rows
// stay 0; integers read by random access give the selected values.
TEST(CodecSelect, OnlyTheSelectedValuesAreMaterialised) {
  const size_t n = 1000;
  std::vector<std::string> dev(n), status(n);
  std::vector<int64_t> ts(n);
  for (size_t i = 0; i < n; ++i) {
    dev[i] = "dev_00" + std::to_string(1300 + i % 38);
    status[i] = (i * 7919) % 100 < 90 ? "connected" : "reconnecting";
    ts[i] = static_cast<int64_t>(i) * 3'000'000 + static_cast<int64_t>((i * 31) % 17);
  }
  std::vector<uint64_t> sel(16, 0);
  std::vector<size_t> picked;
  for (size_t i = 5; i < n; i += 38) {
    sel[i >> 6] |= uint64_t{1} << (i & 63);
    picked.push_back(i);
  }
  for (bool z : {false, true}) {
    EncodeOptions o;
    o.allow_zstd = z;
    o.force_codec = Codec::VarPlain;
    TestColumn d = make_strings(dev);
    const auto blob = encode_column(ColumnType::Varlen, d.view(), o);
    DecodedColumn out;
    decode_column_rows_into(blob, ColumnType::Varlen, out, sel);
    ASSERT_EQ(out.rows, n);
    ASSERT_FALSE(out.dictionary_form());
    EXPECT_EQ(out.data.size(), picked.size() * 10);  // the selected values' bytes only
    for (size_t i = 0; i < n; ++i) {
      if ((sel[i >> 6] >> (i & 63)) & 1)
        EXPECT_EQ(out.string_at(i), dev[i]) << i;
      else
        EXPECT_TRUE(out.string_at(i).empty()) << i;
    }

    o.force_codec = Codec::Dictionary;
    TestColumn s = make_strings(status);
    const auto sblob = encode_column(ColumnType::Varlen, s.view(), o);
    decode_column_rows_into(sblob, ColumnType::Varlen, out, sel);
    ASSERT_TRUE(out.dictionary_form());
    for (size_t i = 0; i < n; ++i) {
      if ((sel[i >> 6] >> (i & 63)) & 1)
        EXPECT_EQ(out.string_at(i), status[i]) << i;
      else
        EXPECT_EQ(out.codes[i], 0u) << i;
    }

    o.force_codec = Codec::Integer;
    TestColumn t = make_fixed(ColumnType::Timestamp, ts);
    const auto tblob = encode_column(ColumnType::Timestamp, t.view(), o);
    decode_column_rows_into(tblob, ColumnType::Timestamp, out, sel);
    for (size_t i : picked) EXPECT_EQ(out.values<int64_t>()[i], ts[i]) << i;
  }
}

// Random access into each integer block shape the encoder writes (CONST, FOR, FOR with patched or
// bitmap-marked exceptions, RLE; DELTA and LZ decoded whole), with NULLs before the selected rows.
TEST(CodecSelect, IntegerBlockShapesWithNulls) {
  std::mt19937_64 rng(7);
  for (int shape = 0; shape < 7; ++shape) {
    const size_t n = 777;
    std::vector<int64_t> v(n);
    for (size_t i = 0; i < n; ++i) {
      switch (shape) {
        case 0: v[i] = 42; break;
        case 1: v[i] = static_cast<int64_t>(rng() % 1000) * 3 - 7; break;
        case 2: v[i] = rng() % 40 == 0 ? static_cast<int64_t>(rng()) : static_cast<int64_t>(rng() % 8); break;
        case 3: v[i] = rng() % 10 < 7 ? 5 : static_cast<int64_t>(rng() % 100000); break;
        case 4: v[i] = static_cast<int64_t>(i / 50); break;
        case 5: v[i] = static_cast<int64_t>(i) * 1000 + static_cast<int64_t>(rng() % 3); break;
        default: v[i] = static_cast<int64_t>((i % 29) * 104729 % 1013); break;
      }
    }
    TestColumn c = make_fixed(ColumnType::Int64, v);
    std::vector<bool> isnull(n);
    for (size_t i = 0; i < n; ++i) isnull[i] = i % 5 == 1 || (i > 300 && i < 340);
    c.set_nulls(isnull);
    for (bool aligned_zstd : {false, true}) {
      EncodeOptions o;
      o.force_codec = Codec::Integer;
      o.allow_zstd = aligned_zstd;
      const auto blob = encode_column(ColumnType::Int64, c.view(), o);
      const DecodedColumn full = decode_column(blob, ColumnType::Int64);
      DecodedColumn out;
      testing::expect_selected_rows(blob, ColumnType::Int64, nullptr, full, out, rng);
      if (HasFatalFailure()) return;
      const auto sel = select_rows(n, {0, 1, 2, 299, 301, 342, 500, 775});
      decode_column_rows_into(blob, ColumnType::Int64, out, sel);
      for (size_t i : {0, 2, 299, 342, 500, 775}) EXPECT_EQ(out.values<int64_t>()[i], v[i]) << "shape " << shape << " row " << i;
      for (size_t i : {1, 301}) EXPECT_TRUE(out.is_null(i));
    }
  }
}

// A fixed-width column without random access (DELTA timestamps) and without NULLs is decoded
// straight into the column: every row holds its value, selected or not (nothing zeroed, no
// scratch copy). With NULLs the selected values are placed and the other rows are zero.
TEST(CodecSelect, DenseWholeDecodeFillsEveryRow) {
  const size_t n = 840;
  std::vector<int64_t> ts(n);
  for (size_t i = 0; i < n; ++i) ts[i] = 1'700'000'000'000'000 + static_cast<int64_t>(i) * 120'000'000 + static_cast<int64_t>(i % 7);
  const auto sel = select_rows(n, {3, 64, 500, 839});
  for (bool z : {false, true}) {
    EncodeOptions o;
    o.force_codec = Codec::Integer;
    o.allow_zstd = z;
    TestColumn t = make_fixed(ColumnType::Timestamp, ts);
    const auto blob = encode_column(ColumnType::Timestamp, t.view(), o);
    DecodedColumn out;
    decode_column_rows_into(blob, ColumnType::Timestamp, out, sel);
    ASSERT_EQ(out.rows, n);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(out.values<int64_t>()[i], ts[i]) << i;
    std::vector<bool> isnull(n);
    for (size_t i = 0; i < n; ++i) isnull[i] = i % 10 == 1;
    t.set_nulls(isnull);
    const auto nblob = encode_column(ColumnType::Timestamp, t.view(), o);
    decode_column_rows_into(nblob, ColumnType::Timestamp, out, sel);
    ASSERT_EQ(out.rows, n);
    for (size_t i : {3, 64, 500, 839}) EXPECT_EQ(out.values<int64_t>()[i], ts[i]) << i;
    for (size_t i : {0, 2, 100, 838}) EXPECT_EQ(out.values<int64_t>()[i], 0) << i;
  }
}

// Columns without NULLs decoded one after another at one selection share its row list (kept per
// thread): a selection changed in place, or one of the same words over fewer rows, is read anew.
TEST(CodecSelect, SelectionKeptAcrossColumns) {
  const size_t n = 300;
  std::vector<int64_t> a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = static_cast<int64_t>((i * 37) % 101);
    b[i] = static_cast<int64_t>(i) * 3 + 1;
  }
  EncodeOptions o;
  o.force_codec = Codec::Integer;
  o.allow_zstd = false;
  TestColumn ca = make_fixed(ColumnType::Int64, a), cb = make_fixed(ColumnType::Int64, b);
  const auto blob_a = encode_column(ColumnType::Int64, ca.view(), o);
  const auto blob_b = encode_column(ColumnType::Int64, cb.view(), o);
  std::vector<uint64_t> sel = select_rows(n, {1, 70, 199, 299});
  DecodedColumn da, db;
  decode_column_rows_into(blob_a, ColumnType::Int64, da, sel);
  decode_column_rows_into(blob_b, ColumnType::Int64, db, sel);
  for (size_t i : {1, 70, 199, 299}) {
    EXPECT_EQ(da.values<int64_t>()[i], a[i]) << i;
    EXPECT_EQ(db.values<int64_t>()[i], b[i]) << i;
  }
  sel = select_rows(n, {2, 71, 250, 290});  // (the same vector, other rows)
  decode_column_rows_into(blob_a, ColumnType::Int64, da, sel);
  for (size_t i : {2, 71, 250, 290}) EXPECT_EQ(da.values<int64_t>()[i], a[i]) << i;
  // the same words (five) over 280 rows: row 290 is not one of them
  std::vector<int64_t> shorter(a.begin(), a.begin() + 280);
  TestColumn cs = make_fixed(ColumnType::Int64, shorter);
  const auto blob_s = encode_column(ColumnType::Int64, cs.view(), o);
  decode_column_rows_into(blob_s, ColumnType::Int64, da, sel);
  ASSERT_EQ(da.rows, 280u);
  for (size_t i : {2, 71, 250}) EXPECT_EQ(da.values<int64_t>()[i], a[i]) << i;
}

// The selected rows alone (decode_selected_rows), the fleet shape: dictionary codes (local and
// shared), DELTA timestamps, plain strings hold only the selected rows, in order, nothing
// batch-sized written; a column with NULLs is declined and left as it was; the same column
// object goes on to a whole decode and back (buffers reused).
TEST(CodecSelect, SelectedRowsAlone) {
  const size_t n = 840;
  std::vector<std::string> dev(n), status(n);
  std::vector<int64_t> ts(n);
  for (size_t i = 0; i < n; ++i) {
    dev[i] = "dev_00" + std::to_string(1300 + i % 38);
    status[i] = (i * 7919) % 100 < 90 ? "connected" : "reconnecting";
    ts[i] = 1'700'000'000'000'000 + static_cast<int64_t>(i) * 120'000'000 + static_cast<int64_t>(i % 7);
  }
  std::vector<size_t> picked;
  std::vector<uint64_t> sel((n + 63) / 64, 0);
  for (size_t i = 11; i < n; i += 38) {
    sel[i >> 6] |= uint64_t{1} << (i & 63);
    picked.push_back(i);
  }
  const std::vector<std::string_view> status_views(status.begin(), status.end());
  const Dictionary shared = Dictionary::build(ColumnType::Varlen, status_views);
  for (bool z : {false, true}) {
    EncodeOptions o;
    o.allow_zstd = z;
    DecodedColumn out;
    o.force_codec = Codec::Dictionary;
    TestColumn s = make_strings(status);
    const auto sblob = encode_column(ColumnType::Varlen, s.view(), o);
    ASSERT_TRUE(decode_selected_rows(sblob, ColumnType::Varlen, out, sel));
    ASSERT_EQ(out.rows, picked.size());
    ASSERT_EQ(out.codes.size(), picked.size());
    for (size_t j = 0; j < picked.size(); ++j) EXPECT_EQ(out.string_at(j), status[picked[j]]) << j;
    EncodeOptions e = o;
    e.force_codec = Codec::Auto;
    e.dictionary = &shared;
    const auto eblob = encode_column(ColumnType::Varlen, s.view(), e);
    ASSERT_EQ(inspect_column(eblob).codec, Codec::ExtDictionary);
    ASSERT_TRUE(decode_selected_rows(eblob, ColumnType::Varlen, out, sel, &shared));
    ASSERT_EQ(out.rows, picked.size());
    for (size_t j = 0; j < picked.size(); ++j) EXPECT_EQ(out.string_at(j), status[picked[j]]) << j;
    o.force_codec = Codec::VarPlain;
    TestColumn d = make_strings(dev);
    const auto dblob = encode_column(ColumnType::Varlen, d.view(), o);
    ASSERT_TRUE(decode_selected_rows(dblob, ColumnType::Varlen, out, sel));
    ASSERT_FALSE(out.dictionary_form());
    EXPECT_EQ(out.data.size(), picked.size() * 10);
    for (size_t j = 0; j < picked.size(); ++j) EXPECT_EQ(out.string_at(j), dev[picked[j]]) << j;
    o.force_codec = Codec::Integer;
    TestColumn t = make_fixed(ColumnType::Timestamp, ts);
    const auto tblob = encode_column(ColumnType::Timestamp, t.view(), o);
    ASSERT_TRUE(decode_selected_rows(tblob, ColumnType::Timestamp, out, sel));
    ASSERT_EQ(out.fixed.size(), picked.size() * 8);
    for (size_t j = 0; j < picked.size(); ++j) EXPECT_EQ(out.values<int64_t>()[j], ts[picked[j]]) << j;
    // a whole decode into the same column, then the selected rows again
    decode_column_into(tblob, ColumnType::Timestamp, out);
    ASSERT_EQ(out.rows, n);
    ASSERT_TRUE(decode_selected_rows(tblob, ColumnType::Timestamp, out, sel));
    ASSERT_EQ(out.rows, picked.size());
    EXPECT_EQ(out.values<int64_t>()[picked.size() - 1], ts[picked.back()]);
    // NULLs: declined, the column as it was
    std::vector<bool> isnull(n);
    for (size_t i = 0; i < n; ++i) isnull[i] = i % 10 == 1;
    t.set_nulls(isnull);
    const auto nblob = encode_column(ColumnType::Timestamp, t.view(), o);
    EXPECT_FALSE(decode_selected_rows(nblob, ColumnType::Timestamp, out, sel));
    EXPECT_EQ(out.rows, picked.size());
    // a selection shorter than the column
    const std::vector<uint64_t> short_sel(2, ~uint64_t{0});
    EXPECT_THROW(decode_selected_rows(tblob, ColumnType::Timestamp, out, short_sel), Error);
    EXPECT_EQ(out.rows, 0u);
  }
}

TEST(CodecSelect, ShortSelectionIsRejected) {
  std::vector<int32_t> v(130, 3);
  TestColumn c = make_fixed(ColumnType::Int32, v);
  const auto blob = encode_column(ColumnType::Int32, c.view());
  DecodedColumn out;
  const std::vector<uint64_t> sel(2, ~uint64_t{0});
  EXPECT_THROW(decode_column_rows_into(blob, ColumnType::Int32, out, sel), Error);
  EXPECT_EQ(out.rows, 0u);
}

// Truncated and bit-flipped columns of every codec: an error or a column, never a read out of
// bounds (the sanitizer build checks that).
TEST(CodecSelect, CorruptInputThrowsOrDecodes) {
  std::mt19937_64 rng(11);
  const size_t n = 300;
  std::vector<std::string> s(n);
  std::vector<int64_t> v(n);
  std::vector<double> f(n);
  for (size_t i = 0; i < n; ++i) {
    s[i] = "value_" + std::to_string(i % 13) + (i % 7 == 0 ? std::string(i % 40, 'x') : "");
    v[i] = i % 9 == 0 ? static_cast<int64_t>(rng()) : static_cast<int64_t>(i % 11);
    f[i] = static_cast<double>(i % 17) * 0.25;
  }
  std::vector<std::pair<ColumnType, std::vector<uint8_t>>> blobs;
  for (Codec codec : {Codec::VarPlain, Codec::Dictionary}) {
    EncodeOptions o;
    o.force_codec = codec;
    o.allow_zstd = false;
    TestColumn c = make_strings(s);
    blobs.emplace_back(ColumnType::Varlen, encode_column(ColumnType::Varlen, c.view(), o));
  }
  for (bool z : {false, true}) {
    EncodeOptions o;
    o.force_codec = Codec::Integer;
    o.allow_zstd = z;
    TestColumn c = make_fixed(ColumnType::Int64, v);
    blobs.emplace_back(ColumnType::Int64, encode_column(ColumnType::Int64, c.view(), o));
  }
  for (Codec codec : {Codec::Plain, Codec::ByteSplit, Codec::Alp}) {
    EncodeOptions o;
    o.force_codec = codec;
    o.allow_zstd = false;
    TestColumn c = make_fixed(ColumnType::Float8, f);
    blobs.emplace_back(ColumnType::Float8, encode_column(ColumnType::Float8, c.view(), o));
  }
  std::vector<uint64_t> sel((n + 63) / 64, 0);
  for (size_t i = 0; i < n; i += 3) sel[i >> 6] |= uint64_t{1} << (i & 63);
  DecodedColumn out;
  for (auto& [type, blob] : blobs) {
    for (size_t len = 0; len < blob.size(); ++len) {
      std::vector<uint8_t> cut(blob.begin(), blob.begin() + static_cast<std::ptrdiff_t>(len));
      try {
        decode_column_rows_into(cut, type, out, sel);
      } catch (const Error&) {
        EXPECT_EQ(out.rows, 0u);
      }
      try {
        decode_selected_rows(cut, type, out, sel);
      } catch (const Error&) {
        EXPECT_EQ(out.rows, 0u);
      }
    }
    for (int k = 0; k < 400; ++k) {
      std::vector<uint8_t> bad = blob;
      bad[rng() % bad.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
      try {
        decode_column_rows_into(bad, type, out, sel);
      } catch (const Error&) {
      }
      try {
        decode_selected_rows(bad, type, out, sel);
      } catch (const Error&) {
      }
    }
  }
}

// Equality / IN on plain strings without materialising them, against a plain comparison (and
// the column then holding exactly the matching rows' values): one
// length for every value (searched in the bytes, a match across two values not counted) or
// varying lengths, NULLs, zstd, constants absent or of another length.
TEST(CodecSelect, EqualStringsOnPlainStrings) {
  std::mt19937_64 rng(5);
  for (int shape = 0; shape < 4; ++shape) {
    const size_t n = shape == 3 ? 70 : 1000;
    std::vector<std::string> v(n);
    for (size_t i = 0; i < n; ++i) {
      switch (shape) {
        case 0: v[i] = "dev_00" + std::to_string(1300 + (i * 7) % 38); break;  // one length
        case 1: v[i] = (i % 2) ? "ab" : "ba"; break;                          // "ba" across "ab","ab"
        case 2: v[i] = std::string(rng() % 6, static_cast<char>('a' + rng() % 3)); break;  // varying
        default: v[i] = ""; break;
      }
    }
    TestColumn c = make_strings(v);
    std::vector<bool> isnull(n);
    for (size_t i = 0; i < n; ++i) isnull[i] = shape != 1 && i % 9 == 4;
    c.set_nulls(isnull);
    const std::vector<std::vector<std::string>> lists = {
        {"dev_001333"}, {"dev_001301", "dev_001337", "dev_009999"}, {"ab"}, {"ba", "zz"},
        {"b"}, {""}, {"aa", "", "ccc"}, {"dev_00133"}};
    for (bool z : {false, true}) {
      EncodeOptions o;
      o.force_codec = Codec::VarPlain;
      o.allow_zstd = z;
      const auto blob = encode_column(ColumnType::Varlen, c.view(), o);
      DecodedColumn work;
      for (const auto& list : lists) {
        std::vector<std::string_view> values(list.begin(), list.end());
        std::vector<uint64_t> bits;
        ASSERT_TRUE(select_equal_strings(blob, values, bits, work));
        ASSERT_EQ(bits.size(), (n + 63) / 64);
        for (size_t i = 0; i < n; ++i) {
          bool want = false;
          for (const auto& x : list) want |= !isnull[i] && v[i] == x;
          ASSERT_EQ(((bits[i >> 6] >> (i & 63)) & 1) != 0, want) << "shape " << shape << " row " << i << " " << list[0];
          // the column: the matching rows' values, every other row empty
          ASSERT_EQ(work.rows, n);
          ASSERT_EQ(work.is_null(i), static_cast<bool>(isnull[i]));
          ASSERT_EQ(work.string_at(i), want ? std::string_view(v[i]) : std::string_view()) << "row " << i;
        }
      }
      o.force_codec = Codec::Dictionary;
      if (shape == 0) {
        const auto dblob = encode_column(ColumnType::Varlen, c.view(), o);
        std::vector<uint64_t> bits(3, 7);
        const std::string_view one[] = {"dev_001333"};
        EXPECT_FALSE(select_equal_strings(dblob, one, bits, work));
        EXPECT_EQ(bits, std::vector<uint64_t>(3, 7));
      }
    }
  }
}

}  // namespace
}  // namespace strata::core::codec
