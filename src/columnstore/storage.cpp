// The companion-table layout helpers and datum <-> codec value conversion (storage.hpp).
#include "columnstore/storage.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "parser/parse_relation.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
#include "utils/uuid.h"
}

namespace strata::columnstore {

namespace {

// codec::ColumnType values (src/core/codec/codec.hpp); the glue does not include the core.
enum : uint8 { kInt16 = 1, kInt32, kInt64, kTimestamp, kDate, kFloat4, kFloat8, kBool, kUuid, kVarlen };

void destroy_builder(void* arg) { bridge::builder_destroy((bridge::Builder*)arg); }
void destroy_decoder(void* arg) { bridge::decoder_destroy((bridge::Decoder*)arg); }

}  // namespace

void storage_min_column(int k, char* buf) { snprintf(buf, NAMEDATALEN, "_strata_min_%d", k); }
void storage_max_column(int k, char* buf) { snprintf(buf, NAMEDATALEN, "_strata_max_%d", k); }
void storage_nulls_column(int k, char* buf) { snprintf(buf, NAMEDATALEN, "_strata_nulls_%d", k); }
void storage_bloom_column(int k, char* buf) { snprintf(buf, NAMEDATALEN, "_strata_bloom_%d", k); }
void storage_companion_name(int32 hypertable_id, int32 chunk_id, char* buf) {
  snprintf(buf, NAMEDATALEN, "_hyper_%d_%d_cs", hypertable_id, chunk_id);
}

bool storage_chunk_settings(int32 chunk_id, CompressedChunk* out) { return catalog_get_compressed_chunk(chunk_id, out); }

Oid storage_companion_relid(const CompressedChunk* cc) {
  Oid nsp = get_namespace_oid(NameStr(cc->schema_name), true);
  return OidIsValid(nsp) ? get_relname_relid(NameStr(cc->table_name), nsp) : InvalidOid;
}

int storage_name_index(char* const* names, int n, const char* name) {
  for (int i = 0; i < n; ++i)
    if (strcmp(names[i], name) == 0) return i;
  return -1;
}

void storage_type(Oid typid, StorageType* out) {
  out->typid = typid;
  out->basetype = getBaseType(typid);
  get_typlenbyval(typid, &out->typlen, &out->typbyval);
  switch (out->basetype) {
    case INT2OID:
      out->codec_type = kInt16;
      break;
    case INT4OID:
      out->codec_type = kInt32;
      break;
    case INT8OID:
      out->codec_type = kInt64;
      break;
    case FLOAT4OID:
      out->codec_type = kFloat4;
      break;
    case FLOAT8OID:
      out->codec_type = kFloat8;
      break;
    case BOOLOID:
      out->codec_type = kBool;
      break;
    case DATEOID:
      out->codec_type = kDate;
      break;
    case TIMESTAMPOID:
    case TIMESTAMPTZOID:
      out->codec_type = kTimestamp;
      break;
    case UUIDOID:
      out->codec_type = kUuid;
      break;
    default:
      out->codec_type = kVarlen;
      break;
  }
}

void storage_append_datum(bridge::Builder* builder, int col, const StorageType* type, Datum value, bool isnull) {
  bridge::RowValue cell;
  void* copy = storage_row_value(type, value, isnull, &cell);
  bridge::builder_append_cell(builder, col, &cell);
  if (copy != nullptr) pfree(copy);
}

bool storage_dictionary_type(const StorageType* type) {
  return type->codec_type == kUuid || type->codec_type == kVarlen;
}

void* storage_row_value(const StorageType* type, Datum value, bool isnull, bridge::RowValue* out) {
  out->null = isnull;
  if (isnull) return nullptr;
  switch (type->codec_type) {
    case kInt16:
      out->bits = (uint64)(int64)DatumGetInt16(value);
      return nullptr;
    case kInt32:
    case kDate:
      out->bits = (uint64)(int64)DatumGetInt32(value);
      return nullptr;
    case kInt64:
    case kTimestamp:
      out->bits = (uint64)DatumGetInt64(value);
      return nullptr;
    case kFloat4: {
      const float f = DatumGetFloat4(value);
      uint32 b;
      memcpy(&b, &f, 4);
      out->bits = b;
      return nullptr;
    }
    case kFloat8: {
      const double d = DatumGetFloat8(value);
      memcpy(&out->bits, &d, 8);
      return nullptr;
    }
    case kBool:
      out->bits = DatumGetBool(value) ? 1 : 0;
      return nullptr;
    case kUuid:
      out->data = DatumGetUUIDP(value)->data;
      out->len = UUID_LEN;
      return nullptr;
    default:
      break;
  }
  // Varlen: the exact bytes of the datum (as storage_append_datum).
  if (type->typlen == -1) {
    struct varlena* v = (struct varlena*)DatumGetPointer(value);
    if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v)) v = pg_detoast_datum_packed(v);
    out->data = VARDATA_ANY(v);
    out->len = VARSIZE_ANY_EXHDR(v);
    return (Pointer)v != DatumGetPointer(value) ? v : nullptr;
  }
  if (type->typlen == -2) {
    const char* s = DatumGetCString(value);
    out->data = s;
    out->len = strlen(s) + 1;
    return nullptr;
  }
  if (!type->typbyval) {
    out->data = DatumGetPointer(value);
    out->len = type->typlen;
    return nullptr;
  }
  // A by-value type of another width (money, time, oid, "char", an enum): its typlen bytes,
  // kept in the value's own `bits` (the builder copies them when the row is appended).
  switch (type->typlen) {
    case 1: {
      const char x = DatumGetChar(value);
      memcpy(&out->bits, &x, 1);
      break;
    }
    case 2: {
      const int16 x = DatumGetInt16(value);
      memcpy(&out->bits, &x, 2);
      break;
    }
    case 4: {
      const int32 x = DatumGetInt32(value);
      memcpy(&out->bits, &x, 4);
      break;
    }
    default: {
      const int64 x = DatumGetInt64(value);
      memcpy(&out->bits, &x, 8);
      break;
    }
  }
  out->data = &out->bits;
  out->len = type->typlen;
  return nullptr;
}

