// Space partitioning: adding a hash dimension to a hypertable (add_dimension, create_hypertable's
// partitioning_column). Routing and exclusion read the dimension from the Hypertable
// (catalog/hypertables.hpp); chunk creation (chunk.cpp) gives each chunk a slice of the hash axis.
#pragma once

#include "catalog/catalog.hpp"

namespace strata {

// Adds the hash dimension `column` with `num_partitions` slices to the hypertable `relid`
// (owner only; the hypertable must have no chunks; one hash dimension per hypertable). Returns
// the dimension's id; *created is false when it already was a dimension and `if_not_exists`.
int32 add_hash_dimension(Oid relid, const char* column, int64 num_partitions, bool if_not_exists, bool* created);

}  // namespace strata
