// The ProcessUtility handler: DDL on a hypertable reaches every chunk, unsupported DDL is refused,
// and the catalog follows renames and drops. PostgreSQL inheritance already carries column
// changes, CHECK constraints and TRUNCATE to the chunks; this handler adds what it does not.
//
// Conventions: ONLY on the hypertable (ALTER TABLE ONLY, CREATE INDEX ON ONLY) keeps index-backed
// and foreign key constraints and indexes on the hypertable alone, which is how pg_dump restores
// them (each chunk's own objects are restored separately). TRUNCATE ONLY of a hypertable is
// refused: its own table is always empty, so it could only be a mistake. Objects that a chunk
// already has (pg_restore created them) are never cloned a second time.
#include "ddl/ddl.hpp"

#include "hypertable/chunk.hpp"
#include "pg/guard.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "catalog/heap.h"
#include "catalog/index.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_constraint.h"
#include "commands/defrem.h"
#include "commands/event_trigger.h"
#include "commands/trigger.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "tcop/utility.h"
#include "utils/acl.h"
}

namespace strata::ddl {
namespace {

// Whether the hook has seen a statement in this backend. Without shared_preload_libraries the
// library may be loaded in the middle of a statement (by the ddl_command_start / end event
// triggers), which then runs without the hook.
bool hook_ran = false;

using pg::UtilityCall;

// A hypertable (or other object) together with a name recorded before standard processing.
struct Named {
  Hypertable* ht;
  char* name;
  char* extra;  // for a constraint: the name of its index, if it has one
  char contype;
  DropBehavior behavior;
};

Named* make_named(Hypertable* ht, const char* name) {
  Named* n = (Named*)palloc0(sizeof(Named));
  n->ht = ht;
  n->name = pstrdup(name);
  return n;
}

Oid relid_of(const RangeVar* rv) {
  return rv != nullptr ? RangeVarGetRelid(rv, NoLock, true) : InvalidOid;
}

Hypertable* hypertable_of(const RangeVar* rv) {
  Oid relid = relid_of(rv);
  return OidIsValid(relid) ? hypertable_get(relid) : nullptr;
}

bool is_chunk(Oid relid) {
  ChunkInfo chunk;
  return OidIsValid(relid) && chunk_get_by_relid(relid, &chunk);
}

bool is_space_column(const Hypertable* ht, const char* column) {
  return column != nullptr && ht->num_partitions > 0 && strcmp(column, NameStr(ht->space_column)) == 0;
}

bool is_time_column(const Hypertable* ht, const char* column) {
  return column != nullptr && strcmp(column, NameStr(ht->time_column)) == 0;
}

// ---- foreign keys referencing hypertables -------------------------------------------------------

void check_foreign_key_target(const Constraint* constraint) {
  if (constraint == nullptr || constraint->contype != CONSTR_FOREIGN) return;
  Oid target = relid_of(constraint->pktable);
  if (OidIsValid(target) && (is_hypertable(target) || is_chunk(target))) {
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("foreign keys referencing hypertable \"%s\" are not supported",
                           constraint->pktable->relname),
                    errdetail("The rows of a hypertable live in its chunks, which a foreign key "
                              "cannot reference.")));
  }
}

void check_column_constraints(const ColumnDef* column) {
  ListCell* lc;
  foreach (lc, column->constraints) check_foreign_key_target((Constraint*)lfirst(lc));
}

void check_table_elements(List* elements) {
  ListCell* lc;
  foreach (lc, elements) {
    Node* node = (Node*)lfirst(lc);
    if (IsA(node, ColumnDef)) check_column_constraints((ColumnDef*)node);
    if (IsA(node, Constraint)) check_foreign_key_target((Constraint*)node);
  }
}

// ---- CREATE INDEX ---------------------------------------------------------------------------

void refuse_concurrent_index(const IndexStmt* stmt) {
  if (stmt->concurrent) {
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("CREATE INDEX CONCURRENTLY is not supported on hypertables"),
                    errhint("Create the index without CONCURRENTLY, or first create it CONCURRENTLY "
                            "on each chunk: CREATE INDEX on the hypertable then adopts those indexes.")));
  }
}

void process_index(const UtilityCall* c, IndexStmt* stmt) {
  // Index statements that ALTER TABLE / CREATE TABLE generate are handled by their parent.
  Hypertable* ht = c->context == PROCESS_UTILITY_SUBCOMMAND ? nullptr : hypertable_of(stmt->relation);
  if (ht == nullptr) return pg::utility_proceed(c);
  refuse_concurrent_index(stmt);
  List* before = index_oids(ht->relid);
  bool to_chunks = stmt->relation->inh;
  pg::utility_proceed(c);
  CommandCounterIncrement();
  clone_new_indexes(ht, before, to_chunks);
}

