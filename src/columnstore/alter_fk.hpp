// Foreign keys of a hypertable with compressed chunks (docs/COLUMNSTORE.md, "Schema changes"):
// ADD CONSTRAINT ... FOREIGN KEY and VALIDATE CONSTRAINT checked over the compressed rows, which
// PostgreSQL's own validation (a query on each chunk's heap alone) does not see. Called from
// alter.cpp. C-style glue.
#pragma once

#include "catalog/catalog.hpp"

namespace strata::columnstore {

// After PostgreSQL validated foreign key `conoid` of `relid` (the hypertable, or one of its
// compressed chunks, whose rows the SQL condition `scope` over the hypertable selects): checks
// every row of the hypertable that `scope` selects, compressed ones included, against the
// referenced table, and raises PostgreSQL's own error (23503) for the first key it lacks. A
// chunk's copy of a foreign key that the hypertable has, validated, is checked with the
// hypertable's.
void fk_validate(Oid relid, const Hypertable* ht, const char* scope, Oid conoid);

}  // namespace strata::columnstore
