// Statements on continuous aggregates: CREATE MATERIALIZED VIEW ... WITH (timescaledb.continuous)
// (also strata.continuous), ALTER MATERIALIZED VIEW ... SET / OWNER TO / RENAME / SET SCHEMA,
// DROP MATERIALIZED VIEW, and the refusals (REFRESH MATERIALIZED VIEW, DROP VIEW, dropping the
// materialization hypertable).
#include "caggs/internal.hpp"

#include "core/time/chunk_range.hpp"
#include "pg/guard.hpp"
#include "pg/internal_user.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "commands/defrem.h"
#include "commands/trigger.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/ruleutils.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
}

namespace strata::caggs {

namespace {

// Not "_strata_"-prefixed: row triggers with that prefix are not cloned onto chunks.
const char kTriggerName[] = "strata_cagg_invalidation";
const char kTruncateTriggerName[] = "strata_cagg_invalidation_truncate";
// A statement trigger, cloned onto chunks (src/hypertable knows it by name): an INSERT or COPY
// into a chunk by name (or MERGE's INSERT, which reaches a chunk that way) invalidates the chunk's
// range; writes through the hypertable fire it only on the hypertable, where it does nothing.
const char kChunkTriggerName[] = "strata_cagg_invalidation_chunk";

struct Options {
  bool continuous;
  bool continuous_given;
  bool materialized_only;
  bool materialized_only_given;
  bool create_group_indexes;
  bool compress;
  bool compress_given;
};

bool is_our_namespace(const char* ns) {
  return ns != nullptr && (strcmp(ns, "timescaledb") == 0 || strcmp(ns, "strata") == 0);
}

// Parses WITH (...) options of a continuous aggregate; `creating` allows `continuous`.
void parse_options(List* defs, bool creating, Options* o) {
  memset(o, 0, sizeof(*o));
  o->create_group_indexes = true;
  ListCell* lc;
  foreach (lc, defs) {
    DefElem* d = lfirst_node(DefElem, lc);
    if (!is_our_namespace(d->defnamespace))
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("storage parameter \"%s\" is not supported on continuous aggregates", d->defname),
                      errhint("Continuous aggregate options are timescaledb.continuous, timescaledb.materialized_only "
                              "and timescaledb.create_group_indexes.")));
    if (strcmp(d->defname, "continuous") == 0) {
      if (!creating)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("cannot change the \"continuous\" option of a continuous aggregate"),
                        errhint("Drop the continuous aggregate instead.")));
      o->continuous = defGetBoolean(d);
      o->continuous_given = true;
    } else if (strcmp(d->defname, "materialized_only") == 0) {
      o->materialized_only = defGetBoolean(d);
      o->materialized_only_given = true;
    } else if (strcmp(d->defname, "create_group_indexes") == 0) {
      if (!creating)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("create_group_indexes can only be set when the continuous aggregate is created")));
      o->create_group_indexes = defGetBoolean(d);
    } else if (strcmp(d->defname, "finalized") == 0) {
      if (!defGetBoolean(d))
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("continuous aggregates in the partial (non-finalized) form are not supported")));
    } else if (strcmp(d->defname, "compress") == 0 && !creating) {
      o->compress = defGetBoolean(d);
      o->compress_given = true;
    } else if (strcmp(d->defname, "compress") == 0) {
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("compression of continuous aggregates is not supported yet"),
                      errhint("Create the continuous aggregate first, then use ALTER MATERIALIZED VIEW ... SET "
                              "(timescaledb.compress).")));
    } else if (strncmp(d->defname, "compress_", 9) == 0) {
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("option \"%s\" is not supported on continuous aggregates", d->defname),
                      errdetail("The materialization is compressed segmented by the grouping columns and ordered "
                                "by the bucket.")));
    } else {
      ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                      errmsg("unrecognized continuous aggregate option \"%s.%s\"", d->defnamespace, d->defname)));
    }
  }
}

bool wants_continuous(List* defs) {
  ListCell* lc;
  foreach (lc, defs) {
    DefElem* d = lfirst_node(DefElem, lc);
    if (is_our_namespace(d->defnamespace) && strcmp(d->defname, "continuous") == 0) return true;
  }
  return false;
}

const char* current_role_quoted() { return quote_identifier(GetUserNameFromId(GetUserId(), false)); }

