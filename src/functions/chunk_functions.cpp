// SQL functions on a hypertable's chunks: show_chunks, drop_chunks, set_integer_now_func and
// set_chunk_time_interval (the size functions are SQL, in src/sql/45_chunk_functions.sql).
#include "caggs/caggs.hpp"
#include "catalog/catalog.hpp"
#include "catalog/compression.hpp"
#include "core/time/chunk_range.hpp"
#include "hypertable/chunk.hpp"
#include "pg/guard.hpp"
#include "pg/pg.hpp"
#include "pg/summary.hpp"

extern "C" {
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "datatype/timestamp.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/date.h"
#include "utils/fmgroids.h"
#include "utils/regproc.h"
#include "utils/timestamp.h"
#include "storage/bufmgr.h"
}

namespace {

using strata::ChunkInfo;
using strata::Hypertable;
using strata::TimeKind;

bool is_integer_kind(TimeKind k) {
  return k == TimeKind::int16 || k == TimeKind::int32 || k == TimeKind::int64;
}

bool is_time_type(Oid t) { return t == TIMESTAMPTZOID || t == TIMESTAMPOID || t == DATEOID; }

bool is_integer_type(Oid t) { return t == INT2OID || t == INT4OID || t == INT8OID; }

// The hypertable of argument `argno` (a regclass), or an error: NULL (22004), not a hypertable
// (42809 wrong_object_type: the relation exists but is not of the kind the function needs).
Hypertable* hypertable_arg(FunctionCallInfo fcinfo, int argno, const char* func) {
  if (PG_ARGISNULL(argno))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                    errmsg("%s: the hypertable cannot be NULL", func)));
  const Oid relid = PG_GETARG_OID(argno);
  const char* relname = get_rel_name(relid);
  if (relname == nullptr)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", relid)));
  if (!strata::extension_is_active())
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("the strata extension is not active in this database")));
  Hypertable* ht = strata::hypertable_get(relid);
  if (ht == nullptr)
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                    errmsg("table \"%s\" is not a hypertable", relname),
                    errhint("%s works on hypertables; create one with create_hypertable().", func)));
  return ht;
}

void check_owner(const Hypertable* ht) {
  if (!strata::compat::is_table_owner(ht->relid, GetUserId()))
    aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(ht->relid));
}

// The type of argument `argno` of a function taking "any"; an unknown-type literal is read as
// `as_type` (so that drop_chunks('t', older_than => '2024-01-01') works as in TimescaleDB).
Oid any_arg(FunctionCallInfo fcinfo, int argno, Oid as_type, Datum* value) {
  Oid type = get_fn_expr_argtype(fcinfo->flinfo, argno);
  *value = PG_GETARG_DATUM(argno);
  if (type == UNKNOWNOID) {
    Oid input, ioparam;
    getTypeInputInfo(as_type, &input, &ioparam);
    *value = OidInputFunctionCall(input, DatumGetCString(*value), ioparam, -1);
    type = as_type;
  }
  return type;
}

[[noreturn]] void wrong_arg_type(const char* arg, Oid type, const Hypertable* ht, const char* hint) {
  ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                  errmsg("invalid type %s for argument \"%s\"", format_type_be(type), arg),
                  errdetail("The time column \"%s\" of \"%s\" has type %s.", NameStr(ht->time_column),
                            NameStr(ht->table_name), format_type_be(ht->time_type)),
                  errhint("%s", hint)));
  pg_unreachable();
}

// An interval (now() minus it), timestamptz, timestamp or date as an instant (timestamps and
// dates in the session time zone). False for any other type.
bool instant_from_arg(Oid type, Datum v, TimestampTz* out) {
  const Datum now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
  switch (type) {
    case INTERVALOID: v = DirectFunctionCall2(timestamptz_mi_interval, now, v); break;
    case TIMESTAMPTZOID: break;
    case TIMESTAMPOID: v = DirectFunctionCall1(timestamp_timestamptz, v); break;
    case DATEOID: v = DirectFunctionCall1(date_timestamptz, v); break;
    default: return false;
  }
  *out = DatumGetTimestampTz(v);
  return true;
}

