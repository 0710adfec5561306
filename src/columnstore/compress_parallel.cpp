// compress_chunk's parallel heap read (docs/COLUMNSTORE.md, "Compressing a chunk"). Copy mode
// reads a chunk's pages once and copies their visible tuples (compress.cpp, memrows_read_heap);
// on a freshly loaded chunk that read is a fifth of the backend's time. A parallel worker copies
// the upper part of the pages, [split, nblocks), into a dynamic shared memory segment the
// backend created, page by page, while the backend copies [0, split) into its own memory; once
// the worker is done the backend takes the worker's rows in page order, in place (no second
// copy). So the rows arrive in the heap's order, as the serial read gathers them, and everything
// after (sort, statistics, batches) is the same. The backend is in parallel mode only for the
// read: it writes nothing then. C-style glue.
#include "columnstore/compress_parallel.hpp"

#include "columnstore/columnstore.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/parallel.h"
#include "access/table.h"
#include "access/xact.h"
#include "executor/instrument.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/dsm.h"
#include "storage/shm_toc.h"
#include "utils/snapmgr.h"
}

namespace strata::columnstore {

bool guc_compression_parallel_read = false;
int guc_compression_parallel_read_min_pages = 2048;
bool guc_compression_parallel_read_fail_memory = false;

namespace {

// Whether `t` (in the share-locked page `buf`) is visible to the MVCC snapshot `snap`: what
// HeapTupleSatisfiesVisibility answers. For a tuple that no transaction deleted (xmax invalid),
// whose inserting transaction is not this one, the answer follows from xmin's hint bits, the
// snapshot and the commit log, as HeapTupleSatisfiesMVCC finds it, and no hint bit is set (the
// freshly loaded chunk's common case); every other tuple is asked of HeapTupleSatisfiesVisibility
// itself, which may set hint bits.
//
// The memo: for one snapshot, the verdict on an xmin that is not this transaction's cannot change
// during the read. An xmin in the snapshot is invisible whatever becomes of it; one not in it had
// ended when the snapshot was taken (XidInMVCCSnapshot is true for every xid at or past its xmax
// and for the running ones), so whether it committed is settled; and which xids are this
// transaction's does not change while it reads (it starts no subtransaction then). So the last
// such xmin's verdict is kept and reused for the next tuples with that xmin (every row of a COPY
// or multi-row INSERT): XidInMVCCSnapshot and TransactionIdDidCommit were ~90 instructions a row
// of a freshly loaded chunk. This transaction's own rows are not memoized (they go to
// HeapTupleSatisfiesVisibility, which tells them apart by command id).
bool tuple_visible_no_hints(HeapTuple t, Snapshot snap, Buffer buf, XminMemo* memo) {
  const HeapTupleHeader h = t->t_data;
  if ((h->t_infomask & HEAP_XMAX_INVALID) && !(h->t_infomask & HEAP_MOVED)) {
    const TransactionId xmin = HeapTupleHeaderGetRawXmin(h);
    if (HeapTupleHeaderXminCommitted(h)) return HeapTupleHeaderXminFrozen(h) || !XidInMVCCSnapshot(xmin, snap);
    if (HeapTupleHeaderXminInvalid(h)) return false;
    if (memo != nullptr && memo->valid && memo->xid == xmin) return memo->visible;
    if (!TransactionIdIsCurrentTransactionId(xmin)) {
      const bool visible = !XidInMVCCSnapshot(xmin, snap) && TransactionIdDidCommit(xmin);
      if (memo != nullptr) *memo = XminMemo{true, xmin, visible};
      return visible;
    }
  }
  return HeapTupleSatisfiesVisibility(t, snap, buf);
}

}  // namespace

bool page_tuple_visible(Relation rel, Buffer buf, BlockNumber blk, OffsetNumber off, Snapshot snap, bool all_visible,
                        HeapTupleData* t, XminMemo* memo) {
  const Page page = BufferGetPage(buf);
  const ItemId lp = PageGetItemId(page, off);
  if (!ItemIdIsNormal(lp)) return false;
  t->t_data = (HeapTupleHeader)PageGetItem(page, lp);
  t->t_len = ItemIdGetLength(lp);
  t->t_tableOid = RelationGetRelid(rel);
  ItemPointerSet(&t->t_self, blk, off);
  return all_visible || tuple_visible_no_hints(t, snap, buf, memo);
}

namespace {

constexpr uint64 kKeyShared = UINT64CONST(0x5354524143500001);
constexpr uint64 kKeySnapshot = UINT64CONST(0x5354524143500002);
constexpr uint64 kKeyBufferUsage = UINT64CONST(0x5354524143500003);
constexpr uint64 kKeyWalUsage = UINT64CONST(0x5354524143500004);

// In the parallel context's segment.
struct ReadShared {
  Oid relid;
  BlockNumber split, nblocks;
  dsm_handle data;
  Size data_size;
  Size used;  // written by the worker at its end
  // per page of [split, nblocks): where its record starts in the data segment
  uint64 page_offset[FLEXIBLE_ARRAY_MEMBER];
};

// A page's record in the data segment: this header, `ntuples` entries (room for the page's line
// pointers is taken), then each visible tuple at a MAXALIGNed offset. A page's line pointers and
// tuples take at least what its record takes, so the segment needs no more than the pages' bytes.
struct PageRecord {
  uint32 ntuples;
  uint32 head;  // bytes from the record's start to its first tuple
};
struct TupleEntry {
  uint16 len;
  OffsetNumber off;
};

Size record_head(OffsetNumber maxoff) { return MAXALIGN(sizeof(PageRecord) + sizeof(TupleEntry) * (Size)maxoff); }

// The worker: copies the visible tuples of pages [split, nblocks).
void parallel_read_worker(shm_toc* toc) {
  InstrStartParallelQuery();  // (its buffer usage is added to the backend's, as a parallel index build's)
  ReadShared* sh = (ReadShared*)shm_toc_lookup(toc, kKeyShared, false);
  Snapshot snap = RestoreSnapshot((char*)shm_toc_lookup(toc, kKeySnapshot, false));
  Relation rel = table_open(sh->relid, AccessShareLock);  // (the backend's lock group holds it already)
  dsm_segment* data = dsm_attach(sh->data);
  if (data == nullptr) elog(ERROR, "columnstore: could not attach to the parallel read's shared memory");
  char* base = (char*)dsm_segment_address(data);
  BufferAccessStrategy strategy = GetAccessStrategy(BAS_BULKREAD);
  Size used = 0;
  XminMemo memo;
  for (BlockNumber blk = sh->split; blk < sh->nblocks; ++blk) {
    const Buffer buf = ReadBufferExtended(rel, MAIN_FORKNUM, blk, RBM_NORMAL, strategy);
    LockBuffer(buf, BUFFER_LOCK_SHARE);
    const Page page = BufferGetPage(buf);
    const bool all_visible = PageIsAllVisible(page) && !snap->takenDuringRecovery;
    const OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
    const Size head = record_head(maxoff);
    if (used + head > sh->data_size) elog(ERROR, "columnstore: parallel read overran its shared memory");
    PageRecord* rec = (PageRecord*)(base + used);
    TupleEntry* entries = (TupleEntry*)(rec + 1);
    Size at = used + head;
    uint32 n = 0;
    for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off = OffsetNumberNext(off)) {
      HeapTupleData t;
      if (!page_tuple_visible(rel, buf, blk, off, snap, all_visible, &t, &memo)) continue;
      if (at + MAXALIGN(t.t_len) > sh->data_size) elog(ERROR, "columnstore: parallel read overran its shared memory");
      memcpy(base + at, t.t_data, t.t_len);
      entries[n].len = (uint16)t.t_len;
      entries[n].off = off;
      n++;
      at += MAXALIGN(t.t_len);
    }
    rec->ntuples = n;
    rec->head = (uint32)head;
    sh->page_offset[blk - sh->split] = used;
    used = at;
    LockBuffer(buf, BUFFER_LOCK_UNLOCK);
    ReleaseBuffer(buf);
    CHECK_FOR_INTERRUPTS();
  }
  sh->used = used;
  FreeAccessStrategy(strategy);
  dsm_detach(data);
  table_close(rel, AccessShareLock);
  BufferUsage* bufusage = (BufferUsage*)shm_toc_lookup(toc, kKeyBufferUsage, false);
  WalUsage* walusage = (WalUsage*)shm_toc_lookup(toc, kKeyWalUsage, false);
  InstrEndParallelQuery(&bufusage[ParallelWorkerNumber], &walusage[ParallelWorkerNumber]);
}

// ---- the shared memory kept for the transaction's next compression ----
//
// Creating a segment allocates its pages (posix_fallocate) and the last detach frees them and
// unmaps them, both in this backend, and its first touch of each page is a fault: together about
// 3% of the backend's time per chunk (devops small). `SELECT compress_chunk(c) FROM
// show_chunks(...)` compresses chunks of similar sizes one after the other, so the segment stays
// mapped (dsm_pin_mapping) for the next compression of the same transaction, and is detached when
// the transaction's memory goes (commit or abort).
struct SharedRows {
  dsm_segment* seg;
  Size size;
  bool busy;
  bool callback;  // the reset callback of TopTransactionContext is registered
};

SharedRows shared_rows;

void shared_rows_forget(void*) {
  if (shared_rows.seg != nullptr) dsm_detach(shared_rows.seg);
  memset(&shared_rows, 0, sizeof shared_rows);
}

// Lets the segment go now (no worker could be started: nothing to keep it for).
void shared_rows_drop() {
  if (shared_rows.seg != nullptr) dsm_detach(shared_rows.seg);
  shared_rows.seg = nullptr;
  shared_rows.size = 0;
  shared_rows.busy = false;
}

// A new segment of `size` bytes, mapped to the transaction's end, or nullptr. Created in a
// subtransaction: dsm_create raises an error when /dev/shm is full (posix_fallocate fails; a
// container's 64 MB /dev/shm, say), and returns nullptr only when the segment slots run out;
// either way the backend then reads every page itself, as with the setting off.
dsm_segment* shared_rows_create(Size size, Relation rel) {
  dsm_segment* seg = nullptr;
  ErrorData* error = nullptr;
  const bool created = pg::pg_call_in_subtransaction(
      [&] {
        if (guc_compression_parallel_read_fail_memory)
          ereport(ERROR, (errcode(ERRCODE_DISK_FULL),
                          errmsg("could not create a shared memory segment (strata.compression_parallel_read_fail_memory)")));
        seg = dsm_create(size, DSM_CREATE_NULL_IF_MAXSEGMENTS);
        if (seg != nullptr) dsm_pin_mapping(seg);
      },
      &error);
  if (created) return seg;
  ereport(guc_compression_progress ? NOTICE : LOG,
          (errmsg("compressing chunk \"%s\": no shared memory for a parallel read, the backend reads every page: %s",
                  RelationGetRelationName(rel), error->message)));
  FreeErrorData(error);
  return nullptr;
}

// A segment of at least `size` bytes for reading `rel`, or nullptr.
dsm_segment* shared_rows_take(Size size, Relation rel) {
  if (!shared_rows.callback) {
    pg::call_at_reset(TopTransactionContext, shared_rows_forget, nullptr);
    shared_rows.callback = true;
  }
  if (shared_rows.busy) return nullptr;  // (a compression that failed in a subtransaction holds it)
  if (shared_rows.seg != nullptr && shared_rows.size < size) {
    dsm_detach(shared_rows.seg);
    shared_rows.seg = nullptr;
  }
  if (shared_rows.seg == nullptr) {
    shared_rows.seg = shared_rows_create(size, rel);
    if (shared_rows.seg == nullptr) return nullptr;
    shared_rows.size = size;
  }
  shared_rows.busy = true;
  return shared_rows.seg;
}

}  // namespace

