// Incremental maintenance of continuous aggregates from late rows (see "Continuous aggregates:
// incremental maintenance" in docs/ARCHITECTURE.md). INSERT and COPY capture the rows they write
// below the invalidation threshold (invalidation.cpp, caggs_track_row); at pre-commit the
// aggregate's own query runs over them (an ephemeral named relation in place of the hypertable)
// and its rows are stored in _strata_catalog.continuous_agg_delta. A refresh adds the delta rows
// of buckets without range invalidations into the materialized rows (count and sum add, min and
// max take the extreme, the boolean and bitwise aggregates apply themselves), and discards those of the buckets it recomputes, exactly the ones whose
// raw rows the recomputation's snapshot sees. C-style glue.
#include "caggs/internal.hpp"

#include "catalog/chunks.hpp"
#include "catalog/registry.hpp"
#include "core/time/chunk_range.hpp"
#include "pg/deform.hpp"
#include "pg/internal_user.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/skey.h"
#include "catalog/indexing.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "access/genam.h"
#include "access/tableam.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "port/pg_bswap.h"
#include "storage/lmgr.h"
#include "utils/datum.h"
#include "utils/rel.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/tstoreReceiver.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/queryenvironment.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"
}

namespace strata {
bool guc_cagg_incremental = true;
int guc_cagg_fillfactor = 90;
}

namespace strata::caggs {

namespace {

enum { Anum_delta_mat_id = 1, Anum_delta_bucket, Anum_delta_vals, Natts_delta = Anum_delta_vals };

constexpr const char* kCapturedName = "strata_late_rows";
constexpr const char* kDeltaName = "strata_delta_rows";
constexpr const char* kCombinedName = "strata_combined_rows";

// How an output column of the aggregate's query combines.
// (bool_and / every, bool_or, bit_and, bit_or and bit_xor combine by themselves: their final
// value is their transition state, and a group's NULL, no input, is what they skip.)
// avg of integers or numeric is recomputed from the combined sum and count of the same argument
// (and FILTER), which the query must have as output columns too: numeric division of the two, as
// avg's own final function does.
enum class Combine : char { group, count, sum, min, max, bool_and, bool_or, bit_and, bit_or, bit_xor, avg };

struct IncPlan {
  int ncols;
  Combine* how;
  int* avg_sum;    // for Combine::avg: the output columns (0-based) of its sum and count
  int* avg_count;
  Oid* types;
  int32* typmods;
  Oid* collations;
  Oid* eqops;      // for Combine::group: the equality the query groups by
  char** names;
  int bucket_col;  // 0-based
};

// An output row of the aggregate's query over captured rows, its values in binary.
struct OutRow {
  int64 bucket;
  int64 seq;   // (its position: packing keeps the query's order within a bucket)
  Size bytes;  // the values' bytes in an array
  Datum* elems;
  bool* nulls;
};

// The output rows in binary (send_rows).
struct SendRows {
  const IncPlan* ip;
  FmgrInfo* send;
  Tuplestorestate* out;
  TupleDesc out_desc;
  Oid time_type;
  int64 nout;    // at most this many rows read (then: the rows read)
  Size budget;   // and about this many bytes of values
  OutRow* outs;
};

void send_rows(void* arg) {
  auto* sr = static_cast<SendRows*>(arg);
  const IncPlan* ip = sr->ip;
  int64 k = 0;
  Size bytes = 0;
  TupleTableSlot* slot = MakeSingleTupleTableSlot(sr->out_desc, &TTSOpsMinimalTuple);
  while (k < sr->nout && bytes < sr->budget && tuplestore_gettupleslot(sr->out, true, false, slot)) {
    slot_getallattrs(slot);
    if (slot->tts_isnull[ip->bucket_col]) elog(ERROR, "NULL bucket in an aggregate's late rows");
    OutRow* r = &sr->outs[k];
    r->bucket = time_datum_to_internal(slot->tts_values[ip->bucket_col], sr->time_type);
    r->seq = k++;
    r->bytes = 0;
    r->elems = static_cast<Datum*>(palloc(sizeof(Datum) * ip->ncols));
    r->nulls = static_cast<bool*>(palloc(sizeof(bool) * ip->ncols));
    for (int i = 0; i < ip->ncols; i++) {
      r->nulls[i] = slot->tts_isnull[i];
      r->elems[i] = r->nulls[i] ? 0 : PointerGetDatum(SendFunctionCall(&sr->send[i], slot->tts_values[i]));
      if (!r->nulls[i]) r->bytes += INTALIGN(VARSIZE(DatumGetPointer(r->elems[i])));
    }
    bytes += r->bytes + sizeof(OutRow) + ip->ncols * (sizeof(Datum) + sizeof(bool));
  }
  ExecDropSingleTupleTableSlot(slot);
  sr->nout = k;
}

// Runs fn(arg) with the client encoding set to the database's: the send and receive functions of
// text-like types convert to and from the client encoding, and the session that writes delta rows
// and the one that merges them need not share it (the values are stored in the database's).
void in_database_encoding(void (*fn)(void*), void* arg) {
  const int client = pg_get_client_encoding();
  if (client == GetDatabaseEncoding()) {
    fn(arg);
    return;
  }
  (void)SetClientEncoding(GetDatabaseEncoding());
  PG_TRY();
  {
    fn(arg);
  }
  PG_FINALLY();
  {
    (void)SetClientEncoding(client);
  }
  PG_END_TRY();
}

// The most bytes of values packed into one delta row: a row stays below the size at which it
// would be compressed or moved out of line (TOAST_TUPLE_THRESHOLD, about 2 kB).
constexpr Size kPackBytes = 1600;
// The most output rows sent and packed at a time (inc_write_deltas).
constexpr int64 kRoundRows = 65536;

bool delta_oids(Oid* rel, Oid* idx) {
  Oid nsp = catalog_namespace_oid();
  *rel = get_relname_relid("continuous_agg_delta", nsp);
  *idx = get_relname_relid("continuous_agg_delta_idx", nsp);
  return OidIsValid(*rel) && OidIsValid(*idx);
}

bool pg_catalog_function(Oid fn, const char* name) {
  HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
  if (!HeapTupleIsValid(tup)) return false;
  auto* p = reinterpret_cast<Form_pg_proc>(GETSTRUCT(tup));
  bool ok = p->pronamespace == PG_CATALOG_NAMESPACE && strcmp(NameStr(p->proname), name) == 0;
  ReleaseSysCache(tup);
  return ok;
}

bool has_binary_io(Oid type) {
  HeapTuple tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(type));
  if (!HeapTupleIsValid(tup)) return false;
  auto* t = reinterpret_cast<Form_pg_type>(GETSTRUCT(tup));
  bool ok = OidIsValid(t->typsend) && OidIsValid(t->typreceive) && t->typtype != TYPTYPE_PSEUDO &&
            t->typtype != TYPTYPE_COMPOSITE && OidIsValid(get_array_type(type));
  ReleaseSysCache(tup);
  return ok;
}

// Whether the aggregate's materialized values combine exactly with delta rows: one hypertable
// (no join, not an aggregate on an aggregate), no HAVING, every output column a grouping
// column or a plain count, sum (of integers, numeric, money or interval), min, max, bool_and
// (every), bool_or, bit_and, bit_or, bit_xor, or avg of integers or numeric with a sum and a count
// of the same argument and FILTER among the columns, without DISTINCT or ORDER BY (FILTER is
// fine), every grouping column in the output.
bool analyze_inc(const QueryInfo* qi, IncPlan* out) {
  Query* q = qi->query;
  if (qi->parent != nullptr || q->havingQual != nullptr || !q->hasAggs || q->groupingSets != NIL) return false;
  if (list_length(q->jointree->fromlist) != 1 || !IsA(linitial(q->jointree->fromlist), RangeTblRef) ||
      static_cast<Index>(castNode(RangeTblRef, linitial(q->jointree->fromlist))->rtindex) != qi->raw_rti)
    return false;
  int n = 0;
  ListCell* lc;
  foreach (lc, q->targetList)
    if (!static_cast<TargetEntry*>(lfirst(lc))->resjunk) n++;
  out->ncols = n;
  out->how = static_cast<Combine*>(palloc(sizeof(Combine) * n));
  out->types = static_cast<Oid*>(palloc(sizeof(Oid) * n));
  out->typmods = static_cast<int32*>(palloc(sizeof(int32) * n));
  out->collations = static_cast<Oid*>(palloc(sizeof(Oid) * n));
  out->names = static_cast<char**>(palloc(sizeof(char*) * n));
  out->eqops = static_cast<Oid*>(palloc0(sizeof(Oid) * n));
  out->avg_sum = static_cast<int*>(palloc(sizeof(int) * n));
  out->avg_count = static_cast<int*>(palloc(sizeof(int) * n));
  auto** aggs = static_cast<Aggref**>(palloc0(sizeof(Aggref*) * n));
  out->bucket_col = -1;
  int i = 0;
  foreach (lc, q->targetList) {
    auto* tle = static_cast<TargetEntry*>(lfirst(lc));
    SortGroupClause* sgc =
        tle->ressortgroupref != 0 ? get_sortgroupref_clause_noerr(tle->ressortgroupref, q->groupClause) : nullptr;
    bool grouped = sgc != nullptr;
    if (tle->resjunk) {
      if (grouped) return false;  // a grouping column not in the materialization
      continue;
    }
    Node* e = reinterpret_cast<Node*>(tle->expr);
    out->types[i] = exprType(e);
    out->typmods[i] = exprTypmod(e);
    out->collations[i] = exprCollation(e);
    out->names[i] = tle->resname;
    if (!has_binary_io(out->types[i])) return false;
    if (tle == qi->bucket_tle) out->bucket_col = i;
    if (grouped) {
      out->how[i] = Combine::group;
      out->eqops[i] = sgc->eqop;
      if (!OidIsValid(sgc->eqop)) return false;
    } else {
      if (!IsA(e, Aggref)) return false;
      auto* a = reinterpret_cast<Aggref*>(e);
      if (a->aggdistinct != NIL || a->aggorder != NIL || a->aggkind != AGGKIND_NORMAL || a->agglevelsup != 0)
        return false;
      aggs[i] = a;
      if (pg_catalog_function(a->aggfnoid, "count")) {
        out->how[i] = Combine::count;
      } else if (pg_catalog_function(a->aggfnoid, "sum")) {
        // Exact sums only (not floating point: the order of the additions would show).
        if (a->aggtype != INT8OID && a->aggtype != NUMERICOID && a->aggtype != CASHOID && a->aggtype != INTERVALOID)
          return false;
        out->how[i] = Combine::sum;
      } else if (pg_catalog_function(a->aggfnoid, "min")) {
        out->how[i] = Combine::min;
      } else if (pg_catalog_function(a->aggfnoid, "max")) {
        out->how[i] = Combine::max;
      } else if (pg_catalog_function(a->aggfnoid, "bool_and") || pg_catalog_function(a->aggfnoid, "every")) {
        out->how[i] = Combine::bool_and;
      } else if (pg_catalog_function(a->aggfnoid, "bool_or")) {
        out->how[i] = Combine::bool_or;
      } else if (pg_catalog_function(a->aggfnoid, "bit_and")) {
        out->how[i] = Combine::bit_and;
      } else if (pg_catalog_function(a->aggfnoid, "bit_or")) {
        out->how[i] = Combine::bit_or;
      } else if (pg_catalog_function(a->aggfnoid, "bit_xor")) {
        out->how[i] = Combine::bit_xor;
      } else if (pg_catalog_function(a->aggfnoid, "avg") && list_length(a->args) == 1) {
        Oid t = exprType(reinterpret_cast<Node*>(static_cast<TargetEntry*>(linitial(a->args))->expr));
        if (t != INT2OID && t != INT4OID && t != INT8OID && t != NUMERICOID) return false;
        out->how[i] = Combine::avg;
      } else {
        return false;
      }
    }
    i++;
  }
  // Each avg's sum and count of the same argument and FILTER.
  for (int k = 0; k < n; k++) {
    if (out->how[k] != Combine::avg) continue;
    out->avg_sum[k] = out->avg_count[k] = -1;
    for (int j = 0; j < n; j++) {
      if (aggs[j] == nullptr || !equal(aggs[j]->args, aggs[k]->args) || !equal(aggs[j]->aggfilter, aggs[k]->aggfilter))
        continue;
      if (out->how[j] == Combine::sum && out->avg_sum[k] < 0) out->avg_sum[k] = j;
      if (out->how[j] == Combine::count && out->avg_count[k] < 0) out->avg_count[k] = j;
    }
    if (out->avg_sum[k] < 0 || out->avg_count[k] < 0) return false;
  }
  // Every grouping item in the output (checked above for junk ones).
  foreach (lc, q->groupClause) {
    auto* sgc = static_cast<SortGroupClause*>(lfirst(lc));
    TargetEntry* tle = get_sortgroupclause_tle(sgc, q->targetList);
    if (tle->resjunk) return false;
  }
  return out->bucket_col >= 0;
}

// The owner of the materialization: the refresh's statements run as it (pg::owner_user_begin).
Oid mat_owner(int32 mat_id) {
  Hypertable* mat = hypertable_get_by_id(mat_id);
  if (mat == nullptr || !OidIsValid(mat->relid)) elog(ERROR, "materialization hypertable %d is missing", mat_id);
  HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(mat->relid));
  if (!HeapTupleIsValid(tup)) elog(ERROR, "cache lookup failed for relation %u", mat->relid);
  Oid owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(tup))->relowner;
  ReleaseSysCache(tup);
  return owner;
}

