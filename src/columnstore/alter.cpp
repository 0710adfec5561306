// Schema changes on a hypertable with compressed chunks (alter.hpp, docs/COLUMNSTORE.md "Schema
// changes"): RENAME COLUMN carried into the companions and settings, constraints validated over
// compressed rows, ALTER COLUMN TYPE rewriting batches one at a time, CREATE INDEX adding minmax
// metadata for the next compressions. C-style glue.
#include "columnstore/alter.hpp"
#include "columnstore/alter_fk.hpp"
#include "columnstore/columnstore.hpp"
#include "columnstore/storage.hpp"
#include "hypertable/chunk.hpp"
#include "pg/compat.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/sysattr.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_relation.h"
#include "parser/parse_type.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
}

namespace strata::columnstore {

// A column whose type ALTER COLUMN TYPE changes.
struct TypeChange {
  AttrNumber attno;  // in the hypertable
  char* name;
  Oid old_typid;
  Expr* expr;          // the conversion, over the hypertable's row before the change
  const char* using_sql;  // the same as SQL over the column alone (segmentby columns)
  bool keeps_order;    // order-preserving and injective: batches stay sorted, segments distinct
};

struct AlterState {
  Oid relid;  // the statement's table (a hypertable, or a compressed chunk)
  Hypertable* ht;
  List* chunks;  // relids of the compressed chunks concerned
  // RENAME COLUMN
  char* old_name;
  char* new_name;
  // constraint validation baselines
  bool validate;
  int natts_before;
  bool* notnull_before;
  List* constraints_before;  // validated constraint oids
  List* indexes_before;
  bool index_stmt;
  const char* scope;  // SQL restriction to the statement's rows when it names a chunk ("true")
  // ALTER COLUMN TYPE
  List* changes;  // TypeChange*
  TupleDesc old_desc;
  List* recompress;  // chunk relids decompressed before, compressed again after
  // DROP COLUMN
  List* dropped;  // names (char*) of the hypertable's columns the statement drops
};

namespace {

bool is_compressed_chunk_relid(Oid relid, ChunkInfo* chunk) {
  return chunk_get_by_relid(relid, chunk) && (chunk->status & kChunkStatusCompressed);
}

// The compressed chunks of a hypertable (relids).
List* compressed_chunks_of(const Hypertable* ht) {
  List* out = NIL;
  ListCell* lc;
  foreach (lc, chunk_list_all(ht)) {
    ChunkInfo* c = (ChunkInfo*)lfirst(lc);
    if ((c->status & kChunkStatusCompressed) && OidIsValid(c->relid)) out = lappend_oid(out, c->relid);
  }
  return out;
}

// Runs a query as the current user and returns whether it produced a row; the first row's
// columns as text in *row (when given).
bool spi_has_row(const char* sql, char*** row = nullptr, int* ncols = nullptr) {
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  // The new constraint is on the chunks already: constraint exclusion must not skip them.
  const int nest = NewGUCNestLevel();
  (void)set_config_option("constraint_exclusion", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
  int rc = SPI_execute(sql, false, 1);
  AtEOXact_GUC(true, nest);
  if (rc != SPI_OK_SELECT) elog(ERROR, "columnstore: validation query failed (%d): %s", rc, sql);
  bool found = SPI_processed > 0;
  if (found && row != nullptr) {
    const int n = SPI_tuptable->tupdesc->natts;
    char** vals = (char**)SPI_palloc(sizeof(char*) * (n + 1));
    for (int i = 0; i < n; ++i) {
      char* v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1);
      vals[i] = v == nullptr ? nullptr : (char*)SPI_palloc(strlen(v) + 1);
      if (v != nullptr) strcpy(vals[i], v);
    }
    *row = vals;
    *ncols = n;
  }
  SPI_finish();
  return found;
}

List* validated_constraints(Oid relid) {
  List* out = NIL;
  MemoryContext caller = CurrentMemoryContext;
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  int rc = SPI_execute(psprintf("SELECT oid FROM pg_catalog.pg_constraint WHERE conrelid = %u AND convalidated", relid),
                       false, 0);
  if (rc != SPI_OK_SELECT) elog(ERROR, "columnstore: reading pg_constraint failed");
  for (uint64 i = 0; i < SPI_processed; ++i) {
    bool isnull;
    Datum d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
    MemoryContext old = MemoryContextSwitchTo(caller);
    out = lappend_oid(out, DatumGetObjectId(d));
    MemoryContextSwitchTo(old);
  }
  SPI_finish();
  return out;
}

const char* refuse_hint() { return "Decompress the hypertable's chunks first with decompress_chunk()."; }

// ---- RENAME COLUMN ----------------------------------------------------------------------------

void finish_rename(AlterState* st) {
  const int32 id = st->ht->id;
  ListCell* lc;
  foreach (lc, st->chunks) {
    ChunkInfo chunk;
    CompressedChunk cc;
    if (!chunk_get_by_relid(lfirst_oid(lc), &chunk) || !storage_chunk_settings(chunk.id, &cc)) continue;
    Oid companion = storage_companion_relid(&cc);
    if (!OidIsValid(companion) || get_attnum(companion, st->old_name) == InvalidAttrNumber) continue;
    run_internal_ddl(psprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", pg::qualified_relname(companion),
                              quote_identifier(st->old_name), quote_identifier(st->new_name)));
  }
  // The settings (the hypertable's and every compressed chunk's copy) name columns.
  const char* o = quote_literal_cstr(st->old_name);
  const char* n = quote_literal_cstr(st->new_name);
  const char* set = psprintf(
      "SET segmentby = array_replace(segmentby, %s::name, %s::name), orderby = array_replace(orderby, %s::name, "
      "%s::name), minmax = array_replace(minmax, %s::name, %s::name), bloom = array_replace(bloom, %s::name, %s::name)",
      o, n, o, n, o, n, o, n);
  run_internal_ddl(psprintf("UPDATE _strata_catalog.compression_settings %s WHERE hypertable_id = %d", set, id));
  run_internal_ddl(psprintf("UPDATE _strata_catalog.compressed_chunk %s WHERE hypertable_id = %d", set, id));
  CommandCounterIncrement();
}

// ---- constraint validation over compressed rows -----------------------------------------------

void validation_baseline(AlterState* st) {
  Relation rel = relation_open(st->relid, AccessShareLock);
  TupleDesc desc = RelationGetDescr(rel);
  st->natts_before = desc->natts;
  st->notnull_before = (bool*)palloc0(sizeof(bool) * (desc->natts + 1));
  for (int i = 0; i < desc->natts; ++i) st->notnull_before[i] = TupleDescAttr(desc, i)->attnotnull;
  st->indexes_before = list_copy(RelationGetIndexList(rel));
  relation_close(rel, NoLock);
  st->constraints_before = validated_constraints(st->relid);
  st->validate = true;
}

// Validation reads the hypertable (its compressed chunks cannot be read by name): the row parts
// PostgreSQL checked already are read again, the compressed rows through the columnstore scan.
void check_not_null(AlterState* st, const char* column) {
  if (spi_has_row(psprintf("SELECT 1 FROM %s WHERE %s AND %s IS NULL LIMIT 1", pg::qualified_relname(st->ht->relid), st->scope,
                           quote_identifier(column))))
    ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
                    errmsg("column \"%s\" of relation \"%s\" contains null values", column, get_rel_name(st->relid)),
                    errdetail("Some of its compressed rows are NULL in it.")));
}

