// SQL API for hypertables: create_hypertable (both forms), by_range, the setup check, view helpers
// and the safety-net trigger that keeps rows out of the parent table.
#include "catalog/catalog.hpp"
#include "core/time/chunk_range.hpp"
#include "hypertable/chunk.hpp"
#include "hypertable/merge_count.hpp"
#include "hypertable/space.hpp"
#include "pg/guard.hpp"
#include "pg/module.hpp"

extern "C" {
#include "access/tupdesc.h"
#include "catalog/index.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "commands/defrem.h"
#include "commands/trigger.h"
#include "datatype/timestamp.h"
#include "parser/parse_coerce.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
}

namespace strata {

namespace {

constexpr int64 kUsecPerSecond = INT64CONST(1000000);
constexpr int64 kDefaultInterval = 7 * USECS_PER_DAY;

}  // namespace

// A chunk interval given as INTERVAL or an integer, validated against the time column's type.
int64 interval_to_internal(Datum value, Oid value_type, bool is_null, Oid time_type, const char* column) {
  TimeKind kind;
  time_type_supported(time_type, &kind);
  bool is_time = kind == TimeKind::timestamptz || kind == TimeKind::timestamp || kind == TimeKind::date;
  if (is_null) {
    if (is_time) return kDefaultInterval;
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("integer time column \"%s\" requires an explicit chunk interval", column),
                    errhint("Pass an integer interval, e.g. by_range('%s', 1000) or chunk_time_interval => 1000.", column)));
  }
  int64 result;
  switch (value_type) {
    case INTERVALOID: {
      if (!is_time)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("invalid interval type for column \"%s\" of type %s", column, format_type_be(time_type)),
                        errhint("Integer time columns take an integer interval.")));
      Interval* iv = DatumGetIntervalP(value);
      __int128 usec = static_cast<__int128>(iv->time) + static_cast<__int128>(iv->day) * USECS_PER_DAY +
                      static_cast<__int128>(iv->month) * DAYS_PER_MONTH * USECS_PER_DAY;
      if (usec > PG_INT64_MAX || usec < PG_INT64_MIN)
        ereport(ERROR, (errcode(ERRCODE_INTERVAL_FIELD_OVERFLOW), errmsg("chunk interval out of range")));
      result = static_cast<int64>(usec);
      break;
    }
    case INT2OID: result = DatumGetInt16(value); break;
    case INT4OID: result = DatumGetInt32(value); break;
    case INT8OID: result = DatumGetInt64(value); break;
    default:
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("invalid chunk interval type %s", format_type_be(value_type)),
                      errhint("Use an INTERVAL for time columns and an integer for integer columns.")));
  }
  if (result <= 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("chunk interval must be positive"),
                    errdetail("The interval given for column \"%s\" is " INT64_FORMAT ".", column, result)));
  if ((kind == TimeKind::timestamptz || kind == TimeKind::timestamp) && result < kUsecPerSecond)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("chunk interval of " INT64_FORMAT " microseconds is too small", result),
                    errhint("Chunk intervals of timestamp columns must be at least 1 second; integers are read as microseconds.")));
  if (kind == TimeKind::date && result < USECS_PER_DAY)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("chunk interval of a date column must be at least 1 day")));
  return result;
}

namespace {

bool table_has_rows(Oid relid) {
  StringInfoData sql;
  initStringInfo(&sql);
  appendStringInfo(&sql, "SELECT 1 FROM ONLY %s LIMIT 1",
                   quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid)));
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  if (SPI_execute(sql.data, true, 1) != SPI_OK_SELECT) elog(ERROR, "could not scan %s", get_rel_name(relid));
  bool rows = SPI_processed > 0;
  SPI_finish();
  return rows;
}

void run_as_caller(const char* sql) {
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  if (SPI_execute(sql, false, 0) < 0) elog(ERROR, "statement failed: %s", sql);
  SPI_finish();
}

