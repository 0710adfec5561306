// Column frame (internal): the header, the validity section's place in it and the zstd stage
// around the body (docs/FORMAT.md, "Column header").
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "codec/codec.hpp"

namespace strata::core::codec {

// Writes a column: the header from info (its version ignored: kFormatVersion is written), the
// validity section from valid01 (a 0/1 flag per row) when info.null_count > 0 and some rows
// hold values, then the body, which when info.zstd is a zstd frame of raw_len bytes.
std::vector<uint8_t> write_frame(const ColumnInfo& info, std::span<const int64_t> valid01, size_t raw_len,
                                 std::span<const uint8_t> body);

// A parsed header: what it says, the validity bitmap when wanted, and where the body is.
struct Parsed {
  ColumnInfo info;
  std::vector<uint8_t> bitmap;  // rows bits when null_count > 0 (and wanted)
  ByteBuffer zbody;             // decompressed body storage
  const uint8_t* body = nullptr;
  size_t body_len = 0;
  uint64_t m = 0;  // values: rows - null_count
};

// Parses a column of type `expect` into p, whose buffers may be reused (the bitmap is overwritten
// when wanted), decompressing a zstd body (unless `header_only`: p.info only, the body's framing
// checked but not decompressed). opt: as capped() returns them.
void parse_into(Parsed& p, std::span<const uint8_t> bytes, ColumnType expect, const DecodeOptions& opt,
                bool want_bitmap, bool header_only = false);
Parsed parse(std::span<const uint8_t> bytes, ColumnType expect, const DecodeOptions& opt, bool want_bitmap);

}  // namespace strata::core::codec