void check_constraint(AlterState* st, Oid conoid) {
  HeapTuple tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
  if (!HeapTupleIsValid(tup)) return;
  Form_pg_constraint con = (Form_pg_constraint)GETSTRUCT(tup);
  const char* conname = pstrdup(NameStr(con->conname));
  const char contype = con->contype;
  ReleaseSysCache(tup);
  const char* relname = get_rel_name(st->relid);
  if (contype == CONSTRAINT_CHECK) {
    char** row;
    int n;
    if (!spi_has_row(psprintf("SELECT pg_catalog.pg_get_expr(conbin, conrelid) FROM pg_catalog.pg_constraint WHERE oid = %u",
                              conoid),
                     &row, &n) ||
        row[0] == nullptr)
      return;
    const char* expr = pstrdup(row[0]);
    if (spi_has_row(psprintf("SELECT 1 FROM %s WHERE %s AND (%s) IS FALSE LIMIT 1", pg::qualified_relname(st->ht->relid), st->scope,
                             expr)))
      ereport(ERROR, (errcode(ERRCODE_CHECK_VIOLATION),
                      errmsg("check constraint \"%s\" of relation \"%s\" is violated by some row", conname, relname),
                      errdetail("Some of its compressed rows violate it.")));
    return;
  }
  if (contype == CONSTRAINT_FOREIGN) return fk_validate(st->relid, st->ht, st->scope, conoid);
  if (contype == CONSTRAINT_EXCLUSION)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot add exclusion constraint \"%s\" to hypertable \"%s\": it has compressed chunks",
                           conname, relname),
                    errhint("%s", refuse_hint())));
  // Unique and primary keys: through their index (check_unique_index).
}

void check_unique_index(AlterState* st, Oid indexoid) {
  HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
  if (!HeapTupleIsValid(tup)) return;
  Form_pg_index idx = (Form_pg_index)GETSTRUCT(tup);
  const bool unique = idx->indisunique;
  const bool nulls_not_distinct = idx->indnullsnotdistinct;
  const bool partial = !heap_attisnull(tup, Anum_pg_index_indpred, nullptr);
  const bool expressions = !heap_attisnull(tup, Anum_pg_index_indexprs, nullptr);
  const int nkeys = idx->indnkeyatts;
  AttrNumber* keys = (AttrNumber*)palloc(sizeof(AttrNumber) * (nkeys + 1));
  for (int k = 0; k < nkeys; ++k) keys[k] = idx->indkey.values[k];
  ReleaseSysCache(tup);
  if (!unique) return;
  const char* idxname = get_rel_name(indexoid);
  if (partial || expressions)
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot create unique index \"%s\" with %s on hypertable \"%s\": it has compressed chunks",
                           idxname, partial ? "a predicate" : "expressions", get_rel_name(st->relid)),
                    errhint("%s", refuse_hint())));
  StringInfoData cols, notnull;
  initStringInfo(&cols);
  initStringInfo(&notnull);
  for (int k = 0; k < nkeys; ++k) {
    const char* name = quote_identifier(get_attname(st->relid, keys[k], false));
    appendStringInfo(&cols, "%s%s", k > 0 ? ", " : "", name);
    appendStringInfo(&notnull, "%s%s IS NOT NULL", k > 0 ? " AND " : "", name);
  }
  // A unique index of a hypertable contains its partitioning columns: keys unique within each
  // chunk are unique across the hypertable.
  char** row;
  int n;
  if (spi_has_row(psprintf("SELECT %s FROM %s WHERE %s%s%s GROUP BY %s HAVING count(*) > 1 LIMIT 1", cols.data,
                           pg::qualified_relname(st->ht->relid), st->scope, nulls_not_distinct ? "" : " AND ",
                           nulls_not_distinct ? "" : notnull.data, cols.data),
                  &row, &n)) {
    StringInfoData vals;
    initStringInfo(&vals);
    for (int i = 0; i < n; ++i) appendStringInfo(&vals, "%s%s", i > 0 ? ", " : "", row[i] == nullptr ? "null" : row[i]);
    ereport(ERROR, (errcode(ERRCODE_UNIQUE_VIOLATION), errmsg("could not create unique index \"%s\"", idxname),
                    errdetail("Key (%s)=(%s) is duplicated.", cols.data, vals.data)));
  }
}

void finish_validation(AlterState* st) {
  CommandCounterIncrement();
  Relation rel = relation_open(st->relid, AccessShareLock);
  TupleDesc desc = RelationGetDescr(rel);
  List* notnull = NIL;
  for (int i = 0; i < desc->natts; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (att->attisdropped || !att->attnotnull) continue;
    if (i < st->natts_before && st->notnull_before[i]) continue;
    notnull = lappend(notnull, pstrdup(NameStr(att->attname)));
  }
  List* indexes = list_copy(RelationGetIndexList(rel));
  relation_close(rel, NoLock);
  // In PostgreSQL's order: index builds, then NOT NULL, then CHECK constraints.
  ListCell* lc;
  foreach (lc, indexes)
    if (!list_member_oid(st->indexes_before, lfirst_oid(lc))) check_unique_index(st, lfirst_oid(lc));
  foreach (lc, notnull) check_not_null(st, (const char*)lfirst(lc));
  foreach (lc, validated_constraints(st->relid))
    if (!list_member_oid(st->constraints_before, lfirst_oid(lc))) check_constraint(st, lfirst_oid(lc));
}

