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

int heap_all_visible_lines(Relation rel, Buffer buf, BlockNumber block, const OffsetNumber* offsets, int n,
                           Snapshot snapshot, OffsetNumber* lines) {
  // (heap_all_visible_line with the page's line pointer count read once)
  const Page page = BufferGetPage(buf);
  const OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
  int k = 0;
  for (int i = 0; i < n; ++i) {
    const OffsetNumber off = offsets[i];
    if (off >= FirstOffsetNumber && off <= maxoff && ItemIdIsNormal(PageGetItemId(page, off))) {
      lines[k++] = off;
      continue;
    }
    const OffsetNumber line = heap_chain_line(rel, buf, block, off, snapshot);
    if (line != InvalidOffsetNumber) lines[k++] = line;
  }
  return k;
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
