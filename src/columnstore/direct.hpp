// Direct-to-columnstore COPY and multi-row INSERT (docs/COLUMNSTORE.md, "Direct-to-columnstore COPY
// and INSERT"; INSERT through ingest/dispatch.cpp, direct_insert_begin): rows COPYed into
// a hypertable with the columnstore enabled are sorted per chunk by segmentby and orderby and
// written as compressed batches into the chunk's companion table (batch_writer.hpp) instead of its
// row part: for every chunk when the session asks (strata.enable_direct_compress_copy, or the COPY
// option direct_compress), and otherwise for an already compressed chunk that gets at least
// strata.direct_compress_copy_min_rows rows in one COPY. C-style glue.
#pragma once

#include "catalog/catalog.hpp"

extern "C" {
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "utils/relcache.h"
}

namespace strata::columnstore {

// Settings (registered by src/hooks/init.cpp): either spelling of enable_direct_compress_copy
// turns it on; min_rows 0 turns the automatic use off.
extern bool guc_enable_direct_compress_copy;
extern bool guc_enable_direct_compress_copy_tsdb;  // timescaledb.enable_direct_compress_copy
extern int guc_direct_compress_copy_min_rows;

struct DirectCopy;
struct DirectChunk;

// How a COPY asks: kDirectDefault follows the settings; the COPY option direct_compress gives
// kDirectOn or kDirectOff (off: no direct compression at all, not even the automatic one).
enum DirectMode { kDirectDefault, kDirectOn, kDirectOff };

// The COPY's direct-compression state, or nullptr when no row of it can be written as batches
// (the hypertable's columnstore is off, an exclusion constraint, a unique index it cannot
// check (deferrable, with a predicate or expressions) or a row trigger on the hypertable, or a
// transition table). When direct compression was asked for and cannot be used, a NOTICE says why
// and the COPY takes the row path. `estate` and `cid` are the COPY's.
DirectCopy* direct_copy_begin(Relation ht_rel, const Hypertable* ht, DirectMode mode, bool transition_capture,
                              EState* estate, CommandId cid);
// The same for a multi-row INSERT (INSERT ... VALUES with several rows, INSERT ... SELECT) without
// ON CONFLICT, RETURNING or row-level security checks (the caller's to exclude), whose planner
// estimate is `estimated_rows`: used when the setting asks and more than one row is expected, and
// automatically (rows of already compressed chunks, in groups of min_rows) when at least min_rows
// are expected; nullptr otherwise. The NOTICE says INSERT.
DirectCopy* direct_insert_begin(Relation ht_rel, const Hypertable* ht, double estimated_rows, bool transition_capture,
                                EState* estate, CommandId cid);
// For a chunk the COPY opened (`rri`: its result relation with indexes and triggers): its direct
// state, or nullptr when its rows take the row path (then the caller marks the chunk partial as
// usual). Converts an uncompressed chunk into a (partially) compressed one when asked.
DirectChunk* direct_copy_chunk(DirectCopy* dc, const ChunkInfo* chunk, ResultRelInfo* rri);
// Buffers a row (the chunk's layout, constraints checked) for the chunk's batches; may write
// batches. With unique indexes, the caller moved the batches holding an equal key into the row
// part first (dml_check_unique): the key is probed there (23505) and kept for the check among the
// statement's own rows (direct_copy_finish).
void direct_copy_add(DirectCopy* dc, DirectChunk* ch, TupleTableSlot* slot);
// Whether the statement made the chunk a compressed one: its batches are all the statement's own
// (the companion was created empty; other writers wait or take the row path), whose unique keys
// direct_copy_finish checks among themselves, so no batch needs moving into the row part for a
// row's key (dml_check_unique).
bool direct_copy_chunk_converted(const DirectChunk* ch);
// Checks the statement's own keys for duplicates (23505), then writes everything still buffered (rows of a chunk that got too few for the automatic use go to
// its row part) and closes the companions. Before the COPY's AFTER STATEMENT triggers.
void direct_copy_finish(DirectCopy* dc);

}  // namespace strata::columnstore
