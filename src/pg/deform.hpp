// Stepping over the attributes of a heap tuple's data the way heap_deform_tuple does, for the
// nodes that deform only a prefix of a chunk's rows themselves (BucketAggregate's direct read,
// RowstoreAggregate's direct scan). C-style glue.
#pragma once

#include "pg/pg.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/tupmacs.h"
}

namespace strata::pg {

// An attribute as a deformer steps over it: its length (-1 varlena, -2 cstring), alignment in
// bytes, whether it is by value, and whether the deformer stores its value.
struct AttStep {
  int16 len;
  uint8 align;
  bool byval;
  bool need;
};

inline AttStep att_step(Form_pg_attribute a, bool need) {
  const uint8 align = a->attalign == TYPALIGN_DOUBLE ? ALIGNOF_DOUBLE
                      : a->attalign == TYPALIGN_INT  ? ALIGNOF_INT
                      : a->attalign == TYPALIGN_SHORT ? ALIGNOF_SHORT
                                                      : 1;
  return AttStep{a->attlen, align, a->attbyval, need};
}

// The start of the (non-NULL) attribute `d` that follows offset *off of a tuple's data `tp`;
// *off moves past it. A varlena is aligned unless it starts with a 1-byte header (no pad byte is
// zero there). (BucketAggregate's deform_prefix, which reads only by-value attributes, keeps its
// own loop over the same AttSteps: this step in it cost 0.7% more instructions in callgrind.)
inline __attribute__((always_inline)) const char* step_over_att(const char* tp, uint32* off, AttStep d) {
  if (d.len == -1) {
    if (!VARATT_NOT_PAD_BYTE(tp + *off)) *off = TYPEALIGN(d.align, *off);
    const char* p = tp + *off;
    *off += VARSIZE_ANY(p);
    return p;
  }
  *off = TYPEALIGN(d.align, *off);
  const char* p = tp + *off;
  *off += d.len > 0 ? (uint32)d.len : (uint32)strlen(p) + 1;
  return p;
}

}  // namespace strata::pg
