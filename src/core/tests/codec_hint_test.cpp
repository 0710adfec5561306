// Tests of codec::CodecHint (encode_column reusing the codec earlier batches of a column chose):
// the output decodes to the input, stays within 1% of the bytes of trying every codec on every
// batch, re-checks every CodecHint::kRecheck batches and follows a change of the data's shape.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "codec/codec.hpp"
#include "codec/int_codec.hpp"
#include "columnstore/batch_builder.hpp"

using namespace strata::core::codec;
using namespace strata::core::columnstore;

namespace {

constexpr size_t kRows = 1000;

// A devops-like gauge: a random walk in sixteenths, NULL now and then.
struct Walk {
  double v = 50;
  double next(std::mt19937_64& rng) {
    v += static_cast<double>(static_cast<int>(rng() % 65) - 32) / 16.0;
    return v;
  }
};

size_t encode_all(ColumnType t, const std::vector<std::vector<uint8_t>>& batches, const std::vector<std::vector<uint8_t>>& validity,
                  CodecHint* hint, std::vector<std::vector<uint8_t>>* out = nullptr) {
  size_t total = 0;
  for (size_t b = 0; b < batches.size(); ++b) {
    EncodeOptions o;
    o.hint = hint;
    const uint8_t* v = validity[b].empty() ? nullptr : validity[b].data();
    std::vector<uint8_t> blob = encode_column(t, ColumnView::of_fixed(batches[b].data(), kRows, v), o);
    total += blob.size();
    if (out) out->push_back(std::move(blob));
  }
  return total;
}

template <class T>
std::vector<uint8_t> bytes_of(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

void expect_same_values(const std::vector<uint8_t>& blob, ColumnType t, const std::vector<uint8_t>& raw,
                        const std::vector<uint8_t>& validity) {
  DecodedColumn d = decode_column(blob, t);
  ASSERT_EQ(d.rows, kRows);
  const size_t w = fixed_width(t);
  for (size_t r = 0; r < kRows; ++r) {
    const bool valid = validity.empty() || ((validity[r >> 3] >> (r & 7)) & 1);
    ASSERT_EQ(!d.is_null(r), valid) << r;
    if (valid) {
      ASSERT_EQ(std::memcmp(d.fixed.data() + r * w, raw.data() + r * w, w), 0) << r;
    }
  }
}

}  // namespace

TEST(CodecHint, FloatWalksTimestampsAndCodesStayWithinOnePercent) {
  std::mt19937_64 rng(14);
  const size_t nbatches = 120;
  std::vector<std::vector<uint8_t>> floats, times, codes, validity, no_nulls(nbatches);
  Walk walk;
  int64_t ts = 1'700'000'000'000'000;
  for (size_t b = 0; b < nbatches; ++b) {
    std::vector<double> f(kRows);
    std::vector<int64_t> t(kRows), c(kRows);
    std::vector<uint8_t> valid((kRows + 7) / 8, 0xff);
    for (size_t r = 0; r < kRows; ++r) {
      f[r] = walk.next(rng);
      if (b % 5 == 0 && rng() % 50 == 0) valid[r >> 3] &= static_cast<uint8_t>(~(1u << (r & 7)));
      ts += 10'000'000 + (rng() % 20 == 0 ? 1 : 0);
      t[r] = ts;
      c[r] = b % 9 == 4 ? 7 : static_cast<int64_t>((r * 37 + b) % 200);  // some batches constant
    }
    floats.push_back(bytes_of(f));
    times.push_back(bytes_of(t));
    codes.push_back(bytes_of(c));
    validity.push_back(b % 5 == 0 ? valid : std::vector<uint8_t>{});
  }
  struct Case {
    ColumnType type;
    const std::vector<std::vector<uint8_t>>* data;
    const std::vector<std::vector<uint8_t>>* validity;
  } cases[] = {{ColumnType::Float8, &floats, &validity},
               {ColumnType::Timestamp, &times, &no_nulls},
               {ColumnType::Int64, &codes, &validity}};
  for (const Case& c : cases) {
    const size_t full = encode_all(c.type, *c.data, *c.validity, nullptr);
    CodecHint hint;
    std::vector<std::vector<uint8_t>> blobs;
    const size_t hinted = encode_all(c.type, *c.data, *c.validity, &hint, &blobs);
    SCOPED_TRACE(type_name(c.type));
    EXPECT_LE(static_cast<double>(hinted), static_cast<double>(full) * 1.01) << full;
    EXPECT_GT(hint.hinted, nbatches / 2);  // most batches skipped the trial
    EXPECT_LT(hint.trials, nbatches / 4);
    // the walk's digits and the timestamps keep the integer tree's shape (a delta block) too
    if (c.type != ColumnType::Int64) {
      EXPECT_GT(hint.shaped, nbatches / 2);
    }
    for (size_t b = 0; b < nbatches; ++b) expect_same_values(blobs[b], c.type, (*c.data)[b], (*c.validity)[b]);
  }
}

TEST(CodecHint, RechecksEveryKRecheckBatches) {
  std::mt19937_64 rng(1);
  Walk walk;
  CodecHint hint;
  const size_t nbatches = 3 * (CodecHint::kAgree + CodecHint::kRecheck);
  for (size_t b = 0; b < nbatches; ++b) {
    std::vector<double> f(kRows);
    for (double& x : f) x = walk.next(rng);
    EncodeOptions o;
    o.hint = &hint;
    encode_column(ColumnType::Float8, ColumnView::of_fixed(f.data(), kRows), o);
  }
  // kAgree trials to learn, then one trial after every kRecheck hinted batches
  EXPECT_EQ(hint.by_nulls[0].codec, Codec::Alp);
  EXPECT_EQ(hint.trials + hint.hinted, nbatches);
  EXPECT_EQ(hint.trials, CodecHint::kAgree + (nbatches - CodecHint::kAgree) / (CodecHint::kRecheck + 1));
}

TEST(CodecHint, FollowsAChangeOfShape) {
  // Decimal-like floats (Alp), then floats of random bits, which Alp cannot encode: the hinted
  // codec does not apply, a full trial runs and the hint moves to the new shape.
  std::mt19937_64 rng(7);
  Walk walk;
  CodecHint hint;
  size_t hinted_bytes = 0, full_bytes = 0;
  for (size_t b = 0; b < 40; ++b) {
    std::vector<double> f(kRows);
    for (double& x : f) {
      if (b < 20) {
        x = walk.next(rng);
      } else {
        uint64_t bits = rng() & 0x3fffffffffffffffULL;
        std::memcpy(&x, &bits, 8);
      }
    }
    EncodeOptions o;
    std::vector<uint8_t> full = encode_column(ColumnType::Float8, ColumnView::of_fixed(f.data(), kRows), o);
    o.hint = &hint;
    std::vector<uint8_t> h = encode_column(ColumnType::Float8, ColumnView::of_fixed(f.data(), kRows), o);
    full_bytes += full.size();
    hinted_bytes += h.size();
    expect_same_values(h, ColumnType::Float8, bytes_of(f), {});
  }
  EXPECT_NE(hint.by_nulls[0].codec, Codec::Alp);
  EXPECT_LE(static_cast<double>(hinted_bytes), static_cast<double>(full_bytes) * 1.01);
}

TEST(CodecHint, ConstantBatchesStayConstant) {
  std::mt19937_64 rng(2);
  Walk walk;
  CodecHint hint;
  for (size_t b = 0; b < 30; ++b) {
    std::vector<double> f(kRows);
    for (double& x : f) x = b % 3 == 2 ? 4.5 : walk.next(rng);
    EncodeOptions o;
    o.hint = &hint;
    ColumnStats st;
    std::vector<uint8_t> blob = encode_column(ColumnType::Float8, ColumnView::of_fixed(f.data(), kRows), o, &st);
    if (b % 3 == 2) {
      EXPECT_EQ(st.codec, Codec::Constant) << b;
    }
    expect_same_values(blob, ColumnType::Float8, bytes_of(f), {});
  }
  EXPECT_GT(hint.hinted, 0u);
}

TEST(CodecHint, BatchBuilderSharesHintsAcrossBuilders) {
  // Two builders given the same hints (as the columnstore's double buffering does) learn together.
  std::vector<CodecHint> hints(2);
  BatchBuilderOptions o;
  o.hints = hints.data();
  std::vector<ColumnSpec> specs = {{ColumnType::Timestamp}, {ColumnType::Float8}};
  BatchBuilder a(specs, o), b(specs, o);
  std::mt19937_64 rng(5);
  Walk walk;
  int64_t ts = 0;
  for (size_t batch = 0; batch < 20; ++batch) {
    BatchBuilder& x = batch % 2 ? b : a;
    std::vector<double> f;
    for (size_t r = 0; r < kRows; ++r) {
      x.append_int(0, ts += 10);
      f.push_back(walk.next(rng));
      x.append_float8(1, f.back());
      x.end_row();
    }
    const Batch& done = x.finish();
    expect_same_values(done.columns[1].data, ColumnType::Float8, bytes_of(f), {});
  }
  EXPECT_EQ(hints[0].trials + hints[0].hinted, 20u);
  EXPECT_EQ(hints[1].trials + hints[1].hinted, 20u);
  EXPECT_GE(hints[1].hinted, 15u);
}

// Text columns with batch-local dictionaries (few values, sticky per device, as fleet's status)
// plan only the remembered integer shape of their codes, and decimal floats search their Alp
// exponent next to the last batch's, within 1% of the full trial's bytes.
TEST(CodecHint, DictionaryCodesAndAlpExponentAreRemembered) {
  std::mt19937_64 rng(23);
  const char* values[] = {"online", "idle", "charging", "offline", "error", "updating"};
  const size_t nbatches = 60, devices = 50;
  std::vector<int> state(devices, 0);
  std::vector<std::vector<std::string>> text(nbatches);
  std::vector<std::vector<uint8_t>> floats;
  double w = 20;
  for (size_t b = 0; b < nbatches; ++b) {
    std::vector<double> f(kRows);
    for (size_t r = 0; r < kRows; ++r) {
      int& st = state[r % devices];
      if (rng() % 100 < 3) st = static_cast<int>(rng() % 6);
      text[b].push_back(values[st]);
      w += static_cast<double>(static_cast<int>(rng() % 21) - 10) / 100.0;  // two decimals
      f[r] = std::round(w * 100) / 100;
    }
    floats.push_back(bytes_of(f));
  }
  auto encode_text = [&](CodecHint* hint, std::vector<std::vector<uint8_t>>* out) {
    size_t total = 0;
    for (size_t b = 0; b < nbatches; ++b) {
      std::vector<std::string_view> views(text[b].begin(), text[b].end());
      EncodeOptions o;
      o.hint = hint;
      std::vector<uint8_t> blob = encode_column(ColumnType::Varlen, ColumnView::of_varlen(views.data(), kRows), o);
      total += blob.size();
      if (out) out->push_back(std::move(blob));
    }
    return total;
  };
  const size_t full = encode_text(nullptr, nullptr);
  CodecHint hint;
  std::vector<std::vector<uint8_t>> blobs;
  const size_t hinted = encode_text(&hint, &blobs);
  EXPECT_EQ(hint.by_nulls[0].codec, Codec::Dictionary);
  EXPECT_LE(static_cast<double>(hinted), static_cast<double>(full) * 1.01) << full;
  EXPECT_GT(hint.shaped, nbatches / 2);  // the codes' integer shape
  for (size_t b = 0; b < nbatches; ++b) {
    DecodedColumn d = decode_column(blobs[b], ColumnType::Varlen);
    for (size_t r = 0; r < kRows; ++r) ASSERT_EQ(d.string_at(r), text[b][r]) << b << " " << r;
  }

  const std::vector<std::vector<uint8_t>> no_nulls(nbatches);
  const size_t ffull = encode_all(ColumnType::Float8, floats, no_nulls, nullptr);
  CodecHint fhint;
  std::vector<std::vector<uint8_t>> fblobs;
  const size_t fhinted = encode_all(ColumnType::Float8, floats, no_nulls, &fhint, &fblobs);
  EXPECT_EQ(fhint.by_nulls[0].codec, Codec::Alp);
  EXPECT_EQ(fhint.by_nulls[0].alp_exponent, 2);
  EXPECT_GT(fhint.alp_near, nbatches / 2);  // searched next to the remembered exponent
  EXPECT_LE(static_cast<double>(fhinted), static_cast<double>(ffull) * 1.01) << ffull;
  for (size_t b = 0; b < nbatches; ++b) expect_same_values(fblobs[b], ColumnType::Float8, floats[b], {});
}

// A hinted batch searches Alp's exponent only next to the remembered one: when the values drop
// from two decimals to whole numbers, the exponent follows one step a batch (a full search would
// jump straight to 0), and every batch still decodes to its values.
TEST(CodecHint, AlpExponentFollowsTheDataOneStepABatch) {
  std::mt19937_64 rng(31);
  CodecHint hint;
  double w = 50;
  auto encode = [&](double scale) {
    std::vector<double> f(kRows);
    for (auto& x : f) {
      w += static_cast<double>(static_cast<int>(rng() % 201) - 100) / 100.0;
      x = std::round(w * scale) / scale;
    }
    EncodeOptions o;
    o.hint = &hint;
    std::vector<uint8_t> blob = encode_column(ColumnType::Float8, ColumnView::of_fixed(f.data(), kRows), o);
    expect_same_values(blob, ColumnType::Float8, bytes_of(f), {});
    return hint.by_nulls[0].alp_exponent;
  };
  for (int b = 0; b < 4; ++b) EXPECT_EQ(encode(100), 2) << b;  // two trials, then hinted
  EXPECT_EQ(hint.by_nulls[0].codec, Codec::Alp);
  EXPECT_EQ(encode(1), 1);
  EXPECT_EQ(encode(1), 0);
  EXPECT_EQ(encode(1), 0);
  EXPECT_EQ(hint.trials, CodecHint::kAgree);  // all of that without a full trial
}

// The integer tree's remembered shape (IntEncodeOptions::plan_only): planning only the shape the
// full planner chose gives the full planner's bytes; a shape that does not apply to the values
// falls back to the full planning.
TEST(CodecHint, IntegerShapeGivesTheFullPlannersBytes) {
  std::mt19937_64 rng(17);
  std::vector<int64_t> walk(kRows), noise(kRows), few(40);
  int64_t x = 0;
  for (auto& v : walk) v = x += static_cast<int64_t>(rng() % 65) - 32;
  for (auto& v : noise) v = static_cast<int64_t>(rng() % 100000);
  for (auto& v : few) v = static_cast<int64_t>(rng() % 1000);
  for (const auto* v : {&walk, &noise, &few}) {
    ByteWriter full;
    IntShape chosen;
    IntEncodeOptions o;
    o.chosen = &chosen;
    encode_ints(full, *v, o);
    ASSERT_GE(chosen.top, 0);
    // the chosen shape itself
    ByteWriter again;
    IntEncodeOptions h;
    h.plan_only = &chosen;
    encode_ints(again, *v, h);
    EXPECT_EQ(again.buf(), full.buf());
    // every other top shape, with any child: a valid block of the same values
    for (int8_t top = 0; top <= 4; ++top) {
      for (int8_t child = -1; child <= 4; ++child) {
        IntShape s{top, child};
        ByteWriter w;
        IntEncodeOptions p;
        p.plan_only = &s;
        encode_ints(w, *v, p);
        ByteReader r(w.buf().data(), w.buf().size());
        std::vector<int64_t> back(v->size());
        decode_ints(r, v->size(), back.data());
        EXPECT_EQ(back, *v) << int(top) << " " << int(child);
      }
    }
  }
  // LZ does not apply to a block this small, RLE not to values without runs: the full planning
  ByteWriter full, lz, rle;
  encode_ints(full, few, IntEncodeOptions{});
  IntShape lz_shape{4, -1}, rle_shape{3, -1};
  IntEncodeOptions a, b;
  a.plan_only = &lz_shape;
  b.plan_only = &rle_shape;
  encode_ints(lz, few, a);
  encode_ints(rle, few, b);
  EXPECT_EQ(lz.buf(), full.buf());
  EXPECT_EQ(rle.buf(), full.buf());
}