// Unique indexes must contain the time column, or uniqueness could not be enforced per chunk.
void check_unique_indexes(Relation rel, AttrNumber time_attno, const char* column) {
  List* indexes = RelationGetIndexList(rel);
  ListCell* lc;
  foreach (lc, indexes) {
    HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
    if (!HeapTupleIsValid(tup)) continue;
    auto* idx = reinterpret_cast<Form_pg_index>(GETSTRUCT(tup));
    if (idx->indisunique || idx->indisexclusion) {
      bool has_time = false;
      for (int i = 0; i < idx->indnkeyatts; i++)
        if (idx->indkey.values[i] == time_attno) has_time = true;
      if (!has_time) {
        char* name = get_rel_name(idx->indexrelid);
        ReleaseSysCache(tup);
        ereport(ERROR, (errcode(ERRCODE_INVALID_TABLE_DEFINITION),
                        errmsg("cannot create a unique index without the column \"%s\" (used in partitioning)", column),
                        errdetail("Index \"%s\" does not include the time column.", name),
                        errhint("Add \"%s\" to the unique index or primary key.", column)));
      }
    }
    ReleaseSysCache(tup);
  }
}

bool has_index_leading_with(Relation rel, AttrNumber attno) {
  List* indexes = RelationGetIndexList(rel);
  ListCell* lc;
  foreach (lc, indexes) {
    HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
    if (!HeapTupleIsValid(tup)) continue;
    auto* idx = reinterpret_cast<Form_pg_index>(GETSTRUCT(tup));
    bool leads = idx->indnkeyatts > 0 && idx->indkey.values[0] == attno;
    ReleaseSysCache(tup);
    if (leads) return true;
  }
  return false;
}

struct CreateArgs {
  Oid relid;
  const char* column;
  Datum interval;
  Oid interval_type;
  bool interval_null;
  bool create_default_indexes;
  bool if_not_exists;
  bool migrate_data;
  const char* space_column;  // a hash dimension to add (create_hypertable's partitioning_column), or nullptr
  int64 num_partitions;
};

