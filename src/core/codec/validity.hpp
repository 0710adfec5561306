// Validity section (internal): which rows of a column with NULLs hold values (docs/FORMAT.md,
// "Validity section"). A u8 form, then form 0: an integer block of one 0/1 flag per row (1 = not
// NULL); forms 1 and 2: an integer block of the positions of the NULL rows (1) or of the value
// rows (2); forms 3 and 4: the same positions as Rice-coded gaps (rice.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "codec/byte_io.hpp"

namespace strata::core::codec {

// Writes the smallest form for valid01 (a 0/1 flag per row) with `nulls` zeros, 0 < nulls < rows.
void write_validity(ByteWriter& w, std::span<const int64_t> valid01, size_t nulls);
// Reads a section of `rows` rows of which exactly `nulls` are NULL (0 < nulls < rows), checking
// that it says so; with want_bitmap, into bitmap ((rows + 7) / 8 bytes, LSB-first, bit set = row
// holds a value, padding bits 0).
void read_validity(ByteReader& r, uint64_t rows, uint64_t nulls, bool want_bitmap, std::vector<uint8_t>& bitmap);

}  // namespace strata::core::codec
