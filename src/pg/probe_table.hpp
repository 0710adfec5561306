// Open-addressing hash tables of int32 entry numbers, as the aggregation nodes keep their groups
// and interned values (columnstore/agg_hash.cpp, columnstore/rowagg_exec.cpp) and a refresh ranks
// its sort keys' values (caggs/refresh.cpp): mask + 1 slots (a power of two), -1 in an empty slot,
// linear probing; the entries themselves (and their hashes) live in the caller's arrays. C-style
// glue.
#pragma once

#include <cstring>

#include "pg/pg.hpp"

namespace strata::pg {

// A table of mask + 1 empty slots in `cxt` (`flags`: MCXT_ALLOC_HUGE past 1 GB).
inline int32* probe_table_alloc(MemoryContext cxt, uint32 mask, int flags = 0) {
  int32* table = (int32*)MemoryContextAllocExtended(cxt, sizeof(int32) * ((Size)mask + 1), flags);
  memset(table, 0xff, sizeof(int32) * ((Size)mask + 1));
  return table;
}

// Once the n entries fill half of *table's slots: replaces it (the old one freed) by one of twice
// the slots in `cxt`, each entry e placed again at hash(e) & the new *mask.
template <typename Hash>
inline void probe_table_grow_if_half_full(MemoryContext cxt, int32** table, uint32* mask, int32 n, Hash hash,
                                          int flags = 0) {
  if ((uint32)n * 2 <= *mask) return;
  const uint32 m = *mask * 2 + 1;
  int32* t = probe_table_alloc(cxt, m, flags);
  for (int32 e = 0; e < n; ++e) {
    uint32 k = (uint32)hash(e) & m;
    while (t[k] >= 0) k = (k + 1) & m;
    t[k] = e;
  }
  pfree(*table);
  *table = t;
  *mask = m;
}

}  // namespace strata::pg