// Returns the hypertable id; *created says whether it was created now.
int32 create_hypertable(const CreateArgs& a, bool* created) {
  *created = false;
  if (!extension_is_active())
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("the strata extension is not ready in this database")));
  // Ownership first, as PostgreSQL's own ALTER TABLE does: anyone else would otherwise queue an
  // AccessExclusiveLock that blocks every reader of the table before being refused. Checked
  // again under the lock (the table may have been dropped or changed hands meanwhile).
  for (bool locked : {false, true}) {
    if (locked) LockRelationOid(a.relid, AccessExclusiveLock);
    char* name = get_rel_name(a.relid);
    if (name == nullptr)
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", a.relid)));
    if (!compat::is_table_owner(a.relid, GetUserId()))
      aclcheck_error(ACLCHECK_NOT_OWNER, get_relkind_objtype(get_rel_relkind(a.relid)), name);
  }
  char* relname = get_rel_name(a.relid);
  char relkind = get_rel_relkind(a.relid);

  if (Hypertable* existing = hypertable_get(a.relid)) {
    if (a.if_not_exists) {
      ereport(NOTICE, (errmsg("table \"%s\" is already a hypertable, skipping", relname)));
      return existing->id;
    }
    ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT), errmsg("table \"%s\" is already a hypertable", relname)));
  }
  if (relkind == RELKIND_PARTITIONED_TABLE)
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                    errmsg("table \"%s\" is a partitioned table", relname),
                    errdetail("Hypertables are built on plain tables; declarative partitioning cannot be combined with them.")));
  if (relkind != RELKIND_RELATION)
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("\"%s\" is not a table", relname)));

  Relation rel = table_open(a.relid, NoLock);
  if (rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP) {
    table_close(rel, NoLock);
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("table \"%s\" is temporary", relname),
                    errdetail("Temporary tables cannot be hypertables.")));
  }
  if (rel->rd_rel->relispartition || has_superclass(a.relid) ||
      find_inheritance_children(a.relid, NoLock) != NIL) {
    table_close(rel, NoLock);
    ereport(ERROR, (errcode(ERRCODE_INVALID_TABLE_DEFINITION),
                    errmsg("table \"%s\" takes part in inheritance", relname),
                    errdetail("A hypertable cannot have inheritance parents or children of its own.")));
  }
  AttrNumber attno = get_attnum(a.relid, a.column);
  if (attno == InvalidAttrNumber || attno < 0) {
    table_close(rel, NoLock);
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                    errmsg("column \"%s\" does not exist", a.column)));
  }
  Oid time_type = get_atttype(a.relid, attno);
  if (!time_type_supported(time_type, nullptr)) {
    table_close(rel, NoLock);
    ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                    errmsg("invalid type for time column \"%s\": %s", a.column, format_type_be(time_type)),
                    errhint("Use timestamptz, timestamp, date, smallint, integer or bigint.")));
  }
  int64 interval = interval_to_internal(a.interval, a.interval_type, a.interval_null, time_type, a.column);
  if (a.space_column != nullptr) {
    // (checked again by add_hash_dimension; here so that a failure leaves no trace)
    AttrNumber space_attno = get_attnum(a.relid, a.space_column);
    if (space_attno == InvalidAttrNumber || space_attno < 0) {
      table_close(rel, NoLock);
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN), errmsg("column \"%s\" does not exist", a.space_column)));
    }
    if (a.num_partitions < 1 || a.num_partitions > 32767) {
      table_close(rel, NoLock);
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("invalid number of partitions: must be between 1 and 32767")));
    }
    space_hash_proc(get_atttype(a.relid, space_attno));
  }
  check_unique_indexes(rel, attno, a.column);
  bool has_time_index = has_index_leading_with(rel, attno);
  bool notnull = TupleDescAttr(RelationGetDescr(rel), attno - 1)->attnotnull;
  table_close(rel, NoLock);

  if (table_has_rows(a.relid) && !a.migrate_data)
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("table \"%s\" is not empty", relname),
                    errhint("Pass migrate_data => true to move its rows into chunks.")));

  const char* qualified = quote_qualified_identifier(get_namespace_name(get_rel_namespace(a.relid)), relname);
  StringInfoData sql;
  initStringInfo(&sql);
  if (!notnull) {
    appendStringInfo(&sql, "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", qualified, quote_identifier(a.column));
    run_as_caller(sql.data);
  }
  int32 id = catalog_insert_hypertable(a.relid, a.column, time_type, interval);
  CommandCounterIncrement();
  if (a.space_column != nullptr) {
    bool space_created;
    add_hash_dimension(a.relid, a.space_column, a.num_partitions, false, &space_created);
  }

  if (a.create_default_indexes && !has_time_index) {
    char* idxname = ChooseRelationName(relname, a.column, "idx", get_rel_namespace(a.relid), false);
    resetStringInfo(&sql);
    appendStringInfo(&sql, "CREATE INDEX %s ON %s (%s DESC)", quote_identifier(idxname), qualified,
                     quote_identifier(a.column));
    run_as_caller(sql.data);
  }
  resetStringInfo(&sql);
  appendStringInfo(&sql,
                   "CREATE TRIGGER _strata_insert_blocker BEFORE INSERT ON %s FOR EACH ROW "
                   "EXECUTE FUNCTION _strata_internal.insert_blocker()",
                   qualified);
  run_as_caller(sql.data);
  CommandCounterIncrement();

  if (a.migrate_data) {
    resetStringInfo(&sql);
    appendStringInfo(&sql, "INSERT INTO %s SELECT * FROM ONLY %s", qualified, qualified);
    run_as_caller(sql.data);
    resetStringInfo(&sql);
    appendStringInfo(&sql, "DELETE FROM ONLY %s", qualified);
    run_as_caller(sql.data);
  }
  *created = true;
  return id;
}

