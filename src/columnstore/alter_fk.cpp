// Foreign keys validated over compressed rows (alter_fk.hpp). PostgreSQL validates a new foreign
// key with a query on the table alone (ONLY), which for a compressed chunk reads its row part:
// here the hypertable is read instead, its compressed rows through the columnstore scan, which
// decodes only the columns the query names (the key columns; segmentby keys are the batches'
// plain values). The check groups the keys (hash aggregation spills past work_mem) and anti-joins
// them with the referenced table (index probes or a hash join, the planner's choice), stopping
// at the first missing key.
// C-style glue.
#include "columnstore/alter_fk.hpp"

#include "pg/internal_user.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_operator.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
}

namespace strata::columnstore {

namespace {

const char* operator_sql(Oid opno) {
  HeapTuple tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
  if (!HeapTupleIsValid(tup)) elog(ERROR, "cache lookup failed for operator %u", opno);
  Form_pg_operator op = (Form_pg_operator)GETSTRUCT(tup);
  const char* sql =
      psprintf("OPERATOR(%s.%s)", quote_identifier(get_namespace_name(op->oprnamespace)), NameStr(op->oprname));
  ReleaseSysCache(tup);
  return sql;
}

char* constraint_def(Oid conoid) {
  return TextDatumGetCString(DirectFunctionCall1(pg_get_constraintdef, ObjectIdGetDatum(conoid)));
}

// Whether the hypertable has a validated foreign key of that name and definition: a chunk's copy
// of it is checked by the hypertable's validation (run after the chunks got their copies).
bool checked_by_hypertable(const Hypertable* ht, const char* conname, Oid conoid) {
  Oid htcon = get_relation_constraint_oid(ht->relid, conname, true);
  if (!OidIsValid(htcon)) return false;
  HeapTuple tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(htcon));
  if (!HeapTupleIsValid(tup)) return false;
  Form_pg_constraint c = (Form_pg_constraint)GETSTRUCT(tup);
  const bool fk = c->contype == CONSTRAINT_FOREIGN && c->convalidated;
  ReleaseSysCache(tup);
  return fk && strcmp(constraint_def(htcon), constraint_def(conoid)) == 0;
}

}  // namespace

