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

// PG15 has one ownership check per object class (PG16 replaced them with object_ownercheck).
inline bool relation_owned_by(Oid relid, Oid role) { return pg_class_ownercheck(relid, role); }
inline bool namespace_owned_by(Oid nspid, Oid role) { return pg_namespace_ownercheck(nspid, role); }

}  // namespace strata::compat