Datum result_tuple(FunctionCallInfo fcinfo, int32 id, bool created, bool with_names, Oid relid) {
  TupleDesc tupdesc;
  if (get_call_result_type(fcinfo, nullptr, &tupdesc) != TYPEFUNC_COMPOSITE)
    elog(ERROR, "function returning record called in context that cannot accept type record");
  tupdesc = BlessTupleDesc(tupdesc);
  Datum values[4];
  bool nulls[4] = {};
  NameData schema, table;
  if (with_names) {
    namestrcpy(&schema, get_namespace_name(get_rel_namespace(relid)));
    namestrcpy(&table, get_rel_name(relid));
    values[0] = Int32GetDatum(id);
    values[1] = NameGetDatum(&schema);
    values[2] = NameGetDatum(&table);
    values[3] = BoolGetDatum(created);
  } else {
    values[0] = Int32GetDatum(id);
    values[1] = BoolGetDatum(created);
  }
  return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

bool bool_arg(FunctionCallInfo fcinfo, int n, bool default_value) {
  return PG_ARGISNULL(n) ? default_value : PG_GETARG_BOOL(n);
}

// Creates the hypertable and returns the row of the calling create_hypertable form.
Datum create_and_report(FunctionCallInfo fcinfo, const CreateArgs& a, bool with_names) {
  bool created;
  int32 id = create_hypertable(a, &created);
  return result_tuple(fcinfo, id, created, with_names, a.relid);
}

void require_arg(FunctionCallInfo fcinfo, int n, const char* what) {
  if (PG_ARGISNULL(n))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s cannot be NULL", what)));
}

}  // namespace

}  // namespace strata

using namespace strata;

// create_hypertable(relation, dimension, create_default_indexes, if_not_exists, migrate_data)
STRATA_FUNCTION(strata_create_hypertable) {
  require_arg(fcinfo, 0, "relation");
  require_arg(fcinfo, 1, "dimension");
  HeapTupleHeader dim = PG_GETARG_HEAPTUPLEHEADER(1);
  bool isnull;
  Datum col = GetAttributeByName(dim, "column_name", &isnull);
  if (isnull) ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("dimension column cannot be NULL")));
  Datum kind = GetAttributeByName(dim, "dimension_type", &isnull);
  if (!isnull && strcmp(TextDatumGetCString(kind), "hash") == 0)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("cannot partition using a closed dimension on the primary column"),
                    errhint("Use by_range() for the primary (time) dimension, then add_dimension() with by_hash().")));
  bool iv_null, type_null;
  Datum iv_text = GetAttributeByName(dim, "partition_interval", &iv_null);
  Datum iv_type = GetAttributeByName(dim, "interval_type", &type_null);
  CreateArgs a{};
  a.relid = PG_GETARG_OID(0);
  a.column = pstrdup(NameStr(*DatumGetName(col)));
  a.interval_null = iv_null || type_null;
  if (!a.interval_null) {
    a.interval_type = DatumGetObjectId(iv_type);
    Oid input, ioparam;
    getTypeInputInfo(a.interval_type, &input, &ioparam);
    a.interval = OidInputFunctionCall(input, TextDatumGetCString(iv_text), ioparam, -1);
  }
  a.create_default_indexes = bool_arg(fcinfo, 2, true);
  a.if_not_exists = bool_arg(fcinfo, 3, false);
  a.migrate_data = bool_arg(fcinfo, 4, false);
  return create_and_report(fcinfo, a, false);
}