// ---- ALTER TABLE ----------------------------------------------------------------------------

void refuse_partitioning(const AlterTableCmd* cmd, const Hypertable* ht, bool chunk) {
  Oid partition = relid_of(castNode(PartitionCmd, cmd->def)->name);
  if (ht != nullptr || chunk || is_hypertable(partition) || is_chunk(partition)) {
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("hypertables and chunks do not support declarative partitioning"),
                    errdetail("A hypertable partitions its rows into chunks by itself.")));
  }
}

void refuse_inheritance_change(Oid relid, const AlterTableCmd* cmd, const Hypertable* ht, bool chunk) {
  if (ht != nullptr || chunk) {
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot change the inheritance of %s \"%s\"",
                           ht != nullptr ? "hypertable" : "chunk", get_rel_name(relid)),
                    errdetail("Chunks inherit from their hypertable; strata maintains that link.")));
  }
  if (cmd->subtype == AT_AddInherit && is_hypertable(relid_of((RangeVar*)cmd->def))) {
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot inherit from hypertable \"%s\"", ((RangeVar*)cmd->def)->relname)));
  }
}

// Type changes of the time column that keep every chunk's range constraint meaning the same:
// integers among themselves, date and timestamp among themselves. Anything involving timestamptz
// would compare chunk bounds through the session time zone.
int time_family(TimeKind k) {
  switch (k) {
    case TimeKind::timestamptz:
      return 0;
    case TimeKind::timestamp:
    case TimeKind::date:
      return 1;
    default:
      return 2;
  }
}

Oid check_time_type_change(const Hypertable* ht, const ColumnDef* def) {
  Oid new_type = typenameTypeId(nullptr, def->typeName);
  TimeKind kind;
  if (!time_type_supported(new_type, &kind)) {
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot change the type of column \"%s\" to %s", NameStr(ht->time_column),
                           format_type_be(new_type)),
                    errdetail("The time column of a hypertable must be of type timestamptz, timestamp, "
                              "date, smallint, integer or bigint.")));
  }
  if (new_type != ht->time_type && time_family(kind) != time_family(ht->kind)) {
    ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                    errmsg("cannot change the type of column \"%s\" from %s to %s",
                           NameStr(ht->time_column), format_type_be(ht->time_type),
                           format_type_be(new_type)),
                    errdetail("The time column can change only among smallint, integer and bigint, or "
                              "between date and timestamp.")));
  }
  return new_type;
}

// A constraint of the hypertable about to be dropped or renamed: its type and, when an index
// implements it, the index name (which the chunk_index mapping uses).
Named* describe_constraint(Hypertable* ht, const char* name) {
  Oid conoid = get_relation_constraint_oid(ht->relid, name, true);
  if (!OidIsValid(conoid)) return nullptr;
  HeapTuple tuple = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
  if (!HeapTupleIsValid(tuple)) return nullptr;
  Form_pg_constraint con = (Form_pg_constraint)GETSTRUCT(tuple);
  Named* n = make_named(ht, name);
  n->contype = con->contype;
  if (OidIsValid(con->conindid) && con->contype != CONSTRAINT_FOREIGN) n->extra = get_rel_name(con->conindid);
  ReleaseSysCache(tuple);
  return n;
}

// What an ALTER TABLE on a hypertable means for its chunks, worked out (and refused where it must
// be) before the standard processing.
struct AlterPlan {
  Hypertable* ht;
  bool recurse;
  List* drops;         // Named: constraints being dropped
  List* trigger_cmds;  // ENABLE / DISABLE TRIGGER
  List* option_cmds;   // storage parameters: new chunks copy them, so existing ones follow
  bool owner_changed;
  Oid new_time_type;
};

