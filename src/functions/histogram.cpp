// The histogram(value, min, max, nbuckets) aggregate (TimescaleDB's name and bucket layout): an
// integer[] of nbuckets + 2 counts, bucket 1 for values below min, buckets 2 .. nbuckets + 1 for
// equal-width ranges [min, max) as width_bucket() numbers them, and the last for values >= max.
// Combinable and parallel-safe.
#include "pg/guard.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
}

namespace {

struct Histogram {
  int32 nbuckets;  // the caller's nbuckets; the state holds nbuckets + 2 counts
  int32 counts[FLEXIBLE_ARRAY_MEMBER];
};

// Enough for any histogram someone could look at; keeps nbuckets + 2 and the allocation in range.
constexpr int32 kMaxBuckets = 10 * 1000 * 1000;

Size histogram_size(int32 nbuckets) {
  return offsetof(Histogram, counts) + sizeof(int32) * (static_cast<Size>(nbuckets) + 2);
}

MemoryContext agg_context(FunctionCallInfo fcinfo, const char* func) {
  MemoryContext aggcontext;
  if (!AggCheckCallContext(fcinfo, &aggcontext))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("%s called in non-aggregate context", func)));
  return aggcontext;
}

void check_nbuckets(int32 nbuckets) {
  if (nbuckets <= 0 || nbuckets > kMaxBuckets)
    ereport(ERROR, (errcode(ERRCODE_INVALID_ARGUMENT_FOR_WIDTH_BUCKET_FUNCTION),
                    errmsg("histogram nbuckets must be between 1 and %d", kMaxBuckets),
                    errdetail("nbuckets is %d.", nbuckets)));
}

void check_same_nbuckets(int32 have, int32 got) {
  if (have != got)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("number of histogram buckets must not change within a group"),
                    errdetail("The group started with %d buckets and now has %d.", have, got)));
}

void add_count(int32* count, int64 n) {
  if (*count + n > PG_INT32_MAX)
    ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                    errmsg("histogram bucket count out of range")));
  *count = static_cast<int32>(*count + n);
}

Histogram* histogram_copy(MemoryContext cxt, const Histogram* h) {
  auto* copy = static_cast<Histogram*>(MemoryContextAlloc(cxt, histogram_size(h->nbuckets)));
  memcpy(copy, h, histogram_size(h->nbuckets));
  return copy;
}

}  // namespace

// histogram_sfunc(internal, value float8, min float8, max float8, nbuckets int4). Rows with a
// NULL argument are skipped, as a strict transition function would skip them.
STRATA_FUNCTION(strata_histogram_sfunc) {
  MemoryContext aggcontext = agg_context(fcinfo, "histogram_sfunc");
  auto* h = PG_ARGISNULL(0) ? nullptr : reinterpret_cast<Histogram*>(PG_GETARG_POINTER(0));
  if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4)) {
    if (h == nullptr) PG_RETURN_NULL();
    PG_RETURN_POINTER(h);
  }
  const float8 min = PG_GETARG_FLOAT8(2);
  const float8 max = PG_GETARG_FLOAT8(3);
  const int32 nbuckets = PG_GETARG_INT32(4);
  if (min > max)
    ereport(ERROR, (errcode(ERRCODE_INVALID_ARGUMENT_FOR_WIDTH_BUCKET_FUNCTION),
                    errmsg("histogram lower bound cannot exceed upper bound"),
                    errdetail("min is %g and max is %g.", min, max)));
  if (h == nullptr) {
    check_nbuckets(nbuckets);
    h = static_cast<Histogram*>(MemoryContextAllocZero(aggcontext, histogram_size(nbuckets)));
    h->nbuckets = nbuckets;
  } else {
    check_same_nbuckets(h->nbuckets, nbuckets);
  }
  // width_bucket() itself, so that every edge (min, max, NaN, infinities, equal bounds) is
  // bucketed and refused exactly as SQL's width_bucket(value, min, max, nbuckets) does.
  const int32 bucket = DatumGetInt32(DirectFunctionCall4(width_bucket_float8, PG_GETARG_DATUM(1),
                                                         PG_GETARG_DATUM(2), PG_GETARG_DATUM(3),
                                                         Int32GetDatum(nbuckets)));
  Assert(bucket >= 0 && bucket <= nbuckets + 1);
  add_count(&h->counts[bucket], 1);
  PG_RETURN_POINTER(h);
}

