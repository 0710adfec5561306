// String codecs (internal): the bodies of Dictionary, ExtDictionary, UuidText and VarPlain
// columns and of Uuid Plain columns (docs/FORMAT.md, "Codecs"). The string lists they build on,
// the UUID text form and the shared Dictionary are in varlen.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "codec/byte_io.hpp"
#include "codec/codec.hpp"
#include "codec/int_codec.hpp"

namespace strata::core::codec {

// Each returns false, writing nothing, when the codec does not suit the values (unless forced,
// where that is an error instead).
// Dictionary: varint k, the k entries (16 bytes each for Uuid, a string list for Varlen), then
// unless k == 1 the codes as an integer block.
// plan_only / chosen: the integer tree's shape for the codes (IntEncodeOptions).
bool encode_dictionary(ByteWriter& w, ColumnType type, std::span<const std::string_view> values, bool byte_aligned,
                       bool forced, const IntShape* plan_only = nullptr, IntShape* chosen = nullptr);
// ExtDictionary: the codes into `dict` as an integer block (the dictionary's id is in the header).
bool encode_ext_dictionary(ByteWriter& w, const Dictionary* dict, std::span<const std::string_view> values,
                           bool byte_aligned, bool forced, const IntShape* plan_only = nullptr,
                           IntShape* chosen = nullptr);
// UuidText: a string list (its UuidText form when half or more of the values are canonical).
bool encode_uuid_text(ByteWriter& w, std::span<const std::string_view> values, bool forced);

// Throws unless `dict` is the external dictionary a column with header `info` was encoded against.
void check_dictionary(const ColumnInfo& info, const Dictionary* dict);

// Reads a Dictionary body's entries into edata/eoffs (replaced); returns their count k, 1 <= k <= m.
uint64_t read_local_dictionary(ByteReader& r, ColumnType type, uint64_t m, const DecodeOptions& opt,
                               std::vector<uint8_t>& edata, std::vector<uint32_t>& eoffs);

using CodeBuffer = std::vector<uint32_t, UninitializedAllocator<uint32_t>>;

// Reads m codes, each checked to be < k (k >= 1), into codes (resized to m). present = false:
// the body stores no codes (a one-entry dictionary), every code is 0.
void read_codes(ByteReader& r, uint64_t m, uint64_t k, bool present, CodeBuffer& codes);

// The m values of a string-like column, in one of two forms.
struct Strings {
  // materialised form (m compact values)
  std::vector<uint8_t> data;
  std::vector<uint32_t> offsets;
  // coded form
  bool coded = false;
  CodeBuffer codes;  // m codes, each < k
  uint64_t k = 0;
  std::vector<uint8_t> edata;
  std::vector<uint32_t> eoffs;
  const Dictionary* ext = nullptr;
};

// Decodes the m (>= 1) compact values of a string-like column with header `info` from its body.
// The coded form (dictionary codecs and Constant, Varlen only, unless opt.materialize_strings)
// fills no offsets; out's buffers must come in empty.
void decode_strings(const ColumnInfo& info, uint64_t m, ByteReader& r, const Dictionary* dict,
                    const DecodeOptions& opt, Strings& out);

}  // namespace strata::core::codec