EphemeralNamedRelation make_enr(const char* name, TupleDesc desc, Tuplestorestate* ts, int64 rows) {
  auto* enr = static_cast<EphemeralNamedRelation>(palloc0(sizeof(EphemeralNamedRelationData)));
  enr->md.name = pstrdup(name);
  enr->md.reliddesc = InvalidOid;
  enr->md.tupdesc = desc;
  enr->md.enrtype = ENR_NAMED_TUPLESTORE;
  enr->md.enrtuples = static_cast<double>(rows);
  enr->reldata = ts;
  return enr;
}

TupleDesc plan_desc(const IncPlan* ip) {
  TupleDesc d = CreateTemplateTupleDesc(ip->ncols);
  for (int i = 0; i < ip->ncols; i++) {
    TupleDescInitEntry(d, static_cast<AttrNumber>(i + 1), ip->names[i], ip->types[i], ip->typmods[i], 0);
    // The materialization's collations (min / max of text combine under the query's collation).
    TupleDescInitEntryCollation(d, static_cast<AttrNumber>(i + 1), ip->collations[i]);
  }
  return d;
}

// Whether two values of group column `i` are equal under the query's grouping equality exactly
// when their binary send formats are: the equality is the type's own comparison of its value
// (text and varchar under a deterministic collation).
bool binary_key_exact(const IncPlan* ip, int i) {
  // (each type with the function of its own equality)
  static constexpr Oid kExact[][2] = {{BOOLOID, F_BOOLEQ},       {CHAROID, F_CHAREQ},
                                      {INT2OID, F_INT2EQ},       {INT4OID, F_INT4EQ},
                                      {INT8OID, F_INT8EQ},       {OIDOID, F_OIDEQ},
                                      {DATEOID, F_DATE_EQ},      {TIMESTAMPOID, F_TIMESTAMP_EQ},
                                      {TIMESTAMPTZOID, F_TIMESTAMPTZ_EQ}, {UUIDOID, F_UUID_EQ}};
  const Oid type = ip->types[i], fn = get_opcode(ip->eqops[i]);
  if (type == TEXTOID || type == VARCHAROID)
    return fn == F_TEXTEQ && OidIsValid(ip->collations[i]) && get_collation_isdeterministic(ip->collations[i]);
  for (const auto& e : kExact)
    if (e[0] == type) return fn == e[1];
  return false;
}

// The bucket and group keys of the delta rows seen so far, to tell whether any two delta rows
// share a bucket and group (then they are combined first). Keys are 64 bits: a hash of the
// bucket and the 32-bit hash of the group values' images (group_hash); a collision counts as a
// shared key (combining is exact either way).
struct KeySet {
  uint64* slots;  // (open addressing: 0 is free, keys are made nonzero)
  int64 mask;
  int64 used;
  bool distinct;  // no two delta rows share a key so far
};