bool storage_value_is_datum(const StorageType* type) {
  const uint8 t = type->codec_type;
  return type->typbyval && type->typlen == 8 && (t == kInt64 || t == kTimestamp || t == kFloat8);
}

Datum storage_decoded_datum(const bridge::Decoder* decoder, size_t row, const StorageType* type, bool* isnull) {
  *isnull = bridge::decoder_is_null(decoder, row);
  if (*isnull) return (Datum)0;
  switch (type->codec_type) {
    case kInt16:
      return Int16GetDatum((int16)bridge::decoder_int(decoder, row));
    case kInt32:
    case kDate:
      return Int32GetDatum((int32)bridge::decoder_int(decoder, row));
    case kInt64:
    case kTimestamp:
      return Int64GetDatum(bridge::decoder_int(decoder, row));
    case kFloat4:
      return Float4GetDatum(bridge::decoder_float4(decoder, row));
    case kFloat8:
      return Float8GetDatum(bridge::decoder_float8(decoder, row));
    case kBool:
      return BoolGetDatum(bridge::decoder_bool(decoder, row));
    default:
      break;
  }
  const uint8* data;
  size_t len;
  bridge::decoder_bytes(decoder, row, &data, &len);
  if (type->codec_type == kUuid || (type->typlen > 0 && !type->typbyval)) {
    if (len != (size_t)type->typlen)
      ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                      errmsg("compressed value of type %s has %zu bytes instead of %d", format_type_be(type->typid),
                             len, type->typlen)));
    char* p = (char*)palloc(len);
    memcpy(p, data, len);
    return PointerGetDatum(p);
  }
  if (type->typlen == -1) {
    if (len > MaxAllocSize - VARHDRSZ)
      ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("compressed value too large")));
    struct varlena* v = (struct varlena*)palloc(len + VARHDRSZ);
    SET_VARSIZE(v, len + VARHDRSZ);
    memcpy(VARDATA(v), data, len);
    return PointerGetDatum(v);
  }
  if (type->typlen == -2) {
    if (len == 0 || data[len - 1] != '\0')
      ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("compressed cstring is not terminated")));
    char* p = (char*)palloc(len);
    memcpy(p, data, len);
    return CStringGetDatum(p);
  }
  if (len != (size_t)type->typlen)
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("compressed value of type %s has %zu bytes instead of %d", format_type_be(type->typid), len,
                           type->typlen)));
  switch (type->typlen) {
    case 1:
      return CharGetDatum(*(const char*)data);
    case 2: {
      int16 v;
      memcpy(&v, data, 2);
      return Int16GetDatum(v);
    }
    case 4: {
      int32 v;
      memcpy(&v, data, 4);
      return Int32GetDatum(v);
    }
    default: {
      int64 v;
      memcpy(&v, data, 8);
      return Int64GetDatum(v);
    }
  }
}

