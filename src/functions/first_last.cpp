// The first(value, time) and last(value, time) aggregates (TimescaleDB's names and semantics):
// the value of the row with the smallest (largest) time, for any value type and any time type
// with a btree ordering. Parallel-safe and combinable (combine, serialize, deserialize).
#include "pg/guard.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/datum.h"
#include "utils/typcache.h"
}

namespace {

// The transition state, in the aggregate's memory context. A row whose time is NULL only ever
// seeds an empty state; any row with a time replaces it. The result is NULL while the time is
// NULL (so a group whose times are all NULL gives NULL), as in TimescaleDB.
struct BookendState {
  Oid value_type;
  Oid time_type;
  int16 value_len;
  int16 time_len;
  bool value_byval;
  bool time_byval;
  bool value_null;
  bool time_null;
  Datum value;
  Datum time;
};

// Per-call-site cache (fn_extra): argument types and the time type's btree comparison.
struct BookendCache {
  Oid value_type;
  Oid time_type;
  int16 value_len;
  int16 time_len;
  bool value_byval;
  bool time_byval;
  TypeCacheEntry* time_tc;  // typcache entries live as long as the backend
};

// Serialization cache: the send or receive function of each of the two types.
struct TypeIo {
  Oid type;
  Oid ioparam;
  FmgrInfo proc;
};
struct BookendIoCache {
  TypeIo value;
  TypeIo time;
};

enum class Which { first, last };

MemoryContext agg_context(FunctionCallInfo fcinfo, const char* func) {
  MemoryContext aggcontext;
  if (!AggCheckCallContext(fcinfo, &aggcontext))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("%s called in non-aggregate context", func)));
  return aggcontext;
}

BookendCache* cache_get(FunctionCallInfo fcinfo) {
  auto* cache = static_cast<BookendCache*>(fcinfo->flinfo->fn_extra);
  if (cache == nullptr) {
    cache = static_cast<BookendCache*>(
        MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(BookendCache)));
    fcinfo->flinfo->fn_extra = cache;
  }
  return cache;
}

// The btree comparison function of `time_type`, or an error naming the type.
TypeCacheEntry* time_comparison(BookendCache* cache, Oid time_type) {
  if (cache->time_tc == nullptr || cache->time_tc->type_id != time_type) {
    TypeCacheEntry* tc = lookup_type_cache(time_type, TYPECACHE_CMP_PROC_FINFO);
    if (!OidIsValid(tc->cmp_proc_finfo.fn_oid))
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                      errmsg("could not identify an ordering for type %s", format_type_be(time_type)),
                      errhint("The time argument of first() and last() must have a btree "
                              "ordering, such as a timestamp, a date or a number.")));
    cache->time_tc = tc;
  }
  return cache->time_tc;
}

// True when time a sorts strictly before (first) or after (last) time b.
bool better(FunctionCallInfo fcinfo, TypeCacheEntry* tc, Which which, Datum a, Datum b) {
  const int32 c = DatumGetInt32(FunctionCall2Coll(&tc->cmp_proc_finfo, fcinfo->fncollation, a, b));
  return which == Which::first ? c < 0 : c > 0;
}

// Replaces the state's value and time with copies (in the aggregate context) of the given ones,
// freeing the copies they replace.
void state_set(BookendState* s, bool value_null, Datum value, bool time_null, Datum time) {
  if (!s->value_byval && !s->value_null) pfree(DatumGetPointer(s->value));
  if (!s->time_byval && !s->time_null) pfree(DatumGetPointer(s->time));
  s->value_null = value_null;
  s->value = value_null ? Datum(0) : datumCopy(value, s->value_byval, s->value_len);
  s->time_null = time_null;
  s->time = time_null ? Datum(0) : datumCopy(time, s->time_byval, s->time_len);
}

BookendState* state_new(Oid value_type, int16 value_len, bool value_byval, Oid time_type,
                        int16 time_len, bool time_byval) {
  auto* s = static_cast<BookendState*>(palloc0(sizeof(BookendState)));
  s->value_type = value_type;
  s->value_len = value_len;
  s->value_byval = value_byval;
  s->value_null = true;
  s->time_type = time_type;
  s->time_len = time_len;
  s->time_byval = time_byval;
  s->time_null = true;
  return s;
}

