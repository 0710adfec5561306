// Tests of the columnstore batch builder: batches decode to what was appended, statistics, bloom
// filters, errors, buffer reuse and per-segment shared dictionaries.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "codec/codec.hpp"
#include "columnstore/batch_builder.hpp"
#include "error.hpp"

using namespace strata::core;
using namespace strata::core::codec;
using namespace strata::core::columnstore;

#if !defined(__SANITIZE_ADDRESS__)
// Counts heap allocations, so a test can check that appending to a grown builder allocates nothing.
static size_t g_allocations = 0;
void* operator new(size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
// (GCC 12 at -O3 takes the free() below, once inlined where a vector is freed, for a mismatch with
// the operator new it does not see is this one.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

namespace {

using Value = std::variant<std::monostate, int64_t, float, double, bool, std::string>;

std::string uuid_text(int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012x", i * 2654435761u, i & 0xffff, i % 4096,
                (i * 7) % 4096, i * 40503u);
  return buf;
}

Value random_value(ColumnType t, std::mt19937_64& rng, int row) {
  if (rng() % 7 == 0) return std::monostate{};
  switch (t) {
    case ColumnType::Int16:
      return static_cast<int64_t>(static_cast<int16_t>(rng()));
    case ColumnType::Int32:
    case ColumnType::Date:
      return static_cast<int64_t>(static_cast<int32_t>(rng() % 1000));
    case ColumnType::Int64:
      return static_cast<int64_t>(rng());
    case ColumnType::Timestamp:
      return static_cast<int64_t>(1'700'000'000'000'000LL + row * 10'000'000LL);
    case ColumnType::Float4:
      return rng() % 11 == 0 ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(rng() % 10000) / 8;
    case ColumnType::Float8:
      return rng() % 13 == 0 ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(rng() % 100000) / 100;
    case ColumnType::Bool:
      return rng() % 2 == 0;
    case ColumnType::Uuid: {
      std::string s(16, '\0');
      for (auto& ch : s) ch = static_cast<char>(rng() % 3);
      return s;
    }
    case ColumnType::Varlen:
      return std::string("device-") + std::to_string(rng() % 50);
  }
  return std::monostate{};
}

void append(BatchBuilder& b, size_t col, ColumnType t, const Value& v) {
  if (std::holds_alternative<std::monostate>(v)) return b.append_null(col);
  switch (t) {
    case ColumnType::Float4:
      return b.append_float4(col, std::get<float>(v));
    case ColumnType::Float8:
      return b.append_float8(col, std::get<double>(v));
    case ColumnType::Bool:
      return b.append_bool(col, std::get<bool>(v));
    case ColumnType::Uuid:
    case ColumnType::Varlen:
      return b.append_bytes(col, std::get<std::string>(v));
    default:
      return b.append_int(col, std::get<int64_t>(v));
  }
}

// Checks that a decoded column holds `values` (rows [from, from + n)).
void expect_column(const DecodedColumn& d, ColumnType t, const std::vector<Value>& values, size_t from, size_t n) {
  ASSERT_EQ(d.rows, n);
  for (size_t r = 0; r < n; ++r) {
    const Value& v = values[from + r];
    ASSERT_EQ(d.is_null(r), std::holds_alternative<std::monostate>(v)) << r;
    if (d.is_null(r)) continue;
    switch (t) {
      case ColumnType::Int16:
        ASSERT_EQ(d.values<int16_t>()[r], std::get<int64_t>(v));
        break;
      case ColumnType::Int32:
      case ColumnType::Date:
        ASSERT_EQ(d.values<int32_t>()[r], std::get<int64_t>(v));
        break;
      case ColumnType::Int64:
      case ColumnType::Timestamp:
        ASSERT_EQ(d.values<int64_t>()[r], std::get<int64_t>(v));
        break;
      case ColumnType::Float4: {
        const float a = d.values<float>()[r], e = std::get<float>(v);
        ASSERT_EQ(std::memcmp(&a, &e, 4), 0) << r;
        break;
      }
      case ColumnType::Float8: {
        const double a = d.values<double>()[r], e = std::get<double>(v);
        ASSERT_EQ(std::memcmp(&a, &e, 8), 0) << r;
        break;
      }
      case ColumnType::Bool:
        ASSERT_EQ(d.values<uint8_t>()[r], std::get<bool>(v) ? 1 : 0);
        break;
      case ColumnType::Uuid:
        ASSERT_EQ(std::string(reinterpret_cast<const char*>(d.fixed.data()) + 16 * r, 16), std::get<std::string>(v));
        break;
      case ColumnType::Varlen:
        ASSERT_EQ(d.string_at(r), std::get<std::string>(v));
        break;
    }
  }
}

const ColumnType kAllTypes[] = {ColumnType::Int16, ColumnType::Int32,  ColumnType::Int64, ColumnType::Timestamp,
                                ColumnType::Date,  ColumnType::Float4, ColumnType::Float8, ColumnType::Bool,
                                ColumnType::Uuid,  ColumnType::Varlen};

}  // namespace

TEST(ColumnstoreBatchBuilder, BatchesDecodeToTheAppendedRows) {
  std::mt19937_64 rng(3);
  std::vector<ColumnSpec> specs;
  for (ColumnType t : kAllTypes) specs.push_back({t});
  for (size_t max_rows : {size_t{1}, size_t{7}, size_t{1000}}) {
    BatchBuilderOptions o;
    o.max_rows = max_rows;
    BatchBuilder b(specs, o);
    const size_t total = 2500;
    std::vector<std::vector<Value>> values(specs.size());
    for (size_t c = 0; c < specs.size(); ++c)
      for (size_t r = 0; r < total; ++r) values[c].push_back(random_value(specs[c].type, rng, static_cast<int>(r)));
    size_t done = 0;
    auto check = [&](const Batch& batch) {
      ASSERT_EQ(batch.columns.size(), specs.size());
      for (size_t c = 0; c < specs.size(); ++c) {
        const EncodedColumn& e = batch.columns[c];
        DecodedColumn d = decode_column(e.data, specs[c].type);
        expect_column(d, specs[c].type, values[c], done, batch.rows);
        size_t nulls = 0;
        bool nan = false;
        for (size_t r = 0; r < batch.rows; ++r) {
          const Value& v = values[c][done + r];
          nulls += std::holds_alternative<std::monostate>(v);
          if (auto* f = std::get_if<double>(&v)) nan |= std::isnan(*f);
          if (auto* f = std::get_if<float>(&v)) nan |= std::isnan(*f);
        }
        EXPECT_EQ(e.stats.rows, batch.rows);
        EXPECT_EQ(e.stats.null_count, nulls);
        EXPECT_EQ(e.has_nan, nan);
        EXPECT_FALSE(e.has_bloom);
      }
      done += batch.rows;
    };
    for (size_t r = 0; r < total; ++r) {
      for (size_t c = 0; c < specs.size(); ++c) append(b, c, specs[c].type, values[c][r]);
      b.end_row();
      if (b.full()) check(b.finish());
    }
    if (b.rows()) check(b.finish());
    EXPECT_EQ(done, total);
  }
}

namespace {

// `v` as append_row takes it (pointing into `v` for bytes).
CellValue cell_of(ColumnType t, const Value& v) {
  CellValue c{};
  if (std::holds_alternative<std::monostate>(v)) {
    c.null = true;
    return c;
  }
  switch (t) {
    case ColumnType::Float4: {
      const float f = std::get<float>(v);
      uint32_t b;
      std::memcpy(&b, &f, 4);
      c.bits = b;
      break;
    }
    case ColumnType::Float8: {
      const double d = std::get<double>(v);
      std::memcpy(&c.bits, &d, 8);
      break;
    }
    case ColumnType::Bool:
      c.bits = std::get<bool>(v) ? 1 : 0;
      break;
    case ColumnType::Uuid:
    case ColumnType::Varlen:
      c.data = std::get<std::string>(v).data();
      c.len = std::get<std::string>(v).size();
      break;
    default:
      c.bits = static_cast<uint64_t>(std::get<int64_t>(v));
      break;
  }
  return c;
}

// A column of every type and a varlen one with a bloom filter.
std::vector<ColumnSpec> all_type_specs() {
  std::vector<ColumnSpec> specs;
  for (ColumnType t : kAllTypes) specs.push_back({t});
  specs.push_back({ColumnType::Varlen, true});
  return specs;
}

// `total` random values of each column.
std::vector<std::vector<Value>> random_columns(const std::vector<ColumnSpec>& specs, size_t total, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<Value>> values(specs.size());
  for (size_t c = 0; c < specs.size(); ++c)
    for (size_t r = 0; r < total; ++r) values[c].push_back(random_value(specs[c].type, rng, static_cast<int>(r)));
  return values;
}

// The error code `f` throws, if any.
template <class F>
std::optional<Errc> code_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return std::nullopt;
}

// Two builders' batches of the same rows are the same, byte for byte.
void expect_same_batches(const Batch& x, const Batch& y, size_t ncols) {
  ASSERT_EQ(x.rows, y.rows);
  for (size_t c = 0; c < ncols; ++c) {
    EXPECT_EQ(x.columns[c].data, y.columns[c].data) << c;
    EXPECT_EQ(x.columns[c].has_nan, y.columns[c].has_nan) << c;
    EXPECT_EQ(x.columns[c].stats.null_count, y.columns[c].stats.null_count) << c;
    EXPECT_EQ(x.columns[c].bloom, y.columns[c].bloom) << c;
  }
}

}  // namespace