const char* interval_literal(const Hypertable* ht, int64 interval) {
  switch (ht->kind) {
    case TimeKind::timestamptz:
    case TimeKind::timestamp:
    case TimeKind::date:
      return psprintf("'" INT64_FORMAT " microseconds'::pg_catalog.interval", interval);
    default:
      return psprintf(INT64_FORMAT "::pg_catalog.int8", interval);
  }
}

void ensure_invalidation_triggers(const Hypertable* raw) {
  const char* rel = quote_qualified_identifier(NameStr(raw->schema_name), NameStr(raw->table_name));
  if (!OidIsValid(get_trigger_oid(raw->relid, kTriggerName, true)))
    run_sql(psprintf("CREATE TRIGGER %s AFTER UPDATE OR DELETE ON %s FOR EACH ROW "
                     "EXECUTE FUNCTION _strata_internal.cagg_invalidation_trigger()",
                     kTriggerName, rel),
            true);
  if (!OidIsValid(get_trigger_oid(raw->relid, kChunkTriggerName, true)))
    run_sql(psprintf("CREATE TRIGGER %s AFTER INSERT ON %s FOR EACH STATEMENT "
                     "EXECUTE FUNCTION _strata_internal.cagg_invalidation_trigger()",
                     kChunkTriggerName, rel),
            true);
  if (!OidIsValid(get_trigger_oid(raw->relid, kTruncateTriggerName, true)))
    run_sql(psprintf("CREATE TRIGGER %s AFTER TRUNCATE ON %s FOR EACH STATEMENT "
                     "EXECUTE FUNCTION _strata_internal.cagg_invalidation_trigger()",
                     kTruncateTriggerName, rel),
            true);
}

void drop_invalidation_triggers(const Hypertable* raw) {
  if (!OidIsValid(raw->relid)) return;
  const char* rel = quote_qualified_identifier(NameStr(raw->schema_name), NameStr(raw->table_name));
  if (OidIsValid(get_trigger_oid(raw->relid, kTriggerName, true)))
    run_sql(psprintf("DROP TRIGGER %s ON %s", kTriggerName, rel), true);
  if (OidIsValid(get_trigger_oid(raw->relid, kChunkTriggerName, true)))
    run_sql(psprintf("DROP TRIGGER %s ON %s", kChunkTriggerName, rel), true);
  if (OidIsValid(get_trigger_oid(raw->relid, kTruncateTriggerName, true)))
    run_sql(psprintf("DROP TRIGGER %s ON %s", kTruncateTriggerName, rel), true);
}

char* bucket_width_text(const QueryInfo* qi) {
  auto* f = reinterpret_cast<FuncExpr*>(qi->bucket_tle->expr);
  Oid type = exprType(static_cast<Node*>(linitial(f->args)));
  Oid out;
  bool varlena;
  getTypeOutputInfo(type, &out, &varlena);
  return OidOutputFunctionCall(out, qi->bucket.args[0]);
}

// ---- CREATE -----------------------------------------------------------------------------------