// ---- CREATE INDEX: minmax metadata for the next compressions ------------------------------------

Oid index_am_of(Oid indexoid) {
  HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(indexoid));
  if (!HeapTupleIsValid(tup)) return InvalidOid;
  Oid am = ((Form_pg_class)GETSTRUCT(tup))->relam;
  ReleaseSysCache(tup);
  return am;
}

void finish_index(AlterState* st) {
  CompressionSettings s;
  if (st->ht == nullptr || !catalog_get_compression_settings(st->ht->id, &s)) return;
  Relation rel = relation_open(st->relid, AccessShareLock);
  TupleDesc desc = RelationGetDescr(rel);
  List* add = NIL;
  ListCell* lc;
  foreach (lc, RelationGetIndexList(rel)) {
    if (list_member_oid(st->indexes_before, lfirst_oid(lc))) continue;
    HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
    if (!HeapTupleIsValid(tup)) continue;
    Form_pg_index idx = (Form_pg_index)GETSTRUCT(tup);
    const AttrNumber a = idx->indnkeyatts > 0 ? idx->indkey.values[0] : 0;
    ReleaseSysCache(tup);
    if (index_am_of(lfirst_oid(lc)) != BTREE_AM_OID || a <= 0) continue;
    Form_pg_attribute att = TupleDescAttr(desc, a - 1);
    const char* name = NameStr(att->attname);
    if (storage_name_index(s.segmentby, s.nsegmentby, name) >= 0 || storage_name_index(s.minmax, s.nminmax, name) >= 0)
      continue;
    TypeCacheEntry* tc = lookup_type_cache(att->atttypid, TYPECACHE_CMP_PROC);
    if (!OidIsValid(tc->cmp_proc)) continue;
    bool dup = false;
    ListCell* ac;
    foreach (ac, add) dup |= strcmp((const char*)lfirst(ac), name) == 0;
    if (!dup) add = lappend(add, pstrdup(name));
  }
  relation_close(rel, NoLock);
  if (add == NIL) return;
  char** minmax = (char**)palloc0(sizeof(char*) * (s.nminmax + list_length(add) + 1));
  for (int i = 0; i < s.nminmax; ++i) minmax[i] = s.minmax[i];
  foreach (lc, add) minmax[s.nminmax++] = (char*)lfirst(lc);
  s.minmax = minmax;
  catalog_set_compression_settings(st->ht->id, &s);
  CommandCounterIncrement();
}

// ---- ALTER COLUMN TYPE --------------------------------------------------------------------------

// Whether converting old -> new with the default cast keeps the order of values and tells
// distinct values apart (so sorted batches stay sorted and segments stay distinct).
bool keeps_order(Oid oldt, int32 oldmod, Oid newt, int32 newmod) {
  auto is_int = [](Oid t) { return t == INT2OID || t == INT4OID || t == INT8OID; };
  auto width = [](Oid t) { return t == INT2OID ? 2 : t == INT4OID ? 4 : 8; };
  if (is_int(oldt) && is_int(newt)) return width(newt) >= width(oldt);
  if (oldt == FLOAT4OID && newt == FLOAT8OID) return true;
  auto is_text = [](Oid t) { return t == TEXTOID || t == VARCHAROID; };
  if (is_text(oldt) && is_text(newt)) return newmod < 0 || (oldmod >= 0 && newmod >= oldmod);
  return oldt == newt && oldmod == newmod;
}

void prepare_type_change(AlterState* st, Relation rel, AlterTableCmd* cmd, const char* query_string) {
  ColumnDef* def = (ColumnDef*)cmd->def;
  HeapTuple atttup = SearchSysCacheAttName(st->relid, cmd->name);
  if (!HeapTupleIsValid(atttup)) return;  // PostgreSQL reports it
  Form_pg_attribute att = (Form_pg_attribute)GETSTRUCT(atttup);
  const AttrNumber attno = att->attnum;
  const Oid old_typid = att->atttypid;
  const int32 old_typmod = att->atttypmod;
  const Oid old_coll = att->attcollation;
  ReleaseSysCache(atttup);
  Oid new_typid;
  int32 new_typmod;
  typenameTypeIdAndMod(nullptr, def->typeName, &new_typid, &new_typmod);

  ParseState* pstate = make_parsestate(nullptr);
  pstate->p_sourcetext = query_string;
  ParseNamespaceItem* nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock, nullptr, false, true);
  addNSItemToQuery(pstate, nsitem, false, true, true);
  Node* expr;
  if (def->raw_default != nullptr) {
    expr = transformExpr(pstate, (Node*)copyObjectImpl(def->raw_default), EXPR_KIND_ALTER_COL_TRANSFORM);
    assign_expr_collations(pstate, expr);
  } else {
    expr = (Node*)makeVar(1, attno, old_typid, old_typmod, old_coll, 0);
  }
  expr = coerce_to_target_type(pstate, expr, exprType(expr), new_typid, new_typmod, COERCION_ASSIGNMENT,
                               COERCE_IMPLICIT_CAST, -1);
  if (expr == nullptr) return;  // PostgreSQL reports it
  Bitmapset* vars = nullptr;
  pull_varattnos(expr, 1, &vars);
  int member = -1;
  while ((member = bms_next_member(vars, member)) >= 0) {
    if (member + FirstLowInvalidHeapAttributeNumber != attno)
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("cannot change the type of column \"%s\" of hypertable \"%s\" with a USING expression "
                             "that reads other columns: it has compressed chunks",
                             cmd->name, RelationGetRelationName(rel)),
                      errdetail("Compressed batches are converted one column at a time."),
                      errhint("%s", refuse_hint())));
  }
  auto* tc = (TypeChange*)palloc0(sizeof(TypeChange));
  tc->attno = attno;
  tc->name = pstrdup(cmd->name);
  tc->old_typid = old_typid;
  tc->using_sql = deparse_expression(expr, deparse_context_for(RelationGetRelationName(rel), st->relid), false, false);
  tc->expr = expression_planner((Expr*)expr);
  tc->keeps_order = def->raw_default == nullptr && def->collClause == nullptr &&
                    keeps_order(old_typid, old_typmod, new_typid, new_typmod);
  st->changes = lappend(st->changes, tc);
}

