// Carries DDL made on a hypertable over to its chunks (indexes, constraints, triggers, privileges,
// drops) and keeps _strata_catalog in step with renames.
#include "ddl/ddl.hpp"

#include "hypertable/chunk.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "access/attmap.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_trigger.h"
#include "commands/defrem.h"
#include "commands/tablecmds.h"
#include "nodes/makefuncs.h"
#include "commands/trigger.h"
#include "lib/stringinfo.h"
}

namespace strata::ddl {

void lock_relation(Oid relid, LOCKMODE mode) { table_close(table_open(relid, mode), NoLock); }

List* index_oids(Oid relid) {
  Relation rel = table_open(relid, AccessShareLock);
  List* result = RelationGetIndexList(rel);  // a copy
  table_close(rel, AccessShareLock);
  return result;
}

List* foreign_key_oids(Oid relid) {
  Relation rel = table_open(relid, AccessShareLock);
  List* result = NIL;
  ListCell* lc;
  foreach (lc, RelationGetFKeyList(rel)) {
    result = lappend_oid(result, lfirst_node(ForeignKeyCacheInfo, lc)->conoid);
  }
  table_close(rel, AccessShareLock);
  return result;
}

void check_unique_index(const Hypertable* ht, Oid index_oid) {
  HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(index_oid));
  if (!HeapTupleIsValid(tuple)) elog(ERROR, "cache lookup failed for index %u", index_oid);
  Form_pg_index index = (Form_pg_index)GETSTRUCT(tuple);
  bool unique = index->indisunique;
  bool exclusion = index->indisexclusion;
  bool has_time = false;
  bool has_space = ht->num_partitions == 0;
  for (int i = 0; i < index->indnkeyatts; i++) {
    if (index->indkey.values[i] == ht->time_attno) has_time = true;
    if (ht->num_partitions > 0 && index->indkey.values[i] == ht->space_attno) has_space = true;
  }
  ReleaseSysCache(tuple);
  if ((unique || exclusion) && has_time && !has_space) {
    ereport(ERROR,
            (errcode(ERRCODE_INVALID_TABLE_DEFINITION),
             errmsg("cannot create a %s without the column \"%s\" (used in partitioning)",
                    exclusion ? "exclusion constraint" : "unique index", NameStr(ht->space_column)),
             errhint("Chunks enforce uniqueness separately; add \"%s\" to the key columns.",
                     NameStr(ht->space_column))));
  }
  if ((unique || exclusion) && !has_time) {
    ereport(ERROR,
            (errcode(ERRCODE_INVALID_TABLE_DEFINITION),
             errmsg("cannot create a %s without the column \"%s\" (used in partitioning)",
                    exclusion ? "exclusion constraint" : "unique index", NameStr(ht->time_column)),
             errhint("Chunks enforce uniqueness separately; add \"%s\" to the key columns.",
                     NameStr(ht->time_column))));
  }
}

static Oid chunk_namespace(const ChunkInfo* chunk) {
  return get_namespace_oid(NameStr(chunk->schema_name), true);
}

static char* chunk_qualified_name(const ChunkInfo* chunk) {
  return quote_qualified_identifier(NameStr(chunk->schema_name), NameStr(chunk->table_name));
}

// Chunk indexes that already implement some index of the hypertable, as "<chunk id>/<name>"
// strings (a List of char*).
static List* mapped_chunk_indexes(const Hypertable* ht, List* ht_indexes) {
  List* result = NIL;
  ListCell* lc;
  foreach (lc, ht_indexes) {
    char* ht_index_name = get_rel_name(lfirst_oid(lc));
    if (ht_index_name == nullptr) continue;
    List* chunk_ids = NIL;
    List* names = catalog_chunk_indexes_of(ht->id, ht_index_name, &chunk_ids);
    ListCell* ln;
    ListCell* lci;
    forboth (ln, names, lci, chunk_ids) {
      result = lappend(result, psprintf("%d/%s", lfirst_int(lci), (const char*)lfirst(ln)));
    }
  }
  return result;
}

