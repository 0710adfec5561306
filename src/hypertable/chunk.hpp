// Chunks: creation on demand (under a per-hypertable lock, exactly once), and cloning of the
// hypertable's indexes, foreign keys, row triggers, owner and privileges onto a chunk.
#pragma once

#include "catalog/catalog.hpp"

extern "C" {
#include "nodes/execnodes.h"
}

namespace strata {

// Name of the CHECK constraint on a chunk's range (INSERT and COPY skip it for rows they route).
inline constexpr char kChunkRangeConstraint[] = "_strata_range";

// The chunk holding `value` (internal axis) and partition hash `hash` (space_hash_value; 0 without
// a hash dimension), created if missing. Safe against concurrent creators: takes
// ShareUpdateExclusiveLock on the hypertable and re-checks the catalog before creating.
// Returns a palloc'd ChunkInfo with relid set, locked with RowExclusiveLock, its status as of
// after the lock was taken.
// With `unbuilt_indexes`, a chunk created here gets its indexes without building them (empty
// storage, no blocks: not usable before chunk_build_unbuilt_index); the caller builds every one
// before anything reads or writes them (a btree index of 0 blocks is unbuilt, a built one has its
// metapage), so that a build after the rows needs no new storage (whose old files would go at
// commit with a scan of all shared buffers).
ChunkInfo* chunk_get_or_create(const Hypertable* ht, int64 value, int64 hash = 0, bool unbuilt_indexes = false);

// Creates on the chunk the index implementing hypertable index `ht_index_oid` (including the
// constraint for a unique / primary key index) and records it in _strata_catalog.chunk_index;
// `unbuilt` as above.
void chunk_clone_index(const Hypertable* ht, const ChunkInfo* chunk, Oid ht_index_oid, bool unbuilt = false);
// Whether index `idx` of a chunk created with unbuilt_indexes is still unbuilt.
bool chunk_index_unbuilt(Relation idx);
// Adds to the chunk the foreign key constraint `constraint_oid` of the hypertable.
void chunk_clone_foreign_key(const ChunkInfo* chunk, Oid constraint_oid);
// Creates on the chunk a copy of the hypertable's row trigger `trigger_oid`.
void chunk_clone_trigger(const ChunkInfo* chunk, Oid trigger_oid);
// Gives the chunk the hypertable's owner and privileges.
void chunk_copy_owner_and_acl(Oid chunk_relid, Oid ht_relid);

// Whether a trigger of the hypertable is one that chunks should carry (user row triggers).
bool trigger_is_cloned_to_chunks(Oid trigger_oid);

// A chunk interval given as an INTERVAL or an integer of type `value_type`, validated against
// the time column's type as create_hypertable does (positive, at least 1 second for timestamps
// and 1 day for dates); NULL gives the default for time columns. Defined in hypertable_api.cpp,
// also used by set_chunk_time_interval.
int64 interval_to_internal(Datum value, Oid value_type, bool is_null, Oid time_type, const char* column);

// Whether the rows of a chunk may skip its indexes, built from its heap once they are all written
// (chunk_rebuild_index; COPY and a refresh's bulk write do this for the chunks they create): the
// chunk was created by this transaction, is still empty and open only by the caller (nobody else
// can see it before commit, and no cursor of this transaction scans it, as REINDEX checks), and its
// indexes are plain, valid and immediate, without exclusion constraints; with `allow_unique` false
// also without unique ones. `rri` has its indexes open.
bool chunk_indexes_can_wait(const ResultRelInfo* rri, bool allow_unique);
// Builds index `idx` of chunk `heap` afresh, as REINDEX does: new empty storage (the old one, holding
// only the empty index's metapage, goes at commit; both WAL-logged), then PostgreSQL's index build
// over the heap (one sort and a sequential write; checks uniqueness), `parallel` allowing workers
// (not when index_build_presorted takes it: its sort then only confirms the order).
void chunk_rebuild_index(Relation heap, Relation idx, bool parallel);
// Setting strata.presorted_index_build (registered by src/hooks/init.cpp).
extern bool guc_presorted_index_build;
// index_build of btree `idx` over `heap` with its input handed over in index order when the key
// columns allow (presort.cpp; then serial, and true); false when they do not (nothing done).
bool index_build_presorted(Relation heap, Relation idx, IndexInfo* info);
// The rows of a chunk handed to the build of one of its indexes as they are written, so that the
// build does not scan the heap (presort.cpp; a refresh's new materialization chunks): begin with
// the chunk still empty (nullptr when the index does not qualify: a btree whose key columns
// index_build_presorted takes, plain columns, no predicate or INCLUDE columns), add every row the
// heap gets, with its TID set (false: the row would pass `budget` bytes of copies or its key is
// too long; then free the rows and let chunk_rebuild_index scan), and
// chunk_rebuild_index_from (which frees them) once the heap holds them all and nothing else.
struct PresortRows;
PresortRows* presort_rows_begin(Relation idx, const IndexInfo* info, Size budget);
bool presort_rows_add(PresortRows* rows, TupleTableSlot* slot);
// index_build of `idx` from `rows` (freed), as it is (no new storage).
void presort_build_from(Relation heap, Relation idx, IndexInfo* info, PresortRows* rows);
void presort_rows_free(PresortRows* rows);
void chunk_rebuild_index_from(Relation heap, Relation idx, PresortRows* rows);
// Builds an unbuilt index (chunk_index_unbuilt) in its own storage: from `rows` when not nullptr
// (freed), else from the heap (presorted when it can be).
void chunk_build_unbuilt_index(Relation heap, Relation idx, PresortRows* rows);

// Runs `sql` through SPI as the bootstrap superuser in a restricted security context; used for
// the DDL that builds chunks (inserters need not own the hypertable).
void run_internal_ddl(const char* sql);

// A chunk's CHECK constraint on its range (`_strata_range`) holds for every row routed to it,
// which was routed by that very range: prepares the chunk's CHECK constraints for ExecConstraints
// (ri_ConstraintExprs, in the executor's query context) without that one, so a row costs no range
// check and a statement no parsing of the constraint. Only when nothing can change the row between
// routing and ExecConstraints: `may_change_row` (ON CONFLICT DO UPDATE updates the row in place) or a
// BEFORE ROW INSERT trigger on the chunk leave the constraints as they are. (A generated time column
// cannot be routed at all: its value is NULL until after routing.) Returns whether it skipped the
// range check.
bool skip_routed_range_check(ResultRelInfo* rri, EState* estate, bool may_change_row);
// Whether a row routed to the chunk still needs ExecConstraints after skip_routed_range_check
// (which returned `range_skipped`): false when it skipped the range check (nothing can change the
// row after routing) and the chunk's only other constraint is NOT NULL on the time column
// (attribute `time_attno` of the chunk), which routing checked before it chose the chunk.
bool routed_row_needs_constraints(ResultRelInfo* rri, bool range_skipped, AttrNumber time_attno);

}  // namespace strata
