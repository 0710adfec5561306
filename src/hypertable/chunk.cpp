// Chunk creation on demand and cloning of the hypertable's indexes, foreign keys, row triggers,
// owner and privileges onto each chunk.
#include "hypertable/chunk.hpp"

#include "core/time/chunk_range.hpp"
#include "pg/guard.hpp"
#include "pg/internal_user.hpp"

extern "C" {
#include "access/attmap.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_tablespace.h"
#include "catalog/pg_trigger.h"
#include "commands/defrem.h"
#include "commands/tablecmds.h"
#include "commands/tablespace.h"
#include "commands/trigger.h"
#include "datatype/timestamp.h"
#include "executor/executor.h"
#include "nodes/execnodes.h"
#include "nodes/makefuncs.h"
#include "parser/parse_utilcmd.h"
#include "rewrite/rewriteManip.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/timestamp.h"
}

namespace strata {

namespace {

// Runs one statement through SPI. Callers wrap it (and any other DDL that builds a chunk) in
// pg::internal_user_begin(..., true) / internal_user_end: the bootstrap superuser in a
// security-restricted context with a safe search_path.
void execute_internal(const char* sql) {
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  int rc = SPI_execute(sql, false, 0);
  if (rc < 0) elog(ERROR, "internal statement failed (%d): %s", rc, sql);
  SPI_finish();
}

// ISO-8601 text of a PostgreSQL timestamp in UTC (no time zone suffix).
void format_timestamp(int64 pg_ts, StringInfo out) {
  struct pg_tm tm;
  fsec_t fsec;
  if (timestamp2tm(pg_ts, nullptr, &tm, &fsec, nullptr, nullptr) != 0)
    ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE), errmsg("chunk boundary out of range")));
  int year = tm.tm_year > 0 ? tm.tm_year : -(tm.tm_year - 1);
  appendStringInfo(out, "%04d-%02d-%02d %02d:%02d:%02d.%06d%s", year, tm.tm_mon, tm.tm_mday,
                   tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(fsec),
                   tm.tm_year > 0 ? "" : " BC");
}

void format_date(int32 pg_date, StringInfo out) {
  int y, m, d;
  j2date(pg_date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
  appendStringInfo(out, "%04d-%02d-%02d%s", y > 0 ? y : -(y - 1), m, d, y > 0 ? "" : " BC");
}

// `col >= <start>` / `col < <end>` with a literal of the column's type.
void append_bound(StringInfo out, const Hypertable* ht, int64 v, bool lower) {
  appendStringInfo(out, "%s OPERATOR(pg_catalog.%s) ", quote_identifier(NameStr(ht->time_column)), lower ? ">=" : "<");
  switch (ht->kind) {
    case TimeKind::timestamptz:
      appendStringInfoChar(out, '\'');
      format_timestamp(core::unix_usec_to_pg_timestamp(v), out);
      appendStringInfoString(out, "+00'::pg_catalog.timestamptz");
      break;
    case TimeKind::timestamp:
      appendStringInfoChar(out, '\'');
      format_timestamp(core::unix_usec_to_pg_timestamp(v), out);
      appendStringInfoString(out, "'::pg_catalog.timestamp");
      break;
    case TimeKind::date:
      appendStringInfoChar(out, '\'');
      format_date(core::unix_usec_to_pg_date_ceil(v), out);
      appendStringInfoString(out, "'::pg_catalog.date");
      break;
    case TimeKind::int16:
      appendStringInfo(out, "'" INT64_FORMAT "'::pg_catalog.int2", v);
      break;
    case TimeKind::int32:
      appendStringInfo(out, "'" INT64_FORMAT "'::pg_catalog.int4", v);
      break;
    case TimeKind::int64:
      appendStringInfo(out, "'" INT64_FORMAT "'::pg_catalog.int8", v);
      break;
  }
}

// WITH (...) and TABLESPACE clauses copied from the hypertable.
void append_storage_clauses(StringInfo sql, Oid ht_relid) {
  HeapTuple tup = SearchSysCache1(RELOID, ObjectIdGetDatum(ht_relid));
  if (!HeapTupleIsValid(tup)) elog(ERROR, "cache lookup failed for relation %u", ht_relid);
  bool isnull;
  Datum opts = SysCacheGetAttr(RELOID, tup, Anum_pg_class_reloptions, &isnull);
  if (!isnull) {
    ArrayType* arr = DatumGetArrayTypeP(opts);
    Datum* elems;
    int n;
    deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, nullptr, &n);
    appendStringInfoString(sql, " WITH (");
    for (int i = 0; i < n; i++) {
      char* kv = TextDatumGetCString(elems[i]);
      char* eq = strchr(kv, '=');
      if (eq == nullptr) continue;
      *eq = '\0';
      appendStringInfo(sql, "%s%s = %s", i > 0 ? ", " : "", quote_identifier(kv), quote_literal_cstr(eq + 1));
    }
    appendStringInfoChar(sql, ')');
  }
  Oid spc = reinterpret_cast<Form_pg_class>(GETSTRUCT(tup))->reltablespace;
  ReleaseSysCache(tup);
  if (OidIsValid(spc)) appendStringInfo(sql, " TABLESPACE %s", quote_identifier(get_tablespace_name(spc)));
}

