// libFuzzer target: the int column decoders (decode, predicate, aggregate, inspect).
#include "codec_fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata_fuzz;
  static const ColumnType kTypes[] = {ColumnType::Int16, ColumnType::Int32, ColumnType::Int64, ColumnType::Timestamp, ColumnType::Date, ColumnType::Bool};
  return run_family(kTypes, data, size);
}
