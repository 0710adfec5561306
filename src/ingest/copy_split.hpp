// A faster line and field splitter for COPY FROM in text and CSV format (copy_split.cpp), used by
// copy_input.cpp for the rowstore COPY and the direct-to-columnstore COPY alike. It reads the
// lines that lie whole in PostgreSQL's input buffer (cstate->input_buf, already read, verified
// and, if needed, converted to the server encoding by PostgreSQL) and splits them into
// cstate->raw_fields exactly as NextCopyFromRawFields would; every other line (the header and
// the first line, which fixes the newline style, a line that crosses the buffer's end or the end
// of the input, the end-of-copy marker, a newline inside quotes, an escape that makes a non-ASCII
// byte, anything PostgreSQL would reject) goes to NextCopyFromRawFields itself, so its results,
// errors and line numbers are PostgreSQL's. C-style glue.
#pragma once

extern "C" {
#include "postgres.h"

#include "commands/copyfrom_internal.h"
}

namespace strata {

struct CopySplit;

// Whether the setting allows it (strata.copy_fast_split) and the COPY is in text or CSV format
// with options the splitter knows; nullptr otherwise.
CopySplit* copy_split_begin(CopyFromState cstate);
// NextCopyFromRawFields's contract; with `lengths` the length of each field (not of NULL ones) is
// stored in (*lengths)[i], or *lengths is nullptr when PostgreSQL split the line.
bool copy_split_next(CopySplit* split, CopyFromState cstate, char*** fields, int** lengths, int* nfields);

extern bool guc_copy_fast_split;

}  // namespace strata
