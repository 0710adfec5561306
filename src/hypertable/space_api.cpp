// SQL API for space partitioning (hash dimensions): add_dimension in both of TimescaleDB's forms,
// set_number_partitions and the partition hash function that chunks' CHECK constraints call.
// Creating a hypertable with a partitioning column goes through add_hash_dimension too.
#include "hypertable/space.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "catalog/pg_index.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
}

namespace strata {

namespace {

void check_num_partitions(int64 n) {
  if (n < 1 || n > 32767)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("invalid number of partitions: must be between 1 and 32767"),
                    errdetail("The number given is " INT64_FORMAT ".", n)));
}

// Unique and exclusion indexes must contain the hash column, or uniqueness could not be enforced
// per chunk.
void check_unique_indexes(Oid relid, AttrNumber attno, const char* column) {
  Relation rel = table_open(relid, AccessShareLock);
  List* indexes = RelationGetIndexList(rel);
  table_close(rel, AccessShareLock);
  ListCell* lc;
  foreach (lc, indexes) {
    HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
    if (!HeapTupleIsValid(tup)) continue;
    auto* idx = reinterpret_cast<Form_pg_index>(GETSTRUCT(tup));
    bool bad = false;
    if (idx->indisunique || idx->indisexclusion) {
      bad = true;
      for (int i = 0; i < idx->indnkeyatts; i++)
        if (idx->indkey.values[i] == attno) bad = false;
    }
    const Oid index_oid = idx->indexrelid;
    ReleaseSysCache(tup);
    if (bad)
      ereport(ERROR, (errcode(ERRCODE_INVALID_TABLE_DEFINITION),
                      errmsg("cannot create a unique index without the column \"%s\" (used in partitioning)", column),
                      errdetail("Index \"%s\" does not include the column.", get_rel_name(index_oid)),
                      errhint("Add \"%s\" to the unique index or primary key, or drop it first.", column)));
  }
}

Hypertable* hypertable_for(Oid relid, const char* func) {
  const char* relname = get_rel_name(relid);
  if (relname == nullptr)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation with OID %u does not exist", relid)));
  if (!extension_is_active())
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("the strata extension is not active in this database")));
  Hypertable* ht = hypertable_get(relid);
  if (ht == nullptr)
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                    errmsg("table \"%s\" is not a hypertable", relname),
                    errhint("%s works on hypertables; create one with create_hypertable().", func)));
  return ht;
}

void check_owner(Oid relid) {
  if (!compat::is_table_owner(relid, GetUserId()))
    aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(relid));
}

Datum dimension_result(FunctionCallInfo fcinfo, const Hypertable* ht, int32 dimension_id, const char* column,
                       bool created, bool old_form) {
  TupleDesc tupdesc;
  if (get_call_result_type(fcinfo, nullptr, &tupdesc) != TYPEFUNC_COMPOSITE)
    elog(ERROR, "function returning record called in context that cannot accept type record");
  tupdesc = BlessTupleDesc(tupdesc);
  Datum values[5];
  bool nulls[5] = {};
  NameData col;
  namestrcpy(&col, column);
  values[0] = Int32GetDatum(dimension_id);
  if (old_form) {
    values[1] = NameGetDatum(&ht->schema_name);
    values[2] = NameGetDatum(&ht->table_name);
    values[3] = NameGetDatum(&col);
    values[4] = BoolGetDatum(created);
  } else {
    values[1] = BoolGetDatum(created);
  }
  return HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
}

}  // namespace

int32 add_hash_dimension(Oid relid, const char* column, int64 num_partitions, bool if_not_exists, bool* created) {
  *created = false;
  Hypertable* ht = hypertable_for(relid, "add_dimension");
  // Ownership before the lock (as ALTER TABLE does), and again under it.
  check_owner(relid);
  // Inserters route by the hypertable's dimensions: wait for them, as ALTER TABLE would.
  LockRelationOid(relid, AccessExclusiveLock);
  ht = hypertable_for(relid, "add_dimension");
  check_owner(relid);
  const char* relname = NameStr(ht->table_name);

  AttrNumber attno = get_attnum(relid, column);
  if (attno == InvalidAttrNumber || attno < 0)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                    errmsg("column \"%s\" does not exist", column),
                    errdetail("Table \"%s\" has no such column.", relname)));
  const bool is_time = strcmp(column, NameStr(ht->time_column)) == 0;
  const bool is_space = ht->num_partitions > 0 && strcmp(column, NameStr(ht->space_column)) == 0;
  if (is_time || is_space) {
    if (if_not_exists) {
      ereport(NOTICE, (errmsg("column \"%s\" is already a dimension, skipping", column)));
      return is_time ? ht->dimension_id : ht->space_dimension_id;
    }
    ereport(ERROR, (errcode(ERRCODE_DUPLICATE_OBJECT),
                    errmsg("column \"%s\" is already a dimension", column),
                    errhint("Pass if_not_exists => true to skip existing dimensions.")));
  }
  check_num_partitions(num_partitions);
  if (ht->num_partitions > 0)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("hypertable \"%s\" already has a hash dimension (\"%s\")", relname,
                           NameStr(ht->space_column)),
                    errdetail("strata supports one hash dimension per hypertable.")));
  if (chunk_list_all(ht) != NIL)
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("hypertable \"%s\" has data or empty chunks", relname),
                    errdetail("Dimensions can only be added to a hypertable without chunks."),
                    errhint("Add the dimension before inserting rows, or drop the chunks first.")));
  Oid type = get_atttype(relid, attno);
  space_hash_proc(type);  // the type must be hashable
  check_unique_indexes(relid, attno, column);
  const int32 id = catalog_insert_hash_dimension(ht->id, column, type, static_cast<int16>(num_partitions));
  CommandCounterIncrement();
  *created = true;
  return id;
}

}  // namespace strata