// older_than / newer_than as a point on the hypertable's internal time axis. Time columns take
// an interval (now() minus it) or a timestamptz / timestamp / date; integer columns take an
// integer of any width.
int64 time_bound_arg(FunctionCallInfo fcinfo, int argno, const char* arg, const Hypertable* ht) {
  Datum v;
  const Oid type = any_arg(fcinfo, argno, ht->time_type, &v);
  if (is_integer_kind(ht->kind)) {
    if (!is_integer_type(type))
      wrong_arg_type(arg, type, ht,
                     type == INTERVALOID || is_time_type(type)
                         ? "Integer time columns take an integer; use created_before / created_after "
                           "to select chunks by creation time."
                         : "Integer time columns take an integer.");
    return strata::time_datum_to_internal(v, type);
  }
  if (ht->kind == TimeKind::timestamptz) {
    TimestampTz instant;
    if (!instant_from_arg(type, v, &instant))
      wrong_arg_type(arg, type, ht, "Use an interval or a value of type timestamptz, timestamp or date.");
    return strata::time_datum_to_internal(TimestampTzGetDatum(instant), TIMESTAMPTZOID);
  }
  // timestamp and date columns share the wall-clock axis: instants are read in the session zone.
  switch (type) {
    case INTERVALOID:
    case TIMESTAMPTZOID: {
      TimestampTz instant;
      instant_from_arg(type, v, &instant);
      return strata::time_datum_to_internal(
          DirectFunctionCall1(timestamptz_timestamp, TimestampTzGetDatum(instant)), TIMESTAMPOID);
    }
    case TIMESTAMPOID:
    case DATEOID:
      return strata::time_datum_to_internal(v, type);
    default:
      wrong_arg_type(arg, type, ht, "Use an interval or a value of type timestamp, timestamptz or date.");
  }
}

// created_before / created_after as a timestamptz: an interval (now() minus it), a timestamptz,
// timestamp or date.
TimestampTz creation_bound_arg(FunctionCallInfo fcinfo, int argno, const char* arg) {
  Datum v;
  const Oid type = any_arg(fcinfo, argno, TIMESTAMPTZOID, &v);
  TimestampTz instant;
  if (!instant_from_arg(type, v, &instant))
    ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                    errmsg("invalid type %s for argument \"%s\"", format_type_be(type), arg),
                    errhint("Chunk creation times are compared with an interval (before now()) or a "
                            "timestamptz, timestamp or date.")));
  return instant;
}

// Which chunks a call selects. Unset bounds match everything.
struct ChunkFilter {
  bool has_older, has_newer, has_before, has_after;
  int64 older_than;   // chunk range_end <= older_than
  int64 newer_than;   // chunk range_start >= newer_than
  TimestampTz created_before;  // creation_time < created_before
  TimestampTz created_after;   // creation_time > created_after
};

// Reads the filter from arguments (older, newer, before, after) at the given positions.
ChunkFilter read_filter(FunctionCallInfo fcinfo, const Hypertable* ht, int older, int newer, int before,
                        int after) {
  ChunkFilter f;
  memset(&f, 0, sizeof f);
  f.has_older = !PG_ARGISNULL(older);
  f.has_newer = !PG_ARGISNULL(newer);
  f.has_before = !PG_ARGISNULL(before);
  f.has_after = !PG_ARGISNULL(after);
  if (f.has_older) f.older_than = time_bound_arg(fcinfo, older, "older_than", ht);
  if (f.has_newer) f.newer_than = time_bound_arg(fcinfo, newer, "newer_than", ht);
  if (f.has_before) f.created_before = creation_bound_arg(fcinfo, before, "created_before");
  if (f.has_after) f.created_after = creation_bound_arg(fcinfo, after, "created_after");
  return f;
}

bool chunk_matches(const ChunkInfo* c, const ChunkFilter& f) {
  if (f.has_older && (c->range_end == strata::core::kOpenEnd || c->range_end > f.older_than)) return false;
  if (f.has_newer && (c->range_start == strata::core::kOpenStart || c->range_start < f.newer_than)) return false;
  if (f.has_before || f.has_after) {
    TimestampTz created;
    if (!strata::catalog_chunk_creation_time(c->id, &created)) return false;
    if (f.has_before && !(created < f.created_before)) return false;
    if (f.has_after && !(created > f.created_after)) return false;
  }
  return true;
}

// The chunks of `ht` the filter selects (palloc'd ChunkInfo*), ordered by range start.
List* selected_chunks(const Hypertable* ht, const ChunkFilter& f) {
  List* all = strata::chunk_list_all(ht);
  List* result = NIL;
  ListCell* lc;
  foreach (lc, all) {
    ChunkInfo* c = static_cast<ChunkInfo*>(lfirst(lc));
    if (chunk_matches(c, f)) result = lappend(result, c);
  }
  return result;
}