void plan_alter_table(AlterTableStmt* stmt, AlterPlan* plan) {
  Oid relid = relid_of(stmt->relation);
  Hypertable* ht = OidIsValid(relid) ? hypertable_get(relid) : nullptr;
  bool chunk = ht == nullptr && is_chunk(relid);
  memset(plan, 0, sizeof(*plan));
  plan->ht = ht;
  plan->recurse = stmt->relation->inh;

  ListCell* lc;
  foreach (lc, stmt->cmds) {
    AlterTableCmd* cmd = lfirst_node(AlterTableCmd, lc);
    switch (cmd->subtype) {
      case AT_AddConstraint:
        check_foreign_key_target((Constraint*)cmd->def);
        break;
      case AT_AddColumn:
        check_column_constraints(castNode(ColumnDef, cmd->def));
        break;
      case AT_AddInherit:
      case AT_DropInherit:
        refuse_inheritance_change(relid, cmd, ht, chunk);
        break;
      case AT_AttachPartition:
      case AT_DetachPartition:
      case AT_DetachPartitionFinalize:
        refuse_partitioning(cmd, ht, chunk);
        break;
      case AT_DropColumn:
        if (ht != nullptr && (is_time_column(ht, cmd->name) || is_space_column(ht, cmd->name))) {
          ereport(ERROR, (errcode(ERRCODE_INVALID_TABLE_DEFINITION),
                          errmsg("cannot drop column \"%s\" (used in partitioning)", cmd->name),
                          errdetail("Chunks of hypertable \"%s\" are partitioned by this column.",
                                    get_rel_name(relid))));
        }
        break;
      case AT_DropNotNull:
        if (ht != nullptr && is_time_column(ht, cmd->name)) {
          ereport(ERROR, (errcode(ERRCODE_INVALID_TABLE_DEFINITION),
                          errmsg("cannot drop not-null constraint from column \"%s\" (used in "
                                 "partitioning)",
                                 cmd->name)));
        }
        break;
      case AT_AlterColumnType:
        if (ht != nullptr && is_space_column(ht, cmd->name))
          ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                          errmsg("cannot change the type of column \"%s\" (used in hash partitioning)", cmd->name),
                          errdetail("Its values' partition hashes place rows in chunks.")));
        if (ht != nullptr && is_time_column(ht, cmd->name)) {
          plan->new_time_type = check_time_type_change(ht, castNode(ColumnDef, cmd->def));
        }
        break;
      case AT_DropConstraint:
        if (ht != nullptr) {
          Named* n = describe_constraint(ht, cmd->name);
          if (n != nullptr) {
            n->behavior = cmd->behavior;
            plan->drops = lappend(plan->drops, n);
          }
        }
        break;
      case AT_ChangeOwner:
        plan->owner_changed = true;
        break;
      case AT_EnableTrig:
      case AT_EnableAlwaysTrig:
      case AT_EnableReplicaTrig:
      case AT_EnableTrigAll:
      case AT_EnableTrigUser:
      case AT_DisableTrig:
      case AT_DisableTrigAll:
      case AT_DisableTrigUser:
        plan->trigger_cmds = lappend(plan->trigger_cmds, (AlterTableCmd*)copyObjectImpl(cmd));
        break;
      case AT_SetRelOptions:
      case AT_ResetRelOptions:
        plan->option_cmds = lappend(plan->option_cmds, (AlterTableCmd*)copyObjectImpl(cmd));
        break;
      default:
        break;
    }
  }
}

void process_alter_table(const UtilityCall* c, AlterTableStmt* stmt) {
  AlterPlan plan;
  plan_alter_table(stmt, &plan);
  Hypertable* ht = plan.ht;
  bool recurse = plan.recurse;
  ListCell* lc;
  if (ht == nullptr) return pg::utility_proceed(c);

  List* indexes_before = index_oids(ht->relid);
  List* foreign_keys_before = foreign_key_oids(ht->relid);
  pg::utility_proceed(c);
  CommandCounterIncrement();

  foreach (lc, plan.drops) {
    Named* n = (Named*)lfirst(lc);
    if (n->extra != nullptr) {
      if (recurse) {
        drop_chunk_indexes(ht, n->extra, n->behavior);
      } else {
        forget_chunk_indexes(ht, n->extra);
      }
    } else if (n->contype == CONSTRAINT_FOREIGN && recurse) {
      drop_chunk_constraints(ht, n->name, n->behavior);
    }
  }
  clone_new_indexes(ht, indexes_before, recurse);
  clone_new_foreign_keys(ht, foreign_keys_before, recurse);
  if (OidIsValid(plan.new_time_type) && plan.new_time_type != ht->time_type)
    catalog_set_time_type(ht, plan.new_time_type);
  if (plan.owner_changed) copy_acl_to_chunks(ht);
  foreach (lc, plan.trigger_cmds) alter_chunk_triggers(ht, (AlterTableCmd*)lfirst(lc));
  if (plan.option_cmds != NIL && recurse) alter_chunks(ht, plan.option_cmds);
}

// ---- DROP -----------------------------------------------------------------------------------