// A chunk whose companion cannot follow the type change in place: its segmentby or orderby column
// changes with a conversion that may reorder or merge values, or the chunk reads an ADD COLUMN
// default from its row part's "missing" value (which PostgreSQL's table rewrite drops).
bool needs_recompression(AlterState* st, Oid chunk_relid) {
  ChunkInfo chunk;
  CompressedChunk cc;
  if (!chunk_get_by_relid(chunk_relid, &chunk) || !storage_chunk_settings(chunk.id, &cc)) return false;
  Oid companion = storage_companion_relid(&cc);
  if (!OidIsValid(companion)) return false;
  Relation rel = table_open(chunk_relid, AccessShareLock);
  TupleDesc desc = RelationGetDescr(rel);
  bool whole = false;
  for (int i = 0; i < desc->natts && !whole; ++i) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (!att->attisdropped && att->atthasmissing && get_attnum(companion, NameStr(att->attname)) == InvalidAttrNumber)
      whole = true;
  }
  table_close(rel, NoLock);
  ListCell* lc;
  foreach (lc, st->changes) {
    auto* tc = (TypeChange*)lfirst(lc);
    const bool ordered = storage_name_index(cc.settings.segmentby, cc.settings.nsegmentby, tc->name) >= 0 ||
                         storage_name_index(cc.settings.orderby, cc.settings.norderby, tc->name) >= 0;
    if (ordered && !tc->keeps_order) whole = true;
  }
  return whole;
}

struct Rewrite {
  TypeChange* tc;
  Relation companion;
  TupleDesc cdesc;
  AttrNumber count_att, data_att, min_att, max_att, nulls_att, bloom_att;
  StorageType old_type, new_type;
  Oid new_coll;
  FmgrInfo cmp, hash;
  bridge::Builder* builder;
  bridge::Decoder* decoder;
  ExprState* expr;
  ExprContext* econtext;
  TupleTableSlot* row;  // the hypertable's old row, the column alone
  EState* estate;  // the conversion's
  ResultRelInfo* rri;
  EState* index_estate;  // index insertion resets its own per-tuple context
  TupleTableSlot* cslot;
  // for the shared dictionaries of a batch's segment (storage_decode)
  const CompressedChunk* cc;
  Snapshot snapshot;
  TupleTableSlot* dslot;
};

AttrNumber companion_att(Relation companion, const char* name) {
  AttrNumber a = get_attnum(RelationGetRelid(companion), name);
  if (a == InvalidAttrNumber) elog(ERROR, "columnstore: companion column \"%s\" missing", name);
  return a;
}

// Converts one batch (companion tuple `tup`) and writes its new version.
void rewrite_batch(Rewrite* w, HeapTuple tup, MemoryContext batch_cxt) {
  MemoryContext old = MemoryContextSwitchTo(batch_cxt);
  const int natts = w->cdesc->natts;
  Datum* values = (Datum*)palloc(sizeof(Datum) * natts);
  bool* nulls = (bool*)palloc(sizeof(bool) * natts);
  heap_deform_tuple(tup, w->cdesc, values, nulls);
  if (!nulls[w->count_att - 1] && storage_is_dictionary_row(DatumGetInt32(values[w->count_att - 1]))) {
    // a dictionary row: no batch to convert
    MemoryContextSwitchTo(old);
    MemoryContextReset(batch_cxt);
    return;
  }
  if (nulls[w->count_att - 1] || nulls[w->data_att - 1])
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("batch without data for column \"%s\"", w->tc->name)));
  const int32 rows = DatumGetInt32(values[w->count_att - 1]);
  bytea* b = DatumGetByteaPP(values[w->data_att - 1]);
  ExecStoreHeapTuple(tup, w->dslot, false);
  storage_decode(w->decoder, (const uint8*)VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), w->old_type.codec_type, w->companion,
                 w->cc->settings.segmentby, w->cc->settings.nsegmentby, w->dslot, w->snapshot);
  ExecClearTuple(w->dslot);
  if (bridge::decoder_rows(w->decoder) != (size_t)rows)
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("batch column \"%s\" has a wrong row count", w->tc->name)));
  bool has = false;
  Datum min = 0, max = 0;
  int32 nnull = 0;
  const AttrNumber attno = w->tc->attno;
  for (int32 r = 0; r < rows; ++r) {
    ExecClearTuple(w->row);
    for (int i = 0; i < w->row->tts_tupleDescriptor->natts; ++i) w->row->tts_isnull[i] = true;
    bool isnull;
    w->row->tts_values[attno - 1] = storage_decoded_datum(w->decoder, (size_t)r, &w->old_type, &isnull);
    w->row->tts_isnull[attno - 1] = isnull;
    ExecStoreVirtualTuple(w->row);
    Datum v = ExecEvalExprSwitchContext(w->expr, w->econtext, &isnull);
    storage_append_datum(w->builder, 0, &w->new_type, v, isnull);
    if (isnull) {
      nnull++;
    } else {
      if (w->bloom_att != InvalidAttrNumber) {
        Datum h = FunctionCall2Coll(&w->hash, w->new_coll, v, Int64GetDatum(0));
        bridge::builder_add_bloom_hash(w->builder, 0, (uint64)DatumGetInt64(h));
      }
      if (w->min_att != InvalidAttrNumber) {
        if (!has) {
          min = max = datumCopy(v, w->new_type.typbyval, w->new_type.typlen);
          has = true;
        } else if (DatumGetInt32(FunctionCall2Coll(&w->cmp, w->new_coll, v, min)) < 0) {
          min = datumCopy(v, w->new_type.typbyval, w->new_type.typlen);
        } else if (DatumGetInt32(FunctionCall2Coll(&w->cmp, w->new_coll, v, max)) > 0) {
          max = datumCopy(v, w->new_type.typbyval, w->new_type.typlen);
        }
      }
    }
    bridge::builder_end_row(w->builder);
  }
  bridge::builder_finish(w->builder);
  const uint8* data;
  size_t len;
  const uint8* bloom;
  size_t bloom_len;
  bridge::builder_column(w->builder, 0, &data, &len, &bloom, &bloom_len);
  if (len > MaxAllocSize - VARHDRSZ)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("compressed batch column too large")));
  bytea* nb = (bytea*)palloc(len + VARHDRSZ);
  SET_VARSIZE(nb, len + VARHDRSZ);
  memcpy(VARDATA(nb), data, len);
  values[w->data_att - 1] = PointerGetDatum(nb);
  if (w->min_att != InvalidAttrNumber) {
    values[w->min_att - 1] = min;
    nulls[w->min_att - 1] = !has;
    values[w->max_att - 1] = max;
    nulls[w->max_att - 1] = !has;
    values[w->nulls_att - 1] = Int32GetDatum(nnull);
    nulls[w->nulls_att - 1] = false;
  }
  if (w->bloom_att != InvalidAttrNumber) {
    nulls[w->bloom_att - 1] = bloom == nullptr;
    if (bloom != nullptr) {
      bytea* f = (bytea*)palloc(bloom_len + VARHDRSZ);
      SET_VARSIZE(f, bloom_len + VARHDRSZ);
      memcpy(VARDATA(f), bloom, bloom_len);
      values[w->bloom_att - 1] = PointerGetDatum(f);
    }
  }
  HeapTuple newtup = heap_form_tuple(w->cdesc, values, nulls);
  simple_heap_update(w->companion, &tup->t_self, newtup);
  if (w->rri->ri_NumIndices > 0 && !HeapTupleIsHeapOnly(newtup)) {
    ExecStoreHeapTuple(newtup, w->cslot, false);
    compat::insert_index_tuples(w->rri, w->cslot, w->index_estate);
    ExecClearTuple(w->cslot);
  }
  MemoryContextSwitchTo(old);
  MemoryContextReset(batch_cxt);
  ResetExprContext(w->econtext);
}