// The aligned range for `value`, shrunk around chunks made with an earlier interval. With a hash
// dimension, the range of the chunks (of other slices) that already hold `value`: time ranges are
// shared, never partly overlapping.
core::ChunkRange new_chunk_range(const Hypertable* ht, int64 value) {
  if (ht->num_partitions > 0) {
    List* same = chunk_list_overlapping(ht, value, value, true);
    if (same != NIL) {
      auto* c = static_cast<ChunkInfo*>(linitial(same));
      return core::ChunkRange{c->range_start, c->range_end};
    }
  }
  int64 min, max;
  time_type_domain(ht->time_type, &min, &max);
  // (called from INSERT and COPY, outside any cpp_entry: core errors become ereports here)
  core::ChunkRange r =
      pg::cpp_entry([&] { return core::chunk_range_for(value, ht->interval, core::Domain{min, max}); });
  int64 hi = r.end == core::kOpenEnd ? PG_INT64_MAX : r.end - 1;
  List* neighbours = chunk_list_overlapping(ht, r.start, hi, true);
  int n = list_length(neighbours);
  if (n == 0) return r;
  auto* ranges = static_cast<core::ChunkRange*>(palloc(sizeof(core::ChunkRange) * n));
  int i = 0;
  ListCell* lc;
  foreach (lc, neighbours) {
    auto* c = static_cast<ChunkInfo*>(lfirst(lc));
    ranges[i++] = core::ChunkRange{c->range_start, c->range_end};
  }
  return pg::cpp_entry([&] { return core::cut_range(r, value, ranges, n); });
}

// The hash slice [*start, *end) of a new chunk holding `hash` in time range `r`: slice
// floor(hash / (2^31 / n)) of the dimension's n (the last one up to the end of the axis), shrunk
// around the slices of chunks already in that time range (made with another n).
void new_space_slice(const Hypertable* ht, core::ChunkRange r, int64 hash, int64* start, int64* end) {
  *start = 0;
  *end = kHashAxisEnd;
  if (ht->num_partitions <= 0) return;
  const int64 n = ht->num_partitions;
  const int64 width = kHashAxisEnd / n;
  const int64 i = Min(hash / width, n - 1);
  *start = i * width;
  *end = i == n - 1 ? kHashAxisEnd : (i + 1) * width;
  const int64 hi = r.end == core::kOpenEnd ? PG_INT64_MAX : r.end - 1;
  ListCell* lc;
  foreach (lc, chunk_list_overlapping(ht, r.start, hi, true)) {
    auto* c = static_cast<ChunkInfo*>(lfirst(lc));
    if (c->space_end <= hash) *start = Max(*start, c->space_end);
    if (c->space_start > hash) *end = Min(*end, c->space_start);
  }
}

// `_strata_internal.get_partition_hash(col) OP value`
void append_hash_bound(StringInfo out, const Hypertable* ht, int64 v, bool lower) {
  appendStringInfo(out, "_strata_internal.get_partition_hash(%s) OPERATOR(pg_catalog.%s) " INT64_FORMAT,
                   quote_identifier(NameStr(ht->space_column)), lower ? ">=" : "<", v);
}