// A materialized set result (one column) and adding a value to it.
ReturnSetInfo* begin_set_result(FunctionCallInfo fcinfo) {
  InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
  return reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
}

void put_result(ReturnSetInfo* rsinfo, Datum value) {
  bool isnull = false;
  tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
}

}  // namespace

// show_chunks(relation regclass, older_than "any" = NULL, newer_than "any" = NULL,
//             created_before "any" = NULL, created_after "any" = NULL) RETURNS SETOF regclass
STRATA_FUNCTION(strata_show_chunks) {
  Hypertable* ht = hypertable_arg(fcinfo, 0, "show_chunks");
  const ChunkFilter f = read_filter(fcinfo, ht, 1, 2, 3, 4);
  List* chunks = selected_chunks(ht, f);
  ReturnSetInfo* rsinfo = begin_set_result(fcinfo);
  ListCell* lc;
  foreach (lc, chunks) {
    const ChunkInfo* c = static_cast<ChunkInfo*>(lfirst(lc));
    if (OidIsValid(c->relid)) put_result(rsinfo, ObjectIdGetDatum(c->relid));
  }
  return (Datum)0;
}

// drop_chunks(relation regclass, older_than "any" = NULL, newer_than "any" = NULL,
//             verbose boolean = false, created_before "any" = NULL, created_after "any" = NULL)
//   RETURNS SETOF text
// Drops the selected chunks and their catalog rows and returns their qualified names. Needs
// ownership of the hypertable (42501) and at least one bound (22023). Each chunk is locked
// with AccessExclusiveLock before it is dropped, in range order, so that transactions writing
// or reading it finish first, and inserts arriving meanwhile wait and then go to a new chunk
// (chunk_get_or_create looks again after locking). A chunk another drop removed while we
// waited is skipped.
// What a chunk about to be dropped holds, for drop_chunks' summary: its bytes (with indexes,
// TOAST and the companion table of a compressed chunk) and an estimate of its rows (the row
// part scaled from pg_class's last count to its current size, plus the rows compressed), or
// rows < 0 when the row part was never counted by VACUUM or ANALYZE.
struct DroppedChunk {
  int64 bytes = 0;
  double rows = 0;
};

static DroppedChunk measure_chunk(const ChunkInfo* c) {
  DroppedChunk d;
  d.bytes = DatumGetInt64(DirectFunctionCall1(pg_total_relation_size, ObjectIdGetDatum(c->relid)));
  Relation rel = table_open(c->relid, NoLock);  // the caller holds AccessExclusiveLock
  const BlockNumber pages = RelationGetNumberOfBlocks(rel);
  const double reltuples = rel->rd_rel->reltuples;
  const BlockNumber relpages = rel->rd_rel->relpages;
  table_close(rel, NoLock);
  if (pages == 0) {
    d.rows = 0;
  } else if (reltuples >= 0 && relpages > 0) {
    d.rows = reltuples / relpages * pages;
  } else {
    d.rows = -1;
  }
  strata::CompressedChunk cc;
  if (strata::catalog_get_compressed_chunk(c->id, &cc)) {
    d.bytes += cc.sizes.compressed_heap + cc.sizes.compressed_toast + cc.sizes.compressed_index;
    if (d.rows >= 0) d.rows += static_cast<double>(cc.sizes.uncompressed_rows);
  }
  return d;
}

