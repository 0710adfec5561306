// Work on encoded columns: predicates (a selection bitmap) and aggregates, on dictionary codes,
// runs and packed values where the codec allows, otherwise on decoded values.
#include <cmath>
#include <cstring>

#include "codec/decode.hpp"
#include "codec/float_codec.hpp"
#include "codec/int_codec.hpp"
#include "codec/internal.hpp"
#include "codec/string_codec.hpp"

namespace strata::core::codec {

std::vector<uint64_t> scatter(const Parsed& p, const std::vector<uint64_t>& vbits) {
  if (p.info.null_count == 0) return vbits;
  std::vector<uint64_t> out((p.info.rows + 63) / 64, 0);
  size_t k = 0;
  for (size_t i = 0; i < p.info.rows; ++i) {
    if (!bit_at(p.bitmap.data(), i)) continue;
    if ((vbits[k >> 6] >> (k & 63)) & 1) out[i >> 6] |= uint64_t{1} << (i & 63);
    ++k;
  }
  return out;
}

std::vector<uint64_t> evaluate_predicate(std::span<const uint8_t> bytes, ColumnType type, const Predicate& pred,
                                         const Dictionary* dict, const DecodeOptions& requested) {
  const DecodeOptions opt = capped(requested);
  Parsed p = parse(bytes, type, opt, true);
  const size_t m = p.m;
  std::vector<uint64_t> vbits((m + 63) / 64, 0);
  if (m == 0) return std::vector<uint64_t>((p.info.rows + 63) / 64, 0);
  ByteReader r(p.body, p.body_len);
  if (p.info.codec == Codec::Constant) {  // one comparison for the whole batch
    bool hit;
    if (int_like(type)) {
      hit = compare(r.svarint(), pred.op, pred.int_value);
    } else if (float_like(type)) {
      const size_t w = fixed_width(type);
      uint64_t b = 0;
      std::memcpy(&b, r.bytes(w), w);
      hit = compare(bits_to_double(b, w == 4), pred.op, pred.float_value);
    } else {
      const uint64_t len = type == ColumnType::Uuid ? 16 : r.count(r.remaining(), "truncated value");
      hit = compare(std::string_view(reinterpret_cast<const char*>(r.bytes(len)), len), pred.op,
                    std::string_view(pred.bytes_value));
    }
    r.expect_end("trailing bytes in column body");
    if (hit)
      for (size_t i = 0; i < m; ++i) vbits[i >> 6] |= uint64_t{1} << (i & 63);
    return scatter(p, vbits);
  }
  if (p.info.codec == Codec::Integer) {
    predicate_ints(r, m, pred.op, pred.int_value, vbits);
    r.expect_end("trailing bytes in column body");
    return scatter(p, vbits);
  }
  if (p.info.codec == Codec::Dictionary || p.info.codec == Codec::ExtDictionary) {
    // evaluate once per dictionary entry, then per code
    const std::string_view value = pred.bytes_value;
    std::vector<uint8_t> match;
    CodeBuffer codes;
    if (p.info.codec == Codec::ExtDictionary) {
      check_dictionary(p.info, dict);
      match.resize(dict->size());
      for (size_t c = 0; c < dict->size(); ++c) match[c] = compare(dict->entry(c), pred.op, value);
      read_codes(r, m, dict->size(), true, codes);
    } else {
      std::vector<uint8_t> edata;
      std::vector<uint32_t> eoffs;
      const uint64_t k = read_local_dictionary(r, type, m, opt, edata, eoffs);
      match.resize(k);
      for (size_t c = 0; c < k; ++c)
        match[c] = compare(std::string_view(reinterpret_cast<const char*>(edata.data()) + eoffs[c],
                                            eoffs[c + 1] - eoffs[c]),
                           pred.op, value);
      read_codes(r, m, k, k > 1, codes);
    }
    r.expect_end("trailing bytes in column body");
    for (size_t i = 0; i < m; ++i)
      vbits[i >> 6] |= static_cast<uint64_t>(match[static_cast<size_t>(codes[i])]) << (i & 63);
    return scatter(p, vbits);
  }
  // generic path: decode then compare
  DecodedColumn d = decode_column(bytes, type, dict, opt);
  std::vector<uint64_t> out((d.rows + 63) / 64, 0);
  for (size_t i = 0; i < d.rows; ++i) {
    if (d.is_null(i)) continue;
    bool hit = false;
    switch (type) {
      case ColumnType::Float4: hit = compare<double>(d.values<float>()[i], pred.op, pred.float_value); break;
      case ColumnType::Float8: hit = compare(d.values<double>()[i], pred.op, pred.float_value); break;
      case ColumnType::Uuid:
        hit = compare(std::string_view(reinterpret_cast<const char*>(d.fixed.data()) + 16 * i, 16), pred.op,
                      std::string_view(pred.bytes_value));
        break;
      case ColumnType::Varlen: hit = compare(d.string_at(i), pred.op, std::string_view(pred.bytes_value)); break;
      default: break;  // integer types always take the Integer codec path above
    }
    if (hit) out[i >> 6] |= uint64_t{1} << (i & 63);
  }
  return out;
}

Aggregates aggregate_column(std::span<const uint8_t> bytes, ColumnType type, const DecodeOptions& requested) {
  if (string_like(type)) bad_arg("aggregates need a numeric column");
  const DecodeOptions opt = capped(requested);
  Parsed p = parse(bytes, type, opt, false);
  Aggregates a;
  if (p.m == 0) return a;
  ByteReader r(p.body, p.body_len);
  if (int_like(type)) {
    IntAgg ia;
    if (p.info.codec == Codec::Constant)
      ia.add_run(r.svarint(), p.m);
    else
      aggregate_ints(r, p.m, ia);
    r.expect_end("trailing bytes in column body");
    a.count = ia.count;
    a.has_minmax = ia.count > 0;
    a.min_int = ia.min;
    a.max_int = ia.max;
    a.sum_int = ia.sum;
    const IntRange range = int_range(type);
    if (a.min_int < range.lo || a.max_int > range.hi) corrupt("value out of range for type");
    return a;
  }
  const size_t width = fixed_width(type);
  std::vector<uint8_t> vals(p.m * width);
  decode_fixed(p, r, vals.data());
  r.expect_end("trailing bytes in column body");
  a.count = p.m;
  for (size_t i = 0; i < p.m; ++i) {
    double d;
    if (width == 4) {
      float f;
      std::memcpy(&f, vals.data() + 4 * i, 4);
      d = f;
    } else {
      std::memcpy(&d, vals.data() + 8 * i, 8);
    }
    a.sum_float += d;
    if (std::isnan(d)) continue;
    if (!a.has_minmax || d < a.min_float) a.min_float = d;
    if (!a.has_minmax || d > a.max_float) a.max_float = d;
    a.has_minmax = true;
  }
  return a;
}

}  // namespace strata::core::codec