void create_cagg(CreateTableAsStmt* stmt, bool toplevel) {
  IntoClause* into = stmt->into;
  Options opt;
  parse_options(into->options, true, &opt);
  if (into->tableSpaceName != nullptr)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("TABLESPACE is not supported on continuous aggregates")));
  if (into->accessMethod != nullptr)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("USING is not supported on continuous aggregates")));
  RangeVar* rv = into->rel;
  Oid nsp = RangeVarGetCreationNamespace(rv);
  if (OidIsValid(get_relname_relid(rv->relname, nsp))) {
    if (stmt->if_not_exists) {
      ereport(NOTICE, (errcode(ERRCODE_DUPLICATE_TABLE),
                       errmsg("relation \"%s\" already exists, skipping", rv->relname)));
      return;
    }
    ereport(ERROR, (errcode(ERRCODE_DUPLICATE_TABLE), errmsg("relation \"%s\" already exists", rv->relname)));
  }
  AclResult acl = pg_namespace_aclcheck(nsp, GetUserId(), ACL_CREATE);
  if (acl != ACLCHECK_OK) aclcheck_error(acl, OBJECT_SCHEMA, get_namespace_name(nsp));

  auto* q = static_cast<Query*>(copyObjectImpl(stmt->query));
  // Column names given with the view's name.
  ListCell* name = list_head(into->colNames);
  ListCell* lc;
  foreach (lc, q->targetList) {
    auto* tle = static_cast<TargetEntry*>(lfirst(lc));
    if (tle->resjunk || name == nullptr) continue;
    tle->resname = pstrdup(strVal(lfirst(name)));
    name = lnext(into->colNames, name);
  }
  if (name != nullptr)
    ereport(ERROR, (errcode(ERRCODE_SYNTAX_ERROR), errmsg("too many column names were specified")));
  QueryInfo qi;
  analyze_query(q, &qi);
  foreach (lc, q->targetList) {
    auto* tle = static_cast<TargetEntry*>(lfirst(lc));
    if (!tle->resjunk && (tle->resname == nullptr || strcmp(tle->resname, "?column?") == 0))
      ereport(ERROR, (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
                      errmsg("every column of a continuous aggregate needs a name"),
                      errhint("Name the column with AS, or list the column names after the view's name.")));
  }

  // On another aggregate: whole buckets of it, or a refresh of the lower one could not tell which
  // buckets above it changed.
  if (qi.parent != nullptr) {
    QueryInfo below;
    load_query(qi.parent, &below);
    bool fixed = !qi.bucket.variable && !below.bucket.variable;
    if (fixed && qi.bucket.nominal % below.bucket.nominal != 0)
      ereport(ERROR, (errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
                      errmsg("the bucket width of a continuous aggregate on \"%s\" must be a multiple of its bucket "
                             "width", NameStr(qi.parent->user_name)),
                      errdetail("\"%s\" has buckets of %s.", NameStr(qi.parent->user_name), qi.parent->bucket_width)));
  }
  // Writers of the raw hypertable must not commit unlogged rows between here and our commit.
  LockRelationOid(qi.raw_ht->relid, ShareLock);
  Hypertable* raw = hypertable_get(qi.raw_ht->relid);

  // The materialization hypertable.
  StringInfoData sql;
  initStringInfo(&sql);
  const char* tmp_name = psprintf("_materialized_hypertable_new_%d", MyProcPid);
  appendStringInfo(&sql, "CREATE TABLE _strata_internal.%s (", quote_identifier(tmp_name));
  bool first = true;
  List* group_cols = NIL;
  foreach (lc, q->targetList) {
    auto* tle = static_cast<TargetEntry*>(lfirst(lc));
    if (tle->resjunk) continue;
    Node* e = reinterpret_cast<Node*>(tle->expr);
    appendStringInfo(&sql, "%s%s %s", first ? "" : ", ", quote_identifier(tle->resname),
                     format_type_with_typemod(exprType(e), exprTypmod(e)));
    Oid coll = exprCollation(e);
    if (OidIsValid(coll) && coll != get_typcollation(exprType(e))) {
      appendStringInfo(&sql, " COLLATE %s", generate_collation_name(coll));
    }
    first = false;
    if (tle != qi.bucket_tle && tle->ressortgroupref != 0 &&
        get_sortgroupref_clause_noerr(tle->ressortgroupref, q->groupClause) != nullptr)
      group_cols = lappend(group_cols, tle->resname);
  }
  appendStringInfoChar(&sql, ')');
  // Room in each page for the in-place merges of late rows (its chunks take the hypertable's
  // storage parameters).
  if (guc_cagg_fillfactor < 100 && inc_mergeable(&qi))
    appendStringInfo(&sql, " WITH (fillfactor = %d)", guc_cagg_fillfactor);
  run_sql(sql.data, true);
  CommandCounterIncrement();
  const char* bucket_col = qi.bucket_tle->resname;
  int64 interval = raw->interval > PG_INT64_MAX / 10 ? PG_INT64_MAX : raw->interval * 10;
  run_sql(psprintf("SELECT %s.create_hypertable('_strata_internal.%s'::pg_catalog.regclass, %s.by_range(%s, %s), "
                   "create_default_indexes => false)",
                   ext_schema_quoted(), quote_identifier(tmp_name), ext_schema_quoted(),
                   quote_literal_cstr(bucket_col), interval_literal(raw, interval)),
          true);
  CommandCounterIncrement();
  Oid mat_relid = get_relname_relid(tmp_name, internal_namespace_oid());
  Hypertable* mat = hypertable_get(mat_relid);
  if (mat == nullptr) elog(ERROR, "materialization hypertable was not created");
  const char* mat_name = psprintf("_materialized_hypertable_%d", mat->id);
  run_sql(psprintf("ALTER TABLE _strata_internal.%s RENAME TO %s", quote_identifier(tmp_name),
                   quote_identifier(mat_name)),
          true);
  const char* mat_q = quote_qualified_identifier("_strata_internal", mat_name);
  run_sql(psprintf("CREATE INDEX ON %s (%s DESC)", mat_q, quote_identifier(bucket_col)), true);
  if (opt.create_group_indexes && group_cols != NIL) {
    resetStringInfo(&sql);
    appendStringInfo(&sql, "CREATE INDEX ON %s (", mat_q);
    foreach (lc, group_cols) appendStringInfo(&sql, "%s, ", quote_identifier(static_cast<char*>(lfirst(lc))));
    appendStringInfo(&sql, "%s DESC)", quote_identifier(bucket_col));
    run_sql(sql.data, true);
  }
  run_sql(psprintf("ALTER TABLE %s OWNER TO %s", mat_q, current_role_quoted()), true);

  // The direct view: the defining query.
  const char* direct_name = psprintf("_direct_view_%d", mat->id);
  const char* direct_q = quote_qualified_identifier("_strata_internal", direct_name);
  run_sql(psprintf("CREATE VIEW %s AS %s", direct_q, deparse_query(q)), true);
  run_sql(psprintf("ALTER VIEW %s OWNER TO %s", direct_q, current_role_quoted()), true);

  // The catalog row, and the whole time axis as not materialized.
  Oid types[9] = {INT4OID, INT4OID, INT4OID, NAMEOID, NAMEOID, NAMEOID, NAMEOID, BOOLOID, TEXTOID};
  NameData n_schema, n_name, d_schema, d_name;
  namestrcpy(&n_schema, get_namespace_name(nsp));
  namestrcpy(&n_name, rv->relname);
  namestrcpy(&d_schema, "_strata_internal");
  namestrcpy(&d_name, direct_name);
  // TimescaleDB 2.13 made real-time aggregation opt-in: materialized_only defaults to true.
  bool materialized_only = opt.materialized_only_given ? opt.materialized_only : true;
  Datum values[9] = {Int32GetDatum(mat->id), Int32GetDatum(raw->id),
                     Int32GetDatum(qi.parent != nullptr ? qi.parent->mat_id : 0), NameGetDatum(&n_schema),
                     NameGetDatum(&n_name), NameGetDatum(&d_schema), NameGetDatum(&d_name),
                     BoolGetDatum(materialized_only), CStringGetTextDatum(bucket_width_text(&qi))};
  run_sql_args(
      "INSERT INTO _strata_catalog.continuous_agg VALUES ($1, $2, NULLIF($3, 0), $4, $5, $6, $7, $8, $9, "
      "(-9223372036854775807 - 1), (-9223372036854775807 - 1))",
      9, types, values, true);
  Datum inv[1] = {Int32GetDatum(mat->id)};
  run_sql_args("INSERT INTO _strata_catalog.continuous_agg_invalidation VALUES ($1, (-9223372036854775807 - 1), "
               "9223372036854775807)",
               1, types, inv, true);
  CommandCounterIncrement();
  newest_reset(mat->id);

  // The user view, created as the caller (who needs CREATE on its schema and becomes its owner).
  Cagg* cagg = cagg_get_by_mat_id(mat->id);
  run_sql(psprintf("CREATE VIEW %s AS %s", quote_qualified_identifier(get_namespace_name(nsp), rv->relname),
                   user_view_sql(cagg, &qi, "_strata_internal", mat_name, materialized_only)),
          false);
  ensure_invalidation_triggers(raw);
  CommandCounterIncrement();

  if (!into->skipData) {
    // As a statement of its own (not inside BEGIN, a function or a multi-statement string), the
    // aggregate is committed first and then filled in committed batches, like
    // refresh_continuous_aggregate; otherwise in the creating transaction.
    bool batched = toplevel && !IsTransactionBlock();
    if (batched) {
      if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
      SPI_commit();
    }
    cagg = cagg_get_by_mat_id(mat->id);
    if (cagg == nullptr) elog(ERROR, "continuous aggregate with materialization hypertable %d vanished", mat->id);
    RefreshOptions ropt{false, batched, false, 0, 0, false};
    refresh_window(cagg, core::kOpenStart, core::kOpenEnd, &ropt);
    if (batched) SPI_finish();
  }
}