// A whole row in one call gives the same batches, byte for byte, as an append per value.
TEST(ColumnstoreBatchBuilder, AppendRowMatchesAppendsPerValue) {
  const std::vector<ColumnSpec> specs = all_type_specs();
  BatchBuilderOptions o;
  o.max_rows = 300;
  BatchBuilder a(specs, o), b(specs, o);
  const size_t total = 1000;
  std::vector<std::vector<Value>> values = random_columns(specs, total, 11);
  // extremes of each integer width, NaNs and infinities
  values[0][5] = int64_t{INT16_MIN};
  values[0][6] = int64_t{INT16_MAX};
  values[1][5] = int64_t{INT32_MIN};
  values[2][5] = int64_t{INT64_MIN};
  values[5][5] = -std::numeric_limits<float>::infinity();
  values[5][6] = std::numeric_limits<float>::quiet_NaN();
  values[6][5] = std::numeric_limits<double>::infinity();
  values[6][6] = -std::numeric_limits<double>::quiet_NaN();
  std::vector<CellValue> cells(specs.size());
  size_t batches = 0;
  auto compare = [&](const Batch& x, const Batch& y) {
    expect_same_batches(x, y, specs.size());
    ++batches;
  };
  for (size_t r = 0; r < total; ++r) {
    for (size_t c = 0; c < specs.size(); ++c) {
      append(a, c, specs[c].type, values[c][r]);
      cells[c] = cell_of(specs[c].type, values[c][r]);
      if (specs[c].bloom && !cells[c].null) {
        a.add_bloom_hash(c, r % 17);
        b.add_bloom_hash(c, r % 17);
      }
    }
    a.end_row();
    b.append_row(cells.data());
    ASSERT_EQ(a.rows(), b.rows());
    ASSERT_EQ(a.varlen_bytes(), b.varlen_bytes());
    if (a.full()) {
      Batch x = a.finish();
      compare(x, b.finish());
    }
  }
  Batch x = a.finish();
  compare(x, b.finish());
  EXPECT_EQ(batches, 4u);
}

