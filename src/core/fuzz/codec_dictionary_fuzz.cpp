// libFuzzer target: external Dictionary deserialization (input: one ignored byte + bytes).
#include "codec_fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata_fuzz;
  if (size < 1) return 0;
  DecodeOptions o;
  o.max_output_bytes = uint64_t{1} << 24;
  try {
    Dictionary d = Dictionary::deserialize(std::span<const uint8_t>(data + 1, size - 1), o);
    for (size_t i = 0; i < d.size(); ++i)
      if (d.find(d.entry(i)) != static_cast<uint32_t>(i)) __builtin_trap();
    Dictionary again = Dictionary::deserialize(d.serialize(), o);
    if (again.id() != d.id() || again.size() != d.size()) __builtin_trap();
  } catch (const Error&) {
  }
  return 0;
}
