// Shared driver for the codec decoder fuzz targets: input = one selector byte + an encoding.
// Every decoder entry point must either succeed or throw strata::core::Error.
#pragma once

#include <cstdint>
#include <cstdio>
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