// Column by column (append_column, end_rows), in blocks of varying size, gives the same batches,
// byte for byte, as a row at a time.
TEST(ColumnstoreBatchBuilder, AppendColumnMatchesAppendRow) {
  const std::vector<ColumnSpec> specs = all_type_specs();
  BatchBuilderOptions o;
  o.max_rows = 300;
  BatchBuilder a(specs, o), b(specs, o);
  const size_t total = 1000;
  std::vector<std::vector<CellValue>> cells(specs.size());
  std::vector<std::vector<Value>> values = random_columns(specs, total, 23);
  values[2][7] = int64_t{INT64_MIN};
  values[3][8] = int64_t{INT64_MAX};
  values[6][5] = std::numeric_limits<double>::infinity();
  values[6][6] = -std::numeric_limits<double>::quiet_NaN();
  values[6][9] = std::monostate{};
  for (size_t c = 0; c < specs.size(); ++c)
    for (size_t r = 0; r < total; ++r) cells[c].push_back(cell_of(specs[c].type, values[c][r]));
  std::vector<CellValue> row(specs.size());
  size_t r = 0, blocks = 0, batches = 0;
  while (r < total) {
    const size_t n = std::min({total - r, b.max_rows() - b.rows(), size_t{1} + (blocks * 37) % 140});
    for (size_t c = 0; c < specs.size(); ++c) {
      b.append_column(c, cells[c].data() + r, n);
      if (specs[c].bloom)
        for (size_t i = r; i < r + n; ++i)
          if (!cells[c][i].null) b.add_bloom_hash(c, i % 17);
    }
    b.end_rows(n);
    for (size_t i = r; i < r + n; ++i) {
      for (size_t c = 0; c < specs.size(); ++c) {
        row[c] = cells[c][i];
        if (specs[c].bloom && !row[c].null) a.add_bloom_hash(c, i % 17);
      }
      a.append_row(row.data());
    }
    r += n;
    ++blocks;
    ASSERT_EQ(a.rows(), b.rows());
    ASSERT_EQ(a.varlen_bytes(), b.varlen_bytes());
    if (a.full() || r == total) {
      const Batch x = a.finish();
      expect_same_batches(x, b.finish(), specs.size());
      ++batches;
    }
  }
  EXPECT_EQ(batches, 4u);
  EXPECT_GT(blocks, 8u);
}