Oid create_chunk_table(const Hypertable* ht, int32 chunk_id, core::ChunkRange r, int64 space_start,
                       int64 space_end, char* table_name) {
  snprintf(table_name, NAMEDATALEN, "_hyper_%d_%d_chunk", ht->id, chunk_id);
  StringInfoData sql;
  initStringInfo(&sql);
  appendStringInfo(&sql, "CREATE TABLE _strata_internal.%s (", quote_identifier(table_name));
  bool has_lower = r.start != core::kOpenStart, has_upper = r.end != core::kOpenEnd;
  if (has_lower || has_upper) {
    appendStringInfo(&sql, "CONSTRAINT %s CHECK (", kChunkRangeConstraint);
    if (has_lower) append_bound(&sql, ht, r.start, true);
    if (has_lower && has_upper) appendStringInfoString(&sql, " AND ");
    if (has_upper) append_bound(&sql, ht, r.end, false);
    appendStringInfoChar(&sql, ')');
  }
  // The hash slice: rows whose partition hash falls in it (NULLs, which route to hash 0, pass
  // every chunk's check as NULL).
  bool space_lower = space_start > 0, space_upper = space_end < kHashAxisEnd;
  if (space_lower || space_upper) {
    if (has_lower || has_upper) appendStringInfoString(&sql, ", ");
    appendStringInfoString(&sql, "CONSTRAINT _strata_space CHECK (");
    if (space_lower) append_hash_bound(&sql, ht, space_start, true);
    if (space_lower && space_upper) appendStringInfoString(&sql, " AND ");
    if (space_upper) append_hash_bound(&sql, ht, space_end, false);
    appendStringInfoChar(&sql, ')');
  }
  appendStringInfo(&sql, ") INHERITS (%s)",
                   quote_qualified_identifier(NameStr(ht->schema_name), NameStr(ht->table_name)));
  append_storage_clauses(&sql, ht->relid);
  run_internal_ddl(sql.data);
  Oid relid = get_relname_relid(table_name, internal_namespace_oid());
  if (!OidIsValid(relid)) elog(ERROR, "chunk table %s was not created", table_name);
  return relid;
}

// Row triggers, foreign keys and indexes of the hypertable, cloned onto a new chunk.
void clone_dependents(const Hypertable* ht, const ChunkInfo* chunk, bool unbuilt_indexes) {
  Relation parent = table_open(ht->relid, AccessShareLock);
  List* indexes = RelationGetIndexList(parent);
  table_close(parent, AccessShareLock);
  ListCell* lc;
  foreach (lc, indexes) chunk_clone_index(ht, chunk, lfirst_oid(lc), unbuilt_indexes);

  ScanKeyData key;
  ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(ht->relid));
  Relation conrel = table_open(ConstraintRelationId, AccessShareLock);
  SysScanDesc scan = systable_beginscan(conrel, ConstraintRelidTypidNameIndexId, true, nullptr, 1, &key);
  HeapTuple tup;
  List* fks = NIL;
  while (HeapTupleIsValid(tup = systable_getnext(scan))) {
    auto* con = reinterpret_cast<Form_pg_constraint>(GETSTRUCT(tup));
    if (con->contype == CONSTRAINT_FOREIGN) fks = lappend_oid(fks, con->oid);
  }
  systable_endscan(scan);
  table_close(conrel, AccessShareLock);
  foreach (lc, fks) chunk_clone_foreign_key(chunk, lfirst_oid(lc));

  ScanKeyInit(&key, Anum_pg_trigger_tgrelid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(ht->relid));
  Relation trigrel = table_open(TriggerRelationId, AccessShareLock);
  scan = systable_beginscan(trigrel, TriggerRelidNameIndexId, true, nullptr, 1, &key);
  List* triggers = NIL;
  while (HeapTupleIsValid(tup = systable_getnext(scan))) {
    auto* trig = reinterpret_cast<Form_pg_trigger>(GETSTRUCT(tup));
    triggers = lappend_oid(triggers, trig->oid);
  }
  systable_endscan(scan);
  table_close(trigrel, AccessShareLock);
  foreach (lc, triggers)
    if (trigger_is_cloned_to_chunks(lfirst_oid(lc))) chunk_clone_trigger(chunk, lfirst_oid(lc));
}

}  // namespace