STRATA_FUNCTION(strata_histogram_combinefunc) {
  MemoryContext aggcontext = agg_context(fcinfo, "histogram_combinefunc");
  auto* h1 = PG_ARGISNULL(0) ? nullptr : reinterpret_cast<Histogram*>(PG_GETARG_POINTER(0));
  auto* h2 = PG_ARGISNULL(1) ? nullptr : reinterpret_cast<Histogram*>(PG_GETARG_POINTER(1));
  if (h2 == nullptr) {
    if (h1 == nullptr) PG_RETURN_NULL();
    PG_RETURN_POINTER(h1);
  }
  if (h1 == nullptr) PG_RETURN_POINTER(histogram_copy(aggcontext, h2));
  check_same_nbuckets(h1->nbuckets, h2->nbuckets);
  for (int32 i = 0; i < h1->nbuckets + 2; i++) add_count(&h1->counts[i], h2->counts[i]);
  PG_RETURN_POINTER(h1);
}

// Serialized form: nbuckets, then the nbuckets + 2 counts, in network byte order.
STRATA_FUNCTION(strata_histogram_serializefunc) {
  agg_context(fcinfo, "histogram_serializefunc");
  auto* h = reinterpret_cast<Histogram*>(PG_GETARG_POINTER(0));
  StringInfoData buf;
  pq_begintypsend(&buf);
  pq_sendint32(&buf, h->nbuckets);
  for (int32 i = 0; i < h->nbuckets + 2; i++) pq_sendint32(&buf, h->counts[i]);
  PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

STRATA_FUNCTION(strata_histogram_deserializefunc) {
  agg_context(fcinfo, "histogram_deserializefunc");
  bytea* bytes = PG_GETARG_BYTEA_PP(0);
  StringInfoData buf;
  buf.data = VARDATA_ANY(bytes);
  buf.len = VARSIZE_ANY_EXHDR(bytes);
  buf.maxlen = buf.len;
  buf.cursor = 0;
  const int32 nbuckets = buf.len >= 4 ? static_cast<int32>(pq_getmsgint(&buf, 4)) : -1;
  if (nbuckets <= 0 || nbuckets > kMaxBuckets ||
      static_cast<Size>(buf.len) != 4 + 4 * (static_cast<Size>(nbuckets) + 2))
    ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                    errmsg("invalid histogram aggregate state"),
                    errdetail("The state is %d bytes long.", buf.len)));
  auto* h = static_cast<Histogram*>(palloc(histogram_size(nbuckets)));
  h->nbuckets = nbuckets;
  for (int32 i = 0; i < nbuckets + 2; i++) {
    h->counts[i] = static_cast<int32>(pq_getmsgint(&buf, 4));
    if (h->counts[i] < 0)
      ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                      errmsg("invalid histogram aggregate state"),
                      errdetail("Bucket %d has a negative count.", i + 1)));
  }
  PG_RETURN_POINTER(h);
}

// NULL when no row had all its arguments (as sum() of no rows).
STRATA_FUNCTION(strata_histogram_finalfunc) {
  agg_context(fcinfo, "histogram_finalfunc");
  auto* h = PG_ARGISNULL(0) ? nullptr : reinterpret_cast<Histogram*>(PG_GETARG_POINTER(0));
  if (h == nullptr) PG_RETURN_NULL();
  const int n = h->nbuckets + 2;
  Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * n));
  for (int i = 0; i < n; i++) elems[i] = Int32GetDatum(h->counts[i]);
  PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
}