TEST(ColumnstoreBatchBuilder, AppendColumnMisuseIsRefused) {
  BatchBuilderOptions o;
  o.max_rows = 3;
  const std::vector<ColumnSpec> specs{{ColumnType::Int16}, {ColumnType::Int64}};
  CellValue col[4] = {{1, nullptr, 0, false}, {2, nullptr, 0, false}, {0, nullptr, 0, true}, {4, nullptr, 0, false}};
  BatchBuilder a(specs, o);
  EXPECT_EQ(code_of([&] { a.append_column(2, col, 1); }), Errc::invalid_argument);  // no such column
  EXPECT_EQ(code_of([&] { a.append_column(1, col, 4); }), Errc::invalid_argument);  // more than a batch
  a.append_column(1, col, 2);
  EXPECT_EQ(code_of([&] { a.append_column(1, col, 1); }), Errc::invalid_argument);  // column 1 has its values
  EXPECT_EQ(code_of([&] { a.end_rows(2); }), Errc::invalid_argument);               // column 0 has none
  col[1].bits = static_cast<uint64_t>(int64_t{40000});
  EXPECT_EQ(code_of([&] { a.append_column(0, col, 2); }), Errc::out_of_range);
  BatchBuilder b(specs, o);
  col[1].bits = 2;
  b.append_column(0, col, 3);
  b.append_column(1, col, 3);
  b.end_rows(3);
  EXPECT_TRUE(b.full());
  EXPECT_EQ(code_of([&] { b.append_column(0, col, 1); }), Errc::invalid_argument);  // full
  const Batch& batch = b.finish();
  ASSERT_EQ(batch.rows, 3u);
  EXPECT_EQ(batch.columns[1].stats.null_count, 1u);
  DecodedColumn d1 = decode_column(batch.columns[1].data, ColumnType::Int64);
  EXPECT_EQ(d1.values<int64_t>()[1], 2);
}

TEST(ColumnstoreBatchBuilder, AppendRowMisuseIsRefused) {
  BatchBuilderOptions o;
  o.max_rows = 1;
  BatchBuilder b({{ColumnType::Int16}, {ColumnType::Uuid}, {ColumnType::Int32}}, o);
  const std::string u(16, 'u');
  CellValue row[3] = {{1, nullptr, 0, false}, {0, u.data(), 16, false}, {7, nullptr, 0, false}};
  row[0].bits = static_cast<uint64_t>(int64_t{40000});
  EXPECT_EQ(code_of([&] { b.append_row(row); }), Errc::out_of_range);
  BatchBuilder b2({{ColumnType::Int16}, {ColumnType::Uuid}, {ColumnType::Int32}}, o);
  row[0].bits = static_cast<uint64_t>(int64_t{-3});
  row[1].len = 5;
  EXPECT_EQ(code_of([&] { b2.append_row(row); }), Errc::invalid_argument);  // uuid of 5 bytes
  BatchBuilder c({{ColumnType::Int16}, {ColumnType::Uuid}, {ColumnType::Int32}}, o);
  row[1].len = 16;
  row[2].bits = static_cast<uint64_t>(int64_t{1} << 40);
  EXPECT_EQ(code_of([&] { c.append_row(row); }), Errc::out_of_range);
  BatchBuilder d({{ColumnType::Int16}, {ColumnType::Uuid}, {ColumnType::Int32}}, o);
  row[2].bits = 7;
  d.append_int(0, 1);
  EXPECT_EQ(code_of([&] { d.append_row(row); }), Errc::invalid_argument);  // column 0 already has a value
  BatchBuilder e({{ColumnType::Int16}, {ColumnType::Uuid}, {ColumnType::Int32}}, o);
  e.append_row(row);
  EXPECT_TRUE(e.full());
  EXPECT_EQ(code_of([&] { e.append_row(row); }), Errc::invalid_argument);  // full
  const Batch& batch = e.finish();
  ASSERT_EQ(batch.rows, 1u);
  DecodedColumn d0 = decode_column(batch.columns[0].data, ColumnType::Int16);
  EXPECT_EQ(d0.values<int16_t>()[0], -3);
}

