// Validity section: flags, positions or Rice-coded position gaps, whichever is smallest.
#include "codec/validity.hpp"

#include <algorithm>
#include <iterator>

#include "codec/bitpack.hpp"
#include "codec/int_codec.hpp"
#include "codec/rice.hpp"

namespace strata::core::codec {

void write_validity(ByteWriter& w, std::span<const int64_t> valid01, size_t nulls) {
  ByteWriter flags_form;
  flags_form.u8(0);
  encode_ints(flags_form, valid01, IntEncodeOptions{});
  const bool want_nulls = nulls * 2 <= valid01.size();
  std::vector<int64_t> pos;
  for (size_t i = 0; i < valid01.size(); ++i)
    if ((valid01[i] == 0) == want_nulls) pos.push_back(static_cast<int64_t>(i));
  ByteWriter pos_form;
  pos_form.u8(want_nulls ? 1 : 2);
  encode_ints(pos_form, pos, IntEncodeOptions{});
  // version 3: the gaps Rice-coded (random NULLs: near the entropy, no block headers)
  std::vector<uint32_t> pos32(pos.begin(), pos.end());
  ByteWriter rice_form;
  rice_form.u8(want_nulls ? 3 : 4);
  write_rice_positions(rice_form, pos32);
  ByteWriter* best = pos_form.size() < flags_form.size() ? &pos_form : &flags_form;
  if (rice_form.size() < best->size()) best = &rice_form;
  w.bytes(best->buf().data(), best->size());
}

void read_validity(ByteReader& r, uint64_t rows, uint64_t nulls, bool want_bitmap, std::vector<uint8_t>& bitmap) {
  const uint8_t form = r.u8();
  if (want_bitmap) bitmap.assign((rows + 7) / 8, 0);
  if (form == 0) {
    // fast path: a plain 1-bit frame of reference block is the bitmap itself
    ByteReader probe = r;
    if (probe.u8() == kIntFor && probe.svarint() == 0 && probe.varint() == 1 && probe.u8() == 1 &&
        probe.varint() == 0) {
      const uint8_t* b = probe.bytes(packed_size(rows, 1));
      uint64_t ones = 0;
      for (size_t i = 0; i < rows / 8; ++i) ones += static_cast<uint64_t>(__builtin_popcount(b[i]));
      for (size_t i = rows / 8 * 8; i < rows; ++i) ones += (b[i >> 3] >> (i & 7)) & 1;
      if (rows % 8 && (b[rows / 8] >> (rows % 8))) corrupt("validity padding bits set");
      if (rows - ones != nulls) corrupt("validity does not match null count");
      if (want_bitmap) std::memcpy(bitmap.data(), b, packed_size(rows, 1));
      r = probe;
      return;
    }
    std::vector<int64_t> v(rows);
    decode_ints(r, rows, v.data());
    uint64_t zeros = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] != 0 && v[i] != 1) corrupt("bad validity value");
      zeros += v[i] == 0;
      if (want_bitmap && v[i]) bitmap[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
    }
    if (zeros != nulls) corrupt("validity does not match null count");
    return;
  }
  // forms 1-4 list positions: of the NULL rows (1, 3) or of the value rows (2, 4), as an integer
  // block (1, 2) or Rice-coded gaps (3, 4)
  if (form < 1 || form > 4) corrupt("unknown validity form");
  const bool of_nulls = form == 1 || form == 3;
  const uint64_t count = of_nulls ? nulls : rows - nulls;  // >= 1 here
  if (want_bitmap && of_nulls) {  // start from every row present, padding bits 0
    std::fill(bitmap.begin(), bitmap.end(), 0xff);
    if (rows % 8) bitmap.back() = static_cast<uint8_t>((1u << (rows % 8)) - 1);
  }
  auto mark = [&](auto each_position) {
    uint8_t* b = bitmap.data();
    if (!want_bitmap) each_position([](uint32_t) {});
    else if (of_nulls) each_position([b](uint32_t q) { b[q >> 3] &= static_cast<uint8_t>(~(1u << (q & 7))); });
    else each_position([b](uint32_t q) { b[q >> 3] |= static_cast<uint8_t>(1u << (q & 7)); });
  };
  if (form >= 3) {
    mark([&](auto&& f) { read_rice_positions(r, count, rows, f); });
    return;
  }
  uint32_t stack_pos[1024];  // the usual batch needs no heap buffer
  std::vector<uint32_t, UninitializedAllocator<uint32_t>> heap_pos;
  uint32_t* pos = stack_pos;
  if (count > std::size(stack_pos)) {
    heap_pos.resize(count);
    pos = heap_pos.data();
  }
  decode_ints_narrow(r, count, pos, 0, static_cast<int64_t>(rows) - 1);  // rows >= 1 here
  for (size_t i = 1; i < count; ++i)
    if (pos[i] <= pos[i - 1]) corrupt("bad validity position");
  mark([&](auto&& f) {
    for (size_t i = 0; i < count; ++i) f(pos[i]);
  });
}

}  // namespace strata::core::codec