bool chunk_indexes_can_wait(const ResultRelInfo* rri, bool allow_unique) {
  Relation rel = rri->ri_RelationDesc;
  if (rri->ri_NumIndices == 0 || rel->rd_createSubid == InvalidSubTransactionId || rel->rd_refcnt != 1) return false;
  for (int i = 0; i < rri->ri_NumIndices; i++) {
    Relation idx = rri->ri_IndexRelationDescs[i];
    if (idx == nullptr || idx->rd_refcnt != 1 || (!allow_unique && idx->rd_index->indisunique) ||
        !idx->rd_index->indimmediate || !idx->rd_index->indisready || !idx->rd_index->indisvalid ||
        rri->ri_IndexRelationInfo[i]->ii_ExclusionOps != nullptr)
      return false;
  }
  return RelationGetNumberOfBlocks(rel) == 0;
}

bool chunk_index_unbuilt(Relation idx) { return RelationGetNumberOfBlocks(idx) == 0; }

void chunk_build_unbuilt_index(Relation heap, Relation idx, PresortRows* rows) {
  IndexInfo* info = BuildIndexInfo(idx);
  if (rows != nullptr)
    presort_build_from(heap, idx, info, rows);
  else if (!index_build_presorted(heap, idx, info))
    index_build(heap, idx, info, true, false);
}

void chunk_rebuild_index(Relation heap, Relation idx, bool parallel) {
  RelationSetNewRelfilenode(idx, idx->rd_rel->relpersistence);
  IndexInfo* info = BuildIndexInfo(idx);
  if (index_build_presorted(heap, idx, info)) return;
  index_build(heap, idx, info, true, parallel);
}

void run_internal_ddl(const char* sql) {
  pg::InternalUser s;
  pg::internal_user_begin(&s, true);
  execute_internal(sql);
  pg::internal_user_end(&s);
}

namespace {

// Locks a chunk found for `value` before handing it out: drop_chunks holds AccessExclusiveLock on a
// chunk until it commits, and then the table and its catalog row are gone. Taking the lock
// processes the invalidations: false when the table is gone (looking again sees the drop). *chunk
// is current after the lock: a status change (compression, which ends under AccessExclusiveLock)
// that committed while we waited reset the cache, and then it is read again.
bool lock_found_chunk(const Hypertable* ht, int64 value, int64 hash, ChunkInfo* chunk) {
  const uint64 generation = chunk_cache_generation();
  const uint32 epoch = chunk_relid_epoch();
  const Oid relid = chunk->relid;
  LockRelationOid(relid, RowExclusiveLock);
  // No invalidation of any relation came in while locking (the usual case, and always when this
  // transaction held the lock already): the relid was current when found, so the table exists.
  if (generation == chunk_cache_generation() && epoch == chunk_relid_epoch()) return true;
  if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid))) {
    UnlockRelationOid(relid, RowExclusiveLock);
    return false;
  }
  if (generation == chunk_cache_generation()) return true;
  return chunk_find_by_value(ht, value, chunk, hash) && chunk->relid == relid;
}

}  // namespace

ChunkInfo* chunk_get_or_create(const Hypertable* ht, int64 value, int64 hash, bool unbuilt_indexes) {
  auto* chunk = static_cast<ChunkInfo*>(palloc0(sizeof(ChunkInfo)));
  while (chunk_find_by_value(ht, value, chunk, hash) && OidIsValid(chunk->relid))
    if (lock_found_chunk(ht, value, hash, chunk)) return chunk;

  // Serialise chunk creation per hypertable. ShareUpdateExclusiveLock conflicts with itself but
  // not with the RowExclusiveLock of concurrent inserters; it is what CREATE TABLE ... INHERITS
  // takes on the parent anyway. Re-check: another session may have created the chunk meanwhile.
  LockRelationOid(ht->relid, ShareUpdateExclusiveLock);
  if (chunk_find_by_value(ht, value, chunk, hash)) {
    if (OidIsValid(chunk->relid)) {
      lock_found_chunk(ht, value, hash, chunk);
      return chunk;
    }
    catalog_delete_chunk(chunk->id);  // the table is gone: forget the stale row
    CommandCounterIncrement();
  }

  core::ChunkRange r = new_chunk_range(ht, value);
  int64 space_start, space_end;
  new_space_slice(ht, r, hash, &space_start, &space_end);
  int32 id = catalog_next_chunk_id();
  char table_name[NAMEDATALEN];
  Oid relid = create_chunk_table(ht, id, r, space_start, space_end, table_name);
  catalog_insert_chunk(id, ht->id, "_strata_internal", table_name, r.start, r.end, space_start, space_end);
  CommandCounterIncrement();

  chunk->id = id;
  chunk->hypertable_id = ht->id;
  namestrcpy(&chunk->schema_name, "_strata_internal");
  namestrcpy(&chunk->table_name, table_name);
  chunk->range_start = r.start;
  chunk->range_end = r.end;
  chunk->space_start = space_start;
  chunk->space_end = space_end;
  chunk->relid = relid;

  pg::InternalUser s;
  pg::internal_user_begin(&s, true);
  clone_dependents(ht, chunk, unbuilt_indexes);
  pg::internal_user_end(&s);
  chunk_copy_owner_and_acl(relid, ht->relid);
  CommandCounterIncrement();
  return chunk;
}