// DROP TABLE of hypertables: their chunks go first, so that the hypertables drop without CASCADE.
// Returns the ids of the hypertables concerned (an int List).
List* drop_hypertable_chunks(DropStmt* stmt) {
  List* dropped = NIL;
  ListCell* lc;
  foreach (lc, stmt->objects) {
    RangeVar* rv = makeRangeVarFromNameList(castNode(List, lfirst(lc)));
    Oid relid = RangeVarGetRelid(rv, NoLock, true);
    if (!OidIsValid(relid) || !is_hypertable(relid)) continue;
    // DROP TABLE is for the table's owner or its schema's owner; check before dropping chunks.
    if (!compat::is_table_owner(relid, GetUserId()) &&
        !compat::is_schema_owner(get_rel_namespace(relid), GetUserId())) {
      aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, rv->relname);
    }
    lock_relation(relid, AccessExclusiveLock);
    Hypertable* ht = hypertable_get(relid);
    if (ht == nullptr) continue;
    drop_chunks(ht, stmt->behavior);
    dropped = lappend_int(dropped, ht->id);
  }
  return dropped;
}

void drop_tables(const UtilityCall* c, DropStmt* stmt) {
  List* dropped = drop_hypertable_chunks(stmt);
  pg::utility_proceed(c);
  ListCell* lc;
  foreach (lc, dropped) catalog_delete_hypertable(lfirst_int(lc));
}

void drop_indexes(const UtilityCall* c, DropStmt* stmt) {
  List* dropped = NIL;
  ListCell* lc;
  foreach (lc, stmt->objects) {
    RangeVar* rv = makeRangeVarFromNameList(castNode(List, lfirst(lc)));
    Oid index_oid = RangeVarGetRelid(rv, NoLock, true);
    if (!OidIsValid(index_oid) || get_rel_relkind(index_oid) != RELKIND_INDEX) continue;
    Hypertable* ht = hypertable_get(IndexGetRelation(index_oid, false));
    if (ht == nullptr) continue;
    if (stmt->concurrent) {
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("DROP INDEX CONCURRENTLY is not supported on hypertables"),
                      errhint("Drop the index without CONCURRENTLY.")));
    }
    dropped = lappend(dropped, make_named(ht, get_rel_name(index_oid)));
  }
  pg::utility_proceed(c);
  if (dropped != NIL) CommandCounterIncrement();
  foreach (lc, dropped) {
    Named* n = (Named*)lfirst(lc);
    drop_chunk_indexes(n->ht, n->name, stmt->behavior);
  }
}

void drop_triggers(const UtilityCall* c, DropStmt* stmt) {
  List* dropped = NIL;
  ListCell* lc;
  foreach (lc, stmt->objects) {
    List* names = castNode(List, lfirst(lc));
    if (list_length(names) < 2) continue;
    const char* trigger = strVal(llast(names));
    List* table = list_truncate(list_copy(names), list_length(names) - 1);
    Hypertable* ht = hypertable_of(makeRangeVarFromNameList(table));
    if (ht != nullptr) dropped = lappend(dropped, make_named(ht, trigger));
  }
  pg::utility_proceed(c);
  if (dropped != NIL) CommandCounterIncrement();
  foreach (lc, dropped) {
    Named* n = (Named*)lfirst(lc);
    drop_chunk_triggers(n->ht, n->name, stmt->behavior);
  }
}

void process_drop(const UtilityCall* c, DropStmt* stmt) {
  switch (stmt->removeType) {
    case OBJECT_TABLE:
      return drop_tables(c, stmt);
    case OBJECT_INDEX:
      return drop_indexes(c, stmt);
    case OBJECT_TRIGGER:
      return drop_triggers(c, stmt);
    default:
      return pg::utility_proceed(c);
  }
}

// ---- RENAME / SET SCHEMA --------------------------------------------------------------------

void rename_relation(const UtilityCall* c, RenameStmt* stmt) {
  Oid relid = relid_of(stmt->relation);
  if (!OidIsValid(relid)) return pg::utility_proceed(c);
  char relkind = get_rel_relkind(relid);
  if (relkind == RELKIND_INDEX) {
    Oid table = IndexGetRelation(relid, true);
    char* old_name = get_rel_name(relid);
    Hypertable* ht = OidIsValid(table) ? hypertable_get(table) : nullptr;
    ChunkInfo chunk;
    bool on_chunk = ht == nullptr && OidIsValid(table) && chunk_get_by_relid(table, &chunk);
    pg::utility_proceed(c);
    if (ht != nullptr) catalog_rename_hypertable_index(ht->id, old_name, stmt->newname);
    if (on_chunk) catalog_rename_chunk_index(chunk.id, old_name, stmt->newname);
    return;
  }
  Hypertable* ht = hypertable_get(relid);
  ChunkInfo chunk;
  bool on_chunk = ht == nullptr && chunk_get_by_relid(relid, &chunk);
  pg::utility_proceed(c);
  if (ht != nullptr) {
    catalog_rename_hypertable(ht->id, get_namespace_name(get_rel_namespace(relid)), stmt->newname);
  }
  if (on_chunk) catalog_rename_chunk(chunk.id, NameStr(chunk.schema_name), stmt->newname);
}