// ---- DROP -------------------------------------------------------------------------------------

void check_owner(const Cagg* c) {
  if (OidIsValid(c->user_view) && !compat::is_table_owner(c->user_view, GetUserId()))
    aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_MATVIEW, NameStr(c->user_name));
}

void drop_policies(int32 mat_id) {
  Oid types[1] = {INT4OID};
  Datum values[1] = {Int32GetDatum(mat_id)};
  run_sql_args("DELETE FROM _strata_catalog.bgw_job WHERE proc_schema = '_strata_internal' "
               "AND proc_name = 'policy_refresh_continuous_aggregate' "
               "AND (config->>'mat_hypertable_id')::integer = $1",
               1, types, values, true);
}

void drop_cagg(Cagg* c, DropBehavior behavior) {
  check_owner(c);
  List* above = cagg_list_by_raw(c->mat_id);
  if (above != NIL) {
    auto* a = static_cast<Cagg*>(linitial(above));
    ereport(ERROR, (errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
                    errmsg("cannot drop continuous aggregate \"%s\" because continuous aggregate \"%s\" is built on it",
                           NameStr(c->user_name), NameStr(a->user_name)),
                    errhint("Drop continuous aggregate \"%s\" first.", NameStr(a->user_name))));
  }
  if (OidIsValid(c->user_view)) LockRelationOid(c->user_view, AccessExclusiveLock);
  lock_refresh(c->mat_id);
  Hypertable* mat = hypertable_get_by_id(c->mat_id);
  Hypertable* raw = hypertable_get_by_id(c->raw_id);
  drop_policies(c->mat_id);
  const char* cascade = behavior == DROP_CASCADE ? " CASCADE" : "";
  if (OidIsValid(c->user_view))
    run_sql(psprintf("DROP VIEW %s%s", quote_qualified_identifier(NameStr(c->user_schema), NameStr(c->user_name)),
                     cascade),
            true);
  if (OidIsValid(c->direct_view))
    run_sql(psprintf("DROP VIEW %s", quote_qualified_identifier(NameStr(c->direct_schema), NameStr(c->direct_name))),
            true);
  Oid types[1] = {INT4OID};
  Datum values[1] = {Int32GetDatum(c->mat_id)};
  run_sql_args("DELETE FROM _strata_catalog.continuous_agg WHERE mat_hypertable_id = $1", 1, types, values, true);
  CommandCounterIncrement();
  if (mat != nullptr && OidIsValid(mat->relid))
    run_sql(psprintf("DROP TABLE %s", quote_qualified_identifier(NameStr(mat->schema_name), NameStr(mat->table_name))),
            true);
  if (raw != nullptr && cagg_list_by_raw(raw->id) == NIL) drop_invalidation_triggers(raw);
}

