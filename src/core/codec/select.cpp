// Decoding only the selected rows of a column (decode_column_rows_into, codec.hpp): the values a
// filtered scan will turn into tuples, read by random access where the encoding allows it.
#include <algorithm>
#include <cstring>
#include <string_view>

#include "codec/decode.hpp"
#include "codec/int_codec.hpp"
#include "codec/internal.hpp"
#include "codec/string_codec.hpp"

namespace strata::core::codec {

namespace {

using Index = std::vector<uint32_t, UninitializedAllocator<uint32_t>>;

// The selected rows that hold a value (rows) and each one's place among the column's m values
// (ks: its row minus the NULL rows before it), both increasing.
void selected_values(const Parsed& p, std::span<const uint64_t> sel, Index& rows, Index& ks) {
  const size_t n = p.info.rows;
  const bool nulls = p.info.null_count > 0;
  const uint8_t* bm = p.bitmap.data();
  size_t most = 0;
  for (size_t w = 0; w * 64 < n; ++w) most += static_cast<size_t>(__builtin_popcountll(sel[w]));
  rows.clear();
  ks.clear();
  rows.reserve(most);
  ks.reserve(most);
  size_t k = 0, counted = 0;  // k = values in rows [0, counted)
  for (size_t w = 0; w * 64 < n; ++w) {
    uint64_t bits = sel[w];
    if (w * 64 + 64 > n) bits &= (uint64_t{1} << (n - w * 64)) - 1;
    for (; bits; bits &= bits - 1) {
      const size_t i = w * 64 + static_cast<size_t>(__builtin_ctzll(bits));
      if (nulls) {
        if (!bit_at(bm, i)) continue;
        for (; counted + 8 <= i; counted += 8) k += static_cast<size_t>(__builtin_popcount(bm[counted >> 3]));
        const unsigned below = static_cast<unsigned>(bm[counted >> 3]) & ((1u << (i - counted)) - 1);
        ks.push_back(static_cast<uint32_t>(k + static_cast<size_t>(__builtin_popcount(below))));
      } else {
        ks.push_back(static_cast<uint32_t>(i));
      }
      rows.push_back(static_cast<uint32_t>(i));
    }
  }
}

void zero_fixed(DecodedColumn& out) {
  if (!out.fixed.empty()) std::memset(out.fixed.data(), 0, out.fixed.size());
}

// The selected rows of a column without NULLs (value k is row k), kept for the thread's next
// column at the same selection: a scan decodes a filtered batch's columns one after another at
// one selection.
struct DenseSelection {
  std::vector<uint64_t> sel;  // the selection's ceil(n / 64) words
  size_t n = 0;               // 0: nothing kept
  Index rows;
};

const Index& dense_rows(std::span<const uint64_t> sel, size_t n) {
  thread_local DenseSelection kept;
  const size_t words = (n + 63) / 64;
  if (kept.n == n && n > 0 && std::equal(kept.sel.begin(), kept.sel.end(), sel.begin(), sel.begin() + words))
    return kept.rows;
  kept.n = 0;  // (until the rows below are complete)
  kept.rows.clear();
  for (size_t w = 0; w < words; ++w) {
    uint64_t bits = sel[w];
    if (w * 64 + 64 > n) bits &= (uint64_t{1} << (n - w * 64)) - 1;
    for (; bits; bits &= bits - 1) kept.rows.push_back(static_cast<uint32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits))));
  }
  kept.sel.assign(sel.begin(), sel.begin() + words);
  kept.n = n;
  return kept.rows;
}

