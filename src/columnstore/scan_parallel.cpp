// Parallel scans of compressed chunks (scan.hpp, docs/ARCHITECTURE.md "Parallel scans of compressed
// chunks"): the partial paths of a compressed chunk, and the dynamic shared memory of a
// parallel-aware ColumnarScan, which divides the companion table's batches among the participants.
//
// Every participant (the leader and each worker) runs the same scan of the companion table (a heap
// scan without synchronized start, or the same index scan with the same keys) under the same
// snapshot, so all of them see the same companion rows in the same order; the i-th row is a batch
// that the participant which claimed number i from a shared atomic counter decodes, and the others
// step over it without looking at it further. Stepping over a row reads its page (a row that fits
// keeps its data columns inline, about a page a full batch) but deforms none of its data columns,
// which costs little next to detoasting and decoding a batch, and the division is even whatever the companion's size in pages (a parallel heap scan
// divides by blocks, and a companion of a few pages holds hundreds of batches). The chunk's row
// part is read by its own parallel heap scan beside the ColumnarScan in a partial Append.
#include "columnstore/scan.hpp"

#include <algorithm>

#include "pg/guard.hpp"
#include "pg/pg.hpp"

extern "C" {
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "port/atomics.h"
}

namespace strata::columnstore {

bool guc_enable_columnstore_parallel_scan = true;

constexpr int kCounters = 4;

// In the dynamic shared memory of the parallel query, one per parallel-aware ColumnarScan.
struct ColumnarShared {
  pg_atomic_uint64 next;                // the next companion row number to claim
  pg_atomic_uint64 counters[kCounters]; // EXPLAIN ANALYZE counters of the workers
};

// One participant's share.
struct ColumnarParallel {
  ColumnarShared* shared;  // nullptr: run without a parallel context (the participant reads everything)
  bool worker;
  uint64 seen;     // companion rows fetched since the scan started
  uint64 claimed;  // the row number claimed last (valid with `holding`)
  bool holding;
  int64 others[kCounters];  // the workers' counters, collected by the leader at shutdown
};

namespace {

// As PostgreSQL's cost model divides a partial path's rows and CPU cost: the workers, plus the
// leader's share (less the more workers it has to feed).
double parallel_divisor(int workers) {
  double divisor = workers;
  if (parallel_leader_participation) {
    const double leader = 1.0 - 0.3 * workers;
    if (leader > 0) divisor += leader;
  }
  return divisor;
}

ColumnarParallel* share_of(CustomScanState* node) {
  ColumnarParallel** slot = columnar_parallel_slot(node);
  if (*slot == nullptr)
    *slot = (ColumnarParallel*)MemoryContextAllocZero(node->ss.ps.state->es_query_cxt, sizeof(ColumnarParallel));
  return *slot;
}

void reset_shared(ColumnarShared* shared) {
  pg_atomic_init_u64(&shared->next, 0);
  for (int i = 0; i < kCounters; ++i) pg_atomic_init_u64(&shared->counters[i], 0);
}

}  // namespace

bool columnar_parallel_take(ColumnarParallel* par) {
  if (par == nullptr || par->shared == nullptr) return true;
  const uint64 pos = par->seen++;
  if (!par->holding) {
    // Claims only grow, and this participant's previous claim was below pos: the claim is >= pos.
    par->claimed = pg_atomic_fetch_add_u64(&par->shared->next, 1);
    par->holding = true;
  }
  if (pos < par->claimed) return false;
  par->holding = false;
  return true;
}

void columnar_parallel_restart(ColumnarParallel* par) {
  if (par == nullptr) return;
  par->seen = 0;
  par->holding = false;
}

Size columnar_estimate_dsm(CustomScanState* node, ParallelContext* pcxt) { return MAXALIGN(sizeof(ColumnarShared)); }

void columnar_initialize_dsm(CustomScanState* node, ParallelContext* pcxt, void* coordinate) {
  ColumnarShared* shared = (ColumnarShared*)coordinate;
  reset_shared(shared);
  ColumnarParallel* par = share_of(node);
  par->shared = shared;
  par->worker = false;
  columnar_parallel_restart(par);
}

void columnar_reinitialize_dsm(CustomScanState* node, ParallelContext* pcxt, void* coordinate) {
  // A rescan of the Gather: the batches are claimed anew (the counters of the previous workers
  // stay, for EXPLAIN ANALYZE's totals over every loop).
  ColumnarShared* shared = (ColumnarShared*)coordinate;
  pg_atomic_write_u64(&shared->next, 0);
  ColumnarParallel* par = share_of(node);
  par->shared = shared;
  columnar_parallel_restart(par);
}

void columnar_initialize_worker(CustomScanState* node, shm_toc* toc, void* coordinate) {
  ColumnarParallel* par = share_of(node);
  par->shared = (ColumnarShared*)coordinate;
  par->worker = true;
  columnar_parallel_restart(par);
}

void columnar_shutdown(CustomScanState* node) {
  ColumnarParallel* par = *columnar_parallel_slot(node);
  if (par == nullptr || par->shared == nullptr) return;
  if (par->worker) {
    // Before the worker detaches from its tuple queue, so before the leader's Gather sees the end.
    int64 own[kCounters] = {};
    columnar_own_counters(node, own);
    for (int i = 0; i < kCounters; ++i) pg_atomic_fetch_add_u64(&par->shared->counters[i], (uint64)own[i]);
    par->shared = nullptr;
    return;
  }
  // The leader, before the Gather above releases the shared memory.
  for (int i = 0; i < kCounters; ++i) par->others[i] += (int64)pg_atomic_exchange_u64(&par->shared->counters[i], 0);
  par->shared = nullptr;
}

void columnar_parallel_counters(ColumnarParallel* par, int64 counters[4]) {
  if (par == nullptr || par->worker) return;
  for (int i = 0; i < kCounters; ++i) counters[i] += par->others[i];
}

void add_columnar_partial_path(PlannerInfo* root, RelOptInfo* rel, CustomPath* path, double uncompressed_bytes,
                               Cost io_cost, Path* rowpart, List* rowpart_partial) {
  if (!guc_enable_columnstore_parallel_scan || !rel->consider_parallel || rel->lateral_relids != nullptr) return;
  // The work is decoding, which grows with the rows the batches hold: workers are planned as for
  // a heap of the chunk's size before compression.
  const double pages = std::max(uncompressed_bytes / BLCKSZ, 1.0);
  const int workers = compute_parallel_worker(rel, std::min(pages, (double)MaxBlockNumber), -1,
                                              max_parallel_workers_per_gather);
  if (workers <= 0) return;
  const double divisor = parallel_divisor(workers);
  path->path.parallel_aware = true;
  path->path.parallel_safe = true;
  path->path.parallel_workers = workers;
  path->path.rows = clamp_row_est(path->path.rows / divisor);
  // Each participant reads the companion's pages; detoasting, decoding and forming rows are divided.
  io_cost = std::min(io_cost, path->path.total_cost);
  path->path.total_cost = io_cost + (path->path.total_cost - io_cost) / divisor;
  if (rowpart == nullptr) {
    add_partial_path(rel, &path->path);
    return;
  }
  // The row part: its own parallel scan (each of its blocks read by one participant).
  Path* partial_rowpart = nullptr;
  ListCell* lc;
  foreach (lc, rowpart_partial) {
    Path* p = (Path*)lfirst(lc);
    if (p->param_info != nullptr || !p->parallel_safe) continue;
    if (partial_rowpart == nullptr || p->total_cost < partial_rowpart->total_cost) partial_rowpart = p;
  }
  if (partial_rowpart == nullptr) {
    partial_rowpart = create_seqscan_path(root, rel, nullptr, workers);
    // (sized by the row part's own estimate, not the whole chunk's)
    partial_rowpart->rows = clamp_row_est(rowpart->rows / divisor);
  }
  AppendPath* ap = create_append_path(root, rel, NIL, list_make2(&path->path, partial_rowpart), NIL, nullptr,
                                      std::max(workers, partial_rowpart->parallel_workers), enable_parallel_append, -1);
  add_partial_path(rel, &ap->path);
}

}  // namespace strata::columnstore
