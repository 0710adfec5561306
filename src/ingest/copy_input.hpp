// Faster text/CSV input for COPY FROM into a hypertable (copy.cpp): each line is split into fields
// by copy_split.hpp (PostgreSQL's NextCopyFromRawFields for the lines it leaves alone); fields of a
// few base types in their plain forms are converted here without the type's input function
// (float8 decimals of at most 15 significant digits, integers, ISO timestamps with an explicit UTC
// offset, text), giving exactly the value the input function gives; every other field, and any
// field not in such a form, goes to the input function as NextCopyFrom would call it (so errors
// are PostgreSQL's), and the defaults of columns not read are computed as NextCopyFrom does.
// When every field read is of such a type (strata.copy_typed_lines), a plain line is converted
// field by field where it lies in PostgreSQL's input buffer without being split first; any other
// line goes to the splitter as before. C-style glue.
#pragma once

extern "C" {
#include "postgres.h"

#include "commands/copyfrom_internal.h"
#include "nodes/execnodes.h"
}

namespace strata {

struct CopyInput;

// Whether the settings allow it (strata.copy_fast_input, strata.copy_fast_split) and the COPY can
// use it (text or CSV format, no selective conversion); nullptr otherwise.
CopyInput* copy_input_begin(CopyFromState cstate);
// NextCopyFrom's contract for the COPY's relation.
bool copy_input_next(CopyInput* in, CopyFromState cstate, ExprContext* econtext, Datum* values, bool* nulls);

extern bool guc_copy_fast_input;
extern bool guc_copy_typed_lines;

}  // namespace strata
