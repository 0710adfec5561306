// The columnstore's pure C++ bridge (see bridge.hpp): no PostgreSQL headers here.
#include "columnstore/bridge.hpp"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/codec/codec.hpp"
#include "core/columnstore/batch_builder.hpp"
#include "core/columnstore/options.hpp"
#include "core/error.hpp"

namespace strata::columnstore::bridge {

namespace cs = strata::core::columnstore;
namespace codec = strata::core::codec;

namespace {

void fail(OptionFailure* failure, int kind, const char* message) {
  failure->kind = kind;
  std::strncpy(failure->message, message, sizeof failure->message - 1);
  failure->message[sizeof failure->message - 1] = '\0';
}

int kind_of(cs::OptionErrorKind k) {
  switch (k) {
    case cs::OptionErrorKind::syntax:
      return 1;
    case cs::OptionErrorKind::invalid_value:
      return 2;
    case cs::OptionErrorKind::duplicate:
      return 3;
    case cs::OptionErrorKind::unknown_option:
      return 4;
  }
  return 2;
}

bool copy_name(const std::string& name, ListItem* item, OptionFailure* failure) {
  if (name.size() >= kMaxNameBytes) {
    fail(failure, 2, ("column name \"" + name.substr(0, 64) + "...\" is too long").c_str());
    return false;
  }
  std::memcpy(item->column, name.c_str(), name.size() + 1);
  return true;
}

}  // namespace

int option_id(const char* name) {
  auto id = cs::find_option(name);
  return id ? static_cast<int>(*id) : -1;
}

const char* option_label(int id) { return cs::option_label(static_cast<cs::OptionName>(id)); }

int parse_list(int kind, const char* value, ListItem* items, int capacity, OptionFailure* failure) {
  try {
    int n = 0;
    if (kind == 1) {
      for (const std::string& c : cs::parse_segmentby(value)) {
        if (n == capacity) return fail(failure, 2, "too many columns"), -1;
        items[n] = ListItem{};
        if (!copy_name(c, &items[n++], failure)) return -1;
      }
    } else if (kind == 2) {
      for (const cs::OrderByItem& o : cs::parse_orderby(value)) {
        if (n == capacity) return fail(failure, 2, "too many columns"), -1;
        items[n] = ListItem{};
        items[n].descending = o.descending;
        items[n].nulls_first = o.nulls_first;
        if (!copy_name(o.column, &items[n++], failure)) return -1;
      }
    } else {
      for (const cs::SparseIndexItem& s : cs::parse_sparse_index(value)) {
        if (n == capacity) return fail(failure, 2, "too many columns"), -1;
        items[n] = ListItem{};
        items[n].bloom = s.kind == cs::SparseIndexKind::bloom;
        if (!copy_name(s.column, &items[n++], failure)) return -1;
      }
    }
    return n;
  } catch (const cs::OptionError& e) {
    fail(failure, kind_of(e.kind()), e.what());
    return -1;
  }
}

bool parse_bool(const char* value, bool* out, OptionFailure* failure) {
  auto b = cs::try_parse_bool(value);
  if (!b) {
    fail(failure, 2, "");
    return false;
  }
  *out = *b;
  return true;
}

// ---- building ---------------------------------------------------------------------------------

struct Builder {
  std::vector<cs::ColumnSpec> specs;
  // Two sets of buffers: rows are appended to bufs[cur] while the worker encodes the other.
  std::unique_ptr<cs::BatchBuilder> bufs[2];
  int cur = 0;
  const cs::Batch* batch = nullptr;  // the finished batch builder_column reads

  // The worker thread and its one job (guarded by mu; the worker only ever touches `job`).
  std::thread worker;
  bool worker_started = false;
  bool worker_failed = false;  // no thread: builder_submit encodes at once
  std::mutex mu;
  std::condition_variable cv;
  cs::BatchBuilder* job = nullptr;   // set by the backend, cleared by the worker when encoded
  // Whether `job` is set, readable without mu (builder_busy: no mutex operation, which could
  // throw, on the glue's paths; written with mu held, next to every change of `job`).
  std::atomic<bool> job_pending{false};
  bool job_running = false;          // the worker has taken `job` and is encoding it
  const cs::Batch* job_result = nullptr;
  std::exception_ptr job_error;
  bool stop = false;
  bool in_flight = false;  // backend side: a submitted batch not collected yet
  int64_t taken_back = 0;  // batches builder_collect encoded on the backend's thread
  int test_delay_ms = 0;   // builder_test_encode_delay: a pause before each batch's encoding