// A fixed-width body without random access: every value (by the column decoder's own narrow
// loops). Without NULLs value k is row k's, so the values go straight into the column (every row
// its value: nothing to zero, no scratch copy); otherwise into scratch storage, the selected ones
// placed and every other row zero.
void whole_fixed(const Parsed& p, ByteReader& r, const Index& rows, const Index& ks, DecodedColumn& out) {
  if (p.m == p.info.rows) {
    decode_fixed(p, r, out.fixed.data());
    r.expect_end("trailing bytes in column body");
    return;
  }
  zero_fixed(out);
  const size_t width = fixed_width(p.info.type);
  ByteBuffer all(p.m * width);
  decode_fixed(p, r, all.data());
  uint8_t* dst = out.fixed.data();
  for (size_t j = 0; j < ks.size(); ++j) std::memcpy(dst + rows[j] * width, all.data() + ks[j] * width, width);
  r.expect_end("trailing bytes in column body");
}

void fixed_rows(const Parsed& p, ByteReader& r, const Index& rows, const Index& ks, DecodedColumn& out) {
  const ColumnType t = p.info.type;
  const size_t width = fixed_width(t);
  out.fixed.resize(p.info.rows * width);
  if (p.m == 0) return zero_fixed(out);
  uint8_t* dst = out.fixed.data();
  if (int_like(t) && p.info.codec != Codec::Constant) {
    std::vector<int64_t, UninitializedAllocator<int64_t>> v(ks.size());
    if (!gather_ints(r, p.m, ks.data(), ks.size(), v.data())) return whole_fixed(p, r, rows, ks, out);
    zero_fixed(out);
    const IntRange range = int_range(t);
    for (size_t j = 0; j < ks.size(); ++j) {
      if (v[j] < range.lo || v[j] > range.hi) corrupt("value out of range for type");
      std::memcpy(dst + rows[j] * width, &v[j], width);  // little-endian: the low bytes
    }
    r.expect_end("trailing bytes in column body");
    return;
  }
  if (p.info.codec == Codec::Plain || p.info.codec == Codec::ByteSplit) {
    zero_fixed(out);
    const uint8_t* b = r.bytes(p.m * width);
    for (size_t j = 0; j < ks.size(); ++j) {
      if (p.info.codec == Codec::Plain) {
        std::memcpy(dst + rows[j] * width, b + ks[j] * width, width);
      } else {  // byte x of value k at x * m + k
        for (size_t x = 0; x < width; ++x) dst[rows[j] * width + x] = b[x * p.m + ks[j]];
      }
    }
    r.expect_end("trailing bytes in column body");
    return;
  }
  whole_fixed(p, r, rows, ks, out);  // Constant, Alp, FloatXor
}

// A dictionary-coded column's entries: read whole (a local dictionary) or the shared one checked
// and pointed to; returns their number. `present`: whether the body holds codes (a local
// dictionary of one entry has none: every code 0).
uint64_t code_entries(const Parsed& p, ByteReader& r, const Dictionary* dict, const DecodeOptions& opt,
                      DecodedColumn& out, bool* present) {
  *present = true;
  if (p.info.codec == Codec::Dictionary) {
    const uint64_t k = read_local_dictionary(r, ColumnType::Varlen, p.m, opt, out.dict_data, out.dict_offsets);
    *present = k > 1;
    return k;
  }
  check_dictionary(p.info, dict);
  if (dict->size() == 0) corrupt("codes into an empty dictionary");
  out.external = dict;
  return dict->size();
}

// Dictionary codecs: the entries whole, then the codes of the selected rows (every other row code 0).
void coded_rows(const Parsed& p, ByteReader& r, const Index& rows, const Index& ks, const Dictionary* dict,
                const DecodeOptions& opt, DecodedColumn& out) {
  bool present;
  const uint64_t k = code_entries(p, r, dict, opt, out, &present);
  out.codes.resize(p.info.rows);
  if (!out.codes.empty()) std::memset(out.codes.data(), 0, out.codes.size() * sizeof(uint32_t));  // (std::fill: a loop)
  if (present) {
    std::vector<int64_t, UninitializedAllocator<int64_t>> v(ks.size());
    if (gather_ints(r, p.m, ks.data(), ks.size(), v.data())) {
      for (size_t j = 0; j < ks.size(); ++j) {
        if (v[j] < 0 || static_cast<uint64_t>(v[j]) >= k) corrupt("value out of range for type");
        out.codes[rows[j]] = static_cast<uint32_t>(v[j]);
      }
    } else {  // every code (range-checked by read_codes), then the selected ones
      CodeBuffer all;
      read_codes(r, p.m, k, true, all);
      for (size_t j = 0; j < ks.size(); ++j) out.codes[rows[j]] = all[ks[j]];
    }
  }
  r.expect_end("trailing bytes in column body");
}

