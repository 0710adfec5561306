// libFuzzer target: columnstore option values (input: one selector byte + the value). Parsers
// must return or throw OptionError; a parsed list, written back with every name quoted, must
// parse to the same list.
#include <cstdint>
#include <string>
#include <string_view>

#include "columnstore/options.hpp"

using namespace strata::core::columnstore;

namespace {

std::string quote(const std::string& name) {
  std::string q = "\"";
  for (char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view v(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 5) {
      case 0: {
        auto a = parse_segmentby(v);
        std::string s;
        for (const auto& n : a) s += (s.empty() ? "" : " , ") + quote(n);
        if (parse_segmentby(s) != a) __builtin_trap();
        break;
      }
      case 1: {
        auto a = parse_orderby(v);
        std::string s;
        for (const auto& o : a)
          s += (s.empty() ? "" : ",") + quote(o.column) + (o.descending ? " DESC" : " asc") +
               (o.nulls_first ? " nulls first" : " NULLS LAST");
        if (parse_orderby(s) != a) __builtin_trap();
        break;
      }
      case 2: {
        auto a = parse_sparse_index(v);
        std::string s;
        for (const auto& i : a)
          s += (s.empty() ? "" : ",") + std::string(i.kind == SparseIndexKind::bloom ? "Bloom(" : "minmax (") +
               quote(i.column) + ")";
        if (parse_sparse_index(s) != a) __builtin_trap();
        break;
      }
      case 3:
        (void)parse_bool(v);
        break;
      default:
        (void)parse_option_name(v);
        break;
    }
  } catch (const OptionError& e) {
    if (e.offset() > v.size()) __builtin_trap();
  }
  return 0;
}
