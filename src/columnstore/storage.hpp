// The storage format of a compressed chunk (docs/COLUMNSTORE.md, "Storage of a compressed
// chunk"), as helpers the compressor, decompressor and the ColumnarScan node share: the
// companion table's column names, the chunk's settings snapshot from the catalog, and the
// conversion of a column's datums to the codec core's values and back. C-style glue: every
// function may ereport; results are palloc'd in the current memory context.
//
// Companion table `_strata_internal._hyper_<ht>_<chunk>_cs`, one row per batch:
//   each segmentby column (by name, its own type and collation)
//   _strata_count int4, _strata_seq int4
//   _strata_min_<k>, _strata_max_<k> (the column's type), _strata_nulls_<k> int4 for the k-th
//     (1-based) column of the chunk's settings.minmax
//   _strata_bloom_<k> bytea for the k-th column of settings.bloom
//   _strata_dict bytea STORAGE EXTERNAL (format version 2): NULL in batch rows; in a dictionary
//     row (_strata_count 0, _strata_seq 0, every data column NULL) one serialized shared
//     dictionary that batches of the same segment refer to by id
//   each other column of the chunk (by name) bytea STORAGE EXTERNAL: its codec encoding, inline
//     while the row fits a page (toast_tuple_target kCompanionToastTarget), else TOASTed
// and a btree index on (segmentby columns..., _strata_min_1) when there is a minmax column.
#pragma once

#include "catalog/catalog.hpp"
#include "columnstore/bridge.hpp"

extern "C" {
#include "utils/datum.h"
}