// create_hypertable(relation, time_column_name, partitioning_column, number_partitions,
//   associated_schema_name, associated_table_prefix, chunk_time_interval, create_default_indexes,
//   if_not_exists, partitioning_func, migrate_data, chunk_target_size, chunk_sizing_func,
//   time_partitioning_func)
STRATA_FUNCTION(strata_create_hypertable_old) {
  require_arg(fcinfo, 0, "relation");
  require_arg(fcinfo, 1, "time_column_name");
  if (!PG_ARGISNULL(9))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("partitioning_func is not supported"),
                    errhint("Hash dimensions use the column type's default hash function.")));
  if (PG_ARGISNULL(2) && !PG_ARGISNULL(3))
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("number_partitions needs a partitioning_column")));
  if (!PG_ARGISNULL(2) && PG_ARGISNULL(3))
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("invalid number of partitions: must be between 1 and 32767"),
                    errhint("Pass number_partitions with partitioning_column.")));
  if (!PG_ARGISNULL(4) && strcmp(NameStr(*PG_GETARG_NAME(4)), "_strata_internal") != 0)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("chunks are always created in schema _strata_internal")));
  if (!PG_ARGISNULL(13))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("time_partitioning_func is not supported")));
  if (!PG_ARGISNULL(11)) {
    char* target = text_to_cstring(PG_GETARG_TEXT_PP(11));
    if (pg_strcasecmp(target, "off") != 0)
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("adaptive chunking (chunk_target_size) is not supported")));
  }
  CreateArgs a{};
  a.relid = PG_GETARG_OID(0);
  a.column = pstrdup(NameStr(*PG_GETARG_NAME(1)));
  a.interval_null = PG_ARGISNULL(6);
  if (!a.interval_null) {
    a.interval = PG_GETARG_DATUM(6);
    a.interval_type = get_fn_expr_argtype(fcinfo->flinfo, 6);
  }
  a.create_default_indexes = bool_arg(fcinfo, 7, true);
  a.if_not_exists = bool_arg(fcinfo, 8, false);
  a.migrate_data = bool_arg(fcinfo, 10, false);
  if (!PG_ARGISNULL(2)) {
    a.space_column = pstrdup(NameStr(*PG_GETARG_NAME(2)));
    a.num_partitions = PG_GETARG_INT32(3);
  }
  return create_and_report(fcinfo, a, true);
}

namespace {

// The dimension_info row by_range and by_hash return: the column (argument 0), the partition
// interval as text with its type (both NULL when `interval` is null), and the kind.
Datum dimension_info(FunctionCallInfo fcinfo, const char* interval, Oid interval_type, const char* kind) {
  TupleDesc tupdesc;
  if (get_call_result_type(fcinfo, nullptr, &tupdesc) != TYPEFUNC_COMPOSITE)
    elog(ERROR, "%s must return a composite type", kind);
  tupdesc = BlessTupleDesc(tupdesc);
  Datum values[4];
  bool nulls[4] = {};
  values[0] = PG_GETARG_DATUM(0);
  if (interval == nullptr) {
    nulls[1] = nulls[2] = true;
  } else {
    values[1] = CStringGetTextDatum(interval);
    values[2] = ObjectIdGetDatum(interval_type);
  }
  values[3] = CStringGetTextDatum(kind);
  return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

}  // namespace

// by_range(column_name, partition_interval anyelement, partition_func) -> dimension_info
STRATA_FUNCTION(strata_by_range) {
  require_arg(fcinfo, 0, "column_name");
  if (!PG_ARGISNULL(2))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("partition_func is not supported")));
  if (PG_ARGISNULL(1)) return dimension_info(fcinfo, nullptr, InvalidOid, "range");
  const Oid type = get_fn_expr_argtype(fcinfo->flinfo, 1);
  Oid output;
  bool varlena;
  getTypeOutputInfo(type, &output, &varlena);
  return dimension_info(fcinfo, OidOutputFunctionCall(output, PG_GETARG_DATUM(1)), type, "range");
}

// by_hash(column_name, number_partitions, partition_func) -> dimension_info: the number of
// partitions travels as partition_interval (an integer).
STRATA_FUNCTION(strata_by_hash) {
  require_arg(fcinfo, 0, "column_name");
  if (PG_ARGISNULL(1))
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("invalid number of partitions: must be between 1 and 32767")));
  const int32 n = PG_GETARG_INT32(1);
  if (n < 1 || n > 32767)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("invalid number of partitions: must be between 1 and 32767"),
                    errdetail("The number given is %d.", n)));
  if (!PG_ARGISNULL(2))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("partition_func is not supported"),
                    errhint("Hash dimensions use the column type's default hash function.")));
  char buf[16];
  snprintf(buf, sizeof buf, "%d", n);
  return dimension_info(fcinfo, buf, INT4OID, "hash");
}