AttrNumber storage_dict_attno(Relation companion) { return attnameAttNum(companion, kDictColumn, false); }

void storage_dictionary_bytes(Datum value, const uint8** data, size_t* len) {
  struct varlena* v = pg_detoast_datum_packed((struct varlena*)DatumGetPointer(value));
  *data = (const uint8*)VARDATA_ANY(v);
  *len = VARSIZE_ANY_EXHDR(v);
}

AttrNumber* storage_segment_attnos(Relation companion, char* const* segmentby, int nsegmentby) {
  AttrNumber* atts = (AttrNumber*)palloc0(sizeof(AttrNumber) * (nsegmentby + 1));
  for (int i = 0; i < nsegmentby; ++i) {
    atts[i] = attnameAttNum(companion, segmentby[i], false);
    if (atts[i] == InvalidAttrNumber) elog(ERROR, "columnstore: companion column \"%s\" missing", segmentby[i]);
  }
  return atts;
}

namespace {

// A scan of the companion rows of `row`'s segment visible to `snapshot`.
SysScanDesc begin_segment_scan(Relation companion, const AttrNumber* seg_atts, int nseg, TupleTableSlot* row,
                               Snapshot snapshot) {
  // Equality keys on the leading columns of the companion's index that are segmentby columns
  // (all of them: the index leads with them; systable_beginscan takes heap attnos); without any,
  // every row is read.
  ScanKeyData keys[INDEX_MAX_KEYS];
  int nkeys = 0;
  Oid index = InvalidOid;
  if (nseg > 0) {
    List* indexes = RelationGetIndexList(companion);
    if (indexes != NIL) index = linitial_oid(indexes);
  }
  if (OidIsValid(index)) {
    Relation irel = index_open(index, AccessShareLock);
    for (int k = 0; k < IndexRelationGetNumberOfKeyAttributes(irel); ++k) {
      const AttrNumber att = irel->rd_index->indkey.values[k];
      bool seg = false;
      for (int i = 0; i < nseg && !seg; ++i) seg = seg_atts[i] == att;
      if (!seg) break;
      bool isnull;
      const Datum v = slot_getattr(row, att, &isnull);
      if (isnull) {
        ScanKeyEntryInitialize(&keys[nkeys], SK_ISNULL | SK_SEARCHNULL, att, InvalidStrategy, InvalidOid, InvalidOid,
                               InvalidOid, (Datum)0);
      } else {
        const Oid type = irel->rd_opcintype[k];
        const Oid op = get_opfamily_member(irel->rd_opfamily[k], type, type, BTEqualStrategyNumber);
        if (!OidIsValid(op)) break;
        ScanKeyEntryInitialize(&keys[nkeys], 0, att, BTEqualStrategyNumber, type, irel->rd_indcollation[k],
                               get_opcode(op), v);
      }
      ++nkeys;
    }
    index_close(irel, AccessShareLock);
  }
  // (systable_beginscan copies the keys)
  return systable_beginscan(companion, nkeys > 0 ? index : InvalidOid, nkeys > 0, snapshot, nkeys, keys);
}

// Whether companion row `tup` is of `row`'s segment (without an index on every segmentby column
// a segment scan returns other segments' rows too).
bool same_segment(HeapTuple tup, TupleDesc desc, const AttrNumber* seg_atts, int nseg, TupleTableSlot* row) {
  for (int i = 0; i < nseg; ++i) {
    Form_pg_attribute a = TupleDescAttr(desc, seg_atts[i] - 1);
    bool n1, n2;
    const Datum v1 = heap_getattr(tup, seg_atts[i], desc, &n1);
    const Datum v2 = slot_getattr(row, seg_atts[i], &n2);
    if (n1 != n2 || (!n1 && !storage_segment_value_eq(v1, v2, a->attbyval, a->attlen))) return false;
  }
  return true;
}

// The dictionary rows of `row`'s segment that `snapshot` sees (their TIDs, palloc'd, in *dicts and
// their number in *n; none in a companion without dictionary rows); returns whether the scan met a
// batch of the segment (it stops there).
bool segment_dictionary_rows(Relation companion, const AttrNumber* seg_atts, int nseg, TupleTableSlot* row,
                             Snapshot snapshot, ItemPointerData** dicts, int* n) {
  int cap = 4;
  *n = 0;
  *dicts = (ItemPointerData*)palloc(sizeof(ItemPointerData) * cap);
  const AttrNumber count_att = attnameAttNum(companion, kCountColumn, false);
  if (storage_dict_attno(companion) == InvalidAttrNumber || count_att == InvalidAttrNumber) return false;
  bool batches = false;
  SysScanDesc scan = begin_segment_scan(companion, seg_atts, nseg, row, snapshot);
  HeapTuple tup;
  TupleDesc desc = RelationGetDescr(companion);
  while (!batches && HeapTupleIsValid(tup = systable_getnext(scan))) {
    if (!same_segment(tup, desc, seg_atts, nseg, row)) continue;
    bool isnull;
    const Datum count = heap_getattr(tup, count_att, desc, &isnull);
    if (isnull || !storage_is_dictionary_row(DatumGetInt32(count))) {
      batches = true;
    } else {
      if (*n == cap) *dicts = (ItemPointerData*)repalloc(*dicts, sizeof(ItemPointerData) * (cap *= 2));
      (*dicts)[(*n)++] = tup->t_self;
    }
  }
  systable_endscan(scan);
  return batches;
}

}  // namespace