Datum bookend_transition(FunctionCallInfo fcinfo, Which which, const char* func) {
  MemoryContext aggcontext = agg_context(fcinfo, func);
  BookendCache* cache = cache_get(fcinfo);
  if (!OidIsValid(cache->value_type)) {
    const Oid value_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
    const Oid time_type = get_fn_expr_argtype(fcinfo->flinfo, 2);
    if (!OidIsValid(value_type) || !OidIsValid(time_type))
      ereport(ERROR, (errcode(ERRCODE_INDETERMINATE_DATATYPE),
                      errmsg("could not determine the argument types of %s", func)));
    get_typlenbyval(value_type, &cache->value_len, &cache->value_byval);
    get_typlenbyval(time_type, &cache->time_len, &cache->time_byval);
    cache->time_type = time_type;
    time_comparison(cache, time_type);  // refuses an unordered time type even for one row
    cache->value_type = value_type;
  }
  auto* state = PG_ARGISNULL(0) ? nullptr : reinterpret_cast<BookendState*>(PG_GETARG_POINTER(0));
  const bool value_null = PG_ARGISNULL(1);
  const bool time_null = PG_ARGISNULL(2);
  const Datum value = value_null ? Datum(0) : PG_GETARG_DATUM(1);
  const Datum time = time_null ? Datum(0) : PG_GETARG_DATUM(2);

  MemoryContext old = MemoryContextSwitchTo(aggcontext);
  if (state == nullptr) {
    state = state_new(cache->value_type, cache->value_len, cache->value_byval, cache->time_type,
                      cache->time_len, cache->time_byval);
    state_set(state, value_null, value, time_null, time);
  } else if (!time_null &&
             (state->time_null ||
              better(fcinfo, time_comparison(cache, state->time_type), which, time, state->time))) {
    state_set(state, value_null, value, time_null, time);
  }
  MemoryContextSwitchTo(old);
  PG_RETURN_POINTER(state);
}

// Folds state2 into state1 (either may be NULL). On equal times state1 is kept, so a row read
// earlier wins a tie, as in a serial scan.
Datum bookend_combine(FunctionCallInfo fcinfo, Which which, const char* func) {
  MemoryContext aggcontext = agg_context(fcinfo, func);
  auto* s1 = PG_ARGISNULL(0) ? nullptr : reinterpret_cast<BookendState*>(PG_GETARG_POINTER(0));
  auto* s2 = PG_ARGISNULL(1) ? nullptr : reinterpret_cast<BookendState*>(PG_GETARG_POINTER(1));
  if (s2 == nullptr) {
    if (s1 == nullptr) PG_RETURN_NULL();
    PG_RETURN_POINTER(s1);
  }
  MemoryContext old = MemoryContextSwitchTo(aggcontext);
  if (s1 == nullptr) {
    s1 = state_new(s2->value_type, s2->value_len, s2->value_byval, s2->time_type, s2->time_len,
                   s2->time_byval);
    state_set(s1, s2->value_null, s2->value, s2->time_null, s2->time);
  } else if (!s2->time_null &&
             (s1->time_null || better(fcinfo, time_comparison(cache_get(fcinfo), s1->time_type),
                                      which, s2->time, s1->time))) {
    state_set(s1, s2->value_null, s2->value, s2->time_null, s2->time);
  }
  MemoryContextSwitchTo(old);
  PG_RETURN_POINTER(s1);
}

// Serialized form (for parallel workers and stored partial states): the two type OIDs, then for
// the value and the time a length (-1 for NULL) and the type's binary send representation.
void serialize_datum(StringInfo buf, TypeIo* io, Oid type, bool isnull, Datum value,
                     FunctionCallInfo fcinfo) {
  if (isnull) {
    pq_sendint32(buf, static_cast<uint32>(-1));
    return;
  }
  if (io->type != type) {
    Oid send;
    bool varlena;
    getTypeBinaryOutputInfo(type, &send, &varlena);
    fmgr_info_cxt(send, &io->proc, fcinfo->flinfo->fn_mcxt);
    io->type = type;
  }
  bytea* bytes = SendFunctionCall(&io->proc, value);
  pq_sendint32(buf, VARSIZE(bytes) - VARHDRSZ);
  pq_sendbytes(buf, VARDATA(bytes), VARSIZE(bytes) - VARHDRSZ);
}

