// String codecs: batch-local and external dictionaries, UUID text, plain strings. Format:
// docs/FORMAT.md, "Codecs".
#include "codec/string_codec.hpp"

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "codec/int_codec.hpp"
#include "codec/internal.hpp"

namespace strata::core::codec {

namespace {

struct Codes {
  std::vector<int64_t> codes;
  std::vector<std::string_view> entries;
};

// Batch-local dictionary with entries in descending order of frequency (ties: first appearance),
// so the frequent values get the small codes that a narrow frame of reference covers, with the
// rare ones as exceptions.
// Stops (entries then hold more than max_entries) as soon as there are more than max_entries
// distinct values.
Codes local_codes(std::span<const std::string_view> v, size_t max_entries) {
  Codes c;
  std::unordered_map<std::string_view, int64_t> m;
  m.reserve(std::min<size_t>(v.size(), 64));  // grows with the distinct values, not the rows
  c.codes.resize(v.size());
  std::vector<size_t> count;
  for (size_t i = 0; i < v.size(); ++i) {
    // a row repeating the previous row's value needs no lookup
    if (i > 0 && v[i].size() == v[i - 1].size() && v[i] == v[i - 1]) {
      c.codes[i] = c.codes[i - 1];
      ++count[static_cast<size_t>(c.codes[i])];
      continue;
    }
    // try_emplace looks the key up before allocating a node (emplace allocates one per row)
    auto [it, fresh] = m.try_emplace(v[i], static_cast<int64_t>(c.entries.size()));
    if (fresh) {
      c.entries.push_back(v[i]);
      count.push_back(0);
      if (c.entries.size() > max_entries) return c;
    }
    c.codes[i] = it->second;
    ++count[static_cast<size_t>(it->second)];
  }
  if (c.entries.size() > 2) {
    std::vector<uint32_t> order(c.entries.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return count[a] > count[b]; });
    std::vector<int64_t> rank(order.size());
    std::vector<std::string_view> sorted(order.size());
    for (size_t k = 0; k < order.size(); ++k) {
      rank[order[k]] = static_cast<int64_t>(k);
      sorted[k] = c.entries[order[k]];
    }
    c.entries = std::move(sorted);
    for (int64_t& x : c.codes) x = rank[static_cast<size_t>(x)];
  }
  return c;
}

}  // namespace

bool encode_dictionary(ByteWriter& w, ColumnType type, std::span<const std::string_view> values, bool byte_aligned,
                       bool forced, const IntShape* plan_only, IntShape* chosen) {
  Codes cd = local_codes(values, forced ? values.size() : values.size() / 2);
  if (!forced && cd.entries.size() * 2 > values.size()) return false;
  w.varint(cd.entries.size());
  if (type == ColumnType::Uuid) {
    for (auto s : cd.entries) w.bytes(s.data(), 16);
  } else {
    write_string_list(w, cd.entries);
  }
  if (cd.entries.size() > 1) {
    IntEncodeOptions io{byte_aligned};
    io.plan_only = plan_only;
    io.chosen = chosen;
    encode_ints(w, cd.codes, io);
  }
  return true;
}

bool encode_ext_dictionary(ByteWriter& w, const Dictionary* dict, std::span<const std::string_view> values,
                           bool byte_aligned, bool forced, const IntShape* plan_only, IntShape* chosen) {
  if (!dict) {
    if (forced) bad_arg("ExtDictionary needs EncodeOptions::dictionary");
    return false;
  }
  std::vector<int64_t> codes(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    auto code = dict->find(values[i]);
    if (!code) {
      if (forced) bad_arg("value missing from the external dictionary");
      return false;
    }
    codes[i] = *code;
  }
  IntEncodeOptions io{byte_aligned};
  io.plan_only = plan_only;
  io.chosen = chosen;
  encode_ints(w, codes, io);
  return true;
}

bool encode_uuid_text(ByteWriter& w, std::span<const std::string_view> values, bool forced) {
  uint8_t u[16];
  size_t canonical = 0;
  for (auto s : values) canonical += parse_canonical_uuid(s, u);
  if (!forced && canonical * 2 < values.size()) return false;
  write_string_list(w, values);  // picks UuidText form when half or more are canonical
  return true;
}

void check_dictionary(const ColumnInfo& info, const Dictionary* dict) {
  if (!dict) throw Error(Errc::invalid_argument, "column was encoded with an external dictionary; pass it");
  if (dict->id() != info.dictionary_id) corrupt("external dictionary id does not match");
  if (dict->type() != info.type) corrupt("external dictionary type does not match");
}