bool process_drop(DropStmt* stmt) {
  if (stmt->removeType == OBJECT_VIEW || stmt->removeType == OBJECT_TABLE) {
    // Refuse the parts of a continuous aggregate as plain views or tables.
    ListCell* lc;
    foreach (lc, stmt->objects) {
      RangeVar* rv = makeRangeVarFromNameList(castNode(List, lfirst(lc)));
      Oid relid = RangeVarGetRelid(rv, NoLock, true);
      if (!OidIsValid(relid)) continue;
      Cagg* c = stmt->removeType == OBJECT_VIEW ? cagg_get_by_view(relid) : cagg_get_by_mat_relid(relid);
      if (c != nullptr)
        ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                        errmsg("\"%s\" is %s continuous aggregate \"%s\"", rv->relname,
                               stmt->removeType == OBJECT_VIEW ? "the view of" : "the materialization hypertable of",
                               NameStr(c->user_name)),
                        errhint("Use DROP MATERIALIZED VIEW to drop a continuous aggregate.")));
    }
    return false;
  }
  if (stmt->removeType != OBJECT_MATVIEW) return false;
  List* caggs = NIL;
  int others = 0;
  ListCell* lc;
  foreach (lc, stmt->objects) {
    RangeVar* rv = makeRangeVarFromNameList(castNode(List, lfirst(lc)));
    Oid relid = RangeVarGetRelid(rv, NoLock, true);
    Cagg* c = OidIsValid(relid) ? cagg_get_by_view(relid) : nullptr;
    if (c != nullptr)
      caggs = lappend(caggs, c);
    else if (OidIsValid(relid))
      others++;
  }
  if (caggs == NIL) return false;
  if (others > 0)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot drop continuous aggregates and other materialized views in one statement")));
  // Names that do not exist: the error (or notice) DROP MATERIALIZED VIEW gives.
  foreach (lc, stmt->objects) {
    RangeVar* rv = makeRangeVarFromNameList(castNode(List, lfirst(lc)));
    if (OidIsValid(RangeVarGetRelid(rv, NoLock, true))) continue;
    if (!stmt->missing_ok)
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                      errmsg("materialized view \"%s\" does not exist", rv->relname)));
    ereport(NOTICE, (errmsg("materialized view \"%s\" does not exist, skipping", rv->relname)));
  }
  foreach (lc, caggs) drop_cagg(static_cast<Cagg*>(lfirst(lc)), stmt->behavior);
  return true;
}