void fk_validate(Oid relid, const Hypertable* ht, const char* scope, Oid conoid) {
  HeapTuple tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
  if (!HeapTupleIsValid(tup)) return;
  Form_pg_constraint con = (Form_pg_constraint)GETSTRUCT(tup);
  if (con->contype != CONSTRAINT_FOREIGN) {
    ReleaseSysCache(tup);
    return;
  }
  const char* conname = pstrdup(NameStr(con->conname));
  const Oid pkrelid = con->confrelid;
  const bool match_full = con->confmatchtype == FKCONSTR_MATCH_FULL;
  int nkeys = 0;
  AttrNumber fkatts[INDEX_MAX_KEYS];
  AttrNumber pkatts[INDEX_MAX_KEYS];
  Oid pf_eq[INDEX_MAX_KEYS];
  Oid pp_eq[INDEX_MAX_KEYS];
  Oid ff_eq[INDEX_MAX_KEYS];
  DeconstructFkConstraintRow(tup, &nkeys, fkatts, pkatts, pf_eq, pp_eq, ff_eq, nullptr, nullptr);
  ReleaseSysCache(tup);
  if (relid != ht->relid && checked_by_hypertable(ht, conname, conoid)) return;

  // SELECT fk.keys FROM hypertable fk WHERE scope AND keys not null AND NOT EXISTS (a referenced
  // row with equal keys) LIMIT 1; as PostgreSQL's validation: MATCH SIMPLE checks rows whose key
  // has no NULL, MATCH FULL rows whose key is not all NULL.
  const bool pk_partitioned = get_rel_relkind(pkrelid) == RELKIND_PARTITIONED_TABLE;
  StringInfoData cols, notnull, eq, names;
  initStringInfo(&cols);
  initStringInfo(&notnull);
  initStringInfo(&eq);
  initStringInfo(&names);
  for (int k = 0; k < nkeys; ++k) {
    const char* fk = quote_identifier(get_attname(relid, fkatts[k], false));
    const char* pk = quote_identifier(get_attname(pkrelid, pkatts[k], false));
    appendStringInfo(&cols, "%sfk.%s", k > 0 ? ", " : "", fk);
    appendStringInfo(&names, "%s%s", k > 0 ? ", " : "", fk);
    appendStringInfo(&notnull, "%sfk.%s IS NOT NULL", k > 0 ? (match_full ? " OR " : " AND ") : "", fk);
    appendStringInfo(&eq, "%spk.%s %s fk.%s", k > 0 ? " AND " : "", pk, operator_sql(pf_eq[k]), fk);
  }
  // The distinct keys first (one probe of the referenced table each; a segmentby key is a batch's
  // value), when every key column's type can be grouped.
  bool groupable = true;
  for (int k = 0; k < nkeys; ++k)
    groupable &= OidIsValid(lookup_type_cache(get_atttype(relid, fkatts[k]), TYPECACHE_EQ_OPR)->eq_opr);
  const char* keys =
      groupable ? psprintf("(SELECT %s FROM %s fk WHERE (%s) AND (%s) GROUP BY %s)", cols.data, pg::qualified_relname(ht->relid),
                           scope, notnull.data, cols.data)
                : psprintf("(SELECT %s FROM %s fk WHERE (%s) AND (%s))", cols.data, pg::qualified_relname(ht->relid), scope,
                           notnull.data);
  const char* sql = psprintf("SELECT fk.* FROM %s fk WHERE NOT EXISTS (SELECT 1 FROM %s%s pk WHERE %s) LIMIT 1", keys,
                             pk_partitioned ? "" : "ONLY ", pg::qualified_relname(pkrelid), eq.data);

  // As PostgreSQL's validation: whatever the caller may read, and without row-level security.
  MemoryContext caller = CurrentMemoryContext;
  StringInfoData vals;
  initStringInfo(&vals);
  pg::InternalUser user;
  pg::internal_user_begin(&user, true);
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  // The chunks' constraints are the hypertable's: constraint exclusion must not skip any.
  (void)set_config_option("constraint_exclusion", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
  const int rc = SPI_execute(sql, false, 1);
  if (rc != SPI_OK_SELECT) elog(ERROR, "columnstore: foreign key validation query failed (%d): %s", rc, sql);
  bool found = SPI_processed > 0;
  bool mixed = false;
  if (found) {
    MemoryContext old = MemoryContextSwitchTo(caller);
    for (int k = 0; k < nkeys; ++k) {
      char* v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, k + 1);
      mixed |= v == nullptr;
      appendStringInfo(&vals, "%s%s", k > 0 ? ", " : "", v == nullptr ? "null" : v);
    }
    MemoryContextSwitchTo(old);
  }
  SPI_finish();
  pg::internal_user_end(&user);
  if (!found) return;
  Relation rel = RelationIdGetRelation(relid);
  const char* relname = get_rel_name(relid);
  if (mixed && match_full)
    ereport(ERROR, (errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
                    errmsg("insert or update on table \"%s\" violates foreign key constraint \"%s\"", relname, conname),
                    errdetail("MATCH FULL does not allow mixing of null and nonnull key values."),
                    errtableconstraint(rel, conname)));
  ereport(ERROR, (errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
                  errmsg("insert or update on table \"%s\" violates foreign key constraint \"%s\"", relname, conname),
                  errdetail("Key (%s)=(%s) is not present in table \"%s\".", names.data, vals.data,
                            get_rel_name(pkrelid)),
                  errtableconstraint(rel, conname)));
}

}  // namespace strata::columnstore
