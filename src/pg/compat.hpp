// The one place for calls whose signature or behaviour differs between PostgreSQL major versions.
// Only PostgreSQL 15 is supported today; a port to 16/17 adds branches here and nowhere else.
#pragma once

#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 160000
#error "strata is built for PostgreSQL 15; add the version's branches to src/pg/compat.hpp"
#endif

extern "C" {
#include "executor/executor.h"
#include "libpq/pqformat.h"
#include "nodes/execnodes.h"
#include "utils/acl.h"
}

namespace strata::compat {

// PG15: ExecInitRangeTable-era permission info lives on the RangeTblEntry (PG16 moved it to
// RTEPermissionInfo); callers ask here whether a range table entry needs INSERT checking.
inline AclMode rte_required_perms(const RangeTblEntry* rte) { return rte->requiredPerms; }
inline void rte_clear_required_perms(RangeTblEntry* rte) { rte->requiredPerms = 0; }

// PG16 replaced pg_class_ownercheck() with object_ownercheck(RelationRelationId, ...).
inline bool is_table_owner(Oid relid, Oid roleid) { return pg_class_ownercheck(relid, roleid); }
inline bool is_schema_owner(Oid nspid, Oid roleid) { return pg_namespace_ownercheck(nspid, roleid); }

// ModifyTableState's result-relation hash (nodeModifyTable.c, PG14-15): entries keyed by relation
// OID giving the index into resultRelInfo[]. Mirrored here so that chunk dispatch can add the
// result relations it creates while the statement runs.
struct MTTargetRelLookup {
  Oid relationOid;
  int relationIndex;
};

// PG16 added an `onlySummarizing` argument.
inline List* insert_index_tuples(ResultRelInfo* rri, TupleTableSlot* slot, EState* estate) {
  return ExecInsertIndexTuples(rri, slot, estate, false, false, nullptr, NIL);
}

// The serialized partial state of sum(int8) / avg(int8) (int8_avg_serialize) carries its sum as a
// numeric variable: PG15 writes it with numericvar_serialize (int32 ndigits, weight, sign, dscale,
// then int16 digits). `wire` is the numeric's binary send form (int16 each), re-encoded here.
inline void serialize_numeric_var(StringInfo buf, const uint8* wire, size_t len) {
  auto int16_at = [&](size_t i) -> int16 { return (int16)((wire[2 * i] << 8) | wire[2 * i + 1]); };
  if (len < 8) elog(ERROR, "unexpected numeric wire form");
  const int ndigits = (uint16)int16_at(0);
  if (len < (size_t)(8 + 2 * ndigits)) elog(ERROR, "unexpected numeric wire form");
  pq_sendint32(buf, ndigits);
  pq_sendint32(buf, int16_at(1));
  pq_sendint32(buf, (uint16)int16_at(2));
  pq_sendint32(buf, (uint16)int16_at(3));
  for (int i = 0; i < ndigits; ++i) pq_sendint16(buf, (uint16)int16_at(4 + i));
}

// The serialized partial state of sum(numeric) / avg(numeric) (numeric_avg_serialize): PG15
// writes the count, the sum as a numeric variable, the largest input dscale and how many inputs
// had it, then the NaN, +Infinity and -Infinity counts.
inline void serialize_numeric_avg_state(StringInfo buf, int64 n, const uint8* sum_wire, size_t sum_len,
                                        int32 max_scale, int64 max_scale_count, int64 nan, int64 pinf,
                                        int64 ninf) {
  pq_sendint64(buf, n);
  serialize_numeric_var(buf, sum_wire, sum_len);
  pq_sendint32(buf, max_scale);
  pq_sendint64(buf, max_scale_count);
  pq_sendint64(buf, nan);
  pq_sendint64(buf, pinf);
  pq_sendint64(buf, ninf);
}

}  // namespace strata::compat

// Shared memory requests: PG15 added shmem_request_hook (before it, RequestAddinShmemSpace was
// called directly from _PG_init). `fn` runs in the postmaster when it sizes shared memory.
extern "C" {
#include "miscadmin.h"
}
namespace strata::compat {
inline shmem_request_hook_type prev_shmem_request_hook = nullptr;
inline void (*shmem_request_fn)() = nullptr;
inline void shmem_request_trampoline() {
  if (prev_shmem_request_hook) prev_shmem_request_hook();
  if (shmem_request_fn) shmem_request_fn();
}
inline void install_shmem_request(void (*fn)()) {
  shmem_request_fn = fn;
  prev_shmem_request_hook = shmem_request_hook;
  shmem_request_hook = shmem_request_trampoline;
}
}  // namespace strata::compat