// ---- ALTER ------------------------------------------------------------------------------------

void replace_user_view(Cagg* c, bool materialized_only) {
  QueryInfo qi;
  load_query(c, &qi);
  Hypertable* mat = hypertable_get_by_id(c->mat_id);
  Oid types[2] = {INT4OID, BOOLOID};
  Datum values[2] = {Int32GetDatum(c->mat_id), BoolGetDatum(materialized_only)};
  run_sql_args("UPDATE _strata_catalog.continuous_agg SET materialized_only = $2 WHERE mat_hypertable_id = $1", 2,
               types, values, true);
  run_sql(psprintf("CREATE OR REPLACE VIEW %s AS %s",
                   quote_qualified_identifier(NameStr(c->user_schema), NameStr(c->user_name)),
                   user_view_sql(c, &qi, NameStr(mat->schema_name), NameStr(mat->table_name), materialized_only)),
          true);
}

// ALTER MATERIALIZED VIEW v SET (timescaledb.compress = on | off): the columnstore settings of
// the materialization hypertable, segmented by the grouping columns and ordered by the bucket
// (refreshes delete and insert through the columnstore's DML on compressed chunks).
void set_compression(Cagg* c, bool on) {
  Hypertable* mat = hypertable_get_by_id(c->mat_id);
  if (mat == nullptr)
    ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                    errmsg("the materialization hypertable of continuous aggregate \"%s\" is missing",
                           NameStr(c->user_name))));
  const char* mat_q = quote_qualified_identifier(NameStr(mat->schema_name), NameStr(mat->table_name));
  if (!on) {
    run_sql(psprintf("ALTER TABLE %s SET (timescaledb.compress = false)", mat_q), true);
    return;
  }
  QueryInfo qi;
  load_query(c, &qi);
  StringInfoData segs;
  initStringInfo(&segs);
  ListCell* lc;
  foreach (lc, qi.query->targetList) {
    auto* tle = static_cast<TargetEntry*>(lfirst(lc));
    if (tle->resjunk || tle == qi.bucket_tle || tle->ressortgroupref == 0 ||
        get_sortgroupref_clause_noerr(tle->ressortgroupref, qi.query->groupClause) == nullptr)
      continue;
    appendStringInfo(&segs, "%s%s", segs.len > 0 ? ", " : "", quote_identifier(tle->resname));
  }
  const char* orderby = quote_literal_cstr(quote_identifier(NameStr(mat->time_column)));
  if (segs.len > 0) {
    run_sql(psprintf("ALTER TABLE %s SET (timescaledb.compress = true, timescaledb.compress_segmentby = %s, "
                     "timescaledb.compress_orderby = %s)",
                     mat_q, quote_literal_cstr(segs.data), orderby),
            true);
  } else {
    run_sql(psprintf("ALTER TABLE %s SET (timescaledb.compress = true, timescaledb.compress_orderby = %s)", mat_q,
                     orderby),
            true);
  }
}