// The lengths of a plain-string body (every one: the offsets are their sums) and its values' bytes.
struct PlainBody {
  std::vector<int64_t, UninitializedAllocator<int64_t>> lens;  // empty: every value `one` bytes
  size_t one = 0;
  const uint8_t* body = nullptr;
  size_t len(size_t k) const { return lens.empty() ? one : static_cast<size_t>(lens[k]); }
};

PlainBody read_plain_body(const Parsed& p, ByteReader& r, const DecodeOptions& opt) {
  const size_t m = p.m;
  PlainBody b;
  uint64_t total = 0;
  ByteReader probe = r;
  if (probe.u8() == kIntConst) {  // every value of one length
    const int64_t l = probe.svarint();
    if (l < 0 || static_cast<uint64_t>(l) > opt.max_output_bytes / std::max<size_t>(m, 1)) corrupt("bad value length");
    r = probe;
    b.one = static_cast<size_t>(l);
    total = static_cast<uint64_t>(l) * m;
  } else {
    b.lens.resize(m);
    decode_ints(r, m, b.lens.data());
    for (int64_t l : b.lens) {
      if (l < 0 || static_cast<uint64_t>(l) > opt.max_output_bytes) corrupt("bad value length");
      total += static_cast<uint64_t>(l);
      if (total > opt.max_output_bytes) corrupt("values exceed size limit");
    }
  }
  b.body = r.bytes(total);
  r.expect_end("trailing bytes in column body");
  return b;
}

// Plain strings: only the selected values' bytes.
void plain_rows(const Parsed& p, const PlainBody& b, const Index& rows, const Index& ks, DecodedColumn& out) {
  const size_t n = p.info.rows;
  uint64_t bytes = 0;
  for (size_t j = 0; j < ks.size(); ++j) bytes += b.len(ks[j]);
  out.data.resize(bytes);
  out.offsets.resize(n + 1);  // every entry written below
  // start of value k: the sum of the lengths before it (a running sum over the increasing ks)
  uint64_t start = 0;
  size_t summed = 0;
  uint32_t at = 0;
  size_t row = 0;
  for (size_t j = 0; j < ks.size(); ++j) {
    if (b.lens.empty()) {
      start = static_cast<uint64_t>(ks[j]) * b.one;
    } else {
      for (; summed < ks[j]; ++summed) start += static_cast<uint64_t>(b.lens[summed]);
    }
    const uint32_t l = static_cast<uint32_t>(b.len(ks[j]));
    std::fill(out.offsets.begin() + static_cast<std::ptrdiff_t>(row), out.offsets.begin() + rows[j] + 1, at);
    row = rows[j] + 1;
    if (l != 0) std::memcpy(out.data.data() + at, b.body + start, l);  // (data() may be null when empty)
    at += l;
  }
  std::fill(out.offsets.begin() + static_cast<std::ptrdiff_t>(row), out.offsets.end(), at);
}