STRATA_FUNCTION(strata_drop_chunks) {
  Hypertable* ht = hypertable_arg(fcinfo, 0, "drop_chunks");
  if (PG_ARGISNULL(1) && PG_ARGISNULL(2) && PG_ARGISNULL(4) && PG_ARGISNULL(5))
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("drop_chunks needs at least one of older_than, newer_than, created_before "
                           "and created_after"),
                    errhint("To drop every chunk, use TRUNCATE or pass older_than => 'infinity'.")));
  const bool verbose = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
  check_owner(ht);
  const ChunkFilter f = read_filter(fcinfo, ht, 1, 2, 4, 5);

  // The hypertable itself only gets AccessShareLock (against DROP/ALTER TABLE): a lock that
  // conflicts with chunk creation would deadlock with a transaction that has written to a chunk
  // we wait for and then needs a new chunk.
  LockRelationOid(ht->relid, AccessShareLock);
  strata::caggs_chunks_dropping(ht);  // continuous aggregates: refresh locks before chunk locks
  List* chunks = selected_chunks(ht, f);

  ReturnSetInfo* rsinfo = begin_set_result(fcinfo);
  const TimestampTz started = strata::pg::summary_start();
  int64 dropped = 0, bytes = 0;
  double rows = 0;
  bool rows_known = true;
  ListCell* lc;
  foreach (lc, chunks) {
    const ChunkInfo* c = static_cast<ChunkInfo*>(lfirst(lc));
    char* name = quote_qualified_identifier(NameStr(c->schema_name), NameStr(c->table_name));
    if (OidIsValid(c->relid)) {
      LockRelationOid(c->relid, AccessExclusiveLock);
      ChunkInfo now;
      // Dropped meanwhile by a transaction we waited for: nothing left to do.
      if (!strata::chunk_get_by_id(c->id, &now) || !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(c->relid)))
        continue;
      if (strata::pg::guc_summary_min_duration >= 0) {
        const DroppedChunk d = measure_chunk(c);
        bytes += d.bytes;
        if (d.rows < 0) rows_known = false;
        rows += d.rows;
      }
    }
    dropped++;
    if (verbose) ereport(INFO, (errmsg("dropping chunk %s", name)));
    strata::catalog_delete_chunk(c->id);
    if (OidIsValid(c->relid)) {
      ObjectAddress addr;
      ObjectAddressSet(addr, RelationRelationId, c->relid);
      performDeletion(&addr, DROP_RESTRICT, 0);
    }
    strata::caggs_chunk_dropped(ht, c->range_start, c->range_end);  // materialized buckets stay
    put_result(rsinfo, CStringGetTextDatum(name));
  }
  strata::catalog_invalidate();
  if (dropped > 0 && strata::pg::summary_due(started)) {
    const char* size = strata::pg::size_pretty(bytes);
    if (rows_known)
      ereport(NOTICE, (errmsg_plural("dropped %lld chunk of hypertable \"%s\": about %.0f rows, %s",
                                     "dropped %lld chunks of hypertable \"%s\": about %.0f rows, %s", dropped,
                                     (long long)dropped, NameStr(ht->table_name), rows, size)));
    else
      ereport(NOTICE, (errmsg_plural("dropped %lld chunk of hypertable \"%s\": %s",
                                     "dropped %lld chunks of hypertable \"%s\": %s", dropped, (long long)dropped,
                                     NameStr(ht->table_name), size),
                       errdetail("Some of the chunks were never counted by VACUUM or ANALYZE, so their rows are not "
                                 "estimated.")));
  }
  return (Datum)0;
}

// set_integer_now_func(hypertable regclass, integer_now_func regproc,
//                      replace_if_exists boolean = false) RETURNS void
// The function computes "now" for an integer time column (used by policies and by relative
// bounds). It must return the column's type, take no arguments and not be VOLATILE.
STRATA_FUNCTION(strata_set_integer_now_func) {
  Hypertable* ht = hypertable_arg(fcinfo, 0, "set_integer_now_func");
  if (PG_ARGISNULL(1))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("integer_now_func cannot be NULL")));
  const Oid func = PG_GETARG_OID(1);
  const bool replace = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
  check_owner(ht);
  if (!is_integer_kind(ht->kind))
    ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                    errmsg("integer_now_func can only be set on a hypertable with an integer time column"),
                    errdetail("The time column \"%s\" has type %s.", NameStr(ht->time_column),
                              format_type_be(ht->time_type))));
  if (NameStr(ht->integer_now_func)[0] != '\0' && !replace)
    ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT),
                    errmsg("integer_now_func is already set for hypertable \"%s\"", NameStr(ht->table_name)),
                    errhint("Pass replace_if_exists => true to replace it.")));

  HeapTuple tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(func));
  if (!HeapTupleIsValid(tup))
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION), errmsg("function with OID %u does not exist", func)));
  Form_pg_proc proc = reinterpret_cast<Form_pg_proc>(GETSTRUCT(tup));
  const Oid rettype = proc->prorettype;
  const int nargs = proc->pronargs;
  const char volatility = proc->provolatile;
  const bool retset = proc->proretset;
  const Oid nsp = proc->pronamespace;
  NameData fname;
  namestrcpy(&fname, NameStr(proc->proname));
  ReleaseSysCache(tup);

  if (rettype != ht->time_type || retset)
    ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                    errmsg("integer_now_func must return %s, the type of the time column", format_type_be(ht->time_type)),
                    errdetail("Function %s returns %s%s.", format_procedure(func), retset ? "SETOF " : "",
                              format_type_be(rettype))));
  if (nargs != 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("integer_now_func must take no arguments"),
                    errdetail("Function %s takes %d.", format_procedure(func), nargs)));
  if (volatility == PROVOLATILE_VOLATILE)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("integer_now_func must be STABLE or IMMUTABLE"),
                    errdetail("Function %s is VOLATILE.", format_procedure(func))));
  if (pg_proc_aclcheck(func, GetUserId(), ACL_EXECUTE) != ACLCHECK_OK)
    aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_FUNCTION, NameStr(fname));

  strata::catalog_update_integer_now(ht->dimension_id, get_namespace_name(nsp), NameStr(fname));
  PG_RETURN_VOID();
}