bool process_alter(AlterTableStmt* stmt) {
  Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
  Cagg* c = OidIsValid(relid) ? cagg_get_by_view(relid) : nullptr;
  if (c == nullptr) return false;
  if (stmt->objtype != OBJECT_MATVIEW) {
    // ALTER VIEW / ALTER TABLE on the view of a continuous aggregate: only renames (RenameStmt)
    // and OWNER TO are followed.
    ListCell* lc;
    foreach (lc, stmt->cmds) {
      if (lfirst_node(AlterTableCmd, lc)->subtype != AT_ChangeOwner)
        ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                        errmsg("\"%s\" is a continuous aggregate", NameStr(c->user_name)),
                        errhint("Use ALTER MATERIALIZED VIEW on continuous aggregates.")));
    }
  }
  check_owner(c);
  LockRelationOid(c->user_view, AccessExclusiveLock);
  ListCell* lc;
  foreach (lc, stmt->cmds) {
    AlterTableCmd* cmd = lfirst_node(AlterTableCmd, lc);
    switch (cmd->subtype) {
      case AT_SetRelOptions: {
        Options opt;
        parse_options(castNode(List, cmd->def), false, &opt);
        if (opt.materialized_only_given && opt.materialized_only != c->materialized_only) {
          replace_user_view(c, opt.materialized_only);
          c->materialized_only = opt.materialized_only;
          CommandCounterIncrement();
        }
        if (opt.compress_given) {
          set_compression(c, opt.compress);
          CommandCounterIncrement();
        }
        break;
      }
      case AT_ChangeOwner: {
        Oid role = get_rolespec_oid(cmd->newowner, false);
        const char* r = quote_identifier(GetUserNameFromId(role, false));
        // As ALTER ... OWNER TO checks: the caller must be able to become the new owner.
        check_is_member_of_role(GetUserId(), role);
        Hypertable* mat = hypertable_get_by_id(c->mat_id);
        run_sql(psprintf("ALTER VIEW %s OWNER TO %s",
                         quote_qualified_identifier(NameStr(c->user_schema), NameStr(c->user_name)), r),
                true);
        run_sql(psprintf("ALTER VIEW %s OWNER TO %s",
                         quote_qualified_identifier(NameStr(c->direct_schema), NameStr(c->direct_name)), r),
                true);
        run_sql(psprintf("ALTER TABLE %s OWNER TO %s",
                         quote_qualified_identifier(NameStr(mat->schema_name), NameStr(mat->table_name)), r),
                true);
        break;
      }
      default:
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("this ALTER MATERIALIZED VIEW command is not supported on continuous aggregates"),
                        errhint("Continuous aggregates support SET (timescaledb.materialized_only = ...), OWNER TO, "
                                "RENAME and SET SCHEMA.")));
    }
  }
  return true;
}

void update_names(const Cagg* c, const char* schema, const char* name) {
  Oid types[3] = {INT4OID, NAMEOID, NAMEOID};
  NameData s, n;
  namestrcpy(&s, schema);
  namestrcpy(&n, name);
  Datum values[3] = {Int32GetDatum(c->mat_id), NameGetDatum(&s), NameGetDatum(&n)};
  run_sql_args("UPDATE _strata_catalog.continuous_agg SET user_view_schema = $2, user_view_name = $3 "
               "WHERE mat_hypertable_id = $1",
               3, types, values, true);
}

bool process_rename(RenameStmt* stmt) {
  if (stmt->relation == nullptr) return false;
  if (stmt->renameType != OBJECT_MATVIEW && stmt->renameType != OBJECT_VIEW && stmt->renameType != OBJECT_TABLE &&
      stmt->renameType != OBJECT_COLUMN)
    return false;
  Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
  Cagg* c = OidIsValid(relid) ? cagg_get_by_view(relid) : nullptr;
  if (c == nullptr) return false;
  if (stmt->renameType == OBJECT_COLUMN)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("renaming columns of continuous aggregates is not supported")));
  check_owner(c);
  // The new name must be free in the schema (as ALTER VIEW checks); the rename itself runs as
  // the extension (ALTER VIEW refuses a materialized view's statement form).
  run_sql(psprintf("ALTER VIEW %s RENAME TO %s",
                   quote_qualified_identifier(NameStr(c->user_schema), NameStr(c->user_name)),
                   quote_identifier(stmt->newname)),
          true);
  update_names(c, NameStr(c->user_schema), stmt->newname);
  return true;
}

