// Running the extension's own statements on behalf of a caller whose rights have been checked.
#pragma once

#include "pg/pg.hpp"

namespace strata::pg {

// Between begin and end, statements run as the bootstrap superuser with
// search_path = pg_catalog, pg_temp, so no name in them (a table, function, operator, type or
// collation) can resolve to an object in one of the caller's schemas, and nothing they store (a
// CHECK constraint's operator, a deparsed definition) depends on the caller's search_path.
// `restricted` adds SECURITY_RESTRICTED_OPERATION (for DDL on the caller's tables: no
// session-level side effects from index expressions or triggers). Inside a transaction; an error
// in between is cleaned up by the (sub)transaction abort, which restores user and GUCs.
struct InternalUser {
  Oid user;
  int sec_context;
  int guc_nest;
};
void internal_user_begin(InternalUser* saved, bool restricted);
void internal_user_end(const InternalUser* saved);

// Between begin and end, code runs as `owner` (a table's or a view's owner: the rights ANALYZE,
// an index build or REFRESH MATERIALIZED VIEW run user code with) in a security-restricted
// operation, with search_path = pg_catalog, pg_temp and a GUC nest level of its own. Ended by
// owner_user_end (or by the abort of the (sub)transaction on error), which restores both and
// undoes any setting changed in between (as ANALYZE and REFRESH MATERIALIZED VIEW do).
void owner_user_begin(InternalUser* saved, Oid owner);
void owner_user_end(const InternalUser* saved);

}  // namespace strata::pg
