// Where continuous aggregates attach to PostgreSQL: the setting, the ProcessUtility wrap handler
// (the hook dispatcher, src/hooks, runs it and the transaction and invalidation handlers), and
// the real-time watermark function.
#include "caggs/internal.hpp"

#include "core/time/chunk_range.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "access/skey.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "access/xact.h"
#include "storage/proc.h"
#include "utils/snapmgr.h"
}

namespace strata {

extern int guc_cagg_refresh_batch_buckets;
extern bool guc_cagg_refresh_parallel;
extern bool guc_cagg_incremental;
extern bool guc_cagg_refresh_rowstore_agg;
extern bool guc_cagg_refresh_cached_newest;
extern bool guc_cagg_refresh_bulk_write;
extern bool guc_cagg_refresh_newest_by_index;

void caggs_wrap_utility(const pg::UtilityCall* c) {
  if (!caggs_process_utility(c->pstmt, c->query_string, c->read_only_tree, c->context, c->params, c->query_env,
                             c->dest, c->qc))
    pg::utility_proceed(c);
}

void caggs_init() {
  DefineCustomIntVariable("strata.cagg_refresh_batch_buckets",
                          "Buckets a continuous aggregate refresh recomputes per transaction (0: one raw chunk "
                          "interval's worth).",
                          nullptr, &guc_cagg_refresh_batch_buckets, 0, 0, INT_MAX, PGC_USERSET, 0, nullptr, nullptr,
                          nullptr);
  DefineCustomBoolVariable("strata.cagg_refresh_parallel",
                           "Continuous aggregate refreshes run their aggregation as a SELECT of its own, which may "
                           "use parallel workers, and write its rows in bulk (off: INSERT ... SELECT, never parallel).",
                           nullptr, &guc_cagg_refresh_parallel, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.cagg_incremental",
                           "Rows that INSERT and COPY write below a continuous aggregate's invalidation threshold "
                           "are aggregated into delta rows that a refresh adds into the materialized buckets, "
                           "where the aggregates combine exactly (off: their buckets are recomputed).",
                           nullptr, &guc_cagg_incremental, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomIntVariable("strata.cagg_fillfactor",
                          "Fillfactor of the materialization hypertable of a new continuous aggregate whose "
                          "refreshes merge late rows in place: the free space left in each page lets them update "
                          "materialized rows without new index entries (HOT); 100 leaves none.",
                          nullptr, &guc_cagg_fillfactor, 90, 10, 100, PGC_USERSET, 0, nullptr, nullptr, nullptr);

  DefineCustomBoolVariable("strata.cagg_refresh_rowstore_agg",
                           "Continuous aggregate refreshes aggregate rowstore chunks with RowstoreAggregate "
                           "(strata.enable_rowstore_agg on while a batch's aggregation is planned and run).",
                           nullptr, &guc_cagg_refresh_rowstore_agg, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.cagg_refresh_cached_newest",
                           "Continuous aggregate refreshes with an open end take the newest raw time from shared "
                           "memory, where writers record it, instead of reading the newest raw rows (needs strata "
                           "in shared_preload_libraries).",
                           nullptr, &guc_cagg_refresh_cached_newest, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.cagg_refresh_newest_by_index",
                           "Continuous aggregate refreshes with an open end that must read the newest raw chunk "
                           "for its newest time read it through a btree index holding the time column (first, or "
                           "second after a column with few distinct values) instead of reading every row.",
                           nullptr, &guc_cagg_refresh_newest_by_index, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  DefineCustomBoolVariable("strata.cagg_refresh_bulk_write",
                           "Continuous aggregate refreshes write their rows straight into the materialization's "
                           "chunks, and a batch over chunks that do not exist yet fills each new chunk and builds "
                           "its indexes after its rows (off: INSERT statements, automatic batch sizes only).",
                           nullptr, &guc_cagg_refresh_bulk_write, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
  caggs::newest_init();
}

}  // namespace strata

namespace {

struct WatermarkCache {
  bool valid;
  int64 watermark;
};

// The last watermark read, with the visibility of the snapshot it was read with: planning
// evaluates cagg_watermark() once per chunk restriction (selectivity estimates), each time with a
// fresh FmgrInfo. Two MVCC snapshots of one (sub)transaction and command with the same xmin, xmax
// and in-progress transactions see the same rows.
constexpr int kMaxCachedXids = 32;
struct SnapshotWatermark {
  bool valid;
  int32 mat_id;
  LocalTransactionId lxid;
  SubTransactionId subxid;
  CommandId cid;
  TransactionId xmin;
  TransactionId xmax;
  uint32 xcnt;
  int32 subxcnt;
  bool suboverflowed;
  bool recovery;
  TransactionId xip[kMaxCachedXids];
  TransactionId subxip[kMaxCachedXids];
  int64 watermark;
};
SnapshotWatermark last_watermark;

bool snapshot_cacheable(Snapshot snap) {
  return snap != nullptr && snap->snapshot_type == SNAPSHOT_MVCC && snap->xcnt <= (uint32)kMaxCachedXids &&
         snap->subxcnt >= 0 && snap->subxcnt <= kMaxCachedXids;
}

bool same_visibility(const SnapshotWatermark& w, int32 mat_id, Snapshot snap) {
  return w.valid && w.mat_id == mat_id && w.lxid == MyProc->lxid && w.subxid == GetCurrentSubTransactionId() &&
         w.cid == snap->curcid && w.xmin == snap->xmin && w.xmax == snap->xmax && w.xcnt == snap->xcnt &&
         w.subxcnt == snap->subxcnt && w.suboverflowed == snap->suboverflowed &&
         w.recovery == snap->takenDuringRecovery &&
         (snap->xcnt == 0 || memcmp(w.xip, snap->xip, sizeof(TransactionId) * snap->xcnt) == 0) &&
         (snap->subxcnt == 0 || memcmp(w.subxip, snap->subxip, sizeof(TransactionId) * snap->subxcnt) == 0);
}

void remember_watermark(int32 mat_id, Snapshot snap, int64 wm) {
  SnapshotWatermark& w = last_watermark;
  w.valid = true;
  w.mat_id = mat_id;
  w.lxid = MyProc->lxid;
  w.subxid = GetCurrentSubTransactionId();
  w.cid = snap->curcid;
  w.xmin = snap->xmin;
  w.xmax = snap->xmax;
  w.xcnt = snap->xcnt;
  w.subxcnt = snap->subxcnt;
  w.suboverflowed = snap->suboverflowed;
  w.recovery = snap->takenDuringRecovery;
  if (snap->xcnt > 0) memcpy(w.xip, snap->xip, sizeof(TransactionId) * snap->xcnt);
  if (snap->subxcnt > 0) memcpy(w.subxip, snap->subxip, sizeof(TransactionId) * snap->subxcnt);
  w.watermark = wm;
}

}  // namespace

// _strata_internal.cagg_watermark(mat_hypertable_id integer, type_hint anyelement): the
// watermark as a value of the bucket type, read once per query from the query's snapshot.
STRATA_FUNCTION(strata_cagg_watermark) {
  using namespace strata;
  if (PG_ARGISNULL(0)) PG_RETURN_NULL();
  Oid type = get_fn_expr_argtype(fcinfo->flinfo, 1);
  auto* cache = static_cast<WatermarkCache*>(fcinfo->flinfo->fn_extra);
  if (cache == nullptr) {
    cache = static_cast<WatermarkCache*>(MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(WatermarkCache)));
    fcinfo->flinfo->fn_extra = cache;
  }
  if (!cache->valid) {
    int32 mat_id = PG_GETARG_INT32(0);
    int64 wm = core::kOpenStart;
    if (extension_is_active()) {
      ScanKeyData key;
      ScanKeyInit(&key, caggs::Anum_ca_mat_id, BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(mat_id));
      Snapshot snap = ActiveSnapshotSet() ? GetActiveSnapshot() : nullptr;
      const bool cacheable = snapshot_cacheable(snap);
      if (cacheable && same_visibility(last_watermark, mat_id, snap)) {
        cache->watermark = last_watermark.watermark;
        cache->valid = true;
        PG_RETURN_DATUM(internal_to_time_datum(cache->watermark, type));
      }
      Relation rel = table_open(caggs::cagg_oids().cagg, AccessShareLock);
      SysScanDesc scan = systable_beginscan(rel, caggs::cagg_oids().cagg_pkey, true, snap, 1, &key);
      HeapTuple tup = systable_getnext(scan);
      if (HeapTupleIsValid(tup)) {
        bool isnull;
        wm = DatumGetInt64(heap_getattr(tup, caggs::Anum_ca_watermark, RelationGetDescr(rel), &isnull));
      }
      systable_endscan(scan);
      table_close(rel, AccessShareLock);
      if (cacheable) remember_watermark(mat_id, snap, wm);
    }
    cache->watermark = wm;
    cache->valid = true;
  }
  PG_RETURN_DATUM(internal_to_time_datum(cache->watermark, type));
}
