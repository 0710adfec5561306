// The strata catalog (_strata_catalog.*), one header for its users. The parts:
//   registry.hpp      the catalog tables, their OIDs, indexes and column numbers; extension state;
//                     catalog_invalidate
//   scan.hpp          the index scan iterator every catalog reader (and row writer) uses
//   time_types.hpp    time column types and the internal int64 axis
//   hypertables.hpp   the hypertable cache and hypertable/dimension writes
//   chunks.hpp        the chunk cache (lookups by time, relid and id) and chunk/chunk_index writes
//   compression.hpp   the columnstore's settings and compressed-chunk rows
//   catalog.cpp       the invalidation handlers that reset the caches
// Everything here is C-style glue: frames own nothing with a destructor, so PostgreSQL errors may
// propagate through them.
#pragma once

#include "catalog/chunks.hpp"
#include "catalog/compression.hpp"
#include "catalog/hypertables.hpp"
#include "catalog/registry.hpp"
#include "catalog/time_types.hpp"

namespace strata {

// Invalidation handlers that keep the caches right (run by the hook dispatcher, src/hooks): a
// relcache invalidation of `relid` (InvalidOid: all), and a syscache invalidation of a namespace.
void catalog_relcache_invalidated(Oid relid);
void catalog_namespace_invalidated(int cacheid, uint32 hashvalue);

}  // namespace strata