struct ParallelRead {
  ParallelContext* pcxt;
  ReadShared* shared;
  BufferUsage* bufusage;  // the worker's, in the parallel context's segment
  WalUsage* walusage;
  dsm_segment* data;
  char* base;
  Oid relid;
  BlockNumber split, nblocks;
  uint64* page_offset;  // copied out of the parallel context once the worker is done
  // parallel_read_next_row's position
  BlockNumber page;
  uint32 tuple;
  const PageRecord* rec;
  Size at;
};

ParallelRead* parallel_read_begin(Relation rel, Snapshot snap, BlockNumber nblocks, BlockNumber* split) {
  if (!guc_compression_parallel_read || nblocks < 2 || (double)nblocks < (double)guc_compression_parallel_read_min_pages ||
      max_parallel_maintenance_workers <= 0 || !IsUnderPostmaster || IsInParallelMode())
    return nullptr;
  const BlockNumber s = nblocks / 2;
  const BlockNumber npages = nblocks - s;
  dsm_segment* data = shared_rows_take(mul_size(npages, BLCKSZ), rel);
  if (data == nullptr) return nullptr;
  const Size data_size = shared_rows.size;
  EnterParallelMode();
  ParallelContext* pcxt = CreateParallelContext("strata", "strata_compress_read_main", 1);
  const Size shared_size = add_size(offsetof(ReadShared, page_offset), mul_size(npages, sizeof(uint64)));
  const Size snap_size = EstimateSnapshotSpace(snap);
  shm_toc_estimate_chunk(&pcxt->estimator, shared_size);
  shm_toc_estimate_chunk(&pcxt->estimator, snap_size);
  shm_toc_estimate_chunk(&pcxt->estimator, mul_size(sizeof(BufferUsage), pcxt->nworkers));
  shm_toc_estimate_chunk(&pcxt->estimator, mul_size(sizeof(WalUsage), pcxt->nworkers));
  shm_toc_estimate_keys(&pcxt->estimator, 4);
  InitializeParallelDSM(pcxt);
  if (pcxt->seg == nullptr || pcxt->nworkers == 0) {
    DestroyParallelContext(pcxt);
    ExitParallelMode();
    shared_rows_drop();
    return nullptr;
  }
  ReadShared* sh = (ReadShared*)shm_toc_allocate(pcxt->toc, shared_size);
  sh->relid = RelationGetRelid(rel);
  sh->split = s;
  sh->nblocks = nblocks;
  sh->data = dsm_segment_handle(data);
  sh->data_size = data_size;
  sh->used = 0;
  shm_toc_insert(pcxt->toc, kKeyShared, sh);
  char* sp = (char*)shm_toc_allocate(pcxt->toc, snap_size);
  SerializeSnapshot(snap, sp);
  shm_toc_insert(pcxt->toc, kKeySnapshot, sp);
  BufferUsage* bufusage = (BufferUsage*)shm_toc_allocate(pcxt->toc, mul_size(sizeof(BufferUsage), pcxt->nworkers));
  shm_toc_insert(pcxt->toc, kKeyBufferUsage, bufusage);
  WalUsage* walusage = (WalUsage*)shm_toc_allocate(pcxt->toc, mul_size(sizeof(WalUsage), pcxt->nworkers));
  shm_toc_insert(pcxt->toc, kKeyWalUsage, walusage);
  LaunchParallelWorkers(pcxt);
  if (pcxt->nworkers_launched == 0) {
    DestroyParallelContext(pcxt);
    ExitParallelMode();
    shared_rows_drop();
    return nullptr;
  }
  ParallelRead* p = (ParallelRead*)palloc0(sizeof(ParallelRead));
  p->pcxt = pcxt;
  p->shared = sh;
  p->bufusage = bufusage;
  p->walusage = walusage;
  p->data = data;
  p->base = (char*)dsm_segment_address(data);
  p->relid = RelationGetRelid(rel);
  p->split = s;
  p->nblocks = nblocks;
  *split = s;
  return p;
}