void storage_segment_dictionaries(Relation companion, const AttrNumber* seg_atts, int nseg, TupleTableSlot* row,
                                  Snapshot snapshot, void (*add)(void* arg, const uint8* data, size_t len), void* arg) {
  const AttrNumber dict_att = storage_dict_attno(companion);
  const AttrNumber count_att = attnameAttNum(companion, kCountColumn, false);
  if (dict_att == InvalidAttrNumber || count_att == InvalidAttrNumber) return;
  SysScanDesc scan = begin_segment_scan(companion, seg_atts, nseg, row, snapshot);
  HeapTuple tup;
  TupleDesc desc = RelationGetDescr(companion);
  while (HeapTupleIsValid(tup = systable_getnext(scan))) {
    bool isnull;
    const Datum count = heap_getattr(tup, count_att, desc, &isnull);
    if (isnull || !storage_is_dictionary_row(DatumGetInt32(count))) continue;
    const Datum d = heap_getattr(tup, dict_att, desc, &isnull);
    if (isnull) continue;
    const uint8* data;
    size_t len;
    storage_dictionary_bytes(d, &data, &len);
    add(arg, data, len);
  }
  systable_endscan(scan);
}

int64 storage_drop_orphan_dictionaries(Relation companion, const AttrNumber* seg_atts, int nseg, TupleTableSlot* row,
                                       Snapshot snapshot, CommandId cid) {
  ItemPointerData* dicts;
  int n;
  const bool batches = segment_dictionary_rows(companion, seg_atts, nseg, row, snapshot, &dicts, &n);
  int64 deleted = 0;
  for (int i = 0; i < n && !batches; ++i) {
    // (another transaction that deleted it first, or this one, leaves nothing to do)
    TM_FailureData tmfd;
    if (table_tuple_delete(companion, &dicts[i], cid, snapshot, InvalidSnapshot, true, &tmfd, false) == TM_Ok)
      deleted++;
  }
  pfree(dicts);
  return deleted;
}