void keyset_init(KeySet* k, const IncPlan* ip) {
  k->slots = nullptr;
  k->distinct = true;
  for (int i = 0; i < ip->ncols && k->distinct; i++)
    if (ip->how[i] == Combine::group && !binary_key_exact(ip, i)) k->distinct = false;
  if (!k->distinct) return;
  k->mask = 255;
  k->used = 0;
  k->slots = static_cast<uint64*>(palloc0(sizeof(uint64) * (k->mask + 1)));
}

// A delta row's bucket and the hash of its group values.
void keyset_add(KeySet* k, int64 bucket, uint32 hash) {
  if (!k->distinct) return;
  if (2 * (k->used + 1) > k->mask + 1) {  // (grown at half full)
    uint64* old = k->slots;
    int64 old_size = k->mask + 1;
    k->mask = 2 * old_size - 1;
    k->slots = static_cast<uint64*>(palloc0(sizeof(uint64) * (k->mask + 1)));
    for (int64 i = 0; i < old_size; i++) {
      if (old[i] == 0) continue;
      int64 s = static_cast<int64>(hash_bytes_uint32(static_cast<uint32>(old[i] ^ (old[i] >> 32)))) & k->mask;
      while (k->slots[s] != 0) s = (s + 1) & k->mask;
      k->slots[s] = old[i];
    }
    pfree(old);
  }
  uint64 key = (static_cast<uint64>(hash_bytes_uint32(static_cast<uint32>(bucket ^ (bucket >> 32)))) << 32 | hash) | 1;
  // (the low bit set: a key is never 0; a collision of the rest counts as a shared key)
  int64 s = static_cast<int64>(hash_bytes_uint32(static_cast<uint32>(key ^ (key >> 32)))) & k->mask;
  for (; k->slots[s] != 0; s = (s + 1) & k->mask)
    if (k->slots[s] == key) {
      k->distinct = false;
      return;
    }
  k->slots[s] = key;
  k->used++;
}


// A value of a fixed-width integer or timestamp type from its binary send format, without the
// type's receive function (false: use it; for other types, typmods and values out of range).
bool binary_fixed(Oid type, int32 typmod, const char* data, Size len, Datum* out) {
  // (the value's bytes may be unaligned in the array)
  auto be64 = [data] {
    uint64 v;
    memcpy(&v, data, sizeof v);
    return static_cast<int64>(pg_ntoh64(v));
  };
  switch (type) {
    case INT8OID:
      if (len != 8) return false;
      *out = Int64GetDatum(be64());
      return true;
    case INT4OID: {
      if (len != 4) return false;
      uint32 v4;
      memcpy(&v4, data, sizeof v4);
      *out = Int32GetDatum(static_cast<int32>(pg_ntoh32(v4)));
      return true;
    }
    case INT2OID: {
      if (len != 2) return false;
      uint16 v2;
      memcpy(&v2, data, sizeof v2);
      *out = Int16GetDatum(static_cast<int16>(pg_ntoh16(v2)));
      return true;
    }
    case TIMESTAMPOID:
    case TIMESTAMPTZOID: {
      if (len != 8 || typmod != -1) return false;
      int64 t = be64();
      if (!IS_VALID_TIMESTAMP(t)) return false;  // (infinities and errors: the receive function)
      *out = Int64GetDatum(t);
      return true;
    }
    default:
      return false;
  }
}

// A catalog row's values (rows x columns) from their binary form (receive_values).
struct ReceiveValues {
  const IncPlan* ip;
  FmgrInfo* recv;
  Oid* ioparams;
  Datum* elems;
  bool* nulls;
  int n;
  Datum* values;  // (out)
};

void receive_values(void* arg) {
  auto* d = static_cast<ReceiveValues*>(arg);
  const IncPlan* ip = d->ip;
  StringInfoData buf;
  buf.data = nullptr;
  for (int e = 0; e < d->n; e++) {
    d->values[e] = 0;
    if (d->nulls[e]) continue;
    const int i = e % ip->ncols;
    bytea* v = DatumGetByteaPP(d->elems[e]);
    if (binary_fixed(ip->types[i], ip->typmods[i], VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), &d->values[e])) continue;
    if (ip->types[i] == TEXTOID) {
      // (what textrecv does in the database's encoding, with one copy: the bytes checked)
      const int len = static_cast<int>(VARSIZE_ANY_EXHDR(v));
      (void)pg_verify_mbstr(GetDatabaseEncoding(), VARDATA_ANY(v), len, false);
      d->values[e] = PointerGetDatum(cstring_to_text_with_len(VARDATA_ANY(v), len));
      continue;
    }
    // (a copy, NUL-terminated as a receive function expects: array_recv and record_recv write
    // into their input, which here may lie in a shared buffer of the catalog)
    if (buf.data == nullptr)
      initStringInfo(&buf);
    else
      resetStringInfo(&buf);
    appendBinaryStringInfo(&buf, VARDATA_ANY(v), static_cast<int>(VARSIZE_ANY_EXHDR(v)));
    d->values[e] = ReceiveFunctionCall(&d->recv[i], &buf, d->ioparams[i], ip->typmods[i]);
  }
}

// ---- The merge without SQL ---------------------------------------------------------------------
// When the delta rows need no combining, every aggregate column adds as bigint (count, sum of
// int2/int4), no group column is NULL in a delta row and equal group values are equal binary
// images, and no aggregate is built on this one (its invalidations come from DML through the
// hypertable), each bucket's materialized rows are read through the chunk's index on the bucket
// and the matching ones updated in place (simple_heap_update: HOT with the fillfactor's room),
// without planning an UPDATE over the hypertable. Buckets whose chunk is compressed, missing or
// of another shape take the SQL path.

// The delta rows decoded (row-major values and NULL flags) with their buckets and the hashes of
// their group values (group_hash).
struct DeltaRows {
  int64 n = 0;
  int64 cap = 0;
  int ncols = 0;
  Datum* vals = nullptr;
  bool* nulls = nullptr;
  int64* bucket = nullptr;
  uint32* hash = nullptr;
};

void delta_rows_add(DeltaRows* d, int64 bucket, uint32 hash, const Datum* vals, const bool* nulls) {
  if (d->n == d->cap) {
    d->cap = d->cap == 0 ? 256 : d->cap * 2;
    Size nv = sizeof(Datum) * d->ncols * d->cap, nn = sizeof(bool) * d->ncols * d->cap, nb = sizeof(int64) * d->cap,
         nh = sizeof(uint32) * d->cap;
    d->vals = static_cast<Datum*>(d->vals == nullptr ? palloc(nv) : repalloc(d->vals, nv));
    d->nulls = static_cast<bool*>(d->nulls == nullptr ? palloc(nn) : repalloc(d->nulls, nn));
    d->bucket = static_cast<int64*>(d->bucket == nullptr ? palloc(nb) : repalloc(d->bucket, nb));
    d->hash = static_cast<uint32*>(d->hash == nullptr ? palloc(nh) : repalloc(d->hash, nh));
  }
  memcpy(d->vals + d->n * d->ncols, vals, sizeof(Datum) * d->ncols);
  memcpy(d->nulls + d->n * d->ncols, nulls, sizeof(bool) * d->ncols);
  d->bucket[d->n] = bucket;
  d->hash[d->n++] = hash;
}

bool direct_mergeable(const IncPlan* ip, int32 mat_id) {
  for (int i = 0; i < ip->ncols; i++) {
    if (ip->how[i] == Combine::group) continue;
    if ((ip->how[i] != Combine::count && ip->how[i] != Combine::sum) || ip->types[i] != INT8OID) return false;
  }
  return !cagg_exists_on(mat_id);
}

// The hash of a row's group values other than the bucket (their images: datum_image_hash; NULL
// has its own).
uint32 group_hash(const IncPlan* ip, const int16* typlen, const bool* typbyval, const Datum* v, const bool* n) {
  uint32 h = 0;
  for (int i = 0; i < ip->ncols; i++) {
    if (ip->how[i] != Combine::group || i == ip->bucket_col) continue;
    h = hash_combine(h, n[i] ? 0x9e3779b9U : datum_image_hash(v[i], typbyval[i], typlen[i]));
  }
  return h;
}

