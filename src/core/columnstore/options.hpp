// Columnstore settings as users write them in ALTER TABLE ... SET (...): option names with
// TimescaleDB's spellings, and the values (segmentby / orderby / sparse index lists, booleans).
//
// Pure parsing: whether the named columns exist, whether a column appears in two lists and
// whether its type suits an index is for the PostgreSQL glue to check. Every error is an
// OptionError (a strata::core::Error) saying what is wrong and where.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"

namespace strata::core::columnstore {

// What went wrong, for the glue's SQLSTATE: syntax -> 42601 (syntax_error), everything else ->
// 22023 (invalid_parameter_value), which is also what Error::code() (invalid_argument) maps to.
enum class OptionErrorKind {
  syntax,          // the value does not follow the list's grammar
  invalid_value,   // well-formed but not acceptable (a boolean that is not one, an empty name)
  duplicate,       // the same column (or index) twice in one list
  unknown_option,  // an option name strata does not know
};

class OptionError : public Error {
 public:
  OptionError(OptionErrorKind kind, const std::string& message, size_t offset, std::string token)
      : Error(Errc::invalid_argument, message), kind_(kind), offset_(offset), token_(std::move(token)) {}
  OptionErrorKind kind() const noexcept { return kind_; }
  size_t offset() const noexcept { return offset_; }  // byte offset in the value (0 for names)
  const std::string& token() const noexcept { return token_; }  // the offending text ("" at the end)

 private:
  OptionErrorKind kind_;
  size_t offset_;
  std::string token_;
};

enum class OptionName {
  compress,             // timescaledb.compress, .enable_columnstore, .columnstore
  segmentby,            // compress_segmentby, segmentby, segment_by
  orderby,              // compress_orderby, orderby, order_by
  sparse_index,         // compress_index, sparse_index
  chunk_time_interval,  // compress_chunk_time_interval (the value is an interval: the glue parses it)
};

// Normalises an option name: an optional "timescaledb." or "strata." prefix, then one of the
// spellings above, compared case-insensitively. nullopt when the name is not a columnstore option.
std::optional<OptionName> find_option(std::string_view name);
// The same, throwing OptionError(unknown_option) for a name it does not know.
OptionName parse_option_name(std::string_view name);
// The canonical spelling used in messages ("compress_segmentby", ...).
const char* option_label(OptionName name);

// A PostgreSQL boolean as parse_bool() accepts it: true/false, yes/no, on/off, 1/0, any
// case, and any unambiguous prefix of the words ("t", "of"); no surrounding whitespace.
std::optional<bool> try_parse_bool(std::string_view value);
bool parse_bool(std::string_view value, std::string_view option = "compress");

// Column names: SQL identifiers, unquoted ones folded to lower case (ASCII), double-quoted ones
// kept as written with "" standing for one quote. Names are not truncated to NAMEDATALEN.

// compress_segmentby: "a, b, \"C\"". An empty or blank value is the empty list.
std::vector<std::string> parse_segmentby(std::string_view value);

struct OrderByItem {
  std::string column;
  bool descending = false;
  bool nulls_first = false;  // SQL defaults: ASC -> NULLS LAST, DESC -> NULLS FIRST
  bool operator==(const OrderByItem&) const = default;
};
// compress_orderby: "time DESC, a ASC NULLS FIRST". An empty or blank value is the empty list.
std::vector<OrderByItem> parse_orderby(std::string_view value);

enum class SparseIndexKind { minmax, bloom };
struct SparseIndexItem {
  SparseIndexKind kind = SparseIndexKind::minmax;
  std::string column;
  bool operator==(const SparseIndexItem&) const = default;
};
// sparse_index: "minmax(a), bloom(b)". Function names are case-insensitive; a column may have
// both kinds, not the same kind twice. An empty or blank value is the empty list.
std::vector<SparseIndexItem> parse_sparse_index(std::string_view value);

}  // namespace strata::core::columnstore