namespace {

void add_to_decoder(void* arg, const uint8* data, size_t len) {
  bridge::decoder_add_dictionary((bridge::Decoder*)arg, data, len);
}

}  // namespace

void storage_decode_with_dictionaries(Relation companion, bool (*decode)(void* arg), void (*load)(void* arg), void* arg) {
  if (decode(arg)) return;
  load(arg);
  if (!decode(arg))
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("a batch of companion table \"%s\" refers to a shared dictionary that its segment does not hold",
                           RelationGetRelationName(companion))));
}

namespace {

struct DecoderCall {
  bridge::Decoder* decoder;
  const uint8* data;
  size_t len;
  uint8 codec_type;
  Relation companion;
  char* const* segmentby;
  int nsegmentby;
  TupleTableSlot* row;
  Snapshot snapshot;
};

bool decoder_call(void* arg) {
  const DecoderCall* c = (const DecoderCall*)arg;
  return bridge::decoder_decode(c->decoder, c->data, c->len, c->codec_type);
}

void decoder_load(void* arg) {
  const DecoderCall* c = (const DecoderCall*)arg;
  storage_segment_dictionaries(c->companion, storage_segment_attnos(c->companion, c->segmentby, c->nsegmentby),
                               c->nsegmentby, c->row, c->snapshot, add_to_decoder, c->decoder);
}

}  // namespace

void storage_decode(bridge::Decoder* decoder, const uint8* data, size_t len, uint8 codec_type, Relation companion,
                    char* const* segmentby, int nsegmentby, TupleTableSlot* row, Snapshot snapshot) {
  DecoderCall call{decoder, data, len, codec_type, companion, segmentby, nsegmentby, row, snapshot};
  storage_decode_with_dictionaries(companion, decoder_call, decoder_load, &call);
}

bridge::Builder* storage_builder_create(const uint8* types, const bool* bloom, int ncols) {
  auto* cb = (MemoryContextCallback*)palloc0(sizeof(MemoryContextCallback));  // (allocated before the builder)
  bridge::Builder* b = bridge::builder_create(types, bloom, ncols);
  pg::call_at_reset(CurrentMemoryContext, destroy_builder, b, cb);
  return b;
}

bridge::Decoder* storage_decoder_create() {
  auto* cb = (MemoryContextCallback*)palloc0(sizeof(MemoryContextCallback));  // (allocated before the decoder)
  bridge::Decoder* d = bridge::decoder_create();
  pg::call_at_reset(CurrentMemoryContext, destroy_decoder, d, cb);
  return d;
}

const char* storage_type_sql(Oid typid, int32 typmod, Oid collation) {
  StringInfoData s;
  initStringInfo(&s);
  // (qualified: the companion's DDL runs with search_path pg_catalog, where a user's enum, domain or
  // range type, visible to the user, is not)
  appendStringInfoString(&s, format_type_extended(typid, typmod, FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY));
  if (OidIsValid(collation) && collation != get_typcollation(typid)) {
    HeapTuple tup = SearchSysCache1(COLLOID, ObjectIdGetDatum(collation));
    if (HeapTupleIsValid(tup)) {
      Form_pg_collation c = (Form_pg_collation)GETSTRUCT(tup);
      appendStringInfo(&s, " COLLATE %s.%s", quote_identifier(get_namespace_name(c->collnamespace)),
                       quote_identifier(NameStr(c->collname)));
      ReleaseSysCache(tup);
    }
  }
  return s.data;
}

}  // namespace strata::columnstore
