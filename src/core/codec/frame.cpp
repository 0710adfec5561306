// Column frame: header, validity section, zstd stage. Format: docs/FORMAT.md, "Column header".
#include "codec/frame.hpp"

#include "codec/internal.hpp"
#include "codec/validity.hpp"

namespace strata::core::codec {

namespace {

enum Flags : uint8_t { kHasNulls = 1, kZstd = 2 };
constexpr uint8_t kKnownFlags = kHasNulls | kZstd;

}  // namespace

std::vector<uint8_t> write_frame(const ColumnInfo& info, std::span<const int64_t> valid01, size_t raw_len,
                                 std::span<const uint8_t> body) {
  ByteWriter w;
  uint8_t flags = 0;
  if (info.null_count) flags |= kHasNulls;
  if (info.zstd) flags |= kZstd;
  w.u8(static_cast<uint8_t>(kFormatVersion << 4 | flags));
  w.u8(static_cast<uint8_t>(static_cast<uint8_t>(info.type) << 4 | static_cast<uint8_t>(info.codec)));
  w.varint(info.rows);
  if (info.null_count) {
    w.varint(info.null_count);
    if (info.null_count < info.rows) write_validity(w, valid01, info.null_count);
  }
  if (info.codec == Codec::ExtDictionary) w.u64le(info.dictionary_id);
  if (info.zstd) {
    w.varint(raw_len);
    w.varint(body.size());
  }
  w.bytes(body.data(), body.size());
  return std::move(w.buf());
}

void parse_into(Parsed& p, std::span<const uint8_t> bytes, ColumnType expect, const DecodeOptions& opt,
                bool want_bitmap, bool header_only) {
  ByteReader r(bytes);
  const uint8_t b0 = r.u8();
  p.info.version = b0 >> 4;
  if (p.info.version < kMinFormatVersion || p.info.version > kFormatVersion) corrupt("unsupported format version");
  const uint8_t flags = b0 & 15;
  if (flags & ~kKnownFlags) corrupt("unknown flags");
  const uint8_t b1 = r.u8();
  const uint8_t t = b1 >> 4;
  if (!valid_type(t)) corrupt("unknown column type");
  p.info.type = static_cast<ColumnType>(t);
  if (p.info.type != expect) corrupt("column type does not match");
  const uint8_t c = b1 & 15;
  if (c < 1 || c > 11) corrupt("unknown codec");
  p.info.codec = static_cast<Codec>(c);
  if (!codec_allowed(p.info.type, p.info.codec)) corrupt("codec not valid for type");
  p.info.zstd = flags & kZstd;
  p.info.rows = r.count(kMaxRows, "too many rows");
  const size_t width = fixed_width(p.info.type);
  if (width && p.info.rows * width > opt.max_output_bytes) corrupt("output exceeds size limit");
  if (flags & kHasNulls) {
    p.info.null_count = r.count(p.info.rows, "null count exceeds rows");
    if (p.info.null_count == 0) corrupt("null flag without nulls");
  }
  p.m = p.info.rows - p.info.null_count;
  if (p.info.null_count && p.m > 0) {
    read_validity(r, p.info.rows, p.info.null_count, want_bitmap, p.bitmap);
  } else if (p.info.null_count && want_bitmap) {
    p.bitmap.assign((p.info.rows + 7) / 8, 0);
  }
  if ((p.m == 0) != (p.info.codec == Codec::AllNull)) corrupt("AllNull codec mismatch");
  if (p.info.codec == Codec::AllNull && flags & kZstd) corrupt("AllNull with zstd");
  if (p.info.codec == Codec::ExtDictionary) {
    p.info.dictionary_id = r.u64le();
  }
  if (p.info.zstd) {
    const uint64_t raw = r.count(opt.max_output_bytes, "zstd body exceeds size limit");
    const uint64_t comp = r.count(r.remaining(), "truncated zstd body");
    const uint8_t* src = r.bytes(comp);
    r.expect_end("trailing bytes after column");
    if (header_only) return;
    p.zbody.resize(raw);
    ContextRef ctx(opt.context);
    zstd_decompress(ctx.get(), src, comp, p.zbody.data(), raw);
    p.body = p.zbody.data();
    p.body_len = raw;
  } else {
    p.body_len = r.remaining();
    p.body = r.bytes(p.body_len);
  }
}

Parsed parse(std::span<const uint8_t> bytes, ColumnType expect, const DecodeOptions& opt, bool want_bitmap) {
  Parsed p;
  parse_into(p, bytes, expect, opt, want_bitmap);
  return p;
}

ColumnInfo inspect_column(std::span<const uint8_t> bytes) {
  if (bytes.size() < 2) corrupt("truncated header");
  const uint8_t t = bytes[1] >> 4;
  if (!valid_type(t)) corrupt("unknown column type");
  // (header facts only: a zstd body is not decompressed, which cost a zstd context and a copy of
  // the column per call, on every batch the columnar scan decodes)
  DecodeOptions opt;
  Parsed p;
  parse_into(p, bytes, static_cast<ColumnType>(t), opt, false, true);
  return p.info;
}

}  // namespace strata::core::codec
