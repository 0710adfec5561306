// Schema changes on a hypertable with compressed chunks (docs/COLUMNSTORE.md, "Schema changes"):
// what ALTER TABLE / RENAME / CREATE INDEX must do to the companion tables and catalog rows that
// PostgreSQL's own processing does not reach. The columnstore's utility handler (settings.cpp)
// calls alter_prepare before passing the statement on and alter_finish after it. C-style glue.
#pragma once

#include "pg/handlers.hpp"

namespace strata::columnstore {

struct AlterState;

// Before PostgreSQL runs the statement: records what alter_finish needs (validation baselines,
// the old types and conversions of ALTER COLUMN TYPE), refuses what cannot be carried into the
// companions (0A000), and decompresses the chunks that must be compressed again afterwards.
// nullptr when the statement needs nothing.
AlterState* alter_prepare(const pg::UtilityCall* call);
// After PostgreSQL ran it, in the same transaction: renames companion columns and settings,
// validates new NOT NULL / CHECK / UNIQUE / FOREIGN KEY constraints over compressed rows, rewrites
// batches of a column whose type changed, adds metadata for a new index's column.
void alter_finish(AlterState* state);

}  // namespace strata::columnstore
