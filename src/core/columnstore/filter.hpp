// Filters on decoded columnstore batches: a conjunction of simple predicates (comparison with a
// constant, IS [NOT] NULL, IN list) evaluated over a batch's DecodedColumns into a selection
// bitmap, and batch skipping from a batch's min/max.
//
// SQL semantics: a predicate on a NULL value is not true, so NULL rows are never selected (except
// by IS NULL). Integer-like columns (int16/32/64, date, timestamp, bool as 0/1) compare with an
// int64 constant; float4/float8 columns compare in double with PostgreSQL's float ordering (NaN
// equals NaN and is greater than every other value, -0 equals 0); uuid and varlen compare
// bytewise (memcmp, then length), which matches PostgreSQL only for uuid, bytea and text in the
// "C" collation: the glue must not push down other string comparisons. Varlen columns in
// dictionary form are evaluated once per dictionary entry and then mapped over the codes.
//
// The kernels are plain loops over the value arrays, 64 rows at a time, that the compiler
// vectorises; no per-row virtual calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "codec/codec.hpp"

namespace strata::core::columnstore {

enum class FilterOp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge, IsNull, IsNotNull, In };

struct FilterPredicate {
  size_t column = 0;  // index into the columns given to BatchFilter::evaluate
  codec::ColumnType type = codec::ColumnType::Int64;
  FilterOp op = FilterOp::Eq;
  // the constant of a comparison, or the list of an IN (NULL list members are left out by the
  // caller: they never make x IN (...) true)
  std::vector<int64_t> ints;        // integer-like types and Bool
  std::vector<double> floats;       // Float4/Float8
  std::vector<std::string> bytes;   // Uuid (16 bytes each) / Varlen

  static FilterPredicate cmp_int(size_t col, codec::ColumnType t, FilterOp op, int64_t v) {
    return {col, t, op, {v}, {}, {}};
  }
  static FilterPredicate cmp_float(size_t col, codec::ColumnType t, FilterOp op, double v) {
    return {col, t, op, {}, {v}, {}};
  }
  static FilterPredicate cmp_bytes(size_t col, codec::ColumnType t, FilterOp op, std::string v) {
    return {col, t, op, {}, {}, {std::move(v)}};
  }
  static FilterPredicate null_test(size_t col, codec::ColumnType t, bool is_null) {
    return {col, t, is_null ? FilterOp::IsNull : FilterOp::IsNotNull, {}, {}, {}};
  }
};

// Evaluates a conjunction over batches. Keep one per scan: its buffers are reused batch after
// batch (no allocation once grown).
class BatchFilter {
 public:
  // Throws Error(invalid_argument) for a predicate whose constants do not fit its type and op
  // (a comparison needs exactly one constant of the type's kind, an IN at least one).
  explicit BatchFilter(std::vector<FilterPredicate> predicates);

  // Selection bitmap of the rows satisfying every predicate: ceil(rows / 64) words, bit i of
  // word w is row 64w + i, bits past the last row clear. `columns[p.column]` must be decoded
  // columns of the same batch, of the predicate's type (Error(invalid_argument) otherwise).
  // The result is valid until the next call.
  // A column c with applied[c] set had its predicates applied already (on its encoded values,
  // say): matches[c] (as many words as the result) is ANDed in instead of running them.
  const std::vector<uint64_t>& evaluate(std::span<const codec::DecodedColumn* const> columns,
                                        std::span<const uint8_t> applied = {},
                                        std::span<const std::vector<uint64_t>> matches = {});
  size_t rows() const { return rows_; }

  const std::vector<FilterPredicate>& predicates() const { return predicates_; }

 private:
  std::vector<FilterPredicate> predicates_;
  std::vector<uint64_t> selection_;
  std::vector<uint8_t> entry_match_;  // dictionary form: one flag per dictionary entry
  size_t rows_ = 0;
};

// Evaluates one predicate and ANDs it into `selection` (ceil(column.rows / 64) words).
void apply_predicate(const codec::DecodedColumn& column, const FilterPredicate& p, uint64_t* selection,
                     std::vector<uint8_t>& scratch);

// Writes the indexes of the selected rows to `out` (replacing its contents); returns how many.
size_t selected_rows(std::span<const uint64_t> selection, std::vector<uint32_t>& out);
size_t count_selected(std::span<const uint64_t> selection);

// Whether a batch with these statistics (as codec::encode_column computes them: min/max of the
// non-NULL values, NaN left out) can hold a row satisfying `p`. Conservative: false only when no
// row can match. Float min/max leave NaN out, so for floats `may_have_nan` says whether the batch
// may hold a NaN (pass true when unknown; BatchBuilder's EncodedColumn::has_nan knows).
bool batch_may_match(const codec::ColumnStats& stats, const FilterPredicate& p, bool may_have_nan = true);

}  // namespace strata::core::columnstore