void rewrite_chunk_column(AlterState* st, TypeChange* tc, Oid chunk_relid) {
  ChunkInfo chunk;
  CompressedChunk cc;
  if (!chunk_get_by_relid(chunk_relid, &chunk) || !storage_chunk_settings(chunk.id, &cc)) return;
  Oid companion_relid = storage_companion_relid(&cc);
  if (!OidIsValid(companion_relid) || get_attnum(companion_relid, tc->name) == InvalidAttrNumber) return;
  HeapTuple atttup = SearchSysCacheAttName(st->relid, tc->name);
  if (!HeapTupleIsValid(atttup)) elog(ERROR, "columnstore: column \"%s\" vanished", tc->name);
  Form_pg_attribute att = (Form_pg_attribute)GETSTRUCT(atttup);
  const Oid new_typid = att->atttypid;
  const char* new_type_sql = storage_type_sql(att->atttypid, att->atttypmod, att->attcollation);
  const Oid new_coll = att->attcollation;
  ReleaseSysCache(atttup);
  const char* qcomp = pg::qualified_relname(companion_relid);

  if (storage_name_index(cc.settings.segmentby, cc.settings.nsegmentby, tc->name) >= 0) {
    // A segment value: a plain type change of the companion's column.
    run_internal_ddl(psprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s", qcomp, quote_identifier(tc->name),
                              new_type_sql, tc->using_sql));
    CommandCounterIncrement();
    return;
  }
  const int k = storage_name_index(cc.settings.minmax, cc.settings.nminmax, tc->name) + 1;
  const int kb = storage_name_index(cc.settings.bloom, cc.settings.nbloom, tc->name) + 1;
  char min_name[NAMEDATALEN], max_name[NAMEDATALEN], nulls_name[NAMEDATALEN], bloom_name[NAMEDATALEN];
  storage_min_column(k, min_name);
  storage_max_column(k, max_name);
  storage_nulls_column(k, nulls_name);
  storage_bloom_column(kb, bloom_name);
  if (k > 0) {
    // The min/max columns take the new type without a table rewrite (dropped and added again,
    // they are found by name); every batch's values are computed again below. The companion's
    // index on the first min column goes with it and is built again at the end.
    run_internal_ddl(psprintf("ALTER TABLE %s DROP COLUMN %s, DROP COLUMN %s, ADD COLUMN %s %s, ADD COLUMN %s %s", qcomp,
                              min_name, max_name, min_name, new_type_sql, max_name, new_type_sql));
    CommandCounterIncrement();
  }

  MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "columnstore alter type", ALLOCSET_DEFAULT_SIZES);
  MemoryContext old = MemoryContextSwitchTo(work);
  Rewrite w;
  memset(&w, 0, sizeof w);
  w.tc = tc;
  w.companion = table_open(companion_relid, RowExclusiveLock);
  w.cdesc = RelationGetDescr(w.companion);
  w.count_att = companion_att(w.companion, kCountColumn);
  w.data_att = companion_att(w.companion, tc->name);
  if (k > 0) {
    w.min_att = companion_att(w.companion, min_name);
    w.max_att = companion_att(w.companion, max_name);
    w.nulls_att = companion_att(w.companion, nulls_name);
    TypeCacheEntry* tce = lookup_type_cache(new_typid, TYPECACHE_CMP_PROC_FINFO);
    if (!OidIsValid(tce->cmp_proc_finfo.fn_oid))
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                      errmsg("column \"%s\" of type %s cannot keep its minmax metadata", tc->name,
                             format_type_be(new_typid)),
                      errdetail("Type %s has no default btree operator class.", format_type_be(new_typid)),
                      errhint("Remove the column from timescaledb.compress_orderby / compress_index first.")));
    fmgr_info_copy(&w.cmp, &tce->cmp_proc_finfo, work);
  }
  if (kb > 0) {
    w.bloom_att = companion_att(w.companion, bloom_name);
    TypeCacheEntry* tce = lookup_type_cache(new_typid, TYPECACHE_HASH_EXTENDED_PROC_FINFO);
    if (!OidIsValid(tce->hash_extended_proc_finfo.fn_oid))
      ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                      errmsg("column \"%s\" of type %s cannot keep its bloom filter", tc->name, format_type_be(new_typid)),
                      errhint("Remove the column from timescaledb.compress_index first.")));
    fmgr_info_copy(&w.hash, &tce->hash_extended_proc_finfo, work);
  }
  w.new_coll = new_coll;
  storage_type(tc->old_typid, &w.old_type);
  storage_type(new_typid, &w.new_type);
  const uint8 types[1] = {w.new_type.codec_type};
  const bool blooms[1] = {kb > 0};
  w.builder = storage_builder_create(types, blooms, 1);
  w.decoder = storage_decoder_create();
  w.estate = CreateExecutorState();
  w.expr = ExecPrepareExpr(tc->expr, w.estate);
  w.econtext = GetPerTupleExprContext(w.estate);
  w.row = MakeSingleTupleTableSlot(st->old_desc, &TTSOpsVirtual);
  w.econtext->ecxt_scantuple = w.row;
  w.index_estate = CreateExecutorState();
  w.rri = makeNode(ResultRelInfo);
  InitResultRelInfo(w.rri, w.companion, 0, nullptr, 0);
  ExecOpenIndices(w.rri, false);
  w.cslot = MakeSingleTupleTableSlot(w.cdesc, &TTSOpsHeapTuple);
  MemoryContext batch_cxt = AllocSetContextCreate(work, "columnstore alter batch", ALLOCSET_DEFAULT_SIZES);

  // The batches as they are now; the new versions (this command id) are not seen again.
  CommandCounterIncrement();
  Snapshot snap = RegisterSnapshot(GetLatestSnapshot());
  w.cc = &cc;
  w.snapshot = snap;
  w.dslot = MakeSingleTupleTableSlot(w.cdesc, &TTSOpsHeapTuple);
  TableScanDesc scan = table_beginscan(w.companion, snap, 0, nullptr);
  HeapTuple tup;
  while ((tup = heap_getnext(scan, ForwardScanDirection)) != nullptr) {
    CHECK_FOR_INTERRUPTS();
    rewrite_batch(&w, tup, batch_cxt);
  }
  table_endscan(scan);
  UnregisterSnapshot(snap);
  ExecDropSingleTupleTableSlot(w.cslot);
  ExecDropSingleTupleTableSlot(w.dslot);
  ExecDropSingleTupleTableSlot(w.row);
  ExecCloseIndices(w.rri);
  FreeExecutorState(w.estate);
  FreeExecutorState(w.index_estate);
  table_close(w.companion, NoLock);
  MemoryContextSwitchTo(old);
  MemoryContextDelete(work);
  CommandCounterIncrement();

  if (k == 1 && (cc.settings.nsegmentby > 0 || cc.settings.nminmax > 0)) {
    // The companion's index on (segmentby columns..., first min column), as compression makes it.
    StringInfoData sql;
    initStringInfo(&sql);
    appendStringInfo(&sql, "CREATE INDEX ON %s (", qcomp);
    for (int i = 0; i < cc.settings.nsegmentby; ++i) appendStringInfo(&sql, "%s, ", quote_identifier(cc.settings.segmentby[i]));
    appendStringInfo(&sql, "%s)", min_name);
    run_internal_ddl(sql.data);
    CommandCounterIncrement();
  }
}