  // Each column's codec choice, shared by both sets of buffers (only one batch is encoded at a
  // time: by the worker, or by the backend when there is no worker).
  std::vector<codec::CodecHint> hints;
  cs::BatchBuilderOptions options;

  // Planned shared dictionaries, per column: `cur` is set on the buffers appended to; `prev`
  // stays alive while a batch appended under it may still be encoded; `kept` is the last planned
  // one (builder_plan_keep), `serialized` its serialized form.
  struct Plan {
    std::unique_ptr<cs::DictionaryPlanner> planner;
    std::shared_ptr<const codec::Dictionary> cur, prev, kept;
    std::vector<uint8_t> serialized;
  };
  std::vector<Plan> plans;

  explicit Builder(std::vector<cs::ColumnSpec> s) : specs(std::move(s)), hints(specs.size()), plans(specs.size()) {
    bufs[0] = std::make_unique<cs::BatchBuilder>(specs, options);
  }
  cs::BatchBuilder& current() { return *bufs[cur]; }
  // Encodes `j` (on the worker, or on the backend's thread when it has none or takes the batch
  // back), after the test-only pause.
  const cs::Batch* encode(cs::BatchBuilder* j) {
    if (test_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(test_delay_ms));
    return &j->finish();
  }
  const cs::BatchBuilder& current() const { return *bufs[cur]; }

