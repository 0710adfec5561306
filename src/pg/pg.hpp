// The PostgreSQL headers every glue file needs, included with C linkage, plus the compat layer.
#pragma once

extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

#include "pg/compat.hpp"

namespace strata::pg {

// `schema.name` of a relation, quoted as needed, for SQL that strata runs for itself.
inline const char* qualified_relname(Oid relid) {
  return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
}

// Calls func(arg) once `cxt` is reset or deleted (for the executor's query context: at the end of
// the execution, also when it fails), as the last registered first. `cb` holds the registration
// and must live as long as cxt (nullptr: allocated in cxt). func runs in a reset: it must not fail.
inline void call_at_reset(MemoryContext cxt, MemoryContextCallbackFunction func, void* arg,
                          MemoryContextCallback* cb = nullptr) {
  if (cb == nullptr) cb = static_cast<MemoryContextCallback*>(MemoryContextAlloc(cxt, sizeof(MemoryContextCallback)));
  cb->func = func;
  cb->arg = arg;
  MemoryContextRegisterResetCallback(cxt, cb);
}

}  // namespace strata::pg