// The chunk's btree index whose first key column is the bucket column (attribute bucket_col + 1),
// or InvalidOid.
Oid bucket_index(Relation rel, int bucket_col) {
  List* idxs = RelationGetIndexList(rel);
  ListCell* lc;
  Oid found = InvalidOid;
  foreach (lc, idxs) {
    HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
    if (!HeapTupleIsValid(tup)) continue;
    auto* form = reinterpret_cast<Form_pg_index>(GETSTRUCT(tup));
    bool ok = form->indnkeyatts >= 1 && form->indkey.values[0] == bucket_col + 1 && form->indisvalid &&
              heap_attisnull(tup, Anum_pg_index_indpred, nullptr);
    ReleaseSysCache(tup);
    if (ok) {
      found = lfirst_oid(lc);
      break;
    }
  }
  list_free(idxs);
  return found;
}

// One materialization chunk open for the merge without SQL, kept for the consecutive buckets of
// the delta rows (in bucket order) that it holds: the chunk's relation and bucket index are
// opened once, its other indexes and an executor state only when an update is not heap-only.
struct ChunkMerge {
  bool open = false;
  bool usable = false;  // (false: the chunk's buckets take the SQL path)
  ChunkInfo ci;
  Relation rel = nullptr;
  Relation idx = nullptr;
  RegProcedure eqproc = InvalidOid;
  TupleTableSlot* scan_slot = nullptr;
  EState* estate = nullptr;  // (with rri and index_slot, set up by the first update that is not HOT)
  ResultRelInfo* rri = nullptr;
  TupleTableSlot* index_slot = nullptr;
};

void chunk_merge_close(ChunkMerge* cm) {
  if (!cm->open) return;
  if (cm->estate != nullptr) {
    ExecDropSingleTupleTableSlot(cm->index_slot);
    ExecCloseIndices(cm->rri);
    FreeExecutorState(cm->estate);
  }
  if (cm->scan_slot != nullptr) ExecDropSingleTupleTableSlot(cm->scan_slot);
  if (cm->idx != nullptr) index_close(cm->idx, NoLock);
  if (cm->rel != nullptr) relation_close(cm->rel, NoLock);  // (locks held to the end of the transaction)
  *cm = ChunkMerge{};
}

// Opens the chunk holding `bucket` (after closing the one open), or keeps the open one when it
// holds the bucket. Returns whether the bucket can be merged without SQL.
bool chunk_merge_open(ChunkMerge* cm, const IncPlan* ip, Hypertable* mat, Oid bucket_type, int64 bucket) {
  if (cm->open && bucket >= cm->ci.range_start && bucket < cm->ci.range_end) return cm->usable;
  chunk_merge_close(cm);
  cm->open = true;
  if (!chunk_find_by_value(mat, bucket, &cm->ci) || cm->ci.status != kChunkStatusNormal ||
      !OidIsValid(cm->ci.relid)) {
    cm->ci.range_start = cm->ci.range_end = bucket;  // (not kept: looked up again by the next bucket)
    return false;
  }
  cm->rel = try_relation_open(cm->ci.relid, RowExclusiveLock);
  if (cm->rel == nullptr) {
    cm->ci.range_start = cm->ci.range_end = bucket;
    return false;
  }
  // (again under the lock, whose invalidations are processed now: compressed meanwhile?)
  ChunkInfo now;
  bool same_chunk = chunk_find_by_value(mat, bucket, &now) && now.id == cm->ci.id &&
                    now.status == kChunkStatusNormal && now.relid == cm->ci.relid;
  TupleDesc td = RelationGetDescr(cm->rel);
  // (a chunk with triggers, a user's on the materialization, takes the SQL path, which fires them)
  bool shape = same_chunk && td->natts == ip->ncols && cm->rel->rd_rel->relkind == RELKIND_RELATION &&
               cm->rel->trigdesc == nullptr;
  for (int i = 0; shape && i < ip->ncols; i++) {
    Form_pg_attribute a = TupleDescAttr(td, i);
    shape = !a->attisdropped && a->atttypid == ip->types[i] && !a->attgenerated;
  }
  Oid idx_oid = shape ? bucket_index(cm->rel, ip->bucket_col) : InvalidOid;
  if (!OidIsValid(idx_oid)) return false;
  cm->idx = index_open(idx_oid, RowExclusiveLock);
  Oid eqop = cm->idx->rd_rel->relam == BTREE_AM_OID
                 ? get_opfamily_member(cm->idx->rd_opfamily[0], bucket_type, bucket_type, BTEqualStrategyNumber)
                 : InvalidOid;
  if (!OidIsValid(eqop)) return false;
  cm->eqproc = get_opcode(eqop);
  cm->scan_slot = table_slot_create(cm->rel, nullptr);
  cm->usable = true;
  return true;
}

// Where the bigint aggregate columns' values lie in a tuple of the chunk (its own palloc'd copy):
// fields[i] for each aggregate column, nullptr when NULL. False when the tuple has fewer
// attributes than the descriptor (added later: missing values).
bool int8_fields(HeapTuple tup, TupleDesc td, const IncPlan* ip, char** fields) {
  HeapTupleHeader th = tup->t_data;
  if (HeapTupleHeaderGetNatts(th) < ip->ncols) return false;
  const bool hasnulls = HeapTupleHasNulls(tup);
  char* tp = reinterpret_cast<char*>(th) + th->t_hoff;
  uint32 off = 0;
  for (int a = 0; a < ip->ncols; a++) {
    fields[a] = nullptr;
    Form_pg_attribute att = TupleDescAttr(td, a);
    if (hasnulls && att_isnull(a, th->t_bits)) continue;
    char* p = const_cast<char*>(pg::step_over_att(tp, &off, pg::att_step(att, true)));
    if (ip->how[a] != Combine::group) {
      if (att->attlen != sizeof(int64)) return false;
      fields[a] = p;
    }
  }
  return true;
}