namespace strata::columnstore {

inline constexpr const char* kCountColumn = "_strata_count";
inline constexpr const char* kSeqColumn = "_strata_seq";
inline constexpr const char* kDictColumn = "_strata_dict";
// Names beginning with this are reserved for metadata columns (a hypertable with such a column
// cannot enable compression).
inline constexpr const char* kReservedPrefix = "_strata_";
// Rows per batch, and the variable-length bytes after which a batch is cut early.
inline constexpr int kBatchRows = 1000;
inline constexpr size_t kBatchMaxVarlenBytes = size_t{64} << 20;
// The companion's toast_tuple_target: PostgreSQL's largest (TOAST_TUPLE_TARGET_MAIN), so that a
// batch row that fits on a page keeps its data columns inline.
inline constexpr int kCompanionToastTarget = 8160;
// Version of the companion layout (compressed_chunk.format_version): 2 adds _strata_dict and
// dictionary rows; companions of version 1 (no such column) are read as they are.
inline constexpr int16 kStorageFormatVersion = 2;
// Whether batches can be added to a companion of this version (segment-wise recompression,
// direct COPY): 1 and 2 (those writers keep batch-local dictionaries, so a version 1 companion,
// without _strata_dict, needs nothing it lacks; it stays version 1).
inline bool storage_format_writable(int16 version) { return version >= 1 && version <= kStorageFormatVersion; }

// Metadata column names for the k-th (1-based) minmax / bloom column, into `buf` (NAMEDATALEN).
void storage_min_column(int k, char* buf);
void storage_max_column(int k, char* buf);
void storage_nulls_column(int k, char* buf);
void storage_bloom_column(int k, char* buf);
// The companion table's name for a chunk ("_hyper_<ht>_<chunk>_cs").
void storage_companion_name(int32 hypertable_id, int32 chunk_id, char* buf);

// The settings snapshot and sizes of a compressed chunk (its compressed_chunk row), or false.
bool storage_chunk_settings(int32 chunk_id, CompressedChunk* out);
// The companion table's relid (InvalidOid if missing).
Oid storage_companion_relid(const CompressedChunk* cc);
// The position of `name` in a list of names, or -1.
int storage_name_index(char* const* names, int n, const char* name);
// A column type as SQL (with its typmod, and COLLATE when not the type's default), palloc'd: for
// the companion's DDL.
const char* storage_type_sql(Oid typid, int32 typmod, Oid collation);

// How one column's values travel to and from the codec core.
struct StorageType {
  Oid typid;       // the column's type
  Oid basetype;    // its base type (for a domain)
  int16 typlen;
  bool typbyval;
  uint8 codec_type;  // core::codec::ColumnType
};
// The codec type for a column type: the fixed C form for int2/int4/int8, float4/float8, bool,
// date, timestamp, timestamptz and uuid (domains by their base type); Varlen for every other.
void storage_type(Oid typid, StorageType* out);
// Whether the column's values may share a per-segment dictionary (codec types Varlen and Uuid).
bool storage_dictionary_type(const StorageType* type);
// Appends a datum (or NULL) to column `col` of the builder.
void storage_append_datum(bridge::Builder* builder, int col, const StorageType* type, Datum value, bool isnull);
// The datum (or NULL) as a value for bridge::builder_append_row, the same value
// storage_append_datum appends. Returns a palloc'd copy the value points into (a detoasted
// varlena) that the caller frees once the row is appended, else nullptr. `out` must stay where
// it is until then (a by-value type's bytes are kept in it).
void* storage_row_value(const StorageType* type, Datum value, bool isnull, bridge::RowValue* out);
// Whether storage_row_value's value of a datum of this type is the Datum's own bits (int8,
// timestamp[tz] and float8, by value): a caller may take the Datum as the cell's bits.
bool storage_value_is_datum(const StorageType* type);
// Row `row` of a decoded column as a datum of the column's type (palloc'd when by reference).
Datum storage_decoded_datum(const bridge::Decoder* decoder, size_t row, const StorageType* type, bool* isnull);

// Whether two segmentby values of one type are the same segment: their exact bytes, as
// datum_image_eq compares them (numeric 1.0 and 1.00 are two segments). A varlena that is
// neither external nor compressed (every segment value of a freshly loaded chunk: a host name)
// is compared inline: datum_image_eq asks toast_raw_datum_size for each side first, which was a
// third of the cost of grouping a chunk's rows into segments (docs/BENCHMARKS.md, f-compress6).
inline bool storage_segment_value_eq(Datum a, Datum b, bool byval, int16 typlen) {
  if (typlen == -1) {
    const char* p = DatumGetPointer(a);
    const char* q = DatumGetPointer(b);
    if (!VARATT_IS_EXTERNAL(p) && !VARATT_IS_COMPRESSED(p) && !VARATT_IS_EXTERNAL(q) && !VARATT_IS_COMPRESSED(q)) {
      const Size len = VARSIZE_ANY_EXHDR(p);
      return len == VARSIZE_ANY_EXHDR(q) && memcmp(VARDATA_ANY(p), VARDATA_ANY(q), len) == 0;
    }
  }
  if (byval) return a == b;
  return datum_image_eq(a, b, byval, typlen);
}

// The companion's _strata_dict column, or InvalidAttrNumber (format version 1).
AttrNumber storage_dict_attno(Relation companion);
// Whether a companion row (`count` its _strata_count) is a dictionary row, not a batch.
inline bool storage_is_dictionary_row(int32 count) { return count == 0; }
// Hands every shared dictionary stored in `companion` for the segment of `row` (a slot holding a
// companion row; `seg_atts` are the companion's segmentby columns, in any order) to
// add(arg, bytes, len), reading the rows visible to `snapshot` through the companion's index on
// the segmentby columns (every row when there is none). For a reader whose batch refers to a
// dictionary it has not met.
void storage_segment_dictionaries(Relation companion, const AttrNumber* seg_atts, int nseg, TupleTableSlot* row,
                                  Snapshot snapshot, void (*add)(void* arg, const uint8* data, size_t len), void* arg);
// Deletes the dictionary rows of `row`'s segment (read as storage_segment_dictionaries reads
// them) when `snapshot` sees no batch of the segment, with command id `cid`; returns how many.
// For writers that removed batches (DML's moves and whole-batch deletes): a segment without
// batches keeps no dictionary rows. `snapshot` must not see the batches the caller removed.
// Only the caller's own snapshot decides (a later one could see a batch gone that the caller's
// reads still need): two transactions that each remove some of a segment's batches both keep its
// dictionary rows, orphans that the chunk's next recompression removes (do_recompress_segments).
int64 storage_drop_orphan_dictionaries(Relation companion, const AttrNumber* seg_atts, int nseg, TupleTableSlot* row,
                                       Snapshot snapshot, CommandId cid);
// The companion attnos of the named segmentby columns (palloc'd).
AttrNumber* storage_segment_attnos(Relation companion, char* const* segmentby, int nsegmentby);
// Runs decode(arg), which is false when the column needs a shared dictionary its reader does not
// hold; then load(arg), which hands the reader its segment's dictionaries
// (storage_segment_dictionaries), and decode(arg) again: data_corrupted (naming `companion`) when
// the segment does not hold it either.
void storage_decode_with_dictionaries(Relation companion, bool (*decode)(void* arg), void (*load)(void* arg), void* arg);
// Decodes an encoded batch column with `decoder` (bridge::decoder_decode); a column that needs a
// shared dictionary the decoder does not hold gets the dictionaries of its segment first
// (storage_segment_dictionaries of the companion row in `row`). data_corrupted when the segment
// does not hold it either.
void storage_decode(bridge::Decoder* decoder, const uint8* data, size_t len, uint8 codec_type, Relation companion,
                    char* const* segmentby, int nsegmentby, TupleTableSlot* row, Snapshot snapshot);
// The bytes of a dictionary row's _strata_dict value (detoasted into the current memory context).
void storage_dictionary_bytes(Datum value, const uint8** data, size_t* len);

// Creates a builder / decoder freed with the current memory context (also on error).
bridge::Builder* storage_builder_create(const uint8* types, const bool* bloom, int ncols);
bridge::Decoder* storage_decoder_create();

}  // namespace strata::columnstore