void rename_constraint(const UtilityCall* c, RenameStmt* stmt) {
  Hypertable* ht = hypertable_of(stmt->relation);
  Named* n = ht != nullptr ? describe_constraint(ht, stmt->subname) : nullptr;
  pg::utility_proceed(c);
  if (n == nullptr) return;
  CommandCounterIncrement();
  // Renaming an index-backed constraint renames its index too.
  if (n->extra != nullptr) catalog_rename_hypertable_index(ht->id, n->extra, stmt->newname);
  if (n->contype == CONSTRAINT_FOREIGN) rename_chunk_constraints(ht, n->name, stmt->newname);
}

void rename_schema(const UtilityCall* c, RenameStmt* stmt) {
  List* moved = NIL;
  ListCell* lc;
  foreach (lc, hypertable_list_all()) {
    Hypertable* ht = (Hypertable*)lfirst(lc);
    if (strcmp(NameStr(ht->schema_name), stmt->subname) == 0) moved = lappend(moved, ht);
  }
  pg::utility_proceed(c);
  foreach (lc, moved) {
    Hypertable* ht = (Hypertable*)lfirst(lc);
    catalog_rename_hypertable(ht->id, stmt->newname, NameStr(ht->table_name));
  }
}

void process_rename(const UtilityCall* c, RenameStmt* stmt) {
  switch (stmt->renameType) {
    case OBJECT_TABLE:
    case OBJECT_INDEX:
      return rename_relation(c, stmt);
    case OBJECT_COLUMN: {
      Hypertable* ht = hypertable_of(stmt->relation);
      pg::utility_proceed(c);
      if (ht != nullptr && is_time_column(ht, stmt->subname)) catalog_rename_time_column(ht, stmt->newname);
      if (ht != nullptr && is_space_column(ht, stmt->subname)) catalog_rename_space_column(ht, stmt->newname);
      return;
    }
    case OBJECT_TABCONSTRAINT:
      return rename_constraint(c, stmt);
    case OBJECT_TRIGGER: {
      Hypertable* ht = hypertable_of(stmt->relation);
      pg::utility_proceed(c);
      if (ht != nullptr) {
        CommandCounterIncrement();
        rename_chunk_triggers(ht, stmt->subname, stmt->newname);
      }
      return;
    }
    case OBJECT_SCHEMA:
      return rename_schema(c, stmt);
    default:
      return pg::utility_proceed(c);
  }
}

void process_set_schema(const UtilityCall* c, AlterObjectSchemaStmt* stmt) {
  if (stmt->objectType != OBJECT_TABLE) return pg::utility_proceed(c);
  Oid relid = relid_of(stmt->relation);
  Hypertable* ht = OidIsValid(relid) ? hypertable_get(relid) : nullptr;
  ChunkInfo chunk;
  bool on_chunk = ht == nullptr && OidIsValid(relid) && chunk_get_by_relid(relid, &chunk);
  pg::utility_proceed(c);
  if (ht != nullptr) catalog_rename_hypertable(ht->id, stmt->newschema, get_rel_name(relid));
  if (on_chunk) catalog_rename_chunk(chunk.id, stmt->newschema, NameStr(chunk.table_name));
}

// ---- triggers, privileges, truncate, create table -------------------------------------------

void process_create_trigger(const UtilityCall* c, CreateTrigStmt* stmt) {
  Oid relid = relid_of(stmt->relation);
  Hypertable* ht = OidIsValid(relid) ? hypertable_get(relid) : nullptr;
  if (ht != nullptr) {
    pg::utility_proceed(c);
    CommandCounterIncrement();
    Oid trigger_oid = get_trigger_oid(ht->relid, stmt->trigname, true);
    bool cloned = OidIsValid(trigger_oid) && trigger_is_cloned_to_chunks(trigger_oid);
    // OR REPLACE may turn a row trigger into a statement trigger: chunks lose their copy.
    if (stmt->replace && !cloned) drop_chunk_triggers(ht, stmt->trigname, DROP_RESTRICT);
    if (cloned) clone_trigger_to_chunks(ht, trigger_oid, stmt->trigname, stmt->replace);
    return;
  }
  ChunkInfo chunk;
  Hypertable* parent = nullptr;
  if (!stmt->replace && OidIsValid(relid) && chunk_get_by_relid(relid, &chunk))
    parent = hypertable_get_by_id(chunk.hypertable_id);
  if (parent != nullptr) {
    // pg_restore re-creating a chunk's copy of a hypertable trigger that the hypertable's own
    // CREATE TRIGGER already cloned: nothing to do. The hypertable's lock (the one its CREATE
    // TRIGGER holds) orders this against a concurrent clone, as in a parallel pg_restore.
    lock_relation(parent->relid, ShareRowExclusiveLock);
    if (OidIsValid(get_trigger_oid(relid, stmt->trigname, true)) &&
        OidIsValid(get_trigger_oid(parent->relid, stmt->trigname, true)))
      return;
  }
  pg::utility_proceed(c);
}

