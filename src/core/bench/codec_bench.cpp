// Codec benchmark: generates data shaped like the bench workloads (devops, devops with two
// decimals, fleet status, sensor), forms batches as the columnstore will (per chunk and segment,
// in orderby order, 1,000 rows), encodes every column with the codec core and, in the same run,
// compresses the raw column bytes with zstd level 3. Prints one line per column:
//   codec_bench dataset=<name> column=<name> type=<type> bytes_per_value=<x>
//     ratio_vs_zstd=<zstd_bytes/our_bytes> decode_speedup_vs_zstd=<x> encode_mb_s=<x>
// bytes_per_value counts every byte we store per row (header, validity, and for columns with a
// shared dictionary the serialized dictionary bytes), divided by the number of rows.
// Raw column bytes for zstd: the null bitmap (1 bit a row, only when the batch has NULLs), then
// the non-null values little-endian (fixed width) or, for text, a 4-byte length and the bytes of
// each non-null value.
//
// Options: --scale=<f> (default 1; data volume multiplier), --verbose (codec mix and per-batch
// timings on stderr), --only=<dataset>, --column=<name>, --passes=<n> (decode timing passes, best
// of n; default 7), --zstd-min-gain=<f> (EncodeOptions::zstd_min_gain), --hint (encode each
// column's batches with one codec::CodecHint, as compress_chunk and the direct COPY do; the
// devops16 dataset, the database benchmark's devops shape, runs only with --only=devops16), --gbench (also run the Google
// Benchmark micro-benchmarks of single-batch decode; extra args are passed to it).
#include <benchmark/benchmark.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "codec/codec.hpp"

using namespace strata::core::codec;

namespace {

struct Col {
  Col(std::string n, ColumnType t, bool sd = false) : name(std::move(n)), type(t), shared_dict(sd) {}
  std::string name;
  ColumnType type;
  bool shared_dict = false;
  std::vector<int64_t> i;
  std::vector<double> f;
  std::vector<std::string> s;
  std::vector<uint8_t> null;  // 1 = NULL; empty = no nulls
};

// One chunk x segment group, rows already in orderby order.
struct Group {
  std::vector<Col> cols;
  size_t rows = 0;
};

struct Dataset {
  std::string name;
  std::vector<Group> groups;
};

std::string uuid_text(std::mt19937_64& rng) {
  static const char* hex = "0123456789abcdef";
  std::string s;
  uint64_t a = rng(), b = rng();
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
    uint64_t w = i < 16 ? a : b;
    s += hex[(w >> (4 * (i % 16))) & 15];
  }
  return s;
}

const char* kMetrics[] = {"usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
                          "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"};

// devops: hosts every 10 s, ten metrics each a clamped random walk with N(0,1) steps over [0,100]
// (TSBS cpu-only shape), rounded to whole numbers or to two decimals. Segment by host, order by
// time, 1-day chunks.
Dataset make_devops(bool decimals, double scale) {
  Dataset d;
  d.name = decimals ? "devops_decimal" : "devops";
  std::mt19937_64 rng(decimals ? 11 : 10);
  std::normal_distribution<double> step(0.0, 1.0);
  const int hosts = std::max(1, static_cast<int>(100 * scale));
  const int64_t t0 = INT64_C(1704067200000000);  // 2024-01-01, microseconds
  const int64_t interval = 10'000'000, rows_per_host = 8640;  // one day = one chunk
  const char* regions[] = {"us-east-1", "us-west-1", "eu-west-1", "ap-southeast-1"};
  for (int h = 0; h < hosts; ++h) {
    Group g;
    g.rows = rows_per_host;
    Col time{"time", ColumnType::Timestamp}, tags{"tags_id", ColumnType::Int32}, region{"region", ColumnType::Varlen},
        dc{"datacenter", ColumnType::Varlen};
    for (int64_t k = 0; k < rows_per_host; ++k) {
      time.i.push_back(t0 + k * interval);
      tags.i.push_back(h + 1);
      region.s.push_back(regions[h % 4]);
      dc.s.push_back(std::string(regions[h % 4]) + (h % 3 == 0 ? "a" : h % 3 == 1 ? "b" : "c"));
    }
    g.cols = {time, tags, region, dc};
    for (const char* m : kMetrics) {
      Col c{m, ColumnType::Float8};
      double w = static_cast<double>(rng() % 101);
      for (int64_t k = 0; k < rows_per_host; ++k) {
        w = std::clamp(w + step(rng), 0.0, 100.0);
        c.f.push_back(decimals ? std::round(w * 100) / 100 : std::round(w));
      }
      g.cols.push_back(std::move(c));
    }
    d.groups.push_back(std::move(g));
  }
  return d;
}

