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

// The shape the encoder chose for a top-level block: its kind and, under DELTA, the kind of the
// deltas' block (-1: unknown / none). Values are those of the encoder's internal choice (CONST,
// FOR or FORBM, DELTA, RLE, LZ), not IntKind. codec::CodecHint remembers it per column so that
// later batches of the column plan only that shape instead of estimating every alternative.
struct IntShape {
  int8_t top = -1;
  int8_t child = -1;
  bool operator==(const IntShape&) const = default;
};

struct IntEncodeOptions {
  bool byte_aligned = false;  // FOR widths rounded up to 0/8/16/32/64 bits (feeds zstd well)
  // Top level only (encode_ints with depth 0): plan only this shape when it applies to the values
  // (the FOR plan, a run split or an LZ parse still adapt to them), else every alternative as
  // without it. The output is a valid block either way; it may be larger than the full planning's.
  const IntShape* plan_only = nullptr;
  IntShape* chosen = nullptr;  // top level: receives the shape written
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

// Random access into a block of n values: out[j] = value idx[j] for the cnt strictly increasing
// positions idx (each < n), reading only those values, for CONST, FOR / FORBM (bit-packed values
// extracted where they lie, exceptions decoded), RLE and LZ blocks (a position followed back
// through the matches to its literal); r is moved past the whole block and true returned. A DELTA
// block (a value is the sum of the ones before it) returns false with r unchanged: the caller
// decodes the block whole. Corrupt input throws data_corrupted as decode_ints does.
bool gather_ints(ByteReader& r, size_t n, const uint32_t* idx, size_t cnt, int64_t* out, int depth = 0);

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