void rows_into(std::span<const uint8_t> bytes, ColumnType type, DecodedColumn& out, std::span<const uint64_t> sel,
               const Dictionary* dict, const DecodeOptions& opt) {
  ParsedFor parsed(out, bytes, type, opt);  // (the bitmap is read through p, handed to out at the end)
  Parsed& p = parsed.p;
  if (sel.size() < (p.info.rows + 63) / 64) throw Error(Errc::invalid_argument, "selection shorter than the column");
  out.rows = p.info.rows;
  out.null_count = p.info.null_count;
  Index sparse_rows, sparse_ks;
  if (p.info.null_count > 0) selected_values(p, sel, sparse_rows, sparse_ks);
  // (without NULLs a selected row is its value's place)
  const Index& rows = p.info.null_count > 0 ? sparse_rows : dense_rows(sel, p.info.rows);
  const Index& ks = p.info.null_count > 0 ? sparse_ks : rows;
  ByteReader r(p.body, p.body_len);
  if (type != ColumnType::Varlen) {
    fixed_rows(p, r, rows, ks, out);
  } else if (p.m == 0) {
    out.offsets.assign(p.info.rows + 1, 0);
  } else if (p.info.codec == Codec::Dictionary || p.info.codec == Codec::ExtDictionary) {
    coded_rows(p, r, rows, ks, dict, opt, out);
  } else {
    plain_rows(p, read_plain_body(p, r, opt), rows, ks, out);
  }
  out.validity.swap(p.bitmap);
}

// ---- The selected rows alone (decode_selected_rows): value j is the j-th selected row's. ----

// A fixed-width column without NULLs: random access where the encoding allows it, else the body
// decoded whole into the thread's scratch storage and the selected values copied.
void dense_fixed(const Parsed& p, ByteReader& r, const Index& rows, DecodedColumn& out) {
  const ColumnType t = p.info.type;
  const size_t width = fixed_width(t);
  const size_t cnt = rows.size();
  out.fixed.resize(cnt * width);
  if (p.m == 0) return;
  uint8_t* dst = out.fixed.data();
  if (int_like(t) && p.info.codec != Codec::Constant) {
    std::vector<int64_t, UninitializedAllocator<int64_t>> v(cnt);
    if (gather_ints(r, p.m, rows.data(), cnt, v.data())) {
      const IntRange range = int_range(t);
      for (size_t j = 0; j < cnt; ++j) {
        if (v[j] < range.lo || v[j] > range.hi) corrupt("value out of range for type");
        std::memcpy(dst + j * width, &v[j], width);  // little-endian: the low bytes
      }
      r.expect_end("trailing bytes in column body");
      return;
    }
  } else if (p.info.codec == Codec::Plain || p.info.codec == Codec::ByteSplit) {
    const uint8_t* b = r.bytes(p.m * width);
    for (size_t j = 0; j < cnt; ++j) {
      if (p.info.codec == Codec::Plain) {
        std::memcpy(dst + j * width, b + rows[j] * width, width);
      } else {  // byte x of value k at x * m + k
        for (size_t x = 0; x < width; ++x) dst[j * width + x] = b[x * p.m + rows[j]];
      }
    }
    r.expect_end("trailing bytes in column body");
    return;
  }
  // (Constant, Alp, FloatXor, integer blocks without random access.) The thread keeps a buffer of
  // up to 64 KB (8K eight-byte values) for the next batch; a larger body uses one of its own.
  constexpr size_t kKeepBytes = size_t{64} << 10;
  thread_local ByteBuffer kept;
  ByteBuffer own;
  ByteBuffer& all = p.m * width <= kKeepBytes ? kept : own;
  all.resize(p.m * width);
  decode_fixed(p, r, all.data());
  for (size_t j = 0; j < cnt; ++j) std::memcpy(dst + j * width, all.data() + rows[j] * width, width);
  r.expect_end("trailing bytes in column body");
}

