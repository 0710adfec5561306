// compress_chunk's parallel heap read (compress_parallel.cpp): a parallel worker copies the upper
// half of a chunk's pages into dynamic shared memory while the backend copies the lower half, so
// the rows are gathered in the heap's order, as the serial read gathers them.
#pragma once

#include "pg/pg.hpp"

extern "C" {
#include "access/htup.h"
#include "storage/block.h"
#include "storage/buf.h"
#include "storage/off.h"
#include "utils/rel.h"
#include "utils/snapshot.h"
}

namespace strata::columnstore {

// Settings strata.compression_parallel_read, strata.compression_parallel_read_min_pages and,
// for tests, strata.compression_parallel_read_fail_memory (src/hooks/init.cpp).
extern bool guc_compression_parallel_read;
extern int guc_compression_parallel_read_min_pages;
extern bool guc_compression_parallel_read_fail_memory;

// Tuple `off` of the share-locked page `buf` (block `blk` of `rel`) into *t; whether it is a
// normal tuple visible to the MVCC snapshot `snap` (any normal one when `all_visible`), as
// HeapTupleSatisfiesVisibility decides, setting no hint bits for the common tuple that nobody
// deleted (copy mode's heap read and the parallel worker's: the rows leave the heap at the end
// of the compression).
// `memo` (one per read, with the same snapshot; nullptr: none) keeps the verdict on the last
// inserting transaction looked up in the commit log, which is the same for every row a COPY wrote.
struct XminMemo {
  bool valid = false;
  TransactionId xid = InvalidTransactionId;
  bool visible = false;
};
bool page_tuple_visible(Relation rel, Buffer buf, BlockNumber blk, OffsetNumber off, Snapshot snap, bool all_visible,
                        HeapTupleData* t, XminMemo* memo);

struct ParallelRead;

// Starts one parallel worker reading the pages [*split, nblocks) of `rel` (visible tuples under
// `snap`) into shared memory; sets *split. nullptr (and nothing started) when the setting is off,
// the heap is smaller than the setting's minimum, the shared memory could not be created (its
// error flushed), or no worker could be started: the backend then reads every page itself.
ParallelRead* parallel_read_begin(Relation rel, Snapshot snap, BlockNumber nblocks, BlockNumber* split);

// Waits for the worker to finish and leaves parallel mode (its error, if any, is raised here);
// again, does nothing.
void parallel_read_wait(ParallelRead* p);

// The worker's next row in heap order into `t` (t_data points into the shared memory, valid
// until parallel_read_release); false after the last.
bool parallel_read_next_row(ParallelRead* p, HeapTupleData* t);

// Lets the shared memory go.
void parallel_read_release(ParallelRead* p);

}  // namespace strata::columnstore
