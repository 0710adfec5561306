// libFuzzer target: the float column decoders (decode, predicate, aggregate, inspect).
#include "codec_fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata_fuzz;
  if (size < 1) return 0;
  static const ColumnType kTypes[] = {ColumnType::Float4, ColumnType::Float8};
  // the selector byte is the ColumnType value; map anything else onto this family
  ColumnType t = kTypes[0];
  bool found = false;
  for (ColumnType k : kTypes)
    if (static_cast<uint8_t>(k) == data[0]) t = k, found = true;
  if (!found) t = kTypes[data[0] % (sizeof kTypes / sizeof kTypes[0])];
  exercise(t, data + 1, size - 1);
  return 0;
}