// devops16: the shape of bench/workloads/devops/generate.sql (what compress_chunk and the direct
// COPY encode in the database benchmarks): metrics are multiples of 1/16 in [0, 100], random walks
// with uniform steps of -2 .. +2 (in 1/16 units) reflected at the ends; hosts every 10 s, segment
// by host, order by time DESC (the bench's orderby), 12-hour chunks.
Dataset make_devops16(double scale) {
  Dataset d;
  d.name = "devops16";
  std::mt19937_64 rng(16);
  const int hosts = std::max(1, static_cast<int>(100 * scale));
  const int64_t t0 = INT64_C(1704067200000000);
  const int64_t interval = 10'000'000, rows_per_host = 4320;  // 12 hours = one chunk
  const char* regions[] = {"us-east-1", "us-west-1", "eu-west-1", "ap-southeast-1"};
  for (int h = 0; h < hosts; ++h) {
    Group g;
    g.rows = rows_per_host;
    Col time{"time", ColumnType::Timestamp}, tags{"tags_id", ColumnType::Int32}, region{"region", ColumnType::Varlen},
        dc{"datacenter", ColumnType::Varlen};
    for (int64_t k = rows_per_host - 1; k >= 0; --k) {
      time.i.push_back(t0 + k * interval);
      tags.i.push_back(h);
      region.s.push_back(regions[h % 4]);
      dc.s.push_back(std::string(regions[h % 4]) + (h % 3 == 0 ? "a" : h % 3 == 1 ? "b" : "c"));
    }
    g.cols = {time, tags, region, dc};
    for (const char* m : kMetrics) {
      Col c{m, ColumnType::Float8};
      int64_t units = static_cast<int64_t>(rng() % 1601);
      std::vector<double> walk;
      for (int64_t k = 0; k < rows_per_host; ++k) {
        units += static_cast<int64_t>(rng() % 65) - 32;
        const int64_t mm = ((units % 3200) + 3200) % 3200;
        walk.push_back(static_cast<double>(mm <= 1600 ? mm : 3200 - mm) / 16);
      }
      c.f.assign(walk.rbegin(), walk.rend());  // time DESC
      g.cols.push_back(std::move(c));
    }
    d.groups.push_back(std::move(g));
  }
  return d;
}

