// Writes into compressed chunks (docs/COLUMNSTORE.md, "Writes into compressed chunks"): batches
// that a write can touch are found through the companion's segment values and min/max/bloom
// metadata and moved into the chunk's row part (their companion row deleted, their rows inserted
// into the chunk's heap and indexes), where PostgreSQL's own unique checks, ON CONFLICT, UPDATE
// and DELETE handle them as heap rows. C-style glue.
#pragma once

#include "catalog/catalog.hpp"

extern "C" {
#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "utils/relcache.h"
}

namespace strata::columnstore {

// One chunk being written by a statement: its companion, layout and unique keys.
struct DmlChunk;

// For INSERT / COPY into a hypertable whose columnstore is enabled: reserves the current command
// id for batch moves (rows moved by the statement carry it, so they are visible to the
// statement's ON CONFLICT and unique checks but not to its scans), advances the command counter
// and returns the id the statement's own rows must be written with (also set as
// estate->es_output_cid when `estate` is given).
CommandId dml_reserve_move_cid(EState* estate, CommandId* move_cid);

// Opens the write state of a compressed chunk for unique checks: nullptr when the chunk is not
// compressed or has no unique index (then nothing needs checking). `chunk_rel` is open (at least
// RowExclusiveLock); `parent_desc` is the layout of the rows given to dml_check_unique.
DmlChunk* dml_open_for_insert(Relation chunk_rel, const ChunkInfo* chunk, TupleDesc parent_desc,
                              CommandId move_cid);
// Before a row (in the parent layout) is inserted: moves the batches holding a row equal to it on
// the key of some unique index into the row part.
void dml_check_unique(DmlChunk* dc, const Datum* values, const bool* isnull);
// Closes what dml_open_for_insert opened.
void dml_close(DmlChunk* dc);

// Registers the custom scan node used for UPDATE / DELETE / MERGE targets and row-locked scans of
// compressed chunks, and sets the planner's hook point compressed_chunk_dml; from scan_init.
void dml_init();

}  // namespace strata::columnstore
