// The one place for calls whose signature or behaviour differs between PostgreSQL major versions.
// Only PostgreSQL 15 is supported today; a port to 16/17 adds branches here and nowhere else.
#pragma once

#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 160000
#error "strata is built for PostgreSQL 15; add the version's branches to src/pg/compat.hpp"
#endif

extern "C" {
#include "executor/executor.h"
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