STRATA_FUNCTION(strata_check_setup) {
  if (!pg::loaded_at_startup)
    ereport(WARNING, (errmsg("strata is not in shared_preload_libraries"),
                      errdetail("Hypertables work, but background jobs (policies) will not run."),
                      errhint("Add strata to shared_preload_libraries in postgresql.conf and restart the server.")));
  PG_RETURN_VOID();
}

// Internal axis value -> timestamptz, with the open ends as -infinity / infinity.
STRATA_FUNCTION(strata_internal_to_timestamptz) {
  int64 v = PG_GETARG_INT64(0);
  if (v == core::kOpenStart) PG_RETURN_TIMESTAMPTZ(DT_NOBEGIN);
  if (v == core::kOpenEnd) PG_RETURN_TIMESTAMPTZ(DT_NOEND);
  PG_RETURN_TIMESTAMPTZ(core::unix_usec_to_pg_timestamp(v));
}

// Safety net: a row that reaches the parent table itself (a session where the library was not
// loaded at planning time, MERGE, ...) is routed into its chunk here instead.
STRATA_FUNCTION(strata_insert_blocker) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED), errmsg("insert_blocker must be called as a trigger")));
  auto* td = reinterpret_cast<TriggerData*>(fcinfo->context);
  Relation rel = td->tg_relation;
  Hypertable* ht = hypertable_get(RelationGetRelid(rel));
  if (ht == nullptr) return PointerGetDatum(td->tg_trigtuple);
  bool isnull;
  Datum t = heap_getattr(td->tg_trigtuple, ht->time_attno, RelationGetDescr(rel), &isnull);
  if (isnull)
    ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
                    errmsg("NULL value in column \"%s\" violates not-null constraint", NameStr(ht->time_column)),
                    errhint("Columns used for time partitioning cannot be NULL.")));
  int64 hash = 0;
  if (ht->num_partitions > 0 && ht->space_attno != InvalidAttrNumber) {
    Datum sv = heap_getattr(td->tg_trigtuple, ht->space_attno, RelationGetDescr(rel), &isnull);
    FmgrInfo proc;
    fmgr_info(space_hash_proc(ht->space_type), &proc);
    hash = space_hash_value(&proc, ht->space_collation, sv, isnull);
  }
  ChunkInfo* chunk = chunk_get_or_create(ht, time_datum_to_internal(t, ht->time_type), hash);
  StringInfoData sql;
  initStringInfo(&sql);
  // A compressed chunk is written through the hypertable (ChunkDispatch), which checks unique
  // keys across its compressed batches.
  const bool via_hypertable = (chunk->status & kChunkStatusCompressed) != 0;
  appendStringInfo(&sql, "INSERT INTO %s SELECT ($1::%s).*",
                   via_hypertable ? quote_qualified_identifier(NameStr(ht->schema_name), NameStr(ht->table_name))
                                  : quote_qualified_identifier(NameStr(chunk->schema_name), NameStr(chunk->table_name)),
                   quote_qualified_identifier(NameStr(ht->schema_name), NameStr(ht->table_name)));
  Oid argtype = rel->rd_rel->reltype;
  Datum arg = heap_copy_tuple_as_datum(td->tg_trigtuple, RelationGetDescr(rel));
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  if (SPI_execute_with_args(sql.data, 1, &argtype, &arg, nullptr, false, 0) != SPI_OK_INSERT)
    elog(ERROR, "could not route row into chunk %s", NameStr(chunk->table_name));
  const uint64 inserted = SPI_processed;  // 0 when a BEFORE INSERT trigger of the chunk dropped the row
  SPI_finish();
  count_rows_routed_by_trigger(RelationGetRelid(rel), inserted);
  return PointerGetDatum(nullptr);
}
