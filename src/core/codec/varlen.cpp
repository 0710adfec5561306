// Variable-length helpers: zstd wrappers, string lists (plain / UUID text), UUID text parsing and
// the external shared Dictionary.
#include <algorithm>
#include <cstring>

#include "codec/int_codec.hpp"
#include "codec/internal.hpp"

namespace strata::core::codec {

CodecContext::CodecContext() : impl_(std::make_unique<Impl>()) {}
CodecContext::~CodecContext() = default;

std::vector<uint8_t> zstd_compress(CodecContext::Impl& ctx, const uint8_t* src, size_t n, int level) {
  ZSTD_CCtx* c = ctx.c();
  ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
  ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0);
  ZSTD_CCtx_setParameter(c, ZSTD_c_dictIDFlag, 0);
  std::vector<uint8_t> out(ZSTD_compressBound(n));
  size_t r = ZSTD_compress2(c, out.data(), out.size(), src, n);
  if (ZSTD_isError(r)) return {};
  out.resize(r);
  return out;
}

void zstd_decompress(CodecContext::Impl& ctx, const uint8_t* src, size_t n, uint8_t* dst, size_t raw_len) {
  size_t r = ZSTD_decompressDCtx(ctx.d(), dst, raw_len, src, n);
  if (ZSTD_isError(r) || r != raw_len) corrupt("zstd stage");
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper-case is not canonical: kept as an exception so it round-trips exactly
}