void process_grant(const UtilityCall* c, GrantStmt* stmt) {
  if (stmt->objtype != OBJECT_TABLE) return pg::utility_proceed(c);
  List* targets = NIL;
  List* locked = NIL;  // hypertables of chunks named in the GRANT
  List* schemas = NIL;
  ListCell* lc;
  if (stmt->targtype == ACL_TARGET_OBJECT) {
    foreach (lc, stmt->objects) {
      Oid relid = relid_of(lfirst_node(RangeVar, lc));
      Hypertable* ht = OidIsValid(relid) ? hypertable_get(relid) : nullptr;
      ChunkInfo chunk;
      if (ht != nullptr) {
        targets = lappend(targets, ht);
      } else if (OidIsValid(relid) && chunk_get_by_relid(relid, &chunk)) {
        // A chunk's own GRANT (pg_restore, possibly in parallel with its hypertable's) must not
        // update the chunk's pg_class row while the hypertable's GRANT copies privileges to it.
        Hypertable* parent = hypertable_get_by_id(chunk.hypertable_id);
        if (parent != nullptr) locked = lappend(locked, parent);
      }
    }
  } else if (stmt->targtype == ACL_TARGET_ALL_IN_SCHEMA) {
    foreach (lc, stmt->objects) {
      Oid nspid = get_namespace_oid(strVal(lfirst(lc)), true);
      if (OidIsValid(nspid)) schemas = lappend_oid(schemas, nspid);
    }
  }
  if (schemas != NIL) {
    foreach (lc, hypertable_list_all()) {
      Hypertable* ht = (Hypertable*)lfirst(lc);
      if (OidIsValid(ht->relid) && list_member_oid(schemas, get_rel_namespace(ht->relid)))
        targets = lappend(targets, ht);
    }
  }
  // GRANT itself locks nothing. Chunk creators hold this self-conflicting lock while they copy the
  // hypertable's privileges, so a chunk is either created (and seen below) before the GRANT or
  // created after it commits, with the new privileges.
  // Only for roles that can grant at all: others get GRANT's own error without waiting for a lock.
  foreach (lc, list_concat(list_copy(targets), locked)) {
    Oid relid = ((Hypertable*)lfirst(lc))->relid;
    if (pg_class_aclmask(relid, GetUserId(), ACL_GRANT_OPTION_FOR(ACL_ALL_RIGHTS_RELATION), ACLMASK_ANY) != 0)
      lock_relation(relid, ShareUpdateExclusiveLock);
  }
  pg::utility_proceed(c);
  if (targets == NIL) return;
  CommandCounterIncrement();
  foreach (lc, targets) copy_acl_to_chunks((Hypertable*)lfirst(lc));
}

void truncate_drop_context(void* arg) {
  errcontext("dropping the chunks of hypertable \"%s\" after TRUNCATE", static_cast<const char*>(arg));
}

// The relations TRUNCATE emptied, as ExecuteTruncate finds them: the named ones, their inheritance
// children unless ONLY, and with CASCADE every table that references one of them, transitively.
// Called after the truncation, which holds AccessExclusiveLock on all of them.
List* truncated_relations(const TruncateStmt* stmt) {
  List* relids = NIL;
  ListCell* lc;
  foreach (lc, stmt->relations) {
    RangeVar* rv = lfirst_node(RangeVar, lc);
    const Oid relid = RangeVarGetRelid(rv, NoLock, true);
    if (!OidIsValid(relid)) continue;
    List* rels = rv->inh ? find_all_inheritors(relid, NoLock, nullptr) : list_make1_oid(relid);
    ListCell* rc;
    foreach (rc, rels) relids = list_append_unique_oid(relids, lfirst_oid(rc));
  }
  if (stmt->behavior == DROP_CASCADE) {
    for (;;) {
      List* more = heap_truncate_find_FKs(relids);  // (excludes those already in the list)
      if (more == NIL) break;
      relids = list_concat_unique_oid(relids, more);
    }
  }
  return relids;
}