// The companion's sizes in the chunk's compressed_chunk row, measured again after its batches
// were rewritten (chunk_compression_stats).
void refresh_compressed_sizes(Oid chunk_relid) {
  ChunkInfo chunk;
  CompressedChunk cc;
  if (!chunk_get_by_relid(chunk_relid, &chunk) || !storage_chunk_settings(chunk.id, &cc)) return;
  Oid companion = storage_companion_relid(&cc);
  if (!OidIsValid(companion)) return;
  const int64 table = DatumGetInt64(DirectFunctionCall1(pg_table_size, ObjectIdGetDatum(companion)));
  cc.sizes.compressed_index = DatumGetInt64(DirectFunctionCall1(pg_indexes_size, ObjectIdGetDatum(companion)));
  HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(companion));
  Oid toast = InvalidOid;
  if (HeapTupleIsValid(tup)) {
    toast = ((Form_pg_class)GETSTRUCT(tup))->reltoastrelid;
    ReleaseSysCache(tup);
  }
  cc.sizes.compressed_toast =
      OidIsValid(toast) ? DatumGetInt64(DirectFunctionCall1(pg_total_relation_size, ObjectIdGetDatum(toast))) : 0;
  cc.sizes.compressed_heap = table - cc.sizes.compressed_toast;
  catalog_delete_compressed_chunk(chunk.id);
  catalog_insert_compressed_chunk(&cc);
  CommandCounterIncrement();
}

// ---- ADD COLUMN that rewrites the table ----------------------------------------------------------

// Whether an ADD COLUMN makes PostgreSQL rewrite the table to store per-row values (a volatile
// default, identity, serial, a generated column, a domain with constraints): the compressed rows
// cannot get those without being decoded, so the chunks are compressed again.
bool add_column_rewrites(Relation rel, ColumnDef* def) {
  if (def->identity || def->generated || def->identitySequence != nullptr) return true;
  if (def->typeName != nullptr && def->typeName->names != NIL) {
    const char* tn = strVal(llast(def->typeName->names));
    if (strcmp(tn, "serial") == 0 || strcmp(tn, "bigserial") == 0 || strcmp(tn, "smallserial") == 0 ||
        strcmp(tn, "serial4") == 0 || strcmp(tn, "serial8") == 0 || strcmp(tn, "serial2") == 0)
      return true;
    Oid typid;
    int32 typmod;
    Type t = LookupTypeName(nullptr, def->typeName, &typmod, true);
    if (t != nullptr) {
      typid = typeTypeId(t);
      ReleaseSysCache(t);
      if (getBaseType(typid) != typid && DomainHasConstraints(typid)) return true;
    }
  }
  ListCell* lc;
  foreach (lc, def->constraints) {
    Constraint* c = lfirst_node(Constraint, lc);
    if (c->contype == CONSTR_IDENTITY || c->contype == CONSTR_GENERATED) return true;
    if (c->contype == CONSTR_DEFAULT && c->raw_expr != nullptr) {
      ParseState* pstate = make_parsestate(nullptr);
      ParseNamespaceItem* nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock, nullptr, false, true);
      addNSItemToQuery(pstate, nsitem, false, true, true);
      Node* e = transformExpr(pstate, (Node*)copyObjectImpl(c->raw_expr), EXPR_KIND_COLUMN_DEFAULT);
      if (contain_volatile_functions(e)) return true;
    }
  }
  if (def->raw_default != nullptr) {
    ParseState* pstate = make_parsestate(nullptr);
    Node* e = transformExpr(pstate, (Node*)copyObjectImpl(def->raw_default), EXPR_KIND_COLUMN_DEFAULT);
    if (contain_volatile_functions(e)) return true;
  }
  return false;
}