// Dictionary codecs: the entries whole, then the selected rows' codes.
void dense_codes(const Parsed& p, ByteReader& r, const Index& rows, const Dictionary* dict, const DecodeOptions& opt,
                 DecodedColumn& out) {
  bool present;
  const uint64_t k = code_entries(p, r, dict, opt, out, &present);
  const size_t cnt = rows.size();
  out.codes.resize(cnt);
  if (!present) {
    if (cnt > 0) std::memset(out.codes.data(), 0, cnt * sizeof(uint32_t));  // (one entry: every code 0)
  } else {
    std::vector<int64_t, UninitializedAllocator<int64_t>> v(cnt);
    if (gather_ints(r, p.m, rows.data(), cnt, v.data())) {
      for (size_t j = 0; j < cnt; ++j) {
        if (v[j] < 0 || static_cast<uint64_t>(v[j]) >= k) corrupt("value out of range for type");
        out.codes[j] = static_cast<uint32_t>(v[j]);
      }
    } else {  // every code (range-checked by read_codes), then the selected ones
      CodeBuffer all;
      read_codes(r, p.m, k, true, all);
      for (size_t j = 0; j < cnt; ++j) out.codes[j] = all[rows[j]];
    }
  }
  r.expect_end("trailing bytes in column body");
}

// Plain strings: the selected values' bytes, one after another.
void dense_plain(const PlainBody& b, const Index& rows, DecodedColumn& out) {
  const size_t cnt = rows.size();
  uint64_t bytes = 0;
  for (size_t j = 0; j < cnt; ++j) bytes += b.len(rows[j]);
  out.data.resize(bytes);
  out.offsets.resize(cnt + 1);
  uint64_t start = 0;  // of value rows[j]: the sum of the lengths before it (a running sum)
  size_t summed = 0;
  uint32_t at = 0;
  for (size_t j = 0; j < cnt; ++j) {
    if (b.lens.empty()) {
      start = static_cast<uint64_t>(rows[j]) * b.one;
    } else {
      for (; summed < rows[j]; ++summed) start += static_cast<uint64_t>(b.lens[summed]);
    }
    const uint32_t l = static_cast<uint32_t>(b.len(rows[j]));
    out.offsets[j] = at;
    if (l != 0) std::memcpy(out.data.data() + at, b.body + start, l);  // (data() may be null when empty)
    at += l;
  }
  out.offsets[cnt] = at;
}

}  // namespace

void decode_column_rows_into(std::span<const uint8_t> bytes, ColumnType type, DecodedColumn& out,
                             std::span<const uint64_t> selection, const Dictionary* dictionary,
                             const DecodeOptions& options) {
  try {
    // Uuid columns and the string codecs without random access (Constant, UuidText) decode whole.
    const ColumnInfo info = inspect_column(bytes);
    if (type == ColumnType::Uuid ||
        (type == ColumnType::Varlen && info.codec != Codec::Dictionary && info.codec != Codec::ExtDictionary &&
         info.codec != Codec::VarPlain && info.codec != Codec::AllNull)) {
      decode_column_into(bytes, type, out, dictionary, options);
      return;
    }
    rows_into(bytes, type, out, selection, dictionary, capped(options));
  } catch (...) {
    make_empty(out);
    throw;
  }
}

