// The C++ side of the ColumnarScan node (docs/COLUMNSTORE.md, "Scanning a compressed chunk"): it
// owns the decoded columns (codec::DecodedColumn), the shared dictionaries and the batch filter,
// and is called by the executor glue (scan_exec.cpp) through the plain functions below. This
// header and scan_bridge.cpp include no PostgreSQL header; errors are thrown as core::Error and
// reach the glue's guarded callback (pg::cpp_entry), which reports them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strata::columnstore {

struct ScanBridge;

// A predicate for the filter kernels (core/columnstore/filter.hpp), as plain data: `type` is a
// codec::ColumnType, `op` a core::columnstore::FilterOp; `nvalues` constants in ints / floats /
// bytes+lens by the type's kind (one for a comparison, the list of an IN).
struct BridgePredicate {
  int column;  // index among the bridge's columns
  int type;
  int op;
  int nvalues;
  const int64_t* ints;
  const double* floats;
  const uint8_t* const* bytes;
  const uint32_t* lens;
};

// One decoded column of a batch slot, as flat arrays (valid until the slot's next decode).
// `dense`: the column holds the slot's selected rows alone (bridge_decode_selected), so the
// batch's i-th selected row is its row i (its rank in the selection, not its row in the batch).
// A Varlen column's values, read without a call per value: in dictionary form, row i's value is
// entry codes[i] of the entries (bytes from entry_offsets[code] to entry_offsets[code + 1]);
// materialised, bytes from offsets[i] to offsets[i + 1]; both nullptr otherwise (bridge_bytes).
// Codes were range-checked when the column was decoded.
struct BridgeColumn {
  uint64_t rows;
  const uint8_t* validity;  // LSB-first, nullptr when there are no NULLs
  const uint8_t* fixed;     // fixed-width values (rows * width bytes); nullptr for Varlen
  uint8_t dense;
  const uint32_t* codes;
  const uint32_t* entry_offsets;
  const uint32_t* offsets;
  const uint8_t* bytes;  // the entries' (dictionary form) or the values' (materialised) bytes
};

// A bridge with `ncolumns` columns of codec types `types`, `nslots` batch slots (one per batch
// held decoded at once: 1 for a plain scan, one per segment for an ordered merge) and the
// predicates every decoded batch is filtered with. Throws core::Error on a bad predicate.
ScanBridge* bridge_create(int ncolumns, const int* types, int nslots, int npredicates,
                          const BridgePredicate* predicates);
// Ends a bridge; never throws. The backend keeps the last one (its column buffers, not its
// dictionaries, filter or values) for the next bridge_create while they hold at most 1 MB.
void bridge_destroy(ScanBridge* bridge) noexcept;
// Grows the number of slots to at least `nslots`.
void bridge_reserve_slots(ScanBridge* bridge, int nslots);

// strata.dictionary_cache_size: the most memory (kB) a backend's cache of decoded shared
// dictionaries holds; 0 keeps none (each scan reads and decodes its segments' dictionaries).
extern int guc_dictionary_cache_size;

// The companion table (OID) the bridge's batches come from: shared dictionaries it decodes are
// kept for later scans of the same companion in this backend, and taken from there (without the
// caller adding them) when an earlier scan decoded them. Without it (0) nothing is cached.
void bridge_set_relation(ScanBridge* bridge, uint32_t relation);
// Drops the backend's cached shared dictionaries of a companion (every one for 0): at its relcache
// invalidation.
void bridge_forget_dictionaries(uint32_t relation) noexcept;
// Remembers a shared dictionary (its serialized form); a later decode of a column encoded against
// it finds it by id.
void bridge_add_dictionary(ScanBridge* bridge, const uint8_t* data, size_t len);
// Decodes column `col` of a batch into slot `slot`; returns its row count, or kMissingDictionary
// (nothing decoded) when the column needs a shared dictionary the bridge does not hold: the
// caller adds its segment's dictionaries and decodes again. Throws core::Error(data_corrupted)
// on corrupt input.
inline constexpr uint64_t kMissingDictionary = ~uint64_t{0};
uint64_t bridge_decode(ScanBridge* bridge, int slot, int col, const uint8_t* data, size_t len);
// The same for a slot already filtered (bridge_filter): only the rows its selection keeps get
// their values. A column without NULLs whose codec allows it holds the selected rows alone, in
// order (codec::decode_selected_rows; bridge_column says `dense`: address its rows by their rank
// in the selection); otherwise the batch's rows, the unselected ones zero / empty or their value
// (codec::decode_column_rows_into). Returns the batch column's row count either way; a column
// with more rows than the selection covers throws.
uint64_t bridge_decode_selected(ScanBridge* bridge, int slot, int col, const uint8_t* data, size_t len);
// Filters a predicate column of the slot's batch on its encoded bytes, when every predicate on it
// is a text equality or IN and the codec allows (plain strings, codec::select_equal_strings):
// true then, with the column's row count in *rows; bridge_filter uses its matches, and the column
// holds the matching rows' values (every row bridge_filter can select). False (nothing done):
// decode the column as usual.
bool bridge_prefilter(ScanBridge* bridge, int slot, int col, const uint8_t* data, size_t len, uint64_t* rows);
// Sets the row count of a slot without decoding any column (a batch none of whose data columns the
// query needs).
void bridge_set_rows(ScanBridge* bridge, int slot, uint64_t rows);

// Runs the predicates on the decoded columns of `slot` (every predicate's column must be decoded
// there), keeps the selection in the slot and returns the number of selected rows. Without
// predicates every row is selected.
uint64_t bridge_filter(ScanBridge* bridge, int slot, uint64_t rows);
// The slot's selection: bit i of word i/64 set when row i survived bridge_filter.
const uint64_t* bridge_selection(const ScanBridge* bridge, int slot);

void bridge_column(const ScanBridge* bridge, int slot, int col, BridgeColumn* out);
// Whether the column holds the slot's selected rows alone (BridgeColumn::dense).
bool bridge_dense(const ScanBridge* bridge, int slot, int col);
// The bytes of a Varlen or Uuid value (false when NULL).
bool bridge_bytes(const ScanBridge* bridge, int slot, int col, uint64_t row, const uint8_t** data,
                  size_t* len);

// The dictionary form of a decoded Varlen column (for grouping by it): one code per row (0 for a
// NULL row) and the number of entries; false when the column is materialised or dense.
bool bridge_codes(const ScanBridge* bridge, int slot, int col, const uint32_t** codes, uint64_t* nentries);
// The bytes of dictionary entry `code` of that column; throws core::Error(data_corrupted) when out
// of range.
void bridge_entry(const ScanBridge* bridge, int slot, int col, uint32_t code, const uint8_t** data, size_t* len);

// Whether a serialized bloom filter may contain a value with one of `hashes`; a corrupt filter
// throws core::Error(data_corrupted).
bool bridge_bloom_may_contain(const uint8_t* data, size_t len, int nhashes, const uint64_t* hashes);

}  // namespace strata::columnstore