uint64_t read_local_dictionary(ByteReader& r, ColumnType type, uint64_t m, const DecodeOptions& opt,
                               std::vector<uint8_t>& edata, std::vector<uint32_t>& eoffs) {
  const uint64_t k = r.count(m, "dictionary larger than batch");
  if (k == 0) corrupt("empty dictionary");
  edata.clear();
  eoffs.assign(1, 0);
  if (type == ColumnType::Uuid) {
    read_uuid_values(r, k, edata, eoffs);  // k * 16 <= rows * 16 <= max_output_bytes (parse)
  } else {
    read_string_list(r, k, edata, eoffs, opt.max_output_bytes);
  }
  return k;
}

void read_codes(ByteReader& r, uint64_t m, uint64_t k, bool present, CodeBuffer& codes) {
  codes.resize(m);  // not zeroed: every value is written below
  if (!present) {
    std::fill(codes.begin(), codes.end(), 0u);
    return;
  }
  decode_ints_narrow(r, m, codes.data(), 0, static_cast<int64_t>(std::min<uint64_t>(k, uint64_t{1} << 32) - 1));
}

void decode_strings(const ColumnInfo& info, uint64_t m, ByteReader& r, const Dictionary* dict,
                    const DecodeOptions& opt, Strings& out) {
  auto& data = out.data;
  auto& offsets = out.offsets;
  const bool materialize = opt.materialize_strings || info.type == ColumnType::Uuid;
  const bool has_codes = info.codec == Codec::Dictionary || info.codec == Codec::ExtDictionary ||
                         info.codec == Codec::Constant;
  if (materialize || !has_codes) {  // the coded form has no per-row offsets
    offsets.reserve(m + 1);
    offsets.push_back(0);
  }
  auto expand = [&](auto entry) {
    uint64_t total = 0;
    for (uint32_t c : out.codes) {
      total += entry(c).size();
      if (total > opt.max_output_bytes) corrupt("output exceeds size limit");
    }
    data.reserve(total);
    for (uint32_t c : out.codes) {
      std::string_view s = entry(c);
      data.insert(data.end(), s.begin(), s.end());
      offsets.push_back(static_cast<uint32_t>(data.size()));
    }
  };
  switch (info.codec) {
    case Codec::Plain:  // Uuid only
      if (m * 16 > opt.max_output_bytes) corrupt("output exceeds size limit");
      read_uuid_values(r, m, data, offsets);
      return;
    case Codec::Dictionary: {
      const uint64_t k = read_local_dictionary(r, info.type, m, opt, out.edata, out.eoffs);
      read_codes(r, m, k, k > 1, out.codes);
      if (!materialize) {
        out.coded = true;
        out.k = k;
        return;
      }
      expand([&](size_t c) {
        return std::string_view(reinterpret_cast<const char*>(out.edata.data()) + out.eoffs[c],
                                out.eoffs[c + 1] - out.eoffs[c]);
      });
      return;
    }
    case Codec::ExtDictionary: {
      check_dictionary(info, dict);
      if (dict->size() == 0) corrupt("codes into an empty dictionary");
      read_codes(r, m, dict->size(), true, out.codes);
      if (!materialize) {
        out.coded = true;
        out.k = dict->size();
        out.ext = dict;
        return;
      }
      expand([&](size_t c) { return dict->entry(c); });
      return;
    }
    case Codec::Constant: {
      const uint64_t len = info.type == ColumnType::Uuid ? 16 : r.count(opt.max_output_bytes, "value too large");
      const uint8_t* b = r.bytes(len);
      out.edata.assign(b, b + len);
      out.eoffs = {0, static_cast<uint32_t>(len)};
      out.codes.assign(m, 0);
      if (!materialize) {
        out.coded = true;
        out.k = 1;
        return;
      }
      expand([&](size_t) { return std::string_view(reinterpret_cast<const char*>(out.edata.data()), len); });
      return;
    }
    case Codec::UuidText:
      read_string_list(r, m, data, offsets, opt.max_output_bytes);
      return;
    case Codec::VarPlain:
      read_plain_strings(r, m, data, offsets, opt.max_output_bytes);
      return;
    default:
      corrupt("codec not valid for string column");
  }
}

}  // namespace strata::core::codec