// set_chunk_time_interval(hypertable regclass, chunk_time_interval anyelement,
//                         dimension_name name = NULL) RETURNS void
// Validated by create_hypertable's rules (interval_to_internal): an INTERVAL (a month counts as
// 30 days) for time columns, an integer for integer columns (and also for time columns, read as
// microseconds); positive; at least 1 second for timestamps and 1 day for dates. Chunks created
// from now on use it; existing chunks keep their ranges.
STRATA_FUNCTION(strata_set_chunk_time_interval) {
  Hypertable* ht = hypertable_arg(fcinfo, 0, "set_chunk_time_interval");
  if (PG_ARGISNULL(1))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("chunk_time_interval cannot be NULL")));
  if (!PG_ARGISNULL(2) && strcmp(NameStr(*PG_GETARG_NAME(2)), NameStr(ht->time_column)) != 0)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                    errmsg("hypertable \"%s\" has no time dimension \"%s\"", NameStr(ht->table_name),
                           NameStr(*PG_GETARG_NAME(2))),
                    errhint("Its time dimension is \"%s\".", NameStr(ht->time_column))));
  check_owner(ht);
  Oid type = get_fn_expr_argtype(fcinfo->flinfo, 1);
  Datum v = PG_GETARG_DATUM(1);
  if (type == TEXTOID) {
    // A text value ('1 day'::text, '1000'::text): read it as the column needs.
    type = is_integer_kind(ht->kind) ? INT8OID : INTERVALOID;
    Oid input, ioparam;
    getTypeInputInfo(type, &input, &ioparam);
    v = OidInputFunctionCall(input, TextDatumGetCString(v), ioparam, -1);
  }
  const int64 interval = strata::interval_to_internal(v, type, false, ht->time_type, NameStr(ht->time_column));
  strata::catalog_update_interval(ht->dimension_id, interval);
  PG_RETURN_VOID();
}

namespace {

// The chunk whose table is argument 0, or an error (42809: the relation is not a chunk).
ChunkInfo chunk_arg(FunctionCallInfo fcinfo) {
  const Oid relid = PG_GETARG_OID(0);
  ChunkInfo chunk;
  if (!strata::chunk_get_by_relid(relid, &chunk)) {
    const char* name = get_rel_name(relid);
    if (name == nullptr)
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", relid)));
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("\"%s\" is not a chunk", name)));
  }
  return chunk;
}

}  // namespace

// _strata_internal.chunk_status(chunk regclass) RETURNS integer
STRATA_FUNCTION(strata_chunk_status) { PG_RETURN_INT32(chunk_arg(fcinfo).status); }

// _strata_internal.set_chunk_status(chunk regclass, status integer) RETURNS void
// Takes ShareUpdateExclusiveLock on the chunk (self-conflicting: status changes of one chunk are
// serialised) and updates the catalog row, which invalidates every session's chunk cache.
STRATA_FUNCTION(strata_set_chunk_status) {
  const int32 status = PG_GETARG_INT32(1);
  if (status < 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("chunk status must not be negative"),
                    errdetail("The status is a set of flags; %d was given.", status)));
  LockRelationOid(PG_GETARG_OID(0), ShareUpdateExclusiveLock);
  const ChunkInfo chunk = chunk_arg(fcinfo);
  if (!strata::catalog_update_chunk_status(chunk.id, status))
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("chunk %d no longer exists", chunk.id)));
  PG_RETURN_VOID();
}