bool parse_canonical_uuid(std::string_view s, uint8_t out[16]) {
  if (s.size() != 36) return false;
  int o = 0;
  for (size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
      ++i;
      continue;
    }
    int hi = hexval(s[i]), lo = hexval(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[o++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return true;
}

void format_uuid(const uint8_t in[16], char out[36]) {
  static constexpr char kHex[] = "0123456789abcdef";
  int o = 0;
  for (int b = 0; b < 16; ++b) {
    if (b == 4 || b == 6 || b == 8 || b == 10) out[o++] = '-';
    out[o++] = kHex[in[b] >> 4];
    out[o++] = kHex[in[b] & 15];
  }
}

void write_plain_strings(ByteWriter& w, std::span<const std::string_view> v) {
  std::vector<int64_t> lens(v.size());
  for (size_t i = 0; i < v.size(); ++i) lens[i] = static_cast<int64_t>(v[i].size());
  encode_ints(w, lens, IntEncodeOptions{});
  for (auto s : v) w.bytes(s.data(), s.size());
}

void read_plain_strings(ByteReader& r, size_t n, std::vector<uint8_t>& data, std::vector<uint32_t>& offsets,
                        uint64_t max_bytes) {
  std::vector<int64_t> lens(n);
  decode_ints(r, n, lens.data());
  uint64_t total = 0;
  for (int64_t l : lens) {
    if (l < 0 || static_cast<uint64_t>(l) > max_bytes) corrupt("bad value length");
    total += static_cast<uint64_t>(l);
    if (total > max_bytes || total + data.size() > max_bytes) corrupt("values exceed size limit");
  }
  const uint8_t* p = r.bytes(total);
  data.insert(data.end(), p, p + total);
  uint32_t off = offsets.back();
  for (int64_t l : lens) offsets.push_back(off += static_cast<uint32_t>(l));
}

void read_uuid_values(ByteReader& r, size_t n, std::vector<uint8_t>& data, std::vector<uint32_t>& offsets) {
  const uint8_t* p = r.bytes(n * 16);
  data.insert(data.end(), p, p + n * 16);
  uint32_t off = offsets.back();
  for (size_t i = 0; i < n; ++i) offsets.push_back(off += 16);
}

// UuidText body (also used by the string list): exceptions count, their positions, the 16-byte
// canonical values, then the exceptions as a plain string list.
void write_uuid_strings(ByteWriter& w, std::span<const std::string_view> v) {
  std::vector<int64_t> pos;
  std::vector<std::string_view> exc;
  std::vector<uint8_t> raw;
  raw.reserve(v.size() * 16);
  uint8_t u[16];
  for (size_t i = 0; i < v.size(); ++i) {
    if (parse_canonical_uuid(v[i], u)) {
      raw.insert(raw.end(), u, u + 16);
    } else {
      pos.push_back(static_cast<int64_t>(i));
      exc.push_back(v[i]);
    }
  }
  w.varint(pos.size());
  if (!pos.empty()) encode_ints(w, pos, IntEncodeOptions{});
  w.bytes(raw.data(), raw.size());
  if (!exc.empty()) write_plain_strings(w, exc);
}

void read_uuid_strings(ByteReader& r, size_t n, std::vector<uint8_t>& data, std::vector<uint32_t>& offsets,
                       uint64_t max_bytes) {
  const uint64_t ne = r.count(n, "too many uuid exceptions");
  std::vector<int64_t> pos(ne);
  if (ne) decode_ints(r, ne, pos.data());
  int64_t prev = -1;
  for (int64_t p : pos) {
    if (p <= prev || static_cast<uint64_t>(p) >= n) corrupt("bad uuid exception position");
    prev = p;
  }
  const uint8_t* raw = r.bytes((n - ne) * 16);
  std::vector<uint8_t> edata;
  std::vector<uint32_t> eoffs{0};
  if (ne) read_plain_strings(r, ne, edata, eoffs, max_bytes);
  if ((n - ne) * 36 + edata.size() + data.size() > max_bytes) corrupt("values exceed size limit");
  size_t k = 0, ri = 0;
  for (size_t i = 0; i < n; ++i) {
    if (k < ne && static_cast<uint64_t>(pos[k]) == i) {
      data.insert(data.end(), edata.begin() + eoffs[k], edata.begin() + eoffs[k + 1]);
      ++k;
    } else {
      char txt[36];
      format_uuid(raw + 16 * ri++, txt);
      data.insert(data.end(), txt, txt + 36);
    }
    offsets.push_back(static_cast<uint32_t>(data.size()));
  }
}

void write_string_list(ByteWriter& w, std::span<const std::string_view> values) {
  if (values.size() == 1) {  // a single value: its length and bytes, no form byte
    w.varint(values[0].size());
    w.bytes(values[0].data(), values[0].size());
    return;
  }
  size_t canonical = 0;
  uint8_t u[16];
  for (auto s : values) canonical += parse_canonical_uuid(s, u);
  if (!values.empty() && canonical * 2 >= values.size()) {
    w.u8(static_cast<uint8_t>(Codec::UuidText));
    write_uuid_strings(w, values);
  } else {
    w.u8(static_cast<uint8_t>(Codec::VarPlain));
    write_plain_strings(w, values);
  }
}

void read_string_list(ByteReader& r, size_t n, std::vector<uint8_t>& data, std::vector<uint32_t>& offsets,
                      uint64_t max_bytes) {
  if (n == 1) {
    const uint64_t len = r.count(max_bytes, "value too large");
    if (len + data.size() > max_bytes) corrupt("values exceed size limit");
    const uint8_t* p = r.bytes(len);
    data.insert(data.end(), p, p + len);
    offsets.push_back(static_cast<uint32_t>(data.size()));
    return;
  }
  const uint8_t form = r.u8();
  if (form == static_cast<uint8_t>(Codec::UuidText))
    read_uuid_strings(r, n, data, offsets, max_bytes);
  else if (form == static_cast<uint8_t>(Codec::VarPlain))
    read_plain_strings(r, n, data, offsets, max_bytes);
  else
    corrupt("unknown string list form");
}

// FNV-1a 64 over (type, count, each length as 8 LE bytes, bytes); never 0.
uint64_t hash_entries(std::span<const std::string_view> values, ColumnType type) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&](const void* p, size_t n) {
    const uint8_t* b = static_cast<const uint8_t*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  };
  uint8_t t = static_cast<uint8_t>(type);
  mix(&t, 1);
  uint64_t n = values.size();
  mix(&n, 8);
  for (auto s : values) {
    uint64_t l = s.size();
    mix(&l, 8);
    mix(s.data(), s.size());
  }
  return h == 0 ? 1 : h;
}

// ---- Dictionary ----

void Dictionary::index() {
  lookup_.clear();
  lookup_.reserve(size());
  for (size_t i = 0; i < size(); ++i) lookup_.emplace(entry(i), static_cast<uint32_t>(i));
}

std::optional<uint32_t> Dictionary::find(std::string_view value) const {
  auto it = lookup_.find(value);
  if (it == lookup_.end()) return std::nullopt;
  return it->second;
}

Dictionary Dictionary::build(ColumnType type, std::span<const std::string_view> values) {
  if (type != ColumnType::Varlen && type != ColumnType::Uuid) bad_arg("dictionary type must be Varlen or Uuid");
  Dictionary d;
  d.type_ = type;
  d.offsets_.push_back(0);
  std::unordered_map<std::string_view, uint32_t> seen;
  std::vector<std::string_view> order;
  for (auto s : values) {
    if (type == ColumnType::Uuid && s.size() != 16) bad_arg("uuid dictionary values must be 16 bytes");
    if (seen.emplace(s, static_cast<uint32_t>(order.size())).second) order.push_back(s);
  }
  if (order.size() > kMaxRows * 64) bad_arg("dictionary too large");
  size_t total = 0;
  for (auto s : order) total += s.size();
  if (total > kMaxValueBytes) bad_arg("dictionary too large");
  d.data_.reserve(total);
  for (auto s : order) {
    d.data_.insert(d.data_.end(), s.begin(), s.end());
    d.offsets_.push_back(static_cast<uint32_t>(d.data_.size()));
  }
  d.id_ = hash_entries(order, type);
  d.index();
  return d;
}

