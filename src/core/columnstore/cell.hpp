// One value of one column of a row, as BatchBuilder::append_row takes it: a plain struct (no
// dependency), so that the glue can fill an array of them per row and hand the whole row to the
// builder in one call (src/columnstore/bridge.hpp's builder_append_row).
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata::core::columnstore {

struct CellValue {
  // Int16 / Int32 / Int64 / Timestamp / Date: the value as int64 (two's complement);
  // Float4: the float's IEEE bits in the low 32 bits; Float8: the double's IEEE bits;
  // Bool: 0 or 1.
  uint64_t bits;
  // Uuid (exactly 16 bytes) and Varlen: the value's bytes.
  const void* data;
  size_t len;
  bool null;
};

}  // namespace strata::core::columnstore