using namespace strata;

// add_dimension(hypertable, column_name, number_partitions, chunk_time_interval, partitioning_func,
//               if_not_exists)
STRATA_FUNCTION(strata_add_dimension_old) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("hypertable cannot be NULL")));
  if (PG_ARGISNULL(1))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("column_name cannot be NULL")));
  const bool has_n = !PG_ARGISNULL(2), has_interval = !PG_ARGISNULL(3);
  if (!has_n && !has_interval)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("must specify either the number of partitions or an interval"),
                    errhint("Pass number_partitions for a hash dimension.")));
  if (has_n && has_interval)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("cannot specify both the number of partitions and an interval")));
  if (has_interval)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("a second range dimension is not supported"),
                    errhint("Add a hash dimension with number_partitions.")));
  if (!PG_ARGISNULL(4))
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("partitioning_func is not supported"),
                    errhint("Hash dimensions use the column type's default hash function.")));
  const char* column = NameStr(*PG_GETARG_NAME(1));
  const bool if_not_exists = !PG_ARGISNULL(5) && PG_GETARG_BOOL(5);
  bool created;
  const int32 id = add_hash_dimension(PG_GETARG_OID(0), column, PG_GETARG_INT32(2), if_not_exists, &created);
  Hypertable* ht = hypertable_get(PG_GETARG_OID(0));
  return dimension_result(fcinfo, ht, id, column, created, true);
}

// add_dimension(hypertable, dimension => by_hash(...), if_not_exists)
STRATA_FUNCTION(strata_add_dimension) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("hypertable cannot be NULL")));
  if (PG_ARGISNULL(1))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("dimension cannot be NULL")));
  HeapTupleHeader dim = PG_GETARG_HEAPTUPLEHEADER(1);
  bool isnull, n_null, type_null;
  Datum col = GetAttributeByName(dim, "column_name", &isnull);
  if (isnull) ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("dimension column cannot be NULL")));
  Datum kind = GetAttributeByName(dim, "dimension_type", &type_null);
  if (type_null || strcmp(TextDatumGetCString(kind), "hash") != 0)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("a second range dimension is not supported"),
                    errhint("Add a hash dimension with by_hash(column, number_partitions).")));
  Datum n_text = GetAttributeByName(dim, "partition_interval", &n_null);
  if (n_null)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("invalid number of partitions: must be between 1 and 32767")));
  const char* column = NameStr(*DatumGetName(col));
  const int64 n = pg_strtoint64(TextDatumGetCString(n_text));
  const bool if_not_exists = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
  bool created;
  const int32 id = add_hash_dimension(PG_GETARG_OID(0), column, n, if_not_exists, &created);
  Hypertable* ht = hypertable_get(PG_GETARG_OID(0));
  return dimension_result(fcinfo, ht, id, column, created, false);
}

// set_number_partitions(hypertable, number_partitions, dimension_name): chunks created from now
// on divide the hash axis into this many slices (existing chunks keep theirs; a new chunk in a
// time range that already has chunks gets a slice shrunk around theirs).
STRATA_FUNCTION(strata_set_number_partitions) {
  if (PG_ARGISNULL(0))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("hypertable cannot be NULL")));
  Hypertable* ht = hypertable_for(PG_GETARG_OID(0), "set_number_partitions");
  if (PG_ARGISNULL(1))
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("number_partitions cannot be NULL")));
  check_num_partitions(PG_GETARG_INT32(1));
  if (ht->num_partitions == 0)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                    errmsg("hypertable \"%s\" has no hash dimension", NameStr(ht->table_name)),
                    errhint("Add one with add_dimension(hypertable, by_hash(column, number_partitions)).")));
  if (!PG_ARGISNULL(2) && strcmp(NameStr(*PG_GETARG_NAME(2)), NameStr(ht->space_column)) != 0)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                    errmsg("hypertable \"%s\" has no hash dimension \"%s\"", NameStr(ht->table_name),
                           NameStr(*PG_GETARG_NAME(2))),
                    errhint("Its hash dimension is \"%s\".", NameStr(ht->space_column))));
  check_owner(ht->relid);
  catalog_update_num_slices(ht->space_dimension_id, static_cast<int16>(PG_GETARG_INT32(1)));
  PG_RETURN_VOID();
}

// _strata_internal.get_partition_hash(anyelement): the value's partition hash on [0, 2^31).
STRATA_FUNCTION(strata_get_partition_hash) {
  struct HashState {
    Oid type;
    FmgrInfo proc;
  };
  auto* state = static_cast<HashState*>(fcinfo->flinfo->fn_extra);
  const Oid type = get_fn_expr_argtype(fcinfo->flinfo, 0);
  if (state == nullptr || state->type != type) {
    if (!OidIsValid(type))
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("could not determine the argument type")));
    state = static_cast<HashState*>(MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(HashState)));
    fmgr_info_cxt(space_hash_proc(type), &state->proc, fcinfo->flinfo->fn_mcxt);
    state->type = type;
    fcinfo->flinfo->fn_extra = state;
  }
  PG_RETURN_INT32(static_cast<int32>(space_hash_value(&state->proc, PG_GET_COLLATION(), PG_GETARG_DATUM(0), false)));
}
