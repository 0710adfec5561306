// What strata's hypertable expansion adds for UPDATE, DELETE, MERGE and row locks (FOR UPDATE /
// SHARE, and the row marks of the other relations of a DML statement): the chunks as result
// relations, per-chunk row marks, and the junk columns the executor tells them apart by.
// Internal to src/planner (planner.cpp calls these).
#pragma once

#include "pg/pg.hpp"

extern "C" {
#include "nodes/pathnodes.h"
}

namespace strata {

// For a hypertable rel whose expansion strata took over, from get_relation_info (so before
// PostgreSQL builds the rels' target lists from processed_tlist): when it is the result relation of
// UPDATE/DELETE/MERGE, adds the `tableoid` junk column by which ModifyTable picks each row's chunk;
// when it has a row mark, makes that mark the parent of the chunks' marks and adds its
// `tableoid<N>` junk column. PostgreSQL's own inheritance expansion adds the same columns
// (inherit.c); the parent's `ctid` junk columns are already there, since preprocess_targetlist saw
// a table without inheritance. Idempotent.
void prepare_dml_hypertable_rel(PlannerInfo* root, Index rti);

// For each chunk the expansion adds (its RTE and AppendRelInfo in place): makes it a result
// relation when the hypertable is one, and gives it a row mark when the hypertable has one, as
// expand_single_inheritance_child does. Returns whether the chunk is a DML target or row-locked.
bool register_dml_chunk(PlannerInfo* root, Index parent_rti, Index chunk_rti, RangeTblEntry* chunk_rte);

// Copies the parent's selected / inserted / updated column sets onto a chunk's RTE, renumbered for
// the chunk's layout (the executor reads updatedCols and extraUpdatedCols of a result relation for
// UPDATE OF triggers, generated columns and the tuple lock mode). `same_places`: every column of
// the chunk is the parent's of the same number (the sets are copied as they are).
void translate_chunk_columns(const RangeTblEntry* parent, RangeTblEntry* chunk, const AppendRelInfo* appinfo,
                             bool same_places);

}  // namespace strata
