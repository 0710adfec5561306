// The all-visible heap page reader (see heap_page.hpp).
#include "pg/heap_page.hpp"

extern "C" {
#include "access/heapam.h"
}

namespace strata::pg {

OffsetNumber heap_chain_line(Relation rel, Buffer buf, BlockNumber block, OffsetNumber off, Snapshot snapshot) {
  ItemPointerData tid;
  ItemPointerSet(&tid, block, off);
  HeapTupleData tuple;
  if (!heap_hot_search_buffer(&tid, rel, buf, snapshot, &tuple, nullptr, true)) return InvalidOffsetNumber;
  return ItemPointerGetOffsetNumber(&tid) | kHeapLineFound;
}

Buffer heap_read_all_visible_page(Relation rel, BlockNumber block, BufferAccessStrategy strategy, OffsetNumber* lines,
                                  int* nlines) {
  Buffer buf = ReadBufferExtended(rel, MAIN_FORKNUM, block, RBM_NORMAL, strategy);
  LockBuffer(buf, BUFFER_LOCK_SHARE);
  const Page page = BufferGetPage(buf);
  if (!PageIsAllVisible(page)) {
    LockBuffer(buf, BUFFER_LOCK_UNLOCK);
    ReleaseBuffer(buf);
    return InvalidBuffer;
  }
  const OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
  int n = 0;
  for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off = OffsetNumberNext(off))
    if (ItemIdIsNormal(PageGetItemId(page, off))) lines[n++] = off;
  LockBuffer(buf, BUFFER_LOCK_UNLOCK);
  *nlines = n;
  return buf;
}

}  // namespace strata::pg