// TRUNCATE of a hypertable (named, or reached through CASCADE) also drops its chunks and their
// catalog rows, as TimescaleDB does: empty chunks would only be planned and scanned. TRUNCATE's own
// privilege check (TRUNCATE on the hypertable and, through the copied ACL, on its chunks) and its
// AccessExclusiveLock on the hypertable and every chunk (so no chunk is created meanwhile) cover
// the drop; everything is transactional, so a ROLLBACK brings the chunks back.
void process_truncate(const UtilityCall* c, TruncateStmt* stmt) {
  ListCell* lc;
  foreach (lc, stmt->relations) {
    RangeVar* rv = lfirst_node(RangeVar, lc);
    if (!rv->inh && hypertable_of(rv) != nullptr) {
      ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                      errmsg("cannot truncate only hypertable \"%s\"", rv->relname),
                      errdetail("The rows of a hypertable are in its chunks; its own table is always "
                                "empty."),
                      errhint("Truncate without ONLY, or truncate chunks directly.")));
    }
  }
  pg::utility_proceed(c);
  List* hypertables = NIL;
  foreach (lc, truncated_relations(stmt)) {
    Hypertable* ht = hypertable_get(lfirst_oid(lc));
    if (ht != nullptr) hypertables = lappend(hypertables, ht);
  }
  foreach (lc, hypertables) {
    Hypertable* ht = (Hypertable*)lfirst(lc);
    ErrorContextCallback callback;
    callback.callback = truncate_drop_context;
    callback.arg = NameStr(ht->table_name);
    callback.previous = error_context_stack;
    error_context_stack = &callback;
    drop_chunks(ht, DROP_RESTRICT);
    error_context_stack = callback.previous;
  }
}

// REINDEX TABLE of a hypertable also reindexes its chunks (PostgreSQL does not recurse into
// inheritance children).
void process_reindex(const UtilityCall* c, ReindexStmt* stmt) {
  Hypertable* ht = stmt->kind == REINDEX_OBJECT_TABLE ? hypertable_of(stmt->relation) : nullptr;
  if (ht == nullptr) return pg::utility_proceed(c);
  ListCell* lc;
  foreach (lc, stmt->params) {
    DefElem* opt = lfirst_node(DefElem, lc);
    if (strcmp(opt->defname, "concurrently") == 0 && defGetBoolean(opt)) {
      ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                      errmsg("REINDEX CONCURRENTLY is not supported on hypertables"),
                      errhint("Reindex the chunks concurrently one by one, or reindex the hypertable "
                              "without CONCURRENTLY.")));
    }
  }
  pg::utility_proceed(c);
  reindex_chunks(ht, stmt);
}

// VACUUM / ANALYZE of a hypertable also processes its chunks, where the rows are: they are added
// to the statement's relation list (PostgreSQL itself only recurses into partitions).
void process_vacuum(const UtilityCall* c, VacuumStmt* stmt) {
  List* chunk_rels = NIL;
  ListCell* lc;
  foreach (lc, stmt->rels) {
    VacuumRelation* rel = lfirst_node(VacuumRelation, lc);
    Hypertable* ht = hypertable_of(rel->relation);
    if (ht == nullptr) continue;
    ListCell* cc;
    foreach (cc, chunk_list_all(ht)) {
      ChunkInfo* chunk = (ChunkInfo*)lfirst(cc);
      if (!OidIsValid(chunk->relid)) continue;
      RangeVar* rv = makeRangeVar(pstrdup(NameStr(chunk->schema_name)), pstrdup(NameStr(chunk->table_name)), -1);
      chunk_rels = lappend(chunk_rels, makeVacuumRelation(rv, InvalidOid, (List*)copyObjectImpl(rel->va_cols)));
    }
  }
  if (chunk_rels == NIL) return pg::utility_proceed(c);
  UtilityCall call = *c;
  call.pstmt = (PlannedStmt*)copyObjectImpl(c->pstmt);
  VacuumStmt* copy = (VacuumStmt*)call.pstmt->utilityStmt;
  copy->rels = list_concat(copy->rels, chunk_rels);
  pg::utility_proceed(&call);
}

