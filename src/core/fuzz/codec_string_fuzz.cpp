// libFuzzer target: the string column decoders (decode, predicate, aggregate, inspect).
#include "codec_fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata_fuzz;
  static const ColumnType kTypes[] = {ColumnType::Varlen, ColumnType::Uuid};
  return run_family(kTypes, data, size);
}