TEST(ColumnstoreBatchBuilder, StatisticsOfABatch) {
  BatchBuilder b({{ColumnType::Int32}, {ColumnType::Float8}, {ColumnType::Varlen}});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const int32_t ints[] = {5, -3, 9, 0};
  const double floats[] = {1.5, nan, -2.25, 0};
  const char* texts[] = {"b", "abc", nullptr, "z"};
  for (int r = 0; r < 4; ++r) {
    if (r == 3) b.append_null(0); else b.append_int(0, ints[r]);
    if (r == 3) b.append_null(1); else b.append_float8(1, floats[r]);
    if (texts[r]) b.append_bytes(2, texts[r]); else b.append_null(2);
    b.end_row();
  }
  const Batch& batch = b.finish();
  EXPECT_EQ(batch.rows, 4u);
  EXPECT_EQ(batch.columns[0].stats.min_int, -3);
  EXPECT_EQ(batch.columns[0].stats.max_int, 9);
  EXPECT_EQ(batch.columns[0].stats.null_count, 1u);
  EXPECT_EQ(batch.columns[1].stats.min_float, -2.25);
  EXPECT_EQ(batch.columns[1].stats.max_float, 1.5);
  EXPECT_TRUE(batch.columns[1].has_nan);
  EXPECT_EQ(batch.columns[2].stats.min_bytes, "abc");
  EXPECT_EQ(batch.columns[2].stats.max_bytes, "z");
  // the builder starts afresh: an empty batch, then a NaN-free one
  b.append_int(0, 1);
  b.append_float8(1, 1);
  b.append_null(2);
  b.end_row();
  const Batch& next = b.finish();
  EXPECT_EQ(next.rows, 1u);
  EXPECT_FALSE(next.columns[1].has_nan);
  EXPECT_EQ(next.columns[2].stats.null_count, 1u);
}

TEST(ColumnstoreBatchBuilder, BloomFiltersFromCallerHashes) {
  BloomOptions bo;
  BatchBuilderOptions o;
  o.max_rows = 1000;
  BatchBuilder b({{ColumnType::Int64}, {ColumnType::Varlen, /*bloom=*/true}}, o);
  for (int r = 0; r < 1000; ++r) {
    b.append_int(0, r);
    if (r % 10 == 9) {
      b.append_null(1);
    } else {
      std::string v = "v";  // (not "v" + to_string(): a false -Wrestrict of GCC 12 at -O3)
      v += std::to_string(r % 100);
      b.append_bytes(1, v);
      b.add_bloom_hash(1, static_cast<uint64_t>(r % 100) * 7919);  // 90 distinct hashes, repeated
    }
    b.end_row();
  }
  const Batch& batch = b.finish();
  EXPECT_FALSE(batch.columns[0].has_bloom);
  ASSERT_TRUE(batch.columns[1].has_bloom);
  BloomFilter f = BloomFilter::deserialize(batch.columns[1].bloom);
  EXPECT_EQ(f.bits(), BloomFilter(90).bits());  // sized by the distinct hashes
  for (int v = 0; v < 100; ++v) {
    if (v % 10 == 9) continue;
    EXPECT_TRUE(f.might_contain(static_cast<uint64_t>(v) * 7919));
  }
  size_t fp = 0;
  for (uint64_t h = 1'000'000; h < 1'010'000; ++h) fp += f.might_contain(h);
  EXPECT_LT(fp, 300u);
  // next batch: hashes of the previous one are gone
  b.append_int(0, 1);
  b.append_bytes(1, "x");
  b.add_bloom_hash(1, 42);
  b.end_row();
  BloomFilter g = BloomFilter::deserialize(b.finish().columns[1].bloom);
  EXPECT_TRUE(g.might_contain(42));
  EXPECT_FALSE(g.might_contain(7919));
}