// fleet: 20,000 devices in 200 accounts (Zipf-skewed sizes) report every 2 minutes at a
// per-device second offset (2% of reports missing); segment by account, order by (timestamp,
// device_id), 1-hour chunks; device_id is UUID text with a shared dictionary per chunk+segment.
Dataset make_fleet(double scale) {
  Dataset d;
  d.name = "fleet";
  std::mt19937_64 rng(20);
  const int devices = std::max(200, static_cast<int>(20000 * scale));
  const int accounts = 200;
  std::vector<double> w(accounts);
  for (int a = 0; a < accounts; ++a) w[a] = 1.0 / (a + 1);
  std::discrete_distribution<int> pick_account(w.begin(), w.end());
  const char* colos[] = {"iad1", "iad2", "sfo1", "ord1", "dfw1", "lhr1", "fra1", "ams1", "sin1", "nrt1", "syd1", "gru1"};
  const char* statuses[] = {"online", "idle", "charging", "offline", "error", "updating"};
  const char* modes[] = {"normal", "eco", "performance"};
  const char* platforms[] = {"android", "ios", "linux", "windows", "macos"};
  struct Dev {
    std::string id;
    int account, offset, colo, version, platform, mode, status;
  };
  std::vector<Dev> devs(devices);
  for (auto& dv : devs) {
    dv.id = uuid_text(rng);
    dv.account = pick_account(rng);
    dv.offset = static_cast<int>(rng() % 120);
    dv.colo = static_cast<int>(rng() % 12);
    dv.version = static_cast<int>(rng() % 100 < 70 ? 0 : rng() % 12);
    dv.platform = static_cast<int>(rng() % 5);
    dv.mode = static_cast<int>(rng() % 10 < 8 ? 0 : 1 + rng() % 2);
    dv.status = 0;
  }
  const int64_t t0 = INT64_C(1704067200000000);
  const int hours = 2;
  struct Row {
    int64_t ts;
    int dev;
    int status;
  };
  for (int hr = 0; hr < hours; ++hr) {
    std::vector<std::vector<Row>> per_account(accounts);
    for (int r = 0; r < 30; ++r) {
      for (int di = 0; di < devices; ++di) {
        Dev& dv = devs[di];
        if (rng() % 100 < 2) continue;  // missed report
        if (rng() % 100 < 3) dv.status = static_cast<int>(rng() % 100 < 60 ? 0 : rng() % 6);
        int64_t ts = t0 + (static_cast<int64_t>(hr) * 3600 + r * 120 + dv.offset) * 1'000'000;
        per_account[dv.account].push_back({ts, di, dv.status});
      }
    }
    for (int a = 0; a < accounts; ++a) {
      auto& rows = per_account[a];
      if (rows.empty()) continue;
      std::sort(rows.begin(), rows.end(), [&](const Row& x, const Row& y) {
        return x.ts != y.ts ? x.ts < y.ts : devs[x.dev].id < devs[y.dev].id;
      });
      Group g;
      g.rows = rows.size();
      Col ts{"timestamp", ColumnType::Timestamp}, id{"device_id", ColumnType::Varlen, true},
          st{"status", ColumnType::Varlen}, colo{"colo", ColumnType::Varlen}, mode{"mode", ColumnType::Varlen},
          ver{"client_version", ColumnType::Varlen}, plat{"client_platform", ColumnType::Varlen};
      for (const Row& r : rows) {
        const Dev& dv = devs[r.dev];
        ts.i.push_back(r.ts);
        id.s.push_back(dv.id);
        st.s.push_back(statuses[r.status]);
        colo.s.push_back(colos[dv.colo]);
        mode.s.push_back(modes[dv.mode]);
        ver.s.push_back("5." + std::to_string(dv.version / 4) + "." + std::to_string(dv.version));
        plat.s.push_back(platforms[dv.platform]);
      }
      g.cols = {ts, id, st, colo, mode, ver, plat};
      d.groups.push_back(std::move(g));
    }
  }
  return d;
}

// sensor: sensors report about every 30 s with +-2 s jitter at millisecond precision (1% of
// readings lost); full-precision doubles; NULL-heavy columns. Segment by sensor, order by time,
// 1-day chunks.
Dataset make_sensor(double scale) {
  Dataset d;
  d.name = "sensor";
  std::mt19937_64 rng(30);
  std::normal_distribution<double> noise(0.0, 1.0);
  const int sensors = std::max(1, static_cast<int>(300 * scale));
  const int64_t t0 = INT64_C(1704067200000000);
  for (int s = 0; s < sensors; ++s) {
    Group g;
    Col time{"time", ColumnType::Timestamp}, temp{"temperature", ColumnType::Float8},
        hum{"humidity", ColumnType::Float8}, pres{"pressure", ColumnType::Float8},
        batt{"battery_mv", ColumnType::Int32}, err{"error_code", ColumnType::Int32}, msg{"message", ColumnType::Varlen};
    int64_t t = t0 + static_cast<int64_t>(rng() % 30000) * 1000;
    double tw = 15 + static_cast<double>(rng() % 100) / 10, hw = 50, pw = 1013;
    int64_t mv = 3700;
    while (t < t0 + INT64_C(86400000000) / 2) {
      t += 30'000'000 + (static_cast<int64_t>(rng() % 4001) - 2000) * 1000;
      if (rng() % 100 == 0) continue;
      tw += noise(rng) * 0.05;
      hw = std::clamp(hw + noise(rng) * 0.3, 0.0, 100.0);
      pw += noise(rng) * 0.1;
      time.i.push_back(t);
      temp.f.push_back(tw + noise(rng) * 1e-3);
      temp.null.push_back(rng() % 50 == 0);
      hum.f.push_back(hw);
      hum.null.push_back(rng() % 10 < 6);
      pres.f.push_back(pw);
      pres.null.push_back(rng() % 20 == 0);
      if (rng() % 50 == 0) mv -= static_cast<int64_t>(rng() % 3);
      batt.i.push_back(mv);
      batt.null.push_back(rng() % 10 != 0);
      err.i.push_back(static_cast<int64_t>(100 + rng() % 8));
      err.null.push_back(rng() % 100 >= 3);
      msg.s.push_back(rng() % 2 ? "sensor fault: recalibrating" : "low battery");
      msg.null.push_back(rng() % 100 >= 3);
    }
    g.rows = time.i.size();
    g.cols = {time, temp, hum, pres, batt, err, msg};
    d.groups.push_back(std::move(g));
  }
  return d;
}