static bool string_member(List* list, const char* s) {
  ListCell* lc;
  foreach (lc, list) {
    if (strcmp((const char*)lfirst(lc), s) == 0) return true;
  }
  return false;
}

// A valid index of the chunk, not implementing another hypertable index, that is equivalent to
// hypertable index `ht_index_oid` (same columns, expressions, predicate, opclasses, collations,
// uniqueness, and a constraint behind it exactly when the hypertable index has one): such an
// index, made by hand (e.g. CONCURRENTLY, chunk by chunk) is adopted instead of built again.
static Oid equivalent_chunk_index(const Hypertable* ht, const ChunkInfo* chunk, Oid ht_index_oid,
                                  List* mapped) {
  Relation parent = table_open(ht->relid, AccessShareLock);
  Relation child = table_open(chunk->relid, AccessShareLock);
  AttrMap* attmap = build_attrmap_by_name(RelationGetDescr(child), RelationGetDescr(parent));
  List* candidates = RelationGetIndexList(child);
  table_close(child, NoLock);
  table_close(parent, NoLock);

  Relation ht_index = index_open(ht_index_oid, AccessShareLock);
  IndexInfo* ht_info = BuildIndexInfo(ht_index);
  bool ht_constraint = OidIsValid(get_index_constraint(ht_index_oid));
  Oid found = InvalidOid;
  ListCell* lc;
  foreach (lc, candidates) {
    Oid candidate = lfirst_oid(lc);
    if (string_member(mapped, psprintf("%d/%s", chunk->id, get_rel_name(candidate)))) continue;
    if (OidIsValid(get_index_constraint(candidate)) != ht_constraint) continue;
    Relation index = index_open(candidate, AccessShareLock);
    bool same = index->rd_index->indisvalid &&
                CompareIndexInfo(BuildIndexInfo(index), ht_info, index->rd_indcollation,
                                 ht_index->rd_indcollation, index->rd_opfamily, ht_index->rd_opfamily,
                                 attmap);
    index_close(index, NoLock);
    if (same) {
      found = candidate;
      break;
    }
  }
  index_close(ht_index, NoLock);
  return found;
}

void clone_new_indexes(const Hypertable* ht, List* before, bool to_chunks) {
  List* after = index_oids(ht->relid);
  List* chunks = NIL;
  List* mapped = NIL;
  // With no "before" list (reconcile_chunks), every index is looked at and any of them may
  // already be mapped.
  List* known = before != NIL ? before : after;
  ListCell* lc;
  foreach (lc, after) {
    Oid index_oid = lfirst_oid(lc);
    if (list_member_oid(before, index_oid)) continue;
    check_unique_index(ht, index_oid);
    if (!to_chunks) continue;
    const char* index_name = get_rel_name(index_oid);
    if (chunks == NIL) {
      chunks = chunk_list_all(ht);
      mapped = mapped_chunk_indexes(ht, known);
    }
    ListCell* cc;
    foreach (cc, chunks) {
      ChunkInfo* chunk = (ChunkInfo*)lfirst(cc);
      if (!OidIsValid(chunk->relid)) continue;
      // A mapping row means the chunk has (or, during pg_restore, will get) this index.
      if (catalog_chunk_index_for(chunk->id, index_name) != nullptr) continue;
      Oid existing = equivalent_chunk_index(ht, chunk, index_oid, mapped);
      if (OidIsValid(existing)) {
        char* existing_name = get_rel_name(existing);
        catalog_insert_chunk_index(chunk->id, existing_name, ht->id, index_name);
        mapped = lappend(mapped, psprintf("%d/%s", chunk->id, existing_name));
        CommandCounterIncrement();
        continue;
      }
      chunk_clone_index(ht, chunk, index_oid);
      mapped = lappend(mapped, psprintf("%d/%s", chunk->id, catalog_chunk_index_for(chunk->id, index_name)));
    }
  }
}