void process_utility(const UtilityCall* c) {
  Node* stmt = c->pstmt->utilityStmt;
  switch (nodeTag(stmt)) {
    case T_IndexStmt:
      return process_index(c, (IndexStmt*)stmt);
    case T_AlterTableStmt:
      return process_alter_table(c, (AlterTableStmt*)stmt);
    case T_DropStmt:
      return process_drop(c, (DropStmt*)stmt);
    case T_RenameStmt:
      return process_rename(c, (RenameStmt*)stmt);
    case T_AlterObjectSchemaStmt:
      return process_set_schema(c, (AlterObjectSchemaStmt*)stmt);
    case T_CreateTrigStmt:
      return process_create_trigger(c, (CreateTrigStmt*)stmt);
    case T_GrantStmt:
      return process_grant(c, (GrantStmt*)stmt);
    case T_TruncateStmt:
      return process_truncate(c, (TruncateStmt*)stmt);
    case T_ReindexStmt:
      return process_reindex(c, (ReindexStmt*)stmt);
    case T_VacuumStmt:
      return process_vacuum(c, (VacuumStmt*)stmt);
    case T_CreateStmt:
      check_table_elements(((CreateStmt*)stmt)->tableElts);
      return pg::utility_proceed(c);
    default:
      return pg::utility_proceed(c);
  }
}

// The relation a statement that adds indexes, constraints, triggers or privileges works on, when
// it applies to the chunks too (not ONLY).
Hypertable* additive_target(Node* stmt) {
  switch (nodeTag(stmt)) {
    case T_IndexStmt:
      return ((IndexStmt*)stmt)->relation->inh ? hypertable_of(((IndexStmt*)stmt)->relation) : nullptr;
    case T_AlterTableStmt:
      return ((AlterTableStmt*)stmt)->relation->inh ? hypertable_of(((AlterTableStmt*)stmt)->relation)
                                                     : nullptr;
    case T_CreateTrigStmt:
      return hypertable_of(((CreateTrigStmt*)stmt)->relation);
    default:
      return nullptr;
  }
}

}  // namespace

void wrap_utility(const UtilityCall* call) {
  hook_ran = true;
  // pg_upgrade restores every chunk object itself, exactly as it was.
  if (IsBinaryUpgrade || !extension_is_active()) return pg::utility_proceed(call);
  process_utility(call);
}

// ddl_command_start: the checks and the chunk drops that the hook does before the standard
// processing, for a statement that started before the library was loaded in this session.
void before_unhooked_command(Node* stmt) {
  if (hook_ran || IsBinaryUpgrade || stmt == nullptr || !extension_is_active()) return;
  switch (nodeTag(stmt)) {
    case T_AlterTableStmt: {
      AlterPlan plan;
      plan_alter_table((AlterTableStmt*)stmt, &plan);
      break;
    }
    case T_IndexStmt:
      if (hypertable_of(((IndexStmt*)stmt)->relation) != nullptr) refuse_concurrent_index((IndexStmt*)stmt);
      break;
    case T_DropStmt:
      if (((DropStmt*)stmt)->removeType == OBJECT_TABLE) drop_hypertable_chunks((DropStmt*)stmt);
      break;
    default:
      break;
  }
}

// ddl_command_end: a statement that ran before the library was loaded in this session (no
// shared_preload_libraries) bypassed the hook; whatever it added to a hypertable is added to the
// chunks here. Later statements go through the hook, which is installed by now.
void after_unhooked_command(Node* stmt) {
  if (hook_ran || IsBinaryUpgrade || stmt == nullptr || !extension_is_active()) return;
  List* targets = NIL;
  if (IsA(stmt, GrantStmt)) {
    GrantStmt* grant = (GrantStmt*)stmt;
    ListCell* lc;
    if (grant->objtype == OBJECT_TABLE && grant->targtype == ACL_TARGET_OBJECT) {
      foreach (lc, grant->objects) {
        Hypertable* ht = hypertable_of(lfirst_node(RangeVar, lc));
        if (ht != nullptr) targets = lappend(targets, ht);
      }
    }
  } else {
    Hypertable* ht = additive_target(stmt);
    if (ht != nullptr) targets = lappend(targets, ht);
  }
  ListCell* lc;
  foreach (lc, targets) reconcile_chunks((Hypertable*)lfirst(lc));
}

}  // namespace strata::ddl

STRATA_FUNCTION(strata_ddl_command_start) {
  if (!CALLED_AS_EVENT_TRIGGER(fcinfo)) {
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("function can only be called by the event trigger manager")));
  }
  strata::ddl::before_unhooked_command(((EventTriggerData*)fcinfo->context)->parsetree);
  PG_RETURN_VOID();
}

STRATA_FUNCTION(strata_ddl_command_end) {
  if (!CALLED_AS_EVENT_TRIGGER(fcinfo)) {
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("function can only be called by the event trigger manager")));
  }
  strata::ddl::after_unhooked_command(((EventTriggerData*)fcinfo->context)->parsetree);
  PG_RETURN_VOID();
}