void chunk_clone_index(const Hypertable* ht, const ChunkInfo* chunk, Oid ht_index_oid, bool unbuilt) {
  Relation parent = table_open(ht->relid, AccessShareLock);
  Relation chunkrel = table_open(chunk->relid, ShareLock);
  Relation idx = index_open(ht_index_oid, AccessShareLock);
  AttrMap* attmap = build_attrmap_by_name(RelationGetDescr(chunkrel), RelationGetDescr(parent));
  Oid constraint_oid = InvalidOid;
  IndexStmt* stmt = generateClonedIndexStmt(nullptr, idx, attmap, &constraint_oid);
  const char* ht_index_name = pstrdup(RelationGetRelationName(idx));
  stmt->idxname = ChooseRelationName(NameStr(chunk->table_name), nullptr, ht_index_name,
                                     RelationGetNamespace(chunkrel), OidIsValid(constraint_oid));
  stmt->relation = makeRangeVar(pstrdup(NameStr(chunk->schema_name)), pstrdup(NameStr(chunk->table_name)), -1);
  index_close(idx, AccessShareLock);
  table_close(chunkrel, NoLock);
  table_close(parent, AccessShareLock);

  pg::InternalUser s;
  pg::internal_user_begin(&s, true);
  DefineIndex(chunk->relid, stmt, InvalidOid, InvalidOid, InvalidOid, false, false, false, unbuilt, true);
  pg::internal_user_end(&s);
  catalog_insert_chunk_index(chunk->id, stmt->idxname, ht->id, ht_index_name);
  CommandCounterIncrement();
}

void chunk_clone_foreign_key(const ChunkInfo* chunk, Oid constraint_oid) {
  // deparsed under the same search_path it is executed with, so every name it prints resolves
  // to the same object
  pg::InternalUser s;
  pg::internal_user_begin(&s, true);
  char* def = TextDatumGetCString(DirectFunctionCall1(pg_get_constraintdef, ObjectIdGetDatum(constraint_oid)));
  char* name = get_constraint_name(constraint_oid);
  StringInfoData sql;
  initStringInfo(&sql);
  appendStringInfo(&sql, "ALTER TABLE %s ADD CONSTRAINT %s %s",
                   quote_qualified_identifier(NameStr(chunk->schema_name), NameStr(chunk->table_name)),
                   quote_identifier(name), def);
  // PostgreSQL's check of a compressed chunk would read its row part alone: the hypertable's
  // validation checks every row, compressed ones included (columnstore/alter_fk.cpp).
  if ((chunk->status & kChunkStatusCompressed) != 0 && strstr(def, " NOT VALID") == nullptr)
    appendStringInfoString(&sql, " NOT VALID");
  execute_internal(sql.data);
  pg::internal_user_end(&s);
}

bool trigger_is_cloned_to_chunks(Oid trigger_oid) {
  Relation rel = table_open(TriggerRelationId, AccessShareLock);
  ScanKeyData key;
  ScanKeyInit(&key, Anum_pg_trigger_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(trigger_oid));
  SysScanDesc scan = systable_beginscan(rel, TriggerOidIndexId, true, nullptr, 1, &key);
  HeapTuple tup = systable_getnext(scan);
  bool result = false;
  if (HeapTupleIsValid(tup)) {
    auto* t = reinterpret_cast<Form_pg_trigger>(GETSTRUCT(tup));
    // Row triggers, and the statement trigger by which continuous aggregates see writes made
    // into a chunk directly (src/caggs).
    result = (TRIGGER_FOR_ROW(t->tgtype) || strcmp(NameStr(t->tgname), "strata_cagg_invalidation_chunk") == 0) &&
             !t->tgisinternal && strncmp(NameStr(t->tgname), "_strata_", 8) != 0;
  }
  systable_endscan(scan);
  table_close(rel, AccessShareLock);
  return result;
}