// ---- DROP COLUMN ------------------------------------------------------------------------------
// The companions and the metadata lists find a column by name, so a column dropped and later added
// again under the same name would read the old column's batches and metadata. A segmentby or
// orderby column cannot be dropped at all (0A000, as TimescaleDB refuses it): the batches are
// grouped and ordered by it.

// Never a column's name: names beginning with _strata_ are reserved (42939).
constexpr const char* kDroppedName = "_strata_dropped";

void refuse_dropping_grouping(const CompressionSettings* s, const char* column, const char* ht_name,
                              const char* where) {
  const bool segment = storage_name_index(s->segmentby, s->nsegmentby, column) >= 0;
  if (!segment && storage_name_index(s->orderby, s->norderby, column) < 0) return;
  ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                  errmsg("cannot drop column \"%s\" of hypertable \"%s\": it is %s column of %s", column, ht_name,
                         segment ? "a segmentby" : "an orderby", where),
                  errhint("Change the columnstore settings with ALTER TABLE ... SET (timescaledb.compress_%s = "
                          "...) and recompress or decompress the compressed chunks first.",
                          segment ? "segmentby" : "orderby")));
}

// The columns `stmt` drops from hypertable `ht` (names), after refusing a grouping column of the
// hypertable's settings or of any compressed chunk's.
List* prepare_drop(AlterTableStmt* stmt, const Hypertable* ht, List* chunks) {
  List* out = NIL;
  ListCell* lc;
  foreach (lc, stmt->cmds) {
    AlterTableCmd* cmd = lfirst_node(AlterTableCmd, lc);
    if (cmd->subtype != AT_DropColumn || cmd->name == nullptr) continue;
    const char* ht_name = NameStr(ht->table_name);
    CompressionSettings s;
    if (ht->compression_state != 0 && catalog_get_compression_settings(ht->id, &s))
      refuse_dropping_grouping(&s, cmd->name, ht_name, "the columnstore settings");
    ListCell* cc_lc;
    foreach (cc_lc, chunks) {
      ChunkInfo chunk;
      CompressedChunk cc;
      if (chunk_get_by_relid(lfirst_oid(cc_lc), &chunk) && storage_chunk_settings(chunk.id, &cc))
        refuse_dropping_grouping(&cc.settings, cmd->name, ht_name,
                                 psprintf("compressed chunk \"%s\"", NameStr(chunk.table_name)));
    }
    out = lappend(out, pstrdup(cmd->name));
  }
  return out;
}

// After the drop: the name leaves the hypertable's sparse index settings; each compressed chunk's
// copy gets the reserved name in its place (its metadata columns keep their positions and nothing
// matches the name); the companion's data column is dropped (catalog only: its bytes go at the
// next recompression).
void finish_drop(AlterState* st) {
  ListCell* lc;
  foreach (lc, st->dropped) {
    const char* column = (const char*)lfirst(lc);
    ListCell* cc;
    foreach (cc, st->chunks) {
      ChunkInfo chunk;
      CompressedChunk c;
      if (!chunk_get_by_relid(lfirst_oid(cc), &chunk) || !storage_chunk_settings(chunk.id, &c)) continue;
      Oid companion = storage_companion_relid(&c);
      if (!OidIsValid(companion) || get_attnum(companion, column) == InvalidAttrNumber) continue;
      run_internal_ddl(psprintf("ALTER TABLE %s DROP COLUMN %s", pg::qualified_relname(companion), quote_identifier(column)));
    }
    const char* n = quote_literal_cstr(column);
    const char* d = quote_literal_cstr(kDroppedName);
    run_internal_ddl(psprintf("UPDATE _strata_catalog.compression_settings SET minmax = array_remove(minmax, %s::name), "
                              "bloom = array_remove(bloom, %s::name) WHERE hypertable_id = %d",
                              n, n, st->ht->id));
    run_internal_ddl(psprintf("UPDATE _strata_catalog.compressed_chunk SET minmax = array_replace(minmax, %s::name, "
                              "%s::name), bloom = array_replace(bloom, %s::name, %s::name) WHERE hypertable_id = %d",
                              n, d, n, d, st->ht->id));
  }
  CommandCounterIncrement();
}

// ---- statements ---------------------------------------------------------------------------------

AlterState* new_state(Oid relid, Hypertable* ht, List* chunks) {
  auto* st = (AlterState*)palloc0(sizeof(AlterState));
  st->relid = relid;
  st->ht = ht;
  st->chunks = chunks;
  st->scope = "true";
  return st;
}

// The hypertable behind `relid`, or a compressed chunk's (with *chunk_only set).
Hypertable* target_of(Oid relid, List** chunks) {
  *chunks = NIL;
  Hypertable* ht = hypertable_get(relid);
  if (ht != nullptr) {
    if (ht->compression_state != 0 && catalog_hypertable_has_compressed_chunks(ht->id)) *chunks = compressed_chunks_of(ht);
    return ht;
  }
  ChunkInfo chunk;
  if (is_compressed_chunk_relid(relid, &chunk)) {
    *chunks = list_make1_oid(relid);
    return hypertable_get_by_id(chunk.hypertable_id);
  }
  return nullptr;
}