bool deserialize_datum(StringInfo buf, TypeIo* io, Oid type, Datum* value,
                       FunctionCallInfo fcinfo) {
  const int32 len = static_cast<int32>(pq_getmsgint(buf, 4));
  if (len == -1) {
    *value = Datum(0);
    return true;
  }
  if (len < 0 || len > buf->len - buf->cursor)
    ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                    errmsg("invalid first/last aggregate state"),
                    errdetail("A value length of %d does not fit the %d bytes left.", len,
                              buf->len - buf->cursor)));
  if (io->type != type) {
    Oid recv;
    getTypeBinaryInputInfo(type, &recv, &io->ioparam);
    fmgr_info_cxt(recv, &io->proc, fcinfo->flinfo->fn_mcxt);
    io->type = type;
  }
  // The receive function gets its own NUL-terminated buffer, as the protocol code gives it.
  StringInfoData item;
  initStringInfo(&item);
  appendBinaryStringInfo(&item, pq_getmsgbytes(buf, len), len);
  *value = ReceiveFunctionCall(&io->proc, &item, io->ioparam, -1);
  if (item.cursor != item.len)
    ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                    errmsg("invalid first/last aggregate state"),
                    errdetail("A value of type %s was not read to its end.", format_type_be(type))));
  pfree(item.data);
  return false;
}

BookendIoCache* io_cache_get(FunctionCallInfo fcinfo) {
  auto* io = static_cast<BookendIoCache*>(fcinfo->flinfo->fn_extra);
  if (io == nullptr) {
    io = static_cast<BookendIoCache*>(
        MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(BookendIoCache)));
    fcinfo->flinfo->fn_extra = io;
  }
  return io;
}

// A type OID read from a serialized state must name an existing type.
Oid checked_type(Oid type) {
  if (!SearchSysCacheExists1(TYPEOID, ObjectIdGetDatum(type)))
    ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                    errmsg("invalid first/last aggregate state"),
                    errdetail("Type OID %u does not exist.", type)));
  return type;
}

}  // namespace

STRATA_FUNCTION(strata_first_sfunc) {
  return bookend_transition(fcinfo, Which::first, "first_sfunc");
}

STRATA_FUNCTION(strata_last_sfunc) {
  return bookend_transition(fcinfo, Which::last, "last_sfunc");
}

STRATA_FUNCTION(strata_first_combinefunc) {
  return bookend_combine(fcinfo, Which::first, "first_combinefunc");
}

STRATA_FUNCTION(strata_last_combinefunc) {
  return bookend_combine(fcinfo, Which::last, "last_combinefunc");
}

STRATA_FUNCTION(strata_bookend_finalfunc) {
  agg_context(fcinfo, "bookend_finalfunc");
  auto* s = PG_ARGISNULL(0) ? nullptr : reinterpret_cast<BookendState*>(PG_GETARG_POINTER(0));
  if (s == nullptr || s->time_null || s->value_null) PG_RETURN_NULL();
  PG_RETURN_DATUM(s->value);
}

STRATA_FUNCTION(strata_bookend_serializefunc) {
  agg_context(fcinfo, "bookend_serializefunc");
  auto* s = reinterpret_cast<BookendState*>(PG_GETARG_POINTER(0));
  BookendIoCache* io = io_cache_get(fcinfo);
  StringInfoData buf;
  pq_begintypsend(&buf);
  pq_sendint32(&buf, s->value_type);
  pq_sendint32(&buf, s->time_type);
  serialize_datum(&buf, &io->value, s->value_type, s->value_null, s->value, fcinfo);
  serialize_datum(&buf, &io->time, s->time_type, s->time_null, s->time, fcinfo);
  PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

STRATA_FUNCTION(strata_bookend_deserializefunc) {
  agg_context(fcinfo, "bookend_deserializefunc");
  bytea* bytes = PG_GETARG_BYTEA_PP(0);
  BookendIoCache* io = io_cache_get(fcinfo);
  StringInfoData buf;
  buf.data = VARDATA_ANY(bytes);
  buf.len = VARSIZE_ANY_EXHDR(bytes);
  buf.maxlen = buf.len;
  buf.cursor = 0;
  if (buf.len < 16)
    ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                    errmsg("invalid first/last aggregate state"),
                    errdetail("The state is %d bytes long.", buf.len)));
  const Oid value_type = checked_type(pq_getmsgint(&buf, 4));
  const Oid time_type = checked_type(pq_getmsgint(&buf, 4));
  int16 value_len, time_len;
  bool value_byval, time_byval;
  get_typlenbyval(value_type, &value_len, &value_byval);
  get_typlenbyval(time_type, &time_len, &time_byval);
  BookendState* s = state_new(value_type, value_len, value_byval, time_type, time_len, time_byval);
  s->value_null = deserialize_datum(&buf, &io->value, value_type, &s->value, fcinfo);
  s->time_null = deserialize_datum(&buf, &io->time, time_type, &s->time, fcinfo);
  pq_getmsgend(&buf);
  PG_RETURN_POINTER(s);
}