TEST(ColumnstoreBatchBuilder, MisuseIsRefused) {
  BatchBuilderOptions o;
  o.max_rows = 2;
  BatchBuilder b({{ColumnType::Int16}, {ColumnType::Uuid}}, o);
  EXPECT_EQ(code_of([&] { b.append_int(2, 1); }), Errc::invalid_argument);
  EXPECT_EQ(code_of([&] { b.append_float8(0, 1); }), Errc::invalid_argument);
  EXPECT_EQ(code_of([&] { b.append_int(0, 40000); }), Errc::out_of_range);
  EXPECT_EQ(code_of([&] { b.append_bytes(1, "short"); }), Errc::invalid_argument);
  EXPECT_EQ(code_of([&] { b.add_bloom_hash(0, 1); }), Errc::invalid_argument);
  b.append_int(0, 1);
  EXPECT_EQ(code_of([&] { b.append_int(0, 2); }), Errc::invalid_argument);  // twice in a row
  EXPECT_EQ(code_of([&] { b.end_row(); }), Errc::invalid_argument);         // column 1 missing
  EXPECT_EQ(code_of([&] { b.finish(); }), Errc::invalid_argument);          // unfinished row
  b.append_null(1);
  b.end_row();
  b.append_null(0);
  b.append_bytes(1, std::string(16, 'u'));
  b.end_row();
  EXPECT_TRUE(b.full());
  EXPECT_EQ(code_of([&] { b.append_null(0); }), Errc::invalid_argument);
  EXPECT_EQ(code_of([&] { b.end_row(); }), Errc::invalid_argument);
  EXPECT_EQ(b.finish().rows, 2u);
  EXPECT_EQ(code_of([] { BatchBuilder x({{ColumnType::Int64, false, true}}); }), Errc::invalid_argument);
  EXPECT_EQ(code_of([] { BatchBuilder x({{static_cast<ColumnType>(0)}}); }), Errc::invalid_argument);
  BatchBuilderOptions zero;
  zero.max_rows = 0;
  EXPECT_EQ(code_of([&] { BatchBuilder x({{ColumnType::Int64}}, zero); }), Errc::invalid_argument);
  BatchBuilder s({{ColumnType::Varlen, false, true}});
  EXPECT_EQ(code_of([&] { s.finish(); }), Errc::invalid_argument);  // segment mode
}

#if !defined(__SANITIZE_ADDRESS__)
TEST(ColumnstoreBatchBuilder, AppendingToAGrownBuilderAllocatesNothing) {
  BatchBuilder b({{ColumnType::Timestamp}, {ColumnType::Float8}, {ColumnType::Varlen, true}, {ColumnType::Uuid}});
  const std::string uuid(16, 'x');
  size_t during_appends = 0;
  for (int batch = 0; batch < 3; ++batch) {
    const size_t before = g_allocations;
    for (int r = 0; r < 1000; ++r) {
      b.append_int(0, r);
      if (r % 5) b.append_float8(1, r * 0.5); else b.append_null(1);
      b.append_bytes(2, r % 3 ? std::string_view("some text value") : std::string_view("other"));
      b.add_bloom_hash(2, static_cast<uint64_t>(r % 3));
      b.append_bytes(3, uuid);
      b.end_row();
    }
    if (batch > 0) during_appends += g_allocations - before;
    b.finish();
  }
  EXPECT_EQ(during_appends, 0u);
}
#endif

namespace {

// A fleet-like segment: `devices` device ids (UUID text) reporting `reports` times each, in
// time order (so each batch cycles through the devices).
struct Fleet {
  size_t bytes_local = 0, bytes_shared = 0, dictionaries = 0;
};

Fleet encode_fleet(int segments, int devices, int reports, bool shared) {
  Fleet f;
  BatchBuilder b({{ColumnType::Timestamp}, {ColumnType::Varlen, false, shared}});
  int device_base = 0;
  for (int s = 0; s < segments; ++s, device_base += devices) {
    std::vector<std::string> ids;
    for (int d = 0; d < devices; ++d) ids.push_back(uuid_text(device_base + d));
    std::vector<std::string> rows;
    for (int t = 0; t < reports; ++t)
      for (int d = 0; d < devices; ++d) {
        b.append_int(0, int64_t{t} * 10'000'000);
        if ((t + d) % 17 == 0) {
          b.append_null(1);
          rows.emplace_back();
        } else {
          b.append_bytes(1, ids[static_cast<size_t>(d)]);
          rows.push_back(ids[static_cast<size_t>(d)]);
        }
        b.end_row();
        if (b.full()) b.finish_batch();
      }
    const Segment& seg = b.finish_segment();
    size_t row = 0;
    for (const Batch& batch : seg.batches) {
      const EncodedColumn& e = batch.columns[1];
      const SharedDictionary* sd = seg.dictionary_for(1);
      EXPECT_EQ(e.uses_shared_dictionary, sd != nullptr && e.stats.codec == Codec::ExtDictionary);
      DecodedColumn d = decode_column(e.data, ColumnType::Varlen, sd ? &sd->dictionary : nullptr);
      for (size_t r = 0; r < batch.rows; ++r, ++row) EXPECT_EQ(d.string_at(r), rows[row]);
      f.bytes_shared += e.data.size();
    }
    EXPECT_EQ(row, rows.size());
    for (const SharedDictionary& sd : seg.dictionaries) {
      f.bytes_shared += sd.serialized.size();
      EXPECT_EQ(codec::Dictionary::deserialize(sd.serialized).id(), sd.dictionary.id());
      ++f.dictionaries;
    }
  }
  return f;
}

}  // namespace

