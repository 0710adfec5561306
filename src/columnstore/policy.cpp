// The compression policy's C parts: compressing one chunk without waiting for its lock, and
// add_compression_policy's "any" argument (the policy itself is SQL, src/sql/70_columnstore.sql).
#include "columnstore/columnstore.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
}

// _strata_internal.policy_compress_chunk(chunk regclass) RETURNS boolean: false when the chunk's
// lock is not free at once (the policy skips it).
STRATA_FUNCTION(strata_policy_compress_chunk) {
  PG_RETURN_BOOL(strata::columnstore::compress_chunk(PG_GETARG_OID(0), true, true));
}

// add_compression_policy(hypertable, compress_after "any", if_not_exists, schedule_interval,
//   initial_start, timezone, compress_created_before), also the procedure add_columnstore_policy:
// passes compress_after on as text and its type.
STRATA_FUNCTION(strata_add_compression_policy) {
  Datum values[8];
  char nulls[9] = "        ";
  Oid types[8] = {REGCLASSOID, TEXTOID, REGTYPEOID, BOOLOID, INTERVALOID, TIMESTAMPTZOID, TEXTOID, INTERVALOID};
  values[0] = PG_ARGISNULL(0) ? (Datum)0 : PG_GETARG_DATUM(0);
  if (PG_ARGISNULL(0)) nulls[0] = 'n';
  Oid after_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
  if (PG_ARGISNULL(1) || !OidIsValid(after_type)) {
    nulls[1] = 'n';
    values[1] = (Datum)0;
  } else {
    Oid out;
    bool varlena;
    getTypeOutputInfo(after_type, &out, &varlena);
    values[1] = CStringGetTextDatum(OidOutputFunctionCall(out, PG_GETARG_DATUM(1)));
  }
  values[2] = ObjectIdGetDatum(OidIsValid(after_type) ? after_type : UNKNOWNOID);
  values[3] = BoolGetDatum(!PG_ARGISNULL(2) && PG_GETARG_BOOL(2));
  for (int i = 3; i < 7; i++) {
    values[i + 1] = PG_ARGISNULL(i) ? (Datum)0 : PG_GETARG_DATUM(i);
    if (PG_ARGISNULL(i)) nulls[i + 1] = 'n';
  }
  // Runs as the caller (the implementation checks ownership).
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  const int rc = SPI_execute_with_args(
      "SELECT _strata_internal.add_compression_policy($1, $2, $3, $4, $5, $6, $7, $8)", 8, types, values, nulls,
      false, 1);
  if (rc != SPI_OK_SELECT || SPI_processed != 1)
    elog(ERROR, "add_compression_policy failed: %s", SPI_result_code_string(rc));
  bool isnull;
  const Datum id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
  SPI_finish();
  PG_RETURN_DATUM(id);
}