bool select_equal_strings(std::span<const uint8_t> bytes, std::span<const std::string_view> values,
                          std::vector<uint64_t>& bits, DecodedColumn& out, const DecodeOptions& options) {
  const ColumnInfo info = inspect_column(bytes);
  if (info.type != ColumnType::Varlen || info.codec != Codec::VarPlain) return false;
  try {
    const DecodeOptions opt = capped(options);
    ParsedFor parsed(out, bytes, ColumnType::Varlen, opt);
    Parsed& p = parsed.p;
    const size_t m = p.m;
    std::vector<uint64_t> vbits((m + 63) / 64, 0);
    // (the lengths are read once: the matching values' bytes below come from the same body)
    ByteReader r(p.body, p.body_len);
    PlainBody b;
    if (m > 0) b = read_plain_body(p, r, opt);
    const char* body = reinterpret_cast<const char*>(b.body);
    if (m > 0 && b.lens.empty()) {  // one length: value k at k * len
      const size_t len = b.one;
      for (std::string_view v : values) {
        if (v.size() != len) continue;
        if (len >= 8 && len <= 16) {  // two (overlapping) 8-byte words compare the whole value
          uint64_t a0, a1;
          std::memcpy(&a0, v.data(), 8);
          std::memcpy(&a1, v.data() + len - 8, 8);
          for (size_t w = 0; w * 64 < m; ++w) {
            uint64_t word = 0;
            const size_t end = std::min<size_t>(64, m - w * 64);
            const char* at = body + w * 64 * len;
            for (size_t i = 0; i < end; ++i, at += len) {
              uint64_t x0, x1;
              std::memcpy(&x0, at, 8);
              std::memcpy(&x1, at + len - 8, 8);
              word |= static_cast<uint64_t>((x0 ^ a0) == 0 && (x1 ^ a1) == 0) << i;
            }
            vbits[w] |= word;
          }
        } else {
          for (size_t k = 0; k < m; ++k)
            if (std::memcmp(body + k * len, v.data(), len) == 0) vbits[k >> 6] |= uint64_t{1} << (k & 63);
        }
      }
    } else if (m > 0) {
      size_t at = 0;
      for (size_t k = 0; k < m; ++k) {
        const std::string_view x(body + at, static_cast<size_t>(b.lens[k]));
        for (std::string_view v : values) {
          if (x == v) {
            vbits[k >> 6] |= uint64_t{1} << (k & 63);
            break;
          }
        }
        at += static_cast<size_t>(b.lens[k]);
      }
    }
    if (p.info.null_count == 0) {
      bits.swap(vbits);
    } else {
      bits = scatter(p, vbits);
    }
    bits.resize((p.info.rows + 63) / 64, 0);
    // The column itself: the matching rows' values, every other row empty.
    out.rows = p.info.rows;
    out.null_count = p.info.null_count;
    Index rows, ks;
    selected_values(p, bits, rows, ks);
    if (m == 0) {
      out.offsets.assign(p.info.rows + 1, 0);
    } else {
      plain_rows(p, b, rows, ks, out);
    }
    out.validity.swap(p.bitmap);
  } catch (...) {
    make_empty(out);
    throw;
  }
  return true;
}

bool decode_selected_rows(std::span<const uint8_t> bytes, ColumnType type, DecodedColumn& out,
                          std::span<const uint64_t> selection, const Dictionary* dictionary,
                          const DecodeOptions& options) {
  try {
    const ColumnInfo info = inspect_column(bytes);
    if (info.null_count > 0 || type == ColumnType::Uuid ||
        (type == ColumnType::Varlen && info.codec != Codec::Dictionary && info.codec != Codec::ExtDictionary &&
         info.codec != Codec::VarPlain))
      return false;
    const DecodeOptions opt = capped(options);
    ParsedFor parsed(out, bytes, type, opt);
    Parsed& p = parsed.p;
    if (selection.size() < (p.info.rows + 63) / 64)
      throw Error(Errc::invalid_argument, "selection shorter than the column");
    const Index& rows = dense_rows(selection, p.info.rows);  // (no NULLs: a row is its value's place)
    out.rows = rows.size();
    out.null_count = 0;
    ByteReader r(p.body, p.body_len);
    if (type != ColumnType::Varlen) {
      dense_fixed(p, r, rows, out);
    } else if (p.m == 0 || rows.empty()) {  // (no row: the materialised form, whatever the codec)
      out.offsets.assign(1, 0);
    } else if (p.info.codec == Codec::Dictionary || p.info.codec == Codec::ExtDictionary) {
      dense_codes(p, r, rows, dictionary, opt, out);
    } else {
      dense_plain(read_plain_body(p, r, opt), rows, out);
    }
    out.validity.swap(p.bitmap);
  } catch (...) {
    make_empty(out);
    throw;
  }
  return true;
}

}  // namespace strata::core::codec