TEST(ColumnstoreBatchBuilder, SharedDictionaryWhenSmaller) {
  // 100 devices reporting 60 times: 6 batches a segment, each holding all 100 ids
  Fleet without = encode_fleet(3, 100, 60, false);
  Fleet with = encode_fleet(3, 100, 60, true);
  EXPECT_EQ(without.dictionaries, 0u);
  EXPECT_EQ(with.dictionaries, 3u);
  EXPECT_LT(with.bytes_shared, without.bytes_shared * 6 / 10);
  // one batch a segment: a shared dictionary cannot pay
  Fleet single = encode_fleet(2, 100, 5, true);
  EXPECT_EQ(single.dictionaries, 0u);
}

TEST(ColumnstoreBatchBuilder, SharedDictionaryRefusedWhenLarger) {
  // every value distinct: the dictionary would hold every value once more
  BatchBuilder b({{ColumnType::Varlen, false, true}, {ColumnType::Uuid, false, true}});
  std::mt19937_64 rng(5);
  for (int r = 0; r < 3000; ++r) {
    b.append_bytes(0, std::to_string(rng()));
    std::string u(16, '\0');
    for (auto& ch : u) ch = static_cast<char>(rng());
    b.append_bytes(1, u);
    b.end_row();
    if (b.full()) b.finish_batch();
  }
  const Segment& seg = b.finish_segment();
  EXPECT_EQ(seg.batches.size(), 3u);
  EXPECT_TRUE(seg.dictionaries.empty());
  // the next segment starts empty
  b.append_null(0);
  b.append_null(1);
  b.end_row();
  const Segment& next = b.finish_segment();
  ASSERT_EQ(next.batches.size(), 1u);
  EXPECT_EQ(next.batches[0].rows, 1u);
}

TEST(ColumnstoreBatchBuilder, SharedUuidDictionary) {
  BatchBuilder b({{ColumnType::Uuid, false, true}});
  std::vector<std::string> ids;
  for (int d = 0; d < 50; ++d) ids.push_back(std::string(15, 'a') + static_cast<char>(d));
  std::vector<std::string> rows;
  for (int r = 0; r < 5000; ++r) {
    if (r % 11 == 0) {
      b.append_null(0);
      rows.emplace_back();
    } else {
      b.append_bytes(0, ids[static_cast<size_t>(r % 50)]);
      rows.push_back(ids[static_cast<size_t>(r % 50)]);
    }
    b.end_row();
    if (b.full()) b.finish_batch();
  }
  const Segment& seg = b.finish_segment();
  ASSERT_EQ(seg.batches.size(), 5u);
  const SharedDictionary* sd = seg.dictionary_for(0);
  ASSERT_NE(sd, nullptr);
  EXPECT_EQ(sd->dictionary.size(), 50u);
  size_t row = 0;
  for (const Batch& batch : seg.batches) {
    DecodedColumn d = decode_column(batch.columns[0].data, ColumnType::Uuid, &sd->dictionary);
    for (size_t r = 0; r < batch.rows; ++r, ++row) {
      ASSERT_EQ(d.is_null(r), rows[row].empty());
      if (rows[row].empty()) continue;
      ASSERT_EQ(std::string(reinterpret_cast<const char*>(d.fixed.data()) + 16 * r, 16), rows[row]);
    }
  }
}