void parallel_read_wait(ParallelRead* p) {
  if (p->pcxt == nullptr) return;  // (waited for already: the memory ran out during the backend's pages)
  // A registered worker that never started (the postmaster could not fork it) makes this raise an
  // error rather than hang, as it does for PostgreSQL's parallel index build; compress_chunk then
  // fails, as it would on any other error of the read.
  WaitForParallelWorkersToFinish(p->pcxt);
  for (int i = 0; i < p->pcxt->nworkers_launched; ++i) InstrAccumParallelQuery(&p->bufusage[i], &p->walusage[i]);
  const BlockNumber npages = p->nblocks - p->split;
  p->page_offset = (uint64*)palloc(sizeof(uint64) * (Size)npages);
  memcpy(p->page_offset, p->shared->page_offset, sizeof(uint64) * (Size)npages);
  DestroyParallelContext(p->pcxt);
  p->pcxt = nullptr;
  p->shared = nullptr;
  ExitParallelMode();
  p->page = p->split;
  p->rec = nullptr;
}

bool parallel_read_next_row(ParallelRead* p, HeapTupleData* t) {
  while (p->rec == nullptr || p->tuple == p->rec->ntuples) {
    if (p->rec != nullptr) p->page++;
    if (p->page >= p->nblocks) {
      p->rec = nullptr;
      return false;
    }
    const Size off = p->page_offset[p->page - p->split];
    p->rec = (const PageRecord*)(p->base + off);
    p->tuple = 0;
    p->at = off + p->rec->head;
  }
  const TupleEntry* e = (const TupleEntry*)(p->rec + 1) + p->tuple;
  t->t_data = (HeapTupleHeader)(p->base + p->at);
  t->t_len = e->len;
  t->t_tableOid = p->relid;
  ItemPointerSet(&t->t_self, p->page, e->off);
  p->at += MAXALIGN(e->len);
  p->tuple++;
  return true;
}

void parallel_read_release(ParallelRead* p) {
  if (p->data != nullptr && p->data == shared_rows.seg) shared_rows.busy = false;
  p->data = nullptr;
}

}  // namespace strata::columnstore

// The parallel worker's entry point (looked up by name by PostgreSQL's parallel machinery).
extern "C" PGDLLEXPORT void strata_compress_read_main(dsm_segment* seg, shm_toc* toc);
void strata_compress_read_main(dsm_segment* seg, shm_toc* toc) {
  strata::pg::cpp_entry([&] { strata::columnstore::parallel_read_worker(toc); });
}
