// Integer tree codec (internal): a block of n int64 values, n known from context, encoded as one
// of CONST / FOR (frame of reference + GCD + bit-packing + patched exceptions) / DELTA (first
// value + child block of deltas) / RLE (child blocks of run values and run lengths). See
// docs/FORMAT.md, "Integer block".
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "codec/byte_io.hpp"
#include "codec/codec.hpp"

namespace strata::core::codec {

// Kinds 0-3 exist since format version 1; kinds 4 (FORBM) and 5 (LZ) were added in version 2.
enum IntKind : uint8_t { kIntConst = 0, kIntFor = 1, kIntDelta = 2, kIntRle = 3, kIntForBitmap = 4, kIntLz = 5 };

struct IntEncodeOptions {
  bool byte_aligned = false;  // FOR widths rounded up to 0/8/16/32/64 bits (feeds zstd well)
};

void encode_ints(ByteWriter& w, std::span<const int64_t> v, const IntEncodeOptions& o, int depth = 0);
size_t estimate_ints(std::span<const int64_t> v, const IntEncodeOptions& o, int depth = 0);
void decode_ints(ByteReader& r, size_t n, int64_t* out, int depth = 0);
// Decodes a block of n values that must all lie in [lo, hi] (a range T can hold) straight into
// T, throwing data_corrupted for any value outside it. CONST, RLE and FOR with width <= 32 (the
// shapes of dictionary codes, positions and narrow integer columns) skip the int64 intermediate,
// and FOR skips the per-value check when its header already bounds the values; DELTA decodes
// through int64. Instantiated for uint8_t, int16_t, int32_t, uint32_t.
template <class T>
void decode_ints_narrow(ByteReader& r, size_t n, T* out, int64_t lo, int64_t hi, int depth = 0);

// Bitmap over the n values (bit i set when value i satisfies `op c`), evaluated per run for RLE
// and CONST, on packed values for FOR without exceptions; other shapes decode first.
void predicate_ints(ByteReader& r, size_t n, CmpOp op, int64_t c, std::vector<uint64_t>& bits);

struct IntAgg {
  uint64_t count = 0;
  int64_t min = 0, max = 0;
  __int128 sum = 0;
  void add_run(int64_t v, uint64_t times) {
    if (times == 0) return;
    if (count == 0 || v < min) min = (count == 0 || v < min) ? v : min;
    if (count == 0 || v > max) max = v;
    count += times;
    sum += static_cast<__int128>(v) * static_cast<__int128>(times);
  }
};
void aggregate_ints(ByteReader& r, size_t n, IntAgg& agg);

}  // namespace strata::core::codec