AlterState* prepare_rename(RenameStmt* r) {
  if (r->renameType != OBJECT_COLUMN || r->relation == nullptr) return nullptr;
  Oid relid = RangeVarGetRelid(r->relation, NoLock, true);
  if (!OidIsValid(relid)) return nullptr;
  Hypertable* ht = hypertable_get(relid);
  CompressionSettings s;
  if (ht == nullptr || !catalog_get_compression_settings(ht->id, &s)) return nullptr;
  LockRelationOid(relid, AccessExclusiveLock);
  if (strncmp(r->newname, kReservedPrefix, strlen(kReservedPrefix)) == 0)
    ereport(ERROR, (errcode(ERRCODE_RESERVED_NAME),
                    errmsg("cannot rename column \"%s\" of hypertable \"%s\" to \"%s\": the name is reserved", r->subname,
                           get_rel_name(relid), r->newname),
                    errdetail("Column names beginning with \"%s\" are reserved for columnstore metadata.",
                              kReservedPrefix)));
  AlterState* st = new_state(relid, ht, ht->compression_state != 0 ? compressed_chunks_of(ht) : NIL);
  st->old_name = pstrdup(r->subname);
  st->new_name = pstrdup(r->newname);
  return st;
}

AlterState* prepare_alter(AlterTableStmt* stmt, const char* query_string) {
  if (stmt->objtype != OBJECT_TABLE) return nullptr;
  bool type_change = false;
  ListCell* lc;
  foreach (lc, stmt->cmds) type_change |= lfirst_node(AlterTableCmd, lc)->subtype == AT_AlterColumnType;
  Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
  if (!OidIsValid(relid)) return nullptr;
  List* chunks;
  Hypertable* ht = target_of(relid, &chunks);
  if (ht == nullptr) return nullptr;
  List* dropped = ht->relid == relid ? prepare_drop(stmt, ht, chunks) : NIL;
  if (chunks == NIL) {
    if (dropped == NIL) return nullptr;
    AlterState* st = new_state(relid, ht, NIL);  // only the settings follow the drop
    st->dropped = dropped;
    return st;
  }
  LockRelationOid(relid, type_change ? AccessExclusiveLock : AccessShareLock);
  AlterState* st = new_state(relid, ht, chunks);
  st->dropped = dropped;
  validation_baseline(st);
  if (ht->relid != relid) {
    // A compressed chunk itself (pg_restore adds its constraints so): its rows are read through
    // the hypertable, restricted by the chunk's own range constraints. PostgreSQL refuses type
    // changes of inherited columns.
    char** row;
    int n;
    if (spi_has_row(psprintf("SELECT string_agg('(' || pg_catalog.pg_get_expr(conbin, conrelid) || ')', ' AND ') "
                             "FROM pg_catalog.pg_constraint WHERE conrelid = %u AND contype = 'c' AND "
                             "conname LIKE '\\_strata\\_%%'",
                             relid),
                    &row, &n) &&
        row[0] != nullptr)
      st->scope = pstrdup(row[0]);
    return st;
  }
  Relation rel = table_open(relid, NoLock);
  bool rewrite_all = false;
  foreach (lc, stmt->cmds) {
    AlterTableCmd* cmd = lfirst_node(AlterTableCmd, lc);
    if (cmd->subtype == AT_AlterColumnType) prepare_type_change(st, rel, cmd, query_string);
    if (cmd->subtype == AT_AddColumn && add_column_rewrites(rel, (ColumnDef*)cmd->def)) rewrite_all = true;
  }
  if (st->changes != NIL || rewrite_all) {
    st->old_desc = CreateTupleDescCopy(RelationGetDescr(rel));
    foreach (lc, st->chunks) {
      Oid chunk = lfirst_oid(lc);
      if (rewrite_all || needs_recompression(st, chunk)) st->recompress = lappend_oid(st->recompress, chunk);
    }
  }
  table_close(rel, NoLock);
  // Chunks compressed again afterwards are decompressed now, before PostgreSQL rewrites them.
  foreach (lc, st->recompress) {
    decompress_chunk(lfirst_oid(lc), false);
    st->chunks = list_delete_oid(st->chunks, lfirst_oid(lc));
  }
  CommandCounterIncrement();
  return st;
}

AlterState* prepare_index(IndexStmt* stmt) {
  if (stmt->concurrent) return nullptr;  // refused on hypertables (src/ddl); commits in between
  Oid relid = RangeVarGetRelid(stmt->relation, NoLock, true);
  if (!OidIsValid(relid)) return nullptr;
  List* chunks;
  Hypertable* ht = target_of(relid, &chunks);
  if (ht == nullptr || ht->relid != relid || ht->compression_state == 0) return nullptr;
  AlterState* st = new_state(relid, ht, chunks);
  validation_baseline(st);
  st->validate = stmt->unique && chunks != NIL;
  st->index_stmt = true;
  return st;
}

}  // namespace

AlterState* alter_prepare(const pg::UtilityCall* call) {
  Node* parsetree = call->pstmt->utilityStmt;
  if (IsA(parsetree, RenameStmt)) return prepare_rename((RenameStmt*)parsetree);
  if (IsA(parsetree, AlterTableStmt)) return prepare_alter((AlterTableStmt*)parsetree, call->query_string);
  if (IsA(parsetree, IndexStmt)) return prepare_index((IndexStmt*)parsetree);
  return nullptr;
}

void alter_finish(AlterState* st) {
  if (st == nullptr) return;
  CommandCounterIncrement();
  if (st->new_name != nullptr) return finish_rename(st);
  if (st->dropped != NIL) finish_drop(st);
  ListCell* lc;
  foreach (lc, st->changes) {
    auto* tc = (TypeChange*)lfirst(lc);
    ListCell* cc;
    foreach (cc, st->chunks) rewrite_chunk_column(st, tc, lfirst_oid(cc));
  }
  if (st->changes != NIL)
    foreach (lc, st->chunks) refresh_compressed_sizes(lfirst_oid(lc));
  foreach (lc, st->recompress) compress_chunk(lfirst_oid(lc), false, false);
  if (st->validate) finish_validation(st);
  if (st->index_stmt) finish_index(st);
}

}  // namespace strata::columnstore