void chunk_clone_trigger(const ChunkInfo* chunk, Oid trigger_oid) {
  Relation rel = table_open(TriggerRelationId, AccessShareLock);
  ScanKeyData key;
  ScanKeyInit(&key, Anum_pg_trigger_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(trigger_oid));
  SysScanDesc scan = systable_beginscan(rel, TriggerOidIndexId, true, nullptr, 1, &key);
  HeapTuple tup = systable_getnext(scan);
  if (!HeapTupleIsValid(tup)) elog(ERROR, "could not find trigger %u", trigger_oid);
  auto* t = reinterpret_cast<Form_pg_trigger>(GETSTRUCT(tup));
  Oid parent_relid = t->tgrelid;

  CreateTrigStmt* stmt = makeNode(CreateTrigStmt);
  stmt->trigname = pstrdup(NameStr(t->tgname));
  stmt->relation = makeRangeVar(pstrdup(NameStr(chunk->schema_name)), pstrdup(NameStr(chunk->table_name)), -1);
  stmt->funcname = list_make2(makeString(get_namespace_name(get_func_namespace(t->tgfoid))),
                              makeString(get_func_name(t->tgfoid)));
  stmt->row = TRIGGER_FOR_ROW(t->tgtype);
  stmt->timing = t->tgtype & TRIGGER_TYPE_TIMING_MASK;
  stmt->events = t->tgtype & TRIGGER_TYPE_EVENT_MASK;
  Oid funcoid = t->tgfoid;

  bool isnull;
  if (t->tgnargs > 0) {
    Datum argsd = heap_getattr(tup, Anum_pg_trigger_tgargs, RelationGetDescr(rel), &isnull);
    bytea* ba = DatumGetByteaPP(argsd);
    char* p = VARDATA_ANY(ba);
    for (int i = 0; i < t->tgnargs; i++) {
      stmt->args = lappend(stmt->args, makeString(pstrdup(p)));
      p += strlen(p) + 1;
    }
  }
  for (int i = 0; i < t->tgattr.dim1; i++)
    stmt->columns = lappend(stmt->columns, makeString(get_attname(parent_relid, t->tgattr.values[i], false)));

  Node* when = nullptr;
  Datum qual = heap_getattr(tup, Anum_pg_trigger_tgqual, RelationGetDescr(rel), &isnull);
  if (!isnull) {
    when = static_cast<Node*>(stringToNode(TextDatumGetCString(qual)));
    Relation parent = table_open(parent_relid, AccessShareLock);
    Relation child = table_open(chunk->relid, AccessShareLock);
    AttrMap* map = build_attrmap_by_name(RelationGetDescr(child), RelationGetDescr(parent));
    bool found_whole_row;
    when = map_variable_attnos(when, PRS2_OLD_VARNO, 0, map, InvalidOid, &found_whole_row);
    when = map_variable_attnos(when, PRS2_NEW_VARNO, 0, map, InvalidOid, &found_whole_row);
    table_close(child, AccessShareLock);
    table_close(parent, AccessShareLock);
  }
  systable_endscan(scan);
  table_close(rel, AccessShareLock);

  pg::InternalUser s;
  pg::internal_user_begin(&s, true);
  CreateTrigger(stmt, nullptr, chunk->relid, InvalidOid, InvalidOid, InvalidOid, funcoid, InvalidOid,
                when, false, false);
  pg::internal_user_end(&s);
}

