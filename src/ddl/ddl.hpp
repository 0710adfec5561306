// DDL propagation: the ProcessUtility handler (ddl.cpp), and the operations that carry a change
// made on a hypertable over to its chunks and the catalog updates that follow renames and drops
// (propagate.cpp). C-style glue: every function may ereport.
#pragma once

#include "catalog/catalog.hpp"
#include "pg/handlers.hpp"

extern "C" {
#include "nodes/parsenodes.h"
}

namespace strata::ddl {

// ProcessUtility, wrapping phase (run by the hook dispatcher, src/hooks): refuses unsupported DDL
// on hypertables and chunks, runs the statement (pg::utility_proceed), then carries it over to
// the chunks and the catalog.
void wrap_utility(const pg::UtilityCall* call);

// Locks a table in `mode` until the end of the transaction.
void lock_relation(Oid relid, LOCKMODE mode);

// OIDs of the indexes / foreign key constraints of a table (an oid List).
List* index_oids(Oid relid);
List* foreign_key_oids(Oid relid);

// Raises 42P16 when `index_oid` is a unique or exclusion index whose key lacks the time column.
void check_unique_index(const Hypertable* ht, Oid index_oid);

// For every index / foreign key of the hypertable that is not in `before`: checks it (unique
// indexes must cover the time column) and, when `to_chunks`, clones it onto every chunk that does
// not already carry it (pg_restore creates chunk indexes and constraints itself).
void clone_new_indexes(const Hypertable* ht, List* before, bool to_chunks);
void clone_new_foreign_keys(const Hypertable* ht, List* before, bool to_chunks);

// Brings every chunk up to date with the hypertable's indexes, foreign keys, row triggers, owner and
// privileges, adding what is missing (for a statement that ran without the ProcessUtility hook).
void reconcile_chunks(const Hypertable* ht);

// Drops the chunk indexes (or the chunk constraints they implement) that implement hypertable
// index `ht_index_name`, and forgets them in _strata_catalog.chunk_index.
void drop_chunk_indexes(const Hypertable* ht, const char* ht_index_name, DropBehavior behavior);
// Only forgets the mapping (the hypertable index went away but its chunk indexes stay).
void forget_chunk_indexes(const Hypertable* ht, const char* ht_index_name);

// Chunk constraints and triggers that carry a hypertable object's name.
void drop_chunk_constraints(const Hypertable* ht, const char* name, DropBehavior behavior);
void rename_chunk_constraints(const Hypertable* ht, const char* old_name, const char* new_name);
// `name` is the trigger's name (chunk copies carry the same name).
void clone_trigger_to_chunks(const Hypertable* ht, Oid trigger_oid, const char* name, bool replace);
void drop_chunk_triggers(const Hypertable* ht, const char* name, DropBehavior behavior);
void rename_chunk_triggers(const Hypertable* ht, const char* old_name, const char* new_name);
// Applies ALTER TABLE ... ENABLE/DISABLE TRIGGER `cmd` to every chunk.
void alter_chunk_triggers(const Hypertable* ht, const AlterTableCmd* cmd);

// Runs ALTER TABLE subcommands `cmds` (copied for each) on every chunk, without permission checks.
void alter_chunks(const Hypertable* ht, List* cmds);

// Runs REINDEX `stmt` (a REINDEX TABLE of the hypertable) on every chunk.
void reindex_chunks(const Hypertable* ht, const ReindexStmt* stmt);

// Gives every chunk the hypertable's owner and privileges.
void copy_acl_to_chunks(const Hypertable* ht);

// Drops every chunk table of the hypertable and its catalog rows (DROP TABLE of the hypertable).
void drop_chunks(const Hypertable* ht, DropBehavior behavior);

}  // namespace strata::ddl
