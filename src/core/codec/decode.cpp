// Decoding a column into a DecodedColumn: parse the frame, decode the values (int_codec.cpp,
// float_codec.cpp, string_codec.cpp), then expand NULL rows in place.
#include "codec/decode.hpp"

#include <algorithm>
#include <cstring>
#include <cwchar>
#include <type_traits>

#include "codec/float_codec.hpp"
#include "codec/int_codec.hpp"
#include "codec/internal.hpp"
#include "codec/string_codec.hpp"

namespace strata::core::codec {

namespace {

// Loads validity bits [64 * word, 64 * word + 64) (bits past the bitmap's end read as 0).
inline uint64_t bitmap_word(const uint8_t* bitmap, size_t bytes, size_t word) {
  uint64_t bits = 0;
  const size_t at = word * 8;
  if (at + 8 <= bytes) {
    std::memcpy(&bits, bitmap + at, 8);
  } else {
    for (size_t b = at; b < bytes; ++b) bits |= static_cast<uint64_t>(bitmap[b]) << (8 * (b - at));
  }
  return bits;
}

// Moves the m compact values at the front of buf (W bytes each) onto the rows whose validity bit
// is set and zeroes the NULL rows. Two ways, both without heap allocation:
//  - mostly NULL (and small): copy the values aside on the stack, zero the whole buffer with one
//    memset, then scatter them a 64-row word at a time;
//  - otherwise in place, walking from the last row back: the k-th value goes to a row i >= k, so
//    a move or a zeroed slot never lands on a value not yet moved.
// The bitmap has exactly m bits set: read_validity establishes that for every form (counted
// flags, or exactly m / rows - m strictly increasing positions below rows).
template <size_t W>
void expand_in_place(const uint8_t* bitmap, size_t rows, size_t m, uint8_t* buf) {
  using T = std::conditional_t<W == 1, uint8_t,
                               std::conditional_t<W == 2, uint16_t, std::conditional_t<W == 4, uint32_t, uint64_t>>>;
  static_assert(sizeof(T) == W);
  const size_t bytes = (rows + 7) / 8;
  const size_t words = (rows + 63) / 64;
  constexpr size_t kStack = 8192;
  if (m * W <= kStack && (rows - m) * 4 >= rows) {
    alignas(8) uint8_t tmp[kStack];
    std::memcpy(tmp, buf, m * W);
    std::memset(buf, 0, rows * W);
    size_t k = 0;
    for (size_t word = 0; word < words; ++word) {
      for (uint64_t bits = bitmap_word(bitmap, bytes, word); bits; bits &= bits - 1) {
        const size_t i = word * 64 + static_cast<size_t>(__builtin_ctzll(bits));
        std::memcpy(buf + i * W, tmp + k * W, W);
        ++k;
      }
    }
    return;
  }
  size_t k = m;
  size_t end = rows;  // rows [i + 1, end) are NULL rows still to zero
  for (size_t word = words; word-- > 0;) {
    uint64_t bits = bitmap_word(bitmap, bytes, word);
    while (bits) {
      const size_t i = word * 64 + 63 - static_cast<size_t>(__builtin_clzll(bits));
      bits &= ~(uint64_t{1} << (i & 63));
      if (end - i - 1 > 4) {
        std::memset(buf + (i + 1) * W, 0, (end - i - 1) * W);
      } else {
        for (size_t j = i + 1; j < end; ++j) std::memset(buf + j * W, 0, W);  // a typed store
      }
      --k;
      T v;
      std::memcpy(&v, buf + k * W, W);
      std::memcpy(buf + i * W, &v, W);
      end = i;
    }
  }
  if (end) std::memset(buf, 0, end * W);  // NULL rows before the first value
}

}  // namespace

void decode_fixed(const Parsed& p, ByteReader& r, uint8_t* out) {
  const ColumnType t = p.info.type;
  const size_t m = p.m;
  const size_t width = fixed_width(t);
  if (p.info.codec == Codec::Constant) {
    uint8_t v[8] = {};  // width <= 8: uuid columns take the string path
    if (int_like(t)) {
      const int64_t x = r.svarint();
      const IntRange range = int_range(t);
      if (x < range.lo || x > range.hi) corrupt("value out of range for type");
      std::memcpy(v, &x, 8);  // little-endian: the low bytes are the narrow value
    } else {
      std::memcpy(v, r.bytes(width), width);
    }
    auto fill = [&](auto tag) {
      using T = decltype(tag);
      T x;
      std::memcpy(&x, v, sizeof(T));
      // typed stores for the first 256 bytes, then the C library's memcpy (which uses the CPU's
      // widest stores) doubles the filled prefix
      const size_t head = std::min<size_t>(m, 256 / sizeof(T));
      std::fill(reinterpret_cast<T*>(out), reinterpret_cast<T*>(out) + head, x);
      for (size_t done = head; done < m;) {
        const size_t n = std::min(done, m - done);
        std::memcpy(out + done * sizeof(T), out, n * sizeof(T));
        done += n;
      }
    };
    switch (width) {
      case 1: std::memset(out, v[0], m); return;
      case 2: fill(uint16_t{}); return;
      case 4:
        if constexpr (sizeof(wchar_t) == 4) {  // the C library's wide fill picks the CPU's widest stores
          wchar_t x;
          std::memcpy(&x, v, 4);
          std::wmemset(reinterpret_cast<wchar_t*>(out), x, m);
        } else {
          fill(uint32_t{});
        }
        return;
      default: fill(uint64_t{}); return;
    }
  }
  if (int_like(t)) {
    const IntRange range = int_range(t);
    switch (width) {
      case 8: decode_ints(r, m, reinterpret_cast<int64_t*>(out)); return;
      case 4: decode_ints_narrow(r, m, reinterpret_cast<int32_t*>(out), range.lo, range.hi); return;
      case 2: decode_ints_narrow(r, m, reinterpret_cast<int16_t*>(out), range.lo, range.hi); return;
      default: decode_ints_narrow(r, m, out, range.lo, range.hi); return;
    }
  }
  const bool f4 = t == ColumnType::Float4;
  switch (p.info.codec) {
    case Codec::Alp: decode_alp(r, m, f4, out); return;
    case Codec::FloatXor: decode_xor(r, m, f4 ? 32 : 64, out); return;
    case Codec::Plain: {
      const uint8_t* b = r.bytes(m * width);
      std::memcpy(out, b, m * width);
      return;
    }
    case Codec::ByteSplit: decode_byte_split(r, m, width, out); return;
    default: corrupt("codec not valid for float column");
  }
}

namespace {

// Swaps the buffers of a string column's values between st and out.
void swap_string_buffers(Strings& st, DecodedColumn& out) {
  st.data.swap(out.data);
  st.offsets.swap(out.offsets);
  st.codes.swap(out.codes);
  st.edata.swap(out.dict_data);
  st.eoffs.swap(out.dict_offsets);
}

}  // namespace

void make_empty(DecodedColumn& out) { out.clear(); }

ParsedFor::ParsedFor(DecodedColumn& out, std::span<const uint8_t> bytes, ColumnType type, const DecodeOptions& opt)
    : out_(out) {
  make_empty(out);
  out.type = type;
  p.bitmap.swap(out.validity);
  p.zbody.swap(out.scratch);
  try {
    parse_into(p, bytes, type, opt, true);
  } catch (...) {
    p.zbody.swap(out.scratch);  // (the destructor does not run for a constructor that throws)
    throw;
  }
}

ParsedFor::~ParsedFor() { p.zbody.swap(out_.scratch); }

namespace {

void decode_into(std::span<const uint8_t> bytes, ColumnType type, DecodedColumn& out, const Dictionary* dict,
                 const DecodeOptions& opt) {
  // Every buffer of `out` is taken over with its capacity and emptied first, so a decode never
  // leaves a field of the previous batch behind and, once the buffers have grown, allocates
  // nothing.
  ParsedFor parsed(out, bytes, type, opt);
  Parsed& p = parsed.p;
  out.validity.swap(p.bitmap);
  out.rows = p.info.rows;
  out.null_count = p.info.null_count;
  ByteReader r(p.body, p.body_len);
  const size_t rows = p.info.rows;
  const bool nulls = p.info.null_count > 0;
  if (string_like(type)) {
    Strings st;
    swap_string_buffers(st, out);  // out's buffers lent for their capacity
    if (p.m > 0) {
      decode_strings(p.info, p.m, r, dict, opt, st);
      r.expect_end("trailing bytes in column body");
    } else {
      st.offsets.push_back(0);
    }
    if (type == ColumnType::Uuid) {
      out.fixed.resize(rows * 16);
      size_t k = 0;
      for (size_t i = 0; i < rows; ++i) {
        if (nulls && !bit_at(out.validity.data(), i)) {
          std::memset(out.fixed.data() + 16 * i, 0, 16);
          continue;
        }
        if (st.offsets[k + 1] - st.offsets[k] != 16) corrupt("uuid value not 16 bytes");
        std::memcpy(out.fixed.data() + 16 * i, st.data.data() + st.offsets[k], 16);
        ++k;
      }
      st.coded = false;
      st.data.clear();
      st.offsets.clear();
    } else if (st.coded) {  // codes already range-checked
      if (nulls) {
        st.codes.resize(rows);
        expand_in_place<4>(out.validity.data(), rows, p.m, reinterpret_cast<uint8_t*>(st.codes.data()));
      }
      out.external = st.ext;
      if (st.ext) {
        st.edata.clear();
        st.eoffs.clear();
      }
    } else if (nulls) {
      // offsets[i + 1] = compact offset of the values before and at row i, filled from the end so
      // that every read index (<= the write index) is still unwritten
      st.offsets.resize(rows + 1);
      size_t k = p.m;
      for (size_t i = rows; i-- > 0;) {
        st.offsets[i + 1] = st.offsets[k];
        k -= bit_at(out.validity.data(), i);
      }
    }
    if (!st.coded) {  // emptied, handed back for their capacity only
      st.codes.clear();
      st.edata.clear();
      st.eoffs.clear();
    }
    swap_string_buffers(st, out);
    return;
  }
  const size_t width = fixed_width(type);
  out.fixed.resize(rows * width);  // not zeroed: written below
  if (p.m == 0) {
    if (!out.fixed.empty()) std::memset(out.fixed.data(), 0, out.fixed.size());
    return;
  }
  // the m values are decoded to the front of the buffer, then moved onto their rows in place
  decode_fixed(p, r, out.fixed.data());
  if (nulls) {
    switch (width) {
      case 1: expand_in_place<1>(out.validity.data(), rows, p.m, out.fixed.data()); break;
      case 2: expand_in_place<2>(out.validity.data(), rows, p.m, out.fixed.data()); break;
      case 4: expand_in_place<4>(out.validity.data(), rows, p.m, out.fixed.data()); break;
      default: expand_in_place<8>(out.validity.data(), rows, p.m, out.fixed.data()); break;
    }
  }
  r.expect_end("trailing bytes in column body");
}

}  // namespace

void decode_column_into(std::span<const uint8_t> bytes, ColumnType type, DecodedColumn& out,
                        const Dictionary* dict, const DecodeOptions& opt) {
  try {
    decode_into(bytes, type, out, dict, capped(opt));
  } catch (...) {
    make_empty(out);  // an empty column, not a half-decoded one
    throw;
  }
}

DecodedColumn decode_column(std::span<const uint8_t> bytes, ColumnType type, const Dictionary* dict,
                            const DecodeOptions& opt) {
  DecodedColumn out;
  decode_column_into(bytes, type, out, dict, opt);
  return out;
}

}  // namespace strata::core::codec