// A column slice of one batch, in the codec's input shape and as raw bytes for zstd.
struct Batch {
  ColumnType type;
  size_t rows;
  std::vector<uint8_t> fixed;
  std::vector<std::string_view> views;
  std::vector<uint8_t> validity;
  std::vector<uint8_t> raw;
  ColumnView view() const {
    ColumnView v;
    v.rows = rows;
    v.validity = validity.empty() ? nullptr : validity.data();
    if (type == ColumnType::Varlen) v.varlen = views.data();
    else v.fixed = fixed.data();
    return v;
  }
};

Batch slice(const Col& c, size_t from, size_t to) {
  Batch b;
  b.type = c.type;
  b.rows = to - from;
  const size_t w = fixed_width(c.type);
  bool nulls = false;
  if (!c.null.empty()) {
    b.validity.assign((b.rows + 7) / 8, 0);
    for (size_t i = from; i < to; ++i) {
      if (!c.null[i]) b.validity[(i - from) >> 3] |= static_cast<uint8_t>(1u << ((i - from) & 7));
      else nulls = true;
    }
    if (!nulls) b.validity.clear();
  }
  b.raw = b.validity;  // the raw column carries its null bitmap, as a heap tuple would
  b.fixed.resize(b.rows * w);
  for (size_t i = from; i < to; ++i) {
    const bool isnull = !c.null.empty() && c.null[i];
    uint8_t* dst = b.fixed.data() + (i - from) * w;
    switch (c.type) {
      case ColumnType::Int32: { int32_t x = static_cast<int32_t>(c.i[i]); std::memcpy(dst, &x, 4); break; }
      case ColumnType::Int64: case ColumnType::Timestamp: std::memcpy(dst, &c.i[i], 8); break;
      case ColumnType::Float8: std::memcpy(dst, &c.f[i], 8); break;
      case ColumnType::Varlen: {
        b.views.push_back(c.s[i]);
        if (!isnull) {
          uint32_t l = static_cast<uint32_t>(c.s[i].size());
          b.raw.insert(b.raw.end(), reinterpret_cast<uint8_t*>(&l), reinterpret_cast<uint8_t*>(&l) + 4);
          b.raw.insert(b.raw.end(), c.s[i].begin(), c.s[i].end());
        }
        continue;
      }
      default: break;
    }
    if (!isnull) b.raw.insert(b.raw.end(), dst, dst + w);
  }
  return b;
}

bool g_verbose = false;
bool g_hint = false;            // --hint: one CodecHint per column, as compress_chunk keeps per chunk
double g_zstd_min_gain = -1.0;  // automatic
int g_passes = 7;               // decode timing passes (best of)
std::string g_column;           // --column=<name>: only this column

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Result {
  size_t rows = 0, ours = 0, zstd = 0, raw = 0;
  double enc_s = 0, dec_s = 0, zdec_s = 0;
};