  // Runs on the worker thread: C++ data of this builder only.
  void work() {
    // SCHED_BATCH: the worker never preempts the backend when the backend wakes it. Without it,
    // on a machine whose cores are busy the kernel ran the freshly woken worker at once on the
    // backend's own core and put the backend off it at every batch handed over (about one
    // involuntary context switch per batch), so the two ran one after the other rather than side
    // by side (docs/BENCHMARKS.md, "Where compress_chunk's time goes"). Failure leaves the policy.
    sched_param param{};
    param.sched_priority = 0;
    (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      cv.wait(lock, [this] { return stop || job != nullptr; });
      if (job == nullptr) return;  // stop
      cs::BatchBuilder* j = job;
      job_running = true;
      lock.unlock();
      const cs::Batch* result = nullptr;
      std::exception_ptr error;
      try {
        result = encode(j);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      job = nullptr;
      job_pending.store(false, std::memory_order_release);
      job_running = false;
      job_result = result;
      job_error = error;
      cv.notify_all();
    }
  }

  void start_worker() {
    worker_started = true;
    // Every signal blocked while the thread is created, so that it inherits a full mask: the
    // backend's handlers (cancel, timeouts, latches) must run on the backend's own thread.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    try {
      worker = std::thread([this] { work(); });
    } catch (const std::exception&) {
      worker_failed = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }

  // Stops and joins the worker, if one runs. May throw (std::system_error of the mutex or the
  // join): builder_destroy calls it, not the destructor (noexcept: a throw there terminates).
  void stop_worker() {
    if (!worker.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
    }
    cv.notify_all();
    worker.join();
  }
};

Builder* builder_create(const uint8_t* types, const bool* bloom, int ncols) {
  std::vector<cs::ColumnSpec> specs(static_cast<size_t>(ncols));
  for (int i = 0; i < ncols; ++i) {
    specs[i].type = static_cast<codec::ColumnType>(types[i]);
    specs[i].bloom = bloom[i];
  }
  return new Builder(std::move(specs));
}

void builder_destroy(Builder* b) {
  // Called from a memory context callback (C, outside any cpp_entry: also during an abort):
  // nothing may escape. A worker that cannot be stopped may still use the builder: then it is
  // left allocated rather than freed under the worker.
  try {
    b->stop_worker();
  } catch (...) {
    return;
  }
  delete b;
}
void builder_add_bloom_hash(Builder* b, int col, uint64_t hash) { b->current().add_bloom_hash(col, hash); }
void builder_append_row(Builder* b, const RowValue* values) {
  b->batch = nullptr;
  b->current().append_row(values);
}
void builder_append_cell(Builder* b, int col, const RowValue* value) { b->current().append_cell(col, *value); }
void builder_end_row(Builder* b) {
  b->batch = nullptr;
  b->current().end_row();
}
void builder_append_column(Builder* b, int col, const RowValue* values, size_t n) {
  b->batch = nullptr;
  b->current().append_column(col, values, n);
}
void builder_end_rows(Builder* b, size_t n) {
  b->batch = nullptr;
  b->current().end_rows(n);
}
size_t builder_rows(const Builder* b) { return b->current().rows(); }
bool builder_full(const Builder* b) { return b->current().full(); }
size_t builder_varlen_bytes(const Builder* b) { return b->current().varlen_bytes(); }
void builder_finish(Builder* b) {
  if (b->in_flight) throw core::Error(core::Errc::internal, "columnstore: builder_finish with a batch in flight");
  b->batch = &b->current().finish();
}

void builder_submit(Builder* b) {
  if (b->in_flight) throw core::Error(core::Errc::internal, "columnstore: a batch is already in flight");
  if (b->current().rows() == 0) throw core::Error(core::Errc::internal, "columnstore: submitting an empty batch");
  const int next = 1 - b->cur;
  if (!b->bufs[next]) b->bufs[next] = std::make_unique<cs::BatchBuilder>(b->specs, b->options);
  if (!b->worker_started) b->start_worker();
  if (b->worker_failed) {
    b->job_result = b->encode(&b->current());
    b->job_error = nullptr;
  } else {
    {
      std::lock_guard<std::mutex> lock(b->mu);
      b->job = &b->current();
      b->job_pending.store(true, std::memory_order_release);
      b->job_result = nullptr;
      b->job_error = nullptr;
    }
    b->cv.notify_all();
  }
  b->in_flight = true;
  b->cur = next;
  // The buffer appended to next was encoded last under the dictionaries of its time.
  for (size_t col = 0; col < b->plans.size(); ++col)
    if (b->plans[col].planner) b->current().set_dictionary(col, b->plans[col].cur.get());
}

namespace {

Builder::Plan& plan_of(Builder* b, int col) {
  if (col < 0 || static_cast<size_t>(col) >= b->plans.size())
    throw core::Error(core::Errc::internal, "columnstore: no builder column " + std::to_string(col));
  return b->plans[col];
}

}  // namespace

void builder_plan_begin(Builder* b, int col) {
  Builder::Plan& p = plan_of(b, col);
  if (!p.planner)
    p.planner = std::make_unique<cs::DictionaryPlanner>(b->specs[col].type, b->current().max_rows());
  else
    p.planner->reset();
}

void builder_plan_add(Builder* b, int col, const uint8_t* data, size_t len, bool isnull) {
  Builder::Plan& p = plan_of(b, col);
  if (!p.planner) throw core::Error(core::Errc::internal, "columnstore: builder_plan_add without builder_plan_begin");
  if (isnull)
    p.planner->add_null();
  else
    p.planner->add(std::string_view(reinterpret_cast<const char*>(data), len));
}

bool builder_plan_end(Builder* b, int col, const uint8_t** data, size_t* len, size_t* local_bytes, size_t* distinct) {
  Builder::Plan& p = plan_of(b, col);
  if (!p.planner) throw core::Error(core::Errc::internal, "columnstore: builder_plan_end without builder_plan_begin");
  *local_bytes = p.planner->local_bytes();
  *distinct = p.planner->distinct();
  std::optional<codec::Dictionary> d = p.planner->finish();
  p.planner->reset();
  p.kept = d ? std::make_shared<const codec::Dictionary>(std::move(*d)) : nullptr;
  p.serialized.clear();
  if (p.kept) p.serialized = p.kept->serialize(b->options.encode.zstd_level);
  return builder_plan_keep(b, col, true, data, len);
}

bool builder_plan_keep(Builder* b, int col, bool use, const uint8_t** data, size_t* len) {
  Builder::Plan& p = plan_of(b, col);
  if (!p.planner) throw core::Error(core::Errc::internal, "columnstore: builder_plan_keep without a plan");
  // (a batch in flight may use `cur`; the one before it has been collected)
  p.prev = std::move(p.cur);
  p.cur = use ? p.kept : nullptr;
  b->current().set_dictionary(static_cast<size_t>(col), p.cur.get());
  *data = p.serialized.data();
  *len = p.cur ? p.serialized.size() : 0;
  return p.cur != nullptr;
}

bool builder_in_flight(const Builder* b) { return b->in_flight; }

void builder_test_encode_delay(Builder* b, int ms) noexcept { b->test_delay_ms = ms; }

int64_t builder_taken_back(const Builder* b) { return b->taken_back; }

bool builder_busy(const Builder* b) noexcept {
  return b->in_flight && b->job_pending.load(std::memory_order_acquire);
}

void builder_reuse_codecs(Builder* b, bool on) {
  if (b->in_flight || b->bufs[1] || b->current().rows() != 0)
    throw core::Error(core::Errc::internal, "columnstore: builder_reuse_codecs after the first row");
  b->options.hints = on ? b->hints.data() : nullptr;
  b->bufs[0] = std::make_unique<cs::BatchBuilder>(b->specs, b->options);
}

void builder_collect(Builder* b) {
  if (!b->in_flight) throw core::Error(core::Errc::internal, "columnstore: no batch in flight");
  cs::BatchBuilder* stolen = nullptr;
  {
    std::unique_lock<std::mutex> lock(b->mu);
    if (b->job != nullptr && !b->job_running) {
      // The worker has not started it (on a machine whose cores are busy it may not get one for
      // a while): the backend encodes it itself rather than wait for the worker to be scheduled.
      stolen = b->job;
      b->job = nullptr;
      b->job_pending.store(false, std::memory_order_release);
    } else {
      b->cv.wait(lock, [b] { return b->job == nullptr; });
    }
  }
  b->in_flight = false;
  if (stolen != nullptr) {
    b->taken_back++;
    b->job_error = nullptr;
    b->batch = b->encode(stolen);  // (only one batch is encoded at a time: the worker has none)
    return;
  }
  if (b->job_error) {
    std::exception_ptr e = b->job_error;
    b->job_error = nullptr;
    std::rethrow_exception(e);
  }
  b->batch = b->job_result;
}

void builder_column(const Builder* b, int col, const uint8_t** data, size_t* len, const uint8_t** bloom,
                    size_t* bloom_len) {
  if (b->batch == nullptr || col < 0 || static_cast<size_t>(col) >= b->batch->columns.size())
    throw core::Error(core::Errc::internal, "columnstore: no finished batch column " + std::to_string(col));
  const cs::EncodedColumn& c = b->batch->columns[col];
  *data = c.data.data();
  *len = c.data.size();
  *bloom = c.has_bloom ? c.bloom.data() : nullptr;
  *bloom_len = c.has_bloom ? c.bloom.size() : 0;
}

// ---- decoding ---------------------------------------------------------------------------------

struct Decoder {
  codec::DecodedColumn column;
  codec::CodecContext context;
  std::unordered_map<uint64_t, std::unique_ptr<codec::Dictionary>> dictionaries;  // shared, by id
};

Decoder* decoder_create() { return new Decoder(); }
void decoder_destroy(Decoder* d) { delete d; }

bool decoder_decode(Decoder* d, const uint8_t* data, size_t len, uint8_t type) {
  codec::DecodeOptions options;
  options.materialize_strings = true;
  options.context = &d->context;
  const std::span<const uint8_t> bytes(data, len);
  const codec::Dictionary* dictionary = nullptr;
  if (const uint64_t id = codec::inspect_column(bytes).dictionary_id; id != 0) {
    auto it = d->dictionaries.find(id);
    if (it == d->dictionaries.end()) return false;
    dictionary = it->second.get();
  }
  codec::decode_column_into(bytes, static_cast<codec::ColumnType>(type), d->column, dictionary, options);
  return true;
}

void decoder_add_dictionary(Decoder* d, const uint8_t* data, size_t len) {
  const std::span<const uint8_t> bytes(data, len);
  if (d->dictionaries.count(codec::Dictionary::serialized_id(bytes))) return;
  codec::DecodeOptions options;
  options.context = &d->context;
  auto dict = std::make_unique<codec::Dictionary>(codec::Dictionary::deserialize(bytes, options));
  const uint64_t id = dict->id();
  d->dictionaries.emplace(id, std::move(dict));
}


size_t decoder_rows(const Decoder* d) { return d->column.rows; }
bool decoder_is_null(const Decoder* d, size_t row) { return d->column.is_null(row); }

int64_t decoder_int(const Decoder* d, size_t row) {
  const codec::DecodedColumn& c = d->column;
  switch (c.type) {
    case codec::ColumnType::Int16:
      return c.values<int16_t>()[row];
    case codec::ColumnType::Int32:
    case codec::ColumnType::Date:
      return c.values<int32_t>()[row];
    case codec::ColumnType::Int64:
    case codec::ColumnType::Timestamp:
      return c.values<int64_t>()[row];
    case codec::ColumnType::Bool:
      return c.values<uint8_t>()[row];
    default:
      throw core::Error(core::Errc::internal, "columnstore: not an integer column");
  }
}

float decoder_float4(const Decoder* d, size_t row) { return d->column.values<float>()[row]; }
double decoder_float8(const Decoder* d, size_t row) { return d->column.values<double>()[row]; }
bool decoder_bool(const Decoder* d, size_t row) { return d->column.values<uint8_t>()[row] != 0; }

void decoder_bytes(const Decoder* d, size_t row, const uint8_t** data, size_t* len) {
  if (d->column.type == codec::ColumnType::Uuid) {
    *data = d->column.fixed.data() + row * 16;
    *len = 16;
    return;
  }
  std::string_view s = d->column.string_at(row);
  *data = reinterpret_cast<const uint8_t*>(s.data());
  *len = s.size();
}

}  // namespace strata::columnstore::bridge