// Serialized dictionary: u8 version, u8 type, u8 flags (bit0 zstd), u64 id, varint count,
// [zstd: varint raw_len, varint comp_len, bytes] string list of the entries.
std::vector<uint8_t> Dictionary::serialize(int zstd_level) const {
  std::vector<std::string_view> v(size());
  for (size_t i = 0; i < size(); ++i) v[i] = entry(i);
  ByteWriter body;
  if (type_ == ColumnType::Uuid) {
    body.u8(static_cast<uint8_t>(Codec::Plain));
    for (auto s : v) body.bytes(s.data(), 16);
  } else {
    write_string_list(body, v);
  }
  CodecContext ctx;
  std::vector<uint8_t> z = zstd_compress(*ctx.impl(), body.buf().data(), body.size(), zstd_level);
  bool use_z = !z.empty() && z.size() + varint_size(body.size()) + varint_size(z.size()) < body.size();
  ByteWriter w;
  w.u8(kFormatVersion);
  w.u8(static_cast<uint8_t>(type_));
  w.u8(use_z ? 1 : 0);
  w.u64le(id_);
  w.varint(size());
  if (use_z) {
    w.varint(body.size());
    w.varint(z.size());
    w.bytes(z.data(), z.size());
  } else {
    w.bytes(body.buf().data(), body.size());
  }
  return std::move(w.buf());
}

uint64_t Dictionary::serialized_id(std::span<const uint8_t> bytes) {
  ByteReader r(bytes);
  if (const uint8_t v = r.u8(); v < kMinFormatVersion || v > kFormatVersion) corrupt("unsupported dictionary version");
  r.u8();  // type
  r.u8();  // flags
  return r.u64le();
}

Dictionary Dictionary::deserialize(std::span<const uint8_t> bytes, const DecodeOptions& requested) {
  const DecodeOptions options = capped(requested);
  ByteReader r(bytes);
  if (const uint8_t v = r.u8(); v < kMinFormatVersion || v > kFormatVersion) corrupt("unsupported dictionary version");
  const uint8_t t = r.u8();
  if (t != static_cast<uint8_t>(ColumnType::Varlen) && t != static_cast<uint8_t>(ColumnType::Uuid))
    corrupt("bad dictionary type");
  const uint8_t flags = r.u8();
  if (flags > 1) corrupt("bad dictionary flags");
  const uint64_t id = r.u64le();
  const uint64_t n = r.count(kMaxRows * 64, "dictionary too large");
  if (n * sizeof(uint64_t) > options.max_output_bytes) corrupt("dictionary too large");
  std::vector<uint8_t> raw;
  if (flags & 1) {
    const uint64_t raw_len = r.count(options.max_output_bytes, "dictionary too large");
    const uint64_t comp_len = r.count(r.remaining(), "truncated dictionary");
    const uint8_t* p = r.bytes(comp_len);
    r.expect_end("trailing bytes after dictionary");
    raw.resize(raw_len);
    ContextRef ctx(options.context);
    zstd_decompress(ctx.get(), p, comp_len, raw.data(), raw_len);
  }
  ByteReader body = (flags & 1) ? ByteReader(raw.data(), raw.size()) : r;
  std::vector<uint8_t> data;
  std::vector<uint32_t> offsets{0};
  offsets.reserve(n + 1);
  if (t == static_cast<uint8_t>(ColumnType::Uuid)) {
    if (body.u8() != static_cast<uint8_t>(Codec::Plain)) corrupt("bad uuid dictionary form");
    if (n * 16 > options.max_output_bytes) corrupt("dictionary too large");
    read_uuid_values(body, n, data, offsets);
  } else {
    read_string_list(body, n, data, offsets, options.max_output_bytes);
  }
  body.expect_end("trailing bytes after dictionary");
  Dictionary d;
  d.type_ = static_cast<ColumnType>(t);
  d.data_.assign(data.begin(), data.end());
  d.offsets_ = std::move(offsets);
  std::vector<std::string_view> v(d.size());
  for (size_t i = 0; i < d.size(); ++i) v[i] = d.entry(i);
  d.id_ = hash_entries(v, d.type_);
  if (d.id_ != id) corrupt("dictionary id does not match its contents");
  d.index();
  if (d.lookup_.size() != d.size()) corrupt("duplicate dictionary entries");
  return d;
}

}  // namespace strata::core::codec