void run_dataset(const Dataset& d) {
  const size_t ncols = d.groups.front().cols.size();
  size_t total_ours = 0;
  double total_enc_s = 0;
  uint64_t digest = 1469598103934665603ull;  // FNV-1a of every encoded blob, to compare encoders
  CodecContext ctx;
  ZSTD_CCtx* zc = ZSTD_createCCtx();
  ZSTD_DCtx* zd = ZSTD_createDCtx();
  for (size_t ci = 0; ci < ncols; ++ci) {
    Result r;
    const Col& proto = d.groups.front().cols[ci];
    if (!g_column.empty() && proto.name != g_column) continue;
    std::vector<Batch> batches;
    std::vector<std::vector<uint8_t>> blobs, zblobs;
    std::vector<const Dictionary*> dicts;
    std::vector<std::unique_ptr<Dictionary>> dict_store;
    std::map<std::string, size_t> chosen;  // codec mix, printed to stderr with --verbose
    CodecHint hint;
    for (const Group& g : d.groups) {
      const Col& c = g.cols[ci];
      const Dictionary* dict = nullptr;
      if (c.shared_dict) {
        double t = now();
        std::vector<std::string_view> vals;
        for (size_t i = 0; i < g.rows; ++i)
          if (c.null.empty() || !c.null[i]) vals.push_back(c.s[i]);
        dict_store.push_back(std::make_unique<Dictionary>(Dictionary::build(c.type, vals)));
        dict = dict_store.back().get();
        r.ours += dict->serialize().size();
        r.enc_s += now() - t;
      }
      for (size_t from = 0; from < g.rows; from += 1000) {
        batches.push_back(slice(c, from, std::min(g.rows, from + 1000)));
        dicts.push_back(dict);
      }
    }
    for (size_t bi = 0; bi < batches.size(); ++bi) {
      const Batch& b = batches[bi];
      EncodeOptions o;
      o.zstd_min_gain = g_zstd_min_gain;
      o.dictionary = dicts[bi];
      o.context = &ctx;
      if (g_hint) o.hint = &hint;
      double t = now();
      ColumnStats cst;
      blobs.push_back(encode_column(b.type, b.view(), o, &cst));
      r.enc_s += now() - t;
      chosen[std::string(codec_name(cst.codec)) + (cst.zstd ? "+zstd" : "")]++;
      r.ours += blobs.back().size();
      for (uint8_t byte : blobs.back()) digest = (digest ^ byte) * 1099511628211ull;
      r.rows += b.rows;
      r.raw += b.raw.size();
      std::vector<uint8_t> z(ZSTD_compressBound(b.raw.size()));
      z.resize(ZSTD_compressCCtx(zc, z.data(), z.size(), b.raw.data(), b.raw.size(), 3));
      r.zstd += z.size();
      zblobs.push_back(std::move(z));
    }
    // decode timings: best of g_passes (7) passes over all batches (ours and zstd interleaved per pass)
    DecodeOptions dopt;
    dopt.context = &ctx;
    r.dec_s = r.zdec_s = 1e30;
    // Both sides decode into buffers reused from batch to batch, as a scan will: ours into one
    // DecodedColumn, zstd into one output buffer (not zeroed) as large as the largest batch.
    size_t sink = 0;
    DecodedColumn dc;
    size_t zmax = 0;
    for (const Batch& b : batches) zmax = std::max(zmax, b.raw.size());
    std::unique_ptr<uint8_t[]> zout(new uint8_t[std::max<size_t>(zmax, 1)]);
    for (int rep = 0; rep < g_passes; ++rep) {
      double t = now();
      for (size_t bi = 0; bi < blobs.size(); ++bi) {
        decode_column_into(blobs[bi], proto.type, dc, dicts[bi], dopt);
        sink += dc.fixed.size() + dc.data.size();
      }
      r.dec_s = std::min(r.dec_s, now() - t);
      t = now();
      for (size_t bi = 0; bi < zblobs.size(); ++bi) {
        const size_t want = batches[bi].raw.size();
        size_t n = ZSTD_decompressDCtx(zd, zout.get(), want, zblobs[bi].data(), zblobs[bi].size());
        if (ZSTD_isError(n) || n != want) std::abort();
        sink += n;
      }
      r.zdec_s = std::min(r.zdec_s, now() - t);
    }
    // verify one pass bit-exactly against the input (cheap insurance for the figures)
    for (size_t bi = 0; bi < blobs.size(); bi += 7) {
      DecodedColumn dc = decode_column(blobs[bi], proto.type, dicts[bi], dopt);
      const Batch& b = batches[bi];
      for (size_t i = 0; i < b.rows; ++i) {
        const bool null = !b.validity.empty() && !((b.validity[i >> 3] >> (i & 7)) & 1);
        if (dc.is_null(i) != null) {
          std::fprintf(stderr, "NULL MISMATCH %s %s batch %zu row %zu\n", d.name.c_str(), proto.name.c_str(), bi, i);
          std::exit(1);
        }
        if (null) continue;
        bool ok = b.type == ColumnType::Varlen
                      ? dc.string_at(i) == b.views[i]
                      : std::memcmp(dc.fixed.data() + i * fixed_width(b.type), b.fixed.data() + i * fixed_width(b.type),
                                    fixed_width(b.type)) == 0;
        if (!ok) {
          std::fprintf(stderr, "MISMATCH %s %s batch %zu row %zu\n", d.name.c_str(), proto.name.c_str(), bi, i);
          std::exit(1);
        }
      }
    }
    if (sink == 42) std::puts("");
    total_ours += r.ours;
    total_enc_s += r.enc_s;
    std::printf(
        "codec_bench dataset=%s column=%s type=%s bytes_per_value=%.4f ratio_vs_zstd=%.2f "
        "decode_speedup_vs_zstd=%.2f encode_mb_s=%.1f\n",
        d.name.c_str(), proto.name.c_str(), type_name(proto.type), static_cast<double>(r.ours) / r.rows,
        static_cast<double>(r.zstd) / r.ours, r.zdec_s / r.dec_s, r.raw / r.enc_s / 1e6);
    std::fflush(stdout);
    if (g_verbose) {
      std::fprintf(stderr, "  %s.%s codecs:", d.name.c_str(), proto.name.c_str());
      for (auto& [k, v] : chosen) std::fprintf(stderr, " %s=%zu", k.c_str(), v);
      std::fprintf(stderr, " ours=%zu zstd=%zu raw=%zu dec_us=%.1f zdec_us=%.1f\n", r.ours, r.zstd, r.raw,
                   r.dec_s * 1e6 / blobs.size(), r.zdec_s * 1e6 / blobs.size());
    }
  }
  ZSTD_freeCCtx(zc);
  ZSTD_freeDCtx(zd);
  // one line a dataset: what an encoder change must not make larger, and how long encoding took
  std::printf("codec_bench dataset=%s total_bytes=%zu encode_s=%.3f digest=%016llx\n", d.name.c_str(), total_ours,
              total_enc_s, static_cast<unsigned long long>(digest));
}

