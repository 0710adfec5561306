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
#include "utils/snapmgr.h"
}

namespace strata {

extern int guc_cagg_refresh_batch_buckets;

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
}

}  // namespace strata

namespace {

struct WatermarkCache {
  bool valid;
  int64 watermark;
};

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
      Relation rel = table_open(caggs::cagg_oids().cagg, AccessShareLock);
      Snapshot snap = ActiveSnapshotSet() ? GetActiveSnapshot() : nullptr;
      SysScanDesc scan = systable_beginscan(rel, caggs::cagg_oids().cagg_pkey, true, snap, 1, &key);
      HeapTuple tup = systable_getnext(scan);
      if (HeapTupleIsValid(tup)) {
        bool isnull;
        wm = DatumGetInt64(heap_getattr(tup, caggs::Anum_ca_watermark, RelationGetDescr(rel), &isnull));
      }
      systable_endscan(scan);
      table_close(rel, AccessShareLock);
    }
    cache->watermark = wm;
    cache->valid = true;
  }
  PG_RETURN_DATUM(internal_to_time_datum(cache->watermark, type));
}
