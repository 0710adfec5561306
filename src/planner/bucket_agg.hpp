// BucketAggregate: a custom scan in place of PostgreSQL's GroupAggregate (and the Result that
// computes the group key) for `GROUP BY time_bucket(const width, time)` with min / max / count
// aggregates over an input already ordered by that bucket (the ordered ChunkAppend of the chunks'
// time indexes): the bucket is computed in 64 bits and compared as a range, the aggregates are
// accumulated natively, and index scans of heap chunks under the ChunkAppend are read directly
// (btree TIDs in batches, one buffer lock per heap page run, only the needed columns deformed).
// `ORDER BY bucket DESC LIMIT n` thus reads the rows of n buckets at a fraction of the
// per-row cost. Planned by add_bucket_agg_paths (planner.hpp).
#pragma once

extern "C" {
#include "postgres.h"
#include "nodes/plannodes.h"
}

namespace strata {

// Registers the custom scan methods (called once, from skip_scan_register).
void bucket_agg_register();

}  // namespace strata