// The constraint named `name` on `relid` with type `contype`, or InvalidOid.
static Oid constraint_of(Oid relid, const char* name, char contype) {
  Oid conoid = get_relation_constraint_oid(relid, name, true);
  if (!OidIsValid(conoid)) return InvalidOid;
  HeapTuple tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
  if (!HeapTupleIsValid(tuple)) return InvalidOid;
  char type = ((Form_pg_constraint)GETSTRUCT(tuple))->contype;
  ReleaseSysCache(tuple);
  return type == contype ? conoid : InvalidOid;
}

void clone_new_foreign_keys(const Hypertable* ht, List* before, bool to_chunks) {
  if (!to_chunks) return;
  List* after = foreign_key_oids(ht->relid);
  List* chunks = NIL;
  ListCell* lc;
  foreach (lc, after) {
    Oid conoid = lfirst_oid(lc);
    if (list_member_oid(before, conoid)) continue;
    char* name = get_constraint_name(conoid);
    if (chunks == NIL) chunks = chunk_list_all(ht);
    ListCell* cc;
    foreach (cc, chunks) {
      ChunkInfo* chunk = (ChunkInfo*)lfirst(cc);
      if (!OidIsValid(chunk->relid)) continue;
      // Already there: pg_restore re-created it, or ALTER COLUMN TYPE rebuilt it on both sides.
      if (OidIsValid(get_relation_constraint_oid(chunk->relid, name, true))) continue;
      chunk_clone_foreign_key(chunk, conoid);
    }
  }
}

void reconcile_chunks(const Hypertable* ht) {
  clone_new_indexes(ht, NIL, true);
  clone_new_foreign_keys(ht, NIL, true);
  Relation rel = table_open(ht->relid, AccessShareLock);
  TriggerDesc* triggers = rel->trigdesc;
  List* cloned = NIL;
  List* names = NIL;
  for (int i = 0; triggers != nullptr && i < triggers->numtriggers; i++) {
    if (trigger_is_cloned_to_chunks(triggers->triggers[i].tgoid)) {
      cloned = lappend_oid(cloned, triggers->triggers[i].tgoid);
      names = lappend(names, pstrdup(triggers->triggers[i].tgname));
    }
  }
  table_close(rel, AccessShareLock);
  ListCell* lo;
  ListCell* ln;
  forboth (lo, cloned, ln, names) clone_trigger_to_chunks(ht, lfirst_oid(lo), (const char*)lfirst(ln), false);
  copy_acl_to_chunks(ht);
}

void drop_chunk_indexes(const Hypertable* ht, const char* ht_index_name, DropBehavior behavior) {
  List* chunk_ids = NIL;
  List* names = catalog_chunk_indexes_of(ht->id, ht_index_name, &chunk_ids);
  ObjectAddresses* objects = new_object_addresses();
  ListCell* ln;
  ListCell* lc;
  forboth (ln, names, lc, chunk_ids) {
    ChunkInfo chunk;
    if (!chunk_get_by_id(lfirst_int(lc), &chunk) || !OidIsValid(chunk.relid)) continue;
    Oid nspid = chunk_namespace(&chunk);
    Oid index_oid = OidIsValid(nspid) ? get_relname_relid((const char*)lfirst(ln), nspid) : InvalidOid;
    if (!OidIsValid(index_oid)) continue;
    lock_relation(chunk.relid, AccessExclusiveLock);
    ObjectAddress object;
    Oid conoid = get_index_constraint(index_oid);
    if (OidIsValid(conoid)) {
      ObjectAddressSet(object, ConstraintRelationId, conoid);
    } else {
      ObjectAddressSet(object, RelationRelationId, index_oid);
    }
    add_exact_object_address(&object, objects);
  }
  performMultipleDeletions(objects, behavior, 0);
  free_object_addresses(objects);
  catalog_delete_chunk_indexes_of(ht->id, ht_index_name);
}

