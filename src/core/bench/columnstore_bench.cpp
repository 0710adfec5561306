// Columnstore benchmarks: the batch filter kernels (int64 / float8 comparisons against a
// constant, rows per second over 1,000-row decoded batches) and the sizes of a fleet-like
// device_id column encoded with and without a shared dictionary per segment.
//   build/core/columnstore_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "codec/codec.hpp"
#include "columnstore/batch_builder.hpp"
#include "columnstore/filter.hpp"

using namespace strata::core::codec;
using namespace strata::core::columnstore;

namespace {

constexpr size_t kRows = 1000;

DecodedColumn int64_batch(int null_every) {
  std::mt19937_64 rng(1);
  std::vector<int64_t> v(kRows);
  std::vector<uint8_t> valid((kRows + 7) / 8, 0xff);
  for (size_t i = 0; i < kRows; ++i) {
    v[i] = static_cast<int64_t>(rng() % 1'000'000);
    if (null_every && i % static_cast<size_t>(null_every) == 0) valid[i / 8] &= static_cast<uint8_t>(~(1u << (i % 8)));
  }
  return decode_column(encode_column(ColumnType::Int64, ColumnView::of_fixed(v.data(), kRows, valid.data())),
                       ColumnType::Int64);
}

DecodedColumn float8_batch() {
  std::mt19937_64 rng(2);
  std::vector<double> v(kRows);
  for (size_t i = 0; i < kRows; ++i) v[i] = i % 97 == 0 ? NAN : static_cast<double>(rng() % 100000) / 100;
  return decode_column(encode_column(ColumnType::Float8, ColumnView::of_fixed(v.data(), kRows)), ColumnType::Float8);
}

void run(benchmark::State& state, const DecodedColumn& col, FilterPredicate p) {
  BatchFilter f({std::move(p)});
  const DecodedColumn* cols[] = {&col};
  size_t selected = 0;
  for (auto _ : state) {
    const auto& sel = f.evaluate(cols);
    benchmark::DoNotOptimize(sel.data());
    selected = count_selected(sel);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows));
  state.counters["selected"] = static_cast<double>(selected);
}

void BM_Int64Lt(benchmark::State& state) {
  run(state, int64_batch(0), FilterPredicate::cmp_int(0, ColumnType::Int64, FilterOp::Lt, 500'000));
}
void BM_Int64Eq(benchmark::State& state) {
  run(state, int64_batch(0), FilterPredicate::cmp_int(0, ColumnType::Int64, FilterOp::Eq, 123'456));
}
void BM_Int64GeNulls(benchmark::State& state) {
  run(state, int64_batch(10), FilterPredicate::cmp_int(0, ColumnType::Int64, FilterOp::Ge, 250'000));
}
void BM_Float8Lt(benchmark::State& state) {
  run(state, float8_batch(), FilterPredicate::cmp_float(0, ColumnType::Float8, FilterOp::Lt, 500.0));
}
void BM_Float8Gt(benchmark::State& state) {  // NaN rows match
  run(state, float8_batch(), FilterPredicate::cmp_float(0, ColumnType::Float8, FilterOp::Gt, 500.0));
}
void BM_Float8Eq(benchmark::State& state) {
  run(state, float8_batch(), FilterPredicate::cmp_float(0, ColumnType::Float8, FilterOp::Eq, 123.45));
}
BENCHMARK(BM_Int64Lt);
BENCHMARK(BM_Int64Eq);
BENCHMARK(BM_Int64GeNulls);
BENCHMARK(BM_Float8Lt);
BENCHMARK(BM_Float8Gt);
BENCHMARK(BM_Float8Eq);

// The naive per-row loop the kernels replace, for comparison
void BM_Int64LtPerRow(benchmark::State& state) {
  const DecodedColumn col = int64_batch(0);
  std::vector<uint64_t> sel((kRows + 63) / 64);
  for (auto _ : state) {
    std::fill(sel.begin(), sel.end(), 0);
    const int64_t* v = col.values<int64_t>();
    for (size_t i = 0; i < kRows; ++i)
      if (!col.is_null(i) && v[i] < 500'000) sel[i / 64] |= uint64_t{1} << (i % 64);
    benchmark::DoNotOptimize(sel.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows));
}
BENCHMARK(BM_Int64LtPerRow);

std::string uuid_text(uint32_t i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012x", i * 2654435761u, i & 0xffff, i % 4096,
                (i * 7) % 4096, i * 40503u);
  return buf;
}

// Fleet: 20,000 device ids (UUID text), 100 per segment (200 segments), each device reporting
// `reports` times per chunk, rows in time order. Reports bytes per row of the device_id column
// (dictionary bytes included) with (arg 1) and without (arg 0) a shared dictionary per segment.
void BM_FleetDeviceId(benchmark::State& state) {
  const int reports = static_cast<int>(state.range(0));
  const bool shared = state.range(1) != 0;
  size_t bytes = 0, rows = 0, dicts = 0;
  for (auto _ : state) {
    bytes = rows = dicts = 0;
    BatchBuilder b({{ColumnType::Varlen, false, shared}});
    for (uint32_t seg = 0; seg < 200; ++seg) {
      std::vector<std::string> ids;
      for (uint32_t d = 0; d < 100; ++d) ids.push_back(uuid_text(seg * 100 + d));
      for (int t = 0; t < reports; ++t)
        for (const std::string& id : ids) {
          b.append_bytes(0, id);
          b.end_row();
          if (b.full()) b.finish_batch();
        }
      const Segment& s = b.finish_segment();
      for (const Batch& batch : s.batches) {
        bytes += batch.columns[0].data.size();
        rows += batch.rows;
      }
      for (const SharedDictionary& d : s.dictionaries) {
        bytes += d.serialized.size();
        ++dicts;
      }
    }
  }
  state.counters["bytes_per_row"] = static_cast<double>(bytes) / static_cast<double>(rows);
  state.counters["segments_with_dictionary"] = static_cast<double>(dicts);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows));
}
BENCHMARK(BM_FleetDeviceId)
    ->ArgsProduct({{10, 60, 360}, {0, 1}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
