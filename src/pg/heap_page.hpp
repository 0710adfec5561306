// Reading the tuples of an all-visible heap page without a visibility check per tuple, as a
// sequential scan trusts PD_ALL_VISIBLE (heapgetpage), for the nodes that read a chunk's heap
// pages themselves: RowstoreAggregate's direct scan and bitmap tail (columnstore/rowagg_exec.cpp)
// and BucketAggregate's direct index read (planner/bucket_agg.cpp). Other pages go through
// PostgreSQL's functions (heapgetpage, heap_hot_search_buffer, the table AM), which check each
// tuple. C-style glue.
#pragma once

#include "pg/pg.hpp"

extern "C" {
#include "access/htup_details.h"
#include "storage/block.h"
#include "storage/buf.h"
#include "storage/bufmgr.h"
#include "storage/bufpage.h"
#include "storage/off.h"
#include "utils/snapshot.h"
}

namespace strata::pg {

// Whether a read under `snapshot` may trust an all-visible page: not in a snapshot taken during
// recovery (as heapgetpage), and not in a SERIALIZABLE transaction, which needs the predicate
// locks and conflict checks of the per-tuple functions.
inline bool heap_all_visible_trusted(Snapshot snapshot) {
  return IsMVCCSnapshot(snapshot) && !snapshot->takenDuringRecovery && !IsolationIsSerializable();
}

// In a line returned by heap_all_visible_line: the offset is the visible member of a HOT chain
// that heap_hot_search_buffer found.
inline constexpr OffsetNumber kHeapLineFound = 0x8000;

// The visible tuple that an index entry (or an exact bitmap entry) naming line pointer `off` of
// the share-locked, all-visible page `buf` (block `block` of `rel`) leads to, as the heap AM finds
// it: a normal line pointer is its own tuple (returned as `off`; see heap_line_heads_chain), any
// other (a HOT chain's redirect, an offset past the page's end) is followed by
// heap_hot_search_buffer under the same lock (its visible member's offset | kHeapLineFound, or
// InvalidOffsetNumber when it finds none). heap_chain_line: that lookup alone, on any share-locked
// page (visibility checked per tuple).
OffsetNumber heap_chain_line(Relation rel, Buffer buf, BlockNumber block, OffsetNumber off, Snapshot snapshot);
inline OffsetNumber heap_all_visible_line(Relation rel, Buffer buf, Page page, BlockNumber block, OffsetNumber off,
                                          Snapshot snapshot) {
  if (off >= FirstOffsetNumber && off <= PageGetMaxOffsetNumber(page) && ItemIdIsNormal(PageGetItemId(page, off)))
    return off;
  return heap_chain_line(rel, buf, block, off, snapshot);
}

// Whether the tuple `t` at a line that heap_all_visible_line returned is the visible one: a
// heap-only tuple at a normal line pointer that an index entry names is no chain's start (its
// slot was reused; heap_hot_search_buffer finds nothing there either). On an all-visible page a
// chain's older members are gone, so a normal line pointer heads no longer chain. (May be read
// without the lock: the pin keeps the page's tuples in place, and this flag of an existing tuple
// does not change.) The bitmap tail's read loop writes this test out (see rowagg_exec.cpp).
inline bool heap_line_heads_chain(OffsetNumber line, HeapTupleHeader t) {
  return (line & kHeapLineFound) != 0 || !HeapTupleHeaderIsHeapOnly(t);
}

// heap_all_visible_line of each of the `n` offsets of the page `buf` (one exact bitmap page's),
// the lines found into `lines`; their number.
int heap_all_visible_lines(Relation rel, Buffer buf, BlockNumber block, const OffsetNumber* offsets, int n,
                           Snapshot snapshot, OffsetNumber* lines);

// The tuple data of such a line of `page`.
inline HeapTupleHeader heap_line_tuple(Page page, OffsetNumber line) {
  return (HeapTupleHeader)PageGetItem(page, PageGetItemId(page, line & ~kHeapLineFound));
}

// Pins block `block` of `rel` (through `strategy`, may be nullptr) and, when the page is
// all-visible, lists the offsets of its normal line pointers (every tuple visible to an MVCC
// snapshot that may trust the page, as heapgetpage lists them, without pruning the page) into
// `lines` (MaxHeapTuplesPerPage), their number into *nlines, and returns the pinned buffer,
// unlocked. A page that is not all-visible is let go: InvalidBuffer.
Buffer heap_read_all_visible_page(Relation rel, BlockNumber block, BufferAccessStrategy strategy, OffsetNumber* lines,
                                  int* nlines);

}  // namespace strata::pg
