// libFuzzer target: encoder/decoder agreement. The input is read as a column (selector bits pick
// the type, NULL pattern and forced codec); encode must succeed (or reject a forced codec with
// invalid_argument) and decode must give back exactly the input.
#include <cstring>

#include "codec_fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata_fuzz;
  if (size < 2) return 0;
  const uint8_t sel = data[0], sel2 = data[1];
  data += 2;
  size -= 2;
  ColumnType t = static_cast<ColumnType>(1 + sel % 10);
  std::vector<std::string> strs;
  std::vector<std::string_view> views;
  std::vector<uint8_t> fixed;
  size_t rows = 0;
  if (t == ColumnType::Varlen) {
    // values separated by 0xff bytes
    std::string cur;
    for (size_t i = 0; i < size; ++i) {
      if (data[i] == 0xff) {
        strs.push_back(cur);
        cur.clear();
      } else {
        cur += static_cast<char>(data[i]);
      }
    }
    strs.push_back(cur);
    rows = strs.size();
    views.assign(strs.begin(), strs.end());
  } else {
    const size_t w = fixed_width(t);
    rows = size / w;
    fixed.assign(data, data + rows * w);
    if (t == ColumnType::Bool)
      for (auto& b : fixed) b &= 1;
  }
  std::vector<uint8_t> validity;
  const int null_mode = (sel >> 4) & 3;
  if (null_mode) {
    validity.assign((rows + 7) / 8, 0);
    for (size_t i = 0; i < rows; ++i) {
      bool valid = null_mode == 1 ? (i % 3 != 0) : null_mode == 2 ? ((i * 7 + sel2) % 11 == 0) : false;
      if (valid) validity[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
    }
  }
  ColumnView v;
  v.rows = rows;
  v.validity = validity.empty() ? nullptr : validity.data();
  if (t == ColumnType::Varlen) v.varlen = views.data();
  else v.fixed = fixed.data();
  EncodeOptions eo;
  eo.allow_zstd = sel & 0x40;
  eo.force_codec = static_cast<Codec>(sel2 % 12);
  Dictionary dict;
  if (t == ColumnType::Varlen || t == ColumnType::Uuid) {
    std::vector<std::string_view> dv;
    for (size_t i = 0; i < rows; ++i)
      dv.push_back(t == ColumnType::Varlen ? views[i]
                                           : std::string_view(reinterpret_cast<const char*>(fixed.data()) + 16 * i, 16));
    dict = Dictionary::build(t, dv);
    if (sel & 0x80) eo.dictionary = &dict;
  }
  std::vector<uint8_t> blob;
  try {
    blob = encode_column(t, v, eo);
  } catch (const Error& e) {
    if (e.code() != Errc::invalid_argument || eo.force_codec == Codec::Auto) __builtin_trap();
    return 0;
  }
  DecodedColumn d = decode_column(blob, t, &dict);
  if (d.rows != rows) __builtin_trap();
  const size_t w = fixed_width(t);
  for (size_t i = 0; i < rows; ++i) {
    const bool valid = validity.empty() || ((validity[i >> 3] >> (i & 7)) & 1);
    if (d.is_null(i) == valid) __builtin_trap();
    if (!valid) continue;
    if (t == ColumnType::Varlen) {
      if (d.string_at(i) != views[i]) __builtin_trap();
    } else if (std::memcmp(d.fixed.data() + i * w, fixed.data() + i * w, w) != 0) {
      __builtin_trap();
    }
  }
  return 0;
}