// Merges delta rows [first, first + count) of one bucket into its materialized rows in the
// chunk open in `cm` (chunk_merge_open returned true for the bucket). Sets matched[k] for the
// delta rows whose materialized row it updated.
void merge_bucket_direct(const IncPlan* ip, ChunkMerge* cm, const DeltaRows* d, int64 first, int64 count,
                         const int16* typlen, const bool* typbyval, bool* matched) {
  Relation rel = cm->rel;
  TupleDesc td = RelationGetDescr(rel);
  // The bucket's delta rows by the hash of their group values (chained through `next`).
  int nslots = 1;
  while (nslots < 2 * count) nslots <<= 1;
  auto* head = static_cast<int64*>(palloc(sizeof(int64) * nslots));
  auto* next = static_cast<int64*>(palloc(sizeof(int64) * count));
  const uint32* hashes = d->hash + first;
  for (int s = 0; s < nslots; s++) head[s] = -1;
  for (int64 k = 0; k < count; k++) {
    int s = static_cast<int>(hashes[k] & static_cast<uint32>(nslots - 1));
    next[k] = head[s];
    head[s] = k;
  }

  // The materialized rows of the bucket that match a delta row (copied: updated after the scan).
  auto* olds = static_cast<HeapTuple*>(palloc(sizeof(HeapTuple) * count));
  auto* old_of = static_cast<int64*>(palloc(sizeof(int64) * count));
  int64 nold = 0;
  ScanKeyData key;
  ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid, cm->idx->rd_indcollation[0], cm->eqproc,
                         d->vals[first * d->ncols + ip->bucket_col]);
  Snapshot snap = RegisterSnapshot(GetLatestSnapshot());
  IndexScanDesc scan = index_beginscan(rel, cm->idx, snap, 1, 0);
  index_rescan(scan, &key, 1, nullptr, 0);
  TupleTableSlot* slot = cm->scan_slot;
  while (index_getnext_slot(scan, ForwardScanDirection, slot)) {
    slot_getallattrs(slot);
    uint32 h = group_hash(ip, typlen, typbyval, slot->tts_values, slot->tts_isnull);
    for (int64 k = head[h & static_cast<uint32>(nslots - 1)]; k >= 0; k = next[k]) {
      if (hashes[k] != h || matched[k]) continue;
      const Datum* v = d->vals + (first + k) * d->ncols;
      const bool* n = d->nulls + (first + k) * d->ncols;
      bool same = true;
      for (int i = 0; i < ip->ncols && same; i++) {
        if (ip->how[i] != Combine::group || i == ip->bucket_col) continue;
        same = n[i] == slot->tts_isnull[i] &&
               (n[i] || datum_image_eq(v[i], slot->tts_values[i], typbyval[i], typlen[i]));
      }
      if (!same) continue;
      matched[k] = true;
      olds[nold] = ExecCopySlotHeapTuple(slot);
      old_of[nold++] = k;
      break;
    }
  }
  ExecClearTuple(slot);
  index_endscan(scan);
  UnregisterSnapshot(snap);

  // Each matched row plus its delta row (NULL, no input, takes the other side), in place; index
  // entries only for the versions that are not heap-only.
  auto* values = static_cast<Datum*>(palloc(sizeof(Datum) * ip->ncols));
  auto* nulls = static_cast<bool*>(palloc(sizeof(bool) * ip->ncols));
  auto* fields = static_cast<char**>(palloc(sizeof(char*) * ip->ncols));
  for (int64 j = 0; j < nold; j++) {
    const Datum* v = d->vals + (first + old_of[j]) * d->ncols;
    const bool* n = d->nulls + (first + old_of[j]) * d->ncols;
    // The sums added into the copy itself when every value to add has a materialized value
    // (a bigint in place: same length); otherwise a new tuple.
    HeapTuple newtup = olds[j];
    bool in_place = int8_fields(olds[j], td, ip, fields);
    for (int i = 0; in_place && i < ip->ncols; i++)
      in_place = ip->how[i] == Combine::group || n[i] || fields[i] != nullptr;
    if (in_place) {
      for (int i = 0; i < ip->ncols; i++) {
        if (ip->how[i] == Combine::group || n[i]) continue;
        int64 old_value, sum;
        memcpy(&old_value, fields[i], sizeof old_value);
        if (pg_add_s64_overflow(old_value, DatumGetInt64(v[i]), &sum))
          ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("bigint out of range")));
        memcpy(fields[i], &sum, sizeof sum);
      }
    } else {
      heap_deform_tuple(olds[j], td, values, nulls);
      for (int i = 0; i < ip->ncols; i++) {
        if (ip->how[i] == Combine::group || n[i]) continue;
        if (nulls[i]) {
          values[i] = v[i];
          nulls[i] = false;
          continue;
        }
        int64 sum;
        if (pg_add_s64_overflow(DatumGetInt64(values[i]), DatumGetInt64(v[i]), &sum))
          ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("bigint out of range")));
        values[i] = Int64GetDatum(sum);
      }
      newtup = heap_form_tuple(td, values, nulls);
    }
    ItemPointerData otid = olds[j]->t_self;  // (heap_update sets the new version's t_self)
    simple_heap_update(rel, &otid, newtup);
    if (!HeapTupleIsHeapOnly(newtup)) {
      if (cm->estate == nullptr) {
        cm->estate = CreateExecutorState();
        cm->rri = makeNode(ResultRelInfo);
        InitResultRelInfo(cm->rri, rel, 1, nullptr, 0);
        ExecOpenIndices(cm->rri, false);
        cm->index_slot = MakeSingleTupleTableSlot(td, &TTSOpsHeapTuple);
      }
      if (cm->rri->ri_NumIndices > 0) {
        ExecStoreHeapTuple(newtup, cm->index_slot, false);
        ResetPerTupleExprContext(cm->estate);
        (void)ExecInsertIndexTuples(cm->rri, cm->index_slot, cm->estate, false, false, nullptr, NIL);
        ExecClearTuple(cm->index_slot);
      }
    }
    if (newtup != olds[j]) heap_freetuple(newtup);
    heap_freetuple(olds[j]);
  }
  pfree(values);
  pfree(nulls);
  pfree(fields);
  pfree(olds);
  pfree(old_of);
  pfree(head);
  pfree(next);
}
// Deletes the delta rows merged, exactly those read (a writer's that committed since stay), and
// closes the delta table.
void delete_merged(Relation rel, List* tids) {
  ListCell* lc;
  foreach (lc, tids) simple_heap_delete(rel, static_cast<ItemPointer>(lfirst(lc)));
  table_close(rel, RowExclusiveLock);
  CommandCounterIncrement();
}

}  // namespace

bool inc_mergeable(const QueryInfo* qi) {
  IncPlan ip;
  return analyze_inc(qi, &ip);
}

bool inc_capture_enabled() {
  Oid rel, idx;
  return guc_cagg_incremental && delta_oids(&rel, &idx);
}

bool inc_write_deltas(Cagg* c, Tuplestorestate* rows, TupleDesc desc, int64 nrows) {
  Oid delta_rel, delta_idx;
  if (!guc_cagg_incremental || !delta_oids(&delta_rel, &delta_idx)) return false;
  QueryInfo qi;
  load_query(c, &qi);
  IncPlan ip;
  if (!analyze_inc(&qi, &ip)) return false;

  // The aggregate's query over the captured rows: the hypertable's range table entry becomes
  // the ephemeral relation (same columns, same attribute numbers).
  Query* q = static_cast<Query*>(copyObjectImpl(qi.query));
  RangeTblEntry* rte = rt_fetch(qi.raw_rti, q->rtable);
  rte->rtekind = RTE_NAMEDTUPLESTORE;
  rte->relid = InvalidOid;
  rte->relkind = 0;
  rte->rellockmode = NoLock;
  rte->inh = false;
  rte->tablesample = nullptr;
  rte->requiredPerms = 0;
  rte->selectedCols = nullptr;
  rte->insertedCols = nullptr;
  rte->updatedCols = nullptr;
  rte->extraUpdatedCols = nullptr;
  rte->securityQuals = NIL;
  rte->enrname = pstrdup(kCapturedName);
  rte->enrtuples = static_cast<double>(nrows);
  rte->coltypes = rte->coltypmods = rte->colcollations = NIL;
  for (int i = 0; i < desc->natts; i++) {
    Form_pg_attribute a = TupleDescAttr(desc, i);
    rte->coltypes = lappend_oid(rte->coltypes, a->attisdropped ? InvalidOid : a->atttypid);
    rte->coltypmods = lappend_int(rte->coltypmods, a->attisdropped ? -1 : a->atttypmod);
    rte->colcollations = lappend_oid(rte->colcollations, a->attisdropped ? InvalidOid : a->attcollation);
  }
  QueryEnvironment* env = create_queryEnv();
  tuplestore_rescan(rows);
  register_ENR(env, make_enr(kCapturedName, desc, rows, nrows));

  Tuplestorestate* out = tuplestore_begin_heap(false, false, work_mem);
  pg::InternalUser as;
  pg::owner_user_begin(&as, mat_owner(c->mat_id));
  PushActiveSnapshot(GetTransactionSnapshot());
  PlannedStmt* ps = pg_plan_query(q, "strata incremental maintenance", 0, nullptr);
  DestReceiver* dest = CreateDestReceiver(DestTuplestore);
  SetTuplestoreDestReceiverParams(dest, out, CurrentMemoryContext, false, nullptr, nullptr);
  QueryDesc* qd = CreateQueryDesc(ps, "strata incremental maintenance", GetActiveSnapshot(), InvalidSnapshot, dest,
                                  nullptr, env, 0);
  ExecutorStart(qd, 0);
  TupleDesc out_desc = CreateTupleDescCopy(qd->tupDesc);
  ExecutorRun(qd, ForwardScanDirection, 0, true);
  ExecutorFinish(qd);
  ExecutorEnd(qd);
  FreeQueryDesc(qd);
  dest->rDestroy(dest);
  PopActiveSnapshot();
  pg::owner_user_end(&as);

  // The output rows' values in binary, then stored by bucket: the rows of one bucket packed into
  // delta rows of a two-dimensional array (rows x columns) each, up to kPackBytes of values, so
  // that a refresh reads and deletes a few catalog rows per bucket, not one per group (a single
  // row is stored as a one-dimensional array).
  if (out_desc->natts != ip.ncols) elog(ERROR, "unexpected shape of the aggregate's rows");
  auto* send = static_cast<FmgrInfo*>(palloc(sizeof(FmgrInfo) * ip.ncols));
  for (int i = 0; i < ip.ncols; i++) {
    Oid fn;
    bool varlena;
    getTypeBinaryOutputInfo(TupleDescAttr(out_desc, i)->atttypid, &fn, &varlena);
    fmgr_info(fn, &send[i]);
  }
  // (in rounds of at most kRoundRows rows and about work_mem of values: a large backfill does not
  // hold all its rows in memory; each round's rows are packed by bucket)
  MemoryContext rows_cxt = AllocSetContextCreate(CurrentMemoryContext, "strata delta rows", ALLOCSET_DEFAULT_SIZES);
  MemoryContext row_cxt = AllocSetContextCreate(CurrentMemoryContext, "strata delta row", ALLOCSET_DEFAULT_SIZES);
  const int64 total = tuplestore_tuple_count(out);
  const int64 cap = Max(Min(total, kRoundRows), 1);
  Relation rel = table_open(delta_rel, RowExclusiveLock);
  for (int64 done = 0; done < total;) {
    MemoryContext old = MemoryContextSwitchTo(rows_cxt);
    SendRows sr{&ip, send, out, out_desc, qi.time_type, cap, static_cast<Size>(work_mem) * 1024, nullptr};
    sr.outs = static_cast<OutRow*>(palloc(sizeof(OutRow) * cap));
    in_database_encoding(send_rows, &sr);
    const int64 nout = sr.nout;
    OutRow* outs = sr.outs;
    if (nout == 0) {
      MemoryContextSwitchTo(old);
      break;
    }
    done += nout;
    qsort(outs, static_cast<size_t>(nout), sizeof(OutRow), [](const void* x, const void* y) {
      const auto* a = static_cast<const OutRow*>(x);
      const auto* b = static_cast<const OutRow*>(y);
      if (a->bucket != b->bucket) return a->bucket < b->bucket ? -1 : 1;
      return a->seq < b->seq ? -1 : (a->seq > b->seq ? 1 : 0);
    });
    auto* elems = static_cast<Datum*>(palloc(sizeof(Datum) * ip.ncols * nout));
    auto* enulls = static_cast<bool*>(palloc(sizeof(bool) * ip.ncols * nout));
    for (int64 first = 0, last; first < nout; first = last) {
      Size bytes = outs[first].bytes;
      for (last = first + 1; last < nout && outs[last].bucket == outs[first].bucket &&
                             bytes + outs[last].bytes <= kPackBytes;
           last++)
        bytes += outs[last].bytes;
      int nrows = static_cast<int>(last - first);
      for (int r = 0; r < nrows; r++) {
        memcpy(elems + r * ip.ncols, outs[first + r].elems, sizeof(Datum) * ip.ncols);
        memcpy(enulls + r * ip.ncols, outs[first + r].nulls, sizeof(bool) * ip.ncols);
      }
      MemoryContextSwitchTo(row_cxt);
      int dims[2] = {nrows, ip.ncols};
      int lbs[2] = {1, 1};
      Datum values[Natts_delta];
      bool nulls[Natts_delta] = {};
      values[Anum_delta_mat_id - 1] = Int32GetDatum(c->mat_id);
      values[Anum_delta_bucket - 1] = Int64GetDatum(outs[first].bucket);
      values[Anum_delta_vals - 1] =
          nrows == 1 ? PointerGetDatum(construct_md_array(elems, enulls, 1, dims + 1, lbs, BYTEAOID, -1, false,
                                                          TYPALIGN_INT))
                     : PointerGetDatum(construct_md_array(elems, enulls, 2, dims, lbs, BYTEAOID, -1, false,
                                                          TYPALIGN_INT));
      HeapTuple tup = heap_form_tuple(RelationGetDescr(rel), values, nulls);
      CatalogTupleInsert(rel, tup);
      MemoryContextSwitchTo(rows_cxt);
      MemoryContextReset(row_cxt);
    }
    MemoryContextSwitchTo(old);
    MemoryContextReset(rows_cxt);
  }
  MemoryContextDelete(row_cxt);
  MemoryContextDelete(rows_cxt);
  table_close(rel, RowExclusiveLock);
  tuplestore_end(out);
  return true;
}

