// Faster text/CSV field conversion for COPY FROM into a hypertable (copy.cpp): PostgreSQL splits
// each line into fields (NextCopyFromRawFields); fields of a few base types in their plain
// forms are converted here without the type's input function (float8 decimals of at
// most 15 significant digits, integers, ISO timestamps with an explicit UTC offset, text), giving
// exactly the value the input function gives; every other field, and any field not in such a
// form, goes to the input function as NextCopyFrom would call it (so errors are PostgreSQL's).
// C-style glue.
#pragma once

extern "C" {
#include "postgres.h"

#include "commands/copyfrom_internal.h"
#include "nodes/execnodes.h"
}

namespace strata {

struct CopyInput;

// Whether the setting allows it (strata.copy_fast_input) and the COPY can use it (text or CSV
// format, every column read from the input or NULL, no selective conversion); nullptr otherwise.
CopyInput* copy_input_begin(CopyFromState cstate);
// NextCopyFrom's contract for the COPY's relation.
bool copy_input_next(CopyInput* in, CopyFromState cstate, ExprContext* econtext, Datum* values, bool* nulls);

extern bool guc_copy_fast_input;

}  // namespace strata