void forget_chunk_indexes(const Hypertable* ht, const char* ht_index_name) {
  catalog_delete_chunk_indexes_of(ht->id, ht_index_name);
}

void drop_chunk_constraints(const Hypertable* ht, const char* name, DropBehavior behavior) {
  ObjectAddresses* objects = new_object_addresses();
  ListCell* lc;
  foreach (lc, chunk_list_all(ht)) {
    ChunkInfo* chunk = (ChunkInfo*)lfirst(lc);
    if (!OidIsValid(chunk->relid)) continue;
    Oid conoid = constraint_of(chunk->relid, name, CONSTRAINT_FOREIGN);
    if (!OidIsValid(conoid)) continue;
    lock_relation(chunk->relid, AccessExclusiveLock);
    ObjectAddress object;
    ObjectAddressSet(object, ConstraintRelationId, conoid);
    add_exact_object_address(&object, objects);
  }
  performMultipleDeletions(objects, behavior, 0);
  free_object_addresses(objects);
}

void rename_chunk_constraints(const Hypertable* ht, const char* old_name, const char* new_name) {
  ListCell* lc;
  foreach (lc, chunk_list_all(ht)) {
    ChunkInfo* chunk = (ChunkInfo*)lfirst(lc);
    if (!OidIsValid(chunk->relid) || !OidIsValid(constraint_of(chunk->relid, old_name, CONSTRAINT_FOREIGN)))
      continue;
    run_internal_ddl(psprintf("ALTER TABLE %s RENAME CONSTRAINT %s TO %s", chunk_qualified_name(chunk),
                              quote_identifier(old_name), quote_identifier(new_name)));
  }
}

void clone_trigger_to_chunks(const Hypertable* ht, Oid trigger_oid, const char* name, bool replace) {
  ListCell* lc;
  foreach (lc, chunk_list_all(ht)) {
    ChunkInfo* chunk = (ChunkInfo*)lfirst(lc);
    if (!OidIsValid(chunk->relid)) continue;
    Oid existing = get_trigger_oid(chunk->relid, name, true);
    if (OidIsValid(existing)) {
      // Without OR REPLACE an existing trigger of that name is the clone pg_restore made.
      if (!replace) continue;
      ObjectAddress object;
      ObjectAddressSet(object, TriggerRelationId, existing);
      performDeletion(&object, DROP_RESTRICT, 0);
      CommandCounterIncrement();
    }
    chunk_clone_trigger(chunk, trigger_oid);
  }
}

void drop_chunk_triggers(const Hypertable* ht, const char* name, DropBehavior behavior) {
  ObjectAddresses* objects = new_object_addresses();
  ListCell* lc;
  foreach (lc, chunk_list_all(ht)) {
    ChunkInfo* chunk = (ChunkInfo*)lfirst(lc);
    if (!OidIsValid(chunk->relid)) continue;
    Oid trigger_oid = get_trigger_oid(chunk->relid, name, true);
    if (!OidIsValid(trigger_oid)) continue;
    lock_relation(chunk->relid, AccessExclusiveLock);
    ObjectAddress object;
    ObjectAddressSet(object, TriggerRelationId, trigger_oid);
    add_exact_object_address(&object, objects);
  }
  performMultipleDeletions(objects, behavior, 0);
  free_object_addresses(objects);
}

void rename_chunk_triggers(const Hypertable* ht, const char* old_name, const char* new_name) {
  ListCell* lc;
  foreach (lc, chunk_list_all(ht)) {
    ChunkInfo* chunk = (ChunkInfo*)lfirst(lc);
    if (!OidIsValid(chunk->relid) || !OidIsValid(get_trigger_oid(chunk->relid, old_name, true))) continue;
    run_internal_ddl(psprintf("ALTER TRIGGER %s ON %s RENAME TO %s", quote_identifier(old_name),
                              chunk_qualified_name(chunk), quote_identifier(new_name)));
  }
}