void inc_discard_deltas(int32 mat_id, int64 start, int64 end, Snapshot snapshot) {
  Oid delta_rel, delta_idx;
  if (!delta_oids(&delta_rel, &delta_idx)) return;
  ScanKeyData keys[3];
  ScanKeyInit(&keys[0], Anum_delta_mat_id, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(mat_id));
  ScanKeyInit(&keys[1], Anum_delta_bucket, BTGreaterEqualStrategyNumber, F_INT8GE, Int64GetDatum(start));
  ScanKeyInit(&keys[2], Anum_delta_bucket, BTLessStrategyNumber, F_INT8LT, Int64GetDatum(end));
  Relation rel = table_open(delta_rel, RowExclusiveLock);
  SysScanDesc scan = systable_beginscan(rel, delta_idx, true, snapshot, end == core::kOpenEnd ? 2 : 3, keys);
  HeapTuple tup;
  while (HeapTupleIsValid(tup = systable_getnext(scan))) simple_heap_delete(rel, &tup->t_self);
  systable_endscan(scan);
  table_close(rel, RowExclusiveLock);
}

bool inc_apply_deltas(Cagg* cagg, QueryInfo* qi, const char* mat_q, int64 start, int64 end, int64* merged_end) {
  Oid delta_rel, delta_idx;
  if (!delta_oids(&delta_rel, &delta_idx)) return false;
  int32 id = cagg->mat_id;
  BucketFn* b = &qi->bucket;

  // The range invalidations in the window, whole buckets: their buckets are recomputed.
  int nlog;
  core::TimeRange* log = read_log(id, &nlog);
  int m = 0;
  for (int i = 0; i < nlog; i++) {
    core::TimeRange c;
    if (core::clip_to_window(log[i], start, end, &c)) log[m++] = c;
  }
  m = static_cast<int>(core::merge_ranges(log, m));

  IncPlan ip;
  bool merge = guc_cagg_incremental && analyze_inc(qi, &ip);
  TupleDesc desc = merge ? plan_desc(&ip) : nullptr;
  FmgrInfo* recv = nullptr;
  Oid* ioparams = nullptr;
  int16* typlen = nullptr;
  bool* typbyval = nullptr;
  if (merge) {
    recv = static_cast<FmgrInfo*>(palloc(sizeof(FmgrInfo) * ip.ncols));
    ioparams = static_cast<Oid*>(palloc(sizeof(Oid) * ip.ncols));
    typlen = static_cast<int16*>(palloc(sizeof(int16) * ip.ncols));
    typbyval = static_cast<bool*>(palloc(sizeof(bool) * ip.ncols));
    for (int i = 0; i < ip.ncols; i++) get_typlenbyval(ip.types[i], &typlen[i], &typbyval[i]);
    for (int i = 0; i < ip.ncols; i++) {
      Oid fn;
      getTypeBinaryInputInfo(ip.types[i], &fn, &ioparams[i]);
      fmgr_info(fn, &recv[i]);
    }
  }

  // The delta rows of buckets in the window that no range covers.
  ScanKeyData keys[3];
  ScanKeyInit(&keys[0], Anum_delta_mat_id, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(id));
  ScanKeyInit(&keys[1], Anum_delta_bucket, BTGreaterEqualStrategyNumber, F_INT8GE, Int64GetDatum(start));
  ScanKeyInit(&keys[2], Anum_delta_bucket, BTLessStrategyNumber, F_INT8LT, Int64GetDatum(end));
  Relation rel = table_open(delta_rel, RowExclusiveLock);
  Snapshot snap = RegisterSnapshot(GetLatestSnapshot());
  SysScanDesc scan = systable_beginscan(rel, delta_idx, true, snap, end == core::kOpenEnd ? 2 : 3, keys);
  Tuplestorestate* ts = merge ? tuplestore_begin_heap(false, false, work_mem) : nullptr;
  Datum* values = merge ? static_cast<Datum*>(palloc(sizeof(Datum) * ip.ncols)) : nullptr;
  bool* nulls = merge ? static_cast<bool*>(palloc(sizeof(bool) * ip.ncols)) : nullptr;
  // The group columns that are NULL in some delta row: only they need a NULL-matching condition.
  bool* group_null = merge ? static_cast<bool*>(palloc0(sizeof(bool) * ip.ncols)) : nullptr;
  KeySet keys_seen{nullptr, 0, 0, false};  // (set up by the first delta row)
  // Candidates for the merge without SQL keep their decoded rows (the tuplestore is filled only
  // when the SQL path needs it); decided at the first delta row (a refresh without any looks up
  // nothing more).
  bool direct = false;
  DeltaRows drows;
  drows.ncols = merge ? ip.ncols : 0;
  List* tids = NIL;
  int64 rows = 0, lo_bucket = core::kOpenEnd, hi_bucket = core::kOpenStart, last_logged = core::kOpenStart;
  int nbuckets = 0, bucket_cap = 64;  // the distinct buckets of the delta rows merged
  auto* bucket_list = static_cast<int64*>(palloc(sizeof(int64) * bucket_cap));
  bool any_logged = false;
  HeapTuple tup;
  int64 bucket = 0, next = 0;
  bool have_bucket = false;
  ReceiveValues dec{merge ? &ip : nullptr, recv, ioparams, nullptr, nullptr, 0, nullptr};
  int dec_cap = 0;
  while (HeapTupleIsValid(tup = systable_getnext(scan))) {
    bool isnull;
    int64 b_now = DatumGetInt64(heap_getattr(tup, Anum_delta_bucket, RelationGetDescr(rel), &isnull));
    if (!have_bucket || b_now != bucket) {  // (rows come in bucket order: once per bucket)
      bucket = b_now;
      next = bucket_next(b, bucket);
      have_bucket = true;
    }
    bool covered = false;
    for (int i = 0; i < m && !covered; i++) covered = log[i].lo < next && log[i].hi >= bucket;
    if (covered) continue;  // recomputed by a batch, which discards it
    if (!merge) {
      // Not maintained incrementally (any more): the bucket is recomputed instead.
      if (!any_logged || bucket != last_logged) log_invalidation(id, bucket, next == core::kOpenEnd ? next : next - 1);
      any_logged = true;
      last_logged = bucket;
      continue;
    }
    ArrayType* arr = DatumGetArrayTypeP(heap_getattr(tup, Anum_delta_vals, RelationGetDescr(rel), &isnull));
    Datum* elems;
    bool* enulls;
    int n;
    deconstruct_array(arr, BYTEAOID, -1, false, TYPALIGN_INT, &elems, &enulls, &n);
    // One row (a one-dimensional array) or rows packed by inc_write_deltas (rows x columns).
    int nrows = ARR_NDIM(arr) == 2 && ARR_DIMS(arr)[1] == ip.ncols ? ARR_DIMS(arr)[0] : 1;
    if ((ARR_NDIM(arr) != 1 && ARR_NDIM(arr) != 2) || n != nrows * ip.ncols)
      elog(ERROR, "delta row of continuous aggregate \"%s\" has %d values, expected %d per row",
           NameStr(cagg->user_name), n, ip.ncols);
    if (n > dec_cap) {
      dec_cap = Max(n, 2 * dec_cap);
      dec.values = static_cast<Datum*>(dec.values == nullptr ? palloc(sizeof(Datum) * dec_cap)
                                                             : repalloc(dec.values, sizeof(Datum) * dec_cap));
    }
    dec.elems = elems;
    dec.nulls = enulls;
    dec.n = n;
    in_database_encoding(receive_values, &dec);
    for (int r = 0; r < nrows; r++) {
      for (int i = 0; i < ip.ncols; i++) {
        nulls[i] = enulls[r * ip.ncols + i];
        values[i] = dec.values[r * ip.ncols + i];
        if (nulls[i]) group_null[i] = true;
      }
      if (rows == 0) {
        keyset_init(&keys_seen, &ip);
        direct = direct_mergeable(&ip, id);
      }
      // (the hash of the group values: for the key set and the merge without SQL)
      uint32 gh = direct || keys_seen.distinct ? group_hash(&ip, typlen, typbyval, values, nulls) : 0;
      keyset_add(&keys_seen, bucket, gh);
      if (direct)
        delta_rows_add(&drows, bucket, gh, values, nulls);
      else
        tuplestore_putvalues(ts, desc, values, nulls);
      rows++;
    }
    auto* tid = static_cast<ItemPointerData*>(palloc(sizeof(ItemPointerData)));
    *tid = tup->t_self;
    tids = lappend(tids, tid);
    if (nbuckets == 0 || bucket_list[nbuckets - 1] != bucket) {  // (in bucket order)
      if (nbuckets == bucket_cap) {
        bucket_cap *= 2;
        bucket_list = static_cast<int64*>(repalloc(bucket_list, sizeof(int64) * bucket_cap));
      }
      bucket_list[nbuckets++] = bucket;
    }
    lo_bucket = Min(lo_bucket, bucket);
    hi_bucket = Max(hi_bucket, next);
  }
  systable_endscan(scan);
  UnregisterSnapshot(snap);
  if (keys_seen.slots != nullptr) pfree(keys_seen.slots);
  if (rows == 0) {
    table_close(rel, RowExclusiveLock);
    if (ts != nullptr) tuplestore_end(ts);
    if (any_logged) CommandCounterIncrement();
    return false;
  }
  direct = direct && keys_seen.distinct;
  // Without SQL, bucket by bucket; what is left for SQL: the rows of buckets it did not take
  // (UPDATE, then INSERT) and the rows without a materialized row (INSERT).
  bool sql_update = true;
  if (drows.n > 0) {
    bool* matched = static_cast<bool*>(palloc0(sizeof(bool) * drows.n));
    bool* taken = static_cast<bool*>(palloc0(sizeof(bool) * drows.n));
    if (direct) {
      Hypertable* mat = hypertable_get_by_id(id);
      if (mat == nullptr) elog(ERROR, "materialization hypertable %d is missing", id);
      LockRelationOid(mat->relid, RowExclusiveLock);
      ChunkMerge cm;
      for (int64 first = 0, last; first < drows.n; first = last) {
        for (last = first + 1; last < drows.n && drows.bucket[last] == drows.bucket[first]; last++) {
        }
        if (!chunk_merge_open(&cm, &ip, mat, ip.types[ip.bucket_col], drows.bucket[first])) continue;
        merge_bucket_direct(&ip, &cm, &drows, first, last - first, typlen, typbyval, matched + first);
        for (int64 k = first; k < last; k++) taken[k] = true;
      }
      chunk_merge_close(&cm);
    }
    sql_update = false;
    for (int64 k = 0; k < drows.n; k++) {
      if (matched[k]) continue;
      sql_update = sql_update || !taken[k];
      tuplestore_putvalues(ts, desc, drows.vals + k * drows.ncols, drows.nulls + k * drows.ncols);
    }
    rows = static_cast<int64>(tuplestore_tuple_count(ts));
  }
  elog(DEBUG1, "continuous aggregate \"%s\": %lld delta rows merged in place, %lld by SQL",
       NameStr(cagg->user_name), static_cast<long long>(drows.n > 0 ? drows.n - rows : 0),
       static_cast<long long>(rows));
  if (rows == 0) {  // (all merged without SQL)
    tuplestore_end(ts);
    delete_merged(rel, tids);
    *merged_end = hi_bucket;
    return true;
  }

  // The delta rows combined per bucket and group (one row each), then added into the
  // materialized rows of their buckets and groups in place (one UPDATE through the hypertable,
  // so aggregates built on this one are invalidated); the groups that have no materialized row
  // yet are inserted (only when the UPDATE did not find them all).
  StringInfoData comb, groups, set;
  initStringInfo(&comb);
  initStringInfo(&groups);
  initStringInfo(&set);
  // `m` and `d`: column `col` of the materialized row and of the combined delta row. For the
  // operators that are strict, NULL (no input) takes the other side's value.
  auto add_set = [&set](const char* col, const char* expr) {
    appendStringInfo(&set, "%s%s = %s", set.len > 0 ? ", " : "", col, expr);
  };
  auto non_null = [](const char* col, const char* op) {
    return psprintf("CASE WHEN m.%s IS NULL THEN d.%s WHEN d.%s IS NULL THEN m.%s ELSE m.%s %s d.%s END", col, col,
                    col, col, col, op, col);
  };
  for (int i = 0; i < ip.ncols; i++) {
    const char* col = quote_identifier(ip.names[i]);
    if (i > 0) appendStringInfoString(&comb, ", ");
    switch (ip.how[i]) {
      case Combine::group:
        appendStringInfoString(&comb, col);
        appendStringInfo(&groups, "%s%s", groups.len > 0 ? ", " : "", col);
        break;
      case Combine::count:
      case Combine::sum:
        appendStringInfo(&comb, "pg_catalog.sum(%s)::%s", col, format_type_with_typemod(ip.types[i], ip.typmods[i]));
        add_set(col, non_null(col, "OPERATOR(pg_catalog.+)"));
        break;
      case Combine::min:
        appendStringInfo(&comb, "pg_catalog.min(%s)", col);
        add_set(col, psprintf("LEAST(m.%s, d.%s)", col, col));
        break;
      case Combine::max:
        appendStringInfo(&comb, "pg_catalog.max(%s)", col);
        add_set(col, psprintf("GREATEST(m.%s, d.%s)", col, col));
        break;
      case Combine::bool_and:
        appendStringInfo(&comb, "pg_catalog.bool_and(%s)", col);
        add_set(col, non_null(col, "AND"));
        break;
      case Combine::bool_or:
        appendStringInfo(&comb, "pg_catalog.bool_or(%s)", col);
        add_set(col, non_null(col, "OR"));
        break;
      case Combine::bit_and:
        appendStringInfo(&comb, "pg_catalog.bit_and(%s)", col);
        add_set(col, non_null(col, "OPERATOR(pg_catalog.&)"));
        break;
      case Combine::bit_or:
        appendStringInfo(&comb, "pg_catalog.bit_or(%s)", col);
        add_set(col, non_null(col, "OPERATOR(pg_catalog.|)"));
        break;
      case Combine::bit_xor:
        appendStringInfo(&comb, "pg_catalog.bit_xor(%s)", col);
        add_set(col, non_null(col, "OPERATOR(pg_catalog.#)"));
        break;
      case Combine::avg: {
        // NULL without input (the sum is NULL then).
        const char* s = quote_identifier(ip.names[ip.avg_sum[i]]);
        const char* n = quote_identifier(ip.names[ip.avg_count[i]]);
        appendStringInfo(&comb,
                         "(pg_catalog.sum(%s)::pg_catalog.numeric OPERATOR(pg_catalog./) "
                         "NULLIF(pg_catalog.sum(%s), 0)::pg_catalog.numeric)",
                         s, n);
        // (the combined sum over the combined count: avg's own final function)
        add_set(col, psprintf("(%s)::pg_catalog.numeric OPERATOR(pg_catalog./) NULLIF(%s, 0)::pg_catalog.numeric",
                              non_null(s, "OPERATOR(pg_catalog.+)"), non_null(n, "OPERATOR(pg_catalog.+)")));
        break;
      }
    }
  }
  // A materialized row matches a combined delta row of its bucket and group, under the equality
  // the query groups by; NULL matches NULL only in the columns where some delta row is NULL
  // (elsewhere plain equality is exact, and hash joins and the group index can serve it).
  const char* bucket_col = quote_identifier(ip.names[ip.bucket_col]);
  StringInfoData same;
  initStringInfo(&same);
  for (int i = 0; i < ip.ncols; i++) {
    if (ip.how[i] != Combine::group) continue;
    const char* col = quote_identifier(ip.names[i]);
    HeapTuple optup = SearchSysCache1(OPEROID, ObjectIdGetDatum(ip.eqops[i]));
    if (!HeapTupleIsValid(optup)) elog(ERROR, "cache lookup failed for operator %u", ip.eqops[i]);
    auto* opform = reinterpret_cast<Form_pg_operator>(GETSTRUCT(optup));
    const char* op = psprintf("OPERATOR(%s.%s)", quote_identifier(get_namespace_name(opform->oprnamespace)),
                              NameStr(opform->oprname));
    ReleaseSysCache(optup);
    if (i == ip.bucket_col || !group_null[i])
      appendStringInfo(&same, " AND d.%s %s m.%s", col, op, col);
    else
      appendStringInfo(&same, " AND (d.%s %s m.%s OR (d.%s IS NULL AND m.%s IS NULL))", col, op, col, col, col);
  }
  if (set.len == 0) add_set(bucket_col, psprintf("m.%s", bucket_col));  // (no aggregate column: nothing to add)
  // (The buckets as an array too: index scans of just those buckets, not of all in between.)
  const char* in_window = psprintf("m.%s OPERATOR(pg_catalog.>=) $1 AND m.%s OPERATOR(pg_catalog.<) $2 AND "
                                   "m.%s OPERATOR(pg_catalog.=) ANY ($3)%s",
                                   bucket_col, bucket_col, bucket_col, same.data);
  char* combine_sql = psprintf("SELECT %s FROM %s GROUP BY %s", comb.data, kDeltaName, groups.data);
  char* update_sql = psprintf("UPDATE %s m SET %s FROM %s d WHERE %s", mat_q, set.data, kCombinedName, in_window);
  char* insert_sql = psprintf("INSERT INTO %s SELECT * FROM %s d WHERE NOT EXISTS (SELECT FROM %s m WHERE %s)", mat_q,
                              kCombinedName, mat_q, in_window);
  Oid array_type = get_array_type(qi->time_type);
  if (!OidIsValid(array_type)) elog(ERROR, "time type %u has no array type", qi->time_type);
  auto* bucket_datums = static_cast<Datum*>(palloc(sizeof(Datum) * nbuckets));
  for (int i = 0; i < nbuckets; i++) bucket_datums[i] = internal_to_time_datum(bucket_list[i], qi->time_type);
  int16 time_len;
  bool time_byval;
  char time_align;
  get_typlenbyvalalign(qi->time_type, &time_len, &time_byval, &time_align);
  Oid types[3] = {qi->time_type, qi->time_type, array_type};
  Datum args[3] = {internal_to_time_datum(lo_bucket, qi->time_type), internal_to_time_datum(hi_bucket, qi->time_type),
                   PointerGetDatum(construct_array(bucket_datums, nbuckets, qi->time_type, time_len, time_byval, time_align))};

  pg::InternalUser as;
  pg::owner_user_begin(&as, mat_owner(id));
  // The materialized rows of the buckets joined with the combined rows by hashing (restored by
  // owner_user_end): without statistics on the combined rows, the planner may take a merge or nested
  // loop join on the bucket alone, comparing every row of a bucket with every combined row of it.
  (void)set_config_option("enable_mergejoin", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
  (void)set_config_option("enable_nestloop", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  // Delta rows of distinct buckets and groups (one transaction's, typically) are the combined
  // rows themselves.
  Tuplestorestate* combined = ts;
  int64 ncombined = rows;
  int rc;
  if (!keys_seen.distinct) {
    if (SPI_register_relation(make_enr(kDeltaName, desc, ts, rows)) != SPI_OK_REL_REGISTER)
      elog(ERROR, "could not register the delta rows");
    combined = tuplestore_begin_heap(false, false, work_mem);  // (in SPI's memory)
    DestReceiver* dest = CreateDestReceiver(DestTuplestore);
    SetTuplestoreDestReceiverParams(dest, combined, CurrentMemoryContext, false, nullptr, nullptr);
    SPIExecuteOptions opt{};
    opt.read_only = false;
    opt.dest = dest;
    tuplestore_rescan(ts);
    rc = SPI_execute_extended(combine_sql, &opt);
    if (rc != SPI_OK_SELECT) elog(ERROR, "incremental refresh failed (%s): %s", SPI_result_code_string(rc), combine_sql);
    dest->rDestroy(dest);
    ncombined = static_cast<int64>(tuplestore_tuple_count(combined));
  }
  if (SPI_register_relation(make_enr(kCombinedName, desc, combined, ncombined)) != SPI_OK_REL_REGISTER)
    elog(ERROR, "could not register the combined rows");
  uint64 updated = 0;
  if (sql_update) {
    tuplestore_rescan(combined);
    rc = SPI_execute_with_args(update_sql, 3, types, args, nullptr, false, 0);
    if (rc != SPI_OK_UPDATE) elog(ERROR, "incremental refresh failed (%s): %s", SPI_result_code_string(rc), update_sql);
    updated = SPI_processed;
  }
  // (each materialized row of a bucket and group is updated from the one combined row of that
  // bucket and group: fewer rows updated than combined means groups without a materialized row)
  if (static_cast<int64>(updated) < ncombined) {
    tuplestore_rescan(combined);
    rc = SPI_execute_with_args(insert_sql, 3, types, args, nullptr, false, 0);
    if (rc != SPI_OK_INSERT) elog(ERROR, "incremental refresh failed (%s): %s", SPI_result_code_string(rc), insert_sql);
  }
  if (combined != ts) tuplestore_end(combined);
  SPI_finish();
  pg::owner_user_end(&as);
  tuplestore_end(ts);

  delete_merged(rel, tids);
  *merged_end = hi_bucket;
  return true;
}

}  // namespace strata::caggs