void chunk_copy_owner_and_acl(Oid chunk_relid, Oid ht_relid) {
  HeapTuple ptup = SearchSysCache1(RELOID, ObjectIdGetDatum(ht_relid));
  if (!HeapTupleIsValid(ptup)) elog(ERROR, "cache lookup failed for relation %u", ht_relid);
  Oid owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(ptup))->relowner;
  bool acl_null;
  Datum acl = SysCacheGetAttr(RELOID, ptup, Anum_pg_class_relacl, &acl_null);
  Acl* new_acl = acl_null ? nullptr : DatumGetAclPCopy(acl);
  ReleaseSysCache(ptup);

  HeapTuple ctup = SearchSysCache1(RELOID, ObjectIdGetDatum(chunk_relid));
  if (!HeapTupleIsValid(ctup)) elog(ERROR, "cache lookup failed for relation %u", chunk_relid);
  Oid chunk_owner = reinterpret_cast<Form_pg_class>(GETSTRUCT(ctup))->relowner;
  ReleaseSysCache(ctup);
  if (chunk_owner != owner) {
    StringInfoData sql;
    initStringInfo(&sql);
    appendStringInfo(&sql, "ALTER TABLE %s OWNER TO %s",
                     quote_qualified_identifier(get_namespace_name(get_rel_namespace(chunk_relid)),
                                                get_rel_name(chunk_relid)),
                     quote_identifier(GetUserNameFromId(owner, false)));
    run_internal_ddl(sql.data);
    CommandCounterIncrement();
  }

  Relation class_rel = table_open(RelationRelationId, RowExclusiveLock);
  ctup = SearchSysCacheCopy1(RELOID, ObjectIdGetDatum(chunk_relid));
  Datum old_acl_d = SysCacheGetAttr(RELOID, ctup, Anum_pg_class_relacl, &acl_null);
  Oid* old_members = nullptr;
  int n_old = acl_null ? 0 : aclmembers(DatumGetAclP(old_acl_d), &old_members);
  Oid* new_members = nullptr;
  int n_new = new_acl == nullptr ? 0 : aclmembers(new_acl, &new_members);
  Datum values[Natts_pg_class] = {};
  bool nulls[Natts_pg_class] = {};
  bool repl[Natts_pg_class] = {};
  repl[Anum_pg_class_relacl - 1] = true;
  if (new_acl == nullptr)
    nulls[Anum_pg_class_relacl - 1] = true;
  else
    values[Anum_pg_class_relacl - 1] = PointerGetDatum(new_acl);
  HeapTuple newtup = heap_modify_tuple(ctup, RelationGetDescr(class_rel), values, nulls, repl);
  CatalogTupleUpdate(class_rel, &newtup->t_self, newtup);
  updateAclDependencies(RelationRelationId, chunk_relid, 0, owner, n_old, old_members, n_new, new_members);
  table_close(class_rel, RowExclusiveLock);
  CommandCounterIncrement();
}

bool skip_routed_range_check(ResultRelInfo* rri, EState* estate, bool may_change_row) {
  Relation rel = rri->ri_RelationDesc;
  TupleConstr* constr = RelationGetDescr(rel)->constr;
  if (may_change_row || constr == nullptr || constr->num_check == 0 || rri->ri_ConstraintExprs != nullptr)
    return false;
  if (rri->ri_TrigDesc != nullptr && (rri->ri_TrigDesc->trig_insert_before_row || rri->ri_TrigDesc->trig_insert_instead_row))
    return false;
  const int ncheck = constr->num_check;
  int range = -1;
  for (int i = 0; i < ncheck; i++)
    if (strcmp(constr->check[i].ccname, kChunkRangeConstraint) == 0) range = i;
  if (range < 0) return false;
  MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
  auto* exprs = static_cast<ExprState**>(palloc0(sizeof(ExprState*) * ncheck));
  for (int i = 0; i < ncheck; i++)
    if (i != range) exprs[i] = ExecPrepareExpr(static_cast<Expr*>(stringToNode(constr->check[i].ccbin)), estate);
  rri->ri_ConstraintExprs = exprs;
  MemoryContextSwitchTo(old);
  return true;
}

bool routed_row_needs_constraints(ResultRelInfo* rri, bool range_skipped, AttrNumber time_attno) {
  TupleDesc desc = RelationGetDescr(rri->ri_RelationDesc);
  TupleConstr* constr = desc->constr;
  if (constr == nullptr) return false;
  // (without the skip, a trigger or ON CONFLICT can change the row, say set its time to NULL,
  // after routing; with it, every CHECK but the range's is prepared)
  if (!range_skipped || constr->num_check > 1) return true;
  if (constr->has_not_null)
    for (int a = 0; a < desc->natts; a++)
      if (TupleDescAttr(desc, a)->attnotnull && a + 1 != time_attno) return true;
  return false;
}

}  // namespace strata