bool process_set_schema(AlterObjectSchemaStmt* stmt) {
  if (stmt->relation == nullptr ||
      (stmt->objectType != OBJECT_MATVIEW && stmt->objectType != OBJECT_VIEW && stmt->objectType != OBJECT_TABLE))
    return false;
  Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
  Cagg* c = OidIsValid(relid) ? cagg_get_by_view(relid) : nullptr;
  if (c == nullptr) return false;
  check_owner(c);
  Oid nsp = get_namespace_oid(stmt->newschema, false);
  AclResult acl = pg_namespace_aclcheck(nsp, GetUserId(), ACL_CREATE);
  if (acl != ACLCHECK_OK) aclcheck_error(acl, OBJECT_SCHEMA, stmt->newschema);
  run_sql(psprintf("ALTER VIEW %s SET SCHEMA %s",
                   quote_qualified_identifier(NameStr(c->user_schema), NameStr(c->user_name)),
                   quote_identifier(stmt->newschema)),
          true);
  update_names(c, stmt->newschema, NameStr(c->user_name));
  return true;
}

bool process_refresh_matview(RefreshMatViewStmt* stmt) {
  Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
  Cagg* c = OidIsValid(relid) ? cagg_get_by_view(relid) : nullptr;
  if (c == nullptr) return false;
  ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                  errmsg("\"%s\" is a continuous aggregate", NameStr(c->user_name)),
                  errhint("Use CALL refresh_continuous_aggregate('%s', NULL, NULL) to refresh it.",
                          quote_identifier(NameStr(c->user_name)))));
  return true;
}

bool process(PlannedStmt* pstmt, bool toplevel) {
  Node* node = pstmt->utilityStmt;
  switch (nodeTag(node)) {
    case T_CreateTableAsStmt: {
      auto* stmt = reinterpret_cast<CreateTableAsStmt*>(node);
      if (stmt->objtype != OBJECT_MATVIEW || !wants_continuous(stmt->into->options)) return false;
      Options opt;
      parse_options(stmt->into->options, true, &opt);
      if (!opt.continuous)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("timescaledb.continuous = false is not a continuous aggregate"),
                        errhint("Create an ordinary materialized view without the timescaledb options.")));
      create_cagg(stmt, toplevel);
      return true;
    }
    case T_DropStmt:
      return process_drop(reinterpret_cast<DropStmt*>(node));
    case T_AlterTableStmt:
      return process_alter(reinterpret_cast<AlterTableStmt*>(node));
    case T_RenameStmt:
      return process_rename(reinterpret_cast<RenameStmt*>(node));
    case T_AlterObjectSchemaStmt:
      return process_set_schema(reinterpret_cast<AlterObjectSchemaStmt*>(node));
    case T_RefreshMatViewStmt:
      return process_refresh_matview(reinterpret_cast<RefreshMatViewStmt*>(node));
    default:
      return false;
  }
}

}  // namespace

}  // namespace strata::caggs

namespace strata {

bool caggs_process_utility(PlannedStmt* pstmt, const char* query_string, bool read_only_tree,
                           ProcessUtilityContext context, ParamListInfo params, QueryEnvironment* query_env,
                           DestReceiver* dest, QueryCompletion* qc) {
  if (IsBinaryUpgrade || caggs::internal_depth > 0 || !extension_is_active()) return false;
  switch (nodeTag(pstmt->utilityStmt)) {
    case T_CreateTableAsStmt:
    case T_DropStmt:
    case T_AlterTableStmt:
    case T_RenameStmt:
    case T_AlterObjectSchemaStmt:
    case T_RefreshMatViewStmt:
      break;
    default:
      return false;
  }
  bool toplevel = context == PROCESS_UTILITY_TOPLEVEL;
  bool handled = pg::cpp_entry([&] { return caggs::process(pstmt, toplevel); });
  if (handled && qc != nullptr) {
    switch (nodeTag(pstmt->utilityStmt)) {
      case T_CreateTableAsStmt: SetQueryCompletion(qc, CMDTAG_CREATE_MATERIALIZED_VIEW, 0); break;
      case T_DropStmt: SetQueryCompletion(qc, CMDTAG_DROP_MATERIALIZED_VIEW, 0); break;
      default: SetQueryCompletion(qc, CMDTAG_ALTER_MATERIALIZED_VIEW, 0); break;
    }
  }
  return handled;
}

}  // namespace strata
