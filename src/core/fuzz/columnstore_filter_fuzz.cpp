// libFuzzer target: batch filter kernels and batch skipping on arbitrary decoded columns.
// Input: u8 type, u8 operator, 8 bytes constant, then an encoded column (codec format). When the
// column decodes, the filter must agree with a per-row evaluation, and batch_may_match (from the
// statistics of the same values re-encoded) must not skip a batch that has a match.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "codec_fuzz_common.hpp"
#include "columnstore/filter.hpp"

using namespace strata::core::columnstore;

namespace {

int sign(int64_t a, int64_t b) { return a < b ? -1 : a > b ? 1 : 0; }
int fsign(double a, double b) {  // PostgreSQL's float order
  return std::isnan(a) ? (std::isnan(b) ? 0 : 1) : std::isnan(b) ? -1 : a < b ? -1 : a > b ? 1 : 0;
}
bool test(int r, FilterOp op) {
  switch (op) {
    case FilterOp::Eq: case FilterOp::In: return r == 0;
    case FilterOp::Ne: return r != 0;
    case FilterOp::Lt: return r < 0;
    case FilterOp::Le: return r <= 0;
    case FilterOp::Gt: return r > 0;
    default: return r >= 0;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata_fuzz;
  if (size < 10) return 0;
  static const ColumnType types[] = {ColumnType::Int16, ColumnType::Int32,  ColumnType::Int64, ColumnType::Timestamp,
                                     ColumnType::Date,  ColumnType::Float4, ColumnType::Float8, ColumnType::Bool,
                                     ColumnType::Uuid,  ColumnType::Varlen};
  const ColumnType type = types[data[0] % 10];
  const FilterOp op = static_cast<FilterOp>(data[1] % 9);
  uint64_t raw;
  std::memcpy(&raw, data + 2, 8);
  FilterPredicate p;
  p.type = type;
  p.op = op;
  const bool is_float = type == ColumnType::Float4 || type == ColumnType::Float8;
  const bool is_bytes = type == ColumnType::Uuid || type == ColumnType::Varlen;
  int64_t ic = static_cast<int64_t>(raw);
  if (type == ColumnType::Bool) ic &= 1;
  if (type == ColumnType::Int16 || type == ColumnType::Int32 || type == ColumnType::Date) ic = static_cast<int32_t>(raw);
  double fc;
  std::memcpy(&fc, &raw, 8);
  std::string bc(reinterpret_cast<const char*>(data + 2), type == ColumnType::Uuid ? 8 : raw % 9);
  if (type == ColumnType::Uuid) bc += bc;
  if (op != FilterOp::IsNull && op != FilterOp::IsNotNull) {
    if (is_float) p.floats = {fc};
    else if (is_bytes) p.bytes = {bc};
    else p.ints = {ic};
    if (op == FilterOp::In) {
      if (is_float) p.floats.push_back(NAN);
      else if (is_bytes) p.bytes.push_back(std::string(type == ColumnType::Uuid ? 16 : 2, 'a'));
      else p.ints.push_back(0);
    }
  }
  DecodeOptions o;
  o.max_output_bytes = uint64_t{1} << 24;
  DecodedColumn col;
  try {
    col = decode_column(std::span<const uint8_t>(data + 10, size - 10), type, &fuzz_dictionary(), o);
  } catch (const Error&) {
    return 0;
  }
  BatchFilter f({p});
  const DecodedColumn* cols[] = {&col};
  const std::vector<uint64_t>& sel = f.evaluate(cols);
  if (sel.size() != (col.rows + 63) / 64) __builtin_trap();
  const size_t w = fixed_width(type);
  bool any = false;
  std::vector<uint8_t> validity((col.rows + 7) / 8, 0);
  std::vector<std::string_view> views(col.rows);
  for (size_t r = 0; r < col.rows; ++r) {
    bool want;
    const bool null = col.is_null(r);
    if (!null) validity[r / 8] |= static_cast<uint8_t>(1u << (r % 8));
    if (op == FilterOp::IsNull || op == FilterOp::IsNotNull) {
      want = null == (op == FilterOp::IsNull);
    } else if (null) {
      want = false;
    } else {
      const uint8_t* v = col.fixed.data() + r * w;
      auto one = [&](size_t k) {
        switch (type) {
          case ColumnType::Int16: { int16_t x; std::memcpy(&x, v, 2); return test(sign(x, p.ints[k]), op); }
          case ColumnType::Int32: case ColumnType::Date: { int32_t x; std::memcpy(&x, v, 4); return test(sign(x, p.ints[k]), op); }
          case ColumnType::Int64: case ColumnType::Timestamp: { int64_t x; std::memcpy(&x, v, 8); return test(sign(x, p.ints[k]), op); }
          case ColumnType::Bool: return test(sign(*v, p.ints[k]), op);
          case ColumnType::Float4: { float x; std::memcpy(&x, v, 4); return test(fsign(x, p.floats[k]), op); }
          case ColumnType::Float8: { double x; std::memcpy(&x, v, 8); return test(fsign(x, p.floats[k]), op); }
          case ColumnType::Uuid: {
            const int c = std::string_view(reinterpret_cast<const char*>(v), 16).compare(p.bytes[k]);
            return test(c < 0 ? -1 : c > 0, op);
          }
          case ColumnType::Varlen: {
            const int c = col.string_at(r).compare(p.bytes[k]);
            return test(c < 0 ? -1 : c > 0, op);
          }
        }
        return false;
      };
      want = one(0) || (op == FilterOp::In && one(1));
    }
    if (((sel[r / 64] >> (r % 64)) & 1) != want) __builtin_trap();
    any = any || want;
    if (type == ColumnType::Varlen) views[r] = col.string_at(r);
  }
  // statistics of the same values, from the encoder
  ColumnStats st;
  const ColumnView view = type == ColumnType::Varlen ? ColumnView::of_varlen(views.data(), col.rows, validity.data())
                                                     : ColumnView::of_fixed(col.fixed.data(), col.rows, validity.data());
  try {
    encode_column(type, view, EncodeOptions{}, &st);
  } catch (const Error&) {
    return 0;
  }
  if (any && !batch_may_match(st, p)) __builtin_trap();
  return 0;
}