// ---- Google Benchmark micro-benchmarks: decode of one 1,000-row batch ----
std::vector<uint8_t> g_blob;
template <ColumnType T>
void BM_Decode(benchmark::State& state) {
  CodecContext ctx;
  DecodeOptions o;
  o.context = &ctx;
  DecodedColumn d;  // reused, as a scan does
  for (auto _ : state) {
    decode_column_into(g_blob, T, d, nullptr, o);
    benchmark::DoNotOptimize(d.fixed.data());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}

void register_micro() {
  static std::vector<uint8_t> ts_blob, alp_blob;
  std::vector<int64_t> ts(1000);
  for (int i = 0; i < 1000; ++i) ts[i] = INT64_C(1704067200000000) + INT64_C(10000000) * i;
  ts_blob = encode_column(ColumnType::Timestamp, ColumnView::of_fixed(ts.data(), ts.size()));
  std::vector<double> v(1000);
  std::mt19937_64 rng(1);
  std::normal_distribution<double> st(0, 1);
  double w = 50;
  for (auto& x : v) x = std::round(w = std::clamp(w + st(rng), 0.0, 100.0));
  alp_blob = encode_column(ColumnType::Float8, ColumnView::of_fixed(v.data(), v.size()));
  benchmark::RegisterBenchmark("decode/timestamp_regular_1000", [](benchmark::State& s) {
    g_blob = ts_blob;
    BM_Decode<ColumnType::Timestamp>(s);
  });
  benchmark::RegisterBenchmark("decode/float8_walk_1000", [](benchmark::State& s) {
    g_blob = alp_blob;
    BM_Decode<ColumnType::Float8>(s);
  });
}

}  // namespace

int main(int argc, char** argv) {
  double scale = 1.0;
  bool gbench = false;
  std::string only;  // --only=<dataset>: run one dataset
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--scale=", 0) == 0) scale = std::stod(a.substr(8));
    else if (a == "--gbench") gbench = true;
    else if (a == "--verbose") g_verbose = true;
    else if (a == "--hint") g_hint = true;
    else if (a.rfind("--zstd-min-gain=", 0) == 0) g_zstd_min_gain = std::stod(a.substr(16));
    else if (a.rfind("--only=", 0) == 0) only = a.substr(7);
    else if (a.rfind("--column=", 0) == 0) g_column = a.substr(9);
    else if (a.rfind("--passes=", 0) == 0) g_passes = std::max(1, std::stoi(a.substr(9)));
    else rest.push_back(argv[i]);
  }
  const double t0 = now();
  if (only.empty() || only == "devops") run_dataset(make_devops(false, scale));
  if (only == "devops16") run_dataset(make_devops16(scale));
  if (only.empty() || only == "devops_decimal") run_dataset(make_devops(true, scale));
  if (only.empty() || only == "fleet") run_dataset(make_fleet(scale));
  if (only.empty() || only == "sensor") run_dataset(make_sensor(scale));
  std::fprintf(stderr, "codec_bench: %.1f s\n", now() - t0);
  if (gbench) {
    register_micro();
    int rc = static_cast<int>(rest.size());
    benchmark::Initialize(&rc, rest.data());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  }
  return 0;
}
