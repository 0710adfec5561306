// Shared driver for the codec decoder fuzz targets: input = one selector byte + an encoding.
// Every decoder entry point must either succeed or throw strata::core::Error.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "codec/codec.hpp"
#include "error.hpp"

namespace strata_fuzz {

using namespace strata::core;
using namespace strata::core::codec;

// The dictionary the golden "text_extdict" case was encoded against (same values), so seeds
// derived from it reach the ExtDictionary decoder.
inline std::string uuid_of(int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012x", i * 2654435761u, i & 0xffff, i % 4096, (i * 7) % 4096,
                i * 40503u);
  return buf;
}

inline const Dictionary& fuzz_dictionary() {
  static const Dictionary d = [] {
    static std::vector<std::string> s;
    for (int i = 0; i < 120; ++i) s.push_back(uuid_of(i));
    std::vector<std::string_view> v(s.begin(), s.end());
    return Dictionary::build(ColumnType::Varlen, v);
  }();
  return d;
}

// decode_selected_rows with a selection drawn from the input's own bytes (its density from the
// first byte): a throw must leave the reused column empty; an accepted decode must hold, row j,
// the j-th selected row's value of the whole decode (when the whole decode accepts the bytes).
inline void exercise_selected(std::span<const uint8_t> bytes, ColumnType type, const Dictionary* dict,
                              const DecodeOptions& o) {
  uint64_t rows = 0;
  try {
    rows = inspect_column(bytes).rows;
  } catch (const Error&) {
    return;
  }
  if (rows > (uint64_t{1} << 20)) return;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < bytes.size() && i < 16; ++i) x = (x ^ bytes[i]) * 0x100000001b3ull;
  const unsigned density = bytes.empty() ? 0 : bytes[0] % 4;  // 0: all, 1: ~1/2, 2: ~1/4, 3: ~1/64
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  std::vector<uint64_t> sel((rows + 63) / 64 + 1);  // (one spare word: bits past the rows are ignored)
  for (uint64_t& w : sel) {
    w = density == 0 ? ~uint64_t{0} : density == 1 ? next() : density == 2 ? next() & next() : uint64_t{1} << (next() & 63);
  }
  static DecodedColumn dense;
  const uint64_t before = dense.rows;
  bool ok = false;
  try {
    ok = decode_selected_rows(bytes, type, dense, sel, dict, o);
  } catch (const Error&) {
    if (dense.rows != 0 || !dense.fixed.empty() || !dense.data.empty() || !dense.codes.empty()) __builtin_trap();
    return;
  }
  if (!ok) {
    if (dense.rows != before) __builtin_trap();
    return;
  }
  std::vector<uint64_t> picked;
  for (uint64_t r = 0; r < rows; ++r)
    if ((sel[r >> 6] >> (r & 63)) & 1) picked.push_back(r);
  if (dense.rows != picked.size() || dense.null_count != 0) __builtin_trap();
  DecodedColumn whole;
  try {
    whole = decode_column(bytes, type, dict, o);
  } catch (const Error&) {
    return;  // (bytes of rows not selected are not all checked)
  }
  if (whole.rows != rows) __builtin_trap();
  if (type == ColumnType::Varlen) {
    for (size_t j = 0; j < picked.size(); ++j)
      if (dense.string_at(j) != whole.string_at(picked[j])) __builtin_trap();
  } else if (rows > 0) {
    const size_t w = fixed_width(type);
    if (dense.fixed.size() < picked.size() * w) __builtin_trap();
    for (size_t j = 0; j < picked.size(); ++j)
      if (std::memcmp(dense.fixed.data() + j * w, whole.fixed.data() + picked[j] * w, w) != 0) __builtin_trap();
  }
}

inline void exercise(ColumnType type, const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  DecodeOptions o;
  o.max_output_bytes = uint64_t{1} << 24;
  const Dictionary* dict = type == ColumnType::Varlen ? &fuzz_dictionary() : nullptr;
  try {
    DecodedColumn d = decode_column(bytes, type, dict, o);
    // touch every value so ASan sees any bad offset
    volatile size_t sink = 0;
    for (size_t i = 0; i < d.rows; ++i)
      if (type == ColumnType::Varlen) sink = sink + d.string_at(i).size();
    (void)sink;
  } catch (const Error&) {
  }
  // into one column object reused across inputs (as a scan does): a failed decode must leave it
  // empty, a good one must match a fresh decode
  static DecodedColumn reused;
  try {
    o.materialize_strings = true;
    decode_column_into(bytes, type, reused, dict, o);
    DecodedColumn fresh = decode_column(bytes, type, dict, o);
    if (fresh.rows != reused.rows || fresh.null_count != reused.null_count || fresh.validity != reused.validity ||
        fresh.fixed != reused.fixed || fresh.offsets != reused.offsets || fresh.data != reused.data)
      __builtin_trap();
  } catch (const Error&) {
    if (reused.rows != 0 || !reused.fixed.empty() || !reused.data.empty()) __builtin_trap();
  }
  exercise_selected(bytes, type, dict, o);
  try {
    Predicate p = Predicate::int_cmp(CmpOp::Ge, 3);
    p.float_value = 1.5;
    p.bytes_value = "online";
    evaluate_predicate(bytes, type, p, dict, o);
  } catch (const Error&) {
  }
  if (type != ColumnType::Varlen && type != ColumnType::Uuid) {
    try {
      aggregate_column(bytes, type, o);
    } catch (const Error&) {
    }
  }
  try {
    inspect_column(bytes);
  } catch (const Error&) {
  }
}

// Fuzz input = selector byte + encoding. The selector is a ColumnType value of `family`; any
// other byte is mapped onto the family, so every input exercises one of its types.
template <size_t N>
int run_family(const ColumnType (&family)[N], const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  ColumnType t = family[data[0] % N];
  for (ColumnType k : family)
    if (static_cast<uint8_t>(k) == data[0]) t = k;
  exercise(t, data + 1, size - 1);
  return 0;
}

}  // namespace strata_fuzz