void alter_chunk_triggers(const Hypertable* ht, const AlterTableCmd* cmd) {
  const char* action = nullptr;
  switch (cmd->subtype) {
    case AT_EnableTrig:
    case AT_EnableTrigAll:
    case AT_EnableTrigUser:
      action = "ENABLE";
      break;
    case AT_EnableAlwaysTrig:
      action = "ENABLE ALWAYS";
      break;
    case AT_EnableReplicaTrig:
      action = "ENABLE REPLICA";
      break;
    case AT_DisableTrig:
    case AT_DisableTrigAll:
    case AT_DisableTrigUser:
      action = "DISABLE";
      break;
    default:
      return;
  }
  const char* target;
  switch (cmd->subtype) {
    case AT_EnableTrigAll:
    case AT_DisableTrigAll:
      target = "ALL";
      break;
    case AT_EnableTrigUser:
    case AT_DisableTrigUser:
      target = "USER";
      break;
    default:
      target = nullptr;
      break;
  }
  ListCell* lc;
  foreach (lc, chunk_list_all(ht)) {
    ChunkInfo* chunk = (ChunkInfo*)lfirst(lc);
    if (!OidIsValid(chunk->relid)) continue;
    if (target == nullptr && !OidIsValid(get_trigger_oid(chunk->relid, cmd->name, true))) continue;
    run_internal_ddl(psprintf("ALTER TABLE %s %s TRIGGER %s", chunk_qualified_name(chunk), action,
                              target != nullptr ? target : quote_identifier(cmd->name)));
  }
}

void alter_chunks(const Hypertable* ht, List* cmds) {
  ListCell* lc;
  foreach (lc, chunk_list_all(ht)) {
    ChunkInfo* chunk = (ChunkInfo*)lfirst(lc);
    if (OidIsValid(chunk->relid)) AlterTableInternal(chunk->relid, (List*)copyObjectImpl(cmds), false);
  }
  CommandCounterIncrement();
}

void reindex_chunks(const Hypertable* ht, const ReindexStmt* stmt) {
  ListCell* lc;
  foreach (lc, chunk_list_all(ht)) {
    ChunkInfo* chunk = (ChunkInfo*)lfirst(lc);
    if (!OidIsValid(chunk->relid)) continue;
    ReindexStmt* copy = (ReindexStmt*)copyObjectImpl(stmt);
    copy->relation = makeRangeVar(pstrdup(NameStr(chunk->schema_name)), pstrdup(NameStr(chunk->table_name)), -1);
    ExecReindex(nullptr, copy, false);
  }
}

void copy_acl_to_chunks(const Hypertable* ht) {
  ListCell* lc;
  foreach (lc, chunk_list_all(ht)) {
    ChunkInfo* chunk = (ChunkInfo*)lfirst(lc);
    if (OidIsValid(chunk->relid)) chunk_copy_owner_and_acl(chunk->relid, ht->relid);
  }
}

void drop_chunks(const Hypertable* ht, DropBehavior behavior) {
  List* chunks = chunk_list_all(ht);
  ObjectAddresses* objects = new_object_addresses();
  ListCell* lc;
  foreach (lc, chunks) {
    ChunkInfo* chunk = (ChunkInfo*)lfirst(lc);
    if (!OidIsValid(chunk->relid)) continue;
    ObjectAddress object;
    ObjectAddressSet(object, RelationRelationId, chunk->relid);
    add_exact_object_address(&object, objects);
  }
  performMultipleDeletions(objects, behavior, 0);
  free_object_addresses(objects);
  foreach (lc, chunks) catalog_delete_chunk(((ChunkInfo*)lfirst(lc))->id);
  CommandCounterIncrement();
}

}  // namespace strata::ddl
